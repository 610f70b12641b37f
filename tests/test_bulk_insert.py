"""storage.bulk_insert.insert_rows: the rows read back exactly as a plain INSERT stores them.

On PostgreSQL the rows go in one COPY (values in COPY's text form); a peewee INSERT of the
same values beside them is the reference, in a session whose time zone is not UTC (an
aware datetime is stored in the session's zone by an INSERT, and so must it be by COPY).
"""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone
from decimal import Decimal

import peewee
import pytest
from peewee import BooleanField, DateField, DateTimeField, DoubleField, IntegerField, Model, TextField

from pao_clinic.storage.bulk_insert import insert_rows
from pao_clinic.storage.connection import counting_queries, database, write_transaction


class BulkProbe(Model):
    words = TextField(null=True)
    number = DoubleField(null=True)
    count = IntegerField(null=True)
    flag = BooleanField(null=True)
    day = DateField(null=True)
    at = DateTimeField(null=True)
    source = TextField()

    class Meta:
        database = database
        table_name = "bulk_probe"


COLUMNS = ("words", "number", "count", "flag", "day", "at")
AWARE = datetime(2026, 7, 1, 12, 30, 15, 123456, tzinfo=timezone.utc)
ROWS = [
    ("plain", 0.812, 3, True, date(2025, 3, 12), AWARE),
    ("back\\slash\ttab\nline\rreturn \\N", -2.5, 0, False, date(2000, 1, 1), AWARE + timedelta(days=200)),
    ("\u0141ucja O\u2019Brien \u2014 caf\u00e9 \U0001F9B4", 1e-05, -7, None, None, datetime(2026, 1, 2, 3, 4, 5)),
    (None, 0.1 + 0.2, 2 ** 30, True, date(2026, 2, 28), None),
    ("", 123456789012345.6, None, False, date(1999, 12, 31), AWARE),
    ("\\", None, 1, True, None, AWARE.astimezone(timezone(timedelta(hours=-5)))),
    # not printable, and not escaped by COPY: no-break space, line separator, vertical tab, escape
    ("Ada\u00a0Okafor\u2028second line\x0bv\x1bx", 2.0, 5, False, None, None),
    ("only a back\\slash in printable text", 3.5, 6, None, None, None),
]


@pytest.fixture
def probe(clinic, backend):
    BulkProbe.create_table()
    if backend == "postgresql":  # a session in another zone: what an aware datetime becomes depends on it
        database.execute_sql("SET TIME ZONE 'America/New_York'")
    yield
    if backend == "postgresql":
        database.execute_sql("RESET TIME ZONE")
    BulkProbe.drop_table()


def stored(source: str) -> list[tuple]:
    cursor = database.execute_sql(
        f'SELECT {", ".join(COLUMNS)} FROM bulk_probe WHERE source = {database.param} ORDER BY id', (source,))
    return [tuple(row) for row in cursor.fetchall()]


def test_rows_read_back_exactly_as_a_plain_insert_stores_them(probe, backend):
    with write_transaction():
        with counting_queries() as sent:
            assert insert_rows(BulkProbe, (*COLUMNS, "source"), [(*row, "bulk") for row in ROWS]) == len(ROWS)
        for row in ROWS:
            BulkProbe.insert(dict(zip((*COLUMNS, "source"), (*row, "plain")))).execute()
    assert stored("bulk") == stored("plain")
    assert len(stored("bulk")) == len(ROWS)
    writes = [s for s in sent.statements if s.startswith(("INSERT", "COPY"))]
    assert [s.split()[0] for s in writes] == (["COPY"] if backend == "postgresql" else ["INSERT"])


@pytest.fixture
def postgres_probe(postgres_clinic):
    BulkProbe.create_table()
    yield
    BulkProbe.drop_table()


def test_on_postgresql_a_value_copy_is_not_written_for_goes_in_as_inserts(postgres_probe):
    row = ("a decimal", Decimal("1.25"), 1, True, date(2026, 1, 1), None)
    with write_transaction():
        with counting_queries() as sent:
            insert_rows(BulkProbe, (*COLUMNS, "source"), [(*row, "bulk")])
        BulkProbe.insert(dict(zip((*COLUMNS, "source"), (*row, "plain")))).execute()
    assert stored("bulk") == stored("plain") == [("a decimal", 1.25, 1, True, date(2026, 1, 1), None)]
    assert [s.split()[0] for s in sent.statements if s.startswith(("INSERT", "COPY"))] == ["INSERT"]


def test_a_row_the_database_refuses_is_its_integrity_error_and_nothing_is_kept(clinic):
    from pao_clinic.storage.models import PatientRiskFactor

    before = PatientRiskFactor.select().count()
    with pytest.raises(peewee.IntegrityError):
        with write_transaction():
            insert_rows(PatientRiskFactor, ("patient", "code"), [(10 ** 9, "smoking")])  # no such patient
    assert PatientRiskFactor.select().count() == before
