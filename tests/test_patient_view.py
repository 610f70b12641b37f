"""The patient window's read service: banner words, alerts from the gate's facts, the overview.

Patients are imported through the services on both backends and read as of a fixed
day, TODAY; every other date is worked out from it.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta

import pytest

from pao_clinic import services
from pao_clinic.errors import NotFoundError
from pao_clinic.gate import patient_tasks
from pao_clinic.record import codes
from pao_clinic.services.patient_view import (
    ALERT_BREASTFEEDING, ALERT_LACTATION_UNKNOWN, ALERT_MOOD, ALERT_PREGNANT, ALERT_REPEAT_FRACTURE, DRUG_GROUPS,
    banner_name, patient_audit_history, patient_view,
)
from pao_clinic.storage.connection import counting_queries
from pao_clinic.storage.models import ClinicSetting

from .gate_builders import (
    birth, breastfed, decision, epds, fracture, ongoing_pregnancy, referral, scan, treatable_record, vertebral,
    well_documented_record,
)

TODAY = date(2026, 4, 15)


def days(n: int) -> timedelta:
    return timedelta(days=n)


def imported(clinic, record) -> int:
    (patient_id,) = services.import_records(clinic.nurse, [record])
    return patient_id


def alerts_of(view) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for alert in view.banner.alerts:
        found.setdefault(alert.kind, []).append(alert.text)
    return found


# --- the banner -----------------------------------------------------------------------------

def test_the_banner_writes_her_name_birth_and_numbers_as_nhs_banners_do(clinic):
    record = well_documented_record(TODAY, family_name="Wiśniewska-O'Brien", given_name="Łucja",
                                    date_of_birth=date(1991, 4, 12), nhs_number="9434765919",
                                    hospital_number="RX1001")
    view = patient_view(imported(clinic, record), TODAY)
    banner = view.banner
    assert banner.name == "WIŚNIEWSKA-O'BRIEN, Łucja"
    assert banner.born == "12-Apr-1991 (35 y)"
    assert banner.nhs_number == "943 476 5919"
    assert banner.hospital_number == "RX1001"
    assert banner.alerts == ()


@pytest.mark.parametrize("family, given, shown", [
    ("Straße", "Anna", "STRASSE, Anna"),
    ("Ní Bhriain", "Siobhán", "NÍ BHRIAIN, Siobhán"),
    ("ÅBERG", "nicola", "ÅBERG, nicola"),
])
def test_the_family_name_is_upper_cased_with_unicode_rules_and_the_given_name_kept(family, given, shown):
    assert banner_name(family, given) == shown


def test_her_age_on_the_banner_turns_on_her_birthday(clinic):
    record = well_documented_record(TODAY, date_of_birth=TODAY.replace(year=TODAY.year - 30) + days(1))
    patient_id = imported(clinic, record)
    assert patient_view(patient_id, TODAY).banner.age == 29
    assert patient_view(patient_id, TODAY + days(1)).banner.age == 30


def test_a_patient_without_an_nhs_number_shows_her_hospital_number(clinic):
    view = patient_view(imported(clinic, well_documented_record(TODAY, nhs_number=None)), TODAY)
    assert view.banner.nhs_number == "" and view.banner.identifier == "RX1001"


def test_an_unknown_patient_is_not_found(clinic):
    with pytest.raises(NotFoundError):
        patient_view(987654, TODAY)


# --- alerts -----------------------------------------------------------------------------

def test_breastfeeding_alert_says_since_planned_stop_and_that_drugs_are_deferred(clinic):
    delivered = date(2026, 2, 3)
    record = treatable_record(TODAY, pregnancies=(birth("b1", delivered),),
                              breastfeeding=(breastfed("b1", delivered, planned_stop_on=date(2026, 6, 30)),))
    view = patient_view(imported(clinic, record), TODAY)
    assert alerts_of(view) == {
        ALERT_BREASTFEEDING: ["Breastfeeding since 03-Feb-2026, planned stop 30-Jun-2026: osteoporosis drugs deferred"]}
    (alert,) = view.banner.alerts
    assert alert.rule_id == "BF-1" and "BF-1" in alert.detail
    assert view.overview.verdict_for("alendronate").verdict == "blocked"
    assert view.overview.verdict_for("alendronate").result.review_on == date(2026, 7, 1)


def test_a_planned_stop_that_has_passed_asks_whether_she_has_stopped(clinic):
    delivered = TODAY - days(200)
    record = treatable_record(TODAY, pregnancies=(birth("b1", delivered),),
                              breastfeeding=(breastfed("b1", delivered, planned_stop_on=TODAY - days(3)),))
    (text,) = alerts_of(patient_view(imported(clinic, record), TODAY))[ALERT_BREASTFEEDING]
    assert "(passed: ask whether she has stopped)" in text and text.endswith("osteoporosis drugs deferred")


def test_the_day_after_her_last_feed_the_breastfeeding_alert_is_gone(clinic):
    delivered = TODAY - days(200)
    record = treatable_record(TODAY, pregnancies=(birth("b1", delivered),),
                              breastfeeding=(breastfed("b1", delivered, stopped_on=TODAY),))
    patient_id = imported(clinic, record)
    assert ALERT_BREASTFEEDING in alerts_of(patient_view(patient_id, TODAY))  # the last feed's day counts
    assert ALERT_BREASTFEEDING not in alerts_of(patient_view(patient_id, TODAY + days(1)))


def test_pregnant_alert_says_osteoporosis_drugs_are_deferred(clinic):
    record = treatable_record(TODAY, pregnancies=(birth("b1", TODAY - days(400)), ongoing_pregnancy("b2")),
                              breastfeeding=(breastfed("b1", TODAY - days(400), stopped_on=TODAY - days(300)),))
    view = patient_view(imported(clinic, record), TODAY)
    assert alerts_of(view) == {ALERT_PREGNANT: ["Pregnant: osteoporosis drugs deferred"]}
    for verdict in view.overview.verdicts:
        if verdict.drug in codes.OSTEOPOROSIS_DRUGS:
            assert verdict.verdict == "blocked" and "PREG-1" in verdict.rule_ids


def test_lactation_unknown_alert_asks_and_the_gate_blocks_rather_than_allows(clinic):
    record = treatable_record(TODAY, breastfeeding=())  # a birth with no feeding entry
    view = patient_view(imported(clinic, record), TODAY)
    assert alerts_of(view) == {ALERT_LACTATION_UNKNOWN: ["Lactation unknown: ask"]}
    assert "DATA-1" in view.banner.alerts[0].detail
    for verdict in view.overview.verdicts:
        if verdict.drug in codes.OSTEOPOROSIS_DRUGS:
            assert verdict.verdict == "blocked" and "DATA-1" in verdict.rule_ids
    assert {f.key: f.words for f in view.overview.facts}["lactation"] == "Unknown: ask"


def test_an_epds_at_the_clinic_threshold_is_an_alert_and_one_below_is_not(clinic):
    threshold = services.clinic_settings().epds_high_score
    screened = TODAY - days(10)
    high = imported(clinic, treatable_record(TODAY, hospital_number="H1", nhs_number=None,
                                             epds=(epds(screened, threshold),)))
    low = imported(clinic, treatable_record(TODAY, hospital_number="H2", nhs_number=None,
                                            epds=(epds(screened, threshold - 1),)))
    assert alerts_of(patient_view(high, TODAY)) == {ALERT_MOOD: [f"EPDS {threshold} on {screened:%d-%b-%Y}"]}
    assert alerts_of(patient_view(low, TODAY)) == {}


def test_the_epds_alert_stays_after_a_referral_but_the_task_goes(clinic):
    screened = TODAY - days(20)
    record = treatable_record(TODAY, epds=(epds(screened, 15, self_harm_item=1),),
                              referrals=(referral("mental_health", "sent", "urgent", created_on=screened + days(1),
                                                  sent_on=screened + days(1)),))
    view = patient_view(imported(clinic, record), TODAY)
    (alert,) = view.banner.alerts
    assert alert.kind == ALERT_MOOD
    assert alert.text == f"EPDS 15 on {screened:%d-%b-%Y}, self-harm item 1"
    assert "referral has been made" in alert.detail
    assert "MOOD" not in [t.code for t in view.overview.tasks]


def test_the_epds_threshold_is_the_clinics_own(clinic):
    ClinicSetting.create(name="epds_high_score", value="20")
    record = treatable_record(TODAY, epds=(epds(TODAY - days(5), 15),))
    assert alerts_of(patient_view(imported(clinic, record), TODAY)) == {}


def test_repeat_fracture_alert(clinic):
    first = TODAY - days(150)
    record = treatable_record(TODAY, fractures=(vertebral("l1", 2, first), vertebral("l2", 2, first),
                                                fracture("wrist", TODAY - days(20), side="left")))
    view = patient_view(imported(clinic, record), TODAY)
    assert alerts_of(view) == {ALERT_REPEAT_FRACTURE: ["Repeat fracture"]}
    assert "left wrist" in view.banner.alerts[0].detail
    assert "REPEAT-FRACTURE" in [t.code for t in view.overview.tasks]


def test_a_treatable_woman_has_no_alerts_and_alendronate_is_allowed(clinic):
    view = patient_view(imported(clinic, treatable_record(TODAY)), TODAY)
    assert view.banner.alerts == ()
    assert view.overview.verdict_for("alendronate").verdict == "allowed"


# --- the overview --------------------------------------------------------------------------

def test_each_drug_groups_verdict_is_the_gates_own(clinic):
    delivered = TODAY - days(100)
    record = treatable_record(TODAY, pregnancies=(birth("b1", delivered),),
                              breastfeeding=(breastfed("b1", delivered, planned_stop_on=TODAY + days(30)),),
                              bloods=())
    patient_id = imported(clinic, record)
    view = patient_view(patient_id, TODAY)
    assert [v.drug for v in view.overview.verdicts] == [drug for _, drug in DRUG_GROUPS]
    for verdict in view.overview.verdicts:
        assert verdict.result == services.gate_check(patient_id, verdict.drug, TODAY)
        assert verdict.reasons == tuple(f"{r.id}: {r.message}" for r in verdict.result.rules)


def test_missing_bloods_never_read_as_allowed(clinic):
    view = patient_view(imported(clinic, treatable_record(TODAY, bloods=())), TODAY)
    verdicts = {v.drug: v for v in view.overview.verdicts}
    assert verdicts["zoledronate"].verdict == "blocked" and "AR-3" in verdicts["zoledronate"].rule_ids
    assert verdicts["alendronate"].verdict == "needs_reason" and "WU-1" in verdicts["alendronate"].rule_ids
    assert verdicts["teriparatide"].verdict == "blocked" and "PTH-3" in verdicts["teriparatide"].rule_ids
    assert verdicts["calcium_vitamin_d"].verdict == "allowed"


def test_the_seven_facts_in_words(clinic):
    view = patient_view(imported(clinic, treatable_record(TODAY)), TODAY)
    words = {f.key: (f.label, f.words) for f in view.overview.facts}
    assert words == {
        "pregnant": ("Pregnant", "No"),
        "lactation": ("Lactation", "Breastfed, now stopped"),
        "index_date": ("Index date", f"{TODAY - days(150):%d-%b-%Y}"),
        "repeat_fractures": ("Repeat fractures", "0"),
        "vertebral_fractures_at_presentation": ("Vertebral fractures at presentation", "2"),
        "lowest_z": ("Lowest Z-score", "-2.5"),
        "anabolic_days_used": ("Anabolic days used", "0"),
    }


def test_her_tasks_are_the_worklists_in_its_order(clinic):
    record = treatable_record(TODAY, bloods=(), dexa=(scan("lumbar_spine", TODAY - days(400), z=-2.4),),
                              epds=(epds(TODAY - days(3), 14),))
    patient_id = imported(clinic, record)
    view = patient_view(patient_id, TODAY)
    expected = sorted(patient_tasks(services.load_patient_record(patient_id), TODAY), key=lambda t: t.sort_key)
    assert list(view.overview.tasks) == expected
    assert {"WORKUP", "DEXA-DUE", "MOOD"} <= {t.code for t in view.overview.tasks}


def test_latest_decision_and_review_date(clinic):
    review = TODAY + days(90)
    record = treatable_record(TODAY, decisions=(
        decision(TODAY - days(100), "defer"),
        replace(decision(TODAY - days(10), "start", "alendronate"), review_on=review),
        decision(TODAY + days(5), "stop", "alendronate"),  # after the day asked: not yet made
    ))
    view = patient_view(imported(clinic, record), TODAY)
    assert view.overview.latest_decision.plan == "start"
    assert view.overview.review_on == review
    assert view.overview.latest_decision_words == (
        f"Start Alendronic acid on {TODAY - days(10):%d-%b-%Y} by Dr Adeyemi; review on {review:%d-%b-%Y}")


def test_no_decision_says_so(clinic):
    view = patient_view(imported(clinic, treatable_record(TODAY)), TODAY)
    assert view.overview.latest_decision is None and view.overview.review_on is None
    assert view.overview.latest_decision_words == "No treatment decision recorded"


def test_the_lists_for_the_later_sections_are_hers_oldest_first(clinic):
    record = treatable_record(TODAY, fractures=(vertebral("l2", 2, TODAY - days(100)),
                                                vertebral("l1", 2, TODAY - days(150))))
    view = patient_view(imported(clinic, record), TODAY)
    assert [f.site for f in view.fractures] == ["l1", "l2"]
    assert [s.site for s in view.dexa] == ["lumbar_spine", "total_hip"]
    assert len(view.bloods) == len(record.bloods) and len(view.feeding) == 1 and len(view.pregnancies) == 1
    assert view.dexa_reading.lowest_z == -2.5
    assert view.record.fractures and all(f.id is not None and f.version == 1 for f in view.record.fractures)


# --- reading it -------------------------------------------------------------------------------

def _queries(patient_id: int) -> int:
    with counting_queries() as counted:
        patient_view(patient_id, TODAY)
    return counted.count


def test_reading_her_record_takes_the_same_few_queries_however_long_it_is(clinic):
    small = imported(clinic, well_documented_record(TODAY, hospital_number="SMALL", nhs_number=None))
    first = TODAY - days(300)
    big = treatable_record(
        TODAY, hospital_number="BIG", nhs_number=None,
        fractures=tuple(fracture("rib", first + days(n * 7), side="left", ref=f"fx{n}") for n in range(40)),
        dexa=tuple(scan("lumbar_spine", first + days(n * 14), z=-2.1, ref=f"d{n}") for n in range(20)),
        referrals=tuple(referral(created_on=first + days(n), sent_on=first + days(n), ref=f"r{n}")
                        for n in range(20)),
        epds=tuple(epds(first + days(n * 10), 8) for n in range(10)),
        decisions=tuple(decision(first + days(n * 30)) for n in range(5)),
    )
    big_id = imported(clinic, big)
    assert len(patient_view(big_id, TODAY).fractures) == 40
    assert _queries(small) == _queries(big_id)
    assert _queries(big_id) <= 20


def test_her_audit_history_names_who_did_what_oldest_first(clinic):
    patient_id = imported(clinic, treatable_record(TODAY))
    services.add_clinical_entry(clinic.nurse, patient_id, epds(TODAY - days(1), 9), today=TODAY)
    other = imported(clinic, well_documented_record(TODAY, hospital_number="OTHER", nhs_number=None))
    history = patient_audit_history(patient_id)
    assert [(h.action, h.record_type, h.user_name) for h in history] == [
        ("import", "patient", "nina.nurse"), ("add", "epds", "nina.nurse")]
    assert history[1].after == {"assessed_on": (TODAY - days(1)).isoformat(), "score": 9, "self_harm_item": 0}
    assert history[0].at <= history[1].at
    assert [h.action for h in patient_audit_history(other)] == ["import"]
