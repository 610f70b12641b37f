"""The gate's answer as the check dialog and the decision dialog both show it.

The words for verdicts and rule levels, and the rule table's model, live here too.
A `VerdictPanel` is the verdict in large words ("Blocked", "Needs a written reason",
"Allowed"), what it means for this drug on this day, the review date when there is
one, and every rule that fired in a table (level, rule, why) as tall as its rows.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtGui import QBrush, QFont, QResizeEvent
from PySide6.QtWidgets import QAbstractItemView, QHBoxLayout, QHeaderView, QLabel, QTableView, QVBoxLayout, QWidget

from pao_clinic import services
from pao_clinic.errors import PaoClinicError
from pao_clinic.gate import GateResult, RuleFinding
from pao_clinic.gate.rules import LEVELS
from pao_clinic.record import codes
from pao_clinic.record.dates import written_date

from .caseload_model import ALIGN_TEXT, RowSortProxy, RowTableModel
from .status_colours import BLOCKED, CAUTION, INFO

VERDICT_WORDS = {
    "blocked": "Blocked",
    "needs_reason": "Needs a written reason",
    "allowed": "Allowed",
}
VERDICT_EXPLANATIONS = {
    "blocked": "Do not start: at least one rule below blocks this drug on this date.",
    "needs_reason": "Starting needs a consultant's written reason against each warning below.",
    "allowed": "No rule blocks or warns. Read the information below before starting.",
}
LEVEL_WORDS = {"block": "Block", "warn": "Warn", "info": "Info"}
#: Each level's colour (with its word): a shade for the light and the dark palette.
LEVEL_COLOURS = {"block": BLOCKED, "warn": CAUTION, "info": INFO}


def default_course_days() -> int:
    """The course length the gate is asked about for a PTH analogue: the clinic's setting (730 days unread)."""
    try:
        return services.clinic_settings().default_course_days
    except PaoClinicError:
        return 730


class RuleTableModel(RowTableModel):
    """The rules that fired, as the gate orders them (block, warn, info)."""

    COL_LEVEL, COL_ID, COL_MESSAGE = range(3)
    HEADERS = ("Level", "Rule", "Why")
    ALIGNMENTS = (ALIGN_TEXT | Qt.AlignmentFlag.AlignTop,) * 3

    def __init__(self, parent=None):
        super().__init__(parent)
        self._bold = QFont()
        self._bold.setBold(True)

    def display(self, item: RuleFinding, column: int) -> str:
        if column == self.COL_LEVEL:
            return LEVEL_WORDS.get(item.level, item.level)
        if column == self.COL_ID:
            return item.id
        if column == self.COL_MESSAGE:
            return item.message
        return ""

    def sort_value(self, row: int, column: int) -> Any:
        item = self._rows[row]
        if column == self.COL_LEVEL:
            return (LEVELS.index(item.level) if item.level in LEVELS else len(LEVELS), row)
        if column == self.COL_ID:
            return item.id
        if column == self.COL_MESSAGE:
            return item.message
        return None

    def extra(self, item: RuleFinding, column: int, role: Qt.ItemDataRole) -> Any:
        if column in (self.COL_LEVEL, self.COL_ID):
            if role == Qt.ItemDataRole.ForegroundRole:
                return QBrush(LEVEL_COLOURS.get(item.level, INFO).on())
            if role == Qt.ItemDataRole.FontRole and item.level == "block":
                return self._bold
        if role == Qt.ItemDataRole.ToolTipRole and column == self.COL_MESSAGE:
            return item.message
        return None


class VerdictPanel(QWidget):
    """The verdict, its explanation, the review date, and the rules that fired."""

    def __init__(self, *, least_rules_height: int = 80, most_rules_height: int = 420,
                 parent: QWidget | None = None):
        super().__init__(parent)
        self.least_rules_height = least_rules_height
        self.most_rules_height = most_rules_height
        self.result: GateResult | None = None

        self.verdict_label = QLabel()
        self.verdict_label.setObjectName("verdict")
        self.verdict_label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.explanation_label = QLabel()
        self.explanation_label.setObjectName("verdictExplanation")
        self.explanation_label.setWordWrap(True)
        self.review_label = QLabel()
        self.review_label.setObjectName("reviewOn")

        self.rule_model = RuleTableModel(self)
        self.rule_proxy = RowSortProxy(self)
        self.rule_proxy.setSourceModel(self.rule_model)
        self.rule_view = QTableView()
        self.rule_view.setObjectName("ruleTable")
        self.rule_view.setAccessibleName("Rules that fired")
        self.rule_view.setModel(self.rule_proxy)
        self.rule_view.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.rule_view.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.rule_view.setWordWrap(True)
        self.rule_view.setAlternatingRowColors(True)
        self.rule_view.verticalHeader().hide()
        self.rule_view.verticalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header = self.rule_view.horizontalHeader()
        header.setSectionResizeMode(RuleTableModel.COL_LEVEL, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(RuleTableModel.COL_ID, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(RuleTableModel.COL_MESSAGE, QHeaderView.ResizeMode.Stretch)
        header.setHighlightSections(False)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        verdict_row = QHBoxLayout()
        verdict_row.addWidget(self.verdict_label, 0)
        verdict_text = QVBoxLayout()
        verdict_text.addWidget(self.explanation_label)
        verdict_text.addWidget(self.review_label)
        verdict_row.addLayout(verdict_text, 1)
        layout.addLayout(verdict_row)
        rules_title = QLabel("Rules that fired")
        rules_title.setObjectName("sectionTitle")
        layout.addWidget(rules_title)
        layout.addWidget(self.rule_view)

    def show_result(self, result: GateResult, review_words: str = "Review on") -> None:
        """The gate's answer; `review_words` lead the review date ("Review on 06-Nov-2026")."""
        self.result = result
        self.verdict_label.setText(VERDICT_WORDS[result.verdict])
        self.verdict_label.setProperty("verdict", result.verdict)   # the stylesheet colours it by this
        self.verdict_label.style().unpolish(self.verdict_label)
        self.verdict_label.style().polish(self.verdict_label)
        self.explanation_label.setText(
            f"{codes.DRUG_NAMES[result.drug]} on {written_date(result.on)}. {VERDICT_EXPLANATIONS[result.verdict]}")
        if result.review_on:
            self.review_label.setText(f"{review_words} {written_date(result.review_on)}")
            self.review_label.show()
        else:
            self.review_label.hide()
        self.rule_model.set_rows(result.rules)
        self.fit_rules()

    def clear(self) -> None:
        self.result = None
        self.rule_model.set_rows([])

    def fit_rules(self) -> None:
        """The rule table as tall as its rows (they wrap, so this follows the width), within its limits."""
        view = self.rule_view
        view.resizeRowsToContents()
        rows = sum(view.rowHeight(r) for r in range(self.rule_proxy.rowCount()))
        height = view.horizontalHeader().sizeHint().height() + rows + 2 * view.frameWidth() + 2
        view.setFixedHeight(min(max(height, self.least_rules_height), self.most_rules_height))

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        if self.result is not None:
            self.fit_rules()
