"""The gate's thresholds as a clinic sets them: read with their defaults, set, reset.

Each threshold of `pao_clinic.clinic_settings.ClinicSettings` may be given the clinic's
own value, kept as a `clinic_setting` row named after it (`services.clinic_settings()`
reads them over the defaults).  Only an admin sets or resets one.  A value is checked
for its kind (a whole number of days, or a decimal) and a sane range, and a problem is
named at the setting; the change and its audit entry are written in one transaction
(`session.clinical_write`), so a refused change leaves nothing behind.  Resetting
removes the clinic's row, so the spec's default applies again.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, fields

from pao_clinic.clinic_settings import DEFAULT_SETTINGS, ClinicSettings
from pao_clinic.errors import Problem, ValidationError
from pao_clinic.record.limits import SETTING_VALUE_MAX_LENGTH
from pao_clinic.record.validation import number_words, quoted, text_problem
from pao_clinic.services.clinic import clinic_settings
from pao_clinic.services.session import ADMIN_ROLES, Actor, clinical_write
from pao_clinic.storage.models import ClinicSetting


@dataclass(frozen=True, slots=True)
class SettingRule:
    """What a threshold is called, its unit and the range a clinic may set it in."""

    label: str
    unit: str
    minimum: float
    maximum: float
    group: str


#: Every threshold in the clinic's words, with a sane range (wide enough for any clinic's
#: policy, narrow enough that a slip of the keyboard is caught).
SETTING_RULES: dict[str, SettingRule] = {
    "results_window_days": SettingRule("Bloods count when taken within", "days", 7, 365, "Medication gate"),
    "dental_review_window_days": SettingRule("Dental review counts when within", "days", 30, 1095, "Medication gate"),
    "presentation_window_days": SettingRule("Presentation fractures: index date plus", "days", 0, 90,
                                            "Medication gate"),
    "calcium_low_mmol_l": SettingRule("Adjusted calcium low below", "mmol/L", 1.50, 2.60, "Medication gate"),
    "calcium_high_mmol_l": SettingRule("Adjusted calcium high above", "mmol/L", 2.20, 3.50, "Medication gate"),
    "vitamin_d_low_nmol_l": SettingRule("Vitamin D low below", "nmol/L", 10, 150, "Medication gate"),
    "alp_high_u_l": SettingRule("Alkaline phosphatase high above", "U/L", 50, 500, "Medication gate"),
    "egfr_zoledronate_alendronate": SettingRule("eGFR too low for zoledronate or alendronate below",
                                                "mL/min/1.73m\u00b2", 10, 90, "Medication gate"),
    "egfr_other_antiresorptive": SettingRule("eGFR too low for other antiresorptives below",
                                             "mL/min/1.73m\u00b2", 10, 90, "Medication gate"),
    "egfr_pth_block": SettingRule("eGFR too low for teriparatide below", "mL/min/1.73m\u00b2", 10, 90,
                                  "Medication gate"),
    "pth_lifetime_days": SettingRule("Teriparatide lifetime limit", "days", 180, 1095, "Medication gate"),
    "default_course_days": SettingRule("Planned course when none is given", "days", 1, 3650, "Medication gate"),
    "low_z_score": SettingRule("Z-score below the expected range for age at or below", "", -5.0, 0.0,
                               "Medication gate"),
    "dexa_interval_days": SettingRule("Repeat DEXA due after", "days", 90, 1825, "Worklist"),
    "referral_overdue_urgent_days": SettingRule("Urgent referral overdue after", "days", 1, 90, "Worklist"),
    "referral_overdue_routine_days": SettingRule("Routine referral overdue after", "days", 7, 365, "Worklist"),
    "referral_unsent_days": SettingRule("Draft referral not sent after", "days", 1, 60, "Worklist"),
    "epds_high_score": SettingRule("EPDS score needing attention from", "points", 1, 30, "Worklist"),
    "denosumab_due_days": SettingRule("Next denosumab dose due after", "days", 90, 365, "Worklist"),
    "denosumab_overdue_days": SettingRule("Denosumab dose overdue after", "days", 120, 400, "Worklist"),
    "pth_limit_warning_days": SettingRule("Warn of the teriparatide limit after", "days", 90, 1095, "Worklist"),
    "height_loss_from_previous_cm": SettingRule("Height loss since the last measurement from", "cm", 0.5, 10,
                                                "Worklist"),
    "height_loss_from_first_cm": SettingRule("Height loss since the first measurement from", "cm", 0.5, 20,
                                             "Worklist"),
    "lsc_lumbar_spine_percent": SettingRule("Least significant change, lumbar spine", "%", 0.5, 20, "Serial DEXA"),
    "lsc_total_hip_percent": SettingRule("Least significant change, total hip", "%", 0.5, 20, "Serial DEXA"),
    "lsc_femoral_neck_percent": SettingRule("Least significant change, femoral neck", "%", 0.5, 20, "Serial DEXA"),
}

#: Pairs that must stay in order: (lower, higher, what it means).
_ORDERED = (
    ("calcium_low_mmol_l", "calcium_high_mmol_l", "the low calcium threshold must be below the high one"),
    ("denosumab_due_days", "denosumab_overdue_days", "a denosumab dose must fall due before it is overdue"),
    ("pth_limit_warning_days", "pth_lifetime_days", "the teriparatide warning must come before its lifetime limit"),
    ("referral_overdue_urgent_days", "referral_overdue_routine_days",
     "an urgent referral must be overdue sooner than a routine one"),
)


@dataclass(frozen=True, slots=True)
class GateSetting:
    """One threshold as the settings screen shows it."""

    name: str
    label: str
    unit: str
    group: str
    default: float | int
    value: float | int
    minimum: float | int
    maximum: float | int
    whole_number: bool

    @property
    def is_default(self) -> bool:
        return self.value == self.default


def _whole(name: str) -> bool:
    return isinstance(getattr(DEFAULT_SETTINGS, name), int)


def gate_settings() -> list[GateSetting]:
    """Every threshold, in the order of `ClinicSettings`, with the clinic's value and the default."""
    current = clinic_settings()
    shown = []
    for field in fields(ClinicSettings):
        rule = SETTING_RULES[field.name]
        whole = _whole(field.name)
        kind = int if whole else float
        shown.append(GateSetting(
            name=field.name, label=rule.label, unit=rule.unit, group=rule.group,
            default=getattr(DEFAULT_SETTINGS, field.name), value=getattr(current, field.name),
            minimum=kind(rule.minimum), maximum=kind(rule.maximum), whole_number=whole))
    return shown


