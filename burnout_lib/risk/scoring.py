"""Weekly risk: what a person's week says, for each person with data.

Two things, never confused:
- *this week, measured*: their own check-in score and its CBI band (low < 50, moderate 50–74,
  high 75–99, severe 100), a fact. In a week they did not answer, the model's *estimate*
  (`estimate_probability`) takes its place, labelled as an estimate;
- the *early warning* (`probability`): the calibrated probability that their check-in will be at
  or above 50 within the model's horizon, from everything known by the end of the week.

The combined `level` that team counts and alerts use is the highest of the measured band's floor
(`LEVEL_FLOOR`), the estimate's level and the early warning's level: nobody who told us they are in
the burnout range is ever shown, counted or reported as low. Drivers of the early warning name
only what the person shared: a channel they did not consent to, or have no data for, is never a
driver.

Scores are written to `weekly_risk` on (person, week, model version), so scoring a week again with
the same model rewrites the same rows, and a new model adds its own rows beside the old ones.
People with no check-in and no recording that week get no score (not a zero), and only channels a
person has consented to are used. `score_people` scores only some people's week, the same way (a
person who has just answered their check-in), and leaves everyone else's rows alone.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
from sqlalchemy import func, select, union
from sqlalchemy.engine import Connection, Engine

from burnout_lib import channels
from burnout_lib.config import Settings
from burnout_lib.errors import InvalidInput, NotFound
from burnout_lib.privacy.consent import consenting
from burnout_lib.risk.feature_choice import channel_record, live_model_sentence
from burnout_lib.risk.features import (
    CHANNEL_PARTS,
    CHECKIN_FEATURES,
    CURRENT_CHECKIN,
    DRIVER_GROUPS,
    FACIAL_FEATURES,
    weekly_features,
)
from burnout_lib.sources.instruments import level as cbi_band
from burnout_lib.store import db
from burnout_lib.store.transactions import write_transaction

if TYPE_CHECKING:  # scikit-learn is heavy: a page that only reads scores never loads it
    from burnout_lib.risk.model import TargetModel

TOP_DRIVERS = 3
#: The natural key of a `weekly_risk` row.
RISK_KEYS = ("staff_id", "week_start", "model_version_id")


def what_scores_mean(horizon: int, live_model: object = None) -> str:
    """The one description of a week's scores and levels that pages and the README give.

    `live_model` describes the live model's channels: its `model_version.metrics` or card (their
    `channels` entry, which says what the evaluation found), its `model_version.feature_set`, or a
    feature set's name. With it, the text says which channels the early warning uses and why;
    without it, it describes every channel a person may share."""
    record = channel_record(live_model)
    if record is None or record["feature_set"] == "full":
        evidence = (
            "your check-ins and, only if you agreed to share them, your weekly clip's facial "
            "expression scores"
        )
    elif record["feature_set"] == "checkin":
        evidence = "your check-ins"
    else:
        evidence = "only if you agreed to share them, your weekly clip's facial expression scores"
    channels = "" if record is None else f" {live_model_sentence(record)}"
    return (
        "This week, measured: your own check-in answer, a fact. On the Copenhagen Burnout "
        "Inventory (0–100) the burnout range starts at 50: 50–74 moderate, 75–99 high, 100 "
        "severe. In a week you did not answer, the model's estimate of that week takes its "
        "place, labelled as an estimate. Early warning: the chance that a check-in within the "
        f"next {horizon} weeks will be 50 or more, from everything known by the end of the week "
        f"({evidence}).{channels} Risk level: the highest of this week's and the early "
        "warning's. This week's is set by your answer (below 50 low, 50–74 at least moderate, "
        "75 or more high) or, without one, by the estimate; the early warning is moderate from "
        "the model's recall-first threshold and high from its high-precision one. A week you "
        "answered in the burnout range is never shown, counted or reported as low."
    )


#: The lowest risk level a week can have, by the CBI band of the person's own answer.
LEVEL_FLOOR = {"low": "low", "moderate": "moderate", "high": "high", "severe": "high"}
_RANK = {name: rank for rank, name in enumerate(db.RISK_LEVELS)}


@dataclass
class ScoreResult:
    """What `score_week` stored."""

    week: date
    model_version_id: int
    levels: dict[str, int]
    #: rows new or changed; fewer than `scored` when the scores were stored already
    written: int | None = None

    @property
    def scored(self) -> int:
        return sum(self.levels.values())

    def summary(self) -> str:
        counts = ", ".join(f"{n:,} {level}" for level, n in self.levels.items())
        stored = ""
        if self.written == 0:
            stored = "; these scores were stored already (by an earlier or concurrent run)"
        return (
            f"week of {self.week}: {self.scored:,} people scored with model "
            f"{self.model_version_id} ({counts}){stored}"
        )


def monday(day: date) -> date:
    """The Monday of the ISO week a day falls in."""
    return day - timedelta(days=day.weekday())


def last_complete_week(today: date) -> date:
    """The Monday of the last complete ISO week before `today`."""
    return monday(today) - timedelta(weeks=1)


def latest_model(engine: Engine, settings: Settings, model_version_id: int | None = None):
    """The model to score with (the live one unless one is named) and its id."""
    with engine.connect() as connection:
        if model_version_id is None:
            model_version_id = db.live_model_id(connection)
            if model_version_id is None:
                raise NotFound(
                    "no live model yet: train one and promote it (`burnout train --promote`, "
                    "or `burnout promote MODEL_ID`)"
                )
        path = connection.execute(
            select(db.model_version.c.path).where(db.model_version.c.id == model_version_id)
        ).scalar_one_or_none()
    if path is None:
        raise NotFound(f"no model version {model_version_id}")
    from burnout_lib.risk.model import load_model  # deferred: loads scikit-learn

    return load_model(settings.data_dir / path), model_version_id


#: Scoring's part of each channel: the feature columns its consent decides (blanked without it;
#: a row left with no channel's data, `features.CHANNEL_PARTS[...].data`, is not scored).
CONSENTED_COLUMNS: dict[str, tuple[str, ...]] = {
    "checkin": (*CHECKIN_FEATURES, *CURRENT_CHECKIN, "score"),
    "face": FACIAL_FEATURES,
}
#: What a column holds without the channel's data, where that is not "missing".
WITHOUT_DATA: dict[str, dict[str, object]] = {"face": {"recordings": 0}}


def _consent(engine: Engine, names: tuple[str, ...]) -> pd.DataFrame:
    query = select(db.consent.c.staff_id, db.consent.c.channel, db.consent.c.granted)
    with engine.connect() as connection:
        frame = pd.read_sql(query, connection)
    return frame.pivot_table(
        index="staff_id", columns="channel", values="granted", aggfunc="max"
    ).reindex(columns=list(names))


def consented_features(engine: Engine, features: pd.DataFrame) -> pd.DataFrame:
    """Only people who consented to a channel, with the channels they did not consent to blanked."""
    names = tuple(name for name in channels.names() if name in CONSENTED_COLUMNS)
    flags = [f"consent:{name}" for name in names]
    consent = _consent(engine, names).fillna(False).astype(bool)
    rows = features.join(consent.set_axis(flags, axis="columns"), on="staff_id")
    rows[flags] = rows[flags].fillna(False).astype(bool)
    rows = rows[rows[flags].any(axis=1)].copy()
    has_data = pd.Series(False, index=rows.index)
    for name, flag in zip(names, flags, strict=True):
        rows.loc[~rows[flag], list(CONSENTED_COLUMNS[name])] = np.nan
        for column, value in WITHOUT_DATA.get(name, {}).items():
            rows.loc[~rows[flag], column] = value
        has_data |= rows[list(CHANNEL_PARTS[name].data)].notna().any(axis=1)
    return rows[has_data].drop(columns=flags)


def combined_levels(
    warning_levels: np.ndarray,
    checkin_scores: pd.Series,
    estimate_levels: np.ndarray | None = None,
) -> np.ndarray:
    """The highest of the early warning's level and this week's: the floor of the person's own
    answer where they gave one, else the estimate's level (when there is one)."""
    bands = cbi_band(checkin_scores.reset_index(drop=True))
    this_week = bands.map(LEVEL_FLOOR).to_numpy(dtype=object)
    if estimate_levels is not None:
        missing = pd.isna(this_week)
        this_week[missing] = np.asarray(estimate_levels, dtype=object)[missing]
    this_week[pd.isna(this_week)] = "low"
    return np.array(
        [max(w, t, key=_RANK.__getitem__) for w, t in zip(warning_levels, this_week, strict=True)],
        dtype=object,
    )


