"""The list sections of her record (pregnancies and feeding, bloods, height, EPDS, referrals, audit), real widgets."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QImage
from PySide6.QtWidgets import QWidget

from pao_clinic import services
from pao_clinic.clinic_settings import ClinicSettings
from pao_clinic.record import Contraception, DentalReview, Feeding, Pregnancy, Referral
from pao_clinic.services.patient_view import patient_view
from ui.caseload_model import ROW_ROLE
from ui.patient_record import SECTION_KEYS, PatientRecordWidget
from ui.record_sections import (
    SECTION_PAGES, AuditSection, BloodsSection, BloodTableModel, EpdsSection, EpdsTableModel, FeedingTableModel,
    HeightSection, PregnanciesSection, ReferralsSection, blood_flag, feeding_status, gestation_words,
)

from .gate_builders import blood, days, epds, height, normal_bloods, well_documented_record

pytestmark = [
    pytest.mark.qt_log_level_fail("WARNING"),
    pytest.mark.qt_log_ignore("does not support propagateSizeHints"),
]

TODAY = date(2026, 4, 15)


def lucja_record():
    """Two births (fed after both: stopped, then a planned stop now passed), bloods old and new,
    heights falling, EPDS at the threshold then a self-harm answer, four referrals."""
    return well_documented_record(
        TODAY, ref="p1", family_name="Wiśniewska-O'Brien", given_name="Łucja", date_of_birth=date(1991, 4, 12),
        risk_factors=("heparin", "vitamin_d_deficiency"),
        pregnancies=(
            Pregnancy(ref="b1", number=1, outcome="live_birth", due_date=date(2023, 9, 20),
                      ended_on=date(2023, 9, 10), delivery_mode="vaginal"),
            Pregnancy(ref="b2", number=2, outcome="live_birth", due_date=date(2026, 2, 10),
                      ended_on=date(2026, 2, 3), delivery_mode="caesarean"),
        ),
        breastfeeding=(
            Feeding(pregnancy="b1", breastfed=True, started_on=date(2023, 9, 10), stopped_on=date(2024, 3, 1)),
            Feeding(pregnancy="b2", breastfed=True, started_on=date(2026, 2, 3), planned_stop_on=date(2026, 3, 31)),
        ),
        bloods=normal_bloods(TODAY - days(10)) + (
            blood("vitamin_d_25oh", 38, date(2025, 12, 1)),       # low, and older than 90 days
            blood("adjusted_calcium", 2.65, date(2026, 3, 26)),   # high, within 90 days
        ),
        heights=(height(date(2025, 1, 10), 165.0), height(date(2025, 7, 10), 164.0), height(date(2026, 3, 1), 160.5)),
        epds=(epds(date(2026, 2, 20), 8), epds(date(2026, 3, 2), 13), epds(date(2026, 3, 20), 11, self_harm_item=1)),
        referrals=(
            Referral(ref="r1", specialty="rheumatology", urgency="routine", status="sent",
                     created_on=date(2026, 1, 10), sent_on=date(2026, 1, 12), reason="PAO review"),
            Referral(ref="r2", specialty="physiotherapy", urgency="urgent", status="sent",
                     created_on=date(2026, 4, 5), sent_on=date(2026, 4, 6), reason="Back pain after L1 fracture"),
            Referral(ref="r3", specialty="endocrinology", urgency="routine", status="seen",
                     created_on=date(2025, 10, 1), sent_on=date(2025, 10, 2), seen_on=date(2025, 11, 15),
                     reason="Secondary causes"),
            Referral(ref="r4", specialty="nutrition", urgency="routine", status="draft",
                     created_on=date(2026, 4, 1), reason="Diet review"),
        ),
    )


def amara_record():
    """Breastfeeding after her only birth, planned stop still to come; no contraception or dental review."""
    return well_documented_record(
        TODAY, ref="p2", family_name="Okafor", given_name="Amara", nhs_number=None, hospital_number="RX2002",
        future_pregnancy_plan=None, contraception=(), dental_reviews=(),
        pregnancies=(Pregnancy(ref="b1", number=1, outcome="live_birth", due_date=date(2026, 1, 25),
                               ended_on=date(2026, 1, 28), delivery_mode="assisted"),),
        breastfeeding=(Feeding(pregnancy="b1", breastfed=True, started_on=date(2026, 1, 28),
                               planned_stop_on=date(2026, 6, 30)),),
    )


@pytest.fixture
def patients(clinic, qapp):
    qapp.setOrganizationName("PAO Clinic tests")
    lucja, amara = services.import_records(clinic.nurse, [lucja_record(), amara_record()])
    return {"lucja": lucja, "amara": amara}


@pytest.fixture
def view(patients):
    return patient_view(patients["lucja"], TODAY)


def shown(qtbot, page: QWidget, width: int = 1150, height: int = 760) -> QWidget:
    qtbot.addWidget(page)
    page.resize(width, height)
    page.show()
    qtbot.waitExposed(page)
    return page


def cells(table) -> list[list[str]]:
    proxy = table.proxy
    return [[proxy.index(r, c).data() for c in range(proxy.columnCount())] for r in range(proxy.rowCount())]


def click(qtbot, button) -> None:
    assert button.isEnabled(), f"{button.text()} is disabled"
    qtbot.mouseClick(button, Qt.MouseButton.LeftButton)


def double_click_row(qtbot, table, row: int) -> None:
    index = table.proxy.index(row, 1)
    table.view.scrollTo(index)
    centre = table.view.visualRect(index).center()
    # a real double-click is a click, then a double-click event
    qtbot.mouseClick(table.view.viewport(), Qt.MouseButton.LeftButton, pos=centre)
    qtbot.mouseDClick(table.view.viewport(), Qt.MouseButton.LeftButton, pos=centre)


def row_where(table, column: int, text: str) -> int:
    return next(r for r in range(table.proxy.rowCount()) if table.proxy.index(r, column).data() == text)


# --- pregnancies and feeding ---------------------------------------------------------------

def test_pregnancies_feeding_contraception_dental_and_about_her_in_words(qtbot, view):
    page = shown(qtbot, PregnanciesSection())
    page.show_view(view)
    assert cells(page.pregnancies) == [
        ["1", "Live birth", "20-Sep-2023", "10-Sep-2023", "Vaginal birth", "38+4 weeks at the end"],
        ["2", "Live birth", "10-Feb-2026", "03-Feb-2026", "Caesarean section", "39+0 weeks at the end"],
    ]
    assert cells(page.feeding) == [
        ["Pregnancy 1", "Yes", "10-Sep-2023", "01-Mar-2024", "Stopped"],
        ["Pregnancy 2", "Yes", "03-Feb-2026", "planned stop 31-Mar-2026", "Planned stop passed: ask"],
    ]
    assert cells(page.contraception) == [["16-Mar-2026", "copper IUD", "Yes"]]
    assert cells(page.dental) == [["14-Feb-2026", "within 365 days"]]
    assert page.risk_label.text() == "Heparin treatment, Vitamin D deficiency"
    assert page.history_label.text() == "None recorded"
    assert page.plan_label.text() == "No further pregnancy planned"
    assert page.pregnancy_box.title() == "Pregnancies (2)"
    assert page.feeding_box.title() == "Breastfeeding after each pregnancy (2)"


def test_a_planned_stop_still_to_come_is_breastfeeding_now_and_her_missing_lists_say_so(qtbot, patients):
    page = shown(qtbot, PregnanciesSection())
    page.show_view(patient_view(patients["amara"], TODAY))
    assert cells(page.feeding) == [
        ["Pregnancy 1", "Yes", "28-Jan-2026", "planned stop 30-Jun-2026", "Breastfeeding now"]]
    assert cells(page.pregnancies)[0][-1] == "40+3 weeks at the end"
    assert cells(page.contraception) == [] and cells(page.dental) == []
    assert page.plan_label.text() == "Not recorded: ask"
    # the day after her planned stop, the same entry asks whether she stopped
    page.show_view(patient_view(patients["amara"], date(2026, 7, 1)))
    assert cells(page.feeding)[0][-1] == "Planned stop passed: ask"


@pytest.mark.parametrize("entry, on, words", [
    (Feeding(pregnancy="b1", breastfed=False), TODAY, "Did not breastfeed"),
    (Feeding(pregnancy="b1", breastfed=True, started_on=TODAY + days(3)), TODAY, "Not started yet"),
    (Feeding(pregnancy="b1", breastfed=True, started_on=TODAY - days(9), stopped_on=TODAY), TODAY, "Breastfeeding now"),
    (Feeding(pregnancy="b1", breastfed=True, started_on=TODAY - days(9), stopped_on=TODAY - days(1)), TODAY, "Stopped"),
    (Feeding(pregnancy="b1", breastfed=True, started_on=TODAY - days(9), planned_stop_on=TODAY), TODAY,
     "Breastfeeding now"),
    (Feeding(pregnancy="b1", breastfed=True, started_on=TODAY - days(9), planned_stop_on=TODAY - days(1)), TODAY,
     "Planned stop passed: ask"),
    (Feeding(pregnancy="b1", breastfed=True), TODAY, "Breastfeeding now"),
])
def test_feeding_status_in_words(entry, on, words):
    assert feeding_status(entry, on) == words


def test_gestation_from_the_due_date_at_the_end_or_today_while_ongoing():
    ongoing = Pregnancy(ref="b3", number=3, outcome="ongoing", due_date=TODAY + days(100))
    assert gestation_words(ongoing, TODAY) == "25+5 weeks today"
    assert gestation_words(replace(ongoing, due_date=None), TODAY) == "\u2014"
    lost = Pregnancy(ref="b3", number=3, outcome="miscarriage", ended_on=TODAY - days(5))
    assert gestation_words(lost, TODAY) == "\u2014"


def test_feeding_stopped_edit_and_in_error_act_on_the_selected_entry_only(qtbot, view):
    page = shown(qtbot, PregnanciesSection())
    page.show_view(view)
    for button in (page.edit_button, page.error_button, page.feeding_stopped_button):
        assert not button.isEnabled()
    stopped, feeding = (page.feeding.proxy.index(r, 0).data(ROW_ROLE) for r in range(2))
    page.feeding.select(stopped)
    assert page.edit_button.isEnabled() and page.error_button.isEnabled()
    assert not page.feeding_stopped_button.isEnabled()  # she has already stopped
    page.feeding.select(feeding)
    with qtbot.waitSignal(page.feeding_stop_requested) as asked:
        click(qtbot, page.feeding_stopped_button)
    assert asked.args[0] is feeding and asked.args[0].id is not None and asked.args[0].version == 1
    with qtbot.waitSignal(page.edit_requested) as edit:
        click(qtbot, page.edit_button)
    assert edit.args[0] is feeding
    with qtbot.waitSignal(page.entered_in_error_requested) as error:
        click(qtbot, page.error_button)
    assert error.args[0] is feeding
    # one selection on the page: choosing a pregnancy drops the feeding entry
    first = page.pregnancies.proxy.index(0, 0).data(ROW_ROLE)
    page.pregnancies.select(first)
    assert page.feeding.selected() is None and page.selected_entry() is first
    assert not page.feeding_stopped_button.isEnabled()
    with qtbot.waitSignal(page.entered_in_error_requested) as error:
        click(qtbot, page.error_button)
    assert error.args[0] is first and first.ref == "b1"


def test_double_click_asks_to_edit_that_entry_and_the_add_buttons_name_their_list(qtbot, view):
    page = shown(qtbot, PregnanciesSection())
    page.show_view(view)
    with qtbot.waitSignal(page.edit_requested) as edit:
        double_click_row(qtbot, page.pregnancies, 1)
    assert isinstance(edit.args[0], Pregnancy) and edit.args[0].number == 2
    with qtbot.waitSignal(page.edit_requested) as edit:
        double_click_row(qtbot, page.contraception, 0)
    assert isinstance(edit.args[0], Contraception)
    with qtbot.waitSignal(page.edit_requested) as edit:
        double_click_row(qtbot, page.dental, 0)
    assert isinstance(edit.args[0], DentalReview)
    asked = []
    page.add_requested.connect(asked.append)
    for button in (page.add_pregnancy_button, page.add_feeding_button, page.add_contraception_button,
                   page.add_dental_button):
        click(qtbot, button)
    assert asked == ["pregnancies", "breastfeeding", "contraception", "dental_reviews"]
    assert page.add_feeding_button.text() == "Add feeding\u2026"


def test_a_new_reading_keeps_the_selected_entry_by_its_id(qtbot, patients, view):
    page = shown(qtbot, PregnanciesSection())
    page.show_view(view)
    feeding = page.feeding.proxy.index(1, 0).data(ROW_ROLE)
    page.feeding.select(feeding)
    page.show_view(patient_view(patients["lucja"], TODAY))
    assert page.selected_entry().id == feeding.id and page.feeding_stopped_button.isEnabled()
    page.show_view(patient_view(patients["amara"], TODAY))
    assert page.selected_entry() is None and not page.edit_button.isEnabled()


# --- bloods ---------------------------------------------------------------------------------

def test_bloods_flag_low_and_high_in_words_against_the_clinic_thresholds_and_mark_old_results(qtbot, view):
    page = shown(qtbot, BloodsSection())
    page.show_view(view)
    rows = {(r[0], r[1]): r for r in cells(page.results)}
    assert rows[("01-Dec-2025", "25-OH vitamin D")] == [
        "01-Dec-2025", "25-OH vitamin D", "38.0 nmol/L", "50.0 nmol/L or more", "low (below 50.0 nmol/L)",
        "older than 90 days"]
    assert rows[("26-Mar-2026", "Adjusted calcium")] == [
        "26-Mar-2026", "Adjusted calcium", "2.65 mmol/L", "2.2 to 2.6 mmol/L", "high (above 2.6 mmol/L)",
        "within 90 days"]
    assert rows[("05-Apr-2026", "25-OH vitamin D")][3:] == ["50.0 nmol/L or more", "", "within 90 days"]
    assert rows[("05-Apr-2026", "TSH")][2:] == ["1.8 mU/L", "", "", "within 90 days"]  # no threshold invented
    assert rows[("05-Apr-2026", "eGFR")][3] == "35.0 mL/min/1.73m\u00b2 or more (30.0 for other drugs)"
    assert len(rows) == 11
    assert "within 90 days of 15-Apr-2026" in page.window_label.text()
    with qtbot.waitSignal(page.edit_requested) as edit:
        double_click_row(qtbot, page.results, row_where(page.results, BloodTableModel.COL_FLAG, "low (below 50.0 nmol/L)"))
    assert edit.args[0].test == "vitamin_d_25oh" and edit.args[0].value == 38
    with qtbot.waitSignal(page.add_requested) as add:
        click(qtbot, page.add_result_button)
    assert add.args == ["bloods"]


@pytest.mark.parametrize("test, value, flag", [
    ("vitamin_d_25oh", 49.9, "low (below 50.0 nmol/L)"),
    ("vitamin_d_25oh", 50.0, ""),
    ("adjusted_calcium", 2.19, "low (below 2.2 mmol/L)"),
    ("adjusted_calcium", 2.20, ""),
    ("adjusted_calcium", 2.60, ""),
    ("adjusted_calcium", 2.61, "high (above 2.6 mmol/L)"),
    ("alkaline_phosphatase", 130, ""),
    ("alkaline_phosphatase", 131, "high (above 130.0 U/L)"),
    ("egfr", 35, ""),
    ("egfr", 34, "low (below 35.0 mL/min/1.73m\u00b2)"),
    ("egfr", 29, "low (below 30.0 mL/min/1.73m\u00b2)"),
    ("phosphate", 0.2, ""),
])
def test_blood_flags_are_the_gates_thresholds(test, value, flag):
    assert blood_flag(blood(test, value, TODAY), ClinicSettings()) == flag


def test_blood_flags_and_the_window_follow_the_clinics_own_settings():
    settings = ClinicSettings(vitamin_d_low_nmol_l=75.0, results_window_days=30)
    model = BloodTableModel()
    model.set_results([blood("vitamin_d_25oh", 60, TODAY - days(31)), blood("vitamin_d_25oh", 80, TODAY - days(30))],
                      TODAY, settings)
    shown_rows = [[model.index(r, c).data() for c in (model.COL_FLAG, model.COL_WINDOW)] for r in range(2)]
    assert shown_rows == [["low (below 75.0 nmol/L)", "older than 30 days"], ["", "within 30 days"]]


# --- height ---------------------------------------------------------------------------------

def test_heights_show_the_change_from_the_first_and_the_gates_height_loss(qtbot, view):
    page = shown(qtbot, HeightSection())
    page.show_view(view)
    assert cells(page.heights) == [
        ["10-Jan-2025", "165.0 cm", "first measurement", "\u2014", ""],
        ["10-Jul-2025", "164.0 cm", "\u22121.0 cm", "\u22121.0 cm", ""],
        ["01-Mar-2026", "160.5 cm", "\u22124.5 cm", "\u22123.5 cm", "height loss: look for a new vertebral fracture"],
    ]
    task = next(t for t in view.overview.tasks if t.code == "HEIGHT-LOSS")
    assert page.heights.proxy.index(2, 4).data(Qt.ItemDataRole.ToolTipRole) == task.message
    assert page.loss_label.text() == f"<b>Height loss:</b> {task.message}"
    assert "2.0 cm or more from the previous" in page.threshold_label.text()
    assert "4.0 cm or more from the first" in page.threshold_label.text()


def test_a_small_fall_in_height_is_no_height_loss(qtbot, clinic, qapp):
    record = well_documented_record(TODAY, heights=(height(date(2025, 1, 10), 165.0), height(date(2026, 3, 1), 163.5)))
    (patient_id,) = services.import_records(clinic.nurse, [record])
    page = shown(qtbot, HeightSection())
    page.show_view(patient_view(patient_id, TODAY))
    assert [r[2:] for r in cells(page.heights)] == [["first measurement", "\u2014", ""], ["\u22121.5 cm", "\u22121.5 cm", ""]]
    assert page.loss_label.text() == "No height loss on her latest measurement."


# --- EPDS -----------------------------------------------------------------------------------

def test_epds_at_the_threshold_says_so_and_item_10_is_shown_prominently(qtbot, view):
    page = shown(qtbot, EpdsSection())
    page.show_view(view)
    assert cells(page.screens) == [
        ["20-Feb-2026", "8", "0: never", "below the threshold (13)"],
        ["02-Mar-2026", "13", "0: never", "at or above the threshold (13): mood task / referral"],
        ["20-Mar-2026", "11", "1: self-harm thoughts: assess today", "below the threshold (13)"],
    ]
    assert page.self_harm_label.isVisible()
    assert page.self_harm_label.text() == "\u26a0 Self-harm: item 10 scored 1 on 20-Mar-2026"
    assert "EPDS score of 13 or more" in page.threshold_label.text()
    mood = next(t for t in view.overview.tasks if t.code == "MOOD")
    assert page.mood_label.text() == f"Mood task open: {mood.message}"
    with qtbot.waitSignal(page.edit_requested) as edit:
        double_click_row(qtbot, page.screens, 1)
    assert edit.args[0].score == 13


def test_epds_threshold_is_the_clinics_setting_and_no_self_harm_hides_the_mark(qtbot, patients):
    model = EpdsTableModel()
    model.set_screens([epds(TODAY, 10), epds(TODAY, 9)], ClinicSettings(epds_high_score=10))
    assert [model.index(r, model.COL_THRESHOLD).data() for r in range(2)] == [
        "at or above the threshold (10): mood task / referral", "below the threshold (10)"]
    page = shown(qtbot, EpdsSection())
    page.show_view(patient_view(patients["amara"], TODAY))
    assert cells(page.screens) == [] and not page.self_harm_label.isVisible()
    assert page.mood_label.text() == "No mood task open."


# --- referrals ------------------------------------------------------------------------------

def test_referrals_in_words_with_the_overdue_task_marked(qtbot, view):
    page = shown(qtbot, ReferralsSection())
    page.show_view(view)
    assert cells(page.referrals) == [
        ["Endocrinology", "Routine", "Seen", "01-Oct-2025", "02-Oct-2025", "15-Nov-2025", "", "Secondary causes"],
        ["Rheumatology", "Routine", "Sent", "10-Jan-2026", "12-Jan-2026", "\u2014", "overdue: chase it", "PAO review"],
        ["Nutrition and dietetics", "Routine", "Draft (not yet sent)", "01-Apr-2026", "\u2014", "\u2014",
         "draft not sent", "Diet review"],
        ["Physiotherapy", "Urgent", "Sent", "05-Apr-2026", "06-Apr-2026", "\u2014", "",
         "Back pain after L1 fracture"],
    ]
    assert {t.code for t in view.overview.tasks} >= {"REFERRAL-OVERDUE", "REFERRAL-UNSENT"}
    assert page.summary_label.text() == "3 open of 4; 1 overdue: chase it."
    assert page.letters_box.isVisibleTo(page)  # her letters under her referrals


def test_an_overdue_mark_comes_from_her_tasks_of_the_day(qtbot, patients):
    page = shown(qtbot, ReferralsSection())
    page.show_view(patient_view(patients["lucja"], date(2026, 2, 20)))  # 39 days after sending: not yet overdue
    rheumatology = row_where(page.referrals, 0, "Rheumatology")
    assert page.referrals.proxy.index(rheumatology, 6).data() == ""
    page.show_view(patient_view(patients["lucja"], date(2026, 2, 24)))  # 43 days: overdue
    assert page.referrals.proxy.index(rheumatology, 6).data() == "overdue: chase it"


def test_move_on_edit_and_in_error_need_a_selected_referral_and_move_on_an_open_one(qtbot, view):
    page = shown(qtbot, ReferralsSection())
    page.show_view(view)
    for button in (page.move_on_button, page.edit_button, page.error_button):
        assert not button.isEnabled()
    page.referrals.view.selectRow(row_where(page.referrals, 0, "Endocrinology"))
    assert page.edit_button.isEnabled() and not page.move_on_button.isEnabled()  # seen: nothing to move on
    page.referrals.view.selectRow(row_where(page.referrals, 0, "Rheumatology"))
    with qtbot.waitSignal(page.status_change_requested) as moved:
        click(qtbot, page.move_on_button)
    assert isinstance(moved.args[0], Referral) and moved.args[0].ref == "r1" and moved.args[0].id is not None
    with qtbot.waitSignal(page.entered_in_error_requested) as error:
        click(qtbot, page.error_button)
    assert error.args[0].ref == "r1"
    with qtbot.waitSignal(page.edit_requested) as edit:
        double_click_row(qtbot, page.referrals, row_where(page.referrals, 0, "Physiotherapy"))
    assert edit.args[0].ref == "r2"
    with qtbot.waitSignal(page.add_requested) as add:
        click(qtbot, page.new_button)
    assert add.args == ["referrals"]
    page.referrals.view.clearSelection()
    assert not page.move_on_button.isEnabled() and not page.edit_button.isEnabled()


# --- audit ----------------------------------------------------------------------------------

def test_audit_history_shows_who_did_what_and_the_before_and_after_values(qtbot, clinic, patients):
    lucja = patients["lucja"]
    screen = services.add_clinical_entry(clinic.nurse, lucja, epds(TODAY - days(1), 9), today=TODAY)
    corrected = services.update_clinical_entry(clinic.consultant, replace(screen, score=12, self_harm_item=1),
                                               expected_version=screen.version, today=TODAY)
    services.mark_entered_in_error(clinic.nurse, "epds", corrected.id, expected_version=corrected.version,
                                   reason="wrong patient")
    page = shown(qtbot, AuditSection())
    with qtbot.waitSignal(page.audit_wanted) as wanted:
        page.show_view(patient_view(lucja, TODAY))
    assert wanted.args == [lucja]
    assert page.table.proxy.rowCount() == 0  # nothing shown until the history is read
    page.set_audit(services.patient_audit_history(lucja))
    assert [r[1:] for r in cells(page.table)] == [
        ["nina.nurse", "Imported", "Her details"],
        ["nina.nurse", "Added", "EPDS screen"],
        ["dr.chen", "Corrected", "EPDS screen"],
        ["nina.nurse", "Marked entered in error", "EPDS screen"],
    ]
    assert all(len(r[0]) == len("14-Apr-2026 09:30") and r[0][2] == "-" for r in cells(page.table))
    assert page.status_label.text() == "4 entries."

    page.table.view.selectRow(2)
    lines = page.detail.toPlainText().splitlines()
    assert lines[0].startswith("Corrected: EPDS screen by dr.chen on ")
    assert lines[2:] == ["score: 9 \u2192 12", "self harm item: 0 \u2192 1"]
    page.table.view.selectRow(1)
    assert page.detail.toPlainText().splitlines()[2:] == [
        "assessed on: \u2192 14-Apr-2026", "score: \u2192 9", "self harm item: \u2192 0"]
    page.table.view.selectRow(3)
    assert "entered in error reason: \u2192 wrong patient" in page.detail.toPlainText().splitlines()

    # filter by action
    assert [page.action_filter.itemText(i) for i in range(page.action_filter.count())] == [
        "All actions", "Added", "Corrected", "Imported", "Marked entered in error"]
    page.set_action_filter("update")
    assert [r[1:] for r in cells(page.table)] == [["dr.chen", "Corrected", "EPDS screen"]]
    page.set_audit(services.patient_audit_history(lucja))  # a new reading keeps the filter
    assert page.action_filter.currentText() == "Corrected" and page.table.proxy.rowCount() == 1
    page.set_action_filter(None)
    assert page.table.proxy.rowCount() == 4
    # a different woman: her own history is asked for, the last one's is not left on screen
    with qtbot.waitSignal(page.audit_wanted) as wanted:
        page.show_view(patient_view(patients["amara"], TODAY))
    assert wanted.args == [patients["amara"]] and page.table.proxy.rowCount() == 0


# --- models and the record window ----------------------------------------------------------

@pytest.fixture
def kept_alive():
    """Widgets kept until after the model tester has let go of their models."""
    widgets: list[QWidget] = []
    yield widgets
    widgets.clear()


def test_every_model_passes_the_model_tester(kept_alive, qtmodeltester, qtbot, clinic, patients, view):
    services.add_clinical_entry(clinic.nurse, patients["lucja"], epds(TODAY - days(1), 9), today=TODAY)
    pages = [cls() for cls in SECTION_PAGES.values()]
    kept_alive.extend(pages)
    for page in pages:
        qtbot.addWidget(page)
        page.show_view(view)
    audit = next(p for p in pages if isinstance(p, AuditSection))
    audit.set_audit(services.patient_audit_history(patients["lucja"]))
    tables = [t for p in pages if not isinstance(p, AuditSection) for t in p.tables] + [audit.table]
    assert len(tables) == 9 and all(t.model.rowCount() for t in tables)
    for table in tables:
        for column in range(table.model.columnCount()):  # sorting by any column keeps every row
            before = sorted(map(id, table.model.rows()))
            table.view.sortByColumn(column, Qt.SortOrder.DescendingOrder)
            assert sorted(map(id, table.model.rows())) == before
        qtmodeltester.check(table.model, force_py=True)
        qtmodeltester.check(table.model)
    audit.set_action_filter("add")
    assert audit.table.proxy.rowCount() == 1
    qtmodeltester.check(audit.table.proxy, force_py=True)


def test_the_pages_plug_into_the_record_window(qtbot, patients):
    record = PatientRecordWidget(patients["lucja"], today=lambda: TODAY)
    qtbot.addWidget(record)
    pages = {key: cls() for key, cls in SECTION_PAGES.items()}
    assert set(pages) <= set(SECTION_KEYS)
    for key, page in pages.items():
        record.set_section_page(key, page)
    with qtbot.waitSignal(pages["audit"].audit_wanted, timeout=10_000):
        record.reload()
    qtbot.waitUntil(lambda: record.view is not None, timeout=10_000)
    assert pages["pregnancies"].feeding.proxy.rowCount() == 2
    assert pages["referrals"].referrals.proxy.rowCount() == 4
    record.close_record()


def test_the_pregnancies_page_renders_legibly(qtbot, view, tmp_path):
    page = shown(qtbot, PregnanciesSection(), 1146, 700)
    page.show_view(view)
    page.feeding.select(page.feeding.proxy.index(1, 0).data(ROW_ROLE))
    path = tmp_path / "pregnancies-feeding.png"
    assert page.grab().save(str(path))
    image = QImage(str(path))
    assert (image.width(), image.height()) == (1146, 700)
    colours = {image.pixel(x, y) for x in range(0, image.width(), 7) for y in range(0, image.height(), 7)}
    assert len(colours) > 8  # not blank
    # nothing cut off: every column header fits in its table
    for table in (page.pregnancies, page.feeding, page.contraception, page.dental):
        header = table.view.horizontalHeader()
        assert header.length() <= table.view.viewport().width() + 1
