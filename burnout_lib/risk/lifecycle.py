"""A model's life: trained models are candidates; one model is live, and only promotion changes it.

Scoring, the dashboard, reports and alerts use the live model, so training (from the command
line or a notebook) never changes what people see. Promoting a model that does worse than the
live one needs `force`: the two early warnings are compared on the same held-out weeks, the weeks
after both models' training data whose horizon has passed (later check-ins tell the truth there).
When no such weeks exist yet, the comparison falls back to the figures each model's card measured
on its held-out people, and says so. A model trained against its own evaluation of the facial
channel (`burnout train --feature-set full` where the facial channel did not improve the early
warning) is promoted like any other, and `against_evaluation` gives the line that says so.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

import pandas as pd
from sklearn.metrics import average_precision_score
from sqlalchemy import select
from sqlalchemy.engine import Connection, Engine

from burnout_lib.config import Settings
from burnout_lib.errors import InvalidInput, NotFound
from burnout_lib.risk.feature_choice import against_line
from burnout_lib.risk.features import warning_labels, weekly_features
from burnout_lib.risk.model import load_model
from burnout_lib.risk.scoring import consented_features
from burnout_lib.store import db
from burnout_lib.store.transactions import write_transaction

#: Labelled person-weeks needed before held-out weeks decide a comparison.
MIN_HELD_OUT = 30
#: How much lower a candidate's average precision may be and still count as no worse.
TOLERANCE = 0.01


@dataclass(frozen=True)
class Comparison:
    """How a candidate and the live model did on the same weeks."""

    candidate: float
    live: float
    basis: str  # "held-out weeks from … (n person-weeks)" or "cross-validation"

    @property
    def worse(self) -> bool:
        return self.candidate < self.live - TOLERANCE

    def __str__(self) -> str:
        return (
            f"average precision {self.candidate:.3f} against the live model's {self.live:.3f} "
            f"on {self.basis}"
        )


def _row(connection: Connection, model_id: int):
    found = connection.execute(
        select(db.model_version).where(db.model_version.c.id == model_id)
    ).first()
    if found is None:
        raise NotFound(f"no model version {model_id}")
    return found


def _last_week(row) -> date:
    return date.fromisoformat(row.data_window["last_week"])


def compare(engine: Engine, settings: Settings, candidate_id: int, live_id: int) -> Comparison:
    """The candidate against the live model, on the weeks neither was trained on if there are
    enough of them, else on each model's cross-validated average precision."""
    with engine.connect() as connection:
        candidate, live = _row(connection, candidate_id), _row(connection, live_id)
    after = max(_last_week(candidate), _last_week(live))
    models = {
        name: load_model(settings.data_dir / row.path)
        for name, row in (("candidate", candidate), ("live", live))
    }
    horizon = models["candidate"].horizon
    # only the weeks neither model saw, computed as scoring computes them
    later = consented_features(engine, weekly_features(engine, first=after + timedelta(weeks=1)))
    later = later[pd.to_datetime(later["week_start"]) > pd.Timestamp(after)]
    label = warning_labels(later, horizon) if len(later) else pd.Series(dtype="boolean")
    held_out = later[label.notna()]
    labels = label[label.notna()].astype(bool).to_numpy()
    if len(held_out) >= MIN_HELD_OUT and 0 < labels.sum() < len(labels):
        scores = {name: model.probability(held_out) for name, model in models.items()}
        weeks = pd.to_datetime(held_out["week_start"])
        basis = (
            f"the held-out weeks {weeks.min():%Y-%m-%d} to {weeks.max():%Y-%m-%d} "
            f"({len(held_out):,} person-weeks, {horizon}-week early warning)"
        )
        return Comparison(
            float(average_precision_score(labels, scores["candidate"])),
            float(average_precision_score(labels, scores["live"])),
            basis,
        )
    return Comparison(
        float(candidate.metrics["metrics"]["average_precision"]),
        float(live.metrics["metrics"]["average_precision"]),
        "each model's held-out people (no labelled weeks after both models' data yet)",
    )


def promote(
    engine: Engine, settings: Settings, model_id: int, force: bool = False
) -> Comparison | None:
    """Make `model_id` the live model; returns how it compared with the one it replaces.

    Refuses (InvalidInput) a model that does worse than the live one unless `force`.
    """
    db.require_schema(engine)
    with engine.connect() as connection:
        _row(connection, model_id)
        live = db.live_model_id(connection)
    if live == model_id:
        return None
    comparison = None if live is None else compare(engine, settings, model_id, live)
    if comparison is not None and comparison.worse and not force:
        raise InvalidInput(
            f"model {model_id} does worse than the live model {live} ({comparison}): "
            "keep the live model, or promote with --force"
        )
    write_transaction(
        engine,
        lambda connection: db.set_live_model(connection, model_id),
        f"promoting model {model_id}",
    )
    return comparison


def against_evaluation(engine: Engine, model_id: int) -> str | None:
    """The line that says a model goes against its evaluation of the facial channel (and why),
    from its card's `channels` entry; None for a model that follows it or records none."""
    with engine.connect() as connection:
        row = _row(connection, model_id)
    return against_line(model_id, row.metrics)
