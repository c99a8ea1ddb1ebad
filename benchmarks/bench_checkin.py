"""How long `burnout checkin import` takes for 100,000 rows into PostgreSQL.

Shown next to the floor measured in the same run: `COPY` of the same CSV through psql into a bare
table of text columns (no validation, no scoring, no upsert). Target: under 20 s.

    .venv/bin/python benchmarks/bench_checkin.py [--rows 100000]
"""

from __future__ import annotations

import argparse
import subprocess
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

import numpy as np
import pandas as pd

from burnout_lib.sources.checkins import import_checkins
from burnout_lib.sources.instruments import FREQUENCY, PERSONAL
from burnout_lib.store import db
from burnout_lib.testing.postgres_server import ThrowawayPostgres

TARGET_SECONDS = 20.0
WEEKS = 50


def roster(engine, people: int) -> list[str]:
    """Staff with check-in consent, written directly (the benchmark is about check-ins)."""
    names = [f"bench-person-{i:06d}" for i in range(people)]
    staff = pd.DataFrame({"pseudonym": names, "unit": "Intensive care", "role": "Nurse"})
    with engine.begin() as connection:
        db.upsert(connection, db.staff, staff, keys=("pseudonym",))
        ids = db.id_map(connection, db.staff.c.id, db.staff.c.pseudonym, names)
        consent = pd.DataFrame(
            {"staff_id": list(ids.values()), "channel": "checkin", "granted": True}
        ).assign(decided_at=pd.Timestamp("2026-01-01", tz="UTC"))
        db.upsert(connection, db.consent, consent, keys=("staff_id", "channel"))
    return names


def checkin_csv(path: Path, names: list[str], rows: int) -> None:
    """`rows` check-ins: each person's weeks in turn, answers as labels or scores, some blank."""
    rng = np.random.default_rng(0)
    labels = np.array(list(FREQUENCY) + [str(v) for v in FREQUENCY.values()] + [""], dtype=object)
    person = np.arange(rows) // WEEKS
    week = np.arange(rows) % WEEKS
    start = date(2026, 1, 5)
    frame = pd.DataFrame(
        {
            "pseudonym": np.array(names, dtype=object)[person],
            "week": [(start + timedelta(weeks=int(w))).isoformat() for w in week],
        }
    )
    for column in PERSONAL.columns:
        frame[column] = labels[rng.integers(0, len(labels), rows)]
    frame.to_csv(path, index=False)


def copy_floor(url: str, path: Path) -> float:
    columns = ", ".join(["pseudonym text", "week text"] + [f"{c} text" for c in PERSONAL.columns])
    subprocess.run(["psql", url, "-q", "-c", f"CREATE TABLE copy_floor ({columns})"], check=True)
    started = time.perf_counter()
    subprocess.run(
        ["psql", url, "-q", "-c", f"\\copy copy_floor FROM '{path}' WITH (FORMAT csv, HEADER)"],
        check=True,
    )
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-checkin-") as tmp, ThrowawayPostgres() as pg:
        url = pg.create_database("bench_checkin")
        engine = db.make_engine(url)
        db.init_db(engine)
        names = roster(engine, -(-args.rows // WEEKS))
        path = Path(tmp) / "checkins.csv"
        checkin_csv(path, names, args.rows)
        floor = copy_floor(url, path)
        started = time.perf_counter()
        report = import_checkins(engine, path)
        ours = time.perf_counter() - started
        stored = db.row_counts(engine)["checkin"]
        engine.dispose()
    verdict = "within" if ours < TARGET_SECONDS else "OVER"
    print(f"{args.rows:,} check-in rows into PostgreSQL ({stored:,} stored; {report.summary()})")
    print(f"psql \\copy (floor)       {floor:7.2f} s")
    print(f"burnout checkin import   {ours:7.2f} s  ({ours / floor:.1f}× the floor; "
          f"{verdict} the {TARGET_SECONDS:.0f} s target)")  # fmt: skip


if __name__ == "__main__":
    main()
