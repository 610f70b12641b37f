"""Her treatment timeline drawn on one horizontal time axis (a QWidget painting with QPainter).

Why QPainter and not QGraphicsView: the chart is a function of (timeline, time scale,
size).  One routine, `paint_timeline`, draws it on the screen, into a PNG and onto a
printer page, so what is printed is what was seen; zooming only changes the scale and
the layout is worked out again (labels re-packed into rows at the new zoom), which a
scene of items would have to be told item by item.  Hit-testing uses the rectangles the
last layout placed things in.

The pure parts are plain functions and values, tested on their own: `TimeScale` (date
to x, zoom about an anchor, pan, fit), `date_ticks` (months or years as the zoom asks),
`pack_rows` (labels that would overlap go to another row).

Drawn black on white with patterns and shapes as well as colour, so it reads on paper
and in greyscale: pregnancies hatched, feeding horizontally lined, PTH analogues
cross-hatched; a dashed outline is a planned (not yet happened) end; fracture markers
by role (presentation filled square, repeat filled triangle, site seen again hollow
square, high trauma a cross) with the level and grade written; DEXA sites by shape;
referral events by shape (created hollow circle, sent triangle, seen filled square);
decisions as diamonds (review hollow) with the plan written.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import date, timedelta

from PySide6.QtCore import QPointF, QRect, QRectF, QSize, Qt, Signal
from PySide6.QtGui import (
    QBrush, QColor, QFont, QFontMetricsF, QImage, QKeyEvent, QMouseEvent, QPainter, QPainterPath, QPen, QPolygonF,
    QWheelEvent,
)
from PySide6.QtWidgets import QSizePolicy, QToolTip, QWidget

from pao_clinic.record import codes
from pao_clinic.record.dates import written_date
from pao_clinic.timeline import (
    BAR, CREATED, ERA, HIGH_TRAUMA, LANE_DECISIONS, LANE_DEXA, LANE_FEEDING, LANE_FRACTURES, LANE_MEDICATIONS,
    LANE_PREGNANCIES, LANE_REFERRALS, LANES, PRESENTATION, REPEAT, REVIEW, SEEN, SEEN_AGAIN, SENT, Timeline,
    TimelineItem, dexa_site_words,
)

LABEL_WIDTH = 132        # the lane names' column
AXIS_HEIGHT = 40         # the date axis on top
RIGHT_MARGIN = 8
ROW_HEIGHT = 22
LANE_PADDING = 6
MAX_ROWS = 12            # per lane; more overlap in the last row
MIN_PX_PER_DAY = 0.03    # about 90 years across 1000 px
MAX_PX_PER_DAY = 60.0    # a few weeks across 1000 px
ZOOM_STEP = 1.25
MIN_FIT_DAYS = 90
PRINT_WIDTH = 1100       # logical width the printed chart is laid out at
DEXA_LANE_HEIGHT = 124
LOW_Z_DEFAULT = -2.0

_ORDINAL_DAY = 1.0


# --- the time scale (pure) -----------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class TimeScale:
    """x = left + (day - first_day) * px_per_day, days counted as ordinals (fractions allowed)."""

    first_day: float
    px_per_day: float
    left: float = LABEL_WIDTH

    def x_of(self, day: date) -> float:
        return self.left + (day.toordinal() - self.first_day) * self.px_per_day

    def ordinal_at(self, x: float) -> float:
        return self.first_day + (x - self.left) / self.px_per_day

    def day_at(self, x: float) -> date:
        return date.fromordinal(int(math.floor(self.ordinal_at(x))))

    def zoomed(self, factor: float, anchor_x: float) -> TimeScale:
        """Zoomed in (factor > 1) or out, the day under `anchor_x` staying under it."""
        ppd = min(MAX_PX_PER_DAY, max(MIN_PX_PER_DAY, self.px_per_day * factor))
        anchor = self.ordinal_at(anchor_x)
        return TimeScale(anchor - (anchor_x - self.left) / ppd, ppd, self.left)

    def panned(self, dx: float) -> TimeScale:
        """Moved by dx pixels: the drawing follows the mouse (positive dx shows earlier days)."""
        return TimeScale(self.first_day - dx / self.px_per_day, self.px_per_day, self.left)

    def visible(self, width: float) -> tuple[date, date]:
        """The first and last day shown between `left` and `width - RIGHT_MARGIN`."""
        return self.day_at(self.left), self.day_at(width - RIGHT_MARGIN)

    @classmethod
    def fit(cls, first: date, last: date, width: float, left: float = LABEL_WIDTH) -> TimeScale:
        """The span first..last (a little padding each side, at least 90 days) across the plot."""
        span = max(last.toordinal() - first.toordinal() + 1, MIN_FIT_DAYS)
        middle = (first.toordinal() + last.toordinal() + 1) / 2
        padded = span * 1.08
        plot = max(width - left - RIGHT_MARGIN, 50.0)
        ppd = min(MAX_PX_PER_DAY, max(MIN_PX_PER_DAY, plot / padded))
        return cls(middle - plot / ppd / 2, ppd, left)


@dataclass(frozen=True, slots=True)
class Tick:
    day: date
    label: str
    major: bool


_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
#: (months per tick, the fewest pixels between two ticks for their labels to fit)
_MONTH_STEPS = ((1, 45.0), (3, 45.0), (6, 45.0), (12, 40.0), (24, 40.0), (60, 40.0), (120, 0.0))


def _add_months(day: date, months: int) -> date:
    n = day.year * 12 + day.month - 1 + months
    return date(n // 12, n % 12 + 1, 1)


def date_ticks(first: date, last: date, px_per_day: float) -> list[Tick]:
    """Ticks between first and last: weeks, months, quarters or years, as the zoom leaves room for.

    Major ticks fall on 1 January (year boundaries); labels are `Mar 2026`, `Mar`, `2026`
    or `12 Mar` for weeks.
    """
    ticks: list[Tick] = []
    if px_per_day * 7 >= 70:  # weeks
        day = first - timedelta(days=first.weekday())
        while day <= last:
            ticks.append(Tick(day, f"{day.day:02d} {_MONTHS[day.month - 1]}", day.day <= 7 and day.month == 1))
            day += timedelta(days=7)
        return ticks
    px_per_month = px_per_day * 30.44
    step = next(months for months, need in _MONTH_STEPS if px_per_month * months >= need)
    start = date(first.year, 1, 1) if step >= 12 else date(first.year, first.month, 1)
    if step >= 12:
        years = step // 12
        start = date(first.year - first.year % years, 1, 1)
    else:
        start = _add_months(start, -((start.month - 1) % step))
    day = start
    while day <= last:
        if day >= first:
            if step >= 12:
                label = str(day.year)
            elif day.month == 1 or not ticks:
                label = f"{_MONTHS[day.month - 1]} {day.year}"
            else:
                label = _MONTHS[day.month - 1]
            ticks.append(Tick(day, label, day.month == 1))
        day = _add_months(day, step)
    return ticks


def pack_rows(spans: list[tuple[float, float]], max_rows: int = MAX_ROWS, gap: float = 4.0) -> list[int]:
    """A row for each span (x0, x1), in order: the first row where it overlaps nothing (else the last)."""
    ends: list[float] = []
    rows = []
    for x0, x1 in spans:
        for row, end in enumerate(ends):
            if x0 >= end + gap:
                ends[row] = x1
                rows.append(row)
                break
        else:
            if len(ends) < max_rows:
                ends.append(x1)
                rows.append(len(ends) - 1)
            else:
                ends[-1] = max(ends[-1], x1)
                rows.append(len(ends) - 1)
    return rows


# --- ink -------------------------------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class Ink:
    text: QColor
    faint: QColor
    grid: QColor
    lane_shade: QColor
    pregnancy: QColor
    feeding: QColor
    fracture: QColor
    dexa: QColor
    medication: QColor
    referral: QColor
    decision: QColor
    today: QColor


SCREEN_INK = Ink(text=QColor("#1f2a30"), faint=QColor("#4a5860"), grid=QColor("#d5dadd"),
                 lane_shade=QColor("#f4f6f7"), pregnancy=QColor("#6a3d8f"), feeding=QColor("#1f5f8b"),
                 fracture=QColor("#8c1d18"), dexa=QColor("#1b5e20"), medication=QColor("#5d4037"),
                 referral=QColor("#37474f"), decision=QColor("#0d3c61"), today=QColor("#b00020"))
PAPER_INK = Ink(text=QColor("#000000"), faint=QColor("#333333"), grid=QColor("#c8c8c8"),
                lane_shade=QColor("#f2f2f2"), pregnancy=QColor("#000000"), feeding=QColor("#000000"),
                fracture=QColor("#000000"), dexa=QColor("#000000"), medication=QColor("#000000"),
                referral=QColor("#000000"), decision=QColor("#000000"), today=QColor("#000000"))

LANE_INK = {LANE_PREGNANCIES: "pregnancy", LANE_FEEDING: "feeding", LANE_FRACTURES: "fracture",
            LANE_DEXA: "dexa", LANE_MEDICATIONS: "medication", LANE_REFERRALS: "referral",
            LANE_DECISIONS: "decision"}

#: the shape of each DEXA site's point, and its legend
DEXA_SHAPES = {"lumbar_spine": "circle", "total_hip": "square", "femoral_neck": "triangle", "forearm": "diamond"}
FRACTURE_SHAPES = {PRESENTATION: "square", REPEAT: "triangle", SEEN_AGAIN: "hollow_square", HIGH_TRAUMA: "cross"}
REFERRAL_SHAPES = {CREATED: "hollow_circle", SENT: "triangle_right", SEEN: "square"}


def medication_pattern(drug: str | None) -> Qt.BrushStyle:
    if drug in codes.PTH_ANALOGUES:
        return Qt.BrushStyle.DiagCrossPattern
    if drug in codes.BISPHOSPHONATES:
        return Qt.BrushStyle.FDiagPattern
    if drug == "denosumab":
        return Qt.BrushStyle.VerPattern
    return Qt.BrushStyle.Dense6Pattern


def fonts() -> tuple[QFont, QFont, QFont]:
    """(text, small, bold) in pixel sizes, so the drawing scales the same on any device."""
    text = QFont()
    text.setPixelSize(12)
    small = QFont(text)
    small.setPixelSize(11)
    bold = QFont(text)
    bold.setBold(True)
    return text, small, bold


# --- layout -----------------------------------------------------------------------------------

@dataclass(slots=True)
class Placed:
    item: TimelineItem
    hit: QRectF              # where a pointer finds it
    row: int = 0
    anchor: QPointF = field(default_factory=QPointF)  # the marker's centre (points) or the bar's rect centre
    label_left: bool = False   # its label is written before it (no room after it)


@dataclass(slots=True)
class Layout:
    width: float
    height: float
    lanes: list[tuple[str, float, float]]   # (lane, top, height)
    placed: list[Placed]
    z_range: tuple[float, float] = (-5.0, 1.0)

    def lane_rect(self, lane: str) -> QRectF:
        for name, top, height in self.lanes:
            if name == lane:
                return QRectF(0, top, self.width, height)
        raise KeyError(lane)

    def item_at(self, x: float, y: float) -> TimelineItem | None:
        for placed in reversed(self.placed):
            if placed.hit.adjusted(-3, -3, 3, 3).contains(QPointF(x, y)):
                return placed.item
        return None

    def placed_for(self, item: TimelineItem) -> Placed:
        return next(p for p in self.placed if p.item is item)


MARKER = 11.0


def _z_range(items: tuple[TimelineItem, ...], low_z: float) -> tuple[float, float]:
    zs = [i.z_score for i in items if i.z_score is not None]
    lo = min(zs + [low_z - 1.5])
    hi = max(zs + [0.5])
    return math.floor(lo), math.ceil(hi)


def layout_timeline(timeline: Timeline, scale: TimeScale, width: float, low_z: float = LOW_Z_DEFAULT) -> Layout:
    """Where every item goes at this scale and width: lanes top to bottom, labels packed into rows."""
    text_font, _small, _bold = fonts()
    metrics = QFontMetricsF(text_font)
    placed: list[Placed] = []
    lanes: list[tuple[str, float, float]] = []
    top = AXIS_HEIGHT
    z_range = _z_range(timeline.in_lane(LANE_DEXA), low_z)

    def x_span(item: TimelineItem) -> tuple[float, float]:
        x0 = scale.x_of(item.start)
        x1 = scale.x_of(item.end + timedelta(days=1)) if not item.is_point else x0
        return x0, max(x1, x0 + 3)

    for lane in timeline.lanes:
        items = timeline.in_lane(lane)
        if lane == LANE_DEXA:
            height = DEXA_LANE_HEIGHT
            lo, hi = z_range
            inner_top, inner_bottom = top + 10, top + height - 10
            previous: list[QPointF] = []
            for item in items:
                x = scale.x_of(item.start) + scale.px_per_day / 2
                z = item.z_score if item.z_score is not None else lo
                y = inner_bottom - (z - lo) / (hi - lo) * (inner_bottom - inner_top)
                hit = QRectF(x - MARKER / 2, y - MARKER / 2, MARKER, MARKER)
                # two values of one scan close together: the second's words go before it
                crowded = any(abs(p.x() - x) < 40 and abs(p.y() - y) < 13 for p in previous[-3:])
                previous.append(QPointF(x, y))
                placed.append(Placed(item, hit, 0, QPointF(x, y), crowded and x - 40 > scale.left))
            lanes.append((lane, top, height))
            top += height
            continue
        if lane == LANE_PREGNANCIES:
            height = ROW_HEIGHT + 2 * LANE_PADDING + 6
            for item in items:
                x0, x1 = x_span(item)
                hit = QRectF(x0, top + LANE_PADDING, x1 - x0, height - 2 * LANE_PADDING)
                placed.append(Placed(item, hit, 0, hit.center()))
            lanes.append((lane, top, height))
            top += height
            continue
        # bars and points with their labels, packed into rows
        spans, geometry, sides = [], [], []
        right_limit = width - RIGHT_MARGIN

        def with_label(x0: float, x1: float, text: str) -> tuple[float, float]:
            w = metrics.horizontalAdvance(text) + 12
            left = x1 + w > right_limit and x0 - w > scale.left
            sides.append(left)
            return (x0 - w, x1) if left else (x0, x1 + w)

        groups: dict[tuple, list[TimelineItem]] = {}
        if lane == LANE_REFERRALS:
            for item in items:
                groups.setdefault((item.record_id, item.ref), []).append(item)
            for members in groups.values():
                x0 = scale.x_of(members[0].start) + scale.px_per_day / 2 - MARKER / 2
                last = members[-1]
                x1 = scale.x_of(last.start) + scale.px_per_day / 2 + MARKER / 2
                spans.append(with_label(x0, x1, referral_label(last)))
                geometry.append(members)
        else:
            for item in items:
                if item.shape == BAR:
                    x0, x1 = x_span(item)
                    spans.append(with_label(x0, x1 + (6 if item.ongoing else 0), bar_label(item)))
                else:
                    x = scale.x_of(item.start) + scale.px_per_day / 2
                    spans.append(with_label(x - MARKER / 2, x + MARKER / 2, point_label(item)))
                geometry.append([item])
        rows = pack_rows(spans)
        n_rows = max(rows, default=0) + 1
        height = n_rows * ROW_HEIGHT + 2 * LANE_PADDING
        for members, row, left in zip(geometry, rows, sides):
            y_mid = top + LANE_PADDING + row * ROW_HEIGHT + ROW_HEIGHT / 2
            for item in members:
                if item.shape == BAR:
                    x0, x1 = x_span(item)
                    hit = QRectF(x0, y_mid - 7, x1 - x0, 14)
                    placed.append(Placed(item, hit, row, hit.center(), left))
                else:
                    x = scale.x_of(item.start) + scale.px_per_day / 2
                    hit = QRectF(x - MARKER / 2, y_mid - MARKER / 2, MARKER, MARKER)
                    placed.append(Placed(item, hit, row, QPointF(x, y_mid), left))
        lanes.append((lane, top, height))
        top += height
    return Layout(width=width, height=top + 4, lanes=lanes, placed=placed, z_range=z_range)


def bar_label(item: TimelineItem) -> str:
    """A bar's words beside it: its label, `(ongoing)` for a course still taken."""
    return item.label + (" (ongoing)" if item.ongoing and item.lane == LANE_MEDICATIONS else "")


