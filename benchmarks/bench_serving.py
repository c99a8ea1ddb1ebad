"""Monday morning: staff signing in to their pages at a set rate, through the real stack.

nginx (HTTP basic auth standing in for the hospital's sign-on, `hash $remote_user consistent` as
the README's `upstream`) → `burnout dashboard --workers 2` → PostgreSQL with a 10,000-staff mock
hospital (52 weeks, scored, alerts raised; built by `bench_dashboard.build` and kept with
`--keep`). Every member of staff gets an account.

- **Load**: locust (`locust_signins.py`) starts members of staff at random, `rate` a second on
  average (Poisson arrivals, fixed seed); each opens their page once over HTTP (Voilà runs the
  notebook and streams the drawn page) and leaves, whether or not earlier pages have come back.
  Their kernel is then shut down like a closed page's (`BURNOUT_KERNEL_IDLE_SECONDS`, 45 s).
- **Interactive path**: alongside, `--browsers` real headless Chromium sessions (one after the
  other in each) sign in, wait until the page is drawn, change the week, read for 20 s and close.
- **Every 5 s**: kernels alive, and the memory of the kernels and the templates they are forked
  from (`app/kernel_forks.py`) as the sum of PSS (each process's own pages plus its share of the
  pages they share: what they really take together) and of RSS (shared pages counted once per
  process: an upper bound), and a kernel's own memory (USS, median over the kernels alive).

Targets (issue 18): 300 sign-ins over 10 minutes (0.5 pages/s) on 2 workers with p95 page time
under 5 s, no errors and kernel memory never above 8 GB. Then shorter stages at higher rates find
the highest that keeps p95 under 5 s with no errors.

    .venv/bin/pip install -e '.[test,bench]'   # locust
    .venv/bin/python benchmarks/bench_serving.py [--keep /tmp/bench_serving] [--rate 0.5]
        [--signins 300] [--search 0.75,1,1.5] [--stage-seconds 150] [--figure docs/serving.png]

Writes a table per minute and a summary (Markdown) to stdout, the figure, and every measurement
as JSON beside the figure.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import threading
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

import pandas as pd
import psutil
from sqlalchemy import select

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
from bench_dashboard import (  # noqa: E402 - the benchmark next to this one builds the database
    CHROMIUM,
    CHROMIUM_ARGS,
    KeptPostgres,
    build,
)

from burnout_lib.app.kernel_forks import is_kernel  # noqa: E402
from burnout_lib.store import db  # noqa: E402

from helpers.front_proxy import FrontProxy  # noqa: E402 - the nginx the sign-in tests run
from helpers.serving import Served  # noqa: E402

HERE = Path(__file__).resolve().parent
STAFF, WEEKS = 10_000, 52
P95_TARGET = 5.0
MEMORY_TARGET_GB = 8.0
PASSWORD = "bench-password"
SECRET = "bench-proxy-secret-4c1e"
IDLE_SECONDS = 45
SAMPLE_SECONDS = 5.0
READ_SECONDS = 20.0

# --- The stack ---------------------------------------------------------------------------------


def staff_logins(url: str, root: Path) -> Path:
    """An account for every member of staff (login `staff.<pseudonym>`): the logins' file."""
    engine = db.make_engine(url)
    with engine.begin() as connection:
        people = connection.execute(select(db.staff.c.id, db.staff.c.pseudonym)).all()
        rows = [
            {"login": f"staff.{p.pseudonym}", "role": "staff", "staff_id": p.id, "units": []}
            for p in people
        ]
        db.upsert(connection, db.account, pd.DataFrame(rows), keys=("login",))
    engine.dispose()
    logins = root / "logins.txt"
    logins.write_text("\n".join(row["login"] for row in rows) + "\n")
    return logins


@dataclass
class Stack:
    """`burnout dashboard --workers N` and nginx in front, as the tests start them."""

    dashboard: Served
    nginx: FrontProxy

    @property
    def url(self) -> str:
        return self.nginx.url.rstrip("/")

    @property
    def pid(self) -> int:
        return self.dashboard.process.pid

    def stop(self) -> None:
        self.nginx.stop()
        self.dashboard.stop()


def start_stack(url: str, data_dir: Path, logins: Path, root: Path, workers: int) -> Stack:
    env = {"BURNOUT_PROXY_SECRET": SECRET, "BURNOUT_KERNEL_IDLE_SECONDS": str(IDLE_SECONDS)}
    dashboard = Served(url, data_dir, root / "dashboard.log", env, workers=workers)
    users = dict.fromkeys(logins.read_text().split(), PASSWORD)
    return Stack(dashboard, FrontProxy(root / "nginx", dashboard.ports, users, SECRET))


