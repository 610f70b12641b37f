"""The exchange format (shared/spec/exchange-format.md): reading, every rule, writing."""

from __future__ import annotations

import copy
import json
import random
import re
import subprocess
import sys
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

import pytest

from pao_clinic.errors import Problem, ValidationError
from pao_clinic.exchange import document_from_records, document_to_text, parse_document, read_document_text
from pao_clinic.record import (
    BloodResult,
    Contact,
    Decision,
    Feeding,
    Fracture,
    GeneralPractitioner,
    PatientRecord,
    Pregnancy,
)
from pao_clinic.record.dates import written_date
from pao_clinic.record.validation import patient_record_problems

TODAY = date(2026, 11, 22)
EXPORTED_AT = datetime(2026, 11, 22, 10, 0, tzinfo=timezone.utc)
FULL_TEXT = (Path(__file__).parent / "data" / "full_patient.json").read_text(encoding="utf-8")
DELETE = object()


@dataclass(frozen=True)
class FromToday:
    """A date `days` after the day a document is checked on: how a rule names "the future"."""

    days: int

    def __repr__(self) -> str:
        return f"today+{self.days}"


def on_day(changes, words: str, today: date):
    """A rule's changes and expected words as they read when the document is checked on `today`.

    FromToday values become ISO dates; `{today}` and `{today+N}` in the words become
    written dates (`22-Nov-2026`).
    """
    resolved = [(where, (today + timedelta(days=value.days)).isoformat() if isinstance(value, FromToday) else value)
                for where, value in changes]
    words = re.sub(r"\{today(?:\+(\d+))?\}",
                   lambda m: written_date(today + timedelta(days=int(m.group(1) or 0))), words)
    return resolved, words

# In the full example, patients are in export order: Nguyễn (hospital number only,
# pregnant now) then O'Brien (every list filled in).
H = "patients[0]"
P = "patients[1]"


def full_document() -> dict:
    return json.loads(FULL_TEXT)


def changed(document: dict, path: str, value: object) -> dict:
    """A copy of `document` with the value at a JSON path replaced (or deleted with DELETE)."""
    document = copy.deepcopy(document)
    steps: list[str | int] = []
    for part in path.split("."):
        name, *indexes = re.split(r"\[(\d+)\]", part)
        if name:
            steps.append(name)
        steps += [int(i) for i in indexes if i != ""]
    target = document
    for step in steps[:-1]:
        target = target[step]
    if value is DELETE:
        del target[steps[-1]]
    elif isinstance(target, list) and steps[-1] == len(target):
        target.append(value)
    else:
        target[steps[-1]] = value
    return document


def problems_of(document: object) -> list[Problem]:
    with pytest.raises(ValidationError) as caught:
        parse_document(document, today=TODAY)
    return list(caught.value.problems)


def minimal_patient(**values) -> dict:
    patient = {"ref": "a", "hospital_number": "H1", "family_name": "Smith", "given_name": "Ann",
               "date_of_birth": "1990-01-01"}
    patient.update(values)
    return patient


def document_of(*patients: dict) -> dict:
    return {"format": "pao-clinic-exchange", "version": 1, "exported_at": "2026-11-22T10:00:00+00:00",
            "patients": list(patients)}


# -- every rule has a failing example naming its exact path ----------------------------

