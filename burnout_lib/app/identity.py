"""Who is signed in, as Voilà's server sees it: every request, page and websocket alike.

The hospital's sign-in runs in a front proxy (nginx with oauth2-proxy, Apache with
mod_auth_openidc, …), which puts the login in a header (`BURNOUT_USER_HEADER`) and, when
`BURNOUT_PROXY_SECRET` is set, the shared secret in `X-Burnout-Proxy-Secret`. This identity
provider accepts a request only with the right secret and a login that has an account; anything
else is anonymous, and Voilà's handlers then refuse it (the page is sent to the "not signed in"
page, the kernel API and websockets get 403). No kernel starts for an anonymous request.

Every path under `/api/` that Voilà itself does not serve (the kernel list, sessions, contents, a
kernel id of the wrong shape, …) is answered by `UnknownApiHandler`, so it too is refused with 403
rather than falling through to the page handler (which would send it to the "not signed in" page
with a 302), and a signed-in request gets 404: this dashboard has no such API.

With `BURNOUT_DEMO_SIGNIN=1` (set by `make demo` and nothing else) a clearly labelled chooser of
the demo logins stands in for the hospital's sign-in. Then only the chooser's signed cookie says
who a request is (`app.signin` explains the signature); a user header is ignored, whoever sent it,
and a cookie written by hand names nobody.
"""

from __future__ import annotations

import hmac
import html
import logging
from urllib.parse import quote

from jupyter_server.auth.authorizer import Authorizer
from jupyter_server.auth.decorator import allow_unauthenticated
from jupyter_server.auth.identity import IdentityProvider, User
from jupyter_server.base.handlers import APIHandler, JupyterHandler
from sqlalchemy.exc import SQLAlchemyError
from tornado import web

from burnout_lib.app.signin import (
    DEMO_COOKIE,
    DEMO_KEY_ENV,
    demo_cookie,
    demo_cookie_login,
    demo_key,
)
from burnout_lib.config import PROXY_SECRET_HEADER, Settings, load_settings
from burnout_lib.errors import NotSignedIn
from burnout_lib.privacy.accounts import list_accounts, viewer_for
from burnout_lib.store import db

log = logging.getLogger(__name__)

NOT_SIGNED_IN_PATH = "/login"
DEMO_SIGNIN_PATH = "/demo-signin"
#: Every API path; Voilà's own kernel handlers are matched before this one.
API_PATHS = r"/api(?:/.*)?"

PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>{title} · Burnout Monitor</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>body{{font:16px/1.5 system-ui,sans-serif;max-width:40rem;margin:3rem auto;padding:0 1rem;
color:#1a1a1a}} .demo{{border:3px dashed #b35900;padding:1rem;background:#fff4e5}}
a{{color:#0b5394}} li{{margin:.4rem 0}}</style></head>
<body><main><h1>{title}</h1>{body}</main></body></html>"""


def page(title: str, body: str) -> str:
    """A plain page of the product's own, with no data on it."""
    return PAGE.format(title=html.escape(title), body=body)


class ProxyIdentityProvider(IdentityProvider):
    """The login the front proxy vouched for, if it has an account; otherwise nobody."""

    def __init__(self, **kwargs) -> None:
        kwargs.pop("login_handler_class", None)  # Voilà's token form is not ours
        kwargs["token"] = ""
        super().__init__(**kwargs)
        self.burnout: Settings = load_settings()
        self._engine = None
        #: This start's key for the demo cookie (`burnout dashboard` makes it), or "".
        self.demo_key = demo_key() if self.burnout.demo_signin else ""
        if self.burnout.demo_signin and not self.demo_key:
            log.warning(
                "the demo sign-in is on but %s is not set (burnout dashboard sets it): "
                "no demo login can sign in",
                DEMO_KEY_ENV,
            )

    @property
    def engine(self):
        if self._engine is None:
            self._engine = db.make_engine(self.burnout.db_url)
        return self._engine

    @property
    def auth_enabled(self) -> bool:
        return True

    @property
    def login_available(self) -> bool:
        return True

    @property
    def logout_available(self) -> bool:
        return False

    def claimed_login(self, handler) -> str | None:
        """The login a request claims, or None when it did not come through the proxy."""
        request = handler.request
        secret = self.burnout.proxy_secret
        if secret is not None:
            sent = request.headers.get(PROXY_SECRET_HEADER, "")
            if not hmac.compare_digest(sent.encode(), secret.encode()):
                return None
        if self.burnout.demo_signin:
            # only the chooser's signed cookie counts: a user header is ignored, whoever sent it
            return demo_cookie_login(handler.get_cookie(DEMO_COOKIE) or "", self.demo_key)
        return request.headers.get(self.burnout.user_header, "").strip() or None

    def get_user(self, handler) -> User | None:
        login = self.claimed_login(handler)
        if login is None:
            return None
        try:
            with self.engine.connect() as connection:
                viewer_for(connection, login)
        except NotSignedIn:
            log.info("refused a request for %s: no account", login)
            return None
        except SQLAlchemyError as error:
            log.warning("cannot check the account of %s: %s", login, error)
            return None
        return User(username=login, name=login, display_name=login)

    def get_handlers(self) -> list[tuple[str, object]]:
        handlers: list[tuple[str, object]] = [
            (NOT_SIGNED_IN_PATH, NotSignedInHandler),
            (API_PATHS, UnknownApiHandler),
        ]
        if self.burnout.demo_signin:
            handlers.append((DEMO_SIGNIN_PATH, DemoSignInHandler))
        return handlers


class KernelOwnerAuthorizer(Authorizer):
    """A page's kernel answers only the login whose page it is.

    Voilà does not tie kernels to people, so the first signed-in login that reaches a kernel
    through the API (the page's own websocket, a moment after the page is served) owns it, and
    every other login is refused.
    """

    #: kernel id → login; forgotten once the kernel is gone.
    owners: dict[str, str] = {}

    def is_authorized(self, handler, user: User | None, action: str, resource: str) -> bool:
        if user is None:
            return False
        if resource != "kernels":
            return True
        kernel_id = getattr(handler, "kernel_id", None) or handler.path_kwargs.get("kernel_id")
        if not kernel_id:
            return True
        self._forget_dead(handler)
        owner = self.owners.setdefault(kernel_id, user.username)
        if owner != user.username:
            log.warning("refused %s access to a kernel of another login", user.username)
            return False
        return True

    def _forget_dead(self, handler) -> None:
        if len(self.owners) < 256:
            return
        alive = set(handler.kernel_manager.list_kernel_ids())
        for kernel_id in list(self.owners):
            if kernel_id not in alive:
                del self.owners[kernel_id]


class UnknownApiHandler(APIHandler):
    """An API path Voilà does not serve. Without it such a request would reach Voilà's page
    handler, whose refusal is a redirect to the "not signed in" page; an API handler's refusal is
    403 (`APIHandler.get_login_url`), for every method. Signed in, there is no such API here."""

    @web.authenticated
    def get(self) -> None:
        raise web.HTTPError(404, "no such API in this dashboard")


class NotSignedInHandler(JupyterHandler):
    """Where every refused page request ends: a plain page with no data at all."""

    @allow_unauthenticated
    def get(self) -> None:
        provider: ProxyIdentityProvider = self.identity_provider
        if provider.burnout.demo_signin:
            self.redirect(self.base_url.rstrip("/") + DEMO_SIGNIN_PATH)
            return
        self.set_header("Cache-Control", "no-store")
        try:
            with provider.engine.connect():
                pass
        except SQLAlchemyError as error:
            log.warning("the sign-in check cannot reach the database: %s", error)
            self.set_status(503)
            self.finish(
                page(
                    "Burnout Monitor cannot reach its database",
                    "<p>It cannot check who may see what right now, so it shows nothing. "
                    "Please try again later; if it persists, tell the team that runs "
                    "Burnout Monitor.</p>",
                )
            )
            return
        self.set_status(403)
        self.finish(
            page(
                "You are not signed in or not registered",
                "<p>Burnout Monitor shows each person only what their role allows, so it needs "
                "to know who you are. Sign in through your hospital's sign-on and open the "
                "page again.</p><p>If you are signed in and still see this page, your login "
                "has no account yet: ask the team that runs Burnout Monitor to add one.</p>",
            )
        )


class DemoSignInHandler(JupyterHandler):
    """The demo's stand-in for the hospital's sign-in: choose one of the demo logins."""

    @allow_unauthenticated
    def get(self) -> None:
        provider: ProxyIdentityProvider = self.identity_provider
        if not provider.burnout.demo_signin:  # registered only in demo mode; checked again
            self.set_status(404)
            self.finish()
            return
        chosen = self.get_argument("as", "")
        home = self.base_url
        try:
            with provider.engine.connect() as connection:
                accounts = list_accounts(connection)
        except SQLAlchemyError as error:
            log.warning("cannot list the demo logins: %s", error)
            accounts = []
        if chosen and chosen in {a.login for a in accounts}:
            value = demo_cookie(chosen, provider.demo_key)
            self.set_cookie(DEMO_COOKIE, value, httponly=True, samesite="Strict")
            self.redirect(home)
            return
        items = "".join(
            f'<li><a href="{html.escape(self.base_url.rstrip("/") + DEMO_SIGNIN_PATH)}'
            f'?as={quote(a.login)}">{html.escape(a.login)}</a> — {html.escape(a.describe())}</li>'
            for a in accounts
        )
        self.set_header("Cache-Control", "no-store")
        self.finish(
            page(
                "Demo sign-in",
                '<div class="demo" role="note"><strong>Demo sign-in — made-up data only.</strong> '
                "A real deployment signs people in through the hospital's sign-on; this chooser "
                "exists only when BURNOUT_DEMO_SIGNIN=1.</div>"
                f"<p>Open the dashboard as:</p><ul>{items or '<li>no demo logins yet</li>'}</ul>",
            )
        )
