"""Roles are enforced in the service layer: every public service that takes an actor is classified here.

The table below says which roles may use each service (`WHO_MAY`): a nurse records and
corrects clinical entries, referrals and letters but makes no decisions; a consultant
may do all that and record decisions; an admin manages users, settings, backups and
the audit trail, imports, and makes no clinical entries.

`test_every_service_taking_an_actor_is_in_the_table` finds the services by themselves
(every public function of a `pao_clinic.services` module whose first parameter is
`actor`) and fails on one the table does not name: a new service must be classified
here, with a call of it (`CALLS`), before the suite passes again.

`test_each_service_refuses_every_other_role_and_writes_nothing` then calls each service
with minimal valid arguments as every role it does not allow (and signed out): each call
is refused with PermissionDenied, and the database (every row of every table) and the
test's folder are as they were.  Each allowed role's call is not refused for its role,
which shows the arguments are valid and the table not too strict.
"""

from __future__ import annotations

import hashlib
import importlib
import inspect
import pkgutil
from collections.abc import Iterator
from dataclasses import replace
from datetime import date, timedelta

import pytest

import pao_clinic.services
from pao_clinic.errors import PaoClinicError, PermissionDenied
from pao_clinic.record import (
    Contact, Decision, Feeding, Fracture, GeneralPractitioner, HeightMeasurement, PatientRecord, Pregnancy, Referral,
)
from pao_clinic.services import DEMO_FLAG, Actor
from pao_clinic.storage.models import ALL_MODELS, ClinicSetting

NURSE, CONSULTANT, ADMIN = "nurse", "consultant", "admin"
CLINICAL = frozenset({NURSE, CONSULTANT})
PRESCRIBING = frozenset({CONSULTANT})
ADMINS = frozenset({ADMIN})
EVERYONE = frozenset({NURSE, CONSULTANT, ADMIN})
ROLES = (ADMIN, NURSE, CONSULTANT)

#: Functions taking an actor that are the role machinery itself, not services to classify.
NOT_SERVICES = {
    "session.require_role": "the role check every service calls",
    "session.clinical_write": "the one transaction every write goes through",
}

#: Services a caller who is not signed in may use, and why.
SIGNED_OUT_MAY = {
    "audit.verify_audit_chain": "reads only, and checks a database copy before anyone signs in to it",
}


#: Services that may refuse for another reason before they look at the role, and why (still writing nothing).
REFUSED_BEFORE_THE_ROLE: dict[str, str] = {}


def service(name: str):
    """`module.function` of pao_clinic.services, looked up when called (so the table needs no imports)."""
    module, function = name.split(".")
    return getattr(importlib.import_module(f"pao_clinic.services.{module}"), function)


def days_ago(n: int) -> date:
    return date.today() - timedelta(days=n)


def new_patient() -> PatientRecord:
    return PatientRecord(ref="", nhs_number="401 023 2137", family_name="Okafor", given_name="Adaeze",
                         date_of_birth=date(1993, 2, 3))


def a_fracture() -> Fracture:
    return Fracture(ref="", site="t8", identified_on=days_ago(3), imaging="xray", trauma="none", genant_grade=1)


def a_decision() -> Decision:
    return Decision(decided_on=date.today(), plan="defer", by="Dr Mei Chen", override_reason=None)


def tag(actor: Actor | None) -> str:
    """A word for the actor, so that each role's call adds something of its own."""
    return actor.role if actor is not None else "nobody"


def audit_filter():
    return service("audit.AuditFilter")()


