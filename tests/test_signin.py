"""Whom the dashboard's kernel shows the page for (`app/signin.py`): under Voilà only the header
the front proxy set counts; elsewhere the notebook's `login` parameter does."""

import pytest

from burnout_lib.app.signin import page_login, signed_in_login, under_voila
from burnout_lib.config import load_settings


@pytest.fixture
def outside_voila(monkeypatch):
    for name in ("VOILA_PREHEAT", "SERVER_SOFTWARE", "HTTP_X_FORWARDED_USER", "HTTP_COOKIE"):
        monkeypatch.delenv(name, raising=False)
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


def test_the_demo_cookie_counts_only_with_the_demo_sign_in(outside_voila) -> None:
    outside_voila.setenv("SERVER_SOFTWARE", "voila/0.5.13")
    outside_voila.setenv("HTTP_COOKIE", "_xsrf=abc; burnout_demo_login=demo-staff")
    assert signed_in_login(load_settings(db="sqlite:///x.db")) is None
    outside_voila.setenv("BURNOUT_DEMO_SIGNIN", "1")
    assert signed_in_login(load_settings(db="sqlite:///x.db")) == "demo-staff"
    outside_voila.setenv("HTTP_COOKIE", 'broken="')
    assert signed_in_login(load_settings(db="sqlite:///x.db")) is None
