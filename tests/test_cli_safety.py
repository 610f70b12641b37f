"""Safety defects found from outside (issue 6, section 4), import roles, and the CLI's untested corners.

Each test here fails on the code before the fix: a mistyped SQLite path made a new empty
database, a nurse's `demo` added synthetic women to a real caseload, an unwritable
`-o` path was an "unexpected failure", date messages were doubled or wrong, and the
readable output named patients only by number.
"""

from __future__ import annotations

import argparse
import getpass
import io
import json
import sys
from datetime import date
from pathlib import Path

import pytest

from pao_clinic import cli, services
from pao_clinic.errors import PermissionDenied, StorageError, ValidationError
from pao_clinic.record import codes
from pao_clinic.services.demo_setup import DEMO_PASSWORD
from pao_clinic.storage.connection import close_database
from pao_clinic.storage.migrations import CURRENT_SCHEMA_VERSION
from pao_clinic.storage.models import AuditEntry
from pao_clinic.storage.opening import open_database

from .conftest import DATA, PASSWORD, USERS
from .test_cli import cli_clinic, fingerprint, in_database, run  # noqa: F401 (cli_clinic is a fixture)

FULL = DATA / "full_patient.json"
NHS_PATIENT = "O'BRIEN, Siobhán (NHS 943 476 5919)"   # patient-1 of full_patient.json, as a banner writes her


def files_under(folder: Path) -> list[str]:
    return sorted(str(p.relative_to(folder)) for p in folder.rglob("*"))


def no_database_message(path: Path) -> str:
    return f"error: there is no PAO Clinic database at {path}\n"


# --- 1. a mistyped SQLite path never becomes a new, empty database -----------------------

COMMANDS_THAT_NEED_A_CLINIC = [
    ("export",),
    ("export", "-o", "OUT"),
    ("import", str(FULL)),
    ("worklist",),
    ("worklist", "--json"),
    ("check", "--patient", "9434765919", "--drug", "alendronate"),
    ("decide", "--patient", "9434765919", "--plan", "conservative"),
    ("user", "list"),
]


@pytest.mark.parametrize("argv", COMMANDS_THAT_NEED_A_CLINIC, ids=" ".join)
def test_a_command_on_a_missing_sqlite_file_is_refused_and_creates_no_file_or_folder(
        tmp_path, signed_in_env, argv):
    signed_in_env("nina.nurse")
    typo = tmp_path / "srv" / "clinic" / "typo" / "pao.sqlite"
    argv = tuple(str(tmp_path / "out.json") if a == "OUT" else a for a in argv)
    code, out, err = run("--database", f"sqlite:///{typo}", *argv)
    assert code == 2 and out == ""
    first, hint = err.splitlines(keepends=True)
    assert first == no_database_message(typo)
    assert "pao-clinic init" in hint and "--database" in hint
    assert files_under(tmp_path) == []


def test_the_default_database_is_not_created_by_a_command_either(tmp_path, monkeypatch, signed_in_env):
    from pao_clinic.environment import default_database_file

    signed_in_env("nina.nurse")
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    code, _, err = run("worklist")
    assert code == 2 and err.startswith(no_database_message(default_database_file()).rstrip("\n"))
    assert not (tmp_path / "data").exists()


def test_a_zero_byte_file_counts_as_missing_and_is_left_as_it_was(tmp_path, signed_in_env):
    signed_in_env("nina.nurse")
    empty = tmp_path / "pao.sqlite"
    empty.touch()
    code, _, err = run("--database", f"sqlite:///{empty}", "worklist")
    assert code == 2 and err.startswith(no_database_message(empty))
    assert files_under(tmp_path) == ["pao.sqlite"] and empty.stat().st_size == 0


def test_a_file_that_is_not_a_clinic_database_is_refused_and_not_written(tmp_path, signed_in_env):
    import sqlite3

    signed_in_env("nina.nurse")
    other = tmp_path / "other.sqlite"
    conn = sqlite3.connect(other)
    conn.execute("CREATE TABLE photos (id INTEGER)")
    conn.commit()
    conn.close()
    before = other.read_bytes()
    text = tmp_path / "notes.sqlite"
    text.write_text("not a database", encoding="utf-8")
    for path, words in ((other, "another program's tables"), (text, "not an SQLite file")):
        code, _, err = run("--database", f"sqlite:///{path}", "worklist")
        assert code == 2 and f"{path} is not a PAO Clinic database" in err and words in err, err
    assert other.read_bytes() == before and text.read_text(encoding="utf-8") == "not a database"
    assert files_under(tmp_path) == ["notes.sqlite", "other.sqlite"]


