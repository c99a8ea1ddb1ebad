"""The numbers behind the dashboard and the weekly report: one person's weeks, or one team's.

Every aggregate is computed by the database (grouped, filtered on indexed columns), so a page
reads a few hundred rows whatever the size of the hospital. Team figures go through
`suppression.suppress_nested` before anyone sees them, and never carry a pseudonym.

The functions a page calls take the signed-in `Viewer` first and refuse what that viewer's role
does not allow (`privacy.access`), so no page can show more than its reader may see.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, field
from datetime import date, timedelta

import numpy as np
import pandas as pd
from sqlalchemy import and_, case, func, literal, select
from sqlalchemy.engine import Connection, Engine
from tqdm.auto import tqdm

from burnout_lib.emotions import FATIGUE, PROTECTIVE, slug, summary_column
from burnout_lib.errors import NotFound
from burnout_lib.privacy import access, consent, published
from burnout_lib.privacy.accounts import STAFF, Viewer
from burnout_lib.privacy.suppression import ALL, TOTAL
from burnout_lib.risk.advice import driver_phrases
from burnout_lib.risk.features import BASELINE_WEEKS
from burnout_lib.sources import survey
from burnout_lib.sources.instruments import BURNOUT_CUTOFF
from burnout_lib.sources.instruments import level as cbi_band
from burnout_lib.store import db

#: Weeks of history a view shows, ending with the chosen week.
WINDOW_WEEKS = 12
#: Plain names of the alert rules.
RULE_NAMES: dict[str, str] = {
    "first_high": "high risk for the first time",
    "sustained": "moderate or high for 3 weeks running",
    "rising_fast": "risk rising fast",
    "checkin_high": "own check-in in the high or severe range",
    "reminder": "still in the burnout range, alert not yet acknowledged",
    "unit_high_share": "unit's share at high risk well above usual",
}
CHECKIN_CATEGORIES = ("burnt out", "not burnt out", "not answered")

#: Categories no group may be seen to be entirely in (rule 3 of `privacy.suppression`); alerts:
#: each kind.
SENSITIVE = {
    db.RISK_LEVELS: [("moderate",), ("high",), ("moderate", "high")],
    CHECKIN_CATEGORIES: [("burnt out",)],
}


# --- What there is to look at ----------------------------------------------------------------


def live_scored_model(connection: Connection) -> int | None:
    """The live model version, once it has scored anyone (the one views show)."""
    return db.live_model_id(connection, scored=True)


def scored_weeks(connection: Connection, model_version_id: int) -> list[date]:
    """Weeks with scores from this model, oldest first."""
    query = (
        select(db.weekly_risk.c.week_start)
        .where(db.weekly_risk.c.model_version_id == model_version_id)
        .group_by(db.weekly_risk.c.week_start)
        .order_by(db.weekly_risk.c.week_start)
    )
    return [as_date(week) for week in connection.execute(query).scalars()]


def in_progress(week: date, today: date | None = None) -> bool:
    """True while the week has not ended: it holds only the people who checked in so far
    (scored as they answered), not yet everyone's week."""
    return week + timedelta(days=7) > (today or date.today())


def last_finished(weeks: list[date] | set[date], today: date | None = None) -> date | None:
    """The latest of `weeks` that has ended: what team views and reports open on. Only when no
    week has ended yet, the week in progress."""
    finished = [week for week in weeks if not in_progress(week, today)]
    return max(finished or weeks, default=None)


def checkin_weeks(connection: Connection) -> list[date]:
    """Weeks with any check-in, oldest first (a week may have data before it is scored)."""
    query = (
        select(db.checkin.c.week_start)
        .group_by(db.checkin.c.week_start)
        .order_by(db.checkin.c.week_start)
    )
    return [as_date(week) for week in connection.execute(query).scalars()]


