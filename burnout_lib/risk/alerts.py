"""Alerts from weekly risk: who, or which unit, needs attention this week, why, and what may help.

Rules for a person:
- `first_high`: at high risk for the first time (under any model version);
- `sustained`: moderate or high for 3 weeks running;
- `rising_fast`: the early-warning probability up by 30 percentage points or more over 4 weeks;
- `checkin_high`: their own check-in is in the high or severe range (75 or more), raised when
  the check-in is stored (`raise_checkin_alerts`), not at the weekly run; closed again if they
  change that week's answers to below 75 before anyone acknowledged it;
- `reminder`: still in the burnout range (high risk, or their own check-in at 50 or more) every
  4 weeks running while their alert is open and nobody has acknowledged it.
A person's alert stays open until someone acknowledges it or their level falls back to low (the
week it fell back is stored as `resolved_week`); while it is open no new alert repeats it, only
reminders, and once acknowledged nothing more is raised until the run of moderate or high weeks
ends. A person's weeks are read across model versions (the scoring model's row first), so a
new model never re-announces "high for the first time" for someone high for months.

For a unit, `unit_high_share`: its share of staff at high risk is 10 percentage points or more
above its own previous 8 weeks (units below the privacy floor are never alerted on).

Suggested actions come from what healthcare workers themselves reported as helpful (Shechter et al.
2020) and from the person's main risk drivers. Alerts are upserts on (subject, week, rule), so
re-running a week never duplicates them, and an acknowledgement is kept.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pandas as pd
from sqlalchemy import func, select, update
from sqlalchemy.engine import Connection, Engine

from burnout_lib.config import Settings
from burnout_lib.errors import NotFound
from burnout_lib.risk.advice import (
    URGENT_ACTION,
    URGENT_SCORE,
    driver_phrases,
    for_occupational_health,
)
from burnout_lib.sources.instruments import level as cbi_band
from burnout_lib.store import db
from burnout_lib.store.transactions import write_transaction

SUSTAINED_WEEKS = 3
RISING_WEEKS = 4
RISING_BY = 0.30
REMINDER_WEEKS = 4
#: How far back a run of weeks in the burnout range is followed, for reminders.
LOOKBACK_WEEKS = 52
UNIT_BASELINE_WEEKS = 8
UNIT_EXCESS = 0.10
CHECKIN_HIGH = "checkin_high"


def suggested_actions(drivers: list[dict] | None = None) -> str:
    """What occupational health may do for a person, as an alert states it: one line."""
    return "; ".join(for_occupational_health(drivers))


def _history(
    engine: Engine, week: date, model_version_id: int, weeks: int, alerted_only: bool = False
) -> pd.DataFrame:
    """Everyone's weeks `week - weeks`..`week` (with `alerted_only`, only people who have had an
    alert), one row per person and week: the scoring model's row where it scored that week, else
    the newest other model's."""
    first = week - timedelta(weeks=weeks)
    risk = db.weekly_risk
    query = (
        select(
            risk.c.staff_id,
            risk.c.week_start,
            risk.c.model_version_id,
            risk.c.probability,
            risk.c.level,
            risk.c.checkin_score,
            risk.c.drivers,
            db.staff.c.unit,
        )
        .join(db.staff)
        .where(risk.c.week_start >= first, risk.c.week_start <= week)
    )
    if alerted_only:
        query = query.where(
            risk.c.staff_id.in_(select(db.alert.c.staff_id).where(db.alert.c.staff_id.is_not(None)))
        )
    with engine.connect() as connection:
        frame = pd.read_sql(query, connection)
    frame["week_start"] = pd.to_datetime(frame["week_start"]).dt.date
    frame["this_model"] = frame["model_version_id"] == model_version_id
    frame = frame.sort_values(["this_model", "model_version_id"], ascending=False)
    return frame.drop_duplicates(["staff_id", "week_start"]).reset_index(drop=True)


def _ever_high_before(engine: Engine, week: date) -> set[int]:
    """People at high risk in any week before `week`, under any model version."""
    query = select(db.weekly_risk.c.staff_id).where(
        db.weekly_risk.c.week_start < week, db.weekly_risk.c.level == "high"
    )
    with engine.connect() as connection:
        return set(connection.execute(query.distinct()).scalars())


