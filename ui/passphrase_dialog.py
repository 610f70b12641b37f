"""The passphrase of an encrypted database (`sqlcipher:///path`), asked before the app opens it.

`ask_passphrase_if_needed(url)` asks only when the URL names an encrypted database whose
passphrase is not already at hand (PAO_CLINIC_PASSPHRASE): for an existing file once,
checked against the file by the service (a wrong one is said in the dialog, which stays
open); for a new file twice, with the rules a new passphrase must meet.  The passphrase
is kept in the process's memory by the service, never in a file or QSettings, and the
fields are cleared after each attempt.
"""

from __future__ import annotations

from PySide6.QtWidgets import QDialog, QDialogButtonBox, QFormLayout, QLabel, QVBoxLayout, QWidget

from pao_clinic.errors import PaoClinicError
from pao_clinic.services import encryption

from .sign_in_dialog import APP_NAME, password_field, sentence


class PassphraseDialog(QDialog):
    """The passphrase for one encrypted database file (twice for a new one)."""

    def __init__(self, url: str, file_name: str, *, new: bool, parent: QWidget | None = None):
        super().__init__(parent)
        self.url = url
        self.new = new
        self.setObjectName("passphraseDialog")
        self.setWindowTitle(f"Encrypted database \u2014 {APP_NAME}")
        self.setMinimumWidth(460)
        if new:
            words = (f"A new encrypted database will be made at {file_name}. Choose its passphrase "
                     f"(at least {encryption.MIN_PASSPHRASE_LENGTH} characters). Without it nobody, "
                     "not even an administrator, can open the database or its backups: keep it safe.")
        else:
            words = f"The database {file_name} is encrypted. Give its passphrase to open it."
        note = QLabel(words)
        note.setObjectName("passphraseNote")
        note.setWordWrap(True)
        self.passphrase_edit = password_field("passphrase", "Passphrase")
        self.again_edit = password_field("passphraseAgain", "Passphrase again")
        self.error_label = QLabel()
        self.error_label.setObjectName("errorText")
        self.error_label.setWordWrap(True)
        self.error_label.setAccessibleName("Passphrase problem")
        self.error_label.hide()
        form = QFormLayout()
        form.addRow("Passphrase", self.passphrase_edit)
        if new:
            form.addRow("Again", self.again_edit)
        else:
            self.again_edit.hide()
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        self.open_button = self.buttons.button(QDialogButtonBox.StandardButton.Ok)
        self.open_button.setText("Create" if new else "Open")
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(note)
        layout.addLayout(form)
        layout.addWidget(self.error_label)
        layout.addWidget(self.buttons)
        self.adjustSize()
        self.passphrase_edit.setFocus()

    def accept(self) -> None:
        passphrase, again = self.passphrase_edit.text(), self.again_edit.text()
        self.passphrase_edit.clear()
        self.again_edit.clear()
        if self.new and passphrase != again:
            self._show_problem("The two passphrases differ.")
            return
        try:
            encryption.use_passphrase(self.url, passphrase)
        except PaoClinicError as exc:  # wrong, too short, ...
            self._show_problem(sentence(str(exc).split(": ", 1)[-1] if str(exc).startswith("passphrase: ")
                                        else str(exc)))
            return
        super().accept()

    def _show_problem(self, text: str) -> None:
        self.error_label.setText(text)
        self.error_label.show()
        self.adjustSize()  # room for the wrapped words
        self.passphrase_edit.setFocus()

    @classmethod
    def ask(cls, url: str, file_name: str, *, new: bool, parent: QWidget | None = None) -> bool:
        """True once the service has the right passphrase; False when the user cancels (tests replace this)."""
        dialog = cls(url, file_name, new=new, parent=parent)
        accepted = dialog.exec() == QDialog.DialogCode.Accepted
        dialog.deleteLater()
        return accepted


def ask_passphrase_if_needed(url: str, parent: QWidget | None = None) -> bool:
    """Before opening `url`: ask for an encrypted database's passphrase if it is not at hand. False if cancelled."""
    if not encryption.passphrase_is_needed(url):
        return True
    return PassphraseDialog.ask(url, encryption.database_file_name(url),
                                new=not encryption.database_file_exists(url), parent=parent)
