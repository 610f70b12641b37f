"""User accounts: signing in (audited, with a growing wait after failures), and an admin's
changes to accounts (deactivate, reactivate, reset password, change role), each one
audited change, on both backends; and the `pao-clinic user` commands."""

from __future__ import annotations

import json
from datetime import date, timedelta

import pytest

from pao_clinic.errors import AuthenticationError, ConflictError, NotFoundError, PermissionDenied, ValidationError
from pao_clinic import services
from pao_clinic.services import users
from pao_clinic.services.demo_setup import DEMO_PASSWORD
from pao_clinic.storage.models import AuditEntry, ClinicSetting, User

from .conftest import PASSWORD
from .test_cli import cli_clinic, in_database, run  # noqa: F401 (cli_clinic is a fixture)

WRONG = "not the right password"


def entries(**where) -> list[AuditEntry]:
    query = AuditEntry.select().order_by(AuditEntry.id)
    for column, value in where.items():
        query = query.where(getattr(AuditEntry, column) == value)
    return list(query)


def accounts_and_audit() -> tuple[list, int]:
    """Every account as it is, and how many audit entries there are (the database 'as it was')."""
    return [(u.name, u.role, u.active, u.password_hash, u.version) for u in User.select().order_by(User.id)], \
        AuditEntry.select().count()


def fail(name: str, times: int, password: str = WRONG) -> None:
    for _ in range(times):
        with pytest.raises(AuthenticationError, match="not recognised"):
            users.authenticate(name, password)


def latest_failure_at(name: str):
    return entries(record_type="sign-in", action="sign-in failed", user_name=name)[-1].at


# --- signing in ------------------------------------------------------------------------------

def test_a_sign_in_and_a_failed_one_are_audited_without_the_password(clinic):
    before = AuditEntry.select().count()
    with pytest.raises(AuthenticationError, match="user name or password not recognised"):
        users.authenticate("  nina.nurse  ", WRONG)
    actor = users.authenticate("nina.nurse", PASSWORD)
    failed, signed_in = entries()[before:]
    assert (failed.action, failed.record_type, failed.user_name, failed.user_id, failed.record_id) == \
        ("sign-in failed", "sign-in", "nina.nurse", None, None)
    assert (signed_in.action, signed_in.record_type, signed_in.user_name, signed_in.user_id, signed_in.record_id) == \
        ("sign-in", "sign-in", "nina.nurse", actor.user_id, actor.user_id)
    for entry in (failed, signed_in):
        assert WRONG not in f"{entry.before}{entry.after}" and PASSWORD not in f"{entry.before}{entry.after}"


def test_the_name_a_failure_is_audited_under_is_the_typed_one_held_to_64_characters(clinic):
    typed = "x" * 80
    with pytest.raises(AuthenticationError):
        users.authenticate(typed, WRONG)
    assert entries(action="sign-in failed")[-1].user_name == "x" * 64


def test_an_inactive_account_with_its_right_password_is_a_failed_sign_in(clinic):
    User.update(active=False).where(User.name == "nina.nurse").execute()
    with pytest.raises(AuthenticationError, match="not active"):
        users.authenticate("nina.nurse", PASSWORD)
    assert entries(action="sign-in failed")[-1].user_name == "nina.nurse"


@pytest.mark.parametrize("failures, seconds", [
    (0, 0), (4, 0), (5, 2), (6, 4), (7, 8), (9, 32), (12, 256), (13, 300), (40, 300),
])
def test_the_wait_grows_from_the_fifth_failure_and_stops_at_five_minutes(failures, seconds):
    assert users.delay_after(failures) == seconds


