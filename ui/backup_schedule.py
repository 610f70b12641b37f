"""The desktop's own backups of an SQLite clinic: on a schedule while the window is open, and when it closes.

`install_backup_schedule(window, url)` is the one call: for an SQLite file (plain or
encrypted) it returns a running `BackupSchedule` on the window; for PostgreSQL (backed
up by its server's administrator with pg_dump) it returns None and does nothing.

Every `check_ms` (10 minutes) the schedule asks the service whether a backup is due
(the newest in the folder older than `every`, 4 hours; so one is made soon after the
app opens if the last is older) and, if so, makes it on a worker: the window never
waits.  When the window closes, a running backup is waited for and one more is made,
so the day's last state is in the folder.  The backups run for whoever is signed in
(`window.actor`): keeping backups is the app's own duty, not a choice of the user's role.
Each result is told in the window's status bar in words; a failure is told there too
and the app keeps running (the next check tries again).
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Callable

from PySide6.QtCore import QEvent, QObject, QTimer, Signal
from PySide6.QtWidgets import QMainWindow

from pao_clinic.environment import append_to_log
from pao_clinic.errors import PaoClinicError
from pao_clinic.services import backups as backup_service

from .workers import Worker, WorkerPool

Clock = Callable[[], datetime]


def utc_now() -> datetime:
    return datetime.now(timezone.utc)


class BackupSchedule(QObject):
    """Scheduled and on-exit backups of the window's SQLite clinic (see the module doc)."""

    backed_up = Signal(object)   # services.backups.BackupMade
    failed = Signal(str)         # what went wrong, in words

    EVERY = timedelta(hours=4)
    CHECK_MS = 10 * 60_000

    def __init__(self, window: QMainWindow, url: str, *, every: timedelta = EVERY, check_ms: int = CHECK_MS,
                 clock: Clock = utc_now):
        super().__init__(window)
        self.setObjectName("backupSchedule")
        self.window = window
        self.url = url
        self.every = every
        self.clock = clock
        self.last: backup_service.BackupMade | None = None
        self._worker: Worker | None = None
        self._pool = WorkerPool(self)
        self._closed = False
        self.timer = QTimer(self)
        self.timer.setObjectName("backupTimer")
        self.timer.setInterval(check_ms)
        self.timer.timeout.connect(self._on_timer_timeout)
        self.backed_up.connect(self._on_backed_up)
        self.failed.connect(self._on_failed)
        window.installEventFilter(self)

    def start(self) -> None:
        self.timer.start()
        QTimer.singleShot(0, self._on_timer_timeout)  # one at start if the last is older than `every`

    @property
    def running(self) -> bool:
        return self._worker is not None

    # -- the schedule ----------------------------------------------------------------------
    def _on_timer_timeout(self) -> None:
        if self._closed or self._worker is not None:
            return
        try:
            due = backup_service.backup_is_due(self.url, self.clock(), self.every)
        except PaoClinicError as exc:
            self.failed.emit(str(exc))
            return
        if due:
            self.back_up_in_background()

    def back_up_in_background(self) -> Worker | None:
        """Start a backup on a worker (none if one is running); the worker."""
        if self._worker is not None:
            return None
        worker = Worker(backup_service.back_up_database, self.window.actor, scheduled=True, now=self.clock())
        worker.signals.finished.connect(self._on_worker_finished)
        worker.signals.errored.connect(self._on_worker_errored)
        self._worker = worker
        return self._pool.start(worker)

    def _on_worker_finished(self, made) -> None:
        self._worker = None
        self.backed_up.emit(made)

    def _on_worker_errored(self, exc: BaseException, trace: str) -> None:
        self._worker = None
        if not isinstance(exc, PaoClinicError):
            append_to_log(f"--- {utc_now().isoformat()} scheduled backup\n{trace}")
        self.failed.emit(str(exc) if isinstance(exc, PaoClinicError) else f"an unexpected error ({type(exc).__name__})")

    # -- on exit -------------------------------------------------------------------------------
    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if watched is self.window and event.type() == QEvent.Type.Close and not self._closed:
            self.back_up_on_exit()
        return False

    def back_up_on_exit(self) -> backup_service.BackupMade | None:
        """Wait for a running backup, then make one more here (the window is closing); the backup, or None."""
        self._closed = True
        self.timer.stop()
        self._pool.shut_down()  # a running backup finishes (it is one copy and one audit entry)
        self._worker = None
        self.window.statusBar().showMessage("Backing up the database before closing\u2026")
        try:
            made = backup_service.back_up_database(self.window.actor, scheduled=True, now=self.clock())
        except PaoClinicError as exc:
            self.failed.emit(str(exc))
            return None
        except Exception:  # never stop the window closing; the log has it
            import traceback

            append_to_log(f"--- {utc_now().isoformat()} backup on exit\n{traceback.format_exc()}")
            self.failed.emit("an unexpected error (see the log)")
            return None
        self.last = made
        return made

    # -- telling the user ------------------------------------------------------------------------
    def _on_backed_up(self, made) -> None:
        self.last = made
        when = made.made_at.astimezone().strftime("%H:%M")
        self.window.statusBar().showMessage(f"Database backed up at {when} to {made.path}", 15_000)

    def _on_failed(self, text: str) -> None:
        self.window.statusBar().showMessage(f"The scheduled backup failed: {text}. It will be tried again.", 30_000)


def install_backup_schedule(window: QMainWindow, url: str, **options) -> BackupSchedule | None:
    """Scheduled and on-exit backups for the window's clinic, started; None for PostgreSQL (pg_dump's task)."""
    if not backup_service.is_backed_up_by_the_app(url):
        return None
    schedule = BackupSchedule(window, url, **options)
    schedule.start()
    return schedule
