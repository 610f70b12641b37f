"""Backups of the clinic's SQLite database, and putting one back.

- `back_up_database(actor)`: a checked copy of the bound database in the backup folder
  (or at `output`), then the rotation (7 daily, 4 weekly), and an audit entry
  (record type "database", action "backed_up") naming the file.  From the command
  line it is an admin's task (`BACKUP_ROLES`); the desktop's scheduled and on-exit
  backups (`scheduled=True`) are the app's own duty and run for whoever is signed in
  (`SCHEDULED_BACKUP_ROLES`): a clinic whose staff are all nurses still gets its backups.
- `restore_database(url, file, sign_in)`: refuses a file that is not a PAO Clinic
  database, fails `integrity_check`, has a newer schema or another passphrase, leaving
  the current file untouched; signs in (as an admin) against the backup's own users,
  since the current file may be too damaged to read; keeps the current file aside as
  `NAME.before-restore-<UTC time>`, moves a checked copy into place in one rename, and
  writes the audit entry ("restored", naming the file it came from) into the restored
  database.
- PostgreSQL: the server's administrator backs it up with pg_dump; these refuse with
  that advice (`NotOursToBackUp`) rather than pretend.

An encrypted database's backups are encrypted with its passphrase (see
`storage.backup_files`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Callable

from pao_clinic.errors import StorageError
from pao_clinic.storage.backup_files import (
    BackupFile, backups_of, check_database_file, copy_database, folder_for, make_backup, prune_backups,
    put_in_place,
)
from pao_clinic.storage.connection import (
    bound_database_url, close_database, forget_passphrase, passphrase_for, remember_passphrase,
)
from pao_clinic.storage.location import DatabaseLocation, parse_database_url
from pao_clinic.storage.migrations import upgrade_copies
from pao_clinic.storage.opening import open_database
from pao_clinic.services.session import ADMIN_ROLES, CLINICAL_ROLES, Actor, clinical_write, require_role

#: Who may back the database up with `pao-clinic backup`, and restore it.
BACKUP_ROLES = ADMIN_ROLES
#: Whose session makes the desktop's scheduled and on-exit backups: anyone signed in.
SCHEDULED_BACKUP_ROLES = ADMIN_ROLES + CLINICAL_ROLES
RECORD_TYPE = "database"


class NotOursToBackUp(StorageError):
    """A PostgreSQL database: its server's administrator backs it up (pg_dump), not PAO Clinic."""


@dataclass(frozen=True, slots=True)
class BackupMade:
    """A backup that was made and checked."""

    path: Path
    made_at: datetime
    schema_version: int
    encrypted: bool
    kept: int = 0                      # backups in the folder after rotation (0 when written elsewhere with -o)
    removed: tuple[Path, ...] = ()     # older backups rotation removed


@dataclass(frozen=True, slots=True)
class RestoreDone:
    """What `restore_database` did."""

    database: Path
    restored_from: Path
    kept_aside: Path | None
    schema_version: int


def pg_dump_advice(location: DatabaseLocation) -> str:
    who = f" -U {location.user}" if location.user else ""
    where = (f" -h {location.host}" if location.host else "") + (f" -p {location.port}" if location.port else "")
    return (f"{location.describe()} is backed up by its server's administrator, not by PAO Clinic: "
            f"pg_dump -Fc{who}{where} -f {location.name}.dump {location.name} (and pg_restore to put it back)")


def _sqlite_location(url: str) -> DatabaseLocation:
    location = parse_database_url(url)
    if location.engine == "postgresql":
        raise NotOursToBackUp(pg_dump_advice(location))
    if location.sqlite_file is None:
        raise StorageError("an in-memory database has no file to back up")
    return location


def backup_folder_for(url: str) -> Path:
    """The folder the database's backups go to (PAO_CLINIC_BACKUP_DIR, else `backups` beside the file)."""
    return folder_for(_sqlite_location(url))


def backups_kept(url: str) -> list[BackupFile]:
    """The database's backups in its backup folder, newest first."""
    return backups_of(_sqlite_location(url))


