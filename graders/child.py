"""What runs inside a child process: one pytest session of the learner's suite against one
variant of the app, collected once and then run as the job's plan says (see Recorder).
Forked by a zygote of the warm worker (graders/worker.py), or run as
`python -m graders.child FD SCRATCH` (the portable path) with the job as JSON on stdin.

The variant's patched modules are served by an import hook installed before anything imports
the app, so decorators, `response_model` and Pydantic fields take the variant's form. The
modules keep the real files' names and paths: a suite can tell variants apart only by how
they behave.
"""
from __future__ import annotations

import ast
import functools
import gc
import importlib
import importlib.abc
import importlib.machinery
import importlib.util
import json
import os
import random
import resource
import signal
import sys
import time

import pytest

PYTEST_ARGS = [
    # --tb=line: the grader keeps only a failure's one-line message, which is the same in every
    # style, and pytest's long tracebacks cost up to half a second per failure on a defect.
    "-q", "--tb=line", "-p", "no:cacheprovider", "-p", "no:unraisableexception", "-p", "no:randomly",
    "-p", "pytest_asyncio.plugin", "-p", "anyio.pytest_plugin",
    "--noconftest", "-o", "asyncio_default_fixture_loop_scope=function",
    "-o", "python_files=test_*.py", "--import-mode=importlib",
]
MESSAGE_LIMIT = 2000


class PatchedSources(importlib.abc.MetaPathFinder, importlib.abc.Loader):
    """Loads every module of the app package from source, the variant's edits applied, under
    the real files' names and paths.

    `noise` makes every function's code differ from what the files on disk compile to (one
    harmless local assignment, with a value chosen per worker) in every variant, the real
    app included: a test that compares the running code with the files can only fail, on every
    app alike. Line numbers stay those of the files."""

    def __init__(self, package: str, sources: dict[str, str], noise: int | None,
                 compiled: dict | None = None):
        self.package, self.sources, self.noise = package, sources, noise
        self.compiled = compiled or {}  # module name -> code, prepared by the warm worker

    def find_spec(self, name, path=None, target=None):
        if name != self.package and not name.startswith(self.package + "."):
            return None
        real = importlib.machinery.PathFinder.find_spec(name, path)
        if real is None or not str(real.origin).endswith(".py"):
            return None
        spec = importlib.util.spec_from_file_location(
            name, real.origin, loader=self,
            submodule_search_locations=real.submodule_search_locations,
        )
        spec.cached = real.cached
        return spec

    def create_module(self, spec):
        return None

    def exec_module(self, module):
        code = self.compiled.get(module.__name__)
        if code is None:
            code = compile_module(module.__name__, module.__file__, self.sources, self.noise)
        exec(code, module.__dict__)


def compile_module(name: str, path: str, sources: dict[str, str], noise: int | None):
    text = sources.get(name)
    if text is None:
        with open(path, encoding="utf-8") as source:
            text = source.read()
    return _compile(text, path, noise)


@functools.lru_cache(maxsize=512)
def _compile(text: str, path: str, noise: int | None):
    """Cached: most variants share most modules, and the warm worker compiles for all."""
    tree = ast.parse(text, path)
    if noise is not None:
        _add_noise(tree, noise)
    return compile(tree, path, "exec", dont_inherit=True)


def compile_package(package: str, sources: dict[str, str], noise: int | None) -> dict:
    """Every module of the package, compiled as PatchedSources would, without importing it."""
    spec = importlib.util.find_spec(package)
    if spec is None or not spec.submodule_search_locations:
        return {}
    root = os.path.dirname(spec.origin)
    compiled = {}
    for folder, _, files in os.walk(root):
        for file in files:
            if file.endswith(".py"):
                path = os.path.join(folder, file)
                parts = os.path.relpath(path, root)[:-3].split(os.sep)
                name = ".".join([package, *parts[:-1]] + ([] if parts[-1] == "__init__" else [parts[-1]]))
                compiled[name] = compile_module(name, path, sources, noise)
    return compiled


