"""Weekly scores: idempotent, per model version, only with data and consent."""

import datetime as dt

import pandas as pd
import pytest
from sqlalchemy import select

from burnout_lib.errors import InvalidInput, NotFound
from burnout_lib.mock.hospital import DEFAULT_START, MockSpec, write_mock
from burnout_lib.privacy.consent import set_consent
from burnout_lib.risk import feature_choice as fc
from burnout_lib.risk.features import weekly_features
from burnout_lib.risk.model import save_model, train
from burnout_lib.risk.scoring import (
    score_people,
    score_week,
    score_weeks,
    unscored_people,
    what_scores_mean,
)
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


def test_scoring_some_people_writes_their_rows_only_and_as_scoring_everyone(
    engine, settings, trained
) -> None:
    everyone = score_week(engine, settings, WEEK)
    rows = risk_rows(engine).set_index("staff_id")
    chosen = list(rows.index[:2])
    with engine.begin() as connection:  # their rows gone; everyone else's stay as they are
        connection.execute(db.weekly_risk.delete().where(db.weekly_risk.c.staff_id.in_(chosen)))
    with engine.connect() as connection:  # the week needs scoring again (the weekly report asks)
        assert unscored_people(connection, WEEK, trained) == 2
    scored = score_people(engine, settings, chosen + chosen[:1], WEEK + dt.timedelta(days=6))
    assert sorted(scored["staff_id"]) == chosen and len(scored) == 2
    pd.testing.assert_frame_equal(risk_rows(engine).set_index("staff_id"), rows)
    assert score_week(engine, settings, WEEK).written == 0, "the same rows as scoring everyone"
    with engine.connect() as connection:
        assert unscored_people(connection, WEEK, trained) == 0
    assert everyone.scored == len(rows)

    with engine.connect() as connection:
        staff_ids = connection.execute(select(db.staff.c.id)).scalars()
        without = next(i for i in staff_ids if i not in rows.index)  # no data, or no consent
    with pytest.raises(NotFound, match=f"consenting staff {without} in the week of {WEEK}"):
        score_people(engine, settings, [without], WEEK)
    with pytest.raises(InvalidInput, match="at least one person"):
        score_people(engine, settings, [], WEEK)
    pd.testing.assert_frame_equal(risk_rows(engine).set_index("staff_id"), rows)


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
    set_consent(engine, pseudonym, "face", granted=False)
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
    trained = cli("train", "--feature-set", "checkin", "--promote")
    assert trained.stdout.startswith("model 1:") and "threshold" in trained.stdout
    scored = cli("score", "--week", str(START + dt.timedelta(weeks=8)))
    assert "people scored with model 1" in scored.stdout
    missing = cli("score", "--week", "2030-01-07", check=False)
    assert missing.returncode == 1 and len(missing.stderr.strip().splitlines()) == 1


FACIAL_DRIVERS = {
    "fatigue-related expressions",
    "calm and content expressions",
    "other expressions",
}


def scored_with_answers(engine) -> pd.DataFrame:
    """Every stored score next to the person's own check-in of that week and their consent."""
    risk, checkin, consent = db.weekly_risk, db.checkin, db.consent
    query = (
        select(
            risk.c.staff_id, risk.c.week_start, risk.c.level, risk.c.drivers,
            risk.c.checkin_score, risk.c.measured_band, checkin.c.score,
        )
        .outerjoin(checkin, (checkin.c.staff_id == risk.c.staff_id)
                   & (checkin.c.week_start == risk.c.week_start))
    )  # fmt: skip
    with engine.connect() as connection:
        rows = pd.read_sql(query, connection)
        agreed = pd.read_sql(select(consent).where(consent.c.granted), connection)
        recorded = pd.read_sql(select(db.recording.c.staff_id).distinct(), connection)
    rows["shares_face"] = rows["staff_id"].isin(
        agreed.loc[agreed["channel"] == "face", "staff_id"]
    ) & rows["staff_id"].isin(recorded["staff_id"])
    return rows


def test_no_week_with_an_own_answer_is_below_its_band(engine, settings, trained) -> None:
    score_weeks(engine, settings, START, START + dt.timedelta(weeks=11), trained)
    rows = scored_with_answers(engine)
    answered = rows[rows["checkin_score"].notna()]
    assert len(answered) > 100 and answered["checkin_score"].ge(50).sum() > 10
    assert (answered["checkin_score"] == answered["score"]).all(), "the stored answer is theirs"
    assert not answered[answered["checkin_score"] >= 50]["level"].eq("low").any()
    assert answered[answered["checkin_score"] >= 75]["level"].eq("high").all()
    bands = {"low": (0, 50), "moderate": (50, 75), "high": (75, 100), "severe": (100, 101)}
    for band, (low, high) in bands.items():
        chosen = answered[answered["measured_band"] == band]["checkin_score"]
        assert chosen.between(low, high, inclusive="left").all(), band
    unanswered = rows[rows["checkin_score"].isna()]
    assert unanswered["measured_band"].isna().all()


