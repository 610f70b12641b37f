"""Faults survived by real processes on real databases: kill -9 mid-import, a full disk, many writers, two editors.

Each test runs `python -m pao_clinic` (or a small writer script) as its own process, on
an SQLite file and on the PostgreSQL server the tests start, and then looks at the
database from outside: it opens, SQLite's integrity check passes, the audit chain holds,
and an import is there whole or not at all.
"""

from __future__ import annotations

import os
import random
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
from datetime import date
from pathlib import Path

import pytest

from pao_clinic.services.audit import verify_audit_chain
from pao_clinic.storage.connection import close_database
from pao_clinic.storage.models import AuditEntry, HeightRow, Patient
from pao_clinic.storage.opening import open_database

from .conftest import PASSWORD
from .test_cli import fingerprint, in_database

ROOT = Path(__file__).resolve().parent.parent
IMPORTED = 100  # patients in the document a kill -9 interrupts: about a second of writing
KILLS = 20


def sqlite_path(url: str) -> Path:
    return Path(url[len("sqlite:///"):]).absolute()


def cli_env(user: str = "nina.nurse") -> dict[str, str]:
    return {**os.environ, "PAO_CLINIC_USER": user, "PAO_CLINIC_PASSWORD": PASSWORD}


def pao_clinic(*argv: str, **kwargs) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "pao_clinic", *argv], cwd=ROOT, env=cli_env(),
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, **kwargs)


@pytest.fixture(scope="module")
def caseload_document(tmp_path_factory) -> Path:
    """A demo caseload written once as an exchange document (the same for every backend)."""
    document = tmp_path_factory.mktemp("document") / "caseload.json"
    made = subprocess.run([sys.executable, "-m", "pao_clinic", "demo", "--patients", str(IMPORTED), "--seed", "12",
                           "-o", str(document)], cwd=ROOT, capture_output=True, text=True)
    assert made.returncode == 0, made.stderr
    return document


@pytest.fixture
def closed_clinic(clinic):
    """The test database (each backend), closed: the processes open it by its URL."""
    close_database()
    return clinic


class Reset:
    """Puts the clinic's database back as it was before the import (a file copy, or the template again)."""

    def __init__(self, clinic, request, tmp_path):
        self.clinic = clinic
        if clinic.backend == "sqlite":
            self.file = sqlite_path(clinic.url)
            self.saved = tmp_path / "before-import.sqlite"
            shutil.copyfile(self.file, self.saved)
        else:
            self.server = request.getfixturevalue("postgres_server")
            self.name = clinic.url.rsplit("/", 1)[1]

    def __call__(self) -> None:
        if self.clinic.backend == "sqlite":
            for leftover in (self.file.with_name(self.file.name + "-wal"), self.file.with_name(self.file.name + "-shm")):
                leftover.unlink(missing_ok=True)
            shutil.copyfile(self.saved, self.file)
        else:
            self.server.admin_sql(f"DROP DATABASE IF EXISTS {self.name} WITH (FORCE)")
            self.server.admin_sql(f"CREATE DATABASE {self.name} TEMPLATE pao_template")


def whole_or_nothing(clinic) -> int:
    """The database opens, passes the integrity checks, and holds every imported patient or none: how many."""
    if clinic.backend == "sqlite":
        probe = sqlite3.connect(sqlite_path(clinic.url))
        try:
            assert probe.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
            assert probe.execute("PRAGMA foreign_key_check").fetchall() == []
        finally:
            probe.close()

    def look():
        chain = verify_audit_chain()
        assert chain.broken is None, chain.broken
        patients = Patient.select().count()
        imported = AuditEntry.select().where(AuditEntry.action == "import").count()
        assert (patients, imported) in ((0, 0), (IMPORTED, IMPORTED)), (patients, imported)
        return patients
    return in_database(clinic.url, look)


