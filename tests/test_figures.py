"""The weekly report's figures (`report/figures.py`); their numbers are checked through the
notebook in test_notebook_weekly_report.py."""

from datetime import date, timedelta

import pandas as pd
import pytest
from sqlalchemy import select

from burnout_lib.errors import NotFound
from burnout_lib.report.figures import TREND_WEEKS, last_scored_week, weekly_report
from burnout_lib.report.sections import about, alert_tables, sparkline
from burnout_lib.risk.feature_choice import WORSE, FeatureChoice
from burnout_lib.risk.scoring import last_complete_week
from burnout_lib.store import db

from helpers import small_hospital as H


def test_the_last_complete_week() -> None:
    assert last_complete_week(date(2026, 11, 23)) == date(2026, 11, 16)  # a Monday
    assert last_complete_week(date(2026, 11, 29)) == date(2026, 11, 16)  # a Sunday


def test_a_report_names_no_week_in_progress_unless_asked(engine) -> None:
    """The week that has not ended holds only those who checked in so far: a report about
    "the latest week" is about the last finished one."""
    H.build(engine)
    with engine.connect() as connection:
        assert last_scored_week(connection) == H.LAST
        # on the Thursday of the hospital's last scored week, that week is still in progress
        thursday = H.LAST + timedelta(days=3)
        assert last_scored_week(connection, today=thursday) == H.LAST - timedelta(weeks=1)
        assert last_scored_week(connection, today=H.LAST + timedelta(days=7)) == H.LAST
        with pytest.raises(NotFound, match="only the week in progress so far"):
            last_scored_week(connection, today=H.SCORED[0] + timedelta(days=1))


SUSTAINED_ACTION = "talk with them about workload this week"


def add_alert(engine, pseudonym: str, week, rule: str, action: str) -> None:
    with engine.begin() as connection:
        staff_id = connection.execute(
            select(db.staff.c.id).where(db.staff.c.pseudonym == pseudonym)
        ).scalar_one()
        connection.execute(db.alert.insert().values(
            staff_id=staff_id, unit="Ward A", subject=f"staff:{staff_id}", week_start=week,
            rule=rule, level="moderate", reason="moderate or high for 3 weeks",
            suggested_action=action,
        ))  # fmt: skip


def test_the_named_edition_has_one_row_per_person_and_each_advice_once(engine) -> None:
    H.build(engine)  # nurse-01: a new first_high alert in the last week
    earlier = H.LAST - timedelta(weeks=2)
    add_alert(engine, "nurse-01", earlier, "sustained", SUSTAINED_ACTION)  # still open
    add_alert(engine, "nurse-02", earlier, "sustained", SUSTAINED_ACTION)
    with engine.connect() as connection:
        report = weekly_report(connection, H.LAST, 5, show_pseudonyms=True)
    people = report.people.set_index("pseudonym")
    assert list(people.index) == ["nurse-01", "nurse-02"]  # the longest-open first
    assert people.loc["nurse-01", "since"] == earlier
    weeks = [H.LAST - timedelta(weeks=k) for k in range(TREND_WEEKS - 1, -1, -1)]
    expected = [H.level("nurse-01", w) if w >= H.START else None for w in weeks]
    assert people.loc["nurse-01", "levels"] == expected
    (new_title, new_table), (open_title, still_open), (_, advice) = alert_tables(report)
    assert new_title.startswith("### New this week (1)")
    assert new_table.data["pseudonym"].tolist() == ["nurse-01"]  # every alert of theirs, one row
    assert new_table.data["alerts"].tolist() == [
        f"moderate or high for 3 weeks running (since {earlier:%d %b}); "
        "high risk for the first time (new)"
    ]
    assert open_title.startswith("### Still open from earlier weeks (1), by unit")
    assert "<summary>Ward A: 1 person</summary>" in still_open.data
    assert "nurse-02" in still_open.data and "nurse-01" not in still_open.data
    said = dict(zip(advice.data["alert"], advice.data["what may help"], strict=True))
    assert said == {  # each kind once, each suggestion once
        "high risk for the first time": H.ALERT_ACTION,
        "moderate or high for 3 weeks running": SUSTAINED_ACTION,
    }


def test_a_sparkline_says_in_words_what_its_marks_show() -> None:
    line = sparkline([None, "low", "moderate", "high"])
    assert ">·▁▄█</span>" in line
    assert 'aria-label="risk level by week, oldest first: no score, low, moderate, high"' in line


def test_the_trend_shows_each_week_as_the_dashboard_suppresses_it(engine) -> None:
    H.build(engine)
    with engine.connect() as connection:
        report = weekly_report(connection, H.LAST, 5)
    assert list(report.trend.index) == H.SCORED
    ward = report.trend["Ward A"]
    assert ward.iloc[:-1].tolist() == [0.0] * (len(H.SCORED) - 1)
    assert pd.isna(ward.iloc[-1])  # two people at high risk: hidden, as on the dashboard
    assert report.people.empty  # nobody is named in this edition


def test_the_report_says_which_channels_the_live_model_uses(engine) -> None:
    H.build(engine)
    card = {"channels": FeatureChoice("checkin", WORSE, "worse on later weeks").record()}
    with engine.begin() as connection:
        connection.execute(db.model_version.update().values(metrics=card))
    with engine.connect() as connection:
        report = weekly_report(connection, H.LAST, 5)
    assert report.model["channels"]["feature_set"] == "checkin"
    assert (
        "It uses weekly check-ins only: on this hospital's data the facial channel made the "
        "early warning worse." in about(report)
    )
