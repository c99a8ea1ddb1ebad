"""Alerts from weekly risk: who, or which unit, needs attention this week, why, and what may help.

Rules (evaluated per model version, so two models never mix their histories):
- `first_high`: a person is at high risk for the first time;
- `sustained`: moderate or high for 3 weeks running;
- `rising_fast`: probability up by 0.30 or more over 4 weeks;
- `unit_high_share`: a unit's share of staff at high risk is 10 points or more above its own
  previous 8 weeks (units below the privacy floor are never alerted on).

Suggested actions come from what healthcare workers themselves reported as helpful (Shechter et al.
2020) and from the person's main risk drivers. Alerts are upserts on (subject, week, rule), so
re-running a week never duplicates them, and an acknowledgement is kept.
"""

from __future__ import annotations

import functools
from datetime import UTC, date, datetime, timedelta

import pandas as pd
from sqlalchemy import select, update
from sqlalchemy.engine import Engine

from burnout_lib.config import Settings
from burnout_lib.errors import NotFound
from burnout_lib.sources import survey
from burnout_lib.store import db
from burnout_lib.store.transactions import write_transaction

SUSTAINED_WEEKS = 3
RISING_WEEKS = 4
RISING_BY = 0.30
UNIT_BASELINE_WEEKS = 8
UNIT_EXCESS = 0.10

#: What may help, by main driver of a person's risk.
DRIVER_ACTIONS: dict[str, str] = {
    "fatigue-related expressions": "review the rota and rest between shifts; protect breaks",
    "calm and content expressions": "make time for something restorative outside work",
    "recent check-in scores": "offer a confidential conversation with occupational health",
    "missed check-ins": "a gentle, voluntary check-in from a trusted colleague",
}


def suggested_actions(drivers: list[dict] | None = None) -> str:
    """Actions for a person: from their main driver, then what colleagues found helpful."""
    actions = []
    for driver in drivers or []:
        action = DRIVER_ACTIONS.get(driver.get("driver", ""))
        if action and action not in actions:
            actions.append(action)
    return "; ".join([*actions, *_what_colleagues_found_helpful()])


@functools.cache
def _what_colleagues_found_helpful() -> tuple[str, ...]:
    """The published resources and coping behaviour, read once per process (every alert
    quotes them)."""
    resources = survey.helpful_resources()
    resources = resources[resources["resource"] != "none"].nlargest(3, "percent")
    coping = survey.coping().nlargest(1, "percent")
    found = [
        f"{row.resource} ({row.percent}% of NYC healthcare workers would find it helpful)"
        for row in resources.itertuples()
    ]
    found += [f"{row.behaviour} ({row.percent}% used it to cope)" for row in coping.itertuples()]
    return tuple(found)


def _history(engine: Engine, week: date, model_version_id: int, weeks: int) -> pd.DataFrame:
    first = week - timedelta(weeks=weeks)
    query = (
        select(
            db.weekly_risk.c.staff_id,
            db.weekly_risk.c.week_start,
            db.weekly_risk.c.probability,
            db.weekly_risk.c.level,
            db.weekly_risk.c.drivers,
            db.staff.c.unit,
        )
        .join(db.staff)
        .where(
            db.weekly_risk.c.model_version_id == model_version_id,
            db.weekly_risk.c.week_start >= first,
            db.weekly_risk.c.week_start <= week,
        )
    )
    with engine.connect() as connection:
        frame = pd.read_sql(query, connection)
    frame["week_start"] = pd.to_datetime(frame["week_start"]).dt.date
    return frame


def _ever_high_before(engine: Engine, week: date, model_version_id: int) -> set[int]:
    query = select(db.weekly_risk.c.staff_id).where(
        db.weekly_risk.c.model_version_id == model_version_id,
        db.weekly_risk.c.week_start < week,
        db.weekly_risk.c.level == "high",
    )
    with engine.connect() as connection:
        return set(connection.execute(query.distinct()).scalars())


def _streak(levels: pd.DataFrame, staff_id: int, week: date) -> int:
    """Weeks in a row, ending this week, at moderate or high risk (counted up to one past the
    sustained rule, so the alert is raised once, when the run reaches it)."""
    if staff_id not in levels.index:
        return 0
    row = levels.loc[staff_id]
    run = 0
    for k in range(SUSTAINED_WEEKS + 1):
        if row.get(week - timedelta(weeks=k)) in ("moderate", "high"):
            run += 1
        else:
            break
    return run


