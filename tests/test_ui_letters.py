"""The letters view in her record: drafts and issued letters, preview (QtPdf), issue, print, save, batch print.

Every test builds its women through the services (the letter tests' Łucja, on both
backends), and writes letters as on the fixed day `ON`; dialogs are replaced through
their `ask` classmethods, printing goes to a QPrinter writing a PDF file.
"""

from __future__ import annotations

import os
import threading
import time
from dataclasses import replace
from datetime import date, timedelta
from io import BytesIO
from pathlib import Path

import pytest
from pypdf import PdfReader
from PySide6.QtPdf import QPdfDocument
from PySide6.QtPrintSupport import QPrinter
from PySide6.QtWidgets import QPushButton

from pao_clinic import services
from pao_clinic.record import GeneralPractitioner, PatientRecord, Referral
from pao_clinic.services import letters as letter_service
from pao_clinic.services.patient_view import patient_view
from pao_clinic.storage.models import AuditEntry, ReferralRow, StoredDocument
from tests.test_letters import ON, register_lucja, set_letterhead, written_rows
from ui import letters_view
from ui.letters_view import CORRECTION, DRAFT, ISSUED, LetterTableModel, LettersView, letter_rows
from ui.record_sections import ReferralsSection

pytestmark = [
    pytest.mark.qt_log_level_fail("WARNING"),
    pytest.mark.qt_log_ignore("does not support propagateSizeHints"),
]


def pdf_printer(path: Path) -> QPrinter:
    printer = QPrinter(QPrinter.PrinterMode.HighResolution)
    printer.setOutputFormat(QPrinter.OutputFormat.PdfFormat)
    printer.setOutputFileName(str(path))
    return printer


def shown(qtbot, widget):
    qtbot.addWidget(widget)
    widget.resize(1300, 760)
    widget.show()
    return widget


def listed(qtbot, view: LettersView, record) -> LettersView:
    """Show her record in the letters view and wait for her issued letters (read on a worker)."""
    view.show_view(record)
    qtbot.waitUntil(lambda: not view.is_loading(), timeout=10000)
    return view


def letters_for(qtbot, actor, patient_id: int, on: date = ON) -> LettersView:
    view = shown(qtbot, LettersView())
    view.set_actor(actor)
    return listed(qtbot, view, patient_view(patient_id, on))


def table_cells(view: LettersView) -> list[list[str]]:
    return [[view.proxy.index(r, c).data() for c in range(view.proxy.columnCount())]
            for r in range(view.proxy.rowCount())]


def select(view: LettersView, kind: str, n: int = 0) -> None:
    rows = [r for r in range(view.proxy.rowCount()) if view.proxy.index(r, 0).data(letters_view.ROW_ROLE).kind == kind]
    view.table.selectRow(rows[n])


def wait_ready(qtbot, document: QPdfDocument) -> None:
    qtbot.waitUntil(lambda: document.status() == QPdfDocument.Status.Ready, timeout=5000)


@pytest.fixture
def nothing_asked(monkeypatch):
    """Any dialog not replaced by the test fails it (never a real modal dialog in a test)."""
    def refuse(*_args, **_kwargs):
        raise AssertionError("a dialog was opened that the test did not expect")
    for dialog in (letters_view.IssueConfirmation, letters_view.LetterPrinting, letters_view.SaveLetterAs,
                   letters_view.CorrectionReason):
        monkeypatch.setattr(dialog, "ask", classmethod(refuse))


# --- the list --------------------------------------------------------------------------------

