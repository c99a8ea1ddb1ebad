"""`HUME_API_KEY` never leaks: a full run with a distinctive key, then every artefact is searched.

The key is in the environment of every command and notebook. Afterwards its bytes (and its
base64 forms) must be absent from every file the run left (database, data and reports folders,
executed notebooks), from the database's rows, and from everything the commands printed or logged.
"""

from __future__ import annotations

import base64
import io
import logging
import os
import secrets
import socket
import sqlite3
import subprocess
import traceback
from collections.abc import Iterable
from contextlib import closing
from pathlib import Path

import pandas as pd
import pytest
from PIL import Image
from sqlalchemy import select

from burnout_lib.errors import HumeError
from burnout_lib.sources.hume.client import HumeClient
from burnout_lib.store import db
from burnout_lib.testing.hume_server import FakeHumeServer
from burnout_lib.testing.offline import pattern_clip

from helpers.notebook_runner import execute
from helpers.paths import BURNOUT

SQLITE_ONLY = pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
START_WEEK = "2026-01-05"  # `burnout mock`'s first week
LAST_WEEK = "2026-02-23"  # the eighth


def forms(secret: str) -> list[bytes]:
    """The secret as bytes, and as it reads inside base64 (standard or URL-safe) at any offset."""
    raw = secret.encode()
    found = [raw]
    for shift in range(3):
        encoded = base64.b64encode(b"\0" * shift + raw)
        # drop the characters that mix in the bytes before and after the secret
        start = {0: 0, 1: 2, 2: 3}[shift]
        end = len(encoded) - (4 if (shift + len(raw)) % 3 else 0)
        core = encoded[start:end]
        found += [core, core.replace(b"+", b"-").replace(b"/", b"_")]
    return found


def contains(data: bytes, secret: str) -> bool:
    return any(form in data for form in forms(secret))


def readable(path: Path) -> bytes:
    """A file's bytes, and for a Parquet table also its decoded cells (pages may be compressed)."""
    data = path.read_bytes()
    if path.suffix == ".parquet":
        try:
            data += pd.read_parquet(path).to_csv().encode()
        except Exception:  # not a readable table: its bytes are searched all the same
            pass
    return data


def files_with(secret: str, roots: Iterable[Path]) -> list[str]:
    """Every file under the roots (names and contents) that holds the secret."""
    found = []
    for root in roots:
        for path in sorted(root.rglob("*")):
            if path.is_file() and (secret in str(path) or contains(readable(path), secret)):
                found.append(str(path))
    return found


def rows_with(secret: str, database: Path) -> list[str]:
    """`table.column` of every SQLite cell that holds the secret, read through SQL."""
    found = []
    with closing(sqlite3.connect(f"file:{database}?mode=ro", uri=True)) as connection:
        tables = connection.execute("SELECT name FROM sqlite_master WHERE type = 'table'")
        for (table,) in tables.fetchall():
            cursor = connection.execute(f'SELECT * FROM "{table}"')
            names = [column[0] for column in cursor.description]
            for row in cursor:
                for name, value in zip(names, row, strict=True):
                    cell = value if isinstance(value, bytes) else str(value).encode()
                    if contains(cell, secret):
                        found.append(f"{table}.{name}")
    return sorted(set(found))


def texts_with(secret: str, texts: dict[str, str]) -> list[str]:
    return [name for name, text in texts.items() if contains(text.encode(), secret)]


