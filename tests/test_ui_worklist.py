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
        assert proxy.index(r, WorklistTableModel.COL_CODE).data() == task.code
        assert proxy.index(r, WorklistTableModel.COL_MESSAGE).data() == task.message
    assert names == ["Fitzgerald, Aoife", "Fitzgerald, Aoife", "Nguy\u1ec5n, Linh"]


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
    row = CaseloadRow(patient_id=7, family_name="Brontë", given_name="Zoë", nhs_number="999 000 0002",
                      hospital_number="PAO000007", age=31, latest_delivery=None, fracture_count=1, lowest_z=None,
                      lactation="not_applicable", open_referrals=0)
    model.set_rows([task("urgent", 2), task("high", 3), task("routine", 4)], patients_by_identifier([row]))
    qtmodeltester.check(model, force_py=True)
    qtmodeltester.check(model)
    assert model.index(0, WorklistTableModel.COL_PATIENT).data() == "Brontë, Zoë"
