"""Run a learner's suite against variants of the app, each run in a process of its own.

The grading process never runs learner code. It hands runs to a warm worker
(graders/worker.py), started once per grading process and kept for the next suite, and
decides, as each run ends, which runs come next (graders.grading). A run is what one job
process does: collect the suite against one variant and run it as its command says; the
worker ends it early where the run says so, or where a test takes too long.
"""
from __future__ import annotations

import atexit
import itertools
import json
import os
import queue
import random
import selectors
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from graders.exercises import Variant

# Seconds for grading one suite, whatever it does: inside nbgrader's per-cell limit
# (c.Execute.timeout in nbgrader_config.py).
BUDGET = 240.0
CLOSE_SECONDS = 5.0  # for a worker told to end to stop its jobs and remove its files
ROOT = Path(__file__).resolve().parent.parent
PASSING = {"passed", "skipped"}  # a skip neither breaks validity nor catches anything


@dataclass
class TestResult:
    __test__ = False  # not a pytest test class

    outcome: str  # passed, failed, skipped, timeout
    message: str = ""
    duration: float = 0.0

    @property
    def passed(self) -> bool:
        return self.outcome in PASSING


@dataclass
class RunResult:
    """What one run did with the suite."""

    collected: list[str] | None = None
    tests: dict[str, TestResult] = field(default_factory=dict)
    ran: list[str] = field(default_factory=list)  # tests in the order they started
    errors: list[str] = field(default_factory=list)
    leaks: dict[str, list[str]] = field(default_factory=dict)  # test -> overrides it left set
    cleanups: dict[str, list[str]] = field(default_factory=dict)  # test -> overrides it removed in its body
    end: str = ""  # completed, stopped, timeout, died, cancelled
    stopped_at: str | None = None  # the test that hung or ended the process


@dataclass(eq=False)
class Task:
    """One grading's share of a worker: its first runs, what comes after each run ends, its
    time budget in seconds (counted from when its runs are sent), and what to do once no run
    of it is left."""

    runs: list
    react: Callable
    budget: float
    done: Callable = lambda task: None
    settled: Callable = lambda: False  # nothing more can change the result: cancel the rest
    out_of_time: bool = False
    stopped: bool = False  # no more runs (out of time, or settled): the rest are cancelled
    budget_end: float = 0.0
    jobs: set = field(default_factory=set)
    number: int = 0  # the worker starts the waiting jobs of the task with fewest running first


@dataclass(eq=False)
class Run:
    """One job: the suite against one variant, as `command` says (graders.child.order),
    stopped by the worker after `stop_after` has run or once a test of `stop_on_failure` has
    failed. `timeout` is the seconds a test may take; `grace` gives some tests less."""

    variant: Variant
    command: dict
    timeout: float
    grace: dict[str, float] = field(default_factory=dict)
    stop_after: str | None = None
    stop_on_failure: list[str] = field(default_factory=list)
    tag: object = None  # what the run is for: the grading's own business
    result: RunResult = field(default_factory=RunResult)

    def job(self) -> dict:
        return {"variant": {"sources": self.variant.sources()}, "command": self.command,
                "timeout": self.timeout, "grace": self.grace, "stop_after": self.stop_after,
                "stop_on_failure": self.stop_on_failure}


def ordered(nodeids: list[str], command: dict) -> list[str]:
    """The tests a command runs, in its order: the suite's, the reverse, or shuffled with the
    command's seed (never the suite's own order), without those it skips, or only those it
    names."""
    only, skip = command.get("only"), set(command.get("skip") or ())
    chosen = [n for n in nodeids if (only is None or n in only) and n not in skip]
    if command.get("reverse"):
        chosen = chosen[::-1]
    elif command.get("seed") is not None:
        shuffled = list(chosen)
        random.Random(command["seed"]).shuffle(shuffled)
        if shuffled == chosen and len(chosen) > 1:
            shuffled.reverse()
        chosen = shuffled
    return chosen


class WorkerDied(RuntimeError):
    pass