class WriteWatch:
    """Tells from outside whether some process is inside a write transaction on the clinic's database.

    SQLite: another connection cannot take the write lock (BEGIN IMMEDIATE, no waiting).
    PostgreSQL: a session of that database holds a transaction id (it has written).
    """

    def __init__(self, clinic):
        self.clinic = clinic
        self.open()

    def open(self) -> None:
        clinic = self.clinic
        if clinic.backend == "sqlite":
            self.probe = sqlite3.connect(sqlite_path(clinic.url), timeout=0, isolation_level=None)
        else:
            import psycopg2
            self.probe = psycopg2.connect(clinic.url)
            self.probe.autocommit = True
            self.name = clinic.url.rsplit("/", 1)[1]

    def writing(self) -> bool:
        if self.clinic.backend == "sqlite":
            try:
                self.probe.execute("BEGIN IMMEDIATE")
            except sqlite3.OperationalError:
                return True
            self.probe.execute("ROLLBACK")
            return False
        with self.probe.cursor() as cursor:
            cursor.execute("SELECT count(*) FROM pg_stat_activity WHERE datname = %s AND backend_xid IS NOT NULL "
                           "AND pid <> pg_backend_pid()", (self.name,))
            return cursor.fetchone()[0] > 0

    def until_writing(self, process: subprocess.Popen) -> float | None:
        """Wait until `process` is writing (its monotonic time then), or None when it ended first."""
        while process.poll() is None:
            if self.writing():
                return time.monotonic()
            time.sleep(0.005)
        return None

    def close(self) -> None:
        self.probe.close()


def test_kill_9_at_20_moments_of_an_import_leaves_it_whole_or_absent(closed_clinic, caseload_document, request,
                                                                     tmp_path):
    """Half the kills at any moment of the run (starting, reading the file, writing), half while it writes."""
    clinic = closed_clinic
    reset = Reset(clinic, request, tmp_path)
    watch = WriteWatch(clinic)
    argv = ("import", str(caseload_document), "--database", clinic.url)
    try:
        started = time.monotonic()
        whole = pao_clinic(*argv)
        began = watch.until_writing(whole)
        out, err = whole.communicate(timeout=120)
        took = time.monotonic() - started
        assert whole.returncode == 0, err
        assert began is not None, "the import was never seen writing"
        writing_for = time.monotonic() - began
        assert whole_or_nothing(clinic) == IMPORTED
        watch.close()
        reset()
        watch.open()
        moments = random.Random(9)  # the same moments on every run
        outcomes = []
        for n in range(KILLS):
            importer = pao_clinic(*argv)
            if n % 2 == 0:
                time.sleep(took * (n + moments.uniform(0, 2)) / KILLS)  # anywhere from start to end
                mid_write = watch.writing()
            else:
                mid_write = watch.until_writing(importer) is not None
                time.sleep(writing_for * moments.uniform(0, 0.9))  # somewhere in its transaction
            importer.send_signal(signal.SIGKILL)
            importer.communicate(timeout=60)
            patients = whole_or_nothing(clinic)
            outcomes.append((n, importer.returncode, mid_write, patients))
            if patients:  # it had committed before the kill: start again from before the import
                watch.close()
                reset()
                watch.open()
        killed_writing = [o for o in outcomes if o[1] == -signal.SIGKILL and o[2]]
        assert len(killed_writing) >= KILLS // 4, outcomes  # the kills did land inside the transaction
        finished = pao_clinic(*argv)  # and the database takes the whole import afterwards
        out, err = finished.communicate(timeout=120)
        assert finished.returncode == 0, err
        assert whole_or_nothing(clinic) == IMPORTED
    finally:
        watch.close()


# --- a full disk, in a process of its own -------------------------------------------------------

#: `python -c` program: the CLI with SQLite's page limit standing for the disk (argv: pages, CLI arguments...).
LIMITED_DISK = r"""
import sys
from pao_clinic.storage import connection
connection.SQLITE_PRAGMAS["max_page_count"] = int(sys.argv[1])
from pao_clinic.cli import main
sys.exit(main(sys.argv[2:]))
"""


def pages_of(file: Path) -> int:
    probe = sqlite3.connect(file)
    try:
        return probe.execute("PRAGMA page_count").fetchone()[0]
    finally:
        probe.close()


