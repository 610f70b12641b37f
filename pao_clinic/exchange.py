"""The PAO Clinic exchange format, version 1 (`shared/spec/exchange-format.md`).

`parse_document` turns a parsed JSON document into `PatientRecord` values, checking
every JSON type, every key and every rule of the record; it reports all problems at
once as one `ValidationError` whose paths name the bad value in the document
(`patients[2].fractures[0].site`), and never returns part of a document.
`document_from_records` writes records back in the one canonical form, so that
export, import and export again give the same document.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import date, datetime
from itertools import chain
from operator import attrgetter
from typing import Any

from pao_clinic.record import codes
from pao_clinic.errors import Problem, ValidationError
from pao_clinic.record.nhs_number import nhs_number_problem, normalise_nhs_number
from pao_clinic.record import (
    CLINICAL_LISTS,
    BloodResult,
    Contact,
    Contraception,
    Decision,
    DentalReview,
    DexaScan,
    EpdsScreen,
    Feeding,
    Fracture,
    GeneralPractitioner,
    HeightMeasurement,
    Medication,
    PatientRecord,
    Pregnancy,
    Referral,
)
from pao_clinic.record.limits import NHS_NUMBER_MAX_LENGTH
from pao_clinic.record.validation import patient_record_problems, readable, standard_unit

FORMAT = "pao-clinic-exchange"
VERSION = 1

_DATE = re.compile(r"\d{4}-\d{2}-\d{2}", re.ASCII)
_TIMESTAMP = re.compile(
    r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,6})?)?(Z|[+-]\d{2}:\d{2})", re.ASCII)


# -- the shape of the document ---------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Key:
    """One key of a JSON object: its kind of value, whether it is required, its shape."""

    name: str
    kind: str  # text, date, int, number, bool, codes, object, list
    required: bool = False
    shape: "_Shape | None" = None
    blank_is_absent: bool = False  # optional free text: "" says nothing, so it is read and written as absent


@dataclass(frozen=True, slots=True)
class _Shape:
    """A JSON object read into one record value; keys in the order they are written."""

    what: str
    value_type: type
    keys: tuple[_Key, ...]


def _text(name: str, required: bool = False) -> _Key:
    return _Key(name, "text", required)


def _free_text(name: str) -> _Key:
    return _Key(name, "text", blank_is_absent=True)


def _date(name: str, required: bool = False) -> _Key:
    return _Key(name, "date", required)


_CONTACT = _Shape("contact details", Contact, (
    _free_text("address"), _free_text("postcode"), _free_text("phone"), _free_text("email")))
_GP = _Shape("GP details", GeneralPractitioner, (_free_text("name"), _free_text("practice"), _free_text("address")))
_CONTRACEPTION = _Shape("a contraception entry", Contraception, (
    _date("recorded_on", True), _text("method", True), _Key("effective", "bool", True)))
_DENTAL_REVIEW = _Shape("a dental review", DentalReview, (_date("reviewed_on", True),))
_PREGNANCY = _Shape("a pregnancy", Pregnancy, (
    _text("ref", True), _Key("number", "int", True), _date("due_date"), _text("outcome", True),
    _date("ended_on"), _text("delivery_mode")))
_FEEDING = _Shape("a feeding entry", Feeding, (
    _text("pregnancy", True), _Key("breastfed", "bool", True), _date("started_on"), _date("stopped_on"),
    _date("planned_stop_on")))
_FRACTURE = _Shape("a fracture", Fracture, (
    _text("ref", True), _text("site", True), _text("side"), _date("identified_on", True), _date("onset_on"),
    _text("imaging", True), _text("trauma", True), _Key("genant_grade", "int"), _text("pregnancy"),
    _free_text("note")))
_DEXA = _Shape("a DEXA scan", DexaScan, (
    _text("ref", True), _date("scanned_on", True), _text("site", True), _Key("bmd", "number"),
    _Key("t_score", "number"), _Key("z_score", "number")))
_BLOOD = _Shape("a blood result", BloodResult, (
    _date("taken_on", True), _text("test", True), _Key("value", "number", True), _text("unit", True)))
_HEIGHT = _Shape("a height", HeightMeasurement, (_date("measured_on", True), _Key("cm", "number", True)))
_EPDS = _Shape("an EPDS screen", EpdsScreen, (
    _date("assessed_on", True), _Key("score", "int", True), _Key("self_harm_item", "int", True)))
_MEDICATION = _Shape("a medication", Medication, (
    _text("ref", True), _text("drug", True), _date("started_on", True), _date("stopped_on")))
_REFERRAL = _Shape("a referral", Referral, (
    _text("ref", True), _text("specialty", True), _text("urgency", True), _text("status", True),
    _date("created_on", True), _date("sent_on"), _date("seen_on"), _text("reason", True)))
_DECISION = _Shape("a decision", Decision, (
    _date("decided_on", True), _text("plan", True), _text("drug"), _text("by", True), _text("override_reason"),
    _date("review_on")))

_PATIENT = _Shape("a patient", PatientRecord, (
    _text("ref", True), _text("nhs_number"), _text("hospital_number"), _text("family_name", True),
    _text("given_name", True), _date("date_of_birth", True),
    _Key("contact", "object", shape=_CONTACT), _Key("gp", "object", shape=_GP),
    _Key("risk_factors", "codes"), _Key("history", "codes"), _text("future_pregnancy_plan"),
    _Key("contraception", "list", shape=_CONTRACEPTION),
    _Key("dental_reviews", "list", shape=_DENTAL_REVIEW),
    _Key("pregnancies", "list", shape=_PREGNANCY),
    _Key("breastfeeding", "list", shape=_FEEDING),
    _Key("fractures", "list", shape=_FRACTURE),
    _Key("dexa", "list", shape=_DEXA),
    _Key("bloods", "list", shape=_BLOOD),
    _Key("heights", "list", shape=_HEIGHT),
    _Key("epds", "list", shape=_EPDS),
    _Key("medications", "list", shape=_MEDICATION),
    _Key("referrals", "list", shape=_REFERRAL),
    _Key("decisions", "list", shape=_DECISION),
))

_TOP_LEVEL_KEYS = ("format", "version", "exported_at", "patients")


# -- reading ---------------------------------------------------------------------


class _JsonObject(dict):
    """A JSON object as read from text, remembering keys that were written twice."""

    repeated_keys: tuple[str, ...] = ()


class _NotANumber:
    """`NaN`, `Infinity` or `-Infinity` in the text: not JSON, reported at its path."""

    def __init__(self, name: str):
        self.name = name


def _whole_number(digits: str) -> int:
    try:
        return int(digits)
    except ValueError:  # longer than sys.get_int_max_str_digits(): Python's words would be no help
        raise ValidationError(f"the file is not valid JSON as PAO Clinic reads it: it holds a number with "
                              f"{len(digits.lstrip('-')):,} digits, far beyond any value of the format") from None


def _object_from_pairs(pairs: list[tuple[str, Any]]) -> _JsonObject:
    obj = _JsonObject(pairs)  # a key written again keeps its first place and takes its last value
    if len(obj) < len(pairs):
        seen: set[str] = set()
        obj.repeated_keys = tuple(key for key, _ in pairs if key in seen or seen.add(key))
    return obj


def read_document_text(text: str, *, today: date) -> list[PatientRecord]:
    """The patients of an exchange document given as JSON text (all or nothing)."""
    try:
        data = json.loads(text.removeprefix("\ufeff"), object_pairs_hook=_object_from_pairs,
                          parse_constant=_NotANumber, parse_int=_whole_number)
    except json.JSONDecodeError as error:
        raise ValidationError(
            f"the file is not valid JSON: {error.msg} at line {error.lineno}, column {error.colno}") from None
    except RecursionError:
        raise ValidationError("the file is not a PAO Clinic exchange document: it is nested too deeply") from None
    except ValueError as error:  # not expected (long numbers are read above), but never a crash
        raise ValidationError(f"the file is not valid JSON: {error}") from None
    return parse_document(data, today=today)


def parse_document(data: object, *, today: date) -> list[PatientRecord]:
    """The patients of a parsed exchange document; raises one ValidationError naming every problem."""
    problems: list[Problem] = []
    if not isinstance(data, dict):
        raise ValidationError(f"the file is not a PAO Clinic exchange document: it holds "
                              f"{_shown(data)}, not an object with format, version and patients")
    problems += _repeated_key_problems(data, "")
    for key in data:
        if key not in _TOP_LEVEL_KEYS:
            problems.append(Problem(_path("", key), f"{_quoted(str(key))} is not a key of an exchange document "
                                                    f"(format, version, exported_at, patients)"))
    form = data.get("format")
    if form is None:
        problems.append(Problem("format", f"is required: it must be '{FORMAT}'"))
    elif form != FORMAT:
        problems.append(Problem("format", f"{_shown(form)} is not a PAO Clinic exchange document "
                                          f"(format must be '{FORMAT}')"))
    version = data.get("version")
    if version is None:
        problems.append(Problem("version", f"is required: it must be {VERSION}"))
    elif isinstance(version, bool) or version != VERSION:  # 1.0 is the same JSON value as 1
        problems.append(Problem("version", f"{_shown(version)} is not a version this program reads "
                                           f"(it reads version {VERSION})"))
    exported_at = data.get("exported_at")
    if exported_at is None:
        problems.append(Problem("exported_at", "is required: the date and time of export, with its time zone"))
    elif not isinstance(exported_at, str) or not _is_timestamp(exported_at):
        problems.append(Problem("exported_at", f"must be a date and time with its time zone, such as "
                                               f"'2026-11-22T10:00:00+00:00', not {_shown(exported_at)}"))
    patients = data.get("patients")
    records: list[PatientRecord] = []
    if patients is None:
        problems.append(Problem("patients", "is required: a list of patients (it may be empty)"))
    elif not isinstance(patients, list):
        problems.append(Problem("patients", f"must be a list of patients, not {_shown(patients)}"))
    else:
        records = _read_patients(patients, today, problems)
    if problems:
        raise ValidationError(problems)
    return records


def _read_patients(patients: list, today: date, problems: list[Problem]) -> list[PatientRecord]:
    records = []
    refs: dict[str, int] = {}
    nhs_numbers: dict[str, int] = {}
    hospital_numbers: dict[str, int] = {}
    for index, value in enumerate(patients):
        path = f"patients[{index}]"
        found: list[Problem] = []
        record = _read_object(value, path, _PATIENT, found)
        if isinstance(value, dict):
            found += _document_wide_problems(value, index, refs, nhs_numbers, hospital_numbers)
        if record is not None:
            if not record.ref.strip():
                found.append(Problem(f"{path}.ref", "a ref is required (any text that names this patient "
                                                    "in the file)"))
            found += [Problem(f"{path}.{p.path}", p.message) for p in patient_record_problems(record, today=today)]
            records.append(record)
        problems += found
    return records


def _document_wide_problems(value: dict, index: int, refs: dict[str, int], nhs_numbers: dict[str, int],
                            hospital_numbers: dict[str, int]) -> Iterator[Problem]:
    """Patient refs, NHS numbers and hospital numbers each name one patient in the document."""
    path = f"patients[{index}]"
    ref = value.get("ref")
    if isinstance(ref, str):
        if ref in refs:
            yield Problem(f"{path}.ref", f"ref {_quoted(ref)} is also the ref of patients[{refs[ref]}]; "
                                         f"each patient needs her own ref")
        refs.setdefault(ref, index)
    nhs_number = value.get("nhs_number")
    if isinstance(nhs_number, str) and nhs_number.strip():
        digits = normalise_nhs_number(nhs_number)
        if digits in nhs_numbers:
            yield Problem(f"{path}.nhs_number", f"NHS number {_quoted(nhs_number)} is also given for "
                                                f"patients[{nhs_numbers[digits]}]; one woman has one record")
        nhs_numbers.setdefault(digits, index)
    hospital_number = value.get("hospital_number")
    if isinstance(hospital_number, str) and hospital_number.strip():
        # (safer choice) hospital numbers differing only in letter case are taken as the same number
        folded = hospital_number.strip().casefold()
        if folded in hospital_numbers:
            yield Problem(f"{path}.hospital_number",
                          f"hospital number {_quoted(hospital_number)} is also given for "
                          f"patients[{hospital_numbers[folded]}]; one woman has one record")
        hospital_numbers.setdefault(folded, index)


def _read_object(value: object, path: str, shape: _Shape, problems: list[Problem]) -> Any:
    """`value` read as `shape`'s type, or None after adding its problems."""
    if not isinstance(value, dict):
        problems.append(Problem(path, f"must be {shape.what} (a JSON object), not {_shown(value)}"))
        return None
    before = len(problems)
    problems += _repeated_key_problems(value, path)
    known = _KEYS_OF[shape.what]
    if not known.keys() >= value.keys():
        for name in value:
            if name not in known:
                message = f"{_quoted(str(name))} is not a key of {shape.what}"
                if len(known) <= 10:
                    message += f" (its keys are {', '.join(known)})"
                problems.append(Problem(_path(path, name), message))
    arguments: dict[str, Any] = {}
    for key in shape.keys:
        raw = value.get(key.name)
        if raw is None:  # null and an absent key mean the same thing
            if key.required:
                problems.append(Problem(f"{path}.{key.name}" if path else key.name, "is required"))
            continue
        kind = key.kind
        if raw.__class__ is str and (kind == "text" or (kind == "date" and raw in _DATES_READ)):
            read = raw if kind == "text" else _DATES_READ[raw]  # the usual case: no path written out
        else:
            key_path = f"{path}.{key.name}" if path else key.name  # as _path writes a key of the format
            read = _read_value(raw, key_path, key, problems)
        if key.blank_is_absent and isinstance(read, str) and not read.strip():
            continue
        if read is not None:
            arguments[key.name] = read
    if len(problems) > before:
        return None
    if shape.value_type in (Contact, GeneralPractitioner) and not arguments:
        return _EMPTY
    if shape.value_type is BloodResult:
        arguments["unit"] = standard_unit(arguments["unit"])
    if shape.value_type is PatientRecord and "nhs_number" in arguments:
        written = arguments["nhs_number"]
        if len(written) <= NHS_NUMBER_MAX_LENGTH and nhs_number_problem(written) is None:
            arguments["nhs_number"] = normalise_nhs_number(written)  # a bad one is reported as written
    return shape.value_type(**arguments)


