"""The medication gate: for one woman, one drug and one day, blocked / needs a reason / allowed.

Each rule of `shared/spec/medication-gate.md` is one small function below, listed in
`RULES` in the spec table's order.  A rule returns a RuleFinding when it fires and
None when it does not.  Missing facts are rules of their own (DATA-1, PTH-3, AR-3,
DXA-1, WU-1): the gate never says "allowed" because it lacks something.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Callable

from pao_clinic.record import codes
from pao_clinic.clinic_settings import DEFAULT_SETTINGS, ClinicSettings
from pao_clinic.errors import Problem, ValidationError
from pao_clinic.gate.facts import (
    ONE_DAY,
    ClinicalFacts,
    clinical_facts,
    dexa_scans_on,
    fracture_description,
    is_breastfeeding_on,
    latest_contraception,
    latest_dental_review,
    latest_results,
    medications_started_on,
    written_date,
    written_number,
)
from pao_clinic.record import BloodResult, PatientRecord

BLOCK, WARN, INFO = "block", "warn", "info"
LEVELS: tuple[str, ...] = (BLOCK, WARN, INFO)
VERDICTS: tuple[str, ...] = ("allowed", "needs_reason", "blocked")

HISTORY_AGAINST_PTH: tuple[str, ...] = ("skeletal_radiotherapy", "bone_malignancy", "other_metabolic_bone_disease")
RISK_FACTORS_TO_NAME: tuple[str, ...] = (
    "previous_pao", "heparin", "corticosteroids", "progestogen_only_contraception",
    "thyroid_hormone", "malabsorption",
)
INFUSED_ANTIRESORPTIVES: frozenset[str] = frozenset({"zoledronate", "denosumab"})

_TEST_NAMES = {
    "adjusted_calcium": "adjusted calcium",
    "alkaline_phosphatase": "alkaline phosphatase",
    "egfr": "eGFR",
    "vitamin_d_25oh": "25-OH vitamin D",
}


@dataclass(frozen=True, slots=True)
class RuleFinding:
    """One rule that fired: its id, level (block / warn / info) and why, in words."""

    id: str
    level: str
    message: str

    def to_json(self) -> dict:
        return {"id": self.id, "level": self.level, "message": self.message}


@dataclass(frozen=True, slots=True)
class GateFacts:
    """The seven facts the gate's output shows."""

    pregnant: bool
    lactation: str
    index_date: date | None
    repeat_fractures: int
    vertebral_fractures_at_presentation: int
    lowest_z: float | None
    anabolic_days_used: int

    @classmethod
    def from_clinical_facts(cls, facts: ClinicalFacts) -> "GateFacts":
        return cls(
            pregnant=facts.pregnant,
            lactation=facts.lactation,
            index_date=facts.index_date,
            repeat_fractures=len(facts.repeat_fractures),
            vertebral_fractures_at_presentation=facts.vertebral_fractures_at_presentation,
            lowest_z=facts.lowest_z,
            anabolic_days_used=facts.anabolic_days_used,
        )

    def to_json(self) -> dict:
        return {
            "pregnant": self.pregnant,
            "lactation": self.lactation,
            "index_date": self.index_date.isoformat() if self.index_date else None,
            "repeat_fractures": self.repeat_fractures,
            "vertebral_fractures_at_presentation": self.vertebral_fractures_at_presentation,
            "lowest_z": self.lowest_z,
            "anabolic_days_used": self.anabolic_days_used,
        }


