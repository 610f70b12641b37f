"""Who is acting, and the one way every write happens.

`clinical_write(actor, roles, what)` checks the actor's role, opens one transaction
and yields an `AuditTrail`; the caller validates and writes inside it and records
what changed.  Audit entries are written in the same transaction as the change, so
a write and its audit entry commit together or not at all.

The audit trail is a hash chain (see `storage.models.AuditEntry`): each entry's hash
covers its content and the newest entry's hash before it.  Writers take turns at the
chain's end: on SQLite every write transaction is BEGIN IMMEDIATE (one writer at a
time); on PostgreSQL `AuditTrail` takes the transaction-level advisory lock
`AUDIT_CHAIN_LOCK` before it reads the newest hash, and holds it to commit.  Should
two writers ever chain onto the same entry, the unique index on `previous_hash`
refuses the second (a ConflictError: nothing saved, try again).
"""

from __future__ import annotations

import json
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass, fields, is_dataclass
from datetime import date, datetime
from typing import Iterable, Iterator

from peewee import IntegrityError, PostgresqlDatabase

from pao_clinic.storage.connection import database, write_transaction
from pao_clinic.errors import ConflictError, PermissionDenied
from pao_clinic.storage.models import (
    AUDIT_GENESIS_HASH, AuditEntry, User, audit_entry_hash, audit_time_for_storage, utc_now,
)
from pao_clinic.services.changes import LOOKS_NOT_CHANGES, announce_changes
from pao_clinic.storage.bulk_insert import insert_rows, repeated_value

CLINICAL_ROLES = ("nurse", "consultant")
PRESCRIBING_ROLES = ("consultant",)
ADMIN_ROLES = ("admin",)
#: Who may import an exchange document. Importing adds new, identifiable patients and
#: replaces nothing (a number already here is refused), so the clinical staff who look
#: after the caseload may bring patients in, and so may the admin who sets a clinic up.
IMPORT_ROLES = ADMIN_ROLES + CLINICAL_ROLES


@dataclass(frozen=True, slots=True)
class Actor:
    """The signed-in user a service acts for (`user_id` None only while bootstrapping)."""

    user_id: int | None
    name: str
    display_name: str
    role: str


def require_role(actor: Actor | None, roles: Iterable[str], what: str) -> None:
    roles = tuple(roles)
    if actor is None:
        raise PermissionDenied(f"{what}: you must be signed in")
    if actor.role not in roles:
        raise PermissionDenied(f"{what}: only {_with_article(' or '.join(roles))} may do this "
                               f"(you are signed in as {actor.role})")


def plain_json(value) -> object:
    """A record value as JSON-ready data for the audit log (db id and version left out)."""
    if is_dataclass(value):
        return {f.name: plain_json(getattr(value, f.name)) for f in fields(value)
                if f.name not in ("id", "version") and getattr(value, f.name) is not None}
    if isinstance(value, (list, tuple)):
        return [plain_json(v) for v in value]
    if isinstance(value, dict):
        return {k: plain_json(v) for k, v in value.items()}
    if isinstance(value, (date, datetime)):
        return value.isoformat()
    return value


#: The PostgreSQL advisory lock (transaction level) that serialises writers at the audit chain's end:
#: "PAOC" in ASCII, as the SQLite files' application id.
AUDIT_CHAIN_LOCK = 0x50414F43
#: Rows per INSERT statement (SQLite allows 32,766 parameters in one; an entry has 11).
_AUDIT_ROWS_PER_INSERT = 500


def newest_audit_hash() -> str:
    """The hash the next audit entry chains to (the genesis value for the first); inside a write.

    On PostgreSQL it first takes `AUDIT_CHAIN_LOCK` for the rest of the transaction, so
    no other writer can add an entry between this read and this transaction's commit.
    (Not cached: a savepoint rolled back inside the transaction could take the entries
    it wrote with it; the read is one index lookup.)
    """
    db = database.obj
    if isinstance(db, PostgresqlDatabase):
        db.execute_sql("SELECT pg_advisory_xact_lock(%s)", (AUDIT_CHAIN_LOCK,))
    row = AuditEntry.select(AuditEntry.entry_hash).order_by(AuditEntry.id.desc()).limit(1).tuples().first()
    return AUDIT_GENESIS_HASH if row is None or row[0] is None else row[0]


_AUDIT_COLUMNS = ("at", "user", "user_name", "action", "record_type", "record_id", "patient", "before", "after",
                  "previous_hash", "entry_hash")


