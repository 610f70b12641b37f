"""The main window's caseload: filter as you type, sort, the model conventions, start-up pieces."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from PySide6.QtCore import QEvent, QPoint, Qt
from PySide6.QtWidgets import QApplication, QDialogButtonBox, QMessageBox

from pao_clinic import services
from pao_clinic.storage.connection import close_database
from pao_clinic.storage.location import parse_database_url
from pao_clinic.errors import StorageError
from pao_clinic.services import CaseloadRow
from ui.caseload_model import (
    ROW_ROLE, SORT_ROLE, CaseloadFilterProxy, CaseloadTableModel, LACTATION_WORDS, search_fold,
)
from ui.main_window import FILTER_PLACEHOLDER, MainWindow

from .conftest import PASSWORD

pytestmark = [
    pytest.mark.qt_log_level_fail("WARNING"),
    pytest.mark.qt_log_ignore("does not support propagateSizeHints"),
]

def shown_rows(win: MainWindow) -> list[CaseloadRow]:
    proxy = win.caseload_proxy
    return [proxy.index(r, 0).data(ROW_ROLE) for r in range(proxy.rowCount())]


def row(**overrides) -> CaseloadRow:
    values = dict(patient_id=1, family_name="Smith", given_name="Amy", date_of_birth=date(1992, 3, 14),
                  nhs_number="943 476 5919",
                  hospital_number="PAO000001", age=33, latest_delivery=date(2025, 3, 2), fracture_count=2,
                  lowest_z=-2.6, lactation="breastfeeding", open_referrals=1)
    values.update(overrides)
    return CaseloadRow(**values)


# --- the window ---------------------------------------------------------------------------

def test_the_window_lists_every_patient_and_says_where_and_who(window, demo_clinic):
    rows = services.caseload_rows(window.shown_on)
    assert window.caseload_proxy.rowCount() == len(rows) == 50
    assert window.count_label.text() == "50 of 50 patients"
    assert window.filter_edit.placeholderText() == FILTER_PLACEHOLDER
    assert window.database_label.text() == f"SQLite {parse_database_url(demo_clinic.url).path}"
    assert "Nina Nurse" in window.user_label.text()
    assert "DEMO" not in window.windowTitle()
    assert not window.check_action.isEnabled()  # nothing selected yet


def test_typing_a_filter_narrows_the_rows(window, qtbot):
    rows = services.caseload_rows(window.shown_on)
    family = next(r.family_name for r in sorted(rows, key=lambda r: r.family_name)
                  if r.family_name.isascii() and r.family_name.isalpha() and len(r.family_name) >= 4)
    typed = family[:3].lower()

    def expected(text: str) -> int:
        return sum(1 for r in rows if text in r.name.lower() or text in f"{r.given_name} {r.family_name}".lower())

    window.filter_edit.setFocus()
    qtbot.keyClicks(window.filter_edit, typed)
    qtbot.waitUntil(lambda: window.caseload_proxy.rowCount() == expected(typed))
    assert 0 < window.caseload_proxy.rowCount() < 50
    assert all(typed in search_fold(r.name) for r in shown_rows(window))
    assert window.count_label.text() == f"{expected(typed)} of 50 patients"

    qtbot.keyClicks(window.filter_edit, family[3:].lower())
    qtbot.waitUntil(lambda: window.caseload_proxy.rowCount() == expected(family.lower()))
    assert {r.family_name for r in shown_rows(window)} >= {family}

    window.filter_edit.clear()
    qtbot.waitUntil(lambda: window.caseload_proxy.rowCount() == 50)
    assert window.count_label.text() == "50 of 50 patients"


def test_filtering_by_nhs_number_with_or_without_spaces(window, qtbot):
    target = next(r for r in services.caseload_rows(window.shown_on) if r.nhs_number)
    for typed in (target.nhs_number, target.nhs_number.replace(" ", "")):
        window.filter_edit.clear()
        qtbot.keyClicks(window.filter_edit, typed)
        qtbot.waitUntil(lambda: window.caseload_proxy.rowCount() == 1)
        assert shown_rows(window) == [target]
    window.filter_edit.clear()
    qtbot.keyClicks(window.filter_edit, target.hospital_number.lower())
    qtbot.waitUntil(lambda: window.caseload_proxy.rowCount() == 1)
    assert shown_rows(window) == [target]


def test_clicking_a_header_sorts_the_rows_with_missing_values_last(window, qtbot):
    header = window.caseload_view.horizontalHeader()
    column = CaseloadTableModel.COL_AGE
    x = header.sectionViewportPosition(column) + header.sectionSize(column) // 2
    header_middle = QPoint(x, header.height() // 2)
    qtbot.mouseClick(header.viewport(), Qt.MouseButton.LeftButton, pos=header_middle)
    qtbot.waitUntil(lambda: header.sortIndicatorSection() == column)
    ages = [r.age for r in shown_rows(window)]
    assert len(set(ages)) > 1  # the order below can only be seen among different ages
    assert header.sortIndicatorOrder() == Qt.SortOrder.AscendingOrder  # a first click: youngest first
    assert ages == sorted(ages)
    qtbot.mouseClick(header.viewport(), Qt.MouseButton.LeftButton, pos=header_middle)
    qtbot.waitUntil(lambda: header.sortIndicatorOrder() == Qt.SortOrder.DescendingOrder)
    assert [r.age for r in shown_rows(window)] == sorted(ages, reverse=True)  # a second click: oldest first

    window.caseload_view.sortByColumn(CaseloadTableModel.COL_LATEST_DELIVERY, Qt.SortOrder.AscendingOrder)
    deliveries = [r.latest_delivery for r in shown_rows(window)]
    known = [d for d in deliveries if d is not None]
    assert deliveries == sorted(known) + [None] * (len(deliveries) - len(known))
    window.caseload_view.sortByColumn(CaseloadTableModel.COL_LATEST_DELIVERY, Qt.SortOrder.DescendingOrder)
    deliveries = [r.latest_delivery for r in shown_rows(window)]
    assert deliveries == sorted(known, reverse=True) + [None] * (len(deliveries) - len(known))

    window.caseload_view.selectRow(7)
    chosen = window.selected_patient()
    window.caseload_view.sortByColumn(CaseloadTableModel.COL_NAME, Qt.SortOrder.AscendingOrder)
    names = [search_fold(f"{r.family_name}\t{r.given_name}") for r in shown_rows(window)]
    assert names == sorted(names)
    assert window.selected_patient() == chosen  # the selection follows her to her new place


def test_selecting_a_patient_enables_check_medication_and_refresh_keeps_her(window, qtbot):
    window.caseload_view.selectRow(3)
    chosen = window.selected_patient()
    assert chosen is not None and window.check_action.isEnabled()
    with qtbot.waitSignal(window.refreshed, timeout=20_000):
        window.refresh()
    assert window.selected_patient() == chosen



def test_an_empty_window_shows_every_line_first_and_her_status_when_worked_out(demo_clinic, qtbot, monkeypatch):
    import ui.main_window as main_window

    seen = []
    real_load = main_window.load_lists

    def slow_load(on):  # records how many times lines were shown before the full read began
        seen.append(len(shown))
        return real_load(on)

    monkeypatch.setattr(main_window, "load_lists", slow_load)
    win = MainWindow(demo_clinic.nurse, parse_database_url(demo_clinic.url).describe())
    qtbot.addWidget(win)
    win.show()
    shown = []
    labels = []
    win.caseload_shown.connect(lambda: shown.append([r.worked_out for r in win.caseload_model.rows()]))
    win.caseload_shown.connect(lambda: labels.append(win.quick_filter_buttons["decision_due"].text()))
    with qtbot.waitSignal(win.refreshed, timeout=20_000):
        win.refresh()
        win.refresh()  # a second refresh before the first lines: it replaces the full read waiting behind them
    # one full read, begun after the first lines were shown (it would share the processor with their painting)
    assert len(shown) == 2 and seen == [1]
    first, worked_out = shown
    assert len(first) == len(worked_out) == services.patient_count() and not any(first) and all(worked_out)
    # a first line says its status is being worked out; the worked-out line has words
    win.caseload_model.set_rows([row(worked_out=False, flags=(), lowest_z=None, lactation="")])
    for column in (CaseloadTableModel.COL_FLAGS, CaseloadTableModel.COL_LOWEST_Z, CaseloadTableModel.COL_LACTATION):
        index = win.caseload_model.index(0, column)
        assert index.data() == "\u2026" and "worked out" in index.data(Qt.ItemDataRole.ToolTipRole)
    assert win.caseload_model.index(0, CaseloadTableModel.COL_NAME).data() == "SMITH, Amy"
    assert labels[0] == "Decision due (\u2026)" and "\u2026" not in labels[1]  # no count before it is known
    win.close()


def test_the_first_lines_read_beside_the_check_are_shown_without_reading_them_again(demo_clinic, qtbot, monkeypatch):
    from pao_clinic.services import first_lines
    from pao_clinic.services.caseload import caseload_first_rows
    from pao_clinic.services.first_lines import start_first_lines
    from pao_clinic.storage.file_check import start_quick_check

    read_again = []
    monkeypatch.setattr(first_lines, "caseload_first_rows", lambda on: read_again.append(on) or caseload_first_rows(on))
    today = date.today()
    for early_day, reads in ((today, []), (today - timedelta(days=1), [today])):  # read yesterday: read again today
        early = start_first_lines(start_quick_check(demo_clinic.url), early_day)
        win = MainWindow(demo_clinic.nurse, parse_database_url(demo_clinic.url).describe(), first_lines=early)
        qtbot.addWidget(win)
        win.show()
        shown = []
        win.caseload_shown.connect(lambda: shown.append(win.caseload_model.rows()))
        with qtbot.waitSignal(win.refreshed, timeout=20_000):
            win.refresh()
        assert read_again == reads
        assert sorted(shown[0], key=lambda r: r.patient_id) == caseload_first_rows(today)
        read_again.clear()
        win.close()


def test_typing_in_the_filter_keeps_her_selected_while_she_is_shown(window, qtbot):
    window.caseload_view.selectRow(5)
    chosen = window.selected_patient()
    qtbot.keyClicks(window.filter_edit, chosen.family_name[:3])
    assert window.selected_patient() == chosen
    window.filter_edit.setText("no such woman at all")
    assert window.caseload_proxy.rowCount() == 0 and window.selected_patient() is None
    window.filter_edit.clear()
    assert window.caseload_proxy.rowCount() == services.patient_count()


def test_typing_on_narrows_the_lines_shown_as_typing_afresh_does():
    rows = [row(patient_id=i, family_name=name, given_name="Amy", nhs_number="", hospital_number=f"H{i}")
            for i, name in enumerate(["Morris", "Morrison", "Moss", "Amorr", "Norris", "Mörris"])]
    model = CaseloadTableModel()
    model.set_rows(rows)
    typed, fresh = CaseloadFilterProxy(), CaseloadFilterProxy()
    typed.setSourceModel(model)
    fresh.setSourceModel(model)
    for text in ("m", "mo", "mor", "morr", "morr amy", "morri", "mo", "norris", ""):
        typed.set_search_text(text)
        fresh.set_search_text("")
        fresh.set_search_text(text)
        names = [typed.index(r, 0).data(ROW_ROLE).family_name for r in range(typed.rowCount())]
        assert names == [fresh.index(r, 0).data(ROW_ROLE).family_name for r in range(fresh.rowCount())], text
    typed.set_search_text("morr")
    assert [typed.index(r, 0).data(ROW_ROLE).family_name for r in range(typed.rowCount())] == [
        "Morris", "Morrison", "Amorr", "Mörris"]


def test_the_filter_gives_each_cell_every_role_as_the_source_row_has_it(flagged_window, qtbot):
    qtbot.keyClicks(flagged_window.filter_edit, "a")
    proxy, model = flagged_window.caseload_proxy, flagged_window.caseload_model
    assert 0 < proxy.rowCount() < model.rowCount()
    roles = [Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.ToolTipRole, Qt.ItemDataRole.TextAlignmentRole,
             Qt.ItemDataRole.ForegroundRole, Qt.ItemDataRole.AccessibleDescriptionRole, Qt.ItemDataRole.FontRole,
             ROW_ROLE, SORT_ROLE]
    for r in range(proxy.rowCount()):
        for c in range(proxy.columnCount()):
            shown, source = proxy.index(r, c), proxy.mapToSource(proxy.index(r, c))
            assert [shown.data(role) for role in roles] == [source.data(role) for role in roles]
    assert proxy.index(proxy.rowCount(), 0).data() is None  # past the last line shown


def test_a_refresh_that_fails_says_why_and_the_window_keeps_working(window, qtbot, monkeypatch):
    def broken(on=None):
        raise StorageError("cannot reach the database server")

    monkeypatch.setattr(services, "caseload_overview", broken)
    with qtbot.waitSignal(window.refresh_failed, timeout=20_000) as failed:
        window.refresh()
    assert "cannot reach the database server" in failed.args[0]
    assert window.caseload_proxy.rowCount() == 50  # the last good list stays
    assert window.refresh_action.isEnabled()


# --- the model and the filter, without a database -------------------------------------------

def test_the_caseload_model_passes_the_model_tester(qtmodeltester):
    model = CaseloadTableModel()
    model.set_rows([row(patient_id=i, family_name=f"Name{i}", lowest_z=None if i % 3 else -1.5,
                        latest_delivery=None if i % 4 == 0 else date(2025, 1, i + 1)) for i in range(12)])
    qtmodeltester.check(model, force_py=True)
    qtmodeltester.check(model)
    proxy = CaseloadFilterProxy()
    proxy.setSourceModel(model)
    proxy.sort(CaseloadTableModel.COL_LOWEST_Z, Qt.SortOrder.DescendingOrder)
    proxy.set_search_text("name1")
    qtmodeltester.check(proxy, force_py=True)


def test_the_model_shows_words_and_gives_the_row_and_raw_values():
    model = CaseloadTableModel()
    item = row(lowest_z=-2.0, open_referrals=0, lactation="unknown")
    model.set_rows([item])
    index = model.index(0, CaseloadTableModel.COL_LACTATION)
    assert index.data() == "Unknown \u2014 ask"
    assert index.data(ROW_ROLE) is item
    assert model.index(0, CaseloadTableModel.COL_LOWEST_Z).data() == "-2.0"
    assert model.index(0, CaseloadTableModel.COL_LOWEST_Z).data(SORT_ROLE) == -2.0
    assert model.index(0, CaseloadTableModel.COL_LATEST_DELIVERY).data() == "02-Mar-2025"
    assert model.index(0, CaseloadTableModel.COL_NAME).data() == "SMITH, Amy"
    assert model.index(0, CaseloadTableModel.COL_BORN).data() == "14-Mar-1992"
    assert model.index(0, CaseloadTableModel.COL_BORN).data(SORT_ROLE) == date(1992, 3, 14)
    assert model.index(0, CaseloadTableModel.COL_FLAGS).data() == ""
    assert set(LACTATION_WORDS.values()) == {"Breastfeeding", "Ceased", "Unknown \u2014 ask", "Not breastfed",
                                             "No births"}


@pytest.mark.parametrize("typed, expected", [
    ("zoe", {"Zoë"}),
    ("ZOË", {"Zoë"}),
    ("lucja", {"Łucja"}),
    ("łucja", {"Łucja"}),
    ("siobhan", {"Siobhán"}),
    ("ni bhriain", {"Siobhán"}),
    ("bhriain siob", {"Siobhán"}),       # every word, in any order
    ("nguyen", {"Thảo"}),
    ("ødegaard", {"Søs"}),
    ("odegaard", {"Søs"}),
    ("943 476 5919", {"Zoë"}),
    ("9434765919", {"Zoë"}),
    ("476 59", {"Zoë"}),
    ("pao000002", {"Łucja"}),
    ("", {"Zoë", "Łucja", "Siobhán", "Thảo", "Søs"}),
    ("nobody", set()),
])
def test_the_filter_ignores_case_accents_and_spaces(typed, expected):
    model = CaseloadTableModel()
    model.set_rows([
        row(patient_id=1, family_name="Brontë", given_name="Zoë"),
        row(patient_id=2, family_name="Wiśniewska", given_name="Łucja", nhs_number="", hospital_number="PAO000002"),
        row(patient_id=3, family_name="Ní Bhriain", given_name="Siobhán", nhs_number="999 000 0018"),
        row(patient_id=4, family_name="Nguyễn", given_name="Thảo", nhs_number="999 000 0026"),
        row(patient_id=5, family_name="Ødegaard", given_name="Søs", nhs_number="999 000 0034"),
    ])
    proxy = CaseloadFilterProxy()
    proxy.setSourceModel(model)
    proxy.set_search_text(typed)
    assert {proxy.index(r, 0).data(ROW_ROLE).given_name for r in range(proxy.rowCount())} == expected


def test_filtering_ten_thousand_rows():
    rows = [row(patient_id=i, family_name=f"Family{i:05d}", given_name=("Zoë" if i % 100 == 0 else "Amy"),
                nhs_number="", hospital_number=f"H{i:05d}") for i in range(10_000)]
    model = CaseloadTableModel()
    model.set_rows(rows)
    proxy = CaseloadFilterProxy()
    proxy.setSourceModel(model)
    proxy.sort(CaseloadTableModel.COL_NAME, Qt.SortOrder.AscendingOrder)
    for typed, count in (("z", 100), ("zo", 100), ("zoe", 100), ("zoe family00", 10), ("", 10_000)):
        proxy.set_search_text(typed)
        assert proxy.rowCount() == count


# --- starting the app ------------------------------------------------------------------------

def test_sign_in_stays_open_on_a_wrong_password_and_signs_in_on_the_right_one(demo_clinic, qtbot):
    from ui.app import SignInDialog

    dialog = SignInDialog("nina.nurse")
    qtbot.addWidget(dialog)
    dialog.show()
    qtbot.keyClicks(dialog.password_edit, "not the password")
    ok = dialog.findChild(QDialogButtonBox).button(QDialogButtonBox.StandardButton.Ok)
    qtbot.mouseClick(ok, Qt.MouseButton.LeftButton)
    assert dialog.isVisible() and dialog.actor is None
    assert "not recognised" in dialog.error_label.text()
    qtbot.keyClicks(dialog.password_edit, PASSWORD)
    with qtbot.waitSignal(dialog.accepted):
        qtbot.mouseClick(ok, Qt.MouseButton.LeftButton)
    assert dialog.actor.name == "nina.nurse"


def test_an_empty_database_gets_the_demo_caseload_and_the_demo_consultant(qapp, tmp_path, monkeypatch):
    from ui import app as desktop

    services.open_clinic_database(f"sqlite:///{tmp_path / 'empty.sqlite'}", create=True)  # as on a first run
    try:
        monkeypatch.setattr(desktop, "DEMO_PATIENTS", 6)
        actor = desktop.sign_in(desktop_args())
        assert actor.display_name == "Dr Demo Consultant" and actor.role == "consultant"
        assert services.is_demo_database() and services.patient_count() == 6
        window = MainWindow(actor, "SQLite test", demo=True)
        assert window.windowTitle() == "PAO Clinic \u2014 DEMO caseload (signed in as Dr Demo Consultant)"
        window.close()
        window.deleteLater()
    finally:
        close_database()


def test_the_demo_database_signs_in_as_the_demo_consultant_again_without_asking(qapp, tmp_path, monkeypatch):
    from ui import app as desktop

    asked = []
    monkeypatch.setattr(desktop.SignInDialog, "ask", classmethod(lambda cls, name="", parent=None: asked.append(name)))
    monkeypatch.setattr(desktop, "DEMO_PATIENTS", 3)
    services.open_clinic_database(f"sqlite:///{tmp_path / 'demo.sqlite'}", create=True)  # as on a first run
    try:
        first = desktop.sign_in(desktop_args())  # first run: loads the demo
        second = desktop.sign_in(desktop_args())  # the next `make run`
        assert first == second and second.name == "demo.consultant"
        assert asked == [] and services.patient_count() == 3
    finally:
        close_database()


def test_a_database_with_users_asks_who_signs_in(demo_clinic, monkeypatch):
    from ui import app as desktop

    asked = []
    monkeypatch.setattr(desktop.SignInDialog, "ask",
                        classmethod(lambda cls, name="", parent=None: asked.append(name) or demo_clinic.consultant))
    args = desktop_args(user="dr.chen")
    assert desktop.sign_in(args) == demo_clinic.consultant
    assert asked == ["dr.chen"]


def test_an_unexpected_error_is_logged_and_shown_as_an_apology(qapp, qtbot):
    from pao_clinic.environment import log_file
    from ui.app import ErrorPresenter

    presenter = ErrorPresenter()
    try:
        raise RuntimeError("a bug in the test")
    except RuntimeError as exc:
        presenter(type(exc), exc, exc.__traceback__)
    assert "RuntimeError: a bug in the test" in log_file().read_text(encoding="utf-8")
    boxes = [w for w in QApplication.topLevelWidgets() if isinstance(w, QMessageBox) and w.isVisible()]
    assert boxes and "Sorry" in boxes[-1].text()
    for box in boxes:
        box.close()
    QApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)


def desktop_args(**values):
    import argparse

    return argparse.Namespace(**values)


# --- status badges and quick filters, on women built for each flag ----------------------------

from PySide6.QtCore import QSettings  # noqa: E402

from pao_clinic.services.caseload import (  # noqa: E402
    FLAG_BREASTFEEDING, FLAG_DECISION_DUE, FLAG_REFERRAL_OVERDUE, CaseloadFlag,
)
from ui.caseload_model import QUICK_FILTERS, badge_layout, flags_text  # noqa: E402

from .gate_builders import D  # noqa: E402
from .test_caseload import EXPECTED_FLAGS, flagged_patients  # noqa: E402


@pytest.fixture
def flagged_window(qtbot, qapp, sqlite_clinic):
    """The main window on one woman for each flag, its clock stopped on D."""
    from pao_clinic.storage.location import parse_database_url

    qapp.setOrganizationName("PAO Clinic tests")
    QSettings().remove("main_window")  # as on a first run
    services.import_records(sqlite_clinic.nurse, list(flagged_patients(D).values()))
    win = MainWindow(sqlite_clinic.nurse, parse_database_url(sqlite_clinic.url).describe(), today=lambda: D)
    win.show()
    with qtbot.waitSignal(win.refreshed, timeout=20_000):
        win.refresh()
    yield win
    win.close()
    win.deleteLater()
    QApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)


def by_case(win: MainWindow) -> dict[str, CaseloadRow]:
    rows = {r.hospital_number: r for r in win.caseload_model.rows()}
    return {case: rows[p.hospital_number] for case, p in flagged_patients(D).items()}


def cell(win: MainWindow, patient: CaseloadRow, column: int):
    model = win.caseload_model
    (source_row,) = [i for i, r in enumerate(model.rows()) if r == patient]
    return model.index(source_row, column)


def test_each_flag_shows_as_a_badge_with_its_words(flagged_window):
    rows = by_case(flagged_window)
    assert {case: {f.kind for f in r.flags} for case, r in rows.items()} == EXPECTED_FLAGS
    words = {"breastfeeding": "Blocked: breastfeeding", "pregnant": "Blocked: pregnant",
             "decision_due": "Decision due", "repeat_fracture": "Repeat fracture (urgent)",
             "referral_overdue": "Referral overdue", "mood": "Mood: EPDS 15, self-harm (urgent)"}
    for case, text in words.items():
        index = cell(flagged_window, rows[case], CaseloadTableModel.COL_FLAGS)
        assert index.data() == text
        assert rows[case].flags[0].detail in index.data(Qt.ItemDataRole.ToolTipRole)
    nothing = cell(flagged_window, rows["nothing"], CaseloadTableModel.COL_FLAGS)
    assert nothing.data() == "" and nothing.data(Qt.ItemDataRole.ToolTipRole) == "No status flags today"
    # the table draws them (the flags column has the badge delegate) and the picture is not blank
    view = flagged_window.caseload_view
    assert view.itemDelegateForColumn(CaseloadTableModel.COL_FLAGS) is flagged_window.flag_delegate
    image = view.viewport().grab().toImage()
    assert not image.isNull() and len({image.pixel(x, y) for x in range(0, image.width(), 7)
                                       for y in range(0, image.height(), 7)}) > 3


def test_names_as_banners_write_them_and_the_date_of_birth_column(flagged_window):
    rows = by_case(flagged_window)
    patients = flagged_patients(D)
    assert cell(flagged_window, rows["breastfeeding"], CaseloadTableModel.COL_NAME).data() == "ÅBERG, Nicola"
    assert cell(flagged_window, rows["pregnant"], CaseloadTableModel.COL_NAME).data() == "WIŚNIEWSKA-O'BRIEN, Łucja"
    for case, row in rows.items():
        born = cell(flagged_window, row, CaseloadTableModel.COL_BORN)
        assert born.data() == patients[case].date_of_birth.strftime("%d-%b-%Y")
    header = flagged_window.caseload_view.horizontalHeader()
    assert flagged_window.caseload_proxy.headerData(CaseloadTableModel.COL_BORN, Qt.Orientation.Horizontal) == "Born"
    assert not header.isSectionHidden(CaseloadTableModel.COL_BORN) and header.sectionSize(CaseloadTableModel.COL_BORN) > 40


def test_each_quick_filter_narrows_to_exactly_the_rows_it_names(flagged_window, qtbot):
    win = flagged_window
    rows = win.caseload_model.rows()
    urgent_patients = {t.patient for t in win.worklist_model.rows() if t.priority == "urgent"}
    expected = {  # worked out from the rows themselves (and the worklist beside them)
        "decision_due": {r.patient_id for r in rows if FLAG_DECISION_DUE in {f.kind for f in r.flags}},
        "breastfeeding": {r.patient_id for r in rows if r.lactation == "breastfeeding"},
        "referral_overdue": {r.patient_id for r in rows if FLAG_REFERRAL_OVERDUE in {f.kind for f in r.flags}},
        "urgent": {r.patient_id for r in rows if (r.nhs_number or r.hospital_number).replace(" ", "") in urgent_patients},
    }
    assert set(expected) == {spec.key for spec in QUICK_FILTERS}
    for spec in QUICK_FILTERS:
        button = win.quick_filter_buttons[spec.key]
        assert 0 < len(expected[spec.key]) < len(rows)
        assert button.text() == f"{spec.label} ({len(expected[spec.key])})" and button.accessibleName()
        qtbot.mouseClick(button, Qt.MouseButton.LeftButton)
        assert button.isChecked() and button.text().startswith("\u2713 ")  # on: a tick, not only a look
        assert {r.patient_id for r in shown_rows(win)} == expected[spec.key]
        assert win.count_label.text() == f"{len(expected[spec.key])} of {len(rows)} patients"
        qtbot.mouseClick(button, Qt.MouseButton.LeftButton)
        assert win.caseload_proxy.rowCount() == len(rows)
    # two at once keep what both keep, and the search narrows further
    win.set_quick_filter("breastfeeding")
    win.set_quick_filter("urgent")
    assert {r.patient_id for r in shown_rows(win)} == expected["breastfeeding"] & expected["urgent"]
    win.set_quick_filter("urgent", False)
    qtbot.keyClicks(win.filter_edit, "aberg")
    assert [r.family_name for r in shown_rows(win)] == ["Åberg"]
    win.set_quick_filter("breastfeeding", False)


@pytest.mark.parametrize("typed, family", [
    ("943 476 5919", "Åberg"), ("9434765919", "Åberg"), ("943 4765 927", "Wiśniewska-O'Brien"),
    ("HX0005", "Nguyễn"), ("hx0006", "Ødegaard"), ("ABERG", "Åberg"), ("wisniewska-o'brien", "Wiśniewska-O'Brien"),
])
def test_searching_by_nhs_number_hospital_number_or_name(flagged_window, qtbot, typed, family):
    qtbot.keyClicks(flagged_window.filter_edit, typed)
    assert [r.family_name for r in shown_rows(flagged_window)] == [family]


def test_the_flagged_caseload_and_its_quick_filters_pass_the_model_tester(flagged_window, qtmodeltester):
    proxy = CaseloadFilterProxy()
    proxy.setSourceModel(flagged_window.caseload_model)
    proxy.set_quick_filters(["breastfeeding"])
    qtmodeltester.check(proxy, force_py=True)
    proxy.set_quick_filters(["decision_due", "urgent"])
    qtmodeltester.check(proxy, force_py=True)
    with pytest.raises(KeyError, match="not quick filters"):
        proxy.set_quick_filters(["lunch"])


def test_flags_text_and_sorting_by_status():
    model = CaseloadTableModel()
    two = (CaseloadFlag(FLAG_BREASTFEEDING, "Blocked: breastfeeding", "BF-1"),
           CaseloadFlag(FLAG_DECISION_DUE, "Decision due", "due", urgent=True))
    model.set_rows([row(patient_id=1), row(patient_id=2, flags=two), row(patient_id=3, flags=two[:1])])
    assert flags_text(two) == "Blocked: breastfeeding \u00b7 Decision due (urgent)"
    model.sort(CaseloadTableModel.COL_FLAGS, Qt.SortOrder.DescendingOrder)
    assert [r.patient_id for r in model.rows()] == [2, 3, 1]  # most flags first, none last
    model.sort(CaseloadTableModel.COL_FLAGS, Qt.SortOrder.AscendingOrder)
    assert [r.patient_id for r in model.rows()] == [3, 2, 1]


@pytest.mark.parametrize("widths, available, placed, left_over", [
    ([50, 60], 200, [0, 54], 0),          # both fit, 4 px apart
    ([50, 60], 114, [0, 54], 0),          # the last one fits exactly: no "+N"
    ([50, 60, 70], 140, [0], 2),          # room kept for "+2" after the first
    ([50, 60, 70], 150, [0, 54], 1),      # two, and "+1" in the 30 px kept for it
    ([120], 100, [], 1),                  # not even one: "+1"
    ([], 100, [], 0),
])
def test_badges_are_laid_out_left_to_right_with_a_count_for_the_rest(widths, available, placed, left_over):
    assert badge_layout(widths, available, gap=4, more_width=30) == (placed, left_over)


@pytest.mark.parametrize("family, given, hospital", [
    ("Brontë", "Zoë", "PAO000001"), ("Wiśniewska-O'Brien", "Łucja", "pao-Ø2"), ("Nguyễn", "Thảo", ""),
    ("STRAẞE", "Æsa", "H1"), ("Smith", "Amy", "PAO000009"),
])
def test_a_search_key_folded_by_parts_is_the_fold_of_the_whole(family, given, hospital):
    from ui.caseload_model import caseload_name_key, caseload_search_key

    item = row(family_name=family, given_name=given, hospital_number=hospital)
    whole = "\n".join((f"{family}, {given}", f"{given} {family}", item.nhs_number.replace(" ", ""), hospital))
    assert caseload_search_key(item) == search_fold(whole)
    assert caseload_name_key(item) == search_fold(f"{family}\t{given}")
