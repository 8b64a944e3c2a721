"""The grading engine on hand-written suites: what an expert would give each one."""
import threading
import time
import uuid
from dataclasses import replace
from pathlib import Path

import pytest

from graders.build import ROOT
from graders.grading import IN_ORDER, Grading, grade, prepare, render
from graders.runner import Runner, stop_workers, worker
from graders.worker import CAN_FORK
from graders.suites import from_notebook
from tests.conftest import suite

ALL_DEFECTS = {
    "startup-skips-catalogue", "create-item-returns-200", "missing-item-returns-200-null",
    "created-item-not-saved", "zero-price-accepted", "empty-name-accepted",
    "list-shows-startup-snapshot",
}


def caught(report):
    return {d.id for d in report.defects if d.caught}


def invalid(report):
    return {t.nodeid.split("::")[-1]: t.message for t in report.tests if not t.valid}


def test_the_reference_solution_catches_every_defect(ex01):
    report = grade(ex01, from_notebook(ROOT / "solutions/ex01_testclient/ex01_testclient.ipynb"))
    assert report.valid and not report.errors
    assert caught(report) == ALL_DEFECTS
    assert report.score == 1.0


def test_a_weak_suite_gets_partial_credit(ex01):
    report = grade(ex01, suite("weak"))
    assert report.valid
    assert caught(report) == {"create-item-returns-200"}
    assert report.score == pytest.approx(1 / 7, abs=1e-3)
    text = render(report, hints=1)
    assert "Caught 1 of 7 planted defects" in text
    assert "Does the service remember what you told it?" in text  # rung 1 of a missed defect
    assert "The answer to a POST can look perfect" not in text  # rung 2 stays hidden


def test_tests_that_fail_on_a_correct_app_are_invalid_and_zero_the_score(ex01):
    report = grade(ex01, suite("wrong"))
    problems = invalid(report)
    assert set(problems) == {"test_the_anvil_has_id_1", "test_the_list_starts_with_the_anvil",
                             "test_items_without_starting_the_app"}
    # Ids and order are free in the specification: the real app passes, a wheat does not.
    assert problems["test_the_anvil_has_id_1"].startswith("fails on a correct version of the app")
    assert problems["test_the_list_starts_with_the_anvil"].startswith("fails on a correct version")
    # Without `with` the lifespan never runs, so the real app has no database: a 500.
    assert problems["test_items_without_starting_the_app"].startswith("fails on the real app:")
    assert "assert 500 == 200" in problems["test_items_without_starting_the_app"]
    assert not report.valid and report.score == 0.0
    assert caught(report) == {"create-item-returns-200"}  # what the valid test would earn


def test_an_empty_suite_scores_zero(ex01):
    report = grade(ex01, suite("empty"))
    assert report.score == 0.0 and not report.valid
    assert report.errors == ["no tests were collected: write functions whose names start with test_"]


def test_a_suite_that_does_not_compile_scores_zero_with_the_error(ex01):
    report = grade(ex01, "def test_x(:\n    pass\n")
    assert report.score == 0.0 and not report.valid and not report.tests
    assert any("SyntaxError" in e or "invalid syntax" in e for e in report.errors), report.errors


def test_a_hang_is_invalid_on_a_correct_app_and_a_catch_on_a_defect(ex01_quick):
    report = grade(ex01_quick, suite("hangs"))
    problems = invalid(report)
    assert set(problems) == {"test_forever"}
    assert "did not finish in time" in problems["test_forever"]
    waits = next(t for t in report.tests if t.nodeid.endswith("test_waits_for_201"))
    assert waits.valid and waits.catches == ["create-item-returns-200"]


def test_a_test_that_hangs_on_the_real_app_is_not_waited_for_on_the_others(ex01):
    """Once it has timed out on a correct app it is invalid: where it is still running on
    other apps (a busy loop spins a CPU there), it times out at once."""
    spin = "def test_spins():\n    while True:\n        pass\n"
    grading = Grading(ex01, spin)
    runner = Runner()
    runner.execute(grading.start(), grading.react)
    spins = [run.result.tests["test_submission.py::test_spins"] for sample in grading.samples
             for run in sample.runs if "test_submission.py::test_spins" in run.result.tests]
    assert len(spins) >= len(ex01.variants) // 2
    assert all(result.outcome == "timeout" for result in spins)
    assert any(result.duration < ex01.timeout / 2 for result in spins), [r.duration for r in spins]
    assert grading.report().tests[0].reason == "hangs"


def test_staged_as_in_a_class_a_hang_on_the_real_app_spins_there_only(ex01_quick):
    """A class's grading is staged: a suite's other runs start once its run on the real app
    has ended. A test that hung there times out at once everywhere else."""
    spin = "def test_spins():\n    while True:\n        pass\n"
    grading = Grading(ex01_quick, spin, staged=True)
    Runner().execute(grading.start(), grading.react, grading.settled)
    first = grading.base(grading.reference, IN_ORDER).outcome("test_submission.py::test_spins")
    assert first.outcome == "timeout" and first.duration >= ex01_quick.timeout
    others = [o for s in grading.samples if s.role == "base" and s is not grading.base(grading.reference, IN_ORDER)
              if (o := s.outcome("test_submission.py::test_spins")) is not None]
    assert len(others) == len(ex01_quick.variants) - 1
    assert all(o.outcome == "timeout" and o.duration < 1.0 for o in others), [o.duration for o in others]
    assert grading.report().tests[0].reason == "hangs"


