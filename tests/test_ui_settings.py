"""File ▸ Settings…: letterhead, address book, the gate's thresholds (set, reset), the database,
and a demo database's choice of user; the service `gate_settings` behind the thresholds."""

from __future__ import annotations

import math
from datetime import date

import pytest
from PySide6.QtCore import QEvent, Qt
from PySide6.QtWidgets import QApplication

from pao_clinic import services
from pao_clinic.clinic_settings import DEFAULT_SETTINGS
from pao_clinic.errors import PermissionDenied, ValidationError
from pao_clinic.services.demo_setup import load_demo_caseload
from pao_clinic.services.gate_settings import (
    SETTING_RULES, gate_settings, reset_all_gate_settings, reset_gate_setting, set_gate_setting,
)
from pao_clinic.storage.models import AuditEntry
from pao_clinic.services.clinic_details import set_letterhead
from tests.gate_builders import days, treatable_record, with_blood
from ui.settings_dialog import SettingsDialog

pytestmark = [pytest.mark.qt_log_ignore("does not support propagateSizeHints")]


@pytest.fixture
def qt_org(qapp):
    qapp.setOrganizationName("PAO Clinic tests")
    return qapp


def settings_dialog(qtbot, actor, *, demo: bool = False) -> SettingsDialog:
    dialog = SettingsDialog(actor, "SQLite file /tmp/clinic.sqlite", demo=demo)
    qtbot.addWidget(dialog)
    dialog.show()
    return dialog


def click(qtbot, button) -> None:
    """Click as a user does: on the tab that holds the button, which must be shown and enabled."""
    dialog = button.window()
    tabs = getattr(dialog, "tabs", None)
    if tabs is not None:
        for index in range(tabs.count()):
            if tabs.widget(index).isAncestorOf(button):
                tabs.setCurrentIndex(index)
    assert button.isVisible() and button.isEnabled(), button.objectName()
    qtbot.mouseClick(button, Qt.MouseButton.LeftButton)


def setting_audits() -> list[AuditEntry]:
    return list(AuditEntry.select().where(AuditEntry.record_type == "clinic_setting").order_by(AuditEntry.id))


# --- the thresholds: the gate judges by what the admin saved ---------------------------------------

def test_an_admin_raises_a_threshold_the_gate_then_blocks_and_reset_restores_the_default(clinic, qt_org, qtbot):
    today = date.today()
    record = with_blood(treatable_record(today), "vitamin_d_25oh", 65, today - days(10))
    (patient_id,) = services.import_records(clinic.nurse, [record])
    before = services.gate_check(patient_id, "zoledronate", today)
    assert "AR-2" not in before.rule_ids() and before.verdict != "blocked"

    dialog = settings_dialog(qtbot, clinic.admin)
    assert dialog.threshold_defaults["vitamin_d_low_nmol_l"].text() == "default 50"
    assert not dialog.reset_buttons["vitamin_d_low_nmol_l"].isEnabled()   # nothing to reset yet
    dialog.set_threshold("vitamin_d_low_nmol_l", 75)
    click(qtbot, dialog.save_thresholds_button)

    assert dialog.thresholds_status.text() == "Saved 1 threshold."
    assert services.clinic_settings().vitamin_d_low_nmol_l == 75
    after = services.gate_check(patient_id, "zoledronate", today)
    assert after.verdict == "blocked" and "AR-2" in after.rule_ids("block")
    assert "below 75.0 nmol/L" in next(r.message for r in after.rules if r.id == "AR-2")
    assert dialog.threshold_defaults["vitamin_d_low_nmol_l"].text() == "changed (default 50)"
    (audit,) = setting_audits()
    assert (audit.user_name, audit.action, audit.after) == (clinic.admin.name, "update",
                                                           '{"vitamin_d_low_nmol_l": "75"}')

    click(qtbot, dialog.reset_buttons["vitamin_d_low_nmol_l"])
    assert dialog.threshold("vitamin_d_low_nmol_l") == 50
    assert services.clinic_settings() == DEFAULT_SETTINGS
    assert services.gate_check(patient_id, "zoledronate", today).verdict == before.verdict
    assert [a.action for a in setting_audits()] == ["update", "reset"]


def test_reset_all_puts_every_threshold_back_in_one_step(clinic, qt_org, qtbot):
    dialog = settings_dialog(qtbot, clinic.admin)
    dialog.set_threshold("epds_high_score", 11)
    dialog.set_threshold("lsc_total_hip_percent", 4.2)
    click(qtbot, dialog.save_thresholds_button)
    assert (services.clinic_settings().epds_high_score, services.clinic_settings().lsc_total_hip_percent) == (11, 4.2)
    click(qtbot, dialog.reset_all_button)
    assert services.clinic_settings() == DEFAULT_SETTINGS
    assert dialog.threshold("epds_high_score") == 13 and dialog.threshold("lsc_total_hip_percent") == 5.0
    assert dialog.thresholds_status.text() == "Every threshold is back to its default."