def saved_records(url: str) -> dict[str, int]:
    """What an import writes: the rows of every table, and the audit entries of imports (a sign-in may add its own)."""
    def look():
        counts = fingerprint()
        counts["audit_entry"] = AuditEntry.select().where(AuditEntry.action == "import").count()
        return counts
    return in_database(url, look)


def test_a_full_disk_in_a_process_exits_2_with_the_message_and_the_data_intact(sqlite_clinic, caseload_document):
    """max_page_count stands for the disk: the file may grow by a few pages, the import needs hundreds."""
    from pao_clinic.demo import demo_caseload
    from pao_clinic.record import HeightMeasurement
    from pao_clinic.services import add_clinical_entry, import_records, load_patient_records

    import_records(sqlite_clinic.nurse, demo_caseload(3, seed=21, today=date.today()))
    kept = load_patient_records()
    close_database()
    file = sqlite_path(sqlite_clinic.url)
    before = saved_records(sqlite_clinic.url)
    limited = subprocess.run([sys.executable, "-c", LIMITED_DISK, str(pages_of(file) + 8), "import",
                              str(caseload_document), "--database", sqlite_clinic.url],
                             cwd=ROOT, env=cli_env(), capture_output=True, text=True, timeout=120)
    assert (limited.returncode, limited.stderr) == (2, f"error: the disk holding {file} is full; nothing was saved\n")
    assert saved_records(sqlite_clinic.url) == before
    probe = sqlite3.connect(file)
    assert probe.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
    probe.close()
    open_database(sqlite_clinic.url)  # with room again: the same records, and writes go on
    assert load_patient_records() == kept
    add_clinical_entry(sqlite_clinic.nurse, Patient.select().first().id,
                       HeightMeasurement(measured_on=date.today(), cm=160.0))
    assert HeightRow.select().count() == sum(len(r.heights) for r in kept) + 1


@pytest.fixture
def small_disk(tmp_path):
    """A 3 MB tmpfs mounted for the test (root only; where mounting is not allowed, the test says so and skips)."""
    mount = tmp_path / "small-disk"
    mount.mkdir()
    if os.geteuid() != 0 or shutil.which("mount") is None:
        pytest.skip("a size-limited file system needs root to mount; the max_page_count test stands for it")
    made = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=3m", "tmpfs", str(mount)], capture_output=True,
                          text=True)
    if made.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here ({made.stderr.strip()}); the max_page_count test stands for it")
    try:
        yield mount
    finally:
        subprocess.run(["umount", "-l", str(mount)], check=True)


def test_a_really_full_disk_exits_2_with_the_message_and_the_data_intact(small_disk, tmp_path, caseload_document):
    """A clinic file on a 3 MB file system: the import needs more, so the disk fills mid-write."""
    from pao_clinic.storage.models import User

    file = small_disk / "clinic.sqlite"
    url = f"sqlite:///{file}"
    for argv, stdin in ((("init",), None), (("user", "add", "nina.nurse", "--role", "admin", "--password-stdin"),
                                            PASSWORD + "\n")):
        made = subprocess.run([sys.executable, "-m", "pao_clinic", *argv, "--database", url], cwd=ROOT,
                              env=cli_env(), input=stdin, capture_output=True, text=True, timeout=60)
        assert made.returncode == 0, made.stderr
    filler = small_disk / "filler"
    free = shutil.disk_usage(small_disk).free
    filler.write_bytes(bytes(max(0, free - 400_000)))  # leave less room than the import needs
    before = saved_records(url)
    full = subprocess.run([sys.executable, "-m", "pao_clinic", "import", str(caseload_document), "--database", url],
                          cwd=ROOT, env=cli_env(), capture_output=True, text=True, timeout=120)
    assert (full.returncode, full.stderr) == (2, f"error: the disk holding {file} is full; nothing was saved\n")
    filler.unlink()
    assert saved_records(url) == before
    probe = sqlite3.connect(file)
    assert probe.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
    probe.close()
    assert in_database(url, lambda: (User.select().count(), Patient.select().count())) == (1, 0)


# --- many writers at once, and two editors of one record -------------------------------------------

