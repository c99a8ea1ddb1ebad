"""The `burnout` command as a user runs it: exit codes, one-line errors, idempotent re-runs."""

import os
import subprocess

import pandas as pd
import pytest
from sqlalchemy import select

from burnout_lib.privacy.consent import set_consent
from burnout_lib.store import db

from helpers import small_hospital as H
from helpers.databases import NEWEST_REVISION, table_dump
from helpers.paths import BURNOUT


def test_init_db_twice(cli, settings) -> None:
    first = cli("init-db")
    second = cli("init-db")
    assert f"revision {NEWEST_REVISION}" in first.stdout and second.stdout == first.stdout


def test_mock_twice_gives_the_same_database(cli, engine) -> None:
    cli("mock", "--staff", "50", "--weeks", "12", "--seed", "7")
    counts = db.row_counts(engine)
    with engine.connect() as connection:
        checkins = pd.read_sql(select(db.checkin).order_by(db.checkin.c.id), connection)
    result = cli("mock", "--staff", "50", "--weeks", "12", "--seed", "7")
    assert "50 staff" in result.stdout
    assert db.row_counts(engine) == counts
    with engine.connect() as connection:
        again = pd.read_sql(select(db.checkin).order_by(db.checkin.c.id), connection)
    pd.testing.assert_frame_equal(again, checkins)


def test_consent_and_erase_commands(cli, engine, settings) -> None:
    cli("mock", "--staff", "6", "--weeks", "3", "--seed", "1")
    with engine.connect() as connection:
        pseudonym = connection.execute(select(db.staff.c.pseudonym).limit(1)).scalar_one()
    revoked = cli("consent", pseudonym, "--revoke", "face")
    assert f"{pseudonym}: face consent revoked" in revoked.stdout and not revoked.stderr
    # the facial channel's earlier name still works, with a one-line note
    granted = cli("consent", pseudonym, "--grant", "recording")
    assert f"{pseudonym}: face consent granted" in granted.stdout
    assert granted.stderr.strip() == (
        "note: the 'recording' channel is now called 'face' ('recording' still works)"
    )
    erased = cli("erase", pseudonym)
    assert erased.stdout.startswith(f"erased {pseudonym}:")
    assert db.row_counts(engine)["staff"] == 5


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (("--db", "mysql://u@h/db", "init-db"), "'mysql' is not supported"),
        (("--db", "postgresql://u:pw@127.0.0.1:1/x", "init-db"), "cannot reach database"),
        (("mock", "--staff", "-5", "--weeks", "3"), "staff must be at least 1"),
        (("erase", "nobody-at-all-00"), "no staff member with pseudonym 'nobody-at-all-00'"),
        (("consent", "nobody-at-all-00", "--grant", "checkin"), "nobody-at-all-00"),
        (("mock-survey", "--rows", "0", "--out", "x.csv"), "rows must be at least 1"),
    ],
)
def test_user_errors_are_one_line(cli, engine, args, expected) -> None:
    counts = db.row_counts(engine)
    result = cli(*args, check=False)
    assert result.returncode == 1
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and expected in lines[0], result.stderr
    assert "Traceback" not in result.stderr and "pw@" not in result.stderr
    assert db.row_counts(engine) == counts


def test_argument_errors_are_one_line(cli) -> None:
    result = cli("mock", "--staff", "many", "--weeks", "3", check=False)
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [
        "burnout mock: error: argument --staff: invalid int value: 'many' (see burnout mock --help)"
    ]


def test_two_databases_side_by_side(cli, tmp_path) -> None:
    other = tmp_path / "site-b"
    cli("--db", f"sqlite:///{other / 'b.db'}", "--data-dir", str(other), "init-db")
    cli(
        "mock", "--staff", "4", "--weeks", "2", "--db", f"sqlite:///{other / 'b.db'}",
        "--data-dir", str(other),
    )  # fmt: skip
    assert (other / "mock_truth.parquet").exists()
    assert len(list((other / "people").iterdir())) >= 1


def test_mock_survey_command(cli, tmp_path) -> None:
    out = tmp_path / "survey.csv"
    cli("mock-survey", "--rows", "1000", "--seed", "0", "--out", str(out))
    frame = pd.read_csv(out)
    assert frame.shape == (1000, 44)


def test_same_seed_into_two_databases_gives_identical_tables(cli, engine, tmp_path) -> None:

    args = ("mock", "--staff", "50", "--weeks", "12", "--seed", "7")
    cli(*args)
    other_url = f"sqlite:///{tmp_path / 'other' / 'b.db'}"
    cli("--db", other_url, "--data-dir", str(tmp_path / "other"), "init-db")
    cli("--db", other_url, "--data-dir", str(tmp_path / "other"), *args)
    other = db.make_engine(other_url)
    for table in (db.staff, db.consent, db.checkin, db.recording):
        pd.testing.assert_frame_equal(table_dump(engine, table), table_dump(other, table))
    other.dispose()


def typed(settings, *args: str, cwd) -> subprocess.CompletedProcess:
    """`burnout ARGS` as a person types it: no --quiet, so progress bars would show."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("BURNOUT_")}
    env.update(BURNOUT_DB_URL=settings.db_url, BURNOUT_DATA_DIR=str(settings.data_dir))
    return subprocess.run([str(BURNOUT), *args], capture_output=True, text=True, env=env, cwd=cwd,
                          timeout=120)  # fmt: skip


def test_burnout_alone_lists_its_commands(settings, tmp_path) -> None:
    result = typed(settings, cwd=tmp_path)
    assert result.returncode == 0 and result.stderr == ""
    lines = result.stdout.splitlines()
    assert lines[0] == "usage: burnout [-h] [--db URL] [--data-dir DIR] [-q] COMMAND ..."
    listed = [line.split()[0] for line in lines[lines.index("  COMMAND") + 1 :] if line[4:5] != " "]
    assert listed == [
        "init-db", "mock", "mock-survey", "consent", "channels", "erase", "account", "extract",
        "import-hume", "fake-hume", "checkin", "train", "evaluate", "promote", "score",
        "acknowledge", "report", "checksum", "dashboard", "demo",
    ]  # fmt: skip


def test_extract_refuses_an_unknown_or_unconsenting_person_in_one_line_first(
    engine, settings, tmp_path
) -> None:
    H.build(engine)
    set_consent(engine, "porter-1", "face", False)
    clip = tmp_path / "clip.mp4"
    clip.write_bytes(b"not looked at: the person is refused first")
    for person, line in [
        ("nobody-00", "burnout: error: no staff member with pseudonym 'nobody-00'"),
        ("porter-1", "burnout: error: porter-1 has not consented to the facial channel "
                     "(face): nothing was sent"),
    ]:  # fmt: skip
        result = typed(settings, "extract", str(clip), "--staff", person, cwd=tmp_path)
        assert (result.returncode, result.stdout, result.stderr) == (1, "", line + "\n")