def test_the_view_lists_her_drafts_and_issued_letters_with_who_and_when(qtbot, clinic, nothing_asked):
    set_letterhead()
    patient_id, first = register_lucja(clinic)
    second = services.add_clinical_entry(clinic.nurse, patient_id, Referral(
        ref="", specialty="nutrition", urgency="routine", status="draft", created_on=ON,
        reason="Calcium and vitamin D review"), today=ON)
    document_id = letter_service.issue_letter(clinic.consultant, patient_id, first, today=ON)
    stored = StoredDocument.get_by_id(document_id)
    view = letters_for(qtbot, clinic.nurse, patient_id)
    cells = table_cells(view)
    assert cells[0] == ["Referral to nutrition and dietetics (routine)", "Draft: not issued", "\u2014",
                        f"written {letters_view.written_date(ON)}", "\u2014", "\u2014"]
    assert cells[1][:3] == [stored.title, "Issued", "Dr Mei Chen"]
    assert cells[1][3] == letters_view._when(stored.created_at)
    assert cells[1][4] == stored.sha256[:12] and cells[1][5] == "\u2014"
    assert view.status_label.text() == "1 draft, 1 issued letter."
    assert [r.referral.id for r in view.model.rows() if r.kind == DRAFT] == [second.id]


def test_a_correction_says_which_letter_it_replaces(qtbot, clinic, nothing_asked):
    set_letterhead()
    patient_id, referral_id = register_lucja(clinic)
    first = letter_service.issue_letter(clinic.nurse, patient_id, referral_id, today=ON)
    corrected = letter_service.issue_correction(clinic.nurse, first, reason="the fracture dates were wrong",
                                                today=ON + timedelta(days=1))
    view = letters_for(qtbot, clinic.nurse, patient_id, ON + timedelta(days=1))
    replaces = {r.issued.id: view.model.display(r, LetterTableModel.COL_REPLACES) for r in view.model.rows()}
    assert replaces == {first: "\u2014", corrected: f"document {first}"}


def test_issue_a_correction_asks_why_drafts_a_letter_naming_the_one_it_replaces_and_issues_it(
        qtbot, clinic, monkeypatch):
    set_letterhead()
    patient_id, referral_id = register_lucja(clinic)
    first = letter_service.issue_letter(clinic.nurse, patient_id, referral_id, today=ON)
    original = bytes(StoredDocument.get_by_id(first).content)
    later = ON + timedelta(days=2)
    reason = "The L3 fracture date was wrong & is now corrected"
    asked = []
    monkeypatch.setattr(letters_view.CorrectionReason, "ask",
                        classmethod(lambda cls, parent, title: asked.append(title) or reason))
    monkeypatch.setattr(letters_view.IssueConfirmation, "ask",
                        classmethod(lambda cls, parent, title, words: asked.append(words) or True))
    view = letters_for(qtbot, clinic.nurse, patient_id, later)
    assert not view.correct_button.isEnabled()          # nothing selected
    select(view, ISSUED)
    assert view.correct_button.isEnabled() and view.correct_button.accessibleName()
    before = written_rows()

    assert view.correct_selected()
    assert written_rows() == before                     # a draft correction writes nothing
    assert asked == [StoredDocument.get_by_id(first).title]
    assert [r.kind for r in view.model.rows()] == [CORRECTION, ISSUED]
    cells = table_cells(view)
    assert cells[0][1:] == ["Draft correction: not issued", "\u2014", "not issued", "\u2014", f"document {first}"]
    assert view.selected().kind == CORRECTION and view.issue_button.isEnabled()
    wait_ready(qtbot, view.document)
    preview = " ".join(" ".join(view.document.getAllText(n).text() for n in range(view.document.pageCount())).split())
    assert "DRAFT" in preview and f"(document {first})" in preview and f"Reason for the correction: {reason}" in preview
    assert view.missing_label.text().startswith(f"DRAFT CORRECTION of document {first}. Why: {reason}")
    select(view, ISSUED)
    assert not view.correct_button.isEnabled()          # one draft correction of a letter at a time

    select(view, CORRECTION)
    with qtbot.waitSignal(view.letters_changed):
        corrected = view.issue_selected()
    assert f"replaces document {first}" in asked[-1]
    stored = StoredDocument.get_by_id(corrected)
    assert stored.sha256 and "Reason for the correction" in " ".join(
        PdfReader(BytesIO(bytes(stored.content))).pages[0].extract_text().split())
    assert bytes(StoredDocument.get_by_id(first).content) == original
    assert letter_service.reprint_letter(clinic.nurse, first) == original
    assert f"replaces document {first}" in view.status_label.text()

    listed(qtbot, view, patient_view(patient_id, later))
    rows = {r.issued.id: r for r in view.model.rows()}
    assert [r.kind for r in view.model.rows()] == [ISSUED, ISSUED]
    states = {row[0]: row[1] for row in table_cells(view)}
    assert states[stored.title] == "Issued" and states[rows[first].issued.title] == f"Issued; replaced by document {corrected}"
    view.select_matching(rows[first])
    assert not view.correct_button.isEnabled()          # correct the newest letter instead
    view.preview_selected()
    assert f"REPLACED by document {corrected}" in view.missing_label.text()


