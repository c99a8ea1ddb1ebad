"""How long the fault tests take: the races, kills and server restarts marked `faults`.

Target: under 5 minutes together, as CI runs them (one pytest process, its own PostgreSQL
server). Prints each test's time, slowest first, and the total against the target.

    .venv/bin/python benchmarks/bench_faults.py [--rounds 1]
"""

from __future__ import annotations

import argparse
import re
import subprocess
import sys
import time
from pathlib import Path

TARGET = 300.0
ROOT = Path(__file__).resolve().parent.parent
DURATION = re.compile(r"^([\d.]+)s (call|setup|teardown)\s+(\S+)$")


def run_once() -> tuple[float, dict[str, float]]:
    """Wall-clock seconds of `pytest -m faults`, and each test's own seconds."""
    started = time.perf_counter()
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-m", "faults", "-q", "-p", "no:cacheprovider",
         "--durations=0", "--durations-min=0.5"],
        cwd=ROOT, capture_output=True, text=True,
    )  # fmt: skip
    seconds = time.perf_counter() - started
    if result.returncode != 0:
        sys.exit(f"the fault tests failed:\n{result.stdout[-4000:]}")
    per_test: dict[str, float] = {}
    for line in result.stdout.splitlines():
        found = DURATION.match(line.strip())
        if found:
            name = found.group(3).split("::", 1)[1]
            per_test[name] = per_test.get(name, 0.0) + float(found.group(1))
    return seconds, per_test


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=1, help="runs to time (the slowest counts)")
    args = parser.parse_args()
    totals = []
    for round_ in range(1, args.rounds + 1):
        seconds, per_test = run_once()
        totals.append(seconds)
        print(f"round {round_}: {seconds:.0f} s")
        for name, spent in sorted(per_test.items(), key=lambda item: -item[1]):
            print(f"  {spent:6.1f} s  {name}")
    worst = max(totals)
    verdict = "within" if worst < TARGET else "OVER"
    print(f"fault tests: {worst:.0f} s at the slowest, {verdict} the {TARGET:.0f} s target")


if __name__ == "__main__":
    main()
