"""Changes saved by others: the watcher on a connection of its own reports whose records changed,
and the window's LiveRefresh emits it.  Another member of staff is a thread with its own
database connection, writing through the services, on an SQLite file and on the real
PostgreSQL server.
"""

from __future__ import annotations

import select
import threading
import uuid
from datetime import date, datetime, timedelta
from typing import Callable

import pytest

from pao_clinic import services
from pao_clinic.errors import StorageError
from pao_clinic.record import Fracture, PatientRecord
from pao_clinic.services.audit import record_opened
from pao_clinic.services.changes import ALL, MOST_NOTICES_PER_WRITE, ChangeWatcher, announce_change, announce_changes
from pao_clinic.storage.connection import counting_queries, database

from .conftest import PASSWORD

# The day the services judge on (a fixed day, so "in the future" means the same whenever the suite runs).
TODAY = date(2026, 5, 14)

pytestmark = [pytest.mark.qt_log_level_fail("WARNING")]


def woman(nhs_number: str, hospital_number: str, family_name: str, given_name: str) -> PatientRecord:
    return PatientRecord(ref="", nhs_number=nhs_number, hospital_number=hospital_number, family_name=family_name,
                         given_name=given_name, date_of_birth=date(1990, 3, 9))


def registered(clinic, nhs_number="943 476 5919", hospital_number="PAO000123", family_name="Ní Bhriain",
               given_name="Siobhán") -> int:
    return services.register_patient(clinic.nurse, woman(nhs_number, hospital_number, family_name, given_name),
                                     today=TODAY).id


def l1_fracture(on: date = TODAY) -> Fracture:
    return Fracture(ref="", site="l1", identified_on=on - timedelta(days=30), imaging="mri", trauma="none",
                    genant_grade=2)


def elsewhere(work: Callable[[], object]) -> object:
    """Run `work` as another member of staff would: on a thread with its own database connection."""
    outcome: dict[str, object] = {}

    def run():
        try:
            outcome["result"] = work()
        except BaseException as exc:  # noqa: BLE001 - re-raised in the test's thread
            outcome["failure"] = exc
        finally:
            database.close()  # this thread's connection

    other = threading.Thread(target=run)
    other.start()
    other.join(30)
    assert not other.is_alive(), "the other connection's write did not finish"
    if "failure" in outcome:
        raise outcome["failure"]
    return outcome.get("result")


def first_report(watcher: ChangeWatcher, polls: int = 3):
    """The first answer that reports a change, within a few polls (None when none does)."""
    for _ in range(polls):
        changed = watcher.poll()
        if changed is not None:
            return changed
    return None


@pytest.fixture
def watcher(clinic):
    with ChangeWatcher(clinic.url) as watching:
        yield watching


# --- the watcher ----------------------------------------------------------------------------------

def test_a_fracture_saved_on_another_connection_is_reported_with_her_patient_id(clinic, watcher):
    siobhan = registered(clinic)
    aoife = registered(clinic, "943 476 5927", "PAO000124", "Byrne", "Aoife")
    assert first_report(watcher) == {siobhan, aoife}  # this process's own saves are reported too
    assert watcher.poll() is None

    elsewhere(lambda: services.add_clinical_entry(clinic.consultant, aoife, l1_fracture(), today=TODAY))

    assert first_report(watcher) == {aoife}
    assert watcher.poll() is None  # reported once, not again


def test_nothing_is_reported_while_nobody_saves_even_when_others_read(clinic, watcher):
    siobhan = registered(clinic)
    assert first_report(watcher) == {siobhan}

    elsewhere(lambda: (services.load_patient_record(siobhan), services.caseload_rows(TODAY)))

    assert [watcher.poll() for _ in range(4)] == [None] * 4


def test_a_change_that_is_not_one_womans_asks_for_everything_to_be_read_again(clinic, watcher):
    elsewhere(lambda: services.add_user(clinic.admin, "rosa.nurse", role="nurse", password="a long password"))

    changed = first_report(watcher)
    assert changed is ALL
    assert 12345 in changed and changed  # every woman's record is in it


