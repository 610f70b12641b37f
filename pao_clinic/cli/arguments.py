"""What every command shares: its argument types, who is acting, and reading and writing the files it names.

Importing this module is cheap (no services, no database, no reportlab), so `pao-clinic --help`
starts fast; each command imports what it needs when it runs.
"""

from __future__ import annotations

import argparse
import getpass
import os
import re
import sys
from datetime import date
from pathlib import Path

from pao_clinic.record import codes
from pao_clinic.record.nhs_number import format_nhs_number
from pao_clinic.errors import AuthenticationError, PaoClinicError, ValidationError
from pao_clinic.environment import PASSWORD_ENV, USER_ENV


class UsageError(PaoClinicError):
    """A command-line argument that is not understood."""


class PathError(PaoClinicError):
    """A file the user named that cannot be read or written (bad input: exit 2)."""


class CommandParser(argparse.ArgumentParser):
    def error(self, message: str):  # exit 2 with our message, never a traceback
        self.print_usage(sys.stderr)
        raise UsageError(message)


_MONTH_NAMES = ("January", "February", "March", "April", "May", "June", "July", "August", "September",
                "October", "November", "December")
_ISO_DATE = re.compile(r"(\d{4})-(\d{2})-(\d{2})")


def date_argument(text: str) -> date:
    """A date written YYYY-MM-DD; a day that is not in the calendar is named as such.

    argparse puts "argument --on: " in front of the message, so it does not name the option.
    """
    match = _ISO_DATE.fullmatch(text.strip())
    if match is None:
        raise argparse.ArgumentTypeError(f"'{text}' is not a date; write it as YYYY-MM-DD")
    year, month, day = (int(part) for part in match.groups())
    if not 1 <= month <= 12:
        raise argparse.ArgumentTypeError(f"'{text}': there is no month {month}; months run from 01 to 12")
    try:
        return date(year, month, day)
    except ValueError:
        if year < 1:
            raise argparse.ArgumentTypeError(f"'{text}': there is no year 0") from None
        raise argparse.ArgumentTypeError(f"{day} {_MONTH_NAMES[month - 1]} {year} does not exist") from None


def drug_argument(text: str) -> str:
    """A drug by its code (`alendronate`) or its name as the desktop shows it (`alendronic acid`)."""
    wanted = " ".join(text.replace("_", " ").split()).casefold()
    for code, name in codes.DRUG_NAMES.items():
        if wanted in (code.replace("_", " ").casefold(), name.casefold()):
            return code
    choices = "; ".join(f"{code} ({name})" for code, name in codes.DRUG_NAMES.items())
    raise argparse.ArgumentTypeError(f"'{text}' is not a drug code or name; use one of: {choices}")


def specialty_argument(text: str) -> str:
    """A specialty by its code (`mental_health`, `mental-health`) or its name (`perinatal mental health`)."""
    from pao_clinic.letters.content import SPECIALTY_NAMES

    wanted = " ".join(text.replace("_", " ").replace("-", " ").split()).casefold()
    for code in codes.SPECIALTIES:
        if wanted in (code.replace("_", " "), SPECIALTY_NAMES[code].casefold()):
            return code
    raise argparse.ArgumentTypeError(f"'{text}' is not a specialty; use one of: {', '.join(codes.SPECIALTIES)}")



def read_password(prompt: str) -> str:
    password = os.environ.get(PASSWORD_ENV)
    if password is not None:
        return password
    if not sys.stdin or not sys.stdin.isatty():
        raise AuthenticationError(f"no password: set {PASSWORD_ENV} or run the command in a terminal")
    return getpass.getpass(prompt)


def ask_twice(prompt: str, field: str, plural: str) -> str:
    """A new secret typed twice, hidden, in the terminal; ValidationError at `field` when the two differ."""
    secret = getpass.getpass(prompt)
    if getpass.getpass("Again: ") != secret:
        raise ValidationError(f"{field}: the two {plural} differ")
    return secret


def sign_in(args):
    from pao_clinic.services import authenticate

    name = getattr(args, "user", None) or os.environ.get(USER_ENV)
    if not name:
        raise AuthenticationError(f"who is acting? give --user NAME or set {USER_ENV}")
    return authenticate(name, read_password(f"Password for {name}: "))


def path_reason(exc: OSError, path: Path) -> str:
    """Why a path the user gave cannot be used, in words."""
    if isinstance(exc, FileNotFoundError):
        return "there is no such file" if path.parent.is_dir() else "the folder does not exist"
    if isinstance(exc, IsADirectoryError):
        return "it is a folder, not a file"
    if isinstance(exc, NotADirectoryError):
        return "part of the path is a file, not a folder"
    if isinstance(exc, PermissionError):
        return "permission denied"
    words = exc.strerror or str(exc)
    return words[:1].lower() + words[1:]


def write_output(text: str | bytes, output: str | None) -> None:
    """The text (or a PDF's bytes) to FILE, whole or not at all: written aside, then moved into place;
    else to stdout."""
    if not output or output == "-":
        if isinstance(text, bytes) and hasattr(sys.stdout, "buffer"):
            sys.stdout.flush()
            sys.stdout.buffer.write(text)
        elif isinstance(text, bytes):  # a text-only stdout (a script's, a test's): the bytes are UTF-8 text
            sys.stdout.write(text.decode("utf-8"))
        else:
            sys.stdout.write(text)
        return
    path = Path(output)
    if path.is_dir():
        raise PathError(f"cannot write {output}: it is a folder, not a file")
    partial = path.with_name(f".{path.name}.{os.getpid()}.partial")
    try:
        if isinstance(text, bytes):
            with partial.open("xb") as f:
                f.write(text)
        else:
            with partial.open("x", encoding="utf-8") as f:
                f.write(text)
        os.replace(partial, path)
    except OSError as exc:
        try:
            partial.unlink(missing_ok=True)
        except OSError:
            pass
        raise PathError(f"cannot write {output}: {path_reason(exc, path)}") from None


def read_input(file: str) -> str:
    """A UTF-8 text file the user named."""
    path = Path(file)
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise PathError(f"cannot read {file}: {path_reason(exc, path)}") from None
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise PathError(f"cannot read {file}: it is not UTF-8 text (byte {exc.start} is 0x{data[exc.start]:02x}); "
                        "save it as UTF-8") from None


def patient_label(family_name: str, given_name: str, nhs_number: str | None, hospital_number: str | None) -> str:
    """Her name as NHS banners write it, with the number she is known by: `NÍ BHRIAIN, Siobhán (NHS 943 476 5919)`."""
    if nhs_number:
        number = f"NHS {format_nhs_number(nhs_number)}"
    elif hospital_number:
        number = f"hospital no. {hospital_number}"
    else:
        number = "no number"
    return f"{family_name.upper()}, {given_name} ({number})"
