"""Weekly scores: idempotent, per model version, only with data and consent."""

import datetime as dt

import pandas as pd
import pytest
from sqlalchemy import select

from burnout_lib.errors import NotFound
from burnout_lib.mock.hospital import DEFAULT_START, MockSpec, write_mock
from burnout_lib.privacy.consent import set_consent
from burnout_lib.risk.features import weekly_features
from burnout_lib.risk.model import save_model, train
from burnout_lib.risk.scoring import score_week
from burnout_lib.store import db

START = DEFAULT_START
WEEK = START + dt.timedelta(weeks=9)


def risk_rows(engine, version=None) -> pd.DataFrame:
    query = select(db.weekly_risk).order_by(db.weekly_risk.c.staff_id, db.weekly_risk.c.week_start)
    if version is not None:
        query = query.where(db.weekly_risk.c.model_version_id == version)
    with engine.connect() as connection:
        frame = pd.read_sql(query, connection)
    return frame.drop(columns=["id", "scored_at"])


def test_scoring_twice_writes_the_same_rows(engine, settings, trained) -> None:
    first = score_week(engine, settings, WEEK + dt.timedelta(days=3))
    assert first.week == WEEK and first.model_version_id == trained
    rows = risk_rows(engine)
    assert len(rows) == first.scored > 0
    assert set(rows.level) <= {"low", "moderate", "high"}
    assert rows.probability.between(0, 1).all()
    assert all(isinstance(d, list) for d in rows.drivers)
    again = score_week(engine, settings, WEEK)
    assert again.levels == first.levels
    pd.testing.assert_frame_equal(risk_rows(engine), rows)


def test_a_second_model_adds_its_own_rows(engine, settings, trained) -> None:
    score_week(engine, settings, WEEK)
    before = risk_rows(engine, trained)
    other = save_model(train(weekly_features(engine), "checkin", bootstrap_rounds=5, folds=3),
                       engine, settings)  # fmt: skip
    score_week(engine, settings, WEEK, other)
    pd.testing.assert_frame_equal(risk_rows(engine, trained), before)
    assert len(risk_rows(engine, other)) == len(before)


def test_no_data_no_score_and_no_consent_no_score(engine, settings, trained) -> None:
    with engine.connect() as connection:
        had_data = set(
            connection.execute(
                select(db.checkin.c.staff_id).where(db.checkin.c.week_start == WEEK)
            ).scalars()
        ) | set(
            connection.execute(
                select(db.recording.c.staff_id).where(db.recording.c.week_start == WEEK)
            ).scalars()
        )
        everyone = set(connection.execute(select(db.staff.c.id)).scalars())
        quiet = sorted(had_data)[0]
        pseudonym = connection.execute(
            select(db.staff.c.pseudonym).where(db.staff.c.id == quiet)
        ).scalar_one()
    set_consent(engine, pseudonym, "checkin", granted=False)
    set_consent(engine, pseudonym, "recording", granted=False)
    score_week(engine, settings, WEEK)
    scored = set(risk_rows(engine).staff_id)
    assert scored <= had_data - {quiet}, "no score without data or without consent"
    assert everyone - had_data, "some people had no data that week"


def test_a_week_without_data_is_an_error(engine, settings, trained) -> None:
    with pytest.raises(NotFound, match="2027-06-07"):
        score_week(engine, settings, dt.date(2027, 6, 9))


def test_no_model_yet(engine, settings) -> None:
    with pytest.raises(NotFound, match="burnout train"):
        score_week(engine, settings, WEEK)


def test_cli_train_and_score(cli, engine, settings) -> None:
    write_mock(engine, settings, MockSpec(staff=40, weeks=10, seed=5), progress=False)
    trained = cli("train", "--feature-set", "checkin")
    assert trained.stdout.startswith("model 1:") and "threshold" in trained.stdout
    scored = cli("score", "--week", str(START + dt.timedelta(weeks=8)))
    assert "people scored with model 1" in scored.stdout
    missing = cli("score", "--week", "2030-01-07", check=False)
    assert missing.returncode == 1 and len(missing.stderr.strip().splitlines()) == 1