def point_label(item: TimelineItem) -> str:
    """A marker's words beside it (DEXA: just the Z-score; the site is its shape)."""
    if item.lane == LANE_DEXA:
        return f"{item.z_score:.1f}" if item.z_score is not None else "no Z"
    if item.lane == LANE_FRACTURES and item.fracture_role == REPEAT:
        return item.label + " repeat"
    return item.label


def referral_label(last: TimelineItem) -> str:
    words = last.label.replace(" referral ", ": ")
    if last.status and not last.label.endswith(last.status):
        words += f" (now {last.status})"
    return words


# --- painting ----------------------------------------------------------------------------------

def _marker_path(shape: str, centre: QPointF, size: float = MARKER) -> tuple[QPainterPath, bool]:
    """The path of a marker and whether it is filled."""
    r = size / 2
    x, y = centre.x(), centre.y()
    path = QPainterPath()
    filled = not shape.startswith("hollow")
    base = shape.removeprefix("hollow_")
    if base == "circle":
        path.addEllipse(centre, r, r)
    elif base == "square":
        path.addRect(QRectF(x - r, y - r, size, size))
    elif base == "triangle":
        path.addPolygon(QPolygonF([QPointF(x, y - r), QPointF(x + r, y + r), QPointF(x - r, y + r), QPointF(x, y - r)]))
    elif base == "triangle_right":
        path.addPolygon(QPolygonF([QPointF(x - r, y - r), QPointF(x + r, y), QPointF(x - r, y + r), QPointF(x - r, y - r)]))
    elif base == "diamond":
        path.addPolygon(QPolygonF([QPointF(x, y - r), QPointF(x + r, y), QPointF(x, y + r), QPointF(x - r, y),
                                   QPointF(x, y - r)]))
    elif base == "cross":
        path.moveTo(x - r, y - r)
        path.lineTo(x + r, y + r)
        path.moveTo(x + r, y - r)
        path.lineTo(x - r, y + r)
        filled = False
    return path, filled


