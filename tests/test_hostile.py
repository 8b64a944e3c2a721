"""Hostile and broken suites cost only their submitter: the grader, the files around it and
the next learner's grading are untouched."""
import hashlib
import time
import uuid
from pathlib import Path

import pytest

from graders.build import ROOT
from graders.grading import grade
from graders.runner import can_limit_processes, sandbox
from graders.suites import from_notebook

HOSTILE = Path(__file__).parent / "hostile"
CANARY = ROOT / "hostile-canary.txt"


def hostile(name: str) -> str:
    return (HOSTILE / f"{name}.py").read_text()


def invalid(report):
    return {t.nodeid.split("::")[-1]: t.message for t in report.tests if not t.valid}


def catches(report, name):
    return next(t.catches for t in report.tests if t.nodeid.endswith(name) and t.valid)


@pytest.mark.parametrize("name", ["loop", "segfault", "always_fails"])
def test_a_test_that_hangs_crashes_or_always_fails_is_invalid_and_alone(ex01_quick, name):
    report = grade(ex01_quick, hostile(name))
    assert len(invalid(report)) == 1, report.tests
    assert catches(report, "test_zero_price_is_rejected") == ["zero-price-accepted"]
    assert report.score == 0.0


def test_a_test_that_ignores_every_signal_is_stopped(ex01_quick):
    started = time.monotonic()
    report = grade(ex01_quick, hostile("loop_swallows_interrupt"))
    assert set(invalid(report)) == {"test_unstoppable"} and report.score == 0.0
    assert time.monotonic() - started < 120


def test_exiting_at_import_is_an_error_not_a_crash(ex01_quick):
    report = grade(ex01_quick, hostile("exit_at_import"))
    assert not report.tests and report.score == 0.0
    assert any("ended before collecting" in e for e in report.errors), report.errors


def test_a_memory_bomb_fails_its_own_tests(ex01_quick):
    report = grade(ex01_quick, hostile("memory_bomb"))
    assert set(invalid(report)) == {"test_all_at_once", "test_bit_by_bit"}


@pytest.mark.skipif(not can_limit_processes(), reason="no process limit on this machine")
def test_a_fork_bomb_meets_the_process_limit(ex01_quick):
    report = grade(ex01_quick, hostile("fork_bomb"))
    assert set(invalid(report)) == {"test_fork_bomb"}


def test_a_flood_of_output_meets_the_file_size_limit(ex01):
    # pytest captures output in a file: past 16 MiB the flooding test fails (File too large).
    report = grade(ex01, hostile("output_flood"))
    assert set(invalid(report)) == {"test_flood_then_check"}, report.tests
    assert "File too large" in invalid(report)["test_flood_then_check"]


def test_patching_pytest_or_the_grader_gains_nothing(ex01):
    report = grade(ex01, hostile("patch_the_grader"))
    assert report.score == 0.0 and report.caught == 0


def test_killing_the_processes_above_costs_only_the_submitter(ex01):
    # Its tests lose their results (how depends on which process goes first: the report says
    # the worker stopped, or that the tests did not finish); the next suite gets a new worker.
    report = grade(ex01, hostile("kill_ancestors"))
    assert report.score == 0.0 and not report.valid
    assert report.errors or all(not t.valid for t in report.tests), report
    assert grade(ex01, from_notebook(ROOT / "solutions/ex01_testclient/ex01_testclient.ipynb")).score == 1.0


def test_killing_the_process_that_forks_the_jobs_costs_only_the_submitter(ex01):
    # It kills the worker, or, from a test run alone, a zygote (graders/worker.py): either comes
    # back for the next suite.
    assert grade(ex01, hostile("kill_grandparent")).score == 0.0
    assert grade(ex01, from_notebook(ROOT / "solutions/ex01_testclient/ex01_testclient.ipynb")).score == 1.0


def test_state_kept_between_runs_makes_a_test_invalid(ex01):
    report = grade(ex01, hostile("first_run_only").replace("TOKEN", uuid.uuid4().hex))
    assert set(invalid(report)) == {"test_first_run_only"} and report.score == 0.0


@pytest.mark.skipif("bubblewrap" not in sandbox(), reason="files are protected only in the sandbox")
def test_files_outside_the_scratch_directory_are_out_of_reach(ex01):
    main = ROOT / "forge" / "main.py"
    CANARY.write_text("canary")
    before = (main.stat().st_mtime, hashlib.sha256(main.read_bytes()).hexdigest())
    try:
        report = grade(ex01, hostile("tamper_files"))
        assert report.tests and all(t.valid for t in report.tests)
        assert CANARY.read_text() == "canary"
        assert not (ROOT / "hostile-written.txt").exists()
        assert (main.stat().st_mtime, hashlib.sha256(main.read_bytes()).hexdigest()) == before
    finally:
        CANARY.unlink(missing_ok=True)
        (ROOT / "hostile-written.txt").unlink(missing_ok=True)


def test_after_all_that_the_next_learner_is_graded_as_usual(ex01):
    # Runs last in this module, on the same warm worker the hostile suites went through.
    report = grade(ex01, from_notebook(ROOT / "solutions/ex01_testclient/ex01_testclient.ipynb"))
    assert report.valid and report.score == 1.0
