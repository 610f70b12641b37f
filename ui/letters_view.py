"""Her letters in the window: draft referral letters and issued letters, previewed, issued, printed, saved.

`LettersView` lists her draft referrals (each a letter not yet issued) and her issued
letters (who issued it, when, the start of its SHA-256, which letter it replaces), from
`pao_clinic.services.letters`.  Her drafts come with her record (`show_view`); her issued
letters are read on a worker each time her record is shown and listed when they arrive
(`letters_listed`), so the window's thread never waits on the database to show them.
Its actions act as the signed-in user (`set_actor`):

- Preview: the letter inside the app (QtPdf: a `QPdfDocument` loaded from a QBuffer in a
  `QPdfView`); a draft lists what it lacks beside it, in words.
- Issue...: asks to confirm (`IssueConfirmation.ask`); a refusal (no recipient address, no
  NHS or hospital number) is shown in words and nothing changes.
- Print...: the system print dialog (`LetterPrinting.ask`), each PDF page rendered into
  the printer's painter; printing an issued letter is audited ("printed").
- Save as PDF...: the exact stored bytes of an issued letter (audited, "saved"), or the
  draft as it is previewed.
- Issue a correction...: for an issued letter not yet replaced, asks why
  (`CorrectionReason.ask`) and adds a draft correction (a new letter for the same
  referral that names the letter it replaces and the reason), previewed as any draft;
  Issue on it is a normal issue (`issue_correction`).  The letter it replaces is never
  changed: it reprints byte-identical and is listed as replaced by the correction.
- Print all due letters...: every draft referral's letter in the caseload (`due_letters`,
  made by `draft_letters`), on a Worker with a progress dialog that can cancel.

Modal dialogs sit behind classmethods (`ask`) that tests replace.  Known errors of the
core are shown as their words; the view never writes except through the services.
"""

from __future__ import annotations

import os
import sys
import tempfile
from dataclasses import dataclass
from datetime import date, datetime, timezone
from typing import Any, Callable, Sequence

from PySide6.QtCore import QBuffer, QByteArray, QIODevice, QRect, QSize, Qt, Signal
from PySide6.QtGui import QFont, QPainter
from PySide6.QtPdf import QPdfDocument
from PySide6.QtPdfWidgets import QPdfView
from PySide6.QtPrintSupport import QPrintDialog, QPrinter
from PySide6.QtWidgets import (
    QFileDialog, QFrame, QHBoxLayout, QInputDialog, QLabel, QMessageBox, QProgressDialog, QPushButton, QScrollArea, QSplitter,
    QVBoxLayout, QWidget,
)

from pao_clinic.errors import PaoClinicError, ValidationError
from pao_clinic.record import Referral
from pao_clinic.record.code_words import SPECIALTY_WORDS, URGENCY_WORDS
from pao_clinic.record.dates import written_date
from pao_clinic.services import Actor
from pao_clinic.services.patient_view import PatientView

from .caseload_model import ALIGN_TEXT, ROW_ROLE, RowSortProxy, RowTableModel, list_table_view
from .workers import Worker, WorkerPool


class _LetterService:
    """`pao_clinic.services.letters`, imported when first used: its PDF code (reportlab) costs 0.3 s at start-up."""

    def __getattr__(self, name: str) -> Any:
        from pao_clinic.services import letters

        return getattr(letters, name)


letter_service = _LetterService()

NOTHING = "\u2014"
ELLIPSIS = "\u2026"
DRAFT, ISSUED, CORRECTION = "draft", "issued", "correction"   # CORRECTION: a draft correction, not yet issued
PRINT_DPI = 300
LETTER_COLUMN_MAX = 300   # pixels: the letter's title is elided past this (its tooltip is the whole title)


def _when(at: datetime) -> str:
    """`12-Apr-2026 14:03` in local time (stored times without a zone are UTC)."""
    if at.tzinfo is None:
        at = at.replace(tzinfo=timezone.utc)
    local = at.astimezone()
    return f"{written_date(local.date())} {local:%H:%M}"


def _words(table: dict[str, str], code: str) -> str:
    return table.get(code, code.replace("_", " "))


@dataclass(frozen=True, slots=True)
class LetterRow:
    """One line of the letters view: a draft referral's letter, an issued letter, or a draft correction."""

    kind: str                                        # DRAFT, ISSUED or CORRECTION
    referral: Referral | None = None                 # the draft referral (drafts)
    issued: letter_service.IssuedLetter | None = None   # the issued letter (a correction: the one it replaces)
    reason: str = ""                                 # why a draft correction corrects it

    @property
    def is_draft(self) -> bool:
        """Not issued yet: a draft letter or a draft correction."""
        return self.kind in (DRAFT, CORRECTION)

    @property
    def title(self) -> str:
        if self.kind == CORRECTION:
            return f"Correction of {self.issued.title}"
        if self.issued is not None:
            return self.issued.title
        r = self.referral
        return f"Referral to {_words(SPECIALTY_WORDS, r.specialty).lower()} ({_words(URGENCY_WORDS, r.urgency).lower()})"