# (change: list of (path, value)), expected path, words the message must contain
RULES = [
    # top level
    ([("format", "something-else")], "format", "'something-else' is not a PAO Clinic exchange document"),
    ([("format", DELETE)], "format", "is required"),
    ([("version", 2)], "version", "2 is not a version this program reads"),
    ([("version", True)], "version", "true is not a version"),
    ([("version", "1")], "version", "'1' is not a version"),
    ([("version", DELETE)], "version", "is required"),
    ([("exported_at", "2026-11-22T10:00:00")], "exported_at", "with its time zone"),
    ([("exported_at", "2026-11-22")], "exported_at", "not '2026-11-22'"),
    ([("exported_at", "22/11/2026 10:00 GMT")], "exported_at", "with its time zone"),
    ([("exported_at", "2026-13-22T10:00:00Z")], "exported_at", "with its time zone"),
    ([("exported_at", 1795428000)], "exported_at", "not 1795428000"),
    ([("exported_at", None)], "exported_at", "is required"),
    ([("patients", DELETE)], "patients", "is required"),
    ([("patients", {})], "patients", "must be a list of patients, not an object"),
    ([("comment", "hello")], "comment", "'comment' is not a key of an exchange document"),
    # patient: JSON types, keys and document-wide uniqueness
    ([(P, "O'Brien")], P, "must be a patient (a JSON object), not 'O'Brien'"),
    ([(f"{P}.weight_kg", 60)], f"{P}.weight_kg", "'weight_kg' is not a key of a patient"),
    ([(f"{P}.ref", DELETE)], f"{P}.ref", "is required"),
    ([(f"{P}.ref", None)], f"{P}.ref", "is required"),
    ([(f"{P}.ref", 7)], f"{P}.ref", "must be text (a JSON string), not 7"),
    ([(f"{P}.ref", " ")], f"{P}.ref", "a ref is required"),
    ([(f"{P}.ref", "patient-2")], f"{P}.ref", "'patient-2' is also the ref of patients[0]"),
    ([(f"{P}.nhs_number", "9434765918")], f"{P}.nhs_number", "'9434765918' is not a valid NHS number"),
    ([(f"{P}.nhs_number", "943476591")], f"{P}.nhs_number", "has 9 digits; an NHS number has 10"),
    ([(f"{P}.nhs_number", "4444444444")], f"{P}.nhs_number", "all ten digits are the same"),
    ([(f"{P}.nhs_number", 9434765919)], f"{P}.nhs_number", "must be text"),
    ([(f"{P}.nhs_number", DELETE)], f"{P}.nhs_number", "an NHS number or a hospital number is required"),
    ([(f"{H}.nhs_number", "943 476 5919")], f"{P}.nhs_number", "is also given for patients[0]"),
    ([(f"{P}.hospital_number", "rx1234567")], f"{P}.hospital_number", "is also given for patients[0]"),
    ([(f"{H}.hospital_number", "RX" + "1" * 19)], f"{H}.hospital_number",
     "has 21 characters; a hospital number has 1 to 20"),
    ([(f"{H}.hospital_number", "")], f"{H}.hospital_number", "the hospital number is empty"),
    ([(f"{H}.hospital_number", "RX1 ")], f"{H}.hospital_number", "'RX1 ' starts or ends with a space"),
    ([(f"{P}.family_name", "O'Br1en")], f"{P}.family_name",
     "'O'Br1en' may contain only letters, hyphens, apostrophes and spaces ('1' is not allowed)"),
    ([(f"{P}.family_name", "Smith\tJones")], f"{P}.family_name", "(a tab is not allowed)"),
    ([(f"{P}.family_name", "-'-")], f"{P}.family_name", "'-'-' has no letters"),
    ([(f"{P}.family_name", " Smith")], f"{P}.family_name", "starts or ends with a space"),
    ([(f"{P}.family_name", DELETE)], f"{P}.family_name", "is required"),
    ([(f"{P}.given_name", "")], f"{P}.given_name", "a given name is required"),
    ([(f"{P}.given_name", "Ann.")], f"{P}.given_name", "('.' is not allowed)"),
    ([(f"{P}.date_of_birth", "14/05/1990")], f"{P}.date_of_birth",
     "must be a date written YYYY-MM-DD, such as '2025-03-12', not '14/05/1990'"),
    ([(f"{P}.date_of_birth", "1990-5-14")], f"{P}.date_of_birth", "must be a date written YYYY-MM-DD"),
    ([(f"{P}.date_of_birth", "19900514")], f"{P}.date_of_birth", "must be a date written YYYY-MM-DD"),
    ([(f"{P}.date_of_birth", "1990-02-30")], f"{P}.date_of_birth", "'1990-02-30' is not a date that exists"),
    ([(f"{P}.date_of_birth", "1990-05-14T00:00:00")], f"{P}.date_of_birth", "must be a date written YYYY-MM-DD"),
    ([(f"{P}.date_of_birth", DELETE)], f"{P}.date_of_birth", "is required"),
    ([(f"{P}.date_of_birth", "2012-01-01")], f"{P}.pregnancies[0].ended_on",
     "she was 9 years old when the pregnancy ended on 28-Jun-2021 (date of birth 01-Jan-2012); "
     "a pregnancy is recorded between the ages of 12 and 60"),
    ([(f"{P}.date_of_birth", "1961-01-01")], f"{P}.pregnancies[1].ended_on", "she was 64 years old"),
    ([(f"{H}.pregnancies[1].due_date", "2054-01-01")], f"{H}.pregnancies[1].due_date",
     "she will be 61 years old on her due date 01-Jan-2054 (date of birth 30-Nov-1992)"),
    ([(f"{P}.contact.mobile", "07700 900123")], f"{P}.contact.mobile",
     "'mobile' is not a key of contact details (its keys are address, postcode, phone, email)"),
    ([(f"{P}.contact.phone", 1174960123)], f"{P}.contact.phone", "must be text"),
    ([(f"{P}.contact", "12 Harbour Row")], f"{P}.contact", "must be contact details (a JSON object)"),
    ([(f"{P}.gp.name", ["Dr A Patel"])], f"{P}.gp.name", "must be text (a JSON string), not a list"),
    ([(f"{P}.gp.nhs_code", "L81001")], f"{P}.gp.nhs_code", "is not a key of GP details"),
    ([(f"{P}.risk_factors", "hyperemesis")], f"{P}.risk_factors", "must be a list of codes"),
    ([(f"{P}.risk_factors[2]", "smoking")], f"{P}.risk_factors[2]", "'smoking' is not a risk factor code"),
    ([(f"{P}.risk_factors[2]", "Heparin")], f"{P}.risk_factors[2]", "(codes are written in lower case: 'heparin')"),
    ([(f"{P}.risk_factors[2]", "hyperemesis")], f"{P}.risk_factors[2]", "'hyperemesis' is listed twice"),
    ([(f"{P}.risk_factors[2]", None)], f"{P}.risk_factors[2]", "must be a code (a JSON string), not null"),
    ([(f"{P}.history[1]", "diabetes")], f"{P}.history[1]", "'diabetes' is not a history code"),
    ([(f"{P}.history[1]", "sterilised")], f"{P}.history[1]", "'sterilised' is listed twice"),
    ([(f"{P}.future_pregnancy_plan", "maybe")], f"{P}.future_pregnancy_plan",
     "'maybe' is not a future pregnancy plan (yes, no, unsure)"),
    ([(f"{P}.future_pregnancy_plan", False)], f"{P}.future_pregnancy_plan", "must be text"),
    ([(f"{P}.fractures", {"ref": "f1"})], f"{P}.fractures", "must be a list (it may be empty), not an object"),
    # dates in the future: days after the day the document is checked, never a literal date
    ([(f"{P}.date_of_birth", FromToday(1))], f"{P}.date_of_birth",
     "date of birth {today+1} is in the future (today is {today})"),
    ([(f"{P}.contraception[0].recorded_on", FromToday(1))], f"{P}.contraception[0].recorded_on",
     "{today+1} is in the future (today is {today})"),
    ([(f"{P}.pregnancies[0].ended_on", FromToday(9))], f"{P}.pregnancies[0].ended_on", "is in the future"),
    ([(f"{P}.breastfeeding[0].started_on", FromToday(9)), (f"{P}.breastfeeding[0].stopped_on", DELETE)],
     f"{P}.breastfeeding[0].started_on", "{today+9} is in the future"),
    ([(f"{P}.breastfeeding[0].stopped_on", FromToday(9))], f"{P}.breastfeeding[0].stopped_on", "is in the future"),
    ([(f"{P}.fractures[2].identified_on", FromToday(40))], f"{P}.fractures[2].identified_on", "is in the future"),
    ([(f"{P}.dexa[0].scanned_on", FromToday(40))], f"{P}.dexa[0].scanned_on", "is in the future"),
    ([(f"{P}.bloods[0].taken_on", FromToday(40))], f"{P}.bloods[0].taken_on", "is in the future"),
    ([(f"{P}.heights[0].measured_on", FromToday(40))], f"{P}.heights[0].measured_on", "is in the future"),
    ([(f"{P}.epds[0].assessed_on", FromToday(40))], f"{P}.epds[0].assessed_on", "is in the future"),
    ([(f"{P}.medications[1].started_on", FromToday(40))], f"{P}.medications[1].started_on", "is in the future"),
    ([(f"{P}.medications[1].stopped_on", FromToday(40))], f"{P}.medications[1].stopped_on", "is in the future"),
    ([(f"{P}.referrals[1].created_on", FromToday(40))], f"{P}.referrals[1].created_on", "is in the future"),
    ([(f"{P}.referrals[0].seen_on", FromToday(40))], f"{P}.referrals[0].seen_on", "is in the future"),
    ([(f"{P}.decisions[1].decided_on", FromToday(40))], f"{P}.decisions[1].decided_on", "is in the future"),
    ([(f"{P}.dental_reviews[0].reviewed_on", "1989-12-31")], f"{P}.dental_reviews[0].reviewed_on",
     "31-Dec-1989 is before her date of birth (14-May-1990)"),
    # contraception, dental reviews
    ([(f"{P}.contraception[0].effective", "yes")], f"{P}.contraception[0].effective",
     "must be true or false, not 'yes'"),
    ([(f"{P}.contraception[0].effective", 1)], f"{P}.contraception[0].effective", "must be true or false, not 1"),
    ([(f"{P}.contraception[0].method", " ")], f"{P}.contraception[0].method", "the contraception method is required"),
    ([(f"{P}.dental_reviews[0].reviewed_on", DELETE)], f"{P}.dental_reviews[0].reviewed_on", "is required"),
    ([(f"{P}.dental_reviews[1]", None)], f"{P}.dental_reviews[1]", "must be a dental review (a JSON object), not null"),
    # pregnancies
    ([(f"{P}.pregnancies[0].number", 0)], f"{P}.pregnancies[0].number", "0 is not a pregnancy number"),
    ([(f"{P}.pregnancies[0].number", "1")], f"{P}.pregnancies[0].number", "must be a whole number, not '1'"),
    ([(f"{P}.pregnancies[0].number", 1.5)], f"{P}.pregnancies[0].number", "must be a whole number, not 1.5"),
    ([(f"{P}.pregnancies[0].number", True)], f"{P}.pregnancies[0].number", "must be a whole number, not true"),
    ([(f"{P}.pregnancies[1].number", 1)], f"{P}.pregnancies[1].number",
     "pregnancy number 1 is given to an earlier entry too"),
    ([(f"{P}.pregnancies[0].outcome", "abortion")], f"{P}.pregnancies[0].outcome",
     "'abortion' is not a pregnancy outcome (ongoing, live_birth, stillbirth, miscarriage, termination)"),
    ([(f"{H}.pregnancies[0].ref", "p2")], f"{H}.pregnancies[1].ref",
     "ref 'p2' is used by an earlier entry in pregnancies"),
    ([(f"{H}.pregnancies[1].ended_on", "2026-10-30")], f"{H}.pregnancies[1].ended_on",
     "an ongoing pregnancy has no end date (30-Oct-2026 given)"),
    ([(f"{H}.pregnancies[0].outcome", "ongoing"), (f"{H}.pregnancies[0].ended_on", DELETE)],
     f"{H}.pregnancies[1].outcome",
     "she already has an ongoing pregnancy (ref 'p1'); only one pregnancy can be ongoing"),
    ([(f"{P}.pregnancies[0].ended_on", DELETE)], f"{P}.pregnancies[0].ended_on",
     "the date the pregnancy ended is required (outcome 'live_birth')"),
    ([(f"{H}.pregnancies[0].delivery_mode", "vaginal")], f"{H}.pregnancies[0].delivery_mode",
     "a delivery mode is recorded only for a live birth or stillbirth, not for outcome 'miscarriage'"),
    ([(f"{H}.pregnancies[1].delivery_mode", "caesarean")], f"{H}.pregnancies[1].delivery_mode",
     "not for outcome 'ongoing'"),
    ([(f"{P}.pregnancies[0].delivery_mode", "forceps")], f"{P}.pregnancies[0].delivery_mode",
     "'forceps' is not a delivery mode (vaginal, assisted, caesarean)"),
    # breastfeeding
    ([(f"{P}.breastfeeding[0].pregnancy", "p9")], f"{P}.breastfeeding[0].pregnancy",
     "there is no pregnancy with ref 'p9' in her record"),
    ([(f"{H}.breastfeeding[0]", {"pregnancy": "p2", "breastfed": False})], f"{H}.breastfeeding[0].pregnancy",
     "pregnancy 'p2' is still ongoing"),
    ([(f"{P}.breastfeeding[1].pregnancy", "p2")], f"{P}.breastfeeding[1].pregnancy",
     "pregnancy 'p2' already has a feeding entry; give one entry per pregnancy"),
    ([(f"{P}.breastfeeding[1].started_on", "2021-07-01")], f"{P}.breastfeeding[1].started_on",
     "no feeding dates are given when she did not breastfeed (01-Jul-2021 given)"),
    ([(f"{P}.breastfeeding[1].planned_stop_on", "2021-07-01")], f"{P}.breastfeeding[1].planned_stop_on",
     "no feeding dates are given when she did not breastfeed"),
    ([(f"{P}.breastfeeding[0].started_on", DELETE)], f"{P}.breastfeeding[0].started_on",
     "the date breastfeeding started is required when she breastfed"),
    ([(f"{P}.breastfeeding[0].started_on", "2025-03-01")], f"{P}.breastfeeding[0].started_on",
     "breastfeeding start 01-Mar-2025 is before the pregnancy ended (02-Mar-2025)"),
    ([(f"{P}.breastfeeding[0].stopped_on", "2025-03-01")], f"{P}.breastfeeding[0].stopped_on",
     "the last feed 01-Mar-2025 is before breastfeeding started (02-Mar-2025)"),
    ([(f"{P}.breastfeeding[0].planned_stop_on", "2025-09-30")], f"{P}.breastfeeding[0].planned_stop_on",
     "a planned stop date is given only while feeding goes on, but feeding stopped on 31-Aug-2025"),
    ([(f"{P}.breastfeeding[0].stopped_on", DELETE), (f"{P}.breastfeeding[0].planned_stop_on", "2025-03-01")],
     f"{P}.breastfeeding[0].planned_stop_on", "the planned stop 01-Mar-2025 is before breastfeeding started"),
    ([(f"{P}.breastfeeding[0].breastfed", "yes")], f"{P}.breastfeeding[0].breastfed", "must be true or false"),
    ([(f"{P}.breastfeeding[0].breastfed", DELETE)], f"{P}.breastfeeding[0].breastfed", "is required"),
    ([(f"{P}.breastfeeding[0].ref", "b1")], f"{P}.breastfeeding[0].ref", "'ref' is not a key of a feeding entry"),
    # fractures
    ([(f"{P}.fractures[0].site", "L7")], f"{P}.fractures[0].site", "'L7' is not a vertebral level or site code"),
    ([(f"{P}.fractures[0].site", "L1")], f"{P}.fractures[0].site", "(codes are written in lower case: 'l1')"),
    ([(f"{P}.fractures[0].site", DELETE)], f"{P}.fractures[0].site", "is required"),
    ([(f"{P}.fractures[0].side", "left")], f"{P}.fractures[0].side",
     "a side is recorded only for pelvis, hip, femur, rib, wrist, ankle, foot, not for 'l1'"),
    ([(f"{P}.fractures[2].side", "both")], f"{P}.fractures[2].side", "'both' is not a side (left, right)"),
    ([(f"{P}.fractures[0].genant_grade", DELETE)], f"{P}.fractures[0].genant_grade",
     "a Genant grade (1, 2 or 3) is required for a vertebral fracture (L1)"),
    ([(f"{P}.fractures[2].genant_grade", 1)], f"{P}.fractures[2].genant_grade",
     "a Genant grade is given only for vertebral levels C1 to L5, not for 'wrist'"),
    ([(f"{H}.fractures[0].genant_grade", 2)], f"{H}.fractures[0].genant_grade", "not for 'sacrum'"),
    ([(f"{P}.fractures[0].genant_grade", 4)], f"{P}.fractures[0].genant_grade", "4 is not a Genant grade (1, 2 or 3)"),
    ([(f"{P}.fractures[0].genant_grade", 0)], f"{P}.fractures[0].genant_grade", "0 is not a Genant grade"),
    ([(f"{P}.fractures[0].genant_grade", 2.5)], f"{P}.fractures[0].genant_grade", "must be a whole number"),
    ([(f"{P}.fractures[0].onset_on", "2025-04-12")], f"{P}.fractures[0].onset_on",
     "onset date 12-Apr-2025 is after the date the fracture was identified (10-Apr-2025)"),
    ([(f"{P}.fractures[0].pregnancy", "p9")], f"{P}.fractures[0].pregnancy",
     "there is no pregnancy with ref 'p9' in her record"),
    ([(f"{P}.fractures[0].imaging", "ultrasound")], f"{P}.fractures[0].imaging",
     "'ultrasound' is not an imaging code (mri, xray, ct, dexa_vfa)"),
    ([(f"{P}.fractures[0].trauma", "moderate")], f"{P}.fractures[0].trauma",
     "'moderate' is not a trauma code (none, low, high)"),
    ([(f"{P}.fractures[1].ref", "f1")], f"{P}.fractures[1].ref", "ref 'f1' is used by an earlier entry in fractures"),
    ([(f"{P}.fractures[1].ref", "")], f"{P}.fractures[1].ref", "a ref is required"),
    ([(f"{P}.fractures[2].note", 5)], f"{P}.fractures[2].note", "must be text"),
    ([(f"{P}.fractures[2].note", "Fell\x00 at home")], f"{P}.fractures[2].note",
     "'Fell? at home' contains the invisible character U+0000 (shown as '?'); please retype the text"),
    ([(f"{P}.contact.phone", "0117\x1b496")], f"{P}.contact.phone", "contains the invisible character U+001B"),
    ([(f"{P}.referrals[0].reason", "Back pain\x08")], f"{P}.referrals[0].reason", "U+0008"),
    ([(f"{P}.fractures[0].ref", "f\x001")], f"{P}.fractures[0].ref", "U+0000"),
    ([(f"{P}.fractures[2].identified_on", "2025-10-1")], f"{P}.fractures[2].identified_on", "YYYY-MM-DD"),
    # DEXA
    ([(f"{P}.dexa[0].bmd", 2.5)], f"{P}.dexa[0].bmd", "BMD 2.5 g/cm² is outside 0.2 to 2 g/cm²"),
    ([(f"{P}.dexa[0].bmd", 0.1)], f"{P}.dexa[0].bmd", "BMD 0.1 g/cm² is outside"),
    ([(f"{P}.dexa[0].bmd", "0.8")], f"{P}.dexa[0].bmd", "must be a number, not '0.8'"),
    ([(f"{P}.dexa[0].bmd", True)], f"{P}.dexa[0].bmd", "must be a number, not true"),
    ([(f"{P}.dexa[0].t_score", -9)], f"{P}.dexa[0].t_score", "T-score -9 is outside -8 to 6"),
    ([(f"{P}.dexa[0].z_score", 6.5)], f"{P}.dexa[0].z_score", "Z-score 6.5 is outside -8 to 6"),
    ([(f"{P}.dexa[1].z_score", DELETE)], f"{P}.dexa[1].t_score", "a T-score or a Z-score (or both) is required"),
    ([(f"{P}.dexa[0].site", "spine")], f"{P}.dexa[0].site", "'spine' is not a DEXA site code"),
    ([(f"{P}.dexa[1].ref", "d1")], f"{P}.dexa[1].ref", "ref 'd1' is used by an earlier entry in dexa"),
    # bloods
    ([(f"{P}.bloods[0].unit", "mg/dL")], f"{P}.bloods[0].unit",
     "'mg/dL' is not the unit for adjusted_calcium; give the result in mmol/L"),
    ([(f"{P}.bloods[1].unit", "umol/L")], f"{P}.bloods[1].unit", "give the result in µmol/L"),
    ([(f"{P}.bloods[0].test", "vitamin_b12")], f"{P}.bloods[0].test", "'vitamin_b12' is not a blood test code"),
    ([(f"{P}.bloods[0].value", "2.31")], f"{P}.bloods[0].value", "must be a number, not '2.31'"),
    ([(f"{P}.bloods[0].value", DELETE)], f"{P}.bloods[0].value", "is required"),
    ([(f"{P}.bloods[0].value", 10**400)], f"{P}.bloods[0].value", "a very long number is too large"),
    ([(f"{P}.bloods[3].value", 2)], f"{P}.bloods[3].value",
     "2 is not a serum protein electrophoresis result: give 0 (no paraprotein) or 1 (paraprotein found)"),
    ([(f"{P}.bloods[4].value", -1)], f"{P}.bloods[4].value", "-1 is not a possible result (below zero)"),
    # heights, EPDS
    ([(f"{P}.heights[0].cm", 230)], f"{P}.heights[0].cm", "height 230 cm is outside 120 to 220 cm"),
    ([(f"{P}.heights[0].cm", 119.5)], f"{P}.heights[0].cm", "height 119.5 cm is outside"),
    ([(f"{P}.epds[0].score", 31)], f"{P}.epds[0].score", "31 is not an EPDS score (0 to 30)"),
    ([(f"{P}.epds[0].score", -1)], f"{P}.epds[0].score", "-1 is not an EPDS score"),
    ([(f"{P}.epds[0].score", "11")], f"{P}.epds[0].score", "must be a whole number"),
    ([(f"{P}.epds[0].self_harm_item", 4)], f"{P}.epds[0].self_harm_item", "4 is not a self-harm item score (0 to 3)"),
    ([(f"{P}.epds[0].score", 1), (f"{P}.epds[0].self_harm_item", 2)], f"{P}.epds[0].self_harm_item",
     "the self-harm item (2) is more than the total score (1)"),
    # medications
    ([(f"{P}.medications[0].stopped_on", "2025-04-01")], f"{P}.medications[0].stopped_on",
     "stop date 01-Apr-2025 is before the start date (15-Apr-2025)"),
    ([(f"{P}.medications[0].drug", "aspirin")], f"{P}.medications[0].drug", "'aspirin' is not a drug code"),
    ([(f"{P}.medications[1].drug", "denosumab")], f"{P}.medications[1].stopped_on",
     "denosumab is recorded one entry per dose: the stop date must be the dose date (15-Oct-2025)"),
    ([(f"{P}.medications[1].ref", "m1")], f"{P}.medications[1].ref", "used by an earlier entry in medications"),
    # referrals
    ([(f"{P}.referrals[1].status", "sent")], f"{P}.referrals[1].sent_on",
     "the date sent is required when the status is 'sent'"),
    ([(f"{P}.referrals[1].status", "booked")], f"{P}.referrals[1].sent_on", "when the status is 'booked'"),
    ([(f"{P}.referrals[0].seen_on", DELETE)], f"{P}.referrals[0].seen_on",
     "the date she was seen is required when the status is 'seen'"),
    ([(f"{P}.referrals[0].sent_on", "2025-04-10")], f"{P}.referrals[0].sent_on",
     "date sent 10-Apr-2025 is before the referral was created (11-Apr-2025)"),
    ([(f"{P}.referrals[1].sent_on", "2025-10-11")], f"{P}.referrals[1].sent_on", "a draft referral has not been sent"),
    ([(f"{P}.referrals[0].status", "booked")], f"{P}.referrals[0].seen_on",
     "a date seen (02-May-2025) is given only when the status is 'seen', not 'booked'"),
    ([(f"{P}.referrals[0].seen_on", "2025-04-10")], f"{P}.referrals[0].seen_on",
     "date seen 10-Apr-2025 is before the referral was sent (11-Apr-2025)"),
    ([(f"{P}.referrals[0].specialty", "orthopaedics")], f"{P}.referrals[0].specialty",
     "'orthopaedics' is not a specialty code"),
    ([(f"{P}.referrals[0].urgency", "asap")], f"{P}.referrals[0].urgency",
     "'asap' is not an urgency (urgent, routine)"),
    ([(f"{P}.referrals[0].status", "lost")], f"{P}.referrals[0].status", "'lost' is not a referral status"),
    ([(f"{P}.referrals[0].reason", "")], f"{P}.referrals[0].reason", "the reason for the referral is required"),
    ([(f"{P}.referrals[0].reason", DELETE)], f"{P}.referrals[0].reason", "is required"),
    # decisions
    ([(f"{P}.decisions[1].drug", DELETE)], f"{P}.decisions[1].drug", "a drug is required for a 'start' decision"),
    ([(f"{P}.decisions[0].plan", "stop")], f"{P}.decisions[0].drug", "a drug is required for a 'stop' decision"),
    ([(f"{P}.decisions[0].plan", "wait")], f"{P}.decisions[0].plan", "'wait' is not a decision plan"),
    ([(f"{P}.decisions[1].drug", "aspirin")], f"{P}.decisions[1].drug", "'aspirin' is not a drug code"),
    ([(f"{P}.decisions[0].by", " ")], f"{P}.decisions[0].by", "the name of the clinician who decided is required"),
    ([(f"{P}.decisions[0].override_reason", "")], f"{P}.decisions[0].override_reason",
     "the reason for going against the soft stop is empty"),
    ([(f"{P}.decisions[0].review_on", "2025-05-01")], f"{P}.decisions[0].review_on",
     "review date 01-May-2025 is before the decision (01-Jun-2025)"),
    ([(f"{P}.decisions[0].ref", "d1")], f"{P}.decisions[0].ref", "'ref' is not a key of a decision"),
]


