"""The early warning measured as a deployment meets it: trained on the weeks up to a cut-off, run
on the weeks after, and set beside simple baselines.

This is what a hospital runs on its own pilot data to decide whether the model, and each channel
it may do without (the facial channel, so far), earns its place. Every figure comes from the
weeks after the cut-off only: the models are trained on the weeks up to it, with labels from the
check-ins up to it, and their thresholds were chosen there (on people held out inside the
training weeks), so nothing reported has been seen by any choice the model made.

Methods compared on the same held-out person-weeks:
- the model (`feature_set`, by default check-ins and facial expressions);
- the model without each channel it may do without, in turn: the registry's passive channels
  (`burnout_lib.channels.passive`) that the model uses, each left out of the same training
  (`without`: "without face", which for the full set is the check-in-only model, so it is
  trained once; a channel added to the registry with its features gets its row the same way);
- this week's check-in at or above 40 (`CHECKIN_RULE`);
- a trend rule: this week's check-in at or above 50, or at or above 35 and 10 points or more
  above the person's mean of the four weeks before (`TREND_FLOOR`, `TREND_RISE`).

Each channel left out gets one plain sentence (`channel_finding`): whether it earned its place,
from the model minus the model without it in average precision and that difference's 95%
interval from resampling people. `choose_feature_set` turns the same comparison into the feature
set `burnout train` and the demo train (`risk.feature_choice` holds the rule and its words): the
facial channel only where it improved the early warning.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, timedelta

import numpy as np
import pandas as pd
from sklearn.metrics import average_precision_score, brier_score_loss
from tqdm.auto import tqdm

from burnout_lib import channels
from burnout_lib.config import Settings
from burnout_lib.errors import InvalidInput
from burnout_lib.risk.feature_choice import (
    CHANNEL_WORDS,
    CHECKIN_ONLY,
    IMPROVED,
    NO_BETTER,
    NOT_EVALUATED,
    NOT_SHARED,
    SWITCHED_OFF,
    WORSE,
    FeatureChoice,
    alone_words,
    channel_subject,
)
from burnout_lib.risk.features import (
    DEFAULT_HORIZON,
    EXPRESSION_FEATURES,
    set_channels,
    set_name,
    warning_labels,
)
from burnout_lib.risk.model import TrainedModel, confusion, reliability, train
from burnout_lib.sources.instruments import BURNOUT_CUTOFF

CHECKIN_RULE = 40
TREND_FLOOR = 35
TREND_RISE = 10
#: Share of the weeks held out after the default cut-off.
HELD_OUT_SHARE = 0.4
#: Fewest weeks of training data before the cut-off.
MIN_TRAINING_WEEKS = 8
#: People resampled this many times for the differences' intervals, by `burnout evaluate` and by
#: the feature-set choice alike (so the two always reach the same verdict).
BOOTSTRAP_ROUNDS = 200
MODEL = "model"


def without(channel: str) -> str:
    """The method name of the model trained without `channel`: "without face"."""
    return f"without {channel}"


#: The full model without the facial channel: the check-in-only model, under its row's name.
CHECKIN_MODEL = without(channels.FACE.name)
CHECKIN_AT_40 = "this week's check-in ≥ 40"
TREND = "check-in trend rule"
METRICS = ("recall", "precision", "f1", "average_precision")


@dataclass(frozen=True)
class ChannelFinding:
    """What the later weeks said about one channel the model may do without: an outcome
    (`feature_choice`'s IMPROVED, WORSE, NO_BETTER, NOT_EVALUATED, or CHECKIN_ONLY when the model
    did not use it), the plain sentence, and the average precision with and without it with the
    95% interval of the difference (the model minus the model without it)."""

    channel: str
    outcome: str
    sentence: str
    with_channel: float = float("nan")
    without: float = float("nan")
    low: float = float("nan")
    high: float = float("nan")

    @property
    def with_face(self) -> float:
        """The average precision with the channel (the facial channel's earlier field name)."""
        return self.with_channel


#: The facial channel's finding, by its earlier name.
FacialFinding = ChannelFinding


@dataclass
class Evaluation:
    """Figures of the early warning and its baselines on the weeks after the cut-off."""

    train_until: date
    horizon: int
    feature_set: str
    #: first and last training week, first and last held-out week
    training_weeks: tuple[date, date]
    held_out_weeks: tuple[date, date]
    #: per method: threshold, recall, precision, f1, average_precision, brier, warned_share,
    #: median_lead_weeks, crossings
    methods: pd.DataFrame
    #: per comparison and measure: the model's figure minus the comparator's, with a 95%
    #: interval from resampling people
    differences: pd.DataFrame
    #: kind (unit or role), group, positives and each method's recall
    recall_by_group: pd.DataFrame
    #: method, predicted, observed, weeks (reliability curve on held-out weeks)
    calibration: pd.DataFrame
    #: one row per first crossing of 50 after the cut-off and method: lead weeks (missing when
    #: the method did not warn 1 to `horizon` weeks ahead)
    lead_times: pd.DataFrame
    #: held-out person-weeks with a label: staff_id, week_start, unit, role, label, and per
    #: method its score and whether it flagged the week
    predictions: pd.DataFrame
    #: per channel the model may do without (switched on), whether it earned its place
    findings: dict[str, ChannelFinding]
    models: dict[str, TrainedModel] = field(default_factory=dict, repr=False)
    bootstrap_rounds: int = BOOTSTRAP_ROUNDS

    @property
    def person_weeks(self) -> int:
        return len(self.predictions)

    @property
    def facial(self) -> ChannelFinding:
        """What the later weeks said about the facial channel (`findings["face"]`)."""
        face = channels.FACE.name
        if face in self.findings:
            return self.findings[face]
        return channel_finding(self.differences, self.methods, face, self.feature_set)

    @property
    def facial_statement(self) -> str:
        """Whether the facial channel improved the early warning, in one plain sentence."""
        return self.facial.sentence

    @property
    def left_out(self) -> pd.DataFrame:
        """One row per channel left out in turn: channel, method ("without face"), outcome,
        average precision with and without it, the difference's 95% interval, the sentence."""
        rows = [
            {"channel": f.channel, "method": without(f.channel), "outcome": f.outcome,
             "with": f.with_channel, "without": f.without,
             "difference": f.with_channel - f.without, "low": f.low, "high": f.high,
             "sentence": f.sentence}
            for f in self.findings.values()
        ]  # fmt: skip
        columns = ["channel", "method", "outcome", "with", "without", "difference", "low",
                   "high", "sentence"]  # fmt: skip
        return pd.DataFrame(rows, columns=columns).set_index("channel")

    def _left_out_legend(self) -> list[str]:
        """What each "without <channel>" row is: the same training without that channel."""
        lines = []
        for channel in self.findings:
            model = self.models.get(without(channel))
            if model is not None:
                uses = CHANNEL_WORDS.get(model.feature_set, f"{model.feature_set} features")
                lines.append(f"{without(channel)}: the same training without the "
                             f"{channel_subject(channel)}, on {uses}.")  # fmt: skip
        return lines

    def text(self) -> str:
        """The whole evaluation as plain text, for the command line and the report."""
        first, last = self.held_out_weeks
        start, end = self.training_weeks
        people = self.predictions["staff_id"].nunique()
        lines = [
            f"Early warning: a check-in at or above {BURNOUT_CUTOFF} within the next "
            f"{self.horizon} weeks.",
            f"Trained on the weeks {start} to {end}; measured on {self.person_weeks:,} "
            f"person-weeks of {people:,} people from {first} to {last}, weeks no model saw.",
            "",
            _methods_text(self.methods, self.horizon),
            *self._left_out_legend(),
            "",
            "Differences (model minus each comparator), 95% intervals from resampling people:",
            _differences_text(self.differences),
            "",
            f"Recall by unit and role (weeks: held-out weeks followed by a check-in at or above "
            f"{BURNOUT_CUTOFF} within {self.horizon} weeks):",
            _groups_text(self.recall_by_group),
            "",
            "Calibration on held-out weeks (predicted → observed share):",
            _calibration_text(self.calibration),
        ]
        if self.findings:
            # one sentence per channel the model may do without: the model against the same
            # training without it ("without face" above), on the same weeks
            lines += ["", *(finding.sentence for finding in self.findings.values())]
        return "\n".join(lines)


def default_cutoff(weeks: list[date], horizon: int) -> date:
    """The cut-off that holds out the last `HELD_OUT_SHARE` of the weeks (at least twice the
    horizon), or a clear error when there are too few weeks for both sides."""
    held = max(2 * horizon, math.ceil(HELD_OUT_SHARE * len(weeks)))
    if len(weeks) - held < MIN_TRAINING_WEEKS + horizon:
        raise InvalidInput(
            f"evaluating a {horizon}-week early warning needs at least "
            f"{MIN_TRAINING_WEEKS + horizon + held} weeks of data; there are {len(weeks)}"
        )
    return weeks[-held - 1]


def evaluate(
    features: pd.DataFrame,
    train_until: date | None = None,
    horizon: int = DEFAULT_HORIZON,
    feature_set: str = "full",
    seed: int = 0,
    bootstrap_rounds: int = BOOTSTRAP_ROUNDS,
    progress: bool = False,
    channels_off: Iterable[str] = (),
    **train_options,
) -> Evaluation:
    """Train on the weeks up to `train_until` (default: `default_cutoff`), score the later weeks
    as a deployment would, and measure every method there only.

    `features` are the weekly features as scoring sees them (consented channels only). Each
    channel the model may do without (`channels.passive(channels_off)`, those `feature_set`
    uses) is left out in turn: the same training without its columns (`leave_one_out`).
    """
    weeks = sorted(pd.to_datetime(features["week_start"]).dt.date.unique())
    if not weeks:
        raise InvalidInput("there are no check-ins or recordings to evaluate")
    cutoff = default_cutoff(weeks, horizon) if train_until is None else train_until
    cutoff -= timedelta(days=cutoff.weekday())
    week = pd.to_datetime(features["week_start"])
    training = features[week <= pd.Timestamp(cutoff)].reset_index(drop=True)
    trained_weeks = sorted(pd.to_datetime(training["week_start"]).dt.date.unique())
    if len(trained_weeks) < MIN_TRAINING_WEEKS + horizon:
        raise InvalidInput(
            f"--train-until {cutoff}: {len(trained_weeks)} weeks up to the cut-off, but training "
            f"needs at least {MIN_TRAINING_WEEKS + horizon}; choose a later cut-off"
        )
    labels = warning_labels(features, horizon)
    later = features[week > pd.Timestamp(cutoff)].assign(label=labels[week > pd.Timestamp(cutoff)])
    labelled = later[later["label"].notna()]
    if labelled.empty or labelled["label"].nunique() < 2:
        raise InvalidInput(
            f"--train-until {cutoff}: the weeks after it need check-ins {horizon} weeks on, both "
            "above and below the cut-off; choose an earlier cut-off"
        )
    left_out = leave_one_out(feature_set, channels_off)
    sets = {MODEL: feature_set, **{without(name): chosen for name, chosen in left_out.items()}}
    options = {"seed": seed, "bootstrap_rounds": 0, **train_options}
    models = {}
    for name, chosen in tqdm(sets.items(), desc="training up to the cut-off", disable=not progress):
        models[name] = train(training, chosen, horizon, known_until=cutoff, with_estimate=False,
                             **options)  # fmt: skip
    scored = _scores(later, models)
    kept = scored["label"].notna().to_numpy()
    predictions = scored[kept].reset_index(drop=True)
    predictions["label"] = predictions["label"].astype(int)
    names = [*models, CHECKIN_AT_40, TREND]
    methods = _method_figures(predictions, names, models)
    lead = lead_times(features, scored, names, cutoff, horizon)
    lead_summary = (
        lead.groupby("method")["lead_weeks"]
        .agg(warned_share=lambda s: s.notna().mean(), median_lead_weeks="median", crossings="size")
        .reindex(names)
    )
    methods = methods.join(lead_summary)
    differences = _differences(predictions, names, bootstrap_rounds, seed)
    trained = pd.to_datetime(training["week_start"])
    held = pd.to_datetime(predictions["week_start"])
    return Evaluation(
        train_until=cutoff,
        horizon=horizon,
        feature_set=feature_set,
        training_weeks=(trained.min().date(), trained.max().date()),
        held_out_weeks=(held.min().date(), held.max().date()),
        methods=methods,
        differences=differences,
        recall_by_group=_recall_by_group(predictions, names),
        calibration=pd.DataFrame(
            [
                {"method": name, **point}
                for name in models
                for point in reliability(
                    predictions["label"].to_numpy(), predictions[f"{name}:score"].to_numpy()
                )
            ]
        ),  # fmt: skip
        lead_times=lead,
        predictions=predictions,
        findings={
            channel.name: channel_finding(differences, methods, channel.name, feature_set)
            for channel in channels.passive(channels_off)
        },
        models=models,
        bootstrap_rounds=bootstrap_rounds,
    )


def _scores(rows: pd.DataFrame, models: dict[str, TrainedModel]) -> pd.DataFrame:
    """Each method's score and flag for every later person-week, as a deployment computes them."""
    out = rows[["staff_id", "week_start", "unit", "role", "label"]].reset_index(drop=True)
    for name, model in models.items():
        probability = model.probability(rows)
        out[f"{name}:score"] = probability
        out[f"{name}:flag"] = probability >= model.threshold
    now = rows["score_now"].to_numpy(dtype=float)
    before = rows["mean_score_4w"].to_numpy(dtype=float)
    answered = ~np.isnan(now)
    out[f"{CHECKIN_AT_40}:score"] = np.where(answered, now, -1.0)
    out[f"{CHECKIN_AT_40}:flag"] = answered & (np.nan_to_num(now, nan=-1) >= CHECKIN_RULE)
    rising = np.nan_to_num(now - before, nan=0) >= TREND_RISE
    out[f"{TREND}:score"] = np.nan
    out[f"{TREND}:flag"] = answered & (
        (np.nan_to_num(now, nan=-1) >= BURNOUT_CUTOFF)
        | ((np.nan_to_num(now, nan=-1) >= TREND_FLOOR) & rising)
    )
    return out


def _figures(labels: np.ndarray, flags: np.ndarray, scores: np.ndarray) -> dict[str, float]:
    counts = confusion(labels, flags)
    continuous = not np.isnan(scores).all() and len(np.unique(labels)) == 2
    return {
        "recall": counts["recall"],
        "precision": counts["precision"],
        "f1": counts["f1"],
        "average_precision": float(average_precision_score(labels, scores))
        if continuous else float("nan"),
    }  # fmt: skip


def _method_figures(
    predictions: pd.DataFrame, names: list[str], models: dict[str, TrainedModel]
) -> pd.DataFrame:
    labels = predictions["label"].to_numpy()
    rows = {}
    for name in names:
        scores = predictions[f"{name}:score"].to_numpy(dtype=float)
        figures = _figures(labels, predictions[f"{name}:flag"].to_numpy(), scores)
        if name in models:
            figures["threshold"] = models[name].threshold
            figures["brier"] = float(brier_score_loss(labels, scores))
        else:
            figures["threshold"] = CHECKIN_RULE if name == CHECKIN_AT_40 else float("nan")
            figures["brier"] = float("nan")
        rows[name] = figures
    frame = pd.DataFrame.from_dict(rows, orient="index")
    frame.index.name = "method"
    return frame[["threshold", *METRICS, "brier"]]


def first_crossings(features: pd.DataFrame, after: date) -> pd.DataFrame:
    """Each person's check-ins at or above the cut-off whose previous check-in was below it, in
    weeks after `after`: the moments an early warning exists to see coming."""
    answered = features[features["score"].notna()][["staff_id", "week_start", "score"]]
    answered = answered.assign(week_start=pd.to_datetime(answered["week_start"]))
    answered = answered.sort_values(["staff_id", "week_start"])
    before = answered.groupby("staff_id")["score"].shift(1)
    crossing = (answered["score"] >= BURNOUT_CUTOFF) & (before < BURNOUT_CUTOFF)
    found = answered[crossing & (answered["week_start"] > pd.Timestamp(after))]
    return found[["staff_id", "week_start"]].reset_index(drop=True)


def lead_times(
    features: pd.DataFrame, scored: pd.DataFrame, names: list[str], cutoff: date, horizon: int
) -> pd.DataFrame:
    """For each first crossing whose whole look-back lies after the cut-off, and each method: the
    weeks between its earliest warning 1 to `horizon` weeks before and the crossing (missing when
    it gave none)."""
    crossings = first_crossings(features, cutoff + timedelta(weeks=horizon))
    weeks = pd.to_datetime(scored["week_start"])
    rows = []
    for name in names:
        flagged = scored.loc[scored[f"{name}:flag"].to_numpy(), ["staff_id"]].assign(
            flagged=weeks[scored[f"{name}:flag"].to_numpy()]
        )
        joined = crossings.merge(flagged, on="staff_id", how="left")
        ahead = (joined["week_start"] - joined["flagged"]).dt.days / 7
        joined["ahead"] = ahead.where((ahead >= 1) & (ahead <= horizon))
        lead = joined.groupby(["staff_id", "week_start"])["ahead"].max()
        found = crossings.join(lead, on=["staff_id", "week_start"])
        rows.append(found.rename(columns={"ahead": "lead_weeks"}).assign(method=name))
    if not rows:
        return pd.DataFrame(columns=["staff_id", "week_start", "lead_weeks", "method"])
    return pd.concat(rows, ignore_index=True)


def _differences(
    predictions: pd.DataFrame, names: list[str], rounds: int, seed: int
) -> pd.DataFrame:
    """The model minus each comparator, with 95% intervals from resampling people."""
    labels = predictions["label"].to_numpy()
    people = predictions["staff_id"].to_numpy()

    def figures(index: np.ndarray) -> dict[str, dict[str, float]]:
        return {
            name: _figures(
                labels[index],
                predictions[f"{name}:flag"].to_numpy()[index],
                predictions[f"{name}:score"].to_numpy(dtype=float)[index],
            )
            for name in names
        }

    point = figures(np.arange(len(predictions)))
    rows_of = pd.Series(np.arange(len(people))).groupby(people).apply(np.array)
    rng = np.random.default_rng(seed)
    draws = []
    for _ in range(rounds):
        chosen = np.concatenate(
            rows_of.sample(len(rows_of), replace=True, random_state=rng).to_numpy()
        )
        if len(np.unique(labels[chosen])) == 2:
            draws.append(figures(chosen))
    result = []
    for other in names[1:]:
        for measure in METRICS:
            value = point[MODEL][measure] - point[other][measure]
            if np.isnan(value):
                continue
            spread = [d[MODEL][measure] - d[other][measure] for d in draws]
            low, high = np.nanpercentile(spread, [2.5, 97.5]) if spread else (np.nan, np.nan)
            result.append({"comparator": other, "measure": measure, "difference": value,
                           "low": float(low), "high": float(high)})  # fmt: skip
    return pd.DataFrame(result, columns=["comparator", "measure", "difference", "low", "high"])


def _recall_by_group(predictions: pd.DataFrame, names: list[str]) -> pd.DataFrame:
    positives = predictions[predictions["label"] == 1]
    rows = []
    for kind in ("unit", "role"):
        for group, part in positives.groupby(kind):
            recall = {name: float(part[f"{name}:flag"].mean()) for name in names}
            rows.append({"kind": kind, "group": group, "positives": len(part), **recall})
    return pd.DataFrame(rows)


def leave_one_out(feature_set: str, channels_off: Iterable[str] = ()) -> dict[str, str]:
    """For each channel the model may do without (`channels.passive(channels_off)`) that
    `feature_set` uses: the feature set without it, e.g. {"face": "checkin"} for "full". A
    channel is not left out when no other channel would remain."""
    used = set_channels(feature_set)
    return {
        channel.name: set_name(name for name in used if name != channel.name)
        for channel in channels.passive(channels_off)
        if channel.name in used and len(used) > 1
    }


def channel_finding(
    differences: pd.DataFrame, methods: pd.DataFrame, channel: str, feature_set: str
) -> ChannelFinding:
    """Whether `channel` earned its place in the model (`feature_set`), in plain words, from the
    model minus the model without it (`without(channel)`) in average precision, with its 95%
    interval: improved when the interval lies above zero, worse when below, else no better."""
    subject = channel_subject(channel)
    used = set_channels(feature_set)
    if channel not in used:
        uses = CHANNEL_WORDS.get(feature_set, "other channels").removeprefix("weekly ")
        return ChannelFinding(
            channel, CHECKIN_ONLY, f"The {subject} was not evaluated: the model used {uses}."
        )
    if len(used) == 1:
        why = "the model uses no other channel to compare with"
        return ChannelFinding(channel, NOT_EVALUATED, f"The {subject} was not evaluated: {why}.")
    ap = differences[
        (differences["comparator"] == without(channel))
        & (differences["measure"] == "average_precision")
    ]
    if ap.empty:
        return ChannelFinding(
            channel, NOT_EVALUATED, f"The {subject} could not be compared: too few held-out weeks."
        )
    row = ap.iloc[0]
    with_channel = float(methods.loc[MODEL, "average_precision"])
    without_it = float(methods.loc[without(channel), "average_precision"])
    low, high = float(row["low"]), float(row["high"])
    interval = f"95% interval of the average-precision difference {low:+.3f} to {high:+.3f}"
    figures = f"average precision {with_channel:.3f} with it, {without_it:.3f} without; {interval}"
    if low > 0:
        outcome = IMPROVED
        sentence = (
            f"The {subject} improved early warning on your data ({figures}): it has earned its "
            "place here."
        )
    elif high < 0:
        outcome = WORSE
        sentence = (
            f"The {subject} made early warning worse on your data ({figures}): it has not "
            "earned its place here."
        )
    else:
        outcome = NO_BETTER
        alone = alone_words(set_name(name for name in used if name != channel))
        sentence = (
            f"The {subject} did not improve early warning on your data ({figures}). "
            f"{alone} did as well: the {subject} has not earned its place here."
        )
    return ChannelFinding(channel, outcome, sentence, with_channel, without_it, low, high)


def facial_finding(
    differences: pd.DataFrame, methods: pd.DataFrame, feature_set: str
) -> ChannelFinding:
    """Whether the facial channel improved the early warning, in plain words, with its interval
    (`channel_finding` for the face)."""
    return channel_finding(differences, methods, channels.FACE.name, feature_set)


# --- the feature set to train ------------------------------------------------------------------


def choose_feature_set(
    features: pd.DataFrame,
    horizon: int,
    settings: Settings,
    train_until: date | None = None,
    seed: int = 0,
    bootstrap_rounds: int = BOOTSTRAP_ROUNDS,
    progress: bool = False,
    **train_options,
) -> FeatureChoice:
    """The feature set to train on `features` (consented weekly features, as scoring sees them):
    `evaluate` of the full set, as `burnout evaluate` runs it, decides (`decide`).

    Without an evaluation: check-ins only when the facial channel is switched off
    (`settings.channel_on("face")`) or nobody has shared expression scores; the full set,
    saying why, when there are too few weeks to judge it. Training options (default: the
    deployment's `high_risk_precision`) are those `burnout evaluate` passes."""
    if bootstrap_rounds < 1:
        raise InvalidInput(
            "choosing the feature set needs the differences' intervals: at least 1 bootstrap "
            f"round (got {bootstrap_rounds})"
        )
    if not settings.channel_on("face"):
        return FeatureChoice(
            "checkin",
            SWITCHED_OFF,
            "The facial channel is switched off for this deployment (BURNOUT_FACE_CHANNEL=off): "
            "the model uses check-ins only.",
        )
    shared = len(features) and features[list(EXPRESSION_FEATURES)].notna().to_numpy().any()
    if not shared:
        return FeatureChoice(
            "checkin",
            NOT_SHARED,
            "Nobody has shared facial expression scores (no consented recordings): the model "
            "uses check-ins only.",
        )
    options = {"high_precision": settings.high_risk_precision, **train_options}
    try:
        evaluation = evaluate(features, train_until, horizon, "full", seed, bootstrap_rounds,
                              progress, settings.channels_off, **options)  # fmt: skip
    except InvalidInput as error:
        return FeatureChoice(
            "full",
            NOT_EVALUATED,
            f"The facial channel could not be evaluated on your data yet ({error}): it is kept "
            "until `burnout evaluate` can judge it.",
        )
    return decide(evaluation)


def decide(evaluation: Evaluation) -> FeatureChoice:
    """The feature set an evaluation of the full set chooses: the facial channel only when it
    improved the early warning (its interval above zero); check-ins only when it made it worse
    or did no better; kept, saying so, when the later weeks were too few to compare."""
    if evaluation.feature_set != "full":
        raise InvalidInput(
            "the facial channel is judged by evaluating the full feature set (check-ins and "
            f"facial expressions), not {evaluation.feature_set!r}"
        )
    finding = evaluation.facial
    first, last = evaluation.held_out_weeks
    figures = {
        "average_precision_with_face": finding.with_face,
        "average_precision_without": finding.without,
        "difference_ci95": [finding.low, finding.high],
        "train_until": evaluation.train_until.isoformat(),
        "held_out_weeks": [first.isoformat(), last.isoformat()],
        "person_weeks": evaluation.person_weeks,
        "bootstrap_rounds": evaluation.bootstrap_rounds,
    }
    if finding.outcome == IMPROVED:
        chosen, statement = "full", finding.sentence
    elif finding.outcome in (WORSE, NO_BETTER):
        chosen, statement = "checkin", finding.sentence
    else:
        chosen = "full"
        statement = f"{finding.sentence} It is kept until `burnout evaluate` can judge it."
    return FeatureChoice(chosen, finding.outcome, statement, figures, evaluation)


# --- text --------------------------------------------------------------------------------------


def _pct(value: float) -> str:
    return "—" if value is None or pd.isna(value) else f"{value:.0%}"


def _num(value: float, digits: int = 3) -> str:
    return "—" if value is None or pd.isna(value) else f"{value:.{digits}f}"


def _methods_text(methods: pd.DataFrame, horizon: int) -> str:
    table = pd.DataFrame(
        {
            "recall": methods["recall"].map(_pct),
            "precision": methods["precision"].map(_pct),
            "F1": methods["f1"].map(_pct),
            "avg precision": methods["average_precision"].map(_num),
            "Brier": methods["brier"].map(_num),
            f"crossings warned 1–{horizon} wk ahead": [
                f"{_pct(share)} of {int(n)}" if n else "—"
                for share, n in zip(
                    methods["warned_share"], methods["crossings"].fillna(0), strict=True
                )
            ],  # fmt: skip
            "median weeks of warning": methods["median_lead_weeks"].map(lambda v: _num(v, 1)),
        },
        index=methods.index,
    )
    return table.to_string()


def _differences_text(differences: pd.DataFrame) -> str:
    if differences.empty:
        return "  (too few held-out weeks)"
    names = {"recall": "recall", "precision": "precision", "f1": "F1",
             "average_precision": "average precision"}  # fmt: skip
    lines = []
    for row in differences.itertuples():
        if row.measure == "average_precision":
            show, unit = (lambda v: f"{v:+.3f}"), ""
        else:
            show, unit = (lambda v: f"{100 * v:+.1f}"), " percentage points"
        lines.append(
            f"  vs {row.comparator}: {names[row.measure]} {show(row.difference)}{unit} "
            f"(95% interval {show(row.low)} to {show(row.high)})"
        )
    return "\n".join(lines)


def _groups_text(groups: pd.DataFrame) -> str:
    if groups.empty:
        return "  (no burnt-out-ahead weeks held out)"
    shown = groups.set_index(["kind", "group"])
    text = shown.drop(columns="positives").map(_pct)
    text.insert(0, "weeks", shown["positives"])
    return text.to_string()


def _calibration_text(calibration: pd.DataFrame) -> str:
    lines = []
    for name, part in calibration.groupby("method", sort=False):
        points = ", ".join(
            f"{p:.0%}→{o:.0%}" for p, o in zip(part["predicted"], part["observed"], strict=True)
        )
        lines.append(f"  {name}: {points}")
    return "\n".join(lines)
