"""The main window: the caseload, today's worklist beside it, and "Check medication…".

Both lists come from service calls run in one background worker; the window only
shows what they return.  The caseload shows each woman's status flags as worded
badges, with quick filters above it; the worklist shows each task in words, the
"What to do" text wrapped in full, tasks coming up apart from overdue ones, and a
"Do this now" button for the selected task's next step.

The window's shell: File ▸ Import… and Export… run on a worker behind a progress
dialog that can cancel (an import is all or nothing: cancelled before its write
commits, nothing is saved), File ▸ Settings…, Ctrl+N a new patient, Ctrl+P her
patient summary to a printer, and `switch_user` for a demo database's roles.
"""

from __future__ import annotations

import os
import sys
import tempfile
import threading
from contextlib import contextmanager
from datetime import date, datetime
from pathlib import Path
from typing import Callable

from PySide6.QtCore import (
    QBuffer, QByteArray, QIODevice, QItemSelectionModel, QModelIndex, QPoint, QRect, QSettings, QSize, Qt, QTimer,
    Signal,
)
from PySide6.QtGui import QAction, QCloseEvent, QGuiApplication, QIcon, QKeySequence, QPainter
from PySide6.QtPdf import QPdfDocument
from PySide6.QtPrintSupport import QPrintDialog, QPrinter
from PySide6.QtWidgets import (
    QAbstractItemView, QDialog, QDialogButtonBox, QDockWidget, QFileDialog, QHBoxLayout, QHeaderView, QLabel,
    QLineEdit, QMainWindow, QMessageBox, QPlainTextEdit, QProgressBar, QPushButton, QTableView, QVBoxLayout,
    QWidget,
)

from pao_clinic import services
from pao_clinic.errors import PaoClinicError, ValidationError
from pao_clinic.exchange import document_to_bytes, read_document_text
from pao_clinic.gate import WorklistTask
from pao_clinic.gate.task_words import task_words
from pao_clinic.record.dates import written_date
from pao_clinic.services import Actor, CaseloadRow
from pao_clinic.services.caseload import CaseloadOverview, caseload_overview_updated
from pao_clinic.services.first_lines import FirstLinesUnderWay, first_lines_on
from pao_clinic.services.patient_view import banner_name

from .caseload_model import (
    QUICK_FILTERS, ROW_ROLE, CaseloadFilterProxy, CaseloadTableModel, FlagBadgeDelegate, RowSortProxy, list_table_view,
)
from .check_dialog import CheckMedicationDialog
from .entry_forms import EntryForm, open_entry_form
from .patient_record import SECTION_TITLES, PatientRecordWidget, section_for_task
from .patient_tabs import PatientTabs
from .live_refresh import ALL, LiveRefresh
from .resources import resource_path
from .settings_dialog import SettingsDialog
from .workers import Worker, WorkerPool
from .worklist_model import WorklistDelegate, WorklistTableModel, patients_by_identifier

FILTER_PLACEHOLDER = "Filter by name, NHS or hospital number"
TICK = "\u2713 "  # on a quick filter that is on

#: The size the window opens at on a first run when the screen has room, and the smallest it may be.
PREFERRED_SIZE = QSize(1440, 860)
MINIMUM_SIZE = QSize(1000, 600)
#: Below this width the worklist goes under the caseload, so its "What to do" text has the full width.
WIDE_WINDOW = 1600
#: Below this height (a 1366x768 laptop) the worklist under the caseload gives her open record the room:
#: it shrinks to its top task, its detail and "Do this now", and grows back on the Caseload tab.
SHORT_WINDOW = 900
COMPACT_WORKLIST_HEIGHT = 170

#: A task's next step: the decision dialog, or the section of her record where it is done.
DECISION = "decision"
NEXT_STEPS: dict[str, tuple[str, str]] = {
    "LACTATION-UNKNOWN": ("Record feeding", "pregnancies"),
    "FEEDING-CHECK": ("Record feeding", "pregnancies"),
    "REFERRAL-OVERDUE": ("Open the referral", "referrals"),
    "REFERRAL-UNSENT": ("Open the referral", "referrals"),
    "DECISION-DUE": ("Record a decision", DECISION),
}


def next_step(code: str) -> tuple[str, str]:
    """(button words, DECISION or the section key) for a task code."""
    if code in NEXT_STEPS:
        return NEXT_STEPS[code]
    section = section_for_task(code)
    return f"Open {SECTION_TITLES[section]}", section


def first_run_geometry(available: QRect, preferred: QSize = PREFERRED_SIZE) -> QRect:
    """The window's place on a first run: the preferred size within the screen's free area, centred."""
    width = min(preferred.width(), available.width())
    height = min(preferred.height(), available.height())
    left = available.left() + (available.width() - width) // 2
    top = available.top() + (available.height() - height) // 2
    return QRect(left, top, width, height)


#: Rows the first lines' columns are fitted to: about a screenful (each row sized costs ~0.8 ms at 10,000 women).
FIRST_LINES_FITTED = 40
#: How long the full refresh waits after the first lines are shown, for them to be painted (milliseconds).
FIRST_LINES_PAINT_MS = 100


#: Women named by one change (others' saves) worked out again by themselves; more (an import): all read again.
UPDATED_AT_MOST = 500


def load_lists(on: date) -> CaseloadOverview:
    """The caseload and the worklist on one day, from one read (runs on a worker thread)."""
    return services.caseload_overview(on)


def plural(n: int, word: str) -> str:
    return f"{n} {word}" if n == 1 else f"{n} {word}s"


# --- long work: import and export -------------------------------------------------------------

class CommitGate:
    """Decides, race-free, whether a cancel comes before an all-or-nothing write begins.

    The worker calls `begin_write()` just before the one transaction that writes; the
    window calls `try_cancel()`.  Whichever comes first wins: a cancel before the write
    stops the work with nothing written; once the write has begun it runs to its end
    (one transaction cannot stop half-way), and the window says so.
    """

    def __init__(self):
        self._lock = threading.Lock()
        self.cancel_requested = False
        self.writing = False

    def try_cancel(self) -> bool:
        with self._lock:
            if self.writing:
                return False
            self.cancel_requested = True
            return True

    def begin_write(self, worker: Worker) -> None:
        with self._lock:
            if self.cancel_requested:
                worker.cancel()
            else:
                self.writing = True
        worker.stop_if_cancelled()


IMPORT_STEPS = 3


def import_document_file(path: Path, actor: Actor, today: date, gate: CommitGate, *, worker: Worker) -> list[int]:
    """Read, check and import one exchange document (on a worker): the new patients' ids."""
    worker.report_progress(0, IMPORT_STEPS, f"Reading {path.name}\u2026")
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise ValidationError(f"{path.name} is not a text file in UTF-8: it cannot be an exchange document") from None
    except OSError as exc:
        raise ValidationError(f"cannot read {path}: {exc.strerror or exc}") from None
    worker.stop_if_cancelled()
    worker.report_progress(1, IMPORT_STEPS, "Checking every patient in the file\u2026")
    records = read_document_text(text, today=today)
    worker.stop_if_cancelled()
    worker.report_progress(2, IMPORT_STEPS, f"Saving {plural(len(records), 'patient')} (all or nothing)\u2026")

    def saved(done: int, total: int) -> None:
        worker.report_progress(2, IMPORT_STEPS,
                               f"Saving {plural(total, 'patient')} (all or nothing): {done:,} written\u2026")
        if done == total:
            # the last check follows: from here a cancel is refused and the import commits
            gate.begin_write(worker)

    if not records:
        gate.begin_write(worker)
    # a cancel before the end rolls the one transaction back (ImportCancelled or WorkCancelled): nothing saved
    ids = services.import_records(actor, records, should_stop=lambda: worker.cancelled, progress=saved)
    worker.report_progress(IMPORT_STEPS, IMPORT_STEPS, f"Imported {plural(len(ids), 'patient')}")
    return ids


