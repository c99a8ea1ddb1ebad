"""The person × week feature matrix the model learns from and scores.

One row per person and week with any data (a check-in or a recording). Every feature uses only what
was known by the end of that week: this week's check-in and expression scores, earlier check-ins,
and the person's own recent past as a baseline.

The model answers two questions (`TARGETS`), and each sees only what it may:
- `warning`, the early warning: will this person's check-in be at or above 50 at a check-in within
  the next `horizon` weeks? It sees everything known by the end of the week, this week's check-in
  included. Its label (`warning_labels`) comes from later check-ins;
- `estimate`, for a week the person skipped: would this week's check-in have been at or above 50?
  It never sees this week's check-in, which is its label.

Feature sets, so a deployment without the facial channel still works:
- `checkin`: check-in history (last score, recent mean, answered weeks, weeks since the last one;
  for the warning also this week's score and its change), unit, role and shift pattern;
- `facial`: this week's expression scores, their change from the person's own baseline (the mean
  of their previous `BASELINE_WEEKS` weeks with a recording), the 4-week trend of fatigue, and the
  number of recordings, with unit, role and shift;
- `full`: both.
Each is worked out from the channels' columns (`CHANNEL_FEATURES`, keyed by the channel
registry's names); any other combination of channels is a set named by joining them with "+"
(`set_name`), which is how `burnout evaluate` trains the model without each channel in turn.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta

import numpy as np
import pandas as pd
from sqlalchemy import func, select
from sqlalchemy.engine import Engine

from burnout_lib import channels
from burnout_lib.emotions import EXPRESSIONS, FATIGUE, PROTECTIVE, slug, summary_column
from burnout_lib.errors import InvalidInput
from burnout_lib.sources.instruments import BURNOUT_CUTOFF
from burnout_lib.store import db

BASELINE_WEEKS = 8
HISTORY_WEEKS = 4
#: Single expressions kept as features besides the two group means.
SINGLE_EXPRESSIONS = (
    "Tiredness", "Boredom", "Distress", "Sadness", "Pain", "Anxiety", "Empathic Pain",
    "Disappointment", "Calmness", "Contentment", "Joy", "Amusement", "Satisfaction",
    "Concentration", "Interest",
)  # fmt: skip
EXPRESSION_FEATURES = ("fatigue", "protective", *(slug(e) for e in SINGLE_EXPRESSIONS))

CATEGORICAL = ("unit", "role", "shift_pattern")
CHECKIN_FEATURES = ("prev_score", "mean_score_4w", "checkins_4w", "weeks_since_checkin")
#: This week's own answer: the early warning uses it; the same-week estimate never does.
CURRENT_CHECKIN = ("score_now", "score_change")
DEFAULT_HORIZON = 4
TARGETS = ("warning", "estimate")
FACIAL_FEATURES = (
    *EXPRESSION_FEATURES,
    *(f"{name}_dev" for name in EXPRESSION_FEATURES),
    "fatigue_trend_4w",
    "recordings",
)
#: Each channel's feature columns, keyed by its name in the channel registry
#: (`burnout_lib.channels`): this room's per-channel part. Every set of columns below is worked
#: out from it, in this order.
CHANNEL_FEATURES: dict[str, tuple[str, ...]] = {
    "checkin": CHECKIN_FEATURES,
    "face": FACIAL_FEATURES,
}
#: The feature sets by their names (`burnout train --feature-set`, model cards, the model's
#: `feature_set` column) and the channels each uses. Any other combination of channels is named
#: by joining theirs with "+" (`set_name`), e.g. "checkin+speech".
SET_CHANNELS: dict[str, tuple[str, ...]] = {
    "checkin": ("checkin",),
    "facial": ("face",),
    "full": ("checkin", "face"),
}


def channel_columns(channel_names: Iterable[str]) -> tuple[str, ...]:
    """The feature columns of these channels (`CHANNEL_FEATURES`, in its order) and the unit,
    role and shift pattern, or a clear error naming the channels with features."""
    wanted = set(channel_names)
    unknown = wanted - set(CHANNEL_FEATURES)
    if unknown:
        raise InvalidInput(
            f"no features for the channel {sorted(unknown)[0]!r} (channels with features: "
            f"{', '.join(CHANNEL_FEATURES)})"
        )
    parts = [CHANNEL_FEATURES[name] for name in CHANNEL_FEATURES if name in wanted]
    return (*dict.fromkeys(column for part in parts for column in part), *CATEGORICAL)


def set_channels(feature_set: str) -> tuple[str, ...]:
    """The channels a feature set uses: a named set's (`SET_CHANNELS`), or those joined by "+"
    in its name; an unknown one is a clear error naming the known sets."""
    if feature_set in SET_CHANNELS:
        return SET_CHANNELS[feature_set]
    parts = tuple(feature_set.split("+")) if isinstance(feature_set, str) else ()
    if not parts or not set(parts) <= set(CHANNEL_FEATURES) or len(set(parts)) != len(parts):
        raise InvalidInput(
            f"unknown feature set {feature_set!r} (use one of: {', '.join(SET_CHANNELS)}, or "
            f"channels joined by '+': {', '.join(CHANNEL_FEATURES)})"
        )
    return tuple(name for name in CHANNEL_FEATURES if name in parts)


def set_name(channel_names: Iterable[str]) -> str:
    """The feature set that uses exactly these channels: its name when it has one ("full" for
    check-ins and the face), else the channels joined by "+" in `CHANNEL_FEATURES`' order."""
    wanted = set(channel_names)
    ordered = tuple(name for name in CHANNEL_FEATURES if name in wanted)
    if not ordered or len(ordered) != len(wanted):
        raise InvalidInput(f"no feature set uses the channels {sorted(wanted)!r}")
    named = {chosen: name for name, chosen in SET_CHANNELS.items()}
    return named.get(ordered, "+".join(ordered))


