"""Database tables (peewee models), all bound to `db.database`.

Only the service layer (`services.py`) and the migrations use these; everyone else
gets plain values (`record.py`).  Constraints live here as well as in validation:
NOT NULL, UNIQUE NHS and hospital numbers, CHECKs on codes and ranges, foreign keys.

Clinical rows are never deleted: `entered_in_error_at/_by/_reason` mark a mistake
and take the row out of the live views and exports.  Every mutable row carries a
`version` for optimistic locking.
"""

from __future__ import annotations

import hashlib
import json
from datetime import datetime, timezone

from peewee import (
    BlobField,
    PostgresqlDatabase,
    BooleanField,
    Check,
    CharField,
    DateField,
    DateTimeField,
    DoubleField,
    ForeignKeyField,
    IntegerField,
    Model,
    SQL,
    TextField,
)

from pao_clinic.record import codes
from pao_clinic.storage.connection import database


def utc_now() -> datetime:
    return datetime.now(timezone.utc)


def _one_of(column: str, allowed, *, nullable: bool = False) -> Check:
    listed = ", ".join("'" + str(code).replace("'", "''") + "'" for code in allowed)
    test = f"{column} IN ({listed})"
    return Check(f"{column} IS NULL OR {test}" if nullable else test)


def _between(column: str, low, high, *, nullable: bool = False) -> Check:
    test = f"{column} BETWEEN {low} AND {high}"
    return Check(f"{column} IS NULL OR {test}" if nullable else test)


class BaseModel(Model):
    class Meta:
        database = database
        legacy_table_names = False


class User(BaseModel):
    name = CharField(max_length=64, unique=True)
    display_name = CharField(max_length=120)
    role = CharField(max_length=16, constraints=[_one_of("role", codes.ROLES)])
    password_hash = CharField(max_length=255)
    active = BooleanField(default=True)
    created_at = DateTimeField(default=utc_now)
    version = IntegerField(default=1)


class Patient(BaseModel):
    ref = CharField(max_length=64, unique=True)  # exported as the patient's ref: unique in every export
    nhs_number = CharField(max_length=10, null=True, unique=True,
                           constraints=[Check("nhs_number IS NULL OR length(nhs_number) = 10")])
    hospital_number = CharField(max_length=20, null=True, unique=True,
                                constraints=[Check("hospital_number IS NULL OR length(hospital_number) BETWEEN 1 AND 20")])
    family_name = CharField(max_length=120, constraints=[Check("length(family_name) > 0")])
    given_name = CharField(max_length=120, constraints=[Check("length(given_name) > 0")])
    date_of_birth = DateField()
    address = TextField(null=True)
    postcode = CharField(max_length=16, null=True)
    phone = CharField(max_length=40, null=True)
    email = CharField(max_length=254, null=True)
    gp_name = CharField(max_length=120, null=True)
    gp_practice = CharField(max_length=200, null=True)
    gp_address = TextField(null=True)
    future_pregnancy_plan = CharField(max_length=8, null=True,
                                      constraints=[_one_of("future_pregnancy_plan", codes.FUTURE_PREGNANCY_PLANS, nullable=True)])
    created_at = DateTimeField(default=utc_now)
    version = IntegerField(default=1)
    entered_in_error_at = DateTimeField(null=True)
    entered_in_error_by = ForeignKeyField(User, null=True, backref="+", index=False)
    entered_in_error_reason = TextField(null=True)

    class Meta:
        constraints = [SQL("CHECK (nhs_number IS NOT NULL OR hospital_number IS NOT NULL)")]


class PatientRiskFactor(BaseModel):
    patient = ForeignKeyField(Patient, backref="risk_factor_rows")
    code = CharField(max_length=40, constraints=[_one_of("code", codes.RISK_FACTORS)])

    class Meta:
        indexes = ((("patient", "code"), True),)


class PatientHistory(BaseModel):
    patient = ForeignKeyField(Patient, backref="history_rows")
    code = CharField(max_length=40, constraints=[_one_of("code", codes.HISTORY_CODES)])

    class Meta:
        indexes = ((("patient", "code"), True),)