def shared_evidence(rows: pd.DataFrame) -> pd.DataFrame:
    """Per row and driver group: True when the person shared data the group stands for.

    Expression groups need expression scores in the window (consent blanks them otherwise);
    "this week's check-in" needs this week's answer; "recent check-in scores" needs earlier
    check-ins; "missed check-ins" needs a check-in before
    this week that is more than a week old; unit, role and shift pattern are always known.
    """
    evidence = {}
    for group, columns in DRIVER_GROUPS.items():
        present = [c for c in columns if c in rows.columns and c != "recordings"]
        evidence[group] = rows[present].notna().any(axis=1)
    evidence["missed check-ins"] = rows["weeks_since_checkin"].gt(1).fillna(False)
    evidence["unit, role and shift pattern"] = pd.Series(True, index=rows.index)
    return pd.DataFrame(evidence, index=rows.index).astype(bool)


def drivers(model: TargetModel, rows: pd.DataFrame, top: int = TOP_DRIVERS) -> list[list[dict]]:
    """The groups of features that raise each person's probability most, in plain words.

    A group's effect is how much the probability falls when its features are set to the typical
    (training median) values: a model-agnostic reading that works for every candidate model. Only
    groups the person shared data for (`shared_evidence`) can be named.
    """
    base = model.probability(rows)
    shared = shared_evidence(rows)
    effects = {}
    for group, columns in DRIVER_GROUPS.items():
        used = [c for c in columns if c in model.columns]
        if not used:
            continue
        typical = rows.copy()
        for column in used:
            typical[column] = model.reference[column]
        effect = base - model.probability(typical)
        effects[group] = np.where(shared[group].to_numpy(), effect, 0.0)
    names = np.array(list(effects))
    values = np.column_stack(list(effects.values()))
    order = np.argsort(-values, axis=1)[:, :top]
    return [
        [
            {"driver": str(names[k]), "effect": round(float(row[k]), 3)}
            for k in ranked
            if row[k] > 0.01
        ]
        for row, ranked in zip(values, order, strict=True)
    ]


