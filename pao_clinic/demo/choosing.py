"""How the demo chooses: weighted picks, one of a list, a value kept in range, shared dates.

Every choice takes `r`, the woman's uniform [0, 1) source (`random.Random.random`),
so that one seed gives one caseload and nothing touches the global random state.
"""

from __future__ import annotations

from bisect import bisect_right
from datetime import date


class Weighted:
    """Items with weights; `pick(r)` takes one using r(), a uniform [0, 1) source."""

    __slots__ = ("items", "cumulative", "total")

    def __init__(self, pairs):
        self.items = tuple(item for item, _ in pairs)
        running = 0.0
        cumulative = []
        for _, weight in pairs:
            running += weight
            cumulative.append(running)
        self.cumulative = tuple(cumulative)
        self.total = running

    def pick(self, r):
        return self.items[bisect_right(self.cumulative, r() * self.total)]


def one_of(r, items):
    return items[int(r() * len(items))]


def clamp(value, low, high):
    return low if value < low else high if value > high else value


class Days(dict):
    """Day ordinal -> date, each date made once and shared (dates are immutable)."""

    def __missing__(self, ordinal: int) -> date:
        day = self[ordinal] = date.fromordinal(ordinal)
        return day