def _add_noise(tree: ast.Module, value: int) -> None:
    for node in ast.walk(tree):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            body = node.body
            first = 1 if body and isinstance(body[0], ast.Expr) and isinstance(
                getattr(body[0], "value", None), ast.Constant) and isinstance(body[0].value.value, str) else 0
            anchor = body[min(first, len(body) - 1)]
            assign = ast.Assign(targets=[ast.Name("_graders_noise", ast.Store())], value=ast.Constant(value))
            body.insert(first, ast.copy_location(assign, anchor))
    ast.fix_missing_locations(tree)


class Recorder:
    """A pytest plugin that runs a job's stages (graders.runner.Stage) on the collected suite
    and streams each test's outcome to the worker as JSON lines, tagged with its stage's key.

    The suite is collected once. This process runs the job's first stage itself, then each
    following stage that is not `fresh` (a fresh stage starts from the collected state, in a
    process the worker starts for it). A test that hangs or ends this process is the worker's
    to blame: it stops this process and goes on with the tests after it in a new one (the job
    then says where to start: `stage`, `skip`, `failed`, `previous`)."""

    def __init__(self, fd: int, job: dict):
        self.out = os.fdopen(fd, "w", buffering=1)
        self.stages: list[dict] = job["stages"]
        self.first = int(job.get("stage", 0))  # the stage this process starts with
        self.skip = set(job.get("skip") or ())  # tests of that stage already done elsewhere
        self.failed: list[str] = list(job.get("failed") or ())  # failures in the current stage
        self.previous: list[str] = list(job.get("previous") or ())  # failures in the one before
        self.hung: set[str] = set()  # not waited for again in a later stage
        self.timeout = job["timeout"]
        self.key = ""  # the stage being run: its events carry this key
        self.isolate: float | None = None  # each test in a process of its own, with this timeout
        self.stop_at_failure = False

    def send(self, **event) -> None:
        self.out.write(json.dumps(event) + "\n")

    def pytest_collectreport(self, report):
        if report.failed:
            self.send(event="collect_error", nodeid=report.nodeid, message=_message(report))

    def pytest_collection_finish(self, session):
        self.send(event="collected", nodeids=[item.nodeid for item in session.items])

    def pytest_runtest_logstart(self, nodeid, location):
        self.send(event="start", run=self.key, nodeid=nodeid)

    def pytest_runtest_logreport(self, report):
        # One test gives up to three reports (setup, call, teardown): the first failure wins.
        if report.failed or report.when == "call" or (report.skipped and report.when == "setup"):
            if report.failed and report.nodeid not in self.failed:
                self.failed.append(report.nodeid)
            self.send(event="report", run=self.key, nodeid=report.nodeid, when=report.when,
                      outcome=report.outcome, message=_message(report) if not report.passed else "")

    def pytest_runtest_logfinish(self, nodeid, location):
        self.send(event="finish", run=self.key, nodeid=nodeid)

    @pytest.hookimpl(tryfirst=True)
    def pytest_runtestloop(self, session):
        if session.testsfailed and not session.config.option.continue_on_collection_errors:
            return True  # pytest's own rule: a suite that failed to collect does not run
        items = {item.nodeid: item for item in session.items}
        # Tests alone run in forks of this process: frozen, its objects' pages stay shared
        # (see graders.worker.warm_up), and its collector, off while pytest started, is back on.
        gc.freeze()
        gc.enable()
        for index in range(self.first, len(self.stages)):
            stage = self.stages[index]
            if index > self.first:
                if stage.get("fresh"):
                    break  # the worker starts it in a new process
                self.previous = [n for n in self.failed if n not in self.hung]
                self.failed, self.skip = [], set()
            names = [n for n in stage_tests(list(items), stage, self.previous) if n not in self.skip]
            self.key = stage["key"]
            self.isolate = self.timeout if stage.get("isolate") else None
            self.stop_at_failure = bool(stage.get("until_failure"))
            self._run([items[n] for n in names])
            self.send(event="stage_end", run=self.key)
        return True

    def _run(self, items: list) -> None:
        for index, item in enumerate(items):
            nextitem = items[index + 1] if index + 1 < len(items) else None
            item.config.hook.pytest_runtest_protocol(item=item, nextitem=nextitem)
            if self.stop_at_failure and self.failed:
                return

    @pytest.hookimpl(tryfirst=True)
    def pytest_runtest_protocol(self, item, nextitem):
        """pytest's own protocol (logstart, setup/call/teardown, logfinish), watching for
        dependency overrides a test leaves on the module-level app. In isolation mode each
        test runs alone: in a fork of this process as it was after collection, so no other
        test's leftovers (overrides, rows, globals) can reach it."""
        from _pytest.runner import runtestprotocol

        item.ihook.pytest_runtest_logstart(nodeid=item.nodeid, location=item.location)
        if self.isolate is None:
            before = set(_leaked_overrides())
            runtestprotocol(item, nextitem=nextitem, log=True)
            left = sorted(set(_leaked_overrides()) - before)
            if left:
                self.send(event="leak", run=self.key, nodeid=item.nodeid, overrides=left)
        else:
            self._run_alone(item)
        item.ihook.pytest_runtest_logfinish(nodeid=item.nodeid, location=item.location)
        return True

    def _run_alone(self, item) -> None:
        from _pytest.runner import runtestprotocol

        pid = os.fork()
        if pid == 0:
            try:
                runtestprotocol(item, nextitem=None, log=True)
                leaked = _leaked_overrides()
                if leaked:
                    self.send(event="leak", run=self.key, nodeid=item.nodeid, overrides=leaked)
                self.out.flush()
                os._exit(FAILED if item.nodeid in self.failed else COMPLETED)
            finally:
                os._exit(1)
        status = _wait(pid, self.isolate)
        if not (status is not None and os.WIFEXITED(status) and os.WEXITSTATUS(status) == COMPLETED):
            if item.nodeid not in self.failed:
                self.failed.append(item.nodeid)
        if status is None:
            self.hung.add(item.nodeid)
            self.send(event="report", run=self.key, nodeid=item.nodeid, when="call", outcome="timeout",
                      message="did not finish in time when run alone")
        elif not (os.WIFEXITED(status) and os.WEXITSTATUS(status) in (COMPLETED, FAILED)):
            self.send(event="report", run=self.key, nodeid=item.nodeid, when="call", outcome="failed",
                      message=f"ended its test process when run alone ({_status(status)})")