def score_weeks(
    engine: Engine,
    settings: Settings,
    first: date,
    last: date,
    model_version_id: int | None = None,
) -> list[ScoreResult]:
    """Score everyone with data in the weeks `first`..`last`; write the rows idempotently."""
    db.require_schema(engine)
    first, last = monday(first), monday(last)
    model, model_version_id = latest_model(engine, settings, model_version_id)
    features = consented_features(engine, weekly_features(engine, first=first, last=last))
    if features.empty:
        span = f"the week of {first}" if first == last else f"the weeks {first} to {last}"
        raise NotFound(f"no check-ins or recordings from consenting staff in {span}")
    rows = _scores(model, model_version_id, features)
    weeks = dict(list(rows.groupby("week_start", sort=True)))

    def store(connection) -> dict:
        return {week: db.upsert(connection, db.weekly_risk, group, RISK_KEYS)
                for week, group in weeks.items()}  # fmt: skip

    written = write_transaction(engine, store, f"storing scores of {len(weeks)} week(s)")
    results = []
    for week, group in weeks.items():
        counts = group["level"].value_counts()
        by_level = {level: int(counts.get(level, 0)) for level in db.RISK_LEVELS}
        results.append(ScoreResult(week, model_version_id, by_level, written[week]))
    return results


def score_people(
    engine: Engine,
    settings: Settings,
    staff_ids: Sequence[int],
    week: date,
    model_version_id: int | None = None,
) -> pd.DataFrame:
    """Score only these people in the week of `week`, with the live model unless one is named,
    and write their `weekly_risk` rows (nobody else's): what `score_weeks` computes for them, for
    a person who has just answered their check-in or shared a clip. Returns the rows written,
    one per person with consented data that week; `NotFound` when none has any."""
    db.require_schema(engine)
    week = monday(week)
    ids = sorted({int(i) for i in staff_ids})
    if not ids:
        raise InvalidInput("name at least one person to score")
    model, model_version_id = latest_model(engine, settings, model_version_id)
    features = consented_features(
        engine, weekly_features(engine, first=week, last=week, staff_ids=ids)
    )
    features = features[features["staff_id"].isin(ids)].reset_index(drop=True)
    if features.empty:
        raise NotFound(
            f"no check-in or recording from consenting staff {', '.join(map(str, ids))} in the "
            f"week of {week}"
        )
    rows = _scores(model, model_version_id, features)
    write_transaction(
        engine,
        lambda connection: db.upsert(connection, db.weekly_risk, rows, RISK_KEYS),
        f"storing the scores of {len(rows)} person(s) in the week of {week}",
    )
    return rows


