"""The caseload table: one row per woman, as `services.caseload_rows()` returns them.

`RowTableModel` and `RowSortProxy` are the conventions every list of the app follows:
column constants, `ROW_ROLE` for the row value, `SORT_ROLE` for the raw value a column
sorts by (None last in either order), `set_rows()` with a model reset.

The source model sorts itself and the proxy only filters: a proxy that sorts asks the
model for two values per comparison, each a call from C++ into Python, and that costs
seconds at 10,000 rows.  Python's own sort of the raw values takes milliseconds.
"""

from __future__ import annotations

import functools
import unicodedata
from dataclasses import dataclass
from typing import Any, Callable, Iterable, Sequence

from PySide6.QtCore import (
    QAbstractProxyModel, QAbstractTableModel, QModelIndex, QPersistentModelIndex, QRect, QSize, QSortFilterProxyModel, Qt,
)
from PySide6.QtGui import QBrush, QColor, QFont, QFontMetrics, QPainter, QPen
from PySide6.QtWidgets import QAbstractItemView, QStyle, QStyledItemDelegate, QStyleOptionViewItem, QTableView

from pao_clinic.record.dates import written_date
from pao_clinic.gate.facts import written_number
from pao_clinic.services import CaseloadRow
from pao_clinic.services.caseload import (
    FLAG_BREASTFEEDING, FLAG_DECISION_DUE, FLAG_MOOD, FLAG_PREGNANT, FLAG_REFERRAL_OVERDUE, FLAG_REPEAT_FRACTURE,
    CaseloadFlag,
)
from pao_clinic.services.patient_view import banner_name

ROW_ROLE = Qt.ItemDataRole.UserRole
SORT_ROLE = Qt.ItemDataRole.UserRole + 1   # the raw value a column sorts by (date, number, folded text, None)

Index = QModelIndex | QPersistentModelIndex

#: every list's cells: enabled, selectable, flat (made once: the view asks for each cell it paints)
ROW_FLAGS = Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable | Qt.ItemFlag.ItemNeverHasChildren

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
WORKING_OUT = "\u2026"  # a first line's flags, Z-score and lactation before they are worked out
WORKING_OUT_TIP = "Being worked out: her status, Z-score and feeding follow in a moment"