def deployment_set(channels_off: Iterable[str] = ()) -> str:
    """The feature set of every channel this deployment has on (and that has features)."""
    return set_name(c.name for c in channels.enabled(channels_off) if c.name in CHANNEL_FEATURES)


def require_enabled(feature_set: str, channels_off: Iterable[str]) -> None:
    """Refuse a feature set that uses a channel this deployment has switched off, in one line."""
    off = [name for name in set_channels(feature_set) if name in set(channels_off)]
    if off:
        label = channels.get(off[0]).label.lower()
        raise InvalidInput(
            f"the {label} channel ({off[0]}) is switched off for this deployment: use "
            f"--feature-set {deployment_set(channels_off)}, not {feature_set!r}"
        )


FEATURE_SETS: dict[str, tuple[str, ...]] = {
    name: channel_columns(chosen) for name, chosen in SET_CHANNELS.items()
}
#: Features grouped the way people think about them; risk drivers are reported per group.
DRIVER_GROUPS: dict[str, tuple[str, ...]] = {
    "this week's check-in": CURRENT_CHECKIN,
    "recent check-in scores": ("prev_score", "mean_score_4w"),
    "missed check-ins": ("checkins_4w", "weeks_since_checkin"),
    "fatigue-related expressions": (
        "fatigue", "fatigue_dev", "fatigue_trend_4w",
        *(slug(e) for e in FATIGUE), *(f"{slug(e)}_dev" for e in FATIGUE),
    ),
    "calm and content expressions": (
        "protective", "protective_dev",
        *(slug(e) for e in PROTECTIVE), *(f"{slug(e)}_dev" for e in PROTECTIVE),
    ),
    "other expressions": (
        "concentration", "interest", "concentration_dev", "interest_dev", "recordings",
    ),
    "unit, role and shift pattern": CATEGORICAL,
}  # fmt: skip


def feature_columns(feature_set: str, target: str = "warning") -> list[str]:
    """The columns a target's model uses from a feature set (a name of `FEATURE_SETS`, or
    channels joined by "+"), or a clear error naming the known sets. The early warning adds this
    week's check-in to any set with check-in history."""
    channels = set_channels(feature_set)
    if target not in TARGETS:
        raise InvalidInput(f"unknown target {target!r} (use one of: {', '.join(TARGETS)})")
    columns = list(FEATURE_SETS.get(feature_set) or channel_columns(channels))
    if target == "warning" and "prev_score" in columns:
        columns[:0] = CURRENT_CHECKIN
    return columns


