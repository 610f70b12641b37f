"""The patient record in the window: banner, sections, tabs, and the overview's tables (real widgets)."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from PySide6.QtCore import QEvent, Qt
from PySide6.QtWidgets import QApplication, QLabel, QMainWindow

from pao_clinic import services
from pao_clinic.services.patient_view import DRUG_GROUPS, patient_view
from ui.caseload_model import ROW_ROLE
from ui.check_dialog import VERDICT_WORDS, RuleTableModel
from ui.patient_record import (
    SECTION_KEYS, SECTIONS, DrugVerdictTableModel, OverviewSection, PatientRecordWidget, PatientTaskTableModel,
    PlaceholderSection, section_for_task,
)
from ui.patient_tabs import PatientTabs

from .gate_builders import birth, breastfed, epds, ongoing_pregnancy, treatable_record

pytestmark = [
    pytest.mark.qt_log_level_fail("WARNING"),
    pytest.mark.qt_log_ignore("does not support propagateSizeHints"),
]

TODAY = date(2026, 4, 15)


def days(n: int) -> timedelta:
    return timedelta(days=n)


@pytest.fixture
def patients(sqlite_clinic, qapp) -> dict[str, int]:
    """Three women: breastfeeding with a high EPDS, pregnant, and one ready to treat."""
    qapp.setOrganizationName("PAO Clinic tests")
    delivered = date(2026, 2, 3)
    records = [
        treatable_record(TODAY, ref="p1", family_name="Wiśniewska-O'Brien", given_name="Łucja", date_of_birth=date(1991, 4, 12),
                         nhs_number="9434765919", hospital_number="RX1001",
                         pregnancies=(birth("b1", delivered),),
                         breastfeeding=(breastfed("b1", delivered, planned_stop_on=date(2026, 6, 30)),),
                         epds=(epds(date(2026, 3, 2), 15),)),
        treatable_record(TODAY, ref="p2", family_name="Okafor", given_name="Amara", nhs_number=None, hospital_number="RX2002",
                         pregnancies=(birth("b1", TODAY - days(400)), ongoing_pregnancy("b2")),
                         breastfeeding=(breastfed("b1", TODAY - days(400), stopped_on=TODAY - days(300)),)),
        treatable_record(TODAY, ref="p3", family_name="Ní Bhriain", given_name="Siobhán", nhs_number=None,
                         hospital_number="RX3003"),
    ]
    lucja, amara, siobhan = services.import_records(sqlite_clinic.nurse, records)
    return {"lucja": lucja, "amara": amara, "siobhan": siobhan}


@pytest.fixture
def window(qtbot, patients):
    """A main window holding the tabs with a home tab, as the app will."""
    win = QMainWindow()
    tabs = PatientTabs(today=lambda: TODAY)
    tabs.set_home(QLabel("The caseload"), "Caseload")
    win.setCentralWidget(tabs)
    win.resize(1366, 768)
    win.show()
    qtbot.waitExposed(win)
    yield win
    tabs.shut_down()
    win.close()
    win.deleteLater()
    QApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)


def open_loaded(qtbot, tabs: PatientTabs, patient_id: int, **kwargs) -> PatientRecordWidget:
    before = tabs.record_of(patient_id)
    if before is not None:
        return tabs.open_patient(patient_id, **kwargs)
    with qtbot.waitSignal(tabs.record_opened, timeout=5_000) as opened:
        tabs.open_patient(patient_id, **kwargs)
    record = opened.args[0]
    qtbot.waitUntil(lambda: record.view is not None, timeout=10_000)  # read on the worker
    return record


# --- the banner ----------------------------------------------------------------------------

def test_the_banner_shows_her_name_birth_numbers_and_alerts_in_words(qtbot, window, patients):
    record = open_loaded(qtbot, window.centralWidget(), patients["lucja"])
    banner = record.banner
    assert banner.name_label.text() == "WIŚNIEWSKA-O'BRIEN, Łucja"
    assert banner.name_label.font().bold() or banner.name_label.fontInfo().bold()
    assert "12-Apr-1991 (35 y)" in banner.born_label.text()
    assert "943 476 5919" in banner.nhs_label.text()
    assert "RX1001" in banner.hospital_label.text()
    assert banner.alert_texts() == [
        "Breastfeeding since 03-Feb-2026, planned stop 30-Jun-2026: osteoporosis drugs deferred",
        "EPDS 15 on 02-Mar-2026",
    ]
    for badge in banner.badges:  # words, not colour alone, and a name for screen readers
        assert badge.alert.text in badge.text() and badge.accessibleName().endswith(badge.alert.text)
        assert badge.toolTip() == badge.alert.detail and badge.isVisible()
    assert not banner.no_alerts_label.isVisible()
    spoken = banner.spoken_text()
    assert spoken.startswith("WIŚNIEWSKA-O'BRIEN, Łucja, born 12-Apr-1991 (35 y), NHS 943 476 5919")
    assert banner.accessibleName() == f"Patient banner: {spoken}"


def test_a_pregnant_womans_banner_and_one_without_alerts(qtbot, window, patients):
    tabs = window.centralWidget()
    amara = open_loaded(qtbot, tabs, patients["amara"])
    assert amara.banner.alert_texts() == ["Pregnant: osteoporosis drugs deferred"]
    assert "No NHS number" in amara.banner.nhs_label.text()
    siobhan = open_loaded(qtbot, tabs, patients["siobhan"])
    assert siobhan.banner.alert_texts() == [] and siobhan.banner.no_alerts_label.isVisible()


def test_the_banner_stays_on_top_whichever_section_is_shown(qtbot, window, patients):
    record = open_loaded(qtbot, window.centralWidget(), patients["lucja"])
    for key in SECTION_KEYS:
        record.show_section(key)
        assert record.banner.isVisible() and record.banner.geometry().top() == 0


# --- sections ---------------------------------------------------------------------------------

def test_show_section_switches_the_page_and_the_list(qtbot, window, patients):
    record = open_loaded(qtbot, window.centralWidget(), patients["lucja"])
    assert record.current_section() == "overview"
    with qtbot.waitSignal(record.section_changed) as changed:
        assert record.show_section("fractures")
    assert changed.args == ["fractures"]
    assert record.stack.currentWidget().widget() is record.sections["fractures"]
    assert record.section_list.currentItem().text() == "Fractures"
    assert record.show_section("Audit history") and record.current_section() == "audit"
    assert record.show_section("DEXA") and record.current_section() == "dexa"
    assert not record.show_section("letters") and record.current_section() == "dexa"


def test_clicking_a_section_in_the_list_shows_it(qtbot, window, patients):
    record = open_loaded(qtbot, window.centralWidget(), patients["lucja"])
    row = SECTION_KEYS.index("referrals")
    rect = record.section_list.visualItemRect(record.section_list.item(row))
    qtbot.mouseClick(record.section_list.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    assert record.current_section() == "referrals"
    assert record.stack.currentWidget().widget() is record.sections["referrals"]


def test_each_section_is_listed_by_its_title_and_shown_by_its_own_page(qtbot, window, patients):
    record = open_loaded(qtbot, window.centralWidget(), patients["lucja"])
    assert isinstance(record.sections["overview"], OverviewSection)
    assert [record.section_list.item(n).text() for n in range(record.section_list.count())] == [
        title for _, title, _ in SECTIONS]
    for key, _title, _ in SECTIONS[1:]:
        page = record.sections[key]
        assert not isinstance(page, PlaceholderSection), key  # every section has its real page now
        assert page.key == key


def test_a_placeholder_names_its_section_and_counts_her_entries(qtbot, window, patients):
    record = open_loaded(qtbot, window.centralWidget(), patients["lucja"])
    for key, title in (("pregnancies", "Pregnancies and feeding"), ("epds", "EPDS")):
        record.set_section_page(key, PlaceholderSection(key))
        page = record.sections[key]
        assert page.heading.text() == title and page.coming_label.text().startswith("Coming soon")
    assert record.sections["pregnancies"].count_label.text() == "On record today: 1 pregnancy, 1 feeding entry."
    assert record.sections["epds"].count_label.text() == "On record today: 1 EPDS screen."


def test_a_later_section_can_replace_its_placeholder(qtbot, window, patients):
    record = open_loaded(qtbot, window.centralWidget(), patients["lucja"])
    shown = []

    class FracturePage(PlaceholderSection):
        def show_view(self, view):
            shown.append(view.fractures)

    record.set_section_page("fractures", FracturePage("fractures"))
    assert shown == [record.view.fractures]  # shown at once with the view already read
    with pytest.raises(KeyError):
        record.set_section_page("letters", FracturePage("fractures"))


def test_worklist_tasks_open_her_record_where_they_are_dealt_with():
    assert section_for_task("FEEDING-CHECK") == "pregnancies"
    assert section_for_task("REFERRAL-OVERDUE") == "referrals"
    assert section_for_task("MOOD") == "epds"
    assert section_for_task("SOMETHING-NEW") == "overview"


# --- the overview ----------------------------------------------------------------------------

def test_the_overview_shows_the_facts_verdicts_tasks_and_decision(qtbot, window, patients):
    record = open_loaded(qtbot, window.centralWidget(), patients["lucja"])
    overview = record.overview
    view = record.view
    assert {k: label.text() for k, label in overview.fact_values.items()} == {
        f.key: f.words for f in view.overview.facts}
    assert overview.fact_values["lactation"].text() == "Breastfeeding"
    proxy = overview.verdict_proxy
    shown = [(proxy.index(r, DrugVerdictTableModel.COL_VERDICT).data()) for r in range(proxy.rowCount())]
    assert shown == [VERDICT_WORDS[v.verdict] for v in view.overview.verdicts]
    assert proxy.rowCount() == len(DRUG_GROUPS)
    alendronate = proxy.index(0, DrugVerdictTableModel.COL_RULES).data()
    assert alendronate.startswith("BF-1 (block)")
    assert overview.gate_box.title() == "Medication gate on 15-Apr-2026 (starting each drug that day)"
    tasks = overview.task_proxy
    assert [tasks.index(r, 0).data(ROW_ROLE) for r in range(tasks.rowCount())] == list(view.overview.tasks)
    assert overview.tasks_box.title() == f"Open tasks ({len(view.overview.tasks)})"
    assert overview.decision_label.text() == "No treatment decision recorded"


def test_selecting_a_drug_group_shows_the_gates_reasons_rule_by_rule(qtbot, window, patients):
    record = open_loaded(qtbot, window.centralWidget(), patients["lucja"])
    overview = record.overview
    assert overview.select_drug("teriparatide")
    chosen = record.view.overview.verdict_for("teriparatide")
    rules = overview.rule_proxy
    assert [rules.index(r, RuleTableModel.COL_ID).data() for r in range(rules.rowCount())] == list(chosen.rule_ids)
    assert "Teriparatide" in overview.rules_heading.text() and VERDICT_WORDS["blocked"] in overview.rules_heading.text()


def test_every_rule_of_the_drug_chosen_is_shown_whole_at_1366_by_768(qtbot, window, sqlite_clinic):
    # breastfeeding past her planned stop, no bloods, no dental review, no contraception, risk factors:
    # most rules fire for every drug (seven for alendronate, some of them wrapping onto two lines)
    delivered = TODAY - days(220)
    (many,) = services.import_records(sqlite_clinic.nurse, [treatable_record(
        TODAY, ref="p4", family_name="Nowak", given_name="Ewa", nhs_number=None, hospital_number="RX4004",
        future_pregnancy_plan="unsure", contraception=(), dental_reviews=(), bloods=(), risk_factors=("heparin",),
        pregnancies=(birth("b1", delivered),),
        breastfeeding=(breastfed("b1", delivered, planned_stop_on=TODAY - days(30)),))])
    record = open_loaded(qtbot, window.centralWidget(), many)
    overview = record.overview
    for verdict in record.view.overview.verdicts:
        assert overview.select_drug(verdict.drug)
        qtbot.wait(10)
        table, rules = overview.rule_view, overview.rule_proxy
        assert rules.rowCount() == len(verdict.result.rules) > 0
        bottom = table.rowViewportPosition(rules.rowCount() - 1) + table.rowHeight(rules.rowCount() - 1)
        assert table.rowViewportPosition(0) == 0 and bottom <= table.viewport().height(), verdict.drug
        assert not table.verticalScrollBar().isVisible()


def test_a_missing_patient_says_so_in_the_record(qtbot, window):
    tabs = window.centralWidget()
    record = tabs.open_patient(987654)
    with qtbot.waitSignal(record.load_failed, timeout=10_000) as failed:
        pass
    assert "no patient with id 987654" in failed.args[0]
    assert record.error_label.isVisible() and record.view is None


def test_reload_reads_her_record_again(qtbot, window, patients, sqlite_clinic):
    record = open_loaded(qtbot, window.centralWidget(), patients["siobhan"])
    assert record.banner.alert_texts() == []
    services.add_clinical_entry(sqlite_clinic.nurse, patients["siobhan"], epds(TODAY - days(1), 20), today=TODAY)
    with qtbot.waitSignal(record.loaded, timeout=10_000):
        record.reload()
    assert record.banner.alert_texts() == [f"EPDS 20 on {TODAY - days(1):%d-%b-%Y}"]


# --- tabs -------------------------------------------------------------------------------------

def test_tabs_open_switch_and_close_with_ctrl_w(qtbot, window, patients):
    tabs: PatientTabs = window.centralWidget()
    lucja = open_loaded(qtbot, tabs, patients["lucja"])
    amara = open_loaded(qtbot, tabs, patients["amara"])
    assert [tabs.tabText(i) for i in range(tabs.count())] == [
        "Caseload", "WIŚNIEWSKA-O'BRIEN, Łucja", "OKAFOR, Amara"]
    assert tabs.currentWidget() is amara

    again = tabs.open_patient(patients["lucja"], section="epds")  # already open: her tab, at the section
    assert again is lucja and tabs.count() == 3 and tabs.currentWidget() is lucja
    assert lucja.current_section() == "epds"

    window.activateWindow()
    qtbot.waitUntil(window.isActiveWindow)
    lucja.section_list.setFocus()
    qtbot.waitUntil(lambda: QApplication.focusWidget() is lucja.section_list)
    with qtbot.waitSignal(tabs.record_closed) as closed:
        qtbot.keyClick(lucja.section_list, Qt.Key.Key_W, Qt.KeyboardModifier.ControlModifier)
    assert closed.args == [patients["lucja"]]
    assert [tabs.tabText(i) for i in range(tabs.count())] == ["Caseload", "OKAFOR, Amara"]
    assert tabs.record_of(patients["lucja"]) is None
    assert tabs.close_action.shortcuts()[0].toString() == "Ctrl+W"


def test_the_caseload_tab_cannot_be_closed(qtbot, window, patients):
    tabs: PatientTabs = window.centralWidget()
    open_loaded(qtbot, tabs, patients["amara"])
    tabs.setCurrentIndex(0)
    assert not tabs.close_current() and not tabs.close_action.isEnabled()
    assert tabs.count() == 2
    tabs.tabCloseRequested.emit(0)
    assert tabs.count() == 2 and tabs.widget(0) is tabs.home


def test_the_tab_close_button_closes_that_record(qtbot, window, patients):
    tabs: PatientTabs = window.centralWidget()
    open_loaded(qtbot, tabs, patients["amara"])
    open_loaded(qtbot, tabs, patients["siobhan"])
    tabs.tabCloseRequested.emit(1)
    assert [r.patient_id for r in tabs.records()] == [patients["siobhan"]]


# --- models --------------------------------------------------------------------------------------

def test_the_overview_models_pass_the_model_tester(qtmodeltester, patients):
    view = patient_view(patients["lucja"], TODAY)
    verdicts = DrugVerdictTableModel()
    verdicts.set_rows(view.overview.verdicts)
    tasks = PatientTaskTableModel()
    tasks.set_rows(view.overview.tasks)
    rules = RuleTableModel()
    rules.set_rows(view.overview.verdicts[0].result.rules)
    assert verdicts.rowCount() == len(DRUG_GROUPS) and tasks.rowCount() >= 1 and rules.rowCount() >= 1
    for model in (verdicts, tasks, rules):
        qtmodeltester.check(model, force_py=True)
        qtmodeltester.check(model)


def test_the_verdict_model_sorts_blocked_last_and_keeps_words(patients):
    view = patient_view(patients["lucja"], TODAY)
    model = DrugVerdictTableModel()
    model.set_rows(view.overview.verdicts)
    model.sort(DrugVerdictTableModel.COL_VERDICT, Qt.SortOrder.AscendingOrder)
    shown = [model.index(r, DrugVerdictTableModel.COL_VERDICT).data() for r in range(model.rowCount())]
    assert shown[0] == VERDICT_WORDS["allowed"] and shown[-1] == VERDICT_WORDS["blocked"]
    assert model.index(0, DrugVerdictTableModel.COL_GROUP).data() == "Calcium and vitamin D"
    assert DrugVerdictTableModel().headerData(0, Qt.Orientation.Horizontal) == "Drug group (asked for)"


# --- colours that back up the words, on the light and the dark palette ----------------------------

@pytest.fixture(params=["light", "dark"])
def palette_in_use(request, qapp):
    """The app under the clinic's light or dark palette (put back afterwards)."""
    from ui.app import clinic_palette

    before = qapp.palette()
    qapp.setPalette(clinic_palette(request.param == "dark"))
    yield qapp.palette()
    qapp.setPalette(before)


