"""Two `burnout` processes doing the same work at the same moment on one PostgreSQL database.

Each race is forced, not hoped for: the test holds a lock on the table both will write, starts
both commands, waits until the server shows both blocked on that lock (inside their write
transactions), and lets go. Both then write the same rows at once. Afterwards every row exists
exactly once, both commands ended on their own, no session is left waiting or idle in a
transaction, and the one that found its work done says so.
"""

from __future__ import annotations

import re
import shutil
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, timedelta
from pathlib import Path

import psycopg2
import pytest
from filelock import FileLock
from sqlalchemy import text

from burnout_lib.sources.hume.frames import file_sha256
from burnout_lib.store.db import make_engine
from burnout_lib.testing.hume_server import FakeHumeServer
from burnout_lib.testing.offline import pattern_clip

from helpers.fault_lab import Copy, Finished, Lab, stuck_sessions, wait_for

pytestmark = [pytest.mark.postgres, pytest.mark.faults]

START = date(2026, 1, 5)
WEEKS = 6
LAST_WEEK = START + timedelta(weeks=WEEKS - 1)
NEW_WEEK = LAST_WEEK + timedelta(weeks=1)
API_KEY = "race-test-key"


@pytest.fixture(scope="module")
def lab(postgres_server, tmp_path_factory) -> Lab:
    """A 60-person hospital over six weeks with a trained model."""
    return Lab(postgres_server, tmp_path_factory.mktemp("race")).prepare(
        ("mock", "--staff", "60", "--weeks", str(WEEKS), "--seed", "11", "--start", str(START)),
        ("train", "--promote"),
    )


def query(copy: Copy, sql: str, **params) -> list:
    engine = make_engine(copy.url)
    try:
        with engine.connect() as connection:
            return list(connection.execute(text(sql), params))
    finally:
        engine.dispose()


@contextmanager
def held(copy: Copy, table: str) -> Iterator[None]:
    """Hold a lock on `table` that keeps every writer out (readers may still read)."""
    connection = psycopg2.connect(copy.url)
    try:
        with connection.cursor() as cursor:
            cursor.execute(f'LOCK TABLE "{table}" IN SHARE MODE')
        yield
    finally:
        connection.rollback()
        connection.close()


def race(copy: Copy, table: str, *args: str, **env: str) -> list[Finished]:
    """Start the same command twice while `table` is locked; release once both wait for it."""
    with held(copy, table):
        processes = [copy.start(*args, **env) for _ in range(2)]
        both_wait = wait_for(lambda: len(copy.backends("wait_event_type = 'Lock'")) == 2, 60)
        if not both_wait:
            for process in processes:
                process.kill()
    outputs = [p.communicate(timeout=120) for p in processes]
    assert both_wait, f"the two commands never both waited to write: {outputs}"
    finished = [
        Finished(args, p.returncode, out, err, 0.0)
        for p, (out, err) in zip(processes, outputs, strict=True)
    ]
    for run in finished:
        assert run.code == 0, run.stderr
    assert stuck_sessions(copy.server) == []
    return finished


def test_two_check_in_imports_of_one_file(lab: Lab) -> None:
    copy = lab.copy()
    people = copy.consenting("checkin")
    answers = ["Often", "Sometimes", "Often", "Seldom", "Always", "Sometimes"]
    csv = copy.work_dir / "checkins.csv"
    csv.write_text(
        "pseudonym,week,personal_1,personal_2,personal_3,personal_4,personal_5,personal_6\n"
        + "".join(f"{p},{NEW_WEEK},{','.join(answers)}\n" for p in people)
    )

    runs = race(copy, "checkin", "checkin", "import", str(csv))

    [(rows, distinct)] = query(
        copy,
        "SELECT count(*), count(DISTINCT staff_id) FROM checkin WHERE week_start = :week",
        week=NEW_WEEK,
    )
    assert rows == distinct == len(people) > 20
    outputs = sorted(r.stdout.strip() for r in runs)
    done = f"checkins.csv: {len(people)} of {len(people)} check-ins imported"
    assert outputs == [
        done,
        f"{done}; all were stored already exactly so (by an earlier or concurrent import)",
    ]


