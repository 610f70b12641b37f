"""A `LetterContent` as PDF bytes, with reportlab platypus.

BaseDocTemplate -> two PageTemplates (the first page carries the letterhead) -> Frames
-> Flowables.  Every page has her name, date of birth and NHS number in a header and
"Page N of M" in the footer (a canvas that keeps its pages until it knows how many
there are); tables break across pages with their header row repeated; drafts carry a
DRAFT watermark.  All text is set in DejaVu Sans (shipped in resources/fonts with its
licence), so every Latin, Latin Extended and Vietnamese name prints and extracts as
written.  User text is escaped: Paragraph parses markup.

The same content renders to the same bytes (reportlab's invariant mode: fixed dates
and document id), so an issued letter can be checked against a reprint.
"""

from __future__ import annotations

import atexit
import unicodedata
from contextlib import ExitStack
from importlib import resources as _resources
from io import BytesIO
from pathlib import Path
from typing import Callable
from xml.sax.saxutils import escape

from reportlab.lib import colors
from reportlab.lib.enums import TA_RIGHT
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.pdfmetrics import stringWidth
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import (
    BaseDocTemplate, CondPageBreak, Frame, KeepTogether, NextPageTemplate, PageTemplate, Paragraph, Spacer,
    Table as PdfTable, TableStyle,
)
from reportlab.lib.fonts import addMapping

from pao_clinic.letters.content import UNNAMED_GP, LetterContent, Recipient, Table
from pao_clinic.letters.templates import NOT_RECORDED, Block
from pao_clinic.record.dates import written_date

FONT = "DejaVuSans"
FONT_BOLD = "DejaVuSans-Bold"
FONT_FILES = {FONT: "fonts/DejaVuSans.ttf", FONT_BOLD: "fonts/DejaVuSans-Bold.ttf"}

PAGE_WIDTH, PAGE_HEIGHT = A4
MARGIN = 18 * mm
HEADER_HEIGHT = 9 * mm          # the band with her identifiers, on every page
LETTERHEAD_HEIGHT = 30 * mm     # first page only
FOOTER_HEIGHT = 10 * mm
FRAME_WIDTH = PAGE_WIDTH - 2 * MARGIN

INK = colors.HexColor("#1d2b36")
ACCENT = colors.HexColor("#0f6b74")
MUTED = colors.HexColor("#5b6770")
RULE = colors.HexColor("#c9d3d8")
BAND = colors.HexColor("#eef3f5")
URGENT = colors.HexColor("#b3261e")
STALE = colors.HexColor("#8a4b00")

_extracted = ExitStack()
atexit.register(_extracted.close)
_fonts_ready = False


def _resource_path(name: str) -> Path:
    """A file of the `resources` package on disk (extracted once if the package is zipped)."""
    traversable = _resources.files("resources").joinpath(*name.split("/"))
    if not traversable.is_file():
        raise FileNotFoundError(f"resource '{name}' is not in the resources package")
    return _extracted.enter_context(_resources.as_file(traversable))


def register_fonts() -> None:
    """Register DejaVu Sans (regular and bold) with reportlab, once per process."""
    global _fonts_ready
    if _fonts_ready:
        return
    for name, file_name in FONT_FILES.items():
        pdfmetrics.registerFont(TTFont(name, str(_resource_path(file_name))))
    for bold, italic, face in ((0, 0, FONT), (1, 0, FONT_BOLD), (0, 1, FONT), (1, 1, FONT_BOLD)):
        addMapping(FONT, bold, italic, face)
    _fonts_ready = True


def _text(value: str) -> str:
    """User text made safe for a Paragraph: composed Unicode, markup escaped, newlines kept."""
    return escape(unicodedata.normalize("NFC", value)).replace("\n", "<br/>")


def _plain(value: str) -> str:
    return unicodedata.normalize("NFC", value)