def test_a_refused_threshold_is_named_at_its_field_and_nothing_is_saved(clinic, qt_org, qtbot):
    dialog = settings_dialog(qtbot, clinic.admin)
    dialog.set_threshold("calcium_low_mmol_l", 2.55)
    dialog.set_threshold("calcium_high_mmol_l", 2.50)   # now below the low threshold
    click(qtbot, dialog.save_thresholds_button)
    problem = dialog.threshold_problems["calcium_high_mmol_l"]
    assert problem.isVisible() and "calcium_high_mmol_l" in problem.text() and "below the high one" in problem.text()
    assert dialog.threshold("calcium_high_mmol_l") == 2.50          # kept as typed, to be corrected
    assert services.clinic_settings().calcium_high_mmol_l == DEFAULT_SETTINGS.calcium_high_mmol_l
    assert services.clinic_settings().calcium_low_mmol_l == 2.55    # the other one was fine
    assert dialog.thresholds_status.text() == "Saved 1 of 2; see the thresholds marked."


# --- who may change them ---------------------------------------------------------------------------

def test_a_nurse_reads_the_settings_but_cannot_save_and_the_services_refuse_her(clinic, qt_org, qtbot):
    dialog = settings_dialog(qtbot, clinic.nurse)
    assert dialog.role_notice.isVisible() and "only an administrator" in dialog.role_notice.text()
    for button in (dialog.save_thresholds_button, dialog.reset_all_button, dialog.save_letterhead_button,
                   dialog.save_address_button, *dialog.reset_buttons.values()):
        assert button.isHidden()
    assert all(spin.isReadOnly() for spin in dialog.threshold_inputs.values())
    assert all(edit.isReadOnly() for edit in dialog.letterhead_fields.values())
    assert dialog.threshold("results_window_days") == 90   # she sees the values in force

    with pytest.raises(PermissionDenied, match="only an admin"):
        set_gate_setting(clinic.nurse, "epds_high_score", 10)
    with pytest.raises(PermissionDenied):
        reset_gate_setting(clinic.consultant, "epds_high_score")
    with pytest.raises(PermissionDenied):
        set_letterhead(clinic.nurse, name="X", address="1 Road, Town", phone="0113 496 0000", email="a@b.cd")
    assert services.clinic_settings() == DEFAULT_SETTINGS and setting_audits() == []


# --- letterhead and address book -------------------------------------------------------------------

def test_the_letterhead_is_saved_and_read_back(clinic, qt_org, qtbot, tmp_path):
    logo = tmp_path / "logo.png"
    logo.write_bytes(b"\x89PNG\r\n\x1a\n" + b"\x00" * 32)
    dialog = settings_dialog(qtbot, clinic.admin)
    fields = dialog.letterhead_fields
    for key, text in (("name", "Leeds Bone Clinic"), ("phone", "0113 496 0777"),
                      ("email", "bone.clinic@example.nhs.uk"), ("logo", str(logo))):
        fields[key].clear()
        qtbot.keyClicks(fields[key], text)
    fields["address"].setPlainText("Ward 9\nSt Elsewhere Hospital\nLeeds LS1 1AA")
    click(qtbot, dialog.save_letterhead_button)
    assert dialog.letterhead_status.text() == "Letterhead saved."

    letterhead = services.clinic_letterhead()
    assert (letterhead.name, letterhead.address, letterhead.phone, letterhead.email, letterhead.logo_path) == (
        "Leeds Bone Clinic", "Ward 9\nSt Elsewhere Hospital\nLeeds LS1 1AA", "0113 496 0777",
        "bone.clinic@example.nhs.uk", str(logo.resolve()))
    again = settings_dialog(qtbot, clinic.nurse)     # anyone reads it back
    assert again.letterhead_fields["name"].text() == "Leeds Bone Clinic"
    assert again.letterhead_fields["address"].toPlainText() == "Ward 9\nSt Elsewhere Hospital\nLeeds LS1 1AA"


def test_a_wrong_email_is_shown_at_its_field_and_the_letterhead_is_unchanged(clinic, qt_org, qtbot):
    dialog = settings_dialog(qtbot, clinic.admin)
    fields = dialog.letterhead_fields
    qtbot.keyClicks(fields["name"], " Clinic")
    fields["address"].setPlainText("1 Vale Road, Leeds LS5 9ZZ")
    qtbot.keyClicks(fields["phone"], "0113 496 0123")
    qtbot.keyClicks(fields["email"], "not an address")
    click(qtbot, dialog.save_letterhead_button)
    assert dialog.letterhead_problems["email"].isVisible()
    assert "is not an email address" in dialog.letterhead_problems["email"].text()
    assert not dialog.letterhead_problems["phone"].isVisible()
    assert services.clinic_letterhead().email is None


