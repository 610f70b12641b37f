"""What a woman's open record does when asked: its pages, and the forms and dialogs behind their buttons.

`RecordActions` puts every real section page into a `PatientRecordWidget` and answers
the pages' requests (add, edit, entered in error, feeding stopped, move a referral on,
record a decision, open an entry from the timeline, read the audit history) with the
one entry form (`ui.entry_forms`) or the decision dialog, acting as the signed-in user.
After a save her record is read again and `record_changed` tells the main window, so
the caseload and the worklist follow.
"""

from __future__ import annotations

from PySide6.QtCore import QObject, Signal

from pao_clinic import services
from pao_clinic.record import CLINICAL_LISTS
from pao_clinic.services import Actor

from .decision_dialog import DecisionDialog
from .dexa_section import DexaSection
from .entry_forms import EntryForm, open_entry_form
from .fractures_section import FracturesSection
from .medications_section import MedicationsSection
from .patient_record import PatientRecordWidget
from .record_sections import SECTION_PAGES
from .timeline_section import TimelineSection
from .workers import Worker, WorkerPool

#: The list of her record each kind of entry belongs to (Fracture -> "fractures").
LIST_OF_TYPE: dict[type, str] = {value_type: name for name, value_type, _ in CLINICAL_LISTS}
#: The section where each record type is shown (the services' record types).
SECTION_OF_RECORD_TYPE: dict[str, str] = {
    "pregnancy": "pregnancies", "feeding": "pregnancies", "contraception": "pregnancies",
    "dental_review": "pregnancies", "fracture": "fractures", "dexa_scan": "dexa", "blood_result": "bloods",
    "height": "heights", "epds": "epds", "medication": "medications", "decision": "medications",
    "referral": "referrals",
}
_LIST_OF_RECORD_TYPE: dict[str, str] = {c.record_type: c.name for c in services.CLINICAL_LISTS}


def install_section_pages(record: PatientRecordWidget) -> dict[str, object]:
    """Every real page in its place (the overview is the record's own); returns them by key."""
    pages = {
        "timeline": TimelineSection(),
        "fractures": FracturesSection(),
        "dexa": DexaSection(),
        "medications": MedicationsSection(),
        **{key: page_class() for key, page_class in SECTION_PAGES.items()},
    }
    for key, page in pages.items():
        record.set_section_page(key, page)
    return pages


class RecordActions(QObject):
    """The pages of one open record and what their buttons do, for the signed-in user."""

    record_changed = Signal(int)   # her patient id: something in her record was saved

    def __init__(self, record: PatientRecordWidget, actor: Actor, pool: WorkerPool):
        super().__init__(record)
        self.record = record
        self.actor = actor
        self._pool = pool
        self.pages = install_section_pages(record)
        self.pages["referrals"].set_actor(actor)
        self.pages["referrals"].letters_changed.connect(self._on_form_saved)
        self.open_form: EntryForm | None = None   # the form last opened (tests look at it)
        for page in self.pages.values():
            for name, slot in (("add_requested", self.add_entry), ("edit_requested", self.edit_entry),
                               ("entered_in_error_requested", self.mark_entered_in_error),
                               ("feeding_stop_requested", self.edit_entry),
                               ("status_change_requested", self.move_referral_on)):
                signal = getattr(page, name, None)
                if signal is not None:
                    signal.connect(slot)
        self.pages["medications"].decision_requested.connect(self.record_decision)
        self.pages["timeline"].entry_activated.connect(self.open_entry)
        self.pages["audit"].audit_wanted.connect(self._on_audit_page_audit_wanted)

    # -- forms ---------------------------------------------------------------------------
    def _form(self, list_name: str, original=None) -> EntryForm | None:
        view = self.record.view
        if view is None:
            return None
        form = open_entry_form(self.actor, list_name, record=view.record, original=original, today=view.on,
                               parent=self.record)
        form.saved.connect(self._on_form_saved)
        form.entered_in_error.connect(self._on_form_saved)
        self.open_form = form
        return form

    def add_entry(self, list_name: str) -> EntryForm | None:
        form = self._form(list_name)
        if form is not None:
            form.open()
        return form

    def edit_entry(self, value) -> EntryForm | None:
        form = self._form(LIST_OF_TYPE[type(value)], value)
        if form is not None:
            form.open()
        return form

    def mark_entered_in_error(self, value) -> bool:
        form = self._form(LIST_OF_TYPE[type(value)], value)
        return form is not None and form.mark_entered_in_error()

    def move_referral_on(self, referral) -> object | None:
        form = self._form("referrals", referral)
        return form.move_on() if form is not None else None

    def record_decision(self) -> object | None:
        view = self.record.view
        decision = DecisionDialog.ask(self.actor, self.record.patient_id, on=view.on if view else None,
                                      parent=self.record)
        if decision is not None:
            self._on_form_saved(decision)
        return decision

    def open_entry(self, record_type: str, record_id: int) -> EntryForm | None:
        """A click on the timeline: her entry's section, and the entry in its form."""
        self.record.show_section(SECTION_OF_RECORD_TYPE.get(record_type, "overview"))
        view = self.record.view
        list_name = _LIST_OF_RECORD_TYPE.get(record_type)
        if view is None or list_name is None:
            return None
        entry = next((e for e in getattr(view.record, list_name) if e.id == record_id), None)
        return self.edit_entry(entry) if entry is not None else None

    def _on_form_saved(self, _value) -> None:
        self.record.reload()
        self.record_changed.emit(self.record.patient_id)

    # -- the audit page ------------------------------------------------------------------
    def _on_audit_page_audit_wanted(self, patient_id: int) -> None:
        worker = Worker(services.patient_audit_history, patient_id)
        worker.signals.finished.connect(self.pages["audit"].set_audit)
        self._pool.start(worker)