def _tint(colour: QColor) -> QColor:
    """A light wash of the colour (light grey on paper) under a pattern."""
    return QColor.fromHsvF(colour.hsvHueF() if colour.hsvHueF() >= 0 else 0, colour.hsvSaturationF() * 0.25, 0.93)


def _draw_marker(painter: QPainter, shape: str, centre: QPointF, colour: QColor, size: float = MARKER) -> None:
    path, filled = _marker_path(shape, centre, size)
    painter.setPen(QPen(colour, 2.0 if shape == "cross" else 1.4))
    painter.setBrush(QBrush(colour) if filled else QBrush(QColor("white")))
    painter.drawPath(path)


def fracture_shape(item: TimelineItem) -> str:
    return FRACTURE_SHAPES.get(item.fracture_role or "", "hollow_circle")


def decision_shape(item: TimelineItem) -> str:
    return "hollow_diamond" if item.event == REVIEW else "diamond"


def paint_timeline(painter: QPainter, timeline: Timeline | None, scale: TimeScale, layout: Layout | None,
                   width: float, height: float, ink: Ink = SCREEN_INK, low_z: float = LOW_Z_DEFAULT) -> None:
    """Draw the whole chart in a width x height area from (0, 0) (painter coordinates)."""
    text_font, small_font, bold_font = fonts()
    painter.save()
    painter.setRenderHint(QPainter.RenderHint.Antialiasing, True)
    painter.fillRect(QRectF(0, 0, width, height), QColor("white"))
    if timeline is None or layout is None:
        painter.setFont(text_font)
        painter.setPen(ink.faint)
        painter.drawText(QRectF(0, 0, width, height), Qt.AlignmentFlag.AlignCenter, "No record shown")
        painter.restore()
        return
    plot = QRectF(scale.left, AXIS_HEIGHT, width - scale.left - RIGHT_MARGIN, layout.height - AXIS_HEIGHT)
    first, last = scale.visible(width)

    # lanes: shading, names, separators
    for n, (lane, top, lane_height) in enumerate(layout.lanes):
        if n % 2 == 0:
            painter.fillRect(QRectF(0, top, width, lane_height), ink.lane_shade)
        painter.setPen(QPen(ink.grid, 1))
        painter.drawLine(QPointF(0, top), QPointF(width, top))
        painter.setFont(bold_font)
        painter.setPen(ink.text)
        painter.drawText(QRectF(8, top, LABEL_WIDTH - 12, min(lane_height, ROW_HEIGHT + 2 * LANE_PADDING)),
                         Qt.AlignmentFlag.AlignVCenter | Qt.AlignmentFlag.AlignLeft, lane)
    painter.setPen(QPen(ink.grid, 1))
    painter.drawLine(QPointF(0, layout.height - 4), QPointF(width, layout.height - 4))

    # date axis and grid
    painter.setFont(small_font)
    for tick in date_ticks(first, last, scale.px_per_day):
        x = scale.x_of(tick.day)
        if x < scale.left or x > width - RIGHT_MARGIN:
            continue
        painter.setPen(QPen(ink.faint if tick.major else ink.grid, 1))
        painter.drawLine(QPointF(x, AXIS_HEIGHT - 8), QPointF(x, layout.height - 4))
        painter.setPen(ink.text)
        tick_font = bold_font if tick.major else small_font
        painter.setFont(tick_font)
        if x + 3 + QFontMetricsF(tick_font).horizontalAdvance(tick.label) > width - RIGHT_MARGIN:
            continue
        painter.drawText(QRectF(x + 3, 4, 90, AXIS_HEIGHT - 12), Qt.AlignmentFlag.AlignBottom | Qt.AlignmentFlag.AlignLeft,
                         tick.label)
    painter.setPen(QPen(ink.text, 1))
    painter.drawLine(QPointF(scale.left, AXIS_HEIGHT), QPointF(width - RIGHT_MARGIN, AXIS_HEIGHT))

    painter.save()
    painter.setClipRect(plot.adjusted(0, -AXIS_HEIGHT, 0, 0))
    _paint_dexa_frame(painter, layout, scale, width, ink, small_font, low_z)
    # today, behind the items so their words stay readable
    x = scale.x_of(timeline.on) + scale.px_per_day / 2
    pen = QPen(ink.today, 2, Qt.PenStyle.DashDotLine)
    painter.setPen(pen)
    painter.drawLine(QPointF(x, AXIS_HEIGHT - 4), QPointF(x, layout.height - 4))
    _paint_items(painter, layout, ink, text_font, small_font, width)
    painter.setFont(bold_font)
    label = f"Today {written_date(timeline.on)}"
    w = QFontMetricsF(bold_font).horizontalAdvance(label) + 8
    box = QRectF(min(max(x - w / 2, scale.left), width - RIGHT_MARGIN - w), 2, w, 16)
    painter.fillRect(box, QColor("white"))
    painter.setPen(QPen(ink.today, 1))
    painter.setBrush(Qt.BrushStyle.NoBrush)
    painter.drawRect(box)
    painter.drawText(box, Qt.AlignmentFlag.AlignCenter, label)
    painter.restore()

    # the DEXA legend under its lane name
    _paint_dexa_legend(painter, layout, ink, small_font)
    painter.restore()


