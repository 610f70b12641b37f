"""The `pao-clinic` command line.

Exit codes: 0 done; 2 bad input or refused (a message on stderr, no traceback);
1 unexpected failure (a short message; the traceback goes to the log file).

With no subcommand the desktop app opens: the launcher in `ui` passes
`open_desktop`, so this module never imports Qt.
"""

from __future__ import annotations

import argparse
import getpass
import json
import logging
import os
import sys
import traceback
from datetime import date, datetime, timezone
from pathlib import Path
from typing import Callable, Sequence

from pao_clinic.record import codes
from pao_clinic.record.dates import written_date
from pao_clinic.record.nhs_number import format_nhs_number, nhs_number_problem
from pao_clinic.storage.connection import close_database
from pao_clinic.storage.location import database_url_from
from pao_clinic.storage.opening import open_database
from pao_clinic.errors import AuthenticationError, DecisionRefused, PaoClinicError, ValidationError

from pao_clinic.environment import PASSWORD_ENV, USER_ENV, log_file
from pao_clinic.services.demo_setup import DEMO_PASSWORD, DEMO_USERS

log = logging.getLogger("pao_clinic")


class UsageError(PaoClinicError):
    """A command-line argument that is not understood."""


def _date_argument(option: str) -> Callable[[str], date]:
    def parse(text: str) -> date:
        try:
            return date.fromisoformat(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{option}: '{text}' is not a date; write it as YYYY-MM-DD") from None
    return parse


class _Parser(argparse.ArgumentParser):
    def error(self, message: str):  # exit 2 with our message, never a traceback
        self.print_usage(sys.stderr)
        raise UsageError(message)


def build_parser() -> argparse.ArgumentParser:
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--database", metavar="URL", default=argparse.SUPPRESS,
                        help="sqlite:///path or postgresql://user@host:port/db (default: $PAO_CLINIC_DATABASE, "
                             "else a file in your data folder)")
    common.add_argument("--user", metavar="NAME", default=argparse.SUPPRESS,
                        help=f"act as this user (default: ${USER_ENV}); password from ${PASSWORD_ENV} or a prompt")

    parser = _Parser(prog="pao-clinic", parents=[common],
                     description="PAO Clinic: case management for pregnancy-associated osteoporosis.")
    sub = parser.add_subparsers(dest="command", parser_class=_Parser, metavar="COMMAND")

    user = sub.add_parser("user", parents=[common], help="manage users")
    user_sub = user.add_subparsers(dest="user_command", parser_class=_Parser, metavar="ACTION", required=True)
    add = user_sub.add_parser("add", parents=[common], help="add a user (the first one, an admin, needs no sign-in)")
    add.add_argument("name")
    add.add_argument("--role", required=True, choices=codes.ROLES)
    add.add_argument("--display-name", metavar="TEXT")
    add.add_argument("--password-stdin", action="store_true", help="read the new password from standard input")
    user_sub.add_parser("list", parents=[common], help="list users")

    imp = sub.add_parser("import", parents=[common], help="import an exchange-format JSON file (all or nothing)")
    imp.add_argument("file", metavar="FILE")

    exp = sub.add_parser("export", parents=[common], help="export the caseload or one patient as exchange-format JSON")
    exp.add_argument("--patient", metavar="NHS_OR_HOSPITAL_NUMBER")
    exp.add_argument("-o", "--output", metavar="FILE", help="write to FILE instead of standard output")

    demo = sub.add_parser("demo", parents=[common], help="add a deterministic synthetic caseload")
    demo.add_argument("--patients", type=int, required=True, metavar="N")
    demo.add_argument("--seed", type=int, default=1, metavar="S")
    demo.add_argument("--today", type=_date_argument("--today"), metavar="DATE",
                      help="the date the caseload is built around (default: today)")
    demo.add_argument("-o", "--output", metavar="FILE", help="write the exchange document to FILE instead of the database")

    check = sub.add_parser("check", parents=[common], help="ask the medication gate about one drug for one patient")
    check.add_argument("--patient", required=True, metavar="NHS_OR_HOSPITAL_NUMBER")
    check.add_argument("--drug", required=True, metavar="CODE")
    check.add_argument("--on", type=_date_argument("--on"), metavar="DATE", help="decision date (default: today)")
    check.add_argument("--course-days", type=int, metavar="N", help="requested course length for PTH analogues")
    check.add_argument("--json", action="store_true", help="print JSON")

    decide = sub.add_parser("decide", parents=[common], help="record a treatment decision (consultants)")
    decide.add_argument("--patient", required=True, metavar="NHS_OR_HOSPITAL_NUMBER")
    decide.add_argument("--plan", required=True, choices=codes.DECISION_PLANS)
    decide.add_argument("--drug", metavar="CODE")
    decide.add_argument("--on", type=_date_argument("--on"), metavar="DATE")
    decide.add_argument("--reason", metavar="TEXT", help="the written reason for going against a soft stop")
    decide.add_argument("--review-on", type=_date_argument("--review-on"), metavar="DATE")
    decide.add_argument("--course-days", type=int, metavar="N")

    work = sub.add_parser("worklist", parents=[common], help="the nurse's tasks for the whole caseload")
    work.add_argument("--on", type=_date_argument("--on"), metavar="DATE")
    work.add_argument("--json", action="store_true")
    return parser