def warning_labels(
    features: pd.DataFrame, horizon: int = DEFAULT_HORIZON, known_until: date | None = None
) -> pd.Series:
    """The early warning's label for each row: True when the person's check-in is at or above the
    cut-off at some check-in in the `horizon` weeks after the row's week, False when they checked
    in during those weeks and stayed below it, missing when they did not check in or when the
    weeks reach past `known_until` (default: the last week in `features`), so a window that is
    still open never counts as a quiet one.

    Only the check-ins in `features` are read: pass the weeks up to a cut-off and no later answer
    can leak into the labels.
    """
    if horizon < 1:
        raise InvalidInput(f"the warning horizon must be at least 1 week, not {horizon}")
    weeks = pd.to_datetime(features["week_start"])
    answered = features["score"].notna()
    lookup = pd.Series(
        features.loc[answered, "score"].to_numpy(dtype=float),
        index=pd.MultiIndex.from_arrays(
            [features.loc[answered, "staff_id"].to_numpy(), weeks[answered].to_numpy()]
        ),
    )
    worst = np.full(len(features), np.nan)
    for ahead in range(1, horizon + 1):
        later = pd.MultiIndex.from_arrays(
            [features["staff_id"].to_numpy(), (weeks + pd.Timedelta(weeks=ahead)).to_numpy()]
        )
        worst = np.fmax(worst, lookup.reindex(later).to_numpy())
    label = pd.Series(worst >= BURNOUT_CUTOFF, index=features.index, dtype="boolean")
    last = pd.Timestamp(known_until) if known_until is not None else weeks.max()
    return label.mask(np.isnan(worst) | (weeks + pd.Timedelta(weeks=horizon) > last))


def weekly_expression_means(
    engine: Engine,
    first: date | None = None,
    last: date | None = None,
    expressions: tuple[str, ...] = EXPRESSIONS,
    staff_ids: Sequence[int] | None = None,
) -> pd.DataFrame:
    """Per person and week (recordings with a face only): the number of recordings and the mean
    of each expression's recording means, computed in SQL. Columns are the expression slugs.
    With `staff_ids`, only those people."""
    names = sorted({slug(e) for e in expressions})
    columns = [
        func.avg(db.expression_summary.c[summary_column(name, "mean")]).label(name)
        for name in names
    ]
    query = (
        select(
            db.recording.c.staff_id,
            db.recording.c.week_start,
            func.count(db.recording.c.id).label("recordings"),
            *columns,
        )
        .join(db.expression_summary)
        .where(db.expression_summary.c.frames_used > 0)
        .group_by(db.recording.c.staff_id, db.recording.c.week_start)
    )
    query = _window(query, db.recording.c.week_start, first, last)
    query = _only(query, db.recording.c.staff_id, staff_ids)
    with engine.connect() as connection:
        return pd.read_sql(query, connection)


def _weekly_expressions(
    engine: Engine, first: date | None, last: date | None, staff_ids: Sequence[int] | None
) -> pd.DataFrame:
    wanted = (*FATIGUE, *PROTECTIVE, *SINGLE_EXPRESSIONS)
    frame = weekly_expression_means(engine, first, last, wanted, staff_ids)
    frame["fatigue"] = frame[[slug(e) for e in FATIGUE]].mean(axis=1)
    frame["protective"] = frame[[slug(e) for e in PROTECTIVE]].mean(axis=1)
    keep = ["staff_id", "week_start", "recordings", *EXPRESSION_FEATURES]
    return frame[keep]


def _window(query, column, first: date | None, last: date | None):
    if first is not None:
        query = query.where(column >= first)
    if last is not None:
        query = query.where(column <= last)
    return query


def _only(query, column, staff_ids: Sequence[int] | None):
    return query if staff_ids is None else query.where(column.in_([int(i) for i in staff_ids]))


def _checkins_weekly(
    engine: Engine, first: date | None, last: date | None, staff_ids: Sequence[int] | None
) -> pd.DataFrame:
    query = select(db.checkin.c.staff_id, db.checkin.c.week_start, db.checkin.c.score)
    query = _only(_window(query, db.checkin.c.week_start, first, last), db.checkin.c.staff_id,
                  staff_ids)  # fmt: skip
    with engine.connect() as connection:
        return pd.read_sql(query, connection)


