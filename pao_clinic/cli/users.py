"""`pao-clinic user`: the clinic's user accounts."""

from __future__ import annotations

import getpass
import sys

from pao_clinic.record import codes
from pao_clinic.errors import ValidationError
from pao_clinic.cli.arguments import CommandParser, UsageError, sign_in


def add_commands(sub, common) -> dict:
    user = sub.add_parser("user", parents=[common], help="manage users")
    user_sub = user.add_subparsers(dest="user_command", parser_class=CommandParser, metavar="ACTION", required=True)
    add = user_sub.add_parser("add", parents=[common], help="add a user (the first one, an admin, needs no sign-in)")
    add.add_argument("name")
    add.add_argument("--role", required=True, choices=codes.ROLES)
    add.add_argument("--display-name", metavar="TEXT")
    add.add_argument("--password-stdin", action="store_true", help="read the new password from standard input")
    user_sub.add_parser("list", parents=[common], help="list users")
    return {"user": _cmd_user}


def _cmd_user(args) -> int:
    from pao_clinic.services import add_user, list_users, user_count

    if args.user_command == "list":
        sign_in(args)
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
    actor = None if user_count() == 0 else sign_in(args)
    account = add_user(actor, args.name, role=args.role, password=password, display_name=args.display_name)
    print(f"added {account.role} '{account.name}' ({account.display_name})")
    return 0

