"""The class report: `python -m graders report [ASSIGNMENT...] [--output DIR]`.

Read from what grading stored, without grading again: the report each autograded notebook's
grade cell holds (graders.feedback.REPORT_MIME), and the submissions that have none (nbgrader
could not grade them). Written to DIR: `index.html` (open it in a browser; the plots are inline
SVG) and CSV files with the same tables:

- `submissions.csv`: one row per student and assignment (score, validity, defects caught,
  invalid tests, what went wrong);
- `defects.csv`: each planted defect, with its title, and how many students missed it;
- `invalid_reasons.csv`: why tests were invalid, most common first;
- `problems.csv`: submissions that ran out of time, could not be collected or read, or were
  left untouched;
- `heatmap_ASSIGNMENT.csv`: student x defect, 1 where the student's suite caught it.

This is the instructor's view: defects are named by their titles, private ones included.
"""
from __future__ import annotations

import html
import io
import sys
from pathlib import Path

import nbformat

from graders.autograde import GRADE_CELL, Course
from graders.exercises import get_exercise
from graders.feedback import PLACEHOLDER_NOTE, REPORT_MIME
from graders.grading import INVALID_REASONS

# What went wrong with a whole submission, from its report's errors (graders.grading and
# graders.suites word them), first match wins.
PROBLEMS = [
    ("out of time", "ran out of time"),
    ("untouched", "NotImplementedError"),
    ("cannot be read", "cannot be read"),
    ("cannot be read", "not a readable notebook"),
    ("no answer cell", "has not run your"),
    ("does not collect", "collecting"),
    ("no tests", "no tests were collected"),
]


def problem_of(errors: list[str]) -> str:
    for name, marker in PROBLEMS:
        if any(marker in error for error in errors):
            return name
    return "other error" if errors else ""


def _last_line(text: str) -> str:
    """A traceback's last line says what went wrong."""
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    return lines[-1][:200] if lines else ""


def stored_report(notebook_path: Path) -> dict | None:
    notebook = nbformat.read(notebook_path, as_version=4)
    for cell in notebook.cells:
        if (cell.metadata.get("nbgrader") or {}).get("grade_id") == GRADE_CELL:
            for output in cell.get("outputs", []):
                if output.output_type == "display_data" and REPORT_MIME in output.get("data", {}):
                    return dict(output.data[REPORT_MIME])
    return None


def collect(course: Course, assignments: list[str]):
    """Every submission's row, and its report's defects and invalid tests, as DataFrames."""
    import pandas as pd

    rows, caught, invalid = [], [], []
    for submission in course.submissions(assignments):
        exercise = get_exercise(submission.assignment)
        autograded = (course.root / course.coursedir.autograded_directory / submission.student
                      / submission.assignment / submission.path.name)
        report = stored_report(autograded) if autograded.is_file() else None
        row = {"student": submission.student, "assignment": submission.assignment}
        if report is None:
            rows.append({**row, "graded": False, "score": 0.0, "valid": False, "caught": 0,
                         "defects": len(exercise.chaffs), "invalid_tests": 0, "tests": 0,
                         "problem": "not graded", "detail": "no autograded notebook with a report: run the autograder"})
            continue
        errors = list(report.get("errors", []))
        problem = problem_of(errors)
        if problem == "untouched" or any(PLACEHOLDER_NOTE in e for e in errors):
            problem = "untouched"
        tests = report.get("tests", [])
        rows.append({**row, "graded": True, "score": float(report["score"]), "valid": bool(report["valid"]),
                     "caught": int(report["caught"]), "defects": len(report["defects"]),
                     "invalid_tests": sum(not t["valid"] for t in tests), "tests": len(tests),
                     "problem": problem, "detail": _last_line(errors[0]) if errors else ""})
        titles = {c.id: c.title for c in exercise.chaffs}
        for defect in report["defects"]:
            caught.append({**row, "number": defect["number"], "defect": defect["id"],
                           "title": titles.get(defect["id"], defect["id"]), "caught": bool(defect["caught"])})
        for test in tests:
            if not test["valid"]:
                invalid.append({**row, "test": test["nodeid"], "reason": test.get("reason") or "other",
                                "message": test.get("message", "").splitlines()[0][:200]})
    return (pd.DataFrame(rows), pd.DataFrame(caught, columns=["student", "assignment", "number", "defect", "title", "caught"]),
            pd.DataFrame(invalid, columns=["student", "assignment", "test", "reason", "message"]))


def _svg(figure) -> str:
    import matplotlib.pyplot as plt

    buffer = io.StringIO()
    figure.savefig(buffer, format="svg", bbox_inches="tight")
    plt.close(figure)
    text = buffer.getvalue()
    return text[text.index("<svg"):]


