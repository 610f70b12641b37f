"""A demo clinic: demo users and a synthetic caseload on an empty database.

Synthetic patients never go into a real caseload: they are loaded only into an empty
database (no users, no patients), which is then flagged as a demo (the window's DEMO
badge), or added to a database that was created as a demo.

A new demo clinic also gets a demo letterhead (a fictional hospital, a telephone number
from Ofcom's drama range 0113 496 0xxx and an example.nhs.uk address) and one referral
address book entry, so that letters can be drafted and issued on the demo.
"""

from __future__ import annotations

from datetime import date

from pao_clinic.errors import ValidationError
from pao_clinic.storage.models import ClinicSetting, Patient, User
from pao_clinic.storage.connection import database, write_transaction
from pao_clinic.services.clinic import DEMO_FLAG, is_demo_database
from pao_clinic.services.clinic_details import set_letterhead, set_referral_address
from pao_clinic.services.exchange_io import import_records
from pao_clinic.services.session import Actor
from pao_clinic.services.users import add_user, authenticate

DEMO_PASSWORD = "demo-password"
DEMO_NURSE, DEMO_CONSULTANT = "demo.nurse", "demo.consultant"
DEMO_USERS = (
    ("demo.admin", "admin", "Demo Administrator"),
    (DEMO_NURSE, "nurse", "Demo Specialist Nurse"),
    (DEMO_CONSULTANT, "consultant", "Dr Demo Consultant"),
)
DEMO_LETTERHEAD = {
    "name": "PAO Clinic (DEMO)",
    "address": "Metabolic Bone Unit, Ward 14\nKirkstall Vale Hospital (DEMO)\nVale Road\nLeeds LS5 9ZZ",
    "phone": "0113 496 0123",
    "email": "pao.clinic.demo@example.nhs.uk",
}
DEMO_ADDRESS_BOOK = {
    "physiotherapy": ("Women's Health Physiotherapy (DEMO)",
                      "Kirkstall Vale Hospital (DEMO)\nVale Road\nLeeds LS5 9ZZ"),
}


def sign_in_demo_consultant() -> Actor:
    """The demo consultant (AuthenticationError if her demo password was changed)."""
    return authenticate(DEMO_CONSULTANT, DEMO_PASSWORD)


def load_demo_caseload(count: int, *, seed: int = 1, today: date | None = None) -> Actor:
    """On a database with no users and no patients: demo users, `count` demo patients, the demo flag.

    Returns the demo consultant, signed in.
    """
    from pao_clinic.demo import demo_caseload

    with write_transaction():
        if User.select().exists() or Patient.select().exists():
            refuse_unless_demo_database()  # a demo database is not empty either: say so plainly
            raise ValidationError("a demo caseload with demo users loads only into an empty database; "
                                  "this demo database already has them, so nothing was changed")
        admin = None
        for name, role, display in DEMO_USERS:
            add_user(admin, name, role=role, password=DEMO_PASSWORD, display_name=display)
            if admin is None:
                admin = authenticate(name, DEMO_PASSWORD)
        nurse = authenticate(DEMO_NURSE, DEMO_PASSWORD)
        import_records(nurse, demo_caseload(count, seed=seed, today=today or date.today()))
        set_letterhead(admin, **DEMO_LETTERHEAD)
        for specialty, (department, address) in DEMO_ADDRESS_BOOK.items():
            set_referral_address(admin, specialty, address, department=department)
        ClinicSetting.create(name=DEMO_FLAG, value="1")
    return sign_in_demo_consultant()


def refuse_unless_demo_database() -> None:
    """ValidationError unless this database was created as a demo (more demo patients may join it)."""
    if is_demo_database():
        return
    patients = Patient.select().count()
    holds = f"it holds {patients} patient{'s' if patients != 1 else ''}" if patients else "it has users"
    raise ValidationError(
        "demo patients go only into an empty database or one created as a demo; this database is not "
        f"a demo ({holds}), so nothing was changed. Write the demo to a file (demo -o FILE) or give a new "
        "database (--database)")


def add_demo_patients(actor: Actor, count: int, *, seed: int = 1, today: date | None = None) -> list[int]:
    """`count` more synthetic patients in a database created as a demo; their ids.

    Refused (ValidationError, nothing written) on any other database: a real caseload
    must never hold synthetic women.
    """
    from pao_clinic.demo import demo_caseload

    refuse_unless_demo_database()
    records = demo_caseload(count, seed=seed, today=today or date.today())
    with write_transaction():
        refuse_unless_demo_database()  # still a demo inside the transaction that writes
        return import_records(actor, records)
