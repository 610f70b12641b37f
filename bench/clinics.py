"""The benchmark's databases: a temporary SQLite file or a database on a throwaway PostgreSQL server
(the tests' `tests.postgres_server.PostgresServer`), demo users, the demo caseload, and one heavy
record (40 fractures, 20 DEXA scans, 20 referrals) added to it.  Everything is removed at the end.
"""

from __future__ import annotations

import shutil
import tempfile
from dataclasses import dataclass, replace
from datetime import date
from pathlib import Path

from pao_clinic.record import PatientRecord
from pao_clinic.record.validation import patient_record_problems

BACKENDS = ("sqlite", "postgresql")
HEAVY_FRACTURES, HEAVY_SCANS, HEAVY_REFERRALS = 40, 20, 20


class Databases:
    """Where the benchmark's databases live, and their removal (use as a context manager)."""

    def __init__(self, server=None) -> None:
        """`server`: a running PostgresServer to use (the tests' own); it is left running at the end."""
        self.folder = Path(tempfile.mkdtemp(prefix="pao-bench-"))
        self.server = server
        self._own_server = server is None
        self.server_problem: str | None = None
        self._server_tried = server is not None
        self._pg_databases: list[str] = []

    def __enter__(self) -> "Databases":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def postgres_reason(self) -> str | None:
        """None when the PostgreSQL server runs (started on first use), else why it cannot."""
        if not self._server_tried:
            self._server_tried = True
            try:
                from tests.postgres_server import PostgresServer, PostgresUnavailable
            except ImportError as exc:
                self.server_problem = f"tests.postgres_server cannot be imported ({exc})"
                return self.server_problem
            try:
                import psycopg2  # noqa: F401
                self.server = PostgresServer().start()
            except ImportError:
                self.server_problem = "psycopg2 is not installed (pip install 'pao-clinic[postgres]')"
            except PostgresUnavailable as exc:
                self.server_problem = str(exc).splitlines()[0]
        return self.server_problem

    def new_url(self, backend: str, name: str) -> str:
        if backend == "sqlite":
            return f"sqlite:///{self.folder / (name + '.sqlite')}"
        reason = self.postgres_reason()
        if reason:
            raise RuntimeError(reason)
        self.server.admin_sql(f"CREATE DATABASE {name}")
        self._pg_databases.append(name)
        return self.server.url(name)

    def drop(self, backend: str, name: str) -> None:
        if backend == "sqlite":
            for suffix in ("", "-wal", "-shm", "-journal"):
                (self.folder / f"{name}.sqlite{suffix}").unlink(missing_ok=True)
        elif self.server is not None and name in self._pg_databases:
            self.server.admin_sql(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
            self._pg_databases.remove(name)

    def close(self) -> None:
        if self.server is not None:
            for name in list(self._pg_databases):
                try:
                    self.drop("postgresql", name)
                except Exception:  # the server is stopped and its folder removed just below
                    pass
            if self._own_server:
                self.server.stop()
            self.server = None
        shutil.rmtree(self.folder, ignore_errors=True)


@dataclass
class BenchClinic:
    """One benchmark database, open and bound, with the demo users signed in."""

    backend: str
    size: int
    url: str
    name: str
    today: date
    admin: object = None
    nurse: object = None
    consultant: object = None
    heavy_id: int | None = None
    patient_ids: list[int] | None = None


DEMO_PASSWORD = "demo-password"


def open_new_clinic(databases: Databases, backend: str, size: int, today: date, *, tag: str = "bench") -> BenchClinic:
    """A new, migrated, bound database with the demo users (no patients yet)."""
    from pao_clinic.services import add_user, authenticate
    from pao_clinic.services.demo_setup import DEMO_USERS
    from pao_clinic.storage.opening import open_database

    name = f"pao_{tag}_{size}"
    url = databases.new_url(backend, name)
    open_database(url, create=True)
    clinic = BenchClinic(backend=backend, size=size, url=url, name=name, today=today)
    admin = None
    for user, role, display in DEMO_USERS:
        add_user(admin, user, role=role, password=DEMO_PASSWORD, display_name=display)
        actor = authenticate(user, DEMO_PASSWORD)
        admin = admin or actor
        setattr(clinic, role, actor)
    return clinic


def finish_clinic(clinic: BenchClinic, heavy: PatientRecord) -> None:
    """After the demo import: the heavy woman, the demo letterhead and address book."""
    from pao_clinic.services import import_records
    from pao_clinic.services.clinic_details import set_letterhead, set_referral_address
    from pao_clinic.services.demo_setup import DEMO_ADDRESS_BOOK, DEMO_LETTERHEAD

    (clinic.heavy_id,) = import_records(clinic.nurse, [heavy])
    set_letterhead(clinic.admin, **DEMO_LETTERHEAD)
    for specialty, (department, address) in DEMO_ADDRESS_BOOK.items():
        set_referral_address(clinic.admin, specialty, address, department=department)


def heavy_record(base: PatientRecord, others: list[PatientRecord], today: date) -> PatientRecord:
    """`base` with 40 fractures, 20 DEXA scans and 20 referrals taken from other demo women.

    Entries are renumbered, fractures lose their pregnancy ref, and an entry is kept only
    when the record still passes the record validator (dated from the year after her 12th birthday).
    """
    earliest = date(base.date_of_birth.year + 13, 1, 1) if base.date_of_birth else None
    wanted = {"fractures": HEAVY_FRACTURES, "dexa": HEAVY_SCANS, "referrals": HEAVY_REFERRALS}
    date_field = {"fractures": "identified_on", "dexa": "scanned_on", "referrals": "created_on"}
    prefix = {"fractures": "fx", "dexa": "dexa", "referrals": "ref"}
    chosen: dict[str, list] = {name: [] for name in wanted}
    for other in others:
        for name, count in wanted.items():
            for entry in getattr(other, name):
                if len(chosen[name]) >= count:
                    break
                when = getattr(entry, date_field[name])
                if earliest and when < earliest:
                    continue
                changes = {"ref": f"{prefix[name]}{len(chosen[name]) + 1}"}
                if name == "fractures":
                    changes.update(pregnancy=None, onset_on=None)
                chosen[name].append(replace(entry, **changes))
        if all(len(chosen[n]) >= c for n, c in wanted.items()):
            break
    record = replace(base, **{name: tuple(entries) for name, entries in chosen.items()})
    problems = patient_record_problems(record, today=today)
    if problems:
        raise RuntimeError("the benchmark's heavy record does not validate: "
                           + "; ".join(f"{p}" for p in problems[:5]))
    return record