def free_port() -> int:
    """A port on 127.0.0.1 that nothing listens on."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def jpeg() -> bytes:
    buffer = io.BytesIO()
    Image.effect_noise((64, 64), 60).convert("RGB").save(buffer, "JPEG")
    return buffer.getvalue()


def test_the_search_finds_a_planted_key(tmp_path) -> None:
    """Raw, base64 at every offset, URL-safe base64, a compressed Parquet cell, a file name."""
    key = "hk-" + secrets.token_hex(16)
    (tmp_path / "clean.txt").write_text("nothing here")
    (tmp_path / "raw.log").write_text(f"header X-Hume-Api-Key: {key}\n")
    for shift in range(3):
        planted = base64.b64encode(b"x" * shift + f"key={key};".encode())
        (tmp_path / f"b64-{shift}.txt").write_bytes(planted)
    odd = key + "??~~"  # encodes with `/` and `+`, or `_` and `-` in URL-safe base64
    assert base64.urlsafe_b64encode(odd.encode()) != base64.b64encode(odd.encode())
    (tmp_path / "urlsafe.txt").write_bytes(base64.urlsafe_b64encode(b"\xfb\xff" + odd.encode()))
    pd.DataFrame({"note": [key * 20] * 50}).to_parquet(
        tmp_path / "cells.parquet", compression="gzip", write_statistics=False
    )
    assert key.encode() not in (tmp_path / "cells.parquet").read_bytes(), "found only by decoding"
    (tmp_path / f"cache-{key}.json").write_text("{}")
    database = tmp_path / "planted.db"
    with closing(sqlite3.connect(database)) as connection:
        connection.execute("CREATE TABLE note (id INTEGER PRIMARY KEY, body TEXT)")
        connection.execute("INSERT INTO note (body) VALUES (?)", (f"sent with {key}",))
        connection.commit()
    found = {Path(p).name for p in files_with(key, [tmp_path])}
    assert found == {
        "raw.log", "b64-0.txt", "b64-1.txt", "b64-2.txt", "urlsafe.txt", "cells.parquet",
        f"cache-{key}.json", "planted.db",
    }  # fmt: skip
    assert {Path(p).name for p in files_with(odd, [tmp_path])} == {"urlsafe.txt"}
    assert rows_with(key, database) == ["note.body"]
    assert texts_with(key, {"out": f"...{key}...", "err": "fine"}) == ["out"]
    assert files_with("hk-" + secrets.token_hex(16), [tmp_path]) == []


@pytest.mark.slow
@SQLITE_ONLY
def test_a_full_run_leaves_the_key_nowhere(settings, tmp_path, monkeypatch, caplog, capfd) -> None:
    key = "hk-" + secrets.token_hex(16)
    wrong_key = "hk-" + secrets.token_hex(16)
    transcript: dict[str, str] = {}

    def burnout(*args: str, expect: int = 0, **env: str) -> subprocess.CompletedProcess:
        """The installed command as a user runs it (progress bars on), output kept."""
        result = subprocess.run(
            [str(BURNOUT), *args], capture_output=True, text=True, timeout=300,
            env={**os.environ, **env}, cwd=tmp_path,
        )  # fmt: skip
        label = f"burnout {' '.join(args)} [{len(transcript)}]"
        transcript[f"{label} stdout"] = result.stdout
        transcript[f"{label} stderr"] = result.stderr
        assert result.returncode == expect, f"{label}:\n{result.stderr}"
        return result

    caplog.set_level(logging.DEBUG)
    with FakeHumeServer(api_key=key) as hume:
        monkeypatch.setenv("HUME_API_KEY", key)
        monkeypatch.setenv("HUME_BASE_URL", hume.base_url)

        burnout("init-db")
        burnout("mock", "--staff", "30", "--weeks", "8", "--seed", "5", "--start", START_WEEK)
        engine = db.make_engine(settings.db_url)
        with engine.connect() as connection:
            person = connection.execute(
                select(db.staff.c.pseudonym).order_by(db.staff.c.id).limit(1)
            ).scalar_one()
        engine.dispose()
        burnout("consent", person, "--grant", "face")
        burnout("consent", person, "--grant", "checkin")

        clip = pattern_clip(tmp_path / "handover.mp4", 3, source="testsrc=size=320x240:rate=10")
        out = burnout("extract", str(clip), "--staff", person, "--recorded-at", "2026-02-24T09:00")
        assert "3 with a face" in out.stdout and hume.requests == 1
        assert list((settings.person_dir(person) / "hume-cache").glob("*.json"))

        csv = tmp_path / "checkins.csv"
        csv.write_text(
            "pseudonym,week,personal_1,personal_2,personal_3,personal_4,personal_5,personal_6\n"
            f"{person},{LAST_WEEK},Often,Often,Sometimes,Seldom,Often,Always\n"
        )
        burnout("checkin", "import", str(csv))
        burnout("train", "--promote")
        assert "people scored" in burnout("score", "--week", LAST_WEEK).stdout
        reports = tmp_path / "reports"
        burnout("report", "--week", LAST_WEEK, "--out", str(reports))
        assert (reports / f"weekly-report-{LAST_WEEK}.ipynb").exists()

        # the failure paths: a key Hume refuses, and a Hume that cannot be reached
        other = pattern_clip(tmp_path / "other.mp4", 2, source="testsrc=size=320x240:rate=7")
        refused = burnout("extract", str(other), "--staff", person, expect=1,
                          HUME_API_KEY=wrong_key)  # fmt: skip
        assert "rejected the API key (401)" in refused.stderr
        down = f"http://127.0.0.1:{free_port()}"
        unreachable = burnout("extract", str(other), "--staff", person, expect=1,
                              HUME_BASE_URL=down)  # fmt: skip
        assert "cannot reach" in unreachable.stderr

        # the extraction notebook, through the same Hume, with its outputs saved
        notebook_dir = settings.data_dir / "hume-notebook"
        run = execute(
            "03_hume_extraction.ipynb", tmp_path, data_dir=str(notebook_dir),
            db_url=f"sqlite:///{notebook_dir / 'burnout.db'}", clip_seconds=2, fps=1.0,
        )  # fmt: skip
        assert not run.errors and "measured by Hume's API" in run.text
        assert "2 frames, 2 sent" in run.text, "the notebook used the server that knows the key"

        # the client itself, at DEBUG, on both failure paths
        errors = {}
        for name, client in {
            "refused": HumeClient(wrong_key, hume.base_url, retries=0),
            "unreachable": HumeClient(key, down, retries=1, timeout=5),
        }.items():
            with pytest.raises(HumeError) as caught:
                client.measure([jpeg()], None)
            error = caught.value
            errors[f"{name} str"] = str(error)
            errors[f"{name} repr"] = repr(error)
            errors[f"{name} traceback"] = "".join(traceback.format_exception(error))
            context = error.__context__  # suppressed by `from None`, but still attached
            errors[f"{name} context"] = f"{context!s} {context!r}"

    executed = tmp_path / "executed-03_hume_extraction.ipynb"
    assert executed.exists()
    captured = capfd.readouterr()
    transcript["in-process stdout"] = captured.out
    transcript["in-process stderr"] = captured.err
    transcript["log records"] = caplog.text + "\n".join(
        f"{r.name} {r.msg!r} {r.args!r} {r.__dict__!r}" for r in caplog.records
    )
    transcript.update(errors)
    assert any(r.name.startswith("httpcore") and r.levelno == logging.DEBUG for r in caplog.records)

    database = Path(settings.db_url.removeprefix("sqlite:///"))
    assert database.parent == tmp_path
    roots = [tmp_path]  # the database and its -wal/-shm, data and reports folders, notebooks
    assert all(p.is_relative_to(tmp_path) for p in (settings.data_dir, reports, executed))
    for name, secret in (("HUME_API_KEY", key), ("the refused key", wrong_key)):
        leaked = files_with(secret, roots) + texts_with(secret, transcript)
        leaked += rows_with(secret, database) + rows_with(secret, notebook_dir / "burnout.db")
        assert leaked == [], f"{name} leaked into: {leaked}"
