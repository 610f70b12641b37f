"""The service layer: validation at the field, roles, audit, entered in error, conflicts."""

from __future__ import annotations

import json
import threading
from dataclasses import replace
from datetime import date, timedelta

import pytest

from pao_clinic import services
from pao_clinic.storage.connection import database
from pao_clinic.errors import (
    AuthenticationError, ConflictError, NotFoundError, PermissionDenied, ValidationError,
)
from pao_clinic.storage.models import AuditEntry, FractureRow, Patient, User
from pao_clinic.record import Feeding, Fracture, PatientRecord, Pregnancy

from .conftest import PASSWORD

# The day these services are asked on, passed as `today=` wherever a rule reads the date
# (a fixed day, so that "in the future" means the same whenever the suite runs).
ON = date(2025, 6, 1)


def siobhan(**overrides) -> PatientRecord:
    values = dict(ref="", nhs_number="943 476 5919", hospital_number="PAO000123", family_name="Ní Bhriain",
                  given_name="Siobhán", date_of_birth=date(1991, 5, 17))
    values.update(overrides)
    return PatientRecord(**values)


def counts() -> tuple[int, int, int]:
    return Patient.select().count(), FractureRow.select().count(), AuditEntry.select().count()


def l1_fracture(**overrides) -> Fracture:
    values = dict(ref="", site="l1", identified_on=ON - timedelta(days=30), imaging="mri", trauma="none",
                  genant_grade=2)
    values.update(overrides)
    return Fracture(**values)


# --- registering and validation ----------------------------------------------------

def test_a_nurse_registers_a_patient_and_it_is_audited(clinic):
    saved = services.register_patient(clinic.nurse, siobhan())
    assert saved.id is not None and saved.version == 1
    assert saved.nhs_number == "9434765919" and saved.ref == "pt00001"
    entry = AuditEntry.get(AuditEntry.record_type == "patient")
    assert (entry.action, entry.user_name, entry.patient_id) == ("register", "nina.nurse", saved.id)
    assert json.loads(entry.after)["given_name"] == "Siobhán"


@pytest.mark.parametrize("changes, field, words", [
    ({"nhs_number": "943 476 5918"}, "nhs_number", "check digit"),
    ({"nhs_number": "1111111111"}, "nhs_number", "same"),
    ({"date_of_birth": ON + timedelta(days=1)}, "date_of_birth", "future"),
    ({"family_name": "N1 Bhriain"}, "family_name", "1"),
    ({"future_pregnancy_plan": "maybe"}, "future_pregnancy_plan", "maybe"),
    ({"risk_factors": ("heparin", "heparin")}, "risk_factors", "heparin"),
])
def test_bad_details_are_refused_naming_the_field_and_nothing_is_written(clinic, changes, field, words):
    before = counts()
    with pytest.raises(ValidationError) as refused:
        services.register_patient(clinic.nurse, siobhan(**changes), today=ON)
    messages = refused.value.for_field(field)
    assert messages and any(words in m for m in messages), refused.value.problems
    assert counts() == before


def test_an_nhs_number_already_registered_is_refused(clinic):
    services.register_patient(clinic.nurse, siobhan())
    with pytest.raises(ValidationError) as refused:
        services.register_patient(clinic.nurse, siobhan(hospital_number="OTHER1"))
    assert any("already exists" in m for m in refused.value.for_field("nhs_number"))
    assert Patient.select().count() == 1


# --- roles --------------------------------------------------------------------------

def test_an_admin_cannot_register_a_patient_and_nothing_is_written(clinic):
    before = counts()
    with pytest.raises(PermissionDenied, match="nurse or consultant"):
        services.register_patient(clinic.admin, siobhan())
    assert counts() == before


def test_an_admin_cannot_add_a_fracture(clinic):
    patient = services.register_patient(clinic.nurse, siobhan())
    before = counts()
    with pytest.raises(PermissionDenied):
        services.add_clinical_entry(clinic.admin, patient.id, l1_fracture())
    assert counts() == before


def test_a_nurse_cannot_record_a_treatment_decision(clinic):
    patient = services.register_patient(clinic.nurse, siobhan())
    before = counts()
    with pytest.raises(PermissionDenied, match="consultant"):
        services.record_decision(clinic.nurse, patient.id, plan="conservative")
    assert counts() == before


def test_only_an_admin_adds_users_once_there_are_users(clinic):
    with pytest.raises(PermissionDenied):
        services.add_user(clinic.nurse, "new.nurse", role="nurse", password="long enough pw")
    with pytest.raises(PermissionDenied):
        services.add_user(None, "sneaky", role="admin", password="long enough pw")
    added = services.add_user(clinic.admin, "new.nurse", role="nurse", password="long enough pw",
                              display_name="New Nurse")
    assert services.authenticate("new.nurse", "long enough pw").role == "nurse"
    assert added.display_name == "New Nurse"