@pytest.mark.parametrize("answer, words", [(None, "No correction made."), ("   ", "No correction made: ")])
def test_a_correction_cancelled_or_without_a_reason_changes_nothing(qtbot, clinic, monkeypatch, answer, words):
    set_letterhead()
    patient_id, referral_id = register_lucja(clinic)
    letter_service.issue_letter(clinic.nurse, patient_id, referral_id, today=ON)
    monkeypatch.setattr(letters_view.CorrectionReason, "ask", classmethod(lambda cls, parent, title: answer))
    view = letters_for(qtbot, clinic.nurse, patient_id)
    select(view, ISSUED)
    before = written_rows()
    assert not view.correct_selected()
    assert view.status_label.text().startswith(words) and [r.kind for r in view.model.rows()] == [ISSUED]
    assert written_rows() == before


def test_her_issued_letters_are_read_off_the_windows_thread_and_listed_when_they_arrive(qtbot, clinic, monkeypatch):
    set_letterhead()
    patient_id, referral_id = register_lucja(clinic)
    document_id = letter_service.issue_letter(clinic.nurse, patient_id, referral_id, today=ON)
    other_id = services.register_patient(clinic.nurse, PatientRecord(
        ref="", family_name="Nowak", given_name="Ewa", date_of_birth=date(1990, 1, 2), hospital_number="RX99999"),
        today=ON).id
    read_on = []
    real = letter_service.issued_letters
    monkeypatch.setattr(letter_service, "issued_letters",
                        lambda actor, pid: read_on.append(threading.current_thread()) or real(actor, pid))
    view = shown(qtbot, LettersView())
    view.set_actor(clinic.nurse)
    view.show_view(patient_view(other_id, ON))       # a read replaced by the next one is never listed
    with qtbot.waitSignal(view.letters_listed) as listed_signal:
        view.show_view(patient_view(patient_id, ON))
        assert view.is_loading() and [r.kind for r in view.model.rows()] == []   # her referral is sent
    assert listed_signal.args == [patient_id]
    assert read_on and threading.main_thread() not in read_on
    assert [r.issued.id for r in view.model.rows()] == [document_id]
    assert view.status_label.text() == "0 drafts, 1 issued letter."


def test_an_admin_sees_no_letters_and_may_do_nothing(qtbot, clinic, nothing_asked):
    set_letterhead()
    patient_id, referral_id = register_lucja(clinic)
    letter_service.issue_letter(clinic.nurse, patient_id, referral_id, today=ON)
    view = letters_for(qtbot, clinic.admin, patient_id)
    assert view.proxy.rowCount() == 0
    assert "admin does not draft, issue or print letters" in view.status_label.text()
    assert not any(b.isEnabled() for b in (view.preview_button, view.issue_button, view.print_button,
                                           view.save_button, view.batch_button, view.correct_button))


