"""`pao-clinic encrypt` and `pao-clinic rekey`: encrypted (SQLCipher) databases.

`encrypt --to FILE` makes an encrypted copy of the plain SQLite database named by
--database (an admin signs in); the original stays as it is until the clinic has
checked the copy and switched to `--database sqlcipher:///FILE`.  `rekey` changes an
encrypted database's passphrase in place.  The new passphrase comes from
PAO_CLINIC_NEW_PASSPHRASE or is asked twice in the terminal; an encrypted database's
current passphrase from PAO_CLINIC_PASSPHRASE or a hidden prompt
(`ask_passphrase_in_terminal`).
"""

from __future__ import annotations

import getpass
import os
import sys
from pathlib import Path

from pao_clinic.cli.arguments import UsageError, ask_twice, sign_in
from pao_clinic.environment import NEW_PASSPHRASE_ENV, PASSPHRASE_ENV


def add_commands(sub, common) -> dict:
    encrypt = sub.add_parser(
        "encrypt", parents=[common],
        help="an admin makes an encrypted (SQLCipher) copy of the SQLite database at --to FILE; the original is "
             f"left as it is; passphrase from ${NEW_PASSPHRASE_ENV} or asked twice")
    encrypt.add_argument("--to", required=True, metavar="FILE", help="the new encrypted database file (must not exist)")
    sub.add_parser(
        "rekey", parents=[common],
        help=f"an admin changes the passphrase of the encrypted database (sqlcipher:///PATH); the new one from "
             f"${NEW_PASSPHRASE_ENV} or asked twice")
    return {"encrypt": _cmd_encrypt, "rekey": _cmd_rekey}


def ask_passphrase_in_terminal(url: str) -> None:
    """For an encrypted database whose passphrase is not at hand: ask for it (hidden) when there is a terminal.

    A new encrypted file's passphrase is asked twice.  Without a terminal nothing is
    asked, and opening says which variable to set.
    """
    from pao_clinic.storage.location import parse_database_url

    if not parse_database_url(url).encrypted:  # (without importing the services for a plain database)
        return
    from pao_clinic.services.encryption import database_file_exists, passphrase_is_needed, use_passphrase

    if not passphrase_is_needed(url) or not sys.stdin or not sys.stdin.isatty():
        return
    file = parse_database_url(url).sqlite_file.absolute()
    if database_file_exists(url):
        use_passphrase(url, getpass.getpass(f"Passphrase for {file}: "))
    else:
        use_passphrase(url, ask_twice(f"Passphrase for the new encrypted database {file}: ", "passphrase", "passphrases"))


def read_new_passphrase(what: str) -> str:
    given = os.environ.get(NEW_PASSPHRASE_ENV)
    if given is not None:
        return given
    if not sys.stdin or not sys.stdin.isatty():
        raise UsageError(f"no new passphrase: set {NEW_PASSPHRASE_ENV} or run the command in a terminal")
    return ask_twice(f"New passphrase for {what}: ", "passphrase", "passphrases")


def _cmd_encrypt(args) -> int:
    from pao_clinic.services.encryption import encrypt_database

    actor = sign_in(args)
    target = Path(args.to)
    copy = encrypt_database(actor, target, read_new_passphrase(str(target.absolute())))
    print(f"wrote an encrypted copy of {copy.original} ({copy.rows} rows, checked) to {copy.encrypted}")
    print(f"use it with --database {copy.url} (passphrase from {PASSPHRASE_ENV} or asked at start); "
          f"{copy.original} is unchanged: once the copy is in use, delete the original and its backups, "
          "which are not encrypted")
    return 0


def _cmd_rekey(args) -> int:
    from pao_clinic.services.encryption import rekey_database
    from pao_clinic.storage.connection import bound_database_place

    actor = sign_in(args)
    file = rekey_database(actor, read_new_passphrase(bound_database_place()))
    print(f"changed the passphrase of {file}; backups made before keep the passphrase they were made with")
    return 0
