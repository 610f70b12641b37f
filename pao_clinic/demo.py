"""A synthetic caseload: fictional women with pregnancy-associated osteoporosis (PAO).

`demo_caseload(count, seed=..., today=...)` builds whole `PatientRecord`s for
demonstrations, training, screenshots and tests.  The same arguments always give the
same records (one `random.Random(seed)`, no clock, no global state), and the first N
patients of a larger caseload are the N patients of a smaller one.

The shape follows the clinic's experience: mostly first pregnancies; vertebral
fractures mostly T10 to L3, usually within 12 weeks of delivery, some in the third
trimester, a few sacral, pelvic or hip; Genant grades mostly 1-2; many women still
breastfeeding, some weaned, some who never breastfed, a few whose lactation is not
recorded and a few pregnant again; some repeat fractures; DEXA Z-scores mostly
between -3.5 and -1.5; work-up bloods (some incomplete); heights, EPDS screens,
calcium and vitamin D, osteoporosis drugs only after weaning; referrals in every
status; decisions, contraception and dental reviews.  Between them the records raise
every task of the nurse's worklist (`shared/spec/medication-gate.md`); every recorded
start decision is one the medication gate accepted on its day (with an override reason
exactly when it needed one); every list is in the order export writes it.

Nobody here is real: NHS numbers come from the 999 test range (999 000 0000 to
999 999 9999), phone numbers from Ofcom's drama range (07700 900000 to 07700 900999),
addresses are on invented streets with ZZ postcodes, e-mail is at example.org.
About 1 % of women have a hospital number only (no NHS number), as in real clinics.
"""

from __future__ import annotations

import gc
import random
import unicodedata
from bisect import bisect_right
from datetime import date
from operator import attrgetter, itemgetter, mul

from pao_clinic.record import codes
from pao_clinic.record import (
    BloodResult,
    Contact,
    Contraception,
    Decision,
    DentalReview,
    DexaScan,
    EpdsScreen,
    Feeding,
    Fracture,
    GeneralPractitioner,
    HeightMeasurement,
    Medication,
    PatientRecord,
    Pregnancy,
    Referral,
)

MAX_PATIENTS = 500_000
"""Largest caseload: the 999 test range holds about 909,000 valid NHS numbers."""


# --- choosing -------------------------------------------------------------------------

class _Weighted:
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


def _one_of(r, items):
    return items[int(r() * len(items))]


_FIRST = itemgetter(0)
_SECOND = itemgetter(1)
_DECIDED_BY = attrgetter("decided_on", "by")           # export's order for same-day decisions
_RECORDED = itemgetter(0, 2, 1)                         # date, then false before true, then method


def _by_ref_on_ties(items: list, main_date: str) -> tuple:
    """Items made in date order with refs 1, 2, ...; export compares refs as text (x10 < x9)."""
    if len(items) >= 10:
        items.sort(key=attrgetter(main_date, "ref"))
    return tuple(items)


def _clamp(value, low, high):
    return low if value < low else high if value > high else value


# --- names, places, people ---------------------------------------------------------------

_GIVEN_NAMES_UK = (
    "Amelia", "Olivia", "Emily", "Sophie", "Jessica", "Charlotte", "Hannah", "Lucy",
    "Emma", "Laura", "Sarah", "Rebecca", "Katie", "Amy", "Rachel", "Gemma", "Hayley",
    "Megan", "Holly", "Georgia", "Eleanor", "Harriet", "Alice", "Grace", "Ellie",
    "Lauren", "Natalie", "Victoria", "Jennifer", "Claire", "Nicola", "Helen", "Priya",
    "Aisha", "Fatima", "Amira", "Sana", "Zainab", "Rhiannon", "Catrin", "Ffion",
    "Seren", "Kirsty", "Fiona", "Eilidh", "Morag", "Ayesha", "Jaspreet", "Mei",
    "Ngozi", "Abena", "Yetunde", "Anna-Marie", "Mary-Kate",
)
_GIVEN_NAMES_WIDER = (
    "Zoë", "Siobhán", "Łucja", "Chloé", "Aoife", "Niamh", "Saoirse", "Róisín",
    "Éabha", "Sinéad", "Anaïs", "Renée", "Małgorzata", "Agnieszka", "Zuzanna",
    "Åsa", "Signý", "Thảo", "Ngọc", "Mairéad", "Bríd", "Noémie", "Inês", "Çiğdem",
    "Søs", "Dagný", "Jolanta", "Gráinne", "Oonagh", "D'Arcy",
)
_FAMILY_NAMES_UK = (
    "Smith", "Jones", "Williams", "Taylor", "Brown", "Davies", "Evans", "Wilson",
    "Thomas", "Roberts", "Johnson", "Wright", "Walker", "Robinson", "Thompson",
    "White", "Hughes", "Edwards", "Green", "Hall", "Wood", "Harris", "Lewis", "Martin",
    "Jackson", "Clarke", "Turner", "Hill", "Scott", "Cooper", "Morris", "Ward",
    "Moore", "King", "Watson", "Baker", "Harrison", "Morgan", "Patel", "Khan",
    "Ahmed", "Ali", "Begum", "Hussain", "Singh", "Kaur", "Shah", "Campbell",
    "Stewart", "MacDonald", "Murray", "Reid", "Kelly", "Murphy", "Okafor", "Mensah",
    "Chen", "Wong", "Evans-Jones", "Lloyd-Williams", "Smith-Taylor",
)
_FAMILY_NAMES_WIDER = (
    "Nguyễn", "O'Brien", "Ní Bhriain", "Müller", "Ødegaard", "O'Connor", "D'Souza",
    "Ó Súilleabháin", "Wiśniewska", "Dąbrowska", "Kowalczyk", "Nowak", "García",
    "Núñez", "Peña", "Çelik", "Yılmaz", "Öztürk", "Schäfer", "Jørgensen", "Åberg",
    "Lefèvre", "Trần", "Phạm", "Ní Mhurchú", "Mac an tSaoi", "Nic Giolla Phádraig",
    "Żak", "Sørensen", "Brontë",
)

_FOLDED = str.maketrans({
    "ł": "l", "Ł": "L", "ø": "o", "Ø": "O", "ı": "i", "ß": "ss", "æ": "ae", "Æ": "AE",
    "đ": "d", "Đ": "D", "ð": "d", "þ": "th",
})