@pytest.mark.parametrize("changes, path, words", RULES, ids=[f"{c[0][0]}={c[0][1]!r}"[:80] for c, _, _ in RULES])
def test_each_rule_names_the_exact_path(changes, path, words):
    document = full_document()
    changes, words = on_day(changes, words, TODAY)
    for where, value in changes:
        document = changed(document, where, value)
    problems = problems_of(document)
    assert [p.path for p in problems] == [path], problems
    assert words in problems[0].message


def test_the_full_example_is_valid_and_every_list_is_filled():
    patients = read_document_text(FULL_TEXT, today=TODAY)
    assert [p.family_name for p in patients] == ["Nguyễn", "O'Brien"]
    hospital_only, full = patients
    assert hospital_only.nhs_number is None and hospital_only.hospital_number == "RX1234567"
    for name in ("contraception", "dental_reviews", "pregnancies", "breastfeeding", "fractures", "dexa",
                 "bloods", "heights", "epds", "medications", "referrals", "decisions", "risk_factors", "history"):
        assert len(getattr(full, name)) > 0, name
    assert full.contact == Contact(address="12 Harbour Row, Bristol", postcode="BS1 4DJ", phone="0117 496 0123",
                                   email="siobhan.obrien@example.org")
    assert full.gp == GeneralPractitioner(name="Dr A Patel", practice="Harbour Medical Practice",
                                          address="1 Quay Street, Bristol")
    assert full.fractures[0] == Fracture(ref="f1", site="l1", identified_on=date(2025, 4, 10), imaging="mri",
                                         trauma="none", onset_on=date(2025, 4, 2), genant_grade=2, pregnancy="p2")
    assert full.breastfeeding[1] == Feeding(pregnancy="p1", breastfed=False)
    assert full.heights[0].cm == 166.0 and isinstance(full.heights[0].cm, float)
    assert full.pregnancies[0] == Pregnancy(ref="p1", number=1, outcome="live_birth", due_date=date(2021, 7, 1),
                                            ended_on=date(2021, 6, 28), delivery_mode="vaginal")


