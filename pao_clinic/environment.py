"""Where PAO Clinic keeps its files and which environment variables it reads.

One place for the core's settings that are not clinic settings: the environment
variables a user sets (database URL, user, password), the default database file and
the log file. The CLI and the desktop both read them from here.
"""

from __future__ import annotations

from pathlib import Path

DATABASE_ENV = "PAO_CLINIC_DATABASE"
USER_ENV = "PAO_CLINIC_USER"
PASSWORD_ENV = "PAO_CLINIC_PASSWORD"

APP_NAME = "pao-clinic"


def default_database_file() -> Path:
    """The SQLite file in the user's data folder (e.g. ~/.local/share/pao-clinic/)."""
    from platformdirs import user_data_dir

    return Path(user_data_dir(APP_NAME, appauthor=False)) / "pao-clinic.sqlite"


def log_file() -> Path:
    """The log of unexpected failures (e.g. ~/.local/state/pao-clinic/log/pao-clinic.log)."""
    from platformdirs import user_log_dir

    return Path(user_log_dir(APP_NAME, appauthor=False)) / "pao-clinic.log"
