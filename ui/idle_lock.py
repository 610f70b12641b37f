"""The idle lock: after some minutes without input the app's windows are covered and the
signed-in user's password is asked for again.

`IdleLock` watches every input event of the application (an event filter on the
QApplication) and notes the time of the latest; a timer looks every second.  When the
time without input reaches the clinic's setting (`services.users.idle_lock_minutes`,
default 10, read again each minute) it locks: each visible window gets a cover over its
contents (a child widget, so nothing underneath is closed, reset or lost: an open form
keeps its unsaved text), and an application-modal `LockDialog` asks for the same user's
password.  A wrong password is a failed sign-in like any other (audited, and after five
in a row the wait grows).  *Sign out* ends the session instead: the app closes, and
anything not yet saved is lost (the dialog says so and asks first).
"""

from __future__ import annotations

import time
from typing import Callable

from PySide6.QtCore import QEvent, QObject, Qt, QTimer, Signal
from PySide6.QtWidgets import (
    QApplication, QFormLayout, QHBoxLayout, QLabel, QMessageBox, QPushButton, QVBoxLayout, QWidget,
)

from pao_clinic.errors import PaoClinicError
from pao_clinic.record.code_words import ROLE_WORDS
from pao_clinic.services import Actor
from pao_clinic.services.users import IDLE_LOCK_DEFAULT_MINUTES, idle_lock_minutes

from .sign_in_dialog import APP_NAME, Clock, PasswordCheck, dialog_heading, utc_clock

#: The events that are someone at the keyboard or the mouse.
INPUT_EVENTS = frozenset({
    QEvent.Type.KeyPress, QEvent.Type.KeyRelease, QEvent.Type.MouseButtonPress, QEvent.Type.MouseButtonRelease,
    QEvent.Type.MouseButtonDblClick, QEvent.Type.MouseMove, QEvent.Type.Wheel, QEvent.Type.TouchBegin,
    QEvent.Type.TouchUpdate, QEvent.Type.TabletPress, QEvent.Type.Shortcut,
})
#: How often the idle time is compared with the setting, and the setting read again.
CHECK_EVERY_MS = 1000
SETTING_READ_EVERY_S = 60.0


