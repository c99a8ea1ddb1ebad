"""Hume's 48 face expressions: canonical names, column-safe slugs and the groups the model uses.

The current API reports lowercase names (`surprise (positive)`); the retired batch API used
Title Case (`Surprise (positive)`). Both map to the same canonical name; unknown names are kept.
"""

from __future__ import annotations

import re
import warnings

import numpy as np

#: The 48 face expressions, in the order Hume's batch API listed them.
EXPRESSIONS: tuple[str, ...] = (
    "Admiration", "Adoration", "Aesthetic Appreciation", "Amusement", "Anger", "Anxiety", "Awe",
    "Awkwardness", "Boredom", "Calmness", "Concentration", "Confusion", "Contemplation", "Contempt",
    "Contentment", "Craving", "Desire", "Determination", "Disappointment", "Disgust", "Distress",
    "Doubt", "Ecstasy", "Embarrassment", "Empathic Pain", "Entrancement", "Envy", "Excitement",
    "Fear", "Guilt", "Horror", "Interest", "Joy", "Love", "Nostalgia", "Pain", "Pride",
    "Realization", "Relief", "Romance", "Sadness", "Satisfaction", "Shame", "Surprise (negative)",
    "Surprise (positive)", "Sympathy", "Tiredness", "Triumph",
)  # fmt: skip

#: Expressions that rise with fatigue and exhaustion.
FATIGUE: tuple[str, ...] = (
    "Tiredness", "Boredom", "Distress", "Sadness", "Pain", "Anxiety", "Empathic Pain",
    "Disappointment",
)  # fmt: skip

#: Expressions that tend to fall as burnout sets in.
PROTECTIVE: tuple[str, ...] = ("Calmness", "Contentment", "Joy", "Amusement", "Satisfaction")

GROUPS: dict[str, tuple[str, ...]] = {"fatigue": FATIGUE, "protective": PROTECTIVE}

#: Scores the API does not return (below its 0.1 reporting floor) are stored as this value.
BELOW_FLOOR = 0.0
#: The current API returns only scores above this.
API_FLOOR = 0.1

SUMMARY_STATS: tuple[str, ...] = ("mean", "p90", "std")

_CANONICAL = {name.lower(): name for name in EXPRESSIONS}


def canonical_name(name: str) -> str:
    """Map any API spelling of an expression to its canonical name; unknown names are kept."""
    return _CANONICAL.get(name.strip().lower(), name.strip())


def slug(name: str) -> str:
    """A column-safe name: `Surprise (negative)` -> `surprise_negative`."""
    return re.sub(r"[^a-z0-9]+", "_", name.lower()).strip("_")


EXPRESSION_SLUGS: tuple[str, ...] = tuple(slug(name) for name in EXPRESSIONS)


def summary_column(expression: str, stat: str) -> str:
    """Column of `expression_summary` holding one statistic of one expression."""
    return f"{slug(expression)}_{stat}"


def summarise_frames(scores: np.ndarray) -> dict[str, np.ndarray]:
    """Per-recording mean, 90th percentile and standard deviation of frame scores.

    `scores` has shape (recordings, frames, expressions) with NaN for frames without a face.
    Returns arrays of shape (recordings, expressions); recordings without any face give NaN.
    The percentile interpolates linearly, as `numpy.nanpercentile` does, but in one pass.
    """
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", category=RuntimeWarning)
        return {
            "mean": np.nanmean(scores, axis=1),
            "p90": nan_quantile(scores, 0.9, axis=1),
            "std": np.nanstd(scores, axis=1),
        }


def nan_quantile(values: np.ndarray, q: float, axis: int) -> np.ndarray:
    """Quantile ignoring NaN along one axis, vectorised (NaN where a slice has no values)."""
    ordered = np.sort(values, axis=axis)  # NaN sorts last
    count = np.sum(~np.isnan(values), axis=axis, keepdims=True)
    position = np.clip((count - 1) * q, 0, None)
    lower = np.floor(position).astype(np.intp)
    upper = np.minimum(lower + 1, np.maximum(count - 1, 0))
    low = np.take_along_axis(ordered, lower, axis=axis)
    high = np.take_along_axis(ordered, upper, axis=axis)
    result = low + (high - low) * (position - lower)
    result[count == 0] = np.nan
    return np.squeeze(result, axis=axis)
