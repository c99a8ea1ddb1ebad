"""Every team view and report of a mock hospital respects the privacy floor, whatever is chosen,
and all of them together let a determined reader work out nothing about fewer people."""

from collections import defaultdict
from datetime import timedelta

import pandas as pd
import pytest
from sqlalchemy import or_, select

from burnout_lib.mock.hospital import MockSpec, write_mock
from burnout_lib.privacy.accounts import OCCUPATIONAL_HEALTH, Viewer
from burnout_lib.privacy.suppression import ALL, TOTAL
from burnout_lib.readouts import views
from burnout_lib.report import figures
from burnout_lib.report.figures import weekly_report
from burnout_lib.risk.alerts import evaluate_week
from burnout_lib.risk.features import weekly_features
from burnout_lib.risk.model import save_model, train
from burnout_lib.risk.scoring import score_weeks
from burnout_lib.store import db
from burnout_lib.store.db import make_engine

from helpers.attacker import Attacker, Published, hierarchy

FLOOR = 5
#: Every week of the hospital is checked, every view of it.
WEEKS = 5

#: Occupational health sees every unit's team view: the widest view there is.
EVERY_UNIT = Viewer("occupational.health", OCCUPATIONAL_HEALTH)
RULES = {name: rule for rule, name in views.RULE_NAMES.items()}


@pytest.fixture(scope="module")
def scored_mock(hospital_templates, tmp_path_factory):
    """A 300-person mock hospital over five weeks, every week scored by a check-in model and its
    alerts raised: teams from 1 to about 20 people. An open connection, the model, the weeks."""
    spec = MockSpec(staff=300, weeks=WEEKS, seed=11)

    def build(engine, settings) -> int:
        write_mock(engine, settings, spec, progress=False)
        version = save_model(train(weekly_features(engine), "checkin", bootstrap_rounds=3, folds=3),
                             engine, settings, live=True)  # fmt: skip
        last = spec.start + timedelta(weeks=WEEKS - 1)
        for result in score_weeks(engine, settings, spec.start, last, version):
            evaluate_week(engine, settings, result.week, version)
        return version

    folder = tmp_path_factory.mktemp("hospital")
    settings, version = hospital_templates.sqlite(("scored", spec), folder, build)
    engine = make_engine(settings.db_url)
    with engine.connect() as connection:
        weeks = views.scored_weeks(connection, version)
        assert len(weeks) == WEEKS
        yield connection, version, weeks
    engine.dispose()


def shown_numbers(*frames) -> pd.Series:
    values = [pd.Series(f.to_numpy().ravel()) for f in frames]
    numbers = pd.concat(values).dropna()
    return numbers.astype(float)


def every_view(connection, version, week):
    """Every team view occupational health can open for the week, and every report."""
    teams = [(u, None) for u in views.all_units(connection)] + views.teams(connection)
    for unit, role in teams:
        yield (
            ("team", unit, role),
            views.team_weeks(connection, EVERY_UNIT, unit, role, week, version, FLOOR),
        )
    for unit in [None, *views.all_units(connection)]:
        yield ("report", unit, None), weekly_report(connection, week, FLOOR, unit=unit)


def test_no_team_view_or_report_shows_a_group_below_the_floor(scored_mock) -> None:
    """Every scored week, every unit and every unit × role, as the dashboard's team view and as
    the report (whole hospital and each unit) show them."""
    connection, version, weeks = scored_mock
    sizes = pd.read_sql(
        "SELECT unit, role, count(*) AS n FROM staff GROUP BY unit, role", connection
    )
    assert (sizes["n"] < FLOOR).any(), "some teams are smaller than the floor"
    checked = 0
    for week in weeks:
        for (kind, unit, role), view in every_view(connection, version, week):
            if kind == "team":
                counts = shown_numbers(view.levels, view.checkins, view.alerts.to_frame())
            else:
                counts = shown_numbers(
                    view.headline[["low", "moderate", "high", TOTAL]],
                    view.groups[
                        ["low", "moderate", "high", TOTAL, "check-ins answered", "consenting"]
                    ],  # fmt: skip
                    view.new_alerts[["people"]],
                    view.open_alerts[["people"]],
                )
                assert "pseudonym" not in view.new_alerts.columns
            assert ((counts == 0) | (counts >= FLOOR)).all(), (kind, unit, role, week)
            checked += 1
    teams = len(views.all_units(connection)) + len(views.teams(connection))
    reports = 1 + len(views.all_units(connection))
    assert checked == WEEKS * (teams + reports)


class Collected:
    """Every figure any view publishes, by table, week and cell; a cell shown twice must agree."""

    def __init__(self) -> None:
        self.cells: dict[tuple, dict[tuple, int]] = defaultdict(dict)

    def add(self, table: str, week, key: tuple, column: str, value) -> None:
        if pd.isna(value):
            return
        seen = self.cells[(table, week)]
        assert seen.setdefault((key, column), int(value)) == int(value), (table, week, key)

    def frame(self, table: str, week, truth: pd.DataFrame) -> pd.DataFrame:
        shown = pd.DataFrame(pd.NA, index=truth.index, columns=truth.columns, dtype="Int64")
        for (key, column), value in self.cells[(table, week)].items():
            shown.at[key, column] = value
        return shown


