"""storage.file_check: the quick_check started early on its own thread, and opening that waits for its answer."""

from __future__ import annotations

from datetime import date

import pytest

from pao_clinic.demo import demo_caseload
from pao_clinic.services import import_records
from pao_clinic.storage import opening
from pao_clinic.storage.connection import close_database
from pao_clinic.storage.file_check import start_quick_check
from pao_clinic.storage.opening import DamagedDatabaseError, open_database

from .test_backups import damage, sha256, sqlite_path


@pytest.fixture
def closed_clinic(sqlite_clinic):
    """The test SQLite clinic with a few demo patients (enough pages to damage), closed."""
    import_records(sqlite_clinic.nurse, demo_caseload(20, seed=4, today=date.today()))
    url = sqlite_clinic.url
    close_database()
    yield url
    close_database()


def test_nothing_is_checked_early_where_there_is_no_plain_file(tmp_path):
    empty = tmp_path / "empty.sqlite"
    empty.write_bytes(b"")
    assert start_quick_check(f"sqlite:///{tmp_path / 'missing.sqlite'}") is None
    assert start_quick_check(f"sqlite:///{empty}") is None
    assert start_quick_check(f"sqlcipher:///{empty}") is None
    assert start_quick_check("postgresql://someone@localhost:5432/pao") is None
    assert start_quick_check("not a url") is None


def test_opening_takes_the_answer_of_the_check_under_way(closed_clinic, monkeypatch):
    check = start_quick_check(closed_clinic)
    assert check is not None and check.findings() == ["ok"]

    def checked_again(*args, **kwargs):
        raise AssertionError("the file was checked again")

    monkeypatch.setattr(opening, "integrity_findings", checked_again)
    open_database(closed_clinic, quick_check_under_way=check)


def test_a_damaged_file_found_by_the_check_under_way_is_refused_untouched(closed_clinic):
    file = sqlite_path(closed_clinic)
    damage(file)
    before = sha256(file)
    check = start_quick_check(closed_clinic)
    with pytest.raises(DamagedDatabaseError, match="is damaged"):
        open_database(closed_clinic, quick_check_under_way=check)
    assert sha256(file) == before


def test_a_check_of_another_file_is_not_taken_for_this_one(closed_clinic, tmp_path):
    other = tmp_path / "other.sqlite"
    other.write_bytes(sqlite_path(closed_clinic).read_bytes())
    damage(sqlite_path(closed_clinic))
    check_of_other = start_quick_check(f"sqlite:///{other}")  # a whole file
    with pytest.raises(DamagedDatabaseError):
        open_database(closed_clinic, quick_check_under_way=check_of_other)
