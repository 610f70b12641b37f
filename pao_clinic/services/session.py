"""Who is acting, and the one way every write happens.

`clinical_write(actor, roles, what)` checks the actor's role, opens one transaction
and yields an `AuditTrail`; the caller validates and writes inside it and records
what changed.  Audit entries are written in the same transaction as the change, so
a write and its audit entry commit together or not at all.
"""

from __future__ import annotations

import json
from contextlib import contextmanager
from dataclasses import dataclass, fields, is_dataclass
from datetime import date, datetime
from typing import Iterable, Iterator

from peewee import IntegrityError

from pao_clinic.storage.connection import write_transaction
from pao_clinic.errors import ConflictError, PermissionDenied
from pao_clinic.storage.models import AuditEntry, utc_now
from pao_clinic.services.changes import announce_change

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
        allowed = " or ".join(roles)
        article = "an" if allowed[:1] in "aeiou" else "a"
        raise PermissionDenied(f"{what}: only {article} {allowed} may do this (you are signed in as {actor.role})")


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


class AuditTrail:
    """Records audit entries for one write, inside its transaction."""

    def __init__(self, actor: Actor):
        self.actor = actor

    def record(self, action: str, record_type: str, record_id: int | None, *,
               patient_id: int | None = None, before=None, after=None) -> None:
        self.record_many([AuditRecord(action, record_type, record_id, patient_id, before, after)])

    def record_many(self, records: Iterable["AuditRecord"]) -> None:
        """Several entries in one statement (an import writes one per patient)."""
        rows = [self._row(r) for r in records]
        if not rows:
            return
        AuditEntry.insert_many(rows).execute()
        for patient_id in {row["patient"] for row in rows}:
            announce_change(patient_id)  # others' windows refresh (PostgreSQL NOTIFY, sent on commit)

    def _row(self, r: "AuditRecord") -> dict:
        return {
            "at": utc_now(),
            "user": self.actor.user_id,
            "user_name": self.actor.name,
            "action": r.action,
            "record_type": r.record_type,
            "record_id": r.record_id,
            "patient": r.patient_id,
            "before": None if r.before is None else json.dumps(plain_json(r.before), ensure_ascii=False, sort_keys=True),
            "after": None if r.after is None else json.dumps(plain_json(r.after), ensure_ascii=False, sort_keys=True),
        }


@dataclass(frozen=True, slots=True)
class AuditRecord:
    """One audit entry to write: what was done to which record, before and after."""

    action: str
    record_type: str
    record_id: int | None
    patient_id: int | None = None
    before: object = None
    after: object = None


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
            yield AuditTrail(actor)
    except IntegrityError as exc:
        # validation runs first, so this is a race with another editor (or a bug)
        detail = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise ConflictError(
            f"{what}: the database refused the change because it conflicts with a record "
            f"saved at the same time ({detail}). Nothing was saved; reload and try again."
        ) from None