def backgrounds(palette) -> list:
    from PySide6.QtGui import QPalette

    return [palette.color(role) for role in (QPalette.ColorRole.Base, QPalette.ColorRole.AlternateBase,
                                             QPalette.ColorRole.Window)]


def test_verdict_words_and_priorities_are_readable_on_the_palette_in_use(palette_in_use, patients):
    """WCAG AA (4.5:1) for the colours the overview and the worklist actually give, on every background
    their rows sit on, light and dark."""
    from pao_clinic.gate import WorklistTask
    from ui.status_colours import LEAST_CONTRAST, contrast_ratio
    from ui.worklist_model import WorklistTableModel

    view = patient_view(patients["siobhan"], TODAY)
    verdicts = DrugVerdictTableModel()
    verdicts.set_rows(view.overview.verdicts)
    given = {}
    for row in range(verdicts.rowCount()):
        index = verdicts.index(row, DrugVerdictTableModel.COL_VERDICT)
        given[index.data()] = index.data(Qt.ItemDataRole.ForegroundRole).color()
    assert {VERDICT_WORDS["blocked"], VERDICT_WORDS["allowed"]} <= set(given)

    tasks = [WorklistTask(patient="9990000018", code="DEXA-DUE", priority=p, due_on=TODAY, message="m")
             for p in ("high", "urgent")]
    worklist = WorklistTableModel()
    worklist.set_rows(tasks[:1], on=TODAY)
    given["High (worklist)"] = worklist.index(0, WorklistTableModel.COL_PRIORITY).data(
        Qt.ItemDataRole.ForegroundRole).color()
    her_tasks = PatientTaskTableModel()
    her_tasks.set_rows(tasks)
    for row, words in enumerate(("High (her tasks)", "Urgent (her tasks)")):
        given[words] = her_tasks.index(row, PatientTaskTableModel.COL_PRIORITY).data(
            Qt.ItemDataRole.ForegroundRole).color()
    rules = RuleTableModel()
    rules.set_rows(view.overview.verdicts[0].result.rules)
    for row in range(rules.rowCount()):
        index = rules.index(row, RuleTableModel.COL_LEVEL)
        given[f"{index.data()} (rule level)"] = index.data(Qt.ItemDataRole.ForegroundRole).color()

    poor = {words: round(min(contrast_ratio(colour, back) for back in backgrounds(palette_in_use)), 2)
            for words, colour in given.items()}
    assert all(ratio >= LEAST_CONTRAST for ratio in poor.values()), poor


