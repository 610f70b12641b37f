"""Check medication: the medication gate's answer for one woman, one drug, one day.

The dialog asks `services.gate_check` and shows what it returns: the verdict (never
"allowed" wording for anything but `allowed`), the review date, every rule that fired
(block first) and the facts the gate stood on.  Errors the services raise are shown
as text in the dialog.  Changing the drug, the date or the course clears the answer,
so a verdict is never shown beside a question it does not answer.
"""

from __future__ import annotations

from datetime import date

from PySide6.QtCore import QDate, Qt, Signal
from PySide6.QtWidgets import (
    QComboBox, QDateEdit, QDialog, QDialogButtonBox, QFormLayout, QFrame, QGroupBox, QHBoxLayout, QLabel,
    QPushButton, QScrollArea, QSpinBox, QVBoxLayout, QWidget,
)

from pao_clinic import services
from pao_clinic.record import codes
from pao_clinic.errors import PaoClinicError, ValidationError
from pao_clinic.gate import DexaHistory, GateResult
from pao_clinic.gate.facts import written_number
from pao_clinic.record.dates import written_date
from pao_clinic.services import CaseloadRow

from .caseload_model import LACTATION_WORDS
from .verdict_panel import (  # noqa: F401 - the verdict's words and the rule table are read from here too
    LEVEL_COLOURS, LEVEL_WORDS, VERDICT_EXPLANATIONS, VERDICT_WORDS, RuleTableModel, VerdictPanel, default_course_days,
)


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
        self.course_spin.setValue(default_course_days())
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
        self.verdict_panel = VerdictPanel(least_rules_height=80, most_rules_height=420)
        # the panel's parts, by the names the dialog has always had
        self.verdict_label = self.verdict_panel.verdict_label
        self.explanation_label = self.verdict_panel.explanation_label
        self.review_label = self.verdict_panel.review_label
        panel = self.verdict_panel
        self.rule_model, self.rule_proxy, self.rule_view = panel.rule_model, panel.rule_proxy, panel.rule_view

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
        answer_layout.addWidget(self.verdict_panel)
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
        self.verdict_panel.clear()

    def _show_error(self, text: str) -> None:
        self._show_nothing()
        self.error_label.setText(text)
        self.error_label.show()
        self.failed.emit(text)

    def _show_result(self, result: GateResult, reading: DexaHistory) -> None:
        self.result = result
        self.error_label.hide()
        self.verdict_panel.show_result(result, "Review on")
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

    def verdict_text(self) -> str:
        return self.verdict_label.text() if self.result is not None else ""