class WorkerProcess:
    """The grading side of a warm worker: send runs, collect their events."""

    def __init__(self, parallel: int, fork: bool = True):
        command = [sys.executable, "-m", "graders.worker", str(parallel)]
        if not fork:
            command.append("--spawn")
        env = {"PATH": os.environ.get("PATH", os.defpath), "PYTHONDONTWRITEBYTECODE": "1",
               "PYTHONPATH": str(ROOT), "PYTHONHASHSEED": "0", "PYTEST_DISABLE_PLUGIN_AUTOLOAD": "1"}
        if "GRADERS_SANDBOX" in os.environ:
            env["GRADERS_SANDBOX"] = os.environ["GRADERS_SANDBOX"]
        self.process = subprocess.Popen(command, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                        stderr=subprocess.DEVNULL, env=env, bufsize=0, cwd=ROOT, start_new_session=True)
        # What the worker must hide from learner code besides the exercises' own data: the
        # instructor's private defects. Told on its standard input, so that no process of a
        # job finds it in an environment or a command line.
        from graders.exercises import private_dir

        self.sending = threading.Lock()
        self.preparations = itertools.count(1)
        hidden = [str(private_dir())] if private_dir() else []
        self._send({"settings": {"hidden": hidden}})
        self.selector = selectors.DefaultSelector()
        self.selector.register(self.process.stdout, selectors.EVENT_READ)
        self.buffer = b""
        self.next_id = 0
        self.next_task = 0
        self.lock = threading.Lock()
        self.thread = threading.current_thread()  # see prepare()
        try:
            first = self._next(time.monotonic() + 120)
        except WorkerDied:
            first = None
        if not first or "ready" not in first:
            self.close()
            raise WorkerDied("the grading worker did not start")
        self.sandbox: str = first["ready"].get("sandbox", "none")
        self.description: str = first["ready"].get("description", "")

    def alive(self) -> bool:
        return self.process.poll() is None

    def _next(self, deadline: float) -> dict | None:
        """The worker's next message, or None once `deadline` has passed."""
        while b"\n" not in self.buffer:
            wait = deadline - time.monotonic()
            if wait <= 0 or not self.selector.select(wait):
                return None
            data = os.read(self.process.stdout.fileno(), 1 << 16)
            if not data:
                raise WorkerDied("the grading worker ended")
            self.buffer += data
        line, self.buffer = self.buffer.split(b"\n", 1)
        return json.loads(line)

    def _send(self, message: dict) -> None:
        with self.sending:  # a line longer than a pipe's atomic write must not interleave
            self.process.stdin.write((json.dumps(message) + "\n").encode())

    def prepare_soon(self, variants: list[Variant]) -> set[str]:
        """Have the worker import these variants now, without waiting for it (from any thread,
        while another drives the worker): their answers carry ids no run has. Those ids."""
        variants = list(variants)
        random.SystemRandom().shuffle(variants)  # the order they are made in tells nothing
        ids = set()
        for variant in variants:
            request_id = f"prepare-{next(self.preparations)}"
            ids.add(request_id)
            self._send({"id": request_id, "prepare": {"sources": variant.sources()}})
        return ids

    def execute(self, runs: list[Run], react: Callable[[Run], list[Run]], budget_end: float,
                settled: Callable[[], bool] = lambda: False) -> bool:
        """Run these runs and those `react` asks for as each one ends, until none is left,
        the result is `settled` or the budget is spent (then the rest is cancelled). Whether
        the budget ran out."""
        task = Task(runs, react, budget_end - time.monotonic(), settled=settled)
        with self.lock:  # one caller at a time reads the worker's answers
            self.drive([task])
        return task.out_of_time

    def drive(self, tasks: list[Task], incoming: queue.Queue | None = None) -> bool:
        """Run the tasks side by side, and those that arrive on `incoming` (until it yields
        None), sharing the worker's places; each task's `done` is called as it ends. Whether
        `incoming` may still bring tasks (the worker died first)."""
        pending: dict[int, tuple[Task, Run]] = {}
        active: list[Task] = []
        more = incoming is not None
        cancelled_at = None  # when a task out of time had its jobs cancelled

        def submit(task: Task, batch: list[Run]) -> None:
            batch = list(batch)
            random.SystemRandom().shuffle(batch)  # start order tells the jobs nothing
            for run in batch:
                self.next_id += 1
                pending[self.next_id] = (task, run)
                task.jobs.add(self.next_id)
                self._send({"id": self.next_id, "job": {**run.job(), "task": task.number}})

        def begin(task: Task) -> None:
            self.next_task += 1
            task.number = self.next_task
            task.budget_end = time.monotonic() + task.budget
            active.append(task)
            submit(task, task.runs)
            finish_if_done(task)

        def stop(task: Task) -> None:
            task.stopped = True
            for job_id in task.jobs:
                self._send({"cancel": job_id})

        def finish_if_done(task: Task) -> None:
            if not task.jobs and task in active:
                active.remove(task)
                task.done(task)

        try:
            for task in tasks:
                begin(task)
            while active or more:
                while more:
                    try:
                        task = incoming.get(block=not active, timeout=None if active else 0.5)
                    except queue.Empty:
                        break
                    if task is None:
                        more = False
                    else:
                        begin(task)
                now = time.monotonic()
                for task in active:
                    if not task.stopped and now >= task.budget_end:
                        task.out_of_time = True  # the rest is cancelled, and the report says so
                        cancelled_at = cancelled_at or now
                        stop(task)
                if not active:
                    continue
                ends = [t.budget_end for t in active if not t.stopped]
                wait_until = min(ends + [now + (0.05 if more else 1.0)])
                message = self._next(wait_until)
                if message is None:
                    if cancelled_at and now - cancelled_at > 30:
                        raise WorkerDied("the grading worker does not stop its jobs")
                    continue
                task, run = pending.get(message.get("id"), (None, None))
                if task is None:
                    continue
                if "end" in message:
                    del pending[message["id"]]
                    task.jobs.discard(message["id"])
                    _ended(run.result, message["end"])
                    if run.result.end == "timeout" and run.variant.kind != "chaff" and run.result.stopped_at:
                        # It hangs on a correct app, so it is invalid: its runs on other apps
                        # need not wait for it either.
                        self._send({"expire": {"task": task.number, "test": run.result.stopped_at}})
                    if not task.stopped:
                        submit(task, task.react(run))
                        if task.settled():
                            stop(task)
                    if task.out_of_time and not any(t.out_of_time and t.jobs for t in active):
                        cancelled_at = None
                    finish_if_done(task)
                else:
                    _record(run.result, message.get("event") or {})
        except (WorkerDied, OSError, ValueError):
            self.close()
            for task, run in pending.values():
                _ended(run.result, {"reason": "worker", "test": None, "message": ""})
                task.jobs.clear()
            for task in list(active):
                finish_if_done(task)
        except BaseException:  # interrupted (Ctrl-C, a kernel's Interrupt): stop these jobs
            try:
                for job_id in pending:
                    self._send({"cancel": job_id})
            except OSError:
                self.close()
            raise
        return more

    def prepare(self, variants: list[Variant], budget_end: float) -> None:
        """Have the worker import these variants now, ahead of their runs, and wait for it."""
        with self.lock:
            waiting = self.prepare_soon(variants)
            while waiting:
                message = self._next(budget_end)
                if message is None:
                    return
                if "end" in message:
                    waiting.discard(message.get("id"))

    def close(self) -> None:
        """End the worker: told by the end of its input, it stops its jobs and removes its
        files; killed only if it does not end by itself."""
        try:
            self.process.stdin.close()
            self.process.wait(timeout=CLOSE_SECONDS)
        except (OSError, subprocess.TimeoutExpired):
            self.process.kill()
            self.process.wait()
        try:
            self.process.stdout.close()
        except OSError:
            pass


