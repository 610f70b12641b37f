"""A synthetic caseload: fictional women with pregnancy-associated osteoporosis (PAO).

`demo_caseload(count, seed=..., today=...)` builds whole `PatientRecord`s for
demonstrations, training, screenshots, tests and benchmarks.
"""

from __future__ import annotations

from pao_clinic.demo.caseload import MAX_PATIENTS, demo_caseload

__all__ = ["MAX_PATIENTS", "demo_caseload"]
