"""Her pregnancies: when she presented, the pregnancy she presented with, those before and after.

`timeline` places the presenting birth (`delivery`) and the first fracture around it;
`pregnancies` adds earlier pregnancies, then perhaps one after: pregnant again today,
another baby, or a miscarriage.
"""

from __future__ import annotations

from pao_clinic.demo.choosing import Weighted, clamp
from pao_clinic.demo.history import History
from pao_clinic.record import codes

_DELIVERY_MODES = Weighted((("vaginal", 55), ("assisted", 15), ("caesarean", 30)))
_EARLIER_OUTCOMES = Weighted((("live_birth", 80), ("miscarriage", 15), ("termination", 3), ("stillbirth", 2)))
_PARITY = Weighted(((0, 78), (1, 15), (2, 5), (3, 2)))   # pregnancies before the presenting one


def timeline(h: History) -> None:
    """Her age, the presenting birth, and when the first fracture began and was imaged."""
    r, T = h.r, h.today
    h.age_years = clamp(h.gauss(32.0, 4.3), 19.0, 45.0)
    u = r()
    if u < 0.17:                       # third trimester
        onset = -(1 + int(r() * 88))
    elif u < 0.95:                     # first 8 weeks after delivery, most in the first weeks
        onset = int(52 * r() ** 1.8)
    else:                              # later in the first year
        onset = 57 + int(r() * 250)
    delay = 45 + int(r() * 115) if r() < 0.035 else 2 + int(30 * r() ** 2.5)
    identified = onset + delay
    u = r()
    if u < 0.5:
        since = 10 + int(r() * 300)
    elif u < 0.78:
        since = 310 + int(r() * 500)
    else:
        since = 810 + int(r() * 1100)
    since = max(since, identified + int(r() * 14))
    h.delivery = T - since
    h.first_identified = h.delivery + identified
    h.first_onset = h.delivery + onset if r() < 0.7 else None
    h.born = h.delivery - int(h.age_years * 365.25)


def pregnancies(h: History) -> None:
    r, T, D = h.r, h.today, h.delivery
    earlier = []
    ended = D
    for _ in range(_PARITY.pick(r)):
        ended -= 500 + int(r() * 1400)
        if ended < h.born + 18 * 365:
            break
        earlier.append((_EARLIER_OUTCOMES.pick(r), ended))
    number = 0
    for outcome, ended in reversed(earlier):
        number += 1
        _add_pregnancy(h, number, outcome, ended)
    number += 1
    h.index_number = number
    _add_pregnancy(h, number, "stillbirth" if r() < 0.015 else "live_birth", D)
    if number > 1 and r() < 0.25:
        h.risks.add("previous_pao")

    # after the PAO pregnancy: pregnant again, another baby, or a miscarriage
    since = T - D
    u = r()
    if since >= 450 and u < 0.07:
        weeks = 40 + int(r() * 230)
        conception = T - weeks
        if conception >= D + 300:
            h.next_conception = conception
            h.ongoing_due = conception + 280
            h.pregnancies.append([number + 1, "ongoing", h.ongoing_due, None, None])
    elif since >= 1000 and u < 0.11:
        ended = D + 650 + int(r() * (since - 680))
        h.next_conception = ended - 275
        h.later_birth = ended
        _add_pregnancy(h, number + 1, "live_birth", ended)
    elif since >= 500 and u < 0.13:
        ended = D + 300 + int(r() * (since - 300))
        h.next_conception = ended - 60 - int(r() * 30)
        _add_pregnancy(h, number + 1, "miscarriage", ended)


def _add_pregnancy(h: History, number: int, outcome: str, ended: int) -> None:
    r = h.r
    if outcome in codes.BIRTH_OUTCOMES:
        due = ended + int(r() * 36) - 12 if r() < 0.85 else None
        mode = _DELIVERY_MODES.pick(r) if r() < 0.95 else None
    else:
        due = ended + 140 + int(r() * 100) if r() < 0.5 else None
        mode = None
    h.pregnancies.append([number, outcome, due, ended, mode])
