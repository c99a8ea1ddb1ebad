"""Training the risk model: two calibrated classifiers, person-grouped validation, recall-first
thresholds, figures measured on people the fitting never saw, and a model card.

A trained model answers two questions (`features.TARGETS`):
- the *early warning*: will the person's check-in be at or above 50 at a check-in within the next
  `horizon` weeks, from everything known by the end of this week (this week's check-in included);
- the *estimate* for a week the person did not answer: would their check-in have been at or
  above 50 this week.

For each, candidates are compared in cross-validation folds that never split a person, the best
is calibrated (isotonic) on its out-of-fold predictions, and the decision threshold is the highest
one that keeps recall at the target (0.95 by default): missing a burnt-out person costs more than
a false alarm. A share of people (`check_share`) is kept out of all of that, and the card's figures
(recall, precision, F1, average precision, Brier score, the reliability curve and their intervals)
are measured on them, so the card never grades the calibrator on the data it was fitted on.
`risk.evaluation` goes further and measures the model as a deployment would meet it: on later
weeks. Which channels a model uses, and what that evaluation said of them, is recorded on its card
as `channels` (`risk.feature_choice`) and kept with its `model_version.metrics`.
"""

from __future__ import annotations

import json
import os
import platform
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path

import joblib
import numpy as np
import pandas as pd
import sklearn
from joblib import Parallel, delayed
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.compose import ColumnTransformer
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.impute import SimpleImputer
from sklearn.isotonic import IsotonicRegression
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import average_precision_score, brier_score_loss, precision_recall_curve
from sklearn.model_selection import GroupKFold, cross_val_predict
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import OneHotEncoder, OrdinalEncoder, StandardScaler
from sqlalchemy import select
from sqlalchemy.engine import Engine
from threadpoolctl import threadpool_limits

from burnout_lib.config import Settings
from burnout_lib.errors import InvalidInput
from burnout_lib.risk.features import (
    CATEGORICAL,
    DEFAULT_HORIZON,
    feature_columns,
    warning_labels,
)
from burnout_lib.store import db
from burnout_lib.store.transactions import write_transaction

CANDIDATES = ("logistic", "gradient_boosting")
#: Person-weeks from which the two targets are fitted in parallel processes.
PARALLEL_FROM = 20_000
#: Columns training reads besides the features: who, when, and the groups recall is reported by.
_KEYS = ("staff_id", "week_start", "unit", "role")
DEFAULT_TARGET_RECALL = 0.95
DEFAULT_HIGH_PRECISION = 0.8


class FillEmptyColumns(TransformerMixin, BaseEstimator):
    """Fills the columns that had no value at all when fitted with zeros, and leaves every other
    missing value to the estimator.

    Gradient boosting handles missing values itself but cannot bin a column that is entirely
    missing, as a deviation column is in a small hospital where nobody has a baseline yet. A
    constant column gives the trees nothing to split on, as an empty one should.
    """

    def fit(self, X, y=None) -> FillEmptyColumns:
        self.empty_ = np.isnan(np.asarray(X, dtype=float)).all(axis=0)
        return self

    def transform(self, X) -> np.ndarray:
        values = np.array(X, dtype=float)
        values[:, self.empty_] = 0.0
        return values


def _pipeline(kind: str, columns: list[str], seed: int) -> Pipeline:
    categorical = [c for c in columns if c in CATEGORICAL]
    numeric = [c for c in columns if c not in CATEGORICAL]
    if kind == "logistic":
        prepare = ColumnTransformer(
            [
                (
                    "numbers",
                    Pipeline(
                        [
                            ("impute", SimpleImputer(strategy="median", add_indicator=True)),
                            ("scale", StandardScaler()),
                        ]
                    ),
                    numeric,
                ),
                ("groups", OneHotEncoder(handle_unknown="ignore"), categorical),
            ]
        )
        estimator = LogisticRegression(class_weight="balanced", max_iter=2000, C=0.5)
    elif kind == "gradient_boosting":
        prepare = ColumnTransformer(
            [
                ("numbers", FillEmptyColumns(), numeric),
                (
                    "groups",
                    OrdinalEncoder(handle_unknown="use_encoded_value", unknown_value=-1),
                    categorical,
                ),
            ]
        )
        estimator = HistGradientBoostingClassifier(
            class_weight="balanced",
            categorical_features=list(range(len(numeric), len(columns))),
            max_iter=120,
            max_leaf_nodes=15,
            learning_rate=0.1,
            random_state=seed,
        )
    else:
        raise InvalidInput(f"unknown model {kind!r} (use one of: {', '.join(CANDIDATES)})")
    return Pipeline([("prepare", prepare), ("model", estimator)])


