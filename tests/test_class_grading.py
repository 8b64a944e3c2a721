"""A generated class graded by `python -m graders autograde`, checked against plain nbgrader.

Ten students hand in exercise 1 in every way tests/sample_class.py knows (reference, partial,
over-specified, untouched, a syntax error, a test that relies on another, a deleted grade cell,
copies, a test that never ends). The class is graded three ways, each in a course directory of
its own: plain `nbgrader autograde` (a kernel per submission), `graders autograde` with its
local pool, and `graders autograde --scheduler local` on a Dask LocalCluster of two workers.
All three must give every student the same grade. Then the class report is read back.
"""
from __future__ import annotations

import csv
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from nbgrader.api import Gradebook

from graders.build import ROOT, tools_path
from graders.handout import leaks
from sample_class import make_class

EXERCISE = "ex01_testclient"
STUDENTS = 10


def run(command: list[str], cwd: Path) -> subprocess.CompletedProcess:
    env = dict(os.environ, PATH=tools_path())
    result = subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True, timeout=1200)
    assert result.returncode == 0, f"{command} failed:\n{result.stdout}\n{result.stderr}"
    return result


def grades(course: Path) -> dict[str, float]:
    with Gradebook(f"sqlite:///{course / 'gradebook.db'}", "fastapi-testing") as gradebook:
        return {s.student.id: s.score for s in gradebook.assignment_submissions(EXERCISE)}


@pytest.fixture(scope="module")
def classes(tmp_path_factory):
    base = tmp_path_factory.mktemp("class")
    kinds = make_class(base / "template", STUDENTS, [EXERCISE])
    graded = {}
    for way, command in {
        "nbgrader": ["nbgrader", "autograde", EXERCISE],
        "graders": [sys.executable, "-m", "graders", "autograde"],
        "dask": [sys.executable, "-m", "graders", "autograde", EXERCISE, "--scheduler", "local", "--jobs", "2"],
    }.items():
        course = base / way
        shutil.copytree(base / "template", course)
        if way == "nbgrader":  # plain nbgrader knows only assignments generate_assignment made
            run(["nbgrader", "generate_assignment", EXERCISE, "--force"], course)
        graded[way] = (course, run(command, course))
    return kinds, graded


def test_the_class_gets_the_grades_plain_nbgrader_gives(classes):
    kinds, graded = classes
    expected = grades(graded["nbgrader"][0])
    assert len(expected) == STUDENTS
    assert grades(graded["graders"][0]) == expected
    by_kind = {kinds[student, EXERCISE]: score for student, score in expected.items()}
    assert by_kind["reference"] == by_kind["reference-copy"] == by_kind["no-grade-cell"] == 10.0
    assert 0 < by_kind["partial"] < 10.0
    for kind in ("overspecified", "untouched", "syntax-error", "depends-on-another", "hangs"):
        assert by_kind[kind] == 0.0, kind


def test_a_dask_cluster_of_two_workers_gives_the_same_grades(classes):
    _, graded = classes
    course, result = graded["dask"]
    assert "Dask cluster" in result.stderr and "(2 workers)" in result.stderr
    assert grades(course) == grades(graded["nbgrader"][0])


def test_the_progress_bar_counts_the_class(classes):
    _, graded = classes
    log = graded["graders"][1].stderr
    assert f"{STUDENTS}/{STUDENTS}" in log and f"{STUDENTS} graded" in log
    assert "WARNING" not in log and "Warning" not in log


def test_the_class_report_is_read_from_the_stored_reports(classes, tmp_path):
    kinds, graded = classes
    course = graded["graders"][0]
    run([sys.executable, "-m", "graders", "report", "--output", str(tmp_path / "report")], course)
    page = (tmp_path / "report" / "index.html").read_text()
    assert page.count("<svg") >= 2  # the score distribution and the heatmap
    with open(tmp_path / "report" / "problems.csv") as f:
        problems = {r["student"]: r["problem"] for r in csv.DictReader(f)}
    student = {kind: s for (s, _), kind in kinds.items()}
    assert problems[student["untouched"]] == "untouched"
    assert problems[student["syntax-error"]] == "does not collect"
    with open(tmp_path / "report" / "invalid_reasons.csv") as f:
        reasons = {r["reason"]: int(r["students"]) for r in csv.DictReader(f)}
    assert reasons["overspecified"] >= 1 and reasons["depends"] >= 1 and reasons["hangs"] >= 1
    with open(tmp_path / "report" / "defects.csv") as f:
        missed = [int(r["missed"]) for r in csv.DictReader(f)]
    assert missed == sorted(missed, reverse=True) and missed[0] > 0  # most missed first
    with open(tmp_path / "report" / f"heatmap_{EXERCISE}.csv") as f:
        assert len(list(csv.DictReader(f))) == STUDENTS


def test_the_learners_copy_has_no_solutions(tmp_path):
    copy = tmp_path / "handout"
    run([sys.executable, "-m", "graders", "handout", str(copy)], tmp_path)
    assert not (copy / "solutions").exists() and not (copy / "tests").exists()
    assert (copy / "START.ipynb").is_file() and (copy / "forge" / "main.py").is_file()
    assert sorted(p.name for p in (copy / "exercises").iterdir()) == sorted(p.name for p in (ROOT / "exercises").iterdir())
    assert leaks(copy) == []
    planted = copy / "course" / "leak.md"
    planted.write_text("### BEGIN SOLUTION\n")
    assert leaks(copy) == ["course/leak.md: contains '### BEGIN SOLUTION'"]


def test_without_a_sandbox_class_grading_refuses_unless_told_to_go_on(tmp_path):
    make_class(tmp_path, 1, [EXERCISE], ["reference"])
    env = dict(os.environ, PATH=tools_path(), GRADERS_SANDBOX="none")
    env.pop("GRADERS_ALLOW_UNPROTECTED", None)
    refused = subprocess.run([sys.executable, "-m", "graders", "autograde"], cwd=tmp_path, env=env,
                             capture_output=True, text=True, timeout=120)
    assert refused.returncode == 2 and "cannot contain learner code" in refused.stderr
    assert not (tmp_path / "autograded").exists()
