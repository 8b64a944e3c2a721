"""An exercise notebook stays usable when the learner's answer goes wrong: every mishap gets a
clear message in the feedback cell and no traceback, in a real kernel."""
import os
import queue
import time

import pytest
from jupyter_client.manager import start_new_kernel

from graders.build import ROOT

EXERCISE = "ex01_testclient"
SETUP = f'from graders.notebook import check, progress, setup\nsetup(raise_on_error=False, exercise="{EXERCISE}")'
FEEDBACK = f'check("{EXERCISE}")'
LOOPS = "%%ipytest\ndef test_never_ends():\n    while True:\n        pass\n"
SLOW = "%%ipytest\nimport time\n\ndef test_takes_its_time():\n    time.sleep(4)\n"
GOOD = """%%ipytest
from fastapi.testclient import TestClient
from forge.main import create_app

def test_health():
    with TestClient(create_app()) as client:
        assert client.get("/forge/health").status_code == 200
"""


class Kernel:
    def __init__(self, progress_file):
        env = {**os.environ, "GRADERS_PROGRESS_FILE": str(progress_file)}
        self.manager, self.client = start_new_kernel(kernel_name="python3", env=env,
                                                     cwd=str(ROOT / "exercises" / EXERCISE))

    def start(self, code: str) -> str:
        return self.client.execute(code)

    def finish(self, msg_id: str, seconds: float = 120) -> tuple[str, str, list[str]]:
        """The cell's reply status, everything it showed as text, and its tracebacks."""
        shown, tracebacks = [], []
        deadline = time.monotonic() + seconds
        while True:
            try:
                message = self.client.get_iopub_msg(timeout=max(0.1, deadline - time.monotonic()))
            except queue.Empty:
                raise AssertionError(f"the cell did not finish in {seconds} s") from None
            if message["parent_header"].get("msg_id") != msg_id:
                continue
            kind, content = message["msg_type"], message["content"]
            if kind == "stream":
                shown.append(content["text"])
            elif kind in ("display_data", "execute_result"):
                shown.append(content["data"].get("text/plain", ""))
            elif kind == "error":
                tracebacks.append("\n".join(content["traceback"]))
            elif kind == "status" and content["execution_state"] == "idle":
                break
        reply = self.client.get_shell_msg(timeout=seconds)
        return reply["content"]["status"], "".join(shown), tracebacks

    def run(self, code: str, seconds: float = 120) -> tuple[str, str, list[str]]:
        return self.finish(self.start(code), seconds)

    def close(self):
        self.client.stop_channels()
        self.manager.shutdown_kernel(now=True)


@pytest.fixture
def kernel(tmp_path):
    kernel = Kernel(tmp_path / "progress.json")
    kernel.run(SETUP)
    yield kernel
    kernel.close()


def test_feedback_before_any_answer_says_what_to_run(kernel):
    status, shown, tracebacks = kernel.run(FEEDBACK)
    assert status == "ok" and not tracebacks
    assert "Nothing to grade yet: this kernel has not run your %%ipytest cell" in shown


def test_an_answer_with_a_syntax_error_is_reported_as_a_problem(kernel):
    kernel.run("%%ipytest\ndef test_broken(:\n    pass\n")
    status, shown, tracebacks = kernel.run(FEEDBACK)
    assert status == "ok" and not tracebacks, tracebacks
    assert "Problem:" in shown and "SyntaxError" in shown, shown
    assert "Score: 0%" in shown


def test_a_test_that_loops_is_interrupted_and_then_graded_invalid(kernel):
    running = kernel.start(LOOPS)
    time.sleep(3)
    interrupted = time.monotonic()
    kernel.manager.interrupt_kernel()
    status, shown, tracebacks = kernel.finish(running, seconds=10)
    assert time.monotonic() - interrupted < 10  # control is back within seconds
    assert not tracebacks, tracebacks
    assert "KeyboardInterrupt" in shown  # pytest's own account of the interrupted run
    status, shown, tracebacks = kernel.run(FEEDBACK)
    assert status == "ok" and not tracebacks
    assert "test_never_ends did not finish in time" in shown, shown


def test_interrupting_the_feedback_stops_it_and_the_next_check_works(kernel):
    kernel.run(SLOW)
    grading = kernel.start(FEEDBACK)
    time.sleep(2)
    kernel.manager.interrupt_kernel()
    status, shown, tracebacks = kernel.finish(grading, seconds=10)
    assert not tracebacks and "Grading stopped: you interrupted it" in shown, (shown, tracebacks)
    kernel.run(GOOD)
    status, shown, tracebacks = kernel.run(FEEDBACK)
    assert status == "ok" and not tracebacks and "Caught 0 of 7 planted defects" in shown, shown


def test_a_restart_between_the_answer_and_the_feedback_says_to_run_the_answer_again(kernel):
    kernel.run(GOOD)
    kernel.manager.restart_kernel(now=True)
    kernel.client.wait_for_ready(timeout=60)
    kernel.run(SETUP)
    status, shown, tracebacks = kernel.run(FEEDBACK)
    assert status == "ok" and not tracebacks
    assert "has not run your %%ipytest cell (or it restarted since)" in shown, shown


def test_each_check_updates_the_progress(kernel):
    kernel.run(GOOD)
    kernel.run(FEEDBACK)
    status, shown, tracebacks = kernel.run("progress()")
    assert status == "ok" and not tracebacks
    line = next(line for line in shown.splitlines() if EXERCISE in line)
    assert "caught 0 of 7" in line, shown
