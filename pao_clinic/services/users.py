"""The clinic's user accounts: adding and managing them, signing in, and who they are.

Passwords are kept only as scrypt hashes, and never written to the audit or a log.
Every change to an account is a write like any other: an admin's role checked,
validated (a problem names its field), written and audited in one transaction
(`session.clinical_write`); each change is one audit entry of record type `user`
whose `record_id` is the account's id and whose before and after are its `UserAccount`.

Signing in is audited too (record type `sign-in`): `sign-in` when it succeeds (its
`record_id` the account's id), `sign-in failed` with the name as typed (trimmed, at most
64 characters) when it does not, whatever the reason.  The failures for a name since
that name last signed in (or its password was reset, or it was reactivated) are counted
from the audit itself, so the lock-out needs no table of its own: after
`FAILURES_BEFORE_DELAY` failures in a row each next attempt must wait 2 s, then 4 s,
8 s ... at most `MAX_DELAY_SECONDS` after the latest failure.  The wait goes by the name
typed, so it says nothing about whether such an account exists; an attempt made during
the wait is refused without trying the password.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import math
import os
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

from pao_clinic.record.codes import ROLES
from pao_clinic.record.validation import readable, user_account_problems
from pao_clinic.environment import append_to_log
from pao_clinic.storage.connection import write_transaction
from pao_clinic.errors import (
    AuthenticationError, ConflictError, NotFoundError, Problem, StorageError, ValidationError,
)
from pao_clinic.storage.models import AuditEntry, ClinicSetting, User, utc_now
from pao_clinic.services.session import ADMIN_ROLES, Actor, AuditTrail, clinical_write, require_role


#: The shortest new password (adding a user, resetting a password).
MIN_PASSWORD_LENGTH = 10
#: The longest password accepted (scrypt reads all of it).
MAX_PASSWORD_LENGTH = 1024
#: Failed sign-ins in a row for one name before each next attempt must wait.
FAILURES_BEFORE_DELAY = 5
FIRST_DELAY_SECONDS = 2
MAX_DELAY_SECONDS = 5 * 60
#: The audit's record type and actions for signing in.
SIGN_IN = "sign-in"
SIGN_IN_FAILED = "sign-in failed"
#: The audit's record type for a change to an account, and its actions.
USER_RECORD = "user"
ADD, DEACTIVATE, REACTIVATE, RESET_PASSWORD, CHANGE_ROLE = (
    "add", "deactivate", "reactivate", "reset password", "change role")
#: The clinic setting for the desktop's idle lock, its default and its limits (minutes).
IDLE_LOCK_SETTING = "idle_lock_minutes"
IDLE_LOCK_DEFAULT_MINUTES = 10
IDLE_LOCK_MINUTES_RANGE = (1, 60)


@dataclass(frozen=True, slots=True)
class UserAccount:
    id: int
    name: str
    display_name: str
    role: str
    active: bool
    version: int = 1  # for a change that must not overwrite someone else's (left out of the audit)


# --- passwords ------------------------------------------------------------------------------

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
    except (ValueError, TypeError, UnicodeEncodeError):
        return False
    return hmac.compare_digest(got, expected)


_NOBODYS_HASH: list[str] = []


def _nobodys_hash() -> str:
    """A hash no password is checked against for real: an unknown name costs the same scrypt as a known one."""
    if not _NOBODYS_HASH:
        _NOBODYS_HASH.append(hash_password(base64.b64encode(os.urandom(18)).decode()))
    return _NOBODYS_HASH[0]


def password_problems(password: str | None) -> list[Problem]:
    """A new password against the rules (path `password`); the password itself is never quoted."""
    if not password or len(password) < MIN_PASSWORD_LENGTH:
        return [Problem("password", f"the password must have at least {MIN_PASSWORD_LENGTH} characters")]
    if len(password) > MAX_PASSWORD_LENGTH:
        return [Problem("password", f"the password must have at most {MAX_PASSWORD_LENGTH} characters")]
    if password != password.strip():
        return [Problem("password", "the password must not begin or end with a space")]
    return []


# --- accounts -------------------------------------------------------------------------------

def _account(row: User) -> UserAccount:
    return UserAccount(id=row.id, name=row.name, display_name=row.display_name, role=row.role, active=row.active,
                       version=row.version)


def user_count() -> int:
    return User.select().count()


def list_users() -> list[UserAccount]:
    return [_account(u) for u in User.select().order_by(User.name)]


def user_account(name: str) -> UserAccount:
    """One account by its user name; NotFoundError when there is none."""
    return _account(_user_row(name))


def _user_row(name: str) -> User:
    wanted = (name or "").strip()
    row = User.get_or_none(User.name == wanted)
    if row is None:
        raise NotFoundError(f"there is no user called '{readable(wanted)[:64]}'")
    return row


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
    problems += password_problems(password)
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
        AuditTrail(acting).record(ADD, USER_RECORD, row.id, after=account)
    return account


def _other_active_admins(row: User) -> int:
    return (User.select()
            .where(User.role == "admin", User.active == True, User.id != row.id)  # noqa: E712
            .count())


def _check_version(row: User, expected_version: int | None, what: str) -> None:
    if expected_version is not None and row.version != expected_version:
        raise ConflictError(f"{what}: someone else changed {row.name}'s account since it was shown "
                            "(nothing was saved); look at it again and try again")


def _change(actor: Actor, name: str, what: str, action: str, expected_version: int | None, apply) -> UserAccount:
    """One change to one account: admin only, checked by `apply(row)` (which returns the columns to
    set, or raises ValidationError), written with its version moved on, audited before and after."""
    with clinical_write(actor, ADMIN_ROLES, what) as audit:  # refuses an admin deactivated or moved since
        row = _user_row(name)
        _check_version(row, expected_version, what)
        before = _account(row)
        changes = apply(row)
        updated = (User.update(**changes, version=User.version + 1)
                   .where(User.id == row.id, User.version == row.version)
                   .execute())
        if updated != 1:
            raise ConflictError(f"{what}: {row.name}'s account changed while this was being saved; "
                                "nothing was saved, try again")
        after = _account(User.get_by_id(row.id))
        audit.record(action, USER_RECORD, row.id, before=before, after=after)
    return after


def deactivate_user(actor: Actor, name: str, *, expected_version: int | None = None) -> UserAccount:
    """Stop an account signing in (it is kept, with its name in the audit; reactivate_user undoes it).

    An admin may not deactivate their own account, nor the last active admin: a clinic
    with no admin left could add nobody, reset no password and change no setting.
    """
    def apply(row: User) -> dict:
        if not row.active:
            raise ValidationError([Problem("name", f"{row.name} is already inactive")])
        if row.role == "admin" and _other_active_admins(row) == 0:
            raise ValidationError([Problem("name", f"{row.name} is the last active admin; make another "
                                                   "user an admin first, or the clinic has nobody to manage it")])
        if row.id == actor.user_id:
            raise ValidationError([Problem("name", "you cannot deactivate your own account; "
                                                   "another admin must do it")])
        return {"active": False}
    return _change(actor, name, "Deactivating a user", DEACTIVATE, expected_version, apply)


def reactivate_user(actor: Actor, name: str, *, expected_version: int | None = None) -> UserAccount:
    """Let a deactivated account sign in again (with the password it had; reset it if need be)."""
    def apply(row: User) -> dict:
        if row.active:
            raise ValidationError([Problem("name", f"{row.name} is already active")])
        return {"active": True}
    return _change(actor, name, "Reactivating a user", REACTIVATE, expected_version, apply)


def reset_password(actor: Actor, name: str, password: str, *, expected_version: int | None = None) -> UserAccount:
    """Give an account a new password (audited without it); its failed sign-ins stop counting."""
    def apply(_row: User) -> dict:
        problems = password_problems(password)
        if problems:
            raise ValidationError(problems)
        return {"password_hash": hash_password(password)}
    return _change(actor, name, "Resetting a password", RESET_PASSWORD, expected_version, apply)


def change_role(actor: Actor, name: str, role: str, *, expected_version: int | None = None) -> UserAccount:
    """Make an account a nurse, consultant or admin.

    Not one's own (another admin must), and never the last active admin's: the clinic
    would be left with nobody to manage it.
    """
    def apply(row: User) -> dict:
        if role not in ROLES:
            raise ValidationError([Problem("role", f"'{role}' is not a role; use one of {', '.join(ROLES)}")])
        if row.role == role:
            raise ValidationError([Problem("role", f"{row.name} is already a{'n' if role[0] in 'aeiou' else ''} "
                                                   f"{role}")])
        if row.role == "admin" and row.active and _other_active_admins(row) == 0:
            raise ValidationError([Problem("role", f"{row.name} is the last active admin; make another user "
                                                   "an admin first, or the clinic has nobody to manage it")])
        if row.id == actor.user_id:
            raise ValidationError([Problem("name", "you cannot change your own role; another admin must do it")])
        return {"role": role}
    return _change(actor, name, "Changing a user's role", CHANGE_ROLE, expected_version, apply)


# --- signing in -----------------------------------------------------------------------------

def typed_name(name: str | None) -> str:
    """A user name as typed, as the audit keeps it: trimmed, readable, at most 64 characters."""
    return readable((name or "").strip())[:64]


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=timezone.utc)


def _failures_in_a_row(name: str) -> tuple[int, datetime | None]:
    """How many sign-ins failed for `name` since it last signed in (or its password was reset, or it was
    reactivated), and when the latest did."""
    counted_from = (AuditEntry.select(AuditEntry.id)
                    .where(AuditEntry.record_type == SIGN_IN, AuditEntry.action == SIGN_IN,
                           AuditEntry.user_name == name)
                    .order_by(AuditEntry.id.desc()).first())
    start = counted_from.id if counted_from is not None else 0
    account = User.get_or_none(User.name == name)
    if account is not None:
        fresh = (AuditEntry.select(AuditEntry.id)
                 .where(AuditEntry.record_type == USER_RECORD, AuditEntry.record_id == account.id,
                        AuditEntry.action.in_([RESET_PASSWORD, REACTIVATE]), AuditEntry.id > start)
                 .order_by(AuditEntry.id.desc()).first())
        if fresh is not None:
            start = fresh.id
    failures = (AuditEntry.select(AuditEntry.id, AuditEntry.at)
                .where(AuditEntry.record_type == SIGN_IN, AuditEntry.action == SIGN_IN_FAILED,
                       AuditEntry.user_name == name, AuditEntry.id > start)
                .order_by(AuditEntry.id.desc()))
    count = failures.count()
    latest = failures.first() if count else None
    return count, (_aware(latest.at) if latest is not None else None)


def delay_after(failures: int) -> int:
    """Seconds the next attempt waits after `failures` failed sign-ins in a row (0: none)."""
    if failures < FAILURES_BEFORE_DELAY:
        return 0
    return min(MAX_DELAY_SECONDS, FIRST_DELAY_SECONDS * 2 ** (failures - FAILURES_BEFORE_DELAY))


def sign_in_wait(name: str, *, now: datetime | None = None) -> int:
    """Whole seconds before `name` may try to sign in again (0: now); the same for any name, known or not."""
    name = typed_name(name)
    if not name:
        return 0
    failures, latest = _failures_in_a_row(name)
    delay = delay_after(failures)
    if not delay or latest is None:
        return 0
    remaining = (latest + timedelta(seconds=delay) - _aware(now or utc_now())).total_seconds()
    return max(0, math.ceil(remaining))


def wait_words(name: str, seconds: int) -> str:
    """What a refused attempt says: 'too many failed sign-ins for NAME: try again in 16 seconds'."""
    if seconds >= 120:
        minutes = math.ceil(seconds / 60)
        when = f"{minutes} minutes"
    else:
        when = f"{seconds} second{'s' if seconds != 1 else ''}"
    return f"too many failed sign-ins for {name}: try again in {when}"


def _record_sign_in(acting: Actor, action: str, record_id: int | None) -> None:
    """The sign-in's audit entry in a short write of its own.  A database that cannot be written
    (a read-only file, a full disk) cannot keep it: reading still works, so the sign-in goes on."""
    try:
        with write_transaction():
            AuditTrail(acting).record(action, SIGN_IN, record_id)
    except StorageError as exc:
        # into the log file, not on the screen: the command or window says what matters (one message)
        append_to_log(f"--- {utc_now().isoformat()} the {action} of {acting.name} could not be audited: {exc}\n")


def authenticate(name: str, password: str, *, now: datetime | None = None) -> Actor:
    """The Actor for a name and password; AuthenticationError otherwise.

    One message for a wrong name or password; every failure is audited; after
    FAILURES_BEFORE_DELAY failures in a row for a name each next attempt waits longer
    (`sign_in_wait`).  `now` is the time the attempt is made (tests move it on).
    """
    wanted, name = (name or "").strip(), typed_name(name)
    wait = sign_in_wait(name, now=now)
    if wait:
        raise AuthenticationError(wait_words(name, wait))
    row = User.get_or_none(User.name == wanted) if wanted else None
    matches = password_matches(password or "", row.password_hash if row is not None else _nobodys_hash())
    failed = Actor(None, name or "(no name)", name or "(no name)", "none")
    if row is None or not matches:
        _record_sign_in(failed, SIGN_IN_FAILED, None)
        raise AuthenticationError("user name or password not recognised")
    if not row.active:
        _record_sign_in(failed, SIGN_IN_FAILED, None)
        raise AuthenticationError(f"the account '{row.name}' is not active; ask an admin")
    actor = Actor(user_id=row.id, name=row.name, display_name=row.display_name, role=row.role)
    _record_sign_in(actor, SIGN_IN, row.id)
    return actor


# --- the desktop's idle lock ----------------------------------------------------------------

def idle_lock_minutes() -> int:
    """Minutes without input before the desktop locks its window (the clinic's setting, else the default)."""
    row = ClinicSetting.get_or_none(ClinicSetting.name == IDLE_LOCK_SETTING)
    try:
        minutes = int(row.value) if row is not None else IDLE_LOCK_DEFAULT_MINUTES
    except ValueError:
        return IDLE_LOCK_DEFAULT_MINUTES
    low, high = IDLE_LOCK_MINUTES_RANGE
    return minutes if low <= minutes <= high else IDLE_LOCK_DEFAULT_MINUTES


def set_idle_lock_minutes(actor: Actor, minutes: object) -> int:
    """Set the idle lock (admin only, audited as a clinic setting)."""
    with clinical_write(actor, ADMIN_ROLES, "Setting the idle lock") as audit:
        low, high = IDLE_LOCK_MINUTES_RANGE
        if isinstance(minutes, bool) or not isinstance(minutes, int) or not low <= minutes <= high:
            raise ValidationError([Problem("minutes", f"'{minutes}' is not a whole number of minutes from "
                                                      f"{low} to {high}")])
        old = ClinicSetting.get_or_none(ClinicSetting.name == IDLE_LOCK_SETTING)
        ClinicSetting.delete().where(ClinicSetting.name == IDLE_LOCK_SETTING).execute()
        ClinicSetting.create(name=IDLE_LOCK_SETTING, value=str(minutes))
        audit.record("update", "clinic_setting", None,
                     before={IDLE_LOCK_SETTING: old.value} if old is not None else None,
                     after={IDLE_LOCK_SETTING: str(minutes)})
    return minutes
