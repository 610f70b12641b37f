"""Storage faults survived with a clear word: real files, real processes, both backends where the fault exists.

Two writers at once, a full disk, another program's file, a damaged version record, a
read-only file, a corrupt file, and secrets kept out of the log.  Each refusal names the
place and leaves the database as it was (same bytes for an SQLite file, same rows on
PostgreSQL).
"""

from __future__ import annotations

import hashlib
import os
import random
import shutil
import sqlite3
import stat
import subprocess
import sys
from datetime import date
from pathlib import Path

import peewee
import pytest

from pao_clinic.demo import demo_caseload
from pao_clinic.environment import append_to_log, log_file
from pao_clinic.errors import StorageError
from pao_clinic.services import import_records
from pao_clinic.storage import connection
from pao_clinic.storage.connection import close_database, database, storage_fault
from pao_clinic.storage.location import parse_database_url
from pao_clinic.storage.models import DecisionRow
from pao_clinic.storage.opening import PAO_CLINIC_APPLICATION_ID, open_database

from .conftest import PASSWORD
from .test_cli import fingerprint, in_database, run

ROOT = Path(__file__).resolve().parent.parent


def sha256(file: Path) -> str:
    return hashlib.sha256(file.read_bytes()).hexdigest()


def sqlite_path(url: str) -> Path:
    return Path(url[len("sqlite:///"):]).absolute()


def application_id(file: Path) -> int:
    probe = sqlite3.connect(f"{file.as_uri()}?mode=ro", uri=True)
    try:
        return probe.execute("PRAGMA application_id").fetchone()[0]
    finally:
        probe.close()


def _closed(clinic, signed_in_env):
    import_records(clinic.nurse, demo_caseload(2, seed=11, today=date.today()))
    close_database()
    signed_in_env("nina.nurse")
    return clinic


@pytest.fixture
def closed_clinic(clinic, signed_in_env):
    """The test database (each backend) with two demo patients, closed: addressed by URL as the CLI does."""
    return _closed(clinic, signed_in_env)


@pytest.fixture
def closed_sqlite_clinic(sqlite_clinic, signed_in_env):
    """As `closed_clinic`, on an SQLite file (faults of a file)."""
    return _closed(sqlite_clinic, signed_in_env)


# --- two writers at once -------------------------------------------------------------------

#: A writer process: signs in, says "ready", waits for "go" on stdin, then writes.
#: argv: url, what ("decisions" or "import"), count, tag.  Prints the number of failures last.
WRITER = r"""
import sys
import traceback
from datetime import date
from pao_clinic.storage.opening import open_database
from pao_clinic.services import authenticate, import_records, record_decision
from pao_clinic.storage.models import Patient

url, what, count, tag = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]
open_database(url)
if what == "import":
    from pao_clinic.demo import demo_caseload
    actor = authenticate("nina.nurse", PASSWORD)
    records = demo_caseload(count, seed=5, today=date.today())
else:
    actor = authenticate("dr.chen", PASSWORD)
    patient_id = Patient.select(Patient.id).order_by(Patient.id)[1 if tag == "second" else 0].id
print("ready", flush=True)
sys.stdin.readline()
failures = 0
if what == "import":
    print("importing", flush=True)
    try:
        import_records(actor, records)
    except Exception as exc:
        failures += 1
        print(f"{type(exc).__name__}: {exc}", file=sys.stderr)
else:
    for n in range(count):
        try:
            record_decision(actor, patient_id, plan="defer", reason=f"{tag} decision {n}")
        except Exception as exc:
            failures += 1
            print(f"{type(exc).__name__}: {exc}", file=sys.stderr)
            traceback.print_exc()
print(failures, flush=True)
""".replace("PASSWORD", repr(PASSWORD))


