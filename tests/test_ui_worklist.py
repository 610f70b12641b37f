"""Today's worklist beside the caseload: the tasks the services return, urgent ones marked."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from PySide6.QtCore import QEvent, Qt
from PySide6.QtGui import QBrush, QFont, QIcon
from PySide6.QtWidgets import QApplication

from pao_clinic import services
from pao_clinic.gate import WorklistTask
from pao_clinic.services import CaseloadRow
from pao_clinic.storage.location import parse_database_url
from pao_clinic.gate.task_words import TASK_WORDS
from ui.caseload_model import ROW_ROLE
from ui.main_window import MainWindow
from ui.patient_record import section_for_task
from ui.worklist_model import WorklistTableModel, patients_by_identifier

from .gate_builders import read_examples_document

pytestmark = [
    pytest.mark.qt_log_level_fail("WARNING"),
    pytest.mark.qt_log_ignore("does not support propagateSizeHints"),
]

# Examples 6 and 7 of the gate's spec, looked at on the day their worklists are given for.
ON = date(2025, 5, 20)
AOIFE, LINH = "9434765927", "9434765935"
EXPECTED_TASKS = [  # priority, then due date, then patient, then code
    ("urgent", date(2025, 5, 10), AOIFE, "REPEAT-FRACTURE"),
    ("high", date(2024, 12, 20), AOIFE, "DECISION-DUE"),
    ("high", date(2024, 12, 20), LINH, "DECISION-DUE"),
]


def shown_tasks(win: MainWindow) -> list[WorklistTask]:
    proxy = win.worklist_proxy
    return [proxy.index(r, 0).data(ROW_ROLE) for r in range(proxy.rowCount())]


@pytest.fixture
def worklist_window(qtbot, qapp, sqlite_clinic):
    """The main window on a clinic of Aoife Fitzgerald and Linh Nguyễn, its clock stopped on ON."""
    qapp.setOrganizationName("PAO Clinic tests")
    services.import_records(sqlite_clinic.nurse, read_examples_document(6) + read_examples_document(7))
    win = MainWindow(sqlite_clinic.nurse, parse_database_url(sqlite_clinic.url).describe(), today=lambda: ON)
    win.show()
    with qtbot.waitSignal(win.refreshed, timeout=20_000):
        win.refresh()
    yield win
    win.close()
    win.deleteLater()
    QApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)


def test_the_panel_shows_the_days_tasks_in_the_services_order(worklist_window):
    shown = shown_tasks(worklist_window)
    assert [(t.priority, t.due_on, t.patient, t.code) for t in shown] == EXPECTED_TASKS
    assert shown == services.caseload_worklist(ON)
    assert worklist_window.shown_on == ON
    assert worklist_window.worklist_dock.windowTitle() == "Today's worklist: 3 tasks, 1 urgent (on 20-May-2025)"


def test_a_day_without_urgent_tasks_gives_no_urgent_count(qtbot, worklist_window):
    day_before = date(2025, 5, 9)  # the day before Aoife's new fracture was seen: nothing urgent yet
    worklist_window.today = lambda: day_before
    with qtbot.waitSignal(worklist_window.refreshed, timeout=20_000):
        worklist_window.refresh()
    assert [(t.priority, t.due_on, t.patient, t.code) for t in shown_tasks(worklist_window)] == [
        ("high", date(2024, 12, 20), AOIFE, "DECISION-DUE"),
        ("high", date(2024, 12, 20), LINH, "DECISION-DUE"),
        ("routine", date(2025, 2, 3), AOIFE, "WORKUP"),
        ("routine", date(2025, 2, 3), LINH, "WORKUP"),
    ]
    assert worklist_window.worklist_dock.windowTitle() == "Today's worklist: 4 tasks (on 09-May-2025)"


def test_each_task_names_its_patient_from_the_caseload(worklist_window):
    rows = {r.nhs_number.replace(" ", ""): r for r in services.caseload_rows(ON)}
    proxy = worklist_window.worklist_proxy
    names = []
    for r in range(proxy.rowCount()):
        task = proxy.index(r, 0).data(ROW_ROLE)
        assert worklist_window.worklist_model.patient_of(task) == rows[task.patient]
        names.append(proxy.index(r, WorklistTableModel.COL_PATIENT).data())
        assert proxy.index(r, WorklistTableModel.COL_TASK).data() == TASK_WORDS[task.code]
        assert task.code in proxy.index(r, WorklistTableModel.COL_TASK).data(Qt.ItemDataRole.ToolTipRole)
        assert proxy.index(r, WorklistTableModel.COL_MESSAGE).data() == task.message
    assert names == ["FITZGERALD, Aoife", "FITZGERALD, Aoife", "NGUY\u1ec4N, Linh"]


def test_double_clicking_a_task_selects_her_in_the_caseload_even_when_filtered_out(worklist_window, qtbot):
    window = worklist_window
    task = shown_tasks(window)[2]  # Linh's DECISION-DUE
    patient = window.worklist_model.patient_of(task)
    assert (patient.family_name, patient.given_name) == ("Nguy\u1ec5n", "Linh")
    qtbot.keyClicks(window.filter_edit, "no such patient")
    qtbot.waitUntil(lambda: window.caseload_proxy.rowCount() == 0)
    rect = window.worklist_view.visualRect(window.worklist_proxy.index(2, WorklistTableModel.COL_PATIENT))
    qtbot.mouseClick(window.worklist_view.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    qtbot.mouseDClick(window.worklist_view.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    qtbot.waitUntil(lambda: window.selected_patient() == patient)
    assert window.filter_edit.text() == ""
    assert task.message in window.worklist_detail.text()
    # ... and opens her record where the task is dealt with (a decision due: medications and decisions)
    record = window.patient_tabs.current_record()
    assert record is not None and record.patient_id == patient.patient_id
    assert record.current_section() == section_for_task("DECISION-DUE") == "medications"


def task(priority: str, n: int, code: str = "MOOD") -> WorklistTask:
    return WorklistTask(patient=f"99900000{n:02d}", code=code, priority=priority,
                        due_on=ON - timedelta(days=n), message=f"Task {n}")


def test_urgent_tasks_are_visibly_marked():
    model = WorklistTableModel()
    model.set_rows([task("urgent", 1), task("high", 2, "DEXA-DUE"), task("routine", 3, "WORKUP")])
    urgent, high, routine = (model.index(r, WorklistTableModel.COL_PRIORITY) for r in range(3))
    assert urgent.data() == "Urgent" and high.data() == "High" and routine.data() == "Routine"
    assert isinstance(urgent.data(Qt.ItemDataRole.DecorationRole), QIcon)
    assert not urgent.data(Qt.ItemDataRole.DecorationRole).isNull()
    assert isinstance(urgent.data(Qt.ItemDataRole.FontRole), QFont) and urgent.data(Qt.ItemDataRole.FontRole).bold()
    assert isinstance(urgent.data(Qt.ItemDataRole.BackgroundRole), QBrush)
    for index in (high, routine):
        assert index.data(Qt.ItemDataRole.BackgroundRole) is None
        assert index.data(Qt.ItemDataRole.DecorationRole) is None
    assert model.index(0, WorklistTableModel.COL_PATIENT).data() == "9990000001"  # no caseload row: the number


def test_the_worklist_model_passes_the_model_tester(qtmodeltester):
    model = WorklistTableModel()
    row = CaseloadRow(patient_id=7, family_name="Brontë", given_name="Zoë", date_of_birth=date(1994, 1, 2),
                      nhs_number="999 000 0002",
                      hospital_number="PAO000007", age=31, latest_delivery=None, fracture_count=1, lowest_z=None,
                      lactation="not_applicable", open_referrals=0)
    model.set_rows([task("urgent", 2), task("high", 3), task("routine", 4)], patients_by_identifier([row]))
    qtmodeltester.check(model, force_py=True)
    qtmodeltester.check(model)
    assert model.index(0, WorklistTableModel.COL_PATIENT).data() == "BRONTË, Zoë"


# --- tasks in words, coming up apart from overdue, "Do this now", a laptop's screen -------------

from PySide6.QtCore import QRect, QSettings, QSize  # noqa: E402

from pao_clinic.gate.worklist import TASK_CODES  # noqa: E402
from ui.main_window import DECISION, MINIMUM_SIZE, first_run_geometry, next_step  # noqa: E402
from ui.worklist_model import DUE_COMING_UP, GROUP_ROLE, GROUP_START_ROLE  # noqa: E402

from .gate_builders import D, birth, breastfed, days, treatable_record  # noqa: E402
from .test_caseload import flagged_patients  # noqa: E402


def test_every_task_shows_in_words_with_its_code_in_the_tooltip():
    model = WorklistTableModel()
    model.set_rows([task("high", n, code) for n, code in enumerate(TASK_CODES)])
    for r in range(model.rowCount()):
        item = model.index(r, 0).data(ROW_ROLE)
        shown = model.index(r, WorklistTableModel.COL_TASK).data()
        assert shown == TASK_WORDS[item.code] != item.code
        assert model.index(r, WorklistTableModel.COL_TASK).data(Qt.ItemDataRole.ToolTipRole) == f"{shown} ({item.code})"


def test_tasks_coming_up_stay_below_the_overdue_and_todays_under_every_sort(qtmodeltester):
    tasks = [WorklistTask("9990000001", "MOOD", "urgent", ON + timedelta(days=3), "Later, urgent"),
             WorklistTask("9990000002", "DEXA-DUE", "routine", ON - timedelta(days=5), "Overdue"),
             WorklistTask("9990000003", "WORKUP", "routine", ON, "Today"),
             WorklistTask("9990000004", "DECISION-DUE", "high", ON + timedelta(days=1), "Tomorrow")]
    model = WorklistTableModel()
    model.set_rows(tasks, on=ON)
    qtmodeltester.check(model, force_py=True)
    due = {t.message: model.index(r, WorklistTableModel.COL_DUE).data()
           for r, t in enumerate(model.rows())}
    assert due == {"Later, urgent": f"Coming up {(ON + timedelta(days=3)).strftime('%d-%b-%Y')}",
                   "Overdue": f"Overdue {(ON - timedelta(days=5)).strftime('%d-%b-%Y')}",
                   "Today": f"Today {ON.strftime('%d-%b-%Y')}",
                   "Tomorrow": f"Coming up {(ON + timedelta(days=1)).strftime('%d-%b-%Y')}"}
    for column in range(model.columnCount()):
        for order in (Qt.SortOrder.AscendingOrder, Qt.SortOrder.DescendingOrder):
            model.sort(column, order)
            groups = [model.index(r, 0).data(GROUP_ROLE) for r in range(model.rowCount())]
            coming = [g == DUE_COMING_UP for g in groups]
            assert coming == sorted(coming), (column, order)  # never an overdue task below one coming up
            starts = [model.index(r, column).data(GROUP_START_ROLE) for r in range(model.rowCount())]
            assert starts == [c and (r == 0 or not coming[r - 1]) for r, c in enumerate(coming)]
            assert starts.count(True) == 1
    model.sort(-1)
    model.set_rows(tasks, on=ON)
    assert [t.message for t in model.rows()] == ["Overdue", "Today", "Later, urgent", "Tomorrow"]


def test_a_decision_falling_due_today_says_today_in_the_window(qtbot, qapp, sqlite_clinic):
    """Last feed the day before D: her decision falls due on D, and the list says "Today", not overdue.

    (The gate gives no task a due date after the day it is asked for, so "Coming up" is
    shown only for tasks handed to the model with later dates, as in the test above.)
    """
    qapp.setOrganizationName("PAO Clinic tests")
    weaned = treatable_record(D, pregnancies=(birth("b1", D - days(200)),),
                              breastfeeding=(breastfed("b1", D - days(200), stopped_on=D - days(1)),))
    services.import_records(sqlite_clinic.nurse, [weaned])
    win = MainWindow(sqlite_clinic.nurse, "SQLite test", today=lambda: D)
    qtbot.addWidget(win)
    with qtbot.waitSignal(win.refreshed, timeout=20_000):
        win.refresh()
    shown = shown_tasks(win)
    decision = next(r for r, t in enumerate(shown) if t.code == "DECISION-DUE")
    assert shown[decision].due_on == D
    assert win.worklist_proxy.index(decision, 0).data(GROUP_ROLE) == "today"
    assert win.worklist_proxy.index(decision, WorklistTableModel.COL_DUE).data() == f"Today {D.strftime('%d-%b-%Y')}"
    assert all(win.worklist_proxy.index(r, 0).data(GROUP_ROLE) != DUE_COMING_UP for r in range(len(shown)))


@pytest.fixture
def flagged_worklist(qtbot, qapp, sqlite_clinic):
    qapp.setOrganizationName("PAO Clinic tests")
    QSettings().remove("main_window")
    services.import_records(sqlite_clinic.nurse, list(flagged_patients(D).values()))
    win = MainWindow(sqlite_clinic.nurse, "SQLite test", today=lambda: D)
    win.show()
    with qtbot.waitSignal(win.refreshed, timeout=20_000):
        win.refresh()
    yield win
    win.close()
    win.deleteLater()
    QApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)


@pytest.mark.parametrize("code, words, section", [
    ("FEEDING-CHECK", "Record feeding", "pregnancies"),
    ("LACTATION-UNKNOWN", "Record feeding", "pregnancies"),
    ("REFERRAL-OVERDUE", "Open the referral", "referrals"),
    ("REFERRAL-UNSENT", "Open the referral", "referrals"),
    ("DECISION-DUE", "Record a decision", DECISION),
    ("REPEAT-FRACTURE", "Open Fractures", "fractures"),
    ("MOOD", "Open EPDS", "epds"),
])
def test_do_this_now_takes_the_tasks_next_step(flagged_worklist, qtbot, monkeypatch, code, words, section):
    from ui import decision_dialog

    asked_dialog = []
    monkeypatch.setattr(decision_dialog.DecisionDialog, "ask",
                        classmethod(lambda cls, actor, patient_id, **kwargs: asked_dialog.append(patient_id)))
    win = flagged_worklist
    assert next_step(code) == (words, section)
    row = next(r for r, t in enumerate(shown_tasks(win)) if t.code == code)
    chosen = shown_tasks(win)[row]
    patient = win.worklist_model.patient_of(chosen)
    win.worklist_view.selectRow(row)
    assert win.do_now_button.isEnabled() and win.do_now_button.text() == f"Do this now: {words}"
    if section == DECISION:
        with qtbot.waitSignal(win.decision_requested, timeout=2_000) as asked:
            qtbot.mouseClick(win.do_now_button, Qt.MouseButton.LeftButton)
        assert asked.args == [patient.patient_id]
        # her record opens at Medications and decisions, with the decision dialog over it
        record = win.patient_tabs.current_record()
        assert record is not None and record.patient_id == patient.patient_id
        assert record.current_section() == "medications"
        assert asked_dialog == [patient.patient_id]
    else:
        with qtbot.assertNotEmitted(win.decision_requested):
            qtbot.mouseClick(win.do_now_button, Qt.MouseButton.LeftButton)
        record = win.patient_tabs.current_record()
        assert record is not None and record.patient_id == patient.patient_id
        assert record.current_section() == section
        assert asked_dialog == []
    assert win.selected_patient() == patient


def test_do_this_now_waits_for_a_task(flagged_worklist):
    flagged_worklist.worklist_view.clearSelection()
    assert not flagged_worklist.do_now_button.isEnabled()
    assert flagged_worklist.do_now_button.text() == "Do this now"


def test_every_task_code_has_a_next_step_in_a_real_section():
    from ui.patient_record import SECTION_KEYS

    for code in TASK_CODES:
        words, where = next_step(code)
        assert words and (where == DECISION or where in SECTION_KEYS)


def test_at_1366_by_768_what_to_do_is_shown_in_full_and_the_status_bar_is_visible(flagged_worklist, qtbot):
    win = flagged_worklist
    win.resize(1366, 768)
    qtbot.waitUntil(lambda: win.size() == QSize(1366, 768))
    win._fit_worklist_columns()
    QApplication.processEvents()
    view = win.worklist_view
    header = view.horizontalHeader()
    column = WorklistTableModel.COL_MESSAGE
    right_edge = header.sectionViewportPosition(column) + header.sectionSize(column)
    assert header.sectionViewportPosition(column) >= 0 and right_edge <= view.viewport().width()
    assert header.sectionSize(column) >= 400  # room to read, not a sliver
    assert view.horizontalScrollBar().maximum() == 0
    # each shown task's text fits its row: wrapped, never cut
    metrics = view.fontMetrics()
    for r in range(min(win.worklist_proxy.rowCount(), 10)):
        text = win.worklist_proxy.index(r, column).data()
        needed = metrics.boundingRect(QRect(0, 0, header.sectionSize(column) - 8, 10_000),
                                      int(Qt.TextFlag.TextWordWrap), text).height()
        assert view.rowHeight(r) >= needed
    bar = win.statusBar()
    assert bar.isVisible() and bar.geometry().bottom() < win.height()
    win.grab().save(str(__import__("pathlib").Path(__import__("tempfile").gettempdir()) / "worklist-1366.png"))


@pytest.mark.parametrize("available, expected", [
    (QRect(0, 0, 1366, 728), QRect(0, 0, 1366, 728)),           # a laptop with a task bar: the free area
    (QRect(0, 0, 1920, 1040), QRect(240, 90, 1440, 860)),       # room to spare: the preferred size, centred
    (QRect(1920, 0, 1280, 1024), QRect(1920, 82, 1280, 860)),   # a second screen to the right
])
def test_the_first_run_window_fits_the_screen(available, expected):
    assert first_run_geometry(available) == expected
    assert MINIMUM_SIZE.width() <= 1366 and MINIMUM_SIZE.height() <= 728