def _read_password(prompt: str) -> str:
    password = os.environ.get(PASSWORD_ENV)
    if password is not None:
        return password
    if not sys.stdin or not sys.stdin.isatty():
        raise AuthenticationError(f"no password: set {PASSWORD_ENV} or run the command in a terminal")
    return getpass.getpass(prompt)


def _sign_in(args):
    from pao_clinic.services import authenticate

    name = getattr(args, "user", None) or os.environ.get(USER_ENV)
    if not name:
        raise AuthenticationError(f"who is acting? give --user NAME or set {USER_ENV}")
    return authenticate(name, _read_password(f"Password for {name}: "))


def _write_output(text: str, output: str | None) -> None:
    if output:
        Path(output).write_text(text, encoding="utf-8")
    else:
        sys.stdout.write(text)


def _cmd_user(args) -> int:
    from pao_clinic.services import add_user, list_users, user_count

    if args.user_command == "list":
        _sign_in(args)
        for account in list_users():
            state = "" if account.active else "  (inactive)"
            print(f"{account.name:<24} {account.role:<11} {account.display_name}{state}")
        return 0
    if args.password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        if not sys.stdin.isatty():
            raise UsageError("give --password-stdin to read the new password from standard input")
        password = getpass.getpass(f"New password for {args.name}: ")
        if getpass.getpass("Again: ") != password:
            raise ValidationError("password: the two passwords differ")
    actor = None if user_count() == 0 else _sign_in(args)
    account = add_user(actor, args.name, role=args.role, password=password, display_name=args.display_name)
    print(f"added {account.role} '{account.name}' ({account.display_name})")
    return 0


def _cmd_import(args) -> int:
    from pao_clinic.exchange import read_document_text
    from pao_clinic.services import import_records

    actor = _sign_in(args)
    try:
        text = Path(args.file).read_text(encoding="utf-8")
    except OSError as exc:
        raise ValidationError(f"{args.file}: cannot read the file ({exc.strerror})") from None
    except UnicodeDecodeError as exc:
        raise ValidationError(f"{args.file}: not UTF-8 text (byte {exc.start})") from None
    records = read_document_text(text, today=date.today())
    ids = import_records(actor, records)
    print(f"imported {len(ids)} patient{'s' if len(ids) != 1 else ''} from {args.file}", file=sys.stderr)
    return 0


def _cmd_export(args) -> int:
    from pao_clinic.exchange import document_to_text
    from pao_clinic.services import export_document

    _sign_in(args)
    _write_output(document_to_text(export_document(args.patient)), args.output)
    return 0


