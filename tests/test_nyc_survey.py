"""Tests for the mock NYC healthcare-worker burnout survey."""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from burnout_lib.mock import nyc_survey
from burnout_lib.mock.nyc_survey import (
    COLUMNS,
    COPING_COLUMNS,
    STRESSOR_COLUMNS,
    generate_mock_survey,
    label,
    write_mock_survey,
)

from helpers.paths import SURVEY_DIR

EXPECTED_FEATURES = [
    "HCW No",
    "Age",
    "Gender",
    "Race",
    "Ethnicity",
    "No Household members including HCW",
    "living with another HCW",
    "clinical role",
    "practice setting",
    "lack of control",
    "uncertain clinician status",
    "patient emotional support",
    "contracting COVID-19",
    "redeployed outside specialty",
    "triage/rationing decisions",
    "contact with COVID-19 patients",
    "working with symptoms",
    "patient deaths",
    "treating HCW with COVID-19",
    "redeployed within speciality",
    "transmitting COVID-19 to HCW",
    "transmitting COVID-19 to patients",
    "sleep disturbances",
    "clinical hours",
    "transmitting COVID-19 to family",
    "health of family/friends",
    "social distance from family",
    "childcare/family responsibilities",
    "personal finance/advanced care",
    "lack of testing",
    "lack of PPE",
    "lack of treatment guidelines",
    "lack of discharge guidelines",
    "physical exercise",
    "yoga",
    "faith-based practice",
    "meditation",
    "self-guided counseling with access to therapist",
    "individual counseling/therapy",
    "online clinician support group",
    "mental wellness video",
    "other coping methods",
    "no coping methods",
]
EXPECTED_STRESSORS = EXPECTED_FEATURES[9:33]
EXPECTED_COPING = EXPECTED_FEATURES[33:42]


def rule_label(frame: pd.DataFrame) -> list[int]:
    """Re-derive the label from the rule text, one row at a time.

    burntout=1 iff Age<=32 AND household>2 AND clinical role>=1 AND practice setting<=2
    AND (sum of 24 stressors + 9 coping recoded to -1 + 'no coping methods') > 6.
    """
    labels = []
    for _, row in frame.iterrows():
        score = sum(int(row[c]) for c in EXPECTED_STRESSORS)
        score += sum(-1 if int(row[c]) == 1 else 0 for c in EXPECTED_COPING)
        score += int(row["no coping methods"])
        burnt_out = (
            row["Age"] <= 32
            and row["No Household members including HCW"] > 2
            and row["clinical role"] >= 1
            and row["practice setting"] <= 2
            and score > 6
        )
        labels.append(1 if burnt_out else 0)
    return labels


def make_row(
    *,
    age: int = 30,
    household: int = 4,
    role: int = 3,
    setting: int = 1,
    stressors: int = 7,
    coping: int = 0,
    no_coping: int | None = None,
) -> dict[str, int]:
    """A survey row whose first ``stressors`` stressors and first ``coping`` copings are 1."""
    row = dict.fromkeys(EXPECTED_FEATURES, 0)
    row.update(
        {
            "HCW No": 1,
            "Age": age,
            "Gender": 1,
            "Race": 2,
            "Ethnicity": 1,
            "No Household members including HCW": household,
            "clinical role": role,
            "practice setting": setting,
        }
    )
    for column in EXPECTED_STRESSORS[:stressors]:
        row[column] = 1
    for column in EXPECTED_COPING[:coping]:
        row[column] = 1
    row["no coping methods"] = int(coping == 0) if no_coping is None else no_coping
    return row


@pytest.fixture(scope="module")
def survey() -> pd.DataFrame:
    return generate_mock_survey(rows=1000, seed=0)


@pytest.fixture(scope="module")
def large_survey() -> pd.DataFrame:
    return generate_mock_survey(rows=20_000, seed=7)


