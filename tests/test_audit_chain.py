"""The audit trail is append-only and hash-chained: the database refuses UPDATE and DELETE on it,
every entry's hash covers its content and the entry before it, and `verify_audit_chain` finds the
first entry altered or removed behind the app's back (triggers dropped first, as someone with the
database's owner password could), and every account changed in SQL.  On SQLite and PostgreSQL.
"""

from __future__ import annotations

import csv
import io
import json
import threading
from datetime import date, datetime, timedelta, timezone

import pytest
from peewee import PostgresqlDatabase

from pao_clinic import services
from pao_clinic.errors import ConflictError, NotFoundError, PermissionDenied, ValidationError
from pao_clinic.record import Fracture, PatientRecord
from pao_clinic.services.audit import (
    AUDIT_CSV_COLUMNS, AuditFilter, audit_entries, audit_filter_choices, audit_page, export_audit,
    record_opened, spreadsheet_safe, verify_audit_chain,
)
from pao_clinic.services.session import AuditRecord, AuditTrail
from pao_clinic.storage.connection import close_database, connect, database, write_transaction
from pao_clinic.storage.location import parse_database_url
from pao_clinic.storage.migrations import CURRENT_SCHEMA_VERSION, schema_version, upgrade_schema
from pao_clinic.storage.models import AUDIT_GENESIS_HASH, AuditEntry, User, audit_entry_hash
from pao_clinic.storage.opening import open_database

ON = date(2025, 6, 1)


def woman(n: int = 0) -> PatientRecord:
    numbers = ("943 476 5919", "943 476 5927", "943 476 5935")
    return PatientRecord(ref="", nhs_number=numbers[n], hospital_number=f"PAO00012{n}", family_name="Ní Bhriain",
                         given_name=("Siobhán", "Aoife", "Úna")[n], date_of_birth=date(1991, 5, 17))


def fracture() -> Fracture:
    return Fracture(ref="", site="l1", identified_on=ON - timedelta(days=30), imaging="mri", trauma="none",
                    genant_grade=2)


def some_history(clinic) -> int:
    patient = services.register_patient(clinic.nurse, woman(), today=ON)
    services.add_clinical_entry(clinic.nurse, patient.id, fracture(), today=ON)
    services.add_clinical_entry(clinic.consultant, patient.id, fracture(), today=ON)
    return patient.id


def chain() -> list[AuditEntry]:
    return list(AuditEntry.select().order_by(AuditEntry.id))


def sql(statement: str) -> None:
    database.execute_sql(statement)


def drop_the_triggers(backend: str) -> None:
    """What someone with the database owner's password can do before tampering."""
    if backend == "sqlite":
        for name in ("audit_entry_no_update", "audit_entry_no_delete", "audit_entry_needs_hash"):
            sql(f"DROP TRIGGER {name}")
    else:
        sql("DROP TRIGGER audit_entry_no_update_or_delete ON audit_entry")
        sql("DROP TRIGGER audit_entry_no_truncate ON audit_entry")


# --- the chain as written -----------------------------------------------------------------------

def test_every_entry_is_chained_to_the_one_before_and_the_chain_verifies_whole(clinic):
    some_history(clinic)
    entries = chain()
    assert len(entries) >= 6  # the three users, her registration, two fractures
    assert entries[0].previous_hash == AUDIT_GENESIS_HASH
    for before, entry in zip(entries, entries[1:]):
        assert entry.previous_hash == before.entry_hash
    for entry in entries:  # each hash is over what was read back: times round-trip exactly
        assert entry.entry_hash == audit_entry_hash(entry.previous_hash, entry.at, entry.user_id, entry.user_name,
                                                    entry.action, entry.record_type, entry.record_id,
                                                    entry.patient_id, entry.before, entry.after)
    result = verify_audit_chain(clinic.admin)
    assert result.whole, result.report_lines()
    assert (result.entries, result.newest_id, result.newest_hash) == (len(entries), entries[-1].id,
                                                                       entries[-1].entry_hash)
    [line] = result.report_lines()
    assert line.startswith(f"the audit chain is whole: {len(entries)} entries, newest {entries[-1].id} at ")


def test_only_an_admin_may_verify(clinic):
    with pytest.raises(PermissionDenied, match="only an admin"):
        verify_audit_chain(clinic.nurse)