# Each service's calls: (what the case is, the roles that may, the call with an actor and the clinic's ids).
# One service may have several cases when who may depends on what is asked (a decision is a consultant's).
CALLS: dict[str, list[tuple[str, frozenset, object]]] = {
    "records.register_patient": [("", CLINICAL, lambda a, c: service("records.register_patient")(a, new_patient()))],
    "records.update_patient": [("", CLINICAL, lambda a, c: service("records.update_patient")(
        a, c["patient"], expected_version=1, given_name="Łucja Maria"))],
    "records.add_clinical_entry": [
        ("a fracture", CLINICAL, lambda a, c: service("records.add_clinical_entry")(a, c["patient"], a_fracture())),
        ("a decision", PRESCRIBING, lambda a, c: service("records.add_clinical_entry")(a, c["patient"], a_decision())),
    ],
    "records.update_clinical_entry": [
        ("a height", CLINICAL, lambda a, c: service("records.update_clinical_entry")(
            a, replace(c["height"], cm=163.0), expected_version=c["height"].version)),
        ("a decision", PRESCRIBING, lambda a, c: service("records.update_clinical_entry")(
            a, replace(c["decision"], review_on=date.today() + timedelta(days=90)),
            expected_version=c["decision"].version)),
    ],
    "records.mark_entered_in_error": [
        ("a fracture", CLINICAL, lambda a, c: service("records.mark_entered_in_error")(
            a, "fracture", c["fracture"].id, expected_version=1, reason="the wrong woman's X-ray")),
        ("a decision", PRESCRIBING, lambda a, c: service("records.mark_entered_in_error")(
            a, "decision", c["decision"].id, expected_version=1, reason="recorded on the wrong record")),
    ],
    "decisions.record_decision": [("", PRESCRIBING, lambda a, c: service("decisions.record_decision")(
        a, c["patient"], plan="defer", reason="review after the next DEXA"))],
    "referrals.change_referral_status": [("", CLINICAL, lambda a, c: service("referrals.change_referral_status")(
        a, c["sent_referral"], "acknowledged", date.today(), expected_version=c["sent_referral_version"]))],
    "letters.new_referral": [("", CLINICAL, lambda a, c: service("letters.new_referral")(
        a, c["patient"], specialty="nutrition", urgency="routine", reason="Low calcium intake"))],
    "letters.letter_content": [("", CLINICAL, lambda a, c: service("letters.letter_content")(
        a, c["patient"], c["draft_referral"]))],
    "letters.draft_letter": [("", CLINICAL, lambda a, c: service("letters.draft_letter")(
        a, c["patient"], c["draft_referral"]))],
    "letters.draft_letters": [("", CLINICAL, lambda a, c: service("letters.draft_letters")(a, c["due"]))],
    "letters.issue_letter": [("", CLINICAL, lambda a, c: service("letters.issue_letter")(
        a, c["patient"], c["draft_referral"]))],
    "letters.reprint_letter": [("", CLINICAL, lambda a, c: service("letters.reprint_letter")(a, c["document"]))],
    "letters.stored_letter": [("", CLINICAL, lambda a, c: service("letters.stored_letter")(a, c["document"]))],
    "letters.record_letter_printed": [("", CLINICAL, lambda a, c: service("letters.record_letter_printed")(
        a, c["document"]))],
    "letters.record_letter_saved": [("", CLINICAL, lambda a, c: service("letters.record_letter_saved")(
        a, c["document"], file_name="letter.pdf"))],
    "letters.issued_letters": [("", CLINICAL, lambda a, c: service("letters.issued_letters")(a, c["patient"]))],
    "letters.draft_correction": [("", CLINICAL, lambda a, c: service("letters.draft_correction")(
        a, c["document"], reason="her fracture of T8 was left out"))],
    "letters.issue_correction": [("", CLINICAL, lambda a, c: service("letters.issue_correction")(
        a, c["document"], reason="her fracture of T8 was left out"))],
    "letters.prepare_letter": [("", CLINICAL, lambda a, c: service("letters.prepare_letter")(
        a, c["patient"], referral_id=c["draft_referral"]))],
    "letters.due_letters": [("", CLINICAL, lambda a, c: service("letters.due_letters")(a))],
    "letters.summary_pdf": [("", CLINICAL, lambda a, c: service("letters.summary_pdf")(a, c["patient"]))],
    "exchange_io.import_records": [("", EVERYONE, lambda a, c: service("exchange_io.import_records")(
        a, [replace(new_patient(), ref="imported", nhs_number=None, hospital_number=f"RX{tag(a)}")]))],
    "demo_setup.add_demo_patients": [("", EVERYONE, lambda a, c: service("demo_setup.add_demo_patients")(
        a, 1, seed=len(tag(a))))],
    "clinic_details.set_letterhead": [("", ADMINS, lambda a, c: service("clinic_details.set_letterhead")(
        a, name="Harrogate PAO Clinic", address="Lancaster Park Road, Harrogate HG2 7SX", phone="01423 496 000",
        email="pao.clinic@example.nhs.uk"))],
    "clinic_details.set_referral_address": [("", ADMINS, lambda a, c: service("clinic_details.set_referral_address")(
        a, "nutrition", "Dietetics, Kirkstall Vale Hospital, Leeds LS5 9ZZ"))],
    "gate_settings.set_gate_setting": [("", ADMINS, lambda a, c: service("gate_settings.set_gate_setting")(
        a, "results_window_days", 120))],
    "gate_settings.reset_gate_setting": [("", ADMINS, lambda a, c: service("gate_settings.reset_gate_setting")(
        a, "dexa_interval_days"))],
    "gate_settings.reset_all_gate_settings": [("", ADMINS, lambda a, c: service(
        "gate_settings.reset_all_gate_settings")(a))],
    "users.add_user": [("", ADMINS, lambda a, c: service("users.add_user")(
        a, f"new.{tag(a)}", role="nurse", password="a long enough password", display_name="New Nurse"))],
    "users.deactivate_user": [("", ADMINS, lambda a, c: service("users.deactivate_user")(a, "tmp.user"))],
    "users.reactivate_user": [("", ADMINS, lambda a, c: service("users.reactivate_user")(a, "tmp.user"))],
    "users.reset_password": [("", ADMINS, lambda a, c: service("users.reset_password")(
        a, "tmp.user", "another long password"))],
    "users.change_role": [("", ADMINS, lambda a, c: service("users.change_role")(a, "tmp.user", "consultant"))],
    "users.set_idle_lock_minutes": [("", ADMINS, lambda a, c: service("users.set_idle_lock_minutes")(a, 20))],
    "audit.verify_audit_chain": [("", ADMINS, lambda a, c: service("audit.verify_audit_chain")(a))],
    "audit.audit_page": [("", ADMINS, lambda a, c: service("audit.audit_page")(a, audit_filter()))],
    "audit.audit_entries": [("", ADMINS, lambda a, c: service("audit.audit_entries")(a, audit_filter()))],
    "audit.audit_filter_choices": [("", ADMINS, lambda a, c: service("audit.audit_filter_choices")(a))],
    "audit.export_audit": [("", ADMINS, lambda a, c: service("audit.export_audit")(
        a, audit_filter(), lambda text: (c["folder"] / "audit.csv").write_text(text, encoding="utf-8")))],
    "audit.record_opened": [("", EVERYONE, lambda a, c: service("audit.record_opened")(a, c["patient"]))],
    "backups.back_up_database": [
        ("by hand", ADMINS, lambda a, c: service("backups.back_up_database")(a, output=c["folder"] / "backup.sqlite")),
        ("on the desktop's schedule", EVERYONE, lambda a, c: service("backups.back_up_database")(a, scheduled=True)),
    ],
    "encryption.encrypt_database": [("", ADMINS, lambda a, c: service("encryption.encrypt_database")(
        a, c["folder"] / "encrypted.sqlite", "a long enough passphrase"))],
    "encryption.rekey_database": [("", ADMINS, lambda a, c: service("encryption.rekey_database")(
        a, "another long enough passphrase"))],
}

