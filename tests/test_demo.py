"""The synthetic caseload: deterministic, valid, and shaped like the women PAO services see.

Clinical facts (lactation, fragility and repeat fractures, missing work-up, worklist
tasks, the verdict on a start) come from the real medication gate, `pao_clinic.gate`.
The shape checks hold the demo to the published cohorts cited in `pao_clinic.demo`
(issue 6, section 8), within margins wide enough for 2,000 women of one seed.
"""

from __future__ import annotations

import statistics
import unicodedata
from collections import Counter
from dataclasses import replace
from datetime import date, datetime, timedelta, timezone

import pytest

from pao_clinic import gate
from pao_clinic.clinic_settings import DEFAULT_SETTINGS
from pao_clinic.demo import MAX_PATIENTS, demo_caseload
from pao_clinic.gate.facts import WORKUP_TESTS
from pao_clinic.record import codes
from pao_clinic.record.nhs_number import nhs_number_problem

TODAY = date(2026, 11, 22)   # a fixed day passed as `today`, so the caseload is the same on any run


@pytest.fixture(scope="module")
def caseload():
    return demo_caseload(2000, seed=7, today=TODAY)


def _share(hits: int, total: int) -> float:
    assert total > 0
    return hits / total


def _first_fracture(patient):
    """Her index fracture (the gate's first fragility fracture) on TODAY."""
    return gate.fragility_fractures(patient, TODAY)[0]


def _presenting_pregnancy(patient):
    first = _first_fracture(patient)
    return next(p for p in patient.pregnancies if p.ref == first.pregnancy)


# Longest a pregnancy with this outcome is carried, to date its start from its end (or due date).
_DAYS_CARRIED = {"live_birth": 280, "stillbirth": 280, "ongoing": 280, "miscarriage": 98, "termination": 98}


def _begun_by(pregnancy, day) -> bool:
    end = pregnancy.ended_on or pregnancy.due_date
    return end is None or end - timedelta(days=_DAYS_CARRIED[pregnancy.outcome]) <= day


def _as_known_on(patient, day):
    """The record as the clinic knew it on `day`, before that day's course began.

    A pregnancy not yet begun does not exist; one begun and not ended is ongoing (so the
    gate sees her pregnant); medicines and decisions from `day` on are not there yet.
    """
    begun = tuple(
        p if p.ended_on is None or p.ended_on <= day else replace(p, outcome="ongoing", ended_on=None,
                                                                   delivery_mode=None)
        for p in patient.pregnancies if _begun_by(p, day)
    )
    ended = {p.ref for p in begun if p.ended_on is not None}
    return replace(
        patient,
        pregnancies=begun,
        breastfeeding=tuple(f for f in patient.breastfeeding if f.pregnancy in ended),
        medications=tuple(m for m in patient.medications if m.started_on < day),
        decisions=tuple(d for d in patient.decisions if d.decided_on < day),
    )


# --- the shape of the published cohorts (issue 6, section 8) -----------------------------

def test_age_at_presentation_is_about_32(caseload):
    ages = [(_presenting_pregnancy(p).ended_on - p.date_of_birth).days / 365.25 for p in caseload]
    assert 31.0 <= statistics.mean(ages) <= 33.5


def test_most_present_in_their_first_pregnancy(caseload):
    first = sum(_presenting_pregnancy(p).number == 1 for p in caseload)
    assert 0.71 <= _share(first, len(caseload)) <= 0.86


def test_vertebral_fractures_per_woman_and_women_with_five_or_more(caseload):
    counts = [len({f.site for f in gate.fragility_fractures(p, TODAY) if f.site in codes.VERTEBRAL_LEVELS})
              for p in caseload]
    counts = [n for n in counts if n]
    assert _share(len(counts), len(caseload)) > 0.9            # a few present with a pelvic or hip fracture
    assert 3.3 <= statistics.mean(counts) <= 4.7
    assert 0.40 <= _share(sum(n >= 5 for n in counts), len(counts)) <= 0.56