def recall_first_threshold(labels: np.ndarray, scores: np.ndarray, target: float) -> float:
    """The highest threshold whose recall is still at least `target`."""
    precision, recall, thresholds = precision_recall_curve(labels, scores)
    meets = np.flatnonzero(recall[:-1] >= target)
    return float(thresholds[meets[-1]]) if len(meets) else float(thresholds[0])


def precision_threshold(labels, scores, precision_target: float, floor: float) -> float:
    """The lowest threshold at or above `floor` whose precision reaches `precision_target`."""
    precision, _, thresholds = precision_recall_curve(labels, scores)
    meets = np.flatnonzero((precision[:-1] >= precision_target) & (thresholds >= floor))
    if len(meets):
        return float(thresholds[meets[0]])
    return float(floor + (1 - floor) / 2)


def confusion(labels: np.ndarray, flagged: np.ndarray) -> dict[str, float]:
    """Counts and rates at a threshold (recall, precision, F1 as 0–1; NaN when undefined)."""
    tp = int(np.sum(flagged & (labels == 1)))
    fp = int(np.sum(flagged & (labels == 0)))
    fn = int(np.sum(~flagged & (labels == 1)))
    tn = int(np.sum(~flagged & (labels == 0)))
    recall = tp / (tp + fn) if tp + fn else float("nan")
    precision = tp / (tp + fp) if tp + fp else float("nan")
    f1 = 2 * tp / (2 * tp + fp + fn) if tp + fp + fn else float("nan")
    return {"tp": tp, "fp": fp, "fn": fn, "tn": tn, "recall": recall, "precision": precision,
            "f1": f1}  # fmt: skip


def _bootstrap(labels, scores, groups, threshold, rounds: int, seed: int) -> dict[str, list]:
    """95% intervals for recall, precision, F1 and average precision, resampling people."""
    rng = np.random.default_rng(seed)
    people = np.unique(groups)
    rows_of = pd.Series(np.arange(len(groups))).groupby(groups).apply(np.array)
    draws: dict[str, list[float]] = {
        "recall": [],
        "precision": [],
        "f1": [],
        "average_precision": [],
    }
    for _ in range(rounds):
        chosen = np.concatenate(rows_of.loc[rng.choice(people, len(people))].to_numpy())
        y, s = labels[chosen], scores[chosen]
        if y.min() == y.max():
            continue
        counts = confusion(y, s >= threshold)
        for name in ("recall", "precision", "f1"):
            draws[name].append(counts[name])
        draws["average_precision"].append(average_precision_score(y, s))
    return {
        name: [float(np.nanpercentile(v, 2.5)), float(np.nanpercentile(v, 97.5))]
        if v
        else [float("nan"), float("nan")]
        for name, v in draws.items()
    }


def reliability(labels: np.ndarray, probability: np.ndarray, bins: int = 10) -> list[dict]:
    """Mean predicted probability against the observed rate, per probability bin with weeks."""
    edges = np.linspace(0, 1, bins + 1)
    which = np.clip(np.digitize(probability, edges[1:-1]), 0, bins - 1)
    curve = []
    for b in range(bins):
        inside = which == b
        if inside.any():
            curve.append(
                {
                    "predicted": float(probability[inside].mean()),
                    "observed": float(labels[inside].mean()),
                    "weeks": int(inside.sum()),
                }
            )
    return curve


@dataclass
class TargetModel:
    """One calibrated classifier: its pipeline, calibration and the two level thresholds."""

    target: str
    columns: list[str]
    pipeline: Pipeline
    calibrator: IsotonicRegression
    threshold: float
    high_threshold: float
    #: typical (training median or mode) value of each column, for reading drivers
    reference: dict[str, object]

    def probability(self, features: pd.DataFrame) -> np.ndarray:
        """Calibrated probability for each row."""
        with threadpool_limits(limits=1):
            raw = self.pipeline.predict_proba(features[self.columns])[:, 1]
        return self.calibrator.predict(raw)

    def level(self, probability: np.ndarray) -> np.ndarray:
        """low / moderate / high from the recall-first and the high-precision thresholds."""
        levels = np.full(len(probability), "low", dtype=object)
        levels[probability >= self.threshold] = "moderate"
        levels[probability >= self.high_threshold] = "high"
        return levels