def test_a_minimal_document_parses_with_empty_lists():
    (patient,) = parse_document(document_of(minimal_patient()), today=TODAY)
    assert patient == PatientRecord(ref="a", hospital_number="H1", family_name="Smith", given_name="Ann",
                                    date_of_birth=date(1990, 1, 1))
    assert patient.fractures == () and patient.contact is None


def test_a_document_with_no_patients_is_valid():
    assert parse_document(document_of(), today=TODAY) == []


def test_null_means_the_same_as_an_absent_key():
    patient = minimal_patient(nhs_number=None, contact=None, gp=None, risk_factors=None, fractures=None,
                              future_pregnancy_plan=None,
                              pregnancies=[{"ref": "p1", "number": 1, "outcome": "ongoing", "ended_on": None,
                                            "due_date": None, "delivery_mode": None}])
    (record,) = parse_document(document_of(patient), today=TODAY)
    assert record.contact is None and record.fractures == () and record.pregnancies[0].ended_on is None


def test_blank_optional_free_text_is_read_and_written_as_absent():
    document = changed(full_document(), f"{P}.contact.phone", " ")
    document = changed(document, f"{P}.fractures[2].note", "")
    document = changed(document, f"{P}.gp", {"name": "", "practice": None})
    patients = parse_document(document, today=TODAY)
    assert patients[1].contact.phone is None and patients[1].fractures[2].note is None and patients[1].gp is None
    exported = document_from_records([replace(patients[1], contact=Contact(phone=""),
                                              gp=GeneralPractitioner(name=" ", practice="Quay"))],
                                     exported_at=EXPORTED_AT)["patients"][0]
    assert "contact" not in exported and exported["gp"] == {"practice": "Quay"}