EXPORT_STEPS = 3


def export_caseload_file(path: Path, actor: Actor, gate: CommitGate, *, worker: Worker) -> int:
    """Write the whole caseload to an exchange document (on a worker): how many patients.

    The file is written next to its place and moved there at the end, so a cancelled or
    failed export leaves no half-written file (and an older file of that name untouched).
    """
    worker.report_progress(0, EXPORT_STEPS, "Reading the caseload\u2026")
    document = services.export_document(actor=actor)  # audited: who exported the caseload, and when
    worker.stop_if_cancelled()
    worker.report_progress(1, EXPORT_STEPS, f"Writing {plural(len(document['patients']), 'patient')}\u2026")
    data = document_to_bytes(document)  # the file's UTF-8 text
    worker.stop_if_cancelled()
    try:
        handle, temporary = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".part", dir=path.parent)
        with os.fdopen(handle, "wb") as f:
            f.write(data)
        gate.begin_write(worker)
        os.replace(temporary, path)
    except OSError as exc:
        raise ValidationError(f"cannot write {path}: {exc.strerror or exc}") from None
    finally:
        if "temporary" in locals() and os.path.exists(temporary):
            os.unlink(temporary)
    worker.report_progress(EXPORT_STEPS, EXPORT_STEPS, "Done")
    return len(document["patients"])