def test_t11_to_l2_are_the_levels_most_often_hit(caseload):
    levels = Counter(f.site for p in caseload for f in gate.fragility_fractures(p, TODAY)
                     if f.site in codes.VERTEBRAL_LEVELS)
    assert {level for level, _ in levels.most_common(4)} == {"t11", "t12", "l1", "l2"}


def test_fractures_found_from_the_third_trimester_to_two_months_postpartum(caseload):
    days_from_delivery = [(_first_fracture(p).identified_on - _presenting_pregnancy(p).ended_on).days
                          for p in caseload]
    third_trimester_to_two_months = sum(-13 * 7 <= d <= 61 for d in days_from_delivery)
    assert 0.83 <= _share(third_trimester_to_two_months, len(caseload)) <= 0.93
    assert 0.11 <= _share(sum(d < 0 for d in days_from_delivery), len(caseload)) <= 0.19
    assert any(d > 61 for d in days_from_delivery)             # some are found later


def test_most_are_breastfeeding_when_the_fractures_are_found(caseload):
    statuses = Counter(gate.lactation_status_on(p, _first_fracture(p).identified_on) for p in caseload)
    assert 0.72 <= _share(statuses["breastfeeding"], len(caseload)) <= 0.83


def test_lumbar_spine_z_about_minus_3_3_at_the_first_dexa(caseload):
    z_scores, t_scores = [], []
    for patient in caseload:
        if not patient.dexa:
            continue
        first_day = min(s.scanned_on for s in patient.dexa)
        for scan in patient.dexa:
            if scan.scanned_on == first_day and scan.site == "lumbar_spine":
                if scan.z_score is not None:
                    z_scores.append(scan.z_score)
                if scan.t_score is not None:
                    t_scores.append(scan.t_score)
    assert len(z_scores) > 0.8 * len(caseload)
    assert -3.6 <= statistics.mean(z_scores) <= -3.0
    assert -3.7 <= statistics.mean(t_scores) <= -3.1
    assert min(z_scores) < -4.5 and max(z_scores) > -2.0        # a spread, not one value


def test_heparin_and_corticosteroids_as_often_as_in_the_cohorts(caseload):
    risks = Counter(code for p in caseload for code in p.risk_factors)
    assert 0.20 <= _share(risks["heparin"], len(caseload)) <= 0.50
    assert 0.25 <= _share(risks["corticosteroids"], len(caseload)) <= 0.37


def _first_vitamin_d(patient):
    results = [b for b in patient.bloods if b.test == "vitamin_d_25oh"]
    return min(results, key=lambda b: b.taken_on) if results else None


def test_vitamin_d_deficiency_is_coded_exactly_when_her_first_result_is_low(caseload):
    low_limit = DEFAULT_SETTINGS.vitamin_d_low_nmol_l
    with_result = low = 0
    for patient in caseload:
        first = _first_vitamin_d(patient)
        coded = "vitamin_d_deficiency" in patient.risk_factors
        if first is None:
            assert not coded, patient.ref
            continue
        with_result += 1
        low += first.value < low_limit
        assert coded == (first.value < low_limit), (patient.ref, first)
    assert 0.33 <= _share(low, with_result) <= 0.47


def test_most_women_followed_two_years_are_given_teriparatide_or_a_bisphosphonate(caseload):
    bone_drugs = codes.BISPHOSPHONATES | {"teriparatide"}
    followed = [p for p in caseload if _first_fracture(p).identified_on <= TODAY - timedelta(days=730)]
    assert len(followed) > 300
    treated = sum(any(m.drug in bone_drugs for m in p.medications) for p in followed)
    assert 0.67 <= _share(treated, len(followed)) <= 0.84


# --- the clinic's experience ----------------------------------------------------------------

