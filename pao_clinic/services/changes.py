"""Seeing what other staff saved: which women's records changed since we last looked.

Several people share one caseload.  Every write is audited in its own transaction
(`session.clinical_write`), so a new committed audit entry *is* a committed change,
and its `patient` column says whose record it was.  `ChangeWatcher` reads the new
audit entries on a connection of its own:

- on PostgreSQL it also LISTENs on `CHANNEL`; `announce_change(patient_id)` is called
  inside each write transaction and NOTIFYs at commit.  The notifications make a change
  known at once (`ChangeWatcher.fileno()` becomes readable); the audit read makes it
  certain, even for a writer that does not announce.
- on SQLite, `PRAGMA data_version` on the watcher's connection changes whenever
  another connection commits, so the audit entries are read only after a commit.

PostgreSQL hands out audit ids when rows are inserted, not when they commit, so a
slow transaction can commit an id below one already seen.  The watcher keeps each
such missing id pending until every transaction that was running when the gap was
first seen has ended (the server's snapshot says when); a pending id that then still
does not appear was rolled back.  Nothing committed is missed, and the pending list
stays short.

`poll()` answers `None` when nothing changed, else the set of patient ids whose
records changed, or `ALL` when the change is not one woman's (a user, a clinic
setting, a lost connection): then everything shown should be read again.  This
process's own saves are reported too; reading again what was just saved is harmless.
"""

from __future__ import annotations

import sqlite3
import threading
from typing import Any

from peewee import PostgresqlDatabase

from pao_clinic.errors import StorageError
from pao_clinic.storage.connection import (
    SQLITE_BUSY_TIMEOUT_MS, bound_database_url, connect, database, sqlite_driver, sqlite_file_connection,
)
from pao_clinic.storage.location import DatabaseLocation, parse_database_url

#: The PostgreSQL notification channel; the payload is a patient id, or "*" for everyone.
CHANNEL = "pao_clinic_changes"
EVERYONE = "*"
#: How far back a PostgreSQL watcher looks at its start for saves still running.
RECENT_AUDIT_IDS = 500


class _AllPatients(frozenset):
    """Every woman's record: `patient_id in ALL` is always true."""

    def __contains__(self, _patient_id: object) -> bool:
        return True

    def __bool__(self) -> bool:
        return True

    def __repr__(self) -> str:
        return "ALL"


#: What `poll()` answers when it cannot say whose records changed: read everything again.
ALL: frozenset[int] = _AllPatients()


#: Audit actions that record a look, not a change: opening her record, signing in, exporting,
#: reading a summary, a backup.  Nobody's screen shows anything new after them, so they are
#: not announced and watchers pass over them (a sign-in, with no patient, would otherwise make
#: every open window read everything again).
LOOKS_NOT_CHANGES = frozenset({"open", "sign-in", "sign-in failed", "export", "read", "backed_up"})


#: More women than this changed in one write (an import): one notice that everyone's lists changed.
MOST_NOTICES_PER_WRITE = 100


def announce_changes(patient_ids) -> None:
    """`announce_change` for several women in one statement (an import changes thousands)."""
    db = database.obj
    ids = set(patient_ids)
    if not isinstance(db, PostgresqlDatabase) or not ids:
        return
    payloads = [EVERYONE] if None in ids or len(ids) > MOST_NOTICES_PER_WRITE else [str(int(i)) for i in ids]
    db.execute_sql("SELECT pg_notify(%s, p) FROM unnest(%s::text[]) AS p", (CHANNEL, payloads))


def announce_change(patient_id: int | None) -> None:
    """Tell other windows her record changed (None: something not one woman's).

    Call inside the write's transaction on the bound database.  On PostgreSQL this is a
    NOTIFY, which the server delivers when the transaction commits and drops when it
    rolls back.  On SQLite it does nothing: watchers see other connections' commits by
    `PRAGMA data_version`.
    """
    db = database.obj
    if not isinstance(db, PostgresqlDatabase):
        return
    payload = EVERYONE if patient_id is None else str(int(patient_id))
    db.execute_sql("SELECT pg_notify(%s, %s)", (CHANNEL, payload))


def _changed(patient_ids: set[int], everyone: bool) -> set[int] | frozenset[int] | None:
    if everyone:
        return ALL
    return patient_ids or None


