"""The weekly report's run time for a hospital of 10,000 staff × 52 weeks.

Target: `burnout report` under 60 s, timed as the scheduler runs it (a subprocess), both when it
must score the week first and when the week is already scored.

    .venv/bin/python benchmarks/bench_report.py [--staff 10000] [--weeks 52]
        [--backend sqlite|postgresql] [--keep DIR]   (--keep: SQLite only)
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

from burnout_lib.config import load_settings
from burnout_lib.mock.hospital import MockSpec, write_mock
from burnout_lib.risk.alerts import evaluate_week
from burnout_lib.risk.features import weekly_features
from burnout_lib.risk.model import save_model, train
from burnout_lib.risk.scoring import score_weeks
from burnout_lib.store import db
from burnout_lib.testing.postgres_server import ThrowawayPostgres

TARGET = 60.0
BURNOUT = Path(sys.executable).with_name("burnout")


def build(settings, spec: MockSpec) -> None:
    """Mock hospital, model, and every week but the last scored with its alerts."""
    engine = db.make_engine(settings.db_url)
    db.init_db(engine)
    if db.row_counts(engine)["staff"] == 0:
        started = time.perf_counter()
        write_mock(engine, settings, spec, progress=True)
        model = train(weekly_features(engine), "full")
        version = save_model(model, engine, settings, live=True)
        last = spec.start + timedelta(weeks=spec.weeks - 1)
        first = last - timedelta(weeks=8)
        for result in score_weeks(engine, settings, first, last - timedelta(weeks=1), version):
            evaluate_week(engine, settings, result.week, version)
        print(f"built in {time.perf_counter() - started:.0f} s", flush=True)
    engine.dispose()


def run_report(settings, week, out: Path) -> float:
    env = dict(os.environ, BURNOUT_DB_URL=settings.db_url, BURNOUT_DATA_DIR=str(settings.data_dir))
    started = time.perf_counter()
    subprocess.run(
        [str(BURNOUT), "--quiet", "report", "--week", week.isoformat(), "--out", str(out)],
        check=True,
        env=env,
    )
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--staff", type=int, default=10_000)
    parser.add_argument("--weeks", type=int, default=52)
    parser.add_argument("--backend", choices=("sqlite", "postgresql"), default="sqlite")
    parser.add_argument("--keep", type=Path, help="SQLite: reuse (or build once into) this folder")
    args = parser.parse_args()
    spec = MockSpec(staff=args.staff, weeks=args.weeks, seed=3)
    week = spec.start + timedelta(weeks=args.weeks - 1)
    server = ThrowawayPostgres().start() if args.backend == "postgresql" else None
    try:
        with tempfile.TemporaryDirectory(prefix="bench-report-") as tmp:
            root = args.keep if args.keep and server is None else Path(tmp)
            url = (
                server.create_database("bench_report")
                if server
                else f"sqlite:///{root / 'bench.db'}"
            )
            settings = load_settings(db=url, data_dir=root / "data")
            build(settings, spec)
            out = Path(tmp) / "reports"
            timings = {
                "report, scoring the week first": run_report(settings, week, out),
                "report, week already scored": run_report(settings, week, out),
            }
            print(f"\n{args.staff:,} staff × {args.weeks} weeks, {args.backend}")
            for label, seconds in timings.items():
                verdict = "within" if seconds < TARGET else "OVER"
                print(f"{label:<34} {seconds:6.1f} s  ({verdict} the {TARGET:.0f} s target)")
    finally:
        if server is not None:
            server.stop()


if __name__ == "__main__":
    main()
