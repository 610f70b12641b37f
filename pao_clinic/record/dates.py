"""Dates as the clinic writes them, and ages: one place for both."""

from __future__ import annotations

from datetime import date

from pao_clinic.record.shown_text import quoted

_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def written_date(day: date) -> str:
    """A date as people read it in the clinic: `30-Jun-2025` (independent of the locale)."""
    return f"{day.day:02d}-{_MONTHS[day.month - 1]}-{day.year:04d}"


def age_on(date_of_birth: date, day: date) -> int:
    """Her age in whole years on `day`."""
    return day.year - date_of_birth.year - ((day.month, day.day) < (date_of_birth.month, date_of_birth.day))


import re as _re  # noqa: E402  (kept with the parsing it serves)

_MONTH_NAMES = ("January", "February", "March", "April", "May", "June", "July", "August", "September",
                "October", "November", "December")
_MONTH_BY_WORD = {word.lower(): n for n, name in enumerate(_MONTH_NAMES, 1) for word in (name, name[:3])}
_MONTH_BY_WORD["sept"] = 9
_WORDS = _re.compile(r"^\s*(\d{1,2})[\s\-/.]+([A-Za-z]+)\.?[\s\-/.,]+(\d+)\s*$")
_NUMBERS = _re.compile(r"^\s*(\d{1,2})([/.\-])(\d{1,2})\2(\d+)\s*$")
_ISO = _re.compile(r"^\s*(\d{4})-(\d{1,2})-(\d{1,2})\s*$")


def parse_written_date(text: str) -> date:
    """The date a person typed: `12-Apr-1991`, `12 Apr 1991`, `12/04/1991` (day first, as in the UK),
    `12.04.1991`, `12-04-1991` or `1991-04-12`.

    Raises ValueError with a message for people: what was not understood, or that the
    day does not exist ("30 February 2026 does not exist").  The year is written in full.
    """
    typed = (text or "").strip()
    if not typed:
        raise ValueError("no date given; write it as 12-Apr-1991 or 12/04/1991")
    iso = _ISO.match(typed)
    words = _WORDS.match(typed)
    numbers = _NUMBERS.match(typed)
    if iso:
        year, month, day = (int(g) for g in iso.groups())
    elif words:
        day, year = int(words[1]), words[3]
        month = _MONTH_BY_WORD.get(words[2].lower())
        if month is None:
            raise ValueError(f"{quoted(words[2])} is not a month; write it as Jan, Feb, ... Dec")
        if len(year) != 4:
            raise ValueError(f"write the year in full (four digits), not {quoted(year)}")
        year = int(year)
    elif numbers:
        day, month, year_text = int(numbers[1]), int(numbers[3]), numbers[4]
        if len(year_text) != 4:
            raise ValueError(f"write the year in full (four digits), not {quoted(year_text)}")
        year = int(year_text)
    else:
        raise ValueError(f"{quoted(typed)} is not a date; write it as 12-Apr-1991 or 12/04/1991 (day first)")
    if not 1 <= month <= 12:
        raise ValueError(f"there is no month {month} (the day comes first: 12/04/1991 is 12 April 1991)")
    if year < 1:
        raise ValueError(f"{quoted(typed)} has no year")
    try:
        return date(year, month, day)
    except ValueError:
        raise ValueError(f"{day} {_MONTH_NAMES[month - 1]} {year} does not exist") from None