def all_units(connection: Connection) -> list[str]:
    """Every unit with staff, alphabetically (unit names only: for reports and checks)."""
    query = select(db.staff.c.unit).group_by(db.staff.c.unit).order_by(db.staff.c.unit)
    return list(connection.execute(query).scalars())


def units(connection: Connection, viewer: Viewer) -> list[str]:
    """The units whose team views this viewer may open, alphabetically."""
    return access.visible_units(viewer, all_units(connection))


def roles(connection: Connection, viewer: Viewer, unit: str) -> list[str]:
    """Roles present in a unit the viewer may see, alphabetically."""
    access.require_team(viewer, unit)
    query = (
        select(db.staff.c.role)
        .where(db.staff.c.unit == unit)
        .group_by(db.staff.c.role)
        .order_by(db.staff.c.role)
    )
    return list(connection.execute(query).scalars())


# --- One person ------------------------------------------------------------------------------


@dataclass
class PersonWeeks:
    """One person's recent weeks, ending with the chosen week."""

    pseudonym: str
    unit: str
    role: str
    week: date
    #: week_start, level, probability (the early warning), estimate_probability (weeks without
    #: a check-in), checkin_score, work_score, drivers (plain words; for the reader: "your" on
    #: their own page), driver_list (as stored: driver and effect), measured_band (the CBI
    #: band of their own answer; missing in a week they did not answer)
    log: pd.DataFrame
    #: week_start, fatigue, protective, fatigue_baseline, protective_baseline
    expressions: pd.DataFrame
    #: week_start, rule, level, reason, suggested_action, acknowledged, resolved_week, status
    alerts: pd.DataFrame

    @property
    def this_week(self) -> pd.Series | None:
        """The chosen week's row of the log, or None when the person has no score that week."""
        rows = self.log[self.log["week_start"] == self.week]
        return None if rows.empty else rows.iloc[0]


def person_weeks(
    connection: Connection,
    viewer: Viewer,
    pseudonym: str,
    week: date,
    model_version_id: int,
    weeks: int = WINDOW_WEEKS,
) -> PersonWeeks:
    """A person's risk, check-ins, expression trends and alerts for the weeks up to `week`.

    Only for the person themselves, or occupational health after opening them from an alert.
    """
    access.require_person(connection, viewer, pseudonym)
    person = connection.execute(
        select(db.staff.c.id, db.staff.c.unit, db.staff.c.role).where(
            db.staff.c.pseudonym == pseudonym
        )
    ).first()
    if person is None:
        raise NotFound(f"no staff member with pseudonym {pseudonym!r}")
    first = week - timedelta(weeks=weeks - 1)
    return PersonWeeks(
        pseudonym=pseudonym,
        unit=person.unit,
        role=person.role,
        week=week,
        log=_person_log(
            connection, person.id, first, week, model_version_id, own=viewer.role == STAFF
        ),
        expressions=_person_expressions(connection, person.id, first, week),
        alerts=_person_alerts(connection, person.id, week),
    )


def _person_log(
    connection: Connection,
    staff_id: int,
    first: date,
    last: date,
    model_version_id: int,
    own: bool = False,
) -> pd.DataFrame:
    risk, checkin = db.weekly_risk, db.checkin
    query = (
        select(
            risk.c.week_start,
            risk.c.level,
            risk.c.probability,
            risk.c.estimate_probability,
            checkin.c.score.label("checkin_score"),
            checkin.c.work_score,
            risk.c.drivers,
        )
        .select_from(risk)
        .outerjoin(
            checkin,
            and_(checkin.c.staff_id == risk.c.staff_id, checkin.c.week_start == risk.c.week_start),
        )
        .where(
            risk.c.staff_id == staff_id,
            risk.c.model_version_id == model_version_id,
            risk.c.week_start.between(first, last),
        )
        .order_by(risk.c.week_start)
    )
    log = _read(connection, query)
    log["measured_band"] = cbi_band(log["checkin_score"].astype(float))
    log["driver_list"] = log["drivers"].map(lambda found: list(found or []))
    log["drivers"] = log["driver_list"].map(lambda found: driver_phrases(found, own))
    return log


