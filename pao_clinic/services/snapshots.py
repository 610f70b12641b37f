"""Loading patients' records from the database into plain values (snapshots).

`load_patient_records()` reads any number of patients with a fixed number of
queries (one per table), whatever the caseload size: the caseload window, the
worklist and export all stand on it.  Entries marked "entered in error" are left out.
"""

from __future__ import annotations

import gc
import threading
from collections import defaultdict
from contextlib import contextmanager
from dataclasses import dataclass, fields
from itertools import groupby
from datetime import date
from typing import Callable, Iterable, Iterator

from peewee import BooleanField, DateField

from pao_clinic.storage.connection import database
from pao_clinic.errors import NotFoundError
from pao_clinic.storage.models import (
    BloodResultRow, ContraceptionRow, DecisionRow, DentalReviewRow, DexaScanRow, EpdsRow,
    FeedingRow, FractureRow, HeightRow, MedicationRow, Patient, PatientHistory,
    PatientRiskFactor, PregnancyRow, ReferralRow,
)
from pao_clinic.record.nhs_number import nhs_number_problem, normalise_nhs_number
from pao_clinic.record import (
    BloodResult, Contact, Contraception, Decision, DentalReview, DexaScan, EpdsScreen, Feeding,
    Fracture, GeneralPractitioner, HeightMeasurement, Medication, PatientRecord, Pregnancy, Referral,
)


@dataclass(frozen=True, slots=True)
class ClinicalList:
    """One list of the record: its value type, its table, and how it is named."""

    name: str            # PatientRecord attribute and exchange key: "fractures"
    value_type: type
    model: type
    record_type: str     # audit and CLI word: "fracture"
    ref_prefix: str | None  # auto-assigned refs ("fx1", "fx2", ...); None: the list has no refs
    label: str           # for people: "fracture"
    value_fields: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        names = tuple(f.name for f in fields(self.value_type) if f.name not in ("id", "version"))
        object.__setattr__(self, "value_fields", names)


CLINICAL_LISTS: tuple[ClinicalList, ...] = (
    ClinicalList("contraception", Contraception, ContraceptionRow, "contraception", None, "contraception record"),
    ClinicalList("dental_reviews", DentalReview, DentalReviewRow, "dental_review", None, "dental review"),
    ClinicalList("pregnancies", Pregnancy, PregnancyRow, "pregnancy", "preg", "pregnancy"),
    ClinicalList("breastfeeding", Feeding, FeedingRow, "feeding", None, "feeding entry"),
    ClinicalList("fractures", Fracture, FractureRow, "fracture", "fx", "fracture"),
    ClinicalList("dexa", DexaScan, DexaScanRow, "dexa_scan", "dexa", "DEXA result"),
    ClinicalList("bloods", BloodResult, BloodResultRow, "blood_result", None, "blood result"),
    ClinicalList("heights", HeightMeasurement, HeightRow, "height", None, "height"),
    ClinicalList("epds", EpdsScreen, EpdsRow, "epds", None, "EPDS screen"),
    ClinicalList("medications", Medication, MedicationRow, "medication", "med", "medication"),
    ClinicalList("referrals", Referral, ReferralRow, "referral", "ref", "referral"),
    ClinicalList("decisions", Decision, DecisionRow, "decision", None, "decision"),
)
LIST_BY_TYPE = {c.value_type: c for c in CLINICAL_LISTS}
LIST_BY_RECORD_TYPE = {c.record_type: c for c in CLINICAL_LISTS}
LIST_NAMES = tuple(c.name for c in CLINICAL_LISTS)

# value field -> row column, where the names differ
_COLUMN_FOR = {"by": "by_name", "pregnancy": "pregnancy_id"}


def row_values(item, pregnancy_ids: dict[str, int]) -> dict:
    """Column values for a row from a record value (pregnancy refs become ids)."""
    clinical_list = LIST_BY_TYPE[type(item)]
    values = {}
    for name in clinical_list.value_fields:
        value = getattr(item, name)
        if name == "pregnancy":
            value = pregnancy_ids[value] if value is not None else None
        values[_COLUMN_FOR.get(name, name)] = value
    return values


