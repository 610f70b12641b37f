"""The nurse's worklist: each task appears when its condition holds and goes when resolved."""

from __future__ import annotations

from dataclasses import replace

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pao_clinic import services
from pao_clinic.clinic_settings import DEFAULT_SETTINGS
from pao_clinic.gate import TASK_CODES, WorklistTask, patient_tasks, worklist
from pao_clinic.gate.worklist import SentLetter
from pao_clinic.record.dates import written_date
from pao_clinic.services import letters as letter_service
from pao_clinic.record import DexaScan
from tests.test_gate_properties import cases, she_cannot_be_treated
from tests.gate_builders import (
    D,
    birth,
    blood,
    breastfed,
    days,
    decision,
    dose,
    epds,
    height,
    medication,
    not_breastfed,
    referral,
    scan,
    treatable_record,
    vertebral,
    well_documented_record,
    with_blood,
)


def settled_record(**overrides):
    """A woman with nothing to do: weaned at D-60, decided at D-30, DEXA at D-50, work-up complete."""
    values = dict(decisions=(decision(D - days(30), plan="start", drug="alendronate"),))
    values.update(overrides)
    return treatable_record(**values)


def tasks(record, on=D, code=None):
    found = [(t.code, t.priority, t.due_on) for t in patient_tasks(record, on)]
    return [t for t in found if code is None or t[0] == code]


def test_a_settled_record_has_no_tasks():
    assert tasks(settled_record()) == []
    assert tasks(well_documented_record()) == []


# --- LACTATION-UNKNOWN --------------------------------------------------------------

def test_lactation_unknown_appears_and_goes_when_feeding_is_recorded():
    record = settled_record(breastfeeding=())
    assert tasks(record, code="LACTATION-UNKNOWN") == [("LACTATION-UNKNOWN", "high", D - days(200))]
    assert tasks(replace(record, breastfeeding=(not_breastfed(),)), code="LACTATION-UNKNOWN") == []


# --- FEEDING-CHECK ------------------------------------------------------------------

@pytest.mark.parametrize("planned, due", [(D - days(1), D), (D, None)])
def test_feeding_check_after_the_planned_stop(planned, due):
    record = settled_record(breastfeeding=(breastfed(planned_stop_on=planned),))
    expected = [("FEEDING-CHECK", "routine", due)] if due else []
    assert tasks(record, code="FEEDING-CHECK") == expected


def test_feeding_check_goes_when_the_stop_is_recorded():
    record = settled_record(breastfeeding=(breastfed(stopped_on=D - days(3)),))
    assert tasks(record, code="FEEDING-CHECK") == []


# --- DECISION-DUE -------------------------------------------------------------------

def test_decision_due_after_feeding_stopped():
    record = settled_record(decisions=())
    assert tasks(record, code="DECISION-DUE") == [("DECISION-DUE", "high", D - days(59))]


@pytest.mark.parametrize("decided, due", [
    (D - days(60), True),    # on the day of the last feed: not after it
    (D - days(59), False),   # the day after: resolved
    (D + days(1), True),     # after D does not exist on D
])
def test_decision_due_resolved_by_a_decision_after_the_stop(decided, due):
    record = settled_record(decisions=(decision(decided, plan="defer"),))
    assert bool(tasks(record, code="DECISION-DUE")) is due


def test_decision_due_after_a_birth_without_breastfeeding():
    record = settled_record(breastfeeding=(not_breastfed(),), decisions=())
    assert tasks(record, code="DECISION-DUE") == [("DECISION-DUE", "high", D - days(200))]
    resolved = replace(record, decisions=(decision(D - days(199), plan="conservative"),))
    assert tasks(resolved, code="DECISION-DUE") == []


def test_no_decision_due_without_fractures_or_while_breastfeeding():
    assert tasks(settled_record(decisions=(), fractures=()), code="DECISION-DUE") == []
    assert tasks(settled_record(decisions=(), breastfeeding=(breastfed(),)), code="DECISION-DUE") == []


