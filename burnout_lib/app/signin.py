"""Who is signed in, as the dashboard's kernel sees it.

Voilà copies the front proxy's user header into the kernel's environment (`HTTP_X_FORWARDED_USER`
for the default header). A preheated kernel runs the notebook before anyone asks for it, so it
waits for the request first (`voila.utils.wait_for_request`). The server has already refused any
request without the proxy secret or without an account (`app.identity`); the page checks the
account again before it shows anything.
"""

from __future__ import annotations

import os
from http.cookies import CookieError, SimpleCookie

from burnout_lib.config import Settings

#: The cookie the demo chooser sets (`app.identity`); read only when the demo sign-in is on.
DEMO_COOKIE = "burnout_demo_login"


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
    login = os.environ.get(settings.user_header_env, "").strip()
    if not login and settings.demo_signin:
        login = _demo_login(os.environ.get("HTTP_COOKIE", ""))
    return login or None


def _demo_login(cookie_header: str) -> str:
    try:
        cookies = SimpleCookie(cookie_header)
    except CookieError:
        return ""
    morsel = cookies.get(DEMO_COOKIE)
    return morsel.value.strip() if morsel else ""
