"""A generated class, for the class-grading tests and benchmarks/class_grading.py.

`make_class(course, students, exercises)` lays out an nbgrader course directory (the course's
configuration, the instructors' source notebooks) and one submission per student and exercise,
each made from the released notebook with only the answer cell changed, the way learners
work. Students take the kinds below in turn, so a class of ten meets every kind once.
"""
from __future__ import annotations

import ast
import shutil
from pathlib import Path

import nbformat

from graders.build import ROOT
from graders.suites import ANSWER_CELL, MAGIC, from_path

HERE = Path(__file__).resolve().parent


def reference(exercise: str) -> str:
    return from_path(ROOT / "solutions" / exercise / f"{exercise}.ipynb")


def partial(exercise: str) -> str:
    """The reference with every other test left out: valid, and misses some defects."""
    tree = ast.parse(reference(exercise))
    tests = [n for n in tree.body if isinstance(n, ast.FunctionDef) and n.name.startswith("test_")]
    dropped = {id(n) for n in tests[1::2]}
    tree.body = [n for n in tree.body if id(n) not in dropped]
    return ast.unparse(tree) + "\n"


def overspecified(exercise: str) -> str:
    """The reference, plus the tests that pin what the instructions leave free: invalid. The
    pinning tests' own fixtures and helpers that the reference also defines are renamed, so
    that the reference's tests stay what they were (valid)."""
    base = reference(exercise)
    extra = ast.parse((HERE / "overspecified" / f"{exercise}.py").read_text())
    clashes = _definitions(ast.parse(base)) & _definitions(extra)
    renamed = {ast.Name: "id", ast.arg: "arg", ast.FunctionDef: "name", ast.ClassDef: "name"}
    for node in ast.walk(extra):  # names, parameters (fixtures are asked for by name), definitions
        attribute = renamed.get(type(node))
        if attribute and getattr(node, attribute) in clashes:
            setattr(node, attribute, "pinned_" + getattr(node, attribute))
    return base + "\n\n" + ast.unparse(extra) + "\n"


def _definitions(tree: ast.Module) -> set[str]:
    """The names of the module's top-level functions, classes and variables."""
    found = set()
    for node in tree.body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            found.add(node.name)
        elif isinstance(node, ast.Assign):
            found.update(t.id for t in node.targets if isinstance(t, ast.Name))
    return found


def depends_on_another(exercise: str) -> str:
    return reference(exercise) + '''

SEEN = []


def test_zz_first_records():
    SEEN.append(1)
    assert SEEN


def test_zz_second_needs_the_first():
    assert SEEN == [1]
'''


def hangs(exercise: str) -> str:
    return reference(exercise) + '''

def test_never_ends():
    while True:
        pass
'''


SYNTAX_ERROR = "def test_broken(:\n    assert True\n"
UNTOUCHED = None  # the released answer cell as it is

# kind -> the answer cell's suite (None: untouched), or "no-grade-cell": the reference with
# the hidden grade cell deleted.
KINDS = {
    "reference": reference,
    "partial": partial,
    "overspecified": overspecified,
    "untouched": lambda exercise: UNTOUCHED,
    "syntax-error": lambda exercise: SYNTAX_ERROR,
    "depends-on-another": depends_on_another,
    "no-grade-cell": reference,
    "reference-copy": reference,
    "partial-copy": partial,
    "hangs": hangs,
}


def make_course(course: Path, exercises: list[str]) -> None:
    course.mkdir(parents=True, exist_ok=True)
    shutil.copy(ROOT / "nbgrader_config.py", course)
    for exercise in exercises:
        shutil.copytree(ROOT / "solutions" / exercise, course / "solutions" / exercise, dirs_exist_ok=True)


def submit(course: Path, student: str, exercise: str, kind: str) -> Path:
    notebook = nbformat.read(ROOT / "exercises" / exercise / f"{exercise}.ipynb", as_version=4)
    suite = KINDS[kind](exercise)
    for cell in notebook.cells:
        if suite is not None and (cell.metadata.get("nbgrader") or {}).get("grade_id") == ANSWER_CELL:
            cell.source = f"{MAGIC}\n{suite}"
    if kind == "no-grade-cell":
        notebook.cells = [c for c in notebook.cells if (c.metadata.get("nbgrader") or {}).get("grade_id") != "autograder"]
    path = course / "submitted" / student / exercise / f"{exercise}.ipynb"
    path.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(notebook, path)
    (path.parent / "timestamp.txt").write_text("2026-12-01 10:00:00.000000 UTC")
    return path


def make_class(course: Path, students: int, exercises: list[str], kinds: list[str] | None = None) -> dict:
    """Submissions of `students` students to each exercise: {(student, exercise): kind}."""
    kinds = kinds or list(KINDS)
    make_course(course, exercises)
    made = {}
    for number in range(students):
        student = f"student{number + 1:03d}"
        for offset, exercise in enumerate(exercises):
            kind = kinds[(number + offset) % len(kinds)]
            submit(course, student, exercise, kind)
            made[student, exercise] = kind
    return made
