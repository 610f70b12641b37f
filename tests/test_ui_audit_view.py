"""The clinic-wide audit window (admins) and the audit of each opening of her record in a tab."""

from __future__ import annotations

import os
from datetime import date, timedelta

import pytest
from PySide6.QtCore import QEvent
from PySide6.QtWidgets import QApplication

from pao_clinic import services
from pao_clinic.record import Fracture, PatientRecord
from pao_clinic.services.audit import AuditFilter, audit_page
from pao_clinic.storage.connection import database
from pao_clinic.storage.models import AuditEntry
from ui.audit_view import AuditTrailModel, AuditTrailWindow
from ui.caseload_model import ROW_ROLE
from ui.patient_tabs import PatientTabs

pytestmark = [pytest.mark.qt_log_level_fail("WARNING"), pytest.mark.qt_log_ignore("does not support propagateSizeHints")]

ON = date(2025, 6, 1)


def her(clinic, n: int = 0) -> int:
    record = PatientRecord(ref="", nhs_number=("943 476 5919", "943 476 5927")[n], hospital_number=f"PAO00012{n}",
                           family_name="Ní Bhriain", given_name=("Siobhán", "Aoife")[n], date_of_birth=date(1991, 5, 17))
    patient_id = services.register_patient(clinic.nurse, record, today=ON).id
    services.add_clinical_entry(clinic.consultant, patient_id, Fracture(
        ref="", site="l1", identified_on=ON - timedelta(days=30), imaging="mri", trauma="none", genant_grade=2),
        today=ON)
    return patient_id


@pytest.fixture
def audit_window(qtbot, clinic):
    her(clinic)
    window = AuditTrailWindow(clinic.admin)
    qtbot.addWidget(window)
    with qtbot.waitSignal(window.page_shown, timeout=20_000):
        window.show()
    yield window
    window.close()
    window.deleteLater()
    QApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)


def shown(window: AuditTrailWindow) -> list:
    return [window.proxy.index(row, 0).data(ROW_ROLE) for row in range(window.proxy.rowCount())]


def test_the_model_passes_qt_model_tests(qtmodeltester, clinic):
    her(clinic)
    model = AuditTrailModel()
    model.set_rows(audit_page(clinic.admin).entries)
    assert model.rowCount() > 3
    qtmodeltester.check(model)


def test_the_window_shows_the_newest_entries_of_the_last_weeks_in_words(audit_window, clinic):
    entries = shown(audit_window)
    assert [e.id for e in entries] == sorted((e.id for e in entries), reverse=True)
    assert len(entries) == AuditEntry.select().count()
    model, proxy = audit_window.model, audit_window.proxy
    fracture_row = next(r for r in range(proxy.rowCount()) if shown(audit_window)[r].record_type == "fracture")
    cell = lambda column: proxy.index(fracture_row, column).data()  # noqa: E731
    assert (cell(model.COL_WHO), cell(model.COL_ACTION), cell(model.COL_RECORD)) == ("dr.chen", "Added", "Fracture")
    assert cell(model.COL_PATIENT) == "NÍ BHRIAIN, Siobhán (NHS 943 476 5919)"
    assert "site: \u2192 l1" in cell(model.COL_CHANGES).split("; ")
    assert audit_window.status_label.text() == f"{len(entries)} entries, newest first."
    audit_window.table.selectRow(fracture_row)
    detail = audit_window.detail.toPlainText()
    assert detail.startswith("Entry ") and "Added \u2014 Fracture" in detail and "by dr.chen on " in detail
    assert "about NÍ BHRIAIN, Siobhán" in detail and "hash " in detail


def test_the_filters_ask_the_service_for_a_user_an_action_and_days(qtbot, audit_window):
    window = audit_window
    qtbot.waitUntil(lambda: window.user_filter.findData("dr.chen") >= 0, timeout=10_000)
    with qtbot.waitSignal(window.page_shown, timeout=10_000):
        window.user_filter.setCurrentIndex(window.user_filter.findData("dr.chen"))
    assert {e.user_name for e in shown(window)} == {"dr.chen"}
    with qtbot.waitSignal(window.page_shown, timeout=10_000):
        window.user_filter.setCurrentIndex(0)
    with qtbot.waitSignal(window.page_shown, timeout=10_000):
        window.action_filter.setCurrentIndex(window.action_filter.findData("register"))
    assert window.action_filter.currentText() == "Registered"
    assert [e.action for e in shown(window)] == ["register"]
    with qtbot.waitSignal(window.page_shown, timeout=10_000):
        window.action_filter.setCurrentIndex(0)

    window.to_field.set_date(date.today() - timedelta(days=1))
    with qtbot.waitSignal(window.page_shown, timeout=10_000):
        window.show_button.click()
    assert shown(window) == [] and window.status_label.text() == "No audit entries match."

    window.from_field.set_text("31-Feb-2026")
    window.show_button.click()
    assert window.problem_label.isVisibleTo(window)
    assert window.problem_label.text().startswith("Cannot show the entries: From: ")


