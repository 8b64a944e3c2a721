"""Run a learner's suite against app variants, each in a child process of its own.

The fast path forks a warm parent that has already imported pytest, FastAPI and friends but
never the app; each child chooses its variant before the app is imported. Where `fork` is
missing, each child is a fresh `python -m graders.child` instead. Children run in parallel,
one per core, each under a wall-clock timeout. A test still running when time is up is marked
`timeout` and the tests after it are run again in a new child without it.
"""
from __future__ import annotations

import json
import os
import selectors
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

from graders import child

SUITE_FILE = "test_submission.py"
MEMORY_LIMIT = 2 * 2**30
EVENTS_LIMIT = 4 * 2**20  # bytes of results a child may send
CAN_FORK = hasattr(os, "fork") and sys.platform != "darwin"
PRELOAD = (
    "pytest", "_pytest.assertion.rewrite", "pytest_asyncio.plugin", "anyio.pytest_plugin",
    "fastapi", "fastapi.testclient", "anyio._backends._asyncio", "sqlalchemy.orm",
    "sqlalchemy.dialects.sqlite.pysqlite", "sqlite3", "pydantic", "httpx", "jwt",
)


def warm_up() -> None:
    """Import what every child needs, once, so that forked children start warm."""
    import importlib
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for name in PRELOAD:
            try:
                importlib.import_module(name)
            except ImportError:
                pass
        _exercise_the_stack()


def _exercise_the_stack() -> None:
    """One request through a throwaway app (never the app under test) with a lifespan and a
    database: it loads what FastAPI, Starlette, anyio and SQLAlchemy import lazily."""
    from contextlib import asynccontextmanager

    from fastapi import FastAPI
    from fastapi.testclient import TestClient
    from sqlalchemy import create_engine, text
    from sqlalchemy.pool import StaticPool

    @asynccontextmanager
    async def lifespan(app):
        engine = create_engine("sqlite://", poolclass=StaticPool,
                               connect_args={"check_same_thread": False})
        with engine.begin() as connection:
            connection.execute(text("select 1"))
        yield
        engine.dispose()

    app = FastAPI(lifespan=lifespan)
    app.get("/")(lambda: {"ok": True})
    with TestClient(app) as client:
        client.get("/")


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
class Job:
    key: str
    sources: dict[str, str]
    order: list[str] | None = None  # run only these tests, in this order
    isolate: bool = False  # each test alone, in a fork of the process as it was after collection


class _Child:
    def __init__(self, job: Job, pid: int, fd: int, deadline: float, popen=None):
        self.job, self.pid, self.fd, self.deadline, self.popen = job, pid, fd, deadline, popen
        self.buffer = b""
        self.events: list[dict] = []
        self.overflow = False


class Runner:
    """Runs jobs for one suite. Use as a context manager: it owns a scratch directory."""

    def __init__(self, suite_source: str, timeout: float = 20.0, jobs: int | None = None,
                 use_fork: bool = CAN_FORK):
        self.timeout = timeout
        self.parallel = max(1, jobs or os.cpu_count() or 1)
        self.use_fork = use_fork
        self.root = Path(tempfile.mkdtemp(prefix="graders-"))
        self.suite_source = suite_source
        self.ini = self.root / "pytest.ini"
        self.ini.write_text("[pytest]\n")
        self._count = 0
        if use_fork:
            warm_up()

    def __enter__(self) -> "Runner":
        return self

    def __exit__(self, *exc) -> None:
        shutil.rmtree(self.root, ignore_errors=True)

    def run(self, jobs: list[Job]) -> dict[str, RunResult]:
        results = {job.key: RunResult() for job in jobs}
        pending = list(jobs)
        while pending:
            retries: list[Job] = []
            for job, events in self._run_batch(pending):
                retry = _merge(results[job.key], job, events)
                if retry is not None:
                    retries.append(retry)
            pending = retries
        return results

    def _job_payload(self, job: Job) -> dict:
        self._count += 1
        scratch = self.root / f"run-{self._count}"
        scratch.mkdir()
        (scratch / SUITE_FILE).write_text(self.suite_source)
        return {
            "scratch": str(scratch), "suite": str(scratch / SUITE_FILE), "ini": str(self.ini),
            "sources": job.sources, "order": job.order,
            "isolate": self.timeout if job.isolate else None,
            "timeout": self.timeout, "memory": MEMORY_LIMIT, "env": _child_env(scratch),
        }

    def _start(self, job: Job) -> _Child:
        payload = self._job_payload(job)
        read_fd, write_fd = os.pipe()
        deadline = time.monotonic() + self.timeout
        if self.use_fork:
            pid = os.fork()
            if pid == 0:  # the child: never returns
                try:
                    os.close(read_fd)
                    os.setsid()
                    child.run_job(payload, write_fd)
                finally:
                    os._exit(0)
            os.close(write_fd)
            return _Child(job, pid, read_fd, deadline)
        popen = subprocess.Popen(
            [sys.executable, "-m", "graders.child", str(write_fd)],
            stdin=subprocess.PIPE, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
            pass_fds=(write_fd,), start_new_session=True, env=_spawn_env(),
        )
        os.close(write_fd)
        popen.stdin.write(json.dumps(payload).encode())
        popen.stdin.close()
        return _Child(job, popen.pid, read_fd, deadline, popen)

    def _run_batch(self, jobs: list[Job]):
        """Yield (job, events) for every job, running up to `parallel` children at once."""
        waiting = list(jobs)
        running: dict[int, _Child] = {}
        selector = selectors.DefaultSelector()
        try:
            while waiting or running:
                while waiting and len(running) < self.parallel:
                    proc = self._start(waiting.pop(0))
                    running[proc.fd] = proc
                    selector.register(proc.fd, selectors.EVENT_READ)
                now = time.monotonic()
                wait = max(0.0, min(p.deadline for p in running.values()) - now)
                for key, _ in selector.select(timeout=wait):
                    proc = running[key.fd]
                    data = os.read(key.fd, 65536)
                    if data and len(proc.buffer) < EVENTS_LIMIT:
                        proc.buffer += data
                        continue
                    if data:  # flooding the results channel: stop listening to it
                        proc.overflow = True
                    selector.unregister(key.fd)
                    yield proc.job, self._finish(running.pop(key.fd), timed_out=False)
                now = time.monotonic()
                for fd, proc in list(running.items()):
                    if proc.deadline <= now:
                        selector.unregister(fd)
                        yield proc.job, self._finish(running.pop(fd), timed_out=True)
        finally:
            for fd, proc in running.items():
                self._finish(proc, timed_out=True)
            selector.close()

    def _finish(self, proc: _Child, timed_out: bool) -> list[dict]:
        _kill_group(proc.pid)
        if proc.popen is not None:
            proc.popen.wait()
        else:
            os.waitpid(proc.pid, 0)
        os.close(proc.fd)
        events = []
        for line in proc.buffer.split(b"\n"):
            try:
                event = json.loads(line)
            except ValueError:
                continue  # a half-written last line
            if isinstance(event, dict):
                events.append(event)
        if timed_out:
            events.append({"event": "timeout"})
        elif proc.overflow:
            events.append({"event": "overflow"})
        return events


