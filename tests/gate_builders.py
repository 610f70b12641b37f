"""Builders for the gate's tests: the spec's "well-documented record" and its parts.

`well_documented_record(d)` is the record every example of medication-gate.md starts
from: bloods taken 10 days before D, all normal; a dental review within a year;
effective contraception; future pregnancy plan `no`; no history codes, no risk
factors.  Keyword overrides replace any PatientRecord field.
"""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import date, timedelta
from pathlib import Path

from pao_clinic.record.codes import BLOOD_TEST_UNITS
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

D = date(2025, 6, 1)
EXAMPLES_DIR = Path(__file__).parent / "data" / "gate_examples"

NORMAL_BLOODS: dict[str, float] = {
    "adjusted_calcium": 2.35,
    "phosphate": 1.1,
    "alkaline_phosphatase": 90,
    "creatinine": 65,
    "egfr": 95,
    "vitamin_d_25oh": 75,
    "pth": 4.5,
    "tsh": 1.8,
    "full_blood_count": 130,
}


def days(n: int) -> timedelta:
    return timedelta(days=n)


def blood(test: str, value: float, taken_on: date) -> BloodResult:
    return BloodResult(taken_on=taken_on, test=test, value=value, unit=BLOOD_TEST_UNITS[test])


def normal_bloods(taken_on: date) -> tuple[BloodResult, ...]:
    return tuple(blood(test, value, taken_on) for test, value in NORMAL_BLOODS.items())


def well_documented_record(d: date = D, **overrides) -> PatientRecord:
    """The spec's well-documented record for decision date `d`, with overrides."""
    values = dict(
        ref="p1",
        family_name="Okafor",
        given_name="Amara",
        date_of_birth=date(1992, 3, 14),
        nhs_number="9434765919",
        hospital_number="RX1001",
        future_pregnancy_plan="no",
        contraception=(Contraception(recorded_on=d - days(30), method="copper IUD", effective=True),),
        dental_reviews=(DentalReview(reviewed_on=d - days(60)),),
        bloods=normal_bloods(d - days(10)),
    )
    values.update(overrides)
    return PatientRecord(**values)


def birth(ref: str = "b1", ended_on: date = D - days(200), number: int = 1, outcome: str = "live_birth") -> Pregnancy:
    return Pregnancy(ref=ref, number=number, outcome=outcome, ended_on=ended_on, delivery_mode="vaginal")


def ongoing_pregnancy(ref: str = "b2", number: int = 2, due_date: date | None = None) -> Pregnancy:
    return Pregnancy(ref=ref, number=number, outcome="ongoing", due_date=due_date)


def breastfed(pregnancy: str = "b1", started_on: date = D - days(200), stopped_on: date | None = None,
              planned_stop_on: date | None = None) -> Feeding:
    return Feeding(pregnancy=pregnancy, breastfed=True, started_on=started_on, stopped_on=stopped_on,
                   planned_stop_on=planned_stop_on)


def not_breastfed(pregnancy: str = "b1") -> Feeding:
    return Feeding(pregnancy=pregnancy, breastfed=False)


def vertebral(level: str, grade: int, identified_on: date, ref: str | None = None, trauma: str = "none") -> Fracture:
    return Fracture(ref=ref or f"{level}-{identified_on.isoformat()}-{grade}", site=level,
                    identified_on=identified_on, imaging="mri", trauma=trauma, genant_grade=grade)


def fracture(site: str, identified_on: date, side: str | None = None, ref: str | None = None,
             trauma: str = "low") -> Fracture:
    return Fracture(ref=ref or f"{site}-{side}-{identified_on.isoformat()}", site=site, side=side,
                    identified_on=identified_on, imaging="xray", trauma=trauma)


def scan(site: str, scanned_on: date, z: float | None = None, t: float | None = None,
         bmd: float | None = None, ref: str | None = None) -> DexaScan:
    return DexaScan(ref=ref or f"{site}-{scanned_on.isoformat()}", scanned_on=scanned_on, site=site,
                    bmd=bmd, t_score=t, z_score=z)


def medication(drug: str, started_on: date, stopped_on: date | None = None, ref: str | None = None) -> Medication:
    return Medication(ref=ref or f"{drug}-{started_on.isoformat()}", drug=drug, started_on=started_on,
                      stopped_on=stopped_on)


def dose(drug: str, given_on: date) -> Medication:
    return medication(drug, given_on, given_on)


def referral(specialty: str = "rheumatology", status: str = "sent", urgency: str = "routine",
             created_on: date = D - days(30), sent_on: date | None = None, ref: str = "r1") -> Referral:
    return Referral(ref=ref, specialty=specialty, urgency=urgency, status=status, created_on=created_on,
                    sent_on=sent_on, reason="PAO review")


def decision(decided_on: date, plan: str = "defer", drug: str | None = None) -> Decision:
    return Decision(decided_on=decided_on, plan=plan, by="Dr Adeyemi", drug=drug)


