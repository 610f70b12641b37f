"""Every code list of the record in clinical words, for forms, letters and the command line.

One table per code list of `codes.py` (the keys are exactly its codes; a test keeps
them so).  Words are in sentence case as a form or a table shows them; a sentence
that needs them mid-line lowers the first letter itself.  `words(table, code)` reads a
code that has no entry (a future code) as its code with spaces, never failing.
"""

from __future__ import annotations

from pao_clinic.record import codes


def _level_words(level: str) -> str:
    region = {"c": "Cervical", "t": "Thoracic", "l": "Lumbar"}[level[0]]
    return f"{level.upper()} ({region.lower()} vertebra)"


FRACTURE_SITE_WORDS: dict[str, str] = {
    **{level: _level_words(level) for level in codes.VERTEBRAL_LEVELS},
    "sacrum": "Sacrum",
    "coccyx": "Coccyx",
    "pelvis": "Pelvis",
    "hip": "Hip",
    "femur": "Femur",
    "rib": "Rib",
    "wrist": "Wrist",
    "ankle": "Ankle",
    "foot": "Foot",
    "other": "Other site",
}
SIDE_WORDS: dict[str, str] = {"left": "Left", "right": "Right"}
IMAGING_WORDS: dict[str, str] = {"mri": "MRI", "xray": "X-ray", "ct": "CT", "dexa_vfa": "DEXA VFA"}
TRAUMA_WORDS: dict[str, str] = {
    "none": "No trauma",
    "low": "Low trauma (a fall from standing or less)",
    "high": "High trauma",
}
GENANT_GRADE_WORDS: dict[int, str] = {
    1: "Grade 1 (mild, 20-25% height loss)",
    2: "Grade 2 (moderate, 25-40%)",
    3: "Grade 3 (severe, over 40%)",
}

PREGNANCY_OUTCOME_WORDS: dict[str, str] = {
    "ongoing": "Ongoing",
    "live_birth": "Live birth",
    "stillbirth": "Stillbirth",
    "miscarriage": "Miscarriage",
    "termination": "Termination",
}
DELIVERY_MODE_WORDS: dict[str, str] = {
    "vaginal": "Vaginal birth",
    "assisted": "Assisted vaginal birth",
    "caesarean": "Caesarean section",
}

DEXA_SITE_WORDS: dict[str, str] = {
    "lumbar_spine": "Lumbar spine",
    "total_hip": "Total hip",
    "femoral_neck": "Femoral neck",
    "forearm": "Forearm",
}

BLOOD_TEST_WORDS: dict[str, str] = {
    "adjusted_calcium": "Adjusted calcium",
    "phosphate": "Phosphate",
    "alkaline_phosphatase": "Alkaline phosphatase",
    "pth": "Parathyroid hormone (PTH)",
    "vitamin_d_25oh": "25-OH vitamin D",
    "creatinine": "Creatinine",
    "egfr": "eGFR",
    "tsh": "TSH",
    "coeliac_ttg": "Coeliac serology (tTG)",
    "serum_protein_electrophoresis": "Serum protein electrophoresis",
    "prolactin": "Prolactin",
    "full_blood_count": "Haemoglobin (full blood count)",
}

DRUG_WORDS: dict[str, str] = dict(codes.DRUG_NAMES)

SPECIALTY_WORDS: dict[str, str] = {
    "gp": "General practice",
    "osteoporosis_service": "Osteoporosis service",
    "rheumatology": "Rheumatology",
    "endocrinology": "Endocrinology",
    "neurosurgery": "Neurosurgery",
    "spinal_surgery": "Spinal surgery",
    "nutrition": "Nutrition and dietetics",
    "physiotherapy": "Physiotherapy",
    "pain_management": "Pain management",
    "occupational_therapy": "Occupational therapy",
    "mental_health": "Perinatal mental health",
    "pao_expert_service": "Pregnancy-associated osteoporosis expert service",
}
URGENCY_WORDS: dict[str, str] = {"urgent": "Urgent", "routine": "Routine"}
REFERRAL_STATUS_WORDS: dict[str, str] = {
    "draft": "Draft (not yet sent)",
    "sent": "Sent",
    "acknowledged": "Acknowledged",
    "booked": "Appointment booked",
    "seen": "Seen",
    "declined": "Declined",
    "cancelled": "Cancelled",
}

DECISION_PLAN_WORDS: dict[str, str] = {
    "start": "Start treatment",
    "defer": "Defer treatment",
    "conservative": "Conservative care",
    "stop": "Stop treatment",
}

