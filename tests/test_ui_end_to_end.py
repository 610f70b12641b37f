"""The clinic's work done through the real main window, on SQLite and on PostgreSQL.

Each test opens `MainWindow` signed in as the nurse or the consultant, opens her record
from the caseload or the worklist, presses the section's own buttons, fills the entry
form and saves it, and then looks where the clinician would: the spine diagram, the
timeline, the overview, the decision dialog, the caseload.  Only the dialogs that ask
a question modally (the entered-in-error reason, the decision dialog's `ask`) are
stood in for, by functions that drive the real dialog.
"""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from PySide6.QtCore import QEvent, Qt
from PySide6.QtWidgets import QApplication

from pao_clinic import services
from pao_clinic.errors import PermissionDenied
from pao_clinic.record import Feeding, Fracture, PatientRecord, Pregnancy
from pao_clinic.record.dates import written_date
from pao_clinic.storage.location import parse_database_url
from ui import decision_dialog, entry_forms
from ui.caseload_model import ROW_ROLE
from ui.main_window import MainWindow
from ui.patient_record import section_for_task
from ui.worklist_model import WorklistTableModel

pytestmark = [pytest.mark.qt_log_ignore("does not support propagateSizeHints")]

TODAY = date.today()
WAIT = 20_000


# --- her, and the window ------------------------------------------------------------------

def register_her(clinic, *, family="Okafor", given="Amara", feeding_stopped: date | None = None,
                 planned_stop: date | None = None, fracture: bool = True) -> int:
    """A woman 10 weeks after her first birth who breastfed (stopped or not), with one T12 fracture."""
    record = services.register_patient(clinic.nurse, PatientRecord(
        ref="", family_name=family, given_name=given, date_of_birth=TODAY - timedelta(days=33 * 365),
        hospital_number=f"RX{abs(hash((family, given))) % 10_000:04d}"), today=TODAY)
    delivered = TODAY - timedelta(weeks=10)
    services.add_clinical_entry(clinic.nurse, record.id, Pregnancy(
        ref="p1", number=1, outcome="live_birth", ended_on=delivered, delivery_mode="vaginal"), today=TODAY)
    services.add_clinical_entry(clinic.nurse, record.id, Feeding(
        pregnancy="p1", breastfed=True, started_on=delivered, stopped_on=feeding_stopped,
        planned_stop_on=planned_stop), today=TODAY)
    if fracture:
        services.add_clinical_entry(clinic.nurse, record.id, Fracture(
            ref="", site="t12", identified_on=TODAY - timedelta(weeks=4), imaging="mri", trauma="low",
            genant_grade=2), today=TODAY)
    return record.id


@pytest.fixture
def open_window(clinic, qapp, qtbot):
    """Opens the main window on this test's clinic (each backend) as a user, with its lists loaded."""
    qapp.setOrganizationName("PAO Clinic tests")
    opened: list[MainWindow] = []

    def open_as(actor) -> MainWindow:
        window = MainWindow(actor, parse_database_url(clinic.url).describe())
        window.show()
        with qtbot.waitSignal(window.refreshed, timeout=WAIT):
            window.refresh()
        opened.append(window)
        return window

    yield open_as
    for window in opened:
        window.close()
        window.deleteLater()
    QApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)