def test_two_scorings_of_one_week(lab: Lab) -> None:
    copy = lab.copy()

    runs = race(copy, "weekly_risk", "score", "--week", str(LAST_WEEK))

    [(rows, people, models)] = query(
        copy,
        "SELECT count(*), count(DISTINCT staff_id), count(DISTINCT model_version_id) "
        "FROM weekly_risk WHERE week_start = :week",
        week=LAST_WEEK,
    )
    assert rows == people > 20 and models == 1
    [(alerts, subjects)] = query(
        copy,
        "SELECT count(*), count(DISTINCT subject || rule) FROM alert WHERE week_start = :week",
        week=LAST_WEEK,
    )
    assert alerts == subjects > 0, "every alert once"
    said = [r.stdout.strip() for r in runs]
    assert all(re.match(rf"week of {LAST_WEEK}: {people} people scored", s) for s in said), said
    skipped = [s for s in said if "stored already (by an earlier or concurrent run)" in s]
    assert len(skipped) == 1, said
    assert all(s.endswith(f"; {alerts} alerts") for s in said), said


def handover_clip(copy: Copy) -> tuple[str, Path, tuple[str, ...]]:
    """A consenting person, a 4-second clip of theirs, and the command that extracts it."""
    person = copy.consenting("face")[0]
    clip = pattern_clip(copy.work_dir / "handover.mp4", 4, source="testsrc=size=320x240:rate=10")
    return (
        person,
        clip,
        ("extract", str(clip), "--staff", person, "--recorded-at", f"{NEW_WEEK}T09:00"),
    )


def measured_once_by_one(processes: list, outputs: list[tuple[str, str]]) -> str:
    """Both extractions ended well and one of them measured the clip; what the other said."""
    assert [p.returncode for p in processes] == [0, 0], outputs
    winner, loser = sorted(out.strip() for out, _ in outputs)  # "handover.mp4: 4…" sorts first
    assert winner.startswith("handover.mp4: 4 frames, 4 sent"), (winner, loser)
    return loser


def test_two_extractions_of_one_clip_on_one_machine(lab: Lab) -> None:
    """The second waits for the first (a lock per recording) and sends Hume nothing."""
    copy = lab.copy()
    person, clip, args = handover_clip(copy)
    lock = FileLock(copy.data_dir / "people" / person / "hume-cache" / f".{file_sha256(clip)}.lock")
    with FakeHumeServer(api_key=API_KEY) as hume:
        env = {"HUME_API_KEY": API_KEY, "HUME_BASE_URL": hume.base_url}
        with lock:  # both reach the recording's lock before either may measure
            processes = [copy.start(*args, **env) for _ in range(2)]
            assert wait_for(lambda: len(copy.backends()) == 2, 60), "both checked consent"
            time.sleep(1.0)  # a moment later both are waiting for the recording's lock
        outputs = [p.communicate(timeout=120) for p in processes]
        images = hume.images

    loser = measured_once_by_one(processes, outputs)
    assert re.fullmatch(
        r"handover.mp4: (measured and stored meanwhile by another run \(recording \w+\); "
        r"skipped|already stored \(recording \w+\)), nothing sent",
        loser,
    ), loser
    assert images == 4, "Hume measured the clip once"
    assert query(copy, "SELECT count(*) FROM recording WHERE week_start = :w", w=NEW_WEEK) == [(1,)]
    assert stuck_sessions(copy.server) == []


def test_two_extractions_of_one_clip_on_two_machines(lab: Lab) -> None:
    """Two data folders, one database: both measure, one recording is kept, the other says so."""
    copy = lab.copy()
    elsewhere = copy.work_dir / "other-machine"
    shutil.copytree(copy.data_dir, elsewhere / "data")
    other = Copy(copy.server, copy.database, elsewhere / "data", elsewhere, copy.app_name)
    _, _, args = handover_clip(copy)
    with FakeHumeServer(api_key=API_KEY) as hume:
        env = {"HUME_API_KEY": API_KEY, "HUME_BASE_URL": hume.base_url}
        with held(copy, "recording"):
            processes = [machine.start(*args, **env) for machine in (copy, other)]
            both_wait = wait_for(lambda: len(copy.backends("wait_event_type = 'Lock'")) == 2, 60)
        outputs = [p.communicate(timeout=120) for p in processes]
    assert both_wait, outputs

    loser = measured_once_by_one(processes, outputs)
    assert re.fullmatch(
        r"handover.mp4: measured \(4 frames sent\), but another run stored recording \w+ "
        r"first; kept that one, stored nothing",
        loser,
    ), loser
    [(recordings, summaries)] = query(
        copy,
        "SELECT count(DISTINCT r.id), count(e.recording_id) FROM recording r "
        "JOIN expression_summary e ON e.recording_id = r.id WHERE r.week_start = :w",
        w=NEW_WEEK,
    )
    assert (recordings, summaries) == (1, 1)
    assert stuck_sessions(copy.server) == []
