"""File ▸ Settings…: the clinic's letterhead, its referral address book, the gate's thresholds,
where the database is, the users and the idle lock (an admin's page, `users_dialog`), and
(on a demo database) which demo user to be.

An admin edits; everyone else reads (the fields are read only and say why, and the
services refuse a write by anyone else whatever the window shows).  Every save goes
through a service (`clinic_details.set_letterhead`, `set_referral_address`,
`gate_settings.set_gate_setting` / `reset_gate_setting`), which validates, audits and
commits in one transaction; a problem is shown at its field.
"""

from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QAbstractItemView, QAbstractSpinBox, QComboBox, QDialog, QDialogButtonBox, QDoubleSpinBox, QFileDialog, QFormLayout, QGridLayout,
    QGroupBox, QHBoxLayout, QHeaderView, QLabel, QLineEdit, QPlainTextEdit, QPushButton, QScrollArea, QSpinBox,
    QTableView, QTabWidget, QVBoxLayout, QWidget,
)

from pao_clinic import services
from pao_clinic.errors import PaoClinicError, ValidationError
from pao_clinic.record import code_words as words
from pao_clinic.record.codes import SPECIALTIES
from pao_clinic.services import Actor
from pao_clinic.services.clinic_details import default_department, set_letterhead, set_referral_address
from pao_clinic.services.demo_setup import DEMO_PASSWORD, DEMO_USERS
from pao_clinic.services.gate_settings import (
    GateSetting, gate_settings, reset_all_gate_settings, reset_gate_setting, set_gate_setting,
)

from .caseload_model import ROW_ROLE, RowSortProxy, RowTableModel
from .users_dialog import UsersPage

#: The demo users a newcomer may be, in the order a clinic meets them.
DEMO_ROLE_ORDER = ("nurse", "consultant", "admin")


def _problem_label(object_name: str = "fieldProblem") -> QLabel:
    label = QLabel()
    label.setObjectName(object_name)
    label.setWordWrap(True)
    label.hide()
    return label


def _show(label: QLabel, text: str | None) -> None:
    label.setText(text or "")
    label.setVisible(bool(text))


def _number(value: float | int, whole: bool) -> str:
    return str(int(value)) if whole else f"{value:g}"


# --- the referral address book ---------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class AddressLine:
    specialty: str
    department: str
    address: str
    own: bool   # the clinic set it (else the department at the clinic's own address)


class AddressBookModel(RowTableModel):
    HEADERS = ("Specialty", "Department", "Address")
    COL_SPECIALTY, COL_DEPARTMENT, COL_ADDRESS = range(3)

    def display(self, item: AddressLine, column: int) -> str:
        if column == self.COL_SPECIALTY:
            return words.SPECIALTY_WORDS.get(item.specialty, item.specialty)
        if column == self.COL_DEPARTMENT:
            return item.department
        return item.address.replace("\n", ", ") if item.own else f"{item.address.replace(chr(10), ', ')} (the clinic's)"

    def sort_value(self, row: int, column: int):
        return self.display(self.row_at(row), column).casefold()


# --- the dialog ---------------------------------------------------------------------------------

