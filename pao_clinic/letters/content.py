"""What a referral letter says, as one frozen value built from plain values.

`build_letter_content(record, referral, author=..., letterhead=..., today=...)` reads her
record (a `PatientRecord`), the referral, the author and the clinic's letterhead and
lays the letter out under the UK PRSB outpatient-letter headings.  It never touches the
database and never imports Qt: the same value is rendered to PDF (`letters.pdf`),
checked before issuing (`missing_items`) and could be shown in a preview.

Facts about fractures, DEXA and the medication check come from `pao_clinic.gate`
(presentation and repeat fractures, the premenopausal DEXA reading, the verdict), never
recomputed here.  A value the record lacks is None and prints as "not recorded".
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from pao_clinic.clinic_settings import DEFAULT_SETTINGS, ClinicSettings
from pao_clinic.errors import Problem
from pao_clinic.gate import check_medication, interpret_dexa_history
from pao_clinic.gate.facts import (
    births_on,
    dexa_site_name,
    feeding_entries_breastfeeding_on,
    feeding_stop_on,
    feeding_stopped_on,
    fracture_description,
    fracture_name,
    fragility_fractures,
    index_date,
    is_breastfeeding_on,
    is_pregnant_on,
    lactation_status_on,
    latest_contraception,
    presentation_fractures,
    repeat_fractures,
    vertebral_levels_at_presentation,
    written_number,
)
from pao_clinic.letters.templates import NOT_RECORDED, Block, LetterTemplate, load_template
from pao_clinic.record import PatientRecord, Pregnancy, Referral, codes
from pao_clinic.record.code_words import (  # the clinic's words for codes, one table each
    BLOOD_TEST_WORDS as BLOOD_TEST_NAMES,
    HISTORY_WORDS,
    IMAGING_WORDS,
    RISK_FACTOR_WORDS,
    ROLE_WORDS,
    SPECIALTY_WORDS as SPECIALTY_NAMES,
)
from pao_clinic.record.dates import age_on, written_date
from pao_clinic.record.nhs_number import format_nhs_number
from pao_clinic.timeline import GESTATION_DAYS, postpartum_on


# Specialists asked about bone treatment: their letters carry the medication check.
GATE_SPECIALTIES: frozenset[str] = frozenset(
    {"gp", "osteoporosis_service", "rheumatology", "endocrinology", "pao_expert_service"})


OUTCOME_WORDS = {"ongoing": "ongoing", "live_birth": "live birth", "stillbirth": "stillbirth",
                 "miscarriage": "miscarriage", "termination": "termination"}
LACTATION_WORDS = {"breastfeeding": "breastfeeding", "not_applicable": "not breastfeeding (no recent birth)",
                   "not_breastfed": "did not breastfeed", "ceased": "no longer breastfeeding"}
PLAN_WORDS = {"start": "start", "defer": "defer treatment", "conservative": "conservative care", "stop": "stop"}
VERDICT_WORDS = {
    "allowed": "may be started: no rule of the medication check stops it",
    "needs_reason": "may be started only with a written reason (the check raises soft stops)",
    "blocked": "must not be started at present (the check blocks it)",
}


@dataclass(frozen=True, slots=True)
class Letterhead:
    """The clinic's letterhead (a clinic setting): name, address, phone, email, logo."""

    name: str = "PAO Clinic"
    address: str | None = None         # lines separated by newlines
    phone: str | None = None
    email: str | None = None
    logo_path: str | None = None       # an image file (PNG or JPEG), optional


@dataclass(frozen=True, slots=True)
class ReferralAddress:
    """One entry of the clinic's referral address book: where a specialty's letters go."""

    department: str
    address: str | None


@dataclass(frozen=True, slots=True)
class Author:
    display_name: str
    role: str            # codes.ROLES


@dataclass(frozen=True, slots=True)
class Recipient:
    """Who a letter or its copy goes to: a name, an organisation line and a postal address."""

    role: str                    # "GP", "patient", "specialty"
    name: str | None
    organisation: str | None
    address: str | None


@dataclass(frozen=True, slots=True)
class Table:
    headers: tuple[str, ...]
    rows: tuple[tuple[str | None, ...], ...]
    stale_rows: frozenset[int] = frozenset()    # rows marked as older than the results window


