"""Properties of the gate over generated histories (hypothesis)."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from pao_clinic.record import codes
from pao_clinic.record.dates import written_date
from pao_clinic.gate import RULE_IDS, check_medication, clinical_facts, worklist
from pao_clinic.record import (
    BloodResult,
    Contraception,
    Decision,
    DentalReview,
    DexaScan,
    EpdsScreen,
    Feeding,
    Fracture,
    HeightMeasurement,
    Medication,
    PatientRecord,
    Pregnancy,
    Referral,
)

VERDICT_WORDS = {"allowed": "ALLOWED", "needs_reason": "NEEDS A REASON", "blocked": "BLOCKED"}
EXAMPLES = settings(max_examples=200, deadline=None)
OSTEOPOROSIS_DRUGS = sorted(codes.OSTEOPOROSIS_DRUGS)
BLOOD_VALUES = {
    "adjusted_calcium": (1.8, 3.0), "phosphate": (0.5, 2.0), "alkaline_phosphatase": (30, 300),
    "creatinine": (30, 300), "egfr": (10, 120), "vitamin_d_25oh": (10, 150), "pth": (1, 20),
    "tsh": (0.1, 10), "full_blood_count": (80, 160), "coeliac_ttg": (0, 50),
    "serum_protein_electrophoresis": (0, 1), "prolactin": (50, 2000),
}

# Every history is built around D = the decision day; strategies are made once, here.
D = date(2025, 6, 1)


def day_between(low: int, high: int):
    """A date D+low .. D+high."""
    return st.integers(low, high).map(lambda n: D + timedelta(days=n))


def tenths(low: int, high: int):
    return st.integers(low, high).map(lambda n: n / 10)


def small_lists(strategy, max_size=3):
    return st.lists(strategy, max_size=max_size).map(tuple)


@st.composite
def fractures(draw, day):
    site = draw(st.sampled_from(codes.FRACTURE_SITES))
    return Fracture(
        ref="f", site=site, identified_on=draw(day),
        imaging="mri", trauma=draw(st.sampled_from(codes.TRAUMA)),
        side=draw(st.sampled_from((None,) + codes.SIDES)) if site in codes.SIDED_SITES else None,
        genant_grade=draw(st.sampled_from(codes.GENANT_GRADES)) if site in codes.VERTEBRAL_LEVELS else None,
    )


@st.composite
def scans(draw, day):
    z = draw(st.none() | tenths(-40, 20))
    t = draw(tenths(-50, 20)) if z is None else draw(st.none() | tenths(-50, 20))
    return DexaScan(ref="d", scanned_on=draw(day), site=draw(st.sampled_from(codes.DEXA_SITES)),
                    z_score=z, t_score=t, bmd=draw(st.none() | st.integers(400, 1400).map(lambda n: n / 1000)))


def _blood(test: str):
    low, high = BLOOD_VALUES[test]
    return st.integers(int(low * 100), int(high * 100)).map(lambda n: n / 100)


@st.composite
def bloods(draw, day):
    test = draw(st.sampled_from(sorted(BLOOD_VALUES)))
    return BloodResult(taken_on=draw(day), test=test, value=draw(_BLOOD_VALUES[test]), unit=codes.BLOOD_TEST_UNITS[test])


_BLOOD_VALUES = {test: _blood(test) for test in BLOOD_VALUES}
_COURSE = st.none() | st.integers(0, 800)


@st.composite
def medications(draw, day):
    start = draw(day)
    length = draw(_COURSE)
    return Medication(ref="m", drug=draw(st.sampled_from(codes.DRUGS)), started_on=start,
                      stopped_on=None if length is None else start + timedelta(days=length))


@st.composite
def referrals(draw, day):
    created = draw(day)
    status = draw(st.sampled_from(codes.REFERRAL_STATUSES))
    sent = created + timedelta(days=draw(st.integers(0, 30))) if status in codes.REFERRAL_STATUSES_NEEDING_SENT_ON else None
    return Referral(ref="r", specialty=draw(st.sampled_from(codes.SPECIALTIES)),
                    urgency=draw(st.sampled_from(codes.URGENCIES)), status=status, created_on=created,
                    sent_on=sent, reason="review")


def record_lists(day, blood_day, by):
    """Strategies for every dated list of a record, on the days `day` draws."""
    return dict(
        contraception=small_lists(st.builds(Contraception, recorded_on=day, method=st.just("method"),
                                            effective=st.booleans()), 2),
        dental_reviews=small_lists(st.builds(DentalReview, reviewed_on=day), 2),
        fractures=small_lists(fractures(day), 4),
        dexa=small_lists(scans(day), 3),
        bloods=small_lists(bloods(blood_day), 10),
        heights=small_lists(st.builds(HeightMeasurement, measured_on=day, cm=tenths(1400, 1850)), 3),
        epds=small_lists(st.builds(EpdsScreen, assessed_on=day, score=st.integers(0, 30),
                                   self_harm_item=st.integers(0, 3)), 2),
        medications=small_lists(medications(day), 3),
        referrals=small_lists(referrals(day), 2),
        decisions=small_lists(st.builds(Decision, decided_on=day, plan=st.sampled_from(codes.DECISION_PLANS),
                                        by=st.just(by)), 2),
    )


HISTORY_LISTS = record_lists(day_between(-1200, 120), day_between(-120, 30), "Dr X")
LATER_LISTS = record_lists(day_between(1, 400), day_between(1, 400), "Dr Y")
ENDED = day_between(-1500, 60)
FEED_START = st.integers(0, 10)
FEED_LENGTH = st.none() | st.integers(0, 700)


@st.composite
def pregnancies_and_feeding(draw):
    pregnancies, feeding = [], []
    for n in range(draw(st.integers(0, 3))):
        outcome = draw(st.sampled_from(codes.PREGNANCY_OUTCOMES[1:]))
        ended = draw(ENDED)
        pregnancies.append(Pregnancy(ref=f"p{n}", number=n + 1, outcome=outcome, ended_on=ended))
        if outcome in codes.BIRTH_OUTCOMES:
            kind = draw(st.sampled_from(("none", "not_breastfed", "breastfed")))
            if kind == "not_breastfed":
                feeding.append(Feeding(pregnancy=f"p{n}", breastfed=False))
            elif kind == "breastfed":
                start = ended + timedelta(days=draw(FEED_START))
                stopped, planned = draw(FEED_LENGTH), draw(FEED_LENGTH)
                feeding.append(Feeding(
                    pregnancy=f"p{n}", breastfed=True, started_on=start,
                    stopped_on=None if stopped is None else start + timedelta(days=stopped),
                    planned_stop_on=None if stopped is not None or planned is None else start + timedelta(days=planned)))
    if draw(st.integers(0, 3)) == 0:
        pregnancies.append(Pregnancy(ref="ongoing", number=len(pregnancies) + 1, outcome="ongoing"))
    return tuple(pregnancies), tuple(feeding)


@st.composite
def histories(draw):
    """A woman's record around D (entries before and after it)."""
    pregnancies, feeding = draw(pregnancies_and_feeding())
    return PatientRecord(
        ref="p", family_name="Test", given_name="Case", date_of_birth=date(1990, 1, 1),
        nhs_number="9434765919",
        risk_factors=tuple(sorted(draw(st.sets(st.sampled_from(codes.RISK_FACTORS), max_size=3)))),
        history=tuple(sorted(draw(st.sets(st.sampled_from(codes.HISTORY_CODES), max_size=2)))),
        future_pregnancy_plan=draw(st.none() | st.sampled_from(codes.FUTURE_PREGNANCY_PLANS)),
        pregnancies=pregnancies,
        breastfeeding=feeding,
        **{name: draw(strategy) for name, strategy in HISTORY_LISTS.items()},
    )