def test_columns_in_documented_order(survey: pd.DataFrame) -> None:
    assert len(COLUMNS) == 44
    assert list(COLUMNS) == [*EXPECTED_FEATURES, "burntout"]
    assert list(survey.columns) == list(COLUMNS)
    assert list(STRESSOR_COLUMNS) == EXPECTED_STRESSORS
    assert list(COPING_COLUMNS) == EXPECTED_COPING
    assert "no coping methods" not in COPING_COLUMNS


@pytest.mark.parametrize("rows", [1, 17, 1000])
def test_row_count_and_ids(rows: int) -> None:
    frame = generate_mock_survey(rows=rows, seed=3)
    assert len(frame) == rows
    assert frame["HCW No"].tolist() == list(range(1, rows + 1))


def test_all_columns_int64(survey: pd.DataFrame) -> None:
    assert all(dtype == np.int64 for dtype in survey.dtypes), survey.dtypes.value_counts()


def test_demographic_ranges(large_survey: pd.DataFrame) -> None:
    frame = large_survey
    assert frame["Age"].between(20, 70).all()
    assert frame["Age"].min() == 20 and frame["Age"].max() == 70
    assert set(frame["Gender"].unique()) == {0, 1}
    assert set(frame["Race"].unique()) == set(range(1, 8))
    assert set(frame["Ethnicity"].unique()) == {0, 1, 2, 3}
    assert set(frame["No Household members including HCW"].unique()) == set(range(1, 7))
    assert set(frame["living with another HCW"].unique()) == {0, 1}
    assert set(frame["clinical role"].unique()) == set(range(1, 6))
    assert set(frame["practice setting"].unique()) == set(range(1, 8))


def test_ethnicity_missing_share_about_two_percent(large_survey: pd.DataFrame) -> None:
    missing = (large_survey["Ethnicity"] == 0).mean()
    assert 0.01 <= missing <= 0.03


def test_binary_columns_are_zero_or_one(large_survey: pd.DataFrame) -> None:
    binary = [*EXPECTED_STRESSORS, *EXPECTED_COPING, "no coping methods", "burntout"]
    for column in binary:
        assert set(large_survey[column].unique()) <= {0, 1}, column


def test_no_coping_flag_iff_no_coping_used(large_survey: pd.DataFrame) -> None:
    none_used = large_survey[EXPECTED_COPING].sum(axis=1) == 0
    assert (large_survey["no coping methods"] == none_used.astype(int)).all()
    assert large_survey["no coping methods"].sum() > 0


def test_same_seed_identical_frame() -> None:
    pd.testing.assert_frame_equal(
        generate_mock_survey(rows=500, seed=11), generate_mock_survey(rows=500, seed=11)
    )


def test_different_seed_different_frame() -> None:
    first = generate_mock_survey(rows=500, seed=11)
    second = generate_mock_survey(rows=500, seed=12)
    assert not first.equals(second)
    assert not first["Age"].equals(second["Age"])


def test_label_column_matches_rule(survey: pd.DataFrame) -> None:
    assert survey["burntout"].tolist() == rule_label(survey)


HAND_BUILT_CASES = [
    ("baseline positive", make_row(), 1),
    ("age 32 is at risk", make_row(age=32), 1),
    ("age 33 is not", make_row(age=33), 0),
    ("household 3 is at risk", make_row(household=3), 1),
    ("household 2 is not", make_row(household=2), 0),
    ("setting 2 (ICU) is at risk", make_row(setting=2), 1),
    ("setting 3 is not", make_row(setting=3), 0),
    ("score exactly 6 is not", make_row(stressors=6, coping=1), 0),
    ("score 7 is", make_row(stressors=7, coping=0, no_coping=0), 1),
    ("coping counts minus one", make_row(stressors=8, coping=2), 0),
    ("coping offset by stressors", make_row(stressors=9, coping=2), 1),
    ("no-coping flag adds one", make_row(stressors=6, coping=0, no_coping=1), 1),
    ("six stressors without flag", make_row(stressors=6, coping=0, no_coping=0), 0),
    ("role below 1 fails rule", make_row(role=0), 0),
    ("role 5 passes", make_row(role=5), 1),
]