def _paint_dexa_frame(painter, layout: Layout, scale: TimeScale, width: float, ink: Ink, font: QFont,
                      low_z: float) -> None:
    rect = layout.lane_rect(LANE_DEXA)
    lo, hi = layout.z_range
    inner_top, inner_bottom = rect.top() + 10, rect.bottom() - 10

    def y_of(z: float) -> float:
        return inner_bottom - (z - lo) / (hi - lo) * (inner_bottom - inner_top)

    painter.setFont(font)
    for z in range(int(lo), int(hi) + 1):
        y = y_of(z)
        painter.setPen(QPen(ink.grid, 1, Qt.PenStyle.DotLine))
        painter.drawLine(QPointF(scale.left, y), QPointF(width, y))
        painter.setPen(ink.faint)
        painter.drawText(QRectF(scale.left + 2, y - 7, 26, 14), Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter,
                         f"{z:+d}" if z else "0")
    y = y_of(low_z)
    painter.setPen(QPen(ink.dexa, 1.5, Qt.PenStyle.DashLine))
    painter.drawLine(QPointF(scale.left, y), QPointF(width, y))
    painter.setPen(ink.dexa)
    painter.drawText(QRectF(scale.left + 30, y - 15, 160, 14), Qt.AlignmentFlag.AlignLeft, f"Z {low_z:.1f}")


