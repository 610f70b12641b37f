"""Render each main screen offscreen to a PNG named after it (the README's pictures).

    pao-clinic screenshots DIR [--demo] [--database URL] [--dark]
    python -m ui.screenshots [DIR] [--database URL] [--dark]   (a demo unless --database is given)

`--demo` uses a temporary database with the demo caseload (seed 1, 60 synthetic
patients), so the pictures are the same each time for the same day.  Without it the
database from `--database` or PAO_CLINIC_DATABASE is opened and only read (nothing is
recorded: the dialogs are shown, never saved), and the screens of DEMO_SCREENS (the Users
page and the audit trail need the demo's administrator; the letter correction, a letter
issued first) are left out.  Every image is 1366×768, a laptop's
screen; a dialog is drawn over the window it belongs to.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from datetime import date
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from PySide6.QtCore import QCoreApplication, QEventLoop, QPoint, QSize, QTimer  # noqa: E402
from PySide6.QtGui import QColor, QImage, QPainter  # noqa: E402
from PySide6.QtTest import QTest  # noqa: E402
from PySide6.QtWidgets import QWidget  # noqa: E402

from pao_clinic import services  # noqa: E402
from pao_clinic.environment import DATABASE_ENV  # noqa: E402
from pao_clinic.errors import PaoClinicError  # noqa: E402
from pao_clinic.services import Actor, CaseloadRow  # noqa: E402
from pao_clinic.services.clinic import default_database_url  # noqa: E402
from pao_clinic.services.demo_setup import load_demo_caseload  # noqa: E402

from .app import APP_NAME, DEMO_PATIENTS, DEMO_SEED, create_application  # noqa: E402
from .audit_view import AuditTrailWindow  # noqa: E402
from .decision_dialog import DecisionDialog  # noqa: E402
from .entry_forms import open_entry_form  # noqa: E402
from .idle_lock import LockCover, LockDialog  # noqa: E402
from .caseload_model import ROW_ROLE  # noqa: E402
from .letters_view import ISSUED  # noqa: E402
from .main_window import MainWindow  # noqa: E402
from .settings_dialog import SettingsDialog  # noqa: E402
from .sign_in_dialog import SignInDialog  # noqa: E402

SIZE = QSize(1366, 768)
#: Each screen's file, in the order they are rendered.
SCREENS = ("caseload-worklist", "patient-overview", "pregnancies-feeding", "fractures-spine", "dexa-chart",
           "timeline", "decision-blocked", "decision-soft-stop", "entry-form-validation", "settings",
           "sign-in", "idle-lock", "settings-users", "audit-trail", "letters-correction")
#: The screens drawn only on a temporary demo caseload: they need the demo's administrator, or a letter
#: issued first (a clinic's own database is only read).
DEMO_SCREENS = ("settings-users", "audit-trail", "letters-correction")
#: Why the letter of the letters screen is corrected.
CORRECTION_REASON = "The date of her L3 fracture was typed wrongly: it is corrected in her record."
#: The drugs tried when looking for a woman the gate gives a soft stop.
SOFT_STOP_DRUGS = ("alendronate", "risedronate", "zoledronate", "denosumab", "teriparatide")
#: Who the window acts as on a clinic's own database: a consultant that only reads.
READER = Actor(None, "screenshots", "Screenshots (read only)", "consultant")


def _settle(ms: int = 250) -> None:
    loop = QEventLoop()
    QTimer.singleShot(ms, loop.quit)
    loop.exec()


def _wait(condition, timeout_ms: int = 20_000) -> None:
    waited = 0
    while not condition() and waited < timeout_ms:
        _settle(50)
        waited += 50


def _with_dialog(image: QImage, dialog: QWidget) -> QImage:
    """The dialog drawn over the middle of the image (as a modal dialog looks)."""
    painter = QPainter(image)
    shot = dialog.grab()
    ratio = image.devicePixelRatio() or 1.0   # the painter places in logical pixels (high-DPI: 2 per point)
    painter.drawPixmap(QPoint(round((image.width() - shot.width()) / 2 / ratio),
                              round((image.height() - shot.height()) / 2 / ratio)), shot)
    painter.end()
    return image


def _over(window: QWidget, dialog: QWidget) -> QImage:
    """The window, dimmed, with the dialog over its middle."""
    image = window.grab().toImage().convertToFormat(QImage.Format.Format_RGB32)
    painter = QPainter(image)
    painter.fillRect(image.rect(), QColor(0, 0, 0, 90))
    painter.end()
    return _with_dialog(image, dialog)


def _alone(window: QWidget, dialog: QWidget) -> QImage:
    """The dialog in the middle of an empty screen of the window's background (before any window opens)."""
    screen = window.grab()
    image = QImage(screen.size(), QImage.Format.Format_RGB32)
    image.setDevicePixelRatio(screen.devicePixelRatio())
    image.fill(window.palette().window().color().darker(115))
    return _with_dialog(image, dialog)