@dataclass(frozen=True, slots=True)
class GateResult:
    """The gate's answer, rule by rule (block first, then warn, then info)."""

    patient: str
    drug: str
    on: date
    verdict: str
    review_on: date | None
    rules: tuple[RuleFinding, ...]
    facts: GateFacts

    def rule_ids(self, level: str | None = None) -> tuple[str, ...]:
        return tuple(r.id for r in self.rules if level is None or r.level == level)

    def to_json(self) -> dict:
        """Exactly the spec's Output object."""
        return {
            "patient": self.patient,
            "drug": self.drug,
            "on": self.on.isoformat(),
            "verdict": self.verdict,
            "review_on": self.review_on.isoformat() if self.review_on else None,
            "rules": [r.to_json() for r in self.rules],
            "facts": self.facts.to_json(),
        }

    def to_text(self) -> str:
        """The same verdict for a person to read."""
        verdict_words = {"allowed": "ALLOWED", "needs_reason": "NEEDS A REASON", "blocked": "BLOCKED"}
        f = self.facts
        lines = [
            f"{codes.DRUG_NAMES[self.drug]} ({self.drug}) for patient {self.patient} "
            f"on {written_date(self.on)}: {verdict_words[self.verdict]}",
            f"Review on: {written_date(self.review_on) if self.review_on else '-'}",
        ]
        if self.rules:
            lines.append("Rules:")
            lines.extend(f"[{r.level.upper()}] {r.id}  {r.message}" for r in self.rules)
        else:
            lines.append("Rules: none fired")
        lines += [
            "Facts:",
            f"  pregnant: {'yes' if f.pregnant else 'no'}",
            f"  lactation: {f.lactation.replace('_', ' ')}",
            f"  index date: {written_date(f.index_date) if f.index_date else 'none (no fragility fracture)'}",
            f"  repeat fractures: {f.repeat_fractures}",
            f"  vertebral fractures at presentation: {f.vertebral_fractures_at_presentation}",
            f"  lowest Z-score: {written_number(f.lowest_z) if f.lowest_z is not None else 'none'}",
            f"  anabolic days used: {f.anabolic_days_used}",
        ]
        return "\n".join(lines)


@dataclass(frozen=True, slots=True)
class GateCase:
    """What every rule reads: the record, the request and the facts on that day."""

    record: PatientRecord
    drug: str
    on: date
    course_days: int
    settings: ClinicSettings
    facts: ClinicalFacts

    @property
    def osteoporosis_drug(self) -> bool:
        return self.drug in codes.OSTEOPOROSIS_DRUGS

    @property
    def drug_name(self) -> str:
        return codes.DRUG_NAMES[self.drug]

    @property
    def may_become_pregnant(self) -> bool:
        return not (self.facts.postmenopausal or self.facts.sterilised)

    def results(self, test: str) -> tuple[BloodResult, ...]:
        """The latest results of a test within the results window (90 days)."""
        return latest_results(self.record, test, self.on, self.settings.results_window_days)

    def lowest(self, test: str) -> BloodResult | None:
        return min(self.results(test), key=lambda r: r.value, default=None)

    def highest(self, test: str) -> BloodResult | None:
        return max(self.results(test), key=lambda r: r.value, default=None)

    def missing_results(self, tests: tuple[str, ...]) -> tuple[str, ...]:
        return tuple(_TEST_NAMES[t] for t in tests if not self.results(t))


Rule = Callable[[GateCase], "RuleFinding | None"]


def _result(result: BloodResult) -> str:
    return f"{written_number(result.value)} {result.unit} on {written_date(result.taken_on)}"


def _window(case: GateCase) -> str:
    return f"within {case.settings.results_window_days} days"


# --- block rules (and the rules that block for some drugs) --------------------------

def preg_1(case: GateCase) -> RuleFinding | None:
    if not (case.osteoporosis_drug and case.facts.pregnant):
        return None
    return RuleFinding("PREG-1", BLOCK, f"Pregnant on {written_date(case.on)}: osteoporosis drugs are not started in pregnancy.")


def bf_1(case: GateCase) -> RuleFinding | None:
    entries = case.facts.breastfeeding_entries
    if not (case.osteoporosis_drug and entries):
        return None
    stops = [e.stopped_on or e.planned_stop_on for e in entries]
    if any(s is None for s in stops):
        when = "no stop date recorded"
    else:
        last = max(entries, key=lambda e: e.stopped_on or e.planned_stop_on)
        if last.stopped_on is not None:
            when = f"last feed on {written_date(last.stopped_on)}"
        elif last.planned_stop_on >= case.on:
            when = f"planned to stop on {written_date(last.planned_stop_on)}"
        else:
            when = f"planned to stop on {written_date(last.planned_stop_on)}, now passed: ask whether feeding has stopped"
    return RuleFinding(
        "BF-1", BLOCK,
        f"Breastfeeding ({when}): local policy defers osteoporosis drugs until feeding has stopped.",
    )


