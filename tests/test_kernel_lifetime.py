"""A dashboard kernel lives as long as its page: closed pages free their Python process within
`BURNOUT_KERNEL_IDLE_SECONDS`, while a page left open is never culled under its reader.

Real `burnout dashboard` (Voilà) in Debian's headless Chromium, with a short idle time so the
test takes seconds rather than minutes; the product's default is 45 s.
"""

from __future__ import annotations

import time
from collections.abc import Iterator

import psutil
import pytest
from playwright.sync_api import Browser, expect

from burnout_lib.app.kernel_forks import is_kernel

from helpers import small_hospital as H
from helpers.serving import TIMEOUT_MS, Served

pytestmark = [pytest.mark.slow, pytest.mark.load]

IDLE_SECONDS = 6
#: The idle time, one look of the culler (a third of it) and a margin for a busy machine.
CULLED_WITHIN = IDLE_SECONDS + IDLE_SECONDS // 3 + 10
PAGES = 20
LOGINS = [H.NURSE_LOGIN, H.RESIDENT_LOGIN]


@pytest.fixture(scope="module")
def dashboard(tmp_path_factory) -> Iterator[Served]:
    tmp = tmp_path_factory.mktemp("kernels")
    served = Served(H.sqlite_file(tmp / "hospital.db"), tmp, tmp / "voila.log",
                    {"BURNOUT_KERNEL_IDLE_SECONDS": str(IDLE_SECONDS)})  # fmt: skip
    yield served
    served.stop()


def kernels(served: Served) -> int:
    """Kernel processes the dashboard's server is running now."""
    server = psutil.Process(served.process.pid)
    return sum(
        is_kernel(child)
        for child in server.children(recursive=True)
        if child.is_running() and child.status() != psutil.STATUS_ZOMBIE
    )


def wait_for(condition, seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.5)
    return condition()


def open_page(browser: Browser, served: Served, login: str):
    """The dashboard for `login`, drawn (one at a time: a busy test machine has two cores)."""
    context = browser.new_context(extra_http_headers={"X-Forwarded-User": login})
    page = context.new_page()
    page.set_default_timeout(TIMEOUT_MS)
    page.goto(served.url)
    page.wait_for_selector(".bm-app", timeout=TIMEOUT_MS)
    return context, page


def test_closed_pages_leave_only_the_preheated_kernel(browser, dashboard) -> None:
    assert wait_for(lambda: kernels(dashboard) == 1, 60), "the preheated kernel"
    opened = [open_page(browser, dashboard, LOGINS[k % 2]) for k in range(3)]
    assert kernels(dashboard) >= 4, "one kernel per open page, and the preheated one"
    for context, _ in opened:
        context.close()
    for k in range(PAGES - len(opened)):
        context, _ = open_page(browser, dashboard, LOGINS[k % 2])
        context.close()
    assert wait_for(lambda: kernels(dashboard) == 1, CULLED_WITHIN * 2), (
        f"{kernels(dashboard)} kernels still alive after every page closed"
    )


def test_an_open_page_left_idle_still_answers(browser, dashboard) -> None:
    context, page = open_page(browser, dashboard, H.NURSE_LOGIN)
    page.evaluate("window.notReloaded = true")
    time.sleep(CULLED_WITHIN)  # longer than a closed page's kernel would live
    page.locator(".bm-week select").select_option(label="23 Mar 2026")
    expect(page.locator('section[data-view="my-week"] h2')).to_have_text("Your week of 23 Mar 2026")
    assert page.evaluate("window.notReloaded") is True
    context.close()
