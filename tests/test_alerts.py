"""Alerts (`risk/alerts.py`): raised once per rule and week, acknowledgements kept, and what may
help taken from the person's drivers and from what healthcare workers found helpful."""

import datetime as dt

import pandas as pd
import pytest
from sqlalchemy import select

from burnout_lib.errors import NotFound
from burnout_lib.mock.hospital import DEFAULT_START
from burnout_lib.risk.alerts import acknowledge, evaluate_week, suggested_actions
from burnout_lib.risk.scoring import score_weeks
from burnout_lib.store import db


def test_alerts_are_idempotent_and_acknowledgements_kept(engine, settings, trained) -> None:
    results = score_weeks(
        engine, settings, DEFAULT_START, DEFAULT_START + dt.timedelta(weeks=11), trained
    )
    raised = [evaluate_week(engine, settings, r.week, trained) for r in results]
    assert sum(map(len, raised)) > 0
    count = db.row_counts(engine)["alert"]
    for result in results:
        evaluate_week(engine, settings, result.week, trained)
    assert db.row_counts(engine)["alert"] == count
    with engine.connect() as connection:
        alerts = pd.read_sql(select(db.alert), connection)
    assert set(alerts.rule) <= {"first_high", "sustained", "rising_fast", "unit_high_share"}
    assert alerts.reason.str.len().gt(10).all() and alerts.suggested_action.notna().all()
    first = int(alerts.id.iloc[0])
    stamp = acknowledge(engine, first)
    evaluate_week(engine, settings, alerts.week_start.iloc[0], trained)
    assert acknowledge(engine, first).replace(tzinfo=None) == stamp.replace(tzinfo=None)
    with pytest.raises(NotFound, match="999999"):
        acknowledge(engine, 999999)
    firsts = alerts[alerts.rule == "first_high"].groupby("subject").size()
    assert (firsts == 1).all(), "high for the first time is raised once per person"


def test_suggestions_come_from_drivers_and_from_what_helped() -> None:
    text = suggested_actions([{"driver": "fatigue-related expressions", "effect": 0.2}])
    assert text.startswith("review the rota")
    assert "self-guided counseling with access to therapist (33%" in text
    assert "physical exercise/activity (59% used it to cope)" in text
