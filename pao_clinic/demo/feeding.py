"""Breastfeeding after each birth, and above all after the birth she presented with.

Most women are still breastfeeding when the fractures are found; some stop then, some
never breastfed, a few have no feeding entry for their latest birth (lactation unknown),
and some have a planned stop that has passed (the nurse asks whether she has stopped).
"""

from __future__ import annotations

from pao_clinic.demo.history import History
from pao_clinic.record import codes


def feeding(h: History) -> None:
    r, T = h.r, h.today
    births = [p for p in h.pregnancies if p[1] in codes.BIRTH_OUTCOMES]
    most_recent = births[-1][0]
    for i, (number, outcome, _due, ended, _mode) in enumerate(births):
        later = births[i + 1][3] if i + 1 < len(births) else None
        if number == h.index_number:
            _index_feeding(h, outcome, ended, number == most_recent)
            continue
        if outcome == "stillbirth":
            h.feeding[number] = (False, None, None, None)
            continue
        u = r()
        if number == most_recent:          # the baby born after the PAO pregnancy
            if u < 0.1:
                continue
            if u < 0.25:
                h.feeding[number] = (False, None, None, None)
                continue
            start = min(ended + (0 if r() < 0.9 else 1 + int(r() * 3)), T)
            stop = start + 30 + int(r() * 500)
            if stop <= T:
                h.feeding[number] = (True, start, stop, None)
            else:
                h.feeding[number] = (True, start, None, stop if r() < 0.4 else None)
            continue
        if u < 0.1:                        # older history not always recorded
            continue
        if u < 0.35:
            h.feeding[number] = (False, None, None, None)
            continue
        start = ended
        stop = start + 20 + int(r() * 430)
        if later is not None:
            stop = max(start, min(stop, later - 300))
        h.feeding[number] = (True, start, stop, None)


def _index_feeding(h: History, outcome: str, ended: int, most_recent: bool) -> None:
    r, T = h.r, h.today
    u = r()
    if most_recent and u < 0.03:
        h.index_feeding = None                 # lactation unknown
        return
    if outcome == "stillbirth" or u < 0.08:
        h.index_feeding = (False, None, None, None)
    else:
        start = min(ended + (0 if r() < 0.85 else 1 + int(r() * 4)), T)
        if r() < 0.45:                         # stopped once the fractures were found
            stop = max(start, h.first_identified + 1 + int(r() * 35))
        else:
            stop = start + 60 + int(r() * 600)
        if h.next_conception is not None:
            stop = max(start, min(stop, h.next_conception - 20 - int(r() * 60)))
        planned = None
        if stop <= T:
            entry = (True, start, stop, None)
        else:
            u = r()
            if u < 0.35:
                planned = stop
            elif u < 0.5:                      # planned stop passed: ask whether she has stopped
                planned = T - 1 - int(r() * 45)
                if planned < start:
                    planned = None
            entry = (True, start, None, planned)
        h.index_feeding = entry
    h.feeding[h.index_number] = h.index_feeding


def breastfeeding_on(h: History, day: int) -> bool:
    """Whether any feeding entry has her breastfeeding on `day` (the last feed counts)."""
    for breastfed, start, stop, _planned in h.feeding.values():
        if breastfed and start <= day and (stop is None or stop >= day):
            return True
    return False
