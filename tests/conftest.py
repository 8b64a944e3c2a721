import os
from dataclasses import replace
from pathlib import Path

import pytest

from graders.exercises import get_exercise

SUITES = Path(__file__).parent / "suites"


@pytest.fixture(scope="session", autouse=True)
def progress_elsewhere(tmp_path_factory):
    """The notebooks these tests run record progress, like a learner's: not in the course's own
    file (kernels and servers started by the tests inherit this)."""
    os.environ["GRADERS_PROGRESS_FILE"] = str(tmp_path_factory.mktemp("progress") / "progress.json")
    yield
    del os.environ["GRADERS_PROGRESS_FILE"]


@pytest.fixture(scope="session")
def ex01():
    return get_exercise("ex01_testclient")


@pytest.fixture(scope="session")
def ex01_quick(ex01):
    """Exercise 1 with a short time limit, for suites that hang on purpose."""
    return replace(ex01, timeout=4.0)


def suite(name: str) -> str:
    return (SUITES / f"{name}.py").read_text()
