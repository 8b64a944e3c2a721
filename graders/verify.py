"""`python -m graders verify`: prove every exercise gradeable.

For each exercise: every edit applies (checked when the exercises load), the reference
solution in solutions/ID/ID.ipynb passes every correct app and catches every planted defect
(score 1.0), the untouched release notebook in exercises/ID/ID.ipynb scores 0, and every
freedom the instructions state is varied by at least one correct app.
"""
from __future__ import annotations

import json

from graders.build import ROOT
from graders.exercises import Exercise, all_exercises, get_exercise
from graders.grading import grade
from graders.suites import SuiteError, from_notebook


def verify_exercise(exercise: Exercise) -> dict:
    problems: list[str] = [f"no correct app varies the stated freedom {f.id!r} ({f.stated}): a test "
                           "that pins it would stay valid" for f in exercise.unvaried()]
    if not exercise.freedoms:
        problems.append("the exercise lists no [[freedom]]: name what its instructions leave free")
    outcome: dict = {"exercise": exercise.id, "problems": problems}
    for label, path, expected in (
        ("reference", ROOT / "solutions" / exercise.id / f"{exercise.id}.ipynb", 1.0),
        ("untouched", ROOT / "exercises" / exercise.id / f"{exercise.id}.ipynb", 0.0),
    ):
        try:
            report = grade(exercise, from_notebook(path))
        except SuiteError as error:
            problems.append(f"{label}: {error}")
            continue
        outcome[label] = {"score": report.score, "valid": report.valid, "caught": report.caught}
        if report.score != expected:
            problems.append(f"{label} solution scores {report.score}, expected {expected}")
        if label == "reference":
            problems += [f"reference: {t.nodeid} is invalid: {t.message}" for t in report.tests if not t.valid]
            problems += [f"reference misses defect {d.id}" for d in report.defects if not d.caught]
            problems += [f"reference: {e}" for e in report.errors]
    outcome["ok"] = not problems
    return outcome


def main(args) -> int:
    exercises = [get_exercise(e) for e in args.exercises] or list(all_exercises().values())
    results = []
    for exercise in exercises:
        result = verify_exercise(exercise)
        results.append(result)
        if not args.json:
            status = "ok" if result["ok"] else "FAILED"
            ref = result.get("reference", {})
            print(f"{exercise.id}: {status}  (reference catches {ref.get('caught', '?')} of "
                  f"{len(exercise.chaffs)} defects on {len(exercise.correct_apps)} correct apps; "
                  f"untouched scores {result.get('untouched', {}).get('score', '?')})")
            for problem in result["problems"]:
                print(f"  - {problem}")
    if args.json:
        print(json.dumps(results, indent=2))
    return 0 if all(r["ok"] for r in results) else 1
