"""Backup files of an SQLite database: made with SQLite's backup API, checked, kept in rotation, put back.

- Where: the backup folder (`environment.backup_folder`: PAO_CLINIC_BACKUP_DIR, else
  `backups/` beside the database file), each named `<stem>-<YYYYMMDDTHHMMSSZ><suffix>`
  with the UTC time it was made, e.g. `pao-clinic-20260514T093000Z.sqlite`.
- Made: SQLite's online backup API copies the live file, from a connection of its own
  (a consistent copy, WAL included, while others keep working), into a partial file
  in the folder.  The copy is a single file (journal mode DELETE).  It counts only once
  it passes `check_database_file` (`PRAGMA integrity_check`, our application_id, a
  schema this version understands); then it is renamed into its name.  A copy that
  fails is removed and the failure said: a bad backup never pushes a good one out.
- Encrypted: the backup of an SQLCipher file is made between two SQLCipher
  connections keyed with the database's passphrase, so it is encrypted the same way.
- Kept: the newest backup of each of the last 7 days (today and the six before) and
  the newest of each of the last 4 ISO weeks (this week and the three before); other
  files named as this database's backups are removed.  A backup dated after today
  (a clock put back) is kept.
- Put back: `put_in_place` keeps the current file aside as `<name>.before-restore-<time>`
  (a hard link, so the name never points at nothing) and moves a checked copy over
  the name in one rename.
"""

from __future__ import annotations

import os
import re
import shutil
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from typing import Iterable

from pao_clinic.environment import backup_folder
from pao_clinic.errors import StorageError
from pao_clinic.storage.connection import (
    PAO_CLINIC_APPLICATION_ID, PassphraseError, integrity_findings, is_plain_sqlite_file, sqlite_driver,
    sqlite_file_connection,
)
from pao_clinic.storage.location import DatabaseLocation
from pao_clinic.storage.migrations import CURRENT_SCHEMA_VERSION

#: The UTC time in a backup's name.
BACKUP_TIME_FORMAT = "%Y%m%dT%H%M%SZ"
KEEP_DAYS = 7
KEEP_WEEKS = 4


class BackupRefused(StorageError):
    """A file that cannot serve as a backup (or be restored): not ours, damaged, or too new."""


@dataclass(frozen=True, slots=True)
class BackupFile:
    """One backup in the folder: its path and when it was made (UTC, from its name)."""

    path: Path
    made_at: datetime


def utc_stamp(moment: datetime) -> str:
    return moment.astimezone(timezone.utc).strftime(BACKUP_TIME_FORMAT)


def folder_for(location: DatabaseLocation) -> Path:
    """The backup folder of the SQLite database."""
    return backup_folder(_file(location))


def backup_name(location: DatabaseLocation, made_at: datetime) -> str:
    file = _file(location)
    return f"{file.stem}-{utc_stamp(made_at)}{file.suffix or '.sqlite'}"


def backups_of(location: DatabaseLocation, folder: Path | None = None) -> list[BackupFile]:
    """The database's backups in the folder, newest first (only files named as its backups)."""
    folder = folder_for(location) if folder is None else folder
    file = _file(location)
    pattern = re.compile(re.escape(file.stem) + r"-(\d{8}T\d{6}Z)" + re.escape(file.suffix or ".sqlite"))
    found = []
    try:
        candidates = list(folder.iterdir())
    except OSError:
        return []
    for path in candidates:
        match = pattern.fullmatch(path.name)
        if match is None or not path.is_file():
            continue
        made_at = datetime.strptime(match.group(1), BACKUP_TIME_FORMAT).replace(tzinfo=timezone.utc)
        found.append(BackupFile(path=path, made_at=made_at))
    return sorted(found, key=lambda b: b.made_at, reverse=True)


