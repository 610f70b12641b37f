"""Her referrals: to the osteoporosis and PAO services, therapies, surgeons, mental health.

Each specialty has its share of women and of urgent referrals; nutrition is likelier
with a restrictive diet or low BMI, neurosurgery with a grade 3 collapse, mental health
after a high EPDS score.  A referral's status follows its age: recent ones are drafts or
just sent, old ones mostly seen.
"""

from __future__ import annotations

from pao_clinic.demo.choosing import Weighted
from pao_clinic.demo.fractures import levels_text
from pao_clinic.demo.history import History

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
_STATUS_NEW = Weighted((("draft", 30), ("sent", 40), ("acknowledged", 15), ("booked", 10), ("cancelled", 5)))
_STATUS_WEEKS = Weighted((("draft", 6), ("sent", 30), ("acknowledged", 20), ("booked", 20),
                           ("seen", 14), ("declined", 5), ("cancelled", 5)))
_STATUS_OLD = Weighted((("draft", 3), ("sent", 7), ("acknowledged", 7), ("booked", 10),
                         ("seen", 58), ("declined", 7), ("cancelled", 8)))


def _what_was_found(h: History) -> str:
    """The presenting fractures in a referral letter's words."""
    levels = h.presentation_levels
    if not levels:
        return "pelvic or hip fracture around the birth"
    weeks = (h.first_identified - h.delivery) // 7
    timing = ("in late pregnancy" if weeks < 0 else "at delivery" if weeks == 0
              else "1 week after delivery" if weeks == 1 else f"{weeks} weeks after delivery")
    plural = "s" if len(levels) > 1 else ""
    return f"vertebral fracture{plural} at {levels_text(levels)} {timing}"


def referrals(h: History) -> None:
    r = h.r
    first, visit = h.first_identified, h.first_visit
    levels = h.presentation_levels
    for specialty, share, urgent in _REFERRALS:
        if specialty == "nutrition" and h.risks & {"restrictive_diet", "eating_disorder", "low_bmi", "malabsorption"}:
            share = 0.6
        if r() < share:
            base = first if specialty == "osteoporosis_service" else visit
            reason = _REFERRAL_REASONS[specialty]
            if "{found}" in reason:
                reason = reason.format(found=_what_was_found(h))
            _referral(h, specialty, base + int(r() * 30), r() < urgent, reason)
    if 3 in h.grades.values() and r() < 0.35:
        level = next(lv for lv, g in h.grades.items() if g == 3)
        _referral(h, "neurosurgery", visit + int(r() * 20), r() < 0.6,
                       f"Grade 3 collapse at {level.upper()}: spinal stability and rehabilitation advice.")
    elif r() < 0.02:
        _referral(h, "neurosurgery", visit + int(r() * 60), False,
                       "Leg symptoms since the fractures; nerve root compression to be excluded.")
    if len(levels) >= 3 and r() < 0.15 or r() < 0.02:
        _referral(h, "spinal_surgery", visit + int(r() * 90), False,
                       "Increasing kyphosis and pain after several vertebral fractures.")
    for day, score, self_harm in h.epds:
        if self_harm > 0 and r() < 0.7:
            _referral(h, "mental_health", day + int(r() * 2), True,
                           f"EPDS {score} with a positive self-harm item; please assess soon.")
        elif score >= 13 and r() < 0.7:
            _referral(h, "mental_health", day + int(r() * 4), False,
                           f"EPDS {score}; low mood and anxiety since the fractures.")
    if not h.epds and r() < 0.03:
        _referral(h, "mental_health", visit + int(r() * 30), False,
                       "Distress about pain and caring for the baby; talking therapy please.")


def _referral(h: History, specialty: str, created: int, urgent: bool, reason: str) -> None:
    r, T = h.r, h.today
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
    h.referrals.append((created, specialty, "urgent" if urgent else "routine", status, sent, seen, reason))
