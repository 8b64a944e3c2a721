"""Hostile and broken suites cost only their submitter: the grader, the files around it, the
machine's other processes and the next learner's grading are untouched, and nothing they
start outlives their grading."""
import hashlib
import os
import tempfile
import time
import uuid
from pathlib import Path

import pytest

from graders import runner, sandbox
from graders.build import ROOT
from graders.grading import grade
from graders.suites import from_notebook

HOSTILE = Path(__file__).parent / "hostile"
REFERENCE = ROOT / "solutions/ex01_testclient/ex01_testclient.ipynb"

# In namespaces a job reaches nothing of the machine. Without them (GRADERS_SANDBOX=none, a
# container that forbids them), as root, each job still runs as a user of its own: the
# machine's processes and files are out of its reach, but not what every user may read.
contained = pytest.mark.skipif(sandbox.mode() != "namespaces",
                               reason="only Linux namespaces hide the machine from a job")
separated = pytest.mark.skipif(sandbox.mode() != "namespaces" and not sandbox.separate_users(),
                               reason="without namespaces, jobs run as users of their own only as root, "
                                      "where any user can read Python and the course")


def hostile(name: str, token: str = "", canary: Path | None = None) -> str:
    return (HOSTILE / f"{name}.py").read_text().replace("TOKEN", token).replace("CANARY_PATH", str(canary))


def invalid(report):
    return {t.nodeid.split("::")[-1]: t.message for t in report.tests if not t.valid}


def catches(report, name):
    return next(t.catches for t in report.tests if t.nodeid.endswith(name) and t.valid)


def processes(text: str) -> list[int]:
    """Processes of this machine whose command line holds `text`."""
    found = []
    for entry in os.listdir("/proc"):
        try:
            if entry.isdigit() and text.encode() in Path(f"/proc/{entry}/cmdline").read_bytes():
                found.append(int(entry))
        except OSError:
            pass
    return found


def job_processes() -> list[int]:
    """Processes of a job still on this machine: in a PID namespace of their own, or running
    as another user than the grader."""
    ours = os.readlink("/proc/self/ns/pid")
    found = []
    for pid in processes("graders.worker"):
        try:
            if os.readlink(f"/proc/{pid}/ns/pid") != ours or os.stat(f"/proc/{pid}").st_uid != os.getuid():
                found.append(pid)
        except OSError:
            pass
    return found


def worker_pid() -> int:
    return runner.worker(runner.default_parallel()).process.pid


def eventually(check, seconds: float = 10.0) -> bool:
    """A killed job's namespace takes a moment to empty."""
    deadline = time.monotonic() + seconds
    while not check():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.05)
    return True


@pytest.mark.parametrize("name", ["loop", "segfault", "always_fails"])
def test_a_test_that_hangs_crashes_or_always_fails_is_invalid_and_alone(ex01_quick, name):
    report = grade(ex01_quick, hostile(name))
    assert len(invalid(report)) == 1, report.tests
    assert catches(report, "test_zero_price_is_rejected") == ["zero-price-accepted"]
    assert report.score == 0.0


def test_a_test_that_ignores_every_signal_is_stopped(ex01_quick):
    started = time.monotonic()
    report = grade(ex01_quick, hostile("loop_swallows_interrupt"))
    assert set(invalid(report)) == {"test_unstoppable"} and report.score == 0.0
    assert time.monotonic() - started < 60


def test_many_hanging_tests_are_each_invalid_and_the_good_one_still_counts(ex01_quick):
    # How long such a suite takes with the usual time limit: benchmarks/hanging_suite.py.
    report = grade(ex01_quick, hostile("many_hangs"))
    assert set(invalid(report)) == {"test_spins", "test_sleeps", "test_waits_on_a_lock",
                                    "test_spins_and_sleeps", "test_reads_forever"}, report.tests
    assert all("did not finish in time" in message for message in invalid(report).values())
    assert catches(report, "test_zero_price_is_rejected") == ["zero-price-accepted"]


def test_exiting_at_import_is_an_error_not_a_crash(ex01_quick):
    report = grade(ex01_quick, hostile("exit_at_import"))
    assert not report.tests and report.score == 0.0
    assert any("ended before collecting" in e for e in report.errors), report.errors


def test_a_memory_bomb_fails_its_own_tests(ex01_quick):
    report = grade(ex01_quick, hostile("memory_bomb"))
    assert set(invalid(report)) == {"test_all_at_once", "test_bit_by_bit"}


