"""The window's shell: Ctrl+N a new patient, File ▸ Import… / Export… on a worker with a progress
dialog that can cancel, a bad file's problems by JSON path, Ctrl+P her summary to a printer."""

from __future__ import annotations

import io
import json
import threading
from datetime import date, datetime, timezone
from pathlib import Path

import pytest
from pypdf import PdfReader
from PySide6.QtCore import QEvent, Qt
from PySide6.QtPrintSupport import QPrinter
from PySide6.QtWidgets import QApplication

from pao_clinic import services
from pao_clinic.demo import demo_caseload
from pao_clinic.services.letters import summary_pdf
from pao_clinic.storage.location import parse_database_url
from ui import main_window as shell
from ui.entry_forms import PATIENT_SPEC
from ui.main_window import DocumentFileChooser, MainWindow, PrintChooser

pytestmark = [pytest.mark.qt_log_ignore("does not support propagateSizeHints")]

DATA = Path(__file__).parent / "data"


@pytest.fixture
def shell_window(clinic, qapp, qtbot):
    """The main window on a clinic of 6 demo patients (each backend), signed in as the nurse."""
    qapp.setOrganizationName("PAO Clinic tests")
    services.import_records(clinic.nurse, demo_caseload(6, seed=5, today=date.today()))
    window = MainWindow(clinic.nurse, parse_database_url(clinic.url).describe())
    window.show()
    window.activateWindow()
    with qtbot.waitSignal(window.refreshed, timeout=20_000):
        window.refresh()
    yield window
    window.close()
    window.deleteLater()
    QApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)


def ctrl(qtbot, window, key: Qt.Key) -> None:
    qtbot.keyClick(window.focusWidget() or window, key, Qt.KeyboardModifier.ControlModifier)


def row_counts() -> tuple[int, int]:
    """Patients, and every clinical entry of theirs, as the services read them."""
    records = services.load_patient_records(None)
    return len(records), sum(len(getattr(r, c.name)) for r in records for c in services.CLINICAL_LISTS)


# --- Ctrl+N --------------------------------------------------------------------------------------

def test_ctrl_n_opens_the_patient_form_and_saving_opens_her_record(shell_window, qtbot):
    window = shell_window
    window.filter_edit.setFocus()
    ctrl(qtbot, window, Qt.Key.Key_N)
    form = window.patient_form
    assert form is not None and form.spec is PATIENT_SPEC and form.isVisible()
    assert window.new_patient_action.shortcut().toString() == "Ctrl+N"

    form.inputs["family_name"].focus[0].setText("Ødegård")
    form.inputs["given_name"].focus[0].setText("Siri")
    form.inputs["date_of_birth"].focus[0].setText("12-Apr-1991")
    form.inputs["nhs_number"].focus[0].setText("943 476 5919")
    with qtbot.waitSignal(window.refreshed, timeout=20_000):
        saved = form.save()
    assert saved is not None
    record = window.patient_tabs.current_record()
    assert record is not None and record.patient_id == saved.id
    assert any(r.patient_id == saved.id for r in window.caseload_model.rows())


# --- import and export ---------------------------------------------------------------------------

def test_export_through_the_menu_writes_the_caseload_with_progress(shell_window, qtbot, tmp_path, monkeypatch):
    window = shell_window
    target = tmp_path / "caseload.json"
    monkeypatch.setattr(DocumentFileChooser, "ask_save", classmethod(lambda cls, parent=None, suggested="": target))
    seen: list[tuple[int, int, str]] = []
    with qtbot.waitSignal(window.job_finished, timeout=20_000) as finished:
        window.export_action.trigger()
        assert window.progress_dialog is not None and window.progress_dialog.isVisible()
        window._job[1].signals.progress.connect(lambda d, t, text: seen.append((d, t, text)))
    assert finished.args == ["export", 6]
    assert seen[-1] == (3, 3, "Done") and [d for d, _, _ in seen] == sorted(d for d, _, _ in seen)
    document = json.loads(target.read_text(encoding="utf-8"))
    assert len(document["patients"]) == 6 and document == services.export_document(
        exported_at=datetime.fromisoformat(document["exported_at"]))
    assert window.progress_dialog is None and window.export_action.isEnabled()
    assert "Exported 6 patients" in window.statusBar().currentMessage()
    assert not list(tmp_path.glob("*.part"))