def test_a_missing_postgresql_database_is_refused_and_not_created(postgres_server, signed_in_env):
    signed_in_env("nina.nurse")
    code, out, err = run("--database", postgres_server.url("pao_typo"), "worklist")
    assert code == 2 and out == "" and "cannot open PostgreSQL pao_typo" in err and "Traceback" not in err
    postgres_server.admin_sql("CREATE DATABASE pao_typo")  # succeeds only because it was not made
    postgres_server.admin_sql("DROP DATABASE pao_typo")


def test_init_creates_an_empty_migrated_database_says_where_and_refuses_a_second_time(tmp_path):
    new = tmp_path / "clinic" / "pao.sqlite"
    url = f"sqlite:///{new}"
    code, out, err = run("--database", url, "init")
    assert code == 0, err
    assert f"created an empty PAO Clinic database (schema version {CURRENT_SCHEMA_VERSION}) at {new}" in out
    assert in_database(url, lambda: (services.user_count(), services.patient_count())) == (0, 0)
    before = new.read_bytes()
    code, out, err = run("--database", url, "init")
    assert code == 2 and out == ""
    assert err == f"error: there is already a PAO Clinic database at {new}; nothing was changed\n"
    assert new.read_bytes() == before


def test_init_gives_a_new_database_the_schema_once(empty_database_url):
    """SQLite: a file not yet made; PostgreSQL: an empty database its server made."""
    code, out, err = run("--database", empty_database_url, "init")
    assert code == 0 and "created an empty PAO Clinic database" in out, err
    db = open_database(empty_database_url)
    try:
        from pao_clinic.storage.migrations import schema_version
        assert schema_version(db) == CURRENT_SCHEMA_VERSION and services.user_count() == 0
    finally:
        close_database()
    code, _, err = run("--database", empty_database_url, "init")
    assert code == 2 and "there is already a PAO Clinic database" in err


def test_the_first_admin_starts_a_clinic_on_a_new_file_and_says_so(tmp_path):
    new = tmp_path / "clinic" / "pao.sqlite"
    code, out, err = run("--database", f"sqlite:///{new}", "user", "add", "boss", "--role", "admin",
                         "--password-stdin", stdin="long enough pw\n")
    assert code == 0, err
    assert "added admin 'boss'" in out and f"created a new PAO Clinic database at {new}" in err
    assert new.exists()


@pytest.mark.parametrize("argv, words", [
    (("user", "add", "boss", "--role", "admin", "--password-stdin"), "password: the password must have at least 10"),
    (("user", "add", "b o s s", "--role", "admin", "--password-stdin"), "name: 'b o s s' must be 1 to 64"),
    (("user", "add", "nina", "--role", "nurse", "--password-stdin"), "the first user must be an admin"),
])
def test_a_failed_start_of_a_clinic_leaves_no_file_and_no_folder(tmp_path, argv, words):
    new = tmp_path / "new" / "clinic" / "pao.sqlite"
    stdin = "short\n" if "boss" in argv else "long enough pw\n"
    code, _, err = run("--database", f"sqlite:///{new}", *argv, stdin=stdin)
    assert code == 2 and words in err, err
    assert files_under(tmp_path) == []


def test_a_failed_start_on_a_zero_byte_file_leaves_it_as_it_was(tmp_path):
    empty = tmp_path / "pao.sqlite"
    empty.touch()
    code, _, _ = run("--database", f"sqlite:///{empty}", "user", "add", "boss", "--role", "admin",
                     "--password-stdin", stdin="short\n")
    assert code == 2 and files_under(tmp_path) == ["pao.sqlite"] and empty.stat().st_size == 0


