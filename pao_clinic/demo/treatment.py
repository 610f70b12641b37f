"""Her medicines and the consultant's decisions: calcium and vitamin D, osteoporosis drugs.

Calcium and vitamin D are started early for most women.  An osteoporosis drug is only
decided once she has weaned (or never breastfed), is not pregnant and has had a DEXA;
every start is prepared as a clinic would (pre-treatment bloods, a dental review before
an antiresorptive, effective contraception) and carries an override reason exactly when
the medication gate would ask for one.  Then the doses or course as given, a follow-on
drug after teriparatide or denosumab, and decisions to defer or treat conservatively.
"""

from __future__ import annotations

from operator import itemgetter

from pao_clinic.demo.bloods import PRE_TREATMENT_TESTS, WORKUP_TESTS, blood_set
from pao_clinic.demo.choosing import Weighted, one_of
from pao_clinic.demo.feeding import breastfeeding_on
from pao_clinic.demo.history import History
from pao_clinic.demo.visits import EFFECTIVE_CONTRACEPTION
from pao_clinic.record import codes

_DRUGS_SEVERE = Weighted((("teriparatide", 42), ("zoledronate", 20), ("alendronate", 20), ("denosumab", 18)))
_DRUGS_MILDER = Weighted((("alendronate", 43), ("zoledronate", 25), ("risedronate", 10),
                          ("denosumab", 12), ("teriparatide", 10)))
_PTH_EXCLUDING_HISTORY = frozenset({"skeletal_radiotherapy", "bone_malignancy", "other_metabolic_bone_disease"})
_RECORDED_ON = itemgetter(0)


def calcium_vitamin_d(h: History) -> None:
    r, T = h.r, h.today
    if r() >= (0.95 if h.baseline["vitamin_d_25oh"] < 50 else 0.75):
        return
    start = min(T, h.first_identified + int(r() * 15)) if r() < 0.5 else h.first_visit
    stop = start + 120 + int(r() * 380) if r() < 0.15 else None
    if stop is not None and stop > T:
        stop = None
    h.medications.append(("calcium_vitamin_d", start, stop))



def treatment(h: History) -> None:
    """Osteoporosis drugs only once she has weaned (or never breastfed), not pregnant."""
    r, T = h.r, h.today
    feeding = h.index_feeding
    if feeding is None or h.first_scan is None:
        return
    breastfed, _start, stop, _planned = feeding
    if breastfed and stop is None:
        return
    weaned = stop + 1 if breastfed else h.delivery
    window_end = T if h.next_conception is None else min(T, h.next_conception - 120)
    earliest = max(weaned, h.first_visit, h.first_scan) + 14
    decided = earliest + int(r() * 120)
    if decided > window_end:
        return
    indicated = _indicated(h, decided)
    u = r()
    if u < (0.9 if indicated else 0.15):
        severe = (len(h.presentation_levels) >= 3 or 3 in h.grades.values() or bool(h.repeats))
        drug = _choose_drug(h, severe, window_end < T)
        if drug == "teriparatide" and window_end == T and r() < 0.35:
            near_end = T - 639 - int(r() * 80)  # a course in its last three months today
            if near_end >= earliest:
                decided = near_end
        _course(h, drug, decided, window_end)
    elif u < (0.97 if indicated else 0.75):
        h.decisions.append((decided, "conservative", None, None, decided + 180 + int(r() * 220)))


def _choose_drug(h: History, severe: bool, pregnancy_ahead: bool) -> str:
    r = h.r
    if h.history & _PTH_EXCLUDING_HISTORY:
        return "alendronate"
    if pregnancy_ahead:
        return "teriparatide" if r() < 0.4 else "alendronate"
    if h.plan == "yes" and r() < 0.6:
        return "teriparatide"
    return (_DRUGS_SEVERE if severe else _DRUGS_MILDER).pick(r)


def _indicated(h: History, day: int) -> bool:
    """Whether an indication feature of the gate (IND-1) holds on `day`."""
    if len(h.presentation_levels) >= 2 or any(when <= day for when in h.repeats):
        return True
    if any(f[4] == 3 and f[0] <= day for f in h.fractures):
        return True
    latest = max((s[0] for s in h.dexa if s[0] <= day), default=None)
    return any(s[0] == latest and s[4] is not None and s[4] <= -2.0 for s in h.dexa)