def refuse_unless_backed_up_here(url: str) -> None:
    """NotOursToBackUp for a PostgreSQL URL (before anything is opened)."""
    _sqlite_location(url)


def is_backed_up_by_the_app(url: str) -> bool:
    """True for an SQLite file (plain or encrypted); False for PostgreSQL or an in-memory database."""
    location = parse_database_url(url)
    return location.engine == "sqlite" and location.sqlite_file is not None


def back_up_database(actor: Actor | None, *, output: Path | None = None, now: datetime | None = None,
                     scheduled: bool = False) -> BackupMade:
    """A checked backup of the bound database, the rotation, and its audit entry (see the module doc)."""
    url = bound_database_url()
    if url is None:
        raise StorageError("no database is open to back up")
    roles = SCHEDULED_BACKUP_ROLES if scheduled else BACKUP_ROLES
    what = "Backing up the database"
    require_role(actor, roles, what)
    location = _sqlite_location(url)
    now = (now or datetime.now(timezone.utc)).astimezone(timezone.utc).replace(microsecond=0)
    if output is not None:
        version = copy_database(location, Path(output))
        made = BackupFile(path=Path(output).absolute(), made_at=now)
    else:
        made = make_backup(location, now)
        version = check_database_file(location, made.path, thorough=False)  # as make_backup checked it
    with clinical_write(actor, roles, what) as audit:
        audit.record("backed_up", RECORD_TYPE, None, after={
            "file": str(made.path), "made_at": now, "scheduled": scheduled, "encrypted": location.encrypted})
    removed: tuple[Path, ...] = ()
    kept = 0
    if output is None:
        removed = tuple(prune_backups(location, now.date()))
        kept = len(backups_of(location))
    return BackupMade(path=made.path, made_at=now, schema_version=version, encrypted=location.encrypted,
                      kept=kept, removed=removed)


def backup_is_due(url: str, now: datetime, every: timedelta) -> bool:
    """Whether the newest backup in the folder is older than `every` (or there is none)."""
    backups = backups_of(_sqlite_location(url))
    return not backups or now.astimezone(timezone.utc) - backups[0].made_at >= every


def restore_database(url: str, backup: Path, sign_in: Callable[[], Actor], *,
                     now: datetime | None = None) -> RestoreDone:
    """Put the backup in place of the database at `url` (not bound); see the module doc.

    `sign_in` is called with the backup's copy bound, and must give an admin of it.
    """
    location = _sqlite_location(url)
    if bound_database_url() is not None:
        raise StorageError("close the database before restoring a backup over it")
    now = (now or datetime.now(timezone.utc)).astimezone(timezone.utc).replace(microsecond=0)
    backup = Path(backup).absolute()
    file = location.sqlite_file.absolute()
    if backup == file:
        raise StorageError(f"{backup} is the database itself; name a backup to restore")
    check_database_file(location, backup)
    staging = file.with_name(f".restoring-{now.strftime('%Y%m%dT%H%M%SZ')}-{file.stem}{file.suffix or '.sqlite'}")
    what = "Restoring the database"
    if location.encrypted:
        remember_passphrase(staging, passphrase_for(file))
    try:
        version = copy_database(location, staging, source=backup)
        open_database(location.file_url(staging))  # an older backup's schema is brought up to date here
        try:
            actor = sign_in()
            require_role(actor, BACKUP_ROLES, what)
        finally:
            close_database()
        for copy in upgrade_copies(staging):  # the backup itself is the copy from before that upgrade
            copy.unlink(missing_ok=True)
        aside = put_in_place(location, staging, now)
    finally:
        for leftover in (staging, *(staging.with_name(staging.name + end) for end in ("-wal", "-shm", "-journal"))):
            leftover.unlink(missing_ok=True)
        forget_passphrase(staging)
    open_database(url)
    try:
        with clinical_write(actor, BACKUP_ROLES, what) as audit:
            audit.record("restored", RECORD_TYPE, None, after={
                "from": str(backup), "kept_aside": None if aside is None else str(aside), "at": now})
    finally:
        close_database()
    return RestoreDone(database=file, restored_from=backup, kept_aside=aside, schema_version=version)