def _save(image: QImage, path: Path, written: list[Path]) -> None:
    if image.size() != SIZE:
        image = image.scaled(SIZE)
    if not image.save(str(path)):
        raise OSError(f"could not write {path}")
    written.append(path)


def _her(rows: list[CaseloadRow]) -> CaseloadRow:
    """A breastfeeding woman with scans and fractures: the case the gate exists for."""
    def richness(row: CaseloadRow) -> tuple:
        record = services.load_patient_record(row.patient_id)
        return (row.lactation == "breastfeeding", row.lowest_z is not None, min(len(record.fractures), 6),
                min(len(record.dexa), 4), len(record.pregnancies))
    return max(rows, key=richness)


def _soft_stop(rows: list[CaseloadRow], on: date) -> tuple[int, str] | None:
    for row in rows:
        for drug in SOFT_STOP_DRUGS:
            if services.gate_check(row.patient_id, drug, on).verdict == "needs_reason":
                return row.patient_id, drug
    return None


def _decision_dialog(actor: Actor, patient_id: int, drug: str, on: date, parent: QWidget) -> DecisionDialog:
    dialog = DecisionDialog(actor, patient_id, on=on, plan="start", drug=drug, parent=parent)
    dialog.resize(min(dialog.sizeHint().width() + 80, 1180), min(max(dialog.sizeHint().height(), 600), 720))
    dialog.show()
    _settle(400)
    return dialog


def _letter_to_correct(actor: Actor, on: date) -> int | None:
    """Issue the first draft referral letter that can be issued (on the scratch demo); her patient id."""
    from pao_clinic.errors import ValidationError
    from pao_clinic.services import letters as letter_service

    for due in letter_service.due_letters(actor):
        try:
            letter_service.issue_letter(actor, due.patient_id, due.referral_id, today=on)
        except ValidationError:
            continue
        return due.patient_id
    return None


def _render_demo_screens(directory: Path, window: MainWindow, actor: Actor, where: str, on: date,
                         written: list[Path]) -> None:
    """The screens that need the demo's administrator or an issued letter (DEMO_SCREENS)."""
    admin = services.authenticate("demo.admin", "demo-password")
    settings = SettingsDialog(admin, where, demo=True, parent=window)
    settings.resize(900, 660)
    settings.tabs.setCurrentWidget(settings.users_page)
    settings.show()
    _settle()
    _save(_over(window, settings), directory / "settings-users.png", written)
    settings.close()

    trail = AuditTrailWindow(admin, today=lambda: on, parent=window)
    trail.resize(1240, 680)
    trail.show()
    _wait(lambda: trail.page is not None)
    if trail.model.rowCount():
        trail.table.selectRow(0)
    _settle()
    _save(_over(window, trail), directory / "audit-trail.png", written)
    trail.close()

    patient_id = _letter_to_correct(actor, on)
    if patient_id is None:
        raise PaoClinicError("no draft referral letter of the demo caseload could be issued")
    row = next(r for r in window.caseload_model.rows() if r.patient_id == patient_id)
    record = window.open_record(row, "referrals")
    _wait(lambda: record.view is not None)
    letters = record.sections["referrals"].letters
    _wait(lambda: not letters.is_loading())
    issued = next(n for n in range(letters.proxy.rowCount())
                  if letters.proxy.index(n, 0).data(ROW_ROLE).kind == ISSUED)
    letters.table.selectRow(issued)
    if not letters.draft_correction_of_selected(CORRECTION_REASON):
        raise PaoClinicError(f"the letter issued for the screenshots could not be corrected: {letters.status_label.text()}")
    _wait(lambda: letters.document.status() == letters.document.Status.Ready)
    _settle(400)
    _save(window.grab().toImage(), directory / "letters-correction.png", written)