@dataclass(frozen=True, slots=True)
class MissingItem:
    """Something the letter lacks; `blocks_issue` when it cannot be issued without it."""

    field: str
    message: str
    blocks_issue: bool = False

    def __str__(self) -> str:
        return f"{self.field}: {self.message}"


@dataclass(frozen=True, slots=True)
class LetterContent:
    """Everything a referral letter shows, in the order it shows it."""

    letter_date: date
    specialty: str
    specialty_name: str
    title: str
    urgency: str
    referral_ref: str
    letterhead: Letterhead
    recipient: Recipient
    copies: tuple[Recipient, ...]
    # her details (every page carries name, date of birth and NHS number)
    patient_heading: str              # WIŚNIEWSKA-O'BRIEN, Łucja
    patient_name: str                 # Łucja Wiśniewska-O'Brien
    date_of_birth: str                # 12-Apr-1991
    age: int
    nhs_number: str | None            # 943 476 5919
    hospital_number: str | None
    patient_address: str | None
    patient_phone: str | None
    patient_email: str | None
    gp_name: str | None
    gp_practice: str | None
    gp_address: str | None
    # who refers
    referrer_name: str
    referrer_role: str
    referrer_clinic: str
    referrer_contact: str | None
    # the letter
    reason: str
    opening: tuple[Block, ...]
    clinical_summary: tuple[str, ...]
    pregnancies: Table
    fractures: Table
    dexa: Table
    dexa_notes: tuple[str, ...]
    bloods: Table
    medications: Table
    breastfeeding: tuple[str, ...]
    medication_check: tuple[str, ...] | None     # None: not relevant to this specialty
    risk_factors: tuple[str, ...]
    safety_alerts: tuple[str, ...]
    decisions: tuple[str, ...]
    requests: tuple[Block, ...]
    results_window_days: int
    stale_results: tuple[str, ...] = ()
    unresolved_placeholders: tuple[str, ...] = ()
    replaces: str | None = None       # a correction says which letter it replaces
    correction_reason: str | None = None   # and why it was corrected

    @property
    def identifier_line(self) -> str:
        """The line at the top of every page."""
        nhs = self.nhs_number or NOT_RECORDED
        line = f"{self.patient_heading}   DOB {self.date_of_birth}   NHS {nhs}"
        if self.hospital_number:
            line += f"   Hospital no. {self.hospital_number}"
        return line


# --- small words ----------------------------------------------------------------------

def patient_heading(record: PatientRecord) -> str:
    """`WIŚNIEWSKA-O'BRIEN, Łucja`: family name in capitals first, as on hospital letters."""
    return f"{record.family_name.upper()}, {record.given_name}"


def _address(text: str | None, postcode: str | None = None) -> str | None:
    lines = [line.strip() for line in (text or "").replace(",\n", "\n").splitlines() if line.strip()]
    if postcode and postcode.strip() and postcode.strip() not in lines:
        lines.append(postcode.strip())
    return "\n".join(lines) or None


def _weeks(days: int) -> str:
    weeks = days // 7
    return f"{weeks} week{'s' if weeks != 1 else ''}"


def _baby_age(days: int) -> str:
    """`14 weeks old` (under 17 weeks), `7 months old` (under two years), `3 years and 7 months old`."""
    if days < 7 * 17:
        return f"{_weeks(days)} old"
    months = int(days / 30.4375)
    if months < 24:
        return f"{months} months old"
    years, months = divmod(months, 12)
    return f"{years} years" + (f" and {months} month{'s' if months != 1 else ''}" if months else "") + " old"


def _result(value: float, unit: str) -> str:
    return f"{written_number(value)} {unit}" if unit != "flag" else ("abnormal" if value else "normal")


def _postpartum_at(record: PatientRecord, fracture_day: date, pregnancy_ref: str | None) -> str | None:
    """Weeks from her delivery to a fracture ("6 weeks"), "during pregnancy 2", or None (the timeline's count)."""
    where = postpartum_on(record, fracture_day, pregnancy_ref)
    if where.during_pregnancy:
        return f"during pregnancy {where.pregnant_with}"
    return None if where.weeks is None else _weeks(where.weeks * 7)


ORDINAL_WORDS = ("first", "second", "third", "fourth", "fifth", "sixth", "seventh", "eighth", "ninth", "tenth")


def _her_pregnancy(number: int) -> str:
    """`her second pregnancy` (`pregnancy 11` past the tenth)."""
    return f"her {ORDINAL_WORDS[number - 1]} pregnancy" if 1 <= number <= len(ORDINAL_WORDS) else f"pregnancy {number}"