def test_thousands_of_entries_in_one_write_chain_in_order_and_verify(clinic):
    patient = services.register_patient(clinic.nurse, woman(), today=ON)
    with write_transaction():
        AuditTrail(clinic.nurse).record_many(
            [AuditRecord("read", "patient_summary", patient.id, patient.id, after={"n": n}) for n in range(3000)])
        AuditTrail(clinic.nurse).record("read", "patient_summary", patient.id, patient_id=patient.id)
    entries = chain()
    assert [json.loads(e.after)["n"] for e in entries if e.after and '"n"' in e.after] == list(range(3000))
    result = verify_audit_chain(clinic.admin, chunk=700)  # several chunks, so links across them are checked
    assert result.whole, result.report_lines()
    assert result.entries == len(entries)


def test_an_entry_outside_any_transaction_opens_its_own_and_chains(clinic):
    AuditTrail(clinic.admin).record("update", "clinic_setting", None, after={"x": 1})
    assert verify_audit_chain().whole


def test_a_savepoint_rolled_back_takes_its_entries_and_the_next_write_chains_to_what_is_left(clinic):
    class ChangedMind(Exception):
        pass

    with write_transaction():
        AuditTrail(clinic.admin).record("update", "clinic_setting", None, after={"kept": 1})
        try:
            with write_transaction():  # a savepoint
                AuditTrail(clinic.admin).record("update", "clinic_setting", None, after={"dropped": 1})
                raise ChangedMind
        except ChangedMind:
            pass
        AuditTrail(clinic.admin).record("update", "clinic_setting", None, after={"kept": 2})
    assert not AuditEntry.select().where(AuditEntry.after.contains("dropped")).exists()
    assert verify_audit_chain().whole


