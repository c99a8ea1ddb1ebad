"""The dashboard app's behaviour for each role, driven through its widgets in Python (the browser
tests drive the same app through nginx, Voilà and Chromium)."""

import html
import re

import pandas as pd
import pytest
from sqlalchemy import select

from burnout_lib.app.dashboard import ALL_ROLES, Dashboard
from burnout_lib.config import load_settings
from burnout_lib.plots import weekly_plots
from burnout_lib.privacy.accounts import add_account
from burnout_lib.readouts import views
from burnout_lib.risk.advice import FOR_PERSON
from burnout_lib.risk.feature_choice import NO_BETTER, FeatureChoice
from burnout_lib.store import db

from helpers import small_hospital as H


def text(html: str) -> str:
    """What a reader sees: tags and inline images removed."""
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


def everything_shown(app: Dashboard) -> str:
    """Every text the page holds, drawn or in a control's options, whether its tab is shown."""
    options = [
        str(label)
        for control in (app.week, app.unit, app.role, app.alert_choice)
        for label in control.options
    ]
    views = (app.header, app.my_week, app.team, app.alerts)
    return " ".join([*(view.value for view in views), *options])


def others(*allowed: str) -> list[str]:
    return [p.pseudonym for p in H.PEOPLE if p.pseudonym not in allowed]


@pytest.fixture
def as_login(small_hospital, settings):
    return lambda login: Dashboard.open(settings, login)


def test_staff_see_their_own_week_and_nobody_else(as_login) -> None:
    app = as_login(H.NURSE_LOGIN)
    assert list(app.tabs.titles) == H.STAFF_TABS
    assert app.week.value == H.LAST
    assert [value for _, value in app.week.options][0] == H.UNSCORED  # newest first
    page = app.my_week.value
    assert "Your week of 06 Apr 2026" in page
    rows = re.findall(r"<tr>(.*?)</tr>", page.split('data-table="risk-log"')[1])
    first = text(rows[1])  # rows[0] is the header
    assert "06 Apr 2026" in first and "high" in first and "80%" in first and "60" in first
    assert "not what you feel" in page
    # advice written for them, in the second person; occupational health's actions stay off it
    assert H.ALERT_ACTION not in page and "what occupational health may do" not in page
    assert "<h3>What may help you</h3>" in page
    assert FOR_PERSON["recent check-in scores"] in html.unescape(page)  # the week's driver
    assert page.count("data-chart=") == 2
    assert app.unit.options == () and app.team.value == "" and app.alerts.value == ""
    shown = everything_shown(app)
    assert not [p for p in others("nurse-01") if p in shown]


def test_a_week_says_what_was_measured_and_what_is_a_warning(as_login) -> None:
    """The person's own answer is stated as a fact, the early warning as a chance ahead, and
    the page explains both with the live model's horizon."""
    page = text(html.unescape(as_login(H.NURSE_LOGIN).my_week.value))
    assert "this week, measured: 60 (50–74, the burnout range)" in page
    assert "early warning: 80% chance of a check-in of 50 or more within the next 4 weeks" in page
    assert "What these scores mean" in page and "within the next 4 weeks will be 50 or more" in page
    assert "early warning (next 4 weeks)" in page


def test_a_skipped_week_shows_the_estimate_labelled_as_one(as_login, small_hospital) -> None:
    with small_hospital.connect() as connection:
        alert_id = connection.execute(select(db.alert.c.id)).scalars().first()
        resident = connection.execute(
            select(db.staff.c.id).where(db.staff.c.pseudonym == "resident-06")
        ).scalar_one()
    with small_hospital.begin() as connection:  # point the alert at a person who skipped the week
        connection.execute(db.alert.update().where(db.alert.c.id == alert_id).values(
            staff_id=resident, subject=f"staff:{resident}"))  # fmt: skip
    app = as_login(H.OH_LOGIN)
    app.alert_choice.value = alert_id
    app.open_person.click()
    [headline] = re.findall(r'data-headline="person">(.*?)</p>', app.my_week.value)
    headline = text(html.unescape(headline))
    now = H.level("resident-06", H.LAST)
    assert f"estimate, not their answer: {H.ESTIMATE[now]:.0%} likely in the burnout range" in (
        headline
    )
    assert "measured" not in headline and "early warning" in headline