@dataclass
class TrainedModel:
    """The early warning and the same-week estimate, trained together, and their card."""

    name: str
    feature_set: str
    horizon: int
    warning: TargetModel
    estimate: TargetModel | None
    card: dict = field(default_factory=dict)
    #: The early warning's calibrated predictions for the people held out of fitting,
    #: calibration and thresholds (for plots; not saved with the model).
    held_out: pd.DataFrame | None = None

    @property
    def threshold(self) -> float:
        return self.warning.threshold

    @property
    def high_threshold(self) -> float:
        return self.warning.high_threshold

    def probability(self, features: pd.DataFrame) -> np.ndarray:
        """The early warning: calibrated probability of a check-in at or above 50 within the
        horizon."""
        return self.warning.probability(features)

    def level(self, probability: np.ndarray) -> np.ndarray:
        """The early warning's level for each probability."""
        return self.warning.level(probability)

    def estimate_probability(self, features: pd.DataFrame) -> np.ndarray:
        """Calibrated probability that this week's check-in would have been at or above 50."""
        if self.estimate is None:
            raise InvalidInput(f"{self.name} was trained without the same-week estimate")
        return self.estimate.probability(features)


def library_versions() -> dict[str, str]:
    return {
        "python": platform.python_version(),
        "scikit-learn": sklearn.__version__,
        "pandas": pd.__version__,
        "numpy": np.__version__,
    }


def train(
    features: pd.DataFrame,
    feature_set: str = "full",
    horizon: int = DEFAULT_HORIZON,
    known_until: date | None = None,
    with_estimate: bool = True,
    **options,
) -> TrainedModel:
    """Train the early warning (and, unless `with_estimate` is False, the same-week estimate) on
    `features`; every label comes from the check-ins in `features` up to `known_until` (default:
    its last week), so passing the weeks up to a cut-off keeps every later week out.

    Options: `target_recall`, `high_precision`, `folds`, `seed`, `candidates`,
    `bootstrap_rounds`, `check_share` (the share of people held out to measure the card's
    figures), `validation_people` (with more people than this, candidates are compared,
    calibrated and thresholded on that many drawn at random, at most that many are held out for
    the card, and the final fit uses everyone: the estimates settle long before, and training
    stays fast at hospital scale).
    Runs single-threaded: on small machines the numeric libraries' thread pools contend and slow
    training down many times over.
    """
    warning_label = warning_labels(features, horizon, known_until)
    jobs = [("warning", warning_label)]
    if with_estimate:
        jobs.append(("estimate", features["burnout"]))

    # the two targets are independent: with two cores, fit them side by side, in processes that
    # each stay single-threaded inside (only the columns a target needs travel to its process)
    def job(target: str, label: pd.Series):
        columns = feature_columns(feature_set, target)
        needed = features[list(dict.fromkeys([*_KEYS, *columns]))]
        return delayed(_fit_target)(needed, label, target, columns, **options)

    # below a few tens of thousands of weeks, starting the processes costs more than it saves
    workers = min(len(jobs), os.cpu_count() or 1) if len(features) >= PARALLEL_FROM else 1
    with threadpool_limits(limits=1):
        fitted = Parallel(n_jobs=workers)(job(target, label) for target, label in jobs)
    warning, card, held_out = fitted[0]
    estimate, estimate_card = (fitted[1][0], fitted[1][1]) if with_estimate else (None, None)
    weeks = pd.to_datetime(features["week_start"])
    labelled = warning_label.notna()
    card = {
        "name": f"burnout-{card['chosen']}-{feature_set}",
        "trained_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "label": f"CBI personal score >= 50 at a check-in within the next {horizon} weeks "
        "(early warning)",
        "horizon_weeks": horizon,
        "data_window": {
            "first_week": weeks.min().date().isoformat(),
            "last_week": weeks.max().date().isoformat(),
            "weeks_labelled": int(labelled.sum()),
            "people": int(features.loc[labelled, "staff_id"].nunique()),
            "positives": int(warning_label[labelled].astype(int).sum()),
        },
        "feature_set": feature_set,
        **card,
        "estimate": None if estimate is None else {
            "label": "CBI personal score >= 50 in the same week, for weeks without a check-in",
            **estimate_card,
        },
        "library_versions": library_versions(),
    }  # fmt: skip
    return TrainedModel(card["name"], feature_set, horizon, warning, estimate, card, held_out)


