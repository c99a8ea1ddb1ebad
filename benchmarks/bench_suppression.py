"""How long the small-group rules take to work out a hospital's team tables, by hospital size.

`docs/team-figures.md` says working out a busy week takes around a second, which is why each
answer is remembered in the database. This measures it: for mock hospitals of several sizes
(each week scored by a trained model, alerts raised), `views.publish_weeks` works out the 12
weeks a team view shows, from nothing remembered, as `burnout demo` and the scheduler do; every
call of the rules (`suppress_nested`) is timed, per table (risk levels, check-ins, alerts) and
per week (the three together).

    .venv/bin/python benchmarks/bench_suppression.py [--staff 200 2000 10000] [--weeks 14]
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from collections import defaultdict
from datetime import timedelta
from pathlib import Path

from burnout_lib.config import load_settings
from burnout_lib.mock.hospital import MockSpec, write_mock
from burnout_lib.privacy import published, suppression
from burnout_lib.readouts import views
from burnout_lib.risk.alerts import evaluate_week
from burnout_lib.risk.features import weekly_features
from burnout_lib.risk.model import save_model, train
from burnout_lib.risk.scoring import score_weeks
from burnout_lib.store import db

#: What the documentation says a busy week's tables take.
CLAIM_S = 1.0
#: Table kinds by their columns.
KINDS = {
    tuple(db.RISK_LEVELS): "risk levels",
    tuple(views.CHECKIN_CATEGORIES): "check-ins",
    tuple(views.PERSON_RULES): "alerts",
}


def build(root: Path, staff: int, weeks: int):
    """A scored mock hospital with its alerts: engine and live model version."""
    settings = load_settings(db=f"sqlite:///{root / 'hospital.db'}", data_dir=root / "data")
    engine = db.make_engine(settings.db_url)
    db.init_db(engine)
    spec = MockSpec(staff=staff, weeks=weeks, seed=11, frames_per_recording=2)
    write_mock(engine, settings, spec, progress=True)
    model = train(weekly_features(engine), "checkin", bootstrap_rounds=20, folds=3)
    version = save_model(model, engine, settings, live=True)
    last = spec.start + timedelta(weeks=weeks - 1)
    first = last - timedelta(weeks=views.WINDOW_WEEKS - 1)
    for result in score_weeks(engine, settings, first, last, version):
        evaluate_week(engine, settings, result.week, version)
    return engine, version


def time_publishing(engine, version: int) -> dict[str, list[float]]:
    """Seconds per call of the rules, by table kind, working out every table afresh."""
    taken: dict[str, list[float]] = defaultdict(list)
    rules = suppression.suppress_nested

    def timed(counts, floor, **options):
        started = time.perf_counter()
        table = rules(counts, floor, **options)
        taken[KINDS.get(tuple(counts.columns), "other")].append(time.perf_counter() - started)
        return table

    with engine.begin() as connection:
        published.forget_all(connection)  # nothing remembered in the database or this process
    published.suppress_nested = timed
    try:
        views.publish_weeks(engine, version, floor=5, progress=False)
    finally:
        published.suppress_nested = rules
    return taken


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--staff", type=int, nargs="+", default=[200, 2000, 10_000])
    parser.add_argument("--weeks", type=int, default=14)
    args = parser.parse_args()
    rows = []
    for staff in args.staff:
        with tempfile.TemporaryDirectory(prefix="bench-suppression-") as tmp:
            started = time.perf_counter()
            engine, version = build(Path(tmp), staff, args.weeks)
            print(f"{staff:,} staff built in {time.perf_counter() - started:.0f} s", flush=True)
            taken = time_publishing(engine, version)
            engine.dispose()
        rows.append((staff, [taken[kind] for kind in KINDS.values()]))
    print(f"\nseconds per table worked out over {views.WINDOW_WEEKS} weeks: median / slowest")
    print("(calls; a week whose counts repeat an earlier week's is not worked out again)")
    print(f"{'staff':>7}" + "".join(f"{kind:>22}" for kind in KINDS.values()) + f"{'a week':>18}")
    for staff, kinds in rows:
        cells = [
            f"{statistics.median(times):5.2f} / {max(times):5.2f} ({len(times)})" for times in kinds
        ]
        week = [sum(statistics.median(times) for times in kinds), sum(map(max, kinds))]
        verdict = "within" if week[0] <= 2 * CLAIM_S else "OVER"
        claim = f"({verdict} 'around {CLAIM_S:.0f} s')"
        print(f"{staff:>7,}" + "".join(f"{cell:>22}" for cell in cells)
              + f"{week[0]:7.2f} / {week[1]:5.2f}  {claim}")  # fmt: skip


if __name__ == "__main__":
    main()
