"""Clinic settings: the gate's and worklist's thresholds, with the spec's defaults.

This is the one place thresholds are read from.  A clinic may store its own values
(the services keep them in the `clinic_setting` table); anything not stored takes
the default here.
"""

from __future__ import annotations

from dataclasses import dataclass, fields, replace


@dataclass(frozen=True, kw_only=True, slots=True)
class ClinicSettings:
    # medication gate (shared/spec/medication-gate.md)
    results_window_days: int = 90          # "within 90 days" for bloods
    dental_review_window_days: int = 365   # DEN-1
    presentation_window_days: int = 14     # presentation = index date + 14 days
    calcium_low_mmol_l: float = 2.20       # AR-1
    calcium_high_mmol_l: float = 2.60      # PTH-2
    vitamin_d_low_nmol_l: float = 50.0     # AR-2
    alp_high_u_l: float = 130.0            # PTH-ALP
    egfr_zoledronate_alendronate: float = 35.0   # REN-1
    egfr_other_antiresorptive: float = 30.0      # REN-1 (risedronate, ibandronate, denosumab)
    egfr_pth_block: float = 30.0           # PTH-2
    pth_lifetime_days: int = 730           # PTH-1
    default_course_days: int = 730         # --course-days default
    low_z_score: float = -2.0              # "below the expected range for age"
    # worklist
    dexa_interval_days: int = 365
    referral_overdue_urgent_days: int = 14
    referral_overdue_routine_days: int = 42
    referral_unsent_days: int = 7
    epds_high_score: int = 13
    denosumab_due_days: int = 167
    denosumab_overdue_days: int = 210
    pth_limit_warning_days: int = 640
    height_loss_from_previous_cm: float = 2.0
    height_loss_from_first_cm: float = 4.0
    # serial DEXA: least significant change in BMD, per cent
    lsc_lumbar_spine_percent: float = 5.3
    lsc_total_hip_percent: float = 5.0
    lsc_femoral_neck_percent: float = 6.9

    def with_values(self, values: dict[str, str | float | int]) -> "ClinicSettings":
        """A copy with stored values applied (unknown names are ignored, types coerced)."""
        known = {f.name: f for f in fields(self)}
        changes = {}
        for name, value in values.items():
            if name in known:
                kind = type(getattr(self, name))
                changes[name] = kind(float(value)) if kind is int else kind(value)
        return replace(self, **changes)


DEFAULT_SETTINGS = ClinicSettings()