def test_the_desktop_creates_a_database_only_on_its_default_file(qapp, tmp_path, monkeypatch):
    from PySide6.QtWidgets import QMessageBox

    from pao_clinic.services.clinic import default_database_url
    from ui import app as desktop

    shown = []
    monkeypatch.setattr(QMessageBox, "critical", staticmethod(lambda parent, title, text: shown.append(text)))
    asked = []

    def open_clinic_database(url, *, create=False, quick_check_under_way=None):
        asked.append((url, create))
        raise StorageError("stop here")

    # run_desktop names and styles the application: the test application is put back after
    saved = qapp.organizationName(), qapp.applicationName(), qapp.styleSheet()
    typo = tmp_path / "typo" / "pao.sqlite"
    try:
        assert desktop.run_desktop(f"sqlite:///{typo}", argparse.Namespace()) == 2
        assert files_under(tmp_path) == []
        assert f"there is no PAO Clinic database at {typo}" in shown[0]
        monkeypatch.setattr(services, "open_clinic_database", open_clinic_database)
        desktop.run_desktop(default_database_url(), argparse.Namespace())
        desktop.run_desktop(f"sqlite:///{typo}", argparse.Namespace())
    finally:
        qapp.setOrganizationName(saved[0])
        qapp.setApplicationName(saved[1])
        qapp.setStyleSheet(saved[2])
    assert asked == [(default_database_url(), True), (f"sqlite:///{typo}", False)]


# --- 2. demo patients never join a real caseload --------------------------------------------

def test_a_nurse_cannot_add_demo_patients_to_a_real_caseload(cli_clinic):
    assert run("--database", cli_clinic.url, "import", str(FULL))[0] == 0
    before = in_database(cli_clinic.url, fingerprint)
    code, out, err = run("--database", cli_clinic.url, "demo", "--patients", "5")
    assert code == 2 and out == ""
    assert "demo patients go only into an empty database or one created as a demo" in err
    assert "it holds 2 patients" in err and "nothing was changed" in err and "Traceback" not in err
    assert in_database(cli_clinic.url, fingerprint) == before


def test_a_clinic_with_users_but_no_patients_is_not_a_demo_either(cli_clinic):
    before = in_database(cli_clinic.url, fingerprint)
    code, _, err = run("--database", cli_clinic.url, "demo", "--patients", "2")
    assert code == 2 and "it has users" in err
    assert in_database(cli_clinic.url, fingerprint) == before


def test_the_service_refuses_demo_patients_outside_a_demo_database(clinic):
    from pao_clinic.services.demo_setup import add_demo_patients

    for actor in (clinic.admin, clinic.nurse, clinic.consultant):
        with pytest.raises(ValidationError, match="only into an empty database or one created as a demo"):
            add_demo_patients(actor, 3, seed=2, today=date(2025, 6, 1))
    assert services.patient_count() == 0 and not services.is_demo_database()


def test_demo_into_an_empty_database_makes_a_demo_clinic_that_takes_more_demo_patients(
        empty_database_url, monkeypatch):
    code, out, err = run("--database", empty_database_url, "demo", "--patients", "4", "--seed", "3",
                         "--today", "2025-06-01")
    assert code == 0, err
    assert "demo caseload of 4 patients loaded" in err and f"'{DEMO_PASSWORD}'" in err
    monkeypatch.setenv("PAO_CLINIC_USER", "demo.nurse")
    monkeypatch.setenv("PAO_CLINIC_PASSWORD", DEMO_PASSWORD)
    code, _, err = run("--database", empty_database_url, "demo", "--patients", "2", "--seed", "9",
                       "--today", "2025-06-01")
    assert code == 0 and "added 2 demo patients" in err, err
    counts = in_database(empty_database_url, lambda: (services.is_demo_database(), services.patient_count(),
                                                      [u.name for u in services.list_users()]))
    assert counts == (True, 6, ["demo.admin", "demo.consultant", "demo.nurse"])


def test_demo_into_a_new_file_creates_a_demo_database(tmp_path):
    new = tmp_path / "demo" / "demo.sqlite"
    url = f"sqlite:///{new}"
    code, _, err = run("--database", url, "demo", "--patients", "3", "--today", "2025-06-01")
    assert code == 0, err
    assert f"created a new PAO Clinic database at {new}" in err
    assert in_database(url, lambda: (services.is_demo_database(), services.patient_count())) == (True, 3)