def _kill_group(pid: int) -> None:
    for target in (lambda: os.killpg(pid, signal.SIGKILL), lambda: os.kill(pid, signal.SIGKILL)):
        try:
            target()
        except (ProcessLookupError, PermissionError, OSError):
            pass


def _child_env(scratch: Path) -> dict[str, str]:
    """A scrubbed environment: nothing of the grader's or the instructor's leaks in."""
    return {
        "PATH": os.defpath, "HOME": str(scratch), "TMPDIR": str(scratch), "LANG": "C.UTF-8",
        "PYTEST_DISABLE_PLUGIN_AUTOLOAD": "1", "PYTHONDONTWRITEBYTECODE": "1",
        "PYTHONHASHSEED": "0", "COLUMNS": "100",
    }


def _spawn_env() -> dict[str, str]:
    env = {"PATH": os.environ.get("PATH", os.defpath), "PYTHONDONTWRITEBYTECODE": "1"}
    env["PYTHONPATH"] = str(Path(__file__).resolve().parent.parent)
    return env


def _merge(result: RunResult, job: Job, events: list[dict]) -> Job | None:
    """Fold a child's events into `result`; return the job to re-run after a hang, if any."""
    started: str | None = None
    collected: list[str] | None = None
    exited = False
    for event in events:
        kind = event.get("event")
        if kind == "collected":
            collected = [str(n) for n in event.get("nodeids", [])]
            if not result.collected:
                result.collected = collected
        elif kind == "collect_error":
            result.errors.append(f"collecting {event.get('nodeid') or 'the suite'}: {event.get('message', '')}")
        elif kind == "start":
            started = str(event.get("nodeid"))
        elif kind == "report":
            nodeid = str(event.get("nodeid"))
            if nodeid not in result.tests or event.get("outcome") == "failed" and result.tests[nodeid].outcome == "passed":
                result.tests[nodeid] = TestResult(str(event.get("outcome")), str(event.get("message", "")))
        elif kind == "leak":
            result.leaks[str(event.get("nodeid"))] = [str(o) for o in event.get("overrides", [])]
        elif kind == "finish":
            started = None
        elif kind == "exit":
            exited = True
    if exited:
        return None
    hung = started
    if hung is not None:
        result.tests[hung] = TestResult("timeout", "did not finish in time (or ended the test process)")
    if collected is None:
        if not result.errors:
            result.errors.append("the test process ended before collecting the suite "
                                 "(exit, crash, hang or resource limit at import time)")
        return None
    if hung is None:
        # The process died between tests (or flooded its output): what did not run is lost.
        for nodeid in collected:
            result.tests.setdefault(nodeid, TestResult("timeout", "the test process ended early"))
        return None
    remaining = [n for n in (job.order or collected) if n not in result.tests and n in collected]
    if not remaining:
        return None
    return Job(job.key, job.sources, order=remaining, isolate=job.isolate)