def _group_mean(columns: tuple[str, ...]):
    summary = db.expression_summary.c
    total = sum((summary[summary_column(slug(name), "mean")] for name in columns), literal(0.0))
    return total / len(columns)


def _person_expressions(
    connection: Connection, staff_id: int, first: date, last: date
) -> pd.DataFrame:
    recording = db.recording
    query = (
        select(
            recording.c.week_start,
            func.avg(_group_mean(FATIGUE)).label("fatigue"),
            func.avg(_group_mean(PROTECTIVE)).label("protective"),
        )
        .join(db.expression_summary)
        .where(
            recording.c.staff_id == staff_id,
            recording.c.week_start <= last,
            recording.c.week_start >= first - timedelta(weeks=BASELINE_WEEKS),
            db.expression_summary.c.frames_used > 0,
        )
        .group_by(recording.c.week_start)
        .order_by(recording.c.week_start)
    )
    frame = _read(connection, query)
    for name in ("fatigue", "protective"):
        frame[name] = frame[name].astype(float)
        # the person's own baseline: the mean of their previous weeks with a recording
        frame[f"{name}_baseline"] = (
            frame[name].shift(1).rolling(BASELINE_WEEKS, min_periods=2).mean()
        )
    return frame[frame["week_start"] >= first].reset_index(drop=True)


def _still_open(alert, week: date):
    """Alerts raised by `week` that nobody had acknowledged and that had not resolved by then."""
    return and_(
        alert.c.week_start <= week,
        alert.c.acknowledged_at.is_(None),
        (alert.c.resolved_week.is_(None)) | (alert.c.resolved_week > week),
    )


def _person_alerts(connection: Connection, staff_id: int, week: date) -> pd.DataFrame:
    """A person's alerts of the last four weeks, and any older one still open."""
    alert = db.alert
    query = (
        select(
            alert.c.week_start,
            alert.c.rule,
            alert.c.level,
            alert.c.reason,
            alert.c.suggested_action,
            alert.c.acknowledged_at.is_not(None).label("acknowledged"),
            alert.c.resolved_week,
        )
        .where(
            alert.c.staff_id == staff_id,
            alert.c.week_start.between(week - timedelta(weeks=3), week) | _still_open(alert, week),
        )
        .order_by(alert.c.week_start.desc(), alert.c.rule)
    )
    return _with_status(_read(connection, query), week)


def _with_status(alerts: pd.DataFrame, week: date) -> pd.DataFrame:
    """Add `status`: acknowledged, resolved in a week, or open and for how long (as of `week`)."""

    def status(row) -> str:
        if row["acknowledged"]:
            return "acknowledged"
        resolved = None if pd.isna(row["resolved_week"]) else as_date(row["resolved_week"])
        if resolved is not None and resolved <= week:
            return f"resolved (week of {resolved:%d %b %Y})"
        weeks = (week - row["week_start"]).days // 7
        return "open since this week" if weeks == 0 else f"open for {weeks} week{'s' * (weeks > 1)}"

    alerts["status"] = alerts.apply(status, axis=1) if not alerts.empty else pd.Series(dtype=str)
    return alerts


# --- One team --------------------------------------------------------------------------------


