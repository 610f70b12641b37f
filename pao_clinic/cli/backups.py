"""`pao-clinic backup` and `pao-clinic restore`: backups of an SQLite database (plain or encrypted).

`backup` opens the database as every command does (so a damaged one is refused at its
`quick_check`), signs in an admin, and writes a checked backup into the backup folder
with rotation, or to `-o FILE`.  On a PostgreSQL URL it opens nothing and points to
pg_dump.  `restore FILE` opens no database first: the current file may be the damaged
one it replaces; an admin of the backup signs in against the backup's own users.
"""

from __future__ import annotations

from pathlib import Path

from pao_clinic.cli.arguments import sign_in
from pao_clinic.storage.location import database_url_from


def add_commands(sub, common) -> dict:
    backup = sub.add_parser(
        "backup", parents=[common],
        help="an admin makes a checked backup of the SQLite database in its backup folder (7 daily and 4 weekly "
             "kept), or at -o FILE; for PostgreSQL use pg_dump")
    backup.add_argument("-o", "--output", metavar="FILE", help="write the backup here instead of the backup folder")
    restore = sub.add_parser(
        "restore", parents=[common],
        help="put the backup FILE in place of the database (checked first; the current file is kept aside as "
             "NAME.before-restore-TIME); an admin of the backup signs in")
    restore.add_argument("file", metavar="FILE")
    return {"backup": _cmd_backup, "restore": _cmd_restore}


def runs_without_database(args) -> bool:
    """`restore` never opens the database first; `backup` opens nothing on PostgreSQL (it only refuses)."""
    if args.command == "restore":
        return True
    if args.command == "backup":
        from pao_clinic.services.backups import is_backed_up_by_the_app

        return not is_backed_up_by_the_app(database_url_from(getattr(args, "database", None)))
    return False


def _cmd_backup(args) -> int:
    from pao_clinic.services.backups import back_up_database, backup_folder_for, refuse_unless_backed_up_here
    from pao_clinic.storage.connection import bound_database_url

    url = database_url_from(getattr(args, "database", None))
    if bound_database_url() is None:  # run without the database: PostgreSQL
        refuse_unless_backed_up_here(url)
    actor = sign_in(args)
    output = Path(args.output) if args.output else None
    made = back_up_database(actor, output=output)
    sealed = ", encrypted with the database's passphrase" if made.encrypted else ""
    print(f"backed up to {made.path} (checked: integrity ok, schema version {made.schema_version}{sealed})")
    if output is None:
        removed = f"; {len(made.removed)} older removed" if made.removed else ""
        print(f"{made.kept} backup{'s' if made.kept != 1 else ''} kept in {backup_folder_for(url)}{removed}")
    return 0


def _cmd_restore(args) -> int:
    from pao_clinic.cli.encryption import ask_passphrase_in_terminal
    from pao_clinic.services.backups import restore_database

    url = database_url_from(getattr(args, "database", None))
    ask_passphrase_in_terminal(url)
    done = restore_database(url, Path(args.file), lambda: sign_in(args))
    print(f"restored {done.database} from {done.restored_from} (schema version {done.schema_version})")
    if done.kept_aside is not None:
        print(f"the database as it was is kept at {done.kept_aside}")
    return 0
