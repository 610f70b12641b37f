"""Backups and restore of an SQLite database: real files, real damage, the rotation on fixed dates.

`pao-clinic backup` makes a checked copy (integrity_check, our mark) in the backup folder
and keeps 7 daily and 4 weekly; `pao-clinic restore FILE` refuses what is not a whole
PAO Clinic database of a schema this version knows, and otherwise keeps the current file
aside and puts the backup in its place, audited in the restored database.  A damaged
file at open names the newest good backup and the exact command that restores it.
"""

from __future__ import annotations

import hashlib
import json
import random
import shlex
import sqlite3
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

import pytest

from pao_clinic.demo import demo_caseload
from pao_clinic.errors import StorageError
from pao_clinic.services import Actor, import_records, patient_count
from pao_clinic.services.backups import back_up_database, backup_is_due
from pao_clinic.storage import backup_files
from pao_clinic.storage.backup_files import (
    BackupFile, BackupRefused, backups_of, backups_to_keep, check_database_file, prune_backups,
)
from pao_clinic.storage.connection import close_database
from pao_clinic.storage.location import parse_database_url
from pao_clinic.storage.models import AuditEntry
from pao_clinic.storage.opening import open_database

from .test_cli import fingerprint, in_database, run


def sha256(file: Path) -> str:
    return hashlib.sha256(file.read_bytes()).hexdigest()


def sqlite_path(url: str) -> Path:
    return Path(url[len("sqlite:///"):]).absolute()


