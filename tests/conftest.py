"""Test fixtures: real SQLite files and a real PostgreSQL server, a fresh database per test.

Each backend gets one migrated *template* database with three users (built once per
session); every test gets its own copy (a file copy for SQLite, CREATE DATABASE ...
TEMPLATE for PostgreSQL).  PostgreSQL tests fail on CI when the server cannot start,
and skip with the reason elsewhere.
"""

from __future__ import annotations

import atexit
import itertools
import os
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

# Before anything imports Qt: no screen, and no user's real folders.
os.environ["QT_QPA_PLATFORM"] = "offscreen"
_HOME = tempfile.mkdtemp(prefix="pao-clinic-test-home-")
atexit.register(shutil.rmtree, _HOME, True)
os.environ["XDG_DATA_HOME"] = os.path.join(_HOME, "data")
os.environ["XDG_STATE_HOME"] = os.path.join(_HOME, "state")
os.environ["XDG_CONFIG_HOME"] = os.path.join(_HOME, "config")
os.environ["XDG_CACHE_HOME"] = os.path.join(_HOME, "cache")
for _name in ("PAO_CLINIC_DATABASE", "PAO_CLINIC_USER", "PAO_CLINIC_PASSWORD"):
    os.environ.pop(_name, None)

import pytest  # noqa: E402

from pao_clinic.storage.connection import close_database  # noqa: E402
from pao_clinic.storage.opening import open_database  # noqa: E402
from pao_clinic.services import Actor, add_user, authenticate  # noqa: E402

from .postgres_server import PostgresServer, PostgresUnavailable  # noqa: E402

ALL_BACKENDS = ("sqlite", "postgresql")
#: PAO_CLINIC_TEST_BACKENDS=sqlite runs the suite on SQLite alone (`make test-clock` does, under
#: faketime); tests that need the PostgreSQL server are then deselected, never skipped as passes.
BACKENDS = tuple(name for name in ALL_BACKENDS
                 if name in os.environ.get("PAO_CLINIC_TEST_BACKENDS", ",".join(ALL_BACKENDS)).split(","))
if not BACKENDS:
    raise RuntimeError(f"PAO_CLINIC_TEST_BACKENDS names none of {', '.join(ALL_BACKENDS)}")
PASSWORD = "correct horse battery"
USERS = (
    ("ada.admin", "admin", "Ada Admin"),
    ("nina.nurse", "nurse", "Nina Nurse"),
    ("dr.chen", "consultant", "Dr Mei Chen"),
)


@dataclass(frozen=True)
class Clinic:
    """A fresh, migrated database bound for one test, with its three users."""

    url: str
    backend: str
    admin: Actor
    nurse: Actor
    consultant: Actor


def pytest_collection_modifyitems(config, items):
    if "postgresql" in BACKENDS:
        return
    chosen, dropped = [], []
    for item in items:
        needs_server = {"postgres_server", "postgres_clinic"} & set(getattr(item, "fixturenames", ()))
        (dropped if needs_server else chosen).append(item)
    if dropped:
        config.hook.pytest_deselected(items=dropped)
        items[:] = chosen


@pytest.fixture(scope="session")
def postgres_server():
    try:
        server = PostgresServer().start()
    except PostgresUnavailable as exc:
        if os.environ.get("CI"):
            pytest.fail(f"PostgreSQL is required on CI and could not start: {exc}")
        pytest.skip(f"PostgreSQL tests need a PostgreSQL server: {exc}")
    yield server
    server.stop()


_counter = itertools.count(1)


def _build_template(url: str) -> dict[str, Actor]:
    open_database(url, create=True)  # a new clinic: the template is where its first admin starts
    try:
        actors = {}
        bootstrap = None
        for name, role, display in USERS:
            add_user(bootstrap, name, role=role, password=PASSWORD, display_name=display)
            actors[role] = authenticate(name, PASSWORD)
            bootstrap = bootstrap or actors[role]
        return actors
    finally:
        close_database()


@pytest.fixture(scope="session")
def _templates(tmp_path_factory):
    return {}


def _template_for(backend: str, request, templates: dict, tmp_path_factory):
    if backend not in templates:
        if backend == "sqlite":
            path = tmp_path_factory.mktemp("template") / "template.sqlite"
            actors = _build_template(f"sqlite:///{path}")
            templates[backend] = (path, actors)
        else:
            server = request.getfixturevalue("postgres_server")
            server.admin_sql("CREATE DATABASE pao_template")
            actors = _build_template(server.url("pao_template"))
            templates[backend] = ("pao_template", actors)
    return templates[backend]


