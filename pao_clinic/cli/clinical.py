"""The clinical commands: import, export, demo, the gate, the worklist, referrals, letters, settings.

Each command imports the services it uses when it runs, so starting the CLI stays cheap.
"""

from __future__ import annotations

import json
import re
import sys
from datetime import date, datetime, timezone
from pathlib import Path

from pao_clinic.record import codes
from pao_clinic.record.dates import written_date
from pao_clinic.record.nhs_number import nhs_number_problem
from pao_clinic.cli.arguments import (
    CommandParser, PathError, UsageError, date_argument, drug_argument, path_reason, patient_label, read_input, sign_in,
    specialty_argument, write_output,
)

#: Commands that write letters: the letter templates are checked before they start.
LETTER_COMMANDS = frozenset({"refer", "letter", "letters"})


def runs_without_database(args) -> bool:
    """`demo -o FILE` writes a document and opens no database."""
    return args.command == "demo" and bool(args.output)


def add_commands(sub, common) -> dict:
    imp = sub.add_parser("import", parents=[common], help="import an exchange-format JSON file (all or nothing)")
    imp.add_argument("file", metavar="FILE")

    exp = sub.add_parser("export", parents=[common], help="export the caseload or one patient as exchange-format JSON")
    exp.add_argument("--patient", metavar="NHS_OR_HOSPITAL_NUMBER")
    exp.add_argument("-o", "--output", metavar="FILE", help="write to FILE instead of standard output")

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
    settings_sub = settings.add_subparsers(dest="settings_command", parser_class=CommandParser, metavar="WHAT",
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
    return {
        "import": _cmd_import, "export": _cmd_export, "demo": _cmd_demo,
        "check": _cmd_check, "decide": _cmd_decide, "worklist": _cmd_worklist,
        "refer": _cmd_refer, "letter": _cmd_letter, "letters": _cmd_letters, "summary": _cmd_summary,
        "settings": _cmd_settings,
    }


def _cmd_import(args) -> int:
    from pao_clinic.exchange import read_document_text
    from pao_clinic.services import import_records, never_issued_number_warnings

    actor = sign_in(args)
    records = read_document_text(read_input(args.file), today=date.today())
    ids = import_records(actor, records)
    for warning in never_issued_number_warnings(records):  # imported, but a real caseload should check them
        print(f"warning: {warning}", file=sys.stderr)
    print(f"imported {len(ids)} patient{'s' if len(ids) != 1 else ''} from {args.file}", file=sys.stderr)
    return 0


def _cmd_export(args) -> int:
    from pao_clinic.exchange import document_to_bytes
    from pao_clinic.services import export_document

    actor = sign_in(args)
    write_output(document_to_bytes(export_document(args.patient, actor=actor)), args.output)  # audited
    return 0


def _check_demo_count(args) -> None:
    if args.patients < 1:
        raise UsageError("--patients must be 1 or more")


def _cmd_demo_document(args) -> int:
    """`demo -o FILE`: the synthetic caseload as an exchange document; no database is opened."""
    from pao_clinic.demo import demo_caseload
    from pao_clinic.exchange import document_from_records, document_to_bytes

    _check_demo_count(args)
    records = demo_caseload(args.patients, seed=args.seed, today=args.today or date.today())
    doc = document_from_records(records, exported_at=datetime.now(timezone.utc).replace(microsecond=0))
    write_output(document_to_bytes(doc), args.output)
    return 0


def _cmd_demo(args) -> int:
    if args.output:
        return _cmd_demo_document(args)
    from pao_clinic.services import patient_count, user_count
    from pao_clinic.services.demo_setup import (
        DEMO_PASSWORD, DEMO_USERS, add_demo_patients, load_demo_caseload, refuse_unless_demo_database,
    )

    _check_demo_count(args)
    today = args.today or date.today()
    if user_count() == 0 and patient_count() == 0:
        load_demo_caseload(args.patients, seed=args.seed, today=today)
        names = ", ".join(name for name, _role, _display in DEMO_USERS)
        print(f"demo caseload of {args.patients} patients loaded; demo users {names} "
              f"have the password '{DEMO_PASSWORD}'", file=sys.stderr)
        return 0
    refuse_unless_demo_database()  # before anyone is asked for a password
    actor = sign_in(args)
    ids = add_demo_patients(actor, args.patients, seed=args.seed, today=today)
    print(f"added {len(ids)} demo patients", file=sys.stderr)
    return 0


def _cmd_check(args) -> int:
    from pao_clinic.services import find_patient_id, gate_check, load_patient_record

    sign_in(args)
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

    actor = sign_in(args)
    decision = record_decision(actor, find_patient_id(args.patient), plan=args.plan, drug=args.drug,
                               on=args.on, reason=args.reason, review_on=args.review_on,
                               course_days=args.course_days)
    what = f"{decision.plan} {decision.drug}" if decision.drug else decision.plan
    print(f"recorded decision: {what} on {decision.decided_on.isoformat()} by {decision.by}")
    return 0


def _cmd_worklist(args) -> int:
    from pao_clinic.services import caseload_overview, caseload_worklist

    sign_in(args)
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

    actor = sign_in(args)
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
    actor = sign_in(args)
    patient_id = find_patient_id(args.patient)
    prepared = prepare_letter(actor, patient_id, referral_id=args.referral, specialty=args.to, reason=args.reason,
                              urgency=args.urgency, issue=args.issue)
    write_output(prepared.pdf, args.output)
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
        raise PathError(f"cannot make the folder {output}: {path_reason(exc, folder)}") from None
    return folder


def _cmd_letters(args) -> int:
    from pao_clinic.services.letters import draft_letters, due_letters

    actor = sign_in(args)
    folder = _letters_folder(args.output)
    due = due_letters(actor)
    blocked = 0
    drafts = draft_letters(actor, due)  # the settings read once, the records fifty women at a time
    for n, letter in enumerate(due, start=1):
        heading = f"{letter.family_name.upper()}, {letter.given_name}"
        print(f"{n}/{len(due)} {heading}: {_specialty_words(letter.specialty)}", file=sys.stderr)
        _letter, pdf, missing = next(drafts)
        blocked += any(item.blocks_issue for item in missing)
        name = (f"{_safe_file_part(letter.family_name)}-{_safe_file_part(letter.given_name)}-"
                f"{_safe_file_part(letter.specialty)}-referral-{letter.referral_id}.pdf")
        write_output(pdf, str(folder / name))
    count = len(due)
    print(f"wrote {count} draft letter{'s' if count != 1 else ''} to {folder}"
          + (f"; {blocked} cannot be issued yet (no recipient address, or no NHS or hospital number)"
             if blocked else ""), file=sys.stderr)
    return 0


def _cmd_summary(args) -> int:
    from pao_clinic.services import find_patient_id, load_patient_record
    from pao_clinic.services.letters import summary_pdf

    actor = sign_in(args)
    patient_id = find_patient_id(args.patient)
    write_output(summary_pdf(actor, patient_id), args.output)
    print(f"wrote the patient summary for {_her_label(load_patient_record(patient_id))} to {args.output}",
          file=sys.stderr)
    return 0


def _cmd_settings(args) -> int:
    from pao_clinic.services.clinic_details import set_letterhead, set_referral_address

    actor = sign_in(args)
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

