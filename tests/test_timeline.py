"""Her treatment timeline as plain values: every entry in its lane, on its dates, with weeks postpartum."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta

import pytest

from pao_clinic.clinic_settings import ClinicSettings
from pao_clinic.record import Decision, Feeding, Pregnancy, Referral
from pao_clinic.timeline import (
    BAR, CREATED, DECIDED, ERA, HIGH_TRAUMA, LANES, POINT, PRESENTATION, REPEAT, REVIEW, SEEN, SEEN_AGAIN, SENT,
    patient_timeline, postpartum_words, weeks_postpartum,
)

from .gate_builders import (
    birth, breastfed, decision, fracture, medication, not_breastfed, ongoing_pregnancy, scan, treatable_record,
    vertebral, well_documented_record,
)

ON = date(2025, 6, 1)
DELIVERED = date(2024, 11, 13)


def days(n: int) -> timedelta:
    return timedelta(days=n)


def only(items):
    (item,) = items
    return item


# --- weeks postpartum ---------------------------------------------------------------------

@pytest.mark.parametrize("day, expected", [
    (DELIVERED - days(1), None),          # before her first delivery
    (DELIVERED, 0),
    (DELIVERED + days(6), 0),
    (DELIVERED + days(7), 1),
    (DELIVERED + days(70), 10),
    (date(2025, 9, 1) + days(13), 1),     # counted from the second delivery once it has happened
])
def test_weeks_postpartum_counts_whole_weeks_from_the_latest_delivery_before_the_day(day, expected):
    record = well_documented_record(ON, pregnancies=(
        birth("b1", DELIVERED), birth("b2", date(2025, 9, 1), number=2),
        Pregnancy(ref="m1", number=3, outcome="miscarriage", ended_on=date(2025, 9, 10))))
    assert weeks_postpartum(record, day) == expected


@pytest.mark.parametrize("weeks, words", [(None, "before any delivery"), (0, "0 weeks postpartum"),
                                          (1, "1 week postpartum"), (21, "21 weeks postpartum")])
def test_postpartum_words(weeks, words):
    assert postpartum_words(weeks) == words


# --- pregnancies --------------------------------------------------------------------------

@pytest.mark.parametrize("pregnancy, start, end, planned, label", [
    (Pregnancy(ref="b1", number=1, outcome="live_birth", ended_on=DELIVERED, due_date=DELIVERED + days(10),
               delivery_mode="caesarean"),
     DELIVERED + days(10) - days(280), DELIVERED, False, "Pregnancy 1: live birth (caesarean), delivered 13-Nov-2024"),
    (Pregnancy(ref="b1", number=1, outcome="live_birth", ended_on=DELIVERED),
     DELIVERED - days(280), DELIVERED, False, "Pregnancy 1: live birth, delivered 13-Nov-2024"),
    (Pregnancy(ref="m1", number=2, outcome="miscarriage", ended_on=DELIVERED),
     DELIVERED - days(84), DELIVERED, False, "Pregnancy 2: miscarriage, ended 13-Nov-2024"),
    (Pregnancy(ref="o1", number=3, outcome="ongoing", due_date=ON + days(100)),
     ON + days(100) - days(280), ON + days(100), True, "Pregnancy 3: ongoing, due 09-Sep-2025"),
    (Pregnancy(ref="o1", number=3, outcome="ongoing"), ON, ON, True, "Pregnancy 3: ongoing, due date not recorded"),
])
def test_a_pregnancy_is_an_era_from_its_estimated_start_to_delivery_or_due_date(pregnancy, start, end, planned, label):
    item = only(patient_timeline(well_documented_record(ON, pregnancies=(pregnancy,)), ON).in_lane("Pregnancies"))
    assert (item.shape, item.start, item.end, item.end_planned, item.label) == (ERA, start, end, planned, label)
    assert item.start_estimated and item.record_type == "pregnancy" and item.ref == pregnancy.ref


def test_a_pregnancy_with_no_date_at_all_is_said_to_be_unplaced():
    record = well_documented_record(ON, pregnancies=(Pregnancy(ref="x", number=1, outcome="termination"),))
    timeline = patient_timeline(record, ON)
    assert timeline.in_lane("Pregnancies") == ()
    assert timeline.unplaced == ("Pregnancy 1 (termination): no end date recorded",)


# --- feeding ------------------------------------------------------------------------------

@pytest.mark.parametrize("entry, shape, end, planned, ongoing, label", [
    (breastfed("b1", DELIVERED, stopped_on=DELIVERED + days(140)), BAR, DELIVERED + days(140), False, False,
     "Breastfeeding, last feed 02-Apr-2025"),
    (breastfed("b1", DELIVERED, planned_stop_on=ON + days(29)), BAR, ON + days(29), True, False,
     "Breastfeeding, planned stop 30-Jun-2025"),
    # a last feed after the day is a planned stop, as the gate reads it
    (breastfed("b1", DELIVERED, stopped_on=ON + days(29)), BAR, ON + days(29), True, False,
     "Breastfeeding, planned stop 30-Jun-2025"),
    (breastfed("b1", DELIVERED, planned_stop_on=ON - days(1)), BAR, ON - days(1), True, False,
     "Breastfeeding, planned stop 31-May-2025 (passed: ask whether she has stopped)"),
    (breastfed("b1", DELIVERED), BAR, ON, False, True, "Breastfeeding, no stop date recorded"),
    (not_breastfed("b1"), POINT, DELIVERED, False, False, "Did not breastfeed"),
])
def test_feeding_is_a_bar_to_the_last_feed_or_planned_stop(entry, shape, end, planned, ongoing, label):
    record = well_documented_record(ON, pregnancies=(birth("b1", DELIVERED),), breastfeeding=(entry,))
    item = only(patient_timeline(record, ON).in_lane("Feeding"))
    assert (item.shape, item.start, item.end, item.end_planned, item.ongoing, item.label) == (
        shape, DELIVERED, end, planned, ongoing, label)
    assert item.weeks_postpartum == 0 and item.record_type == "feeding"


def test_feeding_with_no_start_starts_on_the_delivery_day_and_says_so():
    entry = Feeding(pregnancy="b1", breastfed=True, stopped_on=DELIVERED + days(30))
    record = well_documented_record(ON, pregnancies=(birth("b1", DELIVERED),), breastfeeding=(entry,))
    item = only(patient_timeline(record, ON).in_lane("Feeding"))
    assert item.start == DELIVERED and item.start_estimated
    assert "start taken as the delivery day" in item.detail
    assert item.when_words() == "13-Nov-2024 (estimated) to 13-Dec-2024"
    assert item.postpartum_text() == "0 weeks postpartum to 4 weeks postpartum"


# --- fractures: the gate's facts say which is which -----------------------------------------

def test_fractures_are_points_by_level_with_grade_and_the_gates_presentation_and_repeats():
    fractures = (
        vertebral("l1", 2, DELIVERED + days(20)),
        vertebral("l2", 1, DELIVERED + days(30)),                 # 10 days after the index: presentation
        vertebral("l1", 2, DELIVERED + days(90)),                 # same level, same grade: seen again
        vertebral("l1", 3, DELIVERED + days(120)),                # progressed: a repeat
        fracture("hip", DELIVERED + days(150), side="left"),      # new site: a repeat
        fracture("wrist", DELIVERED + days(160), side="right", trauma="high"),
    )
    record = well_documented_record(ON, pregnancies=(birth("b1", DELIVERED),), fractures=fractures)
    items = patient_timeline(record, ON).in_lane("Fractures")
    assert [(i.label, i.fracture_role, i.weeks_postpartum) for i in items] == [
        ("L1 G2", PRESENTATION, 2),
        ("L2 G1", PRESENTATION, 4),
        ("L1 G2", SEEN_AGAIN, 12),
        ("L1 G3", REPEAT, 17),
        ("Left hip", REPEAT, 21),
        ("Right wrist", HIGH_TRAUMA, 22),
    ]
    assert all(i.shape == POINT and i.start == i.end for i in items)
    assert items[3].genant_grade == 3 and items[3].site == "l1"
    assert "repeat fracture" in items[3].detail and "high trauma" in items[5].detail


def test_a_fracture_becomes_a_repeat_only_once_the_day_has_come():
    record = treatable_record(ON, fractures=(vertebral("l1", 2, ON - days(150)), vertebral("l3", 2, ON - days(10))))
    before = patient_timeline(record, ON - days(20)).in_lane("Fractures")
    after = patient_timeline(record, ON).in_lane("Fractures")
    assert [i.fracture_role for i in before] == [PRESENTATION, None]
    assert [i.fracture_role for i in after] == [PRESENTATION, REPEAT]


# --- DEXA, medications ------------------------------------------------------------------------

def test_dexa_z_scores_are_points_per_site():
    record = treatable_record(ON, dexa=(scan("lumbar_spine", ON - days(50), z=-2.5, t=-2.8),
                                        scan("total_hip", ON - days(50), z=-1.5),
                                        scan("forearm", ON - days(40), t=-1.0)))
    items = patient_timeline(record, ON).in_lane("DEXA Z")
    assert [(i.site, i.z_score, i.label) for i in items] == [
        ("lumbar_spine", -2.5, "Lumbar spine Z -2.5"), ("total_hip", -1.5, "Total hip Z -1.5"),
        ("forearm", None, "Forearm: no Z-score")]
    assert "T-score -2.8 (for reference)" in items[0].detail
    assert items[0].record_type == "dexa_scan"


@pytest.mark.parametrize("limit", [730, 540])
def test_teriparatide_bars_say_the_gates_anabolic_days_used_of_the_limit(limit):
    courses = (medication("teriparatide", ON - days(300), ON - days(201)),   # 100 days
               medication("teriparatide", ON - days(49)),                    # 50 days to the day
               medication("alendronate", ON - days(400), ON - days(350)))
    record = treatable_record(ON, medications=courses)
    items = patient_timeline(record, ON, ClinicSettings(pth_lifetime_days=limit)).in_lane("Medications")
    assert [(i.label, i.start, i.end, i.ongoing) for i in items] == [
        ("Alendronic acid", ON - days(400), ON - days(350), False),
        (f"Teriparatide: anabolic days used: 150 of {limit}", ON - days(300), ON - days(201), False),
        (f"Teriparatide: anabolic days used: 150 of {limit}", ON - days(49), ON, True),
    ]
    assert [i.anabolic_days_used for i in items] == [None, 150, 150]
    assert all(i.shape == BAR for i in items)


# --- referrals and decisions --------------------------------------------------------------------

def test_a_referral_is_a_point_at_each_of_created_sent_and_seen():
    referral = Referral(ref="r1", specialty="physiotherapy", urgency="routine", status="seen",
                        created_on=ON - days(60), sent_on=ON - days(58), seen_on=ON - days(20), reason="back pain")
    draft = Referral(ref="r2", specialty="mental_health", urgency="urgent", status="draft",
                     created_on=ON - days(3), reason="EPDS 15")
    record = treatable_record(ON, referrals=(referral, draft))
    items = patient_timeline(record, ON).in_lane("Referrals")
    assert [(i.event, i.start, i.label, i.status, i.ref) for i in items] == [
        (CREATED, ON - days(60), "Physiotherapy referral created", "seen", "r1"),
        (SENT, ON - days(58), "Physiotherapy referral sent", "seen", "r1"),
        (SEEN, ON - days(20), "Physiotherapy referral seen", "seen", "r1"),
        (CREATED, ON - days(3), "Perinatal mental health referral created", "draft", "r2"),
    ]


def test_a_decision_is_a_point_with_its_plan_and_one_at_its_review():
    decisions = (decision(ON - days(90), plan="defer"),
                 Decision(decided_on=ON - days(10), plan="start", by="Dr Chen", drug="alendronate",
                          override_reason="two vertebral fractures", review_on=ON + days(355)))
    items = patient_timeline(treatable_record(ON, decisions=decisions), ON).in_lane("Decisions")
    assert [(i.event, i.start, i.label, i.plan) for i in items] == [
        (DECIDED, ON - days(90), "Defer", "defer"),
        (DECIDED, ON - days(10), "Start Alendronic acid", "start"),
        (REVIEW, ON + days(355), "Review (Start Alendronic acid)", "start"),
    ]
    assert "reason: two vertebral fractures" in items[1].detail and "Dr Chen" in items[1].detail


# --- the whole axis -------------------------------------------------------------------------------

def test_every_item_is_in_a_known_lane_and_the_extent_covers_them_and_today():
    record = treatable_record(ON, pregnancies=(birth("b1", ON - days(200)), ongoing_pregnancy("b2", due_date=ON + days(150))),
                              decisions=(Decision(decided_on=ON, plan="defer", by="Dr Chen", review_on=ON + days(400)),))
    timeline = patient_timeline(record, ON)
    assert {i.lane for i in timeline.items} <= set(LANES)
    assert timeline.today == ON
    assert timeline.extent() == (ON - days(200) - days(280), ON + days(400))


@pytest.mark.parametrize("record", [well_documented_record(ON), well_documented_record(ON, pregnancies=())])
def test_a_record_with_nothing_dated_has_today_as_its_whole_extent(record):
    timeline = patient_timeline(record, ON)
    assert timeline.items == () and timeline.extent() == (ON, ON)


def test_items_keep_the_record_ids_to_open_the_entry():
    record = treatable_record(ON, decisions=(replace(decision(ON - days(5)), id=41),))
    timeline = patient_timeline(record, ON)
    assert [i.record_id for i in timeline.for_entry("decision", 41)] == [41]


def test_tooltip_lines_say_what_when_and_weeks_postpartum():
    record = treatable_record(ON)
    l1 = patient_timeline(record, ON).in_lane("Fractures")[0]
    assert l1.tooltip_lines()[:3] == ("L1 G2", "02-Jan-2025", "7 weeks postpartum")
