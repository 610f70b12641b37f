"""The caseload list and the nurse's worklist, read for the whole clinic at once.

Each woman's caseload line carries her status flags for the day (blocked by pregnancy
or breastfeeding, decision due, repeat fracture, referral overdue, mood), each in
words; they are read off the gate's facts, the gate's own block rules and her
worklist tasks, all worked out once per woman from the same read of the caseload.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Iterable, Iterator, Mapping

from pao_clinic.clinic_settings import ClinicSettings
from pao_clinic.gate import clinical_facts, worklist
from pao_clinic.gate.facts import ClinicalFacts, fracture_description, written_date
from pao_clinic.gate.rules import GateCase, bf_1, preg_1
from pao_clinic.gate.task_words import TASK_WORDS, task_words
from pao_clinic.gate.worklist import TASKS, PatientDay, SentLetter, WorklistTask
from pao_clinic.record import PatientRecord, codes
from pao_clinic.record.dates import age_on
from pao_clinic.record.nhs_number import format_nhs_number
from pao_clinic.services.clinic import clinic_settings
from pao_clinic.services.caseload_halves import start_later_half
from pao_clinic.services.snapshots import LIST_NAMES, collector_paused, load_patient_records, patient_record_batches

# Kinds of status flag on a caseload line (each flag also carries its words).
FLAG_PREGNANT = "blocked_pregnant"
FLAG_BREASTFEEDING = "blocked_breastfeeding"
FLAG_DECISION_DUE = "decision_due"
FLAG_REPEAT_FRACTURE = "repeat_fracture"
FLAG_REFERRAL_OVERDUE = "referral_overdue"
FLAG_MOOD = "mood"
FLAG_KINDS: tuple[str, ...] = (FLAG_PREGNANT, FLAG_BREASTFEEDING, FLAG_DECISION_DUE, FLAG_REPEAT_FRACTURE,
                               FLAG_REFERRAL_OVERDUE, FLAG_MOOD)

#: What the caseload lines and the worklist read of each record: her facts, the worklist's rules and the
#: gate's pregnancy and breastfeeding blocks need neither contraception, dental reviews nor risk factors
#: (tests/test_caseload.py checks the answers are those of the whole record).
CASELOAD_LISTS: tuple[str, ...] = tuple(n for n in LIST_NAMES if n not in ("contraception", "dental_reviews"))


def _caseload_records(*, after: int = 0, up_to: int | None = None) -> Iterator[PatientRecord]:
    """Every live woman's record as the caseload reads it, a batch at a time (memory stays bounded).

    `after`, `up_to`: only the women with an id above `after` and at most `up_to` (a half of the caseload).
    """
    for batch in patient_record_batches(lists=CASELOAD_LISTS, risk_factors=False, after=after, up_to=up_to):
        yield from batch


# the gate's block rules do not depend on which osteoporosis drug is asked about
_ANY_OSTEOPOROSIS_DRUG = sorted(codes.OSTEOPOROSIS_DRUGS)[0]


@dataclass(frozen=True, slots=True)
class CaseloadFlag:
    """One status flag on her caseload line: a badge in words, never colour alone."""

    kind: str          # FLAG_*
    text: str          # the badge: "Blocked: breastfeeding"
    detail: str        # why, in full (tooltip, accessible description)
    urgent: bool = False


@dataclass(frozen=True, slots=True)
class CaseloadRow:
    """One line of the caseload: who she is and where her care stands."""

    patient_id: int
    family_name: str
    given_name: str
    date_of_birth: date
    nhs_number: str          # shown as "943 476 5919", "" when none
    hospital_number: str
    age: int
    latest_delivery: date | None
    fracture_count: int
    lowest_z: float | None   # lowest Z-score of her latest DEXA
    lactation: str           # codes.LACTATION_STATUSES
    open_referrals: int
    flags: tuple[CaseloadFlag, ...] = ()
    open_tasks: int = 0      # her worklist tasks on the day
    urgent_tasks: int = 0    # of which urgent
    worked_out: bool = True  # False: a first line read before her facts and tasks (`caseload_first_rows`):
                             # flags, lowest Z, lactation and tasks are not known yet

    @property
    def name(self) -> str:
        return f"{self.family_name}, {self.given_name}"

    def has_flag(self, kind: str) -> bool:
        return any(flag.kind == kind for flag in self.flags)

    @property
    def flag_words(self) -> tuple[str, ...]:
        return tuple(flag.text for flag in self.flags)


def _plural(n: int, one: str, many: str) -> str:
    return one if n == 1 else f"{many} ({n})"


def caseload_flags(record: PatientRecord, facts: ClinicalFacts, tasks: list[WorklistTask],
                   settings: ClinicSettings) -> tuple[CaseloadFlag, ...]:
    """Her status flags on the day, in FLAG_KINDS order, from the gate's facts, block rules and her tasks."""
    case = GateCase(record=record, drug=_ANY_OSTEOPOROSIS_DRUG, on=facts.on,
                    course_days=settings.default_course_days, settings=settings, facts=facts)
    by_code: dict[str, list[WorklistTask]] = {}
    for task in tasks:
        by_code.setdefault(task.code, []).append(task)
    flags: list[CaseloadFlag] = []
    if (pregnant := preg_1(case)) is not None:
        flags.append(CaseloadFlag(FLAG_PREGNANT, "Blocked: pregnant", f"{pregnant.id}: {pregnant.message}"))
    if (feeding := bf_1(case)) is not None:
        flags.append(CaseloadFlag(FLAG_BREASTFEEDING, "Blocked: breastfeeding", f"{feeding.id}: {feeding.message}"))
    if due := by_code.get("DECISION-DUE"):
        flags.append(CaseloadFlag(FLAG_DECISION_DUE, "Decision due", " ".join(t.message for t in due)))
    if facts.repeat_fractures:
        new = by_code.get("REPEAT-FRACTURE")
        n = len(facts.repeat_fractures)
        detail = ("Repeat fracture after the presentation: "
                  + ", ".join(fracture_description(f) for f in facts.repeat_fractures) + ".")
        if new:
            detail += " " + " ".join(t.message for t in new)
        flags.append(CaseloadFlag(FLAG_REPEAT_FRACTURE, _plural(n, "Repeat fracture", "Repeat fractures"),
                                  detail, urgent=bool(new)))
    if overdue := by_code.get("REFERRAL-OVERDUE"):
        flags.append(CaseloadFlag(FLAG_REFERRAL_OVERDUE, _plural(len(overdue), "Referral overdue", "Referrals overdue"),
                                  " ".join(t.message for t in overdue)))
    if mood := by_code.get("MOOD"):
        task = mood[0]
        screened = [e for e in record.epds if e.assessed_on == task.due_on]
        score = max(e.score for e in screened)
        self_harm = max(e.self_harm_item for e in screened)
        text = f"Mood: EPDS {score}" + (", self-harm" if self_harm > 0 else "")
        flags.append(CaseloadFlag(FLAG_MOOD, text, task.message, urgent=task.priority == "urgent"))
    return tuple(flags)


