"""The warm worker: one process that imports pytest, FastAPI and friends once (never the app
under test) and then runs each job in a child of its own.

    python -m graders.worker PARALLEL

Jobs arrive on stdin, one JSON object a line: {"id": ..., "job": {...}}. Every event a child
reports comes back on stdout wrapped with its job's id, {"id": ..., "event": {...}}, and a job
ends with {"id": ..., "end": {"timed_out": bool}}. A child's only way out is its own pipe: it
cannot write to this channel, and whatever it writes to its pipe only speaks for its own job.

A job is the suite's stages against one variant (graders.runner.Stage). A child runs them
until one is `fresh`, which gets a child of its own. A test that hangs past its stage's time,
or ends its process (exit, crash, a resource limit), is reported as such, and a new child goes
on with the tests after it: one learner test cannot take the others' results with it.

Children are forked (the fast path) by a zygote: a process per variant of the app that has
imported that variant (our code only) and is kept for the next suites. Where fork is missing
they are started as `python -m graders.child`. Each child gets a scratch directory, a
wall-clock deadline after which its whole process group is killed, and the limits in
graders.child.contain.
"""
from __future__ import annotations

import gc
import json
import os
import random
import select
import selectors
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections import deque
from pathlib import Path

CAN_FORK = hasattr(os, "fork") and sys.platform != "darwin"
EVENTS_LIMIT = 4 * 2**20  # bytes of events a child may send
PRELOAD = (
    "pytest", "_pytest.assertion.rewrite", "pytest_asyncio.plugin", "anyio.pytest_plugin",
    "fastapi", "fastapi.testclient", "anyio._backends._asyncio", "sqlalchemy.orm",
    "sqlalchemy.dialects.sqlite.pysqlite", "sqlite3", "pydantic", "httpx", "jwt",
    "asgi_lifespan", "graders.child",
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
        _exercise_pytest()
    # Forked children then share these objects' pages instead of copying them the first time
    # their collector walks the heap.
    gc.collect()
    gc.freeze()


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


def _exercise_pytest() -> None:
    """One pytest session on a throwaway suite: it imports the modules pytest loads lazily
    (its built-in plugins, pdb, unittest, ...), which every child would otherwise import again."""
    import contextlib
    import io

    import pytest

    from graders.child import INI_FILE, PYTEST_ARGS, SUITE_FILE

    here = os.getcwd()
    with tempfile.TemporaryDirectory() as scratch, contextlib.redirect_stdout(io.StringIO()):
        Path(scratch, SUITE_FILE).write_text(
            "import pytest\n\n@pytest.fixture\ndef one():\n    return 1\n\n"
            "def test_sync(one, tmp_path, monkeypatch):\n    assert one == 1\n\n"
            "@pytest.mark.asyncio\nasync def test_async():\n    assert True\n")
        Path(scratch, INI_FILE).write_text("[pytest]\n")
        autoload = os.environ.get("PYTEST_DISABLE_PLUGIN_AUTOLOAD")
        os.environ["PYTEST_DISABLE_PLUGIN_AUTOLOAD"] = "1"  # as in the children
        try:
            os.chdir(scratch)
            pytest.main([SUITE_FILE, "--rootdir", scratch, "-c", INI_FILE, *PYTEST_ARGS])
        finally:
            os.chdir(here)
            # pytest would hand the throwaway suite's module to the children, by its name.
            for name, module in list(sys.modules.items()):
                if str(getattr(module, "__file__", None) or "").startswith(scratch):
                    del sys.modules[name]
            if autoload is None:
                del os.environ["PYTEST_DISABLE_PLUGIN_AUTOLOAD"]
            else:
                os.environ["PYTEST_DISABLE_PLUGIN_AUTOLOAD"] = autoload


def _processes_of_this_user() -> int:
    """Threads count against RLIMIT_NPROC: count this user's, where /proc tells."""
    uid, count = os.getuid(), 0
    try:
        for pid in os.listdir("/proc"):
            if pid.isdigit():
                try:
                    status = Path(f"/proc/{pid}/status").read_text()
                except OSError:
                    continue
                fields = dict(line.split(":", 1) for line in status.splitlines() if ":" in line)
                if int(fields.get("Uid", "-1").split()[0]) == uid:
                    count += int(fields.get("Threads", "1"))
    except OSError:
        return 0
    return count


def fork() -> int:
    """os.fork, given a moment when processes are short: those of a fork bomb that was just
    killed take a while to go, and the next job should not fail for them."""
    for wait in (0.01, 0.05, 0.1, 0.25, 0.5, 1.0, 2.0):
        try:
            return os.fork()
        except BlockingIOError:
            time.sleep(wait)
    return os.fork()


CPUS = sorted(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else []


class Child:
    """One process of a job, and what its events said so far."""

    def __init__(self, job_id, job: dict, stage: int, pid: int, fd: int, scratch: Path,
                 popen=None, cpu: int | None = None):
        self.job_id, self.job, self.stage = job_id, job, stage
        self.pid, self.fd, self.scratch, self.popen, self.cpu = pid, fd, scratch, popen, cpu
        self.deadline = time.monotonic() + job["timeout"]  # until it has collected the suite
        self.collected: list[str] | None = None
        self.started: tuple[str, str] | None = None  # (stage key, test) running now
        self.done: set[str] = set(job.get("skip") or ())  # tests of the current stage that ended
        self.failed: list[str] = list(job.get("failed") or ())  # ... and those that failed
        self.previous: list[str] = list(job.get("previous") or ())  # failures of the stage before
        self.stage_ended = False  # the current stage ran to its end
        self.first = stage == 0 and not job.get("skip")  # the job's first child
        self.buffer = b""
        self.received = 0

    @property
    def stage_key(self) -> str:
        return self.job["stages"][self.stage]["key"]

    def stage_time(self) -> float:
        """Seconds the current stage may take: the job's timeout, once per test when each
        runs alone (the child stops each that overruns)."""
        tests = min(len(self.collected or ()), MAX_TESTS)
        return self.job["timeout"] * (tests if self.job["stages"][self.stage].get("isolate") else 1) + 1.0


MAX_TESTS = 1000


class Zygote:
    """A process that has imported one variant of the app, our code and never a learner's, and
    forks a child for each job against that variant: the children skip the app's import.

    Jobs come over a Unix socket: the job's scratch directory (the job is in a file there) and,
    passed along with it, the write end of the job's results pipe. The answer is the child's
    process id. The zygote reaps its children; the worker kills them by process group."""

    def __init__(self, package: str, sources: dict[str, str], noise: int, compiled: dict):
        ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        self.pid = fork()
        if self.pid == 0:  # never returns
            try:
                ours.close()
                _zygote(theirs, package, sources, noise, compiled)
            finally:
                os._exit(0)
        theirs.close()
        self.socket = ours
        self.used = time.monotonic()

    def fork(self, scratch: Path, fd: int, cpu: int | None) -> int | None:
        """Start a child for the job in `scratch`; its pid, or None if this zygote is gone."""
        self.used = time.monotonic()
        try:
            socket.send_fds(self.socket, [json.dumps({"scratch": str(scratch), "cpu": cpu}).encode()], [fd])
            if not select.select([self.socket], [], [], ZYGOTE_ANSWER_SECONDS)[0]:
                return None
            return int(self.socket.recv(64))
        except (OSError, ValueError):
            return None

    def close(self) -> None:
        self.socket.close()
        try:
            os.kill(self.pid, signal.SIGKILL)
            os.waitpid(self.pid, 0)
        except (OSError, ChildProcessError):
            pass


ZYGOTE_ANSWER_SECONDS = 60.0  # importing the app, the first time, on a busy machine
ZYGOTES = 32  # the variants of two or three exercises


def _zygote(channel: socket.socket, package: str, sources: dict[str, str], noise: int, compiled: dict) -> None:
    from graders.child import JOB_FILE, import_variant, run_job, scrub_environment

    # Keep nothing of the worker's: its channel to the grader, other jobs' pipes.
    devnull = os.open(os.devnull, os.O_RDWR)
    for stream in (0, 1, 2):
        os.dup2(devnull, stream)
    os.closerange(3, channel.fileno())
    os.closerange(channel.fileno() + 1, 1 << 16)
    signal.signal(signal.SIGCHLD, signal.SIG_IGN)  # children are reaped as they end
    scrub_environment(os.getcwd())
    import_variant(package, sources, noise, compiled)
    gc.collect()
    gc.freeze()
    while True:
        message, fds, _, _ = socket.recv_fds(channel, 4096, 1)
        if not message:
            return  # the worker is gone
        request = json.loads(message)
        pid = fork()
        if pid == 0:  # the child: never returns
            try:
                signal.signal(signal.SIGCHLD, signal.SIG_DFL)
                channel.close()
                _become_child(request["cpu"])
                scratch = request["scratch"]
                job_file = Path(scratch, JOB_FILE)
                job = json.loads(job_file.read_text())
                job_file.unlink()  # which variant this is stays out of the suite's reach
                run_job(job, fds[0], scratch, compiled)
            finally:
                os._exit(0)
        for fd in fds:
            os.close(fd)
        channel.send(str(pid).encode())


def _become_child(cpu: int | None) -> None:
    # Each child on a CPU of its own: TestClient hands every request between two threads,
    # which is far cheaper when both stay on one CPU.
    if cpu is not None:
        os.sched_setaffinity(0, {cpu})
    os.setsid()
    signal.signal(signal.SIGTERM, signal.SIG_DFL)


class Worker:
    def __init__(self, parallel: int, use_fork: bool = CAN_FORK):
        self.parallel = parallel
        self.use_fork = use_fork
        self.root = Path(tempfile.mkdtemp(prefix="graders-worker-"))
        self.count = 0
        self.max_processes = _processes_of_this_user() + 512
        # Chosen once per worker: see graders.child.PatchedSources.
        self.noise = random.SystemRandom().randrange(1, 2**31)
        self.zygotes: dict[str, Zygote] = {}
        if use_fork:
            warm_up()

    def emit(self, **message) -> None:
        sys.stdout.write(json.dumps(message) + "\n")
        sys.stdout.flush()

    def prepare(self, job: dict) -> Path:
        from graders.child import INI_FILE, SUITE_FILE

        self.count += 1
        scratch = self.root / f"run-{self.count}"
        scratch.mkdir()
        (scratch / SUITE_FILE).write_text(job["suite"])
        (scratch / INI_FILE).write_text("[pytest]\n")
        return scratch

    def start(self, job_id, job: dict, busy: list[int | None] = (), stage: int = 0,
              skip=(), failed=(), previous=()) -> Child:
        """A child for `job`, from its stage `stage` on (after the tests in `skip`)."""
        from graders.child import JOB_FILE

        job = {**job, "max_processes": self.max_processes, "noise": self.noise, "stage": stage,
               "skip": sorted(skip), "failed": list(failed), "previous": list(previous)}
        scratch = self.prepare(job)
        zygote = self.zygote(job) if self.use_fork else None  # before the pipe: see _zygote
        read_fd, write_fd = os.pipe()
        if self.use_fork:
            cpu = min(CPUS, key=list(busy).count) if CPUS else None
            (scratch / JOB_FILE).write_text(json.dumps(job))
            pid = zygote.fork(scratch, write_fd, cpu)
            if pid is None:  # the zygote is gone (a child may kill it): a new one next time
                self.zygotes.pop(self.variant_key(job)).close()
                pid = self.fork_child(job, scratch, write_fd, read_fd, cpu)
            os.close(write_fd)
            # Made now: the zygote took its time to import the app, the first time.
            return Child(job_id, job, stage, pid, read_fd, scratch, cpu=cpu)
        popen = subprocess.Popen(
            [sys.executable, "-m", "graders.child", str(write_fd), str(scratch)],
            stdin=subprocess.PIPE, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
            pass_fds=(write_fd,), start_new_session=True,
        )
        os.close(write_fd)
        popen.stdin.write(json.dumps(job).encode())
        popen.stdin.close()
        return Child(job_id, job, stage, popen.pid, read_fd, scratch, popen)

    @staticmethod
    def variant_key(job: dict) -> str:
        return json.dumps([job["package"], job["sources"]], sort_keys=True)

    def zygote(self, job: dict) -> Zygote:
        key = self.variant_key(job)
        if key not in self.zygotes:
            if len(self.zygotes) >= ZYGOTES:
                oldest = min(self.zygotes, key=lambda k: self.zygotes[k].used)
                self.zygotes.pop(oldest).close()
            self.zygotes[key] = Zygote(job["package"], job["sources"], self.noise, self.compiled(job))
        return self.zygotes[key]

    def fork_child(self, job: dict, scratch: Path, write_fd: int, read_fd: int, cpu: int | None) -> int:
        """A child forked from this worker: it imports the app itself."""
        compiled = self.compiled(job)
        pid = fork()
        if pid == 0:  # the child: never returns
            try:
                os.close(read_fd)
                _become_child(cpu)
                from graders.child import run_job

                run_job(job, write_fd, str(scratch), compiled)
            finally:
                os._exit(0)
        return pid

    def compiled(self, job: dict) -> dict:
        """The app's modules compiled for this job, before the fork: compiling (not running)
        them here saves every child the work, and the cache in compile_package saves it for
        the modules that variants share."""
        from graders.child import compile_package

        try:
            return compile_package(job["package"], job["sources"], self.noise)
        except (SyntaxError, OSError, ValueError):
            return {}  # the child compiles what it imports, and reports what fails

    def relay(self, child: Child, data: bytes) -> None:
        child.received += len(data)
        if child.received > EVENTS_LIMIT:
            return  # flooding its pipe: the rest is dropped
        child.buffer += data
        *lines, child.buffer = child.buffer.split(b"\n")
        for line in lines:
            try:
                event = json.loads(line)
            except ValueError:
                continue
            if isinstance(event, dict) and self.track(child, event):
                self.emit(id=child.job_id, event=event)

    def track(self, child: Child, event: dict) -> bool:
        """Follow a child's progress through its stages; whether to pass the event on."""
        kind, run, nodeid = event.get("event"), event.get("run"), str(event.get("nodeid"))
        if kind == "collected" and run is None:
            if child.collected is not None:
                return False
            child.collected = [str(n) for n in event.get("nodeids") or ()]
            child.deadline = time.monotonic() + child.stage_time()
            return child.first  # a later child of the job collects the same suite again
        if run != child.stage_key:
            return True
        if kind == "start":
            child.started = (run, nodeid)
        elif kind == "finish":
            child.started = None
            child.done.add(nodeid)
        # Failures feed the stages after this one; a test that hung is not waited for again.
        elif kind == "report" and event.get("outcome") not in ("passed", "skipped", "timeout"):
            if nodeid not in child.failed:
                child.failed.append(nodeid)
        elif kind == "stage_end":
            child.stage_ended = True
            following = child.job["stages"][child.stage + 1:]
            if following and not following[0].get("fresh"):  # the child runs it next, itself
                child.stage, child.previous, child.failed = child.stage + 1, child.failed, []
                child.done, child.stage_ended = set(), False
                child.deadline = time.monotonic() + child.stage_time()
        return True

    def finish(self, child: Child, timed_out: bool) -> tuple | None:
        """Stop a child that ended or overran. What the job still has to run, as the arguments
        of `start` for the child that goes on with it, or None once the job has ended."""
        for kill in (lambda: os.killpg(child.pid, signal.SIGKILL), lambda: os.kill(child.pid, signal.SIGKILL)):
            try:
                kill()
            except OSError:
                pass
        if child.popen is not None:
            child.popen.wait()
        else:
            try:
                os.waitpid(child.pid, 0)
            except ChildProcessError:
                pass
        os.close(child.fd)
        shutil.rmtree(child.scratch, ignore_errors=True)
        stages, stage, over = child.job["stages"], child.stage, child.stage_ended
        skip, failed, previous = set(child.done), list(child.failed), list(child.previous)
        if child.started is not None:
            # The test it was running is to blame: it hung, or it ended its process.
            run, nodeid = child.started
            message = "did not finish in time" if timed_out else "ended its test process (exit, crash or resource limit)"
            self.emit(id=child.job_id, event={"event": "report", "run": run, "nodeid": nodeid, "when": "call",
                                              "outcome": "timeout", "message": message})
            self.emit(id=child.job_id, event={"event": "finish", "run": run, "nodeid": nodeid})
            skip.add(nodeid)  # and, hung, it is not in `failed`: later stages do not wait for it again
            over = bool(stages[stage].get("until_failure"))  # there, a failure ends the stage
        if child.collected is None or not (over or child.started is not None):
            # It never collected the suite, or it ended between tests: the rest is lost.
            self.emit(id=child.job_id, end={"timed_out": timed_out})
            return None
        from graders.child import stage_tests

        while True:  # on to the first stage with tests left to run
            if over:
                stage, previous, failed, skip = stage + 1, failed, [], set()
                if stage == len(stages):
                    self.emit(id=child.job_id, end={"timed_out": False})
                    return None
            if any(n not in skip for n in stage_tests(child.collected, stages[stage], previous)):
                return child.job_id, child.job, {"stage": stage, "skip": skip, "failed": failed, "previous": previous}
            over = True

    @staticmethod
    def go_on(waiting: deque, rest: tuple | None) -> None:
        if rest is not None:
            waiting.appendleft(rest)  # before new jobs: it is the rest of a job under way

    def serve(self) -> None:
        stdin = sys.stdin.buffer.raw if hasattr(sys.stdin.buffer, "raw") else sys.stdin.buffer
        selector = selectors.DefaultSelector()
        selector.register(stdin.fileno(), selectors.EVENT_READ)
        waiting: deque = deque()
        running: dict[int, Child] = {}
        incoming, open_input = b"", True
        self.emit(ready={"fork": self.use_fork, "pid": os.getpid()})
        while open_input or waiting or running:
            while waiting and len(running) < self.parallel:
                job_id, job, where = waiting.popleft()
                child = self.start(job_id, job, busy=[c.cpu for c in running.values()], **where)
                running[child.fd] = child
                selector.register(child.fd, selectors.EVENT_READ)
            timeout = max(0.0, min(c.deadline for c in running.values()) - time.monotonic()) if running else None
            for key, _ in selector.select(timeout):
                if key.fd == stdin.fileno():
                    data = os.read(key.fd, 1 << 16)
                    if not data:
                        open_input = False
                        selector.unregister(key.fd)
                        continue
                    incoming += data
                    *lines, incoming = incoming.split(b"\n")
                    for line in lines:
                        request = json.loads(line)
                        # Zygotes import their variants in parallel, while jobs wait for a slot.
                        if self.use_fork:
                            self.zygote(request["job"])
                        if request["job"].get("prepare"):  # a variant to import ahead of its jobs
                            self.emit(id=request["id"], end={"timed_out": False})
                        else:
                            waiting.append((request["id"], request["job"], {}))
                    continue
                child = running[key.fd]
                data = os.read(key.fd, 1 << 16)
                if data:
                    self.relay(child, data)
                    continue
                selector.unregister(key.fd)
                self.go_on(waiting, self.finish(running.pop(key.fd), timed_out=False))
            now = time.monotonic()
            for fd, child in list(running.items()):
                if child.deadline <= now:
                    selector.unregister(fd)
                    self.go_on(waiting, self.finish(running.pop(fd), timed_out=True))
        for zygote in self.zygotes.values():
            zygote.close()
        shutil.rmtree(self.root, ignore_errors=True)


def main() -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the parent decides when this worker ends
    worker = Worker(parallel=max(1, int(sys.argv[1])), use_fork=CAN_FORK and "--spawn" not in sys.argv)
    worker.serve()


if __name__ == "__main__":
    main()