def fresh_database_url(backend: str, request, tmp_path, *, migrated: bool = True) -> tuple[str, dict]:
    """The URL of a new database for this test (a copy of the template when migrated)."""
    tmp_path_factory = request.getfixturevalue("tmp_path_factory")
    templates = request.getfixturevalue("_templates")
    n = next(_counter)
    if backend == "sqlite":
        target = tmp_path / f"clinic{n}.sqlite"
        if not migrated:
            return f"sqlite:///{target}", {}
        source, actors = _template_for(backend, request, templates, tmp_path_factory)
        shutil.copyfile(source, target)
        return f"sqlite:///{target}", actors
    server = request.getfixturevalue("postgres_server")
    name = f"test_{n}"
    # dropped when the test ends (after the fixtures using it have closed their connections)
    request.addfinalizer(lambda: server.admin_sql(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
    if not migrated:
        server.admin_sql(f"CREATE DATABASE {name}")
        return server.url(name), {}
    template, actors = _template_for(backend, request, templates, tmp_path_factory)
    server.admin_sql(f"CREATE DATABASE {name} TEMPLATE {template}")
    return server.url(name), actors


@pytest.fixture(params=BACKENDS)
def backend(request):
    return request.param


def _bound_clinic(backend: str, request, tmp_path):
    url, actors = fresh_database_url(backend, request, tmp_path)
    open_database(url)
    try:
        yield Clinic(url=url, backend=backend, admin=actors["admin"], nurse=actors["nurse"],
                     consultant=actors["consultant"])
    finally:
        close_database()


@pytest.fixture
def clinic(backend, request, tmp_path):
    """A fresh migrated database, bound, with users admin / nurse / consultant (each backend)."""
    yield from _bound_clinic(backend, request, tmp_path)


@pytest.fixture
def sqlite_clinic(request, tmp_path):
    """As `clinic`, on SQLite only (the desktop app's default, and the CLI's files)."""
    yield from _bound_clinic("sqlite", request, tmp_path)


@pytest.fixture
def postgres_clinic(request, tmp_path):
    """As `clinic`, on PostgreSQL only (a caseload shared by several staff)."""
    yield from _bound_clinic("postgresql", request, tmp_path)


@pytest.fixture
def empty_database_url(backend, request, tmp_path):
    """A URL where a new database may be started, not bound: for SQLite a file not yet made,
    for PostgreSQL an empty database (no schema yet) the server made.

    Commands that start a clinic (`init`, the first admin's `user add`, `demo`) or
    `open_database(url, create=True)` give it its schema; anything else is refused there.
    """
    url, _ = fresh_database_url(backend, request, tmp_path, migrated=False)
    return url


@pytest.fixture
def signed_in_env(monkeypatch):
    """Environment for CLI commands acting as a user of the template: call with the user name."""
    def sign_in(name: str) -> None:
        monkeypatch.setenv("PAO_CLINIC_USER", name)
        monkeypatch.setenv("PAO_CLINIC_PASSWORD", PASSWORD)
    return sign_in


DATA = Path(__file__).parent / "data"


# --- the desktop app ----------------------------------------------------------------------

@pytest.fixture
def demo_clinic(sqlite_clinic, qapp):
    """An SQLite clinic with 50 demo patients; window state goes to a test-only QSettings place."""
    from datetime import date

    from pao_clinic.demo import demo_caseload
    from pao_clinic.services import import_records

    qapp.setOrganizationName("PAO Clinic tests")
    import_records(sqlite_clinic.nurse, demo_caseload(50, seed=3, today=date.today()))
    return sqlite_clinic


@pytest.fixture
def window(qtbot, demo_clinic):
    """The main window on the demo clinic, signed in as the nurse, with its lists loaded."""
    from PySide6.QtCore import QEvent
    from PySide6.QtWidgets import QApplication

    from pao_clinic.storage.location import parse_database_url
    from ui.main_window import MainWindow

    win = MainWindow(demo_clinic.nurse, parse_database_url(demo_clinic.url).describe())
    win.show()
    with qtbot.waitSignal(win.refreshed, timeout=20_000):
        win.refresh()
    yield win
    win.close()
    win.deleteLater()
    QApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)
