"""The nurse's worklist: what needs doing for each woman on day D.

Pure and linear in its input: the caller loads every record (a fixed number of
queries) and passes them in; each record is read once, as of D (anything dated after
D does not exist).  One function per task code of `shared/spec/medication-gate.md`
(Worklist), listed in `TASKS`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Callable, Iterable, Iterator, Mapping

from pao_clinic.record import codes
from pao_clinic.clinic_settings import DEFAULT_SETTINGS, ClinicSettings
from pao_clinic.gate.facts import (
    ONE_DAY,
    ClinicalFacts,
    anabolic_days_used,
    clinical_facts,
    feeding_stopped_on,
    fracture_description,
    medications_started_on,
    written_date,
    written_number,
)
from pao_clinic.record import PatientRecord

PRIORITIES: tuple[str, ...] = ("urgent", "high", "routine")


@dataclass(frozen=True, slots=True)
class WorklistTask:
    """One thing to do for one woman, and by when."""

    patient: str
    code: str
    priority: str
    due_on: date
    message: str

    def to_json(self) -> dict:
        return {
            "patient": self.patient,
            "code": self.code,
            "priority": self.priority,
            "due_on": self.due_on.isoformat(),
            "message": self.message,
        }

    @property
    def sort_key(self) -> tuple:
        """Priority (urgent, high, routine), due date oldest first, patient, code."""
        return (PRIORITIES.index(self.priority), self.due_on, self.patient, self.code, self.message)


@dataclass(frozen=True, slots=True)
class SentLetter:
    """The letter issued for one referral, as the services read it from the stored letters.

    The record does not hold issued letters (they are stored documents), so the caller
    passes them in: the rules stay pure functions of what they are given.
    """

    title: str                 # "Referral to physiotherapy"
    issued_on: date
    document_id: int | None = None


@dataclass(frozen=True, slots=True)
class PatientDay:
    """One woman's record and its facts on D, as every task reads them."""

    record: PatientRecord
    on: date
    settings: ClinicSettings
    facts: ClinicalFacts
    letters: Mapping[str, SentLetter] = field(default_factory=dict)   # referral ref -> its latest issued letter

    def task(self, code: str, priority: str, due_on: date, message: str) -> WorklistTask:
        return WorklistTask(self.record.identifier, code, priority, due_on, message)

    def days_since(self, day: date) -> int:
        return (self.on - day).days


TaskRule = Callable[[PatientDay], Iterator[WorklistTask]]


def lactation_unknown(p: PatientDay) -> Iterator[WorklistTask]:
    birth = p.facts.birth_without_feeding_entry
    if p.facts.lactation == "unknown" and birth is not None:
        yield p.task("LACTATION-UNKNOWN", "high", birth.ended_on,
                     f"Lactation unknown: record whether she breastfed after the birth on {written_date(birth.ended_on)}.")


def feeding_check(p: PatientDay) -> Iterator[WorklistTask]:
    for entry in p.facts.breastfeeding_entries:
        planned = entry.planned_stop_on
        if entry.stopped_on is None and planned is not None and planned < p.on:
            yield p.task("FEEDING-CHECK", "routine", planned + ONE_DAY,
                         f"Feeding was planned to stop on {written_date(planned)}: ask whether feeding has stopped.")


def decision_due(p: PatientDay) -> Iterator[WorklistTask]:
    if not p.facts.fragility_fractures or p.facts.lactation not in ("ceased", "not_breastfed"):
        return
    if p.facts.lactation == "ceased":
        stopped = feeding_stopped_on(p.record, p.on)
        since, due = stopped, stopped + ONE_DAY
        why = f"Feeding stopped on {written_date(stopped)}"
    else:
        since = due = p.facts.births[-1].ended_on
        why = f"Did not breastfeed after the birth on {written_date(since)}"
    if not any(since < d.decided_on <= p.on for d in p.record.decisions):
        yield p.task("DECISION-DUE", "high", due, f"{why} and no treatment decision is recorded since: a decision is due.")


def repeat_fracture(p: PatientDay) -> Iterator[WorklistTask]:
    latest = max((d.decided_on for d in p.record.decisions if d.decided_on <= p.on), default=None)
    new = [f for f in p.facts.repeat_fractures if latest is None or f.identified_on > latest]
    if new:
        since = f"since the last decision ({written_date(latest)})" if latest else "and no decision is recorded"
        yield p.task("REPEAT-FRACTURE", "urgent", min(f.identified_on for f in new),
                     f"Repeat fracture {since}: {', '.join(fracture_description(f) for f in new)}.")


