"""`make bench`: the real application at 1,000, 10,000 and 100,000 demo patients, on SQLite and PostgreSQL.

    python -m bench                 1,000, 10,000 and 100,000 patients
    python -m bench --quick         1,000 and 10,000 (under 5 minutes is the aim)
    python -m bench --sizes 50 --backends sqlite --results /tmp/r.json

Every measurement is beside its floor (the same work done the plainest way in the same
run), checked against its target (`bench/targets.py`), printed as a table and written to
`bench/results.json`.  Temporary databases (an SQLite folder, a throwaway PostgreSQL
server) are removed at the end.  Exit status 1 when a target is missed.
"""

from __future__ import annotations

import argparse
import os
import sys
import traceback
from datetime import date
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from bench.clinics import BACKENDS, BenchClinic, Databases, finish_clinic, heavy_record, open_new_clinic  # noqa: E402
from bench.results import RESULTS_FILE, Result, not_measured, table, write_results  # noqa: E402
from bench.targets import TARGETS  # noqa: E402

FULL_SIZES = (1_000, 10_000, 100_000)
QUICK_SIZES = (1_000, 10_000)
#: metrics measured on each backend and size (the rest read no database)
CLINIC_METRICS = tuple((t.metric, t.case) for t in TARGETS if (t.metric, t.case) != ("cli_start", "--help"))


def _say(results: list[Result]) -> list[Result]:
    for r in results:
        shown = "not measured" if r.value is None else f"{r.value:,.3f} {r.unit}"
        floor = "" if r.floor is None else f"  floor {r.floor:,.3f}"
        queries = "" if r.queries is None else f"  {r.queries} queries"
        print(f"  {r.metric}{f' ({r.case})' if r.case else ''}: {shown}{floor}{queries}"
              f"{'  MISSED' if r.met is False else ''}", flush=True)
    return results


def _guarded(metric: str, clinic: BenchClinic, fn, *, case: str | None = None) -> list[Result]:
    """The metric's results, or one 'not measured' row naming the error (the bench goes on)."""
    try:
        return _say(fn())
    except Exception as exc:  # a broken metric is reported, never hidden, and never stops the rest
        traceback.print_exc()
        return _say([not_measured(metric, clinic.backend, clinic.size, f"{type(exc).__name__}: {exc}", case=case)])


def _letter_results(clinic: BenchClinic, hundred_letters: bool) -> list[Result]:
    """letter_pdf: from bench/letter_metrics.py when the letters' own module is there, else record_metrics'.

    bench/letter_metrics.py (the letters' issue) gives `measure_letters(clinic, *, hundred) -> list[Result]`
    with the same cases ("one letter", "100 letters"); it replaces the measurement here when present.
    """
    try:
        from bench import letter_metrics as letters
    except ImportError:
        from bench import record_metrics as letters
    results = _guarded("letter_pdf", clinic, lambda: letters.measure_letters(clinic, hundred=hundred_letters),
                       case="one letter")
    if not hundred_letters and not any(r.case == "100 letters" for r in results):
        results.append(not_measured("letter_pdf", clinic.backend, clinic.size,
                                    "100 letters are drafted at the smallest size only", case="100 letters"))
    return results


