"""The DEXA section of her record: the Z-score chart above a table of her scans.

Every reading is the gate's (`view.dexa_reading`, a DexaHistory): the Z-score and its
reading for age (a premenopausal woman is judged by her Z-score), the T-score shown
for reference only, the change in BMD since the previous scan of the site against
the least significant change, and whether she was breastfeeding on the scan day.

The section asks for actions by signal (the entry forms are not its own):
`add_requested("dexa")`, `edit_requested(scan)`, `entered_in_error_requested(scan)`,
each scan a DexaScan of her record with its id and version.
"""

from __future__ import annotations

import html
from dataclasses import dataclass
from datetime import date
from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QBrush, QFont
from PySide6.QtWidgets import (
    QAbstractItemView, QHeaderView, QLabel, QTableView, QVBoxLayout, QWidget,
)

from pao_clinic.gate import BELOW_EXPECTED_RANGE, WITHIN_EXPECTED_RANGE, DexaHistory, ScanInterpretation
from pao_clinic.record import DexaScan, codes
from pao_clinic.record.dates import written_date
from pao_clinic.services.patient_view import PatientView

from .caseload_model import ALIGN_NUMBER, ALIGN_TEXT, NOTHING, ROW_ROLE, RowSortProxy, RowTableModel
from .section_actions import ButtonWords, EntryActions
from .status_colours import BLOCKED, CAUTION
from .dexa_chart import NO_DEXA, ChartPoint, DexaChart, change_words, signed, site_words, weeks_postpartum
from .patient_record import RecordSection

LOW_TEXT = BLOCKED     # below the expected range (always with the words)
BEYOND_TEXT = CAUTION  # a change beyond the LSC (always with the words)

#: The gate's classification, short under the column "For her age" (the whole words in the tooltip).
READING_WORDS = {BELOW_EXPECTED_RANGE: "Below expected range", WITHIN_EXPECTED_RANGE: "Within expected range"}

#: What the section says about reading a premenopausal woman's DEXA (no T-score label).
READING_NOTE = ("Read by Z-score, against women of her age: a premenopausal woman's bone density is "
                "\u201cwithin\u201d or \u201cbelow the expected range for age\u201d. T-scores compare her "
                "with young adults and are shown for reference only; they are not used to classify her.")


@dataclass(frozen=True, slots=True)
class DexaRow:
    """One row of the table: the gate's reading of one scan, and the scan in her record (for Edit)."""

    reading: ScanInterpretation
    scan: DexaScan | None
    weeks_postpartum: int | None = None


def dexa_rows(reading: DexaHistory, scans: tuple[DexaScan, ...], record=None) -> tuple[DexaRow, ...]:
    """The gate's readings, oldest first, each paired with the scan of her record it reads."""
    waiting: dict[tuple[str, date], list[DexaScan]] = {}
    for scan in scans:
        waiting.setdefault((scan.site, scan.scanned_on), []).append(scan)
    rows = []
    for r in reading.scans:
        same = waiting.get((r.site, r.scanned_on))
        scan = same.pop(0) if same else None
        rows.append(DexaRow(r, scan, weeks_postpartum(record, r.scanned_on)))
    return tuple(rows)


def change_cell(reading: ScanInterpretation) -> str:
    """The change since the previous scan of the site in words, `beyond LSC` or `within LSC`."""
    if reading.change is not None:
        words = change_words(reading.change)
        return words[:1].upper() + words[1:]
    return "First scan of this site" if reading.bmd is not None else NOTHING


def breastfeeding_cell(row: DexaRow) -> str:
    fed = row.reading.while_breastfeeding
    return "While breastfeeding" if fed else ("Not breastfeeding" if fed is False else NOTHING)


def interpretation_text(view: PatientView) -> str:
    """The gate's reading of her latest DEXA in words: its date, lowest Z-score and classification, each site."""
    reading = view.dexa_reading
    if not reading.scans:
        return NO_DEXA if not view.dexa else f"No DEXA on or before {written_date(view.on)}."
    latest = reading.latest
    day = written_date(latest[0].scanned_on)
    if reading.lowest_z is None:
        head = (f"Latest DEXA {day}: no Z-score, so it cannot be classified "
                "(a T-score alone does not describe a premenopausal woman).")
    else:
        head = f"Latest DEXA {day}: lowest Z-score {signed(reading.lowest_z)}, {reading.classification}."
    return "\n".join([head] + [f"\u2022 {scan.summary}" for scan in latest])


def interpretation_html(view: PatientView) -> str:
    """`interpretation_text` for the label: the headline bold (dark red with the words when below range)."""
    head, *lines = interpretation_text(view).split("\n")
    below = view.dexa_reading.classification == BELOW_EXPECTED_RANGE
    colour = f" style=\"color: {LOW_TEXT.css()}\"" if below else ""
    return f"<b{colour}>{html.escape(head)}</b>" + "".join(f"<br>{html.escape(line)}" for line in lines)


