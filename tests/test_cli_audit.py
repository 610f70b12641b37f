"""`pao-clinic audit verify` and `pao-clinic audit export`, run in-process on both backends."""

from __future__ import annotations

import csv
import io
from datetime import date, timedelta

import pytest

from pao_clinic import services
from pao_clinic.record import PatientRecord
from pao_clinic.record.audit_csv import AUDIT_CSV_COLUMNS
from pao_clinic.storage.connection import database
from pao_clinic.storage.models import AuditEntry, User

from .test_cli import cli_clinic, in_database, run  # noqa: F401 (cli_clinic is a fixture)


def her(nhs_number="943 476 5919", hospital_number="PAO000123") -> PatientRecord:
    return PatientRecord(ref="", nhs_number=nhs_number, hospital_number=hospital_number, family_name="Ní Bhriain",
                         given_name="Siobhán", date_of_birth=date(1991, 5, 17))


@pytest.fixture
def admin_cli(cli_clinic, signed_in_env):
    signed_in_env("ada.admin")
    return cli_clinic


def in_clinic(clinic, fn):
    return in_database(clinic.url, fn)


def exports(clinic) -> int:
    """How many exports of the audit are audited (signing in may add entries of its own)."""
    return in_clinic(clinic, lambda: AuditEntry.select().where(AuditEntry.action == "export").count())


def csv_rows(path) -> list[dict]:
    text = path.read_text(encoding="utf-8")
    assert text.startswith("\ufeff")
    reader = csv.reader(io.StringIO(text[1:]))
    header = next(reader)
    assert header == [name for name, _ in AUDIT_CSV_COLUMNS]
    return [dict(zip(header, row)) for row in reader]


# --- verify -------------------------------------------------------------------------------------

def test_verify_says_the_chain_is_whole_and_exits_0(admin_cli):
    code, out, err = run("audit", "verify", "--database", admin_cli.url)
    assert code == 0, err
    newest = in_clinic(admin_cli, lambda: AuditEntry.select().order_by(AuditEntry.id.desc()).first())
    count = in_clinic(admin_cli, lambda: AuditEntry.select().count())  # verify itself writes nothing
    assert out.startswith(f"the audit chain is whole: {count} entries, newest {newest.id} at ")
    assert out.rstrip().endswith(f"hash {newest.entry_hash}")


def test_only_an_admin_may_verify_or_export(cli_clinic, tmp_path):
    code, _, err = run("audit", "verify", "--database", cli_clinic.url)
    assert code == 2 and "only an admin may do this" in err
    code, _, err = run("audit", "export", "-o", str(tmp_path / "a.csv"), "--database", cli_clinic.url)
    assert code == 2 and "only an admin may do this" in err
    assert not (tmp_path / "a.csv").exists()


def test_verify_names_the_entry_altered_behind_the_app_and_exits_2(admin_cli):
    def tamper():
        if admin_cli.backend == "sqlite":
            database.execute_sql("DROP TRIGGER audit_entry_no_update")
        else:
            database.execute_sql("DROP TRIGGER audit_entry_no_update_or_delete ON audit_entry")
        target = AuditEntry.select().order_by(AuditEntry.id).first()
        database.execute_sql(f"UPDATE audit_entry SET after = '{{}}' WHERE id = {target.id}")
        return target.id

    altered = in_clinic(admin_cli, tamper)
    code, out, _ = run("audit", "verify", "--database", admin_cli.url)
    assert code == 2
    assert out.startswith(f"audit entry {altered} (") and "has been altered: its hash does not match" in out


def test_verify_names_a_role_changed_in_sql_and_exits_2(admin_cli):
    in_clinic(admin_cli, lambda: User.update(role="consultant").where(User.name == "nina.nurse").execute())
    code, out, _ = run("audit", "verify", "--database", admin_cli.url)
    assert code == 2
    assert "user 'nina.nurse'" in out and "role is 'consultant' in the database but 'nurse' in the audit trail" in out


