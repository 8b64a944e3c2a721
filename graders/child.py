"""What runs a learner's suite: one pytest session against the app that is on disk, as a
command says ("run these tests, in this order": every test in the suite's order, in a
shuffled order, or each alone in a process of its own).

The process that runs it knows nothing else: not which variant of the app it has, nor why
it runs, nor what ran before. Its results go out as JSON lines on the one socket it has.
The worker (graders/worker.py) watches them, and ends the process when a test takes too long
or when it has seen what it needed; whatever comes after is never run.

A zygote (graders/worker.py) prepares the pytest session once, before any learner code
exists (`prepare`), and forks a process per job that only collects the suite and runs it
(`run_job`). Where fork is missing, `python -m graders.child` does the same from scratch
with the job on standard input.
"""
from __future__ import annotations

import gc
import json
import os
import sys

import pytest

from graders.runner import ordered

try:
    import resource
except ImportError:  # Windows
    resource = None

SUITE_FILE = "test_submission.py"
INI_FILE = "pytest.ini"
SCRATCH = "/tmp/suite"  # the working directory of every job, inside its private /tmp
PYTEST_ARGS = [
    # --tb=line: the grader keeps only a failure's one-line message, which is the same in every
    # style, and pytest's long tracebacks cost up to half a second per failure on a defect.
    # --capture=no: output goes nowhere; captured into a file it would be a file every job of
    # a zygote shares.
    "-q", "--tb=line", "--capture=no", "-p", "no:cacheprovider", "-p", "no:unraisableexception",
    "-p", "no:randomly", "-p", "pytest_asyncio.plugin", "-p", "anyio.pytest_plugin",
    "--noconftest", "-o", "asyncio_default_fixture_loop_scope=function",
    "-o", "python_files=test_*.py", "--import-mode=importlib",
    "-W", "ignore::pytest.PytestAssertRewriteWarning",
]
MESSAGE_LIMIT = 2000
COMPLETED, FAILED = 77, 78  # exit statuses of a test run alone: ran to its end; ... and failed


