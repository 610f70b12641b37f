"""The spine diagram of her fractures: C1 to L5, sacrum, coccyx, pelvis, hips and other sites.

Drawn as a column seen from the front (her right on the viewer's left, as on a
radiograph).  Each fractured level is filled by its Genant grade AND has the grade
written on it ("G2"); presentation fractures are solid with the letter "P", repeat
fractures hatched with a thick outline and the letter "R", high-trauma fractures (not
fragility fractures) a dotted outline and "HT".  The fills are chosen so the grades
stay apart in greyscale print (`luminance`).

What the painter draws is worked out first as plain values: `diagram_layout(width,
height)` gives every level its box (pure geometry), `spine_marks(view)` gives every
fractured level its `Mark` (grade, presentation or repeat, history).  Whether a
fracture is a presentation or a repeat, and her births, come from the gate's facts
(`pao_clinic.gate.facts`): no clinical rule is worked out again here.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from PySide6.QtCore import QPointF, QRectF, Qt, Signal
from PySide6.QtGui import QBrush, QColor, QFont, QFontMetrics, QImage, QPainter, QPen, QPolygonF
from PySide6.QtWidgets import QSizePolicy, QToolTip, QWidget

from pao_clinic.timeline import Postpartum, postpartum_on
from pao_clinic.gate import clinical_facts

from pao_clinic.record import Fracture, PatientRecord, codes
from pao_clinic.record.dates import written_date
from pao_clinic.services.patient_view import PatientView

# --- words -----------------------------------------------------------------------------

IMAGING_WORDS: dict[str, str] = {"mri": "MRI", "xray": "X-ray", "ct": "CT", "dexa_vfa": "DEXA VFA"}
GRADE_WORDS: dict[int, str] = {0: "none", 1: "mild", 2: "moderate", 3: "severe"}
SIDE_LETTERS: dict[str, str] = {"right": "R", "left": "L"}

# the kinds of mark on a level
PRESENTATION = "presentation"
REPEAT = "repeat"
HIGH_TRAUMA = "high_trauma"
KIND_LETTERS: dict[str, str] = {PRESENTATION: "P", REPEAT: "R", HIGH_TRAUMA: "HT"}
KIND_WORDS: dict[str, str] = {
    PRESENTATION: "Presentation",
    REPEAT: "Repeat",
    HIGH_TRAUMA: "High trauma (not a fragility fracture)",
}
SEEN_AGAIN = "seen_again"   # a fracture after the presentation at a known site, same or lower grade

#: Fill of a level by Genant grade (0: not fractured).  Luminances 255, ~208, ~143, ~60:
#: far apart in greyscale print.
GRADE_FILLS: dict[int, str] = {0: "#ffffff", 1: "#f3d36b", 2: "#de7a35", 3: "#8c1d18"}
#: A fracture without a Genant grade (sites other than the spine): white, a double outline, "Fx".
UNGRADED_FILL = "#ffffff"
INK = "#1f2a30"
FAINT_INK = "#7d878c"
SELECTED = "#1f5fbf"

SIDED_AREAS: tuple[str, ...] = tuple(f"{site}:{side}" for site in codes.SIDED_SITES for side in ("right", "left"))
#: Every place the diagram draws, top to bottom (sided places her right first); "other"
#: holds site `other` and a sided site whose side is not recorded.
LEVELS: tuple[str, ...] = codes.VERTEBRAL_LEVELS + ("sacrum", "coccyx") + SIDED_AREAS + ("other",)


def level_of(fracture: Fracture) -> str:
    """The diagram's place for a fracture: `t12`, `sacrum`, `hip:left`, or `other`."""
    if fracture.site in codes.VERTEBRAL_LEVELS or fracture.site in ("sacrum", "coccyx"):
        return fracture.site
    if fracture.site in codes.SIDED_SITES and fracture.side in SIDE_LETTERS:
        return f"{fracture.site}:{fracture.side}"
    return "other"