def test_demo_to_a_file_opens_no_database(tmp_path, monkeypatch):
    where = tmp_path / "nowhere" / "pao.sqlite"
    monkeypatch.setenv("PAO_CLINIC_DATABASE", f"sqlite:///{where}")
    out = tmp_path / "demo.json"
    code, _, err = run("demo", "--patients", "2", "--today", "2025-06-01", "-o", str(out))
    assert code == 0, err
    assert len(json.loads(out.read_text(encoding="utf-8"))["patients"]) == 2
    assert files_under(tmp_path) == ["demo.json"]


def test_demo_needs_at_least_one_patient(tmp_path):
    code, _, err = run("demo", "--patients", "0", "-o", str(tmp_path / "d.json"))
    assert code == 2 and "--patients must be 1 or more" in err and files_under(tmp_path) == []


# --- 3. a path that cannot be read or written is bad input -----------------------------------

@pytest.mark.parametrize("command", [("export",), ("demo", "--patients", "2")], ids=["export", "demo"])
def test_an_output_file_in_a_missing_folder_is_one_line_exit_2(cli_clinic, tmp_path, command):
    target = tmp_path / "no" / "such" / "dir" / "x.json"
    before = files_under(tmp_path)
    code, out, err = run("--database", cli_clinic.url, *command, "-o", str(target))
    assert code == 2 and out == ""
    assert err == f"error: cannot write {target}: the folder does not exist\n"
    assert files_under(tmp_path) == before


def test_an_output_path_that_is_a_folder_or_under_a_file_is_refused(cli_clinic, tmp_path):
    (tmp_path / "a-file").write_text("x", encoding="utf-8")
    for target, reason in ((tmp_path, "it is a folder, not a file"),
                           (tmp_path / "a-file" / "x.json", "part of the path is a file, not a folder")):
        code, _, err = run("--database", cli_clinic.url, "export", "-o", str(target))
        assert code == 2 and err == f"error: cannot write {target}: {reason}\n"


def test_a_failed_write_leaves_the_old_file_whole_and_no_partial_file(cli_clinic, tmp_path, monkeypatch):
    folder = tmp_path / "exports"
    folder.mkdir()
    target = folder / "caseload.json"
    target.write_text("the previous export", encoding="utf-8")

    def refuse(src, dst):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(cli.os, "replace", refuse)
    code, _, err = run("--database", cli_clinic.url, "export", "-o", str(target))
    assert code == 2 and err == f"error: cannot write {target}: no space left on device\n"
    assert target.read_text(encoding="utf-8") == "the previous export"
    assert files_under(folder) == ["caseload.json"]


def test_an_export_replaces_its_output_whole(cli_clinic, tmp_path):
    assert run("--database", cli_clinic.url, "import", str(FULL))[0] == 0
    folder = tmp_path / "exports"
    folder.mkdir()
    target = folder / "caseload.json"
    target.write_text("x" * 500_000, encoding="utf-8")  # longer than the export: no tail may remain
    assert run("--database", cli_clinic.url, "export", "-o", str(target))[0] == 0
    assert len(json.loads(target.read_text(encoding="utf-8"))["patients"]) == 2
    assert files_under(folder) == ["caseload.json"]


def test_an_import_path_that_is_a_folder_is_refused(cli_clinic, tmp_path):
    code, _, err = run("--database", cli_clinic.url, "import", str(tmp_path))
    assert code == 2 and err == f"error: cannot read {tmp_path}: it is a folder, not a file\n"


def test_an_import_file_that_is_not_utf8_is_refused_and_changes_nothing(cli_clinic, tmp_path):
    latin1 = tmp_path / "latin1.json"
    latin1.write_bytes(FULL.read_text(encoding="utf-8").encode("latin-1", "replace"))  # "Zoë": 0xeb
    before = in_database(cli_clinic.url, fingerprint)
    code, out, err = run("--database", cli_clinic.url, "import", str(latin1))
    assert code == 2 and out == ""
    assert err.startswith(f"error: cannot read {latin1}: it is not UTF-8 text (byte ") and "Traceback" not in err
    assert err.count("\n") == 1
    assert in_database(cli_clinic.url, fingerprint) == before


