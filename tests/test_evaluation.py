"""`burnout evaluate`: the early warning measured on the weeks after a cut-off only, beside
simple baselines, on a 400-staff × 40-week mock hospital; and the feature set it chooses for
`burnout train` (the facial channel only where it improved the early warning), on a small one."""

import dataclasses
import datetime as dt
import re
import subprocess

import numpy as np
import pandas as pd
import pytest

from burnout_lib import channels
from burnout_lib.errors import InvalidInput
from burnout_lib.mock.hospital import DEFAULT_START, MockSpec
from burnout_lib.risk import feature_choice as fc
from burnout_lib.risk.evaluation import (
    CHECKIN_AT_40,
    CHECKIN_MODEL,
    MODEL,
    TREND,
    choose_feature_set,
    decide,
    evaluate,
    first_crossings,
    leave_one_out,
    without,
)
from burnout_lib.risk.features import (
    CHANNEL_FEATURES,
    FACIAL_FEATURES,
    warning_labels,
    weekly_features,
)
from burnout_lib.risk.scoring import consented_features
from burnout_lib.store.db import make_engine

from helpers.paths import BURNOUT

CUTOFF = DEFAULT_START + dt.timedelta(weeks=23)


@pytest.fixture(scope="module")
def mock_400x40(hospital_templates, tmp_path_factory):
    """A 400-staff × 40-week mock hospital in SQLite: its settings and consented features."""
    spec = MockSpec(staff=400, weeks=40, seed=3)
    settings, _ = hospital_templates.sqlite(spec, tmp_path_factory.mktemp("evaluate"))
    engine = make_engine(settings.db_url)
    features = consented_features(engine, weekly_features(engine))
    yield settings, features
    engine.dispose()


@pytest.fixture(scope="module")
def evaluation(mock_400x40):
    _, features = mock_400x40
    return evaluate(features, CUTOFF, bootstrap_rounds=60)


def test_every_figure_comes_from_weeks_after_the_cut_off(evaluation) -> None:
    assert evaluation.train_until == CUTOFF and evaluation.training_weeks[1] == CUTOFF
    weeks = pd.to_datetime(evaluation.predictions["week_start"])
    assert weeks.min() > pd.Timestamp(CUTOFF)
    assert evaluation.held_out_weeks[0] > CUTOFF
    assert (pd.to_datetime(evaluation.lead_times["week_start"]) > pd.Timestamp(CUTOFF)).all()
    for model in evaluation.models.values():
        assert model.card["data_window"]["last_week"] == CUTOFF.isoformat()


def test_no_later_week_enters_training(mock_400x40, evaluation) -> None:
    """Rewriting every answer after the cut-off leaves the trained models exactly as they were."""
    _, features = mock_400x40
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


def test_the_cut_off_moves_the_training_window(mock_400x40) -> None:
    _, features = mock_400x40
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


def test_lead_time_counts_first_crossings_warned_ahead(mock_400x40, evaluation) -> None:
    _, features = mock_400x40
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


def test_a_cut_off_without_room_on_either_side_is_refused(mock_400x40) -> None:
    _, features = mock_400x40
    with pytest.raises(InvalidInput, match="choose a later cut-off"):
        evaluate(features, DEFAULT_START + dt.timedelta(weeks=5))
    with pytest.raises(InvalidInput, match="choose an earlier cut-off"):
        evaluate(features, DEFAULT_START + dt.timedelta(weeks=38))
    with pytest.raises(InvalidInput, match="needs at least"):
        few = DEFAULT_START + dt.timedelta(weeks=15)
        evaluate(features[pd.to_datetime(features["week_start"]) < pd.Timestamp(few)])


def test_cli_prints_the_evaluation(mock_400x40) -> None:
    settings, _ = mock_400x40

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


# --- the feature set `burnout train` and the demo train -----------------------------------------


@pytest.fixture(scope="module")
def mock_60x20(hospital_templates, tmp_path_factory):
    """A 60-staff × 20-week mock hospital: just enough weeks to evaluate a 4-week early warning.
    Its settings and consented features."""
    spec = MockSpec(staff=60, weeks=20, seed=4)
    settings, _ = hospital_templates.sqlite(spec, tmp_path_factory.mktemp("choice"))
    engine = make_engine(settings.db_url)
    yield settings, consented_features(engine, weekly_features(engine))
    engine.dispose()


