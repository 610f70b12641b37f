"""Many rows into one table, fast: multi-row INSERT statements built once, through the bound database.

Peewee's `insert_many` builds its SQL value by value (most of an import's time, issue 10).
`insert_rows(model, columns, rows)` builds `INSERT INTO t (a, b) VALUES (?, ?), (?, ?), ...`
once per table and chunk size and sends each chunk's values as one flat list of
parameters, through the database's `execute_sql`: one statement per chunk of
`rows_per_statement` rows.  On PostgreSQL the rows go in one `COPY ... FROM STDIN` a call
instead (twice as fast as multi-row INSERTs; the server's own checks, constraints and
foreign keys, run as for an INSERT), each value written in COPY's text form as the
driver would send it; a call holding a value of another type falls back to the INSERTs.
Both run in the caller's transaction and `connection.counting_queries` counts them.

The rows are written as given: values must already be what the column holds (a date,
a bool, a number, text), as they are in validated record values; no peewee field
conversion runs.  `reserve_ids(model, n)` hands out `n` primary keys for rows written
with explicit ids: on SQLite the next free rowids (the caller holds the write lock,
`connection.write_transaction` begins IMMEDIATE), on PostgreSQL the table's own
sequence, so later inserts of any kind never collide with them.
"""

from __future__ import annotations

import io
import math
from collections.abc import Iterable, Sequence
from datetime import date, datetime
from functools import lru_cache
from itertools import chain, islice

import peewee
from peewee import PostgresqlDatabase

from pao_clinic.storage.connection import database, note_statement

#: SQLite allows 32,766 parameters in one statement (3.32 and later); PostgreSQL's driver
#: interpolates them itself.  A chunk stays well under both and keeps each statement small.
MAX_PARAMETERS = 16_000
MAX_ROWS_PER_STATEMENT = 1_000


def rows_per_statement(column_count: int) -> int:
    return max(1, min(MAX_ROWS_PER_STATEMENT, MAX_PARAMETERS // max(column_count, 1)))


def _quoted(columns: tuple[str, ...]) -> str:
    return ", ".join(f'"{c}"' for c in columns)


@lru_cache(maxsize=256)
def _insert_sql(table: str, columns: tuple[str, ...], row_count: int, param: str) -> str:
    one_row = "(" + ", ".join([param] * len(columns)) + ")"
    return f'INSERT INTO "{table}" ({_quoted(columns)}) VALUES ' + ", ".join([one_row] * row_count)


@lru_cache(maxsize=64)
def _copy_sql(table: str, columns: tuple[str, ...]) -> str:
    return f'COPY "{table}" ({_quoted(columns)}) FROM STDIN'


def column_names(model, fields: Sequence[str]) -> tuple[str, ...]:
    """The table's column names for these field names (a foreign key `patient` is `patient_id`)."""
    by_name = model._meta.fields
    return tuple(by_name[f].column_name if f in by_name else f for f in fields)


def insert_rows(model, columns: Sequence[str], rows: Iterable[Sequence]) -> int:
    """Insert `rows` (tuples in the order of `columns`, field names) into `model`'s table; how many.

    Chunks of `rows_per_statement(len(columns))` rows, one statement each, in the caller's
    transaction (an error leaves the transaction to be rolled back by its owner).
    """
    db = database.obj
    names = column_names(model, columns)
    table = model._meta.table_name
    if isinstance(db, PostgresqlDatabase):
        rows = list(rows)
        if not rows:
            return 0
        text = _copy_text(db, rows)
        if text is not None:
            sql = _copy_sql(table, names)
            note_statement(sql)
            with peewee.__exception_wrapper__:  # the driver's errors as peewee's (IntegrityError, ...), as execute_sql's
                db.cursor().copy_expert(sql, io.StringIO(text))
            return len(rows)
    size = rows_per_statement(len(names))
    written = 0
    iterator = iter(rows)
    while True:
        chunk = list(islice(iterator, size))
        if not chunk:
            return written
        sql = _insert_sql(table, names, len(chunk), db.param)
        db.execute_sql(sql, list(chain.from_iterable(chunk)))
        written += len(chunk)


class _NotCopyable(Exception):
    """A value COPY's text form is not written for here: the rows go as INSERTs."""


_COPY_ESCAPES = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})
_NOT_FINITE = {"nan": "NaN", "inf": "Infinity", "-inf": "-Infinity"}
_AWARE_AS_STORED: dict[tuple[datetime, str | None], str] = {}  # (aware datetime, session zone) -> its text


