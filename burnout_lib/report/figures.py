"""The weekly report: what occupational health and unit leads read each Monday.

`weekly_report` gathers one week's figures (hospital-wide, or one unit by role) from the grouped
counts of `burnout_lib.readouts.views`, suppressed like the dashboard's.
`notebooks/weekly_report.ipynb` presents them; `burnout_lib.report.runner` runs that notebook
with papermill and archives it.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path

import pandas as pd
from sqlalchemy import and_, select
from sqlalchemy.engine import Connection

from burnout_lib.errors import InvalidInput, NotFound
from burnout_lib.privacy.suppression import ALL, TOTAL
from burnout_lib.readouts import views
from burnout_lib.sources import survey
from burnout_lib.store import db

#: What may help, per kind of alert, for readers who see counts rather than people.
RULE_ACTIONS: dict[str, str] = {
    "first_high": "a confidential conversation with occupational health, offered by a trusted "
    "colleague",
    "sustained": "review rota, rest between shifts and protected breaks with the person",
    "rising_fast": "an early, voluntary check-in before it becomes a crisis",
    "checkin_high": "contact the person in confidence within one working day: offer support "
    "and the employee assistance programme, and check their safety",
    "reminder": "follow up the open alert: offer the conversation with occupational health again",
}
OPEN_ALERT_WEEKS = 3
#: How many weeks the report's trends look back, this week included.
TREND_WEEKS = 8


def last_scored_week(connection: Connection, today: date | None = None) -> date:
    """The latest finished week the live model has scored: what a report is about when no week
    is named. The week in progress holds only the few people who checked in so far."""
    version = views.live_scored_model(connection)
    weeks = views.scored_weeks(connection, version) if version is not None else []
    finished = [week for week in weeks if not views.in_progress(week, today)]
    if not finished:
        said = " (only the week in progress so far)" if weeks else ""
        raise NotFound(
            f"no finished week has been scored yet{said}: name one with `week`, or score one "
            "with `burnout score --week YYYY-MM-DD`"
        )
    return finished[-1]


@dataclass
class WeeklyReport:
    """One week's figures for the report, already suppressed."""

    week: date
    unit: str | None
    floor: int
    model: dict
    #: this week and last: staff scored, at each level, high share (NA where hidden)
    headline: pd.DataFrame
    #: groups (units, or roles of the unit) × levels, total, high share, completion, with "all"
    groups: pd.DataFrame
    #: new alerts this week, and open ones from the previous weeks (people or counts)
    new_alerts: pd.DataFrame
    open_alerts: pd.DataFrame
    #: anonymous edition only: weeks × groups, the share at high risk over the last
    #: TREND_WEEKS weeks (NA where hidden)
    trend: pd.DataFrame | None
    unit_alerts: list[str]
    benchmark: dict | None
    burnout_rate: float | None
    data_hash: str
    show_pseudonyms: bool
    #: units left out of the hospital's figures this week for having fewer people than the floor
    small_units: int = 0
    #: named edition only: one row per person with a new or open alert, their risk levels over
    #: the last TREND_WEEKS weeks (oldest first, None where unscored) and what may help
    people: pd.DataFrame = field(default_factory=pd.DataFrame)

    @property
    def scope(self) -> str:
        return self.unit or "the whole hospital"