_EMPTY = object()  # an object with no values in it: the same as no object


def _keys_of(shape: _Shape, keys: dict[str, dict[str, _Key]]) -> dict[str, dict[str, _Key]]:
    """Each shape's keys by name, by the shape's `what` (read once, not for every object)."""
    keys[shape.what] = {key.name: key for key in shape.keys}
    for key in shape.keys:
        if key.shape is not None:
            _keys_of(key.shape, keys)
    return keys


def _read_value(raw: object, path: str, key: _Key, problems: list[Problem]) -> Any:
    kind = key.kind
    if kind == "text":
        if isinstance(raw, str):
            return raw
        problems.append(Problem(path, f"must be text (a JSON string), not {_shown(raw)}"))
    elif kind == "date":
        return _read_date(raw, path, problems)
    elif kind == "bool":
        if isinstance(raw, bool):
            return raw
        problems.append(Problem(path, f"must be true or false, not {_shown(raw)}"))
    elif kind == "int":
        if isinstance(raw, int) and not isinstance(raw, bool):
            return raw
        if isinstance(raw, float) and math.isfinite(raw) and raw.is_integer():
            return int(raw)  # 2.0 and 2 are the same JSON value
        if isinstance(raw, float) and math.isinf(raw):  # 1e999 is read as infinity
            problems.append(Problem(path, f"{_shown(raw)} is far too large for this field"))
        else:
            problems.append(Problem(path, f"must be a whole number, not {_shown(raw)}"))
    elif kind == "number":
        return _read_number(raw, path, problems)
    elif kind == "codes":
        return _read_codes(raw, path, problems)
    elif kind == "object":
        assert key.shape is not None
        read = _read_object(raw, path, key.shape, problems)
        return None if read is _EMPTY else read
    elif kind == "list":
        assert key.shape is not None
        if not isinstance(raw, list):
            problems.append(Problem(path, f"must be a list (it may be empty), not {_shown(raw)}"))
            return None
        items = tuple(_read_object(item, f"{path}[{index}]", key.shape, problems) for index, item in enumerate(raw))
        return None if None in items else items
    return None


