"""The Copenhagen Burnout Inventory: the check-in's items, answer scores and scoring rules.

Kristensen TS, Borritz M, Villadsen E, Christensen KB (2005), Work & Stress 19(3):192–207; free to
use. Answers score 0/25/50/75/100; a scale score is the mean of the answered items (reversed items
count 100 − answer) when enough items are answered, and 50 or more is the usual cut-off for burnout.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

FREQUENCY: dict[str, int] = {
    "Never/almost never": 0,
    "Seldom": 25,
    "Sometimes": 50,
    "Often": 75,
    "Always": 100,
}
DEGREE: dict[str, int] = {
    "To a very low degree": 0,
    "To a low degree": 25,
    "Somewhat": 50,
    "To a high degree": 75,
    "To a very high degree": 100,
}
ANSWER_SCORES = (0, 25, 50, 75, 100)
#: CBI scores at or above this indicate burnout (Kristensen et al. 2005): the one cut-off that
#: check-ins, features, evaluation, views and figures use (a whole number, so it reads "50").
BURNOUT_CUTOFF = 50
#: Score bands commonly used with the CBI: (lowest score, level).
LEVELS: tuple[tuple[float, str], ...] = (
    (0.0, "low"),
    (50.0, "moderate"),
    (75.0, "high"),
    (100.0, "severe"),
)


@dataclass(frozen=True)
class Item:
    """One question: its column in the check-in table, its text, answer scale and direction."""

    column: str
    text: str
    answers: str  # "frequency" or "degree"
    reversed: bool = False

    @property
    def labels(self) -> dict[str, int]:
        return FREQUENCY if self.answers == "frequency" else DEGREE


@dataclass(frozen=True)
class Scale:
    """A CBI scale: its items and how many must be answered for a score."""

    name: str
    items: tuple[Item, ...]
    min_answered: int

    @property
    def columns(self) -> list[str]:
        return [item.column for item in self.items]


PERSONAL = Scale(
    "personal",
    (
        Item("personal_1", "How often do you feel tired?", "frequency"),
        Item("personal_2", "How often are you physically exhausted?", "frequency"),
        Item("personal_3", "How often are you emotionally exhausted?", "frequency"),
        Item("personal_4", 'How often do you think: "I can\'t take it anymore"?', "frequency"),
        Item("personal_5", "How often do you feel worn out?", "frequency"),
        Item("personal_6", "How often do you feel weak and susceptible to illness?", "frequency"),
    ),
    min_answered=3,
)

WORK = Scale(
    "work",
    (
        Item("work_1", "Is your work emotionally exhausting?", "degree"),
        Item("work_2", "Do you feel burnt out because of your work?", "degree"),
        Item("work_3", "Does your work frustrate you?", "degree"),
        Item("work_4", "Do you feel worn out at the end of the working day?", "frequency"),
        Item(
            "work_5",
            "Are you exhausted in the morning at the thought of another day at work?",
            "frequency",
        ),
        Item("work_6", "Do you feel that every working hour is tiring for you?", "frequency"),
        Item(
            "work_7",
            "Do you have enough energy for family and friends during leisure time?",
            "frequency",
            reversed=True,
        ),
    ),
    min_answered=4,
)

SCALES = {"personal": PERSONAL, "work": WORK}


def score(answers: pd.DataFrame, scale: Scale = PERSONAL) -> pd.Series:
    """Scale scores (0–100) for every row; missing where too few items were answered.

    `answers` holds the item columns as answer scores (0/25/50/75/100, missing when unanswered),
    as given: reversed items are turned round here.
    """
    values = answers.reindex(columns=scale.columns).astype("float64").to_numpy(copy=True)
    flip = np.array([item.reversed for item in scale.items])
    values[:, flip] = 100.0 - values[:, flip]
    answered = np.sum(~np.isnan(values), axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        means = np.nansum(values, axis=1) / answered
    return pd.Series(
        np.where(answered >= scale.min_answered, means, np.nan),
        index=answers.index,
        name=scale.name,
    )


#: What each CBI band means, as pages say it after a score: "54, moderate (50–74, the burnout
#: range)".
BAND_WORDS = {
    "low": "below 50, under the burnout range",
    "moderate": "50–74, the burnout range",
    "high": "75–99, the burnout range",
    "severe": "100, the burnout range",
}


def band_words(band: str) -> str:
    """A band and what it means, for a sentence: "moderate (50–74, the burnout range)"."""
    return f"{band} ({BAND_WORDS[band]})"


def level(scores: pd.Series) -> pd.Series:
    """The CBI band of each score: low (<50), moderate (50–74), high (75–99), severe (100)."""
    bounds = [low for low, _ in LEVELS[1:]]
    names = np.array([name for _, name in LEVELS], dtype=object)
    banded = names[np.searchsorted(bounds, scores.to_numpy(dtype=float), side="right")]
    banded[np.isnan(scores.to_numpy(dtype=float))] = None
    return pd.Series(banded, index=scores.index, name="level", dtype="object")


def is_burnout(scores: pd.Series) -> pd.Series:
    """Score at or above the cut-off; missing where the score is missing."""
    return (scores >= BURNOUT_CUTOFF).astype("boolean").mask(scores.isna())
