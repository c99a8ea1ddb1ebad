"""Tests for the predecessors' models and this product's model on the NYC benchmark."""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from burnout_lib.emotions import slug
from burnout_lib.errors import InvalidInput
from burnout_lib.mock.nyc_survey import COPING_COLUMNS, LABEL_COLUMN, generate_mock_survey
from burnout_lib.risk import baselines
from burnout_lib.risk.baselines import (
    choose_threshold,
    comparison_table,
    hackathon_columns,
    hackathon_model,
    hackathon_probability,
    nyc_original,
    nyc_product_model,
    nyc_split,
    original_features,
)

RESOURCE = Path(baselines.__file__).parent / "resources" / "hackathon_logreg.json"
SEED_BASELINES = Path("/work/shared/data/seed_baselines")


@pytest.fixture(scope="module")
def published() -> dict[str, Any]:
    return json.loads(RESOURCE.read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def survey() -> pd.DataFrame:
    return generate_mock_survey(1000, 0)


@pytest.fixture(scope="module")
def product(survey: pd.DataFrame) -> dict[str, Any]:
    return nyc_product_model(survey)


@pytest.fixture(scope="module")
def original(survey: pd.DataFrame) -> dict[str, Any]:
    return nyc_original(survey)


def _row(published: dict[str, Any]) -> dict[str, float]:
    """One week of expression means: 0.01, 0.02, ... in coefficient order."""
    return {
        f"{slug(entry['emotion'])}_mean": (i + 1) / 100
        for i, entry in enumerate(published["coefficients"])
    }


# ------------------------------------------------------------------------- hackathon model


def test_resource_keeps_its_source(published: dict[str, Any]) -> None:
    source = published["source"]
    assert source["repo"] == "AarhamWasit/calhacks"
    assert len(source["commit"]) == 40
    assert "MIT" in source["license"]
    assert len(published["coefficients"]) == 48


def test_resource_matches_the_published_file(published: dict[str, Any]) -> None:
    original_file = SEED_BASELINES / "burnout_monitor_logreg_coefficients.json"
    if not original_file.exists():
        pytest.skip("published coefficient file not available")
    assert published == json.loads(original_file.read_text(encoding="utf-8"))


def test_columns_are_named_by_slug(published: dict[str, Any]) -> None:
    expected = [f"{slug(e['emotion'])}_mean" for e in published["coefficients"]]
    assert list(hackathon_columns()) == expected
    assert list(hackathon_model().feature_names_in_) == expected
    assert "surprise_negative_mean" in expected
    assert "aesthetic_appreciation_mean" in expected


def test_model_is_the_published_logistic_function(published: dict[str, Any]) -> None:
    row = _row(published)
    logit = published["intercept"] + sum(
        entry["coef"] * row[f"{slug(entry['emotion'])}_mean"] for entry in published["coefficients"]
    )
    expected = 1.0 / (1.0 + math.exp(-logit))

    model = hackathon_model()
    assert list(model.classes_) == [0, 1]
    assert model.n_features_in_ == 48
    frame = pd.DataFrame([row]).iloc[:, ::-1].assign(week="2024-W01")
    assert hackathon_probability(frame)[0] == pytest.approx(expected, rel=1e-12)
    assert model.predict_proba(pd.DataFrame([row]))[0, 1] == pytest.approx(expected, rel=1e-12)


def test_missing_values_give_nan(published: dict[str, Any]) -> None:
    row = _row(published)
    partial = {**row, "tiredness_mean": np.nan}
    empty = dict.fromkeys(row, np.nan)
    probability = hackathon_probability(pd.DataFrame([row, partial, empty, row]))
    assert probability.shape == (4,)
    assert np.isnan(probability[[1, 2]]).all()
    assert probability[0] == probability[3]
    assert 0 < probability[0] < 1


def test_missing_columns_are_reported() -> None:
    with pytest.raises(InvalidInput, match="joy_mean"):
        hackathon_probability(pd.DataFrame({"anger_mean": [0.2]}))


# ------------------------------------------------------------------------ NYC benchmark


def test_split_drops_the_id_and_keeps_coping_binary(survey: pd.DataFrame) -> None:
    x_train, x_test, y_train, y_test = nyc_split(survey)
    assert (len(x_train), len(x_test)) == (800, 200)
    assert x_train.shape[1] == 42
    assert "HCW No" not in x_train.columns and LABEL_COLUMN not in x_train.columns
    recoded = original_features(x_test)
    coping = list(COPING_COLUMNS)
    assert set(np.unique(x_test[coping])) <= {0, 1}
    assert set(np.unique(recoded[coping])) <= {-1, 0}
    assert (recoded[coping] == -x_test[coping]).all().all()


def test_original_models_do_not_solve_the_rule(original: dict[str, Any]) -> None:
    assert original["test_rows"] == 200
    weighted = original["class_weighted"]
    assert weighted["recall"] >= 0.8
    assert weighted["f1"] < 0.9
    (tn, fp), (fn, tp) = weighted["confusion_matrix"]
    assert tn + fp + fn + tp == 200
    assert tp + fn == original["test_positives"]
    assert weighted["flagged"] == tp + fp
    assert weighted["published_f1"] == 0.69
    assert original["unweighted"]["published_f1"] == 0.381


def test_published_f1_matches_the_notebook_record() -> None:
    record_file = SEED_BASELINES / "nyc_mock_dataset_schema_and_results.json"
    if not record_file.exists():
        pytest.skip("NYC notebook record not available")
    models = json.loads(record_file.read_text(encoding="utf-8"))["models"]
    assert [m["test_f1"] for m in models[:2]] == list(baselines.PUBLISHED_F1.values())


def test_product_model_meets_the_acceptance_point(product: dict[str, Any]) -> None:
    assert product["test_rows"] == 200
    assert product["recall"] >= 0.95
    assert product["f1"] >= 0.90
    assert product["cv_recall"] >= baselines.RECALL_TARGET


def test_threshold_is_chosen_on_the_training_part_only(
    survey: pd.DataFrame, product: dict[str, Any]
) -> None:
    x_train, _, y_train, _ = nyc_split(survey)
    assert product["threshold"] == choose_threshold(x_train, y_train)

    _, x_test, _, _ = nyc_split(survey)
    flipped = survey.copy()
    flipped.loc[x_test.index, LABEL_COLUMN] = 1 - flipped.loc[x_test.index, LABEL_COLUMN]
    assert nyc_product_model(flipped)["threshold"] == product["threshold"]


def test_comparison_table(survey: pd.DataFrame) -> None:
    table = comparison_table(survey)
    assert list(table.index) == [
        "original unweighted LR",
        "original class-weighted LR",
        "product model",
    ]
    for column in ("precision", "recall", "f1", "tp", "fp", "fn", "tn", "flagged"):
        assert column in table.columns
    assert (table[["tp", "fp", "fn", "tn"]].sum(axis=1) == 200).all()
    assert (table["flagged"] == table["tp"] + table["fp"]).all()
    assert table.loc["original class-weighted LR", "published_f1"] == 0.69
    assert np.isnan(table.loc["product model", "published_f1"])
    product_f1 = table.loc["product model", "f1"]
    assert product_f1 > table.loc["original unweighted LR", "f1"]
    assert product_f1 > table.loc["original class-weighted LR", "f1"]


def test_non_numeric_means_are_rejected(published: dict[str, Any]) -> None:
    row: dict[str, Any] = {**_row(published), "joy_mean": "high"}
    with pytest.raises(InvalidInput, match="numbers"):
        hackathon_probability(pd.DataFrame([row]))