def letter_rows(referrals: Sequence[Referral], issued: Sequence[letter_service.IssuedLetter],
                corrections: dict[int, str] | None = None) -> list[LetterRow]:
    """Her draft referrals' letters first (oldest first), then her draft corrections (`corrections`: the id
    of the issued letter each corrects -> the reason; one no longer open to correction is left out), then her
    issued letters (oldest first)."""
    drafts = sorted((r for r in referrals if r.status == "draft" and r.id is not None),
                    key=lambda r: (r.created_on, r.id))
    by_id = {i.id: i for i in issued}
    pending = [LetterRow(CORRECTION, issued=by_id[n], reason=reason) for n, reason in (corrections or {}).items()
               if n in by_id and by_id[n].replaced_by is None]
    return ([LetterRow(DRAFT, referral=r) for r in drafts] + pending
            + [LetterRow(ISSUED, issued=i) for i in issued])


def missing_words(missing) -> str:
    """What a draft lacks, one line each, those that stop it being issued first."""
    if not missing:
        return "Nothing is missing: the letter can be issued."
    blocking = [m for m in missing if m.blocks_issue]
    rest = [m for m in missing if not m.blocks_issue]
    lines = []
    if blocking:
        lines.append("Cannot be issued until these are recorded:")
        lines += [f"\u2022 {m.message}" for m in blocking]
    if rest:
        lines.append("Missing or out of date (it can still be issued):")
        lines += [f"\u2022 {m.message}" for m in rest]
    return "\n".join(lines)


class LetterTableModel(RowTableModel):
    COL_LETTER, COL_STATE, COL_WHO, COL_WHEN, COL_SHA, COL_REPLACES = range(6)
    HEADERS = ("Letter", "State", "Issued by", "When", "SHA-256", "Replaces")
    HEADER_TIPS = ("The letter and its referral", "A draft (not yet issued), a draft correction, or issued "
                   "(and whether a correction has replaced it)",
                   "Who issued it", "When it was issued (a draft: the day the referral was written)",
                   "The first 12 characters of the stored letter's SHA-256", "The letter this one corrects")
    ALIGNMENTS = (ALIGN_TEXT,) * 6

    def __init__(self, parent=None):
        super().__init__(parent)
        self._bold = QFont()
        self._bold.setBold(True)

    def display(self, item: LetterRow, column: int) -> str:
        issued = item.issued
        if column == self.COL_LETTER:
            return item.title
        if item.kind == CORRECTION:
            return {self.COL_STATE: "Draft correction: not issued", self.COL_WHO: NOTHING,
                    self.COL_WHEN: "not issued", self.COL_SHA: NOTHING,
                    self.COL_REPLACES: f"document {issued.id}"}.get(column, "")
        if column == self.COL_STATE:
            if issued:
                return f"Issued; replaced by document {issued.replaced_by}" if issued.replaced_by else "Issued"
            return "Draft: not issued"
        if column == self.COL_WHO:
            return (issued.created_by or "unknown user") if issued else NOTHING
        if column == self.COL_WHEN:
            if issued:
                return _when(issued.created_at)
            return f"written {written_date(item.referral.created_on)}"
        if column == self.COL_SHA:
            return issued.sha256_short if issued else NOTHING
        if column == self.COL_REPLACES:
            return f"document {issued.replaces}" if issued and issued.replaces else NOTHING
        return ""

    def sort_value(self, row: int, column: int) -> Any:
        item = self._rows[row]
        if column == self.COL_WHEN:
            if item.kind == CORRECTION:
                return "~"      # after every issued letter's time: it is not issued yet
            return item.issued.created_at.isoformat() if item.issued else item.referral.created_on.isoformat()
        return self.display(item, column).casefold() or None

    def extra(self, item: LetterRow, column: int, role: Qt.ItemDataRole) -> Any:
        if column == self.COL_STATE and item.is_draft and role == Qt.ItemDataRole.FontRole:
            return self._bold
        if column == self.COL_STATE and item.kind == CORRECTION and role == Qt.ItemDataRole.ToolTipRole:
            return f"Why: {item.reason}"
        if column == self.COL_SHA and item.issued and role == Qt.ItemDataRole.ToolTipRole:
            return f"SHA-256 {item.issued.sha256} (document {item.issued.id})"
        if column == self.COL_LETTER and role == Qt.ItemDataRole.ToolTipRole:
            return item.title
        return None


# --- PDF pages into a printer ---------------------------------------------------------------

def load_pdf(pdf: bytes, parent=None) -> tuple[QPdfDocument, QBuffer]:
    """A QPdfDocument read from the bytes through a QBuffer (keep both while the document is used)."""
    buffer = QBuffer(parent)
    buffer.setData(QByteArray(pdf))
    buffer.open(QIODevice.OpenModeFlag.ReadOnly)
    document = QPdfDocument(parent)
    document.load(buffer)
    return document, buffer


