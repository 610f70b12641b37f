"""Her clinic visits and what is asked at them: history, risk factors, mood, contraception.

The first visit follows the first fracture by one to seven weeks, then every three to
seven months.  Risk factors and history codes are recorded there; EPDS mood screens
(some high, a few with a positive self-harm item) and contraception at some visits.
"""

from __future__ import annotations

from pao_clinic.demo.choosing import Weighted, one_of
from pao_clinic.demo.feeding import breastfeeding_on
from pao_clinic.demo.history import History

_FUTURE_PLANS = Weighted(((None, 22), ("yes", 17), ("no", 37), ("unsure", 24)))
_CONTRACEPTION = Weighted((
    (("progestogen-only pill", True), 20), (("levonorgestrel intrauterine system", True), 15),
    (("copper intrauterine device", True), 10), (("contraceptive implant", True), 12),
    (("combined pill", True), 6), (("progestogen injection", True), 4),
    (("partner vasectomy", True), 4), (("condoms", False), 12),
    (("lactational amenorrhoea", False), 5), (("none", False), 12),
))
EFFECTIVE_CONTRACEPTION = tuple(item for item in _CONTRACEPTION.items if item[1])

# Each risk factor with its share of women (a few are set from other facts).
_RISK_SHARES = (
    ("osteopenia_before_pregnancy", 0.03), ("osteoporosis_before_pregnancy", 0.01),
    ("family_history_osteoporosis", 0.15), ("genetic_bone_variant", 0.01),
    ("hyperemesis", 0.10), ("malabsorption", 0.03), ("restrictive_diet", 0.05),
    ("eating_disorder", 0.03), ("low_bmi", 0.06), ("amenorrhoea", 0.03),
    ("renal_stones_hypercalciuria", 0.01), ("progestogen_only_contraception", 0.06),
    ("heparin", 0.30), ("thyroid_hormone", 0.04), ("corticosteroids", 0.30),
    ("cancer_treatment", 0.01),
)


def visits_and_history(h: History) -> None:
    r, T = h.r, h.today
    h.first_visit = min(T, h.first_identified + 7 + int(r() * 40))
    visits = [h.first_visit]
    day = h.first_visit
    while len(visits) < 8:
        day += 84 + int(r() * 120)
        if day > T:
            break
        visits.append(day)
    h.visits = visits
    h.plan = _FUTURE_PLANS.pick(r)
    if h.next_conception is None:
        if r() < 0.025:
            h.history.add("sterilised")
            h.plan = "no"
        if r() < 0.004:
            h.history.add("postmenopausal")
    for code, share in (("skeletal_radiotherapy", 0.003), ("bone_malignancy", 0.002),
                        ("other_metabolic_bone_disease", 0.005)):
        if r() < share:
            h.history.add(code)
    for code, share in _RISK_SHARES:
        if r() < share:
            h.risks.add(code)


def epds(h: History) -> None:
    r = h.r
    if r() >= 0.75:
        return
    days = [h.first_visit]
    if len(h.visits) > 1 and r() < 0.4:
        days.append(one_of(r, h.visits[1:]))
    for day in days:
        u = r()
        score = int(r() * 10) if u < 0.6 else (10 + int(r() * 3) if u < 0.8 else 13 + int(r() * 14))
        self_harm = 0
        if score >= 13 and r() < 0.18:
            self_harm = 1 if r() < 0.7 else 2 + int(r() * 2)
        elif score >= 10 and r() < 0.03:
            self_harm = 1
        h.epds.append((day, score, self_harm))


def contraception(h: History) -> None:
    r = h.r
    if "sterilised" in h.history:
        if r() < 0.5:
            h.contraception.append((h.first_visit, "female sterilisation", True))
        return
    if r() >= 0.65:
        return
    method, effective = _CONTRACEPTION.pick(r)
    if method == "lactational amenorrhoea" and not breastfeeding_on(h, h.first_visit):
        method, effective = "none", False
    h.contraception.append((h.first_visit, method, effective))
    if method == "progestogen injection" and r() < 0.5:
        h.risks.add("progestogen_only_contraception")
    if len(h.visits) > 1 and r() < 0.3:
        method, effective = _CONTRACEPTION.pick(r)
        if method != "lactational amenorrhoea":
            h.contraception.append((one_of(r, h.visits[1:]), method, effective))
