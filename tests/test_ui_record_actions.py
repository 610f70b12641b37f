"""An open record's buttons act: every real page is in place, and add / edit / entered in error /
move on / record a decision / open from the timeline / audit go to the forms and dialogs, for the
signed-in user, and the caseload hears that her record changed."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from pao_clinic import services
from pao_clinic.record import Decision, Feeding, Fracture, PatientRecord, Pregnancy, Referral
from ui.patient_record import PlaceholderSection
from ui.patient_tabs import PatientTabs
from ui.record_actions import LIST_OF_TYPE, install_section_pages


def her(clinic, on: date) -> int:
    """A woman 10 weeks after her first birth, breastfeeding, one T12 fracture and a sent referral."""
    record = services.register_patient(clinic.nurse, PatientRecord(
        ref="", family_name="Okafor", given_name="Amara", date_of_birth=on - timedelta(days=33 * 365),
        hospital_number="RX4242"), today=on)
    delivered = on - timedelta(weeks=10)
    services.add_clinical_entry(clinic.nurse, record.id, Pregnancy(ref="p1", number=1, outcome="live_birth",
                                                                   ended_on=delivered, delivery_mode="vaginal"),
                                today=on)
    services.add_clinical_entry(clinic.nurse, record.id, Feeding(pregnancy="p1", breastfed=True, started_on=delivered),
                                today=on)
    services.add_clinical_entry(clinic.nurse, record.id, Fracture(
        ref="", site="t12", identified_on=on - timedelta(weeks=4), imaging="mri", trauma="low",
        genant_grade=2), today=on)
    services.add_clinical_entry(clinic.nurse, record.id, Referral(
        ref="", specialty="physiotherapy", urgency="routine", status="draft", created_on=on - timedelta(days=3),
        reason="Back pain lifting the baby"), today=on)
    return record.id


@pytest.fixture
def opened(qtbot, clinic):
    """Her record open in a tab for the nurse, read as of a fixed day."""
    on = date(2026, 5, 1)
    patient_id = her(clinic, on)
    tabs = PatientTabs(actor=clinic.nurse, today=lambda: on)
    qtbot.addWidget(tabs)
    record = tabs.open_patient(patient_id)
    qtbot.waitUntil(lambda: record.view is not None, timeout=20_000)
    yield tabs, record, on
    tabs.shut_down()


def test_every_section_of_an_open_record_is_a_real_page(opened):
    _tabs, record, _on = opened
    assert not any(isinstance(page, PlaceholderSection) for page in record.sections.values())
    assert set(record.sections) == {key for key in record.sections}  # every key has its page
    assert record.sections["fractures"].key == "fractures" and record.sections["timeline"].key == "timeline"


def test_a_record_without_a_signed_in_user_shows_its_pages_but_has_no_actions(qtbot, clinic):
    tabs = PatientTabs()
    qtbot.addWidget(tabs)
    record = tabs.open_patient(her(clinic, date(2026, 5, 1)), on=date(2026, 5, 1))
    assert not hasattr(record, "record_actions")
    assert not any(isinstance(page, PlaceholderSection) for page in record.sections.values())
    tabs.shut_down()


def test_adding_from_a_page_opens_the_form_for_that_list_as_the_user(opened):
    _tabs, record, on = opened
    record.sections["fractures"].add_requested.emit("fractures")
    form = record.record_actions.open_form
    assert form is not None and form.spec.key == "fracture" and form.original is None
    assert form.actor == record.record_actions.actor and form.today == on
    form.close()


def test_marking_an_entry_entered_in_error_takes_it_out_and_tells_the_caseload(opened, qtbot, monkeypatch):
    from ui import entry_forms

    tabs, record, _on = opened
    monkeypatch.setattr(entry_forms.EnteredInErrorDialog, "ask",
                        classmethod(lambda cls, what, parent=None: "recorded for the wrong woman"))
    (fracture,) = record.view.fractures
    with qtbot.waitSignal(tabs.record_changed, timeout=10_000) as changed:
        record.sections["fractures"].entered_in_error_requested.emit(fracture)
    assert changed.args == [record.patient_id]
    qtbot.waitUntil(lambda: record.view is not None and record.view.fractures == (), timeout=20_000)
    assert services.load_patient_record(record.patient_id).fractures == ()


def test_moving_a_referral_on_goes_through_the_move_on_form(opened, qtbot, monkeypatch):
    from ui import entry_forms

    tabs, record, on = opened
    monkeypatch.setattr(entry_forms.MoveOnDialog, "ask",
                        classmethod(lambda cls, referral, today, parent=None: ("sent", on)))
    (referral,) = record.view.referrals
    with qtbot.waitSignal(tabs.record_changed, timeout=10_000):
        record.sections["referrals"].status_change_requested.emit(referral)
    saved = services.load_patient_record(record.patient_id).referrals[0]
    assert (saved.status, saved.sent_on) == ("sent", on)


def test_record_decision_opens_the_decision_dialog_for_her_and_a_decision_refreshes(opened, qtbot, monkeypatch):
    from ui import decision_dialog

    tabs, record, on = opened
    asked = []
    decision = Decision(decided_on=on, plan="defer", by="Dr Mei Chen")

    def ask(cls, actor, patient_id, *, on=None, plan="start", drug=None, parent=None):
        asked.append((actor, patient_id, on))
        return decision

    monkeypatch.setattr(decision_dialog.DecisionDialog, "ask", classmethod(ask))
    with qtbot.waitSignal(tabs.record_changed, timeout=10_000):
        record.sections["medications"].decision_requested.emit()
    assert asked == [(record.record_actions.actor, record.patient_id, on)]


def test_a_click_on_the_timeline_opens_the_entry_at_its_section(opened):
    _tabs, record, _on = opened
    (fracture,) = record.view.fractures
    form = record.record_actions.open_entry("fracture", fracture.id)
    assert record.current_section() == "fractures"
    assert form is not None and form.original == fracture
    form.close()


def test_the_audit_page_is_filled_from_her_audit_history(opened, qtbot):
    _tabs, record, _on = opened
    audit = record.sections["audit"]
    entries = services.patient_audit_history(record.patient_id)
    assert entries  # registering her and her entries was audited
    audit.audit_wanted.emit(record.patient_id)
    qtbot.waitUntil(lambda: audit.table.model.rowCount() == len(entries), timeout=10_000)


def test_every_clinical_list_has_its_form():
    from ui.entry_forms import SPEC_FOR_LIST

    assert set(LIST_OF_TYPE.values()) <= set(SPEC_FOR_LIST)
    assert install_section_pages  # the one place pages are made
