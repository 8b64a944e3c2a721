"""Around the exercises: the start page and the links between notebooks, the two ways to start
JupyterLab, progress, and feedback in both its forms."""
import json
import re
from pathlib import Path

import nbformat

from graders import lab
from graders.build import ROOT, START_PAGE, lessons
from graders.exercises import all_exercises
from graders.feedback import Feedback
from graders.grading import DefectReport, Report, TestReport
from graders.progress import Progress, load, record

LINK = re.compile(r"\]\(([^)]+\.ipynb)\)")


def links(path: Path) -> list[str]:
    notebook = nbformat.read(path, as_version=4)
    return [target for cell in notebook.cells if cell.cell_type == "markdown"
            for target in LINK.findall(cell.source)]


def markdown(path: Path, index: int) -> str:
    return nbformat.read(path, as_version=4).cells[index].source


def test_the_start_page_links_every_lesson_and_exercise_and_every_link_resolves():
    targets = links(ROOT / START_PAGE)
    for lesson in lessons():
        assert lesson.path in targets
    for exercise in all_exercises():
        assert f"exercises/{exercise}/{exercise}.ipynb" in targets
    assert all((ROOT / target).is_file() for target in targets)


def test_lessons_end_with_their_exercises_and_exercises_link_back_and_onward():
    course = lessons()
    for number, lesson in enumerate(course):
        last = markdown(ROOT / lesson.path, -1)
        for exercise in lesson.exercises:
            assert f"../exercises/{exercise.id}/{exercise.id}.ipynb" in last, lesson.stem
        for exercise in lesson.exercises:
            for folder in ("exercises", "solutions"):  # the learner's copy and nbgrader's source
                path = ROOT / folder / exercise.id / f"{exercise.id}.ipynb"
                assert f"../../{lesson.path}" in markdown(path, 0)
                onward = markdown(path, -1)
                assert "Next:" in onward
                for target in LINK.findall(onward):
                    assert (path.parent / target).resolve().is_file(), (path, target)
    ex01 = markdown(ROOT / "exercises/ex01_testclient/ex01_testclient.ipynb", -1)
    assert f"../../{course[1].path}" in ex01  # exercise 1 leads to lesson 2
    every = [links(ROOT / lesson.path) for lesson in course]
    assert all((ROOT / "course" / target).resolve().is_file() for found in every for target in found)


def test_learners_see_the_course_and_instructors_everything(tmp_path):
    def settings(role):
        command = lab.command(role, 9999, tmp_path)
        config = json.loads(Path(next(a for a in command if a.startswith("--config="))[9:]).read_text())
        folder = Path(config["LabApp"]["app_settings_dir"])
        return (config, json.loads((folder / "page_config.json").read_text()),
                json.loads((folder / "overrides.json").read_text()))

    config, page, overrides = settings("learner")
    assert config["ServerApp"]["ip"] == "127.0.0.1" and config["ServerApp"]["root_dir"] == str(tmp_path)
    assert config["LabApp"]["default_url"] == f"/lab/tree/{START_PAGE}"
    assert {"graders", "solutions", "tests", "benchmarks"} <= set(config["ContentsManager"]["hide_globs"])
    assert "@jupyter/nbgrader:create-assignment" in page["disabledExtensions"]
    assert overrides["@jupyterlab/apputils-extension:notification"]["fetchNews"] == "false"

    config, page, overrides = settings("instructor")
    assert "solutions" not in config["ContentsManager"]["hide_globs"]
    assert page["disabledExtensions"] == []
    assert overrides["@jupyterlab/apputils-extension:notification"]["fetchNews"] == "false"


def report(score=0.5, caught=(True, False)) -> Report:
    defects = [DefectReport(id=f"d{n}", number=n, caught=c, hints=[f"look at `thing {n}`", "closer"])
               for n, c in enumerate(caught, start=1)]
    tests = [TestReport("t.py::test_good", True, catches=[d.id for d in defects if d.caught]),
             TestReport("t.py::test_bad", False, message="fails on a correct version: <assert 1 == 2>"),
             TestReport("t.py::test_leaky", True, warnings=["leaves overrides behind"])]
    return Report(exercise="ex01_testclient", title="The catalogue", score=score, valid=False, tests=tests,
                  defects=defects, errors=["collecting t.py: NotImplementedError"], sandbox="none")


def test_feedback_says_the_same_in_html_and_in_text():
    shown = Feedback(report(), hints=1)._repr_mimebundle_()
    text, html = shown["text/plain"], shown["text/html"]
    for fact in ("Caught 1 of 2 planted defects", "Score: 50%", "test_bad", "test_leaky", "leaves overrides behind",
                 "Unprotected", "NotImplementedError", "0 until every test passes on a correct app"):
        assert fact in text and fact in html, fact
    assert "fails on a correct version: <assert 1 == 2>" in text
    assert "fails on a correct version: &lt;assert 1 == 2&gt;" in html  # escaped, never markup
    assert "#2 (1/2) look at `thing 2`" in text and "look at <code>thing 2</code>" in html
    assert "closer" not in text and "closer" not in html  # one rung at a time
    assert html.count('class="hit"') == 1 and "<details" in html


def test_progress_keeps_the_best_result_and_survives_a_broken_file(tmp_path, monkeypatch):
    file = tmp_path / "progress.json"
    monkeypatch.setenv("GRADERS_PROGRESS_FILE", str(file))
    record(report(score=0.5))
    record(report(score=0.0, caught=(False, False)))
    best = load()["ex01_testclient"]
    assert (best["score"], best["caught"], best["defects"], best["checks"]) == (0.5, 1, 2, 2)
    text = Progress(here=tmp_path).text()
    assert "1 of 14 exercises checked" in text and "caught 1 of 2" in text

    file.write_text("{ not json")
    assert load() == {}
    record(report(score=1.0, caught=(True, True)))
    assert (tmp_path / "progress.json.unreadable").read_text() == "{ not json"
    assert load()["ex01_testclient"]["score"] == 1.0
    html = Progress(here=tmp_path)._repr_mimebundle_()["text/html"]
    link = re.search(r'href="([^"]+)">ex01_testclient<', html).group(1)
    assert (tmp_path / link).resolve() == ROOT / "exercises/ex01_testclient/ex01_testclient.ipynb"
