"""cli_start: `pao-clinic --help` and `pao-clinic check` in a fresh process, against `python -c pass`."""

from __future__ import annotations

import shutil
from pathlib import Path

from bench.clinics import DEMO_PASSWORD, BenchClinic
from bench.processes import PYTHON, median_run, quiet_environment
from bench.results import Result, not_measured, result
from bench.record_metrics import GATE_DRUG


def pao_clinic_command() -> list[str]:
    """The installed `pao-clinic` script beside this Python (else `python -m pao_clinic`)."""
    script = Path(PYTHON).with_name("pao-clinic")
    if script.exists():
        return [str(script)]
    found = shutil.which("pao-clinic")
    return [found] if found else [PYTHON, "-m", "pao_clinic"]


def measure_python_start(home: Path, repeat: int = 5) -> float:
    return median_run([PYTHON, "-c", "pass"], quiet_environment(home), repeat).seconds


def measure_help(home: Path, floor: float, repeat: int = 5) -> list[Result]:
    run = median_run(pao_clinic_command() + ["--help"], quiet_environment(home), repeat)
    if run.returncode != 0:
        return [not_measured("cli_start", None, None, f"pao-clinic --help failed: {run.stderr.strip()[-200:]}",
                             case="--help")]
    return [result("cli_start", None, None, run.seconds, case="--help", floor=floor, note="median of 5")]


def measure_check(clinic: BenchClinic, home: Path, floor: float, nhs_number: str, repeat: int = 3) -> list[Result]:
    env = quiet_environment(home)
    env.update(PAO_CLINIC_USER="demo.nurse", PAO_CLINIC_PASSWORD=DEMO_PASSWORD)
    argv = pao_clinic_command() + ["check", "--database", clinic.url, "--patient", nhs_number, "--drug", GATE_DRUG,
                                   "--on", clinic.today.isoformat()]
    run = median_run(argv, env, repeat)
    if run.returncode != 0:
        return [not_measured("cli_start", clinic.backend, clinic.size,
                             f"pao-clinic check failed: {run.stderr.strip()[-200:]}", case="check")]
    return [result("cli_start", clinic.backend, clinic.size, run.seconds, case="check", floor=floor,
                   note=f"median of {repeat}, the heavy woman")]
