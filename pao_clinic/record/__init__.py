"""The clinical record: its values, code lists, NHS numbers, dates and every rule of it.

- `values`: a woman's whole record as frozen dataclasses (re-exported here, so
  `from pao_clinic.record import PatientRecord` reads as it should).
- `codes`: every code list and drug group, in one place.
- `nhs_number`: NHS numbers (check digit, issuing service, display as `943 476 5919`).
- `dates`: the one way dates and ages are written for people (`30-Jun-2025`).
- `validation`: every rule of the record, with messages that name the field.

Nothing here touches the database, the gate or the window.
"""

from pao_clinic.record.values import (
    CLINICAL_LISTS,
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

__all__ = [
    "CLINICAL_LISTS",
    "BloodResult", "Contact", "Contraception", "Decision", "DentalReview", "DexaScan", "EpdsScreen",
    "Feeding", "Fracture", "GeneralPractitioner", "HeightMeasurement", "Medication", "PatientRecord",
    "Pregnancy", "Referral",
]
