"""Locust load for `bench_serving.py`: `BENCH_SIGNINS` members of staff arriving at random
(Poisson, `BENCH_RATE` a second on average, a fixed seed), each signing in once and opening their
page (a new login each time, in the order of the file `BENCH_LOGINS`), then leaving. Arrivals do
not wait for earlier pages: a slow server gets the same load, as it would on a Monday morning.

A page load is the whole server-side work of a visit: Voilà takes a kernel, runs the dashboard
notebook for that login and streams the drawn page; the kernel then waits for its websocket and,
since a load-testing client never opens one, is shut down like a closed page's. Every request is
appended to `BENCH_REQUESTS` (one JSON object a line) for the benchmark to read.
"""

from __future__ import annotations

import json
import os
import random
import time

import gevent
from locust import HttpUser, events, task

LOGINS = open(os.environ["BENCH_LOGINS"]).read().split()  # noqa: SIM115 - read once at start
PASSWORD = os.environ["BENCH_PASSWORD"]
#: In the page only when the cell that draws the dashboard ran to the end.
DRAWN = "application/vnd.jupyter.widget-view+json"
FAILED_CELL = "There was an error when executing cell"
RATE = float(os.environ["BENCH_RATE"])
SIGNINS = int(os.environ["BENCH_SIGNINS"])
_log = open(os.environ["BENCH_REQUESTS"], "a", buffering=1)  # noqa: SIM115 - one line a request


@events.request.add_listener
def _record(request_type, name, response_time, response_length, exception, **_kw) -> None:
    _log.write(json.dumps({
        "end": time.time(), "seconds": response_time / 1000, "bytes": response_length,
        "error": None if exception is None else str(exception)[:200],
    }) + "\n")  # fmt: skip


class Arrivals(HttpUser):
    """One locust user that starts every sign-in on its schedule (run it with `--users 1`)."""

    @task
    def monday_morning(self) -> None:
        gaps = random.Random(7)
        visits = []
        for k in range(SIGNINS):
            visits.append(gevent.spawn(self.open_page, LOGINS[k % len(LOGINS)]))
            gevent.sleep(gaps.expovariate(RATE))
        gevent.joinall(visits)
        self.environment.runner.quit()

    def open_page(self, login: str) -> None:
        """Sign in (the front proxy's stand-in sign-on) and open one's own page."""
        with self.client.get(
            "/", auth=(login, PASSWORD), name="staff page", catch_response=True, timeout=120
        ) as response:
            if response.status_code != 200:
                response.failure(f"HTTP {response.status_code}")
            elif FAILED_CELL in response.text or DRAWN not in response.text:
                response.failure("the page was not drawn")