def cases():
    return histories().map(lambda record: (record, D))


@st.composite
def she_cannot_be_treated(draw):
    """A history in which, on D, she is pregnant, breastfeeding or of unknown lactation."""
    record = draw(histories())
    d = D
    how = draw(st.sampled_from(("pregnant", "pregnancy_ends_after_d", "breastfeeding", "unknown")))
    if how == "pregnant":
        record = replace(record, pregnancies=record.pregnancies + (
            Pregnancy(ref="forced", number=9, outcome="ongoing"),))
    elif how == "pregnancy_ends_after_d":
        record = replace(record, pregnancies=record.pregnancies + (Pregnancy(
            ref="forced", number=9, outcome=draw(st.sampled_from(codes.PREGNANCY_OUTCOMES[1:])),
            ended_on=draw(day_between(1, 200))),))
    elif how == "breastfeeding":
        ended = draw(day_between(-700, 0))
        start = min(d, ended + timedelta(days=draw(FEED_START)))
        stop = draw(st.none() | day_between(0, 300))
        planned = None if stop else draw(st.none() | day_between(-300, 300))
        record = replace(
            record,
            pregnancies=record.pregnancies + (Pregnancy(ref="forced", number=9, outcome="live_birth", ended_on=ended),),
            breastfeeding=record.breastfeeding + (Feeding(
                pregnancy="forced", breastfed=True, started_on=start, stopped_on=stop,
                planned_stop_on=planned if planned is None or planned >= start else start),))
    else:  # the most recent birth (on D) has no feeding entry
        record = replace(record, pregnancies=record.pregnancies + (
            Pregnancy(ref="forced", number=9, outcome=draw(st.sampled_from(codes.BIRTH_OUTCOMES)), ended_on=d),))
    return record, d, how


