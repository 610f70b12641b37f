"""Settings ▸ Users (admins only): the clinic's user accounts, and the idle lock.

A list of the accounts (`UserTableModel`), and for the one selected: deactivate or
reactivate it, give it a new password, change its role; *Add user…* adds one.  Each
is a call of `services.users` (admin only, validated, one audited change); a refusal
is shown in words under the list (or at the field, in the add and password dialogs),
and the list is read again after every change, so it never shows a stale account.
"""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QComboBox, QDialog, QDialogButtonBox, QFormLayout, QGroupBox, QHBoxLayout, QHeaderView, QLabel, QLineEdit,
    QPushButton, QSpinBox, QVBoxLayout, QWidget,
)

from pao_clinic.errors import PaoClinicError, ValidationError
from pao_clinic.record.code_words import ROLE_WORDS
from pao_clinic.record.codes import ROLES
from pao_clinic.services import Actor
from pao_clinic.services import users as accounts
from pao_clinic.services.users import UserAccount

from .caseload_model import ROW_ROLE, RowSortProxy, RowTableModel, list_table_view
from .sign_in_dialog import password_field, sentence


class UserTableModel(RowTableModel):
    HEADERS = ("User name", "Name", "Role", "Can sign in")
    COL_NAME, COL_DISPLAY_NAME, COL_ROLE, COL_ACTIVE = range(4)

    def display(self, item: UserAccount, column: int) -> str:
        if column == self.COL_NAME:
            return item.name
        if column == self.COL_DISPLAY_NAME:
            return item.display_name
        if column == self.COL_ROLE:
            return ROLE_WORDS.get(item.role, item.role)
        return "Yes" if item.active else "No (deactivated)"

    def sort_value(self, row: int, column: int):
        return self.display(self.row_at(row), column).casefold()


def _a(role: str) -> str:
    """'a nurse', 'an administrator'."""
    word = ROLE_WORDS.get(role, role).lower()
    return f"{'an' if word[:1] in 'aeiou' else 'a'} {word}"


def _full_stop(text: str) -> str:
    text = text.strip()
    return text if text.endswith((".", "!", "?")) else text + "."


def _problem_label() -> QLabel:
    label = QLabel()
    label.setObjectName("fieldProblem")
    label.setWordWrap(True)
    label.hide()
    return label


def _show(label: QLabel, messages: list[str]) -> None:
    label.setText("\n".join(_full_stop(m[:1].upper() + m[1:]) for m in messages))
    label.setVisible(bool(messages))