def test_after_five_failures_even_the_right_password_waits_and_then_signs_in(clinic):
    fail("nina.nurse", 4)
    assert users.sign_in_wait("nina.nurse") == 0
    users.authenticate("nina.nurse", PASSWORD)  # four failures: no wait, and the count starts again
    fail("nina.nurse", 5)
    at = latest_failure_at("nina.nurse")
    assert users.sign_in_wait("nina.nurse", now=at) == 2
    audited = AuditEntry.select().count()
    with pytest.raises(AuthenticationError) as refused:
        users.authenticate("nina.nurse", PASSWORD, now=at + timedelta(seconds=1))
    assert str(refused.value) == "too many failed sign-ins for nina.nurse: try again in 1 second"
    assert AuditEntry.select().count() == audited  # the password was not tried, so nothing to audit
    assert users.authenticate("nina.nurse", PASSWORD, now=at + timedelta(seconds=2)).name == "nina.nurse"
    assert users.sign_in_wait("nina.nurse") == 0


def test_each_failure_after_the_fifth_doubles_the_wait(clinic):
    fail("dr.chen", 5)
    at = latest_failure_at("dr.chen")
    with pytest.raises(AuthenticationError, match="not recognised"):
        users.authenticate("dr.chen", WRONG, now=at + timedelta(seconds=2))
    at = latest_failure_at("dr.chen")
    assert users.sign_in_wait("dr.chen", now=at) == 4
    with pytest.raises(AuthenticationError, match="try again in 4 seconds"):
        users.authenticate("dr.chen", PASSWORD, now=at)


def test_the_wait_says_the_same_for_a_name_with_no_account(clinic):
    fail("nina.nurse", 5)
    fail("nobody.here", 5)
    said = []
    for name in ("nina.nurse", "nobody.here"):
        with pytest.raises(AuthenticationError) as refused:
            users.authenticate(name, WRONG, now=latest_failure_at(name))
        said.append(str(refused.value).replace(name, "NAME"))
    assert said[0] == said[1] == "too many failed sign-ins for NAME: try again in 2 seconds"


def test_one_names_failures_do_not_hold_up_another(clinic):
    fail("nina.nurse", 5)
    assert users.authenticate("dr.chen", PASSWORD).name == "dr.chen"


def test_a_reset_password_lets_her_sign_in_at_once(clinic):
    fail("nina.nurse", 5)
    users.reset_password(clinic.admin, "nina.nurse", "a brand new password")
    assert users.sign_in_wait("nina.nurse") == 0
    assert users.authenticate("nina.nurse", "a brand new password").role == "nurse"


def test_long_waits_are_said_in_minutes():
    assert users.wait_words("nina", 300) == "too many failed sign-ins for nina: try again in 5 minutes"
    assert users.wait_words("nina", 16) == "too many failed sign-ins for nina: try again in 16 seconds"


# --- passwords ---------------------------------------------------------------------------------

@pytest.mark.parametrize("password, words", [
    ("", "at least 10 characters"),
    ("nine char", "at least 10 characters"),
    (" ten chars and a space", "must not begin or end with a space"),
    ("x" * 1025, "at most 1024 characters"),
])
def test_new_passwords_are_checked_at_add_and_at_reset(clinic, password, words):
    before = accounts_and_audit()
    with pytest.raises(ValidationError) as added:
        users.add_user(clinic.admin, "nora", role="nurse", password=password)
    with pytest.raises(ValidationError) as reset:
        users.reset_password(clinic.admin, "nina.nurse", password)
    for caught in (added, reset):
        assert any(words in m for m in caught.value.for_field("password")), caught.value.problems
        assert password not in str(caught.value) or not password
    assert accounts_and_audit() == before


def test_ten_characters_are_enough_and_the_demo_password_is_long_enough(clinic):
    users.add_user(clinic.admin, "nora", role="nurse", password="0123456789")
    assert users.authenticate("nora", "0123456789").name == "nora"
    assert len(DEMO_PASSWORD) >= users.MIN_PASSWORD_LENGTH
    assert len(PASSWORD) >= users.MIN_PASSWORD_LENGTH


# --- an admin's changes to accounts ------------------------------------------------------------

