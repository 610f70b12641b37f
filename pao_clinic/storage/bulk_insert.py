"""Many rows into one table, fast: multi-row INSERT statements built once, through the bound database.

Peewee's `insert_many` builds its SQL value by value (most of an import's time, issue 10).
`insert_rows(model, columns, rows)` builds `INSERT INTO t (a, b) VALUES (?, ?), (?, ?), ...`
once per table and chunk size and sends each chunk's values as one flat list of
parameters.  Every statement goes through the database's `execute_sql`, so it runs in
the caller's transaction and `connection.counting_queries` counts it: one statement per
chunk of `rows_per_statement` rows (on PostgreSQL one round trip each).

The rows are written as given: values must already be what the column holds (a date,
a bool, a number, text), as they are in validated record values; no peewee field
conversion runs.  `reserve_ids(model, n)` hands out `n` primary keys for rows written
with explicit ids: on SQLite the next free rowids (the caller holds the write lock,
`connection.write_transaction` begins IMMEDIATE), on PostgreSQL the table's own
sequence, so later inserts of any kind never collide with them.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date, datetime
from functools import lru_cache
from itertools import chain, islice

from peewee import PostgresqlDatabase

from pao_clinic.storage.connection import database

#: SQLite allows 32,766 parameters in one statement (3.32 and later); PostgreSQL's driver
#: interpolates them itself.  A chunk stays well under both and keeps each statement small.
MAX_PARAMETERS = 16_000
MAX_ROWS_PER_STATEMENT = 1_000


def rows_per_statement(column_count: int) -> int:
    return max(1, min(MAX_ROWS_PER_STATEMENT, MAX_PARAMETERS // max(column_count, 1)))


@lru_cache(maxsize=256)
def _insert_sql(table: str, columns: tuple[str, ...], row_count: int, param: str) -> str:
    names = ", ".join(f'"{c}"' for c in columns)
    one_row = "(" + ", ".join([param] * len(columns)) + ")"
    return f'INSERT INTO "{table}" ({names}) VALUES ' + ", ".join([one_row] * row_count)


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