def test_the_letter_model_passes_the_model_tester(qtmodeltester, clinic):
    set_letterhead()
    patient_id, referral_id = register_lucja(clinic)
    first = letter_service.issue_letter(clinic.nurse, patient_id, referral_id, today=ON)
    second = letter_service.issue_correction(clinic.nurse, first, reason="a wrong date", today=ON)
    services.add_clinical_entry(clinic.nurse, patient_id, Referral(
        ref="", specialty="nutrition", urgency="routine", status="draft", created_on=ON,
        reason="Calcium and vitamin D review"), today=ON)
    model = LetterTableModel()
    model.set_rows(letter_rows(patient_view(patient_id, ON).referrals, letter_service.issued_letters(
        clinic.nurse, patient_id), {first: "left out: already replaced", second: "the urgency"}))
    assert [r.kind for r in model.rows()] == [DRAFT, CORRECTION, ISSUED, ISSUED]
    qtmodeltester.check(model, force_py=True)
    qtmodeltester.check(model)


# --- preview ---------------------------------------------------------------------------------

def test_preview_loads_the_draft_pdf_and_lists_what_is_missing(qtbot, clinic, nothing_asked):
    set_letterhead()
    patient_id, _referral_id = register_lucja(clinic)
    view = letters_for(qtbot, clinic.nurse, patient_id)
    select(view, DRAFT)
    assert view.preview_selected()
    wait_ready(qtbot, view.document)
    assert view.document.pageCount() >= 1
    assert "DRAFT" in view.document.getAllText(0).text()
    text = view.missing_label.text()
    assert text.startswith("DRAFT. Missing or out of date (it can still be issued):")
    assert "vitamin" in text.lower()      # her vitamin D is older than the clinic's 90 days


def test_preview_of_an_issued_letter_shows_the_stored_bytes_and_writes_nothing(qtbot, clinic, nothing_asked):
    set_letterhead()
    patient_id, referral_id = register_lucja(clinic)
    document_id = letter_service.issue_letter(clinic.nurse, patient_id, referral_id, today=ON)
    view = letters_for(qtbot, clinic.nurse, patient_id)
    before = written_rows()
    select(view, ISSUED)
    assert view.preview_selected()
    wait_ready(qtbot, view.document)
    assert view.preview_pdf == bytes(StoredDocument.get_by_id(document_id).content)
    assert "DRAFT" not in view.document.getAllText(0).text()
    assert f"document {document_id}" in view.missing_label.text() and "exactly as it was sent" in view.missing_label.text()
    assert written_rows() == before


# --- issuing ---------------------------------------------------------------------------------

def test_issuing_from_the_view_stores_it_and_the_referral_turns_sent(qtbot, clinic, monkeypatch):
    set_letterhead()
    patient_id, referral_id = register_lucja(clinic)
    asked = []
    monkeypatch.setattr(letters_view.IssueConfirmation, "ask",
                        classmethod(lambda cls, parent, title, words: asked.append(title) or True))
    view = letters_for(qtbot, clinic.nurse, patient_id)
    select(view, DRAFT)
    with qtbot.waitSignal(view.letters_changed) as changed:
        document_id = view.issue_selected()
    assert changed.args == [patient_id] and asked == ["Referral to physiotherapy (urgent)"]
    stored = StoredDocument.get_by_id(document_id)
    assert (stored.patient_id, stored.created_by_id) == (patient_id, clinic.nurse.user_id)
    assert (ReferralRow.get_by_id(referral_id).status, ReferralRow.get_by_id(referral_id).sent_on) == ("sent", ON)
    listed(qtbot, view, patient_view(patient_id, ON))
    assert [r.kind for r in view.model.rows()] == [ISSUED]


def test_declining_to_confirm_issues_nothing(qtbot, clinic, monkeypatch):
    set_letterhead()
    patient_id, _referral_id = register_lucja(clinic)
    monkeypatch.setattr(letters_view.IssueConfirmation, "ask", classmethod(lambda cls, *args: False))
    view = letters_for(qtbot, clinic.nurse, patient_id)
    select(view, DRAFT)
    before = written_rows()
    assert view.issue_selected() is None
    assert written_rows() == before and view.status_label.text() == "Not issued."


