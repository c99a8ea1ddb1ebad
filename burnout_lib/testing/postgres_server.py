"""A throwaway PostgreSQL server on 127.0.0.1: for the test suite, benchmarks and trying the product
on PostgreSQL without a database administrator.

Uses the Debian PostgreSQL binaries; when run as root the server runs as the `postgres` user, as
PostgreSQL refuses to run as root. Data lives in a temporary folder removed on `stop`.
"""

from __future__ import annotations

import glob
import os
import shutil
import socket
import subprocess
import tempfile
from pathlib import Path

from burnout_lib.errors import BurnoutError


def find_bindir() -> Path:
    """The folder holding `initdb` and `pg_ctl` (newest Debian PostgreSQL first)."""
    candidates = sorted(
        glob.glob("/usr/lib/postgresql/*/bin"), key=lambda p: int(Path(p).parent.name)
    )
    for candidate in reversed(candidates):
        if (Path(candidate) / "initdb").exists():
            return Path(candidate)
    initdb = shutil.which("initdb")
    if initdb:
        return Path(initdb).parent
    raise BurnoutError(
        "PostgreSQL server binaries not found (install the Debian package 'postgresql')"
    )


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class ThrowawayPostgres:
    """Start with `start()`, connect with `url(dbname)`, make databases with `create_database`."""

    def __init__(self, port: int | None = None) -> None:
        self.port = port or free_port()
        self.bindir = find_bindir()
        self.root = Path(tempfile.mkdtemp(prefix="burnout-pg-"))
        self.datadir = self.root / "data"
        self.as_postgres = os.geteuid() == 0

    def _run(self, *args: str) -> None:
        command = list(args)
        if self.as_postgres:
            command = ["runuser", "-u", "postgres", "--", *command]
        result = subprocess.run(command, capture_output=True, text=True)
        if result.returncode != 0:
            raise BurnoutError(
                f"{Path(args[0]).name} failed: {(result.stderr or result.stdout).strip()}"
            )

    def start(self) -> ThrowawayPostgres:
        if self.as_postgres:
            shutil.chown(self.root, "postgres", "postgres")
        self._run(
            str(self.bindir / "initdb"),
            "-D",
            str(self.datadir),
            "-U",
            "postgres",
            "-A",
            "trust",
            "-E",
            "UTF8",
            "--no-sync",
        )
        options = (
            f"-p {self.port} -k {self.root} -c listen_addresses=127.0.0.1 "
            "-c fsync=off -c synchronous_commit=off -c full_page_writes=off "
            "-c max_connections=100"
        )
        self._run(
            str(self.bindir / "pg_ctl"),
            "-D",
            str(self.datadir),
            "-o",
            options,
            "-l",
            str(self.root / "server.log"),
            "-w",
            "start",
        )
        return self

    def url(self, dbname: str = "postgres") -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/{dbname}"

    def create_database(self, name: str) -> str:
        """Create an empty database and return its URL."""
        import psycopg2

        connection = psycopg2.connect(self.url())
        connection.autocommit = True
        try:
            with connection.cursor() as cursor:
                cursor.execute(f'DROP DATABASE IF EXISTS "{name}"')
                cursor.execute(f'CREATE DATABASE "{name}"')
        finally:
            connection.close()
        return self.url(name)

    def restart(self) -> None:
        """Stop the server as an administrator would (ending every session) and start it again."""
        self._run(str(self.bindir / "pg_ctl"), "-D", str(self.datadir), "-l",
                  str(self.root / "server.log"), "-m", "fast", "-w", "restart")  # fmt: skip

    def stop(self) -> None:
        if self.datadir.exists():
            try:
                self._run(
                    str(self.bindir / "pg_ctl"), "-D", str(self.datadir), "-m", "fast", "stop"
                )
            except BurnoutError:
                pass
        shutil.rmtree(self.root, ignore_errors=True)

    def __enter__(self) -> ThrowawayPostgres:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