def weekly_report(
    connection: Connection,
    week: date,
    floor: int,
    unit: str | None = None,
    model_version_id: int | None = None,
    show_pseudonyms: bool = False,
) -> WeeklyReport:
    """Gather the week's report; NotFound when the week has no scores."""
    model_version_id = model_version_id or views.live_scored_model(connection)
    if model_version_id is None:
        raise NotFound("no weeks have been scored yet: run `burnout score` first")
    if unit is not None and unit not in views.all_units(connection):
        raise NotFound(f"no unit called {unit!r}")
    if floor < 3:
        raise InvalidInput(f"the privacy floor is {floor}; it can never be below 3 people")
    previous = week - timedelta(weeks=1)
    everyone = views.teams(connection)
    # one read for the trend's weeks; this week and last are the part the tables use
    history = views.level_counts(
        connection, week - timedelta(weeks=TREND_WEEKS - 1), week, model_version_id
    )
    risk = history[history["week_start"].map(views.as_date) >= previous].reset_index(drop=True)
    this_week = risk[risk["week_start"] == week]
    if this_week[this_week["unit"] == unit].empty if unit else this_week.empty:
        where = f" in {unit}" if unit else ""
        raise NotFound(
            f"no scores for the week of {week}{where} (model version {model_version_id})"
        )
    answers = views.checkin_counts(connection, week, week)
    alerted = views.alert_counts(connection, week)

    def scope(table: pd.DataFrame) -> pd.DataFrame:
        """The rows this report shows: the unit's roles, or every unit; then their "all" row."""
        if unit is not None:
            return table.xs(unit, level=0)
        return table[table.index.get_level_values(1) == ALL].droplevel(1)

    tables = {
        day: scope(views.hospital_table(connection, risk, day, everyone, db.RISK_LEVELS, floor))
        for day in (previous, week)
    }
    heads = views.by_team(risk, week, everyone, db.RISK_LEVELS).sum(axis=1)
    checkins = scope(
        views.hospital_table(connection, answers, week, everyone, views.CHECKIN_CATEGORIES, floor)
    )
    alert_table = scope(views.alert_table(connection, alerted, risk, week, everyone, floor))
    groups = [g for g in tables[week].index if g != ALL]
    unit_sizes = heads.groupby(level=0).sum()
    small_units = 0 if unit else int(((unit_sizes > 0) & (unit_sizes < floor)).sum())
    headline = pd.DataFrame({day: table.loc[ALL] for day, table in tables.items()}).T
    headline["high share"] = _share(headline["high"], headline[TOTAL])

    table = tables[week].copy()
    table["high share"] = _share(table["high"], table[TOTAL])
    answered = checkins[TOTAL] - checkins["not answered"]
    table["check-ins answered"] = answered
    table["consenting"] = checkins[TOTAL]
    table["completion"] = _share(answered, checkins[TOTAL])

    answered_all = checkins.loc[ALL, "burnt out"] + checkins.loc[ALL, "not burnt out"]
    rate = _share(pd.Series([checkins.loc[ALL, "burnt out"]]), pd.Series([answered_all]))[0]
    new, still_open = _alerts(connection, unit, week, model_version_id, show_pseudonyms)
    if show_pseudonyms:  # each person's levels over the weeks instead of the groups' trend
        people, trend = _people(connection, new, still_open, week, model_version_id), None
    else:
        people, trend = pd.DataFrame(), _trend(connection, history, everyone, floor, scope)
        new = _alert_count_table(alert_table)
        still_open = _open_count_table(connection, still_open, everyone, floor, unit)
    # a unit alert tells a unit's high-risk figures: named only where those are shown
    if unit is not None:
        shown_units = [unit] if views.unit_alerts_shown(tables[week].loc[ALL]) else []
    else:
        shown_units = [g for g in groups if views.unit_alerts_shown(tables[week].loc[g])]
    unit_alerts = _unit_alert_names(connection, week, shown_units)
    digest = hashlib.sha256()
    for frame in (risk, answers, alerted):
        digest.update(frame.sort_values(list(frame.columns)).to_csv(index=False).encode())
    return WeeklyReport(
        week=week,
        unit=unit,
        floor=floor,
        model=_model(connection, model_version_id),
        headline=headline,
        groups=table,
        new_alerts=new,
        open_alerts=still_open,
        trend=trend,
        unit_alerts=unit_alerts,
        benchmark=_benchmark(unit),
        burnout_rate=None if pd.isna(rate) else float(rate),
        data_hash=digest.hexdigest(),
        show_pseudonyms=show_pseudonyms,
        small_units=small_units,
        people=people,
    )