def _sessions_at_the_lowest_priority() -> set[str]:
    found = set()
    for path in Path("/proc").glob("[0-9]*/autogroup"):
        try:
            text = path.read_text()
        except OSError:
            continue
        if text.split()[-1:] == ["19"]:
            found.add(text.split()[0])
    return found


@pytest.mark.skipif(not Path("/proc/self/autogroup").exists(), reason="Linux's autogroup only")
def test_a_job_whose_test_runs_long_goes_behind_the_others_session_and_all(ex01_quick):
    """Each job is a session, and Linux (autogroup) shares the CPUs between sessions by the
    session's own nice value: a spinning job whose session kept nice 0 had an equal share."""
    before = _sessions_at_the_lowest_priority()
    grading = Grading(ex01_quick, "def test_spins():\n    while True:\n        pass\n")  # more runs than CPUs
    running = threading.Thread(target=Runner().execute, args=(grading.start(), grading.react))
    running.start()
    behind = set()
    while running.is_alive():
        behind |= _sessions_at_the_lowest_priority() - before
        time.sleep(0.2)
    assert behind
    assert grading.report().tests[0].reason == "hangs"


def test_staged_a_suite_that_does_not_collect_on_the_real_app_runs_nowhere_else(ex01):
    grading = Grading(ex01, "import no_such_module\n\ndef test_x():\n    pass\n", staged=True)
    Runner().execute(grading.start(), grading.react, grading.settled)
    assert [len(s.runs) for s in grading.samples] == [1]
    report = grading.report()
    assert report.score == 0.0 and any("no_such_module" in e for e in report.errors), report.errors


def test_a_grading_out_of_time_cancels_its_waiting_runs_and_keeps_the_worker(ex01):
    """Runs cancelled before they started end at once: the grading reports the budget spent
    and the warm worker goes on serving (it is not taken for one that ignores cancels)."""
    slow = "import time\n\ndef test_slow():\n    time.sleep(1)\n"
    grading = Grading(ex01, slow)
    runner = Runner(jobs=1, budget=1.5)
    runner.execute(grading.start(), grading.react)
    ends = [run.result.end for sample in grading.samples for run in sample.runs]
    assert runner.out_of_time and ends.count("cancelled") >= 2, ends
    assert worker(1).alive()
    assert grading.report(runner.out_of_time).errors


def test_a_suite_whose_runs_gave_their_places_up_starts_its_next_run_first():
    """Runs of a suite that may hang gave their places up: its next run (perhaps the one on
    the real app, which decides the hang) is not put behind the suites graded beside it."""
    from collections import deque

    from graders.worker import Job, Worker

    worker_ = Worker(2, use_fork=False)
    try:
        jobs = [Job(n, {"task": task, "timeout": 10.0}, None, None) for n, task in ((1, 1), (2, 1), (3, 2))]
        jobs[0].demoted = jobs[1].demoted = True
        worker_.running = {job.id: job for job in jobs}
        worker_.waiting = deque([(4, {"task": 2}), (5, {"task": 1})])
        assert worker_.next_waiting()[0] == 5
        jobs[1].demoted = False  # one of its runs still holds a place, as task 2's does: in turn
        assert worker_.next_waiting()[0] == 4
    finally:
        worker_.close()


def test_a_new_job_takes_the_cpu_of_one_that_gave_its_place_up(monkeypatch):
    """A job whose test runs long runs behind the others: its CPU is the free one. Counted as
    busy, it kept a CPU to itself, at full speed whatever its priority."""
    from graders import worker as worker_module
    from graders.worker import Job, Worker

    monkeypatch.setattr(worker_module, "CPUS", [0, 1])
    worker_ = Worker(2, use_fork=False)
    try:
        spinning, working = (Job(n, {"timeout": 10.0, "cpu": cpu}, None, None) for n, cpu in ((1, 1), (2, 0)))
        worker_.running = {1: spinning, 2: working}
        assert {worker_.free_cpu() for _ in range(50)} == {0, 1}  # one job each: either
        spinning.demoted = True
        assert {worker_.free_cpu() for _ in range(50)} == {1}
    finally:
        worker_.running = {}
        worker_.close()


def test_tests_that_end_the_process_cost_only_themselves(ex01):
    report = grade(ex01, suite("exits"))
    assert set(invalid(report)) == {"test_exit_with_os_exit", "test_exit_with_sys_exit"}
    rejects = next(t for t in report.tests if t.nodeid.endswith("test_zero_price_is_rejected"))
    assert rejects.valid and rejects.catches == ["zero-price-accepted"]


