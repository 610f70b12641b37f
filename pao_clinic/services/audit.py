"""The audit trail read back: verifying its chain, the clinic-wide view, the CSV export, record openings.

Entries are written only by `session.AuditTrail` (append-only, hash-chained: see
`storage.models.AuditEntry`).  Here:

- `verify_audit_chain()` walks every entry in order of id, a chunk at a time (memory
  stays flat at any size), recomputes each hash and checks each link, and reports the
  first entry altered, removed before it, or written outside PAO Clinic; then compares
  every user account with its last audited state (record type `user`), so a role or an
  account changed in SQL behind the app's back shows.
- `audit_page(AuditFilter, limit)` and `audit_entries(AuditFilter)`: entries by patient,
  user, action and a range of days (the clinic's local days), as plain values.
- `audit_csv(entries)` and `export_audit(actor, filter, deliver)`: one CSV row per entry
  (`AUDIT_CSV_COLUMNS`), safe to open in Excel; the export is itself audited, in the
  transaction that hands the text to `deliver` (a file write that fails saves no entry).
- `record_opened(actor, patient_id)`: an `open` entry each time her record is opened.
"""

from __future__ import annotations

import csv
import io
import json
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone
from typing import Callable, Iterable, Iterator

from peewee import JOIN, fn

from pao_clinic.errors import NotFoundError, Problem, ValidationError
from pao_clinic.record.audit_csv import AUDIT_CSV_COLUMNS, spreadsheet_safe
from pao_clinic.storage.models import (
    AUDIT_GENESIS_HASH, AuditEntry, Patient, User, audit_entry_hash, audit_time_for_storage, audit_time_text,
)
from pao_clinic.services.session import ADMIN_ROLES, CLINICAL_ROLES, Actor, clinical_write, require_role

#: The action of an entry saying her record was opened (in a tab of the desktop app).
OPENED = "open"
#: The action and record type of an entry saying the audit trail was exported.
EXPORTED, AUDIT_RECORD = "export", "audit_entry"
#: Who may read the clinic-wide audit, verify it and export it.
AUDIT_ROLES = ADMIN_ROLES
#: Everyone signed in may open a record; each opening is audited.
OPEN_ROLES = CLINICAL_ROLES + ADMIN_ROLES
#: The record type of an account's entries, whose `after` is the account as it then was.
USER_RECORD = "user"
#: The account columns compared with their last audited state.
AUDITED_ACCOUNT_FIELDS = ("name", "display_name", "role", "active")
#: Entries read at a time when verifying.
VERIFY_CHUNK = 5000


@dataclass(frozen=True, slots=True)
class AuditTrailEntry:
    """One audit entry with the patient it is about; `before` / `after` are the stored JSON text."""

    id: int
    at: datetime                 # aware, UTC
    user_id: int | None
    user_name: str
    action: str
    record_type: str
    record_id: int | None
    patient_id: int | None
    patient_name: str | None     # `FAMILY, Given`
    nhs_number: str | None
    hospital_number: str | None
    before_json: str | None
    after_json: str | None
    previous_hash: str | None
    entry_hash: str | None

    @property
    def before(self) -> dict | list | None:
        return None if self.before_json is None else json.loads(self.before_json)

    @property
    def after(self) -> dict | list | None:
        return None if self.after_json is None else json.loads(self.after_json)


@dataclass(frozen=True, slots=True)
class AuditFilter:
    """Which entries: every field left None matches everything; days are the clinic's local days, inclusive."""

    patient_id: int | None = None
    user_name: str | None = None
    action: str | None = None
    from_day: date | None = None
    to_day: date | None = None

    def problems(self) -> list[Problem]:
        if self.from_day is not None and self.to_day is not None and self.from_day > self.to_day:
            return [Problem("from", f"the first day ({self.from_day.isoformat()}) is after the last "
                                    f"({self.to_day.isoformat()})")]
        return []


@dataclass(frozen=True, slots=True)
class AuditPage:
    """The newest entries matching a filter (at most the limit asked), and how many match in all."""

    entries: tuple[AuditTrailEntry, ...]
    total: int

    @property
    def complete(self) -> bool:
        return len(self.entries) == self.total


