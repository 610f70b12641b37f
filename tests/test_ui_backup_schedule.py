"""The desktop's scheduled and on-exit backups, and the passphrase dialog for an encrypted database.

The schedule runs on a plain main window with the signed-in user as `actor` (all it needs of
MainWindow); its clock is the test's, moved on instead of waiting.
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from PySide6.QtCore import QEvent
from PySide6.QtWidgets import QApplication, QDialog, QMainWindow

from pao_clinic.services import backups as backup_service
from pao_clinic.services import encryption
from pao_clinic.storage.connection import close_database, forget_passphrase, remember_passphrase
from pao_clinic.storage.location import parse_database_url
from pao_clinic.storage.models import AuditEntry
from pao_clinic.storage.opening import open_database
from ui.backup_schedule import BackupSchedule, install_backup_schedule
from ui.passphrase_dialog import PassphraseDialog, ask_passphrase_if_needed

PASSPHRASE = "a clinic's own long passphrase"


class Clock:
    def __init__(self):
        self.now = datetime.now(timezone.utc).replace(microsecond=0)

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
def clinic_window(qtbot, sqlite_clinic, monkeypatch):
    monkeypatch.delenv("PAO_CLINIC_BACKUP_DIR", raising=False)
    window = QMainWindow()
    window.actor = sqlite_clinic.nurse
    qtbot.addWidget(window)
    window.show()
    yield window
    window.close()
    window.deleteLater()
    QApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)


def backups(url: str) -> list[Path]:
    return [b.path for b in backup_service.backups_kept(url)]


def test_the_schedule_backs_up_at_start_then_only_when_the_last_is_older_than_its_interval(
        qtbot, clinic_window, sqlite_clinic):
    clock = Clock()
    schedule = BackupSchedule(clinic_window, sqlite_clinic.url, every=timedelta(hours=4), clock=clock)
    with qtbot.waitSignal(schedule.backed_up, timeout=10_000):
        schedule.start()
    assert len(backups(sqlite_clinic.url)) == 1
    assert clinic_window.statusBar().currentMessage().startswith("Database backed up at ")
    assert schedule.timer.isActive() and schedule.timer.interval() == BackupSchedule.CHECK_MS
    clock.now += timedelta(hours=3)
    schedule._on_timer_timeout()
    assert not schedule.running                       # not due yet: nothing started
    clock.now += timedelta(hours=1)
    with qtbot.waitSignal(schedule.backed_up, timeout=10_000):
        schedule._on_timer_timeout()
    assert backup_service.backups_kept(sqlite_clinic.url)[0].made_at == clock.now  # (rotation keeps one a day)
    entries = AuditEntry.select().where(AuditEntry.action == "backed_up")
    assert [(e.user_name, json.loads(e.after)["scheduled"]) for e in entries] == [("nina.nurse", True)] * 2


def test_closing_the_window_makes_one_more_backup_for_whoever_is_signed_in(qtbot, clinic_window, sqlite_clinic):
    clock = Clock()
    schedule = install_backup_schedule(clinic_window, sqlite_clinic.url, clock=clock)
    qtbot.waitUntil(lambda: schedule.last is not None, timeout=10_000)
    clock.now += timedelta(days=1)  # another day, so rotation keeps both
    clinic_window.actor = sqlite_clinic.consultant  # switched user
    clinic_window.close()
    assert not schedule.timer.isActive()
    assert len(backups(sqlite_clinic.url)) == 2
    assert schedule.last.made_at == clock.now
    newest = AuditEntry.select().where(AuditEntry.action == "backed_up").order_by(AuditEntry.id.desc()).get()
    assert newest.user_name == "dr.chen"


def test_a_failed_backup_is_told_in_the_status_bar_and_the_window_keeps_working(qtbot, clinic_window, sqlite_clinic):
    folder = backup_service.backup_folder_for(sqlite_clinic.url)
    folder.write_text("a file where the backup folder should be")
    schedule = BackupSchedule(clinic_window, sqlite_clinic.url, clock=Clock())
    with qtbot.waitSignal(schedule.failed, timeout=10_000) as failed:
        schedule.start()
    assert "cannot write the backup" in failed.args[0]
    assert clinic_window.statusBar().currentMessage().startswith("The scheduled backup failed: cannot write the backup")
    assert schedule.timer.isActive() and not schedule.running
    assert AuditEntry.select().where(AuditEntry.action == "backed_up").count() == 0


def test_a_postgresql_clinic_gets_no_schedule():
    assert install_backup_schedule(None, "postgresql://clinic@db.invalid/pao") is None


# --- the passphrase dialog --------------------------------------------------------------------

@pytest.fixture
def encrypted_url(tmp_path, monkeypatch):
    """An encrypted clinic file (schema only), its passphrase not at hand."""
    monkeypatch.delenv("PAO_CLINIC_PASSPHRASE", raising=False)
    file = tmp_path / "encrypted.sqlite"
    remember_passphrase(file, PASSPHRASE)
    open_database(f"sqlcipher:///{file}", create=True)
    close_database()
    forget_passphrase(file)
    yield f"sqlcipher:///{file}"
    forget_passphrase(file)


def test_the_passphrase_dialog_says_a_wrong_passphrase_in_words_and_stays_open(qtbot, encrypted_url, tmp_path):
    file = parse_database_url(encrypted_url).sqlite_file.absolute()
    dialog = PassphraseDialog(encrypted_url, str(file), new=False)
    qtbot.addWidget(dialog)
    dialog.show()
    assert dialog.again_edit.isHidden() and dialog.open_button.text() == "Open"
    dialog.passphrase_edit.setText("not the passphrase")
    dialog.open_button.click()
    assert dialog.isVisible() and dialog.result() != QDialog.DialogCode.Accepted
    assert dialog.error_label.text() == f"The passphrase for {file} is wrong."
    assert dialog.passphrase_edit.text() == ""
    assert encryption.passphrase_is_needed(encrypted_url)
    dialog.grab().save(str(tmp_path / "passphrase-wrong.png"))
    dialog.passphrase_edit.setText(PASSPHRASE)
    dialog.open_button.click()
    assert dialog.result() == QDialog.DialogCode.Accepted
    assert not encryption.passphrase_is_needed(encrypted_url)
    open_database(encrypted_url)  # the passphrase given in the dialog opens it
    close_database()


def test_a_new_encrypted_database_asks_twice_with_the_rules(qtbot, tmp_path, monkeypatch):
    monkeypatch.delenv("PAO_CLINIC_PASSPHRASE", raising=False)
    url = f"sqlcipher:///{tmp_path / 'new.sqlite'}"
    dialog = PassphraseDialog(url, str(tmp_path / "new.sqlite"), new=True)
    qtbot.addWidget(dialog)
    dialog.show()
    dialog.passphrase_edit.setText(PASSPHRASE)
    dialog.again_edit.setText(PASSPHRASE + "x")
    dialog.open_button.click()
    assert dialog.error_label.text() == "The two passphrases differ."
    dialog.passphrase_edit.setText("short")
    dialog.again_edit.setText("short")
    dialog.open_button.click()
    assert dialog.error_label.text() == "The passphrase must have at least 10 characters."
    dialog.grab().save(str(tmp_path / "passphrase-new.png"))
    dialog.passphrase_edit.setText(PASSPHRASE)
    dialog.again_edit.setText(PASSPHRASE)
    dialog.open_button.click()
    assert dialog.result() == QDialog.DialogCode.Accepted
    assert not encryption.passphrase_is_needed(url)
    forget_passphrase(tmp_path / "new.sqlite")


def test_the_dialog_is_asked_only_for_an_encrypted_database_without_its_passphrase(encrypted_url, monkeypatch):
    asked = []
    monkeypatch.setattr(PassphraseDialog, "ask", classmethod(lambda cls, url, name, new, parent=None:
                                                             asked.append((url, new)) or False))
    assert ask_passphrase_if_needed("sqlite:///plain.sqlite") is True
    assert ask_passphrase_if_needed(encrypted_url) is False  # cancelled
    monkeypatch.setenv("PAO_CLINIC_PASSPHRASE", PASSPHRASE)
    assert ask_passphrase_if_needed(encrypted_url) is True
    assert asked == [(encrypted_url, False)]
