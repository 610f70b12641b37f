"""A throwaway PostgreSQL server for the test suite (initdb + pg_ctl on a free port).

Debian installs the server binaries off PATH; `pg_config --bindir` or
/usr/lib/postgresql/*/bin finds them.  initdb refuses to run as root, so when the
tests run as root the server runs as the `postgres` user (runuser).
"""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
from pathlib import Path


class PostgresUnavailable(Exception):
    """No PostgreSQL server binaries on this machine, or the server would not start."""


def server_bindir() -> Path:
    candidates = []
    pg_config = shutil.which("pg_config")
    if pg_config:
        out = subprocess.run([pg_config, "--bindir"], capture_output=True, text=True)
        if out.returncode == 0:
            candidates.append(out.stdout.strip())
    candidates += sorted(glob.glob("/usr/lib/postgresql/*/bin"), reverse=True)
    for folder in candidates:
        if (Path(folder) / "initdb").exists() and (Path(folder) / "pg_ctl").exists():
            return Path(folder)
    raise PostgresUnavailable("no PostgreSQL server binaries (initdb, pg_ctl) found; install postgresql")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class PostgresServer:
    def __init__(self) -> None:
        self.bindir = server_bindir()
        self.as_postgres = os.geteuid() == 0
        self.folder = Path(tempfile.mkdtemp(prefix="pao-clinic-pg-"))
        self.data = self.folder / "data"
        self.port = _free_port()
        self.started = False

    def _run(self, *command: str) -> subprocess.CompletedProcess:
        argv = [str(self.bindir / command[0]), *command[1:]]
        if self.as_postgres:
            argv = ["runuser", "-u", "postgres", "--", *argv]
        return subprocess.run(argv, capture_output=True, text=True, timeout=120)

    def start(self) -> "PostgresServer":
        if self.as_postgres:
            try:
                user = pwd.getpwnam("postgres")
            except KeyError:
                raise PostgresUnavailable("running as root but there is no 'postgres' user to run the server") from None
            os.chown(self.folder, user.pw_uid, user.pw_gid)
        init = self._run("initdb", "-D", str(self.data), "-U", "postgres", "--auth=trust",
                         "--encoding=UTF8", "--no-locale", "--no-sync")
        if init.returncode != 0:
            raise PostgresUnavailable(f"initdb failed: {init.stderr.strip() or init.stdout.strip()}")
        options = (f"-p {self.port} -k {self.folder} -c listen_addresses=127.0.0.1 "
                   "-c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=50")
        start = self._run("pg_ctl", "-D", str(self.data), "-o", options, "-l", str(self.folder / "server.log"),
                          "-w", "-t", "60", "start")
        if start.returncode != 0:
            log = (self.folder / "server.log")
            detail = log.read_text(errors="replace")[-2000:] if log.exists() else start.stderr
            raise PostgresUnavailable(f"pg_ctl start failed: {detail.strip()}")
        self.started = True
        return self

    def url(self, database: str) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/{database}"

    def admin_sql(self, sql: str) -> None:
        import psycopg2

        conn = psycopg2.connect(dbname="postgres", user="postgres", host="127.0.0.1", port=self.port)
        conn.autocommit = True
        try:
            with conn.cursor() as cur:
                cur.execute(sql)
        finally:
            conn.close()

    def stop(self) -> None:
        if self.started:
            self._run("pg_ctl", "-D", str(self.data), "-m", "immediate", "-w", "stop")
            self.started = False
        shutil.rmtree(self.folder, ignore_errors=True)
