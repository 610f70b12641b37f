"""The clinic's audit trail in one window (for admins): every entry, filtered by days, user and action.

`AuditTrailWindow` reads through `services.audit` on a worker: the filter's choices
(every user name and action in the trail), then a page of the newest entries that
match (`audit_page`, at most `PAGE_SIZE`; the status line says when there are more).
The days, user and action go to the service, so what is shown is every matching entry
and never a filtered part of a page.  The table is `AuditTrailModel` behind a
`RowSortProxy` (click a header to sort); the selected entry's changes are shown below
it, field by field.  *Check the chain* runs `verify_audit_chain` on the worker and says
in words whether the chain is whole or where it was broken.

Opened from the main window's File menu by an admin (`AuditTrailWindow.ask`).
"""

from __future__ import annotations

import sys
from datetime import date, timedelta
from typing import Any, Callable

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QComboBox, QDialog, QHBoxLayout, QLabel, QPlainTextEdit, QPushButton, QSplitter, QVBoxLayout, QWidget,
)

from pao_clinic.errors import PaoClinicError
from pao_clinic.services import Actor
from pao_clinic.services.audit import (
    AuditChoices, AuditFilter, AuditPage, AuditTrailEntry, AuditVerification, audit_filter_choices, audit_page,
    verify_audit_chain,
)
from pao_clinic.record.nhs_number import format_nhs_number

from .caseload_model import ALIGN_NUMBER, ALIGN_TEXT, ROW_ROLE, RowSortProxy, RowTableModel, list_table_view
from .date_field import DateField
from .record_sections import AUDIT_ACTION_WORDS, RECORD_TYPE_WORDS, audit_change_lines, audit_when, words_for
from .workers import Worker, WorkerPool

#: The most entries one page shows (the newest first); narrower filters show older ones.
PAGE_SIZE = 5000
#: The days shown when the window opens: the last four weeks.
DEFAULT_DAYS = 28
def action_words(action: str) -> str:
    return words_for(AUDIT_ACTION_WORDS, action)


def record_words(record_type: str) -> str:
    return words_for(RECORD_TYPE_WORDS, record_type)


def patient_words(entry: AuditTrailEntry) -> str:
    """`NÍ BHRIAIN, Siobhán (NHS 943 476 5919)`; empty when the entry is about no patient."""
    if entry.patient_id is None:
        return ""
    if entry.patient_name is None:
        return f"patient {entry.patient_id}"
    if entry.nhs_number:
        return f"{entry.patient_name} (NHS {format_nhs_number(entry.nhs_number)})"
    return f"{entry.patient_name} (hospital no. {entry.hospital_number})" if entry.hospital_number else entry.patient_name


def change_lines(entry: AuditTrailEntry) -> list[str]:
    """`field: old → new` for what the entry changed (as her record's audit history shows it)."""
    before, after = entry.before, entry.after
    return audit_change_lines(_Changes(before if isinstance(before, dict) else {},
                                       after if isinstance(after, dict) else {}))


class _Changes:
    """What `audit_change_lines` reads of an entry: its before and after as dictionaries."""

    __slots__ = ("before", "after")

    def __init__(self, before: dict, after: dict):
        self.before, self.after = before, after


