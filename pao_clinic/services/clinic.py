"""Clinic-wide settings and flags kept in the database."""

from __future__ import annotations

from ..clinic_settings import DEFAULT_SETTINGS, ClinicSettings
from ..models import ClinicSetting

DEMO_FLAG = "demo_caseload"


def clinic_settings() -> ClinicSettings:
    """The thresholds in force: the clinic's stored values over the spec's defaults."""
    stored = {row.name: row.value for row in ClinicSetting.select()}
    return DEFAULT_SETTINGS.with_values(stored)


def is_demo_database() -> bool:
    return ClinicSetting.select().where(ClinicSetting.name == DEMO_FLAG).exists()
