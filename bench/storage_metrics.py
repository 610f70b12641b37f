"""import, export and worklist: the services against the plainest way of doing the same work."""

from __future__ import annotations

import gc
import json
import time

from bench.clinics import BenchClinic, Databases
from bench.results import Result, Timing, result, timed


def _table_rows(models) -> dict[str, tuple[list[str], list[tuple]]]:
    """Every row of every table, as read back from the bound database (columns and tuples)."""
    from pao_clinic.storage.connection import database

    rows = {}
    for model in models:
        table = model._meta.table_name
        cursor = database.execute_sql(f'SELECT * FROM "{table}"')
        columns = [d[0] for d in cursor.description]
        rows[table] = (columns, cursor.fetchall())
    return rows


def _raw_insert_seconds(databases: Databases, clinic: BenchClinic, rows: dict) -> float:
    """Write `rows` into a new empty database of the same schema the plainest way; the seconds."""
    from pao_clinic.storage.connection import connect
    from pao_clinic.storage.location import parse_database_url
    from pao_clinic.storage.migrations import upgrade_schema

    name = f"pao_floor_{clinic.size}"
    url = databases.new_url(clinic.backend, name)
    location = parse_database_url(url)
    db = connect(location, create=True)
    upgrade_schema(db, location)
    db.close()
    try:
        if clinic.backend == "sqlite":
            import sqlite3

            conn = sqlite3.connect(location.sqlite_file)
            conn.execute("PRAGMA journal_mode=wal")
            conn.execute("PRAGMA synchronous=normal")
            start = time.perf_counter()
            with conn:
                for table, (columns, values) in rows.items():
                    if values:
                        marks = ", ".join("?" * len(columns))
                        names = ", ".join(f'"{c}"' for c in columns)
                        conn.executemany(f'INSERT INTO "{table}" ({names}) VALUES ({marks})', values)
            seconds = time.perf_counter() - start
            conn.close()
        else:
            import psycopg2
            from psycopg2.extras import execute_values

            conn = psycopg2.connect(dbname=location.name, user=location.user, host=location.host, port=location.port)
            start = time.perf_counter()
            with conn, conn.cursor() as cursor:
                for table, (columns, values) in rows.items():
                    if values:
                        names = ", ".join(f'"{c}"' for c in columns)
                        execute_values(cursor, f'INSERT INTO "{table}" ({names}) VALUES %s', values, page_size=1000)
            seconds = time.perf_counter() - start
            conn.close()
    finally:
        databases.drop(clinic.backend, name)
    return seconds


def _read_seconds(records: list, today) -> float:
    """Seconds `exchange.read_document_text` takes to read and check the caseload's document (what
    `pao-clinic import` does before `import_records`; json.loads alone is a tenth of it)."""
    from datetime import datetime, timezone

    from pao_clinic.exchange import document_from_records, document_to_text, read_document_text

    text = document_to_text(document_from_records(records, exported_at=datetime.now(timezone.utc)))
    start = time.perf_counter()
    read_document_text(text, today=today)
    return time.perf_counter() - start


def measure_import(databases: Databases, clinic: BenchClinic, records: list) -> list[Result]:
    """Time services.import_records of the demo caseload, then write the same rows raw.

    The statements are counted (a fixed few a batch of 500 patients, not some a patient: on
    PostgreSQL the audit's change notices are still one a patient); the note also gives the
    time to read and check the same document, which the command line adds before the import.
    """
    from pao_clinic.services import import_records
    from pao_clinic.storage.models import ALL_MODELS

    from pao_clinic.storage.connection import counting_queries

    gc.collect()
    with counting_queries() as sent:
        start = time.perf_counter()
        ids = import_records(clinic.nurse, records)
        run = Timing(time.perf_counter() - start, sent.count, ids)
    clinic.patient_ids = run.value
    rate = len(records) / run.seconds
    floor_seconds = _raw_insert_seconds(databases, clinic, _table_rows(ALL_MODELS))
    statements = run.queries / len(records)
    notices = sum("pg_notify" in sql for sql in sent.statements)
    read_seconds = _read_seconds(records, clinic.today)
    return [result("import", clinic.backend, clinic.size, rate, floor=len(records) / floor_seconds,
                   queries=run.queries, seconds=run.seconds, floor_seconds=floor_seconds,
                   read_seconds=read_seconds, change_notices=notices,
                   note=f"{run.seconds:.2f} s, {statements:.2f} statements per patient"
                        f"{f' ({notices} of them change notices)' if notices else ''}; "
                        f"floor {floor_seconds:.2f} s; reading and checking the document first: "
                        f"{read_seconds:.2f} s")]


def measure_export(clinic: BenchClinic) -> list[Result]:
    from pao_clinic.exchange import document_to_bytes
    from pao_clinic.services import export_document

    patients = clinic.size + 1  # the demo and the heavy woman
    def export():  # what `pao-clinic export` and the window's export write to the file
        document = export_document()
        return document, document_to_bytes(document)

    run = timed(export)
    document, text = run.value
    floor = timed(lambda: json.dumps(document, separators=(",", ":"), ensure_ascii=False), count_queries=False)
    return [result("export", clinic.backend, clinic.size, patients / run.seconds, floor=patients / floor.seconds,
                   queries=run.queries, seconds=run.seconds, floor_seconds=floor.seconds,
                   note=f"{run.seconds:.2f} s for {len(text) / 1e6:.1f} MB of text")]


def measure_worklist(clinic: BenchClinic) -> list[Result]:
    from pao_clinic.services import caseload_worklist
    from pao_clinic.services.snapshots import CLINICAL_LISTS
    from pao_clinic.storage.connection import database
    from pao_clinic.storage.models import ClinicSetting, Patient, PatientHistory, PatientRiskFactor

    run = timed(lambda: caseload_worklist(clinic.today))
    tables = [m._meta.table_name for m in (Patient, PatientRiskFactor, PatientHistory, ClinicSetting)]
    tables += [c.model._meta.table_name for c in CLINICAL_LISTS]
    floor = timed(lambda: [database.execute_sql(f'SELECT * FROM "{t}"').fetchall() for t in tables],
                  count_queries=False)
    return [result("worklist", clinic.backend, clinic.size, run.seconds, floor=floor.seconds, queries=run.queries,
                   tasks=len(run.value))]