def bf_1_review_on(case: GateCase) -> date | None:
    """The day after the latest stop among the entries breastfeeding on D, when after D.

    When any of those entries has neither `stopped_on` nor `planned_stop_on`, feeding has
    no end in sight and there is no review date.
    """
    stops = [e.stopped_on or e.planned_stop_on for e in case.facts.breastfeeding_entries]
    if not stops or any(s is None for s in stops):
        return None
    review = max(stops) + ONE_DAY
    return review if review > case.on else None


def data_1(case: GateCase) -> RuleFinding | None:
    birth = case.facts.birth_without_feeding_entry
    if not (case.osteoporosis_drug and case.facts.lactation == "unknown" and birth is not None):
        return None
    return RuleFinding(
        "DATA-1", BLOCK,
        f"Lactation unknown: no feeding entry for the birth on {written_date(birth.ended_on)}. "
        "Record whether she breastfed (and when she stopped) before deciding.",
    )


def ral_1(case: GateCase) -> RuleFinding | None:
    if case.drug != "raloxifene" or case.facts.postmenopausal:
        return None
    return RuleFinding(
        "RAL-1", BLOCK,
        "Raloxifene is only for postmenopausal women, and 'postmenopausal' is not in her history.",
    )


def pth_1(case: GateCase) -> RuleFinding | None:
    if case.drug not in codes.PTH_ANALOGUES:
        return None
    used, limit = case.facts.anabolic_days_used, case.settings.pth_lifetime_days
    if used + case.course_days <= limit:
        return None
    remain = max(limit - used, 0)
    return RuleFinding(
        "PTH-1", BLOCK,
        f"Lifetime limit of {limit} days of PTH analogue: {used} days used, {remain} remain; "
        f"the requested course of {case.course_days} days would exceed it.",
    )


def pth_2(case: GateCase) -> RuleFinding | None:
    if case.drug not in codes.PTH_ANALOGUES:
        return None
    reasons = [h.replace("_", " ") + " in her history" for h in HISTORY_AGAINST_PTH if h in case.record.history]
    calcium = case.highest("adjusted_calcium")
    if calcium is not None and calcium.value > case.settings.calcium_high_mmol_l:
        reasons.append(
            f"adjusted calcium {_result(calcium)} is above {written_number(case.settings.calcium_high_mmol_l)} mmol/L"
        )
    egfr = case.lowest("egfr")
    if egfr is not None and egfr.value < case.settings.egfr_pth_block:
        reasons.append(f"eGFR {_result(egfr)} is below {written_number(case.settings.egfr_pth_block)}")
    if not reasons:
        return None
    return RuleFinding("PTH-2", BLOCK, f"{case.drug_name} is contraindicated: {'; '.join(reasons)}.")


def pth_3(case: GateCase) -> RuleFinding | None:
    if case.drug not in codes.PTH_ANALOGUES:
        return None
    missing = case.missing_results(("adjusted_calcium", "alkaline_phosphatase", "egfr"))
    if not missing:
        return None
    return RuleFinding(
        "PTH-3", BLOCK,
        f"No {', '.join(missing)} result {_window(case)}: needed before {case.drug_name}.",
    )


def ar_1(case: GateCase) -> RuleFinding | None:
    if case.drug not in codes.ANTIRESORPTIVES:
        return None
    calcium = case.lowest("adjusted_calcium")
    if calcium is None or calcium.value >= case.settings.calcium_low_mmol_l:
        return None
    return RuleFinding(
        "AR-1", BLOCK,
        f"Adjusted calcium {_result(calcium)} is below {written_number(case.settings.calcium_low_mmol_l)} mmol/L: "
        f"correct it before {case.drug_name}.",
    )


def _infused_blocks(case: GateCase) -> str:
    """AR-2 and AR-3 block zoledronate and denosumab and warn for an oral bisphosphonate."""
    return BLOCK if case.drug in INFUSED_ANTIRESORPTIVES else WARN


