"""Loading patients' records from the database into plain values (snapshots).

`load_patient_records()` reads any number of patients with a fixed number of
queries (one per table), whatever the caseload size: the caseload window, the
worklist and export all stand on it.  Entries marked "entered in error" are left out.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, fields
from typing import Iterable

from ..errors import NotFoundError
from ..models import (
    BloodResultRow, ContraceptionRow, DecisionRow, DentalReviewRow, DexaScanRow, EpdsRow,
    FeedingRow, FractureRow, HeightRow, MedicationRow, Patient, PatientHistory,
    PatientRiskFactor, PregnancyRow, ReferralRow,
)
from ..nhs_number import nhs_number_problem, normalise_nhs_number
from ..record import (
    BloodResult, Contact, Contraception, Decision, DentalReview, DexaScan, EpdsScreen, Feeding,
    Fracture, GeneralPractitioner, HeightMeasurement, Medication, PatientRecord, Pregnancy, Referral,
)


@dataclass(frozen=True, slots=True)
class ClinicalList:
    """One list of the record: its value type, its table, and how it is named."""

    name: str            # PatientRecord attribute and exchange key: "fractures"
    value_type: type
    model: type
    record_type: str     # audit and CLI word: "fracture"
    ref_prefix: str | None  # auto-assigned refs ("fx1", "fx2", ...); None: the list has no refs
    label: str           # for people: "fracture"

    @property
    def value_fields(self) -> tuple[str, ...]:
        return tuple(f.name for f in fields(self.value_type) if f.name not in ("id", "version"))


CLINICAL_LISTS: tuple[ClinicalList, ...] = (
    ClinicalList("contraception", Contraception, ContraceptionRow, "contraception", None, "contraception record"),
    ClinicalList("dental_reviews", DentalReview, DentalReviewRow, "dental_review", None, "dental review"),
    ClinicalList("pregnancies", Pregnancy, PregnancyRow, "pregnancy", "preg", "pregnancy"),
    ClinicalList("breastfeeding", Feeding, FeedingRow, "feeding", None, "feeding entry"),
    ClinicalList("fractures", Fracture, FractureRow, "fracture", "fx", "fracture"),
    ClinicalList("dexa", DexaScan, DexaScanRow, "dexa_scan", "dexa", "DEXA result"),
    ClinicalList("bloods", BloodResult, BloodResultRow, "blood_result", None, "blood result"),
    ClinicalList("heights", HeightMeasurement, HeightRow, "height", None, "height"),
    ClinicalList("epds", EpdsScreen, EpdsRow, "epds", None, "EPDS screen"),
    ClinicalList("medications", Medication, MedicationRow, "medication", "med", "medication"),
    ClinicalList("referrals", Referral, ReferralRow, "referral", "ref", "referral"),
    ClinicalList("decisions", Decision, DecisionRow, "decision", None, "decision"),
)
LIST_BY_TYPE = {c.value_type: c for c in CLINICAL_LISTS}
LIST_BY_RECORD_TYPE = {c.record_type: c for c in CLINICAL_LISTS}

# value field -> row column, where the names differ
_COLUMN_FOR = {"by": "by_name", "pregnancy": "pregnancy_id"}


def row_values(item, pregnancy_ids: dict[str, int]) -> dict:
    """Column values for a row from a record value (pregnancy refs become ids)."""
    clinical_list = LIST_BY_TYPE[type(item)]
    values = {}
    for name in clinical_list.value_fields:
        value = getattr(item, name)
        if name == "pregnancy":
            value = pregnancy_ids[value] if value is not None else None
        values[_COLUMN_FOR.get(name, name)] = value
    return values


def _value_from_row(clinical_list: ClinicalList, row: dict, pregnancy_refs: dict[int, str]):
    kwargs = {}
    for name in clinical_list.value_fields:
        value = row[_COLUMN_FOR.get(name, name)] if name != "pregnancy" else row["pregnancy"]
        if name == "pregnancy" and value is not None:
            value = pregnancy_refs[value]
        kwargs[name] = value
    return clinical_list.value_type(id=row["id"], version=row["version"], **kwargs)


def _live(model):
    return model.entered_in_error_at.is_null()


def load_patient_records(patient_ids: Iterable[int] | None = None) -> list[PatientRecord]:
    """Live records of the given patients (all live patients when None), ordered by id.

    Queries: one for patients, two for risk factors and history, one per clinical list.
    """
    wanted = None if patient_ids is None else sorted(set(patient_ids))
    if wanted is not None and not wanted:
        return []

    def scoped(query, column):
        return query if wanted is None else query.where(column.in_(wanted))

    patients = list(scoped(Patient.select().where(Patient.entered_in_error_at.is_null()), Patient.id)
                    .order_by(Patient.id).dicts())
    codes_of: dict[str, dict[int, list[str]]] = {}
    for key, model in (("risk_factors", PatientRiskFactor), ("history", PatientHistory)):
        grouped: dict[int, list[str]] = defaultdict(list)
        for patient_id, code in scoped(model.select(model.patient, model.code), model.patient).order_by(model.id).tuples():
            grouped[patient_id].append(code)
        codes_of[key] = grouped

    lists: dict[str, dict[int, list]] = {}
    pregnancy_refs: dict[int, str] = {}
    for clinical_list in CLINICAL_LISTS:  # pregnancies come before feeding and fractures
        model = clinical_list.model
        grouped = defaultdict(list)
        query = scoped(model.select().where(_live(model)), model.patient).order_by(model.id).dicts()
        for row in query:
            if clinical_list.name == "pregnancies":
                pregnancy_refs[row["id"]] = row["ref"]
            grouped[row["patient"]].append(_value_from_row(clinical_list, row, pregnancy_refs))
        lists[clinical_list.name] = grouped

    records = []
    for p in patients:
        pid = p["id"]
        contact = Contact(address=p["address"], postcode=p["postcode"], phone=p["phone"], email=p["email"])
        gp = GeneralPractitioner(name=p["gp_name"], practice=p["gp_practice"], address=p["gp_address"])
        records.append(PatientRecord(
            id=pid, version=p["version"], ref=p["ref"],
            nhs_number=p["nhs_number"], hospital_number=p["hospital_number"],
            family_name=p["family_name"], given_name=p["given_name"], date_of_birth=p["date_of_birth"],
            contact=contact if any(vars_of(contact)) else None,
            gp=gp if any(vars_of(gp)) else None,
            risk_factors=tuple(codes_of["risk_factors"].get(pid, ())),
            history=tuple(codes_of["history"].get(pid, ())),
            future_pregnancy_plan=p["future_pregnancy_plan"],
            **{c.name: tuple(lists[c.name].get(pid, ())) for c in CLINICAL_LISTS},
        ))
    return records


def vars_of(value) -> tuple:
    return tuple(getattr(value, f.name) for f in fields(value))


def load_patient_record(patient_id: int) -> PatientRecord:
    records = load_patient_records([patient_id])
    if not records:
        raise NotFoundError(f"no patient with id {patient_id}")
    return records[0]


def find_patient_id(identifier: str) -> int:
    """The patient with this NHS number (spaces allowed) or hospital number."""
    text = (identifier or "").strip()
    query = Patient.select(Patient.id).where(Patient.entered_in_error_at.is_null())
    if nhs_number_problem(text) is None:
        row = query.where(Patient.nhs_number == normalise_nhs_number(text)).first()
        if row is not None:
            return row.id
    row = query.where(Patient.hospital_number == text).first()
    if row is None:
        raise NotFoundError(f"no patient with NHS or hospital number '{text}'")
    return row.id


def patient_count() -> int:
    return Patient.select().where(Patient.entered_in_error_at.is_null()).count()