class PdfPrintJob:
    """Paints PDF documents page by page into one printer (one painter, a new page between pages)."""

    def __init__(self, printer: QPrinter):
        self.printer = printer
        self.painter: QPainter | None = None
        self.pages = 0

    def add(self, pdf: bytes) -> int:
        """Print every page of one PDF; returns its page count.

        The PDF is read from a temporary file: QPdfDocument reads a QBuffer only with an
        event loop, which a worker thread has not got; a file it reads at once.
        """
        with tempfile.TemporaryDirectory(prefix="pao-clinic-print-") as folder:
            path = os.path.join(folder, "letter.pdf")
            with open(path, "wb") as out:
                out.write(pdf)
            document = QPdfDocument()
            document.load(path)
            return self._paint(document)

    def _paint(self, document: QPdfDocument) -> int:
        try:
            if document.status() != QPdfDocument.Status.Ready:
                raise ValueError(f"the letter could not be read as a PDF ({document.status().name})")
            if self.painter is None:
                self.painter = QPainter()
                if not self.painter.begin(self.printer):
                    self.painter = None
                    raise OSError("the printer could not be started")
            page_rect = self.printer.pageLayout().paintRectPixels(self.printer.resolution())
            for page in range(document.pageCount()):
                if self.pages:
                    self.printer.newPage()
                points = document.pagePointSize(page)
                scale = min(page_rect.width() / points.width(), page_rect.height() / points.height())
                target = QRect(0, 0, int(points.width() * scale), int(points.height() * scale))
                dpi = min(PRINT_DPI, self.printer.resolution())   # the page as an image at print quality
                image = document.render(page, QSize(int(points.width() * dpi / 72), int(points.height() * dpi / 72)))
                self.painter.drawImage(target, image)
                self.pages += 1
            return document.pageCount()
        finally:
            document.close()

    def finish(self) -> None:
        if self.painter is not None:
            self.painter.end()
            self.painter = None


def print_pdf(pdf: bytes, printer: QPrinter) -> int:
    """Print one PDF's pages on the printer; returns the number of pages."""
    job = PdfPrintJob(printer)
    try:
        return job.add(pdf)
    finally:
        job.finish()


@dataclass
class BatchPrintResult:
    printed: list[letter_service.DueLetter]
    total: int
    stopped: bool = False


def print_due_letters(actor: Actor, printer: QPrinter, *, today: date | None = None, worker: Worker | None = None,
                      after_each: Callable[[int], None] | None = None) -> BatchPrintResult:
    """Every due draft letter of the caseload into one printer; stops before the next letter once cancelled.

    Runs on a worker thread (it touches no widget); `after_each(done)` is a hook for tests.
    """
    due = letter_service.due_letters(actor)
    result = BatchPrintResult(printed=[], total=len(due))
    job = PdfPrintJob(printer)
    drafts = letter_service.draft_letters(actor, due, today=today)   # each made only when its turn comes
    try:
        for n, letter in enumerate(due):
            if worker is not None and worker.cancelled:
                result.stopped = True
                break
            if worker is not None:
                worker.report_progress(n, len(due), f"{letter.family_name.upper()}, {letter.given_name}: "
                                       f"{_words(SPECIALTY_WORDS, letter.specialty).lower()}")
            _letter, pdf, _missing = next(drafts)
            job.add(pdf)
            result.printed.append(letter)
            if after_each is not None:
                after_each(len(result.printed))
        else:
            if worker is not None:
                worker.report_progress(len(due), len(due), "done")
    finally:
        drafts.close()
        job.finish()
    return result


# --- the dialogs tests replace ----------------------------------------------------------------

class IssueConfirmation:
    @classmethod
    def ask(cls, parent: QWidget, title: str, recipient_words: str) -> bool:
        answer = QMessageBox.question(
            parent, "Issue letter",
            f"Issue \u201c{title}\u201d?\n\nThe letter is stored exactly as it is now, the referral is marked "
            f"sent today, and it cannot be changed afterwards (a correction is a new letter).{recipient_words}",
            QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.Cancel, QMessageBox.StandardButton.Cancel)
        return answer == QMessageBox.StandardButton.Yes


class CorrectionReason:
    @classmethod
    def ask(cls, parent: QWidget, title: str) -> str | None:
        """Why the letter is corrected (printed in the correction), or None when cancelled."""
        text, accepted = QInputDialog.getMultiLineText(
            parent, "Issue a correction",
            f"Why is \u201c{title}\u201d corrected? The reason is printed in the new letter, which says which "
            "letter it replaces. Correct her record first: the correction is written from her record as it is now.")
        return text if accepted else None


