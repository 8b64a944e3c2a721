"""Reading a learner's suite from a notebook, a file or a kernel's history."""
import json

import pytest

from graders.build import ROOT
from graders.suites import SuiteError, from_history, from_notebook, from_path, to_module

SOLUTION = ROOT / "solutions/ex01_testclient/ex01_testclient.ipynb"


def notebook(tmp_path, *cells):
    path = tmp_path / "nb.ipynb"
    path.write_text(json.dumps({"cells": list(cells), "metadata": {}, "nbformat": 4, "nbformat_minor": 5}))
    return path


def code(source, grade_id=None):
    meta = {"nbgrader": {"grade_id": grade_id, "solution": True}} if grade_id else {}
    return {"cell_type": "code", "source": source, "metadata": meta, "outputs": []}


def test_the_answer_cell_of_the_solution_is_the_suite():
    suite = from_notebook(SOLUTION)
    assert suite.startswith("\nimport pytest")  # the %%ipytest line is blanked, not removed
    assert "### BEGIN SOLUTION" in suite and "def test_" in suite


def test_without_nbgrader_metadata_the_last_ipytest_cell_is_the_suite(tmp_path):
    path = notebook(tmp_path, code("%%ipytest\ndef test_old(): pass"), code("x = 1"),
                    code("%%ipytest -qq\ndef test_new(): pass"))
    assert from_path(path) == "\ndef test_new(): pass\n"


def test_a_copy_pasted_answer_cell_is_a_clear_error(tmp_path):
    path = notebook(tmp_path, code("%%ipytest\n", "suite"), code("%%ipytest\n", "suite"))
    with pytest.raises(SuiteError, match="appears 2 times"):
        from_notebook(path)


def test_broken_json_is_a_clear_error(tmp_path):
    path = tmp_path / "broken.ipynb"
    path.write_text('{"cells": [')
    with pytest.raises(SuiteError, match="not a readable notebook"):
        from_path(path)


def test_a_notebook_without_tests_is_a_clear_error(tmp_path):
    with pytest.raises(SuiteError, match="no answer cell"):
        from_notebook(notebook(tmp_path, code("x = 1")))


def test_history_gives_the_newest_ipytest_cell():
    inputs = ["", "%%ipytest\ndef test_a(): pass", "check('ex')", "%%ipytest\ndef test_b(): pass", "x"]
    assert from_history(inputs) == "\ndef test_b(): pass\n"
    with pytest.raises(SuiteError, match="has not run your %%ipytest cell"):
        from_history(["x = 1"])


def test_ipython_syntax_inside_the_suite_is_a_clear_error():
    with pytest.raises(SuiteError, match=r"line 3 uses IPython syntax \(%time\)"):
        to_module("%%ipytest\nimport os\n%time x = 1\n", where="cell")
    # Other syntax errors are left for pytest to report, with their line.
    assert to_module("def f(:\n", where="cell") == "def f(:\n"