def _open_before(engine: Engine, week: date) -> pd.DataFrame:
    """People's alerts raised before `week` (or, for their own check-in, in it) and still open
    in it: `staff_id`, `week_start`."""
    alert = db.alert
    query = select(alert.c.staff_id, alert.c.week_start).where(
        alert.c.staff_id.is_not(None),
        (alert.c.week_start < week)
        | ((alert.c.week_start == week) & (alert.c.rule == CHECKIN_HIGH)),
        alert.c.acknowledged_at.is_(None),
        (alert.c.resolved_week.is_(None)) | (alert.c.resolved_week > week),
    )
    with engine.connect() as connection:
        return pd.read_sql(query, connection)


def _last_acknowledged(engine: Engine, week: date) -> dict[int, date]:
    """Per person, the week of their latest acknowledged alert up to `week`."""
    alert = db.alert
    query = (
        select(alert.c.staff_id, func.max(alert.c.week_start))
        .where(
            alert.c.staff_id.is_not(None),
            alert.c.week_start <= week,
            alert.c.acknowledged_at.is_not(None),
        )
        .group_by(alert.c.staff_id)
    )
    with engine.connect() as connection:
        return {staff_id: _as_date(day) for staff_id, day in connection.execute(query)}


def _as_date(value) -> date:
    return pd.Timestamp(value).date()


def _handled(acknowledged_week: date | None, levels: pd.Series, week: date) -> bool:
    """True when an alert raised during the person's current run of moderate or high weeks has
    been acknowledged."""
    if acknowledged_week is None:
        return False
    run = _run(levels, week, LOOKBACK_WEEKS, lambda v: v in ("moderate", "high"))
    return run > 0 and acknowledged_week >= week - timedelta(weeks=run - 1)


def _is_true(value) -> bool:
    return value is not None and not pd.isna(value) and bool(value)


def _run(row: pd.Series, week: date, weeks: int, inside) -> int:
    """Weeks in a row, ending with `week`, whose history cell passes `inside` (at most `weeks`)."""
    run = 0
    for k in range(weeks):
        if inside(row.get(week - timedelta(weeks=k))):
            run += 1
        else:
            break
    return run


def person_alerts(engine: Engine, week: date, model_version_id: int) -> list[dict]:
    """Alerts for people in the week: first high, sustained, rising fast; or, while an alert of
    theirs is open, a reminder every few weeks they stay in the burnout range."""
    # long runs matter only for people with an alert (reminders, acknowledged runs); for everyone
    # else the rules look back at most RISING_WEEKS
    recent = _history(engine, week, model_version_id, RISING_WEEKS)
    alerted = _history(engine, week, model_version_id, LOOKBACK_WEEKS, alerted_only=True)
    history = pd.concat(
        [alerted, recent[~recent["staff_id"].isin(alerted["staff_id"])]], ignore_index=True
    )
    now = history[(history["week_start"] == week) & history["this_model"]].set_index("staff_id")
    if now.empty:
        return []
    same_model = history[history["this_model"]]
    by_week = same_model.pivot_table(
        index="staff_id", columns="week_start", values="probability", aggfunc="first"
    )
    levels = history.pivot(index="staff_id", columns="week_start", values="level")
    in_range = history.assign(
        in_range=(history["level"] == "high") | (history["checkin_score"] >= 50)
    ).pivot(index="staff_id", columns="week_start", values="in_range")
    before_high = _ever_high_before(engine, week)
    open_now = set(_open_before(engine, week)["staff_id"])
    acknowledged = _last_acknowledged(engine, week)
    earlier = week - timedelta(weeks=RISING_WEEKS - 1)
    alerts = []
    for staff_id, row in now.iterrows():
        found: list[tuple[str, str]] = []
        if staff_id in open_now:
            run = _run(in_range.loc[staff_id], week, LOOKBACK_WEEKS, _is_true)
            started = week - timedelta(weeks=run - 1)
            seen = acknowledged.get(staff_id)
            if run and run % REMINDER_WEEKS == 0 and (seen is None or seen < started):
                reason = (
                    f"in the burnout range for {run} weeks running; the alert has not been "
                    "acknowledged yet"
                )
                found.append(("reminder", reason))
        elif _handled(acknowledged.get(staff_id), levels.loc[staff_id], week):
            pass  # someone acknowledged an alert of this run already: it is being looked after
        else:
            if row["level"] == "high" and staff_id not in before_high:
                found.append(("first_high", "at high risk for the first time"))
            run = _run(
                levels.loc[staff_id], week, SUSTAINED_WEEKS + 1, lambda v: v in ("moderate", "high")
            )
            if run == SUSTAINED_WEEKS:  # raised once, when the run reaches it
                reason = f"moderate or high risk for {SUSTAINED_WEEKS} weeks running"
                found.append(("sustained", reason))
            start = by_week.loc[staff_id].get(earlier) if staff_id in by_week.index else None
            if start is not None and pd.notna(start) and row["probability"] - start >= RISING_BY:
                rise = (row["probability"] - start) * 100
                reason = (
                    f"the early-warning probability rose by {rise:.0f} percentage points over "
                    f"{RISING_WEEKS} weeks"
                )
                found.append(("rising_fast", reason))
        drivers = row["drivers"] or []
        because = driver_phrases(drivers) if drivers else ""
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


