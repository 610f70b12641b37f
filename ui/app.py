"""Start the desktop app: QApplication, stylesheet, database, who is signed in, main window.

On an empty database (no patients, no users) a demo caseload is loaded and the demo
consultant is signed in, and the window title says so; a demo database opens as the
demo consultant again.  Otherwise the sign-in dialog (`sign_in_dialog`) asks who is
working, with the wait after failed sign-ins.  Once the window is open the idle lock
(`idle_lock`) covers it after the clinic's minutes without input and asks for the
password again.  Anything unexpected is logged with its traceback and shown as a short
apology; the app keeps running.
"""

from __future__ import annotations

import argparse
import os
import sys
import traceback
from datetime import datetime, timezone
from pathlib import Path
from types import TracebackType

from PySide6.QtCore import QEventLoop, Qt
from PySide6.QtGui import QColor, QGuiApplication, QIcon, QPalette
from PySide6.QtWidgets import QApplication, QMessageBox, QProgressDialog

from pao_clinic import services
from pao_clinic.environment import USER_ENV, log_file
from pao_clinic.errors import AuthenticationError, PaoClinicError, StorageError
from pao_clinic.services import Actor
from pao_clinic.services.clinic import default_database_url
from pao_clinic.services.first_lines import start_first_lines
from pao_clinic.services.demo_setup import load_demo_caseload, sign_in_demo_consultant

from .backup_schedule import install_backup_schedule
from .idle_lock import IdleLock
from .passphrase_dialog import ask_passphrase_if_needed
from .main_window import MainWindow
from .sign_in_dialog import SignInDialog  # noqa: F401 (tests replace SignInDialog.ask as ui.app's)
from .resources import resource_path, resource_text
from .workers import Worker, WorkerPool

APP_NAME = "PAO Clinic"
DEMO_PATIENTS = 60
DEMO_SEED = 1



# --- unexpected errors ------------------------------------------------------------------

def write_crash_log(exc_type: type[BaseException], exc: BaseException, tb: TracebackType | None) -> Path:
    """Append the traceback to the log file; returns its path (even when it cannot be written)."""
    path = log_file()
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("a", encoding="utf-8") as f:
            f.write(f"--- {datetime.now(timezone.utc).isoformat()} pao-clinic desktop\n")
            f.write("".join(traceback.format_exception(exc_type, exc, tb)))
    except OSError:
        pass
    return path


class ErrorPresenter:
    """sys.excepthook for the desktop: known errors as their words, anything else as a bug."""

    def __init__(self):
        self._boxes: list[QMessageBox] = []
        self.previous = sys.excepthook

    def install(self) -> None:
        sys.excepthook = self

    def uninstall(self) -> None:
        if sys.excepthook is self:
            sys.excepthook = self.previous

    def __call__(self, exc_type: type[BaseException], exc: BaseException, tb: TracebackType | None) -> None:
        if issubclass(exc_type, KeyboardInterrupt):
            QApplication.quit()
            return
        if isinstance(exc, PaoClinicError):  # a known error that reached no field: show its words
            self._show(QMessageBox.Icon.Warning, str(exc), "")
            return
        path = write_crash_log(exc_type, exc, tb)
        self._show(QMessageBox.Icon.Critical,
                   "Sorry, something went wrong that PAO Clinic did not expect. What you were doing may "
                   "not have finished; the rest of the app keeps working.",
                   f"The details were written to {path}. Please send that file to the team that supports "
                   "PAO Clinic.")

    def _show(self, icon: QMessageBox.Icon, text: str, detail: str) -> None:
        if QApplication.instance() is None:
            sys.__excepthook__(*sys.exc_info())
            return
        box = QMessageBox(icon, APP_NAME, text, QMessageBox.StandardButton.Ok)
        if detail:
            box.setInformativeText(detail)
        box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        box.finished.connect(lambda _r, b=box: self._boxes.remove(b) if b in self._boxes else None)
        self._boxes.append(box)
        box.show()  # not exec(): no nested event loop inside the hook


# --- who is signed in -------------------------------------------------------------------

