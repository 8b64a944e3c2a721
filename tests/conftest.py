import contextlib
import os
import socket
import subprocess
import sys
import time
import urllib.request
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


@contextlib.contextmanager
def jupyterlab(root: Path, log: Path, *options: str, env: dict | None = None):
    """JupyterLab serving `root` the way `make start` does (`make instructor` with
    "--instructor"), on a free port: its URL and token, until the block ends."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    token = "test-token"
    with open(log, "w") as out:
        process = subprocess.Popen([sys.executable, "-m", "graders.lab", *options, f"--port={port}",
                                    f"--token={token}", f"--root={root}"], cwd=root, env=env,
                                   stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 90
        while True:
            try:
                urllib.request.urlopen(f"{url}/api/status?token={token}", timeout=2)
                break
            except OSError:
                if process.poll() is not None or time.monotonic() > deadline:
                    pytest.fail(f"JupyterLab did not start:\n{log.read_text()[-2000:]}")
                time.sleep(0.3)
        yield url, token
    finally:
        os.killpg(process.pid, 15)
        process.wait(timeout=30)
