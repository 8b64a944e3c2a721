"""Build the course's notebooks from their jupytext sources, and the learners' release.

    notebooks/start.py          -> START.ipynb            (the course map, built from the lessons
                                                           and the exercises' data)
    notebooks/lessons/NAME.py   -> course/NAME.ipynb      (+ a link to its exercises)
    notebooks/solutions/ID.py   -> solutions/ID/ID.ipynb  (nbgrader source; + links to its lesson
                                                           and to what comes next)
    solutions/ID/ID.ipynb       -> exercises/ID/ID.ipynb  (nbgrader generate_assignment)

The .py files are the only thing to edit; the notebooks are build outputs, committed without
outputs. `--check` rebuilds into a temporary directory and reports every notebook that differs
from what is committed.
"""
from __future__ import annotations

import filecmp
import os
import re
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

import jupytext
import nbformat

ROOT = Path(__file__).resolve().parent.parent
LESSON_SOURCES = "notebooks/lessons"
SOLUTION_SOURCES = "notebooks/solutions"
START_SOURCE = "notebooks/start.py"
START_PAGE = "START.ipynb"
COURSE_MAP = "COURSE MAP"  # the start page's cell that the course map replaces
OUTPUT_DIRS = ("course", "solutions", "exercises")
WORDS_A_MINUTE = 130  # reading prose and code, and running the cells
MINUTES_A_DEFECT = 5  # an exercise: about five minutes for each planted defect to catch
# A lesson's optional depth: a section whose heading starts with this (e.g. "## Deep dive: the
# event loop") runs to the next heading of its level or above. The main path skips it, and
# JupyterLab opens it folded.
DEEP_DIVE = "Deep dive"


class BuildError(RuntimeError):
    pass


def to_notebook(source: Path, target: Path, first: list | None = None, last: list | None = None,
                map_cell: str | None = None) -> None:
    """A jupytext source as a notebook, with cells added before and after (navigation) and the
    course map put in its place."""
    notebook = jupytext.read(source, fmt="py:percent")
    notebook.metadata.pop("jupytext", None)
    if map_cell is not None:
        for cell in notebook.cells:
            if cell.source.strip() == COURSE_MAP:
                cell.source = map_cell
    cells = []
    for cell in (first or []) + notebook.cells + (last or []):
        cells.append(cell)
        if cell.cell_type == "markdown" and _heading(cell.source)[1]:
            cell.metadata["jp-MarkdownHeadingCollapsed"] = True  # JupyterLab opens it folded
            # Folding hides the cells after a heading, not the heading cell's own text: the
            # heading gets a cell of its own, its text the next one.
            heading, _, body = cell.source.lstrip().partition("\n")
            if body.strip():
                cell.source = heading
                cells.append(nbformat.v4.new_markdown_cell(body.strip("\n")))
    notebook.cells = cells
    for number, cell in enumerate(notebook.cells):
        cell.id = f"cell-{number:02d}"  # stable ids: rebuilding changes nothing
    target.parent.mkdir(parents=True, exist_ok=True)
    nbformat.validate(notebook)
    nbformat.write(notebook, target)


def _heading(source: str) -> tuple[int, bool]:
    """A markdown cell's heading level (0 if it does not start with one) and whether it opens
    a deep dive."""
    first = source.lstrip().split("\n", 1)[0]
    level = len(first) - len(first.lstrip("#"))
    if not level or not first[level:].startswith(" "):
        return 0, False
    title = re.sub(r"^\d+\.\s*", "", first[level:].strip())  # "## 7. Deep dive: ..." too
    return level, title.startswith(DEEP_DIVE)


def deep_dive_cells(cells) -> set[int]:
    """The indices of the cells that belong to deep dives: from a deep-dive heading to the next
    heading of the same level or above."""
    inside: set[int] = set()
    dive_level = 0
    for index, cell in enumerate(cells):
        level, opens = _heading(cell.source) if cell.cell_type == "markdown" else (0, False)
        if level and dive_level and level <= dive_level:
            dive_level = 0
        if opens and not dive_level:
            dive_level = level
        if dive_level:
            inside.add(index)
    return inside