class LetterPrinting:
    @classmethod
    def ask(cls, parent: QWidget, title: str) -> QPrinter | None:
        """The system print dialog; the printer chosen, or None when cancelled."""
        printer = QPrinter(QPrinter.PrinterMode.HighResolution)
        printer.setDocName(title)
        dialog = QPrintDialog(printer, parent)
        dialog.setWindowTitle(f"Print {title}")
        return printer if dialog.exec() == QPrintDialog.DialogCode.Accepted else None


class SaveLetterAs:
    @classmethod
    def ask(cls, parent: QWidget, suggested: str) -> str | None:
        path, _filter = QFileDialog.getSaveFileName(parent, "Save letter as PDF", suggested, "PDF files (*.pdf)")
        return path or None


def _button(text: str, object_name: str, accessible: str) -> QPushButton:
    button = QPushButton(text)
    button.setObjectName(object_name)
    button.setAccessibleName(accessible)
    button.setToolTip(accessible)
    return button


def _file_name(text: str) -> str:
    keep = "".join(c if c.isalnum() or c in " -_" else " " for c in text)
    return "-".join(keep.split())[:80] + ".pdf"


class LettersView(QWidget):
    """Her draft and issued letters, a preview, and Issue / Print / Save / Print all due."""

    letters_changed = Signal(int)    # her patient id: a letter was issued (her referral is now sent)
    message_shown = Signal(str)      # the last words shown to the user (tests and the status bar)
    letters_listed = Signal(int)     # her patient id: her issued letters were read and are listed

    def __init__(self, parent: QWidget | None = None, pool: WorkerPool | None = None):
        super().__init__(parent)
        self.setObjectName("lettersView")
        self.actor: Actor | None = None
        self.view: PatientView | None = None
        self._own_pool = pool is None
        self.pool = pool or WorkerPool(self)
        self.batch_worker: Worker | None = None
        self.progress: QProgressDialog | None = None
        self.previewed: LetterRow | None = None
        self.preview_pdf: bytes | None = None
        self.missing: list = []
        self._buffer: QBuffer | None = None
        self.corrections: dict[int, str] = {}   # her draft corrections: issued letter's id -> the reason
        self.issued: list[letter_service.IssuedLetter] = []   # her issued letters, as last read
        self._issued_worker: Worker | None = None

        self.model = LetterTableModel(self)
        self.proxy = RowSortProxy(self)
        self.proxy.setSourceModel(self.model)
        table = list_table_view("letterTable", "Her letters: drafts and issued letters")
        table.horizontalHeader().setStretchLastSection(True)
        table.setWordWrap(False)
        table.setTextElideMode(Qt.TextElideMode.ElideRight)   # a long title ends in "..."; its tooltip tells all
        table.setModel(self.proxy)
        table.sortByColumn(-1, Qt.SortOrder.AscendingOrder)
        table.selectionModel().selectionChanged.connect(self._on_table_selection_changed)
        table.doubleClicked.connect(self._on_table_double_clicked)
        self.table = table

        self.preview_button = _button("Preview", "previewLetter", "Show the selected letter here")
        self.issue_button = _button(f"Issue{ELLIPSIS}", "issueLetter",
                                    "Issue the selected draft: store it, mark the referral sent")
        self.correct_button = _button(f"Issue a correction{ELLIPSIS}", "correctLetter",
                                      "Write a correction of the selected issued letter: a new letter that says "
                                      "which one it replaces and why")
        self.print_button = _button(f"Print{ELLIPSIS}", "printLetter", "Print the selected letter")
        self.save_button = _button(f"Save as PDF{ELLIPSIS}", "saveLetter", "Save the selected letter as a PDF file")
        self.batch_button = _button(f"Print all due letters{ELLIPSIS}", "printDueLetters",
                                    "Print every draft referral letter in the caseload, in the background")
        for button, slot in ((self.preview_button, self.preview_selected), (self.issue_button, self.issue_selected),
                             (self.correct_button, self.correct_selected), (self.print_button, self.print_selected), (self.save_button, self.save_selected),
                             (self.batch_button, self.print_all_due)):
            button.clicked.connect(lambda _checked=False, s=slot: s())

        self.status_label = QLabel()
        self.status_label.setObjectName("lettersStatus")
        self.status_label.setWordWrap(True)
        self.status_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.missing_label = QLabel("Select a letter and press Preview.")
        self.missing_label.setObjectName("letterMissing")
        self.missing_label.setAccessibleName("What the letter lacks")
        self.missing_label.setWordWrap(True)
        self.missing_label.setAlignment(Qt.AlignmentFlag.AlignTop | Qt.AlignmentFlag.AlignLeft)
        self.missing_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)

        self.document = QPdfDocument(self)
        self.pdf_view = QPdfView(self)
        self.pdf_view.setObjectName("letterPreview")
        self.pdf_view.setAccessibleName("Preview of the selected letter")
        self.pdf_view.setDocument(self.document)
        self.pdf_view.setPageMode(QPdfView.PageMode.MultiPage)
        self.pdf_view.setZoomMode(QPdfView.ZoomMode.FitToWidth)

        # two rows of buttons: the list stays narrow enough for the preview to be read beside it
        letter_buttons = QHBoxLayout()
        for button in (self.preview_button, self.issue_button, self.correct_button):
            letter_buttons.addWidget(button)
        letter_buttons.addStretch(1)
        copy_buttons = QHBoxLayout()
        for button in (self.print_button, self.save_button):
            copy_buttons.addWidget(button)
        copy_buttons.addStretch(1)
        copy_buttons.addWidget(self.batch_button)
        left = QWidget()
        left_layout = QVBoxLayout(left)
        left_layout.setContentsMargins(0, 0, 0, 0)
        left_layout.addLayout(letter_buttons)
        left_layout.addLayout(copy_buttons)
        left_layout.addWidget(self.table, 2)
        left_layout.addWidget(self.status_label)
        self.missing_scroll = QScrollArea()     # a long list of what is missing scrolls; it never pushes the page
        self.missing_scroll.setObjectName("letterMissingScroll")
        self.missing_scroll.setFrameShape(QFrame.Shape.NoFrame)
        self.missing_scroll.setWidgetResizable(True)
        self.missing_scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.missing_scroll.setWidget(self.missing_label)
        self.missing_scroll.setMinimumHeight(2 * self.fontMetrics().lineSpacing() + 4)
        left_layout.addWidget(self.missing_scroll, 1)
        splitter = QSplitter(Qt.Orientation.Horizontal)
        splitter.addWidget(left)
        splitter.addWidget(self.pdf_view)
        splitter.setStretchFactor(0, 3)
        splitter.setStretchFactor(1, 2)
        splitter.setSizes([640, 560])       # the preview wide enough to read a line of the letter
        self.splitter = splitter
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(splitter)
        self.update_buttons()

    def sizeHint(self) -> QSize:  # noqa: N802 (Qt's name)
        """No taller than a few letters ask: the record's page then fits a 768-pixel screen (the splitter
        gives the view all the room there is)."""
        hint = super().sizeHint()
        return QSize(hint.width(), max(self.minimumSizeHint().height(), 200))

    # -- who and whose -------------------------------------------------------------------------
    def set_actor(self, actor: Actor | None) -> None:
        self.actor = actor
        if self.view is not None:
            self.show_view(self.view)
        self.update_buttons()

    @property
    def may_write_letters(self) -> bool:
        return self.actor is not None and self.actor.role in letter_service.CLINICAL_ROLES

    def show_view(self, view: PatientView) -> None:
        """Her drafts at once (they come with her record); her issued letters read on a worker and listed
        when they arrive (`letters_listed`), the ones read before staying listed meanwhile."""
        other_patient = self.view is None or self.view.patient_id != view.patient_id
        self.view = view
        if other_patient:
            self.clear_preview()
            self.corrections = {}
            self.issued = []
        self._cancel_issued_read()
        if self.actor is None:
            self.issued = []
            self.show_message("Sign in to see her letters.")
        elif not self.may_write_letters:
            self.issued = []
            self.show_message("An admin does not draft, issue or print letters.")
        else:
            worker = Worker(letter_service.issued_letters, self.actor, view.patient_id)
            worker.signals.finished.connect(self._on_issued_worker_finished)
            worker.signals.errored.connect(self._on_issued_worker_errored)
            self._issued_worker = worker
            self.pool.start(worker)
        self.fill_list()

    def shut_down(self) -> None:
        """Her record closes: the letters read or printed on this view's workers are stopped and waited for
        (a read must not outlive the record, or the database it reads)."""
        self._cancel_issued_read()
        if self._own_pool:
            self.pool.shut_down()
        else:
            self.pool.cancel_all()

    def is_loading(self) -> bool:
        """Her issued letters are being read."""
        return self._issued_worker is not None

    def _cancel_issued_read(self) -> None:
        if self._issued_worker is not None:
            self._issued_worker.cancel()   # a newer read (or none) replaces it
            self._issued_worker = None

    def _answers_the_read_wanted(self) -> bool:
        """The report is the read still wanted (not one replaced, nor one queued before it was cancelled)."""
        sender = self.sender()
        return self._issued_worker is not None and (sender is None or sender is self._issued_worker.signals)

    def _on_issued_worker_finished(self, issued: list) -> None:
        if not self._answers_the_read_wanted():
            return
        self._issued_worker = None
        self.issued = list(issued)
        self.fill_list()
        self.letters_listed.emit(self.view.patient_id)

    def _on_issued_worker_errored(self, exc: BaseException, _traceback: str) -> None:
        if not self._answers_the_read_wanted():
            return
        self._issued_worker = None
        if not isinstance(exc, PaoClinicError):
            sys.excepthook(type(exc), exc, exc.__traceback__)
            return
        self.issued = []
        self.fill_list()
        self.show_message(f"Her issued letters could not be read: {exc}")

    def fill_list(self) -> None:
        """The list from her record's referrals, the issued letters read last and the draft corrections."""
        view = self.view
        if view is None:
            return
        chosen = self.selected()
        self.model.set_rows(letter_rows(view.referrals if self.may_write_letters else (), self.issued,
                                        self.corrections))
        if chosen is not None:
            self.select_matching(chosen)
        self.table.resizeColumnsToContents()
        for column, widest in ((LetterTableModel.COL_LETTER, LETTER_COLUMN_MAX), (LetterTableModel.COL_WHO, 160)):
            if self.table.columnWidth(column) > widest:
                self.table.setColumnWidth(column, widest)
        if self.may_write_letters:
            drafts = sum(1 for r in self.model.rows() if r.kind == DRAFT)
            corrections = sum(1 for r in self.model.rows() if r.kind == CORRECTION)
            issued = ("reading her issued letters\N{HORIZONTAL ELLIPSIS}" if self.is_loading() and not self.issued
                      else f"{len(self.issued)} issued letter{'' if len(self.issued) == 1 else 's'}")
            self.status_label.setText(
                f"{drafts} draft{'' if drafts == 1 else 's'}, "
                + (f"{corrections} draft correction{'' if corrections == 1 else 's'}, " if corrections else "")
                + f"{issued}.")
        self.update_buttons()

    # -- selection -------------------------------------------------------------------------------
    def selected(self) -> LetterRow | None:
        rows = self.table.selectionModel().selectedRows()
        return rows[0].data(ROW_ROLE) if rows else None

    def _same(self, a: LetterRow, b: LetterRow) -> bool:
        if a.kind != b.kind:
            return False
        return (a.issued.id == b.issued.id) if a.issued is not None else (a.referral.id == b.referral.id)

    def select_matching(self, wanted: LetterRow) -> bool:
        for n in range(self.proxy.rowCount()):
            row = self.proxy.index(n, 0).data(ROW_ROLE)
            if self._same(row, wanted):
                self.table.selectRow(n)
                return True
        return False

    def select_referral(self, referral_id: int) -> bool:
        """Select the draft letter of a referral, else the latest letter issued for it."""
        rows = [self.proxy.index(n, 0).data(ROW_ROLE) for n in range(self.proxy.rowCount())]
        for n, row in enumerate(rows):
            if row.kind == DRAFT and row.referral.id == referral_id:
                self.table.selectRow(n)
                return True
        issued = [n for n, row in enumerate(rows) if row.kind == ISSUED and row.issued.referral_id == referral_id]
        if issued:
            self.table.selectRow(max(issued, key=lambda n: rows[n].issued.id))
            return True
        return False

    def write_letter_for(self, referral: Referral) -> bool:
        """The Write letter action: her letter for the referral, drafted and previewed."""
        if not self.select_referral(referral.id):
            self.show_message(f"There is no letter to write for this referral: it is {referral.status} "
                              "and no letter was issued for it here.")
            return False
        return self.preview_selected()

    def update_buttons(self) -> None:
        row = self.selected()
        allowed = self.may_write_letters
        self.preview_button.setEnabled(allowed and row is not None)
        self.issue_button.setEnabled(allowed and row is not None and row.is_draft)
        self.correct_button.setEnabled(allowed and row is not None and row.kind == ISSUED
                                       and row.issued.replaced_by is None and row.issued.id not in self.corrections)
        self.print_button.setEnabled(allowed and row is not None)
        self.save_button.setEnabled(allowed and row is not None)
        self.batch_button.setEnabled(allowed and self.batch_worker is None)

    def _on_table_selection_changed(self, *_args) -> None:
        self.update_buttons()

    def _on_table_double_clicked(self, _index) -> None:
        self.preview_selected()

    # -- reading a letter ------------------------------------------------------------------------
    def show_message(self, text: str) -> None:
        self.status_label.setText(text)
        self.message_shown.emit(text)

    def _today(self) -> date | None:
        return self.view.on if self.view is not None else None

    def letter_pdf(self, row: LetterRow) -> tuple[bytes, list]:
        """Its PDF and what it lacks: an issued letter's stored bytes, or the draft as of the view's day."""
        if row.kind == ISSUED:
            return letter_service.stored_letter(self.actor, row.issued.id), []
        if row.kind == CORRECTION:
            return letter_service.draft_correction(self.actor, row.issued.id, reason=row.reason, today=self._today())
        return letter_service.draft_letter(self.actor, self.view.patient_id, row.referral.id, today=self._today())

    def clear_preview(self) -> None:
        self.document.close()
        if self._buffer is not None:
            self._buffer.close()
            self._buffer = None
        self.previewed, self.preview_pdf, self.missing = None, None, []
        self.missing_label.setText("Select a letter and press Preview.")

    def preview_selected(self) -> bool:
        row = self.selected()
        if row is None or not self.may_write_letters:
            return False
        try:
            pdf, missing = self.letter_pdf(row)
        except PaoClinicError as exc:
            self.show_message(str(exc))
            return False
        self.clear_preview()
        buffer = QBuffer(self)
        buffer.setData(QByteArray(pdf))
        buffer.open(QIODevice.OpenModeFlag.ReadOnly)
        self._buffer = buffer
        self.document.load(buffer)
        self.previewed, self.preview_pdf, self.missing = row, pdf, list(missing)
        if row.kind == ISSUED:
            issued = row.issued
            replaces = f"; it replaces document {issued.replaces}" if issued.replaces else ""
            replaced = (f" REPLACED by document {issued.replaced_by}: do not rely on this letter; send the correction."
                        if issued.replaced_by else "")
            self.missing_label.setText(f"Issued by {issued.created_by or 'unknown user'} on {_when(issued.created_at)}"
                                       f" (document {issued.id}, SHA-256 {issued.sha256_short}){replaces}: "
                                       f"exactly as it was sent.{replaced}")
        elif row.kind == CORRECTION:
            self.missing_label.setText(f"DRAFT CORRECTION of document {row.issued.id}. Why: {row.reason}\n"
                                       + missing_words(self.missing))
        else:
            self.missing_label.setText("DRAFT. " + missing_words(self.missing))
        self.show_message(f"Previewing {row.title}.")
        return True

    # -- issuing ----------------------------------------------------------------------------------
    def issue_selected(self) -> int | None:
        """Issue the selected draft after confirming; the stored document's id, or None."""
        row = self.selected()
        if row is None or not row.is_draft or not self.may_write_letters:
            return None
        patient_id = self.view.patient_id
        try:
            _pdf, missing = self.letter_pdf(row)
        except PaoClinicError as exc:
            self.show_message(str(exc))
            return None
        blocking = [m for m in missing if m.blocks_issue]
        if blocking:
            self._refused([m.message for m in blocking])
            return None
        extra = ("\n\nIt replaces document {n}, which stays exactly as it was issued and is listed as replaced."
                 .format(n=row.issued.id) if row.kind == CORRECTION else "")
        if not IssueConfirmation.ask(self, row.title, extra):
            self.show_message("Not issued.")
            return None
        try:
            if row.kind == CORRECTION:
                document_id = letter_service.issue_correction(self.actor, row.issued.id, reason=row.reason,
                                                              today=self._today())
                self.corrections.pop(row.issued.id, None)
            else:
                document_id = letter_service.issue_letter(self.actor, patient_id, row.referral.id,
                                                          today=self._today())
        except ValidationError as exc:
            if row.kind == CORRECTION and any(p.path in ("replaces", "reason", "today") for p in exc.problems):
                words = "; ".join(p.message for p in exc.problems)
                self.missing_label.setText(f"The correction was not issued: {words}")
                self.show_message(f"Not issued: {words}")
                return None
            self._refused([p.message for p in exc.problems])
            return None
        except PaoClinicError as exc:
            self.show_message(f"Not issued: {exc}")
            return None
        if row.kind == CORRECTION:
            self.show_message(f"Issued the correction (document {document_id}); it replaces document "
                              f"{row.issued.id}, which is unchanged. Send the correction to everyone who had the letter.")
        else:
            self.show_message(f"Issued {row.title} (document {document_id}); the referral is marked sent.")
        self.letters_changed.emit(patient_id)
        return document_id

    # -- correcting an issued letter ------------------------------------------------------------
    def correct_selected(self) -> bool:
        """Issue a correction...: ask why, then add and preview a draft correction of the selected issued letter."""
        row = self.selected()
        if row is None or row.kind != ISSUED or not self.may_write_letters:
            return False
        if row.issued.replaced_by is not None:
            self.show_message(f"Document {row.issued.id} was already replaced by document {row.issued.replaced_by}; "
                              "correct that one instead.")
            return False
        reason = CorrectionReason.ask(self, row.issued.title)
        if reason is None:
            self.show_message("No correction made.")
            return False
        return self.draft_correction_of_selected(reason)

    def draft_correction_of_selected(self, reason: str) -> bool:
        """Add and preview a draft correction of the selected issued letter, for `reason` (nothing is written)."""
        row = self.selected()
        if row is None or row.kind != ISSUED or not self.may_write_letters:
            return False
        try:
            letter_service.draft_correction(self.actor, row.issued.id, reason=reason, today=self._today())
        except ValidationError as exc:
            self.show_message("No correction made: " + "; ".join(p.message for p in exc.problems))
            return False
        except PaoClinicError as exc:
            self.show_message(f"No correction made: {exc}")
            return False
        self.corrections[row.issued.id] = reason.strip()
        self.fill_list()
        correction = LetterRow(CORRECTION, issued=row.issued, reason=reason.strip())
        self.select_matching(correction)
        self.preview_selected()
        self.show_message(f"Draft correction of document {row.issued.id}: check it, then Issue it.")
        return True

    def _refused(self, reasons: list[str]) -> None:
        self.missing_label.setText("Cannot be issued until these are recorded:\n"
                                   + "\n".join(f"\u2022 {r}" for r in reasons))
        self.show_message("Not issued: " + "; ".join(reasons))

    # -- printing and saving ---------------------------------------------------------------------
    def print_selected(self) -> bool:
        row = self.selected()
        if row is None or not self.may_write_letters:
            return False
        printer = LetterPrinting.ask(self, row.title)
        if printer is None:
            return False
        try:
            pdf, _missing = self.letter_pdf(row)
            pages = print_pdf(pdf, printer)
            if row.kind == ISSUED:
                letter_service.record_letter_printed(self.actor, row.issued.id, copies=max(printer.copyCount(), 1))
        except (PaoClinicError, OSError, ValueError) as exc:
            self.show_message(f"Not printed: {exc}")
            return False
        self.show_message(f"Printed {row.title} ({pages} page{'' if pages == 1 else 's'}).")
        return True

    def save_selected(self) -> str | None:
        row = self.selected()
        if row is None or not self.may_write_letters:
            return None
        suggested = _file_name(("DRAFT " if row.is_draft else "") + row.title)
        path = SaveLetterAs.ask(self, suggested)
        if not path:
            return None
        try:
            pdf, _missing = self.letter_pdf(row)
            with open(path, "wb") as out:
                out.write(pdf)
            if row.kind == ISSUED:
                letter_service.record_letter_saved(self.actor, row.issued.id, file_name=path.rsplit("/", 1)[-1])
        except PaoClinicError as exc:
            self.show_message(f"Not saved: {exc}")
            return None
        except OSError as exc:
            self.show_message(f"Not saved: {path} could not be written ({exc.strerror or exc})")
            return None
        self.show_message(f"Saved {row.title} to {path}.")
        return path

    # -- printing every due letter in the background ----------------------------------------------
    def print_all_due(self, *, after_each: Callable[[int], None] | None = None) -> Worker | None:
        if not self.may_write_letters or self.batch_worker is not None:
            return None
        printer = LetterPrinting.ask(self, "every due letter")
        if printer is None:
            return None
        worker = Worker(print_due_letters, self.actor, printer, today=self._today(), after_each=after_each)
        worker.kwargs["worker"] = worker
        progress = QProgressDialog("Printing the due letters\u2026", "Cancel", 0, 0, self)
        progress.setObjectName("duePrintProgress")
        progress.setWindowTitle("Printing letters")
        progress.setAccessibleName("Progress of printing the due letters")
        progress.setMinimumDuration(0)
        progress.setAutoClose(False)
        progress.setAutoReset(False)
        progress.canceled.connect(self._on_progress_canceled)
        worker.signals.progress.connect(self._on_batch_progress)
        worker.signals.finished.connect(self._on_batch_finished)
        worker.signals.errored.connect(self._on_batch_errored)
        self.batch_worker, self.progress, self._printer = worker, progress, printer
        self.update_buttons()
        progress.show()
        self.pool.start(worker)
        return worker

    def _on_batch_progress(self, done: int, total: int, text: str) -> None:
        if self.progress is not None:
            self.progress.setMaximum(max(total, 1))
            self.progress.setValue(done)
            self.progress.setLabelText(f"Letter {min(done + 1, total)} of {total}: {text}" if done < total
                                       else f"{total} letters printed.")

    def _on_progress_canceled(self) -> None:
        if self.batch_worker is not None:
            self.batch_worker.cancel()
        self._end_batch("Printing stopped: the letter being printed is finished and no more are printed.")

    def _on_batch_finished(self, result: BatchPrintResult) -> None:
        self._end_batch(f"Printed {len(result.printed)} of {result.total} due letter"
                        f"{'' if result.total == 1 else 's'}.")

    def _on_batch_errored(self, exc: Exception, _traceback: str) -> None:
        words = str(exc) if isinstance(exc, (PaoClinicError, OSError, ValueError)) else "an unexpected fault"
        self._end_batch(f"Printing the due letters stopped: {words}.")

    def _end_batch(self, words: str) -> None:
        progress, self.progress = self.progress, None
        if progress is not None:
            progress.canceled.disconnect(self._on_progress_canceled)
            progress.close()
            progress.deleteLater()
        self.batch_worker = None
        self.show_message(words)
        self.update_buttons()


__all__ = [
    "BatchPrintResult", "CorrectionReason", "IssueConfirmation", "LetterPrinting", "LetterRow", "LetterTableModel", "LettersView",
    "PdfPrintJob", "SaveLetterAs", "letter_rows", "load_pdf", "missing_words", "print_due_letters", "print_pdf",
]
