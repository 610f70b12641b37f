"""The `pao-clinic` command line, run in-process against real databases (exit codes, messages)."""

from __future__ import annotations

import io
import json
import subprocess
import sys
from datetime import date
from pathlib import Path

import pytest

from pao_clinic import cli
from pao_clinic.environment import log_file
from pao_clinic.storage.connection import close_database
from pao_clinic.storage.opening import open_database
from pao_clinic.storage.models import AuditEntry, ALL_MODELS

from .conftest import DATA
from .test_exchange import RULES, changed, full_document, on_day


def run(*argv: str, stdin: str | None = None, monkeypatch=None) -> tuple[int, str, str]:
    """Run the CLI in-process; the bound test database is released first and restored after."""
    from pao_clinic.storage.connection import bound_database_url

    bound_url = bound_database_url()
    out, err = io.StringIO(), io.StringIO()
    old = sys.stdout, sys.stderr, sys.stdin
    sys.stdout, sys.stderr = out, err
    if stdin is not None:
        sys.stdin = io.StringIO(stdin)
    try:
        code = cli.main(list(argv))
    finally:
        sys.stdout, sys.stderr, sys.stdin = old
        if bound_url:
            open_database(bound_url)
    return code, out.getvalue(), err.getvalue()


def fingerprint() -> dict[str, int]:
    """Row counts of every table (the database 'as it was'); signing in to run a command is audited, so sign-ins
    are left out of the audit's count."""
    counts = {m._meta.table_name: m.select().count() for m in ALL_MODELS}
    counts["audit_entry"] = AuditEntry.select().where(AuditEntry.record_type != "sign-in").count()
    return counts


@pytest.fixture
def cli_clinic(clinic, signed_in_env):
    """The test database, addressed by URL as the CLI does; commands act as the nurse."""
    close_database()
    signed_in_env("nina.nurse")
    return clinic


def in_database(url: str, fn):
    open_database(url)
    try:
        return fn()
    finally:
        close_database()


# --- users -----------------------------------------------------------------------------

def test_the_first_user_is_added_without_sign_in_and_must_be_an_admin(empty_database_url, monkeypatch):
    code, _, err = run("--database", empty_database_url, "user", "add", "nurse1", "--role", "nurse",
                       "--password-stdin", stdin="long enough pw\n")
    assert code == 2 and "the first user must be an admin" in err
    code, out, err = run("--database", empty_database_url, "user", "add", "boss", "--role", "admin",
                         "--display-name", "Clinic Admin", "--password-stdin", stdin="long enough pw\n")
    assert code == 0, err
    assert "added admin 'boss' (Clinic Admin)" in out
    # afterwards only a signed-in admin may add users
    monkeypatch.delenv("PAO_CLINIC_USER", raising=False)
    code, _, err = run("--database", empty_database_url, "user", "add", "n2", "--role", "nurse",
                       "--password-stdin", stdin="long enough pw\n")
    assert code == 2 and "--user" in err
    monkeypatch.setenv("PAO_CLINIC_USER", "boss")
    monkeypatch.setenv("PAO_CLINIC_PASSWORD", "long enough pw")
    code, out, _ = run("--database", empty_database_url, "user", "add", "n2", "--role", "nurse",
                       "--password-stdin", stdin="another long pw\n")
    assert code == 0 and "added nurse 'n2'" in out


def test_a_wrong_password_exits_2_with_a_clear_message(cli_clinic, monkeypatch):
    monkeypatch.setenv("PAO_CLINIC_PASSWORD", "not it")
    code, out, err = run("--database", cli_clinic.url, "export")
    assert code == 2 and out == ""
    assert "user name or password not recognised" in err and "Traceback" not in err


def test_an_inactive_user_exits_2(cli_clinic):
    from pao_clinic.storage.models import User
    in_database(cli_clinic.url, lambda: User.update(active=False).where(User.name == "nina.nurse").execute())
    code, _, err = run("--database", cli_clinic.url, "export")
    assert code == 2 and "not active" in err


# --- import and export --------------------------------------------------------------------

def test_export_import_into_an_empty_database_export_again_is_identical(cli_clinic, backend, request, tmp_path):
    from .conftest import fresh_database_url

    source = DATA / "full_patient.json"
    code, _, err = run("--database", cli_clinic.url, "import", str(source))
    assert code == 0, err
    first = tmp_path / "first.json"
    assert run("--database", cli_clinic.url, "export", "-o", str(first))[0] == 0
    other_url, _ = fresh_database_url(backend, request, tmp_path)
    assert run("--database", other_url, "import", str(first))[0] == 0
    code, second, _ = run("--database", other_url, "export")
    assert code == 0
    a, b = json.loads(first.read_text(encoding="utf-8")), json.loads(second)
    a.pop("exported_at"), b.pop("exported_at")
    assert a == b
    original = json.loads(source.read_text(encoding="utf-8"))
    original.pop("exported_at")
    assert a == original  # the spec's own ordering and omissions


