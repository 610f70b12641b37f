"""The printed patient summary: one woman's story for the consultant and the clinic meeting.

`build_summary_content(record, today=..., ...)` gathers, as one frozen value, what the
summary shows: her demographics and GP, the clinical summary and safety alerts, her
timeline (`pao_clinic.timeline.patient_timeline`, the same values the window draws),
the letter's tables (pregnancies, fractures, DEXA with Z-scores first, bloods,
medications; built by `letters.content`), her referrals, the treatment decisions with
their reasons, and the worklist tasks open for her (`gate.patient_tasks`).

`render_summary_pdf(content)` lays it out with reportlab: the letter's styles, tables
and DejaVu Sans font (`letters.pdf`), her name, date of birth and NHS number on every
page, "Page N of M" in the footer, and the timeline as a chart drawn with
`reportlab.graphics` (pregnancies as eras with the delivery marked, breastfeeding and
medication courses as bars, fractures as markers shaped by site and coloured by their
part in her story, DEXA Z-scores as points on their own scale, referrals and decisions
as events, and a line at today).  The same content renders to the same bytes.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from io import BytesIO

from reportlab.graphics.shapes import Circle, Drawing, Line, Polygon, PolyLine, Rect, String
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.pdfbase.pdfmetrics import stringWidth
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import BaseDocTemplate, Frame, KeepTogether, PageTemplate, Paragraph, Spacer
from reportlab.platypus import Table as PdfTable, TableStyle

from pao_clinic.clinic_settings import DEFAULT_SETTINGS, ClinicSettings
from pao_clinic.gate import WorklistTask, patient_tasks
from pao_clinic.gate.task_words import task_words
from pao_clinic.letters.content import (
    ROLE_WORDS, SPECIALTY_NAMES, Letterhead, Table, _address, _blood_table, _breastfeeding_lines,
    _clinical_summary, _decision_lines, _dexa_table, _fracture_table, _medication_table, _pregnancy_table,
    _risk_factor_lines, _safety_alerts, gp_recipient, patient_heading,
)
from pao_clinic.letters.pdf import (
    draw_identifier_band, page_numbered_canvas,
    ACCENT, BAND, FONT, FONT_BOLD, FRAME_WIDTH, HEADER_HEIGHT, INK, MARGIN, MUTED, PAGE_HEIGHT, RULE, URGENT,
    _Letter, _plain, _text, register_fonts,
)
from pao_clinic.letters.templates import NOT_RECORDED
from pao_clinic.record import PatientRecord, codes
from pao_clinic.record.dates import age_on, written_date
from pao_clinic.record.nhs_number import format_nhs_number
from pao_clinic.timeline import (
    BAR, CREATED, HIGH_TRAUMA, LANE_DECISIONS, LANE_DEXA, LANE_FEEDING, LANE_FRACTURES, LANE_MEDICATIONS,
    LANE_PREGNANCIES, LANE_REFERRALS, PRESENTATION, REPEAT, REVIEW, SEEN, SEEN_AGAIN, SENT, Timeline, TimelineItem,
    patient_timeline,
)

PRIORITY_WORDS = {"urgent": "Urgent", "high": "High", "routine": "Routine"}
STATUS_WORDS = {"draft": "draft (not sent)", "sent": "sent", "acknowledged": "acknowledged", "booked": "booked",
                "seen": "seen", "declined": "declined", "cancelled": "cancelled"}


@dataclass(frozen=True, slots=True)
class SummaryContent:
    """Everything the patient summary shows, in the order it shows it."""

    prepared_on: date
    prepared_by: str                   # "Dr Mei Chen, Consultant"
    clinic_name: str
    patient_heading: str               # WIŚNIEWSKA-O'BRIEN, Łucja
    date_of_birth: str
    age: int
    nhs_number: str | None             # 943 476 5919
    hospital_number: str | None
    demographics: tuple[tuple[str, str | None], ...]
    clinical_summary: tuple[str, ...]
    safety_alerts: tuple[str, ...]
    timeline: Timeline
    pregnancies: Table
    breastfeeding: tuple[str, ...]
    fractures: Table
    dexa: Table
    dexa_notes: tuple[str, ...]
    bloods: Table
    medications: Table
    referrals: Table
    decisions: tuple[str, ...]
    tasks: tuple[WorklistTask, ...]
    risk_factors: tuple[str, ...]

    @property
    def identifier_line(self) -> str:
        """The line at the top of every page (as on her letters)."""
        line = f"{self.patient_heading}   DOB {self.date_of_birth}   NHS {self.nhs_number or NOT_RECORDED}"
        if self.hospital_number:
            line += f"   Hospital no. {self.hospital_number}"
        return line


def _referral_table(record: PatientRecord, today: date) -> Table:
    rows = []
    for r in sorted(record.referrals, key=lambda r: (r.created_on, r.ref)):
        if r.created_on > today:
            continue
        rows.append((SPECIALTY_NAMES.get(r.specialty, r.specialty), r.urgency, STATUS_WORDS.get(r.status, r.status),
                     written_date(r.created_on), written_date(r.sent_on) if r.sent_on else "-",
                     written_date(r.seen_on) if r.seen_on else "-", r.reason))
    return Table(("Referred to", "Urgency", "Status", "Created", "Sent", "Seen", "Reason"), tuple(rows))


def build_summary_content(record: PatientRecord, *, today: date, prepared_by: str, prepared_by_role: str,
                          letterhead: Letterhead = Letterhead(),
                          settings: ClinicSettings = DEFAULT_SETTINGS) -> SummaryContent:
    """Her summary as on `today` (plain values in, a plain value out)."""
    contact, gp = record.contact, gp_recipient(record)
    gp_line = ", ".join(x for x in (record.gp.name if record.gp else None, gp.organisation) if x) or None
    if gp_line and gp.address:
        gp_line += ", " + gp.address.replace("\n", ", ")
    demographics = (
        ("Name", patient_heading(record)),
        ("Date of birth", f"{written_date(record.date_of_birth)} (age {age_on(record.date_of_birth, today)})"),
        ("NHS number", format_nhs_number(record.nhs_number) if record.nhs_number else None),
        ("Hospital number", record.hospital_number or None),
        ("Address", _address(contact.address, contact.postcode) if contact else None),
        ("Telephone", contact.phone if contact else None),
        ("Email", contact.email if contact else None),
        ("GP", gp_line),
    )
    dexa, dexa_notes = _dexa_table(record, today, settings)
    bloods, _stale = _blood_table(record, today, settings)
    tasks = tuple(sorted(patient_tasks(record, today, settings), key=lambda t: t.sort_key))
    return SummaryContent(
        prepared_on=today,
        prepared_by=f"{prepared_by}, {ROLE_WORDS.get(prepared_by_role, prepared_by_role)}",
        clinic_name=letterhead.name,
        patient_heading=patient_heading(record),
        date_of_birth=written_date(record.date_of_birth),
        age=age_on(record.date_of_birth, today),
        nhs_number=format_nhs_number(record.nhs_number) if record.nhs_number else None,
        hospital_number=record.hospital_number or None,
        demographics=demographics,
        clinical_summary=_clinical_summary(record, today, settings),
        safety_alerts=_safety_alerts(record, today, settings),
        timeline=patient_timeline(record, today, settings),
        pregnancies=_pregnancy_table(record),
        breastfeeding=_breastfeeding_lines(record, today),
        fractures=_fracture_table(record, today, settings),
        dexa=dexa,
        dexa_notes=dexa_notes,
        bloods=bloods,
        medications=_medication_table(record, today),
        referrals=_referral_table(record, today),
        decisions=_decision_lines(record, today),
        tasks=tasks,
        risk_factors=_risk_factor_lines(record, today),
    )


# --- the timeline chart -------------------------------------------------------------------

PREGNANCY_FILL = colors.HexColor("#f4dde7")
PREGNANCY_LINE = colors.HexColor("#a34d78")
FEEDING_FILL = colors.HexColor("#7fbf9f")
DRUG_FILL = ACCENT
SUPPLEMENT_FILL = colors.HexColor("#9aa7ae")
REPEAT_COLOUR = colors.HexColor("#c26100")
SEEN_AGAIN_COLOUR = colors.HexColor("#7c8890")
LATER_COLOUR = colors.HexColor("#b8c2c8")
DECISION_COLOUR = colors.HexColor("#4a3d8f")
GRID = colors.HexColor("#dde4e8")

LABEL_WIDTH = 31 * mm
AXIS_HEIGHT = 13
TOP_SPACE = 11
LANE_HEIGHTS = {LANE_PREGNANCIES: 18, LANE_FEEDING: 13, LANE_FRACTURES: 30, LANE_DEXA: 56,
                LANE_REFERRALS: 22, LANE_DECISIONS: 22}
DRUG_ROW = 10
MEDICATION_HEAD = 11     # the lane's name above its drug rows
MIN_SPAN_DAYS = 240
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def _site_group(site: str | None) -> str:
    if site in codes.VERTEBRAL_LEVELS:
        return "vertebra"
    if site in ("hip", "pelvis", "sacrum", "coccyx", "femur"):
        return "hip_pelvis"
    if site in ("wrist", "rib"):
        return "wrist_rib"
    return "other"


FRACTURE_SHAPES = {"vertebra": "square", "hip_pelvis": "triangle", "wrist_rib": "diamond", "other": "circle"}
FRACTURE_SHAPE_WORDS = (("square", "vertebra"), ("triangle", "hip, pelvis, femur"), ("diamond", "wrist, rib"),
                        ("circle", "other site"))
DEXA_SHAPES = {"lumbar_spine": "circle", "total_hip": "square", "femoral_neck": "triangle", "forearm": "diamond"}
ROLE_COLOURS = {PRESENTATION: URGENT, REPEAT: REPEAT_COLOUR, SEEN_AGAIN: SEEN_AGAIN_COLOUR, HIGH_TRAUMA: INK}


def _marker(shape: str, x: float, y: float, size: float, fill, stroke=None, hollow: bool = False):
    """A marker centred on (x, y); `size` is its width."""
    h = size / 2
    kwargs = dict(fillColor=None if hollow else fill, strokeColor=stroke or fill, strokeWidth=0.8 if hollow else 0.4)
    if shape == "square":
        return Rect(x - h * 0.85, y - h * 0.85, h * 1.7, h * 1.7, **kwargs)
    if shape == "triangle":
        return Polygon([x - h, y - h * 0.85, x + h, y - h * 0.85, x, y + h], **kwargs)
    if shape == "down":
        return Polygon([x - h, y + h * 0.85, x + h, y + h * 0.85, x, y - h], **kwargs)
    if shape == "diamond":
        return Polygon([x, y - h * 1.1, x + h, y, x, y + h * 1.1, x - h, y], **kwargs)
    return Circle(x, y, h * 0.95, **kwargs)


class _Labels:
    """Places short labels in a few rows so that none overlaps another; a label with no room is left out."""

    def __init__(self, rows: tuple[float, ...], left: float, right: float, size: float = 5.6):
        self.rows, self.left, self.right, self.size = rows, left, right, size
        self.ends = [left - 1e9 for _ in rows]

    def place(self, drawing: Drawing, x: float, text: str, colour=INK) -> bool:
        width = stringWidth(text, FONT, self.size)
        start = min(max(x - width / 2, self.left), self.right - width)
        for n, y in enumerate(self.rows):
            if start >= self.ends[n] + 2:
                drawing.add(String(start, y, text, fontName=FONT, fontSize=self.size, fillColor=colour))
                self.ends[n] = start + width
                return True
        return False


def _clusters(points: list[tuple[float, TimelineItem]], gap: float) -> list[list[tuple[float, TimelineItem]]]:
    groups: list[list[tuple[float, TimelineItem]]] = []
    for x, item in sorted(points, key=lambda p: (p[0], p[1].ref or "", p[1].label)):
        if groups and x - groups[-1][0][0] <= gap:
            groups[-1].append((x, item))
        else:
            groups.append([(x, item)])
    return groups


class _Chart:
    """The timeline as a reportlab Drawing `width` points wide."""

    def __init__(self, timeline: Timeline, width: float):
        self.t = timeline
        self.width = width
        first, last = timeline.extent()
        span = max((last - first).days, 1)
        if span < MIN_SPAN_DAYS:
            first -= timedelta(days=MIN_SPAN_DAYS - span)
            span = MIN_SPAN_DAYS
        pad = max(10, round(span * 0.025))
        self.first, self.last = first - timedelta(days=pad), last + timedelta(days=pad)
        self.x0, self.x1 = LABEL_WIDTH, width - 3
        self.drugs = self._drug_rows()
        heights = dict(LANE_HEIGHTS)
        heights[LANE_MEDICATIONS] = MEDICATION_HEAD + DRUG_ROW * max(len(self.drugs), 1) + 2
        self.lanes = [(lane, heights[lane]) for lane in timeline.lanes if lane in heights]
        self.height = TOP_SPACE + sum(h for _lane, h in self.lanes) + AXIS_HEIGHT

    def x(self, day: date) -> float:
        days = (self.last - self.first).days
        return self.x0 + (day - self.first).days / days * (self.x1 - self.x0)

    def _drug_rows(self) -> list[str]:
        rows: list[str] = []
        for item in sorted(self.t.in_lane(LANE_MEDICATIONS), key=lambda i: (i.start, i.drug or "")):
            if item.drug not in rows:
                rows.append(item.drug)
        return rows

    # -- the frame --------------------------------------------------------------------
    def drawing(self) -> Drawing:
        d = Drawing(self.width, self.height)
        top = self.height - TOP_SPACE
        spans = {}
        for n, (lane, h) in enumerate(self.lanes):
            spans[lane] = (top - h, top)
            if n % 2 == 0:
                d.add(Rect(0, top - h, self.width, h, fillColor=BAND, strokeColor=None))
            d.add(String(3, top - h / 2 - 2.5 if lane != LANE_MEDICATIONS else top - 8.5, lane,
                         fontName=FONT_BOLD, fontSize=6.8, fillColor=INK))
            top -= h
        self._axis(d)
        for lane, (bottom, lane_top) in spans.items():
            draw = {LANE_PREGNANCIES: self._pregnancies, LANE_FEEDING: self._feeding, LANE_FRACTURES: self._fractures,
                    LANE_DEXA: self._dexa, LANE_MEDICATIONS: self._medications, LANE_REFERRALS: self._referrals,
                    LANE_DECISIONS: self._decisions}[lane]
            draw(d, bottom, lane_top)
        today = self.x(self.t.on)
        d.add(Line(today, AXIS_HEIGHT, today, self.height - TOP_SPACE + 2, strokeColor=URGENT, strokeWidth=0.8,
                   strokeDashArray=[2, 1.5]))
        label = f"today {written_date(self.t.on)}"
        w = stringWidth(label, FONT_BOLD, 6)
        d.add(String(min(today - w / 2, self.width - w), self.height - TOP_SPACE + 4, label, fontName=FONT_BOLD,
                     fontSize=6, fillColor=URGENT))
        d.add(Line(self.x0, AXIS_HEIGHT, self.x0, self.height - TOP_SPACE, strokeColor=RULE, strokeWidth=0.5))
        return d

    def _axis(self, d: Drawing) -> None:
        d.add(Line(self.x0, AXIS_HEIGHT, self.x1, AXIS_HEIGHT, strokeColor=MUTED, strokeWidth=0.6))
        months = (self.last.year - self.first.year) * 12 + self.last.month - self.first.month + 1
        step = next((s for s in (1, 2, 3, 6, 12, 24, 36, 60, 120) if months / s <= 11), 240)
        year, month = self.first.year, self.first.month
        while True:
            day = date(year, month, 1)
            if day > self.last:
                break
            index = year * 12 + month - 1
            if day >= self.first and index % step == 0:
                x = self.x(day)
                d.add(Line(x, AXIS_HEIGHT, x, self.height - TOP_SPACE, strokeColor=GRID, strokeWidth=0.4))
                d.add(Line(x, AXIS_HEIGHT - 2.5, x, AXIS_HEIGHT, strokeColor=MUTED, strokeWidth=0.6))
                text = str(year) if step >= 12 else f"{_MONTHS[month - 1]} {year}"
                w = stringWidth(text, FONT, 6)
                d.add(String(x - w / 2, AXIS_HEIGHT - 9, text, fontName=FONT, fontSize=6, fillColor=MUTED))
            month += 1
            if month > 12:
                year, month = year + 1, 1

    # -- the lanes -------------------------------------------------------------------
    def _span(self, item: TimelineItem) -> tuple[float, float]:
        a, b = self.x(item.start), self.x(item.end)
        return a, max(b - a, 1.6)

    def _pregnancies(self, d: Drawing, bottom: float, top: float) -> None:
        for item in self.t.in_lane(LANE_PREGNANCIES):
            a, w = self._span(item)
            y, h = bottom + 4, top - bottom - 8
            dash = [2, 1.2] if item.end_planned else None
            d.add(Rect(a, y, w, h, fillColor=PREGNANCY_FILL, strokeColor=PREGNANCY_LINE, strokeWidth=0.5,
                       strokeDashArray=dash))
            number = item.label.split(":")[0].replace("Pregnancy ", "P")
            if w > stringWidth(number, FONT_BOLD, 6) + 3:
                d.add(String(a + 2, y + h / 2 - 2, number, fontName=FONT_BOLD, fontSize=6, fillColor=PREGNANCY_LINE))
            if not item.end_planned:   # the delivery, or the day it ended
                end = self.x(item.end)
                d.add(Line(end, y - 2, end, y + h + 2, strokeColor=PREGNANCY_LINE, strokeWidth=1.1))
                d.add(_marker("down", end, y + h + 2.2, 4.2, PREGNANCY_LINE))

    def _feeding(self, d: Drawing, bottom: float, top: float) -> None:
        y = bottom + (top - bottom) / 2 - 2.5
        for item in self.t.in_lane(LANE_FEEDING):
            if item.shape == BAR:
                a, w = self._span(item)
                d.add(Rect(a, y, w, 5, fillColor=FEEDING_FILL, strokeColor=colors.HexColor("#3f8a66"),
                           strokeWidth=0.4, strokeDashArray=[1.5, 1] if (item.ongoing or item.end_planned) else None))
            else:
                d.add(_marker("circle", self.x(item.start), y + 2.5, 4, MUTED, hollow=True))

    def _fractures(self, d: Drawing, bottom: float, top: float) -> None:
        items = self.t.in_lane(LANE_FRACTURES)
        labels = _Labels((bottom + 2.5, bottom + 8.5), self.x0, self.x1)
        marker_base = bottom + 16
        for group in _clusters([(self.x(i.start), i) for i in items], 3.2):
            x = group[0][0]
            for n, (_x, item) in enumerate(group):
                column, row = divmod(n, 3)
                colour = ROLE_COLOURS.get(item.fracture_role, LATER_COLOUR)
                d.add(_marker(FRACTURE_SHAPES[_site_group(item.site)], x + column * 5.2, marker_base + row * 5.0,
                              4.0, colour, hollow=item.fracture_role == HIGH_TRAUMA))
            names = [item.label.split(" G")[0] for _x, item in group]
            text = " ".join(names) if len(names) <= 3 else f"{' '.join(names[:2])} +{len(names) - 2}"
            labels.place(d, x, text)

    def _dexa(self, d: Drawing, bottom: float, top: float) -> None:
        items = [i for i in self.t.in_lane(LANE_DEXA) if i.z_score is not None]
        scores = [i.z_score for i in items]
        low, high = min(scores + [-4.0]) - 0.4, max(scores + [0.5]) + 0.4
        y0, y1 = bottom + 4, top - 4

        def y(z: float) -> float:
            return y0 + (z - low) / (high - low) * (y1 - y0)

        for z in range(int(high), int(low) - 1, -1):
            if not low <= z <= high:
                continue
            colour, dash, weight = ((URGENT, [2, 1.5], 0.5) if z == -2 else (MUTED, None, 0.5) if z == 0
                                    else (GRID, None, 0.4))
            d.add(Line(self.x0, y(z), self.x1, y(z), strokeColor=colour, strokeWidth=weight, strokeDashArray=dash))
            if z % 2 == 0 or high - low < 4.5:   # every other value where the scale is long
                d.add(String(self.x0 - 9, y(z) - 2, str(z).replace("-", "\u2212"), fontName=FONT, fontSize=5.4,
                             fillColor=URGENT if z == -2 else MUTED))
        by_site: dict[str, list[tuple[float, float]]] = {}
        for item in sorted(items, key=lambda i: (i.start, i.site or "")):
            by_site.setdefault(item.site or "", []).append((self.x(item.start), y(item.z_score)))
        for site, points in sorted(by_site.items()):
            if len(points) > 1:
                d.add(PolyLine([v for p in points for v in p], strokeColor=RULE, strokeWidth=0.6))
        last_label_end = self.x0 - 100
        for group in _clusters([(self.x(i.start), i) for i in items], 2.5):
            for x, item in group:
                colour = URGENT if item.z_score <= -2.0 else ACCENT
                d.add(_marker(DEXA_SHAPES.get(item.site, "circle"), x, y(item.z_score), 3.6, colour))
            lowest = min(group, key=lambda p: p[1].z_score)[1]
            text = f"{lowest.z_score:.1f}".replace("-", "\u2212")
            x = group[0][0] + 3.5
            if x > last_label_end + 1.5 and x + stringWidth(text, FONT, 5.4) < self.x1:
                d.add(String(x, y(lowest.z_score) - 2, text, fontName=FONT, fontSize=5.4, fillColor=MUTED))
                last_label_end = x + stringWidth(text, FONT, 5.4)

    def _medications(self, d: Drawing, bottom: float, top: float) -> None:
        for n, drug in enumerate(self.drugs):
            y = top - MEDICATION_HEAD - (n + 1) * DRUG_ROW + 2.5
            name = codes.DRUG_NAMES.get(drug, drug)
            if stringWidth(name, FONT, 5.8) > LABEL_WIDTH - 11:
                while stringWidth(name + "\u2026", FONT, 5.8) > LABEL_WIDTH - 11 and len(name) > 4:
                    name = name[:-1]
                name = name.rstrip() + "\u2026"
            d.add(String(9, y + 1.2, name, fontName=FONT, fontSize=5.8, fillColor=INK))
            fill = SUPPLEMENT_FILL if drug == "calcium_vitamin_d" else DRUG_FILL
            for item in self.t.in_lane(LANE_MEDICATIONS):
                if item.drug != drug:
                    continue
                a, w = self._span(item)
                d.add(Rect(a, y, w, 5.5, fillColor=fill, strokeColor=fill, strokeWidth=0.3))
                if item.ongoing:
                    end = a + w
                    d.add(Polygon([end, y - 1, end + 3, y + 2.75, end, y + 6.5], fillColor=fill, strokeColor=fill,
                                  strokeWidth=0.3))

    def _referrals(self, d: Drawing, bottom: float, top: float) -> None:
        labels = _Labels((bottom + 2.5, bottom + 8.5), self.x0, self.x1)
        y = bottom + 15.5
        shapes = {CREATED: ("triangle", True), SENT: ("triangle", False), SEEN: ("circle", False)}
        items = sorted(self.t.in_lane(LANE_REFERRALS), key=lambda i: (i.start, i.ref or ""))
        for item in items:
            shape, hollow = shapes.get(item.event, ("circle", True))
            d.add(_marker(shape, self.x(item.start), y, 4.2, ACCENT, hollow=hollow))
        for group in _clusters([(self.x(i.start), i) for i in items if i.event == CREATED], 3):
            words = sorted({i.label.replace(" referral created", "") for _x, i in group})
            labels.place(d, group[0][0], words[0] if len(words) == 1 else f"{words[0]} +{len(words) - 1}")

    def _decisions(self, d: Drawing, bottom: float, top: float) -> None:
        labels = _Labels((bottom + 2.5, bottom + 8.5), self.x0, self.x1)
        y = bottom + 15.5
        items = sorted(self.t.in_lane(LANE_DECISIONS), key=lambda i: (i.start, i.event or ""))
        for item in items:
            d.add(_marker("diamond", self.x(item.start), y, 4.4, DECISION_COLOUR, hollow=item.event == REVIEW))
        for group in _clusters([(self.x(i.start), i) for i in items if i.event != REVIEW], 3):
            words = [i.label for _x, i in group]
            labels.place(d, group[0][0], words[-1] if len(words) == 1 else f"{words[-1]} +{len(words) - 1}",
                         DECISION_COLOUR)


def timeline_drawing(timeline: Timeline, width: float) -> Drawing:
    """Her timeline as a chart `width` points wide."""
    return _Chart(timeline, width).drawing()


def legend_drawing(width: float) -> Drawing:
    """What the chart's shapes and colours mean, in two lines."""
    d = Drawing(width, 26)
    size = 5.8

    def entries(y: float, parts) -> None:
        x = 3.0
        for shape, colour, hollow, words in parts:
            if shape == "bar":
                d.add(Rect(x - 3, y - 2, 8, 4.5, fillColor=colour, strokeColor=colour))
                x += 3
            elif shape:
                d.add(_marker(shape, x, y, 4, colour, hollow=hollow))
            x += 5
            d.add(String(x, y - 2, words, fontName=FONT, fontSize=size, fillColor=INK))
            x += stringWidth(words, FONT, size) + 9

    entries(19, [(shape, INK, True, f"fracture: {words}") for shape, words in FRACTURE_SHAPE_WORDS[:2]]
            + [(shape, INK, True, words) for shape, words in FRACTURE_SHAPE_WORDS[2:]]
            + [("circle", URGENT, False, "presentation"), ("circle", REPEAT_COLOUR, False, "repeat"),
               ("circle", SEEN_AGAIN_COLOUR, False, "site seen again"), ("circle", INK, True, "high trauma")])
    entries(6, [("circle", ACCENT, False, "DEXA Z: spine"), ("square", ACCENT, False, "total hip"),
                ("triangle", ACCENT, False, "femoral neck"), ("circle", URGENT, False, "Z \u2264 \u22122"),
                ("down", PREGNANCY_LINE, False, "delivery"), ("bar", FEEDING_FILL, False, "breastfeeding"),
                ("bar", DRUG_FILL, False, "osteoporosis medicine"),
                ("triangle", ACCENT, True, "referral made"), ("triangle", ACCENT, False, "sent"),
                ("diamond", DECISION_COLOUR, False, "decision"), ("diamond", DECISION_COLOUR, True, "review")])
    return d


