"""How often does a test that passes only by chance stay valid? Measured, not assumed.

    python benchmarks/coin_flip.py [EXERCISE] [--repeat N]

Grades two suites N times each (default: ex01_testclient, 40 times):
- coin: one test that fails half of the time, whatever the app does;
- coin that knows the order: an honest test, then a coin that is flipped only where the
  suite runs in its own order (the runs a defect gets too) and passes wherever it can tell
  that it runs in another order or alone (runs that only correct apps used to get).
For each: how often the suite was valid, how often it scored above 0, and how often the
coin's message called it flaky when it was invalid. The issue's bar: valid at most 1 time in
20, and "flaky" every time.
"""
from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from graders.exercises import get_exercise  # noqa: E402
from graders.grading import grade  # noqa: E402

SUITES = {
    "coin": '''
import random


def test_coin():
    assert random.SystemRandom().random() < 0.5
''',
    "coin that knows the order": '''
import random

ran = []


def test_first():
    ran.append("first")


def test_coin():
    if ran != ["first"]:
        return  # another order, or alone: a run that only correct apps used to get
    assert random.SystemRandom().random() < 0.5
''',
}


def measure(exercise, suite: str, repeat: int) -> dict:
    valid = scored = flaky = invalid = 0
    started = time.perf_counter()
    for _ in range(repeat):
        report = grade(exercise, suite)
        coin = next(t for t in report.tests if t.nodeid.endswith("test_coin"))
        valid += report.valid
        scored += report.valid and report.score > 0
        if not coin.valid:
            invalid += 1
            flaky += coin.flaky
    return {"valid": valid, "scored": scored, "invalid": invalid, "flaky": flaky,
            "seconds": (time.perf_counter() - started) / repeat}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("exercise", nargs="?", default="ex01_testclient")
    parser.add_argument("--repeat", type=int, default=40)
    args = parser.parse_args()
    exercise = get_exercise(args.exercise)
    print(f"{args.exercise}, {args.repeat} gradings each\n")
    print("| suite | valid | scored > 0 | invalid, called flaky | seconds per grading |")
    print("| --- | --- | --- | --- | --- |")
    for name, suite in SUITES.items():
        m = measure(exercise, suite, args.repeat)
        print(f"| {name} | {m['valid']} of {args.repeat} | {m['scored']} of {args.repeat} | "
              f"{m['flaky']} of {m['invalid']} | {m['seconds']:.1f} |")


if __name__ == "__main__":
    main()
