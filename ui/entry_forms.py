"""Entry forms for every record type, made one way: a field spec per record type.

`RECORD_SPECS` says, for the patient and for each clinical list, which fields the form
asks for, in what words, and who may save it.  `EntryForm(spec, actor, ...)` builds the
dialog from that spec.  As the user types, the core's own validation runs (for a
clinical entry `services.records.new_entry_problems`, for the patient the record's
validator) and each message is shown under its field ("Problem: ..."); Save stays
disabled until nothing is wrong.  Saving calls the services with the version the form
was opened at: when someone else saved first the form shows both versions side by side
with a Reload button, and nothing is overwritten.  An entry is never deleted: "Entered
in error..." asks for the reason and marks it.  A referral moves on (sent, acknowledged,
booked, seen, declined, cancelled) with "Move on...".

Dialogs that ask something (the reason, the next step of a referral) sit behind
`@classmethod ask(...)`, which tests replace.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields, replace
from datetime import date, datetime
from typing import Any, Callable

from PySide6.QtCore import QObject, Qt, Signal
from PySide6.QtGui import QFont, QGuiApplication
from PySide6.QtWidgets import (
    QAbstractItemView, QCheckBox, QComboBox, QDialog, QDialogButtonBox, QFrame, QGridLayout, QGroupBox,
    QHBoxLayout, QHeaderView, QLabel, QLineEdit, QPlainTextEdit, QPushButton, QScrollArea, QTableView,
    QVBoxLayout, QWidget,
)

from pao_clinic import services
from pao_clinic.errors import ConflictError, DecisionRefused, NotFoundError, PaoClinicError, Problem, ValidationError
from pao_clinic.record import (
    BloodResult, Contact, Contraception, Decision, DentalReview, DexaScan, EpdsScreen, Feeding, Fracture,
    GeneralPractitioner, HeightMeasurement, Medication, PatientRecord, Pregnancy, Referral, codes,
)
from pao_clinic.record import code_words as words
from pao_clinic.record.dates import written_date
from pao_clinic.record.nhs_number import never_issued_warning
from pao_clinic.record.validation import patient_record_problems
from pao_clinic.services.records import new_entry_problems
from pao_clinic.services.referrals import change_referral_status, next_statuses

from .caseload_model import ALIGN_TEXT, RowTableModel
from .date_field import DateField
from .live_refresh import changed_elsewhere_notice
from .status_colours import BLOCKED, CAUTION, HINT

PROBLEM_COLOUR = BLOCKED   # a field's problem: a shade for the light and the dark palette
PROBLEM_LEAD = "\u26a0 Problem: "
WARNING_LEAD = "\u26a0 Check: "
#: Fields whose value may be valid and still worth a warning (saving is not stopped): the NHS number.
WARNED_FIELDS = ("nhs_number",)
NOT_RECORDED = "Not recorded"
CHOOSE = "\u2014 choose \u2014"
NEW_REF = "new"  # stands for the ref the services will give a new entry, while validating


# --- the specs -------------------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class FieldSpec:
    """One field of a form.

    kind: text, long_text, date, choice, yes_no, integer, number, checklist, pregnancy
    (one of her pregnancies, by ref) or unit (shown, set from `follows`: a blood test's unit).
    `name` is the value's attribute; `contact.phone` is a field of her contact details.
    """

    name: str
    label: str
    kind: str = "text"
    required: bool = False
    choices: tuple[tuple[Any, str], ...] = ()
    hint: str = ""
    follows: str = ""


@dataclass(frozen=True, slots=True)
class RecordSpec:
    """A form for one record type: `key` is the services' record type ("fracture"), or "patient"."""

    key: str
    title: str
    value_type: type
    fields: tuple[FieldSpec, ...]
    roles: tuple[str, ...] = services.CLINICAL_ROLES
    new_values: dict = field(default_factory=dict)  # values a new entry starts with that the form does not ask

    @property
    def list_name(self) -> str | None:
        return next((c.name for c in services.CLINICAL_LISTS if c.record_type == self.key), None)

    @property
    def has_ref(self) -> bool:
        return any(f.name == "ref" for f in fields(self.value_type))


def _choice(code_list: str) -> tuple[tuple[Any, str], ...]:
    return words.choices(code_list)


_YES_NO = ((True, "Yes"), (False, "No"))

PATIENT_SPEC = RecordSpec("patient", "Patient", PatientRecord, (
    FieldSpec("family_name", "Family name", required=True),
    FieldSpec("given_name", "Given name", required=True),
    FieldSpec("date_of_birth", "Date of birth", "date", required=True),
    FieldSpec("nhs_number", "NHS number", hint="10 digits, e.g. 943 476 5919"),
    FieldSpec("hospital_number", "Hospital number"),
    FieldSpec("contact.address", "Address", "long_text"),
    FieldSpec("contact.postcode", "Postcode"),
    FieldSpec("contact.phone", "Phone"),
    FieldSpec("contact.email", "Email"),
    FieldSpec("gp.name", "GP's name"),
    FieldSpec("gp.practice", "GP practice"),
    FieldSpec("gp.address", "GP practice address", "long_text"),
    FieldSpec("risk_factors", "Risk factors", "checklist", choices=_choice("risk_factor")),
    FieldSpec("history", "History", "checklist", choices=_choice("history")),
    FieldSpec("future_pregnancy_plan", "Future pregnancy", "choice", choices=_choice("future_pregnancy_plan")),
))

RECORD_SPECS: dict[str, RecordSpec] = {spec.key: spec for spec in (
    PATIENT_SPEC,
    RecordSpec("contraception", "Contraception", Contraception, (
        FieldSpec("recorded_on", "Recorded on", "date", required=True),
        FieldSpec("method", "Method", required=True, hint="e.g. copper IUD, condoms"),
        FieldSpec("effective", "Effective contraception", "yes_no", required=True, choices=_YES_NO),
    )),
    RecordSpec("dental_review", "Dental review", DentalReview, (
        FieldSpec("reviewed_on", "Reviewed on", "date", required=True),
    )),
    RecordSpec("pregnancy", "Pregnancy", Pregnancy, (
        FieldSpec("number", "Pregnancy number", "integer", required=True, hint="1 for her first pregnancy"),
        FieldSpec("outcome", "Outcome", "choice", required=True, choices=_choice("pregnancy_outcome")),
        FieldSpec("due_date", "Due date", "date"),
        FieldSpec("ended_on", "Ended on", "date", hint="the day of the birth or loss"),
        FieldSpec("delivery_mode", "Delivery", "choice", choices=_choice("delivery_mode")),
    )),
    RecordSpec("feeding", "Breastfeeding", Feeding, (
        FieldSpec("pregnancy", "After pregnancy", "pregnancy", required=True),
        FieldSpec("breastfed", "Breastfed", "yes_no", required=True, choices=_YES_NO),
        FieldSpec("started_on", "Started on", "date"),
        FieldSpec("stopped_on", "Last feed on", "date", hint="leave empty while she still breastfeeds"),
        FieldSpec("planned_stop_on", "Plans to stop on", "date"),
    )),
    RecordSpec("fracture", "Fracture", Fracture, (
        FieldSpec("site", "Site", "choice", required=True, choices=_choice("fracture_site")),
        FieldSpec("side", "Side", "choice", choices=_choice("side")),
        FieldSpec("genant_grade", "Genant grade", "choice", choices=_choice("genant_grade"),
                  hint="vertebral fractures only"),
        FieldSpec("identified_on", "Identified on", "date", required=True),
        FieldSpec("onset_on", "Pain began on", "date"),
        FieldSpec("imaging", "Imaging", "choice", required=True, choices=_choice("imaging")),
        FieldSpec("trauma", "Trauma", "choice", required=True, choices=_choice("trauma")),
        FieldSpec("pregnancy", "Pregnancy", "pregnancy"),
        FieldSpec("note", "Note", "long_text"),
    )),
    RecordSpec("dexa_scan", "DEXA scan", DexaScan, (
        FieldSpec("scanned_on", "Scanned on", "date", required=True),
        FieldSpec("site", "Site", "choice", required=True, choices=_choice("dexa_site")),
        FieldSpec("z_score", "Z-score", "number"),
        FieldSpec("t_score", "T-score (for reference)", "number"),
        FieldSpec("bmd", "BMD (g/cm\u00b2)", "number"),
    )),
    RecordSpec("blood_result", "Blood result", BloodResult, (
        FieldSpec("taken_on", "Taken on", "date", required=True),
        FieldSpec("test", "Test", "choice", required=True, choices=_choice("blood_test")),
        FieldSpec("value", "Result", "number", required=True),
        FieldSpec("unit", "Unit", "unit", follows="test"),
    )),
    RecordSpec("height", "Height", HeightMeasurement, (
        FieldSpec("measured_on", "Measured on", "date", required=True),
        FieldSpec("cm", "Height (cm)", "number", required=True),
    )),
    RecordSpec("epds", "EPDS screen", EpdsScreen, (
        FieldSpec("assessed_on", "Assessed on", "date", required=True),
        FieldSpec("score", "Total score (0-30)", "integer", required=True),
        FieldSpec("self_harm_item", "Item 10, self-harm (0-3)", "integer", required=True),
    )),
    RecordSpec("medication", "Medication", Medication, (
        FieldSpec("drug", "Drug", "choice", required=True, choices=_choice("drug")),
        FieldSpec("started_on", "Started on", "date", required=True, hint="for denosumab and zoledronate: the dose date"),
        FieldSpec("stopped_on", "Stopped on", "date"),
    )),
    RecordSpec("referral", "Referral", Referral, (
        FieldSpec("specialty", "To", "choice", required=True, choices=_choice("specialty")),
        FieldSpec("urgency", "Urgency", "choice", required=True, choices=_choice("urgency")),
        FieldSpec("created_on", "Created on", "date", required=True),
        FieldSpec("reason", "Reason", "long_text", required=True),
    ), new_values={"status": "draft"}),
    RecordSpec("decision", "Treatment decision", Decision, (
        FieldSpec("decided_on", "Decided on", "date", required=True),
        FieldSpec("plan", "Plan", "choice", required=True, choices=_choice("decision_plan")),
        FieldSpec("drug", "Drug", "choice", choices=_choice("drug")),
        FieldSpec("override_reason", "Reason against soft stops", "long_text"),
        FieldSpec("review_on", "Review on", "date"),
    ), roles=services.PRESCRIBING_ROLES),
)}

#: A clinical list's name ("fractures") -> its form's spec key ("fracture").
SPEC_FOR_LIST: dict[str, str] = {c.name: c.record_type for c in services.CLINICAL_LISTS}


def spec_for_value(value) -> RecordSpec:
    if isinstance(value, PatientRecord):
        return PATIENT_SPEC
    clinical = next(c for c in services.CLINICAL_LISTS if c.value_type is type(value))
    return RECORD_SPECS[clinical.record_type]


def field_for_path(spec: RecordSpec, path: str) -> str | None:
    """The form field a problem's path names (`risk_factors[2]` -> `risk_factors`), or None."""
    names = {f.name for f in spec.fields}
    if path in names:
        return path
    base = path.split("[", 1)[0]
    return base if base in names else None


def lower_first(title: str) -> str:
    """'Fracture' -> 'fracture' mid-sentence, but 'DEXA scan' and 'EPDS screen' stay as they are."""
    return title[0].lower() + title[1:] if title[1:2].islower() else title


def role_words(roles: tuple[str, ...]) -> str:
    return " or ".join(words.ROLE_WORDS.get(r, r).lower() for r in roles)


def value_words(spec_field: FieldSpec, value) -> str:
    """A field's value as the form's reader says it (for the conflict panel)."""
    if value is None or value == () or value == "":
        return NOT_RECORDED
    if isinstance(value, date):
        return written_date(value)
    if isinstance(value, bool):
        return "Yes" if value else "No"
    if spec_field.choices:
        table = dict(spec_field.choices)
        if isinstance(value, tuple):
            return "; ".join(table.get(v, str(v)) for v in value)
        return table.get(value, str(value))
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)