# --- REPEAT-FRACTURE ----------------------------------------------------------------

def _with_repeats(*extra, decisions=()):
    return settled_record(fractures=settled_record().fractures + tuple(extra), decisions=decisions)


def test_repeat_fracture_without_a_decision_is_urgent():
    record = _with_repeats(vertebral("t8", 1, D - days(20)), vertebral("t6", 1, D - days(10)))
    assert tasks(record, code="REPEAT-FRACTURE") == [("REPEAT-FRACTURE", "urgent", D - days(20))]


@pytest.mark.parametrize("decided, due", [(D - days(21), True), (D - days(20), False)])
def test_repeat_fracture_after_the_latest_decision(decided, due):
    record = _with_repeats(vertebral("t8", 1, D - days(20)), decisions=(decision(decided),))
    assert bool(tasks(record, code="REPEAT-FRACTURE")) is due


def test_repeat_fracture_earliest_since_the_decision():
    record = _with_repeats(vertebral("t8", 1, D - days(40)), vertebral("t6", 1, D - days(10)),
                           decisions=(decision(D - days(30)),))
    assert tasks(record, code="REPEAT-FRACTURE") == [("REPEAT-FRACTURE", "urgent", D - days(10))]


def test_same_level_same_grade_is_no_repeat_task():
    assert tasks(_with_repeats(vertebral("l1", 2, D - days(20))), code="REPEAT-FRACTURE") == []


# --- DEXA-DUE -----------------------------------------------------------------------

def test_dexa_due_without_dexa_from_the_index_date():
    assert tasks(settled_record(dexa=()), code="DEXA-DUE") == [("DEXA-DUE", "routine", D - days(150))]


@pytest.mark.parametrize("age, due", [(365, None), (366, D)])
def test_dexa_due_when_the_latest_is_more_than_365_days_old(age, due):
    record = settled_record(dexa=(scan("lumbar_spine", D - days(age), z=-2.5),))
    assert tasks(record, code="DEXA-DUE") == ([("DEXA-DUE", "routine", due)] if due else [])


def test_no_dexa_due_without_fragility_fractures():
    assert tasks(settled_record(dexa=(), fractures=()), code="DEXA-DUE") == []
    high = (replace(vertebral("l1", 2, D - days(150)), trauma="high"),)
    assert tasks(settled_record(dexa=(), fractures=high), code="DEXA-DUE") == []


# --- REFERRAL-OVERDUE, REFERRAL-UNSENT ----------------------------------------------

@pytest.mark.parametrize("urgency, age, due", [
    ("urgent", 14, None), ("urgent", 15, D),
    ("routine", 42, None), ("routine", 43, D),
])
def test_referral_overdue(urgency, age, due):
    sent = D - days(age)
    record = settled_record(referrals=(referral(urgency=urgency, created_on=sent, sent_on=sent),))
    assert tasks(record, code="REFERRAL-OVERDUE") == ([("REFERRAL-OVERDUE", "high", due)] if due else [])


def test_referral_overdue_goes_when_acknowledged():
    sent = D - days(60)
    record = settled_record(referrals=(referral(status="acknowledged", created_on=sent, sent_on=sent),))
    assert tasks(record, code="REFERRAL-OVERDUE") == []


@pytest.mark.parametrize("age, due", [(7, None), (8, D)])
def test_referral_unsent(age, due):
    record = settled_record(referrals=(referral(status="draft", created_on=D - days(age)),))
    assert tasks(record, code="REFERRAL-UNSENT") == ([("REFERRAL-UNSENT", "routine", due)] if due else [])


def test_referral_unsent_goes_when_sent():
    record = settled_record(referrals=(referral(status="sent", created_on=D - days(10), sent_on=D - days(1)),))
    assert tasks(record) == []


