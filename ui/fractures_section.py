"""The Fractures section of her record: the spine diagram beside the table of her fractures.

The table lists her live fractures (the view holds no entry marked entered in error)
with the site, the day it was identified, the imaging, the Genant grade, whether it
was part of her presentation or a repeat fracture (the gate's facts), the weeks after
her delivery and who entered it.  Clicking a level of the diagram picks out its rows;
picking a row shows its level on the diagram.  Adding, correcting and marking an entry
as entered in error are asked for with signals; the forms belong elsewhere.
"""

from __future__ import annotations

from typing import Any, Iterable, Mapping

from PySide6.QtCore import QItemSelection, QItemSelectionModel, Qt, Signal
from PySide6.QtWidgets import (
    QAbstractItemView, QHBoxLayout, QHeaderView, QLabel, QVBoxLayout, QWidget,
)

from pao_clinic.record import codes
from pao_clinic.record.dates import written_date
from pao_clinic.services import AuditHistoryEntry, PatientView

from .caseload_model import (
    ALIGN_NUMBER, ALIGN_TEXT, ROW_ROLE, SORT_ROLE, RowSortProxy, RowTableModel, list_table_view,
)
from .patient_record import RecordSection
from .section_actions import ButtonWords, EntryActions
from .spine_diagram import (
    LEVELS, FractureFinding, SpineDiagram, fracture_findings, fracture_site_words, level_name,
    marks_from_findings,
)

NOTHING = "\u2014"


def entered_by_from_audit(history: Iterable[AuditHistoryEntry]) -> dict[int, str]:
    """Who added each fracture (by its id), read off her audit trail."""
    names: dict[int, str] = {}
    for entry in history:
        if entry.action == "add" and entry.record_type == "fracture" and entry.record_id is not None:
            names.setdefault(entry.record_id, entry.user_name)
    return names


class FractureTableModel(RowTableModel):
    """Her fractures (rows: FractureFinding), oldest first until a header is clicked."""

    COL_SITE, COL_IDENTIFIED, COL_IMAGING, COL_GRADE, COL_KIND, COL_POSTPARTUM, COL_ENTERED_BY = range(7)
    HEADERS = ("Site", "Identified\non", "Imaging", "Genant\ngrade", "Presentation\nor repeat", "Weeks\npostpartum",
               "Entered\nby")
    HEADER_TIPS = ("The vertebral level or other site (side as hers)",
                   "The day the fracture was identified",
                   "The imaging that showed it",
                   "Genant grade of a vertebral fracture: 1 mild, 2 moderate, 3 severe",
                   "The gate's reading: part of her presentation (within 14 days of the first), "
                   "a repeat fracture (new site, or a level that progressed), or the same site seen again",
                   "Whole weeks after the delivery it belongs to, and which pregnancy",
                   "Who entered it")
    ALIGNMENTS = (ALIGN_TEXT, ALIGN_TEXT, ALIGN_TEXT, ALIGN_NUMBER, ALIGN_TEXT, ALIGN_TEXT, ALIGN_TEXT)
    #: The roles the table asks for that have an answer; others are answered at once with nothing.
    ROLES = frozenset({Qt.ItemDataRole.DisplayRole, ROW_ROLE, SORT_ROLE, Qt.ItemDataRole.TextAlignmentRole,
                       Qt.ItemDataRole.ToolTipRole, Qt.ItemDataRole.AccessibleDescriptionRole,
                       Qt.ItemDataRole.ForegroundRole, Qt.ItemDataRole.AccessibleTextRole})

    def __init__(self, parent=None):
        super().__init__(parent)
        self.entered_by: dict[int, str] = {}

    def set_entered_by(self, names: Mapping[int, str]) -> None:
        self.entered_by = dict(names)
        if self._rows:
            self.dataChanged.emit(self.index(0, self.COL_ENTERED_BY),
                                  self.index(len(self._rows) - 1, self.COL_ENTERED_BY))

    def display(self, item: FractureFinding, column: int) -> str:
        f = item.fracture
        if column == self.COL_SITE:
            return fracture_site_words(f)
        if column == self.COL_IDENTIFIED:
            return written_date(f.identified_on)
        if column == self.COL_IMAGING:
            return item.imaging_words
        if column == self.COL_GRADE:
            return item.grade_words
        if column == self.COL_KIND:
            return item.kind_words
        if column == self.COL_POSTPARTUM:
            return item.postpartum.short
        if column == self.COL_ENTERED_BY:
            return self.entered_by.get(f.id, NOTHING) if f.id is not None else NOTHING
        return ""

    def sort_value(self, row: int, column: int) -> Any:
        item = self._rows[row]
        f = item.fracture
        if column == self.COL_SITE:
            return codes.FRACTURE_SITES.index(f.site) if f.site in codes.FRACTURE_SITES else None
        if column == self.COL_IDENTIFIED:
            return f.identified_on
        if column == self.COL_GRADE:
            return f.genant_grade
        if column == self.COL_POSTPARTUM:
            return item.postpartum.weeks
        text = self.display(item, column)
        return None if text == NOTHING else text.casefold()

    def extra(self, item: FractureFinding, column: int, role: Qt.ItemDataRole) -> Any:
        if role == Qt.ItemDataRole.ToolTipRole:
            return item.line()
        return None