def dexa_due(p: PatientDay) -> Iterator[WorklistTask]:
    if not p.facts.fragility_fractures:
        return
    scans = p.facts.latest_dexa  # latest_dexa(record, D), worked out once with her facts
    interval = p.settings.dexa_interval_days
    if not scans:
        yield p.task("DEXA-DUE", "routine", p.facts.index_date, "No DEXA since her fractures: arrange a DEXA scan.")
    elif p.days_since(scans[0].scanned_on) > interval:
        yield p.task("DEXA-DUE", "routine", scans[0].scanned_on + timedelta(days=interval + 1),
                     f"Latest DEXA on {written_date(scans[0].scanned_on)} is more than {interval} days old: arrange a repeat.")


def referral_overdue(p: PatientDay) -> Iterator[WorklistTask]:
    limits = {"urgent": p.settings.referral_overdue_urgent_days, "routine": p.settings.referral_overdue_routine_days}
    for referral in p.record.referrals:
        sent_on = referral.sent_on or referral.created_on
        if referral.status != "sent" or referral.urgency not in limits:
            continue
        limit = limits[referral.urgency]
        if p.days_since(sent_on) > limit:
            yield p.task("REFERRAL-OVERDUE", "high", sent_on + timedelta(days=limit + 1),
                         f"{referral.urgency.capitalize()} referral to {referral.specialty.replace('_', ' ')} sent on "
                         f"{written_date(sent_on)}{_letter_words(p.letters.get(referral.ref))} not acknowledged "
                         f"after {p.days_since(sent_on)} days: chase it.")


def _letter_words(letter: SentLetter | None) -> str:
    """` (letter issued 04-Nov-2026: Referral to physiotherapy, document 12)`, or nothing."""
    if letter is None:
        return ""
    document = f", document {letter.document_id}" if letter.document_id is not None else ""
    return f" (letter issued {written_date(letter.issued_on)}: {letter.title}{document})"


def referral_unsent(p: PatientDay) -> Iterator[WorklistTask]:
    limit = p.settings.referral_unsent_days
    for referral in p.record.referrals:
        if referral.status == "draft" and p.days_since(referral.created_on) > limit:
            yield p.task("REFERRAL-UNSENT", "routine", referral.created_on + timedelta(days=limit + 1),
                         f"Draft referral to {referral.specialty.replace('_', ' ')} created on "
                         f"{written_date(referral.created_on)} has not been sent.")


def mood(p: PatientDay) -> Iterator[WorklistTask]:
    screens = [e for e in p.record.epds if e.assessed_on <= p.on]
    if not screens:
        return
    day = max(e.assessed_on for e in screens)
    latest = [e for e in screens if e.assessed_on == day]
    self_harm = max(e.self_harm_item for e in latest)
    score = max(e.score for e in latest)
    if self_harm > 0:
        priority = "urgent"
    elif score >= p.settings.epds_high_score:
        priority = "high"
    else:
        return
    referred = any(
        r.specialty == "mental_health" and r.status not in ("declined", "cancelled") and day <= r.created_on <= p.on
        for r in p.record.referrals
    )
    if not referred:
        yield p.task("MOOD", priority, day,
                     f"EPDS on {written_date(day)}: score {score}, self-harm item {self_harm}; "
                     "no mental health referral since: assess and refer.")


def workup(p: PatientDay) -> Iterator[WorklistTask]:
    if p.facts.fragility_fractures and p.facts.missing_workup:
        yield p.task("WORKUP", "routine", p.facts.index_date,
                     f"Work-up incomplete: no {', '.join(p.facts.missing_workup)} result since "
                     f"{written_date(p.facts.index_date)}.")


def denosumab_due(p: PatientDay) -> Iterator[WorklistTask]:
    if not p.record.medications:
        return
    doses = medications_started_on(p.record, p.on, frozenset({"denosumab"}))
    if not doses:
        return
    last = doses[-1].started_on
    if any(b.started_on > last for b in medications_started_on(p.record, p.on, codes.BISPHOSPHONATES)):
        return
    days = p.days_since(last)
    due, overdue = p.settings.denosumab_due_days, p.settings.denosumab_overdue_days
    if days > overdue:
        yield p.task("DMAB-DUE", "urgent", last + timedelta(days=overdue + 1),
                     f"Denosumab last given on {written_date(last)} ({days} days ago): overdue, risk of rebound "
                     "fractures; give the next dose or follow with a bisphosphonate.")
    elif days >= due:
        yield p.task("DMAB-DUE", "high", last + timedelta(days=due),
                     f"Denosumab last given on {written_date(last)} ({days} days ago): next dose due.")


