"""The models of this product's predecessors, reproduced, and this product's answer to them.

Two earlier projects tried to spot burnout with a model:

* a hackathon logistic regression on Hume's 48 face-expression scores
  (``AarhamWasit/calhacks``, MIT licence). Its coefficients ship in
  ``resources/hackathon_logreg.json`` with their source. It was trained on 4 images, so it
  is a baseline to compare against, not a model to ship;
* the NYC healthcare-workers notebook (``mindyng/2021-Projects``), logistic regressions on a
  1,000-row mock survey whose label is a fixed rule (see :mod:`burnout_lib.mock.nyc_survey`).

:func:`nyc_original` replays the notebook's protocol on the recreated survey,
:func:`nyc_product_model` is this product's model on the same split, with its decision
threshold chosen for recall on the training part only, and :func:`comparison_table` puts
them side by side.
"""

from __future__ import annotations

import json
import math
from functools import cache
from importlib import resources
from typing import Any

import numpy as np
import pandas as pd
from sklearn.ensemble import RandomForestClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import confusion_matrix, f1_score, precision_score, recall_score
from sklearn.model_selection import StratifiedKFold, cross_val_predict, train_test_split
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import FunctionTransformer

from burnout_lib.emotions import canonical_name, summary_column
from burnout_lib.errors import InvalidInput
from burnout_lib.mock.nyc_survey import (
    COPING_COLUMNS,
    FEATURE_COLUMNS,
    ID_COLUMN,
    LABEL_COLUMN,
    NO_COPING_COLUMN,
    STRESSOR_COLUMNS,
)

__all__ = [
    "CV_FOLDS",
    "HACKATHON_RESOURCE",
    "NYC_FEATURES",
    "NYC_RANDOM_STATE",
    "NYC_TEST_SIZE",
    "PUBLISHED_F1",
    "RECALL_TARGET",
    "choose_threshold",
    "comparison_table",
    "hackathon_columns",
    "hackathon_coefficients",
    "hackathon_model",
    "hackathon_probability",
    "nyc_original",
    "nyc_product_model",
    "nyc_split",
    "original_features",
    "product_pipeline",
    "survey_aggregates",
]

# --------------------------------------------------------------------------- hackathon model

HACKATHON_RESOURCE = "hackathon_logreg.json"
"""File in ``burnout_lib/risk/resources`` holding the hackathon model and its ``source`` block."""


@cache
def _hackathon_json() -> str:
    return (resources.files("burnout_lib.risk") / "resources" / HACKATHON_RESOURCE).read_text(
        encoding="utf-8"
    )


def hackathon_coefficients() -> dict[str, Any]:
    """The published hackathon model: ``source``, ``intercept`` and per-emotion ``coefficients``.

    A fresh copy on every call, so callers may modify it.
    """
    return json.loads(_hackathon_json())


def hackathon_columns() -> tuple[str, ...]:
    """The model's 48 input columns, ``<slug>_mean``, in the published coefficient order."""
    return tuple(
        summary_column(canonical_name(entry["emotion"]), "mean")
        for entry in hackathon_coefficients()["coefficients"]
    )


def hackathon_model() -> LogisticRegression:
    """The hackathon logistic regression, rebuilt from its published intercept and coefficients.

    Classes are 0 (no burnout) and 1 (burnout); features are the weekly expression means
    named by :func:`hackathon_columns`. Trained by its authors on 4 face images, it is kept
    as a reference point only.
    """
    published = hackathon_coefficients()
    columns = hackathon_columns()
    model = LogisticRegression()
    model.classes_ = np.array([0, 1])
    model.coef_ = np.array([[float(entry["coef"]) for entry in published["coefficients"]]])
    model.intercept_ = np.array([float(published["intercept"])])
    model.n_features_in_ = len(columns)
    model.feature_names_in_ = np.array(columns, dtype=object)
    return model


def hackathon_probability(frame: pd.DataFrame) -> np.ndarray:
    """Burnout probability from the hackathon model for every row of ``frame``.

    ``frame`` holds the 48 ``<slug>_mean`` columns (weekly Hume expression means, 0-1);
    other columns are ignored. A row with any missing value (a week without a recording)
    gets NaN rather than an error. Raises :class:`InvalidInput` if a column is absent or
    holds something other than numbers.
    """
    columns = list(hackathon_columns())
    missing = [column for column in columns if column not in frame.columns]
    if missing:
        raise InvalidInput(
            f"hackathon model needs {len(columns)} expression-mean columns; missing: "
            + ", ".join(missing)
        )
    try:
        values = frame.loc[:, columns].astype(float)
    except (TypeError, ValueError) as error:
        raise InvalidInput(f"expression means must be numbers: {error}") from error
    complete = values.notna().all(axis=1).to_numpy()
    probability = np.full(len(frame), np.nan)
    if complete.any():
        probability[complete] = hackathon_model().predict_proba(values.loc[complete])[:, 1]
    return probability


