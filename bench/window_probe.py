"""The window process of startup_to_caseload, filter_keystroke and peak_rss_window (run by bench.window_metrics).

    python -m bench.window_probe bare
        the floor: a bare QMainWindow with an empty QTableView, shown and painted
    python -m bench.window_probe window URL USER PASSWORD TYPED
        the real MainWindow on the database until caseload rows are visible, then TYPED
        typed into the caseload filter one key at a time

Each prints one line `VISIBLE` the moment its table is on screen (the parent times the
process from its start to that line), then one line of JSON with what it measured.
Offscreen (QT_QPA_PLATFORM=offscreen); the caller gives it a throwaway settings folder.
"""

from __future__ import annotations

import glob
import json
import os
import sys
import threading
import time

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")


def _resident_mb(pid: str) -> float:
    try:
        with open(f"/proc/{pid}/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) * 1024 / 1e6  # kB
    except OSError:  # it has just ended
        pass
    return 0.0


class MemoryWatch(threading.Thread):
    """The window's resident memory with its child processes' (caseload_halves' second process), every 20 ms.

    The window and its second process each hold part of the caseload at the same time, so the
    memory the clinic's PC gives the app is their sum at each moment; its highest is kept.
    """

    def __init__(self) -> None:
        super().__init__(daemon=True)
        self.highest_mb = 0.0
        self._done = threading.Event()

    def run(self) -> None:
        while not self._done.is_set():  # a sleep, not a timed wait: faketime (make test-clock) moves a wait's deadline
            time.sleep(0.02)
            children = []
            for listing in glob.glob("/proc/self/task/*/children"):
                try:
                    with open(listing, encoding="ascii") as text:
                        children += text.read().split()
                except OSError:
                    pass
            theirs = sum(_resident_mb(pid) for pid in children)
            self.highest_mb = max(self.highest_mb, _resident_mb("self") + theirs)

    def stop(self) -> None:
        self._done.set()
        self.join()


def peak_rss_mb(watch: MemoryWatch | None = None) -> float:
    """The window's peak resident memory in MB: its own (VmHWM), or with its children's, as `watch` saw them."""
    from pao_clinic.services.caseload_halves import process_peak_memory_mb

    own = process_peak_memory_mb()
    if watch is None:
        return own
    watch.stop()
    return max(own, watch.highest_mb)


class PaintCounter:
    """Counts the paint events a widget receives (a key's table is painted once by the event loop)."""

    def __init__(self, widget) -> None:
        from PySide6.QtCore import QEvent, QObject

        counter = self

        class Filter(QObject):
            def eventFilter(self, _watched, event) -> bool:  # noqa: N802  (Qt's name)
                if event.type() == QEvent.Type.Paint:
                    counter.count += 1
                return False

        self.count = 0
        self._filter = Filter()
        widget.installEventFilter(self._filter)


def bare() -> dict:
    from PySide6.QtWidgets import QApplication, QMainWindow, QTableView

    app = QApplication(sys.argv[:1])
    window = QMainWindow()
    window.setCentralWidget(QTableView())
    window.resize(1280, 800)
    window.show()
    app.processEvents()
    window.grab()
    print("VISIBLE", flush=True)
    return {"peak_rss_mb": peak_rss_mb()}


def real_window(url: str, user: str, password: str, typed: str) -> dict:
    from pao_clinic.services.caseload_halves import second_process_peak_mb
    from pao_clinic.storage.file_check import start_quick_check

    watch = MemoryWatch()
    watch.start()
    under_way = start_quick_check(url)  # as `pao-clinic` does once it knows the database, before Qt loads
    from PySide6.QtWidgets import QApplication

    from pao_clinic import services
    from pao_clinic.services.first_lines import start_first_lines
    from pao_clinic.storage.connection import counting_queries
    from ui.app import create_application
    from ui.main_window import MainWindow

    app = create_application(sys.argv[:1])
    first_lines = start_first_lines(under_way)  # as ui.app.run_desktop: beside the check
    where = services.open_clinic_database(url, quick_check_under_way=under_way)
    done: dict[str, object] = {}

    def wait_for(key: str) -> None:
        while key not in done and "failed" not in done:
            app.processEvents()
            time.sleep(0.002)  # the refresh runs on a worker thread; look again soon

    with counting_queries() as queries:
        actor = services.authenticate(user, password)
        window = MainWindow(actor, where, demo=services.is_demo_database(), first_lines=first_lines)
        window.show()
        window.caseload_shown.connect(lambda: done.setdefault("shown", time.perf_counter()))
        window.refreshed.connect(lambda: done.setdefault("refreshed", time.perf_counter()))
        window.refresh_failed.connect(lambda text: done.setdefault("failed", text))
        window.refresh()
        wait_for("shown")
        app.processEvents()
        window.caseload_view.viewport().grab()
        visible_rows = window.caseload_proxy.rowCount()
        print("VISIBLE", flush=True)
        early_queries = first_lines.queries if first_lines is not None else 0  # on its own connection
        shown_queries = queries.count + early_queries
        visible = time.perf_counter()
        wait_for("refreshed")  # every woman's status and the worklist worked out, on screen
        app.processEvents()
        window.caseload_view.viewport().grab()
    outcome = {"outcome": "failed: " + str(done["failed"]) if "failed" in done else "refreshed",
               "rows": visible_rows, "queries": shown_queries, "queries_until_worked_out": queries.count + early_queries,
               "worked_out_after_s": round(time.perf_counter() - visible, 3),
               "worklist_rows": window.worklist_proxy.rowCount()}

    keystrokes = []
    paints = PaintCounter(window.caseload_view.viewport())
    grabbed = 0
    for ch in typed:
        start = time.perf_counter()
        before = paints.count
        window.filter_edit.insert(ch)          # textChanged -> the proxy filter, as a key press does
        app.processEvents()                    # the event loop's turn: it paints the table with what is left
        if paints.count == before:             # not painted by the event loop (not exposed): painted here
            window.caseload_view.viewport().grab()
            grabbed += 1
        keystrokes.append(time.perf_counter() - start)
    outcome.update(keystrokes_ms=[k * 1000 for k in keystrokes], rows_after_typing=window.caseload_proxy.rowCount(),
                   keys_painted_by_grab=grabbed, peak_rss_mb=peak_rss_mb(watch),
                   second_process_peak_mb=second_process_peak_mb())
    window.close()
    QApplication.processEvents()
    services.close_clinic_database()
    return outcome


def main(argv: list[str]) -> int:
    if argv[:1] == ["bare"]:
        outcome = bare()
    elif argv[:1] == ["window"] and len(argv) == 5:
        outcome = real_window(*argv[1:])
    else:
        print(__doc__, file=sys.stderr)
        return 2
    print(json.dumps(outcome), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
