"""The nurse's worklist table: the tasks `services.caseload_worklist()` returns.

A task names its patient by NHS or hospital number; the caseload rows passed to
`set_rows` give the name to show beside it (no query per row).  Tasks are shown in
the clinic's words (`TASK_WORDS`), and those due after the day the list was worked out
for ("Coming up") always come after the overdue and today's ones, below a drawn
separator, whatever column the list is sorted by.
"""

from __future__ import annotations

from datetime import date
from typing import Any, Mapping, Sequence

from PySide6.QtCore import QModelIndex, Qt
from PySide6.QtGui import QBrush, QColor, QFont, QIcon, QPainter, QPen
from PySide6.QtWidgets import QStyledItemDelegate, QStyleOptionViewItem

from pao_clinic.gate import WorklistTask
from pao_clinic.gate.task_words import task_words
from pao_clinic.record.dates import written_date
from pao_clinic.gate.worklist import PRIORITIES
from pao_clinic.services import CaseloadRow
from pao_clinic.services.patient_view import banner_name

from .caseload_model import ALIGN_TEXT, RowTableModel
from .resources import resource_path
from .status_colours import CAUTION

PRIORITY_WORDS = {"urgent": "Urgent", "high": "High", "routine": "Routine"}
URGENT_TEXT = QColor("#8c1d18")          # on URGENT_BACKGROUND, which an urgent row always has
URGENT_BACKGROUND = QColor("#fbe9e7")
HIGH_TEXT = CAUTION                      # on the palette's own background: a shade for light and dark
SEPARATOR_COLOUR = QColor("#1f5f99")

# When a task falls due, against the day the list was worked out for.
DUE_OVERDUE, DUE_TODAY, DUE_COMING_UP = "overdue", "today", "coming_up"
DUE_WORDS = {DUE_OVERDUE: "Overdue", DUE_TODAY: "Today", DUE_COMING_UP: "Coming up"}

GROUP_ROLE = Qt.ItemDataRole.UserRole + 2          # DUE_OVERDUE, DUE_TODAY or DUE_COMING_UP (None: no day)
GROUP_START_ROLE = Qt.ItemDataRole.UserRole + 3    # True on the first "Coming up" row, below the others


def patient_key(identifier: str) -> str:
    """How a task's patient and a caseload row meet: the number without spaces."""
    return identifier.replace(" ", "")


def patients_by_identifier(rows: Sequence[CaseloadRow]) -> dict[str, CaseloadRow]:
    """Caseload rows under the number a task names them by (NHS number, else hospital number)."""
    return {patient_key(r.nhs_number or r.hospital_number): r for r in rows}


def due_group(task: WorklistTask, on: date | None) -> str | None:
    """Overdue, today or coming up on `on` (None when the list has no day)."""
    if on is None:
        return None
    if task.due_on < on:
        return DUE_OVERDUE
    return DUE_TODAY if task.due_on == on else DUE_COMING_UP


#: The kinds of column a table of tasks can have (`TaskTableModel.COLUMNS`).
PRIORITY, DUE, PATIENT, TASK, MESSAGE = "priority", "due", "patient", "task", "message"
TASK_HEADERS = {PRIORITY: "Priority", DUE: "Due", PATIENT: "Patient", TASK: "Task", MESSAGE: "What to do"}
TASK_HEADER_TIPS = {PRIORITY: "Urgent, high or routine", DUE: "When it fell due: overdue, today, or coming up",
                    PATIENT: "FAMILY NAME, given name", TASK: "The task, in words (its code in the tooltip)",
                    MESSAGE: "What to do, in full"}


class TaskTableModel(RowTableModel):
    """Worklist tasks in the clinic's words (rows: WorklistTask), one column per kind in `COLUMNS`.

    What each kind of column shows, sorts by and says in its tooltip is said once here,
    for the nurse's worklist and for the open tasks of one woman's record.
    """

    COLUMNS: tuple[str, ...] = ()

    def __init__(self, parent=None):
        super().__init__(parent)
        self.on: date | None = None   # the day the tasks were worked out for: Due says overdue or coming up
        self._bold = QFont()          # urgent tasks' words
        self._bold.setBold(True)

    def patient_label(self, task: WorklistTask) -> str:
        return task.patient

    def display(self, item: WorklistTask, column: int) -> str:
        kind = self.COLUMNS[column]
        if kind == PRIORITY:
            return PRIORITY_WORDS.get(item.priority, item.priority)
        if kind == DUE:
            group = due_group(item, self.on)
            return f"{DUE_WORDS[group]} {written_date(item.due_on)}" if group else written_date(item.due_on)
        if kind == PATIENT:
            return self.patient_label(item)
        if kind == TASK:
            return task_words(item.code)
        if kind == MESSAGE:
            return item.message
        return ""

    def sort_value(self, row: int, column: int) -> Any:
        item = self._rows[row]
        kind = self.COLUMNS[column]
        if kind == PRIORITY:
            return (PRIORITIES.index(item.priority), item.due_on) if item.priority in PRIORITIES else None
        if kind == DUE:
            return item.due_on
        if kind == PATIENT:
            return self.patient_label(item).casefold()
        if kind == TASK:
            return task_words(item.code)
        if kind == MESSAGE:
            return item.message
        return None

    def tooltip(self, item: WorklistTask, column: int) -> str | None:
        kind = self.COLUMNS[column]
        if kind == TASK:
            return f"{task_words(item.code)} ({item.code})"
        if kind == MESSAGE:
            return item.message
        return None