def _paint_dexa_legend(painter, layout: Layout, ink: Ink, font: QFont) -> None:
    rect = layout.lane_rect(LANE_DEXA)
    painter.setFont(font)
    y = rect.top() + 30
    for site, shape in DEXA_SHAPES.items():
        _draw_marker(painter, shape, QPointF(14, y), ink.dexa, 8)
        painter.setPen(ink.text)
        painter.drawText(QRectF(22, y - 7, LABEL_WIDTH - 24, 14), Qt.AlignmentFlag.AlignVCenter, dexa_site_words(site))
        y += 15


def _label_beside(painter, placed: Placed, label: str, colour: QColor, font: QFont, extra_right: float = 0) -> None:
    """Its words after it, or before it when the layout found no room after."""
    painter.setFont(font)
    painter.setPen(colour)
    rect = placed.hit
    if placed.label_left:
        painter.drawText(QRectF(rect.left() - 605, rect.top() - 4, 600, rect.height() + 8),
                         Qt.AlignmentFlag.AlignVCenter | Qt.AlignmentFlag.AlignRight, label)
    else:
        painter.drawText(QRectF(rect.right() + extra_right + 5, rect.top() - 4, 600, rect.height() + 8),
                         Qt.AlignmentFlag.AlignVCenter | Qt.AlignmentFlag.AlignLeft, label)


