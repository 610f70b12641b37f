"""The rules of one patient's record (exchange format version 1).

`patient_record_problems` checks every rule of `shared/spec/exchange-format.md` that
is about meaning rather than JSON types: identifiers, names, dates, codes, refs and
how the entries of one record fit together.  Import runs it for each patient (and
prefixes the paths with `patients[i].`); the services run it on the whole record
with a new entry appended and show the problems of that entry at its fields, so
every message reads well after a path such as `fractures[3].site` and names the
bad value in words a nurse understands.

Rules the spec leaves open are decided on the clinically safer side; each such
choice is marked "(safer choice)" below.
"""

from __future__ import annotations

import math
import unicodedata
from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import fields
from datetime import date, timedelta

from pao_clinic.record.dates import age_on, written_date
from pao_clinic.record.shown_text import (  # noqa: F401 (quoted, readable: this module's words too)
    ALLOWED_CONTROLS as _ALLOWED_CONTROLS, BROKEN_CHARACTER, CONTROL_CHARACTER, CONTROL_OR_LINE_BREAK, quoted, readable,
)
from pao_clinic.record import codes
from pao_clinic.errors import Problem
from pao_clinic.record.nhs_number import nhs_number_problem
from pao_clinic.record import (
    CLINICAL_LISTS,
    BloodResult,
    Contraception,
    Decision,
    DexaScan,
    EpdsScreen,
    Feeding,
    Fracture,
    HeightMeasurement,
    Medication,
    PatientRecord,
    Pregnancy,
    Referral,
)


# The limits live in `record/limits.py`: one place for the core, the docs and the test that
# keeps the database columns at least as wide. Their names stay importable from here.
from pao_clinic.record.limits import (
    BMD_RANGE,
    DUE_DATE_MAX_DAYS_AHEAD,
    EPDS_SCORE_RANGE,
    EPDS_SELF_HARM_RANGE,
    HEIGHT_RANGE_CM,
    HOSPITAL_NUMBER_MAX_LENGTH,
    MAX_AGE_AT_PREGNANCY,
    MIN_AGE_AT_PREGNANCY,
    NAME_MAX_LENGTH,
    NHS_NUMBER_MAX_LENGTH,
    OLDEST_AGE,
    PLANNED_STOP_MAX_YEARS_AHEAD,
    PREGNANCY_NUMBER_RANGE,
    REVIEW_MAX_YEARS_AHEAD,
    SCORE_RANGE,
    TEXT_LIMITS,
    USER_NAME_MAX_LENGTH,
)

# The only dates that may lie after today: they are expectations, not events.
#   - a pregnancy's due_date (an ongoing pregnancy is due in the future; a pregnancy
#     that ended early may have had a due date still to come),
#   - a feeding entry's planned_stop_on (when she plans to stop),
#   - a decision's review_on (when the decision is to be looked at again).
# Every other date records something that has happened, so it cannot be in the future.
MAY_BE_IN_THE_FUTURE: frozenset[tuple[str, str]] = frozenset({
    ("pregnancies", "due_date"),
    ("breastfeeding", "planned_stop_on"),
    ("decisions", "review_on"),
})
# ... and how far ahead each may lie (`record/limits.py`): further is a typing error (9999 for 2025).
_HOW_FAR_AHEAD: dict[tuple[str, str], tuple[int, str]] = {
    ("pregnancies", "due_date"): (DUE_DATE_MAX_DAYS_AHEAD, "days"),
    ("breastfeeding", "planned_stop_on"): (PLANNED_STOP_MAX_YEARS_AHEAD, "years"),
    ("decisions", "review_on"): (REVIEW_MAX_YEARS_AHEAD, "years"),
}

# Medicines given as single doses at intervals: one entry per dose.
ONE_ENTRY_PER_DOSE: frozenset[str] = frozenset({"denosumab", "zoledronate"})

MICRO_SIGN = "\u00b5"
GREEK_MU = "\u03bc"

_NAME_MARKS = frozenset(" -'\u2019")  # space, hyphen, apostrophe and typographic apostrophe

# Free text of the record (other text is a code, a name or a number, checked on its own).
_FREE_TEXT: dict[str, tuple[str, ...]] = {
    "contraception": ("method",),
    "pregnancies": ("ref",),
    "breastfeeding": ("pregnancy",),
    "fractures": ("ref", "pregnancy", "note"),
    "dexa": ("ref",),
    "medications": ("ref",),
    "referrals": ("ref", "reason"),
    "decisions": ("by", "override_reason"),
}


