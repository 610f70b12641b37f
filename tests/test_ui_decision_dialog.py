"""The decision dialog and the Medications and decisions section, on women built for each case.

Every woman is built relative to `today` (date.today() when the test runs: a decision
cannot be dated in the future) from the gate's builders, so which rules fire is known;
each verdict the dialog shows is still compared with `services.gate_check` itself.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta

import pytest
from PySide6.QtCore import QEvent, Qt
from PySide6.QtWidgets import QApplication

from pao_clinic import services
from pao_clinic.errors import PermissionDenied
from pao_clinic.record import Decision, Feeding, Medication, codes
from pao_clinic.record.dates import written_date
from ui.caseload_model import ROW_ROLE, RowSortProxy
from ui.check_dialog import VERDICT_WORDS
from ui.decision_dialog import CONSULTANT_ONLY, PLAN_CHOICES, DecisionDialog
from ui.medications_section import DecisionTableModel, MedicationsSection, MedicationTableModel

from .gate_builders import birth, breastfed, medication, scan, vertebral, well_documented_record

pytestmark = [
    pytest.mark.qt_log_level_fail("WARNING"),
    pytest.mark.qt_log_ignore("does not support propagateSizeHints"),
]


def days(n: int) -> timedelta:
    return timedelta(days=n)


@pytest.fixture
def today() -> date:
    return date.today()


def breastfeeding_woman(today: date, *, indicated: bool, planned_stop_on: date | None = None, **overrides):
    """Delivered 200 days ago and breastfeeding since; fractures 150 days ago, DEXA 50 days ago.

    indicated: L1 and L2 grade 2 and spine Z -2.5 (once weaned, alendronate is allowed);
    otherwise L3 grade 1 and Z -1.2 / -0.9 (once weaned, IND-1 warns: needs a reason).
    """
    if indicated:
        fractures = (vertebral("l1", 2, today - days(150)), vertebral("l2", 2, today - days(150)))
        dexa = (scan("lumbar_spine", today - days(50), z=-2.5, t=-2.8, bmd=0.80),)
    else:
        fractures = (vertebral("l3", 1, today - days(150)),)
        dexa = (scan("lumbar_spine", today - days(50), z=-1.2, t=-1.4, bmd=0.95),
                scan("total_hip", today - days(50), z=-0.9, t=-1.0, bmd=0.90))
    values = dict(pregnancies=(birth("b1", today - days(200)),),
                  breastfeeding=(breastfed("b1", today - days(200), planned_stop_on=planned_stop_on),),
                  fractures=fractures, dexa=dexa)
    values.update(overrides)
    return well_documented_record(today, **values)


@pytest.fixture
def patient(qapp):
    qapp.setOrganizationName("PAO Clinic tests")

    def make(actor, record) -> int:
        (patient_id,) = services.import_records(actor, [record])
        return patient_id

    return make


@pytest.fixture
def open_dialog(qtbot):
    dialogs = []

    def make(actor, patient_id: int, on: date, **kwargs) -> DecisionDialog:
        dialog = DecisionDialog(actor, patient_id, on=on, **kwargs)
        dialogs.append(dialog)
        dialog.show()
        qtbot.waitExposed(dialog)
        return dialog

    yield make
    for dialog in dialogs:
        dialog.close()
        dialog.deleteLater()
    QApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)


def shown_rule_ids(dialog: DecisionDialog) -> list[str]:
    proxy = dialog.rule_proxy
    return [proxy.index(r, 1).data() for r in range(proxy.rowCount())]


def assert_shows_gate(dialog: DecisionDialog, patient_id: int, drug: str, on: date) -> str:
    """The dialog shows exactly the gate's answer for this drug and day; returns the verdict."""
    result = services.gate_check(patient_id, drug, on, course_days=dialog.course_days())
    assert dialog.result == result
    assert dialog.verdict_label.text() == VERDICT_WORDS[result.verdict]
    assert dialog.verdict_label.property("verdict") == result.verdict
    assert dialog.explanation_label.text().startswith(f"{codes.DRUG_NAMES[drug]} on {written_date(on)}. ")
    assert shown_rule_ids(dialog) == list(result.rule_ids())
    return result.verdict


def stop_feeding(actor, patient_id: int, stopped_on: date) -> Feeding:
    (entry,) = services.load_patient_record(patient_id).breastfeeding
    return services.update_clinical_entry(actor, replace(entry, stopped_on=stopped_on),
                                          expected_version=entry.version)