class ChangeWatcher:
    """Watches one database for changes saved by others, on a connection of its own.

    `poll()` may be called from any one thread at a time (a worker); `close()` from
    any thread.  Only `poll()`, `fileno()` and `close()` touch the connection.
    """

    def __init__(self, url: str):
        self.location: DatabaseLocation = parse_database_url(url)
        self._lock = threading.Lock()
        self._closed = False
        self._lost = False            # the connection failed: reopen, then report ALL
        self._floor = 0               # every audit id up to here has been accounted for
        self._seen: set[int] = set()  # audit ids above the floor already reported
        self._pending: dict[int, int | None] = {}  # missing audit id -> its stamp (see _poll_postgres)
        self._data_version: int | None = None
        self._sqlite: sqlite3.Connection | None = None
        self._postgres: Any = None    # a psycopg2 connection, autocommit, LISTENing
        self._open()
        self._start_from_now()

    @classmethod
    def for_bound_database(cls) -> ChangeWatcher:
        """A watcher on the database the services are bound to (a connection of its own)."""
        url = bound_database_url()
        if url is None:
            raise StorageError("no clinic database is open to watch for changes")
        return cls(url)

    # -- the connection ------------------------------------------------------------------
    def _open(self) -> None:
        if self.location.engine == "sqlite":
            self._sqlite = _open_sqlite(self.location)
            if self._sqlite is not None:
                self._data_version = self._sqlite.execute("PRAGMA data_version").fetchone()[0]
        else:
            # connect() checks the driver and words its failures; its connection is then used directly
            conn = connect(self.location).connection()
            conn.autocommit = True
            with conn.cursor() as cursor:
                cursor.execute(f"LISTEN {CHANNEL}")
            self._postgres = conn

    def _close_connection(self) -> None:
        # the driver's connections themselves: peewee's own close() only reaches the
        # connection of the thread calling it, and close() may come from another thread
        for conn in (self._sqlite, self._postgres):
            if conn is not None:
                try:
                    conn.close()
                except Exception:  # noqa: BLE001 - a broken connection may refuse to close
                    pass
        self._sqlite = self._postgres = None

    def fileno(self) -> int | None:
        """The PostgreSQL socket, readable when a notification has arrived (None on SQLite)."""
        with self._lock:
            return self._postgres.fileno() if self._postgres is not None else None

    def close(self) -> None:
        with self._lock:
            self._closed = True
            self._close_connection()

    def __enter__(self) -> ChangeWatcher:
        return self

    def __exit__(self, *_exc) -> None:
        self.close()

    # -- looking -------------------------------------------------------------------------
    def poll(self) -> set[int] | frozenset[int] | None:
        """The patient ids whose records changed since the last poll; None when nothing did.

        `ALL` when the change is not one woman's, or when the connection was lost and
        opened again (what happened meanwhile is unknown).  A database that cannot be
        reached raises StorageError; the next poll tries again.
        """
        with self._lock:
            if self._closed:
                raise StorageError("the change watcher is closed")
            if self._lost:
                self._reopen()
                return ALL
            try:
                if self._postgres is not None:
                    return self._poll_postgres()
                if self._sqlite is not None:
                    return self._poll_sqlite()
                return None  # an in-memory database: no other connection can change it
            except (sqlite3.Error, sqlite_driver(self.location).Error, _postgres_errors()) as exc:
                self._lost = True
                self._close_connection()
                raise StorageError(
                    f"lost the connection that watches {self.location.describe()} for changes: "
                    f"{str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__}"
                ) from None

    def _reopen(self) -> None:
        self._open()
        self._lost = False
        self._start_from_now()

    def _start_from_now(self) -> None:
        """Changes committed from now on are reported; what is committed already is not.

        On PostgreSQL the latest audit ids are taken as seen, so an id among them still
        missing (a save running now, or one rolled back) is waited for like any other.
        """
        self._seen.clear()
        self._pending.clear()
        latest = "SELECT COALESCE(MAX(id), 0) FROM audit_entry"
        if self._postgres is not None:
            with self._postgres.cursor() as cursor:
                cursor.execute(latest)
                self._floor = max(0, cursor.fetchone()[0] - RECENT_AUDIT_IDS)
                cursor.execute("SELECT id FROM audit_entry WHERE id > %s", (self._floor,))
                self._seen.update(audit_id for (audit_id,) in cursor.fetchall())
        elif self._sqlite is not None:
            self._floor = self._sqlite.execute(latest).fetchone()[0]
        else:
            self._floor = 0

    def _poll_sqlite(self) -> set[int] | frozenset[int] | None:
        version = self._sqlite.execute("PRAGMA data_version").fetchone()[0]
        if version == self._data_version:
            return None
        self._data_version = version
        # SQLite has one writer at a time, so audit ids commit in order: no gaps to wait for.
        rows = self._sqlite.execute(
            "SELECT id, patient_id, action FROM audit_entry WHERE id > ? ORDER BY id", (self._floor,)).fetchall()
        if rows:
            self._floor = rows[-1][0]
        rows = [(audit_id, patient_id) for audit_id, patient_id, action in rows if action not in LOOKS_NOT_CHANGES]
        patient_ids = {patient_id for _audit_id, patient_id in rows if patient_id is not None}
        return _changed(patient_ids, any(patient_id is None for _audit_id, patient_id in rows))

    def _poll_postgres(self) -> set[int] | frozenset[int] | None:
        conn = self._postgres
        with conn.cursor() as cursor:
            # The snapshot first: a transaction running now was running before the audit read.
            cursor.execute(_SNAPSHOT_SQL_13 if conn.server_version >= 130000 else _SNAPSHOT_SQL_OLD)
            oldest_running, next_unassigned = cursor.fetchone()
            cursor.execute("SELECT id, patient_id, action FROM audit_entry WHERE id > %s ORDER BY id", (self._floor,))
            rows = cursor.fetchall()
        conn.poll()
        patient_ids: set[int] = set()
        everyone = False
        while conn.notifies:
            payload = conn.notifies.pop(0).payload
            if payload.isdigit():
                patient_ids.add(int(payload))
            else:
                everyone = True
        new_rows = [(audit_id, patient_id, action) for audit_id, patient_id, action in rows
                    if audit_id not in self._seen]
        for audit_id, _patient_id, _action in new_rows:
            self._seen.add(audit_id)
            self._pending.pop(audit_id, None)
        new_rows = [(audit_id, patient_id) for audit_id, patient_id, action in new_rows
                    if action not in LOOKS_NOT_CHANGES]
        top = max(self._seen, default=self._floor)
        # A missing id is stamped, at the poll after it was first missed, with the first
        # transaction number not yet handed out: by then the transaction holding it has its
        # number (it has inserted the row).  It is given up once every transaction below the
        # stamp has ended before a poll's audit read: had it committed, it would be in `rows`.
        for audit_id, stamp in list(self._pending.items()):
            if stamp is None:
                self._pending[audit_id] = stamp = next_unassigned
            if stamp <= oldest_running:
                del self._pending[audit_id]
                self._seen.add(audit_id)  # accounted for: rolled back
        for audit_id in range(self._floor + 1, top):
            if audit_id not in self._seen and audit_id not in self._pending:
                self._pending[audit_id] = None
        while self._floor < top and (self._floor + 1) not in self._pending:
            self._floor += 1
            self._seen.discard(self._floor)
        patient_ids.update(patient_id for _audit_id, patient_id in new_rows if patient_id is not None)
        everyone = everyone or any(patient_id is None for _audit_id, patient_id in new_rows)
        return _changed(patient_ids, everyone)

    @property
    def pending_audit_ids(self) -> frozenset[int]:
        """Audit ids handed out but not yet seen committed (PostgreSQL: a transaction still running)."""
        with self._lock:
            return frozenset(self._pending)


