"""A window left open overnight follows the real date: the lists are worked out again for the new day."""

from __future__ import annotations

from datetime import date, timedelta

from pao_clinic import services
from pao_clinic.record.dates import written_date
from pao_clinic.storage.location import parse_database_url


class Clock:
    """A clock the test moves by hand."""

    def __init__(self, day: date):
        self.day = day

    def __call__(self) -> date:
        return self.day


def test_a_window_open_past_midnight_shows_the_new_days_worklist(qtbot, demo_clinic):
    from ui.main_window import MainWindow

    clock = Clock(date.today())
    win = MainWindow(demo_clinic.nurse, parse_database_url(demo_clinic.url).describe(), today=clock)
    qtbot.addWidget(win)
    with qtbot.waitSignal(win.refreshed, timeout=20_000):
        win.refresh()
    assert win.shown_on == clock.day
    assert f"(on {written_date(clock.day)})" in win.worklist_dock.windowTitle()

    # the same day: the timer changes nothing
    with qtbot.assertNotEmitted(win.refreshed, wait=200):
        win.day_timer.timeout.emit()

    # far enough ahead that the worklist is different (reviews and feeding checks fall due)
    later = clock.day + timedelta(days=400)
    assert services.caseload_worklist(later) != services.caseload_worklist(clock.day)
    clock.day = later
    with qtbot.waitSignal(win.refreshed, timeout=20_000):
        win.day_timer.timeout.emit()
    assert win.shown_on == later
    assert f"(on {written_date(later)})" in win.worklist_dock.windowTitle()
    assert win.worklist_model.rowCount() == len(services.caseload_worklist(later))


def test_the_day_timer_runs_while_the_window_is_open(qtbot, demo_clinic):
    from ui.main_window import MainWindow

    win = MainWindow(demo_clinic.nurse, parse_database_url(demo_clinic.url).describe())
    qtbot.addWidget(win)
    assert win.day_timer.isActive() and win.day_timer.interval() <= 60_000