def test_import_through_the_menu_adds_her_with_progress(shell_window, qtbot, monkeypatch):
    window = shell_window
    monkeypatch.setattr(DocumentFileChooser, "ask_open", classmethod(lambda cls, parent=None: DATA / "full_patient.json"))
    patients_before, _ = row_counts()
    steps: list[str] = []
    with qtbot.waitSignal(window.refreshed, timeout=20_000):
        with qtbot.waitSignal(window.job_finished, timeout=20_000) as finished:
            window.import_action.trigger()
            window.progress_dialog.bar.valueChanged.connect(lambda v: steps.append(window.progress_dialog.label.text()))
    kind, ids = finished.args
    assert kind == "import" and len(ids) == 2
    assert row_counts()[0] == patients_before + 2
    assert window.caseload_model.rowCount() == patients_before + 2
    assert window.progress_dialog is None
    assert any(step.startswith("Saving 2 patients (all or nothing)") for step in steps), steps


def test_cancel_before_the_write_leaves_the_database_unchanged(shell_window, qtbot, monkeypatch):
    window = shell_window
    before = row_counts()
    checked, go_on = threading.Event(), threading.Event()
    real_read = shell.read_document_text

    def slow_read(text, *, today):  # stands in for a large file: waits while the user clicks Cancel
        records = real_read(text, today=today)
        checked.set()
        assert go_on.wait(10)
        return records

    monkeypatch.setattr(shell, "read_document_text", slow_read)
    window.import_file(DATA / "full_patient.json")
    assert checked.wait(10)
    dialog = window.progress_dialog
    with qtbot.waitSignal(window.job_finished, timeout=20_000) as finished:
        qtbot.mouseClick(dialog.cancel_button, Qt.MouseButton.LeftButton)
        assert dialog.label.text() == "Stopping\u2026 nothing will be saved." and not dialog.cancel_button.isEnabled()
        go_on.set()
    assert finished.args == ["import", None]
    assert row_counts() == before
    assert window.statusBar().currentMessage() == "Import cancelled: nothing was imported"
    assert window.import_action.isEnabled() and window.progress_dialog is None


def test_cancel_once_the_write_has_begun_is_refused_and_the_import_completes(shell_window, qtbot, monkeypatch):
    window = shell_window
    patients_before, _ = row_counts()
    writing, go_on = threading.Event(), threading.Event()
    real_import = services.import_records

    def slow_import(actor, records, *, should_stop=None, progress=None):
        def last_progress(done, total):
            progress(done, total)  # the whole document written: from here the import commits
            writing.set()
            assert go_on.wait(10)
        return real_import(actor, records, should_stop=should_stop, progress=last_progress)

    monkeypatch.setattr(services, "import_records", slow_import)
    window.import_file(DATA / "full_patient.json")
    assert writing.wait(10)
    dialog = window.progress_dialog
    with qtbot.waitSignal(window.job_finished, timeout=20_000) as finished:
        qtbot.mouseClick(dialog.cancel_button, Qt.MouseButton.LeftButton)
        assert "cannot stop half-way" in dialog.label.text()
        go_on.set()
    assert len(finished.args[1]) == 2 and row_counts()[0] == patients_before + 2


