"""How fast the dashboard draws in headless Chromium, at 200 and at 10,000 staff × 52 weeks.

Builds two PostgreSQL databases (mock hospital with a fixed seed, a trained model, every week
scored and its alerts raised), serves each with `burnout dashboard` (preheated kernel, as the
product runs) and measures with Playwright, each figure the median over several fresh page loads:

- first chart: from the start of `goto` until the first `img[data-chart]` is in the page;
- week, unit and role change: from choosing the option until the Team view's heading names the new
  choice (a change replaces the view's whole HTML, charts included, in one go);
- person: from occupational health pressing "Open this person's page" on the week's first alert
  until the Person tab shows that person's heading, risk-timeline chart and weekly log.

Pages are opened as an occupational-health login (`bench-oh`, sent in the user header as the
front proxy would), the role that sees every view.

Each page load is a new browser context (cold cache). Voilà keeps one preheated kernel: a page load
takes it and Voilà starts a fresh one, which runs the notebook. Before every load, and again
between the first chart and the control changes (so that preheating the next kernel does not
compete with them for the CPU), the benchmark waits for that refill: a kernel the page load did
not see must be running, and the dashboard server, its kernels and PostgreSQL must have used under
10% of a core for 1.5 s. One unmeasured load warms each server up first.

Targets: every figure at 10,000 staff within 1.5× of the same figure at 200 staff, and every control
change under 1 s.

    .venv/bin/python benchmarks/bench_dashboard.py [--runs 5] [--keep /tmp/bench_dashboard]

With `--keep DIR` the PostgreSQL cluster, data folders and server logs stay in DIR and a later run
reuses the databases it finds complete there (building 10,000 staff takes a few minutes).
"""

from __future__ import annotations

import argparse
import functools
import json
import math
import os
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path

import psutil
from sqlalchemy import func, select
from tqdm import tqdm

from burnout_lib.app.kernel_forks import is_kernel
from burnout_lib.config import load_settings
from burnout_lib.mock.hospital import MockSpec, write_mock
from burnout_lib.privacy.accounts import OCCUPATIONAL_HEALTH, add_account, viewer_for
from burnout_lib.readouts import views
from burnout_lib.risk.alerts import evaluate_week
from burnout_lib.risk.features import weekly_features
from burnout_lib.risk.model import save_model, train
from burnout_lib.risk.scoring import score_weeks
from burnout_lib.store import db
from burnout_lib.testing.postgres_server import ThrowawayPostgres, free_port

SIZES = (200, 10_000)
WEEKS = 52
SEED = 7
RUNS = 5
RATIO_TARGET = 1.5
CHANGE_TARGET = 1.0
METRICS = ("first chart", "week", "unit", "role", "person")
CHANGES = METRICS[1:]

REPO = Path(__file__).resolve().parent.parent
BURNOUT = Path(sys.executable).with_name("burnout")
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
WAIT_MS = 60_000  # longest a page load or a control change may take before it counts as failed
IDLE_CPU = 0.10  # "idle": under this share of one core ...
IDLE_SECONDS = 1.5  # ... for this long
REFILL_TIMEOUT = 300.0

TEAM_H2 = "section[data-view=team] h2"
TEAM_HEADING_IS = """expected => {
    const h = document.querySelector('section[data-view=team] h2');
    return h !== null && h.textContent === expected;
}"""
PERSON_SHOWN = """expected => {
    const view = document.querySelector('section[data-view=my-week]');
    const h = view && view.querySelector('h2');
    return h !== null && h.textContent === expected
        && view.querySelector('[data-table=risk-log]') !== null
        && view.querySelector('img[data-chart=risk-timeline]') !== null;
}"""


# --- PostgreSQL ------------------------------------------------------------------------------


