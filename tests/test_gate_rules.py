"""Each rule of the medication gate: a case where it fires and a near case where it does not."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime

import pytest

from pao_clinic.record import codes
from pao_clinic.clinic_settings import DEFAULT_SETTINGS
from pao_clinic.errors import ValidationError
from pao_clinic.gate import RULE_IDS, check_medication
from pao_clinic.record import Contraception, DentalReview
from tests.gate_builders import (
    D,
    birth,
    breastfed,
    days,
    dose,
    medication,
    not_breastfed,
    ongoing_pregnancy,
    scan,
    treatable_record,
    vertebral,
    well_documented_record,
    with_blood,
)


def fired(record, drug, on=D, **kwargs) -> dict[str, str]:
    """Rule id -> level of every rule that fired."""
    return {r.id: r.level for r in check_medication(record, drug, on, **kwargs).rules}


def message(record, drug, rule_id, on=D, **kwargs) -> str:
    (found,) = [r for r in check_medication(record, drug, on, **kwargs).rules if r.id == rule_id]
    return found.message


# --- the baseline: nothing fires that should not ------------------------------------

@pytest.mark.parametrize("drug, verdict, expected", [
    ("alendronate", "allowed", {"IND-2": "info", "PREG-2": "info"}),
    ("risedronate", "allowed", {"IND-2": "info", "PREG-2": "info"}),
    ("ibandronate", "allowed", {"IND-2": "info", "PREG-2": "info"}),
    ("zoledronate", "allowed", {"IND-2": "info", "PREG-2": "info"}),
    ("teriparatide", "allowed", {"IND-2": "info", "PREG-2": "info"}),
    ("denosumab", "needs_reason", {"DMAB-2": "warn", "IND-2": "info", "PREG-2": "info"}),
    ("abaloparatide", "needs_reason", {"OFF-1": "warn", "IND-2": "info", "PREG-2": "info"}),
    ("romosozumab", "needs_reason", {"OFF-1": "warn", "IND-2": "info", "PREG-2": "info"}),
    ("raloxifene", "blocked", {"RAL-1": "block", "IND-2": "info"}),
    ("calcium_vitamin_d", "allowed", {"SUP-1": "info"}),
])
def test_treatable_record_baseline(drug, verdict, expected):
    result = check_medication(treatable_record(), drug, D)
    assert result.verdict == verdict
    assert {r.id: r.level for r in result.rules} == expected


# --- PREG-1 -------------------------------------------------------------------------

def test_preg_1_blocks_in_an_ongoing_pregnancy():
    record = treatable_record(pregnancies=treatable_record().pregnancies + (ongoing_pregnancy(),))
    assert fired(record, "alendronate")["PREG-1"] == "block"


@pytest.mark.parametrize("ended, fires", [(D + days(1), True), (D, False)])
def test_preg_1_pregnancy_ending_after_d(ended, fires):
    record = treatable_record(
        pregnancies=(birth("b1", D - days(400)), birth("b2", ended, number=2)),
        breastfeeding=(breastfed("b1", D - days(400), D - days(300)), not_breastfed("b2")))
    assert ("PREG-1" in fired(record, "zoledronate")) is fires


# --- BF-1 ---------------------------------------------------------------------------

def test_bf_1_last_feed_on_d_blocks_and_review_is_the_next_day():
    record = treatable_record(breastfeeding=(breastfed(stopped_on=D),))
    result = check_medication(record, "zoledronate", D)
    assert result.verdict == "blocked"
    assert result.rule_ids("block") == ("BF-1",)
    assert result.review_on == D + days(1)


def test_bf_1_last_feed_the_day_before_has_ceased():
    record = treatable_record(breastfeeding=(breastfed(stopped_on=D - days(1)),))
    result = check_medication(record, "zoledronate", D)
    assert "BF-1" not in result.rule_ids()
    assert result.verdict == "allowed"
    assert result.review_on is None
    assert result.facts.lactation == "ceased"


def test_bf_1_planned_stop_sets_the_review_date():
    record = treatable_record(breastfeeding=(breastfed(planned_stop_on=D + days(29)),))
    result = check_medication(record, "alendronate", D)
    assert result.verdict == "blocked"
    assert result.review_on == D + days(30)
    assert "planned to stop on 30-Jun-2025" in message(record, "alendronate", "BF-1")


def test_bf_1_without_a_stop_date_has_no_review_date():
    record = treatable_record(breastfeeding=(breastfed(),))
    result = check_medication(record, "alendronate", D)
    assert result.rule_ids("block") == ("BF-1",)
    assert result.review_on is None


def test_bf_1_planned_stop_already_passed_has_no_review_date():
    record = treatable_record(breastfeeding=(breastfed(planned_stop_on=D - days(1)),))
    result = check_medication(record, "alendronate", D)
    assert result.rule_ids("block") == ("BF-1",)
    assert result.review_on is None


def test_bf_1_one_entry_without_end_means_no_review_date():
    record = treatable_record(
        pregnancies=(birth("b1", D - days(400)), birth("b2", D - days(100), number=2)),
        breastfeeding=(breastfed("b1", D - days(400)), breastfed("b2", D - days(100), planned_stop_on=D + days(10))))
    assert check_medication(record, "alendronate", D).review_on is None


def test_bf_1_review_is_after_the_latest_stop_of_entries_feeding_on_d():
    record = treatable_record(
        pregnancies=(birth("b1", D - days(400)), birth("b2", D - days(100), number=2)),
        breastfeeding=(breastfed("b1", D - days(400), stopped_on=D + days(5)),
                       breastfed("b2", D - days(100), planned_stop_on=D + days(10))))
    assert check_medication(record, "alendronate", D).review_on == D + days(11)


def test_bf_1_says_local_policy_and_never_claims_harm():
    text = message(treatable_record(breastfeeding=(breastfed(),)), "alendronate", "BF-1")
    assert "local policy" in text
    assert "harm" not in text.lower() and "unsafe" not in text.lower()


# --- DATA-1 -------------------------------------------------------------------------

def test_data_1_blocks_when_the_most_recent_birth_has_no_feeding_entry():
    record = treatable_record(breastfeeding=())
    found = fired(record, "alendronate")
    assert found["DATA-1"] == "block"
    assert "BF-1" not in found


def test_data_1_does_not_fire_with_a_feeding_entry():
    assert "DATA-1" not in fired(treatable_record(breastfeeding=(not_breastfed(),)), "alendronate")


# --- RAL-1 --------------------------------------------------------------------------

@pytest.mark.parametrize("history, fires", [((), True), (("sterilised",), True), (("postmenopausal",), False)])
def test_ral_1(history, fires):
    assert ("RAL-1" in fired(treatable_record(history=history), "raloxifene")) is fires


# --- PTH-1 --------------------------------------------------------------------------

def _used(n: int):
    """A stopped teriparatide course of n days."""
    start = D - days(2000)
    return (medication("teriparatide", start, start + days(n - 1)),)


@pytest.mark.parametrize("used, course, fires", [
    (0, None, False),      # 0 + 730 (the default course) = 730
    (0, 731, True),
    (1, None, True),       # 1 + 730 > 730
    (100, 630, False),
    (100, 631, True),
    (730, 1, True),
])
def test_pth_1_lifetime_limit(used, course, fires):
    record = treatable_record(medications=_used(used) if used else ())
    assert check_medication(record, "teriparatide", D).facts.anabolic_days_used == used
    assert ("PTH-1" in fired(record, "teriparatide", course_days=course)) is fires


def test_pth_1_message_gives_the_days_that_remain():
    text = message(treatable_record(medications=_used(100)), "abaloparatide", "PTH-1")
    assert "100 days used" in text and "630 remain" in text


def test_pth_1_limit_is_a_setting():
    settings = replace(DEFAULT_SETTINGS, pth_lifetime_days=1000, default_course_days=730)
    assert "PTH-1" not in fired(treatable_record(medications=_used(200)), "teriparatide", settings=settings)


# --- PTH-2 --------------------------------------------------------------------------

@pytest.mark.parametrize("code", ["skeletal_radiotherapy", "bone_malignancy", "other_metabolic_bone_disease"])
def test_pth_2_history(code):
    found = fired(treatable_record(history=(code,)), "teriparatide")
    assert found["PTH-2"] == "block"
    assert "PTH-2" not in fired(treatable_record(history=(code,)), "alendronate")


@pytest.mark.parametrize("calcium, fires", [(2.60, False), (2.61, True)])
def test_pth_2_high_calcium(calcium, fires):
    record = with_blood(treatable_record(), "adjusted_calcium", calcium)
    assert ("PTH-2" in fired(record, "teriparatide")) is fires


@pytest.mark.parametrize("egfr, fires", [(30, False), (29.9, True)])
def test_pth_2_low_egfr(egfr, fires):
    record = with_blood(treatable_record(), "egfr", egfr)
    assert ("PTH-2" in fired(record, "abaloparatide")) is fires


@pytest.mark.parametrize("age, pth_2", [(90, True), (91, False)])
def test_pth_2_reads_results_within_90_days(age, pth_2):
    record = with_blood(treatable_record(), "adjusted_calcium", 2.9, D - days(age))
    found = fired(record, "teriparatide")
    assert ("PTH-2" in found) is pth_2
    assert ("PTH-3" in found) is not pth_2


# --- PTH-3 --------------------------------------------------------------------------

@pytest.mark.parametrize("test", ["adjusted_calcium", "alkaline_phosphatase", "egfr"])
@pytest.mark.parametrize("age, fires", [(90, False), (91, True)])
def test_pth_3_results_within_90_days(test, age, fires):
    record = with_blood(treatable_record(), test, 100 if test != "adjusted_calcium" else 2.4, D - days(age))
    assert ("PTH-3" in fired(record, "teriparatide")) is fires


def test_pth_3_names_what_is_missing():
    record = with_blood(treatable_record(), "alkaline_phosphatase", None)
    assert "alkaline phosphatase" in message(record, "teriparatide", "PTH-3")


# --- AR-1 ---------------------------------------------------------------------------

@pytest.mark.parametrize("calcium, fires", [(2.19, True), (2.20, False)])
@pytest.mark.parametrize("drug", sorted(codes.ANTIRESORPTIVES))
def test_ar_1_low_calcium(drug, calcium, fires):
    record = with_blood(treatable_record(), "adjusted_calcium", calcium)
    found = fired(record, drug)
    assert (found.get("AR-1") == "block") is fires


def test_ar_1_only_for_antiresorptives():
    record = with_blood(treatable_record(), "adjusted_calcium", 2.0)
    assert "AR-1" not in fired(record, "teriparatide")
    assert "2.0 mmol/L" in message(record, "alendronate", "AR-1")


def test_ar_1_threshold_is_a_setting():
    record = with_blood(treatable_record(), "adjusted_calcium", 2.25)
    settings = replace(DEFAULT_SETTINGS, calcium_low_mmol_l=2.30)
    assert "AR-1" in fired(record, "alendronate", settings=settings)
    assert "AR-1" not in fired(record, "alendronate")


def test_ar_1_judges_the_worse_of_two_results_on_the_latest_day():
    record = treatable_record()
    record = replace(record, bloods=record.bloods + (replace(record.bloods[0], value=2.10),))
    assert "AR-1" in fired(record, "alendronate")


# --- AR-2 ---------------------------------------------------------------------------

@pytest.mark.parametrize("drug, level", [
    ("zoledronate", "block"), ("denosumab", "block"),
    ("alendronate", "warn"), ("risedronate", "warn"), ("ibandronate", "warn"),
])
def test_ar_2_low_vitamin_d(drug, level):
    assert fired(with_blood(treatable_record(), "vitamin_d_25oh", 49.9), drug)["AR-2"] == level
    assert "AR-2" not in fired(with_blood(treatable_record(), "vitamin_d_25oh", 50), drug)


def test_ar_2_not_for_other_drugs():
    assert "AR-2" not in fired(with_blood(treatable_record(), "vitamin_d_25oh", 20), "teriparatide")


# --- AR-3 ---------------------------------------------------------------------------

@pytest.mark.parametrize("test", ["adjusted_calcium", "egfr", "vitamin_d_25oh"])
@pytest.mark.parametrize("drug, level", [("zoledronate", "block"), ("denosumab", "block"), ("alendronate", "warn")])
def test_ar_3_missing_results(test, drug, level):
    value = {"adjusted_calcium": 2.4, "egfr": 90, "vitamin_d_25oh": 80}[test]
    assert fired(with_blood(treatable_record(), test, value, D - days(91)), drug)["AR-3"] == level
    assert "AR-3" not in fired(with_blood(treatable_record(), test, value, D - days(90)), drug)
    assert fired(with_blood(treatable_record(), test, None), drug)["AR-3"] == level


def test_ar_3_not_for_pth_analogues():
    assert "AR-3" not in fired(with_blood(treatable_record(), "vitamin_d_25oh", None), "teriparatide")


# --- REN-1 --------------------------------------------------------------------------

@pytest.mark.parametrize("drug, egfr, level", [
    ("zoledronate", 34.9, "block"), ("zoledronate", 35, None),
    ("alendronate", 34.9, "warn"), ("alendronate", 35, None),
    ("risedronate", 34.9, None), ("risedronate", 29.9, "warn"), ("risedronate", 30, None),
    ("ibandronate", 29.9, "warn"), ("ibandronate", 30, None),
    ("denosumab", 29.9, "warn"), ("denosumab", 30, None),
    ("teriparatide", 34.9, None), ("romosozumab", 20, None),
])
def test_ren_1(drug, egfr, level):
    assert fired(with_blood(treatable_record(), "egfr", egfr), drug).get("REN-1") == level


def test_ren_1_ignores_egfr_older_than_90_days():
    record = with_blood(treatable_record(), "egfr", 20, D - days(91))
    assert "REN-1" not in fired(record, "zoledronate")


# --- IND-1, DXA-1 -------------------------------------------------------------------

def _one_fracture(z):
    return treatable_record(
        fractures=(vertebral("l3", 2, D - days(150)),),
        dexa=(scan("lumbar_spine", D - days(50), z=z),) if z is not None else ())


@pytest.mark.parametrize("z, fires", [(-1.9, True), (-2.0, False)])
def test_ind_1_without_indication(z, fires):
    found = fired(_one_fracture(z), "alendronate")
    assert ("IND-1" in found) is fires
    assert ("IND-2" in found) is not fires


def test_ind_1_grade_3_is_an_indication():
    record = treatable_record(fractures=(vertebral("l3", 3, D - days(150)),), dexa=(scan("lumbar_spine", D - days(50), z=-1.0),))
    assert "IND-1" not in fired(record, "alendronate")


def test_dxa_1_without_dexa():
    found = fired(_one_fracture(None), "alendronate")
    assert found["DXA-1"] == "warn"
    assert found["IND-1"] == "warn"


def test_dxa_1_with_t_scores_only():
    record = treatable_record(dexa=(scan("lumbar_spine", D - days(50), t=-3.1),))
    assert "T-score" in message(record, "alendronate", "DXA-1")


def test_dxa_1_not_with_a_z_score():
    assert "DXA-1" not in fired(_one_fracture(-0.5), "alendronate")


# --- PTH-ALP ------------------------------------------------------------------------

@pytest.mark.parametrize("alp, fires", [(130, False), (130.1, True)])
def test_pth_alp(alp, fires):
    record = with_blood(treatable_record(), "alkaline_phosphatase", alp)
    assert (fired(record, "teriparatide").get("PTH-ALP") == "warn") is fires
    assert "PTH-ALP" not in fired(record, "alendronate")


# --- BP-1 ---------------------------------------------------------------------------

@pytest.mark.parametrize("plan, fires", [("yes", True), ("unsure", True), (None, True), ("no", False)])
def test_bp_1_future_pregnancy_plan(plan, fires):
    record = treatable_record(future_pregnancy_plan=plan)
    assert (fired(record, "zoledronate").get("BP-1") == "warn") is fires
    assert "BP-1" not in fired(record, "denosumab")


# --- CON-1 --------------------------------------------------------------------------

def _contraception(*items):
    return tuple(Contraception(recorded_on=d, method=m, effective=e) for d, m, e in items)


def test_con_1_no_contraception_recorded():
    assert fired(treatable_record(contraception=()), "alendronate")["CON-1"] == "warn"


def test_con_1_latest_record_not_effective():
    record = treatable_record(contraception=_contraception(
        (D - days(300), "implant", True), (D - days(20), "none", False)))
    assert "CON-1" in fired(record, "alendronate")


def test_con_1_latest_record_effective():
    record = treatable_record(contraception=_contraception(
        (D - days(300), "none", False), (D - days(20), "implant", True), (D + days(1), "none", False)))
    assert "CON-1" not in fired(record, "alendronate")


@pytest.mark.parametrize("history", [("postmenopausal",), ("sterilised",)])
def test_con_1_not_when_she_cannot_become_pregnant(history):
    assert "CON-1" not in fired(treatable_record(contraception=(), history=history), "alendronate")


def test_con_1_not_for_raloxifene():
    assert "CON-1" not in fired(treatable_record(contraception=()), "raloxifene")


# --- OFF-1, DMAB-2 ------------------------------------------------------------------

@pytest.mark.parametrize("drug", ["romosozumab", "abaloparatide"])
def test_off_1(drug):
    assert fired(treatable_record(), drug)["OFF-1"] == "warn"
    assert "OFF-1" not in fired(treatable_record(history=("postmenopausal",)), drug)
    assert "OFF-1" not in fired(treatable_record(), "teriparatide")


def test_dmab_2():
    assert fired(treatable_record(), "denosumab")["DMAB-2"] == "warn"
    assert "DMAB-2" not in fired(treatable_record(history=("postmenopausal",)), "denosumab")


# --- DEN-1 --------------------------------------------------------------------------

@pytest.mark.parametrize("age, fires", [(365, False), (366, True)])
@pytest.mark.parametrize("drug", ["zoledronate", "denosumab", "alendronate", "romosozumab"])
def test_den_1_dental_review_within_365_days(drug, age, fires):
    record = treatable_record(dental_reviews=(DentalReview(reviewed_on=D - days(age)),))
    assert (fired(record, drug).get("DEN-1") == "warn") is fires


def test_den_1_none_recorded_and_not_for_pth():
    record = treatable_record(dental_reviews=(DentalReview(reviewed_on=D + days(1)),))
    assert "none recorded" in message(record, "zoledronate", "DEN-1")
    assert "DEN-1" not in fired(record, "teriparatide")


# --- WU-1 ---------------------------------------------------------------------------

def test_wu_1_lists_the_missing_work_up():
    record = with_blood(with_blood(treatable_record(), "tsh", None), "pth", 4.0, D - days(151))
    text = message(record, "alendronate", "WU-1")
    assert "PTH" in text and "TSH" in text and "phosphate" not in text


def test_wu_1_creatinine_or_egfr():
    record = with_blood(treatable_record(), "egfr", None)
    assert "WU-1" not in fired(record, "teriparatide")     # creatinine stands for both
    record = with_blood(record, "creatinine", None)
    assert "creatinine or eGFR" in message(record, "teriparatide", "WU-1")


def test_wu_1_complete():
    assert "WU-1" not in fired(treatable_record(), "alendronate")


# --- FX-1, IND-2 --------------------------------------------------------------------

def test_fx_1_names_the_repeat_fractures():
    record = treatable_record(fractures=treatable_record().fractures + (vertebral("t8", 1, D - days(20)),))
    text = message(record, "alendronate", "FX-1")
    assert "T8 grade 1" in text and "breastfeeding" not in text
    assert "1 repeat fracture" in message(record, "alendronate", "IND-2")


def test_fx_1_while_breastfeeding_suggests_discussing_when_feeding_could_stop():
    record = treatable_record(
        breastfeeding=(breastfed(),), fractures=treatable_record().fractures + (vertebral("t8", 1, D - days(20)),))
    assert "when feeding could stop" in message(record, "alendronate", "FX-1")


def test_fx_1_not_without_repeat():
    assert "FX-1" not in fired(treatable_record(), "alendronate")


def test_ind_2_lists_the_indications():
    assert message(treatable_record(), "alendronate", "IND-2") == (
        "Indications present: 2 vertebral fractures at presentation; Z-score -2.5 at lumbar spine.")


# --- DXA-3 --------------------------------------------------------------------------

@pytest.mark.parametrize("scanned, fires", [(D - days(60), True), (D - days(59), False)])
def test_dxa_3_scan_while_breastfeeding(scanned, fires):
    record = treatable_record(dexa=(scan("lumbar_spine", scanned, z=-2.5),))   # last feed D-60
    assert (fired(record, "alendronate").get("DXA-3") == "info") is fires


# --- BP-2 ---------------------------------------------------------------------------

def test_bp_2_pregnant_after_a_bisphosphonate():
    record = treatable_record(
        pregnancies=treatable_record().pregnancies + (ongoing_pregnancy(),),
        medications=(medication("alendronate", D - days(400), D - days(300)),))
    assert fired(record, "teriparatide")["BP-2"] == "info"


def test_bp_2_not_without_bisphosphonate_or_pregnancy():
    pregnant = treatable_record(pregnancies=treatable_record().pregnancies + (ongoing_pregnancy(),),
                                medications=(dose("denosumab", D - days(300)),))
    assert "BP-2" not in fired(pregnant, "teriparatide")
    assert "BP-2" not in fired(treatable_record(medications=(medication("alendronate", D - days(400)),)), "teriparatide")


# --- SUP-1 --------------------------------------------------------------------------

def test_sup_1_only_for_calcium_vitamin_d():
    record = treatable_record(pregnancies=treatable_record().pregnancies + (ongoing_pregnancy(),),
                              breastfeeding=(breastfed(),), risk_factors=("heparin",))
    result = check_medication(record, "calcium_vitamin_d", D)
    assert result.verdict == "allowed"
    assert result.rule_ids() == ("SUP-1",)
    assert "SUP-1" not in fired(record, "alendronate")


# --- PREG-2 -------------------------------------------------------------------------

def test_preg_2_when_not_blocked_and_she_may_become_pregnant():
    assert fired(treatable_record(), "alendronate")["PREG-2"] == "info"
    assert fired(treatable_record(), "denosumab")["PREG-2"] == "info"        # needs_reason: still reminded


def test_preg_2_not_when_blocked():
    assert "PREG-2" not in fired(with_blood(treatable_record(), "adjusted_calcium", 2.0), "alendronate")


@pytest.mark.parametrize("history", [("postmenopausal",), ("sterilised",)])
def test_preg_2_not_when_she_cannot_become_pregnant(history):
    assert "PREG-2" not in fired(treatable_record(history=history), "alendronate")


# --- RISK-1 -------------------------------------------------------------------------

def test_risk_1_lists_the_named_risk_factors():
    record = treatable_record(risk_factors=("heparin", "low_bmi", "previous_pao"))
    text = message(record, "alendronate", "RISK-1")
    assert "previous pao" in text and "heparin" in text and "low bmi" not in text


def test_risk_1_not_for_other_risk_factors():
    assert "RISK-1" not in fired(treatable_record(risk_factors=("low_bmi", "hyperemesis")), "alendronate")


# --- verdict, order, output ---------------------------------------------------------

def test_rules_are_ordered_block_warn_info_each_in_table_order():
    record = treatable_record(
        pregnancies=treatable_record().pregnancies + (ongoing_pregnancy(),),
        breastfeeding=(breastfed(),), contraception=(), future_pregnancy_plan=None, risk_factors=("heparin",),
        medications=(medication("risedronate", D - days(500), D - days(400)),))
    record = with_blood(record, "vitamin_d_25oh", 30)
    result = check_medication(record, "zoledronate", D)
    levels = [r.level for r in result.rules]
    assert levels == sorted(levels, key=("block", "warn", "info").index)
    for level in ("block", "warn", "info"):
        ids = result.rule_ids(level)
        assert list(ids) == sorted(ids, key=RULE_IDS.index)
    assert result.rule_ids("block") == ("PREG-1", "BF-1", "AR-2")
    assert result.rule_ids("warn") == ("BP-1", "CON-1")
    assert result.rule_ids("info") == ("IND-2", "DXA-3", "BP-2", "RISK-1")


def test_info_never_changes_the_verdict():
    result = check_medication(treatable_record(risk_factors=("heparin",)), "alendronate", D)
    assert result.verdict == "allowed"
    assert "RISK-1" in result.rule_ids("info")


def test_warn_gives_needs_reason():
    result = check_medication(treatable_record(future_pregnancy_plan="yes"), "alendronate", D)
    assert result.verdict == "needs_reason"


def test_to_json_is_exactly_the_spec_output():
    record = treatable_record(breastfeeding=(breastfed(planned_stop_on=D + days(29)),))
    output = check_medication(record, "zoledronate", D).to_json()
    assert list(output) == ["patient", "drug", "on", "verdict", "review_on", "rules", "facts"]
    assert output["patient"] == "9434765919"
    assert output["on"] == "2025-06-01" and output["review_on"] == "2025-07-01"
    assert output["rules"][0] == {
        "id": "BF-1", "level": "block",
        "message": "Breastfeeding (planned to stop on 30-Jun-2025): local policy defers osteoporosis drugs until feeding has stopped."}
    assert output["facts"] == {
        "pregnant": False, "lactation": "breastfeeding", "index_date": "2025-01-02", "repeat_fractures": 0,
        "vertebral_fractures_at_presentation": 2, "lowest_z": -2.5, "anabolic_days_used": 0}


def test_to_json_nulls():
    output = check_medication(well_documented_record(), "alendronate", D).to_json()
    assert output["review_on"] is None
    assert output["facts"]["index_date"] is None and output["facts"]["lowest_z"] is None


def test_patient_is_the_hospital_number_without_nhs_number():
    record = treatable_record(nhs_number=None, hospital_number="RX77")
    assert check_medication(record, "alendronate", D).patient == "RX77"


def test_to_text_for_a_person():
    record = treatable_record(breastfeeding=(breastfed(stopped_on=D),))
    text = check_medication(record, "zoledronate", D).to_text()
    assert "BLOCKED" in text
    assert "Review on: 02-Jun-2025" in text
    assert "[BLOCK] BF-1  Breastfeeding (last feed on 01-Jun-2025)" in text
    assert "[INFO] IND-2  Indications present" in text
    assert "lactation: breastfeeding" in text and "vertebral fractures at presentation: 2" in text


@pytest.mark.parametrize("drug", ["Alendronate", "paracetamol", "", None])
def test_unknown_drug_is_a_validation_error_naming_drug(drug):
    with pytest.raises(ValidationError) as caught:
        check_medication(treatable_record(), drug, D)
    assert caught.value.for_field("drug")


@pytest.mark.parametrize("course", [0, -5, 1.5, True])
def test_bad_course_days_is_a_validation_error(course):
    with pytest.raises(ValidationError) as caught:
        check_medication(treatable_record(), "teriparatide", D, course_days=course)
    assert caught.value.for_field("course_days")


def test_on_must_be_a_date():
    with pytest.raises(ValidationError) as caught:
        check_medication(treatable_record(), "alendronate", datetime(2025, 6, 1, 9, 0))
    assert caught.value.for_field("on")


def test_the_gate_answers_as_it_would_have_on_a_past_date():
    record = treatable_record(breastfeeding=(breastfed(stopped_on=D - days(60)),))
    then = D - days(61)
    result = check_medication(record, "alendronate", then)
    assert result.verdict == "blocked" and result.rule_ids("block") == ("BF-1",)
    assert result.review_on == D - days(59)
    assert result.on == then and isinstance(result.on, date)
