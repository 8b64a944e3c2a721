"""Grading semantics: validity first, then thoroughness.

1. Every test runs against every correct app (the real one and the wheats). A test that fails
   on any of them is invalid: it asserts something the specification does not promise.
2. Hygiene, on correct apps, for the tests still valid: the first wheat runs the suite in a
   shuffled order, the second runs each test alone. A test that fails alone relies on another
   test, or is flaky: invalid. One that fails only in the other order depends on state that
   others leave behind: a warning, or invalid where the exercise says hygiene is strict.
   Dependency overrides left on `forge.main.app` after a test are reported the same way. A
   test that fails there runs once more, the other way (the suite in its order up to it; or
   alone), to tell these apart from a test that over-specifies.
3. A planted defect (chaff) is caught when at least one valid test fails against it, and fails
   again when it runs a second time (a hang on a chaff counts as failing, and is not waited for
   twice). The suite's score is the weighted share of defects caught, and 0 while any test is
   invalid or the suite cannot be collected.
"""
from __future__ import annotations

import hashlib
from dataclasses import asdict, dataclass, field

from graders.exercises import REFERENCE, Exercise, Variant
from graders.runner import BUDGET, Job, RunResult, Runner, Stage, prepare as prepare_worker

PASSING = {"passed", "skipped"}  # a skip neither breaks validity nor catches anything


@dataclass
class TestReport:
    nodeid: str
    valid: bool
    message: str = ""  # why it is invalid
    catches: list[str] = field(default_factory=list)  # ids of the defects it catches
    warnings: list[str] = field(default_factory=list)  # hygiene problems that cost nothing (yet)


@dataclass
class DefectReport:
    id: str
    number: int  # the anonymous marker shown to learners: #1, #2, ...
    caught: bool
    caught_by: list[str] = field(default_factory=list)
    hints: list[str] = field(default_factory=list)


@dataclass
class Report:
    exercise: str
    title: str
    score: float
    valid: bool
    tests: list[TestReport]
    defects: list[DefectReport]
    errors: list[str]

    @property
    def caught(self) -> int:
        return sum(d.caught for d in self.defects)

    def to_json(self) -> dict:
        data = asdict(self)
        data["caught"] = self.caught
        for defect in data["defects"]:
            del defect["hints"]  # hints are asked for one rung at a time, in the text report
        return data


def grade(exercise: Exercise, suite_source: str, *, runner: Runner | None = None) -> Report:
    """Grade a suite: one job per variant, each collecting the suite once (see plan)."""
    runner = runner or Runner(suite_source, timeout=exercise.timeout)
    report = judge(exercise, runner.run(plan(exercise, suite_source)))
    if runner.out_of_time:
        report.errors.append(f"grading ran out of time ({BUDGET:.0f} s): the machine may be too "
                             "busy, or the suite too slow; grade it again")
        report.valid, report.score = False, 0.0
    return report


def plan(exercise: Exercise, suite_source: str) -> list[Job]:
    """The jobs that grade a suite, longest first (the runs alone take longest): on the correct
    apps, the runs of correct_runs; on each defect, the suite in its order, then again the tests
    that failed until one fails again (under strict hygiene each alone, so that no catch rests
    on another test's leftovers)."""
    hygiene = {
        ALONE: (Stage(ALONE, isolate=True), Stage(ALONE_EXPLAINED, tests="up_to_failed")),
        SHUFFLED: (Stage(SHUFFLED, shuffle=shuffle_seed(suite_source)),
                   Stage(SHUFFLED_EXPLAINED, isolate=True, tests="failed", fresh=True)),
    }
    jobs = [Job(app.sources(), hygiene.get(key) or (Stage(key),)) for key, app in correct_runs(exercise)]
    strict = exercise.hygiene == "strict"
    for chaff in exercise.chaffs:
        confirm = Stage(CONFIRM + chaff.id, tests="failed", until_failure=True, isolate=strict, fresh=strict)
        jobs.append(Job(chaff.sources(), (Stage(chaff.id), confirm)))
    return sorted(jobs, key=lambda job: job.key != ALONE)