def ar_2(case: GateCase) -> RuleFinding | None:
    if case.drug not in codes.ANTIRESORPTIVES:
        return None
    vitamin_d = case.lowest("vitamin_d_25oh")
    if vitamin_d is None or vitamin_d.value >= case.settings.vitamin_d_low_nmol_l:
        return None
    return RuleFinding(
        "AR-2", _infused_blocks(case),
        f"25-OH vitamin D {_result(vitamin_d)} is below {written_number(case.settings.vitamin_d_low_nmol_l)} nmol/L: "
        f"replete vitamin D before {case.drug_name} (risk of hypocalcaemia).",
    )


def ar_3(case: GateCase) -> RuleFinding | None:
    if case.drug not in codes.ANTIRESORPTIVES:
        return None
    missing = case.missing_results(("adjusted_calcium", "egfr", "vitamin_d_25oh"))
    if not missing:
        return None
    return RuleFinding(
        "AR-3", _infused_blocks(case),
        f"No {', '.join(missing)} result {_window(case)}: needed before {case.drug_name}.",
    )


def ren_1(case: GateCase) -> RuleFinding | None:
    s = case.settings
    limits = {
        "zoledronate": (s.egfr_zoledronate_alendronate, BLOCK),
        "alendronate": (s.egfr_zoledronate_alendronate, WARN),
        "risedronate": (s.egfr_other_antiresorptive, WARN),
        "ibandronate": (s.egfr_other_antiresorptive, WARN),
        "denosumab": (s.egfr_other_antiresorptive, WARN),
    }
    if case.drug not in limits:
        return None
    limit, level = limits[case.drug]
    egfr = case.lowest("egfr")
    if egfr is None or egfr.value >= limit:
        return None
    return RuleFinding(
        "REN-1", level,
        f"eGFR {_result(egfr)} is below {written_number(limit)} for {case.drug_name}.",
    )


# --- warn rules ---------------------------------------------------------------------

def ind_1(case: GateCase) -> RuleFinding | None:
    if not case.osteoporosis_drug or case.facts.indication_features:
        return None
    return RuleFinding(
        "IND-1", WARN,
        "No indication feature holds: no repeat fracture, fewer than 2 vertebral fractures at presentation, "
        f"no grade 3 vertebral fracture, and no Z-score at or below {written_number(case.settings.low_z_score)}.",
    )


def dxa_1(case: GateCase) -> RuleFinding | None:
    if not case.osteoporosis_drug or case.facts.lowest_z is not None:
        return None
    if case.facts.latest_dexa:
        why = (f"the latest DEXA ({written_date(case.facts.latest_dexa[0].scanned_on)}) has T-scores only; "
               "a T-score alone does not describe a premenopausal woman")
    else:
        why = "no DEXA on record"
    return RuleFinding("DXA-1", WARN, f"No Z-score: {why}.")


def pth_alp(case: GateCase) -> RuleFinding | None:
    if case.drug not in codes.PTH_ANALOGUES:
        return None
    alp = case.highest("alkaline_phosphatase")
    if alp is None or alp.value <= case.settings.alp_high_u_l:
        return None
    return RuleFinding(
        "PTH-ALP", WARN,
        f"Alkaline phosphatase {_result(alp)} is above {written_number(case.settings.alp_high_u_l)} U/L: "
        "may be fracture healing or lactation; needs explaining before a PTH analogue.",
    )


def bp_1(case: GateCase) -> RuleFinding | None:
    plan = case.record.future_pregnancy_plan
    if case.drug not in codes.BISPHOSPHONATES or plan == "no":
        return None
    said = "not recorded" if plan is None else f"'{plan}'"
    return RuleFinding(
        "BP-1", WARN,
        f"Future pregnancy plan is {said}: bisphosphonates stay in bone for years.",
    )