def _fit_target(
    features: pd.DataFrame,
    label: pd.Series,
    target: str,
    columns: list[str],
    target_recall: float = DEFAULT_TARGET_RECALL,
    high_precision: float = DEFAULT_HIGH_PRECISION,
    folds: int = 5,
    seed: int = 0,
    candidates: tuple[str, ...] = CANDIDATES,
    bootstrap_rounds: int = 200,
    check_share: float = 0.2,
    validation_people: int = 1000,
) -> tuple[TargetModel, dict, pd.DataFrame]:
    """Choose, calibrate and threshold one classifier; measure it on held-out people."""
    known = label.notna().to_numpy()
    data = features[known].reset_index(drop=True)
    labels = label[known].astype(int).to_numpy()
    groups = data["staff_id"].to_numpy()
    if len(np.unique(labels)) < 2:
        raise InvalidInput("training needs weeks both above and below the burnout cut-off")
    people = np.unique(groups)
    rng = np.random.default_rng(seed)
    held = min(int(round(check_share * len(people))), validation_people)
    checked = rng.choice(people, held, replace=False)
    is_checked = np.isin(groups, checked)
    fitting = people[~np.isin(people, checked)]
    if len(fitting) < folds:
        raise InvalidInput(f"training needs at least {folds / (1 - check_share):.0f} people "
                           "with check-ins")  # fmt: skip
    sampled = len(fitting) > validation_people
    tuning = rng.choice(fitting, validation_people, replace=False) if sampled else fitting
    tune = np.isin(groups, tuning)
    X, y, g = data.loc[tune, columns], labels[tune], groups[tune]
    if len(np.unique(y)) < 2:
        raise InvalidInput("training needs weeks both above and below the burnout cut-off")
    compared: dict[str, dict] = {}
    out_of_fold: dict[str, np.ndarray] = {}
    for kind in candidates:
        predicted = cross_val_predict(
            _pipeline(kind, columns, seed), X, y, groups=g, cv=GroupKFold(n_splits=folds),
            method="predict_proba",
        )[:, 1]  # fmt: skip
        out_of_fold[kind] = predicted
        threshold = recall_first_threshold(y, predicted, target_recall)
        compared[kind] = {
            "average_precision": float(average_precision_score(y, predicted)),
            **confusion(y, predicted >= threshold),
        }
    best = max(compared, key=lambda k: compared[k]["average_precision"])
    calibrator = IsotonicRegression(out_of_bounds="clip", y_min=0, y_max=1)
    calibrated = calibrator.fit_transform(out_of_fold[best], y)
    threshold = recall_first_threshold(y, calibrated, target_recall)
    high = precision_threshold(y, calibrated, high_precision, floor=threshold)

    # the card's figures: people who took no part in fitting, calibration or thresholds
    measured = _pipeline(best, columns, seed).fit(X, y)
    check = data[is_checked]
    check_labels = labels[is_checked]
    check_probability = calibrator.predict(measured.predict_proba(check[columns])[:, 1])
    metrics = _held_out_metrics(
        check, check_labels, check_probability, threshold, bootstrap_rounds, seed
    )
    pipeline = _pipeline(best, columns, seed).fit(data[columns], labels)
    every = data[columns]
    reference = {
        c: (every[c].mode().iloc[0] if c in CATEGORICAL else float(every[c].median()))
        for c in columns
    }
    model = TargetModel(target, columns, pipeline, calibrator, threshold, high, reference)
    card = {
        "features": columns,
        "validation": f"{folds}-fold cross-validation grouped by person"
        + (f", on {validation_people:,} people drawn at random" if sampled else "")
        + f"; figures measured on {len(checked):,} people held out of fitting, calibration and "
        "thresholds",
        "candidates": compared,
        "chosen": best,
        "target_recall": target_recall,
        "threshold": threshold,
        "high_threshold": high,
        "high_precision_target": high_precision,
        **metrics,
    }
    held_out = pd.DataFrame(
        {"staff_id": check["staff_id"].to_numpy(), "week_start": check["week_start"].to_numpy(),
         "unit": check["unit"].to_numpy(), "role": check["role"].to_numpy(),
         "label": check_labels, "probability": check_probability}
    )  # fmt: skip
    return model, card, held_out


