"""Grading semantics: validity first, then thoroughness.

1. Every test runs against every correct app (the real one and the wheats). A test that fails
   on any of them is invalid: it asserts something the specification does not promise.
2. Hygiene, on the real app, for the tests still valid: each test runs again, alone (one that
   then fails relies on another test, or is flaky: invalid), and the tests run in a shuffled
   order (one that then fails depends on state that others leave behind: a warning, or invalid
   where the exercise says hygiene is strict). Dependency overrides left on `forge.main.app`
   after a test are reported the same way.
3. A planted defect (chaff) is caught when at least one valid test fails against it, in two
   separate runs (a hang on a chaff counts as failing, and is not waited for twice). The suite's score is the weighted share
   of defects caught, and 0 while any test is invalid or the suite cannot be collected.
"""
from __future__ import annotations

import hashlib
from dataclasses import asdict, dataclass, field

from graders.exercises import REFERENCE, Exercise
from graders.runner import BUDGET, Job, Run, RunResult, Runner, prepare as prepare_worker

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


def grade(exercise: Exercise, suite_source: str, *, runner: Runner | None = None,
          hygiene: bool = True) -> Report:
    """Grade a suite: one job per variant, each collecting the suite once. The real app's job
    then runs the suite again in a shuffled order and each test alone; a defect's job runs
    again the tests that failed on it, until one fails a second time."""
    runner = runner or Runner(suite_source, timeout=exercise.timeout)
    jobs = []
    for variant in exercise.variants:
        then: tuple[Run, ...] = ()
        if hygiene and variant.id == REFERENCE:
            then = (Run(SHUFFLED, shuffle=shuffle_seed(suite_source)), Run(ALONE, isolate=True))
        elif hygiene and variant.kind == "chaff":
            # Under strict hygiene each test alone, so no catch rests on another test's leftovers.
            then = (Run(CONFIRM + variant.id, confirm=True, isolate=exercise.hygiene == "strict"),)
        jobs.append(Job(variant.id, variant.sources(), then=then))
    report = judge(exercise, runner.run(jobs))
    if runner.out_of_time:
        report.errors.append(f"grading ran out of time ({BUDGET:.0f} s): the machine may be too "
                             "busy, or the suite too slow; grade it again")
        report.valid, report.score = False, 0.0
    return report


ALONE, SHUFFLED, CONFIRM = "hygiene:alone", "hygiene:shuffled", "confirm:"


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
    for app in exercise.correct_apps:
        test = results[app.id].tests.get(nodeid)
        if test is not None and test.outcome in PASSING:
            continue
        where = "the real app" if app.id == REFERENCE else "a correct version of the app"
        if test is None:
            detail = "it did not run there (" + "; ".join(results[app.id].errors or ["no result"]) + ")"
        else:
            detail = test.message or test.outcome
        alone = results[ALONE].tests.get(nodeid) if ALONE in results else None
        why = ("it fails on the real app, so it checks something the app does not do"
               if app.id == REFERENCE else
               "it fails on a correct app that differs only where the specification leaves "
               "freedom (ids, order, wording, extra fields): it over-specifies")
        if app.id == REFERENCE and alone is not None and alone.outcome in PASSING:
            why = ("it passes when run alone, so a test that runs before it leaves state behind "
                   "(dependency_overrides, rows, globals): fix that test's teardown")
        return TestReport(nodeid, False, f"fails on {where}: {detail}\n  why this matters: {why}")
    return TestReport(nodeid, True)


def _hygiene(test: TestReport, exercise: Exercise, results: dict[str, RunResult]) -> None:
    """Flaky, alone and shuffled runs on the real app; overrides left behind."""
    def outcome(key: str):
        return results[key].tests.get(test.nodeid) if key in results else None

    def invalidate(message: str) -> None:
        test.valid, test.message = False, message

    alone, other_order = outcome(ALONE), outcome(SHUFFLED)
    if alone is not None and alone.outcome == "timeout":
        return invalidate("did not finish in time when run again, alone, on the real app")
    if ALONE in results and (alone is None or alone.outcome not in PASSING):
        return invalidate("passed on the real app, then failed when run again alone: it relies on "
                          "a test that ran before it, or it is flaky (its outcome changes from run "
                          f"to run). {alone.message if alone else ''}".rstrip())
    problems = []
    if SHUFFLED in results and (other_order is None or other_order.outcome not in PASSING):
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
        return invalidate("; ".join(problems))
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