def _staff(engine: Engine, staff_ids: Sequence[int] | None = None) -> pd.DataFrame:
    query = select(
        db.staff.c.id.label("staff_id"),
        db.staff.c.pseudonym,
        db.staff.c.unit,
        db.staff.c.role,
        db.staff.c.shift_pattern,
    )
    with engine.connect() as connection:
        return pd.read_sql(_only(query, db.staff.c.id, staff_ids), connection)


@dataclass(frozen=True)
class ChannelPart:
    """This room's part of one channel: how its weekly data is read and what history it adds."""

    #: per person and week with data: `staff_id`, `week_start` and the channel's raw columns
    weekly: Callable[[Engine, date | None, date | None, Sequence[int] | None], pd.DataFrame]
    #: adds the channel's history features to the rows (sorted by person, one row per week)
    derive: Callable[[pd.DataFrame, pd.Series], None]
    #: raw columns that, present, show the person shared this channel's data that week
    data: tuple[str, ...]


def _checkin_history(rows: pd.DataFrame, by: pd.Series) -> None:
    answered = rows["score"].notna().astype(float)
    rows["prev_score"] = rows["score"].groupby(by).shift(1)
    rows["score_now"] = rows["score"]
    rows["score_change"] = rows["score"] - rows["prev_score"].groupby(by).ffill()
    rows["mean_score_4w"] = _past(rows["score"], by, HISTORY_WEEKS, "mean")
    rows["checkins_4w"] = _past(answered, by, HISTORY_WEEKS, "sum")
    last_answered = rows["week_start"].where(rows["score"].notna()).groupby(by).shift(1)
    rows["weeks_since_checkin"] = (
        rows["week_start"] - last_answered.groupby(by).ffill()
    ).dt.days / 7


def _face_history(rows: pd.DataFrame, by: pd.Series) -> None:
    for name in EXPRESSION_FEATURES:
        baseline = _past(rows[name], by, BASELINE_WEEKS, "mean", min_periods=2)
        rows[f"{name}_dev"] = rows[name] - baseline
    rows["fatigue_trend_4w"] = _trend(rows, "fatigue", HISTORY_WEEKS)
    rows["recordings"] = rows["recordings"].fillna(0)


def weekly_features(
    engine: Engine,
    first: date | None = None,
    last: date | None = None,
    staff_ids: Sequence[int] | None = None,
) -> pd.DataFrame:
    """The feature matrix for weeks `first`..`last` (all weeks when None), of everyone or only
    of `staff_ids` (a person's rows depend on their own data only, so they are the same either
    way).

    Columns: `staff_id`, `pseudonym`, `week_start`, every channel's features (`CHANNEL_PARTS`,
    the `full` set and any channel added since) and this week's check-in (`CURRENT_CHECKIN`),
    `score` (this week's check-in, the labels' source; missing when not answered) and `burnout`
    (score ≥ 50, the estimate's label; missing when there is no score).
    """
    history_start = first - timedelta(weeks=BASELINE_WEEKS + 1) if first else None
    parts = [part for name, part in CHANNEL_PARTS.items() if name in channels.names()]
    rows = None
    for part in parts:
        frame = part.weekly(engine, history_start, last, staff_ids)
        frame["week_start"] = pd.to_datetime(frame["week_start"])
        rows = frame if rows is None else rows.merge(frame, on=["staff_id", "week_start"],
                                                     how="outer")  # fmt: skip
    if rows is None or rows.empty:
        return _empty()
    rows = _complete_weeks(rows)
    rows = rows.sort_values(["staff_id", "week_start"]).reset_index(drop=True)
    by = rows["staff_id"]
    has_data = pd.Series(False, index=rows.index)
    for part in parts:
        part.derive(rows, by)
        has_data |= rows[list(part.data)].notna().any(axis=1)
    rows = rows[has_data & rows["present"]].drop(columns="present")
    if first is not None:
        rows = rows[rows["week_start"] >= pd.Timestamp(first)]
    rows = rows.merge(_staff(engine, staff_ids), on="staff_id", how="left")
    rows["burnout"] = (rows["score"] >= BURNOUT_CUTOFF).astype("boolean").mask(rows["score"].isna())
    rows["week_start"] = rows["week_start"].dt.date
    return rows[_order()].reset_index(drop=True)


