"""Writing the clinical record: patients and every clinical list.

Each write validates the whole record as it would be after the change (so rules that
join lists, such as a feeding entry's pregnancy, hold), reports only the problems the
change introduces, at the field a form shows them, and then writes and audits in one
transaction (`session.clinical_write`).
"""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import date

from pao_clinic.errors import ConflictError, NotFoundError, Problem, ValidationError
from pao_clinic.storage.models import Patient, PatientHistory, PatientRiskFactor, PregnancyRow, utc_now
from pao_clinic.record.nhs_number import normalise_nhs_number, nhs_number_problem
from pao_clinic.record import BloodResult, PatientRecord
from pao_clinic.record.limits import ENTERED_IN_ERROR_REASON_MAX_LENGTH
from pao_clinic.record.validation import patient_record_problems, quoted, standard_unit, text_problem
from pao_clinic.services.session import CLINICAL_ROLES, PRESCRIBING_ROLES, Actor, clinical_write, plain_json
from pao_clinic.services.snapshots import (
    CLINICAL_LISTS, LIST_BY_RECORD_TYPE, LIST_BY_TYPE, ClinicalList, load_patient_record, row_values,
)

_INDEXED = re.compile(r"^(?P<list>[a-z_]+)\[(?P<index>\d+)\]\.?(?P<field>.*)$")


def _today() -> date:
    return date.today()


def _new_problems(before: PatientRecord | None, after: PatientRecord, *, today: date,
                  focus: tuple[str, int] | None = None) -> list[Problem]:
    """Problems `after` has that `before` had not; the focused item's paths become field names."""
    old = {str(p) for p in patient_record_problems(before, today=today)} if before is not None else set()
    problems = []
    for problem in patient_record_problems(after, today=today):
        if str(problem) in old:
            continue
        path = problem.path
        match = _INDEXED.match(path)
        if focus and match and (match["list"], int(match["index"])) == focus:
            path = match["field"] or match["list"]
        problems.append(Problem(path, problem.message))
    return problems


def _stored_form(item):
    """The one form an entry is stored in (a blood unit's micro sign as U+00B5)."""
    if isinstance(item, BloodResult) and isinstance(item.unit, str):
        return replace(item, unit=standard_unit(item.unit))
    return item


def new_entry_problems(record: PatientRecord, item, *, today: date) -> list[Problem]:
    """What adding `item` to her record would break, named at the entry's fields."""
    clinical_list = LIST_BY_TYPE[type(item)]
    existing = getattr(record, clinical_list.name)
    after = replace(record, **{clinical_list.name: existing + (item,)})
    return _new_problems(record, after, today=today, focus=(clinical_list.name, len(existing)))


def _roles_for(clinical_list: ClinicalList) -> tuple[str, ...]:
    return PRESCRIBING_ROLES if clinical_list.name == "decisions" else CLINICAL_ROLES


# --- patients ------------------------------------------------------------------

_DEMOGRAPHIC_FIELDS = ("ref", "nhs_number", "hospital_number", "family_name", "given_name",
                       "date_of_birth", "contact", "gp", "risk_factors", "history", "future_pregnancy_plan")


def _normalised(record: PatientRecord) -> PatientRecord:
    nhs = record.nhs_number
    if nhs and nhs_number_problem(nhs) is None:
        nhs = normalise_nhs_number(nhs)
    return replace(record, nhs_number=nhs or None, hospital_number=(record.hospital_number or "").strip() or None,
                   family_name=record.family_name.strip(), given_name=record.given_name.strip())


def _identifier_problems(record: PatientRecord, *, except_id: int | None = None) -> list[Problem]:
    problems = []
    for field in ("nhs_number", "hospital_number"):
        value = getattr(record, field)
        if value:
            clash = Patient.select().where(getattr(Patient, field) == value)
            if except_id is not None:
                clash = clash.where(Patient.id != except_id)
            if clash.exists():
                problems.append(Problem(field, f"'{value}' already exists: another patient has this number"))
    return problems


def patient_columns(record: PatientRecord) -> dict:
    """Her demographic columns of the patient table."""
    contact, gp = record.contact, record.gp
    return dict(
        ref=record.ref, nhs_number=record.nhs_number, hospital_number=record.hospital_number,
        family_name=record.family_name, given_name=record.given_name, date_of_birth=record.date_of_birth,
        address=contact and contact.address, postcode=contact and contact.postcode,
        phone=contact and contact.phone, email=contact and contact.email,
        gp_name=gp and gp.name, gp_practice=gp and gp.practice, gp_address=gp and gp.address,
        future_pregnancy_plan=record.future_pregnancy_plan,
    )


def insert_patient_codes(patient_id: int, record: PatientRecord) -> None:
    """Her risk factor and history codes, for a patient who has none stored yet."""
    for model, codes in ((PatientRiskFactor, record.risk_factors), (PatientHistory, record.history)):
        if codes:
            model.insert_many([{"patient": patient_id, "code": c} for c in codes]).execute()