@dataclass
class TeamWeeks:
    """A unit (or one role in it) over the weeks up to the chosen week, already suppressed.

    Hidden numbers are NA. `shown` is False when the team itself is too small this week (or
    would reveal a smaller group), and then nothing about it may be displayed.
    """

    unit: str
    role: str | None
    week: date
    floor: int
    #: per week: low, moderate, high, total (people scored)
    levels: pd.DataFrame
    #: per week: burnt out, not burnt out, not answered, total (staff consenting to check-ins)
    checkins: pd.DataFrame
    #: this week, per alert rule: people alerted
    alerts: pd.Series
    #: this week's unit-level alerts (reasons), unit view only
    unit_alerts: list[str] = field(default_factory=list)
    #: the published NHS rate for a comparable trust type
    benchmark: dict | None = None

    @property
    def shown(self) -> bool:
        return self.week in self.levels.index and not pd.isna(self.levels.at[self.week, TOTAL])

    @property
    def scored(self) -> int | None:
        return None if not self.shown else int(self.levels.at[self.week, TOTAL])

    @property
    def burnout_rate(self) -> pd.Series:
        """Share of answered check-ins at or above the CBI cut-off, per week (NA where hidden)."""
        answered = self.checkins["burnt out"] + self.checkins["not burnt out"]
        return (self.checkins["burnt out"] / answered).astype("Float64")

    @property
    def estimated(self) -> pd.Series:
        """People scored without a check-in of their own, per week (the model's estimate for a
        week they skipped): staff scored minus check-ins answered, NA where either is hidden
        and, like every shown count, unless it is 0 or at least the floor."""
        answered = (self.checkins[TOTAL] - self.checkins["not answered"]).reindex(self.levels.index)
        found = (self.levels[TOTAL] - answered).astype("Float64")
        return found.where((found == 0) | (found >= self.floor))

    @property
    def completion(self) -> pd.Series:
        """Share of consenting staff who answered, per week (NA where hidden)."""
        total = self.checkins[TOTAL]
        return ((total - self.checkins["not answered"]) / total).astype("Float64")


def team_weeks(
    connection: Connection,
    viewer: Viewer,
    unit: str,
    role: str | None,
    week: date,
    model_version_id: int,
    floor: int,
    weeks: int = WINDOW_WEEKS,
) -> TeamWeeks:
    """Risk levels, check-ins, alerts and benchmark for a unit or one role in it."""
    access.require_team(viewer, unit)
    everyone = teams(connection)
    if unit not in {u for u, _ in everyone}:
        raise NotFound(f"no unit called {unit!r}")
    if role is not None and (unit, role) not in everyone:
        raise NotFound(f"no {role!r} staff in {unit}")
    first = week - timedelta(weeks=weeks - 1)
    row = (unit, role if role is not None else ALL)
    week_index = [first + timedelta(weeks=k) for k in range(weeks)]

    risk = level_counts(connection, first, week, model_version_id)
    answers = checkin_counts(connection, first, week)
    levels, checkins = [], []
    for day in week_index:
        levels.append(
            hospital_table(connection, risk, day, everyone, db.RISK_LEVELS, floor).loc[row]
        )
        checkins.append(
            hospital_table(connection, answers, day, everyone, CHECKIN_CATEGORIES, floor).loc[row]
        )
    alerts = alert_table(connection, alert_counts(connection, week), risk, week, everyone, floor)
    alerts = alerts.loc[row]
    team = TeamWeeks(
        unit=unit,
        role=role,
        week=week,
        floor=floor,
        levels=pd.DataFrame(levels, index=week_index).astype("Int64"),
        checkins=pd.DataFrame(checkins, index=week_index).astype("Int64"),
        alerts=alerts.drop(TOTAL).rename(RULE_NAMES),
    )
    if role is None and unit_alerts_shown(team.levels.loc[week]):
        team.unit_alerts = _unit_alerts(connection, unit, week)
    team.benchmark = nhs_reference(survey.UNIT_BENCHMARK.get(unit))
    return team


