"""The one function that opens a database: parse its URL, connect, upgrade the schema, bind it.

A database is created only when the caller says so (`create=True`): starting a clinic
is a deliberate act (`pao-clinic init`, the first admin, a demo, the desktop's first
run on its default file).  Anywhere else a mistyped SQLite path must not become a new,
empty caseload, so an SQLite file that is missing, empty (zero bytes) or holds no
tables at all is refused with `NoDatabaseError`, and left exactly as it was.  A file
holding some other program's tables, or that is not SQLite, is never written to.

A PostgreSQL database is created by its server's administrator; opening an empty one
gives it the schema, as before.

Our mark: every PAO Clinic SQLite file carries `PRAGMA application_id = 0x50414F43`
(`PAO_CLINIC_APPLICATION_ID`, the ASCII letters "PAOC"), set when the schema is created,
and set on open on a file made by an earlier version (our `schema_version` table, id 0).
A file with any other application id, or id 0 and tables that are not ours, belongs to
another program and is refused untouched.  Before anything is written, an SQLite file
passes `PRAGMA quick_check`; a damaged file is refused with the way to restore it: the
newest good backup in the backup folder and the exact `pao-clinic restore` command.

An encrypted file (`sqlcipher:///`) is read with its passphrase for every one of these
checks (`connection.sqlite_file_connection`); a wrong passphrase is `WrongPassphrase`.
"""

from __future__ import annotations

import shlex
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

from peewee import Database

from pao_clinic.errors import StorageError
from pao_clinic.storage.backup_files import newest_good_backup
from pao_clinic.storage.connection import (  # noqa: F401  (PAO_CLINIC_APPLICATION_ID: named here as before)
    PAO_CLINIC_APPLICATION_ID, bind, bound_database_url, close_database, connect, integrity_findings,
    is_plain_sqlite_file, sqlite_driver, sqlite_file_connection,
)
from pao_clinic.storage.file_check import QuickCheck
from pao_clinic.storage.location import DatabaseLocation, parse_database_url
from pao_clinic.storage.migrations import restore_hint, schema_version, upgrade_schema

# What an SQLite file holds, for the decision to open, create or refuse.
_NOTHING = "nothing"          # no file, zero bytes, or an SQLite file without any table
_CLINIC = "clinic"            # PAO Clinic's schema (any version)
_OTHER = "other"              # tables of some other program
_NOT_SQLITE = "not sqlite"    # not an SQLite file at all


class NoDatabaseError(StorageError):
    """There is no PAO Clinic database where the URL points, and none was to be created."""

    def __init__(self, where: str, hint: str | None = None):
        self.where = where
        hint = hint or ("to start a new clinic there, run `pao-clinic init --database URL`; "
                        "otherwise check --database (or PAO_CLINIC_DATABASE)")
        super().__init__(f"there is no PAO Clinic database at {where}\nhint: {hint}")


class DatabaseExistsError(StorageError):
    """`init` was asked to start a clinic where there already is a database."""


def database_place(url: str) -> str:
    """Where the URL points, for messages: the absolute file path, or the PostgreSQL database."""
    location = parse_database_url(url)
    file = location.sqlite_file
    return str(file.absolute()) if file is not None else location.describe()


