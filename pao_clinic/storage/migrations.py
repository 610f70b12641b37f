"""The versioned schema: numbered migrations applied in order when a database opens.

- `schema_version` holds one row: the number of the last migration applied.
- Before any migration of an SQLite file that already holds a schema, the file is
  copied aside (`<name>.before-v<N>.sqlite` beside it), so an upgrade can be undone.
- Each migration runs inside one transaction with the version bump: it happens
  whole or not at all.
- A database written by a newer PAO Clinic (a higher version than this code knows)
  is refused with a clear message and left untouched.

Adding a migration: append a function to MIGRATIONS; never edit one that has shipped.
Migration 1 creates its tables from the models named in `SCHEMA_1_MODELS`; a later
change to one of those models' columns must come with a migration of its own that
alters the table (playhouse.migrate), and the model change must be one that migration
1 can still create (new columns nullable or with defaults).
"""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Callable

from peewee import Database, PostgresqlDatabase

from pao_clinic.storage.connection import sqlite_driver, sqlite_file_connection
from pao_clinic.storage.location import DatabaseLocation
from pao_clinic.storage.models import AUDIT_GENESIS_HASH, SCHEMA_1_MODELS, SCHEMA_2_MODELS, audit_entry_hash
from pao_clinic.errors import StorageError

PARTIAL_UNIQUE_INDEXES = (
    # one live feeding entry per pregnancy (an entry marked in error may be replaced)
    "CREATE UNIQUE INDEX IF NOT EXISTS feeding_one_live_entry_per_pregnancy "
    "ON feeding (pregnancy_id) WHERE entered_in_error_at IS NULL",
    # at most one ongoing pregnancy per patient
    "CREATE UNIQUE INDEX IF NOT EXISTS pregnancy_one_ongoing "
    "ON pregnancy (patient_id) WHERE outcome = 'ongoing' AND entered_in_error_at IS NULL",
)


def _migration_1_clinical_record(db: Database) -> None:
    """Users, patients and every record of the exchange format; audit; settings."""
    with db.bind_ctx(SCHEMA_1_MODELS, bind_refs=False, bind_backrefs=False):
        db.create_tables(SCHEMA_1_MODELS, safe=False)
    for statement in PARTIAL_UNIQUE_INDEXES:
        db.execute_sql(statement)


def _migration_2_referral_history_and_documents(db: Database) -> None:
    """Referral status history, and stored documents (issued letters as bytes)."""
    with db.bind_ctx(SCHEMA_2_MODELS, bind_refs=False, bind_backrefs=False):
        db.create_tables(SCHEMA_2_MODELS, safe=False)


#: What the database says when something tries to change or remove an audit entry.
AUDIT_APPEND_ONLY_MESSAGE = "the audit trail is append-only: audit entries cannot be changed or deleted"
AUDIT_NEEDS_HASH_MESSAGE = "an audit entry needs its previous_hash and entry_hash (written by PAO Clinic)"
#: How many existing entries migration 3 reads and chains at a time.
_CHAIN_CHUNK = 2000

AUDIT_INDEXES = (
    # one entry per link: a second entry chained to the same predecessor (a fork) is refused
    "CREATE UNIQUE INDEX IF NOT EXISTS audit_entry_previous_hash ON audit_entry (previous_hash)",
    "CREATE INDEX IF NOT EXISTS audit_entry_at ON audit_entry (at)",
    "CREATE INDEX IF NOT EXISTS audit_entry_record ON audit_entry (record_type, record_id)",
)
SQLITE_AUDIT_TRIGGERS = (
    "CREATE TRIGGER audit_entry_no_update BEFORE UPDATE ON audit_entry "
    f"BEGIN SELECT RAISE(ABORT, '{AUDIT_APPEND_ONLY_MESSAGE}'); END",
    "CREATE TRIGGER audit_entry_no_delete BEFORE DELETE ON audit_entry "
    f"BEGIN SELECT RAISE(ABORT, '{AUDIT_APPEND_ONLY_MESSAGE}'); END",
    "CREATE TRIGGER audit_entry_needs_hash BEFORE INSERT ON audit_entry "
    "WHEN NEW.previous_hash IS NULL OR NEW.entry_hash IS NULL "
    f"BEGIN SELECT RAISE(ABORT, '{AUDIT_NEEDS_HASH_MESSAGE}'); END",
)
POSTGRES_AUDIT_TRIGGERS = (
    "CREATE OR REPLACE FUNCTION audit_entry_is_append_only() RETURNS trigger LANGUAGE plpgsql AS $$ "
    f"BEGIN RAISE EXCEPTION '{AUDIT_APPEND_ONLY_MESSAGE}' USING ERRCODE = 'insufficient_privilege'; END $$",
    "CREATE TRIGGER audit_entry_no_update_or_delete BEFORE UPDATE OR DELETE ON audit_entry "
    "FOR EACH ROW EXECUTE FUNCTION audit_entry_is_append_only()",
    "CREATE TRIGGER audit_entry_no_truncate BEFORE TRUNCATE ON audit_entry "
    "FOR EACH STATEMENT EXECUTE FUNCTION audit_entry_is_append_only()",
    "ALTER TABLE audit_entry ALTER COLUMN previous_hash SET NOT NULL",
    "ALTER TABLE audit_entry ALTER COLUMN entry_hash SET NOT NULL",
)


