"""`make bench` still works: the bench code at 50 demo patients, and its results file (no timing assertions)."""

from __future__ import annotations

import json

import pytest

import bench.__main__ as bench_main
from bench.clinics import Databases
from bench.results import RESULT_KEYS, result
from bench.targets import METRICS, TARGETS

ISSUE_METRICS = {"startup_to_caseload", "filter_keystroke", "open_record", "open_record_draw", "gate_check",
                 "worklist", "import", "export", "cli_start", "peak_rss_window", "letter_pdf", "form_keystroke"}


def test_the_targets_table_names_every_metric_of_the_issue():
    assert set(METRICS) == ISSUE_METRICS


@pytest.mark.parametrize("metric, case, size, value, floor, queries, met", [
    ("import", None, 10_000, 2_500.0, 3_000.0, None, True),     # fast enough, 1.2x the floor
    ("import", None, 10_000, 2_500.0, 5_000.0, None, False),    # fast enough, but 2x the floor
    ("import", None, 10_000, 1_500.0, 1_600.0, None, False),    # near its floor, under 2,000/s
    ("open_record", None, 10_000, 50.0, 5.0, 20, True),
    ("open_record", None, 10_000, 50.0, 5.0, 21, False),        # quick, but one statement too many
    ("worklist", None, 10_000, 1.6, 1.0, None, False),
    ("worklist", None, 100_000, 14.0, 1.0, None, True),         # the 100,000 column
    ("cli_start", "check", 100_000, 5.0, 0.1, None, None),      # no target at 100,000
    ("peak_rss_window", None, 10_000, 900.0, None, None, None),
    ("peak_rss_window", None, 100_000, 601.0, None, None, False),
])
def test_a_result_is_checked_against_the_target_for_its_size(metric, case, size, value, floor, queries, met):
    r = result(metric, "sqlite", size, value, case=case, floor=floor, queries=queries)
    assert r.met is met


def test_a_ratio_is_times_the_floors_cost_for_times_and_for_rates():
    assert result("worklist", "sqlite", 1_000, 3.0, floor=1.5).ratio == pytest.approx(2.0)
    assert result("import", "sqlite", 1_000, 500.0, floor=2_000.0).ratio == pytest.approx(4.0)


def _check_results(rows: list[dict], backend: str, size: int) -> None:
    for row in rows:
        assert set(RESULT_KEYS) | {"queries"} <= set(row), row
    expected = {(t.metric, t.case) for t in TARGETS if (t.metric, t.case) != ("cli_start", "--help")}
    measured = {(r["metric"], r["case"]): r for r in rows if r["backend"] == backend and r["size"] == size}
    assert set(measured) == expected
    for key, row in measured.items():
        assert row["value"] is not None, f"{key} not measured: {row['note']}"
        assert isinstance(row["value"], (int, float)) and row["value"] > 0, key
        if row["target"] is not None:
            assert isinstance(row["met"], bool), key
        if row["floor"] is not None:
            assert row["ratio"] is not None and row["ratio"] > 0, key
    assert measured[("open_record", None)]["queries"] > 0
    assert measured[("import", None)]["queries"] > 0  # counted across the whole import
    assert measured[("form_keystroke", None)]["value"] > 0
    assert "worked_out_after_s" in measured[("startup_to_caseload", None)]["extra"]


def test_the_bench_runs_at_50_patients_on_sqlite_and_writes_every_metric(tmp_path, monkeypatch):
    folders = []

    class RecordedDatabases(Databases):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            folders.append(self.folder)

    monkeypatch.setattr(bench_main, "Databases", RecordedDatabases)
    results_file = tmp_path / "results.json"
    status = bench_main.main(["--sizes", "50", "--backends", "sqlite", "--results", str(results_file)])

    rows = json.loads(results_file.read_text(encoding="utf-8"))
    _check_results(rows, "sqlite", 50)
    help_rows = [r for r in rows if r["metric"] == "cli_start" and r["case"] == "--help"]
    assert len(help_rows) == 1 and help_rows[0]["backend"] is None and help_rows[0]["value"] > 0
    assert {r["metric"] for r in rows} == ISSUE_METRICS
    assert status == (1 if any(r["met"] is False for r in rows) else 0)
    assert folders and not any(folder.exists() for folder in folders)  # its temporary databases are gone


def test_the_bench_runs_at_50_patients_on_postgresql_and_drops_its_databases(postgres_server):
    databases = Databases(server=postgres_server)
    results = bench_main.run((50,), ("postgresql",), databases)

    _check_results([r.as_json() for r in results], "postgresql", 50)
    assert not databases.folder.exists()
    import psycopg2

    conn = psycopg2.connect(dbname="postgres", user="postgres", host="127.0.0.1", port=postgres_server.port)
    try:
        with conn.cursor() as cursor:
            cursor.execute("SELECT datname FROM pg_database "
                           "WHERE datname LIKE 'pao\\_bench\\_%' OR datname LIKE 'pao\\_floor\\_%'")
            assert cursor.fetchall() == []
    finally:
        conn.close()