def test_a_watcher_started_after_a_save_does_not_report_it(clinic):
    registered(clinic)
    with ChangeWatcher(clinic.url) as late:
        assert [late.poll() for _ in range(3)] == [None] * 3


def test_a_closed_watcher_says_so(clinic):
    watching = ChangeWatcher(clinic.url)
    watching.close()
    with pytest.raises(StorageError, match="closed"):
        watching.poll()


def test_a_watcher_on_a_missing_sqlite_file_names_it_and_creates_nothing(tmp_path):
    missing = tmp_path / "nowhere.sqlite"
    with pytest.raises(StorageError, match="nowhere.sqlite"):
        ChangeWatcher(f"sqlite:///{missing}")
    assert not missing.exists()


def test_a_watcher_for_the_bound_database_watches_it(clinic):
    with ChangeWatcher.for_bound_database() as watching:
        siobhan = elsewhere(lambda: registered(clinic))
        assert first_report(watching) == {siobhan}


# --- PostgreSQL: commit order, NOTIFY -------------------------------------------------------------

def _reserve_audit_id() -> int:
    """An audit id handed out now (as an INSERT would), committed or rolled back later."""
    return database.execute_sql("SELECT nextval(pg_get_serial_sequence('audit_entry', 'id'))").fetchone()[0]


def test_a_save_that_commits_after_a_later_one_is_still_reported(postgres_clinic):
    """PostgreSQL hands out audit ids at insert: a save that commits late commits an id below one already seen.

    The app's own saves take the audit chain's lock, so they commit in id order; a writer
    that does not (an older copy of the app, a script) is what this guards against.
    """
    clinic = postgres_clinic
    siobhan = registered(clinic)
    aoife = registered(clinic, "943 476 5927", "PAO000124", "Byrne", "Aoife")
    watching = ChangeWatcher(clinic.url)
    written, release = threading.Event(), threading.Event()

    def slow_save():
        with database.atomic():  # her audit id is handed out, then the commit waits
            reserved = _reserve_audit_id()
            written.set()
            assert release.wait(20)
            database.execute_sql(
                "INSERT INTO audit_entry (id, at, user_name, action, record_type, patient_id, previous_hash, "
                "entry_hash) VALUES (%s, now(), 'nina.nurse', 'add', 'fracture', %s, %s, %s)",
                (reserved, siobhan, uuid.uuid4().hex * 2, uuid.uuid4().hex * 2))

    slow = threading.Thread(target=lambda: (slow_save(), database.close()))
    slow.start()
    try:
        assert written.wait(20)
        elsewhere(lambda: services.add_clinical_entry(clinic.consultant, aoife, l1_fracture(), today=TODAY))
        assert first_report(watching) == {aoife}
        assert watching.pending_audit_ids  # her audit id is handed out but not committed
    finally:
        release.set()
        slow.join(20)
    assert first_report(watching) == {siobhan}
    assert watching.pending_audit_ids == frozenset()
    watching.close()


def test_a_save_rolled_back_leaves_nothing_pending_and_reports_nothing(postgres_clinic):
    clinic = postgres_clinic
    siobhan = registered(clinic)
    aoife = registered(clinic, "943 476 5927", "PAO000124", "Byrne", "Aoife")
    watching = ChangeWatcher(clinic.url)
    written, release = threading.Event(), threading.Event()

    class ChangedHerMind(Exception):
        pass

    def abandoned_save():
        try:
            with database.atomic():
                _reserve_audit_id()  # as her save's INSERT would
                written.set()
                assert release.wait(20)
                raise ChangedHerMind
        except ChangedHerMind:
            pass
        finally:
            database.close()

    abandoned = threading.Thread(target=abandoned_save)
    abandoned.start()
    try:
        assert written.wait(20)
        elsewhere(lambda: services.add_clinical_entry(clinic.consultant, aoife, l1_fracture(), today=TODAY))
        assert first_report(watching) == {aoife}
        assert watching.pending_audit_ids
    finally:
        release.set()
        abandoned.join(20)
    assert first_report(watching) is None
    assert watching.pending_audit_ids == frozenset()
    watching.close()