#: Services whose allowed call rebinds or replaces the database: called last in the allowed pass.
CALLED_LAST = ("encryption.encrypt_database", "encryption.rekey_database")


def services_taking_an_actor() -> Iterator[str]:
    """`module.function` of every public function in pao_clinic.services whose first parameter is `actor`."""
    for found in pkgutil.iter_modules(pao_clinic.services.__path__):
        module = importlib.import_module(f"pao_clinic.services.{found.name}")
        for name, function in vars(module).items():
            if name.startswith("_") or not inspect.isfunction(function) or function.__module__ != module.__name__:
                continue
            parameters = list(inspect.signature(function).parameters)
            if parameters and parameters[0] == "actor":
                yield f"{found.name}.{name}"


def test_every_service_taking_an_actor_is_in_the_table():
    found = set(services_taking_an_actor())
    unclassified = sorted(found - set(CALLS) - set(NOT_SERVICES))
    assert not unclassified, (
        f"{', '.join(unclassified)}: a new service taking an actor. Say in tests/test_roles.py (CALLS) which "
        "roles may use it, with a call of it, so that the suite checks it refuses every other role")
    gone = sorted((set(CALLS) | set(NOT_SERVICES) | set(SIGNED_OUT_MAY) | set(REFUSED_BEFORE_THE_ROLE)) - found)
    assert not gone, f"{', '.join(gone)}: no longer a service taking an actor; take it out of tests/test_roles.py"


