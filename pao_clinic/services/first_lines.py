"""The caseload's first lines, read from a plain SQLite file while its quick_check runs.

Opening a large caseload waits for `PRAGMA quick_check` (a second or so at 100,000 women:
`storage.file_check`), and only then did the window read the first lines (another second).
`FirstLinesUnderWay` reads them meanwhile, on a thread and read-only connection of its own
(SQLite lets the two reads run side by side), so the window has them the moment she has
signed in.  What makes it safe:

- nothing read early is given out unless the same file's check found it whole (`lines()`
  asks the check, which `open_database` has judged by then);
- the lines and the file's schema version are read in one snapshot, and lines read from a
  schema other than the one this program writes (a file opening will migrate) are dropped;
- the lines are the same provisional, not-worked-out lines `caseload_first_rows` gives for
  the same day (one query and one line maker for both), and the full refresh replaces them
  as it always does.  Anything that goes wrong early (a locked or damaged file, another
  day) gives None, and the window reads the first lines the usual way.
"""

from __future__ import annotations

import threading
from datetime import date

from pao_clinic.services.caseload import CaseloadRow, caseload_first_rows, first_lines_of, first_lines_query
from pao_clinic.storage.file_check import QuickCheck, read_only_connection


class FirstLinesUnderWay:
    """`caseload_first_rows(on)` of the file `check` is checking, read on a thread beside the check."""

    def __init__(self, check: QuickCheck, on: date):
        self.check = check
        self.on = on
        self._lines: list[CaseloadRow] | None = None
        self.queries = 0  # statements run on its own connection (the bench counts them beside the window's)
        self._thread = threading.Thread(target=self._run, name="pao-clinic first lines", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        from peewee import SqliteDatabase

        from pao_clinic.storage.migrations import CURRENT_SCHEMA_VERSION

        try:
            sql, params = SqliteDatabase(None).get_sql_context().sql(first_lines_query(self.on)).query()
            conn = read_only_connection(self.check.file)
            try:
                conn.execute("BEGIN")  # the version and the lines from one snapshot of the file
                versions = self._fetched(conn, "SELECT version FROM schema_version")
                raw = self._fetched(conn, sql, params)
                conn.rollback()
            finally:
                conn.close()
            if versions == [(CURRENT_SCHEMA_VERSION,)]:
                self._lines = first_lines_of(raw, self.on)
        except Exception:  # noqa: BLE001  (early lines are a head start only: the window reads them the usual way)
            self._lines = None

    def _fetched(self, conn, sql: str, params=()) -> list[tuple]:
        rows = conn.execute(sql, params).fetchall()
        self.queries += 1
        return rows

    def lines(self, on: date) -> list[CaseloadRow] | None:
        """The first lines for the day `on`, once read; None when there are none to trust.

        None unless they were read for `on`, from the schema this program writes, and the
        file's quick_check found it whole.
        """
        self._thread.join()
        if on != self.on or self._lines is None:
            return None
        try:
            whole = self.check.findings() == ["ok"]
        except Exception:  # noqa: BLE001  (opening has refused the file, and said why)
            return None
        return self._lines if whole else None


def start_first_lines(check: QuickCheck | None, on: date | None = None) -> FirstLinesUnderWay | None:
    """The first lines of the file `check` checks, under way (None when no early check runs)."""
    return None if check is None else FirstLinesUnderWay(check, on or date.today())


def first_lines_on(on: date, early: FirstLinesUnderWay | None = None) -> list[CaseloadRow]:
    """Every woman's first line on a day: those read early when they can be trusted for it, else one SELECT now."""
    lines = early.lines(on) if early is not None else None
    return lines if lines is not None else caseload_first_rows(on)
