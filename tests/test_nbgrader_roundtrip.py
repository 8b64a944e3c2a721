"""A real nbgrader round trip for exercise 1, the way an instructor grades a class.

In a temporary course directory: `nbgrader generate_assignment` from the committed source
notebook, four submissions made from the release notebook (only the answer cell changed), one
`nbgrader autograde` run for all of them, then the scores read back from the gradebook. Nothing
is mocked: the hidden grade cell runs `graders.notebook.score` in a real kernel, which reads the
learner's `%%ipytest` cell from the kernel's history and grades it in a child process.

It is slow (every submission starts a kernel and runs the grader), so the round trip runs once
per module and the tests only look at what it left behind.
"""
from __future__ import annotations

import re
import shutil
import time
from dataclasses import dataclass, field
from pathlib import Path

import nbformat
import pytest
from nbgrader.api import Gradebook, MissingEntry

from graders.build import ROOT, BuildError, nbgrader
from graders.exercises import get_exercise
from graders.feedback import REPORT_MIME
from graders.grading import Report, grade
from graders.suites import ANSWER_CELL, MAGIC, to_module

EXERCISE = "ex01_testclient"
GRADE_CELL = "autograder"  # the hidden grade cell: graders.notebook.score(EXERCISE, points=POINTS)
POINTS = 10.0
NOTEBOOK = f"{EXERCISE}.ipynb"
SOLUTION_MARKERS = ("### BEGIN SOLUTION", "### END SOLUTION")
SUMMARY = re.compile(r"Caught (\d+) of (\d+) planted defects")

# Checks health and that POST answers 201, nothing else: valid, but misses most defects.
WEAK = f"""{MAGIC}
import pytest
from fastapi.testclient import TestClient

from forge.main import create_app


@pytest.fixture
def client():
    with TestClient(create_app()) as client:
        yield client


def test_health_is_ok(client):
    response = client.get("/forge/health")
    assert response.status_code == 200
    assert response.json()["status"] == "ok"


def test_creating_an_item_answers_201(client):
    response = client.post("/forge/items", json={{"name": "chisel", "price": 9.5}})
    assert response.status_code == 201
"""

# Good tests plus one that passes on the real app but over-specifies (the first item has id 1,
# the list is in id order): it fails on the correct variants, so the whole suite scores 0.
WRONG = f"""{MAGIC}
import pytest
from fastapi.testclient import TestClient

from forge.main import create_app


@pytest.fixture
def client():
    with TestClient(create_app()) as client:
        yield client


def test_health_is_ok(client):
    response = client.get("/forge/health")
    assert response.status_code == 200
    assert response.json()["status"] == "ok"


def test_the_starter_catalogue_in_order(client):
    items = client.get("/forge/items").json()
    assert items[0]["id"] == 1, "the first item has id 1"
    assert [item["name"] for item in items] == ["anvil", "hammer", "tongs"]


def test_creating_an_item_answers_201(client):
    response = client.post("/forge/items", json={{"name": "chisel", "price": 9.5}})
    assert response.status_code == 201


def test_an_unknown_id_is_404(client):
    assert client.get("/forge/items/999999").status_code == 404
"""

# A test that cannot be interrupted: under autograde the kernel must not run it.
HOSTILE = f"""{MAGIC}
import signal

signal.signal(signal.SIGINT, signal.SIG_IGN)


def test_unstoppable():
    while True:
        try:
            pass
        except BaseException:
            pass
"""

# Learner code that would change the grade if the autograder's kernel ran it.
GRADE_ANYWAY = "import graders.notebook\ngraders.notebook.score = lambda *args, **kwargs: 10.0\n"

STUDENTS = ("reference", "weak", "wrong", "untouched")
# Broken submissions, named to be graded before the others: each must cost only its submitter.
# copypasted: the reference answer with the hidden grade cell pasted twice (nbgrader #1083);
# deleted: the reference answer with the grade cell deleted; hostile: an unstoppable test;
# broken: not JSON at all; cheater: no tests, and cells of its own (one posing as an exercise
# cell) that replace the grader in the kernel; rewired: an answer cell that is not %%ipytest
# but plain code that does the same.
BROKEN = ("broken", "cheater", "copypasted", "deleted", "hostile", "rewired")