def correct_runs(exercise: Exercise) -> list[tuple[str, Variant]]:
    """Where the suite runs whole on a correct app, and on which: the real app in the suite's
    order; the first wheat in a shuffled order, the second each test alone (the real app, in
    jobs of their own, where there are fewer wheats); any other wheat in the suite's order.
    The run alone comes right after the real app's: a test that fails alone is told so before
    anything else."""
    reference = exercise.correct_apps[0]
    shuffled_host, alone_host, *others = [*exercise.wheats, reference, reference]
    return [(REFERENCE, reference), (ALONE, alone_host), (SHUFFLED, shuffled_host),
            *((wheat.id, wheat) for wheat in others if wheat is not reference)]


ALONE, SHUFFLED, CONFIRM = "hygiene:alone", "hygiene:shuffled", "confirm:"
ALONE_EXPLAINED, SHUFFLED_EXPLAINED = ALONE + ":then-in-order", SHUFFLED + ":then-alone"


def prepare(exercise: Exercise):
    """Start the grading worker now, in the background, with the exercise's variants imported:
    the first suite graded afterwards goes as fast as the next ones."""
    return prepare_worker([variant.sources() for variant in exercise.variants])


def shuffle_seed(suite_source: str) -> int:
    """The shuffled order is random, but the same for the same suite."""
    return int.from_bytes(hashlib.sha256(suite_source.encode()).digest()[:8], "big")


def judge(exercise: Exercise, results: dict[str, RunResult]) -> Report:
    reference = results[REFERENCE]
    errors = list(dict.fromkeys(reference.errors))
    tests = [_validity(nodeid, exercise, results) for nodeid in reference.collected]
    if not reference.collected and not errors:
        errors.append("no tests were collected: write functions whose names start with test_")
    for test in tests:
        if test.valid:
            _hygiene(test, exercise, results)
    valid_tests = [t for t in tests if t.valid]
    defects = []
    for number, chaff in enumerate(exercise.chaffs, start=1):
        runs = [results[chaff.id]] + ([results[CONFIRM + chaff.id]] if CONFIRM + chaff.id in results else [])
        # Caught only when caught every time: a defect is not caught by luck.
        catchers = [t.nodeid for t in valid_tests if all(_fails(run, t.nodeid) for run in runs)]
        for test in valid_tests:
            if test.nodeid in catchers:
                test.catches.append(chaff.id)
        defects.append(DefectReport(chaff.id, number, bool(catchers), catchers, list(chaff.hints)))
    valid = bool(tests) and not errors and len(valid_tests) == len(tests)
    total = sum(c.weight for c in exercise.chaffs)
    earned = sum(c.weight for c, d in zip(exercise.chaffs, defects) if d.caught)
    score = round(earned / total, 4) if valid and total else 0.0
    return Report(exercise.id, exercise.title, score, valid, tests, defects, errors)


def _fails(result: RunResult, nodeid: str) -> bool:
    test = result.tests.get(nodeid)
    return test is None or test.outcome not in PASSING


def _validity(nodeid: str, exercise: Exercise, results: dict[str, RunResult]) -> TestReport:
    def outcome(key: str):
        return results[key].tests.get(nodeid) if key in results else None

    def passed(key: str) -> bool:
        test = outcome(key)
        return test is not None and test.outcome in PASSING

    def invalid(message: str) -> TestReport:
        return TestReport(nodeid, False, message)

    for key, app in correct_runs(exercise):
        if passed(key):
            continue
        if key == SHUFFLED and passed(SHUFFLED_EXPLAINED):
            continue  # it passes alone there: another order is to blame (see _hygiene)
        if key == ALONE:
            alone = outcome(ALONE)
            if alone is not None and alone.outcome == "timeout":
                return invalid("did not finish in time when run alone on a correct app")
            if passed(ALONE_EXPLAINED):
                return invalid("passed in the order the suite is written, then failed when run alone: "
                               "it relies on a test that ran before it, or it is flaky (its outcome "
                               f"changes from run to run). {alone.message if alone else ''}".rstrip())
        # Where it ran the other way too, that run tells what is wrong with the test itself.
        explained = {SHUFFLED: SHUFFLED_EXPLAINED, ALONE: ALONE_EXPLAINED}.get(key)
        test = (explained and outcome(explained)) or outcome(key)
        where = "the real app" if app.id == REFERENCE else "a correct version of the app"
        if test is None:
            detail = "it did not run there (" + "; ".join(results[key].errors or ["no result"]) + ")"
        else:
            detail = test.message or test.outcome
        why = ("it fails on the real app, so it checks something the app does not do"
               if app.id == REFERENCE else
               "it fails on a correct app that differs only where the specification leaves "
               "freedom (ids, order, wording, extra fields): it over-specifies")
        if app.id == REFERENCE and passed(ALONE):
            why = ("it passes when run alone, so a test that runs before it leaves state behind "
                   "(dependency_overrides, rows, globals): fix that test's teardown")
        return invalid(f"fails on {where}: {detail}\n  why this matters: {why}")
    return TestReport(nodeid, True)


