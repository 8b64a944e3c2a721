"""The grading's plan and judgement, on simulated runs: which runs it asks for, and what it
makes of their outcomes. A fake worker plays each run as the real one would (the command's
order, the stop rules) with outcomes the test decides, so that chance and hangs can be
staged exactly."""
from dataclasses import replace

import pytest

from graders.grading import ALONE, IN_ORDER, ORDERS, REPEATS, Grading
from graders.runner import TestResult, ordered

TESTS = [f"test_submission.py::test_{n}" for n in "abcdef"]


def simulate(exercise, outcome, tests=TESTS):
    """Grade with a fake worker. `outcome(variant, kind, role, test, attempt)` gives a test's
    outcome ("passed", "failed" or "timeout"); `attempt` counts the runs of that test on that
    variant so far. Returns the grading and its report."""
    grading = Grading(exercise, "suite")
    attempts: dict = {}
    pending = grading.start()
    while pending:
        run = pending.pop(0)
        sample = run.tag
        result = run.result
        result.collected = list(tests)
        result.end = "completed"
        for nodeid in ordered(tests, run.command):
            key = (sample.variant.id, nodeid)
            attempts[key] = attempts.get(key, 0) + 1
            got = outcome(sample.variant, sample.kind, sample.role, nodeid, attempts[key])
            result.ran.append(nodeid)
            result.tests[nodeid] = TestResult(got, "" if got == "passed" else f"{nodeid} {got}", 0.01)
            if got == "timeout":
                result.end, result.stopped_at = "timeout", nodeid
                break
            if nodeid == run.stop_after or (got != "passed" and nodeid in run.stop_on_failure):
                result.end = "stopped"
                break
        pending += grading.react(run)
    return grading, grading.report()


def honest(catches: dict[str, str]):
    """Each chaff id fails the test named for it; everything else passes."""
    def outcome(variant, kind, role, nodeid, attempt):
        return "failed" if catches.get(variant.id) == nodeid else "passed"
    return outcome


def test_an_honest_suite_is_confirmed_by_runs_that_correct_apps_get_too(ex01):
    catches = {chaff.id: TESTS[n % len(TESTS)] for n, chaff in enumerate(ex01.chaffs)}
    grading, report = simulate(ex01, honest(catches))
    assert report.valid and report.score == 1.0
    correct = {repr(sorted(s.runs[0].command.items())) for s in grading.samples
               if s.role == "base" and s.variant.kind != "chaff"}
    for sample in grading.samples:
        if sample.variant.kind == "chaff":
            # What a run on a defect is told is what some run on a correct app is told: it
            # cannot know that it runs on a defect, nor that it is a second run.
            assert repr(sorted(sample.runs[0].command.items())) in correct, sample
    confirmations = [s for s in grading.samples if s.role == "confirm"]
    assert len(confirmations) == len(ex01.chaffs)


def test_a_second_run_uses_the_order_that_reaches_a_failure_first(ex01):
    last = TESTS[-1]
    grading, report = simulate(ex01, honest({c.id: last for c in ex01.chaffs}))
    kinds = {s.kind for s in grading.samples if s.role == "confirm"}
    assert kinds <= set(ORDERS) and IN_ORDER not in kinds  # the last test comes first elsewhere


def test_a_test_that_fails_another_order_on_its_correct_app_is_confirmed_in_order(ex01):
    def outcome(variant, kind, role, nodeid, attempt):
        if variant.kind == "chaff":
            return "failed" if nodeid == TESTS[-1] else "passed"
        # An order problem: it fails whenever it does not run in the suite's order.
        return "failed" if kind not in (IN_ORDER, ALONE) and nodeid == TESTS[-1] else "passed"
    grading, report = simulate(ex01, outcome)
    assert {s.kind for s in grading.samples if s.role == "confirm"} == {IN_ORDER}
    assert report.valid and report.score == 1.0
    assert any("order" in w for t in report.tests for w in t.warnings)


def test_a_catch_made_in_one_run_only_is_no_catch(ex01):
    chaff = ex01.chaffs[0]

    def outcome(variant, kind, role, nodeid, attempt):
        # Fails on this defect the first time only: the defect is nondeterministic, or the
        # test was lucky. On the real app it passes every time.
        return "failed" if variant.id == chaff.id and nodeid == TESTS[0] and attempt == 1 else "passed"
    grading, report = simulate(ex01, outcome)
    assert report.valid and report.caught == 0
    checks = [s for s in grading.samples if s.role == "check"]
    assert len(checks) == REPEATS and all(s.variant.kind == "reference" for s in checks)


