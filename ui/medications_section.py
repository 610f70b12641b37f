"""Medications and decisions: her medicines and the consultant's treatment decisions, as two tables.

The section shows the lists of the PatientView it is given and asks for every action
by a signal (the record window opens the forms and the decision dialog):
`decision_requested()`, `add_requested("medications")`, `edit_requested(medication)`
and `entered_in_error_requested(entry)` with the Medication or Decision selected.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QHeaderView, QLabel, QTableView, QVBoxLayout, QWidget,
)

from pao_clinic.record import Decision, Medication, codes
from pao_clinic.record.dates import written_date
from pao_clinic.services.patient_view import PLAN_WORDS, PatientView

from .caseload_model import ALIGN_NUMBER, ALIGN_TEXT, NOTHING, ROW_ROLE, RowSortProxy, RowTableModel, list_table_view
from .patient_record import RecordSection
from .section_actions import ButtonWords, EntryActions, action_button


def drug_words(code: str | None) -> str:
    return codes.DRUG_NAMES.get(code, code) if code else NOTHING


def medication_days(item: Medication, on: date) -> int:
    """Days taken up to `on` (the first and last day both counted; 0 when it starts later)."""
    last = min(item.stopped_on or on, on)
    return max(0, (last - item.started_on).days + 1)


def medication_form(item: Medication) -> str:
    """A dose given on one day (an infusion, an injection) or a course over days."""
    return "Single dose" if item.stopped_on == item.started_on else "Course"


def medication_state(item: Medication, on: date) -> str:
    if item.started_on > on:
        return "Not yet started"
    if item.stopped_on is None or item.stopped_on >= on:
        return "Ongoing" if item.stopped_on is None else f"Ongoing (to {written_date(item.stopped_on)})"
    return "Stopped"


class MedicationTableModel(RowTableModel):
    """Her medicines: drug, dose or course, started, stopped, days taken, ongoing or stopped."""

    COL_DRUG, COL_FORM, COL_STARTED, COL_STOPPED, COL_DAYS, COL_STATE = range(6)
    HEADERS = ("Drug", "Dose or course", "Started", "Stopped", "Days", "Now")
    HEADER_TIPS = ("The medicine", "A single dose (infusion, injection) or a course taken over days",
                   "The first day", "The last day (empty while ongoing)",
                   "Days taken up to the day shown, first and last day counted", "Ongoing or stopped on the day shown")
    ALIGNMENTS = (ALIGN_TEXT, ALIGN_TEXT, ALIGN_TEXT, ALIGN_TEXT, ALIGN_NUMBER, ALIGN_TEXT)

    def __init__(self, parent=None):
        super().__init__(parent)
        self.on = date.today()

    def set_day(self, on: date) -> None:
        self.on = on

    def display(self, item: Medication, column: int) -> str:
        if column == self.COL_DRUG:
            return drug_words(item.drug)
        if column == self.COL_FORM:
            return medication_form(item)
        if column == self.COL_STARTED:
            return written_date(item.started_on)
        if column == self.COL_STOPPED:
            return written_date(item.stopped_on) if item.stopped_on else NOTHING
        if column == self.COL_DAYS:
            return str(medication_days(item, self.on))
        if column == self.COL_STATE:
            return medication_state(item, self.on)
        return ""

    def sort_value(self, row: int, column: int) -> Any:
        item = self._rows[row]
        if column == self.COL_DRUG:
            return drug_words(item.drug)
        if column == self.COL_FORM:
            return medication_form(item)
        if column == self.COL_STARTED:
            return item.started_on
        if column == self.COL_STOPPED:
            return item.stopped_on
        if column == self.COL_DAYS:
            return medication_days(item, self.on)
        if column == self.COL_STATE:
            return medication_state(item, self.on)
        return None

    def extra(self, item: Medication, column: int, role: Qt.ItemDataRole) -> Any:
        if role == Qt.ItemDataRole.ToolTipRole and column == self.COL_DRUG:
            return f"{drug_words(item.drug)} ({item.ref})"
        return None


class DecisionTableModel(RowTableModel):
    """Her treatment decisions: date, plan, drug, who decided, the written reason, the review date."""

    COL_DATE, COL_PLAN, COL_DRUG, COL_BY, COL_REASON, COL_REVIEW = range(6)
    HEADERS = ("Date", "Plan", "Drug", "By", "Reason", "Review on")
    HEADER_TIPS = ("The day the decision was made", "What was decided", "The drug started or stopped",
                   "The clinician who decided", "The written reason (kept when a soft stop was overridden)",
                   "When the decision is to be looked at again")
    ALIGNMENTS = (ALIGN_TEXT,) * 6

    def display(self, item: Decision, column: int) -> str:
        if column == self.COL_DATE:
            return written_date(item.decided_on)
        if column == self.COL_PLAN:
            return PLAN_WORDS.get(item.plan, item.plan)
        if column == self.COL_DRUG:
            return drug_words(item.drug)
        if column == self.COL_BY:
            return item.by
        if column == self.COL_REASON:
            return " ".join(item.override_reason.split()) if item.override_reason else NOTHING
        if column == self.COL_REVIEW:
            return written_date(item.review_on) if item.review_on else "No review date"
        return ""

    def sort_value(self, row: int, column: int) -> Any:
        item = self._rows[row]
        if column == self.COL_DATE:
            return item.decided_on
        if column == self.COL_PLAN:
            return PLAN_WORDS.get(item.plan, item.plan)
        if column == self.COL_DRUG:
            return drug_words(item.drug) if item.drug else None
        if column == self.COL_BY:
            return item.by
        if column == self.COL_REASON:
            return item.override_reason
        if column == self.COL_REVIEW:
            return item.review_on
        return None

    def extra(self, item: Decision, column: int, role: Qt.ItemDataRole) -> Any:
        if role == Qt.ItemDataRole.ToolTipRole and column == self.COL_REASON and item.override_reason:
            return item.override_reason
        return None


def _table(object_name: str, accessible: str) -> QTableView:
    view = list_table_view(object_name, accessible)
    view.setWordWrap(False)
    header = view.horizontalHeader()
    header.setStretchLastSection(True)
    header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
    return view


def _heading(text: str, object_name: str = "sectionTitle") -> QLabel:
    label = QLabel(text)
    label.setObjectName(object_name)
    return label


class MedicationsSection(RecordSection):
    """Her medicines and the treatment decisions, with the actions on them."""

    key = "medications"
    title = "Medications and decisions"

    decision_requested = Signal()                 # "Record decision..."
    add_requested = Signal(str)                   # "Add medication...": the list name ("medications")
    edit_requested = Signal(object)               # "Edit...": the Medication selected
    entered_in_error_requested = Signal(object)   # "Entered in error...": the Medication or Decision selected

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("section_medications")
        self.view: PatientView | None = None

        self.medication_model = MedicationTableModel(self)
        self.medication_proxy = RowSortProxy(self)
        self.medication_proxy.setSourceModel(self.medication_model)
        self.medication_view = _table("medicationTable", "Her medications")
        self.medication_view.setModel(self.medication_proxy)
        self.medication_view.sortByColumn(MedicationTableModel.COL_STARTED, Qt.SortOrder.DescendingOrder)
        self.medication_empty = QLabel("No medication on record.")
        self.medication_empty.setObjectName("sectionCount")

        self.decision_model = DecisionTableModel(self)
        self.decision_proxy = RowSortProxy(self)
        self.decision_proxy.setSourceModel(self.decision_model)
        self.decision_view = _table("decisionTable", "Her treatment decisions")
        self.decision_view.setModel(self.decision_proxy)
        self.decision_view.sortByColumn(DecisionTableModel.COL_DATE, Qt.SortOrder.DescendingOrder)
        decision_header = self.decision_view.horizontalHeader()
        decision_header.setStretchLastSection(False)
        decision_header.setSectionResizeMode(DecisionTableModel.COL_REASON, QHeaderView.ResizeMode.Stretch)
        self.decision_empty = QLabel("No treatment decision recorded.")
        self.decision_empty.setObjectName("sectionCount")

        self.medication_actions = EntryActions(
            self, self.selected_medication,
            edit=ButtonWords("&Edit\u2026", "", "Edit the selected medication"),
            error=ButtonWords("Entered in error\u2026", "", "Mark the selected medication as entered in error"))
        self.decision_actions = EntryActions(   # a decision is recorded, never edited: in error or a new one
            self, self.selected_decision,
            error=ButtonWords("Entered in error\u2026", "", "Mark the selected decision as entered in error"))
        self.add_button = self.medication_actions.add_button(
            ButtonWords("&Add medication\u2026", "", "Add medication"), "medications")
        self.edit_button = self.medication_actions.edit_button
        self.medication_error_button = self.medication_actions.error_button
        self.record_button = action_button(
            ButtonWords("&Record decision\u2026", "recordDecisionButton", "Record a treatment decision"))
        self.decision_error_button = self.decision_actions.error_button

        medication_buttons = EntryActions.row(self.add_button, self.edit_button, self.medication_error_button)
        decision_buttons = EntryActions.row(self.record_button, self.decision_error_button)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(16, 12, 16, 12)
        layout.addWidget(_heading(self.title, "recordSectionTitle"))
        layout.addWidget(_heading("Medications"))
        layout.addWidget(self.medication_empty)
        layout.addWidget(self.medication_view, 1)
        layout.addLayout(medication_buttons)
        layout.addSpacing(8)
        layout.addWidget(_heading("Treatment decisions"))
        layout.addWidget(self.decision_empty)
        layout.addWidget(self.decision_view, 1)
        layout.addLayout(decision_buttons)

        self.record_button.clicked.connect(self._on_record_button_clicked)
        self.medication_view.selectionModel().selectionChanged.connect(self._on_selection_changed)
        self.decision_view.selectionModel().selectionChanged.connect(self._on_selection_changed)
        self.medication_view.doubleClicked.connect(self._on_medication_view_double_clicked)
        self._on_selection_changed()

    def show_view(self, view: PatientView) -> None:
        self.view = view
        self.medication_model.set_day(view.on)
        self.medication_model.set_rows(view.medications)
        self.decision_model.set_rows(view.decisions)
        self.medication_empty.setVisible(not view.medications)
        self.decision_empty.setVisible(not view.decisions)
        self._on_selection_changed()

    # -- selection ---------------------------------------------------------------------------
    @staticmethod
    def _selected(view: QTableView):
        rows = view.selectionModel().selectedRows()
        return rows[0].data(ROW_ROLE) if rows else None

    def selected_medication(self) -> Medication | None:
        return self._selected(self.medication_view)

    def selected_decision(self) -> Decision | None:
        return self._selected(self.decision_view)

    def _on_selection_changed(self, *_args) -> None:
        self.medication_actions.update()
        self.decision_actions.update()

    # -- actions -------------------------------------------------------------------------------
    def _on_medication_view_double_clicked(self, index) -> None:
        item = index.data(ROW_ROLE)
        if item is not None:
            self.edit_requested.emit(item)

    def _on_record_button_clicked(self) -> None:
        self.decision_requested.emit()
