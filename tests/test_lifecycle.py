"""A model's life (`risk/lifecycle.py`): trained models are candidates, one model is live, and a
second training changes no score, view or alert until someone promotes it."""

import datetime as dt
import json
import re

import numpy as np
import pandas as pd
import pytest
from sqlalchemy import delete, select

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


def facial_channel_as_noise(engine) -> None:
    """Every recording gets another recording's expression summary, drawn at random: the facial
    channel then says nothing about anyone's burnout."""
    with engine.begin() as connection:
        rows = pd.read_sql(select(db.expression_summary), connection)
        order = np.random.default_rng(0).permutation(len(rows))
        rows["recording_id"] = rows["recording_id"].to_numpy()[order]
        connection.execute(delete(db.expression_summary))
        db.upsert(connection, db.expression_summary, rows, ("recording_id",))


def test_a_model_against_its_evaluation_says_so_on_its_card_and_when_promoted(
    cli, engine, settings
) -> None:
    from burnout_lib.mock.hospital import MockSpec, write_mock

    write_mock(engine, settings, MockSpec(staff=60, weeks=20, seed=4), progress=False)
    facial_channel_as_noise(engine)

    # asked for the facial channel that `burnout evaluate` finds no help: trained, and said so
    asked = cli("train", "--feature-set", "full")
    [model_line, channels, candidate_line] = asked.stdout.splitlines()
    version = int(model_line.split()[1].rstrip(":"))
    assert "on full features" in model_line and f"burnout promote {version}" in candidate_line
    statement = re.search(r"against the evaluation: (The facial channel .*)$", channels).group(1)
    assert channels.startswith(
        "channels: weekly check-ins and facial expression scores, asked for by --feature-set "
        "full, against the evaluation: "
    )
    assert statement.startswith(("The facial channel did not improve early warning",
                                 "The facial channel made early warning worse"))  # fmt: skip
    with engine.connect() as connection:
        row = connection.execute(
            select(db.model_version).where(db.model_version.c.id == version)
        ).one()
    record = row.metrics["channels"]
    assert (record["feature_set"], record["chosen_by_evaluation"]) == ("full", "checkin")
    assert record["against_evaluation"] and record["evaluation"] == statement
    assert record["reason"] == "asked for by --feature-set full"
    card = settings.data_dir / row.path.replace(".joblib", ".card.md")
    assert (
        "**This model goes against its evaluation**: it was trained on `full` features, "
        "where the evaluation chose `checkin` (asked for by --feature-set full)."
        in card.read_text()
    )
    assert json.loads(card.with_suffix(".json").read_text())["channels"] == record

    promoted = cli("promote", str(version))
    assert promoted.stdout.splitlines() == [
        f"model {version} is live",
        f"model {version} uses weekly check-ins and facial expression scores against its "
        f"evaluation (asked for by --feature-set full): {statement}",
    ]

    # without --feature-set, training follows the evaluation and its promotion adds nothing
    chosen = cli("train", "--promote", "--force")
    [model_line, channels, live_line] = chosen.stdout.splitlines()
    assert "on checkin features" in model_line
    assert channels.startswith(
        "channels: weekly check-ins only (the facial channel is left out because it "
    )
    assert channels.endswith(f"on later weeks). {statement}")
    assert re.fullmatch(rf"model {version + 1} is live( \(.*\))?", live_line)