class _ParsedDates(dict):
    """Text (SQLite) or date -> date, each parsed once: a caseload repeats the same few thousand dates.

    `dates[value]` is one dictionary look-up for a date seen before (no call), so the record
    makers use it for their millions of dates; None stays None, a driver's date (PostgreSQL) itself.
    """

    def __missing__(self, value):
        parsed = date.fromisoformat(value) if value.__class__ is str else value
        self[value] = parsed
        return parsed


_PARSED_DATES = _ParsedDates()
_as_date = _PARSED_DATES.__getitem__


_PAUSES = [0, False]          # callers inside `collector_paused`, and whether the collector was on before the first
_PAUSES_LOCK = threading.Lock()


@contextmanager
def collector_paused():
    """Python's cycle collector off while a caseload's values are made, back as it was after the last caller leaves.

    Reading 10,000 women makes ~300,000 values, and the collector would scan the growing heap
    again and again for cycles they never form (their references all point one way): 1.3 s ->
    0.8 s CPU to read 10,000 women.  Nothing is left uncollected: reference counting frees
    them as always, and the collector runs as usual once the last reader is done.
    Several threads may be inside at once (a count, under a lock).
    """
    with _PAUSES_LOCK:
        if _PAUSES[0] == 0:
            _PAUSES[1] = gc.isenabled()
            gc.disable()
        _PAUSES[0] += 1
    try:
        yield
    finally:
        with _PAUSES_LOCK:
            _PAUSES[0] -= 1
            if _PAUSES[0] == 0 and _PAUSES[1]:
                gc.enable()


def _as_bool(value):
    return None if value is None else bool(value)


def _converter(field):
    """How a raw driver value of this column becomes the record's value (SQLite keeps dates as text)."""
    if isinstance(field, DateField):
        return _as_date
    if isinstance(field, BooleanField):
        return _as_bool
    return None


def _selected_rows(model, columns, wanted, extra_where=None, *, between=None, limit=None) -> list[tuple]:
    """The driver's rows of `columns` (a list of tuples, values as the driver gives them).

    `wanted`: patient ids (None: all); `between`: (first, last) patient ids, both included, the rows
    then ordered by patient and id (the patient index gives them so), else by id; `limit`: rows.
    """
    query = model.select(*columns)
    patient_column = model.patient if model is not Patient else Patient.id
    if extra_where is not None:
        query = query.where(extra_where)
    if wanted is not None:
        query = query.where(patient_column.in_(wanted))
    if between is not None:
        query = query.where(patient_column.between(*between)).order_by(patient_column, model.id)
    else:  # a scan of the table in id order: nothing to sort
        query = query.order_by(model.id)
    if limit is not None:
        query = query.limit(limit)
    return database.execute(query).fetchall()


def _raw_rows(model, columns, wanted, extra_where=None, *, between=None, limit=None) -> list[list]:
    """`_selected_rows` as lists, each value converted for its column (SQLite's text dates parsed)."""
    converters = [(i, c) for i, c in enumerate(_converter(col) for col in columns) if c is not None]
    rows = []
    for raw in _selected_rows(model, columns, wanted, extra_where, between=between, limit=limit):
        raw = list(raw)
        for i, convert in converters:
            raw[i] = convert(raw[i])
        rows.append(raw)
    return rows


def _first(row):
    return row[0]


def _values_by_patient(rows: list[tuple], make: Callable, *, by_patient: bool) -> dict[int, tuple]:
    """Patient id (item 0 of each row) -> a tuple of `make(row)` for her rows, in the rows' order.

    `by_patient`: the rows come ordered by patient already; otherwise they are put so
    (a stable sort, keeping each woman's rows in the order read).
    """
    if not by_patient:
        rows.sort(key=_first)
    return {pid: tuple(map(make, group)) for pid, group in groupby(rows, _first)}


