"""Fresh processes, timed from their start: until a line they print, or until they exit."""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
TIMEOUT_S = 900


@dataclass
class Run:
    seconds: float          # from start to the awaited line (or to exit)
    returncode: int
    lines: list[str]        # stdout lines (after the awaited one, when there was one)
    stderr: str


def quiet_environment(home: Path) -> dict[str, str]:
    """This process's environment with the user's folders replaced by throwaway ones under `home`."""
    env = dict(os.environ)
    for name in ("XDG_DATA_HOME", "XDG_STATE_HOME", "XDG_CONFIG_HOME", "XDG_CACHE_HOME"):
        env[name] = str(home / name.lower())
    env["QT_QPA_PLATFORM"] = "offscreen"
    for name in ("PAO_CLINIC_DATABASE", "PAO_CLINIC_USER", "PAO_CLINIC_PASSWORD"):
        env.pop(name, None)
    return env


def run_fresh(argv: list[str], env: dict[str, str], *, until: str | None = None) -> Run:
    start = time.perf_counter()
    process = subprocess.Popen(argv, cwd=REPO, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    seconds = None
    before = []
    if until is not None:
        for line in process.stdout:  # type: ignore[union-attr]
            if line.strip() == until:
                seconds = time.perf_counter() - start
                break
            before.append(line)
    out, err = process.communicate(timeout=TIMEOUT_S)
    if seconds is None:
        seconds = time.perf_counter() - start
        if until is not None:  # never printed: the run failed
            return Run(seconds, process.returncode or 1, before + out.splitlines(), err)
    return Run(seconds, process.returncode, out.splitlines(), err)


def median_run(argv: list[str], env: dict[str, str], repeat: int, *, until: str | None = None) -> Run:
    runs = [run_fresh(argv, env, until=until) for _ in range(repeat)]
    failed = [r for r in runs if r.returncode != 0]
    if failed:
        return failed[0]
    best = sorted(runs, key=lambda r: r.seconds)[len(runs) // 2]
    best.seconds = statistics.median(r.seconds for r in runs)
    return best


PYTHON = sys.executable
