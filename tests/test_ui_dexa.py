"""The DEXA section: the chart's scales and points (pure), and the section on real widgets.

Patients are imported through the services on both backends and read as of a fixed
day, TODAY; every other date is worked out from it.
"""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from hypothesis import given, strategies as st
from PySide6.QtCore import QEvent, QPoint, Qt
from PySide6.QtGui import QColor, QHelpEvent
from PySide6.QtWidgets import QApplication, QToolTip

from pao_clinic import services
from pao_clinic.gate import BELOW_EXPECTED_RANGE
from pao_clinic.services.patient_view import patient_view
from ui.caseload_model import RowSortProxy
from ui.dexa_chart import (
    MINUS, NO_DEXA, SITE_STYLES, DateScale, DexaChart, ZScale, breastfeeding_days, chart_layout, chart_points,
    chart_series, date_range, date_ticks, label_place, line_samples, low_line_label_box, low_z_label, signed, z_range,
    z_ticks,
)
from ui.dexa_section import READING_NOTE, DexaSection, DexaTableModel, dexa_rows, interpretation_text
from ui.patient_record import RecordSection

from .gate_builders import birth, breastfed, scan, treatable_record

pytestmark = [
    pytest.mark.qt_log_level_fail("WARNING"),
    pytest.mark.qt_log_ignore("does not support propagateSizeHints"),
]

TODAY = date(2026, 4, 15)


def days(n: int) -> timedelta:
    return timedelta(days=n)


DELIVERED = TODAY - days(500)
FIRST_SCAN = TODAY - days(400)     # 100 days after the birth, while breastfeeding (stopped at TODAY - 300)
SECOND_SCAN = TODAY - days(200)
THIRD_SCAN = TODAY - days(20)


def followed_record(**overrides):
    """Three lumbar spine scans: +1.25 % (within the 5.3 % LSC), then +6.17 % (beyond it); a hip scan at the first."""
    values = dict(
        pregnancies=(birth("b1", DELIVERED),),
        breastfeeding=(breastfed("b1", DELIVERED, stopped_on=TODAY - days(300)),),
        dexa=(scan("lumbar_spine", FIRST_SCAN, z=-2.6, t=-2.9, bmd=0.800),
              scan("total_hip", FIRST_SCAN, z=-1.4, t=-1.6, bmd=0.780),
              scan("lumbar_spine", SECOND_SCAN, z=-2.5, t=-2.8, bmd=0.810),
              scan("lumbar_spine", THIRD_SCAN, z=-1.9, t=-2.2, bmd=0.860)),
    )
    values.update(overrides)
    return treatable_record(TODAY, **values)


def imported(clinic, record) -> int:
    (patient_id,) = services.import_records(clinic.nurse, [record])
    return patient_id


@pytest.fixture
def followed_view(clinic):
    return patient_view(imported(clinic, followed_record()), TODAY)


# --- words and scales (pure) --------------------------------------------------------------

@pytest.mark.parametrize("value, shown", [(-2.0, f"{MINUS}2.0"), (-2.45, f"{MINUS}2.45"), (0.0, "0.0"),
                                          (1.0, "+1.0"), (-0.001, "0.0")])
def test_scores_are_written_with_a_true_minus_sign(value, shown):
    assert signed(value) == shown


def test_the_low_line_says_what_it_means():
    assert low_z_label(-2.0) == f"Z {MINUS}2.0: below the expected range for age"
    assert low_z_label(-2.5) == f"Z {MINUS}2.5: below the expected range for age"


@pytest.mark.parametrize("scores, low_z, expected", [
    ([-2.6, -1.4], -2.0, (-3.5, 0.5)),
    ([-1.0], -2.0, (-2.5, 0.5)),          # the low line is on the axis even when every score is above it
    ([0.7, 1.2], -2.0, (-2.5, 2.0)),      # and zero
    ([-4.2], -2.5, (-5.0, 0.5)),
])
def test_the_z_axis_holds_every_score_zero_and_the_low_line(scores, low_z, expected):
    assert z_range(scores, low_z) == expected


@given(st.lists(st.floats(min_value=-6, max_value=4, allow_nan=False), min_size=1, max_size=12))
def test_the_z_axis_always_leaves_room_around_the_scores(scores):
    low, high = z_range(scores, -2.0)
    assert low <= min(scores + [-2.0]) - 0.5 < low + 0.5
    assert high - 0.5 < max(scores + [0.0]) + 0.5 <= high
    ticks = z_ticks(low, high)
    assert ticks[0] >= low and ticks[-1] <= high
    assert -2.0 in ticks and 0.0 in ticks


