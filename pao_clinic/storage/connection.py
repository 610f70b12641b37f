"""The one database binding: `database`, a proxy every model is bound to.

`connect()` makes a peewee database for a parsed location; `opening.open_database`
(the one way in) connects, upgrades the schema and binds it here.

Every write runs inside `write_transaction()`.  On SQLite it begins IMMEDIATE: the
write lock is taken before the first read, so a second writer waits its turn within
the busy timeout.  (A deferred transaction that reads first cannot be upgraded to a
write once another process has written since its read; SQLite then fails at once with
"database is locked", whatever the timeout.)  It also turns the storage faults a write
can meet (disk full, a read-only file) into a `StorageError` naming the place, and
never lets the error of the rollback that follows hide them.

An encrypted SQLite file (`sqlcipher:///`) is opened with SQLCipher (the `sqlcipher3`
module of the sqlcipher3-binary wheel, through peewee's `playhouse.sqlcipher_ext`) and
its passphrase: one remembered in this process (`remember_passphrase`, after a prompt)
or PAO_CLINIC_PASSPHRASE.  The passphrase is kept in memory only and masked in the log.
A wrong one is `WrongPassphrase`, "the passphrase for PATH is wrong".  Every direct
connection to an SQLite file (checks, backups) goes through `sqlite_file_connection`,
so an encrypted file is never read, or copied, without its key.
"""

from __future__ import annotations

import os
import sqlite3
import sys
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

from peewee import Database, DatabaseProxy, OperationalError, PostgresqlDatabase, SqliteDatabase

from pao_clinic.environment import PASSPHRASE_ENV, keep_out_of_log
from pao_clinic.errors import PaoClinicError, StorageError
from pao_clinic.storage.file_check import integrity_findings  # noqa: F401  (named here as before)
from pao_clinic.storage.location import DatabaseLocation, parse_database_url

#: `PRAGMA application_id` of a PAO Clinic SQLite file: "PAOC" in ASCII (0x50 0x41 0x4F 0x43).
PAO_CLINIC_APPLICATION_ID = 0x50414F43
#: The first 16 bytes of every plain SQLite file (an encrypted file's first bytes are random).
SQLITE_HEADER = b"SQLite format 3\x00"

SQLITE_BUSY_TIMEOUT_MS = 10_000
#: Set on every SQLite connection, in this order (tests may add one, e.g. max_page_count).
SQLITE_PRAGMAS: dict[str, object] = {
    "journal_mode": "wal",
    "foreign_keys": 1,
    "busy_timeout": SQLITE_BUSY_TIMEOUT_MS,
    "synchronous": "normal",
}

#: Every model is bound to this proxy; `opening.open_database` initialises it.
database = DatabaseProxy()
_bound_url: str | None = None


# --- encrypted files: the passphrase -------------------------------------------------------

class PassphraseError(StorageError):
    """An encrypted database's passphrase is missing or wrong."""


class WrongPassphrase(PassphraseError):
    def __init__(self, file: Path):
        self.file = file.absolute()
        super().__init__(f"the passphrase for {self.file} is wrong")


class PassphraseNeeded(PassphraseError):
    def __init__(self, file: Path):
        self.file = file.absolute()
        super().__init__(f"{self.file} is encrypted: give its passphrase in {PASSPHRASE_ENV}, "
                         "or run the command in a terminal to be asked for it")


_passphrases: dict[Path, str] = {}


def remember_passphrase(file: Path, passphrase: str) -> None:
    """The passphrase of the encrypted file for this process (memory only; masked in the log)."""
    keep_out_of_log(passphrase)
    _passphrases[file.absolute()] = passphrase


def forget_passphrase(file: Path) -> None:
    _passphrases.pop(file.absolute(), None)


def has_passphrase(file: Path) -> bool:
    """Whether a passphrase for the file is at hand (remembered, or in PAO_CLINIC_PASSPHRASE)."""
    return file.absolute() in _passphrases or bool(os.environ.get(PASSPHRASE_ENV))


def passphrase_for(file: Path) -> str:
    """The encrypted file's passphrase: remembered in this process, else PAO_CLINIC_PASSPHRASE."""
    remembered = _passphrases.get(file.absolute())
    if remembered:
        return remembered
    given = os.environ.get(PASSPHRASE_ENV)
    if given:
        return given
    raise PassphraseNeeded(file)


