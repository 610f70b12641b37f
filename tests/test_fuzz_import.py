"""Malformed import documents and form inputs: a clear refusal (or a clean save), never a crash.

Hypothesis breaks the full example document in every way a file can arrive broken:
wrong JSON types, huge and odd strings, lone surrogates, whole numbers beyond 64 bits
and beyond what Python reads, NaN and Infinity, deep nesting, impossible and far-away
dates, unknown keys, a byte-order mark, a cut-off file. Through `read_document_text`
each gives a ValidationError or records, never another exception; through the real
`pao-clinic import` on each backend each gives exit 2 with exactly the core's messages
(so both backends give the same answer) and nothing written, or exit 0.

Form inputs: every clinical entry a form can save, and a patient's details, built from
what its fields can hold (odd and huge text, surrogates, big whole numbers, NaN and
infinity, any date from year 1 to 9999, dates typed as text): the core's rules answer
with problems at their fields, never another exception; through `add_clinical_entry` on
each backend a refusal is exactly the core's problems and writes nothing.

10,000 generated inputs in all: 4,000 documents and 6,000 form inputs against the core
(no database; `derandomize=True`, so CI tries the same ones every run), and a smaller
sample of each through real SQLite and PostgreSQL databases.
"""

from __future__ import annotations

import json
import typing
from dataclasses import fields, replace
from datetime import date, timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pao_clinic import record as values
from pao_clinic.errors import ValidationError
from pao_clinic.exchange import read_document_text
from pao_clinic.record import codes
from pao_clinic.record.dates import parse_written_date
from pao_clinic.record.validation import patient_record_problems
from pao_clinic.services import add_clinical_entry, load_patient_record, register_patient
from pao_clinic.services.records import new_entry_problems

from .test_cli import cli_clinic, fingerprint, in_database, run  # noqa: F401  (cli_clinic is a fixture)
from .test_exchange import FULL_TEXT

TODAY = date(2026, 11, 22)
FULL = json.loads(FULL_TEXT)

# JSON text that json.dumps cannot write from a Python value (or that is not JSON at all),
# put into the document as a marker string and swapped in after writing.
RAW = (
    "1" * 5000,  # more digits than Python reads
    "-" + "9" * 4301,
    "1e999",  # read as infinity
    "-1E400",
    "NaN",
    "Infinity",
    "-Infinity",
    "[" * 100_000 + "]" * 100_000,  # nested deeper than any reader's recursion
    "{\"a\":" * 50_000 + "1" + "}" * 50_000,
    "[" * 500 + "]" * 500,  # deep, but within reach: a list where something else belongs
)
_MARK = "@@raw{}@@"


def _paths(value, path=()):
    yield path
    if isinstance(value, dict):
        for key, item in value.items():
            yield from _paths(item, path + (key,))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _paths(item, path + (index,))


def _walk(document, path):
    for step in path:
        document = document[step]
    return document


PATHS = tuple(p for p in _paths(FULL) if p)
OBJECT_PATHS = tuple(p for p in _paths(FULL) if isinstance(_walk(FULL, p), dict))

surrogate_text = st.text(st.characters(categories=("Cs", "Co", "Cc", "Cf", "Zs", "L")), max_size=12)
odd_text = st.one_of(
    surrogate_text,
    st.sampled_from(["pain \ud83d", "\udc00", "x" * 100_000, "Ñ" * 5000, "\u202eevil", "\ufeffbom", "", " ",
                     "\x00", "1" * 5000, "9" * 40, "1e999", "NaN", "2025-02-30", "9999-12-31", "0000-01-01",
                     "2025-13-01", "0001-01-01", "10000-01-01", "943 476 5919" + " " * 100, "L1", "l1 ",
                     "2026-11-22T10:00:00", "null", "true"]),
    st.dates().map(date.isoformat),
)
odd_numbers = st.one_of(
    st.integers(),
    st.sampled_from([0, -1, 31, 2**31, 2**31 - 1, 2**63, 2**64, -(2**64), 10**40, 10**300]),
    st.floats(allow_nan=True, allow_infinity=True),
)
raw_json = st.integers(0, len(RAW) - 1).map(_MARK.format)
leaves = st.one_of(st.none(), st.booleans(), odd_numbers, odd_text, raw_json)
odd_values = st.recursive(leaves, lambda inner: st.one_of(st.lists(inner, max_size=3),
                                                          st.dictionaries(odd_text, inner, max_size=3)),
                          max_leaves=6)

