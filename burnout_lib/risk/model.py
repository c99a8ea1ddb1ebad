"""Training the burnout model: candidates, person-grouped validation, calibration, a recall-first
threshold, and a model card.

The label is the Copenhagen Burnout Inventory personal score of the same week (≥ 50). Missing a
burnt-out person costs more than a false alarm, so the decision threshold is the highest one that
keeps recall at the target (0.95 by default) in cross-validation, and the precision and F1 that
costs are reported next to it. Cross-validation folds never put one person in both training and
validation, and every feature only uses what was known by the end of its week.
"""

from __future__ import annotations

import json
import platform
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import joblib
import numpy as np
import pandas as pd
import sklearn
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
from burnout_lib.risk.features import CATEGORICAL, feature_columns
from burnout_lib.store import db
from burnout_lib.store.transactions import write_transaction

CANDIDATES = ("logistic", "gradient_boosting")
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
    return {name: [float(np.nanpercentile(v, 2.5)), float(np.nanpercentile(v, 97.5))]
            for name, v in draws.items()}  # fmt: skip


@dataclass
class TrainedModel:
    """A fitted pipeline, its calibration, thresholds and the card that describes it."""

    name: str
    feature_set: str
    columns: list[str]
    pipeline: Pipeline
    calibrator: IsotonicRegression
    threshold: float
    high_threshold: float
    reference: dict[str, object]
    card: dict = field(default_factory=dict)
    #: Calibrated out-of-fold predictions from training (for plots; not saved with the model).
    out_of_fold: pd.DataFrame | None = None

    def probability(self, features: pd.DataFrame) -> np.ndarray:
        """Calibrated burnout probability for each row."""
        with threadpool_limits(limits=1):
            raw = self.pipeline.predict_proba(features[self.columns])[:, 1]
        return self.calibrator.predict(raw)

    def level(self, probability: np.ndarray) -> np.ndarray:
        """low / moderate / high from the recall-first and the high-precision thresholds."""
        levels = np.full(len(probability), "low", dtype=object)
        levels[probability >= self.threshold] = "moderate"
        levels[probability >= self.high_threshold] = "high"
        return levels


def library_versions() -> dict[str, str]:
    return {
        "python": platform.python_version(),
        "scikit-learn": sklearn.__version__,
        "pandas": pd.__version__,
        "numpy": np.__version__,
    }


def train(features: pd.DataFrame, feature_set: str = "full", **options) -> TrainedModel:
    """Compare the candidates in person-grouped cross-validation, keep the best, calibrate it and
    choose its thresholds; the returned model is refitted on all labelled weeks.

    Options: `target_recall`, `high_precision`, `folds`, `seed`, `candidates`,
    `bootstrap_rounds`, `validation_people` (with more people than this, candidates are
    compared, calibrated and thresholded on that many drawn at random, and the final fit uses
    everyone: the estimates settle long before, and training stays fast at hospital scale).
    Runs single-threaded: on small machines the numeric libraries' thread
    pools contend and slow training down many times over.
    """
    with threadpool_limits(limits=1):
        return _train(features, feature_set, **options)


