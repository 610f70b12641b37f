"""One woman's record as the patient window shows it: the banner, the overview and every list.

`patient_view(patient_id, on)` is one call returning plain frozen values, read with a
fixed number of queries whatever the size of her record (her snapshot, then the
clinic's settings).  Everything clinical in it comes from the gate, judged as of
`on`: the alerts are the gate's own facts put in words (a rule is never worked out
again here), the verdicts are `check_medication`'s, the tasks are `patient_tasks`'.

The later sections of the window (pregnancies and feeding, fractures, DEXA, bloods,
height, EPDS, medications and decisions, referrals, audit history) read the lists
kept here; `patient_audit_history(patient_id)` reads her audit trail.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, replace
from datetime import date, datetime

from pao_clinic.clinic_settings import ClinicSettings
from pao_clinic.gate import (
    ClinicalFacts, DexaHistory, GateFacts, GateResult, WorklistTask, check_medication, clinical_facts,
    interpret_dexa_history, patient_tasks,
)
from pao_clinic.gate.facts import fracture_description, written_number
from pao_clinic.gate.worklist import PatientDay, mood
from pao_clinic.record import (
    BloodResult, Decision, DexaScan, EpdsScreen, Feeding, Fracture, HeightMeasurement, Medication,
    PatientRecord, Pregnancy, Referral, codes,
)
from pao_clinic.record.dates import age_on, written_date
from pao_clinic.record.nhs_number import format_nhs_number
from pao_clinic.services.clinic import clinic_settings
from pao_clinic.services.snapshots import load_patient_record
from pao_clinic.storage.models import AuditEntry

NOTHING = "\u2014"

#: The drug groups the overview asks the gate about, each by one drug of the group
#: (the group's name for people, the drug code asked).  The gate judges a drug, not a
#: group: the overview says which drug stood for its group.
DRUG_GROUPS: tuple[tuple[str, str], ...] = (
    ("Oral bisphosphonate", "alendronate"),
    ("Intravenous bisphosphonate", "zoledronate"),
    ("Denosumab", "denosumab"),
    ("PTH analogue", "teriparatide"),
    ("Romosozumab", "romosozumab"),
    ("Raloxifene", "raloxifene"),
    ("Calcium and vitamin D", "calcium_vitamin_d"),
)

#: Lactation codes (codes.LACTATION_STATUSES) in words.
LACTATION_WORDS: dict[str, str] = {
    "breastfeeding": "Breastfeeding",
    "ceased": "Breastfed, now stopped",
    "unknown": "Unknown: ask",
    "not_breastfed": "Did not breastfeed",
    "not_applicable": "No births",
}

PLAN_WORDS: dict[str, str] = {
    "start": "Start", "defer": "Defer", "conservative": "Conservative care", "stop": "Stop",
}

# Kinds of alert, for the banner's badges (each alert also says what it is in words).
ALERT_PREGNANT = "pregnant"
ALERT_BREASTFEEDING = "breastfeeding"
ALERT_LACTATION_UNKNOWN = "lactation_unknown"
ALERT_MOOD = "mood"
ALERT_REPEAT_FRACTURE = "repeat_fracture"

# Rules whose firing is what "osteoporosis drugs deferred" means in an alert.
_DEFERRING_RULES = {ALERT_PREGNANT: "PREG-1", ALERT_BREASTFEEDING: "BF-1", ALERT_LACTATION_UNKNOWN: "DATA-1"}


# --- the values ------------------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class PatientAlert:
    """One thing everyone opening her record must see, in words (never colour alone)."""

    kind: str        # ALERT_*
    text: str        # the badge: "Pregnant: osteoporosis drugs deferred"
    detail: str      # the longer explanation (tooltip, accessible description)
    rule_id: str | None = None  # the gate rule behind "deferred", when one fired


@dataclass(frozen=True, slots=True)
class PatientBanner:
    """Who she is, as NHS banners write it, and her alerts."""

    patient_id: int
    name: str               # "WIŚNIEWSKA-O'BRIEN, Łucja"
    family_name: str
    given_name: str
    date_of_birth: date
    born: str               # "12-Apr-1991 (35 y)"
    age: int
    nhs_number: str         # "943 476 5919", "" when none
    hospital_number: str    # "" when none
    alerts: tuple[PatientAlert, ...]

    @property
    def identifier(self) -> str:
        return self.nhs_number or self.hospital_number


@dataclass(frozen=True, slots=True)
class FactLine:
    """One of the gate's seven facts, named and valued in words."""

    key: str      # GateFacts field
    label: str
    words: str
    hint: str = ""  # what the fact means, for a tooltip