def read_field(value, name: str):
    """A field of a value by its form name (`contact.phone` reads her contact's phone)."""
    if value is None:
        return None
    for part in name.split("."):
        value = getattr(value, part, None)
        if value is None:
            return None
    return value


# --- the conflict panel's table ------------------------------------------------------

@dataclass(frozen=True, slots=True)
class VersionLine:
    label: str
    yours: str
    theirs: str

    @property
    def differs(self) -> bool:
        return self.yours != self.theirs


class VersionTableModel(RowTableModel):
    """Field by field: what you were saving, and what someone else saved first."""

    COL_FIELD, COL_YOURS, COL_THEIRS, COL_DIFFERS = range(4)
    HEADERS = ("Field", "Yours (not saved)", "Theirs (saved)", "Differs")
    ALIGNMENTS = (ALIGN_TEXT,) * 4

    def __init__(self, parent=None):
        super().__init__(parent)
        self._bold = QFont()
        self._bold.setBold(True)

    def display(self, item: VersionLine, column: int) -> str:
        return (item.label, item.yours, item.theirs, "Differs" if item.differs else "")[column]

    def sort_value(self, row: int, column: int) -> Any:
        item = self._rows[row]
        return (item.label, item.yours, item.theirs, item.differs)[column]

    def extra(self, item: VersionLine, column: int, role: Qt.ItemDataRole) -> Any:
        if role == Qt.ItemDataRole.FontRole and item.differs:
            return self._bold
        if role == Qt.ItemDataRole.ToolTipRole and column in (self.COL_YOURS, self.COL_THEIRS):
            return (item.yours, item.theirs)[column - 1]
        return None