def standard_unit(unit: str) -> str:
    """The unit with a Greek mu (U+03BC) written as the micro sign (U+00B5)."""
    return unit.replace(GREEK_MU, MICRO_SIGN)


def patient_record_problems(record: PatientRecord, *, today: date) -> list[Problem]:
    """Every rule of one record that is broken, with paths relative to the patient."""
    return list(_RecordRules(record, today).problems())


def user_account_problems(name: str, display_name: str) -> list[Problem]:
    """A user's sign-in name and display name against their limits (paths `name`, `display_name`)."""
    problems = []
    for path, text, most in (("name", name, USER_NAME_MAX_LENGTH), ("display_name", display_name, NAME_MAX_LENGTH)):
        problem = _text_problem(path, text, most)
        if problem is not None:
            problems.append(problem)
        elif path == "display_name" and any(unicodedata.category(ch) == "Cc" for ch in text):
            problems.append(Problem(path, f"{_quoted(text)} contains an invisible control character"))
    return problems


_quoted = quoted


def _number(value: float) -> str:
    if isinstance(value, int) and not isinstance(value, bool):
        return _whole(value)
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e15:
        return str(int(value))
    return repr(value)


def number_words(value: int) -> str:
    """A whole number for a message; one too long to read is described by its length."""
    if abs(value) < 10**15:
        return str(value)
    digits = len(str(value)) if value.bit_length() < 10_000 else int(value.bit_length() * math.log10(2)) + 1
    return f"a number with {digits:,} digits"


_whole = number_words


def _first_broken_character(text: str) -> str | None:
    """A lone surrogate: half of a character (an emoji cut in two) that no database can store."""
    found = BROKEN_CHARACTER.search(text)
    return None if found is None else found.group()


def _text_problem(path: str, text: str, most: int | None) -> Problem | None:
    broken = _first_broken_character(text)
    if broken is not None:
        return Problem(path, f"{_quoted(text)} contains a broken character ({_character(broken)}, half of a "
                             f"character that was cut in two; shown as '?'); please retype the text")
    if most is not None and len(text) > most:
        return Problem(path, f"{_quoted(text)} has {len(text):,} characters; at most {most:,} are allowed")
    return None


def text_problem(path: str, text: object, most: int, *, what: str = "the text",
                 one_line: bool = False) -> Problem | None:
    """Text typed outside the record (a reason, a clinic setting) against its limit, or None when fine.

    Refused: what is not text, a broken character (a lone surrogate no database stores),
    an invisible control character (tab and line breaks allowed, line breaks only when
    not `one_line`), and more than `most` characters.
    """
    if not isinstance(text, str):
        return Problem(path, f"{what} must be text, not {type(text).__name__}")
    problem = _text_problem(path, text, most)
    if problem is not None:
        return problem
    found = (CONTROL_OR_LINE_BREAK if one_line else CONTROL_CHARACTER).search(text)
    if found is not None:
        bad = found.group()
        return Problem(path, f"{_quoted(text.replace(bad, '?'))} contains {_character(bad)} (shown as '?'); "
                             f"please retype {what}")
    return None


def _how_far(name: str, field: str) -> str:
    most, unit = _HOW_FAR_AHEAD[(name, field)]
    return f"{most} days (about {round(most / 30.4)} months)" if unit == "days" else f"{most} years"


def _years_after(day: date, years: int) -> date:
    if day.year + years > date.max.year:
        return date.max
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February
        return day.replace(year=day.year + years, day=28)


def _character(ch: str) -> str:
    if ch.isprintable() and not ch.isspace():
        return f"'{ch}'"
    if ch == "\t":
        return "a tab"
    if ch in "\r\n":
        return "a line break"
    return f"the invisible character U+{ord(ch):04X}"


def _listing(options: Sequence[str]) -> str:
    return ", ".join(options)


def _field_names(value: object) -> tuple[str, ...]:
    """The names of a record value's fields, in order (`dataclasses.fields`, asked once per type)."""
    kind = type(value)
    names = _FIELD_NAMES.get(kind)
    if names is None:
        names = _FIELD_NAMES[kind] = tuple(field.name for field in fields(value))  # type: ignore[arg-type]
    return names


