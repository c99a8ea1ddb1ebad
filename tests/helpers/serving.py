"""The dashboard served as people get it: `burnout dashboard` (Voilà) on a free port, and Debian's
headless Chromium to open it."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from playwright.sync_api import Browser, sync_playwright

from helpers.paths import BURNOUT

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
TIMEOUT_MS = 120_000  # a first page load on a busy 2-core CI machine


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _free(port: int) -> bool:
    with socket.socket() as probe:
        try:
            probe.bind(("127.0.0.1", port))
        except OSError:
            return False
        return True


def wait_for_port(port: int, process: subprocess.Popen, log: Path, what: str) -> None:
    """Wait until a server listens; only the port, since a page request would use up the
    preheated kernel."""
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(f"{what} did not start:\n{log.read_text()}")
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except OSError:
            time.sleep(0.3)
    raise AssertionError(f"{what} did not answer within 60 s:\n{log.read_text()}")


def stop_group(process: subprocess.Popen) -> None:
    os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()


class Served:
    """`burnout dashboard` on a free port, stopped with its whole process group.

    `env` adds settings such as `BURNOUT_PROXY_SECRET` or `BURNOUT_DEMO_SIGNIN`; without them
    the dashboard trusts the user header of any request, as it does on a developer's machine.
    With `workers` above 1 it serves on `ports`, consecutive from `port`.
    """

    def __init__(
        self,
        db_url: str,
        data_dir: Path,
        log: Path,
        env: dict[str, str] | None = None,
        workers: int = 1,
    ) -> None:
        self.db_url = db_url
        self.port = free_port()
        while workers > 1 and not all(_free(self.port + k) for k in range(1, workers)):
            self.port = free_port()
        self.ports = [self.port + k for k in range(workers)]
        self.url = f"http://127.0.0.1:{self.port}/"
        environment = {
            k: v for k, v in os.environ.items() if not k.startswith(("BURNOUT_", "HTTP_"))
        }
        environment.update(BURNOUT_DB_URL=db_url, BURNOUT_DATA_DIR=str(data_dir), **(env or {}))
        self.log = log
        self.process = subprocess.Popen(
            [str(BURNOUT), "dashboard", "--port", str(self.port), "--workers", str(workers)],
            stdout=log.open("w"),
            stderr=subprocess.STDOUT,
            env=environment,
            start_new_session=True,
        )
        for port in self.ports:
            wait_for_port(port, self.process, log, "the dashboard")

    def stop(self) -> None:
        stop_group(self.process)


def another_chromium(browser: Browser, *flags: str) -> Browser:
    """A second Chromium from the same Playwright as `browser`, with `flags` added to the usual
    ones (Playwright's sync API runs one instance per thread). The caller closes it."""
    return browser.browser_type.launch(executable_path=CHROMIUM, args=[*CHROMIUM_FLAGS, *flags])


@contextmanager
def chromium(*flags: str) -> Iterator[Browser]:
    """Debian's Chromium, headless, with `flags` added to the usual ones."""
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, args=[*CHROMIUM_FLAGS, *flags]
        )
        try:
            yield browser
        finally:
            browser.close()