mutations = st.one_of(
    st.tuples(st.just("set"), st.sampled_from(PATHS), odd_values),
    st.tuples(st.just("delete"), st.sampled_from(PATHS), st.none()),
    st.tuples(st.just("add"), st.sampled_from(OBJECT_PATHS), st.tuples(odd_text, odd_values)),
)
text_damage = st.sampled_from(["none", "none", "none", "bom", "cut", "control", "two_boms"])


def _mutated(mutation_list) -> dict:
    document = json.loads(FULL_TEXT)
    for kind, path, value in mutation_list:
        try:
            parent = _walk(document, path[:-1]) if kind != "add" else _walk(document, path)
        except (KeyError, IndexError, TypeError):
            continue  # an earlier mutation replaced the way there
        try:
            if kind == "set":
                parent[path[-1]] = value
            elif kind == "delete":
                del parent[path[-1]]
            elif isinstance(parent, dict):
                key, item = value
                parent[key] = item
        except (KeyError, IndexError, TypeError):
            continue
    return document


@st.composite
def broken_documents(draw) -> str:
    """The text of a broken exchange document."""
    document = _mutated(draw(st.lists(mutations, min_size=1, max_size=3)))
    text = json.dumps(document, ensure_ascii=draw(st.booleans()), allow_nan=True, indent=draw(st.sampled_from([None, 2])))
    for index, raw in enumerate(RAW):
        text = text.replace(json.dumps(_MARK.format(index)), raw)
    damage = draw(text_damage)
    if damage == "bom":
        text = "\ufeff" + text
    elif damage == "two_boms":
        text = "\ufeff\ufeff" + text
    elif damage == "cut":
        text = text[:draw(st.integers(0, len(text) - 1))]
    elif damage == "control":
        at = draw(st.integers(0, len(text)))
        text = text[:at] + draw(st.sampled_from(["\x00", "\x01", "\x1b", "\x7f"])) + text[at:]
    return text


def _core_answer(text: str, today: date) -> list[str] | None:
    """The core's messages for `text` (None when it reads cleanly); never another exception."""
    try:
        read_document_text(text, today=today)
    except ValidationError as error:
        return [str(problem) for problem in error.problems]
    return None


@settings(max_examples=4000, deadline=None, derandomize=True)
@given(broken_documents())
def test_a_broken_document_is_refused_with_messages_or_read_never_a_crash(text):
    problems = _core_answer(text, TODAY)
    if problems is not None:
        assert problems, "a refusal names at least one problem"
        for problem in problems:
            problem.encode("utf-8")  # every message can be shown, printed and logged
            assert len(problem) < 1000