def level_name(level: str) -> str:
    """`T12`, `Sacrum`, `Right hip`, `Other sites`."""
    if level in codes.VERTEBRAL_LEVELS:
        return level.upper()
    if level == "other":
        return "Other sites"
    if ":" in level:
        site, side = level.split(":")
        return f"{side.capitalize()} {site}"
    return level.capitalize()


def short_name(level: str) -> str:
    """The name written on a box: `T12`, `Sacrum`, `R hip`, `Other`."""
    if ":" in level:
        site, side = level.split(":")
        return f"{SIDE_LETTERS[side]} {site}"
    return "Other" if level == "other" else level_name(level)


def fracture_site_words(fracture: Fracture) -> str:
    """`T12`, `Left hip`, `Hip (side not recorded)`, `Other site`."""
    if fracture.site in codes.VERTEBRAL_LEVELS:
        return fracture.site.upper()
    if fracture.site == "other":
        return "Other site"
    if fracture.site in codes.SIDED_SITES:
        if fracture.side:
            return f"{fracture.side.capitalize()} {fracture.site}"
        return f"{fracture.site.capitalize()} (side not recorded)"
    return fracture.site.capitalize()


# --- colours -----------------------------------------------------------------------------

def luminance(colour: str) -> float:
    """Grey level 0-255 of a `#rrggbb` colour as greyscale print renders it (ITU-R 601 weights)."""
    c = QColor(colour)
    return 0.299 * c.red() + 0.587 * c.green() + 0.114 * c.blue()


def grade_fill(grade: int | None) -> str:
    return GRADE_FILLS.get(grade, UNGRADED_FILL) if grade is not None else UNGRADED_FILL


# --- weeks postpartum, from the gate's births ---------------------------------------------

def postpartum_at(record: PatientRecord, fracture: Fracture) -> Postpartum:
    """When the fracture was found relative to her pregnancies (the core's one computation)."""
    return postpartum_on(record, fracture.identified_on, fracture.pregnancy)


# --- the marks ---------------------------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class FractureFinding:
    """One fracture as the diagram and the table show it."""

    fracture: Fracture
    level: str
    kind: str                 # PRESENTATION, REPEAT, SEEN_AGAIN or HIGH_TRAUMA
    postpartum: Postpartum

    @property
    def kind_words(self) -> str:
        if self.kind == SEEN_AGAIN:
            return "Seen again (known site, no higher grade)"
        return KIND_WORDS[self.kind]

    @property
    def imaging_words(self) -> str:
        return IMAGING_WORDS.get(self.fracture.imaging, self.fracture.imaging)

    @property
    def grade_words(self) -> str:
        grade = self.fracture.genant_grade
        return f"{grade} ({GRADE_WORDS[grade]})" if grade in GRADE_WORDS else "\u2014"

    def line(self) -> str:
        """`10-Mar-2026: T12 Genant grade 2 (moderate) on MRI, 6 weeks postpartum (pregnancy 1); presentation`."""
        f = self.fracture
        grade = f" Genant grade {self.grade_words}" if f.genant_grade is not None else ""
        note = f" Note: {f.note}" if f.note else ""
        return (f"{written_date(f.identified_on)}: {fracture_site_words(f)}{grade} on {self.imaging_words}, "
                f"{self.postpartum.words[0].lower()}{self.postpartum.words[1:]}; {self.kind_words.lower()}.{note}")


