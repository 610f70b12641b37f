"""Generated valid records survive export, import and export again unchanged."""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import replace
from datetime import date, datetime, timedelta, timezone

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pao_clinic.record import codes
from pao_clinic.exchange import (
    document_from_records, document_to_bytes, document_to_text, parse_document, read_document_text,
)
from pao_clinic.record import (
    CLINICAL_LISTS,
    BloodResult,
    Contact,
    Contraception,
    Decision,
    DentalReview,
    DexaScan,
    EpdsScreen,
    Feeding,
    Fracture,
    GeneralPractitioner,
    HeightMeasurement,
    Medication,
    PatientRecord,
    Pregnancy,
    Referral,
)
from pao_clinic.record.validation import patient_record_problems

TODAY = date(2026, 11, 22)
EXPORTED_AT = datetime(2026, 11, 22, 10, 0, tzinfo=timezone.utc)
FIRST_EVENT = date(2012, 1, 1)

NAMES = ("Zoë", "Siobhán", "Łucja", "Nguyễn", "O'Brien", "Ní Bhriain", "Smith-Jones", "Anne Marie", "D\u2019Souza",
         "Thị Hương", "Müller", "Åsa", "Wójcik", "al-Hashimi", "佐藤")
letters = st.characters(categories=("Lu", "Ll", "Lo"))
names = st.one_of(
    st.sampled_from(NAMES),
    st.text(letters, min_size=1, max_size=10),
    st.tuples(st.text(letters, min_size=1, max_size=6), st.sampled_from(" -'"),
              st.text(letters, min_size=1, max_size=6))
    .map("".join),
)
# Free text: anything but surrogates and invisible control characters (tab and line breaks allowed);
# never blank, as blank optional text is written and read as absent (tests/test_exchange.py).
text_characters = st.characters(exclude_categories=("Cs", "Cc")) | st.sampled_from("\t\n\r")
any_text = st.text(text_characters, max_size=8)
visible = st.characters(categories=("L", "N", "P", "S"))
words = st.tuples(visible, any_text).map("".join)  # required text: never blank
refs = st.tuples(visible, st.text(text_characters, max_size=3)).map("".join)
# Often the same few days, so that entries tie on their date and the export's tie-breaks are tested.
days = st.dates(min_value=FIRST_EVENT, max_value=TODAY) | st.sampled_from((date(2025, 3, 2), date(2025, 4, 10)))


def one_of_codes(values):
    return st.sampled_from(tuple(values))


# Strategies are built once here: building them inside the composites below is most of the cost.
booleans = st.booleans()
site_codes = one_of_codes(codes.FRACTURE_SITES)
outcomes_ended = one_of_codes(("live_birth", "stillbirth", "miscarriage", "termination"))
delivery_modes = one_of_codes(codes.DELIVERY_MODES)
imaging_codes, trauma_codes, sides = one_of_codes(codes.IMAGING), one_of_codes(codes.TRAUMA), one_of_codes(codes.SIDES)
genant_grades = one_of_codes(codes.GENANT_GRADES)
dexa_sites, t_or_z = one_of_codes(codes.DEXA_SITES), one_of_codes(("t", "z", "both"))
scores, bmds = st.floats(-8.0, 6.0), st.floats(0.2, 2.0)
blood_tests, flags, blood_values = one_of_codes(codes.BLOOD_TESTS), one_of_codes((0.0, 1.0)), st.floats(0, 5000)
heights_cm = st.floats(120, 220)
epds_totals, self_harm_items = st.integers(0, 30), st.integers(0, 3)
drugs, specialties = one_of_codes(codes.DRUGS), one_of_codes(codes.SPECIALTIES)
urgencies, statuses, plans = (one_of_codes(codes.URGENCIES), one_of_codes(codes.REFERRAL_STATUSES),
                              one_of_codes(codes.DECISION_PLANS))
identifier_kinds = one_of_codes(("nhs", "hospital", "both"))
risk_factor_lists = st.lists(one_of_codes(codes.RISK_FACTORS), unique=True, max_size=4)
history_lists = st.lists(one_of_codes(codes.HISTORY_CODES), unique=True, max_size=2)
future_plans = one_of_codes(codes.FUTURE_PREGNANCY_PLANS)
births = st.dates(date(1968, 1, 1), date(1995, 12, 31))  # 12 to 60 at every date generated below
pregnancy_counts, pregnancy_numbers = st.integers(0, 3), st.integers(1, 9)
offsets = st.integers(0, 800)


