"""The `pao-clinic` command line.

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
import getpass
import json
import logging
import os
import re
import sys
import traceback
from contextlib import nullcontext
from datetime import date, datetime, timezone
from pathlib import Path
from typing import Callable, Sequence

from pao_clinic.record import codes
from pao_clinic.record.dates import written_date
from pao_clinic.record.nhs_number import format_nhs_number, nhs_number_problem
from pao_clinic.storage.connection import close_database
from pao_clinic.storage.location import database_url_from
from pao_clinic.storage.migrations import CURRENT_SCHEMA_VERSION
from pao_clinic.storage.opening import (
    NoDatabaseError, create_database, database_is_missing, database_place, new_database_removed_on_failure,
    open_database,
)
from pao_clinic.errors import AuthenticationError, DecisionRefused, PaoClinicError, ValidationError

from pao_clinic.environment import PASSWORD_ENV, USER_ENV, append_to_log, log_file
from pao_clinic.services.demo_setup import DEMO_PASSWORD, DEMO_USERS

log = logging.getLogger("pao_clinic")


class UsageError(PaoClinicError):
    """A command-line argument that is not understood."""


class PathError(PaoClinicError):
    """A file the user named that cannot be read or written (bad input: exit 2)."""


_MONTH_NAMES = ("January", "February", "March", "April", "May", "June", "July", "August", "September",
                "October", "November", "December")
_ISO_DATE = re.compile(r"(\d{4})-(\d{2})-(\d{2})")


def date_argument(text: str) -> date:
    """A date written YYYY-MM-DD; a day that is not in the calendar is named as such.

    argparse puts "argument --on: " in front of the message, so it does not name the option.
    """
    match = _ISO_DATE.fullmatch(text.strip())
    if match is None:
        raise argparse.ArgumentTypeError(f"'{text}' is not a date; write it as YYYY-MM-DD")
    year, month, day = (int(part) for part in match.groups())
    if not 1 <= month <= 12:
        raise argparse.ArgumentTypeError(f"'{text}': there is no month {month}; months run from 01 to 12")
    try:
        return date(year, month, day)
    except ValueError:
        if year < 1:
            raise argparse.ArgumentTypeError(f"'{text}': there is no year 0") from None
        raise argparse.ArgumentTypeError(f"{day} {_MONTH_NAMES[month - 1]} {year} does not exist") from None


def drug_argument(text: str) -> str:
    """A drug by its code (`alendronate`) or its name as the desktop shows it (`alendronic acid`)."""
    wanted = " ".join(text.replace("_", " ").split()).casefold()
    for code, name in codes.DRUG_NAMES.items():
        if wanted in (code.replace("_", " ").casefold(), name.casefold()):
            return code
    choices = "; ".join(f"{code} ({name})" for code, name in codes.DRUG_NAMES.items())
    raise argparse.ArgumentTypeError(f"'{text}' is not a drug code or name; use one of: {choices}")


def specialty_argument(text: str) -> str:
    """A specialty by its code (`mental_health`, `mental-health`) or its name (`perinatal mental health`)."""
    from pao_clinic.letters.content import SPECIALTY_NAMES

    wanted = " ".join(text.replace("_", " ").replace("-", " ").split()).casefold()
    for code in codes.SPECIALTIES:
        if wanted in (code.replace("_", " "), SPECIALTY_NAMES[code].casefold()):
            return code
    raise argparse.ArgumentTypeError(f"'{text}' is not a specialty; use one of: {', '.join(codes.SPECIALTIES)}")


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

    sub.add_parser("init", parents=[common],
                   help="start a new clinic: create an empty PAO Clinic database at --database and say where")

    demo = sub.add_parser("demo", parents=[common],
                          help="a deterministic synthetic caseload: into a new or empty database (which becomes a "
                               "demo, with demo users), into a demo database, or to a file with -o; never into "
                               "a real caseload")
    demo.add_argument("--patients", type=int, required=True, metavar="N")
    demo.add_argument("--seed", type=int, default=1, metavar="S")
    demo.add_argument("--today", type=date_argument, metavar="DATE",
                      help="the date the caseload is built around (default: today)")
    demo.add_argument("-o", "--output", metavar="FILE", help="write the exchange document to FILE instead of the database")

    check = sub.add_parser("check", parents=[common], help="ask the medication gate about one drug for one patient")
    check.add_argument("--patient", required=True, metavar="NHS_OR_HOSPITAL_NUMBER")
    check.add_argument("--drug", required=True, type=drug_argument, metavar="DRUG",
                       help="the drug's code (alendronate) or name (\"alendronic acid\")")
    check.add_argument("--on", type=date_argument, metavar="DATE", help="decision date (default: today)")
    check.add_argument("--course-days", type=int, metavar="N", help="requested course length for PTH analogues")
    check.add_argument("--json", action="store_true", help="print JSON")

    decide = sub.add_parser("decide", parents=[common], help="record a treatment decision (consultants)")
    decide.add_argument("--patient", required=True, metavar="NHS_OR_HOSPITAL_NUMBER")
    decide.add_argument("--plan", required=True, choices=codes.DECISION_PLANS)
    decide.add_argument("--drug", type=drug_argument, metavar="DRUG", help="the drug's code or name")
    decide.add_argument("--on", type=date_argument, metavar="DATE")
    decide.add_argument("--reason", metavar="TEXT", help="the written reason for going against a soft stop")
    decide.add_argument("--review-on", type=date_argument, metavar="DATE")
    decide.add_argument("--course-days", type=int, metavar="N")

    work = sub.add_parser("worklist", parents=[common], help="the nurse's tasks for the whole caseload")
    work.add_argument("--on", type=date_argument, metavar="DATE")
    work.add_argument("--json", action="store_true")

    refer = sub.add_parser("refer", parents=[common], help="make a draft referral and print its id")
    refer.add_argument("--patient", required=True, metavar="NHS_OR_HOSPITAL_NUMBER")
    refer.add_argument("--to", required=True, type=specialty_argument, metavar="SPECIALTY",
                       help=f"one of {', '.join(codes.SPECIALTIES)}")
    refer.add_argument("--urgency", required=True, choices=codes.URGENCIES)
    refer.add_argument("--reason", required=True, metavar="TEXT", help="the reason for referral and the question asked")

    letter = sub.add_parser("letter", parents=[common],
                            help="her referral letter as a PDF: a DRAFT, or issued with --issue")
    letter.add_argument("--patient", required=True, metavar="NHS_OR_HOSPITAL_NUMBER")
    which = letter.add_mutually_exclusive_group(required=True)
    which.add_argument("--referral", type=int, metavar="N", help="the referral's id (as `refer` printed it)")
    which.add_argument("--to", type=specialty_argument, metavar="SPECIALTY",
                       help="her latest open referral to this specialty (a draft is made when there is none)")
    letter.add_argument("--reason", metavar="TEXT", help="with --to: the reason for a new draft referral")
    letter.add_argument("--urgency", choices=codes.URGENCIES, help="with --to: a new draft referral's urgency "
                                                                    "(default routine)")
    letter.add_argument("--issue", action="store_true",
                        help="issue it: store it, mark the referral sent (refused without an address or number)")
    letter.add_argument("-o", "--output", required=True, metavar="FILE.pdf")

    letters = sub.add_parser("letters", parents=[common], help="letters for many referrals at once")
    letters.add_argument("--due", action="store_true", required=True,
                         help="every draft referral's letter, as a DRAFT PDF")
    letters.add_argument("-o", "--output", required=True, metavar="DIR", help="the folder the PDFs are written to")

    summary = sub.add_parser("summary", parents=[common],
                             help="her patient summary as a PDF (timeline, tables, decisions, open tasks)")
    summary.add_argument("--patient", required=True, metavar="NHS_OR_HOSPITAL_NUMBER")
    summary.add_argument("-o", "--output", required=True, metavar="FILE.pdf")

    settings = sub.add_parser("settings", parents=[common], help="the clinic's details that letters print (admins)")
    settings_sub = settings.add_subparsers(dest="settings_command", parser_class=_Parser, metavar="WHAT",
                                           required=True)
    head = settings_sub.add_parser("letterhead", parents=[common], help="the clinic's letterhead (all of it)")
    head.add_argument("--name", required=True, metavar="TEXT")
    head.add_argument("--address", required=True, metavar="TEXT", help="lines separated by commas or new lines")
    head.add_argument("--phone", required=True, metavar="TEXT")
    head.add_argument("--email", required=True, metavar="TEXT")
    head.add_argument("--logo", metavar="FILE", help="a PNG or JPEG image (without it, the letterhead has no logo)")
    book = settings_sub.add_parser("address-book", parents=[common],
                                   help="where one specialty's referral letters go")
    book.add_argument("--specialty", required=True, type=specialty_argument, metavar="SPEC")
    book.add_argument("--address", required=True, metavar="TEXT", help="lines separated by commas or new lines")
    book.add_argument("--department", metavar="TEXT",
                      help="the department's name (default: the specialty's department)")
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


def _path_reason(exc: OSError, path: Path) -> str:
    """Why a path the user gave cannot be used, in words."""
    if isinstance(exc, FileNotFoundError):
        return "there is no such file" if path.parent.is_dir() else "the folder does not exist"
    if isinstance(exc, IsADirectoryError):
        return "it is a folder, not a file"
    if isinstance(exc, NotADirectoryError):
        return "part of the path is a file, not a folder"
    if isinstance(exc, PermissionError):
        return "permission denied"
    words = exc.strerror or str(exc)
    return words[:1].lower() + words[1:]


def _write_output(text: str | bytes, output: str | None) -> None:
    """The text (or a PDF's bytes) to FILE, whole or not at all: written aside, then moved into place;
    else to stdout."""
    if not output or output == "-":
        if isinstance(text, bytes):
            sys.stdout.flush()
            sys.stdout.buffer.write(text)
        else:
            sys.stdout.write(text)
        return
    path = Path(output)
    if path.is_dir():
        raise PathError(f"cannot write {output}: it is a folder, not a file")
    partial = path.with_name(f".{path.name}.{os.getpid()}.partial")
    try:
        if isinstance(text, bytes):
            with partial.open("xb") as f:
                f.write(text)
        else:
            with partial.open("x", encoding="utf-8") as f:
                f.write(text)
        os.replace(partial, path)
    except OSError as exc:
        try:
            partial.unlink(missing_ok=True)
        except OSError:
            pass
        raise PathError(f"cannot write {output}: {_path_reason(exc, path)}") from None


def _read_input(file: str) -> str:
    """A UTF-8 text file the user named."""
    path = Path(file)
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise PathError(f"cannot read {file}: {_path_reason(exc, path)}") from None
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise PathError(f"cannot read {file}: it is not UTF-8 text (byte {exc.start} is 0x{data[exc.start]:02x}); "
                        "save it as UTF-8") from None


def patient_label(family_name: str, given_name: str, nhs_number: str | None, hospital_number: str | None) -> str:
    """Her name as NHS banners write it, with the number she is known by: `NÍ BHRIAIN, Siobhán (NHS 943 476 5919)`."""
    if nhs_number:
        number = f"NHS {format_nhs_number(nhs_number)}"
    elif hospital_number:
        number = f"hospital no. {hospital_number}"
    else:
        number = "no number"
    return f"{family_name.upper()}, {given_name} ({number})"


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
    from pao_clinic.services import import_records, never_issued_number_warnings

    actor = _sign_in(args)
    records = read_document_text(_read_input(args.file), today=date.today())
    ids = import_records(actor, records)
    for warning in never_issued_number_warnings(records):  # imported, but a real caseload should check them
        print(f"warning: {warning}", file=sys.stderr)
    print(f"imported {len(ids)} patient{'s' if len(ids) != 1 else ''} from {args.file}", file=sys.stderr)
    return 0


def _cmd_export(args) -> int:
    from pao_clinic.exchange import document_to_text
    from pao_clinic.services import export_document

    _sign_in(args)
    _write_output(document_to_text(export_document(args.patient)), args.output)
    return 0


def _check_demo_count(args) -> None:
    if args.patients < 1:
        raise UsageError("--patients must be 1 or more")


def _cmd_demo_document(args) -> int:
    """`demo -o FILE`: the synthetic caseload as an exchange document; no database is opened."""
    from pao_clinic.demo import demo_caseload
    from pao_clinic.exchange import document_from_records, document_to_text

    _check_demo_count(args)
    records = demo_caseload(args.patients, seed=args.seed, today=args.today or date.today())
    doc = document_from_records(records, exported_at=datetime.now(timezone.utc).replace(microsecond=0))
    _write_output(document_to_text(doc), args.output)
    return 0


def _cmd_demo(args) -> int:
    from pao_clinic.services import patient_count, user_count
    from pao_clinic.services.demo_setup import add_demo_patients, load_demo_caseload, refuse_unless_demo_database

    _check_demo_count(args)
    today = args.today or date.today()
    if user_count() == 0 and patient_count() == 0:
        load_demo_caseload(args.patients, seed=args.seed, today=today)
        names = ", ".join(name for name, _role, _display in DEMO_USERS)
        print(f"demo caseload of {args.patients} patients loaded; demo users {names} "
              f"have the password '{DEMO_PASSWORD}'", file=sys.stderr)
        return 0
    refuse_unless_demo_database()  # before anyone is asked for a password
    actor = _sign_in(args)
    ids = add_demo_patients(actor, args.patients, seed=args.seed, today=today)
    print(f"added {len(ids)} demo patients", file=sys.stderr)
    return 0


def _cmd_check(args) -> int:
    from pao_clinic.services import find_patient_id, gate_check, load_patient_record

    _sign_in(args)
    patient_id = find_patient_id(args.patient)
    result = gate_check(patient_id, args.drug, args.on or date.today(), course_days=args.course_days)
    if args.json:
        print(json.dumps(result.to_json(), ensure_ascii=False, indent=2))
        return 0
    record = load_patient_record(patient_id)
    label = patient_label(record.family_name, record.given_name, record.nhs_number, record.hospital_number)
    heading, *rest = result.to_text().splitlines()
    named = heading.replace(f" for patient {result.patient} ", f" for {label} ", 1)
    lines = [named, *rest] if named != heading else [heading, f"Patient: {label}", *rest]
    print("\n".join(lines))
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
    from pao_clinic.services import caseload_overview, caseload_worklist

    _sign_in(args)
    on = args.on or date.today()
    if args.json:
        print(json.dumps([t.to_json() for t in caseload_worklist(on)], ensure_ascii=False, indent=2))
        return 0
    overview = caseload_overview(on)
    # a task names her by the number she is known by: NHS number, else hospital number
    names = {(row.nhs_number.replace(" ", "") or row.hospital_number): (row.family_name, row.given_name)
             for row in overview.rows}
    for t in overview.tasks:
        family, given = names.get(t.patient, ("", ""))
        is_nhs = nhs_number_problem(t.patient) is None
        label = patient_label(family, given, t.patient if is_nhs else None, None if is_nhs else t.patient)
        print(f"{t.priority:<8} {written_date(t.due_on)}  {label:<44} {t.code:<18} {t.message}")
    count = len(overview.tasks)
    print(f"{count} task{'s' if count != 1 else ''}")
    return 0


def _her_label(record) -> str:
    return patient_label(record.family_name, record.given_name, record.nhs_number, record.hospital_number)


def _specialty_words(specialty: str) -> str:
    from pao_clinic.letters.content import SPECIALTY_NAMES

    return SPECIALTY_NAMES[specialty].lower()


def _cmd_refer(args) -> int:
    from pao_clinic.services import find_patient_id, load_patient_record
    from pao_clinic.services.letters import new_referral

    actor = _sign_in(args)
    patient_id = find_patient_id(args.patient)
    referral = new_referral(actor, patient_id, specialty=args.to, urgency=args.urgency, reason=args.reason)
    print(referral.id)
    print(f"draft {referral.urgency} referral {referral.id} to {_specialty_words(referral.specialty)} for "
          f"{_her_label(load_patient_record(patient_id))}; write its letter with "
          f"`pao-clinic letter --patient {args.patient} --referral {referral.id} -o FILE.pdf`", file=sys.stderr)
    return 0


def _print_missing(missing) -> None:
    for item in missing:
        print(f"missing: {item}", file=sys.stderr)


def _cmd_letter(args) -> int:
    from pao_clinic.services import find_patient_id, load_patient_record
    from pao_clinic.services.letters import prepare_letter

    if args.referral is not None and (args.reason is not None or args.urgency is not None):
        raise UsageError("--reason and --urgency go with --to (a new draft referral); "
                         "a referral given by --referral keeps its own")
    actor = _sign_in(args)
    patient_id = find_patient_id(args.patient)
    prepared = prepare_letter(actor, patient_id, referral_id=args.referral, specialty=args.to, reason=args.reason,
                              urgency=args.urgency, issue=args.issue)
    _write_output(prepared.pdf, args.output)
    referral, label = prepared.referral, _her_label(load_patient_record(patient_id))
    if prepared.referral_created:
        print(f"made draft {referral.urgency} referral {referral.id} to {_specialty_words(referral.specialty)}",
              file=sys.stderr)
    if prepared.document_id is not None:
        print(f"issued the letter for referral {referral.id} ({_specialty_words(referral.specialty)}) for {label} "
              f"as document {prepared.document_id}; the referral is sent on {written_date(referral.sent_on)}. "
              f"Written to {args.output}", file=sys.stderr)
        _print_missing(prepared.missing)
    else:
        print(f"wrote the DRAFT letter for referral {referral.id} ({_specialty_words(referral.specialty)}, "
              f"{referral.status}) for {label} to {args.output}", file=sys.stderr)
        _print_missing(prepared.missing)
    return 0


def _safe_file_part(text: str) -> str:
    """Words for a file name: ASCII letters and digits joined by dashes (`Inês Begum` -> `ines-begum`)."""
    import unicodedata

    ascii_text = unicodedata.normalize("NFKD", text.replace("ł", "l").replace("Ł", "L").replace("ß", "ss"))
    ascii_text = ascii_text.encode("ascii", "ignore").decode("ascii").lower()
    return re.sub(r"[^a-z0-9]+", "-", ascii_text).strip("-") or "patient"


def _letters_folder(output: str) -> Path:
    folder = Path(output)
    if folder.exists() and not folder.is_dir():
        raise PathError(f"cannot write into {output}: it is a file, not a folder")
    try:
        folder.mkdir(exist_ok=True)
    except OSError as exc:
        raise PathError(f"cannot make the folder {output}: {_path_reason(exc, folder)}") from None
    return folder


def _cmd_letters(args) -> int:
    from pao_clinic.services.letters import draft_letter, due_letters

    actor = _sign_in(args)
    folder = _letters_folder(args.output)
    due = due_letters(actor)
    blocked = 0
    for n, letter in enumerate(due, start=1):
        heading = f"{letter.family_name.upper()}, {letter.given_name}"
        print(f"{n}/{len(due)} {heading}: {_specialty_words(letter.specialty)}", file=sys.stderr)
        pdf, missing = draft_letter(actor, letter.patient_id, letter.referral_id)
        blocked += any(item.blocks_issue for item in missing)
        name = (f"{_safe_file_part(letter.family_name)}-{_safe_file_part(letter.given_name)}-"
                f"{_safe_file_part(letter.specialty)}-referral-{letter.referral_id}.pdf")
        _write_output(pdf, str(folder / name))
    count = len(due)
    print(f"wrote {count} draft letter{'s' if count != 1 else ''} to {folder}"
          + (f"; {blocked} cannot be issued yet (no recipient address, or no NHS or hospital number)"
             if blocked else ""), file=sys.stderr)
    return 0


def _cmd_summary(args) -> int:
    from pao_clinic.services import find_patient_id, load_patient_record
    from pao_clinic.services.letters import summary_pdf

    actor = _sign_in(args)
    patient_id = find_patient_id(args.patient)
    _write_output(summary_pdf(actor, patient_id), args.output)
    print(f"wrote the patient summary for {_her_label(load_patient_record(patient_id))} to {args.output}",
          file=sys.stderr)
    return 0


def _cmd_settings(args) -> int:
    from pao_clinic.services.clinic_details import set_letterhead, set_referral_address

    actor = _sign_in(args)
    if args.settings_command == "letterhead":
        head = set_letterhead(actor, name=args.name, address=args.address, phone=args.phone, email=args.email,
                              logo=args.logo)
        print(f"letterhead set: {head.name}, {head.address.replace(chr(10), ', ')}, telephone {head.phone}, "
              f"{head.email}" + (f", logo {head.logo_path}" if head.logo_path else ", no logo"))
        return 0
    entry = set_referral_address(actor, args.specialty, args.address, department=args.department)
    print(f"{_specialty_words(args.specialty)} letters go to {entry.department}, "
          f"{(entry.address or '').replace(chr(10), ', ')}")
    return 0


def _cmd_init(url: str) -> int:
    """Start a new clinic: an empty database at the current schema, and where it is."""
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
    if not database_is_missing(url):
        return False
    if args.command == "user" and args.user_command == "add":
        if args.role != "admin":
            raise NoDatabaseError(database_place(url), hint=(
                "the first user must be an admin to start a clinic there (`pao-clinic user add NAME --role admin`), "
                "or run `pao-clinic init`; otherwise check --database (or PAO_CLINIC_DATABASE)"))
        return True
    return args.command == "demo"


_COMMANDS = {
    "user": _cmd_user, "import": _cmd_import, "export": _cmd_export, "demo": _cmd_demo,
    "check": _cmd_check, "decide": _cmd_decide, "worklist": _cmd_worklist,
    "refer": _cmd_refer, "letter": _cmd_letter, "letters": _cmd_letters, "summary": _cmd_summary,
    "settings": _cmd_settings,
}
#: Commands that write letters: the letter templates are checked before they start.
LETTER_COMMANDS = frozenset({"refer", "letter", "letters"})


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
        if args.command == "init":
            return _cmd_init(url)
        if args.command == "demo" and args.output:
            return _cmd_demo_document(args)
        if args.command in LETTER_COMMANDS:
            from pao_clinic.letters import check_templates

            check_templates()  # a broken template stops here, naming its file and placeholder
        creating = _starts_a_clinic(args, url)
        with new_database_removed_on_failure(url) if creating else nullcontext():
            open_database(url, create=creating)
            try:
                code = _COMMANDS[args.command](args)
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