#: This room's part of each channel (keyed by its registry name): its weekly reader and history.
CHANNEL_PARTS: dict[str, ChannelPart] = {
    "checkin": ChannelPart(weekly=_checkins_weekly, derive=_checkin_history, data=("score",)),
    "face": ChannelPart(
        weekly=_weekly_expressions, derive=_face_history, data=EXPRESSION_FEATURES
    ),  # fmt: skip
}


def _complete_weeks(rows: pd.DataFrame) -> pd.DataFrame:
    """Add the missing weeks between a person's first and last, so history counts real weeks."""
    rows = rows.assign(present=True)
    spans = rows.groupby("staff_id")["week_start"].agg(["min", "max"])
    weeks = ((spans["max"] - spans["min"]).dt.days // 7 + 1).astype(int)
    staff_ids = np.repeat(spans.index.to_numpy(), weeks.to_numpy())
    offsets = np.concatenate([np.arange(n) for n in weeks.to_numpy()])
    starts = np.repeat(spans["min"].to_numpy(), weeks.to_numpy())
    grid = pd.DataFrame(
        {"staff_id": staff_ids, "week_start": starts + pd.to_timedelta(offsets * 7, unit="D")}
    )
    full = grid.merge(rows, on=["staff_id", "week_start"], how="left")
    full["present"] = full["present"].fillna(False).astype(bool)
    return full


def _window_stat(values: pd.Series, by: pd.Series, weeks: int, how: str, min_periods: int = 1):
    """A rolling sum or mean over each person's last `weeks` rows, ignoring missing values.

    Rows are sorted by person, then week, one row per week: cumulative sums give every window
    at once, where a per-person rolling window would loop over thousands of people.
    """
    v = values.to_numpy(dtype=float)
    present = ~np.isnan(v)
    sums = np.concatenate([[0.0], np.cumsum(np.where(present, v, 0.0))])
    counts = np.concatenate([[0], np.cumsum(present)])
    index = np.arange(len(v))
    person = by.to_numpy()
    new_person = np.r_[True, person[1:] != person[:-1]]
    first_row = np.maximum.accumulate(np.where(new_person, index, 0))
    start = np.maximum(index - weeks + 1, first_row)
    total = sums[index + 1] - sums[start]
    n = counts[index + 1] - counts[start]
    with np.errstate(invalid="ignore", divide="ignore"):
        result = total if how == "sum" else total / n
    return pd.Series(np.where(n >= min_periods, result, np.nan), index=values.index)


def _past(values: pd.Series, by: pd.Series, weeks: int, how: str, min_periods: int = 1):
    """A statistic over each person's previous `weeks` weeks (this week excluded)."""
    return _window_stat(values.groupby(by).shift(1), by, weeks, how, min_periods)


def _trend(rows: pd.DataFrame, column: str, weeks: int) -> pd.Series:
    """Least-squares slope per week of `column` over each person's last `weeks` weeks."""
    by = rows["staff_id"]
    y = rows[column]
    valid = y.notna()
    x = ((rows["week_start"] - rows["week_start"].min()).dt.days / 7).where(valid)

    def total(series: pd.Series) -> pd.Series:
        return _window_stat(series.fillna(0), by, weeks, "sum")

    n = total(valid.astype(float))
    sx, sy, sxx, sxy = total(x), total(y), total(x * x), total(x * y)
    denominator = n * sxx - sx * sx
    slope = (n * sxy - sx * sy) / denominator.where(denominator > 0)
    return slope.where(n >= 2)


def _order() -> list[str]:
    """The feature matrix's columns: every registered channel's features, in one order."""
    known = [name for name in CHANNEL_FEATURES if name in channels.names()]
    return ["staff_id", "pseudonym", "week_start", *CURRENT_CHECKIN, *channel_columns(known),
            "score", "burnout"]  # fmt: skip


def _empty() -> pd.DataFrame:
    return pd.DataFrame(columns=_order())