def publish_weeks(
    engine: Engine,
    model_version_id: int,
    floor: int,
    weeks: int = WINDOW_WEEKS,
    progress: bool = True,
) -> int:
    """Work out and remember the suppressed team tables (risk levels, check-ins, alerts) of the
    weeks a team view of the latest scored week shows, so its first visit finds them ready.
    Returns how many weeks."""
    with engine.connect() as connection:
        scored = scored_weeks(connection, model_version_id)
        if not scored:
            return 0
        days = [scored[-1] - timedelta(weeks=k) for k in range(weeks - 1, -1, -1)]
        everyone = teams(connection)
        risk = level_counts(connection, days[0], days[-1], model_version_id)
        answers = checkin_counts(connection, days[0], days[-1])
        for day in tqdm(days, desc="team tables", unit="week", disable=not progress):
            hospital_table(connection, risk, day, everyone, db.RISK_LEVELS, floor)
            hospital_table(connection, answers, day, everyone, CHECKIN_CATEGORIES, floor)
            alert_table(connection, alert_counts(connection, day), risk, day, everyone, floor)
    return len(days)


def teams(connection: Connection) -> list[tuple[str, str]]:
    """Every (unit, role) with staff: the rows of the hospital's suppressed tables."""
    query = (
        select(db.staff.c.unit, db.staff.c.role)
        .group_by(db.staff.c.unit, db.staff.c.role)
        .order_by(db.staff.c.unit, db.staff.c.role)
    )
    return [(unit, role) for unit, role in connection.execute(query)]


def by_team(
    counts: pd.DataFrame, day: date | None, everyone: list[tuple[str, str]], categories
) -> pd.DataFrame:
    """One week of `level_counts`/`checkin_counts`/`alert_counts` as (unit, role) × categories."""
    rows = counts[counts["week_start"] == day] if day is not None else counts
    team = {key: i for i, key in enumerate(everyone)}
    column = {category: j for j, category in enumerate(categories)}
    i = np.array(
        [team.get(key, -1) for key in zip(rows["unit"], rows["role"], strict=True)], dtype=int
    )
    j = np.array([column.get(category, -1) for category in rows["category"]], dtype=int)
    known = (i >= 0) & (j >= 0)
    values = np.zeros((len(everyone), len(column)), dtype="int64")
    np.add.at(values, (i[known], j[known]), rows["people"].to_numpy(dtype="int64")[known])
    index = pd.MultiIndex.from_tuples(everyone, names=["unit", "role"])
    return pd.DataFrame(values, index=index, columns=list(categories))


def hospital_table(
    connection: Connection,
    counts: pd.DataFrame,
    day: date | None,
    everyone: list[tuple[str, str]],
    categories,
    floor: int,
    totals: pd.Series | None = None,
    hidden_totals: pd.Series | None = None,
) -> pd.DataFrame:
    """The whole hospital's week, suppressed as one hierarchy (see `suppress_nested`): rows
    (unit, role), (unit, "all") and ("all", "all"). With `totals` (head counts per team) the
    categories may overlap, as alerts do; `hidden_totals` marks the head counts another table
    hides."""
    table = by_team(counts, day, everyone, categories)
    return published.suppressed(
        connection,
        table,
        floor,
        additive=totals is None,
        totals=totals,
        hidden_totals=hidden_totals,
        sensitive=SENSITIVE.get(tuple(categories)),
    )


def alert_table(
    connection: Connection,
    alerted: pd.DataFrame,
    risk: pd.DataFrame,
    week: date,
    everyone: list[tuple[str, str]],
    floor: int,
) -> pd.DataFrame:
    """People with each kind of personal alert (`alert_counts` or any such rows), suppressed
    as one table with the week's risk levels they are about: a team's alerts are counted out of
    the people scored, and that head count stays hidden wherever the levels hide it."""
    heads = by_team(risk, week, everyone, db.RISK_LEVELS).sum(axis=1)
    hidden = hospital_table(connection, risk, week, everyone, db.RISK_LEVELS, floor)[TOTAL].isna()
    return hospital_table(
        connection, alerted, None, everyone, PERSON_RULES, floor, totals=heads, hidden_totals=hidden
    )