@dataclass
class RoundTrip:
    course: Path
    answers: dict[str, str | None]  # student -> answer cell source (None: release left as is)
    weak_report: Report  # what the grader's Python API says about WEAK
    scores: dict[str, float | None] = field(default_factory=dict)  # from the gradebook
    max_scores: dict[str, float | None] = field(default_factory=dict)
    manual: dict[str, bool] = field(default_factory=dict)  # needs_manual_grade
    autograded: dict[str, nbformat.NotebookNode] = field(default_factory=dict)
    seconds: dict[str, float] = field(default_factory=dict)
    autograde_error: str = ""

    @property
    def weak_expected(self) -> float:
        # graders.notebook.score returns round(points * share, 2).
        return round(self.weak_report.score * POINTS, 2)


# --- helpers -----------------------------------------------------------------------------------

def grade_id(cell) -> str | None:
    return (cell.get("metadata", {}).get("nbgrader") or {}).get("grade_id")


def cell_with_id(notebook, wanted: str):
    cells = [cell for cell in notebook.cells if grade_id(cell) == wanted]
    assert len(cells) == 1, f"expected one cell with grade_id {wanted!r}, found {len(cells)}"
    return cells[0]


def reference_answer(source_notebook: Path) -> str:
    """The source notebook's answer cell with the solution markers dropped (imports kept)."""
    cell = cell_with_id(nbformat.read(source_notebook, as_version=4), ANSWER_CELL)
    lines = cell.source.splitlines()
    for marker in SOLUTION_MARKERS:
        assert sum(line.strip() == marker for line in lines) == 1, \
            f"{source_notebook}: the answer cell should have exactly one {marker!r}"
    return "\n".join(line for line in lines if line.strip() not in SOLUTION_MARKERS) + "\n"


def submit(course: Path, release: nbformat.NotebookNode, student: str, answer: str | None) -> None:
    notebook = nbformat.from_dict(release)  # a deep copy
    if answer is not None:
        cell_with_id(notebook, ANSWER_CELL).source = answer
    target = course / "submitted" / student / EXERCISE / NOTEBOOK
    target.parent.mkdir(parents=True)
    nbformat.write(notebook, target)  # no timestamp.txt: nbgrader 0.9.6 treats it as optional


def text_of(output) -> str:
    if output.output_type == "stream":
        return output.text
    if output.output_type == "error":
        return f"{output.ename}: {output.evalue}"
    return str(output.get("data", {}).get("text/plain", ""))


def problems(cell) -> list[str]:
    """The cell's error outputs and stderr streams, as text."""
    return [f"{o.output_type}{'/' + o.name if o.output_type == 'stream' else ''}: {text_of(o)[:1500]}"
            for o in cell.get("outputs", [])
            if o.output_type == "error" or (o.output_type == "stream" and o.name == "stderr")]


def stdout_of(cell) -> str:
    """What the cell showed as text: what it printed, and the text form of what it displayed."""
    return "".join(o.text if o.output_type == "stream" else o.data.get("text/plain", "")
                   for o in cell.get("outputs", [])
                   if (o.output_type == "stream" and o.name == "stdout") or o.output_type == "display_data")


def report_of(cell) -> dict:
    """The whole report, as data, that the grade cell shows beside the learner's feedback."""
    reports = [o.data[REPORT_MIME] for o in cell.get("outputs", [])
               if o.output_type == "display_data" and REPORT_MIME in o.data]
    assert len(reports) == 1, f"the grade cell should show one report, got {cell.get('outputs')}"
    return reports[0]


def check_cells(notebook) -> list:
    """The cells that call graders.notebook.check (the feedback cell and the hints cell)."""
    return [cell for cell in notebook.cells
            if cell.cell_type == "code" and cell.source.lstrip().startswith("check(")]


# --- the round trip, once per module -------------------------------------------------------------