# ----------------------------------------------------------------- NYC mock-survey benchmark

NYC_TEST_SIZE = 0.2
NYC_RANDOM_STATE = 42
"""The NYC notebook's split: ``train_test_split(X, y, test_size=0.2, random_state=42)``."""

NYC_FEATURES: tuple[str, ...] = tuple(c for c in FEATURE_COLUMNS if c != ID_COLUMN)
"""The 42 survey answers used as features: the 43 survey columns without the ``HCW No`` id."""

PUBLISHED_F1: dict[str, float] = {
    "original unweighted LR": 0.381,
    "original class-weighted LR": 0.69,
}
"""Test F1 the NYC notebook reported on its own data (mindyng/2021-Projects @ ca27726)."""

RECALL_TARGET = 0.95
"""Share of burnt-out workers the product's survey model must flag."""

CV_FOLDS = 5
"""Stratified folds used on the training part to choose the decision threshold."""

_MODEL_NAMES = {
    "unweighted": "original unweighted LR",
    "class_weighted": "original class-weighted LR",
    "product": "product model",
}


def _check_survey(frame: pd.DataFrame) -> None:
    missing = [c for c in (*NYC_FEATURES, LABEL_COLUMN) if c not in frame.columns]
    if missing:
        raise InvalidInput("survey frame is missing columns: " + ", ".join(missing))


def nyc_split(frame: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame, pd.Series, pd.Series]:
    """``(X_train, X_test, y_train, y_test)`` exactly as the NYC notebook split its data.

    X is the 42 answers of :data:`NYC_FEATURES` (the ``HCW No`` row id is dropped: an
    identifier carries no information about burnout), y the ``burntout`` label.
    """
    _check_survey(frame)
    features = frame.loc[:, list(NYC_FEATURES)]
    target = frame[LABEL_COLUMN].astype(np.int64)
    x_train, x_test, y_train, y_test = train_test_split(
        features, target, test_size=NYC_TEST_SIZE, random_state=NYC_RANDOM_STATE
    )
    return x_train, x_test, y_train, y_test


def original_features(features: pd.DataFrame) -> pd.DataFrame:
    """The survey answers as the NYC notebook fed them to its models: coping coded 1 -> -1.

    The notebook recoded every coping column from 1 to -1 so that a plain row sum gives the
    distress score, and trained on the recoded frame. The survey frame itself keeps 0/1.
    """
    recoded = features.copy()
    for column in COPING_COLUMNS:
        if column in recoded.columns:
            recoded[column] = -recoded[column]
    return recoded


def _metrics(y_true: pd.Series | np.ndarray, flagged: np.ndarray) -> dict[str, Any]:
    """Test metrics of a yes/no prediction, with the confusion matrix as [[tn, fp], [fn, tp]]."""
    y_true = np.asarray(y_true, dtype=np.int64)
    flagged = np.asarray(flagged, dtype=np.int64)
    (tn, fp), (fn, tp) = confusion_matrix(y_true, flagged, labels=[0, 1]).tolist()
    return {
        "precision": float(precision_score(y_true, flagged, zero_division=0)),
        "recall": float(recall_score(y_true, flagged, zero_division=0)),
        "f1": float(f1_score(y_true, flagged, zero_division=0)),
        "confusion_matrix": [[tn, fp], [fn, tp]],
        "tp": tp,
        "fp": fp,
        "fn": fn,
        "tn": tn,
        "flagged": tp + fp,
    }


def nyc_original(frame: pd.DataFrame) -> dict[str, Any]:
    """The NYC notebook's two logistic regressions, replayed on ``frame`` with its protocol.

    Both use ``solver="newton-cg"`` on the coping-recoded answers (:func:`original_features`);
    ``class_weighted`` adds ``class_weight="balanced"`` (the notebook's best, F1 0.69).
    Returns ``test_rows``, ``test_positives`` and, per model, the test metrics (precision,
    recall, f1, confusion matrix, tp/fp/fn/tn, flagged), the published F1 and the model.
    """
    x_train, x_test, y_train, y_test = nyc_split(frame)
    result: dict[str, Any] = {"test_rows": len(x_test), "test_positives": int(y_test.sum())}
    for key, class_weight in (("unweighted", None), ("class_weighted", "balanced")):
        model = LogisticRegression(solver="newton-cg", class_weight=class_weight)
        model.fit(original_features(x_train), y_train)
        flagged = model.predict(original_features(x_test))
        result[key] = {
            **_metrics(y_test, flagged),
            "published_f1": PUBLISHED_F1[_MODEL_NAMES[key]],
            "model": model,
        }
    return result


