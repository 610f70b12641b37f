"""Dates as people type them: `parse_written_date`, table-driven, valid and impossible dates."""

from __future__ import annotations

from datetime import date

import pytest

from pao_clinic.record.dates import parse_written_date, written_date


@pytest.mark.parametrize("typed, expected", [
    ("12-Apr-1991", date(1991, 4, 12)),
    ("12-apr-1991", date(1991, 4, 12)),
    ("12/04/1991", date(1991, 4, 12)),        # UK: the day first
    ("1/4/1991", date(1991, 4, 1)),
    ("12.04.1991", date(1991, 4, 12)),
    ("12-04-1991", date(1991, 4, 12)),
    ("1991-04-12", date(1991, 4, 12)),
    ("12 Apr 1991", date(1991, 4, 12)),
    ("12 April 1991", date(1991, 4, 12)),
    ("3 Sept 2025", date(2025, 9, 3)),
    ("  29/02/2024 ", date(2024, 2, 29)),      # a leap day
    ("31-Dec-2025", date(2025, 12, 31)),
])
def test_a_typed_date_is_read_day_first(typed, expected):
    assert parse_written_date(typed) == expected


@pytest.mark.parametrize("typed, message", [
    ("30/02/2026", "30 February 2026 does not exist"),
    ("31/02/2026", "31 February 2026 does not exist"),
    ("29-Feb-2025", "29 February 2025 does not exist"),
    ("31.04.1991", "31 April 1991 does not exist"),
    ("2026-02-30", "30 February 2026 does not exist"),
    ("0 Jan 2020", "0 January 2020 does not exist"),
    ("12/13/1991", "there is no month 13"),
    ("12-Foo-1991", "'Foo' is not a month"),
    ("12/04/91", "write the year in full"),
    ("12 Apr 91", "write the year in full"),
    ("yesterday", "'yesterday' is not a date"),
    ("12/04-1991", "is not a date"),
    ("", "no date given"),
])
def test_an_impossible_or_unreadable_date_is_refused_in_words(typed, message):
    with pytest.raises(ValueError) as refused:
        parse_written_date(typed)
    assert message in str(refused.value)


@pytest.mark.parametrize("day", [date(1991, 4, 12), date(2024, 2, 29), date(2000, 1, 1), date(2025, 12, 31)])
def test_a_written_date_reads_back_as_the_same_day(day):
    assert parse_written_date(written_date(day)) == day