def _written(number: float | int) -> str:
    return str(int(number)) if float(number).is_integer() else f"{number:g}"


def _checked_value(name: str, value: object) -> float | int:
    """The value as the setting's kind, or a ValidationError naming the setting."""
    _refuse_unknown(name)
    rule = SETTING_RULES[name]
    what = f"{rule.label} ({name})"
    number: float
    if isinstance(value, bool) or value is None:
        raise ValidationError(Problem(name, f"{what} must be a number, not {value!r}"))
    if isinstance(value, str):
        problem = text_problem(name, value.strip(), SETTING_VALUE_MAX_LENGTH, what=what, one_line=True)
        if problem is not None:
            raise ValidationError(problem)
        try:
            number = float(value.strip())
        except ValueError:
            raise ValidationError(Problem(name, f"{what} must be a number ({quoted(value.strip())} is not)")) from None
    elif isinstance(value, int) and abs(value) >= 10**15:  # beyond every range, and beyond what a float holds
        raise ValidationError(Problem(name, f"{what} must be between {_written(rule.minimum)} and "
                                            f"{_written(rule.maximum)}, not {number_words(value)}"))
    elif isinstance(value, (int, float)):
        number = float(value)
    else:
        raise ValidationError(Problem(name, f"{what} must be a number, not {type(value).__name__}"))
    if not math.isfinite(number):
        raise ValidationError(Problem(name, f"{what} must be a number"))
    if _whole(name) and not number.is_integer():
        raise ValidationError(Problem(name, f"{what} must be a whole number of {rule.unit or 'units'} "
                                            f"({_written(number)} is not)"))
    if not rule.minimum <= number <= rule.maximum:
        unit = f" {rule.unit}" if rule.unit else ""
        raise ValidationError(Problem(name, f"{what} must be between {_written(rule.minimum)} and "
                                            f"{_written(rule.maximum)}{unit}, not {_written(number)}"))
    return int(number) if _whole(name) else round(number, 4)