def user_changes(name: str) -> list[tuple[str, dict | None, dict | None]]:
    user_id = User.get(User.name == name).id
    return [(e.action, e.before and json.loads(e.before), e.after and json.loads(e.after))
            for e in entries(record_type="user", record_id=user_id)]


def test_deactivating_stops_her_signing_in_and_reactivating_lets_her_again(clinic):
    account = users.deactivate_user(clinic.admin, "nina.nurse")
    assert (account.active, account.version) == (False, 2)
    with pytest.raises(AuthenticationError, match="not active"):
        users.authenticate("nina.nurse", PASSWORD)
    assert users.reactivate_user(clinic.admin, "nina.nurse").active
    assert users.authenticate("nina.nurse", PASSWORD).name == "nina.nurse"
    nina = {"name": "nina.nurse", "display_name": "Nina Nurse", "role": "nurse"}
    assert user_changes("nina.nurse")[1:] == [
        ("deactivate", {**nina, "active": True}, {**nina, "active": False}),
        ("reactivate", {**nina, "active": False}, {**nina, "active": True}),
    ]
    assert {e.user_name for e in entries(record_type="user", action="deactivate")} == {"ada.admin"}


def test_changing_a_role_and_resetting_a_password_are_one_audited_change_each(clinic):
    old_hash = User.get(User.name == "nina.nurse").password_hash
    assert users.change_role(clinic.admin, "nina.nurse", "consultant").role == "consultant"
    users.reset_password(clinic.admin, "nina.nurse", "her own new password")
    assert User.get(User.name == "nina.nurse").password_hash != old_hash
    with pytest.raises(AuthenticationError):
        users.authenticate("nina.nurse", PASSWORD)
    assert users.authenticate("nina.nurse", "her own new password").role == "consultant"
    nina = {"name": "nina.nurse", "display_name": "Nina Nurse", "active": True}
    assert user_changes("nina.nurse")[1:] == [
        ("change role", {**nina, "role": "nurse"}, {**nina, "role": "consultant"}),
        ("reset password", {**nina, "role": "consultant"}, {**nina, "role": "consultant"}),
    ]
    assert "her own new password" not in "".join(f"{e.before}{e.after}" for e in entries())


@pytest.mark.parametrize("change, field, words", [
    (lambda c: users.change_role(c.admin, "nina.nurse", "doctor"), "role", "'doctor' is not a role"),
    (lambda c: users.change_role(c.admin, "nina.nurse", "nurse"), "role", "already a nurse"),
    (lambda c: users.reactivate_user(c.admin, "nina.nurse"), "name", "already active"),
])
def test_changes_that_are_refused_name_the_field_and_change_nothing(clinic, change, field, words):
    before = accounts_and_audit()
    with pytest.raises(ValidationError) as caught:
        change(clinic)
    assert any(words in m for m in caught.value.for_field(field)), caught.value.problems
    assert accounts_and_audit() == before


def test_the_last_active_admin_can_be_neither_deactivated_nor_made_something_else(clinic):
    before = accounts_and_audit()
    with pytest.raises(ValidationError) as deactivating:
        users.deactivate_user(clinic.admin, "ada.admin")
    with pytest.raises(ValidationError) as demoting:
        users.change_role(clinic.admin, "ada.admin", "consultant")
    assert deactivating.value.for_field("name") == [
        "ada.admin is the last active admin; make another user an admin first, or the clinic has nobody to manage it"]
    assert "ada.admin is the last active admin" in demoting.value.for_field("role")[0]
    assert accounts_and_audit() == before


def test_with_a_second_admin_one_may_deactivate_the_other_but_never_themselves(clinic):
    users.add_user(clinic.admin, "bo.admin", role="admin", password="bo's long password")
    bo = users.authenticate("bo.admin", "bo's long password")
    with pytest.raises(ValidationError, match="cannot deactivate your own account"):
        users.deactivate_user(bo, "bo.admin")
    with pytest.raises(ValidationError, match="cannot change your own role"):
        users.change_role(bo, "bo.admin", "nurse")
    assert not users.deactivate_user(bo, "ada.admin").active
    with pytest.raises(ValidationError, match="bo.admin is the last active admin"):
        users.deactivate_user(bo, "bo.admin")