def collect(connection, version, week) -> Collected:
    published = Collected()
    for (kind, unit, role), view in every_view(connection, version, week):
        if kind == "team":
            key = (unit, role or ALL)
            for day, row in view.levels.iterrows():
                for column, value in row.items():
                    published.add("levels", day, key, column, value)
            for day, row in view.checkins.iterrows():
                for column, value in row.items():
                    published.add("checkins", day, key, column, value)
            for name, value in view.alerts.items():
                published.add("alerts", week, key, RULES[name], value)
            if view.unit_alerts:  # a unit alert is about the unit's high-risk figures
                assert view.levels.loc[week, ["high", TOTAL]].notna().all(), unit
            continue
        report = view
        for day, row in report.headline.iterrows():
            for column in ("low", "moderate", "high", TOTAL):
                published.add("levels", day, (ALL, ALL) if unit is None else (unit, ALL),
                              column, row[column])  # fmt: skip
        for group, row in report.groups.iterrows():
            if unit is None:
                key = (group, ALL) if group != ALL else (ALL, ALL)
            else:
                key = (unit, group)
            for column in ("low", "moderate", "high", TOTAL):
                published.add("levels", week, key, column, row[column])
            published.add("checkins", week, key, TOTAL, row["consenting"])
            if not pd.isna(row["check-ins answered"]):  # answered = consenting − not answered
                not_answered = row["consenting"] - row["check-ins answered"]
                published.add("checkins", week, key, "not answered", not_answered)
            if not pd.isna(row["high share"]):
                assert not pd.isna(row["high"]) and not pd.isna(row[TOTAL])
        key = (unit, ALL) if unit else (ALL, ALL)
        for table, counts in (("alerts", report.new_alerts), ("open alerts", report.open_alerts)):
            for name, value in zip(counts["alert"], counts["people"], strict=True):
                published.add(table, week, key, RULES[name], value)
        for named in report.unit_alerts:
            high = report.groups.loc[named if unit is None else ALL, ["high", TOTAL]]
            assert high.notna().all(), named
    return published


def still_open(connection, week) -> pd.DataFrame:
    """People per (unit, role, rule) with an alert raised in the last few weeks before `week`
    that nobody acknowledged and that had not closed by `week`: read from the tables as the
    report's words define it, not through the report's code."""
    alert, staff = db.alert, db.staff
    query = (
        select(staff.c.unit, staff.c.role, alert.c.rule.label("category"))
        .join(staff, staff.c.id == alert.c.staff_id)
        .where(
            alert.c.week_start >= week - timedelta(weeks=figures.OPEN_ALERT_WEEKS),
            alert.c.week_start < week,
            alert.c.acknowledged_at.is_(None),
            or_(alert.c.resolved_week.is_(None), alert.c.resolved_week > week),
        )
        .distinct()
        .add_columns(alert.c.staff_id)
    )
    rows = pd.DataFrame(connection.execute(query).all(), columns=["unit", "role", "category", "id"])
    return rows.drop(columns="id").assign(people=1)


def truth_of(connection, version, week) -> dict[str, pd.DataFrame]:
    everyone = views.teams(connection)
    risk = views.level_counts(connection, week, week, version)
    answers = views.checkin_counts(connection, week, week)
    heads = views.by_team(risk, week, everyone, db.RISK_LEVELS).sum(axis=1)
    open_rows = still_open(connection, week)
    staff = views.staff_counts(connection, everyone)
    rules = list(views.PERSON_RULES)
    return {
        "levels": hierarchy(views.by_team(risk, week, everyone, db.RISK_LEVELS), FLOOR),
        "checkins": hierarchy(
            views.by_team(answers, week, everyone, views.CHECKIN_CATEGORIES), FLOOR
        ),
        "alerts": hierarchy(
            views.by_team(views.alert_counts(connection, week), None, everyone, rules),
            FLOOR,
            totals=heads,
        ),
        "open alerts": hierarchy(views.by_team(open_rows, None, everyone, rules), FLOOR, staff),
    }


def test_all_views_together_reveal_nothing_to_a_determined_reader(scored_mock) -> None:
    """Given every number the dashboard (as occupational health, who sees every unit) and the
    weekly report publish for a week, integer programmes find no combination of one unit's
    hidden figures at one level pinned to 1–4 people and no group whose members' level
    follows."""
    connection, version, weeks = scored_mock
    found_hidden = 0
    for week in weeks:
        published = collect(connection, version, week)
        truth = truth_of(connection, version, week)
        reader = Published(FLOOR)
        for table, sensitive in (
            ("levels", views.SENSITIVE[db.RISK_LEVELS]),
            ("checkins", views.SENSITIVE[views.CHECKIN_CATEGORIES]),
        ):
            shown = published.frame(table, week, truth[table])
            reader.add_table(table, truth[table], shown, sensitive)
        rules = [(rule,) for rule in views.PERSON_RULES]
        shown = published.frame("alerts", week, truth["alerts"])
        shown[TOTAL] = reader.shown["levels"][TOTAL]  # out of the people scored, as published
        reader.add_table("alerts", truth["alerts"], shown, rules, additive=False)
        reader.same += [(("alerts", key, TOTAL), ("levels", key, TOTAL)) for key in shown.index]
        shown = published.frame("open alerts", week, truth["open alerts"])
        shown[TOTAL] = truth["open alerts"][TOTAL]  # out of each team's staff, known to managers
        reader.add_table("open alerts", truth["open alerts"], shown, rules, additive=False)
        for table, shown in reader.shown.items():
            values = shown.stack().dropna().astype(int)
            assert (values == truth[table].stack()[values.index]).all(), table
            found_hidden += int(shown.isna().sum().sum())
        attacker = Attacker(reader)
        assert attacker.small_sums() == [], week
        assert attacker.whole_groups() == [], week
    assert found_hidden > 0, "the hospital has small groups, so something must be hidden"
