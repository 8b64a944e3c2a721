"""Grading semantics: validity first, then thoroughness.

A suite runs in separate processes against every version of the app, each process told only
"run these tests, in this order" (graders.child): every test in the suite's order, in the
reverse order, in a shuffled order (the same for a given suite), or each test alone in a
process of its own.

1. Validity. The real app runs the suite in order, the first wheat shuffled, the second in
   reverse (the real app makes these runs where there are fewer wheats), any other wheat in
   order; where the exercise's hygiene is strict, the second wheat also runs each test alone. A test that fails there runs again the same way on the same app, up to five times:
   one whose outcome changes is *flaky*. One that fails every time is invalid, and runs the
   other way (alone; in order) say why: it over-specifies, or relies on a test before it, or
   (in another order only) fails because an earlier test leaves state behind, which is a
   hygiene warning, invalid where the exercise's hygiene is strict; so are dependency
   overrides left on `forge.main.app`.
2. Thoroughness. Each planted defect (chaff) runs the suite in order. Where tests fail, a
   second run confirms it: a fresh process with a command that a correct app gets too (in
   order, shuffled or reversed, whichever reaches a failed test first), stopped once one of
   them fails again. The process cannot tell that it is a second run. A test whose outcome on
   the defect differs between the two runs runs again on the real app, up to five times: a
   test that fails there is flaky; one that does not (the defect itself may behave
   differently from run to run) does not count as catching that defect. Under strict hygiene
   a catch must also fail alone. A test that hangs on a defect catches it.
3. A hang on a correct app makes a test invalid, and it is not run again anywhere: the other
   runs go on after it, and the tests not yet run on the real app each run alone at once, so
   that several hanging tests cost about one timeout together. Where many suites are graded
   at once (a class), each suite's other runs wait for its run on the real app, so that a
   test hanging there spins on no other app.
4. The score is the weighted share of defects caught by valid tests, 0 while any test is
   invalid or the suite cannot be collected.
"""
from __future__ import annotations

import hashlib
import queue
import threading
from dataclasses import asdict, dataclass, field
from typing import Callable

from graders.exercises import REFERENCE, Exercise, Variant
from graders.runner import (BUDGET, Run, Runner, Task, TestResult, WorkerProcess, default_parallel, ordered,
                            prepare as prepare_worker)

# Why a test is invalid, as the class report counts it.
INVALID_REASONS = {
    "flaky": "flaky: its outcome changes between identical runs",
    "hangs": "does not finish in time on a correct app",
    "not run": "did not run on a correct app",
    "depends": "relies on a test that runs before it",
    "wrong": "fails on the real app",
    "overspecified": "over-specifies: fails on a correct version that differs where the instructions leave freedom",
    "state": "fails after another test that leaves state behind",
    "hygiene": "leaves state behind (an exercise about isolation)",
}
IN_ORDER, SHUFFLED, REVERSED, ALONE = "in order", "shuffled", "reversed", "alone"
ORDERS = (IN_ORDER, SHUFFLED, REVERSED)  # the commands a correct app and a defect may both get
REPEATS = 5  # more runs of a test that failed on a correct app: flaky or not
CONFIRM_GRACE = 1.0  # seconds, at least, for a test that failed on a defect to fail again


@dataclass
class TestReport:
    __test__ = False  # not a pytest test class

    nodeid: str
    valid: bool
    message: str = ""  # why it is invalid
    catches: list[str] = field(default_factory=list)  # ids of the defects it catches
    warnings: list[str] = field(default_factory=list)  # hygiene problems that cost nothing (yet)
    flaky: bool = False
    reason: str = ""  # why it is invalid, in a word (INVALID_REASONS): for a class's statistics


@dataclass
class DefectReport:
    id: str
    number: int  # the anonymous marker shown to learners: #1, #2, ...
    caught: bool
    caught_by: list[str] = field(default_factory=list)
    hints: list[str] = field(default_factory=list)
    private: bool = False


@dataclass
class Report:
    exercise: str
    title: str
    score: float
    valid: bool
    tests: list[TestReport]
    defects: list[DefectReport]
    errors: list[str]
    sandbox: str = ""

    @property
    def caught(self) -> int:
        return sum(d.caught for d in self.defects)

    def to_json(self) -> dict:
        data = asdict(self)
        data["caught"] = self.caught
        for defect in data["defects"]:
            del defect["hints"]  # hints are asked for one rung at a time, in the text report
        return data