class RowTableModel(QAbstractTableModel):
    """A read-only table of frozen row values; subclasses say what each column shows.

    Subclasses that precompute values per row (in `_prepare`) name those lists in
    `PER_ROW`, so sorting keeps them in step with the rows.
    """

    HEADERS: tuple[str, ...] = ()
    HEADER_TIPS: tuple[str, ...] = ()
    ALIGNMENTS: tuple[Qt.AlignmentFlag, ...] = ()
    PER_ROW: tuple[str, ...] = ()
    #: the roles `data` answers (None: every role goes to `extra`); painting asks ~10 roles a cell,
    #: and a subclass that names its own returns the others at once, without a call into `extra`
    ROLES: frozenset[int] | None = None

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

    def row_at(self, row: int) -> Any:
        """The row value at a source row (no copy, no call through Qt)."""
        return self._rows[row]

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
        return self.value_at(index.row(), index.column(), role)

    def value_at(self, row: int, column: int, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        """`data` of a row and column (a proxy asks this straight, without making the source's index)."""
        if (self.ROLES is not None and role not in self.ROLES) or not (
                0 <= row < len(self._rows) and 0 <= column < len(self.HEADERS)):
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
        return ROW_FLAGS if index.isValid() else Qt.ItemFlag.NoItemFlags


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
    if text.isascii():  # most names: nothing to decompose (and ten times quicker)
        return text.casefold()
    decomposed = unicodedata.normalize("NFKD", text.translate(_PLAIN_LETTERS))
    return "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()


def search_terms(text: str) -> list[str]:
    """The words typed, folded; a number typed with spaces ("943 476") is one term."""
    folded = search_fold(text).strip()
    compact = "".join(folded.split())
    if compact.isdigit():
        return [compact]
    return folded.split()


@functools.lru_cache(maxsize=1 << 16)
def folded_name(name: str) -> str:
    """`search_fold` of one name, remembered: a caseload repeats its family and given names."""
    return search_fold(name)


def caseload_search_key(row: CaseloadRow) -> str:
    """Everything the caseload filter looks in, folded once per row.

    Each part is folded on its own (folding goes letter by letter, so the parts joined by
    plain separators fold to the fold of the whole), the names from `folded_name`.
    """
    family, given = folded_name(row.family_name), folded_name(row.given_name)
    return "\n".join((f"{family}, {given}", f"{given} {family}", row.nhs_number.replace(" ", ""),
                      search_fold(row.hospital_number)))


def caseload_name_key(row: CaseloadRow) -> str:
    """What the Name column sorts by: family name, then given name, folded."""
    return f"{folded_name(row.family_name)}\t{folded_name(row.given_name)}"


#: Each kind of flag's badge colours (background, border, text); the badge always carries its words too.
FLAG_COLOURS: dict[str, tuple[str, str, str]] = {
    FLAG_PREGNANT: ("#fde7e4", "#b3261e", "#7a1712"),
    FLAG_BREASTFEEDING: ("#fde7e4", "#b3261e", "#7a1712"),
    FLAG_DECISION_DUE: ("#e3eefa", "#1f5f99", "#0d3c66"),
    FLAG_REPEAT_FRACTURE: ("#fdecd8", "#a35a00", "#5c3300"),
    FLAG_REFERRAL_OVERDUE: ("#f1e4f5", "#6a1b9a", "#4a126b"),
    FLAG_MOOD: ("#e6f2e6", "#2e6b30", "#1b4d1d"),
}
_OTHER_FLAG_COLOURS = ("#eeeeee", "#555555", "#222222")
FLAG_SEPARATOR = " \u00b7 "   # between the flags' words in the cell's text


def flags_text(flags: Iterable[CaseloadFlag]) -> str:
    """A line's flags as the cell's text: "Blocked: breastfeeding · Decision due"."""
    return FLAG_SEPARATOR.join(flag.text + (" (urgent)" if flag.urgent else "") for flag in flags)


def badge_layout(widths: list[int], available: int, gap: int, more_width: int) -> tuple[list[int], int]:
    """Where each badge of the given widths starts, left to right, within `available` pixels.

    Returns the x offsets of the badges that fit and how many are left over; when some
    do not fit, room is kept at the end for a "+N" badge `more_width` wide.
    """
    xs: list[int] = []
    x = 0
    for i, width in enumerate(widths):
        last = i == len(widths) - 1
        room_needed = width if last else width + gap + more_width
        if x + room_needed > available and not (last and x + width <= available):
            break
        xs.append(x)
        x += width + gap
    return xs, len(widths) - len(xs)


class FlagBadgeDelegate(QStyledItemDelegate):
    """Draws a caseload line's flags as badges: a framed word each, urgent ones bold with a "!"."""

    PAD_X, PAD_Y, GAP, RADIUS = 6, 2, 4, 4

    def _font(self, option: QStyleOptionViewItem, urgent: bool) -> QFont:
        font = QFont(option.font)
        font.setBold(urgent)
        return font

    @staticmethod
    def badge_words(flag: CaseloadFlag) -> str:
        return f"! {flag.text}" if flag.urgent else flag.text

    def _widths(self, option: QStyleOptionViewItem, flags: tuple[CaseloadFlag, ...]) -> list[int]:
        return [QFontMetrics(self._font(option, f.urgent)).horizontalAdvance(self.badge_words(f)) + 2 * self.PAD_X
                for f in flags]

    def paint(self, painter: QPainter, option: QStyleOptionViewItem, index: QModelIndex) -> None:
        row = index.data(ROW_ROLE)
        flags = getattr(row, "flags", ())
        if not flags:
            super().paint(painter, option, index)
            return
        self.initStyleOption(option, index)
        option.text = ""
        style = option.widget.style() if option.widget is not None else None
        if style is not None:
            style.drawControl(QStyle.ControlElement.CE_ItemViewItem, option, painter, option.widget)
        widths = self._widths(option, flags)
        more = QFontMetrics(option.font).horizontalAdvance("+9") + 2 * self.PAD_X
        rect = option.rect.adjusted(3, 0, -3, 0)
        xs, left_over = badge_layout(widths, rect.width(), self.GAP, more)
        height = QFontMetrics(option.font).height() + 2 * self.PAD_Y
        top = rect.top() + (rect.height() - height) // 2
        painter.save()
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        for flag, x, width in zip(flags, xs, widths):
            background, border, text = FLAG_COLOURS.get(flag.kind, _OTHER_FLAG_COLOURS)
            badge = QRect(rect.left() + x, top, width, height)
            painter.setPen(QPen(QColor(border), 2 if flag.urgent else 1))
            painter.setBrush(QColor(background))
            painter.drawRoundedRect(badge, self.RADIUS, self.RADIUS)
            painter.setPen(QColor(text))
            painter.setFont(self._font(option, flag.urgent))
            painter.drawText(badge, Qt.AlignmentFlag.AlignCenter, self.badge_words(flag))
        if left_over:
            x = rect.left() + (xs[-1] + widths[len(xs) - 1] + self.GAP if xs else 0)
            badge = QRect(x, top, more, height)
            painter.setPen(QPen(option.palette.text().color(), 1))
            painter.setBrush(Qt.BrushStyle.NoBrush)
            painter.setFont(option.font)
            painter.drawRoundedRect(badge, self.RADIUS, self.RADIUS)
            painter.drawText(badge, Qt.AlignmentFlag.AlignCenter, f"+{left_over}")
        painter.restore()

    def sizeHint(self, option: QStyleOptionViewItem, index: QModelIndex) -> QSize:
        flags = getattr(index.data(ROW_ROLE), "flags", ())
        base = super().sizeHint(option, index)
        if not flags:
            return base
        widths = self._widths(option, flags)
        width = sum(widths) + self.GAP * (len(widths) - 1) + 6
        return QSize(width, max(base.height(), QFontMetrics(option.font).height() + 2 * self.PAD_Y + 4))


class CaseloadTableModel(RowTableModel):
    (COL_NAME, COL_BORN, COL_AGE, COL_FLAGS, COL_NHS_NUMBER, COL_HOSPITAL_NUMBER, COL_LATEST_DELIVERY,
     COL_FRACTURES, COL_LOWEST_Z, COL_LACTATION, COL_OPEN_REFERRALS) = range(11)

    HEADERS = ("Name", "Born", "Age", "Status", "NHS number", "Hospital\nnumber", "Latest\ndelivery",
               "Fractures", "Lowest\nZ-score", "Breastfeeding", "Open\nreferrals")
    HEADER_TIPS = ("FAMILY NAME, given name", "Date of birth", "Age today",
                   "Status flags today: blocked by pregnancy or breastfeeding, decision due, repeat fracture, "
                   "referral overdue, mood", "NHS number", "Hospital number",
                   "Her most recent birth", "Fractures on record", "Lowest Z-score of her latest DEXA",
                   "Breastfeeding status today", "Referrals not yet seen, declined or cancelled")
    ALIGNMENTS = (ALIGN_TEXT, ALIGN_TEXT, ALIGN_NUMBER, ALIGN_TEXT, ALIGN_TEXT, ALIGN_TEXT, ALIGN_TEXT,
                  ALIGN_NUMBER, ALIGN_NUMBER, ALIGN_TEXT, ALIGN_NUMBER)

    PER_ROW = ("_search_keys", "_name_keys", "_flag_texts", "_cells")
    ROLES = frozenset({Qt.ItemDataRole.DisplayRole, ROW_ROLE, SORT_ROLE, Qt.ItemDataRole.TextAlignmentRole,
                       Qt.ItemDataRole.ToolTipRole, Qt.ItemDataRole.AccessibleDescriptionRole,
                       Qt.ItemDataRole.ForegroundRole})

    def __init__(self, parent=None):
        super().__init__(parent)
        self._search_keys: list[str] = []
        self._name_keys: list[str] = []
        self._flag_texts: list[str] = []
        self._cells: list[tuple[str, ...] | None] = []

    def _prepare(self) -> None:
        self._search_keys = [caseload_search_key(r) for r in self._rows]
        self._name_keys = [caseload_name_key(r) for r in self._rows]
        self._flag_texts = [flags_text(r.flags) for r in self._rows]
        self._cells = [None] * len(self._rows)  # a row's words, made when it is first painted

    def value_at(self, row: int, column: int, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        """As RowTableModel's, with each row's words made once (a row is painted several times a keystroke)."""
        if role == Qt.ItemDataRole.DisplayRole and 0 <= row < len(self._rows) and 0 <= column < len(self.HEADERS):
            cells = self._cells[row]
            if cells is None:
                item = self._rows[row]
                cells = self._cells[row] = tuple(self.display(item, c) for c in range(len(self.HEADERS)))
            return cells[column]
        return super().value_at(row, column, role)

    def search_key(self, row: int) -> str:
        return self._search_keys[row]

    def search_keys(self) -> list[str]:
        """Every row's search key, in row order (the list itself: do not change it)."""
        return self._search_keys

    def row_values(self) -> list:
        """Every row value, in row order (the list itself: do not change it)."""
        return self._rows

    #: the columns a first line (`CaseloadRow.worked_out` False) does not know yet
    WORKED_OUT_COLUMNS = frozenset({3, 8, 9})  # COL_FLAGS, COL_LOWEST_Z, COL_LACTATION

    def display(self, item: CaseloadRow, column: int) -> str:
        if not item.worked_out and column in self.WORKED_OUT_COLUMNS:
            return WORKING_OUT
        if column == self.COL_NAME:
            return banner_name(item.family_name, item.given_name)
        if column == self.COL_BORN:
            return written_date(item.date_of_birth) if item.date_of_birth else NOTHING
        if column == self.COL_AGE:
            return str(item.age)
        if column == self.COL_FLAGS:
            return flags_text(item.flags)
        if column == self.COL_NHS_NUMBER:
            return item.nhs_number
        if column == self.COL_HOSPITAL_NUMBER:
            return item.hospital_number
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
        if column == self.COL_BORN:
            return item.date_of_birth
        if column == self.COL_AGE:
            return item.age
        if column == self.COL_FLAGS:  # most flags first when descending; none last either way
            return (len(item.flags), self._flag_texts[row]) if item.flags else None
        if column == self.COL_NHS_NUMBER:
            return item.nhs_number or None
        if column == self.COL_HOSPITAL_NUMBER:
            return item.hospital_number or None
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
        if not item.worked_out and column in self.WORKED_OUT_COLUMNS:
            return WORKING_OUT_TIP if role in (Qt.ItemDataRole.ToolTipRole,
                                               Qt.ItemDataRole.AccessibleDescriptionRole) else None
        if column == self.COL_LACTATION:
            if role == Qt.ItemDataRole.ToolTipRole:
                return LACTATION_TIPS.get(item.lactation)
            if role == Qt.ItemDataRole.ForegroundRole and item.lactation == "unknown":
                return QBrush(ATTENTION_COLOUR)
        if column == self.COL_FLAGS and role in (Qt.ItemDataRole.ToolTipRole, Qt.ItemDataRole.AccessibleDescriptionRole):
            return "\n".join(f"{flag.text}: {flag.detail}" for flag in item.flags) or "No status flags today"
        if role == Qt.ItemDataRole.ToolTipRole and column == self.COL_LOWEST_Z and item.lowest_z is None:
            return "No Z-score: no DEXA, or T-scores only"
        if role == Qt.ItemDataRole.ToolTipRole and column == self.COL_NAME:
            return f"{item.given_name} {item.family_name}, {item.age}"
        if role == Qt.ItemDataRole.ToolTipRole and column == self.COL_BORN and item.date_of_birth:
            return f"Born {written_date(item.date_of_birth)}, {item.age} today"
        return None


# --- quick filters ----------------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class QuickFilter:
    """A toggle above the caseload: which lines it keeps."""

    key: str
    label: str
    tip: str
    keeps: Callable[[CaseloadRow], bool]


QUICK_FILTERS: tuple[QuickFilter, ...] = (
    QuickFilter("decision_due", "Decision due", "Only women for whom a treatment decision is due",
                lambda r: r.has_flag(FLAG_DECISION_DUE)),
    QuickFilter("breastfeeding", "Breastfeeding", "Only women breastfeeding today (osteoporosis drugs deferred)",
                lambda r: r.has_flag(FLAG_BREASTFEEDING)),
    QuickFilter("referral_overdue", "Overdue referrals", "Only women with a referral sent and not acknowledged in time",
                lambda r: r.has_flag(FLAG_REFERRAL_OVERDUE)),
    QuickFilter("urgent", "Urgent tasks", "Only women with an urgent task on today's worklist",
                lambda r: r.urgent_tasks > 0),
)
QUICK_FILTER_KEYS: tuple[str, ...] = tuple(f.key for f in QUICK_FILTERS)
_QUICK = {f.key: f for f in QUICK_FILTERS}


def quick_filter(key: str) -> QuickFilter:
    return _QUICK[key]


class CaseloadFilterProxy(QAbstractProxyModel):
    """Filters as you type on name, NHS number (spaces or none) and hospital number, and by quick filters.

    Case- and accent-insensitive; every word typed must appear, and every quick filter
    switched on must keep the line.  The source rows' search keys are computed once in
    `set_rows`, and a keystroke is one pass in Python over those strings: the proxy keeps
    the list of source rows it shows, so Qt never calls back into Python once per row
    (a QSortFilterProxyModel's filterAcceptsRow costs ~6 µs a row: 60 ms a key at 10,000).
    A change of filter is a model reset (the window puts the selection back); a sort of
    the source is a layout change, so selections follow their rows.
    """

    def __init__(self, parent=None):
        super().__init__(parent)
        self._terms: list[str] = []
        self._quick: tuple[QuickFilter, ...] = ()
        self._shown: list[int] = []          # proxy row -> source row
        self._place: list[int] | None = None  # source row -> proxy row (-1: hidden), made when first asked
        self._held: list = []                # during a source layout change: (proxy index, source index)

    # -- the source ---------------------------------------------------------------
    def setSourceModel(self, source) -> None:
        old = self.sourceModel()
        if old is not None:
            for signal, slot in self._source_signals(old):
                signal.disconnect(slot)
        self.beginResetModel()
        super().setSourceModel(source)
        if source is not None:
            for signal, slot in self._source_signals(source):
                signal.connect(slot)
        self._refilter()
        self.endResetModel()

    def _source_signals(self, source):
        return ((source.modelAboutToBeReset, self._on_source_about_to_be_reset),
                (source.modelReset, self._on_source_reset),
                (source.layoutAboutToBeChanged, self._on_source_layout_about_to_be_changed),
                (source.layoutChanged, self._on_source_layout_changed),
                (source.dataChanged, self._on_source_data_changed))

    def _on_source_about_to_be_reset(self) -> None:
        self.beginResetModel()

    def _on_source_reset(self) -> None:
        self._refilter()
        self.endResetModel()

    def _on_source_layout_about_to_be_changed(self, *_args) -> None:
        self.layoutAboutToBeChanged.emit()
        self._held = [(QPersistentModelIndex(i), QPersistentModelIndex(self.mapToSource(i)))
                      for i in self.persistentIndexList()]

    def _on_source_layout_changed(self, *_args) -> None:
        self._refilter()  # the same rows are kept (a sort): only their order changed
        held, self._held = self._held, []
        before = [QModelIndex(proxy) for proxy, _ in held]
        after = [self.mapFromSource(QModelIndex(source)) for _, source in held]
        self.changePersistentIndexList(before, after)
        self.layoutChanged.emit()

    def _on_source_data_changed(self, top_left, bottom_right, roles=()) -> None:
        rows = [self.mapFromSource(self.sourceModel().index(r, 0)).row()
                for r in range(top_left.row(), bottom_right.row() + 1)]
        rows = [r for r in rows if r >= 0]
        if rows:
            self.dataChanged.emit(self.index(min(rows), top_left.column()),
                                  self.index(max(rows), bottom_right.column()), roles)

    # -- filtering ------------------------------------------------------------------
    def _refilter(self, within: list[int] | None = None) -> None:
        """The source rows shown, in source order (`within`: the only rows that can be, when known)."""
        self._place = None
        source = self.sourceModel()
        if source is None:
            self._shown = []
            return
        count = source.rowCount()
        terms, quick = self._terms, self._quick
        if not terms and not quick:
            self._shown = list(range(count))
            return
        keys, rows = source.search_keys(), source.row_values()
        shown = within if within is not None else range(count)
        for term in terms:
            shown = [i for i in shown if term in keys[i]]
        for spec in quick:
            keeps = spec.keeps
            shown = [i for i in shown if keeps(rows[i])]
        self._shown = list(shown)

    def _filter_changed(self, within: list[int] | None = None) -> None:
        self.beginResetModel()
        self._refilter(within)
        self.endResetModel()

    def set_search_text(self, text: str) -> None:
        terms = search_terms(text)
        if terms == self._terms:
            return
        # typing on: each word typed before is inside a word typed now, so only the lines shown can stay
        narrower = bool(self._terms) and all(any(old in new for new in terms) for old in self._terms)
        self._terms = terms
        self._filter_changed(self._shown if narrower else None)

    def set_quick_filters(self, keys: Iterable[str]) -> None:
        """Keep only the lines every one of these quick filters keeps (none: all lines)."""
        wanted = set(keys)
        unknown = wanted - set(QUICK_FILTER_KEYS)
        if unknown:
            raise KeyError(f"not quick filters: {sorted(unknown)} (known: {', '.join(QUICK_FILTER_KEYS)})")
        chosen = tuple(f for f in QUICK_FILTERS if f.key in wanted)
        if chosen == self._quick:
            return
        self._quick = chosen
        self._filter_changed()

    def quick_filters(self) -> tuple[str, ...]:
        return tuple(f.key for f in self._quick)

    def filterAcceptsRow(self, source_row: int, source_parent: Index = QModelIndex()) -> bool:
        """Whether a source row is shown (as QSortFilterProxyModel names it)."""
        return self.mapFromSource(self.sourceModel().index(source_row, 0)).isValid()

    # -- sorting: the source sorts itself -----------------------------------------------
    def sort(self, column: int, order: Qt.SortOrder = Qt.SortOrder.AscendingOrder) -> None:
        source = self.sourceModel()
        if source is not None:
            source.sort(column, order)

    # -- QAbstractProxyModel ---------------------------------------------------------------
    def index(self, row: int, column: int, parent: Index = QModelIndex()) -> QModelIndex:
        if parent.isValid() or not (0 <= row < len(self._shown)) or not (0 <= column < self.columnCount()):
            return QModelIndex()
        return self.createIndex(row, column)

    def parent(self, index: Index = QModelIndex()) -> QModelIndex:  # a flat table
        return QModelIndex()

    def sibling(self, row: int, column: int, index: Index) -> QModelIndex:
        return self.index(row, column)

    def rowCount(self, parent: Index = QModelIndex()) -> int:
        return 0 if parent.isValid() else len(self._shown)

    def columnCount(self, parent: Index = QModelIndex()) -> int:
        source = self.sourceModel()
        return 0 if parent.isValid() or source is None else source.columnCount()

    def hasChildren(self, parent: Index = QModelIndex()) -> bool:
        return not parent.isValid() and bool(self._shown) and self.columnCount() > 0

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        """The source's value for the row shown here, asked of it straight: painting asks ~10 roles a
        cell, and QAbstractProxyModel's own `data` would call `mapToSource` and make an index for each."""
        source = self.sourceModel()
        if source is None or not index.isValid():
            return None
        row = index.row()
        if not 0 <= row < len(self._shown):
            return None
        return source.value_at(self._shown[row], index.column(), role)

    def mapToSource(self, proxy_index: Index) -> QModelIndex:
        source = self.sourceModel()
        if source is None or not proxy_index.isValid() or not (0 <= proxy_index.row() < len(self._shown)):
            return QModelIndex()
        return source.index(self._shown[proxy_index.row()], proxy_index.column())

    def mapFromSource(self, source_index: Index) -> QModelIndex:
        if not source_index.isValid():
            return QModelIndex()
        if self._place is None:
            place = [-1] * self.sourceModel().rowCount()
            for proxy_row, source_row in enumerate(self._shown):
                place[source_row] = proxy_row
            self._place = place
        row = source_index.row()
        proxy_row = self._place[row] if 0 <= row < len(self._place) else -1
        return self.index(proxy_row, source_index.column()) if proxy_row >= 0 else QModelIndex()

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        source = self.sourceModel()
        if source is None:
            return None
        if orientation == Qt.Orientation.Horizontal:
            return source.headerData(section, orientation, role)
        return super().headerData(section, orientation, role)


def list_table_view(object_name: str, accessible: str = "") -> QTableView:
    """A read-only list of entries: whole rows selected one at a time, sortable, no row numbers.

    The one way a list's QTableView is made; each list adds what is its own (word wrap, stretch).
    """
    view = QTableView()
    view.setObjectName(object_name)
    if accessible:
        view.setAccessibleName(accessible)
    view.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
    view.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
    view.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
    view.setAlternatingRowColors(True)
    view.setSortingEnabled(True)
    view.verticalHeader().hide()
    view.horizontalHeader().setHighlightSections(False)
    return view
