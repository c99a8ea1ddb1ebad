"""The numbers behind the dashboard, on SQLite and PostgreSQL, against a hospital built by hand."""

import pandas as pd
import pytest

from burnout_lib.errors import NotFound
from burnout_lib.privacy.suppression import TOTAL
from burnout_lib.readouts import views

from helpers import small_hospital as H

FLOOR = 5


@pytest.fixture
def small_connection(small_hospital):
    """A connection to the small hospital, open for the test, and its live scored model."""
    with small_hospital.connect() as connection:
        yield connection, views.live_scored_model(connection)


@pytest.fixture
def analyst(engine, small_connection):
    return H.viewer(engine, H.ANALYST_LOGIN)


@pytest.fixture
def nurse(engine, small_connection):
    return H.viewer(engine, H.NURSE_LOGIN)


def test_what_there_is_to_look_at(small_connection) -> None:
    connection, version = small_connection
    assert views.scored_weeks(connection, version) == H.SCORED
    assert views.checkin_weeks(connection) == H.WEEKS
    assert views.all_units(connection) == ["Tiny unit", "Ward A"]


def test_a_person_s_weeks(small_connection, nurse) -> None:
    connection, version = small_connection
    person = views.person_weeks(connection, nurse, "nurse-01", H.LAST, version, weeks=4)
    assert (person.unit, person.role) == ("Ward A", "Nurse")
    assert person.log["week_start"].tolist() == H.SCORED[-4:]
    expected = [H.level("nurse-01", w) for w in H.SCORED[-4:]]
    assert person.log["level"].tolist() == expected
    assert person.log["checkin_score"].tolist() == [H.CHECKIN_SCORE[x] for x in expected]
    assert person.this_week["level"] == "high"
    assert person.this_week["drivers"] == "recent check-in scores"
    # expressions: the weekly fatigue-group score, against the mean of earlier weeks
    assert person.expressions["fatigue"].tolist() == pytest.approx(
        [H.fatigue(n) for n in range(3, 7)]
    )
    baseline_week_6 = sum(H.fatigue(n) for n in range(1, 6)) / 5
    assert person.expressions["fatigue_baseline"].iloc[-1] == pytest.approx(baseline_week_6)
    assert person.expressions["protective"].tolist() == pytest.approx([0.3] * 4)
    assert person.alerts["rule"].tolist() == ["first_high"]
    assert person.alerts["suggested_action"].iloc[0] == H.ALERT_ACTION
    assert not person.alerts["acknowledged"].iloc[0]


def test_a_person_without_a_score_that_week(small_connection, nurse) -> None:
    connection, version = small_connection
    person = views.person_weeks(connection, nurse, "nurse-01", H.UNSCORED, version)
    assert person.this_week is None
    assert len(person.log) == 6


def truth_levels(unit: str, role: str | None, week) -> dict[str, int]:
    people = [p for p in H.PEOPLE if p.unit == unit and (role is None or p.role == role)]
    counts = pd.Series([H.level(p.pseudonym, week) for p in people]).value_counts()
    return {level: int(counts.get(level, 0)) for level in ("low", "moderate", "high")}


@pytest.mark.parametrize("role", [None, "Nurse", "Resident"])
def test_team_counts_are_true_where_shown_and_small_ones_hidden(
    small_connection, role, analyst
) -> None:
    connection, version = small_connection
    team = views.team_weeks(connection, analyst, "Ward A", role, H.LAST, version, FLOOR)
    assert team.shown
    for week in H.SCORED:
        truth = truth_levels("Ward A", role, week)
        row = team.levels.loc[week]
        assert row[TOTAL] == sum(truth.values())
        for level, count in truth.items():
            if pd.isna(row[level]):
                continue
            assert row[level] == count
            assert count == 0 or count >= FLOOR
        hidden = [level for level, count in truth.items() if 0 < count < FLOOR]
        assert all(pd.isna(row[level]) for level in hidden)
    # the single high-risk nurse and resident of the last week are never shown
    assert pd.isna(team.levels.at[H.LAST, "high"])


def test_team_weeks_before_the_window_are_empty_not_invented(small_connection, analyst) -> None:
    connection, version = small_connection
    team = views.team_weeks(connection, analyst, "Ward A", None, H.LAST, version, FLOOR, weeks=8)
    before = [w for w in team.levels.index if w < H.START]
    assert len(before) == 2
    assert (team.levels.loc[before, TOTAL] == 0).all()


def test_check_in_completion(small_connection, analyst) -> None:
    connection, version = small_connection
    team = views.team_weeks(connection, analyst, "Ward A", None, H.LAST, version, FLOOR)
    earlier = H.SCORED[0]
    assert team.checkins.loc[earlier, "not answered"] == 0
    assert team.checkins.loc[earlier, TOTAL] == 18
    assert team.completion[earlier] == 1.0
    # 2 of 18 did not answer in the last week: too few to show, so completion is hidden too
    assert pd.isna(team.checkins.at[H.LAST, "not answered"])
    assert pd.isna(team.completion[H.LAST])
    # burnout (CBI ≥ 50) in week 1: nobody
    assert team.burnout_rate[earlier] == 0.0


def test_alerts_by_type_hide_a_single_person(small_connection, analyst) -> None:
    connection, version = small_connection
    team = views.team_weeks(connection, analyst, "Ward A", None, H.LAST, version, FLOOR)
    assert pd.isna(team.alerts[views.RULE_NAMES["first_high"]])
    assert team.alerts[views.RULE_NAMES["sustained"]] == 0


def test_a_unit_below_the_floor_is_not_shown(small_connection, analyst) -> None:
    connection, version = small_connection
    team = views.team_weeks(connection, analyst, "Tiny unit", None, H.LAST, version, FLOOR)
    assert not team.shown
    assert team.levels.loc[H.SCORED].isna().all().all()
    # with a floor of 3 (the lowest allowed) the three porters can be shown
    assert views.team_weeks(connection, analyst, "Tiny unit", None, H.LAST, version, 3).shown


def test_team_benchmark_is_the_published_nhs_rate(small_connection, analyst) -> None:
    connection, version = small_connection
    team = views.team_weeks(connection, analyst, "Ward A", None, H.LAST, version, FLOOR)
    assert team.benchmark is None  # "Ward A" has no comparable trust type on record
    from burnout_lib.sources.survey import reference_rate

    with pytest.MonkeyPatch.context() as patch:
        patch.setitem(views.survey.UNIT_BENCHMARK, "Ward A", "Acute")
        team = views.team_weeks(connection, analyst, "Ward A", None, H.LAST, version, FLOOR)
    assert team.benchmark["rate"] == pytest.approx(reference_rate("Acute"))
    assert team.benchmark["ci_low"] < team.benchmark["rate"] < team.benchmark["ci_high"]


def test_unknown_unit_or_role(small_connection, analyst) -> None:
    connection, version = small_connection
    with pytest.raises(NotFound, match="Ward Z"):
        views.team_weeks(connection, analyst, "Ward Z", None, H.LAST, version, FLOOR)
    with pytest.raises(NotFound, match="Porter"):
        views.team_weeks(connection, analyst, "Ward A", "Porter", H.LAST, version, FLOOR)
