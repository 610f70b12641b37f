"""Her treatment story on one time axis, as plain frozen values (no Qt, no database).

`patient_timeline(record, on, settings)` puts every dated entry of her record on one
axis, each as a `TimelineItem` in a lane (the row of the chart it is drawn in):

- **Pregnancies**: an *era* from an estimated start to the day it ended.  The start is
  the due date minus 280 days (40 weeks, gestation as obstetricians date it from the
  last period); with no due date, a birth is taken to have lasted 40 weeks (280 days
  before delivery) and a miscarriage or termination 12 weeks (84 days: most end in the
  first trimester).  Either way the start is marked *estimated*.  An ongoing pregnancy
  runs to its due date (a *planned* end); with no due date it is placed on the day.
- **Feeding**: a *bar* from the first feed to the last; with no last feed it runs to
  the planned stop (a *planned* end), else to the day (*ongoing*).  A `stopped_on`
  after the day is a planned stop, as the gate reads it.  "Did not breastfeed" is a
  point on the delivery day.
- **Fractures**: a *point* on the day identified, by level or site with its Genant
  grade, and its part in her story read off the gate's facts (presentation, repeat,
  the same site seen again, or high trauma, which is not a fragility fracture).
- **DEXA Z**: a *point* per scan and site with its Z-score (T-score only: no Z).
- **Medications**: a *bar* per course, to the day when not stopped; PTH analogues say
  the gate's anabolic days used of the lifetime limit.
- **Referrals**: a *point* at each of created, sent and seen, with the status.
- **Decisions**: a *point* on the day decided with the plan, and one at its review date.

Every item carries the record type and id the services name the entry by (to open it)
and `weeks_postpartum` on its dates: whole weeks since her latest delivery (live
birth or stillbirth, as the gate's `births_on` counts them) on or before that day.
The same values feed the window's timeline and the printed patient summary.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from pao_clinic.clinic_settings import DEFAULT_SETTINGS, ClinicSettings
from pao_clinic.gate.facts import births_on, clinical_facts, fracture_name, written_number
from pao_clinic.record import PatientRecord, Pregnancy, codes
from pao_clinic.record.dates import written_date

# --- lanes, kinds, shapes --------------------------------------------------------------

LANE_PREGNANCIES = "Pregnancies"
LANE_FEEDING = "Feeding"
LANE_FRACTURES = "Fractures"
LANE_DEXA = "DEXA Z"
LANE_MEDICATIONS = "Medications"
LANE_REFERRALS = "Referrals"
LANE_DECISIONS = "Decisions"
LANES: tuple[str, ...] = (LANE_PREGNANCIES, LANE_FEEDING, LANE_FRACTURES, LANE_DEXA, LANE_MEDICATIONS,
                          LANE_REFERRALS, LANE_DECISIONS)

ERA, BAR, POINT = "era", "bar", "point"

# the services' record types (services.snapshots.CLINICAL_LISTS), to open an entry
RECORD_PREGNANCY = "pregnancy"
RECORD_FEEDING = "feeding"
RECORD_FRACTURE = "fracture"
RECORD_DEXA = "dexa_scan"
RECORD_MEDICATION = "medication"
RECORD_REFERRAL = "referral"
RECORD_DECISION = "decision"

#: A fracture's part in her story, from the gate's facts.
PRESENTATION, REPEAT, SEEN_AGAIN, HIGH_TRAUMA = "presentation", "repeat", "seen_again", "high_trauma"
FRACTURE_ROLE_WORDS: dict[str, str] = {
    PRESENTATION: "presentation",
    REPEAT: "repeat fracture",
    SEEN_AGAIN: "site already fractured (not a repeat)",
    HIGH_TRAUMA: "high trauma (not a fragility fracture)",
}

# referral events and decision events
CREATED, SENT, SEEN = "created", "sent", "seen"
DECIDED, REVIEW = "decided", "review"

GESTATION_DAYS = 280          # 40 weeks, due date back to the start of gestation
EARLY_LOSS_DAYS = 84          # 12 weeks, for a miscarriage or termination without a due date

OUTCOME_WORDS: dict[str, str] = {
    "ongoing": "ongoing", "live_birth": "live birth", "stillbirth": "stillbirth",
    "miscarriage": "miscarriage", "termination": "termination",
}
PLAN_WORDS: dict[str, str] = {"start": "Start", "defer": "Defer", "conservative": "Conservative care", "stop": "Stop"}
REFERRAL_STATUS_WORDS: dict[str, str] = {
    "draft": "draft", "sent": "sent", "acknowledged": "acknowledged", "booked": "booked", "seen": "seen",
    "declined": "declined", "cancelled": "cancelled",
}
_SPECIALTY_SHORT: dict[str, str] = {
    "gp": "GP", "osteoporosis_service": "Osteoporosis service", "mental_health": "Perinatal mental health",
    "pao_expert_service": "PAO expert service", "nutrition": "Nutrition and dietetics",
}
_DEXA_SITE_WORDS: dict[str, str] = {
    "lumbar_spine": "Lumbar spine", "total_hip": "Total hip", "femoral_neck": "Femoral neck", "forearm": "Forearm",
}


def specialty_words(code: str) -> str:
    return _SPECIALTY_SHORT.get(code, code.replace("_", " ").capitalize())


def dexa_site_words(code: str) -> str:
    return _DEXA_SITE_WORDS.get(code, code.replace("_", " ").capitalize())


def drug_words(code: str) -> str:
    return codes.DRUG_NAMES.get(code, code)


# --- weeks postpartum ------------------------------------------------------------------

def latest_delivery(record: PatientRecord, day: date) -> date | None:
    """The day of her latest delivery (live birth or stillbirth) on or before `day`."""
    births = births_on(record, day)
    return births[-1].ended_on if births else None


@dataclass(frozen=True, slots=True)
class Postpartum:
    """Where a day falls in her pregnancies: weeks after a delivery, or during a pregnancy.

    `weeks` and `pregnancy` count from the delivery (live birth or stillbirth, as the
    gate's `births_on` counts them) on or before the day; `pregnant_with` is the number
    of the pregnancy she was in on the day (None when she was not pregnant).
    """

    weeks: int | None
    pregnancy: int | None
    pregnant_with: int | None = None

    @property
    def during_pregnancy(self) -> bool:
        return self.pregnant_with is not None

    @property
    def words(self) -> str:
        """`6 weeks postpartum (pregnancy 1)`, `During pregnancy 2`, `Not after a birth`."""
        if self.pregnant_with is not None:
            return f"During pregnancy {self.pregnant_with}"
        if self.weeks is None:
            return "Not after a birth"
        which = f" (pregnancy {self.pregnancy})" if self.pregnancy is not None else ""
        return f"{self.weeks} week{'' if self.weeks == 1 else 's'} postpartum{which}"

    @property
    def short(self) -> str:
        """For a table: `6 (pregnancy 1)`, `During pregnancy 2`, an em dash."""
        if self.pregnant_with is not None:
            return self.words
        if self.weeks is None:
            return "\u2014"
        which = f" (pregnancy {self.pregnancy})" if self.pregnancy is not None else ""
        return f"{self.weeks}{which}"


def _estimated_start(p: Pregnancy) -> date | None:
    """The day a pregnancy is taken to have begun, as the timeline places it (None: not known)."""
    if p.due_date is not None:
        start = p.due_date - timedelta(days=GESTATION_DAYS)
    elif p.ended_on is None:
        return None
    elif p.outcome in codes.BIRTH_OUTCOMES:
        start = p.ended_on - timedelta(days=GESTATION_DAYS)
    else:
        start = p.ended_on - timedelta(days=EARLY_LOSS_DAYS)
    return min(start, p.ended_on) if p.ended_on is not None else start


def _pregnant_on(p: Pregnancy, day: date) -> bool:
    if not (p.outcome == "ongoing" or (p.ended_on is not None and p.ended_on > day)):
        return False
    start = _estimated_start(p)
    return start is None or start <= day


def postpartum_on(record: PatientRecord, day: date, pregnancy_ref: str | None = None) -> Postpartum:
    """Where `day` falls in her pregnancies: the one computation of weeks postpartum.

    Weeks count from the delivery an entry belongs to (`pregnancy_ref`, when it names a
    delivery on or before the day), else from her latest delivery on or before the day.
    A day inside a pregnancy (the linked one, else any whose estimated span holds it) is
    `during pregnancy N`, whatever deliveries came before it.
    """
    births = births_on(record, day)
    linked = next((p for p in record.pregnancies if pregnancy_ref and p.ref == pregnancy_ref), None)
    counted = linked if linked is not None and linked in births else (births[-1] if births else None)
    weeks = None if counted is None else (day - counted.ended_on).days // 7
    number = None if counted is None else counted.number
    if linked is not None and linked not in births and (
            linked.outcome == "ongoing" or (linked.ended_on is not None and linked.ended_on > day)):
        return Postpartum(weeks, number, pregnant_with=linked.number)
    if linked is None or linked not in births:
        carrying = sorted((p for p in record.pregnancies if _pregnant_on(p, day)), key=lambda p: p.number)
        if carrying:
            return Postpartum(weeks, number, pregnant_with=carrying[0].number)
    return Postpartum(weeks, number)


def weeks_postpartum(record: PatientRecord, day: date) -> int | None:
    """Whole weeks from her latest delivery on or before `day` to `day` (None: no delivery yet)."""
    return postpartum_on(record, day).weeks


def postpartum_words(weeks: int | None) -> str:
    if weeks is None:
        return "before any delivery"
    return f"{weeks} week{'' if weeks == 1 else 's'} postpartum"


# --- the values ------------------------------------------------------------------------

@dataclass(frozen=True, slots=True, kw_only=True)
class TimelineItem:
    """One thing on her time axis: where it is drawn, what it says, and which entry it is."""

    lane: str                      # one of LANES
    kind: str                      # the record type it comes from, and how it is drawn (with `shape`)
    shape: str                     # ERA, BAR or POINT
    start: date
    end: date                      # == start for a point
    label: str                     # short words drawn beside or inside it
    detail: str                    # longer words (a tooltip, a printed legend)
    record_type: str               # the services' record type: "fracture", "dexa_scan", ...
    record_id: int | None          # the entry's id (None for a record not read from the database)
    ref: str | None = None
    weeks_postpartum: int | None = None       # on `start`
    end_weeks_postpartum: int | None = None   # on `end`
    start_estimated: bool = False  # the start is worked out, not recorded (pregnancies)
    end_planned: bool = False      # the end has not happened yet: a planned stop, a due date
    ongoing: bool = False          # no end recorded: drawn to the day
    site: str | None = None        # fracture level/site code, DEXA site
    genant_grade: int | None = None
    fracture_role: str | None = None   # PRESENTATION, REPEAT, SEEN_AGAIN, HIGH_TRAUMA
    z_score: float | None = None
    event: str | None = None       # referral: CREATED/SENT/SEEN; decision: DECIDED/REVIEW
    status: str | None = None      # referral status
    plan: str | None = None        # decision plan
    drug: str | None = None
    anabolic_days_used: int | None = None
    anabolic_days_limit: int | None = None

    @property
    def is_point(self) -> bool:
        return self.shape == POINT

    def when_words(self) -> str:
        """`03-Feb-2026`, or `03-Feb-2026 to 30-Jun-2026 (planned stop)` for a span."""
        if self.is_point:
            return written_date(self.start)
        start = written_date(self.start) + (" (estimated)" if self.start_estimated else "")
        if self.ongoing:
            end = f"{written_date(self.end)} (ongoing)"
        elif self.end_planned:
            end = f"{written_date(self.end)} (planned)"
        else:
            end = written_date(self.end)
        return f"{start} to {end}"

    def postpartum_text(self) -> str:
        """`12 weeks postpartum`, or for a span its start and end: `0 weeks postpartum to 21 weeks postpartum`."""
        first = postpartum_words(self.weeks_postpartum)
        if self.is_point or self.end == self.start:
            return first
        return f"{first} to {postpartum_words(self.end_weeks_postpartum)}"

    def tooltip_lines(self) -> tuple[str, ...]:
        """What hovering it shows: what it is, when, weeks postpartum, and the detail."""
        lines = [self.label, self.when_words(), self.postpartum_text()]
        if self.detail and self.detail != self.label:
            lines.append(self.detail)
        return tuple(lines)


@dataclass(frozen=True, slots=True)
class Timeline:
    """Everything on her time axis on the day `on` (today's line)."""

    on: date
    items: tuple[TimelineItem, ...]
    unplaced: tuple[str, ...] = ()   # entries with no date to place them by, in words
    lanes: tuple[str, ...] = LANES

    @property
    def today(self) -> date:
        return self.on

    def in_lane(self, lane: str) -> tuple[TimelineItem, ...]:
        return tuple(item for item in self.items if item.lane == lane)

    def for_entry(self, record_type: str, record_id: int) -> tuple[TimelineItem, ...]:
        return tuple(i for i in self.items if i.record_type == record_type and i.record_id == record_id)

    def extent(self) -> tuple[date, date]:
        """The first and last day anything is drawn on, today included (fit-to-record)."""
        starts = [item.start for item in self.items] + [self.on]
        ends = [item.end for item in self.items] + [self.on]
        return min(starts), max(ends)


# --- building it -----------------------------------------------------------------------

def _span_weeks(record: PatientRecord, start: date, end: date) -> dict:
    return {"weeks_postpartum": weeks_postpartum(record, start),
            "end_weeks_postpartum": weeks_postpartum(record, end)}


def _pregnancy_items(record: PatientRecord, on: date, unplaced: list[str]) -> list[TimelineItem]:
    items = []
    for p in sorted(record.pregnancies, key=lambda p: p.number):
        outcome = OUTCOME_WORDS.get(p.outcome, p.outcome)
        name = f"Pregnancy {p.number}"
        if p.outcome == "ongoing":
            if p.due_date is not None:
                start, end = p.due_date - timedelta(days=GESTATION_DAYS), p.due_date
                label = f"{name}: ongoing, due {written_date(p.due_date)}"
            else:
                start = end = on
                label = f"{name}: ongoing, due date not recorded"
            items.append(TimelineItem(
                lane=LANE_PREGNANCIES, kind=RECORD_PREGNANCY, shape=ERA, start=start, end=end, label=label,
                detail="Start estimated as 40 weeks before the due date." if p.due_date else
                "Pregnant on this day; with no due date its start and end cannot be placed.",
                record_type=RECORD_PREGNANCY, record_id=p.id, ref=p.ref, start_estimated=True, end_planned=True,
                **_span_weeks(record, start, end)))
            continue
        if p.ended_on is None:
            unplaced.append(f"{name} ({outcome}): no end date recorded")
            continue
        end = p.ended_on
        if p.due_date is not None:
            start, how = p.due_date - timedelta(days=GESTATION_DAYS), "40 weeks before the due date"
        elif p.outcome in codes.BIRTH_OUTCOMES:
            start, how = end - timedelta(days=GESTATION_DAYS), "40 weeks before delivery (no due date recorded)"
        else:
            start, how = end - timedelta(days=EARLY_LOSS_DAYS), "12 weeks before it ended (no due date recorded)"
        start = min(start, end)
        mode = f" ({p.delivery_mode})" if p.delivery_mode else ""
        verb = "delivered" if p.outcome in codes.BIRTH_OUTCOMES else "ended"
        label = f"{name}: {outcome}{mode}, {verb} {written_date(end)}"
        items.append(TimelineItem(
            lane=LANE_PREGNANCIES, kind=RECORD_PREGNANCY, shape=ERA, start=start, end=end, label=label,
            detail=f"Start estimated as {how}.", record_type=RECORD_PREGNANCY, record_id=p.id, ref=p.ref,
            start_estimated=True, **_span_weeks(record, start, end)))
    return items


def _feeding_items(record: PatientRecord, on: date, unplaced: list[str]) -> list[TimelineItem]:
    numbers = {p.ref: p.number for p in record.pregnancies}
    delivered = {p.ref: p.ended_on for p in record.pregnancies}
    items = []
    for entry in record.breastfeeding:
        after = f"after pregnancy {numbers[entry.pregnancy]}" if entry.pregnancy in numbers else "after a pregnancy"
        if not entry.breastfed:
            day = delivered.get(entry.pregnancy)
            if day is None:
                unplaced.append(f"Did not breastfeed {after}: the pregnancy has no end date")
                continue
            items.append(TimelineItem(
                lane=LANE_FEEDING, kind=RECORD_FEEDING, shape=POINT, start=day, end=day,
                label="Did not breastfeed", detail=f"Did not breastfeed {after}.", record_type=RECORD_FEEDING,
                record_id=entry.id, weeks_postpartum=weeks_postpartum(record, day)))
            continue
        start = entry.started_on or delivered.get(entry.pregnancy)
        if start is None:
            unplaced.append(f"Breastfeeding {after}: no start date and the pregnancy has no end date")
            continue
        planned = ongoing = False
        if entry.stopped_on is not None and entry.stopped_on <= on:
            end, how = entry.stopped_on, f"last feed {written_date(entry.stopped_on)}"
        elif entry.stopped_on is not None or entry.planned_stop_on is not None:
            end = entry.stopped_on or entry.planned_stop_on
            planned = True
            how = f"planned stop {written_date(end)}"
            if end < on:
                how += " (passed: ask whether she has stopped)"
        else:
            end, ongoing, how = on, True, "no stop date recorded"
        end = max(end, start)
        items.append(TimelineItem(
            lane=LANE_FEEDING, kind=RECORD_FEEDING, shape=BAR, start=start, end=end,
            label=f"Breastfeeding, {how}",
            detail=f"Breastfeeding {after}" + ("" if entry.started_on else " (start taken as the delivery day)") + ".",
            record_type=RECORD_FEEDING, record_id=entry.id, start_estimated=entry.started_on is None,
            end_planned=planned, ongoing=ongoing, **_span_weeks(record, start, end)))
    return items


def _fracture_items(record: PatientRecord, on: date, settings: ClinicSettings) -> list[TimelineItem]:
    facts = clinical_facts(record, on, settings)
    numbers = {p.ref: p.number for p in record.pregnancies}

    def among(fracture, found) -> bool:
        return any(fracture is f for f in found)

    items = []
    for fracture in sorted(record.fractures, key=lambda f: f.identified_on):
        if among(fracture, facts.presentation):
            role = PRESENTATION
        elif among(fracture, facts.repeat_fractures):
            role = REPEAT
        elif among(fracture, facts.fragility_fractures):
            role = SEEN_AGAIN
        elif fracture.trauma == "high":
            role = HIGH_TRAUMA
        else:  # identified after the day: the gate does not know it yet
            role = None
        name = fracture_name(fracture)
        if name[:1].islower():
            name = name[0].upper() + name[1:]
        grade = f" grade {fracture.genant_grade}" if fracture.genant_grade is not None else ""
        parts = [f"{name}{grade}"]
        if role is not None:
            parts.append(FRACTURE_ROLE_WORDS[role])
        parts.append(f"seen on {fracture.imaging.upper() if fracture.imaging != 'xray' else 'X-ray'}")
        if fracture.onset_on is not None:
            parts.append(f"pain from {written_date(fracture.onset_on)}")
        if fracture.pregnancy in numbers:
            parts.append(f"pregnancy {numbers[fracture.pregnancy]}")
        if fracture.note:
            parts.append(fracture.note)
        label = name + (f" G{fracture.genant_grade}" if fracture.genant_grade is not None else "")
        items.append(TimelineItem(
            lane=LANE_FRACTURES, kind=RECORD_FRACTURE, shape=POINT, start=fracture.identified_on,
            end=fracture.identified_on, label=label, detail="; ".join(parts) + ".", record_type=RECORD_FRACTURE,
            record_id=fracture.id, ref=fracture.ref, weeks_postpartum=weeks_postpartum(record, fracture.identified_on),
            site=fracture.site, genant_grade=fracture.genant_grade, fracture_role=role))
    return items


def _dexa_items(record: PatientRecord) -> list[TimelineItem]:
    items = []
    for scan in sorted(record.dexa, key=lambda s: (s.scanned_on, s.site)):
        site = dexa_site_words(scan.site)
        if scan.z_score is not None:
            label = f"{site} Z {written_number(scan.z_score)}"
        else:
            label = f"{site}: no Z-score"
        extra = [label]
        if scan.t_score is not None:
            extra.append(f"T-score {written_number(scan.t_score)} (for reference)")
        if scan.bmd is not None:
            extra.append(f"BMD {written_number(scan.bmd)} g/cm\u00b2")
        items.append(TimelineItem(
            lane=LANE_DEXA, kind=RECORD_DEXA, shape=POINT, start=scan.scanned_on, end=scan.scanned_on, label=label,
            detail="; ".join(extra) + ".", record_type=RECORD_DEXA, record_id=scan.id, ref=scan.ref,
            weeks_postpartum=weeks_postpartum(record, scan.scanned_on), site=scan.site, z_score=scan.z_score))
    return items


def _medication_items(record: PatientRecord, on: date, settings: ClinicSettings) -> list[TimelineItem]:
    used = clinical_facts(record, on, settings).anabolic_days_used
    items = []
    for course in sorted(record.medications, key=lambda m: m.started_on):
        name = drug_words(course.drug)
        ongoing = course.stopped_on is None
        end = max(on, course.started_on) if ongoing else course.stopped_on
        anabolic = course.drug in codes.PTH_ANALOGUES
        label = name
        if anabolic:
            label += f": anabolic days used: {used} of {settings.pth_lifetime_days}"
        how = "ongoing" if ongoing else ("one dose" if course.stopped_on == course.started_on else "stopped")
        detail = f"{name}, {how}."
        if anabolic:
            detail += (f" Anabolic days used on {written_date(on)}: {used} of a lifetime "
                       f"{settings.pth_lifetime_days} (all PTH-analogue courses).")
        items.append(TimelineItem(
            lane=LANE_MEDICATIONS, kind=RECORD_MEDICATION, shape=BAR, start=course.started_on, end=end,
            label=label, detail=detail, record_type=RECORD_MEDICATION, record_id=course.id, ref=course.ref,
            ongoing=ongoing, drug=course.drug, anabolic_days_used=used if anabolic else None,
            anabolic_days_limit=settings.pth_lifetime_days if anabolic else None,
            **_span_weeks(record, course.started_on, end)))
    return items


def _referral_items(record: PatientRecord) -> list[TimelineItem]:
    items = []
    for referral in sorted(record.referrals, key=lambda r: r.created_on):
        who = specialty_words(referral.specialty)
        status = REFERRAL_STATUS_WORDS.get(referral.status, referral.status)
        detail = (f"{who} referral ({referral.urgency}), now {status}: {referral.reason}")
        for event, day in ((CREATED, referral.created_on), (SENT, referral.sent_on), (SEEN, referral.seen_on)):
            if day is None:
                continue
            items.append(TimelineItem(
                lane=LANE_REFERRALS, kind=RECORD_REFERRAL, shape=POINT, start=day, end=day,
                label=f"{who} referral {event}", detail=detail, record_type=RECORD_REFERRAL,
                record_id=referral.id, ref=referral.ref, weeks_postpartum=weeks_postpartum(record, day),
                event=event, status=referral.status))
    return items


def _decision_items(record: PatientRecord) -> list[TimelineItem]:
    items = []
    for decision in sorted(record.decisions, key=lambda d: (d.decided_on, d.id or 0)):
        plan = PLAN_WORDS.get(decision.plan, decision.plan)
        label = f"{plan} {drug_words(decision.drug)}" if decision.drug else plan
        parts = [f"{label}, decided by {decision.by}"]
        if decision.override_reason:
            parts.append(f"reason: {decision.override_reason}")
        parts.append(f"review on {written_date(decision.review_on)}" if decision.review_on else "no review date")
        detail = "; ".join(parts) + "."
        items.append(TimelineItem(
            lane=LANE_DECISIONS, kind=RECORD_DECISION, shape=POINT, start=decision.decided_on,
            end=decision.decided_on, label=label, detail=detail, record_type=RECORD_DECISION,
            record_id=decision.id, weeks_postpartum=weeks_postpartum(record, decision.decided_on),
            event=DECIDED, plan=decision.plan, drug=decision.drug))
        if decision.review_on is not None:
            items.append(TimelineItem(
                lane=LANE_DECISIONS, kind=RECORD_DECISION, shape=POINT, start=decision.review_on,
                end=decision.review_on, label=f"Review ({label})", detail=detail, record_type=RECORD_DECISION,
                record_id=decision.id, weeks_postpartum=weeks_postpartum(record, decision.review_on),
                event=REVIEW, plan=decision.plan, drug=decision.drug))
    return items


def patient_timeline(record: PatientRecord, on: date, settings: ClinicSettings = DEFAULT_SETTINGS) -> Timeline:
    """Every dated entry of her record on one axis, judged (fracture roles, anabolic days) as of `on`."""
    unplaced: list[str] = []
    items = (
        _pregnancy_items(record, on, unplaced)
        + _feeding_items(record, on, unplaced)
        + _fracture_items(record, on, settings)
        + _dexa_items(record)
        + _medication_items(record, on, settings)
        + _referral_items(record)
        + _decision_items(record)
    )
    return Timeline(on=on, items=tuple(items), unplaced=tuple(unplaced))


__all__ = [
    "LANES", "LANE_PREGNANCIES", "LANE_FEEDING", "LANE_FRACTURES", "LANE_DEXA", "LANE_MEDICATIONS",
    "LANE_REFERRALS", "LANE_DECISIONS", "ERA", "BAR", "POINT", "PRESENTATION", "REPEAT", "SEEN_AGAIN",
    "HIGH_TRAUMA", "FRACTURE_ROLE_WORDS", "CREATED", "SENT", "SEEN", "DECIDED", "REVIEW", "GESTATION_DAYS",
    "EARLY_LOSS_DAYS", "TimelineItem", "Timeline", "latest_delivery", "weeks_postpartum", "Postpartum", "postpartum_on", "postpartum_words",
    "patient_timeline", "specialty_words", "dexa_site_words", "drug_words",
]
