"""The audit export's CSV columns, and cells made safe to open in a spreadsheet.

Plain data and one pure function, so the command line's `--help` can list the columns
without loading the services.
"""

from __future__ import annotations

#: The export's columns, in order, with what each holds (`audit export --help` and the README say the same).
AUDIT_CSV_COLUMNS: tuple[tuple[str, str], ...] = (
    ("id", "the entry's number; the chain runs in this order"),
    ("at", "when, ISO 8601 in UTC with microseconds (2026-04-12T13:03:05.000123Z)"),
    ("user_id", "the acting user's id (empty while the first admin was being added)"),
    ("user_name", "the acting user's name"),
    ("action", "what was done (add, update, entered_in_error, open, export, sign-in, ...)"),
    ("record_type", "what kind of record (patient, fracture, decision, user, ...)"),
    ("record_id", "that record's id"),
    ("patient_id", "the patient the entry is about (empty when none)"),
    ("nhs_number", "her NHS number now"),
    ("hospital_number", "her hospital number now"),
    ("patient_name", "her name now, FAMILY, Given"),
    ("before", "the record before the change (JSON)"),
    ("after", "the record after the change (JSON)"),
    ("previous_hash", "the hash of the entry before this one"),
    ("entry_hash", "SHA-256 over this entry's content and previous_hash"),
)

#: Cells starting with one of these are opened by spreadsheets as formulas: they get a leading quote.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def spreadsheet_safe(value) -> str:
    """A cell's text that no spreadsheet runs as a formula (CSV injection): `'` before = + - @ tab CR."""
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def columns_help() -> str:
    """The columns as `--help` lists them."""
    return "columns, in order:\n" + "\n".join(f"  {name:<16} {meaning}" for name, meaning in AUDIT_CSV_COLUMNS)