class FracturesSection(RecordSection):
    """Her fractures: the spine diagram, its chosen level's history, and the table."""

    key = "fractures"
    title = "Fractures"

    add_requested = Signal(str)               # "fractures"
    edit_requested = Signal(object)           # the Fracture to correct
    entered_in_error_requested = Signal(object)   # the Fracture to mark entered in error

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("section_fractures")
        self.view: PatientView | None = None

        self.heading = QLabel(self.title)
        self.heading.setObjectName("recordSectionTitle")
        self.count_label = QLabel()
        self.count_label.setObjectName("sectionCount")

        self.diagram = SpineDiagram()
        self.diagram.level_clicked.connect(self._on_diagram_level_clicked)
        self.detail_label = QLabel()
        self.detail_label.setObjectName("spineLevelDetail")
        self.detail_label.setAccessibleName("History of the chosen level")
        self.detail_label.setWordWrap(True)
        self.detail_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.detail_label.setAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignTop)
        self.detail_label.setMinimumHeight(self.fontMetrics().height() * 4)
        self.detail_label.setStyleSheet("QLabel#spineLevelDetail { background: palette(base); color: palette(text); border: 1px solid palette(midlight);"
                                        " border-radius: 4px; padding: 6px; }")

        self.model = FractureTableModel(self)
        self.proxy = RowSortProxy(self)
        self.proxy.setSourceModel(self.model)
        self.table = list_table_view("fractureTable", "Her fractures")
        self.table.setModel(self.proxy)
        # a level fractured twice selects both its rows (clicking the spine)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.table.sortByColumn(-1, Qt.SortOrder.AscendingOrder)
        self.table.setWordWrap(False)
        self.table.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.table.setTextElideMode(Qt.TextElideMode.ElideRight)
        self.table.horizontalHeader().setStretchLastSection(True)
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        self.table.horizontalHeader().setResizeContentsPrecision(20)  # columns sized from 20 rows, not all 40
        self.table.selectionModel().selectionChanged.connect(self._on_table_selection_changed)
        self.table.doubleClicked.connect(self._on_table_double_clicked)
        self.no_fractures_label = QLabel("No fractures on record.")
        self.no_fractures_label.setObjectName("noFractures")

        self.actions = EntryActions(
            self, self.selected_fracture,
            edit=ButtonWords("Edit\u2026", "editFracture", "Correct the selected fracture"),
            error=ButtonWords("Entered in error\u2026", "fractureEnteredInError",
                              "Mark the selected fracture as entered in error"),
            not_chosen_tip="Select one fracture in the table first")
        self.add_button = self.actions.add_button(ButtonWords("Add fracture\u2026", "addFracture", "Add a fracture"),
                                                  "fractures")
        self.edit_button, self.error_button = self.actions.edit_button, self.actions.error_button
        buttons = self.actions.row(self.add_button, self.edit_button, self.error_button)

        self.diagram.setFixedWidth(380)

        right = QVBoxLayout()
        right.setContentsMargins(0, 0, 0, 0)
        right.addWidget(self.count_label)
        right.addWidget(self.table, 1)
        right.addWidget(self.no_fractures_label)
        right.addLayout(buttons)
        right.addWidget(self.detail_label)

        body = QHBoxLayout()
        body.addWidget(self.diagram)
        body.addLayout(right, 1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(10, 4, 10, 6)
        layout.setSpacing(4)
        layout.addWidget(self.heading)
        layout.addLayout(body, 1)
        self._update_buttons()
        self.detail_label.setText(self.diagram.detail_text())

    # -- showing ---------------------------------------------------------------------------
    def show_view(self, view: PatientView) -> None:
        self.view = view
        chosen = self.diagram.selected_level
        findings = fracture_findings(view)
        self.model.set_rows(findings)
        self.diagram.set_marks(marks_from_findings(findings))
        self.diagram.on = view.on
        n = len(findings)
        self.count_label.setText(f"{n} fracture{'' if n == 1 else 's'} on record on {written_date(view.on)}."
                                 if n else "")
        self.table.setVisible(bool(n))
        self.no_fractures_label.setVisible(not n)
        self._fit_columns()
        if chosen in self.diagram.marks:
            self.select_level(chosen)
        else:
            self.diagram.select_level(None)
            self.detail_label.setText(self.diagram.detail_text())
        self._update_buttons()

    #: Columns that give up width, widest words first, when the table is narrower than its words
    #: (a 1366-pixel laptop): their text is elided, and each row's tooltip tells the whole finding.
    _NARROWING = (FractureTableModel.COL_KIND, FractureTableModel.COL_POSTPARTUM, FractureTableModel.COL_ENTERED_BY,
                  FractureTableModel.COL_IMAGING)

    def _fit_columns(self) -> None:
        """Every column as wide as its words when there is room; otherwise the wordy ones narrow, so no
        column is cut off at the right edge; the last takes what is left."""
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        self.table.resizeColumnsToContents()
        widths = [header.sectionSize(column) for column in range(self.model.columnCount())]
        excess = sum(widths) - self.table.viewport().width()
        floor = self.fontMetrics().horizontalAdvance("Presentation") + 16
        for column in self._NARROWING:
            if excess <= 0:
                break
            give = min(excess, max(0, widths[column] - floor))
            header.resizeSection(column, widths[column] - give)
            excess -= give

    def resizeEvent(self, event) -> None:
        super().resizeEvent(event)
        if self.model.rowCount():
            self._fit_columns()

    def set_entered_by(self, names: Mapping[int, str]) -> None:
        """Who entered each fracture, by id (from `entered_by_from_audit(patient_audit_history(...))`)."""
        self.model.set_entered_by(names)

    # -- choosing ------------------------------------------------------------------------------
    def select_level(self, level: str) -> None:
        """Choose a level: the diagram shows it and its history, the table picks out its rows."""
        self.diagram.select_level(level)
        self.detail_label.setText(self.diagram.detail_text())
        selection = QItemSelection()
        for row in range(self.proxy.rowCount()):
            if self.proxy.index(row, 0).data(ROW_ROLE).level == level:
                selection.select(self.proxy.index(row, 0), self.proxy.index(row, self.proxy.columnCount() - 1))
        self._selecting = True
        try:
            self.table.selectionModel().select(
                selection, QItemSelectionModel.SelectionFlag.ClearAndSelect | QItemSelectionModel.SelectionFlag.Rows)
            if not selection.isEmpty():
                self.table.scrollTo(selection.indexes()[0])
        finally:
            self._selecting = False
        self._update_buttons()

    def selected_findings(self) -> list[FractureFinding]:
        rows = sorted(self.table.selectionModel().selectedRows(), key=lambda i: i.row())
        return [index.data(ROW_ROLE) for index in rows]

    def selected_fracture(self):
        """The one fracture selected, or None (none, or several)."""
        chosen = self.selected_findings()
        return chosen[0].fracture if len(chosen) == 1 else None

    def _update_buttons(self) -> None:
        self.actions.update()

    # -- slots -------------------------------------------------------------------------------
    _selecting = False

    def _on_diagram_level_clicked(self, level: str) -> None:
        self.select_level(level)

    def _on_table_selection_changed(self, *_args) -> None:
        self._update_buttons()
        if self._selecting:
            return
        levels = {finding.level for finding in self.selected_findings()}
        if len(levels) == 1:
            (level,) = levels
            if level in LEVELS:
                self.diagram.select_level(level)
                self.detail_label.setText(self.diagram.detail_text())

    def _on_table_double_clicked(self, index) -> None:
        finding = index.data(ROW_ROLE)
        if finding is not None:
            self.edit_requested.emit(finding.fracture)


__all__ = ["FractureTableModel", "FracturesSection", "entered_by_from_audit", "level_name"]
