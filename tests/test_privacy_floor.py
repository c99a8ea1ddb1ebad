"""Every team view and report of a mock hospital respects the privacy floor, whatever is chosen."""

from datetime import timedelta

import pandas as pd
import pytest

from burnout_lib.app import views
from burnout_lib.mock.hospital import MockSpec, write_mock
from burnout_lib.privacy.accounts import OCCUPATIONAL_HEALTH, Viewer
from burnout_lib.privacy.suppression import TOTAL
from burnout_lib.report.figures import weekly_report
from burnout_lib.risk.alerts import evaluate_week
from burnout_lib.risk.features import weekly_features
from burnout_lib.risk.model import save_model, train
from burnout_lib.risk.scoring import score_weeks

FLOOR = 5
WEEKS = 6
#: The weeks whose every view is tried (the latest: every earlier week is drawn the same way).
CHECKED_WEEKS = 3

#: Occupational health sees every unit's team view: the widest view there is.
EVERY_UNIT = Viewer("occupational.health", OCCUPATIONAL_HEALTH)


@pytest.fixture
def hospital(engine, settings):
    spec = MockSpec(staff=90, weeks=WEEKS, seed=11)
    write_mock(engine, settings, spec, progress=False)
    version = save_model(train(weekly_features(engine), "checkin", bootstrap_rounds=3, folds=3),
                         engine, settings, live=True)  # fmt: skip
    last = spec.start + timedelta(weeks=WEEKS - 1)
    for result in score_weeks(engine, settings, spec.start, last, version):
        evaluate_week(engine, settings, result.week, version)
    with engine.connect() as connection:
        yield connection, version, views.scored_weeks(connection, version)


def shown_numbers(*frames) -> pd.Series:
    values = [pd.Series(f.to_numpy().ravel()) for f in frames]
    numbers = pd.concat(values).dropna()
    return numbers.astype(float)


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_no_team_view_or_report_shows_a_group_below_the_floor(hospital) -> None:
    """Every scored week, every unit and every unit × role, as the dashboard's team view and as
    the report (whole hospital and each unit) show them."""
    connection, version, weeks = hospital
    assert len(weeks) == WEEKS
    weeks = weeks[-CHECKED_WEEKS:]
    sizes = pd.read_sql(
        "SELECT unit, role, count(*) AS n FROM staff GROUP BY unit, role", connection
    )
    assert (sizes["n"] < FLOOR).any(), "some teams are smaller than the floor"
    checked = 0
    for week in weeks:
        for unit, role in [(u, None) for u in views.all_units(connection)] + views.teams(
            connection
        ):
            team = views.team_weeks(connection, EVERY_UNIT, unit, role, week, version, FLOOR)
            counts = shown_numbers(team.levels, team.checkins, team.alerts.to_frame())
            assert ((counts == 0) | (counts >= FLOOR)).all(), (unit, role, week)
            checked += 1
        for unit in [None, *views.all_units(connection)]:
            report = weekly_report(connection, week, FLOOR, unit=unit)
            counts = shown_numbers(
                report.headline[["low", "moderate", "high", TOTAL]],
                report.groups[
                    ["low", "moderate", "high", TOTAL, "check-ins answered", "consenting"]
                ],  # fmt: skip
                report.new_alerts[["people"]],
                report.open_alerts[["people"]],
            )
            assert ((counts == 0) | (counts >= FLOOR)).all(), (unit, week)
            assert "pseudonym" not in report.new_alerts.columns
    teams = len(views.all_units(connection)) + len(views.teams(connection))
    assert checked == CHECKED_WEEKS * teams