@dataclass(frozen=True, slots=True)
class Mark:
    """What the diagram draws on one fractured level."""

    level: str
    grade: int | None          # the highest Genant grade recorded there (None: no grade, e.g. a hip)
    kind: str                  # PRESENTATION, REPEAT or HIGH_TRAUMA
    findings: tuple[FractureFinding, ...]   # oldest first

    @property
    def grade_text(self) -> str:
        return f"G{self.grade}" if self.grade is not None else "Fx"

    @property
    def letter(self) -> str:
        return KIND_LETTERS[self.kind]

    @property
    def text(self) -> str:
        """What is written on the level: `G2 P`, `G3 R`, `Fx P`, `G1 HT`."""
        return f"{self.grade_text} {self.letter}"

    @property
    def fill(self) -> str:
        return grade_fill(self.grade)

    @property
    def hatched(self) -> bool:
        return self.kind == REPEAT

    def grades_over_time(self) -> str:
        """`1 on 02-Jan-2026, then 2 on 10-Mar-2026` (graded sightings only)."""
        graded = [f.fracture for f in self.findings if f.fracture.genant_grade is not None]
        return ", then ".join(f"{f.genant_grade} on {written_date(f.identified_on)}" for f in graded)

    def summary(self) -> str:
        grade = f"Genant grade {self.grade} ({GRADE_WORDS[self.grade]})" if self.grade is not None else "fracture"
        return f"{level_name(self.level)}: {grade}, {KIND_WORDS[self.kind].lower()}"

    def detail(self) -> str:
        """Her history at this level, for the tooltip and the detail text."""
        lines = [self.summary() + "."]
        over_time = self.grades_over_time()
        if over_time and len([f for f in self.findings if f.fracture.genant_grade is not None]) > 1:
            lines.append(f"Genant grade over time: {over_time}.")
        lines.extend(f.line() for f in self.findings)
        return "\n".join(lines)


def fracture_findings(view: PatientView) -> tuple[FractureFinding, ...]:
    """Her fractures identified by the view's day, oldest first, each judged by the gate's facts."""
    facts = clinical_facts(view.record, view.on, view.settings)
    presentation, repeats, fragility = facts.presentation, facts.repeat_fractures, facts.fragility_fractures
    findings = []
    for fracture in sorted(view.fractures, key=lambda f: (f.identified_on, f.ref)):
        if fracture.identified_on > view.on:
            continue
        if fracture in presentation:
            kind = PRESENTATION
        elif fracture in repeats:
            kind = REPEAT
        elif fracture in fragility:
            kind = SEEN_AGAIN
        else:
            kind = HIGH_TRAUMA
        findings.append(FractureFinding(fracture, level_of(fracture), kind, postpartum_at(view.record, fracture)))
    return tuple(findings)


def marks_from_findings(findings: tuple[FractureFinding, ...]) -> dict[str, Mark]:
    by_level: dict[str, list[FractureFinding]] = {}
    for finding in findings:
        by_level.setdefault(finding.level, []).append(finding)
    marks = {}
    for level in LEVELS:
        found = by_level.get(level)
        if not found:
            continue
        kinds = {f.kind for f in found}
        kind = REPEAT if REPEAT in kinds else HIGH_TRAUMA if kinds == {HIGH_TRAUMA} else PRESENTATION
        grades = [f.fracture.genant_grade for f in found if f.fracture.genant_grade is not None]
        marks[level] = Mark(level, max(grades) if grades else None, kind, tuple(found))
    return marks


def spine_marks(view: PatientView) -> dict[str, Mark]:
    """Every fractured level on the view's day and what is drawn on it, top to bottom."""
    return marks_from_findings(fracture_findings(view))


# --- geometry (pure) -------------------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class Box:
    x: float
    y: float
    w: float
    h: float

    @property
    def right(self) -> float:
        return self.x + self.w

    @property
    def bottom(self) -> float:
        return self.y + self.h

    def contains(self, px: float, py: float) -> bool:
        return self.x <= px <= self.right and self.y <= py <= self.bottom

    def overlaps(self, other: Box) -> bool:
        return self.x < other.right and other.x < self.right and self.y < other.bottom and other.y < self.bottom

    def rect(self) -> QRectF:
        return QRectF(self.x, self.y, self.w, self.h)


