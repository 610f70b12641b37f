"""Every length, range and how-far-ahead limit is checked in the core, the same on both backends.

The limits live in `pao_clinic/record/limits.py`. These tests check each one at its edge
(the limit accepted, one more refused at its field), that the database columns are at
least as wide as the core's limits (so the two can never drift), and that a record with
every text at its limit is stored whole on SQLite and PostgreSQL alike.
"""

from __future__ import annotations

import json
from datetime import date, timedelta

import pytest
from peewee import CharField, IntegerField, TextField

from pao_clinic.errors import ValidationError
from pao_clinic.exchange import parse_document
from pao_clinic.record import HeightMeasurement, PatientRecord
from pao_clinic.record import codes, limits
from pao_clinic.record.validation import user_account_problems
from pao_clinic.services import (
    add_clinical_entry, export_document, import_records, load_patient_record, mark_entered_in_error, register_patient,
)
from pao_clinic.services.clinic_details import set_letterhead, set_referral_address
from pao_clinic.services.gate_settings import reset_gate_setting, set_gate_setting
from pao_clinic.storage import models

from .test_cli import fingerprint
from .test_exchange import FULL_TEXT, H, P, changed, problems_of

TODAY = date(2026, 11, 22)  # the day the full example is checked on (tests/test_exchange.py)

# -- the database is at least as wide as the core ------------------------------------------

# Each model column holding text of the record, and the longest text the core lets into it:
# a limit of limits.TEXT_LIMITS, or the code list whose codes are the only values allowed.
_UNITS = tuple(sorted(set(codes.BLOOD_TEST_UNITS.values())))
COLUMN_LIMITS: dict[tuple[type, str], str | int | tuple] = {
    (models.User, "name"): limits.USER_NAME_MAX_LENGTH,
    (models.User, "display_name"): limits.NAME_MAX_LENGTH,
    (models.User, "role"): codes.ROLES,
    (models.Patient, "ref"): "ref",
    (models.Patient, "nhs_number"): 10,  # stored as its ten digits, whatever spaces were written
    (models.Patient, "hospital_number"): "hospital_number",
    (models.Patient, "family_name"): "family_name",
    (models.Patient, "given_name"): "given_name",
    (models.Patient, "address"): "contact.address",
    (models.Patient, "postcode"): "contact.postcode",
    (models.Patient, "phone"): "contact.phone",
    (models.Patient, "email"): "contact.email",
    (models.Patient, "gp_name"): "gp.name",
    (models.Patient, "gp_practice"): "gp.practice",
    (models.Patient, "gp_address"): "gp.address",
    (models.Patient, "future_pregnancy_plan"): codes.FUTURE_PREGNANCY_PLANS,
    (models.PatientRiskFactor, "code"): codes.RISK_FACTORS,
    (models.PatientHistory, "code"): codes.HISTORY_CODES,
    (models.ContraceptionRow, "method"): "contraception.method",
    (models.PregnancyRow, "ref"): "pregnancies.ref",
    (models.PregnancyRow, "outcome"): codes.PREGNANCY_OUTCOMES,
    (models.PregnancyRow, "delivery_mode"): codes.DELIVERY_MODES,
    (models.FractureRow, "ref"): "fractures.ref",
    (models.FractureRow, "site"): codes.FRACTURE_SITES,
    (models.FractureRow, "side"): codes.SIDES,
    (models.FractureRow, "imaging"): codes.IMAGING,
    (models.FractureRow, "trauma"): codes.TRAUMA,
    (models.FractureRow, "note"): "fractures.note",
    (models.DexaScanRow, "ref"): "dexa.ref",
    (models.DexaScanRow, "site"): codes.DEXA_SITES,
    (models.BloodResultRow, "test"): codes.BLOOD_TESTS,
    (models.BloodResultRow, "unit"): _UNITS,
    (models.MedicationRow, "ref"): "medications.ref",
    (models.MedicationRow, "drug"): codes.DRUGS,
    (models.ReferralRow, "ref"): "referrals.ref",
    (models.ReferralRow, "specialty"): codes.SPECIALTIES,
    (models.ReferralRow, "urgency"): codes.URGENCIES,
    (models.ReferralRow, "status"): codes.REFERRAL_STATUSES,
    (models.ReferralRow, "reason"): "referrals.reason",
    (models.DecisionRow, "plan"): codes.DECISION_PLANS,
    (models.DecisionRow, "drug"): codes.DRUGS,
    (models.DecisionRow, "by_name"): "decisions.by",
    (models.DecisionRow, "override_reason"): "decisions.override_reason",
    (models.ReferralStatusChange, "status"): codes.REFERRAL_STATUSES,
    (models.AuditEntry, "user_name"): limits.USER_NAME_MAX_LENGTH,
}