def _replace_patient_codes(patient_id: int, record: PatientRecord) -> None:
    for model in (PatientRiskFactor, PatientHistory):
        model.delete().where(model.patient == patient_id).execute()
    insert_patient_codes(patient_id, record)


def next_free_patient_ref(taken: set[str] | None = None) -> str:
    """The next `ptNNNNN` no patient has (nor any ref in `taken`)."""
    n = Patient.select().count() + 1
    while True:
        ref = f"pt{n:05d}"
        if (taken is None or ref not in taken) and not Patient.select().where(Patient.ref == ref).exists():
            return ref
        n += 1


def register_patient(actor: Actor, record: PatientRecord, *, today: date | None = None) -> PatientRecord:
    """Register a new patient from her demographics (clinical lists are added one by one)."""
    today = today or _today()
    with clinical_write(actor, CLINICAL_ROLES, "Registering a patient") as audit:
        record = _normalised(replace(record, **{c.name: () for c in CLINICAL_LISTS}))
        if not record.ref or Patient.select().where(Patient.ref == record.ref).exists():
            record = replace(record, ref=next_free_patient_ref())
        problems = patient_record_problems(record, today=today) + _identifier_problems(record)
        if problems:
            raise ValidationError(problems)
        row = Patient.create(**patient_columns(record))
        insert_patient_codes(row.id, record)
        saved = load_patient_record(row.id)
        audit.record("register", "patient", row.id, patient_id=row.id, after=_demographics(saved))
    return saved


def _demographics(record: PatientRecord) -> dict:
    return {name: getattr(record, name) for name in _DEMOGRAPHIC_FIELDS}


def update_patient(actor: Actor, patient_id: int, *, expected_version: int, today: date | None = None,
                   **changes) -> PatientRecord:
    """Change demographics, risk factors, history or pregnancy plan, if nobody else has since."""
    today = today or _today()
    unknown = set(changes) - set(_DEMOGRAPHIC_FIELDS) | ({"ref"} & set(changes))
    if unknown:
        raise ValidationError([Problem(name, "is not a patient detail that can be changed here") for name in sorted(unknown)])
    with clinical_write(actor, CLINICAL_ROLES, "Changing a patient's details") as audit:
        before = load_patient_record(patient_id)
        after = _normalised(replace(before, **changes))
        problems = _new_problems(before, after, today=today) + _identifier_problems(after, except_id=patient_id)
        if problems:
            raise ValidationError(problems)
        updated = (Patient.update(version=Patient.version + 1, **patient_columns(after))
                   .where((Patient.id == patient_id) & (Patient.version == expected_version)).execute())
        if updated != 1:
            raise _conflict("patient", patient_id)
        _replace_patient_codes(patient_id, after)
        saved = load_patient_record(patient_id)
        audit.record("update", "patient", patient_id, patient_id=patient_id,
                     before=_demographics(before), after=_demographics(saved))
    return saved


def _conflict(record_type: str, record_id: int) -> ConflictError:
    return ConflictError(
        f"this {record_type.replace('_', ' ')} was changed by someone else after you opened it; "
        "nothing was saved. Reload it to see their change, then make yours again."
    )


# --- clinical lists --------------------------------------------------------------

def _pregnancy_ids(patient_id: int) -> dict[str, int]:
    rows = PregnancyRow.select(PregnancyRow.id, PregnancyRow.ref).where(
        (PregnancyRow.patient == patient_id) & PregnancyRow.entered_in_error_at.is_null())
    return {r.ref: r.id for r in rows}


def _next_ref(clinical_list: ClinicalList, patient_id: int) -> str:
    model = clinical_list.model
    used = {r for (r,) in model.select(model.ref).where(model.patient == patient_id).tuples()}
    n = len(used) + 1
    while f"{clinical_list.ref_prefix}{n}" in used:
        n += 1
    return f"{clinical_list.ref_prefix}{n}"


def add_clinical_entry(actor: Actor, patient_id: int, item, *, today: date | None = None,
                       extra_columns: dict | None = None):
    """Add one entry (a Fracture, DexaScan, Feeding, ...) to her record; returns it as saved.

    An empty `ref` is given the next free one ("fx3").  `extra_columns` are stored row
    columns that are not part of the value (a decision's gate output); they are audited too.
    """
    clinical_list = LIST_BY_TYPE.get(type(item))
    if clinical_list is None:
        raise ValidationError(f"{type(item).__name__} is not a clinical record")
    today = today or _today()
    item = _stored_form(item)
    with clinical_write(actor, _roles_for(clinical_list), f"Adding a {clinical_list.label}") as trail:
        before = load_patient_record(patient_id)
        if clinical_list.ref_prefix and not getattr(item, "ref", None):
            item = replace(item, ref=_next_ref(clinical_list, patient_id))
        problems = new_entry_problems(before, item, today=today)
        if problems:
            raise ValidationError(problems)
        row = clinical_list.model.create(patient=patient_id, recorded_by=actor.user_id,
                                         **row_values(item, _pregnancy_ids(patient_id)), **(extra_columns or {}))
        saved = replace(item, id=row.id, version=1)
        trail.record("add", clinical_list.record_type, row.id, patient_id=patient_id,
                     after={**plain_json(saved), **(extra_columns or {})})
    return saved