@dataclass(frozen=True, slots=True)
class DiagramLayout:
    width: float
    height: float
    unit: float                  # pixels per height unit (a cervical vertebra is one unit)
    boxes: dict[str, Box]        # every level in LEVELS
    labels: dict[str, Box]       # where each vertebra's name is written (left of it)
    legend: Box
    orientation: Box             # "her right is on the left"

    def level_at(self, px: float, py: float) -> str | None:
        for level, box in self.boxes.items():
            if box.contains(px, py):
                return level
        for level, box in self.labels.items():
            if box.contains(px, py):
                return level
        return None


MARGIN = 6.0
GAP = 0.15          # between vertebrae, in units
_VERTEBRA_HEIGHTS = {"c": 1.0, "t": 1.1, "l": 1.3}
_VERTEBRA_WIDTHS = {"c": 0.15, "t": 0.18, "l": 0.21}   # of the width
# after L5: gap, sacrum (with the pelvis beside it), gap, coccyx / hips, gap, femur (wrists beside), gap, ankle, gap, foot
_SACRUM, _HIPS, _FEMUR, _ANKLE, _FOOT = 2.6, 1.4, 2.4, 1.0, 1.0
TOTAL_UNITS = (sum(_VERTEBRA_HEIGHTS[level[0]] for level in codes.VERTEBRAL_LEVELS)
               + GAP * (len(codes.VERTEBRAL_LEVELS) - 1)
               + 0.3 + _SACRUM + GAP + _HIPS + 0.3 + _FEMUR + 0.2 + _ANKLE + GAP + _FOOT)
PREFERRED_SIZE = (400, 720)
MINIMUM_SIZE = (340, 500)


def diagram_layout(width: float, height: float) -> DiagramLayout:
    """Every level's box for a diagram of this size (pixels), top to bottom; no painting."""
    unit = (height - 2 * MARGIN) / TOTAL_UNITS
    cx = width / 2
    boxes: dict[str, Box] = {}
    labels: dict[str, Box] = {}
    y = MARGIN
    for n, level in enumerate(codes.VERTEBRAL_LEVELS):
        h = _VERTEBRA_HEIGHTS[level[0]] * unit
        w = _VERTEBRA_WIDTHS[level[0]] * width
        boxes[level] = Box(cx - w / 2, y, w, h)
        labels[level] = Box(cx - w / 2 - 0.115 * width, y, 0.09 * width, h)
        y += h + (GAP * unit if n < len(codes.VERTEBRAL_LEVELS) - 1 else 0)
    thoracic_top = boxes["t4"].y
    thoracic_bottom = boxes["t9"].bottom

    def pair(site: str, x_from: float, x_to: float, top: float, h: float) -> None:
        """Her right on the viewer's left; her left mirrored."""
        boxes[f"{site}:right"] = Box(x_from * width, top, (x_to - x_from) * width, h)
        boxes[f"{site}:left"] = Box((1 - x_to) * width, top, (x_to - x_from) * width, h)

    pair("rib", 0.03, 0.27, thoracic_top, thoracic_bottom - thoracic_top)
    y += 0.3 * unit
    sacrum_w = 0.20 * width
    boxes["sacrum"] = Box(cx - sacrum_w / 2, y, sacrum_w, _SACRUM * unit)
    pair("pelvis", 0.08, 0.5 - 0.10 - 0.012, y, _SACRUM * unit)
    y += _SACRUM * unit + GAP * unit
    coccyx_w = 0.12 * width
    boxes["coccyx"] = Box(cx - coccyx_w / 2, y, coccyx_w, 0.8 * unit)
    pair("hip", 0.16, 0.38, y, _HIPS * unit)
    y += _HIPS * unit + 0.3 * unit
    pair("femur", 0.16, 0.38, y, _FEMUR * unit)
    pair("wrist", 0.005, 0.145, y, 1.7 * unit)
    y += _FEMUR * unit + 0.2 * unit
    pair("ankle", 0.16, 0.38, y, _ANKLE * unit)
    other_top = y
    y += _ANKLE * unit + GAP * unit
    pair("foot", 0.16, 0.38, y, _FOOT * unit)
    boxes["other"] = Box(cx - 0.10 * width, other_top, 0.20 * width, y + _FOOT * unit - other_top)
    legend_top = MARGIN
    legend_bottom = boxes["rib:left"].y - 0.3 * unit
    legend = Box(0.60 * width, legend_top, 0.40 * width - MARGIN, legend_bottom - legend_top)
    orientation = Box(MARGIN, MARGIN, min(labels[level].x for level in codes.VERTEBRAL_LEVELS[:7]) - 4 - MARGIN,
                      boxes["c7"].bottom - MARGIN)
    return DiagramLayout(width, height, unit, {level: boxes[level] for level in LEVELS}, labels, legend, orientation)


