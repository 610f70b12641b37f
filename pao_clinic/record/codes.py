"""The clinic's code lists, in one place (exchange format version 1).

Every code the record uses is listed here once; validation, the database CHECK
constraints, the gate and the demo generator all read these tuples.
"""

from __future__ import annotations

VERTEBRAL_LEVELS: tuple[str, ...] = (
    tuple(f"c{n}" for n in range(1, 8))
    + tuple(f"t{n}" for n in range(1, 13))
    + tuple(f"l{n}" for n in range(1, 6))
)
SIDED_SITES: tuple[str, ...] = ("pelvis", "hip", "femur", "rib", "wrist", "ankle", "foot")
OTHER_FRACTURE_SITES: tuple[str, ...] = ("sacrum", "coccyx") + SIDED_SITES + ("other",)
FRACTURE_SITES: tuple[str, ...] = VERTEBRAL_LEVELS + OTHER_FRACTURE_SITES
SIDES: tuple[str, ...] = ("left", "right")
IMAGING: tuple[str, ...] = ("mri", "xray", "ct", "dexa_vfa")
TRAUMA: tuple[str, ...] = ("none", "low", "high")
GENANT_GRADES: tuple[int, ...] = (1, 2, 3)

PREGNANCY_OUTCOMES: tuple[str, ...] = ("ongoing", "live_birth", "stillbirth", "miscarriage", "termination")
BIRTH_OUTCOMES: tuple[str, ...] = ("live_birth", "stillbirth")
DELIVERY_MODES: tuple[str, ...] = ("vaginal", "assisted", "caesarean")

DEXA_SITES: tuple[str, ...] = ("lumbar_spine", "total_hip", "femoral_neck", "forearm")

# Blood test code -> the one unit accepted (exported exactly as written here).
BLOOD_TEST_UNITS: dict[str, str] = {
    "adjusted_calcium": "mmol/L",
    "phosphate": "mmol/L",
    "alkaline_phosphatase": "U/L",
    "pth": "pmol/L",
    "vitamin_d_25oh": "nmol/L",
    "creatinine": "\u00b5mol/L",
    "egfr": "mL/min/1.73m\u00b2",
    "tsh": "mU/L",
    "coeliac_ttg": "U/mL",
    "serum_protein_electrophoresis": "flag",
    "prolactin": "mU/L",
    "full_blood_count": "g/L",
}
BLOOD_TESTS: tuple[str, ...] = tuple(BLOOD_TEST_UNITS)

DRUGS: tuple[str, ...] = (
    "alendronate", "risedronate", "ibandronate", "zoledronate", "denosumab",
    "teriparatide", "abaloparatide", "romosozumab", "raloxifene", "calcium_vitamin_d",
)
ORAL_BISPHOSPHONATES: frozenset[str] = frozenset({"alendronate", "risedronate", "ibandronate"})
BISPHOSPHONATES: frozenset[str] = ORAL_BISPHOSPHONATES | {"zoledronate"}
ANTIRESORPTIVES: frozenset[str] = BISPHOSPHONATES | {"denosumab"}
PTH_ANALOGUES: frozenset[str] = frozenset({"teriparatide", "abaloparatide"})
OSTEOPOROSIS_DRUGS: frozenset[str] = frozenset(DRUGS) - {"calcium_vitamin_d"}

DRUG_NAMES: dict[str, str] = {
    "alendronate": "Alendronic acid",
    "risedronate": "Risedronate",
    "ibandronate": "Ibandronic acid",
    "zoledronate": "Zoledronic acid",
    "denosumab": "Denosumab",
    "teriparatide": "Teriparatide",
    "abaloparatide": "Abaloparatide",
    "romosozumab": "Romosozumab",
    "raloxifene": "Raloxifene",
    "calcium_vitamin_d": "Calcium and vitamin D",
}

SPECIALTIES: tuple[str, ...] = (
    "gp", "osteoporosis_service", "rheumatology", "endocrinology", "neurosurgery",
    "spinal_surgery", "nutrition", "physiotherapy", "pain_management",
    "occupational_therapy", "mental_health", "pao_expert_service",
)
URGENCIES: tuple[str, ...] = ("urgent", "routine")
REFERRAL_STATUSES: tuple[str, ...] = ("draft", "sent", "acknowledged", "booked", "seen", "declined", "cancelled")
REFERRAL_STATUSES_NEEDING_SENT_ON: frozenset[str] = frozenset({"sent", "acknowledged", "booked", "seen"})
OPEN_REFERRAL_STATUSES: frozenset[str] = frozenset({"draft", "sent", "acknowledged", "booked"})

DECISION_PLANS: tuple[str, ...] = ("start", "defer", "conservative", "stop")
DECISION_PLANS_NEEDING_DRUG: frozenset[str] = frozenset({"start", "stop"})

RISK_FACTORS: tuple[str, ...] = (
    "previous_pao", "osteopenia_before_pregnancy", "osteoporosis_before_pregnancy",
    "fracture_before_pregnancy", "family_history_osteoporosis", "genetic_bone_variant",
    "hyperemesis", "malabsorption", "restrictive_diet", "eating_disorder", "low_bmi",
    "vitamin_d_deficiency", "amenorrhoea", "renal_stones_hypercalciuria",
    "progestogen_only_contraception", "heparin", "thyroid_hormone", "corticosteroids",
    "cancer_treatment",
)
HISTORY_CODES: tuple[str, ...] = (
    "skeletal_radiotherapy", "bone_malignancy", "other_metabolic_bone_disease",
    "postmenopausal", "sterilised",
)
FUTURE_PREGNANCY_PLANS: tuple[str, ...] = ("yes", "no", "unsure")

ROLES: tuple[str, ...] = ("nurse", "consultant", "admin")

LACTATION_STATUSES: tuple[str, ...] = ("breastfeeding", "not_applicable", "unknown", "not_breastfed", "ceased")
