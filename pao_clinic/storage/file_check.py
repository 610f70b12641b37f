"""`PRAGMA quick_check` of an SQLite file, and the same check started early on a thread of its own.

Opening a database checks the whole file first (`opening.open_database`: a damaged file
is refused before anything is written).  On a large caseload that read is most of the
time a command or the window takes to start, so the command line starts it as soon as
it knows the database (`start_quick_check`), before it imports what the command uses,
and `open_database(..., quick_check_under_way=check)` takes its answer: it waits for it,
and does nothing to the file before it has it.  This module imports only sqlite3, so the
check begins before the rest of the application is loaded; SQLite lets the other
threads run while it reads.

Only a plain SQLite file that is there is checked early; an encrypted one is checked
when it is opened, with its passphrase, as before.
"""

from __future__ import annotations

import sqlite3
import threading

from pao_clinic.storage.location import parse_database_url


def integrity_findings(conn, check: str = "quick_check", limit: int = 5) -> list[str]:
    """What `PRAGMA quick_check` (or integrity_check) says, one problem a line; ["ok"] for a whole file."""
    lines = []
    for (text,) in conn.execute(f"PRAGMA {check}({limit})"):
        lines.extend(line.strip() for line in str(text).splitlines()
                     if line.strip() and not line.startswith("*** in database"))
    return lines


def read_only_connection(file) -> sqlite3.Connection:
    """A read-only sqlite3 connection to a plain SQLite file (nothing written, no journal made)."""
    return sqlite3.connect(f"{file.as_uri()}?mode=ro", uri=True)


class QuickCheck:
    """`integrity_findings` of one file, read on its own thread and read-only connection."""

    def __init__(self, file):
        self.file = file.absolute()
        self._findings: list[str] | None = None
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._run, name="pao-clinic quick_check", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        try:
            conn = read_only_connection(self.file)
            try:
                self._findings = integrity_findings(conn)
            finally:
                conn.close()
        except BaseException as exc:  # given to the opener by findings(), in its own thread
            self._error = exc

    def findings(self) -> list[str]:
        """The check's findings once it is done; what it raised (sqlite3's error), raised here."""
        self._thread.join()
        if self._error is not None:
            raise self._error
        return self._findings  # type: ignore[return-value]


def start_quick_check(url: str) -> QuickCheck | None:
    """The quick_check of the plain SQLite file `url` names, under way; None for PostgreSQL, an
    encrypted file, or no file there (nothing to check early)."""
    try:
        location = parse_database_url(url)
        file = location.sqlite_file
        if file is None or location.encrypted or not file.is_file() or file.stat().st_size == 0:
            return None
    except Exception:  # a bad URL or an unreadable place: opening says what is wrong
        return None
    return QuickCheck(file)