def legend_entries() -> tuple[tuple[str, str, str], ...]:
    """(what the swatch shows, its text, its style) for the legend, top to bottom."""
    return (
        ("G0", "None (grade 0)", "grade:0"),
        ("G1", "Mild (grade 1)", "grade:1"),
        ("G2", "Moderate (2)", "grade:2"),
        ("G3", "Severe (3)", "grade:3"),
        ("Fx", "Not graded", "ungraded"),
        ("P", "Presentation", PRESENTATION),
        ("R", "Repeat", REPEAT),
        ("HT", "High trauma", HIGH_TRAUMA),
    )


# --- painting -------------------------------------------------------------------------------

def _font(pixels: float, bold: bool = False) -> QFont:
    font = QFont()
    font.setPixelSize(max(8, int(pixels)))
    font.setBold(bold)
    return font


def _fit_font(text: str, width: float, height: float, bold: bool = True, largest: float = 13) -> QFont:
    size = min(largest, height * 0.78)
    font = _font(size, bold)
    while size > 8 and QFontMetrics(font).horizontalAdvance(text) > width:
        size -= 1
        font = _font(size, bold)
    return font


def _outline_pen(kind: str | None, ungraded: bool) -> QPen:
    if kind is None:
        return QPen(QColor(FAINT_INK), 1.0)
    pen = QPen(QColor(INK), 2.6 if kind == REPEAT else 1.6)
    if kind == HIGH_TRAUMA:
        pen.setStyle(Qt.PenStyle.DotLine)
        pen.setWidthF(2.0)
    return pen


def paint_diagram(painter: QPainter, layout: DiagramLayout, marks: dict[str, Mark],
                  selected: str | None = None, hovered: str | None = None) -> None:
    """Draw the whole diagram (background included) for the layout and marks."""
    painter.setRenderHint(QPainter.RenderHint.Antialiasing, True)
    painter.fillRect(QRectF(0, 0, layout.width, layout.height), QColor("#ffffff"))
    _paint_orientation(painter, layout.orientation)
    _paint_legend(painter, layout.legend)
    # the spinal column's line behind the vertebrae
    painter.setPen(QPen(QColor("#c9d0d3"), 2.0))
    top, bottom = layout.boxes["c1"], layout.boxes["coccyx"]
    painter.drawLine(QPointF(layout.width / 2, top.y), QPointF(layout.width / 2, bottom.bottom))
    for level in LEVELS:
        _paint_level(painter, level, layout.boxes[level], marks.get(level), layout)
    for level, box in layout.labels.items():
        mark = marks.get(level)
        painter.setFont(_fit_font("T12", box.w, box.h, bold=mark is not None, largest=12))
        painter.setPen(QColor(INK if mark else FAINT_INK))
        painter.drawText(box.rect(), int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter), level_name(level))
    for level, width, style in ((hovered, 1.5, Qt.PenStyle.SolidLine), (selected, 3.0, Qt.PenStyle.DashLine)):
        if level and level in layout.boxes:
            pen = QPen(QColor(SELECTED), width)
            pen.setStyle(style)
            painter.setPen(pen)
            painter.setBrush(Qt.BrushStyle.NoBrush)
            painter.drawRoundedRect(layout.boxes[level].rect().adjusted(-3, -2, 3, 2), 4, 4)
    if selected and selected in layout.boxes:   # a pointer too, so the selection is not colour alone
        box = layout.boxes[selected]
        tip = QPointF(box.right + 5, box.y + box.h / 2)
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(QColor(SELECTED))
        painter.drawPolygon(QPolygonF([tip, QPointF(tip.x() + 9, tip.y() - 6), QPointF(tip.x() + 9, tip.y() + 6)]))


