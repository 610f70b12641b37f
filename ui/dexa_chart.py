"""The DEXA chart: her Z-score at each site over time, read by the gate.

Everything clinical comes from the gate's `DexaHistory` (`view.dexa_reading`): the
Z-score, its reading for age, the change in BMD since the previous scan of the site
and whether it is beyond the least significant change (LSC), and whether she was
breastfeeding on the scan day.  Nothing is worked out again here; the only thing
added is how many weeks after her latest birth the scan was (from the gate's
`births_on`), for the tooltip.

The drawing is in two halves: pure functions and values (`chart_points`,
`chart_series`, `z_range`, `z_ticks`, `date_range`, `date_ticks`, `DateScale`,
`ZScale`, `chart_layout`) that tests check without painting, and `DexaChart`, a
QWidget that paints what they say.  Each site has its own marker shape and line
style as well as its colour, so the chart reads in greyscale print; a scan beyond
the LSC has a ring and the words "> LSC"; a scan while breastfeeding has an open
marker and the letters "BF".
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Iterable, Sequence

from PySide6.QtCore import QEvent, QPointF, QRectF, QSize, Qt, Signal
from PySide6.QtGui import QColor, QFont, QFontMetricsF, QHelpEvent, QPainter, QPainterPath, QPalette, QPen, QPolygonF
from PySide6.QtWidgets import QSizePolicy, QToolTip, QWidget

from pao_clinic.clinic_settings import DEFAULT_SETTINGS
from pao_clinic.gate import BmdChange, DexaHistory, ScanInterpretation, births_on
from pao_clinic.gate.facts import written_number
from pao_clinic.record import PatientRecord, codes
from pao_clinic.record.dates import written_date

MINUS = "\u2212"
NO_DEXA = "No DEXA on record"

#: Weeks after a birth are told up to two years after it; later scans are not "postpartum".
POSTPARTUM_WEEKS_TOLD = 104


# --- words ------------------------------------------------------------------------------

def signed(value: float) -> str:
    """A score as printed on the chart: `−2.5`, `0.0`, `+1.0` (a true minus sign)."""
    text = written_number(abs(value))
    if value < 0 and text.strip("0.") != "":
        return MINUS + text
    return ("+" + text) if value > 0 else text


def site_words(site: str) -> str:
    """`Lumbar spine` for `lumbar_spine`."""
    return SITE_STYLES[site].name if site in SITE_STYLES else site.replace("_", " ").capitalize()


def low_z_label(low_z: float) -> str:
    """The words on the line at the clinic's low Z-score: `Z −2.0: below the expected range for age`."""
    return f"Z {signed(low_z)}: below the expected range for age"


def change_words(change: BmdChange | None) -> str:
    """The gate's change in BMD, short: `down 6.2 %: beyond LSC (5.3 %)` (the gate's `describe` says since when)."""
    if change is None:
        return ""
    text = "unchanged" if change.direction == "unchanged" else f"{change.direction} {written_number(abs(change.percent))} %"
    if change.least_significant_change is None:
        return f"{text}: no LSC for this site"
    lsc = written_number(change.least_significant_change)
    return f"{text}: {'beyond' if change.significant else 'within'} LSC ({lsc} %)"


# --- how each site is drawn --------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class SiteStyle:
    name: str
    marker: str            # circle, square, triangle, diamond, cross
    line: Qt.PenStyle
    colour: str            # dark enough to read on white, told apart in greyscale by marker and line
    line_words: str        # the line style in words, for the legend's accessible text


SITE_STYLES: dict[str, SiteStyle] = {
    "lumbar_spine": SiteStyle("Lumbar spine", "circle", Qt.PenStyle.SolidLine, "#1f5f8b", "solid line"),
    "total_hip": SiteStyle("Total hip", "square", Qt.PenStyle.DashLine, "#8a4b00", "dashed line"),
    "femoral_neck": SiteStyle("Femoral neck", "triangle", Qt.PenStyle.DotLine, "#2e6b30", "dotted line"),
    "forearm": SiteStyle("Forearm", "diamond", Qt.PenStyle.DashDotLine, "#6a1b7a", "dash-dot line"),
}
OTHER_SITE = SiteStyle("Other site", "cross", Qt.PenStyle.DashDotDotLine, "#45545b", "dash-dot-dot line")
assert set(SITE_STYLES) == set(codes.DEXA_SITES), "every DEXA site code needs a style"


