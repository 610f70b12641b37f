"""The one database binding: `database`, a proxy every model is bound to.

`connect()` makes a peewee database for a parsed location; `opening.open_database`
(the one way in) connects, upgrades the schema and binds it here.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

from peewee import Database, DatabaseProxy, PostgresqlDatabase, SqliteDatabase

from pao_clinic.errors import StorageError
from pao_clinic.storage.location import DatabaseLocation

SQLITE_BUSY_TIMEOUT_MS = 10_000

#: Every model is bound to this proxy; `opening.open_database` initialises it.
database = DatabaseProxy()
_bound_url: str | None = None


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
        db: Database = SqliteDatabase(
            target,
            uri=uri,
            pragmas={
                "journal_mode": "wal",
                "foreign_keys": 1,
                "busy_timeout": SQLITE_BUSY_TIMEOUT_MS,
                "synchronous": "normal",
            },
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
    except Exception as exc:  # driver errors differ by engine; say where and why
        raise StorageError(f"cannot open {location.describe()}: {str(exc).strip().splitlines()[0]}") from None
    return db


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


class QueryCount:
    """How many SQL statements ran inside `counting_queries()`."""

    def __init__(self) -> None:
        self.statements: list[str] = []

    @property
    def count(self) -> int:
        return len(self.statements)


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
        return self.result

    def __exit__(self, *exc) -> None:
        del database.obj.execute_sql  # back to the class's method