def test_z_ticks_are_half_units_on_a_short_axis_and_whole_units_on_a_long_one():
    assert z_ticks(-3.5, 0.5) == (-3.5, -3.0, -2.5, -2.0, -1.5, -1.0, -0.5, 0.0, 0.5)
    assert z_ticks(-5.5, 1.0) == (-5.0, -4.0, -3.0, -2.0, -1.0, 0.0, 1.0)


def test_the_date_axis_pads_either_side_and_gives_a_lone_scan_two_months_each_way():
    assert date_range([TODAY]) == (TODAY - days(61), TODAY + days(61))
    first, last = date_range([TODAY - days(400), TODAY])
    assert first == TODAY - days(420) and last == TODAY + days(20)
    first, last = date_range([TODAY - days(10), TODAY])
    assert first == TODAY - days(24) and last == TODAY + days(14)


def test_date_ticks_fall_on_evenly_stepped_month_starts():
    assert date_ticks(date(2025, 1, 10), date(2025, 7, 20), 12) == (
        date(2025, 2, 1), date(2025, 3, 1), date(2025, 4, 1), date(2025, 5, 1), date(2025, 6, 1), date(2025, 7, 1))
    assert date_ticks(date(2025, 1, 1), date(2025, 12, 31), 4) == (
        date(2025, 1, 1), date(2025, 4, 1), date(2025, 7, 1), date(2025, 10, 1))
    assert date_ticks(date(2019, 3, 1), date(2026, 2, 1), 8) == tuple(date(y, 1, 1) for y in range(2020, 2027))


@given(st.dates(min_value=date(2000, 1, 1), max_value=date(2040, 1, 1)),
       st.integers(min_value=1, max_value=4000), st.integers(min_value=2, max_value=14))
def test_date_ticks_are_inside_the_axis_in_order_and_never_too_many(first, span, most):
    last = first + days(span)
    ticks = date_ticks(first, last, most)
    assert len(ticks) <= most
    assert all(first <= t <= last and t.day == 1 for t in ticks)
    assert list(ticks) == sorted(set(ticks))


def test_the_scales_map_the_axis_ends_to_the_plot_edges():
    dates = DateScale(TODAY - days(100), TODAY, 50.0, 450.0)
    assert dates.x(TODAY - days(100)) == 50.0 and dates.x(TODAY) == 450.0
    assert dates.x(TODAY - days(50)) == 250.0
    z = ZScale(-4.0, 1.0, 10.0, 210.0)
    assert z.y(1.0) == 10.0 and z.y(-4.0) == 210.0
    assert z.y(-2.0) == pytest.approx(130.0)   # higher scores are drawn higher


def test_a_label_goes_where_it_hides_no_other_mark():
    bounds = (0.0, 0.0, 400.0, 300.0)
    above = label_place(200, 150, 40, 12, [(200, 150)], [], bounds)
    assert above[1] + above[3] < 150                          # nothing in the way: above the point
    blocked = label_place(200, 150, 40, 12, [(200, 150), (200, 130)], [], bounds)
    assert not (blocked[1] < 130 < blocked[1] + blocked[3] and blocked[0] < 200 < blocked[0] + blocked[2])
    at_the_top = label_place(200, 5, 40, 12, [(200, 5)], [], bounds)
    assert at_the_top[1] >= 0                                  # kept inside the plot


def test_every_site_is_told_apart_by_marker_and_line_as_well_as_colour():
    assert len({s.marker for s in SITE_STYLES.values()}) == len(SITE_STYLES)
    assert len({s.line for s in SITE_STYLES.values()}) == len(SITE_STYLES)
    greys = [QColor(s.colour).lightness() for s in SITE_STYLES.values()]
    assert max(greys) < 140   # every line dark enough to read on white paper


# --- the points, from the gate's reading ---------------------------------------------------------

def test_a_follow_up_scan_whose_change_exceeds_the_lsc_is_marked(followed_view):
    series = dict(chart_series(chart_points(followed_view)))
    spine = series["lumbar_spine"]
    assert [p.scanned_on for p in spine] == [FIRST_SCAN, SECOND_SCAN, THIRD_SCAN]
    assert [p.beyond_lsc for p in spine] == [False, False, True]
    assert [p.beyond_lsc for p in series["total_hip"]] == [False]
    assert "beyond the least significant change of 5.3 %" in spine[2].tooltip()
    assert "within the least significant change of 5.3 %" in spine[1].tooltip()


