"""The nurse's worklist table: the tasks `services.caseload_worklist()` returns.

A task names its patient by NHS or hospital number; the caseload rows passed to
`set_rows` give the name to show beside it (no query per row).
"""

from __future__ import annotations

from typing import Any, Mapping, Sequence

from PySide6.QtCore import Qt
from PySide6.QtGui import QBrush, QColor, QFont, QIcon

from pao_clinic.gate import WorklistTask
from pao_clinic.record.dates import written_date
from pao_clinic.gate.worklist import PRIORITIES
from pao_clinic.services import CaseloadRow

from .caseload_model import ALIGN_TEXT, RowTableModel
from .resources import resource_path

PRIORITY_WORDS = {"urgent": "Urgent", "high": "High", "routine": "Routine"}
URGENT_TEXT = QColor("#8c1d18")
URGENT_BACKGROUND = QColor("#fbe9e7")
HIGH_TEXT = QColor("#7a4a00")


def patient_key(identifier: str) -> str:
    """How a task's patient and a caseload row meet: the number without spaces."""
    return identifier.replace(" ", "")


def patients_by_identifier(rows: Sequence[CaseloadRow]) -> dict[str, CaseloadRow]:
    """Caseload rows under the number a task names them by (NHS number, else hospital number)."""
    return {patient_key(r.nhs_number or r.hospital_number): r for r in rows}


class WorklistTableModel(RowTableModel):
    COL_PRIORITY, COL_DUE, COL_PATIENT, COL_CODE, COL_MESSAGE = range(5)

    HEADERS = ("Priority", "Due", "Patient", "Task", "What to do")
    ALIGNMENTS = (ALIGN_TEXT,) * 5

    def __init__(self, parent=None):
        super().__init__(parent)
        self._patients: Mapping[str, CaseloadRow] = {}
        self._urgent_icon: QIcon | None = None
        self._bold = QFont()
        self._bold.setBold(True)

    def set_rows(self, rows: Sequence[WorklistTask], patients: Mapping[str, CaseloadRow] | None = None) -> None:
        self._patients = dict(patients or {})
        super().set_rows(rows)

    def patient_of(self, task: WorklistTask) -> CaseloadRow | None:
        return self._patients.get(patient_key(task.patient))

    def patient_label(self, task: WorklistTask) -> str:
        patient = self.patient_of(task)
        return patient.name if patient else task.patient

    def display(self, item: WorklistTask, column: int) -> str:
        if column == self.COL_PRIORITY:
            return PRIORITY_WORDS.get(item.priority, item.priority)
        if column == self.COL_DUE:
            return written_date(item.due_on)
        if column == self.COL_PATIENT:
            return self.patient_label(item)
        if column == self.COL_CODE:
            return item.code
        if column == self.COL_MESSAGE:
            return item.message
        return ""

    def sort_value(self, row: int, column: int) -> Any:
        item = self._rows[row]
        if column == self.COL_PRIORITY:
            return (PRIORITIES.index(item.priority), item.due_on) if item.priority in PRIORITIES else None
        if column == self.COL_DUE:
            return item.due_on
        if column == self.COL_PATIENT:
            return self.patient_label(item).casefold()
        if column == self.COL_CODE:
            return item.code
        if column == self.COL_MESSAGE:
            return item.message
        return None

    def _icon(self) -> QIcon:
        if self._urgent_icon is None:
            self._urgent_icon = QIcon(str(resource_path("icons/urgent.svg")))
        return self._urgent_icon

    def extra(self, item: WorklistTask, column: int, role: Qt.ItemDataRole) -> Any:
        urgent = item.priority == "urgent"
        if role == Qt.ItemDataRole.ToolTipRole:
            if column == self.COL_PATIENT:
                patient = self.patient_of(item)
                return f"{patient.name}, {item.patient}" if patient else item.patient
            if column == self.COL_MESSAGE:
                return item.message
            return None
        if role == Qt.ItemDataRole.DecorationRole and urgent and column == self.COL_PRIORITY:
            return self._icon()
        if role == Qt.ItemDataRole.FontRole and urgent:
            return self._bold
        if role == Qt.ItemDataRole.ForegroundRole:
            if urgent:
                return QBrush(URGENT_TEXT)
            if item.priority == "high" and column == self.COL_PRIORITY:
                return QBrush(HIGH_TEXT)
        if role == Qt.ItemDataRole.BackgroundRole and urgent:
            return QBrush(URGENT_BACKGROUND)
        return None