def _migration_3_append_only_hash_chained_audit(db: Database) -> None:
    """Audit entries hash-chained, and refused UPDATE and DELETE by the database itself.

    Adds `previous_hash` and `entry_hash` (a database created by migration 1 of this
    version has them already), chains the entries already there in order of id, adds
    the indexes, and the triggers: UPDATE and DELETE (and TRUNCATE on PostgreSQL) are
    refused, and so is an entry without its hashes.
    """
    postgres = isinstance(db, PostgresqlDatabase)
    if postgres:  # no other session adds entries while the existing ones are chained
        db.execute_sql("LOCK TABLE audit_entry IN EXCLUSIVE MODE")
    columns = {column.name for column in db.get_columns("audit_entry")}
    for name in ("previous_hash", "entry_hash"):
        if name not in columns:
            db.execute_sql(f"ALTER TABLE audit_entry ADD COLUMN {name} VARCHAR(64)")
    _chain_existing_audit_entries(db, postgres)
    for statement in AUDIT_INDEXES:
        db.execute_sql(statement)
    for statement in POSTGRES_AUDIT_TRIGGERS if postgres else SQLITE_AUDIT_TRIGGERS:
        db.execute_sql(statement)


def _chain_existing_audit_entries(db: Database, postgres: bool) -> None:
    """Give every entry already there its hashes, in order of id (a chunk at a time)."""
    previous, last_id = AUDIT_GENESIS_HASH, 0
    placeholder = "%s" if postgres else "?"
    while True:
        rows = db.execute_sql(
            "SELECT id, at, user_id, user_name, action, record_type, record_id, patient_id, before, after "
            f"FROM audit_entry WHERE id > {placeholder} ORDER BY id LIMIT {_CHAIN_CHUNK}", (last_id,)).fetchall()
        if not rows:
            return
        links = []
        for entry_id, at, user_id, user_name, action, record_type, record_id, patient_id, before, after in rows:
            entry_hash = audit_entry_hash(previous, at, user_id, user_name, action, record_type, record_id,
                                          patient_id, before, after)
            links.append((entry_id, previous, entry_hash))
            previous = entry_hash
        last_id = rows[-1][0]
        if postgres:
            values = ", ".join(["(%s, %s, %s)"] * len(links))
            db.execute_sql(
                "UPDATE audit_entry SET previous_hash = v.previous_hash, entry_hash = v.entry_hash "
                f"FROM (VALUES {values}) AS v(id, previous_hash, entry_hash) WHERE audit_entry.id = v.id",
                [value for link in links for value in link])
        else:
            db.connection().executemany("UPDATE audit_entry SET previous_hash = ?, entry_hash = ? WHERE id = ?",
                                        [(p, h, i) for i, p, h in links])


#: (table, column) of the indexes on who recorded, marked in error, changed or stored a row,
#: which migrations 1 and 2 made before version 4 (peewee indexes every foreign key unless told).
#: Nothing searches by them; each cost every row written an index update, and together they
#: were 12 % of a 10,000-woman SQLite file (so of the integrity check at every open, H-17).
UNREAD_USER_INDEXES = tuple(
    [("patient", "entered_in_error_by_id")]
    + [(table, column) for table in ("contraception", "dental_review", "pregnancy", "feeding", "fracture",
                                     "dexa_scan", "blood_result", "height", "epds", "medication", "referral",
                                     "decision")
       for column in ("recorded_by_id", "entered_in_error_by_id")]
    + [("referral_status_change", "changed_by_id"), ("stored_document", "created_by_id")])


def _migration_4_drop_unread_user_indexes(db: Database) -> None:
    """Drop the indexes nobody reads on the user columns (`UNREAD_USER_INDEXES`).

    The foreign keys themselves stay: the database still refuses a row naming a user who
    is not there.  A database created at version 4 never had these indexes.
    """
    for table, column in UNREAD_USER_INDEXES:
        db.execute_sql(f'DROP INDEX IF EXISTS "{table}_{column}"')


