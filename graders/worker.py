"""The warm worker: one process that imports pytest, FastAPI and friends once (never the app
under test) and runs each job, a learner's suite against one variant of the app, in a process
of its own.

    python -m graders.worker PARALLEL [--spawn]

Messages are JSON lines. In: {"id": N, "job": JOB}, {"id": N, "prepare": VARIANT} (import a
variant ahead of its jobs) and {"cancel": N}. Out: {"ready": {...}} once, then for each job
its events, {"id": N, "event": {...}}, and its end, {"id": N, "end": {"reason": ..., "test":
..., "message": ...}}.

A JOB is {"variant": {"sources": {module: text}}, "command": {...}, "timeout": seconds a test
may take, "grace": {test: seconds}, "stop_after": test, "stop_on_failure": [tests]}. The
command (graders.child.order) goes to the job's process, and it is all that process learns; the
rest is the worker's to apply: a test that runs past its time ends the job ("timeout"), and the
job is stopped once it has run `stop_after`, or once a test in `stop_on_failure` has failed
("stopped"). Whatever the job would have run after that, it never runs.

Processes (see graders/sandbox.py for the namespaces):
- the *mother*, forked from this worker right after its imports, before any job reached it:
  it forks the zygotes, so that none of them holds anything of the jobs;
- a *zygote* per variant, in a box whose copy of the app is the variant's files: it imports
  the app and prepares a pytest session, then forks a process per job, which enters the job's
  namespaces and forks the job's PID 1, which forks the process that runs the suite
  (graders.child.run_job).
Every job on a variant starts from the same zygote in the same state; ended, its PID 1 is
killed and its namespaces with everything in them. Where namespaces are not available, the
same chain runs without them (sandbox.mode() == "none"), and where fork is missing each job
is a fresh `python -m graders.child`.
"""
from __future__ import annotations

import errno
import gc
import hashlib
import json
import os
import random
import selectors
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections import Counter, deque
from pathlib import Path

CAN_FORK = hasattr(os, "fork") and sys.platform != "darwin"
EVENTS_LIMIT = 4 * 2**20  # bytes of events a job may send
MEMORY_LIMIT = 2 * 2**30
MAX_PROCESSES = 128  # processes and threads of one job (anyio's thread pool alone may take 40)
TMP_BYTES = 256 * 2**20
CPU_SECONDS = 600  # a backstop: the worker's clock ends a job long before
SUSPECT_SECONDS = 2.0  # a test running longer may hang: its job gives its place up
ZYGOTE_SECONDS = 60.0  # importing a variant the first time, on a busy machine
ZYGOTES = 32  # the variants of two or three exercises
PRELOAD = (
    "pytest", "_pytest.assertion.rewrite", "pytest_asyncio.plugin", "anyio.pytest_plugin",
    "fastapi", "fastapi.testclient", "anyio._backends._asyncio", "sqlalchemy.orm",
    "sqlalchemy.dialects.sqlite.pysqlite", "sqlite3", "pydantic", "httpx", "jwt",
    "asgi_lifespan", "graders.child", "graders.sandbox",
)


# --- warming up ---------------------------------------------------------------------------