def _answered(week: date, allowed):
    checkin = db.checkin.c
    return select(checkin.staff_id).where(
        checkin.week_start == week, checkin.score.is_not(None), checkin.staff_id.in_(allowed)
    )


def _recorded(week: date, allowed):
    recording = db.recording.c
    return (
        select(recording.staff_id)
        .join(db.expression_summary)
        .where(
            recording.week_start == week,
            db.expression_summary.c.frames_used > 0,
            recording.staff_id.in_(allowed),
        )
    )


#: Scoring's part of each channel: who, among `allowed`, has the channel's data in a week.
WEEK_DATA = {"checkin": _answered, "face": _recorded}


def unscored_people(connection: Connection, week: date, model_version_id: int) -> int:
    """How many people with consented data in the week (an answered check-in, or a recording
    with a face) have no row of this model yet: a week a few people's own check-ins scored early
    (`score_people`) still needs scoring for everyone else."""
    week = monday(week)
    having = [
        query(week, consenting(name))
        for name, query in WEEK_DATA.items()
        if name in channels.names()
    ]
    scored = select(db.weekly_risk.c.staff_id).where(
        db.weekly_risk.c.week_start == week,
        db.weekly_risk.c.model_version_id == model_version_id,
    )
    people = union(*having).subquery()
    missing = select(func.count()).select_from(people).where(people.c.staff_id.not_in(scored))
    return connection.execute(missing).scalar_one()


def _scores(model, model_version_id: int, features: pd.DataFrame) -> pd.DataFrame:
    """The `weekly_risk` rows of scored features: early warning, estimate, level, drivers."""
    probability = model.probability(features)
    measured = features["score"].reset_index(drop=True)
    skipped = measured.isna().to_numpy() & (model.estimate is not None)
    estimate = np.full(len(features), np.nan)
    estimate_levels = None
    if skipped.any():
        estimate[skipped] = model.estimate_probability(features[skipped])
        estimate_levels = np.where(skipped, model.estimate.level(np.nan_to_num(estimate)), None)
    return pd.DataFrame(
        {
            "staff_id": features["staff_id"].to_numpy(),
            "week_start": features["week_start"].to_numpy(),
            "model_version_id": model_version_id,
            "probability": np.round(probability, 6),
            "estimate_probability": np.round(estimate, 6),
            "level": combined_levels(model.level(probability), measured, estimate_levels),
            "drivers": drivers(model.warning, features),
            "checkin_score": measured.to_numpy(dtype=float),
            "measured_band": cbi_band(measured).to_numpy(),
        }
    )


def score_week(
    engine: Engine, settings: Settings, week: date, model_version_id: int | None = None
) -> ScoreResult:
    """Score everyone with data in the week of `week`; write the rows idempotently."""
    [result] = score_weeks(engine, settings, week, week, model_version_id)
    return result