def test_variants_differ_only_in_their_code_and_behaviour(ex01):
    report = grade(ex01, suite("fingerprint"))
    # Module names, files and the working directory are the same for every variant, and the
    # code that runs is the code on disk: only reading the code itself tells a defect apart
    # (a public one: see the README's threat model).
    assert report.valid and not invalid(report)
    assert {t.nodeid.split("::")[-1]: t.catches for t in report.tests if t.catches} == {
        "test_the_source_on_disk_is_the_original": ["startup-skips-catalogue"]}


@pytest.mark.skipif(not CAN_FORK, reason="no fork on this platform: spawning is the only path")
def test_spawned_children_grade_like_forked_ones(ex01):
    text = suite("weak")
    spawned = grade(ex01, text, runner=Runner(fork=False)).to_json()
    forked = grade(ex01, text).to_json()
    assert spawned.pop("sandbox") == "none"  # a fresh interpreter per job, without namespaces
    forked.pop("sandbox")
    assert spawned == forked


def test_a_worker_prepared_ahead_grades_the_same(ex01):
    # What setup(exercise=...) does when an exercise notebook starts: a new worker, started
    # from a thread of its own, which outlives that thread.
    text = suite("weak")
    before = grade(ex01, text).to_json()
    stop_workers()
    preparing = prepare(ex01)
    preparing.join(timeout=60)
    assert not preparing.is_alive()
    assert grade(ex01, text).to_json() == before


def test_a_test_that_needs_another_to_run_first_is_invalid(ex01):
    report = grade(ex01, suite("relies_on_another"))
    problems = invalid(report)
    assert set(problems) == {"test_the_remembered_item_is_a_chisel"}
    assert "relies on a test that ran before it" in problems["test_the_remembered_item_is_a_chisel"]
    assert report.score == 0.0


def test_a_test_that_fails_in_another_order_is_a_warning_or_invalid_where_strict(ex01):
    report = grade(ex01, suite("leaves_state"))
    assert report.valid and not invalid(report)
    warned = {t.nodeid.split("::")[-1]: t.warnings for t in report.tests if t.warnings}
    assert list(warned) == ["test_nothing_is_left_over_yet"]
    # With two tests, the shuffled order and the reverse are the same: the first to run says so.
    assert "order, though it passes alone" in warned["test_nothing_is_left_over_yet"][0]
    assert "fails when the tests run in" in render(report)

    strict = grade(replace(ex01, hygiene="strict"), suite("leaves_state"))
    assert set(invalid(strict)) == {"test_nothing_is_left_over_yet"} and strict.score == 0.0


def test_overrides_left_on_the_module_level_app_are_reported(ex01):
    report = grade(ex01, suite("leaks_overrides"))
    warned = {t.nodeid.split("::")[-1]: t.warnings for t in report.tests if t.warnings}
    assert "test_the_version_can_be_overridden" in warned
    assert "leaves dependency_overrides set on forge.main.app" in warned["test_the_version_can_be_overridden"][0]
    assert "get_settings" in warned["test_the_version_can_be_overridden"][0]


def test_a_clean_up_in_the_test_body_is_found_though_the_test_passes(ex01):
    report = grade(ex01, suite("cleans_up_in_body"))
    warned = {t.nodeid.split("::")[-1]: t.warnings for t in report.tests if t.warnings}
    assert list(warned) == ["test_clears_on_its_last_line"], warned
    assert "clears dependency_overrides on forge.main.app in its own body (get_settings)" in \
        warned["test_clears_on_its_last_line"][0]
    strict = grade(replace(ex01, hygiene="strict"), suite("cleans_up_in_body"))
    assert set(invalid(strict)) == {"test_clears_on_its_last_line"} and strict.score == 0.0


def test_every_run_starts_from_nothing(ex01):
    # The test fails only the first time it meets a defect, by a marker in /tmp: every run has
    # a /tmp of its own, so every run is its first, and it catches the defect every time.
    report = grade(ex01, suite("lucky_catch").replace("TOKEN", uuid.uuid4().hex))
    assert report.valid and not invalid(report)
    assert caught(report) == {"create-item-returns-200", "zero-price-accepted"}


@pytest.mark.parametrize("wheats", [0, 1], ids=["no-wheat", "one-wheat"])
def test_with_fewer_wheats_the_real_app_makes_the_hygiene_runs(ex01, wheats):
    exercise = replace(ex01, wheats=ex01.wheats[:wheats])
    relies = grade(exercise, suite("relies_on_another"))
    assert set(invalid(relies)) == {"test_the_remembered_item_is_a_chisel"}
    assert "relies on a test that ran before it" in invalid(relies)["test_the_remembered_item_is_a_chisel"]
    leaves = grade(exercise, suite("leaves_state"))
    assert leaves.valid and [t.nodeid.split("::")[-1] for t in leaves.tests if t.warnings] == [
        "test_nothing_is_left_over_yet"]
