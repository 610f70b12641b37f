"""`pao-clinic user`: the clinic's user accounts.

An admin adds, deactivates, reactivates, resets the password of and changes the role of
a user; each is one audited change (`services.users`).  New passwords come from standard
input with `--password-stdin`, else from a hidden prompt asked twice.
"""

from __future__ import annotations

import sys

from pao_clinic.record import codes
from pao_clinic.errors import ValidationError
from pao_clinic.cli.arguments import CommandParser, UsageError, ask_twice, sign_in


def add_commands(sub, common) -> dict:
    user = sub.add_parser("user", parents=[common], help="manage users")
    user_sub = user.add_subparsers(dest="user_command", parser_class=CommandParser, metavar="ACTION", required=True)
    add = user_sub.add_parser("add", parents=[common], help="add a user (the first one, an admin, needs no sign-in)")
    add.add_argument("name")
    add.add_argument("--role", required=True, choices=codes.ROLES)
    add.add_argument("--display-name", metavar="TEXT")
    add.add_argument("--password-stdin", action="store_true", help="read the new password from standard input")
    user_sub.add_parser("list", parents=[common], help="list users")
    for action, words in (("deactivate", "stop a user signing in (an admin; not yourself, nor the last admin)"),
                          ("reactivate", "let a deactivated user sign in again (an admin)")):
        parser = user_sub.add_parser(action, parents=[common], help=words)
        parser.add_argument("name")
    reset = user_sub.add_parser("reset-password", parents=[common], help="give a user a new password (an admin)")
    reset.add_argument("name")
    reset.add_argument("--password-stdin", action="store_true", help="read the new password from standard input")
    role = user_sub.add_parser("role", parents=[common], help="change a user's role (an admin; not your own)")
    role.add_argument("name")
    role.add_argument("--role", required=True, metavar="|".join(codes.ROLES))
    lock = user_sub.add_parser("idle-lock", parents=[common],
                               help="minutes without input before the desktop locks its window (an admin)")
    lock.add_argument("--minutes", required=True, metavar="N")
    return {"user": _cmd_user}


def _new_password(args) -> str:
    """The new password: a line of standard input, or typed twice at a hidden prompt."""
    if args.password_stdin:
        return sys.stdin.readline().rstrip("\r\n")
    if not sys.stdin.isatty():
        raise UsageError("give --password-stdin to read the new password from standard input")
    return ask_twice(f"New password for {args.name}: ", "password", "passwords")


def _cmd_user(args) -> int:
    from pao_clinic.services import users

    command = args.user_command
    if command == "list":
        sign_in(args)
        for account in users.list_users():
            state = "" if account.active else "  (inactive)"
            print(f"{account.name:<24} {account.role:<11} {account.display_name}{state}")
        return 0
    if command == "add":
        password = _new_password(args)
        actor = None if users.user_count() == 0 else sign_in(args)
        account = users.add_user(actor, args.name, role=args.role, password=password, display_name=args.display_name)
        print(f"added {account.role} '{account.name}' ({account.display_name})")
        return 0
    if command == "idle-lock":
        try:
            minutes = int(args.minutes)
        except ValueError:
            raise ValidationError(f"minutes: '{args.minutes}' is not a whole number of minutes") from None
        minutes = users.set_idle_lock_minutes(sign_in(args), minutes)
        print(f"the desktop locks after {minutes} minute{'s' if minutes != 1 else ''} without input")
        return 0
    password = _new_password(args) if command == "reset-password" else None
    actor = sign_in(args)
    if command == "deactivate":
        account = users.deactivate_user(actor, args.name)
        print(f"deactivated {account.role} '{account.name}': they can no longer sign in")
    elif command == "reactivate":
        account = users.reactivate_user(actor, args.name)
        print(f"reactivated {account.role} '{account.name}'")
    elif command == "reset-password":
        account = users.reset_password(actor, args.name, password)
        print(f"new password set for '{account.name}'")
    else:
        account = users.change_role(actor, args.name, args.role)
        print(f"'{account.name}' is now {'an' if account.role[0] in 'aeiou' else 'a'} {account.role}")
    return 0
