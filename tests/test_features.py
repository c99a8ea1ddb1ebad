"""The person × week feature matrix, checked on a hand-built history."""

import datetime as dt

import numpy as np
import pandas as pd
import pytest

from burnout_lib.emotions import EXPRESSION_SLUGS, summary_column
from burnout_lib.errors import InvalidInput
from burnout_lib.risk.features import (
    FEATURE_SETS,
    feature_columns,
    warning_labels,
    weekly_features,
)
from burnout_lib.store import db

W = [dt.date(2026, 3, 2) + dt.timedelta(weeks=k) for k in range(6)]


def add_history(engine, checkins: dict[int, float], tiredness: dict[int, float]) -> None:
    """One nurse: check-in scores and one recording's tiredness mean, by week index."""
    with engine.begin() as connection:
        staff = pd.DataFrame([{"pseudonym": "calm-heron-42", "unit": "Intensive care",
                               "role": "Nurse", "shift_pattern": "nights"}])  # fmt: skip
        db.upsert(connection, db.staff, staff, keys=("pseudonym",))
        staff_id = connection.execute(db.staff.select()).first().id
        rows = pd.DataFrame({"staff_id": staff_id, "week_start": [W[k] for k in checkins],
                             "score": list(checkins.values()), "source": "test"})  # fmt: skip
        db.upsert(connection, db.checkin, rows, keys=("staff_id", "week_start"))
        recordings = pd.DataFrame(
            {
                "staff_id": staff_id,
                "recorded_at": [dt.datetime.combine(W[k], dt.time(9), dt.UTC) for k in tiredness],
                "week_start": [W[k] for k in tiredness],
                "sha256": [f"{k:064d}" for k in tiredness],
                "source": "test",
                "frames": 10,
                "faces": 10,
            }
        )
        db.upsert(connection, db.recording, recordings, keys=("sha256",))
        ids = db.id_map(connection, db.recording.c.id, db.recording.c.sha256, recordings.sha256)
        summary = pd.DataFrame({"recording_id": [ids[s] for s in recordings.sha256],
                                "frames_used": 10})  # fmt: skip
        for name in EXPRESSION_SLUGS:
            summary[f"{name}_mean"] = 0.1
        summary[summary_column("Tiredness", "mean")] = list(tiredness.values())
        db.upsert(connection, db.expression_summary, summary, keys=("recording_id",))


def test_history_features_by_hand(engine) -> None:
    add_history(engine, {0: 20, 1: 40, 3: 60, 4: 80}, {0: 0.2, 1: 0.3, 2: 0.4, 4: 0.6})
    frame = weekly_features(engine).set_index("week_start")
    assert list(frame.index) == W[:5], "every week with a check-in or a recording"
    week3, week4 = frame.loc[W[3]], frame.loc[W[4]]
    assert np.isnan(week3.prev_score), "week 2 had no check-in"
    assert week3.mean_score_4w == pytest.approx(30.0)  # (20 + 40) / 2
    assert week3.checkins_4w == 2 and week3.weeks_since_checkin == 2
    assert week4.prev_score == 60 and week4.weeks_since_checkin == 1
    # the early warning sees this week's answer and its change from the last one
    assert week3.score_now == 60 and week3.score_change == 20  # 60 − 40, week 2 skipped
    assert np.isnan(frame.loc[W[2]].score_now) and np.isnan(frame.loc[W[0]].score_change)
    assert week3.score == 60 and bool(week3.burnout) and not bool(frame.loc[W[0]].burnout)
    assert np.isnan(frame.loc[W[2]].score) and pd.isna(frame.loc[W[2]].burnout)
    # tiredness this week against the mean of earlier weeks (at least two)
    assert np.isnan(frame.loc[W[1]].tiredness_dev)
    assert frame.loc[W[2]].tiredness_dev == pytest.approx(0.4 - 0.25)
    assert frame.loc[W[4]].tiredness_dev == pytest.approx(0.6 - 0.3)
    assert week3.recordings == 0 and np.isnan(week3.tiredness)
    assert frame.loc[W[0]].unit == "Intensive care" and frame.loc[W[0]].pseudonym == "calm-heron-42"


def test_fatigue_trend_is_the_slope_per_week(engine) -> None:
    add_history(engine, {}, {0: 0.1, 1: 0.3, 2: 0.5, 3: 0.7})
    frame = weekly_features(engine).set_index("week_start")
    fatigue = frame["fatigue"]
    expected = np.polyfit(np.arange(4), fatigue.to_numpy(), 1)[0]
    assert frame.loc[W[3]].fatigue_trend_4w == pytest.approx(expected)
    assert np.isnan(frame.loc[W[0]].fatigue_trend_4w)


def test_window_keeps_history_for_the_first_week(engine) -> None:
    add_history(engine, {0: 20, 1: 40, 2: 60, 3: 80}, {})
    only = weekly_features(engine, first=W[3], last=W[3])
    assert len(only) == 1 and only.prev_score.iloc[0] == 60
    assert only.mean_score_4w.iloc[0] == pytest.approx(40.0)


def test_feature_sets() -> None:
    assert "prev_score" in FEATURE_SETS["checkin"] and "fatigue" not in FEATURE_SETS["checkin"]
    assert "fatigue_dev" in FEATURE_SETS["facial"] and "prev_score" not in FEATURE_SETS["facial"]
    assert set(FEATURE_SETS["full"]) == set(FEATURE_SETS["checkin"]) | set(FEATURE_SETS["facial"])
    with pytest.raises(InvalidInput, match="'faces'"):
        feature_columns("faces")
    for feature_set in ("full", "checkin"):
        assert "score_now" in feature_columns(feature_set, "warning")
        estimate = feature_columns(feature_set, "estimate")
        assert "score_now" not in estimate and "score_change" not in estimate, "its own label"
    assert "score_now" not in feature_columns("facial", "warning")
    with pytest.raises(InvalidInput, match="'later'"):
        feature_columns("full", "later")


def test_warning_label_looks_ahead_over_the_horizon(engine) -> None:
    """Week k is labelled from the check-ins of weeks k+1..k+2: burnout-range when any reaches
    50, quiet when all stay below, unknown when none was given or the weeks are not over."""
    add_history(engine, {0: 20, 1: 40, 2: 30, 3: 60, 5: 45}, {4: 0.5})
    frame = weekly_features(engine)
    labels = dict(zip(frame["week_start"], warning_labels(frame, horizon=2), strict=True))
    assert labels[W[0]] is not pd.NA and not labels[W[0]], "weeks 1–2 answered 40 and 30"
    assert labels[W[1]] and labels[W[2]], "week 3 answered 60"
    assert labels[W[3]] is not pd.NA and not labels[W[3]], "week 5 answered 45, week 4 skipped"
    assert labels[W[4]] is pd.NA, "the weeks after week 4 are not over"
    cut = warning_labels(frame, horizon=2, known_until=W[3])
    assert pd.isna(cut[frame["week_start"] == W[2]]).all(), "week 4 lies past the cut-off"
    with pytest.raises(InvalidInput, match="at least 1 week"):
        warning_labels(frame, horizon=0)


def test_empty_database_gives_an_empty_matrix(engine) -> None:
    frame = weekly_features(engine)
    assert frame.empty and "prev_score" in frame.columns
