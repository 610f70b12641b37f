"""startup_to_caseload, filter_keystroke and peak_rss_window: the real window in a fresh process."""

from __future__ import annotations

import json
from pathlib import Path

from bench.clinics import DEMO_PASSWORD, BenchClinic
from bench.processes import PYTHON, median_run, quiet_environment, run_fresh
from bench.results import Result, not_measured, result

WINDOW_USER = "demo.nurse"


def _last_json(lines: list[str]) -> dict | None:
    for line in reversed(lines):
        line = line.strip()
        if line.startswith("{"):
            return json.loads(line)
    return None


def measure_bare_window(home: Path, repeat: int = 3) -> tuple[float | None, str]:
    """The floor of startup_to_caseload, in seconds (None and the reason when Qt will not start)."""
    run = median_run([PYTHON, "-m", "bench.window_probe", "bare"], quiet_environment(home), repeat, until="VISIBLE")
    if run.returncode != 0:
        return None, (run.stderr.strip().splitlines() or ["the bare window did not start"])[-1]
    return run.seconds, ""


def measure_window(clinic: BenchClinic, home: Path, floor: float | None, typed: str) -> list[Result]:
    keys = ("startup_to_caseload", "filter_keystroke", "peak_rss_window")
    run = run_fresh([PYTHON, "-m", "bench.window_probe", "window", clinic.url, WINDOW_USER, DEMO_PASSWORD, typed],
                    quiet_environment(home), until="VISIBLE")
    outcome = _last_json(run.lines) if run.returncode == 0 else None
    if outcome is None:
        reason = (run.stderr.strip().splitlines() or [f"exit status {run.returncode}"])[-1]
        return [not_measured(k, clinic.backend, clinic.size, f"the window process failed: {reason}") for k in keys]
    if outcome["outcome"] != "refreshed" or not outcome["rows"]:
        reason = f"no caseload rows ({outcome['outcome']})"
        return [not_measured(k, clinic.backend, clinic.size, reason) for k in keys]
    keystrokes = outcome["keystrokes_ms"]
    return [
        result("startup_to_caseload", clinic.backend, clinic.size, run.seconds, floor=floor,
               queries=outcome["queries"], rows=outcome["rows"],
               worked_out_after_s=outcome["worked_out_after_s"],
               queries_until_worked_out=outcome["queries_until_worked_out"],
               note=f"{outcome['rows']:,} lines shown, each woman's status and {outcome['worklist_rows']:,} tasks "
                    f"{outcome['worked_out_after_s']:.2f} s later ({outcome['queries_until_worked_out']} queries "
                    "in all)"),
        result("filter_keystroke", clinic.backend, clinic.size, max(keystrokes),
               keystrokes_ms=[round(k, 2) for k in keystrokes], typed=typed,
               note=f"slowest of {len(keystrokes)} keys typing {typed!r} "
                    f"({', '.join(f'{k:.0f}' for k in keystrokes)} ms), {outcome['rows_after_typing']} rows left; "
                    "each key: the filter and the table painted once by the event loop"
                    + (f" ({outcome['keys_painted_by_grab']} painted by grab())"
                       if outcome.get("keys_painted_by_grab") else "")),
        result("peak_rss_window", clinic.backend, clinic.size, outcome["peak_rss_mb"],
               second_process_peak_mb=outcome.get("second_process_peak_mb"),
               note=(f"the window with its second process at each moment (sampled every 20 ms; the second "
                     f"process's own peak {outcome['second_process_peak_mb']:.0f} MB)"
                     if outcome.get("second_process_peak_mb") else "the window's process")),
    ]
