"""Run a learner's suite against app variants, each in a child process of its own.

The grading process never runs learner code. It hands jobs to a warm worker
(graders/worker.py) that forks one child per job. The worker runs inside a bubblewrap sandbox
where `bwrap` is installed (read-only file system, private /tmp, no network, its own process
ids); elsewhere it runs with the children's resource limits alone, and `sandbox()` says so.
A worker is started once per grading process and kept warm for the next suite.

A job collects the suite once against one variant, then runs its stages (graders.child): a
test still running when its stage's time is up, or that ends its process, is marked `timeout`,
and the stage goes on with the tests after it.
"""
from __future__ import annotations

import atexit
import json
import os
import selectors
import shutil
import subprocess
import sys
import threading
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

APP_PACKAGE = "forge"
MEMORY_LIMIT = 2 * 2**30
MAX_PROCESSES = 512  # processes and threads of one worker and all its children
# Seconds for grading one suite, whatever it does: inside nbgrader's per-cell limit
# (c.Execute.timeout in nbgrader_config.py).
BUDGET = 240.0
SANDBOX_TMP_BYTES = 256 * 2**20
ROOT = Path(__file__).resolve().parent.parent


@dataclass
class TestResult:
    outcome: str  # passed, failed, skipped, timeout
    message: str = ""


@dataclass
class RunResult:
    """What one variant did with the suite."""

    collected: list[str] = field(default_factory=list)
    tests: dict[str, TestResult] = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)
    leaks: dict[str, list[str]] = field(default_factory=dict)  # test -> overrides it left set


@dataclass
class Stage:
    """One pass of the suite inside a job. A job's first stage starts from the suite collected
    against the job's variant; each later one runs in the same process after the stage before
    it, or, when `fresh`, from the collected state again, in a process of its own."""

    key: str  # where its results go
    shuffle: int | None = None  # a seed: the tests in a random order (never the usual one)
    isolate: bool = False  # each test alone, in a process of its own
    # Which tests: "all"; "failed", those that failed in the stage before; "up_to_failed",
    # the suite in its order up to the last of those.
    tests: str = "all"
    until_failure: bool = False  # stop at the first test that fails
    fresh: bool = False


@dataclass
class Job:
    """The suite against one variant of the app: collected once, then run stage by stage."""

    sources: dict[str, str]
    stages: tuple[Stage, ...]

    @property
    def key(self) -> str:
        return self.stages[0].key


def sandbox() -> str:
    """How learner code is contained on this machine, for reports."""
    if _bwrap_command():
        return "bubblewrap sandbox (read-only files, private /tmp, no network) and resource limits"
    return "resource limits only (no bubblewrap on this machine)"


def _bwrap_command() -> list[str]:
    bwrap = shutil.which("bwrap")
    if bwrap is None or not sys.platform.startswith("linux"):
        return []
    # --cap-drop ALL matters when grading as root: with its capabilities, root could remount
    # the read-only file system.
    # The course and its Python may live under /tmp (a CI clone): bring them back, read-only,
    # into the private /tmp.
    needed = sorted({str(Path(p).resolve()) for p in (ROOT, sys.prefix, sys.base_prefix, sys.exec_prefix)})
    keep = [arg for path in needed for arg in ("--ro-bind", path, path)]
    return [bwrap, "--ro-bind", "/", "/", "--dev", "/dev", "--proc", "/proc",
            "--size", str(SANDBOX_TMP_BYTES), "--tmpfs", "/tmp", *keep,
            "--unshare-pid", "--unshare-net", "--unshare-ipc", "--unshare-uts",
            "--die-with-parent", "--new-session", "--cap-drop", "ALL", "--"]


def _pids_cgroup() -> Path | None:
    """For root, whom RLIMIT_NPROC does not bind: a pids cgroup that caps the worker's
    processes and threads (fork bombs). Created where the machine lets us, else None."""
    if not hasattr(os, "getuid") or os.getuid() != 0:
        return None
    for base in (Path("/sys/fs/cgroup/pids"), Path("/sys/fs/cgroup")):
        group = base / f"graders-{os.getpid()}-{len(_workers)}"
        try:
            if base == Path("/sys/fs/cgroup"):
                (base / "cgroup.subtree_control").write_text("+pids")
            group.mkdir(exist_ok=True)
            (group / "pids.max").write_text(str(MAX_PROCESSES))
            return group
        except OSError:
            try:
                group.rmdir()
            except OSError:
                pass
    return None


