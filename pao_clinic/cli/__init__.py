"""The `pao-clinic` command line.

The commands live by group (`clinical`, `users`, ...), each module registering its own
parsers with `add_commands(sub, common)` and returning {command: handler}; a group whose
command opens no database itself (or must not be opened first) says so with
`runs_without_database(args)`.  What they share is in `arguments`.  Nothing here
imports the services at start, so `--help` is quick.

Exit codes: 0 done; 2 bad input or refused (a message on stderr, no traceback);
1 unexpected failure (a short message; the traceback goes to the log file).

With no subcommand the desktop app opens: the launcher in `ui` passes
`open_desktop`, so this module never imports Qt.

Only the ways of starting a clinic create a database: `init`, `user add` of the first
admin, and `demo` (which makes a demo clinic); on a missing SQLite file every other
command says "there is no PAO Clinic database at PATH" and exits 2, creating nothing.
A start that fails leaves no file or folder behind.  `demo -o FILE` opens no database.
"""


from __future__ import annotations

import argparse
import logging
import os
import sys
import traceback
from contextlib import nullcontext
from datetime import datetime, timezone
from pathlib import Path
from typing import Callable, Sequence

from pao_clinic.storage.file_check import start_quick_check
from pao_clinic.storage.location import database_url_from
from pao_clinic.errors import DecisionRefused, PaoClinicError, ValidationError
from pao_clinic.environment import PASSWORD_ENV, USER_ENV, append_to_log
from pao_clinic.cli import audit, backups, clinical, encryption, users
from pao_clinic.cli.arguments import (  # noqa: F401  (the names tests and scripts use as cli.*)
    CommandParser, PathError, UsageError, date_argument, drug_argument, patient_label, specialty_argument,
)
from pao_clinic.cli.clinical import LETTER_COMMANDS

log = logging.getLogger("pao_clinic")

#: The command groups, each adding its own subcommands (see the module docstring).
COMMAND_GROUPS = (users, clinical, audit, backups, encryption)


def build_parser() -> argparse.ArgumentParser:
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--database", metavar="URL", default=argparse.SUPPRESS,
                        help="sqlite:///path or postgresql://user@host:port/db (default: $PAO_CLINIC_DATABASE, "
                             "else a file in your data folder)")
    common.add_argument("--user", metavar="NAME", default=argparse.SUPPRESS,
                        help=f"act as this user (default: ${USER_ENV}); password from ${PASSWORD_ENV} or a prompt")

    parser = CommandParser(prog="pao-clinic", parents=[common],
                     description="PAO Clinic: case management for pregnancy-associated osteoporosis.")
    sub = parser.add_subparsers(dest="command", parser_class=CommandParser, metavar="COMMAND")

    sub.add_parser("init", parents=[common],
                   help="start a new clinic: create an empty PAO Clinic database at --database and say where")
    handlers = {}
    for group in COMMAND_GROUPS:
        handlers.update(group.add_commands(sub, common))
    parser.set_defaults(handlers=handlers)
    return parser


def _cmd_init(url: str) -> int:
    """Start a new clinic: an empty database at the current schema, and where it is."""
    from pao_clinic.storage.connection import close_database
    from pao_clinic.storage.migrations import CURRENT_SCHEMA_VERSION
    from pao_clinic.storage.opening import create_database, database_place, new_database_removed_on_failure

    with new_database_removed_on_failure(url):
        create_database(url)
        close_database()
    print(f"created an empty PAO Clinic database (schema version {CURRENT_SCHEMA_VERSION}) at "
          f"{database_place(url)}; add its first admin with `pao-clinic user add NAME --role admin`")
    return 0


def _starts_a_clinic(args, url: str) -> bool:
    """Whether this command may create the database: only `user add` of the first admin and `demo`.

    A missing database for any other command is refused by `open_database`.
    """
    from pao_clinic.storage.opening import NoDatabaseError, database_is_missing, database_place

    if not database_is_missing(url):
        return False
    if args.command == "user" and args.user_command == "add":
        if args.role != "admin":
            raise NoDatabaseError(database_place(url), hint=(
                "the first user must be an admin to start a clinic there (`pao-clinic user add NAME --role admin`), "
                "or run `pao-clinic init`; otherwise check --database (or PAO_CLINIC_DATABASE)"))
        return True
    return args.command == "demo"


def _report_problems(exc: PaoClinicError) -> None:
    if isinstance(exc, ValidationError):
        for problem in exc.problems:
            print(f"error: {problem}", file=sys.stderr)
    elif isinstance(exc, DecisionRefused):
        print(f"refused: {exc}", file=sys.stderr)
    else:
        print(f"error: {exc}", file=sys.stderr)


def main(argv: Sequence[str] | None = None,
         open_desktop: Callable[[str, argparse.Namespace], int] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    try:
        args = build_parser().parse_args(argv)
        url = database_url_from(getattr(args, "database", None))
        if args.command is None:
            if open_desktop is None:
                raise UsageError("give a command (see --help); the desktop app opens from the pao-clinic launcher")
            args.quick_check_under_way = start_quick_check(url)  # the file read while Qt and the window load
            return open_desktop(url, args)
        from pao_clinic.cli.encryption import ask_passphrase_in_terminal

        ask_passphrase_in_terminal(url)  # an encrypted (sqlcipher:///) database without PAO_CLINIC_PASSPHRASE
        if args.command == "init":
            return _cmd_init(url)
        if any(group.runs_without_database(args) for group in COMMAND_GROUPS
               if hasattr(group, "runs_without_database")):
            return args.handlers[args.command](args)
        under_way = start_quick_check(url)  # the whole file read on its own thread, while the command loads
        from pao_clinic.storage.connection import close_database
        from pao_clinic.storage.opening import database_place, new_database_removed_on_failure, open_database

        import pao_clinic.services  # noqa: F401  (what every command uses, imported during the check)
        if args.command in LETTER_COMMANDS:
            from pao_clinic.letters import check_templates

            check_templates()  # a broken template stops here, naming its file and placeholder
        creating = _starts_a_clinic(args, url)
        with new_database_removed_on_failure(url) if creating else nullcontext():
            open_database(url, create=creating, quick_check_under_way=under_way)  # (waits for the check's answer)
            try:
                code = args.handlers[args.command](args)
            finally:
                close_database()
        if creating:
            print(f"created a new PAO Clinic database at {database_place(url)}", file=sys.stderr)
        return code
    except PaoClinicError as exc:
        _report_problems(exc)
        return 2
    except KeyboardInterrupt:
        print("interrupted; nothing more was done", file=sys.stderr)
        return 2
    except BrokenPipeError:  # the reader went away (`| head`): not a failure of ours
        try:
            sys.stdout = open(os.devnull, "w", encoding="utf-8")
        except OSError:
            pass
        return 0
    except SystemExit as exc:  # --help
        return int(exc.code or 0)
    except Exception as exc:  # a bug: short message here, traceback in the log
        path = _log_traceback()
        print(f"unexpected failure: {type(exc).__name__}: {exc}. Details were written to {path}", file=sys.stderr)
        return 1


def _log_traceback() -> Path:
    """The failure's traceback in the log (secrets masked, the owner's only); returns the log's path."""
    return append_to_log(f"--- {datetime.now(timezone.utc).isoformat()} pao-clinic {' '.join(sys.argv[1:])}\n"
                         + traceback.format_exc())


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
