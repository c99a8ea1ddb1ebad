"""How long the occupational-health (named) weekly report is to read, on the demo hospital.

Target: for each of the demo's last weeks, the named report is under a third of the height the
same week's report had when it listed one row per alert with its advice repeated (the layout of
git revision `--before`, run from its own files on the same database). Reports are written by
`burnout report --named`, as occupational health gets them, and laid out by headless Chromium
at 1280 px wide. Earlier weeks' open alerts sit in closed `<details>` sections; the height with
every section opened is reported too.

    .venv/bin/python benchmarks/bench_report_length.py [--weeks-measured 4] [--keep DIR]
        [--before REV]
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
import tempfile
from datetime import date
from pathlib import Path

from playwright.sync_api import sync_playwright
from sqlalchemy import func, select

from burnout_lib.store import db

#: The last revision whose named report had one row per alert.
BEFORE = "cf1a296^"
TARGET_SHARE = 1 / 3
ROOT = Path(__file__).resolve().parents[1]
WIDTH = 1280
CHROMIUM = "/usr/bin/chromium"
BURNOUT = Path(sys.executable).with_name("burnout")


def burnout(env: dict[str, str], *arguments: str) -> str:
    """Run the command-line tool as a user would; its standard output."""
    done = subprocess.run(
        [str(BURNOUT), "--quiet", *arguments], env=env, capture_output=True, text=True, cwd=ROOT
    )
    if done.returncode != 0:
        raise SystemExit(f"burnout {' '.join(arguments)} failed: {done.stderr.strip()}")
    return done.stdout


def scored_weeks(db_url: str, count: int) -> list[date]:
    """The last `count` weeks that have risk scores, oldest first."""
    engine = db.make_engine(db_url)
    with engine.connect() as connection:
        weeks = connection.execute(
            select(db.weekly_risk.c.week_start)
            .group_by(db.weekly_risk.c.week_start)
            .order_by(db.weekly_risk.c.week_start.desc())
            .limit(count)
        ).scalars()
        found = sorted(weeks)
        alerted = dict(
            connection.execute(
                select(db.alert.c.week_start, func.count()).group_by(db.alert.c.week_start)
            ).all()
        )
    engine.dispose()
    print("alerts raised per week: " + ", ".join(f"{w} {alerted.get(w, 0)}" for w in found))
    return found


def unpack_revision(revision: str, folder: Path) -> Path:
    """The library and notebooks of a git revision, to run in place of the installed ones."""
    folder.mkdir(parents=True)
    archive = subprocess.run(["git", "-C", str(ROOT), "archive", revision, "burnout_lib",
                              "notebooks"], capture_output=True, check=True).stdout  # fmt: skip
    subprocess.run(["tar", "-x", "-C", str(folder)], input=archive, check=True)
    return folder


def named_report(env: dict[str, str], week: date, out: Path) -> Path:
    said = burnout(env, "report", "--week", week.isoformat(), "--named", "--out", str(out),
                   "--no-score")  # fmt: skip
    return Path(re.search(r"report written to (\S+\.html)", said).group(1))


def heights(browser, html: Path) -> tuple[int, int, int]:
    """Height as written (sections closed), height with every section open, people listed."""
    page = browser.new_page(viewport={"width": WIDTH, "height": 800})
    page.goto(html.as_uri())
    closed = page.evaluate("document.documentElement.scrollHeight")
    people = page.locator(".sparkline").count()
    page.evaluate("document.querySelectorAll('details').forEach(d => d.open = true)")
    opened = page.evaluate("document.documentElement.scrollHeight")
    page.close()
    return closed, opened, people


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--weeks-measured", type=int, default=4)
    parser.add_argument("--keep", type=Path, help="reuse (or build once into) this demo folder")
    parser.add_argument("--before", default=BEFORE, help=f"earlier layout (default {BEFORE})")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-report-length-") as tmp:
        root = args.keep or Path(tmp)
        root.mkdir(parents=True, exist_ok=True)
        db_url = f"sqlite:///{root / 'burnout.db'}"
        env = {k: v for k, v in os.environ.items() if not k.startswith("BURNOUT_")}
        env.update(BURNOUT_DB_URL=db_url, BURNOUT_DATA_DIR=str(root))
        print(burnout(env, "demo").strip())
        earlier = unpack_revision(args.before, Path(tmp) / "before")
        env_before = dict(  # its library before the installed one; the same survey tables
            env, PYTHONPATH=str(earlier), BURNOUT_SURVEY_DIR=str(ROOT / "data" / "survey")
        )
        rows = []
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM)
            for week in scored_weeks(db_url, args.weeks_measured):
                before, _, _ = heights(browser, named_report(env_before, week, Path(tmp) / "b"))
                now, opened, people = heights(browser, named_report(env, week, Path(tmp) / "n"))
                rows.append((week, people, before, now, opened))
            browser.close()
    print(f"\nnamed weekly report at {WIDTH} px wide, demo hospital; before = {args.before}")
    print(f"{'week':<12}{'people':>7}{'before':>10}{'now':>10}{'all open':>10}{'now/before':>12}")
    for week, people, before, now, opened in rows:
        verdict = "within" if now < TARGET_SHARE * before else "OVER"
        print(f"{week!s:<12}{people:>7}{before:>7} px{now:>7} px{opened:>7} px"
              f"{now / before:>11.0%}  ({verdict} a third)")  # fmt: skip


if __name__ == "__main__":
    main()
