"""Starting the desktop app when it cannot go on: the database cannot be opened, the
database has patients but nobody to sign in, or whoever was asked cancels the sign-in.

`ui.app.run_desktop` is driven as `pao-clinic` drives it, with its dialogs replaced:
`SignInDialog.ask` (the style's modal dialog behind a classmethod) answers for the user,
`QMessageBox.critical` records what would have been shown, and the main window must
never be built.  Each case checks the exit code, the words shown, and that nothing on
disk or in the database was created or changed.
"""

from __future__ import annotations

import argparse
import hashlib
from datetime import date
from pathlib import Path
from types import SimpleNamespace

import pytest
from PySide6.QtWidgets import QMessageBox

from pao_clinic import services
from pao_clinic.storage.connection import bound_database_url, close_database

from pao_clinic.record import PatientRecord

from .test_cli import fingerprint, in_database

pytestmark = [
    pytest.mark.qt_log_level_fail("WARNING"),
    pytest.mark.qt_log_ignore("does not support propagateSizeHints"),
]


AMARA = PatientRecord(ref="", family_name="Okafor", given_name="Amara", date_of_birth=date(1992, 3, 14),
                      hospital_number="RX1001")


class Desktop:
    """`run_desktop` with its dialogs answered by the test; what it showed and asked."""

    def __init__(self, monkeypatch):
        from ui import app as desktop

        self.module = desktop
        self.messages: list[str] = []
        self.asked: list[str] = []
        self.answer = None  # what the sign-in dialog returns (None: the user cancelled)

        def critical(parent, title, text, *args, **kwargs):
            assert title == desktop.APP_NAME
            self.messages.append(text)
            return QMessageBox.StandardButton.Ok

        def ask(cls, user_name="", parent=None):
            self.asked.append(user_name)
            return self.answer

        def no_window(*args, **kwargs):
            raise AssertionError("the main window must not open")

        monkeypatch.setattr(desktop.QMessageBox, "critical", staticmethod(critical))
        monkeypatch.setattr(desktop.SignInDialog, "ask", classmethod(ask))
        monkeypatch.setattr(desktop, "MainWindow", no_window)

    def run(self, url: str, **args) -> int:
        code = self.module.run_desktop(url, argparse.Namespace(**args))
        assert bound_database_url() is None, "start-up leaves no database bound"
        return code


@pytest.fixture
def desktop(qapp, monkeypatch):
    """The desktop's start-up with dialogs replaced; the application's looks put back after."""
    kept = qapp.organizationName(), qapp.applicationName(), qapp.styleSheet()
    monkeypatch.delenv("PAO_CLINIC_USER", raising=False)
    yield Desktop(monkeypatch)
    qapp.setOrganizationName(kept[0])
    qapp.setApplicationName(kept[1])
    qapp.setStyleSheet(kept[2])


def tree(folder: Path) -> dict[str, str]:
    """Every file under `folder` with a digest of its bytes (the folder 'as it was')."""
    return {str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}


# --- the database cannot be opened ----------------------------------------------------------

def test_a_data_folder_that_cannot_be_made_stops_the_first_run_with_its_reason(desktop, tmp_path, monkeypatch):
    from pao_clinic.environment import default_database_file
    from pao_clinic.storage.location import default_database_url

    blocker = tmp_path / "data"
    blocker.write_text("a file where the data folder should be\n", encoding="utf-8")
    monkeypatch.setenv("XDG_DATA_HOME", str(blocker / "inside"))
    file = default_database_file()
    assert blocker in file.parents  # the first run's default file, under a folder that cannot be made
    before = tree(tmp_path)

    code = desktop.run(default_database_url())

    assert code == 2
    (message,) = desktop.messages
    assert message.startswith("The database cannot be opened.\n\n")
    assert str(file) in message and "Not a directory" in message
    assert desktop.asked == []
    assert tree(tmp_path) == before and blocker.is_file()