class AddUserDialog(QDialog):
    """A new account: user name, name, role and a first password typed twice."""

    def __init__(self, actor: Actor, parent: QWidget | None = None):
        super().__init__(parent)
        self.actor = actor
        self.account: UserAccount | None = None
        self.setObjectName("addUserDialog")
        self.setWindowTitle("Add a user \u2014 PAO Clinic")
        self.setMinimumWidth(520)
        self.name_edit = QLineEdit()
        self.name_edit.setObjectName("newUserName")
        self.name_edit.setAccessibleName("User name")
        self.name_edit.setMaxLength(64)
        self.display_edit = QLineEdit()
        self.display_edit.setObjectName("newUserDisplayName")
        self.display_edit.setAccessibleName("Name as shown and printed")
        self.role_combo = QComboBox()
        self.role_combo.setObjectName("newUserRole")
        self.role_combo.setAccessibleName("Role")
        for role in ROLES:
            self.role_combo.addItem(ROLE_WORDS[role], role)
        self.password_edit = password_field("newPassword", "Password")
        self.again_edit = password_field("newPasswordAgain", "Password again")
        self.problems = {field: _problem_label() for field in ("name", "display_name", "role", "password", "")}
        form = QFormLayout()
        for text, edit, field in (("&User name", self.name_edit, "name"), ("&Name", self.display_edit, "display_name"),
                                  ("&Role", self.role_combo, "role"), ("&Password", self.password_edit, "password"),
                                  ("Password &again", self.again_edit, None)):
            label = QLabel(text)
            label.setBuddy(edit)
            form.addRow(label, edit)
            if field is not None:
                form.addRow("", self.problems[field])
        note = QLabel(f"At least {accounts.MIN_PASSWORD_LENGTH} characters. Tell the new user in person; they "
                      "use it to sign in.")
        note.setObjectName("patientNumbers")
        note.setWordWrap(True)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        self.ok_button = buttons.button(QDialogButtonBox.StandardButton.Ok)
        self.ok_button.setText("Add user")
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(note)
        layout.addWidget(self.problems[""])
        layout.addWidget(buttons)

    def accept(self) -> None:
        for label in self.problems.values():
            _show(label, [])
        password = self.password_edit.text()
        if password != self.again_edit.text():
            self.password_edit.clear()
            self.again_edit.clear()
            _show(self.problems["password"], ["the two passwords differ; type them again"])
            self.adjustSize()
            return
        try:
            self.account = accounts.add_user(self.actor, self.name_edit.text(), role=self.role_combo.currentData(),
                                             password=password, display_name=self.display_edit.text() or None)
        except ValidationError as exc:
            for problem in exc.problems:
                field = problem.path if problem.path in self.problems else ""
                _show(self.problems[field], exc.for_field(field) if field else [problem.message])
            self.password_edit.clear()
            self.again_edit.clear()
            self.adjustSize()
            return
        except PaoClinicError as exc:
            _show(self.problems[""], [str(exc)])
            self.adjustSize()
            return
        super().accept()

    @classmethod
    def ask(cls, actor: Actor, parent: QWidget | None = None) -> UserAccount | None:
        """The account added, or None when cancelled (tests replace this)."""
        dialog = cls(actor, parent)
        accepted = dialog.exec() == QDialog.DialogCode.Accepted
        dialog.deleteLater()
        return dialog.account if accepted else None


class NewPasswordDialog(QDialog):
    """A new password for one account, typed twice."""

    def __init__(self, actor: Actor, account: UserAccount, parent: QWidget | None = None):
        super().__init__(parent)
        self.actor = actor
        self.target = account
        self.account: UserAccount | None = None
        self.setObjectName("newPasswordDialog")
        self.setWindowTitle("New password \u2014 PAO Clinic")
        self.setMinimumWidth(440)
        heading = QLabel(f"A new password for {account.display_name} ({account.name}). Their old one stops "
                         f"working at once. At least {accounts.MIN_PASSWORD_LENGTH} characters.")
        heading.setWordWrap(True)
        self.password_edit = password_field("newPassword", "New password")
        self.again_edit = password_field("newPasswordAgain", "New password again")
        self.problem = _problem_label()
        form = QFormLayout()
        for text, edit in (("&New password", self.password_edit), ("&Again", self.again_edit)):
            label = QLabel(text)
            label.setBuddy(edit)
            form.addRow(label, edit)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        self.ok_button = buttons.button(QDialogButtonBox.StandardButton.Ok)
        self.ok_button.setText("Set password")
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(heading)
        layout.addLayout(form)
        layout.addWidget(self.problem)
        layout.addWidget(buttons)

    def accept(self) -> None:
        password = self.password_edit.text()
        same = password == self.again_edit.text()
        self.password_edit.clear()
        self.again_edit.clear()
        if not same:
            _show(self.problem, ["the two passwords differ; type them again"])
            return
        try:
            self.account = accounts.reset_password(self.actor, self.target.name, password,
                                                   expected_version=self.target.version)
        except ValidationError as exc:
            _show(self.problem, [p.message for p in exc.problems])
            return
        except PaoClinicError as exc:
            _show(self.problem, [str(exc)])
            return
        super().accept()

    @classmethod
    def ask(cls, actor: Actor, account: UserAccount, parent: QWidget | None = None) -> UserAccount | None:
        """The account with its new password, or None when cancelled (tests replace this)."""
        dialog = cls(actor, account, parent)
        accepted = dialog.exec() == QDialog.DialogCode.Accepted
        dialog.deleteLater()
        return dialog.account if accepted else None