def _read_date(raw: object, path: str, problems: list[Problem]) -> date | None:
    known = _DATES_READ.get(raw) if raw.__class__ is str else None
    if known is not None:
        return known
    if not isinstance(raw, str) or not _DATE.fullmatch(raw):
        problems.append(Problem(path, f"must be a date written YYYY-MM-DD, such as '2025-03-12', not {_shown(raw)}"))
        return None
    try:
        day = date.fromisoformat(raw)
    except ValueError:
        problems.append(Problem(path, f"{_quoted(raw)} is not a date that exists"))
        return None
    if len(_DATES_READ) >= 100_000:  # a caseload repeats a few thousand days; never let it grow without end
        _DATES_READ.clear()
    _DATES_READ[raw] = day
    return day


_DATES_READ: dict[str, date] = {}  # dates already read, by their text (only well-written, existing days)


def _read_number(raw: object, path: str, problems: list[Problem]) -> float | None:
    if isinstance(raw, (int, float)) and not isinstance(raw, bool):
        try:
            number = float(raw)
        except OverflowError:
            number = math.inf
        if math.isfinite(number):
            return number
        if math.isnan(number):
            problems.append(Problem(path, "must be a number, not NaN"))
        else:
            problems.append(Problem(path, f"{_shown(raw)} is too large to be a result the clinic records"))
        return None
    problems.append(Problem(path, f"must be a number, not {_shown(raw)}"))
    return None


