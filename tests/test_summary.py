"""The printed patient summary, read back with pypdf, and its timeline chart's drawing.

Rendering tests use plain values and a fixed `ON` passed as today (every date derives
from it); the service tests run on SQLite and PostgreSQL.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import pytest
from reportlab.graphics.shapes import Drawing, Group, Line, Rect, String

from pao_clinic.gate.task_words import task_words
from pao_clinic import services
from pao_clinic.errors import PermissionDenied
from pao_clinic.gate import patient_tasks
from pao_clinic.letters.pdf import URGENT
from pao_clinic.letters.summary import (
    DRUG_FILL, SUPPLEMENT_FILL, build_summary_content, render_summary_pdf, timeline_drawing,
)
from pao_clinic.record import Decision, Fracture, Medication, codes
from pao_clinic.record.dates import written_date
from pao_clinic.services import letters as letter_service
from pao_clinic.storage.models import AuditEntry
from pao_clinic.timeline import LANES, patient_timeline

from .test_letters import HEADING, LETTERHEAD, ON, days_ago, fracture_row, lucja, pages_of, register_lucja

IDENTIFIERS = f"{HEADING}   DOB 12-Apr-1991   NHS 943 476 5919"


def summary_of(record, today=ON):
    return build_summary_content(record, today=today, prepared_by="Dr Mei Chen", prepared_by_role="consultant",
                                 letterhead=LETTERHEAD)


def strings_in(drawing: Drawing) -> list[String]:
    found = []

    def walk(node):
        for item in getattr(node, "contents", []):
            if isinstance(item, String):
                found.append(item)
            elif isinstance(item, Group):
                walk(item)
    walk(drawing)
    return found


def shapes_in(drawing: Drawing) -> list:
    return list(drawing.contents)


def labels_width(drawing: Drawing, today_label_x: float) -> float:
    """How far the today line is from its label's left edge (the label is centred on the line)."""
    [line_x] = {round(s.x1, 6) for s in drawing.contents if isinstance(s, Line) and s.strokeColor == URGENT
                and s.x1 == s.x2}
    return line_x - today_label_x


def a_fuller_record():
    """Lucja with a past teriparatide course, a decision with a written reason, and a sent referral."""
    record = lucja()
    return replace(
        record,
        medications=record.medications + (Medication(ref="med2", drug="teriparatide", started_on=days_ago(900),
                                                     stopped_on=days_ago(700)),),
        decisions=(Decision(decided_on=days_ago(12), plan="defer", by="Dr Mei Chen", review_on=ON + timedelta(days=60),
                            override_reason="she is breastfeeding & wants to wait <until weaning>"),),
        referrals=record.referrals + (replace(record.referrals[0], ref="ref2", specialty="nutrition", status="sent",
                                              created_on=days_ago(40), sent_on=days_ago(39), urgency="routine",
                                              reason="Calcium and diet review"),),
    )


def test_identifiers_on_every_page_and_page_n_of_m():
    pages = pages_of(render_summary_pdf(summary_of(a_fuller_record())))
    assert len(pages) >= 2
    for n, text in enumerate(pages, start=1):
        assert IDENTIFIERS in text and "Hospital no. RX12345" in text, n
        assert f"Page {n} of {len(pages)}" in text, n


def test_demographics_every_fracture_dexa_value_bloods_and_medications_are_listed():
    record = a_fuller_record()
    text = "\n".join(pages_of(render_summary_pdf(summary_of(record))))
    for expected in ("Patient summary", "12-Apr-1991 (age 34)", "943 476 5919", "RX12345", "12 Rowan Close",
                     "Dr Siobhán Ní Bhriain, Headingley Surgery", "Leeds PAO Clinic",
                     f"prepared on {written_date(ON)} by Dr Mei Chen, Consultant"):
        assert expected in text, expected
    for fracture in record.fractures:
        assert fracture_row(fracture) in text, fracture
    for scan in record.dexa:
        assert f"{written_date(scan.scanned_on)}\n{scan.site.replace('_', ' ').capitalize()}\n{scan.z_score}" in text
    assert "Adjusted calcium\n2.31 mmol/L" in text
    assert f"Teriparatide\nosteoporosis medicine\n{written_date(days_ago(900))}\n{written_date(days_ago(700))}\npast" in text


