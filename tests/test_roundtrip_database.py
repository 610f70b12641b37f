"""Generated records survive import, export, import into an empty database, export: unchanged.

The same property as tests/test_exchange_properties.py, but through real databases
(SQLite and PostgreSQL), so column types, encodings and ordering are tested too.
"""

from __future__ import annotations

from datetime import datetime, timezone

from hypothesis import HealthCheck, given, settings

from pao_clinic import services
from pao_clinic.storage.connection import close_database
from pao_clinic.storage.opening import open_database
from pao_clinic.exchange import document_from_records

from .conftest import fresh_database_url
from .test_exchange_properties import caseloads

EXPORTED_AT = datetime(2026, 11, 22, 10, 0, tzinfo=timezone.utc)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(records=caseloads)
def test_generated_records_survive_export_import_export(backend, request, tmp_path, records):
    expected = document_from_records(records, exported_at=EXPORTED_AT)
    documents = []
    for _ in range(2):  # import into an empty database, export; then again from that export
        url, actors = fresh_database_url(backend, request, tmp_path)
        open_database(url)
        try:
            services.import_records(actors["nurse"], records)
            documents.append(services.export_document(exported_at=EXPORTED_AT))
            records = services.load_patient_records()
        finally:
            close_database()
    assert documents[0] == expected
    assert documents[1] == documents[0]
