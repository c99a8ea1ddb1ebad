"""`burnout evaluate`: the early warning measured on the weeks after a cut-off only, beside
simple baselines, on a 400-staff × 40-week mock hospital."""

import datetime as dt
import subprocess

import numpy as np
import pandas as pd
import pytest

from burnout_lib.config import load_settings
from burnout_lib.errors import InvalidInput
from burnout_lib.mock.hospital import DEFAULT_START, MockSpec, write_mock
from burnout_lib.risk.evaluation import (
    CHECKIN_AT_40,
    CHECKIN_MODEL,
    MODEL,
    TREND,
    evaluate,
    first_crossings,
)
from burnout_lib.risk.features import weekly_features
from burnout_lib.risk.scoring import consented_features
from burnout_lib.store.db import init_db, make_engine

from helpers.paths import BURNOUT

CUTOFF = DEFAULT_START + dt.timedelta(weeks=23)


@pytest.fixture(scope="module")
def hospital(tmp_path_factory):
    root = tmp_path_factory.mktemp("evaluate")
    settings = load_settings(db=f"sqlite:///{root / 'h.db'}", data_dir=root / "data")
    engine = make_engine(settings.db_url)
    init_db(engine)
    write_mock(engine, settings, MockSpec(staff=400, weeks=40, seed=3), progress=False)
    features = consented_features(engine, weekly_features(engine))
    yield settings, features
    engine.dispose()


@pytest.fixture(scope="module")
def evaluation(hospital):
    _, features = hospital
    return evaluate(features, CUTOFF, bootstrap_rounds=60)


def test_every_figure_comes_from_weeks_after_the_cut_off(evaluation) -> None:
    assert evaluation.train_until == CUTOFF and evaluation.training_weeks[1] == CUTOFF
    weeks = pd.to_datetime(evaluation.predictions["week_start"])
    assert weeks.min() > pd.Timestamp(CUTOFF)
    assert evaluation.held_out_weeks[0] > CUTOFF
    assert (pd.to_datetime(evaluation.lead_times["week_start"]) > pd.Timestamp(CUTOFF)).all()
    for model in evaluation.models.values():
        assert model.card["data_window"]["last_week"] == CUTOFF.isoformat()


def test_no_later_week_enters_training(hospital, evaluation) -> None:
    """Rewriting every answer after the cut-off leaves the trained models exactly as they were."""
    _, features = hospital
    later = pd.to_datetime(features["week_start"]) > pd.Timestamp(CUTOFF)
    rewritten = features.copy()
    for column in ("score", "score_now"):
        rewritten.loc[later, column] = 100 - rewritten.loc[later, column]
    again = evaluate(rewritten, CUTOFF, bootstrap_rounds=0, candidates=("logistic",))
    before = evaluate(features, CUTOFF, bootstrap_rounds=0, candidates=("logistic",))
    training = features[~later]
    for name in (MODEL, CHECKIN_MODEL):
        a, b = before.models[name], again.models[name]
        assert (a.threshold, a.high_threshold) == (b.threshold, b.high_threshold)
        np.testing.assert_array_equal(a.probability(training), b.probability(training))
    assert not before.methods.equals(again.methods), "the held-out figures did change"


def test_the_cut_off_moves_the_training_window(hospital) -> None:
    _, features = hospital
    later = CUTOFF + dt.timedelta(weeks=4)
    moved = evaluate(features, later, bootstrap_rounds=0, candidates=("logistic",),
                     feature_set="checkin")  # fmt: skip
    assert moved.training_weeks[1] == later
    assert pd.to_datetime(moved.predictions["week_start"]).min() > pd.Timestamp(later)
    assert moved.models[MODEL].card["data_window"]["last_week"] == later.isoformat()
    assert CHECKIN_MODEL not in moved.methods.index
    assert moved.facial_statement.startswith("The facial channel was not evaluated")