def measure_clinic(databases: Databases, backend: str, size: int, records: list, heavy, today: date, *,
                   home: Path, python_floor: float, window_floor: float | None, hundred_letters: bool) -> list[Result]:
    from bench import cli_metrics, record_metrics, storage_metrics, window_metrics
    from pao_clinic.storage.connection import close_database

    print(f"{backend}, {size:,} patients", flush=True)
    clinic = open_new_clinic(databases, backend, size, today)
    results: list[Result] = []
    try:
        results += _guarded("import", clinic, lambda: storage_metrics.measure_import(databases, clinic, records))
        finish_clinic(clinic, heavy)
        results += _guarded("worklist", clinic, lambda: storage_metrics.measure_worklist(clinic))
        results += _guarded("export", clinic, lambda: storage_metrics.measure_export(clinic))
        results += _guarded("open_record", clinic, lambda: record_metrics.measure_open_record(clinic))
        results += _guarded("open_record_draw", clinic, lambda: record_metrics.measure_open_record_draw(clinic))
        results += _guarded("form_keystroke", clinic, lambda: record_metrics.measure_form_keystroke(clinic))
        results += _guarded("gate_check", clinic, lambda: record_metrics.measure_gate_check(clinic))
        results += _letter_results(clinic, hundred_letters)
        results += _guarded("cli_start", clinic,
                            lambda: cli_metrics.measure_check(clinic, home, python_floor, heavy.nhs_number),
                            case="check")
        typed = heavy.family_name[:6].lower()
        results += _guarded("startup_to_caseload", clinic,
                            lambda: window_metrics.measure_window(clinic, home, window_floor, typed))
    finally:
        close_database()
        databases.drop(backend, clinic.name)
    return results


def run(sizes: tuple[int, ...], backends: tuple[str, ...], databases: Databases | None = None) -> list[Result]:
    """Every metric at every size and backend; `databases` is closed at the end (a new one by default)."""
    from bench import cli_metrics, window_metrics
    from pao_clinic.demo import demo_caseload

    today = date.today()
    results: list[Result] = []
    with databases or Databases() as databases:
        home = databases.folder / "home"
        print("fresh processes: python -c pass, pao-clinic --help, a bare window", flush=True)
        python_floor = cli_metrics.measure_python_start(home)
        results += _say(cli_metrics.measure_help(home, python_floor))
        window_floor, reason = window_metrics.measure_bare_window(home)
        if window_floor is None:
            print(f"  the bare window would not start: {reason}", flush=True)
        for size in sizes:
            records = demo_caseload(size + 1, seed=1, today=today)
            heavy = heavy_record(records[-1], records[:-1], today)
            records = records[:-1]
            for backend in backends:
                reason = databases.postgres_reason() if backend == "postgresql" else None
                if reason:
                    print(f"{backend}, {size:,} patients: not measured ({reason})", flush=True)
                    results += [not_measured(m, backend, size, f"the PostgreSQL server cannot start: {reason}", case=c)
                                for m, c in CLINIC_METRICS]
                    continue
                results += measure_clinic(databases, backend, size, records, heavy, today, home=home,
                                          python_floor=python_floor, window_floor=window_floor,
                                          hundred_letters=size == sizes[0])
            del records
    return results


def compiled_like_an_installed_app() -> None:
    """The app's bytecode written first, as `pip install` leaves an installed app (an editable install
    compiles nothing, and with PYTHONDONTWRITEBYTECODE every fresh process would compile every module)."""
    import compileall

    repo = Path(__file__).resolve().parent.parent
    for package in ("pao_clinic", "ui", "bench"):
        compileall.compile_dir(repo / package, quiet=2)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="stop at 10,000 patients")
    parser.add_argument("--sizes", type=lambda text: tuple(int(n) for n in text.split(",")),
                        help="caseload sizes, comma-separated (instead of the standard ones)")
    parser.add_argument("--backends", type=lambda text: tuple(text.split(",")), default=BACKENDS,
                        help="sqlite,postgresql (both by default)")
    parser.add_argument("--results", type=Path, default=RESULTS_FILE, help="where to write the results JSON")
    args = parser.parse_args(argv)
    unknown = set(args.backends) - set(BACKENDS)
    if unknown:
        parser.error(f"--backends: unknown {', '.join(sorted(unknown))} (known: {', '.join(BACKENDS)})")
    sizes = args.sizes or (QUICK_SIZES if args.quick else FULL_SIZES)

    compiled_like_an_installed_app()
    results = run(sizes, args.backends)
    print()
    print(table(results))
    write_results(results, args.results)
    missed = [r for r in results if r.met is False]
    print(f"\n{len(results)} results written to {args.results}; "
          + (f"{len(missed)} targets missed" if missed else "every target met"))
    return 1 if missed else 0


if __name__ == "__main__":
    sys.exit(main())