def _day_count_reached(p: PatientDay, count: int) -> date:
    """The first day on which anabolic days used reached `count` (it is reached by D)."""
    low = min(m.started_on for m in medications_started_on(p.record, p.on, codes.PTH_ANALOGUES))
    high = p.on
    while low < high:
        middle = low + timedelta(days=(high - low).days // 2)
        if anabolic_days_used(p.record, middle) >= count:
            high = middle
        else:
            low = middle + ONE_DAY
    return low


def pth_limit(p: PatientDay) -> Iterator[WorklistTask]:
    if not p.record.medications:
        return
    on_it = any(
        m.stopped_on is None or m.stopped_on >= p.on
        for m in medications_started_on(p.record, p.on, codes.PTH_ANALOGUES)
    )
    threshold = p.settings.pth_limit_warning_days
    if on_it and p.facts.anabolic_days_used >= threshold:
        yield p.task("PTH-LIMIT", "routine", _day_count_reached(p, threshold),
                     f"PTH analogue: {p.facts.anabolic_days_used} of {p.settings.pth_lifetime_days} lifetime days used: "
                     "plan what follows it.")


def height_loss(p: PatientDay) -> Iterator[WorklistTask]:
    by_day: dict[date, list[float]] = {}
    for h in p.record.heights:
        if h.measured_on <= p.on:
            by_day.setdefault(h.measured_on, []).append(h.cm)
    days = sorted(by_day)
    if len(days) < 2:
        return
    latest_day, previous_day, first_day = days[-1], days[-2], days[0]
    latest = min(by_day[latest_day])
    previous, first = max(by_day[previous_day]), max(by_day[first_day])
    from_previous, from_first = round(previous - latest, 6), round(first - latest, 6)
    lost = []
    if from_previous >= p.settings.height_loss_from_previous_cm:
        lost.append(f"{written_number(from_previous)} cm below the previous ({written_number(previous)} cm on {written_date(previous_day)})")
    if from_first >= p.settings.height_loss_from_first_cm:
        lost.append(f"{written_number(from_first)} cm below the first ({written_number(first)} cm on {written_date(first_day)})")
    if lost:
        yield p.task("HEIGHT-LOSS", "high", latest_day,
                     f"Height {written_number(latest)} cm on {written_date(latest_day)} is {' and '.join(lost)}: "
                     "look for a new vertebral fracture.")


TASKS: tuple[tuple[str, TaskRule], ...] = (
    ("LACTATION-UNKNOWN", lactation_unknown),
    ("FEEDING-CHECK", feeding_check),
    ("DECISION-DUE", decision_due),
    ("REPEAT-FRACTURE", repeat_fracture),
    ("DEXA-DUE", dexa_due),
    ("REFERRAL-OVERDUE", referral_overdue),
    ("REFERRAL-UNSENT", referral_unsent),
    ("MOOD", mood),
    ("WORKUP", workup),
    ("DMAB-DUE", denosumab_due),
    ("PTH-LIMIT", pth_limit),
    ("HEIGHT-LOSS", height_loss),
)
TASK_CODES: tuple[str, ...] = tuple(code for code, _ in TASKS)


def patient_tasks(record: PatientRecord, on: date, settings: ClinicSettings = DEFAULT_SETTINGS,
                  letters: Mapping[str, SentLetter] | None = None) -> list[WorklistTask]:
    """One woman's tasks on D, unordered; `letters` are her issued letters by referral ref."""
    day = PatientDay(record=record, on=on, settings=settings, facts=clinical_facts(record, on, settings),
                     letters=letters or {})
    return [task for _, rule in TASKS for task in rule(day)]


def worklist(
    records: Iterable[PatientRecord], on: date, settings: ClinicSettings = DEFAULT_SETTINGS,
    letters: Mapping[int, Mapping[str, SentLetter]] | None = None,
) -> list[WorklistTask]:
    """Every woman's tasks on D: urgent, high, routine; then oldest due first; patient; code.

    `letters` maps a record's id to her issued letters by referral ref (`SentLetter`).
    """
    letters = letters or {}
    tasks = [task for record in records for task in patient_tasks(record, on, settings, letters.get(record.id))]
    return sorted(tasks, key=lambda t: t.sort_key)