def test_issue_refused_shows_the_missing_address_in_words_and_changes_nothing(qtbot, clinic, nothing_asked):
    set_letterhead()
    patient_id, _referral_id = register_lucja(clinic, gp=GeneralPractitioner(name="Dr Ní Bhriain"), specialty="gp")
    view = letters_for(qtbot, clinic.nurse, patient_id)
    select(view, DRAFT)
    before = written_rows()
    assert view.issue_selected() is None          # refused before any confirmation is asked
    assert written_rows() == before
    words = view.missing_label.text()
    assert words.startswith("Cannot be issued until these are recorded:")
    assert "address" in words and "Dr Ní Bhriain" in words
    assert view.status_label.text().startswith("Not issued: ")
    assert ReferralRow.get(ReferralRow.patient == patient_id).status == "draft"


# --- printing and saving ---------------------------------------------------------------------

def test_printing_an_issued_letter_writes_a_pdf_and_a_printed_audit_entry(qtbot, clinic, monkeypatch, tmp_path):
    set_letterhead()
    patient_id, referral_id = register_lucja(clinic)
    document_id = letter_service.issue_letter(clinic.nurse, patient_id, referral_id, today=ON)
    out = tmp_path / "printed.pdf"
    monkeypatch.setattr(letters_view.LetterPrinting, "ask", classmethod(lambda cls, parent, title: pdf_printer(out)))
    view = letters_for(qtbot, clinic.consultant, patient_id)
    select(view, ISSUED)
    assert view.print_selected()
    printed = PdfReader(BytesIO(out.read_bytes()))
    stored_pages = len(PdfReader(BytesIO(bytes(StoredDocument.get_by_id(document_id).content))).pages)
    assert len(printed.pages) == stored_pages >= 1
    (entry,) = AuditEntry.select().where((AuditEntry.action == "printed") & (AuditEntry.record_id == document_id))
    assert (entry.user_name, entry.patient_id, entry.record_type) == ("dr.chen", patient_id, "stored_document")
    assert StoredDocument.get_by_id(document_id).sha256 in entry.after and entry.at is not None


def test_printing_a_draft_writes_no_audit_entry(qtbot, clinic, monkeypatch, tmp_path):
    set_letterhead()
    patient_id, _referral_id = register_lucja(clinic)
    out = tmp_path / "draft.pdf"
    monkeypatch.setattr(letters_view.LetterPrinting, "ask", classmethod(lambda cls, parent, title: pdf_printer(out)))
    view = letters_for(qtbot, clinic.nurse, patient_id)
    select(view, DRAFT)
    before = written_rows()
    assert view.print_selected()
    assert out.stat().st_size > 1000 and written_rows() == before


def test_save_as_writes_the_stored_bytes_exactly_and_is_audited(qtbot, clinic, monkeypatch, tmp_path):
    set_letterhead()
    patient_id, referral_id = register_lucja(clinic)
    document_id = letter_service.issue_letter(clinic.nurse, patient_id, referral_id, today=ON)
    target = tmp_path / "letter.pdf"
    offered = []
    monkeypatch.setattr(letters_view.SaveLetterAs, "ask",
                        classmethod(lambda cls, parent, suggested: offered.append(suggested) or str(target)))
    view = letters_for(qtbot, clinic.nurse, patient_id)
    select(view, ISSUED)
    assert view.save_selected() == str(target)
    assert target.read_bytes() == bytes(StoredDocument.get_by_id(document_id).content)
    assert offered[0].endswith(".pdf") and "DRAFT" not in offered[0]
    (entry,) = AuditEntry.select().where((AuditEntry.action == "saved") & (AuditEntry.record_id == document_id))
    assert entry.user_name == "nina.nurse" and "letter.pdf" in entry.after


# --- batch printing --------------------------------------------------------------------------

