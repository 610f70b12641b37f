"""A woman's whole clinical record as plain immutable values.

These frozen dataclasses are the one shape of the record outside the database:
the exchange format is parsed into them and written from them, the services load a
patient's history into them (the *snapshot* the medication gate reads), and the demo
generator builds them.  Field names are those of `shared/spec/exchange-format.md`.

`id` and `version` are the database row id and its optimistic-locking version when
the value was loaded from the database (None otherwise); they are never part of the
exchange format and never compared.
Lists are tuples so that a snapshot cannot be changed by whoever reads it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date


def _from_database() -> int | None:
    return field(default=None, compare=False, repr=False)  # type: ignore[return-value]


@dataclass(frozen=True, kw_only=True, slots=True)
class Contact:
    address: str | None = None
    postcode: str | None = None
    phone: str | None = None
    email: str | None = None


@dataclass(frozen=True, kw_only=True, slots=True)
class GeneralPractitioner:
    name: str | None = None
    practice: str | None = None
    address: str | None = None


@dataclass(frozen=True, kw_only=True, slots=True)
class Contraception:
    recorded_on: date
    method: str
    effective: bool
    id: int | None = _from_database()
    version: int | None = _from_database()


@dataclass(frozen=True, kw_only=True, slots=True)
class DentalReview:
    reviewed_on: date
    id: int | None = _from_database()
    version: int | None = _from_database()


@dataclass(frozen=True, kw_only=True, slots=True)
class Pregnancy:
    ref: str
    number: int
    outcome: str
    due_date: date | None = None
    ended_on: date | None = None
    delivery_mode: str | None = None
    id: int | None = _from_database()
    version: int | None = _from_database()


@dataclass(frozen=True, kw_only=True, slots=True)
class Feeding:
    """Lactation after one pregnancy (`pregnancy` is that pregnancy's ref)."""

    pregnancy: str
    breastfed: bool
    started_on: date | None = None
    stopped_on: date | None = None
    planned_stop_on: date | None = None
    id: int | None = _from_database()
    version: int | None = _from_database()


@dataclass(frozen=True, kw_only=True, slots=True)
class Fracture:
    ref: str
    site: str
    identified_on: date
    imaging: str
    trauma: str
    side: str | None = None
    onset_on: date | None = None
    genant_grade: int | None = None
    pregnancy: str | None = None
    note: str | None = None
    id: int | None = _from_database()
    version: int | None = _from_database()


@dataclass(frozen=True, kw_only=True, slots=True)
class DexaScan:
    ref: str
    scanned_on: date
    site: str
    bmd: float | None = None
    t_score: float | None = None
    z_score: float | None = None
    id: int | None = _from_database()
    version: int | None = _from_database()


@dataclass(frozen=True, kw_only=True, slots=True)
class BloodResult:
    taken_on: date
    test: str
    value: float
    unit: str
    id: int | None = _from_database()
    version: int | None = _from_database()


@dataclass(frozen=True, kw_only=True, slots=True)
class HeightMeasurement:
    measured_on: date
    cm: float
    id: int | None = _from_database()
    version: int | None = _from_database()


@dataclass(frozen=True, kw_only=True, slots=True)
class EpdsScreen:
    """Edinburgh Postnatal Depression Scale: total 0-30, item 10 (self-harm) 0-3."""

    assessed_on: date
    score: int
    self_harm_item: int
    id: int | None = _from_database()
    version: int | None = _from_database()


@dataclass(frozen=True, kw_only=True, slots=True)
class Medication:
    ref: str
    drug: str
    started_on: date
    stopped_on: date | None = None
    id: int | None = _from_database()
    version: int | None = _from_database()


@dataclass(frozen=True, kw_only=True, slots=True)
class Referral:
    ref: str
    specialty: str
    urgency: str
    status: str
    created_on: date
    reason: str
    sent_on: date | None = None
    seen_on: date | None = None
    id: int | None = _from_database()
    version: int | None = _from_database()


@dataclass(frozen=True, kw_only=True, slots=True)
class Decision:
    decided_on: date
    plan: str
    by: str
    drug: str | None = None
    override_reason: str | None = None
    review_on: date | None = None
    id: int | None = _from_database()
    version: int | None = _from_database()


@dataclass(frozen=True, kw_only=True, slots=True)
class PatientRecord:
    """One woman's record: demographics and every clinical list (live entries only)."""

    ref: str
    family_name: str
    given_name: str
    date_of_birth: date
    nhs_number: str | None = None
    hospital_number: str | None = None
    contact: Contact | None = None
    gp: GeneralPractitioner | None = None
    risk_factors: tuple[str, ...] = ()
    history: tuple[str, ...] = ()
    future_pregnancy_plan: str | None = None
    contraception: tuple[Contraception, ...] = ()
    dental_reviews: tuple[DentalReview, ...] = ()
    pregnancies: tuple[Pregnancy, ...] = ()
    breastfeeding: tuple[Feeding, ...] = ()
    fractures: tuple[Fracture, ...] = ()
    dexa: tuple[DexaScan, ...] = ()
    bloods: tuple[BloodResult, ...] = ()
    heights: tuple[HeightMeasurement, ...] = ()
    epds: tuple[EpdsScreen, ...] = ()
    medications: tuple[Medication, ...] = ()
    referrals: tuple[Referral, ...] = ()
    decisions: tuple[Decision, ...] = ()
    id: int | None = _from_database()
    version: int | None = _from_database()

    @property
    def identifier(self) -> str:
        """The number the clinic knows her by: NHS number, else hospital number."""
        return self.nhs_number or self.hospital_number or ""

    @property
    def display_name(self) -> str:
        return f"{self.given_name} {self.family_name}"


# The clinical lists of a PatientRecord, in exchange-format order, with each one's
# value type and the field that is its main date (lists are ordered by it on export).
CLINICAL_LISTS: tuple[tuple[str, type, str], ...] = (
    ("contraception", Contraception, "recorded_on"),
    ("dental_reviews", DentalReview, "reviewed_on"),
    ("pregnancies", Pregnancy, "ended_on"),
    ("breastfeeding", Feeding, "started_on"),
    ("fractures", Fracture, "identified_on"),
    ("dexa", DexaScan, "scanned_on"),
    ("bloods", BloodResult, "taken_on"),
    ("heights", HeightMeasurement, "measured_on"),
    ("epds", EpdsScreen, "assessed_on"),
    ("medications", Medication, "started_on"),
    ("referrals", Referral, "created_on"),
    ("decisions", Decision, "decided_on"),
)