def survey_aggregates(features: pd.DataFrame) -> pd.DataFrame:
    """The answers plus three per-worker counts: stressors, coping behaviours, distress score.

    The distress score is the survey's usual summary: stressors endorsed, minus coping
    behaviours used, plus the "no coping methods" flag.
    """
    stressors = features.loc[:, list(STRESSOR_COLUMNS)].sum(axis=1)
    coping = features.loc[:, list(COPING_COLUMNS)].sum(axis=1)
    return features.assign(
        stressor_count=stressors,
        coping_count=coping,
        distress_score=stressors - coping + features[NO_COPING_COLUMN],
    )


def product_pipeline() -> Pipeline:
    """This product's survey model: survey aggregates, then a class-balanced random forest.

    Trees can express the thresholds on age, household, setting and distress that define
    burnout in the survey; the per-tree bootstrap reweighting (``balanced_subsample``)
    keeps the rare burnt-out workers visible to every tree.
    """
    return Pipeline(
        [
            ("aggregates", FunctionTransformer(survey_aggregates)),
            (
                "forest",
                RandomForestClassifier(
                    n_estimators=300,
                    max_features=0.5,
                    min_samples_leaf=3,
                    class_weight="balanced_subsample",
                    random_state=0,
                ),
            ),
        ]
    )


def _cv_threshold(
    features: pd.DataFrame, target: pd.Series, recall_target: float
) -> tuple[float, np.ndarray]:
    """Threshold for ``recall_target`` from out-of-fold probabilities, and those probabilities."""
    target = np.asarray(target, dtype=np.int64)
    positives = int(target.sum())
    if positives < CV_FOLDS:
        raise InvalidInput(
            f"choosing a threshold needs at least {CV_FOLDS} burnt-out workers, got {positives}"
        )
    if not 0 < recall_target <= 1:
        raise InvalidInput(f"recall target must be in (0, 1], got {recall_target}")
    folds = StratifiedKFold(n_splits=CV_FOLDS, shuffle=True, random_state=0)
    probability = cross_val_predict(
        product_pipeline(), features, target, cv=folds, method="predict_proba"
    )[:, 1]
    needed = math.ceil(recall_target * positives - 1e-9)
    ranked = np.sort(probability[target == 1])[::-1]
    return float(ranked[needed - 1]), probability


def choose_threshold(
    features: pd.DataFrame, target: pd.Series, recall_target: float = RECALL_TARGET
) -> float:
    """Highest probability threshold whose cross-validated recall reaches ``recall_target``.

    Uses only the data given (the training part): out-of-fold probabilities of
    :func:`product_pipeline` over :data:`CV_FOLDS` stratified folds. Flag a worker when their
    probability is at least the threshold.
    """
    threshold, _ = _cv_threshold(features, target, recall_target)
    return threshold


def nyc_product_model(frame: pd.DataFrame, recall_target: float = RECALL_TARGET) -> dict[str, Any]:
    """This product's model on the NYC notebook's split: threshold from training CV, one test.

    The threshold comes from :func:`choose_threshold` on the training part; the pipeline is
    then fitted on the whole training part and evaluated once on the test part. Returns the
    test metrics (as :func:`nyc_original`), ``threshold``, the cross-validated ``cv_recall``,
    ``cv_precision`` and ``cv_f1`` at that threshold, ``test_rows``, ``test_positives`` and
    the fitted ``model``.
    """
    x_train, x_test, y_train, y_test = nyc_split(frame)
    threshold, cv_probability = _cv_threshold(x_train, y_train, recall_target)
    cv_metrics = _metrics(y_train, cv_probability >= threshold)
    model = product_pipeline().fit(x_train, y_train)
    flagged = model.predict_proba(x_test)[:, 1] >= threshold
    return {
        **_metrics(y_test, flagged),
        "threshold": threshold,
        "cv_recall": cv_metrics["recall"],
        "cv_precision": cv_metrics["precision"],
        "cv_f1": cv_metrics["f1"],
        "test_rows": len(x_test),
        "test_positives": int(y_test.sum()),
        "model": model,
    }


def comparison_table(frame: pd.DataFrame) -> pd.DataFrame:
    """The original logistic regressions and this product's model, side by side on one split.

    One row per model (index ``model``): test precision, recall, f1, tp, fp, fn, tn,
    flagged, and the F1 the NYC notebook published for its own models (NaN for ours).
    """
    original = nyc_original(frame)
    results = {
        _MODEL_NAMES["unweighted"]: original["unweighted"],
        _MODEL_NAMES["class_weighted"]: original["class_weighted"],
        _MODEL_NAMES["product"]: nyc_product_model(frame),
    }
    columns = ["precision", "recall", "f1", "tp", "fp", "fn", "tn", "flagged"]
    rows = [
        {
            "model": name,
            **{column: metrics[column] for column in columns},
            "published_f1": PUBLISHED_F1.get(name, np.nan),
        }
        for name, metrics in results.items()
    ]
    return pd.DataFrame(rows).set_index("model")
