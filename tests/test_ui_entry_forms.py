"""Entry forms: built from a field spec per record type, the core's messages at the field,
Save only when valid, entered in error with a reason, conflicts shown with both versions,
roles, and a referral moved on.  Real widgets offscreen, on both databases where data is written.
"""

from __future__ import annotations

import threading
from dataclasses import replace
from datetime import date, timedelta
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QWidget

from pao_clinic import services
from pao_clinic.record import Contact, DexaScan, Feeding, Fracture, PatientRecord, Pregnancy, Referral, codes
from pao_clinic.record import code_words
from pao_clinic.services.referrals import referral_status_history
from pao_clinic.storage.connection import database
from ui.entry_forms import (
    PATIENT_SPEC, RECORD_SPECS, EnteredInErrorDialog, EntryForm, MoveOnDialog, VersionLine, VersionTableModel,
    open_entry_form,
)

pytestmark = [
    pytest.mark.qt_log_level_fail("WARNING"),
    pytest.mark.qt_log_ignore("does not support propagateSizeHints"),
]

# The day the forms judge on (a fixed day, so "in the future" means the same whenever the suite runs).
TODAY = date(2026, 5, 14)
SCREENSHOT = Path(__file__).resolve().parent.parent / "docs" / "screenshots" / "entry-form-validation.png"


@pytest.fixture
def qt_org(qapp):
    qapp.setOrganizationName("PAO Clinic tests")
    return qapp


def siobhan(**overrides) -> PatientRecord:
    values = dict(ref="", nhs_number="943 476 5919", hospital_number="PAO000123", family_name="Ní Bhriain",
                  given_name="Siobhán", date_of_birth=date(1991, 5, 17))
    values.update(overrides)
    return PatientRecord(**values)


def with_a_birth(clinic) -> tuple[int, Pregnancy]:
    """Her, registered, with a live birth ten weeks before TODAY and breastfeeding since."""
    patient = services.register_patient(clinic.nurse, siobhan(), today=TODAY)
    birth = services.add_clinical_entry(clinic.nurse, patient.id, Pregnancy(
        ref="", number=1, outcome="live_birth", ended_on=TODAY - timedelta(weeks=10),
        delivery_mode="vaginal"), today=TODAY)
    services.add_clinical_entry(clinic.nurse, patient.id, Feeding(
        pregnancy=birth.ref, breastfed=True, started_on=birth.ended_on), today=TODAY)
    return patient.id, birth


def form_for(actor, key: str, patient_id: int | None = None, original=None, qtbot=None) -> EntryForm:
    record = services.load_patient_record(patient_id) if patient_id is not None else None
    form = EntryForm(RECORD_SPECS[key], actor, record=record, original=original, today=TODAY)
    if qtbot is not None:
        qtbot.addWidget(form)
    return form


def type_into(qtbot, form: EntryForm, name: str, text: str) -> None:
    """Type as a user does: clear the field, then key the text in."""
    made = form.inputs[name]
    widget = made.focus[0]
    widget.clear()
    if text.isascii():
        qtbot.keyClicks(widget, text)
    else:  # QTest types ASCII keys only; insert() is what typing does to the text
        widget.insert(text) if hasattr(widget, "insert") else widget.insertPlainText(text)


def choose(form: EntryForm, name: str, code) -> None:
    combo = form.inputs[name].widget
    index = combo.findData(code)
    assert index >= 0, f"{code!r} is not offered in {name}"
    combo.setCurrentIndex(index)


# --- words -----------------------------------------------------------------------------

def test_every_code_of_every_list_has_clinical_words():
    for name, (known, table) in code_words.CODE_LISTS.items():
        assert set(table) == set(known), name
        assert all(text and "_" not in text for text in table.values()), name


def test_each_code_list_in_a_form_shows_words_not_codes(qt_org, qtbot):
    nurse = services.Actor(1, "nina.nurse", "Nina Nurse", "nurse")
    form = EntryForm(RECORD_SPECS["fracture"], nurse, today=TODAY)
    qtbot.addWidget(form)
    site = form.inputs["site"].widget
    shown = [site.itemText(i) for i in range(site.count())]
    assert "L1 (lumbar vertebra)" in shown and "Sacrum" in shown
    assert not any(code in shown for code in codes.FRACTURE_SITES)
    trauma = form.inputs["trauma"].widget
    assert trauma.itemText(trauma.findData("low")).startswith("Low trauma")


