"""Check medication: the gate's verdict, rules and facts as the dialog shows them.

Each case is a woman made for it: a numbered example of the gate's spec imported into
a fresh clinic (tests/data/gate_examples), asked on the day the spec asks, so every
verdict, review date, rule and fact shown can be checked against its exact value.
"""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import date

import pytest
from PySide6.QtCore import QEvent, Qt
from PySide6.QtWidgets import QApplication

from pao_clinic import services
from pao_clinic.gate import RuleFinding
from pao_clinic.record import codes
from pao_clinic.services import CaseloadRow
from pao_clinic.storage.location import parse_database_url
from ui.caseload_model import ROW_ROLE
from pao_clinic.services.patient_view import banner_name
from ui.check_dialog import CheckMedicationDialog, RuleTableModel
from ui.main_window import MainWindow

from .gate_builders import EXAMPLES_DIR, read_examples_document

pytestmark = [
    pytest.mark.qt_log_level_fail("WARNING"),
    pytest.mark.qt_log_ignore("does not support propagateSizeHints"),
]

EXPECTED = json.loads((EXAMPLES_DIR / "expected.json").read_text(encoding="utf-8"))["examples"]
CHECKS = [(e["example"], c) for e in EXPECTED for c in e["checks"]]
LEVEL_WORDS = {"block": "Block", "warn": "Warn", "info": "Info"}
VERDICT_WORDS = {"blocked": "Blocked", "needs_reason": "Needs a written reason", "allowed": "Allowed"}
LACTATION_WORDS = {"breastfeeding": "Breastfeeding", "ceased": "Ceased", "unknown": "Unknown \u2014 ask",
                   "not_breastfed": "Not breastfed", "not_applicable": "No births"}
MONTHS = "Jan Feb Mar Apr May Jun Jul Aug Sep Oct Nov Dec".split()


def clinic_date(iso: str) -> str:
    day = date.fromisoformat(iso)
    return f"{day.day:02d}-{MONTHS[day.month - 1]}-{day.year}"


@pytest.fixture
def spec_patient(qapp, sqlite_clinic):
    """Import example N of the gate's spec into the clinic: her caseload line on a given day."""
    qapp.setOrganizationName("PAO Clinic tests")

    def make(number: int, on: date) -> CaseloadRow:
        (patient_id,) = services.import_records(sqlite_clinic.nurse, read_examples_document(number))
        (row,) = [r for r in services.caseload_rows(on) if r.patient_id == patient_id]
        return row

    return make


@pytest.fixture
def open_dialog(qtbot):
    dialogs = []

    def make(patient: CaseloadRow, on: date) -> CheckMedicationDialog:
        dialog = CheckMedicationDialog(patient, on=on)
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


def shown_rules(dialog: CheckMedicationDialog) -> list[tuple[str, str]]:
    proxy = dialog.rule_proxy
    return [(proxy.index(r, 0).data(), proxy.index(r, 1).data()) for r in range(proxy.rowCount())]


def shown_facts(dialog: CheckMedicationDialog) -> dict[str, str]:
    return {key: label.text() for key, label in dialog.fact_values.items()}


# --- every check of the spec, as the dialog shows it ----------------------------------------

@pytest.mark.parametrize("number, check", CHECKS, ids=[f"example{n}-{c['drug']}-{c['on']}" for n, c in CHECKS])
def test_each_spec_check_shows_its_verdict_review_rules_and_facts(spec_patient, open_dialog, qtbot, number, check):
    on = date.fromisoformat(check["on"])
    dialog = open_dialog(spec_patient(number, on), on)
    ask(qtbot, dialog, check["drug"])

    assert dialog.verdict_label.text() == VERDICT_WORDS[check["verdict"]]
    assert dialog.verdict_label.property("verdict") == check["verdict"]
    assert dialog.explanation_label.text().startswith(f"{codes.DRUG_NAMES[check['drug']]} on {clinic_date(check['on'])}. ")
    assert shown_rules(dialog) == [(LEVEL_WORDS[level], rule_id) for level in ("block", "warn", "info")
                                   for rule_id in check["rules"][level]]
    review = check["review_on"]
    assert dialog.review_label.isVisible() == (review is not None)
    assert dialog.review_label.text() == (f"Review on {clinic_date(review)}" if review else "")
    facts = check["facts"]
    assert shown_facts(dialog) == {
        "pregnant": "Yes" if facts["pregnant"] else "No",
        "lactation": LACTATION_WORDS[facts["lactation"]],
        "index_date": clinic_date(facts["index_date"]) if facts["index_date"] else "None (no fragility fracture)",
        "repeat_fractures": str(facts["repeat_fractures"]),
        "vertebral_fractures_at_presentation": str(facts["vertebral_fractures_at_presentation"]),
        "lowest_z": f"{facts['lowest_z']:.1f}" if facts["lowest_z"] is not None else "None recorded",
        "anabolic_days_used": str(facts["anabolic_days_used"]),
    }