def _paint_items(painter, layout: Layout, ink: Ink, text_font: QFont, small_font: QFont, width: float) -> None:
    metrics = QFontMetricsF(text_font)
    referral_groups: dict[tuple, list[Placed]] = {}
    for placed in layout.placed:
        item = placed.item
        colour = getattr(ink, LANE_INK[item.lane])
        rect = placed.hit
        if item.shape == ERA:
            painter.setPen(Qt.PenStyle.NoPen)
            painter.setBrush(QBrush(QColor("white")))
            painter.drawRect(rect)
            painter.setBrush(QBrush(colour, Qt.BrushStyle.BDiagPattern))
            painter.drawRect(rect)
            painter.setBrush(Qt.BrushStyle.NoBrush)
            painter.setPen(QPen(colour, 1.2, Qt.PenStyle.DashLine if item.end_planned else Qt.PenStyle.SolidLine))
            painter.drawRect(rect)
            if not item.end_planned:  # delivery (or the end): a firm line
                painter.setPen(QPen(colour, 3))
                painter.drawLine(rect.topRight(), rect.bottomRight())
            painter.setFont(text_font)
            text = metrics.elidedText(item.label, Qt.TextElideMode.ElideRight, rect.width() - 10)
            if text and text != "\u2026":
                tw = metrics.horizontalAdvance(text) + 6
                box = QRectF(rect.left() + 4, rect.center().y() - 8, tw, 16)
                painter.fillRect(box, QColor("white"))
                painter.setPen(ink.text)
                painter.drawText(box, Qt.AlignmentFlag.AlignCenter, text)
        elif item.shape == BAR:
            painter.setPen(Qt.PenStyle.NoPen)
            painter.setBrush(QBrush(QColor("white")))
            painter.drawRect(rect)
            painter.setBrush(QBrush(_tint(colour)))
            painter.drawRect(rect)
            pattern = Qt.BrushStyle.HorPattern if item.lane == LANE_FEEDING else medication_pattern(item.drug)
            painter.setBrush(QBrush(colour, pattern))
            painter.drawRect(rect)
            painter.setBrush(Qt.BrushStyle.NoBrush)
            painter.setPen(QPen(colour, 1.4, Qt.PenStyle.DashLine if item.end_planned else Qt.PenStyle.SolidLine))
            painter.drawRect(rect)
            if item.ongoing:  # an arrow at the open end
                painter.setBrush(QBrush(colour))
                tip = rect.right() + 6
                painter.drawPolygon(QPolygonF([QPointF(rect.right(), rect.top()), QPointF(tip, rect.center().y()),
                                               QPointF(rect.right(), rect.bottom())]))
            _label_beside(painter, placed, bar_label(item), ink.text, text_font, 6 if item.ongoing else 0)
        elif item.lane == LANE_REFERRALS:
            referral_groups.setdefault((item.record_id, item.ref), []).append(placed)
        else:
            if item.lane == LANE_FRACTURES:
                shape = fracture_shape(item)
            elif item.lane == LANE_DEXA:
                shape = DEXA_SHAPES.get(item.site or "", "circle")
                if item.z_score is None:
                    shape = "hollow_" + shape
            elif item.lane == LANE_DECISIONS:
                shape = decision_shape(item)
            else:  # feeding: did not breastfeed
                shape = "hollow_circle"
            _draw_marker(painter, shape, placed.anchor, colour)
            _label_beside(painter, placed, point_label(item), ink.text,
                          small_font if item.lane == LANE_DEXA else text_font)
    for group in referral_groups.values():
        colour = ink.referral
        if len(group) > 1:
            painter.setPen(QPen(colour, 1.2))
            painter.drawLine(group[0].anchor, group[-1].anchor)
        for placed in group:
            _draw_marker(painter, REFERRAL_SHAPES.get(placed.item.event or "", "circle"), placed.anchor, colour)
        last = group[-1]
        label_at = Placed(last.item, last.hit.united(group[0].hit), label_left=last.label_left)
        _label_beside(painter, label_at, referral_label(last.item), ink.text, text_font)


# --- the widget -------------------------------------------------------------------------------

