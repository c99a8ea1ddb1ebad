"""`burnout evaluate` on a 400-staff × 40-week mock hospital (SQLite), as the command runs it.

Target: under 60 s from reading the features to the printed table.

    .venv/bin/python benchmarks/bench_evaluate.py [--staff 400] [--weeks 40] [--keep DIR]
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

from burnout_lib.config import load_settings
from burnout_lib.mock.hospital import MockSpec, write_mock
from burnout_lib.risk.evaluation import evaluate
from burnout_lib.risk.features import weekly_features
from burnout_lib.risk.scoring import consented_features
from burnout_lib.store import db

TARGET = 60.0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--staff", type=int, default=400)
    parser.add_argument("--weeks", type=int, default=40)
    parser.add_argument("--keep", type=Path, help="reuse (or build once into) this folder")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-evaluate-") as tmp:
        root = args.keep or Path(tmp)
        settings = load_settings(db=f"sqlite:///{root / 'bench.db'}", data_dir=root / "data")
        engine = db.make_engine(settings.db_url)
        db.init_db(engine)
        if db.row_counts(engine)["staff"] == 0:
            spec = MockSpec(staff=args.staff, weeks=args.weeks, seed=3)
            write_mock(engine, settings, spec, progress=False)
        runs = []
        for _ in range(3):
            started = time.perf_counter()
            result = evaluate(consented_features(engine, weekly_features(engine)))
            text = result.text()
            runs.append(time.perf_counter() - started)
        runs.sort()
        verdict = "within" if runs[1] < TARGET else "OVER"
        print(text)
        print(
            f"\nevaluate, {args.staff} staff × {args.weeks} weeks: median {runs[1]:.1f} s of 3 "
            f"(fastest {runs[0]:.1f} s) — {verdict} the {TARGET:.0f} s target"
        )
        engine.dispose()


if __name__ == "__main__":
    main()
