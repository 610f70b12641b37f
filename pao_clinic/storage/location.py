"""Where the database is: a URL parsed in one place.

URLs:
- `sqlite:///relative/path.sqlite`, `sqlite:////absolute/path.sqlite`, `sqlite:///:memory:`
- `postgresql://user[:password]@host[:port]/dbname` (also `postgres://`); a password
  may come from PGPASSWORD or ~/.pgpass instead of the URL.
- `sqlcipher:///relative/path.sqlite`, `sqlcipher:////absolute/path.sqlite`: an SQLite
  file encrypted with SQLCipher.  Its passphrase is never part of the URL (URLs are
  shown and logged): it comes from PAO_CLINIC_PASSPHRASE or is asked for
  (`connection.remember_passphrase`).  Its engine is "sqlite" with `encrypted` set, so
  everything true of an SQLite file (a path, WAL, backups beside it) holds for it too.

Chosen by `--database URL`, else the environment variable PAO_CLINIC_DATABASE, else
the SQLite file in the user's data directory (`default_database_url()`).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import unquote, urlsplit

from pao_clinic.environment import DATABASE_ENV, default_database_file
from pao_clinic.errors import StorageError

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
    encrypted: bool = False  # sqlite only: an SQLCipher file (sqlcipher:///)

    @property
    def sqlite_file(self) -> Path | None:
        if self.engine == "sqlite" and self.path and self.path != ":memory:":
            return Path(self.path)
        return None

    def describe(self) -> str:
        """The location for people (never shows a password)."""
        if self.engine == "sqlite":
            return f"encrypted SQLite {self.path}" if self.encrypted else f"SQLite {self.path}"
        where = f"{self.host or 'local socket'}{':' + str(self.port) if self.port else ''}"
        return f"PostgreSQL {self.name} on {where}"

    def file_url(self, file: Path | None = None) -> str:
        """The URL of this SQLite file (or of `file`, e.g. a backup, opened the same way), with its absolute path."""
        file = self.sqlite_file if file is None else file
        if self.engine != "sqlite" or file is None:
            raise ValueError(f"{self.describe()} is not an SQLite file")
        return f"{'sqlcipher' if self.encrypted else 'sqlite'}:///{file.absolute()}"


def default_database_url() -> str:
    return f"sqlite:///{default_database_file()}"


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
    if scheme in ("sqlite", "sqlcipher"):
        prefix = f"{scheme}:///"
        path = unquote(url[len(prefix):]) if url.lower().startswith(prefix) else ""
        if not path:
            raise StorageError(f"database URL '{url}' has no file path: use {prefix}path/to/file.sqlite")
        if scheme == "sqlcipher" and path == ":memory:":
            raise StorageError("an encrypted database must be a file: use sqlcipher:///path/to/file.sqlite")
        return DatabaseLocation(engine="sqlite", path=path, encrypted=scheme == "sqlcipher")
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
    raise StorageError(f"database URL scheme '{scheme}' is not supported: use sqlite:///, sqlcipher:/// "
                       "or postgresql://")


def _without_password(url: str) -> str:
    parts = urlsplit(url)
    if parts.password:
        return url.replace(":" + parts.password + "@", ":***@", 1)
    return url