def test_tabs_and_line_breaks_are_allowed_in_free_text():
    document = changed(full_document(), f"{P}.fractures[2].note", "Fell at home.\n\tSeen in ED.\r\n")
    assert parse_document(document, today=TODAY)[1].fractures[2].note == "Fell at home.\n\tSeen in ED.\r\n"


def test_an_empty_contact_object_is_no_contact():
    (record,) = parse_document(document_of(minimal_patient(contact={}, gp={"name": None})), today=TODAY)
    assert record.contact is None and record.gp is None


def test_nhs_number_with_spaces_is_stored_and_exported_as_ten_digits():
    patient = minimal_patient(nhs_number="943 476 5919", hospital_number=None)
    (record,) = parse_document(document_of(patient), today=TODAY)
    assert record.nhs_number == "9434765919"
    assert document_from_records([record], exported_at=EXPORTED_AT)["patients"][0]["nhs_number"] == "9434765919"


@pytest.mark.parametrize("unit", ["\u00b5mol/L", "\u03bcmol/L"])
def test_micro_may_be_written_either_way_and_is_stored_as_the_micro_sign(unit):
    patient = minimal_patient(bloods=[{"taken_on": "2025-01-01", "test": "creatinine", "value": 61, "unit": unit}])
    (record,) = parse_document(document_of(patient), today=TODAY)
    assert record.bloods[0].unit == "\u00b5mol/L"
    assert patient_record_problems(record, today=TODAY) == []