def test_one_task_per_overdue_referral():
    record = settled_record(referrals=(
        referral(ref="r1", urgency="urgent", created_on=D - days(20), sent_on=D - days(20)),
        referral(ref="r2", specialty="endocrinology", created_on=D - days(50), sent_on=D - days(50))))
    assert [(t.code, t.due_on) for t in worklist([record], D)] == [
        ("REFERRAL-OVERDUE", D - days(7)), ("REFERRAL-OVERDUE", D - days(5))]


def test_referral_overdue_names_the_letter_that_was_sent():
    sent = D - days(50)
    r1 = referral(ref="r1", specialty="endocrinology", created_on=sent, sent_on=sent)
    r2 = referral(ref="r2", specialty="rheumatology", created_on=sent, sent_on=sent)
    record = replace(settled_record(referrals=(r1, r2)), id=7)
    letter = SentLetter(title="Referral to endocrinology", issued_on=sent, document_id=12)
    (named,) = [t for t in patient_tasks(record, D, letters={"r1": letter}) if "endocrinology" in t.message]
    assert (f"(letter issued {written_date(sent)}: Referral to endocrinology, document 12) "
            "not acknowledged after 50 days") in named.message
    (unnamed,) = [t for t in patient_tasks(record, D, letters={"r1": letter}) if "rheumatology" in t.message]
    assert "letter issued" not in unnamed.message          # no letter of its own: none named
    by_patient = worklist([record], D, letters={7: {"r1": letter}})
    assert named in by_patient and unnamed in by_patient
    assert all("letter issued" not in t.message for t in worklist([record], D, letters={8: {"r1": letter}}))
    assert [(t.code, t.priority, t.due_on) for t in patient_tasks(record, D, letters={"r1": letter})] == \
        [(t.code, t.priority, t.due_on) for t in patient_tasks(record, D)]   # the letter changes words only


def test_the_caseload_worklist_names_the_letter_issued_for_an_overdue_referral(clinic):
    from tests.test_letters import ON, register_lucja, set_letterhead

    set_letterhead()
    patient_id, referral_id = register_lucja(clinic)
    letter_service.issue_letter(clinic.nurse, patient_id, referral_id, today=ON)
    waited = DEFAULT_SETTINGS.referral_overdue_urgent_days + 1
    later = ON + days(waited)
    (task,) = [t for t in services.caseload_worklist(later) if t.code == "REFERRAL-OVERDUE"]
    assert f"letter issued {written_date(ON)}: Referral to physiotherapy" in task.message
    assert f"not acknowledged after {waited} days" in task.message
    (overview_task,) = [t for t in services.caseload_overview(later).tasks if t.code == "REFERRAL-OVERDUE"]
    assert overview_task == task


# --- MOOD ---------------------------------------------------------------------------

@pytest.mark.parametrize("score, self_harm, priority", [
    (12, 0, None), (13, 0, "high"), (5, 1, "urgent"), (20, 3, "urgent"),
])
def test_mood(score, self_harm, priority):
    record = settled_record(epds=(epds(D - days(5), score, self_harm),))
    assert tasks(record, code="MOOD") == ([("MOOD", priority, D - days(5))] if priority else [])


def test_mood_reads_the_latest_epds_only():
    record = settled_record(epds=(epds(D - days(50), 20, 2), epds(D - days(5), 4, 0)))
    assert tasks(record, code="MOOD") == []


@pytest.mark.parametrize("status, created, resolved", [
    ("draft", D - days(5), True),       # made on the day of the assessment
    ("sent", D - days(2), True),
    ("seen", D - days(2), True),
    ("declined", D - days(2), False),
    ("cancelled", D - days(2), False),
    ("sent", D - days(6), False),       # before the assessment
    ("draft", D + days(1), False),      # after D
])
def test_mood_goes_when_a_mental_health_referral_is_made(status, created, resolved):
    record = settled_record(
        epds=(epds(D - days(5), 15, 1),),
        referrals=(referral("mental_health", status=status, urgency="urgent", created_on=created,
                            sent_on=created if status in ("sent", "seen") else None),))
    assert (tasks(record, code="MOOD") == []) is resolved