def test_a_scan_while_breastfeeding_is_marked_with_weeks_postpartum(followed_view):
    points = chart_points(followed_view)
    assert breastfeeding_days(points) == (FIRST_SCAN,)
    first = [p for p in points if p.scanned_on == FIRST_SCAN]
    assert {p.site for p in first} == {"lumbar_spine", "total_hip"}
    assert all(p.while_breastfeeding and p.weeks_postpartum == 14 for p in first)   # 100 days after the birth
    later = [p for p in points if p.scanned_on != FIRST_SCAN]
    assert not any(p.while_breastfeeding for p in later)
    tip = first[0].tooltip()
    assert "Scanned while breastfeeding" in tip and "14 weeks postpartum" in tip


def test_a_point_tooltip_gives_date_site_z_t_for_reference_and_the_change(followed_view):
    third = [p for p in chart_points(followed_view) if p.scanned_on == THIRD_SCAN][0]
    tip = third.tooltip().split("\n")
    assert tip[0] == f"Lumbar spine, {THIRD_SCAN:%d-%b-%Y}"
    assert tip[1] == f"Z-score {MINUS}1.9: within the expected range for age"
    assert tip[2] == f"T-score {MINUS}2.2 (for reference)"
    assert tip[4].startswith("Change vs LSC: BMD up 6.17 %")


def test_the_low_line_and_the_points_sit_where_their_z_scores_say(followed_view):
    points = chart_points(followed_view)
    layout = chart_layout(points, 900, 340, followed_view.settings.low_z_score)
    left, top, right, bottom = layout.plot
    assert (layout.z.low, layout.z.high) == (-3.5, 0.5)
    assert layout.low_z_y == pytest.approx(bottom - (-2.0 + 3.5) / 4.0 * (bottom - top))
    for point in points:
        x, y = layout.position(point)
        assert left < x < right and top < y < bottom
        assert (y < layout.low_z_y) == (point.z_score > -2.0)
    spine = dict(chart_series(points))["lumbar_spine"]
    xs = [layout.position(p)[0] for p in spine]
    assert xs == sorted(xs)


def test_the_low_line_words_sit_on_the_line_clear_of_every_point_and_line(followed_view):
    points = chart_points(followed_view)
    layout = chart_layout(points, 900, 340, -2.0)
    left, top, width, height = low_line_label_box(layout, points, 220, 14)
    assert top == pytest.approx(layout.low_z_y + 3) or top + height == pytest.approx(layout.low_z_y - 3)
    assert layout.plot[0] <= left and left + width <= layout.plot[2]
    for x, y in [layout.position(p) for p in points] + line_samples(layout, points):
        assert not (left - 4 < x < left + width + 4 and top - 4 < y < top + height + 4)


def test_scans_without_a_z_score_are_not_points(clinic):
    view = patient_view(imported(clinic, followed_record(dexa=(
        scan("lumbar_spine", FIRST_SCAN, t=-2.9, bmd=0.8), scan("total_hip", FIRST_SCAN, z=-1.4, bmd=0.78)))), TODAY)
    assert [p.site for p in chart_points(view)] == ["total_hip"]
    assert chart_layout((), 900, 340) is None


# --- the table ---------------------------------------------------------------------------

def test_the_table_puts_the_z_score_before_the_t_score_for_reference():
    headers = [h.replace("\n", " ") for h in DexaTableModel.HEADERS]
    z, t = headers.index("Z-score"), headers.index("T-score (for reference)")
    assert z < t
    assert headers[:2] == ["Date", "Site"]
    assert "BMD (g/cm\u00b2)" in headers