def open_alert_table(
    connection: Connection,
    still_open: pd.DataFrame,
    everyone: list[tuple[str, str]],
    staff: pd.Series,
    floor: int,
) -> pd.DataFrame:
    """People with alerts still open from earlier weeks (rows with unit, role, rule), out of
    each team's staff: some of them may not have been scored this week, and a team's size is
    no secret to its manager, so it is taken as known."""
    counts = pd.DataFrame({"unit": still_open["unit"], "role": still_open["role"],
                           "category": still_open["rule"], "people": 1})  # fmt: skip
    known = pd.Series(False, index=staff.index)
    return hospital_table(
        connection, counts, None, everyone, PERSON_RULES, floor, totals=staff, hidden_totals=known
    )


def staff_counts(connection: Connection, everyone: list[tuple[str, str]]) -> pd.Series:
    """People on the staff list per (unit, role)."""
    query = select(db.staff.c.unit, db.staff.c.role, func.count()).group_by(
        db.staff.c.unit, db.staff.c.role
    )
    counts = {(unit, role): int(n) for unit, role, n in connection.execute(query)}
    index = pd.MultiIndex.from_tuples(everyone, names=["unit", "role"])
    return pd.Series([counts.get(team, 0) for team in everyone], index=index, dtype="int64")


def unit_alerts_shown(levels: pd.Series) -> bool:
    """A unit alert (a high share at high risk) tells the unit's high-risk figures: it is shown
    only where those figures are."""
    return not (pd.isna(levels["high"]) or pd.isna(levels[TOTAL]))


def level_counts(
    connection: Connection, first: date, last: date, model_version_id: int
) -> pd.DataFrame:
    """People at each risk level per week, unit and role."""
    risk, staff = db.weekly_risk, db.staff
    query = (
        select(
            risk.c.week_start,
            staff.c.unit,
            staff.c.role,
            risk.c.level.label("category"),
            func.count().label("people"),
        )
        .join(staff, staff.c.id == risk.c.staff_id)
        .where(
            risk.c.model_version_id == model_version_id,
            risk.c.week_start.between(first, last),
        )
        .group_by(risk.c.week_start, staff.c.unit, staff.c.role, risk.c.level)
    )
    return _frame(connection, query)