@dataclass(eq=False)
class Sample:
    """One run of the suite against one app, made of one job, or several where a test hung
    or ended its process and the rest of the run went on in a new one."""

    variant: Variant
    kind: str
    role: str  # base, repeat, explain, confirm, alone-confirm, check, scan
    runs: list[Run] = field(default_factory=list)
    target: str | None = None  # the test it is about (check, scan)

    def outcome(self, nodeid: str) -> TestResult | None:
        for run in self.runs:
            if nodeid in run.result.tests:
                return run.result.tests[nodeid]
        return None

    @property
    def ran(self) -> list[str]:
        return [n for run in self.runs for n in run.result.ran]

    @property
    def collected(self) -> list[str] | None:
        return self.runs[0].result.collected if self.runs else None

    def failing(self) -> list[str]:
        """Tests that did not pass, in the order they ran."""
        return [n for n in self.ran if (o := self.outcome(n)) is not None and not o.passed]


class Grading:
    """The runs that grade one suite, decided as earlier ones end, and the report."""

    def __init__(self, exercise: Exercise, suite: str, staged: bool = False):
        self.exercise, self.suite = exercise, suite
        # Staged (a class's grading, where throughput counts, not one suite's wait): the suite's
        # run on the real app comes first, and its other runs only once that one has ended. A
        # test that hangs there is then found once, not spun on every app, and a suite that
        # does not collect there runs nowhere else.
        self.staged, self.held = staged, staged
        self.seed = shuffle_seed(suite)
        reference, *wheats = exercise.correct_apps
        self.reference = reference
        self.hosts = {IN_ORDER: reference, SHUFFLED: (wheats + [reference])[0],
                      REVERSED: (wheats[1:] + [reference])[0]}
        self.samples: list[Sample] = []
        self.hung: set[str] = set()  # tests that hung on a correct app: never waited for again
        self.scanned = False
        self.checked: set[str] = set()  # tests run again on the real app after a defect's runs

    # -- the runs ---------------------------------------------------------------------------

    def command(self, kind: str, only: list[str] | None = None, skip=()) -> dict:
        return {"suite": self.suite, "seed": self.seed if kind == SHUFFLED else None,
                "reverse": kind == REVERSED, "alone": kind == ALONE, "only": only, "skip": sorted(skip)}

    def run(self, sample: Sample, only=None, skip=(), **control) -> Run:
        run = Run(sample.variant, self.command(sample.kind, only, skip), self.exercise.timeout,
                  tag=sample, **control)
        sample.runs.append(run)
        return run

    def sample(self, variant: Variant, kind: str, role: str, target: str | None = None) -> Sample:
        sample = Sample(variant, kind, role, target=target)
        self.samples.append(sample)
        return sample

    def start(self) -> list[Run]:
        first = self.run(self.sample(self.reference, IN_ORDER, "base"))
        return [first] if self.staged else [first] + self.other_bases()

    def other_bases(self) -> list[Run]:
        runs = [self.run(self.sample(app, kind, "base")) for kind, app in self.hosts.items() if kind != IN_ORDER]
        if self.exercise.hygiene == "strict":  # where the instructions promise it: each test alone
            runs.append(self.run(self.sample(self.hosts[REVERSED], ALONE, "base")))
        for wheat in self.exercise.wheats:
            if wheat not in self.hosts.values():
                runs.append(self.run(self.sample(wheat, IN_ORDER, "base")))
        runs += [self.run(self.sample(chaff, IN_ORDER, "base")) for chaff in self.exercise.chaffs]
        return runs

    def settled(self) -> bool:
        """Whether nothing more can change the report: the suite did not collect (or has no
        tests) on the real app. The report then says only why, and the score is 0."""
        first = self.base(self.reference, IN_ORDER).runs[0].result
        return bool(first.end) and not first.collected

    def react(self, run: Run) -> list[Run]:
        """The runs that follow from one that ended."""
        new = self._follow_run(run)
        if self.held and run.tag is self.base(self.reference, IN_ORDER) and run.result.end not in ("worker", "cancelled") \
                and not any(r.tag is run.tag for r in new):
            self.held = False  # the run on the real app is over: the others may start
            if not self.settled():
                new += self.other_bases()
        return new

    def _follow_run(self, run: Run) -> list[Run]:
        sample: Sample = run.tag
        result, new = run.result, []
        if result.end in ("worker", "cancelled"):
            return []
        if result.end in ("timeout", "died") and result.collected is not None:
            test = result.stopped_at
            if result.end == "timeout" and test and sample.variant.kind != "chaff":
                self.hung.add(test)
                new += self.scan()
            if not self._reached_its_goal(sample, run):
                done = {n for r in sample.runs for n in r.result.ran}
                left = [n for n in ordered(result.collected, run.command) if n not in done and n not in self.hung]
                if left:  # the rest of the run goes on in a new process
                    new.append(self.run(sample, only=run.command["only"], skip=done | self.hung,
                                        grace=run.grace, stop_after=run.stop_after,
                                        stop_on_failure=run.stop_on_failure))
                    return new
        return new + self.follow(sample)

    def _reached_its_goal(self, sample: Sample, run: Run) -> bool:
        if run.stop_after and sample.outcome(run.stop_after) is not None:
            return True
        return any((o := sample.outcome(n)) is not None and not o.passed for n in run.stop_on_failure)

    def follow(self, sample: Sample) -> list[Run]:
        """What a finished sample asks for next."""
        if sample.collected is None:
            return []
        if sample.role == "confirm":
            return self.after_confirmation(sample)
        failing = [n for n in sample.failing() if n not in self.hung]
        if not failing or sample.role != "base":
            return []
        if sample.variant.kind == "chaff":
            return [self.confirmation(sample, failing)]
        return self.repeats(sample, failing) + self.explanations(sample, failing)

    def repeats(self, sample: Sample, failing: list[str]) -> list[Run]:
        """The same run again, up to where its failures are: flaky, or failing every time?"""
        failures = [n for n in failing if sample.outcome(n).outcome != "timeout"]
        if not failures:
            return []
        return [self.run(self.sample(sample.variant, sample.kind, "repeat"), stop_after=failures[-1])
                for _ in range(REPEATS)]

    def explanations(self, sample: Sample, failing: list[str]) -> list[Run]:
        """The other ways, on the same app: each failing test alone; and, for another order
        or alone, the suite in its order up to them."""
        runs = [] if sample.kind == ALONE else [self.run(self.sample(sample.variant, ALONE, "explain"), only=failing)]
        if sample.kind != IN_ORDER:
            last = max(failing, key=sample.collected.index)
            runs.append(self.run(self.sample(sample.variant, IN_ORDER, "explain"), stop_after=last))
        return runs

    def confirmation(self, first: Sample, failing: list[str]) -> Run:
        """A second run on the defect, in a fresh process, with a command that correct apps
        get too; stopped once a test that failed in the first fails again."""
        order = first.collected
        # Another order only where its correct app passed every one of these tests: a test
        # that fails there anyway (an order problem) would "confirm" anything.
        usable = [IN_ORDER] + [k for k in (SHUFFLED, REVERSED)
                               if all((o := self.base(self.hosts[k], k).outcome(n)) is not None and o.passed
                                      for n in failing)]
        reach = {kind: min(ordered(order, self.command(kind)).index(n) for n in failing) for kind in usable}
        kind = min(reach, key=lambda k: (reach[k], ORDERS.index(k)))
        grace = {}
        for nodeid in failing:
            took = self.correct_duration(nodeid)
            outcome = first.outcome(nodeid)
            if outcome.outcome != "timeout":
                took = max(took, outcome.duration)
            grace[nodeid] = min(self.exercise.timeout, max(CONFIRM_GRACE, 3 * took))
        return self.run(self.sample(first.variant, kind, "confirm"), grace=grace, stop_on_failure=failing)

    def after_confirmation(self, second: Sample) -> list[Run]:
        first = self.base(second.variant)
        runs = []
        for nodeid in second.ran:
            again, before = second.outcome(nodeid), first.outcome(nodeid)
            if again is None or before is None or again.passed == before.passed or nodeid in self.checked:
                continue
            # Another outcome on the same defect: the test may be flaky. The real app says.
            self.checked.add(nodeid)
            for _ in range(REPEATS):
                check = self.sample(self.reference, IN_ORDER, "check", target=nodeid)
                runs.append(self.run(check, stop_after=nodeid))
        if self.exercise.hygiene == "strict":
            confirmed = [n for n in first.failing() if (o := second.outcome(n)) is None or not o.passed]
            if confirmed:
                runs.append(self.run(self.sample(second.variant, ALONE, "alone-confirm"),
                                     only=confirmed, stop_on_failure=confirmed))
        return runs

    def scan(self) -> list[Run]:
        """After the first hang on a correct app: every test not yet run on the real app runs
        alone there, all at once, so that the next hanging test is found in the same time."""
        if self.scanned:
            return []
        self.scanned = True
        base = self.base(self.reference, IN_ORDER)
        done = set(base.ran)
        runs = []
        for nodeid in base.collected or []:
            if nodeid not in done and nodeid not in self.hung:
                runs.append(self.run(self.sample(self.reference, ALONE, "scan", target=nodeid), only=[nodeid]))
        return runs

    # -- what the runs say ------------------------------------------------------------------

    def base(self, variant: Variant, kind: str | None = None) -> Sample:
        return next(s for s in self.samples if s.variant is variant and s.role == "base"
                    and (kind is None or s.kind == kind))

    def find(self, variant: Variant, kind: str, role: str) -> list[Sample]:
        return [s for s in self.samples if s.variant is variant and s.kind == kind and s.role == role]

    def correct_duration(self, nodeid: str) -> float:
        durations = [o.duration for s in self.samples if s.variant.kind != "chaff"
                     and (o := s.outcome(nodeid)) is not None and o.passed]
        return max(durations, default=0.0)

    def report(self, out_of_time: bool = False, sandbox: str = "") -> Report:
        exercise = self.exercise
        reference = self.base(self.reference, IN_ORDER)
        errors = list(dict.fromkeys(e for run in reference.runs for e in run.result.errors))
        collected = reference.collected or []
        if not collected and not errors:
            errors.append("no tests were collected: write functions whose names start with test_")
        tests = [self.validity(nodeid) for nodeid in collected]
        for test in tests:
            if test.valid:
                self.hygiene(test)
        valid_tests = [t for t in tests if t.valid]
        defects = []
        for number, chaff in enumerate(exercise.chaffs, start=1):
            catchers = [t.nodeid for t in valid_tests if self.catches(chaff, t.nodeid)]
            for test in valid_tests:
                if test.nodeid in catchers:
                    test.catches.append(chaff.id)
            defects.append(DefectReport(chaff.id, number, bool(catchers), catchers,
                                        list(chaff.hints), chaff.private))
        if out_of_time:
            errors.append(f"grading ran out of time ({BUDGET:.0f} s): the machine may be too "
                          "busy, or the suite too slow; grade it again")
        valid = bool(tests) and not errors and len(valid_tests) == len(tests)
        total = sum(c.weight for c in exercise.chaffs)
        earned = sum(c.weight for c, d in zip(exercise.chaffs, defects) if d.caught)
        score = round(earned / total, 4) if valid and total else 0.0
        return Report(exercise.id, exercise.title, score, valid, tests, defects, errors, sandbox)

    def catches(self, chaff: Variant, nodeid: str) -> bool:
        """Failed on the defect, and again wherever it ran again there (a test stopped before
        it was reached counts on its first run)."""
        first = self.base(chaff).outcome(nodeid)
        if first is None or first.passed:
            return False
        return all((o := s.outcome(nodeid)) is None or not o.passed
                   for s in self.samples if s.variant is chaff and s.role != "base")

    def validity(self, nodeid: str) -> TestReport:
        def invalid(message: str, reason: str, flaky: bool = False) -> TestReport:
            return TestReport(nodeid, False, message, flaky=flaky, reason=reason)

        flaky = self.flakiness(nodeid)
        if flaky:
            return invalid(flaky, "flaky", flaky=True)
        for sample in self.correct_bases():
            app, kind = sample.variant, sample.kind
            outcome = sample.outcome(nodeid)
            where = "the real app" if app.kind == "reference" else "a correct version of the app"
            if outcome is not None and outcome.passed:
                continue
            if outcome is not None and outcome.outcome == "timeout":
                return invalid(f"did not finish in time on {where}", "hangs")
            if outcome is None:
                scanned = [o for s in self.samples if s.role == "scan" and s.target == nodeid
                           if (o := s.outcome(nodeid)) is not None]
                if scanned and scanned[0].outcome == "timeout":
                    return invalid(f"did not finish in time when run alone on {where}", "hangs")
                if self.hung:
                    continue  # not run there because another test hung: that test is to blame
                detail = "; ".join(dict.fromkeys(e for r in sample.runs for e in r.result.errors)) or "no result"
                return invalid(f"fails on {where}: it did not run there ({detail})", "not run")
            alone = outcome if kind == ALONE else self.explained(app, ALONE, nodeid)
            in_order = self.explained(app, IN_ORDER, nodeid) if kind != IN_ORDER else outcome
            if kind not in (IN_ORDER, ALONE) and alone is not None and alone.passed:
                continue  # it passes alone there: another order is to blame (see hygiene)
            if kind != IN_ORDER and in_order is not None and in_order.passed:
                how = "when run alone" if kind == ALONE else f"in {kind} order"
                return invalid(f"passed in the order the suite is written, then failed {how}: it "
                               f"relies on a test that ran before it. {outcome.message}".rstrip(), "depends")
            reason = "wrong" if app.kind == "reference" else "overspecified"
            why = ("it fails on the real app, so it checks something the app does not do"
                   if app.kind == "reference" else
                   "it fails on a correct app that differs only where the specification leaves "
                   "freedom (ids, order, wording, extra fields): it over-specifies")
            if kind == IN_ORDER and alone is not None and alone.passed:
                reason = "state"
                why = ("it passes when run alone, so a test that runs before it leaves state behind "
                       "(dependency_overrides, rows, globals): fix that test's teardown")
            shown = alone if kind not in (IN_ORDER, ALONE) and alone is not None else outcome
            return invalid(f"fails on {where}: {shown.message or shown.outcome}\n  why this matters: {why}", reason)
        return TestReport(nodeid, True)

    def correct_bases(self) -> list[Sample]:
        """The base runs on correct apps: the real app first, then the other orders."""
        bases = [s for s in self.samples if s.role == "base" and s.variant.kind != "chaff"]
        return sorted(bases, key=lambda s: (s.variant.kind != "reference" or s.kind != IN_ORDER,
                                            s.kind != ALONE, ORDERS.index(s.kind) if s.kind in ORDERS else 9))

    def explained(self, app: Variant, kind: str, nodeid: str) -> TestResult | None:
        found = [o for s in self.samples if s.variant is app and s.role == "explain" and s.kind == kind
                 if (o := s.outcome(nodeid)) is not None]
        return found[0] if found else None

    def flakiness(self, nodeid: str) -> str:
        """Why the test is flaky (its outcome changed between identical runs on a correct
        app), or ""."""
        for sample in self.samples:
            if sample.role != "base" or sample.variant.kind == "chaff":
                continue
            same = [s for s in self.samples if s.variant is sample.variant and s.kind == sample.kind
                    and s.role in ("base", "repeat", "check")]
            outcomes = [o for s in same if (o := s.outcome(nodeid)) is not None]
            passes = sum(o.passed for o in outcomes)
            if 0 < passes < len(outcomes):
                failure = next(o for o in outcomes if not o.passed)
                where = "the real app" if sample.variant.kind == "reference" else "a correct version of the app"
                how = "" if sample.kind == IN_ORDER else f" ({sample.kind})"
                also = (" It also changed its outcome between two runs against a planted defect."
                        if nodeid in self.checked else "")
                return (f"flaky: it passed in {passes} and failed in {len(outcomes) - passes} of "
                        f"{len(outcomes)} identical runs on {where}{how} ({failure.message or failure.outcome}).{also}"
                        "\n  why this matters: a test must give the same result every time it runs "
                        "against the same app; a flaky test catches nothing")
        return ""

    def hygiene(self, test: TestReport) -> None:
        """For a valid test: other orders, and overrides left behind."""
        nodeid = test.nodeid
        problems = []
        for kind in (SHUFFLED, REVERSED):
            outcome = self.base(self.hosts[kind], kind).outcome(nodeid)
            if outcome is not None and not outcome.passed:
                problems.append(f"fails when the tests run in {kind} order, though it passes alone: an "
                                "earlier test leaves state behind (dependency_overrides, rows, globals). "
                                f"{outcome.message}".rstrip())
                break
        after, failing, in_body = set(), set(), set()
        for sample in self.correct_bases():
            for run in sample.runs:
                if nodeid in run.result.leaks:
                    outcome = run.result.tests.get(nodeid)
                    (after if outcome is not None and outcome.passed else failing).update(run.result.leaks[nodeid])
                in_body.update(run.result.cleanups.get(nodeid, ()))
        if after:
            problems.append(f"leaves dependency_overrides set on forge.main.app after it ends "
                            f"({', '.join(sorted(after))}): clear them in a fixture's teardown")
        elif failing:
            problems.append(f"leaves dependency_overrides set on forge.main.app when it fails "
                            f"({', '.join(sorted(failing))}): the clean-up after its assert never runs "
                            "then; clear them in a fixture's teardown")
        elif in_body:
            problems.append(f"clears dependency_overrides on forge.main.app in its own body "
                            f"({', '.join(sorted(in_body))}): when an assert before that line fails, "
                            "the clean-up never runs and the overrides reach the next tests; clear "
                            "them in a fixture's teardown")
        if problems and self.exercise.hygiene == "strict":
            test.valid, test.message, test.reason = False, "; ".join(problems), "hygiene"
            return
        test.warnings += problems


