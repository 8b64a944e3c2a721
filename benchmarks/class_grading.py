"""How fast is a class graded? `graders autograde` against plain `nbgrader autograde`, in one run.

    python benchmarks/class_grading.py [--students N] [--exercise ID ...] [--kinds K,K,...] [--skip-nbgrader]

A class is generated (tests/sample_class.py: every student hands in each exercise in one of
the kinds there, in turn: reference, partial, over-specified, untouched, syntax error, relies
on another test, deleted grade cell, copies, a test that never ends), and the same submissions
are graded, each way in a copy of the same released course (`nbgrader generate_assignment`
has run, as before any class hands work in), from a cold start:

- nbgrader: plain `nbgrader autograde` for each exercise (a kernel per submission, one at a
  time);
- graders: `python -m graders autograde` (its local pool, one run per CPU);
- dask-1, dask-2: `python -m graders autograde --scheduler local --jobs 1` and `--jobs 2`
  (a LocalCluster of one, then two, Dask workers).

It prints the wall time and seconds per submission of each, the speed-up over nbgrader and
from one Dask worker to two, and checks that every way gave the same grades. Results and
their conditions: benchmarks/RESULTS.md.
"""
from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))

from nbgrader.api import Gradebook  # noqa: E402

from graders.build import tools_path  # noqa: E402
from sample_class import KINDS, make_class  # noqa: E402


def grades(course: Path) -> dict:
    with Gradebook(f"sqlite:///{course / 'gradebook.db'}", "fastapi-testing") as gradebook:
        return {(s.student.id, a.name): s.score for a in gradebook.assignments
                for s in gradebook.assignment_submissions(a.name)}


def timed(commands: list[list[str]], course: Path) -> float:
    env = dict(os.environ, PATH=tools_path())
    started = time.monotonic()
    for command in commands:
        subprocess.run(command, cwd=course, env=env, check=True, capture_output=True)
    return time.monotonic() - started


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--students", type=int, default=12)
    parser.add_argument("--exercise", action="append", dest="exercises")
    parser.add_argument("--kinds", help="only these kinds of submission, comma-separated")
    parser.add_argument("--skip-nbgrader", action="store_true", help="leave plain nbgrader out (it is slow)")
    args = parser.parse_args()
    exercises = args.exercises or ["ex01_testclient", "ex05_errors", "ex13_websocket_quotes"]
    kinds = args.kinds.split(",") if args.kinds else list(KINDS)
    with tempfile.TemporaryDirectory(prefix="class-benchmark-") as scratch:
        base = Path(scratch)
        make_class(base / "template", args.students, exercises, kinds)
        # Learners submit what was released: the gradebook knows the exercises before grading.
        timed([["nbgrader", "generate_assignment", e, "--force"] for e in exercises], base / "template")
        count = args.students * len(exercises)
        python = [sys.executable, "-m", "graders", "autograde"]
        ways = {
            "nbgrader": [["nbgrader", "autograde", e] for e in exercises],
            "graders": [python],
            "dask-1": [python + ["--scheduler", "local", "--jobs", "1"]],
            "dask-2": [python + ["--scheduler", "local", "--jobs", "2"]],
        }
        if args.skip_nbgrader:
            del ways["nbgrader"]
        print(f"{datetime.now():%Y-%m-%d %H:%M}, {os.cpu_count()} CPUs: {args.students} students x "
              f"{len(exercises)} exercises = {count} submissions ({', '.join(kinds)})")
        seconds, results = {}, {}
        for way, commands in ways.items():
            course = base / way
            shutil.copytree(base / "template", course)
            seconds[way] = timed(commands, course)
            results[way] = grades(course)
            print(f"  {way:<9} {seconds[way]:7.1f} s   {seconds[way] / count:5.2f} s a submission", flush=True)
        if "nbgrader" in seconds:
            print(f"  speed-up over plain nbgrader: {seconds['nbgrader'] / seconds['graders']:.1f}x")
        print(f"  Dask, one worker to two: {seconds['dask-1'] / seconds['dask-2']:.2f}x")
        print(f"  1,400 submissions at this rate: {seconds['graders'] / count * 1400 / 60:.0f} min")
        same = all(r == results["graders"] for r in results.values())
        print(f"  same grades every way: {'yes' if same else 'NO'}")
        return 0 if same else 1


if __name__ == "__main__":
    sys.exit(main())