# --- the document ---------------------------------------------------------------------------

class _Summary(_Letter):
    """The letter's paragraph, heading and table builders, for a summary."""

    def __init__(self, content: SummaryContent):
        super().__init__(content)  # type: ignore[arg-type]  (only the builders are used, not the letter's story)

    def two_columns(self, pairs: tuple[tuple[str, str | None], ...]) -> PdfTable:
        """Label and value pairs in two columns, down the left column first."""
        half = (len(pairs) + 1) // 2
        rows = []
        for n in range(half):
            row = []
            for label, value in (pairs[n], pairs[n + half] if n + half < len(pairs) else ("", "")):
                row += [Paragraph(_text(label), self.s["cell_head"]), self.p(value, "cell") if label else ""]
            rows.append(row)
        widths = [26 * mm, FRAME_WIDTH / 2 - 26 * mm, 20 * mm, FRAME_WIDTH / 2 - 20 * mm]
        table = PdfTable(rows, colWidths=widths, hAlign="LEFT")
        table.setStyle(TableStyle([("VALIGN", (0, 0), (-1, -1), "TOP"), ("LEFTPADDING", (0, 0), (-1, -1), 0),
                                   ("TOPPADDING", (0, 0), (-1, -1), 1.2), ("BOTTOMPADDING", (0, 0), (-1, -1), 1.2)]))
        return table

    def story(self) -> list:
        c: SummaryContent = self.content  # type: ignore[assignment]
        story: list = [
            Paragraph(_text("Patient summary"), self.s["title"]),
            self.p(f"{c.clinic_name}: prepared on {written_date(c.prepared_on)} by {c.prepared_by}, for the "
                   "consultant and the clinic meeting.", "muted"),
            self.heading("Patient"), self.two_columns(c.demographics),
        ]
        chart = [Paragraph(_text("Timeline"), self.s["heading"]), timeline_drawing(c.timeline, FRAME_WIDTH), Spacer(1, 2),
                 legend_drawing(FRAME_WIDTH)]
        if c.timeline.unplaced:
            chart.append(self.p("Not on the chart (no date to place them by): " + "; ".join(c.timeline.unplaced)
                                + ".", "muted"))
        story.append(KeepTogether(chart))
        if c.safety_alerts:
            story += [self.heading("Safety alerts")] + self.bullets(c.safety_alerts)
        story += [self.heading("Clinical summary")] + self.lines(c.clinical_summary)
        story += [self.heading("Open tasks")]
        if c.tasks:
            tasks = Table(("Priority", "Due", "Task", "What to do"),
                          tuple((PRIORITY_WORDS.get(t.priority, t.priority), written_date(t.due_on), task_words(t.code), t.message)
                                for t in c.tasks))
            story += self.table(tasks, (12, 16, 27, 79), empty="")
        else:
            story.append(self.p("No task is open for her today.", "muted"))
        story += [self.heading("Treatment decisions")] + (
            self.bullets(c.decisions) if c.decisions else [self.p("No treatment decision is recorded.", "muted")])

        story += [self.heading("Pregnancies")]
        story += self.table(c.pregnancies, (18, 22, 22, 26, 22), empty="No pregnancy is recorded.")
        story += [self.subheading("Breastfeeding")] + self.lines(c.breastfeeding)
        story += [self.heading("Fractures")]
        story += self.table(c.fractures, (15, 18, 12, 12, 15, 22, 34), empty="No fracture is recorded.")
        story += [self.heading("DEXA (Z-score first)")]
        story += self.table(c.dexa, (17, 17, 11, 26, 11, 12, 40), empty="No DEXA scan is recorded.")
        story += [self.p(note, "muted") for note in c.dexa_notes]
        story += [self.heading("Blood results")]
        story += self.table(c.bloods, (45, 25, 35), empty="No blood result is recorded.")
        story += [self.heading("Medications")]
        story += self.table(c.medications, (30, 28, 18, 18, 12), empty="No medicine is recorded.")
        story += [self.heading("Referrals")]
        story += self.table(c.referrals, (24, 13, 13, 17.5, 17.5, 17.5, 40), empty="No referral is recorded.")
        story += [self.heading("Risk factors")] + (
            self.bullets(c.risk_factors) if c.risk_factors else [self.p("None recorded.", "muted")])
        return story


