"""The treatment timeline in the window: its scale, zoom and pan, hover, click, PNG and print (real widgets)."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from PySide6.QtCore import QPoint, QPointF, QSize, Qt
from PySide6.QtGui import QImage, QWheelEvent
from PySide6.QtPrintSupport import QPrinter
from PySide6.QtWidgets import QApplication

from pao_clinic import services
from pao_clinic.record import Decision, Referral
from pao_clinic.services.patient_view import patient_view
from pao_clinic.timeline import patient_timeline
from ui.timeline_section import TimelineSection
from ui.timeline_view import (
    LABEL_WIDTH, ZOOM_STEP, TimelineView, TimeScale, date_ticks, pack_rows,
)

from .gate_builders import birth, breastfed, medication, scan, treatable_record, vertebral

pytestmark = [
    pytest.mark.qt_log_level_fail("WARNING"),
    pytest.mark.qt_log_ignore("does not support propagateSizeHints", "does not support raise"),
]

TODAY = date(2026, 4, 15)
DELIVERED = TODAY - timedelta(days=200)


def days(n: int) -> timedelta:
    return timedelta(days=n)


def her_record(**overrides):
    values = dict(
        pregnancies=(birth("b1", DELIVERED),),
        breastfeeding=(breastfed("b1", DELIVERED, planned_stop_on=TODAY + days(40)),),
        fractures=(vertebral("l1", 2, DELIVERED + days(21)), vertebral("l3", 3, TODAY - days(30))),
        dexa=(scan("lumbar_spine", DELIVERED + days(60), z=-2.9), scan("total_hip", DELIVERED + days(60), z=-1.6)),
        medications=(medication("teriparatide", TODAY - days(99)),),
        referrals=(Referral(ref="r1", specialty="physiotherapy", urgency="routine", status="seen",
                            created_on=DELIVERED + days(30), sent_on=DELIVERED + days(32),
                            seen_on=DELIVERED + days(70), reason="back pain"),),
        decisions=(Decision(decided_on=TODAY - days(100), plan="start", by="Dr Chen", drug="teriparatide",
                            review_on=TODAY + days(265)),),
    )
    values.update(overrides)
    return treatable_record(TODAY, **values)


# --- pure drawing functions -------------------------------------------------------------------

@pytest.mark.parametrize("first_day, ppd, day, x", [
    (date(2026, 1, 1).toordinal(), 2.0, date(2026, 1, 1), LABEL_WIDTH),
    (date(2026, 1, 1).toordinal(), 2.0, date(2026, 1, 11), LABEL_WIDTH + 20),
    (date(2026, 1, 1).toordinal() + 0.5, 4.0, date(2025, 12, 31), LABEL_WIDTH - 6),
])
def test_date_to_x_and_back(first_day, ppd, day, x):
    scale = TimeScale(first_day, ppd)
    assert scale.x_of(day) == pytest.approx(x)
    assert scale.day_at(scale.x_of(day) + ppd / 2) == day


@pytest.mark.parametrize("factor", [ZOOM_STEP, 1 / ZOOM_STEP, 3.0, 0.2])
@pytest.mark.parametrize("anchor_x", [LABEL_WIDTH + 10.0, 500.0, 950.0])
def test_zoom_keeps_the_day_under_the_anchor(factor, anchor_x):
    scale = TimeScale(date(2025, 1, 1).toordinal(), 1.5)
    zoomed = scale.zoomed(factor, anchor_x)
    assert zoomed.px_per_day == pytest.approx(1.5 * factor)
    assert zoomed.ordinal_at(anchor_x) == pytest.approx(scale.ordinal_at(anchor_x))


def test_fit_shows_the_whole_span_inside_the_plot():
    first, last = date(2023, 5, 2), date(2026, 9, 30)
    scale = TimeScale.fit(first, last, 1200)
    assert LABEL_WIDTH < scale.x_of(first) < scale.x_of(last) < 1200 - 8
    shown_first, shown_last = scale.visible(1200)
    assert shown_first < first and last < shown_last


@pytest.mark.parametrize("ppd, first, last, labels", [
    (3.0, date(2025, 11, 20), date(2026, 3, 10), ["Dec 2025", "Jan 2026", "Feb", "Mar"]),
    (0.5, date(2025, 2, 10), date(2026, 2, 10), ["Apr 2025", "Jul", "Oct", "Jan 2026"]),
    (0.15, date(2019, 6, 1), date(2026, 2, 1), ["2020", "2021", "2022", "2023", "2024", "2025", "2026"]),
    (0.08, date(2019, 6, 1), date(2026, 2, 1), ["2020", "2022", "2024", "2026"]),
    (0.01, date(1990, 6, 1), date(2026, 2, 1), ["2000", "2010", "2020"]),
    (12.0, date(2026, 3, 2), date(2026, 3, 20), ["02 Mar", "09 Mar", "16 Mar"]),
])
def test_date_ticks_adapt_to_the_zoom(ppd, first, last, labels):
    ticks = date_ticks(first, last, ppd)
    assert [t.label for t in ticks] == labels
    assert all(first <= t.day <= last for t in ticks)
    assert [t.major for t in ticks] == [t.day.month == 1 and t.day.day <= 7 for t in ticks]


@pytest.mark.parametrize("spans, rows", [
    ([(0, 10), (20, 30), (5, 15), (12, 40), (41, 50)], [0, 0, 1, 2, 0]),
    ([(0, 100)] * 3, [0, 1, 2]),
    ([(0, 100)] * 4, [0, 1, 1, 1]),   # at most max_rows rows; the rest overlap in the last
])
def test_pack_rows(spans, rows):
    assert pack_rows(spans, max_rows=2 if len(spans) == 4 else 8) == rows


# --- the widget ----------------------------------------------------------------------------------

@pytest.fixture
def chart(qtbot):
    view = TimelineView()
    qtbot.addWidget(view)
    view.resize(1200, 520)
    view.show()
    qtbot.waitExposed(view)
    view.set_timeline(patient_timeline(her_record(), TODAY))
    return view


def test_fit_shows_her_whole_record_and_today(chart):
    first, last = chart.timeline.extent()
    shown_first, shown_last = chart.visible_days()
    assert shown_first <= first and last <= shown_last
    assert shown_first <= TODAY <= shown_last
    chart.zoom(4.0)
    assert chart.visible_days() != (shown_first, shown_last)
    chart.fit_to_record()
    assert chart.visible_days() == (shown_first, shown_last)


def test_keyboard_zooms_pans_and_fits(qtbot, chart):
    fitted = chart.scale
    qtbot.keyClick(chart, Qt.Key.Key_Plus)
    assert chart.scale.px_per_day == pytest.approx(fitted.px_per_day * ZOOM_STEP)
    middle = (chart.scale.left + chart.width() - 8) / 2
    assert chart.scale.ordinal_at(middle) == pytest.approx(fitted.ordinal_at(middle))
    qtbot.keyClick(chart, Qt.Key.Key_Minus)
    qtbot.keyClick(chart, Qt.Key.Key_Minus)
    assert chart.scale.px_per_day == pytest.approx(fitted.px_per_day / ZOOM_STEP)
    first_before = chart.visible_days()[0]
    qtbot.keyClick(chart, Qt.Key.Key_Right)
    assert chart.visible_days()[0] > first_before       # later days come into view
    qtbot.keyClick(chart, Qt.Key.Key_Left)
    qtbot.keyClick(chart, Qt.Key.Key_Left)
    assert chart.visible_days()[0] < first_before
    qtbot.keyClick(chart, Qt.Key.Key_F)
    assert chart.scale == fitted


def test_ctrl_wheel_zooms_about_the_cursor_and_a_plain_wheel_is_left_to_the_page(chart):
    before = chart.scale
    pos = QPointF(700, 100)

    def wheel(modifiers):
        event = QWheelEvent(pos, chart.mapToGlobal(pos), QPoint(0, 0), QPoint(0, 120), Qt.MouseButton.NoButton,
                            modifiers, Qt.ScrollPhase.NoScrollPhase, False)
        QApplication.sendEvent(chart, event)
        return event

    plain = wheel(Qt.KeyboardModifier.NoModifier)
    assert not plain.isAccepted() and chart.scale == before
    wheel(Qt.KeyboardModifier.ControlModifier)
    assert chart.scale.px_per_day == pytest.approx(before.px_per_day * ZOOM_STEP)
    assert chart.scale.ordinal_at(700) == pytest.approx(before.ordinal_at(700))


def test_dragging_pans_the_chart(qtbot, chart):
    before = chart.visible_days()
    start = QPoint(600, chart.height() - 10)
    qtbot.mousePress(chart, Qt.MouseButton.LeftButton, pos=start)
    qtbot.mouseMove(chart, start + QPoint(150, 0))
    qtbot.mouseRelease(chart, Qt.MouseButton.LeftButton, pos=start + QPoint(150, 0))
    assert chart.visible_days()[0] < before[0]   # dragged right: earlier days shown


def _item(chart, lane, **wanted):
    return next(i for i in chart.timeline.in_lane(lane) if all(getattr(i, k) == v for k, v in wanted.items()))


def test_hovering_a_fracture_shows_its_date_and_weeks_postpartum(qtbot, chart):
    l1 = _item(chart, "Fractures", site="l1")
    point = chart.point_of(l1).toPoint()
    qtbot.mouseMove(chart, point)
    qtbot.waitUntil(lambda: chart.hovered is l1)
    tip = chart.toolTip()
    assert "L1 G2" in tip and "18-Oct-2025" in tip and "3 weeks postpartum" in tip


def test_hovering_a_bar_shows_its_span_with_weeks_postpartum(qtbot, chart):
    feeding = _item(chart, "Feeding")
    qtbot.mouseMove(chart, chart.point_of(feeding).toPoint())
    qtbot.waitUntil(lambda: chart.hovered is feeding)
    assert "27-Sep-2025 to 25-May-2026 (planned)" in chart.toolTip()
    assert "0 weeks postpartum to 34 weeks postpartum" in chart.toolTip()


def test_the_teriparatide_bar_says_anabolic_days_used(chart):
    course = _item(chart, "Medications", drug="teriparatide")
    assert "anabolic days used: 100 of 730" in course.label


# --- the section, on each backend ------------------------------------------------------------------

@pytest.fixture
def section(qtbot, clinic, qapp):
    qapp.setOrganizationName("PAO Clinic tests")
    (patient_id,) = services.import_records(clinic.nurse, [her_record(ref="p1")])
    page = TimelineSection()
    qtbot.addWidget(page)
    page.resize(1280, 720)
    page.show()
    qtbot.waitExposed(page)
    page.show_view(patient_view(patient_id, TODAY))
    return page


def test_clicking_an_entry_emits_its_record_type_and_id(qtbot, section):
    chart = section.chart
    view = section.view_shown
    cases = [
        (_item(chart, "Fractures", site="l3"), "fracture", next(f.id for f in view.fractures if f.site == "l3")),
        (_item(chart, "Decisions", event="decided"), "decision", view.decisions[0].id),
        (_item(chart, "Referrals", event="sent"), "referral", view.referrals[0].id),
        (_item(chart, "DEXA Z", site="total_hip"), "dexa_scan",
         next(s.id for s in view.dexa if s.site == "total_hip")),
    ]
    for item, record_type, record_id in cases:
        assert record_id is not None
        with qtbot.waitSignal(section.entry_activated, timeout=2_000) as activated:
            qtbot.mouseClick(chart, Qt.MouseButton.LeftButton, pos=chart.point_of(item).toPoint())
        assert activated.args == [record_type, record_id]


def test_clicking_empty_space_opens_nothing(qtbot, section):
    chart = section.chart
    with qtbot.assertNotEmitted(chart.item_activated):
        qtbot.mouseClick(chart, Qt.MouseButton.LeftButton, pos=QPoint(20, chart.height() - 3))


def test_a_refresh_of_the_same_woman_keeps_the_days_in_view(section):
    section.chart.zoom(3.0)
    zoomed = section.chart.visible_days()
    section.show_view(section.view_shown)
    assert section.chart.visible_days() == zoomed
    section.fit_button.click()
    assert section.chart.visible_days() != zoomed


def test_save_png_writes_a_non_blank_image_of_the_size_asked(section, tmp_path):
    path = tmp_path / "timeline.png"
    assert section.save_png(str(path), QSize(1400, 640))
    image = QImage(str(path))
    assert (image.width(), image.height()) == (1400, 640)
    dark = sum(1 for x in range(0, 1400, 4) for y in range(0, 640, 4) if image.pixelColor(x, y).lightness() < 128)
    assert dark > 200   # text, markers and lines in black on white


def test_the_save_button_asks_for_a_path_and_saves_there(section, tmp_path, monkeypatch):
    target = tmp_path / "chosen"
    asked = []
    monkeypatch.setattr(TimelineSection, "ask_png_path",
                        classmethod(lambda cls, parent, suggested: asked.append(suggested) or str(target)))
    section.save_button.click()
    assert asked == ["timeline-9434765919-2026-04-15.png"]
    assert (tmp_path / "chosen.png").stat().st_size > 0


def test_printing_to_pdf_writes_a_page(section, tmp_path):
    pdf = tmp_path / "timeline.pdf"
    printer = QPrinter(QPrinter.PrinterMode.HighResolution)
    printer.setOutputFormat(QPrinter.OutputFormat.PdfFormat)
    printer.setOutputFileName(str(pdf))
    assert section.print_to(printer)
    data = pdf.read_bytes()
    assert data.startswith(b"%PDF") and len(data) > 5_000
    from pypdf import PdfReader
    reader = PdfReader(str(pdf))
    assert len(reader.pages) == 1
    text = " ".join(reader.pages[0].extract_text().split())   # Qt's PDF spaces words with tabs
    assert "Treatment timeline: OKAFOR, Amara, born 14-Mar-1992, NHS 943 476 5919" in text
    assert "anabolic days used: 100 of 730" in text and "Today 15-Apr-2026" in text


def test_the_print_button_prints_only_when_the_dialog_is_accepted(section, monkeypatch):
    printed = []
    monkeypatch.setattr(TimelineSection, "print_to", lambda self, printer: printed.append(printer) or True)
    monkeypatch.setattr(TimelineSection, "print_dialog", classmethod(lambda cls, printer, parent: False))
    section.print_button.click()
    assert printed == []
    monkeypatch.setattr(TimelineSection, "print_dialog", classmethod(lambda cls, printer, parent: True))
    section.print_button.click()
    assert len(printed) == 1


def test_the_toolbar_buttons_zoom_and_have_accessible_names(section):
    chart = section.chart
    ppd = chart.scale.px_per_day
    section.zoom_in_button.click()
    assert chart.scale.px_per_day == pytest.approx(ppd * ZOOM_STEP)
    section.zoom_out_button.click()
    assert chart.scale.px_per_day == pytest.approx(ppd)
    names = [b.accessibleName() for b in (section.zoom_in_button, section.zoom_out_button, section.fit_button,
                                          section.save_button, section.print_button)]
    assert names == ["Zoom in", "Zoom out", "Fit", "Save as PNG", "Print"]