def _read_codes(raw: object, path: str, problems: list[Problem]) -> tuple[str, ...] | None:
    if not isinstance(raw, list):
        problems.append(Problem(path, f"must be a list of codes (it may be empty), not {_shown(raw)}"))
        return None
    bad = False
    for index, item in enumerate(raw):
        if not isinstance(item, str):
            problems.append(Problem(f"{path}[{index}]", f"must be a code (a JSON string), not {_shown(item)}"))
            bad = True
    return None if bad else tuple(raw)


def _repeated_key_problems(value: dict, path: str) -> list[Problem]:
    # (safer choice) a key written twice is an error: JSON readers differ on which value wins
    return [Problem(_path(path, key), f"{_quoted(str(key))} is written twice in the same object")
            for key in getattr(value, "repeated_keys", ())]


def _is_timestamp(text: str) -> bool:
    if not _TIMESTAMP.fullmatch(text):
        return False
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        return False
    return moment.tzinfo is not None


def _path(parent: str, key: str) -> str:
    # a key the format does not know is named as written, but never longer than a line, and
    # without characters that cannot be shown (a lone surrogate, a control character)
    key = readable(str(key))
    key = key if len(key) <= 60 else key[:57] + "..."
    return f"{parent}.{key}" if parent else key


def _quoted(text: str) -> str:
    shown = text if len(text) <= 60 else text[:57] + "..."
    return "'" + readable(shown).replace("\n", " ") + "'"


