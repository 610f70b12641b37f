"""Her fractures: the vertebral fractures she presented with, and any that came later.

Levels cluster around the thoracolumbar junction; Genant grades are mostly 1-2; a few
women present with a sacral, pelvic or hip fracture instead; a few have an old
high-trauma injury (not a fragility fracture).  Later fractures are a new level (often
next to an old one), a level that got worse, or another site.
"""

from __future__ import annotations

from pao_clinic.demo.choosing import Weighted, one_of
from pao_clinic.demo.history import History
from pao_clinic.record import codes

LEVEL_INDEX = {level: i for i, level in enumerate(codes.VERTEBRAL_LEVELS)}
_LEVELS = Weighted((
    ("t4", 1.0), ("t5", 1.0), ("t6", 1.5), ("t7", 2.0), ("t8", 2.5), ("t9", 3.0),
    ("t10", 6.0), ("t11", 8.0), ("t12", 12.0), ("l1", 12.0), ("l2", 9.0), ("l3", 6.0),
    ("l4", 3.0), ("l5", 1.5),
))
_LEVEL_COUNT = Weighted(((1, 16), (2, 13), (3, 12), (4, 11), (5, 15), (6, 12), (7, 9), (8, 6), (9, 4), (10, 2)))
_GENANT = Weighted(((1, 38), (2, 45), (3, 17)))
_IMAGING = Weighted((("mri", 65), ("xray", 25), ("ct", 6), ("dexa_vfa", 4)))
_TRAUMA = Weighted((("none", 60), ("low", 40)))
_PELVIC_SITES = Weighted((("sacrum", 45), ("pelvis", 20), ("hip", 35)))
_LATER_OTHER_SITES = ("sacrum", "rib", "hip", "pelvis", "wrist", "foot")
_OLD_INJURIES = (
    ("wrist", "Fell from a bicycle as a child"),
    ("ankle", "Sports injury as a teenager"),
    ("other", "Collarbone broken in a car accident"),
    ("wrist", "Fall from a horse"),
)
_ONSET_NOTES = (
    "Pain began while lifting the baby", "Sudden pain getting out of bed",
    "Pain started during labour", "Sharp pain bending to the cot",
    "Back pain put down to the birth at first", "Pain on standing up from a chair",
)
_REPEAT_NOTES = (
    "New pain after a few good weeks", "Found on imaging for fresh pain",
    "Pain after a sneeze", "Height loss prompted imaging",
)


def levels_text(levels) -> str:
    """`T12, L1 and L2`, top to bottom."""
    names = [level.upper() for level in sorted(levels, key=LEVEL_INDEX.__getitem__)]
    if len(names) == 1:
        return names[0]
    return ", ".join(names[:-1]) + " and " + names[-1]


def fractures(h: History) -> None:
    r, T = h.r, h.today
    first = h.first_identified
    onset = h.first_onset
    index_preg = h.index_number
    imaging = _IMAGING.pick(r)
    trauma = _TRAUMA.pick(r)
    note = one_of(r, _ONSET_NOTES) if onset is not None and r() < 0.25 else None
    add = h.fractures.append

    if r() < 0.05:                             # sacrum, pelvis or hip only
        site = _PELVIC_SITES.pick(r)
        side = one_of(r, codes.SIDES) if site in codes.SIDED_SITES else None
        add((first, onset, site, side, None, imaging, trauma, index_preg, note))
        if site == "sacrum" and r() < 0.3:
            add((first, onset, "pelvis", one_of(r, codes.SIDES), None, imaging, trauma, index_preg, None))
        h.presentation_levels = []
    else:
        levels: list[str] = []
        wanted = _LEVEL_COUNT.pick(r)
        while len(levels) < wanted:
            level = _LEVELS.pick(r)
            if level not in levels:
                levels.append(level)
        second_look = first + 1 + int(r() * 13) if len(levels) > 1 and r() < 0.2 else None
        if second_look is not None and second_look > T:
            second_look = None
        for i, level in enumerate(levels):
            grade = _GENANT.pick(r)
            h.grades[level] = grade
            when = second_look if second_look is not None and i == len(levels) - 1 else first
            add((when, onset, level, None, grade, imaging, trauma, index_preg, note if i == 0 else None))
        h.presentation_levels = levels
        if r() < 0.08:
            site = _PELVIC_SITES.pick(r)
            side = one_of(r, codes.SIDES) if site in codes.SIDED_SITES else None
            add((first, onset, site, side, None, imaging, trauma, index_preg, None))

    if r() < 0.03:                             # an old injury with real force: not fragility
        site, old_note = one_of(r, _OLD_INJURIES)
        when = h.born + 365 * 8 + int(r() * 365 * 8)
        side = one_of(r, codes.SIDES) if site in codes.SIDED_SITES else None
        add((when, None, site, side, None, "xray", "high", None, old_note))
        h.risks.add("fracture_before_pregnancy")

    if h.later_birth is not None and r() < 0.35:
        when = h.later_birth + int(r() * 84)
        if when <= T:
            _repeat_fracture(h, when, new_level=True)
    if r() < 0.2:
        for _ in range(1 if r() < 0.8 else 2):
            when = first + 30 + int(r() ** 1.3 * 500)
            if when > T:
                break
            _repeat_fracture(h, when, new_level=False)


def _repeat_fracture(h: History, when: int, *, new_level: bool) -> None:
    r = h.r
    onset = when - 1 - int(r() * 20) if r() < 0.7 else None
    pregnancy = None
    if when - h.delivery <= 365:
        pregnancy = h.index_number
    elif h.later_birth is not None and h.later_birth - 90 <= when <= h.later_birth + 120:
        pregnancy = h.index_number + 1
    note = one_of(r, _REPEAT_NOTES) if r() < 0.3 else None
    imaging = _IMAGING.pick(r)
    trauma = _TRAUMA.pick(r)
    u = r()
    progressable = [level for level, grade in h.grades.items() if grade < 3]
    if not new_level and u < 0.35 and progressable:
        level = one_of(r, progressable)
        grade = h.grades[level] + 1 if r() < 0.7 else 3
    elif not new_level and u > 0.9:
        site = one_of(r, _LATER_OTHER_SITES)
        side = one_of(r, codes.SIDES) if site in codes.SIDED_SITES else None
        if not any(f[2] == site and f[3] == side for f in h.fractures):
            h.repeats.append(when)             # a new site (the same one again is not a repeat)
        h.fractures.append((when, onset, site, side, None, imaging, trauma, pregnancy, note))
        return
    else:
        level = None
        if h.grades and r() < 0.7:             # often next to an earlier fracture
            base = LEVEL_INDEX[one_of(r, tuple(h.grades))]
            step = one_of(r, (-2, -1, 1, 2))
            candidate = base + step
            if LEVEL_INDEX["t3"] <= candidate <= LEVEL_INDEX["l5"]:
                name = codes.VERTEBRAL_LEVELS[candidate]
                if name not in h.grades:
                    level = name
        while level is None:
            name = _LEVELS.pick(r)
            if name not in h.grades:
                level = name
        grade = _GENANT.pick(r)
    h.grades[level] = grade
    h.fractures.append((when, onset, level, None, grade, imaging, trauma, pregnancy, note))
    h.repeats.append(when)