def _cmd_demo(args) -> int:
    from pao_clinic.demo import demo_caseload
    from pao_clinic.exchange import document_from_records, document_to_text
    from pao_clinic.services import import_records, user_count
    from pao_clinic.services.demo_setup import load_demo_caseload

    if args.patients < 1:
        raise UsageError("--patients must be 1 or more")
    today = args.today or date.today()
    if args.output:
        records = demo_caseload(args.patients, seed=args.seed, today=today)
        doc = document_from_records(records, exported_at=datetime.now(timezone.utc).replace(microsecond=0))
        _write_output(document_to_text(doc), args.output)
        return 0
    if user_count() == 0:
        load_demo_caseload(args.patients, seed=args.seed, today=today)
        names = ", ".join(name for name, _role, _display in DEMO_USERS)
        print(f"demo caseload of {args.patients} patients loaded; demo users {names} "
              f"have the password '{DEMO_PASSWORD}'", file=sys.stderr)
        return 0
    actor = _sign_in(args)
    ids = import_records(actor, demo_caseload(args.patients, seed=args.seed, today=today))
    print(f"added {len(ids)} demo patients", file=sys.stderr)
    return 0


def _cmd_check(args) -> int:
    from pao_clinic.services import find_patient_id, gate_check

    _sign_in(args)
    result = gate_check(find_patient_id(args.patient), args.drug, args.on or date.today(),
                        course_days=args.course_days)
    print(json.dumps(result.to_json(), ensure_ascii=False, indent=2) if args.json else result.to_text())
    return 0


def _cmd_decide(args) -> int:
    from pao_clinic.services import find_patient_id, record_decision

    actor = _sign_in(args)
    decision = record_decision(actor, find_patient_id(args.patient), plan=args.plan, drug=args.drug,
                               on=args.on, reason=args.reason, review_on=args.review_on,
                               course_days=args.course_days)
    what = f"{decision.plan} {decision.drug}" if decision.drug else decision.plan
    print(f"recorded decision: {what} on {decision.decided_on.isoformat()} by {decision.by}")
    return 0


def _cmd_worklist(args) -> int:
    from pao_clinic.services import caseload_worklist

    _sign_in(args)
    tasks = caseload_worklist(args.on or date.today())
    if args.json:
        print(json.dumps([t.to_json() for t in tasks], ensure_ascii=False, indent=2))
    else:
        for t in tasks:
            patient = format_nhs_number(t.patient) if nhs_number_problem(t.patient) is None else t.patient
            print(f"{t.priority:<8} {written_date(t.due_on)}  {patient:<13} {t.code:<18} {t.message}")
        print(f"{len(tasks)} task{'s' if len(tasks) != 1 else ''}")
    return 0


_COMMANDS = {
    "user": _cmd_user, "import": _cmd_import, "export": _cmd_export, "demo": _cmd_demo,
    "check": _cmd_check, "decide": _cmd_decide, "worklist": _cmd_worklist,
}


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
            return open_desktop(url, args)
        open_database(url)
        try:
            return _COMMANDS[args.command](args)
        finally:
            close_database()
    except PaoClinicError as exc:
        _report_problems(exc)
        return 2
    except KeyboardInterrupt:
        print("interrupted; nothing more was done", file=sys.stderr)
        return 2
    except SystemExit as exc:  # --help
        return int(exc.code or 0)
    except Exception as exc:  # a bug: short message here, traceback in the log
        path = _log_traceback()
        print(f"unexpected failure: {type(exc).__name__}: {exc}. Details were written to {path}", file=sys.stderr)
        return 1


def _log_traceback() -> Path:
    path = log_file()
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("a", encoding="utf-8") as f:
            f.write(f"--- {datetime.now(timezone.utc).isoformat()} pao-clinic {' '.join(sys.argv[1:])}\n")
            f.write(traceback.format_exc())
    except OSError:
        pass
    return path


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
