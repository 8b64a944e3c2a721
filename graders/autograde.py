"""Grade a whole class: `python -m graders autograde [ASSIGNMENT...] [--jobs N] [--scheduler ADDRESS]`.

Run from the course directory, like nbgrader's own commands. Every submission in nbgrader's
`submitted/STUDENT/ASSIGNMENT/` is graded into nbgrader's gradebook and `autograded/`, exactly
as `nbgrader autograde` would grade it, so that the formgrader, `nbgrader export` and
`nbgrader generate_feedback` work as usual. What differs is the way there:

- no kernel runs: the only code cell whose result counts is the hidden grade cell, and its
  result is the grader's report. The learner's suite is read from the submission as nbgrader
  sanitizes it (the same cell the kernel would grade), graded by the engine, and nbgrader's own
  autograde steps then run with the report as the grade cell's output;
- the suites are graded side by side on one warm worker (`--jobs` runs at once), or on a Dask
  cluster (`--scheduler ADDRESS`, or `local` for a `LocalCluster` on this machine), where each
  Dask worker keeps a warm grading worker between submissions;
- a suite that several submissions share word for word (an untouched notebook, a copy) is
  graded once.
"""
from __future__ import annotations

import logging
import os
import queue
import sys
import tempfile
import threading
import time
import warnings
from dataclasses import dataclass
from pathlib import Path

import nbformat

from graders.exercises import get_exercise
from graders.suites import MAGIC, SuiteError, to_module

GRADE_CELL = "autograder"  # the hidden grade cell of every exercise


@dataclass
class Submission:
    assignment: str
    student: str
    path: Path  # submitted/STUDENT/ASSIGNMENT/ASSIGNMENT.ipynb

    @property
    def name(self) -> str:
        return f"{self.student}/{self.assignment}"


class Course:
    """nbgrader's view of the course directory: its configuration, directories and gradebook."""

    def __init__(self, root: Path):
        from nbgrader.coursedir import CourseDirectory
        from traitlets.config.loader import PyFileConfigLoader

        self.root = root
        if not (root / "nbgrader_config.py").is_file():
            raise SystemExit(f"graders autograde: no nbgrader_config.py in {root}: run it from the course directory")
        self.config = PyFileConfigLoader("nbgrader_config.py", path=str(root)).load_config()
        self.coursedir = CourseDirectory(config=self.config, root=str(root))

    def submissions(self, assignments: list[str]) -> list[Submission]:
        submitted = self.root / self.coursedir.submitted_directory
        found = []
        for folder in sorted(submitted.glob("*/*")):
            student, assignment = folder.parent.name, folder.name
            if folder.is_dir() and (not assignments or assignment in assignments):
                found.append(Submission(assignment, student, folder / f"{assignment}.ipynb"))
        # Assignment by assignment: the worker keeps one exercise's variants warm at a time.
        return sorted(found, key=lambda s: (s.assignment, s.student))

    def ensure_in_gradebook(self, assignment: str) -> None:
        """nbgrader grades only assignments its gradebook knows (`generate_assignment` puts them
        there): put one there if it is missing, releasing into a scratch directory, so that
        nothing in the course changes."""
        from nbgrader.api import Gradebook, MissingEntry

        with Gradebook(self.coursedir.db_url, self.coursedir.course_id) as gradebook:
            try:
                if gradebook.find_assignment(assignment).notebooks:
                    return
            except MissingEntry:
                pass
        from graders.build import nbgrader

        with tempfile.TemporaryDirectory(prefix="graders-release-") as release:
            nbgrader(self.root, "generate_assignment", assignment, "--force",
                     f"--CourseDirectory.release_directory={release}")

    def suite(self, submission: Submission) -> str:
        """The suite the kernel would grade: nbgrader's sanitizing steps, then the last
        `%%ipytest` cell before the grade cell (graders.suites.from_history)."""
        try:
            notebook = nbformat.read(submission.path, as_version=4)
        except Exception as error:  # noqa: BLE001 - any unreadable notebook
            raise SuiteError(f"the notebook cannot be read: {str(error).splitlines()[0][:200]}") from None
        resources = {"nbgrader": {"db_url": self.coursedir.db_url, "assignment": submission.assignment,
                                  "notebook": submission.path.stem, "student": submission.student}}
        for preprocessor in self.sanitizers():
            notebook, resources = preprocessor.preprocess(notebook, resources)
        cells = []
        for cell in notebook.cells:
            if (cell.metadata.get("nbgrader") or {}).get("grade_id") == GRADE_CELL:
                break
            if cell.cell_type == "code":
                cells.append(cell.source)
        from graders.suites import from_history

        return from_history(cells)

    def sanitizers(self) -> list:
        from nbgrader.converters import Autograde

        return [kind(config=self.config) for kind in Autograde(config=self.config).sanitize_preprocessors]


