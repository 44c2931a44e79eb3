"""A throw-away PostgreSQL cluster on this machine, for the tests and the bench.

Debian's ``postgresql`` package; ``initdb`` refuses to run as root (and CI runs as root), so when root the
cluster is created in a folder owned by the ``postgres`` user and the server binaries run as that user through
``runuser``. The server listens only on a Unix socket inside that folder (no TCP port, nothing to collide with).
`stop()` is safe twice and always kills the server, even after a failed test.

The cluster lives in a fresh folder under the system's temp dir (not under pytest's ``tmp_path``: its parents are
private to root, so the ``postgres`` user could not reach it), removed by `stop()`.
"""

from __future__ import annotations

import os
import pwd
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

from motcua.errors import MotcuaError

PG_BIN_CANDIDATES = ("/usr/lib/postgresql/15/bin", "/usr/lib/postgresql/16/bin", "/usr/lib/postgresql/17/bin")


class PostgresError(MotcuaError, RuntimeError):
    """The local PostgreSQL could not be started."""


def pg_bin(name: str) -> str:
    for folder in PG_BIN_CANDIDATES:
        candidate = Path(folder) / name
        if candidate.exists():
            return str(candidate)
    found = shutil.which(name)
    if found:
        return found
    raise PostgresError(f"{name} not found (apt-get install postgresql); `make setup` installs it")


class LocalPostgres:
    """``with LocalPostgres() as pg: psycopg.connect(pg.create_database("test"))``"""

    def __init__(self, *, user: str = "postgres") -> None:
        self.workdir = Path(tempfile.mkdtemp(prefix="motcua-pg-"))
        self.data = self.workdir / "data"
        self.socket_dir = self.workdir  # the socket is .s.PGSQL.5432 in here
        self.log_path = self.workdir / "postgres.log"
        self._as_root = os.geteuid() == 0
        self.user = user if self._as_root else pwd.getpwuid(os.geteuid()).pw_name
        self._started = False

    def _run(self, *argv: str, timeout: float = 60) -> subprocess.CompletedProcess[str]:
        command = ["runuser", "-u", self.user, "--", *argv] if self._as_root else list(argv)
        return subprocess.run(command, capture_output=True, text=True, timeout=timeout, check=False)

    def start(self) -> LocalPostgres:
        self.workdir.mkdir(parents=True, exist_ok=True)
        if self._as_root:
            account = pwd.getpwnam(self.user)
            os.chown(self.workdir, account.pw_uid, account.pw_gid)
        os.chmod(self.workdir, 0o700)
        if not (self.data / "PG_VERSION").exists():
            done = self._run(
                pg_bin("initdb"), "-D", str(self.data), "-U", "postgres", "-A", "trust", "-E", "UTF8", "--no-sync"
            )
            if done.returncode != 0:
                raise PostgresError(f"initdb failed: {done.stderr.strip() or done.stdout.strip()}")
        options = (
            f"-k {self.socket_dir} -c listen_addresses='' -c fsync=off -c synchronous_commit=off"
            " -c full_page_writes=off -c max_connections=50"
        )
        done = self._run(
            pg_bin("pg_ctl"), "-D", str(self.data), "-l", str(self.log_path), "-o", options, "-w", "-t", "30", "start"
        )
        if done.returncode != 0:
            log = self.log_path.read_text(errors="replace")[-2000:] if self.log_path.exists() else ""
            raise PostgresError(f"pg_ctl start failed: {done.stderr.strip()}\n{log}")
        self._started = True
        self._wait_ready()
        return self

    def _wait_ready(self) -> None:
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            done = subprocess.run(
                [pg_bin("pg_isready"), "-h", str(self.socket_dir), "-U", "postgres"],
                capture_output=True,
                check=False,
            )
            if done.returncode == 0:
                return
            time.sleep(0.05)
        raise PostgresError("PostgreSQL did not accept connections within 20 s")

    def dsn(self, dbname: str = "postgres") -> str:
        return f"host={self.socket_dir} user=postgres dbname={dbname}"

    def create_database(self, name: str) -> str:
        """A fresh database `name` (dropped first if it exists); returns its DSN."""
        import psycopg

        with psycopg.connect(self.dsn(), autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            conn.execute(f'CREATE DATABASE "{name}"')
        return self.dsn(name)

    def stop(self) -> None:
        """Fast shutdown; immediate if that does not work. Safe to call twice."""
        if self._started:
            self._started = False
            done = self._run(pg_bin("pg_ctl"), "-D", str(self.data), "-m", "fast", "-w", "-t", "20", "stop")
            if done.returncode != 0:
                self._run(pg_bin("pg_ctl"), "-D", str(self.data), "-m", "immediate", "-w", "stop")
        shutil.rmtree(self.workdir, ignore_errors=True)

    def __enter__(self) -> LocalPostgres:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