def main_path(notebook: nbformat.NotebookNode) -> nbformat.NotebookNode:
    """The notebook without its deep dives: what a learner in a hurry reads and runs."""
    short = nbformat.from_dict(notebook)
    skipped = deep_dive_cells(notebook.cells)
    short.cells = [cell for index, cell in enumerate(notebook.cells) if index not in skipped]
    return short


def reading_minutes(cells) -> int:
    words = sum(len(cell.source.split()) for cell in cells)
    return 5 * round(words / WORDS_A_MINUTE / 5)


@dataclass
class Lesson:
    stem: str
    title: str  # "Lesson 1 · TestClient: ..."
    minutes: int  # the main path
    deep_minutes: int  # the deep dives
    exercises: list  # graders.exercises.Exercise, in id order

    @property
    def path(self) -> str:
        return f"course/{self.stem}.ipynb"


def lessons() -> list[Lesson]:
    """The course in order: each lesson with its title, a rough time and its exercises."""
    from graders.exercises import all_exercises

    found = []
    for source in sorted((ROOT / LESSON_SOURCES).glob("*.py")):
        notebook = jupytext.read(source, fmt="py:percent")
        text = source.read_text()
        title = next((line[4:].strip() for line in text.splitlines() if line.startswith("# # ")), source.stem)
        dives = deep_dive_cells(notebook.cells)
        minutes = max(10, reading_minutes(c for i, c in enumerate(notebook.cells) if i not in dives))
        deep = reading_minutes(c for i, c in enumerate(notebook.cells) if i in dives)
        lesson = Lesson(source.stem, title, minutes, deep, [])
        lesson.exercises = sorted((e for e in all_exercises().values() if e.lesson == lesson.path),
                                  key=lambda e: e.id)
        found.append(lesson)
    return found


def exercise_path(exercise) -> str:
    return f"exercises/{exercise.id}/{exercise.id}.ipynb"


def course_map(course: list[Lesson]) -> str:
    rows = ["## The course map", "",
            "Times are rough: a lesson at about %d words a minute, an exercise at about %d minutes "
            "for each planted defect. A lesson's main path comes first; its *deep dives* "
            "(folded, marked \u201cDeep dive\u201d) are optional, for now or for later."
            % (WORDS_A_MINUTE, MINUTES_A_DEFECT), "",
            "| | lesson | time | exercise | time |", "| --- | --- | --- | --- | --- |"]
    for number, lesson in enumerate(course, start=1):
        name = lesson.title.split(" · ", 1)[-1]
        exercises = "<br>".join(f"[{e.title}]({exercise_path(e)})" for e in lesson.exercises) or "none"
        times = "<br>".join(f"{MINUTES_A_DEFECT * len(e.chaffs)} min" for e in lesson.exercises)
        time = f"{lesson.minutes} min" + (f" (+{lesson.deep_minutes} deep dives)" if lesson.deep_minutes else "")
        rows.append(f"| {number} | [{name}]({lesson.path}) | {time} | {exercises} | {times} |")
    total = sum(lesson.minutes for lesson in course) + sum(
        MINUTES_A_DEFECT * len(e.chaffs) for lesson in course for e in lesson.exercises)
    rows += ["", f"In all about {round(total / 60)} hours. Take them in order: each exercise builds on "
                 "its lesson, and later lessons build on earlier ones."]
    return "\n".join(rows)


def _nav(source: str, grade_id: str | None = None) -> nbformat.NotebookNode:
    """A navigation cell; in an exercise, locked like the instructions (nbgrader)."""
    cell = nbformat.v4.new_markdown_cell(source)
    if grade_id:
        cell.metadata["nbgrader"] = {"grade": False, "grade_id": grade_id, "locked": True,
                                     "schema_version": 3, "solution": False, "task": False}
    return cell