def _held_out_metrics(
    rows: pd.DataFrame, labels: np.ndarray, probability: np.ndarray, threshold: float,
    bootstrap_rounds: int, seed: int,
) -> dict:  # fmt: skip
    """Figures at the threshold, with intervals by person, by unit and role, and calibration."""
    both = len(np.unique(labels)) == 2
    flagged = probability >= threshold

    def recall_by(column: str) -> dict[str, dict]:
        result = {}
        for group, index in rows.reset_index(drop=True).groupby(column).groups.items():
            index = np.asarray(index)
            counts = confusion(labels[index], flagged[index])
            result[str(group)] = {"recall": counts["recall"],
                                  "positives": counts["tp"] + counts["fn"]}  # fmt: skip
        return result

    precision, recall, thresholds = (
        precision_recall_curve(labels, probability) if both else ([], [], [])
    )
    return {
        "metrics": {
            **confusion(labels, flagged),
            "average_precision": float(average_precision_score(labels, probability))
            if both else float("nan"),
            "brier": float(brier_score_loss(labels, probability)) if len(labels) else float("nan"),
            "ci95": _bootstrap(labels, probability, rows["staff_id"].to_numpy(), threshold,
                               bootstrap_rounds, seed),
        },
        "reliability": reliability(labels, probability),
        "recall_by_unit": recall_by("unit"),
        "recall_by_role": recall_by("role"),
        "precision_recall_curve": _thin_curve(precision, recall, thresholds) if both else [],
    }  # fmt: skip


def _thin_curve(precision, recall, thresholds, points: int = 101) -> list[dict[str, float]]:
    keep = np.unique(np.linspace(0, len(thresholds) - 1, points).astype(int))
    return [{"threshold": float(thresholds[i]), "precision": float(precision[i]),
             "recall": float(recall[i])} for i in keep]  # fmt: skip


def model_card_markdown(card: dict) -> str:
    """The model card for people: what it was trained on, how good it is, where it falls short."""
    m = card["metrics"]
    ci = m["ci95"]
    window = card["data_window"]

    def pct(value: float) -> str:
        return "n/a" if value != value else f"{value:.0%}"

    lines = [
        f"# Model card: {card['name']}",
        "",
        f"Trained {card['trained_at']} on {window['weeks_labelled']:,} labelled weeks of "
        f"{window['people']:,} people ({window['first_week']} to {window['last_week']}; "
        f"{window['positives']:,} weeks at or above the burnout cut-off).",
        "",
        f"- Label: {card['label']}.",
        f"- Features ({card['feature_set']}): {', '.join(card['features'])}.",
        f"- Validation: {card['validation']}; candidates compared by average precision, "
        f"chosen: **{card['chosen']}**, probabilities calibrated (isotonic).",
        f"- Threshold for *moderate*: {card['threshold']:.3f}, chosen for recall ≥ "
        f"{card['target_recall']:.0%}; *high* from {card['high_threshold']:.3f} "
        f"(precision target {card['high_precision_target']:.0%}).",
        "",
        "| metric | value | 95% interval (people resampled) |",
        "| --- | --- | --- |",
        f"| recall | {pct(m['recall'])} | {pct(ci['recall'][0])}–{pct(ci['recall'][1])} |",
        f"| precision | {pct(m['precision'])} | {pct(ci['precision'][0])}–"
        f"{pct(ci['precision'][1])} |",
        f"| F1 | {pct(m['f1'])} | {pct(ci['f1'][0])}–{pct(ci['f1'][1])} |",
        f"| average precision | {m['average_precision']:.3f} | "
        f"{ci['average_precision'][0]:.3f}–{ci['average_precision'][1]:.3f} |",
        f"| Brier score (lower is better) | {m['brier']:.3f} | |",
        "",
        "These figures are measured on people held out of fitting, calibration and thresholds. "
        "`burnout evaluate` measures the early warning as a deployment meets it, on later weeks.",
        "",
        "## Recall by group (a group the model misses shows here)",
        "",
        "| group | recall | burnt-out weeks |",
        "| --- | --- | --- |",
    ]
    for kind in ("unit", "role"):
        for group, values in card[f"recall_by_{kind}"].items():
            lines.append(f"| {kind}: {group} | {pct(values['recall'])} | {values['positives']} |")
    channels = card.get("channels")
    if channels:
        lines += [
            "",
            "## Channels",
            "",
            f"- Uses {channels['uses']} (feature set `{channels['feature_set']}`): "
            f"{channels['reason']}.",
            f"- `burnout evaluate` on this hospital's later weeks: {channels['evaluation']}",
        ]
        if channels["against_evaluation"]:
            lines.append(
                f"- **This model goes against its evaluation**: it was trained on "
                f"`{channels['feature_set']}` features, where the evaluation chose "
                f"`{channels['chosen_by_evaluation']}` ({channels['reason']})."
            )
    estimate = card.get("estimate")
    if estimate:
        e = estimate["metrics"]
        lines += [
            "",
            "## Same-week estimate (weeks without a check-in)",
            "",
            f"- Label: {estimate['label']}; chosen: **{estimate['chosen']}**; *moderate* from "
            f"{estimate['threshold']:.3f}, *high* from {estimate['high_threshold']:.3f}.",
            f"- On held-out people: recall {pct(e['recall'])}, precision {pct(e['precision'])}, "
            f"average precision {e['average_precision']:.3f}, Brier score {e['brier']:.3f}.",
        ]
    versions = ", ".join(f"{k} {v}" for k, v in card["library_versions"].items())
    lines += ["", f"Library versions: {versions}.", "",
              "Expression scores measure perceived facial movement, not felt emotion."]  # fmt: skip
    return "\n".join(lines) + "\n"