def test_vertebral_fractures_are_mostly_t10_to_l3(caseload):
    middle = codes.VERTEBRAL_LEVELS[codes.VERTEBRAL_LEVELS.index("t10"):codes.VERTEBRAL_LEVELS.index("l3") + 1]
    levels = [f.site for p in caseload for f in p.fractures if f.site in codes.VERTEBRAL_LEVELS]
    assert _share(sum(level in middle for level in levels), len(levels)) > 0.5
    grades = Counter(f.genant_grade for p in caseload for f in p.fractures if f.site in codes.VERTEBRAL_LEVELS)
    assert grades[1] + grades[2] > grades[3] > 0
    others = Counter(f.site for p in caseload for f in p.fractures if f.site not in codes.VERTEBRAL_LEVELS)
    assert others["sacrum"] and others["pelvis"] and others["hip"]
    assert any(f.trauma == "high" for p in caseload for f in p.fractures)      # an old injury, not fragility


def test_lactation_takes_every_shape_on_today(caseload):
    lactation = Counter(gate.lactation_status_on(p, TODAY) for p in caseload)
    assert _share(lactation["breastfeeding"], len(caseload)) >= 0.15
    assert lactation["ceased"] and lactation["not_breastfed"] and lactation["unknown"]
    pregnant_now = sum(any(p.outcome == "ongoing" for p in patient.pregnancies) for patient in caseload)
    assert 0 < pregnant_now < len(caseload) / 10


def test_some_women_fracture_again(caseload):
    repeats = [gate.repeat_fractures(p, TODAY) for p in caseload]
    assert _share(sum(bool(r) for r in repeats), len(caseload)) >= 0.05
    progressions = sum(
        any(g.site == f.site and g.identified_on < f.identified_on for g in p.fractures)
        for p, found in zip(caseload, repeats) for f in found
    )
    assert progressions > 0


def test_dexa_reports_spine_and_hip_with_plausible_densities(caseload):
    spine = [s.bmd for p in caseload for s in p.dexa if s.site == "lumbar_spine" and s.bmd is not None]
    assert _share(sum(0.45 <= b <= 1.05 for b in spine), len(spine)) > 0.95
    assert statistics.mean(spine) < 0.85                     # low for young women
    serial = sum(len({s.scanned_on for s in p.dexa}) > 1 for p in caseload)
    assert serial > 0
    assert any(s.z_score is None for p in caseload for s in p.dexa)      # T-scores only, sometimes
    assert any(s.t_score is None for p in caseload for s in p.dexa)
    for patient in caseload:
        for scanned_on in {s.scanned_on for s in patient.dexa}:
            sites = {s.site for s in patient.dexa if s.scanned_on == scanned_on}
            assert {"lumbar_spine", "total_hip"} <= sites, (patient.ref, scanned_on)


def test_bloods_use_the_exact_units_and_some_are_low_or_missing(caseload):
    bloods = [b for p in caseload for b in p.bloods]
    assert {b.test for b in bloods} >= {test for _, tests in WORKUP_TESTS for test in tests}
    for blood in bloods:
        assert blood.unit == codes.BLOOD_TEST_UNITS[blood.test]
    assert any(b.test == "adjusted_calcium" and b.value < DEFAULT_SETTINGS.calcium_low_mmol_l for b in bloods)
    incomplete = [p for p in caseload if gate.missing_workup(p, TODAY)]
    assert 0 < len(incomplete) < len(caseload) / 4
    assert all("WORKUP" in {t.code for t in gate.patient_tasks(p, TODAY)} for p in incomplete)


def test_osteoporosis_drugs_only_when_neither_pregnant_nor_breastfeeding(caseload):
    drugs = Counter()
    for patient in caseload:
        for med in patient.medications:
            drugs[med.drug] += 1
            if med.drug not in codes.OSTEOPOROSIS_DRUGS:
                continue
            where = (patient.ref, med.drug, med.started_on)
            assert not gate.is_breastfeeding_on(patient, med.started_on), where
            assert gate.lactation_status_on(patient, med.started_on) != "unknown", where
            assert not gate.is_pregnant_on(_as_known_on(patient, med.started_on), med.started_on), where
            assert any(d.plan == "start" and d.drug == med.drug and d.decided_on <= med.started_on
                       for d in patient.decisions), where
            if med.drug in ("denosumab", "zoledronate"):
                assert med.stopped_on == med.started_on, where
    assert drugs.most_common(1)[0][0] == "calcium_vitamin_d"
    for drug in ("alendronate", "risedronate", "zoledronate", "denosumab", "teriparatide"):
        assert drugs[drug] > 0, drug