def _gestation_weeks(pregnancy: Pregnancy, day: date) -> int | None:
    """Completed weeks of gestation on `day`, dated from the due date (None: no due date recorded)."""
    if pregnancy.due_date is None:
        return None
    days = GESTATION_DAYS - (pregnancy.due_date - day).days
    return days // 7 if days >= 0 else None


def presentation_words(record: PatientRecord, day: date, pregnancy_ref: str | None = None) -> str:
    """Where `day` fell in her pregnancies, in words that read true after a date (the timeline's count):

    `6 weeks after the delivery of 03-Feb-2026`, `3 days after the delivery of ...`,
    `on the day of the delivery of ...`, `at 32 weeks of her second pregnancy` (dated from
    its due date), `during her second pregnancy` (no due date), `before any delivery`, or
    `with no pregnancy recorded`.  A day inside a later pregnancy is during that pregnancy,
    whatever deliveries came before it.
    """
    where = postpartum_on(record, day, pregnancy_ref)
    if where.during_pregnancy:
        carrying = next(p for p in record.pregnancies if p.number == where.pregnant_with)
        weeks = _gestation_weeks(carrying, day)
        which = _her_pregnancy(carrying.number)
        return f"during {which}" if weeks is None else f"at {weeks} week{'s' if weeks != 1 else ''} of {which}"
    if where.weeks is None:
        return "before any delivery" if record.pregnancies else "with no pregnancy recorded"
    birth = next(p for p in births_on(record, day) if p.number == where.pregnancy)
    days = (day - birth.ended_on).days
    if days == 0:
        when = "on the day of"
    elif days < 7:
        when = f"{days} day{'s' if days != 1 else ''} after"
    else:
        when = f"{_weeks(days)} after"
    return f"{when} the delivery of {written_date(birth.ended_on)}"


LISTED_IN_FULL = 6   # more fractures than this are summarised in sentences (the table lists them all)


def _fracture_list(fractures) -> str | None:
    """`L1 grade 2 on 10-May-2025, T12 ...`, or for many fractures their count and dates."""
    if not fractures:
        return None
    if len(fractures) <= LISTED_IN_FULL:
        return ", ".join(fracture_description(f) for f in fractures)
    first, last = fractures[0].identified_on, fractures[-1].identified_on
    when = f"on {written_date(first)}" if first == last else f"from {written_date(first)} to {written_date(last)}"
    return f"{len(fractures)} fractures identified {when}, listed in the fractures table"


def _is_current(started_on: date, stopped_on: date | None, today: date) -> bool:
    return started_on <= today and (stopped_on is None or stopped_on >= today)


# --- the sections ---------------------------------------------------------------------

def _pregnancy_table(record: PatientRecord) -> Table:
    rows = []
    for p in sorted(record.pregnancies, key=lambda p: p.number):
        rows.append((str(p.number), OUTCOME_WORDS.get(p.outcome, p.outcome),
                     written_date(p.due_date) if p.due_date else None,
                     written_date(p.ended_on) if p.ended_on else ("ongoing" if p.outcome == "ongoing" else None),
                     p.delivery_mode if p.outcome in codes.BIRTH_OUTCOMES else "-"))
    return Table(("Pregnancy", "Outcome", "Due date", "Delivery or end", "Delivery"), tuple(rows))


def _fracture_table(record: PatientRecord, today: date, settings: ClinicSettings) -> Table:
    presentation = presentation_fractures(record, today, settings)
    repeats = repeat_fractures(record, today, settings)
    rows = []
    for f in sorted(record.fractures, key=lambda f: (f.identified_on, f.ref)):
        if f.identified_on > today:
            continue
        if f.trauma == "high":
            kind = "high trauma (not a fragility fracture)"
        elif f in presentation:
            kind = "presentation"
        elif f in repeats:
            kind = "repeat"
        else:
            kind = "known site seen again"
        rows.append((fracture_name(f).capitalize() if f.site not in codes.VERTEBRAL_LEVELS else fracture_name(f),
                     written_date(f.identified_on),
                     IMAGING_WORDS.get(f.imaging, f.imaging),
                     str(f.genant_grade) if f.genant_grade is not None else ("-" if f.site not in codes.VERTEBRAL_LEVELS else None),
                     _postpartum_at(record, f.identified_on, f.pregnancy),
                     kind,
                     f.note or "-"))
    return Table(("Site", "Identified", "Imaging", "Genant grade", "After delivery", "Presentation or repeat",
                  "Note"), tuple(rows))


