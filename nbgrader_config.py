"""nbgrader configuration for the course (run nbgrader commands from this directory)."""

from nbgrader.preprocessors import CheckCellMetadata, ClearOutput, DeduplicateIds, OverwriteKernelspec

from graders.nbgrader_plugins import RobustOverwriteCells

c = get_config()  # noqa: F821 (provided by nbgrader)

c.CourseDirectory.course_id = "fastapi-testing"
# The instructor's notebooks (with solutions and hidden tests) and what learners get.
c.CourseDirectory.source_directory = "solutions"
c.CourseDirectory.release_directory = "exercises"

# The hidden grade cell runs the learner's suite against every variant of the app; the grader
# gives up after graders.runner.BUDGET seconds (240), inside this per-cell limit.
c.Execute.timeout = 300

# A learner who deleted the hidden grade cell gets it back (graded as usual) instead of a
# submission flagged for manual grading; a pasted copy of a grade cell counts once. nbgrader's
# own OverwriteCells fails the whole submission in both cases: see graders/nbgrader_plugins.py.
c.OverwriteCells.add_missing_cells = True
c.Autograde.sanitize_preprocessors = [
    ClearOutput, DeduplicateIds, OverwriteKernelspec, RobustOverwriteCells, CheckCellMetadata,
]