def backups_to_keep(backups: Iterable[BackupFile], today: date) -> set[Path]:
    """The newest backup of each of the last KEEP_DAYS days and of each of the last KEEP_WEEKS ISO weeks."""
    backups = sorted(backups, key=lambda b: b.made_at, reverse=True)
    days = {today - timedelta(days=n) for n in range(KEEP_DAYS)}
    this_monday = today - timedelta(days=today.weekday())
    weeks = {this_monday - timedelta(weeks=n) for n in range(KEEP_WEEKS)}
    keep: set[Path] = set()
    days_seen: set[date] = set()
    weeks_seen: set[date] = set()
    for backup in backups:
        day = backup.made_at.astimezone(timezone.utc).date()
        monday = day - timedelta(days=day.weekday())
        if day > today:
            keep.add(backup.path)  # made "after today": the clock was put back; never ours to judge
            continue
        if day in days and day not in days_seen:
            days_seen.add(day)
            keep.add(backup.path)
        if monday in weeks and monday not in weeks_seen:
            weeks_seen.add(monday)
            keep.add(backup.path)
    return keep


def prune_backups(location: DatabaseLocation, today: date, folder: Path | None = None) -> list[Path]:
    """Remove the backups rotation does not keep; the paths removed."""
    backups = backups_of(location, folder)
    keep = backups_to_keep(backups, today)
    removed = []
    for backup in backups:
        if backup.path not in keep:
            try:
                backup.path.unlink()
            except OSError:
                continue  # left for the next rotation; never a reason to fail a backup that was made
            removed.append(backup.path)
    return removed


def check_database_file(location: DatabaseLocation, file: Path, *, thorough: bool = True) -> int:
    """That `file` is a whole PAO Clinic database this version can open (opened as `location` is); its schema version.

    Read only.  BackupRefused naming the file and the reason: not an SQLite file,
    another program's, damaged (`integrity_check`, or `quick_check` when not
    `thorough`), or a newer schema.  A wrong passphrase is WrongPassphrase.
    """
    file = file.absolute()
    if not file.is_file():
        raise BackupRefused(f"there is no file at {file}" if not file.exists() else f"{file} is a folder, not a file")
    if file.stat().st_size == 0:
        raise BackupRefused(f"{file} is not a PAO Clinic database: it is empty")
    if not location.encrypted and not is_plain_sqlite_file(file):
        raise BackupRefused(f"{file} is not a PAO Clinic database: it is not an SQLite file"
                            " (an encrypted one is opened with --database sqlcipher:///PATH)")
    driver = sqlite_driver(location)
    try:
        conn = sqlite_file_connection(location, file, mode="ro")
    except PassphraseError:
        raise
    except StorageError as exc:
        raise BackupRefused(str(exc)) from None
    except driver.Error as exc:
        raise BackupRefused(f"cannot read {file}: {exc}") from None
    try:
        try:
            check = "integrity_check" if thorough else "quick_check"
            findings = integrity_findings(conn, check)
            if findings != ["ok"]:
                raise BackupRefused(f"{file} is damaged ({check}: {'; '.join(findings[:3])})")
            application_id = conn.execute("PRAGMA application_id").fetchone()[0]
            tables = {name for (name,) in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
            if application_id not in (0, PAO_CLINIC_APPLICATION_ID) or "schema_version" not in tables:
                raise BackupRefused(f"{file} is not a PAO Clinic database: it holds another program's tables"
                                    if tables else f"{file} is not a PAO Clinic database: it holds no tables")
            rows = conn.execute("SELECT version FROM schema_version").fetchall()
        except driver.DatabaseError as exc:
            raise BackupRefused(f"{file} is damaged ({exc})") from None
    finally:
        conn.close()
    if len(rows) != 1 or type(rows[0][0]) is not int:
        raise BackupRefused(f"{file} is damaged (its schema_version table does not hold one version number)")
    version = rows[0][0]
    if version > CURRENT_SCHEMA_VERSION:
        raise BackupRefused(f"{file} was written by a newer version of PAO Clinic (schema {version}; this version "
                            f"understands up to {CURRENT_SCHEMA_VERSION})")
    return version


def copy_database(location: DatabaseLocation, target: Path, *, source: Path | None = None) -> int:
    """A checked copy of the database (or of `source`, opened the same way) at `target`; its schema version.

    Written to a partial file beside `target` with the backup API, made a single file,
    checked, then renamed over `target`.  On any failure the partial file is removed.
    """
    source = (_file(location) if source is None else source).absolute()
    target = target.absolute()
    partial = target.with_name(f".{target.name}.{os.getpid()}.partial")
    driver = sqlite_driver(location)
    try:
        if not target.parent.exists():
            target.parent.mkdir(mode=0o700, parents=True)  # a new backup folder is the owner's only
        partial.unlink(missing_ok=True)
        os.close(os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))  # patients' data: the owner's only
        from_conn = sqlite_file_connection(location, source, mode="ro")
        try:
            to_conn = sqlite_file_connection(location, partial, mode="rwc")
            try:
                from_conn.backup(to_conn)
                to_conn.execute("PRAGMA journal_mode = DELETE")  # one file, nothing beside it to lose
            finally:
                to_conn.close()
        finally:
            from_conn.close()
        version = check_database_file(location, partial)
        os.replace(partial, target)
    except OSError as exc:
        _remove_partial(partial)
        raise StorageError(f"cannot write the backup {target}: {exc.strerror or exc}") from None
    except driver.Error as exc:
        _remove_partial(partial)
        raise StorageError(f"cannot copy {source} to {target}: {exc}") from None
    except BaseException:
        _remove_partial(partial)
        raise
    return version


