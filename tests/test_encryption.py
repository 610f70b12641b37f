"""Encrypted clinics (SQLCipher, `sqlcipher:///path`): the passphrase, encrypt, rekey, encrypted backups, letters.

An encrypted file has no SQLite header and none of its rows readable in its bytes; it opens only
with its passphrase, and a wrong one has its own message.  Its backups are encrypted with the
same passphrase.  The services work on it as on a plain file.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import sqlite3
from datetime import date
from pathlib import Path

import pytest

from pao_clinic import services
from pao_clinic.demo import demo_caseload
from pao_clinic.environment import append_to_log, log_file
from pao_clinic.errors import StorageError, ValidationError
from pao_clinic.services import import_records, patient_count
from pao_clinic.services.backups import back_up_database
from pao_clinic.services.encryption import use_passphrase
from pao_clinic.services import letters as letter_service
from pao_clinic.storage.backup_files import check_database_file
from pao_clinic.storage.connection import (
    SQLITE_HEADER, WrongPassphrase, close_database, forget_passphrase, remember_passphrase,
)
from pao_clinic.storage.location import parse_database_url
from pao_clinic.storage.models import AuditEntry, StoredDocument
from pao_clinic.storage.opening import open_database

from .conftest import Clinic, _build_template
from .test_cli import fingerprint, in_database, run
from .test_letters import ON, register_lucja, set_letterhead

PASSPHRASE = "a clinic's own long passphrase"


def file_of(url: str) -> Path:
    return parse_database_url(url).sqlite_file.absolute()


def sha256(file: Path) -> str:
    return hashlib.sha256(file.read_bytes()).hexdigest()


@pytest.fixture(scope="module")
def encrypted_template(tmp_path_factory):
    """One encrypted clinic with the three users, made once; each test gets a copy of the file."""
    file = tmp_path_factory.mktemp("encrypted-template") / "template.sqlite"
    remember_passphrase(file, PASSPHRASE)
    try:
        actors = _build_template(f"sqlcipher:///{file}")
    finally:
        forget_passphrase(file)
    return file, actors


@pytest.fixture
def encrypted_clinic(encrypted_template, tmp_path, monkeypatch):
    """A fresh encrypted clinic, bound; its passphrase in PAO_CLINIC_PASSPHRASE as a user would set it."""
    template, actors = encrypted_template
    file = tmp_path / "clinic.sqlite"
    shutil.copyfile(template, file)
    monkeypatch.setenv("PAO_CLINIC_PASSPHRASE", PASSPHRASE)
    url = f"sqlcipher:///{file}"
    open_database(url)
    try:
        yield Clinic(url=url, backend="sqlcipher", admin=actors["admin"], nurse=actors["nurse"],
                     consultant=actors["consultant"])
    finally:
        close_database()


@pytest.fixture
def closed_encrypted_clinic(encrypted_clinic, signed_in_env):
    close_database()
    signed_in_env("ada.admin")
    return encrypted_clinic


# --- the file ----------------------------------------------------------------------------------

def test_an_issued_letters_pdf_and_her_name_are_not_in_the_encrypted_files_bytes(encrypted_clinic, sqlite_clinic):
    """The same letter issued in a plain and an encrypted clinic: its PDF bytes are in the one file, not the other."""
    found = {}
    for clinic in (sqlite_clinic, encrypted_clinic):
        close_database()
        open_database(clinic.url)
        set_letterhead()
        patient_id, referral_id = register_lucja(clinic)
        document_id = letter_service.issue_letter(clinic.consultant, patient_id, referral_id, today=ON)
        pdf = bytes(StoredDocument.get_by_id(document_id).content)
        close_database()  # everything checkpointed into the file itself
        raw = file_of(clinic.url).read_bytes()
        assert not file_of(clinic.url).with_name(file_of(clinic.url).name + "-wal").exists()
        found[clinic.backend] = (pdf[:48] in raw, "Wiśniewska".encode() in raw, raw.startswith(SQLITE_HEADER))
    open_database(encrypted_clinic.url)
    assert found["sqlite"] == (True, True, True)       # the search would find them in a plain file
    assert found["sqlcipher"] == (False, False, False)
    assert in_database(encrypted_clinic.url, lambda: StoredDocument.select().count()) == 1


def test_the_services_work_on_an_encrypted_clinic_as_on_a_plain_one(encrypted_clinic):
    ids = import_records(encrypted_clinic.nurse, demo_caseload(4, seed=2, today=date.today()))
    assert patient_count() == 4
    assert {row.patient_id for row in services.caseload_rows(date.today())} == set(ids)
    document = services.export_document()
    close_database()
    open_database(encrypted_clinic.url)  # a new connection, with the passphrase from the environment
    again = services.export_document()
    assert (again["patients"], len(again["patients"])) == (document["patients"], 4)


def test_a_wrong_or_missing_passphrase_has_its_own_message_and_changes_nothing(closed_encrypted_clinic, monkeypatch):
    url, file = closed_encrypted_clinic.url, file_of(closed_encrypted_clinic.url)
    before = sha256(file)
    monkeypatch.setenv("PAO_CLINIC_PASSPHRASE", "not the passphrase at all")
    assert run("user", "list", "--database", url) == (2, "", f"error: the passphrase for {file} is wrong\n")
    monkeypatch.delenv("PAO_CLINIC_PASSPHRASE")
    code, out, err = run("user", "list", "--database", url)
    assert (code, out) == (2, "")
    assert err == (f"error: {file} is encrypted: give its passphrase in PAO_CLINIC_PASSPHRASE, "
                   "or run the command in a terminal to be asked for it\n")
    with pytest.raises(WrongPassphrase, match="the passphrase for .* is wrong"):
        use_passphrase(url, "a guess that is wrong")
    assert sha256(file) == before


def test_an_encrypted_file_opened_as_plain_and_a_plain_file_opened_as_encrypted_say_so(
        closed_encrypted_clinic, sqlite_clinic):
    encrypted = file_of(closed_encrypted_clinic.url)
    code, _, err = run("user", "list", "--database", f"sqlite:///{encrypted}")
    assert code == 2 and f"(if it is an encrypted PAO Clinic database, open it as sqlcipher:///{encrypted})" in err
    plain = file_of(sqlite_clinic.url)
    close_database()
    code, _, err = run("user", "list", "--database", f"sqlcipher:///{plain}")
    assert (code, err) == (2, f"error: {plain} is not encrypted: open it as sqlite:///{plain}, or make an "
                              "encrypted copy with `pao-clinic encrypt`\n")


def test_a_passphrase_typed_or_in_the_environment_never_reaches_the_log(monkeypatch):
    monkeypatch.setenv("PAO_CLINIC_PASSPHRASE", "environment passphrase value")
    monkeypatch.setenv("PAO_CLINIC_NEW_PASSPHRASE", "the new passphrase value")
    remember_passphrase(Path("/nowhere/typed.sqlite"), "typed passphrase value")
    try:
        log = log_file()
        log.unlink(missing_ok=True)
        append_to_log("PRAGMA key = 'typed passphrase value'; environment passphrase value; the new passphrase value\n")
        text = log.read_text(encoding="utf-8")
    finally:
        forget_passphrase(Path("/nowhere/typed.sqlite"))
    assert "passphrase value" not in text and text.count("***") == 3


# --- backups of an encrypted clinic --------------------------------------------------------------

def test_the_backup_of_an_encrypted_clinic_is_encrypted_with_its_passphrase(encrypted_clinic):
    import_records(encrypted_clinic.nurse, demo_caseload(2, seed=3, today=date.today()))
    made = back_up_database(encrypted_clinic.admin)
    assert made.encrypted
    raw = made.path.read_bytes()
    assert not raw.startswith(SQLITE_HEADER)
    plain = sqlite3.connect(made.path)
    with pytest.raises(sqlite3.DatabaseError, match="not a database"):
        plain.execute("SELECT count(*) FROM patient").fetchone()
    plain.close()
    location = parse_database_url(encrypted_clinic.url)
    with pytest.raises(WrongPassphrase):
        remember_passphrase(location.sqlite_file, "the wrong passphrase here")
        try:
            check_database_file(location, made.path)
        finally:
            forget_passphrase(location.sqlite_file)
    assert check_database_file(location, made.path) >= 1  # the database's own passphrase opens it
    assert in_database(f"sqlcipher:///{made.path}", patient_count) == 2


def test_an_encrypted_backup_restores_with_the_passphrase(closed_encrypted_clinic):
    url, file = closed_encrypted_clinic.url, file_of(closed_encrypted_clinic.url)
    assert run("backup", "--database", url)[0] == 0
    [backup] = list((file.parent / "backups").iterdir())
    in_database(url, lambda: import_records(closed_encrypted_clinic.nurse,
                                            demo_caseload(2, seed=4, today=date.today())))
    code, out, err = run("restore", str(backup), "--database", url)
    assert code == 0, err
    assert in_database(url, patient_count) == 0
    assert not file.read_bytes().startswith(SQLITE_HEADER)


# --- pao-clinic encrypt and rekey ----------------------------------------------------------------

def test_encrypt_makes_a_checked_encrypted_copy_and_leaves_the_original_as_it_was(
        sqlite_clinic, signed_in_env, monkeypatch, tmp_path):
    import_records(sqlite_clinic.nurse, demo_caseload(3, seed=6, today=date.today()))
    rows = fingerprint()
    close_database()
    original = file_of(sqlite_clinic.url)
    target = tmp_path / "encrypted.sqlite"
    signed_in_env("ada.admin")
    monkeypatch.delenv("PAO_CLINIC_PASSPHRASE", raising=False)
    monkeypatch.setenv("PAO_CLINIC_NEW_PASSPHRASE", PASSPHRASE)
    code, out, err = run("encrypt", "--to", str(target), "--database", sqlite_clinic.url)
    assert code == 0, err
    assert out.startswith(f"wrote an encrypted copy of {original} (")
    assert f"use it with --database sqlcipher:///{target}" in out
    before = sha256(original)
    assert not target.read_bytes().startswith(SQLITE_HEADER)
    assert not list(tmp_path.glob(".encrypted.sqlite.*"))
    monkeypatch.setenv("PAO_CLINIC_PASSPHRASE", PASSPHRASE)
    forget_passphrase(target)  # as a later command: only the environment's passphrase
    copied = in_database(f"sqlcipher:///{target}", fingerprint)
    assert copied["audit_entry"] > rows["audit_entry"]  # signing in, and the entry naming the original
    assert {k: v for k, v in copied.items() if k != "audit_entry"} == {k: v for k, v in rows.items()
                                                                       if k != "audit_entry"}
    entry = in_database(f"sqlcipher:///{target}", lambda: AuditEntry.get(AuditEntry.action == "encrypted"))
    assert (entry.record_type, entry.user_name, json.loads(entry.after)["from"]) == (
        "database", "ada.admin", str(original))
    assert sha256(original) == before and original.read_bytes().startswith(SQLITE_HEADER)


@pytest.mark.parametrize("case, words", [
    ("exists", "there is already a file at"),
    ("short", "error: passphrase: the passphrase must have at least 10 characters"),
    ("nurse", "Encrypting the database: only an admin may do this"),
])
def test_encrypt_refuses_and_writes_no_file(sqlite_clinic, signed_in_env, monkeypatch, tmp_path, case, words):
    close_database()
    target = tmp_path / "encrypted.sqlite"
    signed_in_env("nina.nurse" if case == "nurse" else "ada.admin")
    monkeypatch.setenv("PAO_CLINIC_NEW_PASSPHRASE", "short" if case == "short" else PASSPHRASE)
    if case == "exists":
        target.write_bytes(b"someone's file")
    code, out, err = run("encrypt", "--to", str(target), "--database", sqlite_clinic.url)
    assert (code, out) == (2, "") and words in err and err.count("\n") == 1, err
    assert (target.read_bytes() == b"someone's file") if case == "exists" else not target.exists()
    assert not list(tmp_path.glob(".encrypted.sqlite.*"))


def test_rekey_changes_the_passphrase_and_earlier_backups_keep_theirs(closed_encrypted_clinic, monkeypatch):
    url, file = closed_encrypted_clinic.url, file_of(closed_encrypted_clinic.url)
    assert run("backup", "--database", url)[0] == 0
    [backup] = list((file.parent / "backups").iterdir())
    new = "the clinic's new passphrase"
    monkeypatch.setenv("PAO_CLINIC_NEW_PASSPHRASE", new)
    code, out, err = run("rekey", "--database", url)
    assert code == 0, err
    assert out == f"changed the passphrase of {file}; backups made before keep the passphrase they were made with\n"
    forget_passphrase(file)
    assert run("user", "list", "--database", url)[2] == f"error: the passphrase for {file} is wrong\n"
    monkeypatch.setenv("PAO_CLINIC_PASSPHRASE", new)
    assert run("user", "list", "--database", url)[0] == 0
    assert in_database(url, lambda: AuditEntry.select().where(AuditEntry.action == "rekeyed").count()) == 1
    location = parse_database_url(url)
    with pytest.raises(WrongPassphrase):
        check_database_file(location, backup)
    monkeypatch.setenv("PAO_CLINIC_PASSPHRASE", PASSPHRASE)
    assert check_database_file(location, backup) >= 1


def test_rekey_refuses_a_plain_database_and_a_short_passphrase(closed_encrypted_clinic, sqlite_clinic, monkeypatch):
    close_database()
    monkeypatch.setenv("PAO_CLINIC_NEW_PASSPHRASE", PASSPHRASE + " 2")
    code, _, err = run("rekey", "--database", sqlite_clinic.url)
    assert (code, err) == (2, "error: only an encrypted database (sqlcipher:///PATH) has a passphrase to change\n")
    monkeypatch.setenv("PAO_CLINIC_NEW_PASSPHRASE", "tiny")
    code, _, err = run("rekey", "--database", closed_encrypted_clinic.url)
    assert (code, err) == (2, "error: new passphrase: the passphrase must have at least 10 characters\n")
    assert run("user", "list", "--database", closed_encrypted_clinic.url)[0] == 0  # the old one still opens it


def test_a_new_encrypted_clinic_starts_with_init_and_its_passphrase(tmp_path, monkeypatch):
    monkeypatch.setenv("PAO_CLINIC_PASSPHRASE", PASSPHRASE)
    url = f"sqlcipher:///{tmp_path / 'new.sqlite'}"
    code, out, err = run("init", "--database", url)
    assert code == 0, err
    assert not (tmp_path / "new.sqlite").read_bytes().startswith(SQLITE_HEADER)
    with pytest.raises(StorageError):
        open_database(f"sqlite:///{tmp_path / 'new.sqlite'}")
    with pytest.raises(ValidationError, match="at least 10 characters"):
        use_passphrase(f"sqlcipher:///{tmp_path / 'other.sqlite'}", "short")


def test_a_damaged_encrypted_file_names_its_newest_good_backup(closed_encrypted_clinic):
    url, file = closed_encrypted_clinic.url, file_of(closed_encrypted_clinic.url)
    in_database(url, lambda: import_records(closed_encrypted_clinic.nurse,
                                            demo_caseload(8, seed=8, today=date.today())))
    assert run("backup", "--database", url)[0] == 0
    [backup] = list((file.parent / "backups").iterdir())
    pages = file.stat().st_size // 4096  # SQLCipher 4's page size
    with file.open("r+b") as f:  # pages in the middle: their HMACs no longer match
        f.seek(4096 * (pages // 2))
        f.write(b"\x13" * 4096 * 3)
    before = sha256(file)
    code, _, err = run("user", "list", "--database", url)
    assert code == 2 and err.startswith(f"error: the database {file} is damaged (") and err.count("\n") == 1
    assert err.rstrip().endswith(f"pao-clinic restore {backup} --database sqlcipher:///{file}")
    assert sha256(file) == before