# --- the dialogs that ask ------------------------------------------------------------

class EnteredInErrorDialog(QDialog):
    """Why this entry was entered in error (required)."""

    def __init__(self, what: str, parent: QWidget | None = None):
        super().__init__(parent)
        self.setWindowTitle(f"Entered in error \u2014 {what}")
        self.setObjectName("enteredInErrorDialog")
        intro = QLabel(f"The {what} will be taken out of her record and kept, with your name, the time and "
                       "this reason. Nothing is deleted.")
        intro.setWordWrap(True)
        label = QLabel("&Reason (required)")
        self.reason_edit = QPlainTextEdit()
        self.reason_edit.setTabChangesFocus(True)
        self.reason_edit.setAccessibleName("Reason the entry was entered in error")
        label.setBuddy(self.reason_edit)
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        self.ok_button = self.buttons.button(QDialogButtonBox.StandardButton.Ok)
        self.ok_button.setText("Mark entered in error")
        self.ok_button.setEnabled(False)
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        self.reason_edit.textChanged.connect(self._on_reason_edit_text_changed)
        layout = QVBoxLayout(self)
        for widget in (intro, label, self.reason_edit, self.buttons):
            layout.addWidget(widget)

    def reason(self) -> str:
        return self.reason_edit.toPlainText().strip()

    def _on_reason_edit_text_changed(self) -> None:
        self.ok_button.setEnabled(bool(self.reason()))

    @classmethod
    def ask(cls, what: str, parent: QWidget | None = None) -> str | None:
        """The reason given, or None when cancelled."""
        dialog = cls(what, parent)
        return dialog.reason() if dialog.exec() == QDialog.DialogCode.Accepted and dialog.reason() else None


class MoveOnDialog(QDialog):
    """The next step of a referral and the day it happened."""

    def __init__(self, referral: Referral, today: date, parent: QWidget | None = None):
        super().__init__(parent)
        self.setWindowTitle("Move the referral on")
        self.setObjectName("moveOnDialog")
        now = words.words(words.REFERRAL_STATUS_WORDS, referral.status)
        intro = QLabel(f"Referral to {words.words(words.SPECIALTY_WORDS, referral.specialty)}: {now}.")
        intro.setWordWrap(True)
        self.status_combo = QComboBox()
        self.status_combo.setAccessibleName("Move on to")
        for status in next_statuses(referral.status):
            self.status_combo.addItem(words.words(words.REFERRAL_STATUS_WORDS, status), status)
        self.date_field = DateField(label="Date")
        self.date_field.set_date(today)
        status_label = QLabel("&Move on to")
        status_label.setBuddy(self.status_combo)
        date_label = QLabel("&On")
        date_label.setBuddy(self.date_field.edit)
        self.problem_label = _problem_label()
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        self.ok_button = self.buttons.button(QDialogButtonBox.StandardButton.Ok)
        self.ok_button.setText("Move on")
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        grid = QGridLayout()
        grid.addWidget(status_label, 0, 0)
        grid.addWidget(self.status_combo, 0, 1)
        grid.addWidget(date_label, 1, 0)
        grid.addWidget(self.date_field, 1, 1)
        grid.addWidget(self.problem_label, 2, 1)
        layout = QVBoxLayout(self)
        layout.addWidget(intro)
        layout.addLayout(grid)
        layout.addWidget(self.buttons)
        self.date_field.changed.connect(self._on_date_field_changed)
        self._on_date_field_changed()

    def _on_date_field_changed(self) -> None:
        problem = self.date_field.problem()
        _show_problem(self.problem_label, problem)
        self.ok_button.setEnabled(problem is None and self.status_combo.count() > 0)

    def answer(self) -> tuple[str, date] | None:
        day = self.date_field.value()
        status = self.status_combo.currentData()
        return (status, day) if status is not None and day is not None else None

    @classmethod
    def ask(cls, referral: Referral, today: date, parent: QWidget | None = None) -> tuple[str, date] | None:
        """(the new status, its day), or None when cancelled."""
        dialog = cls(referral, today, parent)
        return dialog.answer() if dialog.exec() == QDialog.DialogCode.Accepted else None