# --- the patient ---------------------------------------------------------------------------

def test_a_patient_is_created_through_the_form(clinic, qt_org, qtbot):
    form = EntryForm(PATIENT_SPEC, clinic.nurse, today=TODAY)
    qtbot.addWidget(form)
    form.show()
    assert not form.save_button.isEnabled()
    type_into(qtbot, form, "family_name", "Wiśniewska-O'Brien")
    type_into(qtbot, form, "given_name", "Łucja")
    type_into(qtbot, form, "date_of_birth", "12/04/1991")
    type_into(qtbot, form, "nhs_number", "943 476 5918")  # wrong check digit
    assert "check digit" in form.problem_at("nhs_number")
    assert form.problem_at("nhs_number").startswith("\u26a0 Problem: ")
    assert form.inputs["nhs_number"].problem.isVisible()
    assert not form.save_button.isEnabled()
    assert "check digit" in form.inputs["nhs_number"].widget.accessibleDescription()

    type_into(qtbot, form, "nhs_number", "943 476 5919")
    type_into(qtbot, form, "contact.phone", "07700 900123")
    form.inputs["risk_factors"].widget.findChild(QWidget, "check_heparin").setChecked(True)
    assert form.problem_at("nhs_number") == ""
    assert form.save_button.isEnabled()
    with qtbot.waitSignal(form.saved, timeout=5000) as saved:
        qtbot.mouseClick(form.save_button, Qt.MouseButton.LeftButton)
    patient_id = services.find_patient_id("9434765919")
    stored = services.load_patient_record(patient_id)
    assert saved.args[0].id == patient_id
    assert (stored.family_name, stored.given_name, stored.date_of_birth) == (
        "Wiśniewska-O'Brien", "Łucja", date(1991, 4, 12))
    assert stored.contact.phone == "07700 900123" and stored.risk_factors == ("heparin",)


def test_an_nhs_number_shows_its_message_before_the_date_of_birth_is_typed(qt_org, qtbot):
    nurse = services.Actor(1, "nina.nurse", "Nina Nurse", "nurse")
    form = EntryForm(PATIENT_SPEC, nurse, today=TODAY)
    qtbot.addWidget(form)
    type_into(qtbot, form, "nhs_number", "1111111111")
    assert form.problem_at("nhs_number") != ""
    assert form.problem_at("date_of_birth") == ""  # not yet visited: no "required" shouted at her
    assert not form.save_button.isEnabled()


def test_a_wrong_date_typed_shows_the_message_at_the_field(qt_org, qtbot):
    nurse = services.Actor(1, "nina.nurse", "Nina Nurse", "nurse")
    form = EntryForm(RECORD_SPECS["fracture"], nurse, today=TODAY)
    qtbot.addWidget(form)
    type_into(qtbot, form, "identified_on", "31/02/2026")
    assert form.problem_at("identified_on") == "\u26a0 Problem: 31 February 2026 does not exist"
    assert not form.save_button.isEnabled()
    type_into(qtbot, form, "identified_on", "28.02.2026")
    assert form.problem_at("identified_on") == ""
    form.inputs["identified_on"].widget._on_edit_editing_finished()
    assert form.inputs["identified_on"].widget.text() == "28-Feb-2026"


def test_the_date_field_takes_a_day_from_its_calendar(qt_org, qtbot):
    from ui.date_field import DateField
    from PySide6.QtCore import QDate

    field = DateField(optional=True, label="Due date")
    qtbot.addWidget(field)
    assert field.problem() is None and field.value() is None  # empty is allowed when optional
    field.calendar.clicked.emit(QDate(2026, 4, 12))
    assert field.text() == "12-Apr-2026" and field.value() == date(2026, 4, 12)
    required = DateField(label="Scanned on")
    qtbot.addWidget(required)
    assert required.problem() == "the scanned on is required"


# --- clinical entries ------------------------------------------------------------------------

