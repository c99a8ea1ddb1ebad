"""A real nginx in front of the dashboard, as a hospital deploys it, with HTTP basic auth standing
in for the hospital's single sign-on.

It sets the two headers the README's site sets: the signed-in login in `X-Forwarded-User` and
the shared secret in `X-Burnout-Proxy-Secret`, replacing any copies a client sent; with several
dashboard workers it keeps each login on one of them, as the README's `upstream` does.
"""

from __future__ import annotations

import base64
import hashlib
import os
import subprocess
from collections.abc import Callable
from pathlib import Path

from playwright.sync_api import Browser, Page

from helpers.serving import TIMEOUT_MS, free_port, stop_group, wait_for_port

NGINX = "/usr/sbin/nginx"
#: The secret nginx adds and Voilà (`BURNOUT_PROXY_SECRET`) requires.
SECRET = "proxy-secret-for-tests-7f3a"

CONFIG = """{user}daemon off;
worker_processes 1;
pid {root}/nginx.pid;
error_log {root}/error.log warn;
events {{ worker_connections 1024; }}
http {{
    log_format routed '$remote_user $upstream_addr "$request" $status';
    access_log {root}/access.log routed;
    client_body_temp_path {root}/temp/body;
    proxy_temp_path {root}/temp/proxy;
    fastcgi_temp_path {root}/temp/fastcgi;
    uwsgi_temp_path {root}/temp/uwsgi;
    scgi_temp_path {root}/temp/scgi;
    map $http_upgrade $connection_upgrade {{ default upgrade; '' close; }}
    upstream burnout_dashboard {{
        hash $remote_user consistent;
{servers}    }}
    server {{
        listen 127.0.0.1:{port};
        location / {{
            auth_basic "Hospital sign-in (test stand-in)";
            auth_basic_user_file {root}/htpasswd;
            proxy_pass http://burnout_dashboard;
            proxy_http_version 1.1;
            proxy_set_header Host $http_host;
            proxy_set_header X-Forwarded-User $remote_user;
            proxy_set_header X-Burnout-Proxy-Secret "{secret}";
            proxy_set_header Upgrade $http_upgrade;
            proxy_set_header Connection $connection_upgrade;
            proxy_read_timeout 1h;
        }}
    }}
}}
"""


def htpasswd_line(login: str, password: str) -> str:
    """An nginx basic-auth entry ({SHA}: base64 of the password's SHA-1, as htpasswd -s)."""
    digest = base64.b64encode(hashlib.sha1(password.encode()).digest()).decode()
    return f"{login}:{{SHA}}{digest}"


class FrontProxy:
    """nginx on a free port in front of the dashboard on `upstream_ports` (one, or a worker's
    each), signing in `users` (login → password)."""

    def __init__(
        self, root: Path, upstream_ports: int | list[int], users: dict[str, str], secret: str
    ) -> None:
        root.mkdir(parents=True, exist_ok=True)
        (root / "temp").mkdir(exist_ok=True)
        (root / "htpasswd").write_text(
            "".join(htpasswd_line(login, pw) + "\n" for login, pw in users.items())
        )
        ports = [upstream_ports] if isinstance(upstream_ports, int) else upstream_ports
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}/"
        user = "user root;\n" if os.geteuid() == 0 else ""  # workers may read the tmp folder
        config = root / "nginx.conf"
        config.write_text(
            CONFIG.format(
                user=user,
                root=root,
                port=self.port,
                servers="".join(f"        server 127.0.0.1:{port};\n" for port in ports),
                secret=secret,
            )
        )
        self.log = root / "error.log"
        self.log.touch()
        self.process = subprocess.Popen(
            [NGINX, "-p", str(root), "-c", str(config)],
            stdout=subprocess.DEVNULL,
            stderr=self.log.open("a"),
            start_new_session=True,
        )
        wait_for_port(self.port, self.process, self.log, "nginx")

    def stop(self) -> None:
        stop_group(self.process)


def password(login: str) -> str:
    """The stand-in sign-on's password for `login`."""
    return f"pw-{login}"


def signed_in_page(
    browser: Browser,
    proxy: FrontProxy,
    login: str,
    headers: dict[str, str] | None = None,
    prepare: Callable[[Page], None] | None = None,
) -> Page:
    """The dashboard through nginx, signed in as `login` (1280×800), once the app is drawn;
    `prepare(page)` runs before the page is opened (to add scripts or listeners)."""
    context = browser.new_context(
        viewport={"width": 1280, "height": 800},
        http_credentials={"username": login, "password": password(login)},
        extra_http_headers=headers or {},
    )
    page = context.new_page()
    page.set_default_timeout(TIMEOUT_MS)
    if prepare is not None:
        prepare(page)
    page.goto(proxy.url)
    page.wait_for_selector(".bm-app", timeout=TIMEOUT_MS)
    page.wait_for_selector(".signed-in", timeout=TIMEOUT_MS)
    return page