def test_decisions_with_their_reasons_and_referrals_print_literally():
    text = " ".join(" ".join(pages_of(render_summary_pdf(summary_of(a_fuller_record())))).split())
    assert (f"{written_date(days_ago(12))}, Dr Mei Chen: defer treatment; review by "
            f"{written_date(ON + timedelta(days=60))}; reason: she is breastfeeding & wants to wait <until weaning>."
            in text)
    assert "Nutrition and dietetics routine sent" in text and "Calcium and diet review" in text
    assert "Physiotherapy urgent draft (not sent)" in text


def test_the_open_worklist_tasks_are_those_the_gate_gives_her():
    record = replace(lucja(), bloods=())       # no bloods: the work-up is incomplete
    tasks = patient_tasks(record, ON)
    assert tasks, "the example should have open tasks"
    content = summary_of(record)
    assert {t.code for t in content.tasks} == {t.code for t in tasks}
    text = " ".join(" ".join(pages_of(render_summary_pdf(content))).split())
    for task in tasks:  # in the clinic's words, not the task's code
        assert task_words(task.code) in text and task.code not in text and written_date(task.due_on) in text
        assert " ".join(task.message.split()) in text


def test_no_open_task_and_no_decision_are_said_in_words():
    record = replace(lucja(), fractures=(), dexa=(), bloods=(), medications=(), referrals=(), decisions=())
    content = summary_of(record)
    assert content.tasks == tuple(sorted(patient_tasks(record, ON), key=lambda t: t.sort_key))
    text = " ".join(pages_of(render_summary_pdf(replace(content, tasks=()))))
    assert "No treatment decision is recorded." in text and "No fracture is recorded." in text
    assert "No task is open for her today." in text and "Priority" not in text


def test_a_forty_fracture_record_flows_over_pages_with_every_fracture_once():
    sites = [(level, None) for level in codes.VERTEBRAL_LEVELS] + [(s, side) for s in codes.SIDED_SITES
                                                                   for side in codes.SIDES]
    fractures = tuple(Fracture(ref=f"fx{n}", site=site, side=side, identified_on=days_ago(100 - n * 2),
                               imaging="xray", trauma="low",
                               genant_grade=(n % 3) + 1 if site in codes.VERTEBRAL_LEVELS else None)
                      for n, (site, side) in enumerate(sites[:40], start=1))
    pages = pages_of(render_summary_pdf(summary_of(lucja(fractures=fractures))))
    assert len(pages) >= 3
    for n, text in enumerate(pages, start=1):
        assert IDENTIFIERS in text and f"Page {n} of {len(pages)}" in text
    everything = "\n".join(pages)
    for fracture in fractures:
        assert everything.count(fracture_row(fracture)) == 1, fracture


def test_unicode_names_extract_exactly():
    record = lucja(family_name="Nguyễn", given_name="Thị Mai")
    text = "\n".join(pages_of(render_summary_pdf(summary_of(record))))
    assert "NGUYỄN, Thị Mai   DOB 12-Apr-1991" in text
    assert "Dr Siobhán Ní Bhriain" in text


def test_the_same_record_gives_the_same_bytes_and_another_day_does_not():
    record = a_fuller_record()
    first = render_summary_pdf(summary_of(record))
    assert render_summary_pdf(summary_of(record)) == first
    assert render_summary_pdf(summary_of(record, today=ON + timedelta(days=1))) != first


# --- the timeline chart ------------------------------------------------------------------------