def test_drivers_name_only_what_the_person_shared(engine, settings, trained) -> None:
    score_weeks(engine, settings, START, START + dt.timedelta(weeks=11), trained)
    rows = scored_with_answers(engine)
    named = rows["drivers"].map(lambda found: {d["driver"] for d in found or []})
    without_face = ~rows["shares_face"]
    assert without_face.sum() > 20, "some people share no clips"
    assert not (named[without_face].map(lambda n: bool(n & FACIAL_DRIVERS))).any()
    assert named[rows["shares_face"]].map(lambda n: bool(n & FACIAL_DRIVERS)).any()
    assert named.map(lambda n: "missed check-ins" in n).any()
    # this week's answer is a driver only in a week the person answered
    assert not named[rows["checkin_score"].isna()].map(lambda n: "this week's check-in" in n).any()


def test_a_skipped_week_gets_an_estimate_and_an_answered_week_does_not(
    engine, settings, trained
) -> None:
    """Measured and estimated are never confused: an answered week stores no estimate, and a
    skipped week's level is never below its estimate's."""
    from burnout_lib.risk.scoring import latest_model

    score_weeks(engine, settings, START, START + dt.timedelta(weeks=11), trained)
    rows = risk_rows(engine, trained)
    answered, skipped = rows[rows["checkin_score"].notna()], rows[rows["checkin_score"].isna()]
    assert len(skipped) > 20, "the mock hospital skips some weeks"
    assert answered["estimate_probability"].isna().all()
    assert skipped["estimate_probability"].between(0, 1).all()
    model, _ = latest_model(engine, settings, trained)
    rank = {level: k for k, level in enumerate(db.RISK_LEVELS)}
    estimate_levels = model.estimate.level(skipped["estimate_probability"].to_numpy())
    assert (skipped["level"].map(rank).to_numpy() >= pd.Series(estimate_levels).map(rank)).all()
    warning_levels = model.level(rows["probability"].to_numpy())
    assert (rows["level"].map(rank).to_numpy() >= pd.Series(warning_levels).map(rank)).all()
    with engine.connect() as connection:
        horizon = connection.execute(
            select(db.model_version.c.horizon_weeks).where(db.model_version.c.id == trained)
        ).scalar_one()
    assert horizon == 4 == model.horizon


NO_BETTER = (
    "The facial channel did not improve early warning on your data (average precision 0.852 with "
    "it, 0.877 without; 95% interval of the average-precision difference -0.069 to +0.014). "
    "Check-ins alone did as well: the facial channel has not earned its place here."
)


def test_what_scores_mean_names_the_live_models_channels(engine, trained) -> None:
    every_channel = what_scores_mean(4)
    assert "only if you agreed to share them, your weekly clip's facial expression" in every_channel
    assert "The live model uses" not in every_channel
    # a model described by nothing (a hand-made row) leaves the text as it was
    assert what_scores_mean(4, {}) == what_scores_mean(4, ["prev_score"]) == every_channel

    # the live model's row as the database holds it: its feature set names the channels
    with engine.connect() as connection:
        live = connection.execute(
            select(db.model_version.c.feature_set, db.model_version.c.metrics).where(
                db.model_version.c.id == trained
            )
        ).one()
    assert what_scores_mean(4, live.metrics) == every_channel  # trained before cards said
    assert "(your check-ins and, only if you agreed" in what_scores_mean(4, live.feature_set)
    assert "The live model uses weekly check-ins and facial expression scores. Risk level" in (
        what_scores_mean(4, live.feature_set)
    )

    # a card that records the evaluation says why
    left_out = fc.FeatureChoice("checkin", fc.NO_BETTER, NO_BETTER).record()
    meaning = what_scores_mean(6, {"channels": left_out})
    assert "within the next 6 weeks" in meaning
    assert (
        "end of the week (your check-ins). The live model uses weekly check-ins only: on this "
        "hospital's data the facial channel did not improve the early warning. Risk level"
    ) in meaning
    assert "facial expression scores)" not in meaning
    against = fc.FeatureChoice("checkin", fc.NO_BETTER, NO_BETTER).record(
        "full", asked_by="asked for by --feature-set full"
    )
    assert (
        "The live model uses weekly check-ins and facial expression scores, although on this "
        "hospital's data the facial channel did not improve the early warning."
    ) in what_scores_mean(4, {"channels": against})
    kept = fc.FeatureChoice("full", fc.IMPROVED, "The facial channel improved …").record()
    assert (
        "The live model uses weekly check-ins and facial expression scores: on this hospital's "
        "data the facial channel improved the early warning."
    ) in what_scores_mean(4, kept)
    assert "end of the week (your check-ins). The live model uses weekly check-ins only." in (
        what_scores_mean(4, "checkin")
    )
    with pytest.raises(InvalidInput, match="unknown feature set 'faces'"):
        what_scores_mean(4, "faces")
