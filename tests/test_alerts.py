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
    assert set(alerts.rule) <= {
        "first_high",
        "sustained",
        "rising_fast",
        "reminder",
        "unit_high_share",
    }
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


# --- Open until someone acts: a hand-made history, week by week ------------------------------

WEEKS = [dt.date(2026, 1, 5) + dt.timedelta(weeks=k) for k in range(14)]
PEOPLE = ("always-high", "falls-back", "acknowledged", "steady-1", "steady-2", "steady-3")


def hand_made(engine) -> dict[str, int]:
    """Six nurses of one ward and two model versions, with no scores yet: their ids."""
    with engine.begin() as connection:
        staff = pd.DataFrame({"pseudonym": PEOPLE, "unit": "Ward A", "role": "Nurse"})
        db.upsert(connection, db.staff, staff, keys=("pseudonym",))
        for version in (1, 2):
            connection.execute(
                db.model_version.insert().values(
                    id=version, trained_at=dt.datetime(2026, 1, 1, tzinfo=dt.UTC),
                    name=f"model-{version}", metrics={}, threshold=0.2,
                    path=f"models/{version}.joblib", feature_set=["prev_score"],
                )
            )  # fmt: skip
        return db.id_map(connection, db.staff.c.id, db.staff.c.pseudonym, staff["pseudonym"])


def score(engine, ids, version: int, weeks, levels: dict[str, str]) -> None:
    """Store a level for each person (low for anyone not named) in each of `weeks`."""
    probability = {"low": 0.05, "moderate": 0.3, "high": 0.8}
    rows = [
        {"staff_id": ids[p], "week_start": week, "model_version_id": version,
         "probability": probability[levels.get(p, "low")], "level": levels.get(p, "low"),
         "drivers": [], "checkin_score": None, "measured_band": None}
        for week in weeks for p in PEOPLE
    ]  # fmt: skip
    with engine.begin() as connection:
        keys = ("staff_id", "week_start", "model_version_id")
        db.upsert(connection, db.weekly_risk, pd.DataFrame(rows), keys)


def run_weeks(engine, settings, ids, version: int, weeks, levels: dict[str, str]) -> None:
    """Week by week, as the scheduler does: store the scores, then raise the week's alerts."""
    for week in weeks:
        score(engine, ids, version, [week], levels)
        evaluate_week(engine, settings, week, version)


def person_alerts_of(engine, ids, pseudonym: str) -> pd.DataFrame:
    with engine.connect() as connection:
        rows = pd.read_sql(
            select(db.alert).where(db.alert.c.staff_id == ids[pseudonym]).order_by(
                db.alert.c.week_start, db.alert.c.rule), connection,
        )  # fmt: skip
    rows["week_start"] = pd.to_datetime(rows["week_start"]).dt.date
    return rows


def test_high_for_twelve_weeks_is_one_open_alert_and_reminders(engine, settings) -> None:
    ids = hand_made(engine)
    run_weeks(engine, settings, ids, 1, WEEKS[:12], {"always-high": "high"})
    alerts = person_alerts_of(engine, ids, "always-high")
    assert list(zip(alerts["rule"], alerts["week_start"], strict=True)) == [
        ("first_high", WEEKS[0]), ("reminder", WEEKS[3]), ("reminder", WEEKS[7]),
        ("reminder", WEEKS[11]),
    ]  # fmt: skip
    assert alerts["resolved_week"].isna().all() and alerts["acknowledged_at"].isna().all()
    assert "12 weeks running" in alerts["reason"].iloc[-1]
    assert person_alerts_of(engine, ids, "steady-1").empty


def test_a_new_model_never_re_announces_a_person_high_for_months(engine, settings) -> None:
    ids = hand_made(engine)
    run_weeks(engine, settings, ids, 1, WEEKS[:12], {"always-high": "high"})
    before = person_alerts_of(engine, ids, "always-high")
    run_weeks(engine, settings, ids, 2, WEEKS[8:13], {"always-high": "high"})
    after = person_alerts_of(engine, ids, "always-high")
    assert (after["rule"] == "first_high").sum() == 1
    assert len(after) == len(before), "the new model raised nothing the old one had raised"


def test_an_alert_closes_when_the_level_falls_back_and_a_new_rise_alerts_again(
    engine, settings
) -> None:
    ids = hand_made(engine)
    plan = ["high", "high", "high", "low", "low", "high", "high", "high"]
    for week, level in zip(WEEKS, plan, strict=False):
        score(engine, ids, 1, [week], {"falls-back": level})
        evaluate_week(engine, settings, week, 1)
    alerts = person_alerts_of(engine, ids, "falls-back")
    # back from low to high in three weeks: rising fast, and one open alert is enough
    assert list(zip(alerts["rule"], alerts["week_start"], strict=True)) == [
        ("first_high", WEEKS[0]), ("rising_fast", WEEKS[6]),
    ]  # fmt: skip
    assert "percentage points" in alerts["reason"].iloc[1]
    assert pd.Timestamp(alerts["resolved_week"].iloc[0]).date() == WEEKS[3]
    evaluate_week(engine, settings, WEEKS[4], 1)  # a later week run again keeps the first
    resolved = person_alerts_of(engine, ids, "falls-back")["resolved_week"].iloc[0]
    assert pd.Timestamp(resolved).date() == WEEKS[3]


def test_an_acknowledged_alert_gets_no_reminders(engine, settings) -> None:
    ids = hand_made(engine)
    for number, week in enumerate(WEEKS[:9]):
        score(engine, ids, 1, [week], {"acknowledged": "high"})
        evaluate_week(engine, settings, week, 1)
        if number == 1:
            (first,) = person_alerts_of(engine, ids, "acknowledged")["id"]
            acknowledge(engine, int(first))
    alerts = person_alerts_of(engine, ids, "acknowledged")
    assert alerts["rule"].tolist() == ["first_high"]


def test_the_person_page_shows_how_long_an_alert_has_been_open(engine, settings) -> None:
    from burnout_lib.privacy.accounts import STAFF, Viewer
    from burnout_lib.readouts import views

    ids = hand_made(engine)
    run_weeks(engine, settings, ids, 1, WEEKS[:10], {"always-high": "high"})
    viewer = Viewer("me@h", STAFF, ids["always-high"], "always-high")
    with engine.connect() as connection:
        person = views.person_weeks(connection, viewer, "always-high", WEEKS[9], 1)
    shown = list(zip(person.alerts["rule"], person.alerts["status"], strict=True))
    assert shown == [  # newest first; the first is older than four weeks, and still shown
        ("reminder", "open for 2 weeks"), ("reminder", "open for 6 weeks"),
        ("first_high", "open for 9 weeks"),
    ]  # fmt: skip