def _shown(value: object) -> str:
    """A JSON value in a few words, for a message."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return _quoted(value)
    if isinstance(value, (int, float)):
        return repr(value) if not isinstance(value, int) or abs(value) < 10**30 else "a very long number"
    if isinstance(value, _NotANumber):
        return value.name
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "an object"
    return type(value).__name__


# -- writing ---------------------------------------------------------------------


def document_from_records(records: Iterable[PatientRecord], *, exported_at: datetime) -> dict:
    """The exchange document of `records`, in its one canonical order."""
    return document_from_patient_values([_patient_values(record) for record in records], exported_at=exported_at)


def document_from_patient_values(patients: list[dict], *, exported_at: datetime) -> dict:
    """The exchange document of patients already written as the document's objects (`row_writer`'s
    or `document_from_records`'s): they are put in the canonical order (the list is sorted in place)."""
    if exported_at.tzinfo is None:
        raise ValueError("exported_at needs a time zone")
    _sort_canonically(patients, _patient_order)
    return {
        "format": FORMAT,
        "version": VERSION,
        "exported_at": exported_at.isoformat(timespec="seconds"),
        "patients": patients,
    }


def document_to_text(document: dict) -> str:
    """The document as UTF-8 JSON text: indented, keys in the spec's order, ending in a new line.

    The text is exactly `json.dumps(document, ensure_ascii=False, indent=2, allow_nan=False)`.
    It is made by orjson when that gives the same text (`_orjson_bytes`), else with the C
    encoder: every object or list of plain values, and every list of such objects, is
    encoded in one call with the line break and indent as its separator (`indent=2` itself
    would fall back to the pure-Python encoder, ten times slower).
    """
    data = _orjson_bytes(document)
    return data.decode() if data is not None else _text_by_c_encoder(document)


def document_to_bytes(document: dict) -> bytes:
    """`document_to_text(document)` encoded in UTF-8, as a file holds it (made without the text in between
    when orjson writes it: a caseload's text is tens of megabytes)."""
    data = _orjson_bytes(document)
    return data if data is not None else _text_by_c_encoder(document).encode("utf-8")


def _text_by_c_encoder(document) -> str:
    parts: list[str] = []
    try:
        _indented(document, 0, parts, {})
    except _Unusual:  # keys that are not text: let json write them as it does
        return json.dumps(document, ensure_ascii=False, indent=2, allow_nan=False) + "\n"
    parts.append("\n")
    return "".join(parts)


try:
    import orjson as _orjson
except ImportError:  # orjson is a dependency; without it the C encoder writes the same text, slower
    _orjson = None

#: orjson writes a number below 1e-4 differently from json ("1e-6", "0.00001" for "1e-06", "1e-05");
#: text holding either pattern anywhere (a number, or a note that happens to) is left to the C encoder.
_SMALL_EXPONENT_AS_ORJSON_WRITES = re.compile(rb"e-[1-9][^0-9]")  # (one literal start: a fast scan)
_TINY_NUMBER_AS_ORJSON_WRITES = b"0.0000"
_ORJSON_OPTIONS = 0 if _orjson is None else (
    _orjson.OPT_INDENT_2 | _orjson.OPT_APPEND_NEWLINE | _orjson.OPT_PASSTHROUGH_SUBCLASS
    | _orjson.OPT_PASSTHROUGH_DATETIME | _orjson.OPT_PASSTHROUGH_DATACLASS)


def _orjson_bytes(value) -> bytes | None:
    """The UTF-8 of `json.dumps(value, ensure_ascii=False, indent=2, allow_nan=False) + "\\n"`, made by
    orjson (ten times faster) where its text is the same; None where it might not be.

    The same: objects, lists, text (orjson escapes exactly the characters json does when
    ensure_ascii is off), integers, true, false, null, and numbers written without an
    exponent or with json's own (every number at or above 1e-4, or 0; checked in the text,
    `_SMALL_EXPONENT_AS_ORJSON_WRITES`).  Left to the C encoder: anything but dict, list,
    str, int, float, bool and None (orjson would write dates, dataclasses and subclasses
    its own way; here they raise), keys that are not text, integers beyond 64 bits, and a
    NaN or infinity, which json refuses and orjson would write as null (looked for first).
    """
    if _orjson is None:
        return None
    try:
        data = _orjson.dumps(value, option=_ORJSON_OPTIONS)
    except TypeError:  # orjson.JSONEncodeError is a TypeError
        return None
    if _TINY_NUMBER_AS_ORJSON_WRITES in data or _SMALL_EXPONENT_AS_ORJSON_WRITES.search(data) is not None:
        return None
    if b"null" in data and _has_non_finite_number(value):
        return None
    return data