def open_her(window: MainWindow, qtbot, patient_id: int, section: str | None = None):
    """Her record from the caseload (a double-click on her row), at a section."""
    assert window.show_patient(patient_id)
    index = window.caseload_view.currentIndex()
    rect = window.caseload_view.visualRect(index)
    qtbot.mouseClick(window.caseload_view.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    qtbot.mouseDClick(window.caseload_view.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    record = window.patient_tabs.current_record()
    assert record is not None and record.patient_id == patient_id
    qtbot.waitUntil(lambda: record.view is not None, timeout=WAIT)
    if section is not None:
        record.show_section(section)
    return record


def click(qtbot, button) -> None:
    assert button.isEnabled(), f"{button.text()!r} is disabled"
    qtbot.mouseClick(button, Qt.MouseButton.LeftButton)


def choose(form, name: str, code) -> None:
    combo = form.inputs[name].widget
    index = combo.findData(code)
    assert index >= 0, (name, code)
    combo.setCurrentIndex(index)


def type_into(qtbot, form, name: str, text: str) -> None:
    """Typed key by key (QTest types only Latin-1 keys: other names are pasted in whole)."""
    edit = form.inputs[name].focus[0]
    edit.clear()
    if text.isascii():
        qtbot.keyClicks(edit, text)
    else:
        edit.setText(text)


def timeline_entries(record) -> set[tuple[str, int | None]]:
    return {(item.record_type, item.record_id) for item in record.sections["timeline"].chart.timeline.items}


# --- a fracture ---------------------------------------------------------------------------

def test_a_fracture_added_through_the_form_shows_on_the_spine_the_timeline_and_the_caseload(
        clinic, open_window, qtbot):
    patient_id = register_her(clinic, fracture=False)
    window = open_window(clinic.nurse)
    record = open_her(window, qtbot, patient_id, "fractures")
    page = record.sections["fractures"]
    assert page.diagram.marks == {} and page.no_fractures_label.isVisibleTo(page)

    click(qtbot, page.add_button)
    form = record.record_actions.open_form
    assert form is not None and form.spec.key == "fracture" and form.isVisible()
    assert not form.save_button.isEnabled()   # nothing filled in yet
    choose(form, "site", "l1")
    choose(form, "genant_grade", 3)
    type_into(qtbot, form, "identified_on", written_date(TODAY - timedelta(days=3)))
    choose(form, "imaging", "mri")
    choose(form, "trauma", "low")
    assert form.problems == {} and form.save_button.isEnabled()
    with qtbot.waitSignal(window.refreshed, timeout=WAIT):
        click(qtbot, form.save_button)

    qtbot.waitUntil(lambda: record.view is not None and len(record.view.fractures) == 1, timeout=WAIT)
    (saved,) = record.view.fractures
    assert (saved.site, saved.genant_grade, saved.identified_on) == ("l1", 3, TODAY - timedelta(days=3))
    assert "l1" in page.diagram.marks and page.diagram.marks["l1"].grade == 3
    assert page.model.rowCount() == 1 and page.table.isVisibleTo(page)
    assert ("fracture", saved.id) in timeline_entries(record)
    row = next(r for r in window.caseload_model.rows() if r.patient_id == patient_id)
    assert row.fracture_count == 1
    assert services.load_patient_record(patient_id).fractures[0].id == saved.id


# --- feeding stopped and the decision dialog ----------------------------------------------

def test_feeding_stopped_through_the_window_turns_the_decision_dialog_from_blocked(clinic, open_window, qtbot,
                                                                                    monkeypatch):
    patient_id = register_her(clinic)
    window = open_window(clinic.consultant)
    seen: list[tuple[str, bool]] = []

    def ask(cls, actor, patient_id, *, on=None, plan="start", drug=None, parent=None):
        dialog = cls(actor, patient_id, on=on, plan=plan, drug=drug, parent=parent)
        dialog.set_plan("start")
        dialog.set_drug("alendronate")
        seen.append((dialog.result.verdict, dialog.record_button.isEnabled()))
        dialog.deleteLater()
        return None   # closed without recording

    monkeypatch.setattr(decision_dialog.DecisionDialog, "ask", classmethod(ask))
    record = open_her(window, qtbot, patient_id, "medications")
    click(qtbot, record.sections["medications"].record_button)
    assert seen == [("blocked", False)]   # breastfeeding: BF-1 blocks, Record is disabled

    record.show_section("pregnancies")
    page = record.sections["pregnancies"]
    page.feeding.view.selectRow(0)
    click(qtbot, page.feeding_stopped_button)
    form = record.record_actions.open_form
    assert form is not None and form.spec.key == "feeding" and form.isVisible()
    type_into(qtbot, form, "stopped_on", written_date(TODAY - timedelta(days=1)))
    with qtbot.waitSignal(window.refreshed, timeout=WAIT):
        click(qtbot, form.save_button)
    qtbot.waitUntil(lambda: record.view is not None and record.view.feeding[0].stopped_on is not None,
                    timeout=WAIT)
    shown = " ".join(page.feeding.model.index(0, c).data() or "" for c in range(page.feeding.model.columnCount()))
    assert written_date(TODAY - timedelta(days=1)) in shown and not page.feeding_stopped_button.isEnabled()

    record.show_section("medications")
    click(qtbot, record.sections["medications"].record_button)
    verdict, enabled = seen[-1]
    assert verdict in ("needs_reason", "allowed") and verdict != "blocked"
    assert enabled == (verdict == "allowed")   # a soft stop waits for the written reason


# --- a decision with a reason -------------------------------------------------------------

def test_a_decision_with_a_reason_shows_in_the_overview_and_on_the_timeline(clinic, open_window, qtbot,
                                                                             monkeypatch):
    patient_id = register_her(clinic, feeding_stopped=TODAY - timedelta(weeks=2))
    window = open_window(clinic.consultant)
    reason = "Bloods booked for tomorrow; starting now is right for her spine"

    def ask(cls, actor, patient_id, *, on=None, plan="start", drug=None, parent=None):
        dialog = cls(actor, patient_id, on=on, plan=plan, drug=drug, parent=parent)
        dialog.set_plan("start")
        dialog.set_drug("alendronate")
        assert dialog.result.verdict == "needs_reason" and not dialog.record_button.isEnabled()
        qtbot.keyClicks(dialog.reason_edit, reason)
        assert dialog.record_button.isEnabled()
        qtbot.mouseClick(dialog.record_button, Qt.MouseButton.LeftButton)
        decision = dialog.decision
        dialog.deleteLater()
        return decision

    monkeypatch.setattr(decision_dialog.DecisionDialog, "ask", classmethod(ask))
    record = open_her(window, qtbot, patient_id, "medications")
    assert "No treatment decision" in record.overview.decision_label.text()
    with qtbot.waitSignal(window.refreshed, timeout=WAIT):
        click(qtbot, record.sections["medications"].record_button)

    qtbot.waitUntil(lambda: record.view is not None and len(record.view.decisions) == 1, timeout=WAIT)
    (decision,) = record.view.decisions
    assert (decision.plan, decision.drug, decision.override_reason) == ("start", "alendronate", reason)
    assert decision.by == clinic.consultant.display_name
    overview = record.overview.decision_label.text()
    assert written_date(TODAY) in overview and "lendron" in overview
    assert ("decision", decision.id) in timeline_entries(record)
    assert record.sections["medications"].decision_model.rowCount() == 1


def test_a_nurse_sees_the_verdict_but_cannot_record_a_decision(clinic, open_window, qtbot, monkeypatch):
    patient_id = register_her(clinic, feeding_stopped=TODAY - timedelta(weeks=2))
    window = open_window(clinic.nurse)
    shown = []

    def ask(cls, actor, patient_id, *, on=None, plan="start", drug=None, parent=None):
        dialog = cls(actor, patient_id, on=on, plan=plan, drug=drug, parent=parent)
        dialog.set_drug("alendronate")
        shown.append((dialog.verdict_label.text(), dialog.rule_model.rowCount(), dialog.record_button,
                      dialog.consultant_only_label.text(), dialog.reason_edit.isVisibleTo(dialog)))
        dialog.deleteLater()
        return None

    monkeypatch.setattr(decision_dialog.DecisionDialog, "ask", classmethod(ask))
    record = open_her(window, qtbot, patient_id, "medications")
    click(qtbot, record.sections["medications"].record_button)
    ((verdict, rules, record_button, notice, reason_shown),) = shown
    assert verdict in ("Needs a written reason", "Allowed") and rules > 0
    assert record_button is None and notice == decision_dialog.CONSULTANT_ONLY and not reason_shown
    with pytest.raises(PermissionDenied):   # and the services refuse her too
        services.record_decision(clinic.nurse, patient_id, plan="defer", drug=None, on=TODAY)
    assert services.load_patient_record(patient_id).decisions == ()


# --- entered in error -----------------------------------------------------------------------

def test_a_fracture_marked_entered_in_error_leaves_the_table_the_spine_and_the_timeline(clinic, open_window,
                                                                                         qtbot, monkeypatch):
    patient_id = register_her(clinic)
    window = open_window(clinic.nurse)
    asked = []

    def ask(cls, what, parent=None):
        asked.append(what)
        return "entered on the wrong woman's record"

    monkeypatch.setattr(entry_forms.EnteredInErrorDialog, "ask", classmethod(ask))
    record = open_her(window, qtbot, patient_id, "fractures")
    page = record.sections["fractures"]
    (fracture,) = record.view.fractures
    assert "t12" in page.diagram.marks and ("fracture", fracture.id) in timeline_entries(record)
    assert not page.error_button.isEnabled()   # nothing selected yet
    page.table.selectRow(0)
    with qtbot.waitSignal(window.refreshed, timeout=WAIT):
        click(qtbot, page.error_button)
    assert asked == ["fracture"]

    qtbot.waitUntil(lambda: record.view is not None and record.view.fractures == (), timeout=WAIT)
    assert page.model.rowCount() == 0 and page.diagram.marks == {}
    assert ("fracture", fracture.id) not in timeline_entries(record)
    assert services.load_patient_record(patient_id).fractures == ()
    history = services.patient_audit_history(patient_id)
    assert any(e.record_type == "fracture" and e.record_id == fracture.id and e.action != "add" for e in history)


# --- the worklist -------------------------------------------------------------------------------

def test_a_task_double_clicked_in_the_worklist_opens_her_record_where_it_is_done(clinic, open_window, qtbot):
    patient_id = register_her(clinic, planned_stop=TODAY - timedelta(days=5))   # ask whether she has stopped
    window = open_window(clinic.nurse)
    proxy = window.worklist_proxy
    rows = [n for n in range(proxy.rowCount()) if proxy.index(n, 0).data(ROW_ROLE).code == "FEEDING-CHECK"]
    assert len(rows) == 1
    rect = window.worklist_view.visualRect(proxy.index(rows[0], WorklistTableModel.COL_TASK))
    qtbot.mouseClick(window.worklist_view.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    qtbot.mouseDClick(window.worklist_view.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    record = window.patient_tabs.current_record()
    assert record is not None and record.patient_id == patient_id
    assert record.current_section() == section_for_task("FEEDING-CHECK") == "pregnancies"
    qtbot.waitUntil(lambda: record.view is not None, timeout=WAIT)
    assert record.sections["pregnancies"].isVisible()


# --- a new patient ------------------------------------------------------------------------------

def test_a_new_patient_through_the_form_an_invalid_nhs_number_keeps_save_disabled(clinic, open_window, qtbot):
    window = open_window(clinic.nurse)
    window.filter_edit.setFocus()
    qtbot.keyClick(window.filter_edit, Qt.Key.Key_N, Qt.KeyboardModifier.ControlModifier)
    form = window.patient_form
    assert form is not None and form.isVisible() and not form.save_button.isEnabled()
    type_into(qtbot, form, "family_name", "Wiśniewska-O'Brien")
    type_into(qtbot, form, "given_name", "Łucja")
    type_into(qtbot, form, "date_of_birth", "12/04/1991")
    type_into(qtbot, form, "nhs_number", "401 023 2138")   # the check digit is wrong
    assert "not a valid NHS number" in form.problem_at("nhs_number")
    assert not form.save_button.isEnabled() and form.warning_at("nhs_number") == ""
    form.save()   # a forced save saves nothing either
    assert services.load_patient_records(None) == []

    type_into(qtbot, form, "nhs_number", "401 023 2137")
    assert form.problem_at("nhs_number") == "" and form.save_button.isEnabled()
    with qtbot.waitSignal(window.refreshed, timeout=WAIT):
        click(qtbot, form.save_button)
    (saved,) = services.load_patient_records(None)
    assert (saved.family_name, saved.given_name, saved.nhs_number) == ("Wiśniewska-O'Brien", "Łucja", "4010232137")
    assert saved.date_of_birth == date(1991, 4, 12)
    record = window.patient_tabs.current_record()
    assert record is not None and record.patient_id == saved.id
    assert any(r.patient_id == saved.id for r in window.caseload_model.rows())


def test_a_never_issued_nhs_number_is_warned_at_the_field_on_a_real_caseload_and_saves(clinic, open_window,
                                                                                        qtbot):
    window = open_window(clinic.nurse)
    form = window.new_patient()
    type_into(qtbot, form, "family_name", "Begum")
    type_into(qtbot, form, "given_name", "Inês")
    type_into(qtbot, form, "date_of_birth", "03-Feb-1990")
    type_into(qtbot, form, "nhs_number", "999 000 0018")   # valid, but the test range
    assert form.problem_at("nhs_number") == ""
    warning = form.warning_at("nhs_number")
    assert "999 000 0018 is never issued to real people" in warning and "check it" in warning
    assert form.warning_labels["nhs_number"].isVisibleTo(form)
    assert "never issued" in form.inputs["nhs_number"].widget.accessibleDescription()
    assert form.save_button.isEnabled()   # a warning, not an error
    with qtbot.waitSignal(window.refreshed, timeout=WAIT):
        click(qtbot, form.save_button)
    (saved,) = services.load_patient_records(None)
    assert saved.nhs_number == "9990000018"


def test_a_demo_caseload_does_not_warn_of_its_own_test_range_numbers(clinic, open_window, qtbot):
    from pao_clinic.storage.models import ClinicSetting

    ClinicSetting.create(name=services.DEMO_FLAG, value="1")
    window = open_window(clinic.nurse)
    form = window.new_patient()
    type_into(qtbot, form, "nhs_number", "999 000 0018")
    assert form.problem_at("nhs_number") == "" and form.warning_at("nhs_number") == ""
    assert not form.warning_labels["nhs_number"].isVisibleTo(form)
    form.close()
