"""How long `burnout mock` takes for a hospital-sized run, into SQLite and PostgreSQL.

Target: under 2 minutes each for 10,000 staff × 52 weeks on 2 cores.

    .venv/bin/python benchmarks/bench_mock.py [--staff 10000] [--weeks 52]
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

from burnout_lib.config import load_settings
from burnout_lib.mock.hospital import MockSpec, write_mock
from burnout_lib.store.db import init_db, make_engine, row_counts
from burnout_lib.testing.postgres_server import ThrowawayPostgres

TARGET_SECONDS = 120


def run(db_url: str, data_dir: Path, spec: MockSpec) -> float:
    engine = make_engine(db_url)
    init_db(engine)
    settings = load_settings(db=db_url, data_dir=data_dir)
    started = time.perf_counter()
    result = write_mock(engine, settings, spec, progress=False)
    elapsed = time.perf_counter() - started
    counts = row_counts(engine)
    engine.dispose()
    print(f"  {result.summary()}; rows: {counts}")
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--staff", type=int, default=10_000)
    parser.add_argument("--weeks", type=int, default=52)
    args = parser.parse_args()
    spec = MockSpec(staff=args.staff, weeks=args.weeks, seed=1)
    results = {}
    with tempfile.TemporaryDirectory(prefix="bench-mock-") as tmp:
        root = Path(tmp)
        print(f"burnout mock --staff {spec.staff} --weeks {spec.weeks}")
        results["SQLite"] = run(f"sqlite:///{root / 'bench.db'}", root / "sqlite", spec)
        with ThrowawayPostgres() as server:
            url = server.create_database("bench_mock")
            results["PostgreSQL"] = run(url, root / "postgres", spec)
    for backend, seconds in results.items():
        verdict = "within" if seconds < TARGET_SECONDS else "OVER"
        print(f"{backend:<11} {seconds:7.1f} s  ({verdict} the {TARGET_SECONDS} s target)")


if __name__ == "__main__":
    main()
