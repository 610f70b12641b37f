"""A date typed as the clinic writes it, or picked from a calendar.

`DateField` is a line edit that reads what was typed with the core's
`parse_written_date` (`12-Apr-1991`, `12/04/1991` day first, `12.04.1991`,
`1991-04-12`, `12 Apr 1991`) and a button that opens a calendar.  When the text is
read it is rewritten as `12-Apr-1991` once the field loses focus, so what is shown is
never ambiguous.  An empty field is allowed where the date is optional.  What is wrong
with the text ("30 February 2026 does not exist") is `problem()`; the form shows it
at the field.
"""

from __future__ import annotations

from datetime import date

from PySide6.QtCore import QDate, Qt, Signal
from PySide6.QtWidgets import (
    QCalendarWidget, QHBoxLayout, QLineEdit, QMenu, QToolButton, QWidget, QWidgetAction,
)

from pao_clinic.record.dates import parse_written_date, written_date


class DateField(QWidget):
    """One date: typed or picked; `value()` is the date, or None when empty or unreadable."""

    changed = Signal()  # the text changed (as typed or picked)

    def __init__(self, *, optional: bool = False, label: str = "Date", parent: QWidget | None = None):
        super().__init__(parent)
        self.optional = optional
        self.label = label
        self.edit = QLineEdit()
        self.edit.setObjectName("dateText")
        self.edit.setPlaceholderText("e.g. 12-Apr-1991 or 12/04/1991" + (" (optional)" if optional else ""))
        self.edit.setAccessibleName(label)
        self.edit.setMinimumWidth(170)
        self.edit.setMaxLength(40)
        self.button = QToolButton()
        self.button.setObjectName("calendarButton")
        self.button.setText("Calendar\u2026")
        self.button.setToolTip(f"Pick the {label.lower()} from a calendar")
        self.button.setAccessibleName(f"{label}: calendar")
        self.button.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
        # the popup's arrow is drawn over the words otherwise ("Calendar…" clipped at any scale)
        self.button.setStyleSheet("QToolButton#calendarButton::menu-indicator { image: none; width: 0px; }")
        self.button.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.calendar = QCalendarWidget()
        self.calendar.setGridVisible(True)
        self.calendar.setFirstDayOfWeek(Qt.DayOfWeek.Monday)
        self.calendar.setAccessibleName(f"{label}: calendar")
        menu = QMenu(self.button)
        action = QWidgetAction(menu)
        action.setDefaultWidget(self.calendar)
        menu.addAction(action)
        menu.aboutToShow.connect(self._on_menu_about_to_show)
        self.button.setMenu(menu)
        self._menu = menu

        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(4)
        layout.addWidget(self.edit, 1)
        layout.addWidget(self.button, 0)
        self.setFocusProxy(self.edit)

        self.edit.textChanged.connect(self._on_edit_text_changed)
        self.edit.editingFinished.connect(self._on_edit_editing_finished)
        self.calendar.clicked.connect(self._on_calendar_clicked)
        self.calendar.activated.connect(self._on_calendar_clicked)

    # -- the value -----------------------------------------------------------------
    def text(self) -> str:
        return self.edit.text()

    def set_text(self, text: str) -> None:
        self.edit.setText(text)

    def set_date(self, day: date | None) -> None:
        self.edit.setText(written_date(day) if day is not None else "")

    def is_empty(self) -> bool:
        return not self.edit.text().strip()

    def value(self) -> date | None:
        """The date typed, or None (empty, or not a date: see `problem()`)."""
        if self.is_empty():
            return None
        try:
            return parse_written_date(self.edit.text())
        except ValueError:
            return None

    def problem(self) -> str | None:
        """What is wrong with the text as typed (None when it is a date, or empty and optional)."""
        if self.is_empty():
            return None if self.optional else f"the {self.label.lower()} is required"
        try:
            parse_written_date(self.edit.text())
        except ValueError as exc:
            return str(exc)
        return None

    # -- events --------------------------------------------------------------------
    def _on_edit_text_changed(self, _text: str) -> None:
        self.changed.emit()

    def _on_edit_editing_finished(self) -> None:
        day = self.value()
        if day is not None and self.edit.text() != written_date(day):
            self.edit.setText(written_date(day))

    def _on_menu_about_to_show(self) -> None:
        day = self.value() or date.today()
        self.calendar.setSelectedDate(QDate(day.year, day.month, day.day))

    def _on_calendar_clicked(self, picked: QDate) -> None:
        self.set_date(picked.toPython())
        self._menu.hide()
        self.edit.setFocus(Qt.FocusReason.OtherFocusReason)
