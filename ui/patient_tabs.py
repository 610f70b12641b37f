"""Open records, one tab per patient: `FAMILY, Given` on each tab, Ctrl+W closes the current one.

Opening a patient who is already open switches to her tab (and to the section asked
for).  A *home* tab (the caseload, when the main window puts it here) stays first and
cannot be closed.  Every record reads through the service on the tabs' one worker pool.

Each opening of a record in a tab is audited (`services.audit.record_opened`, on the
same pool, after her record is read): once per opening, never per reload.
"""

from __future__ import annotations

import logging
import sys
from datetime import date
from typing import Callable

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QTabBar, QTabWidget, QWidget

from pao_clinic.errors import PaoClinicError
from pao_clinic.services import Actor
from pao_clinic.services.audit import record_opened

from .patient_record import PatientRecordWidget
from .record_actions import RecordActions, install_section_pages
from .workers import Worker, WorkerPool

log = logging.getLogger("pao_clinic")


class PatientTabs(QTabWidget):
    """A QTabWidget of PatientRecordWidgets (and at most one home tab before them)."""

    record_opened = Signal(object)   # the PatientRecordWidget just created
    record_closed = Signal(int)      # the patient id whose record was closed
    record_changed = Signal(int)     # the patient id whose record was saved from her tab

    def __init__(self, parent: QWidget | None = None, *, pool: WorkerPool | None = None,
                 today: Callable[[], date] = date.today, actor: Actor | None = None):
        super().__init__(parent)
        self.actor = actor  # who acts on the records' buttons (None: the pages only show)
        self.setObjectName("patientTabs")
        self.setAccessibleName("Open patient records")
        self.setDocumentMode(True)
        self.setTabsClosable(True)
        self.setMovable(True)
        self.setElideMode(Qt.TextElideMode.ElideRight)
        self.today = today
        self._pool = pool or WorkerPool(self)
        self._own_pool = pool is None
        self.home: QWidget | None = None
        self.tabCloseRequested.connect(self._on_tab_close_requested)

        self.close_action = QAction("Close patient record", self)
        self.close_action.setObjectName("closeRecordAction")
        # Ctrl+W everywhere (the platform's own Close key, e.g. Ctrl+F4, as well)
        shortcuts = [QKeySequence("Ctrl+W")]
        shortcuts += [k for k in QKeySequence.keyBindings(QKeySequence.StandardKey.Close) if k not in shortcuts]
        self.close_action.setShortcuts(shortcuts)
        self.close_action.setShortcutContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
        self.close_action.setStatusTip("Close the patient record shown")
        self.close_action.triggered.connect(self.close_current)
        self.addAction(self.close_action)
        self.currentChanged.connect(self._on_current_changed)
        self._on_current_changed()

    # -- the home tab ----------------------------------------------------------------------
    def set_home(self, widget: QWidget, title: str) -> None:
        """The first tab, which cannot be closed (the caseload)."""
        if self.home is not None:
            raise RuntimeError("the tabs already have a home tab")
        self.home = widget
        self.insertTab(0, widget, title)
        self.tabBar().setTabButton(0, QTabBar.ButtonPosition.RightSide, None)
        self.tabBar().setTabButton(0, QTabBar.ButtonPosition.LeftSide, None)
        self.setCurrentIndex(0)

    # -- records -------------------------------------------------------------------------
    def records(self) -> list[PatientRecordWidget]:
        return [w for i in range(self.count()) if isinstance(w := self.widget(i), PatientRecordWidget)]

    def record_of(self, patient_id: int) -> PatientRecordWidget | None:
        return next((r for r in self.records() if r.patient_id == patient_id), None)

    def current_record(self) -> PatientRecordWidget | None:
        widget = self.currentWidget()
        return widget if isinstance(widget, PatientRecordWidget) else None

    def open_patient(self, patient_id: int, *, section: str | None = None, title: str | None = None,
                     on: date | None = None) -> PatientRecordWidget:
        """Show her record (opening it when it is not open yet), at `section` when given.

        `title` is shown on the tab until her record has been read (`FAMILY, Given`).
        """
        record = self.record_of(patient_id)
        if record is None:
            record = PatientRecordWidget(patient_id, pool=self._pool, today=self.today)
            if self.actor is not None:
                record.record_actions = RecordActions(record, self.actor, self._pool)
                record.record_actions.record_changed.connect(self.record_changed)
            else:
                install_section_pages(record)
            record.loaded.connect(lambda _view, r=record: self._on_record_loaded(r))
            index = self.addTab(record, title or "Loading\u2026")
            self.setTabToolTip(index, title or "")
            record.reload(on)
            self._audit_opening(patient_id)
            self.record_opened.emit(record)
        if section is not None:
            record.show_section(section)
        self.setCurrentWidget(record)
        record.section_list.setFocus(Qt.FocusReason.OtherFocusReason)
        return record

    def _audit_opening(self, patient_id: int) -> None:
        """An `open` audit entry for her record, by whoever is signed in (none when nobody acts)."""
        if self.actor is None:
            return
        worker = Worker(record_opened, self.actor, patient_id)
        worker.signals.errored.connect(lambda exc, _tb, p=patient_id: self._on_opening_audit_errored(p, exc))
        self._pool.start(worker)

    @staticmethod
    def _on_opening_audit_errored(patient_id: int, exc: Exception) -> None:
        if isinstance(exc, PaoClinicError):  # e.g. she no longer exists: her tab says so when it reads her
            log.warning("the opening of patient %s's record was not audited: %s", patient_id, exc)
            return
        sys.excepthook(type(exc), exc, exc.__traceback__)

    def _on_record_loaded(self, record: PatientRecordWidget) -> None:
        index = self.indexOf(record)
        if index >= 0 and record.view is not None:
            banner = record.view.banner
            self.setTabText(index, banner.name)
            numbers = ", ".join(x for x in (f"NHS {banner.nhs_number}" if banner.nhs_number else "",
                                            f"hospital no. {banner.hospital_number}" if banner.hospital_number else "")
                                if x)
            self.setTabToolTip(index, f"{banner.name}, born {banner.born}" + (f", {numbers}" if numbers else ""))

    def close_record(self, record: PatientRecordWidget) -> None:
        index = self.indexOf(record)
        if index < 0:
            return
        record.close_record()
        self.removeTab(index)
        patient_id = record.patient_id
        record.deleteLater()
        self.record_closed.emit(patient_id)

    def close_current(self) -> bool:
        """Close the record shown (Ctrl+W); False when the current tab is not a record."""
        record = self.current_record()
        if record is None:
            return False
        self.close_record(record)
        return True

    def reload_all(self, on: date | None = None) -> None:
        """Read every open record again (someone saved, or a new day)."""
        for record in self.records():
            record.reload(on)

    def shut_down(self) -> None:
        """At window close: drop reads still running and wait for the pool when it is the tabs' own."""
        for record in self.records():
            record.close_record()
        if self._own_pool:
            self._pool.shut_down()

    def _on_tab_close_requested(self, index: int) -> None:
        widget = self.widget(index)
        if isinstance(widget, PatientRecordWidget):
            self.close_record(widget)

    def _on_current_changed(self, _index: int = -1) -> None:
        self.close_action.setEnabled(self.current_record() is not None)
