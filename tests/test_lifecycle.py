"""A model's life (`risk/lifecycle.py`): trained models are candidates, one model is live, and a
second training changes no score, view or alert until someone promotes it."""

import datetime as dt

import pytest
from sqlalchemy import select

from burnout_lib.errors import InvalidInput, NotFound
from burnout_lib.mock.hospital import DEFAULT_START
from burnout_lib.risk import lifecycle
from burnout_lib.risk.alerts import evaluate_week
from burnout_lib.risk.features import weekly_features
from burnout_lib.risk.model import save_model, train
from burnout_lib.risk.scoring import score_week, score_weeks
from burnout_lib.store import db
from burnout_lib.store.integrity import table_sums

WEEK = DEFAULT_START + dt.timedelta(weeks=9)


def live(engine) -> int | None:
    with engine.connect() as connection:
        return db.live_model_id(connection)


def test_a_trained_model_is_a_candidate_until_promoted(engine, settings, trained) -> None:
    assert live(engine) == trained
    scored = score_weeks(engine, settings, DEFAULT_START, WEEK, trained)
    for result in scored:
        evaluate_week(engine, settings, result.week, trained)
    before = table_sums(engine)

    candidate = save_model(
        train(weekly_features(engine), "checkin", bootstrap_rounds=5, folds=3), engine, settings
    )
    assert live(engine) == trained, "training changes nothing people see"
    assert score_week(engine, settings, WEEK).model_version_id == trained
    after = table_sums(engine)
    assert after["model_version"].rows == before["model_version"].rows + 1
    assert {k: v for k, v in after.items() if k != "model_version"} == {
        k: v for k, v in before.items() if k != "model_version"
    }

    lifecycle.promote(engine, settings, candidate, force=True)
    assert live(engine) == candidate
    assert score_week(engine, settings, WEEK).model_version_id == candidate
    with engine.connect() as connection:
        flags = connection.execute(select(db.model_version.c.live)).scalars().all()
    assert sorted(flags) == [False, True], "one live model"


def test_a_worse_model_needs_force(engine, settings, trained) -> None:
    worse = train(weekly_features(engine), "checkin", bootstrap_rounds=5, folds=3)
    worse.card["metrics"]["average_precision"] = 0.0
    candidate = save_model(worse, engine, settings)
    with engine.begin() as connection:  # what its held-out people would have shown
        metrics = dict(
            connection.execute(
                select(db.model_version.c.metrics).where(db.model_version.c.id == candidate)
            ).scalar_one()
        )
        metrics["metrics"] = {**metrics["metrics"], "average_precision": 0.0}
        connection.execute(
            db.model_version.update()
            .where(db.model_version.c.id == candidate)
            .values(metrics=metrics)
        )
    with pytest.raises(InvalidInput, match=f"model {candidate} does worse than the live model"):
        lifecycle.promote(engine, settings, candidate)
    assert live(engine) == trained
    comparison = lifecycle.promote(engine, settings, candidate, force=True)
    assert comparison.worse and "held-out people" in comparison.basis
    assert live(engine) == candidate
    with pytest.raises(NotFound, match="no model version 999"):
        lifecycle.promote(engine, settings, 999)


def test_without_a_live_model_scoring_says_what_to_do(engine, settings) -> None:
    from burnout_lib.mock.hospital import MockSpec, write_mock

    write_mock(engine, settings, MockSpec(staff=40, weeks=8, seed=3), progress=False)
    save_model(train(weekly_features(engine), "checkin", bootstrap_rounds=3, folds=3),
               engine, settings)  # fmt: skip
    with pytest.raises(NotFound, match="burnout train --promote"):
        score_week(engine, settings, DEFAULT_START + dt.timedelta(weeks=6))


def test_the_commands(cli, engine, settings, trained) -> None:
    second = cli("train", "--feature-set", "checkin")
    assert "is a candidate: `burnout promote" in second.stdout
    assert live(engine) == trained
    with engine.connect() as connection:
        candidate = connection.execute(
            select(db.model_version.c.id).where(~db.model_version.c.live)
        ).scalar_one()
    promoted = cli("promote", str(candidate), "--force")
    assert f"model {candidate} is live" in promoted.stdout
    missing = cli("promote", "999", check=False)
    assert missing.returncode == 1 and "no model version 999" in missing.stderr


def test_models_are_compared_on_the_weeks_neither_was_trained_on(engine, settings) -> None:
    from burnout_lib.mock.hospital import MockSpec, write_mock

    write_mock(engine, settings, MockSpec(staff=80, weeks=14, seed=5), progress=False)
    cut = DEFAULT_START + dt.timedelta(weeks=8)
    early = weekly_features(engine, last=cut)
    options = {"bootstrap_rounds": 3, "folds": 3}
    live_id = save_model(train(early, "full", **options), engine, settings, live=True)
    candidate = save_model(train(early, "checkin", **options), engine, settings)
    comparison = lifecycle.compare(engine, settings, candidate, live_id)
    assert comparison.basis.startswith("the held-out weeks ")
    first_held_out = dt.date.fromisoformat(comparison.basis.split()[3])
    assert first_held_out > cut
    assert 0 < comparison.candidate <= 1 and 0 < comparison.live <= 1