class AuditTrailModel(RowTableModel):
    """One row per audit entry (AuditTrailEntry), newest first as the service gives them."""

    COL_NUMBER, COL_WHEN, COL_WHO, COL_ACTION, COL_RECORD, COL_PATIENT, COL_CHANGES = range(7)
    HEADERS = ("No.", "When", "Who", "Action", "Record", "Patient", "What changed")
    HEADER_TIPS = ("The entry's number: the audit chain runs in this order", "Local time",
                   "The user who did it", "What was done", "What kind of record", "Whose record, if one woman's",
                   "The fields changed, before \u2192 after")
    ALIGNMENTS = (ALIGN_NUMBER,) + (ALIGN_TEXT,) * 6
    PER_ROW = ("_changes",)

    def __init__(self, parent=None):
        super().__init__(parent)
        self._changes: list[str] = []

    def _prepare(self) -> None:
        self._changes = ["; ".join(change_lines(entry)) for entry in self._rows]

    def display(self, item: AuditTrailEntry, column: int) -> str:
        if column == self.COL_NUMBER:
            return str(item.id)
        if column == self.COL_WHEN:
            return audit_when(item.at)
        if column == self.COL_WHO:
            return item.user_name
        if column == self.COL_ACTION:
            return action_words(item.action)
        if column == self.COL_RECORD:
            return record_words(item.record_type)
        if column == self.COL_PATIENT:
            return patient_words(item)
        if column == self.COL_CHANGES:  # (the table reads the precomputed text: see value_at())
            return "; ".join(change_lines(item))
        return ""

    def value_at(self, row: int, column: int, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if role == Qt.ItemDataRole.DisplayRole and column == self.COL_CHANGES and 0 <= row < len(self._rows):
            return self._changes[row]
        return super().value_at(row, column, role)

    def sort_value(self, row: int, column: int) -> Any:
        item = self._rows[row]
        if column in (self.COL_NUMBER, self.COL_WHEN):
            return item.id  # the chain's order is the order things were saved in
        if column == self.COL_CHANGES:
            return self._changes[row].casefold()
        return self.display(item, column).casefold()

    def extra(self, item: AuditTrailEntry, column: int, role: Qt.ItemDataRole) -> Any:
        if role == Qt.ItemDataRole.ToolTipRole and column == self.COL_CHANGES:
            return "\n".join(change_lines(item)) or None
        return None


class AuditTrailWindow(QDialog):
    """The clinic-wide audit trail: filters, the entries, the selected entry's changes, the chain's check."""

    page_shown = Signal(object)           # the AuditPage now shown
    chain_checked = Signal(object)        # the AuditVerification

    ALL_USERS = "All users"
    ALL_ACTIONS = "All actions"

    def __init__(self, actor: Actor, *, pool: WorkerPool | None = None, today: Callable[[], date] = date.today,
                 parent: QWidget | None = None):
        super().__init__(parent)
        self.actor = actor
        self.today = today
        self._pool = pool or WorkerPool(self)
        self._own_pool = pool is None
        self._reading = 0            # the number of the latest read asked for; older answers are dropped
        self.page: AuditPage | None = None
        self.setObjectName("auditTrailWindow")
        self.setWindowTitle("Audit trail \u2014 PAO Clinic")
        self.setAccessibleName("The clinic's audit trail")
        self.setWindowFlag(Qt.WindowType.WindowMaximizeButtonHint, True)
        self.resize(1240, 680)

        first = today() - timedelta(days=DEFAULT_DAYS - 1)
        self.from_field = DateField(optional=True, label="From")
        self.from_field.set_date(first)
        self.to_field = DateField(optional=True, label="To")
        self.to_field.set_date(today())
        self.user_filter = QComboBox()
        self.user_filter.setObjectName("auditUserFilter")
        self.user_filter.setAccessibleName("Show the entries of")
        self.user_filter.addItem(self.ALL_USERS, None)
        self.user_filter.setMinimumWidth(150)
        self.action_filter = QComboBox()
        self.action_filter.setObjectName("auditActionFilter")
        self.action_filter.setAccessibleName("Show the entries of the action")
        self.action_filter.addItem(self.ALL_ACTIONS, None)
        self.action_filter.setMinimumWidth(170)
        self.show_button = QPushButton("&Show entries")
        self.show_button.setObjectName("auditShowButton")
        self.show_button.setToolTip("Read the entries of these days, user and action")
        self.show_button.setDefault(True)
        self.check_button = QPushButton("&Check the chain")
        self.check_button.setObjectName("auditCheckButton")
        self.check_button.setToolTip("Recompute every entry's hash: is any entry altered or removed, "
                                     "or any account changed outside PAO Clinic?")
        self.problem_label = QLabel()
        self.problem_label.setObjectName("auditFilterProblem")
        self.problem_label.setWordWrap(True)

        filters = QHBoxLayout()
        for text, field in (("&From", self.from_field), ("&To", self.to_field), ("&User", self.user_filter),
                            ("&Action", self.action_filter)):
            label = QLabel(text)
            label.setBuddy(field.edit if isinstance(field, DateField) else field)
            filters.addWidget(label)
            filters.addWidget(field)
        filters.addWidget(self.show_button)
        filters.addStretch(1)
        filters.addWidget(self.check_button)

        self.model = AuditTrailModel(self)
        self.proxy = RowSortProxy(self)
        self.proxy.setSourceModel(self.model)
        self.table = list_table_view("auditTrailTable", "Audit entries, newest first")
        self.table.setModel(self.proxy)
        self.table.setWordWrap(False)
        self.table.horizontalHeader().setStretchLastSection(True)
        self.table.sortByColumn(-1, Qt.SortOrder.AscendingOrder)  # the service's order (newest first) until asked
        self.detail = QPlainTextEdit()
        self.detail.setObjectName("auditEntryDetail")
        self.detail.setAccessibleName("The selected audit entry")
        self.detail.setReadOnly(True)
        self.detail.setPlaceholderText("Select an entry to see what it changed.")
        splitter = QSplitter(Qt.Orientation.Vertical)
        splitter.addWidget(self.table)
        splitter.addWidget(self.detail)
        splitter.setStretchFactor(0, 4)
        splitter.setStretchFactor(1, 1)

        self.status_label = QLabel("Reading the audit trail\u2026")
        self.status_label.setObjectName("auditStatus")
        self.chain_label = QLabel()
        self.chain_label.setObjectName("auditChainResult")
        self.chain_label.setWordWrap(True)
        self.chain_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        close = QPushButton("Close")
        close.setObjectName("auditCloseButton")
        close.setAutoDefault(False)
        close.clicked.connect(self.close)
        bottom = QHBoxLayout()
        bottom.addWidget(self.status_label, 1)
        bottom.addWidget(close)

        layout = QVBoxLayout(self)
        layout.addLayout(filters)
        layout.addWidget(self.problem_label)
        layout.addWidget(splitter, 1)
        layout.addWidget(self.chain_label)
        layout.addLayout(bottom)
        self.problem_label.hide()
        self.chain_label.hide()

        self.show_button.clicked.connect(self.read_entries)
        self.check_button.clicked.connect(self.check_chain)
        self.user_filter.currentIndexChanged.connect(self._on_filter_current_index_changed)
        self.action_filter.currentIndexChanged.connect(self._on_filter_current_index_changed)
        self.table.selectionModel().selectionChanged.connect(self._on_table_selection_changed)
        self.setTabOrder(self.from_field.edit, self.to_field.edit)
        self._read_choices()
        self.read_entries()

    # -- reading -------------------------------------------------------------------------------
    def wanted(self) -> AuditFilter | None:
        """The filter as set, or None (the problem shown at the filters) when a day cannot be read."""
        problems = [f"{field.label}: {field.problem()}" for field in (self.from_field, self.to_field)
                    if field.problem()]
        wanted = AuditFilter(user_name=self.user_filter.currentData(), action=self.action_filter.currentData(),
                             from_day=self.from_field.value(), to_day=self.to_field.value())
        problems += [problem.message for problem in wanted.problems()]
        self.problem_label.setText("Cannot show the entries: " + "; ".join(problems) if problems else "")
        self.problem_label.setVisible(bool(problems))
        return None if problems else wanted

    def read_entries(self) -> None:
        wanted = self.wanted()
        if wanted is None:
            return
        self._reading += 1
        number = self._reading
        self.status_label.setText("Reading the audit trail\u2026")
        worker = Worker(audit_page, self.actor, wanted, limit=PAGE_SIZE)
        worker.signals.finished.connect(lambda page, n=number: self._on_page_read(n, page))
        worker.signals.errored.connect(self._on_worker_errored)
        self._pool.start(worker)

    def _read_choices(self) -> None:
        worker = Worker(audit_filter_choices, self.actor)
        worker.signals.finished.connect(self._on_choices_read)
        worker.signals.errored.connect(self._on_worker_errored)
        self._pool.start(worker)

    def _on_choices_read(self, choices: AuditChoices) -> None:
        for combo, values, words in ((self.user_filter, choices.user_names, str),
                                     (self.action_filter, choices.actions, action_words)):
            wanted = combo.currentData()
            combo.blockSignals(True)
            while combo.count() > 1:
                combo.removeItem(1)
            for value in values:
                combo.addItem(words(value), value)
            combo.setCurrentIndex(max(combo.findData(wanted), 0) if wanted else 0)
            combo.blockSignals(False)

    def _on_page_read(self, number: int, page: AuditPage) -> None:
        if number != self._reading:
            return  # a newer read was asked for meanwhile
        self.page = page
        self.model.set_rows(page.entries)
        for column in (AuditTrailModel.COL_NUMBER, AuditTrailModel.COL_WHEN, AuditTrailModel.COL_WHO,
                       AuditTrailModel.COL_ACTION, AuditTrailModel.COL_RECORD, AuditTrailModel.COL_PATIENT):
            self.table.resizeColumnToContents(column)
        patient_width = self.table.columnWidth(AuditTrailModel.COL_PATIENT)
        self.table.setColumnWidth(AuditTrailModel.COL_PATIENT, min(max(patient_width, 90), 320))
        shown = len(page.entries)
        if page.total == 0:
            self.status_label.setText("No audit entries match.")
        elif page.complete:
            self.status_label.setText(f"{page.total:,} entr{'y' if page.total == 1 else 'ies'}, newest first.")
        else:
            self.status_label.setText(f"The newest {shown:,} of {page.total:,} entries: choose fewer days, "
                                      "a user or an action to see the others.")
        self._on_table_selection_changed()
        self.page_shown.emit(page)

    def _on_filter_current_index_changed(self, _index: int) -> None:
        self.read_entries()

    # -- the chain -----------------------------------------------------------------------------
    def check_chain(self) -> None:
        self.check_button.setEnabled(False)
        self.chain_label.setText("Checking every entry's hash\u2026")
        self.chain_label.show()
        worker = Worker(verify_audit_chain, self.actor)
        worker.signals.finished.connect(self._on_chain_checked)
        worker.signals.errored.connect(self._on_worker_errored)
        self._pool.start(worker)

    def _on_chain_checked(self, result: AuditVerification) -> None:
        self.check_button.setEnabled(True)
        lines = result.report_lines()
        if result.whole:
            self.chain_label.setText("Whole: " + lines[0][len("the audit chain is whole: "):].rstrip() + ".")
        else:
            self.chain_label.setText("PROBLEM \u2014 the audit trail was changed outside PAO Clinic:\n"
                                     + "\n".join(f"\u2022 {line}" for line in lines))
        self.chain_checked.emit(result)

    # -- the selected entry ----------------------------------------------------------------------
    def selected_entry(self) -> AuditTrailEntry | None:
        rows = self.table.selectionModel().selectedRows()
        return rows[0].data(ROW_ROLE) if rows else None

    def _on_table_selection_changed(self, *_args) -> None:
        entry = self.selected_entry()
        if entry is None:
            self.detail.clear()
            return
        heading = f"Entry {entry.id}: {action_words(entry.action)} \u2014 {record_words(entry.record_type)}"
        who = f"by {entry.user_name} on {audit_when(entry.at)}"
        patient = patient_words(entry)
        lines = [heading, who + (f", about {patient}" if patient else "")]
        lines += change_lines(entry) or ["(no fields recorded)"]
        lines.append(f"hash {entry.entry_hash}")
        self.detail.setPlainText("\n".join(lines))

    # -- errors and closing --------------------------------------------------------------------
    def _on_worker_errored(self, exc: Exception, _traceback: str) -> None:
        self.check_button.setEnabled(True)
        if isinstance(exc, PaoClinicError):
            self.status_label.setText(f"Cannot read the audit trail: {exc}")
            return
        sys.excepthook(type(exc), exc, exc.__traceback__)  # a bug: the app's hook logs it and says so

    def done(self, result: int) -> None:
        self._reading += 1  # answers still on their way are dropped
        if self._own_pool:
            self._pool.shut_down()
        super().done(result)

    @classmethod
    def ask(cls, actor: Actor, *, pool: WorkerPool | None = None, parent: QWidget | None = None) -> "AuditTrailWindow":
        """Open the window (not modal: the record stays usable beside it); tests replace this."""
        window = cls(actor, pool=pool, parent=parent)
        window.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        window.show()
        return window


__all__ = ["AuditTrailModel", "AuditTrailWindow", "PAGE_SIZE", "action_words", "change_lines", "patient_words",
           "record_words"]