def _value_maker(value_type: type, names: tuple[str, ...], converters: dict[int, Callable]) -> Callable:
    """A function making a `value_type` from a row tuple whose item i+1 is field `names[i]` (item 0 is the patient).

    The record's values are frozen slotted dataclasses with no checks in `__init__`: the maker
    sets each slot straight from the row (4 times quicker than `value_type(**fields)`, which
    counts at hundreds of thousands of rows), converting the items named in `converters`
    (row position -> function).  Every field is set, so the value equals the one `__init__` makes.
    """
    every = {f.name for f in fields(value_type)}
    if set(names) != every:
        raise ValueError(f"{value_type.__name__}: the row gives {sorted(names)}, the value has {sorted(every)}")
    scope = {"new": object.__new__, "cls": value_type, "dates": _PARSED_DATES}
    lines = ["def make(row):", "    value = new(cls)"]
    for position, name in enumerate(names, start=1):
        scope[f"set_{name}"] = getattr(value_type, name).__set__
        item = f"row[{position}]"
        if converters.get(position) is _as_date:  # a date seen before is one dictionary look-up, not a call
            item = f"dates[{item}]"
        elif position in converters:
            scope[f"convert_{position}"] = converters[position]
            item = f"convert_{position}({item})"
        lines.append(f"    set_{name}(value, {item})")
    lines.append("    return value")
    exec("\n".join(lines), scope)  # noqa: S102  (names and positions only: no data goes into the source)
    return scope["make"]


def _live(model):
    return model.entered_in_error_at.is_null()




_PATIENT_COLUMNS = ("id", "version", "ref", "nhs_number", "hospital_number", "family_name", "given_name",
                    "date_of_birth", "address", "postcode", "phone", "email", "gp_name", "gp_practice",
                    "gp_address", "future_pregnancy_plan")


def load_patient_records(patient_ids: Iterable[int] | None = None, *,
                         lists: Iterable[str] = LIST_NAMES, risk_factors: bool = True) -> list[PatientRecord]:
    """Live records of the given patients (all live patients when None), ordered by id.

    `lists` names the clinical lists to read (the others are left empty): a caller that
    needs only some of them, like the caseload, reads less (and without `risk_factors`,
    none are read).  Queries: one for patients, two for risk factors and history, one per list read.
    """
    wanted = None if patient_ids is None else sorted(set(patient_ids))
    if wanted is not None and not wanted:
        return []
    return _load_records(wanted, lists=lists, risk_factors=risk_factors)


#: Women read at once by `patient_record_batches` (a woman's record is ~12 KB in memory: ~30 MB a batch).
#: 2,500, not 10,000: the caseload's two processes (`caseload_halves`) each hold a batch at once, and at
#: 100,000 women the window with its second process then peaks at 555 MB, not 726 MB, as soon worked out.
RECORD_BATCH = 2_500


def patient_record_batches(batch: int | None = None, *, lists: Iterable[str] = LIST_NAMES,
                           risk_factors: bool = True, after: int = 0,
                           up_to: int | None = None) -> Iterator[list[PatientRecord]]:
    """Every live patient's record, `batch` women at a time in id order, so memory stays bounded.

    Each batch is one query per table, as `load_patient_records`: a caseload of up to `batch`
    women is read with the same statements as `load_patient_records()`; 100,000 women, forty times
    as many (a fixed number per `batch` women, never one per woman).  `after` and `up_to`: only
    the women with an id above `after` and (when given) at most `up_to`.
    """
    batch = batch or RECORD_BATCH
    while True:
        records = _load_records(None, lists=lists, risk_factors=risk_factors, after=after, limit=batch,
                                up_to=up_to)
        if records:
            yield records
        if len(records) < batch:
            return
        after = records[-1].id


def _load_records(wanted: list[int] | None, *, lists: Iterable[str], risk_factors: bool,
                  after: int | None = None, limit: int | None = None, up_to: int | None = None) -> list[PatientRecord]:
    """The records of `wanted` (None: every live patient; then the first `limit` with an id above `after`,
    and at most `up_to` when given)."""
    with collector_paused():
        return _read_records(wanted, lists=lists, risk_factors=risk_factors, after=after, limit=limit, up_to=up_to)