def test_the_table_says_what_the_readme_says_each_role_may_do():
    """Nurses: records, referrals, letters, no decisions; consultants: and decisions; admins: no clinical edits."""
    for name, cases in CALLS.items():
        for what, roles, _call in cases:
            if name.startswith(("records.", "referrals.", "letters.")):
                assert ADMIN not in roles, f"{name} {what}: an admin makes no clinical entries and writes no letters"
                assert CONSULTANT in roles, f"{name} {what}: a consultant may do all a nurse may"
            if name.startswith("decisions.") or what == "a decision":
                assert roles == PRESCRIBING, f"{name} {what}: only a consultant records decisions"
            if name.startswith(("users.", "gate_settings.", "clinic_details.", "audit.", "encryption.")) \
                    and name != "audit.record_opened":
                assert roles == ADMINS, f"{name}: users, settings and the audit trail are an admin's"


# --- calling each service as each role ------------------------------------------------------------

def database_state(folder) -> str:
    """Every row of every table, and the files of the test's folder: 'as it was' means the same digest."""
    digest = hashlib.sha256()
    for model in ALL_MODELS:
        rows = sorted(repr(tuple(bytes(v) if isinstance(v, memoryview) else v for v in row))  # PostgreSQL's bytea
                      for row in model.select().tuples())
        digest.update(f"{model._meta.table_name}:{len(rows)}:{rows}".encode("utf-8", "surrogatepass"))
    digest.update(repr(sorted(str(p.relative_to(folder)) for p in folder.rglob("*")
                              if not p.name.startswith("clinic"))).encode())
    return digest.hexdigest()


def consumed(result):
    """A generator's work happens when it is read: read it."""
    if inspect.isgenerator(result) or isinstance(result, Iterator):
        return list(result)
    return result