def leftovers() -> set[str]:
    """Cgroup directories and job scratch directories the grader could leave on the machine."""
    cgroups = {str(p) for p in Path("/sys/fs/cgroup").glob("**/graders-*") if p.is_dir()} \
        if Path("/sys/fs/cgroup").is_dir() else set()
    return cgroups | {str(p) for p in Path(tempfile.gettempdir()).glob("graders-job-*")}


@separated
def test_a_fork_bomb_is_stopped_and_leaves_nothing_behind(ex01_quick):
    before = leftovers()
    report = grade(ex01_quick, hostile("fork_bomb"))
    assert set(invalid(report)) == {"test_fork_bomb"}
    assert eventually(lambda: job_processes() == [])
    assert eventually(lambda: leftovers() <= before), leftovers() - before


def test_a_flood_of_output_costs_only_the_flooding_test(ex01):
    # Output goes to /dev/null; what it writes to its results socket can only garble its own
    # results (a test without a result is not valid), never another test's.
    report = grade(ex01, hostile("output_flood"))
    assert catches(report, "test_zero_price_is_rejected") == ["zero-price-accepted"]


def test_patching_pytest_or_the_grader_gains_nothing(ex01):
    report = grade(ex01, hostile("patch_the_grader"))
    assert report.score == 0.0 and report.caught == 0


@separated
@pytest.mark.parametrize("name", ["kill_ancestors", "kill_grandparent", "kill_everything"])
def test_killing_every_process_in_reach_harms_nothing(ex01, name):
    # In its own PID namespace a job sees nothing but its own processes: the grading process,
    # the worker and the rest of the machine are out of its reach.
    # (A test that kills its own process group kills itself, and is invalid for that.)
    worker = worker_pid()
    report = grade(ex01, hostile(name))
    assert worker_pid() == worker and runner.worker(runner.default_parallel()).alive()
    assert catches(report, "test_zero_price_is_rejected") == ["zero-price-accepted"]
    assert grade(ex01, from_notebook(REFERENCE)).score == 1.0


@separated
def test_a_daemon_left_behind_ends_with_its_job(ex01):
    token = f"graders-daemon-{uuid.uuid4().hex}"
    report = grade(ex01, hostile("leaves_a_daemon", token))
    assert report.valid
    assert eventually(lambda: processes(token) == [])


@separated
def test_files_outside_the_job_are_out_of_reach(ex01, tmp_path):
    main = ROOT / "forge" / "main.py"
    canary = tmp_path / "canary.txt"
    canary.write_text("canary")
    before = (main.stat().st_mtime, hashlib.sha256(main.read_bytes()).hexdigest())
    try:
        report = grade(ex01, hostile("tamper_files", canary=canary))
        assert report.tests and all(t.valid for t in report.tests)
        assert canary.read_text() == "canary"
        assert not (ROOT / "hostile-written.txt").exists()
        assert (main.stat().st_mtime, hashlib.sha256(main.read_bytes()).hexdigest()) == before
    finally:
        (ROOT / "hostile-written.txt").unlink(missing_ok=True)


@contained  # without namespaces nothing caps the disk space a job may fill
def test_filling_every_writable_place_fills_only_the_jobs_own(ex01):
    worker_pid()  # the worker and its scratch directory are there before the snapshot
    shared = sorted(os.listdir("/tmp")), sorted(os.listdir("/dev/shm"))
    report = grade(ex01, hostile("fills_the_disk"))
    assert report.valid
    assert (sorted(os.listdir("/tmp")), sorted(os.listdir("/dev/shm"))) == shared


@contained
def test_nothing_secret_is_in_reach_of_a_test(ex01):
    # The grading data, the course's other files and the grader's environment are not in the
    # job's file system or processes: the test that looks for them passes everywhere.
    report = grade(ex01, hostile("reads_secrets"))
    assert report.valid, invalid(report)


@contained
def test_state_kept_in_tmp_never_reaches_another_run(ex01):
    report = grade(ex01, hostile("first_run_only", uuid.uuid4().hex))
    assert report.valid and report.caught == 0


def test_after_all_that_the_next_learner_is_graded_as_usual(ex01):
    # Runs last in this module, on the same warm worker the hostile suites went through.
    report = grade(ex01, from_notebook(REFERENCE))
    assert report.valid and report.score == 1.0