def start_writer(url: str, what: str, count: int, tag: str) -> subprocess.Popen:
    writer = subprocess.Popen([sys.executable, "-c", WRITER, url, what, str(count), tag], cwd=ROOT,
                              stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    line = writer.stdout.readline()
    assert line == "ready\n", line + writer.stderr.read()
    return writer


def failures_of(writer: subprocess.Popen) -> tuple[int, str]:
    out, err = writer.communicate(timeout=120)
    assert writer.returncode == 0, err
    return int(out.split()[-1]), err


def go(*writers: subprocess.Popen) -> None:
    for writer in writers:
        writer.stdin.write("go\n")
        writer.stdin.flush()


def decision_reasons(url: str) -> list[str]:
    return in_database(url, lambda: [d.override_reason for d in DecisionRow.select()])


def test_two_processes_writing_50_decisions_each_at_once_all_succeed(closed_clinic):
    """Decisions (the gate asked for each); 2 x 500 plain entries at once are in tests/test_faults_processes.py."""
    url = closed_clinic.url
    before = len(decision_reasons(url))
    first, second = start_writer(url, "decisions", 50, "first"), start_writer(url, "decisions", 50, "second")
    go(first, second)
    (failed_first, err_first), (failed_second, err_second) = failures_of(first), failures_of(second)
    assert (failed_first, failed_second) == (0, 0), err_first + err_second
    reasons = decision_reasons(url)
    assert len(reasons) == before + 100
    for tag in ("first", "second"):
        assert {f"{tag} decision {n}" for n in range(50)} <= set(reasons)


def test_40_decisions_during_a_500_patient_import_all_succeed(closed_clinic):
    url = closed_clinic.url
    patients_before = in_database(url, fingerprint)["patient"]
    decisions_before = len(decision_reasons(url))
    importer = start_writer(url, "import", 500, "import")
    decider = start_writer(url, "decisions", 40, "during")
    go(importer)
    assert importer.stdout.readline() == "importing\n"
    go(decider)  # the decisions start as the import's transaction does
    (failed_import, err_import), (failed_decisions, err_decisions) = failures_of(importer), failures_of(decider)
    assert (failed_import, failed_decisions) == (0, 0), err_import + err_decisions
    after = in_database(url, fingerprint)
    assert after["patient"] == patients_before + 500
    reasons = decision_reasons(url)
    assert {f"during decision {n}" for n in range(40)} <= set(reasons)
    assert len(reasons) == decisions_before + 40 + sum(len(r.decisions) for r in demo_caseload(500, seed=5, today=date.today()))


# --- a full disk --------------------------------------------------------------------------

def test_a_full_disk_during_an_import_exits_2_saving_nothing(closed_sqlite_clinic, tmp_path, monkeypatch):
    """max_page_count stands for the disk: the file may grow by a few pages, the import needs hundreds.

    (A full disk under PostgreSQL is the server's; its words are checked in the next test.)
    """
    closed_clinic = closed_sqlite_clinic
    file = sqlite_path(closed_clinic.url)
    document = tmp_path / "caseload.json"
    assert run("demo", "--patients", "200", "--seed", "4", "-o", str(document))[0] == 0
    before = sha256(file)
    pages = sqlite3.connect(file).execute("PRAGMA page_count").fetchone()[0]
    monkeypatch.setitem(connection.SQLITE_PRAGMAS, "max_page_count", pages + 8)
    code, out, err = run("import", str(document), "--database", closed_clinic.url)
    assert (code, err) == (2, f"error: the disk holding {file} is full; nothing was saved\n")
    assert "rollback" not in err
    assert sha256(file) == before


@pytest.mark.parametrize("driver_error", [
    sqlite3.OperationalError("database or disk is full"),
    peewee.OperationalError("could not extend file \"base/16384/16390\": No space left on device\n"
                            "HINT:  Check free disk space."),
])
def test_the_drivers_words_for_a_full_disk_become_the_message_even_under_a_failed_rollback(driver_error):
    try:
        try:
            raise driver_error
        except Exception:
            raise peewee.OperationalError("cannot rollback - no transaction is active")
    except Exception as masked:
        fault = storage_fault(masked, "PostgreSQL clinic on db.example")
    assert isinstance(fault, StorageError)
    assert str(fault) == "the disk holding PostgreSQL clinic on db.example is full; nothing was saved"


# --- another program's file, and our mark ------------------------------------------------------

def test_another_programs_sqlite_file_is_refused_untouched(tmp_path, signed_in_env):
    signed_in_env("nina.nurse")
    other = tmp_path / "inventory.sqlite"
    made = sqlite3.connect(other)
    made.execute("CREATE TABLE patient (id INTEGER PRIMARY KEY, name TEXT)")  # a name we use too
    made.commit()
    made.close()
    before = sha256(other)
    for argv in (("user", "list"), ("import", str(tmp_path / "none.json")), ("init",)):
        code, _, err = run(*argv, "--database", f"sqlite:///{other}")
        assert code == 2
        assert err.startswith(f"error: {other} is not a PAO Clinic database"), err
        assert sha256(other) == before


def test_a_file_marked_by_another_program_is_refused_even_with_our_tables(closed_sqlite_clinic):
    closed_clinic = closed_sqlite_clinic
    file = sqlite_path(closed_clinic.url)
    marked = sqlite3.connect(file)
    marked.execute("PRAGMA application_id = 0x47504B47")  # another program's id, our tables left in
    marked.commit()
    marked.close()
    before = sha256(file)
    code, _, err = run("user", "list", "--database", closed_clinic.url)
    assert code == 2
    assert err.startswith(f"error: {file} is not a PAO Clinic database"), err
    assert sha256(file) == before


def test_a_new_database_carries_our_mark_and_one_made_before_the_mark_gets_it_on_open(tmp_path):
    new = tmp_path / "new.sqlite"
    assert run("init", "--database", f"sqlite:///{new}")[0] == 0
    assert application_id(new) == PAO_CLINIC_APPLICATION_ID == 0x50414F43
    unmarked = sqlite3.connect(new)
    unmarked.execute("PRAGMA application_id = 0")  # as an earlier version left it
    unmarked.commit()
    unmarked.close()
    assert application_id(new) == 0
    open_database(f"sqlite:///{new}")
    close_database()
    assert application_id(new) == PAO_CLINIC_APPLICATION_ID


# --- a damaged version record ------------------------------------------------------------------

def damage_version(url: str, how: str) -> None:
    open_database(url)
    try:
        if how == "emptied":
            database.execute_sql("DELETE FROM schema_version")
        else:
            database.execute_sql("UPDATE schema_version SET version = 'two'")
    finally:
        close_database()


def state_of(url: str, backend: str):
    """What 'as it was' means: the file's bytes, or the rows of every table (the version table's too)."""
    if backend == "sqlite":
        return sha256(sqlite_path(url))
    db = connection.connect(parse_database_url(url))  # no upgrade, no version read
    try:
        return {name: db.execute_sql(f'SELECT count(*) FROM "{name}"').fetchone()[0] for name in db.get_tables()}
    finally:
        db.close()


def refuses_the_damaged_version(url: str, backend: str, how: str) -> None:
    if backend == "sqlite":
        file = sqlite_path(url)
        copy = file.with_name(f"{file.stem}.before-v2.sqlite")
        shutil.copyfile(file, copy)  # as an upgrade from version 1 leaves it
    damage_version(url, how)
    before = state_of(url, backend)
    code, _, err = run("user", "list", "--database", url)
    assert code == 2
    assert err.startswith("error: the database's version record is damaged"), err
    held = "it is empty" if how == "emptied" else "it holds 'two' instead of a version number"
    assert held in err
    if backend == "sqlite":
        assert f"({file}: the schema_version table: " in err
        assert f"Restore it from the copy made before the last upgrade ({copy}) or from a backup" in err
    else:
        assert "Restore the database from a backup (pg_dump)" in err
    assert "Traceback" not in err
    assert state_of(url, backend) == before


def test_an_emptied_version_record_exits_2_with_the_way_to_restore(closed_clinic):
    refuses_the_damaged_version(closed_clinic.url, closed_clinic.backend, "emptied")


def test_a_version_record_of_two_exits_2_with_the_way_to_restore(closed_sqlite_clinic):
    """Only SQLite's loose typing lets 'two' into the integer column."""
    refuses_the_damaged_version(closed_sqlite_clinic.url, "sqlite", "two")


# --- a read-only file ---------------------------------------------------------------------

@pytest.fixture
def read_only_file(closed_sqlite_clinic):
    """The clinic's SQLite file made read-only (and immutable for root, whom file modes do not stop)."""
    file = sqlite_path(closed_sqlite_clinic.url)
    file.chmod(stat.S_IRUSR | stat.S_IRGRP | stat.S_IROTH)
    immutable = os.geteuid() == 0
    if immutable and subprocess.run(["chattr", "+i", str(file)], capture_output=True).returncode != 0:
        pytest.skip("running as root, and chattr +i is not available here to make a file read-only")
    try:
        yield file
    finally:
        if immutable:
            subprocess.run(["chattr", "-i", str(file)], check=True)
        file.chmod(stat.S_IRUSR | stat.S_IWUSR)


def test_importing_into_a_read_only_file_exits_2_before_writing(read_only_file, tmp_path, closed_sqlite_clinic):
    document = tmp_path / "caseload.json"
    assert run("demo", "--patients", "3", "--seed", "4", "-o", str(document))[0] == 0
    before = sha256(read_only_file)
    code, _, err = run("import", str(document), "--database", closed_sqlite_clinic.url)
    assert (code, err) == (2, f"error: {read_only_file} is read-only; nothing was saved\n")
    assert run("user", "list", "--database", closed_sqlite_clinic.url)[0] == 0  # reading still works
    assert sha256(read_only_file) == before


def test_sqlites_readonly_refusal_is_translated_too(read_only_file, tmp_path, closed_sqlite_clinic, monkeypatch):
    """Without the check before the write, SQLite's own 'attempt to write a readonly database' gives the same words."""
    document = tmp_path / "caseload.json"
    assert run("demo", "--patients", "3", "--seed", "4", "-o", str(document))[0] == 0
    before = sha256(read_only_file)
    monkeypatch.setattr(connection, "refuse_read_only_file", lambda: None)
    code, _, err = run("import", str(document), "--database", closed_sqlite_clinic.url)
    assert (code, err) == (2, f"error: {read_only_file} is read-only; nothing was saved\n")
    assert sha256(read_only_file) == before


# --- a corrupt file -----------------------------------------------------------------------

def test_a_corrupt_file_is_refused_at_open_with_the_way_to_restore(closed_sqlite_clinic, tmp_path):
    closed_clinic = closed_sqlite_clinic
    url = closed_clinic.url
    open_database(url)
    import_records(closed_clinic.nurse, demo_caseload(40, seed=8, today=date.today()))
    close_database()
    file = sqlite_path(url)
    probe = sqlite3.connect(file)
    page_size, pages = (probe.execute(f"PRAGMA {p}").fetchone()[0] for p in ("page_size", "page_count"))
    probe.close()
    garbage = random.Random(9).randbytes(page_size)
    with file.open("r+b") as f:  # a page in the middle, where the clinical rows are
        f.seek(page_size * (pages // 2))
        f.write(garbage)
    before = sha256(file)
    for argv in (("user", "list"), ("export", "-o", str(tmp_path / "out.json"))):
        code, _, err = run(*argv, "--database", url)
        assert code == 2, err
        assert err.startswith(f"error: the database {file} is damaged ("), err
        assert "nothing was changed. Restore it from a backup" in err
        assert "Traceback" not in err
        assert sha256(file) == before
    assert not (tmp_path / "out.json").exists()


# --- the log ------------------------------------------------------------------------------

def test_the_log_masks_passwords_and_is_the_owners_only(monkeypatch):
    monkeypatch.setenv("PGPASSWORD", "pg-secret-value")
    monkeypatch.setenv("PAO_CLINIC_PASSWORD", "clinic-secret-value")
    log = log_file()
    if log.exists():
        log.unlink()
    command = ("--- pao-clinic import x.json --database postgresql://ada:url-s3cret@db.example:5432/clinic\n"
               "psycopg2 said: pg-secret-value; the user typed clinic-secret-value\n")
    path = append_to_log(command)
    assert path == log
    text = log.read_text(encoding="utf-8")
    for secret in ("url-s3cret", "pg-secret-value", "clinic-secret-value"):
        assert secret not in text
    assert "postgresql://ada:***@db.example:5432/clinic" in text
    assert stat.S_IMODE(log.stat().st_mode) == 0o600
    assert stat.S_IMODE(log.parent.stat().st_mode) == 0o700
    log.chmod(0o644)  # a log left by an earlier version
    append_to_log("another line\n")
    assert stat.S_IMODE(log.stat().st_mode) == 0o600
    assert log.read_text(encoding="utf-8").endswith("another line\n")