def con_1(case: GateCase) -> RuleFinding | None:
    if not case.osteoporosis_drug or case.drug == "raloxifene" or not case.may_become_pregnant:
        return None
    latest = latest_contraception(case.record, case.on)
    if latest and all(c.effective for c in latest):
        return None
    if not latest:
        why = "no contraception recorded"
    else:
        methods = ", ".join(c.method for c in latest if not c.effective)
        why = f"contraception recorded on {written_date(latest[0].recorded_on)} ({methods}) is not effective"
    return RuleFinding(
        "CON-1", WARN,
        f"She may become pregnant and {why}: discuss effective contraception before {case.drug_name}.",
    )


def off_1(case: GateCase) -> RuleFinding | None:
    if case.drug not in ("romosozumab", "abaloparatide") or case.facts.postmenopausal:
        return None
    return RuleFinding(
        "OFF-1", WARN,
        f"{case.drug_name} is not licensed for women who may become pregnant (not postmenopausal): off-label use.",
    )


def dmab_2(case: GateCase) -> RuleFinding | None:
    if case.drug != "denosumab" or case.facts.postmenopausal:
        return None
    return RuleFinding(
        "DMAB-2", WARN,
        "Stopping denosumab needs a bisphosphonate to follow, which conflicts with a later pregnancy.",
    )


def den_1(case: GateCase) -> RuleFinding | None:
    if case.drug not in codes.ANTIRESORPTIVES and case.drug != "romosozumab":
        return None
    window = case.settings.dental_review_window_days
    last = latest_dental_review(case.record, case.on)
    if last is not None and last >= case.on - timedelta(days=window):
        return None
    when = f"last on {written_date(last)}" if last else "none recorded"
    return RuleFinding(
        "DEN-1", WARN,
        f"No dental review within {window} days ({when}) before {case.drug_name}.",
    )


def wu_1(case: GateCase) -> RuleFinding | None:
    missing = case.facts.missing_workup
    if not case.osteoporosis_drug or not missing:
        return None
    since = (f"since the first fracture ({written_date(case.facts.index_date)})"
             if case.facts.index_date else "on record")
    return RuleFinding("WU-1", WARN, f"Work-up incomplete: no {', '.join(missing)} result {since}.")


# --- info rules ---------------------------------------------------------------------

def fx_1(case: GateCase) -> RuleFinding | None:
    repeats = case.facts.repeat_fractures
    if not repeats:
        return None
    message = f"Repeat fracture{'s' if len(repeats) > 1 else ''}: {', '.join(fracture_description(f) for f in repeats)}."
    if case.facts.breastfeeding:
        message += " She is breastfeeding: discuss when feeding could stop."
    return RuleFinding("FX-1", INFO, message)


def ind_2(case: GateCase) -> RuleFinding | None:
    if not case.facts.indication_features:
        return None
    return RuleFinding("IND-2", INFO, f"Indications present: {'; '.join(case.facts.indication_features)}.")


def dxa_3(case: GateCase) -> RuleFinding | None:
    days = sorted({s.scanned_on for s in dexa_scans_on(case.record, case.on) if is_breastfeeding_on(case.record, s.scanned_on)})
    if not days:
        return None
    return RuleFinding(
        "DXA-3", INFO,
        f"DEXA on {', '.join(written_date(d) for d in days)} taken while breastfeeding: "
        "bone density lost in lactation usually recovers after weaning.",
    )


def bp_2(case: GateCase) -> RuleFinding | None:
    if not case.facts.pregnant:
        return None
    earlier = medications_started_on(case.record, case.on, codes.BISPHOSPHONATES)
    if not earlier:
        return None
    drugs = ", ".join(dict.fromkeys(codes.DRUG_NAMES[m.drug] for m in earlier))
    return RuleFinding(
        "BP-2", INFO,
        f"Pregnant and has had a bisphosphonate before ({drugs}, first on {written_date(earlier[0].started_on)}).",
    )


def sup_1(case: GateCase) -> RuleFinding | None:
    if case.drug != "calcium_vitamin_d":
        return None
    return RuleFinding("SUP-1", INFO, "Calcium and vitamin D are compatible with pregnancy and breastfeeding.")