@settings(max_examples=100, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(text=broken_documents())
def test_a_broken_import_exits_2_with_the_cores_words_and_writes_nothing_on_each_backend(cli_clinic, tmp_path,
                                                                                      text):
    path = tmp_path / "broken.json"
    # a lone surrogate written into the file itself (not as a \\u escape) makes bytes that are not UTF-8
    raw_surrogate = any("\ud800" <= ch <= "\udfff" for ch in text)
    path.write_bytes(text.encode("utf-8", "surrogatepass"))
    before = in_database(cli_clinic.url, fingerprint)
    code, out, err = run("--database", cli_clinic.url, "import", str(path))
    assert code in (0, 2), err
    assert "Traceback" not in err and "unexpected failure" not in err and out == ""
    if raw_surrogate:
        assert code == 2 and "it is not UTF-8 text" in err, err
    else:
        expected = _core_answer(text, date.today())
        if expected is not None:
            assert code == 2 and err == "".join(f"error: {problem}\n" for problem in expected)
        elif code == 2:  # the document reads cleanly, but its patients came in with an earlier example
            assert "already exists in this database" in err, err
    if code == 2:
        assert in_database(cli_clinic.url, fingerprint) == before, "a refused import changed the database"
    elif json.loads(text.removeprefix("\ufeff")).get("patients"):  # an accepted document (a BOM is allowed) with patients
        assert in_database(cli_clinic.url, fingerprint) != before
    else:  # an accepted document of no patients adds no record, only the audit entry saying so
        assert in_database(cli_clinic.url, fingerprint) == {**before, "audit_entry": before["audit_entry"] + 1}


def test_the_examples_of_issue_9_each_exit_2_naming_the_field(cli_clinic, tmp_path):
    """The two fuzzed imports that exited 1 before, and the strings PostgreSQL alone refused."""
    cases = [
        ('"number": 1', '"number": 18446744073709551616', ".number: a number with 20 digits is not a pregnancy"),
        ('"note": "Fell from standing height at home"', '"note": "pain \\ud83d"',
         "patients[1].fractures[2].note: 'pain ?' contains a broken character"),
        ('"ref": "patient-1"', '"ref": "' + "r" * 65 + '"', "patients[1].ref: "),
        ('"family_name": "O\'Brien"', '"family_name": "' + "a" * 121 + '"', "patients[1].family_name: "),
        ('"email": "siobhan.obrien@example.org"', '"email": "' + "a" * 250 + '@b.org"', "patients[1].contact.email: "),
        ('"number": 1', '"number": 2147483648', ".number: 2147483648 is not a pregnancy number"),
    ]
    for old, new, words in cases:
        text = FULL_TEXT.replace(old, new, 1)
        assert text != FULL_TEXT, old
        path = tmp_path / "case.json"
        path.write_text(text, encoding="utf-8")
        before = in_database(cli_clinic.url, fingerprint)
        code, out, err = run("--database", cli_clinic.url, "import", str(path))
        assert code == 2 and words in err, err
        assert in_database(cli_clinic.url, fingerprint) == before


# --- form inputs ------------------------------------------------------------------------------

# What a form's fields can hand the core: text of any kind (a code's field too), whole numbers,
# decimals, booleans, dates from year 1 to 9999, and None for an empty optional field.
ALL_CODES = tuple(sorted(set(codes.FRACTURE_SITES + codes.SIDES + codes.IMAGING + codes.TRAUMA
                             + codes.PREGNANCY_OUTCOMES + codes.DELIVERY_MODES + codes.DEXA_SITES + codes.BLOOD_TESTS
                             + tuple(codes.BLOOD_TEST_UNITS.values()) + codes.DRUGS + codes.SPECIALTIES
                             + codes.URGENCIES + codes.REFERRAL_STATUSES + codes.DECISION_PLANS))) + ("preg1", "")
form_text = st.one_of(st.sampled_from(ALL_CODES), st.sampled_from(ALL_CODES).map(str.upper), odd_text,
                      st.text(max_size=30))
form_whole = st.one_of(st.integers(-3, 35), st.sampled_from([2**31, 2**63, -(2**64), 10**40, 10**5000]))
form_decimal = st.one_of(st.floats(-10, 300), st.floats(allow_nan=True, allow_infinity=True),
                         st.sampled_from([-0.0, 1e308, -1e-320, 0.0, 1.0]))
form_date = st.one_of(st.dates(), st.integers(-800, 800).map(lambda days: TODAY + timedelta(days=days)),
                      st.sampled_from([date.min, date.max, TODAY]))
_BY_TYPE = {str: form_text, int: form_whole, float: form_decimal, bool: st.booleans(), date: form_date}


def _field_values(value_type, only: tuple[str, ...] | None = None) -> dict:
    """A strategy for each field of a record value a form fills (its id and version are the database's)."""
    hints = typing.get_type_hints(value_type)
    strategies = {}
    for field in fields(value_type):
        if field.name in ("id", "version") or (only is not None and field.name not in only):
            continue
        hint = hints[field.name]
        kinds = [k for k in typing.get_args(hint) if k is not type(None)] or [hint]
        strategy = _BY_TYPE[kinds[0]]
        strategies[field.name] = strategy | st.none() if type(None) in typing.get_args(hint) else strategy
    return strategies


FORM_ENTRIES = tuple(item_type for _name, item_type, _date in values.CLINICAL_LISTS)
form_entries = st.one_of(*(st.builds(item_type, **_field_values(item_type)) for item_type in FORM_ENTRIES))
form_patients = st.builds(
    values.PatientRecord, ref=st.just(""),
    **_field_values(values.PatientRecord, ("hospital_number", "family_name", "given_name", "date_of_birth")),
    nhs_number=st.none() | form_text | st.sampled_from(["943 476 5919", "9434765919", "943-476-5919", "9434765918"]),
    contact=st.none() | st.builds(values.Contact, **_field_values(values.Contact)),
    gp=st.none() | st.builds(values.GeneralPractitioner, **_field_values(values.GeneralPractitioner)))

#: Her record as a form adds to it: a birth 200 days ago (ref preg1) that feeding and fractures may name.
HER = values.PatientRecord(
    ref="pt00001", nhs_number="9434765919", family_name="Ní Bhriain", given_name="Siobhán",
    date_of_birth=date(1991, 5, 17),
    pregnancies=(values.Pregnancy(ref="preg1", number=1, outcome="live_birth", ended_on=TODAY - timedelta(days=200)),))


def _answered_in_words(problems) -> None:
    for problem in problems:
        str(problem).encode("utf-8")  # every message can be shown, printed and logged
        assert len(str(problem)) < 1000, problem
        assert problem.path and problem.message


@settings(max_examples=4000, deadline=None, derandomize=True)
@given(form_entries)
def test_every_entry_a_form_can_hand_over_gets_problems_at_its_fields_never_a_crash(item):
    problems = new_entry_problems(HER, item, today=TODAY)
    _answered_in_words(problems)
    own = {f.name for f in fields(item)}
    for problem in problems:  # each at a field of the entry (or the pregnancy it names)
        assert problem.path.split(".")[0].split("[")[0] in own | {"pregnancies"}, problem


@settings(max_examples=1500, deadline=None, derandomize=True)
@given(form_patients)
def test_every_patients_details_a_form_can_hand_over_get_problems_never_a_crash(patient):
    _answered_in_words(patient_record_problems(patient, today=TODAY))


@settings(max_examples=500, deadline=None, derandomize=True)
@given(st.one_of(odd_text, st.from_regex(r"\A\s*\d{1,2}[-/. ][A-Za-z0-9]{1,9}[-/. ]\d{1,6}\s*\Z"),
                 st.dates().map(lambda d: f"{d.day}/{d.month}/{d.year}")))
def test_a_date_typed_into_a_form_is_read_or_refused_in_words(text):
    """However long or odd the text, the message quotes at most a readable line of it."""
    try:
        day = parse_written_date(text)
    except ValueError as refusal:
        assert str(refusal) and len(str(refusal)) < 300
    else:
        assert isinstance(day, date)


@pytest.fixture
def her_record(clinic):
    """Her record in the test database, with the birth that feeding and fractures may name."""
    patient = register_patient(clinic.nurse, replace(HER, ref="", pregnancies=()), today=date.today())
    add_clinical_entry(clinic.nurse, patient.id, values.Pregnancy(
        ref="preg1", number=1, outcome="live_birth", ended_on=date.today() - timedelta(days=200)))
    return clinic, patient.id


@settings(max_examples=60, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(item=form_entries)
def test_a_form_entry_saved_on_each_backend_is_refused_with_the_cores_words_and_nothing_written(her_record, item):
    clinic, patient_id = her_record
    actor = clinic.consultant  # who may save every kind of entry, decisions too
    record = load_patient_record(patient_id)
    expected = new_entry_problems(record, replace(item, ref="x-new") if hasattr(item, "ref") and not item.ref
                                  else item, today=date.today())
    before = fingerprint()
    try:
        saved = add_clinical_entry(actor, patient_id, item)
    except ValidationError as refusal:
        assert [str(p) for p in refusal.problems] == [str(p) for p in expected]
        assert fingerprint() == before, "a refused entry changed the database"
    else:
        assert expected == []
        after = load_patient_record(patient_id)
        stored = next(e for name, _t, _d in values.CLINICAL_LISTS for e in getattr(after, name) if e.id == saved.id
                      and type(e) is type(saved))
        assert stored == saved, "the entry reads back as it was saved"