def test_wrong_password_and_inactive_users_cannot_sign_in(clinic):
    with pytest.raises(AuthenticationError):
        services.authenticate("nina.nurse", "wrong password")
    User.update(active=False).where(User.name == "nina.nurse").execute()
    with pytest.raises(AuthenticationError, match="not active"):
        services.authenticate("nina.nurse", PASSWORD)


# --- clinical entries -------------------------------------------------------------

def test_adding_a_fracture_assigns_a_ref_and_audits(clinic):
    patient = services.register_patient(clinic.nurse, siobhan())
    first = services.add_clinical_entry(clinic.nurse, patient.id, l1_fracture())
    second = services.add_clinical_entry(clinic.nurse, patient.id, l1_fracture(site="l2"))
    assert (first.ref, second.ref) == ("fx1", "fx2")
    assert [f.site for f in services.load_patient_record(patient.id).fractures] == ["l1", "l2"]
    assert AuditEntry.select().where(AuditEntry.record_type == "fracture").count() == 2


@pytest.mark.parametrize("changes, field, words", [
    ({"genant_grade": None}, "genant_grade", "grade"),
    ({"site": "l7"}, "site", "l7"),
    ({"side": "left"}, "side", "side"),
    ({"onset_on": ON - timedelta(days=10)}, "onset_on", "after"),
    ({"identified_on": ON + timedelta(days=2)}, "identified_on", "future"),
    ({"pregnancy": "preg9"}, "pregnancy", "preg9"),
])
def test_a_bad_fracture_is_refused_at_its_field(clinic, changes, field, words):
    patient = services.register_patient(clinic.nurse, siobhan(), today=ON)
    before = counts()
    with pytest.raises(ValidationError) as refused:
        services.add_clinical_entry(clinic.nurse, patient.id, l1_fracture(**changes), today=ON)
    messages = refused.value.for_field(field)
    assert messages and any(words.lower() in m.lower() for m in messages), refused.value.problems
    assert counts() == before


def test_feeding_must_follow_a_pregnancy_of_hers_that_has_ended(clinic):
    patient = services.register_patient(clinic.nurse, siobhan())
    birth = ON - timedelta(days=60)
    services.add_clinical_entry(clinic.nurse, patient.id, Pregnancy(
        ref="", number=1, outcome="live_birth", ended_on=birth, delivery_mode="vaginal"), today=ON)
    with pytest.raises(ValidationError) as refused:
        services.add_clinical_entry(clinic.nurse, patient.id,
                                    Feeding(pregnancy="preg1", breastfed=True, started_on=birth - timedelta(days=3)),
                                    today=ON)
    assert refused.value.for_field("started_on")
    saved = services.add_clinical_entry(clinic.nurse, patient.id,
                                        Feeding(pregnancy="preg1", breastfed=True, started_on=birth), today=ON)
    assert services.load_patient_record(patient.id).breastfeeding == (saved,)


def test_entered_in_error_leaves_live_views_and_exports_but_is_kept(clinic):
    patient = services.register_patient(clinic.nurse, siobhan())
    wrong = services.add_clinical_entry(clinic.nurse, patient.id, l1_fracture(site="t4"))
    with pytest.raises(ValidationError) as refused:
        services.mark_entered_in_error(clinic.nurse, "fracture", wrong.id, expected_version=1, reason="  ")
    assert refused.value.for_field("reason")
    services.mark_entered_in_error(clinic.nurse, "fracture", wrong.id, expected_version=1,
                                   reason="wrong patient's MRI report")
    assert services.load_patient_record(patient.id).fractures == ()
    assert services.export_document()["patients"][0]["fractures"] == []
    row = FractureRow.get_by_id(wrong.id)
    assert row.entered_in_error_reason == "wrong patient's MRI report" and row.site == "t4"
    entry = AuditEntry.get(AuditEntry.action == "entered_in_error")
    assert json.loads(entry.before)["site"] == "t4"


def test_a_pregnancy_with_feeding_cannot_be_marked_in_error_first(clinic):
    patient = services.register_patient(clinic.nurse, siobhan())
    birth = ON - timedelta(days=60)
    pregnancy = services.add_clinical_entry(clinic.nurse, patient.id, Pregnancy(
        ref="", number=1, outcome="live_birth", ended_on=birth))
    services.add_clinical_entry(clinic.nurse, patient.id, Feeding(pregnancy="preg1", breastfed=False))
    with pytest.raises(ValidationError, match="feeding entry"):
        services.mark_entered_in_error(clinic.nurse, "pregnancy", pregnancy.id, expected_version=1, reason="dup")
    assert len(services.load_patient_record(patient.id).pregnancies) == 1