def test_the_address_book_has_one_address_per_specialty_and_saves_one(clinic, qt_org, qtbot):
    dialog = settings_dialog(qtbot, clinic.admin)
    assert dialog.address_model.rowCount() == 12
    assert dialog.select_specialty("nutrition")
    dialog.department_edit.setText("Dietetics")
    dialog.address_edit.setPlainText("Kirkstall Vale Hospital\nLeeds LS5 9ZZ")
    click(qtbot, dialog.save_address_button)
    entry = services.referral_address_book()["nutrition"]
    assert (entry.department, entry.address) == ("Dietetics", "Kirkstall Vale Hospital\nLeeds LS5 9ZZ")
    assert dialog.selected_specialty() == "nutrition"
    assert dialog.address_status.text() == "Saved the address for Nutrition and dietetics."


def test_the_database_location_is_shown_read_only(clinic, qt_org, qtbot):
    dialog = settings_dialog(qtbot, clinic.nurse)
    assert dialog.database_edit.text() == "SQLite file /tmp/clinic.sqlite" and dialog.database_edit.isReadOnly()
    assert dialog.tabs.count() == 4   # no demo users on a real clinic's database


# --- the service: types, ranges, audit -------------------------------------------------------------

@pytest.mark.parametrize(("name", "value", "words"), [
    ("epds_high_score", 40, "between 1 and 30 points, not 40"),
    ("results_window_days", 30.5, "must be a whole number of days"),
    ("results_window_days", "ninety", "must be a number ('ninety' is not)"),
    ("low_z_score", 1.0, "between -5 and 0, not 1"),
    ("calcium_low_mmol_l", math.nan, "must be a number"),
    ("calcium_low_mmol_l", True, "must be a number"),
    ("egfr_pth_block", None, "must be a number"),
])
def test_a_value_of_the_wrong_kind_or_outside_its_range_is_refused_naming_the_setting(sqlite_clinic, name, value,
                                                                                     words):
    with pytest.raises(ValidationError) as raised:
        set_gate_setting(sqlite_clinic.admin, name, value)
    (problem,) = raised.value.problems
    assert problem.path == name and name in problem.message and words in problem.message
    assert SETTING_RULES[name].label in problem.message
    assert services.clinic_settings() == DEFAULT_SETTINGS and setting_audits() == []


def test_an_unknown_setting_is_refused(sqlite_clinic):
    with pytest.raises(ValidationError, match="'fracture_limit' is not a setting"):
        set_gate_setting(sqlite_clinic.admin, "fracture_limit", 3)


def test_every_threshold_is_listed_with_its_default_in_its_range(sqlite_clinic):
    shown = {s.name: s for s in gate_settings()}
    assert set(shown) == set(SETTING_RULES)
    for setting in shown.values():
        assert setting.is_default and setting.minimum <= setting.default <= setting.maximum
    set_gate_setting(sqlite_clinic.admin, "dexa_interval_days", "730")   # typed text is read as a number
    assert services.clinic_settings().dexa_interval_days == 730
    reset_all_gate_settings(sqlite_clinic.admin)
    assert services.clinic_settings() == DEFAULT_SETTINGS


# --- a demo database: try each role ----------------------------------------------------------------

@pytest.fixture
def demo_window(qt_org, qtbot, empty_database_url):
    from ui.main_window import MainWindow

    where = services.open_clinic_database(empty_database_url, create=True)
    try:
        consultant = load_demo_caseload(4, seed=2, today=date.today())
        window = MainWindow(consultant, where, demo=True)
        window.show()
        with qtbot.waitSignal(window.refreshed, timeout=20_000):
            window.refresh()
        yield window
        window.close()
        window.deleteLater()
        QApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)
    finally:
        services.close_clinic_database()


def test_switching_demo_user_changes_the_windows_actor_and_her_open_records_buttons(demo_window, qtbot):
    window = demo_window
    patient = window.caseload_model.rows()[0]
    record = window.open_record(patient, "fractures")
    qtbot.waitUntil(lambda: record.view is not None, timeout=10_000)
    assert record.record_actions.actor.role == "consultant"

    dialog = window.open_settings()
    assert dialog.tabs.tabText(dialog.tabs.count() - 1) == "Demo users"
    assert dialog.demo_user_combo.currentData() == "demo.consultant"
    assert not dialog.may_edit
    with qtbot.waitSignal(window.user_switched) as switched:
        dialog.demo_user_combo.setCurrentIndex(dialog.demo_user_combo.findData("demo.nurse"))
        click(qtbot, dialog.switch_button)
    nurse = switched.args[0]
    assert window.actor == nurse and nurse.role == "nurse" and nurse.name == "demo.nurse"
    assert "Demo Specialist Nurse" in window.windowTitle() and "DEMO" in window.windowTitle()
    assert window.user_label.text() == "Signed in as Demo Specialist Nurse (nurse)"
    reopened = window.patient_tabs.record_of(patient.patient_id)
    assert reopened is not None and reopened.record_actions.actor == nurse
    assert reopened.current_section() == "fractures"

    # the settings open afresh for whoever is now signed in: the admin may edit them
    admin_dialog = window.settings_dialog
    admin_dialog.switch_to("demo.admin")
    assert window.actor.role == "admin" and window.settings_dialog.may_edit
    assert not window.settings_dialog.save_thresholds_button.isHidden()
    window.settings_dialog.close()
