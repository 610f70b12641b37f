"""The idle lock: after the minutes without input every window is covered and the same
user's password is asked for; what was typed in an open form is still there after; a
wrong password at the lock is a failed sign-in; sign out closes; input keeps it open."""

from __future__ import annotations

import pytest
from PySide6.QtCore import QEvent, QPoint, Qt
from PySide6.QtWidgets import QApplication, QMainWindow, QPlainTextEdit

from pao_clinic.storage.models import AuditEntry
from ui.idle_lock import IdleLock, LockCover, LockDialog

from .conftest import PASSWORD

pytestmark = [pytest.mark.qt_log_ignore("does not support propagateSizeHints|does not support raise")]


class IdleClock:
    def __init__(self):
        self.seconds = 1000.0

    def __call__(self) -> float:
        return self.seconds


@pytest.fixture
def form_window(qtbot):
    """A window with a form holding unsaved text (as an open entry form would)."""
    window = QMainWindow()
    window.setCentralWidget(QPlainTextEdit())
    qtbot.addWidget(window)
    window.resize(700, 400)
    window.show()
    qtbot.keyClicks(window.centralWidget(), "fell on the stairs, 3 weeks postpartum")
    return window


@pytest.fixture
def idle(qapp):
    locks = []

    def make(actor, **kwargs) -> IdleLock:
        lock = IdleLock(lambda: actor, **kwargs)
        lock.install(qapp)
        locks.append(lock)
        return lock
    yield make
    for lock in locks:
        lock._end()
        lock.uninstall()


def test_after_the_minutes_without_input_the_window_is_covered_and_asks_her_password(clinic, form_window, idle,
                                                                                        qtbot):
    clock = IdleClock()
    lock = idle(clinic.nurse, minutes=10, idle_clock=clock)
    clock.seconds += 9 * 60
    assert not lock.check()
    clock.seconds += 60
    assert lock.check() and lock.is_locked
    covers = form_window.findChildren(LockCover)
    assert len(covers) == 1 and covers[0].isVisible() and covers[0].geometry() == form_window.rect()
    dialog = lock.dialog
    assert dialog.isModal() and dialog.windowModality() == Qt.WindowModality.ApplicationModal
    assert "Nina Nurse (nina.nurse, nurse)" in dialog.explanation.text()
    qtbot.keyClicks(dialog.password_edit, "not her password")
    qtbot.mouseClick(dialog.try_button, Qt.MouseButton.LeftButton)
    assert lock.is_locked and dialog.error_label.text() == "User name or password not recognised."
    failed = AuditEntry.select().order_by(AuditEntry.id.desc()).first()
    assert (failed.action, failed.user_name) == ("sign-in failed", "nina.nurse")
    with qtbot.waitSignal(lock.unlocked) as unlocked:
        qtbot.keyClicks(dialog.password_edit, PASSWORD)
        qtbot.mouseClick(dialog.try_button, Qt.MouseButton.LeftButton)
    assert unlocked.args[0].name == "nina.nurse" and not lock.is_locked
    QApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)
    assert form_window.findChildren(LockCover) == []
    assert form_window.centralWidget().toPlainText() == "fell on the stairs, 3 weeks postpartum"


def test_input_keeps_it_open(clinic, form_window, idle, qtbot):
    clock = IdleClock()
    lock = idle(clinic.nurse, minutes=10, idle_clock=clock)
    clock.seconds += 9 * 60
    qtbot.keyClick(form_window.centralWidget(), Qt.Key.Key_Space)
    clock.seconds += 9 * 60
    assert not lock.check()
    qtbot.mouseMove(form_window.centralWidget(), QPoint(20, 20))
    qtbot.mouseClick(form_window.centralWidget(), Qt.MouseButton.LeftButton)
    clock.seconds += 9 * 60
    assert not lock.check()
    clock.seconds += 60
    assert lock.check()


def test_its_own_timer_locks_when_the_time_is_tiny(clinic, form_window, idle, qtbot):
    lock = idle(clinic.nurse, minutes=0.001, check_every_ms=20)  # 60 ms without input
    qtbot.waitUntil(lambda: lock.is_locked, timeout=3000)
    assert form_window.findChildren(LockCover)


def test_wrong_passwords_at_the_lock_make_her_wait(clinic, form_window, idle, qtbot):
    lock = idle(clinic.nurse, minutes=10)
    dialog = lock.lock()
    for _ in range(5):
        dialog.password_edit.setText("not her password")
        assert dialog.unlock() is None
    assert not dialog.try_button.isEnabled()
    assert dialog.wait_label.text().startswith("Too many failed sign-ins for nina.nurse: try again in ")
    dialog.password_edit.setText(PASSWORD)
    assert dialog.unlock() is None and lock.is_locked  # not even the right one during the wait


def test_escape_does_not_unlock_and_a_deactivated_user_cannot(clinic, form_window, idle, qtbot):
    from pao_clinic.services.users import deactivate_user

    lock = idle(clinic.nurse, minutes=10)
    dialog = lock.lock()
    qtbot.keyClick(dialog, Qt.Key.Key_Escape)
    assert lock.is_locked and dialog.isVisible()
    deactivate_user(clinic.admin, "nina.nurse")
    dialog.password_edit.setText(PASSWORD)
    assert dialog.unlock() is None
    assert "not active" in dialog.error_label.text() and lock.is_locked


def test_sign_out_asks_first_then_ends_the_session(clinic, form_window, idle, qtbot, monkeypatch):
    answers = [False, True]
    monkeypatch.setattr(LockDialog, "confirm_sign_out", classmethod(lambda cls, parent: answers.pop(0)))
    lock = idle(clinic.nurse, minutes=10)
    dialog = lock.lock()
    qtbot.mouseClick(dialog.sign_out_button, Qt.MouseButton.LeftButton)
    assert lock.is_locked  # she said no
    with qtbot.waitSignal(lock.signed_out):
        qtbot.mouseClick(dialog.sign_out_button, Qt.MouseButton.LeftButton)
    assert not lock.is_locked


def test_the_desktop_installs_the_lock_over_the_main_window(window, qtbot, monkeypatch, tmp_path):
    from ui.app import install_idle_lock

    lock = install_idle_lock(QApplication.instance(), window, minutes=10)
    try:
        dialog = lock.lock()
        assert window.findChildren(LockCover)
        window.grab().save(str(tmp_path / "locked-window.png"))
        dialog.password_edit.setText(PASSWORD)
        with qtbot.waitSignal(lock.unlocked):
            dialog.unlock()
        assert window.isVisible() and window.actor.name == "nina.nurse"
    finally:
        lock._end()
        lock.uninstall()
