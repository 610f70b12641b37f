"""Check medication: the medication gate's answer for one woman, one drug, one day.

The dialog asks `services.gate_check` and shows what it returns: the verdict (never
"allowed" wording for anything but `allowed`), the review date, every rule that fired
(block first) and the facts the gate stood on.  Errors the services raise are shown
as text in the dialog.  Changing the drug, the date or the course clears the answer,
so a verdict is never shown beside a question it does not answer.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from PySide6.QtCore import QDate, Qt, Signal
from PySide6.QtGui import QBrush, QColor, QFont, QResizeEvent
from PySide6.QtWidgets import (
    QAbstractItemView, QComboBox, QDateEdit, QDialog, QDialogButtonBox, QFormLayout, QFrame, QGroupBox,
    QHBoxLayout, QHeaderView, QLabel, QPushButton, QScrollArea, QSpinBox, QTableView, QVBoxLayout, QWidget,
)

from pao_clinic import services
from pao_clinic.record import codes
from pao_clinic.errors import PaoClinicError, ValidationError
from pao_clinic.gate import DexaHistory, GateResult, RuleFinding
from pao_clinic.record.dates import written_date
from pao_clinic.gate.facts import written_number
from pao_clinic.gate.rules import LEVELS
from pao_clinic.services import CaseloadRow

from .caseload_model import ALIGN_TEXT, LACTATION_WORDS, RowSortProxy, RowTableModel

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
LEVEL_COLOURS = {"block": QColor("#8c1d18"), "warn": QColor("#7a4a00"), "info": QColor("#37474f")}


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
                return QBrush(LEVEL_COLOURS.get(item.level, LEVEL_COLOURS["info"]))
            if role == Qt.ItemDataRole.FontRole and item.level == "block":
                return self._bold
        if role == Qt.ItemDataRole.ToolTipRole and column == self.COL_MESSAGE:
            return item.message
        return None


def _qdate(d: date) -> QDate:
    return QDate(d.year, d.month, d.day)


def dexa_words(reading: DexaHistory) -> str:
    """The latest scan date's readings, one line per site; what to do when there is none."""
    if not reading.latest:
        return "No DEXA on record by this date: a scan is needed to judge her bone density."
    return "\n".join(f"\u2022 {scan.summary}" for scan in reading.latest)