@pytest.mark.parametrize("contents", [
    b"Clinic notes, 3 June: not a database\n",
    bytes(range(256)) * 16,
], ids=["text", "binary"])
def test_a_file_that_is_not_a_database_is_refused_and_left_as_it_was(desktop, tmp_path, contents):
    file = tmp_path / "caseload.sqlite"
    file.write_bytes(contents)
    before = tree(tmp_path)

    code = desktop.run(f"sqlite:///{file}")

    assert code == 2
    (message,) = desktop.messages
    assert message.startswith("The database cannot be opened.\n\n")
    assert str(file) in message and "not" in message.split("\n\n", 1)[1]
    assert desktop.asked == []
    assert tree(tmp_path) == before and file.read_bytes() == contents


def test_a_mistyped_database_path_is_refused_and_nothing_is_made(desktop, tmp_path):
    file = tmp_path / "clinic" / "typo" / "pao.sqlite"

    code = desktop.run(f"sqlite:///{file}")

    assert code == 2
    (message,) = desktop.messages
    assert message.startswith("The database cannot be opened.\n\n")
    assert f"there is no PAO Clinic database at {file}" in message
    assert desktop.asked == []
    assert list(tmp_path.iterdir()) == []


# --- nobody signs in ----------------------------------------------------------------------

def test_cancelling_the_sign_in_quits_with_0_and_changes_nothing(desktop, sqlite_clinic, monkeypatch):
    services.register_patient(sqlite_clinic.nurse, AMARA)
    close_database()
    before = in_database(sqlite_clinic.url, fingerprint)
    monkeypatch.setenv("PAO_CLINIC_USER", "nina.nurse")

    code = desktop.run(sqlite_clinic.url)

    assert code == 0
    assert desktop.asked == ["nina.nurse"]  # the dialog was offered her name
    assert desktop.messages == []
    assert in_database(sqlite_clinic.url, fingerprint) == before


def test_the_user_named_on_the_command_line_is_offered_before_the_environments(desktop, sqlite_clinic, monkeypatch):
    close_database()
    monkeypatch.setenv("PAO_CLINIC_USER", "nina.nurse")

    assert desktop.run(sqlite_clinic.url, user="dr.chen") == 0
    assert desktop.asked == ["dr.chen"]


def test_patients_without_any_user_stop_start_up_with_what_to_do(desktop, tmp_path):
    from pao_clinic.services.records import patient_columns
    from pao_clinic.storage.models import Patient
    from pao_clinic.storage.opening import open_database

    url = f"sqlite:///{tmp_path / 'no-users.sqlite'}"
    open_database(url, create=True)
    try:  # a caseload whose users are gone: written straight to the table, as no service would
        Patient.insert(**patient_columns(AMARA)).execute()
    finally:
        close_database()
    before = in_database(url, fingerprint)
    assert before["patient"] == 1 and before["user"] == 0

    code = desktop.run(url)

    assert code == 2
    assert desktop.messages == ["this database has patients but no users: add one with "
                                "'pao-clinic user add NAME --role admin'"]
    assert desktop.asked == []
    assert in_database(url, fingerprint) == before


def test_a_broken_letter_template_stops_the_start_with_its_file_and_placeholder(desktop, tmp_path, monkeypatch):
    from pao_clinic.letters import templates as letter_templates
    from pao_clinic.record import codes

    shipped = Path(letter_templates.__file__).parents[2] / "resources" / "letters"
    (tmp_path / "letters").mkdir()
    for specialty in codes.SPECIALTIES:
        (tmp_path / "letters" / f"{specialty}.txt").write_text(
            (shipped / f"{specialty}.txt").read_text("utf-8"), "utf-8")
    broken = tmp_path / "letters" / "physiotherapy.txt"
    broken.write_text(broken.read_text("utf-8") + "\n- Please note her {shoe_size}.\n", "utf-8")
    # only the letters read from the broken folder (the window's icons still come from resources/)
    monkeypatch.setattr(letter_templates, "_resources", SimpleNamespace(files=lambda package: tmp_path))
    url = f"sqlite:///{tmp_path / 'never-made.sqlite'}"

    assert desktop.run(url) == 2
    (message,) = desktop.messages
    assert "letter template is broken" in message
    assert "letters/physiotherapy.txt" in message and "{shoe_size}" in message
    assert not (tmp_path / "never-made.sqlite").exists() and desktop.asked == []