class Recorder:
    """A pytest plugin that runs the collected suite as its command says and streams each
    test's outcome as JSON lines."""

    def __init__(self):
        self.out = None
        self.command: dict = {}
        self.failed = False  # in the test running now (a test run alone reports it by exit status)

    def bind(self, fd: int, command: dict) -> None:
        self.out = os.fdopen(fd, "w", buffering=1)
        self.command = command

    def send(self, **event) -> None:
        self.out.write(json.dumps(event) + "\n")

    @pytest.hookimpl(tryfirst=True)
    def pytest_collection(self, session):
        _watch_overrides()  # before the suite is imported, so that it sees the watched dict

    @pytest.hookimpl(hookwrapper=True)
    def pytest_runtest_call(self, item):
        """A test that removes dependency overrides from the module-level app in its own body,
        outside a `finally:`: it passes, but when an assert before that line fails the clean-up
        never runs and the overrides reach the next tests."""
        watched = _watched()
        if watched is not None:
            watched.removals = []
        outcome = yield
        if watched is None or outcome.excinfo is not None:
            return
        removed = _removed_in_body(item, watched.removals)
        if removed:
            self.send(event="cleanup", nodeid=item.nodeid, overrides=removed)

    def pytest_collectreport(self, report):
        if report.failed:
            self.send(event="collect_error", nodeid=report.nodeid, message=_message(report))

    def pytest_collection_finish(self, session):
        self.send(event="collected", nodeids=[item.nodeid for item in session.items])

    def pytest_runtest_logstart(self, nodeid, location):
        self.send(event="start", nodeid=nodeid)

    def pytest_runtest_logreport(self, report):
        # One test gives up to three reports (setup, call, teardown): the first failure wins.
        if report.failed or report.when == "call" or (report.skipped and report.when == "setup"):
            self.failed |= report.failed
            self.send(event="report", nodeid=report.nodeid, when=report.when,
                      outcome=report.outcome, message=_message(report) if not report.passed else "")

    def pytest_runtest_logfinish(self, nodeid, location):
        self.send(event="finish", nodeid=nodeid)

    @pytest.hookimpl(tryfirst=True)
    def pytest_runtestloop(self, session):
        if session.testsfailed and not session.config.option.continue_on_collection_errors:
            return True  # pytest's own rule: a suite that failed to collect does not run
        items = order(session.items, self.command)
        # Tests alone run in forks of this process: frozen, its objects' pages stay shared, and
        # its collector, off while the suite was collected, is back on.
        gc.freeze()
        gc.enable()
        for index, item in enumerate(items):
            nextitem = items[index + 1] if index + 1 < len(items) else None
            item.config.hook.pytest_runtest_protocol(item=item, nextitem=nextitem)
        return True

    @pytest.hookimpl(tryfirst=True)
    def pytest_runtest_protocol(self, item, nextitem):
        """pytest's own protocol (logstart, setup/call/teardown, logfinish), watching for
        dependency overrides a test leaves on the module-level app; alone, in a fork of this
        process as it was after collection, so that no other test's leftovers reach it."""
        from _pytest.runner import runtestprotocol

        item.ihook.pytest_runtest_logstart(nodeid=item.nodeid, location=item.location)
        if not self.command.get("alone"):
            self._run(item, nextitem)
        else:
            pid = os.fork()
            if pid == 0:
                try:
                    self._run(item, None)
                    self.out.flush()
                    os._exit(FAILED if self.failed else COMPLETED)
                finally:
                    os._exit(1)
            status = os.waitpid(pid, 0)[1]
            if not (os.WIFEXITED(status) and os.WEXITSTATUS(status) in (COMPLETED, FAILED)):
                self.send(event="report", nodeid=item.nodeid, when="call", outcome="failed",
                          message=f"ended its test process when run alone ({_status(status)})")
        item.ihook.pytest_runtest_logfinish(nodeid=item.nodeid, location=item.location)
        return True

    def _run(self, item, nextitem) -> None:
        from _pytest.runner import runtestprotocol

        self.failed = False
        before = set(_leaked_overrides())
        runtestprotocol(item, nextitem=nextitem, log=True)
        left = sorted(set(_leaked_overrides()) - before)
        if left:
            self.send(event="leak", nodeid=item.nodeid, overrides=left)


def order(items: list, command: dict) -> list:
    """The items a command runs, in its order (graders.runner.ordered)."""
    by_id = {item.nodeid: item for item in items}
    return [by_id[n] for n in ordered(list(by_id), command)]


def _status(status: int) -> str:
    if os.WIFSIGNALED(status):
        return f"killed by signal {os.WTERMSIG(status)}"
    return f"exit status {os.WEXITSTATUS(status)}"