def _dexa_table(record: PatientRecord, today: date, settings: ClinicSettings) -> tuple[Table, tuple[str, ...]]:
    history = interpret_dexa_history(record, today, settings)
    rows = []
    notes = []
    for scan in history.scans:
        rows.append((
            written_date(scan.scanned_on),
            dexa_site_name(scan.site).capitalize(),
            written_number(scan.z_score) if scan.z_score is not None else None,
            scan.classification or "cannot be classified without a Z-score",
            written_number(scan.t_score) if scan.t_score is not None else "-",
            f"{scan.bmd:.3f}" if scan.bmd is not None else "-",
            scan.change.describe(scan.site) if scan.change is not None else "-",
        ))
        if scan.while_breastfeeding:
            note = f"{written_date(scan.scanned_on)}: scanned while breastfeeding (lactational bone loss usually recovers after weaning)."
            if note not in notes:
                notes.append(note)
    if rows:
        notes.insert(0, "Read for a premenopausal woman by the Z-score (against women of her age); "
                        "the T-score is shown for reference only.")
    return (Table(("Scanned", "Site", "Z-score", "Reading for her age", "T-score", "BMD g/cm\u00b2",
                   "Change since previous scan"), tuple(rows)), tuple(notes))


def _blood_table(record: PatientRecord, today: date, settings: ClinicSettings) -> tuple[Table, tuple[str, ...]]:
    window = settings.results_window_days
    rows, stale_rows, stale = [], set(), []
    for test in codes.BLOOD_TESTS:
        results = [r for r in record.bloods if r.test == test and r.taken_on <= today]
        if not results:
            continue
        latest = max(results, key=lambda r: r.taken_on)  # on a tie, max keeps the first
        latest = [r for r in results if r.taken_on == latest.taken_on][-1]
        taken = written_date(latest.taken_on)
        if (today - latest.taken_on).days > window:
            stale_rows.add(len(rows))
            stale.append(f"{BLOOD_TEST_NAMES[test]} ({taken})")
            taken = f"{taken} (older than {window} days)"
        rows.append((BLOOD_TEST_NAMES[test], _result(latest.value, latest.unit), taken))
    return Table(("Test (latest)", "Result", "Taken on"), tuple(rows), frozenset(stale_rows)), tuple(stale)


def _medication_table(record: PatientRecord, today: date) -> Table:
    rows = []
    for m in sorted(record.medications, key=lambda m: (m.started_on, m.ref)):
        if m.started_on > today:
            continue
        current = _is_current(m.started_on, m.stopped_on, today)
        stopped = written_date(m.stopped_on) if m.stopped_on else "-"
        kind = "supplement" if m.drug not in codes.OSTEOPOROSIS_DRUGS else "osteoporosis medicine"
        rows.append((codes.DRUG_NAMES[m.drug], kind, written_date(m.started_on),
                     stopped, "current" if current else "past"))
    return Table(("Medicine", "Kind", "Started", "Stopped", "Now"), tuple(rows))


def _breastfeeding_lines(record: PatientRecord, today: date) -> tuple[str, ...]:
    status = lactation_status_on(record, today)
    lines = [f"On {written_date(today)}: {LACTATION_WORDS.get(status, NOT_RECORDED)}."]
    if status == "unknown":
        lines[0] = f"On {written_date(today)}: whether she breastfeeds after her latest birth is not recorded."
    numbers = {p.ref: p for p in record.pregnancies}
    for f in sorted(record.breastfeeding, key=lambda f: (f.started_on or date.min, f.pregnancy)):
        pregnancy = numbers.get(f.pregnancy)
        label = f"After pregnancy {pregnancy.number}" if pregnancy else "After a pregnancy"
        if pregnancy and pregnancy.ended_on:
            label += f" (ended {written_date(pregnancy.ended_on)})"
        if not f.breastfed:
            lines.append(f"{label}: not breastfed.")
            continue
        text = f"{label}: breastfed from {written_date(f.started_on) if f.started_on else NOT_RECORDED}"
        if f.stopped_on and f.stopped_on <= today:
            text += f", stopped {written_date(f.stopped_on)}"
        else:
            stop = feeding_stop_on(f)
            text += ", still feeding" + (f", planned stop {written_date(stop)}" if stop else "")
        lines.append(text + ".")
    return tuple(lines)