class KeptPostgres(ThrowawayPostgres):
    """A ThrowawayPostgres whose cluster lives in a folder that survives `stop` (for --keep)."""

    def __init__(self, root: Path) -> None:
        super().__init__()
        shutil.rmtree(self.root, ignore_errors=True)  # the temporary folder the parent made
        self.root = root
        self.datadir = root / "data"

    def start(self) -> KeptPostgres:
        self.root.mkdir(parents=True, exist_ok=True)
        if not (self.datadir / "PG_VERSION").exists():
            super().start()
            return self
        if self.as_postgres:
            shutil.chown(self.root, "postgres", "postgres")
        options = (
            f"-p {self.port} -k {self.root} -c listen_addresses=127.0.0.1 "
            "-c fsync=off -c synchronous_commit=off -c full_page_writes=off "
            "-c max_connections=100"
        )
        self._run(str(self.bindir / "pg_ctl"), "-D", str(self.datadir), "-o", options,
                  "-l", str(self.root / "server.log"), "-w", "start")  # fmt: skip
        return self

    def stop(self) -> None:
        if (self.datadir / "postmaster.pid").exists():
            self._run(str(self.bindir / "pg_ctl"), "-D", str(self.datadir), "-m", "fast", "stop")


def postmaster_pid(server: ThrowawayPostgres) -> int | None:
    try:
        return int((server.datadir / "postmaster.pid").read_text().split()[0])
    except (OSError, ValueError, IndexError):
        return None


# --- Building the databases ------------------------------------------------------------------


def step(label: str, action: Callable):
    print(f"  {label} ...", flush=True)
    started = time.perf_counter()
    result = action()
    print(f"  {label}: {time.perf_counter() - started:.1f} s", flush=True)
    return result


def build(server: ThrowawayPostgres, staff: int, weeks: int, root: Path) -> tuple[str, Path]:
    """The database URL and data folder for `staff` people, built unless a complete one is kept."""
    name = f"bench_dashboard_{staff}"
    data_dir = root / f"data-{staff}"
    marker = root / f"{name}.built.json"
    if marker.exists():
        built = json.loads(marker.read_text())
        if built.get("weeks") == weeks and built.get("seed") == SEED:
            engine = db.make_engine(server.url(name))
            db.init_db(engine)  # newer migrations (e.g. indexes) reach kept databases too
            engine.dispose()
            print(f"{staff:,} staff × {weeks} weeks: reusing the database built in "
                  f"{built['seconds']:.0f} s ({built['summary']})", flush=True)  # fmt: skip
            return server.url(name), data_dir
    print(f"{staff:,} staff × {weeks} weeks: building (seed {SEED})", flush=True)
    started = time.perf_counter()
    marker.unlink(missing_ok=True)
    url = server.create_database(name)
    shutil.rmtree(data_dir, ignore_errors=True)
    settings = load_settings(db=url, data_dir=data_dir)
    engine = db.make_engine(url)
    db.init_db(engine)
    spec = MockSpec(staff=staff, weeks=weeks, seed=SEED)
    mock = step("mock hospital", lambda: write_mock(engine, settings, spec, progress=True))
    print(f"  {mock.summary()}", flush=True)
    feature_set = "full" if settings.facial_channel_enabled else "checkin"

    def fit():
        features = weekly_features(engine)
        return train(features, feature_set, high_precision=settings.high_risk_precision)

    model = step("features + train", fit)
    version = save_model(model, engine, settings, live=True)
    first, last = spec.week_starts[0], spec.week_starts[-1]
    results = step("score every week",
                   lambda: score_weeks(engine, settings, first, last, version))  # fmt: skip

    def raise_alerts() -> int:
        bar = tqdm(results, desc="alerts", unit="week")
        raised = sum(len(evaluate_week(engine, settings, r.week, version)) for r in bar)
        bar.close()
        return raised

    alerts = step("raise alerts", raise_alerts)
    counts = db.row_counts(engine)
    engine.dispose()
    seconds = time.perf_counter() - started
    summary = (f"{counts['staff']:,} staff, {counts['checkin']:,} check-ins, "
               f"{counts['weekly_risk']:,} weekly scores, {alerts:,} alerts")  # fmt: skip
    marker.write_text(json.dumps({"weeks": weeks, "seed": SEED, "seconds": seconds,
                                  "summary": summary}))  # fmt: skip
    print(f"  built in {seconds:.0f} s: {summary}", flush=True)
    return url, data_dir


# --- What to click ---------------------------------------------------------------------------


@dataclass
class Plan:
    """The choices a run makes: the same kind of choice at every size."""

    first_unit: str  # the unit the page opens on (the first alphabetically)
    week_label: str  # the week before the newest
    unit: str  # the largest unit other than the first
    role: str  # the largest role in that unit
    person: str  # the person of that week's first alert, whom occupational health opens