# --- 4. dates on the command line -------------------------------------------------------------

@pytest.mark.parametrize("option, text, message", [
    ("--on", "01/12/2026", "argument --on: '01/12/2026' is not a date; write it as YYYY-MM-DD"),
    ("--on", "2026-02-30", "argument --on: 30 February 2026 does not exist"),
    ("--on", "2025-02-29", "argument --on: 29 February 2025 does not exist"),
    ("--on", "2026-04-31", "argument --on: 31 April 2026 does not exist"),
    ("--on", "2026-06-00", "argument --on: 0 June 2026 does not exist"),
    ("--on", "2026-13-01", "argument --on: '2026-13-01': there is no month 13; months run from 01 to 12"),
    ("--review-on", "2026-11-31", "argument --review-on: 31 November 2026 does not exist"),
])
def test_a_date_argument_gets_one_clean_message(option, text, message):
    command = ("decide", "--plan", "defer") if option == "--review-on" else ("check", "--drug", "alendronate")
    code, out, err = run(*command, "--patient", "9434765919", option, text)
    assert code == 2 and out == ""
    assert err.splitlines()[-1] == f"error: {message}"
    assert err.count(f"{option}:") == 1


@pytest.mark.parametrize("text, day", [("2024-02-29", date(2024, 2, 29)), ("2025-12-31", date(2025, 12, 31))])
def test_real_dates_are_read(text, day):
    assert cli.date_argument(text) == day


# --- 5. the readable output is for people ---------------------------------------------------

def test_readable_check_names_the_patient_with_her_spaced_nhs_number(cli_clinic):
    assert run("--database", cli_clinic.url, "import", str(FULL))[0] == 0
    code, out, err = run("--database", cli_clinic.url, "check", "--patient", "9434765919",
                         "--drug", "alendronate", "--on", "2025-06-01")
    assert code == 0, err
    heading = out.splitlines()[0]
    assert heading.startswith(f"Alendronic acid (alendronate) for {NHS_PATIENT} on 01-Jun-2025: "), heading


def test_readable_check_names_a_patient_known_by_her_hospital_number(cli_clinic):
    assert run("--database", cli_clinic.url, "import", str(FULL))[0] == 0
    code, out, err = run("--database", cli_clinic.url, "check", "--patient", "RX1234567",
                         "--drug", "denosumab", "--on", "2025-06-01")
    assert code == 0, err
    assert " for NGUYỄN, Zoë Łucja (hospital no. RX1234567) on 01-Jun-2025: " in out.splitlines()[0]


def _hospital_only_document(tmp_path: Path) -> Path:
    doc = json.loads(FULL.read_text(encoding="utf-8"))
    patient = next(p for p in doc["patients"] if p.get("nhs_number") == "9434765919")
    del patient["nhs_number"]
    patient["hospital_number"] = "RX7654321"
    doc["patients"] = [patient]
    path = tmp_path / "hospital-only.json"
    path.write_text(json.dumps(doc, ensure_ascii=False), encoding="utf-8")
    return path


@pytest.mark.parametrize("document, label", [
    (lambda tmp: FULL, NHS_PATIENT),
    (_hospital_only_document, "O'BRIEN, Siobhán (hospital no. RX7654321)"),
], ids=["nhs-number", "hospital-number"])
def test_readable_worklist_names_each_patient_with_her_number(cli_clinic, tmp_path, document, label):
    assert run("--database", cli_clinic.url, "import", str(document(tmp_path)))[0] == 0
    code, out, err = run("--database", cli_clinic.url, "worklist", "--on", "2025-06-01")
    assert code == 0, err
    tasks = json.loads(run("--database", cli_clinic.url, "worklist", "--on", "2025-06-01", "--json")[1])
    lines = out.splitlines()
    assert len(tasks) >= 1 and lines[-1] == f"{len(tasks)} task{'s' if len(tasks) != 1 else ''}"
    for task, line in zip(tasks, lines):
        assert label in line and task["code"] in line, line