def _refuse_unknown(name: object) -> None:
    if not isinstance(name, str) or name not in SETTING_RULES:
        raise ValidationError(Problem("name", f"{quoted(str(name))} is not a setting of the gate; use one of "
                                              f"{', '.join(SETTING_RULES)}"))


def _shown(name: object) -> str:
    """The setting's name for a message (a name that is no setting, shortened and readable)."""
    return name if isinstance(name, str) and name in SETTING_RULES else quoted(str(name))


def _order_problems(settings: ClinicSettings, changed: str) -> list[Problem]:
    problems = []
    for lower, higher, words in _ORDERED:
        if changed in (lower, higher) and not getattr(settings, lower) < getattr(settings, higher):
            problems.append(Problem(changed, f"{SETTING_RULES[changed].label} ({changed}): {words} "
                                             f"({lower} {_written(getattr(settings, lower))}, "
                                             f"{higher} {_written(getattr(settings, higher))})"))
    return problems


def set_gate_setting(actor: Actor, name: str, value: object) -> GateSetting:
    """Give one threshold the clinic's own value (admin only); the setting as it now stands."""
    with clinical_write(actor, ADMIN_ROLES, f"Setting the gate's threshold {_shown(name)}") as audit:
        number = _checked_value(name, value)
        before = clinic_settings()
        after = before.with_values({name: number})
        problems = _order_problems(after, name)
        if problems:
            raise ValidationError(problems)
        old = ClinicSetting.get_or_none(ClinicSetting.name == name)
        ClinicSetting.delete().where(ClinicSetting.name == name).execute()
        ClinicSetting.create(name=name, value=_written(number))
        audit.record("update", "clinic_setting", None, before={name: old.value} if old else None,
                     after={name: _written(number)})
    return next(s for s in gate_settings() if s.name == name)


def reset_gate_setting(actor: Actor, name: str) -> GateSetting:
    """Back to the spec's default (admin only): the clinic's own value is removed."""
    with clinical_write(actor, ADMIN_ROLES, f"Resetting the gate's threshold {_shown(name)}") as audit:
        _refuse_unknown(name)
        default = getattr(DEFAULT_SETTINGS, name)
        problems = _order_problems(clinic_settings().with_values({name: default}), name)
        if problems:
            raise ValidationError(problems)
        old = ClinicSetting.get_or_none(ClinicSetting.name == name)
        if old is not None:
            ClinicSetting.delete().where(ClinicSetting.name == name).execute()
            audit.record("reset", "clinic_setting", None, before={name: old.value}, after={name: _written(default)})
    return next(s for s in gate_settings() if s.name == name)


def reset_all_gate_settings(actor: Actor) -> list[GateSetting]:
    """Every threshold back to its default, in one transaction (admin only)."""
    with clinical_write(actor, ADMIN_ROLES, "Resetting the gate's thresholds") as audit:
        rows = list(ClinicSetting.select().where(ClinicSetting.name.in_(list(SETTING_RULES))))
        if rows:
            ClinicSetting.delete().where(ClinicSetting.name.in_([r.name for r in rows])).execute()
            audit.record("reset", "clinic_setting", None, before={r.name: r.value for r in rows},
                         after={r.name: _written(getattr(DEFAULT_SETTINGS, r.name)) for r in rows})
    return gate_settings()


__all__ = ["GateSetting", "SETTING_RULES", "SettingRule", "gate_settings", "reset_all_gate_settings",
           "reset_gate_setting", "set_gate_setting"]