def checkin_counts(connection: Connection, first: date, last: date) -> pd.DataFrame:
    """Per week, unit and role: consenting staff at/above the CBI cut-off, below it, or silent."""
    staff, checkin = db.staff, db.checkin
    consenting = (
        select(staff.c.id, staff.c.unit, staff.c.role)
        .where(staff.c.id.in_(consent.consenting("checkin")))
        .subquery()
    )
    head_counts = connection.execute(
        select(consenting.c.unit, consenting.c.role, func.count()).group_by(
            consenting.c.unit, consenting.c.role
        )
    ).all()
    answered = case((checkin.c.score >= BURNOUT_CUTOFF, "burnt out"), else_="not burnt out")
    query = (
        select(
            checkin.c.week_start,
            consenting.c.unit,
            consenting.c.role,
            answered.label("category"),
            func.count().label("people"),
        )
        .join(consenting, consenting.c.id == checkin.c.staff_id)
        .where(checkin.c.week_start.between(first, last), checkin.c.score.is_not(None))
        .group_by(checkin.c.week_start, consenting.c.unit, consenting.c.role, answered)
    )
    counts = _frame(connection, query)
    weeks = [first + timedelta(weeks=k) for k in range((last - first).days // 7 + 1)]
    answered_by = counts.groupby(["week_start", "unit", "role"])["people"].sum()
    missing = [
        {
            "week_start": day,
            "unit": unit,
            "role": role,
            "category": "not answered",
            "people": max(int(heads) - int(answered_by.get((day, unit, role), 0)), 0),
        }
        for day in weeks
        for unit, role, heads in head_counts
    ]
    return pd.concat([counts, pd.DataFrame(missing, columns=counts.columns)], ignore_index=True)


def alert_counts(connection: Connection, week: date) -> pd.DataFrame:
    """People with each kind of personal alert in the week, per unit and role."""
    alert, staff = db.alert, db.staff
    query = (
        select(
            staff.c.unit,
            staff.c.role,
            alert.c.rule.label("category"),
            func.count(func.distinct(alert.c.staff_id)).label("people"),
        )
        .join(staff, staff.c.id == alert.c.staff_id)
        .where(alert.c.week_start == week)
        .group_by(staff.c.unit, staff.c.role, alert.c.rule)
    )
    rows = pd.DataFrame(connection.execute(query).all(),
                        columns=["unit", "role", "category", "people"])  # fmt: skip
    rows["people"] = rows["people"].astype("int64")
    return rows


PERSON_RULES = tuple(rule for rule in RULE_NAMES if rule != "unit_high_share")


def _unit_alerts(connection: Connection, unit: str, week: date) -> list[str]:
    query = select(db.alert.c.reason).where(
        db.alert.c.subject == f"unit:{unit}", db.alert.c.week_start == week
    )
    return list(connection.execute(query).scalars())


@functools.cache
def nhs_reference(trust_type: str | None) -> dict | None:
    """The NHS Staff Survey burnout rate of a trust type (latest year), or None without one.
    Read once per process: every team view quotes it."""
    if trust_type is None:
        return None
    rows = survey.nhs_benchmark(trust_type).sort_values("year")
    if rows.empty:
        return None
    latest = rows.iloc[-1]
    return {
        "trust_type": trust_type,
        "year": int(latest["year"]),
        "rate": float(latest["burnout_rate"]),
        "ci_low": float(latest["ci_low"]),
        "ci_high": float(latest["ci_high"]),
        "source": survey.NHS_SOURCE,
    }


# --- Alerts about people (occupational health) ----------------------------------------------


def named_alerts(
    connection: Connection, viewer: Viewer, week: date, weeks: int = 4
) -> pd.DataFrame:
    """Alerts about people in the `weeks` up to `week`, newest first, with who they are about.

    Older alerts still open are included. Occupational health only: `id`, `week_start`,
    `pseudonym`, `unit`, `role`, `rule`, `level`, `reason`, `suggested_action`, `acknowledged`,
    `resolved_week`, `status`.
    """
    access.require_named_alerts(viewer)
    alert, staff = db.alert, db.staff
    query = (
        select(
            alert.c.id,
            alert.c.week_start,
            staff.c.pseudonym,
            staff.c.unit,
            staff.c.role,
            alert.c.rule,
            alert.c.level,
            alert.c.reason,
            alert.c.suggested_action,
            alert.c.acknowledged_at.is_not(None).label("acknowledged"),
            alert.c.resolved_week,
        )
        .join(staff, staff.c.id == alert.c.staff_id)
        .where(
            alert.c.week_start.between(week - timedelta(weeks=weeks - 1), week)
            | _still_open(alert, week)
        )
        .order_by(alert.c.week_start.desc(), staff.c.unit, staff.c.pseudonym, alert.c.rule)
    )
    return _with_status(_read(connection, query), week)


# --- Helpers ---------------------------------------------------------------------------------


def _read(connection: Connection, query) -> pd.DataFrame:
    """A query's rows as a frame (columns named even when empty), with `week_start` as dates."""
    frame = pd.DataFrame(
        connection.execute(query).all(), columns=list(query.selected_columns.keys())
    )
    frame["week_start"] = frame["week_start"].map(as_date)
    return frame


def _frame(connection: Connection, query) -> pd.DataFrame:
    frame = _read(connection, query)
    frame["people"] = frame["people"].astype("int64")
    return frame


def as_date(value) -> date:
    """Dates come back as `date` from PostgreSQL and sometimes as text or datetime from SQLite."""
    if isinstance(value, str):
        return date.fromisoformat(value[:10])
    if hasattr(value, "date") and callable(value.date):
        return value.date()
    return value