def _paint_shape(painter: QPainter, level: str, rect: QRectF) -> None:
    if level == "sacrum":   # a downward-pointing wedge
        painter.drawPolygon(QPolygonF([rect.topLeft(), rect.topRight(),
                                       QPointF(rect.center().x() + rect.width() * 0.18, rect.bottom()),
                                       QPointF(rect.center().x() - rect.width() * 0.18, rect.bottom())]))
    else:
        radius = min(rect.height(), rect.width()) * (0.22 if level in codes.VERTEBRAL_LEVELS else 0.15)
        painter.drawRoundedRect(rect, radius, radius)


def _paint_level(painter: QPainter, level: str, box: Box, mark: Mark | None, layout: DiagramLayout) -> None:
    rect = box.rect()
    ungraded = mark is not None and mark.grade is None
    fill = QColor(mark.fill if mark else ("#fbfbfa" if level in codes.VERTEBRAL_LEVELS else "#f6f7f7"))
    painter.setPen(_outline_pen(mark.kind if mark else None, ungraded))
    painter.setBrush(fill)
    _paint_shape(painter, level, rect)
    if mark is not None and mark.hatched:
        hatch = QBrush(QColor(INK), Qt.BrushStyle.BDiagPattern)
        painter.setBrush(hatch)
        _paint_shape(painter, level, rect)
    if ungraded:   # the double outline of a fracture without a grade
        painter.setBrush(Qt.BrushStyle.NoBrush)
        painter.setPen(QPen(QColor(INK), 1.0))
        _paint_shape(painter, level, rect.adjusted(3, 3, -3, -3))
    vertebra = level in codes.VERTEBRAL_LEVELS
    if mark is None:
        if not vertebra:
            painter.setPen(QColor(FAINT_INK))
            painter.setFont(_fit_font(short_name(level), rect.width() - 4, min(rect.height(), layout.unit * 1.1),
                                      bold=False, largest=12))
            painter.drawText(rect, int(Qt.AlignmentFlag.AlignCenter), short_name(level))
        return
    text = mark.text if vertebra else f"{short_name(level)} {mark.text}"
    plate_h = min(rect.height() - 2, max(layout.unit * 0.95, 11))
    if not vertebra and QFontMetrics(_font(9, True)).horizontalAdvance(text) > rect.width() - 8:
        if rect.height() >= 24:   # the name above the mark
            text = f"{short_name(level)}\n{mark.text}"
            plate_h = rect.height() - 4
        else:
            text = mark.text
    lines = text.split("\n")
    longest = max(lines, key=lambda t: QFontMetrics(_font(10, True)).horizontalAdvance(t))
    font = _fit_font(longest, rect.width() * (0.6 if vertebra else 0.9), plate_h / len(lines))
    metrics = QFontMetrics(font)
    plate_w = min(rect.width() - 6, metrics.horizontalAdvance(longest) + 8)
    plate = QRectF(rect.center().x() - plate_w / 2, rect.center().y() - plate_h / 2, plate_w, plate_h)
    painter.setPen(QPen(QColor(INK), 0.8))
    painter.setBrush(QColor("#ffffff"))
    painter.drawRoundedRect(plate, 3, 3)
    painter.setFont(font)
    painter.setPen(QColor("#000000"))
    painter.drawText(plate, int(Qt.AlignmentFlag.AlignCenter), text)


def _paint_orientation(painter: QPainter, box: Box) -> None:
    painter.setPen(QColor(INK))
    painter.setFont(_font(min(12, box.h / 6)))
    painter.drawText(box.rect(), int(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignTop | Qt.TextFlag.TextWordWrap),
                     "Seen from the front: her right is on the left (R), her left on the right (L).")