def test_cancel_half_way_through_saving_a_large_import_saves_nothing(shell_window, qtbot, monkeypatch, tmp_path):
    """The first batch of patients is written (uncommitted) when Cancel is pressed: all of it is rolled back."""
    from pao_clinic.exchange import document_from_records, document_to_text
    from pao_clinic.services.exchange_io import IMPORT_BATCH

    window = shell_window
    big = tmp_path / "big.json"
    records = demo_caseload(IMPORT_BATCH + 20, seed=11, today=date.today())
    big.write_text(document_to_text(document_from_records(records, exported_at=datetime(2026, 1, 5, 9, 0, tzinfo=timezone.utc))),
                   encoding="utf-8")
    before = row_counts()
    half_way, go_on = threading.Event(), threading.Event()
    real_import = services.import_records
    seen: list[tuple[int, int]] = []

    def watched_import(actor, records, *, should_stop=None, progress=None):
        def first_batch_written(done, total):
            seen.append((done, total))
            progress(done, total)
            if done < total:
                half_way.set()
                assert go_on.wait(10)
        return real_import(actor, records, should_stop=should_stop, progress=first_batch_written)

    monkeypatch.setattr(services, "import_records", watched_import)
    window.import_file(big)
    assert half_way.wait(60)
    dialog = window.progress_dialog
    with qtbot.waitSignal(window.job_finished, timeout=30_000) as finished:
        qtbot.mouseClick(dialog.cancel_button, Qt.MouseButton.LeftButton)
        assert "nothing will be saved" in dialog.label.text()
        go_on.set()
    assert finished.args == ["import", None]  # cancelled
    assert seen == [(IMPORT_BATCH, IMPORT_BATCH + 20)]  # stopped before the next batch
    assert row_counts() == before
    assert window.import_action.isEnabled()


def test_a_bad_file_shows_every_problem_by_its_json_path_and_imports_nothing(shell_window, qtbot, tmp_path):
    window = shell_window
    document = json.loads((DATA / "full_patient.json").read_text(encoding="utf-8"))
    document["patients"][1]["date_of_birth"] = "1991-02-31"
    document["patients"][0]["fractures"][0]["site"] = "elbow-ish"
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps(document), encoding="utf-8")
    before = row_counts()
    with qtbot.waitSignal(window.job_failed, timeout=20_000):
        window.import_file(bad)
    dialog = window.problems_dialog
    assert dialog is not None and dialog.isVisible()
    text = dialog.text()
    assert "patients[1].date_of_birth" in text and "patients[0].fractures[0].site" in text
    assert "bad.json was not imported" in dialog.findChild(type(window.count_label), "importProblemsHeading").text()
    assert row_counts() == before
    assert window.import_action.isEnabled()


def test_a_file_that_is_not_json_is_refused_in_words(shell_window, qtbot, tmp_path):
    window = shell_window
    bad = tmp_path / "notes.json"
    bad.write_text("{ not json", encoding="utf-8")
    with qtbot.waitSignal(window.job_failed, timeout=20_000) as failed:
        window.import_file(bad)
    assert failed.args[0] == "import" and "not valid JSON" in failed.args[1]


def test_an_unexpected_error_goes_to_the_error_presenter_and_the_window_keeps_working(shell_window, qtbot,
                                                                                      monkeypatch):
    window = shell_window
    reported: list[BaseException] = []
    monkeypatch.setattr("sys.excepthook", lambda kind, exc, tb: reported.append(exc))

    def broken(*_args, **_kwargs):
        raise RuntimeError("a bug")

    monkeypatch.setattr(services, "import_records", broken)
    with qtbot.waitSignal(window.job_failed, timeout=20_000):
        window.import_file(DATA / "full_patient.json")
    assert [str(e) for e in reported] == ["a bug"]
    assert window.import_action.isEnabled() and window.progress_dialog is None
    with qtbot.waitSignal(window.refreshed, timeout=20_000):
        window.refresh()


# --- Ctrl+P --------------------------------------------------------------------------------------

def test_ctrl_p_prints_her_patient_summary_to_the_printer(shell_window, qtbot, tmp_path, monkeypatch):
    window = shell_window
    assert not window.print_action.isEnabled()       # no record open: nothing to print
    patient = window.caseload_model.rows()[0]
    record = window.open_record(patient)
    qtbot.waitUntil(lambda: record.view is not None, timeout=10_000)
    assert window.print_action.isEnabled()
    output = tmp_path / "printed.pdf"
    asked: list[str] = []

    def ask(cls, printer: QPrinter, parent=None, title: str = "Print") -> bool:
        asked.append(title)
        printer.setOutputFormat(QPrinter.OutputFormat.PdfFormat)
        printer.setOutputFileName(str(output))
        return True

    monkeypatch.setattr(PrintChooser, "ask", classmethod(ask))
    with qtbot.waitSignal(window.printed, timeout=20_000) as printed:
        ctrl(qtbot, window, Qt.Key.Key_P)
    expected_pages = len(PdfReader(io.BytesIO(
        summary_pdf(window.actor, patient.patient_id, today=date.today()))).pages)
    assert printed.args == [expected_pages]
    assert asked == [f"Print the patient summary of {record.view.banner.name}"]
    assert len(PdfReader(str(output)).pages) == expected_pages and output.stat().st_size > 10_000