@EXAMPLES
@given(she_cannot_be_treated(), st.sampled_from(OSTEOPOROSIS_DRUGS), st.none() | st.integers(1, 1000))
def test_never_allowed_while_pregnant_breastfeeding_or_lactation_unknown(case, drug, course):
    record, d, how = case
    facts = clinical_facts(record, d)
    assert facts.pregnant or facts.lactation in ("breastfeeding", "unknown")
    result = check_medication(record, drug, d, course_days=course)
    assert result.verdict == "blocked"
    assert set(result.rule_ids("block")) & {"PREG-1", "BF-1", "DATA-1"}
    assert "PREG-2" not in result.rule_ids()


@EXAMPLES
@given(cases())
def test_calcium_vitamin_d_is_always_allowed_with_only_sup_1(case):
    record, d = case
    result = check_medication(record, "calcium_vitamin_d", d)
    assert result.verdict == "allowed"
    assert result.rule_ids() == ("SUP-1",)
    assert result.review_on is None


@st.composite
def later_records(draw, record: PatientRecord, d: date):
    """Entries of every dated kind, each dated after D."""
    open_births = [p for p in record.pregnancies
                   if p.outcome in codes.BIRTH_OUTCOMES and p.ref not in {f.pregnancy for f in record.breastfeeding}]
    feeding = []
    for birth in open_births:
        if draw(st.booleans()):
            start = max(birth.ended_on, d) + timedelta(days=1 + draw(FEED_START))
            feeding.append(Feeding(pregnancy=birth.ref, breastfed=True, started_on=start,
                                   stopped_on=draw(st.none() | st.just(start + timedelta(days=20)))))
    later = {name: draw(strategy) for name, strategy in LATER_LISTS.items()}
    later["breastfeeding"] = tuple(feeding)
    return later


@st.composite
def cases_with_later_records(draw):
    record, d = draw(cases())
    later = draw(later_records(record, d))
    extended = replace(record, **{name: getattr(record, name) + items for name, items in later.items()})
    return record, extended, d


@EXAMPLES
@given(cases_with_later_records(), st.sampled_from(codes.DRUGS), st.none() | st.integers(1, 1000))
def test_records_dated_after_d_change_nothing_on_d(case, drug, course):
    record, extended, d = case
    before = check_medication(record, drug, d, course_days=course)
    after = check_medication(extended, drug, d, course_days=course)
    assert after == before
    assert after.to_json() == before.to_json()
    assert worklist([extended], d) == worklist([record], d)


@EXAMPLES
@given(cases(), st.sampled_from(codes.DRUGS))
def test_the_output_is_always_well_formed(case, drug):
    record, d = case
    result = check_medication(record, drug, d)
    levels = [r.level for r in result.rules]
    assert levels == sorted(levels, key=("block", "warn", "info").index)
    for level in ("block", "warn", "info"):
        ids = result.rule_ids(level)
        assert list(ids) == sorted(ids, key=RULE_IDS.index) and len(set(ids)) == len(ids)
    expected = "blocked" if "block" in levels else "needs_reason" if "warn" in levels else "allowed"
    assert result.verdict == expected
    assert (result.review_on is not None) <= ("BF-1" in result.rule_ids())
    if result.review_on is not None:
        assert result.review_on > d
    output = result.to_json()
    assert set(output["facts"]) == {"pregnant", "lactation", "index_date", "repeat_fractures",
                                    "vertebral_fractures_at_presentation", "lowest_z", "anabolic_days_used"}
    assert output["facts"]["lactation"] in codes.LACTATION_STATUSES
    assert all(r.message for r in result.rules)

    # the readable text says the same: the verdict word, the review date, every rule in order
    lines = result.to_text().splitlines()
    assert lines[0].endswith(f"on {written_date(d)}: {VERDICT_WORDS[result.verdict]}"), lines[0]
    review = written_date(result.review_on) if result.review_on is not None else "-"
    assert lines[1] == f"Review on: {review}"
    rule_lines = [line for line in lines if line.startswith("[")]
    assert rule_lines == [f"[{r.level.upper()}] {r.id}  {r.message}" for r in result.rules]
    assert ("Rules: none fired" in lines) == (not result.rules)
    assert f"  lactation: {result.facts.lactation.replace('_', ' ')}" in lines
