"""Today's worklist beside the caseload: the tasks the services return, urgent ones marked."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QBrush, QFont, QIcon

from pao_clinic import services
from pao_clinic.gate import WorklistTask
from pao_clinic.services import CaseloadRow
from ui.caseload_model import ROW_ROLE
from ui.main_window import MainWindow
from ui.worklist_model import WorklistTableModel, patients_by_identifier

pytestmark = [
    pytest.mark.qt_log_level_fail("WARNING"),
    pytest.mark.qt_log_ignore("does not support propagateSizeHints"),
]

TODAY = date.today()


def shown_tasks(win: MainWindow) -> list[WorklistTask]:
    proxy = win.worklist_proxy
    return [proxy.index(r, 0).data(ROW_ROLE) for r in range(proxy.rowCount())]


def test_the_panel_shows_the_tasks_the_services_return_in_their_order(window):
    tasks = services.caseload_worklist(TODAY)
    assert tasks, "the demo caseload raises worklist tasks"
    assert shown_tasks(window) == tasks
    urgent = sum(1 for t in tasks if t.priority == "urgent")
    title = window.worklist_dock.windowTitle()
    assert title.startswith(f"Today's worklist: {len(tasks)} task")
    assert (f"{urgent} urgent" in title) == bool(urgent)


def test_each_task_names_its_patient_from_the_caseload(window):
    rows = {r.patient_id: r for r in services.caseload_rows(TODAY)}
    proxy = window.worklist_proxy
    for r in range(proxy.rowCount()):
        task = proxy.index(r, 0).data(ROW_ROLE)
        patient = window.worklist_model.patient_of(task)
        assert patient is not None and patient == rows[patient.patient_id]
        assert proxy.index(r, WorklistTableModel.COL_PATIENT).data() == patient.name
        assert proxy.index(r, WorklistTableModel.COL_CODE).data() == task.code
        assert proxy.index(r, WorklistTableModel.COL_MESSAGE).data() == task.message


def test_double_clicking_a_task_selects_her_in_the_caseload_even_when_filtered_out(window, qtbot):
    task = shown_tasks(window)[0]
    patient = window.worklist_model.patient_of(task)
    qtbot.keyClicks(window.filter_edit, "no such patient")
    qtbot.waitUntil(lambda: window.caseload_proxy.rowCount() == 0)
    rect = window.worklist_view.visualRect(window.worklist_proxy.index(0, WorklistTableModel.COL_PATIENT))
    qtbot.mouseClick(window.worklist_view.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    qtbot.mouseDClick(window.worklist_view.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    qtbot.waitUntil(lambda: window.selected_patient() == patient)
    assert window.filter_edit.text() == ""
    assert task.message in window.worklist_detail.text()


def task(priority: str, n: int, code: str = "MOOD") -> WorklistTask:
    return WorklistTask(patient=f"99900000{n:02d}", code=code, priority=priority,
                        due_on=TODAY - timedelta(days=n), message=f"Task {n}")


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