def _has_non_finite_number(value) -> bool:
    """Whether a NaN or infinity is anywhere in `value` (orjson writes them as null)."""
    stack = [value]
    while stack:
        item = stack.pop()
        kind = type(item)
        if kind is float:
            if not math.isfinite(item):
                return True
        elif kind is dict:
            stack.extend(item.values())
        elif kind is list or kind is tuple:
            stack.extend(item)
    return False


class _Unusual(Exception):
    """A value the fast writer leaves to `json.dumps` (a key that is not text)."""


_PLAIN_TYPES = frozenset((str, int, float, bool, type(None)))  # exactly these (others take the long way)
_encode_text = json.encoder.encode_basestring  # the C encoder's own, as ensure_ascii=False writes text


def _encoding(*, item_separator: str, key_separator: str, sort_keys: bool = False, allow_nan: bool = True):
    """`json.JSONEncoder(ensure_ascii=False, ...).encode` for these options, made once.

    `encode` makes the C encoder anew on every call (most of its time for a small object); this
    keeps one and joins its pieces, as `encode` does.  Without circular-reference checks: the
    document is a tree the export builds.
    """
    reference = json.JSONEncoder(ensure_ascii=False, allow_nan=allow_nan, sort_keys=sort_keys,
                                 separators=(item_separator, key_separator))
    make = json.encoder.c_make_encoder
    if make is None:  # a Python without the C encoder
        return reference.encode
    pieces = make(None, reference.default, json.encoder.encode_basestring, None, key_separator, item_separator,
                  sort_keys, False, allow_nan)
    join = "".join

    def encode(value) -> str:
        return join(pieces(value, 0))
    return encode


def _encoder(indent: int):
    """The text of a value whose separator between items is a new line and `indent` spaces (cached)."""
    encoder = _ENCODERS.get(indent)
    if encoder is None:
        encoder = _ENCODERS[indent] = _encoding(item_separator=",\n" + " " * indent, key_separator=": ",
                                                allow_nan=False)
    return encoder


_ENCODERS: dict[int, Any] = {}


def _flat_object(value: dict) -> bool:
    """An object whose values are all plain (text, numbers, true, false, null).

    (Its keys need no look: the C encoder writes keys that are not text as `indent=2` does.)
    """
    return _PLAIN_TYPES.issuperset(map(type, value.values()))


def _indented(value, level: int, out: list[str], keys: dict[int, dict[str, str]]) -> None:
    """`value` as indent=2 writes it, its first line already `level` spaces in.

    `keys` keeps each key's line start as written at each indent (a document repeats a few dozen keys).
    """
    inner = level + 2
    kind = type(value)
    if kind in _PLAIN_TYPES:
        out.append(_encode_text(value) if kind is str else _encoder(0)(value))
    elif isinstance(value, dict):
        if not value:
            out.append("{}")
        elif _flat_object(value):
            text = _encoder(inner)(value)
            out.append(f"{{\n{' ' * inner}{text[1:-1]}\n{' ' * level}}}")
        else:
            out.append("{\n")
            separator = ""
            known = keys.get(inner)
            if known is None:
                known = keys[inner] = {}
            for key, item in value.items():
                written = known.get(key)
                if written is None:
                    if key.__class__ is not str:
                        raise _Unusual()
                    written = known[key] = f"{' ' * inner}{_encode_text(key)}: "
                item_type = type(item)
                if item_type is str:
                    out.append(f"{separator}{written}{_encode_text(item)}")
                elif item_type in _PLAIN_TYPES:
                    out.append(f"{separator}{written}{_encoder(0)(item)}")
                else:
                    out.append(f"{separator}{written}")
                    _indented(item, inner, out, keys)
                separator = ",\n"
            out.append(f"\n{' ' * level}}}")
    elif isinstance(value, (list, tuple)):
        types = set(map(type, value))
        if not value:
            out.append("[]")
        elif types <= _PLAIN_TYPES:
            text = _encoder(inner)(value)
            out.append(f"[\n{' ' * inner}{text[1:-1]}\n{' ' * level}]")
        elif types == {dict} and all(value) and _PLAIN_TYPES.issuperset(
                map(type, chain.from_iterable(map(dict.values, value)))):
            # one call for the whole list: items' keys are `entry` in; between two items the encoder
            # writes "},\n" + entry + "{", which nothing else can (text never holds a raw line break)
            entry = inner + 2
            text = _encoder(entry)(value)
            between = text[2:-2].replace(f"}},\n{' ' * entry}{{", f"\n{' ' * inner}}},\n{' ' * inner}{{\n{' ' * entry}")
            out.append(f"[\n{' ' * inner}{{\n{' ' * entry}{between}\n{' ' * inner}}}\n{' ' * level}]")
        else:
            out.append("[\n")
            separator = ""
            for item in value:
                out.append(f"{separator}{' ' * inner}")
                _indented(item, inner, out, keys)
                separator = ",\n"
            out.append(f"\n{' ' * level}]")
    else:
        out.append(_encoder(0)(value))  # anything else: as json writes it (or its TypeError)


