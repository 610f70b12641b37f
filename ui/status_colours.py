"""The colours that back up words of warning (never instead of them), readable on the light and the dark palette.

Each `StatusColour` has a shade for a light background and one for a dark background;
`StatusColour.on(palette)` picks by the palette's Base (where table text and labels
sit), so "Blocked" stays dark red on white and turns light red on the dark palette.
Every pair is chosen to give at least WCAG AA contrast (4.5:1, `contrast_ratio`)
against the palette's Base, AlternateBase and Window in `ui.app.PALETTE_COLOURS`.
"""

from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtGui import QColor, QGuiApplication, QPalette

#: WCAG 2 AA for body text.
LEAST_CONTRAST = 4.5


def is_dark(palette: QPalette | None = None) -> bool:
    """True when the palette's text sits on a dark background (the dark clinic palette)."""
    palette = palette if palette is not None else QGuiApplication.palette()
    return palette.color(QPalette.ColorRole.Base).lightnessF() < 0.5


@dataclass(frozen=True, slots=True)
class StatusColour:
    """A colour for words that warn: `light` on a light background, `dark` on a dark one."""

    light: str
    dark: str

    def on(self, palette: QPalette | None = None) -> QColor:
        return QColor(self.dark if is_dark(palette) else self.light)

    def css(self, palette: QPalette | None = None) -> str:
        """The shade as a style-sheet colour (`#8c1d18`)."""
        return self.on(palette).name()


BLOCKED = StatusColour("#8c1d18", "#ff9e94")        # blocked, urgent, a problem: act on it
CAUTION = StatusColour("#6b4500", "#f2c462")        # needs a written reason, high, warn: ask or check
ALLOWED = StatusColour("#1b5e20", "#8fd694")        # allowed
INFO = StatusColour("#37474f", "#c3cfd4")           # information only
HINT = StatusColour("#45545b", "#b3c1c6")           # a field's hint under it


def relative_luminance(colour: QColor) -> float:
    """WCAG 2 relative luminance of an opaque colour."""
    def linear(channel: float) -> float:
        return channel / 12.92 if channel <= 0.04045 else ((channel + 0.055) / 1.055) ** 2.4
    return 0.2126 * linear(colour.redF()) + 0.7152 * linear(colour.greenF()) + 0.0722 * linear(colour.blueF())


def contrast_ratio(first: QColor, second: QColor) -> float:
    """WCAG 2 contrast ratio, 1 (none) to 21 (black on white)."""
    a, b = sorted((relative_luminance(first), relative_luminance(second)), reverse=True)
    return (a + 0.05) / (b + 0.05)
