"""The Fractures section: the spine diagram (geometry, marks, greyscale, history) and the table beside it.

Records are built for the case and read as of a fixed day, TODAY; every other date is
worked out from it.  The marks the painter draws (`spine_marks`) are tested as values,
the painting by rendering to an image and reading its pixels.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta
from itertools import combinations

import pytest
from PySide6.QtCore import QPoint, Qt
from PySide6.QtGui import QImage

from pao_clinic import services
from pao_clinic.clinic_settings import DEFAULT_SETTINGS
from pao_clinic.record import Fracture, codes
from pao_clinic.record.dates import written_date
from pao_clinic.services.patient_view import patient_audit_history, patient_view, view_of_record
from ui.caseload_model import ROW_ROLE
from ui.fractures_section import FractureTableModel, FracturesSection, entered_by_from_audit
from ui.spine_diagram import (
    GRADE_FILLS, HIGH_TRAUMA, LEVELS, PRESENTATION, REPEAT, SEEN_AGAIN, SpineDiagram, diagram_layout,
    fracture_findings, grade_fill, level_of, luminance, postpartum_at, render_marks, spine_marks,
)

from .gate_builders import birth, fracture, ongoing_pregnancy, vertebral, well_documented_record

pytestmark = [
    pytest.mark.qt_log_level_fail("WARNING"),
    pytest.mark.qt_log_ignore("does not support propagateSizeHints"),
]

TODAY = date(2026, 4, 15)
DELIVERED = TODAY - timedelta(days=200)
PRESENTED = DELIVERED + timedelta(weeks=6)          # T12 grade 2, six weeks after the birth
REPEATED = DELIVERED + timedelta(weeks=17)          # L1 grade 3, later: a repeat fracture


def days(n: int) -> timedelta:
    return timedelta(days=n)


def her_record(**overrides):
    values = dict(
        pregnancies=(birth("b1", DELIVERED),),
        fractures=(vertebral("t12", 2, PRESENTED, ref="fx1"), vertebral("l1", 3, REPEATED, ref="fx2")),
    )
    values.update(overrides)
    return replace(well_documented_record(TODAY, **values), id=1)


def view_of(record, on: date = TODAY):
    return view_of_record(record, on, DEFAULT_SETTINGS)


# --- geometry --------------------------------------------------------------------------------

@pytest.mark.parametrize("size", [(400, 720), (340, 540), (800, 1400)])
def test_every_level_has_a_box_inside_the_diagram_and_no_two_overlap(size):
    layout = diagram_layout(*size)
    assert set(layout.boxes) == set(LEVELS)
    for level, box in layout.boxes.items():
        assert box.w > 0 and box.h > 0, level
        assert 0 <= box.x and box.right <= size[0] and 0 <= box.y and box.bottom <= size[1], level
    for (a, box_a), (b, box_b) in combinations(layout.boxes.items(), 2):
        assert not box_a.overlaps(box_b), (a, b)
    for level, box in layout.boxes.items():
        assert not box.overlaps(layout.legend), level
        assert not box.overlaps(layout.orientation), level
    for level, label in layout.labels.items():
        for box in (*layout.boxes.values(), layout.legend, layout.orientation):
            assert not label.overlaps(box), level


def test_the_vertebrae_run_c1_to_l5_top_to_bottom_then_sacrum_coccyx_hips_and_legs():
    layout = diagram_layout(400, 720)
    column = codes.VERTEBRAL_LEVELS + ("sacrum", "coccyx")
    for upper, lower in zip(column, column[1:]):
        assert layout.boxes[upper].bottom <= layout.boxes[lower].y, (upper, lower)
    hips, femurs = layout.boxes["hip:right"], layout.boxes["femur:right"]
    assert layout.boxes["sacrum"].bottom <= hips.y and hips.bottom <= femurs.y
    assert layout.boxes["ankle:left"].bottom <= layout.boxes["foot:left"].y
    # seen from the front: her right on the viewer's left, every sided place mirrored
    for site in codes.SIDED_SITES:
        right, left = layout.boxes[f"{site}:right"], layout.boxes[f"{site}:left"]
        assert right.right < 200 < left.x, site
        assert right.y == left.y and right.w == left.w
    # the ribs lie beside the thoracic spine, the pelvis beside the sacrum
    assert layout.boxes["t4"].y <= layout.boxes["rib:left"].y and layout.boxes["rib:left"].bottom <= layout.boxes["t10"].y
    assert layout.boxes["pelvis:left"].y == layout.boxes["sacrum"].y


def test_a_point_inside_a_box_or_its_name_finds_that_level():
    layout = diagram_layout(400, 720)
    t12 = layout.boxes["t12"]
    assert layout.level_at(t12.x + t12.w / 2, t12.y + t12.h / 2) == "t12"
    label = layout.labels["l3"]
    assert layout.level_at(label.x + 2, label.y + label.h / 2) == "l3"
    assert layout.level_at(1, layout.height - 1) is None


@pytest.mark.parametrize("fracture_value, level", [
    (vertebral("t12", 2, PRESENTED), "t12"),
    (fracture("sacrum", PRESENTED), "sacrum"),
    (fracture("hip", PRESENTED, side="left"), "hip:left"),
    (fracture("pelvis", PRESENTED, side="right"), "pelvis:right"),
    (fracture("hip", PRESENTED), "other"),   # side not recorded
    (fracture("other", PRESENTED), "other"),
])
def test_each_site_code_has_its_place_on_the_diagram(fracture_value, level):
    assert level_of(fracture_value) == level


# --- marks ---------------------------------------------------------------------------------

def test_t12_presentation_and_l1_repeat_show_their_grades_and_distinct_marks():
    marks = spine_marks(view_of(her_record()))
    assert set(marks) == {"t12", "l1"}
    t12, l1 = marks["t12"], marks["l1"]
    assert (t12.grade, t12.kind, t12.text, t12.hatched) == (2, PRESENTATION, "G2 P", False)
    assert (l1.grade, l1.kind, l1.text, l1.hatched) == (3, REPEAT, "G3 R", True)
    assert t12.fill == GRADE_FILLS[2] and l1.fill == GRADE_FILLS[3]


def test_a_level_that_progressed_is_a_repeat_with_its_highest_grade_and_its_grades_over_time():
    progressed = her_record(fractures=(vertebral("l1", 1, PRESENTED, ref="fx1"), vertebral("l1", 3, REPEATED, ref="fx2")))
    l1 = spine_marks(view_of(progressed))["l1"]
    assert (l1.grade, l1.kind, l1.text) == (3, REPEAT, "G3 R")
    assert [f.kind for f in l1.findings] == [PRESENTATION, REPEAT]
    assert l1.grades_over_time() == f"1 on {written_date(PRESENTED)}, then 3 on {written_date(REPEATED)}"
    assert "Genant grade over time" in l1.detail()


def test_the_same_level_seen_again_at_its_grade_is_not_a_repeat_and_high_trauma_is_told_apart():
    record = her_record(fractures=(
        vertebral("t12", 2, PRESENTED, ref="fx1"), vertebral("t12", 2, REPEATED, ref="fx2"),
        vertebral("c5", 1, PRESENTED, ref="fx3", trauma="high"),
        fracture("hip", REPEATED, side="left", ref="fx4"),
    ))
    findings = {f.fracture.ref: f.kind for f in fracture_findings(view_of(record))}
    assert findings == {"fx1": PRESENTATION, "fx2": SEEN_AGAIN, "fx3": HIGH_TRAUMA, "fx4": REPEAT}
    marks = spine_marks(view_of(record))
    assert marks["t12"].text == "G2 P"
    assert marks["c5"].text == "G1 HT"
    assert marks["hip:left"].text == "Fx R"


def test_a_fracture_identified_after_the_day_is_not_drawn():
    marks = spine_marks(view_of(her_record(), on=REPEATED - days(1)))
    assert set(marks) == {"t12"}


def test_weeks_postpartum_and_the_pregnancy_come_from_her_births():
    record = her_record(pregnancies=(birth("b1", DELIVERED - days(700), number=1), birth("b2", DELIVERED, number=2)))
    t12 = record.fractures[0]
    assert postpartum_at(record, t12).words == "6 weeks postpartum (pregnancy 2)"
    linked_to_first = replace(t12, pregnancy="b1")
    assert postpartum_at(record, linked_to_first).weeks == (PRESENTED - (DELIVERED - days(700))).days // 7
    assert postpartum_at(record, linked_to_first).pregnancy == 1
    pregnant = her_record(pregnancies=(ongoing_pregnancy("b1", number=1),))
    assert postpartum_at(pregnant, t12).words == "During pregnancy 1"
    assert postpartum_at(her_record(pregnancies=()), t12).words == "Not after a birth"


# --- greyscale -------------------------------------------------------------------------------

def test_the_grade_fills_are_far_apart_in_greyscale():
    greys = [luminance(grade_fill(grade)) for grade in (0, 1, 2, 3)]
    assert greys == sorted(greys, reverse=True)      # darker with each grade
    for lighter, darker in zip(greys, greys[1:]):
        assert lighter - darker >= 40, greys


def test_printed_in_greyscale_each_grade_is_its_own_grey_with_the_grade_written(qapp):
    record = her_record(fractures=(vertebral("t4", 1, PRESENTED, ref="fx1"), vertebral("t12", 2, PRESENTED, ref="fx2"),
                                   vertebral("l3", 3, PRESENTED, ref="fx3")))
    marks = spine_marks(view_of(record))
    width, height = 400, 720
    grey = render_marks(marks, width, height).convertToFormat(QImage.Format.Format_Grayscale8)
    layout = diagram_layout(width, height)

    def fill_grey(level: str) -> int:   # just inside the box's left edge, clear of the written plate
        box = layout.boxes[level]
        return grey.pixelColor(int(box.x + 5), int(box.y + box.h / 2)).red()

    levels = [fill_grey(level) for level in ("t2", "t4", "t12", "l3")]   # grade 0 (not fractured), 1, 2, 3
    for lighter, darker in zip(levels, levels[1:]):
        assert lighter - darker >= 35, levels
    # the written grade: black text on a white plate at the middle of each fractured level
    for level in ("t4", "t12", "l3"):
        box = layout.boxes[level]
        row = [grey.pixelColor(x, int(box.y + box.h / 2)).red() for x in range(int(box.x + 8), int(box.right - 8))]
        assert max(row) >= 240 and min(row) <= 60, (level, min(row), max(row))


def test_a_repeat_is_hatched_on_the_image_and_a_presentation_is_solid(qapp):
    marks = spine_marks(view_of(her_record(fractures=(vertebral("t12", 2, PRESENTED, ref="fx1"),
                                                      vertebral("l1", 2, REPEATED, ref="fx2")))))
    assert marks["l1"].kind == REPEAT
    image = render_marks(marks, 400, 720).convertToFormat(QImage.Format.Format_Grayscale8)
    layout = diagram_layout(400, 720)

    def greys_in_fill(level: str) -> set[int]:
        box = layout.boxes[level]
        return {image.pixelColor(x, y).red() for x in range(int(box.x + 4), int(box.x + 11))
                for y in range(int(box.y + 4), int(box.bottom - 3))}

    solid, hatched = greys_in_fill("t12"), greys_in_fill("l1")
    assert max(solid) - min(solid) < 20
    assert max(hatched) - min(hatched) > 80


# --- the widget: hover and click ---------------------------------------------------------------

@pytest.fixture
def section(qtbot):
    page = FracturesSection()
    qtbot.addWidget(page)
    page.resize(1140, 720)
    page.show_view(view_of(her_record()))
    page.show()
    qtbot.waitExposed(page)
    return page


def test_the_tooltip_names_the_date_the_imaging_and_weeks_postpartum(section):
    tip = section.diagram.tooltip_for("t12")
    assert written_date(PRESENTED) in tip
    assert "MRI" in tip
    assert "6 weeks postpartum (pregnancy 1)" in tip
    assert "presentation" in tip.lower() and "Genant grade 2" in tip
    assert "repeat" in section.diagram.tooltip_for("l1").lower()
    assert "no fracture" in section.diagram.tooltip_for("l4")


def test_clicking_a_level_emits_it_shows_its_history_and_selects_its_rows(section, qtbot):
    diagram = section.diagram
    box = diagram.layout_now().boxes["l1"]
    with qtbot.waitSignal(diagram.level_clicked) as signal:
        qtbot.mouseClick(diagram, Qt.MouseButton.LeftButton, pos=QPoint(int(box.x + box.w / 2), int(box.y + box.h / 2)))
    assert signal.args == ["l1"]
    assert diagram.selected_level == "l1"
    assert written_date(REPEATED) in section.detail_label.text()
    rows = section.selected_findings()
    assert [f.fracture.ref for f in rows] == ["fx2"]
    assert section.edit_button.isEnabled() and section.error_button.isEnabled()
    with qtbot.waitSignal(section.edit_requested) as edit:
        section.edit_button.click()
    assert edit.args[0].ref == "fx2" and isinstance(edit.args[0], Fracture)


def test_a_level_with_two_fractures_selects_both_rows_and_editing_waits_for_one(qtbot):
    page = FracturesSection()
    qtbot.addWidget(page)
    page.show_view(view_of(her_record(fractures=(vertebral("l1", 1, PRESENTED, ref="fx1"),
                                                 vertebral("l1", 3, REPEATED, ref="fx2"),
                                                 vertebral("t12", 2, PRESENTED, ref="fx3")))))
    page.diagram.click_level("l1")
    assert sorted(f.fracture.ref for f in page.selected_findings()) == ["fx1", "fx2"]
    assert not page.edit_button.isEnabled()
    page.table.selectRow(next(r for r in range(page.proxy.rowCount())
                              if page.proxy.index(r, 0).data(ROW_ROLE).fracture.ref == "fx3"))
    assert page.diagram.selected_level == "t12"
    with qtbot.waitSignal(page.entered_in_error_requested) as error:
        page.error_button.click()
    assert error.args[0].ref == "fx3"
    with qtbot.waitSignal(page.add_requested) as add:
        page.add_button.click()
    assert add.args == ["fractures"]


def test_the_keyboard_steps_through_her_fractured_levels(section, qtbot):
    section.diagram.setFocus()
    with qtbot.waitSignal(section.diagram.level_clicked) as first:
        qtbot.keyClick(section.diagram, Qt.Key.Key_Down)
    assert first.args == ["t12"]
    with qtbot.waitSignal(section.diagram.level_clicked) as second:
        qtbot.keyClick(section.diagram, Qt.Key.Key_Down)
    assert second.args == ["l1"]


def test_the_table_shows_her_fractures_in_words(section):
    model = section.model
    rows = {model.index(r, 0).data(ROW_ROLE).fracture.ref: r for r in range(model.rowCount())}
    t12 = [model.index(rows["fx1"], c).data() for c in range(model.columnCount())]
    assert t12[:6] == ["T12", written_date(PRESENTED), "MRI", "2 (moderate)", "Presentation", "6 (pregnancy 1)"]
    assert model.index(rows["fx2"], FractureTableModel.COL_KIND).data() == "Repeat"
    assert section.count_label.text() == f"2 fractures on record on {written_date(TODAY)}."


def test_the_table_model_passes_the_model_tester(qtmodeltester):
    model = FractureTableModel()
    model.set_rows(fracture_findings(view_of(her_record())))
    qtmodeltester.check(model, force_py=True)
    qtmodeltester.check(model)


def test_the_section_renders_legibly_and_is_saved_for_the_docs(section, tmp_path):
    image = section.grab().toImage()
    assert (image.width(), image.height()) == (1140, 720)
    path = tmp_path / "fractures-spine.png"
    assert section.grab().save(str(path))
    assert path.stat().st_size < 300_000
    printed = section.diagram.render_to_image(800, 1400)
    assert (printed.width(), printed.height()) == (800, 1400)


# --- through the services, both backends -------------------------------------------------------

def test_a_fracture_added_through_the_services_appears_on_a_new_view(clinic, qtbot):
    record = replace(her_record(fractures=(vertebral("t12", 2, PRESENTED, ref="fx1"),)), id=None)
    (patient_id,) = services.import_records(clinic.nurse, [record])
    page = FracturesSection()
    qtbot.addWidget(page)
    page.show_view(patient_view(patient_id, TODAY))
    assert set(page.diagram.marks) == {"t12"}

    added = services.add_clinical_entry(clinic.nurse, patient_id, Fracture(
        ref="", site="l1", identified_on=REPEATED, imaging="ct", trauma="none", genant_grade=3), today=TODAY)
    page.show_view(patient_view(patient_id, TODAY))
    l1 = page.diagram.marks["l1"]
    assert (l1.text, l1.kind) == ("G3 R", REPEAT)
    assert "CT" in page.diagram.tooltip_for("l1")
    page.set_entered_by(entered_by_from_audit(patient_audit_history(patient_id)))
    row = next(r for r in range(page.model.rowCount()) if page.model.index(r, 0).data(ROW_ROLE).fracture.id == added.id)
    assert page.model.index(row, FractureTableModel.COL_ENTERED_BY).data() == clinic.nurse.name


def test_a_fracture_entered_in_error_leaves_the_diagram(clinic, qtbot):
    (patient_id,) = services.import_records(clinic.nurse, [replace(her_record(), id=None)])
    view = patient_view(patient_id, TODAY)
    l1 = next(f for f in view.fractures if f.site == "l1")
    services.mark_entered_in_error(clinic.nurse, "fracture", l1.id, expected_version=l1.version,
                                   reason="the wrong woman's MRI")
    page = FracturesSection()
    qtbot.addWidget(page)
    page.show_view(patient_view(patient_id, TODAY))
    assert set(page.diagram.marks) == {"t12"}
    assert page.model.rowCount() == 1


def test_a_diagram_with_no_fractures_says_so(qtbot):
    diagram = SpineDiagram()
    qtbot.addWidget(diagram)
    diagram.show_view(view_of(her_record(fractures=())))
    assert diagram.marks == {}
    assert diagram.accessibleDescription() == "No fractures on record."


def test_on_a_laptop_width_every_column_of_the_table_is_inside_it(qtbot):
    """At 1366 pixels (the record's page is ~1140 wide) no column is cut off at the right edge."""
    page = FracturesSection()
    qtbot.addWidget(page)
    page.resize(1120, 700)  # the page beside the section list in a 1366-pixel window
    page.show_view(view_of(her_record(fractures=(
        vertebral("t12", 2, PRESENTED, ref="fx1"), vertebral("l1", 3, REPEATED, ref="fx2"),
        vertebral("t4", 1, PRESENTED, ref="fx3", trauma="high")))))
    page.show()
    qtbot.waitExposed(page)
    header = page.table.horizontalHeader()
    widths = sum(header.sectionSize(c) for c in range(page.model.columnCount()))
    assert widths <= page.table.viewport().width() + 1
    assert all(header.sectionSize(c) > 20 for c in range(page.model.columnCount()))
    page.resize(1600, 700)  # room again: as wide as their words
    qtbot.waitUntil(lambda: header.sectionSize(FractureTableModel.COL_KIND)
                    >= page.fontMetrics().horizontalAdvance("Presentation"))