def _tasks_of(record: PatientRecord, on: date, settings: ClinicSettings,
              letters: Mapping[str, SentLetter] | None = None) -> tuple[ClinicalFacts, list[WorklistTask]]:
    """Her facts and her worklist tasks on a day (her issued letters named in them), the facts worked out once."""
    facts = clinical_facts(record, on, settings)
    day = PatientDay(record=record, on=on, settings=settings, facts=facts, letters=letters or {})
    return facts, [task for _, rule in TASKS for task in rule(day)]


def caseload_row(record: PatientRecord, on: date, settings: ClinicSettings | None = None, *,
                 facts: ClinicalFacts | None = None, tasks: list[WorklistTask] | None = None) -> CaseloadRow:
    """Her caseload line on a date, from her snapshot (facts and tasks worked out when not given)."""
    settings = settings or clinic_settings()
    if facts is None or tasks is None:
        facts, tasks = _tasks_of(record, on, settings)
    deliveries = [p.ended_on for p in facts.births if p.ended_on and p.ended_on <= on]
    return CaseloadRow(
        patient_id=record.id,
        family_name=record.family_name,
        given_name=record.given_name,
        date_of_birth=record.date_of_birth,
        nhs_number=format_nhs_number(record.nhs_number) if record.nhs_number else "",
        hospital_number=record.hospital_number or "",
        age=age_on(record.date_of_birth, on),
        latest_delivery=max(deliveries) if deliveries else None,
        fracture_count=len(record.fractures),
        lowest_z=facts.lowest_z,
        lactation=facts.lactation,
        open_referrals=sum(1 for r in record.referrals if r.status in codes.OPEN_REFERRAL_STATUSES),
        flags=caseload_flags(record, facts, tasks, settings),
        open_tasks=len(tasks),
        urgent_tasks=sum(1 for t in tasks if t.priority == "urgent"),
    )


