"""Clinic-wide settings and flags kept in the database."""

from __future__ import annotations

from pao_clinic.clinic_settings import DEFAULT_SETTINGS, ClinicSettings
from pao_clinic.errors import StorageError
from pao_clinic.storage.connection import close_database, database, release_connection
from pao_clinic.storage.location import default_database_url, parse_database_url  # noqa: F401 (for the window)
from pao_clinic.storage.models import ClinicSetting
from pao_clinic.storage.opening import open_database

DEMO_FLAG = "demo_caseload"


def clinic_settings() -> ClinicSettings:
    """The thresholds in force: the clinic's stored values over the spec's defaults."""
    stored = {row.name: row.value for row in ClinicSetting.select()}
    return DEFAULT_SETTINGS.with_values(stored)


def is_demo_database() -> bool:
    """Whether the open database was made as a demo (synthetic patients); StorageError when none is open."""
    if database.obj is None:
        raise StorageError("no PAO Clinic database is open")
    return ClinicSetting.select().where(ClinicSetting.name == DEMO_FLAG).exists()


# --- the database the clinic works in --------------------------------------------------
# The window opens and closes its database through these, never through storage.

def open_clinic_database(url: str, *, create: bool = False, quick_check_under_way=None) -> str:
    """Open the database at `url` (upgrading its schema) for this process; returns where it is, for people.

    A missing SQLite database is created only with `create` (the desktop's first run on
    `default_database_url()`); otherwise it is refused with "there is no PAO Clinic
    database at PATH" (`storage.opening.NoDatabaseError`, a StorageError).
    `quick_check_under_way`: the file's check started when the program started
    (`storage.file_check.start_quick_check`), whose answer opening waits for.
    """
    open_database(url, create=create, quick_check_under_way=quick_check_under_way)
    return parse_database_url(url).describe()


def close_clinic_database() -> None:
    close_database()


def release_thread_connection() -> None:
    """A worker thread's work is done: close its connection (the next query reopens one)."""
    release_connection()


def check_letter_templates() -> None:
    """Every specialty's letter template reads and names only known placeholders (TemplateError if not).

    Called when the app starts, so a broken template fails loudly there, not in front of a nurse.
    """
    from pao_clinic.letters import check_templates

    check_templates()