def maybe(draw, strategy):
    """A value of `strategy`, or None."""
    return draw(strategy) if draw(booleans) else None


def later(draw, start: date, most: int, *, until: date | None = TODAY) -> date:
    """A date from `start` up to `most` days later (and not after `until`)."""
    day = start + timedelta(days=draw(offsets) % (most + 1))
    return min(day, until) if until is not None else day


def nine_digits_with_a_check_digit(digits: str) -> bool:
    total = sum(int(d) * w for d, w in zip(digits, range(10, 1, -1)))
    return (11 - total % 11) % 11 != 10 and len(set(digits)) > 1


def with_check_digit(digits: str) -> str:
    total = sum(int(d) * w for d, w in zip(digits, range(10, 1, -1)))
    return digits + str((11 - total % 11) % 11)


# from 320 000 000 on: the Scottish CHI range below it begins with a date of birth (DDMMYY)
nhs_numbers = (st.integers(320_000_000, 10**9 - 1).map("{:09d}".format)
               .filter(nine_digits_with_a_check_digit).map(with_check_digit))
hospital_numbers = st.text(st.characters(categories=("Lu", "Nd"), max_codepoint=127), min_size=1, max_size=20)


def unique_refs(draw, count: int) -> list[str]:
    return draw(st.lists(refs, min_size=count, max_size=count, unique=True))


def pregnancies_and_feeding(draw):
    count = draw(pregnancy_counts)
    numbers = draw(st.lists(pregnancy_numbers, min_size=count, max_size=count, unique=True))
    ongoing = draw(st.integers(-1, count - 1)) if count else -1
    pregnancies, feeding = [], []
    for index, (ref, number) in enumerate(zip(unique_refs(draw, count), numbers)):
        if index == ongoing:
            due = maybe(draw, offsets)
            pregnancies.append(Pregnancy(ref=ref, number=number, outcome="ongoing",
                                         due_date=None if due is None else later(draw, TODAY - timedelta(days=30),
                                                                                 300, until=None)))
            continue
        outcome = draw(outcomes_ended)
        ended_on = draw(days)
        pregnancies.append(Pregnancy(
            ref=ref, number=number, outcome=outcome, ended_on=ended_on,
            due_date=later(draw, ended_on - timedelta(days=100), 200, until=None) if draw(booleans) else None,
            delivery_mode=maybe(draw, delivery_modes) if outcome in codes.BIRTH_OUTCOMES else None,
        ))
        if not draw(booleans):
            continue
        if not draw(booleans):
            feeding.append(Feeding(pregnancy=ref, breastfed=False))
            continue
        started_on = later(draw, ended_on, 30)
        stopped_on = later(draw, started_on, 700) if draw(booleans) else None
        planned = later(draw, started_on, 700, until=None) if not stopped_on and draw(booleans) else None
        feeding.append(Feeding(pregnancy=ref, breastfed=True, started_on=started_on, stopped_on=stopped_on,
                               planned_stop_on=planned))
    return tuple(pregnancies), tuple(feeding)


def fracture(draw, ref, pregnancy_refs):
    site = draw(site_codes)
    identified_on = draw(days)
    return Fracture(
        ref=ref, site=site, identified_on=identified_on, imaging=draw(imaging_codes), trauma=draw(trauma_codes),
        side=maybe(draw, sides) if site in codes.SIDED_SITES else None,
        onset_on=identified_on - timedelta(days=draw(offsets) % 90) if draw(booleans) else None,
        genant_grade=draw(genant_grades) if site in codes.VERTEBRAL_LEVELS else None,
        pregnancy=maybe(draw, st.sampled_from(pregnancy_refs)) if pregnancy_refs else None,
        note=maybe(draw, words),
    )


def dexa_scan(draw, ref):
    which = draw(t_or_z)
    return DexaScan(ref=ref, scanned_on=draw(days), site=draw(dexa_sites), bmd=maybe(draw, bmds),
                    t_score=draw(scores) if which != "z" else None,
                    z_score=draw(scores) if which != "t" else None)


def blood_result(draw):
    test = draw(blood_tests)
    value = draw(flags) if test == "serum_protein_electrophoresis" else draw(blood_values)
    return BloodResult(taken_on=draw(days), test=test, value=value, unit=codes.BLOOD_TEST_UNITS[test])


