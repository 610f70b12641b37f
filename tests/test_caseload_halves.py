"""A large caseload's later half worked out in a second process gives the answer one process gives."""

from __future__ import annotations

import logging
import sys
from datetime import date

import pytest

from pao_clinic import services
from pao_clinic.demo import demo_caseload
from pao_clinic.services import caseload, caseload_halves, snapshots
from pao_clinic.storage.connection import counting_queries

TODAY = date(2026, 11, 22)


@pytest.fixture
def two_cores(monkeypatch):
    """The second process used from two women on, as on any machine with a second core."""
    monkeypatch.setattr(caseload_halves, "cores_for_this_process", lambda: 2)
    monkeypatch.setattr(caseload_halves, "SECOND_PROCESS_FROM", 2)


@pytest.fixture
def halves_started(monkeypatch):
    """Every `LaterHalf` the caseload started, to see who worked its women out."""
    started = []

    def start(*args, **kwargs):
        started.append(caseload_halves.start_later_half(*args, **kwargs))
        return started[-1]

    monkeypatch.setattr(caseload, "start_later_half", start)
    return started


def in_one_process(monkeypatch, fn):
    with monkeypatch.context() as m:
        m.setattr(caseload_halves, "SECOND_PROCESS_FROM", 10 ** 9)
        return fn()


def test_two_processes_give_the_lines_and_the_worklist_of_one(clinic, monkeypatch, two_cores, halves_started):
    services.import_records(clinic.nurse, demo_caseload(41, seed=21, today=TODAY))
    one = in_one_process(monkeypatch, lambda: (services.caseload_overview(TODAY), services.caseload_worklist(TODAY)))
    halves_started.clear()
    with counting_queries() as counted:
        overview = services.caseload_overview(TODAY)
    worklist = services.caseload_worklist(TODAY)
    assert [later.worked_out_elsewhere for later in halves_started] == [True, True]
    assert halves_started[0].after is not None and halves_started[0].failure is None
    assert overview == one[0] and worklist == one[1]
    assert len(overview.rows) == 41 and len(overview.tasks) > 0
    # the women on each side of the middle, each in one process only
    later_ids = [row.patient_id for row in overview.rows if row.patient_id > halves_started[0].after]
    assert len(later_ids) == 41 - 41 // 2
    # the second process's statements are counted as this read's: both halves read every list
    patient_reads = [s for s in counted.statements if 'FROM "blood_result"' in s]
    assert len(patient_reads) == 2


def test_a_small_caseload_is_worked_out_in_this_process(clinic, halves_started):
    services.import_records(clinic.nurse, demo_caseload(12, seed=4, today=TODAY))
    assert caseload_halves.SECOND_PROCESS_FROM >= 5_000
    assert len(services.caseload_worklist(TODAY)) > 0
    (later,) = halves_started
    assert later.after is None and later.process is None and not later.worked_out_elsewhere


@pytest.mark.parametrize("command, words", [
    ([sys.executable, "-c", "import sys; sys.stderr.write('no database here'); sys.exit(3)"],
     "the second process stopped (3): no database here"),
    ([sys.executable, "-c", "import sys; sys.stdout.write('not an answer')"], "answer could not be read"),
    (["/no/such/python"], "the second process could not start"),
])
def test_a_second_process_that_fails_leaves_its_half_to_this_one(
        sqlite_clinic, monkeypatch, caplog, two_cores, halves_started, command, words):
    services.import_records(sqlite_clinic.nurse, demo_caseload(30, seed=8, today=TODAY))
    one = in_one_process(monkeypatch, lambda: services.caseload_worklist(TODAY))
    halves_started.clear()
    monkeypatch.setattr(caseload_halves, "second_process_command", lambda: command)
    with caplog.at_level(logging.WARNING, logger="pao_clinic.services.caseload_halves"):
        assert services.caseload_worklist(TODAY) == one
    (later,) = halves_started
    assert later.after is not None and not later.worked_out_elsewhere
    assert words in later.failure
    assert words in caplog.text and "worked out in this process" in caplog.text


def test_an_encrypted_file_or_a_memory_database_is_never_shared(tmp_path, monkeypatch):
    monkeypatch.setattr(caseload_halves, "cores_for_this_process", lambda: 2)
    assert "passphrase" in caseload_halves.second_process_reason(f"sqlcipher:///{tmp_path}/clinic.sqlite")
    assert "in-memory" in caseload_halves.second_process_reason("sqlite:///:memory:")
    assert caseload_halves.second_process_reason(f"sqlite:///{tmp_path}/clinic.sqlite") is None
    monkeypatch.setattr(caseload_halves, "cores_for_this_process", lambda: 1)
    assert "one core" in caseload_halves.second_process_reason(f"sqlite:///{tmp_path}/clinic.sqlite")


def test_the_batches_of_a_half_hold_exactly_its_women(clinic):
    services.import_records(clinic.nurse, demo_caseload(17, seed=2, today=TODAY))
    whole = services.load_patient_records()
    middle = whole[7].id
    first = [r for b in snapshots.patient_record_batches(3, up_to=middle) for r in b]
    later = [r for b in snapshots.patient_record_batches(3, after=middle) for r in b]
    assert first == whole[:8] and later == whole[8:]
    assert caseload_halves.middle_patient_id(17) == whole[17 // 2 - 1].id
    assert caseload_halves.middle_patient_id(18) is None