def _email_part(name: str) -> str:
    """The name as lower-case ASCII letters for an example.org address."""
    plain = unicodedata.normalize("NFKD", name.translate(_FOLDED))
    return "".join(ch for ch in plain.lower() if "a" <= ch <= "z")


_EMAIL_PARTS = {name: _email_part(name) for name in
                _GIVEN_NAMES_UK + _GIVEN_NAMES_WIDER + _FAMILY_NAMES_UK + _FAMILY_NAMES_WIDER}

_STREETS = (
    "Example Street", "Sample Road", "Specimen Lane", "Placeholder Avenue",
    "Demo Close", "Fictional Crescent", "Testing Way", "Illustration Gardens",
    "Mock Terrace", "Imaginary Row", "Pretend Place", "Model Drive",
)
_TOWNS = (
    "Exampleton", "Sampleford", "Testbury", "Mockington", "Fabletown",
    "Nowhere-on-Sea", "Placeholder Heath", "Little Demoby",
)
_POSTCODE_LETTERS = "ABDEFGHJLNPQRSTUWXYZ"
_PRACTICE_KINDS = ("Surgery", "Medical Centre", "Health Centre", "Family Practice", "Group Practice")
_GP_SURNAMES = (
    "Example", "Sample", "Placeholder", "Specimen", "Testwell", "Demo", "Fictitious",
    "Madeup", "Notreal", "Invented",
)
_CONSULTANTS = (
    "Dr A. Consultant", "Dr B. Consultant", "Dr C. Consultant", "Prof D. Consultant",
)


# --- clinical vocabularies ---------------------------------------------------------------

_LEVEL_INDEX = {level: i for i, level in enumerate(codes.VERTEBRAL_LEVELS)}
_LEVELS = _Weighted((
    ("t4", 1.0), ("t5", 1.0), ("t6", 1.5), ("t7", 2.0), ("t8", 2.5), ("t9", 3.0),
    ("t10", 6.0), ("t11", 8.0), ("t12", 12.0), ("l1", 12.0), ("l2", 9.0), ("l3", 6.0),
    ("l4", 3.0), ("l5", 1.5),
))
_LEVEL_COUNT = _Weighted(((1, 22), (2, 24), (3, 22), (4, 14), (5, 10), (6, 5), (7, 2), (8, 1)))
_GENANT = _Weighted(((1, 38), (2, 45), (3, 17)))
_IMAGING = _Weighted((("mri", 65), ("xray", 25), ("ct", 6), ("dexa_vfa", 4)))
_TRAUMA = _Weighted((("none", 60), ("low", 40)))
_DELIVERY_MODES = _Weighted((("vaginal", 55), ("assisted", 15), ("caesarean", 30)))
_EARLIER_OUTCOMES = _Weighted((("live_birth", 80), ("miscarriage", 15), ("termination", 3), ("stillbirth", 2)))
_PARITY = _Weighted(((0, 68), (1, 22), (2, 7), (3, 3)))
_PELVIC_SITES = _Weighted((("sacrum", 45), ("pelvis", 20), ("hip", 35)))
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
_FUTURE_PLANS = _Weighted(((None, 22), ("yes", 17), ("no", 37), ("unsure", 24)))
_CONTRACEPTION = _Weighted((
    (("progestogen-only pill", True), 20), (("levonorgestrel intrauterine system", True), 15),
    (("copper intrauterine device", True), 10), (("contraceptive implant", True), 12),
    (("combined pill", True), 6), (("progestogen injection", True), 4),
    (("partner vasectomy", True), 4), (("condoms", False), 12),
    (("lactational amenorrhoea", False), 5), (("none", False), 12),
))
_EFFECTIVE_CONTRACEPTION = tuple(item for item in _CONTRACEPTION.items if item[1])

# Each risk factor with its share of women (a few are set from other facts).
_RISK_SHARES = (
    ("osteopenia_before_pregnancy", 0.03), ("osteoporosis_before_pregnancy", 0.01),
    ("family_history_osteoporosis", 0.15), ("genetic_bone_variant", 0.01),
    ("hyperemesis", 0.10), ("malabsorption", 0.03), ("restrictive_diet", 0.05),
    ("eating_disorder", 0.03), ("low_bmi", 0.06), ("amenorrhoea", 0.03),
    ("renal_stones_hypercalciuria", 0.01), ("progestogen_only_contraception", 0.06),
    ("heparin", 0.07), ("thyroid_hormone", 0.04), ("corticosteroids", 0.03),
    ("cancer_treatment", 0.01),
)
_DRUGS_SEVERE = _Weighted((("teriparatide", 42), ("zoledronate", 20), ("alendronate", 20), ("denosumab", 18)))
_DRUGS_MILDER = _Weighted((("alendronate", 43), ("zoledronate", 25), ("risedronate", 10),
                           ("denosumab", 12), ("teriparatide", 10)))
_PTH_EXCLUDING_HISTORY = frozenset({"skeletal_radiotherapy", "bone_malignancy", "other_metabolic_bone_disease"})
_WORKUP_TESTS = (
    "adjusted_calcium", "phosphate", "alkaline_phosphatase", "creatinine", "egfr",
    "vitamin_d_25oh", "pth", "tsh", "full_blood_count",
)
_FOLLOW_UP_TESTS = ("adjusted_calcium", "alkaline_phosphatase", "creatinine", "egfr", "vitamin_d_25oh")
_PRE_TREATMENT_TESTS = ("adjusted_calcium", "phosphate", "alkaline_phosphatase", "creatinine", "egfr", "vitamin_d_25oh")
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
_UNITS = codes.BLOOD_TEST_UNITS

