"""Helpers for the course's notebooks: lesson set-up, showing the app's real source, and
grading the learner's suite from inside a running notebook.

The learner's code never runs in the kernel during grading: the engine hands it to a warm
worker process (graders/runner.py), which the kernel keeps for the next check.
"""
from __future__ import annotations

import inspect
import os
from pathlib import Path

from graders.suites import SuiteError, from_history


def setup(raise_on_error: bool = True, async_tests: bool = False, exercise: str | None = None) -> None:
    """Configure ipytest for a course notebook.

    `clean="test_*"`: the default pattern would also delete an imported `TestClient`.
    `raise_on_error`: in lessons a failing %%ipytest cell must fail the notebook (and CI);
    in exercises the grader reports failing tests instead.
    `async_tests`: run pytest in a thread of its own, as async tests need inside a kernel
    (whose own event loop is already running).
    `exercise`: the exercise this notebook grades; its grading worker starts now, in the
    background, so that the first check is as quick as the next.
    """
    import ipytest

    ipytest.autoconfig(clean="test_*", raise_on_error=raise_on_error, run_in_thread=async_tests,
                       addopts=("-q", "--color=yes", "-p", "no:cacheprovider"))
    # For every pytest run from this notebook, in the kernel or in a subprocess: pytest-asyncio's
    # loop scope, set once, and no notice that anyio's plugin (imported by TestClient before
    # pytest starts) cannot be rewritten.
    quiet = "-o asyncio_default_fixture_loop_scope=function -W ignore::pytest.PytestAssertRewriteWarning"
    current = os.environ.get("PYTEST_ADDOPTS", "")
    if quiet not in current:
        os.environ["PYTEST_ADDOPTS"] = f"{current} {quiet}".strip()
    if exercise is not None and not os.environ.get("NBGRADER_EXECUTION"):
        from graders.exercises import get_exercise
        from graders.grading import prepare

        prepare(get_exercise(exercise))
    if os.environ.get("NBGRADER_EXECUTION") == "autograde":
        # The autograder never runs a learner's tests in its kernel (a test that hangs and
        # swallows interrupts would sink the whole submission): score() runs them sandboxed.
        from IPython import get_ipython

        def skip(line: str, cell: str) -> None:
            print("Not run here: the autograder runs this cell's tests in a sandbox.")

        get_ipython().register_magic_function(skip, "cell", "ipytest")


def show(obj) -> None:
    """Display the real source of a function, class or module of the app, with its file."""
    from IPython.display import Markdown, display

    obj = inspect.unwrap(obj)  # the function itself, not a decorator's wrapper
    lines, start = inspect.getsourcelines(obj)
    path = Path(inspect.getsourcefile(obj)).resolve()
    package_root = Path(__file__).resolve().parent.parent
    where = path.relative_to(package_root) if path.is_relative_to(package_root) else path
    span = f", lines {start}-{start + len(lines) - 1}" if start else ""
    display(Markdown(f"`{where}`{span}\n```python\n{''.join(lines)}```"))


def _inputs() -> list[str]:
    from IPython import get_ipython

    shell = get_ipython()
    if shell is None:
        raise SuiteError("this works inside a notebook only; elsewhere use: python -m graders check")
    return list(shell.history_manager.input_hist_raw)


def _grade(exercise: str):
    from graders.exercises import get_exercise
    from graders.grading import grade

    return grade(get_exercise(exercise), from_history(_inputs()))


def check(exercise: str, hints: int = 0) -> None:
    """Grade the last %%ipytest cell you ran, show what it catches (and hints, if asked), and
    keep the result in your progress if it is your best."""
    if os.environ.get("NBGRADER_EXECUTION"):  # autograde or validate: the grade cell grades
        print("Feedback is not computed while nbgrader runs this notebook.")
        return
    try:  # an Interrupt may come at any moment of it
        _check(exercise, hints)
    except KeyboardInterrupt:
        print("Grading stopped: you interrupted it. Run this cell again to grade your suite.")


def _check(exercise: str, hints: int) -> None:
    from IPython.display import display

    from graders.feedback import Feedback
    from graders.progress import record

    try:
        report = _grade(exercise)
    except SuiteError as error:
        print(f"Nothing to grade yet: {error}")
        return
    except Exception as error:  # a broken suite or a broken set-up: say so, never crash
        print(f"Could not grade your suite: {error}")
        return
    display(Feedback(report, hints))
    try:
        record(report)
    except OSError as error:
        print(f"(Your progress could not be saved: {error})")


def progress() -> None:
    """Show your best result in every exercise checked so far, and overall."""
    from IPython.display import display

    from graders.progress import Progress

    display(Progress())


def score(exercise: str, points: float) -> float:
    """The autograder's value for this exercise: `points` times the share of defects caught.

    It shows the learner's feedback (with the whole report as data, for the class report),
    always returns a number between 0 and `points` and never writes to stderr: nbgrader gives
    0 to a cell that writes to stderr and full marks to one whose value is not a number.
    """
    from IPython.display import display

    from graders.feedback import graded
    from graders.runner import stop_workers

    try:
        report = _grade(exercise)
        value = float(report.score)
        display(graded(report), raw=True)
    except Exception as error:  # any failure is a zero for this learner, never a crash
        print(f"Could not grade the suite: {error}")
        value = 0.0
    finally:
        if os.environ.get("NBGRADER_EXECUTION"):
            stop_workers()  # the kernel's last cell: end its worker now, or nbclient waits for it
    value = min(max(value, 0.0), 1.0) if value == value else 0.0  # NaN -> 0
    return round(points * value, 2)
