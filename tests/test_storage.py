"""The database binding, constraints in the database itself, and migrations."""

from __future__ import annotations

from datetime import date

import pytest
from peewee import IntegrityError

from pao_clinic.storage.connection import close_database, database
from pao_clinic.storage.location import database_url_from, parse_database_url
from pao_clinic.storage.opening import open_database
from pao_clinic.errors import StorageError
from pao_clinic.storage.migrations import CURRENT_SCHEMA_VERSION, schema_version, upgrade_schema
from pao_clinic.storage.models import DexaScanRow, FractureRow, Patient, PregnancyRow


# --- URLs ----------------------------------------------------------------------

def test_sqlite_url_gives_the_path():
    assert parse_database_url("sqlite:////var/clinic/pao.sqlite").path == "/var/clinic/pao.sqlite"
    assert parse_database_url("sqlite:///relative.sqlite").path == "relative.sqlite"


def test_postgresql_url_gives_every_part():
    loc = parse_database_url("postgresql://nurse:s%40cret@db.example:5433/pao")
    assert (loc.engine, loc.user, loc.password, loc.host, loc.port, loc.name) == (
        "postgresql", "nurse", "s@cret", "db.example", 5433, "pao")
    assert "s@cret" not in loc.describe()


@pytest.mark.parametrize("url, words", [
    ("mysql://x/y", "not supported"),
    ("clinic.sqlite", "not understood"),
    ("sqlite://", "no file path"),
    ("postgresql://host:5432/", "names no database"),
    ("postgresql://host:port/db", "port"),
    ("sqlcipher:///:memory:", "must be a file"),
])
def test_bad_urls_are_refused_with_a_reason(url, words):
    with pytest.raises(StorageError, match=words):
        parse_database_url(url)


def test_url_comes_from_option_then_environment_then_default(tmp_path):
    assert database_url_from("sqlite:///a", {"PAO_CLINIC_DATABASE": "sqlite:///b"}) == "sqlite:///a"
    assert database_url_from(None, {"PAO_CLINIC_DATABASE": "sqlite:///b"}) == "sqlite:///b"
    assert database_url_from(None, {}).endswith("pao-clinic.sqlite")


def test_sqlite_runs_with_foreign_keys_wal_and_a_busy_timeout(tmp_path):
    open_database(f"sqlite:///{tmp_path / 'c.sqlite'}", create=True)
    try:
        assert database.execute_sql("PRAGMA foreign_keys").fetchone()[0] == 1
        assert database.execute_sql("PRAGMA journal_mode").fetchone()[0] == "wal"
        assert database.execute_sql("PRAGMA busy_timeout").fetchone()[0] >= 5000
    finally:
        close_database()


def test_an_unreachable_postgresql_server_is_a_clear_storage_error():
    with pytest.raises(StorageError, match="cannot open PostgreSQL"):
        open_database("postgresql://nobody@127.0.0.1:1/none")


# --- constraints live in the database too ---------------------------------------

def _patient(**overrides) -> Patient:
    values = dict(ref="p1", nhs_number="9434765919", family_name="Ní Bhriain", given_name="Siobhán",
                  date_of_birth=date(1992, 4, 1))
    values.update(overrides)
    return Patient.create(**values)


def test_nhs_number_is_unique_in_the_database(clinic):
    _patient()
    with pytest.raises(IntegrityError):
        with database.atomic():
            _patient(ref="p2")


def test_a_patient_needs_an_nhs_or_hospital_number(clinic):
    with pytest.raises(IntegrityError):
        with database.atomic():
            _patient(nhs_number=None, hospital_number=None)


@pytest.mark.parametrize("field, value", [
    ("site", "l7"), ("genant_grade", 4), ("trauma", "severe"), ("imaging", "ultrasound"), ("side", "middle"),
])
def test_fracture_codes_and_ranges_are_checked_by_the_database(clinic, field, value):
    patient = _patient()
    values = dict(patient=patient, ref="fx1", site="l1", identified_on=date(2025, 1, 1), imaging="mri",
                  trauma="none", genant_grade=2)
    values[field] = value
    with pytest.raises(IntegrityError):
        with database.atomic():
            FractureRow.create(**values)
    assert FractureRow.select().count() == 0