def make_backup(location: DatabaseLocation, now: datetime, folder: Path | None = None) -> BackupFile:
    """A checked backup of the database in the backup folder, named by `now` (UTC)."""
    folder = folder_for(location) if folder is None else folder
    path = folder / backup_name(location, now)
    copy_database(location, path)
    return BackupFile(path=path, made_at=now.astimezone(timezone.utc).replace(microsecond=0))


def newest_good_backup(location: DatabaseLocation, folder: Path | None = None) -> BackupFile | None:
    """The newest backup that passes `quick_check` (and is ours, not too new); None when there is none."""
    for backup in backups_of(location, folder):
        try:
            check_database_file(location, backup.path, thorough=False)
        except StorageError:
            continue
        return backup
    return None


def aside_name(file: Path, now: datetime) -> Path:
    """Where the current file is kept when a backup is restored over it."""
    return file.with_name(f"{file.name}.before-restore-{utc_stamp(now)}")


def put_in_place(location: DatabaseLocation, ready: Path, now: datetime) -> Path | None:
    """Move the checked copy `ready` over the database file, keeping the current file aside; the aside path.

    The current file (if any) is hard-linked to its aside name (copied where links are
    not possible), its -wal moved beside the aside copy (a journal must never be
    replayed over another file) and its -shm removed; then `ready` is renamed over the
    name in one step.  Returns None when there was no current file.
    """
    file = _file(location).absolute()
    aside = aside_name(file, now) if file.exists() else None
    try:
        if aside is not None:
            try:
                os.link(file, aside)
            except OSError:
                shutil.copy2(file, aside)
            wal = file.with_name(file.name + "-wal")
            if wal.exists():
                os.replace(wal, aside.with_name(aside.name + "-wal"))
            file.with_name(file.name + "-shm").unlink(missing_ok=True)
        os.replace(ready, file)
    except OSError as exc:
        raise StorageError(f"cannot put the restored database in place at {file}: {exc.strerror or exc}") from None
    return aside


def _remove_partial(partial: Path) -> None:
    for path in (partial, partial.with_name(partial.name + "-journal"), partial.with_name(partial.name + "-wal"),
                 partial.with_name(partial.name + "-shm")):
        try:
            path.unlink(missing_ok=True)
        except OSError:
            pass


def _file(location: DatabaseLocation) -> Path:
    file = location.sqlite_file
    if file is None:
        raise StorageError(f"{location.describe()} is not an SQLite file: it has no backup file of ours")
    return file