def navigation(course: list[Lesson]) -> dict[str, tuple[list, list]]:
    """Source stem -> (cells before, cells after): every lesson ends with its exercises, every
    exercise starts with its lesson and ends with what comes next (the lesson's next exercise,
    or the next lesson, or the course map)."""
    nav: dict[str, tuple[list, list]] = {}
    up = "../../"  # exercises/ID/ID.ipynb and solutions/ID/ID.ipynb alike
    for number, lesson in enumerate(course):
        links = " · ".join(f"[Exercise: {e.title}](../{exercise_path(e)})" for e in lesson.exercises)
        nav[lesson.stem] = ([], [_nav(f"---\n**Your turn:** {links or 'this lesson has no exercise'} · "
                                      f"[course map](../{START_PAGE})")])
        following = [(f"Exercise: {e.title}", exercise_path(e)) for e in lesson.exercises]
        if number + 1 < len(course):
            following.append((course[number + 1].title, course[number + 1].path))
        following.append(("the course map", START_PAGE))
        for index, exercise in enumerate(lesson.exercises):
            title, path = following[index + 1]
            top = _nav(f"[← {lesson.title}]({up}{lesson.path}) · [course map]({up}{START_PAGE})", "nav-lesson")
            bottom = _nav(f"---\n**Next:** [{title}]({up}{path}) · [course map]({up}{START_PAGE})", "nav-next")
            nav[exercise.id] = ([top], [bottom])
    return nav


def build(target: Path, only: set[str] | None = None) -> list[Path]:
    """Write every generated notebook under `target` (or those whose source stems are in
    `only`); return their paths relative to `target`."""
    built: list[Path] = []
    course = lessons()
    nav = navigation(course)

    def chosen(directory: str) -> list[Path]:
        return [p for p in sorted((ROOT / directory).glob("*.py")) if not only or p.stem in only]

    if not only or "start" in only:
        to_notebook(ROOT / START_SOURCE, target / START_PAGE, map_cell=course_map(course))
        built.append(Path(START_PAGE))
    for source in chosen(LESSON_SOURCES):
        out = Path("course") / f"{source.stem}.ipynb"
        to_notebook(source, target / out, *nav.get(source.stem, ([], [])))
        built.append(out)
    exercises = chosen(SOLUTION_SOURCES)
    for source in exercises:
        out = Path("solutions") / source.stem / f"{source.stem}.ipynb"
        to_notebook(source, target / out, *nav.get(source.stem, ([], [])))
        built.append(out)
    with tempfile.TemporaryDirectory(prefix="nbgrader-build-") as course_dir:
        course_dir = Path(course_dir)
        shutil.copy(ROOT / "nbgrader_config.py", course_dir)
        for source in exercises:
            shutil.copytree(target / "solutions" / source.stem, course_dir / "solutions" / source.stem)
            nbgrader(course_dir, "generate_assignment", source.stem, "--force")
            out = Path("exercises") / source.stem / f"{source.stem}.ipynb"
            (target / out).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy(course_dir / out, target / out)
            built.append(out)
    return built


def tools_path() -> str:
    """PATH with this environment's tools first: nbgrader runs `alembic` and `jupyter` by
    name, and must find them even without an activated venv."""
    return os.pathsep.join([str(Path(sys.executable).parent), os.environ.get("PATH", os.defpath)])


def nbgrader(course: Path, *args: str) -> subprocess.CompletedProcess:
    """Run an nbgrader command in `course` with this environment's tools on PATH."""
    env = dict(os.environ, PATH=tools_path())
    result = subprocess.run([sys.executable, "-m", "nbgrader", *args, "--log-level=ERROR"],
                            cwd=course, capture_output=True, text=True, env=env)
    if result.returncode != 0:
        raise BuildError(f"nbgrader {' '.join(args)} failed:\n{result.stderr}")
    return result


def stale(root: Path = ROOT) -> list[str]:
    """What is out of date under `root`: one line per notebook that differs, is missing or is extra."""
    problems = []
    with tempfile.TemporaryDirectory(prefix="course-build-") as fresh:
        fresh = Path(fresh)
        built = set(build(fresh))
        for path in sorted(built):
            if not (root / path).is_file():
                problems.append(f"missing: {path}")
            elif not filecmp.cmp(fresh / path, root / path, shallow=False):
                problems.append(f"out of date: {path}")
        for directory in OUTPUT_DIRS:
            for path in sorted((root / directory).rglob("*.ipynb")):
                relative = path.relative_to(root)
                if ".ipynb_checkpoints" not in relative.parts and relative not in built:
                    problems.append(f"not built from any source: {relative}")
    return problems


def main(args) -> int:
    if args.check:
        problems = stale()
        for problem in problems:
            print(problem)
        if problems:
            print("Run `python -m graders build` and commit the result.")
            return 1
        print("All generated notebooks are up to date.")
        return 0
    for path in build(ROOT, set(args.names)):
        print(f"built {path}")
    return 0
