"""The dashboard as people get it: `burnout dashboard` (Voilà) in Debian's headless Chromium,
opened as each role. Here the login comes straight in the user header, as on a developer's
machine; `test_signin_browser.py` puts the real nginx and its sign-in in front.

Screenshots of each state are saved under `test-artifacts/dashboard/` (or `$BURNOUT_ARTIFACTS`).
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pandas as pd
import pytest
from playwright.sync_api import Browser, Page, expect
from sqlalchemy import select

from burnout_lib.privacy.accounts import add_account
from burnout_lib.risk.scoring import last_complete_week, monday
from burnout_lib.store import db
from burnout_lib.store.db import init_db, make_engine

from helpers import small_hospital as H
from helpers.paths import BURNOUT, ROOT
from helpers.serving import TIMEOUT_MS, Served

pytestmark = pytest.mark.slow

ARTIFACTS = Path(os.environ.get("BURNOUT_ARTIFACTS", ROOT / "test-artifacts")) / "dashboard"


def serve(tmp: Path, name: str, db_url: str | None = None, **env: str) -> Served:
    folder = tmp / name
    folder.mkdir()
    return Served(db_url or f"sqlite:///{folder / 'burnout.db'}", folder, folder / "voila.log", env)


@pytest.fixture(scope="module")
def hospital_dashboard(tmp_path_factory) -> Iterator[Served]:
    tmp = tmp_path_factory.mktemp("dashboard")
    served = serve(tmp, "hospital", H.sqlite_file(tmp / "hospital.db"))
    yield served
    served.stop()
    # a preheated kernel killed at shutdown, still waiting for its visitor, may log a traceback
    # of its own; before the shutdown, the server and its kernels logged none
    assert "Traceback" not in served.log.read_text().split("Handle signal 15")[0]


def open_page(browser: Browser, served: Served, login: str | None) -> Page:
    """The dashboard for `login` (sent in the user header), ready and marked to catch reloads."""
    headers = {"X-Forwarded-User": login} if login else {}
    context = browser.new_context(
        viewport={"width": 1280, "height": 800}, extra_http_headers=headers
    )
    page = context.new_page()
    page.set_default_timeout(TIMEOUT_MS)
    page.goto(served.url)
    page.wait_for_selector(".bm-app", timeout=TIMEOUT_MS)
    # a marker that a reload would wipe: controls must update the page in place
    page.evaluate("window.notReloaded = true")
    return page


def shot(page: Page, name: str) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


def choose(page: Page, control: str, label: str) -> None:
    page.locator(f".bm-{control} select").select_option(label=label)


def section(page: Page, view: str):
    return page.locator(f'section[data-view="{view}"]')


def chart_source(page: Page, name: str) -> str:
    return page.locator(f'img[data-chart="{name}"]').get_attribute("src")


def test_my_week_shows_a_person_their_own_log_alerts_and_charts(browser, hospital_dashboard):
    page = open_page(browser, hospital_dashboard, H.NURSE_LOGIN)
    expect(page.locator(".bm-week select")).to_have_value(
        page.locator(".bm-week option", has_text="06 Apr 2026").get_attribute("value")
    )
    expect(page.get_by_role("tab")).to_have_text(H.STAFF_TABS)
    view = section(page, "my-week")
    expect(view.locator("h2")).to_have_text("Your week of 06 Apr 2026")
    first_row = view.locator('[data-table="risk-log"] tbody tr').first
    expect(first_row.locator("td")).to_have_text(
        [
            "06 Apr 2026",
            "high",
            "this week, measured: 60 (50–74, the burnout range)",
            "80%",
            "recent check-in scores",
        ]
    )
    expect(view.locator('[data-table="risk-log"] tbody tr')).to_have_count(6)
    # the alert, and what may help written for the person: occupational health's actions are
    # for occupational health's view
    expect(view.locator('[data-table="person-alerts"]')).to_contain_text("first time")
    expect(view.locator('[data-table="person-alerts"]')).not_to_contain_text(H.ALERT_ACTION)
    expect(view.locator('[data-help="week"]')).to_contain_text("Talk it over in confidence")
    expect(view.locator('img[data-chart="risk-timeline"]')).to_be_visible()
    expect(view.locator('img[data-chart="expression-trends"]')).to_be_visible()
    expect(view).to_contain_text("not what you feel")
    expect(page.locator(".signed-in")).to_contain_text(H.NURSE_LOGIN)
    shot(page, "my-week")

    before = chart_source(page, "risk-timeline")
    choose(page, "week", "23 Mar 2026")
    expect(view.locator("h2")).to_have_text("Your week of 23 Mar 2026")
    assert chart_source(page, "risk-timeline") != before
    content = page.content()
    assert not [
        p.pseudonym for p in H.PEOPLE if p.pseudonym in content and p.pseudonym != "nurse-01"
    ]
    assert page.evaluate("window.notReloaded") is True
    assert "Traceback" not in content


def test_team_view_suppresses_small_groups_and_follows_every_control(browser, hospital_dashboard):
    page = open_page(browser, hospital_dashboard, H.ANALYST_LOGIN)
    expect(page.get_by_role("tab")).to_have_text(["Team"])
    view = section(page, "team")
    # the first unit alphabetically has three porters: below the floor of five
    expect(view.locator('[data-notice="suppressed"]')).to_contain_text("fewer than 5 people")
    expect(view.locator("img")).to_have_count(0)
    shot(page, "team-suppressed")

    choose(page, "unit", "Ward A")
    expect(view.locator("h2")).to_have_text("Ward A: week of 06 Apr 2026")
    expect(view.locator('[data-headline="team"]')).to_contain_text("18 staff scored")
    last_week = view.locator('[data-table="team-levels"] tbody tr').first.locator("td")
    expect(last_week.nth(0)).to_have_text("06 Apr 2026")
    expect(last_week.nth(1)).to_have_text("18")
    expect(last_week.nth(2)).to_have_text("hidden")  # two skipped: their estimates are hidden
    expect(last_week.nth(5)).to_have_text("hidden")  # two people at high risk
    expect(view.locator('img[data-chart="team-levels"]')).to_be_visible()
    expect(view.locator('img[data-chart="team-burnout"]')).to_be_visible()
    shot(page, "team-unit")

    before = chart_source(page, "team-levels")
    choose(page, "role", "Nurse")
    expect(view.locator("h2")).to_have_text("Nurse staff in Ward A: week of 06 Apr 2026")
    expect(view.locator('[data-headline="team"]')).to_contain_text("12 staff scored")
    assert chart_source(page, "team-levels") != before

    choose(page, "week", "16 Mar 2026")
    expect(view.locator("h2")).to_have_text("Nurse staff in Ward A: week of 16 Mar 2026")
    expect(view.locator('[data-headline="team"]')).to_contain_text("12 staff scored")
    # 8 low and 4 moderate nurses: the 4 is hidden, and so is the 8 it could be worked out from
    cells = view.locator('[data-table="team-levels"] tbody tr').first.locator("td")
    expect(cells).to_have_text(
        ["16 Mar 2026", "12", "0", "hidden", "hidden", "0", "12 of 12", "100%"]
    )
    expect(view.locator('[data-headline="team"]')).to_contain_text("all from their own check-ins")
    shot(page, "team-role")
    content = page.content()
    assert not [p.pseudonym for p in H.PEOPLE if p.pseudonym in content]
    assert page.evaluate("window.notReloaded") is True


def test_a_week_without_scores_is_explained(browser, hospital_dashboard):
    page = open_page(browser, hospital_dashboard, H.NURSE_LOGIN)
    choose(page, "week", "13 Apr 2026")
    expect(section(page, "my-week").locator('[data-notice="no-score"]')).to_contain_text(
        "has not been scored yet"
    )
    page = open_page(browser, hospital_dashboard, H.MANAGER_LOGIN)
    choose(page, "week", "13 Apr 2026")
    expect(section(page, "team").locator('[data-notice="no-score"]')).to_be_visible()
    shot(page, "week-without-scores")


def test_an_empty_database_shows_a_friendly_message(browser, tmp_path):
    url = f"sqlite:///{tmp_path / 'empty.db'}"
    engine = make_engine(url)
    init_db(engine)
    add_account(engine, "analyst", "analyst")
    engine.dispose()
    served = serve(tmp_path, "empty", url)
    try:
        page = open_page(browser, served, "analyst")
        expect(page.locator('[data-notice="empty"]')).to_contain_text("No weeks have been scored")
        assert "Traceback" not in page.content()
        shot(page, "empty-database")
    finally:
        served.stop()


def test_an_unreachable_database_shows_a_friendly_message(browser, tmp_path):
    served = serve(tmp_path, "unreachable", db_url="postgresql://nobody@127.0.0.1:1/none")
    try:
        page = browser.new_page(extra_http_headers={"X-Forwarded-User": H.NURSE_LOGIN})
        response = page.goto(served.url)
        assert response.status == 503
        expect(page.locator("h1")).to_have_text("Burnout Monitor cannot reach its database")
        content = page.content()
        assert "Traceback" not in content and "OperationalError" not in content
        shot(page, "unreachable-database")
    finally:
        served.stop()


def test_the_demo_database_is_served_as_make_demo_does(browser, tmp_path):
    """`make demo` runs `burnout demo` then `burnout dashboard`; the README's screenshots come
    from here (1280×800)."""
    data = tmp_path / "demo"
    env = dict(os.environ, BURNOUT_DATA_DIR=str(data))
    env.pop("BURNOUT_DB_URL", None)
    built = subprocess.run([str(BURNOUT), "--quiet", "demo"], env=env, capture_output=True,
                           text=True, timeout=300)  # fmt: skip
    assert built.returncode == 0, built.stderr
    assert "demo login demo-manager (manager: " in built.stdout
    served = Served(
        f"sqlite:///{data / 'burnout.db'}",
        data,
        tmp_path / "voila.log",
        {"BURNOUT_DEMO_SIGNIN": "1"},
    )
    try:
        page = browser.new_page(viewport={"width": 1280, "height": 800})
        page.set_default_timeout(TIMEOUT_MS)
        page.goto(served.url)
        expect(page.locator("h1")).to_have_text("Demo sign-in")
        expect(page.get_by_role("note")).to_contain_text("made-up data only")
        page.get_by_role("link", name="demo-manager").click()
        page.wait_for_selector(".bm-app", timeout=TIMEOUT_MS)
        expect(page.locator(".demo-label")).to_have_text("Demo sign-in, made-up data")
        view = section(page, "team")
        last_week = last_complete_week(date.today())  # the demo ends with it
        expect(view.locator("h2")).to_contain_text(f"week of {last_week:%d %b %Y}")
        expect(view.locator('[data-benchmark="nhs"]')).to_contain_text("NHS Staff Survey 2023")
        page.screenshot(path=str(ARTIFACTS / "demo-team.png"))
        page.get_by_role("link", name="choose another demo login").click()
        page.get_by_role("link", name="demo-staff").click()
        page.wait_for_selector(".bm-app", timeout=TIMEOUT_MS)
        expect(section(page, "my-week").locator('[data-table="risk-log"]')).to_be_visible()
        page.screenshot(path=str(ARTIFACTS / "demo-my-week.png"))
    finally:
        served.stop()


def test_occupational_health_reads_a_persons_page_headed_with_their_pseudonym(
    browser, hospital_dashboard
):
    page = open_page(browser, hospital_dashboard, H.OH_LOGIN)
    expect(page.get_by_role("tab")).to_have_text(["Team", "Alerts", "Person"])
    page.get_by_role("tab", name="Alerts").click()
    page.get_by_role("button", name="Open this person's page (the opening is logged)").click()
    expect(page.locator('[data-notice="opened"]')).to_contain_text("Opened nurse-01's page")
    view = section(page, "my-week")
    expect(view.locator("h2")).to_have_text("nurse-01: week of 06 Apr 2026")
    expect(view.get_by_role("heading", name="Weekly log of nurse-01")).to_be_visible()
    expect(view.get_by_role("heading", name="Alerts about nurse-01 and what occupational health "
                            "may do")).to_be_visible()  # fmt: skip
    expect(view.locator('[data-table="person-alerts"]')).to_contain_text(H.ALERT_ACTION)
    expect(view).not_to_contain_text("Your weekly log")
    expect(view).not_to_contain_text("What may help you")
    shot(page, "occupational-health-person")


def test_a_week_in_progress_is_never_the_week_views_open_on(browser, hospital_dashboard):
    """One person checked in this week and was scored at once: every role's page still opens on
    the last finished week, and names this one as in progress."""
    engine = make_engine(hospital_dashboard.db_url)
    this_week = monday(date.today())
    with engine.begin() as connection:
        resident = connection.execute(
            select(db.staff.c.id).where(db.staff.c.pseudonym == "resident-02")
        ).scalar_one()
        [risk] = connection.execute(
            select(db.weekly_risk).where(
                db.weekly_risk.c.staff_id == resident, db.weekly_risk.c.week_start == H.LAST
            )
        ).mappings()
        row = {**{k: v for k, v in risk.items() if k != "id"}, "week_start": this_week}
        db.upsert(connection, db.weekly_risk, pd.DataFrame([row]),
                  ("staff_id", "week_start", "model_version_id"))  # fmt: skip
        db.upsert(connection, db.checkin, pd.DataFrame([{"staff_id": resident,
                  "week_start": this_week, "score": 25.0, "source": "self"}]),
                  ("staff_id", "week_start"))  # fmt: skip
    engine.dispose()
    label = f"{this_week:%d %b %Y} (in progress)"
    for login in (H.MANAGER_LOGIN, H.OH_LOGIN, H.NURSE_LOGIN):
        page = open_page(browser, hospital_dashboard, login)
        chosen = page.locator(".bm-week select option:checked")
        expect(chosen).to_have_text("06 Apr 2026")
        expect(page.locator(".bm-week option").first).to_have_text(label)
        expect(page.locator(".muted").first).to_contain_text(
            f"latest finished week 06 Apr 2026 · week of {this_week:%d %b %Y} in progress"
        )
        page.context.close()