def _render(directory: Path, actor: Actor, where: str, *, demo: bool, on: date, scratch: bool = False) -> list[Path]:
    written: list[Path] = []
    window = MainWindow(actor, where, demo=demo, today=lambda: on)
    window.resize(SIZE)
    window.show()
    window.worklist_dock.show()   # whatever the window state kept from the last run (before its rows are sized)
    try:
        loop = QEventLoop()
        window.refreshed.connect(loop.quit)
        window.refresh_failed.connect(loop.quit)
        window.refresh()
        loop.exec()
        window.resize(SIZE)
        rows = window.caseload_model.rows()
        if not rows:
            raise PaoClinicError("the caseload is empty: there is nothing to show (try --demo)")
        her = _her(rows)
        window.show_patient(her.patient_id)
        _settle()
        _save(window.grab().toImage(), directory / "caseload-worklist.png", written)

        window.worklist_dock.hide()  # her record gets the laptop's full height (View > Today's worklist)
        record = window.open_record(her, "overview")
        _wait(lambda: record.view is not None)
        for key, name in (("overview", "patient-overview"), ("pregnancies", "pregnancies-feeding"),
                          ("fractures", "fractures-spine"), ("dexa", "dexa-chart"), ("timeline", "timeline")):
            record.show_section(key)
            _settle(300)
            _save(window.grab().toImage(), directory / f"{name}.png", written)

        record.show_section("overview")
        blocked = _decision_dialog(actor, her.patient_id, "alendronate", on, window)
        _save(_over(window, blocked), directory / "decision-blocked.png", written)
        blocked.close()
        soft = _soft_stop(rows, on) or (her.patient_id, "zoledronate")
        soft_dialog = _decision_dialog(actor, soft[0], soft[1], on, window)
        _save(_over(window, soft_dialog), directory / "decision-soft-stop.png", written)
        soft_dialog.close()

        form = open_entry_form(actor, None, today=on, parent=window)
        form.resize(760, 700)
        form.show()
        for field, text in (("family_name", "Wiśniewska-O'Brien"), ("given_name", "Łucja"),
                            ("date_of_birth", "31/02/1991"), ("nhs_number", "943 476 5918")):
            widget = form.inputs[field].focus[0]
            widget.setFocus()
            if text.isascii():
                QTest.keyClicks(widget, text)
            else:
                widget.insert(text)
        _settle()
        _save(_over(window, form), directory / "entry-form-validation.png", written)
        form.close()

        settings = SettingsDialog(services.authenticate("demo.admin", "demo-password") if demo else actor, where,
                                  demo=demo, parent=window)
        settings.resize(900, 660)
        settings.tabs.setCurrentIndex(2)   # the gate's thresholds
        settings.show()
        _settle()
        _save(_over(window, settings), directory / "settings.png", written)
        settings.close()

        sign_in = SignInDialog(parent=window)
        sign_in.name_edit.setText("s.okafor")
        sign_in.name_edit.deselect()
        sign_in.password_edit.setText("not-shown")
        sign_in.password_edit.setFocus()
        sign_in.password_edit.deselect()
        sign_in.adjustSize()
        sign_in.show()
        _settle()
        _save(_alone(window, sign_in), directory / "sign-in.png", written)
        sign_in.close()

        cover = LockCover(window)
        lock = LockDialog(actor, 15, parent=window)
        lock.adjustSize()
        lock.show()
        _settle()
        _save(_over(window, lock), directory / "idle-lock.png", written)
        lock.finish()
        cover.remove()

        if scratch:
            _render_demo_screens(directory, window, actor, where, on, written)
    finally:
        window.worklist_dock.show()   # the window state saved at close keeps the worklist for next time
        window.close()
        window.deleteLater()
        _settle(50)
    return written


def render_screenshots(directory: Path | str, *, demo: bool = True, database: str | None = None,
                       dark: bool = False, on: date | None = None) -> list[Path]:
    """Render every screen of SCREENS to `directory` (made if missing); the files written.

    `demo` works on a temporary demo database; otherwise on `database` (else
    PAO_CLINIC_DATABASE, else the default file), which is only read.
    """
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    on = on or date.today()
    had_app = QCoreApplication.instance() is not None
    organisation = QCoreApplication.organizationName() if had_app else APP_NAME
    app = create_application(dark=dark)
    app.setOrganizationName(f"{APP_NAME} screenshots")  # window state kept apart from the real app's
    try:
        if demo:
            url = f"sqlite:///{Path(tempfile.mkdtemp(prefix='pao-shots-')) / 'demo.sqlite'}"
            where = services.open_clinic_database(url, create=True)
        else:
            url = database or os.environ.get(DATABASE_ENV) or default_database_url()
            where = services.open_clinic_database(url)
        try:
            actor = load_demo_caseload(DEMO_PATIENTS, seed=DEMO_SEED, today=on) if demo else READER
            return _render(directory, actor, where, demo=demo or services.is_demo_database(), on=on, scratch=demo)
        finally:
            services.close_clinic_database()
    finally:
        app.setOrganizationName(organisation)


def main(argv: list[str] | None = None, *, demo_by_default: bool = False, prog: str = "pao-clinic screenshots") -> int:
    parser = argparse.ArgumentParser(prog=prog, description="Render each main screen to a PNG file at 1366x768.")
    parser.add_argument("directory", nargs="?" if demo_by_default else None,
                        default="docs/screenshots" if demo_by_default else None, help="where the PNG files go")
    parser.add_argument("--demo", action="store_true", help="use a temporary demo caseload")
    parser.add_argument("--database", help="the database to show (read only); default PAO_CLINIC_DATABASE")
    parser.add_argument("--dark", action="store_true", help="the dark palette")
    args = parser.parse_args(argv)
    demo = args.demo or (demo_by_default and not args.database)
    try:
        written = render_screenshots(args.directory, demo=demo, database=args.database, dark=args.dark)
    except PaoClinicError as exc:
        print(f"pao-clinic screenshots: {exc}", file=sys.stderr)
        return 2
    except OSError as exc:
        print(f"pao-clinic screenshots: {exc}", file=sys.stderr)
        return 2
    for path in written:
        print(f"saved {path}")
    return 0


if __name__ == "__main__":  # python -m ui.screenshots [DIR]: a demo unless --database is given
    sys.exit(main(demo_by_default=True, prog="python -m ui.screenshots"))