def _trend(
    connection: Connection,
    history: pd.DataFrame,
    everyone: list,
    floor: int,
    scope: Callable[[pd.DataFrame], pd.DataFrame],
) -> pd.DataFrame:
    """The share at high risk per group for each of the last weeks, from the same suppressed
    tables the dashboard shows for those weeks (NA where hidden). `history`: the level counts of
    those weeks."""
    weeks = sorted({views.as_date(day) for day in history["week_start"]})
    shares = {}
    for day in weeks:
        table = scope(views.hospital_table(connection, history, day, everyone, db.RISK_LEVELS,
                                           floor))  # fmt: skip
        shares[day] = _share(table["high"], table[TOTAL])
    return pd.DataFrame(shares).T.rename_axis("week")


def _people(
    connection: Connection,
    new: pd.DataFrame,
    still_open: pd.DataFrame,
    week: date,
    model_version_id: int,
) -> pd.DataFrame:
    """One row per person alerted (named edition): their alerts, since when, their levels over
    the last weeks, and what may help."""
    alerts = pd.concat([new.assign(raised=week), still_open], ignore_index=True)
    if alerts.empty:
        return pd.DataFrame(columns=["pseudonym", "unit", "alerts", "since", "levels"])
    first = week - timedelta(weeks=TREND_WEEKS - 1)
    risk, staff = db.weekly_risk, db.staff
    found = connection.execute(
        select(staff.c.pseudonym, risk.c.week_start, risk.c.level)
        .join(staff, staff.c.id == risk.c.staff_id)
        .where(
            staff.c.pseudonym.in_(sorted(set(alerts["pseudonym"]))),
            risk.c.model_version_id == model_version_id,
            risk.c.week_start.between(first, week),
        )
    ).all()
    level = {(row.pseudonym, views.as_date(row.week_start)): row.level for row in found}
    days = [first + timedelta(weeks=k) for k in range(TREND_WEEKS)]
    rows = []
    for pseudonym, theirs in alerts.groupby("pseudonym", sort=False):
        theirs = theirs.sort_values("raised")
        rows.append({
            "pseudonym": pseudonym,
            "unit": theirs["unit"].iloc[0],
            "alerts": list(zip(theirs["alert"], theirs["raised"], theirs["what may help"],
                               strict=True)),
            "since": theirs["raised"].min(),
            "levels": [level.get((pseudonym, day)) for day in days],
        })  # fmt: skip
    return pd.DataFrame(rows).sort_values(["since", "unit", "pseudonym"], ignore_index=True)


def _share(part: pd.Series, whole: pd.Series) -> pd.Series:
    part, whole = part.astype("Float64"), whole.astype("Float64")
    return (part / whole.where(whole > 0)).astype("Float64")