def test_dexa_needs_a_t_or_z_score_in_the_database(clinic):
    patient = _patient()
    with pytest.raises(IntegrityError):
        with database.atomic():
            DexaScanRow.create(patient=patient, ref="d1", scanned_on=date(2025, 1, 1), site="lumbar_spine", bmd=0.9)


def test_only_one_ongoing_pregnancy_in_the_database(clinic):
    patient = _patient()
    PregnancyRow.create(patient=patient, ref="a", number=1, outcome="ongoing")
    with pytest.raises(IntegrityError):
        with database.atomic():
            PregnancyRow.create(patient=patient, ref="b", number=2, outcome="ongoing")


def test_foreign_keys_are_enforced(clinic):
    with pytest.raises(IntegrityError):
        with database.atomic():
            FractureRow.create(patient=9999, ref="fx1", site="l1", identified_on=date(2025, 1, 1),
                               imaging="mri", trauma="none", genant_grade=2)


# --- migrations ----------------------------------------------------------------

def test_a_new_database_is_created_at_the_current_version(empty_database_url):
    db = open_database(empty_database_url, create=True)
    try:
        assert schema_version(db) == CURRENT_SCHEMA_VERSION
    finally:
        close_database()


def _index_names(db) -> set[str]:
    return {index.name for table in db.get_tables() for index in db.get_indexes(table)}


def _unread_user_index_names() -> set[str]:
    from pao_clinic.storage.migrations import UNREAD_USER_INDEXES

    return {f"{table}_{column}" for table, column in UNREAD_USER_INDEXES}


def _database_at_version(url: str, version: int):
    """A new database at an older schema version, as an older release left it (the caller closes it)."""
    from pao_clinic.storage.connection import connect

    location = parse_database_url(url)
    db = connect(location, create=True)
    upgrade_schema(db, location, target=version)
    return db


def _add_patient_row(db, nhs_number: str, family_name: str, given_name: str) -> None:
    db.execute_sql("INSERT INTO patient (ref, nhs_number, family_name, given_name, date_of_birth, created_at, version)"
                   f" VALUES ('p1', '{nhs_number}', '{family_name}', '{given_name}', '1990-01-02',"
                   " '2025-01-01 00:00:00', 1)")


def test_a_new_database_has_no_index_on_who_recorded_a_row(empty_database_url):
    db = open_database(empty_database_url, create=True)
    try:
        names = _index_names(db)
        assert not names & _unread_user_index_names()
        assert {"blood_result_patient_id", "audit_entry_user_id", "fracture_pregnancy_id"} <= names
    finally:
        close_database()


def test_version_4_drops_only_the_unread_user_indexes_and_keeps_their_foreign_keys(empty_database_url):
    from pao_clinic.storage.migrations import UNREAD_USER_INDEXES

    db = _database_at_version(empty_database_url, 3)
    for table, column in UNREAD_USER_INDEXES:  # as migrations 1 and 2 made them before version 4
        db.execute_sql(f'CREATE INDEX "{table}_{column}" ON "{table}" ("{column}")')
    before = _index_names(db)
    _add_patient_row(db, "9434765919", "Okafor", "Ada")
    db.close()

    db = open_database(empty_database_url)
    try:
        assert schema_version(db) == CURRENT_SCHEMA_VERSION == 4
        dropped = _unread_user_index_names()
        assert dropped <= before and _index_names(db) == before - dropped
        patient = Patient.get(Patient.nhs_number == "9434765919")
        with pytest.raises(IntegrityError), database.atomic():  # the foreign key to the user is still there
            FractureRow.create(patient=patient.id, ref="fx1", site="l1", identified_on=date(2025, 1, 1),
                               imaging="mri", trauma="none", genant_grade=2, recorded_by=9999)
        assert FractureRow.select().count() == 0
    finally:
        close_database()