def sqlite_driver(location: DatabaseLocation):
    """The DB-API module for the file: sqlite3, or SQLCipher's sqlcipher3 for an encrypted file."""
    if not location.encrypted:
        return sqlite3
    try:
        from sqlcipher3 import dbapi2
    except ImportError:
        raise StorageError("encrypted databases need SQLCipher: pip install sqlcipher3-binary") from None
    return dbapi2


def key_statement(passphrase: str, pragma: str = "key") -> str:
    """`PRAGMA key = '...'` (or rekey); run on the driver's connection, never through peewee (which logs SQL)."""
    return f"PRAGMA {pragma} = '" + passphrase.replace("'", "''") + "'"


def is_plain_sqlite_file(file: Path) -> bool:
    """The file starts with SQLite's header (so it is not encrypted)."""
    try:
        with file.open("rb") as f:
            return f.read(len(SQLITE_HEADER)) == SQLITE_HEADER
    except OSError:
        return False


def sqlite_file_connection(location: DatabaseLocation, file: Path | None = None, *, mode: str = "rw",
                           passphrase: str | None = None, **connect_args):
    """The driver's own connection to the SQLite file (or to `file`, a copy of it: a backup), keyed when encrypted.

    `mode` is SQLite's URI mode (ro, rw, rwc).  An encrypted file is opened with
    `passphrase`, by default the database's own (`passphrase_for`), and read once so a
    wrong passphrase is `WrongPassphrase` here, not a puzzling error later.
    """
    file = (location.sqlite_file if file is None else file).absolute()
    driver = sqlite_driver(location)
    conn = driver.connect(f"{file.as_uri()}?mode={mode}", uri=True, **connect_args)
    if not location.encrypted:
        return conn
    try:
        conn.execute("PRAGMA cipher_log_level = NONE")  # its own error lines on stderr say less than ours
        conn.execute(key_statement(passphrase or passphrase_for(location.sqlite_file)))
        try:
            conn.execute("SELECT count(*) FROM sqlite_master").fetchone()
        except driver.DatabaseError as exc:
            if "not a database" not in str(exc):
                raise
            raise _not_opened_with_key(file) from None
    except BaseException:
        conn.close()
        raise
    return conn


def _not_opened_with_key(file: Path) -> StorageError:
    """Why SQLCipher says "file is not a database": a plain file, or the wrong passphrase."""
    if is_plain_sqlite_file(file):
        return StorageError(f"{file} is not encrypted: open it as sqlite:///{file}, or make an "
                            "encrypted copy with `pao-clinic encrypt`")
    return WrongPassphrase(file)


def connect(location: DatabaseLocation, *, create: bool = False) -> Database:
    """A connected peewee database for the location (not yet migrated or bound).

    An SQLite file is opened for reading and writing only, never created, unless
    `create` is given: then its folder and an empty file are made first.  Every later
    connection (peewee opens one per thread) uses the same never-create mode, so a
    file removed while the clinic is open is an error, not a new empty database.
    """
    if location.engine == "sqlite":
        file = location.sqlite_file
        if file is None:  # :memory:
            target, uri = location.path, False
        else:
            if create:
                _create_empty_sqlite_file(file)
            elif not file.is_file():
                raise StorageError(f"there is no SQLite database file at {file.absolute()}")
            target, uri = f"{file.absolute().as_uri()}?mode=rw", True
        if location.encrypted:
            db = _encrypted_database(location, target)
        else:
            db = SqliteDatabase(
                target,
                uri=uri,
                pragmas=dict(SQLITE_PRAGMAS),
            )
    else:
        try:
            import psycopg2  # noqa: F401
        except ImportError:
            raise StorageError(
                "PostgreSQL needs the 'postgres' extra: pip install 'pao-clinic[postgres]'"
            ) from None
        kwargs = {k: v for k, v in (("user", location.user), ("password", location.password),
                                     ("host", location.host), ("port", location.port)) if v is not None}
        db = PostgresqlDatabase(location.name, **kwargs)
    try:
        db.connect(reuse_if_open=True)
    except PaoClinicError:
        raise
    except Exception as exc:  # driver errors differ by engine; say where and why
        if location.encrypted and "not a database" in str(exc):
            raise _not_opened_with_key(location.sqlite_file.absolute()) from None
        raise StorageError(f"cannot open {location.describe()}: {str(exc).strip().splitlines()[0]}") from None
    return db


