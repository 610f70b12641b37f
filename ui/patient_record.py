"""One woman's record in the window: her banner, a list of sections, and the section shown.

The record is read by one service call (`patient_view`) on a worker thread; every
section shows the PatientView it returns and never asks the database itself.  The
Overview is built now; each later section (pregnancies and feeding, fractures, DEXA,
bloods, height, EPDS, medications and decisions, referrals, audit history) is a page
saying it is coming, replaced by its real page through `set_section_page` when it
lands.  `show_section(name)` opens her record at the right place (the worklist uses
`section_for_task`).
"""

from __future__ import annotations

import sys
from datetime import date
from typing import Any, Callable

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QBrush, QFont
from PySide6.QtWidgets import (
    QFormLayout, QFrame, QGroupBox, QHBoxLayout, QHeaderView, QLabel, QListWidget,
    QListWidgetItem, QScrollArea, QStackedWidget, QTableView, QVBoxLayout, QWidget,
)

from pao_clinic.errors import PaoClinicError
from pao_clinic.gate import WorklistTask
from pao_clinic.gate.rules import LEVELS, VERDICTS
from pao_clinic.record.dates import written_date
from pao_clinic.services.patient_view import DrugGroupVerdict, PatientView, patient_view

from .caseload_model import ALIGN_TEXT, ROW_ROLE, RowSortProxy, RowTableModel, list_table_view
from .check_dialog import LEVEL_WORDS, VERDICT_WORDS, RuleTableModel
from .patient_banner import PatientBannerWidget
from .status_colours import ALLOWED, BLOCKED, CAUTION
from .workers import Worker, WorkerPool
from .worklist_model import DUE, MESSAGE, PRIORITY, TASK, TASK_HEADER_TIPS, TASK_HEADERS, TaskTableModel

#: The sections of a record, in the order the list shows them: (key, title, what it will hold).
SECTIONS: tuple[tuple[str, str, str], ...] = (
    ("overview", "Overview", "the gate's facts and verdicts, open tasks and the latest decision"),
    ("timeline", "Timeline", "her whole story on one time axis, for the consultant"),
    ("pregnancies", "Pregnancies and feeding", "her pregnancies and breastfeeding after each"),
    ("fractures", "Fractures", "her fractures with the spine diagram"),
    ("dexa", "DEXA", "her scans with the Z-score chart"),
    ("bloods", "Bloods", "her blood results"),
    ("heights", "Height", "her height measurements"),
    ("epds", "EPDS", "her mood screens (Edinburgh Postnatal Depression Scale)"),
    ("medications", "Medications and decisions", "her medicines and the treatment decisions"),
    ("referrals", "Referrals", "her referrals and their status"),
    ("audit", "Audit history", "who changed her record, when, and what"),
)
SECTION_KEYS: tuple[str, ...] = tuple(key for key, _, _ in SECTIONS)
SECTION_TITLES: dict[str, str] = {key: title for key, title, _ in SECTIONS}

#: Where a worklist task is dealt with.
TASK_SECTIONS: dict[str, str] = {
    "LACTATION-UNKNOWN": "pregnancies",
    "FEEDING-CHECK": "pregnancies",
    "DECISION-DUE": "medications",
    "REPEAT-FRACTURE": "fractures",
    "DEXA-DUE": "dexa",
    "REFERRAL-OVERDUE": "referrals",
    "REFERRAL-UNSENT": "referrals",
    "MOOD": "epds",
    "WORKUP": "bloods",
    "DMAB-DUE": "medications",
    "PTH-LIMIT": "medications",
    "HEIGHT-LOSS": "heights",
}

# how many of each list she has, for the pages still to come: (PatientView attribute, one, many)
_SECTION_COUNTS: dict[str, tuple[tuple[str, str, str], ...]] = {
    "pregnancies": (("pregnancies", "pregnancy", "pregnancies"), ("feeding", "feeding entry", "feeding entries")),
    "fractures": (("fractures", "fracture", "fractures"),),
    "dexa": (("dexa", "DEXA result", "DEXA results"),),
    "bloods": (("bloods", "blood result", "blood results"),),
    "heights": (("heights", "height", "heights"),),
    "epds": (("epds", "EPDS screen", "EPDS screens"),),
    "medications": (("medications", "medication", "medications"), ("decisions", "decision", "decisions")),
    "referrals": (("referrals", "referral", "referrals"),),
}