def _problem_label() -> QLabel:
    label = QLabel()
    label.setObjectName("fieldProblem")
    label.setWordWrap(True)
    label.setStyleSheet(f"color: {PROBLEM_COLOUR.css()}; font-weight: bold;")
    label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
    label.hide()
    return label


def _warning_label() -> QLabel:
    label = QLabel()
    label.setObjectName("fieldWarning")
    label.setWordWrap(True)
    label.setStyleSheet(f"color: {CAUTION.css()}; font-weight: bold;")
    label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
    label.hide()
    return label


def _show_problem(label: QLabel, message: str | None) -> None:
    if message:
        label.setText(PROBLEM_LEAD + message)
        label.show()
    else:
        label.clear()
        label.hide()


# --- the form ---------------------------------------------------------------------------

class _Input:
    """One field's widget, how to read it, and where its problem is shown."""

    def __init__(self, spec: FieldSpec, widget: QWidget, focus: list[QWidget], problem: QLabel,
                 read: Callable[[], tuple[Any, str | None]], write: Callable[[Any], None], changed):
        self.spec, self.widget, self.focus, self.problem = spec, widget, focus, problem
        self.read, self.write, self.changed = read, write, changed


class EntryForm(QDialog):
    """A form for one record (new when `original` is None), built from its spec.

    `record` is her record as the form was opened (the PatientView's snapshot, with ids
    and versions); for a new patient there is none.  `today` is the day the rules are
    judged on (dates after it are in the future).
    """

    saved = Signal(object)              # the value as the services saved it
    entered_in_error = Signal(object)   # the value marked entered in error
    conflict_shown = Signal(object)     # the version someone else saved first (None: it is gone)

    def __init__(self, spec: RecordSpec, actor: services.Actor, *, record: PatientRecord | None = None,
                 original=None, today: date | None = None, parent: QWidget | None = None):
        super().__init__(parent)
        self.spec = spec
        self.what = lower_first(spec.title)
        self.actor = actor
        self.record = record
        self.original = original
        self.today = today or date.today()
        self.saved_value = None
        self.problems: dict[str, str] = {}
        self.touched: set[str] = set()
        self.general_problems: list[str] = []
        self.may_save = actor.role in spec.roles
        # a real caseload warns of NHS numbers never issued to real people (a demo is made of them):
        # asked of the database the first time such a number is typed
        self._demo_caseload: bool | None = None
        self.warnings: dict[str, str] = {}
        self.warning_labels: dict[str, QLabel] = {}
        self.setObjectName("entryForm")
        self.setWindowTitle(self._title())
        self.setModal(True)

        heading = QLabel(self._title())
        heading.setObjectName("sectionTitle")
        who = QLabel(self._who() + "   \u00b7   Fields marked * are required.")
        who.setObjectName("patientNumbers")
        self.role_label = QLabel()
        self.role_label.setObjectName("roleNotice")
        self.role_label.setWordWrap(True)
        if not self.may_save:
            self.role_label.setText(
                f"Read only: you are signed in as {words.words(words.ROLE_WORDS, actor.role).lower()}; only a "
                f"{role_words(spec.roles)} may save a {self.what}.")
        self.role_label.setVisible(not self.may_save)
        self.status_label = QLabel()
        self.status_label.setObjectName("referralStatus")
        self.status_label.setWordWrap(True)
        self.general_label = _problem_label()
        self.general_label.setObjectName("formProblem")

        self.inputs: dict[str, _Input] = {}
        body = QWidget()
        body.setObjectName("entryFormBody")
        grid = QGridLayout(body)
        grid.setColumnStretch(1, 1)
        grid.setVerticalSpacing(2)
        row = 0
        for spec_field in spec.fields:
            made = self._make_input(spec_field)
            self.inputs[spec_field.name] = made
            label = QLabel(spec_field.label + (" *" if spec_field.required else ""))
            if spec_field.required:
                label.setToolTip("Required")
            label.setObjectName("fieldLabel")
            label.setBuddy(made.focus[0] if made.focus else made.widget)
            align = Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignTop
            grid.addWidget(label, row, 0, align)
            grid.addWidget(made.widget, row, 1)
            if spec_field.hint:
                hint = QLabel(spec_field.hint)
                hint.setObjectName("fieldHint")
                hint.setStyleSheet(f"color: {HINT.css()};")
                row += 1
                grid.addWidget(hint, row, 1)
            row += 1
            grid.addWidget(made.problem, row, 1)
            row += 1
            if spec_field.name in WARNED_FIELDS:
                warning = _warning_label()
                warning.setObjectName(f"warning_{spec_field.name}")
                self.warning_labels[spec_field.name] = warning
                grid.addWidget(warning, row, 1)
                row += 1
        grid.setRowStretch(row, 1)
        self.scroll = QScrollArea()
        self.scroll.setObjectName("entryFormScroll")
        self.scroll.setWidgetResizable(True)
        self.scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.scroll.setFrameShape(QFrame.Shape.NoFrame)
        self.scroll.setWidget(body)

        # -- someone else saved first ------------------------------------------------
        self.conflict_box = QGroupBox("Someone else saved this first: nothing of yours was saved")
        self.conflict_box.setObjectName("conflictPanel")
        self.conflict_text = QLabel()
        self.conflict_text.setWordWrap(True)
        self.version_model = VersionTableModel(self)
        self.version_view = QTableView()
        self.version_view.setObjectName("versionTable")
        self.version_view.setModel(self.version_model)
        self.version_view.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.version_view.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.version_view.verticalHeader().hide()
        self.version_view.setWordWrap(True)
        self.version_view.setAccessibleName("Your version and the version saved first")
        self.version_view.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Stretch)
        self.version_view.setMaximumHeight(220)
        self.reload_button = QPushButton("&Reload theirs")
        self.reload_button.setObjectName("reloadButton")
        self.reload_button.setAccessibleName("Reload the version saved first")
        self.reload_button.clicked.connect(self._on_reload_button_clicked)
        conflict_layout = QVBoxLayout(self.conflict_box)
        conflict_layout.addWidget(self.conflict_text)
        conflict_layout.addWidget(self.version_view)
        reload_row = QHBoxLayout()
        reload_row.addWidget(QLabel("Reload shows their version in the form; then make your change again."))
        reload_row.addStretch(1)
        reload_row.addWidget(self.reload_button)
        conflict_layout.addLayout(reload_row)
        self.conflict_box.hide()
        self.theirs = None

        # -- buttons -------------------------------------------------------------------
        self.error_button = QPushButton("Entered in &error\u2026")
        self.error_button.setObjectName("enteredInErrorButton")
        self.error_button.setAccessibleName(f"Mark this {self.what} as entered in error")
        self.error_button.clicked.connect(self._on_error_button_clicked)
        self.error_button.setVisible(original is not None and spec.key != "patient")
        self.error_button.setEnabled(self.may_save)
        self.move_on_button = QPushButton("&Move on\u2026")
        self.move_on_button.setObjectName("moveOnButton")
        self.move_on_button.setAccessibleName("Move the referral on to its next status")
        self.move_on_button.clicked.connect(self._on_move_on_button_clicked)
        self.move_on_button.setVisible(spec.key == "referral" and original is not None)
        self.cancel_button = QPushButton("Cancel")
        self.cancel_button.clicked.connect(self.reject)
        self.save_button = QPushButton("&Save")
        self.save_button.setObjectName("saveButton")
        self.save_button.setDefault(True)
        # a disabled Save must look disabled, whatever the default-button style says
        self.save_button.setStyleSheet(
            "QPushButton:disabled { background: #dfe5e7; color: #5f6b70; border: 1px solid #b9c5ca; }")
        self.save_button.setAccessibleName(f"Save the {self.what}")
        self.save_button.clicked.connect(self._on_save_button_clicked)
        buttons = QHBoxLayout()
        buttons.addWidget(self.error_button)
        buttons.addWidget(self.move_on_button)
        buttons.addStretch(1)
        buttons.addWidget(self.cancel_button)
        buttons.addWidget(self.save_button)

        layout = QVBoxLayout(self)
        layout.addWidget(heading)
        layout.addWidget(who)
        layout.addWidget(self.role_label)
        layout.addWidget(self.status_label)
        self.elsewhere_label = QLabel()
        self.elsewhere_label.setObjectName("changedElsewhere")
        self.elsewhere_label.setWordWrap(True)
        self.elsewhere_label.hide()
        layout.addWidget(self.elsewhere_label)
        layout.addWidget(self.general_label)
        layout.addWidget(self.conflict_box)
        layout.addWidget(self.scroll, 1)
        layout.addLayout(buttons)

        self._set_tab_order()
        self.load_value(original)
        self._fit_to_screen()

    # -- building ------------------------------------------------------------------------
    def _title(self) -> str:
        if self.spec.key == "patient":
            return "Patient details" if self.original is not None else "New patient"
        return ("Correct " if self.original is not None else "New ") + self.what

    def _who(self) -> str:
        record = self.record or (self.original if isinstance(self.original, PatientRecord) else None)
        if record is None:
            return "A new patient: her details"
        born = written_date(record.date_of_birth)
        return f"{services.banner_name(record.family_name, record.given_name)}, born {born}"

    def _fit_to_screen(self) -> None:
        screen = self.screen() or QGuiApplication.primaryScreen()
        available = screen.availableGeometry() if screen is not None else None
        height = min(720, available.height() - 48) if available is not None else 720
        width = min(760, available.width() - 40) if available is not None else 760
        wanted = self.scroll.widget().sizeHint().height() + 220
        self.resize(width, max(360, min(height, wanted)))
        self.setMaximumHeight(max(height, 360))

    def _pregnancy_choices(self) -> tuple[tuple[str, str], ...]:
        choices = []
        for p in (self.record.pregnancies if self.record is not None else ()):
            outcome = words.words(words.PREGNANCY_OUTCOME_WORDS, p.outcome)
            when = f", ended {written_date(p.ended_on)}" if p.ended_on else (
                f", due {written_date(p.due_date)}" if p.due_date else "")
            choices.append((p.ref, f"Pregnancy {p.number} ({outcome.lower()}{when})"))
        return tuple(choices)

    def _make_input(self, spec_field: FieldSpec) -> _Input:
        kind = spec_field.kind
        problem = _problem_label()
        problem.setObjectName(f"problem_{spec_field.name}")
        name = spec_field.label
        if kind == "date":
            widget = DateField(optional=not spec_field.required, label=name)
            widget.setObjectName(f"field_{spec_field.name}")

            def read_date(w=widget):
                return (None, None) if w.is_empty() else (w.value(), w.problem())
            return _Input(spec_field, widget, [widget.edit, widget.button], problem, read_date, widget.set_date,
                          widget.changed)
        if kind in ("choice", "yes_no", "pregnancy"):
            combo = QComboBox()
            combo.setObjectName(f"field_{spec_field.name}")
            combo.setAccessibleName(name)
            options = self._pregnancy_choices() if kind == "pregnancy" else spec_field.choices
            combo.addItem(CHOOSE if spec_field.required else NOT_RECORDED, None)
            for code, text in options:
                combo.addItem(text, code)
            combo.setMaxVisibleItems(16)

            def read_choice(c=combo):
                return c.currentData(), None

            def write_choice(value, c=combo):
                index = c.findData(value) if value is not None else 0
                if index < 0:  # a code the list does not offer: shown as it is, never lost
                    c.addItem(str(value), value)
                    index = c.count() - 1
                c.setCurrentIndex(index)
            return _Input(spec_field, combo, [combo], problem, read_choice, write_choice, combo.currentIndexChanged)
        if kind == "checklist":
            box = QGroupBox()
            box.setObjectName(f"field_{spec_field.name}")
            box.setAccessibleName(name)
            box_grid = QGridLayout(box)
            boxes: list[tuple[Any, QCheckBox]] = []
            for i, (code, text) in enumerate(spec_field.choices):
                check = QCheckBox(text)
                check.setObjectName(f"check_{code}")
                check.setAccessibleName(f"{name}: {text}")
                box_grid.addWidget(check, i, 0)
                boxes.append((code, check))
            hub = _Relay(box)

            for _code, check in boxes:
                check.toggled.connect(hub.fire)

            def read_checks(b=boxes):
                return tuple(code for code, check in b if check.isChecked()), None

            def write_checks(values, b=boxes):
                chosen = set(values or ())
                for code, check in b:
                    check.setChecked(code in chosen)
            return _Input(spec_field, box, [c for _code, c in boxes], problem, read_checks, write_checks, hub.changed)
        if kind == "unit":
            shown = QLabel()
            shown.setObjectName(f"field_{spec_field.name}")
            shown.setAccessibleName(name)

            def read_unit(f=spec_field):
                test = self.inputs[f.follows].read()[0]
                return codes.BLOOD_TEST_UNITS.get(test), None

            def write_unit(_value):
                pass
            return _Input(spec_field, shown, [], problem, read_unit, write_unit, None)
        if kind == "long_text":
            text_edit = QPlainTextEdit()
            text_edit.setObjectName(f"field_{spec_field.name}")
            text_edit.setAccessibleName(name)
            text_edit.setTabChangesFocus(True)
            text_edit.setFixedHeight(64)

            def read_long(t=text_edit, f=spec_field):
                return _text_value(t.toPlainText(), f)

            def write_long(value, t=text_edit):
                t.setPlainText(value or "")
            return _Input(spec_field, text_edit, [text_edit], problem, read_long, write_long, text_edit.textChanged)
        line = QLineEdit()
        line.setObjectName(f"field_{spec_field.name}")
        line.setAccessibleName(name)
        line.setMaxLength(200)
        if kind in ("integer", "number"):
            line.setMaximumWidth(140)

        def read_line(e=line, f=spec_field):
            if f.kind == "integer":
                return _whole_number(e.text(), f)
            if f.kind == "number":
                return _decimal_number(e.text(), f)
            return _text_value(e.text(), f)

        def write_line(value, e=line, f=spec_field):
            if value is None:
                e.setText("")
            elif f.kind == "number" and isinstance(value, float):
                e.setText(f"{value:g}")
            else:
                e.setText(str(value))
        return _Input(spec_field, line, [line], problem, read_line, write_line, line.textChanged)

    def _set_tab_order(self) -> None:
        chain = [w for made in self.inputs.values() for w in made.focus]
        chain += [self.error_button, self.move_on_button, self.cancel_button, self.save_button]
        for before, after in zip(chain, chain[1:]):
            QWidget.setTabOrder(before, after)
        for name, made in self.inputs.items():
            if made.changed is not None:
                made.changed.connect(lambda *_args, n=name: self._on_input_changed(n))

    def focus_chain(self) -> list[QWidget]:
        """The widgets Tab visits, in order (fields, then the buttons)."""
        return [w for made in self.inputs.values() for w in made.focus]

    # -- the value -------------------------------------------------------------------------
    def load_value(self, value) -> None:
        """Fill the form from a value (None: an empty form for a new entry)."""
        self._loading = True
        try:
            for name, made in self.inputs.items():
                made.write(read_field(value, name) if value is not None else None)
        finally:
            self._loading = False
        self._show_status()
        self.revalidate()

    def _show_status(self) -> None:
        value = self.original
        if self.spec.key != "referral" or value is None:
            self.status_label.hide()
            return
        parts = [f"Status: {words.words(words.REFERRAL_STATUS_WORDS, value.status)}"]
        if value.sent_on:
            parts.append(f"sent {written_date(value.sent_on)}")
        if value.seen_on:
            parts.append(f"seen {written_date(value.seen_on)}")
        self.status_label.setText(", ".join(parts))
        self.status_label.show()
        self.move_on_button.setEnabled(self.may_save and bool(next_statuses(value.status)))

    def form_values(self) -> tuple[dict[str, Any], dict[str, str]]:
        """What the fields hold, and what is wrong with the text of each (before the core's rules)."""
        values, problems = {}, {}
        for name, made in self.inputs.items():
            value, problem = made.read()
            values[name] = value
            if problem:
                problems[name] = problem
        return values, problems

    def built_value(self, values: dict[str, Any]):
        """The record value the form describes (None when a required field is still empty)."""
        if self.spec.key == "patient":
            return self._patient_value(values)
        own = {k: v for k, v in values.items()}
        if self.original is not None:
            return replace(self.original, **own)
        extra = dict(self.spec.new_values)
        if self.spec.has_ref:
            extra["ref"] = ""
        if self.spec.key == "decision":
            extra["by"] = self.actor.display_name
        try:
            return self.spec.value_type(**extra, **own)
        except TypeError:
            return None

    def _patient_value(self, values: dict[str, Any]) -> PatientRecord:
        contact = Contact(**{k.split(".", 1)[1]: v for k, v in values.items() if k.startswith("contact.")})
        gp = GeneralPractitioner(**{k.split(".", 1)[1]: v for k, v in values.items() if k.startswith("gp.")})
        plain = {k: v for k, v in values.items() if "." not in k}
        plain["family_name"] = (plain.get("family_name") or "").strip()
        plain["given_name"] = (plain.get("given_name") or "").strip()
        if plain.get("hospital_number"):
            plain["hospital_number"] = plain["hospital_number"].strip()
        any_known = lambda v: any(getattr(v, f.name) for f in fields(v))  # noqa: E731
        details = dict(plain, contact=contact if any_known(contact) else None, gp=gp if any_known(gp) else None)
        if self.original is not None:
            return replace(self.original, **details)
        return PatientRecord(ref="", **details)

    def core_problems(self, value) -> list[Problem]:
        """The core's own rules on the value (only what it adds, when correcting)."""
        if self.spec.key == "patient":
            if value.date_of_birth is None:
                return []
            after = patient_record_problems(value, today=self.today)
            if self.original is None:
                return after
            before = {str(p) for p in patient_record_problems(self.original, today=self.today)}
            return [p for p in after if str(p) not in before]
        record = self.record
        list_name = self.spec.list_name
        if record is None or list_name is None:
            return []
        others = tuple(e for e in getattr(record, list_name) if self.original is None or e.id != self.original.id)
        checked = value
        if self.spec.has_ref and not value.ref:
            checked = replace(value, ref=NEW_REF)
        return new_entry_problems(replace(record, **{list_name: others}), checked, today=self.today)

    def revalidate(self) -> dict[str, str]:
        """Run every rule on what the form holds; show each message at its field; Save only when none."""
        values, problems = self.form_values()
        general: list[str] = []
        value = None
        stand_in = False
        required_missing = any(made.spec.required and values[name] in (None, "")
                               for name, made in self.inputs.items())
        if not problems and not required_missing:
            value = self.built_value(values)
        elif self.spec.key == "patient":
            # her other details are checked while the date of birth is still to be typed (a stand-in
            # date of birth, today, whose own problems are not shown)
            value = self._patient_value(values)
            if value.date_of_birth is None:
                value = replace(value, date_of_birth=self.today)
                stand_in = True
        if value is not None:
            for problem in self.core_problems(value):
                name = field_for_path(self.spec, problem.path)
                if stand_in and (name == "date_of_birth" or problem.path.startswith("date_of_birth")):
                    continue
                if name is None:
                    general.append(str(problem))
                else:
                    problems.setdefault(name, problem.message)
        missing = set()
        for name, made in self.inputs.items():
            if made.spec.required and values[name] in (None, "") and name not in problems:
                problems[name] = f"the {made.spec.label.lower()} is required"
                missing.add(name)
        # "required" is said at a field once it has been visited or a save was tried, not on a new form
        shown = {k: v for k, v in problems.items() if k not in missing or k in self.touched}
        self._show(shown, general)
        self._show_warnings(values, problems)
        self.problems = problems
        self.save_button.setEnabled(self.may_save and not problems and not general)
        if "unit" in self.inputs:
            self.inputs["unit"].widget.setText(values.get("unit") or "")
        self.current_value = value if not problems else None
        return problems

    def _show(self, problems: dict[str, str], general: list[str]) -> None:
        self.problems = problems
        self.general_problems = general
        for name, made in self.inputs.items():
            message = problems.get(name)
            _show_problem(made.problem, message)
            for widget in made.focus or [made.widget]:
                widget.setAccessibleDescription(PROBLEM_LEAD + message if message else "")
        _show_problem(self.general_label, "; ".join(general) if general else None)
        self.save_button.setEnabled(self.may_save and not problems and not general)
        self.save_button.setToolTip("" if self.save_button.isEnabled() else
                                    (self.role_label.text() if not self.may_save else
                                     "Save is possible once every problem shown is put right"))

    def _show_warnings(self, values: dict[str, Any], problems: dict[str, str]) -> None:
        """Warnings at their fields: said, never in the way of Save (a valid NHS number never issued)."""
        warnings = {}
        number = values.get("nhs_number")
        if "nhs_number" in self.warning_labels and number and "nhs_number" not in problems:
            warning = never_issued_warning(number)
            if warning and not self.on_demo_caseload():
                warnings["nhs_number"] = warning
        self.warnings = warnings
        for name, label in self.warning_labels.items():
            message = warnings.get(name)
            if message:
                label.setText(WARNING_LEAD + message)
                label.show()
            else:
                label.clear()
                label.hide()
            made = self.inputs[name]
            if name not in problems:
                for widget in made.focus or [made.widget]:
                    widget.setAccessibleDescription(WARNING_LEAD + message if message else "")

    def on_demo_caseload(self) -> bool:
        """Whether the open database is a demo caseload (asked once; when it cannot be read, it is taken as
        real, so the warning is given)."""
        if self._demo_caseload is None:
            try:
                self._demo_caseload = services.is_demo_database()
            except PaoClinicError:
                self._demo_caseload = False
        return self._demo_caseload

    def warning_at(self, name: str) -> str:
        """The warning shown under a field ("" when none)."""
        label = self.warning_labels.get(name)
        return label.text() if label is not None else ""

    def problem_at(self, name: str) -> str:
        """The message shown under a field ("" when none)."""
        return self.inputs[name].problem.text()

    # -- events ----------------------------------------------------------------------------
    def _on_input_changed(self, name: str) -> None:
        if not getattr(self, "_loading", False):
            self.touched.add(name)
            self.revalidate()

    def _on_save_button_clicked(self) -> None:
        self.save()

    def _on_reload_button_clicked(self) -> None:
        self.reload()

    def _on_error_button_clicked(self) -> None:
        self.mark_entered_in_error()

    def _on_move_on_button_clicked(self) -> None:
        self.move_on()

    # -- writing ---------------------------------------------------------------------------
    def save(self):
        """Save through the services; returns the saved value (None when refused or in conflict)."""
        self.touched.update(self.inputs)
        if self.revalidate() or self.general_problems or not self.may_save or self.current_value is None:
            return None
        value = self.current_value
        try:
            saved = self._write(value)
        except ConflictError as exc:
            self.show_conflict(value, str(exc))
            return None
        except ValidationError as exc:
            self._show_refusal(exc.problems)
            return None
        except NotFoundError as exc:
            self.show_conflict(value, f"{exc}. Nothing of yours was saved.")
            return None
        except (DecisionRefused, PaoClinicError) as exc:
            self._show_refusal([Problem("", str(exc))])
            return None
        self.saved_value = saved
        self.saved.emit(saved)
        self.accept()
        return saved

    def _write(self, value):
        actor, today = self.actor, self.today
        if self.spec.key == "patient":
            if self.original is None:
                return services.register_patient(actor, value, today=today)
            changes = {name: getattr(value, name) for name in (
                "nhs_number", "hospital_number", "family_name", "given_name", "date_of_birth", "contact", "gp",
                "risk_factors", "history", "future_pregnancy_plan")}
            return services.update_patient(actor, self.original.id, expected_version=self.original.version,
                                           today=today, **changes)
        if self.original is not None:
            return services.update_clinical_entry(actor, value, expected_version=self.original.version, today=today)
        if self.spec.key == "decision":
            return services.record_decision(actor, self.record.id, plan=value.plan, drug=value.drug,
                                            on=value.decided_on, reason=value.override_reason,
                                            review_on=value.review_on)
        return services.add_clinical_entry(actor, self.record.id, value, today=today)

    def _show_refusal(self, problems) -> None:
        by_field = dict(self.problems)
        general = []
        for problem in problems:
            name = field_for_path(self.spec, problem.path)
            if name is None:
                general.append(str(problem))
            else:
                by_field[name] = problem.message
        self._show(by_field, general)

    # -- someone else saved first ------------------------------------------------------------
    def read_theirs(self):
        """Their version, read fresh through the services (None when it is no longer in her record)."""
        try:
            if self.spec.key == "patient":
                return services.load_patient_record(self.original.id)
            record = services.load_patient_record(self.record.id)
        except NotFoundError:
            return None
        self.record = record
        return next((e for e in getattr(record, self.spec.list_name) if e.id == self.original.id), None)

    def show_conflict(self, yours, message: str) -> None:
        if self.original is None:  # a new record: there is no other version of it to show
            self._show_refusal([Problem("", message)])
            return
        theirs = self.read_theirs() if self.original is not None else None
        self.theirs = theirs
        lines = [VersionLine(f.label, value_words(f, read_field(yours, f.name)),
                             value_words(f, read_field(theirs, f.name)) if theirs is not None else "(no longer in her record)")
                 for f in self.spec.fields if f.kind != "unit"]
        self.version_model.set_rows(lines)
        differ = [line.label for line in lines if line.differs]
        self.conflict_text.setText(
            message[0].upper() + message[1:] + "\n" +
            (f"Different: {', '.join(differ)}." if differ and theirs is not None else
             "Their version is shown beside yours."))
        self.reload_button.setEnabled(theirs is not None)
        self.save_button.setEnabled(False)
        self.conflict_box.show()
        self.conflict_shown.emit(theirs)

    def reload(self) -> None:
        """Show their version in the form (the version to save against becomes theirs)."""
        if self.theirs is None:
            return
        self.original = self.theirs
        self.theirs = None
        self.conflict_box.hide()
        self.load_value(self.original)

    def note_changed_elsewhere(self, at: datetime) -> None:
        """Someone else saved her record while this form is open: say so; nothing typed is touched."""
        self.elsewhere_label.setText(changed_elsewhere_notice(at))
        self.elsewhere_label.show()

    # -- entered in error, move on -------------------------------------------------------------
    def mark_entered_in_error(self) -> bool:
        if self.original is None or not self.may_save:
            return False
        reason = EnteredInErrorDialog.ask(self.what, self)
        if not reason:
            return False
        try:
            services.mark_entered_in_error(self.actor, self.spec.key, self.original.id,
                                           expected_version=self.original.version, reason=reason)
        except ConflictError as exc:
            self.show_conflict(self.original, str(exc))
            return False
        except PaoClinicError as exc:
            self._show_refusal(exc.problems if isinstance(exc, ValidationError) else [Problem("", str(exc))])
            return False
        self.entered_in_error.emit(self.original)
        self.accept()
        return True

    def move_on(self):
        """Ask for the referral's next status and its day, and move it on (returns it saved)."""
        if self.spec.key != "referral" or self.original is None or not self.may_save:
            return None
        answer = MoveOnDialog.ask(self.original, self.today, self)
        if answer is None:
            return None
        status, on = answer
        try:
            saved = change_referral_status(self.actor, self.original.id, status, on,
                                           expected_version=self.original.version, today=self.today)
        except ConflictError as exc:
            self.show_conflict(self.original, str(exc))
            return None
        except PaoClinicError as exc:
            problems = exc.problems if isinstance(exc, ValidationError) else [Problem("", str(exc))]
            self._show_refusal([Problem("", p.message) for p in problems])
            return None
        self.original = saved
        self.load_value(saved)
        self.saved_value = saved
        self.saved.emit(saved)
        return saved


