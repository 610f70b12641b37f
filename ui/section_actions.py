"""The buttons a section of her record has for its entries: Add…, Edit…, Entered in error….

Every page makes them one way.  `EntryActions(section, selected, edit=..., error=...)`
makes Edit… and Entered in error…, which act on the one entry `selected()` returns and
ask for it through the section's own signals (`edit_requested`,
`entered_in_error_requested`); they are enabled only while an entry is selected
(`update()`).  `add_button(...)` makes an Add… button that asks for a new entry of a
list (`add_requested(list_name)`), and `row(...)` lays buttons out left to right.
The forms themselves belong to `ui.record_actions`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable

from PySide6.QtWidgets import QHBoxLayout, QPushButton, QWidget


@dataclass(frozen=True, slots=True)
class ButtonWords:
    """What a button says, its object name, and what a screen reader says (also its tooltip when asked)."""

    text: str
    object_name: str
    accessible: str


def action_button(words: ButtonWords, *, tip: bool = False) -> QPushButton:
    button = QPushButton(words.text)
    if words.object_name:
        button.setObjectName(words.object_name)
    button.setAccessibleName(words.accessible)
    if tip:
        button.setToolTip(words.accessible)
    return button


class EntryActions:
    """Edit… and Entered in error… for the entry a section has selected (either may be left out).

    `tips`: each button's tooltip says what it does; `not_chosen_tip`: what a disabled
    button's tooltip says instead (e.g. "Select one fracture in the table first").
    """

    def __init__(self, section: QWidget, selected: Callable[[], Any], *, edit: ButtonWords | None = None,
                 error: ButtonWords | None = None, tips: bool = False, not_chosen_tip: str = ""):
        self.section = section
        self.selected = selected
        self.tips = tips
        self.not_chosen_tip = not_chosen_tip
        self.edit_button = action_button(edit, tip=tips) if edit is not None else None
        self.error_button = action_button(error, tip=tips) if error is not None else None
        self._tips = {b: b.toolTip() for b in self.buttons()}
        if self.edit_button is not None:
            self.edit_button.clicked.connect(self._on_edit_button_clicked)
        if self.error_button is not None:
            self.error_button.clicked.connect(self._on_error_button_clicked)

    def buttons(self) -> list[QPushButton]:
        return [b for b in (self.edit_button, self.error_button) if b is not None]

    def add_button(self, words: ButtonWords, list_name: str) -> QPushButton:
        """Add…: asks the section's `add_requested` for a new entry of `list_name`."""
        button = action_button(words, tip=self.tips)
        button.clicked.connect(lambda _checked=False, name=list_name: self.section.add_requested.emit(name))
        return button

    @staticmethod
    def row(*buttons: QPushButton) -> QHBoxLayout:
        """The buttons left to right, the spare width after them."""
        layout = QHBoxLayout()
        for button in buttons:
            layout.addWidget(button)
        layout.addStretch(1)
        return layout

    def update(self) -> bool:
        """Enable Edit and Entered in error while an entry is selected; True when one is."""
        chosen = self.selected() is not None
        for button in self.buttons():
            button.setEnabled(chosen)
            if self.not_chosen_tip:
                button.setToolTip(self._tips[button] if chosen else self.not_chosen_tip)
        return chosen

    def _on_edit_button_clicked(self) -> None:
        item = self.selected()
        if item is not None:
            self.section.edit_requested.emit(item)

    def _on_error_button_clicked(self) -> None:
        item = self.selected()
        if item is not None:
            self.section.entered_in_error_requested.emit(item)