class UsersPage(QWidget):
    """The accounts and the idle lock, for an admin (the services refuse anyone else)."""

    changed = Signal(str)   # what changed, in words ("users", "idle lock")

    def __init__(self, actor: Actor, parent: QWidget | None = None):
        super().__init__(parent)
        self.actor = actor
        self.setObjectName("usersPage")
        self.model = UserTableModel(self)
        self.proxy = RowSortProxy(self)
        self.proxy.setSourceModel(self.model)
        self.view = list_table_view("usersTable", "User accounts")
        self.view.setModel(self.proxy)
        self.view.horizontalHeader().setSectionResizeMode(UserTableModel.COL_DISPLAY_NAME,
                                                          QHeaderView.ResizeMode.Stretch)
        self.view.selectionModel().selectionChanged.connect(self._on_view_selection_changed)

        self.add_button = QPushButton("&Add user\u2026")
        self.add_button.setObjectName("addUserButton")
        self.add_button.setAccessibleName("Add a user")
        self.add_button.clicked.connect(self._on_add_button_clicked)
        self.active_button = QPushButton("&Deactivate")
        self.active_button.setObjectName("activeButton")
        self.active_button.clicked.connect(self._on_active_button_clicked)
        self.password_button = QPushButton("New &password\u2026")
        self.password_button.setObjectName("resetPasswordButton")
        self.password_button.setAccessibleName("Give the selected user a new password")
        self.password_button.clicked.connect(self._on_password_button_clicked)
        self.role_combo = QComboBox()
        self.role_combo.setObjectName("userRoleCombo")
        self.role_combo.setAccessibleName("Role for the selected user")
        for role in ROLES:
            self.role_combo.addItem(ROLE_WORDS[role], role)
        self.role_button = QPushButton("Change &role")
        self.role_button.setObjectName("changeRoleButton")
        self.role_button.setAccessibleName("Give the selected user the chosen role")
        self.role_button.clicked.connect(self._on_role_button_clicked)
        self.status = QLabel()
        self.status.setObjectName("settingsStatus")
        self.status.setWordWrap(True)
        self.status.setAccessibleName("What happened")

        self.lock_spin = QSpinBox()
        self.lock_spin.setObjectName("idleLockMinutes")
        self.lock_spin.setAccessibleName("Minutes without input before the window locks")
        self.lock_spin.setRange(*accounts.IDLE_LOCK_MINUTES_RANGE)
        self.lock_spin.setSuffix(" minutes")
        self.lock_button = QPushButton("Save")
        self.lock_button.setObjectName("saveIdleLockButton")
        self.lock_button.setAccessibleName("Save the idle lock minutes")
        self.lock_button.clicked.connect(self._on_lock_button_clicked)
        self.lock_status = QLabel()
        self.lock_status.setObjectName("settingsStatus")
        self.lock_status.setWordWrap(True)

        actions = QHBoxLayout()
        actions.addWidget(self.add_button)
        actions.addStretch(1)
        actions.addWidget(self.active_button)
        actions.addWidget(self.password_button)
        role_label = QLabel("R&ole")
        role_label.setBuddy(self.role_combo)
        actions.addWidget(role_label)
        actions.addWidget(self.role_combo)
        actions.addWidget(self.role_button)
        note = QLabel("Deactivated users cannot sign in; their names stay in the audit trail. An admin cannot "
                      "deactivate or change their own account, and the clinic always keeps one active admin.")
        note.setObjectName("patientNumbers")
        note.setWordWrap(True)
        lock_box = QGroupBox("Idle lock")
        lock_row = QHBoxLayout(lock_box)
        lock_label = QLabel("&Lock the window after")
        lock_label.setBuddy(self.lock_spin)
        lock_row.addWidget(lock_label)
        lock_row.addWidget(self.lock_spin)
        lock_row.addWidget(QLabel("without input (default 10), then ask for the password again."), 1)
        lock_row.addWidget(self.lock_button)
        layout = QVBoxLayout(self)
        layout.addWidget(note)
        layout.addWidget(self.view, 1)
        layout.addLayout(actions)
        layout.addWidget(self.status)
        layout.addWidget(lock_box)
        layout.addWidget(self.lock_status)
        self.load()

    # -- reading -------------------------------------------------------------------------
    def load(self, select: str | None = None) -> None:
        chosen = select or (self.selected().name if self.selected() else None)
        self.model.set_rows(accounts.list_users())
        self.view.resizeColumnToContents(UserTableModel.COL_NAME)
        self.view.resizeColumnToContents(UserTableModel.COL_ROLE)
        self.view.resizeColumnToContents(UserTableModel.COL_ACTIVE)
        self.lock_spin.setValue(accounts.idle_lock_minutes())
        if not (chosen and self.select_user(chosen)) and self.proxy.rowCount():
            self.view.selectRow(0)
        self._on_view_selection_changed()

    def selected(self) -> UserAccount | None:
        rows = self.view.selectionModel().selectedRows()
        return rows[0].data(ROW_ROLE) if rows else None

    def select_user(self, name: str) -> bool:
        for row in range(self.proxy.rowCount()):
            if self.proxy.index(row, 0).data(ROW_ROLE).name == name:
                self.view.selectRow(row)
                return True
        return False

    def _on_view_selection_changed(self, *_args) -> None:
        account = self.selected()
        for widget in (self.active_button, self.password_button, self.role_combo, self.role_button):
            widget.setEnabled(account is not None)
        if account is None:
            return
        self.active_button.setText("Re&activate" if not account.active else "&Deactivate")
        self.active_button.setAccessibleName(f"{'Reactivate' if not account.active else 'Deactivate'} {account.name}")
        self.role_combo.setCurrentIndex(max(0, self.role_combo.findData(account.role)))

    # -- changing ------------------------------------------------------------------------
    def _done(self, text: str, name: str | None) -> None:
        self.status.setText(text)
        self.load(select=name)
        self.changed.emit("users")

    def _refused(self, exc: PaoClinicError) -> None:
        messages = [p.message for p in exc.problems] if isinstance(exc, ValidationError) else [str(exc)]
        self.status.setText(" ".join(_full_stop(m) for m in messages) + " Nothing was changed.")
        self.load()

    def _on_add_button_clicked(self) -> None:
        account = AddUserDialog.ask(self.actor, self)
        if account is not None:
            self._done(f"Added {account.display_name} ({account.name}) as {_a(account.role)}.", account.name)

    def _on_active_button_clicked(self) -> None:
        self.toggle_active()

    def toggle_active(self) -> UserAccount | None:
        """Deactivate the selected account, or reactivate it when it is deactivated."""
        account = self.selected()
        if account is None:
            return None
        change = accounts.reactivate_user if not account.active else accounts.deactivate_user
        try:
            changed = change(self.actor, account.name, expected_version=account.version)
        except PaoClinicError as exc:
            self._refused(exc)
            return None
        self._done(f"{changed.name} can sign in again." if changed.active
                   else f"{changed.name} is deactivated and can no longer sign in.", changed.name)
        return changed

    def _on_password_button_clicked(self) -> None:
        account = self.selected()
        if account is None:
            return
        changed = NewPasswordDialog.ask(self.actor, account, self)
        if changed is not None:
            self._done(f"{changed.name} has a new password.", changed.name)

    def _on_role_button_clicked(self) -> None:
        self.change_role(self.role_combo.currentData())

    def change_role(self, role: str) -> UserAccount | None:
        account = self.selected()
        if account is None:
            return None
        try:
            changed = accounts.change_role(self.actor, account.name, role, expected_version=account.version)
        except PaoClinicError as exc:
            self._refused(exc)
            return None
        self._done(f"{changed.name} is now {_a(changed.role)}.", changed.name)
        return changed

    def _on_lock_button_clicked(self) -> None:
        self.save_idle_lock()

    def save_idle_lock(self) -> bool:
        try:
            minutes = accounts.set_idle_lock_minutes(self.actor, self.lock_spin.value())
        except PaoClinicError as exc:
            self.lock_status.setText(sentence(str(exc)))
            return False
        self.lock_status.setText(f"The window locks after {minutes} minute{'s' if minutes != 1 else ''} without "
                                 "input (open windows take it up within a minute).")
        self.changed.emit("idle lock")
        return True
