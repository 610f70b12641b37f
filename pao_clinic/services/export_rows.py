"""The export's patients read straight from the database rows into the exchange document's objects.

`exchange_patients()` gives the same objects as writing `snapshots.load_patient_records()`
with `exchange.document_from_records` (tests/test_export_rows.py checks the whole document
on both databases), without making a record value per row first: each row's columns are
selected in the document's key order and written by `exchange.row_writer`, dates taken as
SQLite's ISO text or PostgreSQL's date, written once per distinct day.  One query per table,
as `load_patient_records`; entries and patients marked entered in error are left out.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable

from pao_clinic.exchange import row_keys, row_writer
from pao_clinic.services.snapshots import CLINICAL_LISTS, collector_paused
from pao_clinic.storage.connection import database
from pao_clinic.storage.models import Patient, PatientHistory, PatientRiskFactor, PregnancyRow

#: document key -> row column, where the names differ
_COLUMN_FOR = {"by": "by_name"}


def _rows(model, columns, wanted: list[int] | None, *, live: bool = True) -> list[tuple]:
    """Rows of `columns` (peewee fields) as the driver gives them, in id order."""
    query = model.select(*columns)
    if live:
        query = query.where(model.entered_in_error_at.is_null())
    if wanted is not None:
        query = query.where((Patient.id if model is Patient else model.patient).in_(wanted))
    return database.execute(query.order_by(model.id)).fetchall()


def _codes(model, wanted: list[int] | None) -> dict[int, list[str]]:
    grouped: dict[int, list[str]] = defaultdict(list)
    for patient_id, code in _rows(model, [model.patient, model.code], wanted, live=False):
        grouped[patient_id].append(code)
    return grouped


def exchange_patients(patient_ids: Iterable[int] | None = None) -> list[dict]:
    """The live patients' objects of the exchange document (all live patients when None), in id order.

    Put them in the document's order with `exchange.document_from_patient_values`.
    """
    wanted = None if patient_ids is None else sorted(set(patient_ids))
    if wanted is not None and not wanted:
        return []
    with collector_paused():  # hundreds of thousands of small acyclic objects (snapshots.collector_paused)
        return _exchange_patients(wanted)


def _exchange_patients(wanted: list[int] | None) -> list[dict]:
    contact_keys, gp_keys = row_keys("contact"), row_keys("gp")
    patient_keys = row_keys("patient")
    scalar_keys = patient_keys[:patient_keys.index("contact")]
    columns = ([Patient.id] + [getattr(Patient, k) for k in scalar_keys]
               + [getattr(Patient, k) for k in contact_keys] + [getattr(Patient, f"gp_{k}") for k in gp_keys]
               + [Patient.future_pregnancy_plan])
    patients = _rows(Patient, columns, wanted)
    risk_factors, history = _codes(PatientRiskFactor, wanted), _codes(PatientHistory, wanted)

    lists = patient_keys[patient_keys.index("future_pregnancy_plan") + 1:]
    if lists != tuple(c.name for c in CLINICAL_LISTS):
        raise ValueError(f"the document's lists {lists} are not the record's, in its order")
    pregnancy_refs: dict[int, str] = {}
    entries: list[dict[int, list[dict]]] = []
    for clinical_list in CLINICAL_LISTS:  # pregnancies come before feeding and fractures
        model, keys = clinical_list.model, row_keys(clinical_list.name)
        if set(keys) != set(clinical_list.value_fields):
            raise ValueError(f"{clinical_list.name}: the document's keys {sorted(keys)} are not the "
                             f"record's fields {sorted(clinical_list.value_fields)}")
        columns = [model.patient, model.id if model is PregnancyRow else model.patient] + [
            getattr(model, _COLUMN_FOR.get(k, k)) for k in keys]  # (only a pregnancy's id is wanted)
        convert = {"pregnancy": pregnancy_refs.__getitem__} if "pregnancy" in keys else None
        write = row_writer(clinical_list.name, first=2, convert=convert)
        grouped: dict[int, list[dict]] = defaultdict(list)
        rows = _rows(model, columns, wanted)
        for row in rows:
            grouped[row[0]].append(write(row))
        if model is PregnancyRow:
            at = 2 + keys.index("ref")
            pregnancy_refs.update((row[1], row[at]) for row in rows)
        entries.append(grouped)

    contact, gp, patient = row_writer("contact"), row_writer("gp"), row_writer("patient")
    names = len(scalar_keys)
    contact_at, gp_at = 1 + names, 1 + names + len(contact_keys)
    plan_at = gp_at + len(gp_keys)
    empty: tuple = ()
    written = []
    for row in patients:
        pid = row[0]
        written.append(patient((
            *row[1:contact_at], contact(row[contact_at:gp_at]), gp(row[gp_at:plan_at]),
            list(risk_factors.get(pid, empty)), list(history.get(pid, empty)), row[plan_at],
            *[grouped.get(pid, []) for grouped in entries])))
    return written