class CheckMedicationDialog(QDialog):
    """Ask the medication gate about one drug for the selected patient."""

    checked = Signal(object)   # the GateResult shown
    failed = Signal(str)       # the message shown instead

    FACT_LABELS = (
        ("pregnant", "Pregnant"),
        ("lactation", "Breastfeeding"),
        ("index_date", "Index date (first fragility fracture)"),
        ("repeat_fractures", "Repeat fractures"),
        ("vertebral_fractures_at_presentation", "Vertebral fractures at presentation"),
        ("lowest_z", "Lowest Z-score"),
        ("anabolic_days_used", "PTH analogue days used"),
    )

    def __init__(self, patient: CaseloadRow, on: date | None = None, parent: QWidget | None = None):
        super().__init__(parent)
        self.patient = patient
        self.result: GateResult | None = None
        self.setObjectName("checkMedicationDialog")
        self.setWindowTitle(f"Check medication \u2014 {patient.name}")
        self.resize(900, 760)
        screen = self.screen()
        if screen is not None:  # a 1366x768 laptop: the dialog within the screen's free height
            self.resize(900, min(760, screen.availableGeometry().height() - 40))

        # -- who ---------------------------------------------------------------------
        who = QLabel(f"{patient.given_name} {patient.family_name}")
        who.setObjectName("patientName")
        numbers = [f"NHS {patient.nhs_number}" if patient.nhs_number else "",
                   f"Hospital {patient.hospital_number}" if patient.hospital_number else "",
                   f"Age {patient.age}"]
        identity = QLabel("   \u00b7   ".join(n for n in numbers if n))
        identity.setObjectName("patientNumbers")
        identity.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)

        # -- the question ------------------------------------------------------------
        self.drug_combo = QComboBox()
        for code in codes.DRUGS:
            self.drug_combo.addItem(codes.DRUG_NAMES[code], code)
        self.date_edit = QDateEdit(_qdate(on or date.today()))
        self.date_edit.setCalendarPopup(True)
        self.date_edit.setDisplayFormat("dd-MMM-yyyy")
        self.course_spin = QSpinBox()
        self.course_spin.setRange(1, 3650)
        self.course_spin.setSuffix(" days")
        self.course_spin.setValue(self._default_course_days())
        self.course_label = QLabel("&Course")
        self.check_button = QPushButton("Check")
        self.check_button.setObjectName("checkButton")
        self.check_button.setDefault(True)

        drug_label = QLabel("&Drug")
        drug_label.setBuddy(self.drug_combo)
        date_label = QLabel("&Start on")
        date_label.setBuddy(self.date_edit)
        self.course_label.setBuddy(self.course_spin)
        self.drug_combo.setMinimumContentsLength(22)
        question_row = QHBoxLayout()
        for widget in (drug_label, self.drug_combo, date_label, self.date_edit, self.course_label, self.course_spin):
            question_row.addWidget(widget)
        question_row.addSpacing(12)
        question_row.addWidget(self.check_button)
        question_row.addStretch(1)

        # -- the answer --------------------------------------------------------------
        self.error_label = QLabel()
        self.error_label.setObjectName("errorText")
        self.error_label.setWordWrap(True)
        self.error_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
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

        self.fact_values: dict[str, QLabel] = {}
        facts_box = QGroupBox("Facts the gate used")
        facts_form = QFormLayout(facts_box)
        for key, label in self.FACT_LABELS:
            value = QLabel("\u2014")
            value.setObjectName(f"fact_{key}")
            self.fact_values[key] = value
            facts_form.addRow(label, value)

        dexa_box = QGroupBox("Bone density (DEXA), read for her age")
        dexa_layout = QVBoxLayout(dexa_box)
        self.dexa_label = QLabel()
        self.dexa_label.setObjectName("dexaReading")
        self.dexa_label.setWordWrap(True)
        self.dexa_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        dexa_layout.addWidget(self.dexa_label)

        self.answer = QWidget()
        answer_layout = QVBoxLayout(self.answer)
        answer_layout.setContentsMargins(0, 0, 0, 0)
        verdict_row = QHBoxLayout()
        verdict_row.addWidget(self.verdict_label, 0)
        verdict_text = QVBoxLayout()
        verdict_text.addWidget(self.explanation_label)
        verdict_text.addWidget(self.review_label)
        verdict_row.addLayout(verdict_text, 1)
        answer_layout.addLayout(verdict_row)
        rules_title = QLabel("Rules that fired")
        rules_title.setObjectName("sectionTitle")
        answer_layout.addWidget(rules_title)
        answer_layout.addWidget(self.rule_view)
        answer_layout.addWidget(facts_box)
        answer_layout.addWidget(dexa_box)

        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)

        line = QFrame()
        line.setFrameShape(QFrame.Shape.HLine)
        line.setFrameShadow(QFrame.Shadow.Sunken)
        layout = QVBoxLayout(self)
        layout.addWidget(who)
        layout.addWidget(identity)
        layout.addLayout(question_row)
        layout.addWidget(line)
        layout.addWidget(self.error_label)
        # The answer scrolls when the dialog is shorter than it (a laptop, many rules): a layout
        # squeezed below its widgets' minimum heights draws them over each other (the "Facts"
        # heading used to land on the rule table's last row).
        answer_layout.addStretch(1)  # spare height goes below the answer, not between its parts
        self.answer_scroll = QScrollArea()
        self.answer_scroll.setObjectName("checkAnswerScroll")
        self.answer_scroll.setWidgetResizable(True)
        self.answer_scroll.setFrameShape(QFrame.Shape.NoFrame)
        self.answer_scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.answer_scroll.setWidget(self.answer)
        self.answer_scroll.viewport().setAutoFillBackground(False)
        self.answer.setAutoFillBackground(False)
        layout.addWidget(self.answer_scroll, 1)
        layout.addWidget(buttons)

        self.check_button.clicked.connect(self._on_check_button_clicked)
        self.drug_combo.currentIndexChanged.connect(self._on_drug_combo_current_index_changed)
        self.date_edit.dateChanged.connect(self._on_date_edit_date_changed)
        self.course_spin.valueChanged.connect(self._on_course_spin_value_changed)
        self._on_drug_combo_current_index_changed()
        self._show_nothing()

    # -- the question ------------------------------------------------------------------
    @staticmethod
    def _default_course_days() -> int:
        try:
            return services.clinic_settings().default_course_days
        except PaoClinicError:
            return 730

    def drug(self) -> str:
        return self.drug_combo.currentData()

    def set_drug(self, code: str) -> None:
        self.drug_combo.setCurrentIndex(self.drug_combo.findData(code))

    def on(self) -> date:
        return self.date_edit.date().toPython()

    def course_days(self) -> int | None:
        return self.course_spin.value() if self.drug() in codes.PTH_ANALOGUES else None

    def _on_drug_combo_current_index_changed(self, _index: int = 0) -> None:
        pth = self.drug() in codes.PTH_ANALOGUES
        self.course_label.setVisible(pth)
        self.course_spin.setVisible(pth)
        self._show_nothing()

    def _on_date_edit_date_changed(self, _date) -> None:
        self._show_nothing()

    def _on_course_spin_value_changed(self, _value: int) -> None:
        self._show_nothing()

    # -- the answer ----------------------------------------------------------------------
    def _on_check_button_clicked(self) -> None:
        self.check()

    def check(self) -> GateResult | None:
        """Ask the gate and show its answer (or the error the services raised)."""
        try:
            result = services.gate_check(self.patient.patient_id, self.drug(), self.on(),
                                         course_days=self.course_days())
            reading = services.dexa_reading(self.patient.patient_id, self.on())
        except ValidationError as exc:
            self._show_error("The check could not run:\n" + "\n".join(f"\u2022 {p}" for p in exc.problems))
            return None
        except PaoClinicError as exc:
            self._show_error(f"The check could not run: {exc}")
            return None
        self._show_result(result, reading)
        return result

    def _show_nothing(self) -> None:
        self.result = None
        self.error_label.hide()
        self.answer.hide()
        self.rule_model.set_rows([])

    def _show_error(self, text: str) -> None:
        self._show_nothing()
        self.error_label.setText(text)
        self.error_label.show()
        self.failed.emit(text)

    def _show_result(self, result: GateResult, reading: DexaHistory) -> None:
        self.result = result
        self.error_label.hide()
        self.verdict_label.setText(VERDICT_WORDS[result.verdict])
        self.verdict_label.setProperty("verdict", result.verdict)
        self.verdict_label.style().unpolish(self.verdict_label)
        self.verdict_label.style().polish(self.verdict_label)
        self.explanation_label.setText(
            f"{codes.DRUG_NAMES[result.drug]} on {written_date(result.on)}. {VERDICT_EXPLANATIONS[result.verdict]}")
        if result.review_on:
            self.review_label.setText(f"Review on {written_date(result.review_on)}")
            self.review_label.show()
        else:
            self.review_label.hide()
        self.rule_model.set_rows(result.rules)
        self._fit_rule_view()
        facts = result.facts
        shown = {
            "pregnant": "Yes" if facts.pregnant else "No",
            "lactation": LACTATION_WORDS.get(facts.lactation, facts.lactation),
            "index_date": written_date(facts.index_date) if facts.index_date else "None (no fragility fracture)",
            "repeat_fractures": str(facts.repeat_fractures),
            "vertebral_fractures_at_presentation": str(facts.vertebral_fractures_at_presentation),
            "lowest_z": written_number(facts.lowest_z) if facts.lowest_z is not None else "None recorded",
            "anabolic_days_used": str(facts.anabolic_days_used),
        }
        for key, text in shown.items():
            self.fact_values[key].setText(text)
        self.dexa_label.setText(dexa_words(reading))
        self.answer.show()
        self.checked.emit(result)

    def _fit_rule_view(self) -> None:
        """As tall as its rows (they wrap, so this follows the width), within the screen's reason."""
        view = self.rule_view
        view.resizeRowsToContents()
        rows = sum(view.rowHeight(r) for r in range(self.rule_proxy.rowCount()))
        height = view.horizontalHeader().sizeHint().height() + rows + 2 * view.frameWidth() + 2
        view.setFixedHeight(min(max(height, 80), 420))

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        if self.result is not None:
            self._fit_rule_view()

    def verdict_text(self) -> str:
        return self.verdict_label.text() if self.result is not None else ""