class DexaTableModel(RowTableModel):
    """Her scans, Z-score before the T-score (rows: DexaRow)."""

    (COL_DATE, COL_SITE, COL_Z, COL_READING, COL_T, COL_BMD, COL_CHANGE, COL_FEEDING) = range(8)
    HEADERS = ("Date", "Site", "Z-score", "For her age", "T-score\n(for reference)", "BMD\n(g/cm\u00b2)",
               "Change vs previous\nscan, against LSC", "Breastfeeding")
    HEADER_TIPS = (
        "The day of the scan",
        "The site scanned",
        "Z-score: her bone density against women of her age (how a premenopausal woman is read)",
        "The Z-score's reading: within or below the expected range for age",
        "T-score: against young adults; for reference only, never used to classify her",
        "Bone mineral density",
        "Change in BMD since the previous scan of the site, against the least significant change (LSC)",
        "Whether she was breastfeeding on the scan day (weeks postpartum in the tooltip)",
    )
    ALIGNMENTS = (ALIGN_TEXT, ALIGN_TEXT, ALIGN_NUMBER, ALIGN_TEXT, ALIGN_NUMBER, ALIGN_NUMBER, ALIGN_TEXT,
                  ALIGN_TEXT)

    def __init__(self, parent=None):
        super().__init__(parent)
        self._bold = QFont()
        self._bold.setBold(True)

    def display(self, item: DexaRow, column: int) -> str:
        r = item.reading
        if column == self.COL_DATE:
            return written_date(r.scanned_on)
        if column == self.COL_SITE:
            return site_words(r.site)
        if column == self.COL_Z:
            return signed(r.z_score) if r.z_score is not None else NOTHING
        if column == self.COL_READING:
            return READING_WORDS.get(r.classification, "No Z-score")
        if column == self.COL_T:
            return signed(r.t_score) if r.t_score is not None else NOTHING
        if column == self.COL_BMD:
            return f"{r.bmd:.3f}" if r.bmd is not None else NOTHING
        if column == self.COL_CHANGE:
            return change_cell(r)
        if column == self.COL_FEEDING:
            return breastfeeding_cell(item)
        return ""

    def sort_value(self, row: int, column: int) -> Any:
        item = self._rows[row]
        r = item.reading
        if column == self.COL_DATE:
            return (r.scanned_on, codes.DEXA_SITES.index(r.site) if r.site in codes.DEXA_SITES else 99)
        if column == self.COL_SITE:
            return (codes.DEXA_SITES.index(r.site) if r.site in codes.DEXA_SITES else 99, r.scanned_on)
        if column == self.COL_Z:
            return r.z_score
        if column == self.COL_T:
            return r.t_score
        if column == self.COL_BMD:
            return r.bmd
        if column == self.COL_CHANGE:
            return r.change.percent if r.change is not None else None
        return self.display(item, column).casefold() or None

    def extra(self, item: DexaRow, column: int, role: Qt.ItemDataRole) -> Any:
        r = item.reading
        if role == Qt.ItemDataRole.ToolTipRole:
            if column == self.COL_CHANGE and r.change is not None:
                return r.change.describe(r.site)
            if column == self.COL_FEEDING and item.weeks_postpartum is not None:
                return f"{breastfeeding_cell(item)}; scanned {item.weeks_postpartum} weeks postpartum"
            return r.summary
        below = r.classification == BELOW_EXPECTED_RANGE
        if column in (self.COL_Z, self.COL_READING) and below:
            if role == Qt.ItemDataRole.ForegroundRole:
                return QBrush(LOW_TEXT.on())
            if role == Qt.ItemDataRole.FontRole:
                return self._bold
        if column == self.COL_CHANGE and r.significant_change:
            if role == Qt.ItemDataRole.ForegroundRole:
                return QBrush(BEYOND_TEXT.on())
            if role == Qt.ItemDataRole.FontRole:
                return self._bold
        return None


