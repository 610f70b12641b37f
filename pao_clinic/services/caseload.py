"""The caseload list and the nurse's worklist, read for the whole clinic at once."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from pao_clinic.record import codes
from pao_clinic.record.dates import age_on
from pao_clinic.gate import lactation_status_on, lowest_z, worklist
from pao_clinic.record.nhs_number import format_nhs_number
from pao_clinic.services.clinic import clinic_settings
from pao_clinic.services.snapshots import load_patient_records


@dataclass(frozen=True, slots=True)
class CaseloadRow:
    """One line of the caseload: who she is and where her care stands."""

    patient_id: int
    family_name: str
    given_name: str
    nhs_number: str          # shown as "943 476 5919", "" when none
    hospital_number: str
    age: int
    latest_delivery: date | None
    fracture_count: int
    lowest_z: float | None   # lowest Z-score of her latest DEXA
    lactation: str           # codes.LACTATION_STATUSES
    open_referrals: int

    @property
    def name(self) -> str:
        return f"{self.family_name}, {self.given_name}"


# what a caseload line is built from (lactation needs pregnancies and feeding)
CASELOAD_LISTS = ("pregnancies", "breastfeeding", "fractures", "dexa", "referrals")


def caseload_rows(on: date | None = None) -> list[CaseloadRow]:
    """Every live patient's caseload line (a fixed number of queries, whatever the size)."""
    on = on or date.today()
    return [caseload_row(record, on) for record in load_patient_records(lists=CASELOAD_LISTS)]


def caseload_row(record, on: date) -> CaseloadRow:
    """Her caseload line on a date, from her snapshot."""
    deliveries = [p.ended_on for p in record.pregnancies
                  if p.outcome in codes.BIRTH_OUTCOMES and p.ended_on and p.ended_on <= on]
    return CaseloadRow(
        patient_id=record.id,
        family_name=record.family_name,
        given_name=record.given_name,
        nhs_number=format_nhs_number(record.nhs_number) if record.nhs_number else "",
        hospital_number=record.hospital_number or "",
        age=age_on(record.date_of_birth, on),
        latest_delivery=max(deliveries) if deliveries else None,
        fracture_count=len(record.fractures),
        lowest_z=lowest_z(record, on),
        lactation=lactation_status_on(record, on),
        open_referrals=sum(1 for r in record.referrals if r.status in codes.OPEN_REFERRAL_STATUSES),
    )


def caseload_worklist(on: date | None = None):
    """The nurse's tasks for the whole caseload on a date, in the spec's order."""
    return worklist(load_patient_records(), on or date.today(), clinic_settings())


@dataclass(frozen=True, slots=True)
class CaseloadOverview:
    """What the caseload window shows: every patient's line and today's worklist."""

    on: date
    rows: tuple[CaseloadRow, ...]
    tasks: tuple


def caseload_overview(on: date | None = None) -> CaseloadOverview:
    """The caseload lines and the worklist from one read of the whole caseload."""
    on = on or date.today()
    records = load_patient_records()
    return CaseloadOverview(on=on, rows=tuple(caseload_row(r, on) for r in records),
                            tasks=tuple(worklist(records, on, clinic_settings())))
