"""Sign-in as a hospital deploys it: a real nginx in front (HTTP basic auth standing in for the
hospital's single sign-on) sets the login and the proxy secret; Voilà behind it refuses anything
that did not come through it. Each role is opened in headless Chromium, and each refusal is
checked by status and body, with the page searched for every pseudonym in the database.

The demo sign-in (`BURNOUT_DEMO_SIGNIN=1`) is served too, as `make demo` serves it, with no proxy
secret: there only the chooser's signed cookie signs anyone in, whatever header or hand-written
cookie a request brings."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from burnout_lib.app.signin import DEMO_COOKIE
from burnout_lib.store import db
from burnout_lib.store.db import make_engine

from helpers import small_hospital as H
from helpers.front_proxy import SECRET, FrontProxy, password, signed_in_page
from helpers.serving import TIMEOUT_MS, Served

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
    proxy: FrontProxy | None  # none in front of the demo
    pseudonyms: list[str]

    def leaked(self, html: str, allowed: tuple[str, ...] = ()) -> list[str]:
        return [p for p in self.pseudonyms if p in html and p not in allowed]


def served_hospital(tmp: Path, env: dict[str, str]) -> tuple[object, Served, list[str]]:
    """The small hospital in a new SQLite file, served by `burnout dashboard` with `env`: its
    engine, the server and every pseudonym (to look for in pages)."""
    url = H.sqlite_file(tmp / "hospital.db")
    engine = make_engine(url)
    with engine.connect() as connection:
        pseudonyms = list(connection.execute(select(db.staff.c.pseudonym)).scalars())
    data = tmp / "data"
    data.mkdir()
    return engine, Served(url, data, tmp / "voila.log", env), pseudonyms


@pytest.fixture(scope="module")
def stack(tmp_path_factory) -> Iterator[Stack]:
    tmp = tmp_path_factory.mktemp("signin")
    engine, voila, pseudonyms = served_hospital(tmp, {"BURNOUT_PROXY_SECRET": SECRET})
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


@pytest.mark.parametrize(
    "path", ["api/kernels", "api/sessions", "api/contents", "api/kernels/not-a-kernel-id", "api"]
)
def test_an_api_request_without_sign_in_is_refused_not_redirected(stack, path) -> None:
    """The kernel list and every other API path Voilà does not serve answer 403, as the kernel
    API does; only pages go to the "not signed in" page."""
    for url in (stack.voila.url, stack.proxy.url):
        refused = httpx.get(f"{url}{path}", timeout=60)
        assert refused.status_code == (403 if url == stack.voila.url else 401), refused.text
        assert stack.leaked(refused.text) == []
    forged = httpx.get(f"{stack.voila.url}{path}", headers={USER_HEADER: H.OH_LOGIN}, timeout=60)
    assert forged.status_code == 403 and "json" in forged.headers["content-type"]
    posted = httpx.post(f"{stack.voila.url}{path}", headers={USER_HEADER: H.OH_LOGIN}, timeout=60)
    assert posted.status_code == 403
    page = httpx.get(f"{stack.voila.url}some/page", timeout=60)
    assert page.status_code == 302 and page.headers["location"].startswith("/login")


def test_signed_in_there_is_no_list_of_kernels(stack) -> None:
    auth = (H.OH_LOGIN, password(H.OH_LOGIN))
    response = httpx.get(f"{stack.proxy.url}api/kernels", auth=auth, timeout=60)
    assert response.status_code == 404 and "json" in response.headers["content-type"]
    assert KERNEL not in response.text and "id" not in response.json()


def test_the_secret_is_what_lets_a_request_past(stack) -> None:
    """The refusals above are the secret's doing: with it, the same request is served."""
    page = httpx.get(
        stack.voila.url, headers={USER_HEADER: H.MANAGER_LOGIN, SECRET_HEADER: SECRET}, timeout=120
    )
    assert page.status_code == 200


def test_the_server_prints_no_noise_about_trust_or_deprecated_options(stack) -> None:
    page = httpx.get(
        stack.voila.url, headers={USER_HEADER: H.NURSE_LOGIN, SECRET_HEADER: SECRET}, timeout=120
    )
    assert page.status_code == 200  # a page loaded, after the preheated one was rendered
    assert_quiet(stack.voila.log.read_text())


def assert_quiet(log: str) -> None:
    assert "Voilà is running" in log, log
    assert "is not trusted" not in log, log
    assert "DeprecationWarning" not in log and "is deprecated" not in log, log