def _styles() -> dict[str, ParagraphStyle]:
    base = ParagraphStyle("body", fontName=FONT, fontSize=9.2, leading=12.2, textColor=INK, spaceAfter=4)
    return {
        "body": base,
        "small": ParagraphStyle("small", parent=base, fontSize=8, leading=10.2, spaceAfter=0),
        "muted": ParagraphStyle("muted", parent=base, fontSize=8, leading=10.2, textColor=MUTED, spaceAfter=2),
        "cell": ParagraphStyle("cell", parent=base, fontSize=7.8, leading=9.6, spaceAfter=0),
        "cell_head": ParagraphStyle("cell_head", parent=base, fontName=FONT_BOLD, fontSize=7.8, leading=9.6,
                                    spaceAfter=0),
        "title": ParagraphStyle("title", parent=base, fontName=FONT_BOLD, fontSize=13.5, leading=17,
                                spaceBefore=6, spaceAfter=6),
        "heading": ParagraphStyle("heading", parent=base, fontName=FONT_BOLD, fontSize=10.2, leading=13,
                                  textColor=ACCENT, spaceBefore=9, spaceAfter=3),
        "subheading": ParagraphStyle("subheading", parent=base, fontName=FONT_BOLD, fontSize=9, leading=12,
                                     spaceBefore=5, spaceAfter=2),
        "bullet": ParagraphStyle("bullet", parent=base, leftIndent=11, bulletIndent=2, spaceAfter=2.5),
        "right": ParagraphStyle("right", parent=base, alignment=TA_RIGHT, spaceAfter=0),
        "banner": ParagraphStyle("banner", parent=base, fontName=FONT_BOLD, fontSize=10.5, leading=13,
                                 textColor=colors.white, spaceAfter=0),
    }


_STYLES = _styles()     # shared by every document: a style is never changed once made


# --- page decoration ------------------------------------------------------------------

def draw_identifier_band(canvas: Canvas, identifier_line: str) -> None:
    """Her name, date of birth and numbers in the band at the top of a page (letters and the summary)."""
    top = PAGE_HEIGHT - MARGIN + 4 * mm
    canvas.saveState()
    canvas.setFillColor(BAND)
    canvas.setStrokeColor(RULE)
    canvas.rect(MARGIN, top - HEADER_HEIGHT, FRAME_WIDTH, HEADER_HEIGHT, stroke=1, fill=1)
    canvas.setFillColor(INK)
    canvas.setFont(FONT_BOLD, 8.6)
    canvas.drawString(MARGIN + 3 * mm, top - 5.8 * mm, _plain(identifier_line))
    canvas.restoreState()


def _draw_letterhead(canvas: Canvas, content: LetterContent) -> None:
    head = content.letterhead
    top = PAGE_HEIGHT - MARGIN - HEADER_HEIGHT + 1 * mm
    canvas.saveState()
    if head.logo_path and Path(head.logo_path).is_file():
        canvas.drawImage(head.logo_path, MARGIN, top - 24 * mm, width=40 * mm, height=22 * mm,
                         preserveAspectRatio=True, anchor="sw", mask="auto")
    right = MARGIN + FRAME_WIDTH
    y = top - 6 * mm
    canvas.setFillColor(ACCENT)
    canvas.setFont(FONT_BOLD, 12.5)
    canvas.drawRightString(right, y, _plain(head.name))
    canvas.setFillColor(INK)
    canvas.setFont(FONT, 8)
    lines = (head.address or "").splitlines() + [
        f"Telephone {head.phone}" if head.phone else "", head.email or ""]
    for line in (line.strip() for line in lines):
        if line:
            y -= 3.6 * mm
            canvas.drawRightString(right, y, _plain(line))
    canvas.setStrokeColor(ACCENT)
    canvas.setLineWidth(1.2)
    canvas.line(MARGIN, top - LETTERHEAD_HEIGHT + 2 * mm, right, top - LETTERHEAD_HEIGHT + 2 * mm)
    canvas.restoreState()


def _draw_watermark(canvas: Canvas) -> None:
    canvas.saveState()
    canvas.setFillColor(colors.Color(0.70, 0.15, 0.12, alpha=0.13))
    canvas.setFont(FONT_BOLD, 120)
    canvas.translate(PAGE_WIDTH / 2, PAGE_HEIGHT / 2)
    canvas.rotate(50)
    canvas.drawCentredString(0, -40, "DRAFT")
    canvas.restoreState()


def page_numbered_canvas(decorate: Callable[[Canvas, int, int], None]) -> type[Canvas]:
    """A canvas that holds its pages until saving, then has `decorate(canvas, page, pages)` draw
    each page's header and footer, so every page can say "Page N of M"."""

    class NumberedCanvas(Canvas):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            self._held_pages: list[dict] = []

        def showPage(self):
            self._held_pages.append(dict(self.__dict__))
            self._startPage()

        def save(self):
            total = len(self._held_pages)
            for number, state in enumerate(self._held_pages, start=1):
                self.__dict__.update(state)
                decorate(self, number, total)
                super().showPage()
            super().save()

    return NumberedCanvas


