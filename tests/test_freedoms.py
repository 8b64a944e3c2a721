"""Every freedom an exercise's instructions state is exercised: a test that pins it down passes
on the real app and is invalid when graded.

tests/overspecified/EXERCISE_ID.py holds one such test per stated freedom, named
`test_pins_<freedom id, dashes as underscores>`. Each passes on the real app (the same pytest
run a learner's cell makes) and must come out invalid: some correct version of the app differs
exactly there.
"""
import subprocess
import sys
from pathlib import Path

import pytest

from graders.exercises import all_exercises
from graders.grading import grade

SUITES = Path(__file__).parent / "overspecified"
EXERCISES = sorted(all_exercises())


def pinning_test(freedom_id: str) -> str:
    return "test_pins_" + freedom_id.replace("-", "_")


@pytest.mark.parametrize("exercise_id", EXERCISES)
def test_a_test_that_pins_a_stated_freedom_is_invalid(exercise_id, tmp_path):
    exercise = all_exercises()[exercise_id]
    path = SUITES / f"{exercise_id}.py"
    assert path.is_file(), f"write {path}: one test per [[freedom]] of {exercise_id}"
    suite = path.read_text()
    expected = {pinning_test(f.id) for f in exercise.freedoms}

    # On the real app every one of them passes: each looks like a fine test.
    run = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", str(path)],
                         capture_output=True, text=True, cwd=tmp_path)
    assert run.returncode == 0, run.stdout[-3000:]

    report = grade(exercise, suite)
    names = {t.nodeid.split("::")[-1].split("[")[0] for t in report.tests}
    assert names == expected, f"one test per stated freedom: {sorted(names ^ expected)}"
    still_valid = [t.nodeid for t in report.tests if t.valid]
    assert still_valid == [], f"these pin a freedom that no correct app varies: {still_valid}"