# --- export -------------------------------------------------------------------------------------

def test_export_writes_one_row_per_entry_of_the_days_asked_and_is_audited(admin_cli, tmp_path):
    patient_id = in_clinic(admin_cli, lambda: services.register_patient(admin_cli.nurse, her()).id)
    today = date.today()
    out_file = tmp_path / "audit.csv"
    code, _, err = run("audit", "export", "--from", (today - timedelta(days=1)).isoformat(),
                       "--to", today.isoformat(), "-o", str(out_file), "--database", admin_cli.url)
    assert code == 0, err
    rows = csv_rows(out_file)
    assert err.strip() == f"exported {len(rows)} audit entries to {out_file}"
    assert [r["user_name"] for r in rows[:3]] == ["ada.admin", "ada.admin", "ada.admin"]  # the three users added
    [registered] = [r for r in rows if r["action"] == "register"]
    assert (registered["action"], registered["patient_id"], registered["nhs_number"]) == (
        "register", str(patient_id), "9434765919")
    exported = in_clinic(admin_cli, lambda: AuditEntry.get(AuditEntry.action == "export"))
    assert exported.user_name == "ada.admin"
    assert f'"entries": {len(rows)}' in exported.after

    code, _, err = run("audit", "export", "--to", (today - timedelta(days=1)).isoformat(), "-o", str(out_file),
                       "--database", admin_cli.url)
    assert code == 0 and csv_rows(out_file) == [] and "exported 0 audit entries" in err


def test_export_of_her_entries_for_a_subject_access_request(admin_cli, tmp_path):
    def two_women():
        services.register_patient(admin_cli.nurse, her())
        services.register_patient(admin_cli.nurse, her("943 476 5927", "PAO000124"))
    in_clinic(admin_cli, two_women)
    out_file = tmp_path / "hers.csv"
    code, _, err = run("audit", "export", "--patient", "PAO000124", "--by", "nina.nurse", "--action", "register",
                       "-o", str(out_file), "--database", admin_cli.url)
    assert code == 0, err
    [row] = csv_rows(out_file)
    assert (row["hospital_number"], row["patient_name"]) == ("PAO000124", "NÍ BHRIAIN, Siobhán")


def test_a_cell_that_would_run_as_a_formula_in_excel_is_quoted(admin_cli, tmp_path):
    in_clinic(admin_cli, lambda: services.add_user(admin_cli.admin, "=HYPERLINK", role="nurse",
                                                   password="a long enough password", display_name="Formula"))
    out_file = tmp_path / "audit.csv"
    assert run("audit", "export", "-o", str(out_file), "--database", admin_cli.url)[0] == 0
    added = [r for r in csv_rows(out_file) if r["after"].startswith('{"active"') and "Formula" in r["after"]]
    assert added and all(not cell.startswith(("=", "+", "@")) for r in csv_rows(out_file) for cell in r.values())


@pytest.mark.parametrize("argv, words", [
    (("--from", "2026-02-30"), "30 February 2026 does not exist"),
    (("--from", "2026-03-02", "--to", "2026-03-01"), "--from: 2026-03-02 is after --to 2026-03-01"),
    (("--patient", "PAO999999"), "no patient with NHS or hospital number 'PAO999999'"),
])
def test_export_refuses_bad_input_and_writes_nothing(admin_cli, tmp_path, argv, words):
    out_file = tmp_path / "audit.csv"
    code, _, err = run("audit", "export", *argv, "-o", str(out_file), "--database", admin_cli.url)
    assert code == 2 and words in err, err
    assert not out_file.exists()
    assert exports(admin_cli) == 0


def test_an_export_that_cannot_be_written_is_not_audited(admin_cli, tmp_path):
    code, _, err = run("audit", "export", "-o", str(tmp_path / "no-such-folder" / "a.csv"),
                       "--database", admin_cli.url)
    assert code == 2 and "the folder does not exist" in err
    assert exports(admin_cli) == 0