def _draw_footer(canvas: Canvas, content: LetterContent, draft: bool, number: int, total: int) -> None:
    """The letter's footer: clinic, referral and date on the left, "Page N of M" on the right."""
    canvas.saveState()
    canvas.setStrokeColor(RULE)
    canvas.line(MARGIN, MARGIN + 1 * mm, MARGIN + FRAME_WIDTH, MARGIN + 1 * mm)
    canvas.setFillColor(MUTED)
    canvas.setFont(FONT, 7.5)
    left = f"{content.letterhead.name} | referral {content.referral_ref} | {written_date(content.letter_date)}"
    canvas.drawString(MARGIN, MARGIN - 3 * mm, _plain(left))
    canvas.setFont(FONT_BOLD, 7.5)
    canvas.drawRightString(MARGIN + FRAME_WIDTH, MARGIN - 3 * mm, f"Page {number} of {total}")
    if draft:
        canvas.setFillColor(URGENT)
        canvas.drawRightString(MARGIN + FRAME_WIDTH - 22 * mm, MARGIN - 3 * mm, "DRAFT: not issued")
    canvas.restoreState()


def _numbered_canvas(content: LetterContent, draft: bool) -> type[Canvas]:
    """The letter's canvas: her identifiers in the header and the footer on every page."""

    def decorate(canvas: Canvas, number: int, total: int) -> None:
        draw_identifier_band(canvas, content.identifier_line)
        _draw_footer(canvas, content, draft, number, total)

    return page_numbered_canvas(decorate)


# --- flowables ------------------------------------------------------------------------

CELL_SIZE, CELL_LEADING = 7.8, 9.6     # table text (the "cell" and "cell_head" styles)
CELL_PADDING = 3                        # left and right, in the letter's tables
KEY_RIGHT_PADDING = 6                   # the label and value tables (reportlab's default)


def _fits(text: str, room: float, font: str) -> bool:
    """Whether every line of `text` fits in `room` points at the table's size (so it needs no wrapping)."""
    return all(stringWidth(line, font, CELL_SIZE) <= room for line in text.split("\n"))


class _Cells:
    """A table's cells: a plain string when the text fits its column (drawn as it is, no markup parsed, so
    a `<` or `&` prints literally), else a Paragraph that wraps; the colour of each plain cell that is not
    ink goes into `commands` for the table's style."""

    def __init__(self) -> None:
        self.commands: list[tuple] = []

    def head(self, text: str, room: float, column: int, row: int):
        text = _plain(text)
        if _fits(text, room, FONT_BOLD):
            return text
        return Paragraph(_text(text), _STYLES["cell_head"])

    def value(self, value: str | None, room: float, column: int, row: int, *, colour=None):
        if value is None or value == "":
            self.commands.append(("TEXTCOLOR", (column, row), (column, row), MUTED))
            return NOT_RECORDED
        text = _plain(value)
        if colour is not None:
            self.commands.append(("TEXTCOLOR", (column, row), (column, row), colour))
        if _fits(text, room, FONT):
            return text
        if colour is not None:
            return Paragraph(f'<font color="#{colour.hexval()[2:]}">{_text(text)}</font>', _STYLES["cell"])
        return Paragraph(_text(text), _STYLES["cell"])