def _read_records(wanted: list[int] | None, *, lists: Iterable[str], risk_factors: bool,
                  after: int | None, limit: int | None, up_to: int | None = None) -> list[PatientRecord]:
    lists = set(lists)
    unknown = lists - set(LIST_NAMES)
    if unknown:
        raise ValueError(f"not clinical lists: {sorted(unknown)}")
    if lists & {"breastfeeding", "fractures"}:
        lists.add("pregnancies")  # their pregnancy refs come from it

    between = None
    if after is not None:
        live = Patient.entered_in_error_at.is_null() & (Patient.id > after)
        if up_to is not None:
            live &= Patient.id <= up_to
        patients = _raw_rows(Patient, [getattr(Patient, c) for c in _PATIENT_COLUMNS], None, live, limit=limit)
        if not patients:
            return []
        if after > 0 or up_to is not None or len(patients) == limit:  # a batch of the caseload, not all of it
            between = (patients[0][0], patients[-1][0])  # ids ascending: her rows, and no one else's
    else:
        patients = _raw_rows(Patient, [getattr(Patient, c) for c in _PATIENT_COLUMNS], wanted,
                             Patient.entered_in_error_at.is_null())
    codes_of: dict[str, dict[int, list[str]]] = {}
    codes_of["risk_factors"] = {}
    for key, model in (("risk_factors", PatientRiskFactor), ("history", PatientHistory)):
        if key == "risk_factors" and not risk_factors:
            continue
        grouped: dict[int, list[str]] = defaultdict(list)
        for patient_id, code in _selected_rows(model, [model.patient, model.code], wanted, between=between):
            grouped[patient_id].append(code)
        codes_of[key] = grouped

    entries: dict[str, dict[int, list]] = {}
    pregnancy_refs: dict[int, str] = {}
    for clinical_list in CLINICAL_LISTS:  # pregnancies come before feeding and fractures
        if clinical_list.name not in lists:
            continue
        model, value_type = clinical_list.model, clinical_list.value_type
        names = ("id", "version", *clinical_list.value_fields)
        columns = [model.patient] + [getattr(model, "by_name" if n == "by" else n) for n in names]
        converters = {i: c for i, c in enumerate((_converter(column) for column in columns)) if c is not None}
        if "pregnancy" in names:
            converters[names.index("pregnancy") + 1] = lambda pid: None if pid is None else pregnancy_refs[pid]
        make = _value_maker(value_type, names, converters)
        grouped = _values_by_patient(_selected_rows(model, columns, wanted, _live(model), between=between), make,
                                     by_patient=between is not None)
        if clinical_list.name == "pregnancies":
            pregnancy_refs.update((p.id, p.ref) for group in grouped.values() for p in group)
        entries[clinical_list.name] = grouped

    no_entries: dict[int, tuple] = {}
    groups = [entries.get(name, no_entries) for name in LIST_NAMES]  # a list not read: empty for everyone
    risk_codes, history_codes = codes_of["risk_factors"], codes_of["history"]
    records = []
    for (pid, version, ref, nhs, hospital, family, given, born, address, postcode, phone, email,
         gp_name, gp_practice, gp_address, plan) in patients:
        contact = (Contact(address=address, postcode=postcode, phone=phone, email=email)
                   if address or postcode or phone or email else None)
        gp = (GeneralPractitioner(name=gp_name, practice=gp_practice, address=gp_address)
              if gp_name or gp_practice or gp_address else None)
        records.append(_make_record((
            pid, pid, version, ref, nhs, hospital, family, given, born, contact, gp,
            tuple(risk_codes.get(pid, ())), tuple(history_codes.get(pid, ())), plan,
            *[group.get(pid, ()) for group in groups])))
    return records


#: A `PatientRecord` from (patient id, then these fields in order): each slot set straight, as the
#: lists' values are (`_value_maker`), not through the frozen `__init__` (a caseload makes 100,000).
_RECORD_FIELDS = ("id", "version", "ref", "nhs_number", "hospital_number", "family_name", "given_name",
                  "date_of_birth", "contact", "gp", "risk_factors", "history", "future_pregnancy_plan", *LIST_NAMES)
_make_record = _value_maker(PatientRecord, _RECORD_FIELDS, {})


def load_patient_record(patient_id: int) -> PatientRecord:
    records = load_patient_records([patient_id])
    if not records:
        raise NotFoundError(f"no patient with id {patient_id}")
    return records[0]


def find_patient_id(identifier: str) -> int:
    """The patient with this NHS number (spaces allowed) or hospital number."""
    text = (identifier or "").strip()
    query = Patient.select(Patient.id).where(Patient.entered_in_error_at.is_null())
    if nhs_number_problem(text) is None:
        row = query.where(Patient.nhs_number == normalise_nhs_number(text)).first()
        if row is not None:
            return row.id
    row = query.where(Patient.hospital_number == text).first()
    if row is None:
        raise NotFoundError(f"no patient with NHS or hospital number '{text}'")
    return row.id


def patient_count() -> int:
    return Patient.select().where(Patient.entered_in_error_at.is_null()).count()