def _insert_audit_rows(rows: list[dict]) -> None:
    """The rows in multi-row INSERTs built once (an import writes thousands of entries)."""
    if not rows:
        return
    at = repeated_value(rows[0]["at"])  # one moment for the whole write
    insert_rows(AuditEntry, _AUDIT_COLUMNS, ((at, *(row[name] for name in _AUDIT_COLUMNS[1:])) for row in rows))


def _whole_or_none(value) -> int | None:
    """An id as the database gives it back (so the hash written is the hash read)."""
    return None if value is None else int(value)


class AuditTrail:
    """Records audit entries for one write, inside its transaction."""

    def __init__(self, actor: Actor):
        self.actor = actor

    def record(self, action: str, record_type: str, record_id: int | None, *,
               patient_id: int | None = None, before=None, after=None) -> None:
        self.record_many([AuditRecord(action, record_type, record_id, patient_id, before, after)])

    def record_many(self, records: Iterable["AuditRecord"]) -> None:
        """Several entries at once, chained in the order given (an import writes thousands in one go).

        Inside the caller's write transaction; alone (outside one) it opens its own.
        """
        records = list(records)
        if not records:
            return
        db = database.obj
        outside = db is None or db.transaction_depth() == 0
        with write_transaction() if outside else nullcontext():
            at = utc_now()
            stored_at = audit_time_for_storage(at, db)
            previous = newest_audit_hash()
            rows = []
            for r in records:
                row = self._row(r, stored_at, previous)
                previous = row["entry_hash"]
                rows.append(row)
            _insert_audit_rows(rows)
            # others' windows refresh (PostgreSQL NOTIFY, sent on commit)
            announce_changes(row["patient"] for row in rows if row["action"] not in LOOKS_NOT_CHANGES)

    def _row(self, r: "AuditRecord", at: datetime, previous_hash: str) -> dict:
        row = {
            "at": at,
            "user": _whole_or_none(self.actor.user_id),
            "user_name": self.actor.name,
            "action": r.action,
            "record_type": r.record_type,
            "record_id": _whole_or_none(r.record_id),
            "patient": _whole_or_none(r.patient_id),
            "before": None if r.before is None else json.dumps(plain_json(r.before), ensure_ascii=False, sort_keys=True),
            "after": None if r.after is None else json.dumps(plain_json(r.after), ensure_ascii=False, sort_keys=True),
            "previous_hash": previous_hash,
        }
        row["entry_hash"] = audit_entry_hash(previous_hash, at, row["user"], row["user_name"], row["action"],
                                             row["record_type"], row["record_id"], row["patient"],
                                             row["before"], row["after"])
        return row


@dataclass(frozen=True, slots=True)
class AuditRecord:
    """One audit entry to write: what was done to which record, before and after."""

    action: str
    record_type: str
    record_id: int | None
    patient_id: int | None = None
    before: object = None
    after: object = None


def _still_entitled(actor: Actor, what: str) -> None:
    """The account signed in is still active and still has the role it signed in with.

    An admin's deactivation or change of role takes effect at the next write, not only at
    the next sign-in (one indexed read per write).
    """
    if actor.user_id is None:
        return  # bootstrapping the first admin, or a demo being set up
    row = (User.select(User.active, User.role).where(User.id == actor.user_id).tuples().first())
    if row is None or not row[0]:
        raise PermissionDenied(f"{what}: the account '{actor.name}' is no longer active; ask an admin")
    if row[1] != actor.role:
        raise PermissionDenied(f"{what}: the account '{actor.name}' is now {_with_article(row[1])}, not "
                               f"{_with_article(actor.role)}; sign in again")


def _with_article(role: str) -> str:
    return ("an " if role[:1] in "aeiou" else "a ") + role


@contextmanager
def clinical_write(actor: Actor | None, roles: Iterable[str], what: str) -> Iterator[AuditTrail]:
    """Role check, then one transaction holding the validation, the write and its audit.

    The transaction takes the write lock first (`write_transaction`), so two writers
    wait for each other instead of failing; a full disk or a read-only file comes out
    as a StorageError naming the database.
    """
    require_role(actor, roles, what)
    try:
        with write_transaction():
            _still_entitled(actor, what)
            yield AuditTrail(actor)
    except IntegrityError as exc:
        # validation runs first, so this is a race with another editor (or a bug)
        detail = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise ConflictError(
            f"{what}: the database refused the change because it conflicts with a record "
            f"saved at the same time ({detail}). Nothing was saved; reload and try again."
        ) from None