def epds_screen(draw):
    score = draw(epds_totals)
    return EpdsScreen(assessed_on=draw(days), score=score, self_harm_item=min(score, draw(self_harm_items)))


def medication(draw, ref):
    drug = draw(drugs)
    started_on = draw(days)
    if drug in {"denosumab", "zoledronate"}:
        stopped_on = started_on  # one entry per dose
    else:
        stopped_on = later(draw, started_on, 400) if draw(booleans) else None
    return Medication(ref=ref, drug=drug, started_on=started_on, stopped_on=stopped_on)


def referral(draw, ref):
    status = draw(statuses)
    created_on = draw(days)
    sent_on = None
    if status in codes.REFERRAL_STATUSES_NEEDING_SENT_ON or (status != "draft" and draw(booleans)):
        sent_on = later(draw, created_on, 30)
    seen_on = later(draw, sent_on or created_on, 90) if status == "seen" else None
    return Referral(ref=ref, specialty=draw(specialties), urgency=draw(urgencies), status=status,
                    created_on=created_on, sent_on=sent_on, seen_on=seen_on, reason=draw(words))


def decision(draw):
    plan = draw(plans)
    decided_on = draw(days)
    return Decision(decided_on=decided_on, plan=plan,
                    drug=draw(drugs) if plan in codes.DECISION_PLANS_NEEDING_DRUG else maybe(draw, drugs),
                    by=draw(words), override_reason=maybe(draw, words),
                    review_on=later(draw, decided_on, 800, until=None) if draw(booleans) else None)


def entries_of(draw, make, most: int, *, with_ref: bool = False, **extra) -> tuple:
    """Up to `most` entries made by `make`; entries with a ref get refs unique in their list."""
    count = draw(st.integers(0, most))
    if not with_ref:
        return tuple(make(draw, **extra) for _ in range(count))
    return tuple(make(draw, ref, **extra) for ref in unique_refs(draw, count))


@st.composite
def patient_records(draw):
    identifiers = draw(identifier_kinds)
    pregnancies, feeding = pregnancies_and_feeding(draw)
    return PatientRecord(
        ref=draw(refs),
        nhs_number=draw(nhs_numbers) if identifiers != "hospital" else None,
        hospital_number=draw(hospital_numbers) if identifiers != "nhs" else None,
        family_name=draw(names), given_name=draw(names), date_of_birth=draw(births),
        contact=Contact(address=maybe(draw, words), postcode=maybe(draw, words), phone=maybe(draw, words),
                        email=maybe(draw, words)) if draw(booleans) else None,
        gp=GeneralPractitioner(name=maybe(draw, words), practice=maybe(draw, words),
                               address=maybe(draw, words)) if draw(booleans) else None,
        risk_factors=tuple(draw(risk_factor_lists)),
        history=tuple(draw(history_lists)),
        future_pregnancy_plan=maybe(draw, future_plans),
        contraception=entries_of(draw, lambda d: Contraception(recorded_on=d(days), method=d(words),
                                                              effective=d(booleans)), 2),
        dental_reviews=entries_of(draw, lambda d: DentalReview(reviewed_on=d(days)), 2),
        pregnancies=pregnancies,
        breastfeeding=feeding,
        fractures=entries_of(draw, fracture, 3, with_ref=True, pregnancy_refs=[p.ref for p in pregnancies]),
        dexa=entries_of(draw, dexa_scan, 2, with_ref=True),
        bloods=entries_of(draw, blood_result, 2),
        heights=entries_of(draw, lambda d: HeightMeasurement(measured_on=d(days), cm=d(heights_cm)), 2),
        epds=entries_of(draw, epds_screen, 2),
        medications=entries_of(draw, medication, 2, with_ref=True),
        referrals=entries_of(draw, referral, 2, with_ref=True),
        decisions=entries_of(draw, decision, 2),
    )


caseloads = st.lists(
    patient_records(), max_size=3,
    unique_by=(lambda r: r.ref, lambda r: r.nhs_number or object(),
               lambda r: r.hospital_number.casefold() if r.hospital_number else object()),
)


def entries(record: PatientRecord) -> dict[str, Counter]:
    """Every list of a record, ignoring order."""
    return {name: Counter(getattr(record, name)) for name, _type, _date in CLINICAL_LISTS}