# --- WORKUP -------------------------------------------------------------------------

def test_workup_incomplete():
    record = with_blood(settled_record(), "tsh", None)
    assert tasks(record, code="WORKUP") == [("WORKUP", "routine", D - days(150))]
    assert tasks(with_blood(record, "tsh", 2.0, D - days(150)), code="WORKUP") == []
    assert tasks(with_blood(record, "tsh", 2.0, D - days(151)), code="WORKUP") != []


def test_no_workup_without_fractures():
    assert tasks(with_blood(settled_record(fractures=()), "tsh", None), code="WORKUP") == []


# --- DMAB-DUE -----------------------------------------------------------------------

@pytest.mark.parametrize("age, priority, due_after", [
    (166, None, None), (167, "high", 167), (210, "high", 167), (211, "urgent", 211),
])
def test_denosumab_due(age, priority, due_after):
    given = D - days(age)
    record = settled_record(medications=(dose("denosumab", D - days(400)), dose("denosumab", given)))
    expected = [("DMAB-DUE", priority, given + days(due_after))] if priority else []
    assert tasks(record, code="DMAB-DUE") == expected


def test_denosumab_followed_by_a_bisphosphonate_has_no_task():
    given = D - days(250)
    followed = settled_record(medications=(dose("denosumab", given), medication("alendronate", given + days(1))))
    same_day = settled_record(medications=(dose("denosumab", given), dose("zoledronate", given)))
    assert tasks(followed, code="DMAB-DUE") == []
    assert tasks(same_day, code="DMAB-DUE") == [("DMAB-DUE", "urgent", given + days(211))]


# --- PTH-LIMIT ----------------------------------------------------------------------

@pytest.mark.parametrize("started_days_ago, due", [(638, None), (639, D), (700, D - days(61))])
def test_pth_limit(started_days_ago, due):
    record = settled_record(medications=(medication("teriparatide", D - days(started_days_ago)),))
    assert tasks(record, code="PTH-LIMIT") == ([("PTH-LIMIT", "routine", due)] if due else [])


def test_pth_limit_counts_earlier_courses():
    earlier = medication("teriparatide", D - days(1000), D - days(901))             # 100 days
    current = medication("abaloparatide", D - days(599))                            # 600 days to D
    record = settled_record(medications=(earlier, current))
    assert tasks(record, code="PTH-LIMIT") == [("PTH-LIMIT", "routine", D - days(599) + days(539))]


def test_pth_limit_not_when_stopped_before_d():
    record = settled_record(medications=(medication("teriparatide", D - days(700), D - days(1)),))
    assert tasks(record, code="PTH-LIMIT") == []
    still_on = settled_record(medications=(medication("teriparatide", D - days(700), D),))
    assert tasks(still_on, code="PTH-LIMIT") != []


# --- HEIGHT-LOSS --------------------------------------------------------------------

@pytest.mark.parametrize("heights, lost", [
    ((160.0, 158.1), False),
    ((160.0, 158.0), True),
    ((163.3, 161.3), True),
    ((160.0, 158.5, 157.0, 156.1), False),   # 0.9 from the previous, 3.9 from the first
    ((160.0, 158.5, 157.0, 156.0), True),    # 4.0 from the first
    ((160.0,), False),
])
def test_height_loss(heights, lost):
    measured = tuple(height(D - days(300 - 100 * n), cm) for n, cm in enumerate(heights))
    record = settled_record(heights=measured)
    expected = [("HEIGHT-LOSS", "high", measured[-1].measured_on)] if lost else []
    assert tasks(record, code="HEIGHT-LOSS") == expected