MIGRATIONS: tuple[Callable[[Database], None], ...] = (
    _migration_1_clinical_record,
    _migration_2_referral_history_and_documents,
    _migration_3_append_only_hash_chained_audit,
    _migration_4_drop_unread_user_indexes,
)
CURRENT_SCHEMA_VERSION = len(MIGRATIONS)


class VersionRecordDamaged(StorageError):
    """The schema_version table is there but does not hold exactly one whole number."""


def schema_version(db: Database, location: DatabaseLocation | None = None) -> int:
    """The version of the schema in `db` (0 for an empty database).

    A version table that is empty, holds several rows or something other than a whole
    number is refused (VersionRecordDamaged): guessing a version would re-run migrations
    over tables that are already there.
    """
    if "schema_version" not in db.get_tables():
        return 0
    rows = db.execute_sql("SELECT version FROM schema_version").fetchall()
    if len(rows) == 1 and type(rows[0][0]) is int and rows[0][0] >= 0:
        return rows[0][0]
    if not rows:
        held = "it is empty"
    elif len(rows) > 1:
        held = f"it holds {len(rows)} rows instead of one"
    else:
        held = f"it holds {rows[0][0]!r} instead of a version number"
    raise VersionRecordDamaged(
        f"the database's version record is damaged ({_place(location)}: the schema_version table: {held}); "
        f"nothing was changed. {restore_hint(location)}"
    )


def _place(location: DatabaseLocation | None) -> str:
    if location is None:
        return "the database"
    file = location.sqlite_file
    return str(file.absolute()) if file is not None else location.describe()


def upgrade_copies(file: Path) -> list[Path]:
    """The copies made aside before upgrades of an SQLite file (`<name>.before-v<N>.sqlite`), newest first."""
    pattern = f"{file.stem}.before-v*{file.suffix or '.sqlite'}"
    return sorted(file.absolute().parent.glob(pattern), key=lambda p: p.stat().st_mtime, reverse=True)


def restore_hint(location: DatabaseLocation | None) -> str:
    """How to get a good database back: the copy made before the last upgrade, or a backup."""
    file = location.sqlite_file if location is not None else None
    if file is None:
        return "Restore the database from a backup (pg_dump) before opening it again."
    copies = upgrade_copies(file)
    if copies:
        return (f"Restore it from the copy made before the last upgrade ({copies[0]}) or from a backup: "
                f"copy that file over {file.absolute()}.")
    return (f"Restore it from a backup, or from a <name>.before-v<N>.sqlite copy beside it if there is one: "
            f"copy that file over {file.absolute()}.")


def upgrade_schema(db: Database, location: DatabaseLocation | None = None,
                   *, target: int = CURRENT_SCHEMA_VERSION) -> int:
    """Apply every migration after the database's version, up to `target`. Returns the version."""
    current = schema_version(db, location)
    if current > CURRENT_SCHEMA_VERSION:
        raise StorageError(
            f"this database was written by a newer version of PAO Clinic (schema {current}; "
            f"this version understands up to {CURRENT_SCHEMA_VERSION}). Install the newer "
            "version to open it; the database has not been changed."
        )
    if current >= target:
        return current
    if current > 0 and location is not None and location.sqlite_file is not None:
        _copy_sqlite_aside(db, location, current)
    if "schema_version" not in db.get_tables():
        with db.atomic():
            db.execute_sql("CREATE TABLE schema_version (version INTEGER NOT NULL)")
            db.execute_sql("INSERT INTO schema_version (version) VALUES (0)")
    for number in range(current + 1, target + 1):
        with db.atomic():
            MIGRATIONS[number - 1](db)
            db.execute_sql("UPDATE schema_version SET version = %d" % number)
    return target


def _copy_sqlite_aside(db: Database, location: DatabaseLocation, current: int) -> None:
    file = location.sqlite_file
    assert file is not None
    backup = file.with_name(f"{file.stem}.before-v{current + 1}{file.suffix or '.sqlite'}")
    try:
        target = sqlite_file_connection(location, backup, mode="rwc")  # keyed like the original when encrypted
        try:
            db.connection().backup(target)  # consistent copy, WAL included
        finally:
            target.close()
    except (OSError, sqlite3.Error, sqlite_driver(location).Error) as exc:
        raise StorageError(
            f"cannot copy the database aside to {backup} before upgrading it ({exc}); "
            "nothing was changed"
        ) from None
