"""The dashboard as people get it: `burnout dashboard` (Voilà) in Debian's headless Chromium.

Screenshots of each state are saved under `test-artifacts/dashboard/` (or `$BURNOUT_ARTIFACTS`).
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect, sync_playwright

from burnout_lib.store.db import init_db, make_engine

from helpers import small_hospital as H
from helpers.paths import BURNOUT, ROOT

pytestmark = pytest.mark.slow

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
ARTIFACTS = Path(os.environ.get("BURNOUT_ARTIFACTS", ROOT / "test-artifacts")) / "dashboard"
TIMEOUT_MS = 120_000  # a first page load on a busy 2-core CI machine


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Served:
    """`burnout dashboard` on a free port, stopped with its whole process group."""

    def __init__(self, db_url: str, data_dir: Path, log: Path) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}/"
        env = dict(os.environ, BURNOUT_DB_URL=db_url, BURNOUT_DATA_DIR=str(data_dir))
        self.log = log
        self.process = subprocess.Popen(
            [str(BURNOUT), "dashboard", "--port", str(self.port)],
            stdout=log.open("w"),
            stderr=subprocess.STDOUT,
            env=env,
            start_new_session=True,
        )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise AssertionError(f"the dashboard did not start:\n{log.read_text()}")
            try:  # only the port: a page request would use up the preheated kernel
                socket.create_connection(("127.0.0.1", self.port), timeout=1).close()
                return
            except OSError:
                time.sleep(0.3)
        raise AssertionError(f"the dashboard did not answer within 60 s:\n{log.read_text()}")

    def stop(self) -> None:
        os.killpg(self.process.pid, signal.SIGTERM)
        try:
            self.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait()


def serve(tmp: Path, name: str, db_url: str | None = None) -> Served:
    folder = tmp / name
    folder.mkdir()
    return Served(db_url or f"sqlite:///{folder / 'burnout.db'}", folder, folder / "voila.log")


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_FLAGS)
        yield chromium
        chromium.close()


@pytest.fixture(scope="module")
def hospital_dashboard(tmp_path_factory) -> Iterator[Served]:
    tmp = tmp_path_factory.mktemp("dashboard")
    url = f"sqlite:///{tmp / 'hospital.db'}"
    engine = make_engine(url)
    init_db(engine)
    H.build(engine)
    engine.dispose()
    served = serve(tmp, "hospital", url)
    yield served
    served.stop()
    assert "Traceback" not in served.log.read_text()


def open_page(browser: Browser, served: Served) -> Page:
    page = browser.new_page(viewport={"width": 1280, "height": 800})
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


def test_my_week_shows_a_known_person_s_log_alerts_and_charts(browser, hospital_dashboard):
    page = open_page(browser, hospital_dashboard)
    expect(page.locator(".bm-week select")).to_have_value(
        page.locator(".bm-week option", has_text="06 Apr 2026").get_attribute("value")
    )
    page.locator(".bm-person input").fill("nurse-01")
    page.locator(".bm-person input").press("Enter")
    view = section(page, "my-week")
    expect(view.locator("h2")).to_have_text("nurse-01: week of 06 Apr 2026")
    first_row = view.locator('[data-table="risk-log"] tbody tr').first
    expect(first_row.locator("td")).to_have_text(
        ["06 Apr 2026", "high", "80%", "60", "recent check-in scores"]
    )
    expect(view.locator('[data-table="risk-log"] tbody tr')).to_have_count(6)
    expect(view.locator('[data-table="person-alerts"]')).to_contain_text(H.ALERT_ACTION)
    expect(view.locator('img[data-chart="risk-timeline"]')).to_be_visible()
    expect(view.locator('img[data-chart="expression-trends"]')).to_be_visible()
    expect(view).to_contain_text("not what you feel")
    shot(page, "my-week")

    before = chart_source(page, "risk-timeline")
    choose(page, "week", "23 Mar 2026")
    expect(view.locator("h2")).to_have_text("nurse-01: week of 23 Mar 2026")
    assert chart_source(page, "risk-timeline") != before
    page.locator(".bm-person input").fill("resident-01")
    page.locator(".bm-person input").press("Enter")
    expect(view.locator("h2")).to_have_text("resident-01: week of 23 Mar 2026")
    expect(
        view.locator('[data-table="risk-log"] tbody tr').first.locator("td").nth(1)
    ).to_have_text("low")
    assert page.evaluate("window.notReloaded") is True
    assert "Traceback" not in page.content()


def test_team_view_suppresses_small_groups_and_follows_every_control(browser, hospital_dashboard):
    page = open_page(browser, hospital_dashboard)
    page.get_by_role("tab", name="Team").click()
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
    expect(last_week.nth(4)).to_have_text("hidden")  # two people at high risk
    expect(view.locator('img[data-chart="team-levels"]')).to_be_visible()
    expect(view.locator('img[data-chart="team-burnout"]')).to_be_visible()
    shot(page, "team-unit")
    text = view.inner_text()
    assert not any(person.pseudonym in text for person in H.PEOPLE)

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
    expect(cells).to_have_text(["16 Mar 2026", "12", "hidden", "hidden", "0", "12 of 12", "100%"])
    shot(page, "team-role")
    assert page.evaluate("window.notReloaded") is True


def test_a_week_without_scores_is_explained(browser, hospital_dashboard):
    page = open_page(browser, hospital_dashboard)
    choose(page, "week", "13 Apr 2026")
    page.locator(".bm-person input").fill("nurse-01")
    page.locator(".bm-person input").press("Enter")
    expect(section(page, "my-week").locator('[data-notice="no-score"]')).to_contain_text(
        "has not been scored yet"
    )
    page.get_by_role("tab", name="Team").click()
    choose(page, "unit", "Ward A")
    expect(section(page, "team").locator('[data-notice="no-score"]')).to_be_visible()
    shot(page, "week-without-scores")


def test_an_empty_database_shows_a_friendly_message(browser, tmp_path):
    url = f"sqlite:///{tmp_path / 'empty.db'}"
    engine = make_engine(url)
    init_db(engine)
    engine.dispose()
    served = serve(tmp_path, "empty", url)
    try:
        page = open_page(browser, served)
        expect(page.locator('[data-notice="empty"]')).to_contain_text("No weeks have been scored")
        assert "Traceback" not in page.content()
        shot(page, "empty-database")
    finally:
        served.stop()


def test_an_unreachable_database_shows_a_friendly_message(browser, tmp_path):
    served = serve(tmp_path, "unreachable", db_url="postgresql://nobody@127.0.0.1:1/none")
    try:
        page = open_page(browser, served)
        expect(page.locator('[data-notice="error"]')).to_contain_text("cannot reach database")
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
    served = Served(f"sqlite:///{data / 'burnout.db'}", data, tmp_path / "voila.log")
    try:
        page = open_page(browser, served)
        page.get_by_role("tab", name="Team").click()
        choose(page, "unit", "Emergency department")
        view = section(page, "team")
        expect(view.locator("h2")).to_have_text("Emergency department: week of 29 Jun 2026")
        expect(view.locator('[data-benchmark="nhs"]')).to_contain_text("NHS Staff Survey 2023")
        page.screenshot(path=str(ARTIFACTS / "demo-team.png"))
        page.get_by_role("tab", name="My week").click()
        person = page.locator(".bm-person input")
        person.fill("deft-kestrel-99")
        person.press("Enter")
        expect(section(page, "my-week").locator('[data-table="risk-log"]')).to_be_visible()
        page.screenshot(path=str(ARTIFACTS / "demo-my-week.png"))
    finally:
        served.stop()
