"""The README's class walkthrough, run as written: the same commands, in the same order.

The commands are read from the README's block marked "instructor walkthrough" and run in a
scratch course directory, with nbgrader's exchange in a scratch directory too. Where the README
says what each learner does (fetch, work, submit), three learners do it, each in a copy of what
`python -m graders handout` gives learners: one hands in the reference suite, one a partial
suite, one a suite with an over-specified test. Then the grades, the feedback pages, the export
and the class report are checked, and the same submissions graded by plain `nbgrader autograde`
must get the same grades.
"""
from __future__ import annotations

import csv
import json
import os
import re
import shutil
import subprocess
import sys
import urllib.error
import urllib.request
from pathlib import Path

import nbformat
import pytest
from nbgrader.api import Gradebook

from graders.build import ROOT, tools_path
from graders.exercises import get_exercise
from graders.suites import ANSWER_CELL, MAGIC
from sample_class import make_course, overspecified, partial, reference
from tests.conftest import jupyterlab

EXERCISE = "ex01_testclient"
COURSE_ID = "fastapi-testing"
MARKER = "<!-- instructor walkthrough"
LEARNERS = {"ada": reference, "bo": partial, "cy": overspecified}


def walkthrough() -> tuple[list[str], list[str]]:
    """The README's instructor commands, and the learners' commands in its comments."""
    text = (ROOT / "README.md").read_text()
    block = text[text.index(MARKER):]
    block = block[block.index("```bash") + len("```bash"):]
    block = block[:block.index("```")]
    commands, learner = [], []
    for line in block.strip().splitlines():
        command, _, comment = line.partition("#")
        if command.strip():
            commands.append(command.strip())
        learner += re.findall(r"(nbgrader (?:fetch_assignment|submit|fetch_feedback) \S+ --course \S+)", comment)
    return commands, learner


def run(command: str, cwd: Path, env: dict) -> str:
    result = subprocess.run(command, shell=True, cwd=cwd, env=env, capture_output=True, text=True, timeout=900)
    assert result.returncode == 0, f"`{command}` failed ({result.returncode}):\n{result.stdout}\n{result.stderr}"
    return result.stdout + result.stderr


@pytest.fixture(scope="module")
def walked(tmp_path_factory):
    base = tmp_path_factory.mktemp("walkthrough")
    course, exchange, handout = base / "course", base / "exchange", base / "handout"
    course.mkdir()
    exchange.mkdir()
    exchange.chmod(0o777)  # as the README says: every learner can write there
    shutil.copy(ROOT / "nbgrader_config.py", course)
    shutil.copytree(ROOT / "solutions" / EXERCISE, course / "solutions" / EXERCISE)
    # "with the environment active": this environment's `python` and tools come first.
    env = dict(os.environ, PATH=tools_path(), NBGRADER_EXCHANGE=str(exchange))
    run(f"{sys.executable} -m graders handout {handout}", base, env)
    commands, learner_commands = walkthrough()
    fetch = next(c for c in learner_commands if "fetch_assignment" in c)
    submit = next(c for c in learner_commands if " submit " in c)
    fetch_feedback = next(c for c in learner_commands if "fetch_feedback" in c)
    logs = {}
    for command in commands:
        if command.startswith("nbgrader collect"):
            for name, suite in LEARNERS.items():  # the learners' turn, in their own copies
                home = base / "learners" / name
                home.mkdir(parents=True)
                shutil.copy(handout / "nbgrader_config.py", home)
                run(fetch, home, env)
                path = home / EXERCISE / f"{EXERCISE}.ipynb"
                notebook = nbformat.read(path, as_version=4)
                for cell in notebook.cells:
                    if (cell.metadata.get("nbgrader") or {}).get("grade_id") == ANSWER_CELL:
                        cell.source = f"{MAGIC}\n{suite(EXERCISE)}"
                nbformat.write(notebook, path)
                run(f"{submit} --student {name}", home, env)  # three learners on one OS account
        logs[command] = run(command, course, env)
    for name in LEARNERS:
        run(f"{fetch_feedback} --student {name}", base / "learners" / name, env)
    return base, course, logs