def _paint_legend(painter: QPainter, box: Box) -> None:
    entries = legend_entries()
    line = box.h / (len(entries) + 1)
    painter.setPen(QColor(INK))
    text_px = min(12, line * 0.72)
    painter.setFont(_font(text_px, bold=True))
    painter.drawText(QRectF(box.x, box.y, box.w, line), int(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter),
                     "Key: Genant grade")
    swatch_w = min(30.0, box.w * 0.2)
    for n, (code, words, style) in enumerate(entries):
        y = box.y + line * (n + 1)
        swatch = QRectF(box.x, y + 1.5, swatch_w, line - 3)
        kind = style if style in KIND_LETTERS else PRESENTATION
        if style.startswith("grade:"):
            grade = int(style.split(":")[1])
            painter.setPen(_outline_pen(PRESENTATION if grade else None, False))
            painter.setBrush(QColor(GRADE_FILLS[grade]))
        else:
            painter.setPen(_outline_pen(kind, style == "ungraded"))
            painter.setBrush(QColor(GRADE_FILLS[2] if style in (PRESENTATION, REPEAT) else "#ffffff"))
        painter.drawRoundedRect(swatch, 3, 3)
        if style == REPEAT:
            painter.setBrush(QBrush(QColor(INK), Qt.BrushStyle.BDiagPattern))
            painter.drawRoundedRect(swatch, 3, 3)
        if style == "ungraded":
            painter.setBrush(Qt.BrushStyle.NoBrush)
            painter.setPen(QPen(QColor(INK), 1.0))
            painter.drawRoundedRect(swatch.adjusted(2.5, 2.5, -2.5, -2.5), 2, 2)
        painter.setFont(_font(text_px * 0.9, bold=True))
        metrics = QFontMetrics(painter.font())
        plate_w = metrics.horizontalAdvance(code) + 4
        plate = QRectF(swatch.center().x() - plate_w / 2, swatch.y() + 1, plate_w, swatch.height() - 2)
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(QColor("#ffffff"))
        painter.drawRect(plate)
        painter.setPen(QColor("#000000"))
        painter.drawText(plate, int(Qt.AlignmentFlag.AlignCenter), code)
        painter.setFont(_font(text_px))
        painter.setPen(QColor(INK))
        painter.drawText(QRectF(swatch.right() + 5, y, box.w - swatch_w - 5, line),
                         int(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter), words)


def render_marks(marks: dict[str, Mark], width: int, height: int, selected: str | None = None) -> QImage:
    """The diagram as an image on white (for printing and letters)."""
    image = QImage(width, height, QImage.Format.Format_RGB32)
    image.fill(QColor("#ffffff"))
    painter = QPainter(image)
    try:
        paint_diagram(painter, diagram_layout(width, height), marks, selected)
    finally:
        painter.end()
    return image


# --- the widget ------------------------------------------------------------------------------

