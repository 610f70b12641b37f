"""Record a treatment decision: the consultant's plan for one woman, judged by the gate as it is made.

The dialog asks `services.gate_check` again whenever the plan, the drug, the decision
date or the course changes (it runs in-process and is fast), and shows the verdict
and every rule that fired, as the check dialog does.  Record follows the gate:

- starting a drug the gate blocks cannot be recorded; the button is disabled and the
  blocking rules are named beside it ("Blocked by BF-1: ...");
- starting a drug under a soft stop (verdict `needs_reason`) needs the written reason,
  and the reason box says so in words;
- a nurse sees the verdict and the rules, and no Record button (the service refuses
  her too).

Record calls `services.record_decision`; a refusal or a validation problem is shown in
words at the field it names and nothing is saved.  `DecisionDialog.ask(...)` opens it
modally and returns the saved Decision (tests replace it).
"""

from __future__ import annotations

from datetime import date

from PySide6.QtCore import QDate, Qt, Signal
from PySide6.QtWidgets import (
    QCheckBox, QComboBox, QDateEdit, QDialog, QFormLayout, QFrame, QHBoxLayout,
    QLabel, QPlainTextEdit, QPushButton, QSpinBox, QVBoxLayout, QWidget,
)

from pao_clinic import services
from pao_clinic.errors import DecisionRefused, PaoClinicError, ValidationError
from pao_clinic.gate import GateResult
from pao_clinic.record import Decision, codes
from pao_clinic.record.dates import age_on, written_date
from pao_clinic.record.nhs_number import format_nhs_number
from pao_clinic.services import Actor
from pao_clinic.services.patient_view import banner_name

from .status_colours import BLOCKED, CAUTION
from .verdict_panel import VerdictPanel, default_course_days

#: The decision plans (codes.DECISION_PLANS) as the consultant reads them in the dialog.
PLAN_CHOICES: dict[str, str] = {
    "start": "Start treatment",
    "stop": "Stop treatment",
    "defer": "Defer treatment (decide again later)",
    "conservative": "Conservative care (let the bone heal naturally)",
}
CONSULTANT_ONLY = "Only a consultant records treatment decisions."
#: The fields of a Decision, for placing a service's messages (Problem paths end in these).
FIELDS = ("plan", "drug", "decided_on", "review_on", "override_reason", "by")


def _qdate(d: date) -> QDate:
    return QDate(d.year, d.month, d.day)


def _field_error() -> QLabel:
    label = QLabel()
    label.setObjectName("errorText")
    label.setWordWrap(True)
    label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
    label.hide()
    return label


def blocked_words(result: GateResult) -> str:
    """Why a start cannot be recorded: each blocking rule, named ("Blocked by BF-1: ...")."""
    return "\n".join(f"Blocked by {r.id}: {r.message}" for r in result.rules if r.level == "block")


def soft_stop_ids(result: GateResult) -> list[str]:
    return [r.id for r in result.rules if r.level == "warn"]