# --- the cases one by one, in full ---------------------------------------------------------

def test_zoledronate_while_she_breastfeeds_is_blocked_by_bf_1(spec_patient, open_dialog, qtbot):
    on = date(2025, 6, 1)
    dialog = open_dialog(spec_patient(1, on), on)  # example 1: breastfeeding, no stop recorded
    result = ask(qtbot, dialog, "zoledronate")

    assert result.verdict == "blocked" and result.review_on is None
    assert dialog.verdict_label.text() == "Blocked"
    assert dialog.explanation_label.text() == (
        "Zoledronic acid on 01-Jun-2025. Do not start: at least one rule below blocks this drug on this date.")
    assert shown_rules(dialog) == [("Block", "BF-1"), ("Info", "IND-2"), ("Info", "DXA-3")]
    assert not dialog.review_label.isVisible()
    assert shown_facts(dialog) == {
        "pregnant": "No", "lactation": "Breastfeeding", "index_date": "20-Apr-2025", "repeat_fractures": "0",
        "vertebral_fractures_at_presentation": "2", "lowest_z": "-2.6", "anabolic_days_used": "0"}


def test_a_planned_stop_of_breastfeeding_shows_the_review_date(spec_patient, open_dialog, qtbot):
    on = date(2025, 8, 1)
    dialog = open_dialog(spec_patient(3, on), on)  # example 3: planned stop 30-Sep-2025
    result = ask(qtbot, dialog, "alendronate")

    assert result.review_on == date(2025, 10, 1)
    assert dialog.verdict_label.text() == "Blocked"
    assert dialog.review_label.isVisible() and dialog.review_label.text() == "Review on 01-Oct-2025"
    assert ("Block", "BF-1") in shown_rules(dialog)


def test_a_pregnant_woman_is_shown_as_pregnant(spec_patient, open_dialog, qtbot):
    on = date(2025, 3, 1)
    dialog = open_dialog(spec_patient(8, on), on)  # example 8: pregnant and breastfeeding
    ask(qtbot, dialog, "alendronate")

    assert dialog.fact_values["pregnant"].text() == "Yes"
    assert dialog.fact_values["lactation"].text() == "Breastfeeding"
    assert shown_rules(dialog) == [("Block", "PREG-1"), ("Block", "BF-1"), ("Warn", "IND-1"), ("Warn", "DXA-1")]


def test_calcium_and_vitamin_d_is_allowed_with_only_sup_1(spec_patient, open_dialog, qtbot):
    on = date(2025, 3, 1)
    dialog = open_dialog(spec_patient(8, on), on)
    result = ask(qtbot, dialog, "calcium_vitamin_d")

    assert dialog.verdict_label.text() == "Allowed"
    assert dialog.verdict_label.property("verdict") == "allowed"
    assert shown_rules(dialog) == [("Info", "SUP-1")] and list(result.rule_ids()) == ["SUP-1"]
    assert not dialog.review_label.isVisible()


def test_needs_a_reason_is_never_worded_as_allowed(spec_patient, open_dialog, qtbot):
    on = date(2025, 3, 1)
    dialog = open_dialog(spec_patient(5, on), on)  # example 5: one grade 1 fracture, Z -1.2
    ask(qtbot, dialog, "alendronate")

    assert dialog.verdict_label.text() == "Needs a written reason"
    assert dialog.verdict_label.property("verdict") == "needs_reason"
    assert dialog.explanation_label.text() == (
        "Alendronic acid on 01-Mar-2025. Starting needs a consultant's written reason against each warning below.")
    assert "allowed" not in (dialog.verdict_label.text() + dialog.explanation_label.text()).lower()
    assert shown_rules(dialog) == [("Warn", "IND-1"), ("Info", "PREG-2")]


# --- the question ----------------------------------------------------------------------------

