"""The clinical facts, each judged as of D (medication-gate.md, Clinical facts)."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

import pytest

from pao_clinic.record import codes
from pao_clinic.clinic_settings import DEFAULT_SETTINGS
from pao_clinic.gate import facts as f
from tests.gate_builders import (
    D,
    birth,
    blood,
    breastfed,
    days,
    fracture,
    medication,
    not_breastfed,
    ongoing_pregnancy,
    scan,
    vertebral,
    well_documented_record,
)


# --- pregnancy ----------------------------------------------------------------------

def test_pregnant_with_an_ongoing_pregnancy():
    assert f.is_pregnant_on(well_documented_record(pregnancies=(ongoing_pregnancy(),)), D)


def test_pregnant_on_d_when_the_pregnancy_ends_after_d():
    record = well_documented_record(pregnancies=(birth(ended_on=D + days(1)),))
    assert f.is_pregnant_on(record, D)
    assert f.births_on(record, D) == ()
    assert not f.is_pregnant_on(record, D + days(1))
    assert f.births_on(record, D + days(1)) == record.pregnancies


def test_not_pregnant_once_every_pregnancy_has_ended():
    record = well_documented_record(pregnancies=(birth(ended_on=D),))
    assert not f.is_pregnant_on(record, D)
    assert f.births_on(record, D) == record.pregnancies


@pytest.mark.parametrize("outcome", ["miscarriage", "termination"])
def test_miscarriage_and_termination_are_not_births(outcome):
    record = well_documented_record(pregnancies=(birth(ended_on=D - days(30), outcome=outcome),))
    assert f.births_on(record, D) == ()
    assert f.lactation_status_on(record, D) == "not_applicable"


def test_stillbirth_is_a_birth():
    record = well_documented_record(pregnancies=(birth(ended_on=D - days(30), outcome="stillbirth"),))
    assert f.lactation_status_on(record, D) == "unknown"


# --- breastfeeding and lactation ----------------------------------------------------

@pytest.mark.parametrize("stopped, expected", [
    (D + days(1), "breastfeeding"),   # a planned stop, for a check on D
    (D, "breastfeeding"),             # the day of the last feed counts
    (D - days(1), "ceased"),          # ceased from the next day
])
def test_feeding_stop_boundary(stopped, expected):
    record = well_documented_record(
        pregnancies=(birth(),), breastfeeding=(breastfed(stopped_on=stopped),))
    assert f.lactation_status_on(record, D) == expected
    assert bool(f.feeding_entries_breastfeeding_on(record, D)) == (expected == "breastfeeding")


def test_feeding_started_after_d_does_not_exist_on_d():
    record = well_documented_record(pregnancies=(birth(ended_on=D),), breastfeeding=(breastfed(started_on=D + days(1)),))
    assert f.feeding_entries_breastfeeding_on(record, D) == ()
    assert f.lactation_status_on(record, D) == "unknown"
    assert f.lactation_status_on(record, D + days(1)) == "breastfeeding"


def test_lactation_not_applicable_without_births():
    assert f.lactation_status_on(well_documented_record(), D) == "not_applicable"


def test_lactation_unknown_when_the_most_recent_birth_has_no_entry():
    record = well_documented_record(
        pregnancies=(birth("b1", D - days(900)), birth("b2", D - days(100), number=2)),
        breastfeeding=(breastfed("b1", D - days(900), stopped_on=D - days(600)),),
    )
    assert f.lactation_status_on(record, D) == "unknown"
    assert f.birth_without_feeding_entry(record, D).ref == "b2"
    # before the second birth she had ceased
    assert f.lactation_status_on(record, D - days(101)) == "ceased"


def test_lactation_not_breastfed():
    record = well_documented_record(pregnancies=(birth(),), breastfeeding=(not_breastfed(),))
    assert f.lactation_status_on(record, D) == "not_breastfed"


def test_breastfeeding_comes_first_even_when_the_latest_birth_has_no_entry():
    record = well_documented_record(
        pregnancies=(birth("b1", D - days(400)), birth("b2", D - days(10), number=2)),
        breastfeeding=(breastfed("b1", D - days(400)),),
    )
    assert f.lactation_status_on(record, D) == "breastfeeding"


def test_every_lactation_status_is_a_code():
    record = well_documented_record(pregnancies=(birth(),), breastfeeding=(breastfed(),))
    assert f.lactation_status_on(record, D) in codes.LACTATION_STATUSES


# --- fractures ----------------------------------------------------------------------

def test_high_trauma_fractures_are_not_fragility_fractures():
    record = well_documented_record(fractures=(
        fracture("wrist", D - days(100), "left", trauma="high"), fracture("rib", D - days(50), "left")))
    assert [x.site for x in f.fragility_fractures(record, D)] == ["rib"]
    assert f.index_date(record, D) == D - days(50)


def test_fractures_after_d_do_not_exist():
    record = well_documented_record(fractures=(vertebral("l1", 2, D + days(1)),))
    assert f.fragility_fractures(record, D) == ()
    assert f.index_date(record, D) is None


@pytest.mark.parametrize("later, in_presentation", [(14, True), (15, False)])
def test_presentation_window_is_index_date_plus_14_days(later, in_presentation):
    first = D - days(100)
    record = well_documented_record(fractures=(vertebral("l1", 2, first), vertebral("l2", 2, first + days(later))))
    assert (len(f.presentation_fractures(record, D)) == 2) is in_presentation
    assert f.vertebral_fractures_at_presentation(record, D) == (2 if in_presentation else 1)
    assert (len(f.repeat_fractures(record, D)) == 1) is not in_presentation


def test_presentation_window_is_a_setting():
    first = D - days(100)
    record = well_documented_record(fractures=(vertebral("l1", 2, first), vertebral("l2", 2, first + days(20))))
    settings = replace(DEFAULT_SETTINGS, presentation_window_days=21)
    assert f.vertebral_fractures_at_presentation(record, D, settings) == 2
    assert f.repeat_fractures(record, D, settings) == ()


def test_vertebral_fractures_at_presentation_counts_distinct_levels():
    first = D - days(100)
    record = well_documented_record(fractures=(
        vertebral("l1", 1, first), vertebral("l1", 2, first + days(3)), fracture("sacrum", first)))
    assert f.vertebral_levels_at_presentation(record, D) == ("l1",)


@pytest.mark.parametrize("grade, repeat", [(1, False), (2, False), (3, True)])
def test_same_level_later_is_a_repeat_only_at_a_higher_grade(grade, repeat):
    first = D - days(100)
    record = well_documented_record(fractures=(vertebral("l3", 2, first), vertebral("l3", grade, first + days(30))))
    assert (len(f.repeat_fractures(record, D)) == 1) is repeat


def test_progression_must_exceed_every_strictly_earlier_record_of_that_level():
    first = D - days(200)
    record = well_documented_record(fractures=(
        vertebral("l3", 1, first), vertebral("l3", 3, first + days(30)), vertebral("l3", 2, first + days(60))))
    assert [x.genant_grade for x in f.repeat_fractures(record, D)] == [3]


def test_new_level_after_presentation_is_a_repeat():
    first = D - days(100)
    record = well_documented_record(fractures=(vertebral("l3", 1, first), vertebral("l1", 1, first + days(15))))
    assert [x.site for x in f.repeat_fractures(record, D)] == ["l1"]


def test_site_with_side():
    first = D - days(100)
    same = well_documented_record(fractures=(
        fracture("hip", first, "left"), fracture("hip", first + days(40), "left")))
    other_side = well_documented_record(fractures=(
        fracture("hip", first, "left"), fracture("hip", first + days(40), "right")))
    assert f.repeat_fractures(same, D) == ()
    assert len(f.repeat_fractures(other_side, D)) == 1


def test_every_other_fracture_is_a_site_of_its_own():
    first = D - days(100)
    record = well_documented_record(fractures=(
        fracture("other", first, ref="o1"), fracture("other", first + days(40), ref="o2"),
        fracture("other", first + days(60), ref="o3")))
    assert [x.ref for x in f.repeat_fractures(record, D)] == ["o2", "o3"]


def test_sacrum_is_not_a_vertebral_level():
    first = D - days(100)
    record = well_documented_record(fractures=(fracture("sacrum", first), fracture("coccyx", first)))
    assert f.vertebral_fractures_at_presentation(record, D) == 0


def test_high_trauma_fractures_count_neither_as_index_nor_as_earlier_site():
    first = D - days(100)
    record = well_documented_record(fractures=(
        vertebral("l1", 3, first - days(50), trauma="high"), vertebral("l2", 1, first), vertebral("l1", 1, first + days(30))))
    assert f.index_date(record, D) == first
    assert [x.site for x in f.repeat_fractures(record, D)] == ["l1"]
    assert f.grade_3_vertebral_fractures(record, D) == ()


def test_same_site_twice_on_one_day_counts_once():
    first = D - days(100)
    record = well_documented_record(fractures=(
        vertebral("l3", 1, first), vertebral("l1", 1, first + days(30), ref="a"),
        vertebral("l1", 2, first + days(30), ref="b")))
    assert [x.ref for x in f.repeat_fractures(record, D)] == ["b"]


# --- DEXA ---------------------------------------------------------------------------

def test_latest_dexa_and_lowest_z():
    record = well_documented_record(dexa=(
        scan("lumbar_spine", D - days(400), z=-3.0),
        scan("lumbar_spine", D - days(30), z=-1.8), scan("total_hip", D - days(30), z=-2.1),
        scan("lumbar_spine", D + days(1), z=-4.0)))
    assert {s.site for s in f.latest_dexa(record, D)} == {"lumbar_spine", "total_hip"}
    assert f.lowest_z(record, D) == -2.1
    assert f.lowest_z(record, D - days(31)) == -3.0


def test_lowest_z_is_none_without_dexa_or_with_t_scores_only():
    assert f.lowest_z(well_documented_record(), D) is None
    record = well_documented_record(dexa=(scan("lumbar_spine", D - days(400), z=-3.0), scan("lumbar_spine", D - days(10), t=-2.9)))
    assert f.lowest_z(record, D) is None


# --- bloods -------------------------------------------------------------------------

@pytest.mark.parametrize("age, found", [(90, True), (91, False)])
def test_latest_result_within_90_days(age, found):
    record = well_documented_record(bloods=(blood("egfr", 80, D - days(age)),))
    assert (f.latest_result(record, "egfr", D, within_days=90) is not None) is found
    assert f.latest_result(record, "egfr", D) is not None


def test_latest_result_ignores_results_after_d():
    record = well_documented_record(bloods=(blood("egfr", 80, D - days(5)), blood("egfr", 20, D + days(1))))
    assert f.latest_result(record, "egfr", D).value == 80


def test_latest_results_on_the_same_day_are_all_returned():
    record = well_documented_record(bloods=(
        blood("adjusted_calcium", 2.3, D - days(5)), blood("adjusted_calcium", 2.1, D - days(5)),
        blood("adjusted_calcium", 2.0, D - days(50))))
    assert sorted(r.value for r in f.latest_results(record, "adjusted_calcium", D)) == [2.1, 2.3]


def test_missing_workup_counts_results_on_or_after_the_index_date():
    first = D - days(100)
    record = well_documented_record(
        fractures=(vertebral("l1", 2, first),),
        bloods=tuple(blood(t, 1.0, first - days(1)) for t in ("phosphate", "tsh"))
        + tuple(blood(t, 1.0, first) for t in ("adjusted_calcium", "alkaline_phosphatase", "creatinine",
                                                  "vitamin_d_25oh", "pth", "full_blood_count")))
    assert f.missing_workup(record, D) == ("phosphate", "TSH")


def test_missing_workup_without_fractures_counts_any_result():
    record = well_documented_record(bloods=(blood("egfr", 90, date(2001, 1, 1)),))
    assert "creatinine or eGFR" not in f.missing_workup(record, D)
    assert f.missing_workup(well_documented_record(), D) == ()


# --- anabolic days ------------------------------------------------------------------

def test_anabolic_days_used_counts_both_ends_and_stops_at_d():
    record = well_documented_record(medications=(
        medication("teriparatide", D - days(99), D - days(90)),      # 10 days
        medication("abaloparatide", D - days(9)),                   # ongoing: 10 days to D
        medication("teriparatide", D - days(4), D + days(100)),     # stopped after D: 5 days
        medication("teriparatide", D + days(1)),                    # after D: none
        medication("alendronate", D - days(300)),                   # not a PTH analogue
    ))
    assert f.anabolic_days_used(record, D) == 25


def test_anabolic_days_used_is_zero_without_pth_analogue():
    assert f.anabolic_days_used(well_documented_record(), D) == 0


# --- indication features and the facts at once --------------------------------------

def test_indication_features_in_plain_english():
    first = D - days(100)
    record = well_documented_record(
        fractures=(vertebral("l1", 2, first), vertebral("t12", 3, first), vertebral("l4", 1, first + days(40))),
        dexa=(scan("lumbar_spine", D - days(10), z=-2.4),))
    features = f.indication_features(record, D)
    assert features == (
        f"1 repeat fracture (L4 grade 1 on {f.written_date(first + days(40))})",
        "2 vertebral fractures at presentation",
        "grade 3 vertebral fracture at T12",
        "Z-score -2.4 at lumbar spine",
    )


@pytest.mark.parametrize("z, holds", [(-2.0, True), (-1.9, False)])
def test_z_score_indication_at_the_boundary(z, holds):
    record = well_documented_record(dexa=(scan("total_hip", D - days(10), z=z),))
    assert bool(f.indication_features(record, D)) is holds


def test_no_indication_features():
    record = well_documented_record(fractures=(vertebral("l3", 2, D - days(50)),))
    assert f.indication_features(record, D) == ()


def test_clinical_facts_gathers_the_facts_once():
    record = well_documented_record(
        pregnancies=(birth(),), breastfeeding=(breastfed(),),
        fractures=(vertebral("l1", 2, D - days(100)), vertebral("l2", 2, D - days(100))),
        dexa=(scan("lumbar_spine", D - days(90), z=-2.6),),
        history=("sterilised",))
    facts = f.clinical_facts(record, D)
    assert facts.lactation == "breastfeeding" and facts.breastfeeding
    assert facts.vertebral_fractures_at_presentation == 2
    assert facts.index_date == D - days(100)
    assert facts.lowest_z == -2.6
    assert facts.sterilised and not facts.postmenopausal
    assert facts.repeat_fractures == ()


def test_written_date_is_locale_free():
    assert f.written_date(date(2025, 6, 30)) == "30-Jun-2025"
    assert f.written_number(2.2) == "2.2"
    assert f.written_number(-2.0) == "-2.0"
    assert f.written_number(130.1) == "130.1"
