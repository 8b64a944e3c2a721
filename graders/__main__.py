"""Command line: python -m graders {list,check,verify,build,autograde,report,handout} (also installed as `graders`)."""
from __future__ import annotations

import argparse
import json
import sys

from graders.exercises import ExerciseError, all_exercises, get_exercise
from graders.suites import SuiteError, from_path, to_module


def cmd_list(args) -> int:
    rows = [
        {"id": e.id, "title": e.title, "section": e.section, "lesson": e.lesson,
         "defects": len(e.chaffs), "wheats": len(e.wheats)}
        for e in all_exercises().values()
    ]
    if args.json:
        print(json.dumps(rows, indent=2))
    else:
        for row in rows:
            print(f"{row['id']:<20} {row['defects']} defects, {row['wheats']} wheats  "
                  f"{row['title']}  [{row['section']}]")
    return 0


def cmd_check(args) -> int:
    from graders.grading import grade, prepare, render

    exercise = get_exercise(args.exercise)
    prepare(exercise)  # the worker starts while the suite is read
    try:
        suite = (to_module(sys.stdin.read(), where="standard input") if args.path == "-"
                 else from_path(args.path))
    except SuiteError as error:
        return _suite_error(args, exercise.id, str(error))
    report = grade(exercise, suite)
    if args.json:
        print(json.dumps(report.to_json(), indent=2))
    else:
        print(render(report, hints=args.hints))
    return 0


def _suite_error(args, exercise_id: str, message: str) -> int:
    if args.json:
        print(json.dumps({"exercise": exercise_id, "score": 0.0, "valid": False, "caught": 0,
                          "tests": [], "defects": [], "errors": [message]}, indent=2))
    else:
        print(f"Problem: {message}")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="graders", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("list", help="every exercise, with its section and its variants")
    p.add_argument("--json", action="store_true")
    p.set_defaults(run=cmd_list)

    p = sub.add_parser("check", help="grade a learner's suite (a pytest file or a notebook)")
    p.add_argument("exercise")
    p.add_argument("path", help="a test_*.py file, a notebook, or - for a suite on standard input")
    p.add_argument("--json", action="store_true")
    p.add_argument("--hints", type=int, default=0, metavar="N",
                   help="show the first N hints for each missed defect")
    p.set_defaults(run=cmd_check)

    p = sub.add_parser("verify", help="every reference solution scores 1, every untouched exercise 0")
    p.add_argument("--json", action="store_true")
    p.add_argument("exercises", nargs="*", help="only these (default: all)")
    p.set_defaults(run=lambda args: __import__("graders.verify").verify.main(args))

    p = sub.add_parser("build", help="build the notebooks from their sources and the release")
    p.add_argument("--check", action="store_true", help="only report what is out of date")
    p.add_argument("names", nargs="*", help="only these sources, by file name without .py")
    p.set_defaults(run=lambda args: __import__("graders.build").build.main(args))

    p = sub.add_parser("autograde", help="grade every submission of a class into nbgrader's gradebook "
                       "(run from the course directory)")
    p.add_argument("assignments", nargs="*", metavar="ASSIGNMENT", help="only these (default: all submitted)")
    p.add_argument("--jobs", type=int, default=None, metavar="N",
                   help="test runs at once (default: one per CPU); with --scheduler local, Dask workers")
    p.add_argument("--scheduler", metavar="ADDRESS",
                   help="grade on this Dask scheduler (tcp://host:8786), or `local` for a LocalCluster here")
    p.set_defaults(run=lambda args: __import__("graders.autograde").autograde.main(args))

    p = sub.add_parser("report", help="the class report (HTML and CSV) from the stored grading reports "
                       "(run from the course directory)")
    p.add_argument("assignments", nargs="*", metavar="ASSIGNMENT", help="only these (default: all submitted)")
    p.add_argument("--output", default="class-report", metavar="DIR", help="where to write it (default: class-report)")
    p.set_defaults(run=lambda args: __import__("graders.report").report.main(args))

    p = sub.add_parser("handout", help="the learners' copy of the course: no solutions, no hidden tests")
    p.add_argument("directory", help="a new directory to write it to")
    p.set_defaults(run=lambda args: __import__("graders.handout").handout.main(args))

    args = parser.parse_args(argv)
    try:
        return args.run(args)
    except ExerciseError as error:
        print(f"graders: {error}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
