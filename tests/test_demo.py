"""The synthetic caseload: deterministic, valid, and shaped like the clinic's patients."""

from __future__ import annotations

import unicodedata
from collections import Counter
from dataclasses import replace
from datetime import date, datetime, timedelta, timezone

import pytest

from pao_clinic.record import codes
from pao_clinic.demo import demo_caseload
from pao_clinic.record.nhs_number import nhs_number_problem

TODAY = date(2026, 11, 22)


@pytest.fixture(scope="module")
def caseload():
    return demo_caseload(2000, seed=7, today=TODAY)


def _share(hits: int, total: int) -> float:
    assert total > 0
    return hits / total


# --- clinical facts as medication-gate.md defines them (on `day`) -------------------------

def _fragility(patient, day):
    return [f for f in patient.fractures if f.identified_on <= day and f.trauma != "high"]


def _site(fracture):
    if fracture.site in codes.VERTEBRAL_LEVELS:
        return fracture.site
    if fracture.site == "other":
        return ("other", fracture.ref)
    return (fracture.site, fracture.side)


def _repeat_fractures(patient, day):
    fractures = _fragility(patient, day)
    if not fractures:
        return []
    index = min(f.identified_on for f in fractures)
    repeats = []
    for f in fractures:
        if f.identified_on <= index + timedelta(days=14):
            continue
        earlier = [g for g in fractures if g.identified_on < f.identified_on and _site(g) == _site(f)]
        if not earlier or (f.site in codes.VERTEBRAL_LEVELS
                           and all(f.genant_grade > g.genant_grade for g in earlier)):
            repeats.append(f)
    return repeats


def _breastfeeding_entries(patient, day):
    return [f for f in patient.breastfeeding
            if f.breastfed and f.started_on <= day and (f.stopped_on is None or f.stopped_on >= day)]


def _most_recent_birth(patient, day):
    births = [p for p in patient.pregnancies
              if p.outcome in codes.BIRTH_OUTCOMES and p.ended_on is not None and p.ended_on <= day]
    return max(births, key=lambda p: p.ended_on) if births else None


def _lactation(patient, day):
    if _breastfeeding_entries(patient, day):
        return "breastfeeding"
    birth = _most_recent_birth(patient, day)
    if birth is None:
        return "not_applicable"
    entry = next((f for f in patient.breastfeeding if f.pregnancy == birth.ref), None)
    if entry is None:
        return "unknown"
    return "ceased" if entry.breastfed else "not_breastfed"


_WORKUP_NEEDS = (("adjusted_calcium",), ("phosphate",), ("alkaline_phosphatase",), ("creatinine", "egfr"),
                 ("vitamin_d_25oh",), ("pth",), ("tsh",), ("full_blood_count",))


def _worklist_codes(patient, day):
    """The worklist task codes medication-gate.md raises for this patient on `day`."""
    found = set()
    lactation = _lactation(patient, day)
    fragility = _fragility(patient, day)
    decisions = [d.decided_on for d in patient.decisions if d.decided_on <= day]
    if lactation == "unknown":
        found.add("LACTATION-UNKNOWN")
    if any(f.planned_stop_on is not None and f.planned_stop_on < day for f in _breastfeeding_entries(patient, day)):
        found.add("FEEDING-CHECK")
    if lactation in ("ceased", "not_breastfed") and fragility:
        birth = _most_recent_birth(patient, day)
        entry = next(f for f in patient.breastfeeding if f.pregnancy == birth.ref)
        since = entry.stopped_on if lactation == "ceased" else birth.ended_on
        if not any(d > since for d in decisions):
            found.add("DECISION-DUE")
    latest_decision = max(decisions, default=None)
    if any(latest_decision is None or f.identified_on > latest_decision for f in _repeat_fractures(patient, day)):
        found.add("REPEAT-FRACTURE")
    scans = [s.scanned_on for s in patient.dexa if s.scanned_on <= day]
    if fragility and (not scans or max(scans) < day - timedelta(days=365)):
        found.add("DEXA-DUE")
    for ref in patient.referrals:
        limit = 14 if ref.urgency == "urgent" else 42
        if ref.status == "sent" and ref.sent_on < day - timedelta(days=limit):
            found.add("REFERRAL-OVERDUE")
        if ref.status == "draft" and ref.created_on < day - timedelta(days=7):
            found.add("REFERRAL-UNSENT")
    screens = [e for e in patient.epds if e.assessed_on <= day]
    if screens:
        latest = max(screens, key=lambda e: e.assessed_on)
        if latest.self_harm_item > 0 or latest.score >= 13:
            if not any(r.specialty == "mental_health" and r.status not in ("declined", "cancelled")
                       and r.created_on >= latest.assessed_on for r in patient.referrals):
                found.add("MOOD")
    if fragility:
        index = min(f.identified_on for f in fragility)
        taken = {b.test for b in patient.bloods if index <= b.taken_on <= day}
        if any(not taken.intersection(tests) for tests in _WORKUP_NEEDS):
            found.add("WORKUP")
    doses = [m.started_on for m in patient.medications if m.drug == "denosumab" and m.started_on <= day]
    if doses:
        last = max(doses)
        bisphosphonates = [m.started_on for m in patient.medications
                           if m.drug in codes.BISPHOSPHONATES and m.started_on <= day]
        if all(last >= s for s in bisphosphonates) and last <= day - timedelta(days=167):
            found.add("DMAB-DUE")
    anabolic = [m for m in patient.medications if m.drug in codes.PTH_ANALOGUES and m.started_on <= day]
    used = sum((min(m.stopped_on or day, day) - m.started_on).days + 1 for m in anabolic)
    if used >= 640 and any(m.stopped_on is None or m.stopped_on >= day for m in anabolic):
        found.add("PTH-LIMIT")
    heights = [h.cm for h in sorted(patient.heights, key=lambda h: h.measured_on) if h.measured_on <= day]
    if len(heights) >= 2 and (heights[-1] <= heights[-2] - 2 or heights[-1] <= heights[0] - 4):
        found.add("HEIGHT-LOSS")
    return found


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


