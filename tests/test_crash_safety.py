"""Killed commands and a restarted database server lose nothing and leave nothing half-written.

Each command is first run uninterrupted on one copy of a prepared hospital. On a second copy it
is killed with SIGKILL (with everything it started) several times, then run to its end; the
database must then equal the uninterrupted copy table by table (rows and content checksums,
`burnout checksum`), and the data folder must hold the same files with the same tables.

The kill points are random but reproducible (a seeded generator; the points are in the failure
message): one where the command is sure to be inside a write transaction with rows written but
not committed (the server shows the session holding a transaction id), or for extraction, after
a random number of Hume's answers; then two at random moments of the uninterrupted run's length.
"""

from __future__ import annotations

import json
import random
import time
from collections.abc import Callable
from contextlib import AbstractContextManager, closing, nullcontext
from datetime import date, timedelta
from pathlib import Path

import psycopg2
import pytest

from burnout_lib.testing.hume_server import FakeHumeServer
from burnout_lib.testing.offline import pattern_clip
from burnout_lib.testing.postgres_server import ThrowawayPostgres

from helpers.fault_lab import Copy, Lab, holding, kill_group, stuck_sessions, wait_for

pytestmark = [pytest.mark.postgres, pytest.mark.faults]

START = date(2026, 1, 5)
WEEKS = 8
LAST_WEEK = START + timedelta(weeks=WEEKS - 1)
NEW_WEEK = LAST_WEEK + timedelta(weeks=1)
MOCK = ("mock", "--staff", "300", "--weeks", "12", "--seed", "7", "--start", str(START))
API_KEY = "crash-test-key"


@pytest.fixture(scope="module")
def empty_lab(postgres_server, tmp_path_factory) -> Lab:
    return Lab(postgres_server, tmp_path_factory.mktemp("empty")).prepare()


@pytest.fixture(scope="module")
def lab(postgres_server, tmp_path_factory) -> Lab:
    """A 120-person hospital over eight weeks with a trained model."""
    return Lab(postgres_server, tmp_path_factory.mktemp("hospital")).prepare(
        ("mock", "--staff", "120", "--weeks", str(WEEKS), "--seed", "3", "--start", str(START)),
        ("train", "--promote"),
    )


def writing(copy: Copy) -> Callable[[], bool]:
    """True once the command has rows written but not committed."""
    return lambda: bool(copy.backends("backend_xid IS NOT NULL"))


def waiting_while_writing(copy: Copy) -> Callable[[], bool]:
    """True once the command, with rows written but not committed, waits for a row we hold."""
    return lambda: bool(copy.backends("backend_xid IS NOT NULL AND wait_event_type = 'Lock'"))


Blocker = Callable[[Copy, random.Random], AbstractContextManager]


def crash_then_finish(
    lab: Lab,
    args: tuple[str, ...],
    seed: int,
    block: Blocker | None = None,
    first_kill: Callable[[Copy], Callable[[], bool]] | None = None,
    prepare: Callable[[Copy], None] = lambda copy: None,
    **env: str,
) -> tuple[Copy, Copy]:
    """Run `args` uninterrupted on one copy, and killed three times then to its end on another.

    The first kill comes when `first_kill(copy)()` holds: by default, when the command is inside
    a write transaction with rows written, and with a `block`, when the command waits for the
    row that `block` holds (a random one). Returns (uninterrupted, interrupted) after checking
    that both hold the same data.
    """
    rng = random.Random(seed)
    reference = lab.copy()
    prepare(reference)
    uninterrupted = reference.run(*args, **env)
    copy = lab.copy()
    prepare(copy)
    first_kill = first_kill or (waiting_while_writing if block else writing)
    kills = []
    with block(copy, rng) if block else nullcontext():
        process = copy.start(*args, **env)
        reached = wait_for(first_kill(copy), timeout=uninterrupted.seconds * 5 + 30, every=0.005)
        kills.append(f"at the chosen point: exit {kill_group(process)}")
    assert reached and kills[0].endswith("exit -9"), f"the first kill came too late: {kills}"
    for _ in range(2):
        moment = rng.uniform(0.05, 0.95) * uninterrupted.seconds
        process = copy.start(*args, **env)
        time.sleep(moment)
        kills.append(f"after {moment:.2f} s: exit {kill_group(process)}")
    assert stuck_sessions(copy.server) == [], kills
    copy.run(*args, **env)
    reports = [Path("reports")] if "--out" in args else []
    expected = reference.state(*(reference.work_dir / r for r in reports))
    found = copy.state(*(copy.work_dir / r for r in reports))
    assert found[0] == expected[0], f"database differs after kills {kills}"
    assert found[1] == expected[1], f"files differ after kills {kills}"
    return reference, copy


def test_mock_generation(empty_lab: Lab) -> None:
    crash_then_finish(empty_lab, MOCK, seed=1)


def answered_last_week(copy: Copy, rng: random.Random) -> int:
    """The staff id of someone who consented to check-ins and answered in the last week."""
    with closing(psycopg2.connect(copy.url)) as connection, connection.cursor() as cursor:
        cursor.execute(
            "SELECT k.staff_id FROM checkin k JOIN consent c ON c.staff_id = k.staff_id "
            "WHERE c.channel = 'checkin' AND c.granted AND k.week_start = %s ORDER BY 1",
            (LAST_WEEK,),
        )
        return rng.choice([staff_id for (staff_id,) in cursor.fetchall()])