LOGIN = "bench-oh"


def make_plan(url: str) -> Plan:
    engine = db.make_engine(url)
    staff = db.staff
    add_account(engine, LOGIN, OCCUPATIONAL_HEALTH)
    with engine.connect() as connection:
        viewer = viewer_for(connection, LOGIN)
        version = views.live_scored_model(connection)
        weeks = views.scored_weeks(connection, version)
        week = weeks[-2]
        unit_names = views.units(connection, viewer)
        sizes = connection.execute(
            select(staff.c.unit, staff.c.role, func.count()).group_by(staff.c.unit, staff.c.role)
        ).all()
        person = views.named_alerts(connection, viewer, week)["pseudonym"].iloc[0]
    engine.dispose()
    by_unit: dict[str, int] = {}
    for unit, _, n in sizes:
        by_unit[unit] = by_unit.get(unit, 0) + n
    unit = max((u for u in by_unit if u != unit_names[0]), key=lambda u: (by_unit[u], u))
    role = max(((r, n) for u, r, n in sizes if u == unit), key=lambda rn: (rn[1], rn[0]))[0]
    return Plan(unit_names[0], f"{week:%d %b %Y}", unit, role, person)


# --- The dashboard server --------------------------------------------------------------------


def _proc_table() -> dict[int, tuple[int, int]]:
    """pid → (parent pid, CPU ticks used) for every process."""
    table = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            stat = Path(f"/proc/{entry}/stat").read_text()
        except OSError:
            continue
        fields = stat[stat.rindex(")") + 2 :].split()
        table[int(entry)] = (int(fields[1]), int(fields[11]) + int(fields[12]))
    return table


def _tree(root: int, table: dict[int, tuple[int, int]]) -> set[int]:
    found, frontier = set(), {root}
    while frontier:
        found |= frontier
        frontier = {pid for pid, (parent, _) in table.items() if parent in frontier} - found
    return found & table.keys()


def _is_kernel(pid: int) -> bool:
    try:
        return is_kernel(psutil.Process(pid))
    except psutil.Error:
        return False


class DashboardServer:
    """`burnout dashboard` on a free port, in its own process group."""

    def __init__(self, url: str, data_dir: Path, log_path: Path) -> None:
        self.port = free_port()
        self.base_url = f"http://127.0.0.1:{self.port}/"
        self.log_path = log_path
        self._log = log_path.open("w")
        command = [str(BURNOUT), "dashboard", "--port", str(self.port),
                   "--db", url, "--data-dir", str(data_dir)]  # fmt: skip
        self.process = subprocess.Popen(command, stdout=self._log, stderr=subprocess.STDOUT,
                                        cwd=REPO, start_new_session=True)  # fmt: skip

    def wait_for_port(self, timeout: float = 120.0) -> float:
        started = time.perf_counter()
        while time.perf_counter() - started < timeout:
            if self.process.poll() is not None:
                raise RuntimeError(f"the dashboard exited; see {self.log_path}")
            with socket.socket() as sock:
                sock.settimeout(0.5)
                if sock.connect_ex(("127.0.0.1", self.port)) == 0:
                    return time.perf_counter() - started
            time.sleep(0.2)
        raise RuntimeError(f"the dashboard did not open port {self.port}; see {self.log_path}")

    def processes(self) -> set[int]:
        return _tree(self.process.pid, _proc_table())

    def kernels(self) -> set[int]:
        return {pid for pid in self.processes() if _is_kernel(pid)}

    def stop(self) -> None:
        started_here = self.processes()  # kernels run in sessions of their own
        try:
            os.killpg(self.process.pid, signal.SIGTERM)
        except ProcessLookupError:
            pass
        try:
            self.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait()
        time.sleep(1)
        for pid in sorted(started_here & _proc_table().keys()):
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        self._log.close()