@pytest.mark.parametrize("drug", ["alendronic acid", "Alendronic Acid", "ALENDRONIC  ACID", "alendronate"])
def test_check_takes_the_drug_by_the_name_the_desktop_shows(cli_clinic, drug):
    assert codes.DRUG_NAMES["alendronate"] == "Alendronic acid"  # the name the check dialog lists
    assert run("--database", cli_clinic.url, "import", str(FULL))[0] == 0
    by_code = run("--database", cli_clinic.url, "check", "--patient", "9434765919", "--drug", "alendronate",
                  "--on", "2025-06-01", "--json")
    code, out, err = run("--database", cli_clinic.url, "check", "--patient", "9434765919", "--drug", drug,
                         "--on", "2025-06-01", "--json")
    assert code == 0, err
    assert json.loads(out) == json.loads(by_code[1]) and json.loads(out)["drug"] == "alendronate"


def test_every_drug_name_and_code_is_understood():
    for code, name in codes.DRUG_NAMES.items():
        assert cli.drug_argument(name) == code == cli.drug_argument(code) == cli.drug_argument(name.upper())


def test_an_unknown_drug_lists_the_choices():
    code, out, err = run("check", "--patient", "9434765919", "--drug", "aspirin")
    assert code == 2 and out == ""
    message = err.splitlines()[-1]
    assert message.startswith("error: argument --drug: 'aspirin' is not a drug code or name; use one of: ")
    for code_, name in codes.DRUG_NAMES.items():
        assert f"{code_} ({name})" in message


# --- 6. who may import -----------------------------------------------------------------------

@pytest.mark.parametrize("user_name", [name for name, _role, _display in USERS])
def test_admin_nurse_and_consultant_may_all_import(clinic, signed_in_env, user_name):
    close_database()
    signed_in_env(user_name)
    code, _, err = run("--database", clinic.url, "import", str(FULL))
    assert code == 0 and "imported 2 patients" in err, err
    audited = in_database(clinic.url, lambda: sorted(
        e.user_name for e in AuditEntry.select().where(AuditEntry.action == "import")))
    assert audited == [user_name, user_name]


def test_the_import_roles_are_every_role_there_is():
    from pao_clinic.services.session import ADMIN_ROLES, CLINICAL_ROLES, IMPORT_ROLES

    assert set(IMPORT_ROLES) == set(codes.ROLES) == set(ADMIN_ROLES + CLINICAL_ROLES)


def test_import_without_a_signed_in_user_is_refused(clinic):
    from pao_clinic.exchange import read_document_text

    records = read_document_text(FULL.read_text(encoding="utf-8"), today=date.today())
    with pytest.raises(PermissionDenied, match="signed in"):
        services.import_records(None, records)
    assert services.patient_count() == 0


# --- 7. commands and prompts not tested before ----------------------------------------------

def test_user_list_shows_every_user_with_role_display_name_and_state(cli_clinic):
    from pao_clinic.storage.models import User

    in_database(cli_clinic.url, lambda: User.update(active=False).where(User.name == "dr.chen").execute())
    code, out, err = run("--database", cli_clinic.url, "user", "list")
    assert code == 0, err
    rows = [line.split(None, 2) for line in out.splitlines()]
    assert rows == [["ada.admin", "admin", "Ada Admin"], ["dr.chen", "consultant", "Dr Mei Chen  (inactive)"],
                    ["nina.nurse", "nurse", "Nina Nurse"]]


def test_user_list_needs_a_signed_in_user(cli_clinic, monkeypatch):
    monkeypatch.delenv("PAO_CLINIC_USER")
    code, out, err = run("--database", cli_clinic.url, "user", "list")
    assert code == 2 and out == "" and "--user NAME" in err


class FakeTerminal(io.StringIO):
    """Standard input that says it is a terminal."""

    def isatty(self) -> bool:
        return True


def prompting(monkeypatch, answers: list[str]) -> list[str]:
    """Replace the hidden prompt: each call answers the next of `answers`; returns the prompts shown."""
    prompts = []

    def fake_getpass(prompt="Password: ", stream=None):
        prompts.append(prompt)
        return answers[len(prompts) - 1]

    monkeypatch.setattr(getpass, "getpass", fake_getpass)
    monkeypatch.setattr(sys, "stdin", FakeTerminal())
    return prompts


