"""nbgrader configuration for the course (run nbgrader commands from this directory)."""
import os

from nbconvert.preprocessors import CSSHTMLHeaderPreprocessor
from nbgrader.preprocessors import CheckCellMetadata, ClearOutput, DeduplicateIds, GetGrades, OverwriteKernelspec

from graders.nbgrader_plugins import HideGraderSource, RequireSandbox, RobustOverwriteCells

c = get_config()  # noqa: F821 (provided by nbgrader)

c.CourseDirectory.course_id = "fastapi-testing"
# Where release_assignment, fetch_assignment, submit and collect meet on one machine
# (nbgrader's default, /srv/nbgrader/exchange, unless NBGRADER_EXCHANGE names another).
c.Exchange.root = os.environ.get("NBGRADER_EXCHANGE", "/srv/nbgrader/exchange")
# The instructor's notebooks (with solutions and hidden tests) and what learners get.
c.CourseDirectory.source_directory = "solutions"
c.CourseDirectory.release_directory = "exercises"

# The hidden grade cell runs the learner's suite against every variant of the app; the grader
# gives up after graders.runner.BUDGET seconds (240), inside this per-cell limit.
c.Execute.timeout = 300
# The kernel's own notice that it talks over local TCP, once per submission, is not news.
c.Execute.extra_arguments = ["--IPKernelApp.log_level=ERROR"]

# A learner who deleted the hidden grade cell gets it back (graded as usual) instead of a
# submission flagged for manual grading; a pasted copy of a grade cell counts once. nbgrader's
# own OverwriteCells fails the whole submission in both cases: see graders/nbgrader_plugins.py.
# Only the exercise's own cells run in the autograder's kernel; a machine that cannot contain
# learner code refuses to autograde unless GRADERS_ALLOW_UNPROTECTED=1.
c.OverwriteCells.add_missing_cells = True
c.Autograde.sanitize_preprocessors = [
    RequireSandbox, ClearOutput, DeduplicateIds, OverwriteKernelspec, RobustOverwriteCells, CheckCellMetadata,
]

# The learners' feedback shows what the grade cell found (every defect caught or missed, each
# invalid test and why, the first hint for each missed defect), not the grade cell's code.
c.GenerateFeedback.preprocessors = [GetGrades, HideGraderSource, CSSHTMLHeaderPreprocessor]

# Planted defects and correct versions kept out of the learners' copy (same TOML format as
# graders/exercises/, one EXERCISE_ID.toml per exercise); the environment variable
# GRADERS_PRIVATE_DIR does the same.
# c.Graders.private_dir = "/srv/fastapi-testing/private"