def test_announce_change_notifies_other_connections_when_the_write_commits(postgres_clinic):
    clinic = postgres_clinic
    watching = ChangeWatcher(clinic.url)
    siobhan = registered(clinic)
    assert first_report(watching) == {siobhan}

    with database.atomic():
        announce_change(siobhan)  # no audit entry: only the notification tells
        assert watching.poll() is None  # not before the commit
    readable, _, _ = select.select([watching.fileno()], [], [], 10)
    assert readable == [watching.fileno()]  # the watcher's socket wakes at the commit
    assert watching.poll() == {siobhan}

    try:
        with database.atomic():
            announce_change(None)
            raise RuntimeError("rolled back")
    except RuntimeError:
        pass
    assert [watching.poll() for _ in range(3)] == [None] * 3  # a rolled-back write announces nothing

    with database.atomic():
        announce_change(None)
    assert first_report(watching) is ALL
    watching.close()


def test_announce_change_on_sqlite_runs_no_statement(sqlite_clinic):
    with database.atomic(), counting_queries() as queries:
        announce_change(7)
        announce_change(None)
    assert queries.count == 0


# --- the window's LiveRefresh ---------------------------------------------------------------------

@pytest.fixture
def live(clinic, qapp):
    from ui.live_refresh import LiveRefresh

    refresh = LiveRefresh(interval_ms=50)
    refresh.start()
    yield refresh
    refresh.stop()


def test_live_refresh_emits_changed_with_her_patient_id_when_another_connection_saves(clinic, live, qtbot):
    siobhan = registered(clinic)
    with qtbot.waitSignal(live.changed, timeout=10_000, check_params_cb=lambda ids: ids == {siobhan}):
        pass  # her registration, by this process
    aoife = elsewhere(lambda: registered(clinic, "943 476 5927", "PAO000124", "Byrne", "Aoife"))
    with qtbot.waitSignal(live.changed, timeout=10_000) as blocker:
        pass
    assert blocker.args == [{aoife}]


def test_live_refresh_emits_nothing_while_nobody_saves(clinic, live, qtbot):
    registered(clinic)
    qtbot.waitSignal(live.changed, timeout=10_000).wait()
    with qtbot.assertNotEmitted(live.changed):
        for _ in range(3):
            with qtbot.waitSignal(live.polled, timeout=10_000) as polled:
                pass
            assert polled.args == [None]


def test_live_refresh_says_when_it_cannot_look(clinic, qapp, qtbot):
    from ui.live_refresh import LiveRefresh

    watching = ChangeWatcher(clinic.url)
    watching.close()
    refresh = LiveRefresh(watching, interval_ms=50)
    refresh.start()
    try:
        with qtbot.waitSignal(refresh.failed, timeout=10_000) as blocker:
            pass
        assert "changes saved by others" in blocker.args[0] and "closed" in blocker.args[0]
    finally:
        refresh.stop()
    assert not refresh.is_running()


def test_live_refresh_wakes_at_once_on_a_postgresql_notification(postgres_clinic, qapp, qtbot):
    """With the timer far off, the notification alone brings the change (the write announces it)."""
    from ui.live_refresh import LiveRefresh

    clinic = postgres_clinic
    siobhan = registered(clinic)
    refresh = LiveRefresh(interval_ms=600_000)
    refresh.start()
    try:
        def announced_save():
            with database.atomic():
                services.add_clinical_entry(clinic.nurse, siobhan, l1_fracture(), today=TODAY)
                announce_change(siobhan)

        with qtbot.waitSignal(refresh.changed, timeout=10_000) as blocker:
            elsewhere(announced_save)
        assert blocker.args == [{siobhan}]
    finally:
        refresh.stop()


def test_the_notice_for_an_open_form_names_the_time_and_keeps_her_changes():
    from ui.live_refresh import changed_elsewhere_notice

    at = datetime.now().replace(hour=9, minute=5)
    assert changed_elsewhere_notice(at) == (
        "Someone else changed her record at 09:05; your unsaved changes are kept. Save will show both versions.")


# --- the window, wired as the lead will wire it (MainWindow.refresh on any change) -----------------