class TimelineView(QWidget):
    """Her timeline: Ctrl+wheel or +/- zoom, drag or arrow keys pan, F fits her record; click opens an entry."""

    item_activated = Signal(str, int)   # record_type, record_id
    scale_changed = Signal()

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("timelineView")
        self.setAccessibleName("Treatment timeline")
        self.setAccessibleDescription("Her pregnancies, feeding, fractures, DEXA, medicines, referrals and decisions "
                                      "on one time axis. Plus and minus zoom, arrow keys move, F fits her record.")
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.setMouseTracking(True)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Minimum)
        self.timeline: Timeline | None = None
        self.low_z = LOW_Z_DEFAULT
        self.scale = TimeScale.fit(date.today() - timedelta(days=365), date.today(), 900)
        self._layout: Layout | None = None
        self._press: QPointF | None = None
        self._press_scale: TimeScale | None = None
        self._dragged = False
        self.hovered: TimelineItem | None = None

    # -- content and scale ----------------------------------------------------------------
    def set_timeline(self, timeline: Timeline, *, fit: bool = True, low_z: float = LOW_Z_DEFAULT) -> None:
        self.timeline = timeline
        self.low_z = low_z
        if fit:
            self.fit_to_record()
        else:
            self._relayout()

    def set_scale(self, scale: TimeScale) -> None:
        self.scale = scale
        self._relayout()
        self.scale_changed.emit()

    def fit_to_record(self) -> None:
        first, last = self.timeline.extent() if self.timeline else (date.today(), date.today())
        self.set_scale(TimeScale.fit(first, last, self.width()))

    def zoom(self, factor: float, anchor_x: float | None = None) -> None:
        if anchor_x is None:
            anchor_x = (self.scale.left + self.width() - RIGHT_MARGIN) / 2
        self.set_scale(self.scale.zoomed(factor, anchor_x))

    def zoom_in(self) -> None:
        self.zoom(ZOOM_STEP)

    def zoom_out(self) -> None:
        self.zoom(1 / ZOOM_STEP)

    def pan(self, dx: float) -> None:
        self.set_scale(self.scale.panned(dx))

    def visible_days(self) -> tuple[date, date]:
        return self.scale.visible(self.width())

    def layout_now(self) -> Layout | None:
        return self._layout

    def _relayout(self) -> None:
        if self.timeline is None:
            self._layout = None
        else:
            self._layout = layout_timeline(self.timeline, self.scale, self.width(), self.low_z)
            height = int(math.ceil(self._layout.height))
            if self.minimumHeight() != height:
                self.setMinimumHeight(height)
        self.update()

    # -- finding things --------------------------------------------------------------------
    def item_at(self, pos: QPointF) -> TimelineItem | None:
        if self._layout is None or pos.x() < self.scale.left:
            return None
        return self._layout.item_at(pos.x(), pos.y())

    def tooltip_for(self, item: TimelineItem) -> str:
        return "\n".join(item.tooltip_lines())

    def point_of(self, item: TimelineItem) -> QPointF:
        """Where the item is drawn (its marker's centre, or the middle of its visible bar)."""
        placed = self._layout.placed_for(item)
        if item.is_point:
            return placed.anchor
        rect = placed.hit.intersected(QRectF(self.scale.left, 0, self.width() - self.scale.left - RIGHT_MARGIN,
                                             self.height() or placed.hit.bottom() + 1))
        return rect.center()

    # -- events ----------------------------------------------------------------------------
    def sizeHint(self) -> QSize:
        return QSize(1000, int(self._layout.height) if self._layout else 420)

    def resizeEvent(self, event) -> None:
        super().resizeEvent(event)
        old = event.oldSize().width()
        if old > 0 and old != self.width():
            # keep the same days in view as the plot widens or narrows
            ratio = (old - self.scale.left - RIGHT_MARGIN) / max(self.width() - self.scale.left - RIGHT_MARGIN, 1)
            self.scale = TimeScale(self.scale.first_day, max(MIN_PX_PER_DAY, self.scale.px_per_day / ratio),
                                   self.scale.left)
        elif old <= 0 and self.timeline is not None:
            first, last = self.timeline.extent()
            self.scale = TimeScale.fit(first, last, self.width())
        self._relayout()

    def paintEvent(self, _event) -> None:
        painter = QPainter(self)
        paint_timeline(painter, self.timeline, self.scale, self._layout, self.width(), self.height(),
                       SCREEN_INK, self.low_z)
        if self.hasFocus():
            painter.setPen(QPen(self.palette().highlight().color(), 2))
            painter.drawRect(QRectF(1, 1, self.width() - 2, self.height() - 2))
        painter.end()

    def wheelEvent(self, event: QWheelEvent) -> None:
        delta = event.angleDelta()
        if event.modifiers() & Qt.KeyboardModifier.ControlModifier and delta.y():
            self.zoom(ZOOM_STEP ** (delta.y() / 120), event.position().x())
            event.accept()
        elif event.modifiers() & Qt.KeyboardModifier.ShiftModifier and (delta.y() or delta.x()):
            self.pan((delta.y() or delta.x()) / 2)
            event.accept()
        else:
            event.ignore()  # the page scrolls

    def keyPressEvent(self, event: QKeyEvent) -> None:
        key = event.key()
        step = (self.width() - self.scale.left) / 8
        if key in (Qt.Key.Key_Plus, Qt.Key.Key_Equal):
            self.zoom_in()
        elif key in (Qt.Key.Key_Minus, Qt.Key.Key_Underscore):
            self.zoom_out()
        elif key == Qt.Key.Key_Left:
            self.pan(step)
        elif key == Qt.Key.Key_Right:
            self.pan(-step)
        elif key == Qt.Key.Key_F:
            self.fit_to_record()
        elif key == Qt.Key.Key_T and self.timeline is not None:  # centre on today
            middle = (self.scale.left + self.width() - RIGHT_MARGIN) / 2
            self.pan(middle - self.scale.x_of(self.timeline.on))
        else:
            super().keyPressEvent(event)
            return
        event.accept()

    def mousePressEvent(self, event: QMouseEvent) -> None:
        if event.button() == Qt.MouseButton.LeftButton:
            self._press = event.position()
            self._press_scale = self.scale
            self._dragged = False
            self.setFocus(Qt.FocusReason.MouseFocusReason)
        super().mousePressEvent(event)

    def mouseMoveEvent(self, event: QMouseEvent) -> None:
        pos = event.position()
        if self._press is not None and event.buttons() & Qt.MouseButton.LeftButton:
            dx = pos.x() - self._press.x()
            if abs(dx) > 4 or self._dragged:
                self._dragged = True
                self.setCursor(Qt.CursorShape.ClosedHandCursor)
                self.set_scale(self._press_scale.panned(dx))
            return
        item = self.item_at(pos)
        if item is not self.hovered:
            self.hovered = item
            text = self.tooltip_for(item) if item is not None else ""
            self.setToolTip(text)
            self.setCursor(Qt.CursorShape.PointingHandCursor if item is not None else Qt.CursorShape.ArrowCursor)
            if text:
                QToolTip.showText(event.globalPosition().toPoint(), text, self)
            else:
                QToolTip.hideText()

    def mouseReleaseEvent(self, event: QMouseEvent) -> None:
        if event.button() == Qt.MouseButton.LeftButton and self._press is not None:
            if not self._dragged:
                item = self.item_at(event.position())
                if item is not None and item.record_id is not None:
                    self.item_activated.emit(item.record_type, item.record_id)
            self._press = None
            self._dragged = False
            self.unsetCursor()
        super().mouseReleaseEvent(event)

    def leaveEvent(self, event) -> None:
        self.hovered = None
        super().leaveEvent(event)

    # -- output ----------------------------------------------------------------------------
    def render_timeline(self, painter: QPainter, rect: QRect | QRectF, *, paper: bool = True) -> None:
        """Draw the days now in view into `rect` of any paint device (a page, an image), black on white.

        Laid out at a logical width of PRINT_WIDTH and scaled to fit the rectangle, so
        text keeps its size relative to the chart whatever the device's resolution.
        """
        rect = QRectF(rect)
        first, last = self.visible_days()
        logical_width = PRINT_WIDTH
        scale = TimeScale.fit(first, last, logical_width) if self.timeline is None else self._print_scale(
            first, last, logical_width)
        layout = layout_timeline(self.timeline, scale, logical_width, self.low_z) if self.timeline else None
        logical_height = layout.height if layout else 300
        factor = min(rect.width() / logical_width, rect.height() / logical_height)
        painter.save()
        painter.fillRect(rect, QColor("white"))
        painter.translate(rect.left() + (rect.width() - logical_width * factor) / 2, rect.top())
        painter.scale(factor, factor)
        paint_timeline(painter, self.timeline, scale, layout, logical_width, logical_height,
                       PAPER_INK if paper else SCREEN_INK, self.low_z)
        painter.restore()

    @staticmethod
    def _print_scale(first: date, last: date, width: float) -> TimeScale:
        """Exactly first..last across the plot (no padding: what was on the screen)."""
        days = last.toordinal() - first.toordinal() + 1
        return TimeScale(first.toordinal(), (width - LABEL_WIDTH - RIGHT_MARGIN) / max(days, 1), LABEL_WIDTH)

    def render(self, *args, **kwargs):  # noqa: D401 - QWidget.render, plus render(QPainter, rect) for printing
        """`render(painter, rect)` draws the chart for paper (render_timeline); anything else is QWidget.render."""
        if len(args) == 2 and not kwargs and isinstance(args[0], QPainter) and isinstance(args[1], (QRect, QRectF)):
            return self.render_timeline(args[0], args[1])
        return super().render(*args, **kwargs)

    def save_png(self, path: str, size: QSize | None = None) -> bool:
        """The chart as a PNG of `size` (default 1600 x 700), black on white; True when written."""
        size = size or QSize(1600, 700)
        image = QImage(size, QImage.Format.Format_RGB32)
        image.fill(QColor("white"))
        painter = QPainter(image)
        self.render_timeline(painter, QRect(0, 0, size.width(), size.height()))
        painter.end()
        return image.save(str(path), "PNG")


__all__ = [
    "TimelineView", "TimeScale", "Tick", "date_ticks", "pack_rows", "layout_timeline", "paint_timeline", "Layout",
    "Placed", "Ink", "SCREEN_INK", "PAPER_INK", "LABEL_WIDTH", "AXIS_HEIGHT", "ZOOM_STEP", "LANES",
    "referral_label", "fracture_shape", "decision_shape", "medication_pattern",
]