def _drug_under_consideration(record: PatientRecord, today: date) -> str | None:
    """Her current osteoporosis medicine, else the drug of her latest decision naming one."""
    current = [m for m in record.medications
               if m.drug in codes.OSTEOPOROSIS_DRUGS and _is_current(m.started_on, m.stopped_on, today)]
    if current:
        return max(current, key=lambda m: m.started_on).drug
    decided = [d for d in record.decisions if d.drug in codes.OSTEOPOROSIS_DRUGS and d.decided_on <= today]
    return max(decided, key=lambda d: d.decided_on).drug if decided else None


def _medication_check_lines(record: PatientRecord, today: date, settings: ClinicSettings) -> tuple[str, ...]:
    drug = _drug_under_consideration(record, today)
    if drug is None:
        return ("No osteoporosis medicine is being considered for her at present, so the medication "
                "check was not asked about a drug.",)
    result = check_medication(record, drug, today, settings=settings)
    lines = [f"{codes.DRUG_NAMES[drug]}, checked on {written_date(today)}: {VERDICT_WORDS[result.verdict]}."]
    lines += [f"{r.id} ({r.level}): {r.message}" for r in result.rules if r.level != "info"]
    if result.review_on:
        lines.append(f"The check should be repeated by {written_date(result.review_on)}.")
    return tuple(lines)


def _risk_factor_lines(record: PatientRecord, today: date) -> tuple[str, ...]:
    lines = [RISK_FACTOR_WORDS.get(c, c.replace("_", " ")) for c in record.risk_factors]
    lines += [HISTORY_WORDS.get(c, c.replace("_", " ")) for c in record.history]
    plan = {"yes": "plans a further pregnancy", "no": "does not plan a further pregnancy",
            "unsure": "is unsure about a further pregnancy"}.get(record.future_pregnancy_plan or "")
    if plan:
        lines.append(f"She {plan}.")
    contraception = latest_contraception(record, today)
    if contraception:
        c = contraception[-1]
        lines.append(f"Contraception ({written_date(c.recorded_on)}): {c.method}"
                     f"{'' if c.effective else ' (not effective)'}.")
    return tuple(lines)


def _safety_alerts(record: PatientRecord, today: date, settings: ClinicSettings) -> tuple[str, ...]:
    alerts = []
    if is_pregnant_on(record, today):
        alerts.append("She is pregnant: no osteoporosis medicine and no ionising imaging without specialist advice.")
    if is_breastfeeding_on(record, today):
        alerts.append("She is breastfeeding: check every new medicine for use during lactation.")
    screens = sorted((e for e in record.epds if e.assessed_on <= today), key=lambda e: e.assessed_on)
    if screens:
        latest = screens[-1]
        if latest.self_harm_item > 0:
            alerts.append(f"EPDS item 10 (thoughts of self-harm) scored {latest.self_harm_item} on "
                          f"{written_date(latest.assessed_on)}: ask about her safety at every contact.")
        if latest.score >= settings.epds_high_score:
            alerts.append(f"EPDS score {latest.score} on {written_date(latest.assessed_on)} "
                          f"(at or above {settings.epds_high_score}): possible perinatal depression.")
    if any(m.drug == "denosumab" and _is_current(m.started_on, m.stopped_on, today) for m in record.medications):
        alerts.append("She takes denosumab: do not stop or delay a dose without a planned follow-on "
                      "treatment (risk of rebound vertebral fractures).")
    if any(f.site in codes.VERTEBRAL_LEVELS for f in fragility_fractures(record, today)):
        alerts.append("Vertebral fractures: no spinal manipulation; avoid heavy lifting and loaded forward bending.")
    return tuple(alerts)


def _decision_lines(record: PatientRecord, today: date) -> tuple[str, ...]:
    lines = []
    for d in sorted((d for d in record.decisions if d.decided_on <= today), key=lambda d: d.decided_on):
        text = f"{written_date(d.decided_on)}, {d.by}: {PLAN_WORDS.get(d.plan, d.plan)}"
        if d.drug:
            text += f" {codes.DRUG_NAMES[d.drug]}"
        if d.review_on:
            text += f"; review by {written_date(d.review_on)}"
        if d.override_reason:
            text += f"; reason: {d.override_reason}"
        lines.append(text + ".")
    return tuple(lines)


