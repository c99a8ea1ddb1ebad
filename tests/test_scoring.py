"""Weekly scores and alerts: idempotent, per model version, only with data and consent."""

import datetime as dt

import pandas as pd
import pytest
from sqlalchemy import select

from burnout_lib import db
from burnout_lib.alerts import acknowledge, evaluate_week, suggested_actions
from burnout_lib.errors import NotFound
from burnout_lib.features import weekly_features
from burnout_lib.mock import MockSpec, write_mock
from burnout_lib.model import save_model, train
from burnout_lib.privacy import set_consent
from burnout_lib.scoring import score_week, score_weeks

START = dt.date(2026, 1, 5)
WEEK = START + dt.timedelta(weeks=9)


@pytest.fixture
def trained(engine, settings) -> int:
    write_mock(engine, settings, MockSpec(staff=60, weeks=12, seed=4), progress=False)
    model = train(weekly_features(engine), "full", bootstrap_rounds=5, folds=3)
    return save_model(model, engine, settings)


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


def test_alerts_are_idempotent_and_acknowledgements_kept(engine, settings, trained) -> None:
    results = score_weeks(engine, settings, START, START + dt.timedelta(weeks=11), trained)
    raised = [evaluate_week(engine, settings, r.week, trained) for r in results]
    assert sum(map(len, raised)) > 0
    count = db.row_counts(engine)["alert"]
    for result in results:
        evaluate_week(engine, settings, result.week, trained)
    assert db.row_counts(engine)["alert"] == count
    with engine.connect() as connection:
        alerts = pd.read_sql(select(db.alert), connection)
    assert set(alerts.rule) <= {"first_high", "sustained", "rising_fast", "unit_high_share"}
    assert alerts.reason.str.len().gt(10).all() and alerts.suggested_action.notna().all()
    first = int(alerts.id.iloc[0])
    stamp = acknowledge(engine, first)
    evaluate_week(engine, settings, alerts.week_start.iloc[0], trained)
    assert acknowledge(engine, first).replace(tzinfo=None) == stamp.replace(tzinfo=None)
    with pytest.raises(NotFound, match="999999"):
        acknowledge(engine, 999999)
    firsts = alerts[alerts.rule == "first_high"].groupby("subject").size()
    assert (firsts == 1).all(), "high for the first time is raised once per person"


def test_suggestions_come_from_drivers_and_from_what_helped() -> None:
    text = suggested_actions([{"driver": "fatigue-related expressions", "effect": 0.2}])
    assert text.startswith("review the rota")
    assert "self-guided counseling with access to therapist (33%" in text
    assert "physical exercise/activity (59% used it to cope)" in text


def test_cli_train_and_score(cli, engine, settings) -> None:
    write_mock(engine, settings, MockSpec(staff=40, weeks=10, seed=5), progress=False)
    trained = cli("train", "--feature-set", "checkin")
    assert trained.stdout.startswith("model 1:") and "threshold" in trained.stdout
    scored = cli("score", "--week", str(START + dt.timedelta(weeks=8)))
    assert "people scored with model 1" in scored.stdout
    missing = cli("score", "--week", "2030-01-07", check=False)
    assert missing.returncode == 1 and len(missing.stderr.strip().splitlines()) == 1