def test_a_cancelled_print_dialog_prints_nothing(shell_window, qtbot, monkeypatch):
    window = shell_window
    record = window.open_record(window.caseload_model.rows()[0])
    qtbot.waitUntil(lambda: record.view is not None, timeout=10_000)
    monkeypatch.setattr(PrintChooser, "ask", classmethod(lambda cls, printer, parent=None, title="": False))
    assert window.print_current_record() == 0


# --- keyboard and accessible names ---------------------------------------------------------------

def test_the_shell_has_its_shortcuts_and_accessible_names_and_tab_goes_search_filters_caseload_worklist(
        shell_window):
    window = shell_window
    assert {a.text(): a.shortcut().toString() for a in (window.new_patient_action, window.print_action,
                                                        window.find_action)} == {
        "New patient\u2026": "Ctrl+N", "Print patient summary\u2026": "Ctrl+P", "Find patient": "Ctrl+F"}
    assert window.patient_tabs.close_action.shortcuts()[0].toString() == "Ctrl+W"
    menu_texts = [a.text() for a in window.menuBar().actions()[0].menu().actions() if a.text()]
    assert {"Import\u2026", "Export\u2026", "Settings\u2026"} <= set(menu_texts)
    chain, widget = [], window.filter_edit
    for _ in range(len(window.quick_filter_buttons) + 4):
        chain.append(widget)
        widget = widget.nextInFocusChain()
        while not (widget.focusPolicy() & Qt.FocusPolicy.TabFocus) or not widget.isVisible():
            widget = widget.nextInFocusChain()
    names = [w.accessibleName() for w in chain]
    assert names[0] == "Find patient" and names[-3:] == ["Caseload", "Today's worklist", names[-1]]
    assert names[-1].startswith("Do this now")


def test_on_a_laptop_screen_her_open_record_gets_the_height_and_the_worklist_keeps_its_top_task(shell_window, qtbot):
    window = shell_window
    window.resize(1366, 700)  # a 1366x768 screen less its panel and the window's title bar
    qtbot.waitUntil(lambda: window.height() == 700)
    assert window.dockWidgetArea(window.worklist_dock) == Qt.DockWidgetArea.BottomDockWidgetArea
    on_caseload = window.worklist_dock.height()
    record = window.open_record(window.caseload_model.rows()[0], "fractures")
    qtbot.waitUntil(lambda: window.worklist_dock.height() <= shell.COMPACT_WORKLIST_HEIGHT + 10)
    assert record.height() >= 2 * window.worklist_dock.height()  # her record has the room
    assert window.do_now_button.isVisible() and window.worklist_view.height() > 0
    window.patient_tabs.setCurrentIndex(0)  # back to the caseload: the worklist as it was
    qtbot.waitUntil(lambda: abs(window.worklist_dock.height() - on_caseload) <= 10)


def test_the_audit_trail_is_in_the_file_menu_for_an_admin_only(window, demo_clinic, qtbot, monkeypatch):
    from ui.audit_view import AuditTrailWindow

    assert not window.audit_action.isVisible()  # the nurse
    window.switch_user(demo_clinic.admin)
    assert window.audit_action.isVisible()
    opened = []
    monkeypatch.setattr(AuditTrailWindow, "ask", classmethod(lambda cls, actor, parent=None: opened.append(actor)))
    window.audit_action.trigger()
    assert [actor.role for actor in opened] == ["admin"]
    window.switch_user(demo_clinic.consultant)
    assert not window.audit_action.isVisible()