def hold_a_check_in(copy: Copy, rng: random.Random) -> AbstractContextManager:
    """Lock one person's stored check-in of the last week, which the import will update."""
    sql = "SELECT 1 FROM checkin WHERE staff_id = %s AND week_start = %s FOR UPDATE"
    return holding(copy, sql, (answered_last_week(copy, rng), LAST_WEEK))


def hold_a_score(copy: Copy, rng: random.Random) -> AbstractContextManager:
    """Insert, uncommitted, one person's score of the last week, which scoring will write."""
    sql = (
        "INSERT INTO weekly_risk (staff_id, week_start, model_version_id, probability, level) "
        "SELECT %s, %s, max(id), 0, 'low' FROM model_version"
    )
    return holding(copy, sql, (answered_last_week(copy, rng), LAST_WEEK))


def test_check_in_import(lab: Lab) -> None:
    """New answers for everyone, and changed answers for last week: killed while it waits for
    a random one of last week's rows, half-way through writing."""

    def write_file(copy: Copy) -> None:
        answers = "Often,Sometimes,Often,Seldom,Always,Sometimes"
        people = copy.consenting("checkin")
        lines = [f"{p},{week},{answers}" for week in (NEW_WEEK, LAST_WEEK) for p in people]
        header = "pseudonym,week,personal_1,personal_2,personal_3,personal_4,personal_5,personal_6"
        (copy.work_dir / "checkins.csv").write_text("\n".join([header, *lines]) + "\n")

    args = ("checkin", "import", "checkins.csv")
    crash_then_finish(lab, args, seed=2, block=hold_a_check_in, prepare=write_file)


def test_scoring(lab: Lab) -> None:
    args = ("score", "--week", str(LAST_WEEK))
    crash_then_finish(lab, args, seed=3, block=hold_a_score)


def test_report_writing(lab: Lab) -> None:
    """The report scores its week first (killed there), then runs its notebook (killed there or
    not, by chance) and archives it; the archive ends up as if nothing had happened."""
    reference, copy = crash_then_finish(
        lab, ("report", "--week", str(LAST_WEEK), "--out", "reports"), seed=4, block=hold_a_score
    )
    indexes = []
    for run in (reference, copy):
        index = json.loads((run.work_dir / "reports" / "index.json").read_text())
        indexes.append({name: {**entry, "generated_at": None} for name, entry in index.items()})
        html = (run.work_dir / "reports" / f"weekly-report-{LAST_WEEK}.html").read_text()
        assert html.rstrip().endswith("</html>")
    assert indexes[0] == indexes[1] and list(indexes[0]) == [f"weekly-report-{LAST_WEEK}"]


def test_extraction(lab: Lab, tmp_path: Path) -> None:
    """Three clips of two Hume requests each; killed after a random number of Hume's answers,
    then twice more at random; the final run resumes from the answers already cached."""
    rng = random.Random(5)
    after_answers = rng.randint(1, 5)
    clips = [
        pattern_clip(tmp_path / f"clip-{rate}.mp4", 12, source=f"testsrc=size=320x240:rate={rate}")
        for rate in (10, 11, 12)
    ]
    with FakeHumeServer(api_key=API_KEY) as hume:

        def answered(copy: Copy) -> Callable[[], bool]:
            start = hume.requests
            return lambda: hume.requests >= start + after_answers

        person = lab.template.consenting("face")[0]
        args = ("extract", *map(str, clips), "--staff", person, "--fps", "3",
                "--recorded-at", f"{NEW_WEEK}T09:00")  # fmt: skip
        env = {"HUME_API_KEY": API_KEY, "HUME_BASE_URL": hume.base_url}
        before = hume.requests
        reference, _ = crash_then_finish(lab, args, seed=6, first_kill=answered, **env)
    assert reference.sums()["recording"].rows == lab.template.sums()["recording"].rows + 3
    assert hume.requests - before >= 6 + after_answers


@pytest.fixture
def own_server() -> ThrowawayPostgres:
    """A server of this test's own, to restart without disturbing the others."""
    server = ThrowawayPostgres().start()
    yield server
    server.stop()


def test_server_restarted_mid_write(own_server, tmp_path) -> None:
    """Mock generation reconnects and finishes, or stops with one clear line; a re-run finishes."""
    lab = Lab(own_server, tmp_path).prepare()
    reference = lab.copy()
    reference.run(*MOCK)
    copy = lab.copy()
    process = copy.start(*MOCK)
    assert wait_for(writing(copy), timeout=120, every=0.005), "never saw the write transaction"
    own_server.restart()
    out, err = process.communicate(timeout=120)
    if process.returncode == 0:
        assert "connection lost" in err and "reconnecting" in err, err
    else:
        assert process.returncode == 1, err
        [line] = [line for line in err.splitlines() if line.startswith("burnout: error:")]
        assert "connection" in line and "run the command again" in line, err
    copy.run(*MOCK)
    assert copy.sums() == reference.sums()
