"""Files only their readers can read (store/private_files.py and its writers): a person's files,
the named reports, the SQLite database and shared tables naming people are owner-only (folders
0700, files 0600) even when the process's umask would let everyone read what it writes (022).

The frame tables are checked in test_extract.py, the reports' index in test_report_archive.py and
the named reports in test_runner.py; this file checks the helper itself, the database file and
the tables erasure rewrites.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pandas as pd
import pytest
from sqlalchemy import select

from burnout_lib.mock.hospital import MockSpec, write_mock
from burnout_lib.privacy.consent import erase_person
from burnout_lib.store import db
from burnout_lib.store.private_files import (
    create_private,
    new_temp,
    private_dir,
    replacing,
    write_file,
)


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.fixture(autouse=True)
def permissive_umask():
    """What a service started from a default shell has: everything written readable by all."""
    old = os.umask(0o022)
    yield
    os.umask(old)


def test_private_folders_are_owner_only_down_from_their_top(tmp_path: Path) -> None:
    data = tmp_path / "data"
    (data / "people").mkdir(parents=True)  # made before, as the umask had it
    assert mode(data / "people") == 0o755
    frames = private_dir(data / "people" / "p-01" / "frames", top=data)
    assert frames == data / "people" / "p-01" / "frames"
    for folder in (data / "people", data / "people" / "p-01", frames):
        assert mode(folder) == 0o700, folder
    assert mode(data) == 0o755, "the top folder is left as it is"
    private_dir(frames, top=data)  # again: nothing changes, nothing fails
    assert mode(frames) == 0o700
    alone = private_dir(tmp_path / "a" / "b")
    assert (mode(tmp_path / "a"), mode(alone)) == (0o755, 0o700), "without a top, the folder only"
    with pytest.raises(ValueError, match="does not hold"):
        private_dir(tmp_path / "x", top=data)


def test_files_are_owner_only_from_the_moment_they_exist(tmp_path: Path) -> None:
    target = tmp_path / "frames.parquet"
    leftover = new_temp(target)
    assert mode(leftover) == 0o600 and leftover.read_bytes() == b""
    leftover.unlink()
    with replacing(target) as temp:
        assert mode(temp) == 0o600 and temp.parent == tmp_path, "no moment readable by others"
        temp.write_bytes(b"one")
    assert target.read_bytes() == b"one" and mode(target) == 0o600
    target.chmod(0o644)  # an older file, written as the umask had it
    write_file(target, "two")
    assert target.read_text() == "two" and mode(target) == 0o600
    with pytest.raises(RuntimeError), replacing(target) as temp:
        temp.write_bytes(b"half")
        raise RuntimeError("killed mid-write")
    assert target.read_text() == "two", "a failed write leaves the old content"
    assert not list(tmp_path.glob("*.tmp")), "and no temporary file"
    reports = tmp_path / "reports"
    reports.mkdir()
    shared = reports / "index.html"
    write_file(shared, "<p>for managers</p>", private=False)
    assert mode(shared) == 0o644, "a file that is not private gets its folder's read bits"
    assert create_private(tmp_path / "new.db") and mode(tmp_path / "new.db") == 0o600
    assert not create_private(tmp_path / "new.db"), "an existing file is left alone"


def test_a_new_sqlite_database_and_its_journals_are_owner_only(tmp_path: Path) -> None:
    path = tmp_path / "data" / "burnout.db"
    engine = db.make_engine(f"sqlite:///{path}")
    try:
        db.init_db(engine)
        with engine.begin() as connection:  # WAL mode, as the product sets it
            connection.exec_driver_sql("CREATE TABLE note (text TEXT)")
            connection.exec_driver_sql("INSERT INTO note VALUES ('p-01 is at high risk')")
        for name in ("burnout.db", "burnout.db-wal", "burnout.db-shm"):
            assert mode(path.parent / name) == 0o600, name
    finally:
        engine.dispose()
    rollback = tmp_path / "rollback.db"
    engine = db.make_engine(f"sqlite:///{rollback}")
    try:
        with engine.connect() as connection:
            connection.exec_driver_sql("PRAGMA journal_mode=DELETE")
            connection.exec_driver_sql("BEGIN")
            connection.exec_driver_sql("CREATE TABLE note (text TEXT)")
            journal = tmp_path / "rollback.db-journal"
            assert journal.exists() and mode(journal) == 0o600
            connection.exec_driver_sql("COMMIT")
        assert mode(rollback) == 0o600
    finally:
        engine.dispose()


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_erasure_leaves_the_shared_tables_it_rewrites_owner_only(engine, settings) -> None:
    write_mock(engine, settings, MockSpec(staff=6, weeks=1, seed=3), progress=False)
    truth = settings.mock_truth_path
    truth.chmod(0o644)  # as a mock written before this change left it
    with engine.connect() as connection:
        pseudonym = connection.execute(select(db.staff.c.pseudonym).limit(1)).scalar_one()
    erase_person(engine, settings, pseudonym)
    assert pseudonym not in set(pd.read_parquet(truth)["pseudonym"])
    assert mode(truth) == 0o600
    assert not list(settings.data_dir.glob(".*.tmp")) and not list(
        settings.data_dir.glob(".erasing-*")
    )


def test_a_mock_hospitals_frames_and_latent_truth_are_owner_only(engine, settings) -> None:
    write_mock(engine, settings, MockSpec(staff=12, weeks=3, seed=5), progress=False)
    tables = sorted(settings.frames_dir.glob("*/frames-mock.parquet"))
    assert tables, "some mock people shared recordings"
    assert mode(settings.frames_dir) == 0o700
    for table in tables:
        assert (mode(table.parent), mode(table)) == (0o700, 0o600), table
    assert mode(settings.mock_truth_path) == 0o600
    assert not list(settings.data_dir.rglob(".*.tmp")), "no temporary file left behind"
