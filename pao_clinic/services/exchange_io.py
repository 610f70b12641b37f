"""Import and export of the exchange format through the service layer.

Import is all or nothing: every record is validated (by `exchange.parse_document`)
before this is called, numbers already in the database are refused, and the whole
document is written and audited in one transaction.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import datetime, timezone
from operator import attrgetter

from pao_clinic.errors import PaoClinicError, Problem, ValidationError
from pao_clinic.exchange import document_from_patient_values
from pao_clinic.record import PatientRecord
from pao_clinic.storage.bulk_insert import MAX_PARAMETERS, insert_rows, repeated_value, reserve_ids
from pao_clinic.storage.connection import database
from pao_clinic.storage.models import Patient, PatientHistory, PatientRiskFactor, PregnancyRow, utc_now
from pao_clinic.services.records import patient_columns
from pao_clinic.services.session import (
    ADMIN_ROLES, CLINICAL_ROLES, IMPORT_ROLES, Actor, AuditRecord, clinical_write, require_role,
)
from pao_clinic.services.export_rows import exchange_patients
from pao_clinic.services.snapshots import CLINICAL_LISTS, collector_paused, find_patient_id, row_values

#: Patients written per batch: one set of multi-row statements and their audit entries,
#: then a progress report and a chance to cancel.
IMPORT_BATCH = 500


class ImportCancelled(PaoClinicError):
    """The import was stopped on request before it finished; nothing was saved."""

    def __init__(self, message: str = "The import was cancelled; nothing was saved."):
        super().__init__(message)


def _values_present(column, values: list[str]) -> set[str]:
    """Which of `values` the column already holds (one statement per 16,000 values)."""
    table, name = column.model._meta.table_name, column.column_name
    found: set[str] = set()
    for start in range(0, len(values), MAX_PARAMETERS):
        chunk = values[start:start + MAX_PARAMETERS]
        marks = ", ".join([database.obj.param] * len(chunk))
        cursor = database.execute_sql(f'SELECT "{name}" FROM "{table}" WHERE "{name}" IN ({marks})', chunk)
        found.update(value for (value,) in cursor.fetchall())
    return found


def _already_registered(records: list[PatientRecord]) -> list[Problem]:
    problems = []
    for field in ("nhs_number", "hospital_number"):
        wanted = {getattr(r, field) for r in records if getattr(r, field)}
        if not wanted:
            continue
        taken = _values_present(getattr(Patient, field), sorted(wanted))
        for i, record in enumerate(records):
            value = getattr(record, field)
            if value in taken:
                problems.append(Problem(f"patients[{i}].{field}", f"'{value}' already exists in this database"))
    return problems


def _with_free_patient_refs(records: list[PatientRecord]) -> list[PatientRecord]:
    """Keep each document's patient ref unless another patient here has it (then give a free one).

    A patient's ref ties nothing inside her record, so renaming it loses nothing, and
    every export keeps refs unique.  A new ref is the first `ptNNNNN` from the number of
    patients here plus one that no patient here and no ref in the document has (as
    `records.next_free_patient_ref` counts), found with one read of the refs in use.
    """
    in_document = {r.ref for r in records}
    taken = _values_present(Patient.ref, sorted(in_document))
    if not taken:
        return records
    stored = {ref for (ref,) in database.execute_sql('SELECT "ref" FROM "patient"').fetchall()}
    in_use = stored | in_document
    number = len(stored) + 1
    renamed = []
    for record in records:
        if record.ref in taken:
            while f"pt{number:05d}" in in_use:
                number += 1
            new_ref = f"pt{number:05d}"
            in_use.add(new_ref)
            record = replace(record, ref=new_ref)
        renamed.append(record)
    return renamed


class _Rows:
    """One batch's rows for every table, built from the records without peewee."""

    _CLINICAL = ("patient", "recorded_by", "recorded_at", "version")

    def __init__(self, user_id: int | None, now):
        self.user_id, self.now = user_id, now
        self.patients: list[tuple] = []
        self.codes: dict[type, list[tuple]] = {PatientRiskFactor: [], PatientHistory: []}
        self.pregnancies: list[tuple] = []
        self.lists: dict[str, list[tuple]] = {c.name: [] for c in CLINICAL_LISTS if c.name != "pregnancies"}
        self.audit: list[AuditRecord] = []
        self.patient_columns: tuple[str, ...] | None = None

    def add(self, patient_id: int, record: PatientRecord, pregnancy_ids: list[int]) -> None:
        columns = patient_columns(record)
        self.patient_columns = self.patient_columns or ("id", *columns, "created_at", "version")
        self.patients.append((patient_id, *columns.values(), self.now, 1))
        for model, codes in ((PatientRiskFactor, record.risk_factors), (PatientHistory, record.history)):
            self.codes[model].extend((patient_id, code) for code in codes)
        start = (patient_id, self.user_id, self.now, 1)
        ids_by_ref = {}
        for row_id, pregnancy in zip(pregnancy_ids, record.pregnancies):
            ids_by_ref[pregnancy.ref] = row_id
            self.pregnancies.append((row_id, *start, *_PREGNANCY_VALUES(pregnancy)))
        for name, rows in self.lists.items():
            entries = getattr(record, name)
            if not entries:
                continue
            values, pregnancy_at = _LIST_VALUES[name]
            if pregnancy_at is None:
                rows.extend(start + values(e) for e in entries)
            else:
                for entry in entries:
                    row = list(start + values(entry))
                    ref = row[pregnancy_at]
                    row[pregnancy_at] = None if ref is None else ids_by_ref[ref]
                    rows.append(tuple(row))
        self.audit.append(AuditRecord(
            "import", "patient", patient_id, patient_id,
            after={"ref": record.ref, "nhs_number": record.nhs_number, "hospital_number": record.hospital_number,
                   "entries": {c.name: len(getattr(record, c.name)) for c in CLINICAL_LISTS}}))

    def write(self, audit) -> None:
        if self.patients:
            insert_rows(Patient, self.patient_columns, self.patients)
        for model, rows in self.codes.items():
            insert_rows(model, ("patient", "code"), rows)
        insert_rows(PregnancyRow, ("id", *self._CLINICAL, *_LIST_COLUMNS["pregnancies"]), self.pregnancies)
        for clinical_list in CLINICAL_LISTS:
            if clinical_list.name in self.lists:
                insert_rows(clinical_list.model, (*self._CLINICAL, *_LIST_COLUMNS[clinical_list.name]),
                            self.lists[clinical_list.name])
        audit.record_many(self.audit)