def _clinical_summary(record: PatientRecord, today: date, settings: ClinicSettings) -> tuple[str, ...]:
    first = index_date(record, today)
    fractures = fragility_fractures(record, today)
    if first is None:
        lines = ["Referred for assessment of possible pregnancy-associated osteoporosis: "
                 "no fragility fracture is recorded."]
    else:
        lines = [f"Diagnosis: pregnancy-associated osteoporosis, with {len(fractures)} fragility "
                 f"fracture{'s' if len(fractures) != 1 else ''} recorded."]
        after = presentation_words(record, first)
        levels = vertebral_levels_at_presentation(record, today, settings)
        lines.append(f"Presentation: first fragility fracture identified on {written_date(first)}, {after}; "
                     f"vertebral levels at presentation: {', '.join(l.upper() for l in levels) or 'none'}.")
        repeats = repeat_fractures(record, today, settings)
        lines.append(f"Repeat fractures since presentation: {len(repeats)}"
                     + (f" ({_fracture_list(repeats)})." if repeats else "."))
    births = births_on(record, today)
    if record.pregnancies:
        lines.append(f"Pregnancies: {len(record.pregnancies)}; births: {len(births)}"
                     + (f", the latest on {written_date(births[-1].ended_on)}." if births else "."))
    heights = sorted((h for h in record.heights if h.measured_on <= today), key=lambda h: h.measured_on)
    if heights:
        text = f"Height: {written_number(heights[-1].cm)} cm on {written_date(heights[-1].measured_on)}"
        if len(heights) > 1:
            text += f" (first {written_number(heights[0].cm)} cm on {written_date(heights[0].measured_on)})"
        lines.append(text + ".")
    screens = sorted((e for e in record.epds if e.assessed_on <= today), key=lambda e: e.assessed_on)
    if screens:
        lines.append(f"Latest EPDS: {screens[-1].score} on {written_date(screens[-1].assessed_on)}.")
    return tuple(lines)


def _placeholder_values(record: PatientRecord, referral: Referral, recipient: Recipient, author: Author,
                        letterhead: Letterhead, today: date, settings: ClinicSettings) -> dict[str, str | None]:
    first = index_date(record, today)
    births = births_on(record, today)
    latest_birth = births[-1] if births else None
    fractures = fragility_fractures(record, today)
    dexa = interpret_dexa_history(record, today, settings)
    screens = sorted((e for e in record.epds if e.assessed_on <= today), key=lambda e: e.assessed_on)
    status = lactation_status_on(record, today)

    def latest_blood(test: str) -> str | None:
        results = sorted((r for r in record.bloods if r.test == test and r.taken_on <= today), key=lambda r: r.taken_on)
        if not results:
            return None
        r = results[-1]
        return f"{_result(r.value, r.unit)} on {written_date(r.taken_on)}"

    current = [m for m in record.medications if _is_current(m.started_on, m.stopped_on, today)]
    osteoporosis_now = [codes.DRUG_NAMES[m.drug] for m in current if m.drug in codes.OSTEOPOROSIS_DRUGS]
    supplements = [m for m in record.medications if m.drug == "calcium_vitamin_d" and m.started_on <= today]
    if supplements:
        latest_supplement = max(supplements, key=lambda m: m.started_on)
        calcium = (f"taken since {written_date(latest_supplement.started_on)}"
                   if _is_current(latest_supplement.started_on, latest_supplement.stopped_on, today)
                   else f"stopped on {written_date(latest_supplement.stopped_on)}")
    else:
        calcium = None
    lowest = None
    if dexa.lowest_z is not None:
        lowest = f"{written_number(dexa.lowest_z)} ({dexa.classification}, {written_date(dexa.latest[0].scanned_on)})"
    lactation = LACTATION_WORDS.get(status)  # None when it is not recorded after her latest birth
    if status == "breastfeeding":
        starts = [f.started_on for f in feeding_entries_breastfeeding_on(record, today) if f.started_on]
        if starts:
            lactation += f" since {written_date(min(starts))}"
    elif status == "ceased":
        stopped = feeding_stopped_on(record, today)
        if stopped:
            lactation += f" (stopped {written_date(stopped)})"
    return {
        "patient_name": record.display_name,
        "patient_given_name": record.given_name,
        "patient_age": str(age_on(record.date_of_birth, today)),
        "recipient_name": recipient.name,
        "specialty_name": SPECIALTY_NAMES[referral.specialty],
        "urgency": referral.urgency,
        "reason": referral.reason,
        "index_date": written_date(first) if first else None,
        "fracture_summary": _fracture_list(fractures),
        "vertebral_fracture_count": str(len(vertebral_levels_at_presentation(record, today, settings))) if first else None,
        "presentation_timing": presentation_words(record, first) if first else None,
        "latest_delivery_date": written_date(latest_birth.ended_on) if latest_birth else None,
        "baby_age": _baby_age((today - latest_birth.ended_on).days) if latest_birth and latest_birth.outcome == "live_birth" else None,
        "lactation_status": lactation,
        "lowest_z_score": lowest,
        "latest_epds": f"{screens[-1].score} on {written_date(screens[-1].assessed_on)}" if screens else None,
        "epds_self_harm_item": str(screens[-1].self_harm_item) if screens else None,
        "current_osteoporosis_medication": ", ".join(osteoporosis_now) or "none",
        "calcium_vitamin_d": calcium,
        "latest_vitamin_d": latest_blood("vitamin_d_25oh"),
        "latest_adjusted_calcium": latest_blood("adjusted_calcium"),
        "author_name": author.display_name,
        "author_role": ROLE_WORDS.get(author.role, author.role),
        "clinic_name": letterhead.name,
    }