def warm_up() -> None:
    """Import what every job needs, once, so that forked processes start warm."""
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
        _import_app()  # what the app imports stays; the app itself each zygote imports anew
        for name in [n for n in sys.modules if n == "forge" or n.startswith("forge.")]:
            del sys.modules[name]
    # Forked processes then share these objects' pages instead of copying them the first time
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
    (its built-in plugins, pdb, unittest, ...), which every job would otherwise import again."""
    import contextlib
    import io

    import pytest

    from graders.child import INI_FILE, PYTEST_ARGS, SUITE_FILE, write_scratch

    here = os.getcwd()
    with tempfile.TemporaryDirectory() as scratch, contextlib.redirect_stdout(io.StringIO()):
        write_scratch(scratch, "import pytest\n\n@pytest.fixture\ndef one():\n    return 1\n\n"
                               "def test_sync(one, tmp_path, monkeypatch):\n    assert one == 1\n\n"
                               "@pytest.mark.asyncio\nasync def test_async():\n    assert True\n")
        autoload = os.environ.get("PYTEST_DISABLE_PLUGIN_AUTOLOAD")
        os.environ["PYTEST_DISABLE_PLUGIN_AUTOLOAD"] = "1"  # as in the jobs
        try:
            os.chdir(scratch)
            pytest.main([SUITE_FILE, "--rootdir", scratch, "-c", INI_FILE, *PYTEST_ARGS])
        finally:
            os.chdir(here)
            # pytest would hand the throwaway suite's module to the jobs, by its name.
            for name, module in list(sys.modules.items()):
                if str(getattr(module, "__file__", None) or "").startswith(scratch):
                    del sys.modules[name]
            if autoload is None:
                del os.environ["PYTEST_DISABLE_PLUGIN_AUTOLOAD"]
            else:
                os.environ["PYTEST_DISABLE_PLUGIN_AUTOLOAD"] = autoload


def fork() -> int:
    """os.fork, given a moment when processes are short: those of a fork bomb that was just
    killed take a while to go, and the next job should not fail for them."""
    for wait in (0.01, 0.05, 0.1, 0.25, 0.5, 1.0, 2.0):
        try:
            return os.fork()
        except BlockingIOError:
            time.sleep(wait)
    return os.fork()


def _keep_only(*fds: int) -> None:
    """Standard streams to /dev/null, and no file descriptor open but these."""
    devnull = os.open(os.devnull, os.O_RDWR)
    for stream in (0, 1, 2):
        os.dup2(devnull, stream)
    keep = sorted({f for f in fds if f > 2})
    start = 3
    for fd in keep:
        os.closerange(start, fd)
        start = fd + 1
    os.closerange(start, 1 << 16)


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


CPUS = sorted(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else []


def importlib_cache(source: str) -> str:
    import importlib.util

    return importlib.util.cache_from_source(source)


# --- the mother and the zygotes -------------------------------------------------------------

def _box_paths(secret: list[str]) -> tuple[Path, list[Path], list[Path]]:
    """For the box: the app's directory, what must not be seen (the exercises' data and
    `secret`), and what Python needs."""
    from graders.exercises import APP_DIR, EXERCISES_DIR

    root = APP_DIR.parent
    graders_dir = Path(__file__).resolve().parent
    hidden = [EXERCISES_DIR] + [Path(p) for p in secret]
    prefixes = {Path(p) for p in (sys.prefix, sys.base_prefix, sys.exec_prefix, sys.base_exec_prefix)}
    keep = set(prefixes) | {graders_dir}
    for entry in sys.path:
        path = Path(entry) if entry and os.path.isabs(entry) else None
        if path is None or not path.is_dir():
            continue
        # The course directory is on sys.path: only its app and engine go in the box.
        if path.resolve() == root or (path.resolve().is_relative_to(root)
                                       and not any(path.is_relative_to(p) for p in prefixes)):
            continue
        keep.add(path)
    return APP_DIR, hidden, sorted(keep)


def _mother(channel: socket.socket, contained: bool, secret: list[str]) -> None:
    """Fork a zygote for each variant asked for; send back its pidfd and its socket."""
    from graders import sandbox

    sandbox.die_with_parent()
    signal.signal(signal.SIGCHLD, signal.SIG_IGN)  # zygotes are reaped as they end
    app_dir, hidden, keep = _box_paths(secret) if contained else (None, [], [])
    while True:
        request = channel.recv(4096)
        if not request:
            return
        request = json.loads(request)
        ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        pid = fork()
        if pid == 0:
            try:
                channel.close()
                ours.close()
                _zygote(theirs, Path(request["variant"]), Path(request["stage"]), contained,
                        app_dir, hidden, keep)
            finally:
                os._exit(0)
        theirs.close()
        pidfd = os.pidfd_open(pid)
        socket.send_fds(channel, [b"Z"], [pidfd, ours.fileno()])
        os.close(pidfd)
        ours.close()


def _zygote(channel: socket.socket, variant: Path, stage: Path, contained: bool,
            app_dir, hidden, keep) -> None:
    from graders import child, sandbox

    sandbox.die_with_parent()
    _keep_only(channel.fileno())
    kept: list[str] = []
    if contained:
        kept = sandbox.enter_box(stage, app_dir, variant / app_dir.name, hidden, keep)
        # A small /tmp of the zygote's own, to prepare pytest in (every job mounts its own).
        sandbox.private_tmp(2**20, kept)
    else:
        child.use_variant(str(variant))
    child.scrub_environment(child.SCRATCH if contained else str(variant))
    _import_app()
    prepared = child.prepare() if contained else None
    gc.collect()
    gc.freeze()
    gc.disable()  # its own collections would count the jobs it has forked, for every job to see
    signal.signal(signal.SIGCHLD, signal.SIG_IGN)  # job processes are reaped as they end
    channel.send(b"R")
    # Every job starts from this loop in the same state: nothing of a job stays here.
    while True:
        message, fds, _, _ = socket.recv_fds(channel, 16, 1)
        if not message or not fds:
            return
        pid = fork()
        if pid == 0:
            try:
                _job(channel, socket.socket(fileno=fds[0]), prepared, contained, kept)
            finally:
                os._exit(0)
        os.close(fds[0])


def _import_app() -> None:
    """Import every module of the app (our code only: no learner code has run yet). A module
    that fails to import is left for the job, whose collection then reports the error."""
    import importlib
    import pkgutil

    try:
        package = importlib.import_module("forge")
        names = sorted(m.name for m in pkgutil.walk_packages(package.__path__, "forge."))
        for name in names:
            importlib.import_module(name)
    except Exception:  # noqa: BLE001 - reported by the job's collection
        for name in [n for n in sys.modules if n == "forge" or n.startswith("forge.")]:
            del sys.modules[name]


def _job(channel: socket.socket, sock: socket.socket, prepared, contained: bool, kept: list[str]) -> None:
    """The process that keeps a job: it makes the job's namespaces and its PID 1, and sends
    the worker a pidfd of that PID 1 (killing it kills the job)."""
    from graders import child, sandbox

    sandbox.die_with_parent()
    signal.signal(signal.SIGCHLD, signal.SIG_DFL)
    if contained:
        sandbox.enter_job()
    first = fork()
    if first == 0:
        try:
            channel.close()
            sandbox.die_with_parent()
            os.setsid()  # a session of its own: signals to "my process group" stop here
            if not contained:
                try:
                    child.run_job(sock, prepared, contained=False)
                except BaseException:  # noqa: BLE001 - ours, not the learner's: say so
                    _internal_error(sock)
                return
            try:
                sandbox.init_job(TMP_BYTES, kept)
            except BaseException:  # noqa: BLE001 - ours, not the learner's: say so
                _internal_error(sock)
                raise
            runner = fork()
            if runner == 0:
                try:
                    sandbox.die_with_parent()
                    child.run_job(sock, prepared, contained=True)
                except BaseException:  # noqa: BLE001 - ours, not the learner's: say so
                    _internal_error(sock)
                finally:
                    os._exit(0)
            sock.close()
            while os.wait()[0] != runner:  # PID 1 reaps every orphan of the job
                pass
        finally:
            os._exit(0)
    sock.close()
    pidfd = os.pidfd_open(first)
    socket.send_fds(channel, [b"P%d" % first], [pidfd])
    os.close(pidfd)
    channel.close()
    os.waitpid(first, 0)


def _internal_error(sock: socket.socket) -> None:
    import traceback

    try:
        sock.sendall((json.dumps({"event": "internal_error", "message": traceback.format_exc()[-2000:]}) + "\n").encode())
    except OSError:
        pass


class Zygote:
    def __init__(self, pidfd: int, sock: socket.socket, directory: Path):
        self.pidfd, self.socket, self.directory = pidfd, sock, directory
        self.used = time.monotonic()
        self.ready = False

    def wait_ready(self) -> bool:
        if not self.ready:
            self.socket.settimeout(ZYGOTE_SECONDS)
            try:
                self.ready = self.socket.recv(16) == b"R"
            except OSError:
                return False
        return self.ready

    def start(self, sock: socket.socket) -> tuple[int, int] | None:
        """Fork a job's process; the pidfd and pid of its first process (the job's PID 1 in
        its namespaces), or None if this zygote is gone."""
        self.used = time.monotonic()
        try:
            if not self.wait_ready():
                return None
            socket.send_fds(self.socket, [b"J"], [sock.fileno()])
            self.socket.settimeout(ZYGOTE_SECONDS)
            message, fds, _, _ = socket.recv_fds(self.socket, 16, 1)
            return (fds[0], int(message[1:])) if message.startswith(b"P") and fds else None
        except OSError:
            return None

    def close(self) -> None:
        self.socket.close()
        _kill(self.pidfd)
        os.close(self.pidfd)
        shutil.rmtree(self.directory, ignore_errors=True)


def _remove_user(uid: int) -> None:
    """Without namespaces, as root: end every process of a job's user (also those that left
    its process group), then remove the files it left in the shared temporary places. Done
    by a process of that user, in the background (the worker does not wait for it)."""
    pid = os.fork()
    if pid == 0:
        try:
            if os.fork() == 0:
                os.setsid()
                os.setgroups([])
                os.setresgid(uid, uid, uid)
                os.setresuid(uid, uid, uid)
                deadline = time.monotonic() + 30
                while _alive_processes_of(uid) and time.monotonic() < deadline:
                    try:
                        os.kill(-1, signal.SIGKILL)  # every process of this user but this one
                    except OSError:
                        pass
                    time.sleep(0.02)
                for place in ("/tmp", "/dev/shm", "/var/tmp"):
                    try:
                        entries = [e for e in os.scandir(place) if e.stat(follow_symlinks=False).st_uid == uid]
                    except OSError:
                        continue
                    for entry in entries:
                        if entry.is_dir(follow_symlinks=False):
                            shutil.rmtree(entry.path, ignore_errors=True)
                        else:
                            try:
                                os.unlink(entry.path)
                            except OSError:
                                pass
        finally:
            os._exit(0)
    os.waitpid(pid, 0)


def _alive_processes_of(uid: int) -> bool:
    """Whether a process of this user, other than the caller, still runs (zombies do not)."""
    me = os.getpid()
    for entry in os.listdir("/proc"):
        if not entry.isdigit() or int(entry) == me:
            continue
        try:
            status = Path(f"/proc/{entry}/status").read_text()
        except OSError:
            continue
        fields = dict(line.split(":", 1) for line in status.splitlines() if ":" in line)
        if int(fields.get("Uid", "-1").split()[0]) == uid and not fields.get("State", "").strip().startswith("Z"):
            return True
    return False


def _put_behind(job: Job) -> bool:
    """The lowest priority for a job that may hang; False if it must be tried again. Linux
    (autogroup) shares the CPUs between sessions by each session's own nice value, and each
    job is a session: without that value, a spinning job keeps an equal share."""
    if job.leader is None:
        return True
    # Its processes too (where sessions are not scheduled as wholes): its own user's, as root,
    # and its session's process group.
    for which, who in ((os.PRIO_USER, job.spec.get("uid")), (os.PRIO_PGRP, job.leader)):
        try:
            if who is not None:
                os.setpriority(which, who, 19)
        except OSError:
            pass
    try:
        Path(f"/proc/{job.leader}/autogroup").write_text("19")
    except OSError as error:  # EAGAIN: unprivileged, at most one change every 100 ms
        return error.errno != errno.EAGAIN
    return True


def _kill(pidfd: int) -> None:
    try:
        signal.pidfd_send_signal(pidfd, signal.SIGKILL)
    except OSError:
        pass


# --- jobs -----------------------------------------------------------------------------------

class Job:
    """A running job and what the worker knows of it."""

    def __init__(self, job_id, spec: dict, pidfd: int | None, sock: socket.socket, popen=None):
        self.id, self.spec, self.pidfd, self.socket, self.popen = job_id, spec, pidfd, sock, popen
        self.started_at = time.monotonic()
        self.deadline = self.started_at + spec["timeout"]  # to collect the suite
        self.test: str | None = None  # the test running now
        self.test_started = 0.0
        self.collected = False
        self.stop_now = False  # its stop rule was met: end it at this test's finish
        self.demoted = False  # a test of it ran long: it gave its place up, at the lowest priority
        self.behind = False  # that priority is set
        self.leader: int | None = None  # its first process, the leader of its session
        self.group: int | None = None  # where there are no namespaces: its process group
        self.buffer = b""
        self.received = 0


class Worker:
    def __init__(self, parallel: int, use_fork: bool = CAN_FORK, secret: list[str] = ()):
        from graders import sandbox

        self.parallel = parallel
        self.use_fork = use_fork
        self.contained = use_fork and sandbox.mode() == "namespaces"
        self.root = Path(tempfile.mkdtemp(prefix="graders-worker-"))
        # Users for the jobs: a range of this worker's own, never one user for two jobs (one
        # that has ended may still be being cleaned up).
        self.uid_base = 0x40000000 + random.SystemRandom().randrange(1 << 10) * (1 << 20)
        self.used_uids: set[int] = set()
        self.processes = MAX_PROCESSES if self._own_uids else _processes_of_this_user() + MAX_PROCESSES
        self.zygotes: dict[str, Zygote] = {}
        self.variants: dict[str, Path] = {}
        self.suites: dict[str, str | None] = {}  # rewritten suites (see rewritten)
        self.bytecode: dict[tuple[str, str], bytes] = {}  # compiled modules of the app (see compile)
        self.rewriting = None  # the pytest configuration that rewrites them
        self.waiting: deque = deque()
        self.expired: set[tuple] = set()  # (grading, test): a test found hanging on a correct app
        self.running: dict[int, Job] = {}  # by socket fd
        self.selector = selectors.DefaultSelector()
        if use_fork:
            warm_up()
            ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
            pid = fork()
            if pid == 0:
                try:
                    ours.close()
                    _keep_only(theirs.fileno())
                    _mother(theirs, self.contained, list(secret))
                finally:
                    os._exit(0)
            theirs.close()
            self.mother, self.mother_pid = ours, pid

    @property
    def _own_uids(self) -> bool:
        """As root on Linux every job runs as a user of its own: in namespaces, or without
        them where that user can still run Python (sandbox.separate_users)."""
        from graders import sandbox

        return self.use_fork and os.getuid() == 0 and (self.contained or sandbox.separate_users())

    def emit(self, **message) -> None:
        sys.stdout.write(json.dumps(message) + "\n")
        sys.stdout.flush()

    def variant_dir(self, sources: dict[str, str]) -> tuple[str, Path]:
        """The variant's copy of the app, written once: the real files with its edits, all
        with the same times, in a directory of a random name."""
        from graders.exercises import APP_DIR

        key = hashlib.sha256(json.dumps(sources, sort_keys=True).encode()).hexdigest()
        if key not in self.variants:
            directory = self.root / f"v-{random.SystemRandom().getrandbits(64):016x}"
            app = directory / APP_DIR.name
            shutil.copytree(APP_DIR, app, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
            for module, text in sources.items():
                (app / Path(*module.split(".")[1:])).with_suffix(".py").write_text(text)
            self.compile(app, APP_DIR)
            stamp = 1_700_000_000
            for folder, _, files in os.walk(directory):
                os.chmod(folder, 0o755)
                for name in files:
                    os.chmod(os.path.join(folder, name), 0o644)
                    os.utime(os.path.join(folder, name), (stamp, stamp))
                os.utime(folder, (stamp, stamp))
            self.variants[key] = directory
        return key, self.variants[key]

    def compile(self, app: Path, real: Path) -> None:
        """Bytecode next to every module of a variant's copy, checked against its source's
        hash, so that its zygote imports it without compiling (each distinct file is compiled
        once, under the path it has in the box)."""
        import py_compile

        for source in app.rglob("*.py"):
            relative = source.relative_to(app)
            key = (str(relative), hashlib.sha256(source.read_bytes()).hexdigest())
            target = Path(importlib_cache(str(source)))
            if key not in self.bytecode:
                try:
                    py_compile.compile(str(source), cfile=str(target), dfile=str(real / relative), doraise=True,
                                       invalidation_mode=py_compile.PycInvalidationMode.CHECKED_HASH)
                except (py_compile.PyCompileError, OSError):
                    continue  # the import reports it
                self.bytecode[key] = target.read_bytes()
            else:
                target.parent.mkdir(exist_ok=True)
                target.write_bytes(self.bytecode[key])

    def zygote(self, sources: dict[str, str]) -> Zygote:
        key, directory = self.variant_dir(sources)
        if key not in self.zygotes:
            if len(self.zygotes) >= ZYGOTES:
                oldest = min(self.zygotes, key=lambda k: self.zygotes[k].used)
                self.zygotes.pop(oldest).close()
            stage = self.root / f"s-{random.SystemRandom().getrandbits(64):016x}"
            stage.mkdir()
            self.mother.sendall(json.dumps({"variant": str(directory), "stage": str(stage)}).encode())
            self.mother.settimeout(ZYGOTE_SECONDS)
            _, fds, _, _ = socket.recv_fds(self.mother, 16, 2)
            self.zygotes[key] = Zygote(fds[0], socket.socket(fileno=fds[1]), stage)
        return self.zygotes[key]

    def rewritten(self, suite: str) -> str | None:
        """The suite as pytest would rewrite its asserts, as a pytest pyc (base64), made once
        per suite here instead of in every job; None where pytest will report a problem."""
        from graders.child import INI_FILE, PYTEST_ARGS, SUITE_FILE, write_scratch

        key = hashlib.sha256(suite.encode()).hexdigest()
        if key not in self.suites:
            try:
                import base64
                import io

                from _pytest.assertion.rewrite import _rewrite_test, _write_pyc_fp
                from _pytest.config import _prepareconfig

                scratch = self.root / "suite"
                write_scratch(str(scratch), suite)
                if self.rewriting is None:
                    self.rewriting = _prepareconfig([str(scratch / SUITE_FILE), "--rootdir", str(scratch), "-c",
                                                     str(scratch / INI_FILE), *PYTEST_ARGS])
                source_hash, code = _rewrite_test(scratch / SUITE_FILE, self.rewriting)
                pyc = io.BytesIO()
                _write_pyc_fp(pyc, source_hash, code)
                self.suites[key] = base64.b64encode(pyc.getvalue()).decode()
            except Exception:  # noqa: BLE001 - a syntax error: pytest reports it in the job
                self.suites[key] = None
        return self.suites[key]

    def command(self, spec: dict) -> dict:
        command = dict(spec["command"])
        if self.contained:
            command["pyc"] = self.rewritten(command["suite"])
        command.update(memory=MEMORY_LIMIT, processes=self.processes, cpu_seconds=CPU_SECONDS)
        if CPUS:
            command["cpu"] = self.free_cpu()
        if self._own_uids:  # a user of its own, that no other job of this worker has had
            uid = self.uid_base + random.SystemRandom().randrange(1 << 20)
            while uid in self.used_uids:
                uid = self.uid_base + random.SystemRandom().randrange(1 << 20)
            self.used_uids.add(uid)
            command["uid"] = uid
        if not self.contained:  # no private /tmp: a scratch directory the worker removes at the end
            command["scratch"] = tempfile.mkdtemp(prefix="graders-job-")
            if "uid" in command:
                os.chown(command["scratch"], command["uid"], command["uid"])
        return command

    def free_cpu(self) -> int:
        """The CPU for a new job: each job on a CPU of its own (TestClient hands every request
        between two threads, far cheaper when both stay on one CPU), the one with the fewest
        jobs. A job that gave its place up runs behind the others: its CPU is free for them.
        A tie goes to a CPU at random: workers side by side on one machine (Dask workers) see
        only their own jobs, and would all take the first CPU."""
        busy = [job.spec.get("cpu") for job in self.running.values() if not job.demoted]
        fewest = min(map(busy.count, CPUS))
        return random.choice([cpu for cpu in CPUS if busy.count(cpu) == fewest])

    def start(self, job_id, spec: dict) -> None:
        ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
        command = self.command(spec)
        spec = {**spec, "uid": command.get("uid"), "cpu": command.get("cpu"), "scratch": command.get("scratch")}
        popen = pidfd = pid = None
        if self.use_fork:
            zygote = self.zygote(spec["variant"]["sources"])
            started = zygote.start(theirs)
            if started is None:  # the zygote is gone: a new one next time
                key, _ = self.variant_dir(spec["variant"]["sources"])
                self.zygotes.pop(key).close()
                theirs.close()
                ours.close()
                if spec["scratch"]:
                    shutil.rmtree(spec["scratch"], ignore_errors=True)
                self.emit(id=job_id, end={"reason": "died", "test": None,
                                          "message": "the app could not be prepared for this run"})
                return
            pidfd, pid = started
        else:
            _, directory = self.variant_dir(spec["variant"]["sources"])
            popen = subprocess.Popen(
                [sys.executable, "-m", "graders.child"], stdin=theirs.fileno(),
                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True,
                env={"PATH": os.environ.get("PATH", os.defpath), "GRADERS_VARIANT": str(directory),
                     "PYTHONPATH": str(Path(__file__).resolve().parent.parent)},
            )
        theirs.close()
        data = json.dumps(command).encode()
        ours.sendall(len(data).to_bytes(8, "big") + data)
        job = Job(job_id, spec, pidfd, ours, popen)
        job.leader = popen.pid if popen is not None else pid
        if not self.contained and popen is None:
            job.group = pid
        self.running[ours.fileno()] = job
        self.selector.register(ours.fileno(), selectors.EVENT_READ)

    def relay(self, job: Job, data: bytes) -> None:
        job.received += len(data)
        if job.received > EVENTS_LIMIT:
            return  # flooding its socket: the rest is dropped
        job.buffer += data
        *lines, job.buffer = job.buffer.split(b"\n")
        for line in lines:
            try:
                event = json.loads(line)
            except ValueError:
                continue
            if isinstance(event, dict):
                self.track(job, event)

    def track(self, job: Job, event: dict) -> None:
        kind, nodeid, now = event.get("event"), event.get("nodeid"), time.monotonic()
        spec = job.spec
        if kind == "collected":
            if job.collected:
                return
            job.collected = True
            job.deadline = float("inf")
        elif kind == "start":
            job.test, job.test_started = str(nodeid), now
            job.deadline = now + float(spec.get("grace", {}).get(nodeid, spec["timeout"]))
            if (spec.get("task"), job.test) in self.expired:
                job.deadline = now  # it hung on a correct app: no need to wait for it here
        elif kind == "report" and event.get("outcome") == "failed" and nodeid in (spec.get("stop_on_failure") or ()):
            job.stop_now = True
        elif kind == "finish":
            event["duration"] = round(now - job.test_started, 4)
            job.test, job.deadline = None, float("inf")
            self.emit(id=job.id, event=event)
            if job.stop_now or nodeid == spec.get("stop_after"):
                self.end(job, "stopped")
            return
        elif kind == "end":
            self.emit(id=job.id, event=event)
            self.end(job, "completed")
            return
        self.emit(id=job.id, event=event)

    def end(self, job: Job, reason: str, message: str = "") -> None:
        if self.running.pop(job.socket.fileno(), None) is None:
            return
        self.selector.unregister(job.socket.fileno())
        if job.pidfd is not None:
            _kill(job.pidfd)  # a job's PID 1: its namespaces and all in them go with it
            os.close(job.pidfd)
        if job.group is not None:  # no namespaces: its process group, at least
            try:
                os.killpg(job.group, signal.SIGKILL)
            except OSError:
                pass
            if job.spec.get("uid") is not None:  # and, as root, all that its user left behind
                _remove_user(job.spec["uid"])
        if job.popen is not None:
            for kill in (lambda: os.killpg(job.popen.pid, signal.SIGKILL), job.popen.kill):
                try:
                    kill()
                except OSError:
                    pass
            job.popen.wait()
        if job.spec.get("scratch"):
            shutil.rmtree(job.spec["scratch"], ignore_errors=True)
        job.socket.close()
        test = job.test if reason in ("timeout", "died", "cancelled") else None
        message = message if test or reason != "died" or not job.collected else "ended its test process between two tests"
        self.emit(id=job.id, end={"reason": reason, "test": test, "message": message,
                                  "elapsed": round(time.monotonic() - job.test_started, 4) if test else 0.0})

    def next_waiting(self) -> tuple:
        """The waiting job to start next: the first of the grading with the fewest jobs running
        (jobs carry their grading's number), so that one suite's slow runs do not hold up the
        others graded beside it. A job that gave its place up (`places`) does not count: a
        suite whose test hangs on every app would otherwise wait, its run on the real app
        with it, behind every other suite, for a hang found only when that run times out."""
        running = Counter(job.spec.get("task") for job in self.running.values() if not job.demoted)
        index = min(range(len(self.waiting)), key=lambda i: (running[self.waiting[i][1].get("task")], i))
        chosen = self.waiting[index]
        del self.waiting[index]
        return chosen

    def places(self) -> int:
        """How many jobs may run at once. A job whose test runs long may hang (and may spin a
        CPU while it does): it gives its place up to a waiting job and runs on at the lowest
        priority, so that a hang costs others one timeout, not the CPUs. One place for one,
        never a burst: under a class's load, a burst would starve the worker that times them."""
        now = time.monotonic()
        for job in self.running.values():
            if not job.demoted and job.test is not None and now - job.test_started > SUSPECT_SECONDS:
                job.demoted = True
            if job.demoted and not job.behind:
                job.behind = _put_behind(job)
        return self.parallel + sum(job.demoted for job in self.running.values())

    def serve(self) -> None:
        stdin = sys.stdin.buffer.raw if hasattr(sys.stdin.buffer, "raw") else sys.stdin.buffer
        self.selector.register(stdin.fileno(), selectors.EVENT_READ)
        incoming, open_input = b"", True
        from graders import sandbox

        self.emit(ready={"fork": self.use_fork, "sandbox": "namespaces" if self.contained else "none",
                         "description": sandbox.describe("namespaces" if self.contained else "none")})
        while open_input or self.waiting or self.running:
            while self.waiting and len(self.running) < self.places():
                self.start(*self.next_waiting())
            now = time.monotonic()
            deadlines = [j.deadline for j in self.running.values() if j.deadline != float("inf")]
            timeout = max(0.0, min(deadlines) - now) if deadlines else None
            if self.waiting:
                timeout = min(timeout if timeout is not None else SUSPECT_SECONDS, 0.25)
            for key, _ in self.selector.select(timeout):
                if key.fd == stdin.fileno():
                    data = os.read(key.fd, 1 << 16)
                    if not data:  # the grader is done with this worker: stop, clean up, exit
                        open_input = False
                        self.selector.unregister(key.fd)
                        self.waiting.clear()
                        for job in list(self.running.values()):
                            self.end(job, "cancelled")
                        continue
                    incoming += data
                    *lines, incoming = incoming.split(b"\n")
                    for line in lines:
                        self.request(json.loads(line))
                    continue
                job = self.running.get(key.fd)
                if job is None:
                    continue
                data = os.read(key.fd, 1 << 16)
                if data:
                    self.relay(job, data)
                else:
                    self.end(job, "died", "ended its test process (exit, crash or resource limit)")
            now = time.monotonic()
            for job in list(self.running.values()):
                if job.deadline <= now:
                    self.end(job, "timeout", "did not finish in time")
        for job in list(self.running.values()):
            self.end(job, "cancelled")
        self.close()

    def request(self, request: dict) -> None:
        if "expire" in request:  # a test hung on a correct app: wherever it runs, it has timed out
            key = (request["expire"]["task"], request["expire"]["test"])
            self.expired.add(key)
            for job in list(self.running.values()):
                if (job.spec.get("task"), job.test) == key:
                    job.deadline = time.monotonic()
            return
        if "cancel" in request:
            waited = len(self.waiting)
            self.waiting = deque(w for w in self.waiting if w[0] != request["cancel"])
            if len(self.waiting) < waited:  # it had not started: it ends now
                self.emit(id=request["cancel"], end={"reason": "cancelled", "test": None,
                                                     "message": "", "elapsed": 0.0})
            for job in list(self.running.values()):
                if job.id == request["cancel"]:
                    self.end(job, "cancelled")
            return
        if "prepare" in request:
            if self.use_fork:
                self.zygote(request["prepare"]["sources"])
                if self.contained:
                    self.rewritten("")  # pytest's configuration for rewriting suites, made now
            self.emit(id=request["id"], end={"reason": "completed", "test": None, "message": ""})
            return
        if self.use_fork:  # zygotes import their variants in parallel, while jobs wait
            self.zygote(request["job"]["variant"]["sources"])
        self.waiting.append((request["id"], request["job"]))

    def close(self) -> None:
        for zygote in self.zygotes.values():
            zygote.close()
        if self.use_fork:
            self.mother.close()
        shutil.rmtree(self.root, ignore_errors=True)


def main() -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the parent decides when this worker ends
    os.chdir(Path(__file__).resolve().parent.parent)
    line = b""
    while not line.endswith(b"\n"):  # byte by byte: what follows is read unbuffered by serve()
        byte = os.read(0, 1)
        if not byte:
            return
        line += byte
    settings = json.loads(line).get("settings", {})
    worker = Worker(parallel=max(1, int(sys.argv[1])), use_fork=CAN_FORK and "--spawn" not in sys.argv,
                    secret=settings.get("hidden", []))
    try:
        worker.serve()
    finally:
        worker.close()


if __name__ == "__main__":
    main()