@dataclass(frozen=True, slots=True)
class DrugGroupVerdict:
    """The gate's answer for one drug group (asked for one drug of it) on the day."""

    group: str
    drug: str
    drug_name: str
    result: GateResult

    @property
    def verdict(self) -> str:
        return self.result.verdict

    @property
    def rule_ids(self) -> tuple[str, ...]:
        return self.result.rule_ids()

    @property
    def reasons(self) -> tuple[str, ...]:
        """Each rule that fired as `ID: why`, block first (the gate's order)."""
        return tuple(f"{r.id}: {r.message}" for r in self.result.rules)


@dataclass(frozen=True, slots=True)
class PatientOverview:
    on: date
    facts: tuple[FactLine, ...]
    gate_facts: GateFacts
    verdicts: tuple[DrugGroupVerdict, ...]
    tasks: tuple[WorklistTask, ...]          # her worklist tasks on the day, in the worklist's order
    latest_decision: Decision | None
    latest_decision_words: str
    review_on: date | None                   # the latest decision's review date

    def verdict_for(self, drug: str) -> DrugGroupVerdict:
        return next(v for v in self.verdicts if v.drug == drug)


@dataclass(frozen=True, slots=True)
class PatientView:
    """Everything the patient window shows for her on one day."""

    patient_id: int
    on: date
    banner: PatientBanner
    overview: PatientOverview
    record: PatientRecord           # the snapshot, with ids and versions for the entry forms
    settings: ClinicSettings
    pregnancies: tuple[Pregnancy, ...]
    feeding: tuple[Feeding, ...]
    fractures: tuple[Fracture, ...]
    dexa: tuple[DexaScan, ...]
    dexa_reading: DexaHistory
    bloods: tuple[BloodResult, ...]
    heights: tuple[HeightMeasurement, ...]
    epds: tuple[EpdsScreen, ...]
    medications: tuple[Medication, ...]
    decisions: tuple[Decision, ...]
    referrals: tuple[Referral, ...]


@dataclass(frozen=True, slots=True)
class AuditHistoryEntry:
    """One line of her record's audit trail: who did what to which entry, before and after."""

    at: datetime
    user_name: str
    action: str
    record_type: str
    record_id: int | None
    before: dict | None
    after: dict | None

    @property
    def words(self) -> str:
        return f"{self.action} {self.record_type.replace('_', ' ')}"


# --- words ---------------------------------------------------------------------------

def banner_name(family_name: str, given_name: str) -> str:
    """`WIŚNIEWSKA-O'BRIEN, Łucja`: the family name in capitals (Unicode-aware), the given name as recorded."""
    return f"{family_name.upper()}, {given_name}"


def born_words(date_of_birth: date, on: date) -> str:
    return f"{written_date(date_of_birth)} ({age_on(date_of_birth, on)} y)"


def fact_lines(facts: GateFacts) -> tuple[FactLine, ...]:
    """The gate's seven facts in words, in the gate's order."""
    return (
        FactLine("pregnant", "Pregnant", "Yes" if facts.pregnant else "No",
                 "An ongoing pregnancy, or one that ends after this day"),
        FactLine("lactation", "Lactation", LACTATION_WORDS.get(facts.lactation, facts.lactation),
                 "Breastfeeding status after her most recent birth"),
        FactLine("index_date", "Index date",
                 written_date(facts.index_date) if facts.index_date else "None",
                 "The day her first fragility fracture was identified (none: no fragility fracture)"),
        FactLine("repeat_fractures", "Repeat fractures", str(facts.repeat_fractures),
                 "Fractures after the presentation at a new site, or a vertebral level that progressed"),
        FactLine("vertebral_fractures_at_presentation", "Vertebral fractures at presentation",
                 str(facts.vertebral_fractures_at_presentation),
                 "Distinct vertebral levels fractured within 14 days of the index date"),
        FactLine("lowest_z", "Lowest Z-score",
                 written_number(facts.lowest_z) if facts.lowest_z is not None else "None",
                 "The lowest Z-score of her latest DEXA (none: no DEXA, or T-scores only)"),
        FactLine("anabolic_days_used", "Anabolic days used", str(facts.anabolic_days_used),
                 "Days of PTH analogue (teriparatide, abaloparatide) so far, of a lifetime limit"),
    )


def decision_words(decision: Decision | None) -> str:
    if decision is None:
        return "No treatment decision recorded"
    plan = PLAN_WORDS.get(decision.plan, decision.plan)
    drug = f" {codes.DRUG_NAMES.get(decision.drug, decision.drug)}" if decision.drug else ""
    review = f"; review on {written_date(decision.review_on)}" if decision.review_on else "; no review date"
    return f"{plan}{drug} on {written_date(decision.decided_on)} by {decision.by}{review}"