class LockCover(QWidget):
    """Covers one window's contents while the app is locked (the window itself is left as it is)."""

    def __init__(self, window: QWidget):
        super().__init__(window)
        self.setObjectName("lockCover")
        self.setAutoFillBackground(True)
        self.setAttribute(Qt.WidgetAttribute.WA_StyledBackground, True)
        self.setAccessibleName("PAO Clinic is locked")
        label = QLabel(f"{APP_NAME} is locked")
        label.setObjectName("lockCoverText")
        label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        font = label.font()
        font.setPointSizeF(font.pointSizeF() * 1.6)
        label.setFont(font)
        layout = QVBoxLayout(self)
        layout.addWidget(label)
        self.setGeometry(window.rect())
        window.installEventFilter(self)
        self.raise_()
        self.show()

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 (Qt's name)
        if watched is self.parent() and event.type() == QEvent.Type.Resize:
            self.setGeometry(self.parentWidget().rect())
            self.raise_()
        elif watched is self.parent() and event.type() == QEvent.Type.ChildAdded:
            self.raise_()
        return False

    def remove(self) -> None:
        parent = self.parentWidget()
        if parent is not None:
            parent.removeEventFilter(self)
        self.hide()
        self.deleteLater()


class LockDialog(PasswordCheck):
    """The signed-in user's password again, or sign out."""

    unlocked = Signal(object)   # the Actor, signed in again
    sign_out_requested = Signal()

    def __init__(self, actor: Actor, minutes: float, parent: QWidget | None = None, *, clock: Clock = utc_clock):
        super().__init__(parent, clock=clock)
        self.locked_actor = actor
        self.setObjectName("lockDialog")
        self.setWindowTitle(f"Locked \u2014 {APP_NAME}")
        self.setWindowModality(Qt.WindowModality.ApplicationModal)
        self.setWindowFlag(Qt.WindowType.WindowCloseButtonHint, False)
        self.setWindowFlag(Qt.WindowType.WindowStaysOnTopHint, True)
        self.setMinimumWidth(440)
        heading = dialog_heading(f"{APP_NAME} is locked")
        role = ROLE_WORDS.get(actor.role, actor.role).lower()
        after = f"{minutes:g} minute{'s' if minutes != 1 else ''}"
        self.explanation = QLabel(
            f"Locked after {after} without input. Signed in as {actor.display_name} ({actor.name}, {role}). "
            "Enter your password to go on: everything you had open, unsaved entries too, is kept as it was.")
        self.explanation.setObjectName("lockExplanation")
        self.explanation.setWordWrap(True)
        form = QFormLayout()
        label = QLabel("&Password")
        label.setBuddy(self.password_edit)
        form.addRow(label, self.password_edit)
        self.try_button = QPushButton("Unlock")
        self.try_button.setObjectName("unlockButton")
        self.try_button.setAccessibleName("Unlock with your password")
        self.try_button.setDefault(True)
        self.try_button.clicked.connect(self._on_try_button_clicked)
        self.sign_out_button = QPushButton("Sign out\u2026")
        self.sign_out_button.setObjectName("signOutButton")
        self.sign_out_button.setAccessibleName("Sign out and close PAO Clinic")
        self.sign_out_button.setAutoDefault(False)
        self.sign_out_button.clicked.connect(self._on_sign_out_button_clicked)
        note = QLabel("Someone else? Sign out: PAO Clinic closes, and anything not yet saved is lost.")
        note.setObjectName("patientNumbers")
        note.setWordWrap(True)
        buttons = QHBoxLayout()
        buttons.addWidget(self.sign_out_button)
        buttons.addStretch(1)
        buttons.addWidget(self.try_button)
        layout = QVBoxLayout(self)
        layout.addWidget(heading)
        layout.addWidget(self.explanation)
        layout.addLayout(form)
        layout.addWidget(self.error_label)
        layout.addWidget(self.wait_label)
        layout.addWidget(note)
        layout.addLayout(buttons)
        self.password_edit.setFocus()
        self.refresh_wait()

    def attempt_name(self) -> str:
        return self.locked_actor.name

    def _on_try_button_clicked(self) -> None:
        self.unlock()

    def unlock(self) -> Actor | None:
        """Try the password typed; `unlocked` with the Actor when it is right."""
        actor = self.attempt()
        if actor is not None:
            self.unlocked.emit(actor)
        return actor

    def _on_sign_out_button_clicked(self) -> None:
        if self.confirm_sign_out(self):
            self.sign_out_requested.emit()

    @classmethod
    def confirm_sign_out(cls, parent: QWidget) -> bool:
        """Whether to sign out and close, losing what is not saved (tests replace this)."""
        answer = QMessageBox.question(
            parent, f"Sign out \u2014 {APP_NAME}",
            "Sign out and close PAO Clinic? Anything not yet saved in open forms is lost.",
            QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No, QMessageBox.StandardButton.No)
        return answer == QMessageBox.StandardButton.Yes

    def reject(self) -> None:  # Escape does not unlock
        pass

    def closeEvent(self, event) -> None:  # noqa: N802 (Qt's name)
        if getattr(self, "_finished", False):
            super().closeEvent(event)
        else:
            event.ignore()

    def finish(self) -> None:
        self._finished = True
        self._wait_timer.stop()
        self.hide()
        self.deleteLater()


class IdleLock(QObject):
    """Locks the app after `minutes` without input (see the module docstring).

    `who` says who is signed in now (the window's actor).  `minutes` is the clinic's
    setting read from the database when None; `idle_clock` (seconds, monotonic) and
    `clock` (the time of a sign-in attempt) are for tests.
    """

    locked = Signal()
    unlocked = Signal(object)   # the Actor signed in again
    signed_out = Signal()

    def __init__(self, who: Callable[[], Actor], *, minutes: float | None = None,
                 idle_clock: Callable[[], float] = time.monotonic, clock: Clock = utc_clock,
                 check_every_ms: int = CHECK_EVERY_MS, parent: QObject | None = None):
        super().__init__(parent)
        self.who = who
        self.idle_clock = idle_clock
        self.clock = clock
        self._fixed_minutes = minutes
        self.minutes = float(minutes) if minutes is not None else float(self._read_setting())
        self._setting_read_at = self.idle_clock()
        self.last_input = self.idle_clock()
        self.dialog: LockDialog | None = None
        self.covers: list[LockCover] = []
        self._focus: QWidget | None = None
        self._app: QApplication | None = None
        self._timer = QTimer(self)
        self._timer.setInterval(check_every_ms)
        self._timer.timeout.connect(self.check)

    # -- watching ------------------------------------------------------------------------
    def install(self, app: QApplication | None = None) -> None:
        self._app = app or QApplication.instance()
        self._app.installEventFilter(self)
        self.last_input = self.idle_clock()
        self._timer.start()

    def uninstall(self) -> None:
        self._timer.stop()
        if self._app is not None:
            self._app.removeEventFilter(self)
            self._app = None

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 (Qt's name)
        if self.dialog is None and event.type() in INPUT_EVENTS:
            self.last_input = self.idle_clock()
        return False

    @property
    def is_locked(self) -> bool:
        return self.dialog is not None

    def idle_seconds(self) -> float:
        return self.idle_clock() - self.last_input

    def _read_setting(self) -> int:
        try:
            return idle_lock_minutes()
        except PaoClinicError:
            return IDLE_LOCK_DEFAULT_MINUTES

    def check(self) -> bool:
        """Lock when the time without input has reached the setting; whether it is locked."""
        if self.dialog is not None:
            return True
        if self._fixed_minutes is None and self.idle_clock() - self._setting_read_at >= SETTING_READ_EVERY_S:
            self.minutes = float(self._read_setting())  # an admin may have changed it
            self._setting_read_at = self.idle_clock()
        if self.idle_seconds() >= self.minutes * 60:
            self.lock()
        return self.dialog is not None

    # -- locking ---------------------------------------------------------------------------
    def lock(self) -> LockDialog:
        """Cover every visible window and ask for the password (at once, whatever the idle time)."""
        if self.dialog is not None:
            return self.dialog
        for _ in range(10):  # an open menu or list closes first
            popup = QApplication.activePopupWidget()
            if popup is None:
                break
            popup.close()
        self._focus = QApplication.focusWidget()
        for window in QApplication.topLevelWidgets():
            if window.isVisible() and window.isWindow() and not isinstance(window, LockDialog) \
                    and window.windowType() not in (Qt.WindowType.ToolTip, Qt.WindowType.Popup):
                self.covers.append(LockCover(window))
        self.dialog = LockDialog(self.who(), self.minutes, clock=self.clock)
        self.dialog.unlocked.connect(self._on_dialog_unlocked)
        self.dialog.sign_out_requested.connect(self._on_dialog_sign_out_requested)
        self.dialog.show()
        self.dialog.raise_()
        self.dialog.activateWindow()
        self.locked.emit()
        return self.dialog

    def _end(self) -> None:
        for cover in self.covers:
            cover.remove()
        self.covers = []
        if self.dialog is not None:
            self.dialog.finish()
            self.dialog = None
        self.last_input = self.idle_clock()

    def _on_dialog_unlocked(self, actor: Actor) -> None:
        self._end()
        focus, self._focus = self._focus, None
        if focus is not None:
            try:
                focus.window().activateWindow()
                focus.setFocus()
            except RuntimeError:  # it was deleted meanwhile
                pass
        self.unlocked.emit(actor)

    def _on_dialog_sign_out_requested(self) -> None:
        self._end()
        self._focus = None
        self.uninstall()
        self.signed_out.emit()