def click(qtbot, button) -> None:
    qtbot.mouseClick(button, Qt.MouseButton.LeftButton)


# --- blocked while she breastfeeds ---------------------------------------------------------------

def test_starting_alendronate_while_breastfeeding_is_blocked_and_cannot_be_recorded(
        sqlite_clinic, patient, open_dialog, qtbot, today):
    patient_id = patient(sqlite_clinic.nurse, breastfeeding_woman(today, indicated=True))
    dialog = open_dialog(sqlite_clinic.consultant, patient_id, today, plan="start", drug="alendronate")

    assert assert_shows_gate(dialog, patient_id, "alendronate", today) == "blocked"
    assert "BF-1" in shown_rule_ids(dialog)
    assert not dialog.record_button.isEnabled()
    assert dialog.record_status.isVisible()
    assert dialog.record_status.text().startswith("Blocked by BF-1: Breastfeeding")
    assert "BF-1" in dialog.record_button.toolTip()
    click(qtbot, dialog.record_button)  # disabled: nothing happens
    assert services.load_patient_record(patient_id).decisions == ()


def test_deferring_while_blocked_is_recorded_without_a_drug_and_with_the_gates_review_date(
        clinic, patient, open_dialog, qtbot, today):
    planned = today + days(30)
    patient_id = patient(clinic.nurse, breastfeeding_woman(today, indicated=True, planned_stop_on=planned))
    dialog = open_dialog(clinic.consultant, patient_id, today, drug="alendronate")
    dialog.set_plan("defer")

    assert dialog.plan_combo.currentText() == PLAN_CHOICES["defer"]
    assert assert_shows_gate(dialog, patient_id, "alendronate", today) == "blocked"
    assert dialog.drug_note.isVisible() and "No drug is recorded" in dialog.drug_note.text()
    assert dialog.record_button.isEnabled()
    assert dialog.review_on() == planned + days(1) == dialog.result.review_on
    with qtbot.waitSignal(dialog.decision_recorded) as recorded:
        click(qtbot, dialog.record_button)

    (saved,) = services.load_patient_record(patient_id).decisions
    assert recorded.args[0] == saved
    assert (saved.plan, saved.drug, saved.decided_on, saved.review_on, saved.by) == (
        "defer", None, today, planned + days(1), clinic.consultant.display_name)


# --- feeding stopped: the dialog follows the gate ---------------------------------------------------

@pytest.mark.parametrize("indicated, expected", [(True, "allowed"), (False, "needs_reason")])
def test_after_feeding_stopped_the_dialog_turns_to_the_gates_verdict_and_records_with_a_reason(
        clinic, patient, open_dialog, qtbot, today, indicated, expected):
    patient_id = patient(clinic.nurse, breastfeeding_woman(today, indicated=indicated))
    dialog = open_dialog(clinic.consultant, patient_id, today, drug="alendronate")
    assert assert_shows_gate(dialog, patient_id, "alendronate", today) == "blocked"

    stop_feeding(clinic.nurse, patient_id, today - days(1))
    with qtbot.waitSignal(dialog.checked):
        dialog.refresh()

    assert assert_shows_gate(dialog, patient_id, "alendronate", today) == expected
    assert "BF-1" not in shown_rule_ids(dialog)
    if expected == "needs_reason":
        assert "IND-1" in shown_rule_ids(dialog)
        assert dialog.reason_required()
        assert dialog.reason_title.text() == "Written &reason \u2014 required"
        assert dialog.reason_requirement.text().startswith("Required: the gate raises soft stops (IND-1)")
        assert not dialog.record_button.isEnabled()
        assert "IND-1" in dialog.record_status.text()
    else:
        assert not dialog.reason_required()
        assert dialog.record_button.isEnabled()

    reason = "Weaned; vertebral fractures at presentation, discussed with her"
    qtbot.keyClicks(dialog.reason_edit, reason)
    assert dialog.record_button.isEnabled()
    assert dialog.record_status.text() == ""
    with qtbot.waitSignal(dialog.decision_recorded) as recorded:
        click(qtbot, dialog.record_button)

    (saved,) = services.load_patient_record(patient_id).decisions
    assert recorded.args[0] == saved == dialog.decision
    assert (saved.plan, saved.drug, saved.decided_on, saved.override_reason) == (
        "start", "alendronate", today, reason)
    assert services.decision_gate_output(saved.id)["verdict"] == expected