def site_style(site: str) -> SiteStyle:
    return SITE_STYLES.get(site, OTHER_SITE)


# --- the points ------------------------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class ChartPoint:
    """One scan of one site as the chart shows it (all clinical values are the gate's)."""

    reading: ScanInterpretation
    weeks_postpartum: int | None = None    # weeks after her latest birth on or before the scan

    @property
    def site(self) -> str:
        return self.reading.site

    @property
    def scanned_on(self) -> date:
        return self.reading.scanned_on

    @property
    def z_score(self) -> float:
        return self.reading.z_score  # type: ignore[return-value]  # only scans with a Z-score are points

    @property
    def beyond_lsc(self) -> bool:
        """The gate says the change in BMD since the previous scan of the site is beyond the LSC."""
        return self.reading.significant_change

    @property
    def while_breastfeeding(self) -> bool:
        return bool(self.reading.while_breastfeeding)

    def tooltip(self) -> str:
        r = self.reading
        lines = [f"{site_words(r.site)}, {written_date(r.scanned_on)}",
                 f"Z-score {signed(r.z_score)}: {r.classification}"]
        lines.append(f"T-score {signed(r.t_score)} (for reference)" if r.t_score is not None
                     else "T-score not recorded (for reference only)")
        if r.bmd is not None:
            lines.append(f"BMD {r.bmd:.3f} g/cm\u00b2")
        if r.change is not None:
            lines.append(f"Change vs LSC: {r.change.describe(r.site)}")
        elif r.bmd is not None:
            lines.append("First scan of this site with a BMD: nothing to compare with")
        if r.while_breastfeeding:
            lines.append("Scanned while breastfeeding")
        if self.weeks_postpartum is not None:
            lines.append(f"{self.weeks_postpartum} weeks postpartum")
        return "\n".join(lines)


def weeks_postpartum(record: PatientRecord | None, day: date) -> int | None:
    """Whole weeks from her latest birth on or before `day` (the gate's births), within two years."""
    if record is None:
        return None
    births = births_on(record, day)
    if not births:
        return None
    weeks = (day - births[-1].ended_on).days // 7
    return weeks if weeks <= POSTPARTUM_WEEKS_TOLD else None


def points_of(reading: DexaHistory, record: PatientRecord | None = None) -> tuple[ChartPoint, ...]:
    """The gate's readings that have a Z-score, oldest first, as chart points."""
    return tuple(ChartPoint(r, weeks_postpartum(record, r.scanned_on)) for r in reading.scans if r.z_score is not None)


def chart_points(view) -> tuple[ChartPoint, ...]:
    """The points for a PatientView: its `dexa_reading`, with weeks postpartum from its record."""
    return points_of(view.dexa_reading, view.record)


def chart_series(points: Iterable[ChartPoint]) -> tuple[tuple[str, tuple[ChartPoint, ...]], ...]:
    """One line per site, in the code list's order (other sites after), each oldest first."""
    by_site: dict[str, list[ChartPoint]] = {}
    for point in points:
        by_site.setdefault(point.site, []).append(point)
    order = {site: n for n, site in enumerate(codes.DEXA_SITES)}
    return tuple((site, tuple(sorted(by_site[site], key=lambda p: p.scanned_on)))
                 for site in sorted(by_site, key=lambda s: (order.get(s, len(order)), s)))


# --- scales ----------------------------------------------------------------------------------

def z_range(z_scores: Iterable[float], low_z: float = DEFAULT_SETTINGS.low_z_score) -> tuple[float, float]:
    """The Z axis from bottom to top: every score, 0 and the low line inside, at half-unit steps, half a unit spare."""
    values = list(z_scores) + [low_z, 0.0]
    low = math.floor((min(values) - 0.5) * 2) / 2
    high = math.ceil((max(values) + 0.5) * 2) / 2
    return low, high