@dataclass(frozen=True, slots=True)
class CaseloadOverview:
    """What the caseload window shows: every patient's line and today's worklist."""

    on: date
    rows: tuple[CaseloadRow, ...]
    tasks: tuple[WorklistTask, ...]
    tasks_by_patient: Mapping[int, tuple[WorklistTask, ...]] = field(default_factory=dict)  # patient id -> hers


def caseload_overview(on: date | None = None) -> CaseloadOverview:
    """The caseload lines and the worklist from one read of the whole caseload.

    A fixed number of queries whatever the size; each woman's facts and tasks are
    worked out once and give both her line (with its flags) and her share of the worklist.
    """
    on = on or date.today()
    (rows, by_patient), (later_rows, later_tasks) = _in_halves("overview", on, clinic_settings(), ([], {}))
    rows += later_rows
    by_patient.update(later_tasks)
    return _overview(on, rows, by_patient)


def _in_halves(kind: str, on: date, settings: ClinicSettings, nothing):
    """`worked_out_part` of the whole caseload as (first half, later half): a large caseload's later half
    from a second process (`caseload_halves`), else `nothing` (the first half is then everyone)."""
    later = start_later_half(kind, on, settings)
    try:
        first = worked_out_part(kind, on, settings, up_to=later.after)
        return first, later.answer(lambda after: worked_out_part(kind, on, settings, after=after), nothing)
    finally:
        later.stop()


def worked_out_part(kind: str, on: date, settings: ClinicSettings, *, after: int = 0, up_to: int | None = None):
    """The women with an id above `after` and at most `up_to`, worked out on `on`: "worklist", their tasks
    (`gate.worklist` order); "overview", their lines and their tasks by woman (`_worked_out`).

    Either process of `caseload_halves` works its half out with this, so the halves join into one answer.
    """
    from pao_clinic.services.letters import sent_letters  # here: importing the letters' PDF code costs 0.3 s

    letters = sent_letters()
    with collector_paused():  # every woman's facts, line and tasks: values that form no cycles
        records = _caseload_records(after=after, up_to=up_to)
        if kind == "worklist":
            return worklist(records, on, settings, letters=letters)
        if kind == "overview":
            return _worked_out(records, on, settings, letters)
    raise ValueError(f"not a part of the caseload to work out: {kind!r}")


def _worked_out(records: Iterable[PatientRecord], on: date, settings: ClinicSettings,
                letters: Mapping[int, Mapping[str, SentLetter]]) -> tuple[list[CaseloadRow], dict[int, tuple]]:
    """Each woman's line and her tasks, her facts worked out once for both."""
    rows: list[CaseloadRow] = []
    by_patient: dict[int, tuple[WorklistTask, ...]] = {}
    for record in records:
        facts, hers = _tasks_of(record, on, settings, letters.get(record.id))
        rows.append(caseload_row(record, on, settings, facts=facts, tasks=hers))
        if hers:
            by_patient[record.id] = tuple(hers)
    return rows, by_patient


def _overview(on: date, rows: list[CaseloadRow], by_patient: dict[int, tuple[WorklistTask, ...]]) -> CaseloadOverview:
    tasks = [task for hers in by_patient.values() for task in hers]
    tasks.sort(key=lambda t: t.sort_key)  # as gate.worklist orders them
    return CaseloadOverview(on=on, rows=tuple(rows), tasks=tuple(tasks), tasks_by_patient=by_patient)


def caseload_overview_updated(previous: CaseloadOverview, patient_ids: Iterable[int]) -> CaseloadOverview:
    """`previous` with the lines and tasks of these women worked out again (a woman no longer live: no line).

    For the window when others save: the women named by the new audit entries are read
    (a fixed number of queries, whatever the caseload's size) and everyone else's line and
    tasks are kept as they were worked out, on the same day.  The answer is the one
    `caseload_overview(previous.on)` would give when only these women changed since.
    """
    from pao_clinic.services.letters import sent_letters

    changed = set(patient_ids)
    on = previous.on
    records = load_patient_records(changed, lists=CASELOAD_LISTS, risk_factors=False) if changed else []
    with collector_paused():
        fresh_rows, fresh_tasks = _worked_out(records, on, clinic_settings(), sent_letters(changed) if changed else {})
    lines = {row.patient_id: row for row in previous.rows if row.patient_id not in changed}
    lines.update((row.patient_id, row) for row in fresh_rows)
    by_patient = {pid: hers for pid, hers in previous.tasks_by_patient.items() if pid not in changed}
    by_patient.update(fresh_tasks)
    return _overview(on, [lines[pid] for pid in sorted(lines)], by_patient)


