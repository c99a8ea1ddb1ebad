"""Sign-in as a hospital deploys it: a real nginx in front (HTTP basic auth standing in for the
hospital's single sign-on) sets the login and the proxy secret; Voilà behind it refuses anything
that did not come through it. Each role is opened in headless Chromium, and each refusal is
checked by status and body, with the page searched for every pseudonym in the database."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

import httpx
import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from burnout_lib.store import db
from burnout_lib.store.db import make_engine

from helpers import small_hospital as H
from helpers.front_proxy import SECRET, FrontProxy, password, signed_in_page
from helpers.serving import Served

pytestmark = pytest.mark.slow

USER_HEADER = "X-Forwarded-User"
SECRET_HEADER = "X-Burnout-Proxy-Secret"
#: A kernel id of the right shape: the API must refuse before it looks the kernel up.
KERNEL = "0b5e2f4e-8d7c-4b6a-9e1f-3c2d1a0b9f8e"


@dataclass
class Stack:
    """The hospital's database, Voilà behind nginx, and every pseudonym the database holds."""

    engine: object
    voila: Served
    proxy: FrontProxy
    pseudonyms: list[str]

    def leaked(self, html: str, allowed: tuple[str, ...] = ()) -> list[str]:
        return [p for p in self.pseudonyms if p in html and p not in allowed]


@pytest.fixture(scope="module")
def stack(tmp_path_factory) -> Iterator[Stack]:
    tmp = tmp_path_factory.mktemp("signin")
    url = H.sqlite_file(tmp / "hospital.db")
    engine = make_engine(url)
    with engine.connect() as connection:
        pseudonyms = list(connection.execute(select(db.staff.c.pseudonym)).scalars())
    data = tmp / "data"
    data.mkdir()
    voila = Served(url, data, tmp / "voila.log", {"BURNOUT_PROXY_SECRET": SECRET})
    logins = [account["login"] for account in H.ACCOUNTS] + [H.VISITOR]
    proxy = FrontProxy(tmp / "nginx", voila.port, {lo: password(lo) for lo in logins}, SECRET)
    yield Stack(engine, voila, proxy, pseudonyms)
    proxy.stop()
    voila.stop()
    engine.dispose()
    assert SECRET not in (tmp / "nginx" / "access.log").read_text()


def test_staff_see_their_own_page_and_no_other_pseudonym(browser, stack) -> None:
    page = signed_in_page(browser, stack.proxy, H.NURSE_LOGIN)
    expect(page.get_by_role("tab")).to_have_text(H.STAFF_TABS)
    expect(page.locator('section[data-view="my-week"] h2')).to_have_text("Your week of 06 Apr 2026")
    expect(page.locator(".bm-unit")).to_have_count(0)
    expect(page.locator("datalist")).to_have_count(0)
    assert stack.leaked(page.content(), allowed=("nurse-01",)) == []


def test_a_page_s_kernel_answers_its_own_login_only(browser, stack) -> None:
    page = signed_in_page(browser, stack.proxy, H.NURSE_LOGIN)
    expect(page.locator('section[data-view="my-week"] h2')).to_be_visible()
    (kernel,) = re.findall(r'"kernelId": "([0-9a-f-]{36})"', page.content())
    api = f"{stack.proxy.url}api/kernels/{kernel}"
    own = httpx.get(api, auth=(H.NURSE_LOGIN, password(H.NURSE_LOGIN)), timeout=60)
    assert own.status_code == 200 and own.json()["id"] == kernel
    other = httpx.get(api, auth=(H.OH_LOGIN, password(H.OH_LOGIN)), timeout=60)
    assert other.status_code == 403


def test_a_header_the_browser_forges_is_replaced_by_the_proxy(browser, stack) -> None:
    forged = {USER_HEADER: H.OH_LOGIN, SECRET_HEADER: "guess"}
    page = signed_in_page(browser, stack.proxy, H.RESIDENT_LOGIN, headers=forged)
    expect(page.locator(".signed-in")).to_contain_text(H.RESIDENT_LOGIN)
    expect(page.get_by_role("tab")).to_have_text(H.STAFF_TABS)
    assert stack.leaked(page.content(), allowed=("resident-01",)) == []