# --- Watching the kernels ------------------------------------------------------------------------


@dataclass
class Sample:
    at: float
    kernels: int
    pss_gb: float
    rss_gb: float
    own_mb_per_kernel: float


def sample(root_pid: int) -> Sample:
    """Kernels alive under the dashboard, and the memory of the kernels and their templates (a
    template's imported modules are the larger part of every kernel's)."""
    try:
        processes = psutil.Process(root_pid).children(recursive=True)
    except psutil.NoSuchProcess:
        processes = []
    kernels, pss, rss, own = 0, 0, 0, []
    for process in processes:
        try:
            kernel = is_kernel(process)
            if not kernel and process.cmdline()[1:3] != ["-m", "burnout_lib.app.kernel_forks"]:
                continue
            memory = process.memory_full_info()
        except psutil.Error:
            continue
        pss += memory.pss
        rss += memory.rss
        if kernel:
            kernels += 1
            own.append(memory.uss / 2**20)
    median_own = statistics.median(own) if own else 0.0
    return Sample(time.time(), kernels, pss / 2**30, rss / 2**30, median_own)


class Watcher(threading.Thread):
    def __init__(self, root_pid: int) -> None:
        super().__init__(daemon=True)
        self.root_pid, self.samples, self.done = root_pid, [], threading.Event()

    def run(self) -> None:
        while not self.done.is_set():
            self.samples.append(sample(self.root_pid))
            self.done.wait(SAMPLE_SECONDS)


# --- Load: locust, and a few real browsers ------------------------------------------------------