def can_limit_processes() -> bool:
    """Whether a fork bomb meets a limit here: RLIMIT_NPROC for a normal user, a pids cgroup
    for root (whom RLIMIT_NPROC does not bind)."""
    if not hasattr(os, "getuid") or os.getuid() != 0:
        return hasattr(os, "fork")
    group = _pids_cgroup()
    if group is None:
        return False
    _remove_cgroup(group)
    return True


class WorkerDied(RuntimeError):
    pass


class WorkerProcess:
    """The grading side of a warm worker: send jobs, collect their events."""

    def __init__(self, parallel: int, fork: bool = True):
        command = [*_bwrap_command(), sys.executable, "-m", "graders.worker", str(parallel)]
        if not fork:
            command.append("--spawn")
        self.cgroup = _pids_cgroup()
        if self.cgroup is not None:  # join it before anything else starts
            command = ["sh", "-c", 'echo $$ > "$0" && exec "$@"', str(self.cgroup / "cgroup.procs"), *command]
        env = {"PATH": os.environ.get("PATH", os.defpath), "PYTHONDONTWRITEBYTECODE": "1",
               "PYTHONPATH": str(ROOT), "PYTHONHASHSEED": "0"}
        self.process = subprocess.Popen(command, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                        stderr=subprocess.DEVNULL, env=env, bufsize=0)
        self.selector = selectors.DefaultSelector()
        self.selector.register(self.process.stdout, selectors.EVENT_READ)
        self.buffer = b""
        self.next_id = 0
        self.lock = threading.Lock()
        self.thread = threading.current_thread()  # see prepare()
        ready = self._messages(deadline=time.monotonic() + 120)
        first = next(ready, None)
        if not first or "ready" not in first:
            self.close()
            raise WorkerDied("the grading worker did not start")

    def alive(self) -> bool:
        return self.process.poll() is None

    def _messages(self, deadline: float):
        while True:
            while b"\n" in self.buffer:
                line, self.buffer = self.buffer.split(b"\n", 1)
                yield json.loads(line)
            wait = deadline - time.monotonic()
            if wait <= 0 or not self.selector.select(wait):
                raise WorkerDied("the grading worker stopped answering")
            data = os.read(self.process.stdout.fileno(), 1 << 16)
            if not data:
                raise WorkerDied("the grading worker ended")
            self.buffer += data

    def run(self, payloads: list[dict], budget_end: float) -> list[list[dict]]:
        """Run the jobs; each job's events, in order. Jobs lost with a dead worker end there."""
        with self.lock:  # one caller at a time reads the worker's answers
            return self._run(payloads, budget_end)

    def _run(self, payloads: list[dict], budget_end: float) -> list[list[dict]]:
        ids = list(range(self.next_id, self.next_id + len(payloads)))
        self.next_id += len(payloads)
        events: dict[int, list[dict]] = {i: [] for i in ids}
        open_jobs = set(ids)
        try:
            for job_id, payload in zip(ids, payloads):
                self.process.stdin.write((json.dumps({"id": job_id, "job": payload}) + "\n").encode())
            # The worker ends each job by its deadline; this one only guards against a worker
            # that stops answering.
            messages = self._messages(budget_end)
            while open_jobs:
                message = next(messages)
                job_id = message.get("id")
                if job_id not in events:
                    continue
                if "end" in message:
                    open_jobs.discard(job_id)
                    if message["end"].get("timed_out"):
                        events[job_id].append({"event": "timeout"})
                else:
                    events[job_id].append(message.get("event", {}))
        except (WorkerDied, BrokenPipeError, OSError, ValueError):
            self.close()
            for job_id in open_jobs:
                events[job_id].append({"event": "worker_died"})
        return [events[i] for i in ids]

    def close(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
        self.process.wait()
        for stream in (self.process.stdin, self.process.stdout):
            try:
                stream.close()
            except OSError:
                pass
        if self.cgroup is not None:
            _remove_cgroup(self.cgroup)


def _remove_cgroup(group: Path) -> None:
    for _ in range(50):  # its processes take a moment to go once the worker is killed
        try:
            group.rmdir()
            return
        except OSError:
            time.sleep(0.02)


_workers: dict[tuple[int, bool], WorkerProcess] = {}
_workers_lock = threading.Lock()  # prepare() starts one from a thread of its own


def worker(parallel: int, fork: bool = True) -> WorkerProcess:
    """A warm worker for this process, started on first use and kept for the next suites."""
    with _workers_lock:
        current = _workers.get((parallel, fork))
        if current is None or not current.alive():
            current = _workers[parallel, fork] = WorkerProcess(parallel, fork)
        return current


def default_parallel() -> int:
    return max(1, os.cpu_count() or 1)


def prepare(variants: list[dict[str, str]]) -> threading.Thread:
    """Start the worker now, in the background, and have it import these variants of the app
    (each a {module: source} of edits): the first suite graded afterwards goes as fast as the
    next ones. Whatever fails here is left for that grading to meet and report."""
    def start() -> None:
        try:
            started = worker(default_parallel())
            started.run([{"prepare": True, "package": APP_PACKAGE, "sources": sources} for sources in variants],
                        time.monotonic() + BUDGET)
        except Exception:  # noqa: BLE001 - see the docstring
            return
        if started.thread is threading.current_thread():
            # bwrap's --die-with-parent ends the worker when the *thread* that started it ends.
            threading.Event().wait()

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
    """Runs jobs for one suite."""

    def __init__(self, suite_source: str, timeout: float = 20.0, jobs: int | None = None,
                 fork: bool = True, budget: float = BUDGET):
        self.suite_source = suite_source
        self.budget_end = time.monotonic() + budget
        self.out_of_time = False
        self.timeout = timeout
        self.parallel = jobs or default_parallel()
        self.fork = fork  # False: the worker starts a fresh interpreter per job (portable path)

    def payload(self, job: Job) -> dict:
        return {"suite": self.suite_source, "package": APP_PACKAGE, "sources": job.sources,
                "stages": [asdict(stage) for stage in job.stages],
                "timeout": self.timeout, "memory": MEMORY_LIMIT}

    def run(self, jobs: list[Job]) -> dict[str, RunResult]:
        results = {stage.key: RunResult() for job in jobs for stage in job.stages}
        if time.monotonic() >= self.budget_end:  # out of time: the report says so
            self.out_of_time = True
            batch = [[{"event": "worker_died"}] for _ in jobs]
        else:
            batch = worker(self.parallel, self.fork).run([self.payload(j) for j in jobs], self.budget_end)
            self.out_of_time |= time.monotonic() >= self.budget_end
        for job, events in zip(jobs, batch):
            _merge(results, job, events)
        return results


def _merge(results: dict[str, RunResult], job: Job, events: list[dict]) -> None:
    """Fold a job's events into the results of its stages."""
    keys = [stage.key for stage in job.stages]
    main = results[job.key]
    started: dict[str, str | None] = {key: None for key in keys}
    ended: set[str] = set()  # stages that ran to their end
    collected: list[str] | None = None
    for event in events:
        kind = event.get("event")
        run = event.get("run")
        result = results[run] if run in keys else None
        if kind == "collected" and run is None and collected is None:
            collected = [str(n) for n in event.get("nodeids", [])]
            for key in keys:
                results[key].collected = collected
        elif kind == "collect_error" and run is None:
            main.errors.append(f"collecting {event.get('nodeid') or 'the suite'}: {event.get('message', '')}")
        elif kind == "exit" and run is None and collected is None and not main.errors:
            main.errors.append("pytest stopped before collecting the suite")
        elif result is None:
            continue
        elif kind == "start":
            started[run] = str(event.get("nodeid"))
        elif kind == "report":
            nodeid = str(event.get("nodeid"))
            # The first failure wins: whatever a test writes to its own pipe, it cannot turn a
            # failure into a pass.
            if nodeid not in result.tests or event.get("outcome") != "passed" and result.tests[nodeid].outcome == "passed":
                result.tests[nodeid] = TestResult(str(event.get("outcome")), str(event.get("message", "")))
        elif kind == "leak":
            result.leaks[str(event.get("nodeid"))] = [str(o) for o in event.get("overrides", [])]
        elif kind == "finish":
            started[run] = None
        elif kind == "stage_end":
            ended.add(run)
    if any(event.get("event") == "worker_died" for event in events):
        main.errors.append("the grading worker stopped while this suite ran (a test that kills "
                           "processes, or a machine out of memory, can do that)")
    if collected is None:
        if not main.errors:
            main.errors.append("the test process ended before collecting the suite "
                               "(exit, crash, hang or resource limit at import time)")
        return
    # The job was stopped (out of time, or its worker died): what did not run is lost.
    for key in keys:
        if started[key] is not None:
            results[key].tests[started[key]] = TestResult("timeout", "did not finish in time")
    if job.key not in ended:
        for nodeid in collected:
            main.tests.setdefault(nodeid, TestResult("timeout", "the test process ended early"))