def facial_noise(features: pd.DataFrame) -> pd.DataFrame:
    """The facial channel made useless: each person-week gets another person-week's expression
    features, drawn at random, so they say nothing about anyone's burnout."""
    noisy = features.copy()
    columns = list(FACIAL_FEATURES)
    order = np.random.default_rng(0).permutation(len(noisy))
    noisy[columns] = noisy[columns].to_numpy()[order]
    return noisy


def facial_telling(features: pd.DataFrame) -> pd.DataFrame:
    """A facial channel that sees burnout coming: fatigue is the warning's own label, blurred."""
    telling = features.copy()
    ahead = warning_labels(features, 4).astype(float).to_numpy()
    noise = np.random.default_rng(1).normal(0, 0.2, len(features))
    telling["fatigue"] = np.where(telling["fatigue"].notna(), ahead + noise, np.nan)
    return telling


@pytest.fixture(scope="module")
def noise_choice(mock_60x20):
    """The feature-set choice over a facial channel of noise (its evaluation is reused)."""
    settings, features = mock_60x20
    return choose_feature_set(facial_noise(features), 4, settings)


@pytest.fixture(scope="module")
def telling_choice(mock_60x20):
    """The feature-set choice over a facial channel that sees burnout coming."""
    settings, features = mock_60x20
    return choose_feature_set(facial_telling(features), 4, settings, bootstrap_rounds=50)


def test_a_facial_channel_that_is_noise_is_left_out(noise_choice) -> None:
    choice = noise_choice
    assert (choice.feature_set, choice.keeps_facial) == ("checkin", False)
    assert choice.outcome in (fc.NO_BETTER, fc.WORSE), choice.statement
    # the evaluation's own sentence and figures, from the same held-out comparison
    assert choice.statement == choice.evaluation.facial_statement
    low, high = choice.figures["difference_ci95"]
    assert not low > 0 and f"{low:+.3f} to {high:+.3f}" in choice.statement
    assert choice.figures["bootstrap_rounds"] == 200 and choice.figures["person_weeks"] > 100
    said = "did not improve" if choice.outcome == fc.NO_BETTER else "made the early warning worse"
    record = choice.record()
    assert (record["feature_set"], record["against_evaluation"]) == ("checkin", False)
    assert fc.live_model_sentence(record) == (
        "The live model uses weekly check-ins only: on this hospital's data the facial channel "
        + ("did not improve the early warning." if said == "did not improve" else f"{said}.")
    )
    assert record["reason"].startswith("the facial channel is left out because it ")
    # asked for against it: recorded as such, and said so
    asked = choice.record("full", asked_by="asked for by --feature-set full")
    assert asked["against_evaluation"] and asked["reason"] == "asked for by --feature-set full"
    assert asked["evaluation"] == choice.statement
    assert fc.live_model_sentence(asked).startswith(
        "The live model uses weekly check-ins and facial expression scores, although on this "
        "hospital's data the facial channel "
    )
    assert fc.against_line(7, {"channels": asked}) == (
        "model 7 uses weekly check-ins and facial expression scores against its evaluation "
        f"(asked for by --feature-set full): {choice.statement}"
    )
    assert fc.against_line(7, {"channels": record}) is None


def test_a_facial_channel_that_sees_burnout_coming_is_kept(telling_choice) -> None:
    choice = telling_choice
    assert (choice.feature_set, choice.outcome) == ("full", fc.IMPROVED), choice.statement
    assert choice.statement.startswith("The facial channel improved early warning on your data")
    assert choice.figures["difference_ci95"][0] > 0
    assert fc.live_model_sentence(choice.record()) == (
        "The live model uses weekly check-ins and facial expression scores: on this hospital's "
        "data the facial channel improved the early warning."
    )


def test_the_choice_is_what_burnout_evaluate_says(mock_60x20) -> None:
    """The same comparison: `evaluate` of the full set with the deployment's settings decides."""
    settings, features = mock_60x20
    evaluated = evaluate(features, None, 4, "full", bootstrap_rounds=40,
                         high_precision=settings.high_risk_precision)  # fmt: skip
    chosen = choose_feature_set(features, 4, settings, bootstrap_rounds=40)
    assert decide(evaluated) == chosen
    assert chosen.statement == evaluated.facial_statement
    assert chosen.feature_set == ("full" if evaluated.facial.outcome == fc.IMPROVED else "checkin")