def test_the_pregnancy_check_sees_a_later_pregnancy_once_it_has_begun(caseload):
    """The check above can fail: a later baby's pregnancy is ongoing a month before she is born."""
    patient, later = next((p, q) for p in caseload for q in p.pregnancies
                          if q.outcome == "live_birth" and q.number > _presenting_pregnancy(p).number)
    month_before, year_before = later.ended_on - timedelta(days=30), later.ended_on - timedelta(days=400)
    assert gate.is_pregnant_on(_as_known_on(patient, month_before), month_before)
    assert not gate.is_pregnant_on(_as_known_on(patient, year_before), year_before)


def test_every_referral_status_and_specialty(caseload):
    referrals = [r for p in caseload for r in p.referrals]
    assert {r.status for r in referrals} == set(codes.REFERRAL_STATUSES)
    assert {r.specialty for r in referrals} == set(codes.SPECIALTIES)
    assert {r.urgency for r in referrals} == set(codes.URGENCIES)


def test_decisions_epds_heights_contraception_and_dental_reviews(caseload):
    plans = Counter(d.plan for p in caseload for d in p.decisions)
    assert set(plans) == set(codes.DECISION_PLANS)
    assert all(d.by.startswith(("Dr ", "Prof ")) for p in caseload for d in p.decisions)
    assert any(d.override_reason for p in caseload for d in p.decisions)
    screens = [e for p in caseload for e in p.epds]
    assert any(e.score >= 13 for e in screens) and any(e.self_harm_item > 0 for e in screens)
    assert all(e.self_harm_item <= e.score for e in screens)
    assert any(p.heights for p in caseload)
    assert any(c.effective for p in caseload for c in p.contraception)
    assert any(not c.effective for p in caseload for c in p.contraception)
    assert any(p.dental_reviews for p in caseload)


def test_the_caseload_raises_every_worklist_task(caseload):
    raised = {task.code for task in gate.worklist(caseload, TODAY)}
    assert raised == set(gate.TASK_CODES), set(gate.TASK_CODES) - raised
    assert any(not gate.patient_tasks(p, TODAY) for p in caseload)    # some need nothing today


def test_start_decisions_are_ones_the_gate_accepts_on_their_day(caseload):
    verdicts = Counter()
    for patient in caseload:
        for decision in patient.decisions:
            if decision.plan != "start":
                continue
            result = gate.check_medication(_as_known_on(patient, decision.decided_on), decision.drug,
                                           decision.decided_on)
            verdicts[result.verdict] += 1
            where = (patient.ref, decision.drug, decision.decided_on, result.rule_ids())
            assert result.verdict != "blocked", where
            assert (result.verdict == "needs_reason") == bool(decision.override_reason), where
    assert verdicts["allowed"] and verdicts["needs_reason"]


# --- determinism and size ------------------------------------------------------------------

def test_same_arguments_give_the_same_caseload():
    first = demo_caseload(60, seed=3, today=TODAY)
    again = demo_caseload(60, seed=3, today=TODAY)
    assert first == again
    assert [repr(p) for p in first] == [repr(p) for p in again]


def test_a_smaller_caseload_is_the_start_of_a_larger_one():
    assert demo_caseload(20, seed=3, today=TODAY) == demo_caseload(60, seed=3, today=TODAY)[:20]


def test_another_seed_or_day_gives_another_caseload():
    base = demo_caseload(30, seed=3, today=TODAY)
    assert demo_caseload(30, seed=4, today=TODAY) != base
    assert demo_caseload(30, seed=3, today=TODAY + timedelta(days=1)) != base


def test_global_random_state_is_neither_used_nor_changed():
    import random

    random.seed(12345)
    expected = random.random()
    random.seed(12345)
    first = demo_caseload(10, seed=5, today=TODAY)
    assert random.random() == expected
    random.seed(999)
    assert demo_caseload(10, seed=5, today=TODAY) == first