def test_the_table_says_beyond_lsc_and_while_breastfeeding_in_words(qtbot, followed_view):
    section = DexaSection()
    qtbot.addWidget(section)
    section.show_view(followed_view)
    proxy = section.proxy
    rows = [[proxy.index(r, c).data() for c in range(proxy.columnCount())] for r in range(proxy.rowCount())]
    M = DexaTableModel
    assert [(r[M.COL_DATE], r[M.COL_SITE]) for r in rows] == [
        (f"{FIRST_SCAN:%d-%b-%Y}", "Lumbar spine"), (f"{FIRST_SCAN:%d-%b-%Y}", "Total hip"),
        (f"{SECOND_SCAN:%d-%b-%Y}", "Lumbar spine"), (f"{THIRD_SCAN:%d-%b-%Y}", "Lumbar spine")]
    assert [r[M.COL_Z] for r in rows] == [f"{MINUS}2.6", f"{MINUS}1.4", f"{MINUS}2.5", f"{MINUS}1.9"]
    assert [r[M.COL_T] for r in rows] == [f"{MINUS}2.9", f"{MINUS}1.6", f"{MINUS}2.8", f"{MINUS}2.2"]
    assert [r[M.COL_BMD] for r in rows] == ["0.800", "0.780", "0.810", "0.860"]
    assert [r[M.COL_READING] for r in rows] == ["Below expected range", "Within expected range",
                                               "Below expected range", "Within expected range"]
    assert [r[M.COL_CHANGE] for r in rows] == ["First scan of this site", "First scan of this site",
                                              "Up 1.25 %: within LSC (5.3 %)", "Up 6.17 %: beyond LSC (5.3 %)"]
    assert [r[M.COL_FEEDING] for r in rows] == ["While breastfeeding"] * 2 + ["Not breastfeeding"] * 2
    assert "14 weeks postpartum" in proxy.index(0, M.COL_FEEDING).data(Qt.ItemDataRole.ToolTipRole)


def test_the_table_sorts_by_z_score_with_rows_kept_whole(qtbot, followed_view):
    section = DexaSection()
    qtbot.addWidget(section)
    section.show_view(followed_view)
    section.table.sortByColumn(DexaTableModel.COL_Z, Qt.SortOrder.AscendingOrder)
    rows = [section.row_value(n) for n in range(section.proxy.rowCount())]
    assert [r.reading.z_score for r in rows] == [-2.6, -2.5, -1.9, -1.4]
    assert all(r.scan.z_score == r.reading.z_score and r.scan.site == r.reading.site for r in rows)


def test_the_table_model_passes_the_model_tester(qtmodeltester, followed_view):
    model = DexaTableModel()
    model.set_rows(dexa_rows(followed_view.dexa_reading, followed_view.dexa, followed_view.record))
    assert model.rowCount() == 4
    proxy = RowSortProxy()
    proxy.setSourceModel(model)
    qtmodeltester.check(model, force_py=True)
    qtmodeltester.check(model)
    qtmodeltester.check(proxy)


# --- the section -----------------------------------------------------------------------------

def test_the_section_reads_her_latest_dexa_by_z_score_never_by_t_score(qtbot, clinic):
    view = patient_view(imported(clinic, followed_record(dexa=(
        scan("lumbar_spine", SECOND_SCAN, z=-2.4, t=-2.7, bmd=0.81),
        scan("total_hip", SECOND_SCAN, z=-1.1, t=-2.6, bmd=0.78)))), TODAY)
    section = DexaSection()
    qtbot.addWidget(section)
    section.show_view(view)
    assert isinstance(section, RecordSection) and section.key == "dexa"
    text = interpretation_text(view)
    assert text.startswith(f"Latest DEXA {SECOND_SCAN:%d-%b-%Y}: lowest Z-score {MINUS}2.4, {BELOW_EXPECTED_RANGE}.")
    assert "T-score -2.6 (for reference only)" in text
    shown = section.reading_label.text() + section.note_label.text() + READING_NOTE
    assert "osteoporosis" not in shown.casefold()
    assert section.reading_label.isVisibleTo(section) and not section.empty_label.isVisibleTo(section)


def test_an_empty_record_shows_no_dexa_on_record_and_draws_without_a_crash(qtbot, clinic):
    view = patient_view(imported(clinic, followed_record(dexa=())), TODAY)
    section = DexaSection()
    qtbot.addWidget(section)
    section.resize(1000, 640)
    section.show_view(view)
    section.show()
    qtbot.waitExposed(section)
    assert section.empty_label.text() == NO_DEXA and section.empty_label.isVisible()
    assert not section.table.isVisible() and not section.reading_label.isVisible()
    assert not section.chart.isVisible()   # the words say it once
    assert section.chart.points == () and section.chart.accessibleDescription() == NO_DEXA
    assert section.model.rowCount() == 0
    assert not section.edit_button.isEnabled() and not section.error_button.isEnabled()
    assert section.add_button.isEnabled()
    image = section.chart.grab().toImage()
    assert not image.isNull() and image.width() == section.chart.width()
    assert section.chart.point_at(100, 100) is None