def stage_tests(names: list[str], stage: dict, previous: list[str]) -> list[str]:
    """A stage's tests, in the order it runs them (see graders.runner.Stage)."""
    if stage.get("tests") == "failed":
        names = [n for n in names if n in previous]
    elif stage.get("tests") == "up_to_failed":
        last = max((names.index(n) for n in previous if n in names), default=-1)
        names = names[:last + 1]
    if stage.get("shuffle") is not None:
        names = _shuffled(names, stage["shuffle"])
    return names


COMPLETED = 77  # the exit status of a process that ran its tests to the end
FAILED = 78  # ... to the end, and one of them failed


def _shuffled(nodeids: list[str], seed: int) -> list[str]:
    order = list(nodeids)
    random.Random(seed).shuffle(order)
    return order if order != nodeids else order[::-1]


def _wait(pid: int, timeout: float) -> int | None:
    deadline = time.monotonic() + timeout
    while True:
        done, status = os.waitpid(pid, os.WNOHANG)
        if done:
            return status
        if time.monotonic() > deadline:
            os.kill(pid, signal.SIGKILL)
            os.waitpid(pid, 0)
            return None
        time.sleep(0.002)


def _status(status: int) -> str:
    if os.WIFSIGNALED(status):
        return f"killed by signal {os.WTERMSIG(status)}"
    return f"exit status {os.WEXITSTATUS(status)}"