def preg_2(case: GateCase, verdict: str) -> RuleFinding | None:
    """Depends on the verdict of the other rules (info rules never change it)."""
    if not case.osteoporosis_drug or verdict == "blocked" or not case.may_become_pregnant:
        return None
    return RuleFinding("PREG-2", INFO, f"Confirm a negative pregnancy test before the first dose of {case.drug_name}.")


def risk_1(case: GateCase) -> RuleFinding | None:
    named = [r.replace("_", " ") for r in RISK_FACTORS_TO_NAME if r in case.record.risk_factors]
    if not named:
        return None
    return RuleFinding("RISK-1", INFO, f"Risk factors: {', '.join(named)}.")


# The spec table, in its order (PREG-2 runs after the verdict is known).
RULES: tuple[tuple[str, Rule], ...] = (
    ("PREG-1", preg_1), ("BF-1", bf_1), ("DATA-1", data_1), ("RAL-1", ral_1),
    ("PTH-1", pth_1), ("PTH-2", pth_2), ("PTH-3", pth_3), ("AR-1", ar_1), ("AR-2", ar_2),
    ("AR-3", ar_3), ("REN-1", ren_1), ("IND-1", ind_1), ("DXA-1", dxa_1), ("PTH-ALP", pth_alp),
    ("BP-1", bp_1), ("CON-1", con_1), ("OFF-1", off_1), ("DMAB-2", dmab_2), ("DEN-1", den_1),
    ("WU-1", wu_1), ("FX-1", fx_1), ("IND-2", ind_2), ("DXA-3", dxa_3), ("BP-2", bp_2),
    ("SUP-1", sup_1), ("PREG-2", None), ("RISK-1", risk_1),
)
RULE_IDS: tuple[str, ...] = tuple(rule_id for rule_id, _ in RULES)


def verdict_of(findings: tuple[RuleFinding, ...] | list[RuleFinding]) -> str:
    levels = {f.level for f in findings}
    if BLOCK in levels:
        return "blocked"
    return "needs_reason" if WARN in levels else "allowed"


def _checked_request(drug: object, on: object, course_days: object, settings: ClinicSettings) -> int:
    problems = []
    if drug not in codes.DRUGS:
        problems.append(Problem("drug", f"'{drug}' is not a drug code (one of {', '.join(codes.DRUGS)})"))
    if not isinstance(on, date) or isinstance(on, datetime):
        problems.append(Problem("on", f"'{on}' is not a date"))
    if course_days is None:
        course_days = settings.default_course_days
    elif isinstance(course_days, bool) or not isinstance(course_days, int) or course_days < 1:
        problems.append(Problem("course_days", f"'{course_days}' is not a whole number of days (1 or more)"))
    if problems:
        raise ValidationError(problems)
    return course_days  # type: ignore[return-value]


def check_medication(
    record: PatientRecord,
    drug: str,
    on: date,
    *,
    course_days: int | None = None,
    settings: ClinicSettings = DEFAULT_SETTINGS,
) -> GateResult:
    """Whether starting `drug` on `on` is blocked, needs a reason, or is allowed, and why."""
    course = _checked_request(drug, on, course_days, settings)
    facts = clinical_facts(record, on, settings)
    case = GateCase(record=record, drug=drug, on=on, course_days=course, settings=settings, facts=facts)
    if case.osteoporosis_drug:
        fired = [f for _, rule in RULES if rule is not None and (f := rule(case)) is not None]
    else:  # calcium_vitamin_d: always allowed, only SUP-1
        fired = [f for f in (sup_1(case),) if f is not None]
    verdict = verdict_of(fired)
    late = preg_2(case, verdict)
    if late is not None:
        fired.append(late)
    order = {rule_id: n for n, rule_id in enumerate(RULE_IDS)}
    fired.sort(key=lambda f: (LEVELS.index(f.level), order[f.id]))
    review_on = bf_1_review_on(case) if any(f.id == "BF-1" for f in fired) else None
    return GateResult(
        patient=record.identifier,
        drug=drug,
        on=on,
        verdict=verdict,
        review_on=review_on,
        rules=tuple(fired),
        facts=GateFacts.from_clinical_facts(facts),
    )
