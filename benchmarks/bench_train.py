"""Training and scoring time for a hospital of 10,000 staff × 52 weeks (SQLite).

Targets: train under 60 s (feature matrix included), score one week under 5 s.

    .venv/bin/python benchmarks/bench_train.py [--staff 10000] [--weeks 52] [--keep DIR]
"""

from __future__ import annotations

import argparse
import tempfile
import time
from datetime import timedelta
from pathlib import Path

from burnout_lib.config import load_settings
from burnout_lib.mock.hospital import MockSpec, write_mock
from burnout_lib.risk.features import weekly_features
from burnout_lib.risk.model import save_model, train
from burnout_lib.risk.scoring import score_week
from burnout_lib.store import db

TRAIN_TARGET = 60.0
SCORE_TARGET = 5.0


def timed(label: str, target: float | None, action):
    started = time.perf_counter()
    result = action()
    seconds = time.perf_counter() - started
    verdict = "" if target is None else f"  ({'within' if seconds < target else 'OVER'} "
    verdict += "" if target is None else f"the {target:.0f} s target)"
    print(f"{label:<34} {seconds:7.1f} s{verdict}", flush=True)
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--staff", type=int, default=10_000)
    parser.add_argument("--weeks", type=int, default=52)
    parser.add_argument("--keep", type=Path, help="reuse (or build once into) this folder")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-train-") as tmp:
        root = args.keep or Path(tmp)
        settings = load_settings(db=f"sqlite:///{root / 'bench.db'}", data_dir=root / "data")
        engine = db.make_engine(settings.db_url)
        db.init_db(engine)
        spec = MockSpec(staff=args.staff, weeks=args.weeks, seed=3)
        if db.row_counts(engine)["staff"] == 0:
            timed("mock hospital (setup)", None,
                  lambda: write_mock(engine, settings, spec, progress=False))  # fmt: skip

        def fit():
            features = weekly_features(engine)
            return features, train(features, "full")

        features, model = timed("features + train", TRAIN_TARGET, fit)
        version = save_model(model, engine, settings, live=True)
        week = spec.start + timedelta(weeks=args.weeks - 1)
        result = timed("score one week", SCORE_TARGET,
                       lambda: score_week(engine, settings, week, version))  # fmt: skip
        m = model.card["metrics"]
        print(f"{len(features):,} person-weeks; chosen {model.card['chosen']}; recall "
              f"{m['recall']:.3f}, precision {m['precision']:.3f}, F1 {m['f1']:.3f}; "
              f"{result.summary()}")  # fmt: skip
        engine.dispose()


if __name__ == "__main__":
    main()
