"""The one helper for background work: a QRunnable whose signals live on a QObject.

A worker calls one function (a service call) off the GUI thread and reports by
signals, which Qt delivers on the GUI thread.  Workers never touch widgets: the
slots connected to their signals do.  `cancel()` sets a flag; a cancelled worker
still runs its function to the end (a service call is one transaction and cannot be
stopped half-way) but its result is dropped: neither `finished` nor `errored` is
emitted.  A function that loops may read `worker.cancelled` and report
`worker.report_progress(done, total, text)` when it is given the worker
(`Worker.reporting(fn, ...)` calls `fn(..., worker=the_worker)`); at a point where
stopping leaves nothing half-done it may call `worker.stop_if_cancelled()`, which
raises `WorkCancelled`.  Once a cancelled worker has run, `cancelled` is emitted (so a
progress dialog knows the work has really stopped).
"""

from __future__ import annotations

import traceback
from typing import Any, Callable

from PySide6.QtCore import QObject, QRunnable, QThreadPool, Signal

from pao_clinic import services


class WorkCancelled(Exception):
    """Raised by a worker's function at a safe point after `cancel()`: it stopped before writing."""


class WorkerSignals(QObject):
    """The signals of one Worker (a QRunnable cannot have signals itself)."""

    started = Signal()
    progress = Signal(int, int, str)      # done, total, what is happening
    finished = Signal(object)             # the function's return value
    errored = Signal(object, str)         # the exception, its formatted traceback
    cancelled = Signal()                  # cancel() was called and the function has now returned


class Worker(QRunnable):
    """Run `fn(*args, **kwargs)` on a thread pool and report by `signals`."""

    def __init__(self, fn: Callable[..., Any], *args: Any, **kwargs: Any):
        super().__init__()
        self.fn = fn
        self.args = args
        self.kwargs = kwargs
        self.signals = WorkerSignals()
        self.cancelled = False
        self.ran = False          # set when run() has returned

    @classmethod
    def reporting(cls, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> "Worker":
        """A worker that gives itself to `fn` as `worker=` (for progress and cancel points)."""
        worker = cls(fn, *args, **kwargs)
        worker.kwargs["worker"] = worker
        return worker

    def cancel(self) -> None:
        self.cancelled = True

    def stop_if_cancelled(self) -> None:
        """Called by the function where stopping leaves nothing half-done."""
        if self.cancelled:
            raise WorkCancelled()

    def report_progress(self, done: int, total: int, text: str = "") -> None:
        if not self.cancelled:
            self.signals.progress.emit(done, total, text)

    def run(self) -> None:  # on a pool thread
        self.signals.started.emit()
        try:
            result = self.fn(*self.args, **self.kwargs)
        except WorkCancelled:
            pass
        except Exception as exc:  # every error goes back to the GUI thread, which decides
            if not self.cancelled:
                self.signals.errored.emit(exc, traceback.format_exc())
        else:
            if not self.cancelled:
                self.signals.finished.emit(result)
        finally:
            services.release_thread_connection()  # this pool thread's database connection
            self.ran = True
            self.kwargs.pop("worker", None)  # no cycle through the worker itself
            if self.cancelled:
                self.signals.cancelled.emit()


class WorkerPool:
    """Runs workers one at a time (one writer at a time) and can wait for them all.

    Keeps each worker referenced until it has reported, so its signals object lives
    long enough for Qt to deliver the queued signals.
    """

    def __init__(self, parent: QObject | None = None):
        self._pool = QThreadPool(parent)
        self._pool.setMaxThreadCount(1)
        self._running: set[Worker] = set()

    def start(self, worker: Worker) -> Worker:
        # cancelled workers never report: forget them once they have run
        self._running = {w for w in self._running if not (w.cancelled and w.ran)}
        self._running.add(worker)
        worker.setAutoDelete(False)
        worker.signals.finished.connect(lambda _result, w=worker: self._running.discard(w))
        worker.signals.errored.connect(lambda _exc, _tb, w=worker: self._running.discard(w))
        worker.signals.cancelled.connect(lambda w=worker: self._running.discard(w))
        self._pool.start(worker)
        return worker

    def cancel_all(self) -> None:
        for worker in list(self._running):
            worker.cancel()

    def shut_down(self, msecs: int = -1) -> bool:
        """Cancel what runs and wait for it (at window close): True when all stopped."""
        self.cancel_all()
        stopped = self._pool.waitForDone(msecs)
        self._running.clear()
        return stopped