def _decorate_page(canvas: Canvas, content: SummaryContent, number: int, total: int) -> None:
    """Her identifiers in the band at the top; clinic, date and "Page N of M" at the foot."""
    draw_identifier_band(canvas, content.identifier_line)
    canvas.saveState()
    canvas.setStrokeColor(RULE)
    canvas.line(MARGIN, MARGIN + 1 * mm, MARGIN + FRAME_WIDTH, MARGIN + 1 * mm)
    canvas.setFillColor(MUTED)
    canvas.setFont(FONT, 7.5)
    left = (f"{content.clinic_name} | patient summary | {written_date(content.prepared_on)} | "
            "confidential: for her care team")
    canvas.drawString(MARGIN, MARGIN - 3 * mm, _plain(left))
    canvas.setFont(FONT_BOLD, 7.5)
    canvas.drawRightString(MARGIN + FRAME_WIDTH, MARGIN - 3 * mm, f"Page {number} of {total}")
    canvas.restoreState()


def _numbered_canvas(content: SummaryContent) -> type[Canvas]:
    """Holds its pages until saving, then writes her identifiers and "Page N of M" on each."""
    return page_numbered_canvas(lambda canvas, number, total: _decorate_page(canvas, content, number, total))


def render_summary_pdf(content: SummaryContent) -> bytes:
    """The summary as PDF bytes; the same content gives the same bytes."""
    register_fonts()
    buffer = BytesIO()
    top = PAGE_HEIGHT - MARGIN - HEADER_HEIGHT + 1 * mm
    bottom = MARGIN + 6 * mm
    frame = Frame(MARGIN, bottom, FRAME_WIDTH, top - bottom, id="page", leftPadding=0, rightPadding=0,
                  topPadding=0, bottomPadding=0)
    doc = BaseDocTemplate(
        buffer, pagesize=A4, invariant=1, leftMargin=MARGIN, rightMargin=MARGIN, topMargin=MARGIN,
        bottomMargin=MARGIN, title=_plain(f"Patient summary: {content.patient_heading}"),
        author=_plain(content.prepared_by), subject="Patient summary", creator="PAO Clinic",
        producer="PAO Clinic (reportlab)", initialFontName=FONT,
    )
    doc.addPageTemplates([PageTemplate("page", [frame])])
    doc.build(_Summary(content).story(), canvasmaker=_numbered_canvas(content))
    return buffer.getvalue()


__all__ = ["SummaryContent", "build_summary_content", "legend_drawing", "render_summary_pdf", "timeline_drawing"]