def test_decide_keeps_the_facial_channel_only_when_its_interval_is_above_zero(evaluation):
    choice = decide(evaluation)
    low = evaluation.facial.low
    assert choice.keeps_facial == (low > 0) and choice.statement == evaluation.facial_statement
    assert choice.figures["train_until"] == CUTOFF.isoformat()


def test_without_an_evaluation_the_choice_says_why(mock_60x20) -> None:
    settings, features = mock_60x20
    off = choose_feature_set(
        features, 4, dataclasses.replace(settings, channels_off=frozenset({"face"}))
    )
    assert (off.feature_set, off.outcome, off.evaluation) == ("checkin", fc.SWITCHED_OFF, None)
    assert "switched off for this deployment" in off.statement
    assert fc.live_model_sentence(off.record()) == (
        "The live model uses weekly check-ins only: the facial channel is switched off for this "
        "deployment."
    )
    unshared = features.copy()
    unshared[list(FACIAL_FEATURES)] = np.nan
    nobody = choose_feature_set(unshared, 4, settings)
    assert (nobody.feature_set, nobody.outcome) == ("checkin", fc.NOT_SHARED)
    assert nobody.statement.startswith("Nobody has shared facial expression scores")
    # too few weeks to judge: kept, and said so
    weeks = pd.to_datetime(features["week_start"])
    few = features[weeks < pd.Timestamp(DEFAULT_START + dt.timedelta(weeks=12))]
    early = choose_feature_set(few, 4, settings)
    assert (early.feature_set, early.outcome, early.evaluation) == ("full", fc.NOT_EVALUATED, None)
    assert "needs at least 20 weeks of data; there are 12" in early.statement
    assert early.statement.endswith("it is kept until `burnout evaluate` can judge it.")
    assert fc.live_model_sentence(early.record()) == (
        "The live model uses weekly check-ins and facial expression scores: the facial channel "
        "has not yet been evaluated on this hospital's data."
    )
    # asking for check-ins only then goes against nothing: there was no evaluation to go against
    assert not early.record("checkin", asked_by="asked for by --feature-set checkin")[
        "against_evaluation"
    ]


def test_the_choice_refuses_what_cannot_decide(mock_60x20) -> None:
    settings, features = mock_60x20
    with pytest.raises(InvalidInput, match="at least 1 bootstrap round"):
        choose_feature_set(features, 4, settings, bootstrap_rounds=0)
    checkin = evaluate(features, None, 4, "checkin", bootstrap_rounds=5, candidates=("logistic",))
    with pytest.raises(InvalidInput, match="evaluating the full feature set .*not 'checkin'"):
        decide(checkin)
    off = choose_feature_set(
        features, 4, dataclasses.replace(settings, channels_off=frozenset({"face"}))
    )
    with pytest.raises(InvalidInput, match="unknown feature set 'faces'"):
        off.record("faces")
    with pytest.raises(InvalidInput, match="unknown feature set 'faces'"):
        fc.live_model_sentence("faces")


# --- each channel the model may do without, left out in turn (issue 26, point 4) ---------------


def _left_out_rows(evaluation, channel: str) -> pd.DataFrame:
    diffs = evaluation.differences
    return diffs[diffs["comparator"] == without(channel)].set_index("measure")


@pytest.mark.parametrize(("choice", "earned"), [("noise_choice", False), ("telling_choice", True)])
def test_the_face_is_left_out_in_turn_with_its_interval_and_a_sentence(request, choice, earned):
    """The model without the face is the check-in-only model, trained once, with a row of its
    own, its differences' intervals and one sentence whose verdict follows the interval."""
    evaluation = request.getfixturevalue(choice).evaluation
    assert CHECKIN_MODEL == "without face" and "without face" in evaluation.methods.index
    assert evaluation.models["without face"].feature_set == "checkin"
    assert len(evaluation.models) == 2, "the face's comparison adds no training run"
    rows = _left_out_rows(evaluation, "face")
    assert {"recall", "f1", "average_precision"} <= set(rows.index)
    assert np.isfinite(rows[["difference", "low", "high"]].to_numpy()).all()
    assert (rows["low"] <= rows["difference"] + 1e-9).all()
    assert (rows["difference"] <= rows["high"] + 1e-9).all()
    low, high = rows.loc["average_precision", ["low", "high"]]
    finding = evaluation.findings["face"]
    assert (finding.low, finding.high) == (low, high) and (low > 0) == earned
    assert finding.sentence == evaluation.facial_statement
    assert finding.sentence.startswith("The facial channel ")
    assert f"{low:+.3f} to {high:+.3f}" in finding.sentence
    with_it, without_it = evaluation.methods.loc[[MODEL, "without face"], "average_precision"]
    assert f"{with_it:.3f} with it, {without_it:.3f} without" in finding.sentence
    if earned:
        assert finding.sentence.endswith(": it has earned its place here.")
    else:
        assert finding.sentence.endswith("has not earned its place here.")
        assert "it has earned" not in finding.sentence
    table = evaluation.left_out
    assert table.loc["face", "method"] == "without face"
    assert table.loc["face", "difference"] == pytest.approx(with_it - without_it)
    text = evaluation.text()
    assert "\nwithout face " in text and "vs without face: average precision" in text
    assert "without face: the same training without the facial channel, on weekly" in text
    assert text.splitlines()[-1] == finding.sentence


