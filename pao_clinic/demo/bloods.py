"""Her blood results: the work-up after the first fracture, follow-up sets, pre-treatment screens.

Each woman has her own usual values (`baseline`); every set of bloods wobbles around
them.  Some work-ups are incomplete and a few women have no bloods yet.  A screen
before a drug is started shows values fit for that drug.
"""

from __future__ import annotations

from operator import itemgetter

from pao_clinic.clinic_settings import DEFAULT_SETTINGS
from pao_clinic.demo.choosing import clamp, one_of
from pao_clinic.demo.history import History

VITAMIN_D_LOW = DEFAULT_SETTINGS.vitamin_d_low_nmol_l   # below this the gate calls 25-OH D low (AR-2)
_TAKEN_ON = itemgetter(0)

WORKUP_TESTS = (
    "adjusted_calcium", "phosphate", "alkaline_phosphatase", "creatinine", "egfr",
    "vitamin_d_25oh", "pth", "tsh", "full_blood_count",
)
_FOLLOW_UP_TESTS = ("adjusted_calcium", "alkaline_phosphatase", "creatinine", "egfr", "vitamin_d_25oh")
PRE_TREATMENT_TESTS = ("adjusted_calcium", "phosphate", "alkaline_phosphatase", "creatinine", "egfr", "vitamin_d_25oh")
# test -> (half-width of the visit-to-visit wobble, lowest, highest, decimals)
_BLOOD_NOISE = {
    "adjusted_calcium": (0.06, 1.8, 3.0, 2),
    "phosphate": (0.15, 0.5, 1.9, 2),
    "alkaline_phosphatase": (15, 30, 320, 0),
    "creatinine": (8, 35, 140, 0),
    "egfr": (4, 15, 120, 0),
    "vitamin_d_25oh": (8, 10, 160, 0),
    "pth": (0.8, 1.0, 15.0, 1),
    "tsh": (0.4, 0.2, 10.0, 2),
    "full_blood_count": (8, 80, 160, 0),
}
# what a pre-treatment screen shows before a drug is started: test -> (centre, half-width)
_READY_FOR_TREATMENT = {
    "adjusted_calcium": (2.385, 0.13), "alkaline_phosphatase": (85, 40),
    "egfr": (98, 22), "vitamin_d_25oh": (78, 22),
}


def blood_set(h: History, day: int, tests, *, ready: bool = False) -> None:
    """One set of bloods around her usual values; `ready`: fit to start a drug."""
    r, base, add = h.r, h.baseline, h.bloods.append
    for test in tests:
        half, low, high, digits = _BLOOD_NOISE[test]
        if ready and test in _READY_FOR_TREATMENT:
            centre, half = _READY_FOR_TREATMENT[test]
        else:
            centre = base[test]
        value = round(centre + half * (r() - r()), digits)
        add((day, test, float(low if value < low else high if value > high else value)))


def workup_bloods(h: History) -> None:
    r, gauss, T = h.r, h.gauss, h.today
    u = r()
    ca = clamp(gauss(2.36, 0.06), 2.2, 2.58)
    if u < 0.025:
        ca = 2.05 + 0.14 * r()
    elif u < 0.035:
        ca = 2.61 + 0.1 * r()
    u = r()
    if u < 0.08:
        vitd = 12 + 12 * r()
    elif u < 0.40:
        vitd = 25 + 24 * r()
    else:
        vitd = clamp(gauss(70, 18), 50, 150)
    u = r()
    egfr = 80 + 40 * r() if u < 0.97 else (45 + 34 * r() if u < 0.99 else 25 + 19 * r())
    h.baseline = {
        "adjusted_calcium": ca,
        "phosphate": clamp(gauss(1.12, 0.15), 0.6, 1.7),
        "alkaline_phosphatase": clamp(gauss(105, 30), 35, 260),
        "creatinine": clamp(gauss(63, 9) + (90 - egfr) * 0.8, 40, 130),
        "egfr": min(egfr, 120.0),
        "vitamin_d_25oh": vitd,
        "pth": clamp(gauss(4.2, 1.2) + (3.0 if vitd < 50 else 0.0), 1.2, 14.0),
        "tsh": clamp(gauss(1.8, 0.7), 0.3, 5.5) if r() < 0.98 else 5.6 + 3 * r(),
        "full_blood_count": clamp(gauss(126, 11), 85, 155),
    }
    if r() < 0.06:
        return                                  # no bloods yet
    day = min(T, h.first_identified + int(r() * 15))
    tests = list(WORKUP_TESTS)
    if r() < 0.16:                              # incomplete work-up
        for _ in range(1 + int(r() * 3)):
            tests.pop(int(r() * len(tests)))
    blood_set(h, day, tests)
    later = h.visits[1:]
    if later and r() < 0.35:
        h.baseline["vitamin_d_25oh"] = min(150.0, h.baseline["vitamin_d_25oh"] + 15 + 20 * r())
        blood_set(h, one_of(r, later), _FOLLOW_UP_TESTS)


def code_vitamin_d_deficiency(h: History) -> None:
    """`vitamin_d_deficiency` exactly when her first 25-OH vitamin D is below the gate's threshold."""
    first = min((b for b in h.bloods if b[1] == "vitamin_d_25oh"), key=_TAKEN_ON, default=None)
    if first is not None and first[2] < VITAMIN_D_LOW:
        h.risks.add("vitamin_d_deficiency")
    else:
        h.risks.discard("vitamin_d_deficiency")
