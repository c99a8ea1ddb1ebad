"""A mock hospital on PostgreSQL to break things in: copies of it, the `burnout` command run on a
copy as a user runs it (optionally killed or raced), and the state a run leaves behind.

A prepared hospital is a template database plus a data folder; `Lab.copy()` clones both in about
a second (`CREATE DATABASE … TEMPLATE`), so each experiment starts from the same state and two
experiments can be compared row for row.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import signal
import subprocess
import time
import uuid
from collections.abc import Iterator
from contextlib import closing, contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd
import psycopg2
from sqlalchemy import text

from burnout_lib.store.db import make_engine
from burnout_lib.store.integrity import TableSum, table_sums
from burnout_lib.testing.postgres_server import ThrowawayPostgres

from helpers.paths import BURNOUT


@dataclass
class Copy:
    """One copy of a prepared hospital: its database, data folder and a working folder."""

    server: ThrowawayPostgres
    database: str
    data_dir: Path
    work_dir: Path
    #: what every command run on this copy calls itself in `pg_stat_activity`
    app_name: str = field(default_factory=lambda: f"burnout-lab-{uuid.uuid4().hex[:8]}")

    @property
    def url(self) -> str:
        return self.server.url(self.database)

    def env(self, **extra: str) -> dict[str, str]:
        return {
            **os.environ,
            "BURNOUT_DB_URL": self.url,
            "BURNOUT_DATA_DIR": str(self.data_dir),
            "PGAPPNAME": self.app_name,
            **extra,
        }

    def start(self, *args: str, **env: str) -> subprocess.Popen:
        """Start `burnout --quiet ARGS…` in a session of its own (so a kill takes its children)."""
        return subprocess.Popen(
            [str(BURNOUT), "--quiet", *args],
            env=self.env(**env),
            cwd=self.work_dir,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            start_new_session=True,
        )

    def run(self, *args: str, expect: int = 0, **env: str) -> Finished:
        """Run a command to its end and check its exit status."""
        began = time.monotonic()
        process = self.start(*args, **env)
        out, err = process.communicate(timeout=300)
        done = Finished(args, process.returncode, out, err, time.monotonic() - began)
        assert done.code == expect, f"burnout {' '.join(args)} exited {done.code}:\n{err}"
        return done

    def backends(self, where: str = "true") -> list[dict]:
        """This copy's commands' server sessions (`pg_stat_activity` rows) matching `where`."""
        with (
            closing(psycopg2.connect(self.server.url())) as connection,
            connection.cursor() as cursor,
        ):
            cursor.execute(
                "SELECT pid, state, wait_event_type, backend_xid::text AS xid "
                f"FROM pg_stat_activity WHERE application_name = %s AND ({where})",
                (self.app_name,),
            )
            names = [c.name for c in cursor.description]
            return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]

    def consenting(self, channel: str) -> list[str]:
        """Pseudonyms of the people who have consented to `channel`, in order."""
        with closing(psycopg2.connect(self.url)) as connection, connection.cursor() as cursor:
            cursor.execute(
                "SELECT s.pseudonym FROM staff s JOIN consent c ON c.staff_id = s.id "
                "WHERE c.channel = %s AND c.granted ORDER BY s.pseudonym",
                (channel,),
            )
            return [pseudonym for (pseudonym,) in cursor.fetchall()]

    def sums(self) -> dict[str, TableSum]:
        engine = make_engine(self.url)
        try:
            return table_sums(engine)
        finally:
            engine.dispose()

    def files(self, *roots: Path) -> dict[str, str]:
        """Every visible file under the data folder (and `roots`): Parquet tables by their decoded
        content, other files by name only (reports carry the time they were made), and Hume's
        cached answers by their number (they carry request ids, and are named partly by Hume's
        face-tracking token, which carries a time). Hidden files (locks, temporary files) are
        left out."""
        found: dict[str, str] = {}
        for root in (self.data_dir, *roots):
            for path in sorted(root.rglob("*")):
                relative = path.relative_to(root)
                if not path.is_file() or any(p.startswith(".") for p in relative.parts):
                    continue
                if relative.parent.name == "hume-cache":
                    folder = f"{root.name}/{relative.parent}"
                    found[folder] = str(int(found.get(folder, "0")) + 1)
                    continue
                content = ""
                if path.suffix == ".parquet":
                    table = pd.read_parquet(path)
                    content = hashlib.sha256(table.to_csv(index=False).encode()).hexdigest()
                found[f"{root.name}/{relative}"] = content
        return found

    def state(self, *roots: Path) -> tuple[dict[str, TableSum], dict[str, str]]:
        """What the database and the files hold, to compare two runs of the same work."""
        return self.sums(), self.files(*roots)


@dataclass
class Finished:
    args: tuple[str, ...]
    code: int
    stdout: str
    stderr: str
    seconds: float


class Lab:
    """A prepared hospital on `server`: build it with `prepare`, then take `copy()`s of it."""

    def __init__(self, server: ThrowawayPostgres, root: Path) -> None:
        self.server = server
        self.root = root
        self.template = Copy(server, f"lab_{uuid.uuid4().hex[:10]}", root / "data", root)
        self.copies = 0

    def prepare(self, *commands: tuple[str, ...]) -> Lab:
        """Create the template database and run each `burnout` command on it, in order."""
        self.server.create_database(self.template.database)
        self.template.run("init-db")
        for command in commands:
            self.template.run(*command)
        return self

    def copy(self) -> Copy:
        self.copies += 1
        name = f"{self.template.database}_{self.copies}"
        with closing(psycopg2.connect(self.server.url())) as connection:
            connection.autocommit = True
            with connection.cursor() as cursor:
                cursor.execute(f'CREATE DATABASE "{name}" TEMPLATE "{self.template.database}"')
        work = self.root / f"copy-{self.copies}"
        work.mkdir()
        data = work / "data"
        if self.template.data_dir.exists():
            shutil.copytree(self.template.data_dir, data)
        return Copy(self.server, name, data, work)


@contextmanager
def holding(copy: Copy, sql: str, params: tuple = ()) -> Iterator[None]:
    """Run `sql` (an uncommitted insert, a `SELECT … FOR UPDATE`) in a transaction held open, so
    that a command writing the same row waits for it, with the rows before it already written."""
    connection = psycopg2.connect(copy.url)
    try:
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
        yield
    finally:
        connection.rollback()
        connection.close()


def kill_group(process: subprocess.Popen) -> int:
    """SIGKILL the command and everything it started (a report's kernel); its exit status."""
    try:
        os.killpg(process.pid, signal.SIGKILL)
    except ProcessLookupError:  # it had already ended
        pass
    process.communicate(timeout=60)
    return process.returncode


def wait_for(condition, timeout: float, every: float = 0.02) -> bool:
    """Poll `condition()` until it is true (True) or `timeout` seconds pass (False)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(every)
    return False


def stuck_sessions(server: ThrowawayPostgres, grace: float = 10.0) -> list[str]:
    """Locks still waited for and sessions idle in a transaction, anywhere on the server, once
    `grace` seconds have passed (the server needs a moment to notice a killed client)."""
    wait_for(lambda: not _stuck(server), grace, every=0.1)
    return _stuck(server)


def _stuck(server: ThrowawayPostgres) -> list[str]:
    engine = make_engine(server.url())
    try:
        with engine.connect() as connection:
            waiting = connection.execute(
                text("SELECT locktype || ' ' || mode FROM pg_locks WHERE NOT granted")
            ).scalars()
            idle = connection.execute(
                text(
                    "SELECT application_name FROM pg_stat_activity "
                    "WHERE state LIKE 'idle in transaction%' AND pid <> pg_backend_pid()"
                )
            ).scalars()
            return [f"waiting for lock {w}" for w in waiting] + [f"idle: {i}" for i in idle]
    finally:
        engine.dispose()
