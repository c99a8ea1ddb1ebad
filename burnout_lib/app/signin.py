"""Who is signed in, as the dashboard's kernel sees it.

Voilà copies the front proxy's user header into the kernel's environment (`HTTP_X_FORWARDED_USER`
for the default header). A preheated kernel runs the notebook before anyone asks for it, so it
waits for the request first (`voila.utils.wait_for_request`). The server has already refused any
request without the proxy secret or without an account (`app.identity`); the page checks the
account again before it shows anything.

The demo sign-in (`BURNOUT_DEMO_SIGNIN=1`, `make demo` only) replaces the front proxy with a
chooser, and then only the chooser's cookie counts: a user header is ignored, whoever sent it,
here and in the server. The cookie is `<login in base64url>.<HMAC-SHA256 of the login>`, signed
with a key that `burnout dashboard` makes afresh at each start and hands to Voilà and, through its
environment, to every kernel (`DEMO_KEY_ENV`, set by `server.voila_environment`; never stored, so
a restart signs every demo visitor out). The server and the kernel check the same signature with
the same few lines below, because the kernel sees only the raw `Cookie` header Voilà copies in:
tornado's own signed cookies (`set_secure_cookie`) would need the server's `cookie_secret` and
tornado's format in the kernel too, for nothing more. A cookie written by hand, or signed by an
earlier start, names nobody.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
from http.cookies import CookieError, SimpleCookie

from burnout_lib.config import Settings

#: The cookie the demo chooser sets (`app.identity`); read only when the demo sign-in is on.
DEMO_COOKIE = "burnout_demo_login"
#: The variable holding this start's key for the demo cookie (`server.voila_environment`).
DEMO_KEY_ENV = "BURNOUT_DEMO_COOKIE_KEY"


def under_voila() -> bool:
    """True in a kernel Voilà started for a page (preheated, or for one request)."""
    return "VOILA_PREHEAT" in os.environ or os.environ.get("SERVER_SOFTWARE", "").startswith(
        "voila/"
    )


def page_login(settings: Settings, notebook_login: str = "") -> str | None:
    """Whom the dashboard notebook is for: the signed-in login under Voilà, where nothing else
    counts; elsewhere (papermill, JupyterLab) the notebook's `login` parameter."""
    if under_voila():
        return signed_in_login(settings)
    return notebook_login.strip() or None


def signed_in_login(settings: Settings) -> str | None:
    """The login of the person this page is for, or None when nobody is signed in."""
    if os.environ.get("VOILA_PREHEAT") == "True":
        from voila.utils import wait_for_request

        wait_for_request()
    if settings.demo_signin:
        value = _cookie(os.environ.get("HTTP_COOKIE", ""), DEMO_COOKIE)
        return demo_cookie_login(value, demo_key())
    return os.environ.get(settings.user_header_env, "").strip() or None


def demo_key() -> str:
    """This start's key for the demo cookie ("" when the dashboard was not started with one)."""
    return os.environ.get(DEMO_KEY_ENV, "")


def demo_cookie(login: str, key: str) -> str:
    """The demo cookie's value for `login`, signed with `key`."""
    name = base64.urlsafe_b64encode(login.encode()).decode().rstrip("=")
    return f"{name}.{_signature(login, key)}"


def demo_cookie_login(value: str, key: str) -> str | None:
    """The login a demo cookie names, if `key` signed it; otherwise None."""
    name, dot, signature = value.strip().partition(".")
    if not key or not dot:
        return None
    try:
        padded = name + "=" * (-len(name) % 4)
        login = base64.b64decode(padded, altchars=b"-_", validate=True).decode()
    except ValueError:  # not base64, not ASCII, not UTF-8
        return None
    if not login.strip() or not hmac.compare_digest(
        signature.encode(), _signature(login, key).encode()
    ):
        return None
    return login


def _signature(login: str, key: str) -> str:
    message = b"burnout demo sign-in\0" + login.encode()
    return hmac.new(key.encode(), message, hashlib.sha256).hexdigest()


def _cookie(cookie_header: str, name: str) -> str:
    try:
        cookies = SimpleCookie(cookie_header)
    except CookieError:
        return ""
    morsel = cookies.get(name)
    return morsel.value if morsel else ""