class ClinicalRow(BaseModel):
    """Columns every clinical record has: who recorded it, its version, error marking.

    Who recorded a row, or marked it in error, is read with the row and never searched
    by (the audit trail's own user index answers "what did this user do"), so those
    foreign keys have no index here or on the other tables (migration 4 drops the ones
    older databases have): one index update less a row written, and a smaller file.
    """

    patient = ForeignKeyField(Patient)
    recorded_at = DateTimeField(default=utc_now)
    recorded_by = ForeignKeyField(User, null=True, backref="+", index=False)
    version = IntegerField(default=1)
    entered_in_error_at = DateTimeField(null=True)
    entered_in_error_by = ForeignKeyField(User, null=True, backref="+", index=False)
    entered_in_error_reason = TextField(null=True)


class ContraceptionRow(ClinicalRow):
    recorded_on = DateField()
    method = CharField(max_length=120, constraints=[Check("length(method) > 0")])
    effective = BooleanField()

    class Meta:
        table_name = "contraception"


class DentalReviewRow(ClinicalRow):
    reviewed_on = DateField()

    class Meta:
        table_name = "dental_review"


class PregnancyRow(ClinicalRow):
    ref = CharField(max_length=64)
    number = IntegerField(constraints=[Check("number >= 1")])
    due_date = DateField(null=True)
    outcome = CharField(max_length=16, constraints=[_one_of("outcome", codes.PREGNANCY_OUTCOMES)])
    ended_on = DateField(null=True)
    delivery_mode = CharField(max_length=16, null=True,
                              constraints=[_one_of("delivery_mode", codes.DELIVERY_MODES, nullable=True)])

    class Meta:
        table_name = "pregnancy"
        indexes = ((("patient", "ref"), True),)
        constraints = [SQL("CHECK ((outcome = 'ongoing' AND ended_on IS NULL) OR (outcome <> 'ongoing' AND ended_on IS NOT NULL))")]


class FeedingRow(ClinicalRow):
    pregnancy = ForeignKeyField(PregnancyRow, backref="feeding_rows")
    breastfed = BooleanField()
    started_on = DateField(null=True)
    stopped_on = DateField(null=True)
    planned_stop_on = DateField(null=True)

    class Meta:
        table_name = "feeding"
        constraints = [
            SQL("CHECK (breastfed OR (started_on IS NULL AND stopped_on IS NULL AND planned_stop_on IS NULL))"),
            SQL("CHECK (NOT breastfed OR started_on IS NOT NULL)"),
            SQL("CHECK (stopped_on IS NULL OR stopped_on >= started_on)"),
            SQL("CHECK (planned_stop_on IS NULL OR (stopped_on IS NULL AND planned_stop_on >= started_on))"),
        ]


class FractureRow(ClinicalRow):
    ref = CharField(max_length=64)
    site = CharField(max_length=16, constraints=[_one_of("site", codes.FRACTURE_SITES)])
    side = CharField(max_length=8, null=True, constraints=[_one_of("side", codes.SIDES, nullable=True)])
    identified_on = DateField()
    onset_on = DateField(null=True)
    imaging = CharField(max_length=16, constraints=[_one_of("imaging", codes.IMAGING)])
    trauma = CharField(max_length=8, constraints=[_one_of("trauma", codes.TRAUMA)])
    genant_grade = IntegerField(null=True, constraints=[_between("genant_grade", 1, 3, nullable=True)])
    pregnancy = ForeignKeyField(PregnancyRow, null=True, backref="fracture_rows")
    note = TextField(null=True)

    class Meta:
        table_name = "fracture"
        indexes = ((("patient", "ref"), True),)
        constraints = [SQL("CHECK (onset_on IS NULL OR onset_on <= identified_on)")]


class DexaScanRow(ClinicalRow):
    ref = CharField(max_length=64)
    scanned_on = DateField()
    site = CharField(max_length=16, constraints=[_one_of("site", codes.DEXA_SITES)])
    bmd = DoubleField(null=True, constraints=[_between("bmd", 0.2, 2.0, nullable=True)])
    t_score = DoubleField(null=True, constraints=[_between("t_score", -8.0, 6.0, nullable=True)])
    z_score = DoubleField(null=True, constraints=[_between("z_score", -8.0, 6.0, nullable=True)])

    class Meta:
        table_name = "dexa_scan"
        indexes = ((("patient", "ref"), True),)
        constraints = [SQL("CHECK (t_score IS NOT NULL OR z_score IS NOT NULL)")]