def _encrypted_database(location: DatabaseLocation, target: str) -> Database:
    """A peewee SqlCipherDatabase for the encrypted file (a wrong passphrase is told by `connect`)."""
    sqlite_driver(location)  # says what to install when SQLCipher is missing
    from playhouse.sqlcipher_ext import SqlCipherDatabase

    return SqlCipherDatabase(target, uri=True, passphrase=passphrase_for(location.sqlite_file),
                             pragmas=dict(SQLITE_PRAGMAS))


def change_passphrase(new_passphrase: str) -> None:
    """PRAGMA rekey on the bound encrypted database: every page is written again under the new passphrase.

    Only this thread's connection may be open (the CLI's).  The new passphrase is used
    for later connections and remembered for the file.
    """
    db = database.obj
    file = _bound_sqlite_file()
    if db is None or file is None or not parse_database_url(_bound_url).encrypted:
        raise StorageError("no encrypted database is open")
    keep_out_of_log(new_passphrase)
    conn = db.connection()
    try:
        conn.execute(key_statement(new_passphrase, "rekey"))
    except Exception as exc:
        fault = storage_fault(exc, str(file.absolute()))
        if fault is not None:
            raise fault from None
        raise
    db.connect_params["passphrase"] = new_passphrase
    remember_passphrase(file, new_passphrase)


def _create_empty_sqlite_file(file: Path) -> None:
    """The folder and an empty file for a new SQLite database (an existing file is left as it is)."""
    try:
        file.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise StorageError(f"cannot create the folder for the database {file}: {exc.strerror}") from None
    try:
        sqlite3.connect(file).close()
    except sqlite3.Error as exc:
        raise StorageError(f"cannot create the database {file}: {exc}") from None


def bind(db: Database, url: str) -> None:
    """Bind `database` to an opened, up-to-date database."""
    global _bound_url
    database.initialize(db)
    _bound_url = url


def bound_database_url() -> str | None:
    """The URL `database` is bound to (None when closed)."""
    return _bound_url


def release_connection() -> None:
    """Close the calling thread's connection (peewee keeps one per thread); the next query reopens it.

    Background workers call this when their work is done, so a PostgreSQL server does not
    keep a connection for every thread that ever read the caseload.
    """
    if database.obj is not None and not database.obj.is_closed():
        database.obj.close()


def close_database() -> None:
    global _bound_url
    if database.obj is not None:
        database.obj.close()
        database.initialize(None)
    _bound_url = None


def bound_database_place() -> str:
    """Where the bound database is, for messages: the absolute SQLite file, or the PostgreSQL database."""
    if _bound_url is None:
        return "the database"
    location = parse_database_url(_bound_url)
    file = location.sqlite_file
    return str(file.absolute()) if file is not None else location.describe()


def _bound_sqlite_file() -> Path | None:
    return parse_database_url(_bound_url).sqlite_file if _bound_url is not None else None


# What the drivers say for the faults a write can meet (sqlite3's words; PostgreSQL's SQLSTATE and words).
_DISK_FULL_WORDS = ("database or disk is full", "could not extend file", "no space left on device")
_DISK_FULL_SQLSTATE = "53100"  # disk_full
_READ_ONLY_WORDS = ("attempt to write a readonly database", "read-only file system", "readonly database")


def _causes(exc: BaseException) -> Iterator[BaseException]:
    """The exception and what led to it: its cause and context, and a wrapped driver error."""
    seen: set[int] = set()
    pending = [exc]
    while pending:
        current = pending.pop(0)
        if current is None or id(current) in seen:
            continue
        seen.add(id(current))
        yield current
        pending.extend((current.__cause__, current.__context__, getattr(current, "orig", None)))
        pending.extend(arg for arg in current.args if isinstance(arg, BaseException))