def test_height_after_d_does_not_count():
    record = settled_record(heights=(height(D - days(100), 160.0), height(D + days(1), 150.0)))
    assert tasks(record, code="HEIGHT-LOSS") == []


# --- the list -----------------------------------------------------------------------

def test_ordering_priority_due_patient_code():
    first = settled_record(ref="a", nhs_number="9434765919", breastfeeding=(), heights=(
        height(D - days(100), 160.0), height(D - days(1), 157.0)))                  # LACTATION-UNKNOWN, HEIGHT-LOSS
    second = settled_record(ref="b", nhs_number="9434765870", decisions=(), epds=(epds(D - days(3), 8, 1),))
    third = well_documented_record(ref="c", nhs_number="4010232137", hospital_number="RX2",
                                   fractures=(vertebral("l1", 2, D - days(150)),))   # DEXA-DUE
    result = worklist([third, second, first], D)
    assert [(t.priority, t.due_on, t.patient, t.code) for t in result] == [
        ("urgent", D - days(3), "9434765870", "MOOD"),
        ("high", D - days(200), "9434765919", "LACTATION-UNKNOWN"),
        ("high", D - days(59), "9434765870", "DECISION-DUE"),
        ("high", D - days(1), "9434765919", "HEIGHT-LOSS"),
        ("routine", D - days(150), "4010232137", "DEXA-DUE"),
    ]


def test_same_priority_and_due_orders_by_patient_then_code():
    a = settled_record(nhs_number="9434765919", dexa=(), decisions=())
    b = settled_record(nhs_number="4010232137", dexa=(), decisions=())
    codes = [(t.patient, t.code) for t in worklist([a, b], D)]
    assert codes == [("4010232137", "DECISION-DUE"), ("9434765919", "DECISION-DUE"),
                     ("4010232137", "DEXA-DUE"), ("9434765919", "DEXA-DUE")]


def test_task_to_json():
    (task,) = worklist([settled_record(breastfeeding=())], D)
    assert task.to_json() == {
        "patient": "9434765919", "code": "LACTATION-UNKNOWN", "priority": "high",
        "due_on": "2024-11-13",  # the birth in treatable_record, D - 200 days
        "message": "Lactation unknown: record whether she breastfed after the birth on 13-Nov-2024."}
    assert isinstance(task, WorklistTask)


def test_worklist_reads_any_iterable_once_and_changes_nothing():
    records = [settled_record(breastfeeding=()), settled_record(nhs_number="9434765870", dexa=())]
    before = list(records)
    result = worklist(iter(records), D)
    assert {t.code for t in result} == {"LACTATION-UNKNOWN", "DEXA-DUE"}
    assert records == before
    assert worklist([], D) == []


def test_every_task_code_can_appear():
    given = D - days(250)
    record = well_documented_record(
        pregnancies=(birth("b1", D - days(400)), birth("b2", D - days(100), number=2)),
        breastfeeding=(breastfed("b1", D - days(400), planned_stop_on=D - days(10)),),
        fractures=(vertebral("l1", 2, D - days(300)), vertebral("l2", 1, D - days(20))),
        dexa=(DexaScan(ref="d", scanned_on=D - days(400), site="lumbar_spine", z_score=-2.5),),
        bloods=(blood("adjusted_calcium", 2.3, D - days(10)),),
        heights=(height(D - days(300), 165.0), height(D - days(2), 162.0)),
        epds=(epds(D - days(4), 14, 0),),
        medications=(dose("denosumab", given), medication("teriparatide", D - days(650))),
        referrals=(referral(ref="r1", created_on=D - days(60), sent_on=D - days(60)),
                   referral(ref="r2", status="draft", created_on=D - days(9))),
    )
    found = {t.code for t in patient_tasks(record, D)}
    # still breastfeeding after b1: lactation is `breastfeeding`, so neither unknown nor a decision due
    assert found == set(TASK_CODES) - {"DECISION-DUE", "LACTATION-UNKNOWN"}
    unknown = replace(record, breastfeeding=(breastfed("b1", D - days(400), stopped_on=D - days(110)),))
    assert "LACTATION-UNKNOWN" in {t.code for t in patient_tasks(unknown, D)}
    weaned = replace(record, breastfeeding=(breastfed("b1", D - days(400), stopped_on=D - days(110)),
                                            not_breastfed("b2")))
    assert "DECISION-DUE" in {t.code for t in patient_tasks(weaned, D)}


