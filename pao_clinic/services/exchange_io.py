"""Import and export of the exchange format through the service layer.

Import is all or nothing: every record is validated (by `exchange.parse_document`)
before this is called, numbers already in the database are refused, and the whole
document is written and audited in one transaction.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timezone

from pao_clinic.errors import Problem, ValidationError
from pao_clinic.exchange import document_from_records
from pao_clinic.storage.models import Patient, PregnancyRow
from pao_clinic.record import PatientRecord
from pao_clinic.services.records import insert_patient_codes, next_free_patient_ref, patient_columns
from pao_clinic.services.session import IMPORT_ROLES, Actor, clinical_write
from pao_clinic.services.snapshots import CLINICAL_LISTS, find_patient_id, load_patient_records, row_values


def _already_registered(records: list[PatientRecord]) -> list[Problem]:
    problems = []
    for field in ("nhs_number", "hospital_number"):
        wanted = {getattr(r, field) for r in records if getattr(r, field)}
        if not wanted:
            continue
        column = getattr(Patient, field)
        taken = {v for (v,) in Patient.select(column).where(column.in_(sorted(wanted))).tuples()}
        for i, record in enumerate(records):
            value = getattr(record, field)
            if value in taken:
                problems.append(Problem(f"patients[{i}].{field}", f"'{value}' already exists in this database"))
    return problems


def _with_free_patient_refs(records: list[PatientRecord]) -> list[PatientRecord]:
    """Keep each document's patient ref unless another patient here has it (then give a free one).

    A patient's ref ties nothing inside her record, so renaming it loses nothing, and
    every export keeps refs unique.
    """
    wanted = [r.ref for r in records]
    taken = {ref for (ref,) in Patient.select(Patient.ref).where(Patient.ref.in_(wanted)).tuples()}
    if not taken:
        return records
    in_document = set(wanted)
    renamed = []
    for record in records:
        if record.ref in taken:
            new_ref = next_free_patient_ref(in_document | taken)
            taken.add(new_ref)
            record = replace(record, ref=new_ref)
        renamed.append(record)
    return renamed


def import_records(actor: Actor, records: list[PatientRecord]) -> list[int]:
    """Write validated records as new patients, all or none. Returns their ids.

    An admin, a nurse or a consultant may import (`session.IMPORT_ROLES`).
    """
    with clinical_write(actor, IMPORT_ROLES, "Importing patients") as audit:
        problems = _already_registered(records)
        if problems:
            raise ValidationError(problems)
        records = _with_free_patient_refs(records)
        ids = []
        for record in records:
            patient_id = Patient.insert(**patient_columns(record)).execute()
            insert_patient_codes(patient_id, record)
            pregnancy_ids = {}
            for pregnancy in record.pregnancies:
                pregnancy_ids[pregnancy.ref] = PregnancyRow.insert(
                    patient=patient_id, recorded_by=actor.user_id, **row_values(pregnancy, {})).execute()
            for clinical_list in CLINICAL_LISTS:
                entries = getattr(record, clinical_list.name)
                if clinical_list.name == "pregnancies" or not entries:
                    continue
                clinical_list.model.insert_many(
                    [dict(patient=patient_id, recorded_by=actor.user_id, **row_values(e, pregnancy_ids))
                     for e in entries]).execute()
            audit.record("import", "patient", patient_id, patient_id=patient_id,
                         after={"ref": record.ref, "nhs_number": record.nhs_number,
                                "hospital_number": record.hospital_number,
                                "entries": {c.name: len(getattr(record, c.name)) for c in CLINICAL_LISTS}})
            ids.append(patient_id)
    return ids


def export_document(patient: str | None = None, *, exported_at: datetime | None = None) -> dict:
    """The exchange document for the whole live caseload, or one patient (NHS or hospital number)."""
    ids = None if patient is None else [find_patient_id(patient)]
    records = load_patient_records(ids)
    return document_from_records(records, exported_at=exported_at or datetime.now(timezone.utc).replace(microsecond=0))


def never_issued_number_warnings(records: list[PatientRecord]) -> list[Problem]:
    """Warnings (not refusals) for NHS numbers never issued to real people, in a real caseload.

    A demo caseload is made of such numbers on purpose (the 999 test range), so a demo
    database gives none; anywhere else each one is named by its place in the document.
    """
    from pao_clinic.record.nhs_number import never_issued_warning
    from pao_clinic.services.clinic import is_demo_database

    if is_demo_database():
        return []
    warnings = []
    for index, record in enumerate(records):
        warning = never_issued_warning(record.nhs_number) if record.nhs_number else None
        if warning:
            warnings.append(Problem(f"patients[{index}].nhs_number", warning))
    return warnings
