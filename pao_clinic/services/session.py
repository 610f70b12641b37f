"""Who is acting, and the one way every write happens.

`clinical_write(actor, roles, what)` checks the actor's role, opens one transaction
and yields an `AuditTrail`; the caller validates and writes inside it and records
what changed.  Audit entries are written in the same transaction as the change, so
a write and its audit entry commit together or not at all.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
from contextlib import contextmanager
from dataclasses import dataclass, fields, is_dataclass
from datetime import date, datetime
from typing import Iterable, Iterator

from peewee import IntegrityError

from pao_clinic.record.codes import ROLES
from pao_clinic.storage.connection import write_transaction
from pao_clinic.errors import AuthenticationError, ConflictError, PermissionDenied, Problem, ValidationError
from pao_clinic.storage.models import AuditEntry, User
from pao_clinic.record.validation import user_account_problems
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


@dataclass(frozen=True, slots=True)
class UserAccount:
    id: int
    name: str
    display_name: str
    role: str
    active: bool


def require_role(actor: Actor | None, roles: Iterable[str], what: str) -> None:
    roles = tuple(roles)
    if actor is None:
        raise PermissionDenied(f"{what}: you must be signed in")
    if actor.role not in roles:
        allowed = " or ".join(roles)
        raise PermissionDenied(f"{what}: only a {allowed} may do this (you are signed in as {actor.role})")


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
        AuditEntry.create(
            user=self.actor.user_id,
            user_name=self.actor.name,
            action=action,
            record_type=record_type,
            record_id=record_id,
            patient=patient_id,
            before=None if before is None else json.dumps(plain_json(before), ensure_ascii=False, sort_keys=True),
            after=None if after is None else json.dumps(plain_json(after), ensure_ascii=False, sort_keys=True),
        )
        announce_change(patient_id)  # others' windows refresh (PostgreSQL NOTIFY, sent on commit)


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


# --- users -------------------------------------------------------------------

_SCRYPT_N, _SCRYPT_R, _SCRYPT_P = 2**14, 8, 1


def hash_password(password: str) -> str:
    salt = os.urandom(16)
    digest = hashlib.scrypt(password.encode(), salt=salt, n=_SCRYPT_N, r=_SCRYPT_R, p=_SCRYPT_P)
    b64 = lambda b: base64.b64encode(b).decode()  # noqa: E731
    return f"scrypt${_SCRYPT_N}${_SCRYPT_R}${_SCRYPT_P}${b64(salt)}${b64(digest)}"


def password_matches(password: str, stored: str) -> bool:
    try:
        scheme, n, r, p, salt, digest = stored.split("$")
        if scheme != "scrypt":
            return False
        expected = base64.b64decode(digest)
        got = hashlib.scrypt(password.encode(), salt=base64.b64decode(salt), n=int(n), r=int(r), p=int(p),
                             dklen=len(expected))
    except (ValueError, TypeError):
        return False
    return hmac.compare_digest(got, expected)


def _account(row: User) -> UserAccount:
    return UserAccount(id=row.id, name=row.name, display_name=row.display_name, role=row.role, active=row.active)


def user_count() -> int:
    return User.select().count()


def add_user(actor: Actor | None, name: str, *, role: str, password: str,
             display_name: str | None = None) -> UserAccount:
    """Add a user. Without an actor only while there are no users (the first admin)."""
    problems = []
    name = (name or "").strip()
    if not name:
        problems.append(Problem("name", "a user name is required"))
    elif len(name) > 64 or any(c.isspace() for c in name):
        problems.append(Problem("name", f"'{name}' must be 1 to 64 characters without spaces"))
    if role not in ROLES:
        problems.append(Problem("role", f"'{role}' is not a role; use one of {', '.join(ROLES)}"))
    if not password or len(password) < 8:
        problems.append(Problem("password", "the password must have at least 8 characters"))
    display = (display_name or name).strip()
    problems += [p for p in user_account_problems(name, display) if p.path == "display_name"]
    with write_transaction():
        bootstrapping = actor is None and User.select().count() == 0
        if bootstrapping:
            if role != "admin":
                problems.append(Problem("role", "the first user must be an admin"))
            acting = Actor(None, name or "(first user)", display, "admin")
        else:
            require_role(actor, ADMIN_ROLES, "Adding a user")
            acting = actor
        if problems:
            raise ValidationError(problems)
        if User.select().where(User.name == name).exists():
            raise ValidationError([Problem("name", f"a user called '{name}' already exists")])
        row = User.create(name=name, display_name=display, role=role, password_hash=hash_password(password))
        account = _account(row)
        AuditTrail(acting).record("add", "user", row.id, after=account)
    return account


def authenticate(name: str, password: str) -> Actor:
    """The Actor for a name and password; AuthenticationError otherwise (one message for all causes)."""
    row = User.get_or_none(User.name == (name or "").strip())
    if row is None or not password_matches(password or "", row.password_hash):
        raise AuthenticationError("user name or password not recognised")
    if not row.active:
        raise AuthenticationError(f"the account '{row.name}' is not active; ask an admin")
    return Actor(user_id=row.id, name=row.name, display_name=row.display_name, role=row.role)


def list_users() -> list[UserAccount]:
    return [_account(u) for u in User.select().order_by(User.name)]