class _Letter:
    def __init__(self, content: LetterContent):
        self.content = content
        self.s = _STYLES

    def p(self, text: str | None, style: str = "body") -> Paragraph:
        if text is None or text == "":
            return Paragraph(f'<font color="#{MUTED.hexval()[2:]}">{NOT_RECORDED}</font>', self.s[style])
        return Paragraph(_text(text), self.s[style])

    def heading(self, text: str):
        """A section heading, moved to the next page rather than left alone at the foot of one.

        (Not keepWithNext: that would keep a whole long table with its heading and stop
        the table breaking across pages.)
        """
        return KeepTogether([CondPageBreak(28 * mm), Paragraph(_text(text), self.s["heading"])])

    def subheading(self, text: str):
        return KeepTogether([CondPageBreak(20 * mm), Paragraph(_text(text), self.s["subheading"])])

    def lines(self, lines: tuple[str, ...], *, empty: str = "None recorded.") -> list:
        if not lines:
            return [self.p(empty, "muted")]
        return [self.p(line) for line in lines]

    def bullets(self, lines) -> list:
        return [Paragraph(_text(line), self.s["bullet"], bulletText="\u2022") for line in lines]

    def blocks(self, blocks: tuple[Block, ...]) -> list:
        out = []
        for block in blocks:
            if block.kind == "bullet":
                out += self.bullets([block.text])
            else:
                out.append(self.p(block.text))
        return out

    def key_values(self, pairs: list[tuple[str, str | None]]) -> PdfTable:
        widths = [34 * mm, FRAME_WIDTH - 34 * mm]
        cells = _Cells()
        rows = [[cells.head(k, widths[0] - KEY_RIGHT_PADDING, 0, n),
                 cells.value(v, widths[1] - KEY_RIGHT_PADDING, 1, n)] for n, (k, v) in enumerate(pairs)]
        table = PdfTable(rows, colWidths=widths, hAlign="LEFT")
        table.setStyle(TableStyle([
            ("VALIGN", (0, 0), (-1, -1), "TOP"),
            ("LEFTPADDING", (0, 0), (-1, -1), 0),
            ("RIGHTPADDING", (0, 0), (-1, -1), KEY_RIGHT_PADDING),
            ("TOPPADDING", (0, 0), (-1, -1), 1.2),
            ("BOTTOMPADDING", (0, 0), (-1, -1), 1.2),
            ("FONT", (0, 0), (0, -1), FONT_BOLD, CELL_SIZE, CELL_LEADING),
            ("FONT", (1, 0), (1, -1), FONT, CELL_SIZE, CELL_LEADING),
            ("TEXTCOLOR", (0, 0), (-1, -1), INK),
        ] + cells.commands))
        return table

    def table(self, table: Table, widths: tuple[float, ...], *, empty: str) -> list:
        if not table.rows:
            return [self.p(empty, "muted")]
        scale = FRAME_WIDTH / sum(widths)
        col_widths = [w * scale for w in widths]
        room = [w - 2 * CELL_PADDING for w in col_widths]
        cells = _Cells()
        data = [[cells.head(h, room[c], c, 0) for c, h in enumerate(table.headers)]]
        for n, row in enumerate(table.rows, start=1):
            stale = (n - 1) in table.stale_rows
            data.append([cells.value(value, room[c], c, n, colour=STALE if stale else None)
                         for c, value in enumerate(row)])
        pdf_table = PdfTable(data, colWidths=col_widths, repeatRows=1, hAlign="LEFT")
        style = [
            ("BACKGROUND", (0, 0), (-1, 0), BAND),
            ("LINEBELOW", (0, 0), (-1, 0), 0.8, ACCENT),
            ("LINEBELOW", (0, 1), (-1, -1), 0.25, RULE),
            ("VALIGN", (0, 0), (-1, -1), "TOP"),
            ("LEFTPADDING", (0, 0), (-1, -1), CELL_PADDING),
            ("RIGHTPADDING", (0, 0), (-1, -1), CELL_PADDING),
            ("TOPPADDING", (0, 0), (-1, -1), 2),
            ("BOTTOMPADDING", (0, 0), (-1, -1), 2),
            ("FONT", (0, 0), (-1, 0), FONT_BOLD, CELL_SIZE, CELL_LEADING),
            ("FONT", (0, 1), (-1, -1), FONT, CELL_SIZE, CELL_LEADING),
            ("TEXTCOLOR", (0, 0), (-1, -1), INK),
        ]
        pdf_table.setStyle(TableStyle(style + cells.commands))
        return [pdf_table, Spacer(1, 3)]

    @staticmethod
    def address_lines(recipient: Recipient) -> list[str | None]:
        lines = [recipient.name, recipient.organisation] if recipient.organisation else [recipient.name]
        return [line for line in lines if line] + (recipient.address.splitlines() if recipient.address else [None])

    def address_block(self) -> PdfTable:
        c = self.content
        left = [self.p(line, "body" if line is not None else "small") for line in self.address_lines(c.recipient)]
        for para in left:
            para.style = ParagraphStyle("addr", parent=para.style, spaceAfter=0)
        right = [
            Paragraph(_text(f"Date: {written_date(c.letter_date)}"), self.s["right"]),
            Paragraph(_text(f"Our reference: {c.referral_ref}"), self.s["right"]),
            Paragraph(_text(f"Hospital no.: {c.hospital_number or NOT_RECORDED}"), self.s["right"]),
        ]
        table = PdfTable([[left, right]], colWidths=[FRAME_WIDTH * 0.6, FRAME_WIDTH * 0.4], hAlign="LEFT")
        table.setStyle(TableStyle([("VALIGN", (0, 0), (-1, -1), "TOP"), ("LEFTPADDING", (0, 0), (-1, -1), 0),
                                   ("RIGHTPADDING", (0, 0), (-1, -1), 0)]))
        return table

    def urgency_banner(self) -> PdfTable:
        urgent = self.content.urgency == "urgent"
        kind = "letter" if self.content.specialty == "gp" else "referral"
        text = f"URGENT {kind.upper()}" if urgent else f"Routine {kind}"
        banner = PdfTable([[Paragraph(_text(text), self.s["banner"])]], colWidths=[FRAME_WIDTH], hAlign="LEFT")
        banner.setStyle(TableStyle([
            ("BACKGROUND", (0, 0), (-1, -1), URGENT if urgent else ACCENT),
            ("TOPPADDING", (0, 0), (-1, -1), 4), ("BOTTOMPADDING", (0, 0), (-1, -1), 5),
            ("LEFTPADDING", (0, 0), (-1, -1), 6),
        ]))
        return banner

    def correction_notice(self) -> PdfTable:
        """A correction says, boxed under its title, which letter it replaces and why."""
        c = self.content
        lines = [Paragraph(_text("CORRECTED LETTER"), ParagraphStyle("correction", parent=self.s["subheading"],
                                                                     textColor=STALE, spaceBefore=0)),
                 self.p(f"This letter replaces {c.replaces}, which must no longer be relied on.")]
        if c.correction_reason:
            lines.append(self.p(f"Reason for the correction: {c.correction_reason}"))
        box = PdfTable([[lines]], colWidths=[FRAME_WIDTH], hAlign="LEFT")
        box.setStyle(TableStyle([
            ("BOX", (0, 0), (-1, -1), 1.2, STALE),
            ("LEFTPADDING", (0, 0), (-1, -1), 6), ("RIGHTPADDING", (0, 0), (-1, -1), 6),
            ("TOPPADDING", (0, 0), (-1, -1), 4), ("BOTTOMPADDING", (0, 0), (-1, -1), 2),
        ]))
        return box

    def story(self) -> list:
        c = self.content
        story: list = [NextPageTemplate("later"), self.address_block(), Spacer(1, 6), self.urgency_banner(),
                       Paragraph(_text(c.title), self.s["title"])]
        if c.replaces:
            story.append(self.correction_notice())

        story += [self.heading("Patient"), self.key_values([
            ("Name", c.patient_heading),
            ("Date of birth", f"{c.date_of_birth} (age {c.age})"),
            ("NHS number", c.nhs_number),
            ("Hospital number", c.hospital_number),
            ("Address", c.patient_address),
            ("Telephone", c.patient_phone),
            ("Email", c.patient_email),
        ])]
        story += [self.heading("GP practice"), self.key_values([
            ("GP", c.gp_name), ("Practice", c.gp_practice), ("Address", c.gp_address)])]
        story += [self.heading("Referrer"), self.key_values([
            ("Name", c.referrer_name), ("Role", c.referrer_role), ("Clinic", c.referrer_clinic),
            ("Contact", c.referrer_contact)])]

        salutation = "Colleague"
        if c.recipient.role == "GP":
            salutation = c.recipient.name if c.recipient.name not in (None, UNNAMED_GP) else "Doctor"
        story += [self.heading("Reason for referral"),
                  self.p(f"Urgency: {c.urgency}", "subheading"),
                  self.p(c.reason),
                  self.p(f"Dear {salutation},")]
        story += self.blocks(c.opening)

        story += [self.heading("Clinical summary")] + self.lines(c.clinical_summary)
        story += [self.subheading("Pregnancies")]
        story += self.table(c.pregnancies, (18, 22, 22, 26, 22), empty="No pregnancy is recorded.")

        story += [self.heading("Investigation results"), self.subheading("Fractures")]
        story += self.table(c.fractures, (15, 18, 12, 12, 15, 22, 34), empty="No fracture is recorded.")
        story += [self.subheading("DEXA (Z-score first)")]
        story += self.table(c.dexa, (17, 17, 11, 26, 11, 12, 40), empty="No DEXA scan is recorded.")
        story += [self.p(note, "muted") for note in c.dexa_notes]
        story += [self.subheading("Blood results")]
        story += self.table(c.bloods, (45, 25, 35), empty="No blood result is recorded.")
        if c.stale_results:
            story.append(self.p(f"Results marked with their date are older than {c.results_window_days} days: "
                                "please repeat them if they matter to your decision.", "muted"))

        story += [self.heading("Medications")]
        story += self.table(c.medications, (30, 28, 18, 18, 12), empty="No medicine is recorded.")
        story += [self.heading("Breastfeeding")] + self.lines(c.breastfeeding)
        if c.medication_check is not None:
            story += [self.heading("Medication check")] + self.lines(c.medication_check)
        story += [self.heading("Risk factors")] + (self.bullets(c.risk_factors) if c.risk_factors
                                                    else [self.p("None recorded.", "muted")])
        story += [self.heading("Safety alerts")] + (self.bullets(c.safety_alerts) if c.safety_alerts
                                                     else [self.p("None recorded.", "muted")])

        story += [self.heading("Plan and requested actions")]
        if c.decisions:
            story += [self.subheading("Treatment decisions")] + self.bullets(c.decisions)
        story += [self.subheading("We ask you to")] + self.blocks(c.requests)

        distribution = [("To", self._one_line(c.recipient))]
        distribution += [("Copy to", self._one_line(copy)) for copy in c.copies]
        # the signature and the distribution list stay together: a page never holds the list alone
        story.append(KeepTogether([
            Spacer(1, 8), self.p("Yours sincerely,"), Spacer(1, 14),
            Paragraph(_text(c.referrer_name), ParagraphStyle("sig", parent=self.s["body"], fontName=FONT_BOLD,
                                                              spaceAfter=0)),
            self.p(f"{c.referrer_role}, {c.referrer_clinic}"),
            Paragraph(_text("Distribution"), self.s["heading"]), self.key_values(distribution),
        ]))
        return story

    @staticmethod
    def _one_line(recipient: Recipient) -> str:
        who = {"GP": "GP: ", "patient": "Patient: ", "specialty": ""}.get(recipient.role, "")
        parts = [recipient.name, recipient.organisation]
        address = recipient.address.replace("\n", ", ") if recipient.address else f"address {NOT_RECORDED}"
        return who + ", ".join(p for p in parts if p) + f", {address}"