class GradeFromReport:
    """In place of nbgrader's Execute: the grade cell's output is the report, no kernel runs."""

    reports: dict[tuple[str, str], object] = {}  # (assignment, student) -> graders.grading.Report

    @classmethod
    def preprocessor(cls):
        from nbgrader.preprocessors import NbGraderPreprocessor

        class FromReport(NbGraderPreprocessor):
            def preprocess(self, nb, resources):
                from graders.feedback import graded

                report = cls.reports[resources["nbgrader"]["assignment"], resources["nbgrader"]["student"]]
                for cell in nb.cells:
                    if cell.cell_type != "code":
                        continue
                    cell.outputs = []
                    if (cell.metadata.get("nbgrader") or {}).get("grade_id") == GRADE_CELL:
                        points = float(cell.metadata["nbgrader"]["points"])
                        cell.outputs = [
                            nbformat.v4.new_output("display_data", data=graded(report)),
                            nbformat.v4.new_output("execute_result", execution_count=1,
                                                   data={"text/plain": repr(round(points * report.score, 2))}),
                        ]
                return nb, resources

        return FromReport


def record(course: Course, submission: Submission, report) -> None:
    """nbgrader's autograde for one submission, with the report in place of a kernel."""
    from nbgrader.converters import Autograde
    from nbgrader.preprocessors import Execute

    GradeFromReport.reports[submission.assignment, submission.student] = report
    try:
        config = course.config.copy()
        steps = Autograde(config=config).autograde_preprocessors
        config.Autograde.autograde_preprocessors = [GradeFromReport.preprocessor() if s is Execute else s for s in steps]
        course.coursedir.assignment_id, course.coursedir.student_id = submission.assignment, submission.student
        app = Autograde(coursedir=course.coursedir, config=config)
        app.force = True
        app.log = _quiet_log()
        app.start()
    finally:
        del GradeFromReport.reports[submission.assignment, submission.student]


def _quiet_log() -> logging.Logger:
    log = logging.getLogger("graders.autograde.nbgrader")
    log.setLevel(logging.ERROR)  # nbgrader's per-submission chatter; failures are reported by us
    return log


def problem_report(exercise, message: str):
    """The report of a submission whose suite could not be read (nothing ran)."""
    from graders.grading import DefectReport, Report

    defects = [DefectReport(c.id, n, False, [], list(c.hints), c.private)
               for n, c in enumerate(exercise.chaffs, start=1)]
    return Report(exercise.id, exercise.title, 0.0, False, [], defects, [message])


# Suites graded side by side for each test run at once: some wait on chains of runs (repeats,
# explanations), and the others keep the CPUs busy meanwhile.
SUITES_PER_RUN = 4


class LocalGrader:
    """The grading pool of this machine (graders.grading.Pool)."""

    def __init__(self, jobs: int | None):
        from graders.grading import Pool

        self.pool = Pool(jobs)
        self.where = f"{self.pool.jobs} runs at once on this machine"
        self.in_hand = SUITES_PER_RUN * self.pool.jobs

    def prepare(self, exercises) -> None:
        self.pool.prepare(exercises)

    def submit(self, exercise, suite: str, done) -> None:
        self.pool.submit(exercise, suite, done)

    def close(self) -> None:
        self.pool.close()