# Columns that hold no text a person types into a record, each with why.
NOT_RECORD_TEXT: dict[tuple[str, str], str] = {
    ("AuditEntry", "previous_hash"): "written by the program (64 hex digits)",
    ("AuditEntry", "entry_hash"): "written by the program (64 hex digits)",
    ("User", "password_hash"): "written by the program (a hash)",
    ("AuditEntry", "action"): "written by the program (its own action words)",
    ("AuditEntry", "record_type"): "written by the program (its own record names)",
    ("AuditEntry", "before"): "written by the program (JSON of a record already checked)",
    ("AuditEntry", "after"): "written by the program (JSON of a record already checked)",
    ("AuditEntry", "previous_hash"): "written by the program (64 hex digits of SHA-256)",
    ("AuditEntry", "entry_hash"): "written by the program (64 hex digits of SHA-256)",
    ("ClinicSetting", "name"): "written by the program (names of clinic_settings)",
    ("ClinicSetting", "value"): "a clinic setting, checked by services when set (limits.LETTERHEAD_LINE_MAX_LENGTH, "
                                "ADDRESS_MAX_LINES, LOGO_PATH_MAX_LENGTH, SETTING_VALUE_MAX_LENGTH)",
    ("StoredDocument", "kind"): "written by the program (kinds of document)",
    ("StoredDocument", "title"): "written by the program (a letter's title)",
    ("StoredDocument", "sha256"): "written by the program (64 hex digits)",
    ("DecisionRow", "gate_output"): "written by the program (the gate's JSON)",
    ("*", "entered_in_error_reason"): "checked by the services when an entry is marked entered in error "
                                      "(limits.ENTERED_IN_ERROR_REASON_MAX_LENGTH)",
}


def _text_columns():
    for model in models.ALL_MODELS:
        for field in model._meta.sorted_fields:
            if isinstance(field, (CharField, TextField)):
                yield model, field


def _core_limit(limit: str | int | tuple) -> int:
    if isinstance(limit, str):
        return limits.TEXT_LIMITS[limit]
    if isinstance(limit, tuple):
        return max(len(code) for code in limit)
    return limit


@pytest.mark.parametrize("model, field", list(_text_columns()),
                         ids=[f"{m.__name__}.{f.name}" for m, f in _text_columns()])
def test_every_text_column_is_at_least_as_wide_as_the_core_lets_text_into_it(model, field):
    key = (model, field.name)
    if key not in COLUMN_LIMITS:
        assert (model.__name__, field.name) in NOT_RECORD_TEXT or ("*", field.name) in NOT_RECORD_TEXT, (
            f"{model.__name__}.{field.name} is a new text column: give it a limit in pao_clinic/record/limits.py "
            f"checked by the core, and list it in COLUMN_LIMITS here (or in NOT_RECORD_TEXT, saying why)")
        return
    most = _core_limit(COLUMN_LIMITS[key])
    if isinstance(field, CharField):
        assert field.max_length >= most, (
            f"{model.__name__}.{field.name} holds {field.max_length} characters, but the core lets {most} in")


def test_every_text_of_the_record_has_a_limit_and_a_column():
    """Each limit of TEXT_LIMITS names a text field the record has and a column that stores it."""
    stored = {limit for limit in COLUMN_LIMITS.values() if isinstance(limit, str)}
    stored |= {"nhs_number", "breastfeeding.pregnancy", "fractures.pregnancy"}  # digits; pointers to a pregnancy's ref
    assert set(limits.TEXT_LIMITS) == stored
    assert limits.TEXT_LIMITS["breastfeeding.pregnancy"] == limits.TEXT_LIMITS["pregnancies.ref"]
    assert limits.TEXT_LIMITS["fractures.pregnancy"] == limits.TEXT_LIMITS["pregnancies.ref"]


