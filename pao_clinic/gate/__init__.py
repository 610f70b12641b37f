"""The medication gate, the clinical facts it stands on, DEXA interpretation and the worklist.

Pure core: no database, no Qt, no I/O.  Every function takes a PatientRecord (the
snapshot) and a date D, and judges as of D.  See `shared/spec/medication-gate.md`.
"""

from pao_clinic.gate.dexa import (
    BELOW_EXPECTED_RANGE,
    WITHIN_EXPECTED_RANGE,
    BmdChange,
    DexaHistory,
    ScanInterpretation,
    classify_z_score,
    interpret_dexa_history,
    interpret_scan,
    least_significant_change,
)
from pao_clinic.gate.facts import (
    ClinicalFacts,
    anabolic_days_used,
    births_on,
    clinical_facts,
    feeding_entries_breastfeeding_on,
    fragility_fractures,
    index_date,
    indication_features,
    is_breastfeeding_on,
    is_pregnant_on,
    lactation_status_on,
    latest_dexa,
    latest_result,
    latest_results,
    lowest_z,
    missing_workup,
    presentation_fractures,
    repeat_fractures,
    vertebral_fractures_at_presentation,
    vertebral_levels_at_presentation,
    written_date,
)
from pao_clinic.gate.rules import (
    RULE_IDS,
    GateFacts,
    GateResult,
    RuleFinding,
    check_medication,
)
from pao_clinic.gate.worklist import TASK_CODES, WorklistTask, patient_tasks, worklist

__all__ = [
    "BELOW_EXPECTED_RANGE", "WITHIN_EXPECTED_RANGE", "BmdChange", "DexaHistory", "ScanInterpretation",
    "classify_z_score", "interpret_dexa_history", "interpret_scan", "least_significant_change",
    "ClinicalFacts", "anabolic_days_used", "births_on", "clinical_facts", "feeding_entries_breastfeeding_on",
    "fragility_fractures", "index_date", "indication_features", "is_breastfeeding_on", "is_pregnant_on",
    "lactation_status_on", "latest_dexa", "latest_result", "latest_results", "lowest_z", "missing_workup",
    "presentation_fractures", "repeat_fractures", "vertebral_fractures_at_presentation",
    "vertebral_levels_at_presentation", "written_date",
    "RULE_IDS", "GateFacts", "GateResult", "RuleFinding", "check_medication",
    "TASK_CODES", "WorklistTask", "patient_tasks", "worklist",
]