def run_locust(base_url: str, logins: Path, rate: float, signins: int, log: Path) -> float:
    """`signins` staff signing in at `rate` a second; returns when the last has finished."""
    env = dict(os.environ, BENCH_LOGINS=str(logins), BENCH_PASSWORD=PASSWORD, BENCH_RATE=str(rate),
               BENCH_SIGNINS=str(signins), BENCH_REQUESTS=str(log))  # fmt: skip
    started = time.time()
    subprocess.run(
        [str(Path(sys.executable).with_name("locust")), "-f", str(HERE / "locust_signins.py"),
         "--headless", "--only-summary", "--loglevel", "WARNING", "--host", base_url,
         "--users", "1", "--spawn-rate", "1", "--run-time", f"{int(3 * signins / rate + 300)}s"],
        env=env, check=False, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    return started


BROWSER_LOOP = """
import json, sys, time
from playwright.sync_api import sync_playwright
url, logins_file, until, out, chromium, args = sys.argv[1], sys.argv[2], float(sys.argv[3]), \
    sys.argv[4], sys.argv[5], json.loads(sys.argv[6])
password, read_seconds, offset = sys.argv[7], float(sys.argv[8]), int(sys.argv[9])
logins = open(logins_file).read().split()[::-1][offset::2]
with sync_playwright() as p, open(out, "a", buffering=1) as log:
    browser = p.chromium.launch(executable_path=chromium, args=args)
    k = 0
    while time.time() < until:
        login = logins[k % len(logins)]; k += 1
        context = browser.new_context(http_credentials={"username": login, "password": password})
        page = context.new_page(); page.set_default_timeout(120_000)
        row = {"end": None, "login": login}
        try:
            started = time.time()
            page.goto(url); page.wait_for_selector(".bm-app"); page.wait_for_selector(".signed-in")
            row["drawn"] = time.time() - started
            select = page.locator(".bm-week select")
            week = select.evaluate("s => s.options[s.selectedIndex + 1].text")  # a week earlier
            started = time.time()
            select.select_option(label=week)
            page.wait_for_function(
                "w => (document.querySelector('section[data-view=my-week] h2')?.textContent || '')"
                ".replace(/\\s+/g, ' ').endsWith(w.replace(/\\s+/g, ' '))", arg=week)
            row["week_change"] = time.time() - started
            page.wait_for_timeout(read_seconds * 1000)
        except Exception as error:
            row["error"] = str(error)[:200]
        row["end"] = time.time()
        log.write(json.dumps(row) + "\\n")
        context.close()
    browser.close()
"""


def start_browsers(base_url: str, logins: Path, count: int, until: float, log: Path):
    return [
        subprocess.Popen(
            [
                sys.executable,
                "-c",
                BROWSER_LOOP,
                base_url + "/",
                str(logins),
                str(until),
                str(log),
                CHROMIUM,
                json.dumps(CHROMIUM_ARGS),
                PASSWORD,
                str(READ_SECONDS),
                str(k),
            ],
        )  # fmt: skip
        for k in range(count)
    ]


# --- One run and its figures -------------------------------------------------------------------


@dataclass
class Run:
    rate: float
    signins: int
    started: float
    requests: list[dict] = field(default_factory=list)
    browsers: list[dict] = field(default_factory=list)
    samples: list[Sample] = field(default_factory=list)

    def times(self) -> list[float]:
        return [r["seconds"] for r in self.requests if r["error"] is None]

    def errors(self) -> int:
        return sum(r["error"] is not None for r in self.requests) + sum(
            "error" in b for b in self.browsers
        )

    def p95(self) -> float:
        return percentile(self.times(), 95)

    def peak(self, what: str) -> float:
        return max((getattr(s, what) for s in self.samples), default=0.0)

    def passed(self) -> bool:
        complete = len(self.requests) >= self.signins
        return complete and self.errors() == 0 and self.p95() < P95_TARGET

    def summary(self) -> dict:
        browsers = [b for b in self.browsers if "error" not in b]
        return {
            "rate": self.rate, "signins": self.signins, "pages": len(self.requests),
            "median_s": percentile(self.times(), 50), "p95_s": self.p95(),
            "errors": self.errors(), "kernels_max": self.peak("kernels"),
            "pss_gb_max": self.peak("pss_gb"), "rss_gb_max": self.peak("rss_gb"),
            "own_mb_per_kernel": statistics.median(
                [s.own_mb_per_kernel for s in self.samples if s.kernels] or [0.0]),
            "browser_sessions": len(self.browsers),
            "browser_drawn_median_s": percentile([b["drawn"] for b in browsers], 50),
            "browser_week_change_median_s": percentile([b["week_change"] for b in browsers], 50),
            "passed": self.passed(),
        }  # fmt: skip


def percentile(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    if len(values) == 1:
        return values[0]
    return statistics.quantiles(values, n=100, method="inclusive")[q - 1]


def read_jsonl(path: Path) -> list[dict]:
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def run(stack: Stack, logins: Path, root: Path, rate: float, signins: int, browsers: int) -> Run:
    tag = f"{rate:g}"
    requests, browser_log = root / f"requests-{tag}.jsonl", root / f"browsers-{tag}.jsonl"
    requests.unlink(missing_ok=True)
    browser_log.unlink(missing_ok=True)
    print(f"\n{signins} sign-ins at {rate:g}/s ({signins / rate / 60:.1f} min) ...", flush=True)
    watcher = Watcher(stack.pid)
    watcher.start()
    loops = start_browsers(stack.url, logins, browsers, time.time() + signins / rate, browser_log)
    started = run_locust(stack.url, logins, rate, signins, requests)
    for loop in loops:
        loop.wait(timeout=300)
    watcher.done.set()
    watcher.join()
    result = Run(rate, signins, started, read_jsonl(requests), read_jsonl(browser_log),
                 watcher.samples)  # fmt: skip
    print(json.dumps(result.summary()), flush=True)
    return result


def drain(stack: Stack) -> None:
    """Wait until closed pages' kernels are gone (at most one preheated kernel per worker)."""
    deadline = time.monotonic() + 3 * IDLE_SECONDS
    while time.monotonic() < deadline and sample(stack.pid).kernels > 2:
        time.sleep(2)


def per_minute(result: Run) -> list[dict]:
    rows = []
    end = max([r["end"] for r in result.requests] + [result.started])
    for k, start in enumerate(range(int(result.started), int(end) + 1, 60)):
        inside = [r for r in result.requests if start <= r["end"] < start + 60]
        samples = [s for s in result.samples if start <= s.at < start + 60]
        times = [r["seconds"] for r in inside if r["error"] is None]
        rows.append({
            "minute": k + 1, "pages": len(inside), "median_s": percentile(times, 50),
            "p95_s": percentile(times, 95), "errors": sum(r["error"] is not None for r in inside),
            "kernels": max((s.kernels for s in samples), default=0),
            "pss_gb": max((s.pss_gb for s in samples), default=0.0),
        })  # fmt: skip
    return rows


def plot(main: Run, stages: list[Run], target: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, (top, middle, bottom) = plt.subplots(3, 1, figsize=(9, 8), sharex=True)
    minutes = [(r["end"] - main.started) / 60 for r in main.requests]
    top.scatter(minutes, [r["seconds"] for r in main.requests], s=8, color="#0072B2",
                label="page time (locust)")  # fmt: skip
    top.scatter([(b["end"] - main.started) / 60 for b in main.browsers if "drawn" in b],
                [b["drawn"] for b in main.browsers if "drawn" in b], s=18, marker="^",
                color="#D55E00", label="drawn in Chromium")  # fmt: skip
    top.axhline(P95_TARGET, color="grey", linestyle="--", linewidth=1, label="5 s")
    top.set_ylabel("seconds")
    top.legend(loc="upper right", fontsize=8)
    at = [(s.at - main.started) / 60 for s in main.samples]
    middle.plot(at, [s.kernels for s in main.samples], color="#009E73")
    middle.set_ylabel("kernels alive")
    bottom.plot(at, [s.pss_gb for s in main.samples], color="#CC79A7", label="PSS (shared once)")
    bottom.plot(at, [s.rss_gb for s in main.samples], color="#E69F00", linestyle=":",
                label="RSS (upper bound)")  # fmt: skip
    bottom.axhline(MEMORY_TARGET_GB, color="grey", linestyle="--", linewidth=1, label="8 GB")
    bottom.set_ylabel("kernel memory, GB")
    bottom.set_xlabel("minutes since the first sign-in")
    bottom.legend(loc="upper right", fontsize=8)
    fig.suptitle(f"{main.signins} staff signing in at {main.rate:g} pages/s, 2 workers, "
                 f"{STAFF:,}-staff PostgreSQL")  # fmt: skip
    fig.tight_layout()
    target.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(target, dpi=100)
    plt.close(fig)


def markdown(rows: list[dict]) -> str:
    if not rows:
        return ""
    head = list(rows[0])
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for row in rows:
        cells = [f"{v:.2f}" if isinstance(v, float) else str(v) for v in row.values()]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--keep", type=Path, default=Path("/tmp/bench_serving"))
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--rate", type=float, default=0.5)
    parser.add_argument("--signins", type=int, default=300)
    parser.add_argument("--browsers", type=int, default=1)
    parser.add_argument("--search", default="0.75,1,1.5", help="higher rates to try, in order")
    parser.add_argument("--stage-seconds", type=float, default=150)
    parser.add_argument("--figure", type=Path, default=HERE.parent / "docs" / "serving.png")
    args = parser.parse_args()
    root = args.keep
    root.mkdir(parents=True, exist_ok=True)
    server = KeptPostgres(root / "postgres").start()
    stack = None
    try:
        url, data_dir = build(server, STAFF, WEEKS, root)
        logins = staff_logins(url, root)
        stack = start_stack(url, data_dir, logins, root, args.workers)
        print(f"{args.workers} workers behind nginx at {stack.url}", flush=True)
        warm = run(stack, logins, root, 0.2, 4, 0)  # first imports from a cold disk
        drain(stack)
        main_run = run(stack, logins, root, args.rate, args.signins, args.browsers)
        stages = []
        for rate in [float(r) for r in args.search.split(",") if r]:
            drain(stack)
            stage = run(stack, logins, root, rate, int(rate * args.stage_seconds), args.browsers)
            stages.append(stage)
            if not stage.passed():
                break
        passed = [s.rate for s in [main_run, *stages] if s.passed()]
        plot(main_run, stages, args.figure)
        results = {
            "warm_up": warm.summary(), "main": main_run.summary(),
            "per_minute": per_minute(main_run), "stages": [s.summary() for s in stages],
            "highest_passing_rate": max(passed, default=None),
            "cores": psutil.cpu_count(), "memory_gb": psutil.virtual_memory().total / 2**30,
            "main_samples": [asdict(s) for s in main_run.samples],
        }  # fmt: skip
        args.figure.with_suffix(".json").write_text(json.dumps(results, indent=1))
        print("\n## Per minute of the main run\n\n" + markdown(per_minute(main_run)))
        print("\n## Runs\n\n" + markdown([main_run.summary()] + [s.summary() for s in stages]))
        print(f"\nhighest arrival rate with p95 < {P95_TARGET:g} s and no errors: "
              f"{results['highest_passing_rate']} pages/s; figure: {args.figure}")  # fmt: skip
    finally:
        if stack is not None:
            stack.stop()
        server.stop()


if __name__ == "__main__":
    main()
