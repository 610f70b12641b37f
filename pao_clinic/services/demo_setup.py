"""A demo clinic: demo users and a synthetic caseload on an empty database."""

from __future__ import annotations

from datetime import date

from pao_clinic.errors import ValidationError
from pao_clinic.storage.models import ClinicSetting, Patient, User
from pao_clinic.storage.connection import database
from pao_clinic.services.clinic import DEMO_FLAG
from pao_clinic.services.exchange_io import import_records
from pao_clinic.services.session import Actor, add_user, authenticate

DEMO_PASSWORD = "demo-password"
DEMO_NURSE, DEMO_CONSULTANT = "demo.nurse", "demo.consultant"
DEMO_USERS = (
    ("demo.admin", "admin", "Demo Administrator"),
    (DEMO_NURSE, "nurse", "Demo Specialist Nurse"),
    (DEMO_CONSULTANT, "consultant", "Dr Demo Consultant"),
)


def sign_in_demo_consultant() -> Actor:
    """The demo consultant (AuthenticationError if her demo password was changed)."""
    return authenticate(DEMO_CONSULTANT, DEMO_PASSWORD)


def load_demo_caseload(count: int, *, seed: int = 1, today: date | None = None) -> Actor:
    """On a database with no users and no patients: demo users, `count` demo patients, the demo flag.

    Returns the demo consultant, signed in.
    """
    from pao_clinic.demo import demo_caseload

    with database.atomic():
        if User.select().exists() or Patient.select().exists():
            raise ValidationError("a demo caseload can only be loaded into an empty database")
        admin = None
        for name, role, display in DEMO_USERS:
            add_user(admin, name, role=role, password=DEMO_PASSWORD, display_name=display)
            if admin is None:
                admin = authenticate(name, DEMO_PASSWORD)
        nurse = authenticate(DEMO_NURSE, DEMO_PASSWORD)
        import_records(nurse, demo_caseload(count, seed=seed, today=today or date.today()))
        ClinicSetting.create(name=DEMO_FLAG, value="1")
    return sign_in_demo_consultant()
