"""Signing in: the dialog at start, and the password check the idle lock shares with it.

Every attempt goes to `services.users.authenticate`, which audits it and, after five
failures in a row for a name, makes each next attempt wait longer.  While a name must
wait, the dialog says how long (counting down each second) and its button is disabled;
the password is never shown, kept or logged (the field is cleared after each attempt).
"""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Callable

from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import (
    QDialog, QDialogButtonBox, QFormLayout, QLabel, QLineEdit, QPushButton, QVBoxLayout, QWidget,
)

from pao_clinic.errors import AuthenticationError
from pao_clinic.services import Actor
from pao_clinic.services.users import authenticate, sign_in_wait, typed_name, wait_words

APP_NAME = "PAO Clinic"

Clock = Callable[[], datetime]


def utc_clock() -> datetime:
    return datetime.now(timezone.utc)


def sentence(text: str) -> str:
    """A service's message as a sentence: capital first letter, full stop."""
    text = text.strip()
    if not text:
        return ""
    text = text[:1].upper() + text[1:]
    return text if text.endswith((".", "!", "?")) else text + "."


def password_field(object_name: str = "password", accessible: str = "Password") -> QLineEdit:
    edit = QLineEdit()
    edit.setObjectName(object_name)
    edit.setAccessibleName(accessible)
    edit.setEchoMode(QLineEdit.EchoMode.Password)
    edit.setMaxLength(1024)
    # nothing typed here goes to the clipboard or an input method's history
    edit.setAttribute(Qt.WidgetAttribute.WA_InputMethodEnabled, False)
    edit.setContextMenuPolicy(Qt.ContextMenuPolicy.NoContextMenu)
    return edit


def dialog_heading(text: str) -> QLabel:
    """The large bold first line of the sign-in and lock dialogs.

    Its size is the label's own style sheet: the application's style sheet sets every
    widget's font size, which a font set in code would not win against.
    """
    heading = QLabel(text)
    heading.setObjectName("signInHeading")
    heading.setStyleSheet("QLabel#signInHeading { font-size: 14pt; font-weight: bold; }")
    return heading


class PasswordCheck(QDialog):
    """A dialog that checks a name and password with the service, showing the wait after failures.

    Subclasses give `attempt_name()` and the button that tries (`try_button`); `attempt()`
    tries once and returns the Actor or None.  `clock` is when an attempt is made (tests
    move it on instead of sleeping).
    """

    def __init__(self, parent: QWidget | None = None, *, clock: Clock = utc_clock):
        super().__init__(parent)
        self.clock = clock
        self.actor: Actor | None = None
        self.seconds_to_wait = 0
        self.password_edit = password_field()
        self.error_label = QLabel()
        self.error_label.setObjectName("errorText")
        self.error_label.setWordWrap(True)
        self.error_label.setAccessibleName("Sign-in problem")
        self.error_label.hide()
        self.wait_label = QLabel()
        self.wait_label.setObjectName("signInWait")
        self.wait_label.setWordWrap(True)
        self.wait_label.setAccessibleName("How long to wait")
        self.wait_label.hide()
        self._wait_timer = QTimer(self)
        self._wait_timer.setInterval(1000)
        self._wait_timer.timeout.connect(self.refresh_wait)
        self.try_button: QPushButton | None = None

    def attempt_name(self) -> str:
        raise NotImplementedError

    def hideEvent(self, event) -> None:  # noqa: N802 (Qt's name)
        self._wait_timer.stop()  # a closed dialog counts nothing down
        super().hideEvent(event)

    def attempt(self) -> Actor | None:
        """Try the name and password once; the Actor, or None with the reason shown."""
        name = self.attempt_name()
        password = self.password_edit.text()
        self.password_edit.clear()
        if self.refresh_wait():
            return None
        try:
            actor = authenticate(name, password, now=self.clock())
        except AuthenticationError as exc:
            self.error_label.setText(sentence(str(exc)))
            self.error_label.show()
            self.refresh_wait()
            self.password_edit.setFocus()
            return None
        self.error_label.hide()
        self.actor = actor
        return actor

    def refresh_wait(self) -> int:
        """Look again at how long this name must wait; show it, and disable trying until it has passed."""
        name = self.attempt_name()
        seconds = sign_in_wait(name, now=self.clock()) if name.strip() else 0
        self.seconds_to_wait = seconds
        if seconds:
            self.wait_label.setText(sentence(wait_words(typed_name(name), seconds))
                                    + " Every failed sign-in is recorded.")
            self.wait_label.show()
            if self.error_label.text().startswith("Too many failed sign-ins"):
                self.error_label.hide()  # the countdown says it, and stays true
            if not self._wait_timer.isActive():
                self._wait_timer.start()
        else:
            if self.wait_label.isVisible():
                self.wait_label.setText("You may try again now.")
            self._wait_timer.stop()
        if self.try_button is not None:
            self.try_button.setEnabled(not seconds)
        return seconds


class SignInDialog(PasswordCheck):
    """User name and password, at start (a database that is not a demo)."""

    def __init__(self, user_name: str = "", parent: QWidget | None = None, *, clock: Clock = utc_clock):
        super().__init__(parent, clock=clock)
        self.setObjectName("signInDialog")
        self.setWindowTitle(f"Sign in \u2014 {APP_NAME}")
        self.setMinimumWidth(420)
        heading = dialog_heading(APP_NAME)
        note = QLabel("Sign in with your own user name and password. Every sign-in, and every failed one, "
                      "is recorded in the audit trail.")
        note.setObjectName("patientNumbers")
        note.setWordWrap(True)
        self.name_edit = QLineEdit(user_name)
        self.name_edit.setObjectName("userName")
        self.name_edit.setAccessibleName("User name")
        self.name_edit.setMaxLength(64)
        self.name_edit.textChanged.connect(self._on_name_edit_text_changed)
        form = QFormLayout()
        name_label = QLabel("&User name")
        name_label.setBuddy(self.name_edit)
        password_label = QLabel("&Password")
        password_label.setBuddy(self.password_edit)
        form.addRow(name_label, self.name_edit)
        form.addRow(password_label, self.password_edit)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        self.try_button = buttons.button(QDialogButtonBox.StandardButton.Ok)
        self.try_button.setText("Sign in")
        self.try_button.setObjectName("signInButton")
        self.try_button.setAccessibleName("Sign in")
        buttons.button(QDialogButtonBox.StandardButton.Cancel).setText("Quit")
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(heading)
        layout.addWidget(note)
        layout.addLayout(form)
        layout.addWidget(self.error_label)
        layout.addWidget(self.wait_label)
        layout.addWidget(buttons)
        (self.password_edit if user_name else self.name_edit).setFocus()
        if user_name:
            self.refresh_wait()

    def attempt_name(self) -> str:
        return self.name_edit.text()

    def _on_name_edit_text_changed(self, _text: str) -> None:
        # another name has its own count: the service says at the next attempt
        self._wait_timer.stop()
        self.wait_label.hide()
        self.seconds_to_wait = 0
        self.try_button.setEnabled(True)

    def accept(self) -> None:
        if self.attempt() is not None:
            super().accept()

    @classmethod
    def ask(cls, user_name: str = "", parent: QWidget | None = None) -> Actor | None:
        """The signed-in Actor, or None when the user quits (tests replace this)."""
        dialog = cls(user_name, parent)
        accepted = dialog.exec() == QDialog.DialogCode.Accepted
        actor = dialog.actor if accepted else None
        dialog.deleteLater()
        return actor