def test_two_writers_at_once_both_chain(clinic):
    """Two members of staff saving at the same moment, each on a connection of their own."""
    patients = [services.register_patient(clinic.nurse, woman(n), today=ON).id for n in (0, 1)]
    failures: list[BaseException] = []
    start = threading.Barrier(2)

    def save(actor, patient_id):
        try:
            start.wait(10)
            for _ in range(8):
                services.add_clinical_entry(actor, patient_id, fracture(), today=ON)
        except BaseException as exc:  # noqa: BLE001 - reported below
            failures.append(exc)
        finally:
            database.close()

    threads = [threading.Thread(target=save, args=(actor, p)) for actor, p in zip((clinic.nurse, clinic.consultant),
                                                                                  patients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert not failures, failures
    assert AuditEntry.select().where(AuditEntry.record_type == "fracture").count() == 16
    result = verify_audit_chain()
    assert result.whole, result.report_lines()


def test_a_second_entry_chained_to_the_same_one_is_refused(clinic):
    """A fork (two writers chaining onto one entry) is refused by the unique previous_hash."""
    newest = chain()[-1]
    at = datetime.now(timezone.utc)
    forged = dict(at=at if clinic.backend == "sqlite" else at.replace(tzinfo=None), user=None, user_name="x",
                  action="add", record_type="user", record_id=None, patient=None, before=None, after=None,
                  previous_hash=newest.previous_hash, entry_hash="f" * 64)
    with pytest.raises(Exception, match="(?i)unique|duplicate"):
        with database.atomic():
            AuditEntry.insert(**forged).execute()


def test_times_round_trip_whatever_the_postgresql_session_time_zone(postgres_clinic):
    """`timestamp` has no zone: a session in New York and one in London must hash the same instant."""
    clinic = postgres_clinic
    sql("SET TIME ZONE 'America/New_York'")
    before = datetime.now(timezone.utc)
    patient_id = some_history(clinic)
    after = datetime.now(timezone.utc)
    close_database()
    open_database(clinic.url)
    sql("SET TIME ZONE 'Europe/London'")
    result = verify_audit_chain()
    assert result.whole, result.report_lines()
    [entry] = audit_page(clinic.admin, AuditFilter(patient_id=patient_id, action="register")).entries
    assert before - timedelta(seconds=1) <= entry.at <= after + timedelta(seconds=1)


# --- the database refuses changes ----------------------------------------------------------------

@pytest.mark.parametrize("statement", [
    "UPDATE audit_entry SET user_name = 'someone else'",
    "UPDATE audit_entry SET after = NULL WHERE id = (SELECT MAX(id) FROM audit_entry)",
    "DELETE FROM audit_entry",
    "DELETE FROM audit_entry WHERE id = (SELECT MAX(id) FROM audit_entry)",
])
def test_the_database_refuses_update_and_delete_on_the_audit(clinic, statement):
    some_history(clinic)
    before = [(e.id, e.user_name, e.after, e.entry_hash) for e in chain()]
    with pytest.raises(Exception, match="append-only"):
        with database.atomic():
            sql(statement)
    assert [(e.id, e.user_name, e.after, e.entry_hash) for e in chain()] == before


def test_postgresql_refuses_truncating_the_audit(postgres_clinic):
    count = AuditEntry.select().count()
    with pytest.raises(Exception, match="append-only"):
        with database.atomic():
            sql("TRUNCATE audit_entry CASCADE")
    assert AuditEntry.select().count() == count


def test_the_database_refuses_an_entry_without_its_hashes(clinic):
    with pytest.raises(Exception, match="(?i)previous_hash|null"):
        with database.atomic():
            sql("INSERT INTO audit_entry (at, user_name, action, record_type) "
                "VALUES ('2026-01-01 00:00:00', 'intruder', 'add', 'user')")


# --- tampering, with the triggers dropped first --------------------------------------------------

def test_an_entry_altered_behind_the_app_is_reported_by_id(clinic):
    some_history(clinic)
    target = AuditEntry.get(AuditEntry.record_type == "fracture")
    drop_the_triggers(clinic.backend)
    sql(f"UPDATE audit_entry SET user_name = 'dr.chen' WHERE id = {target.id}")
    result = verify_audit_chain()
    assert not result.whole and result.broken_entry_id == target.id
    assert result.broken.startswith(f"audit entry {target.id} (")
    assert "dr.chen, add fracture) has been altered: its hash does not match its content" in result.broken
    assert result.report_lines()[0] == result.broken


def test_an_entry_altered_and_rehashed_breaks_the_next_link(clinic):
    some_history(clinic)
    entries = chain()
    target, following = entries[-2], entries[-1]
    drop_the_triggers(clinic.backend)
    forged_after = '{"site": "t12"}'
    forged_hash = audit_entry_hash(target.previous_hash, target.at, target.user_id, target.user_name, target.action,
                                   target.record_type, target.record_id, target.patient_id, target.before,
                                   forged_after)
    p = database.obj.param
    database.execute_sql(f"UPDATE audit_entry SET after = {p}, entry_hash = {p} WHERE id = {p}",
                         (forged_after, forged_hash, target.id))
    result = verify_audit_chain()
    assert result.broken_entry_id == following.id
    assert f"does not follow entry {target.id}" in result.broken


def test_an_entry_removed_from_the_middle_or_the_start_is_reported(clinic):
    some_history(clinic)
    entries = chain()
    drop_the_triggers(clinic.backend)
    sql(f"DELETE FROM audit_entry WHERE id = {entries[3].id}")
    result = verify_audit_chain()
    assert result.broken_entry_id == entries[4].id
    assert f"does not follow entry {entries[2].id}: an entry between them has been removed" in result.broken
    assert result.entries == 3  # the entries checked whole before the break
    sql(f"DELETE FROM audit_entry WHERE id = {entries[0].id}")
    result = verify_audit_chain()
    assert result.broken_entry_id == entries[1].id
    assert "is the first left: the entries before it have been removed" in result.broken


def test_an_entry_written_in_sql_without_the_app_is_reported(clinic):
    drop_the_triggers(clinic.backend)
    if clinic.backend == "postgresql":
        sql("ALTER TABLE audit_entry ALTER COLUMN entry_hash DROP NOT NULL")
        sql("ALTER TABLE audit_entry ALTER COLUMN previous_hash DROP NOT NULL")
    sql("INSERT INTO audit_entry (at, user_name, action, record_type) "
        "VALUES ('2026-01-01 00:00:00', 'intruder', 'add', 'user')")
    newest = chain()[-1]
    result = verify_audit_chain()
    assert result.broken_entry_id == newest.id and "has no hash: it was written outside PAO Clinic" in result.broken


# --- accounts changed in SQL ---------------------------------------------------------------------

def test_a_role_changed_in_sql_shows_in_verify(clinic):
    User.update(role="admin").where(User.name == "nina.nurse").execute()
    result = verify_audit_chain()
    assert not result.whole and result.broken is None
    assert result.accounts_changed == (
        f"user 'nina.nurse' (id {clinic.nurse.user_id}) was changed outside PAO Clinic: "
        "role is 'admin' in the database but 'nurse' in the audit trail",)
    assert result.report_lines() == list(result.accounts_changed)


def test_an_account_deactivated_or_renamed_or_added_in_sql_shows_in_verify(clinic):
    User.update(active=False, display_name="Someone").where(User.name == "dr.chen").execute()
    User.insert(name="ghost", display_name="Ghost", role="admin", password_hash="x").execute()
    lines = verify_audit_chain().accounts_changed
    assert len(lines) == 2
    assert "user 'dr.chen'" in lines[0] and "display name is 'Someone' in the database but 'Dr Mei Chen'" in lines[0]
    assert "active is False in the database but True in the audit trail" in lines[0]
    assert lines[1].startswith("user 'ghost' (id ") and "has no audit entry: the account was added outside" in lines[1]


def test_signing_in_can_ask_whether_the_account_was_changed_outside_the_app(clinic):
    from pao_clinic.services.audit import account_changed_outside_the_app

    assert account_changed_outside_the_app(clinic.nurse.user_id) is None
    User.update(role="admin").where(User.name == "nina.nurse").execute()
    assert account_changed_outside_the_app(clinic.nurse.user_id) == (
        f"user 'nina.nurse' (id {clinic.nurse.user_id}) was changed outside PAO Clinic: "
        "role is 'admin' in the database but 'nurse' in the audit trail")
    assert account_changed_outside_the_app(clinic.consultant.user_id) is None


def test_an_account_changed_through_the_app_is_not_reported(clinic):
    account = services.list_users()[0]
    with write_transaction():  # as the user service audits a change: the account after it
        User.update(role="consultant").where(User.id == account.id).execute()
        AuditTrail(clinic.admin).record("change role", "user", account.id,
                                        after=services.list_users()[0])
    assert verify_audit_chain().whole


# --- an old database: its entries are chained by migration 3 ----------------------------------------

def test_migration_3_chains_the_entries_of_an_older_database_in_order_of_id(empty_database_url):
    location = parse_database_url(empty_database_url)
    db = connect(location, create=True)
    upgrade_schema(db, location, target=2)
    # a version-2 table as version 2 made it: no hash columns
    db.execute_sql("DROP INDEX IF EXISTS audit_entry_previous_hash")
    db.execute_sql("ALTER TABLE audit_entry DROP COLUMN previous_hash")
    db.execute_sql("ALTER TABLE audit_entry DROP COLUMN entry_hash")
    p = db.param
    times = ("2025-01-01 09:00:00+00:00", "2025-01-01 09:00:00.250000+00:00", "2025-03-30 01:30:00.000001+00:00")
    for n, at in enumerate(times * 2):
        db.execute_sql(f"INSERT INTO audit_entry (at, user_name, action, record_type, record_id, before, after) "
                       f"VALUES ({p}, {p}, 'add', 'user', {p}, NULL, {p})",
                       (at[:-6] if isinstance(db, PostgresqlDatabase) else at, f"u{n}", n,
                        json.dumps({"name": f"u{n}", "note": "Łucja"}, ensure_ascii=False)))
    db.close()

    open_database(empty_database_url)
    try:
        assert schema_version(database.obj) == CURRENT_SCHEMA_VERSION
        entries = chain()
        assert [e.user_name for e in entries] == [f"u{n}" for n in range(6)]
        assert entries[0].previous_hash == AUDIT_GENESIS_HASH
        assert all(b.previous_hash == a.entry_hash for a, b in zip(entries, entries[1:]))
        assert verify_audit_chain().broken is None
        with pytest.raises(Exception, match="append-only"):
            with database.atomic():
                sql("DELETE FROM audit_entry")
    finally:
        close_database()
    if location.sqlite_file is not None:  # copied aside before the upgrade, as every upgrade is
        copy = location.sqlite_file.with_name(f"{location.sqlite_file.stem}.before-v3.sqlite")
        old = connect(parse_database_url(f"sqlite:///{copy}"))
        assert schema_version(old) == 2
        old.close()


# --- reading, exporting, opening ------------------------------------------------------------------

def test_opening_her_record_is_audited_for_every_role(clinic):
    patient_id = services.register_patient(clinic.nurse, woman(), today=ON).id
    for actor in (clinic.nurse, clinic.consultant, clinic.admin):
        record_opened(actor, patient_id)
    opened = audit_page(clinic.admin, AuditFilter(patient_id=patient_id, action="open")).entries
    assert [(e.user_name, e.record_type, e.record_id) for e in opened] == [
        ("ada.admin", "patient", patient_id), ("dr.chen", "patient", patient_id), ("nina.nurse", "patient", patient_id)]
    with pytest.raises(NotFoundError):
        record_opened(clinic.nurse, patient_id + 100)
    with pytest.raises(PermissionDenied):
        record_opened(None, patient_id)
    assert verify_audit_chain().whole


def test_the_audit_is_read_by_patient_user_action_and_days(clinic):
    patient_id = some_history(clinic)
    other = services.register_patient(clinic.nurse, woman(1), today=ON).id
    everything = audit_page(clinic.admin)
    assert everything.complete and [e.id for e in everything.entries] == sorted(
        (e.id for e in everything.entries), reverse=True)
    hers = audit_page(clinic.admin, AuditFilter(patient_id=patient_id)).entries
    assert {e.patient_id for e in hers} == {patient_id} and len(hers) == 3
    assert hers[0].patient_name == "NÍ BHRIAIN, Siobhán" and hers[0].nhs_number == "9434765919"
    by_chen = audit_page(clinic.admin, AuditFilter(user_name="dr.chen", action="add")).entries
    assert [(e.record_type, e.patient_id) for e in by_chen] == [("fracture", patient_id)]
    today = date.today()
    assert audit_page(clinic.admin, AuditFilter(from_day=today - timedelta(days=1), to_day=today + timedelta(days=1))
                      ).total == everything.total
    assert audit_page(clinic.admin, AuditFilter(to_day=today - timedelta(days=2))).total == 0
    assert audit_page(clinic.admin, AuditFilter(from_day=today + timedelta(days=2))).total == 0
    page = audit_page(clinic.admin, limit=2)
    assert len(page.entries) == 2 and page.total == everything.total and not page.complete
    assert [e.id for e in audit_entries(clinic.admin, AuditFilter(patient_id=other), chunk=1)] == [
        e.id for e in reversed(audit_page(clinic.admin, AuditFilter(patient_id=other)).entries)]
    with pytest.raises(ValidationError, match="is after the last"):
        audit_page(clinic.admin, AuditFilter(from_day=today, to_day=today - timedelta(days=1)))
    with pytest.raises(PermissionDenied):
        audit_page(clinic.nurse)
    choices = audit_filter_choices(clinic.admin)
    assert {"ada.admin", "nina.nurse", "dr.chen"} <= set(choices.user_names)
    assert {"add", "register"} <= set(choices.actions)


def test_a_cell_a_spreadsheet_would_run_as_a_formula_is_quoted():
    assert [spreadsheet_safe(v) for v in ("=1+1", "+44 113", "-2", "@SUM(A1)", "\tx", "plain", None, 7)] == [
        "'=1+1", "'+44 113", "'-2", "'@SUM(A1)", "'\tx", "plain", "", "7"]


def test_the_csv_export_has_one_row_per_entry_and_is_itself_audited(clinic):
    patient_id = some_history(clinic)
    delivered: list[str] = []
    count = export_audit(clinic.admin, AuditFilter(patient_id=patient_id), delivered.append, destination="her.csv")
    [text] = delivered
    assert text.startswith("\ufeff")
    rows = list(csv.reader(io.StringIO(text[1:])))
    assert rows[0] == [name for name, _ in AUDIT_CSV_COLUMNS]
    assert count == len(rows) - 1 == 3
    first = dict(zip(rows[0], rows[1]))
    assert first["action"] == "register" and first["patient_name"] == "NÍ BHRIAIN, Siobhán"
    assert first["at"].endswith("Z") and datetime.fromisoformat(first["at"].replace("Z", "+00:00"))
    entry = AuditEntry.get(AuditEntry.id == int(first["id"]))
    assert first["entry_hash"] == entry.entry_hash and json.loads(first["after"]) == json.loads(entry.after)
    [exported] = audit_page(clinic.admin, AuditFilter(action="export")).entries
    assert (exported.user_name, exported.patient_id, exported.after) == (
        "ada.admin", patient_id, {"entries": 3, "to_file": "her.csv"})
    assert verify_audit_chain().whole


def test_an_export_whose_delivery_fails_leaves_no_entry(clinic):
    def full_disk(_text):
        raise OSError("no space left")

    with pytest.raises(OSError):
        export_audit(clinic.admin, AuditFilter(), full_disk)
    assert not AuditEntry.select().where(AuditEntry.action == "export").exists()
    with pytest.raises(PermissionDenied):
        export_audit(clinic.nurse, AuditFilter(), lambda _text: None)