def test_every_status_colour_is_readable_on_both_palettes_and_changes_with_them(qapp):
    from ui.app import clinic_palette
    from ui.status_colours import ALLOWED, BLOCKED, CAUTION, HINT, INFO, LEAST_CONTRAST, contrast_ratio, is_dark

    light, dark = clinic_palette(False), clinic_palette(True)
    assert not is_dark(light) and is_dark(dark)
    for colour in (BLOCKED, CAUTION, ALLOWED, INFO, HINT):
        assert colour.on(light) != colour.on(dark)
        for palette in (light, dark):
            assert min(contrast_ratio(colour.on(palette), back) for back in backgrounds(palette)) >= LEAST_CONTRAST
    # the shades once used everywhere are what failed on the dark palette
    from PySide6.QtGui import QColor, QPalette
    assert contrast_ratio(QColor("#7a4a00"), dark.color(QPalette.ColorRole.Base)) < LEAST_CONTRAST


def test_contrast_ratio_follows_wcag():
    from PySide6.QtGui import QColor

    from ui.status_colours import contrast_ratio

    assert contrast_ratio(QColor("#000000"), QColor("#ffffff")) == pytest.approx(21.0)
    assert contrast_ratio(QColor("#777777"), QColor("#ffffff")) == pytest.approx(4.48, abs=0.01)
    assert contrast_ratio(QColor("#123456"), QColor("#123456")) == pytest.approx(1.0)