def test_course_days_show_only_for_pth_analogues_and_reach_the_gate(spec_patient, open_dialog, qtbot):
    on = date(2025, 5, 20)
    patient = spec_patient(6, on)
    dialog = open_dialog(patient, on)
    for drug in codes.DRUGS:
        dialog.set_drug(drug)
        assert dialog.course_spin.isVisible() == (drug in codes.PTH_ANALOGUES)
    dialog.set_drug("teriparatide")
    dialog.course_spin.setValue(800)  # more than the lifetime limit of 730 days
    result = ask(qtbot, dialog, "teriparatide")
    assert result == services.gate_check(patient.patient_id, "teriparatide", on, course_days=800)
    assert "PTH-1" in result.rule_ids("block") and dialog.verdict_label.text() == "Blocked"

    dialog.course_spin.setValue(730)  # exactly the limit: PTH-1 no longer blocks
    result = ask(qtbot, dialog, "teriparatide")
    assert "PTH-1" not in result.rule_ids()


def test_changing_the_question_clears_the_answer(spec_patient, open_dialog, qtbot):
    on = date(2025, 6, 1)
    dialog = open_dialog(spec_patient(1, on), on)
    ask(qtbot, dialog, "zoledronate")
    assert dialog.answer.isVisible()
    dialog.set_drug("denosumab")
    assert not dialog.answer.isVisible() and dialog.result is None and dialog.verdict_text() == ""


def test_an_error_from_the_services_is_shown_as_text(spec_patient, open_dialog, qtbot):
    on = date(2025, 6, 1)
    gone = replace(spec_patient(1, on), patient_id=999_999)
    dialog = open_dialog(gone, on)
    with qtbot.waitSignal(dialog.failed) as failed:
        qtbot.mouseClick(dialog.check_button, Qt.MouseButton.LeftButton)
    assert "no patient with id 999999" in failed.args[0]
    assert dialog.error_label.isVisible() and "999999" in dialog.error_label.text()
    assert not dialog.answer.isVisible()


def test_check_medication_opens_from_the_main_window_and_a_double_click_opens_her_record(demo_clinic, qtbot):
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
        assert window.check_dialog is None  # a double-click opens her record, not the check
        opened = index.data(ROW_ROLE)
        assert window.patient_tabs.count() == 2
        assert window.patient_tabs.tabText(window.patient_tabs.currentIndex()) == \
            banner_name(opened.family_name, opened.given_name)
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


# --- her DEXA, read for her age --------------------------------------------------------------

def test_a_low_z_score_is_read_as_below_the_expected_range_with_the_t_score_for_reference(
        spec_patient, open_dialog, qtbot):
    on = date(2025, 6, 1)
    dialog = open_dialog(spec_patient(2, on), on)  # example 2: lumbar spine Z -2.6, T -2.9, while breastfeeding
    ask(qtbot, dialog, "alendronate")
    assert dialog.dexa_label.text() == (
        "\u2022 Lumbar spine 28-Apr-2025: Z-score -2.6, below the expected range for age. "
        "T-score -2.9 (for reference only). BMD 0.781 g/cm\u00b2. "
        "Scanned while breastfeeding: bone density lost in lactation usually recovers after weaning.")
    assert "osteoporosis" not in dialog.dexa_label.text().lower()


def test_z_scores_above_minus_2_are_within_the_expected_range_one_line_per_site(spec_patient, open_dialog, qtbot):
    on = date(2025, 5, 20)
    dialog = open_dialog(spec_patient(6, on), on)  # example 6: spine Z -1.2, hip Z -0.9 on 20-Feb-2025
    ask(qtbot, dialog, "alendronate")
    lines = dialog.dexa_label.text().split("\n")
    assert [line.split(":")[0] for line in lines] == ["\u2022 Lumbar spine 20-Feb-2025", "\u2022 Total hip 20-Feb-2025"]
    assert "Z-score -1.2, within the expected range" in lines[0]
    assert "Z-score -0.9, within the expected range" in lines[1]
    assert all("(for reference only)" in line and "osteoporosis" not in line.lower() for line in lines)


def test_without_a_dexa_the_dialog_says_a_scan_is_needed(spec_patient, open_dialog, qtbot):
    on = date(2025, 4, 1)
    dialog = open_dialog(spec_patient(4, on), on)  # example 4: no DEXA yet
    ask(qtbot, dialog, "alendronate")
    assert dialog.dexa_label.text() == (
        "No DEXA on record by this date: a scan is needed to judge her bone density.")