class WatchedOverrides(dict):
    """forge.main.app.dependency_overrides, noting where each override is removed from."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.removals: list[tuple] = []  # (code, line, name), reset for every test

    def _note(self, keys) -> None:
        frame = sys._getframe(2)  # the caller of __delitem__, pop, popitem or clear
        for key in keys:
            self.removals.append((frame.f_code, frame.f_lineno, getattr(key, "__name__", repr(key))))

    def __delitem__(self, key):
        self._note([key])
        super().__delitem__(key)

    def pop(self, key, *default):
        if key in self:
            self._note([key])
        return super().pop(key, *default)

    def popitem(self):
        if self:
            self._note([next(reversed(self))])
        return super().popitem()

    def clear(self):
        self._note(list(self))
        super().clear()


def _app():
    main = sys.modules.get("forge.main")
    return getattr(main, "app", None)


def _watch_overrides() -> None:
    try:
        import forge.main  # noqa: F401 - the app a suite shares between its tests
    except Exception:  # noqa: BLE001 - the suite's collection reports it
        return
    app = _app()
    current = getattr(app, "dependency_overrides", None)
    if isinstance(current, dict) and not isinstance(current, WatchedOverrides):
        app.dependency_overrides = WatchedOverrides(current)


def _watched() -> WatchedOverrides | None:
    current = getattr(_app(), "dependency_overrides", None)
    return current if isinstance(current, WatchedOverrides) else None


def _removed_in_body(item, removals: list) -> list[str]:
    """Overrides the test function removed itself, in a line outside every `finally:` block."""
    import ast
    import inspect
    import textwrap

    function = inspect.unwrap(getattr(item, "obj", None))
    code = getattr(function, "__code__", None)
    mine = [(line, name) for frame_code, line, name in removals if frame_code is code]
    if not mine:
        return []
    try:
        lines, start = inspect.getsourcelines(function)
        tree = ast.parse(textwrap.dedent("".join(lines)))  # a method is indented
    except (OSError, TypeError, SyntaxError):
        return []
    protected = [(start + node.finalbody[0].lineno - 1, start + node.finalbody[-1].end_lineno - 1)
                 for node in ast.walk(tree) if isinstance(node, ast.Try) and node.finalbody]
    return sorted({name for line, name in mine if not any(a <= line <= b for a, b in protected)})


def _leaked_overrides() -> list[str]:
    """Dependency overrides a test left on the module-level app after its teardown."""
    overrides = getattr(_app(), "dependency_overrides", None) or {}
    return sorted(getattr(key, "__name__", repr(key)) for key in overrides)


def _message(report) -> str:
    crash = getattr(report.longrepr, "reprcrash", None)
    if crash is not None:
        text = crash.message
    elif isinstance(report.longrepr, tuple):  # skips: (path, line, reason)
        text = str(report.longrepr[2])
    else:
        text = str(report.longrepr)
    return text[:MESSAGE_LIMIT]


# --- the process a job runs in ---------------------------------------------------------------

class Prepared:
    """A pytest session set up to just before collection, in a zygote, for its jobs: every
    job's process is a fork of it and only collects the suite and runs it."""

    def __init__(self, config, session, recorder: Recorder):
        self.config, self.session, self.recorder = config, session, recorder


def write_scratch(scratch: str, suite: str, pyc: str | None = None) -> None:
    """The suite and an empty pytest configuration; and, where the worker has already
    rewritten the suite's asserts, pytest's cached copy of that (it checks the source's hash)."""
    os.makedirs(scratch, exist_ok=True)
    with open(os.path.join(scratch, SUITE_FILE), "w") as file:
        file.write(suite)
    with open(os.path.join(scratch, INI_FILE), "w") as file:
        file.write("[pytest]\n")
    if pyc:
        import base64

        from _pytest.assertion.rewrite import PYC_TAIL

        os.makedirs(os.path.join(scratch, "__pycache__"), exist_ok=True)
        with open(os.path.join(scratch, "__pycache__", SUITE_FILE[:-3] + PYC_TAIL), "wb") as file:
            file.write(base64.b64decode(pyc))


def prepare(scratch: str = SCRATCH) -> Prepared | None:
    """In a zygote, before any learner code: pytest configured and its session started, as
    pytest.main would (with pytest 9's internals; None if they are not what they were)."""
    try:
        from _pytest.config import _prepareconfig
        from _pytest.main import Session

        write_scratch(scratch, "")
        os.chdir(scratch)
        recorder = Recorder()
        config = _prepareconfig([SUITE_FILE, "--rootdir", scratch, "-c", INI_FILE, *PYTEST_ARGS], [recorder])
        session = Session.from_config(config)
        session.exitstatus = 0
        config._do_configure()
        config.hook.pytest_sessionstart(session=session)
        return Prepared(config, session, recorder)
    except Exception:  # noqa: BLE001 - each job then starts pytest itself
        return None


def use_variant(directory: str) -> None:
    """Without namespaces there is no box: the app package is imported from `directory`, the
    variant's copy (ahead of the installed package's own finder)."""
    import importlib.abc
    import importlib.machinery

    class Variant(importlib.abc.MetaPathFinder):
        def find_spec(self, name, path=None, target=None):
            if name == "forge":
                return importlib.machinery.PathFinder.find_spec(name, [directory])
            return None

    sys.meta_path.insert(0, Variant())


