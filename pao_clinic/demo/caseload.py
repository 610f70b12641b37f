"""One woman's synthetic history, put together part by part, and the caseload of many.

`one_woman` tells her story in order (each part in its own module) and turns it into a
`PatientRecord`; `demo_caseload` makes `count` of them from one `random.Random(seed)`.
"""

from __future__ import annotations

import gc
import random
from datetime import date
from operator import attrgetter, itemgetter

from pao_clinic.demo import bloods, feeding, fractures, pregnancies, referrals, scans, treatment, visits
from pao_clinic.demo.choosing import Days
from pao_clinic.demo.history import History
from pao_clinic.demo.people import CONSULTANTS, Numbers, person
from pao_clinic.record import codes
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

MAX_PATIENTS = 500_000
"""Largest caseload: the 999 test range holds about 909,000 valid NHS numbers."""

_FIRST = itemgetter(0)
_SECOND = itemgetter(1)
_DECIDED_BY = attrgetter("decided_on", "by")           # export's order for same-day decisions
_RECORDED = itemgetter(0, 2, 1)                         # date, then false before true, then method
_UNITS = codes.BLOOD_TEST_UNITS


def _by_ref_on_ties(items: list, main_date: str) -> tuple:
    """Items made in date order with refs 1, 2, ...; export compares refs as text (x10 < x9)."""
    if len(items) >= 10:
        items.sort(key=attrgetter(main_date, "ref"))
    return tuple(items)


def one_woman(h: History) -> PatientRecord:
    """Her story in the order it happened, then her record."""
    pregnancies.timeline(h)
    pregnancies.pregnancies(h)
    feeding.feeding(h)
    fractures.fractures(h)
    visits.visits_and_history(h)
    scans.dexa(h)
    bloods.workup_bloods(h)
    scans.heights(h)
    visits.epds(h)
    visits.contraception(h)
    treatment.calcium_vitamin_d(h)
    treatment.treatment(h)
    treatment.defer_decision(h)
    referrals.referrals(h)
    bloods.code_vitamin_d_deficiency(h)
    return record_of(h)


def record_of(h: History) -> PatientRecord:
    """Her history as a PatientRecord (dates from day ordinals, lists in export order)."""
    r, d = h.r, h.days.__getitem__
    given, family, nhs, hospital, contact, gp = person(r, h.numbers)

    # Every list in the order export writes it (main date, then ref as text, then the
    # entry itself), so that export and import give these very values back.
    pregnancies = tuple([
        Pregnancy(ref=f"preg{n}", number=n, outcome=outcome, due_date=d(due) if due else None,
                  ended_on=d(ended) if ended else None, delivery_mode=mode)
        for n, outcome, due, ended, mode in h.pregnancies
    ])
    breastfeeding = tuple([
        Feeding(pregnancy=f"preg{n}", breastfed=fed, started_on=d(start) if start else None,
                stopped_on=d(stop) if stop else None, planned_stop_on=d(planned) if planned else None)
        for n, (fed, start, stop, planned)
        in sorted(h.feeding.items(), key=lambda item: (not item[1][0], item[1][1] or 0, f"preg{item[0]}"))
    ])
    fractures = _by_ref_on_ties([
        Fracture(ref=f"fx{i}", site=site, identified_on=d(ident), imaging=imaging, trauma=trauma,
                 side=side, onset_on=d(onset) if onset else None, genant_grade=grade,
                 pregnancy=f"preg{preg}" if preg else None, note=note)
        for i, (ident, onset, site, side, grade, imaging, trauma, preg, note)
        in enumerate(sorted(h.fractures, key=_FIRST), 1)
    ], "identified_on")
    dexa = _by_ref_on_ties([
        DexaScan(ref=f"dexa{i}", scanned_on=d(day), site=site, bmd=bmd, t_score=t, z_score=z)
        for i, (day, site, bmd, t, z) in enumerate(h.dexa, 1)  # made in date order
    ], "scanned_on")
    bloods = tuple([
        BloodResult(taken_on=d(day), test=test, value=value, unit=_UNITS[test])
        for day, test, value in sorted(h.bloods)
    ])
    heights = tuple([HeightMeasurement(measured_on=d(day), cm=cm) for day, cm in h.heights])
    epds = tuple([EpdsScreen(assessed_on=d(day), score=score, self_harm_item=item)
                  for day, score, item in h.epds])
    medications = _by_ref_on_ties([
        Medication(ref=f"med{i}", drug=drug, started_on=d(start), stopped_on=d(stop) if stop else None)
        for i, (drug, start, stop) in enumerate(sorted(h.medications, key=_SECOND), 1)
    ], "started_on")
    referrals = _by_ref_on_ties([
        Referral(ref=f"ref{i}", specialty=specialty, urgency=urgency, status=status,
                 created_on=d(created), reason=reason, sent_on=d(sent) if sent else None,
                 seen_on=d(seen) if seen else None)
        for i, (created, specialty, urgency, status, sent, seen, reason)
        in enumerate(sorted(h.referrals, key=_FIRST), 1)
    ], "created_on")
    decisions = tuple(sorted([
        Decision(decided_on=d(day), plan=plan, by=CONSULTANTS[int(r() * len(CONSULTANTS))], drug=drug,
                 override_reason=reason, review_on=d(review) if review else None)
        for day, plan, drug, reason, review in h.decisions
    ], key=_DECIDED_BY)) if h.decisions else ()
    contraception = tuple([Contraception(recorded_on=d(day), method=method, effective=effective)
                           for day, method, effective in sorted(h.contraception, key=_RECORDED)])
    dental = tuple([DentalReview(reviewed_on=d(day)) for day in sorted(set(h.dental))]) if h.dental else ()
    return PatientRecord(
        ref=f"pt{h.index:05d}",
        family_name=family,
        given_name=given,
        date_of_birth=d(h.born),
        nhs_number=nhs,
        hospital_number=hospital,
        contact=contact,
        gp=gp,
        risk_factors=tuple(code for code in codes.RISK_FACTORS if code in h.risks),
        history=tuple(code for code in codes.HISTORY_CODES if code in h.history),
        future_pregnancy_plan=h.plan,
        contraception=contraception,
        dental_reviews=dental,
        pregnancies=pregnancies,
        breastfeeding=breastfeeding,
        fractures=fractures,
        dexa=dexa,
        bloods=bloods,
        heights=heights,
        epds=epds,
        medications=medications,
        referrals=referrals,
        decisions=decisions,
    )


def demo_caseload(count: int, *, seed: int = 1, today: date) -> list[PatientRecord]:
    """`count` fictional patients as of `today`; the same arguments give the same records.

    Patient refs are pt00001, pt00002, ...; every record follows the exchange format
    (no date after `today` except due dates, planned stops and review dates).
    """
    if count < 0:
        raise ValueError("count must not be negative")
    if count > MAX_PATIENTS:
        raise ValueError(f"at most {MAX_PATIENTS} demo patients")
    rng = random.Random(seed)
    numbers = Numbers(rng)
    day = today.toordinal()
    # Hundreds of thousands of small acyclic values: the cycle collector would only
    # re-scan them over and over, so it rests while they are built.
    collecting = gc.isenabled()
    gc.disable()
    try:
        days = Days()
        return [one_woman(History(rng, day, index, numbers, days)) for index in range(1, count + 1)]
    finally:
        if collecting:
            gc.enable()
