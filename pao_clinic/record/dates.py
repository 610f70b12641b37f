"""Dates as the clinic writes them, and ages: one place for both."""

from __future__ import annotations

from datetime import date

_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def written_date(day: date) -> str:
    """A date as people read it in the clinic: `30-Jun-2025` (independent of the locale)."""
    return f"{day.day:02d}-{_MONTHS[day.month - 1]}-{day.year:04d}"


def age_on(date_of_birth: date, day: date) -> int:
    """Her age in whole years on `day`."""
    return day.year - date_of_birth.year - ((day.month, day.day) < (date_of_birth.month, date_of_birth.day))
