"""Where a metric's time goes: cProfile of its work on a demo caseload, the top functions by cumulative time.

    python -m bench.profile import --patients 10000
    python -m bench.profile startup_to_caseload --patients 10000
    python -m bench.profile cli_start

Metrics timed in a fresh process are profiled in this process instead: startup_to_caseload
profiles building the real MainWindow, what its refresh worker runs (called here on the main
thread, since cProfile does not follow the worker) and its answer shown and painted;
filter_keystroke profiles the first key typed into that window's filter; cli_start lists the
slowest imports of `pao_clinic.cli` (`python -X importtime`, in a fresh process).
"""

from __future__ import annotations

import argparse
import cProfile
import os
import pstats
import subprocess
import sys
from datetime import date
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
REPO = Path(__file__).resolve().parent.parent

PROFILED = ("import", "export", "worklist", "startup_to_caseload", "filter_keystroke", "open_record",
            "open_record_draw", "letter_pdf", "cli_start")


def top_functions(profile: cProfile.Profile, count: int) -> str:
    """The top `count` functions by cumulative time, one line each, paths shortened."""
    stats = pstats.Stats(profile)
    total = max(stats.total_tt, 1e-9)
    rows = sorted(((key, value) for key, value in stats.stats.items()  # type: ignore[attr-defined]
                   if "<frozen" not in key[0] and key[2] not in ("<lambda>", "_profile")),
                  key=lambda item: item[1][3], reverse=True)
    lines = [f"total {total:.3f} s", f"{'cum s':>8} {'cum %':>6} {'own s':>8} {'calls':>9}  function"]
    for (file, line, name), (_cc, calls, own, cumulative, _callers) in rows[:count]:
        where = file
        for marker in ("/site-packages/", "/lib/python3", "/work/main/"):
            if marker in where:
                where = where.split(marker, 1)[1]
        lines.append(f"{cumulative:8.3f} {100 * cumulative / total:5.0f}% {own:8.3f} {calls:9d}  "
                     f"{name} ({where}:{line})")
    return "\n".join(lines)


def _profile(fn) -> cProfile.Profile:
    profile = cProfile.Profile()
    profile.enable()
    try:
        fn()
    except SystemExit:
        pass
    finally:
        profile.disable()
    return profile


def profile_metric(metric: str, patients: int) -> cProfile.Profile:

    from bench.clinics import Databases, finish_clinic, heavy_record, open_new_clinic
    from pao_clinic.demo import demo_caseload
    from pao_clinic.storage.connection import close_database

    today = date.today()
    records = demo_caseload(patients + 1, seed=1, today=today)
    heavy = heavy_record(records[-1], records[:-1], today)
    with Databases() as databases:
        clinic = open_new_clinic(databases, "sqlite", patients, today, tag="profile")
        try:
            from pao_clinic import services

            if metric == "import":
                return _profile(lambda: services.import_records(clinic.nurse, records[:-1]))
            services.import_records(clinic.nurse, records[:-1])
            finish_clinic(clinic, heavy)
            if metric == "export":
                from pao_clinic.exchange import document_to_bytes
                return _profile(lambda: document_to_bytes(services.export_document()))
            if metric == "worklist":
                return _profile(lambda: services.caseload_worklist(today))
            if metric == "open_record":
                return _profile(lambda: services.patient_view(clinic.heavy_id, today))
            if metric == "letter_pdf":
                from bench.record_metrics import _referrals
                (patient_id, referral_id), = _referrals(1)
                return _profile(lambda: services.draft_letter(clinic.nurse, patient_id, referral_id, today=today))

            from bench.record_metrics import _draw_once, qt_application
            app, reason = qt_application()
            if app is None:
                raise SystemExit(f"Qt cannot start: {reason}")
            if metric == "open_record_draw":
                view = services.patient_view(clinic.heavy_id, today)
                _draw_once(view)  # the sections' modules imported and Qt warmed, as in the bench's median
                return _profile(lambda: _draw_once(view))
            from PySide6.QtWidgets import QApplication
            from ui.main_window import MainWindow, load_lists

            def open_window():
                window = MainWindow(clinic.nurse, clinic.url)
                window.show()
                window._requested_on = today
                window._on_refresh_worker_finished(load_lists(today))  # the worker's answer, on this thread
                QApplication.processEvents()
                window.caseload_view.viewport().grab()
                QApplication.processEvents()  # the timers that answer started (the worklist's row fit) run here
                return window

            if metric == "startup_to_caseload":
                return _profile(open_window)
            window = open_window()

            def first_key():
                window.filter_edit.insert(heavy.family_name[:1].lower())
                QApplication.processEvents()
                window.caseload_view.viewport().grab()
            return _profile(first_key)
        finally:
            close_database()


def slowest_imports(module: str, count: int) -> str:
    """The modules that take longest to import (cumulative, microseconds) in a fresh process."""
    run = subprocess.run([sys.executable, "-X", "importtime", "-c", f"import {module}"], capture_output=True,
                         text=True, cwd=REPO, env={**os.environ, "QT_QPA_PLATFORM": "offscreen"})
    rows = []
    for line in run.stderr.splitlines():
        parts = line.split("|")
        if line.startswith("import time:") and len(parts) == 3 and parts[1].strip().isdigit():
            rows.append((int(parts[1]), int(parts[0].split(":")[1]), parts[2].strip()))
    rows.sort(reverse=True)
    lines = [f"import {module}: {rows[0][0] / 1e6:.3f} s" if rows else f"import {module}: nothing measured",
             f"{'cum s':>8} {'own s':>8}  module"]
    lines += [f"{cum / 1e6:8.3f} {own / 1e6:8.3f}  {name}" for cum, own, name in rows[:count]]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.profile", description=__doc__.splitlines()[0])
    parser.add_argument("metric", choices=PROFILED)
    parser.add_argument("--patients", type=int, default=10_000)
    parser.add_argument("--top", type=int, default=15)
    args = parser.parse_args(argv)
    if args.metric == "cli_start":
        print(slowest_imports("pao_clinic.cli", args.top))
    else:
        print(top_functions(profile_metric(args.metric, args.patients), args.top))
    return 0


if __name__ == "__main__":
    sys.exit(main())