_FIELD_NAMES: dict[type, tuple[str, ...]] = {}
_ENTRY_LIMITS: dict[str, dict[str, int | None]] = {}  # "fractures" -> {"note": TEXT_LIMITS["fractures.note"]}
_NOT_KNOWN = object()


def _blank(text: str | None) -> bool:
    return text is None or not text.strip()


class _RecordRules:
    """The checks of one record; `problems()` yields them list by list."""

    def __init__(self, record: PatientRecord, today: date):
        self.record = record
        self.today = today
        # "too far ahead" problems, dropped when the same date breaks a more telling rule as well
        self.far_ahead: set[Problem] = set()
        born = record.date_of_birth
        # A date of birth that is itself wrong is reported once, not again at every date of the record.
        self.birth_is_plausible = born <= today and age_on(born, today) <= OLDEST_AGE
        self.pregnancies_by_ref: dict[str, Pregnancy] = {}
        for pregnancy in record.pregnancies:
            self.pregnancies_by_ref.setdefault(pregnancy.ref, pregnancy)

    def problems(self) -> Iterator[Problem]:
        # Text that cannot be stored (too long, broken characters) is reported alone: the other
        # rules would only quote it again.
        broken = {problem.path: problem for problem in self.text_problems()}
        found = [problem for problem in self.rules() if problem.path not in broken]
        per_path = Counter(problem.path for problem in found)
        yield from broken.values()
        for problem in found:
            if problem in self.far_ahead and per_path[problem.path] > 1:
                continue
            yield problem

    def text_problems(self) -> Iterator[Problem]:
        for path, place, text in self.texts():
            # a hospital number's length has its own rule and words (see hospital_number)
            most = None if place == "hospital_number" else TEXT_LIMITS.get(place)
            problem = _text_problem(path, text, most)
            if problem is not None:
                yield problem

    def texts(self) -> Iterator[tuple[str, str, str]]:
        """Every text of the record: its path, its place in `limits.TEXT_LIMITS`, the text.

        An entry's text that is within its limit and whole (most of them) is passed over here, its
        path never written out: `text_problems` would find nothing in it.
        """
        record = self.record
        for name in _field_names(record):
            value = getattr(record, name)
            if isinstance(value, str):
                yield name, name, value
            elif name in ("risk_factors", "history"):
                for index, code in enumerate(value):
                    if isinstance(code, str):
                        yield f"{name}[{index}]", name, code
        for group in ("contact", "gp"):
            value = getattr(record, group)
            for name in _field_names(value) if value is not None else ():
                text = getattr(value, name)
                if isinstance(text, str):
                    yield f"{group}.{name}", f"{group}.{name}", text
        search = BROKEN_CHARACTER.search
        for name, _item_type, _main_date in CLINICAL_LISTS:
            items = getattr(record, name)
            if not items:
                continue
            limits = _ENTRY_LIMITS.get(name)
            if limits is None:
                limits = _ENTRY_LIMITS[name] = {}
            for index, item in enumerate(items):
                for field in _field_names(item):
                    text = getattr(item, field)
                    if isinstance(text, str):
                        most = limits.get(field, _NOT_KNOWN)
                        if most is _NOT_KNOWN:
                            most = limits[field] = TEXT_LIMITS.get(f"{name}.{field}")
                        if search(text) is None and (most is None or len(text) <= most):
                            continue
                        yield f"{name}[{index}].{field}", f"{name}.{field}", text

    def rules(self) -> Iterator[Problem]:
        yield from self.identity()
        yield from self.code_list("risk_factors", codes.RISK_FACTORS, "a risk factor code")
        yield from self.code_list("history", codes.HISTORY_CODES, "a history code")
        plan = self.record.future_pregnancy_plan
        if plan is not None:
            yield from self.code("future_pregnancy_plan", plan, codes.FUTURE_PREGNANCY_PLANS,
                                 "a future pregnancy plan")
        yield from self.free_text("ref", self.record.ref)
        for group in ("contact", "gp"):
            value = getattr(self.record, group)
            for name in _field_names(value) if value is not None else ():
                yield from self.free_text(f"{group}.{name}", getattr(value, name))
        item_rules = {
            "contraception": self.contraception,
            "dental_reviews": None,
            "pregnancies": self.pregnancy,
            "breastfeeding": self.feeding,
            "fractures": self.fracture,
            "dexa": self.dexa,
            "bloods": self.blood,
            "heights": self.height,
            "epds": self.epds,
            "medications": self.medication,
            "referrals": self.referral,
            "decisions": self.decision,
        }
        for name, _item_type, _main_date in CLINICAL_LISTS:
            items = getattr(self.record, name)
            rule = item_rules[name]
            for index, item in enumerate(items):
                path = f"{name}[{index}]"
                for field in _FREE_TEXT.get(name, ()):
                    yield from self.free_text(f"{path}.{field}", getattr(item, field))
                yield from self.ref(name, path, item, items[:index])
                yield from self.dates(name, path, item)
                if rule is not None:
                    yield from rule(path, item, items[:index])

    # -- who she is ------------------------------------------------------------

    def identity(self) -> Iterator[Problem]:
        record = self.record
        if record.nhs_number is None and record.hospital_number is None:
            yield Problem("nhs_number", "an NHS number or a hospital number is required")
        if record.nhs_number is not None and len(record.nhs_number) <= NHS_NUMBER_MAX_LENGTH:
            problem = nhs_number_problem(record.nhs_number)
            if problem is not None:
                yield Problem("nhs_number", problem)
        if record.hospital_number is not None:
            yield from self.hospital_number(record.hospital_number)
        yield from self.name("family_name", record.family_name, "family name")
        yield from self.name("given_name", record.given_name, "given name")
        born = record.date_of_birth
        if born > self.today:
            yield Problem("date_of_birth",
                          f"date of birth {written_date(born)} is in the future (today is {written_date(self.today)})")
        elif age_on(born, self.today) > OLDEST_AGE:
            yield Problem("date_of_birth",
                          f"date of birth {written_date(born)} would make her {age_on(born, self.today)} years "
                          f"old; please check the year")

    def hospital_number(self, number: str) -> Iterator[Problem]:
        path = "hospital_number"
        if not number.strip():
            yield Problem(path, "the hospital number is empty; leave it out or give the number")
        elif len(number) > HOSPITAL_NUMBER_MAX_LENGTH:
            yield Problem(path, f"{_quoted(number)} has {len(number)} characters; a hospital number has "
                                f"1 to {HOSPITAL_NUMBER_MAX_LENGTH}")
        elif number != number.strip():
            # (safer choice) stray spaces would let one number look like two
            yield Problem(path, f"{_quoted(number)} starts or ends with a space")
        else:
            bad = [ch for ch in number if not ch.isprintable()]
            if bad:
                yield Problem(path, f"{_quoted(number)} contains {_character(bad[0])}")

    def name(self, path: str, text: str, what: str) -> Iterator[Problem]:
        if not text.strip():
            yield Problem(path, f"a {what} is required")
            return
        bad = [ch for ch in text if ch not in _NAME_MARKS and unicodedata.category(ch)[0] not in "LM"]
        if bad:
            yield Problem(path, f"{_quoted(text)} may contain only letters, hyphens, apostrophes and spaces "
                                f"({_character(bad[0])} is not allowed)")
        elif not any(unicodedata.category(ch).startswith("L") for ch in text):
            yield Problem(path, f"{_quoted(text)} has no letters")
        elif text != text.strip():
            # (safer choice) stray spaces make the same woman look like two when searching
            yield Problem(path, f"{_quoted(text)} starts or ends with a space")

    # -- codes, refs and dates shared by every list ----------------------------

    def code(self, path: str, value: str, known: Sequence[str], what: str, *,
             list_them: bool = True) -> Iterator[Problem]:
        if value in known:
            return
        message = f"{_quoted(value)} is not {what}"
        if value.strip().lower() in known:
            message += f" (codes are written in lower case: '{value.strip().lower()}')"
        elif list_them:
            message += f" ({_listing(known)})"
        yield Problem(path, message)

    def code_list(self, name: str, known: Sequence[str], what: str) -> Iterator[Problem]:
        seen: set[str] = set()
        for index, value in enumerate(getattr(self.record, name)):
            path = f"{name}[{index}]"
            if value in seen:
                yield Problem(path, f"{_quoted(value)} is listed twice")
            seen.add(value)
            yield from self.code(path, value, known, what, list_them=False)

    def ref(self, name: str, path: str, item: object, earlier: Sequence[object]) -> Iterator[Problem]:
        ref = getattr(item, "ref", None)
        if ref is None:
            return
        if not ref.strip():
            yield Problem(f"{path}.ref", "a ref is required (any text that names this entry in the file)")
        elif any(getattr(other, "ref", None) == ref for other in earlier):
            yield Problem(f"{path}.ref", f"ref {_quoted(ref)} is used by an earlier entry in {name}; "
                                         f"refs must be different within a list")

    def dates(self, name: str, path: str, item: object) -> Iterator[Problem]:
        born = self.record.date_of_birth
        for field_name in _field_names(item):
            value = getattr(item, field_name)
            if not isinstance(value, date):
                continue
            if value > self.today and (name, field_name) not in MAY_BE_IN_THE_FUTURE:
                yield Problem(f"{path}.{field_name}",
                              f"{written_date(value)} is in the future (today is {written_date(self.today)})")
            elif (name, field_name) in _HOW_FAR_AHEAD and value > self.latest(name, field_name):
                problem = Problem(f"{path}.{field_name}",
                                  f"{written_date(value)} is more than {_how_far(name, field_name)} after today "
                                  f"({written_date(self.today)}); please check the year")
                self.far_ahead.add(problem)
                yield problem
            if value < born and self.birth_is_plausible:
                # (safer choice) nothing in her record happened before she was born
                yield Problem(f"{path}.{field_name}",
                              f"{written_date(value)} is before her date of birth ({written_date(born)})")

    def latest(self, name: str, field: str) -> date:
        """The last day an expected date (due, planned stop, review) may be."""
        most, unit = _HOW_FAR_AHEAD[(name, field)]
        if unit == "years":
            return _years_after(self.today, most)
        try:
            return self.today + timedelta(days=most)
        except OverflowError:
            return date.max

    @staticmethod
    def free_text(path: str, text: str | None) -> Iterator[Problem]:
        # (safer choice) invisible control characters (other than tab and line breaks) are typing or
        # copying errors, and some databases cannot store them
        found = CONTROL_CHARACTER.search(text or "")
        if found is not None:
            bad = found.group()
            yield Problem(path, f"{_quoted(text.replace(bad, '?'))} contains {_character(bad)} "
                                f"(shown as '?'); please retype the text")

    def text_required(self, path: str, text: str, what: str) -> Iterator[Problem]:
        if _blank(text):
            yield Problem(path, f"{what} is required")

    # -- one function per list -------------------------------------------------

    def contraception(self, path: str, item: Contraception, earlier: Sequence[Contraception]) -> Iterator[Problem]:
        yield from self.text_required(f"{path}.method", item.method, "the contraception method")

    def pregnancy(self, path: str, item: Pregnancy, earlier: Sequence[Pregnancy]) -> Iterator[Problem]:
        low, high = PREGNANCY_NUMBER_RANGE
        if not low <= item.number <= high:
            yield Problem(f"{path}.number", f"{_whole(item.number)} is not a pregnancy number (1 for her first "
                                            f"pregnancy, 2 for her second, ... up to {high})")
        elif any(other.number == item.number for other in earlier):
            # (safer choice) two pregnancies cannot both be her n-th
            yield Problem(f"{path}.number", f"pregnancy number {item.number} is given to an earlier entry too")
        yield from self.code(f"{path}.outcome", item.outcome, codes.PREGNANCY_OUTCOMES, "a pregnancy outcome")
        if item.delivery_mode is not None:
            yield from self.code(f"{path}.delivery_mode", item.delivery_mode, codes.DELIVERY_MODES,
                                 "a delivery mode")
        if item.outcome not in codes.PREGNANCY_OUTCOMES:
            return
        ongoing = item.outcome == "ongoing"
        if ongoing:
            if item.ended_on is not None:
                yield Problem(f"{path}.ended_on",
                              f"an ongoing pregnancy has no end date ({written_date(item.ended_on)} given); "
                              f"record the outcome or leave the date out")
            other = next((p for p in earlier if p.outcome == "ongoing"), None)
            if other is not None:
                yield Problem(f"{path}.outcome",
                              f"she already has an ongoing pregnancy (ref {_quoted(other.ref)}); "
                              f"only one pregnancy can be ongoing")
        elif item.ended_on is None:
            yield Problem(f"{path}.ended_on", f"the date the pregnancy ended is required "
                                              f"(outcome {_quoted(item.outcome)})")
        if item.delivery_mode is not None and item.outcome not in codes.BIRTH_OUTCOMES:
            yield Problem(f"{path}.delivery_mode",
                          f"a delivery mode is recorded only for a live birth or stillbirth, "
                          f"not for outcome {_quoted(item.outcome)}")
        yield from self.age_at_pregnancy(path, item)

    def age_at_pregnancy(self, path: str, item: Pregnancy) -> Iterator[Problem]:
        born = self.record.date_of_birth
        if item.outcome == "ongoing":
            if item.due_date is not None:
                day, field = item.due_date, "due_date"
                when = "she will be {age} years old on her due date " + written_date(day)
            else:
                # (safer choice) an ongoing pregnancy with no due date is checked at her age today
                day, field, when = self.today, "outcome", "she is {age} years old today"
        elif item.ended_on is not None:
            day, field = item.ended_on, "ended_on"
            when = "she was {age} years old when the pregnancy ended on " + written_date(day)
        else:
            return
        if day < born or not self.birth_is_plausible:
            return  # reported as a date before her date of birth, or at the date of birth itself
        age = age_on(born, day)
        if not MIN_AGE_AT_PREGNANCY <= age <= MAX_AGE_AT_PREGNANCY:
            yield Problem(f"{path}.{field}",
                          when.format(age=age) + f" (date of birth {written_date(born)}); a pregnancy is recorded "
                          f"between the ages of {MIN_AGE_AT_PREGNANCY} and {MAX_AGE_AT_PREGNANCY}")

    def feeding(self, path: str, item: Feeding, earlier: Sequence[Feeding]) -> Iterator[Problem]:
        pregnancy = self.pregnancies_by_ref.get(item.pregnancy)
        ended_on = None
        if pregnancy is None:
            yield Problem(f"{path}.pregnancy", f"there is no pregnancy with ref {_quoted(item.pregnancy)} "
                                               f"in her record")
        elif pregnancy.outcome == "ongoing":
            yield Problem(f"{path}.pregnancy", f"pregnancy {_quoted(item.pregnancy)} is still ongoing; feeding is "
                                               f"recorded once a pregnancy has ended")
        else:
            ended_on = pregnancy.ended_on
        if any(other.pregnancy == item.pregnancy for other in earlier):
            yield Problem(f"{path}.pregnancy", f"pregnancy {_quoted(item.pregnancy)} already has a feeding entry; "
                                               f"give one entry per pregnancy")
        if not item.breastfed:
            for field in ("started_on", "stopped_on", "planned_stop_on"):
                value = getattr(item, field)
                if value is not None:
                    yield Problem(f"{path}.{field}",
                                  f"no feeding dates are given when she did not breastfeed "
                                  f"({written_date(value)} given); leave the date out or record that she breastfed")
            return
        started = item.started_on
        if started is None:
            yield Problem(f"{path}.started_on", "the date breastfeeding started is required when she breastfed")
        elif ended_on is not None and started < ended_on:
            yield Problem(f"{path}.started_on",
                          f"breastfeeding start {written_date(started)} is before the pregnancy ended "
                          f"({written_date(ended_on)})")
        if item.stopped_on is not None and started is not None and item.stopped_on < started:
            yield Problem(f"{path}.stopped_on",
                          f"the last feed {written_date(item.stopped_on)} is before breastfeeding started "
                          f"({written_date(started)})")
        if item.planned_stop_on is not None:
            if item.stopped_on is not None:
                yield Problem(f"{path}.planned_stop_on",
                              f"a planned stop date is given only while feeding goes on, but feeding stopped on "
                              f"{written_date(item.stopped_on)}")
            elif started is not None and item.planned_stop_on < started:
                yield Problem(f"{path}.planned_stop_on",
                              f"the planned stop {written_date(item.planned_stop_on)} is before breastfeeding "
                              f"started ({written_date(started)})")

    def fracture(self, path: str, item: Fracture, earlier: Sequence[Fracture]) -> Iterator[Problem]:
        yield from self.code(f"{path}.site", item.site, codes.FRACTURE_SITES, "a vertebral level or site code",
                             list_them=False)
        yield from self.code(f"{path}.imaging", item.imaging, codes.IMAGING, "an imaging code")
        yield from self.code(f"{path}.trauma", item.trauma, codes.TRAUMA, "a trauma code")
        if item.side is not None:
            yield from self.code(f"{path}.side", item.side, codes.SIDES, "a side")
            if item.site in codes.FRACTURE_SITES and item.site not in codes.SIDED_SITES:
                yield Problem(f"{path}.side",
                              f"a side is recorded only for {_listing(codes.SIDED_SITES)}, "
                              f"not for {_quoted(item.site)}")
        if item.genant_grade is not None and item.genant_grade not in codes.GENANT_GRADES:
            yield Problem(f"{path}.genant_grade", f"{_whole(item.genant_grade)} is not a Genant grade (1, 2 or 3)")
        if item.site in codes.VERTEBRAL_LEVELS and item.genant_grade is None:
            yield Problem(f"{path}.genant_grade",
                          f"a Genant grade (1, 2 or 3) is required for a vertebral fracture "
                          f"({item.site.upper()})")
        elif item.site in codes.OTHER_FRACTURE_SITES and item.genant_grade is not None:
            yield Problem(f"{path}.genant_grade",
                          f"a Genant grade is given only for vertebral levels C1 to L5, not for "
                          f"{_quoted(item.site)}")
        if item.onset_on is not None and item.onset_on > item.identified_on:
            yield Problem(f"{path}.onset_on",
                          f"onset date {written_date(item.onset_on)} is after the date the fracture was "
                          f"identified ({written_date(item.identified_on)})")
        if item.pregnancy is not None and item.pregnancy not in self.pregnancies_by_ref:
            yield Problem(f"{path}.pregnancy", f"there is no pregnancy with ref {_quoted(item.pregnancy)} "
                                               f"in her record")

    def dexa(self, path: str, item: DexaScan, earlier: Sequence[DexaScan]) -> Iterator[Problem]:
        yield from self.code(f"{path}.site", item.site, codes.DEXA_SITES, "a DEXA site code")
        yield from self.in_range(f"{path}.bmd", item.bmd, BMD_RANGE, "BMD", " g/cm\u00b2")
        yield from self.in_range(f"{path}.t_score", item.t_score, SCORE_RANGE, "T-score", "")
        yield from self.in_range(f"{path}.z_score", item.z_score, SCORE_RANGE, "Z-score", "")
        if item.t_score is None and item.z_score is None:
            yield Problem(f"{path}.t_score", "a T-score or a Z-score (or both) is required")

    @staticmethod
    def in_range(path: str, value: float | None, limits: tuple[float, float], what: str,
                 unit: str) -> Iterator[Problem]:
        if value is None:
            return
        low, high = limits
        if not math.isfinite(value):
            yield Problem(path, f"{what} must be a number")
        elif not low <= value <= high:
            yield Problem(path, f"{what} {_number(value)}{unit} is outside {_number(low)} to {_number(high)}{unit}")

    def blood(self, path: str, item: BloodResult, earlier: Sequence[BloodResult]) -> Iterator[Problem]:
        if item.test not in codes.BLOOD_TEST_UNITS:
            yield from self.code(f"{path}.test", item.test, codes.BLOOD_TESTS, "a blood test code",
                                 list_them=False)
        else:
            unit = codes.BLOOD_TEST_UNITS[item.test]
            if standard_unit(item.unit) != unit:
                yield Problem(f"{path}.unit", f"{_quoted(item.unit)} is not the unit for {item.test}; "
                                              f"give the result in {unit}")
        if not math.isfinite(item.value):
            yield Problem(f"{path}.value", "the result must be a number")
        elif item.test == "serum_protein_electrophoresis":
            if item.value not in (0, 1):
                yield Problem(f"{path}.value",
                              f"{_number(item.value)} is not a serum protein electrophoresis result: give 0 "
                              f"(no paraprotein) or 1 (paraprotein found)")
        elif item.value < 0:
            # (safer choice) no blood result the clinic records can be negative
            yield Problem(f"{path}.value", f"{_number(item.value)} is not a possible result (below zero)")

    def height(self, path: str, item: HeightMeasurement, earlier: Sequence[HeightMeasurement]) -> Iterator[Problem]:
        yield from self.in_range(f"{path}.cm", item.cm, HEIGHT_RANGE_CM, "height", " cm")

    def epds(self, path: str, item: EpdsScreen, earlier: Sequence[EpdsScreen]) -> Iterator[Problem]:
        low, high = EPDS_SCORE_RANGE
        score_ok = low <= item.score <= high
        if not score_ok:
            yield Problem(f"{path}.score", f"{_whole(item.score)} is not an EPDS score ({low} to {high})")
        low, high = EPDS_SELF_HARM_RANGE
        item_ok = low <= item.self_harm_item <= high
        if not item_ok:
            yield Problem(f"{path}.self_harm_item",
                          f"{_whole(item.self_harm_item)} is not a self-harm item score ({low} to {high})")
        if score_ok and item_ok and item.self_harm_item > item.score:
            # (safer choice) the self-harm item is part of the total, so a larger item is a typing error
            yield Problem(f"{path}.self_harm_item",
                          f"the self-harm item ({item.self_harm_item}) is more than the total score "
                          f"({item.score}) it is part of")

    def medication(self, path: str, item: Medication, earlier: Sequence[Medication]) -> Iterator[Problem]:
        yield from self.code(f"{path}.drug", item.drug, codes.DRUGS, "a drug code")
        if item.stopped_on is not None and item.stopped_on < item.started_on:
            yield Problem(f"{path}.stopped_on",
                          f"stop date {written_date(item.stopped_on)} is before the start date "
                          f"({written_date(item.started_on)})")
        elif item.drug in ONE_ENTRY_PER_DOSE and item.stopped_on != item.started_on:
            # (safer choice) the spec records these one entry per dose; an open-ended entry would
            # hide when the next dose is due
            yield Problem(f"{path}.stopped_on",
                          f"{item.drug} is recorded one entry per dose: the stop date must be the dose date "
                          f"({written_date(item.started_on)})")

    def referral(self, path: str, item: Referral, earlier: Sequence[Referral]) -> Iterator[Problem]:
        yield from self.code(f"{path}.specialty", item.specialty, codes.SPECIALTIES, "a specialty code",
                             list_them=False)
        yield from self.code(f"{path}.urgency", item.urgency, codes.URGENCIES, "an urgency")
        yield from self.code(f"{path}.status", item.status, codes.REFERRAL_STATUSES, "a referral status")
        yield from self.text_required(f"{path}.reason", item.reason, "the reason for the referral")
        status = item.status
        if item.sent_on is None:
            if status in codes.REFERRAL_STATUSES_NEEDING_SENT_ON:
                yield Problem(f"{path}.sent_on", f"the date sent is required when the status is {_quoted(status)}")
        elif status == "draft":
            # (safer choice) a draft has not been sent; a date sent would make it look sent
            yield Problem(f"{path}.sent_on", f"a draft referral has not been sent ({written_date(item.sent_on)} "
                                             f"given); change the status or leave the date out")
        elif item.sent_on < item.created_on:
            yield Problem(f"{path}.sent_on", f"date sent {written_date(item.sent_on)} is before the referral was "
                                             f"created ({written_date(item.created_on)})")
        if item.seen_on is None:
            if status == "seen":
                yield Problem(f"{path}.seen_on", "the date she was seen is required when the status is 'seen'")
        elif status != "seen" and status in codes.REFERRAL_STATUSES:
            # (safer choice) a date seen with another status contradicts itself
            yield Problem(f"{path}.seen_on", f"a date seen ({written_date(item.seen_on)}) is given only when the "
                                             f"status is 'seen', not {_quoted(status)}")
        else:
            after = item.sent_on or item.created_on
            if item.seen_on < after:
                what = "was sent" if item.sent_on is not None else "was created"
                yield Problem(f"{path}.seen_on", f"date seen {written_date(item.seen_on)} is before the referral "
                                                 f"{what} ({written_date(after)})")

    def decision(self, path: str, item: Decision, earlier: Sequence[Decision]) -> Iterator[Problem]:
        yield from self.code(f"{path}.plan", item.plan, codes.DECISION_PLANS, "a decision plan")
        if item.drug is not None:
            yield from self.code(f"{path}.drug", item.drug, codes.DRUGS, "a drug code", list_them=False)
        elif item.plan in codes.DECISION_PLANS_NEEDING_DRUG:
            yield Problem(f"{path}.drug", f"a drug is required for a {_quoted(item.plan)} decision")
        yield from self.text_required(f"{path}.by", item.by, "the name of the clinician who decided")
        if item.override_reason is not None and _blank(item.override_reason):
            # (safer choice) an override is kept and audited: its reason cannot be blank
            yield Problem(f"{path}.override_reason", "the reason for going against the soft stop is empty")
        if item.review_on is not None and item.review_on < item.decided_on:
            # (safer choice) a review cannot come before the decision it reviews
            yield Problem(f"{path}.review_on", f"review date {written_date(item.review_on)} is before the decision "
                                               f"({written_date(item.decided_on)})")

