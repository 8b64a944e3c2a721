"""Where a learner's suite comes from: a pytest file, a notebook file, or a running kernel.

In a notebook the suite is the answer cell (nbgrader grade id `ANSWER_CELL`) or, in a notebook
without nbgrader metadata, the last cell that starts with `%%ipytest`. In a running kernel it
is the most recently executed `%%ipytest` cell. The cell must be self-contained: the grader
runs it on its own, away from the notebook's other cells.
"""
from __future__ import annotations

import json
from pathlib import Path

ANSWER_CELL = "suite"
MAGIC = "%%ipytest"


class SuiteError(ValueError):
    """The suite could not be read: the message says what to fix."""


def from_path(path: str | Path) -> str:
    path = Path(path)
    if not path.is_file():
        raise SuiteError(f"{path}: no such file")
    if path.suffix == ".ipynb":
        return from_notebook(path)
    try:
        return path.read_text()
    except UnicodeDecodeError:
        raise SuiteError(f"{path}: not a UTF-8 text file") from None


def from_notebook(path: Path) -> str:
    try:
        notebook = json.loads(path.read_text())
        cells = notebook["cells"]
        if not isinstance(cells, list):
            raise TypeError
    except (ValueError, KeyError, TypeError, UnicodeDecodeError):
        raise SuiteError(f"{path}: not a readable notebook (broken JSON or no cells)") from None
    code = [c for c in cells if isinstance(c, dict) and c.get("cell_type") == "code"]
    answers = [c for c in code if _grade_id(c) == ANSWER_CELL]
    if len(answers) > 1:
        raise SuiteError(f"{path}: the answer cell {ANSWER_CELL!r} appears {len(answers)} times; "
                         "keep one (copy-pasted cells carry the same id)")
    if not answers:
        answers = [c for c in code if _source(c).lstrip().startswith(MAGIC)][-1:]
    if not answers:
        raise SuiteError(f"{path}: no answer cell: put your tests in a cell that starts with {MAGIC}")
    return to_module(_source(answers[0]), where=str(path))


def from_history(inputs: list[str]) -> str:
    """The newest `%%ipytest` cell among a kernel's executed inputs (oldest first)."""
    for text in reversed(inputs):
        if text.lstrip().startswith(MAGIC):
            return to_module(text, where="your notebook")
    raise SuiteError(f"this kernel has not run your {MAGIC} cell (or it restarted since): "
                     "run that cell, then this one")


def to_module(cell: str, where: str) -> str:
    """Cell source -> plain Python: the %%ipytest line is dropped, line numbers are kept."""
    lines = cell.splitlines()
    first = next((n for n, line in enumerate(lines) if line.strip()), None)
    if first is not None and lines[first].strip().startswith(MAGIC):
        lines[first] = ""
    source = "\n".join(lines) + "\n"
    try:
        compile(source, where, "exec", dont_inherit=True)
    except SyntaxError as error:
        bad = lines[error.lineno - 1].strip() if error.lineno and error.lineno <= len(lines) else ""
        if bad.startswith(("%", "!")):
            raise SuiteError(f"{where}: line {error.lineno} uses IPython syntax ({bad.split()[0]}); "
                             "the grader runs plain Python") from None
        # Other syntax errors are reported by pytest, with the line, like any collection error.
    return source


def _grade_id(cell: dict) -> str | None:
    meta = cell.get("metadata") or {}
    nbgrader = meta.get("nbgrader") if isinstance(meta, dict) else None
    return nbgrader.get("grade_id") if isinstance(nbgrader, dict) else None


def _source(cell: dict) -> str:
    source = cell.get("source", "")
    return "".join(source) if isinstance(source, list) else str(source)