class DexaSection(RecordSection):
    """Her DEXA: the chart, the gate's reading of the latest scan, and every scan in a table."""

    key = "dexa"
    title = "DEXA"

    add_requested = Signal(str)                  # "dexa"
    edit_requested = Signal(object)              # the DexaScan
    entered_in_error_requested = Signal(object)  # the DexaScan

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("section_dexa")
        self.view: PatientView | None = None

        self.heading = QLabel(self.title)
        self.heading.setObjectName("recordSectionTitle")
        self.chart = DexaChart()
        self.chart.point_clicked.connect(self._on_chart_point_clicked)

        self.reading_label = QLabel()
        self.reading_label.setObjectName("dexaInterpretation")
        self.reading_label.setAccessibleName("The gate's reading of her latest DEXA")
        self.reading_label.setWordWrap(True)
        self.reading_label.setTextFormat(Qt.TextFormat.RichText)
        self.reading_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.note_label = QLabel(READING_NOTE)
        self.note_label.setObjectName("dexaReadingNote")
        self.note_label.setWordWrap(True)
        note_font = QFont(self.note_label.font())
        note_font.setItalic(True)
        self.note_label.setFont(note_font)

        self.empty_label = QLabel(NO_DEXA)
        self.empty_label.setObjectName("noDexa")
        self.empty_label.setAccessibleName(NO_DEXA)
        empty_font = QFont(self.empty_label.font())
        empty_font.setPointSizeF(empty_font.pointSizeF() * 1.2)
        self.empty_label.setFont(empty_font)

        self.model = DexaTableModel(self)
        self.proxy = RowSortProxy(self)
        self.proxy.setSourceModel(self.model)
        self.table = QTableView()
        self.table.setObjectName("dexaTable")
        self.table.setAccessibleName("Her DEXA scans")
        self.table.setModel(self.proxy)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setAlternatingRowColors(True)
        self.table.setSortingEnabled(True)
        self.table.sortByColumn(-1, Qt.SortOrder.AscendingOrder)   # oldest first, as the gate reads them
        self.table.setWordWrap(True)
        self.table.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.table.verticalHeader().hide()
        self.table.verticalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header = self.table.horizontalHeader()
        header.setHighlightSections(False)
        header.setStretchLastSection(False)
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(DexaTableModel.COL_CHANGE, QHeaderView.ResizeMode.Stretch)
        self.table.setMinimumHeight(140)
        self.table.selectionModel().selectionChanged.connect(self._on_table_selection_changed)
        self.table.doubleClicked.connect(self._on_table_double_clicked)

        self.actions = EntryActions(
            self, self.selected_scan,
            edit=ButtonWords("Edit\u2026", "editDexaButton", "Edit the selected DEXA scan"),
            error=ButtonWords("Entered in error\u2026", "dexaEnteredInErrorButton",
                              "Mark the selected DEXA scan as entered in error"))
        self.add_button = self.actions.add_button(ButtonWords("Add DEXA scan\u2026", "addDexaButton", "Add a DEXA scan"),
                                                  self.key)
        self.edit_button, self.error_button = self.actions.edit_button, self.actions.error_button
        buttons = self.actions.row(self.add_button, self.edit_button, self.error_button)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(16, 8, 16, 10)
        layout.setSpacing(6)
        layout.addWidget(self.heading)
        layout.addWidget(self.chart, 3)
        layout.addWidget(self.empty_label)
        layout.addLayout(buttons)
        layout.addWidget(self.table, 2)
        layout.addWidget(self.reading_label)
        layout.addWidget(self.note_label)
        self._update_buttons()

    # -- showing -------------------------------------------------------------------------
    def show_view(self, view: PatientView) -> None:
        selected = self.selected_scan()
        self.view = view
        self.chart.show_view(view)
        rows = dexa_rows(view.dexa_reading, view.dexa, view.record)
        self.model.set_rows(rows)
        has_scans = bool(rows)
        self.reading_label.setText(interpretation_html(view))
        self.reading_label.setVisible(has_scans)
        self.empty_label.setText(interpretation_text(view) if not has_scans else NO_DEXA)
        self.empty_label.setVisible(not has_scans)
        self.table.setVisible(has_scans)
        self.chart.setVisible(has_scans)   # the words below say there is none
        if selected is not None:
            self.select_scan(selected.id)
        self._update_buttons()

    def row_value(self, proxy_row: int) -> DexaRow:
        return self.proxy.index(proxy_row, 0).data(ROW_ROLE)

    def selected_row(self) -> DexaRow | None:
        rows = self.table.selectionModel().selectedRows()
        return rows[0].data(ROW_ROLE) if rows else None

    def selected_scan(self) -> DexaScan | None:
        row = self.selected_row()
        return row.scan if row is not None else None

    def select_scan(self, scan_id: int | None) -> bool:
        for n in range(self.proxy.rowCount()):
            row = self.row_value(n)
            if row.scan is not None and row.scan.id == scan_id and scan_id is not None:
                self.table.selectRow(n)
                return True
        return False

    def _select_reading(self, site: str, day: date) -> bool:
        for n in range(self.proxy.rowCount()):
            r = self.row_value(n).reading
            if r.site == site and r.scanned_on == day:
                self.table.selectRow(n)
                return True
        return False

    def _update_buttons(self) -> None:
        self.actions.update()

    # -- slots -----------------------------------------------------------------------------
    def _on_table_selection_changed(self, *_args) -> None:
        self._update_buttons()
        row = self.selected_row()
        point = None
        if row is not None and row.reading.z_score is not None:
            point = next((p for p in self.chart.points if p.reading == row.reading), None)
        self.chart.set_selected(point)

    def _on_chart_point_clicked(self, point: ChartPoint) -> None:
        self._select_reading(point.site, point.scanned_on)

    def _on_table_double_clicked(self, _index) -> None:
        scan = self.selected_scan()
        if scan is not None:
            self.edit_requested.emit(scan)


__all__ = [
    "READING_NOTE", "DexaRow", "dexa_rows", "change_cell", "breastfeeding_cell", "interpretation_text", "interpretation_html",
    "DexaTableModel", "DexaSection",
]