def women_with_draft_letters(clinic, count: int) -> None:
    set_letterhead()
    names = ("Okafor", "Nguyễn", "Ní Bhriain", "Wiśniewska", "Begum", "Kowalczyk")
    for n in range(count):
        record = PatientRecord(ref="", family_name=names[n], given_name="Adaeze", date_of_birth=date(1990, 1, 1 + n),
                               hospital_number=f"RX5{n:04d}")
        saved = services.register_patient(clinic.nurse, record, today=ON)
        services.add_clinical_entry(clinic.nurse, saved.id, Referral(
            ref="", specialty="physiotherapy", urgency="routine", status="draft", created_on=ON,
            reason="Back pain"), today=ON)


def draft_pages(clinic, due) -> int:
    pdf, _missing = letter_service.draft_letter(clinic.nurse, due.patient_id, due.referral_id, today=ON)
    return len(PdfReader(BytesIO(pdf)).pages)


def test_batch_printing_prints_every_due_letter_in_the_background(qtbot, clinic, monkeypatch, tmp_path):
    women_with_draft_letters(clinic, 3)
    out = tmp_path / "due.pdf"
    monkeypatch.setattr(letters_view.LetterPrinting, "ask", classmethod(lambda cls, parent, title: pdf_printer(out)))
    view = letters_for(qtbot, clinic.nurse, services.caseload_rows(ON)[0].patient_id)
    with qtbot.waitSignal(view.message_shown, timeout=20000,
                          check_params_cb=lambda words: words.startswith(("Printed", "Printing the due"))) as shown_words:
        worker = view.print_all_due()
        assert view.progress is not None and not view.batch_button.isEnabled()
    assert shown_words.args == ["Printed 3 of 3 due letters."]
    assert len(PdfReader(BytesIO(out.read_bytes())).pages) == sum(
        draft_pages(clinic, due) for due in letter_service.due_letters(clinic.nurse))
    qtbot.waitUntil(lambda: worker.ran)
    assert view.progress is None and view.batch_button.isEnabled()


def test_batch_printing_cancelled_stops_early_and_prints_no_more(qtbot, clinic, monkeypatch, tmp_path):
    women_with_draft_letters(clinic, 4)
    out = tmp_path / "due.pdf"
    monkeypatch.setattr(letters_view.LetterPrinting, "ask", classmethod(lambda cls, parent, title: pdf_printer(out)))
    view = letters_for(qtbot, clinic.nurse, services.caseload_rows(ON)[0].patient_id)
    printed_counts: list[int] = []
    cancelled = threading.Event()

    def after_each(done: int) -> None:      # on the worker's thread: hold after the first letter until cancelled
        printed_counts.append(done)
        if done == 1:
            assert cancelled.wait(10)

    worker = view.print_all_due(after_each=after_each)
    qtbot.waitUntil(lambda: printed_counts == [1], timeout=20000)
    with qtbot.waitSignal(view.message_shown) as stopped:
        view.progress.findChild(QPushButton).click()     # the progress dialog's Cancel button
    cancelled.set()
    qtbot.waitUntil(lambda: worker.ran, timeout=20000)
    assert printed_counts == [1]              # no letter after the cancel
    assert stopped.args[0].startswith("Printing stopped")
    assert view.progress is None and view.batch_worker is None
    first = letter_service.due_letters(clinic.nurse)[0]
    assert len(PdfReader(BytesIO(out.read_bytes())).pages) == draft_pages(clinic, first)   # the file is complete


# --- in her record ---------------------------------------------------------------------------

def test_write_letter_on_a_selected_referral_drafts_and_previews_it(qtbot, clinic, nothing_asked):
    set_letterhead()
    patient_id, referral_id = register_lucja(clinic)
    page = shown(qtbot, ReferralsSection())
    page.set_actor(clinic.nurse)
    page.show_view(patient_view(patient_id, ON))
    qtbot.waitUntil(lambda: not page.letters.is_loading(), timeout=10000)
    assert page.letters_box.isVisible() and page.letters.proxy.rowCount() == 1
    assert not page.write_letter_button.isEnabled()
    page.referrals.view.selectRow(0)
    assert page.write_letter_button.isEnabled()
    page.write_letter_button.click()
    wait_ready(qtbot, page.letters.document)
    assert page.letters.previewed.referral.id == referral_id
    assert page.letters.document.pageCount() >= 1