def test_a_page_that_cannot_hold_every_entry_says_so(qtbot, clinic, monkeypatch):
    her(clinic)
    monkeypatch.setattr("ui.audit_view.PAGE_SIZE", 2)
    window = AuditTrailWindow(clinic.admin)
    qtbot.addWidget(window)
    with qtbot.waitSignal(window.page_shown, timeout=20_000):
        window.show()
    total = AuditEntry.select().count()
    assert len(shown(window)) == 2
    assert window.status_label.text() == (f"The newest 2 of {total} entries: choose fewer days, a user or an action "
                                          "to see the others.")
    window.close()


def test_checking_the_chain_says_whole_or_names_what_was_changed(qtbot, audit_window, clinic):
    with qtbot.waitSignal(audit_window.chain_checked, timeout=20_000) as checked:
        audit_window.check_button.click()
    assert checked.args[0].whole and audit_window.chain_label.text().startswith("Whole: ")
    from pao_clinic.storage.models import User
    User.update(role="admin").where(User.name == "nina.nurse").execute()
    with qtbot.waitSignal(audit_window.chain_checked, timeout=20_000):
        audit_window.check_button.click()
    text = audit_window.chain_label.text()
    assert text.startswith("PROBLEM \u2014 the audit trail was changed outside PAO Clinic:")
    assert "user 'nina.nurse'" in text and "role is 'admin' in the database" in text


def test_a_nurse_is_told_the_audit_is_an_admins(qtbot, clinic):
    window = AuditTrailWindow(clinic.nurse)
    qtbot.addWidget(window)
    window.show()
    qtbot.waitUntil(lambda: "only an admin may do this" in window.status_label.text(), timeout=10_000)
    window.close()


def test_the_window_fits_a_laptop_screen_and_looks_right(qtbot, audit_window, tmp_path):
    audit_window.resize(1366, 720)
    audit_window.table.selectRow(0)
    qtbot.wait(50)
    assert audit_window.minimumSizeHint().width() <= 1366 and audit_window.minimumSizeHint().height() <= 768
    picture = tmp_path / "audit-trail.png"
    assert audit_window.grab().save(str(picture))
    if os.environ.get("PAO_CLINIC_KEEP_SCREENSHOT"):
        audit_window.grab().save(os.environ["PAO_CLINIC_KEEP_SCREENSHOT"])


# --- each opening of her record is audited ----------------------------------------------------------

def opened_entries(patient_id: int) -> list[AuditEntry]:
    return list(AuditEntry.select().where((AuditEntry.action == "open") & (AuditEntry.patient == patient_id))
                .order_by(AuditEntry.id))


def test_opening_her_record_in_a_tab_is_audited_once_per_opening(qtbot, clinic):
    patient_id = her(clinic)
    tabs = PatientTabs(actor=clinic.consultant, today=lambda: ON)
    qtbot.addWidget(tabs)
    record = tabs.open_patient(patient_id)
    qtbot.waitUntil(lambda: record.view is not None and len(opened_entries(patient_id)) == 1, timeout=20_000)
    [entry] = opened_entries(patient_id)
    assert (entry.user_name, entry.record_type, entry.record_id) == ("dr.chen", "patient", patient_id)

    with qtbot.waitSignal(record.loaded, timeout=20_000):
        tabs.reload_all()  # reading her record again is no opening
    tabs.open_patient(patient_id, section="fractures")  # nor is switching to her tab
    with qtbot.waitSignal(record.loaded, timeout=20_000):
        record.reload()
    assert len(opened_entries(patient_id)) == 1

    tabs.close_record(record)
    again = tabs.open_patient(patient_id)
    qtbot.waitUntil(lambda: again.view is not None and len(opened_entries(patient_id)) == 2, timeout=20_000)
    tabs.shut_down()
    assert len(opened_entries(patient_id)) == 2
    from pao_clinic.services.audit import verify_audit_chain
    assert verify_audit_chain().whole


def test_tabs_with_nobody_signed_in_write_no_opening(qtbot, clinic):
    patient_id = her(clinic)
    tabs = PatientTabs(today=lambda: ON)
    qtbot.addWidget(tabs)
    record = tabs.open_patient(patient_id)
    qtbot.waitUntil(lambda: record.view is not None, timeout=20_000)
    tabs.shut_down()
    assert opened_entries(patient_id) == []