@pytest.fixture(scope="module")
def roundtrip(tmp_path_factory) -> RoundTrip:
    started = time.perf_counter()
    course = tmp_path_factory.mktemp("course")
    shutil.copy(ROOT / "nbgrader_config.py", course)
    shutil.copytree(ROOT / "solutions" / EXERCISE, course / "solutions" / EXERCISE)
    nbgrader(course, "generate_assignment", EXERCISE, "--force")
    generated = time.perf_counter()

    release = nbformat.read(course / "exercises" / EXERCISE / NOTEBOOK, as_version=4)
    answers = {
        "reference": reference_answer(course / "solutions" / EXERCISE / NOTEBOOK),
        "weak": WEAK,
        "wrong": WRONG,
        "untouched": None,
    }
    for student, answer in answers.items():
        submit(course, release, student, answer)
    submit(course, release, "hostile", HOSTILE)
    submit(course, release, "rewired", GRADE_ANYWAY)
    submit(course, release, "cheater", None)
    path = course / "submitted" / "cheater" / EXERCISE / NOTEBOOK
    notebook = nbformat.read(path, as_version=4)
    at = notebook.cells.index(cell_with_id(notebook, GRADE_CELL))
    plain = nbformat.v4.new_code_cell(GRADE_ANYWAY)
    posing = nbformat.v4.new_code_cell(GRADE_ANYWAY, metadata={"nbgrader": {
        "grade": False, "grade_id": "helper", "locked": True, "schema_version": 3, "solution": False, "task": False}})
    notebook.cells[at:at] = [plain, posing]
    nbformat.write(notebook, path)
    for student, change in (("copypasted", "paste"), ("deleted", "delete")):
        submit(course, release, student, answers["reference"])
        path = course / "submitted" / student / EXERCISE / NOTEBOOK
        notebook = nbformat.read(path, as_version=4)
        grade_cell = cell_with_id(notebook, GRADE_CELL)
        index = notebook.cells.index(grade_cell)
        if change == "paste":
            copy = nbformat.from_dict(grade_cell)
            copy.id = "pasted-copy"
            notebook.cells.insert(index + 1, copy)
        else:
            del notebook.cells[index]
        nbformat.write(notebook, path)
    broken = course / "submitted" / "broken" / EXERCISE / NOTEBOOK
    broken.parent.mkdir(parents=True)
    broken.write_text('{"cells": [')

    # What the weak suite deserves, from the grader's Python API on the same text the kernel
    # hands to the grader (graders.suites.from_history -> to_module).
    weak_report = grade(get_exercise(EXERCISE), to_module(WEAK, where="weak"))
    expected = time.perf_counter()

    # Every student in one run, as an instructor would. nbgrader exits non-zero because the
    # broken notebook cannot be read; everyone else must be graded all the same.
    try:
        nbgrader(course, "autograde", EXERCISE)
    except BuildError as error:
        trip_error = str(error)
    else:
        trip_error = ""
    autograded = time.perf_counter()

    trip = RoundTrip(course, answers, weak_report, autograde_error=trip_error)
    with Gradebook(f"sqlite:///{course / 'gradebook.db'}") as gb:
        for student in (*STUDENTS, *BROKEN):
            try:
                submission = gb.find_submission(EXERCISE, student)
            except MissingEntry:
                continue
            trip.scores[student] = submission.score
            trip.max_scores[student] = submission.max_score
            trip.manual[student] = submission.needs_manual_grade
    for student in (*STUDENTS, *BROKEN):
        path = course / "autograded" / student / EXERCISE / NOTEBOOK
        if path.is_file():
            trip.autograded[student] = nbformat.read(path, as_version=4)
    trip.seconds = {
        "generate_assignment": generated - started,
        "expected weak score (grader API)": expected - generated,
        "autograde (all students)": autograded - expected,
        "total": time.perf_counter() - started,
    }
    return trip


# --- scores in the gradebook ---------------------------------------------------------------------

def test_every_readable_submission_was_autograded(roundtrip):
    missing = [s for s in (*STUDENTS, *BROKEN) if s != "broken" and s not in roundtrip.autograded]
    assert not missing, f"no autograded notebook for {missing} in {roundtrip.course / 'autograded'}"
    readable = {s: points for s, points in roundtrip.max_scores.items() if s != "broken"}
    assert readable == dict.fromkeys([*STUDENTS, *BROKEN[1:]], POINTS), \
        f"every submission should be out of {POINTS} points: {roundtrip.max_scores}"
    assert not any(manual for s, manual in roundtrip.manual.items() if s != "broken"), \
        f"nothing should be left for manual grading (a lost grade cell is flagged): {roundtrip.manual}"


