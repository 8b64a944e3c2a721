"""What learners receive: `python -m graders handout DIR`.

A copy of the course without what is the instructor's: the lessons, the released exercises (no
solutions, no hidden tests), the app, the start page, and the runtime the notebooks need (the
grader with the public defects, the environment files, `make start`). Not copied: `solutions/`,
the lesson sources, the project's tests and benchmarks, and anything nbgrader or a learner's
work left in this checkout. Private defects live outside the course and never come along.
The copy is checked before this command says it is done.
"""
from __future__ import annotations

import shutil
import sys
from pathlib import Path

from graders.build import ROOT

HANDOUT = ["START.ipynb", "README.md", "Makefile", "pyproject.toml", "environment.yml",
           "nbgrader_config.py", "course", "exercises", "forge", "graders"]
LEFT_OUT = shutil.ignore_patterns("__pycache__", "*.pyc", ".ipynb_checkpoints", ".progress.json*", "*.egg-info")
SOLUTION_MARKERS = ("### BEGIN SOLUTION", "### BEGIN HIDDEN TESTS")


class HandoutError(RuntimeError):
    pass


def make(target: Path) -> list[Path]:
    """Write the learners' copy to `target` (which must not exist yet); its files."""
    if target.exists():
        raise HandoutError(f"{target} exists: name a new directory")
    target.mkdir(parents=True)
    for name in HANDOUT:
        source = ROOT / name
        if source.is_dir():
            shutil.copytree(source, target / name, ignore=LEFT_OUT)
        else:
            shutil.copy2(source, target / name)
    problems = leaks(target)
    if problems:
        shutil.rmtree(target)
        raise HandoutError("the copy would give learners what is not theirs:\n" + "\n".join(problems))
    return sorted(p.relative_to(target) for p in target.rglob("*") if p.is_file())


def leaks(target: Path) -> list[str]:
    """What in the copy is the instructor's: solution directories, or a file with solutions or
    hidden tests in it."""
    found = [f"{p.relative_to(target)}: a solutions directory" for p in target.rglob("solutions") if p.is_dir()]
    for path in target.rglob("*"):
        if path.is_file() and path.suffix in (".ipynb", ".py", ".md"):
            text = path.read_text(errors="replace")
            found += [f"{path.relative_to(target)}: contains {marker!r}" for marker in SOLUTION_MARKERS
                      if marker in text and path.relative_to(target).parts[0] != "graders"]
    return found


def main(args) -> int:
    try:
        files = make(Path(args.directory))
    except HandoutError as error:
        print(f"graders handout: {error}", file=sys.stderr)
        return 2
    print(f"graders handout: {len(files)} files in {args.directory} (no solutions, no hidden tests); "
          "learners run `make start` there", file=sys.stderr)
    return 0