def storage_fault(exc: BaseException, place: str) -> StorageError | None:
    """The StorageError a failed write means (disk full, read-only), or None if it is no storage fault.

    Looks through the whole chain, so a later "cannot rollback - no transaction is active"
    (SQLite rolls back by itself when the disk is full) never hides the first cause.
    """
    for cause in _causes(exc):
        if isinstance(cause, StorageError):
            return cause
        text = str(cause).lower()
        if getattr(cause, "pgcode", None) == _DISK_FULL_SQLSTATE or any(w in text for w in _DISK_FULL_WORDS):
            return StorageError(f"the disk holding {place} is full; nothing was saved")
        if any(w in text for w in _READ_ONLY_WORDS):
            return StorageError(f"{place} is read-only; nothing was saved")
    return None


def refuse_read_only_file() -> None:
    """StorageError when the bound SQLite file cannot be written (checked before a write starts)."""
    file = _bound_sqlite_file()
    if file is not None and file.exists() and not os.access(file, os.W_OK):
        raise StorageError(f"{file.absolute()} is read-only; nothing was saved")


#: How many times a write waits the busy timeout for the write lock before giving up.  A writer
#: that commits and at once begins again can win SQLite's lock many times in a row (the waiter
#: polls), so one timeout is not always a fair turn.
SQLITE_WRITE_LOCK_ATTEMPTS = 3


@contextmanager
def write_transaction() -> Iterator[None]:
    """One write transaction (a savepoint when nested): IMMEDIATE on SQLite, plain on PostgreSQL.

    A storage fault inside it (disk full, a read-only file) comes out as a StorageError
    naming the place, after the transaction is rolled back; other errors pass unchanged.
    """
    db = database.obj
    if db is None:
        raise StorageError("no database is open")
    outermost = db.transaction_depth() == 0
    if outermost:
        refuse_read_only_file()
    try:
        if outermost and isinstance(db, SqliteDatabase):
            transaction = _begin_immediate(db)
        else:
            transaction = db.atomic()
            transaction.__enter__()
        try:
            yield
        except BaseException:
            if not transaction.__exit__(*sys.exc_info()):
                raise
        else:
            transaction.__exit__(None, None, None)
    except PaoClinicError:  # the service's own refusal (validation, conflict, ...): as it is
        raise
    except Exception as exc:
        fault = storage_fault(exc, bound_database_place())
        if fault is None or fault is exc:
            raise
        raise fault from None


def _begin_immediate(db: SqliteDatabase):
    """BEGIN IMMEDIATE, waiting the busy timeout up to SQLITE_WRITE_LOCK_ATTEMPTS times; the entered transaction."""
    for attempt in range(1, SQLITE_WRITE_LOCK_ATTEMPTS + 1):
        transaction = db.atomic(lock_type="IMMEDIATE")
        try:
            transaction.__enter__()
            return transaction
        except OperationalError as exc:
            if "database is locked" not in str(exc):
                raise
            if attempt == SQLITE_WRITE_LOCK_ATTEMPTS:
                seconds = SQLITE_WRITE_LOCK_ATTEMPTS * SQLITE_BUSY_TIMEOUT_MS // 1000
                raise StorageError(f"{bound_database_place()} is busy: another change has been writing to it "
                                   f"for more than {seconds} s; nothing was saved, try again") from None
    raise AssertionError("unreachable")


class QueryCount:
    """How many SQL statements ran inside `counting_queries()`."""

    def __init__(self) -> None:
        self.statements: list[str] = []

    @property
    def count(self) -> int:
        return len(self.statements)


_counts: list[QueryCount] = []  # the counts of the `counting_queries` blocks under way


def note_statement(sql: str) -> None:
    """A statement sent to the bound database without `execute_sql` (a COPY), for `counting_queries`."""
    for count in _counts:
        count.statements.append(sql)


class counting_queries:
    """Count the statements the bound database runs in a block (for tests and `make bench`)."""

    def __enter__(self) -> QueryCount:
        self.result = QueryCount()
        db = database.obj
        self.original = db.execute_sql

        def execute_sql(sql, params=None, *args, **kwargs):
            self.result.statements.append(sql)
            return self.original(sql, params, *args, **kwargs)

        db.execute_sql = execute_sql
        _counts.append(self.result)
        return self.result

    def __exit__(self, *exc) -> None:
        _counts.remove(self.result)
        del database.obj.execute_sql  # back to the class's method