def _prepare_start(h: History, drug: str, decided: int) -> str | None:
    """Bloods, dental review and contraception ahead of a start; the override reason."""
    r = h.r
    taken = max(h.first_identified, decided - 3 - int(r() * 28))
    done = {b[1] for b in h.bloods if b[0] >= h.first_identified}
    tests = PRE_TREATMENT_TESTS + tuple(
        test for test in WORKUP_TESTS if test not in done and test not in PRE_TREATMENT_TESTS)
    # the screen is the latest word before the decision: no other result in between
    h.bloods = [b for b in h.bloods if not (taken <= b[0] <= decided and b[1] in tests)]
    blood_set(h, taken, tests, ready=True)
    if drug in codes.ANTIRESORPTIVES and not any(decided - 365 <= d <= decided for d in h.dental):
        h.dental.append(decided - 7 - int(r() * 113))
    if not h.history & {"sterilised", "postmenopausal"}:
        earlier = [c for c in h.contraception if c[0] <= decided]
        latest = max(earlier, key=_RECORDED_ON) if earlier else None
        if latest is None or not latest[2]:
            h.contraception = [c for c in h.contraception if not (c[0] == decided and not c[2])]
            method, effective = one_of(r, EFFECTIVE_CONTRACEPTION)
            h.contraception.append((decided, method, effective))
    reasons = []
    if drug == "denosumab" and "postmenopausal" not in h.history:   # DMAB-2
        reasons.append("Agreed that a bisphosphonate will follow denosumab; "
                       "discussed what that means for a later pregnancy.")
    if drug in codes.BISPHOSPHONATES and h.plan != "no":
        reasons.append("Discussed that bisphosphonates stay in bone for years; "
                       "she is not planning a pregnancy in the next two years.")
    if not _indicated(h, decided):
        reasons.append("Treating for severe pain and lost function although the Z-score is above -2.0.")
    latest_scan = max((s[0] for s in h.dexa if s[0] <= decided), default=None)
    if latest_scan is not None and all(s[4] is None for s in h.dexa if s[0] == latest_scan):
        reasons.append("Latest report gives T-scores only; Z-scores from the earlier scan reviewed.")
    return " ".join(reasons) or None


def _course(h: History, drug: str, decided: int, until: int) -> None:
    """Decision to start `drug`, then the doses or course up to `until` (at most today)."""
    r, T, add = h.r, h.today, h.medications.append
    reason = _prepare_start(h, drug, decided)
    h.decisions.append((decided, "start", drug, reason, None))
    start = min(decided + (0 if r() < 0.6 else 1 + int(r() * 14)), until)
    if drug in ("alendronate", "risedronate"):
        stop = start + 365 + int(r() * 730)
        if until < T:
            stop = min(stop, until)
        if stop <= until:
            add((drug, start, stop))
            if r() < 0.7:
                h.decisions.append((stop, "stop", drug, None, None))
        else:
            add((drug, start, None))
    elif drug == "zoledronate":
        dose = start
        for share in (1.0, 0.45, 0.45):
            if dose > until or r() >= share:
                break
            add((drug, dose, dose))
            dose += 358 + int(r() * 21)
    elif drug == "denosumab":
        dose = start
        last = dose
        while dose <= until:
            add((drug, dose, dose))
            last = dose
            if r() < 0.12:                      # course stopped or a dose missed
                break
            dose += 175 + int(r() * 15)
        follow = last + 180 + int(r() * 50)
        if last + 200 <= until and r() < 0.5 and follow <= until:
            h.decisions.append((follow, "start", "zoledronate",
                                   _prepare_start(h, "zoledronate", follow), None))
            add(("zoledronate", follow, follow))
    else:                                       # teriparatide: daily injections
        # a full course (at most 729 days, inside the 730-day limit) or stopped early
        days = 720 + int(r() * 10) if r() < 0.75 else 365 + int(r() * 355)
        stop = start + days - 1
        if stop <= until:
            add((drug, start, stop))
            if r() < 0.6:
                h.decisions.append((stop, "stop", drug, None, None))
            follow = stop + 1 + int(r() * 45)
            if follow <= until and r() < 0.7:
                after = "alendronate" if r() < 0.6 else "zoledronate"
                _course(h, after, follow, until)
        elif until == T:
            add((drug, start, None))
        else:
            add((drug, start, until))


def defer_decision(h: History) -> None:
    r = h.r
    if h.ongoing_due is not None and r() < 0.5:
        visit = max(h.visits[-1], h.next_conception + 60)
        if visit <= h.today:
            h.decisions.append((visit, "defer", None, None, h.ongoing_due + 42 + int(r() * 50)))
        return
    if h.index_feeding is None or r() >= 0.4:
        return
    for visit in h.visits:
        if breastfeeding_on(h, visit):
            planned = h.index_feeding[3]
            review = planned + 1 if planned is not None and planned >= visit else visit + 90 + int(r() * 90)
            h.decisions.append((visit, "defer", None, None, review))
            return