def _database_integer(value: object) -> bool:
    """Whether `value` can be a row's id or version (a whole number a database integer holds)."""
    return isinstance(value, int) and not isinstance(value, bool) and -(2**63) <= value < 2**63


def _row_patient(clinical_list: ClinicalList, record_id: int) -> int:
    model = clinical_list.model
    if not _database_integer(record_id):
        raise NotFoundError(f"no {clinical_list.label} with id {quoted(str(record_id))}")
    row = model.get_or_none((model.id == record_id) & model.entered_in_error_at.is_null())
    if row is None:
        raise NotFoundError(f"no {clinical_list.label} with id {record_id} (it may have been marked as entered in error)")
    return row.patient_id


def update_clinical_entry(actor: Actor, item, *, expected_version: int, today: date | None = None):
    """Correct one entry (item.id names it) if nobody else changed it since `expected_version`."""
    clinical_list = LIST_BY_TYPE.get(type(item))
    if clinical_list is None or item.id is None:
        raise ValidationError("only a saved clinical record (with its id) can be corrected")
    today = today or _today()
    item = _stored_form(item)
    with clinical_write(actor, _roles_for(clinical_list), f"Correcting a {clinical_list.label}") as audit:
        patient_id = _row_patient(clinical_list, item.id)
        if not _database_integer(expected_version):
            raise _conflict(clinical_list.record_type, item.id)
        before_record = load_patient_record(patient_id)
        entries = getattr(before_record, clinical_list.name)
        index = next(i for i, e in enumerate(entries) if e.id == item.id)
        old = entries[index]
        if clinical_list.ref_prefix and getattr(item, "ref", None) != old.ref:
            raise ValidationError([Problem("ref", "a record's reference cannot be changed")])
        after = replace(before_record, **{clinical_list.name: entries[:index] + (item,) + entries[index + 1:]})
        problems = _new_problems(before_record, after, today=today, focus=(clinical_list.name, index))
        if problems:
            raise ValidationError(problems)
        model = clinical_list.model
        updated = (model.update(version=model.version + 1, **row_values(item, _pregnancy_ids(patient_id)))
                   .where((model.id == item.id) & (model.version == expected_version)).execute())
        if updated != 1:
            raise _conflict(clinical_list.record_type, item.id)
        saved = replace(item, version=expected_version + 1)
        audit.record("update", clinical_list.record_type, item.id, patient_id=patient_id, before=old, after=saved)
    return saved


def mark_entered_in_error(actor: Actor, record_type: str, record_id: int, *, expected_version: int,
                          reason: str) -> None:
    """Take an entry out of the live record, keeping it, with who, when and why."""
    clinical_list = LIST_BY_RECORD_TYPE.get(record_type) if isinstance(record_type, str) else None
    if clinical_list is None:
        raise ValidationError([Problem("record_type", f"{quoted(str(record_type))} is not a kind of clinical record")])
    with clinical_write(actor, _roles_for(clinical_list), f"Marking a {clinical_list.label} as entered in error") as audit:
        if reason is None or (isinstance(reason, str) and not reason.strip()):
            raise ValidationError([Problem("reason", "say why this entry was entered in error")])
        problem = text_problem("reason", reason, ENTERED_IN_ERROR_REASON_MAX_LENGTH, what="the reason")
        if problem is not None:
            raise ValidationError([problem])
        patient_id = _row_patient(clinical_list, record_id)
        if not _database_integer(expected_version):
            raise _conflict(clinical_list.record_type, record_id)
        record = load_patient_record(patient_id)
        entries = getattr(record, clinical_list.name)
        old = next(e for e in entries if e.id == record_id)
        if clinical_list.name == "pregnancies":
            dependants = [f"{c.label} {getattr(e, 'ref', '') or ''}".strip()
                          for c in (LIST_BY_RECORD_TYPE["feeding"], LIST_BY_RECORD_TYPE["fracture"])
                          for e in getattr(record, c.name) if e.pregnancy == old.ref]
            if dependants:
                raise ValidationError([Problem("pregnancy", "first mark what refers to this pregnancy as entered in error: "
                                               + ", ".join(dependants))])
        model = clinical_list.model
        updated = (model.update(version=model.version + 1, entered_in_error_at=utc_now(),
                                entered_in_error_by=actor.user_id, entered_in_error_reason=reason.strip())
                   .where((model.id == record_id) & (model.version == expected_version)).execute())
        if updated != 1:
            raise _conflict(clinical_list.record_type, record_id)
        audit.record("entered_in_error", clinical_list.record_type, record_id, patient_id=patient_id,
                     before=old, after={"entered_in_error_reason": reason.strip()})
