"""Each worklist task code in the clinic's words, as the window shows it.

The codes (`TASK_CODES` in `pao_clinic.gate.worklist`) stay the stable names used in
the exchange format, the CLI's JSON and the docs; people read these words instead.
"""

from __future__ import annotations

TASK_WORDS: dict[str, str] = {
    "LACTATION-UNKNOWN": "Lactation unknown: ask whether she breastfed",
    "FEEDING-CHECK": "Ask whether feeding has stopped",
    "DECISION-DUE": "Treatment decision due",
    "REPEAT-FRACTURE": "Repeat fracture since last decision",
    "DEXA-DUE": "DEXA scan due",
    "REFERRAL-OVERDUE": "Referral not acknowledged: chase it",
    "REFERRAL-UNSENT": "Draft referral not sent",
    "MOOD": "High EPDS: assess mood and refer",
    "WORKUP": "Work-up bloods incomplete",
    "DMAB-DUE": "Denosumab dose due",
    "PTH-LIMIT": "PTH analogue near its lifetime limit",
    "HEIGHT-LOSS": "Height loss: look for a new vertebral fracture",
}


def task_words(code: str) -> str:
    """The clinic's words for a task code (the code itself for one not listed)."""
    return TASK_WORDS.get(code, code)
