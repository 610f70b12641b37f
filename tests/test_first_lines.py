"""services.first_lines: the caseload's first lines read beside the early quick_check, given out only when trusted."""

from __future__ import annotations

import random
import sqlite3
from datetime import date, timedelta
from pathlib import Path

from pao_clinic.services.caseload import caseload_first_rows
from pao_clinic.services.first_lines import start_first_lines
from pao_clinic.storage.connection import close_database
from pao_clinic.storage.file_check import start_quick_check
from pao_clinic.storage.migrations import CURRENT_SCHEMA_VERSION
from pao_clinic.storage.opening import open_database

from .test_backups import sqlite_path
from .test_file_check import closed_clinic  # noqa: F401  (the fixture: 20 demo patients in a closed SQLite file)


def test_the_early_lines_are_the_lines_the_window_would_read(closed_clinic):  # noqa: F811
    today = date.today()
    early = start_first_lines(start_quick_check(closed_clinic), today)
    lines = early.lines(today)
    open_database(closed_clinic)
    try:
        expected = caseload_first_rows(today)
    finally:
        close_database()
    assert lines == expected and len(lines) == 20 and not any(line.worked_out for line in lines)
    assert early.queries == 2  # the schema version and the lines, on its own read-only connection


def damage_the_audit_time_index(file: Path) -> None:
    """Random bytes over the audit's time index (its root page): the check finds it, the first lines never read it."""
    probe = sqlite3.connect(file)
    page_size = probe.execute("PRAGMA page_size").fetchone()[0]
    (root,) = probe.execute("SELECT rootpage FROM sqlite_master WHERE name = 'audit_entry_at'").fetchone()
    probe.close()
    with file.open("r+b") as f:
        f.seek(page_size * (root - 1))
        f.write(random.Random(9).randbytes(page_size))


def test_lines_from_a_file_the_check_finds_damaged_are_never_given(closed_clinic):  # noqa: F811
    damage_the_audit_time_index(sqlite_path(closed_clinic))
    check = start_quick_check(closed_clinic)
    assert check.findings() != ["ok"]
    early = start_first_lines(check, date.today())
    early._thread.join()
    assert early._lines is not None  # the damage is not where the lines are: they were read, and are still refused
    assert early.lines(date.today()) is None


def test_lines_read_from_another_schema_version_are_dropped(closed_clinic):  # noqa: F811
    with sqlite3.connect(sqlite_path(closed_clinic)) as conn:  # as a file an older release wrote
        conn.execute("UPDATE schema_version SET version = ?", (CURRENT_SCHEMA_VERSION - 1,))
    check = start_quick_check(closed_clinic)
    assert check.findings() == ["ok"]
    assert start_first_lines(check, date.today()).lines(date.today()) is None


def test_lines_read_for_another_day_are_not_given_for_this_one(closed_clinic):  # noqa: F811
    today = date.today()
    early = start_first_lines(start_quick_check(closed_clinic), today)
    assert early.lines(today + timedelta(days=1)) is None  # past midnight: ages and deliveries may differ
    assert early.lines(today) is not None


def test_nothing_is_read_early_without_an_early_check():
    assert start_first_lines(None) is None