def wait_for_refill(server: DashboardServer, pg_pid: int | None, seen: set[int]) -> float:
    """Wait until a kernel not in `seen` runs and everything has gone quiet; seconds waited."""
    started = time.perf_counter()
    tick = os.sysconf("SC_CLK_TCK")

    def cpu_ticks() -> int:
        table = _proc_table()
        pids = _tree(server.process.pid, table) | (_tree(pg_pid, table) if pg_pid else set())
        return sum(table[pid][1] for pid in pids)

    while time.perf_counter() - started < REFILL_TIMEOUT:
        if not server.kernels() - seen:
            time.sleep(0.5)
            continue
        before = cpu_ticks()
        time.sleep(IDLE_SECONDS)
        if (cpu_ticks() - before) / tick < IDLE_CPU * IDLE_SECONDS:
            return time.perf_counter() - started
    print(f"    (no idle preheated kernel after {REFILL_TIMEOUT:.0f} s; measuring anyway)")
    return time.perf_counter() - started


# --- One page load ---------------------------------------------------------------------------


@dataclass
class Run:
    seconds: dict[str, float] = field(default_factory=dict)
    settled: float = 0.0  # seconds waited for the pool refill between first chart and changes
    notes: list[str] = field(default_factory=list)


def measure_run(browser, base_url: str, plan: Plan, settle: Callable[[], float]) -> Run:
    """Open the page in a new context, let the server settle (`settle`), then change week, unit,
    role and person once each."""
    from playwright.sync_api import Error as PlaywrightError

    run = Run()
    context = browser.new_context(
        viewport={"width": 1280, "height": 1000}, extra_http_headers={"X-Forwarded-User": LOGIN}
    )
    page = context.new_page()
    page.set_default_timeout(WAIT_MS)

    def team_change(metric: str, select: str, label: str, heading: str) -> None:
        control = page.locator(select)
        control.wait_for(state="visible")
        started = time.perf_counter()
        control.select_option(label=label)
        page.wait_for_function(TEAM_HEADING_IS, arg=heading, polling="raf")
        run.seconds[metric] = time.perf_counter() - started
        team = page.locator("section[data-view=team]")
        if team.locator("img[data-chart=team-levels]").count() == 0:
            run.notes.append(f"{metric}: no team-levels chart ({heading!r} hidden or empty)")

    try:
        started = time.perf_counter()
        page.goto(base_url, wait_until="commit")
        page.wait_for_selector("img[data-chart]", state="attached")
        run.seconds["first chart"] = time.perf_counter() - started
        page.wait_for_selector(TEAM_H2, state="attached")
        run.settled = settle()

        team_change("week", ".bm-week select", plan.week_label,
                    f"{plan.first_unit}: week of {plan.week_label}")  # fmt: skip
        page.get_by_role("tab", name="Team").click()
        team_change("unit", ".bm-unit select", plan.unit,
                    f"{plan.unit}: week of {plan.week_label}")  # fmt: skip
        team_change("role", ".bm-role select", plan.role,
                    f"{plan.role} staff in {plan.unit}: week of {plan.week_label}")  # fmt: skip

        page.get_by_role("tab", name="Alerts").click()
        button = page.get_by_role("button", name="Open this person's page (the opening is logged)")
        button.wait_for(state="visible")
        started = time.perf_counter()
        button.click()
        page.wait_for_function(PERSON_SHOWN, arg=f"{plan.person}: week of {plan.week_label}",
                               polling="raf")  # fmt: skip
        run.seconds["person"] = time.perf_counter() - started
    except PlaywrightError as error:
        missing = [m for m in METRICS if m not in run.seconds]
        run.notes.append(f"{missing[0]} failed: {str(error).splitlines()[0]}")
    finally:
        context.close()
    return run


def median(values: list[float]) -> float:
    return statistics.median(values) if values else math.nan


def measure_size(
    browser, url: str, data_dir: Path, root: Path, staff: int, pg_pid, runs: int
) -> tuple[dict[str, float], list[str]]:
    plan = make_plan(url)
    print(f"{staff:,} staff: week → {plan.week_label}, unit → {plan.unit}, role → {plan.role}, "
          f"person → {plan.person}", flush=True)  # fmt: skip
    server = DashboardServer(url, data_dir, root / f"dashboard-{staff}.log")
    samples: dict[str, list[float]] = {m: [] for m in METRICS}
    notes: list[str] = []
    try:
        print(f"  port {server.port} open after {server.wait_for_port():.1f} s", flush=True)
        seen: set[int] = set()
        for number in range(runs + 1):
            waited = wait_for_refill(server, pg_pid, seen)
            seen = server.kernels()
            settle = functools.partial(wait_for_refill, server, pg_pid, seen)
            run = measure_run(browser, server.base_url, plan, settle)
            label = "warm-up" if number == 0 else f"run {number}"
            shown = "  ".join(f"{m} {run.seconds[m]:.2f}" for m in METRICS if m in run.seconds)
            print(f"  {label:<8} (refill waits {waited:4.1f} + {run.settled:4.1f} s)  {shown}",
                  flush=True)  # fmt: skip
            for note in run.notes:
                print(f"    note: {note}", flush=True)
            if number == 0:
                continue
            notes += [n for n in run.notes if n not in notes]
            for metric, seconds in run.seconds.items():
                samples[metric].append(seconds)
    finally:
        server.stop()
    return {m: median(v) for m, v in samples.items()}, notes


