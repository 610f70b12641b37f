"""The import in batches (issue 10): the same patients as one by one, progress, cancel, audit, statements.

Batches are made small here (`IMPORT_BATCH`), so a few demo women cross several batch
boundaries, each with pregnancies that her feeding entries and fractures point to.
"""

from __future__ import annotations

import json
from datetime import date, datetime, timezone

import pytest

from pao_clinic import services
from pao_clinic.demo import demo_caseload
from pao_clinic.errors import PermissionDenied, ValidationError
from pao_clinic.exchange import document_from_records
from pao_clinic.services import exchange_io
from pao_clinic.services.exchange_io import ImportCancelled
from pao_clinic.services.snapshots import CLINICAL_LISTS
from pao_clinic.storage.connection import counting_queries
from pao_clinic.storage.models import ALL_MODELS, AuditEntry, FeedingRow, FractureRow, Patient

EXPORTED_AT = datetime(2026, 11, 22, 10, 0, tzinfo=timezone.utc)


def caseload(count: int, seed: int = 21):
    return demo_caseload(count, seed=seed, today=date.today())


def row_counts() -> dict[str, int]:
    return {m._meta.table_name: m.select().count() for m in ALL_MODELS}


def written_statements(statements: list[str]) -> list[str]:
    """What the import itself sent (the audit's change notices are one a patient on PostgreSQL: see the report)."""
    return [s for s in statements if "pg_notify" not in s]


@pytest.fixture
def small_batches(monkeypatch):
    monkeypatch.setattr(exchange_io, "IMPORT_BATCH", 3)
    return 3


def test_patients_written_in_batches_come_back_as_they_went_in(clinic, small_batches):
    records = caseload(8)
    assert sum(bool(r.pregnancies) for r in records) >= 4  # her feeding and fractures point to them
    ids = services.import_records(clinic.nurse, records)
    assert len(ids) == 8 and ids == sorted(ids)
    assert services.export_document(exported_at=EXPORTED_AT) == document_from_records(records, exported_at=EXPORTED_AT)
    # each id is her row, in the order given
    assert [Patient.get_by_id(i).ref for i in ids] == [r.ref for r in records]
    # every feeding entry and fracture points at a pregnancy of the same woman
    for model in (FeedingRow, FractureRow):
        for row in model.select().where(model.pregnancy.is_null(False)):
            assert row.pregnancy.patient_id == row.patient_id


def test_a_second_import_follows_the_first_without_reusing_an_id(clinic, small_batches):
    first = services.import_records(clinic.nurse, caseload(4, seed=1))
    second = services.import_records(clinic.nurse, caseload(5, seed=2))
    assert min(second) > max(first)
    assert Patient.select().count() == 9


def test_progress_is_told_after_each_batch(clinic, small_batches):
    told = []
    services.import_records(clinic.nurse, caseload(7), progress=lambda done, total: told.append((done, total)))
    assert told == [(3, 7), (6, 7), (7, 7)]


@pytest.mark.parametrize("stop_after", [0, 1, 3], ids=["before the first batch", "after one", "after the last"])
def test_a_cancel_between_batches_saves_nothing(clinic, small_batches, stop_after):
    before = row_counts()
    asked = []

    def should_stop() -> bool:
        asked.append(True)
        return len(asked) > stop_after

    with pytest.raises(ImportCancelled, match="nothing was saved"):
        services.import_records(clinic.nurse, caseload(7), should_stop=should_stop)
    assert row_counts() == before
    # and the import runs when asked again
    assert len(services.import_records(clinic.nurse, caseload(7), should_stop=lambda: False)) == 7


def test_each_patient_has_her_audit_entry_in_the_same_write(clinic, small_batches):
    records = caseload(5)
    ids = services.import_records(clinic.nurse, records)
    entries = list(AuditEntry.select().where(AuditEntry.action == "import").order_by(AuditEntry.id))
    assert [(e.record_type, e.record_id, e.patient_id, e.user_name) for e in entries] == [
        ("patient", i, i, clinic.nurse.name) for i in ids]
    after = json.loads(entries[0].after)
    assert after["ref"] == records[0].ref and after["entries"]["fractures"] == len(records[0].fractures)


def test_a_document_with_no_patients_is_audited_as_adding_nothing(clinic):
    before = row_counts()
    assert services.import_records(clinic.nurse, []) == []
    assert row_counts() == {**before, "audit_entry": before["audit_entry"] + 1}
    entry = AuditEntry.select().order_by(AuditEntry.id.desc()).get()
    assert (entry.action, entry.record_type, entry.patient_id, entry.user_name) == (
        "import", "document", None, clinic.nurse.name)
    assert json.loads(entry.after) == {"patients_added": 0}


def test_a_number_already_here_refuses_the_whole_document_naming_it(clinic, small_batches):
    records = caseload(6)
    services.import_records(clinic.nurse, records[:1])
    before = row_counts()
    with pytest.raises(ValidationError) as refused:
        services.import_records(clinic.nurse, records[1:5] + records[:1])
    assert [p.path for p in refused.value.problems] == ["patients[4].nhs_number", "patients[4].hospital_number"]
    assert row_counts() == before


def test_an_import_sends_one_insert_a_table_for_a_batch_not_statements_a_patient(clinic, backend):
    records = caseload(160)
    bloods = sum(len(r.bloods) for r in records)
    assert bloods > 1_000
    with counting_queries() as sent:
        services.import_records(clinic.nurse, records)
    writes = "COPY" if backend == "postgresql" else "INSERT"
    inserts = [s.split('"')[1] for s in written_statements(sent.statements) if s.startswith(writes)]
    # 160 women: one statement per table; on SQLite one more per 1,000 rows beyond that (their bloods),
    # on PostgreSQL one COPY holds them all
    blood_statements = 1 if backend == "postgresql" else -(-bloods // 1_000)
    assert len(inserts) <= 20 and inserts.count("blood_result") == blood_statements
    assert sorted(set(inserts)) == sorted({"patient", "patient_risk_factor", "patient_history", "audit_entry"}
                                          | {c.model._meta.table_name for c in CLINICAL_LISTS})
    assert len(written_statements(sent.statements)) <= 30


def test_an_export_by_a_user_is_audited_with_its_scope_and_count(clinic):
    records = caseload(3)
    ids = services.import_records(clinic.nurse, records)
    document = services.export_document(actor=clinic.consultant)
    entry = AuditEntry.select().order_by(AuditEntry.id.desc()).get()
    assert (entry.action, entry.record_type, entry.patient_id, entry.user_name) == (
        "export", "document", None, clinic.consultant.name)
    assert json.loads(entry.after) == {"scope": "caseload", "patients": 3, "exported_at": document["exported_at"]}

    one = services.export_document(records[1].hospital_number, actor=clinic.nurse)
    entry = AuditEntry.select().order_by(AuditEntry.id.desc()).get()
    assert entry.patient_id == ids[1] and len(one["patients"]) == 1
    assert json.loads(entry.after)["scope"] == "patient"


def test_an_export_by_a_role_outside_the_clinic_is_refused(clinic):
    from dataclasses import replace

    with pytest.raises(PermissionDenied):
        services.export_document(actor=replace(clinic.nurse, role="visitor"))
