"""The caseload table: one row per woman, as `services.caseload_rows()` returns them.

`RowTableModel` and `RowSortProxy` are the conventions every list of the app follows:
column constants, `ROW_ROLE` for the row value, `SORT_ROLE` for the raw value a column
sorts by (None last in either order), `set_rows()` with a model reset.

The source model sorts itself and the proxy only filters: a proxy that sorts asks the
model for two values per comparison, each a call from C++ into Python, and that costs
seconds at 10,000 rows.  Python's own sort of the raw values takes milliseconds.
"""

from __future__ import annotations

import unicodedata
from typing import Any, Sequence

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, QSortFilterProxyModel, Qt
from PySide6.QtGui import QBrush, QColor

from pao_clinic.record.dates import written_date
from pao_clinic.gate.facts import written_number
from pao_clinic.services import CaseloadRow

ROW_ROLE = Qt.ItemDataRole.UserRole
SORT_ROLE = Qt.ItemDataRole.UserRole + 1   # the raw value a column sorts by (date, number, folded text, None)

Index = QModelIndex | QPersistentModelIndex

ALIGN_NUMBER = Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter
ALIGN_TEXT = Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter

#: Lactation codes in the words the caseload shows.
LACTATION_WORDS: dict[str, str] = {
    "breastfeeding": "Breastfeeding",
    "ceased": "Ceased",
    "unknown": "Unknown \u2014 ask",
    "not_breastfed": "Not breastfed",
    "not_applicable": "No births",
}
LACTATION_TIPS: dict[str, str] = {
    "breastfeeding": "Breastfeeding today",
    "ceased": "Breastfed after her latest birth and has stopped",
    "unknown": "No feeding entry for her latest birth: ask whether she breastfed, and when she stopped",
    "not_breastfed": "Did not breastfeed after her latest birth",
    "not_applicable": "No birth on record",
}
ATTENTION_COLOUR = QColor("#8a4b00")  # dark amber text: something to ask or do
NOTHING = "\u2014"  # shown where there is no value (no birth, no Z-score)


