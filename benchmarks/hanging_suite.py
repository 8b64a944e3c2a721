"""How long does a suite of hanging tests take to grade?

    python benchmarks/hanging_suite.py [--repeat N]

Grades `tests/hostile/many_hangs.py` (five tests that never end, each in its own way: a busy
loop, a long sleep, a lock that is never released, a loop of short sleeps, a read from an
empty pipe, and one good test) on ex01_testclient with its usual time limit, with a warm
worker. A hanging test costs one time limit, not one per variant, and the hangs run side by
side. Results: benchmarks/RESULTS.md.
"""
from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from graders.exercises import get_exercise  # noqa: E402
from graders.grading import grade  # noqa: E402

SUITE = ROOT / "tests/hostile/many_hangs.py"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    exercise = get_exercise("ex01_testclient")
    suite = SUITE.read_text()
    grade(exercise, "def test_nothing():\n    pass\n")  # starts the worker
    seconds = []
    for _ in range(args.repeat):
        started = time.perf_counter()
        report = grade(exercise, suite)
        seconds.append(time.perf_counter() - started)
        invalid = sum(not t.valid for t in report.tests)
        print(f"{seconds[-1]:.1f} s: {invalid} of {len(report.tests)} tests invalid, "
              f"caught {report.caught} of {len(report.defects)}", flush=True)
    print(f"# {time.strftime('%Y-%m-%d %H:%M')} on {os.cpu_count()} cores, time limit {exercise.timeout:.0f} s "
          f"a test: median {statistics.median(seconds):.1f} s, longest {max(seconds):.1f} s")


if __name__ == "__main__":
    main()