class BloodResultRow(ClinicalRow):
    taken_on = DateField()
    test = CharField(max_length=40, constraints=[_one_of("test", codes.BLOOD_TESTS)])
    value = DoubleField()
    unit = CharField(max_length=24, constraints=[_one_of("unit", sorted(set(codes.BLOOD_TEST_UNITS.values())))])

    class Meta:
        table_name = "blood_result"


class HeightRow(ClinicalRow):
    measured_on = DateField()
    cm = DoubleField(constraints=[_between("cm", 120, 220)])

    class Meta:
        table_name = "height"


class EpdsRow(ClinicalRow):
    assessed_on = DateField()
    score = IntegerField(constraints=[_between("score", 0, 30)])
    self_harm_item = IntegerField(constraints=[_between("self_harm_item", 0, 3)])

    class Meta:
        table_name = "epds"


class MedicationRow(ClinicalRow):
    ref = CharField(max_length=64)
    drug = CharField(max_length=24, constraints=[_one_of("drug", codes.DRUGS)])
    started_on = DateField()
    stopped_on = DateField(null=True)

    class Meta:
        table_name = "medication"
        indexes = ((("patient", "ref"), True),)
        constraints = [SQL("CHECK (stopped_on IS NULL OR stopped_on >= started_on)")]


class ReferralRow(ClinicalRow):
    ref = CharField(max_length=64)
    specialty = CharField(max_length=32, constraints=[_one_of("specialty", codes.SPECIALTIES)])
    urgency = CharField(max_length=8, constraints=[_one_of("urgency", codes.URGENCIES)])
    status = CharField(max_length=16, constraints=[_one_of("status", codes.REFERRAL_STATUSES)])
    created_on = DateField()
    sent_on = DateField(null=True)
    seen_on = DateField(null=True)
    reason = TextField(constraints=[Check("length(reason) > 0")])

    class Meta:
        table_name = "referral"
        indexes = ((("patient", "ref"), True),)
        constraints = [
            SQL("CHECK (sent_on IS NULL OR sent_on >= created_on)"),
            SQL("CHECK (status NOT IN ('sent', 'acknowledged', 'booked', 'seen') OR sent_on IS NOT NULL)"),
            SQL("CHECK (status <> 'seen' OR seen_on IS NOT NULL)"),
        ]


class DecisionRow(ClinicalRow):
    decided_on = DateField()
    plan = CharField(max_length=16, constraints=[_one_of("plan", codes.DECISION_PLANS)])
    drug = CharField(max_length=24, null=True, constraints=[_one_of("drug", codes.DRUGS, nullable=True)])
    by_name = CharField(max_length=120, constraints=[Check("length(by_name) > 0")])
    override_reason = TextField(null=True)
    review_on = DateField(null=True)
    #: the medication gate's output (JSON) the decision was made under; null when imported
    gate_output = TextField(null=True)

    class Meta:
        table_name = "decision"
        constraints = [SQL("CHECK (plan NOT IN ('start', 'stop') OR drug IS NOT NULL)")]


class AuditEntry(BaseModel):
    """Who did what to which record, with the record before and after (JSON).

    Append-only: from migration 3 the database refuses UPDATE and DELETE on this table
    (triggers on SQLite and PostgreSQL), and each entry carries `entry_hash`, SHA-256
    over its content and `previous_hash` (the hash of the entry before it by id; a fixed
    genesis value for the first), so an entry changed or removed behind the app's back
    breaks the chain (`services.audit.verify_audit_chain`, `pao-clinic audit verify`).
    Entries are written only by `services.session.AuditTrail`, which computes the hashes.
    The two hash columns are nullable here only so that migration 1 can still create the
    table; migration 3 makes the database refuse an entry without them.
    """

    at = DateTimeField(default=utc_now)
    user = ForeignKeyField(User, null=True, backref="+")
    user_name = CharField(max_length=64)
    action = CharField(max_length=32)
    record_type = CharField(max_length=32)
    record_id = IntegerField(null=True)
    patient = ForeignKeyField(Patient, null=True, backref="+")
    before = TextField(null=True)
    after = TextField(null=True)
    # --- added by migration 3 ---
    previous_hash = CharField(max_length=64, null=True)
    entry_hash = CharField(max_length=64, null=True)

    class Meta:
        table_name = "audit_entry"