def test_whole_number_ranges_fit_a_32_bit_database_integer_and_match_the_codes():
    for low, high in (limits.PREGNANCY_NUMBER_RANGE, limits.GENANT_GRADE_RANGE, limits.EPDS_SCORE_RANGE,
                      limits.EPDS_SELF_HARM_RANGE):
        assert -(2**31) <= low <= high < 2**31
    assert codes.GENANT_GRADES == tuple(range(limits.GENANT_GRADE_RANGE[0], limits.GENANT_GRADE_RANGE[1] + 1))
    whole_numbers = {(m.__name__, f.name) for m in models.ALL_MODELS for f in m._meta.sorted_fields
                     if isinstance(f, IntegerField) and not f.name.endswith("id") and f.name != "version"}
    assert whole_numbers == {("PregnancyRow", "number"), ("FractureRow", "genant_grade"), ("EpdsRow", "score"),
                             ("EpdsRow", "self_harm_item")}, "a new whole number needs a range in limits.py"


# -- every text limit at its edge ------------------------------------------------------------

# Where each limit is tried in the full example, and every place that must change with it
# (a pregnancy's ref and the entries pointing at it).
P2 = [f"{P}.pregnancies[1].ref", f"{P}.breastfeeding[0].pregnancy", f"{P}.fractures[0].pregnancy",
      f"{P}.fractures[1].pregnancy"]
PLACES: dict[str, list[str]] = {
    "ref": [f"{P}.ref"],
    "nhs_number": [f"{P}.nhs_number"],
    "hospital_number": [f"{H}.hospital_number"],
    "family_name": [f"{P}.family_name"],
    "given_name": [f"{P}.given_name"],
    "contact.address": [f"{P}.contact.address"],
    "contact.postcode": [f"{P}.contact.postcode"],
    "contact.phone": [f"{P}.contact.phone"],
    "contact.email": [f"{P}.contact.email"],
    "gp.name": [f"{P}.gp.name"],
    "gp.practice": [f"{P}.gp.practice"],
    "gp.address": [f"{P}.gp.address"],
    "contraception.method": [f"{P}.contraception[0].method"],
    "pregnancies.ref": P2,
    "breastfeeding.pregnancy": P2[1:2] + P2[:1] + P2[2:],
    "fractures.pregnancy": P2[2:] + P2[:2],
    "fractures.ref": [f"{P}.fractures[0].ref"],
    "fractures.note": [f"{P}.fractures[2].note"],
    "dexa.ref": [f"{P}.dexa[0].ref"],
    "medications.ref": [f"{P}.medications[0].ref"],
    "referrals.ref": [f"{P}.referrals[0].ref"],
    "referrals.reason": [f"{P}.referrals[0].reason"],
    "decisions.by": [f"{P}.decisions[0].by"],
    "decisions.override_reason": [f"{P}.decisions[0].override_reason"],
}


