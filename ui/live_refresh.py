"""Keeping the window up to date while others save: the caseload, worklist and open records.

`LiveRefresh` asks a `ChangeWatcher` (pao_clinic.services.changes) every couple of
seconds, on a worker thread of its own, whose records changed, and emits `changed`
with the answer: a set of patient ids, or `ALL` (`patient_id in ALL` is always true)
when everything shown should be read again.  On PostgreSQL a notification wakes it
at once as well (a socket notifier on the watcher's connection), so a change saved
elsewhere usually shows within a moment and always within one interval.

The window decides what to read again; a form being edited is never reloaded under
the user's hands: it is told with `changed_elsewhere_notice`.
"""

from __future__ import annotations

from datetime import datetime

from PySide6.QtCore import QObject, QSocketNotifier, QTimer, Signal

from pao_clinic.services.changes import ALL, ChangeWatcher

from .workers import Worker, WorkerPool

__all__ = ["ALL", "LiveRefresh", "changed_elsewhere_notice"]


def changed_elsewhere_notice(at: datetime) -> str:
    """What an open form says when someone else saved her record while it was being edited."""
    return (f"Someone else changed her record at {at:%H:%M}; your unsaved changes are kept. "
            "Save will show both versions.")


class LiveRefresh(QObject):
    """Polls for changes saved by others and emits `changed(set of patient ids | ALL)`.

    Give it a watcher, or none to watch the database the services are bound to (opened
    at `start()`, closed at `stop()`).  One poll runs at a time; a tick that comes while
    one is still running is skipped.
    """

    changed = Signal(object)   # the patient ids whose records changed, or ALL
    polled = Signal(object)    # after every poll, its answer (None: nothing changed)
    failed = Signal(str)       # a poll could not reach the database (the next one tries again)

    INTERVAL_MS = 2000

    def __init__(self, watcher: ChangeWatcher | None = None, *, interval_ms: int = INTERVAL_MS,
                 parent: QObject | None = None):
        super().__init__(parent)
        self._watcher = watcher
        self._own_watcher = watcher is None
        self._pool = WorkerPool(self)
        self._worker: Worker | None = None
        self._notifier: QSocketNotifier | None = None
        self.timer = QTimer(self)
        self.timer.setObjectName("liveRefreshTimer")
        self.timer.setInterval(interval_ms)
        self.timer.timeout.connect(self._on_timer_timeout)

    @property
    def watcher(self) -> ChangeWatcher | None:
        return self._watcher

    def is_running(self) -> bool:
        return self.timer.isActive()

    def start(self) -> None:
        """Begin watching (opens the watcher's connection when it is ours); changes from now on are reported."""
        if self.timer.isActive():
            return
        if self._watcher is None:
            self._watcher = ChangeWatcher.for_bound_database()
        self.timer.start()
        self._watch_socket()

    def stop(self) -> None:
        """Stop watching: no more polls, the one running is waited for and dropped."""
        self.timer.stop()
        self._drop_notifier()
        self._pool.shut_down()
        self._worker = None
        if self._own_watcher and self._watcher is not None:
            self._watcher.close()
            self._watcher = None

    def poll_now(self) -> bool:
        """Ask at once (False when a poll is already running or watching has not started)."""
        if self._worker is not None or self._watcher is None:
            return False
        if self._notifier is not None:
            self._notifier.setEnabled(False)  # the worker reads the socket now
        worker = Worker(self._watcher.poll)
        worker.signals.finished.connect(self._on_worker_finished)
        worker.signals.errored.connect(self._on_worker_errored)
        self._worker = worker
        self._pool.start(worker)
        return True

    def _on_timer_timeout(self) -> None:
        self.poll_now()

    def _on_notifier_activated(self, *_args) -> None:
        self.poll_now()

    def _watch_socket(self) -> None:
        """Wake on the watcher's socket (PostgreSQL notifications); a reopened connection has a new one."""
        fd = self._watcher.fileno() if self._watcher is not None and self.timer.isActive() else None
        if self._notifier is not None and (fd is None or self._notifier.socket() != fd):
            self._drop_notifier()
        if fd is None:
            return
        if self._notifier is None:
            self._notifier = QSocketNotifier(fd, QSocketNotifier.Type.Read, self)
            self._notifier.activated.connect(self._on_notifier_activated)
        self._notifier.setEnabled(True)

    def _drop_notifier(self) -> None:
        if self._notifier is not None:
            self._notifier.setEnabled(False)
            self._notifier.deleteLater()
            self._notifier = None

    def _polled(self) -> None:
        self._worker = None
        self._watch_socket()

    def _on_worker_finished(self, result) -> None:
        self._polled()
        self.polled.emit(result)
        if result:
            self.changed.emit(result)

    def _on_worker_errored(self, exc: BaseException, _traceback: str) -> None:
        self._polled()
        self.failed.emit(f"Cannot see changes saved by others just now: {exc}")