def test_the_buttons_ask_for_add_edit_and_entered_in_error(qtbot, followed_view):
    section = DexaSection()
    qtbot.addWidget(section)
    section.show_view(followed_view)
    with qtbot.waitSignal(section.add_requested) as added:
        qtbot.mouseClick(section.add_button, Qt.MouseButton.LeftButton)
    assert added.args == ["dexa"]
    assert not section.edit_button.isEnabled()
    section.table.selectRow(3)
    third = section.selected_scan()
    assert third.scanned_on == THIRD_SCAN and third.id is not None and third.version is not None
    assert third in followed_view.dexa
    with qtbot.waitSignal(section.edit_requested) as edited:
        qtbot.mouseClick(section.edit_button, Qt.MouseButton.LeftButton)
    assert edited.args == [third]
    with qtbot.waitSignal(section.entered_in_error_requested) as wrong:
        qtbot.mouseClick(section.error_button, Qt.MouseButton.LeftButton)
    assert wrong.args == [third]


def test_clicking_a_point_selects_its_scan_and_a_new_view_keeps_the_selection(qtbot, followed_view):
    section = DexaSection()
    qtbot.addWidget(section)
    section.resize(1100, 700)
    section.show_view(followed_view)
    section.show()
    qtbot.waitExposed(section)
    chart: DexaChart = section.chart
    second = [p for p in chart.points if p.scanned_on == SECOND_SCAN][0]
    x, y = chart.layout_now().position(second)
    with qtbot.waitSignal(chart.point_clicked) as clicked:
        qtbot.mouseClick(chart, Qt.MouseButton.LeftButton, pos=QPoint(round(x), round(y)))
    assert clicked.args == [second]
    assert section.selected_row().reading == second.reading
    assert chart.selected == second
    chosen = section.selected_scan()
    section.show_view(followed_view)
    assert section.selected_scan() == chosen


@pytest.mark.qt_log_ignore("does not support raise")   # the offscreen platform, raising the tooltip window
def test_hovering_a_point_shows_its_tooltip(qtbot, followed_view):
    chart = DexaChart()
    qtbot.addWidget(chart)
    chart.resize(900, 340)
    chart.show_view(followed_view)
    chart.show()
    qtbot.waitExposed(chart)
    third = [p for p in chart.points if p.scanned_on == THIRD_SCAN][0]
    x, y = chart.layout_now().position(third)
    where = QPoint(round(x), round(y))
    QApplication.sendEvent(chart, QHelpEvent(QEvent.Type.ToolTip, where, chart.mapToGlobal(where)))
    qtbot.waitUntil(QToolTip.isVisible)
    assert QToolTip.text() == third.tooltip()
    QToolTip.hideText()


def test_the_chart_tells_its_points_in_words_for_screen_readers(qtbot, followed_view):
    chart = DexaChart()
    qtbot.addWidget(chart)
    chart.show_view(followed_view)
    words = chart.accessibleDescription()
    assert low_z_label(-2.0) in words
    assert f"{THIRD_SCAN:%d-%b-%Y} Z {MINUS}1.9, beyond LSC" in words
    assert f"{FIRST_SCAN:%d-%b-%Y} Z {MINUS}2.6, while breastfeeding" in words


def test_the_section_draws_its_chart_and_table(qtbot, followed_view, tmp_path):
    section = DexaSection()
    qtbot.addWidget(section)
    section.resize(1146, 700)
    section.show_view(followed_view)
    section.show()
    qtbot.waitExposed(section)
    image = section.chart.grab().toImage()
    colours = {image.pixel(x, y) for x in range(0, image.width(), 7) for y in range(0, image.height(), 7)}
    assert len(colours) > 20   # lines, markers, text: not a blank page
    spine = QColor(SITE_STYLES["lumbar_spine"].colour)
    layout = section.chart.layout_now()
    x, y = layout.position([p for p in section.chart.points if p.scanned_on == SECOND_SCAN][0])
    assert QColor(image.pixel(round(x), round(y))).name() == spine.name()   # a filled marker: not breastfeeding
    assert section.grab().save(str(tmp_path / "dexa.png"))
