"""The notebooks: built from their sources, and every lesson runs top to bottom, cleanly."""
import re
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

from graders.build import ROOT, START_PAGE, deep_dive_cells, lessons, main_path, stale
from graders.exercises import all_exercises

LESSONS = sorted((ROOT / "course").glob("*.ipynb"))
RUNNABLE = [ROOT / START_PAGE] + LESSONS  # the start page runs too (it shows the progress)
EXERCISES = sorted(all_exercises())
# A warning as Python shows it ("file.py:12: DeprecationWarning: ..."), or pytest's summary of
# them. A lesson may still name a warning class in its own printed text.
WARNING = re.compile(r"warnings summary|^\S*:\d+: \w*Warning\b", re.MULTILINE)


def execute(path: Path, only_the_main_path: bool = False) -> nbformat.NotebookNode:
    notebook = nbformat.read(path, as_version=4)
    if only_the_main_path:
        notebook = main_path(notebook)
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
    runs_cleanly(path, tmp_path, monkeypatch)


@pytest.mark.parametrize("path", LESSONS, ids=[p.stem for p in LESSONS])
def test_a_lessons_main_path_runs_without_its_deep_dives(path, tmp_path, monkeypatch):
    """A learner may skip every deep dive: nothing after one may need what it defined."""
    runs_cleanly(path, tmp_path, monkeypatch, only_the_main_path=True)


def runs_cleanly(path, tmp_path, monkeypatch, only_the_main_path=False):
    scratch = tmp_path / "tmp"
    scratch.mkdir()
    monkeypatch.setenv("TMPDIR", str(scratch))  # the kernel's temporary files go here
    notebook = execute(path, only_the_main_path)
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


@pytest.mark.parametrize("lesson", lessons(), ids=lambda lesson: lesson.stem)
def test_a_lessons_main_path_takes_about_twenty_minutes(lesson):
    assert lesson.minutes <= 20, (
        f"{lesson.stem}: the main path reads in about {lesson.minutes} min; move depth into "
        "sections whose heading starts with \"Deep dive\"")


@pytest.mark.parametrize("path", LESSONS, ids=[p.stem for p in LESSONS])
def test_a_lessons_main_path_asks_the_learner_to_predict_twice(path):
    short = main_path(nbformat.read(path, as_version=4))
    asks = [c for c in short.cells if c.cell_type == "markdown" and "**Predict, then run.**" in c.source]
    assert len(asks) >= 2


@pytest.mark.parametrize("path", LESSONS, ids=[p.stem for p in LESSONS])
def test_lessons_collect_log_records_the_pytest_way(path):
    """caplog, not unittest's TestCase().assertLogs: this is a pytest course."""
    source = "".join(c.source for c in nbformat.read(path, as_version=4).cells if c.cell_type == "code")
    assert "assertLogs" not in source


def test_a_deep_dive_runs_to_the_next_heading_of_its_level_and_opens_folded():
    cells = [nbformat.v4.new_markdown_cell(text) for text in [
        "# Lesson", "## 1. Basics", "## 2. Deep dive: threads", "text", "### inside",
        "more", "## 3. Back on the main path", "### Deep dive: a detail", "#### still inside",
        "### main again", "#not a heading"]]
    assert deep_dive_cells(cells) == {2, 3, 4, 5, 7, 8}
    built = nbformat.read(LESSONS[0], as_version=4)
    folded = [c for c in built.cells if c.metadata.get("jp-MarkdownHeadingCollapsed")]
    assert [i for i, c in enumerate(built.cells) if c in folded] == sorted(
        i for i in deep_dive_cells(built.cells) if built.cells[i].source.lstrip().startswith("#")
        and "Deep dive" in built.cells[i].source.split("\n")[0])
    assert all("\n" not in c.source.strip() for c in folded)  # folding hides all the rest


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