def test_managers_see_the_teams_of_their_units_only(as_login) -> None:
    app = as_login(H.MANAGER_LOGIN)
    assert app.tabs.titles == ("Team",)
    assert app.unit.options == ("Ward A",)
    assert "18 staff scored" in text(app.team.value)
    [rule] = re.findall(r'data-rule="suppression">(.*?)</p>', app.team.value)
    assert "fewer than 5 people are hidden" in rule and "added together" in rule
    assert "shows its size but not its breakdown" in rule
    assert app.my_week.value == "" and app.alerts.value == ""
    shown = everything_shown(app)
    assert not [p for p in others() if p in shown]
    tiny = as_login(H.TINY_MANAGER_LOGIN)
    assert tiny.unit.options == ("Tiny unit",)
    assert 'data-notice="suppressed"' in tiny.team.value


def test_analysts_see_every_team_and_nobody_s_page(as_login) -> None:
    app = as_login(H.ANALYST_LOGIN)
    assert app.tabs.titles == ("Team",)
    assert app.unit.options == ("Tiny unit", "Ward A")
    shown = everything_shown(app)
    assert not [p for p in others() if p in shown]


def test_occupational_health_opens_a_person_from_an_alert_and_it_is_logged(
    as_login, small_hospital
) -> None:
    app = as_login(H.OH_LOGIN)
    assert app.tabs.titles == ("Team", "Alerts", "Person")
    assert app.unit.options == ("Tiny unit", "Ward A")
    assert "nurse-01" in text(app.alerts.value) and H.ALERT_ACTION not in app.alerts.value
    assert "Open a person's page from the Alerts tab" in text(html.unescape(app.my_week.value))
    with small_hospital.connect() as connection:
        assert connection.execute(select(db.access_log)).all() == []
    (label, alert_id), *_ = app.alert_choice.options
    assert label.startswith("nurse-01 · high risk for the first time")
    assert app.alert_choice.value == alert_id  # the newest alert is chosen to begin with
    app.open_person.click()
    assert 'data-notice="opened"' in app.open_status.value
    assert app.tabs.selected_index == 2
    assert "nurse-01: week of 06 Apr 2026" in app.my_week.value
    assert H.ALERT_ACTION in app.my_week.value
    with small_hospital.connect() as connection:
        (logged,) = connection.execute(
            select(db.access_log.c.viewer_login, db.staff.c.pseudonym, db.access_log.c.reason).join(
                db.staff, db.staff.c.id == db.access_log.c.staff_id
            )
        ).all()
    assert logged.viewer_login == H.OH_LOGIN and logged.pseudonym == "nurse-01"
    assert logged.reason.startswith(f"alert {alert_id}: first_high")


def test_every_control_updates_the_views(as_login) -> None:
    staff = as_login(H.NURSE_LOGIN)
    before = staff.my_week.value
    staff.week.value = H.SCORED[2]
    assert staff.my_week.value != before and "week of 16 Mar 2026" in staff.my_week.value

    manager = as_login(H.ANALYST_LOGIN)
    manager.unit.value = "Ward A"
    assert "18 staff scored" in text(manager.team.value)
    before = manager.team.value
    manager.week.value = H.SCORED[2]
    assert manager.team.value != before and "week of 16 Mar 2026" in manager.team.value
    manager.role.value = "Nurse"
    assert "Nurse staff in Ward A" in manager.team.value
    assert "12 staff scored" in text(manager.team.value)
    manager.unit.value = "Tiny unit"
    assert manager.role.options == (ALL_ROLES, "Porter") and manager.role.value == ALL_ROLES


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)  # the app, not the backend
def test_team_views_hide_small_groups_and_never_name_anyone(as_login) -> None:
    app = as_login(H.ANALYST_LOGIN)
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


def test_a_week_without_scores_says_so(as_login) -> None:
    staff = as_login(H.NURSE_LOGIN)
    staff.week.value = H.UNSCORED
    assert "has not been scored yet" in staff.my_week.value
    manager = as_login(H.MANAGER_LOGIN)
    manager.week.value = H.UNSCORED
    assert 'data-notice="no-score"' in manager.team.value


@pytest.mark.parametrize("login", [None, "", "   ", H.VISITOR])
def test_without_a_registered_sign_in_the_page_shows_no_data(as_login, login) -> None:
    app = as_login(login)
    assert 'data-notice="not-signed-in"' in app.header.value
    assert app.tabs.layout.display == "none" and app.tabs.children == ()
    assert app.week.options == () and app.unit.options == ()
    shown = everything_shown(app)
    assert not [p for p in others() if p in shown]
    assert "Ward A" not in shown


def test_an_account_removed_after_its_page_opened_sees_nothing_more(
    as_login, small_hospital
) -> None:
    from burnout_lib.privacy.accounts import remove_account

    app = as_login(H.MANAGER_LOGIN)
    remove_account(small_hospital, H.MANAGER_LOGIN)
    app.week.value = H.SCORED[0]
    assert 'data-notice="not-signed-in"' in app.team.value
    assert "staff scored" not in text(app.team.value)
    assert 'data-notice="not-signed-in"' in as_login(H.MANAGER_LOGIN).header.value