#: The verdict words' colour (with the words, never instead): a shade for the light and the dark palette.
VERDICT_COLOURS = {"blocked": BLOCKED, "needs_reason": CAUTION, "allowed": ALLOWED}


def section_for_task(code: str) -> str:
    """The section of her record where a worklist task is dealt with (Overview when unknown)."""
    return TASK_SECTIONS.get(code, "overview")


def section_key(name: str) -> str | None:
    """A section's key from its key or its title, any case ("DEXA", "dexa", "Audit history")."""
    wanted = name.strip().casefold()
    for key, title, _ in SECTIONS:
        if wanted in (key, title.casefold()):
            return key
    return None


# --- table models ------------------------------------------------------------------------

class DrugVerdictTableModel(RowTableModel):
    """The gate's verdict for each drug group on the day (rows: DrugGroupVerdict)."""

    COL_GROUP, COL_VERDICT, COL_REVIEW, COL_RULES = range(4)
    HEADERS = ("Drug group (asked for)", "Verdict", "Review on", "Rules that fired")
    HEADER_TIPS = ("The group of drugs, and the drug the gate was asked about for it",
                   "The gate's verdict for starting it on this day",
                   "When to ask again: the day after breastfeeding is planned to stop (BF-1)",
                   "Rule ids by level: block, warn, info")
    ALIGNMENTS = (ALIGN_TEXT,) * 4

    def __init__(self, parent=None):
        super().__init__(parent)
        self._bold = QFont()
        self._bold.setBold(True)

    def display(self, item: DrugGroupVerdict, column: int) -> str:
        if column == self.COL_GROUP:
            return group_words(item)
        if column == self.COL_VERDICT:
            return VERDICT_WORDS.get(item.verdict, item.verdict)
        if column == self.COL_RULES:
            return rules_by_level(item)
        if column == self.COL_REVIEW:
            return written_date(item.result.review_on) if item.result.review_on else ""
        return ""

    def sort_value(self, row: int, column: int) -> Any:
        item = self._rows[row]
        if column == self.COL_VERDICT:
            return VERDICTS.index(item.verdict) if item.verdict in VERDICTS else None
        if column == self.COL_REVIEW:
            return item.result.review_on
        return self.display(item, column).casefold() or None

    def extra(self, item: DrugGroupVerdict, column: int, role: Qt.ItemDataRole) -> Any:
        if column == self.COL_VERDICT:
            if role == Qt.ItemDataRole.ForegroundRole:
                colour = VERDICT_COLOURS.get(item.verdict)
                return QBrush(colour.on()) if colour is not None else None
            if role == Qt.ItemDataRole.FontRole:
                return self._bold
        if role == Qt.ItemDataRole.ToolTipRole:
            if column == self.COL_RULES:
                return "\n".join(item.reasons) or "No rule fired"
            if column == self.COL_GROUP:
                return f"The gate was asked about {item.drug_name} for the group '{item.group}'"
        return None


def group_words(item: DrugGroupVerdict) -> str:
    """`Oral bisphosphonate: alendronic acid`; just `Denosumab` when the group is the drug."""
    if item.group.casefold() == item.drug_name.casefold():
        return item.group
    return f"{item.group}: {item.drug_name[0].lower()}{item.drug_name[1:]}"


def rules_by_level(item: DrugGroupVerdict) -> str:
    """`BF-1, AR-3 (block); DEN-1 (warn); FX-1 (info)`; "none fired" when empty."""
    parts = []
    for level in LEVELS:
        ids = item.result.rule_ids(level)
        if ids:
            parts.append(f"{', '.join(ids)} ({LEVEL_WORDS.get(level, level).lower()})")
    return "; ".join(parts) or "none fired"


class PatientTaskTableModel(TaskTableModel):
    """Her worklist tasks on the day (rows: WorklistTask): the worklist's columns but her name."""

    COL_PRIORITY, COL_DUE, COL_CODE, COL_MESSAGE = range(4)
    COLUMNS = (PRIORITY, DUE, TASK, MESSAGE)
    HEADERS = tuple(TASK_HEADERS[kind] for kind in COLUMNS)
    HEADER_TIPS = tuple(TASK_HEADER_TIPS[kind] for kind in COLUMNS)
    ALIGNMENTS = (ALIGN_TEXT,) * 4

    def extra(self, item: WorklistTask, column: int, role: Qt.ItemDataRole) -> Any:
        if role == Qt.ItemDataRole.ToolTipRole:
            return self.tooltip(item, column)
        if role == Qt.ItemDataRole.ForegroundRole and column == self.COL_PRIORITY:
            if item.priority == "urgent":
                return QBrush(BLOCKED.on())
            if item.priority == "high":
                return QBrush(CAUTION.on())
        if role == Qt.ItemDataRole.FontRole and item.priority == "urgent":
            return self._bold
        return None