def test_a_whole_number_written_with_a_decimal_point_is_accepted():
    patient = minimal_patient(epds=[{"assessed_on": "2025-01-01", "score": 12.0, "self_harm_item": 0}])
    (record,) = parse_document(document_of(patient), today=TODAY)
    assert record.epds[0].score == 12 and isinstance(record.epds[0].score, int)


@pytest.mark.parametrize("path, value", [
    # days after the fixed TODAY the document is read on
    (f"{H}.pregnancies[1].due_date", (TODAY + timedelta(days=252)).isoformat()),  # an ongoing pregnancy, due ahead
    (f"{H}.pregnancies[0].due_date", (TODAY + timedelta(days=9)).isoformat()),  # ended early, was due later
    (f"{P}.decisions[0].review_on", (TODAY + timedelta(days=40)).isoformat()),
])
def test_expected_dates_may_be_in_the_future(path, value):
    assert len(parse_document(changed(full_document(), path, value), today=TODAY)) == 2


def test_a_planned_stop_may_be_in_the_future_while_feeding_goes_on():
    document = changed(full_document(), f"{P}.breastfeeding[0].stopped_on", DELETE)
    planned = TODAY + timedelta(days=71)
    document = changed(document, f"{P}.breastfeeding[0].planned_stop_on", planned.isoformat())
    patients = parse_document(document, today=TODAY)
    assert patients[1].breastfeeding[0].planned_stop_on == planned


def test_dates_of_today_are_not_in_the_future():
    document = changed(full_document(), f"{P}.heights[1].measured_on", TODAY.isoformat())
    assert parse_document(document, today=TODAY)[1].heights[1].measured_on == TODAY


def test_a_miscarriage_needs_no_feeding_and_a_sacrum_needs_no_grade():
    # patient 0 of the example: miscarriage without feeding entry, sacral fracture without Genant grade
    assert parse_document(full_document(), today=TODAY)[0].fractures[0].genant_grade is None


def test_denosumab_dose_with_stop_date_equal_to_start_is_valid():
    document = changed(full_document(), f"{P}.medications[1].drug", "denosumab")
    document = changed(document, f"{P}.medications[1].stopped_on", "2025-10-15")
    assert parse_document(document, today=TODAY)[1].medications[1].drug == "denosumab"


def test_every_problem_is_reported_at_once_and_nothing_is_returned():
    document = changed(full_document(), f"{P}.fractures[0].site", "L7")
    document = changed(document, f"{P}.heights[0].cm", 300)
    document = changed(document, f"{H}.given_name", "Zo3")
    document = changed(document, "version", 2)
    problems = problems_of(document)
    assert {p.path for p in problems} == {"version", f"{P}.fractures[0].site", f"{P}.heights[0].cm",
                                          f"{H}.given_name"}
    assert str(ValidationError(problems)).count("\n") == 3


def test_error_text_reads_path_then_message():
    error = None
    try:
        parse_document(changed(full_document(), f"{P}.fractures[0].site", "L7"), today=TODAY)
    except ValidationError as caught:
        error = caught
    assert str(error) == "patients[1].fractures[0].site: 'L7' is not a vertebral level or site code"


@pytest.mark.parametrize("data", [[], "text", None, 1])
def test_a_document_must_be_an_object(data):
    problems = problems_of(data)
    assert len(problems) == 1 and problems[0].path == ""
    assert "not a PAO Clinic exchange document" in problems[0].message


# -- reading text -------------------------------------------------------------------


def test_json_syntax_error_names_line_and_column():
    with pytest.raises(ValidationError) as caught:
        read_document_text('{\n  "format": "pao-clinic-exchange",\n  "version": 1,,\n}', today=TODAY)
    (problem,) = caught.value.problems
    assert problem.path == ""
    assert problem.message.startswith("the file is not valid JSON: ")
    assert "line 3, column 16" in problem.message


def test_empty_text_is_not_json():
    with pytest.raises(ValidationError, match="not valid JSON"):
        read_document_text("", today=TODAY)


def test_a_key_written_twice_is_an_error():
    text = FULL_TEXT.replace('"ref": "f3",', '"ref": "f3", "ref": "f4",')
    with pytest.raises(ValidationError) as caught:
        read_document_text(text, today=TODAY)
    assert [str(p) for p in caught.value.problems] == [
        "patients[1].fractures[2].ref: 'ref' is written twice in the same object"]


@pytest.mark.parametrize("constant", ["NaN", "Infinity", "-Infinity"])
def test_not_a_number_is_an_error_at_its_path(constant):
    text = FULL_TEXT.replace('"cm": 165.5', f'"cm": {constant}')
    with pytest.raises(ValidationError) as caught:
        read_document_text(text, today=TODAY)
    assert [str(p) for p in caught.value.problems] == [f"patients[1].heights[1].cm: must be a number, not {constant}"]


def test_a_byte_order_mark_is_ignored():
    assert len(read_document_text("\ufeff" + FULL_TEXT, today=TODAY)) == 2


def test_a_number_with_thousands_of_digits_is_a_validation_error():
    with pytest.raises(ValidationError, match="not valid JSON"):
        read_document_text(FULL_TEXT.replace('"cm": 165.5', '"cm": ' + "1" * 5000), today=TODAY)


def test_deeply_nested_text_is_a_validation_error():
    with pytest.raises(ValidationError):
        read_document_text("[" * 100_000 + "]" * 100_000, today=TODAY)


# -- writing --------------------------------------------------------------------------


def test_export_of_the_full_example_gives_it_back_exactly():
    patients = read_document_text(FULL_TEXT, today=TODAY)
    document = document_from_records(patients, exported_at=EXPORTED_AT)
    assert document == json.loads(FULL_TEXT)
    assert document_to_text(document) == FULL_TEXT