_dask_pool = None  # this Dask worker's grading pool, kept warm between its tasks
_dask_pool_lock = threading.Lock()


def grade_on_dask_worker(exercise_id: str, suite: str, runs: int | None):
    """A Dask task: grade one suite on this Dask worker's warm pool, beside the suites its
    other threads hand in, as the local pool does."""
    global _dask_pool
    from graders.grading import Pool

    with _dask_pool_lock:
        if _dask_pool is None:
            _dask_pool = Pool(runs)
    graded: queue.Queue = queue.Queue()
    _dask_pool.submit(get_exercise(exercise_id), suite, graded.put)
    return graded.get()


class DaskGrader:
    """Grading on a Dask cluster: `local` starts a LocalCluster here, a Dask worker per CPU
    (`jobs` of them) each running one test at a time, so that workers add up as machines do."""

    def __init__(self, address: str, jobs: int | None):
        from distributed import Client, LocalCluster

        logging.getLogger("distributed").setLevel(logging.ERROR)
        self.cluster = None
        if address == "local":
            self.runs = 1
            self.cluster = LocalCluster(n_workers=jobs or os.cpu_count() or 1, processes=True,
                                        threads_per_worker=SUITES_PER_RUN, dashboard_address=None)
            self.client = Client(self.cluster)
        else:
            self.runs = None  # each worker's machine decides: one run per CPU
            self.client = Client(address)
        workers = self.client.scheduler_info()["workers"].values()
        self.where = f"Dask cluster {self.client.scheduler.address} ({len(workers)} workers)"
        # A suite in hand for each thread of the cluster's workers: each is a grading side by side.
        self.in_hand = max(1, sum(w.get("nthreads", 1) for w in workers))

    def prepare(self, exercises) -> None:
        pass  # each Dask worker's grading pool imports the variants as its runs ask for them

    def submit(self, exercise, suite: str, done) -> None:
        future = self.client.submit(grade_on_dask_worker, exercise.id, suite, self.runs, pure=False)
        future.add_done_callback(lambda f: done(f.result() if not f.exception() else
                                                problem_report(exercise, f"grading failed on the cluster: {f.exception()}")))

    def close(self) -> None:
        self.client.close()
        if self.cluster is not None:
            self.cluster.close()


def autograde(course: Course, assignments: list[str], jobs: int | None = None, scheduler: str | None = None,
              out=sys.stderr, grader=None) -> dict[str, list[str]]:
    """Grade every submission of these assignments (all, if none): what was graded and what
    failed, by submission name. `grader`: a LocalGrader already started, else one is."""
    from tqdm import tqdm

    submissions = course.submissions(assignments)
    outcome: dict[str, list[str]] = {"graded": [], "failed": []}
    if not submissions:
        print(f"graders autograde: no submissions in {course.coursedir.submitted_directory}/", file=out)
        if grader is not None:
            grader.close()
        return outcome
    grader = grader or (DaskGrader(scheduler, jobs) if scheduler else LocalGrader(jobs))
    grader.prepare([get_exercise(a) for a in sorted({s.assignment for s in submissions})])
    print(f"graders autograde: {len(submissions)} submissions, {grader.where}", file=out)
    finished: queue.Queue = queue.Queue()
    groups: dict[tuple[str, str], list[Submission]] = {}  # a suite in grading, and who submitted it
    reports: dict[tuple[str, str], object] = {}  # a suite graded once for all who share it
    bar = tqdm(total=len(submissions), file=out, unit="submission", dynamic_ncols=True,
               bar_format="{l_bar}{bar}| {n_fmt}/{total_fmt} [{elapsed}<{remaining}]{postfix}")
    counts = {"graded": 0, "not valid": 0, "not graded": 0}
    in_flight = 0

    def store(submission: Submission, report) -> None:
        try:
            record(course, submission, report)
            outcome["graded"].append(submission.name)
            counts["graded"] += 1
            counts["not valid"] += not report.valid
        except Exception as error:  # noqa: BLE001 - one submission fails, the class goes on
            outcome["failed"].append(submission.name)
            counts["not graded"] += 1
            reason = str(error).strip().splitlines()[-1:] or [type(error).__name__]
            bar.write(f"{submission.name}: not graded: {reason[0]}")
        bar.set_postfix_str(", ".join(f"{v} {k}" for k, v in counts.items() if v), refresh=False)
        bar.update()

    def one_finished() -> None:
        nonlocal in_flight
        key, report = finished.get()
        in_flight -= 1
        reports[key] = report
        for submission in groups.pop(key):
            store(submission, report)

    try:
        for assignment in sorted({s.assignment for s in submissions}):  # while the grader starts
            course.ensure_in_gradebook(assignment)
        for submission in submissions:
            exercise = get_exercise(submission.assignment)
            try:
                suite = course.suite(submission)
            except SuiteError as error:
                store(submission, problem_report(exercise, str(error)))
                continue
            except Exception as error:  # noqa: BLE001 - nbgrader refuses it: recording says why
                store(submission, problem_report(exercise, f"nbgrader cannot read it: {error}"))
                continue
            key = (submission.assignment, suite)
            if key in reports:
                store(submission, reports[key])
            elif key in groups:
                groups[key].append(submission)
            else:
                # Enough suites in hand to keep every place busy, and no more: a suite's time
                # limit runs from when its runs are handed over.
                while in_flight >= grader.in_hand:
                    one_finished()
                groups[key] = [submission]
                in_flight += 1
                grader.submit(exercise, suite, lambda report, key=key: finished.put((key, report)))
        while in_flight:
            one_finished()
    finally:
        bar.close()
        grader.close()
    return outcome


