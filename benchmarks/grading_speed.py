"""How fast is grading? Our engine against the naive approach, in one run on one machine.

    python benchmarks/grading_speed.py [EXERCISE ...] [--repeat N]

For each exercise, the reference solution is graded:
- naive: what a grader without our engine would do: for every variant of the app (the real
  one, the wheats and the chaffs), a copy of the app with the variant's edits on disk and a
  fresh `python -m pytest` process (plugin autoload on, as by default); no hygiene runs;
- fresh: `python -m graders check EXERCISE SOLUTION --json` in a new process, with nothing
  started before it: start-up, a new worker, every variant and the hygiene runs;
- warm: the same grading again with the worker already running, as every later check in a
  notebook (and every learner after the first in a grading session) is;
- kernel: the first check in a fresh kernel, as a learner meets it: the exercise notebook
  (with the reference answer) run from its first cell in a new kernel, and the time its
  feedback cell, `check(...)`, takes. Its set-up cell has started the worker by then.
The ratio is naive / warm. Medians over --repeat runs. Results: benchmarks/RESULTS.md.
"""
from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from graders.exercises import APP_DIR, all_exercises, get_exercise  # noqa: E402
from graders.grading import grade  # noqa: E402
from graders.suites import from_notebook  # noqa: E402


def solution(exercise_id: str) -> Path:
    return ROOT / "solutions" / exercise_id / f"{exercise_id}.ipynb"


def naive(exercise, suite: str) -> float:
    started = time.perf_counter()
    for variant in exercise.variants:
        with tempfile.TemporaryDirectory() as tmp:
            app = Path(tmp) / "forge"
            shutil.copytree(APP_DIR, app, ignore=shutil.ignore_patterns("__pycache__"))
            for module, text in variant.sources().items():
                (app / Path(*module.split(".")[1:])).with_suffix(".py").write_text(text)
            (Path(tmp) / "test_suite.py").write_text(suite)
            subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "test_suite.py"],
                           cwd=tmp, env={**os.environ, "PYTHONPATH": tmp}, capture_output=True)
    return time.perf_counter() - started


def fresh(exercise_id: str) -> float:
    started = time.perf_counter()
    subprocess.run([sys.executable, "-m", "graders", "check", exercise_id, str(solution(exercise_id)), "--json"],
                   cwd=ROOT, capture_output=True, check=True)
    return time.perf_counter() - started


def kernel(exercise_id: str) -> float:
    import nbformat
    from nbclient import NotebookClient

    notebook = nbformat.read(solution(exercise_id), as_version=4)
    ids = [cell.metadata.get("nbgrader", {}).get("grade_id") for cell in notebook.cells]
    notebook.cells = notebook.cells[:ids.index("feedback") + 1]  # up to the first check
    NotebookClient(notebook, timeout=300, kernel_name="python3",
                   resources={"metadata": {"path": str(ROOT)}}).execute()
    timing = notebook.cells[-1].metadata["execution"]
    started, ended = (datetime.fromisoformat(timing[key].replace("Z", "+00:00"))
                      for key in ("iopub.execute_input", "shell.execute_reply"))
    return (ended - started).total_seconds()


def warm(exercise, suite: str) -> float:
    grade(exercise, suite)  # starts (or reuses) the worker
    started = time.perf_counter()
    report = grade(exercise, suite)
    elapsed = time.perf_counter() - started
    assert report.score == 1.0, report.errors
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("exercises", nargs="*")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    ids = args.exercises or sorted(all_exercises())
    print(f"# {time.strftime('%Y-%m-%d %H:%M')} on {os.cpu_count()} cores, load {os.getloadavg()[0]:.2f}")
    print("| exercise | variants | tests | naive (s) | fresh (s) | kernel (s) | warm (s) | naive / warm |")
    print("| --- | --- | --- | --- | --- | --- | --- | --- |")
    for exercise_id in ids:
        exercise = get_exercise(exercise_id)
        suite = from_notebook(solution(exercise_id))
        timings = {"naive": [], "fresh": [], "kernel": [], "warm": []}
        for _ in range(args.repeat):
            timings["naive"].append(naive(exercise, suite))
            timings["fresh"].append(fresh(exercise_id))
            timings["kernel"].append(kernel(exercise_id))
            timings["warm"].append(warm(exercise, suite))
        median = {k: statistics.median(v) for k, v in timings.items()}
        tests = len(grade(exercise, suite).tests)
        variants = len(exercise.variants)
        print(f"| {exercise_id} | {variants} | {tests} | {median['naive']:.2f} | {median['fresh']:.2f} "
              f"| {median['kernel']:.2f} | {median['warm']:.2f} | {median['naive'] / median['warm']:.1f}x |", flush=True)


if __name__ == "__main__":
    main()