RISK_FACTOR_WORDS: dict[str, str] = {
    "previous_pao": "Pregnancy-associated osteoporosis in an earlier pregnancy",
    "osteopenia_before_pregnancy": "Osteopenia known before pregnancy",
    "osteoporosis_before_pregnancy": "Osteoporosis known before pregnancy",
    "fracture_before_pregnancy": "Fracture before pregnancy",
    "family_history_osteoporosis": "Family history of osteoporosis",
    "genetic_bone_variant": "Genetic bone variant",
    "hyperemesis": "Hyperemesis gravidarum",
    "malabsorption": "Malabsorption",
    "restrictive_diet": "Restrictive diet",
    "eating_disorder": "Eating disorder",
    "low_bmi": "Low body mass index",
    "vitamin_d_deficiency": "Vitamin D deficiency",
    "amenorrhoea": "Amenorrhoea",
    "renal_stones_hypercalciuria": "Renal stones or hypercalciuria",
    "progestogen_only_contraception": "Progestogen-only contraception",
    "heparin": "Heparin treatment",
    "thyroid_hormone": "Thyroid hormone treatment",
    "corticosteroids": "Corticosteroid treatment",
    "cancer_treatment": "Cancer treatment",
}
HISTORY_WORDS: dict[str, str] = {
    "skeletal_radiotherapy": "Radiotherapy to the skeleton",
    "bone_malignancy": "Malignancy involving bone",
    "other_metabolic_bone_disease": "Another metabolic bone disease",
    "postmenopausal": "Postmenopausal",
    "sterilised": "Sterilised",
}
FUTURE_PREGNANCY_PLAN_WORDS: dict[str, str] = {
    "yes": "Plans another pregnancy",
    "no": "No further pregnancy planned",
    "unsure": "Unsure about another pregnancy",
}

ROLE_WORDS: dict[str, str] = {"nurse": "Nurse", "consultant": "Consultant", "admin": "Administrator"}

LACTATION_WORDS: dict[str, str] = {
    "breastfeeding": "Breastfeeding",
    "ceased": "Breastfed, now stopped",
    "unknown": "Unknown: ask",
    "not_breastfed": "Did not breastfeed",
    "not_applicable": "No births",
}

#: Each code list of `codes.py` and its words: (the codes, the table).
CODE_LISTS: dict[str, tuple[tuple, dict]] = {
    "fracture_site": (codes.FRACTURE_SITES, FRACTURE_SITE_WORDS),
    "side": (codes.SIDES, SIDE_WORDS),
    "imaging": (codes.IMAGING, IMAGING_WORDS),
    "trauma": (codes.TRAUMA, TRAUMA_WORDS),
    "genant_grade": (codes.GENANT_GRADES, GENANT_GRADE_WORDS),
    "pregnancy_outcome": (codes.PREGNANCY_OUTCOMES, PREGNANCY_OUTCOME_WORDS),
    "delivery_mode": (codes.DELIVERY_MODES, DELIVERY_MODE_WORDS),
    "dexa_site": (codes.DEXA_SITES, DEXA_SITE_WORDS),
    "blood_test": (codes.BLOOD_TESTS, BLOOD_TEST_WORDS),
    "drug": (codes.DRUGS, DRUG_WORDS),
    "specialty": (codes.SPECIALTIES, SPECIALTY_WORDS),
    "urgency": (codes.URGENCIES, URGENCY_WORDS),
    "referral_status": (codes.REFERRAL_STATUSES, REFERRAL_STATUS_WORDS),
    "decision_plan": (codes.DECISION_PLANS, DECISION_PLAN_WORDS),
    "risk_factor": (codes.RISK_FACTORS, RISK_FACTOR_WORDS),
    "history": (codes.HISTORY_CODES, HISTORY_WORDS),
    "future_pregnancy_plan": (codes.FUTURE_PREGNANCY_PLANS, FUTURE_PREGNANCY_PLAN_WORDS),
    "role": (codes.ROLES, ROLE_WORDS),
    "lactation": (codes.LACTATION_STATUSES, LACTATION_WORDS),
}


def words(table: dict, code) -> str:
    """The words for a code; a code the table does not know, with its underscores as spaces."""
    if code in table:
        return table[code]
    return str(code).replace("_", " ")


def choices(code_list: str) -> tuple[tuple[object, str], ...]:
    """(code, words) for each code of one list, in the order of `codes.py`."""
    known, table = CODE_LISTS[code_list]
    return tuple((code, words(table, code)) for code in known)