class _Relay(QObject):
    """One signal for a group of check boxes."""

    changed = Signal()

    def fire(self, *_args) -> None:
        self.changed.emit()


def _text_value(text: str, spec_field: FieldSpec) -> tuple[str | None, str | None]:
    if not text.strip():
        return (None if not spec_field.required else ""), None
    return text, None


def _whole_number(text: str, spec_field: FieldSpec) -> tuple[int | None, str | None]:
    typed = text.strip()
    if not typed:
        return None, None
    try:
        return int(typed), None
    except ValueError:
        return None, f"the {spec_field.label.lower()} must be a whole number ('{typed}' is not)"


def _decimal_number(text: str, spec_field: FieldSpec) -> tuple[float | None, str | None]:
    typed = text.strip().replace("\u2212", "-")
    if not typed:
        return None, None
    try:
        value = float(typed)
    except ValueError:
        return None, f"the {spec_field.label.lower()} must be a number ('{typed}' is not)"
    return value, None


def open_entry_form(actor: services.Actor, list_name: str | None, *, record: PatientRecord | None = None,
                    original=None, today: date | None = None, parent: QWidget | None = None) -> EntryForm:
    """The form for a clinical list ("fractures"), or for the patient when `list_name` is None."""
    spec = PATIENT_SPEC if list_name is None else RECORD_SPECS[SPEC_FOR_LIST[list_name]]
    return EntryForm(spec, actor, record=record, original=original, today=today, parent=parent)
