"""Encryption at rest: SQLCipher databases (`sqlcipher:///path`), their passphrase, encrypting a copy, rekeying.

- The passphrase is asked for when the app or a command starts (the desktop's dialog,
  the terminal's hidden prompt) or read from PAO_CLINIC_PASSPHRASE, checked against
  the file (`use_passphrase`), and kept in this process's memory only; never in a file,
  and masked in the log.
- `encrypt_database(actor, target, passphrase)`: an admin makes an encrypted copy of
  the bound plain database with `sqlcipher_export`, checked (integrity_check, our
  mark, the same number of rows in every table) before it is put at `target`; the
  original is left exactly as it was, for the clinic to remove once the copy is in use.
  Its audit entry ("encrypted", naming the original) is written into the new database.
- `rekey_database(actor, new)`: an admin changes the passphrase in place (PRAGMA rekey).
  Backups made before keep the passphrase they were made with.
- Letters are stored in the database (`stored_document`), so they are encrypted with it;
  so are backups of an encrypted database.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

from pao_clinic.errors import Problem, StorageError, ValidationError
from pao_clinic.storage.backup_files import check_database_file
from pao_clinic.storage.connection import (
    PAO_CLINIC_APPLICATION_ID, bound_database_url, change_passphrase, close_database, has_passphrase,
    remember_passphrase, sqlite_driver, sqlite_file_connection,
)
from pao_clinic.storage.location import DatabaseLocation, parse_database_url
from pao_clinic.storage.opening import open_database
from pao_clinic.services.session import ADMIN_ROLES, Actor, clinical_write, require_role

MIN_PASSPHRASE_LENGTH = 10
MAX_PASSPHRASE_LENGTH = 1024
RECORD_TYPE = "database"


@dataclass(frozen=True, slots=True)
class EncryptedCopy:
    """An encrypted copy made by `encrypt_database`."""

    original: Path
    encrypted: Path
    url: str
    rows: int


def database_is_encrypted(url: str) -> bool:
    return parse_database_url(url).encrypted


def passphrase_is_needed(url: str) -> bool:
    """An encrypted database whose passphrase is not yet at hand (neither given in this process nor in the environment)."""
    location = parse_database_url(url)
    return location.encrypted and not has_passphrase(location.sqlite_file)


def database_file_name(url: str) -> str:
    """The database's file, absolute, for people."""
    file = parse_database_url(url).sqlite_file
    return str(file.absolute()) if file is not None else parse_database_url(url).describe()


def database_file_exists(url: str) -> bool:
    file = parse_database_url(url).sqlite_file
    return file is not None and file.is_file() and file.stat().st_size > 0


def new_passphrase_problems(passphrase: str, field: str = "passphrase") -> list[Problem]:
    """What is wrong with a passphrase chosen for a new or rekeyed database."""
    if len(passphrase) < MIN_PASSPHRASE_LENGTH:
        return [Problem(field, f"the passphrase must have at least {MIN_PASSPHRASE_LENGTH} characters")]
    if len(passphrase) > MAX_PASSPHRASE_LENGTH:
        return [Problem(field, f"the passphrase must have at most {MAX_PASSPHRASE_LENGTH} characters")]
    if any(ord(c) < 32 or ord(c) == 127 for c in passphrase):
        return [Problem(field, "the passphrase must not hold control characters (tabs, line ends)")]
    return []


def use_passphrase(url: str, passphrase: str) -> None:
    """Check the passphrase against the encrypted file (WrongPassphrase if it does not open it) and keep it for this process.

    For a file not made yet (a new encrypted clinic) the passphrase must be one a new
    database may have (ValidationError).
    """
    location = parse_database_url(url)
    if not location.encrypted:
        raise StorageError(f"{location.describe()} is not encrypted: it needs no passphrase")
    if not passphrase:
        raise ValidationError(Problem("passphrase", "give the passphrase"))
    file = location.sqlite_file
    if database_file_exists(url):
        sqlite_file_connection(location, mode="ro", passphrase=passphrase).close()
    else:
        problems = new_passphrase_problems(passphrase)
        if problems:
            raise ValidationError(problems)
    remember_passphrase(file, passphrase)