def _patient_values(record: PatientRecord) -> dict:
    return _finished_patient(_object_values(record, _PATIENT))


def _finished_patient(values: dict) -> dict:
    """A patient's object as the document writes it: NHS number as 10 digits, codes and lists in order."""
    if values.get("nhs_number") is not None:
        values["nhs_number"] = normalise_nhs_number(values["nhs_number"])
    for name, known in (("risk_factors", codes.RISK_FACTORS), ("history", codes.HISTORY_CODES)):
        if len(values[name]) > 1:
            values[name].sort(key=lambda code, known=known: _code_order(code, known))
    for name in _LIST_KEYS:
        items = values[name]
        if name == "bloods" and len(items) > 1 and _PLAIN_BLOOD_TESTS.issuperset([v.get("test") for v in items]):
            _sort_canonically(items, _blood_order)
        else:
            _sort_canonically(items, _LIST_ORDER[name])
    return values


# A day's blood results tie on their date (they have no ref), and their order is then that of their
# whole text with sorted keys, '{"taken_on": "2025-03-12", "test": "pth", ...}': with the date the
# same, the test's text decides, and for tests written only in [a-z0-9_] (every test code) that is
# the order of the codes themselves (a shorter code's closing quote sorts before any of those
# characters).  So ordering by (date, "", test), then by the whole text where both tie, gives
# the same order while writing out only results of one test on one day.
_PLAIN_BLOOD_TESTS = frozenset(test for test in codes.BLOOD_TESTS if re.fullmatch(r"[a-z0-9_]+", test))


def _blood_order(v: dict) -> tuple:
    return (v["taken_on"], "", v["test"])


def _object_values(value: object, shape: _Shape) -> dict:
    names, values_of, dates, numbers, blanks, nested = _PLANS[shape.what]
    values: dict[str, Any] = {name: item for name, item in zip(names, values_of(value)) if item is not None}
    for name in dates:
        if name in values:
            values[name] = values[name].isoformat()
    for name in numbers:
        if name in values:
            values[name] = _json_number(values[name])
    for name in blanks:  # optional free text that is blank says nothing
        if name in values and not values[name].strip():
            del values[name]
    for name, kind, inner in nested:  # each stays in its place among the keys
        if name not in values:
            continue
        if kind == "list":
            values[name] = [_object_values(entry, inner) for entry in values[name]]
        elif kind == "codes":
            values[name] = list(values[name])
        else:
            written = _object_values(values[name], inner)
            if written:
                values[name] = written
            else:
                del values[name]
    if shape is _BLOOD:
        values["unit"] = standard_unit(values["unit"])
    return values


def _plans(shape: _Shape, plans: dict[str, tuple]) -> dict[str, tuple]:
    """How each shape's value is written (by the shape's `what`): its key names in order, a getter of
    their values, and which are dates, numbers, free text blank means absent, and nested values."""
    names = tuple(k.name for k in shape.keys)
    getter = attrgetter(*names)
    plans[shape.what] = (
        names, getter if len(names) > 1 else (lambda value, get=getter: (get(value),)),
        tuple(k.name for k in shape.keys if k.kind == "date"),
        tuple(k.name for k in shape.keys if k.kind == "number"),
        tuple(k.name for k in shape.keys if k.blank_is_absent),
        tuple((k.name, k.kind, k.shape) for k in shape.keys if k.kind in ("list", "codes", "object")))
    for key in shape.keys:
        if key.shape is not None:
            _plans(key.shape, plans)
    return plans


_PLANS = _plans(_PATIENT, {})
_KEYS_OF = _keys_of(_PATIENT, {})
_LIST_KEYS = tuple(key.name for key in _PATIENT.keys if key.kind == "list")

_SHAPE_OF = {"patient": _PATIENT, "contact": _CONTACT, "gp": _GP,
             **{key.name: key.shape for key in _PATIENT.keys if key.kind == "list"}}


def row_keys(name: str) -> tuple[str, ...]:
    """The keys of a document object, in the order `row_writer(name)` reads them from a row.

    `name`: "patient", "contact", "gp" or a clinical list's key ("fractures").
    """
    return tuple(key.name for key in _SHAPE_OF[name].keys)