def raise_checkin_alerts(connection: Connection, checkins: pd.DataFrame) -> int:
    """Inside the transaction that stored `checkins` (`staff_id`, `week_start`, `score`): alert
    occupational health at once to each check-in in the high or severe range, unless that
    person's earlier such alert is still open; close a week's unacknowledged one whose answers
    were changed to below it. Returns how many alerts were raised or refreshed."""
    rows = checkins.dropna(subset=["score"])
    if rows.empty:
        return 0
    alert = db.alert
    urgent = rows[rows["score"] >= URGENT_SCORE]
    for row in rows[rows["score"] < URGENT_SCORE].itertuples():
        connection.execute(
            update(alert)
            .where(
                alert.c.subject == f"staff:{int(row.staff_id)}",
                alert.c.week_start == row.week_start,
                alert.c.rule == CHECKIN_HIGH,
                alert.c.acknowledged_at.is_(None),
                alert.c.resolved_week.is_(None),
            )
            .values(resolved_week=row.week_start)
        )
    if urgent.empty:
        return 0
    ids = [int(i) for i in urgent["staff_id"]]
    units = dict(
        connection.execute(
            select(db.staff.c.id, db.staff.c.unit).where(db.staff.c.id.in_(ids))
        ).all()
    )
    still_open = {
        (int(staff_id), _as_date(week))
        for staff_id, week in connection.execute(
            select(alert.c.staff_id, alert.c.week_start).where(
                alert.c.staff_id.in_(ids),
                alert.c.rule == CHECKIN_HIGH,
                alert.c.acknowledged_at.is_(None),
                alert.c.resolved_week.is_(None),
            )
        )
    }
    raised = []
    for row in urgent.itertuples():
        staff_id, week = int(row.staff_id), _as_date(row.week_start)
        if any(who == staff_id and earlier < week for who, earlier in still_open):
            continue  # no repeat while their earlier one is open: reminders follow it
        band = cbi_band(pd.Series([float(row.score)])).iloc[0]
        raised.append(
            {
                "staff_id": staff_id,
                "unit": units.get(staff_id),
                "subject": f"staff:{staff_id}",
                "week_start": week,
                "rule": CHECKIN_HIGH,
                "level": "high",
                "reason": f"their own check-in this week scored {float(row.score):.0f}, in the "
                f"{band} burnout range",
                "suggested_action": f"{URGENT_ACTION}; {suggested_actions()}",
                "resolved_week": None,  # answered below it earlier this week, and now again above
            }
        )
    if raised:
        db.upsert(connection, alert, pd.DataFrame(raised), ("subject", "week_start", "rule"))
    return len(raised)


def resolve_fallen_back(engine: Engine, week: date, model_version_id: int) -> int:
    """Close the open alerts of people whose level fell back to low in `week`; how many.

    Re-running a week, or running weeks out of order, keeps the earliest week it fell back."""
    low = select(db.weekly_risk.c.staff_id).where(
        db.weekly_risk.c.week_start == week,
        db.weekly_risk.c.model_version_id == model_version_id,
        db.weekly_risk.c.level == "low",
    )
    alert = db.alert
    change = (
        update(alert)
        .where(
            alert.c.staff_id.in_(low),
            alert.c.week_start < week,
            alert.c.acknowledged_at.is_(None),
            (alert.c.resolved_week.is_(None)) | (alert.c.resolved_week > week),
        )
        .values(resolved_week=week)
    )
    return write_transaction(
        engine,
        lambda connection: connection.execute(change).rowcount,
        f"closing the alerts resolved in the week of {week}",
    )


def unit_alerts(engine: Engine, settings: Settings, week: date, model_version_id: int) -> list:
    """Alerts for units whose share at high risk is well above their own recent past."""
    history = _history(engine, week, model_version_id, UNIT_BASELINE_WEEKS)
    history = history[history["this_model"]]
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
    """Close the alerts the week resolved, then raise (or refresh) the week's alerts; returns
    the week's alerts."""
    resolve_fallen_back(engine, week, model_version_id)
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