def test_reference_solution_gets_full_marks(roundtrip):
    assert roundtrip.scores["reference"] == POINTS, \
        f"the reference solution scored {roundtrip.scores['reference']}/{POINTS} in the gradebook"


def test_weak_suite_gets_the_partial_credit_the_grader_gives_it(roundtrip):
    expected = roundtrip.weak_expected
    assert 0 < expected < POINTS, (
        f"the weak suite should deserve partial credit, but the grader's API gives "
        f"{roundtrip.weak_report.score} (valid={roundtrip.weak_report.valid}, "
        f"errors={roundtrip.weak_report.errors})")
    assert roundtrip.scores["weak"] == pytest.approx(expected, abs=1e-6), (
        f"the weak suite scored {roundtrip.scores['weak']} in the gradebook; the grader's API "
        f"says it deserves {expected} ({roundtrip.weak_report.caught} of "
        f"{len(roundtrip.weak_report.defects)} defects caught)")


def test_suite_with_an_invalid_test_gets_zero(roundtrip):
    assert roundtrip.scores["wrong"] == 0, \
        f"a suite with a test that fails on a correct app scored {roundtrip.scores['wrong']}, not 0"


def test_untouched_notebook_gets_zero(roundtrip):
    assert roundtrip.scores["untouched"] == 0, \
        f"the unchanged release notebook scored {roundtrip.scores['untouched']}, not 0"


# --- what the grade cell did in the kernel ------------------------------------------------------

@pytest.mark.parametrize("student", STUDENTS)
def test_grade_cell_is_clean_and_its_value_is_the_score(roundtrip, student):
    notebook = roundtrip.autograded.get(student)
    assert notebook is not None, f"{student}: no autograded notebook"
    cell = cell_with_id(notebook, GRADE_CELL)
    assert "graders.notebook import score" in cell.source, \
        f"{student}: the hidden grade cell was not restored from the gradebook:\n{cell.source}"
    bad = problems(cell)
    assert not bad, f"{student}: the grade cell wrote to stderr or raised (nbgrader gives 0):\n" \
                    + "\n".join(bad)
    results = [o for o in cell.outputs if o.output_type == "execute_result"]
    assert len(results) == 1, f"{student}: the grade cell should have one result, got {cell.outputs}"
    value = results[0].data["text/plain"]
    try:
        number = float(value)
    except ValueError:
        pytest.fail(f"{student}: the grade cell's value {value!r} is not a number "
                    "(nbgrader would give full marks)")
    assert 0 <= number <= POINTS, f"{student}: the grade cell's value {number} is outside 0..{POINTS}"
    assert number == pytest.approx(roundtrip.scores[student], abs=1e-6), \
        f"{student}: the grade cell says {number}, the gradebook {roundtrip.scores[student]}"


@pytest.mark.parametrize("student", STUDENTS)
def test_grade_cell_graded_the_answer_cell_from_history(roundtrip, student):
    """The summary line the grade cell prints tells what it read from the kernel's history."""
    notebook = roundtrip.autograded.get(student)
    assert notebook is not None, f"{student}: no autograded notebook"
    printed = stdout_of(cell_with_id(notebook, GRADE_CELL))
    assert "Could not grade" not in printed, f"{student}: the grade cell could not grade: {printed}"
    report = report_of(cell_with_id(notebook, GRADE_CELL))
    summary = SUMMARY.search(printed)
    assert summary, f"{student}: the grade cell printed no summary: {printed!r}"
    caught, total = map(int, summary.groups())
    defects = len(get_exercise(EXERCISE).chaffs)
    assert total == defects, f"{student}: {total} defects graded, the exercise has {defects}"
    if student == "reference":
        assert caught == total and report["valid"], f"reference: {printed!r}"
    elif student == "weak":
        assert caught == roundtrip.weak_report.caught and report["valid"], \
            f"weak: the kernel's grader says {printed!r}, the API caught {roundtrip.weak_report.caught}"
    else:  # wrong: good tests that catch defects, but one invalid test; untouched: no tests
        assert not report["valid"], f"{student}: the suite should be reported invalid: {printed!r}"
        if student == "wrong":
            assert caught > 0, f"wrong: its valid tests should still catch defects: {printed!r}"