# --- recipients -------------------------------------------------------------------------

UNNAMED_GP = "The general practitioner"   # her GP's name is not recorded

def gp_recipient(record: PatientRecord) -> Recipient:
    gp = record.gp
    return Recipient(role="GP", name=(gp.name if gp and gp.name else UNNAMED_GP),
                     organisation=gp.practice if gp else None, address=_address(gp.address if gp else None))


def patient_recipient(record: PatientRecord) -> Recipient:
    contact = record.contact
    return Recipient(role="patient", name=record.display_name, organisation=None,
                     address=_address(contact.address, contact.postcode) if contact else None)


def specialty_recipient(specialty: str, letterhead: Letterhead,
                        address_book: dict[str, ReferralAddress] | None = None) -> Recipient:
    """The address book's entry for the specialty, else its department at the clinic's own address."""
    entry = (address_book or {}).get(specialty)
    if entry is not None:
        return Recipient(role="specialty", name=entry.department, organisation=None, address=_address(entry.address))
    name = SPECIALTY_NAMES[specialty]
    department = name if name.lower().endswith("service") else f"{name} department"
    return Recipient(role="specialty", name=department,
                     organisation=letterhead.name, address=_address(letterhead.address))


# --- building the letter ----------------------------------------------------------------

def build_letter_content(
    record: PatientRecord,
    referral: Referral,
    *,
    author: Author,
    letterhead: Letterhead,
    today: date,
    address_book: dict[str, ReferralAddress] | None = None,
    settings: ClinicSettings = DEFAULT_SETTINGS,
    template: LetterTemplate | None = None,
    replaces: str | None = None,
    correction_reason: str | None = None,
) -> LetterContent:
    """The letter for one referral of hers, as on `today`."""
    template = template or load_template(referral.specialty)
    recipient = gp_recipient(record) if referral.specialty == "gp" else specialty_recipient(
        referral.specialty, letterhead, address_book)
    copies = ((patient_recipient(record),) if referral.specialty == "gp"
              else (gp_recipient(record), patient_recipient(record)))
    values = _placeholder_values(record, referral, recipient, author, letterhead, today, settings)
    used = template.placeholders()
    unresolved = tuple(sorted(name for name in used if values.get(name) in (None, "")))
    dexa, dexa_notes = _dexa_table(record, today, settings)
    bloods, stale = _blood_table(record, today, settings)
    contact = " | ".join(x for x in (letterhead.phone, letterhead.email) if x) or None
    specialty_words = SPECIALTY_NAMES[referral.specialty].lower()
    if referral.specialty == "gp":
        title = "Letter to her general practitioner"
    elif specialty_words.endswith("service"):
        title = f"Referral to the {specialty_words}"
    else:
        title = f"Referral to {specialty_words}"
    contact_details = record.contact
    gp = record.gp
    return LetterContent(
        letter_date=today,
        specialty=referral.specialty,
        specialty_name=SPECIALTY_NAMES[referral.specialty],
        title=title,
        urgency=referral.urgency,
        referral_ref=referral.ref,
        letterhead=letterhead,
        recipient=recipient,
        copies=copies,
        patient_heading=patient_heading(record),
        patient_name=record.display_name,
        date_of_birth=written_date(record.date_of_birth),
        age=age_on(record.date_of_birth, today),
        nhs_number=format_nhs_number(record.nhs_number) if record.nhs_number else None,
        hospital_number=record.hospital_number or None,
        patient_address=_address(contact_details.address, contact_details.postcode) if contact_details else None,
        patient_phone=contact_details.phone if contact_details else None,
        patient_email=contact_details.email if contact_details else None,
        gp_name=gp.name if gp else None,
        gp_practice=gp.practice if gp else None,
        gp_address=_address(gp.address) if gp else None,
        referrer_name=author.display_name,
        referrer_role=ROLE_WORDS.get(author.role, author.role),
        referrer_clinic=letterhead.name,
        referrer_contact=contact,
        reason=referral.reason,
        opening=template.render("opening", values),
        clinical_summary=_clinical_summary(record, today, settings),
        pregnancies=_pregnancy_table(record),
        fractures=_fracture_table(record, today, settings),
        dexa=dexa,
        dexa_notes=dexa_notes,
        bloods=bloods,
        medications=_medication_table(record, today),
        breastfeeding=_breastfeeding_lines(record, today),
        medication_check=(_medication_check_lines(record, today, settings)
                          if referral.specialty in GATE_SPECIALTIES else None),
        risk_factors=_risk_factor_lines(record, today),
        safety_alerts=_safety_alerts(record, today, settings),
        decisions=_decision_lines(record, today),
        requests=template.render("request", values),
        results_window_days=settings.results_window_days,
        stale_results=stale,
        unresolved_placeholders=unresolved,
        replaces=replaces,
        correction_reason=correction_reason,
    )