class DecisionDialog(QDialog):
    """The consultant's treatment decision for one woman, with the gate's live answer."""

    decision_recorded = Signal(object)  # the Decision as saved
    checked = Signal(object)            # the GateResult now shown (None when the gate could not answer)

    def __init__(self, actor: Actor, patient_id: int, *, on: date | None = None, plan: str = "start",
                 drug: str | None = None, parent: QWidget | None = None):
        super().__init__(parent)
        self.actor = actor
        self.patient_id = patient_id
        self.today = on or date.today()
        self.result: GateResult | None = None
        self.decision: Decision | None = None
        self._review_from_gate = True   # the review date follows the gate's until the user sets one
        self._setting_review = False
        self.setObjectName("decisionDialog")
        self.resize(900, 720)

        record = services.load_patient_record(patient_id)
        name = banner_name(record.family_name, record.given_name)
        self.setWindowTitle(f"Treatment decision \u2014 {name}")

        # -- who -------------------------------------------------------------------------
        who = QLabel(name)
        who.setObjectName("patientName")
        numbers = [f"Born {written_date(record.date_of_birth)} ({age_on(record.date_of_birth, self.today)} y)"]
        if record.nhs_number:
            numbers.append(f"NHS {format_nhs_number(record.nhs_number)}")
        if record.hospital_number:
            numbers.append(f"Hospital {record.hospital_number}")
        identity = QLabel("   \u00b7   ".join(numbers))
        identity.setObjectName("patientNumbers")
        identity.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)

        # -- the decision ----------------------------------------------------------------
        self.plan_combo = QComboBox()
        self.plan_combo.setAccessibleName("Plan")
        for code in codes.DECISION_PLANS:
            self.plan_combo.addItem(PLAN_CHOICES.get(code, code), code)
        self.drug_combo = QComboBox()
        self.drug_combo.setAccessibleName("Drug")
        for code in codes.DRUGS:
            self.drug_combo.addItem(codes.DRUG_NAMES[code], code)
        self.drug_combo.setMinimumContentsLength(22)
        self.plan_combo.setMaximumWidth(420)
        self.drug_combo.setMaximumWidth(300)
        self.drug_note = QLabel()
        self.drug_note.setObjectName("fieldHint")
        self.drug_note.setWordWrap(True)
        self.date_edit = QDateEdit(_qdate(self.today))
        self.date_edit.setAccessibleName("Decision date")
        self.date_edit.setCalendarPopup(True)
        self.date_edit.setDisplayFormat("dd-MMM-yyyy")
        self.date_edit.setMinimumWidth(150)
        self.date_edit.setMaximumDate(_qdate(max(self.today, date.today())))
        self.course_spin = QSpinBox()
        self.course_spin.setAccessibleName("Course length in days")
        self.course_spin.setRange(1, 3650)
        self.course_spin.setSuffix(" days")
        self.course_spin.setValue(default_course_days())
        self.review_check = QCheckBox("Review on")
        self.review_check.setAccessibleName("Set a review date")
        self.review_edit = QDateEdit(_qdate(self.today))
        self.review_edit.setAccessibleName("Review date")
        self.review_edit.setCalendarPopup(True)
        self.review_edit.setDisplayFormat("dd-MMM-yyyy")
        self.review_edit.setEnabled(False)

        self.field_errors: dict[str, QLabel] = {name: _field_error() for name in FIELDS}
        for name, label in self.field_errors.items():
            label.setAccessibleName(f"Problem with {name.replace('_', ' ')}")

        form = QFormLayout()
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        form.addRow("&Plan", self._with_error(self.plan_combo, "plan"))
        drug_row = QHBoxLayout()
        drug_row.addWidget(self.drug_combo, 0, Qt.AlignmentFlag.AlignLeft)
        drug_row.addWidget(self.drug_note, 1)
        form.addRow("&Drug", self._with_error(drug_row, "drug"))
        date_row = QHBoxLayout()
        date_row.addWidget(self.date_edit)
        date_row.addStretch(1)
        form.addRow("Decision &date", self._with_error(date_row, "decided_on"))
        self.course_label = QLabel("&Course (PTH analogue)")
        self.course_label.setBuddy(self.course_spin)
        form.addRow(self.course_label, self.course_spin)
        review_row = QHBoxLayout()
        review_row.addWidget(self.review_check)
        review_row.addWidget(self.review_edit)
        review_row.addStretch(1)
        form.addRow("Review", self._with_error(review_row, "review_on"))
        self._fix_buddies(form)

        # -- the gate's answer ----------------------------------------------------------
        self.gate_error_label = _field_error()
        self.gate_error_label.setObjectName("gateError")
        self.verdict_panel = VerdictPanel(least_rules_height=60, most_rules_height=350)
        self.answer = self.verdict_panel
        # the panel's parts, by the names the dialog has always had
        self.verdict_label = self.verdict_panel.verdict_label
        self.explanation_label = self.verdict_panel.explanation_label
        self.gate_review_label = self.verdict_panel.review_label
        panel = self.verdict_panel
        self.rule_model, self.rule_proxy, self.rule_view = panel.rule_model, panel.rule_proxy, panel.rule_view

        # -- the written reason -----------------------------------------------------------
        self.reason_title = QLabel("Written &reason")
        self.reason_title.setObjectName("sectionTitle")
        self.reason_requirement = QLabel()
        self.reason_requirement.setObjectName("reasonRequirement")
        self.reason_requirement.setWordWrap(True)
        self.reason_edit = QPlainTextEdit()
        self.reason_edit.setObjectName("reasonEdit")
        self.reason_edit.setAccessibleName("Written reason")
        self.reason_edit.setTabChangesFocus(True)
        self.reason_edit.setPlaceholderText("Why this plan, in words the next clinician will read")
        self.reason_edit.setFixedHeight(62)  # three lines; it scrolls for more
        self.reason_title.setBuddy(self.reason_edit)

        # -- recording ----------------------------------------------------------------------
        self.record_status = QLabel()
        self.record_status.setObjectName("recordStatus")
        self.record_status.setWordWrap(True)
        self.record_status.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.can_record = actor.role in services.PRESCRIBING_ROLES
        self.record_button: QPushButton | None = None
        self.consultant_only_label: QLabel | None = None
        self.cancel_button = QPushButton("Close" if not self.can_record else "Cancel")
        self.cancel_button.setAutoDefault(False)
        self.cancel_button.clicked.connect(self.reject)
        bottom = QHBoxLayout()
        bottom.addWidget(self.record_status, 1)
        if self.can_record:
            self.record_button = QPushButton("&Record decision")
            self.record_button.setObjectName("recordButton")
            self.record_button.setAccessibleName("Record decision")
            self.record_button.setDefault(True)
            # a disabled default button must not look pressable (the app's style colours :default only)
            self.record_button.setStyleSheet(
                "QPushButton:disabled { background: #e4e8e9; color: #5f6b70; border: 1px dashed #8a9ca2; }")
            self.record_button.clicked.connect(self._on_record_button_clicked)
            bottom.addWidget(self.record_button)
        else:
            self.consultant_only_label = QLabel(CONSULTANT_ONLY)
            self.consultant_only_label.setObjectName("consultantOnly")
            self.consultant_only_label.setWordWrap(True)
            self.consultant_only_label.setStyleSheet("font-weight: bold;")
            self.record_status.hide()
            for widget in (self.reason_title, self.reason_requirement, self.reason_edit):
                widget.hide()   # nothing she writes here would be kept
            bottom.addWidget(self.consultant_only_label, 1)
        bottom.addWidget(self.cancel_button)

        line = QFrame()
        line.setFrameShape(QFrame.Shape.HLine)
        line.setFrameShadow(QFrame.Shadow.Sunken)
        layout = QVBoxLayout(self)
        layout.addWidget(who)
        layout.addWidget(identity)
        layout.addLayout(form)
        layout.addWidget(line)
        layout.addWidget(self.gate_error_label)
        layout.addWidget(self.answer)
        layout.addWidget(self.reason_title)
        layout.addWidget(self.reason_requirement)
        layout.addWidget(self.reason_edit)
        layout.addWidget(self.field_errors["override_reason"])
        layout.addWidget(self.field_errors["by"])
        layout.addStretch(1)
        layout.addLayout(bottom)

        self.plan_combo.setCurrentIndex(max(0, self.plan_combo.findData(plan)))
        if drug is not None:
            self.drug_combo.setCurrentIndex(max(0, self.drug_combo.findData(drug)))
        self.plan_combo.currentIndexChanged.connect(self._on_plan_combo_current_index_changed)
        self.drug_combo.currentIndexChanged.connect(self._on_drug_combo_current_index_changed)
        self.date_edit.dateChanged.connect(self._on_date_edit_date_changed)
        self.course_spin.valueChanged.connect(self._on_course_spin_value_changed)
        self.review_check.toggled.connect(self._on_review_check_toggled)
        self.review_edit.dateChanged.connect(self._on_review_edit_date_changed)
        self.reason_edit.textChanged.connect(self._on_reason_edit_text_changed)
        self._show_plan()
        self.refresh()

    def _with_error(self, field, name: str) -> QWidget:
        """A field with its error line beneath it."""
        box = QWidget()
        box_layout = QVBoxLayout(box)
        box_layout.setContentsMargins(0, 0, 0, 0)
        box_layout.setSpacing(2)
        if isinstance(field, QWidget):
            box_layout.addWidget(field)
            box.setFocusProxy(field)
        else:
            box_layout.addLayout(field)
        box_layout.addWidget(self.field_errors[name])
        return box

    def _fix_buddies(self, form: QFormLayout) -> None:
        """Each form label's mnemonic goes to the control itself."""
        controls = {"&Drug": self.drug_combo, "Decision &date": self.date_edit, "Review": self.review_check}
        for row in range(form.rowCount()):
            item = form.itemAt(row, QFormLayout.ItemRole.LabelRole)
            label = item.widget() if item is not None else None
            if isinstance(label, QLabel) and label.text() in controls:
                label.setBuddy(controls[label.text()])

    # -- what is being decided --------------------------------------------------------------
    def plan(self) -> str:
        return self.plan_combo.currentData()

    def set_plan(self, code: str) -> None:
        self.plan_combo.setCurrentIndex(self.plan_combo.findData(code))

    def drug(self) -> str:
        """The drug the gate is asked about (recorded only for plans that take a drug)."""
        return self.drug_combo.currentData()

    def set_drug(self, code: str) -> None:
        self.drug_combo.setCurrentIndex(self.drug_combo.findData(code))

    def recorded_drug(self) -> str | None:
        return self.drug() if self.plan() in codes.DECISION_PLANS_NEEDING_DRUG else None

    def on(self) -> date:
        return self.date_edit.date().toPython()

    def set_on(self, day: date) -> None:
        self.date_edit.setDate(_qdate(day))

    def course_days(self) -> int | None:
        return self.course_spin.value() if self.drug() in codes.PTH_ANALOGUES else None

    def review_on(self) -> date | None:
        return self.review_edit.date().toPython() if self.review_check.isChecked() else None

    def reason(self) -> str:
        return self.reason_edit.toPlainText().strip()

    def reason_required(self) -> bool:
        return self.plan() == "start" and self.result is not None and self.result.verdict == "needs_reason"

    # -- live answer --------------------------------------------------------------------------
    def _on_plan_combo_current_index_changed(self, _index: int) -> None:
        self._show_plan()
        self.refresh()

    def _on_drug_combo_current_index_changed(self, _index: int) -> None:
        self._show_plan()
        self.refresh()

    def _on_date_edit_date_changed(self, _date) -> None:
        self.review_edit.setMinimumDate(self.date_edit.date())
        self.refresh()

    def _on_course_spin_value_changed(self, _value: int) -> None:
        self.refresh()

    def _on_review_check_toggled(self, checked: bool) -> None:
        self.review_edit.setEnabled(checked)
        if not self._setting_review:
            self._review_from_gate = False
        self._clear_field_error("review_on")

    def _on_review_edit_date_changed(self, _date) -> None:
        if not self._setting_review:
            self._review_from_gate = False
        self._clear_field_error("review_on")

    def _on_reason_edit_text_changed(self) -> None:
        self._clear_field_error("override_reason")
        self._update_record_state()

    def _show_plan(self) -> None:
        takes_drug = self.plan() in codes.DECISION_PLANS_NEEDING_DRUG
        pth = self.drug() in codes.PTH_ANALOGUES
        self.course_label.setVisible(pth and self.plan() == "start")
        self.course_spin.setVisible(pth and self.plan() == "start")
        if takes_drug:
            self.drug_note.setText("")
            self.drug_note.hide()
        else:
            self.drug_note.setText(f"No drug is recorded with this plan; the gate's answer below is for "
                                   f"{codes.DRUG_NAMES[self.drug()]}, for reference.")
            self.drug_note.show()

    def refresh(self) -> GateResult | None:
        """Ask the gate again about the drug on the decision date (also after her record changed)."""
        for name in ("plan", "drug", "decided_on"):
            self._clear_field_error(name)
        try:
            result = services.gate_check(self.patient_id, self.drug(), self.on(), course_days=self.course_days())
        except ValidationError as exc:
            self._show_gate_error("The gate could not answer:\n" + "\n".join(f"\u2022 {p}" for p in exc.problems))
            return None
        except PaoClinicError as exc:
            self._show_gate_error(f"The gate could not answer: {exc}")
            return None
        self._show_result(result)
        return result

    def _show_gate_error(self, text: str) -> None:
        self.result = None
        self.verdict_panel.clear()
        self.answer.hide()
        self.gate_error_label.setText(text)
        self.gate_error_label.show()
        self._update_record_state()
        self.checked.emit(None)

    def _show_result(self, result: GateResult) -> None:
        self.result = result
        self.gate_error_label.hide()
        self.verdict_panel.show_result(result, "The gate suggests a review on")
        if self._review_from_gate:
            self._setting_review = True
            try:
                self.review_check.setChecked(result.review_on is not None)
                if result.review_on is not None:
                    self.review_edit.setDate(_qdate(result.review_on))
            finally:
                self._setting_review = False
        self.answer.show()
        self.verdict_panel.fit_rules()
        self._update_record_state()
        self.checked.emit(result)

    # -- may it be recorded? ------------------------------------------------------------------
    def blocked_reason(self) -> str:
        """Why Record is disabled, in words ("" when it may be pressed)."""
        if self.result is None:
            return "The gate could not answer: nothing can be recorded until it does."
        if self.plan() == "start" and self.result.verdict == "blocked":
            return blocked_words(self.result)
        if self.reason_required() and not self.reason():
            return ("Write the reason for going against the soft stops ("
                    + ", ".join(soft_stop_ids(self.result)) + ") to record this start.")
        return ""

    def _update_record_state(self) -> None:
        required = self.reason_required()
        self.reason_edit.setProperty("required", required)
        if required:
            ids = ", ".join(soft_stop_ids(self.result))
            self.reason_title.setText("Written &reason \u2014 required")
            self.reason_requirement.setText(
                f"Required: the gate raises soft stops ({ids}). Say why starting is right for her despite "
                f"each warning above; the reason is kept with the decision.")
            self.reason_requirement.setStyleSheet(f"color: {CAUTION.css()}; font-weight: bold;")
            self.reason_edit.setStyleSheet("QPlainTextEdit { border: 2px solid #c28e00; }")
        else:
            self.reason_title.setText("Written &reason")
            self.reason_requirement.setText("Optional: why this plan, for the next clinician.")
            self.reason_requirement.setStyleSheet("")
            self.reason_edit.setStyleSheet("")
        if self.record_button is None:
            return
        why_not = self.blocked_reason()
        self.record_button.setEnabled(not why_not)
        self.record_status.setText(why_not)
        self.record_status.setStyleSheet(f"color: {BLOCKED.css()}; font-weight: bold;" if why_not else "")
        self.record_button.setToolTip(why_not or "Save this decision in her record")

    # -- recording ------------------------------------------------------------------------------
    def _clear_field_error(self, name: str) -> None:
        label = self.field_errors.get(name)
        if label is not None:
            label.clear()
            label.hide()

    def _clear_errors(self) -> None:
        for name in FIELDS:
            self._clear_field_error(name)

    def _show_field_errors(self, exc: ValidationError) -> None:
        """Each problem under the field it names; any other above the Record button."""
        others = []
        for problem in exc.problems:
            name = problem.path.rsplit(".", 1)[-1].split("[", 1)[0]
            label = self.field_errors.get(name)
            if label is None:
                others.append(str(problem))
                continue
            message = problem.message[:1].upper() + problem.message[1:]
            label.setText(f"{label.text()}\n{message}" if label.text() else message)
            label.show()
        if others:
            self._show_status_error("Not recorded:\n" + "\n".join(others))
        else:
            self._show_status_error("Not recorded: see the fields marked above.")

    def _show_status_error(self, text: str) -> None:
        self.record_status.setText(text)
        self.record_status.setStyleSheet(f"color: {BLOCKED.css()}; font-weight: bold;")
        self.record_status.show()

    def _on_record_button_clicked(self) -> None:
        self.record()

    def record(self) -> Decision | None:
        """Save the decision through the services; its error in words where it belongs when refused."""
        self._clear_errors()
        try:
            saved = services.record_decision(
                self.actor, self.patient_id, plan=self.plan(), drug=self.recorded_drug(), on=self.on(),
                reason=self.reason() or None, review_on=self.review_on(), course_days=self.course_days())
        except DecisionRefused as exc:
            self._show_status_error(f"Not recorded. {exc}")
            self.refresh_keep_status()
            return None
        except ValidationError as exc:
            self._show_field_errors(exc)
            return None
        except PaoClinicError as exc:
            self._show_status_error(f"Not recorded: {exc}")
            return None
        self.decision = saved
        self.decision_recorded.emit(saved)
        self.accept()
        return saved

    def refresh_keep_status(self) -> None:
        """Ask the gate again (her record may have changed) and keep the refusal's words shown."""
        text = self.record_status.text()
        self.refresh()
        if self.record_button is not None and self.record_button.isEnabled():
            self._show_status_error(text)

    # -- the modal -------------------------------------------------------------------------------
    @classmethod
    def ask(cls, actor: Actor, patient_id: int, *, on: date | None = None, plan: str = "start",
            drug: str | None = None, parent: QWidget | None = None) -> Decision | None:
        """Open the dialog modally: the Decision recorded, or None when closed without one (tests replace this)."""
        dialog = cls(actor, patient_id, on=on, plan=plan, drug=drug, parent=parent)
        dialog.exec()
        decision = dialog.decision
        dialog.deleteLater()
        return decision
