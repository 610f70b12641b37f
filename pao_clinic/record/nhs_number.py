"""NHS numbers: ten digits with a Modulus 11 check digit."""

from __future__ import annotations


def nhs_number_problem(text: str) -> str | None:
    """Why `text` is not a valid NHS number, in words a nurse understands; None if valid.

    Spaces are allowed on input (`943 476 5919`).
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
    total = sum(int(d) * w for d, w in zip(digits[:9], range(10, 1, -1)))
    check = 11 - total % 11
    if check == 11:
        check = 0
    if check == 10:
        return f"'{text}' is not a valid NHS number (no valid check digit exists for its first nine digits)"
    if check != int(digits[9]):
        return f"'{text}' is not a valid NHS number (the check digit does not match; please re-check the number)"
    return None


def normalise_nhs_number(text: str) -> str:
    """The ten digits without spaces (call only after nhs_number_problem returned None)."""
    return text.replace(" ", "")


def format_nhs_number(digits: str) -> str:
    """Shown as `943 476 5919`."""
    if len(digits) != 10:
        return digits
    return f"{digits[:3]} {digits[3:6]} {digits[6:]}"