def text_of_length(place: str, length: int) -> str:
    """A text valid for `place` (letters for a name, a real NHS number padded with spaces)."""
    if place == "nhs_number":
        return "943 476 5919".ljust(length)
    if place == "hospital_number":
        return "RX" + "1" * (length - 2)
    if place.endswith("name") or place in ("gp.name", "decisions.by"):
        return "Ñ" * length
    return ("Text at its limit, é ü 漢字. " * (length // 20 + 1))[:length - 1] + "x"


def document_with(place: str, text: str) -> dict:
    document = json.loads(FULL_TEXT)
    for path in PLACES[place]:
        document = changed(document, path, text)
    return document


def test_every_limit_has_a_place_in_the_full_example():
    assert set(PLACES) == set(limits.TEXT_LIMITS)


@pytest.mark.parametrize("place", sorted(limits.TEXT_LIMITS))
def test_text_at_its_limit_is_accepted(place):
    text = text_of_length(place, limits.TEXT_LIMITS[place])
    assert len(text) == limits.TEXT_LIMITS[place]
    assert len(parse_document(document_with(place, text), today=TODAY)) == 2


@pytest.mark.parametrize("place", sorted(limits.TEXT_LIMITS))
def test_text_one_character_over_its_limit_is_refused_at_its_field(place):
    most = limits.TEXT_LIMITS[place]
    problems = problems_of(document_with(place, text_of_length(place, most + 1)))
    assert {p.path for p in problems} == set(PLACES[place]), problems
    for problem in problems:
        if place == "hospital_number":
            assert f"has {most + 1} characters; a hospital number has 1 to {most}" in problem.message
        else:
            assert f"has {most + 1:,} characters; at most {most:,} are allowed" in problem.message


@pytest.mark.parametrize("place, length", [("ref", 8_000_000), ("family_name", 100_000), ("fractures.note", 10**6)])
def test_huge_text_is_refused_once_with_its_length_not_quoted_whole(place, length):
    (problem,) = problems_of(document_with(place, text_of_length(place, length)))
    assert problem.path == PLACES[place][0]
    assert f"has {length:,} characters" in problem.message and len(problem.message) < 200


@pytest.mark.parametrize("place", sorted(limits.TEXT_LIMITS))
def test_a_broken_character_in_any_text_is_refused_at_its_field(place):
    broken = "pain \ud83d" if place != "nhs_number" else "943 476 5919\udc00"
    problems = problems_of(document_with(place, broken))
    assert {p.path for p in problems} == set(PLACES[place]), problems
    for problem in problems:
        assert "contains a broken character (the invisible character U+" in problem.message
        assert "please retype the text" in problem.message
        problem.message.encode("utf-8")  # the message itself can be shown and logged


@pytest.mark.parametrize("path", [f"{P}.risk_factors[0]", f"{P}.fractures[0].site", f"{P}.referrals[0].status"])
def test_a_broken_character_in_a_code_is_refused_at_its_field(path):
    (problem,) = problems_of(changed(json.loads(FULL_TEXT), path, "l1\ud83d"))
    assert problem.path == path and "broken character" in problem.message


# -- whole numbers ---------------------------------------------------------------------------

@pytest.mark.parametrize("number", [0, 31, 2**31, 2**63, 2**64, -(2**70), 10**100])
def test_a_pregnancy_number_outside_1_to_30_is_refused(number):
    (problem,) = problems_of(changed(json.loads(FULL_TEXT), f"{P}.pregnancies[0].number", number))
    assert problem.path == f"{P}.pregnancies[0].number"
    assert "is not a pregnancy number" in problem.message and "up to 30" in problem.message
    assert len(problem.message) < 200


def test_the_thirtieth_pregnancy_is_accepted():
    document = changed(json.loads(FULL_TEXT), f"{P}.pregnancies[0].number", limits.PREGNANCY_NUMBER_RANGE[1])
    assert parse_document(document, today=TODAY)[1].pregnancies[0].number == 30


@pytest.mark.parametrize("path", [f"{P}.fractures[0].genant_grade", f"{P}.epds[0].score",
                                  f"{P}.epds[0].self_harm_item"])
@pytest.mark.parametrize("number", [2**31, 2**64, -(2**64)])
def test_whole_numbers_beyond_a_database_integer_are_refused_at_their_field(path, number):
    problems = problems_of(changed(json.loads(FULL_TEXT), path, number))
    assert [p.path for p in problems] == [path], problems


# -- how far ahead an expected date may lie --------------------------------------------------

AHEAD = [
    (f"{H}.pregnancies[1].due_date", TODAY + timedelta(days=limits.DUE_DATE_MAX_DAYS_AHEAD),
     "more than 300 days (about 10 months) after today"),
    (f"{P}.decisions[0].review_on", TODAY.replace(year=TODAY.year + limits.REVIEW_MAX_YEARS_AHEAD),
     "more than 5 years after today"),
]


@pytest.mark.parametrize("path, last_day, words", AHEAD)
def test_an_expected_date_may_lie_ahead_up_to_its_limit_and_no_further(path, last_day, words):
    assert len(parse_document(changed(json.loads(FULL_TEXT), path, last_day.isoformat()), today=TODAY)) == 2
    (problem,) = problems_of(changed(json.loads(FULL_TEXT), path, (last_day + timedelta(days=1)).isoformat()))
    assert problem.path == path and words in problem.message and "please check the year" in problem.message


def planned_stop_document(planned: date) -> dict:
    document = changed(json.loads(FULL_TEXT), f"{P}.breastfeeding[0].stopped_on", None)
    return changed(document, f"{P}.breastfeeding[0].planned_stop_on", planned.isoformat())


def test_a_planned_stop_may_lie_up_to_5_years_ahead_and_no_further():
    last_day = TODAY.replace(year=TODAY.year + limits.PLANNED_STOP_MAX_YEARS_AHEAD)
    assert len(parse_document(planned_stop_document(last_day), today=TODAY)) == 2
    (problem,) = problems_of(planned_stop_document(last_day + timedelta(days=1)))
    assert problem.path == f"{P}.breastfeeding[0].planned_stop_on"
    assert "more than 5 years after today" in problem.message


@pytest.mark.parametrize("path", [f"{H}.pregnancies[1].due_date", f"{P}.pregnancies[0].due_date",
                                  f"{P}.decisions[0].review_on"])
def test_a_date_in_9999_is_refused_once(path):
    problems = problems_of(changed(json.loads(FULL_TEXT), path, "9999-12-31"))
    assert [p.path for p in problems] == [path], problems


# -- users -----------------------------------------------------------------------------------

def test_user_names_and_display_names_have_limits():
    assert user_account_problems("nina", "Nina Patel") == []
    assert user_account_problems("n" * 64, "N" * 120) == []
    problems = user_account_problems("n" * 65, "N" * 121)
    assert [p.path for p in problems] == ["name", "display_name"]
    assert "has 65 characters; at most 64" in problems[0].message
    assert "has 121 characters; at most 120" in problems[1].message
    (broken,) = user_account_problems("nina", "Nina \ud83d")
    assert broken.path == "display_name" and "broken character" in broken.message


# -- both backends store text at every limit whole -----------------------------------------

def test_a_record_with_every_text_at_its_limit_is_stored_whole(clinic):
    document = json.loads(FULL_TEXT)
    chosen = {}
    for place in sorted(limits.TEXT_LIMITS):
        if place in ("breastfeeding.pregnancy", "fractures.pregnancy"):
            continue  # the same places as pregnancies.ref
        text = text_of_length(place, limits.TEXT_LIMITS[place])
        chosen[place] = text
        for path in PLACES[place]:
            document = changed(document, path, text)
    records = parse_document(document, today=date.today())
    import_records(clinic.nurse, records)
    exported = export_document()["patients"]
    obrien = next(p for p in exported if p["family_name"] == chosen["family_name"])
    assert obrien["ref"] == chosen["ref"]
    assert obrien["nhs_number"] == "9434765919"
    assert obrien["contact"] == {k.split(".")[1]: v for k, v in chosen.items() if k.startswith("contact.")}
    assert obrien["gp"] == {k.split(".")[1]: v for k, v in chosen.items() if k.startswith("gp.")}
    assert any(f.get("note") == chosen["fractures.note"] for f in obrien["fractures"])
    assert {p["ref"] for p in obrien["pregnancies"]} == {"p1", chosen["pregnancies.ref"]}
    assert any(d["by"] == chosen["decisions.by"] and d.get("override_reason") == chosen["decisions.override_reason"]
               for d in obrien["decisions"])
    assert any(r["reason"] == chosen["referrals.reason"] for r in obrien["referrals"])
    nguyen = next(p for p in exported if p["family_name"] != chosen["family_name"])
    assert nguyen["hospital_number"] == chosen["hospital_number"]


# -- text typed outside the record: why an entry was entered in error, the clinic's settings ---

def _height_of_a_new_patient(clinic):
    patient = register_patient(clinic.nurse, PatientRecord(ref="", nhs_number="943 476 5919", family_name="Ní Bhriain",
                                                           given_name="Siobhán", date_of_birth=date(1991, 5, 17)))
    return patient.id, add_clinical_entry(clinic.nurse, patient.id,
                                          HeightMeasurement(measured_on=date.today(), cm=162.0))


REASONS_REFUSED = [
    ("x" * (limits.ENTERED_IN_ERROR_REASON_MAX_LENGTH + 1), "has 4,001 characters; at most 4,000 are allowed"),
    ("x" * 10**6, "has 1,000,000 characters; at most 4,000 are allowed"),
    ("measured on the wrong woman \ud83d", "contains a broken character"),
    ("measured\x00twice", "contains the invisible character U+0000"),
    (17, "the reason must be text, not int"),
]


def test_an_entered_in_error_reason_beyond_its_limit_or_unstorable_is_refused_at_reason(clinic):
    patient_id, height = _height_of_a_new_patient(clinic)
    before = fingerprint()
    for reason, words in REASONS_REFUSED:
        with pytest.raises(ValidationError) as refused:
            mark_entered_in_error(clinic.nurse, "height", height.id, expected_version=1, reason=reason)
        (message,) = refused.value.for_field("reason")
        assert words in message and len(message) < 300, message
        message.encode("utf-8")
        assert fingerprint() == before
    assert load_patient_record(patient_id).heights == (height,)


def test_an_entered_in_error_reason_at_its_limit_is_kept_whole(clinic):
    patient_id, height = _height_of_a_new_patient(clinic)
    reason = ("Measured on the wrong woman, é ü 漢字.\n" * 200)[:limits.ENTERED_IN_ERROR_REASON_MAX_LENGTH]
    mark_entered_in_error(clinic.nurse, "height", height.id, expected_version=1, reason=reason)
    assert load_patient_record(patient_id).heights == ()
    assert models.HeightRow.get_by_id(height.id).entered_in_error_reason == reason.strip()


LETTERHEAD = dict(name="Harrogate PAO Clinic", address="Lancaster Park Road, Harrogate HG2 7SX",
                  phone="01423 496 000", email="pao.clinic@example.nhs.uk")


def _letterhead(**changes):
    return lambda actor: set_letterhead(actor, **{**LETTERHEAD, **changes})


SETTINGS_REFUSED = [
    (_letterhead(name="N" * 121), "name", "121 characters long; at most 120 fit a letter"),
    (_letterhead(name="Harrogate \ud83d Clinic"), "name", "contains a broken character"),
    (_letterhead(name="Harrogate\x1b Clinic"), "name", "contains the invisible character U+001B"),
    (_letterhead(address="1 Road, " * 9 + "Town"), "address", "has 10 lines; at most 8 fit the letterhead"),
    (_letterhead(address="a," * 10**6), "address", "has 1,000,000 lines; at most 8"),
    (_letterhead(address="Lancaster Park Road\x00, Harrogate"), "address", "invisible character U+0000"),
    (_letterhead(address="L" * 121 + ", Harrogate"), "address", "is longer than 120 characters"),
    (_letterhead(email="pao\ud800@example.nhs.uk"), "email", "contains a broken character"),
    (_letterhead(phone=1423496000), "phone", "must be text, not int"),
    (_letterhead(logo="/tmp/" + "l" * limits.LOGO_PATH_MAX_LENGTH), "logo", "at most 4,096 are allowed"),
    (_letterhead(logo="logo\x00.png"), "logo", "invisible character U+0000"),
    (_letterhead(logo="\ud800.png"), "logo", "contains a broken character"),
    (lambda actor: set_referral_address(actor, "physiotherapy", "1 Road, Leeds", department="D" * 121),
     "department", "at most 120 fit a letter"),
    (lambda actor: set_referral_address(actor, "s" * 10**6, "1 Road, Leeds"), "specialty", "is not a specialty"),
    (lambda actor: set_referral_address(actor, "physiotherapy", "1 Road\ud83d, Leeds"), "address", "broken character"),
    (lambda actor: set_gate_setting(actor, "results_window_days", 10**400), "results_window_days",
     "must be between 7 and 365, not a number with 401 digits"),
    (lambda actor: set_gate_setting(actor, "results_window_days", "9" * 41), "results_window_days",
     "has 41 characters; at most 40 are allowed"),
    (lambda actor: set_gate_setting(actor, "results_window_days", "3\ud800"), "results_window_days",
     "contains a broken character"),
    (lambda actor: set_gate_setting(actor, "x" * 10**6, 30), "name", "is not a setting of the gate"),
    (lambda actor: reset_gate_setting(actor, "x" * 10**6), "name", "is not a setting of the gate"),
]


def test_settings_text_beyond_its_limit_or_unstorable_is_refused_at_its_field(clinic):
    before = fingerprint()
    for change, field, words in SETTINGS_REFUSED:
        with pytest.raises(ValidationError) as refused:
            change(clinic.admin)
        (message,) = refused.value.for_field(field)
        assert words in message and len(message) < 1000, message
        message.encode("utf-8")  # every message can be shown, printed and logged
        assert fingerprint() == before


def test_settings_text_at_its_limits_is_stored_whole(clinic, tmp_path):
    logo = tmp_path / "logo.png"
    logo.write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(64))
    lines = ["L" * limits.LETTERHEAD_LINE_MAX_LENGTH] * limits.ADDRESS_MAX_LINES
    saved = set_letterhead(clinic.admin, name="Ñ" * limits.LETTERHEAD_LINE_MAX_LENGTH, address="\n".join(lines),
                           phone="0" * limits.LETTERHEAD_LINE_MAX_LENGTH, email="a@" + "b" * 111 + ".nhs.uk",
                           logo=str(logo))
    assert saved.name == "Ñ" * 120 and saved.address.split("\n") == lines and len(saved.email) == 120
    value = "90." + "0" * (limits.SETTING_VALUE_MAX_LENGTH - 3)
    assert len(value) == limits.SETTING_VALUE_MAX_LENGTH
    assert set_gate_setting(clinic.admin, "results_window_days", value).value == 90
