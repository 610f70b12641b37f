"""Settings ▸ Users: only an admin sees it; the list of accounts (a checked table model);
add, deactivate and reactivate, a new password, a new role, and the idle lock, each
through the service (audited), refusals shown in words with nothing changed."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt

from pao_clinic.errors import AuthenticationError
from pao_clinic.services import users
from pao_clinic.storage.models import AuditEntry
from ui.settings_dialog import SettingsDialog
from ui.users_dialog import AddUserDialog, NewPasswordDialog, UsersPage, UserTableModel

from .conftest import PASSWORD

pytestmark = [pytest.mark.qt_log_ignore("does not support propagateSizeHints")]


def page_for(qtbot, actor) -> UsersPage:
    page = UsersPage(actor)
    qtbot.addWidget(page)
    page.show()
    return page


def names_shown(page: UsersPage) -> list[tuple[str, str]]:
    model = page.proxy
    return [(model.index(r, UserTableModel.COL_NAME).data(), model.index(r, UserTableModel.COL_ACTIVE).data())
            for r in range(model.rowCount())]


def test_only_an_admin_has_the_users_page(clinic, qapp, qtbot):
    for actor, shown in ((clinic.admin, True), (clinic.nurse, False), (clinic.consultant, False)):
        dialog = SettingsDialog(actor, "SQLite test")
        qtbot.addWidget(dialog)
        titles = [dialog.tabs.tabText(i) for i in range(dialog.tabs.count())]
        assert ("Users" in titles) == shown and (dialog.users_page is not None) == shown


def test_the_list_is_a_sound_table_model(clinic, qtbot, qtmodeltester):
    page = page_for(qtbot, clinic.admin)
    qtmodeltester.check(page.model)
    assert names_shown(page) == [("ada.admin", "Yes"), ("dr.chen", "Yes"), ("nina.nurse", "Yes")]


def test_deactivating_and_reactivating_from_the_page(clinic, qtbot):
    page = page_for(qtbot, clinic.admin)
    assert page.select_user("nina.nurse") and page.active_button.text() == "&Deactivate"
    qtbot.mouseClick(page.active_button, Qt.MouseButton.LeftButton)
    assert page.status.text() == "nina.nurse is deactivated and can no longer sign in."
    assert ("nina.nurse", "No (deactivated)") in names_shown(page)
    with pytest.raises(AuthenticationError, match="not active"):
        users.authenticate("nina.nurse", PASSWORD)
    assert page.active_button.text() == "Re&activate"
    qtbot.mouseClick(page.active_button, Qt.MouseButton.LeftButton)
    assert users.authenticate("nina.nurse", PASSWORD).name == "nina.nurse"
    actions = [e.action for e in AuditEntry.select().where(AuditEntry.record_type == "user").order_by(AuditEntry.id)]
    assert actions[-2:] == ["deactivate", "reactivate"]


def test_a_refusal_is_said_in_words_and_changes_nothing(clinic, qtbot):
    page = page_for(qtbot, clinic.admin)
    page.select_user("ada.admin")
    before = AuditEntry.select().count()
    qtbot.mouseClick(page.active_button, Qt.MouseButton.LeftButton)
    assert page.status.text() == ("ada.admin is the last active admin; make another user an admin first, or the "
                                  "clinic has nobody to manage it. Nothing was changed.")
    assert AuditEntry.select().count() == before and users.user_account("ada.admin").active


def test_a_change_made_elsewhere_since_the_list_was_read_is_refused_and_shown(clinic, qtbot):
    page = page_for(qtbot, clinic.admin)
    page.select_user("nina.nurse")
    users.change_role(clinic.admin, "nina.nurse", "consultant")  # another admin, meanwhile
    assert page.change_role("admin") is None
    assert "someone else changed nina.nurse's account" in page.status.text()
    assert users.user_account("nina.nurse").role == "consultant"
    assert page.role_combo.currentData() == "consultant"  # the list was read again


def test_changing_a_role_from_the_page(clinic, qtbot):
    page = page_for(qtbot, clinic.admin)
    page.select_user("nina.nurse")
    page.role_combo.setCurrentIndex(page.role_combo.findData("consultant"))
    qtbot.mouseClick(page.role_button, Qt.MouseButton.LeftButton)
    assert page.status.text() == "nina.nurse is now a consultant."
    assert users.user_account("nina.nurse").role == "consultant"


def test_adding_a_user_shows_problems_at_their_fields_then_adds(clinic, qtbot, tmp_path):
    dialog = AddUserDialog(clinic.admin)
    qtbot.addWidget(dialog)
    dialog.show()
    qtbot.keyClicks(dialog.name_edit, "rosa nurse")
    qtbot.keyClicks(dialog.password_edit, "short")
    qtbot.keyClicks(dialog.again_edit, "short")
    dialog.accept()
    assert dialog.isVisible() and dialog.account is None
    assert dialog.problems["name"].text() == "'rosa nurse' must be 1 to 64 characters without spaces."
    assert dialog.problems["password"].text() == "The password must have at least 10 characters."
    assert dialog.password_edit.text() == "" and dialog.again_edit.text() == ""
    dialog.grab().save(str(tmp_path / "add-user.png"))
    dialog.name_edit.setText("rosa.nurse")
    dialog.display_edit.setText("Rosa Nurse")
    dialog.password_edit.setText("rosa's long password")
    dialog.again_edit.setText("rosa's other password")
    dialog.accept()
    assert dialog.problems["password"].text() == "The two passwords differ; type them again."
    dialog.password_edit.setText("rosa's long password")
    dialog.again_edit.setText("rosa's long password")
    with qtbot.waitSignal(dialog.accepted):
        dialog.accept()
    assert (dialog.account.name, dialog.account.role) == ("rosa.nurse", "nurse")
    assert users.authenticate("rosa.nurse", "rosa's long password").display_name == "Rosa Nurse"


def test_the_add_button_lists_the_new_user(clinic, qtbot, monkeypatch):
    def ask(cls, actor, parent=None):
        return users.add_user(actor, "rosa.nurse", role="nurse", password="rosa's long password")
    monkeypatch.setattr(AddUserDialog, "ask", classmethod(ask))
    page = page_for(qtbot, clinic.admin)
    with qtbot.waitSignal(page.changed):
        qtbot.mouseClick(page.add_button, Qt.MouseButton.LeftButton)
    assert page.selected().name == "rosa.nurse" and page.status.text() == "Added rosa.nurse (rosa.nurse) as a nurse."


def test_a_new_password_from_the_page(clinic, qtbot, monkeypatch):
    page = page_for(qtbot, clinic.admin)
    page.select_user("dr.chen")
    dialog = NewPasswordDialog(clinic.admin, page.selected())
    qtbot.addWidget(dialog)
    dialog.password_edit.setText("tiny")
    dialog.again_edit.setText("tiny")
    dialog.accept()
    assert dialog.problem.text() == "The password must have at least 10 characters."
    dialog.password_edit.setText("a new long password")
    dialog.again_edit.setText("a new long password")
    dialog.accept()
    assert dialog.account is not None
    assert users.authenticate("dr.chen", "a new long password").name == "dr.chen"


def test_the_idle_lock_minutes_are_saved_by_an_admin(clinic, qtbot, tmp_path):
    page = page_for(qtbot, clinic.admin)
    assert page.lock_spin.value() == 10
    page.lock_spin.setValue(4)
    qtbot.mouseClick(page.lock_button, Qt.MouseButton.LeftButton)
    assert users.idle_lock_minutes() == 4
    assert page.lock_status.text().startswith("The window locks after 4 minutes without input")
    page.window().resize(1000, 600)
    page.grab().save(str(tmp_path / "users-page.png"))


def test_the_page_refuses_anyone_but_an_admin_whatever_it_shows(clinic, qtbot):
    page = page_for(qtbot, clinic.nurse)
    page.select_user("dr.chen")
    assert page.toggle_active() is None
    assert page.status.text().startswith("Deactivating a user: only an admin may do this")
    assert users.user_account("dr.chen").active