@pytest.mark.parametrize("role", ["nurse", "consultant"])
def test_only_an_admin_changes_accounts(clinic, role):
    actor = getattr(clinic, role)
    before = accounts_and_audit()
    for change in (lambda: users.deactivate_user(actor, "ada.admin"),
                   lambda: users.reactivate_user(actor, "ada.admin"),
                   lambda: users.reset_password(actor, "ada.admin", "a long new password"),
                   lambda: users.change_role(actor, "nina.nurse", "admin"),
                   lambda: users.set_idle_lock_minutes(actor, 5)):
        with pytest.raises(PermissionDenied, match="only an admin"):
            change()
    assert accounts_and_audit() == before


def test_an_admin_deactivated_since_signing_in_changes_nobody(clinic):
    users.add_user(clinic.admin, "bo.admin", role="admin", password="bo's long password")
    bo = users.authenticate("bo.admin", "bo's long password")
    users.deactivate_user(clinic.admin, "bo.admin")
    before = accounts_and_audit()
    with pytest.raises(PermissionDenied, match="the account 'bo.admin' is no longer active"):
        users.deactivate_user(bo, "nina.nurse")
    assert accounts_and_audit() == before


def test_an_unknown_user_and_a_stale_version_are_refused(clinic):
    before = accounts_and_audit()
    with pytest.raises(NotFoundError, match="there is no user called 'nobody'"):
        users.deactivate_user(clinic.admin, "nobody")
    shown = users.user_account("nina.nurse")
    users.change_role(clinic.admin, "nina.nurse", "consultant", expected_version=shown.version)
    after_one = accounts_and_audit()
    assert after_one != before
    with pytest.raises(ConflictError, match="someone else changed nina.nurse's account"):
        users.deactivate_user(clinic.admin, "nina.nurse", expected_version=shown.version)
    assert accounts_and_audit() == after_one


def test_the_idle_lock_is_ten_minutes_until_an_admin_sets_it(clinic):
    assert users.idle_lock_minutes() == 10
    assert users.set_idle_lock_minutes(clinic.admin, 3) == 3
    assert users.idle_lock_minutes() == 3
    for wrong in (0, 61, 2.5, "5", True):
        with pytest.raises(ValidationError) as caught:
            users.set_idle_lock_minutes(clinic.admin, wrong)
        assert caught.value.for_field("minutes")
    assert ClinicSetting.get(ClinicSetting.name == "idle_lock_minutes").value == "3"
    (entry,) = entries(record_type="clinic_setting")
    assert json.loads(entry.after) == {"idle_lock_minutes": "3"}


# --- the command line --------------------------------------------------------------------------

@pytest.fixture
def as_admin(cli_clinic, monkeypatch):
    monkeypatch.setenv("PAO_CLINIC_USER", "ada.admin")
    return cli_clinic


def test_an_admin_manages_accounts_on_the_command_line(as_admin):
    url = as_admin.url
    assert run("--database", url, "user", "deactivate", "nina.nurse") == (
        0, "deactivated nurse 'nina.nurse': they can no longer sign in\n", "")
    assert run("--database", url, "user", "reactivate", "nina.nurse") == (0, "reactivated nurse 'nina.nurse'\n", "")
    assert run("--database", url, "user", "role", "nina.nurse", "--role", "consultant") == (
        0, "'nina.nurse' is now a consultant\n", "")
    assert run("--database", url, "user", "reset-password", "nina.nurse", "--password-stdin",
               stdin="a long new password\n") == (0, "new password set for 'nina.nurse'\n", "")
    assert run("--database", url, "user", "idle-lock", "--minutes", "5") == (
        0, "the desktop locks after 5 minutes without input\n", "")
    assert in_database(url, lambda: users.authenticate("nina.nurse", "a long new password").role) == "consultant"
    actions = in_database(url, lambda: [e.action for e in entries(record_type="user")])
    assert actions[-4:] == ["deactivate", "reactivate", "change role", "reset password"]