def _table_view(object_name: str, accessible: str) -> QTableView:
    view = list_table_view(object_name, accessible)
    view.horizontalHeader().setStretchLastSection(True)
    view.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
    return view


# --- sections -------------------------------------------------------------------------------

class RecordSection(QWidget):
    """A page of her record: shows the PatientView it is given."""

    key = ""
    title = ""

    def show_view(self, view: PatientView) -> None:  # pragma: no cover - each section says
        raise NotImplementedError

    def close_section(self) -> None:
        """Her record is being closed: a page that reads on workers of its own stops them and waits."""


def _section_heading(text: str) -> QLabel:
    label = QLabel(text)
    label.setObjectName("recordSectionTitle")
    return label


class PlaceholderSection(RecordSection):
    """A section still to come: its name, what it will hold, and how many entries she has."""

    def __init__(self, key: str, parent: QWidget | None = None):
        super().__init__(parent)
        self.key = key
        self.title = SECTION_TITLES[key]
        what = dict((k, w) for k, _, w in SECTIONS)[key]
        self.setObjectName(f"section_{key}")
        self.heading = _section_heading(self.title)
        self.coming_label = QLabel(f"Coming soon: this section will show {what}.")
        self.coming_label.setObjectName("sectionComing")
        self.coming_label.setWordWrap(True)
        self.count_label = QLabel()
        self.count_label.setObjectName("sectionCount")
        self.count_label.setWordWrap(True)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(16, 12, 16, 12)
        layout.addWidget(self.heading)
        layout.addWidget(self.coming_label)
        layout.addWidget(self.count_label)
        layout.addStretch(1)

    def show_view(self, view: PatientView) -> None:
        counts = []
        for attribute, one, many in _SECTION_COUNTS.get(self.key, ()):
            n = len(getattr(view, attribute))
            counts.append(f"{n} {one if n == 1 else many}")
        self.count_label.setText(f"On record today: {', '.join(counts)}." if counts else "")