def test_the_letters_view_renders_at_laptop_size(qtbot, clinic, tmp_path):
    set_letterhead()
    patient_id, referral_id = register_lucja(clinic)
    services.add_clinical_entry(clinic.nurse, patient_id, Referral(
        ref="", specialty="nutrition", urgency="routine", status="draft", created_on=ON,
        reason="Calcium, vitamin D and diet review"), today=ON)
    letter_service.issue_letter(clinic.consultant, patient_id, referral_id, today=ON)
    page = shown(qtbot, ReferralsSection())
    page.resize(1366, 768)
    page.set_actor(clinic.nurse)
    page.show_view(patient_view(patient_id, ON))
    qtbot.waitUntil(lambda: not page.letters.is_loading(), timeout=10000)
    select(page.letters, DRAFT)
    page.letters.preview_selected()
    wait_ready(qtbot, page.letters.document)
    qtbot.wait(50)
    image = page.grab()
    assert (image.width(), image.height()) == (1366, 768)
    # LETTERS_SCREENSHOT=docs/screenshots/letters-view.png writes the docs' screenshot
    target = Path(os.environ.get("LETTERS_SCREENSHOT") or tmp_path / "letters-view.png")
    assert image.save(str(target)) and 0 < target.stat().st_size < 300_000


def test_a_draft_correction_issued_elsewhere_first_is_refused_in_words_and_leaves_the_list(qtbot, clinic, monkeypatch):
    set_letterhead()
    patient_id, referral_id = register_lucja(clinic)
    first = letter_service.issue_letter(clinic.nurse, patient_id, referral_id, today=ON)
    monkeypatch.setattr(letters_view.CorrectionReason, "ask", classmethod(lambda cls, parent, title: "a wrong date"))
    monkeypatch.setattr(letters_view.IssueConfirmation, "ask", classmethod(lambda cls, *args: True))
    view = letters_for(qtbot, clinic.nurse, patient_id)
    select(view, ISSUED)
    assert view.correct_selected()
    elsewhere = letter_service.issue_correction(clinic.consultant, first, reason="another window", today=ON)
    before = written_rows()
    select(view, CORRECTION)
    assert view.issue_selected() is None
    assert written_rows() == before
    assert f"already replaced by letter {elsewhere}" in view.status_label.text()
    listed(qtbot, view, patient_view(patient_id, ON))
    assert [r.kind for r in view.model.rows()] == [ISSUED, ISSUED]


def test_closing_her_record_waits_for_the_letters_read_on_its_own_workers(qtbot, clinic, monkeypatch):
    """A read of her issued letters must not outlive her record (nor the database it reads)."""
    from datetime import date as _date

    from ui.patient_tabs import PatientTabs

    set_letterhead()
    patient_id, _referral_id = register_lucja(clinic)
    tabs = PatientTabs(actor=clinic.nurse, today=_date.today)
    qtbot.addWidget(tabs)
    record = tabs.open_patient(patient_id)
    qtbot.waitUntil(lambda: record.view is not None, timeout=20_000)
    letters = record.sections["referrals"].letters
    qtbot.waitUntil(lambda: not letters.is_loading(), timeout=20_000)
    real_read = letter_service.issued_letters
    reading = threading.Event()

    def slow_read(*args):
        reading.set()
        time.sleep(0.5)  # a slow server (a sleep: faketime moves a timed wait's deadline 400 days)
        return real_read(*args)

    monkeypatch.setattr(letter_service, "issued_letters", slow_read)
    letters.show_view(record.view)  # a read under way
    assert reading.wait(10)
    tabs.shut_down()
    assert letters.pool._pool.activeThreadCount() == 0 and not letters.is_loading()