def load_demo_with_progress(count: int = DEMO_PATIENTS, seed: int = DEMO_SEED) -> Actor:
    """Load the demo caseload on a worker thread behind a busy dialog; the demo consultant."""
    progress = QProgressDialog(f"Setting up a demo caseload of {count} synthetic patients\u2026", "", 0, 0)
    progress.setWindowTitle(APP_NAME)
    progress.setCancelButton(None)  # one transaction: it cannot stop half-way
    progress.setMinimumDuration(0)
    progress.setWindowModality(Qt.WindowModality.ApplicationModal)
    outcome: dict[str, object] = {}
    loop = QEventLoop()
    worker = Worker(load_demo_caseload, count, seed=seed)
    worker.signals.finished.connect(lambda actor: (outcome.__setitem__("actor", actor), loop.quit()))
    worker.signals.errored.connect(lambda exc, _tb: (outcome.__setitem__("error", exc), loop.quit()))
    pool = WorkerPool()
    progress.show()
    pool.start(worker)
    loop.exec()
    pool.shut_down()
    progress.close()
    progress.deleteLater()
    if "error" in outcome:
        raise outcome["error"]  # type: ignore[misc]
    return outcome["actor"]  # type: ignore[return-value]


def sign_in(args: argparse.Namespace) -> Actor | None:
    """Who is working: the demo consultant on a new empty database, else whoever signs in."""
    if services.user_count() == 0:
        if services.patient_count() == 0:
            return load_demo_with_progress(DEMO_PATIENTS, DEMO_SEED)
        raise AuthenticationError("this database has patients but no users: add one with "
                                  "'pao-clinic user add NAME --role admin'")
    if services.is_demo_database():  # synthetic patients only: the demo consultant, as on first run
        try:
            return sign_in_demo_consultant()
        except AuthenticationError:
            pass  # the demo password was changed: sign in like anywhere else
    name = getattr(args, "user", None) or os.environ.get(USER_ENV, "")
    return SignInDialog.ask(name)


def install_idle_lock(app: QApplication, window: MainWindow, *, minutes: float | None = None) -> IdleLock:
    """The idle lock over the app, for whoever the window acts as; signing out at the lock closes the app."""
    lock = IdleLock(lambda: window.actor, minutes=minutes, parent=app)

    def unlocked(actor: Actor) -> None:
        if actor.role != window.actor.role:  # an admin changed the role meanwhile: act as it is now
            window.switch_user(actor)

    def signed_out() -> None:
        window.close()
        app.quit()

    lock.unlocked.connect(unlocked)
    lock.signed_out.connect(signed_out)
    lock.install(app)
    return lock


# --- the app ----------------------------------------------------------------------------

#: The palette roles resources/style.qss uses, light (the sheet's own greys) and dark.
PALETTE_COLOURS: dict[str, dict[QPalette.ColorRole, str]] = {
    "light": {
        QPalette.ColorRole.Window: "#f5f7f8", QPalette.ColorRole.WindowText: "#1f2a30",
        QPalette.ColorRole.Base: "#ffffff", QPalette.ColorRole.AlternateBase: "#f3f7f8",
        QPalette.ColorRole.Text: "#1f2a30", QPalette.ColorRole.Button: "#e9eff1",
        QPalette.ColorRole.ButtonText: "#2c3a40", QPalette.ColorRole.Highlight: "#cde6e8",
        QPalette.ColorRole.HighlightedText: "#102a2e", QPalette.ColorRole.Mid: "#9fb2b8",
        QPalette.ColorRole.Midlight: "#d5dde0", QPalette.ColorRole.PlaceholderText: "#45545b",
        QPalette.ColorRole.Link: "#1f4f55", QPalette.ColorRole.ToolTipBase: "#ffffff",
        QPalette.ColorRole.ToolTipText: "#1f2a30",
    },
    "dark": {
        QPalette.ColorRole.Window: "#1d2326", QPalette.ColorRole.WindowText: "#e4eaec",
        QPalette.ColorRole.Base: "#252c30", QPalette.ColorRole.AlternateBase: "#2c3438",
        QPalette.ColorRole.Text: "#e4eaec", QPalette.ColorRole.Button: "#333d42",
        QPalette.ColorRole.ButtonText: "#e4eaec", QPalette.ColorRole.Highlight: "#2f6f76",
        QPalette.ColorRole.HighlightedText: "#ffffff", QPalette.ColorRole.Mid: "#5f7077",
        QPalette.ColorRole.Midlight: "#3d484d", QPalette.ColorRole.PlaceholderText: "#a9b7bc",
        QPalette.ColorRole.Link: "#8fd0d6", QPalette.ColorRole.ToolTipBase: "#252c30",
        QPalette.ColorRole.ToolTipText: "#e4eaec",
    },
}