def test_table_holds_the_model_and_every_baseline(evaluation) -> None:
    methods = evaluation.methods
    assert list(methods.index) == [MODEL, CHECKIN_MODEL, CHECKIN_AT_40, TREND]
    for name in methods.index:
        assert 0 <= methods.loc[name, "recall"] <= 1 and 0 <= methods.loc[name, "precision"] <= 1
    assert methods.loc[MODEL, "recall"] >= 0.85, "thresholds favour recall"
    assert methods.loc[MODEL, "recall"] > methods.loc[CHECKIN_AT_40, "recall"]
    assert methods.loc[MODEL, "brier"] < 0.2 and np.isnan(methods.loc[TREND, "brier"])
    # the check-in rule, by hand
    held = evaluation.predictions
    flagged = held[f"{CHECKIN_AT_40}:flag"]
    assert (held.loc[flagged, f"{CHECKIN_AT_40}:score"] >= 40).all()
    recall = flagged[held["label"] == 1].mean()
    assert methods.loc[CHECKIN_AT_40, "recall"] == pytest.approx(recall)


def test_lead_time_counts_first_crossings_warned_ahead(hospital, evaluation) -> None:
    _, features = hospital
    crossings = first_crossings(features, CUTOFF + dt.timedelta(weeks=4))
    assert len(crossings) > 20
    lead = evaluation.lead_times
    model = lead[lead["method"] == MODEL]
    assert len(model) == len(crossings)
    assert model["lead_weeks"].dropna().between(1, 4).all()
    share = evaluation.methods.loc[MODEL, "warned_share"]
    assert share == pytest.approx(model["lead_weeks"].notna().mean())
    assert evaluation.methods.loc[MODEL, "crossings"] == len(crossings)


def test_differences_have_intervals_and_the_facial_channel_gets_a_plain_answer(evaluation):
    diffs = evaluation.differences
    assert set(diffs["comparator"]) == {CHECKIN_MODEL, CHECKIN_AT_40, TREND}
    assert (diffs["low"] <= diffs["difference"] + 1e-9).all()
    assert (diffs["difference"] <= diffs["high"] + 1e-9).all()
    ap = diffs[(diffs["comparator"] == CHECKIN_MODEL) & (diffs["measure"] == "average_precision")]
    low, high = ap.iloc[0][["low", "high"]]
    statement = evaluation.facial_statement
    assert f"{low:+.3f} to {high:+.3f}" in statement
    verdict = "improved" if low > 0 else "made early warning worse" if high < 0 else "did not"
    assert verdict in statement
    assert set(evaluation.calibration["method"]) == {MODEL, CHECKIN_MODEL}


def test_text_report_names_every_part(evaluation) -> None:
    text = evaluation.text()
    for part in (MODEL, CHECKIN_MODEL, CHECKIN_AT_40, TREND, "Brier", "crossings warned",
                 "Recall by unit and role", "Intensive care", "Nurse", "Calibration",
                 "percentage points", "The facial channel"):  # fmt: skip
        assert part in text, part


def test_a_cut_off_without_room_on_either_side_is_refused(hospital) -> None:
    _, features = hospital
    with pytest.raises(InvalidInput, match="choose a later cut-off"):
        evaluate(features, DEFAULT_START + dt.timedelta(weeks=5))
    with pytest.raises(InvalidInput, match="choose an earlier cut-off"):
        evaluate(features, DEFAULT_START + dt.timedelta(weeks=38))
    with pytest.raises(InvalidInput, match="needs at least"):
        few = DEFAULT_START + dt.timedelta(weeks=15)
        evaluate(features[pd.to_datetime(features["week_start"]) < pd.Timestamp(few)])


def test_cli_prints_the_evaluation(hospital) -> None:
    settings, _ = hospital

    def burnout(*args: str) -> subprocess.CompletedProcess:
        where = ["--db", settings.db_url, "--data-dir", str(settings.data_dir)]
        return subprocess.run([str(BURNOUT), "--quiet", *where, *args], capture_output=True,
                              text=True, timeout=300)  # fmt: skip

    done = burnout("evaluate", "--feature-set", "checkin", "--train-until", str(CUTOFF))
    assert done.returncode == 0, done.stderr
    assert f"Trained on the weeks {DEFAULT_START} to {CUTOFF}" in done.stdout
    assert CHECKIN_AT_40 in done.stdout and TREND in done.stdout
    wrong = burnout("evaluate", "--horizon", "0")
    assert wrong.returncode == 2 and "outside 1 to 26" in wrong.stderr
    early = burnout("evaluate", "--train-until", str(DEFAULT_START))
    assert early.returncode == 1 and "choose a later cut-off" in early.stderr
