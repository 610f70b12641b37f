"""The sign-in dialog at start: a wrong password says so and is audited; after five failures
the dialog says how long to wait and its button stays disabled until then; the password
is cleared after every attempt; a demo database still opens as the demo consultant."""

from __future__ import annotations

from datetime import timedelta

import pytest
from PySide6.QtCore import Qt

from pao_clinic.storage.models import AuditEntry
from ui.sign_in_dialog import SignInDialog

from .conftest import PASSWORD

pytestmark = [pytest.mark.qt_log_ignore("does not support propagateSizeHints")]


class Clock:
    """The time an attempt is made: the real time, moved on by the test (no sleeping)."""

    def __init__(self):
        from datetime import datetime, timezone
        self.now = lambda: datetime.now(timezone.utc) + self.ahead
        self.ahead = timedelta(0)

    def __call__(self):
        return self.now()


def dialog_for(qtbot, name: str = "nina.nurse", clock=None) -> SignInDialog:
    dialog = SignInDialog(name, clock=clock or Clock())
    qtbot.addWidget(dialog)
    dialog.show()
    return dialog


def try_password(qtbot, dialog: SignInDialog, password: str) -> None:
    dialog.password_edit.clear()
    qtbot.keyClicks(dialog.password_edit, password)
    qtbot.keyClick(dialog.password_edit, Qt.Key.Key_Return)


def test_a_wrong_password_is_said_audited_and_cleared_and_the_right_one_signs_in(clinic, qtbot):
    dialog = dialog_for(qtbot)
    try_password(qtbot, dialog, "not the password")
    assert dialog.isVisible() and dialog.actor is None
    assert dialog.error_label.text() == "User name or password not recognised."
    assert dialog.password_edit.text() == ""
    assert AuditEntry.select().order_by(AuditEntry.id.desc()).first().action == "sign-in failed"
    with qtbot.waitSignal(dialog.accepted):
        try_password(qtbot, dialog, PASSWORD)
    assert dialog.actor.name == "nina.nurse"


def test_after_five_failures_the_button_waits_with_the_time_shown_then_signs_in(clinic, qtbot):
    clock = Clock()
    dialog = dialog_for(qtbot, clock=clock)
    for _ in range(5):
        try_password(qtbot, dialog, "not the password")
    assert not dialog.try_button.isEnabled()
    assert dialog.wait_label.isVisible()
    assert dialog.wait_label.text().startswith("Too many failed sign-ins for nina.nurse: try again in ")
    audited = AuditEntry.select().count()
    try_password(qtbot, dialog, PASSWORD)  # Return while waiting: not tried, not audited
    assert dialog.actor is None and dialog.isVisible() and AuditEntry.select().count() == audited
    clock.ahead = timedelta(seconds=3)  # the wait (2 s) has passed
    dialog.refresh_wait()
    assert dialog.try_button.isEnabled() and dialog.wait_label.text() == "You may try again now."
    with qtbot.waitSignal(dialog.accepted):
        try_password(qtbot, dialog, PASSWORD)
    assert dialog.actor.name == "nina.nurse"


def test_the_wait_counts_down_each_second(clinic, qtbot):
    clock = Clock()
    dialog = dialog_for(qtbot, clock=clock)
    for _ in range(5):
        try_password(qtbot, dialog, "not the password")
    assert dialog._wait_timer.isActive()
    clock.ahead = timedelta(seconds=3)
    qtbot.waitUntil(dialog.try_button.isEnabled, timeout=3000)  # the dialog's own one-second timer looks again
    assert not dialog._wait_timer.isActive() and dialog.wait_label.text() == "You may try again now."


def test_a_name_with_no_account_waits_just_the_same(clinic, qtbot):
    dialog = dialog_for(qtbot, name="nobody.here")
    for _ in range(5):
        try_password(qtbot, dialog, "not the password")
    assert not dialog.try_button.isEnabled()
    assert dialog.wait_label.text().startswith("Too many failed sign-ins for nobody.here: try again in ")


def test_typing_another_name_lets_that_name_try(clinic, qtbot):
    dialog = dialog_for(qtbot)
    for _ in range(5):
        try_password(qtbot, dialog, "not the password")
    dialog.name_edit.setText("dr.chen")
    assert dialog.try_button.isEnabled() and not dialog.wait_label.isVisible()
    with qtbot.waitSignal(dialog.accepted):
        try_password(qtbot, dialog, PASSWORD)
    assert dialog.actor.name == "dr.chen"


def test_the_dialog_is_labelled_for_a_screen_reader_and_the_password_is_hidden(clinic, qtbot, tmp_path):
    dialog = dialog_for(qtbot, name="")
    assert dialog.name_edit.accessibleName() == "User name" and dialog.password_edit.accessibleName() == "Password"
    assert dialog.password_edit.echoMode() == dialog.password_edit.EchoMode.Password
    assert dialog.try_button.text() == "Sign in"
    assert dialog.grab().save(str(tmp_path / "sign-in.png"))