def save_model(model: TrainedModel, engine: Engine, settings: Settings, live: bool = False) -> int:
    """Write the model file and its card (JSON and Markdown); record a `model_version` row.

    The model is a candidate: nothing people see changes until it is promoted
    (`risk.lifecycle.promote`, which compares it with the live model first). `live=True` makes
    it live at once, without that comparison: for a database's first model, the demo and the
    benchmarks."""
    settings.models_dir.mkdir(parents=True, exist_ok=True)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S%f")
    path = settings.models_dir / f"{model.name}-{stamp}.joblib"
    saved = {k: v for k, v in model.__dict__.items() if k != "held_out"}
    temp = path.with_name(f".{path.name}.tmp")
    joblib.dump(saved, temp)
    temp.replace(path)
    model.card["path"] = str(path.with_suffix(".card.md").relative_to(settings.data_dir))
    card = json.dumps(db.json_safe(model.card), indent=2, default=str)
    path.with_suffix(".card.json").write_text(card)
    path.with_suffix(".card.md").write_text(model_card_markdown(model.card))
    row = {
        "trained_at": datetime.fromisoformat(model.card["trained_at"]),
        "name": model.name,
        "metrics": {
            k: model.card[k]
            for k in ("metrics", "recall_by_unit", "recall_by_role", "candidates", "channels")
            if k in model.card
        },  # fmt: skip
        "threshold": model.threshold,
        "path": str(path.relative_to(settings.data_dir)),
        "feature_set": {"name": model.feature_set, "columns": model.warning.columns},
        "horizon_weeks": model.horizon,
        "data_window": model.card["data_window"],
        "library_versions": model.card["library_versions"],
    }

    def record(connection) -> int:  # keyed by its file, so a retried insert stores it once
        db.upsert(connection, db.model_version, pd.DataFrame([row]), ("path",), update=False)
        model_id = connection.execute(
            select(db.model_version.c.id).where(db.model_version.c.path == row["path"])
        ).scalar_one()
        if live:
            db.set_live_model(connection, model_id)
        return model_id

    return int(write_transaction(engine, record, f"recording model {model.name}"))


def load_model(path: Path, feature_set: str | None = None) -> TrainedModel:
    """Load a saved model; refuse one from other library versions or another feature set."""
    if not path.is_file():
        raise InvalidInput(f"{path}: model file not found")
    saved = joblib.load(path)
    trained = saved["card"]["library_versions"]["scikit-learn"]
    if trained.split(".")[:2] != sklearn.__version__.split(".")[:2]:
        raise InvalidInput(
            f"{path.name} was trained with scikit-learn {trained}, this is {sklearn.__version__}: "
            "retrain it with `burnout train`"
        )
    if feature_set is not None and saved["feature_set"] != feature_set:
        raise InvalidInput(
            f"{path.name} uses the {saved['feature_set']!r} feature set, not {feature_set!r}"
        )
    parts = [saved.get(target) for target in ("warning", "estimate")]
    if parts[0] is None or any(
        part is not None and part.columns != feature_columns(saved["feature_set"], part.target)
        for part in parts
    ):
        raise InvalidInput(
            f"{path.name} was trained on features or labels this version no longer uses: "
            "retrain it with `burnout train`"
        )
    return TrainedModel(**saved)