@pytest.mark.parametrize("argv, stdin, message", [
    (("deactivate", "ada.admin"), None, "error: name: ada.admin is the last active admin; make another user an admin "
                                        "first, or the clinic has nobody to manage it"),
    (("deactivate", "nobody"), None, "error: there is no user called 'nobody'"),
    (("reactivate", "nina.nurse"), None, "error: name: nina.nurse is already active"),
    (("role", "nina.nurse", "--role", "doctor"), None,
     "error: role: 'doctor' is not a role; use one of nurse, consultant, admin"),
    (("reset-password", "nina.nurse", "--password-stdin"), "short\n",
     "error: password: the password must have at least 10 characters"),
    (("idle-lock", "--minutes", "ten"), None, "error: minutes: 'ten' is not a whole number of minutes"),
    (("idle-lock", "--minutes", "90"), None, "error: minutes: '90' is not a whole number of minutes from 1 to 60"),
])
def test_bad_input_on_the_command_line_exits_2_with_one_line_and_changes_nothing(as_admin, argv, stdin, message):
    before = in_database(as_admin.url, lambda: accounts_and_audit()[0])
    code, out, err = run("--database", as_admin.url, "user", *argv, stdin=stdin)
    assert (code, out, err) == (2, "", message + "\n")
    assert in_database(as_admin.url, lambda: accounts_and_audit()[0]) == before


def test_a_nurse_is_refused_on_the_command_line(cli_clinic):
    code, out, err = run("--database", cli_clinic.url, "user", "deactivate", "dr.chen")
    assert (code, out) == (2, "")
    assert err == "error: Deactivating a user: only an admin may do this (you are signed in as nurse)\n"


def test_the_command_line_waits_after_five_wrong_passwords(cli_clinic, monkeypatch):
    monkeypatch.setenv("PAO_CLINIC_PASSWORD", WRONG)
    for _ in range(5):
        assert run("--database", cli_clinic.url, "user", "list")[2] == "error: user name or password not recognised\n"

    def three_more_failures_each_after_its_wait():
        for wait in (2, 4, 8):
            with pytest.raises(AuthenticationError, match="not recognised"):
                users.authenticate("nina.nurse", WRONG, now=latest_failure_at("nina.nurse") + timedelta(seconds=wait))
    in_database(cli_clinic.url, three_more_failures_each_after_its_wait)  # now 16 s from the latest

    monkeypatch.setenv("PAO_CLINIC_PASSWORD", PASSWORD)
    code, out, err = run("--database", cli_clinic.url, "user", "list")
    assert (code, out) == (2, "")
    assert err.startswith("error: too many failed sign-ins for nina.nurse: try again in 1")  # 16 s or a little less


def test_a_deactivated_or_demoted_account_already_signed_in_can_write_no_more(clinic):
    """Deactivation and a change of role take effect at her next save, not only at her next sign-in."""
    from pao_clinic.record import PatientRecord

    def register(actor, nhs):
        return services.register_patient(actor, PatientRecord(
            ref=f"PAO{nhs[-6:]}", nhs_number=nhs, hospital_number=None, family_name="Byrne", given_name="Aoife",
            date_of_birth=date(1990, 3, 4)))

    nurse = clinic.nurse
    register(nurse, "9434765919")
    services.change_role(clinic.admin, nurse.name, "consultant")
    with pytest.raises(PermissionDenied, match="is now a consultant, not a nurse; sign in again"):
        register(nurse, "9434765927")
    services.deactivate_user(clinic.admin, clinic.consultant.name)
    with pytest.raises(PermissionDenied, match="no longer active"):
        register(clinic.consultant, "9434765927")
    assert services.patient_count() == 1