# --- Report ----------------------------------------------------------------------------------


def report(results: dict[int, dict[str, float]], runs: int, weeks: int) -> None:
    small, large = min(results), max(results)
    width = 12
    print()
    print(f"Dashboard in headless Chromium, PostgreSQL, {weeks} weeks: "
          f"median of {runs} page loads, seconds")  # fmt: skip
    print(f"{'staff':<10}" + "".join(f"{m:>{width}}" for m in METRICS))
    for staff, medians in sorted(results.items()):
        print(f"{staff:<10,}" + "".join(f"{medians[m]:>{width}.2f}" for m in METRICS))
    ratios = {m: results[large][m] / results[small][m] for m in METRICS}
    label = f"ratio {large // 1000}k/{small}" if large >= 1000 else f"ratio {large}/{small}"
    print(f"{label:<10}" + "".join(f"{ratios[m]:>{width - 1}.2f}×" for m in METRICS))
    print()
    failures = []
    for metric in METRICS:
        ratio_ok = ratios[metric] <= RATIO_TARGET  # False for NaN: a failed measurement fails
        line = f"{metric:<12} {large:,}/{small:,} = {ratios[metric]:.2f}× (≤ {RATIO_TARGET}×) "
        line += "PASS" if ratio_ok else "FAIL"
        if not ratio_ok:
            failures.append(f"{metric} ratio {ratios[metric]:.2f}×")
        if metric in CHANGES:
            for staff in sorted(results):
                seconds = results[staff][metric]
                ok = seconds < CHANGE_TARGET
                line += f"; {seconds:.2f} s at {staff:,} (< {CHANGE_TARGET:.0f} s) "
                line += "PASS" if ok else "FAIL"
                if not ok:
                    failures.append(f"{metric} change {seconds:.2f} s at {staff:,} staff")
        print(line)
    print()
    if failures:
        print("VERDICT: FAIL — " + "; ".join(failures))
    else:
        print("VERDICT: PASS — every target met")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=RUNS, help="measured page loads per size")
    parser.add_argument("--weeks", type=int, default=WEEKS)
    parser.add_argument("--sizes", type=int, nargs=2, default=SIZES, metavar=("SMALL", "LARGE"),
                        help="staff in the two databases")  # fmt: skip
    parser.add_argument("--keep", type=Path, help="reuse (or build once into) this folder")
    args = parser.parse_args()
    from playwright.sync_api import sync_playwright

    with ExitStack() as stack:
        root = args.keep or Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="bench-")))
        root = root.resolve()
        root.mkdir(parents=True, exist_ok=True)
        server = KeptPostgres(root / "postgres") if args.keep else ThrowawayPostgres()
        server.start()
        stack.callback(server.stop)
        started = time.perf_counter()
        databases = {staff: build(server, staff, args.weeks, root) for staff in args.sizes}
        print(f"databases ready in {time.perf_counter() - started:.0f} s", flush=True)
        playwright = stack.enter_context(sync_playwright())
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        stack.callback(browser.close)
        results, notes = {}, {}
        for staff, (url, data_dir) in databases.items():
            results[staff], notes[staff] = measure_size(
                browser, url, data_dir, root, staff, postmaster_pid(server), args.runs
            )
        report(results, args.runs, args.weeks)
        for staff, found in notes.items():
            for note in found:
                print(f"note at {staff:,} staff: {note}")
        if args.keep:
            print(f"\nkept in {root}; rerun: .venv/bin/python benchmarks/bench_dashboard.py "
                  f"--keep {root}")  # fmt: skip


if __name__ == "__main__":
    main()