def test_an_empty_database_says_what_to_do(engine, settings) -> None:
    add_account(engine, "analyst", "analyst")
    app = Dashboard.open(settings, "analyst")
    assert 'data-notice="empty"' in app.header.value
    assert app.tabs.layout.display == "none"


def test_an_unreachable_database_is_a_message_not_a_traceback(tmp_path) -> None:
    settings = load_settings(db="postgresql://nobody@127.0.0.1:1/none", data_dir=tmp_path)
    app = Dashboard.open(settings, H.NURSE_LOGIN)
    assert "cannot reach database" in app.header.value
    assert "Traceback" not in app.header.value
    assert app.tabs.layout.display == "none"


def test_a_database_lost_after_opening_is_a_message(as_login, engine) -> None:
    app = as_login(H.MANAGER_LOGIN)
    engine.dispose()
    app.engine = db.make_engine("postgresql://nobody@127.0.0.1:1/none")
    app.week.value = H.SCORED[0]
    assert 'data-notice="unavailable"' in app.team.value
    assert "Traceback" not in app.team.value


def test_a_person_erases_everything_from_their_page_and_is_signed_out(
    as_login, small_hospital
) -> None:
    app = as_login(H.NURSE_LOGIN)
    panel = app.consent_panel
    panel.erase_text.value = "nurse-02"  # someone else's pseudonym is not a confirmation
    panel.erase.click()
    assert "type your pseudonym 'nurse-01' exactly: nothing was erased" in html.unescape(
        panel.status.value
    )
    with small_hospital.connect() as connection:
        assert connection.execute(
            select(db.staff.c.id).where(db.staff.c.pseudonym == "nurse-01")
        ).first()
    panel.erase_text.value = "nurse-01"
    panel.erase.click()
    assert 'data-notice="erased"' in app.header.value
    assert app.tabs.layout.display == "none" and app.week.layout.display == "none"
    with small_hospital.connect() as connection:
        assert not connection.execute(
            select(db.staff.c.id).where(db.staff.c.pseudonym == "nurse-01")
        ).first()
        assert not connection.execute(
            select(db.account.c.login).where(db.account.c.login == H.NURSE_LOGIN)
        ).first()
    app.checkin_panel.save()  # a page left open writes nothing any more
    assert 'data-kind="refused"' in app.checkin_panel.result.value


def test_a_long_team_name_is_never_cut_from_a_chart_title() -> None:
    weeks = pd.date_range("2026-03-02", periods=6, freq="7D").date
    rate = pd.Series([0.2, 0.3, None, 0.25, 0.3, 0.35], index=weeks)
    title = "Burnout in Nurse staff in Medical-surgical's check-ins against the NHS Staff Survey"
    fig = weekly_plots.team_burnout_chart(rate, None, title)
    fig.draw_without_rendering()  # lays the figure out, as saving it does
    drawn = fig.get_tightbbox()  # everything drawn, in inches
    width, height = fig.get_size_inches()
    assert drawn.x0 >= 0 and drawn.x1 <= width and drawn.y1 <= height, drawn
    assert fig.axes[0].get_title(loc="left").replace("\n", " ") == title


def test_a_team_without_nhs_figures_or_shown_shares_says_so_in_one_line(
    as_login, monkeypatch
) -> None:
    app = as_login(H.ANALYST_LOGIN)
    app.unit.value = "Ward A"  # no comparable NHS trust type on record
    assert 'data-chart="team-burnout"' in app.team.value  # its own weekly shares are charted
    real = views.team_weeks

    def all_hidden(*args, **kwargs):
        team = real(*args, **kwargs)
        team.checkins = team.checkins.assign(**{"burnt out": pd.NA})  # every share hidden
        return team

    monkeypatch.setattr(views, "team_weeks", all_hidden)
    app = as_login(H.ANALYST_LOGIN)
    app.unit.value = "Ward A"
    assert 'data-chart="team-burnout"' not in app.team.value
    assert text(app.team.value).count("No NHS Staff Survey figure compares with Ward A") == 1


def test_what_these_scores_mean_names_the_live_models_channels(small_hospital, settings) -> None:
    card = {"channels": FeatureChoice("checkin", NO_BETTER, "no better on later weeks").record()}
    with small_hospital.begin() as connection:
        connection.execute(db.model_version.update().values(metrics=card))
    for login in (H.NURSE_LOGIN, H.OH_LOGIN):
        meaning = text(html.unescape(Dashboard.open(settings, login).my_week.value))
        assert (
            "The live model uses weekly check-ins only: on this hospital's data the facial "
            "channel did not improve the early warning." in meaning
        )