def grade(exercise: Exercise, suite_source: str, *, runner: Runner | None = None) -> Report:
    """Grade a suite (see the module's docstring)."""
    runner = runner or Runner()
    grading = Grading(exercise, suite_source)
    runner.execute(grading.start(), grading.react, grading.settled)
    return grading.report(runner.out_of_time, runner.sandbox)


class Pool:
    """Grades many suites at once, each as `grade` would but staged (see Grading), on one warm
    worker of its own: the runs of every suite in hand share the worker's `jobs` places, so
    that the CPUs stay busy while any suite waits for its next runs. A worker that dies is
    replaced; the suites it was running report it."""

    def __init__(self, jobs: int | None = None, budget: float = BUDGET):
        self.jobs, self.budget = jobs or default_parallel(), budget
        self.incoming: queue.Queue = queue.Queue()
        self.worker = WorkerProcess(self.jobs)
        self.thread = threading.Thread(target=self._serve, name="graders-pool", daemon=True)
        self.thread.start()

    def submit(self, exercise: Exercise, suite_source: str, done: Callable[[Report], None]) -> None:
        """Grade the suite; `done` gets its report, from the pool's thread."""
        grading = Grading(exercise, suite_source, staged=True)

        def finished(task: Task) -> None:
            done(grading.report(task.out_of_time, self.worker.sandbox))

        self.incoming.put(Task(grading.start(), grading.react, self.budget, finished, grading.settled))

    def prepare(self, exercises: list[Exercise]) -> None:
        """Have the worker import every variant of these exercises now, while the first suites
        run on the real app: their other runs then find them ready."""
        self.worker.prepare_soon([v for exercise in exercises for v in exercise.variants])

    def _serve(self) -> None:
        while self.worker.drive([], self.incoming):
            self.worker = WorkerProcess(self.jobs)  # it died under load: go on with a new one

    def close(self) -> None:
        self.incoming.put(None)
        self.thread.join()
        self.worker.close()

def prepare(exercise: Exercise):
    """Start the grading worker now, in the background, with the exercise's variants imported:
    the first suite graded afterwards goes as fast as the next ones."""
    return prepare_worker(list(exercise.variants))


def shuffle_seed(suite_source: str) -> int:
    """The shuffled order is random, but the same for the same suite."""
    return int.from_bytes(hashlib.sha256(suite_source.encode()).digest()[:8], "big")


def render(report: Report, hints: int = 0) -> str:
    """The report as a learner reads it in plain text (graders/feedback.py has both forms)."""
    from graders.feedback import Feedback

    return Feedback(report, hints).text()