@pytest.mark.parametrize("count", [0, 1, 37])
def test_count_and_patient_refs(count):
    patients = demo_caseload(count, seed=2, today=TODAY)
    assert len(patients) == count
    assert [p.ref for p in patients] == [f"pt{i:05d}" for i in range(1, count + 1)]


def test_negative_or_too_large_count_is_refused():
    with pytest.raises(ValueError):
        demo_caseload(-1, today=TODAY)
    with pytest.raises(ValueError):
        demo_caseload(MAX_PATIENTS + 1, today=TODAY)


# --- identifiers and demographics ----------------------------------------------------------------

def test_nhs_numbers_are_valid_unique_test_numbers(caseload):
    numbers = [p.nhs_number for p in caseload if p.nhs_number is not None]
    assert len(numbers) >= 0.95 * len(caseload)
    assert len(set(numbers)) == len(numbers)
    for number in numbers:
        assert nhs_number_problem(number) is None, number
        assert len(number) == 10 and number.startswith("999"), number


def test_every_patient_has_a_unique_hospital_number(caseload):
    numbers = [p.hospital_number for p in caseload]
    assert all(n is not None and 1 <= len(n) <= 20 for n in numbers)
    assert len(set(numbers)) == len(numbers)


def test_nhs_numbers_stay_unique_in_a_large_caseload():
    patients = demo_caseload(10_000, seed=11, today=TODAY)
    nhs = [p.nhs_number for p in patients if p.nhs_number]
    hospital = [p.hospital_number for p in patients]
    assert len(set(nhs)) == len(nhs)
    assert len(set(hospital)) == len(hospital) == 10_000


def test_names_include_letters_beyond_ascii_and_apostrophes(caseload):
    names = [p.given_name for p in caseload] + [p.family_name for p in caseload]
    assert any(not name.isascii() for name in names)
    assert any("'" in name for name in names)
    assert any(" " in name for name in names)
    for name in names:
        assert unicodedata.is_normalized("NFC", name), name
        assert name and all(ch.isalpha() or ch in " -'" for ch in name), name
    assert sum(name.isascii() for name in names) > len(names) / 2  # mostly common UK names


def test_contact_details_are_plainly_fictional(caseload):
    contacts = [p.contact for p in caseload if p.contact is not None]
    assert len(contacts) > len(caseload) / 2
    for contact in contacts:
        if contact.phone is not None:
            digits = contact.phone.replace(" ", "")
            assert digits.startswith("07700900") and len(digits) == 11, contact.phone
        if contact.email is not None:
            local, _, domain = contact.email.partition("@")
            assert domain == "example.org" and local and local.isascii(), contact.email
        if contact.postcode is not None:
            assert contact.postcode.startswith("ZZ"), contact.postcode
    assert all(p.gp.name and p.gp.practice for p in caseload if p.gp is not None)
    assert sum(p.gp is not None for p in caseload) > len(caseload) / 2


def test_ages_at_pregnancy_are_mostly_25_to_40(caseload):
    ages = []
    for patient in caseload:
        for pregnancy in patient.pregnancies:
            when = pregnancy.ended_on or pregnancy.due_date
            age = (when - patient.date_of_birth).days / 365.25
            assert 12 <= age <= 60, (patient.ref, age)
            ages.append(age)
    assert _share(sum(25 <= a <= 40 for a in ages), len(ages)) > 0.75


# --- the exchange-format rules ----------------------------------------------------------------

def _refs_unique(items):
    refs = [item.ref for item in items]
    return len(refs) == len(set(refs))


