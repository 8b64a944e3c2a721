"""The command line that instructors and other tools script against."""
import json
import subprocess
import sys
import tempfile
from pathlib import Path

from graders.build import ROOT
from graders.exercises import all_exercises
from tests.conftest import SUITES


def graders(*args: str, stdin: str | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "graders", *args], cwd=ROOT, input=stdin,
                          capture_output=True, text=True)


def test_list_json_names_every_exercise_with_its_section_and_variants():
    result = graders("list", "--json")
    assert result.returncode == 0, result.stderr
    rows = json.loads(result.stdout)
    assert [r["id"] for r in rows] == sorted(all_exercises())
    for row in rows:
        assert {"id", "title", "section", "defects", "wheats"} <= set(row)
        assert row["defects"] >= 5 and row["wheats"] >= 2, row


def graders_files() -> set[Path]:
    return set(Path(tempfile.gettempdir()).glob("graders-*"))


def test_check_json_has_the_documented_fields():
    before = graders_files()
    result = graders("check", "ex01_testclient", str(SUITES / "weak.py"), "--json")
    assert graders_files() <= before  # the worker and its jobs removed what they made
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert {"exercise", "score", "valid", "caught", "tests", "defects", "errors"} <= set(report)
    assert report["exercise"] == "ex01_testclient" and report["valid"] is True
    assert 0 < report["score"] < 1
    assert all({"nodeid", "valid"} <= set(t) for t in report["tests"])
    assert all({"id", "caught"} <= set(d) for d in report["defects"])
    assert "find" not in result.stdout  # nothing reveals a defect's edits


def test_check_reads_a_suite_from_standard_input_and_reports_problems_plainly():
    result = graders("check", "ex01_testclient", "-", stdin="%%ipytest\n%time x = 1\n")
    assert result.returncode == 0
    assert result.stdout.startswith("Problem: standard input: line 2 uses IPython syntax")


def test_check_of_a_broken_notebook_is_a_clear_zero(tmp_path):
    broken = tmp_path / "broken.ipynb"
    broken.write_text("{not json")
    report = json.loads(graders("check", "ex01_testclient", str(broken), "--json").stdout)
    assert report["score"] == 0.0 and report["valid"] is False
    assert "not a readable notebook" in report["errors"][0]


def test_an_unknown_exercise_is_a_clear_error():
    result = graders("check", "ex99_nothing", str(SUITES / "weak.py"))
    assert result.returncode == 2
    assert "no exercise 'ex99_nothing'" in result.stderr


def test_verify_proves_every_exercise():
    result = graders("verify", "--json")
    assert result.returncode == 0, result.stdout + result.stderr
    outcomes = json.loads(result.stdout)
    assert sorted(o["exercise"] for o in outcomes) == sorted(all_exercises())
    for outcome in outcomes:
        assert outcome["reference"]["score"] == 1.0 and outcome["untouched"]["score"] == 0.0, outcome