def test_export_of_one_patient_by_nhs_or_hospital_number(cli_clinic):
    run("--database", cli_clinic.url, "import", str(DATA / "full_patient.json"))
    doc = json.loads(full_document_text())
    by_hospital = json.loads(run("--database", cli_clinic.url, "export", "--patient", "RX1234567")[1])
    assert [p["ref"] for p in by_hospital["patients"]] == ["patient-2"]
    nhs = next(p["nhs_number"] for p in doc["patients"] if "nhs_number" in p)
    spaced = f"{nhs[:3]} {nhs[3:6]} {nhs[6:]}"
    by_nhs = json.loads(run("--database", cli_clinic.url, "export", "--patient", spaced)[1])
    assert [p["nhs_number"] for p in by_nhs["patients"]] == [nhs]
    code, _, err = run("--database", cli_clinic.url, "export", "--patient", "NOPE")
    assert code == 2 and "no patient" in err


def full_document_text() -> str:
    return (DATA / "full_patient.json").read_text(encoding="utf-8")


def test_importing_a_patient_already_in_the_database_is_refused_whole(cli_clinic):
    assert run("--database", cli_clinic.url, "import", str(DATA / "full_patient.json"))[0] == 0
    before = in_database(cli_clinic.url, fingerprint)
    code, _, err = run("--database", cli_clinic.url, "import", str(DATA / "full_patient.json"))
    assert code == 2 and "already exists" in err and "patients[0]" in err
    assert in_database(cli_clinic.url, fingerprint) == before


@pytest.mark.parametrize("changes, path, words", RULES, ids=[f"{c[0][0]}={c[0][1]!r}"[:80] for c, _, _ in RULES])
def test_every_exchange_rule_fails_import_naming_the_path_and_changes_nothing(
        cli_clinic, tmp_path, changes, path, words):
    # The CLI checks against the real today; a run that crosses midnight is tried once more.
    for _attempt in range(2):
        today = date.today()
        day_changes, day_words = on_day(changes, words, today)
        document = full_document()
        for where, value in day_changes:
            document = changed(document, where, value)
        bad = tmp_path / "bad.json"
        bad.write_text(json.dumps(document, ensure_ascii=False), encoding="utf-8")
        before = in_database(cli_clinic.url, fingerprint)
        code, out, err = run("--database", cli_clinic.url, "import", str(bad))
        if date.today() == today:
            break
    assert code == 2
    assert f"error: {path}: " in err and day_words in err, err
    assert "Traceback" not in err and out == ""
    assert in_database(cli_clinic.url, fingerprint) == before


def test_a_file_that_is_not_json_is_refused_with_line_and_column(cli_clinic, tmp_path):
    bad = tmp_path / "bad.json"
    bad.write_text('{"format": "pao-clinic-exchange",\n  "version": 1,,\n}', encoding="utf-8")
    code, _, err = run("--database", cli_clinic.url, "import", str(bad))
    assert code == 2 and "line 2" in err and "Traceback" not in err


def test_a_missing_file_is_refused(cli_clinic, tmp_path):
    missing = tmp_path / "nowhere.json"
    code, _, err = run("--database", cli_clinic.url, "import", str(missing))
    assert code == 2 and err == f"error: cannot read {missing}: there is no such file\n"


# --- exit codes ---------------------------------------------------------------------------

def test_bad_arguments_and_bad_urls_exit_2(tmp_path):
    assert run("--database", "mysql://x/y", "export")[0] == 2
    code, _, err = run("check", "--patient", "x", "--drug", "alendronate", "--on", "1-6-2025")
    assert code == 2 and "YYYY-MM-DD" in err


def test_an_unexpected_failure_exits_1_with_a_short_message_and_logs_the_traceback(cli_clinic, monkeypatch):
    from pao_clinic import services

    def broken(*args, **kwargs):
        raise RuntimeError("disk gremlin")

    monkeypatch.setattr(services, "export_document", broken)
    code, _, err = run("--database", cli_clinic.url, "export")
    assert code == 1
    assert "unexpected failure: RuntimeError: disk gremlin" in err and "Traceback" not in err
    log = log_file().read_text(encoding="utf-8")
    assert "Traceback" in log and "disk gremlin" in log


def test_the_installed_command_runs_in_a_subprocess(tmp_path):
    """The real entry point (`pao-clinic`, via ui.launcher) runs a subcommand without opening a window."""
    exe = Path(sys.executable).with_name("pao-clinic")
    assert exe.exists(), "pao-clinic is not installed in this environment"
    url = f"sqlite:///{tmp_path / 'c.sqlite'}"
    done = subprocess.run([str(exe), "--database", url, "user", "add", "boss", "--role", "admin",
                           "--password-stdin"], input="long enough pw\n", capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 0, done.stderr
    assert "added admin 'boss'" in done.stdout