def test_a_fracture_a_dexa_scan_and_a_feeding_stop_are_recorded_through_forms(clinic, qt_org, qtbot):
    patient_id, birth = with_a_birth(clinic)

    fracture = form_for(clinic.nurse, "fracture", patient_id, qtbot=qtbot)
    choose(fracture, "site", "l2")
    type_into(qtbot, fracture, "identified_on", "01-Apr-2026")
    choose(fracture, "imaging", "mri")
    choose(fracture, "trauma", "none")
    assert "Genant grade" in fracture.problem_at("genant_grade")  # the core's rule, at its field
    assert not fracture.save_button.isEnabled()
    choose(fracture, "genant_grade", 2)
    choose(fracture, "pregnancy", birth.ref)
    assert fracture.save_button.isEnabled(), fracture.problems
    assert fracture.save() is not None

    dexa = form_for(clinic.nurse, "dexa_scan", patient_id, qtbot=qtbot)
    type_into(qtbot, dexa, "scanned_on", "2026-04-20")
    choose(dexa, "site", "lumbar_spine")
    assert "T-score or a Z-score" in dexa.problem_at("t_score")
    type_into(qtbot, dexa, "z_score", "-9.5")
    assert "outside" in dexa.problem_at("z_score")
    type_into(qtbot, dexa, "z_score", "-3.1")
    assert dexa.save_button.isEnabled(), dexa.problems
    assert dexa.save() is not None

    record = services.load_patient_record(patient_id)
    (feeding,) = record.breastfeeding
    stop = form_for(clinic.nurse, "feeding", patient_id, original=feeding, qtbot=qtbot)
    assert stop.inputs["started_on"].widget.value() == birth.ended_on
    type_into(qtbot, stop, "stopped_on", "10/05/2026")
    assert stop.save_button.isEnabled(), stop.problems
    assert stop.save() is not None

    record = services.load_patient_record(patient_id)
    assert [(f.site, f.genant_grade, f.pregnancy, f.identified_on) for f in record.fractures] == [
        ("l2", 2, birth.ref, date(2026, 4, 1))]
    assert [(d.site, d.z_score, d.scanned_on) for d in record.dexa] == [("lumbar_spine", -3.1, date(2026, 4, 20))]
    assert record.breastfeeding[0].stopped_on == date(2026, 5, 10)
    assert record.breastfeeding[0].version == 2


def test_a_blood_result_is_saved_in_the_tests_own_unit(clinic, qt_org, qtbot):
    patient = services.register_patient(clinic.nurse, siobhan(), today=TODAY)
    form = form_for(clinic.nurse, "blood_result", patient.id, qtbot=qtbot)
    type_into(qtbot, form, "taken_on", "02-May-2026")
    choose(form, "test", "vitamin_d_25oh")
    assert form.inputs["unit"].widget.text() == "nmol/L"
    type_into(qtbot, form, "value", "twenty")
    assert "must be a number" in form.problem_at("value")
    type_into(qtbot, form, "value", "21")
    assert form.save() is not None
    (blood,) = services.load_patient_record(patient.id).bloods
    assert (blood.test, blood.value, blood.unit) == ("vitamin_d_25oh", 21.0, "nmol/L")


def test_an_entry_marked_entered_in_error_with_a_reason_leaves_her_record(clinic, qt_org, qtbot, monkeypatch):
    patient = services.register_patient(clinic.nurse, siobhan(), today=TODAY)
    wrong = services.add_clinical_entry(clinic.nurse, patient.id, Fracture(
        ref="", site="rib", side="left", identified_on=date(2026, 3, 2), imaging="xray", trauma="low"), today=TODAY)
    asked = []
    monkeypatch.setattr(EnteredInErrorDialog, "ask",
                        classmethod(lambda cls, what, parent=None: asked.append(what) or "recorded for the wrong patient"))
    form = form_for(clinic.nurse, "fracture", patient.id, original=wrong, qtbot=qtbot)
    assert form.error_button.isVisible() or not form.isVisible()
    with qtbot.waitSignal(form.entered_in_error, timeout=5000):
        qtbot.mouseClick(form.error_button, Qt.MouseButton.LeftButton)
    assert asked == ["fracture"]
    assert services.patient_view(patient.id, TODAY).fractures == ()
    (entry,) = [e for e in services.patient_audit_history(patient.id) if e.action == "entered_in_error"]
    assert "wrong patient" in (entry.after or {}).get("entered_in_error_reason", "")


