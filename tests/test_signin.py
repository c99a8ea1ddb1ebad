"""Whom the dashboard's kernel shows the page for (`app/signin.py`): under Voilà only the header
the front proxy set counts, or with the demo sign-in only the chooser's signed cookie; elsewhere
the notebook's `login` parameter does."""

import pytest

from burnout_lib.app.server import voila_environment
from burnout_lib.app.signin import (
    DEMO_COOKIE,
    DEMO_KEY_ENV,
    demo_cookie,
    demo_cookie_login,
    page_login,
    signed_in_login,
    under_voila,
)
from burnout_lib.config import load_settings


@pytest.fixture
def outside_voila(monkeypatch):
    for name in ("VOILA_PREHEAT", "SERVER_SOFTWARE", "HTTP_X_FORWARDED_USER", "HTTP_COOKIE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.delenv(DEMO_KEY_ENV, raising=False)
    monkeypatch.delenv("BURNOUT_DEMO_SIGNIN", raising=False)
    monkeypatch.delenv("BURNOUT_USER_HEADER", raising=False)
    return monkeypatch


def test_outside_voila_the_notebook_parameter_says_whom(outside_voila) -> None:
    settings = load_settings(db="sqlite:///x.db")
    assert not under_voila()
    assert page_login(settings, " lead@h ") == "lead@h"
    assert page_login(settings, "") is None


def test_under_voila_only_the_signed_in_header_counts(outside_voila) -> None:
    outside_voila.setenv("SERVER_SOFTWARE", "voila/0.5.13")
    settings = load_settings(db="sqlite:///x.db")
    assert under_voila()
    assert page_login(settings, "someone-else@h") is None
    outside_voila.setenv("HTTP_X_FORWARDED_USER", "nurse@h")
    assert page_login(settings, "someone-else@h") == "nurse@h"


def test_the_header_is_the_one_configured(outside_voila) -> None:
    outside_voila.setenv("SERVER_SOFTWARE", "voila/0.5.13")
    outside_voila.setenv("BURNOUT_USER_HEADER", "X-Remote-User")
    outside_voila.setenv("HTTP_X_FORWARDED_USER", "not-this@h")
    outside_voila.setenv("HTTP_X_REMOTE_USER", "this@h")
    assert signed_in_login(load_settings(db="sqlite:///x.db")) == "this@h"


@pytest.fixture
def demo_kernel(outside_voila):
    """A kernel of a demo dashboard, with the key `burnout dashboard` gave this start."""
    outside_voila.setenv("SERVER_SOFTWARE", "voila/0.5.13")
    outside_voila.setenv("BURNOUT_DEMO_SIGNIN", "1")
    key = voila_environment(load_settings(db="sqlite:///x.db"))[DEMO_KEY_ENV]
    outside_voila.setenv(DEMO_KEY_ENV, key)
    return key


def signed_in_with(monkeypatch, cookie_header: str) -> str | None:
    monkeypatch.setenv("HTTP_COOKIE", cookie_header)
    return signed_in_login(load_settings(db="sqlite:///x.db"))


def test_the_demo_cookie_counts_only_with_the_demo_sign_in(demo_kernel, outside_voila) -> None:
    cookie = f"_xsrf=abc; {DEMO_COOKIE}={demo_cookie('demo-staff', demo_kernel)}"
    assert signed_in_with(outside_voila, cookie) == "demo-staff"
    outside_voila.setenv("BURNOUT_DEMO_SIGNIN", "0")
    assert signed_in_with(outside_voila, cookie) is None


def test_in_the_demo_a_user_header_is_ignored(demo_kernel, outside_voila) -> None:
    outside_voila.setenv("HTTP_X_FORWARDED_USER", "occupational-health@h")
    assert signed_in_with(outside_voila, "") is None  # the header alone signs nobody in
    signed = f"{DEMO_COOKIE}={demo_cookie('demo-staff', demo_kernel)}"
    assert signed_in_with(outside_voila, signed) == "demo-staff"  # the cookie's login wins


@pytest.mark.parametrize(
    "value",
    [
        "demo-staff",  # the login written by hand, as the cookie used to be
        "ZGVtby1zdGFmZg",  # its base64, unsigned
        "ZGVtby1zdGFmZg." + "0" * 64,  # a made-up signature
        "bad-base64!.abc",
        "",
    ],
    ids=["plain-login", "unsigned", "made-up-signature", "not-base64", "empty"],
)
def test_a_hand_written_demo_cookie_signs_nobody_in(demo_kernel, outside_voila, value) -> None:
    assert signed_in_with(outside_voila, f"{DEMO_COOKIE}={value}") is None


def test_a_demo_cookie_of_another_start_or_login_signs_nobody_in(
    demo_kernel, outside_voila
) -> None:
    earlier = voila_environment(load_settings(db="sqlite:///x.db"))[DEMO_KEY_ENV]
    assert earlier != demo_kernel  # every start makes a key of its own
    stale = demo_cookie("demo-staff", earlier)
    assert signed_in_with(outside_voila, f"{DEMO_COOKIE}={stale}") is None
    # one login's signature under another login's name
    signature = demo_cookie("demo-staff", demo_kernel).partition(".")[2]
    other = demo_cookie("demo-manager", demo_kernel).partition(".")[0]
    assert signed_in_with(outside_voila, f"{DEMO_COOKIE}={other}.{signature}") is None
    assert signed_in_with(outside_voila, 'broken="') is None
    outside_voila.delenv(DEMO_KEY_ENV)  # a kernel without the key trusts no demo cookie
    good = demo_cookie("demo-staff", demo_kernel)
    assert signed_in_with(outside_voila, f"{DEMO_COOKIE}={good}") is None
    assert demo_cookie_login(good, "") is None


def test_a_demo_cookie_carries_any_login_intact() -> None:
    for login in ("demo-staff", "nurse.one@hospital.example", "Ana María López", "a.b|c=d"):
        assert demo_cookie_login(demo_cookie(login, "k"), "k") == login