def test_managers_see_only_their_units_and_no_person(browser, stack) -> None:
    page = signed_in_page(browser, stack.proxy, H.MANAGER_LOGIN)
    expect(page.get_by_role("tab")).to_have_text(["Team"])
    expect(page.locator(".bm-unit option")).to_have_text(["Ward A"])
    expect(page.locator('[data-headline="team"]')).to_contain_text("18 staff scored")
    assert stack.leaked(page.content()) == []


def test_occupational_health_opens_a_person_from_an_alert_and_it_is_logged(browser, stack) -> None:
    page = signed_in_page(browser, stack.proxy, H.OH_LOGIN)
    expect(page.get_by_role("tab")).to_have_text(["Team", "Alerts", "Person"])
    page.get_by_role("tab", name="Alerts").click()
    alerts = page.locator('section[data-view="alerts"]')
    expect(alerts.locator('[data-table="named-alerts"]')).to_contain_text("nurse-01")
    expect(page.locator(".bm-alert select option")).to_have_count(1)
    page.get_by_role("button", name="Open this person's page (the opening is logged)").click()
    person = page.locator('section[data-view="my-week"] h2')
    expect(person).to_have_text("nurse-01: week of 06 Apr 2026")
    expect(page.get_by_role("tab", name="Person")).to_have_attribute("aria-selected", "true")
    with stack.engine.connect() as connection:
        rows = connection.execute(
            select(db.access_log.c.viewer_login, db.staff.c.pseudonym).join(
                db.staff, db.staff.c.id == db.access_log.c.staff_id
            )
        ).all()
    assert [tuple(row) for row in rows] == [(H.OH_LOGIN, "nurse-01")]


# --- Refusals: status and body, and nothing about anyone -----------------------------------


def get(url: str, **kwargs) -> httpx.Response:
    return httpx.get(url, follow_redirects=True, timeout=60, **kwargs)


def assert_no_data(stack: Stack, response: httpx.Response, status: int) -> None:
    assert response.status_code == status, (response.status_code, response.text[:300])
    assert stack.leaked(response.text) == []
    for unit in ("Ward A", "Tiny unit"):
        assert unit not in response.text


def test_without_sign_in_the_proxy_lets_nothing_through(stack) -> None:
    assert_no_data(stack, get(stack.proxy.url), 401)
    wrong = get(stack.proxy.url, auth=(H.NURSE_LOGIN, "not-the-password"))
    assert_no_data(stack, wrong, 401)


def test_a_signed_in_login_without_an_account_gets_the_not_registered_page(stack) -> None:
    response = get(stack.proxy.url, auth=(H.VISITOR, password(H.VISITOR)))
    assert_no_data(stack, response, 403)
    assert "not signed in or not registered" in response.text
    assert re.search(r"<title>[^<]*not registered", response.text)


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {USER_HEADER: H.OH_LOGIN},
        {USER_HEADER: H.OH_LOGIN, SECRET_HEADER: "wrong"},
        {USER_HEADER: H.OH_LOGIN, SECRET_HEADER: SECRET[:-1]},
    ],
    ids=["nothing", "forged-login", "wrong-secret", "almost-the-secret"],
)
def test_straight_to_voila_without_the_secret_nothing_is_served(stack, headers) -> None:
    page = get(stack.voila.url, headers=headers)
    assert_no_data(stack, page, 403)
    kernels = httpx.get(f"{stack.voila.url}api/kernels/{KERNEL}", headers=headers, timeout=60)
    assert kernels.status_code == 403
    socket = httpx.get(
        f"{stack.voila.url}api/kernels/{KERNEL}/channels",
        headers={**headers, "Connection": "Upgrade", "Upgrade": "websocket",
                 "Sec-WebSocket-Version": "13", "Sec-WebSocket-Key": "dGhlIHNhbXBsZSBub25jZQ=="},
        timeout=60,
    )  # fmt: skip
    assert socket.status_code == 403


def test_the_secret_is_what_lets_a_request_past(stack) -> None:
    """The refusals above are the secret's doing: with it, the same request is served."""
    page = httpx.get(
        stack.voila.url, headers={USER_HEADER: H.MANAGER_LOGIN, SECRET_HEADER: SECRET}, timeout=120
    )
    assert page.status_code == 200