def lighten_nbgrader() -> None:
    """nbgrader's steps for one submission are written for a process that grades one: in this
    long-lived process, two costs they pay again and again are paid once. Each step opens the
    gradebook with a new SQLAlchemy engine, which compiles every query anew: one engine per
    database is shared. Each cell's metadata is checked against nbgrader's schema, and the
    schema itself is checked first every time: a checked schema is kept."""
    import functools
    import json
    import types

    import jsonschema
    import nbgrader.api
    import nbgrader.nbgraderformat.common

    nbgrader.api.create_engine = functools.cache(nbgrader.api.create_engine)

    @functools.cache
    def checked(schema: str):
        schema = json.loads(schema)
        kind = jsonschema.validators.validator_for(schema)
        kind.check_schema(schema)
        return kind(schema)

    def validate(instance, schema) -> None:  # as jsonschema.validate does, less the schema check
        error = jsonschema.exceptions.best_match(checked(json.dumps(schema, sort_keys=True)).iter_errors(instance))
        if error is not None:
            raise error

    nbgrader.nbgraderformat.common.jsonschema = types.SimpleNamespace(validate=validate)


def main(args) -> int:
    from graders import sandbox

    if sandbox.mode() == "none" and os.environ.get("GRADERS_ALLOW_UNPROTECTED") != "1":
        print("graders autograde: this machine cannot contain learner code (no Linux namespaces); "
              "set GRADERS_ALLOW_UNPROTECTED=1 to grade here anyway (see the README's threat model)",
              file=sys.stderr)
        return 2
    from concurrent.futures import ThreadPoolExecutor

    from graders.build import tools_path

    started = time.monotonic()
    os.environ["PATH"] = tools_path()
    with ThreadPoolExecutor(1) as starting:
        # The local grading worker warms up while nbgrader's modules load.
        local = None if args.scheduler else starting.submit(LocalGrader, args.jobs)
        # nbgrader's gradebook trips SQLAlchemy's autoflush notices on every new submission.
        warnings.filterwarnings("ignore", module="nbgrader")
        try:
            lighten_nbgrader()
            course = Course(Path.cwd())
        except BaseException:
            if local:
                local.result().close()
            raise
        grader = local.result() if local else None
    outcome = autograde(course, args.assignments, args.jobs, args.scheduler, grader=grader)
    graded, failed = len(outcome["graded"]), len(outcome["failed"])
    print(f"graders autograde: {graded} graded, {failed} not graded, in {time.monotonic() - started:.0f} s",
          file=sys.stderr)
    return 1 if failed else 0