def _record(result: RunResult, event: dict) -> None:
    kind, nodeid = event.get("event"), str(event.get("nodeid"))
    if kind == "collected" and result.collected is None:
        result.collected = [str(n) for n in event.get("nodeids") or ()]
    elif kind == "collect_error":
        result.errors.append(f"collecting {event.get('nodeid') or 'the suite'}: {event.get('message', '')}")
    elif kind == "start" and nodeid not in result.ran:
        result.ran.append(nodeid)
    elif kind == "report":
        # The first failure wins: whatever a test writes to its socket, it cannot turn a
        # failure into a pass.
        known = result.tests.get(nodeid)
        if known is None or (known.passed and event.get("outcome") != "passed"):
            result.tests[nodeid] = TestResult(str(event.get("outcome")), str(event.get("message", "")))
    elif kind == "finish" and nodeid in result.tests:
        result.tests[nodeid].duration = float(event.get("duration") or 0.0)
    elif kind == "leak":
        result.leaks[nodeid] = [str(o) for o in event.get("overrides", [])]
    elif kind == "cleanup":
        result.cleanups[nodeid] = [str(o) for o in event.get("overrides", [])]


def _ended(result: RunResult, end: dict) -> None:
    result.end = str(end.get("reason"))
    test = end.get("test")
    if result.end in ("timeout", "died") and test:
        result.stopped_at = str(test)
        message = "did not finish in time" if result.end == "timeout" else str(end.get("message") or "ended its test process")
        result.tests[str(test)] = TestResult("timeout" if result.end == "timeout" else "failed", message,
                                             float(end.get("elapsed") or 0.0))
        if str(test) not in result.ran:
            result.ran.append(str(test))
    elif result.end == "worker":
        result.errors.append("the grading worker stopped while this suite ran (a machine out of "
                             "memory can do that)")
    if result.collected is None and result.end in ("timeout", "died") and not result.errors:
        result.errors.append("the test process ended before collecting the suite "
                             "(exit, crash, hang or resource limit at import time)")