def row_writer(name: str, *, first: int = 0, convert: dict[str, Any] | None = None):
    """A function making the document's object from a row holding its values in `row_keys(name)` order
    from position `first` on, written exactly as `document_from_records` writes the same values.

    The row's values are those a record holds, or what a database column gives for them: a date
    as a date or as its ISO text (SQLite's), a boolean as a bool or 0/1, a number as a float;
    `None` is absent.  Nested values come already written: a contact or GP object (`{}` or None
    when there is none), a list of codes, a list of written entries.  `convert` names a function
    for a key's present values (a feeding entry's pregnancy id -> its ref).  A patient's object is
    finished as `document_from_records` finishes it (NHS number, codes and lists in their order).
    """
    shape = _SHAPE_OF[name]
    convert = dict(convert or {})
    if shape is _BLOOD:
        convert.setdefault("unit", standard_unit)
    scope: dict[str, Any] = {"known_date": _ISO_DATES.get, "iso_date": _iso_date, "number": _json_number,
                             "finished": _finished_patient}
    lines = ["def write(row):", "    values = {}"]
    for position, key in enumerate(shape.keys, start=first):
        name_text = repr(key.name)
        lines.append(f"    v = row[{position}]")
        if key.kind == "object":
            lines.append(f"    if v: values[{name_text}] = v")
            continue
        condition = "v is not None and v.strip()" if key.blank_is_absent else "v is not None"
        value = {"date": "(known_date(v) or iso_date(v))", "number": "number(v)",
                 "bool": "(True if v else False)"}.get(key.kind, "v")
        if key.name in convert:
            scope[f"convert_{position}"] = convert[key.name]
            value = f"convert_{position}({value})"
        lines.append(f"    if {condition}: values[{name_text}] = {value}")
    lines.append("    return finished(values)" if shape is _PATIENT else "    return values")
    exec("\n".join(lines), scope)  # noqa: S102  (key names and positions only: no data goes into the source)
    return scope["write"]


def _iso_date(value) -> str:
    """A date (or a database's ISO text of one) as the document writes it, remembered for next time."""
    text = (date.fromisoformat(value) if value.__class__ is str else value).isoformat()
    if len(_ISO_DATES) >= 100_000:  # a caseload repeats a few thousand days; never let it grow without end
        _ISO_DATES.clear()
    _ISO_DATES[value] = text
    return text


_ISO_DATES: dict[object, str] = {}  # date or its text -> the text written


def _json_number(number: float) -> float | int:
    """166.0 is written 166 (the same JSON value, as people write it)."""
    number = float(number)
    return int(number) if number.is_integer() and abs(number) < 1e15 else number


def _code_order(code: str, known: tuple[str, ...]) -> tuple[int, str]:
    return (known.index(code) if code in known else len(known), code)


def _serialised(values: dict) -> str:
    """The total tie-break: entries equal on every sort key keep one fixed order."""
    return _SORTED_KEYS(values)


_SORTED_KEYS = _encoding(item_separator=", ", key_separator=": ", sort_keys=True)  # as json.dumps(..., sort_keys=True)


def _sort_canonically(items: list[dict], order) -> None:
    """Sort `items` by `order`, then by the whole entry (`_serialised`) among entries `order` ties.

    The whole entry is written out only when two entries tie (a day's blood results, two women of
    the same name and birthday); the result is the order of sorting by (order, whole entry).
    """
    if len(items) < 2:
        return
    keys = list(map(order, items))
    ranked = sorted(range(len(items)), key=keys.__getitem__)
    if len(set(keys)) < len(keys):  # each run of equal keys, in the order of its entries written out
        start, count = 0, len(ranked)
        while start < count:
            key, end = keys[ranked[start]], start + 1
            while end < count and keys[ranked[end]] == key:
                end += 1
            if end - start > 1:
                ranked[start:end] = sorted(ranked[start:end], key=lambda i: _serialised(items[i]))
            start = end
    items[:] = [items[i] for i in ranked]


def _patient_order(p: dict) -> tuple:
    return (p["family_name"].casefold(), p["given_name"].casefold(), p["date_of_birth"])


def _dated(day: str | None) -> tuple:
    """Sorts undated entries last."""
    return (0, day) if day is not None else (1, "")


def _by_main_date(main_date: str):
    return lambda v: (v[main_date], v.get("ref", ""))


def _pregnancy_order(v: dict) -> tuple:
    day = v.get("due_date") if v["outcome"] == "ongoing" else v.get("ended_on")
    return (_dated(day), v["ref"])


def _feeding_order(v: dict) -> tuple:
    return (_dated(v.get("started_on")), v["pregnancy"])


# How each list is ordered on export: by its main date, then ref, then the whole entry (`_sort_canonically`).
_LIST_ORDER = {name: _by_main_date(main_date) for name, _type, main_date in CLINICAL_LISTS}
_LIST_ORDER["pregnancies"] = _pregnancy_order  # ended_on, or due_date while ongoing; undated last
_LIST_ORDER["breastfeeding"] = _feeding_order  # started_on (undated last), then the pregnancy's ref
