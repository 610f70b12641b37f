"""Where PAO Clinic keeps its files and which environment variables it reads.

One place for the core's settings that are not clinic settings: the environment
variables a user sets (database URL, user, password, an encrypted database's
passphrase, the backup folder), the default database file, the backup folder and the
log file. The CLI and the desktop both read them from here.
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Mapping

DATABASE_ENV = "PAO_CLINIC_DATABASE"
USER_ENV = "PAO_CLINIC_USER"
PASSWORD_ENV = "PAO_CLINIC_PASSWORD"
#: The passphrase of an encrypted (sqlcipher:///) database; else the CLI asks in the terminal, the desktop in a dialog.
PASSPHRASE_ENV = "PAO_CLINIC_PASSPHRASE"
#: The new passphrase for `pao-clinic rekey` (and for the new file of `pao-clinic encrypt`); else asked twice.
NEW_PASSPHRASE_ENV = "PAO_CLINIC_NEW_PASSPHRASE"
#: The folder for backups of an SQLite database; by default `backups/` beside the database file.
BACKUP_DIR_ENV = "PAO_CLINIC_BACKUP_DIR"

APP_NAME = "pao-clinic"


def default_database_file() -> Path:
    """The SQLite file in the user's data folder (e.g. ~/.local/share/pao-clinic/)."""
    from platformdirs import user_data_dir

    return Path(user_data_dir(APP_NAME, appauthor=False)) / "pao-clinic.sqlite"


def backup_folder(database_file: Path, environ: Mapping[str, str] | None = None) -> Path:
    """Where backups of the SQLite file go: PAO_CLINIC_BACKUP_DIR, else a `backups` folder beside the file."""
    environ = os.environ if environ is None else environ
    chosen = environ.get(BACKUP_DIR_ENV)
    if chosen:
        return Path(chosen).expanduser().absolute()
    return database_file.absolute().parent / "backups"


def log_file() -> Path:
    """The log of unexpected failures (e.g. ~/.local/state/pao-clinic/log/pao-clinic.log)."""
    from platformdirs import user_log_dir

    return Path(user_log_dir(APP_NAME, appauthor=False)) / "pao-clinic.log"


#: Environment variables whose values are secrets: never written to the log.
SECRET_ENVS = (PASSWORD_ENV, PASSPHRASE_ENV, NEW_PASSPHRASE_ENV, "PGPASSWORD")
#: Secrets typed in this process (an encrypted database's passphrase from a prompt): never written to the log.
_secrets_typed: set[str] = set()
_URL_PASSWORD = re.compile(r"(://[^/\s:@]*):[^\s/]*@")


def without_secrets(text: str, environ: Mapping[str, str] | None = None) -> str:
    """The text with every password masked: `scheme://user:***@` in URLs, the values of SECRET_ENVS, typed secrets."""
    environ = os.environ if environ is None else environ
    masked = _URL_PASSWORD.sub(r"\1:***@", text)
    secrets = {environ.get(name) for name in SECRET_ENVS} | _secrets_typed
    for secret in sorted(filter(None, secrets), key=len, reverse=True):
        masked = masked.replace(secret, "***")
    return masked


def keep_out_of_log(secret: str) -> None:
    """A secret given in this process (a passphrase typed at a prompt): masked like the SECRET_ENVS."""
    if secret:
        _secrets_typed.add(secret)


def append_to_log(text: str) -> Path:
    """Append the text, secrets masked, to the log; the folder is the owner's only (0700), the file 0600.

    Returns the log's path. A log that cannot be written is no reason to fail: the
    error is swallowed (the caller is already reporting a failure).
    """
    path = log_file()
    try:
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        os.chmod(path.parent, 0o700)
        descriptor = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
        with os.fdopen(descriptor, "a", encoding="utf-8") as log:
            os.fchmod(log.fileno(), 0o600)  # a log made by an earlier version was 0644
            log.write(without_secrets(text))
    except OSError:
        pass
    return path