@pytest.fixture
def pulse(monkeypatch):
    """A throwaway channel the model may do without: one registry entry and its feature
    columns (features' per-channel part), nothing else."""
    channel = dataclasses.replace(channels.FACE, name="pulse", label="Pulse (test)", aliases=(),
                                  old_settings=(), setting=None, biometric=False)  # fmt: skip
    channels.register(channel)
    monkeypatch.setitem(CHANNEL_FEATURES, "pulse", ("pulse_rate",))
    yield channel
    channels.unregister("pulse")


def test_a_new_channel_is_left_out_in_turn_without_other_edits(mock_60x20, pulse) -> None:
    settings, features = mock_60x20
    telling = facial_noise(features)
    ahead = warning_labels(features, 4).astype(float).to_numpy()
    telling["pulse_rate"] = ahead + np.random.default_rng(2).normal(0, 0.2, len(features))
    assert leave_one_out("full") == {"face": "checkin"}, "the named sets stay as they were"
    assert leave_one_out("checkin+face+pulse") == {"face": "checkin+pulse", "pulse": "full"}
    assert leave_one_out("checkin+face+pulse", channels_off={"pulse"}) == {"face": "checkin+pulse"}
    evaluation = evaluate(telling, None, 4, "checkin+face+pulse", bootstrap_rounds=20,
                          candidates=("logistic",))  # fmt: skip
    assert list(evaluation.methods.index[:3]) == [MODEL, "without face", "without pulse"]
    assert evaluation.models["without pulse"].feature_set == "full"
    rows = _left_out_rows(evaluation, "pulse")
    assert np.isfinite(rows[["difference", "low", "high"]].to_numpy()).all()
    finding = evaluation.findings["pulse"]
    assert finding.outcome == fc.IMPROVED and finding.low > 0, finding.sentence
    assert finding.sentence.startswith("The pulse channel improved early warning on your data")
    assert set(evaluation.findings) == {"face", "pulse"}
    text = evaluation.text()
    assert "\nwithout pulse " in text and "vs without pulse: average precision" in text
    assert text.splitlines()[-2:] == [evaluation.facial_statement, finding.sentence]
    # a model that does not use the channel says so, and trains nothing more
    full = evaluate(telling, None, 4, "full", bootstrap_rounds=5, candidates=("logistic",))
    assert "without pulse" not in full.methods.index and len(full.models) == 2
    assert full.findings["pulse"].sentence == (
        "The pulse channel was not evaluated: the model used check-ins and facial expression "
        "scores."
    )


def test_cli_prints_each_channel_left_out(mock_60x20) -> None:
    settings, _ = mock_60x20
    where = ["--db", settings.db_url, "--data-dir", str(settings.data_dir)]
    done = subprocess.run([str(BURNOUT), "--quiet", *where, "evaluate"], capture_output=True,
                          text=True, timeout=300)  # fmt: skip
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert any(line.startswith("without face ") for line in lines), done.stdout
    assert re.search(r"vs without face: average precision [+-]\d\.\d{3} \(95% interval "
                     r"[+-]\d\.\d{3} to [+-]\d\.\d{3}\)", done.stdout)  # fmt: skip
    [sentence] = [line for line in lines if line.startswith("The facial channel")]
    assert "95% interval of the average-precision difference" in sentence
    assert "earned its place here." in sentence