def epds(assessed_on: date, score: int, self_harm_item: int = 0) -> EpdsScreen:
    return EpdsScreen(assessed_on=assessed_on, score=score, self_harm_item=self_harm_item)


def height(measured_on: date, cm: float) -> HeightMeasurement:
    return HeightMeasurement(measured_on=measured_on, cm=cm)


def with_blood(record: PatientRecord, test: str, value: float | None, taken_on: date | None = None) -> PatientRecord:
    """The record with every `test` result replaced by one (value None: none at all)."""
    others = tuple(r for r in record.bloods if r.test != test)
    if value is None:
        return replace(record, bloods=others)
    when = taken_on or max((r.taken_on for r in record.bloods), default=D)
    return replace(record, bloods=others + (blood(test, value, when),))


def treatable_record(d: date = D, **overrides) -> PatientRecord:
    """A well-documented woman past weaning with clear indications: alendronate is allowed.

    Delivered at D-200, breastfed until D-60; L1 and L2 grade 2 at D-150; DEXA at D-50
    (after weaning): lumbar spine Z -2.5, total hip Z -1.5.
    """
    values = dict(
        pregnancies=(birth("b1", d - days(200)),),
        breastfeeding=(breastfed("b1", d - days(200), stopped_on=d - days(60)),),
        fractures=(vertebral("l1", 2, d - days(150)), vertebral("l2", 2, d - days(150))),
        dexa=(scan("lumbar_spine", d - days(50), z=-2.5, t=-2.8, bmd=0.80),
              scan("total_hip", d - days(50), z=-1.5, t=-1.7, bmd=0.78)),
    )
    values.update(overrides)
    return well_documented_record(d, **values)


# --- exchange-format documents ------------------------------------------------------

def _day(text: str | None) -> date | None:
    return None if text is None else date.fromisoformat(text)


def _dated(cls, values: dict, date_keys: tuple[str, ...]):
    return cls(**{k: (_day(v) if k in date_keys else v) for k, v in values.items()})


def records_from_document(document: dict) -> list[PatientRecord]:
    """A tiny reader of exchange-format documents (the tests' own; no validation)."""
    records = []
    for p in document["patients"]:
        records.append(PatientRecord(
            ref=p["ref"],
            nhs_number=p.get("nhs_number"),
            hospital_number=p.get("hospital_number"),
            family_name=p["family_name"],
            given_name=p["given_name"],
            date_of_birth=_day(p["date_of_birth"]),
            risk_factors=tuple(p.get("risk_factors", ())),
            history=tuple(p.get("history", ())),
            future_pregnancy_plan=p.get("future_pregnancy_plan"),
            contraception=tuple(_dated(Contraception, c, ("recorded_on",)) for c in p.get("contraception", ())),
            dental_reviews=tuple(_dated(DentalReview, c, ("reviewed_on",)) for c in p.get("dental_reviews", ())),
            pregnancies=tuple(_dated(Pregnancy, c, ("due_date", "ended_on")) for c in p.get("pregnancies", ())),
            breastfeeding=tuple(_dated(Feeding, c, ("started_on", "stopped_on", "planned_stop_on"))
                                for c in p.get("breastfeeding", ())),
            fractures=tuple(_dated(Fracture, c, ("identified_on", "onset_on")) for c in p.get("fractures", ())),
            dexa=tuple(_dated(DexaScan, c, ("scanned_on",)) for c in p.get("dexa", ())),
            bloods=tuple(_dated(BloodResult, c, ("taken_on",)) for c in p.get("bloods", ())),
            heights=tuple(_dated(HeightMeasurement, c, ("measured_on",)) for c in p.get("heights", ())),
            epds=tuple(_dated(EpdsScreen, c, ("assessed_on",)) for c in p.get("epds", ())),
            medications=tuple(_dated(Medication, c, ("started_on", "stopped_on")) for c in p.get("medications", ())),
            referrals=tuple(_dated(Referral, c, ("created_on", "sent_on", "seen_on")) for c in p.get("referrals", ())),
            decisions=tuple(_dated(Decision, c, ("decided_on", "review_on")) for c in p.get("decisions", ())),
        ))
    return records


def read_examples_document(number: int) -> list[PatientRecord]:
    """The records of tests/data/gate_examples/exampleN.json, read by the real parser when present."""
    document = json.loads((EXAMPLES_DIR / f"example{number}.json").read_text(encoding="utf-8"))
    try:
        from pao_clinic.exchange import parse_document
    except ImportError:  # the parser is optional for these tests; the tiny reader stands in
        return records_from_document(document)
    return parse_document(document, today=date.fromisoformat(document["exported_at"][:10]))


def load_example(number: int) -> PatientRecord:
    (record,) = read_examples_document(number)
    return record


def load_expected() -> dict:
    return json.loads((EXAMPLES_DIR / "expected.json").read_text(encoding="utf-8"))
