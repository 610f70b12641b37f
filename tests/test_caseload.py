"""The caseload list and the worklist read the whole clinic with a fixed number of queries."""

from __future__ import annotations

import json
from datetime import date

from pao_clinic import services
from pao_clinic.record.dates import age_on
from pao_clinic.storage.connection import counting_queries
from pao_clinic.demo import demo_caseload
from pao_clinic.exchange import read_document_text

from .conftest import DATA

TODAY = date(2026, 11, 22)


def queries_for(fn) -> int:
    with counting_queries() as counted:
        fn()
    return counted.count


def test_caseload_and_worklist_query_counts_do_not_grow_with_the_caseload(clinic):
    records = demo_caseload(60, seed=5, today=TODAY)
    services.import_records(clinic.nurse, records[:4])
    small = (queries_for(lambda: services.caseload_rows(TODAY)), queries_for(lambda: services.caseload_worklist(TODAY)))
    assert len(services.caseload_rows(TODAY)) == 4
    services.import_records(clinic.nurse, records[4:])
    large = (queries_for(lambda: services.caseload_rows(TODAY)), queries_for(lambda: services.caseload_worklist(TODAY)))
    assert len(services.caseload_rows(TODAY)) == 60
    assert large == small
    assert max(large) <= 20  # one per table, and a couple of settings reads


def test_a_caseload_row_summarises_her_record(clinic):
    text = (DATA / "gate_examples" / "example1.json").read_text(encoding="utf-8")
    services.import_records(clinic.nurse, read_document_text(text, today=TODAY))
    (row,) = services.caseload_rows(date(2025, 6, 1))
    doc = json.loads(text)["patients"][0]
    assert row.nhs_number == "943 476 5919"
    assert row.latest_delivery == date(2025, 3, 2)
    assert row.fracture_count == len(doc["fractures"]) == 2
    assert row.lowest_z == -2.6
    assert row.lactation == "breastfeeding"
    assert row.age == age_on(date.fromisoformat(doc["date_of_birth"]), date(2025, 6, 1))


def test_the_overview_gives_the_same_lines_and_tasks_as_the_two_lists_from_one_read(clinic):
    services.import_records(clinic.nurse, demo_caseload(30, seed=9, today=TODAY))
    overview = services.caseload_overview(TODAY)
    assert list(overview.rows) == services.caseload_rows(TODAY)
    assert list(overview.tasks) == services.caseload_worklist(TODAY)
    assert queries_for(lambda: services.caseload_overview(TODAY)) == queries_for(
        lambda: services.caseload_worklist(TODAY))