def test_a_soft_stop_without_a_reason_keeps_record_disabled_and_a_blank_reason_does_not_count(
        sqlite_clinic, patient, open_dialog, qtbot, today):
    record = breastfeeding_woman(today, indicated=False)
    record = replace(record, breastfeeding=(breastfed("b1", today - days(200), stopped_on=today - days(60)),))
    patient_id = patient(sqlite_clinic.nurse, record)
    dialog = open_dialog(sqlite_clinic.consultant, patient_id, today, drug="alendronate")

    assert assert_shows_gate(dialog, patient_id, "alendronate", today) == "needs_reason"
    assert not dialog.record_button.isEnabled()
    qtbot.keyClicks(dialog.reason_edit, "   ")
    assert not dialog.record_button.isEnabled()
    dialog.set_plan("conservative")           # no soft stop applies to not starting
    assert not dialog.reason_required()
    assert dialog.record_button.isEnabled()
    dialog.set_plan("start")
    assert not dialog.record_button.isEnabled()
    assert services.load_patient_record(patient_id).decisions == ()


# --- the gate answers again as the question changes ---------------------------------------------------

def test_changing_the_drug_the_date_or_the_course_asks_the_gate_again(
        sqlite_clinic, patient, open_dialog, qtbot, today):
    record = breastfeeding_woman(today, indicated=True)
    record = replace(record, breastfeeding=(breastfed("b1", today - days(200), stopped_on=today - days(30)),))
    patient_id = patient(sqlite_clinic.nurse, record)
    dialog = open_dialog(sqlite_clinic.consultant, patient_id, today, drug="alendronate")
    assert assert_shows_gate(dialog, patient_id, "alendronate", today) == "allowed"

    with qtbot.waitSignal(dialog.checked):
        dialog.set_on(today - days(40))        # she was still breastfeeding then
    assert assert_shows_gate(dialog, patient_id, "alendronate", today - days(40)) == "blocked"
    assert not dialog.record_button.isEnabled()

    with qtbot.waitSignal(dialog.checked):
        dialog.set_drug("calcium_vitamin_d")   # compatible with breastfeeding
    assert assert_shows_gate(dialog, patient_id, "calcium_vitamin_d", today - days(40)) == "allowed"
    assert shown_rule_ids(dialog) == ["SUP-1"]
    assert dialog.record_button.isEnabled()

    with qtbot.waitSignal(dialog.checked):
        dialog.set_drug("teriparatide")
    assert dialog.course_spin.isVisible()
    assert assert_shows_gate(dialog, patient_id, "teriparatide", today - days(40)) == "blocked"
    with qtbot.waitSignal(dialog.checked):
        dialog.set_on(today)
    with qtbot.waitSignal(dialog.checked):
        dialog.course_spin.setValue(800)       # beyond the lifetime limit of PTH analogue days
    assert dialog.course_days() == 800
    verdict = assert_shows_gate(dialog, patient_id, "teriparatide", today)
    assert verdict == "blocked" and "PTH-1" in shown_rule_ids(dialog)
    with qtbot.waitSignal(dialog.checked):
        dialog.course_spin.setValue(365)
    assert "PTH-1" not in shown_rule_ids(dialog)
    assert_shows_gate(dialog, patient_id, "teriparatide", today)


# --- who may record -----------------------------------------------------------------------------

def test_a_nurse_sees_the_verdict_and_rules_but_has_no_record_button(
        sqlite_clinic, patient, open_dialog, qtbot, today):
    record = breastfeeding_woman(today, indicated=True)
    record = replace(record, breastfeeding=(breastfed("b1", today - days(200), stopped_on=today - days(30)),))
    patient_id = patient(sqlite_clinic.nurse, record)
    dialog = open_dialog(sqlite_clinic.nurse, patient_id, today, drug="alendronate")

    assert assert_shows_gate(dialog, patient_id, "alendronate", today) == "allowed"
    assert dialog.record_button is None
    assert dialog.consultant_only_label.isVisible()
    assert dialog.consultant_only_label.text() == CONSULTANT_ONLY
    assert "Only a consultant records treatment decisions" in CONSULTANT_ONLY
    assert not dialog.reason_edit.isVisible()
    with qtbot.waitSignal(dialog.checked):
        dialog.set_on(today - days(40))        # she can still ask the gate about another day
    assert assert_shows_gate(dialog, patient_id, "alendronate", today - days(40)) == "blocked"
    with pytest.raises(PermissionDenied):
        services.record_decision(sqlite_clinic.nurse, patient_id, plan="start", drug="alendronate", on=today)
    assert services.load_patient_record(patient_id).decisions == ()