def damage(file: Path, seed: int = 9) -> None:
    """Random bytes over three pages in the middle of the file, where the clinical rows are."""
    probe = sqlite3.connect(file)
    page_size, pages = (probe.execute(f"PRAGMA {p}").fetchone()[0] for p in ("page_size", "page_count"))
    probe.close()
    with file.open("r+b") as f:
        f.seek(page_size * (pages // 2))
        f.write(random.Random(seed).randbytes(page_size * 3))


def audit_entries(url: str, action: str) -> list[dict]:
    def read():
        return [json.loads(e.after) if e.after else {} for e in
                AuditEntry.select().where(AuditEntry.record_type == "database", AuditEntry.action == action)]
    return in_database(url, read)


@pytest.fixture
def admin_cli(sqlite_clinic, signed_in_env, monkeypatch):
    """The test SQLite clinic with three demo patients, closed; commands act as the admin."""
    import_records(sqlite_clinic.nurse, demo_caseload(3, seed=5, today=date.today()))
    close_database()
    monkeypatch.delenv("PAO_CLINIC_BACKUP_DIR", raising=False)
    signed_in_env("ada.admin")
    return sqlite_clinic


# --- rotation, on fixed dates ------------------------------------------------------------------

TODAY = date(2025, 3, 12)  # a Wednesday: its ISO week began on Monday 10 March


def at(day: date, hour: int) -> datetime:
    return datetime(day.year, day.month, day.day, hour, tzinfo=timezone.utc)


def test_rotation_keeps_the_newest_of_each_of_the_last_7_days_and_of_each_of_the_last_4_iso_weeks():
    backups = [BackupFile(path=Path(f"b{n}-{hour}"), made_at=at(TODAY - timedelta(days=n), hour))
               for n in range(0, 40) for hour in (9, 17)]
    kept = backups_to_keep(backups, TODAY)
    daily = {Path(f"b{n}-17") for n in range(7)}  # 12 March back to 6 March, the later of each day
    # ISO weeks: 10-16 March (its newest is today's), 3-9 March (the 9th), 24 Feb-2 Mar (2 March),
    # 17-23 Feb (23 February): the newest of each
    weekly = {Path("b0-17"), Path("b3-17"), Path("b10-17"), Path("b17-17")}
    assert kept == daily | weekly
    assert len(kept) == 9


def test_rotation_keeps_a_backup_dated_after_today_and_keeps_a_lone_old_one_only_within_four_weeks():
    future = BackupFile(path=Path("future"), made_at=at(TODAY + timedelta(days=2), 8))
    old = BackupFile(path=Path("old"), made_at=at(TODAY - timedelta(days=27), 8))     # week of 10 Feb: too old
    recent = BackupFile(path=Path("recent"), made_at=at(TODAY - timedelta(days=20), 8))  # week of 17 Feb
    assert backups_to_keep([future, old, recent], TODAY) == {Path("future"), Path("recent")}


def test_pruning_removes_only_this_databases_backups_that_rotation_drops(tmp_path):
    location = parse_database_url(f"sqlite:///{tmp_path / 'clinic.sqlite'}")
    folder = tmp_path / "backups"
    folder.mkdir()
    names = [f"clinic-{(TODAY - timedelta(days=n)).strftime('%Y%m%d')}T{hour:02d}0000Z.sqlite"
             for n in range(0, 30) for hour in (9, 17)]
    for name in names:
        (folder / name).write_bytes(b"x")
    other = folder / "other-20250101T000000Z.sqlite"     # another database's backup in a shared folder
    note = folder / "README.txt"
    for path in (other, note):
        path.write_bytes(b"x")
    removed = prune_backups(location, TODAY, folder)
    left = {p.name for p in folder.iterdir()}
    assert {other.name, note.name} <= left
    assert left - {other.name, note.name} == {
        f"clinic-{day}T170000Z.sqlite" for day in
        ("20250312", "20250311", "20250310", "20250309", "20250308", "20250307", "20250306",  # the last 7 days
         "20250302", "20250223")}                                                            # two weeks further back
    assert len(removed) == len(names) - 9
    assert [b.made_at for b in backups_of(location, folder)] == sorted(
        (b.made_at for b in backups_of(location, folder)), reverse=True)


# --- pao-clinic backup --------------------------------------------------------------------------

def test_an_admins_backup_is_a_checked_copy_in_the_backups_folder_beside_the_database_and_audited(admin_cli):
    file = sqlite_path(admin_cli.url)
    code, out, err = run("backup", "--database", admin_cli.url)
    assert code == 0, err
    [made] = list((file.parent / "backups").iterdir())
    assert made.name.startswith(f"{file.stem}-") and made.suffix == ".sqlite"
    assert f"backed up to {made} (checked: integrity ok, schema version " in out
    assert f"1 backup kept in {file.parent / 'backups'}" in out
    assert check_database_file(parse_database_url(admin_cli.url), made) >= 1
    assert in_database(f"sqlite:///{made}", patient_count) == 3
    assert not (made.parent / (made.name + "-wal")).exists()  # one file, nothing beside it to lose
    assert made.stat().st_mode & 0o077 == 0                   # patients' data: the owner's only
    [entry] = audit_entries(admin_cli.url, "backed_up")
    assert entry["file"] == str(made) and entry["scheduled"] is False


def test_backup_to_a_named_file_and_to_the_folder_in_pao_clinic_backup_dir(admin_cli, tmp_path, monkeypatch):
    target = tmp_path / "elsewhere" / "copy.sqlite"
    target.parent.mkdir()
    code, out, err = run("backup", "-o", str(target), "--database", admin_cli.url)
    assert code == 0, err
    assert in_database(f"sqlite:///{target}", patient_count) == 3
    assert "kept in" not in out
    monkeypatch.setenv("PAO_CLINIC_BACKUP_DIR", str(tmp_path / "share"))
    code, out, err = run("backup", "--database", admin_cli.url)
    assert code == 0, err
    assert len(list((tmp_path / "share").glob("clinic*.sqlite"))) == 1
    assert not (sqlite_path(admin_cli.url).parent / "backups").exists()


def test_only_an_admin_backs_up_from_the_command_line(admin_cli, signed_in_env):
    signed_in_env("nina.nurse")
    code, out, err = run("backup", "--database", admin_cli.url)
    assert (code, out) == (2, "")
    assert err == "error: Backing up the database: only an admin may do this (you are signed in as nurse)\n"
    assert not (sqlite_path(admin_cli.url).parent / "backups").exists()
    assert audit_entries(admin_cli.url, "backed_up") == []


def test_the_apps_scheduled_backup_runs_for_a_nurse_and_the_next_is_due_after_the_interval(sqlite_clinic):
    now = datetime.now(timezone.utc)
    assert backup_is_due(sqlite_clinic.url, now, timedelta(hours=4))
    made = back_up_database(sqlite_clinic.nurse, scheduled=True, now=now)
    assert made.path.is_file() and made.kept == 1
    assert not backup_is_due(sqlite_clinic.url, now + timedelta(hours=3), timedelta(hours=4))
    assert backup_is_due(sqlite_clinic.url, now + timedelta(hours=4), timedelta(hours=4))
    entry = AuditEntry.select().where(AuditEntry.action == "backed_up").get()
    assert (entry.user_name, json.loads(entry.after)["scheduled"]) == ("nina.nurse", True)


def test_a_copy_that_fails_its_check_does_not_count_and_prunes_nothing(sqlite_clinic, monkeypatch):
    location = parse_database_url(sqlite_clinic.url)
    folder = backup_files.folder_for(location)
    folder.mkdir()
    old = folder / f"{location.sqlite_file.stem}-20000101T000000Z.sqlite"  # would be rotated out
    old.write_bytes(b"an old backup")
    monkeypatch.setattr(backup_files, "integrity_findings", lambda conn, check="quick_check": ["page 7: damaged"])
    with pytest.raises(BackupRefused, match=r"is damaged \(integrity_check: page 7: damaged\)"):
        back_up_database(sqlite_clinic.admin)
    assert sorted(p.name for p in folder.iterdir()) == [old.name]  # no partial file left, the old one kept
    assert AuditEntry.select().where(AuditEntry.action == "backed_up").count() == 0


def test_backup_and_restore_of_a_postgresql_url_point_to_pg_dump_and_open_nothing(signed_in_env):
    signed_in_env("ada.admin")
    url = "postgresql://clinic@db.invalid:5432/pao"  # never reached: nothing is opened
    for argv in (("backup",), ("restore", "x.dump")):
        code, out, err = run(*argv, "--database", url)
        assert (code, out) == (2, "")
        assert err.count("\n") == 1
        assert err.startswith("error: PostgreSQL pao on db.invalid:5432 is backed up by its server's administrator")
        assert "pg_dump -Fc -U clinic -h db.invalid -p 5432 -f pao.dump pao" in err


# --- pao-clinic restore -------------------------------------------------------------------------

def test_restore_keeps_the_current_file_aside_puts_the_backup_in_place_and_audits_it(admin_cli):
    url, file = admin_cli.url, sqlite_path(admin_cli.url)
    assert run("backup", "--database", url)[0] == 0
    [backup] = list((file.parent / "backups").iterdir())
    in_database(url, lambda: import_records(admin_cli.nurse, demo_caseload(2, seed=6, today=date.today())))
    assert in_database(url, patient_count) == 5
    code, out, err = run("restore", str(backup), "--database", url)
    assert code == 0, err
    [aside] = list(file.parent.glob(f"{file.name}.before-restore-*"))
    assert out == (f"restored {file} from {backup} (schema version {check_database_file(parse_database_url(url), backup)})\n"
                   f"the database as it was is kept at {aside}\n")
    assert in_database(url, patient_count) == 3
    assert in_database(f"sqlite:///{aside}", patient_count) == 5  # nothing lost: the later state is aside
    [entry] = audit_entries(url, "restored")
    assert entry["from"] == str(backup) and entry["kept_aside"] == str(aside)
    assert not list(file.parent.glob(".restoring-*"))


def in_a_copy(file: Path, tmp_path: Path, name: str, change) -> Path:
    copy = tmp_path / name
    connection = sqlite3.connect(file)
    target = sqlite3.connect(copy)
    connection.backup(target)
    connection.close()
    change(target)
    target.commit()
    target.close()
    return copy


@pytest.mark.parametrize("kind, words", [
    ("text", "is not a PAO Clinic database: it is not an SQLite file"),
    ("foreign", "is not a PAO Clinic database: it holds another program's tables"),
    ("damaged", "is damaged ("),
    ("newer", "was written by a newer version of PAO Clinic (schema 99; this version understands up to "),
    ("missing", "there is no file at "),
])
def test_restore_refuses_what_is_not_a_whole_clinic_database_of_a_known_schema(admin_cli, tmp_path, kind, words):
    url, file = admin_cli.url, sqlite_path(admin_cli.url)
    if kind == "text":
        candidate = tmp_path / "notes.sqlite"
        candidate.write_text("not a database\n")
    elif kind == "foreign":
        candidate = tmp_path / "foreign.sqlite"
        other = sqlite3.connect(candidate)
        other.execute("CREATE TABLE photos (id INTEGER)")
        other.commit()
        other.close()
    elif kind == "damaged":
        in_database(url, lambda: import_records(admin_cli.nurse, demo_caseload(30, seed=8, today=date.today())))
        candidate = in_a_copy(file, tmp_path, "damaged.sqlite", lambda c: None)
        damage(candidate)
    elif kind == "newer":
        candidate = in_a_copy(file, tmp_path, "newer.sqlite", lambda c: c.execute("UPDATE schema_version SET version = 99"))
    else:
        candidate = tmp_path / "nowhere.sqlite"
    before = sha256(file)
    code, out, err = run("restore", str(candidate), "--database", url)
    assert (code, out) == (2, "")
    assert err.startswith("error: ") and words in err and err.count("\n") == 1, err
    assert sha256(file) == before
    assert sorted(p.name for p in file.parent.iterdir() if p.name.startswith(file.name)) == [file.name]
    assert not list(file.parent.glob(".restoring-*"))


def test_only_an_admin_of_the_backup_may_restore_it_and_the_current_file_is_untouched(admin_cli, signed_in_env):
    url, file = admin_cli.url, sqlite_path(admin_cli.url)
    assert run("backup", "--database", url)[0] == 0
    [backup] = list((file.parent / "backups").iterdir())
    signed_in_env("nina.nurse")
    before = sha256(file)
    code, _, err = run("restore", str(backup), "--database", url)
    assert (code, err) == (2, "error: Restoring the database: only an admin may do this (you are signed in as nurse)\n")
    assert sha256(file) == before
    assert not list(file.parent.glob(f"{file.name}.before-restore-*")) and not list(file.parent.glob(".restoring-*"))


# --- a damaged database at open -----------------------------------------------------------------

def test_a_damaged_database_names_the_newest_good_backup_and_the_command_that_restores_it(admin_cli, tmp_path):
    url, file = admin_cli.url, sqlite_path(admin_cli.url)
    location = parse_database_url(url)
    in_database(url, lambda: import_records(admin_cli.nurse, demo_caseload(30, seed=8, today=date.today())))
    now = datetime.now(timezone.utc).replace(microsecond=0)
    open_database(url)
    try:
        # a day apart, so the rotation keeps both (it keeps one a day)
        good = back_up_database(admin_cli.admin, now=now - timedelta(hours=26)).path
        newest = back_up_database(admin_cli.admin, now=now - timedelta(hours=1)).path
    finally:
        close_database()
    damage(newest, seed=3)  # the newest backup is damaged too: the good one before it is named
    damage(file)
    before = sha256(file)
    code, _, err = run("user", "list", "--database", url)
    assert code == 2
    assert err.startswith(f"error: the database {file} is damaged (")
    command = f"pao-clinic restore {shlex.quote(str(good))} --database {shlex.quote(location.file_url())}"
    assert err.rstrip("\n").endswith(f"Restore it from the newest good backup ({good}, made "
                                     f"{(now - timedelta(hours=26)).strftime('%d %b %Y %H:%M')} UTC): {command}")
    assert err.count("\n") == 1 and "Traceback" not in err
    assert sha256(file) == before
    code, _, err = run(*shlex.split(command)[1:])  # the exact command it gave
    assert code == 0, err
    assert in_database(url, patient_count) == 33
    assert run("user", "list", "--database", url)[0] == 0