def test_without_a_password_variable_the_password_is_asked_for_at_a_terminal(cli_clinic, monkeypatch):
    monkeypatch.delenv("PAO_CLINIC_PASSWORD")
    prompts = prompting(monkeypatch, [PASSWORD])
    code, out, err = run("--database", cli_clinic.url, "export")
    assert code == 0, err
    assert prompts == ["Password for nina.nurse: "] and json.loads(out)["patients"] == []


def test_a_wrong_password_at_the_prompt_is_refused(cli_clinic, monkeypatch):
    monkeypatch.delenv("PAO_CLINIC_PASSWORD")
    prompting(monkeypatch, ["not it"])
    code, out, err = run("--database", cli_clinic.url, "export")
    assert code == 2 and out == "" and "user name or password not recognised" in err


def test_without_a_terminal_or_variable_there_is_no_password(cli_clinic, monkeypatch):
    monkeypatch.delenv("PAO_CLINIC_PASSWORD")
    monkeypatch.setattr(getpass, "getpass", lambda *a, **k: pytest.fail("no prompt without a terminal"))
    code, _, err = run("--database", cli_clinic.url, "export", stdin="")
    assert code == 2 and "no password: set PAO_CLINIC_PASSWORD or run the command in a terminal" in err


@pytest.mark.parametrize("answers, code, words", [
    (["a new long password", "a new long password", PASSWORD], 0, "added nurse 'nora'"),
    (["a new long password", "a different one!", PASSWORD], 2, "password: the two passwords differ"),
])
def test_a_new_users_password_is_asked_twice_at_a_terminal(cli_clinic, monkeypatch, answers, code, words):
    monkeypatch.setenv("PAO_CLINIC_USER", "ada.admin")
    monkeypatch.delenv("PAO_CLINIC_PASSWORD")
    prompts = prompting(monkeypatch, answers)
    result, out, err = run("--database", cli_clinic.url, "user", "add", "nora", "--role", "nurse")
    assert result == code and words in out + err, err
    assert prompts[:2] == ["New password for nora: ", "Again: "]
    names = in_database(cli_clinic.url, lambda: [u.name for u in services.list_users()])
    assert ("nora" in names) == (code == 0)


@pytest.mark.parametrize("name, role, password, field, words", [
    ("", "nurse", "long enough pw", "name", "a user name is required"),
    ("   ", "nurse", "long enough pw", "name", "a user name is required"),
    ("nora smith", "nurse", "long enough pw", "name", "without spaces"),
    ("n" * 65, "nurse", "long enough pw", "name", "1 to 64 characters"),
    ("nora", "doctor", "long enough pw", "role", f"'doctor' is not a role; use one of {', '.join(codes.ROLES)}"),
    ("nora", "nurse", "short", "password", "at least 10 characters"),
    ("nora", "nurse", "", "password", "at least 10 characters"),
    ("nina.nurse", "nurse", "long enough pw", "name", "a user called 'nina.nurse' already exists"),
])
def test_add_user_names_the_field_that_is_wrong_and_adds_nobody(clinic, name, role, password, field, words):
    before = [u.name for u in services.list_users()]
    with pytest.raises(ValidationError) as caught:
        services.add_user(clinic.admin, name, role=role, password=password)
    assert any(words in message for message in caught.value.for_field(field)), caught.value.problems
    assert [u.name for u in services.list_users()] == before


def test_add_user_reports_every_wrong_field_at_once(clinic):
    with pytest.raises(ValidationError) as caught:
        services.add_user(clinic.admin, "a b", role="doctor", password="short")
    assert {p.path for p in caught.value.problems} == {"name", "role", "password"}


def test_only_an_admin_adds_users(clinic):
    for actor in (clinic.nurse, clinic.consultant):
        with pytest.raises(PermissionDenied, match="admin"):
            services.add_user(actor, "nora", role="nurse", password="long enough pw")


def test_add_user_on_the_command_line_says_which_field(cli_clinic, monkeypatch):
    monkeypatch.setenv("PAO_CLINIC_USER", "ada.admin")
    code, _, err = run("--database", cli_clinic.url, "user", "add", "nina.nurse", "--role", "nurse",
                       "--password-stdin", stdin="long enough pw\n")
    assert code == 2 and err == "error: name: a user called 'nina.nurse' already exists\n"