@dataclass(frozen=True, slots=True)
class AuditVerification:
    """What `verify_audit_chain` found. `whole` when the chain holds and no account was changed outside the app."""

    entries: int
    newest_id: int | None
    newest_at: datetime | None
    newest_hash: str | None
    broken: str | None = None                 # the first broken link, in words
    broken_entry_id: int | None = None
    accounts_changed: tuple[str, ...] = ()   # each account whose state differs from its last audited one

    @property
    def whole(self) -> bool:
        return self.broken is None and not self.accounts_changed

    def report_lines(self) -> list[str]:
        """The result in words: a line per finding, or the one line saying the chain is whole."""
        lines = [self.broken] if self.broken else []
        lines += list(self.accounts_changed)
        if lines:
            return lines
        if self.entries == 0:
            return ["the audit chain is whole: it has no entries yet"]
        return [f"the audit chain is whole: {self.entries} entries, newest {self.newest_id} at "
                f"{_when(self.newest_at)}, hash {self.newest_hash}"]


def _when(at: datetime | None) -> str:
    return "(no time)" if at is None else at.astimezone(timezone.utc).strftime("%Y-%m-%d %H:%M:%S UTC")


def _utc(at: datetime | str) -> datetime:
    return datetime.strptime(audit_time_text(at), "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=timezone.utc)


# --- verifying ------------------------------------------------------------------------------------

_VERIFY_COLUMNS = (AuditEntry.id, AuditEntry.at, AuditEntry.user, AuditEntry.user_name, AuditEntry.action,
                   AuditEntry.record_type, AuditEntry.record_id, AuditEntry.patient, AuditEntry.before,
                   AuditEntry.after, AuditEntry.previous_hash, AuditEntry.entry_hash)


def _chunks_in_id_order(size: int) -> Iterator[list[tuple]]:
    last_id = 0
    while True:
        rows = list(AuditEntry.select(*_VERIFY_COLUMNS).where(AuditEntry.id > last_id)
                    .order_by(AuditEntry.id).limit(size).tuples())
        if not rows:
            return
        yield rows
        last_id = rows[-1][0]


class _EntryWords:
    """`audit entry 1234 (2026-04-12 13:03:05 UTC, nina.nurse, update fracture)`, written only when needed."""

    __slots__ = ("entry_id", "at", "user_name", "action", "record_type")

    def __init__(self, entry_id, at, user_name, action, record_type):
        self.entry_id, self.at, self.user_name, self.action, self.record_type = (
            entry_id, at, user_name, action, record_type)

    def __format__(self, _spec: str) -> str:
        return (f"audit entry {self.entry_id} ({_when(_utc(self.at))}, {self.user_name}, "
                f"{self.action} {self.record_type})")


def verify_audit_chain(actor: Actor | None = None, *, chunk: int = VERIFY_CHUNK) -> AuditVerification:
    """Walk the whole chain in order of id; the first broken link, and accounts changed outside the app.

    Reads only (it may run on a read-only copy).  With an actor, only an admin may; the
    command line passes the signed-in admin.
    """
    if actor is not None:
        require_role(actor, AUDIT_ROLES, "Verifying the audit trail")
    expected_previous, count = AUDIT_GENESIS_HASH, 0
    newest: tuple | None = None
    broken: str | None = None
    broken_id: int | None = None
    for rows in _chunks_in_id_order(chunk):
        for row in rows:
            (entry_id, at, user_id, user_name, action, record_type, record_id, patient_id, before, after,
             previous_hash, entry_hash) = row
            about = _EntryWords(entry_id, at, user_name, action, record_type)
            if previous_hash is None or entry_hash is None:
                broken = f"{about} has no hash: it was written outside PAO Clinic"
            elif entry_hash != audit_entry_hash(previous_hash, at, user_id, user_name, action, record_type,
                                                record_id, patient_id, before, after):
                broken = f"{about} has been altered: its hash does not match its content"
            elif previous_hash != expected_previous:
                if count == 0:
                    broken = f"{about} is the first left: the entries before it have been removed"
                else:
                    broken = (f"{about} does not follow entry {newest[0]}: an entry between them has been "
                              "removed, or the chain was rewritten from here")
            if broken is not None:
                broken_id = entry_id
                break
            expected_previous, count, newest = entry_hash, count + 1, row
        if broken is not None:
            break
    if broken is not None:
        return AuditVerification(entries=count, newest_id=None, newest_at=None, newest_hash=None,
                                 broken=broken, broken_entry_id=broken_id,
                                 accounts_changed=tuple(accounts_changed_outside_the_app()))
    return AuditVerification(
        entries=count,
        newest_id=newest[0] if newest else None,
        newest_at=_utc(newest[1]) if newest else None,
        newest_hash=newest[-1] if newest else None,
        accounts_changed=tuple(accounts_changed_outside_the_app()),
    )


def last_audited_accounts() -> dict[int, dict]:
    """Each account's state as its newest `user` entry recorded it (its `after`), by account id (one query)."""
    newest = (AuditEntry.select(fn.MAX(AuditEntry.id))
              .where((AuditEntry.record_type == USER_RECORD) & AuditEntry.after.is_null(False)
                     & AuditEntry.record_id.is_null(False))
              .group_by(AuditEntry.record_id))
    states: dict[int, dict] = {}
    for record_id, after in AuditEntry.select(AuditEntry.record_id, AuditEntry.after).where(
            AuditEntry.id.in_(newest)).tuples():
        states[record_id] = _state(after)
    return states


def accounts_changed_outside_the_app() -> list[str]:
    """A line for every account whose name, display name, role or active flag is not as last audited."""
    audited = last_audited_accounts()
    users = User.select(User.id, User.name, User.display_name, User.role, User.active).order_by(User.id)
    return [line for user in users if (line := _account_difference(user, audited.get(user.id))) is not None]


def account_changed_outside_the_app(user_id: int) -> str | None:
    """For signing in: why this account differs from its last audited state, or None when it does not (two queries)."""
    user = User.get_or_none(User.id == user_id)
    if user is None:
        return None
    newest = (AuditEntry.select(AuditEntry.after)
              .where((AuditEntry.record_type == USER_RECORD) & (AuditEntry.record_id == user_id)
                     & AuditEntry.after.is_null(False))
              .order_by(AuditEntry.id.desc()).limit(1).tuples().first())
    return _account_difference(user, None if newest is None else _state(newest[0]))


def _state(after: str) -> dict:
    try:
        state = json.loads(after)
    except ValueError:
        return {}
    return state if isinstance(state, dict) else {}


def _account_difference(user: User, state: dict | None) -> str | None:
    if state is None:
        return f"user '{user.name}' (id {user.id}) has no audit entry: the account was added outside PAO Clinic"
    now = {"name": user.name, "display_name": user.display_name, "role": user.role, "active": bool(user.active)}
    differences = [f"{field.replace('_', ' ')} is {now[field]!r} in the database but {state[field]!r} in the "
                   "audit trail" for field in AUDITED_ACCOUNT_FIELDS if field in state and state[field] != now[field]]
    if not differences:
        return None
    return f"user '{user.name}' (id {user.id}) was changed outside PAO Clinic: " + "; ".join(differences)


# --- reading --------------------------------------------------------------------------------------

def _local_midnight_utc(day: date) -> datetime:
    """The start of a local day (this computer's time zone, summer time included), as a UTC instant."""
    return datetime.combine(day, time.min).astimezone().astimezone(timezone.utc)


def _filtered(query, wanted: AuditFilter):
    if wanted.patient_id is not None:
        query = query.where(AuditEntry.patient == wanted.patient_id)
    if wanted.user_name:
        query = query.where(AuditEntry.user_name == wanted.user_name)
    if wanted.action:
        query = query.where(AuditEntry.action == wanted.action)
    if wanted.from_day is not None:
        query = query.where(AuditEntry.at >= audit_time_for_storage(_local_midnight_utc(wanted.from_day)))
    if wanted.to_day is not None:
        next_day = _local_midnight_utc(wanted.to_day + timedelta(days=1))
        query = query.where(AuditEntry.at < audit_time_for_storage(next_day))
    return query


def _entries_query(wanted: AuditFilter):
    return _filtered(
        AuditEntry.select(*_VERIFY_COLUMNS[:10], AuditEntry.previous_hash, AuditEntry.entry_hash,
                          Patient.family_name, Patient.given_name, Patient.nhs_number, Patient.hospital_number)
        .join(Patient, join_type=JOIN.LEFT_OUTER, on=(AuditEntry.patient == Patient.id)), wanted)


def _entry(row: tuple) -> AuditTrailEntry:
    (entry_id, at, user_id, user_name, action, record_type, record_id, patient_id, before, after,
     previous_hash, entry_hash, family, given, nhs_number, hospital_number) = row
    return AuditTrailEntry(
        id=entry_id, at=_utc(at), user_id=user_id, user_name=user_name, action=action, record_type=record_type,
        record_id=record_id, patient_id=patient_id,
        patient_name=f"{family.upper()}, {given}" if family is not None else None,
        nhs_number=nhs_number, hospital_number=hospital_number, before_json=before, after_json=after,
        previous_hash=previous_hash, entry_hash=entry_hash)


def _checked(wanted: AuditFilter) -> AuditFilter:
    problems = wanted.problems()
    if problems:
        raise ValidationError(problems)
    return wanted


def audit_page(actor: Actor, wanted: AuditFilter = AuditFilter(), *, limit: int = 5000) -> AuditPage:
    """The newest `limit` entries matching, newest first, and the number matching in all (two queries)."""
    require_role(actor, AUDIT_ROLES, "Reading the clinic's audit trail")
    _checked(wanted)
    total = _filtered(AuditEntry.select(), wanted).count()
    rows = _entries_query(wanted).order_by(AuditEntry.id.desc()).limit(limit).tuples()
    return AuditPage(entries=tuple(_entry(row) for row in rows), total=total)


def audit_entries(actor: Actor, wanted: AuditFilter = AuditFilter(), *, chunk: int = 5000) -> Iterator[AuditTrailEntry]:
    """Every entry matching, oldest first (by id), read a chunk at a time."""
    require_role(actor, AUDIT_ROLES, "Reading the clinic's audit trail")
    _checked(wanted)
    last_id = 0
    while True:
        rows = list(_entries_query(wanted).where(AuditEntry.id > last_id).order_by(AuditEntry.id)
                    .limit(chunk).tuples())
        if not rows:
            return
        yield from (_entry(row) for row in rows)
        last_id = rows[-1][0]


@dataclass(frozen=True, slots=True)
class AuditChoices:
    """What the audit view's filters offer: every user name and action in the trail."""

    user_names: tuple[str, ...]
    actions: tuple[str, ...]


def audit_filter_choices(actor: Actor) -> AuditChoices:
    require_role(actor, AUDIT_ROLES, "Reading the clinic's audit trail")
    names = {name for (name,) in AuditEntry.select(AuditEntry.user_name).distinct().tuples()}
    names |= {name for (name,) in User.select(User.name).tuples()}
    actions = {action for (action,) in AuditEntry.select(AuditEntry.action).distinct().tuples()}
    return AuditChoices(user_names=tuple(sorted(names, key=str.casefold)), actions=tuple(sorted(actions)))


# --- the CSV export -------------------------------------------------------------------------------

def _csv_values(entry: AuditTrailEntry) -> list:
    return [entry.id, audit_time_text(entry.at), entry.user_id, entry.user_name, entry.action, entry.record_type,
            entry.record_id, entry.patient_id, entry.nhs_number, entry.hospital_number, entry.patient_name,
            entry.before_json, entry.after_json, entry.previous_hash, entry.entry_hash]


def audit_csv(entries: Iterable[AuditTrailEntry]) -> tuple[str, int]:
    """The entries as CSV text (UTF-8 byte-order mark first, for Excel) and how many rows it has."""
    out = io.StringIO()
    out.write("\ufeff")
    writer = csv.writer(out, lineterminator="\n")  # the file is written in text mode: the platform's line ends
    writer.writerow([name for name, _ in AUDIT_CSV_COLUMNS])
    count = 0
    for entry in entries:
        writer.writerow([spreadsheet_safe(value) for value in _csv_values(entry)])
        count += 1
    return out.getvalue(), count


def export_audit(actor: Actor, wanted: AuditFilter, deliver: Callable[[str], None], *,
                 destination: str | None = None) -> int:
    """The matching entries as CSV, handed to `deliver` (e.g. a file write); the export audited. Returns the count.

    The export's own entry is written in the transaction that calls `deliver`: a
    delivery that fails leaves no entry, and an entry is never missing for a delivered file.
    """
    require_role(actor, AUDIT_ROLES, "Exporting the audit trail")
    _checked(wanted)
    if wanted.patient_id is not None and not Patient.select().where(Patient.id == wanted.patient_id).exists():
        raise NotFoundError(f"there is no patient with id {wanted.patient_id}")
    text, count = audit_csv(audit_entries(actor, wanted))
    with clinical_write(actor, AUDIT_ROLES, "Exporting the audit trail") as audit:
        details = {"entries": count, "from": wanted.from_day, "to": wanted.to_day, "user_name": wanted.user_name,
                   "action": wanted.action, "to_file": destination}
        audit.record(EXPORTED, AUDIT_RECORD, None, patient_id=wanted.patient_id,
                     after={k: v for k, v in details.items() if v is not None})
        deliver(text)
    return count


# --- opening her record ---------------------------------------------------------------------------

def record_opened(actor: Actor, patient_id: int) -> None:
    """Audit that the actor opened her record (one entry per opening; reading it again is not an opening)."""
    with clinical_write(actor, OPEN_ROLES, "Opening her record") as audit:
        if not Patient.select().where(Patient.id == patient_id).exists():
            raise NotFoundError(f"there is no patient with id {patient_id}")
        audit.record(OPENED, "patient", patient_id, patient_id=patient_id)