def _sqlite_contents(location: DatabaseLocation, *, quick_check: bool = False,
                     under_way: QuickCheck | None = None) -> str:
    """What the file holds, read without changing it (no journal mode, no new file).

    With `quick_check`, a file that is ours (or holds no tables) must also pass
    `PRAGMA quick_check` on the same read-only connection (one connection: opening an
    encrypted file derives its key each time), or the check `under_way` of the same file
    (`file_check.start_quick_check`, waited for here); DamagedDatabaseError if not.
    """
    file = location.sqlite_file
    try:
        if not file.exists() or (file.is_file() and file.stat().st_size == 0):
            return _NOTHING
    except OSError as exc:
        raise StorageError(f"cannot open the database {file.absolute()}: {exc.strerror.lower()}") from None
    if not file.is_file():
        raise StorageError(f"cannot open the database {file.absolute()}: it is a folder, not a file")
    driver = sqlite_driver(location)
    try:
        probe = sqlite_file_connection(location, mode="ro")
        try:
            application_id = probe.execute("PRAGMA application_id").fetchone()[0]
            tables = {name for (name,) in probe.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
            contents = _contents_by_mark(application_id, tables)
            if not quick_check or contents not in (_CLINIC, _NOTHING):
                findings = ["ok"]
            elif under_way is not None and under_way.file == file.absolute():
                findings = under_way.findings()  # its sqlite3 errors are met here as the probe's would be
            else:
                findings = integrity_findings(probe)
        finally:
            probe.close()
    except driver.OperationalError as exc:  # cannot be opened (permissions, a locked folder, ...)
        raise StorageError(f"cannot open the database {file.absolute()}: {exc}") from None
    except driver.DatabaseError as exc:
        if "malformed" in str(exc):  # an SQLite file whose pages are damaged
            raise DamagedDatabaseError(location, str(exc)) from None
        return _NOT_SQLITE  # "file is not a database"
    if findings != ["ok"]:
        raise DamagedDatabaseError(location, "quick_check: " + "; ".join(findings[:3]))
    return contents


def _contents_by_mark(application_id: int, tables: set[str]) -> str:
    if application_id == PAO_CLINIC_APPLICATION_ID:
        return _CLINIC
    if application_id != 0:
        return _OTHER
    if not tables:
        return _NOTHING
    return _CLINIC if "schema_version" in tables else _OTHER  # ours from before the mark, or not ours


class DamagedDatabaseError(StorageError):
    """An SQLite file that fails its integrity check; nothing was written to it.

    The message says how to get a good database back: the newest good backup and the
    exact `pao-clinic restore` command, else the copy made before the last upgrade.
    """

    def __init__(self, location: DatabaseLocation, detail: str):
        self.file = location.sqlite_file.absolute()
        self.backup = newest_good_backup(location)
        super().__init__(f"the database {self.file} is damaged ({detail}); nothing was changed. "
                         f"{damaged_restore_hint(location, self.backup)}")


def damaged_restore_hint(location: DatabaseLocation, backup) -> str:
    """The way back from a damaged file: `pao-clinic restore` of the newest good backup, if there is one."""
    if backup is None:
        return restore_hint(location)
    made = backup.made_at.strftime("%d %b %Y %H:%M UTC")
    return (f"Restore it from the newest good backup ({backup.path}, made {made}): "
            f"pao-clinic restore {shlex.quote(str(backup.path))} --database {shlex.quote(location.file_url())}")


def _mark_as_ours(db: Database, location: DatabaseLocation) -> None:
    """Set our application_id on an SQLite file with our schema and no id yet (new, or from before the mark)."""
    if location.sqlite_file is None:
        return
    if db.execute_sql("PRAGMA application_id").fetchone()[0] != 0:
        return
    if "schema_version" not in db.get_tables():
        return
    try:
        db.execute_sql(f"PRAGMA application_id = {PAO_CLINIC_APPLICATION_ID}")
    except Exception as exc:  # a read-only file still opens for reading; it is marked on a later open
        if "readonly" not in str(exc) and "read-only" not in str(exc):
            raise


def _refuse_foreign_file(location: DatabaseLocation, *, quick_check: bool = False,
                         under_way: QuickCheck | None = None) -> str | None:
    """Never write PAO Clinic's tables into a file that belongs to something else; what the file holds."""
    file = location.sqlite_file
    if file is None:
        return None
    contents = _sqlite_contents(location, quick_check=quick_check, under_way=under_way)
    if contents == _OTHER:
        raise StorageError(f"{file.absolute()} is not a PAO Clinic database: it holds another program's "
                           "tables. Nothing was changed; check --database")
    if contents == _NOT_SQLITE:
        encrypted_hint = ("" if location.encrypted or is_plain_sqlite_file(file) else
                          f" (if it is an encrypted PAO Clinic database, open it as sqlcipher:///{file.absolute()})")
        raise StorageError(f"{file.absolute()} is not a PAO Clinic database: it is not an SQLite file{encrypted_hint}. "
                           "Nothing was changed; check --database")
    return contents


def database_is_missing(url: str) -> bool:
    """True when the URL names an SQLite file with no database in it (missing, zero bytes, no tables).

    A PostgreSQL database is never 'missing' here: its server says whether it exists.
    """
    location = parse_database_url(url)
    file = location.sqlite_file
    return file is not None and _sqlite_contents(location) == _NOTHING


def open_database(url: str, *, create: bool = False, quick_check_under_way: QuickCheck | None = None) -> Database:
    """Parse, connect, bring the schema up to date and bind `database`. Returns the database.

    Without `create` a missing SQLite database is refused (`NoDatabaseError`) and no file
    or folder is made; with it, the folder and file are created and given the schema.
    `quick_check_under_way`: the file's quick_check started earlier (`file_check.start_quick_check`),
    whose answer is waited for instead of checking the file again.
    """
    location = parse_database_url(url)
    contents = _refuse_foreign_file(location, quick_check=True,  # and a file that is there passes quick_check
                                    under_way=quick_check_under_way)
    if not create and contents == _NOTHING:
        raise NoDatabaseError(database_place(url))
    db = connect(location, create=create)
    try:
        upgrade_schema(db, location)
        _mark_as_ours(db, location)
    except Exception:
        db.close()
        raise
    bind(db, url)
    return db


def create_database(url: str) -> Database:
    """A new, empty PAO Clinic database at `url`, bound (for `pao-clinic init`).

    Refused where a PAO Clinic database already is (DatabaseExistsError), changing nothing.
    """
    location = parse_database_url(url)
    _refuse_foreign_file(location)
    if not database_is_missing(url):
        db = connect(location)
        try:
            version = schema_version(db, location)
        finally:
            db.close()
        if version > 0:
            raise DatabaseExistsError(f"there is already a PAO Clinic database at {database_place(url)}; "
                                      "nothing was changed")
    return open_database(url, create=True)


@contextmanager
def new_database_removed_on_failure(url: str) -> Iterator[None]:
    """Around a command that may start a new SQLite database: if it fails, leave no trace.

    When the URL names no database on entry and the block raises, the database is
    closed and the file (with its -wal and -shm) is removed, with any folder made for it.
    A database that existed before is never touched.
    """
    location = parse_database_url(url)
    file = location.sqlite_file
    if file is None or not database_is_missing(url):
        yield
        return
    file = file.absolute()
    original = file.read_bytes() if file.is_file() else None  # an empty file left there is put back
    first_new_folder = None
    for folder in (file.parent, *file.parent.parents):
        if folder.exists():
            break
        first_new_folder = folder
    try:
        yield
    except BaseException:
        if bound_database_url() == url:
            close_database()
        for companion in (file.with_name(file.name + "-wal"), file.with_name(file.name + "-shm"),
                          file.with_name(file.name + "-journal")):
            companion.unlink(missing_ok=True)
        if original is not None:
            file.write_bytes(original)
        else:
            file.unlink(missing_ok=True)
        if first_new_folder is not None:
            folder = file.parent
            while True:
                try:
                    folder.rmdir()
                except OSError:
                    break
                if folder == first_new_folder:
                    break
                folder = folder.parent
        raise