@settings(max_examples=100, deadline=None)
@given(caseloads)
def test_export_import_export_gives_the_same_document(records):
    for record in records:
        assert patient_record_problems(record, today=TODAY) == []
    document = document_from_records(records, exported_at=EXPORTED_AT)
    imported = parse_document(document, today=TODAY)
    assert document_from_records(imported, exported_at=EXPORTED_AT) == document
    assert read_document_text(document_to_text(document), today=TODAY) == imported
    by_ref = {record.ref: record for record in records}
    for record in imported:
        original = by_ref[record.ref]
        assert (record.family_name, record.given_name, record.nhs_number, record.hospital_number,
                record.date_of_birth) == (original.family_name, original.given_name, original.nhs_number,
                                          original.hospital_number, original.date_of_birth)
        assert entries(record) == entries(original)


def with_greek_mu(record: PatientRecord) -> PatientRecord:
    return replace(record, bloods=tuple(replace(b, unit=b.unit.replace("\u00b5", "\u03bc")) for b in record.bloods))


@settings(max_examples=30, deadline=None)
@given(caseloads)
def test_micro_written_as_greek_mu_gives_the_same_document(records):
    document = document_from_records(records, exported_at=EXPORTED_AT)
    assert document_from_records([with_greek_mu(r) for r in records], exported_at=EXPORTED_AT) == document
    text = document_to_text(document).replace('"unit": "\u00b5', '"unit": "\u03bc')
    assert document_from_records(read_document_text(text, today=TODAY), exported_at=EXPORTED_AT) == document


@settings(max_examples=30, deadline=None)
@given(caseloads, st.randoms(use_true_random=False))
def test_the_document_does_not_depend_on_the_order_entries_were_given(records, shuffler):
    def shuffled(items):
        items = list(items)
        shuffler.shuffle(items)
        return tuple(items)

    reordered = [replace(record, risk_factors=shuffled(record.risk_factors), history=shuffled(record.history),
                         **{name: shuffled(getattr(record, name)) for name, _type, _date in CLINICAL_LISTS})
                 for record in records]
    assert document_from_records(shuffled(reordered), exported_at=EXPORTED_AT) == document_from_records(
        records, exported_at=EXPORTED_AT)


# Any JSON value: the export's own writer gives exactly json.dumps(indent=2)'s text (issue 10: it uses the C encoder).
json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False, allow_infinity=False) | any_text,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(any_text, inner, max_size=4), max_leaves=25)


@settings(max_examples=300, deadline=None)
@given(value=json_values)
def test_the_documents_text_is_what_json_writes_indented(value):
    written = json.dumps(value, ensure_ascii=False, indent=2, allow_nan=False) + "\n"
    assert document_to_text(value) == written
    assert document_to_bytes(value) == written.encode("utf-8")


@pytest.mark.parametrize("value", [
    {"value": 1e-05}, {"value": -1.5e-07}, [9.87654321e-09, 0.0001, 0.00012, 1e16, 1e-10, 0.0],
    {"note": "pre-eclampsia at 0.00001 e-5, then 1e-6"},  # text that looks like orjson's small numbers
    {"big": 2 ** 70}, {"not text": {1: "one"}}, {"nested": [[{"a": []}, {}], "\u0000\u001f\u2028 \u0141ucja"]},
], ids=["1e-05", "1.5e-07", "small and large", "text like numbers", "beyond 64 bits", "int key", "nested"])
def test_numbers_and_values_orjson_would_write_otherwise_come_out_as_json_writes_them(value):
    written = json.dumps(value, ensure_ascii=False, indent=2, allow_nan=False) + "\n"
    assert document_to_text(value) == written
    assert document_to_bytes(value) == written.encode("utf-8")


@pytest.mark.parametrize("number", [float("nan"), float("inf"), -float("inf")])
def test_a_number_json_refuses_is_refused_not_written_as_null(number):
    with pytest.raises(ValueError):
        document_to_text({"patients": [{"value": number}], "missing": None})
    with pytest.raises(ValueError):
        document_to_bytes({"patients": [{"value": number}]})


@pytest.mark.parametrize("value", [date(2026, 1, 2), {"when": datetime(2026, 1, 2, 3, 4)}])
def test_a_value_json_cannot_write_is_a_type_error_as_with_json(value):
    with pytest.raises(TypeError):
        document_to_text(value)