def test_correcting_a_fracture_with_a_stale_version_is_a_conflict(clinic):
    patient = services.register_patient(clinic.nurse, siobhan())
    fx = services.add_clinical_entry(clinic.nurse, patient.id, l1_fracture())
    services.update_clinical_entry(clinic.nurse, replace(fx, genant_grade=3), expected_version=1)
    with pytest.raises(ConflictError, match="changed by someone else"):
        services.update_clinical_entry(clinic.consultant, replace(fx, note="old view"), expected_version=1)
    current = services.load_patient_record(patient.id).fractures[0]
    assert (current.genant_grade, current.note, current.version) == (3, None, 2)


def test_an_unknown_patient_is_not_found(clinic):
    with pytest.raises(NotFoundError):
        services.find_patient_id("PAO-NOPE")
    with pytest.raises(NotFoundError):
        services.add_clinical_entry(clinic.nurse, 12345, l1_fracture())


# --- optimistic locking with two real connections -----------------------------------

def test_two_editors_on_one_postgresql_caseload_cannot_overwrite_each_other(postgres_clinic):
    clinic = postgres_clinic
    patient = services.register_patient(clinic.nurse, siobhan())
    both_read = threading.Barrier(2)
    results: dict[str, object] = {}

    def edit(who, actor, new_phone, delay_write: bool):
        try:
            seen = services.load_patient_record(patient.id)  # each thread has its own connection
            assert database.connection() is not None
            both_read.wait(timeout=10)
            if delay_write:
                first_done.wait(timeout=10)
            results[who] = services.update_patient(actor, patient.id, expected_version=seen.version,
                                                   contact=replace(seen.contact or _empty_contact(), phone=new_phone))
        except Exception as exc:  # noqa: BLE001 - recorded for the assertion
            results[who] = exc
        finally:
            if not delay_write:
                first_done.set()
            database.close()

    first_done = threading.Event()
    a = threading.Thread(target=edit, args=("nurse", clinic.nurse, "07700 900001", False))
    b = threading.Thread(target=edit, args=("consultant", clinic.consultant, "07700 900002", True))
    a.start(); b.start(); a.join(20); b.join(20)
    assert isinstance(results["nurse"], PatientRecord)
    assert isinstance(results["consultant"], ConflictError)
    assert services.load_patient_record(patient.id).contact.phone == "07700 900001"
    assert AuditEntry.select().where(AuditEntry.action == "update").count() == 1


def _empty_contact():
    from pao_clinic.record import Contact
    return Contact()


def test_a_blood_unit_written_with_a_greek_mu_is_stored_with_the_micro_sign(clinic):
    from pao_clinic.record import BloodResult
    patient = services.register_patient(clinic.nurse, siobhan())
    saved = services.add_clinical_entry(clinic.nurse, patient.id, BloodResult(
        taken_on=ON, test="creatinine", value=64, unit="\u03bcmol/L"))
    assert saved.unit == "\u00b5mol/L"
    assert services.load_patient_record(patient.id).bloods[0].unit == "\u00b5mol/L"


def test_patient_refs_stay_unique_across_imports_and_registrations(clinic):
    from pao_clinic.exchange import read_document_text
    from .conftest import DATA

    text = (DATA / "full_patient.json").read_text(encoding="utf-8")
    exported_on = date.fromisoformat(json.loads(text)["exported_at"][:10])  # read as on the day it was written
    imported = read_document_text(text, today=exported_on)
    services.import_records(clinic.nurse, imported)  # refs "patient-1", "patient-2"
    registered = services.register_patient(clinic.nurse, siobhan(ref="patient-1", nhs_number=None,
                                                                 hospital_number="REG1"))
    assert registered.ref not in {"patient-1", "patient-2"}
    # the same people under other numbers, from another clinic that also used "patient-1"
    again = [replace(r, nhs_number=None, hospital_number=f"OTHER{i}") for i, r in enumerate(imported)]
    services.import_records(clinic.nurse, again)
    refs = [p["ref"] for p in services.export_document()["patients"]]
    assert len(refs) == 5 and len(set(refs)) == 5


def test_a_patients_ref_and_unknown_details_cannot_be_changed(clinic):
    patient = services.register_patient(clinic.nurse, siobhan())
    with pytest.raises(ValidationError) as refused:
        services.update_patient(clinic.nurse, patient.id, expected_version=1, ref="x", shoe_size=5)
    assert refused.value.for_field("ref") and refused.value.for_field("shoe_size")
    assert services.load_patient_record(patient.id).version == 1


def test_asking_whether_the_caseload_is_a_demo_with_no_database_open_says_so_in_words():
    from pao_clinic.errors import StorageError
    from pao_clinic.storage.connection import close_database

    close_database()
    with pytest.raises(StorageError, match="no PAO Clinic database is open"):
        services.is_demo_database()
