"""The clinical facts the medication gate and the worklist stand on.

Every function judges "as of D": anything dated after D does not exist on D, so the
gate can be asked about a past date and gives the answer it would have given then.
Definitions are those of `shared/spec/medication-gate.md` (Clinical facts).
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from datetime import date, timedelta

from pao_clinic.record.dates import written_date  # noqa: F401  (re-exported for the gate's messages)
from pao_clinic.record import codes
from pao_clinic.clinic_settings import DEFAULT_SETTINGS, ClinicSettings
from pao_clinic.record import (
    BloodResult,
    Contraception,
    DexaScan,
    Feeding,
    Fracture,
    Medication,
    PatientRecord,
    Pregnancy,
)

ONE_DAY = timedelta(days=1)


def last_answer_kept(fn):
    """Keep the last answer of a fact about one woman on one day, for the questions that follow it.

    Working out her facts asks the same question many times in a row (her fragility
    fractures: fifteen times).  The record is frozen, so the same record (by identity), day
    and settings (by identity) give the same answer.  One answer is kept, as one tuple (so
    threads asking at once read a whole answer or none); a call with keywords is not kept.
    """
    kept = [None]

    @functools.wraps(fn)
    def answer(record, d, *rest, **named):
        if named:
            return fn(record, d, *rest, **named)
        last = kept[0]
        if (last is not None and last[0] is record and last[1] == d and len(last[2]) == len(rest)
                and all(a is b for a, b in zip(last[2], rest))):
            return last[3]
        value = fn(record, d, *rest)
        kept[0] = (record, d, rest, value)
        return value

    return answer

# WU-1's work-up, in the order the spec lists it: (name in messages, tests that count).
WORKUP_TESTS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("adjusted calcium", ("adjusted_calcium",)),
    ("phosphate", ("phosphate",)),
    ("alkaline phosphatase", ("alkaline_phosphatase",)),
    ("creatinine or eGFR", ("creatinine", "egfr")),
    ("25-OH vitamin D", ("vitamin_d_25oh",)),
    ("PTH", ("pth",)),
    ("TSH", ("tsh",)),
    ("full blood count", ("full_blood_count",)),
)


# --- words -------------------------------------------------------------------------

def written_number(value: float) -> str:
    """A measured value without float noise: 2.2 -> '2.2', -2.0 -> '-2.0', 130.1 -> '130.1'."""
    text = f"{value:.2f}".rstrip("0")
    return text + "0" if text.endswith(".") else text


def fracture_name(fracture: Fracture) -> str:
    """`L1`, `left hip`, `sacrum`, `other site`."""
    if fracture.site in codes.VERTEBRAL_LEVELS:
        return fracture.site.upper()
    if fracture.site == "other":
        return "other site"
    return f"{fracture.side} {fracture.site}" if fracture.side else fracture.site


def fracture_description(fracture: Fracture) -> str:
    """`L1 grade 2 on 10-May-2025`."""
    grade = f" grade {fracture.genant_grade}" if fracture.genant_grade is not None else ""
    return f"{fracture_name(fracture)}{grade} on {written_date(fracture.identified_on)}"


def dexa_site_name(site: str) -> str:
    return site.replace("_", " ")


# --- pregnancy and lactation --------------------------------------------------------

def is_pregnant_on(record: PatientRecord, d: date) -> bool:
    """An `ongoing` pregnancy, or a pregnancy whose `ended_on` is after D."""
    return any(
        p.outcome == "ongoing" or (p.ended_on is not None and p.ended_on > d)
        for p in record.pregnancies
    )


@last_answer_kept
def births_on(record: PatientRecord, d: date) -> tuple[Pregnancy, ...]:
    """Live births and stillbirths that ended on or before D, oldest first."""
    births = [
        p for p in record.pregnancies
        if p.outcome in codes.BIRTH_OUTCOMES and p.ended_on is not None and p.ended_on <= d
    ]
    return tuple(sorted(births, key=lambda p: p.ended_on))


def feeding_entries_on(record: PatientRecord, d: date) -> tuple[Feeding, ...]:
    """Feeding entries that exist on D (a breastfeeding entry started after D does not)."""
    return tuple(
        f for f in record.breastfeeding
        if not f.breastfed or f.started_on is None or f.started_on <= d
    )


def is_breastfeeding_entry_on(entry: Feeding, d: date) -> bool:
    """`breastfed`, started on or before D, and not stopped before D (the last feed counts)."""
    return (
        entry.breastfed
        and (entry.started_on is None or entry.started_on <= d)
        and (entry.stopped_on is None or entry.stopped_on >= d)
    )


def feeding_entries_breastfeeding_on(record: PatientRecord, d: date) -> tuple[Feeding, ...]:
    return tuple(f for f in record.breastfeeding if is_breastfeeding_entry_on(f, d))


def is_breastfeeding_on(record: PatientRecord, d: date) -> bool:
    return bool(feeding_entries_breastfeeding_on(record, d))


def feeding_stop_on(entry: Feeding) -> date | None:
    """The day feeding stops (a `stopped_on` after D acts as a planned stop), or None."""
    return entry.stopped_on if entry.stopped_on is not None else entry.planned_stop_on


def most_recent_births(record: PatientRecord, d: date) -> tuple[Pregnancy, ...]:
    """The birth(s) with the latest `ended_on` on or before D (more than one only on a tie)."""
    births = births_on(record, d)
    if not births:
        return ()
    latest = births[-1].ended_on
    return tuple(p for p in births if p.ended_on == latest)


def _entry_for(record: PatientRecord, pregnancy: Pregnancy, d: date) -> Feeding | None:
    for entry in feeding_entries_on(record, d):
        if entry.pregnancy == pregnancy.ref:
            return entry
    return None


def birth_without_feeding_entry(record: PatientRecord, d: date) -> Pregnancy | None:
    """Her most recent birth when it has no feeding entry on D (lactation `unknown`)."""
    for birth in most_recent_births(record, d):
        if _entry_for(record, birth, d) is None:
            return birth
    return None


def lactation_status_on(record: PatientRecord, d: date) -> str:
    """One of codes.LACTATION_STATUSES, the first that applies on D."""
    if is_breastfeeding_on(record, d):
        return "breastfeeding"
    return _lactation_after_feeding(record, d, most_recent_births(record, d), birth_without_feeding_entry(record, d))


def _lactation_after_feeding(record: PatientRecord, d: date, recent: tuple[Pregnancy, ...],
                             without_entry: Pregnancy | None) -> str:
    """`lactation_status_on` when she is not breastfeeding on D, from her most recent births and the one without an entry."""
    if not recent:
        return "not_applicable"
    if without_entry is not None:
        return "unknown"
    if any(not _entry_for(record, birth, d).breastfed for birth in recent):
        return "not_breastfed"
    return "ceased"


def feeding_stopped_on(record: PatientRecord, d: date) -> date | None:
    """The day of her last feed on or before D (latest `stopped_on` before D), or None."""
    stops = [
        f.stopped_on for f in feeding_entries_on(record, d)
        if f.breastfed and f.stopped_on is not None and f.stopped_on < d
    ]
    return max(stops, default=None)


# --- fractures ----------------------------------------------------------------------

@last_answer_kept
def fragility_fractures(record: PatientRecord, d: date) -> tuple[Fracture, ...]:
    """Fractures identified on or before D whose trauma is not `high`, oldest first."""
    found = [f for f in record.fractures if f.identified_on <= d and f.trauma != "high"]
    return tuple(sorted(found, key=lambda f: f.identified_on))


def index_date(record: PatientRecord, d: date) -> date | None:
    """The earliest `identified_on` of her fragility fractures (None when none)."""
    fractures = fragility_fractures(record, d)
    return fractures[0].identified_on if fractures else None


def presentation_end(record: PatientRecord, d: date, settings: ClinicSettings = DEFAULT_SETTINGS) -> date | None:
    """Index date + the presentation window (14 days)."""
    first = index_date(record, d)
    return None if first is None else first + timedelta(days=settings.presentation_window_days)


@last_answer_kept
def presentation_fractures(
    record: PatientRecord, d: date, settings: ClinicSettings = DEFAULT_SETTINGS
) -> tuple[Fracture, ...]:
    """Fragility fractures identified no later than index date + 14 days."""
    end = presentation_end(record, d, settings)
    return tuple(f for f in fragility_fractures(record, d) if end is not None and f.identified_on <= end)


def fracture_site(fracture: Fracture) -> tuple[str, str | None] | None:
    """Its vertebral level, or site code with side; None for `other` (a site of its own)."""
    if fracture.site == "other":
        return None
    if fracture.site in codes.VERTEBRAL_LEVELS:
        return (fracture.site, None)
    return (fracture.site, fracture.side)


@last_answer_kept
def repeat_fractures(
    record: PatientRecord, d: date, settings: ClinicSettings = DEFAULT_SETTINGS
) -> tuple[Fracture, ...]:
    """Fractures after the presentation at a new site, or a vertebral level that progressed.

    Progression: a higher Genant grade than every strictly earlier record of that level.
    The same site seen again at the same or a lower grade is the old fracture.  The
    same site recorded twice on one day counts once.
    """
    end = presentation_end(record, d, settings)
    if end is None:
        return ()
    earlier_by_site: dict[tuple, list[Fracture]] = {}
    for fracture in fragility_fractures(record, d):
        site = fracture_site(fracture)
        if site is not None:
            earlier_by_site.setdefault(site, []).append(fracture)
    repeats: list[Fracture] = []
    seen: dict[tuple, Fracture] = {}
    for fracture in fragility_fractures(record, d):
        if fracture.identified_on <= end:
            continue
        site = fracture_site(fracture)
        if site is None:
            repeats.append(fracture)
            continue
        earlier = [g for g in earlier_by_site[site] if g.identified_on < fracture.identified_on]
        is_new_site = not earlier
        progressed = (
            fracture.site in codes.VERTEBRAL_LEVELS
            and (fracture.genant_grade or 0) > max((g.genant_grade or 0) for g in earlier or [fracture])
        )
        if not (is_new_site or progressed):
            continue
        same_day = seen.get((site, fracture.identified_on))
        if same_day is None:
            seen[(site, fracture.identified_on)] = fracture
            repeats.append(fracture)
        elif (fracture.genant_grade or 0) > (same_day.genant_grade or 0):
            repeats[repeats.index(same_day)] = fracture
            seen[(site, fracture.identified_on)] = fracture
    return tuple(repeats)


def vertebral_levels_at_presentation(
    record: PatientRecord, d: date, settings: ClinicSettings = DEFAULT_SETTINGS
) -> tuple[str, ...]:
    """Distinct vertebral levels in the presentation, top to bottom."""
    return _vertebral_levels(presentation_fractures(record, d, settings))


def _vertebral_levels(presentation: tuple[Fracture, ...]) -> tuple[str, ...]:
    levels = {f.site for f in presentation if f.site in codes.VERTEBRAL_LEVELS}
    return tuple(level for level in codes.VERTEBRAL_LEVELS if level in levels) if levels else ()


def vertebral_fractures_at_presentation(
    record: PatientRecord, d: date, settings: ClinicSettings = DEFAULT_SETTINGS
) -> int:
    return len(vertebral_levels_at_presentation(record, d, settings))


def grade_3_vertebral_fractures(record: PatientRecord, d: date) -> tuple[Fracture, ...]:
    return _grade_3(fragility_fractures(record, d))


def _grade_3(fractures: tuple[Fracture, ...]) -> tuple[Fracture, ...]:
    return tuple(f for f in fractures if f.site in codes.VERTEBRAL_LEVELS and f.genant_grade == 3)


# --- DEXA ---------------------------------------------------------------------------

@last_answer_kept
def dexa_scans_on(record: PatientRecord, d: date) -> tuple[DexaScan, ...]:
    """Scans on or before D, oldest first."""
    return tuple(sorted((s for s in record.dexa if s.scanned_on <= d), key=lambda s: s.scanned_on))


def latest_dexa(record: PatientRecord, d: date) -> tuple[DexaScan, ...]:
    """The scans with the latest `scanned_on` on or before D (one per site, usually)."""
    scans = dexa_scans_on(record, d)
    if not scans:
        return ()
    latest = scans[-1].scanned_on
    return tuple(s for s in scans if s.scanned_on == latest)


def lowest_z(record: PatientRecord, d: date) -> float | None:
    """The lowest Z-score of the latest DEXA (None: no DEXA, or only T-scores)."""
    return _lowest_z(latest_dexa(record, d))


def _lowest_z(latest: tuple[DexaScan, ...]) -> float | None:
    return min((s.z_score for s in latest if s.z_score is not None), default=None)


# --- bloods -------------------------------------------------------------------------

def latest_results(
    record: PatientRecord, test: str, d: date, within_days: int | None = None
) -> tuple[BloodResult, ...]:
    """Every result of `test` on the latest day it was taken on or before D (within N days)."""
    earliest = None if within_days is None else d - timedelta(days=within_days)
    found = [
        r for r in record.bloods
        if r.test == test and r.taken_on <= d and (earliest is None or r.taken_on >= earliest)
    ]
    if not found:
        return ()
    latest = max(r.taken_on for r in found)
    return tuple(r for r in found if r.taken_on == latest)


def latest_result(
    record: PatientRecord, test: str, d: date, within_days: int | None = None
) -> BloodResult | None:
    """The most recent result of `test` on or before D (and within N days when given).

    Two results on that day: the later one in the record.  The rules use
    `latest_results` and judge the worse of them.
    """
    results = latest_results(record, test, d, within_days)
    return results[-1] if results else None


def missing_workup(record: PatientRecord, d: date) -> tuple[str, ...]:
    """WU-1: work-up tests with no result on or after the index date (or ever) up to D."""
    return _missing_workup(record, d, index_date(record, d))


def _missing_workup(record: PatientRecord, d: date, since: date | None) -> tuple[str, ...]:
    taken = {
        r.test for r in record.bloods
        if r.taken_on <= d and (since is None or r.taken_on >= since)
    }
    return tuple(name for name, tests in WORKUP_TESTS if not taken.intersection(tests))


# --- medicines, contraception, dental -----------------------------------------------

def medications_started_on(record: PatientRecord, d: date, drugs: frozenset[str]) -> tuple[Medication, ...]:
    """Entries of these drugs started on or before D, oldest first."""
    return tuple(sorted(
        (m for m in record.medications if m.drug in drugs and m.started_on <= d),
        key=lambda m: m.started_on,
    ))


def anabolic_days_used(record: PatientRecord, d: date) -> int:
    """Sum over PTH-analogue entries started by D of min(stopped_on or D, D) - start + 1."""
    total = 0
    for entry in medications_started_on(record, d, codes.PTH_ANALOGUES):
        end = min(entry.stopped_on or d, d)
        total += (end - entry.started_on).days + 1
    return total


def latest_contraception(record: PatientRecord, d: date) -> tuple[Contraception, ...]:
    """The contraception record(s) of the latest `recorded_on` on or before D."""
    found = [c for c in record.contraception if c.recorded_on <= d]
    if not found:
        return ()
    latest = max(c.recorded_on for c in found)
    return tuple(c for c in found if c.recorded_on == latest)


def latest_dental_review(record: PatientRecord, d: date) -> date | None:
    return max((r.reviewed_on for r in record.dental_reviews if r.reviewed_on <= d), default=None)


# --- indication ---------------------------------------------------------------------

def indication_features(
    record: PatientRecord, d: date, settings: ClinicSettings = DEFAULT_SETTINGS
) -> tuple[str, ...]:
    """The indication features that hold on D, in plain English (empty: none holds)."""
    return _indication_words(repeat_fractures(record, d, settings), vertebral_levels_at_presentation(record, d, settings),
                             grade_3_vertebral_fractures(record, d), latest_dexa(record, d), settings)


def _indication_words(repeats: tuple[Fracture, ...], levels: tuple[str, ...], grade_3: tuple[Fracture, ...],
                      latest: tuple[DexaScan, ...], settings: ClinicSettings) -> tuple[str, ...]:
    """`indication_features` from her repeat fractures, presentation levels, grade 3 fractures and latest DEXA."""
    features: list[str] = []
    if repeats:
        plural = "s" if len(repeats) > 1 else ""
        features.append(
            f"{len(repeats)} repeat fracture{plural} ({', '.join(fracture_description(f) for f in repeats)})"
        )
    if len(levels) >= 2:
        features.append(f"{len(levels)} vertebral fractures at presentation")
    if grade_3:
        names = sorted({f.site for f in grade_3}, key=codes.VERTEBRAL_LEVELS.index)
        features.append(f"grade 3 vertebral fracture at {', '.join(n.upper() for n in names)}")
    z = _lowest_z(latest)
    if z is not None and z <= settings.low_z_score:
        sites = [dexa_site_name(s.site) for s in latest if s.z_score == z]
        features.append(f"Z-score {written_number(z)} at {' and '.join(dict.fromkeys(sites))}")
    return tuple(features)


# --- all at once --------------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class ClinicalFacts:
    """Everything the gate and the worklist need about one woman on one day, computed once."""

    on: date
    pregnant: bool
    births: tuple[Pregnancy, ...]
    lactation: str
    breastfeeding_entries: tuple[Feeding, ...]
    birth_without_feeding_entry: Pregnancy | None
    fragility_fractures: tuple[Fracture, ...]
    index_date: date | None
    presentation: tuple[Fracture, ...]
    repeat_fractures: tuple[Fracture, ...]
    vertebral_levels_at_presentation: tuple[str, ...]
    latest_dexa: tuple[DexaScan, ...]
    lowest_z: float | None
    anabolic_days_used: int
    indication_features: tuple[str, ...]
    missing_workup: tuple[str, ...]
    postmenopausal: bool
    sterilised: bool

    @property
    def vertebral_fractures_at_presentation(self) -> int:
        return len(self.vertebral_levels_at_presentation)

    @property
    def breastfeeding(self) -> bool:
        return self.lactation == "breastfeeding"


def clinical_facts(
    record: PatientRecord, d: date, settings: ClinicSettings = DEFAULT_SETTINGS
) -> ClinicalFacts:
    """Every fact of `ClinicalFacts` on D, each the answer of its function above.

    Worked out once for every woman of the caseload, so each part is computed once and
    handed on (her fragility fractures to the presentation, the presentation to its levels,
    her latest DEXA to the Z-score) rather than each function asking again; a list she has
    no entries in answers at once.  tests/test_worklist.py checks every fact against its function.
    """
    fractures = fragility_fractures(record, d) if record.fractures else ()
    if fractures:
        first = fractures[0].identified_on
        end = first + timedelta(days=settings.presentation_window_days)
        presentation = tuple(f for f in fractures if f.identified_on <= end)
        repeats = repeat_fractures(record, d, settings) if len(fractures) > len(presentation) else ()
        levels = _vertebral_levels(presentation)
        grade_3 = _grade_3(fractures)
    else:
        first, presentation, repeats, levels, grade_3 = None, (), (), (), ()
    if record.pregnancies or record.breastfeeding:
        feeding = feeding_entries_breastfeeding_on(record, d)
        births = births_on(record, d)
        if births:
            latest_birth = births[-1].ended_on
            recent = tuple(p for p in births if p.ended_on == latest_birth)
            without_entry = next((b for b in recent if _entry_for(record, b, d) is None), None)
        else:
            recent, without_entry = (), None
        lactation = "breastfeeding" if feeding else _lactation_after_feeding(record, d, recent, without_entry)
        pregnant = is_pregnant_on(record, d)
    else:
        feeding, births, without_entry, lactation, pregnant = (), (), None, "not_applicable", False
    scans = latest_dexa(record, d) if record.dexa else ()
    return ClinicalFacts(
        on=d,
        pregnant=pregnant,
        births=births,
        lactation=lactation,
        breastfeeding_entries=feeding,
        birth_without_feeding_entry=without_entry,
        fragility_fractures=fractures,
        index_date=first,
        presentation=presentation,
        repeat_fractures=repeats,
        vertebral_levels_at_presentation=levels,
        latest_dexa=scans,
        lowest_z=_lowest_z(scans),
        anabolic_days_used=anabolic_days_used(record, d) if record.medications else 0,
        indication_features=_indication_words(repeats, levels, grade_3, scans, settings),
        missing_workup=_missing_workup(record, d, first),
        postmenopausal="postmenopausal" in record.history,
        sterilised="sterilised" in record.history,
    )