def _facts_one_by_one(record, d, settings=DEFAULT_SETTINGS):
    """Every fact of `ClinicalFacts`, each asked of its own public function (the definitions)."""
    from pao_clinic.gate import facts as f

    fractures = f.fragility_fractures(record, d)
    return dict(
        on=d, pregnant=f.is_pregnant_on(record, d), births=f.births_on(record, d),
        lactation=f.lactation_status_on(record, d),
        breastfeeding_entries=f.feeding_entries_breastfeeding_on(record, d),
        birth_without_feeding_entry=f.birth_without_feeding_entry(record, d),
        fragility_fractures=fractures, index_date=f.index_date(record, d),
        presentation=f.presentation_fractures(record, d, settings),
        repeat_fractures=f.repeat_fractures(record, d, settings),
        vertebral_levels_at_presentation=f.vertebral_levels_at_presentation(record, d, settings),
        latest_dexa=f.latest_dexa(record, d), lowest_z=f.lowest_z(record, d),
        anabolic_days_used=f.anabolic_days_used(record, d),
        indication_features=f.indication_features(record, d, settings),
        missing_workup=f.missing_workup(record, d),
        postmenopausal="postmenopausal" in record.history, sterilised="sterilised" in record.history,
    )


def _same_facts(record, d):
    from pao_clinic.gate import clinical_facts

    expected = _facts_one_by_one(record, d)
    facts = clinical_facts(record, d)
    assert {name: getattr(facts, name) for name in expected} == expected, record.identifier
    return facts


def test_clinical_facts_worked_out_at_once_equal_each_fact_asked_alone():
    """clinical_facts hands each part on (and answers at once for an empty list): the same facts as asking each."""
    from pao_clinic.demo import demo_caseload

    seen = set()
    for record in demo_caseload(400, seed=7, today=D):
        for d in (D, D - days(200), D - days(3000)):
            facts = _same_facts(record, d)
            seen.add(facts.lactation)
            seen.update(("repeats",) if facts.repeat_fractures else ())
            seen.update(("features",) if facts.indication_features else ())
            seen.update(("no fractures",) if not facts.fragility_fractures else ())
    # the comparison covered what matters: lactation statuses, repeats, indications, women without fractures
    assert {"breastfeeding", "ceased", "not_breastfed", "not_applicable", "repeats", "features",
            "no fractures"} <= seen


@settings(max_examples=150, deadline=None, derandomize=True)
@given(st.one_of(she_cannot_be_treated(), cases()), st.integers(-400, 400))
def test_clinical_facts_equal_each_fact_asked_alone_for_any_history(case, shift):
    """Histories the gate's property tests draw (pregnant, breastfeeding, lactation unknown), on D and around it."""
    record, d = case[0], case[1]
    _same_facts(record, d + days(shift))


def test_the_collector_is_paused_while_reading_and_back_after_even_on_an_error():
    import gc

    from pao_clinic.services.snapshots import collector_paused

    assert gc.isenabled()
    with collector_paused():
        assert not gc.isenabled()
        with collector_paused():  # nested (another thread reading at the same time)
            assert not gc.isenabled()
        assert not gc.isenabled()
    assert gc.isenabled()
    with pytest.raises(ZeroDivisionError):
        with collector_paused():
            1 / 0
    assert gc.isenabled()
    gc.disable()  # off before: left off
    try:
        with collector_paused():
            pass
        assert not gc.isenabled()
    finally:
        gc.enable()