def scrub_environment(home: str) -> None:
    """The environment learner code (and the app) sees: nothing of the grader's."""
    os.environ.clear()
    os.environ.update({
        "PATH": os.defpath, "HOME": home, "TMPDIR": home, "LANG": "C.UTF-8",
        "PYTEST_DISABLE_PLUGIN_AUTOLOAD": "1", "PYTHONDONTWRITEBYTECODE": "1", "COLUMNS": "100",
        "FORGE_PASSWORD_ITERATIONS": "1000",  # same behaviour, a hundredth of the hashing time
    })
    sys.dont_write_bytecode = True


def limit(command: dict) -> None:
    """The job's resource limits (the worker keeps the clock), and a lower priority: a job
    that spins never slows the grader, the notebook or the machine's other work."""
    if hasattr(os, "nice"):
        os.nice(10)
    if resource is None:  # Windows: the worker's clock still holds
        return
    cpu, memory = int(command["cpu_seconds"]), int(command["memory"])
    for name, value in (("RLIMIT_CPU", (cpu, cpu + 1)), ("RLIMIT_AS", (memory, memory)),
                        ("RLIMIT_FSIZE", (16 * 2**20, 16 * 2**20)),
                        ("RLIMIT_NPROC", (command["processes"], command["processes"])),
                        ("RLIMIT_CORE", (0, 0))):
        try:
            resource.setrlimit(getattr(resource, name), value)
        except (ValueError, OSError, AttributeError):
            pass  # not allowed on this platform: the worker's clock still holds


def read_command(sock) -> dict:
    """The job's command: its length, then itself, each read whole (so that the process is in
    the same state whatever pieces the command arrived in)."""
    import socket

    size = int.from_bytes(sock.recv(8, socket.MSG_WAITALL), "big")
    data = sock.recv(size, socket.MSG_WAITALL)
    if len(data) != size:
        raise EOFError("the worker closed the job")
    return json.loads(data)


def run_job(sock, prepared: Prepared | None, contained: bool) -> None:
    """Run the job whose command comes on `sock` and report on it. Inside a job's
    namespaces (`contained`), every job has the same scratch directory."""
    from graders import sandbox

    command = read_command(sock)
    if command.get("cpu") is not None and hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {command["cpu"]})
    if contained or command.get("uid") is not None:
        sandbox.drop_privileges(command.get("uid"))
    scratch = SCRATCH if contained else command["scratch"]  # the worker's, removed by it
    write_scratch(scratch, command["suite"], command.get("pyc"))
    os.chdir(scratch)
    scrub_environment(scratch)
    limit(command)
    fd = os.dup(sock.fileno())
    sock.close()
    gc.disable()  # until the tests run: collecting allocates much and frees little
    if prepared is not None and contained:
        from _pytest import timing
        from _pytest.main import _main

        prepared.recorder.bind(fd, command)
        reporter = prepared.config.pluginmanager.get_plugin("terminalreporter")
        if reporter is not None:
            reporter._session_start = timing.Instant()  # when this job started, as everywhere
        try:
            code = _main(prepared.config, prepared.session) or 0
        except BaseException:  # noqa: BLE001 - reported as the end of the session
            code = 3
        recorder = prepared.recorder
    else:
        recorder = Recorder()
        recorder.bind(fd, command)
        code = pytest.main([SUITE_FILE, "--rootdir", scratch, "-c", INI_FILE, *PYTEST_ARGS], plugins=[recorder])
    recorder.send(event="end", code=int(code))
    recorder.out.flush()


def main() -> None:
    """The portable path: `python -m graders.child` with the job's socket as file descriptor
    0 and the directory of the app's variant in GRADERS_VARIANT."""
    import socket

    sock = socket.socket(fileno=os.dup(0))
    use_variant(os.environ.pop("GRADERS_VARIANT"))
    devnull = os.open(os.devnull, os.O_RDWR)
    for stream in (0, 1, 2):
        os.dup2(devnull, stream)
    try:
        run_job(sock, None, contained=False)
    finally:
        os._exit(0)


if __name__ == "__main__":
    main()
