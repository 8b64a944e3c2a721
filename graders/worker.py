"""The warm worker: one process that imports pytest, FastAPI and friends once (never the app
under test) and then runs each job in a child of its own.

    python -m graders.worker PARALLEL

Jobs arrive on stdin, one JSON object a line: {"id": ..., "job": {...}}. Every event a child
reports comes back on stdout wrapped with its job's id, {"id": ..., "event": {...}}, and a job
ends with {"id": ..., "end": {"timed_out": bool}}. A child's only way out is its own pipe: it
cannot write to this channel, and whatever it writes to its pipe only speaks for its own job.

Children are forked (the fast path), or, where fork is missing, started as
`python -m graders.child`. Each gets a scratch directory, a wall-clock deadline after which its
whole process group is killed, and the limits in graders.child.contain.
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


class Child:
    def __init__(self, job_id, pid: int, fd: int, deadline: float, scratch: Path, popen=None):
        self.job_id, self.pid, self.fd, self.deadline = job_id, pid, fd, deadline
        self.scratch, self.popen = scratch, popen
        self.buffer = b""
        self.received = 0


class Worker:
    def __init__(self, parallel: int, use_fork: bool = CAN_FORK):
        self.parallel = parallel
        self.use_fork = use_fork
        self.root = Path(tempfile.mkdtemp(prefix="graders-worker-"))
        self.count = 0
        self.max_processes = _processes_of_this_user() + 512
        self._compiled: dict = {}
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

    def start(self, job_id, job: dict) -> Child:
        job = {**job, "max_processes": self.max_processes}
        scratch = self.prepare(job)
        read_fd, write_fd = os.pipe()
        # Tests alone each get the full time: the job gets it once per test.
        tests = len(job.get("order") or ()) if job.get("isolate") else 1
        deadline = time.monotonic() + job["timeout"] * max(1, tests)
        if self.use_fork:
            compiled = self.compiled(job)
            pid = os.fork()
            if pid == 0:  # the child: never returns
                try:
                    os.setsid()
                    signal.signal(signal.SIGTERM, signal.SIG_DFL)
                    os.close(read_fd)
                    from graders.child import run_job

                    run_job(job, write_fd, str(scratch), compiled)
                finally:
                    os._exit(0)
            os.close(write_fd)
            return Child(job_id, pid, read_fd, deadline, scratch)
        popen = subprocess.Popen(
            [sys.executable, "-m", "graders.child", str(write_fd), str(scratch)],
            stdin=subprocess.PIPE, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
            pass_fds=(write_fd,), start_new_session=True,
        )
        os.close(write_fd)
        popen.stdin.write(json.dumps(job).encode())
        popen.stdin.close()
        return Child(job_id, popen.pid, read_fd, deadline, scratch, popen)

    def compiled(self, job: dict) -> dict:
        """The app's modules compiled for this job, before the fork: compiling (not running)
        them here saves every child the work. Cached: the jobs of one suite share most."""
        from graders.child import compile_package

        key = (job["package"], json.dumps(job["sources"], sort_keys=True), job.get("noise"))
        if key not in self._compiled:
            if len(self._compiled) > 64:
                self._compiled.clear()
            try:
                self._compiled[key] = compile_package(job["package"], job["sources"], job.get("noise"))
            except (SyntaxError, OSError, ValueError):
                return {}  # the child compiles what it imports, and reports what fails
        return self._compiled[key]

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
            if isinstance(event, dict):
                self.emit(id=child.job_id, event=event)

    def finish(self, child: Child, timed_out: bool) -> None:
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
        self.emit(id=child.job_id, end={"timed_out": timed_out})

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
                child = self.start(*waiting.popleft())
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
                        waiting.append((request["id"], request["job"]))
                    continue
                child = running[key.fd]
                data = os.read(key.fd, 1 << 16)
                if data:
                    self.relay(child, data)
                    continue
                selector.unregister(key.fd)
                self.finish(running.pop(key.fd), timed_out=False)
            now = time.monotonic()
            for fd, child in list(running.items()):
                if child.deadline <= now:
                    selector.unregister(fd)
                    self.finish(running.pop(fd), timed_out=True)
        shutil.rmtree(self.root, ignore_errors=True)


def main() -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the parent decides when this worker ends
    worker = Worker(parallel=max(1, int(sys.argv[1])), use_fork=CAN_FORK and "--spawn" not in sys.argv)
    worker.serve()


if __name__ == "__main__":
    main()