#: `previous_hash` of the first audit entry: the chain starts here.
AUDIT_GENESIS_HASH = "0" * 64
#: Written into every entry's hashed content, so a later change of the serialisation can be told apart.
AUDIT_HASH_FORMAT = "pao-clinic-audit-1"


def audit_time_text(at: datetime | str) -> str:
    """An audit entry's time as hashed: ISO 8601 in UTC with microseconds (`2026-04-12T13:03:05.000123Z`).

    Accepts the time as either backend reads it back: an aware datetime (SQLite keeps
    `+00:00`), a naive one (PostgreSQL's `timestamp` column: UTC by our convention), or
    the stored text (a raw SQLite read).
    """
    if isinstance(at, str):
        at = datetime.fromisoformat(at.strip().replace(" ", "T", 1).replace("Z", "+00:00"))
    at = at.replace(tzinfo=timezone.utc) if at.tzinfo is None else at.astimezone(timezone.utc)
    return at.strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def audit_time_for_storage(at: datetime, db=None) -> datetime:
    """The value to store in `audit_entry.at` so it reads back as the same instant on every session.

    PostgreSQL's column is `timestamp` (no zone): psycopg2 sends an aware datetime as
    `timestamptz`, which the server turns into the *session's* local time, so it is given
    the UTC wall time without a zone instead.  SQLite stores the aware time's text as it is.
    """
    at = at.astimezone(timezone.utc)
    db = db if db is not None else database.obj
    return at.replace(tzinfo=None) if isinstance(db, PostgresqlDatabase) else at


def audit_entry_hash(previous_hash: str, at: datetime | str, user_id: int | None, user_name: str, action: str,
                     record_type: str, record_id: int | None, patient_id: int | None,
                     before: str | None, after: str | None) -> str:
    """SHA-256 (hex) over an entry's content and the hash of the entry before it.

    The content is serialised canonically: a JSON array, in this order, of the format
    tag, the time (`audit_time_text`), user id, user name, action, record type, record
    id, patient id, and the before and after JSON exactly as stored, then the previous
    hash.  Anyone holding an export (`audit export` gives every column) can recompute it.
    """
    content = [AUDIT_HASH_FORMAT, audit_time_text(at), user_id, user_name, action, record_type, record_id,
               patient_id, before, after, previous_hash]
    text = json.dumps(content, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


class ClinicSetting(BaseModel):
    """A clinic's own value for one threshold of `ClinicSettings` (or a flag)."""

    name = CharField(max_length=64, primary_key=True)
    value = TextField()

    class Meta:
        table_name = "clinic_setting"


# --- added by migration 2 -------------------------------------------------------

class ReferralStatusChange(BaseModel):
    """One step of a referral's status history (draft -> sent -> acknowledged ...)."""

    referral = ForeignKeyField(ReferralRow, backref="status_changes")
    status = CharField(max_length=16, constraints=[_one_of("status", codes.REFERRAL_STATUSES)])
    changed_on = DateField()
    changed_at = DateTimeField(default=utc_now)
    changed_by = ForeignKeyField(User, null=True, backref="+", index=False)

    class Meta:
        table_name = "referral_status_change"


class StoredDocument(BaseModel):
    """An issued document (e.g. a referral letter PDF) kept as immutable bytes."""

    patient = ForeignKeyField(Patient, backref="+")
    kind = CharField(max_length=32)
    title = CharField(max_length=200)
    content = BlobField()
    sha256 = CharField(max_length=64)
    created_at = DateTimeField(default=utc_now)
    created_by = ForeignKeyField(User, null=True, backref="+", index=False)

    class Meta:
        table_name = "stored_document"


SCHEMA_1_MODELS = (
    User, Patient, PatientRiskFactor, PatientHistory,
    ContraceptionRow, DentalReviewRow, PregnancyRow, FeedingRow, FractureRow, DexaScanRow,
    BloodResultRow, HeightRow, EpdsRow, MedicationRow, ReferralRow, DecisionRow,
    AuditEntry, ClinicSetting,
)
SCHEMA_2_MODELS = (ReferralStatusChange, StoredDocument)
ALL_MODELS = SCHEMA_1_MODELS + SCHEMA_2_MODELS