class SettingsDialog(QDialog):
    """The clinic's settings, for whoever is signed in (an admin may change them)."""

    saved = Signal(str)               # what was saved, in words ("letterhead", a setting's name...)
    user_switched = Signal(object)    # the Actor now signed in (a demo user)

    def __init__(self, actor: Actor, database: str, *, demo: bool = False, parent: QWidget | None = None):
        super().__init__(parent)
        self.actor = actor
        self.database = database
        self.demo = demo
        self.may_edit = actor.role == "admin"
        self.setObjectName("settingsDialog")
        self.setWindowTitle("Settings \u2014 PAO Clinic")
        self.resize(860, 620)

        self.role_notice = QLabel()
        self.role_notice.setObjectName("roleNotice")
        self.role_notice.setWordWrap(True)
        if not self.may_edit:
            self.role_notice.setText(
                f"Read only: you are signed in as {words.ROLE_WORDS.get(actor.role, actor.role).lower()}; "
                "only an administrator may change the clinic's settings.")
        self.role_notice.setVisible(not self.may_edit)

        self.tabs = QTabWidget()
        self.tabs.setObjectName("settingsTabs")
        self.tabs.setAccessibleName("Settings")
        self.tabs.addTab(self._build_letterhead(), "Clinic and letterhead")
        self.tabs.addTab(self._build_address_book(), "Referral address book")
        self.tabs.addTab(self._build_thresholds(), "Medication gate thresholds")
        self.tabs.addTab(self._build_database(), "Database")
        self.users_page: UsersPage | None = None
        if self.may_edit:  # an admin's page only (the services refuse anyone else whatever is shown)
            self.users_page = UsersPage(actor, self)
            self.users_page.changed.connect(self.saved)
            self.tabs.addTab(self.users_page, "Users")
        if demo:
            self.tabs.addTab(self._build_demo_users(), "Demo users")

        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(self.role_notice)
        layout.addWidget(self.tabs, 1)
        layout.addWidget(buttons)
        self.load()

    # -- letterhead ------------------------------------------------------------------------
    def _build_letterhead(self) -> QWidget:
        page = QWidget()
        self.letterhead_fields: dict[str, QLineEdit | QPlainTextEdit] = {}
        self.letterhead_problems: dict[str, QLabel] = {}
        form = QFormLayout()
        for key, label, tip in (("name", "Clinic &name", "The clinic's name at the top of every letter"),
                                ("address", "&Address", "One line per line of the address"),
                                ("phone", "&Telephone", "The clinic's telephone number"),
                                ("email", "&E-mail", "The clinic's e-mail address"),
                                ("logo", "&Logo file", "A PNG or JPEG image; leave empty for no logo")):
            edit: QLineEdit | QPlainTextEdit
            if key == "address":
                edit = QPlainTextEdit()
                edit.setTabChangesFocus(True)
                edit.setFixedHeight(edit.fontMetrics().lineSpacing() * 5 + 14)
            else:
                edit = QLineEdit()
            edit.setObjectName(f"letterhead_{key}")
            edit.setAccessibleName(label.replace("&", ""))
            edit.setToolTip(tip)
            edit.setReadOnly(not self.may_edit)
            title = QLabel(label)
            title.setBuddy(edit)
            problem = _problem_label()
            column = QVBoxLayout()
            column.setSpacing(2)
            if key == "logo":
                row = QHBoxLayout()
                row.addWidget(edit, 1)
                self.logo_button = QPushButton("Choose\u2026")
                self.logo_button.setObjectName("chooseLogoButton")
                self.logo_button.setAccessibleName("Choose the logo file")
                self.logo_button.setEnabled(self.may_edit)
                self.logo_button.clicked.connect(self._on_logo_button_clicked)
                row.addWidget(self.logo_button)
                column.addLayout(row)
            else:
                column.addWidget(edit)
            column.addWidget(problem)
            form.addRow(title, column)
            self.letterhead_fields[key] = edit
            self.letterhead_problems[key] = problem
        self.letterhead_status = QLabel()
        self.letterhead_status.setObjectName("settingsStatus")
        self.save_letterhead_button = QPushButton("Save letterhead")
        self.save_letterhead_button.setObjectName("saveLetterheadButton")
        self.save_letterhead_button.setAccessibleName("Save the letterhead")
        self.save_letterhead_button.setVisible(self.may_edit)
        self.save_letterhead_button.clicked.connect(self.save_letterhead)
        hint = QLabel("Printed at the top of every referral letter and patient summary.")
        hint.setObjectName("patientNumbers")
        bottom = QHBoxLayout()
        bottom.addWidget(self.letterhead_status, 1)
        bottom.addWidget(self.save_letterhead_button)
        layout = QVBoxLayout(page)
        layout.addWidget(hint)
        layout.addLayout(form)
        layout.addStretch(1)
        layout.addLayout(bottom)
        return page

    def _on_logo_button_clicked(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Choose the clinic's logo", "", "Images (*.png *.jpg *.jpeg)")
        if path:
            self.letterhead_fields["logo"].setText(path)

    def _text(self, key: str) -> str:
        edit = self.letterhead_fields[key]
        return edit.toPlainText() if isinstance(edit, QPlainTextEdit) else edit.text()

    def save_letterhead(self) -> bool:
        for label in self.letterhead_problems.values():
            _show(label, None)
        try:
            set_letterhead(self.actor, name=self._text("name"), address=self._text("address"),
                           phone=self._text("phone"), email=self._text("email"),
                           logo=self._text("logo").strip() or None)
        except ValidationError as exc:
            for problem in exc.problems:
                label = self.letterhead_problems.get(problem.path)
                if label is not None:
                    _show(label, problem.message[:1].upper() + problem.message[1:])
            self.letterhead_status.setText("Not saved: see the fields marked.")
            return False
        except PaoClinicError as exc:
            self.letterhead_status.setText(f"Not saved: {exc}")
            return False
        self.letterhead_status.setText("Letterhead saved.")
        self._load_letterhead()
        self.saved.emit("letterhead")
        return True

    # -- the address book ----------------------------------------------------------------
    def _build_address_book(self) -> QWidget:
        page = QWidget()
        self.address_model = AddressBookModel(self)
        self.address_proxy = RowSortProxy(self)
        self.address_proxy.setSourceModel(self.address_model)
        self.address_view = QTableView()
        self.address_view.setObjectName("addressBookTable")
        self.address_view.setAccessibleName("Referral address book")
        self.address_view.setModel(self.address_proxy)
        self.address_view.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.address_view.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.address_view.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.address_view.verticalHeader().hide()
        self.address_view.setAlternatingRowColors(True)
        self.address_view.horizontalHeader().setSectionResizeMode(
            AddressBookModel.COL_ADDRESS, QHeaderView.ResizeMode.Stretch)
        self.address_view.selectionModel().selectionChanged.connect(self._on_address_selection_changed)

        self.department_edit = QLineEdit()
        self.department_edit.setObjectName("addressDepartment")
        self.department_edit.setAccessibleName("Department")
        self.department_edit.setReadOnly(not self.may_edit)
        self.address_edit = QPlainTextEdit()
        self.address_edit.setObjectName("addressLines")
        self.address_edit.setAccessibleName("Department's address")
        self.address_edit.setTabChangesFocus(True)
        self.address_edit.setReadOnly(not self.may_edit)
        self.address_edit.setFixedHeight(self.address_edit.fontMetrics().lineSpacing() * 4 + 14)
        self.address_problem = _problem_label()
        self.address_status = QLabel()
        self.address_status.setObjectName("settingsStatus")
        self.save_address_button = QPushButton("Save address")
        self.save_address_button.setObjectName("saveAddressButton")
        self.save_address_button.setAccessibleName("Save this specialty's address")
        self.save_address_button.setVisible(self.may_edit)
        self.save_address_button.clicked.connect(self.save_address)
        self.address_box = QGroupBox("Where this specialty's letters go")
        form = QFormLayout(self.address_box)
        department_label = QLabel("&Department")
        department_label.setBuddy(self.department_edit)
        address_label = QLabel("A&ddress")
        address_label.setBuddy(self.address_edit)
        form.addRow(department_label, self.department_edit)
        form.addRow(address_label, self.address_edit)
        form.addRow("", self.address_problem)
        bottom = QHBoxLayout()
        bottom.addWidget(self.address_status, 1)
        bottom.addWidget(self.save_address_button)
        form.addRow(bottom)
        layout = QVBoxLayout(page)
        layout.addWidget(self.address_view, 1)
        layout.addWidget(self.address_box)
        return page

    def selected_specialty(self) -> str | None:
        rows = self.address_view.selectionModel().selectedRows()
        return rows[0].data(ROW_ROLE).specialty if rows else None

    def select_specialty(self, specialty: str) -> bool:
        for row in range(self.address_proxy.rowCount()):
            index = self.address_proxy.index(row, 0)
            if self.address_proxy.data(index, ROW_ROLE).specialty == specialty:
                self.address_view.selectRow(row)
                return True
        return False

    def _on_address_selection_changed(self, *_args) -> None:
        rows = self.address_view.selectionModel().selectedRows()
        line: AddressLine | None = rows[0].data(ROW_ROLE) if rows else None
        _show(self.address_problem, None)
        self.address_box.setEnabled(line is not None)
        if line is None:
            return
        self.address_box.setTitle(f"Where {words.SPECIALTY_WORDS.get(line.specialty, line.specialty)} letters go")
        self.department_edit.setText(line.department)
        self.address_edit.setPlainText(line.address)

    def save_address(self) -> bool:
        specialty = self.selected_specialty()
        if specialty is None:
            return False
        _show(self.address_problem, None)
        try:
            set_referral_address(self.actor, specialty, self.address_edit.toPlainText(),
                                 department=self.department_edit.text().strip() or None)
        except ValidationError as exc:
            _show(self.address_problem, "; ".join(p.message[:1].upper() + p.message[1:] for p in exc.problems))
            self.address_status.setText("Not saved.")
            return False
        except PaoClinicError as exc:
            self.address_status.setText(f"Not saved: {exc}")
            return False
        self.address_status.setText(f"Saved the address for {words.SPECIALTY_WORDS.get(specialty, specialty)}.")
        self._load_address_book()
        self.select_specialty(specialty)
        self.saved.emit(f"address book: {specialty}")
        return True

    # -- thresholds ----------------------------------------------------------------------
    def _build_thresholds(self) -> QWidget:
        page = QWidget()
        self.threshold_inputs: dict[str, QSpinBox | QDoubleSpinBox] = {}
        self.threshold_defaults: dict[str, QLabel] = {}
        self.threshold_problems: dict[str, QLabel] = {}
        self.reset_buttons: dict[str, QPushButton] = {}
        inner = QWidget()
        inner.setObjectName("thresholdsPage")
        grid_layout = QVBoxLayout(inner)
        groups: dict[str, QGridLayout] = {}
        for setting in gate_settings():
            grid = groups.get(setting.group)
            if grid is None:
                box = QGroupBox(setting.group)
                grid = QGridLayout(box)
                grid.setColumnStretch(0, 1)
                groups[setting.group] = grid
                grid_layout.addWidget(box)
            row = grid.rowCount()
            spin: QSpinBox | QDoubleSpinBox
            if setting.whole_number:
                spin = QSpinBox()
                spin.setRange(int(setting.minimum), int(setting.maximum))
            else:
                spin = QDoubleSpinBox()
                spin.setDecimals(2)
                spin.setSingleStep(0.1 if setting.maximum - setting.minimum <= 30 else 1.0)
                spin.setRange(float(setting.minimum), float(setting.maximum))
            spin.setObjectName(f"setting_{setting.name}")
            spin.setAccessibleName(setting.label)
            spin.setToolTip(f"{setting.name}: {_number(setting.minimum, setting.whole_number)} to "
                            f"{_number(setting.maximum, setting.whole_number)} {setting.unit}".rstrip())
            spin.setSuffix(f" {setting.unit}" if setting.unit else "")
            spin.setReadOnly(not self.may_edit)
            spin.setButtonSymbols(QAbstractSpinBox.ButtonSymbols.UpDownArrows if self.may_edit
                                  else QAbstractSpinBox.ButtonSymbols.NoButtons)
            spin.setMinimumWidth(spin.fontMetrics().horizontalAdvance("0000.00 mL/min/1.73m\u00b2") + 30)
            title = QLabel(setting.label)
            title.setBuddy(spin)
            title.setWordWrap(True)
            default = QLabel()
            default.setObjectName("settingDefault")
            reset = QPushButton("Reset to default")
            reset.setObjectName(f"reset_{setting.name}")
            reset.setAccessibleName(f"Reset {setting.label} to its default")
            reset.setVisible(self.may_edit)
            reset.clicked.connect(lambda _checked=False, n=setting.name: self.reset_setting(n))
            problem = _problem_label()
            grid.addWidget(title, row, 0)
            grid.addWidget(spin, row, 1)
            grid.addWidget(default, row, 2)
            grid.addWidget(reset, row, 3)
            grid.addWidget(problem, row + 1, 0, 1, 4)
            self.threshold_inputs[setting.name] = spin
            self.threshold_defaults[setting.name] = default
            self.threshold_problems[setting.name] = problem
            self.reset_buttons[setting.name] = reset
        scroll = QScrollArea()
        scroll.setObjectName("thresholdsScroll")
        scroll.setWidgetResizable(True)
        scroll.setWidget(inner)
        self.thresholds_status = QLabel()
        self.thresholds_status.setObjectName("settingsStatus")
        self.thresholds_status.setWordWrap(True)
        self.reset_all_button = QPushButton("Reset all to defaults")
        self.reset_all_button.setObjectName("resetAllButton")
        self.reset_all_button.setAccessibleName("Reset every threshold to its default")
        self.reset_all_button.setVisible(self.may_edit)
        self.reset_all_button.clicked.connect(self.reset_all_settings)
        self.save_thresholds_button = QPushButton("Save thresholds")
        self.save_thresholds_button.setObjectName("saveThresholdsButton")
        self.save_thresholds_button.setAccessibleName("Save the changed thresholds")
        self.save_thresholds_button.setVisible(self.may_edit)
        self.save_thresholds_button.clicked.connect(self.save_thresholds)
        hint = QLabel("The medication gate and the worklist judge every woman by these thresholds. "
                      "The defaults are those of the clinic's specification.")
        hint.setObjectName("patientNumbers")
        hint.setWordWrap(True)
        bottom = QHBoxLayout()
        bottom.addWidget(self.thresholds_status, 1)
        bottom.addWidget(self.reset_all_button)
        bottom.addWidget(self.save_thresholds_button)
        layout = QVBoxLayout(page)
        layout.addWidget(hint)
        layout.addWidget(scroll, 1)
        layout.addLayout(bottom)
        return page

    def set_threshold(self, name: str, value: float) -> None:
        """Type a value into a threshold's field (as the user does)."""
        self.threshold_inputs[name].setValue(value)

    def threshold(self, name: str) -> float:
        return self.threshold_inputs[name].value()

    def save_thresholds(self) -> bool:
        """Save every threshold whose field differs from the value in force; False if any was refused."""
        changed = [s for s in self._settings if self.threshold(s.name) != s.value]
        refused = 0
        for label in self.threshold_problems.values():
            _show(label, None)
        for setting in changed:
            try:
                set_gate_setting(self.actor, setting.name, self.threshold(setting.name))
            except ValidationError as exc:
                refused += 1
                _show(self.threshold_problems[setting.name], "; ".join(p.message for p in exc.problems))
            except PaoClinicError as exc:
                refused += 1
                _show(self.threshold_problems[setting.name], str(exc))
        saved = len(changed) - refused
        self._load_thresholds(keep_typed=True)
        if not changed:
            self.thresholds_status.setText("Nothing to save: every threshold is as it was.")
        elif refused:
            self.thresholds_status.setText(f"Saved {saved} of {len(changed)}; see the thresholds marked.")
        else:
            self.thresholds_status.setText(f"Saved {saved} threshold{'s' if saved != 1 else ''}.")
        if saved:
            self.saved.emit("thresholds")
        return not refused

    def reset_setting(self, name: str) -> bool:
        _show(self.threshold_problems[name], None)
        try:
            reset_gate_setting(self.actor, name)
        except PaoClinicError as exc:
            _show(self.threshold_problems[name], str(exc))
            return False
        self._load_thresholds(keep_typed=True, except_for=name)
        self.thresholds_status.setText(f"{self.threshold_inputs[name].accessibleName()}: back to its default.")
        self.saved.emit(name)
        return True

    def reset_all_settings(self) -> bool:
        try:
            reset_all_gate_settings(self.actor)
        except PaoClinicError as exc:
            self.thresholds_status.setText(str(exc))
            return False
        for label in self.threshold_problems.values():
            _show(label, None)
        self._load_thresholds()
        self.thresholds_status.setText("Every threshold is back to its default.")
        self.saved.emit("thresholds")
        return True

    # -- database and demo users -----------------------------------------------------------
    def _build_database(self) -> QWidget:
        page = QWidget()
        self.database_edit = QLineEdit(self.database)
        self.database_edit.setObjectName("databaseLocation")
        self.database_edit.setAccessibleName("Database location")
        self.database_edit.setReadOnly(True)
        self.database_edit.setCursorPosition(0)
        note = QLabel("Where this caseload is kept. To work on another database, start PAO Clinic with "
                      "--database URL or the PAO_CLINIC_DATABASE environment variable.")
        note.setObjectName("patientNumbers")
        note.setWordWrap(True)
        self.database_kind = QLabel("A DEMO database of synthetic patients." if self.demo
                                    else "The clinic's caseload.")
        self.database_kind.setObjectName("databaseKind")
        form = QFormLayout()
        label = QLabel("&Location")
        label.setBuddy(self.database_edit)
        form.addRow(label, self.database_edit)
        form.addRow("Kind", self.database_kind)
        layout = QVBoxLayout(page)
        layout.addLayout(form)
        layout.addWidget(note)
        layout.addStretch(1)
        return page

    def _build_demo_users(self) -> QWidget:
        page = QWidget()
        self.demo_user_combo = QComboBox()
        self.demo_user_combo.setObjectName("demoUserCombo")
        self.demo_user_combo.setAccessibleName("Demo user to be")
        by_role = {role: (name, display) for name, role, display in DEMO_USERS}
        for role in DEMO_ROLE_ORDER:
            name, display = by_role[role]
            self.demo_user_combo.addItem(f"{words.ROLE_WORDS[role]}: {display} ({name})", name)
        current = self.demo_user_combo.findData(self.actor.name)
        if current >= 0:
            self.demo_user_combo.setCurrentIndex(current)
        self.switch_button = QPushButton("Switch to this user")
        self.switch_button.setObjectName("switchUserButton")
        self.switch_button.setAccessibleName("Sign in as the chosen demo user")
        self.switch_button.clicked.connect(self._on_switch_button_clicked)
        self.demo_status = QLabel()
        self.demo_status.setObjectName("settingsStatus")
        self.demo_status.setWordWrap(True)
        note = QLabel("This is a demo database, so you may try each role: the nurse records and corrects "
                      "clinical entries, the consultant also records treatment decisions, and the "
                      "administrator sets the letterhead, the address book and the thresholds.")
        note.setObjectName("patientNumbers")
        note.setWordWrap(True)
        label = QLabel("&Be")
        label.setBuddy(self.demo_user_combo)
        row = QHBoxLayout()
        row.addWidget(label)
        row.addWidget(self.demo_user_combo, 1)
        row.addWidget(self.switch_button)
        layout = QVBoxLayout(page)
        layout.addWidget(note)
        layout.addLayout(row)
        layout.addWidget(self.demo_status)
        layout.addStretch(1)
        return page

    def _on_switch_button_clicked(self) -> None:
        self.switch_to(self.demo_user_combo.currentData())

    def switch_to(self, user_name: str) -> Actor | None:
        """Sign in as a demo user; `user_switched` tells the window. None when that cannot be done."""
        try:
            actor = services.authenticate(user_name, DEMO_PASSWORD)
        except PaoClinicError as exc:
            self.demo_status.setText(f"Could not sign in as {user_name}: {exc}")
            return None
        self.demo_status.setText(f"Signed in as {actor.display_name} ({words.ROLE_WORDS[actor.role].lower()}).")
        self.user_switched.emit(actor)
        return actor

    # -- reading ------------------------------------------------------------------------
    def load(self) -> None:
        self._load_letterhead()
        self._load_address_book()
        self._load_thresholds()
        if self.address_proxy.rowCount():
            self.address_view.selectRow(0)
        else:
            self.address_box.setEnabled(False)

    def _load_letterhead(self) -> None:
        letterhead = services.clinic_letterhead()
        for key, value in (("name", letterhead.name), ("address", letterhead.address), ("phone", letterhead.phone),
                           ("email", letterhead.email), ("logo", letterhead.logo_path)):
            edit = self.letterhead_fields[key]
            if isinstance(edit, QPlainTextEdit):
                edit.setPlainText(value or "")
            else:
                edit.setText(value or "")
                edit.setCursorPosition(0)

    def _load_address_book(self) -> None:
        book = services.referral_address_book()
        clinic_address = services.clinic_letterhead().address or ""
        lines = []
        for specialty in SPECIALTIES:
            entry = book.get(specialty)
            if entry is None:
                lines.append(AddressLine(specialty, default_department(specialty), clinic_address, own=False))
            else:
                lines.append(AddressLine(specialty, entry.department, entry.address or "", own=True))
        self.address_model.set_rows(lines)
        self.address_view.resizeColumnToContents(AddressBookModel.COL_SPECIALTY)
        self.address_view.resizeColumnToContents(AddressBookModel.COL_DEPARTMENT)

    def _load_thresholds(self, *, keep_typed: bool = False, except_for: str | None = None) -> None:
        """Show the values in force; `keep_typed` keeps fields whose save was refused as typed."""
        self._settings: list[GateSetting] = gate_settings()
        for setting in self._settings:
            spin = self.threshold_inputs[setting.name]
            refused = keep_typed and self.threshold_problems[setting.name].isVisible() and setting.name != except_for
            if not refused:
                spin.setValue(setting.value)
            default = _number(setting.default, setting.whole_number)
            self.threshold_defaults[setting.name].setText(
                f"default {default}" if setting.is_default else f"changed (default {default})")
            self.reset_buttons[setting.name].setEnabled(self.may_edit and not setting.is_default)

    @classmethod
    def ask(cls, actor: Actor, database: str, *, demo: bool = False, parent: QWidget | None = None) -> "SettingsDialog":
        """Open the dialog (window-modal, not blocking); tests replace this."""
        dialog = cls(actor, database, demo=demo, parent=parent)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.open()
        return dialog