class RowTableModel(QAbstractTableModel):
    """A read-only table of frozen row values; subclasses say what each column shows.

    Subclasses that precompute values per row (in `_prepare`) name those lists in
    `PER_ROW`, so sorting keeps them in step with the rows.
    """

    HEADERS: tuple[str, ...] = ()
    HEADER_TIPS: tuple[str, ...] = ()
    ALIGNMENTS: tuple[Qt.AlignmentFlag, ...] = ()
    PER_ROW: tuple[str, ...] = ()

    def __init__(self, parent=None):
        super().__init__(parent)
        self._rows: list = []
        self._sort_column = -1
        self._sort_order = Qt.SortOrder.AscendingOrder

    # -- filling ---------------------------------------------------------------
    def set_rows(self, rows: Sequence) -> None:
        """Replace every row (a model reset), kept in the current sort order."""
        self.beginResetModel()
        self._rows = list(rows)
        self._prepare()
        self._reorder(self._sorted_rows())
        self.endResetModel()

    def _prepare(self) -> None:
        """Precompute per-row values after the rows change (inside the reset)."""

    def rows(self) -> list:
        return list(self._rows)

    # -- sorting -----------------------------------------------------------------
    def sort(self, column: int, order: Qt.SortOrder = Qt.SortOrder.AscendingOrder) -> None:
        """Order the rows by a column's raw values (None last); a layout change, so selections follow."""
        self._sort_column, self._sort_order = column, order
        order_of_rows = self._sorted_rows()
        if order_of_rows == list(range(len(self._rows))):
            return
        self.layoutAboutToBeChanged.emit()
        new_place = {old: new for new, old in enumerate(order_of_rows)}
        before = self.persistentIndexList()
        after = [self.index(new_place[i.row()], i.column()) if i.isValid() else QModelIndex() for i in before]
        self._reorder(order_of_rows)
        self.changePersistentIndexList(before, after)
        self.layoutChanged.emit()

    def _sorted_rows(self) -> list[int]:
        """The current rows' numbers in the order of the sort column (None last either way)."""
        n, column = len(self._rows), self._sort_column
        if not (0 <= column < len(self.HEADERS)):
            return list(range(n))
        values = [self.sort_value(row, column) for row in range(n)]
        present = [row for row in range(n) if values[row] is not None]
        missing = [row for row in range(n) if values[row] is None]
        descending = self._sort_order == Qt.SortOrder.DescendingOrder
        present.sort(key=values.__getitem__, reverse=descending)  # stable: ties keep their order
        return present + missing

    def _reorder(self, order_of_rows: list[int]) -> None:
        self._rows = [self._rows[i] for i in order_of_rows]
        for name in self.PER_ROW:
            values = getattr(self, name)
            setattr(self, name, [values[i] for i in order_of_rows])

    # -- what subclasses provide -------------------------------------------------
    def display(self, item: Any, column: int) -> str:
        raise NotImplementedError

    def sort_value(self, row: int, column: int) -> Any:
        """The raw value column `column` of row `row` sorts by (None sorts last)."""
        raise NotImplementedError

    def extra(self, item: Any, column: int, role: Qt.ItemDataRole) -> Any:
        """Any other role (tooltips, colours, fonts); None when nothing."""
        return None

    # -- QAbstractTableModel -------------------------------------------------------
    def rowCount(self, parent: Index = QModelIndex()) -> int:
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent: Index = QModelIndex()) -> int:
        return 0 if parent.isValid() else len(self.HEADERS)

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid():
            return None
        row, column = index.row(), index.column()
        if not (0 <= row < len(self._rows) and 0 <= column < len(self.HEADERS)):
            return None
        item = self._rows[row]
        if role == Qt.ItemDataRole.DisplayRole:
            return self.display(item, column)
        if role == ROW_ROLE:
            return item
        if role == SORT_ROLE:
            return self.sort_value(row, column)
        if role == Qt.ItemDataRole.TextAlignmentRole and self.ALIGNMENTS:
            return self.ALIGNMENTS[column]
        return self.extra(item, column, role)

    def headerData(self, section: int, orientation: Qt.Orientation,
                   role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if orientation == Qt.Orientation.Horizontal and 0 <= section < len(self.HEADERS):
            if role == Qt.ItemDataRole.DisplayRole:
                return self.HEADERS[section]
            if role == Qt.ItemDataRole.TextAlignmentRole and self.ALIGNMENTS:
                return self.ALIGNMENTS[section]
            if role == Qt.ItemDataRole.ToolTipRole and self.HEADER_TIPS:
                return self.HEADER_TIPS[section]
        return None

    def flags(self, index: Index) -> Qt.ItemFlag:
        if not index.isValid():
            return Qt.ItemFlag.NoItemFlags
        return Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable | Qt.ItemFlag.ItemNeverHasChildren


class RowSortProxy(QSortFilterProxyModel):
    """Passes sorting to its RowTableModel (which sorts natively fast) and keeps its order.

    The proxy itself never sorts (its own sort column stays -1), so filtering is one
    `filterAcceptsRow` per row and no comparisons.
    """

    def sort(self, column: int, order: Qt.SortOrder = Qt.SortOrder.AscendingOrder) -> None:
        source = self.sourceModel()
        if source is not None:
            source.sort(column, order)


# --- searching --------------------------------------------------------------------

# Letters that carry no combining mark under NFKD and so need an explicit plain form.
_PLAIN_LETTERS = str.maketrans({
    "Ł": "L", "ł": "l", "Ø": "O", "ø": "o", "Đ": "D", "đ": "d", "Ð": "D", "ð": "d",
    "Ħ": "H", "ħ": "h", "Ŧ": "T", "ŧ": "t", "ı": "i", "Æ": "AE", "æ": "ae",
    "Œ": "OE", "œ": "oe", "Þ": "TH", "þ": "th", "ß": "ss",
    "\u2019": "'", "\u2018": "'", "\u2010": "-", "\u2011": "-", "\u2013": "-",
})


def search_fold(text: str) -> str:
    """Text as the filter compares it: no accents, no case ("Łucja Zoë" -> "lucja zoe")."""
    decomposed = unicodedata.normalize("NFKD", text.translate(_PLAIN_LETTERS))
    return "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()


def search_terms(text: str) -> list[str]:
    """The words typed, folded; a number typed with spaces ("943 476") is one term."""
    folded = search_fold(text).strip()
    compact = "".join(folded.split())
    if compact.isdigit():
        return [compact]
    return folded.split()


def caseload_search_key(row: CaseloadRow) -> str:
    """Everything the caseload filter looks in, folded once per row."""
    parts = (
        f"{row.family_name}, {row.given_name}",
        f"{row.given_name} {row.family_name}",
        row.nhs_number.replace(" ", ""),
        row.hospital_number,
    )
    return search_fold("\n".join(parts))


class CaseloadTableModel(RowTableModel):
    (COL_NAME, COL_NHS_NUMBER, COL_HOSPITAL_NUMBER, COL_AGE, COL_LATEST_DELIVERY,
     COL_FRACTURES, COL_LOWEST_Z, COL_LACTATION, COL_OPEN_REFERRALS) = range(9)

    HEADERS = ("Name", "NHS number", "Hospital\nnumber", "Age", "Latest\ndelivery",
               "Fractures", "Lowest\nZ-score", "Breastfeeding", "Open\nreferrals")
    HEADER_TIPS = ("Family name, given name", "NHS number", "Hospital number", "Age today",
                   "Her most recent birth", "Fractures on record", "Lowest Z-score of her latest DEXA",
                   "Breastfeeding status today", "Referrals not yet seen, declined or cancelled")
    ALIGNMENTS = (ALIGN_TEXT, ALIGN_TEXT, ALIGN_TEXT, ALIGN_NUMBER, ALIGN_TEXT,
                  ALIGN_NUMBER, ALIGN_NUMBER, ALIGN_TEXT, ALIGN_NUMBER)

    PER_ROW = ("_search_keys", "_name_keys")

    def __init__(self, parent=None):
        super().__init__(parent)
        self._search_keys: list[str] = []
        self._name_keys: list[str] = []

    def _prepare(self) -> None:
        self._search_keys = [caseload_search_key(r) for r in self._rows]
        self._name_keys = [search_fold(f"{r.family_name}\t{r.given_name}") for r in self._rows]

    def search_key(self, row: int) -> str:
        return self._search_keys[row]

    def display(self, item: CaseloadRow, column: int) -> str:
        if column == self.COL_NAME:
            return item.name
        if column == self.COL_NHS_NUMBER:
            return item.nhs_number
        if column == self.COL_HOSPITAL_NUMBER:
            return item.hospital_number
        if column == self.COL_AGE:
            return str(item.age)
        if column == self.COL_LATEST_DELIVERY:
            return written_date(item.latest_delivery) if item.latest_delivery else NOTHING
        if column == self.COL_FRACTURES:
            return str(item.fracture_count)
        if column == self.COL_LOWEST_Z:
            return written_number(item.lowest_z) if item.lowest_z is not None else NOTHING
        if column == self.COL_LACTATION:
            return LACTATION_WORDS.get(item.lactation, item.lactation)
        if column == self.COL_OPEN_REFERRALS:
            return str(item.open_referrals) if item.open_referrals else ""
        return ""

    def sort_value(self, row: int, column: int) -> Any:
        item = self._rows[row]
        if column == self.COL_NAME:
            return self._name_keys[row]
        if column == self.COL_NHS_NUMBER:
            return item.nhs_number or None
        if column == self.COL_HOSPITAL_NUMBER:
            return item.hospital_number or None
        if column == self.COL_AGE:
            return item.age
        if column == self.COL_LATEST_DELIVERY:
            return item.latest_delivery
        if column == self.COL_FRACTURES:
            return item.fracture_count
        if column == self.COL_LOWEST_Z:
            return item.lowest_z
        if column == self.COL_LACTATION:
            return LACTATION_WORDS.get(item.lactation, item.lactation)
        if column == self.COL_OPEN_REFERRALS:
            return item.open_referrals
        return None

    def extra(self, item: CaseloadRow, column: int, role: Qt.ItemDataRole) -> Any:
        if column == self.COL_LACTATION:
            if role == Qt.ItemDataRole.ToolTipRole:
                return LACTATION_TIPS.get(item.lactation)
            if role == Qt.ItemDataRole.ForegroundRole and item.lactation == "unknown":
                return QBrush(ATTENTION_COLOUR)
        if role == Qt.ItemDataRole.ToolTipRole and column == self.COL_LOWEST_Z and item.lowest_z is None:
            return "No Z-score: no DEXA, or T-scores only"
        if role == Qt.ItemDataRole.ToolTipRole and column == self.COL_NAME:
            return f"{item.given_name} {item.family_name}, {item.age}"
        return None


class CaseloadFilterProxy(RowSortProxy):
    """Filters as you type on name, NHS number (spaces or none) and hospital number.

    Case- and accent-insensitive; every word typed must appear.  The source rows'
    search keys are computed once in `set_rows`, so a keystroke is one pass over
    strings in memory.
    """

    def __init__(self, parent=None):
        super().__init__(parent)
        self._terms: list[str] = []

    def set_search_text(self, text: str) -> None:
        terms = search_terms(text)
        if terms == self._terms:
            return
        self.beginFilterChange()
        self._terms = terms
        self.endFilterChange(QSortFilterProxyModel.Direction.Rows)

    def filterAcceptsRow(self, source_row: int, source_parent: Index) -> bool:
        if not self._terms:
            return True
        key = self.sourceModel().search_key(source_row)
        return all(term in key for term in self._terms)
