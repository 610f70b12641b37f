"""The clinic's own details that letters print: its letterhead and its referral address book.

Both are `clinic_setting` rows, read by `services.letters` (`clinic_letterhead`,
`referral_address_book`): `letterhead_name`, `letterhead_address`, `letterhead_phone`,
`letterhead_email`, `letterhead_logo` (an image file's path), and one
`referral_address.<specialty>` per specialty whose first line is the department and
the rest its postal address.

Only an admin sets them.  Each change checks the role, validates every field (a
problem is named at its field), writes and audits the rows before and after in one
transaction (`session.clinical_write`), so a refused change leaves nothing behind.
"""

from __future__ import annotations

import re
from pathlib import Path

from pao_clinic.errors import Problem, ValidationError
from pao_clinic.letters.content import SPECIALTY_NAMES, Letterhead, ReferralAddress
from pao_clinic.record.codes import SPECIALTIES
from pao_clinic.record.limits import ADDRESS_MAX_LINES, LETTERHEAD_LINE_MAX_LENGTH, LOGO_PATH_MAX_LENGTH
from pao_clinic.record.validation import quoted, text_problem
from pao_clinic.services.letters import ADDRESS_BOOK_PREFIX, LETTERHEAD_SETTINGS
from pao_clinic.services.session import ADMIN_ROLES, Actor, clinical_write
from pao_clinic.storage.models import ClinicSetting

LETTERHEAD_ROWS = tuple(LETTERHEAD_SETTINGS)

_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_PHONE = re.compile(r"^\+?[0-9 ()\-]+$")
_IMAGE_SIGNATURES = (b"\x89PNG\r\n\x1a\n", b"\xff\xd8\xff")   # PNG, JPEG
MAX_LINE = LETTERHEAD_LINE_MAX_LENGTH


def address_lines(text: str | None) -> list[str]:
    """An address as lines: given with newlines, or on one line with commas between its lines."""
    text = (text or "").strip() if isinstance(text, str) else ""
    lines = text.splitlines() if "\n" in text else text.split(",")
    return [" ".join(line.split()) for line in lines if line.strip()]


def default_department(specialty: str) -> str:
    """The department a specialty's letters go to when the address book does not name one."""
    name = SPECIALTY_NAMES[specialty]
    return name if name.lower().endswith("service") else f"{name} department"


def _text_problems(field: str, value: str | None, what: str) -> list[Problem]:
    if value is not None and not isinstance(value, str):
        return [Problem(field, f"{what} must be text, not {type(value).__name__}")]
    if not value or not value.strip():
        return [Problem(field, f"{what} is required")]
    if len(value.strip()) > MAX_LINE:
        return [Problem(field, f"{what} is {len(value.strip()):,} characters long; at most {MAX_LINE} fit a letter")]
    problem = text_problem(field, value.strip(), MAX_LINE, what=what)  # line breaks become spaces
    return [problem] if problem is not None else []


def _address_problems(field: str, address: object, lines: list[str], what: str) -> list[Problem]:
    if address is not None and not isinstance(address, str):
        return [Problem(field, f"{what} must be text, not {type(address).__name__}")]
    if not lines:
        return [Problem(field, f"{what} is required (lines separated by commas or new lines)")]
    if len(lines) > ADDRESS_MAX_LINES:
        return [Problem(field, f"{what} has {len(lines):,} lines; at most {ADDRESS_MAX_LINES} fit the letterhead")]
    long = [line for line in lines if len(line) > MAX_LINE]
    if long:
        return [Problem(field, f"the line {quoted(long[0][:40] + '...')} is longer than {MAX_LINE} characters")]
    for line in lines:
        problem = text_problem(field, line, MAX_LINE, what=what, one_line=True)
        if problem is not None:
            return [problem]
    return []