# --- alerts, from the gate's facts -------------------------------------------------------

def _deferred(kind: str, verdicts: tuple[DrugGroupVerdict, ...]) -> str | None:
    """The rule id when the gate fired the rule that defers osteoporosis drugs for this alert."""
    rule_id = _DEFERRING_RULES.get(kind)
    if rule_id is None:
        return None
    fired = any(rule_id in v.rule_ids for v in verdicts if v.drug in codes.OSTEOPOROSIS_DRUGS)
    return rule_id if fired else None


def _feeding_words(entry: Feeding, on: date) -> str:
    since = f"since {written_date(entry.started_on)}" if entry.started_on else "start date not recorded"
    if entry.stopped_on is not None:
        stop = f"last feed {written_date(entry.stopped_on)}"
    elif entry.planned_stop_on is None:
        stop = "no stop date recorded"
    elif entry.planned_stop_on >= on:
        stop = f"planned stop {written_date(entry.planned_stop_on)}"
    else:
        stop = f"planned stop {written_date(entry.planned_stop_on)} (passed: ask whether she has stopped)"
    return f"{since}, {stop}"


def _rule_message(rule_id: str, verdicts: tuple[DrugGroupVerdict, ...]) -> str:
    for verdict in verdicts:
        for rule in verdict.result.rules:
            if rule.id == rule_id:
                return rule.message
    return ""


def patient_alerts(record: PatientRecord, facts: ClinicalFacts, verdicts: tuple[DrugGroupVerdict, ...],
                   tasks: tuple[WorklistTask, ...], settings: ClinicSettings) -> tuple[PatientAlert, ...]:
    """Her alerts on the day, every one read off the gate's facts, verdicts and tasks."""
    alerts: list[PatientAlert] = []
    on = facts.on

    def add(kind: str, text: str, detail: str, *, say_deferred: bool = True) -> None:
        rule_id = _deferred(kind, verdicts)
        if rule_id is not None:
            if say_deferred:
                text += ": osteoporosis drugs deferred"
            detail = f"{detail} {rule_id}: {_rule_message(rule_id, verdicts)}"
        alerts.append(PatientAlert(kind, text, detail, rule_id))

    if facts.pregnant:
        add(ALERT_PREGNANT, "Pregnant", f"Pregnant on {written_date(on)}.")
    for entry in facts.breastfeeding_entries:
        words = _feeding_words(entry, on)
        add(ALERT_BREASTFEEDING, f"Breastfeeding {words}", f"Breastfeeding on {written_date(on)}, {words}.")
    if facts.lactation == "unknown":
        birth = facts.birth_without_feeding_entry
        after = f" for the birth on {written_date(birth.ended_on)}" if birth and birth.ended_on else ""
        add(ALERT_LACTATION_UNKNOWN, "Lactation unknown: ask",
            f"No feeding entry{after}: ask whether she breastfed, and when she stopped.", say_deferred=False)
    # The worklist's own mood rule, asked as if no referral had been made: the banner
    # shows a high or self-harm EPDS whether or not she has been referred since.
    day = PatientDay(record=replace(record, referrals=()), on=on, settings=settings, facts=facts)
    for task in mood(day):
        screened = [e for e in record.epds if e.assessed_on == task.due_on]
        score = max(e.score for e in screened)
        self_harm = max(e.self_harm_item for e in screened)
        text = f"EPDS {score} on {written_date(task.due_on)}"
        if self_harm > 0:
            text += f", self-harm item {self_harm}"
        referred = not any(t.code == "MOOD" for t in tasks)
        alerts.append(PatientAlert(ALERT_MOOD, text, (
            f"EPDS on {written_date(task.due_on)}: score {score} (the clinic acts at {settings.epds_high_score} "
            f"or more), self-harm item {self_harm}; "
            + ("a mental health referral has been made since." if referred
               else "no mental health referral since: assess and refer."))))
    if facts.repeat_fractures:
        n = len(facts.repeat_fractures)
        alerts.append(PatientAlert(
            ALERT_REPEAT_FRACTURE, "Repeat fracture" if n == 1 else f"Repeat fractures ({n})",
            "Repeat fracture after the presentation: "
            + ", ".join(fracture_description(f) for f in facts.repeat_fractures) + "."))
    return tuple(alerts)


# --- reading -------------------------------------------------------------------------