# --- refusals shown in words, nothing saved --------------------------------------------------------

def test_a_refusal_after_her_record_changed_is_shown_and_nothing_is_saved(
        clinic, patient, open_dialog, qtbot, today):
    record = breastfeeding_woman(today, indicated=True)
    record = replace(record, breastfeeding=(breastfed("b1", today - days(200), stopped_on=today - days(30)),))
    patient_id = patient(clinic.nurse, record)
    dialog = open_dialog(clinic.consultant, patient_id, today, drug="alendronate")
    assert dialog.record_button.isEnabled()

    # someone else corrects the feeding entry: she is still breastfeeding
    (entry,) = services.load_patient_record(patient_id).breastfeeding
    services.update_clinical_entry(clinic.nurse, replace(entry, stopped_on=None), expected_version=entry.version)
    click(qtbot, dialog.record_button)

    assert services.load_patient_record(patient_id).decisions == ()
    assert dialog.decision is None and dialog.isVisible()
    assert assert_shows_gate(dialog, patient_id, "alendronate", today) == "blocked"
    assert "BF-1" in dialog.record_status.text()
    assert not dialog.record_button.isEnabled()


def test_a_validation_problem_is_shown_at_the_reason_and_nothing_is_saved(
        sqlite_clinic, patient, open_dialog, qtbot, today):
    record = breastfeeding_woman(today, indicated=True)
    record = replace(record, breastfeeding=(breastfed("b1", today - days(200), stopped_on=today - days(30)),))
    patient_id = patient(sqlite_clinic.nurse, record)
    dialog = open_dialog(sqlite_clinic.consultant, patient_id, today, drug="alendronate")
    dialog.reason_edit.setPlainText("Weaned \x07 and treated")   # a control character cannot be kept

    click(qtbot, dialog.record_button)

    assert services.load_patient_record(patient_id).decisions == ()
    error = dialog.field_errors["override_reason"]
    assert error.isVisible() and "contains" in error.text()
    assert dialog.record_status.text() == "Not recorded: see the fields marked above."
    dialog.reason_edit.setPlainText("Weaned and treated")
    assert not error.isVisible()


def test_ask_returns_the_recorded_decision_or_none(sqlite_clinic, patient, qtbot, today, monkeypatch):
    record = breastfeeding_woman(today, indicated=True)
    record = replace(record, breastfeeding=(breastfed("b1", today - days(200), stopped_on=today - days(30)),))
    patient_id = patient(sqlite_clinic.nurse, record)

    def record_then_close(dialog: DecisionDialog) -> int:
        dialog.set_drug("risedronate")
        dialog.record()
        return 1

    monkeypatch.setattr(DecisionDialog, "exec", record_then_close)
    decision = DecisionDialog.ask(sqlite_clinic.consultant, patient_id, on=today)
    assert decision == services.load_patient_record(patient_id).decisions[0]
    assert decision.drug == "risedronate"
    monkeypatch.setattr(DecisionDialog, "exec", lambda dialog: 0)
    assert DecisionDialog.ask(sqlite_clinic.consultant, patient_id, on=today) is None


# --- the section -------------------------------------------------------------------------------

def treated_woman(today: date):
    weaned = today - days(120)
    return breastfeeding_woman(
        today, indicated=True,
        breastfeeding=(breastfed("b1", today - days(200), stopped_on=weaned),),
        medications=(medication("calcium_vitamin_d", today - days(150), ref="m1"),
                     medication("zoledronate", today - days(90), today - days(90), ref="m2"),
                     medication("alendronate", today - days(110), today - days(95), ref="m3")),
    )