def encrypt_database(actor: Actor | None, target: Path, passphrase: str, *,
                     now: datetime | None = None) -> EncryptedCopy:
    """An encrypted, checked copy of the bound plain database at `target`, bound when done (see the module doc)."""
    what = "Encrypting the database"
    require_role(actor, ADMIN_ROLES, what)
    url = bound_database_url()
    location = parse_database_url(url) if url else None
    if location is None or location.engine != "sqlite" or location.sqlite_file is None:
        raise StorageError("encrypting works on an SQLite database file: open one with --database sqlite:///PATH")
    if location.encrypted:
        raise StorageError(f"{location.sqlite_file.absolute()} is encrypted already; "
                           "change its passphrase with `pao-clinic rekey`")
    problems = new_passphrase_problems(passphrase)
    if problems:
        raise ValidationError(problems)
    source = location.sqlite_file.absolute()
    target = Path(target).absolute()
    if target.exists():
        raise StorageError(f"there is already a file at {target}; nothing was changed (name a new file)")
    if not target.parent.is_dir():
        raise StorageError(f"cannot write {target}: the folder does not exist")
    encrypted = DatabaseLocation(engine="sqlite", path=str(target), encrypted=True)
    partial = target.with_name(f".{target.name}.{os.getpid()}.partial")
    driver = sqlite_driver(encrypted)
    now = (now or datetime.now(timezone.utc)).astimezone(timezone.utc).replace(microsecond=0)
    try:
        plain = driver.connect(f"{source.as_uri()}?mode=ro", uri=True)
        try:
            plain.execute("ATTACH DATABASE ? AS encrypted KEY ?", (str(partial), passphrase))
            plain.execute("SELECT sqlcipher_export('encrypted')")
            plain.execute("DETACH DATABASE encrypted")
            counts = _row_counts(plain)
        finally:
            plain.close()
        copy = sqlite_file_connection(encrypted, partial, passphrase=passphrase)
        try:
            copy.execute(f"PRAGMA application_id = {PAO_CLINIC_APPLICATION_ID}")  # sqlcipher_export leaves it 0
            copied = _row_counts(copy)
        finally:
            copy.close()
        remember_passphrase(target, passphrase)
        check_database_file(encrypted, partial)
        if copied != counts:
            differ = sorted(t for t in counts.keys() | copied.keys() if counts.get(t) != copied.get(t))
            raise StorageError(f"the encrypted copy does not hold the same rows as {source} "
                               f"({', '.join(differ)}); nothing was changed")
        os.link(partial, target)  # never over a file that appeared meanwhile
    except driver.Error as exc:
        raise StorageError(f"cannot make the encrypted copy {target}: {exc}; nothing was changed") from None
    except OSError as exc:
        raise StorageError(f"cannot write {target}: {exc.strerror or exc}; nothing was changed") from None
    finally:
        for leftover in (partial, partial.with_name(partial.name + "-journal")):
            leftover.unlink(missing_ok=True)
    close_database()
    new_url = encrypted.file_url()
    open_database(new_url)
    with clinical_write(actor, ADMIN_ROLES, what) as audit:
        audit.record("encrypted", RECORD_TYPE, None, after={"from": str(source), "at": now})
    return EncryptedCopy(original=source, encrypted=target, url=new_url, rows=sum(counts.values()))


def rekey_database(actor: Actor | None, new_passphrase: str) -> Path:
    """Change the bound encrypted database's passphrase in place (admin only, audited); the file."""
    what = "Changing the database's passphrase"
    require_role(actor, ADMIN_ROLES, what)
    url = bound_database_url()
    location = parse_database_url(url) if url else None
    if location is None or not location.encrypted:
        raise StorageError("only an encrypted database (sqlcipher:///PATH) has a passphrase to change")
    problems = new_passphrase_problems(new_passphrase, "new passphrase")
    if problems:
        raise ValidationError(problems)
    change_passphrase(new_passphrase)
    with clinical_write(actor, ADMIN_ROLES, what) as audit:
        audit.record("rekeyed", RECORD_TYPE, None)
    return location.sqlite_file.absolute()


def _row_counts(conn, schema: str = "main") -> dict[str, int]:
    tables = [name for (name,) in conn.execute(
        f"SELECT name FROM {schema}.sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'")]
    return {name: conn.execute(f'SELECT count(*) FROM {schema}."{name}"').fetchone()[0] for name in tables}