def test_the_reason_for_entered_in_error_is_required(qt_org, qtbot):
    dialog = EnteredInErrorDialog("fracture")
    qtbot.addWidget(dialog)
    assert not dialog.ok_button.isEnabled()
    qtbot.keyClicks(dialog.reason_edit, "   ")
    assert not dialog.ok_button.isEnabled()
    qtbot.keyClicks(dialog.reason_edit, "duplicate of the MRI entry")
    assert dialog.ok_button.isEnabled() and dialog.reason() == "duplicate of the MRI entry"


# --- two people at once ------------------------------------------------------------------------

def _saved_elsewhere(patient_id: int, actor, phone: str) -> None:
    """Another member of staff saves her phone number on another connection (a thread of its own)."""
    failure: list[BaseException] = []

    def edit():
        try:
            seen = services.load_patient_record(patient_id)
            services.update_patient(actor, patient_id, expected_version=seen.version, today=TODAY,
                                    contact=replace(seen.contact or Contact(), phone=phone))
        except BaseException as exc:  # noqa: BLE001 - re-raised in the test's thread
            failure.append(exc)
        finally:
            database.close()

    other = threading.Thread(target=edit)
    other.start()
    other.join(20)
    assert not failure, failure


def test_two_connections_edit_one_patient_and_the_second_save_shows_both_versions(clinic, qt_org, qtbot):
    patient = services.register_patient(clinic.nurse, siobhan(contact=Contact(phone="07700 900000")), today=TODAY)
    form = EntryForm(PATIENT_SPEC, clinic.nurse, original=services.load_patient_record(patient.id), today=TODAY)
    qtbot.addWidget(form)
    type_into(qtbot, form, "contact.phone", "07700 900111")
    _saved_elsewhere(patient.id, clinic.consultant, "07700 900222")

    with qtbot.waitSignal(form.conflict_shown, timeout=5000):
        assert form.save() is None
    assert not form.conflict_box.isHidden()
    assert "someone else" in form.conflict_text.text()
    (phone,) = [line for line in form.version_model.rows() if line.label == "Phone"]
    assert (phone.yours, phone.theirs, phone.differs) == ("07700 900111", "07700 900222", True)
    assert not form.save_button.isEnabled()
    assert services.load_patient_record(patient.id).contact.phone == "07700 900222"  # nothing overwritten

    form.reload()
    assert form.conflict_box.isHidden()
    assert form.inputs["contact.phone"].widget.text() == "07700 900222"
    type_into(qtbot, form, "contact.phone", "07700 900111")
    assert form.save() is not None
    assert services.load_patient_record(patient.id).contact.phone == "07700 900111"


def test_a_clinical_entry_changed_elsewhere_shows_their_version(clinic, qt_org, qtbot):
    patient_id, _birth = with_a_birth(clinic)
    (feeding,) = services.load_patient_record(patient_id).breastfeeding
    form = form_for(clinic.nurse, "feeding", patient_id, original=feeding, qtbot=qtbot)
    type_into(qtbot, form, "stopped_on", "01-May-2026")
    services.update_clinical_entry(clinic.consultant, replace(feeding, stopped_on=date(2026, 5, 3)),
                                   expected_version=feeding.version, today=TODAY)
    assert form.save() is None
    (line,) = [v for v in form.version_model.rows() if v.label == "Last feed on"]
    assert (line.yours, line.theirs) == ("01-May-2026", "03-May-2026")
    assert services.load_patient_record(patient_id).breastfeeding[0].stopped_on == date(2026, 5, 3)


def test_the_version_table_is_a_sound_model(qt_org, qtmodeltester):
    model = VersionTableModel()
    model.set_rows([VersionLine("Phone", "1", "2"), VersionLine("Email", "a@b", "a@b")])
    qtmodeltester.check(model)
    assert model.data(model.index(0, VersionTableModel.COL_DIFFERS)) == "Differs"
    assert model.data(model.index(1, VersionTableModel.COL_DIFFERS)) == ""


# --- roles ---------------------------------------------------------------------------------------

