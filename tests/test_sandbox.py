"""The sandbox: what a job's process sees, the path without namespaces, and the path a normal
user's machine takes."""
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from graders import sandbox
from graders.build import ROOT
from graders.exercises import get_exercise
from graders.grading import IN_ORDER, Grading, grade, render
from graders.runner import Run, Runner
from tests.conftest import suite

PROBE = Path(__file__).parent / "probes" / "process_state.py"


@pytest.mark.skipif(sandbox.mode() != "namespaces", reason="only Linux namespaces give every job the same view")
def test_runs_told_the_same_see_the_same(ex01):
    # The first run on a defect and its second run are told the same thing, as is a correct
    # app's run: what a test can see of its process and surroundings must be the same too.
    grading = Grading(ex01, PROBE.read_text())
    for variant in (ex01.correct_apps[0], ex01.chaffs[0]):
        runs = [Run(variant, grading.command(IN_ORDER), ex01.timeout) for _ in range(4)]
        Runner().execute(runs, lambda run: [])
        seen = [run.result.tests["test_submission.py::test_report_what_i_see"].message for run in runs]
        views = [json.loads(text.split(" ", 1)[1].split("\n")[0]) for text in seen]
        differs = {key for view in views for key in view if view[key] != views[0][key]}
        assert differs == set(), f"{variant.id}: runs told the same saw different {sorted(differs)}"


def test_without_namespaces_the_learner_is_told_the_tests_ran_unprotected(ex01, monkeypatch):
    monkeypatch.setenv("GRADERS_SANDBOX", "none")
    report = grade(ex01, suite("weak"))
    assert report.sandbox == "none" and report.valid and report.caught == 1
    assert "Unprotected: this machine cannot create Linux namespaces" in render(report)


def test_a_wrong_setting_is_a_clear_error(monkeypatch):
    monkeypatch.setattr(sandbox, "_mode", None)
    monkeypatch.setenv("GRADERS_SANDBOX", "maybe")
    with pytest.raises(sandbox.SandboxError, match="GRADERS_SANDBOX must be auto, namespaces or none"):
        sandbox.mode()


NOBODY = 65534


def as_nobody(*command: str, env: dict | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(["setpriv", f"--reuid={NOBODY}", f"--regid={NOBODY}", "--clear-groups", *command],
                          cwd=ROOT, capture_output=True, text=True, env=env)


@pytest.mark.skipif(os.getuid() != 0 or not shutil.which("setpriv"),
                    reason="needs root and setpriv (util-linux) to run the suite as a normal user")
def test_hostile_and_gaming_suites_as_a_normal_user(tmp_path):
    # A normal user's grader takes another path: a user namespace for each box, the user
    # namespace's root without any capability for the job, one process limit for all the
    # user's jobs. The hostile and gaming suites run again that way.
    tmp_path.chmod(0o777)
    env = {"PATH": os.environ.get("PATH", os.defpath), "HOME": str(tmp_path), "TMPDIR": str(tmp_path),
           "GRADERS_SANDBOX": "namespaces", "PYTEST_ADDOPTS": "-p no:cacheprovider"}
    # The grader starts its worker with sys.executable: the user must be able to run it.
    reach = as_nobody(sys.executable, "-c", "import subprocess, sys; subprocess.run([sys.executable, "
                      "'-c', 'import graders.sandbox'], check=True)", env=env)
    if reach.returncode != 0:
        pytest.skip("a normal user cannot run this course's Python here (its files are not readable "
                    f"by others): {reach.stderr.strip().splitlines()[-1:]}")
    result = as_nobody(sys.executable, "-m", "pytest", "-q", "-x", "tests/test_hostile.py", "tests/test_gaming.py",
                       "tests/test_sandbox.py::test_runs_told_the_same_see_the_same", env=env)
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]
    assert " skipped" not in result.stdout.splitlines()[-1], result.stdout[-2000:]