def test_an_old_version_database_upgrades_with_its_data(empty_database_url):
    from pao_clinic.storage.connection import connect

    location = parse_database_url(empty_database_url)
    db = _database_at_version(empty_database_url, 1)
    assert "referral_status_change" not in db.get_tables()
    _add_patient_row(db, "9434765919", "Nguyễn", "Łucja")
    db.close()

    db = open_database(empty_database_url)
    try:
        assert schema_version(db) == CURRENT_SCHEMA_VERSION
        assert "referral_status_change" in db.get_tables() and "stored_document" in db.get_tables()
        patient = Patient.get(Patient.nhs_number == "9434765919")
        assert (patient.family_name, patient.given_name) == ("Nguyễn", "Łucja")
    finally:
        close_database()
    if location.sqlite_file is not None:  # the file was copied aside before the upgrade
        backup = location.sqlite_file.with_name(f"{location.sqlite_file.stem}.before-v2.sqlite")
        assert backup.exists()
        old = connect(parse_database_url(f"sqlite:///{backup}"))
        assert schema_version(old) == 1
        old.close()


def test_a_database_from_a_newer_version_is_refused_and_left_alone(empty_database_url):
    db = open_database(empty_database_url, create=True)
    database.execute_sql("UPDATE schema_version SET version = %d" % (CURRENT_SCHEMA_VERSION + 5))
    close_database()
    with pytest.raises(StorageError, match="newer version of PAO Clinic"):
        open_database(empty_database_url)
    from pao_clinic.storage.connection import connect
    db = connect(parse_database_url(empty_database_url))
    assert schema_version(db) == CURRENT_SCHEMA_VERSION + 5
    db.close()


# --- a database is created only when asked (create=True) ------------------------------

def test_open_database_refuses_a_missing_sqlite_file_without_creating_anything(tmp_path):
    from pao_clinic.services import open_clinic_database, user_count
    from pao_clinic.storage.opening import NoDatabaseError

    missing = tmp_path / "a" / "b" / "pao.sqlite"
    with pytest.raises(NoDatabaseError, match=f"there is no PAO Clinic database at {missing}"):
        open_database(f"sqlite:///{missing}")
    with pytest.raises(NoDatabaseError):
        open_clinic_database(f"sqlite:///{missing}")
    assert list(tmp_path.iterdir()) == []
    where = open_clinic_database(f"sqlite:///{missing}", create=True)
    try:
        assert where == f"SQLite {missing}" and user_count() == 0
    finally:
        close_database()
    assert missing.exists()


def test_a_database_file_removed_while_open_is_not_silently_made_again(tmp_path):
    import os
    import threading

    from pao_clinic.services import user_count

    file = tmp_path / "pao.sqlite"
    open_database(f"sqlite:///{file}", create=True)
    try:
        for companion in (file, file.with_name(file.name + "-wal"), file.with_name(file.name + "-shm")):
            if companion.exists():
                os.remove(companion)
        errors = []

        def read_in_another_thread():  # peewee opens a new connection per thread
            try:
                user_count()
            except Exception as exc:  # noqa: BLE001 (any error will do; a new file will not)
                errors.append(exc)

        worker = threading.Thread(target=read_in_another_thread)
        worker.start()
        worker.join()
        assert errors and not file.exists()
    finally:
        close_database()


def test_connect_makes_no_file_or_folder_unless_creating(tmp_path):
    from pao_clinic.storage.connection import connect

    location = parse_database_url(f"sqlite:///{tmp_path / 'new' / 'c.sqlite'}")
    with pytest.raises(StorageError, match="there is no SQLite database file"):
        connect(location)
    assert list(tmp_path.iterdir()) == []
    connect(location, create=True).close()
    assert (tmp_path / "new" / "c.sqlite").is_file()


def test_an_empty_file_is_no_database_until_created(tmp_path):
    from pao_clinic.storage.opening import NoDatabaseError, database_is_missing

    file = tmp_path / "c.sqlite"
    file.touch()
    url = f"sqlite:///{file}"
    assert database_is_missing(url)
    with pytest.raises(NoDatabaseError):
        open_database(url)
    assert file.stat().st_size == 0
    open_database(url, create=True)
    close_database()
    assert not database_is_missing(url)
    open_database(url)  # and now it opens without asking to create
    close_database()