def _copy_text(db, rows: list[Sequence]) -> str | None:
    """The rows in COPY's text form (tab between values, a line a row, \\N for None); None if a value
    is of a type not written here.

    Each value is written as psycopg2 would send it: text escaped (backslash, tab, line
    breaks), True/False as t/f, numbers as Python writes them (the shortest text that reads
    back as the same float), a date as ISO, a naive datetime as ISO with a space.  An aware
    datetime is sent as a `timestamptz`, which the server turns into a `timestamp` column's
    value in the session's time zone; its text is asked of the server once per distinct value
    and zone (an import's rows share one moment), so the row holds exactly what the INSERT
    would have stored.
    """
    zone = db.connection().get_parameter_status("TimeZone")  # the server reports each change of it

    def field(value) -> str:
        kind = value.__class__
        if kind is str:
            # tab and line breaks are not printable: one C-speed test for the usual text with none
            if "\\" in value or not value.isprintable():
                return value.translate(_COPY_ESCAPES)
            return value
        if value is None:
            return "\\N"
        if kind is int:
            return str(value)
        if kind is bool:
            return "t" if value else "f"
        if kind is float:
            return repr(value) if math.isfinite(value) else _NOT_FINITE[repr(value)]
        if kind is date:
            return value.isoformat()
        if kind is datetime:
            if value.tzinfo is None:
                return value.isoformat(" ")
            text = _AWARE_AS_STORED.get((value, zone))
            if text is None:
                if len(_AWARE_AS_STORED) >= 1_000:
                    _AWARE_AS_STORED.clear()
                text = _AWARE_AS_STORED[value, zone] = db.execute_sql("SELECT (%s)::text", (value,)).fetchone()[0]
            return text
        raise _NotCopyable()

    try:
        return "".join(["\t".join(map(field, row)) + "\n" for row in rows])
    except _NotCopyable:
        return None


def repeated_value(value):
    """A value written on many rows, given to the driver in the form it stores (converted once, not per row).

    sqlite3 turns a date or datetime into text on every row it binds (its default adapters:
    `isoformat()`, `isoformat(" ")`); the same text is made here once.  PostgreSQL's driver
    is given the value as it is.
    """
    if isinstance(database.obj, PostgresqlDatabase):
        return value
    if isinstance(value, datetime):
        return value.isoformat(" ")
    if isinstance(value, date):
        return value.isoformat()
    return value


def reserve_ids(model, count: int) -> list[int]:
    """`count` new primary keys for `model`'s table, in increasing order (call inside the write).

    SQLite: the rowids after the highest one (tables here never use AUTOINCREMENT, and the
    write lock is held, so nobody else takes them).  PostgreSQL: `nextval` of the id's
    sequence, in one statement; ids a rolled-back import took are skipped, as with any insert.
    """
    if count <= 0:
        return []
    db = database.obj
    table = model._meta.table_name
    key = model._meta.primary_key.column_name
    if isinstance(db, PostgresqlDatabase):
        cursor = db.execute_sql(
            "SELECT nextval(pg_get_serial_sequence(%s, %s)) FROM generate_series(1, %s)",
            (f'"{table}"', key, count))
        return sorted(row[0] for row in cursor.fetchall())
    (highest,) = db.execute_sql(f'SELECT max("{key}") FROM "{table}"').fetchone()
    first = (highest or 0) + 1
    return list(range(first, first + count))