class SpineDiagram(QWidget):
    """Her fractured levels on a drawn spine and hips; hover for a level's history, click to choose it."""

    level_clicked = Signal(str)     # the level's key: "t12", "hip:left", "other"

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("spineDiagram")
        self.setAccessibleName("Spine diagram of her fractures")
        self.setMouseTracking(True)
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.setMinimumSize(*MINIMUM_SIZE)
        self.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Expanding)
        self.marks: dict[str, Mark] = {}
        self.selected_level: str | None = None
        self.hovered_level: str | None = None
        self.on: date | None = None

    # -- contents --------------------------------------------------------------------------
    def show_view(self, view: PatientView) -> None:
        self.set_marks(spine_marks(view))
        self.on = view.on

    def set_marks(self, marks: dict[str, Mark]) -> None:
        self.marks = dict(marks)
        if self.selected_level not in self.marks:
            self.selected_level = None
        self.setAccessibleDescription(self.summary())
        self.update()

    def summary(self) -> str:
        if not self.marks:
            return "No fractures on record."
        return "; ".join(mark.summary() for mark in self.marks.values()) + "."

    def tooltip_for(self, level: str) -> str:
        mark = self.marks.get(level)
        if mark is None:
            return f"{level_name(level)}: no fracture on record."
        return mark.detail()

    def detail_text(self) -> str:
        """The chosen level's history (what the section shows under the diagram)."""
        if self.selected_level is None:
            return "Point at a level for its history; click it to pick out its fractures in the table."
        return self.tooltip_for(self.selected_level)

    def layout_now(self) -> DiagramLayout:
        return diagram_layout(self.width(), self.height())

    def select_level(self, level: str | None) -> None:
        """Choose a level (None: none) without emitting level_clicked."""
        self.selected_level = level if level in LEVELS else None
        self.update()

    def click_level(self, level: str) -> None:
        """As a click on the level: choose it and say so."""
        self.select_level(level)
        self.level_clicked.emit(level)

    def render_to_image(self, width: int, height: int) -> QImage:
        return render_marks(self.marks, width, height, self.selected_level)

    # -- Qt ----------------------------------------------------------------------------------
    def sizeHint(self):
        from PySide6.QtCore import QSize
        return QSize(*PREFERRED_SIZE)

    def paintEvent(self, _event) -> None:
        painter = QPainter(self)
        try:
            paint_diagram(painter, self.layout_now(), self.marks, self.selected_level, self.hovered_level)
        finally:
            painter.end()

    def mouseMoveEvent(self, event) -> None:
        level = self.layout_now().level_at(event.position().x(), event.position().y())
        if level != self.hovered_level:
            self.hovered_level = level
            self.setCursor(Qt.CursorShape.PointingHandCursor if level else Qt.CursorShape.ArrowCursor)
            self.update()
        super().mouseMoveEvent(event)

    def leaveEvent(self, event) -> None:
        self.hovered_level = None
        self.update()
        super().leaveEvent(event)

    def mousePressEvent(self, event) -> None:
        if event.button() == Qt.MouseButton.LeftButton:
            level = self.layout_now().level_at(event.position().x(), event.position().y())
            if level is not None:
                self.click_level(level)
                return
        super().mousePressEvent(event)

    def event(self, event) -> bool:
        from PySide6.QtCore import QEvent
        if event.type() == QEvent.Type.ToolTip:
            level = self.layout_now().level_at(event.pos().x(), event.pos().y())
            if level is None:
                QToolTip.hideText()
                event.ignore()
            else:
                QToolTip.showText(event.globalPos(), self.tooltip_for(level), self)
            return True
        return super().event(event)

    def keyPressEvent(self, event) -> None:
        """Up and Down step through her fractured levels; Enter or Space chooses one."""
        fractured = list(self.marks)
        key = event.key()
        if fractured and key in (Qt.Key.Key_Up, Qt.Key.Key_Down):
            if self.selected_level in fractured:
                n = fractured.index(self.selected_level) + (1 if key == Qt.Key.Key_Down else -1)
            else:
                n = 0 if key == Qt.Key.Key_Down else len(fractured) - 1
            self.click_level(fractured[max(0, min(n, len(fractured) - 1))])
            return
        if key in (Qt.Key.Key_Return, Qt.Key.Key_Enter, Qt.Key.Key_Space) and self.selected_level:
            self.level_clicked.emit(self.selected_level)
            return
        super().keyPressEvent(event)


__all__ = [
    "IMAGING_WORDS", "GRADE_WORDS", "GRADE_FILLS", "PRESENTATION", "REPEAT", "HIGH_TRAUMA", "SEEN_AGAIN", "LEVELS",
    "Box", "DiagramLayout", "FractureFinding", "Mark", "Postpartum", "SpineDiagram",
    "diagram_layout", "fracture_findings", "grade_fill", "level_name", "level_of", "luminance",
    "marks_from_findings", "paint_diagram", "postpartum_at", "render_marks", "spine_marks",
]