def _alerts(
    connection: Connection, unit: str | None, week: date, model_version_id: int, named: bool
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """This week's personal alerts, and those from the previous weeks still open (nobody has
    acknowledged them and the person's level has not fallen back): named rows for `unit` (or
    everyone), or all rows to count."""
    alert, staff, risk = db.alert, db.staff, db.weekly_risk
    query = (
        select(
            alert.c.week_start,
            staff.c.pseudonym,
            staff.c.unit,
            staff.c.role,
            alert.c.rule,
            alert.c.reason,
            alert.c.suggested_action,
            alert.c.acknowledged_at.is_not(None).label("acknowledged"),
            alert.c.resolved_week,
            risk.c.level.label("level_now"),
        )
        .join(staff, staff.c.id == alert.c.staff_id)
        .outerjoin(
            risk,
            and_(
                risk.c.staff_id == alert.c.staff_id,
                risk.c.week_start == week,
                risk.c.model_version_id == model_version_id,
            ),
        )
        .where(alert.c.week_start.between(week - timedelta(weeks=OPEN_ALERT_WEEKS), week))
        .order_by(staff.c.unit, staff.c.pseudonym, alert.c.rule)
    )
    rows = pd.DataFrame(
        connection.execute(query).all(), columns=list(query.selected_columns.keys())
    )
    rows["week_start"] = rows["week_start"].map(views.as_date)
    rows["alert"] = rows["rule"].map(views.RULE_NAMES)
    new = rows[rows["week_start"] == week]
    resolved = rows["resolved_week"].map(lambda day: None if pd.isna(day) else views.as_date(day))
    still_open = rows[
        (rows["week_start"] < week)
        & ~rows["acknowledged"].astype(bool)
        & resolved.map(lambda day: day is None or day > week)
    ].drop_duplicates(["pseudonym", "rule"])
    if not named:  # counted over the whole hospital, as every suppressed table is
        return new, still_open
    if unit is not None:
        new, still_open = new[new["unit"] == unit], still_open[still_open["unit"] == unit]
    columns = ["pseudonym", "unit", "alert", "reason", "suggested_action"]
    renamed = {"suggested_action": "what may help"}
    return (
        new[columns].rename(columns=renamed).reset_index(drop=True),
        still_open[["week_start", *columns]]
        .rename(columns={**renamed, "week_start": "raised"})
        .reset_index(drop=True),
    )


def _alert_count_table(table: pd.DataFrame) -> pd.DataFrame:
    """People alerted this week by kind, hospital- or unit-wide, with what may help."""
    totals = table.loc[ALL].drop(TOTAL)
    return pd.DataFrame(
        {
            "alert": [views.RULE_NAMES[rule] for rule in totals.index],
            "people": totals.to_numpy(),
            "what may help": [RULE_ACTIONS[rule] for rule in totals.index],
        }
    )


def _open_count_table(
    connection: Connection, rows: pd.DataFrame, everyone: list, floor: int, unit: str | None
) -> pd.DataFrame:
    staff = views.staff_counts(connection, everyone)
    table = views.open_alert_table(connection, rows, everyone, staff, floor)
    return _alert_count_table(table.loc[(unit or ALL, ALL)].to_frame().T.set_axis([ALL]))


def _unit_alert_names(connection: Connection, week: date, units: list[str]) -> list[str]:
    query = select(db.alert.c.unit).where(
        db.alert.c.rule == "unit_high_share",
        db.alert.c.week_start == week,
        db.alert.c.unit.in_(units),
    )
    return sorted(connection.execute(query).scalars())


def _model(connection: Connection, model_version_id: int) -> dict:
    row = (
        connection.execute(
            select(db.model_version).where(db.model_version.c.id == model_version_id)
        )
        .mappings()
        .one()
    )
    card = row["metrics"] or {}
    metrics = card.get("metrics", {})
    window = row["data_window"] or {}
    return {
        "id": model_version_id,
        "name": row["name"],
        "trained_at": str(row["trained_at"])[:10],
        "threshold": row["threshold"],
        "recall": metrics.get("recall"),
        "precision": metrics.get("precision"),
        "weeks_labelled": window.get("weeks_labelled"),
        "people": window.get("people"),
        "horizon_weeks": row["horizon_weeks"],
        "channels": card.get("channels"),
    }


def _benchmark(unit: str | None) -> dict | None:
    """The NHS rate for the unit's comparable trust type; acute trusts for a whole hospital."""
    return views.nhs_reference(survey.UNIT_BENCHMARK.get(unit) if unit else "Acute")


def record(report: WeeklyReport, parameters: dict) -> dict:
    """What a run read and with which settings, for the archive."""
    return {
        "week": report.week.isoformat(),
        "unit": report.unit,
        "parameters": {k: v for k, v in parameters.items() if k != "db_url"},
        "model_version": report.model["id"],
        "model_name": report.model["name"],
        "data_sha256": report.data_hash,
    }


def write_record(folder: str, report: WeeklyReport, parameters: dict) -> None:
    """Save the run record as `record.json` in `folder`."""
    path = Path(folder) / "record.json"
    path.write_text(json.dumps(record(report, parameters), indent=2, sort_keys=True))