def test_negative_count_is_refused():
    with pytest.raises(ValueError):
        demo_caseload(-1, today=TODAY)


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


# --- clinical shape --------------------------------------------------------------------------

def test_mostly_first_pregnancies(caseload):
    presenting = []
    for patient in caseload:
        first = min(_fragility(patient, TODAY), key=lambda f: f.identified_on)
        pregnancy = next(p for p in patient.pregnancies if p.ref == first.pregnancy)
        presenting.append(pregnancy.number)
    assert _share(presenting.count(1), len(presenting)) > 0.5


def test_vertebral_fractures_are_mostly_t10_to_l3(caseload):
    middle = codes.VERTEBRAL_LEVELS[codes.VERTEBRAL_LEVELS.index("t10"):codes.VERTEBRAL_LEVELS.index("l3") + 1]
    levels = [f.site for p in caseload for f in p.fractures if f.site in codes.VERTEBRAL_LEVELS]
    assert _share(sum(level in middle for level in levels), len(levels)) > 0.5
    grades = Counter(f.genant_grade for p in caseload for f in p.fractures if f.site in codes.VERTEBRAL_LEVELS)
    assert grades[1] + grades[2] > grades[3] > 0
    others = Counter(f.site for p in caseload for f in p.fractures if f.site not in codes.VERTEBRAL_LEVELS)
    assert others["sacrum"] and others["pelvis"] and others["hip"]


def test_first_fractures_mostly_around_delivery(caseload):
    near = 0
    for patient in caseload:
        first = min(f.identified_on for f in _fragility(patient, TODAY))
        births = [p.ended_on for p in patient.pregnancies if p.outcome in codes.BIRTH_OUTCOMES]
        if any(-91 <= (first - ended).days <= 84 for ended in births):
            near += 1
    assert _share(near, len(caseload)) > 0.5
    in_pregnancy = sum(
        any(f.identified_on < p.ended_on for f in patient.fractures if f.pregnancy == p.ref and p.ended_on)
        for patient in caseload for p in patient.pregnancies
    )
    assert in_pregnancy > 0


def test_lactation_takes_every_shape_on_today(caseload):
    lactation = Counter(_lactation(p, TODAY) for p in caseload)
    assert _share(lactation["breastfeeding"], len(caseload)) >= 0.25
    assert lactation["ceased"] and lactation["not_breastfed"] and lactation["unknown"]
    pregnant_now = sum(any(p.outcome == "ongoing" for p in patient.pregnancies) for patient in caseload)
    assert 0 < pregnant_now < len(caseload) / 10


def test_some_women_fracture_again(caseload):
    repeats = [_repeat_fractures(p, TODAY) for p in caseload]
    assert _share(sum(bool(r) for r in repeats), len(caseload)) >= 0.05
    progressions = sum(
        any(g.site == f.site and g.identified_on < f.identified_on for g in p.fractures)
        for p, found in zip(caseload, repeats) for f in found
    )
    assert progressions > 0