@pytest.mark.parametrize("student", STUDENTS)
def test_helper_cells_raise_nothing_and_write_nothing_to_stderr(roundtrip, student):
    """The set-up cell and the `check(...)` cells: nothing of ours may fail or warn."""
    notebook = roundtrip.autograded.get(student)
    assert notebook is not None, f"{student}: no autograded notebook"
    cells = [cell_with_id(notebook, "setup"), *check_cells(notebook)]
    assert len(cells) >= 2, f"{student}: expected the setup cell and at least one check() cell"
    for cell in cells:
        bad = problems(cell)
        assert not bad, f"{student}: cell {cell.source!r} wrote to stderr or raised:\n" + "\n".join(bad)
        assert "Could not grade" not in stdout_of(cell), \
            f"{student}: {cell.source!r} could not grade: {stdout_of(cell)!r}"


@pytest.mark.parametrize("student", ["reference", "weak", "wrong"])
def test_answer_cell_is_kept_and_runs_clean(roundtrip, student):
    """The learner's %%ipytest cell is submitted as written and, whether the kernel runs its
    tests or only notes that the grader does, it shows no error, stderr or pytest warnings."""
    notebook = roundtrip.autograded.get(student)
    assert notebook is not None, f"{student}: no autograded notebook"
    cell = cell_with_id(notebook, ANSWER_CELL)
    assert cell.source == roundtrip.answers[student], f"{student}: the answer cell was not kept"
    bad = problems(cell)
    assert not bad, f"{student}: the answer cell wrote to stderr or raised:\n" + "\n".join(bad)
    out = stdout_of(cell)
    assert "warnings summary" not in out, f"{student}: pytest reported warnings:\n{out}"
    assert "failed" not in out and " error" not in out, \
        f"{student}: its tests all pass on the real app, yet the cell reports failures:\n{out}"


def test_broken_submissions_cost_only_their_submitters(roundtrip):
    # Graded before everyone else, and everyone else's scores are checked above.
    assert "broken" not in roundtrip.autograded and "broken" in roundtrip.autograde_error
    assert roundtrip.scores["copypasted"] == POINTS, "a pasted copy of the grade cell counts once"
    assert roundtrip.scores["deleted"] == POINTS, "a deleted grade cell comes back and is graded"
    assert roundtrip.scores["hostile"] == 0, "an unstoppable test is invalid"
    hostile_answer = cell_with_id(roundtrip.autograded["hostile"], ANSWER_CELL)
    assert "Not run here" in stdout_of(hostile_answer), "the kernel must not run learner tests"


def test_only_the_exercises_own_cells_run_in_the_autograders_kernel(roundtrip):
    # Code of the learner's own, in a cell of its own or in place of the tests, is not run:
    # replacing the grader in the kernel earns nothing.
    assert roundtrip.scores["cheater"] == 0 and roundtrip.scores["rewired"] == 0, roundtrip.scores
    cheater = roundtrip.autograded["cheater"]
    assert not any(GRADE_ANYWAY in cell.source for cell in cheater.cells if cell.cell_type == "code")
    rewired = cell_with_id(roundtrip.autograded["rewired"], ANSWER_CELL)
    assert rewired.source.startswith(MAGIC) and "Not run here" in stdout_of(rewired)


def test_autograde_refuses_where_learner_code_cannot_be_contained(roundtrip, monkeypatch):
    student = "unprotected"
    submit(roundtrip.course, nbformat.read(roundtrip.course / "exercises" / EXERCISE / NOTEBOOK, as_version=4),
           student, roundtrip.answers["reference"])
    monkeypatch.setenv("GRADERS_SANDBOX", "none")
    monkeypatch.delenv("GRADERS_ALLOW_UNPROTECTED", raising=False)
    with pytest.raises(BuildError, match="cannot contain learner code"):
        nbgrader(roundtrip.course, "autograde", EXERCISE, "--student", student)
    assert not (roundtrip.course / "autograded" / student).exists()
    monkeypatch.setenv("GRADERS_ALLOW_UNPROTECTED", "1")  # the instructor opts in
    nbgrader(roundtrip.course, "autograde", EXERCISE, "--student", student, "--force")
    with Gradebook(f"sqlite:///{roundtrip.course / 'gradebook.db'}") as gb:
        assert gb.find_submission(EXERCISE, student).score == POINTS