def person_alerts(engine: Engine, week: date, model_version_id: int) -> list[dict]:
    """Alerts for people in the week: first high, sustained, rising fast."""
    history = _history(engine, week, model_version_id, RISING_WEEKS)
    now = history[history["week_start"] == week].set_index("staff_id")
    if now.empty:
        return []
    by_week = history.pivot_table(
        index="staff_id", columns="week_start", values="probability", aggfunc="first"
    )
    levels = history.pivot_table(
        index="staff_id", columns="week_start", values="level", aggfunc="first"
    )
    before_high = _ever_high_before(engine, week, model_version_id)
    earlier = week - timedelta(weeks=RISING_WEEKS - 1)
    alerts = []
    for staff_id, row in now.iterrows():
        found: list[tuple[str, str]] = []
        if row["level"] == "high" and staff_id not in before_high:
            found.append(("first_high", "at high risk for the first time"))
        streak = _streak(levels, staff_id, week)
        if streak == SUSTAINED_WEEKS:
            reason = f"moderate or high risk for {SUSTAINED_WEEKS} weeks running"
            found.append(("sustained", reason))
        start = by_week.loc[staff_id].get(earlier) if staff_id in by_week.index else None
        if start is not None and pd.notna(start) and row["probability"] - start >= RISING_BY:
            rise = row["probability"] - start
            found.append(("rising_fast", f"risk rose by {rise:.0%} over {RISING_WEEKS} weeks"))
        drivers = row["drivers"] or []
        because = ", ".join(d["driver"] for d in drivers)
        for rule, reason in found:
            alerts.append(
                {
                    "staff_id": int(staff_id),
                    "unit": row["unit"],
                    "subject": f"staff:{int(staff_id)}",
                    "week_start": week,
                    "rule": rule,
                    "level": row["level"],
                    "reason": reason + (f", mainly from {because}" if because else ""),
                    "suggested_action": suggested_actions(drivers),
                }
            )
    return alerts


def unit_alerts(engine: Engine, settings: Settings, week: date, model_version_id: int) -> list:
    """Alerts for units whose share at high risk is well above their own recent past."""
    history = _history(engine, week, model_version_id, UNIT_BASELINE_WEEKS)
    if history.empty:
        return []
    shares = history.groupby(["unit", "week_start"]).agg(
        people=("staff_id", "nunique"), high=("level", lambda s: int((s == "high").sum()))
    )
    shares["share"] = shares["high"] / shares["people"]
    alerts = []
    for unit, weeks in shares.groupby(level="unit"):
        weeks = weeks.droplevel("unit")
        if week not in weeks.index:
            continue
        current = weeks.loc[week]
        past = weeks[weeks.index < week]
        if current["people"] < settings.min_group_size or len(past) < 2:
            continue
        baseline = float(past["share"].mean())
        if current["share"] - baseline >= UNIT_EXCESS:
            alerts.append(
                {
                    "staff_id": None,
                    "unit": unit,
                    "subject": f"unit:{unit}",
                    "week_start": week,
                    "rule": "unit_high_share",
                    "level": "high",
                    "reason": (
                        f"{current['share']:.0%} of the {int(current['people'])} staff scored "
                        f"this week are at high risk, against {baseline:.0%} over the previous "
                        f"{len(past)} weeks"
                    ),
                    "suggested_action": (
                        "look at workload and staffing across the unit; offer a team debrief; "
                        + suggested_actions()
                    ),
                }
            )
    return alerts


def evaluate_week(
    engine: Engine, settings: Settings, week: date, model_version_id: int
) -> list[dict]:
    """Raise (or refresh) the week's alerts; returns them."""
    alerts = person_alerts(engine, week, model_version_id)
    alerts += unit_alerts(engine, settings, week, model_version_id)
    if alerts:
        rows = pd.DataFrame(alerts)
        keys = ("subject", "week_start", "rule")
        write_transaction(
            engine,
            lambda connection: db.upsert(connection, db.alert, rows, keys),
            f"raising the alerts of the week of {week}",
        )
    return alerts


def weeks_without_alerts(
    engine: Engine, model_version_id: int, week: date | None = None
) -> list[date]:
    """Weeks scored by the model (or just `week`) that have no alert yet, in order.

    Scores and alerts are written one after the other, so a run stopped between the two leaves
    such a week; a week whose people simply raised no alert is listed too, and looked at again.
    """
    scored = select(db.weekly_risk.c.week_start).where(
        db.weekly_risk.c.model_version_id == model_version_id
    )
    alerted = select(db.alert.c.week_start)
    if week is not None:
        scored = scored.where(db.weekly_risk.c.week_start == week)
        alerted = alerted.where(db.alert.c.week_start == week)
    with engine.connect() as connection:
        return list(connection.execute(scored.except_(alerted).order_by("week_start")).scalars())


def acknowledge(engine: Engine, alert_id: int) -> datetime:
    """Mark an alert as seen and acted on; a second acknowledgement keeps the first time."""

    def mark(connection) -> datetime:
        found = connection.execute(
            select(db.alert.c.acknowledged_at).where(db.alert.c.id == alert_id)
        ).first()
        if found is None:
            raise NotFound(f"no alert with id {alert_id}")
        if found.acknowledged_at is not None:
            return found.acknowledged_at
        stamp = datetime.now(UTC)
        connection.execute(
            update(db.alert).where(db.alert.c.id == alert_id).values(acknowledged_at=stamp)
        )
        return stamp

    return write_transaction(engine, mark, f"acknowledging alert {alert_id}")
