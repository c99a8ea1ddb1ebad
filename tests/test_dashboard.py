"""The dashboard app's behaviour, driven through its widgets in Python (the browser tests drive
the same app through Voilà and Chromium)."""

import re

import pytest

from burnout_lib.app.dashboard import ALL_ROLES, Dashboard
from burnout_lib.config import load_settings
from burnout_lib.store import db

from helpers import small_hospital as H


def text(html: str) -> str:
    """What a reader sees: tags and inline images removed."""
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


@pytest.fixture
def app(engine, settings) -> Dashboard:
    H.build(engine)
    return Dashboard.open(settings)


def test_opens_on_the_latest_scored_week_with_every_unit(app) -> None:
    assert app.week.value == H.LAST
    assert [value for _, value in app.week.options][0] == H.UNSCORED  # newest first
    assert app.unit.options == ("Tiny unit", "Ward A")
    assert app.tabs.layout.display is None
    assert "Type your pseudonym" in text(app.my_week.value)


def test_my_week_for_a_known_person(app) -> None:
    app.person.value = "nurse-01"
    page = app.my_week.value
    assert 'data-table="risk-log"' in page
    rows = re.findall(r"<tr>(.*?)</tr>", page.split('data-table="risk-log"')[1])
    first = text(rows[1])  # rows[0] is the header
    assert "06 Apr 2026" in first and "high" in first and "80%" in first and "60" in first
    assert H.ALERT_ACTION in page
    assert "not what you feel" in page
    assert page.count("data-chart=") == 2


def test_every_control_updates_the_views(app) -> None:
    app.person.value = "nurse-01"
    app.unit.value = "Ward A"
    assert "18 staff scored" in text(app.team.value)
    before_person, before_team = app.my_week.value, app.team.value
    app.week.value = H.SCORED[2]
    assert app.my_week.value != before_person and "week of 16 Mar 2026" in app.my_week.value
    assert app.team.value != before_team and "week of 16 Mar 2026" in app.team.value
    app.role.value = "Nurse"
    assert "Nurse staff in Ward A" in app.team.value
    assert "12 staff scored" in text(app.team.value)
    app.unit.value = "Tiny unit"
    assert app.role.options == (ALL_ROLES, "Porter") and app.role.value == ALL_ROLES
    app.person.value = "resident-02"
    assert "resident-02: week of 16 Mar 2026" in app.my_week.value


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)  # the app, not the backend
def test_team_views_hide_small_groups_and_never_name_anyone(app) -> None:
    app.unit.value = "Tiny unit"
    assert 'data-notice="suppressed"' in app.team.value
    assert "fewer than 5 people" in app.team.value
    for unit in ("Ward A", "Tiny unit"):
        app.unit.value = unit
        for role in app.role.options:
            app.role.value = role
            for _, week in app.week.options:
                app.week.value = week
                shown = text(app.team.value)
                assert not any(p.pseudonym in shown for p in H.PEOPLE)
                numbers = re.findall(r"(\d+) staff scored", shown)
                assert all(int(n) >= 5 for n in numbers)


def test_a_week_without_scores_says_so(app) -> None:
    app.person.value = "nurse-01"
    app.unit.value = "Ward A"
    app.week.value = H.UNSCORED
    assert "has not been scored yet" in app.my_week.value
    assert 'data-notice="no-score"' in app.team.value


def test_an_empty_database_says_what_to_do(engine, settings) -> None:
    app = Dashboard.open(settings)
    assert 'data-notice="empty"' in app.header.value
    assert app.tabs.layout.display == "none"


def test_an_unreachable_database_is_a_message_not_a_traceback(tmp_path) -> None:
    settings = load_settings(db="postgresql://nobody@127.0.0.1:1/none", data_dir=tmp_path)
    app = Dashboard.open(settings)
    assert "cannot reach database" in app.header.value
    assert "Traceback" not in app.header.value
    assert app.tabs.layout.display == "none"


def test_a_database_lost_after_opening_is_a_message(app, engine) -> None:
    app.unit.value = "Ward A"
    engine.dispose()
    app.engine = db.make_engine("postgresql://nobody@127.0.0.1:1/none")
    app.week.value = H.SCORED[0]
    assert 'data-notice="unavailable"' in app.team.value
    assert "Traceback" not in app.team.value
