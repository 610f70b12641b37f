"""The one database binding: a URL parsed in one place, bound once to `database`.

URLs:
- `sqlite:///relative/path.sqlite`, `sqlite:////absolute/path.sqlite`, `sqlite:///:memory:`
- `postgresql://user[:password]@host[:port]/dbname` (also `postgres://`); a password
  may come from PGPASSWORD or ~/.pgpass instead of the URL.

Chosen by `--database URL`, else the environment variable PAO_CLINIC_DATABASE, else
the SQLite file in the user's data directory (`default_database_url()`).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import unquote, urlsplit

from peewee import Database, DatabaseProxy, PostgresqlDatabase, SqliteDatabase

from .errors import StorageError

DATABASE_ENV = "PAO_CLINIC_DATABASE"
SQLITE_BUSY_TIMEOUT_MS = 10_000

#: Every model is bound to this proxy; `open_database` initialises it.
database = DatabaseProxy()
_bound_url: str | None = None


@dataclass(frozen=True, slots=True)
class DatabaseLocation:
    """A parsed database URL."""

    engine: str  # "sqlite" | "postgresql"
    path: str | None = None  # sqlite: file path or ":memory:"
    name: str | None = None  # postgresql
    user: str | None = None
    password: str | None = None
    host: str | None = None
    port: int | None = None

    @property
    def sqlite_file(self) -> Path | None:
        if self.engine == "sqlite" and self.path and self.path != ":memory:":
            return Path(self.path)
        return None

    def describe(self) -> str:
        """The location for people (never shows a password)."""
        if self.engine == "sqlite":
            return f"SQLite {self.path}"
        where = f"{self.host or 'local socket'}{':' + str(self.port) if self.port else ''}"
        return f"PostgreSQL {self.name} on {where}"


def default_database_url() -> str:
    from platformdirs import user_data_dir

    folder = Path(user_data_dir("pao-clinic", appauthor=False))
    return f"sqlite:///{folder / 'pao-clinic.sqlite'}"


def database_url_from(explicit: str | None, environ: dict[str, str] | None = None) -> str:
    """`--database` if given, else PAO_CLINIC_DATABASE, else the default file."""
    environ = os.environ if environ is None else environ
    return explicit or environ.get(DATABASE_ENV) or default_database_url()


def parse_database_url(url: str) -> DatabaseLocation:
    if not isinstance(url, str) or "://" not in url:
        raise StorageError(
            f"database URL '{url}' is not understood: use sqlite:///path or postgresql://user@host:port/db"
        )
    scheme = url.split("://", 1)[0].lower()
    if scheme == "sqlite":
        path = unquote(url[len("sqlite:///"):]) if url.lower().startswith("sqlite:///") else ""
        if not path:
            raise StorageError(f"database URL '{url}' has no file path: use sqlite:///path/to/file.sqlite")
        return DatabaseLocation(engine="sqlite", path=path)
    if scheme in ("postgresql", "postgres"):
        parts = urlsplit(url)
        name = unquote(parts.path.lstrip("/"))
        if not name:
            raise StorageError(f"database URL '{_without_password(url)}' names no database: postgresql://user@host:port/dbname")
        try:
            port = parts.port
        except ValueError:
            raise StorageError(f"database URL '{_without_password(url)}' has a port that is not a number") from None
        return DatabaseLocation(
            engine="postgresql",
            name=name,
            user=unquote(parts.username) if parts.username else None,
            password=unquote(parts.password) if parts.password else None,
            host=parts.hostname,
            port=port,
        )
    if scheme == "sqlcipher":
        raise StorageError("encrypted databases (sqlcipher://) are not available in this version yet")
    raise StorageError(f"database URL scheme '{scheme}' is not supported: use sqlite:/// or postgresql://")


def _without_password(url: str) -> str:
    parts = urlsplit(url)
    if parts.password:
        return url.replace(":" + parts.password + "@", ":***@", 1)
    return url


def connect(location: DatabaseLocation) -> Database:
    """A connected peewee database for the location (not yet migrated or bound)."""
    if location.engine == "sqlite":
        file = location.sqlite_file
        if file is not None:
            try:
                file.parent.mkdir(parents=True, exist_ok=True)
            except OSError as exc:
                raise StorageError(f"cannot create the folder for the database {file}: {exc.strerror}") from None
        db: Database = SqliteDatabase(
            location.path,
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


def open_database(url: str) -> Database:
    """Parse, connect, bring the schema up to date and bind `database`. Returns the database."""
    from .migrations import upgrade_schema

    location = parse_database_url(url)
    db = connect(location)
    try:
        upgrade_schema(db, location)
    except Exception:
        db.close()
        raise
    global _bound_url
    database.initialize(db)
    _bound_url = url
    return db


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