def test_a_test_that_changes_its_mind_on_the_real_app_is_flaky(ex01):
    chaff = ex01.chaffs[0]

    def outcome(variant, kind, role, nodeid, attempt):
        if nodeid != TESTS[0]:
            return "passed"
        if variant.id == chaff.id:
            return "failed" if attempt == 1 else "passed"
        return "failed" if role == "check" and attempt == 3 else "passed"
    grading, report = simulate(ex01, outcome)
    test = report.tests[0]
    assert not test.valid and test.flaky and report.score == 0.0
    assert test.message.startswith("flaky: it passed in") and "identical runs on the real app" in test.message
    assert "planted defect" in test.message


def test_a_test_that_fails_once_on_the_real_app_is_flaky_not_wrong(ex01):
    def outcome(variant, kind, role, nodeid, attempt):
        return "failed" if variant.kind == "reference" and nodeid == TESTS[2] and attempt == 1 else "passed"
    grading, report = simulate(ex01, outcome)
    test = report.tests[2]
    assert not test.valid and test.flaky
    assert "passed in" in test.message and f"of {REPEATS + 1} identical runs" in test.message


def test_a_test_that_fails_every_time_on_a_wheat_over_specifies(ex01):
    wheat = ex01.wheats[0]

    def outcome(variant, kind, role, nodeid, attempt):
        return "failed" if variant.id == wheat.id and nodeid == TESTS[1] else "passed"
    grading, report = simulate(ex01, outcome)
    test = report.tests[1]
    assert not test.valid and not test.flaky and "over-specifies" in test.message
    repeats = [s for s in grading.samples if s.role == "repeat"]
    assert len(repeats) == REPEATS and all(s.variant.id == wheat.id for s in repeats)


def test_a_test_that_relies_on_one_before_it_is_invalid(ex01):
    def outcome(variant, kind, role, nodeid, attempt):
        # test_b passes only where test_a ran before it in the same process.
        return "failed" if nodeid == TESTS[1] and kind not in (IN_ORDER,) else "passed"
    _, report = simulate(ex01, outcome)
    assert "relies on a test that ran before it" in report.tests[1].message


def test_a_hang_on_a_correct_app_is_waited_for_once(ex01):
    def outcome(variant, kind, role, nodeid, attempt):
        if nodeid == TESTS[1]:
            return "timeout"
        return "failed" if variant.kind == "chaff" and nodeid == TESTS[3] else "passed"
    grading, report = simulate(ex01, outcome)
    hung = report.tests[1]
    assert not hung.valid and "did not finish in time" in hung.message
    # Every run went on after it, and nothing ran it again once a correct app had hung on it.
    waited = [s for s in grading.samples for r in s.runs if r.result.stopped_at == TESTS[1]]
    assert all(s.role in ("base", "scan") for s in waited)
    assert all(TESTS[3] in s.ran for s in grading.samples if s.role == "base")
    others = [t for t in report.tests if t.nodeid != TESTS[1]]
    assert all(t.valid for t in others)
    assert [t.catches for t in others if t.catches] == [[c.id for c in ex01.chaffs]]


def test_several_hanging_tests_are_found_together(ex01):
    def outcome(variant, kind, role, nodeid, attempt):
        return "timeout" if nodeid in TESTS[1:4] else "passed"
    grading, report = simulate(ex01, outcome)
    assert {t.nodeid for t in report.tests if not t.valid} == set(TESTS[1:4])
    scans = [s for s in grading.samples if s.role == "scan"]
    assert {s.target for s in scans} == set(TESTS[2:])  # all at once, after the first hang


def test_strict_hygiene_wants_a_catch_that_fails_alone_too(ex01):
    strict = replace(ex01, hygiene="strict")

    def outcome(variant, kind, role, nodeid, attempt):
        # Fails on every defect, but only after another test ran before it.
        return "failed" if variant.kind == "chaff" and nodeid == TESTS[1] and kind != ALONE else "passed"
    grading, report = simulate(strict, outcome)
    assert report.valid and report.caught == 0
    assert all(s.kind == ALONE for s in grading.samples if s.role == "alone-confirm")


@pytest.mark.parametrize("wheats", [0, 1])
def test_with_fewer_wheats_the_real_app_runs_the_other_orders(ex01, wheats):
    exercise = replace(ex01, wheats=ex01.wheats[:wheats])
    grading, report = simulate(exercise, honest({}))
    bases = {(s.variant.id, s.kind) for s in grading.samples if s.role == "base" and s.variant.kind != "chaff"}
    assert {kind for _, kind in bases} == set(ORDERS)
    assert report.valid


def test_where_hygiene_is_strict_a_test_that_fails_alone_is_invalid(ex01):
    def outcome(variant, kind, role, nodeid, attempt):
        # Needs some other test to have run first, whichever: every order works, alone not.
        return "failed" if nodeid == TESTS[2] and kind == ALONE else "passed"
    _, relaxed = simulate(ex01, outcome)
    assert relaxed.valid  # only strict exercises promise a run of each test alone
    _, strict = simulate(replace(ex01, hygiene="strict"), outcome)
    assert not strict.valid
    assert "then failed when run alone: it relies on a test that ran before it" in strict.tests[2].message