def _by_day(items, attribute: str) -> tuple:
    """Oldest first by their main date (undated last), the record's order kept on ties."""
    return tuple(sorted(items, key=lambda item: (getattr(item, attribute) is None,
                                                 getattr(item, attribute) or date.min)))


def _latest_decision(decisions: tuple[Decision, ...], on: date) -> Decision | None:
    made = [d for d in decisions if d.decided_on <= on]
    return max(made, key=lambda d: (d.decided_on, d.id or 0), default=None)


def view_of_record(record: PatientRecord, on: date, settings: ClinicSettings) -> PatientView:
    """The patient window's values for a snapshot (pure: no database)."""
    facts = clinical_facts(record, on, settings)
    verdicts = tuple(
        DrugGroupVerdict(group, drug, codes.DRUG_NAMES[drug], check_medication(record, drug, on, settings=settings))
        for group, drug in DRUG_GROUPS
    )
    gate_facts = GateFacts.from_clinical_facts(facts)
    tasks = tuple(sorted(patient_tasks(record, on, settings), key=lambda t: t.sort_key))
    latest = _latest_decision(record.decisions, on)
    banner = PatientBanner(
        patient_id=record.id,
        name=banner_name(record.family_name, record.given_name),
        family_name=record.family_name,
        given_name=record.given_name,
        date_of_birth=record.date_of_birth,
        born=born_words(record.date_of_birth, on),
        age=age_on(record.date_of_birth, on),
        nhs_number=format_nhs_number(record.nhs_number) if record.nhs_number else "",
        hospital_number=record.hospital_number or "",
        alerts=patient_alerts(record, facts, verdicts, tasks, settings),
    )
    overview = PatientOverview(
        on=on,
        facts=fact_lines(gate_facts),
        gate_facts=gate_facts,
        verdicts=verdicts,
        tasks=tasks,
        latest_decision=latest,
        latest_decision_words=decision_words(latest),
        review_on=latest.review_on if latest else None,
    )
    return PatientView(
        patient_id=record.id,
        on=on,
        banner=banner,
        overview=overview,
        record=record,
        settings=settings,
        pregnancies=tuple(sorted(record.pregnancies, key=lambda p: p.number)),
        feeding=_by_day(record.breastfeeding, "started_on"),
        fractures=_by_day(record.fractures, "identified_on"),
        dexa=_by_day(record.dexa, "scanned_on"),
        dexa_reading=interpret_dexa_history(record, on, settings),
        bloods=_by_day(record.bloods, "taken_on"),
        heights=_by_day(record.heights, "measured_on"),
        epds=_by_day(record.epds, "assessed_on"),
        medications=_by_day(record.medications, "started_on"),
        decisions=_by_day(record.decisions, "decided_on"),
        referrals=_by_day(record.referrals, "created_on"),
    )


def patient_view(patient_id: int, on: date | None = None) -> PatientView:
    """Her record for the patient window on a day (today when not given).

    Queries: her snapshot (one per table) and the clinic's settings, whatever the
    number of entries she has.  NotFoundError when there is no such live patient.
    """
    on = on or date.today()
    record = load_patient_record(patient_id)
    return view_of_record(record, on, clinic_settings())


def _json_or_none(text: str | None) -> dict | None:
    return None if text is None else json.loads(text)


def patient_audit_history(patient_id: int) -> tuple[AuditHistoryEntry, ...]:
    """Every audit entry about her record, oldest first (one query)."""
    query = (AuditEntry
             .select(AuditEntry.at, AuditEntry.user_name, AuditEntry.action, AuditEntry.record_type,
                     AuditEntry.record_id, AuditEntry.before, AuditEntry.after)
             .where(AuditEntry.patient == patient_id)
             .order_by(AuditEntry.at, AuditEntry.id))
    return tuple(
        AuditHistoryEntry(at=row.at, user_name=row.user_name, action=row.action, record_type=row.record_type,
                          record_id=row.record_id, before=_json_or_none(row.before), after=_json_or_none(row.after))
        for row in query
    )


__all__ = [
    "DRUG_GROUPS", "LACTATION_WORDS", "PLAN_WORDS",
    "ALERT_PREGNANT", "ALERT_BREASTFEEDING", "ALERT_LACTATION_UNKNOWN", "ALERT_MOOD", "ALERT_REPEAT_FRACTURE",
    "PatientAlert", "PatientBanner", "FactLine", "DrugGroupVerdict", "PatientOverview", "PatientView",
    "AuditHistoryEntry", "banner_name", "born_words", "fact_lines", "decision_words", "patient_alerts",
    "view_of_record", "patient_view", "patient_audit_history",
]
