"""The clinic's user accounts: adding them, signing in, and who they are.

Passwords are kept only as scrypt hashes.  Every change to an account is a write like any
other: role checked, audited, in one transaction (`session`).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
from dataclasses import dataclass

from pao_clinic.record.codes import ROLES
from pao_clinic.storage.connection import write_transaction
from pao_clinic.errors import AuthenticationError, Problem, ValidationError
from pao_clinic.storage.models import User
from pao_clinic.record.validation import user_account_problems
from pao_clinic.services.session import ADMIN_ROLES, Actor, AuditTrail, require_role


@dataclass(frozen=True, slots=True)
class UserAccount:
    id: int
    name: str
    display_name: str
    role: str
    active: bool


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