class WorkProgressDialog(QDialog):
    """What a long job is doing, with Cancel; closes itself when the job has stopped."""

    cancel_requested = Signal()

    def __init__(self, title: str, steps: int, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("workProgress")
        self.setWindowTitle(title)
        self.setModal(True)
        self.setMinimumWidth(420)
        self.label = QLabel("Starting\u2026")
        self.label.setObjectName("progressText")
        self.label.setWordWrap(True)
        self.bar = QProgressBar()
        self.bar.setObjectName("progressBar")
        self.bar.setAccessibleName(title)
        self.bar.setRange(0, steps)
        self.bar.setValue(0)
        self.cancel_button = QPushButton("Cancel")
        self.cancel_button.setObjectName("cancelWorkButton")
        self.cancel_button.setAccessibleName(f"Cancel: {title}")
        self.cancel_button.clicked.connect(self.cancel_requested)
        buttons = QDialogButtonBox()
        buttons.addButton(self.cancel_button, QDialogButtonBox.ButtonRole.RejectRole)
        layout = QVBoxLayout(self)
        layout.addWidget(self.label)
        layout.addWidget(self.bar)
        layout.addWidget(buttons)

    def show_progress(self, done: int, total: int, text: str) -> None:
        self.bar.setRange(0, max(total, 1))
        self.bar.setValue(done)
        self.label.setText(text)

    def reject(self) -> None:  # Escape and the close button ask to cancel; the job closes the dialog
        self.cancel_requested.emit()


class ImportProblemsDialog(QDialog):
    """Why a file was not imported: every problem by its JSON path, in words."""

    def __init__(self, file_name: str, error: ValidationError, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("importProblems")
        self.setWindowTitle("Nothing was imported")
        self.resize(720, 420)
        count = len(error.problems)
        heading = QLabel(f"{file_name} was not imported: {plural(count, 'problem')} "
                         f"{'was' if count == 1 else 'were'} found, so nothing was saved. "
                         "Each line names the place in the file (its JSON path) and what is wrong there.")
        heading.setObjectName("importProblemsHeading")
        heading.setWordWrap(True)
        self.problems_text = QPlainTextEdit("\n".join(str(p) for p in error.problems))
        self.problems_text.setObjectName("importProblemsText")
        self.problems_text.setAccessibleName("Problems found in the file")
        self.problems_text.setReadOnly(True)
        self.problems_text.setLineWrapMode(QPlainTextEdit.LineWrapMode.WidgetWidth)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(heading)
        layout.addWidget(self.problems_text, 1)
        layout.addWidget(buttons)

    def text(self) -> str:
        return self.problems_text.toPlainText()


class DocumentFileChooser:
    """The file dialogs for import and export (tests replace `ask_open` and `ask_save`)."""

    FILTER = "PAO Clinic exchange documents (*.json);;All files (*)"

    @classmethod
    def ask_open(cls, parent: QWidget | None = None) -> Path | None:
        path, _ = QFileDialog.getOpenFileName(parent, "Import patients from an exchange document", "", cls.FILTER)
        return Path(path) if path else None

    @classmethod
    def ask_save(cls, parent: QWidget | None = None, suggested: str = "caseload.json") -> Path | None:
        path, _ = QFileDialog.getSaveFileName(parent, "Export the caseload", suggested, cls.FILTER)
        return Path(path) if path else None


# --- printing -----------------------------------------------------------------------------------

#: PDF pages are drawn to the printer as images at most this fine (a 1200 dpi A4 page would be 500 MB).
PRINT_DPI = 300


class PrintChooser:
    """The system print dialog (tests replace `ask`)."""

    @classmethod
    def ask(cls, printer: QPrinter, parent: QWidget | None = None, title: str = "Print") -> bool:
        dialog = QPrintDialog(printer, parent)
        dialog.setWindowTitle(title)
        accepted = dialog.exec() == QDialog.DialogCode.Accepted
        dialog.deleteLater()
        return accepted


def print_pdf(pdf: bytes, printer: QPrinter) -> int:
    """Draw every page of a PDF onto the printer, each fitted to its page; how many pages."""
    data = QByteArray(pdf)
    buffer = QBuffer(data)
    buffer.open(QIODevice.OpenModeFlag.ReadOnly)
    document = QPdfDocument()
    document.load(buffer)
    if document.status() != QPdfDocument.Status.Ready or document.pageCount() == 0:
        raise ValidationError("the document to print could not be read back (it is not a PDF)")
    painter = QPainter()
    if not painter.begin(printer):
        raise ValidationError("the printer could not be started (check it is connected and has paper)")
    try:
        dpi = min(printer.resolution(), PRINT_DPI)
        for page in range(document.pageCount()):
            if page:
                printer.newPage()
            points = document.pagePointSize(page)
            image = document.render(page, QSize(round(points.width() * dpi / 72), round(points.height() * dpi / 72)))
            area = painter.viewport()
            scaled = image.size().scaled(area.size(), Qt.AspectRatioMode.KeepAspectRatio)
            left = (area.width() - scaled.width()) // 2
            painter.setViewport(area)
            painter.setWindow(area)
            painter.drawImage(QRect(QPoint(left, 0), scaled), image)
        return document.pageCount()
    finally:
        painter.end()
        document.close()
        buffer.close()


def _table_view(object_name: str) -> QTableView:
    view = list_table_view(object_name)
    view.setWordWrap(False)
    view.horizontalHeader().setSectionsMovable(True)
    return view


class MainWindow(QMainWindow):
    """The caseload and today's worklist for the signed-in user."""

    refreshed = Signal()                 # both lists show fresh rows
    caseload_shown = Signal()            # caseload lines are on screen (first lines, or worked out)
    refresh_failed = Signal(str)         # a known error stopped the refresh (its text)
    patient_selected = Signal(object)    # the CaseloadRow now selected, or None
    decision_requested = Signal(int)     # "Do this now" on a decision due: the patient's id
    user_switched = Signal(object)       # the Actor now signed in (switch_user)
    job_finished = Signal(str, object)   # "import" / "export", and its result (None when cancelled)
    job_failed = Signal(str, str)        # "import" / "export", and the words shown
    printed = Signal(int)                # how many pages went to the printer

    #: How often the window looks at the calendar, so that lists left open overnight follow the real date.
    DAY_CHECK_MS = 60_000

    def __init__(self, actor: Actor, database: str, *, demo: bool = False, parent: QWidget | None = None,
                 today: Callable[[], date] = date.today, first_lines: FirstLinesUnderWay | None = None):
        super().__init__(parent)
        self._first_lines_under_way = first_lines  # read while the file was checked (services.first_lines)
        self.actor = actor
        self.database = database
        self.demo = demo
        self.today = today  # the clock; tests pass their own
        self.check_dialog: CheckMedicationDialog | None = None
        self.settings_dialog: SettingsDialog | None = None
        self.patient_form: EntryForm | None = None
        self.problems_dialog: ImportProblemsDialog | None = None
        self.progress_dialog: WorkProgressDialog | None = None
        self._job: tuple[str, Worker, CommitGate] | None = None
        self._last_job_file = ""
        self._pool = WorkerPool(self)
        self._refresh_worker: Worker | None = None
        self._first_rows_worker: Worker | None = None
        self._waiting_refresh: Worker | None = None  # the full refresh, started once the first lines are painted
        self._overview: CaseloadOverview | None = None  # the lines and tasks on screen, as worked out
        self._caseload_worklist_height: int | None = None  # the worklist's height on the Caseload tab, kept
        self._loaded_once = False
        self.shown_on: date | None = None  # the day the lists on screen were worked out for
        self._requested_on: date | None = None

        self.setObjectName("mainWindow")
        self.setWindowTitle(self.title())
        self.setWindowIcon(QIcon(str(resource_path("icons/app.svg"))))
        self.setMinimumSize(MINIMUM_SIZE)
        self._place_for_first_run()

        self._build_actions()
        self._build_caseload()
        self._build_worklist()
        self._build_menus()
        self._build_status_bar()
        self._restore_window_state()
        self._on_caseload_selection_changed()
        self._on_patient_tabs_current_changed()
        self._set_tab_order()

        self.day_timer = QTimer(self)
        self.day_timer.setObjectName("dayTimer")
        self.day_timer.setInterval(self.DAY_CHECK_MS)
        self.day_timer.timeout.connect(self._on_day_timer_timeout)
        self.day_timer.start()

        # someone else's save on a shared caseload shows here within seconds
        self.live_refresh = LiveRefresh(parent=self)
        self.live_refresh.changed.connect(self._on_live_refresh_changed)
        self.live_refresh.failed.connect(self._on_live_refresh_failed)
        try:
            self.live_refresh.start()
        except PaoClinicError as exc:
            self.statusBar().showMessage(f"Changes saved by others will not show by themselves: {exc}")

    def title(self) -> str:
        if self.demo:
            return f"PAO Clinic \u2014 DEMO caseload (signed in as {self.actor.display_name})"
        return f"PAO Clinic \u2014 signed in as {self.actor.display_name}"

    # -- building ------------------------------------------------------------------------
    def _build_actions(self) -> None:
        self.check_action = QAction(QIcon(str(resource_path("icons/check.svg"))), "Check medication\u2026", self)
        self.check_action.setObjectName("checkMedicationAction")
        self.check_action.setShortcut(QKeySequence("Ctrl+M"))
        self.check_action.setStatusTip("Ask the medication gate about a drug for the selected patient")
        self.check_action.triggered.connect(self._on_check_action_triggered)

        self.refresh_action = QAction(QIcon(str(resource_path("icons/refresh.svg"))), "Refresh", self)
        self.refresh_action.setObjectName("refreshAction")
        self.refresh_action.setShortcut(QKeySequence(QKeySequence.StandardKey.Refresh))
        self.refresh_action.setStatusTip("Reload the caseload and today's worklist")
        self.refresh_action.triggered.connect(self._on_refresh_action_triggered)

        self.find_action = QAction("Find patient", self)
        self.find_action.setShortcut(QKeySequence(QKeySequence.StandardKey.Find))
        self.find_action.triggered.connect(self._on_find_action_triggered)

        self.new_patient_action = QAction("New patient\u2026", self)
        self.new_patient_action.setObjectName("newPatientAction")
        self.new_patient_action.setShortcut(QKeySequence("Ctrl+N"))
        self.new_patient_action.setStatusTip("Register a new patient")
        self.new_patient_action.triggered.connect(self._on_new_patient_action_triggered)

        self.print_action = QAction("Print patient summary\u2026", self)
        self.print_action.setObjectName("printAction")
        self.print_action.setShortcut(QKeySequence("Ctrl+P"))
        self.print_action.setStatusTip("Print the open record's patient summary")
        self.print_action.triggered.connect(self._on_print_action_triggered)

        self.import_action = QAction("Import\u2026", self)
        self.import_action.setObjectName("importAction")
        self.import_action.setStatusTip("Import patients from an exchange document (all or nothing)")
        self.import_action.triggered.connect(self._on_import_action_triggered)

        self.export_action = QAction("Export\u2026", self)
        self.export_action.setObjectName("exportAction")
        self.export_action.setStatusTip("Export the whole caseload to an exchange document")
        self.export_action.triggered.connect(self._on_export_action_triggered)

        self.settings_action = QAction("Settings\u2026", self)
        self.settings_action.setObjectName("settingsAction")
        self.settings_action.setShortcut(QKeySequence(QKeySequence.StandardKey.Preferences))
        self.settings_action.setStatusTip("The clinic's letterhead, address book, thresholds and database")
        self.settings_action.triggered.connect(self._on_settings_action_triggered)
        self.audit_action = QAction("Audit trail\u2026", self)
        self.audit_action.setObjectName("auditTrailAction")
        self.audit_action.setStatusTip("Every audit entry of the clinic by days, user and action; check the chain")
        self.audit_action.triggered.connect(self._on_audit_action_triggered)
        self.audit_action.setVisible(self.actor.role in services.ADMIN_ROLES)

        self.quit_action = QAction("Quit", self)
        self.quit_action.setShortcut(QKeySequence(QKeySequence.StandardKey.Quit))
        self.quit_action.triggered.connect(self.close)

        toolbar = self.addToolBar("Main")
        toolbar.setObjectName("mainToolBar")
        toolbar.setMovable(False)
        toolbar.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        toolbar.addAction(self.check_action)
        toolbar.addAction(self.refresh_action)

    def _build_caseload(self) -> None:
        self.filter_edit = QLineEdit()
        self.filter_edit.setObjectName("caseloadFilter")
        self.filter_edit.setPlaceholderText(FILTER_PLACEHOLDER)
        self.filter_edit.setClearButtonEnabled(True)
        self.filter_edit.setAccessibleName("Find patient")
        self.filter_edit.textChanged.connect(self._on_filter_edit_text_changed)
        self.count_label = QLabel()
        self.count_label.setObjectName("caseloadCount")

        self.caseload_model = CaseloadTableModel(self)
        self.caseload_proxy = CaseloadFilterProxy(self)
        self.caseload_proxy.setSourceModel(self.caseload_model)
        for signal in (self.caseload_proxy.rowsInserted, self.caseload_proxy.rowsRemoved,
                       self.caseload_proxy.modelReset, self.caseload_proxy.layoutChanged):
            signal.connect(self._on_caseload_proxy_rows_changed)

        self.quick_filter_buttons: dict[str, QPushButton] = {}
        quick = QHBoxLayout()
        quick.setSpacing(4)
        show_only = QLabel("Show only:")
        quick.addWidget(show_only)
        for spec in QUICK_FILTERS:
            button = QPushButton(spec.label)
            button.setObjectName(f"quickFilter_{spec.key}")
            button.setCheckable(True)
            button.setToolTip(spec.tip)
            button.setAccessibleName(f"Show only: {spec.label}")
            button.toggled.connect(self._on_quick_filter_button_toggled)
            self.quick_filter_buttons[spec.key] = button
            quick.addWidget(button)

        self.caseload_view = _table_view("caseloadTable")
        self.caseload_view.setAccessibleName("Caseload")
        self.caseload_view.setModel(self.caseload_proxy)
        self.flag_delegate = FlagBadgeDelegate(self.caseload_view)
        self.caseload_view.setItemDelegateForColumn(CaseloadTableModel.COL_FLAGS, self.flag_delegate)
        self.caseload_view.sortByColumn(CaseloadTableModel.COL_NAME, Qt.SortOrder.AscendingOrder)
        self.caseload_view.horizontalHeader().setStretchLastSection(False)
        self.caseload_view.selectionModel().selectionChanged.connect(self._on_caseload_selection_changed)
        self.caseload_view.doubleClicked.connect(self._on_caseload_view_double_clicked)

        top = QHBoxLayout()
        top.addWidget(self.filter_edit, 1)
        top.addSpacing(8)
        top.addLayout(quick)
        top.addSpacing(8)
        top.addWidget(self.count_label)
        panel = QWidget()
        panel.setObjectName("caseloadPanel")
        layout = QVBoxLayout(panel)
        layout.setContentsMargins(8, 8, 4, 8)
        layout.addLayout(top)
        layout.addWidget(self.caseload_view, 1)
        self.patient_tabs = PatientTabs(self, pool=self._pool, today=self.today, actor=self.actor)
        self.patient_tabs.set_home(panel, "Caseload")
        self.patient_tabs.record_changed.connect(self._on_patient_tabs_record_changed)
        self.patient_tabs.currentChanged.connect(self._on_patient_tabs_current_changed)
        self.setCentralWidget(self.patient_tabs)
        self.decision_requested.connect(self._on_decision_requested)

    def _build_worklist(self) -> None:
        self.worklist_model = WorklistTableModel(self)
        self.worklist_proxy = RowSortProxy(self)
        self.worklist_proxy.setSourceModel(self.worklist_model)
        self.worklist_view = _table_view("worklistTable")
        self.worklist_view.setAccessibleName("Today's worklist")
        self.worklist_view.setModel(self.worklist_proxy)
        self.worklist_view.setItemDelegate(WorklistDelegate(self.worklist_view))
        self.worklist_view.setWordWrap(True)
        self.worklist_view.setTextElideMode(Qt.TextElideMode.ElideNone)
        self.worklist_view.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        # Rows grow to their wrapped text, but only the rows on screen are measured (ResizeToContents
        # would measure every task on every resize and keystroke: seconds at a national caseload).
        self.worklist_view.verticalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Fixed)
        self._row_fit_timer = QTimer(self)
        self._row_fit_timer.setSingleShot(True)
        self._row_fit_timer.setInterval(0)
        self._row_fit_timer.timeout.connect(self._fit_visible_worklist_rows)
        self.worklist_view.verticalScrollBar().valueChanged.connect(self._row_fit_timer.start)
        self.worklist_view.horizontalHeader().sectionResized.connect(self._row_fit_timer.start)
        for signal in (self.worklist_proxy.modelReset, self.worklist_proxy.layoutChanged,
                       self.worklist_proxy.rowsInserted):
            signal.connect(self._row_fit_timer.start)
        self.worklist_view.sortByColumn(-1, Qt.SortOrder.AscendingOrder)  # the spec's order until asked
        header = self.worklist_view.horizontalHeader()
        header.setStretchLastSection(True)
        header.setSectionsMovable(False)
        header.setMinimumSectionSize(48)
        self.worklist_view.selectionModel().selectionChanged.connect(self._on_worklist_selection_changed)
        self.worklist_view.doubleClicked.connect(self._on_worklist_view_double_clicked)
        self.worklist_detail = QLabel()
        self.worklist_detail.setObjectName("taskDetail")
        self.worklist_detail.setWordWrap(True)
        self.worklist_detail.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.worklist_detail.setMinimumHeight(self.fontMetrics().lineSpacing() + 8)
        self.worklist_detail.setAlignment(Qt.AlignmentFlag.AlignTop | Qt.AlignmentFlag.AlignLeft)

        self.do_now_button = QPushButton("Do this now")
        self.do_now_button.setObjectName("doThisNowButton")
        self.do_now_button.setAccessibleName("Do this now")
        self.do_now_button.setDefault(False)
        self.do_now_button.clicked.connect(self._on_do_now_button_clicked)
        self.do_now_action = QAction("Do this now", self)
        self.do_now_action.setObjectName("doThisNowAction")
        self.do_now_action.setShortcut(QKeySequence("Ctrl+D"))
        self.do_now_action.setStatusTip("The selected task's next step")
        self.do_now_action.triggered.connect(self._on_do_now_button_clicked)
        self.addAction(self.do_now_action)

        below = QHBoxLayout()
        below.addWidget(self.worklist_detail, 1)
        below.addWidget(self.do_now_button, 0, Qt.AlignmentFlag.AlignTop)

        panel = QWidget()
        panel.setObjectName("worklistPanel")
        layout = QVBoxLayout(panel)
        layout.setContentsMargins(4, 8, 8, 8)
        layout.addWidget(self.worklist_view, 1)
        layout.addLayout(below)

        self.worklist_dock = QDockWidget("Today's worklist", self)
        self.worklist_dock.setObjectName("worklistDock")
        self.worklist_dock.setAllowedAreas(Qt.DockWidgetArea.RightDockWidgetArea
                                           | Qt.DockWidgetArea.BottomDockWidgetArea)
        self.worklist_dock.setFeatures(QDockWidget.DockWidgetFeature.DockWidgetMovable
                                       | QDockWidget.DockWidgetFeature.DockWidgetClosable)
        self.worklist_dock.setWidget(panel)
        if self.width() >= WIDE_WINDOW:
            self.addDockWidget(Qt.DockWidgetArea.RightDockWidgetArea, self.worklist_dock)
            self.resizeDocks([self.worklist_dock], [620], Qt.Orientation.Horizontal)
        else:  # a laptop: the worklist under the caseload, the full width for what to do
            self.addDockWidget(Qt.DockWidgetArea.BottomDockWidgetArea, self.worklist_dock)
            self.resizeDocks([self.worklist_dock], [self.height() * 2 // 5], Qt.Orientation.Vertical)

    def _build_menus(self) -> None:
        file_menu = self.menuBar().addMenu("&File")
        file_menu.addAction(self.refresh_action)
        file_menu.addSeparator()
        file_menu.addAction(self.import_action)
        file_menu.addAction(self.export_action)
        file_menu.addAction(self.print_action)
        file_menu.addSeparator()
        file_menu.addAction(self.settings_action)
        file_menu.addAction(self.audit_action)
        file_menu.addSeparator()
        file_menu.addAction(self.quit_action)
        patient_menu = self.menuBar().addMenu("&Patient")
        patient_menu.addAction(self.new_patient_action)
        patient_menu.addAction(self.find_action)
        patient_menu.addAction(self.check_action)
        patient_menu.addAction(self.patient_tabs.close_action)
        view_menu = self.menuBar().addMenu("&View")
        view_menu.addAction(self.worklist_dock.toggleViewAction())
        patient_menu.addAction(self.do_now_action)

    def _build_status_bar(self) -> None:
        bar = self.statusBar()
        if self.demo:
            demo = QLabel("DEMO caseload: synthetic patients")
            demo.setObjectName("demoBadge")
            bar.addPermanentWidget(demo)
        self.database_label = QLabel(self.database)
        self.database_label.setObjectName("databaseLabel")
        self.database_label.setToolTip(self.database)
        self.database_label.setMinimumWidth(80)  # a long path never widens the window past a laptop's screen
        self.database_label.setMaximumWidth(420)
        self.user_label = QLabel(f"Signed in as {self.actor.display_name} ({self.actor.role})")
        self.user_label.setObjectName("userLabel")
        bar.addPermanentWidget(self.database_label)
        bar.addPermanentWidget(self.user_label)

    def _set_tab_order(self) -> None:
        """Tab goes the way the eye does: search, quick filters, the caseload, the worklist, Do this now."""
        chain = [self.filter_edit, *self.quick_filter_buttons.values(), self.caseload_view, self.worklist_view,
                 self.do_now_button]
        for first, second in zip(chain, chain[1:]):
            QWidget.setTabOrder(first, second)

    # -- window state ------------------------------------------------------------------
    def _place_for_first_run(self) -> None:
        """The preferred size where the screen has room for it, else the screen's free area."""
        screen = self.screen() or QGuiApplication.primaryScreen()
        if screen is None:
            self.resize(PREFERRED_SIZE)
            return
        place = first_run_geometry(screen.availableGeometry())
        self.resize(place.size().expandedTo(MINIMUM_SIZE))
        self.move(place.topLeft())

    def _restore_window_state(self) -> None:
        settings = QSettings()
        geometry = settings.value("main_window/geometry")
        if geometry is not None:
            self.restoreGeometry(geometry)
        state = settings.value("main_window/state")
        if state is not None:
            self.restoreState(state)
        self.statusBar().show()

    def closeEvent(self, event: QCloseEvent) -> None:
        settings = QSettings()
        settings.setValue("main_window/geometry", self.saveGeometry())
        settings.setValue("main_window/state", self.saveState())
        self.live_refresh.stop()
        self.patient_tabs.shut_down()
        if self._waiting_refresh is not None:
            self._waiting_refresh.cancel()  # never started after the window has closed
        self._pool.shut_down()
        super().closeEvent(event)

    # -- loading -----------------------------------------------------------------------
    def refresh(self) -> None:
        """Reload the caseload and today's worklist on a worker thread."""
        if self._refresh_worker is not None:
            self._refresh_worker.cancel()  # a newer answer replaces it
        self._requested_on = self.today()
        if not self.caseload_model.rowCount() and self._first_rows_worker is None:
            # an empty window shows every woman's line first (one SELECT), then her status and the worklist
            early, self._first_lines_under_way = self._first_lines_under_way, None
            first = Worker(first_lines_on, self._requested_on, early)  # on a worker thread
            first.signals.finished.connect(self._on_first_rows_worker_finished)
            first.signals.errored.connect(self._on_first_rows_worker_errored)
            self._first_rows_worker = first
            self._pool.start(first)
        worker = Worker(load_lists, self._requested_on)
        worker.signals.finished.connect(self._on_refresh_worker_finished)
        worker.signals.errored.connect(self._on_refresh_worker_errored)
        self._refresh_worker = worker
        self.refresh_action.setEnabled(False)
        self.statusBar().showMessage("Loading the caseload and today's worklist\u2026")
        if self._first_rows_worker is not None:
            self._waiting_refresh = worker  # after the first lines: Python runs one thread at a time
        else:
            self._pool.start(worker)

    def _start_waiting_refresh(self) -> None:
        """Start the full refresh that waited for the first lines (a newer refresh may have replaced it)."""
        worker, self._waiting_refresh = self._waiting_refresh, None
        if worker is not None and not worker.cancelled:
            self._pool.start(worker)

    def _on_refresh_action_triggered(self) -> None:
        self.refresh()

    def _on_day_timer_timeout(self) -> None:
        """A new day has begun since the lists were worked out: work them out again for today."""
        if self.shown_on is not None and self._refresh_worker is None and self.today() != self.shown_on:
            self.refresh()

    def _on_first_rows_worker_finished(self, rows: list[CaseloadRow]) -> None:
        """Every woman's line before her status is worked out, when nothing is shown yet."""
        self._first_rows_worker = None
        if self._loaded_once or self.caseload_model.rowCount():
            self._start_waiting_refresh()
            return
        self.caseload_model.set_rows(rows)
        self._label_quick_filters()
        self._fit_columns(FIRST_LINES_FITTED)  # the worked-out lines are fitted to 200 rows (their flags are known)
        self.statusBar().showMessage(
            f"{plural(len(rows), 'patient')}: working out each woman's status and today's worklist\u2026")
        self.caseload_shown.emit()
        # The worked-out lines start once these are painted: a worker thread holding Python's lock would
        # halve the main thread's share while it lays out and paints them (first lines 0.1-0.2 s later).
        QTimer.singleShot(FIRST_LINES_PAINT_MS, self._start_waiting_refresh)

    def _on_first_rows_worker_errored(self, _exc: BaseException, _traceback: str) -> None:
        self._first_rows_worker = None  # the full refresh behind it reads the same tables and says what is wrong
        self._start_waiting_refresh()

    def _on_refresh_worker_finished(self, overview: CaseloadOverview) -> None:
        self._refresh_worker = None
        self.refresh_action.setEnabled(True)
        self._overview = overview
        rows, tasks = list(overview.rows), list(overview.tasks)
        self.shown_on = self._requested_on
        selected = self.selected_patient()
        self.caseload_model.set_rows(rows)
        self.worklist_model.set_rows(tasks, patients_by_identifier(rows), on=self.shown_on)
        self._label_quick_filters()
        if not self._loaded_once:
            self._loaded_once = True
            self._fit_columns()
            self._fit_worklist_columns()
            self._give_spare_width_to_the_worklist()
        if selected is not None:
            self.show_patient(selected.patient_id, clear_filter=False)
        urgent = sum(1 for t in tasks if t.priority == "urgent")
        self.worklist_dock.setWindowTitle(
            f"Today's worklist: {plural(len(tasks), 'task')}" + (f", {urgent} urgent" if urgent else "")
            + f" (on {written_date(self.shown_on)})")
        if self.selected_task() is None and self.worklist_proxy.rowCount():
            self.worklist_view.selectRow(0)  # the first task in full below the list
        self._on_worklist_selection_changed()
        self.statusBar().showMessage(
            f"Updated at {datetime.now():%H:%M}: {plural(len(rows), 'patient')}, {plural(len(tasks), 'task')}",
            10_000)
        self.patient_tabs.reload_all(self.shown_on)
        self.caseload_shown.emit()
        self.refreshed.emit()

    def _on_refresh_worker_errored(self, exc: BaseException, _traceback: str) -> None:
        self._refresh_worker = None
        self.refresh_action.setEnabled(True)
        if isinstance(exc, PaoClinicError):
            text = f"Could not load the caseload: {exc}"
            self.statusBar().showMessage(text)
            self.refresh_failed.emit(text)
            return
        self.statusBar().showMessage("Could not load the caseload (an unexpected error; see the message)")
        sys.excepthook(type(exc), exc, exc.__traceback__)

    def _fit_columns(self, rows: int = 200) -> None:
        """Widths from the content (the first `rows` rows) and the header's widest line, within reason.

        Not QHeaderView's own size hint: it reserves room for a sort arrow in every section.
        """
        for view, widest in ((self.caseload_view, 240),):
            header = view.horizontalHeader()
            header.setResizeContentsPrecision(rows)
            metrics = header.fontMetrics()
            model = view.model()
            for column in range(header.count() - (1 if header.stretchLastSection() else 0)):
                title = str(model.headerData(column, Qt.Orientation.Horizontal) or "")
                title_width = max((metrics.horizontalAdvance(line) for line in title.split("\n")), default=0)
                content_width = view.sizeHintForColumn(column)
                header.resizeSection(column, min(max(title_width + 24, content_width + 4), widest))

    def _on_live_refresh_changed(self, patient_ids) -> None:
        """Someone saved: the lists and open records read again; an open form says so and keeps its input.

        When the change names a few women, on the day shown, with nothing being read: only they are
        worked out again and everyone else's line and tasks are kept (`caseload_overview_updated`).
        """
        if (patient_ids is ALL or self._overview is None or self._refresh_worker is not None
                or self._first_rows_worker is not None or len(patient_ids) > UPDATED_AT_MOST
                or self.today() != self.shown_on):
            self.refresh()  # its answer reloads every open record too
        else:
            self._requested_on = self.shown_on
            worker = Worker(caseload_overview_updated, self._overview, frozenset(patient_ids))
            worker.signals.finished.connect(self._on_refresh_worker_finished)
            worker.signals.errored.connect(self._on_refresh_worker_errored)
            self._refresh_worker = worker  # a refresh asked meanwhile replaces it, as it replaces a refresh
            self.refresh_action.setEnabled(False)
            self._pool.start(worker)
        now = datetime.now()
        for record in self.patient_tabs.records():
            actions = getattr(record, "record_actions", None)
            form = actions.open_form if actions is not None else None
            if record.patient_id in patient_ids and form is not None and form.isVisible():
                form.note_changed_elsewhere(now)

    def _on_live_refresh_failed(self, text: str) -> None:
        self.statusBar().showMessage(text, 10_000)

    def _fit_visible_worklist_rows(self) -> None:
        """Each task on screen as tall as its wrapped text (and a screenful beyond, for smooth scrolling)."""
        view = self.worklist_view
        rows = self.worklist_proxy.rowCount()
        if not rows:
            return
        first = max(view.rowAt(0), 0)
        last = view.rowAt(view.viewport().height() - 1)
        last = rows - 1 if last < 0 else last
        for row in range(first, min(rows, last + 1 + (last - first + 1))):
            view.resizeRowToContents(row)

    def _fit_worklist_columns(self) -> None:
        """Narrow columns for priority, due and the task's words (wrapped); "What to do" stretches."""
        header = self.worklist_view.horizontalHeader()
        metrics = self.worklist_view.fontMetrics()
        icon = self.worklist_view.iconSize().width() if self.worklist_view.iconSize().isValid() else 16
        widths = {
            WorklistTableModel.COL_PRIORITY: max(metrics.horizontalAdvance(w) for w in ("Priority", "Routine", "Urgent"))
            + icon + 22,
            WorklistTableModel.COL_DUE: max(metrics.horizontalAdvance(w) for w in ("Coming up", "00-Mmm-0000")) + 20,
            WorklistTableModel.COL_PATIENT: metrics.horizontalAdvance("WIŚNIEWSKA-O'BRIEN,") + 12,
            WorklistTableModel.COL_TASK: metrics.horizontalAdvance("Repeat fracture since last") + 12,
        }
        if self.dockWidgetArea(self.worklist_dock) == Qt.DockWidgetArea.BottomDockWidgetArea:
            # the full width: due and the task's words on one line where they fit
            widths[WorklistTableModel.COL_DUE] = metrics.horizontalAdvance("Coming up 00-Mmm-0000") + 20
            longest = max(metrics.horizontalAdvance(task_words(t.code)) for t in self.worklist_model.rows()) \
                if self.worklist_model.rowCount() else 0
            widths[WorklistTableModel.COL_TASK] = min(max(widths[WorklistTableModel.COL_TASK], longest + 16),
                                                      metrics.horizontalAdvance("m") * 24)
        for column, width in widths.items():
            header.resizeSection(column, width)

    def _give_spare_width_to_the_worklist(self) -> None:
        """The caseload as wide as its columns; the worklist beside it takes the rest."""
        if self.worklist_dock.isFloating() or self.dockWidgetArea(self.worklist_dock) != Qt.DockWidgetArea.RightDockWidgetArea:
            return
        view = self.caseload_view
        needed = (view.horizontalHeader().length() + view.verticalScrollBar().sizeHint().width()
                  + 2 * view.frameWidth() + 40)  # margins and the dock separator
        spare = self.width() - needed
        if spare > self.worklist_dock.width():
            self.resizeDocks([self.worklist_dock], [spare], Qt.Orientation.Horizontal)

    # -- the caseload ------------------------------------------------------------------
    def _on_caseload_proxy_rows_changed(self, *_args) -> None:
        shown, total = self.caseload_proxy.rowCount(), self.caseload_model.rowCount()
        self.count_label.setText(f"{shown} of {total} patient{'' if total == 1 else 's'}")

    def _on_quick_filter_button_toggled(self, _checked: bool) -> None:
        with self._selection_kept():
            self.caseload_proxy.set_quick_filters(key for key, b in self.quick_filter_buttons.items() if b.isChecked())
        self._label_quick_filters()
        self._on_caseload_proxy_rows_changed()

    @contextmanager
    def _selection_kept(self):
        """A change of filter resets the list: the woman selected stays selected while she is still shown."""
        selected = self.selected_patient()
        yield
        if selected is not None:
            self.show_patient(selected.patient_id, clear_filter=False)

    def _label_quick_filters(self) -> None:
        """Each button's words, how many lines it keeps, and a tick when on (not only a sunken look)."""
        rows = self.caseload_model.row_values()
        known = all(r.worked_out for r in rows)
        for spec in QUICK_FILTERS:
            button = self.quick_filter_buttons[spec.key]
            count = sum(1 for r in rows if spec.keeps(r)) if known else "\u2026"
            tick = TICK if button.isChecked() else ""
            button.setText(f"{tick}{spec.label} ({count})")

    def set_quick_filter(self, key: str, on: bool = True) -> None:
        """Switch a quick filter on or off, as its button does."""
        self.quick_filter_buttons[key].setChecked(on)

    def _on_filter_edit_text_changed(self, text: str) -> None:
        with self._selection_kept():
            self.caseload_proxy.set_search_text(text)
        self._on_caseload_proxy_rows_changed()

    def _on_find_action_triggered(self) -> None:
        self.filter_edit.setFocus(Qt.FocusReason.ShortcutFocusReason)
        self.filter_edit.selectAll()

    def selected_patient(self) -> CaseloadRow | None:
        rows = self.caseload_view.selectionModel().selectedRows()
        return rows[0].data(ROW_ROLE) if rows else None

    def _on_caseload_selection_changed(self, *_args) -> None:
        patient = self.selected_patient()
        self.check_action.setEnabled(patient is not None)
        self.patient_selected.emit(patient)

    def show_patient(self, patient_id: int, *, clear_filter: bool = True) -> bool:
        """Select and scroll to a patient; clears the filter when it hides her. False if not listed."""
        source_row = next((i for i, r in enumerate(self.caseload_model.rows()) if r.patient_id == patient_id), None)
        if source_row is None:
            return False
        proxy_index = self.caseload_proxy.mapFromSource(self.caseload_model.index(source_row, 0))
        if not proxy_index.isValid():
            if not clear_filter:
                return False
            self.filter_edit.clear()
            proxy_index = self.caseload_proxy.mapFromSource(self.caseload_model.index(source_row, 0))
        self.caseload_view.selectionModel().select(
            proxy_index, QItemSelectionModel.SelectionFlag.ClearAndSelect | QItemSelectionModel.SelectionFlag.Rows)
        self.caseload_view.setCurrentIndex(proxy_index)
        self.caseload_view.scrollTo(proxy_index, QAbstractItemView.ScrollHint.PositionAtCenter)
        return True

    def _on_caseload_view_double_clicked(self, _index: QModelIndex) -> None:
        patient = self.selected_patient()
        if patient is not None:
            self.open_record(patient)

    def open_record(self, patient: CaseloadRow, section: str | None = None) -> PatientRecordWidget:
        """Her record in its own tab (switching to it when it is open already), at `section`."""
        return self.patient_tabs.open_patient(patient.patient_id, section=section,
                                              title=banner_name(patient.family_name, patient.given_name))

    def _on_decision_requested(self, patient_id: int) -> None:
        """A decision is due: her record at Medications and decisions, and the decision dialog over it."""
        patient = next((row for row in self.caseload_model.rows() if row.patient_id == patient_id), None)
        if patient is None:
            return
        record = self.open_record(patient, "medications")
        record.record_actions.record_decision()

    def _on_patient_tabs_record_changed(self, _patient_id: int) -> None:
        self.refresh()  # her caseload line and tasks follow what was saved in her record

    def _on_check_action_triggered(self) -> None:
        self.open_check_dialog()

    def open_check_dialog(self) -> CheckMedicationDialog | None:
        patient = self.selected_patient()
        if patient is None:
            return None
        if self.check_dialog is not None:
            self.check_dialog.close()
        dialog = CheckMedicationDialog(patient, parent=self)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.finished.connect(self._on_check_dialog_finished)
        self.check_dialog = dialog
        dialog.open()
        return dialog

    def _on_check_dialog_finished(self, _result: int) -> None:
        self.check_dialog = None

    # -- the worklist ------------------------------------------------------------------
    def selected_task(self) -> WorklistTask | None:
        rows = self.worklist_view.selectionModel().selectedRows()
        return rows[0].data(ROW_ROLE) if rows else None

    def _on_worklist_selection_changed(self, *_args) -> None:
        task = self.selected_task()
        if task is None:
            self.worklist_detail.setText("Select a task; double-click it to open her record where it is done.")
            self.do_now_button.setText("Do this now")
            self.do_now_button.setEnabled(False)
            self.do_now_action.setEnabled(False)
            return
        patient = self.worklist_model.patient_of(task)
        if patient is None:
            who = task.patient
        else:
            number = f"NHS {patient.nhs_number}" if patient.nhs_number else f"hospital no. {patient.hospital_number}"
            who = f"{banner_name(patient.family_name, patient.given_name)} ({number})"
        self.worklist_detail.setText(f"{who} \u2014 {task_words(task.code)}: {task.message}")
        self.worklist_detail.setToolTip(task.message)
        words, _ = next_step(task.code)
        self.do_now_button.setText(f"Do this now: {words}")
        self.do_now_button.setAccessibleName(f"Do this now: {words} for {who}")
        self.do_now_button.setEnabled(patient is not None)
        self.do_now_action.setEnabled(patient is not None)

    def _on_worklist_view_double_clicked(self, index: QModelIndex) -> None:
        task: WorklistTask = index.data(ROW_ROLE)
        patient = self.worklist_model.patient_of(task)
        if patient is not None:
            self.show_patient(patient.patient_id)
            self.open_record(patient, section_for_task(task.code))

    def _on_do_now_button_clicked(self, *_args) -> None:
        task = self.selected_task()
        if task is not None:
            self.do_task_now(task)

    def do_task_now(self, task: WorklistTask) -> None:
        """A task's obvious next step: the decision dialog (asked for by signal), or her record where it is done."""
        patient = self.worklist_model.patient_of(task)
        if patient is None:
            return
        _, where = next_step(task.code)
        self.show_patient(patient.patient_id)
        if where == DECISION:
            self.decision_requested.emit(patient.patient_id)
        else:
            self.open_record(patient, where)

    # -- who is signed in --------------------------------------------------------------
    def switch_user(self, actor: Actor) -> None:
        """Act as another user from now on (a demo database's roles): title, status bar, open records."""
        self.actor = actor
        self.setWindowTitle(self.title())
        self.user_label.setText(f"Signed in as {actor.display_name} ({actor.role})")
        self.patient_tabs.actor = actor
        self.audit_action.setVisible(actor.role in services.ADMIN_ROLES)
        # each open record's buttons act as the user who opened it: open them again for the new one
        current = self.patient_tabs.current_record()
        reopen = [(r.patient_id, r.current_section(), self.patient_tabs.tabText(self.patient_tabs.indexOf(r)))
                  for r in self.patient_tabs.records()]
        current_id = current.patient_id if current is not None else None
        for record in self.patient_tabs.records():
            self.patient_tabs.close_record(record)
        for patient_id, section, title in reopen:
            self.patient_tabs.open_patient(patient_id, section=section, title=title, on=self.shown_on)
        if current_id is not None:
            self.patient_tabs.setCurrentWidget(self.patient_tabs.record_of(current_id))
        else:
            self.patient_tabs.setCurrentIndex(0)
        self._on_patient_tabs_current_changed()
        self.statusBar().showMessage(f"Now signed in as {actor.display_name} ({actor.role})", 10_000)
        self.user_switched.emit(actor)

    # -- the audit trail (admins) ------------------------------------------------------------
    def _on_audit_action_triggered(self) -> None:
        from .audit_view import AuditTrailWindow

        AuditTrailWindow.ask(self.actor, parent=self)  # its own worker pool: a long check never blocks the window

    # -- settings ----------------------------------------------------------------------
    def _on_settings_action_triggered(self) -> None:
        self.open_settings()

    def open_settings(self) -> SettingsDialog:
        if self.settings_dialog is not None:
            self.settings_dialog.close()
        dialog = SettingsDialog.ask(self.actor, self.database, demo=self.demo, parent=self)
        dialog.user_switched.connect(self._on_settings_dialog_user_switched)
        dialog.saved.connect(self._on_settings_dialog_saved)
        dialog.finished.connect(self._on_settings_dialog_finished)
        self.settings_dialog = dialog
        return dialog

    def _on_settings_dialog_user_switched(self, actor: Actor) -> None:
        dialog = self.settings_dialog
        self.switch_user(actor)
        if dialog is not None:  # its fields are editable or read only for the new user: open it afresh
            index = dialog.tabs.currentIndex()
            dialog.close()
            self.open_settings().tabs.setCurrentIndex(index)

    def _on_settings_dialog_saved(self, what: str) -> None:
        if what == "thresholds" or not (what == "letterhead" or what.startswith("address book")):
            self.refresh()  # the gate and the worklist judge by the thresholds

    def _on_settings_dialog_finished(self, _result: int) -> None:
        if self.sender() is self.settings_dialog:
            self.settings_dialog = None

    # -- a new patient -----------------------------------------------------------------
    def _on_new_patient_action_triggered(self) -> None:
        self.new_patient()

    def new_patient(self) -> EntryForm:
        """The patient form for a new patient; on save the caseload refreshes and her record opens."""
        form = open_entry_form(self.actor, None, today=self.today(), parent=self)
        form.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        form.saved.connect(self._on_patient_form_saved)
        form.finished.connect(self._on_patient_form_finished)
        self.patient_form = form
        form.open()
        return form

    def _on_patient_form_saved(self, patient) -> None:
        self.refresh()
        self.patient_tabs.open_patient(patient.id, title=banner_name(patient.family_name, patient.given_name))

    def _on_patient_form_finished(self, _result: int) -> None:
        if self.sender() is self.patient_form:
            self.patient_form = None

    # -- printing ----------------------------------------------------------------------
    def _on_patient_tabs_current_changed(self, *_args) -> None:
        record = self.patient_tabs.current_record()
        may = self.actor.role in services.CLINICAL_ROLES
        self.print_action.setEnabled(record is not None and may)
        self.print_action.setStatusTip("Print the open record's patient summary" if may else
                                       "Only a nurse or a consultant may print a patient summary")
        self._fit_worklist_dock_to_tab()

    def _fit_worklist_dock_to_tab(self) -> None:
        """On a short window her record gets the height: the worklist under it keeps only its top task."""
        dock = self.worklist_dock
        below = (not dock.isFloating() and dock.isVisible()
                 and self.dockWidgetArea(dock) == Qt.DockWidgetArea.BottomDockWidgetArea)
        record_open = self.patient_tabs.current_record() is not None
        if record_open and below and self.height() < SHORT_WINDOW:
            if self._caseload_worklist_height is None:
                self._caseload_worklist_height = dock.height()
            self.resizeDocks([dock], [COMPACT_WORKLIST_HEIGHT], Qt.Orientation.Vertical)
        elif not record_open and self._caseload_worklist_height is not None:
            if below:
                self.resizeDocks([dock], [self._caseload_worklist_height], Qt.Orientation.Vertical)
            self._caseload_worklist_height = None

    def _on_print_action_triggered(self) -> None:
        self.print_current_record()

    def print_current_record(self, printer: QPrinter | None = None) -> int:
        """Her patient summary to a printer chosen in the print dialog; how many pages (0: nothing printed)."""
        record = self.patient_tabs.current_record()
        if record is None:
            self.statusBar().showMessage("Open a patient's record to print her summary", 10_000)
            return 0
        printer = printer or QPrinter(QPrinter.PrinterMode.HighResolution)
        name = record.view.banner.name if record.view is not None else "her record"
        printer.setDocName(f"Patient summary, {name}")
        if not PrintChooser.ask(printer, self, f"Print the patient summary of {name}"):
            return 0
        try:
            from pao_clinic.services.letters import summary_pdf  # here: the letters' PDF code costs 0.3 s at start

            pdf = summary_pdf(self.actor, record.patient_id, today=self.today())
            pages = print_pdf(pdf, printer)
        except PaoClinicError as exc:
            QMessageBox.warning(self, "Not printed", f"The patient summary was not printed: {exc}")
            return 0
        self.statusBar().showMessage(f"Printed the patient summary of {name} ({plural(pages, 'page')})", 10_000)
        self.printed.emit(pages)
        return pages

    # -- import and export -------------------------------------------------------------
    def _on_import_action_triggered(self) -> None:
        path = DocumentFileChooser.ask_open(self)
        if path is not None:
            self.import_file(path)

    def _on_export_action_triggered(self) -> None:
        path = DocumentFileChooser.ask_save(self, f"caseload-{self.today().isoformat()}.json")
        if path is not None:
            self.export_file(path)

    def import_file(self, path: Path) -> Worker | None:
        """Import one exchange document on a worker, behind a progress dialog that can cancel."""
        gate = CommitGate()
        self._last_job_file = Path(path).name
        worker = Worker.reporting(import_document_file, Path(path), self.actor, self.today(), gate)
        return self._start_job("import", f"Importing {Path(path).name}", IMPORT_STEPS, worker, gate)

    def export_file(self, path: Path) -> Worker | None:
        """Write the caseload to an exchange document on a worker, behind a progress dialog."""
        gate = CommitGate()
        self._last_job_file = Path(path).name
        worker = Worker.reporting(export_caseload_file, Path(path), self.actor, gate)
        return self._start_job("export", f"Exporting the caseload to {Path(path).name}", EXPORT_STEPS, worker, gate)

    def _start_job(self, kind: str, title: str, steps: int, worker: Worker, gate: CommitGate) -> Worker | None:
        if self._job is not None:
            self.statusBar().showMessage("Wait for the import or export under way to finish", 10_000)
            return None
        self._job = (kind, worker, gate)
        self.import_action.setEnabled(False)
        self.export_action.setEnabled(False)
        dialog = WorkProgressDialog(title, steps, self)
        dialog.cancel_requested.connect(self._on_progress_dialog_cancel_requested)
        self.progress_dialog = dialog
        worker.signals.progress.connect(dialog.show_progress)
        worker.signals.finished.connect(self._on_job_finished)
        worker.signals.errored.connect(self._on_job_errored)
        worker.signals.cancelled.connect(self._on_job_cancelled)
        dialog.open()
        self._pool.start(worker)
        return worker

    def _on_progress_dialog_cancel_requested(self) -> None:
        if self._job is None or self.progress_dialog is None:
            return
        kind, worker, gate = self._job
        if gate.try_cancel():
            worker.cancel()
            self.progress_dialog.cancel_button.setEnabled(False)
            self.progress_dialog.label.setText("Stopping\u2026 nothing will be saved.")
        else:
            self.progress_dialog.cancel_button.setEnabled(False)
            self.progress_dialog.label.setText(
                "Saving now: this cannot stop half-way (all or nothing), so it finishes." if kind == "import"
                else "The file is being put in place; this finishes in a moment.")

    def _end_job(self) -> str:
        kind = self._job[0] if self._job is not None else ""
        self._job = None
        self.import_action.setEnabled(True)
        self.export_action.setEnabled(True)
        if self.progress_dialog is not None:
            self.progress_dialog.done(QDialog.DialogCode.Accepted)
            self.progress_dialog.deleteLater()
            self.progress_dialog = None
        return kind

    def _on_job_finished(self, result) -> None:
        kind = self._end_job()
        if kind == "import":
            self.statusBar().showMessage(f"Imported {plural(len(result), 'patient')}", 10_000)
            self.refresh()
        else:
            self.statusBar().showMessage(f"Exported {plural(result, 'patient')}", 10_000)
        self.job_finished.emit(kind, result)

    def _on_job_cancelled(self) -> None:
        kind = self._end_job()
        self.statusBar().showMessage(
            "Import cancelled: nothing was imported" if kind == "import" else "Export cancelled: no file was written",
            10_000)
        self.job_finished.emit(kind, None)

    def _on_job_errored(self, exc: BaseException, _traceback: str) -> None:
        kind = self._end_job()
        what = "imported" if kind == "import" else "exported"
        if isinstance(exc, ValidationError) and any(p.path for p in exc.problems):
            name = self._job_file_name(exc)
            self.problems_dialog = ImportProblemsDialog(name, exc, self)
            self.problems_dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
            self.problems_dialog.finished.connect(self._on_problems_dialog_finished)
            self.problems_dialog.open()
            text = f"Nothing was {what}: {plural(len(exc.problems), 'problem')} in the file"
        elif isinstance(exc, PaoClinicError):
            text = f"Nothing was {what}: {exc}"
            box = QMessageBox(QMessageBox.Icon.Warning, f"Nothing was {what}", text[:1].upper() + text[1:],
                              QMessageBox.StandardButton.Ok, self)
            box.setObjectName("jobErrorBox")
            box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
            box.open()
        else:
            text = f"Nothing was {what} (an unexpected error; see the message)"
            self.statusBar().showMessage(text)
            self.job_failed.emit(kind, text)
            sys.excepthook(type(exc), exc, exc.__traceback__)
            return
        self.statusBar().showMessage(text, 10_000)
        self.job_failed.emit(kind, text)

    def _job_file_name(self, _exc: ValidationError) -> str:
        return self._last_job_file or "The file"

    def _on_problems_dialog_finished(self, _result: int) -> None:
        if self.sender() is self.problems_dialog:
            self.problems_dialog = None