# --- The demo sign-in: only the chooser's signed cookie counts -----------------------------


@pytest.fixture(scope="module")
def demo(tmp_path_factory) -> Iterator[Stack]:
    """The hospital served as `make demo` serves the dashboard: the chooser, no proxy secret,
    and a Jupyter data folder of its own (no notebook trusted in it beforehand)."""
    tmp = tmp_path_factory.mktemp("demo-signin")
    env = {"BURNOUT_DEMO_SIGNIN": "1", "JUPYTER_DATA_DIR": str(tmp / "jupyter-data")}
    engine, voila, pseudonyms = served_hospital(tmp, env)
    yield Stack(engine, voila, None, pseudonyms)
    voila.stop()
    engine.dispose()


def assert_demo_chooser(demo: Stack, response: httpx.Response) -> None:
    """Sent to the chooser, signed in as nobody: no page of the app (the chooser names the
    demo accounts, pseudonyms of the staff ones too, and nothing else)."""
    assert response.status_code == 200, (response.status_code, response.text[:300])
    assert str(response.url).endswith("/demo-signin")
    assert "<h1>Demo sign-in</h1>" in response.text
    for part in ("Signed in as", "bm-app", "data-table", "data-view"):
        assert part not in response.text


def test_the_demo_warns_that_the_proxy_secret_is_not_set(demo) -> None:
    log = demo.voila.log.read_text()
    assert "Demo sign-in is on" in log
    assert "warning: BURNOUT_PROXY_SECRET is not set" in log


@pytest.mark.parametrize("header", [H.OH_LOGIN, "demo-staff"])
def test_in_the_demo_a_forged_user_header_signs_nobody_in(demo, header) -> None:
    assert_demo_chooser(demo, get(demo.voila.url, headers={USER_HEADER: header}))
    for path in (f"api/kernels/{KERNEL}", "api/kernels"):
        api = httpx.get(f"{demo.voila.url}{path}", headers={USER_HEADER: header}, timeout=60)
        assert api.status_code == 403


def test_in_the_demo_a_hand_written_cookie_signs_nobody_in(demo) -> None:
    with httpx.Client(base_url=demo.voila.url, timeout=60) as signed:
        signed.get("demo-signin", params={"as": H.NURSE_LOGIN})  # a real cookie, for the nurse
        real = signed.cookies[DEMO_COOKIE]
    assert H.NURSE_LOGIN not in real  # signed, not the login as such
    other = httpx.get(f"{demo.voila.url}demo-signin", params={"as": H.OH_LOGIN}, timeout=60)
    oh_name = other.cookies[DEMO_COOKIE].partition(".")[0]
    nurse_signature = real.partition(".")[2]
    for value in (H.OH_LOGIN, oh_name, f"{oh_name}.{nurse_signature}", f"{real}0"):
        cookie = {"Cookie": f"{DEMO_COOKIE}={value}"}
        assert_demo_chooser(demo, get(demo.voila.url, headers=cookie))
        api = httpx.get(f"{demo.voila.url}api/kernels", headers=cookie, timeout=60)
        assert api.status_code == 403


def test_in_the_demo_the_chooser_s_cookie_wins_over_a_forged_header(browser, demo) -> None:
    context = browser.new_context(
        viewport={"width": 1280, "height": 800}, extra_http_headers={USER_HEADER: H.OH_LOGIN}
    )
    page = context.new_page()
    page.set_default_timeout(TIMEOUT_MS)
    page.goto(demo.voila.url)
    expect(page.locator("h1")).to_have_text("Demo sign-in")
    page.get_by_role("link", name=H.NURSE_LOGIN).click()
    page.wait_for_selector(".bm-app", timeout=TIMEOUT_MS)
    expect(page.locator(".signed-in")).to_contain_text(H.NURSE_LOGIN)
    expect(page.locator(".demo-label")).to_have_text("Demo sign-in, made-up data")
    expect(page.get_by_role("tab")).to_have_text(H.STAFF_TABS)
    assert demo.leaked(page.content(), allowed=("nurse-01",)) == []
    context.close()


def test_the_demo_prints_no_noise_about_trust_or_deprecated_options(demo) -> None:
    with httpx.Client(base_url=demo.voila.url, timeout=120, follow_redirects=True) as client:
        page = client.get("demo-signin", params={"as": H.MANAGER_LOGIN})
    assert page.status_code == 200 and str(page.url) == demo.voila.url
    assert_quiet(demo.voila.log.read_text())