def test_records_keep_the_exchange_format_rules(caseload):
    """A direct check of the rules most easily broken by a generator (the validator checks all)."""
    for p in caseload:
        dates = [p.date_of_birth]
        dates += [x.ended_on for x in p.pregnancies if x.ended_on]
        dates += [d for f in p.breastfeeding for d in (f.started_on, f.stopped_on) if d]
        dates += [d for f in p.fractures for d in (f.identified_on, f.onset_on) if d]
        dates += [s.scanned_on for s in p.dexa] + [b.taken_on for b in p.bloods]
        dates += [h.measured_on for h in p.heights] + [e.assessed_on for e in p.epds]
        dates += [d for m in p.medications for d in (m.started_on, m.stopped_on) if d]
        dates += [d for r in p.referrals for d in (r.created_on, r.sent_on, r.seen_on) if d]
        dates += [d.decided_on for d in p.decisions] + [c.recorded_on for c in p.contraception]
        dates += [r.reviewed_on for r in p.dental_reviews]
        assert max(dates) <= TODAY, p.ref
        for items in (p.pregnancies, p.fractures, p.dexa, p.medications, p.referrals):
            assert _refs_unique(items), p.ref
        assert sum(x.outcome == "ongoing" for x in p.pregnancies) <= 1
        ended = {x.ref: x for x in p.pregnancies if x.outcome != "ongoing"}
        assert all((x.ended_on is None) == (x.outcome == "ongoing") for x in p.pregnancies)
        fed = [f.pregnancy for f in p.breastfeeding]
        assert len(fed) == len(set(fed)) and set(fed) <= set(ended)
        for f in p.breastfeeding:
            if f.breastfed:
                assert f.started_on >= ended[f.pregnancy].ended_on
                assert f.stopped_on is None or f.stopped_on >= f.started_on
                assert f.planned_stop_on is None or (f.stopped_on is None and f.planned_stop_on >= f.started_on)
            else:
                assert f.started_on is None and f.stopped_on is None and f.planned_stop_on is None
        refs = {x.ref for x in p.pregnancies}
        for f in p.fractures:
            assert f.onset_on is None or f.onset_on <= f.identified_on
            assert (f.genant_grade is not None) == (f.site in codes.VERTEBRAL_LEVELS)
            assert f.side is None or f.site in codes.SIDED_SITES
            assert f.pregnancy is None or f.pregnancy in refs
        for r in p.referrals:
            assert (r.sent_on is not None) == (r.status in codes.REFERRAL_STATUSES_NEEDING_SENT_ON) or \
                r.status in ("declined", "cancelled")
            assert r.sent_on is None or r.sent_on >= r.created_on
            assert (r.seen_on is not None) == (r.status == "seen")
            assert r.seen_on is None or r.seen_on >= r.sent_on
        for d in p.decisions:
            assert (d.drug is not None) == (d.plan in codes.DECISION_PLANS_NEEDING_DRUG)
        assert all(120 <= h.cm <= 220 for h in p.heights)
        assert all(0.2 <= s.bmd <= 2.0 for s in p.dexa if s.bmd is not None)
        assert all(s.t_score is not None or s.z_score is not None for s in p.dexa)
        assert len(set(p.risk_factors)) == len(p.risk_factors)


def test_records_come_back_unchanged_through_export_and_import(caseload):
    """The demo writes every list in export order, so a round trip changes nothing."""
    from pao_clinic.exchange import document_from_records, document_to_text, read_document_text

    patients = caseload[:500]
    document = document_from_records(patients, exported_at=datetime(2026, 11, 22, 10, 0, tzinfo=timezone.utc))
    back = {p.ref: p for p in read_document_text(document_to_text(document), today=TODAY)}
    assert [back[p.ref] for p in patients] == patients


@pytest.mark.parametrize("seed", [1, 2, 3, 4, 5])
def test_the_validator_finds_no_problem_in_any_demo_record(seed):
    from pao_clinic.record.validation import patient_record_problems

    for today in (TODAY, date(2025, 3, 1)):
        for patient in demo_caseload(50, seed=seed, today=today):
            problems = patient_record_problems(patient, today=today)
            assert problems == [], (patient.ref, [str(p) for p in problems])


def test_the_validator_finds_no_problem_in_the_whole_caseload(caseload):
    from pao_clinic.record.validation import patient_record_problems

    for patient in caseload:
        problems = patient_record_problems(patient, today=TODAY)
        assert problems == [], (patient.ref, [str(p) for p in problems])