def test_export_writes_every_list_and_omits_absent_values():
    (record,) = parse_document(document_of(minimal_patient()), today=TODAY)
    (patient,) = document_from_records([record], exported_at=EXPORTED_AT)["patients"]
    assert patient == {
        "ref": "a", "hospital_number": "H1", "family_name": "Smith", "given_name": "Ann",
        "date_of_birth": "1990-01-01", "risk_factors": [], "history": [], "contraception": [],
        "dental_reviews": [], "pregnancies": [], "breastfeeding": [], "fractures": [], "dexa": [], "bloods": [],
        "heights": [], "epds": [], "medications": [], "referrals": [], "decisions": [],
    }


def test_export_never_writes_null():
    patients = read_document_text(FULL_TEXT, today=TODAY)
    assert "null" not in document_to_text(document_from_records(patients, exported_at=EXPORTED_AT))


def test_contact_and_gp_are_omitted_when_empty_and_written_partly_when_partly_known():
    base = PatientRecord(ref="a", hospital_number="H1", family_name="Smith", given_name="Ann",
                         date_of_birth=date(1990, 1, 1))
    for contact, gp in ((None, None), (Contact(), GeneralPractitioner())):
        document = document_from_records([_replace(base, contact=contact, gp=gp)], exported_at=EXPORTED_AT)
        (patient,) = document["patients"]
        assert "contact" not in patient and "gp" not in patient
    (patient,) = document_from_records([_replace(base, contact=Contact(phone="0117 496 0000"))],
                                       exported_at=EXPORTED_AT)["patients"]
    assert patient["contact"] == {"phone": "0117 496 0000"}


def _replace(record, **changes):
    return replace(record, **changes)


def test_export_keys_follow_the_spec_tables():
    document = document_from_records(read_document_text(FULL_TEXT, today=TODAY), exported_at=EXPORTED_AT)
    assert list(document) == ["format", "version", "exported_at", "patients"]
    assert list(document["patients"][1]) == [
        "ref", "nhs_number", "family_name", "given_name", "date_of_birth", "contact", "gp", "risk_factors",
        "history", "future_pregnancy_plan", "contraception", "dental_reviews", "pregnancies", "breastfeeding",
        "fractures", "dexa", "bloods", "heights", "epds", "medications", "referrals", "decisions"]
    assert list(document["patients"][1]["fractures"][2]) == [
        "ref", "site", "side", "identified_on", "imaging", "trauma", "note"]
    assert list(document["patients"][1]["bloods"][0]) == ["taken_on", "test", "value", "unit"]
    assert list(document["patients"][1]["contact"]) == ["address", "postcode", "phone", "email"]


def test_export_text_is_indented_utf8_json_ending_in_a_new_line():
    text = document_to_text(document_from_records(read_document_text(FULL_TEXT, today=TODAY),
                                                  exported_at=EXPORTED_AT))
    assert '"family_name": "Nguyễn"' in text and '"given_name": "Zoë Łucja"' in text
    assert '"unit": "µmol/L"' in text
    assert text.startswith('{\n  "format": "pao-clinic-exchange",\n') and text.endswith("}\n")


@pytest.mark.parametrize("moment, written", [
    (datetime(2026, 11, 22, 10, 0, tzinfo=timezone.utc), "2026-11-22T10:00:00+00:00"),
    (datetime(2026, 7, 1, 9, 30, 15, 123456, tzinfo=timezone(timedelta(hours=1))), "2026-07-01T09:30:15+01:00"),
])
def test_exported_at_is_written_with_its_zone(moment, written):
    document = document_from_records([], exported_at=moment)
    assert document["exported_at"] == written
    assert parse_document(document, today=TODAY) == []


def test_exported_at_without_a_zone_is_refused():
    with pytest.raises(ValueError, match="time zone"):
        document_from_records([], exported_at=datetime(2026, 11, 22, 10, 0))


@pytest.mark.parametrize("written", ["2026-11-22T10:00:00Z", "2026-11-22T10:00+05:30", "2026-11-22T10:00:00.5-03:00"])
def test_exported_at_accepts_iso_timestamps_with_a_zone(written):
    assert parse_document(changed(full_document(), "exported_at", written), today=TODAY)


def test_patients_are_ordered_by_family_name_given_name_and_date_of_birth():
    def patient(ref, family, given, born):
        return PatientRecord(ref=ref, hospital_number=ref, family_name=family, given_name=given,
                             date_of_birth=date.fromisoformat(born))

    records = [patient("1", "Smith", "Ann", "1991-01-01"), patient("2", "Adams", "Zoë", "1990-01-01"),
               patient("3", "Smith", "Ann", "1989-01-01"), patient("4", "smith", "Amy", "1995-01-01"),
               patient("5", "Adams", "Beth", "1990-01-01")]
    document = document_from_records(records, exported_at=EXPORTED_AT)
    assert [p["ref"] for p in document["patients"]] == ["5", "2", "4", "3", "1"]


def test_lists_are_ordered_by_main_date_then_ref_whatever_the_order_given():
    patients = read_document_text(FULL_TEXT, today=TODAY)
    expected = document_from_records(patients, exported_at=EXPORTED_AT)
    shuffler = random.Random(7)
    for _ in range(20):
        shuffled = []
        for record in patients:
            changes = {}
            for name in ("pregnancies", "breastfeeding", "fractures", "dexa", "bloods", "heights", "medications",
                         "referrals", "decisions", "risk_factors"):
                items = list(getattr(record, name))
                shuffler.shuffle(items)
                changes[name] = tuple(items)
            shuffled.append(_replace(record, **changes))
        shuffler.shuffle(shuffled)
        assert document_from_records(shuffled, exported_at=EXPORTED_AT) == expected
    fractures = expected["patients"][1]["fractures"]
    assert [(f["identified_on"], f["ref"]) for f in fractures] == [
        ("2025-04-10", "f1"), ("2025-04-10", "f2"), ("2025-10-01", "f3")]


def test_entries_equal_on_date_and_ref_keep_one_order():
    bloods = (BloodResult(taken_on=date(2025, 1, 1), test="pth", value=5.1, unit="pmol/L"),
              BloodResult(taken_on=date(2025, 1, 1), test="pth", value=4.2, unit="pmol/L"),
              BloodResult(taken_on=date(2024, 1, 1), test="tsh", value=2.0, unit="mU/L"))
    base = PatientRecord(ref="a", hospital_number="H1", family_name="Smith", given_name="Ann",
                         date_of_birth=date(1990, 1, 1))
    first = document_from_records([_replace(base, bloods=bloods)], exported_at=EXPORTED_AT)
    second = document_from_records([_replace(base, bloods=bloods[::-1])], exported_at=EXPORTED_AT)
    assert first == second
    assert [b["value"] for b in first["patients"][0]["bloods"]] == [2, 4.2, 5.1]