def test_a_nurse_cannot_save_a_treatment_decision(clinic, qt_org, qtbot):
    patient = services.register_patient(clinic.nurse, siobhan(), today=TODAY)
    form = form_for(clinic.nurse, "decision", patient.id, qtbot=qtbot)
    type_into(qtbot, form, "decided_on", "12-May-2026")
    choose(form, "plan", "conservative")
    assert form.problems == {}
    assert not form.save_button.isEnabled()
    assert "only a consultant may save a treatment decision" in form.role_label.text()
    assert form.save() is None
    assert services.load_patient_record(patient.id).decisions == ()


def test_a_consultant_records_a_decision_through_the_form(clinic, qt_org, qtbot):
    patient = services.register_patient(clinic.nurse, siobhan(), today=TODAY)
    form = form_for(clinic.consultant, "decision", patient.id, qtbot=qtbot)
    type_into(qtbot, form, "decided_on", "12-May-2026")
    choose(form, "plan", "conservative")
    assert form.save_button.isEnabled()
    assert form.save() is not None
    (decision,) = services.load_patient_record(patient.id).decisions
    assert (decision.plan, decision.by) == ("conservative", "Dr Mei Chen")


def test_an_admin_cannot_save_clinical_entries(clinic, qt_org, qtbot):
    patient = services.register_patient(clinic.nurse, siobhan(), today=TODAY)
    form = form_for(clinic.admin, "height", patient.id, qtbot=qtbot)
    type_into(qtbot, form, "measured_on", "01-May-2026")
    type_into(qtbot, form, "cm", "164.5")
    assert form.problems == {}
    assert not form.save_button.isEnabled()
    assert "administrator" in form.role_label.text() and "nurse or consultant" in form.role_label.text()
    assert form.save() is None
    assert services.load_patient_record(patient.id).heights == ()


# --- referrals -------------------------------------------------------------------------------------

def test_a_referral_moves_on_to_sent_with_its_date(clinic, qt_org, qtbot, monkeypatch):
    patient = services.register_patient(clinic.nurse, siobhan(), today=TODAY)
    new = form_for(clinic.nurse, "referral", patient.id, qtbot=qtbot)
    choose(new, "specialty", "physiotherapy")
    choose(new, "urgency", "routine")
    type_into(qtbot, new, "created_on", "04-May-2026")
    type_into(qtbot, new, "reason", "Back pain after two vertebral fractures")
    referral = new.save()
    assert referral.status == "draft"

    monkeypatch.setattr(MoveOnDialog, "ask", classmethod(lambda cls, r, today, parent=None: ("sent", date(2026, 5, 6))))
    form = form_for(clinic.nurse, "referral", patient.id, original=referral, qtbot=qtbot)
    assert "Draft" in form.status_label.text()
    with qtbot.waitSignal(form.saved, timeout=5000):
        qtbot.mouseClick(form.move_on_button, Qt.MouseButton.LeftButton)
    (stored,) = services.load_patient_record(patient.id).referrals
    assert (stored.status, stored.sent_on, stored.version) == ("sent", date(2026, 5, 6), 2)
    assert referral_status_history(stored.id) == (("sent", date(2026, 5, 6)),)
    assert "Sent" in form.status_label.text() and "06-May-2026" in form.status_label.text()


def test_a_referral_cannot_move_on_before_it_was_created(clinic, qt_org, qtbot, monkeypatch):
    patient = services.register_patient(clinic.nurse, siobhan(), today=TODAY)
    referral = services.add_clinical_entry(clinic.nurse, patient.id, Referral(
        ref="", specialty="gp", urgency="routine", status="draft", created_on=date(2026, 5, 4),
        reason="Vitamin D"), today=TODAY)
    monkeypatch.setattr(MoveOnDialog, "ask", classmethod(lambda cls, r, today, parent=None: ("sent", date(2026, 5, 1))))
    form = form_for(clinic.nurse, "referral", patient.id, original=referral, qtbot=qtbot)
    assert form.move_on() is None
    assert "before" in form.general_label.text()
    assert services.load_patient_record(patient.id).referrals[0].status == "draft"