def test_the_section_lists_her_medications_and_decisions_in_words(clinic, patient, qtbot, today):
    patient_id = patient(clinic.nurse, treated_woman(today))
    services.record_decision(clinic.consultant, patient_id, plan="start", drug="risedronate", on=today - days(5),
                             reason="Two vertebral fractures, weaned", review_on=today + days(270))
    services.record_decision(clinic.consultant, patient_id, plan="defer", on=today - days(130))
    section = MedicationsSection()
    qtbot.addWidget(section)
    section.resize(1000, 600)
    section.show_view(services.patient_view(patient_id, today))
    section.show()

    proxy = section.medication_proxy
    rows = [[proxy.index(r, c).data() for c in range(proxy.columnCount())] for r in range(proxy.rowCount())]
    assert rows == [   # newest start first
        ["Zoledronic acid", "Single dose", written_date(today - days(90)), written_date(today - days(90)), "1",
         "Stopped"],
        ["Alendronic acid", "Course", written_date(today - days(110)), written_date(today - days(95)), "16",
         "Stopped"],
        ["Calcium and vitamin D", "Course", written_date(today - days(150)), "\u2014", "151", "Ongoing"],
    ]
    proxy = section.decision_proxy
    rows = [[proxy.index(r, c).data() for c in range(proxy.columnCount())] for r in range(proxy.rowCount())]
    by = clinic.consultant.display_name
    assert rows == [
        [written_date(today - days(5)), "Start", "Risedronate", by, "Two vertebral fractures, weaned",
         written_date(today + days(270))],
        [written_date(today - days(130)), "Defer", "\u2014", by, "\u2014", "No review date"],
    ]
    assert not section.medication_empty.isVisible() and not section.decision_empty.isVisible()


def test_the_sections_buttons_ask_for_their_actions_with_the_entry_selected(sqlite_clinic, patient, qtbot, today):
    patient_id = patient(sqlite_clinic.nurse, treated_woman(today))
    services.record_decision(sqlite_clinic.consultant, patient_id, plan="defer", on=today - days(130))
    section = MedicationsSection()
    qtbot.addWidget(section)
    section.show_view(services.patient_view(patient_id, today))
    section.show()
    assert not section.edit_button.isEnabled() and not section.decision_error_button.isEnabled()

    with qtbot.waitSignal(section.decision_requested):
        click(qtbot, section.record_button)
    with qtbot.waitSignal(section.add_requested) as added:
        click(qtbot, section.add_button)
    assert added.args == ["medications"]

    section.medication_view.selectRow(0)
    chosen = section.medication_proxy.index(0, 0).data(ROW_ROLE)
    assert isinstance(chosen, Medication) and chosen.id is not None
    with qtbot.waitSignal(section.edit_requested) as edited:
        click(qtbot, section.edit_button)
    assert edited.args == [chosen]
    with qtbot.waitSignal(section.entered_in_error_requested) as wrong:
        click(qtbot, section.medication_error_button)
    assert wrong.args == [chosen]

    section.decision_view.selectRow(0)
    (decision,) = services.load_patient_record(patient_id).decisions
    with qtbot.waitSignal(section.entered_in_error_requested) as wrong:
        click(qtbot, section.decision_error_button)
    assert wrong.args == [decision] and isinstance(decision, Decision)


def test_an_empty_record_says_so(sqlite_clinic, patient, qtbot, today):
    patient_id = patient(sqlite_clinic.nurse, well_documented_record(today))
    section = MedicationsSection()
    qtbot.addWidget(section)
    section.show_view(services.patient_view(patient_id, today))
    section.show()
    assert section.medication_empty.isVisible() and section.decision_empty.isVisible()
    assert section.medication_proxy.rowCount() == 0 and section.decision_proxy.rowCount() == 0


def test_the_sections_models_pass_the_model_tester(qtmodeltester, today):
    medications = MedicationTableModel()
    medications.set_day(today)
    medications.set_rows([medication("alendronate", today - days(100), today - days(10)),
                          medication("denosumab", today - days(50), today - days(50)),
                          medication("calcium_vitamin_d", today - days(300))])
    decisions = DecisionTableModel()
    decisions.set_rows([Decision(decided_on=today - days(5), plan="start", by="Dr A", drug="alendronate",
                                 override_reason="reason", review_on=today + days(90)),
                        Decision(decided_on=today - days(50), plan="conservative", by="Dr B")])
    for model, column in ((medications, MedicationTableModel.COL_DAYS), (decisions, DecisionTableModel.COL_REVIEW)):
        qtmodeltester.check(model, force_py=True)
        qtmodeltester.check(model)
        proxy = RowSortProxy()
        proxy.setSourceModel(model)
        proxy.sort(column, Qt.SortOrder.DescendingOrder)
        qtmodeltester.check(proxy, force_py=True)
    shown = [medications.index(r, MedicationTableModel.COL_DAYS).data() for r in range(3)]
    assert shown == ["301", "91", "1"]   # ongoing 300 days back, 91-day course, one dose
    shown = [decisions.index(r, DecisionTableModel.COL_REVIEW).data() for r in range(2)]
    assert shown == [written_date(today + days(90)), "No review date"]  # no date sorts last