def test_ongoing_pregnancy_sorts_by_due_date_and_undated_entries_last():
    base = PatientRecord(ref="a", hospital_number="H1", family_name="Smith", given_name="Ann",
                         date_of_birth=date(1990, 1, 1))
    pregnancies = (Pregnancy(ref="a", number=3, outcome="ongoing"),
                   Pregnancy(ref="b", number=2, outcome="live_birth", ended_on=date(2024, 5, 1)),
                   Pregnancy(ref="c", number=1, outcome="miscarriage", ended_on=date(2022, 5, 1),
                             due_date=date(2022, 11, 1)))
    feeding = (Feeding(pregnancy="c", breastfed=False),
               Feeding(pregnancy="b", breastfed=True, started_on=date(2024, 5, 1)),
               Feeding(pregnancy="a", breastfed=False))
    document = document_from_records([_replace(base, pregnancies=pregnancies, breastfeeding=feeding)],
                                     exported_at=EXPORTED_AT)
    (patient,) = document["patients"]
    assert [p["ref"] for p in patient["pregnancies"]] == ["c", "b", "a"]
    assert [f["pregnancy"] for f in patient["breastfeeding"]] == ["b", "a", "c"]
    dated = _replace(base, pregnancies=(_replace(pregnancies[0], due_date=date(2023, 1, 1)),) + pregnancies[1:])
    (patient,) = document_from_records([dated], exported_at=EXPORTED_AT)["patients"]
    assert [p["ref"] for p in patient["pregnancies"]] == ["c", "a", "b"]


def test_risk_factors_are_written_in_the_order_of_the_code_list():
    base = PatientRecord(ref="a", hospital_number="H1", family_name="Smith", given_name="Ann",
                         date_of_birth=date(1990, 1, 1), risk_factors=("heparin", "previous_pao", "low_bmi"),
                         history=("sterilised", "bone_malignancy"))
    (patient,) = document_from_records([base], exported_at=EXPORTED_AT)["patients"]
    assert patient["risk_factors"] == ["previous_pao", "low_bmi", "heparin"]
    assert patient["history"] == ["bone_malignancy", "sterilised"]


def test_export_writes_the_micro_sign_and_ten_digit_nhs_numbers():
    record = PatientRecord(ref="a", nhs_number="943 476 5919", family_name="Smith", given_name="Ann",
                           date_of_birth=date(1990, 1, 1),
                           bloods=(BloodResult(taken_on=date(2025, 1, 1), test="creatinine", value=60,
                                               unit="\u03bcmol/L"),))
    (patient,) = document_from_records([record], exported_at=EXPORTED_AT)["patients"]
    assert patient["nhs_number"] == "9434765919"
    assert patient["bloods"][0]["unit"] == "\u00b5mol/L"


# -- the record rules used by the services ----------------------------------------------


def the_full_patient() -> PatientRecord:
    return read_document_text(FULL_TEXT, today=TODAY)[1]


def test_a_valid_record_has_no_problems():
    assert patient_record_problems(the_full_patient(), today=TODAY) == []


def test_a_new_entry_is_reported_at_its_own_fields():
    record = the_full_patient()
    new = Fracture(ref="f4", site="L7", identified_on=date(2026, 12, 1), imaging="mri", trauma="none")
    problems = patient_record_problems(_replace(record, fractures=record.fractures + (new,)), today=TODAY)
    assert problems == [
        Problem("fractures[3].identified_on", "01-Dec-2026 is in the future (today is 22-Nov-2026)"),
        Problem("fractures[3].site", "'L7' is not a vertebral level or site code"),
    ]
    assert ValidationError(problems).for_field("site") == ["'L7' is not a vertebral level or site code"]


def test_the_same_record_is_judged_against_the_day_it_is_checked():
    record = the_full_patient()
    assert patient_record_problems(record, today=date(2025, 10, 12)) == [
        Problem("medications[1].started_on", "15-Oct-2025 is in the future (today is 12-Oct-2025)")]
    assert patient_record_problems(record, today=TODAY) == []


def test_an_ongoing_pregnancy_without_a_due_date_is_checked_at_her_age_today():
    record = PatientRecord(ref="a", hospital_number="H1", family_name="Smith", given_name="Ann",
                           date_of_birth=date(1960, 1, 1),
                           pregnancies=(Pregnancy(ref="p", number=1, outcome="ongoing"),))
    assert patient_record_problems(record, today=TODAY) == [Problem(
        "pregnancies[0].outcome", "she is 66 years old today (date of birth 01-Jan-1960); a pregnancy is recorded "
                                  "between the ages of 12 and 60")]


def test_twelve_and_sixty_are_within_the_ages_of_pregnancy():
    born = date(1990, 6, 15)
    for ended, problems in ((date(2002, 6, 15), 0), (date(2002, 6, 14), 1), (date(2050, 6, 14), 0),
                            (date(2051, 6, 15), 1)):
        record = PatientRecord(ref="a", hospital_number="H1", family_name="Smith", given_name="Ann",
                               date_of_birth=born, pregnancies=(Pregnancy(ref="p", number=1, outcome="miscarriage",
                                                                          ended_on=ended),))
        found = [p for p in patient_record_problems(record, today=date(2052, 1, 1)) if p.path.startswith("preg")]
        assert len(found) == problems, (ended, found)


def test_decision_without_drug_is_fine_for_defer_and_conservative():
    record = the_full_patient()
    decision = Decision(decided_on=date(2026, 1, 5), plan="conservative", by="Dr J Okafor")
    assert patient_record_problems(_replace(record, decisions=record.decisions + (decision,)), today=TODAY) == []


def test_names_from_many_languages_are_accepted():
    for family, given in (("Nguyễn", "Thị Hương"), ("Ní Bhriain", "Siobhán"), ("Wójcik-Łukasiewicz", "Łucja"),
                          ("O\u2019Brien", "Zoë"), ("Nguye\u0302\u0303n", "Ana"), ("佐藤", "花子"),
                          ("al-Hashimi", "Nūr"), ("Müller", "Anne Marie")):
        record = PatientRecord(ref="a", hospital_number="H1", family_name=family, given_name=given,
                               date_of_birth=date(1990, 1, 1))
        assert patient_record_problems(record, today=TODAY) == [], family


def test_dates_are_shown_to_people_day_month_year():
    assert written_date(date(2025, 3, 12)) == "12-Mar-2025"
    assert written_date(date(2025, 12, 1)) == "01-Dec-2025"


def test_the_core_modules_do_not_import_qt():
    code = ("import sys, pao_clinic.exchange, pao_clinic.record.validation; "
            "sys.exit(any(m.startswith('PySide6') for m in sys.modules))")
    assert subprocess.run([sys.executable, "-c", code], cwd=Path(__file__).parent.parent).returncode == 0
