"""One woman's history while it is being told: what each part of the demo adds to.

Dates are day ordinals (`today` is today's) until `caseload.record_of` turns them into
dates.  The parts fill it in this order: pregnancies (with the timeline), feeding,
fractures, visits, scans, bloods, heights, mood, contraception, treatment, referrals.
"""

from __future__ import annotations

import random


class History:
    """One fictional woman's history, built event by event (day ordinals, not dates)."""

    def __init__(self, rng: random.Random, today: int, index: int, numbers, days):
        self.rng = rng
        self.r = rng.random
        self.gauss = rng.gauss
        self.today = today
        self.index = index
        self.numbers = numbers      # people.Numbers shared by the whole caseload
        self.days = days            # choosing.Days shared by the whole caseload
        # the timeline (pregnancies.timeline)
        self.age_years = 0.0
        self.delivery = 0           # the birth of the pregnancy she presented with
        self.first_identified = 0   # her first fragility fracture, by imaging date
        self.first_onset: int | None = None
        self.born = 0
        # pregnancies
        self.index_number = 0       # the number of the pregnancy she presented with
        self.next_conception: int | None = None
        self.ongoing_due: int | None = None
        self.later_birth: int | None = None
        self.pregnancies: list[list] = []     # [number, outcome, due, ended, mode]
        # feeding
        self.feeding: dict[int, tuple] = {}   # number -> (breastfed, start, stop, planned)
        self.index_feeding: tuple | None = None
        # fractures
        self.fractures: list[tuple] = []      # (identified, onset, site, side, grade, imaging, trauma, pregnancy, note)
        self.grades: dict[str, int] = {}      # vertebral level -> worst grade so far
        self.presentation_levels: list[str] = []
        self.repeats: list[int] = []          # days repeat fractures were identified
        # clinic
        self.first_visit = 0
        self.visits: list[int] = []
        self.plan: str | None = None          # future pregnancy plan
        self.first_scan: int | None = None
        self.baseline: dict[str, float] = {}  # her usual blood values
        self.dexa: list[tuple] = []           # (scanned, site, bmd, t, z)
        self.bloods: list[tuple] = []         # (taken, test, value)
        self.heights: list[tuple] = []        # (measured, cm)
        self.epds: list[tuple] = []           # (assessed, score, self_harm_item)
        self.medications: list[tuple] = []    # (drug, started, stopped)
        self.referrals: list[tuple] = []      # (created, specialty, urgency, status, sent, seen, reason)
        self.decisions: list[tuple] = []      # (decided, plan, drug, override, review)
        self.contraception: list[tuple] = []  # (recorded, method, effective)
        self.dental: list[int] = []
        self.risks: set[str] = set()
        self.history: set[str] = set()
