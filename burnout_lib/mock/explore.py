"""A mock hospital as DataFrames: what is in the database, next to the latent truth.

Notebooks and the report look at the mock hospital through this module so that they read the
tables the same way a model will, and only add the truth (kept in its own file) for evaluation.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

import numpy as np
import pandas as pd
from sqlalchemy import select
from sqlalchemy.engine import Engine

from burnout_lib import channels
from burnout_lib.config import Settings
from burnout_lib.emotions import EXPRESSION_SLUGS, GROUPS, summary_column
from burnout_lib.mock.hospital import measurement_response
from burnout_lib.store import db

FRAMES_FILE = "frames-mock.parquet"


@dataclass
class MockView:
    """The mock hospital's tables, joined to the roster, and its latent truth.

    - `staff`: one row per person (pseudonym, unit, role, shift pattern, start date).
    - `consent`: one row per person and channel, with `granted` and `decided_at`.
    - `checkins`: one row per answered week, with the CBI personal items and `score` (0–100).
    - `recordings`: one row per recording, with `week_start` and the recording's mean score over
      each expression group (`fatigue_mean`, `protective_mean`, 0–1).
    - `truth`: one row per person and week from the generator (`true_cbi`, `burnout`, ...).
    """

    staff: pd.DataFrame
    consent: pd.DataFrame
    checkins: pd.DataFrame
    recordings: pd.DataFrame
    truth: pd.DataFrame


def _weeks(series: pd.Series) -> pd.Series:
    """Week starts as timezone-naive datetimes, so tables from any backend and the truth join."""
    return pd.to_datetime(series).astype("datetime64[ns]")


def _stamps(series: pd.Series) -> pd.Series:
    """Timestamps in UTC (SQLite gives them back naive, PostgreSQL aware)."""
    return pd.to_datetime(series, utc=True)


def load_mock_view(engine: Engine, settings: Settings) -> MockView:
    """Read the roster, consent, check-ins and recordings, and the truth file, as DataFrames."""
    person = (db.staff.c.pseudonym, db.staff.c.unit, db.staff.c.role)
    group_columns = {
        group: [summary_column(name, "mean") for name in names] for group, names in GROUPS.items()
    }
    queries = {
        "staff": select(
            db.staff.c.pseudonym,
            db.staff.c.unit,
            db.staff.c.role,
            db.staff.c.shift_pattern,
            db.staff.c.start_date,
        ).order_by(db.staff.c.id),
        "consent": select(
            *person, db.consent.c.channel, db.consent.c.granted, db.consent.c.decided_at
        )
        .join_from(db.consent, db.staff)
        .order_by(db.staff.c.id, db.consent.c.channel),
        "checkins": select(
            *person,
            db.checkin.c.week_start,
            db.checkin.c.answered_at,
            *(db.checkin.c[item] for item in db.PERSONAL_ITEMS),
            db.checkin.c.score,
        )
        .join_from(db.checkin, db.staff)
        .order_by(db.staff.c.id, db.checkin.c.week_start),
        "recordings": select(
            *person,
            db.recording.c.id.label("recording_id"),
            db.recording.c.sha256,
            db.recording.c.week_start,
            db.recording.c.recorded_at,
            db.recording.c.state,
            db.recording.c.frames,
            db.recording.c.faces,
            *(
                db.expression_summary.c[column]
                for columns in group_columns.values()
                for column in columns
            ),
        )
        .join_from(db.recording, db.staff)
        .outerjoin(db.expression_summary)
        .order_by(db.staff.c.id, db.recording.c.recorded_at),
    }
    with engine.connect() as connection:
        frames = {name: pd.read_sql(query, connection) for name, query in queries.items()}

    frames["staff"]["start_date"] = _weeks(frames["staff"]["start_date"])
    frames["consent"]["granted"] = frames["consent"]["granted"].astype(bool)
    frames["consent"]["decided_at"] = _stamps(frames["consent"]["decided_at"])
    checkins = frames["checkins"]
    checkins["week_start"] = _weeks(checkins["week_start"])
    checkins["answered_at"] = _stamps(checkins["answered_at"])
    checkins[list(db.PERSONAL_ITEMS)] = checkins[list(db.PERSONAL_ITEMS)].astype("Int16")
    recordings = frames["recordings"]
    recordings["week_start"] = _weeks(recordings["week_start"])
    recordings["recorded_at"] = _stamps(recordings["recorded_at"])
    for group, columns in group_columns.items():
        recordings[f"{group}_mean"] = recordings[columns].astype(float).mean(axis=1)
    recordings = recordings.drop(columns=[c for cs in group_columns.values() for c in cs])

    truth = pd.read_parquet(settings.mock_truth_path)
    truth["week_start"] = _weeks(truth["week_start"])
    return MockView(
        staff=frames["staff"],
        consent=frames["consent"],
        checkins=checkins,
        recordings=recordings,
        truth=truth,
    )


def weekly_person_table(view: MockView, pseudonyms: list[str]) -> pd.DataFrame:
    """Per person and week: the truth, the check-in score and the week's fatigue-expression mean.

    One row for every week of the period (from the truth), so weeks without a check-in or a
    recording show as gaps. Rows follow the order of `pseudonyms`; `week` counts from 1. This is
    the input of `model_plots.trajectories`.
    """
    truth = view.truth[view.truth["pseudonym"].isin(pseudonyms)]
    weeks = np.sort(view.truth["week_start"].unique())
    week_number = pd.Series(np.arange(1, len(weeks) + 1), index=pd.DatetimeIndex(weeks))
    table = truth[["pseudonym", "week_start", "true_cbi", "burnout", "trajectory"]].copy()
    table.insert(2, "week", table["week_start"].map(week_number).astype(int))
    scores = view.checkins[["pseudonym", "week_start", "score"]]
    fatigue = (
        view.recordings[view.recordings["pseudonym"].isin(pseudonyms)]
        .groupby(["pseudonym", "week_start"], as_index=False)
        .agg(fatigue_mean=("fatigue_mean", "mean"), recordings=("recording_id", "size"))
    )
    table = table.merge(scores, on=["pseudonym", "week_start"], how="left").merge(
        fatigue, on=["pseudonym", "week_start"], how="left"
    )
    table["recordings"] = table["recordings"].fillna(0).astype(int)
    order = table["pseudonym"].map({name: k for k, name in enumerate(pseudonyms)})
    return (
        table.assign(order=order)
        .sort_values(["order", "week"])
        .drop(columns="order")
        .reset_index(drop=True)
    )


def example_people(view: MockView, per_group: int = 2) -> dict[str, list[str]]:
    """People to show: `per_group` who burn out and `per_group` who do not, by the truth.

    Only people who consented to both channels are eligible, so every panel has check-ins and
    expressions. "Burn out" ranks people by the share of weeks at or above the cut-off, preferring
    those who start below it (a visible onset); "do not" takes the lowest peak latent levels.
    """
    consented = view.consent[view.consent["granted"]].groupby("pseudonym")["channel"].nunique()
    recorded = set(view.recordings["pseudonym"])
    eligible = [p for p, n in consented.items() if n == len(channels.names()) and p in recorded]
    truth = view.truth[view.truth["pseudonym"].isin(eligible)].sort_values("week_start")
    per_person = truth.groupby("pseudonym").agg(
        share=("burnout", "mean"), first=("burnout", "first"), peak=("true_cbi", "max")
    )
    burning = per_person[per_person["share"] > 0].assign(onset=lambda f: ~f["first"])
    burning = burning.sort_values(["onset", "share", "peak"], ascending=False)
    chosen = list(burning.index[:per_group])
    rest = per_person.drop(index=chosen).sort_values("peak")
    return {"burn out": chosen, "do not burn out": list(rest.index[:per_group])}


def sample_response(view: MockView, settings: Settings, frames: int = 3) -> dict:
    """The first recording with a face in its first frame, as the current Hume API returns it.

    Frames come from the person's frame file; frames without a face are absent there and become
    empty `faces` lists, as in the API.
    """
    done = view.recordings[view.recordings["faces"] > 0].sort_values("recorded_at")
    for row in done.itertuples():
        path = settings.person_dir(row.pseudonym) / FRAMES_FILE
        table = pd.read_parquet(path, filters=[("recording_sha256", "==", row.sha256)])
        table = table.set_index("frame").reindex(range(row.frames))
        if table.loc[0, list(EXPRESSION_SLUGS)].isna().all():
            continue
        scores = table[list(EXPRESSION_SLUGS)].to_numpy(dtype=float)[:frames]
        return measurement_response(scores, request_id=f"mock-{row.sha256[:12]}")
    raise LookupError("no recording with a face in its first frame")


def response_preview(response: dict, top: int = 5) -> str:
    """The response as JSON with only the first frame and its `top` expressions, for reading."""
    first = response["measurements"][0]
    faces = [{**face, "expressions": face["expressions"][:top]} for face in first["faces"]]
    shown = {**response, "measurements": [{**first, "faces": faces}]}
    more = len(response["measurements"]) - 1
    text = json.dumps(shown, indent=2)
    return text + (f"\n… and {more} more frame(s) in `measurements`" if more else "")