def test_z_scores_are_mostly_between_minus_3_5_and_minus_1_5(caseload):
    z_scores = [s.z_score for p in caseload for s in p.dexa if s.z_score is not None]
    assert _share(sum(-3.5 <= z <= -1.5 for z in z_scores), len(z_scores)) > 0.5
    spine = [s.bmd for p in caseload for s in p.dexa if s.site == "lumbar_spine" and s.bmd is not None]
    assert _share(sum(0.65 <= b <= 1.05 for b in spine), len(spine)) > 0.8
    serial = sum(len({s.scanned_on for s in p.dexa}) > 1 for p in caseload)
    assert serial > 0
    for patient in caseload:
        dates = Counter(s.scanned_on for s in patient.dexa)
        for scanned_on in dates:
            sites = {s.site for s in patient.dexa if s.scanned_on == scanned_on}
            assert {"lumbar_spine", "total_hip"} <= sites


def test_bloods_use_the_exact_units_and_some_are_low_or_missing(caseload):
    bloods = [b for p in caseload for b in p.bloods]
    assert {b.test for b in bloods} >= set(_test for needs in _WORKUP_NEEDS for _test in needs)
    for blood in bloods:
        assert blood.unit == codes.BLOOD_TEST_UNITS[blood.test]
    assert any(b.test == "vitamin_d_25oh" and b.value < 50 for b in bloods)
    assert sum("WORKUP" in _worklist_codes(p, TODAY) for p in caseload) > 0


def test_osteoporosis_drugs_only_when_not_breastfeeding_or_pregnant(caseload):
    drugs = Counter()
    for patient in caseload:
        for med in patient.medications:
            drugs[med.drug] += 1
            if med.drug in codes.OSTEOPOROSIS_DRUGS:
                assert not _breastfeeding_entries(patient, med.started_on), patient.ref
                assert _lactation(patient, med.started_on) != "unknown", patient.ref
            if med.drug in ("denosumab", "zoledronate"):
                assert med.stopped_on == med.started_on
    assert drugs.most_common(1)[0][0] == "calcium_vitamin_d"
    for drug in ("alendronate", "zoledronate", "denosumab", "teriparatide"):
        assert drugs[drug] > 0, drug


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
    raised = Counter()
    for patient in caseload:
        raised.update(_worklist_codes(patient, TODAY))
    expected = {
        "LACTATION-UNKNOWN", "FEEDING-CHECK", "DECISION-DUE", "REPEAT-FRACTURE", "DEXA-DUE",
        "REFERRAL-OVERDUE", "REFERRAL-UNSENT", "MOOD", "WORKUP", "DMAB-DUE", "PTH-LIMIT", "HEIGHT-LOSS",
    }
    assert expected <= set(raised), expected - set(raised)
    assert sum(not _worklist_codes(p, TODAY) for p in caseload) > 0  # some need nothing today


def test_the_clinic_worklist_raises_every_task(caseload):
    from pao_clinic.gate import TASK_CODES, patient_tasks

    raised = {task.code for patient in caseload for task in patient_tasks(patient, TODAY)}
    assert raised == set(TASK_CODES)


def _as_known_on(patient, day):
    """The record as it stood when a decision was made on `day` (before that day's course began)."""
    ended = {p.ref for p in patient.pregnancies if p.ended_on is not None and p.ended_on <= day}
    return replace(
        patient,
        pregnancies=tuple(p for p in patient.pregnancies if p.ref in ended),
        breastfeeding=tuple(f for f in patient.breastfeeding if f.pregnancy in ended),
        medications=tuple(m for m in patient.medications if m.started_on < day),
        decisions=tuple(d for d in patient.decisions if d.decided_on < day),
    )


def test_start_decisions_are_ones_the_gate_accepts_on_their_day(caseload):
    from pao_clinic.gate import check_medication

    verdicts = Counter()
    for patient in caseload:
        for decision in patient.decisions:
            if decision.plan != "start":
                continue
            result = check_medication(_as_known_on(patient, decision.decided_on), decision.drug, decision.decided_on)
            verdicts[result.verdict] += 1
            where = (patient.ref, decision.drug, decision.decided_on, result.rule_ids())
            assert result.verdict != "blocked", where
            assert (result.verdict == "needs_reason") == bool(decision.override_reason), where
    assert verdicts["allowed"] and verdicts["needs_reason"]


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