def test_the_move_on_dialog_offers_only_the_next_steps(qt_org, qtbot):
    sent = Referral(ref="ref1", specialty="gp", urgency="routine", status="sent", created_on=date(2026, 5, 1),
                    sent_on=date(2026, 5, 2), reason="x")
    dialog = MoveOnDialog(sent, TODAY)
    qtbot.addWidget(dialog)
    offered = [dialog.status_combo.itemData(i) for i in range(dialog.status_combo.count())]
    assert offered == ["acknowledged", "booked", "seen", "declined", "cancelled"]
    assert dialog.answer() == ("acknowledged", TODAY)
    dialog.date_field.set_text("30/02/2026")
    assert not dialog.ok_button.isEnabled()
    assert "30 February 2026 does not exist" in dialog.problem_label.text()


# --- keyboard, size, every form ---------------------------------------------------------------------

@pytest.mark.parametrize("key", sorted(RECORD_SPECS))
def test_every_form_tabs_through_its_fields_in_order_and_names_them(key, qt_org, qtbot):
    nurse = services.Actor(1, "nina.nurse", "Nina Nurse", "nurse")
    form = EntryForm(RECORD_SPECS[key], nurse, today=TODAY)
    qtbot.addWidget(form)
    chain = form.focus_chain()
    assert chain, key
    visited, widget = [], chain[0]
    for _ in range(len(chain)):
        visited.append(widget)
        widget = widget.nextInFocusChain()
        while widget not in chain and widget is not chain[0] and len(visited) < 500:
            widget = widget.nextInFocusChain()
    assert visited == chain
    assert all(w.accessibleName() for w in chain)
    assert form.height() <= 768 - 40 and form.width() <= 1366


def test_the_list_names_open_their_forms(qt_org, qtbot):
    nurse = services.Actor(1, "nina.nurse", "Nina Nurse", "nurse")
    for list_name in ("fractures", "dexa", "breastfeeding", "referrals", "epds"):
        form = open_entry_form(nurse, list_name, today=TODAY)
        qtbot.addWidget(form)
        assert form.spec.list_name == list_name
    patient_form = open_entry_form(nurse, None, today=TODAY)
    qtbot.addWidget(patient_form)
    assert patient_form.spec is PATIENT_SPEC


def test_screenshot_of_a_form_showing_a_validation_message(qt_org, qtbot, tmp_path):
    nurse = services.Actor(1, "nina.nurse", "Nina Nurse", "nurse")
    from ui.resources import resource_text
    qt_org.setStyleSheet(resource_text("style.qss"))
    form = EntryForm(PATIENT_SPEC, nurse, today=TODAY)
    qtbot.addWidget(form)
    form.resize(760, 700)
    form.show()
    type_into(qtbot, form, "family_name", "Wiśniewska-O'Brien")
    type_into(qtbot, form, "given_name", "Łucja")
    type_into(qtbot, form, "date_of_birth", "31/02/1991")
    type_into(qtbot, form, "nhs_number", "943 476 5918")
    qt_org.processEvents()
    image = form.grab().toImage()
    assert (image.width(), image.height()) == (form.width(), form.height())
    assert "does not exist" in form.problem_at("date_of_birth") and "check digit" in form.problem_at("nhs_number")
    target = tmp_path / SCREENSHOT.name  # docs/screenshots/ holds the one saved from this render
    assert form.grab().save(str(target))
    assert 5_000 < target.stat().st_size < 300_000
    qt_org.setStyleSheet("")


def test_a_form_open_while_someone_else_saves_says_so_and_keeps_what_was_typed(clinic, qt_org, qtbot):
    from datetime import datetime

    form = EntryForm(PATIENT_SPEC, clinic.nurse, today=TODAY)
    qtbot.addWidget(form)
    form.show()
    type_into(qtbot, form, "family_name", "Wiśniewska-O'Brien")
    assert not form.elsewhere_label.isVisible()
    form.note_changed_elsewhere(datetime(2026, 5, 1, 14, 7))
    assert form.elsewhere_label.isVisible()
    assert form.elsewhere_label.text().startswith("Someone else changed her record at 14:07")
    assert "your unsaved changes are kept" in form.elsewhere_label.text()
    assert form.inputs["family_name"].widget.text() == "Wiśniewska-O'Brien"