# (specialty, share of women, urgent share); mental health and surgery are set from facts.
_REFERRALS = (
    ("osteoporosis_service", 0.55, 0.85), ("pao_expert_service", 0.35, 0.5),
    ("physiotherapy", 0.6, 0.3), ("pain_management", 0.35, 0.4),
    ("occupational_therapy", 0.3, 0.2), ("nutrition", 0.12, 0.1),
    ("endocrinology", 0.12, 0.15), ("rheumatology", 0.15, 0.3), ("gp", 0.3, 0.1),
)
_REFERRAL_REASONS = {
    "osteoporosis_service": "Low-trauma {found}; assessment for pregnancy-associated osteoporosis.",
    "pao_expert_service": "Advice on managing pregnancy-associated osteoporosis: {found}.",
    "physiotherapy": "Graded return to movement and safe lifting of the baby while fractures heal.",
    "pain_management": "Back pain still limiting sleep and daily activities despite regular analgesia.",
    "occupational_therapy": "Help with dressing, bathing and baby care; may need equipment at home.",
    "nutrition": "Dietary review of calcium, protein and vitamin D intake.",
    "endocrinology": "Look for secondary causes of low bone density (thyroid, parathyroid, prolactin).",
    "rheumatology": "Osteoporosis treatment plan once breastfeeding has stopped.",
    "gp": "Please repeat bone profile, renal function and vitamin D before her next clinic visit.",
}
_STATUS_NEW = _Weighted((("draft", 30), ("sent", 40), ("acknowledged", 15), ("booked", 10), ("cancelled", 5)))
_STATUS_WEEKS = _Weighted((("draft", 6), ("sent", 30), ("acknowledged", 20), ("booked", 20),
                           ("seen", 14), ("declined", 5), ("cancelled", 5)))
_STATUS_OLD = _Weighted((("draft", 3), ("sent", 7), ("acknowledged", 7), ("booked", 10),
                         ("seen", 58), ("declined", 7), ("cancelled", 8)))


def _levels_text(levels) -> str:
    names = [level.upper() for level in sorted(levels, key=_LEVEL_INDEX.__getitem__)]
    if len(names) == 1:
        return names[0]
    return ", ".join(names[:-1]) + " and " + names[-1]


class _Days(dict):
    """Day ordinal -> date, each date made once and shared (dates are immutable)."""

    def __missing__(self, ordinal: int) -> date:
        day = self[ordinal] = date.fromordinal(ordinal)
        return day


# --- numbers ---------------------------------------------------------------------------

_NHS_WEIGHTS = (10, 9, 8, 7, 6, 5, 4, 3, 2)


class _Numbers:
    """Unique NHS numbers from the 999 test range and unique hospital numbers."""

    def __init__(self, rng: random.Random):
        self.r = rng.random
        self.nhs: set[str] = set()
        self.hospital: set[str] = set()

    def nhs_number(self) -> str:
        while True:
            digits = "999" + f"{int(self.r() * 1_000_000):06d}"
            total = sum(map(mul, map(int, digits), _NHS_WEIGHTS))
            check = (11 - total % 11) % 11
            if check == 10:
                continue
            number = digits + str(check)
            if number == "9999999999" or number in self.nhs:
                continue
            self.nhs.add(number)
            return number

    def hospital_number(self) -> str:
        while True:
            number = f"PAO{int(self.r() * 1_000_000):06d}"
            if number not in self.hospital:
                self.hospital.add(number)
                return number


# --- one woman -----------------------------------------------------------------------------