def missing_items(content: LetterContent) -> tuple[MissingItem, ...]:
    """What the letter lacks, for the preview; those with `blocks_issue` stop it being issued."""
    items: list[MissingItem] = []
    if not content.recipient.address:
        who = content.recipient.name or "the recipient"
        items.append(MissingItem("recipient_address", f"no postal address for {who}; the letter cannot be sent", True))
    if not content.nhs_number and not content.hospital_number:
        items.append(MissingItem("nhs_number", "she has neither an NHS number nor a hospital number", True))
    elif not content.nhs_number:
        items.append(MissingItem("nhs_number", "not recorded (the hospital number identifies her)"))
    for copy in content.copies:
        if not copy.address:
            who = "her GP practice" if copy.role == "GP" else "her"
            items.append(MissingItem(f"{copy.role.lower()}_address", f"no postal address for {who}: that copy cannot be posted"))
    if content.recipient.role != "GP" and not content.gp_practice:
        items.append(MissingItem("gp_practice", "her GP practice is not recorded"))
    if not content.referrer_contact:
        items.append(MissingItem("letterhead", "the clinic's phone and email are not set, so the recipient cannot reply"))
    if not content.fractures.rows:
        items.append(MissingItem("fractures", "no fracture is recorded"))
    if not content.dexa.rows:
        items.append(MissingItem("dexa", "no DEXA scan is recorded"))
    if not content.bloods.rows:
        items.append(MissingItem("bloods", "no blood result is recorded"))
    for result in content.stale_results:
        items.append(MissingItem("bloods", f"{result} is older than {content.results_window_days} days"))
    for name in content.unresolved_placeholders:
        items.append(MissingItem(name, f"{{{name}}} has no value in her record and prints as \"{NOT_RECORDED}\""))
    return tuple(items)


def issue_problems(content: LetterContent) -> list[Problem]:
    """Why the letter cannot be issued (empty: it can)."""
    return [Problem(item.field, item.message) for item in missing_items(content) if item.blocks_issue]


__all__ = [
    "Author", "GATE_SPECIALTIES", "LetterContent", "Letterhead", "MissingItem", "Recipient", "ReferralAddress",
    "SPECIALTY_NAMES", "Table", "build_letter_content", "gp_recipient", "issue_problems", "missing_items",
    "patient_heading", "patient_recipient", "presentation_words", "specialty_recipient",
]

