"""Build the course's notebooks from their jupytext sources, and the learners' release.

    notebooks/lessons/NAME.py   -> course/NAME.ipynb
    notebooks/solutions/ID.py   -> solutions/ID/ID.ipynb  (nbgrader source)
    solutions/ID/ID.ipynb       -> exercises/ID/ID.ipynb  (nbgrader generate_assignment)

The .py files are the only thing to edit; the notebooks are build outputs, committed without
outputs. `--check` rebuilds into a temporary directory and reports every notebook that differs
from what is committed.
"""
from __future__ import annotations

import filecmp
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import jupytext
import nbformat

ROOT = Path(__file__).resolve().parent.parent
LESSON_SOURCES = "notebooks/lessons"
SOLUTION_SOURCES = "notebooks/solutions"
OUTPUT_DIRS = ("course", "solutions", "exercises")


class BuildError(RuntimeError):
    pass


def to_notebook(source: Path, target: Path) -> None:
    notebook = jupytext.read(source, fmt="py:percent")
    notebook.metadata.pop("jupytext", None)
    for number, cell in enumerate(notebook.cells):
        cell.id = f"cell-{number:02d}"  # stable ids: rebuilding changes nothing
    target.parent.mkdir(parents=True, exist_ok=True)
    nbformat.validate(notebook)
    nbformat.write(notebook, target)


def build(target: Path, only: set[str] | None = None) -> list[Path]:
    """Write every generated notebook under `target` (or those whose source stems are in
    `only`); return their paths relative to `target`."""
    built: list[Path] = []

    def chosen(directory: str) -> list[Path]:
        return [p for p in sorted((ROOT / directory).glob("*.py")) if not only or p.stem in only]

    for source in chosen(LESSON_SOURCES):
        out = Path("course") / f"{source.stem}.ipynb"
        to_notebook(source, target / out)
        built.append(out)
    exercises = chosen(SOLUTION_SOURCES)
    for source in exercises:
        out = Path("solutions") / source.stem / f"{source.stem}.ipynb"
        to_notebook(source, target / out)
        built.append(out)
    with tempfile.TemporaryDirectory(prefix="nbgrader-build-") as course:
        course = Path(course)
        shutil.copy(ROOT / "nbgrader_config.py", course)
        for source in exercises:
            shutil.copytree(target / "solutions" / source.stem, course / "solutions" / source.stem)
            nbgrader(course, "generate_assignment", source.stem, "--force")
            out = Path("exercises") / source.stem / f"{source.stem}.ipynb"
            (target / out).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy(course / out, target / out)
            built.append(out)
    return built


def nbgrader(course: Path, *args: str) -> subprocess.CompletedProcess:
    """Run an nbgrader command in `course` with this environment's tools on PATH."""
    env = dict(os.environ)
    # nbgrader runs `alembic` and `jupyter` by name: find them even without an activated venv.
    env["PATH"] = os.pathsep.join([str(Path(sys.executable).parent), env.get("PATH", os.defpath)])
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