class _Woman:
    """One fictional woman's history, built event by event.

    Dates are day ordinals (`T` is today's) until `_record` turns them into dates.
    """

    def __init__(self, rng: random.Random, today: int, index: int, numbers: _Numbers, days: _Days):
        self.days = days
        self.rng = rng
        self.r = rng.random
        self.today = today
        self.index = index
        self.numbers = numbers
        # filled in as the story is told
        self.pregnancies: list[list] = []     # [number, outcome, due, ended, mode]
        self.feeding: dict[int, tuple] = {}   # number -> (breastfed, start, stop, planned)
        self.fractures: list[tuple] = []      # (identified, onset, site, side, grade, imaging, trauma, pregnancy, note)
        self.dexa: list[tuple] = []           # (scanned, site, bmd, t, z)
        self.bloods: list[tuple] = []         # (taken, test, value)
        self.heights: list[tuple] = []
        self.epds: list[tuple] = []
        self.medications: list[tuple] = []    # (drug, started, stopped)
        self.referrals: list[tuple] = []
        self.decisions: list[tuple] = []      # (decided, plan, drug, override, review)
        self.contraception: list[tuple] = []  # (recorded, method, effective)
        self.dental: list[int] = []
        self.risks: set[str] = set()
        self.history: set[str] = set()

    def build(self) -> PatientRecord:
        self._timeline()
        self._pregnancies()
        self._feeding()
        self._fractures()
        self._visits_and_history()
        self._dexa()
        self._workup_bloods()
        self._heights()
        self._epds()
        self._contraception()
        self._calcium_vitamin_d()
        self._treatment()
        self._defer_decision()
        self._referrals()
        return self._record()

    # -- when things happened --

    def _timeline(self) -> None:
        r, T = self.r, self.today
        self.age_years = _clamp(self.rng.gauss(32.5, 4.5), 19.0, 45.0)
        u = r()
        if u < 0.13:                       # third trimester
            onset = -(1 + int(r() * 88))
        elif u < 0.91:                     # first 12 weeks after delivery
            onset = int(85 * r() ** 1.6)
        else:                              # later in the first year
            onset = 85 + int(r() * 220)
        delay = 45 + int(r() * 115) if r() < 0.07 else 2 + int(45 * r() ** 2.5)
        identified = onset + delay
        u = r()
        if u < 0.5:
            since = 10 + int(r() * 300)
        elif u < 0.78:
            since = 310 + int(r() * 500)
        else:
            since = 810 + int(r() * 1100)
        since = max(since, identified + int(r() * 14))
        self.delivery = T - since
        self.first_identified = self.delivery + identified
        self.first_onset = self.delivery + onset if r() < 0.7 else None
        self.born = self.delivery - int(self.age_years * 365.25)

    def _pregnancies(self) -> None:
        r, T, D = self.r, self.today, self.delivery
        earlier = []
        ended = D
        for _ in range(_PARITY.pick(r)):
            ended -= 500 + int(r() * 1400)
            if ended < self.born + 18 * 365:
                break
            earlier.append((_EARLIER_OUTCOMES.pick(r), ended))
        number = 0
        for outcome, ended in reversed(earlier):
            number += 1
            self._add_pregnancy(number, outcome, ended)
        number += 1
        self.index_number = number
        self._add_pregnancy(number, "stillbirth" if r() < 0.015 else "live_birth", D)
        if number > 1 and r() < 0.25:
            self.risks.add("previous_pao")

        # after the PAO pregnancy: pregnant again, another baby, or a miscarriage
        since = T - D
        self.next_conception = None
        self.ongoing_due = None
        self.later_birth = None
        u = r()
        if since >= 450 and u < 0.07:
            weeks = 40 + int(r() * 230)
            conception = T - weeks
            if conception >= D + 300:
                self.next_conception = conception
                self.ongoing_due = conception + 280
                self.pregnancies.append([number + 1, "ongoing", self.ongoing_due, None, None])
        elif since >= 1000 and u < 0.11:
            ended = D + 650 + int(r() * (since - 680))
            self.next_conception = ended - 275
            self.later_birth = ended
            self._add_pregnancy(number + 1, "live_birth", ended)
        elif since >= 500 and u < 0.13:
            ended = D + 300 + int(r() * (since - 300))
            self.next_conception = ended - 60 - int(r() * 30)
            self._add_pregnancy(number + 1, "miscarriage", ended)

    def _add_pregnancy(self, number: int, outcome: str, ended: int) -> None:
        r = self.r
        if outcome in codes.BIRTH_OUTCOMES:
            due = ended + int(r() * 36) - 12 if r() < 0.85 else None
            mode = _DELIVERY_MODES.pick(r) if r() < 0.95 else None
        else:
            due = ended + 140 + int(r() * 100) if r() < 0.5 else None
            mode = None
        self.pregnancies.append([number, outcome, due, ended, mode])

    def _feeding(self) -> None:
        r, T = self.r, self.today
        births = [p for p in self.pregnancies if p[1] in codes.BIRTH_OUTCOMES]
        most_recent = births[-1][0]
        for i, (number, outcome, _due, ended, _mode) in enumerate(births):
            later = births[i + 1][3] if i + 1 < len(births) else None
            if number == self.index_number:
                self._index_feeding(outcome, ended, number == most_recent)
                continue
            if outcome == "stillbirth":
                self.feeding[number] = (False, None, None, None)
                continue
            u = r()
            if number == most_recent:          # the baby born after the PAO pregnancy
                if u < 0.1:
                    continue
                if u < 0.25:
                    self.feeding[number] = (False, None, None, None)
                    continue
                start = min(ended + (0 if r() < 0.9 else 1 + int(r() * 3)), T)
                stop = start + 30 + int(r() * 500)
                if stop <= T:
                    self.feeding[number] = (True, start, stop, None)
                else:
                    self.feeding[number] = (True, start, None, stop if r() < 0.4 else None)
                continue
            if u < 0.1:                        # older history not always recorded
                continue
            if u < 0.35:
                self.feeding[number] = (False, None, None, None)
                continue
            start = ended
            stop = start + 20 + int(r() * 430)
            if later is not None:
                stop = max(start, min(stop, later - 300))
            self.feeding[number] = (True, start, stop, None)

    def _index_feeding(self, outcome: str, ended: int, most_recent: bool) -> None:
        r, T = self.r, self.today
        u = r()
        if most_recent and u < 0.05:
            self.index_feeding = None              # lactation unknown
            return
        if outcome == "stillbirth" or u < 0.17:
            self.index_feeding = (False, None, None, None)
        else:
            start = min(ended + (0 if r() < 0.85 else 1 + int(r() * 4)), T)
            if r() < 0.2:                          # stopped once the fractures were found
                stop = max(start, self.first_identified + 1 + int(r() * 35))
            else:
                stop = start + 90 + int(r() * 710)
            if self.next_conception is not None:
                stop = max(start, min(stop, self.next_conception - 20 - int(r() * 60)))
            planned = None
            if stop <= T:
                feeding = (True, start, stop, None)
            else:
                u = r()
                if u < 0.35:
                    planned = stop
                elif u < 0.5:                      # planned stop passed: ask whether she has stopped
                    planned = T - 1 - int(r() * 45)
                    if planned < start:
                        planned = None
                feeding = (True, start, None, planned)
            self.index_feeding = feeding
        self.feeding[self.index_number] = self.index_feeding

    def _breastfeeding_on(self, day: int) -> bool:
        for breastfed, start, stop, _planned in self.feeding.values():
            if breastfed and start <= day and (stop is None or stop >= day):
                return True
        return False

    # -- fractures --

    def _fractures(self) -> None:
        r, T = self.r, self.today
        first = self.first_identified
        onset = self.first_onset
        index_preg = self.index_number
        imaging = _IMAGING.pick(r)
        trauma = _TRAUMA.pick(r)
        note = _one_of(r, _ONSET_NOTES) if onset is not None and r() < 0.25 else None
        self.grades: dict[str, int] = {}
        add = self.fractures.append

        if r() < 0.06:                             # sacrum, pelvis or hip only
            site = _PELVIC_SITES.pick(r)
            side = _one_of(r, codes.SIDES) if site in codes.SIDED_SITES else None
            add((first, onset, site, side, None, imaging, trauma, index_preg, note))
            if site == "sacrum" and r() < 0.3:
                add((first, onset, "pelvis", _one_of(r, codes.SIDES), None, imaging, trauma, index_preg, None))
            self.presentation_levels: list[str] = []
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
                self.grades[level] = grade
                when = second_look if second_look is not None and i == len(levels) - 1 else first
                add((when, onset, level, None, grade, imaging, trauma, index_preg, note if i == 0 else None))
            self.presentation_levels = levels
            if r() < 0.08:
                site = _PELVIC_SITES.pick(r)
                side = _one_of(r, codes.SIDES) if site in codes.SIDED_SITES else None
                add((first, onset, site, side, None, imaging, trauma, index_preg, None))

        if r() < 0.03:                             # an old injury with real force: not fragility
            site, old_note = _one_of(r, _OLD_INJURIES)
            when = self.born + 365 * 8 + int(r() * 365 * 8)
            side = _one_of(r, codes.SIDES) if site in codes.SIDED_SITES else None
            add((when, None, site, side, None, "xray", "high", None, old_note))
            self.risks.add("fracture_before_pregnancy")

        self.repeats: list[int] = []
        if self.later_birth is not None and r() < 0.35:
            when = self.later_birth + int(r() * 84)
            if when <= T:
                self._repeat_fracture(when, new_level=True)
        if r() < 0.2:
            for _ in range(1 if r() < 0.8 else 2):
                when = first + 30 + int(r() ** 1.3 * 500)
                if when > T:
                    break
                self._repeat_fracture(when, new_level=False)

    def _repeat_fracture(self, when: int, *, new_level: bool) -> None:
        r = self.r
        onset = when - 1 - int(r() * 20) if r() < 0.7 else None
        pregnancy = None
        if when - self.delivery <= 365:
            pregnancy = self.index_number
        elif self.later_birth is not None and self.later_birth - 90 <= when <= self.later_birth + 120:
            pregnancy = self.index_number + 1
        note = _one_of(r, _REPEAT_NOTES) if r() < 0.3 else None
        imaging = _IMAGING.pick(r)
        trauma = _TRAUMA.pick(r)
        u = r()
        progressable = [level for level, grade in self.grades.items() if grade < 3]
        if not new_level and u < 0.35 and progressable:
            level = _one_of(r, progressable)
            grade = self.grades[level] + 1 if r() < 0.7 else 3
        elif not new_level and u > 0.9:
            site = _one_of(r, _LATER_OTHER_SITES)
            side = _one_of(r, codes.SIDES) if site in codes.SIDED_SITES else None
            if not any(f[2] == site and f[3] == side for f in self.fractures):
                self.repeats.append(when)          # a new site (the same one again is not a repeat)
            self.fractures.append((when, onset, site, side, None, imaging, trauma, pregnancy, note))
            return
        else:
            level = None
            if self.grades and r() < 0.7:          # often next to an earlier fracture
                base = _LEVEL_INDEX[_one_of(r, tuple(self.grades))]
                step = _one_of(r, (-2, -1, 1, 2))
                candidate = base + step
                if _LEVEL_INDEX["t3"] <= candidate <= _LEVEL_INDEX["l5"]:
                    name = codes.VERTEBRAL_LEVELS[candidate]
                    if name not in self.grades:
                        level = name
            while level is None:
                name = _LEVELS.pick(r)
                if name not in self.grades:
                    level = name
            grade = _GENANT.pick(r)
        self.grades[level] = grade
        self.fractures.append((when, onset, level, None, grade, imaging, trauma, pregnancy, note))
        self.repeats.append(when)

    # -- clinic --

    def _visits_and_history(self) -> None:
        r, T = self.r, self.today
        self.first_visit = min(T, self.first_identified + 7 + int(r() * 40))
        visits = [self.first_visit]
        day = self.first_visit
        while len(visits) < 8:
            day += 84 + int(r() * 120)
            if day > T:
                break
            visits.append(day)
        self.visits = visits
        self.plan = _FUTURE_PLANS.pick(r)
        if self.next_conception is None:
            if r() < 0.025:
                self.history.add("sterilised")
                self.plan = "no"
            if r() < 0.004:
                self.history.add("postmenopausal")
        for code, share in (("skeletal_radiotherapy", 0.003), ("bone_malignancy", 0.002),
                            ("other_metabolic_bone_disease", 0.005)):
            if r() < share:
                self.history.add(code)
        for code, share in _RISK_SHARES:
            if r() < share:
                self.risks.add(code)

    def _dexa(self) -> None:
        r, T = self.r, self.today
        self.first_scan = None
        if r() >= 0.9:
            return
        day = self.first_identified + 10 + int(r() * 80)
        if day > T:
            return
        gauss = self.rng.gauss
        spine = _clamp(gauss(-2.45, 0.65), -5.0, 0.8)
        hip = _clamp(spine + gauss(0.55, 0.5), -5.0, 1.5)
        neck_offset = gauss(-0.1, 0.3) if r() < 0.25 else None
        self.first_scan = day
        while True:
            scores = r()                           # which scores the report gives
            sites = [("lumbar_spine", spine, 1.10), ("total_hip", hip, 0.98)]
            if neck_offset is not None:
                sites.append(("femoral_neck", hip + neck_offset, 0.88))
            for site, z, mean in sites:
                z = round(_clamp(z, -6.0, 2.0), 1)
                bmd = round(_clamp(mean + 0.115 * z, 0.35, 1.5), 3)
                t = round(z - 0.1 - 0.3 * r(), 1)
                if scores < 0.03:
                    self.dexa.append((day, site, bmd, t, None))
                elif scores < 0.73:
                    self.dexa.append((day, site, bmd, t, z))
                else:
                    self.dexa.append((day, site, bmd, None, z))
            if r() >= 0.55:
                break
            day += 330 + int(r() * 80)
            if day > T:
                break
            if self._breastfeeding_on(day):
                spine -= 0.1 + 0.1 * r()
                hip -= 0.1 * r()
            else:
                spine += gauss(0.3, 0.2)
                hip += gauss(0.2, 0.15)

    def _blood_set(self, day: int, tests, *, ready: bool = False) -> None:
        """One set of bloods around her usual values; `ready`: fit to start a drug."""
        r, base, add = self.r, self.baseline, self.bloods.append
        for test in tests:
            half, low, high, digits = _BLOOD_NOISE[test]
            if ready and test in _READY_FOR_TREATMENT:
                centre, half = _READY_FOR_TREATMENT[test]
            else:
                centre = base[test]
            value = round(centre + half * (r() - r()), digits)
            add((day, test, float(low if value < low else high if value > high else value)))

    def _workup_bloods(self) -> None:
        r, gauss, T = self.r, self.rng.gauss, self.today
        u = r()
        ca = _clamp(gauss(2.36, 0.06), 2.2, 2.58)
        if u < 0.025:
            ca = 2.05 + 0.14 * r()
        elif u < 0.035:
            ca = 2.61 + 0.1 * r()
        u = r()
        if u < 0.08:
            vitd = 12 + 12 * r()
        elif u < 0.3:
            vitd = 25 + 24 * r()
        else:
            vitd = _clamp(gauss(70, 18), 50, 150)
        if vitd < 30 and r() < 0.5:
            self.risks.add("vitamin_d_deficiency")
        u = r()
        egfr = 80 + 40 * r() if u < 0.97 else (45 + 34 * r() if u < 0.99 else 25 + 19 * r())
        self.baseline = {
            "adjusted_calcium": ca,
            "phosphate": _clamp(gauss(1.12, 0.15), 0.6, 1.7),
            "alkaline_phosphatase": _clamp(gauss(105, 30), 35, 260),
            "creatinine": _clamp(gauss(63, 9) + (90 - egfr) * 0.8, 40, 130),
            "egfr": min(egfr, 120.0),
            "vitamin_d_25oh": vitd,
            "pth": _clamp(gauss(4.2, 1.2) + (3.0 if vitd < 50 else 0.0), 1.2, 14.0),
            "tsh": _clamp(gauss(1.8, 0.7), 0.3, 5.5) if r() < 0.98 else 5.6 + 3 * r(),
            "full_blood_count": _clamp(gauss(126, 11), 85, 155),
        }
        if r() < 0.06:
            return                                  # no bloods yet
        day = min(T, self.first_identified + int(r() * 15))
        tests = list(_WORKUP_TESTS)
        if r() < 0.16:                              # incomplete work-up
            for _ in range(1 + int(r() * 3)):
                tests.pop(int(r() * len(tests)))
        self._blood_set(day, tests)
        later = self.visits[1:]
        if later and r() < 0.35:
            self.baseline["vitamin_d_25oh"] = min(150.0, self.baseline["vitamin_d_25oh"] + 15 + 20 * r())
            self._blood_set(_one_of(r, later), _FOLLOW_UP_TESTS)

    def _heights(self) -> None:
        r = self.r
        if r() >= 0.7:
            return
        cm = _clamp(self.rng.gauss(164, 6.5), 145, 185)
        day = self.first_visit
        self.heights.append((day, round(cm, 1)))
        shrinking = len(self.presentation_levels) >= 3 or bool(self.repeats)
        for visit in self.visits[1:]:
            if r() < 0.5:
                continue
            if shrinking:
                cm -= 0.8 * r()
            for when in self.repeats:
                if day < when <= visit:
                    cm -= 1.5 + 2.0 * r()
            cm += self.rng.gauss(0, 0.25)
            day = visit
            self.heights.append((day, round(cm, 1)))

    def _epds(self) -> None:
        r = self.r
        if r() >= 0.75:
            return
        days = [self.first_visit]
        if len(self.visits) > 1 and r() < 0.4:
            days.append(_one_of(r, self.visits[1:]))
        for day in days:
            u = r()
            score = int(r() * 10) if u < 0.6 else (10 + int(r() * 3) if u < 0.8 else 13 + int(r() * 14))
            self_harm = 0
            if score >= 13 and r() < 0.18:
                self_harm = 1 if r() < 0.7 else 2 + int(r() * 2)
            elif score >= 10 and r() < 0.03:
                self_harm = 1
            self.epds.append((day, score, self_harm))

    def _contraception(self) -> None:
        r = self.r
        if "sterilised" in self.history:
            if r() < 0.5:
                self.contraception.append((self.first_visit, "female sterilisation", True))
            return
        if r() >= 0.65:
            return
        method, effective = _CONTRACEPTION.pick(r)
        if method == "lactational amenorrhoea" and not self._breastfeeding_on(self.first_visit):
            method, effective = "none", False
        self.contraception.append((self.first_visit, method, effective))
        if method == "progestogen injection" and r() < 0.5:
            self.risks.add("progestogen_only_contraception")
        if len(self.visits) > 1 and r() < 0.3:
            method, effective = _CONTRACEPTION.pick(r)
            if method != "lactational amenorrhoea":
                self.contraception.append((_one_of(r, self.visits[1:]), method, effective))

    def _calcium_vitamin_d(self) -> None:
        r, T = self.r, self.today
        if r() >= 0.78:
            return
        start = min(T, self.first_identified + int(r() * 15)) if r() < 0.5 else self.first_visit
        stop = start + 120 + int(r() * 380) if r() < 0.15 else None
        if stop is not None and stop > T:
            stop = None
        self.medications.append(("calcium_vitamin_d", start, stop))

    # -- treatment --

    def _treatment(self) -> None:
        """Osteoporosis drugs only once she has weaned (or never breastfed), not pregnant."""
        r, T = self.r, self.today
        feeding = self.index_feeding
        if feeding is None or self.first_scan is None:
            return
        breastfed, _start, stop, _planned = feeding
        if breastfed and stop is None:
            return
        weaned = stop + 1 if breastfed else self.delivery
        window_end = T if self.next_conception is None else min(T, self.next_conception - 120)
        earliest = max(weaned, self.first_visit, self.first_scan) + 14
        decided = earliest + int(r() * 120)
        if decided > window_end:
            return
        indicated = self._indicated(decided)
        u = r()
        if u < (0.55 if indicated else 0.12):
            severe = (len(self.presentation_levels) >= 3 or 3 in self.grades.values() or bool(self.repeats))
            drug = self._choose_drug(severe, window_end < T)
            if drug == "teriparatide" and window_end == T and r() < 0.35:
                near_end = T - 639 - int(r() * 80)  # a course in its last three months today
                if near_end >= earliest:
                    decided = near_end
            self._course(drug, decided, window_end)
        elif u < (0.82 if indicated else 0.72):
            self.decisions.append((decided, "conservative", None, None, decided + 180 + int(r() * 220)))

    def _choose_drug(self, severe: bool, pregnancy_ahead: bool) -> str:
        r = self.r
        if self.history & _PTH_EXCLUDING_HISTORY:
            return "alendronate"
        if pregnancy_ahead:
            return "teriparatide" if r() < 0.4 else "alendronate"
        if self.plan == "yes" and r() < 0.6:
            return "teriparatide"
        return (_DRUGS_SEVERE if severe else _DRUGS_MILDER).pick(r)

    def _indicated(self, day: int) -> bool:
        """Whether an indication feature of the gate (IND-1) holds on `day`."""
        if len(self.presentation_levels) >= 2 or any(when <= day for when in self.repeats):
            return True
        if any(f[4] == 3 and f[0] <= day for f in self.fractures):
            return True
        latest = max((s[0] for s in self.dexa if s[0] <= day), default=None)
        return any(s[0] == latest and s[4] is not None and s[4] <= -2.0 for s in self.dexa)

    def _prepare_start(self, drug: str, decided: int) -> str | None:
        """Bloods, dental review and contraception ahead of a start; the override reason."""
        r = self.r
        taken = max(self.first_identified, decided - 3 - int(r() * 28))
        done = {b[1] for b in self.bloods if b[0] >= self.first_identified}
        tests = _PRE_TREATMENT_TESTS + tuple(
            test for test in _WORKUP_TESTS if test not in done and test not in _PRE_TREATMENT_TESTS)
        # the screen is the latest word before the decision: no other result in between
        self.bloods = [b for b in self.bloods if not (taken <= b[0] <= decided and b[1] in tests)]
        self._blood_set(taken, tests, ready=True)
        if drug in codes.ANTIRESORPTIVES and not any(decided - 365 <= d <= decided for d in self.dental):
            self.dental.append(decided - 7 - int(r() * 113))
        if not self.history & {"sterilised", "postmenopausal"}:
            earlier = [c for c in self.contraception if c[0] <= decided]
            latest = max(earlier, key=_FIRST) if earlier else None
            if latest is None or not latest[2]:
                self.contraception = [c for c in self.contraception if not (c[0] == decided and not c[2])]
                method, effective = _one_of(r, _EFFECTIVE_CONTRACEPTION)
                self.contraception.append((decided, method, effective))
        reasons = []
        if drug == "denosumab":
            reasons.append("Agreed that a bisphosphonate will follow denosumab; "
                           "discussed what that means for a later pregnancy.")
        if drug in codes.BISPHOSPHONATES and self.plan != "no":
            reasons.append("Discussed that bisphosphonates stay in bone for years; "
                           "she is not planning a pregnancy in the next two years.")
        if not self._indicated(decided):
            reasons.append("Treating for severe pain and lost function although the Z-score is above -2.0.")
        latest_scan = max((s[0] for s in self.dexa if s[0] <= decided), default=None)
        if latest_scan is not None and all(s[4] is None for s in self.dexa if s[0] == latest_scan):
            reasons.append("Latest report gives T-scores only; Z-scores from the earlier scan reviewed.")
        return " ".join(reasons) or None

    def _course(self, drug: str, decided: int, until: int) -> None:
        """Decision to start `drug`, then the doses or course up to `until` (at most today)."""
        r, T, add = self.r, self.today, self.medications.append
        reason = self._prepare_start(drug, decided)
        self.decisions.append((decided, "start", drug, reason, None))
        start = min(decided + (0 if r() < 0.6 else 1 + int(r() * 14)), until)
        if drug in ("alendronate", "risedronate"):
            stop = start + 365 + int(r() * 730)
            if until < T:
                stop = min(stop, until)
            if stop <= until:
                add((drug, start, stop))
                if r() < 0.7:
                    self.decisions.append((stop, "stop", drug, None, None))
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
                self.decisions.append((follow, "start", "zoledronate",
                                       self._prepare_start("zoledronate", follow), None))
                add(("zoledronate", follow, follow))
        else:                                       # teriparatide: daily injections
            # a full course (at most 729 days, inside the 730-day limit) or stopped early
            days = 720 + int(r() * 10) if r() < 0.75 else 365 + int(r() * 355)
            stop = start + days - 1
            if stop <= until:
                add((drug, start, stop))
                if r() < 0.6:
                    self.decisions.append((stop, "stop", drug, None, None))
                follow = stop + 1 + int(r() * 45)
                if follow <= until and r() < 0.7:
                    after = "alendronate" if r() < 0.6 else "zoledronate"
                    self._course(after, follow, until)
            elif until == T:
                add((drug, start, None))
            else:
                add((drug, start, until))

    def _defer_decision(self) -> None:
        r = self.r
        if self.ongoing_due is not None and r() < 0.5:
            visit = max(self.visits[-1], self.next_conception + 60)
            if visit <= self.today:
                self.decisions.append((visit, "defer", None, None, self.ongoing_due + 42 + int(r() * 50)))
            return
        if self.index_feeding is None or r() >= 0.4:
            return
        for visit in self.visits:
            if self._breastfeeding_on(visit):
                planned = self.index_feeding[3]
                review = planned + 1 if planned is not None and planned >= visit else visit + 90 + int(r() * 90)
                self.decisions.append((visit, "defer", None, None, review))
                return

    # -- referrals --

    def _what_was_found(self) -> str:
        """The presenting fractures in a referral letter's words."""
        levels = self.presentation_levels
        if not levels:
            return "pelvic or hip fracture around the birth"
        weeks = (self.first_identified - self.delivery) // 7
        timing = ("in late pregnancy" if weeks < 0 else "at delivery" if weeks == 0
                  else "1 week after delivery" if weeks == 1 else f"{weeks} weeks after delivery")
        plural = "s" if len(levels) > 1 else ""
        return f"vertebral fracture{plural} at {_levels_text(levels)} {timing}"

    def _referrals(self) -> None:
        r = self.r
        first, visit = self.first_identified, self.first_visit
        levels = self.presentation_levels
        for specialty, share, urgent in _REFERRALS:
            if specialty == "nutrition" and self.risks & {"restrictive_diet", "eating_disorder", "low_bmi", "malabsorption"}:
                share = 0.6
            if r() < share:
                base = first if specialty == "osteoporosis_service" else visit
                reason = _REFERRAL_REASONS[specialty]
                if "{found}" in reason:
                    reason = reason.format(found=self._what_was_found())
                self._referral(specialty, base + int(r() * 30), r() < urgent, reason)
        if 3 in self.grades.values() and r() < 0.35:
            level = next(lv for lv, g in self.grades.items() if g == 3)
            self._referral("neurosurgery", visit + int(r() * 20), r() < 0.6,
                           f"Grade 3 collapse at {level.upper()}: spinal stability and rehabilitation advice.")
        elif r() < 0.02:
            self._referral("neurosurgery", visit + int(r() * 60), False,
                           "Leg symptoms since the fractures; nerve root compression to be excluded.")
        if len(levels) >= 3 and r() < 0.15 or r() < 0.02:
            self._referral("spinal_surgery", visit + int(r() * 90), False,
                           "Increasing kyphosis and pain after several vertebral fractures.")
        for day, score, self_harm in self.epds:
            if self_harm > 0 and r() < 0.7:
                self._referral("mental_health", day + int(r() * 2), True,
                               f"EPDS {score} with a positive self-harm item; please assess soon.")
            elif score >= 13 and r() < 0.7:
                self._referral("mental_health", day + int(r() * 4), False,
                               f"EPDS {score}; low mood and anxiety since the fractures.")
        if not self.epds and r() < 0.03:
            self._referral("mental_health", visit + int(r() * 30), False,
                           "Distress about pain and caring for the baby; talking therapy please.")

    def _referral(self, specialty: str, created: int, urgent: bool, reason: str) -> None:
        r, T = self.r, self.today
        if created > T:
            return
        age = T - created
        status = (_STATUS_NEW if age <= 7 else _STATUS_WEEKS if age <= 60 else _STATUS_OLD).pick(r)
        sent = seen = None
        if status != "draft" and (status not in ("declined", "cancelled") or r() < 0.6):
            sent = min(T, created + int(r() ** 2 * 6))
        if status == "seen":
            room = T - sent
            if room < 10:
                status = "booked"
            else:
                seen = sent + 10 + int(r() * (min(room, 150) - 9))
        self.referrals.append((created, specialty, "urgent" if urgent else "routine", status, sent, seen, reason))

    # -- the record --

    def _record(self) -> PatientRecord:
        r, d = self.r, self.days.__getitem__
        given = _one_of(r, _GIVEN_NAMES_WIDER) if r() < 0.25 else _one_of(r, _GIVEN_NAMES_UK)
        family = _one_of(r, _FAMILY_NAMES_WIDER) if r() < 0.25 else _one_of(r, _FAMILY_NAMES_UK)
        nhs = self.numbers.nhs_number() if r() >= 0.01 else None
        hospital = self.numbers.hospital_number()

        contact = None
        if r() < 0.97:
            address = postcode = phone = email = None
            if r() < 0.95:
                address = f"{1 + int(r() * 120)} {_one_of(r, _STREETS)}, {_one_of(r, _TOWNS)}"
                postcode = self._postcode()
            if r() < 0.85:
                phone = f"07700 900{int(r() * 1000):03d}"
            if r() < 0.7:
                email = f"{_EMAIL_PARTS[given]}.{_EMAIL_PARTS[family]}{int(r() * 100)}@example.org"
            if address or phone or email:
                contact = Contact(address=address, postcode=postcode, phone=phone, email=email)
        gp = None
        if r() < 0.92:
            town = _one_of(r, _TOWNS)
            gp = GeneralPractitioner(
                name=f"Dr {'ABCDEFGHJKLMNPRSTW'[int(r() * 18)]}. {_one_of(r, _GP_SURNAMES)}",
                practice=f"{town} {_one_of(r, _PRACTICE_KINDS)}",
                address=f"{1 + int(r() * 80)} {_one_of(r, _STREETS)}, {town} {self._postcode()}",
            )

        # Every list in the order export writes it (main date, then ref as text, then the
        # entry itself), so that export and import give these very values back.
        pregnancies = tuple([
            Pregnancy(ref=f"preg{n}", number=n, outcome=outcome, due_date=d(due) if due else None,
                      ended_on=d(ended) if ended else None, delivery_mode=mode)
            for n, outcome, due, ended, mode in self.pregnancies
        ])
        breastfeeding = tuple([
            Feeding(pregnancy=f"preg{n}", breastfed=fed, started_on=d(start) if start else None,
                    stopped_on=d(stop) if stop else None, planned_stop_on=d(planned) if planned else None)
            for n, (fed, start, stop, planned)
            in sorted(self.feeding.items(), key=lambda item: (not item[1][0], item[1][1] or 0, f"preg{item[0]}"))
        ])
        fractures = _by_ref_on_ties([
            Fracture(ref=f"fx{i}", site=site, identified_on=d(ident), imaging=imaging, trauma=trauma,
                     side=side, onset_on=d(onset) if onset else None, genant_grade=grade,
                     pregnancy=f"preg{preg}" if preg else None, note=note)
            for i, (ident, onset, site, side, grade, imaging, trauma, preg, note)
            in enumerate(sorted(self.fractures, key=_FIRST), 1)
        ], "identified_on")
        dexa = _by_ref_on_ties([
            DexaScan(ref=f"dexa{i}", scanned_on=d(day), site=site, bmd=bmd, t_score=t, z_score=z)
            for i, (day, site, bmd, t, z) in enumerate(self.dexa, 1)  # made in date order
        ], "scanned_on")
        bloods = tuple([
            BloodResult(taken_on=d(day), test=test, value=value, unit=_UNITS[test])
            for day, test, value in sorted(self.bloods)
        ])
        heights = tuple([HeightMeasurement(measured_on=d(day), cm=cm) for day, cm in self.heights])
        epds = tuple([EpdsScreen(assessed_on=d(day), score=score, self_harm_item=item)
                      for day, score, item in self.epds])
        medications = _by_ref_on_ties([
            Medication(ref=f"med{i}", drug=drug, started_on=d(start), stopped_on=d(stop) if stop else None)
            for i, (drug, start, stop) in enumerate(sorted(self.medications, key=_SECOND), 1)
        ], "started_on")
        referrals = _by_ref_on_ties([
            Referral(ref=f"ref{i}", specialty=specialty, urgency=urgency, status=status,
                     created_on=d(created), reason=reason, sent_on=d(sent) if sent else None,
                     seen_on=d(seen) if seen else None)
            for i, (created, specialty, urgency, status, sent, seen, reason)
            in enumerate(sorted(self.referrals, key=_FIRST), 1)
        ], "created_on")
        decisions = tuple(sorted([
            Decision(decided_on=d(day), plan=plan, by=_CONSULTANTS[int(r() * len(_CONSULTANTS))], drug=drug,
                     override_reason=reason, review_on=d(review) if review else None)
            for day, plan, drug, reason, review in self.decisions
        ], key=_DECIDED_BY)) if self.decisions else ()
        contraception = tuple([Contraception(recorded_on=d(day), method=method, effective=effective)
                               for day, method, effective in sorted(self.contraception, key=_RECORDED)])
        dental = tuple([DentalReview(reviewed_on=d(day)) for day in sorted(set(self.dental))]) if self.dental else ()
        return PatientRecord(
            ref=f"pt{self.index:05d}",
            family_name=family,
            given_name=given,
            date_of_birth=d(self.born),
            nhs_number=nhs,
            hospital_number=hospital,
            contact=contact,
            gp=gp,
            risk_factors=tuple(code for code in codes.RISK_FACTORS if code in self.risks),
            history=tuple(code for code in codes.HISTORY_CODES if code in self.history),
            future_pregnancy_plan=self.plan,
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

    def _postcode(self) -> str:
        r, letters = self.r, _POSTCODE_LETTERS
        return f"ZZ{1 + int(r() * 9)} {int(r() * 10)}{letters[int(r() * 20)]}{letters[int(r() * 20)]}"


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
    numbers = _Numbers(rng)
    day = today.toordinal()
    # Hundreds of thousands of small acyclic values: the cycle collector would only
    # re-scan them over and over, so it rests while they are built.
    collecting = gc.isenabled()
    gc.disable()
    try:
        days = _Days()
        return [_Woman(rng, day, index, numbers, days).build() for index in range(1, count + 1)]
    finally:
        if collecting:
            gc.enable()