@pytest.fixture
def roles_clinic(clinic, tmp_path):
    """Her record with an entry of each kind a service acts on, an issued letter, a draft referral and a spare user."""
    nurse, consultant, admin = clinic.nurse, clinic.consultant, clinic.admin
    ClinicSetting.create(name=DEMO_FLAG, value="1")  # so that demo patients may join (a demo database)
    service("clinic_details.set_letterhead")(admin, name="Harrogate PAO Clinic",
                                              address="Lancaster Park Road, Harrogate HG2 7SX",
                                              phone="01423 496 000", email="pao.clinic@example.nhs.uk")
    record = replace(new_patient(), nhs_number="943 476 5919", family_name="Wiśniewska", given_name="Łucja",
                     contact=Contact(address="12 Rowan Close\nLeeds", postcode="LS6 2AB"),
                     gp=GeneralPractitioner(name="Dr Siobhán Ní Bhriain", practice="Headingley Surgery",
                                            address="1 North Lane\nLeeds LS6 3HU"))
    patient = service("records.register_patient")(nurse, record).id
    add = service("records.add_clinical_entry")
    add(nurse, patient, Pregnancy(ref="", number=1, outcome="live_birth", ended_on=days_ago(120)))
    add(nurse, patient, Feeding(pregnancy="preg1", breastfed=True, started_on=days_ago(120)))
    fracture = add(nurse, patient, Fracture(ref="", site="l1", identified_on=days_ago(80), imaging="mri",
                                            trauma="none", genant_grade=2))
    height = add(nurse, patient, HeightMeasurement(measured_on=days_ago(10), cm=162.0))
    decision = add(consultant, patient, a_decision())
    sent = add(nurse, patient, Referral(ref="", specialty="physiotherapy", urgency="urgent", status="draft",
                                        created_on=days_ago(2), reason="Back pain on lifting her baby"))
    draft = add(nurse, patient, Referral(ref="", specialty="rheumatology", urgency="routine", status="draft",
                                         created_on=days_ago(1), reason="Joint pain in both hands"))
    document = service("letters.issue_letter")(nurse, patient, sent.id)
    sent_version = service("snapshots.load_patient_record")(patient).referrals[0].version
    service("users.add_user")(admin, "tmp.user", role="nurse", password="a long enough password",
                              display_name="Temporary User")
    due = service("letters.due_letters")(nurse)
    return clinic, {"patient": patient, "fracture": fracture, "height": height, "decision": decision,
                    "sent_referral": sent.id, "sent_referral_version": sent_version, "draft_referral": draft.id,
                    "document": document, "due": due, "folder": tmp_path}


def actors(clinic) -> dict[str | None, Actor | None]:
    return {ADMIN: clinic.admin, NURSE: clinic.nurse, CONSULTANT: clinic.consultant, None: None}


def test_each_service_refuses_every_other_role_and_writes_nothing(roles_clinic):
    clinic, ids = roles_clinic
    folder = ids["folder"]
    wrong: list[str] = []
    before = database_state(folder)
    for name, cases in CALLS.items():
        for what, roles, call in cases:
            for role, actor in actors(clinic).items():
                if role in roles or (role is None and name in SIGNED_OUT_MAY):
                    continue
                label = f"{name} ({what or 'its call'}) as {role or 'nobody signed in'}"
                try:
                    consumed(call(actor, ids))
                except PermissionDenied as refusal:
                    if role is not None and f"signed in as {role}" not in str(refusal):
                        wrong.append(f"{label}: refused without saying the role: {refusal}")
                except PaoClinicError as exc:
                    if name not in REFUSED_BEFORE_THE_ROLE:
                        wrong.append(f"{label}: refused, but not for the role: {type(exc).__name__}: {exc}"[:300])
                except Exception as exc:  # noqa: BLE001 - every other outcome is a finding, listed below
                    wrong.append(f"{label}: {type(exc).__name__}: {exc}"[:300])
                else:
                    wrong.append(f"{label}: was allowed")
                if database_state(folder) != before:
                    wrong.append(f"{label}: changed the database or wrote a file")
                    before = database_state(folder)
    assert not wrong, "\n".join(wrong)


def test_each_service_lets_the_roles_it_allows(roles_clinic):
    """The other half: each allowed role's call is not refused for its role (the arguments are valid)."""
    clinic, ids = roles_clinic
    refused: list[str] = []
    ordered = sorted(CALLS.items(), key=lambda item: item[0] in CALLED_LAST)
    for name, cases in ordered:
        for what, roles, call in cases:
            for role in sorted(roles):
                actor = actors(clinic)[role]
                try:
                    consumed(call(actor, ids))
                except PermissionDenied as refusal:
                    refused.append(f"{name} ({what or 'its call'}) as {role}: {refusal}")
                except PaoClinicError:
                    pass  # refused for another reason (a second issue of one letter, no encryption here, ...)
                except Exception as exc:  # noqa: BLE001
                    refused.append(f"{name} ({what or 'its call'}) as {role}: a crash, {type(exc).__name__}: {exc}")
    assert not refused, "\n".join(refused)