def z_ticks(low: float, high: float) -> tuple[float, ...]:
    """Labelled Z values: every half unit over a short axis, every unit beyond four units."""
    step = 0.5 if high - low <= 4 else 1.0
    first = math.ceil(low / step) * step
    ticks, n = [], 0
    while first + n * step <= high + 1e-9:
        ticks.append(round(first + n * step, 2))
        n += 1
    return tuple(ticks)


def date_range(days: Iterable[date]) -> tuple[date, date]:
    """The date axis: the first and last scan with room either side (two months around a single scan)."""
    days = list(days)
    first, last = min(days), max(days)
    pad = max(timedelta(days=14), (last - first) * 0.05) if last > first else timedelta(days=61)
    return first - pad, last + pad


_TICK_MONTHS = (1, 2, 3, 4, 6, 12, 24, 36, 60)


def _month_number(day: date) -> int:
    return day.year * 12 + day.month - 1


def date_ticks(first: date, last: date, most: int) -> tuple[date, ...]:
    """First days of months inside [first, last], evenly stepped (1, 2, 3, 4, 6 months, 1, 2, 3, 5 years), at most `most`."""
    start = _month_number(first) + (first.day != 1)
    end = _month_number(last)
    for step in _TICK_MONTHS:
        months = [m for m in range(start, end + 1) if m % step == 0]
        if len(months) <= max(most, 1):
            return tuple(date(m // 12, m % 12 + 1, 1) for m in months)
    months = [m for m in range(start, end + 1) if m % _TICK_MONTHS[-1] == 0][:most]
    return tuple(date(m // 12, m % 12 + 1, 1) for m in months)


def date_tick_words(day: date, ticks: Sequence[date]) -> str:
    """`Apr 2025` on a monthly axis; just `2025` when every tick is in January (a yearly axis)."""
    if ticks and all(t.month == 1 for t in ticks) and len(ticks) > 1:
        return str(day.year)
    return f"{written_date(day)[3:6]} {day.year}"


@dataclass(frozen=True, slots=True)
class DateScale:
    """Days to x pixels."""

    first: date
    last: date
    left: float
    right: float

    def x(self, day: date) -> float:
        span = (self.last - self.first).days or 1
        return self.left + (day - self.first).days / span * (self.right - self.left)


@dataclass(frozen=True, slots=True)
class ZScale:
    """Z-scores to y pixels (higher scores upward)."""

    low: float
    high: float
    top: float
    bottom: float

    def y(self, z: float) -> float:
        span = (self.high - self.low) or 1.0
        return self.bottom - (z - self.low) / span * (self.bottom - self.top)


# --- the layout ------------------------------------------------------------------------------

MARGIN_LEFT = 62.0     # Z tick labels and the rotated axis title
MARGIN_TOP = 16.0
MARGIN_BOTTOM = 50.0   # date tick labels and the axis title
LEGEND_WIDTH = 250.0
TICK_SPACING = 90.0    # pixels per labelled date, at least
MARKER_RADIUS = 5.5
LSC_RING = MARKER_RADIUS + 5
LSC_WORDS = "> LSC"
LOW_LINE_COLOUR = "#8c1d18"


@dataclass(frozen=True, slots=True)
class ChartLayout:
    """Where everything goes for a widget of a given size (pure: tested without painting)."""

    plot: tuple[float, float, float, float]   # left, top, right, bottom
    legend_left: float
    dates: DateScale
    z: ZScale
    date_ticks: tuple[date, ...]
    z_ticks: tuple[float, ...]
    low_z: float

    @property
    def low_z_y(self) -> float:
        return self.z.y(self.low_z)

    def position(self, point: ChartPoint) -> tuple[float, float]:
        return self.dates.x(point.scanned_on), self.z.y(point.z_score)


def chart_layout(points: Sequence[ChartPoint], width: float, height: float,
                 low_z: float = DEFAULT_SETTINGS.low_z_score) -> ChartLayout | None:
    """The chart's geometry for these points in a width x height widget; None without points."""
    if not points:
        return None
    left, top = MARGIN_LEFT, MARGIN_TOP
    right = max(left + 120.0, width - LEGEND_WIDTH - 16.0)
    bottom = max(top + 80.0, height - MARGIN_BOTTOM)
    first, last = date_range(p.scanned_on for p in points)
    low, high = z_range((p.z_score for p in points), low_z)
    most = max(2, int((right - left) // TICK_SPACING))
    return ChartLayout(
        plot=(left, top, right, bottom),
        legend_left=right + 16.0,
        dates=DateScale(first, last, left, right),
        z=ZScale(low, high, top, bottom),
        date_ticks=date_ticks(first, last, most),
        z_ticks=z_ticks(low, high),
        low_z=low_z,
    )


def nearest_point(layout: ChartLayout, points: Sequence[ChartPoint], x: float, y: float,
                  reach: float = 9.0) -> ChartPoint | None:
    """The point drawn nearest (x, y) within `reach` pixels, or None."""
    best, best_distance = None, reach
    for point in points:
        px, py = layout.position(point)
        distance = math.hypot(px - x, py - y)
        if distance <= best_distance:
            best, best_distance = point, distance
    return best


Box = tuple[float, float, float, float]   # left, top, width, height


def _overlap(a: Box, b: Box) -> float:
    w = min(a[0] + a[2], b[0] + b[2]) - max(a[0], b[0])
    h = min(a[1] + a[3], b[1] + b[3]) - max(a[1], b[1])
    return w * h if w > 0 and h > 0 else 0.0


def _inside(box: Box, bounds: tuple[float, float, float, float]) -> bool:
    left, top, right, bottom = bounds
    return box[0] >= left and box[1] >= top and box[0] + box[2] <= right and box[1] + box[3] <= bottom


def _clutter(box: Box, marks: Sequence[tuple[float, float]], placed: Sequence[Box]) -> float:
    reach = MARKER_RADIUS + 3
    covered = sum(_overlap(box, (x - reach, y - reach, 2 * reach, 2 * reach)) for x, y in marks)
    return covered + sum(_overlap(box, other) for other in placed)


def label_place(x: float, y: float, width: float, height: float, marks: Sequence[tuple[float, float]],
                placed: Sequence[Box], bounds: tuple[float, float, float, float]) -> Box:
    """Where a point's label goes: above, below, right or left of it, the first that hides nothing.

    Inside `bounds` if it can be; else the candidate that covers least of the other marks and labels.
    """
    gap = LSC_RING + 1
    candidates: list[Box] = [
        (x - width / 2, y - gap - height, width, height),
        (x - width / 2, y + gap, width, height),
        (x + gap, y - height / 2, width, height),
        (x - gap - width, y - height / 2, width, height),
        (x + gap - 2, y - gap - height + 2, width, height),
        (x - gap - width + 2, y - gap - height + 2, width, height),
    ]
    others = [m for m in marks if math.hypot(m[0] - x, m[1] - y) > 0.5]
    scored = [(not _inside(c, bounds), _clutter(c, others, placed), n) for n, c in enumerate(candidates)]
    return candidates[min(scored)[2]]


def low_line_label_box(layout: ChartLayout, points: Sequence[ChartPoint], width: float, height: float) -> Box:
    """The low line's words: just below (else above) the line, nearest its right end where they hide no mark or line."""
    left, top, right, bottom = layout.plot
    y = layout.low_z_y
    candidates: list[Box] = []
    x = right - width - 4
    while x >= left + 4:
        candidates += [(x, y + 3, width, height), (x, y - 3 - height, width, height)]
        x -= 12
    if not candidates:
        candidates = [(left + 4, y + 3, width, height)]
    marks = [layout.position(p) for p in points] + line_samples(layout, points)
    scored = [(not _inside(c, layout.plot), _clutter(c, marks, ()), n) for n, c in enumerate(candidates)]
    return candidates[min(scored)[2]]


def line_samples(layout: ChartLayout, points: Sequence[ChartPoint], every: float = 4.0) -> list[tuple[float, float]]:
    """Points along each site's line, every few pixels, so that labels keep off the lines too."""
    samples: list[tuple[float, float]] = []
    for _site, series in chart_series(points):
        for a, b in zip(series, series[1:]):
            (x0, y0), (x1, y1) = layout.position(a), layout.position(b)
            steps = max(1, int(math.hypot(x1 - x0, y1 - y0) // every))
            samples += [(x0 + (x1 - x0) * k / steps, y0 + (y1 - y0) * k / steps) for k in range(1, steps)]
    return samples


def breastfeeding_days(points: Iterable[ChartPoint]) -> tuple[date, ...]:
    """The scan days on which the gate says she was breastfeeding, oldest first."""
    return tuple(sorted({p.scanned_on for p in points if p.while_breastfeeding}))


def chart_description(points: Sequence[ChartPoint], low_z: float = DEFAULT_SETTINGS.low_z_score) -> str:
    """The chart in words, for screen readers: each site's scans and what is marked."""
    if not points:
        return NO_DEXA
    parts = []
    for site, series in chart_series(points):
        scans = "; ".join(
            f"{written_date(p.scanned_on)} Z {signed(p.z_score)}"
            + (", beyond LSC" if p.beyond_lsc else "") + (", while breastfeeding" if p.while_breastfeeding else "")
            for p in series)
        parts.append(f"{site_words(site)}: {scans}.")
    return f"Z-score by site over time; line at {low_z_label(low_z)}. " + " ".join(parts)


# --- painting -----------------------------------------------------------------------------------

def _marker_path(shape: str, cx: float, cy: float, r: float) -> QPainterPath:
    path = QPainterPath()
    if shape == "circle":
        path.addEllipse(QPointF(cx, cy), r, r)
    elif shape == "square":
        s = r * 0.9
        path.addRect(QRectF(cx - s, cy - s, 2 * s, 2 * s))
    elif shape == "triangle":
        t = r * 1.2
        path.addPolygon(QPolygonF([QPointF(cx, cy - t), QPointF(cx + t, cy + t * 0.8), QPointF(cx - t, cy + t * 0.8)]))
        path.closeSubpath()
    elif shape == "diamond":
        d = r * 1.25
        path.addPolygon(QPolygonF([QPointF(cx, cy - d), QPointF(cx + d, cy), QPointF(cx, cy + d), QPointF(cx - d, cy)]))
        path.closeSubpath()
    else:  # cross
        w = r * 0.45
        path.addRect(QRectF(cx - r, cy - w, 2 * r, 2 * w))
        path.addRect(QRectF(cx - w, cy - r, 2 * w, 2 * r))
    return path


class DexaChart(QWidget):
    """Her Z-score per site over time, with the low line, LSC and breastfeeding marks, a legend and tooltips."""

    point_clicked = Signal(object)   # the ChartPoint clicked

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("dexaChart")
        self.setAccessibleName("DEXA chart: Z-score by site over time")
        self.setAccessibleDescription(NO_DEXA)
        self.setMouseTracking(True)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Preferred)
        self.setMinimumSize(QSize(560, 260))
        self.points: tuple[ChartPoint, ...] = ()
        self.unplotted = 0             # scans with no Z-score (in the table, not on the chart)
        self.low_z = DEFAULT_SETTINGS.low_z_score
        self.empty_text = NO_DEXA
        self.selected: ChartPoint | None = None
        self._placed: list[Box] = []

    def sizeHint(self) -> QSize:
        return QSize(900, 340)

    # -- filling -----------------------------------------------------------------------
    def show_view(self, view) -> None:
        """Show a PatientView's DEXA reading."""
        self.set_reading(view.dexa_reading, view.record, view.settings.low_z_score,
                         empty_text=NO_DEXA if not view.dexa else f"No DEXA on or before {written_date(view.on)}")

    def set_reading(self, reading: DexaHistory, record: PatientRecord | None = None,
                    low_z: float = DEFAULT_SETTINGS.low_z_score, *, empty_text: str = NO_DEXA) -> None:
        self.points = points_of(reading, record)
        self.unplotted = sum(1 for r in reading.scans if r.z_score is None)
        self.low_z = low_z
        self.empty_text = empty_text if not reading.scans else "No Z-score on record: T-scores only (see the table)"
        self.selected = None
        self.setAccessibleDescription(chart_description(self.points, low_z) if self.points else self.empty_text)
        self.update()

    def set_selected(self, point: ChartPoint | None) -> None:
        self.selected = point
        self.update()

    def layout_now(self) -> ChartLayout | None:
        return chart_layout(self.points, self.width(), self.height(), self.low_z)

    def point_at(self, x: float, y: float) -> ChartPoint | None:
        layout = self.layout_now()
        return None if layout is None else nearest_point(layout, self.points, x, y)

    # -- events ------------------------------------------------------------------------
    def event(self, event: QEvent) -> bool:
        if event.type() == QEvent.Type.ToolTip:
            help_event: QHelpEvent = event  # type: ignore[assignment]
            point = self.point_at(help_event.pos().x(), help_event.pos().y())
            if point is None:
                QToolTip.hideText()
                event.ignore()
            else:
                QToolTip.showText(help_event.globalPos(), point.tooltip(), self)
            return True
        return super().event(event)

    def mousePressEvent(self, event) -> None:
        point = self.point_at(event.position().x(), event.position().y())
        if point is not None and event.button() == Qt.MouseButton.LeftButton:
            self.set_selected(point)
            self.point_clicked.emit(point)
            return
        super().mousePressEvent(event)

    # -- painting -----------------------------------------------------------------------
    def paintEvent(self, _event) -> None:
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        palette = self.palette()
        painter.fillRect(self.rect(), palette.color(QPalette.ColorRole.Base))
        text = palette.color(QPalette.ColorRole.Text)
        layout = self.layout_now()
        if layout is None:
            font = QFont(self.font())
            font.setPointSizeF(font.pointSizeF() * 1.2)
            painter.setFont(font)
            painter.setPen(text)
            painter.drawText(self.rect(), Qt.AlignmentFlag.AlignCenter, self.empty_text)
            painter.end()
            return
        self._paint_axes(painter, layout, text)
        self._paint_low_line(painter, layout)
        self._paint_series(painter, layout, text)
        self._paint_legend(painter, layout, text)
        painter.end()

    def _site_colour(self, style: SiteStyle) -> QColor:
        """The site's colour, lightened on a dark palette so the line still stands out."""
        colour = QColor(style.colour)
        if self.palette().color(QPalette.ColorRole.Base).lightness() < 128:
            colour = colour.lighter(190)
        return colour

    def _small_font(self) -> QFont:
        font = QFont(self.font())
        font.setPointSizeF(max(7.5, font.pointSizeF() * 0.9))
        return font

    def _paint_axes(self, painter: QPainter, layout: ChartLayout, text: QColor) -> None:
        left, top, right, bottom = layout.plot
        grid = QColor(text)
        grid.setAlpha(40)
        axis_pen = QPen(text, 1)
        painter.setFont(self._small_font())
        metrics = QFontMetricsF(painter.font())
        for z in layout.z_ticks:
            y = layout.z.y(z)
            painter.setPen(QPen(grid, 1))
            painter.drawLine(QPointF(left, y), QPointF(right, y))
            painter.setPen(axis_pen)
            painter.drawLine(QPointF(left - 4, y), QPointF(left, y))
            label = signed(z)
            painter.drawText(QRectF(left - 48, y - metrics.height() / 2, 42, metrics.height()),
                             Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter, label)
        for day in layout.date_ticks:
            x = layout.dates.x(day)
            painter.setPen(QPen(grid, 1))
            painter.drawLine(QPointF(x, top), QPointF(x, bottom))
            painter.setPen(axis_pen)
            painter.drawLine(QPointF(x, bottom), QPointF(x, bottom + 4))
            label = date_tick_words(day, layout.date_ticks)
            w = metrics.horizontalAdvance(label) + 4
            painter.drawText(QRectF(x - w / 2, bottom + 5, w, metrics.height()), Qt.AlignmentFlag.AlignCenter, label)
        painter.setPen(axis_pen)
        painter.drawLine(QPointF(left, top), QPointF(left, bottom))
        painter.drawLine(QPointF(left, bottom), QPointF(right, bottom))
        # axis titles
        title_font = QFont(self.font())
        title_font.setBold(True)
        painter.setFont(title_font)
        title_metrics = QFontMetricsF(title_font)
        painter.drawText(QRectF(left, bottom + 8 + metrics.height(), right - left, title_metrics.height()),
                         Qt.AlignmentFlag.AlignCenter, "Scan date")
        painter.save()
        painter.translate(14, (top + bottom) / 2)
        painter.rotate(-90)
        painter.drawText(QRectF(-(bottom - top) / 2, -title_metrics.height() / 2, bottom - top, title_metrics.height()),
                         Qt.AlignmentFlag.AlignCenter, "Z-score")
        painter.restore()

    def _paint_low_line(self, painter: QPainter, layout: ChartLayout) -> None:
        left, _top, right, bottom = layout.plot
        y = layout.low_z_y
        low = QColor(LOW_LINE_COLOUR)
        shade = QColor(low)
        shade.setAlpha(18)
        painter.fillRect(QRectF(left + 1, y, right - left - 1, bottom - y), shade)
        painter.setPen(QPen(low, 1.6, Qt.PenStyle.DashLine))
        painter.drawLine(QPointF(left, y), QPointF(right, y))
        painter.setFont(self._small_font())
        metrics = QFontMetricsF(painter.font())
        label = low_z_label(layout.low_z)
        box = low_line_label_box(layout, self.points, metrics.horizontalAdvance(label) + 8, metrics.height() + 2)
        background = self.palette().color(QPalette.ColorRole.Base)
        background.setAlpha(225)
        painter.fillRect(QRectF(*box), background)
        painter.setPen(low)
        painter.drawText(QRectF(*box), Qt.AlignmentFlag.AlignCenter, label)
        self._placed = [box]

    def _paint_series(self, painter: QPainter, layout: ChartLayout, text: QColor) -> None:
        base = self.palette().color(QPalette.ColorRole.Base)
        small = self._small_font()
        small.setBold(True)
        painter.setFont(small)
        metrics = QFontMetricsF(small)
        left, top, right, bottom = layout.plot
        # breastfeeding: the letters BF at the foot of each scan day, a faint line up to its points
        for day in breastfeeding_days(self.points):
            x = layout.dates.x(day)
            highest = min(layout.position(p)[1] for p in self.points if p.scanned_on == day)
            faint = QColor(text)
            faint.setAlpha(110)
            painter.setPen(QPen(faint, 1, Qt.PenStyle.DotLine))
            painter.drawLine(QPointF(x, highest + MARKER_RADIUS + 2), QPointF(x, bottom - metrics.height() - 2))
            box = (x - 16, bottom - metrics.height() - 2, 32, metrics.height())
            painter.fillRect(QRectF(*box), base)
            painter.setPen(text)
            painter.drawText(QRectF(*box), Qt.AlignmentFlag.AlignCenter, "BF")
            self._placed.append(box)
        for site, series in chart_series(self.points):
            style = site_style(site)
            colour = self._site_colour(style)
            if len(series) > 1:
                painter.setPen(QPen(colour, 2.0, style.line))
                painter.setBrush(Qt.BrushStyle.NoBrush)
                painter.drawPolyline(QPolygonF([QPointF(*layout.position(p)) for p in series]))
        for site, series in chart_series(self.points):
            style = site_style(site)
            colour = self._site_colour(style)
            for point in series:
                x, y = layout.position(point)
                painter.setPen(QPen(colour, 2.0))
                painter.setBrush(base if point.while_breastfeeding else colour)
                painter.drawPath(_marker_path(style.marker, x, y, MARKER_RADIUS))
        # beyond the LSC: a ring, and the words where they hide nothing
        marks = [layout.position(p) for p in self.points] + line_samples(layout, self.points)
        bounds = (left, top, right, bottom)
        for point in self.points:
            x, y = layout.position(point)
            if point.beyond_lsc:
                painter.setPen(QPen(text, 1.6))
                painter.setBrush(Qt.BrushStyle.NoBrush)
                painter.drawEllipse(QPointF(x, y), LSC_RING, LSC_RING)
                w, h = metrics.horizontalAdvance(LSC_WORDS) + 4, metrics.height()
                box = label_place(x, y, w, h, marks, self._placed, bounds)
                painter.drawText(QRectF(*box), Qt.AlignmentFlag.AlignCenter, LSC_WORDS)
                self._placed.append(box)
            if point == self.selected:
                painter.setPen(QPen(self.palette().color(QPalette.ColorRole.Highlight), 2, Qt.PenStyle.DotLine))
                painter.setBrush(Qt.BrushStyle.NoBrush)
                painter.drawRect(QRectF(x - 14, y - 14, 28, 28))

    def _paint_legend(self, painter: QPainter, layout: ChartLayout, text: QColor) -> None:
        x0 = layout.legend_left
        y = layout.plot[1] + 4
        font = self._small_font()
        painter.setFont(font)
        metrics = QFontMetricsF(font)
        row = max(20.0, metrics.height() + 6)
        base = self.palette().color(QPalette.ColorRole.Base)
        heading = QFont(font)
        heading.setBold(True)
        painter.setFont(heading)
        painter.setPen(text)
        painter.drawText(QPointF(x0, y + metrics.ascent()), "Key")
        y += row
        painter.setFont(font)
        for site, _series in chart_series(self.points):
            style = site_style(site)
            colour = self._site_colour(style)
            cy = y + row / 2 - 3
            painter.setPen(QPen(colour, 2.0, style.line))
            painter.drawLine(QPointF(x0, cy), QPointF(x0 + 34, cy))
            painter.setPen(QPen(colour, 2.0))
            painter.setBrush(colour)
            painter.drawPath(_marker_path(style.marker, x0 + 17, cy, MARKER_RADIUS))
            painter.setPen(text)
            painter.drawText(QPointF(x0 + 44, cy + metrics.ascent() / 2 - 1), style.name)
            y += row
        y += 4
        # the marks
        cy = y + row / 2 - 3
        painter.setPen(QPen(text, 1.6))
        painter.setBrush(Qt.BrushStyle.NoBrush)
        painter.drawEllipse(QPointF(x0 + 17, cy), MARKER_RADIUS + 4, MARKER_RADIUS + 4)
        painter.drawText(QPointF(x0 + 44, cy + metrics.ascent() / 2 - 1), f"Ring and {LSC_WORDS}: change in BMD")
        y += row - 4
        painter.drawText(QPointF(x0 + 44, y + row / 2 - 3 + metrics.ascent() / 2 - 1), "beyond the LSC (see the table)")
        y += row + 2
        cy = y + row / 2 - 3
        painter.setPen(QPen(text, 2.0))
        painter.setBrush(base)
        painter.drawEllipse(QPointF(x0 + 17, cy), MARKER_RADIUS, MARKER_RADIUS)
        painter.drawText(QPointF(x0 + 44, cy + metrics.ascent() / 2 - 1), "Open marker, BF below:")
        y += row - 4
        painter.drawText(QPointF(x0 + 44, y + row / 2 - 3 + metrics.ascent() / 2 - 1), "scanned while breastfeeding")
        y += row + 2
        cy = y + row / 2 - 3
        painter.setPen(QPen(QColor(LOW_LINE_COLOUR), 1.6, Qt.PenStyle.DashLine))
        painter.drawLine(QPointF(x0, cy), QPointF(x0 + 34, cy))
        painter.setPen(text)
        painter.drawText(QPointF(x0 + 44, cy + metrics.ascent() / 2 - 1), f"Z {signed(layout.low_z)} line")
        y += row + 2
        if self.unplotted:
            n = self.unplotted
            painter.drawText(QRectF(x0, y, LEGEND_WIDTH - 4, row * 2), Qt.TextFlag.TextWordWrap,
                             f"{n} scan{'s' if n != 1 else ''} without a Z-score: in the table only")


__all__ = [
    "MINUS", "NO_DEXA", "SITE_STYLES", "SiteStyle", "site_style", "signed", "site_words", "low_z_label",
    "change_words", "ChartPoint", "weeks_postpartum", "points_of", "chart_points", "chart_series", "z_range",
    "z_ticks", "date_range", "date_ticks", "date_tick_words", "DateScale", "ZScale", "ChartLayout",
    "chart_layout", "nearest_point", "label_place", "low_line_label_box", "line_samples", "breastfeeding_days", "chart_description", "DexaChart",
]
