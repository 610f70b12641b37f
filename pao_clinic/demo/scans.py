"""Her DEXA scans and heights: bone density at the spine and hip, and height over the visits.

The first DEXA comes a few weeks after the first fracture; some women are scanned again
a year or so later (lower while still breastfeeding, recovering after weaning).  The
report gives Z-scores and T-scores, sometimes only one of them.  Height falls with
several vertebral fractures and with each new one.
"""

from __future__ import annotations

from pao_clinic.demo.choosing import clamp
from pao_clinic.demo.feeding import breastfeeding_on
from pao_clinic.demo.history import History


def dexa(h: History) -> None:
    r, T = h.r, h.today
    if r() >= 0.96:
        return
    day = h.first_identified + 10 + int(r() * 80)
    if day > T:
        return
    gauss = h.gauss
    spine = clamp(gauss(-3.3, 0.8), -5.5, 0.5)
    hip = clamp(spine + gauss(0.55, 0.5), -5.0, 1.5)
    neck_offset = gauss(-0.1, 0.3) if r() < 0.25 else None
    h.first_scan = day
    while True:
        scores = r()                           # which scores the report gives
        sites = [("lumbar_spine", spine, 1.10), ("total_hip", hip, 0.98)]
        if neck_offset is not None:
            sites.append(("femoral_neck", hip + neck_offset, 0.88))
        for site, z, mean in sites:
            z = round(clamp(z, -6.0, 2.0), 1)
            bmd = round(clamp(mean + 0.115 * z, 0.35, 1.5), 3)
            t = round(z - 0.05 - 0.1 * r(), 1)
            if scores < 0.03:
                h.dexa.append((day, site, bmd, t, None))
            elif scores < 0.73:
                h.dexa.append((day, site, bmd, t, z))
            else:
                h.dexa.append((day, site, bmd, None, z))
        if r() >= 0.55:
            break
        day += 330 + int(r() * 80)
        if day > T:
            break
        if breastfeeding_on(h, day):
            spine -= 0.1 + 0.1 * r()
            hip -= 0.1 * r()
        else:
            spine += gauss(0.3, 0.2)
            hip += gauss(0.2, 0.15)


def heights(h: History) -> None:
    r = h.r
    if r() >= 0.7:
        return
    cm = clamp(h.gauss(164, 6.5), 145, 185)
    day = h.first_visit
    h.heights.append((day, round(cm, 1)))
    shrinking = len(h.presentation_levels) >= 3 or bool(h.repeats)
    for visit in h.visits[1:]:
        if r() < 0.5:
            continue
        if shrinking:
            cm -= 0.8 * r()
        for when in h.repeats:
            if day < when <= visit:
                cm -= 1.5 + 2.0 * r()
        cm += h.gauss(0, 0.25)
        day = visit
        h.heights.append((day, round(cm, 1)))