def _leaked_overrides() -> list[str]:
    """Dependency overrides a test left on the module-level app after its teardown."""
    main = sys.modules.get("forge.main")
    app = getattr(main, "app", None)
    overrides = getattr(app, "dependency_overrides", None) or {}
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


def contain(fd: int, timeout: float, memory_bytes: int, max_processes: int) -> None:
    """Cut the child off from everything but its results pipe, then limit what it may use."""
    devnull = os.open(os.devnull, os.O_RDWR)
    for stream in (0, 1, 2):
        os.dup2(devnull, stream)
    os.closerange(3, fd)
    os.closerange(fd + 1, 1 << 16)
    cpu = int(timeout) + 1
    for limit, value in (
        (resource.RLIMIT_CPU, (cpu, cpu + 1)),
        (resource.RLIMIT_AS, (memory_bytes, memory_bytes)),
        (resource.RLIMIT_FSIZE, (16 * 2**20, 16 * 2**20)),
        (resource.RLIMIT_NPROC, (max_processes, max_processes)),  # root ignores it: see runner
        (resource.RLIMIT_CORE, (0, 0)),
    ):
        try:
            resource.setrlimit(limit, value)
        except (ValueError, OSError):
            pass  # not allowed on this platform: the wall-clock timeout still holds


def scrub_environment(home: str) -> None:
    """The environment learner code (and the app) sees: nothing of the grader's."""
    os.environ.clear()
    os.environ.update({
        "PATH": os.defpath, "HOME": home, "TMPDIR": home, "LANG": "C.UTF-8",
        "PYTEST_DISABLE_PLUGIN_AUTOLOAD": "1", "PYTHONDONTWRITEBYTECODE": "1", "COLUMNS": "100",
        "FORGE_PASSWORD_ITERATIONS": "1000",  # same behaviour, a hundredth of the hashing time
    })
    sys.dont_write_bytecode = True


def import_variant(package: str, sources: dict[str, str], noise: int | None, compiled: dict) -> None:
    """Import every module of the app, the variant's edits applied (our code only: what a
    zygote does before any learner code runs). A module that fails to import is left for
    the child, whose collection then reports the error."""
    sys.meta_path.insert(0, PatchedSources(package, sources, noise, compiled))
    for name in sorted(compiled):
        try:
            importlib.import_module(name)
        except Exception:  # noqa: BLE001 - reported by the child's collection
            for loaded in [n for n in sys.modules if n == package or n.startswith(package + ".")]:
                del sys.modules[loaded]
            return


def run_job(job: dict, fd: int, scratch: str, compiled: dict | None = None) -> None:
    """Run one job in `scratch` and report over `fd`."""
    gc.disable()  # until the runs start: collecting the suite allocates much and frees little
    os.chdir(scratch)
    # A backstop: the worker's wall-clock deadlines come first (a stage may take the timeout,
    # after a collection that may take it too), so that a hang is reported as one.
    contain(fd, job["timeout"] * (len(job["stages"]) + 1), job["memory"], job["max_processes"])
    scrub_environment(scratch)
    sys.meta_path.insert(0, PatchedSources(job["package"], job["sources"], job.get("noise"), compiled))
    recorder = Recorder(fd, job)
    args = [SUITE_FILE, "--rootdir", scratch, "-c", INI_FILE, *PYTEST_ARGS]
    code = pytest.main(args, plugins=[recorder])
    recorder.send(event="exit", code=int(code))
    recorder.out.flush()


SUITE_FILE = "test_submission.py"
INI_FILE = "pytest.ini"
JOB_FILE = "job.json"  # where a zygote's child finds its job


def main() -> None:
    fd, scratch = int(sys.argv[1]), sys.argv[2]
    job = json.loads(sys.stdin.read())
    try:
        run_job(job, fd, scratch)
    finally:
        os._exit(0)


if __name__ == "__main__":
    main()