def test_the_chart_draws_every_lane_today_and_the_fracture_and_drug_labels():
    record = a_fuller_record()
    timeline = patient_timeline(record, ON)
    drawing = timeline_drawing(timeline, 480)
    words = [s.text for s in strings_in(drawing)]
    for lane in LANES:
        assert lane in words, lane
    assert f"today {written_date(ON)}" in words
    assert "L1 T12" in words and "L3" in words           # two fractures on nearly the same day share a label
    assert "Teriparatide" in words and "Calcium and vitamin D" in words
    assert "Physiotherapy" in words and "Defer" in words
    assert "\u22122.7" in words                          # the lowest Z-score of her scan


def test_chart_positions_follow_the_dates():
    record = a_fuller_record()
    drawing = timeline_drawing(patient_timeline(record, ON), 480)
    labels = {s.text: s.x for s in strings_in(drawing)}
    today = labels[f"today {written_date(ON)}"]
    assert labels["L1 T12"] < labels["L3"] < today + 40
    def bar(fill) -> Rect:
        [found] = [s for s in shapes_in(drawing) if isinstance(s, Rect) and s.fillColor == fill and s.width > 5 and s.height < 7]
        return found
    teriparatide, calcium = bar(DRUG_FILL), bar(SUPPLEMENT_FILL)
    # teriparatide ran from 900 to 700 days ago (200 days); calcium from 75 days ago to today
    assert teriparatide.x + teriparatide.width < calcium.x
    assert teriparatide.width / calcium.width == pytest.approx(200 / 75, rel=0.01)
    assert calcium.x + calcium.width == pytest.approx(today + labels_width(drawing, today), abs=0.01)


def test_more_medicines_make_a_taller_chart_and_everything_stays_inside_it():
    record = a_fuller_record()
    short = timeline_drawing(patient_timeline(record, ON), 480)
    more = replace(record, medications=record.medications + (
        Medication(ref="med3", drug="alendronate", started_on=days_ago(600), stopped_on=days_ago(500)),
        Medication(ref="med4", drug="denosumab", started_on=days_ago(400), stopped_on=days_ago(400))))
    tall = timeline_drawing(patient_timeline(more, ON), 480)
    assert tall.height == short.height + 20
    for drawing in (short, tall):
        for s in strings_in(drawing):
            assert 0 <= s.x <= drawing.width and 0 <= s.y <= drawing.height, s.text


def test_an_empty_record_still_draws_a_chart():
    record = replace(lucja(), pregnancies=(), breastfeeding=(), fractures=(), dexa=(), medications=(),
                     referrals=(), decisions=())
    drawing = timeline_drawing(patient_timeline(record, ON), 480)
    assert f"today {written_date(ON)}" in [s.text for s in strings_in(drawing)]
    assert render_summary_pdf(summary_of(record)).startswith(b"%PDF")


# --- the service (both backends) ------------------------------------------------------------

def test_the_summary_service_audits_the_reading_and_refuses_an_admin(clinic):
    patient_id, _referral_id = register_lucja(clinic)
    before = AuditEntry.select().count()
    pdf = letter_service.summary_pdf(clinic.consultant, patient_id, today=ON)
    pages = pages_of(pdf)
    assert IDENTIFIERS in pages[0] and "prepared on 01-Jun-2025 by Dr Mei Chen, Consultant" in pages[0]
    assert "PAO Clinic" in pages[0]      # no letterhead set: the default clinic name
    [entry] = AuditEntry.select().where(AuditEntry.id > 0).order_by(AuditEntry.id.desc()).limit(1)
    assert AuditEntry.select().count() == before + 1
    assert (entry.action, entry.record_type, entry.patient_id, entry.user_name) == (
        "read", "patient_summary", patient_id, "dr.chen")
    with pytest.raises(PermissionDenied):
        letter_service.summary_pdf(clinic.admin, patient_id, today=ON)
    assert AuditEntry.select().count() == before + 1
    assert letter_service.summary_pdf(clinic.nurse, patient_id, today=ON) != pdf     # prepared by someone else
    assert services.load_patient_record(patient_id).family_name == "Wiśniewska-O'Brien"