def clinic_palette(dark: bool = False) -> QPalette:
    """The app's palette, light or dark; the stylesheet takes its neutral colours from it."""
    colours = PALETTE_COLOURS["dark" if dark else "light"]
    palette = QPalette(QColor(colours[QPalette.ColorRole.Button]), QColor(colours[QPalette.ColorRole.Window]))
    for role, colour in colours.items():
        palette.setColor(role, QColor(colour))
    disabled = QColor("#7d8a8f" if dark else "#6b777c")
    for role in (QPalette.ColorRole.WindowText, QPalette.ColorRole.Text, QPalette.ColorRole.ButtonText):
        palette.setColor(QPalette.ColorGroup.Disabled, role, disabled)
    return palette


def prefers_dark() -> bool:
    """The desktop asks for dark colours (Qt 6.5+ reads the platform's colour scheme)."""
    hints = QGuiApplication.styleHints()
    return hasattr(hints, "colorScheme") and hints.colorScheme() == Qt.ColorScheme.Dark


def create_application(argv: list[str] | None = None, *, dark: bool | None = None) -> QApplication:
    """The QApplication with the clinic's palette (dark when asked, or when the desktop is) and stylesheet."""
    app = QApplication.instance() or QApplication(argv if argv is not None else sys.argv[:1])
    app.setOrganizationName(APP_NAME)
    app.setApplicationName("pao-clinic")
    app.setWindowIcon(QIcon(str(resource_path("icons/app.svg"))))
    app.setPalette(clinic_palette(prefers_dark() if dark is None else dark))
    app.setStyleSheet(resource_text("style.qss"))
    return app  # type: ignore[return-value]


def run_desktop(url: str, args: argparse.Namespace) -> int:
    """Open the desktop app on the database at `url`; the process exit code."""
    check = getattr(args, "quick_check_under_way", None)
    first_lines = start_first_lines(check)  # read beside the check; given out only once it has passed
    app = create_application()
    presenter = ErrorPresenter()
    presenter.install()
    try:
        try:
            services.check_letter_templates()
        except PaoClinicError as exc:
            QMessageBox.critical(None, APP_NAME, f"A letter template is broken; fix it before starting.\n\n{exc}")
            return 2
        try:
            # only the first run on the default file starts a new (demo) clinic; a mistyped
            # --database or PAO_CLINIC_DATABASE is refused, never made into an empty caseload
            if not ask_passphrase_if_needed(url):  # an encrypted (sqlcipher:///) file: its passphrase first
                return 0
            where = services.open_clinic_database(url, create=url == default_database_url(),
                                                  quick_check_under_way=check)
        except StorageError as exc:
            QMessageBox.critical(None, APP_NAME, f"The database cannot be opened.\n\n{exc}")
            return 2
        try:
            try:
                actor = sign_in(args)
            except PaoClinicError as exc:
                QMessageBox.critical(None, APP_NAME, str(exc))
                return 2
            if actor is None:
                return 0
            window = MainWindow(actor, where, demo=services.is_demo_database(), first_lines=first_lines)
            window.backup_schedule = install_backup_schedule(window, url)  # SQLite: every 4 hours and on closing
            window.show()
            window.refresh()
            lock = install_idle_lock(app, window)
            try:
                return app.exec()
            finally:
                lock.uninstall()
        finally:
            services.close_clinic_database()
    finally:
        presenter.uninstall()
