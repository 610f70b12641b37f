"""NHS numbers: ten digits with a Modulus 11 check digit, and the service that issued them.

The check itself and the number ranges come from the `nhs-number` package, kept by UK
clinical informaticians for exactly this; this module adds the clinic's own words on
top of it, and two rules of its own:

- ten equal digits (`444 444 4444`) are refused although the check digit works out;
- a number in the Scottish CHI range (010 000 0000 to 311 299 9999) starts with the
  date of birth as DDMMYY, so one whose first six digits are not a real date is refused
  (`nhs-number` 2.x refuses these too; the rule is stated here so the message can say
  why, and so it holds whatever the library does).

The ranges, as `nhs-number` knows them: England, Wales and Isle of Man 400-499 and
600-799 (the first three digits); Scotland's CHI 010-311; Northern Ireland 320-399;
the Republic of Ireland's Individual Health Identifier 800-859; 900-999 never issued
to real people (the test range: the NHS Data Dictionary's own example 943 476 5919 and
the demo caseload's 999 numbers are there); 500-599 reserved and never issued; the
rest unallocated.
"""

from __future__ import annotations

from datetime import date

import nhs_number as nhs_library
from nhs_number import (
    REGION_EIRE,
    REGION_ENGLAND_WALES_IOM,
    REGION_NORTHERN_IRELAND,
    REGION_RESERVED,
    REGION_SCOTLAND,
    REGION_SYNTHETIC,
)

ENGLAND_WALES_ISLE_OF_MAN = "England, Wales and Isle of Man"
SCOTLAND = "Scotland (CHI number)"
NORTHERN_IRELAND = "Northern Ireland (Health and Care number)"
REPUBLIC_OF_IRELAND = "Republic of Ireland (Individual Health Identifier, not a UK NHS number)"
TEST_RANGE = "never issued to real people (test range)"
RESERVED_RANGE = "never issued to real people (reserved range)"
UNALLOCATED_RANGE = "never issued to real people (range not allocated to any service)"

# Which service each of the library's regions stands for; anything else is unallocated.
_SERVICES = (
    (REGION_ENGLAND_WALES_IOM, ENGLAND_WALES_ISLE_OF_MAN),
    (REGION_SCOTLAND, SCOTLAND),
    (REGION_NORTHERN_IRELAND, NORTHERN_IRELAND),
    (REGION_EIRE, REPUBLIC_OF_IRELAND),
    (REGION_SYNTHETIC, TEST_RANGE),
    (REGION_RESERVED, RESERVED_RANGE),
)
_NEVER_ISSUED = frozenset({TEST_RANGE, RESERVED_RANGE, UNALLOCATED_RANGE})


def nhs_number_problem(text: str) -> str | None:
    """Why `text` is not a valid NHS number, in words a nurse understands; None if valid.

    Spaces are allowed on input (`943 476 5919`).  A valid number may still be one never
    issued to a real person: see `never_issued_warning`.
    """
    if not isinstance(text, str):
        return "must be a string of 10 digits"
    digits = text.replace(" ", "")
    if not digits:
        return "is empty"
    if not digits.isascii() or not digits.isdigit():
        return f"'{text}' must contain only digits (spaces allowed)"
    if len(digits) != 10:
        return f"'{text}' has {len(digits)} digits; an NHS number has 10"
    if len(set(digits)) == 1:
        return f"'{text}' is not a real NHS number (all ten digits are the same)"
    if REGION_SCOTLAND.contains_number(digits) and not _is_ddmmyy(digits[:6]):
        return (
            f"'{text}' is not a valid NHS number (it is in the Scottish CHI range, whose first six "
            f"digits are the date of birth as DDMMYY, and {digits[0:2]}/{digits[2:4]}/{digits[4:6]} "
            f"is not a real date)"
        )
    if nhs_library.is_valid(digits):
        return None
    check_digit = nhs_library.calculate_checksum(digits[:9])
    if check_digit == 10:
        return f"'{text}' is not a valid NHS number (no valid check digit exists for its first nine digits)"
    if check_digit != int(digits[9]):
        return f"'{text}' is not a valid NHS number (the check digit does not match; please re-check the number)"
    # The library refused it for a reason of its own (a rule added after 2.2).
    return f"'{text}' is not a valid NHS number"


def issuing_service(nhs_number: str) -> str:
    """The service that issues numbers in the range of `nhs_number` (ten digits, spaces allowed).

    One of `ENGLAND_WALES_ISLE_OF_MAN`, `SCOTLAND`, `NORTHERN_IRELAND`,
    `REPUBLIC_OF_IRELAND`, or, for numbers no service issues to a person, `TEST_RANGE`,
    `RESERVED_RANGE`, `UNALLOCATED_RANGE`.  The range says nothing about the check
    digit: ask `nhs_number_problem` first.
    """
    digits = _ten_digits(nhs_number)
    for region, service in _SERVICES:
        if region.contains_number(digits):
            return service
    return UNALLOCATED_RANGE


def is_never_issued(nhs_number: str) -> bool:
    """True when no service issues numbers in this range to real people.

    The test range 900 000 0000 to 999 999 9999 (the demo caseload's 999 numbers and
    the example 943 476 5919 are there), the reserved 5 range and the unallocated ranges.
    """
    return issuing_service(nhs_number) in _NEVER_ISSUED


def never_issued_warning(nhs_number: str) -> str | None:
    """The warning a real caseload shows when a valid number was never issued to a real person.

    None when the number is one a service issues (or is not a valid NHS number at all:
    `nhs_number_problem` says why).
    """
    if nhs_number_problem(nhs_number) is not None or not is_never_issued(nhs_number):
        return None
    formatted = format_nhs_number(normalise_nhs_number(nhs_number))
    return (
        f"NHS number {formatted} is {issuing_service(nhs_number)}, so it cannot be this "
        f"patient's; please check it before saving"
    )


def normalise_nhs_number(text: str) -> str:
    """The ten digits without spaces (call only after nhs_number_problem returned None)."""
    return text.replace(" ", "")


def format_nhs_number(digits: str) -> str:
    """Shown as `943 476 5919`."""
    if len(digits) != 10:
        return digits
    return f"{digits[:3]} {digits[3:6]} {digits[6:]}"


def _ten_digits(nhs_number: str) -> str:
    digits = nhs_number.replace(" ", "") if isinstance(nhs_number, str) else ""
    if len(digits) != 10 or not digits.isascii() or not digits.isdigit():
        raise ValueError(f"NHS number {nhs_number!r} must be ten digits (spaces allowed)")
    return digits


def _is_ddmmyy(six_digits: str) -> bool:
    """Whether DDMMYY is a real date of birth.

    The century is not written; every year but 00 is a leap year in both centuries or in
    neither, and 29/02/00 counts (2000 was a leap year), as it does for `nhs-number`.
    """
    day, month, year = int(six_digits[0:2]), int(six_digits[2:4]), 2000 + int(six_digits[4:6])
    try:
        date(year, month, day)
    except ValueError:
        return False
    return True