class WorklistTableModel(TaskTableModel):
    COL_PRIORITY, COL_DUE, COL_PATIENT, COL_TASK, COL_MESSAGE = range(5)
    COL_CODE = COL_TASK  # the task column shows the code in words

    COLUMNS = (PRIORITY, DUE, PATIENT, TASK, MESSAGE)
    HEADERS = tuple(TASK_HEADERS[kind] for kind in COLUMNS)
    HEADER_TIPS = tuple(TASK_HEADER_TIPS[kind] for kind in COLUMNS)
    ALIGNMENTS = (ALIGN_TEXT | Qt.AlignmentFlag.AlignTop,) * 5
    PER_ROW = ("_groups",)

    def __init__(self, parent=None):
        super().__init__(parent)
        self._patients: Mapping[str, CaseloadRow] = {}
        self._groups: list[str | None] = []
        self._urgent_icon: QIcon | None = None

    def set_rows(self, rows: Sequence[WorklistTask], patients: Mapping[str, CaseloadRow] | None = None,
                 on: date | None = None) -> None:
        """The tasks, the caseload rows that name their patients, and the day they were worked out for."""
        self._patients = dict(patients or {})
        self.on = on
        super().set_rows(rows)

    def _prepare(self) -> None:
        self._groups = [due_group(t, self.on) for t in self._rows]

    def _sorted_rows(self) -> list[int]:
        """The column's order, then "Coming up" after the rest (a stable partition)."""
        order = super()._sorted_rows()
        return sorted(order, key=lambda row: self._groups[row] == DUE_COMING_UP)

    def group_of(self, row: int) -> str | None:
        return self._groups[row]

    def patient_of(self, task: WorklistTask) -> CaseloadRow | None:
        return self._patients.get(patient_key(task.patient))

    def patient_label(self, task: WorklistTask) -> str:
        patient = self.patient_of(task)
        return banner_name(patient.family_name, patient.given_name) if patient else task.patient

    def tooltip(self, item: WorklistTask, column: int) -> str | None:
        if column == self.COL_PATIENT:
            return f"{self.patient_label(item)}, {item.patient}" if self.patient_of(item) else item.patient
        return super().tooltip(item, column)

    def _icon(self) -> QIcon:
        if self._urgent_icon is None:
            self._urgent_icon = QIcon(str(resource_path("icons/urgent.svg")))
        return self._urgent_icon

    def value_at(self, row: int, column: int, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if role in (GROUP_ROLE, GROUP_START_ROLE) and 0 <= row < len(self._rows) and 0 <= column < len(self.HEADERS):
            if role == GROUP_ROLE:
                return self._groups[row]
            coming = self._groups[row] == DUE_COMING_UP
            return coming and (row == 0 or self._groups[row - 1] != DUE_COMING_UP)
        return super().value_at(row, column, role)

    def extra(self, item: WorklistTask, column: int, role: Qt.ItemDataRole) -> Any:
        urgent = item.priority == "urgent"
        if role == Qt.ItemDataRole.ToolTipRole:
            return self.tooltip(item, column)
        if role == Qt.ItemDataRole.DecorationRole and urgent and column == self.COL_PRIORITY:
            return self._icon()
        if role == Qt.ItemDataRole.FontRole and (urgent or (column == self.COL_DUE
                                                            and due_group(item, self.on) == DUE_COMING_UP)):
            return self._bold
        if role == Qt.ItemDataRole.ForegroundRole:
            if urgent:
                return QBrush(URGENT_TEXT)
            if item.priority == "high" and column == self.COL_PRIORITY:
                return QBrush(HIGH_TEXT.on())
        if role == Qt.ItemDataRole.BackgroundRole and urgent:
            return QBrush(URGENT_BACKGROUND)
        return None


class WorklistDelegate(QStyledItemDelegate):
    """Draws each cell as usual, and a thick rule above the first task that is coming up."""

    def paint(self, painter: QPainter, option: QStyleOptionViewItem, index: QModelIndex) -> None:
        super().paint(painter, option, index)
        if index.data(GROUP_START_ROLE):
            painter.save()
            painter.setPen(QPen(SEPARATOR_COLOUR, 3))
            y = option.rect.top() + 1
            painter.drawLine(option.rect.left(), y, option.rect.right(), y)
            painter.restore()