_workers: dict[tuple, WorkerProcess] = {}
_workers_lock = threading.Lock()  # prepare() starts one from a thread of its own


def worker(parallel: int, fork: bool = True) -> WorkerProcess:
    """A warm worker for this process, started on first use and kept for the next suites
    (one per setting: how many jobs at once, fork or not, the sandbox asked for)."""
    key = (parallel, fork, os.environ.get("GRADERS_SANDBOX", ""), os.environ.get("GRADERS_PRIVATE_DIR", ""))
    with _workers_lock:
        current = _workers.get(key)
        if current is None or not current.alive():
            current = _workers[key] = WorkerProcess(parallel, fork)
        return current


def default_parallel() -> int:
    return max(1, os.cpu_count() or 1)


def prepare(variants: list[Variant]) -> threading.Thread:
    """Start the worker now, in the background, and have it import these variants of the app:
    the first suite graded afterwards goes as fast as the next ones. Whatever fails here is
    left for that grading to meet and report."""
    def start() -> None:
        try:
            worker(default_parallel()).prepare(variants, time.monotonic() + BUDGET)
        except Exception:  # noqa: BLE001 - see the docstring
            return

    thread = threading.Thread(target=start, name="graders-prepare", daemon=True)
    thread.start()
    return thread


@atexit.register
def stop_workers() -> None:
    with _workers_lock:
        for current in _workers.values():
            current.close()
        _workers.clear()


class Runner:
    """Where a grading's runs go: a warm worker, with a time budget for the whole suite."""

    def __init__(self, jobs: int | None = None, fork: bool = True, budget: float = BUDGET):
        self.parallel = jobs or default_parallel()
        self.fork = fork  # False: the worker starts a fresh interpreter per job (portable path)
        self.budget = budget
        self.out_of_time = False
        self.sandbox = ""

    def execute(self, runs: list[Run], react: Callable[[Run], list[Run]],
                settled: Callable[[], bool] = lambda: False) -> None:
        budget_end = time.monotonic() + self.budget
        current = worker(self.parallel, self.fork)
        self.sandbox = current.sandbox
        self.out_of_time = current.execute(runs, react, budget_end, settled)