_SNAPSHOT_SQL_13 = ("SELECT pg_snapshot_xmin(s)::text::bigint, pg_snapshot_xmax(s)::text::bigint "
                    "FROM pg_current_snapshot() AS s")
_SNAPSHOT_SQL_OLD = ("SELECT txid_snapshot_xmin(s), txid_snapshot_xmax(s) "
                     "FROM txid_current_snapshot() AS s")


def _postgres_errors() -> type[BaseException] | tuple[type[BaseException], ...]:
    try:
        import psycopg2
    except ImportError:
        return ()
    return psycopg2.Error


def _open_sqlite(location: DatabaseLocation) -> sqlite3.Connection | None:
    """A connection of the watcher's own to the SQLite file (None for an in-memory database).

    Opened for reading and writing but never creating (a missing file is an error), in
    autocommit so each read sees the latest commit, shareable with the worker thread
    that polls (the lock in ChangeWatcher keeps it to one thread at a time).
    """
    file = location.sqlite_file
    if file is None:
        return None
    if not file.is_file():
        raise StorageError(f"there is no SQLite database file at {file.absolute()}")
    try:
        conn = sqlite_file_connection(location, mode="rw", isolation_level=None, check_same_thread=False,
                                      timeout=SQLITE_BUSY_TIMEOUT_MS / 1000)
    except (sqlite3.Error, sqlite_driver(location).Error) as exc:
        raise StorageError(f"cannot open {location.describe()} to watch for changes: {exc}") from None
    return conn