def scores(course: Path) -> dict[str, float]:
    with Gradebook(f"sqlite:///{course / 'gradebook.db'}", COURSE_ID) as gradebook:
        return {s.student.id: s.score for s in gradebook.assignment_submissions(EXERCISE)}


def test_the_walkthrough_grades_every_learner_as_an_expert_would(walked):
    _, course, _ = walked
    graded = scores(course)
    assert graded["ada"] == 10.0
    assert 0 < graded["bo"] < 10.0
    assert graded["cy"] == 0.0


def test_plain_nbgrader_autograde_gives_the_same_grades(walked, tmp_path):
    _, course, _ = walked
    again = tmp_path / "course"
    shutil.copytree(course, again, ignore=shutil.ignore_patterns("autograded", "feedback", "gradebook.db"))
    env = dict(os.environ, PATH=tools_path())
    run(f"nbgrader generate_assignment {EXERCISE} --force", again, env)
    run(f"nbgrader autograde {EXERCISE}", again, env)
    assert scores(again) == scores(course)


def test_learners_get_feedback_with_reasons_and_hints_but_not_the_graders_code(walked):
    base, course, _ = walked
    pages = {name: (course / "feedback" / name / EXERCISE / f"{EXERCISE}.html").read_text() for name in LEARNERS}
    for name in LEARNERS:  # and fetch_feedback brought it to the learner
        fetched = [p.read_text() for p in (base / "learners" / name / EXERCISE / "feedback").rglob("*.html")]
        assert pages[name] in fetched
    total = len(get_exercise(EXERCISE).chaffs)
    assert f"Caught {total} of {total} planted defects" in pages["ada"]
    assert "Hints for the defects your suite misses" in pages["bo"] and "(1/3)" in pages["bo"]
    assert "over-specifies" in pages["cy"]
    for page in pages.values():
        assert "graders.notebook import score" not in page and "score(" not in page


def test_the_export_and_the_class_report_are_written(walked):
    _, course, logs = walked
    with open(course / "grades.csv") as f:
        rows = [r for r in csv.DictReader(f) if r["assignment"] == EXERCISE]
    assert sorted(r["student_id"] for r in rows) == sorted(LEARNERS)
    page = (course / "class-report" / "index.html").read_text()
    assert "<svg" in page and "Defects the class missed most" in page
    with open(course / "class-report" / "submissions.csv") as f:
        in_report = {r["student"]: float(r["score"]) * 10 for r in csv.DictReader(f)}
    assert in_report == pytest.approx(scores(course), abs=0.01)  # the gradebook keeps 2 decimals


def test_the_logs_repeat_no_warning_per_submission(walked):
    _, _, logs = walked
    for command, log in logs.items():
        if command.startswith("nbgrader collect"):
            # The three learners submitted from one OS account: collect says each file's owner
            # is not the student it names. On a real machine every learner is a user of their own.
            log = re.sub(r"\[CollectApp \| WARNING\] \n.*?owned by.*?\n", "", log, flags=re.S)
        lines = [line for line in log.splitlines() if "WARNING" in line or "CRITICAL" in line or "Warning:" in line]
        assert not lines, f"`{command}` logged:\n" + "\n".join(lines)


def test_make_instructor_serves_the_formgrader_without_an_activated_environment(tmp_path):
    """`make instructor` runs the venv's Python with the shell's PATH: the formgrader still finds
    nbgrader's tools (it runs `alembic` by name to make a new gradebook) and lists the course's
    assignments. A course with no gradebook yet, as in a fresh clone."""
    course = tmp_path / "course"
    make_course(course, [EXERCISE])
    env = {**os.environ, "PATH": "/usr/bin:/bin", "JUPYTERLAB_SETTINGS_DIR": str(tmp_path / "settings"),
           "JUPYTERLAB_WORKSPACES_DIR": str(tmp_path / "workspaces")}
    log = tmp_path / "lab.log"
    with jupyterlab(course, log, "--instructor", env=env) as (url, token):
        try:
            with urllib.request.urlopen(f"{url}/formgrader/api/assignments?token={token}", timeout=60) as answer:
                assignments = json.load(answer)
        except urllib.error.HTTPError as error:
            pytest.fail(f"the formgrader answered {error.code}:\n{log.read_text()[-3000:]}")
    assert EXERCISE in {a["name"] for a in assignments}