def _logo_problems(logo: object) -> list[Problem]:
    if not isinstance(logo, str):
        return [Problem("logo", f"the logo must be the path of an image file, not {type(logo).__name__}")]
    problem = text_problem("logo", logo, LOGO_PATH_MAX_LENGTH, what="the logo's path", one_line=True)
    if problem is not None:
        return [problem]
    shown = logo  # readable and within its limit, so shown whole
    try:
        with Path(logo).open("rb") as file:
            head = file.read(8)
    except FileNotFoundError:
        return [Problem("logo", f"there is no file {shown}")]
    except IsADirectoryError:
        return [Problem("logo", f"{shown} is a folder, not an image file")]
    except OSError as exc:
        return [Problem("logo", f"cannot read {shown}: {exc.strerror or exc}")]
    except (ValueError, UnicodeError):  # a name no file can have (a character the file system cannot hold)
        return [Problem("logo", f"there is no file {shown}")]
    if not any(head.startswith(signature) for signature in _IMAGE_SIGNATURES):
        return [Problem("logo", f"{shown} is not a PNG or JPEG image")]
    return []


def _stored(names) -> dict[str, str]:
    return {row.name: row.value for row in ClinicSetting.select().where(ClinicSetting.name.in_(list(names)))}


def _write(values: dict[str, str | None]) -> None:
    """Set each row to its value; None removes the row."""
    for name, value in values.items():
        ClinicSetting.delete().where(ClinicSetting.name == name).execute()
        if value is not None:
            ClinicSetting.create(name=name, value=value)


def set_letterhead(actor: Actor, *, name: str, address: str, phone: str, email: str,
                   logo: str | None = None) -> Letterhead:
    """Set the clinic's letterhead (all of it: a letterhead without `logo` has no logo)."""
    with clinical_write(actor, ADMIN_ROLES, "Setting the clinic's letterhead") as audit:
        lines = address_lines(address)
        problems = _text_problems("name", name, "the clinic's name")
        problems += _address_problems("address", address, lines, "the clinic's address")
        phone_problems = _text_problems("phone", phone, "the clinic's telephone number")
        if not phone_problems and (not _PHONE.match(phone.strip()) or sum(c.isdigit() for c in phone) < 6):
            phone_problems.append(Problem("phone", f"'{phone.strip()}' is not a telephone number (digits, "
                                                   "spaces, +, brackets and dashes)"))
        email_problems = _text_problems("email", email, "the clinic's email address")
        if not email_problems and not _EMAIL.match(email.strip()):
            email_problems.append(Problem("email", f"'{email.strip()}' is not an email address"))
        problems += phone_problems + email_problems
        logo_problems = _logo_problems(logo) if logo else []
        problems += logo_problems
        if problems:
            raise ValidationError(problems)
        logo_path = str(Path(logo).resolve()) if logo else None
        values = {
            "letterhead_name": " ".join(name.split()),
            "letterhead_address": "\n".join(lines),
            "letterhead_phone": " ".join(phone.split()),
            "letterhead_email": email.strip(),
            "letterhead_logo": logo_path,
        }
        before = _stored(LETTERHEAD_ROWS)
        _write(values)
        audit.record("update", "clinic_setting", None, before=before or None,
                     after={k: v for k, v in values.items() if v is not None})
    return Letterhead(name=values["letterhead_name"], address=values["letterhead_address"],
                      phone=values["letterhead_phone"], email=values["letterhead_email"], logo_path=logo_path)


def set_referral_address(actor: Actor, specialty: str, address: str, *,
                         department: str | None = None) -> ReferralAddress:
    """Set where one specialty's letters go: its department (default: the specialty's department) and address."""
    with clinical_write(actor, ADMIN_ROLES, "Setting the referral address book") as audit:
        problems = []
        if specialty not in SPECIALTIES:
            problems.append(Problem("specialty", f"{quoted(str(specialty))} is not a specialty; use one of "
                                                 f"{', '.join(SPECIALTIES)}"))
        lines = address_lines(address)
        problems += _address_problems("address", address, lines, "the department's address")
        if department is not None:
            problems += _text_problems("department", department, "the department's name")
        if problems:
            raise ValidationError(problems)
        department = " ".join(department.split()) if department else default_department(specialty)
        row_name = f"{ADDRESS_BOOK_PREFIX}{specialty}"
        value = "\n".join([department, *lines])
        before = _stored([row_name])
        _write({row_name: value})
        audit.record("update", "clinic_setting", None, before=before or None, after={row_name: value})
    return ReferralAddress(department=department, address="\n".join(lines))


__all__ = ["ADDRESS_BOOK_PREFIX", "LETTERHEAD_ROWS", "address_lines", "default_department", "set_letterhead",
           "set_referral_address"]