def _train(
    features: pd.DataFrame,
    feature_set: str = "full",
    target_recall: float = DEFAULT_TARGET_RECALL,
    high_precision: float = DEFAULT_HIGH_PRECISION,
    folds: int = 5,
    seed: int = 0,
    candidates: tuple[str, ...] = CANDIDATES,
    bootstrap_rounds: int = 200,
    validation_people: int = 1500,
) -> TrainedModel:
    columns = feature_columns(feature_set)
    data = features[features["burnout"].notna()].reset_index(drop=True)
    labels = data["burnout"].astype(int).to_numpy()
    groups = data["staff_id"].to_numpy()
    if len(np.unique(labels)) < 2:
        raise InvalidInput("training needs weeks both above and below the burnout cut-off")
    if len(np.unique(groups)) < folds:
        raise InvalidInput(f"training needs at least {folds} people with check-ins")
    everyone = data
    people = np.unique(groups)
    sampled = len(people) > validation_people
    if sampled:
        sample = np.random.default_rng(seed).choice(people, validation_people, replace=False)
        data = data[data["staff_id"].isin(sample)].reset_index(drop=True)
        labels = data["burnout"].astype(int).to_numpy()
        groups = data["staff_id"].to_numpy()
    X = data[columns]
    splitter = GroupKFold(n_splits=folds)
    compared: dict[str, dict] = {}
    out_of_fold: dict[str, np.ndarray] = {}
    for kind in candidates:
        predicted = cross_val_predict(
            _pipeline(kind, columns, seed), X, labels, groups=groups, cv=splitter,
            method="predict_proba",
        )[:, 1]  # fmt: skip
        out_of_fold[kind] = predicted
        threshold = recall_first_threshold(labels, predicted, target_recall)
        compared[kind] = {
            "average_precision": float(average_precision_score(labels, predicted)),
            **confusion(labels, predicted >= threshold),
        }
    best = max(compared, key=lambda k: compared[k]["average_precision"])
    calibrator = IsotonicRegression(out_of_bounds="clip", y_min=0, y_max=1)
    calibrated = calibrator.fit_transform(out_of_fold[best], labels)
    threshold = recall_first_threshold(labels, calibrated, target_recall)
    high = precision_threshold(labels, calibrated, high_precision, floor=threshold)
    at_threshold = confusion(labels, calibrated >= threshold)
    intervals = _bootstrap(labels, calibrated, groups, threshold, bootstrap_rounds, seed)

    def recall_by(column: str) -> dict[str, dict]:
        result = {}
        for group, rows in data.groupby(column).groups.items():
            index = np.asarray(rows)
            counts = confusion(labels[index], calibrated[index] >= threshold)
            result[str(group)] = {
                "recall": counts["recall"],
                "positives": counts["tp"] + counts["fn"],
            }
        return result

    all_x = everyone[columns]
    pipeline = _pipeline(best, columns, seed).fit(all_x, everyone["burnout"].astype(int))
    reference = {
        c: (all_x[c].mode().iloc[0] if c in CATEGORICAL else float(all_x[c].median()))
        for c in columns
    }
    precision, recall, curve_thresholds = precision_recall_curve(labels, calibrated)
    weeks = pd.to_datetime(everyone["week_start"])
    card = {
        "name": f"burnout-{best}-{feature_set}",
        "trained_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "label": "CBI personal score >= 50 in the same week",
        "data_window": {
            "first_week": weeks.min().date().isoformat(),
            "last_week": weeks.max().date().isoformat(),
            "weeks_labelled": int(len(everyone)),
            "people": int(len(people)),
            "positives": int(everyone["burnout"].astype(int).sum()),
        },
        "feature_set": feature_set,
        "features": columns,
        "validation": f"{folds}-fold cross-validation grouped by person"
        + (f", on {validation_people:,} people drawn at random" if sampled else ""),
        "candidates": compared,
        "chosen": best,
        "target_recall": target_recall,
        "threshold": threshold,
        "high_threshold": high,
        "high_precision_target": high_precision,
        "metrics": {
            **at_threshold,
            "average_precision": float(average_precision_score(labels, calibrated)),
            "brier_uncalibrated": float(brier_score_loss(labels, out_of_fold[best])),
            "brier_calibrated": float(brier_score_loss(labels, calibrated)),
            "ci95": intervals,
        },
        "recall_by_unit": recall_by("unit"),
        "recall_by_role": recall_by("role"),
        "precision_recall_curve": _thin_curve(precision, recall, curve_thresholds),
        "library_versions": library_versions(),
    }
    out_of_fold = pd.DataFrame(
        {"staff_id": groups, "week_start": data["week_start"], "unit": data["unit"],
         "role": data["role"], "label": labels, "probability": calibrated}
    )  # fmt: skip
    return TrainedModel(card["name"], feature_set, columns, pipeline, calibrator, threshold,
                        high, reference, card, out_of_fold)  # fmt: skip


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
        "",
        "## Recall by group (a group the model misses shows here)",
        "",
        "| group | recall | burnt-out weeks |",
        "| --- | --- | --- |",
    ]
    for kind in ("unit", "role"):
        for group, values in card[f"recall_by_{kind}"].items():
            lines.append(f"| {kind}: {group} | {pct(values['recall'])} | {values['positives']} |")
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
    saved = {k: v for k, v in model.__dict__.items() if k != "out_of_fold"}
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
            k: model.card[k] for k in ("metrics", "recall_by_unit", "recall_by_role", "candidates")
        },  # fmt: skip
        "threshold": model.threshold,
        "path": str(path.relative_to(settings.data_dir)),
        "feature_set": {"name": model.feature_set, "columns": model.columns},
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
    if saved["columns"] != feature_columns(saved["feature_set"]):
        raise InvalidInput(
            f"{path.name} was trained on features this version no longer computes: retrain it"
        )
    return TrainedModel(**saved)
