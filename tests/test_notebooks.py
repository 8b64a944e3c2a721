"""The notebooks: built from their sources, and every lesson runs top to bottom, cleanly."""
import re
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

from graders.build import ROOT, START_PAGE, stale
from graders.exercises import all_exercises

LESSONS = sorted((ROOT / "course").glob("*.ipynb"))
RUNNABLE = [ROOT / START_PAGE] + LESSONS  # the start page runs too (it shows the progress)
EXERCISES = sorted(all_exercises())
# A warning as Python shows it ("file.py:12: DeprecationWarning: ..."), or pytest's summary of
# them. A lesson may still name a warning class in its own printed text.
WARNING = re.compile(r"warnings summary|^\S*:\d+: \w*Warning\b", re.MULTILINE)


def execute(path: Path) -> nbformat.NotebookNode:
    notebook = nbformat.read(path, as_version=4)
    # A cell tagged raises-exception may fail (on purpose); any other failing cell raises here.
    NotebookClient(notebook, timeout=300, kernel_name="python3",
                   resources={"metadata": {"path": str(path.parent)}}).execute()
    return notebook


def text_of(output) -> str:
    if output.output_type == "stream":
        return output.text
    if output.output_type == "error":
        return "\n".join(output.traceback)
    return "\n".join(str(v) for v in output.get("data", {}).values())


def test_generated_notebooks_match_their_sources():
    assert stale() == []


def test_there_is_a_lesson():
    assert LESSONS


@pytest.mark.parametrize("path", RUNNABLE, ids=[p.stem for p in RUNNABLE])
def test_lesson_runs_top_to_bottom_without_warnings(path, tmp_path, monkeypatch):
    scratch = tmp_path / "tmp"
    scratch.mkdir()
    monkeypatch.setenv("TMPDIR", str(scratch))  # the kernel's temporary files go here
    notebook = execute(path)
    assert sorted(p.name for p in scratch.iterdir()) == [], "the lesson leaves temporary files behind"
    for number, cell in enumerate(notebook.cells):
        if cell.cell_type != "code":
            continue
        tags = cell.metadata.get("tags", [])
        errors = [o for o in cell.outputs if o.output_type == "error"]
        if "raises-exception" in tags:
            assert errors, f"cell {number} is tagged raises-exception but did not fail"
        for output in cell.outputs:
            assert output.get("name") != "stderr", f"cell {number} wrote to stderr:\n{output.text}"
            if output.output_type != "error":
                assert not WARNING.search(text_of(output)), f"cell {number} shows a warning:\n{text_of(output)}"


@pytest.mark.parametrize("exercise", EXERCISES)
def test_the_exercise_solution_earns_full_marks_in_a_kernel(exercise):
    notebook = execute(ROOT / "solutions" / exercise / f"{exercise}.ipynb")
    cells = {c.metadata.get("nbgrader", {}).get("grade_id"): c for c in notebook.cells}
    total = len(all_exercises()[exercise].chaffs)
    feedback = "".join(text_of(o) for o in cells["feedback"].outputs)
    assert f"Caught {total} of {total} planted defects" in feedback, feedback
    grade = cells["autograder"]
    values = [o for o in grade.outputs if o.output_type == "execute_result"]
    assert values and float(values[0].data["text/plain"]) == grade.metadata.nbgrader.points, grade.outputs
    assert not any(o.get("name") == "stderr" or o.output_type == "error" for o in grade.outputs)