def caseload_first_rows(on: date | None = None) -> list[CaseloadRow]:
    """Every live patient's line before her facts and tasks are worked out: one SELECT, for the window to show first.

    Who she is, her age, her latest delivery, live fractures and open referrals are read
    straight from the tables; flags, lowest Z-score, lactation and tasks are left unknown
    (`worked_out=False`) until `caseload_overview` has worked them out.
    """
    from pao_clinic.storage.connection import database

    on = on or date.today()
    return first_lines_of(database.execute(first_lines_query(on)).fetchall(), on)


def first_lines_query(on: date):
    """The one SELECT of `caseload_first_rows`: each live woman's identity, latest delivery and counts, by id."""
    from peewee import JOIN, fn

    from pao_clinic.storage.models import FractureRow, Patient, PregnancyRow, ReferralRow

    deliveries = (PregnancyRow.select(PregnancyRow.patient, fn.MAX(PregnancyRow.ended_on).alias("latest"))
                  .where(PregnancyRow.entered_in_error_at.is_null(), PregnancyRow.outcome.in_(codes.BIRTH_OUTCOMES),
                         PregnancyRow.ended_on.is_null(False), PregnancyRow.ended_on <= on)
                  .group_by(PregnancyRow.patient).alias("deliveries"))
    fractures = (FractureRow.select(FractureRow.patient, fn.COUNT(FractureRow.id).alias("n"))
                 .where(FractureRow.entered_in_error_at.is_null())
                 .group_by(FractureRow.patient).alias("fractures"))
    referrals = (ReferralRow.select(ReferralRow.patient, fn.COUNT(ReferralRow.id).alias("n"))
                 .where(ReferralRow.entered_in_error_at.is_null(),
                        ReferralRow.status.in_(sorted(codes.OPEN_REFERRAL_STATUSES)))
                 .group_by(ReferralRow.patient).alias("referrals"))
    return (Patient.select(Patient.id, Patient.family_name, Patient.given_name, Patient.date_of_birth,
                           Patient.nhs_number, Patient.hospital_number, deliveries.c.latest, fractures.c.n,
                           referrals.c.n)
            .join(deliveries, JOIN.LEFT_OUTER, on=(deliveries.c.patient_id == Patient.id))
            .join(fractures, JOIN.LEFT_OUTER, on=(fractures.c.patient_id == Patient.id))
            .join(referrals, JOIN.LEFT_OUTER, on=(referrals.c.patient_id == Patient.id))
            .where(Patient.entered_in_error_at.is_null())
            .order_by(Patient.id))


def first_lines_of(raw_rows: Iterable[tuple], on: date) -> list[CaseloadRow]:
    """`first_lines_query`'s driver rows as caseload lines for the day `on` (not worked out)."""
    from pao_clinic.services.snapshots import _as_date as as_date  # SQLite's text dates, parsed once each

    rows = []
    for pid, family, given, born, nhs, hospital, latest, n_fractures, n_referrals in raw_rows:
        born, latest = as_date(born), as_date(latest)
        rows.append(CaseloadRow(
            patient_id=pid, family_name=family, given_name=given, date_of_birth=born,
            nhs_number=format_nhs_number(nhs) if nhs else "", hospital_number=hospital or "",
            age=age_on(born, on), latest_delivery=latest, fracture_count=n_fractures or 0, lowest_z=None,
            lactation="", open_referrals=n_referrals or 0, worked_out=False))
    return rows


def caseload_rows(on: date | None = None) -> list[CaseloadRow]:
    """Every live patient's caseload line, flags included (a fixed number of queries)."""
    return list(caseload_overview(on).rows)


def caseload_worklist(on: date | None = None) -> list[WorklistTask]:
    """The nurse's tasks for the whole caseload on a date, in the spec's order."""
    tasks, later_tasks = _in_halves("worklist", on or date.today(), clinic_settings(), [])
    tasks += later_tasks
    tasks.sort(key=lambda t: t.sort_key)  # each half in order: one merge (as gate.worklist orders them)
    return tasks


__all__ = [
    "FLAG_PREGNANT", "FLAG_BREASTFEEDING", "FLAG_DECISION_DUE", "FLAG_REPEAT_FRACTURE", "FLAG_REFERRAL_OVERDUE",
    "FLAG_MOOD", "FLAG_KINDS", "CaseloadFlag", "CaseloadRow", "caseload_flags", "caseload_row", "CaseloadOverview",
    "caseload_overview", "caseload_overview_updated", "caseload_first_rows", "caseload_rows", "caseload_worklist", "TASK_WORDS", "task_words",
]
