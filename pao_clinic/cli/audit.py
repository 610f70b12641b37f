"""`pao-clinic audit`: verify the audit trail's hash chain, and export it as CSV (an admin's commands).

    pao-clinic audit verify
    pao-clinic audit export [--from DATE] [--to DATE] [--patient ID] [--by NAME] [--action ACTION] -o FILE.csv

`verify` walks every entry in order (the first entry altered, removed or written
outside PAO Clinic is named) and compares every account with its last audited state
(a role or account changed in SQL shows): exit 0 when the chain is whole, 2 when not.
`export` writes one CSV row per entry (columns in `--help`), whole or not at all, and
audits the export.
"""

from __future__ import annotations

import argparse

from pao_clinic.record.audit_csv import columns_help
from pao_clinic.cli.arguments import CommandParser, date_argument, sign_in, write_output


def add_commands(sub, common) -> dict:
    audit = sub.add_parser("audit", parents=[common], help="verify or export the audit trail (an admin)")
    audit_sub = audit.add_subparsers(dest="audit_command", parser_class=CommandParser, metavar="ACTION",
                                     required=True)
    audit_sub.add_parser(
        "verify", parents=[common],
        help="check the audit's hash chain and that no account was changed outside PAO Clinic (exit 0 whole, 2 not)")
    export = audit_sub.add_parser(
        "export", parents=[common], formatter_class=argparse.RawDescriptionHelpFormatter,
        help="the audit entries of a range of days as CSV (subject-access and governance requests)",
        description="One row per audit entry, oldest first; times in UTC; safe to open in Excel\n"
                    "(a cell starting = + - @ gets a leading '). The export is itself audited.",
        epilog=columns_help())
    export.add_argument("--from", dest="from_day", type=date_argument, metavar="DATE",
                        help="the first day (YYYY-MM-DD, this computer's local day; default: the first entry)")
    export.add_argument("--to", dest="to_day", type=date_argument, metavar="DATE",
                        help="the last day, included (default: today's entries too)")
    export.add_argument("--patient", metavar="NHS_OR_HOSPITAL_NUMBER", help="only the entries about her")
    export.add_argument("--by", dest="by_user", metavar="NAME",
                        help="only the entries of this user (--user is who runs the export)")
    export.add_argument("--action", metavar="ACTION", help="only entries of this action (add, update, open, ...)")
    export.add_argument("-o", "--output", required=True, metavar="FILE.csv", help="the CSV file to write")
    return {"audit": _cmd_audit}


def _cmd_audit(args) -> int:
    if args.audit_command == "verify":
        return _verify(args)
    return _export(args)


def _verify(args) -> int:
    from pao_clinic.services.audit import verify_audit_chain

    result = verify_audit_chain(sign_in(args))
    for line in result.report_lines():
        print(line)
    return 0 if result.whole else 2


def _export(args) -> int:
    import sys

    from pao_clinic.errors import Problem, ValidationError
    from pao_clinic.services import find_patient_id
    from pao_clinic.services.audit import AuditFilter, export_audit

    actor = sign_in(args)
    if args.from_day and args.to_day and args.from_day > args.to_day:
        raise ValidationError([Problem("--from", f"{args.from_day.isoformat()} is after --to "
                                                 f"{args.to_day.isoformat()}")])
    wanted = AuditFilter(patient_id=find_patient_id(args.patient) if args.patient else None,
                         user_name=args.by_user, action=args.action, from_day=args.from_day, to_day=args.to_day)
    count = export_audit(actor, wanted, lambda text: write_output(text, args.output), destination=args.output)
    print(f"exported {count} audit {'entry' if count == 1 else 'entries'} to {args.output}", file=sys.stderr)
    return 0
