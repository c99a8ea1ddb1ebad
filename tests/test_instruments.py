"""CBI scoring against examples worked by hand from the instrument's rules."""

import numpy as np
import pandas as pd
import pytest

from burnout_lib.sources.instruments import (
    DEGREE,
    FREQUENCY,
    PERSONAL,
    WORK,
    is_burnout,
    level,
    score,
)
from burnout_lib.store import db

nan = np.nan


@pytest.mark.parametrize(
    ("answers", "expected"),
    [
        ([100, 75, 50, nan, nan, nan], 75.0),  # (100 + 75 + 50) / 3, three answered is enough
        ([50, nan, 25, nan, nan, nan], nan),  # two answered: too few for a score
        ([0, 0, 0, 0, 0, 0], 0.0),
        ([100, 100, 100, 100, 100, 100], 100.0),
        ([75, 50, 50, 25, 0, 25], 37.5),  # 225 / 6
        ([50, 50, 50, 50, nan, 50], 50.0),  # exactly the cut-off
    ],
)
def test_personal_scale(answers, expected) -> None:
    frame = pd.DataFrame([answers], columns=PERSONAL.columns)
    result = score(frame, PERSONAL).iloc[0]
    assert (np.isnan(result) and np.isnan(expected)) or result == pytest.approx(expected)


@pytest.mark.parametrize(
    ("answers", "expected"),
    [
        ([75, 75, 75, 75, 75, 75, 75], (6 * 75 + 25) / 7),  # item 7 reversed: 100 - 75
        ([0, 0, 0, 0, 0, 0, 0], 100 / 7),  # no energy for family counts as burnout
        ([100, 100, 100, nan, nan, nan, 0], 100.0),  # four answered, reversed 0 -> 100
        ([100, 100, 100, nan, nan, nan, nan], nan),  # three of seven: too few
    ],
)
def test_work_scale_with_reversed_item(answers, expected) -> None:
    frame = pd.DataFrame([answers], columns=WORK.columns)
    result = score(frame, WORK).iloc[0]
    assert (np.isnan(result) and np.isnan(expected)) or result == pytest.approx(expected)


def test_scoring_is_vectorised_over_rows() -> None:
    rng = np.random.default_rng(0)
    frame = pd.DataFrame(rng.choice([0, 25, 50, 75, 100], (1000, 6)), columns=PERSONAL.columns)
    frame = frame.mask(rng.random(frame.shape) < 0.3)
    result = score(frame)
    answered = frame.notna().sum(axis=1)
    expected = frame.mean(axis=1).where(answered >= 3)
    pd.testing.assert_series_equal(result, expected, check_names=False)


def test_levels_and_cut_off() -> None:
    scores = pd.Series([0, 49.9, 50, 74.99, 75, 99.9, 100, nan])
    assert level(scores).tolist() == [
        "low", "low", "moderate", "moderate", "high", "high", "severe", None,
    ]  # fmt: skip
    assert is_burnout(scores).tolist() == [False, False, True, True, True, True, True, pd.NA]


def test_answer_labels_are_the_instruments() -> None:
    assert FREQUENCY["Often"] == 75 and DEGREE["Somewhat"] == 50
    assert [item.reversed for item in WORK.items] == [False] * 6 + [True]
    assert PERSONAL.min_answered == 3 and WORK.min_answered == 4
    assert PERSONAL.columns + WORK.columns == list(db.PERSONAL_ITEMS + db.WORK_ITEMS)