def _hygiene(test: TestReport, exercise: Exercise, results: dict[str, RunResult]) -> None:
    """For a valid test: another order, and overrides left behind."""
    other_order = results[SHUFFLED].tests.get(test.nodeid)
    problems = []
    if other_order is None or other_order.outcome not in PASSING:
        problems.append("fails when the tests run in another order, though it passes alone: an "
                        "earlier test leaves state behind (dependency_overrides, rows, globals). "
                        f"{other_order.message if other_order else ''}".rstrip())
    leaks = {key: run.leaks[test.nodeid] for key, run in results.items() if test.nodeid in run.leaks}
    if ALONE in leaks:
        problems.append(f"leaves dependency_overrides set on forge.main.app after it ends "
                        f"({', '.join(leaks[ALONE])}): clear them in a fixture's teardown")
    elif leaks:
        problems.append(f"leaves dependency_overrides set on forge.main.app when it fails "
                        f"({', '.join(sorted({o for left in leaks.values() for o in left}))}): the "
                        "clean-up after its assert never runs then; clear them in a fixture's teardown")
    if problems and exercise.hygiene == "strict":
        test.valid, test.message = False, "; ".join(problems)
        return
    test.warnings += problems


def render(report: Report, hints: int = 0) -> str:
    """The report as a learner reads it: counts, invalid tests, anonymous defect markers."""
    total = len(report.defects)
    lines = [f"{report.title} ({report.exercise})"]
    marks = " ".join(("●" if d.caught else "○") + f"#{d.number}" for d in report.defects)
    lines.append(f"Caught {report.caught} of {total} planted defects   {marks}")
    lines.append(f"Score: {report.score:.0%}" + ("" if report.valid or not report.tests else
                                                 "   (0 until every test passes on a correct app)"))
    for error in report.errors:
        lines.append(f"Problem: {error}")
        if "NotImplementedError" in error:
            lines.append("  (the placeholder `raise NotImplementedError()` is still in your cell: "
                         "replace it with your tests)")
    invalid = [t for t in report.tests if not t.valid]
    if report.tests:
        lines.append(f"Tests: {len(report.tests)} collected, {len(report.tests) - len(invalid)} valid, "
                     f"{len(invalid)} invalid")
    for test in invalid:
        lines.append(f"  ✗ {_short(test.nodeid)} {test.message}")
    warned = [t for t in report.tests if t.warnings]
    if warned:
        lines.append("Hygiene (these cost nothing here, but break real suites):")
        for test in warned:
            for warning in test.warnings:
                lines.append(f"  ! {_short(test.nodeid)} {warning}")
    valid = [t for t in report.tests if t.valid]
    if valid and report.defects:
        lines.append("Which test catches which defect:")
        width = max(len(_short(t.nodeid)) for t in valid)
        lines.append("  " + " " * width + " " + " ".join(f"#{d.number:<2}" for d in report.defects))
        for test in valid:
            cells = " ".join(" x " if d.id in test.catches else " . " for d in report.defects)
            lines.append(f"  {_short(test.nodeid):<{width}} {cells}")
    missed = [d for d in report.defects if not d.caught]
    if missed and hints > 0:
        lines.append("Hints for the defects your suite misses:")
        for defect in missed:
            for rung, hint in enumerate(defect.hints[:hints], start=1):
                lines.append(f"  #{defect.number} ({rung}/{len(defect.hints)}) {hint}")
    elif missed:
        lines.append(f"Missed: {', '.join(f'#{d.number}' for d in missed)}. Ask for hints, one rung "
                     "at a time (hints=1, 2, 3).")
    return "\n".join(lines)


def _short(nodeid: str) -> str:
    return nodeid.split("::", 1)[-1]