def test_label_on_hand_built_rows() -> None:
    frame = pd.DataFrame([case[1] for case in HAND_BUILT_CASES], columns=EXPECTED_FEATURES)
    expected = [case[2] for case in HAND_BUILT_CASES]
    assert rule_label(frame) == expected
    result = label(frame)
    assert result.name == "burntout"
    assert result.dtype == np.int64
    assert result.index.equals(frame.index)
    mismatches = [
        name for (name, _, want), got in zip(HAND_BUILT_CASES, result, strict=True) if want != got
    ]
    assert not mismatches


def test_label_keeps_frame_index() -> None:
    frame = pd.DataFrame([make_row(), make_row(age=40)], index=[10, 20])
    assert label(frame).to_dict() == {10: 1, 20: 0}


def test_positive_rate_realistic() -> None:
    for seed in range(5):
        rate = generate_mock_survey(rows=1000, seed=seed)["burntout"].mean()
        assert 0.02 <= rate <= 0.08, (seed, rate)


def test_lack_of_control_prevalence(large_survey: pd.DataFrame) -> None:
    assert large_survey["lack of control"].mean() == pytest.approx(0.70, abs=0.02)


def test_reworded_items_use_published_figures(large_survey: pd.DataFrame) -> None:
    assert nyc_survey.STRESSOR_PREVALENCE["treating HCW with COVID-19"] == 0.49
    assert nyc_survey.STRESSOR_PREVALENCE["redeployed within speciality"] == 0.48
    assert nyc_survey.STRESSOR_PREVALENCE["transmitting COVID-19 to HCW"] == 0.48
    assert nyc_survey.COPING_PREVALENCE["physical exercise"] == 0.59
    assert nyc_survey.COPING_PREVALENCE["meditation"] == 0.23
    assert large_survey["transmitting COVID-19 to family"].mean() == pytest.approx(0.74, abs=0.02)
    assert large_survey["physical exercise"].mean() == pytest.approx(0.59, abs=0.02)


def test_every_column_has_a_prevalence() -> None:
    assert set(nyc_survey.STRESSOR_PREVALENCE) == set(EXPECTED_STRESSORS)
    assert set(nyc_survey.COPING_PREVALENCE) == set(EXPECTED_COPING)
    for value in [*nyc_survey.STRESSOR_PREVALENCE.values()]:
        assert 0.0 < value < 1.0
    for value in [*nyc_survey.COPING_PREVALENCE.values()]:
        assert 0.0 < value < 1.0


def _read_percentages(path: Path) -> dict[str, int]:
    with path.open(newline="") as handle:
        reader = csv.reader(handle)
        next(reader)
        return {item: int(percent) for item, percent in reader}


@pytest.mark.parametrize(
    ("filename", "table"),
    [
        ("shechter2020_distress_contributors.csv", "DISTRESS_CONTRIBUTORS_PERCENT"),
        ("shechter2020_coping.csv", "COPING_PERCENT"),
        ("shechter2020_helpful_resources.csv", "HELPFUL_RESOURCES_PERCENT"),
    ],
)
def test_survey_figures_match_published_tables(filename: str, table: str) -> None:
    assert getattr(nyc_survey, table) == _read_percentages(SURVEY_DIR / filename)


def test_csv_round_trip(tmp_path: Path) -> None:
    target = tmp_path / "nested" / "out" / "survey.csv"
    written = write_mock_survey(target, rows=250, seed=5)
    assert written == target
    assert target.exists()
    loaded = pd.read_csv(target)
    pd.testing.assert_frame_equal(loaded, generate_mock_survey(rows=250, seed=5))
    assert list(loaded.columns) == list(COLUMNS)


@pytest.mark.parametrize("rows", [0, -1])
def test_invalid_row_count_raises(rows: int, tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="rows"):
        write_mock_survey(tmp_path / "survey.csv", rows=rows, seed=0)
    with pytest.raises(ValueError, match="rows"):
        generate_mock_survey(rows=rows)
    assert not (tmp_path / "survey.csv").exists()