#: A writer process: signs in, says "ready", waits for "go", adds `count` heights to her record, prints failures.
HEIGHTS = r"""
import sys
from datetime import date, timedelta
from pao_clinic.storage.opening import open_database
from pao_clinic.services import add_clinical_entry, authenticate
from pao_clinic.record import HeightMeasurement
from pao_clinic.storage.models import Patient

url, user, count, which = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
open_database(url)
actor = authenticate(user, PASSWORD)
patient_id = Patient.select(Patient.id).order_by(Patient.id)[which].id
print("ready", flush=True)
sys.stdin.readline()
failures = 0
for n in range(count):
    try:
        add_clinical_entry(actor, patient_id, HeightMeasurement(measured_on=date.today() - timedelta(days=n % 900),
                                                                cm=150 + n % 50))
    except Exception as exc:
        failures += 1
        print(f"{type(exc).__name__}: {exc}", file=sys.stderr)
print(failures, flush=True)
""".replace("PASSWORD", repr(PASSWORD))


def start(script: str, *argv: str) -> subprocess.Popen:
    process = subprocess.Popen([sys.executable, "-c", script, *argv], cwd=ROOT, stdin=subprocess.PIPE,
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    line = process.stdout.readline()
    assert line == "ready\n", line + process.stderr.read()
    return process


def go(*processes: subprocess.Popen) -> None:
    for process in processes:
        process.stdin.write("go\n")
        process.stdin.flush()


def test_two_processes_writing_500_entries_each_at_once_lose_none(closed_clinic):
    clinic = closed_clinic
    from pao_clinic.demo import demo_caseload
    from pao_clinic.services import import_records

    def two_patients():
        import_records(clinic.nurse, demo_caseload(2, seed=31, today=date.today()))
        return HeightRow.select().count()
    heights_before = in_database(clinic.url, two_patients)
    nurse = start(HEIGHTS, clinic.url, "nina.nurse", "500", "0")
    consultant = start(HEIGHTS, clinic.url, "dr.chen", "500", "1")
    go(nurse, consultant)
    results = [process.communicate(timeout=300) for process in (nurse, consultant)]
    for process, (out, err) in zip((nurse, consultant), results):
        assert process.returncode == 0, err
        assert out.split()[-1] == "0", err  # no write failed
    heights, by_user = in_database(clinic.url, lambda: (
        HeightRow.select().count(),
        [u for (u,) in AuditEntry.select(AuditEntry.user_name).where(
            (AuditEntry.record_type == "height") & (AuditEntry.action == "add")).tuples()]))
    assert heights == heights_before + 1000  # none lost
    assert (by_user.count("nina.nurse"), by_user.count("dr.chen")) == (500, 500)  # each with its audit entry
    assert in_database(clinic.url, verify_audit_chain).broken is None


#: An editor process: reads her record, says "read", waits for "go", changes her phone, prints the outcome.
EDITOR = r"""
import sys
from dataclasses import replace
from pao_clinic.errors import ConflictError
from pao_clinic.record import Contact
from pao_clinic.storage.opening import open_database
from pao_clinic.services import authenticate, load_patient_record, update_patient
from pao_clinic.storage.models import Patient

url, user, phone = sys.argv[1], sys.argv[2], sys.argv[3]
open_database(url)
actor = authenticate(user, PASSWORD)
patient_id = Patient.select(Patient.id).order_by(Patient.id)[0].id
seen = load_patient_record(patient_id)
print("ready", flush=True)
sys.stdin.readline()
try:
    update_patient(actor, patient_id, expected_version=seen.version,
                   contact=replace(seen.contact or Contact(), phone=phone))
    print("saved", flush=True)
except ConflictError as exc:
    print("conflict:", exc, flush=True)
""".replace("PASSWORD", repr(PASSWORD))


def test_two_editors_of_one_record_in_two_processes_the_second_is_told_of_the_conflict(closed_clinic):
    clinic = closed_clinic
    from pao_clinic.demo import demo_caseload
    from pao_clinic.services import import_records

    in_database(clinic.url, lambda: import_records(clinic.nurse, demo_caseload(1, seed=41, today=date.today())))
    first = start(EDITOR, clinic.url, "nina.nurse", "07700 900001")
    second = start(EDITOR, clinic.url, "dr.chen", "07700 900002")  # both have read version 1
    go(first)
    assert first.communicate(timeout=60)[0] == "saved\n"
    go(second)
    out, err = second.communicate(timeout=60)
    assert second.returncode == 0, err
    assert out == ("conflict: this patient was changed by someone else after you opened it; nothing was saved. "
                   "Reload it to see their change, then make yours again.\n")
    phone, updates = in_database(clinic.url, lambda: (
        Patient.select().first().phone, AuditEntry.select().where(AuditEntry.action == "update").count()))
    assert (phone, updates) == ("07700 900001", 1)


# --- each bad file of the table, in a process of its own -------------------------------------------

def _made_bad(file: Path, how: str, tmp_path: Path) -> Path:
    """A copy of the clinic's file spoilt as `how` says (or another program's file)."""
    bad = tmp_path / f"{how}.sqlite"
    if how == "another program's":
        other = sqlite3.connect(bad)
        other.execute("CREATE TABLE patient (id INTEGER PRIMARY KEY, name TEXT)")
        other.commit()
        other.close()
        return bad
    if how == "zero bytes":
        bad.write_bytes(b"")
        return bad
    shutil.copyfile(file, bad)
    spoilt = sqlite3.connect(bad)
    if how == "version 'two'":
        spoilt.execute("UPDATE schema_version SET version = 'two'")
    elif how == "version emptied":
        spoilt.execute("DELETE FROM schema_version")
    spoilt.commit()
    spoilt.close()
    if how == "damaged":
        with bad.open("r+b") as raw:
            size = bad.stat().st_size
            raw.seek(size // 2)
            raw.write(random.Random(3).randbytes(4096))
    if how == "read-only":
        bad.chmod(0o444)
        if os.geteuid() == 0:  # file modes do not stop root
            subprocess.run(["chattr", "+i", str(bad)], check=True)
    return bad


BAD_FILES = {
    "another program's": "is not a PAO Clinic database",
    "zero bytes": "there is no PAO Clinic database at",
    "version 'two'": "it holds 'two' instead of a version number",
    "version emptied": "the database's version record is damaged",
    "damaged": "is damaged (",
    "read-only": "is read-only; nothing was saved",
}


def test_each_bad_file_gets_its_own_message_in_a_process_and_is_left_as_it_was(sqlite_clinic, caseload_document,
                                                                                 tmp_path):
    import hashlib

    from pao_clinic.demo import demo_caseload
    from pao_clinic.services import import_records

    import_records(sqlite_clinic.nurse, demo_caseload(30, seed=51, today=date.today()))
    close_database()
    file = sqlite_path(sqlite_clinic.url)
    messages = {}
    try:
        for how, words in BAD_FILES.items():
            bad = _made_bad(file, how, tmp_path)
            before = hashlib.sha256(bad.read_bytes()).hexdigest()
            refused = subprocess.run([sys.executable, "-m", "pao_clinic", "import", str(caseload_document),
                                      "--database", f"sqlite:///{bad}"], cwd=ROOT, env=cli_env(),
                                     capture_output=True, text=True, timeout=60)
            assert refused.returncode == 2, (how, refused.stderr)
            errors = [line for line in refused.stderr.splitlines() if line.startswith("error: ")]
            assert len(errors) == 1, (how, refused.stderr)  # one error (a hint or a note may go with it)
            message = errors[0]
            assert words in message, (how, refused.stderr)
            assert "Traceback" not in refused.stderr
            assert hashlib.sha256(bad.read_bytes()).hexdigest() == before, f"the {how} file was changed"
            messages[how] = message
    finally:
        read_only = tmp_path / "read-only.sqlite"
        if read_only.exists() and os.geteuid() == 0:
            subprocess.run(["chattr", "-i", str(read_only)], check=False)
    assert len(set(messages.values())) == len(BAD_FILES), "two bad files got the same message"