class OverviewSection(RecordSection):
    """The gate's seven facts, its verdict for each drug group, her open tasks and the latest decision."""

    key = "overview"
    title = "Overview"

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("section_overview")
        self.view: PatientView | None = None

        # the seven facts
        self.facts_box = QGroupBox("Facts the gate stands on")
        self.facts_box.setObjectName("factsBox")
        self.facts_form = QFormLayout(self.facts_box)
        self.facts_form.setLabelAlignment(Qt.AlignmentFlag.AlignLeft)
        self.facts_form.setVerticalSpacing(3)
        self.fact_values: dict[str, QLabel] = {}

        # the latest decision
        self.decision_box = QGroupBox("Latest treatment decision")
        self.decision_box.setObjectName("decisionBox")
        self.decision_label = QLabel()
        self.decision_label.setObjectName("latestDecision")
        self.decision_label.setWordWrap(True)
        self.decision_label.setAccessibleName("Latest treatment decision")
        self.review_label = QLabel()
        self.review_label.setObjectName("decisionReview")
        self.review_label.setAccessibleName("Review date")
        decision_layout = QVBoxLayout(self.decision_box)
        decision_layout.addWidget(self.decision_label)
        decision_layout.addWidget(self.review_label)

        left_panel = QWidget()
        left = QVBoxLayout(left_panel)
        left.setContentsMargins(0, 0, 0, 0)
        left.addWidget(self.facts_box)
        left.addWidget(self.decision_box)
        left.addStretch(1)
        left_panel.setFixedWidth(400)

        # the gate's verdicts, and the rules of the one selected
        self.gate_box = QGroupBox("Medication gate")
        self.gate_box.setObjectName("gateBox")
        self.verdict_model = DrugVerdictTableModel(self)
        self.verdict_proxy = RowSortProxy(self)
        self.verdict_proxy.setSourceModel(self.verdict_model)
        self.verdict_view = _table_view("verdictTable", "The gate's verdict for each drug group")
        self.verdict_view.setModel(self.verdict_proxy)
        self.verdict_view.sortByColumn(-1, Qt.SortOrder.AscendingOrder)
        self.verdict_view.setWordWrap(False)
        self.verdict_view.setTextElideMode(Qt.TextElideMode.ElideRight)
        self.verdict_view.verticalHeader().setDefaultSectionSize(self.fontMetrics().height() + 8)
        self.verdict_view.selectionModel().selectionChanged.connect(self._on_verdict_selection_changed)
        self.rules_heading = QLabel()
        self.rules_heading.setObjectName("rulesHeading")
        self.rules_heading.setWordWrap(True)
        self.rule_model = RuleTableModel(self)
        self.rule_proxy = RowSortProxy(self)
        self.rule_proxy.setSourceModel(self.rule_model)
        self.rule_view = _table_view("groupRuleTable", "Rules that fired for the selected drug")
        self.rule_view.setModel(self.rule_proxy)
        self.rule_view.sortByColumn(-1, Qt.SortOrder.AscendingOrder)
        self.rule_view.setWordWrap(True)
        self.rule_view.setVerticalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)  # as tall as its rules
        self.rule_view.verticalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        gate_layout = QVBoxLayout(self.gate_box)
        gate_layout.setSpacing(4)
        gate_layout.addWidget(self.verdict_view)
        gate_layout.addWidget(self.rules_heading)
        gate_layout.addWidget(self.rule_view)
        gate_layout.addStretch(1)

        # her tasks
        self.tasks_box = QGroupBox("Open tasks")
        self.tasks_box.setObjectName("tasksBox")
        self.task_model = PatientTaskTableModel(self)
        self.task_proxy = RowSortProxy(self)
        self.task_proxy.setSourceModel(self.task_model)
        self.task_view = _table_view("patientTaskTable", "Her open worklist tasks")
        self.task_view.setModel(self.task_proxy)
        self.task_view.sortByColumn(-1, Qt.SortOrder.AscendingOrder)  # the worklist's order until asked
        self.task_view.setWordWrap(True)
        self.task_view.verticalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        self.no_tasks_label = QLabel("No open tasks for her today.")
        self.no_tasks_label.setObjectName("noTasks")
        tasks_layout = QVBoxLayout(self.tasks_box)
        tasks_layout.addWidget(self.task_view)
        tasks_layout.addWidget(self.no_tasks_label)

        top = QHBoxLayout()
        top.addWidget(left_panel)
        top.addWidget(self.gate_box, 1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(10, 4, 10, 6)
        layout.setSpacing(4)
        layout.addLayout(top, 1)
        layout.addWidget(self.tasks_box)

    def show_view(self, view: PatientView) -> None:
        self.view = view
        overview = view.overview
        selected = self.selected_verdict()
        while self.facts_form.rowCount():
            self.facts_form.removeRow(0)
        self.fact_values = {}
        for line in overview.facts:
            value = QLabel(line.words)
            value.setObjectName(f"fact_{line.key}")
            value.setAccessibleName(line.label)
            value.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
            value.setToolTip(line.hint)
            value.setWordWrap(True)
            label = QLabel(f"{line.label}:")
            label.setToolTip(line.hint)
            label.setBuddy(value)
            self.fact_values[line.key] = value
            self.facts_form.addRow(label, value)
        self.decision_label.setText(overview.latest_decision_words)
        self.review_label.setText(
            f"Review on {written_date(overview.review_on)}" if overview.review_on else "No review date set")
        self.gate_box.setTitle(f"Medication gate on {written_date(view.on)} (starting each drug that day)")
        self.verdict_model.set_rows(overview.verdicts)
        self._fit_verdict_view()
        row = 0
        if selected is not None:
            row = next((n for n in range(self.verdict_proxy.rowCount())
                        if self.verdict_proxy.index(n, 0).data(ROW_ROLE).drug == selected.drug), 0)
        if self.verdict_proxy.rowCount():
            self.verdict_view.selectRow(row)
        self.task_model.set_rows(overview.tasks)
        self.tasks_box.setTitle(f"Open tasks ({len(overview.tasks)})")
        self.task_view.setVisible(bool(overview.tasks))
        self.no_tasks_label.setVisible(not overview.tasks)
        self._fit_task_view()
        self._on_verdict_selection_changed()

    def _fit_task_view(self) -> None:
        """As tall as up to four of her tasks; more scroll."""
        view = self.task_view
        for column in (PatientTaskTableModel.COL_PRIORITY, PatientTaskTableModel.COL_DUE, PatientTaskTableModel.COL_CODE):
            view.resizeColumnToContents(column)
        view.resizeRowsToContents()
        shown = min(self.task_proxy.rowCount(), 4)
        rows = sum(view.rowHeight(r) for r in range(shown))
        view.setFixedHeight(view.horizontalHeader().sizeHint().height() + rows + 2 * view.frameWidth() + 2)

    def _fit_rule_view(self) -> None:
        """As tall as every rule that fired, wrapped at the table's width: none is cut off (the page scrolls)."""
        view = self.rule_view
        view.resizeRowsToContents()
        rows = sum(view.rowHeight(r) for r in range(self.rule_proxy.rowCount()))
        view.setFixedHeight(view.horizontalHeader().sizeHint().height() + max(rows, view.fontMetrics().height() + 8)
                            + 2 * view.frameWidth() + 2)

    def resizeEvent(self, event) -> None:
        super().resizeEvent(event)
        if self.view is not None:
            self._fit_task_view()
            self._fit_rule_view()

    def heightForWidth(self, _width: int) -> int:
        """No height for width: the scroll area then fits the page to the window, down to its minimum.

        (Its wrapping labels would otherwise ask for their preferred height and push the
        tasks below the fold on a 768-pixel screen.)
        """
        return -1

    def _fit_verdict_view(self) -> None:
        view = self.verdict_view
        header = view.horizontalHeader()
        for column in range(self.verdict_model.columnCount() - 1):
            view.resizeColumnToContents(column)
        rows = sum(view.rowHeight(r) for r in range(self.verdict_proxy.rowCount()))
        view.setFixedHeight(header.sizeHint().height() + rows + 2 * view.frameWidth() + 2)

    def selected_verdict(self) -> DrugGroupVerdict | None:
        rows = self.verdict_view.selectionModel().selectedRows()
        return rows[0].data(ROW_ROLE) if rows else None

    def select_drug(self, drug: str) -> bool:
        for n in range(self.verdict_proxy.rowCount()):
            if self.verdict_proxy.index(n, 0).data(ROW_ROLE).drug == drug:
                self.verdict_view.selectRow(n)
                return True
        return False

    def _on_verdict_selection_changed(self, *_args) -> None:
        item = self.selected_verdict()
        if item is None:
            self.rules_heading.setText("Select a drug group to read the gate's reasons.")
            self.rule_model.set_rows([])
            self._fit_rule_view()
            return
        verdict = VERDICT_WORDS.get(item.verdict, item.verdict)
        review = f"; review on {written_date(item.result.review_on)}" if item.result.review_on else ""
        self.rules_heading.setText(f"<b>{item.drug_name}</b> ({item.group.lower()}): <b>{verdict}</b>{review}. "
                                   "Why, rule by rule:")
        self.rule_model.set_rows(item.result.rules)
        self.rule_view.resizeColumnToContents(RuleTableModel.COL_LEVEL)
        self.rule_view.resizeColumnToContents(RuleTableModel.COL_ID)
        self._fit_rule_view()


# --- the record -----------------------------------------------------------------------------

class PatientRecordWidget(QWidget):
    """One open patient: banner on top, sections listed on the left, the chosen section beside them."""

    loaded = Signal(object)        # the PatientView now shown
    load_failed = Signal(str)      # a known error stopped the read (its text)
    section_changed = Signal(str)  # the key of the section now shown

    def __init__(self, patient_id: int, *, pool: WorkerPool | None = None,
                 today: Callable[[], date] = date.today, parent: QWidget | None = None):
        super().__init__(parent)
        self.patient_id = patient_id
        self.today = today
        self.view: PatientView | None = None
        self._own_pool = pool is None
        self._pool = pool or WorkerPool(self)
        self._worker: Worker | None = None
        self.setObjectName("patientRecord")

        self.banner = PatientBannerWidget()
        self.error_label = QLabel()
        self.error_label.setObjectName("errorText")
        self.error_label.setWordWrap(True)
        self.error_label.hide()

        self.section_list = QListWidget()
        self.section_list.setObjectName("sectionList")
        self.section_list.setAccessibleName("Sections of her record")
        self.section_list.setFixedWidth(220)
        self.section_list.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.stack = QStackedWidget()
        self.stack.setObjectName("sectionStack")
        self.sections: dict[str, RecordSection] = {}
        self._scrolls: dict[str, QScrollArea] = {}
        for key, title, _ in SECTIONS:
            item = QListWidgetItem(title)
            item.setData(Qt.ItemDataRole.UserRole, key)
            item.setToolTip(f"Show {title.lower()}")
            self.section_list.addItem(item)
            scroll = QScrollArea()
            scroll.setObjectName(f"scroll_{key}")
            scroll.setWidgetResizable(True)
            scroll.setFrameShape(QFrame.Shape.NoFrame)
            self._scrolls[key] = scroll
            self.stack.addWidget(scroll)
            self.set_section_page(key, OverviewSection() if key == "overview" else PlaceholderSection(key))
        self.section_list.currentRowChanged.connect(self._on_section_list_current_row_changed)

        body = QHBoxLayout()
        body.setContentsMargins(0, 0, 0, 0)
        body.addWidget(self.section_list)
        body.addWidget(self.stack, 1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(0)
        layout.addWidget(self.banner)
        layout.addWidget(self.error_label)
        layout.addLayout(body, 1)
        self.section_list.setCurrentRow(0)

    # -- sections ------------------------------------------------------------------------
    def set_section_page(self, key: str, page: RecordSection) -> None:
        """Put a section's page in place (a later increment replaces a placeholder this way)."""
        if key not in SECTION_TITLES:
            raise KeyError(f"'{key}' is not a section of the record (one of {', '.join(SECTION_KEYS)})")
        scroll = self._scrolls[key]
        old = scroll.takeWidget()
        if old is not None:
            old.deleteLater()
        scroll.setWidget(page)
        self.sections[key] = page
        if self.view is not None:
            page.show_view(self.view)

    @property
    def overview(self) -> OverviewSection:
        return self.sections["overview"]  # type: ignore[return-value]

    def current_section(self) -> str:
        item = self.section_list.currentItem()
        return item.data(Qt.ItemDataRole.UserRole) if item else "overview"

    def show_section(self, name: str) -> bool:
        """Show a section by key or title ("fractures", "DEXA"); False when there is no such section."""
        key = section_key(name)
        if key is None:
            return False
        self.section_list.setCurrentRow(SECTION_KEYS.index(key))
        return True

    def _on_section_list_current_row_changed(self, row: int) -> None:
        if 0 <= row < len(SECTION_KEYS):
            self.stack.setCurrentIndex(row)
            self.section_changed.emit(SECTION_KEYS[row])

    # -- loading -------------------------------------------------------------------------
    def reload(self, on: date | None = None) -> Worker:
        """Read her record again on a worker (as of `on`, today by default); `loaded` reports it."""
        if self._worker is not None:
            self._worker.cancel()  # a newer read replaces it
        worker = Worker(patient_view, self.patient_id, on or self.today())
        worker.signals.finished.connect(self._on_worker_finished)
        worker.signals.errored.connect(self._on_worker_errored)
        self._worker = worker
        return self._pool.start(worker)

    def is_loading(self) -> bool:
        return self._worker is not None

    def _answers_the_read_wanted(self) -> bool:
        """A worker's report is for the read still wanted: not one replaced by a newer read, nor one
        dropped when she was closed (its report may already be queued when it is cancelled)."""
        sender = self.sender()
        return self._worker is not None and (sender is None or sender is self._worker.signals)

    def _on_worker_finished(self, view: PatientView) -> None:
        if not self._answers_the_read_wanted():
            return
        self._worker = None
        self.error_label.hide()
        self.view = view
        self.banner.set_banner(view.banner)
        for page in self.sections.values():
            page.show_view(view)
        self.loaded.emit(view)

    def _on_worker_errored(self, exc: BaseException, _traceback: str) -> None:
        if not self._answers_the_read_wanted():
            return
        self._worker = None
        if isinstance(exc, PaoClinicError):
            text = f"Could not read her record: {exc}"
            self.error_label.setText(text)
            self.error_label.show()
            self.load_failed.emit(text)
            return
        self.error_label.setText("Could not read her record (an unexpected error; see the message).")
        self.error_label.show()
        sys.excepthook(type(exc), exc, exc.__traceback__)

    def close_record(self) -> None:
        """She is being closed: drop any read still running (its answer is not wanted)."""
        if self._worker is not None:
            self._worker.cancel()
            self._worker = None
        for page in self.sections.values():
            page.close_section()
        if self._own_pool:
            self._pool.shut_down()

    def title(self) -> str:
        """`FAMILY, Given` once read; her number until then."""
        return self.view.banner.name if self.view is not None else "Loading\u2026"


__all__ = [
    "SECTIONS", "SECTION_KEYS", "SECTION_TITLES", "TASK_SECTIONS", "section_for_task", "section_key",
    "DrugVerdictTableModel", "PatientTaskTableModel", "RecordSection", "PlaceholderSection", "OverviewSection",
    "PatientRecordWidget", "rules_by_level",
]