def score_plot(rows) -> str:
    import matplotlib.pyplot as plt

    assignments = sorted(rows["assignment"].unique())
    figure, axes = plt.subplots(1, len(assignments), figsize=(3.2 * len(assignments), 2.6), squeeze=False)
    for axis, assignment in zip(axes[0], assignments):
        scores = rows.loc[rows["assignment"] == assignment, "score"] * 100
        axis.hist(scores, bins=[0, 10, 20, 30, 40, 50, 60, 70, 80, 90, 100.01], color="#4c72b0", edgecolor="white")
        axis.set_title(assignment, fontsize=9)
        axis.set_xlabel("score (%)", fontsize=8)
        axis.set_ylabel("students", fontsize=8)
        axis.tick_params(labelsize=7)
    return _svg(figure)


def heatmap_plot(matrix, assignment: str) -> str:
    import matplotlib.pyplot as plt

    figure, axis = plt.subplots(figsize=(0.5 * max(4, matrix.shape[1]) + 2, 0.25 * max(4, matrix.shape[0]) + 1))
    axis.imshow(matrix.values, cmap="Greens", vmin=0, vmax=1, aspect="auto")
    axis.set_xticks(range(matrix.shape[1]), [f"#{n}" for n in matrix.columns], fontsize=7)
    axis.set_yticks(range(matrix.shape[0]), list(matrix.index), fontsize=7)
    axis.set_title(f"{assignment}: defects caught (green) by each student", fontsize=9)
    return _svg(figure)


def write(course: Course, assignments: list[str], output: Path) -> Path:
    import pandas as pd

    rows, caught, invalid = collect(course, assignments)
    output.mkdir(parents=True, exist_ok=True)
    if rows.empty:
        raise SystemExit(f"graders report: no submissions in {course.coursedir.submitted_directory}/")
    rows.sort_values(["assignment", "student"]).to_csv(output / "submissions.csv", index=False)
    graded = rows[rows["graded"]]
    if caught.empty:
        defects = pd.DataFrame(columns=["assignment", "number", "defect", "title", "missed", "students"])
    else:
        defects = (caught.assign(missed=~caught["caught"])
                   .groupby(["assignment", "number", "defect", "title"], as_index=False)
                   .agg(missed=("missed", "sum"), students=("student", "nunique"))
                   .sort_values(["missed", "assignment", "number"], ascending=[False, True, True]))
    defects.to_csv(output / "defects.csv", index=False)
    reasons = (invalid.groupby("reason", as_index=False)
               .agg(tests=("test", "count"), students=("student", "nunique"), example=("message", "first"))
               .sort_values("tests", ascending=False))
    reasons.insert(1, "meaning", reasons["reason"].map(lambda r: INVALID_REASONS.get(r, r)))
    reasons.to_csv(output / "invalid_reasons.csv", index=False)
    problems = rows[rows["problem"] != ""][["student", "assignment", "problem", "detail"]]
    problems.to_csv(output / "problems.csv", index=False)

    sections = [f"<h1>Class report</h1><p>{len(rows)} submissions from {rows['student'].nunique()} students "
                f"in {rows['assignment'].nunique()} assignments; {len(graded)} graded.</p>"]
    summary = (rows.groupby("assignment")
               .agg(submissions=("student", "count"), mean_score=("score", "mean"), valid=("valid", "sum"),
                    full_marks=("score", lambda s: int((s >= 1).sum())))
               .assign(mean_score=lambda d: (d["mean_score"] * 100).round(1)))
    sections.append("<h2>Scores</h2>" + summary.to_html(classes="table") + score_plot(rows))
    sections.append("<h2>Defects the class missed most</h2>"
                    "<p>How many students' suites missed each planted defect (the titles are for you: "
                    "learners see numbers only).</p>" + defects.to_html(index=False, classes="table"))
    sections.append("<h2>Why tests were invalid</h2>" + (reasons.to_html(index=False, classes="table")
                                                         if not reasons.empty else "<p>No invalid tests.</p>"))
    sections.append("<h2>Submissions that went wrong</h2>"
                    "<p>Out of time, not collectable (a syntax error), unreadable, untouched, or not graded.</p>"
                    + (problems.to_html(index=False, classes="table") if not problems.empty else "<p>None.</p>"))
    for assignment in sorted(caught["assignment"].unique()) if not caught.empty else []:
        matrix = (caught[caught["assignment"] == assignment]
                  .pivot_table(index="student", columns="number", values="caught", aggfunc="max")
                  .astype(int))
        matrix.to_csv(output / f"heatmap_{assignment}.csv")
        sections.append(f"<h2>{html.escape(assignment)}: student × defect</h2>" + heatmap_plot(matrix, assignment))
    style = ("body{font-family:sans-serif;max-width:1100px;margin:2em auto;color:#222}"
             ".table{border-collapse:collapse;font-size:13px;margin:.5em 0}"
             ".table td,.table th{border:1px solid #ccc;padding:3px 8px;text-align:left}")
    page = output / "index.html"
    page.write_text(f"<!doctype html><html><head><meta charset='utf-8'><title>Class report</title>"
                    f"<style>{style}</style></head><body>{''.join(sections)}</body></html>")
    return page


def main(args) -> int:
    import matplotlib

    matplotlib.use("svg")
    course = Course(Path.cwd())
    page = write(course, args.assignments, Path(args.output))
    print(f"graders report: {page}", file=sys.stderr)
    return 0