def test_a_save_by_another_connection_appears_in_the_open_window_and_her_open_record(window, demo_clinic, qtbot):
    from ui.live_refresh import LiveRefresh

    her = window.caseload_model.rows()[0]
    record = window.open_record(her)
    qtbot.waitUntil(lambda: record.view is not None, timeout=20_000)
    fractures_before = len(record.view.fractures)
    refresh = LiveRefresh(interval_ms=50)

    def on_changed(_patient_ids) -> None:
        window.refresh()  # the caseload, the worklist, and every open record

    refresh.changed.connect(on_changed)
    refresh.start()
    try:
        newcomer = elsewhere(lambda: registered(demo_clinic, "943 476 5935", "PAO990001", "Ó Súilleabháin",
                                                "Gráinne"))
        today = date.today()
        elsewhere(lambda: services.add_clinical_entry(demo_clinic.consultant, her.patient_id, l1_fracture(today),
                                                      today=today))
        with qtbot.waitSignal(record.loaded, timeout=20_000,
                              check_params_cb=lambda view: len(view.fractures) == fractures_before + 1):
            pass
        assert newcomer in {row.patient_id for row in window.caseload_model.rows()}
    finally:
        refresh.stop()


def test_a_sign_in_or_an_opened_record_elsewhere_is_not_reported_as_a_change(clinic):
    siobhan = registered(clinic)
    with ChangeWatcher(clinic.url) as watching:
        elsewhere(lambda: services.authenticate("nina.nurse", PASSWORD))
        elsewhere(lambda: record_opened(clinic.nurse, siobhan))
        assert first_report(watching) is None
        elsewhere(lambda: services.add_clinical_entry(clinic.nurse, siobhan, l1_fracture(), today=TODAY))
        assert first_report(watching) == {siobhan}


def test_a_write_that_changes_many_women_announces_them_in_one_statement(postgres_clinic):
    clinic = postgres_clinic
    watching = ChangeWatcher(clinic.url)
    few = [registered(clinic, nhs, f"PAO0001{n}", "Byrne", "Aoife")
           for n, nhs in enumerate(("9434765927", "9434765935"))]
    assert first_report(watching) == set(few)
    with database.atomic(), counting_queries() as queries:
        announce_changes(few)
    assert queries.count == 1
    readable, _, _ = select.select([watching.fileno()], [], [], 10)
    assert readable == [watching.fileno()]
    assert watching.poll() == set(few)
    with database.atomic(), counting_queries() as queries:
        announce_changes(range(1, MOST_NOTICES_PER_WRITE + 2))  # an import of more: everyone's lists
    assert queries.count == 1
    assert first_report(watching) is ALL
    watching.close()


def test_a_change_to_a_few_women_works_out_only_them_and_the_window_shows_what_a_full_read_shows(
        window, demo_clinic, qtbot, monkeypatch):
    import ui.main_window as main_window
    from pao_clinic.record import EpdsScreen
    from pao_clinic.services.caseload import FLAG_MOOD

    full_reads = []
    real_load = main_window.load_lists
    monkeypatch.setattr(main_window, "load_lists", lambda on: full_reads.append(on) or real_load(on))
    today = window.shown_on
    her = next(r for r in window.caseload_model.rows() if not r.has_flag(FLAG_MOOD))
    elsewhere(lambda: services.add_clinical_entry(
        demo_clinic.nurse, her.patient_id, EpdsScreen(assessed_on=today, score=26, self_harm_item=3), today=today))
    with qtbot.waitSignal(window.refreshed, timeout=20_000):
        window._on_live_refresh_changed(frozenset({her.patient_id}))  # as LiveRefresh reports her
    assert full_reads == []  # only she was read and worked out
    shown = {r.patient_id: r for r in window.caseload_model.rows()}
    assert shown[her.patient_id].has_flag(FLAG_MOOD)
    overview = services.caseload_overview(today)
    assert list(overview.rows) == sorted(window.caseload_model.rows(), key=lambda r: r.patient_id)
    assert list(overview.tasks) == sorted(window.worklist_model.rows(), key=lambda t: t.sort_key)
    with qtbot.waitSignal(window.refreshed, timeout=20_000):
        window._on_live_refresh_changed(ALL)  # not one woman's change: everything read again
    assert full_reads == [today]