def render_letter_pdf(content: LetterContent, *, draft: bool) -> bytes:
    """The letter as PDF bytes; the same content and `draft` give the same bytes."""
    register_fonts()
    buffer = BytesIO()
    first_top = PAGE_HEIGHT - MARGIN - HEADER_HEIGHT - LETTERHEAD_HEIGHT + 4 * mm
    later_top = PAGE_HEIGHT - MARGIN - HEADER_HEIGHT + 1 * mm
    bottom = MARGIN + FOOTER_HEIGHT - 4 * mm
    first = Frame(MARGIN, bottom, FRAME_WIDTH, first_top - bottom, id="first", leftPadding=0, rightPadding=0,
                  topPadding=0, bottomPadding=0)
    later = Frame(MARGIN, bottom, FRAME_WIDTH, later_top - bottom, id="later", leftPadding=0, rightPadding=0,
                  topPadding=0, bottomPadding=0)

    def on_first(canvas, doc):
        if draft:
            _draw_watermark(canvas)
        _draw_letterhead(canvas, content)

    def on_later(canvas, doc):
        if draft:
            _draw_watermark(canvas)

    doc = BaseDocTemplate(
        buffer, pagesize=A4, invariant=1, leftMargin=MARGIN, rightMargin=MARGIN, topMargin=MARGIN,
        bottomMargin=MARGIN, title=_plain(f"{content.title}: {content.patient_heading}"),
        author=_plain(content.referrer_name), subject=_plain(f"Referral {content.referral_ref}"),
        creator="PAO Clinic", producer="PAO Clinic (reportlab)", initialFontName=FONT,
    )
    doc.addPageTemplates([PageTemplate("first", [first], onPage=on_first),
                          PageTemplate("later", [later], onPage=on_later)])
    doc.build(_Letter(content).story(), canvasmaker=_numbered_canvas(content, draft))
    return buffer.getvalue()
