"""Check medication: the gate's verdict, rules and facts as the dialog shows them."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

import pytest
from PySide6.QtCore import QEvent, Qt
from PySide6.QtWidgets import QApplication

from pao_clinic import services
from pao_clinic.record import codes
from pao_clinic.storage.location import parse_database_url
from pao_clinic.gate import RuleFinding
from pao_clinic.services import CaseloadRow
from ui.caseload_model import ROW_ROLE
from ui.check_dialog import CheckMedicationDialog, RuleTableModel
from ui.main_window import MainWindow

pytestmark = [
    pytest.mark.qt_log_level_fail("WARNING"),
    pytest.mark.qt_log_ignore("does not support propagateSizeHints"),
]

TODAY = date.today()


@pytest.fixture
def rows(demo_clinic) -> list[CaseloadRow]:
    return services.caseload_rows(TODAY)


@pytest.fixture
def open_dialog(qtbot):
    dialogs = []

    def make(patient: CaseloadRow) -> CheckMedicationDialog:
        dialog = CheckMedicationDialog(patient, on=TODAY)
        dialogs.append(dialog)
        dialog.show()
        qtbot.waitExposed(dialog)
        return dialog

    yield make
    for dialog in dialogs:
        dialog.close()
        dialog.deleteLater()
    QApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)


def ask(qtbot, dialog: CheckMedicationDialog, drug: str):
    dialog.set_drug(drug)
    with qtbot.waitSignal(dialog.checked) as checked:
        qtbot.mouseClick(dialog.check_button, Qt.MouseButton.LeftButton)
    return checked.args[0]


def shown_rules(dialog: CheckMedicationDialog) -> list[tuple[str, str, str]]:
    proxy = dialog.rule_proxy
    return [tuple(proxy.index(r, c).data() for c in range(3)) for r in range(proxy.rowCount())]


def test_zoledronate_for_a_breastfeeding_patient_is_blocked_by_bf_1(rows, open_dialog, qtbot):
    patient = next(r for r in rows if r.lactation == "breastfeeding")
    dialog = open_dialog(patient)
    result = ask(qtbot, dialog, "zoledronate")

    assert result.verdict == "blocked"
    assert dialog.verdict_label.text() == "Blocked"
    assert dialog.verdict_label.property("verdict") == "blocked"
    assert "allowed" not in dialog.explanation_label.text().lower()
    rules = shown_rules(dialog)
    assert ("Block", "BF-1") in [(level, rule_id) for level, rule_id, _ in rules]
    levels = [level for level, _, _ in rules]
    assert levels == sorted(levels, key=["Block", "Warn", "Info"].index)  # block first
    assert [rule_id for _, rule_id, _ in rules] == [r.id for r in result.rules]
    assert dialog.fact_values["lactation"].text() == "Breastfeeding"
    assert dialog.fact_values["pregnant"].text() in ("Yes", "No")
    if result.review_on:
        assert dialog.review_label.isVisible()


def test_calcium_and_vitamin_d_is_allowed_with_only_sup_1(rows, open_dialog, qtbot):
    patient = next(r for r in rows if r.lactation == "breastfeeding")
    dialog = open_dialog(patient)
    result = ask(qtbot, dialog, "calcium_vitamin_d")
    assert dialog.verdict_label.text() == "Allowed"
    assert dialog.verdict_label.property("verdict") == "allowed"
    assert [rule_id for _, rule_id, _ in shown_rules(dialog)] == ["SUP-1"] == list(result.rule_ids())
    assert not dialog.review_label.isVisible()


def test_needs_a_reason_is_never_worded_as_allowed(rows, open_dialog, qtbot):
    found = next(((r, drug) for r in rows for drug in ("alendronate", "risedronate")
                  if services.gate_check(r.patient_id, drug, TODAY).verdict == "needs_reason"), None)
    if found is None:
        pytest.skip("no needs_reason case in this demo caseload")
    patient, drug = found
    dialog = open_dialog(patient)
    ask(qtbot, dialog, drug)
    assert dialog.verdict_label.text() == "Needs a written reason"
    assert dialog.verdict_label.property("verdict") == "needs_reason"
    assert "allowed" not in dialog.verdict_label.text().lower()
    assert "reason" in dialog.explanation_label.text()


def test_course_days_show_only_for_pth_analogues_and_reach_the_gate(rows, open_dialog, qtbot):
    dialog = open_dialog(rows[0])
    for drug in codes.DRUGS:
        dialog.set_drug(drug)
        assert dialog.course_spin.isVisible() == (drug in codes.PTH_ANALOGUES)
    dialog.set_drug("teriparatide")
    dialog.course_spin.setValue(800)  # more than the lifetime limit of 730 days
    result = ask(qtbot, dialog, "teriparatide")
    assert result == services.gate_check(rows[0].patient_id, "teriparatide", TODAY, course_days=800)
    assert "PTH-1" in result.rule_ids("block") and dialog.verdict_label.text() == "Blocked"


def test_changing_the_question_clears_the_answer(rows, open_dialog, qtbot):
    dialog = open_dialog(rows[0])
    ask(qtbot, dialog, "zoledronate")
    assert dialog.answer.isVisible()
    dialog.set_drug("denosumab")
    assert not dialog.answer.isVisible() and dialog.result is None and dialog.verdict_text() == ""


def test_an_error_from_the_services_is_shown_as_text(demo_clinic, open_dialog, qtbot, rows):
    gone = replace(rows[0], patient_id=999_999)
    dialog = open_dialog(gone)
    with qtbot.waitSignal(dialog.failed) as failed:
        qtbot.mouseClick(dialog.check_button, Qt.MouseButton.LeftButton)
    assert "no patient with id 999999" in failed.args[0]
    assert dialog.error_label.isVisible() and "999999" in dialog.error_label.text()
    assert not dialog.answer.isVisible()


def test_check_medication_opens_from_the_main_window_by_action_and_double_click(demo_clinic, qtbot):
    window = MainWindow(demo_clinic.consultant, parse_database_url(demo_clinic.url).describe())
    window.show()
    try:
        with qtbot.waitSignal(window.refreshed, timeout=20_000):
            window.refresh()
        window.caseload_view.selectRow(0)
        patient = window.selected_patient()
        window.check_action.trigger()
        assert window.check_dialog is not None and window.check_dialog.patient == patient
        window.check_dialog.close()
        qtbot.waitUntil(lambda: window.check_dialog is None)

        index = window.caseload_proxy.index(2, 1)
        rect = window.caseload_view.visualRect(index)
        # a real double-click is a click, then a double-click event
        qtbot.mouseClick(window.caseload_view.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
        qtbot.mouseDClick(window.caseload_view.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
        assert window.check_dialog is not None
        assert window.check_dialog.patient == index.data(ROW_ROLE)
        window.check_dialog.close()
    finally:
        window.close()
        window.deleteLater()
        QApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)


def test_the_rule_model_passes_the_model_tester(qtmodeltester):
    model = RuleTableModel()
    model.set_rows([RuleFinding("BF-1", "block", "Breastfeeding."), RuleFinding("DEN-1", "warn", "No dental review."),
                    RuleFinding("IND-2", "info", "Indications present.")])
    qtmodeltester.check(model, force_py=True)
    qtmodeltester.check(model)
    assert [model.index(r, 0).data() for r in range(3)] == ["Block", "Warn", "Info"]


def test_the_dialog_reads_her_dexa_by_z_score_with_the_t_score_only_for_reference(rows, open_dialog, qtbot):
    patient = next(r for r in rows if r.lowest_z is not None)
    dialog = open_dialog(patient)
    ask(qtbot, dialog, "alendronate")
    reading = services.dexa_reading(patient.patient_id, TODAY)
    text = dialog.dexa_label.text()
    assert text == "\n".join(f"\u2022 {scan.summary}" for scan in reading.latest) and text
    expected_class = "below the expected range for age" if patient.lowest_z <= -2.0 else "within the expected range"
    assert expected_class in text
    assert "osteoporosis" not in text.lower()
    if any(scan.t_score is not None for scan in reading.latest):
        assert "(for reference only)" in text


def test_without_a_dexa_the_dialog_says_a_scan_is_needed(rows, open_dialog, qtbot):
    patient = next(r for r in rows if r.lowest_z is None and not services.dexa_reading(r.patient_id, TODAY).scans)
    dialog = open_dialog(patient)
    ask(qtbot, dialog, "alendronate")
    assert dialog.dexa_label.text().startswith("No DEXA on record")