def _list_columns(clinical_list) -> tuple[str, ...]:
    """The row columns of a list's value fields, as `snapshots.row_values` names them."""
    names = clinical_list.value_fields
    placeholder = clinical_list.value_type(**{n: None for n in names})
    return tuple(row_values(placeholder, {}).keys())


_LIST_COLUMNS = {c.name: _list_columns(c) for c in CLINICAL_LISTS}
#: each list's values getter, and where in a row (after the four clinical columns) its pregnancy ref is
_LIST_VALUES = {
    c.name: (attrgetter(*c.value_fields) if len(c.value_fields) > 1 else (lambda e, g=attrgetter(*c.value_fields): (g(e),)),
             c.value_fields.index("pregnancy") + 4 if "pregnancy" in c.value_fields else None)
    for c in CLINICAL_LISTS
}
_PREGNANCY_VALUES = _LIST_VALUES["pregnancies"][0]


def import_records(actor: Actor, records: list[PatientRecord], *,
                   should_stop: Callable[[], bool] | None = None,
                   progress: Callable[[int, int], None] | None = None) -> list[int]:
    """Write validated records as new patients, all or none. Returns their ids.

    An admin, a nurse or a consultant may import (`session.IMPORT_ROLES`).  The patients
    are written in batches of `IMPORT_BATCH`, each patient with her audit entry; between
    batches `progress(done, total)` is told how many are written (in the transaction, not
    yet committed) and `should_stop()` is asked: True stops the import with
    `ImportCancelled`, the transaction rolled back and nothing saved.  A document with no
    patients writes one audit entry saying nothing was added.
    """
    total = len(records)
    with clinical_write(actor, IMPORT_ROLES, "Importing patients") as audit:
        problems = _already_registered(records)
        if problems:
            raise ValidationError(problems)
        records = _with_free_patient_refs(records)
        if not records:
            audit.record("import", "document", None, after={"patients_added": 0})
        now = repeated_value(utc_now())  # one moment for every row the import writes
        ids: list[int] = []
        for start in range(0, total, IMPORT_BATCH):
            if should_stop is not None and should_stop():
                raise ImportCancelled()
            batch = records[start:start + IMPORT_BATCH]
            patient_ids = reserve_ids(Patient, len(batch))
            pregnancy_ids = reserve_ids(PregnancyRow, sum(len(r.pregnancies) for r in batch))
            rows = _Rows(actor.user_id, now)
            taken = 0
            for patient_id, record in zip(patient_ids, batch):
                count = len(record.pregnancies)
                rows.add(patient_id, record, pregnancy_ids[taken:taken + count])
                taken += count
            rows.write(audit)
            ids += patient_ids
            if progress is not None:
                progress(len(ids), total)
        if should_stop is not None and should_stop():
            raise ImportCancelled()
    return ids


#: Who may export: everyone who may read the caseload.
EXPORT_ROLES = ADMIN_ROLES + CLINICAL_ROLES


def export_document(patient: str | None = None, *, exported_at: datetime | None = None,
                    actor: Actor | None = None) -> dict:
    """The exchange document for the whole live caseload, or one patient (NHS or hospital number).

    With `actor` (the signed-in user exporting), the export is audited: one "export" entry
    saying who exported what (the caseload or her record) and how many patients, written
    after the document is read (a database that cannot be written refuses the export).
    """
    if actor is not None:
        require_role(actor, EXPORT_ROLES, "Exporting patients")
    patient_id = None if patient is None else find_patient_id(patient)
    with collector_paused():  # the caseload's objects, then their sort keys: acyclic (snapshots.collector_paused)
        patients = exchange_patients(None if patient_id is None else [patient_id])  # no record values: rows to objects
        document = document_from_patient_values(
            patients, exported_at=exported_at or datetime.now(timezone.utc).replace(microsecond=0))
    if actor is not None:
        with clinical_write(actor, EXPORT_ROLES, "Exporting patients") as audit:
            audit.record("export", "document", None, patient_id=patient_id,
                         after={"scope": "caseload" if patient is None else "patient",
                                "patients": len(document["patients"]), "exported_at": document["exported_at"]})
    return document


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
