"""nbgrader, made safe and robust for this course (see nbgrader_config.py).

Under autograde nbgrader runs every code cell of a submission in a kernel that is not
sandboxed. `RobustOverwriteCells` therefore lets only the exercise's own cells run: the
learner's answer cell is kept as the `%%ipytest` cell that the hidden grade cell grades (in
the sandbox), and every other cell a learner wrote or added is blanked.

It also repairs three ways nbgrader 0.9.6 fails a learner's whole submission:
- a graded or read-only cell was copy-pasted: DeduplicateIds empties the copy's nbgrader
  metadata to `{}`, and OverwriteCells.add_missing_task_cells then fails on it (KeyError
  'grade_id'; nbgrader #1083 is the older form of this);
- a grade cell was deleted and the cell before it in the source is a read-only markdown cell:
  add_missing_grade_cells looks for that neighbour among grade and solution cells only
  (KeyError);
- a cell carries nbgrader metadata with a grade id the source does not have: OverwriteCells
  drops the id and add_missing_task_cells fails on it (KeyError).

`HideGraderSource` keeps the hidden grade cell's code out of the learners' feedback.

`RequireSandbox` refuses to autograde on a machine where the grader cannot contain learner
code (graders.sandbox), unless the instructor opts in with GRADERS_ALLOW_UNPROTECTED=1.
"""
import os

from nbconvert.preprocessors import Preprocessor
from nbgrader.api import Gradebook, MissingEntry
from nbgrader.preprocessors import NbGraderPreprocessor, OverwriteCells

from graders.suites import ANSWER_CELL, MAGIC

HIDDEN_TESTS = "### BEGIN HIDDEN TESTS"
NOT_RUN = "# (the autograder runs only the exercise's own cells: this one was left out)\n"


class RobustOverwriteCells(OverwriteCells):
    def preprocess(self, nb, resources):
        known, locked = self.source_cells(resources)
        for cell in nb.cells:
            meta = cell.metadata.get("nbgrader")
            # A copy that DeduplicateIds disowned (`{}`), or nbgrader metadata the learner made
            # up: OverwriteCells would drop its grade_id and then fail on it.
            if meta == {} or (isinstance(meta, dict) and meta.get("grade_id") not in known):
                del cell.metadata["nbgrader"]
        nb, resources = super().preprocess(nb, resources)
        return only_the_exercise_runs(nb, locked), resources

    @staticmethod
    def source_cells(resources) -> tuple[set[str], set[str]]:
        """The names of the source notebook's cells, and of those that are locked."""
        with Gradebook(resources["nbgrader"]["db_url"]) as gradebook:
            source = gradebook.find_notebook(resources["nbgrader"]["notebook"], resources["nbgrader"]["assignment"])
            return ({cell.name for cell in source.source_cells},
                    {cell.name for cell in source.source_cells if cell.locked})

    def preprocess_cell(self, cell, resources, cell_index):
        # A locked cell with hidden tests never matches its source in a submission (the
        # release leaves the tests out), and nbgrader restores it with a warning for every
        # submission: restore it quietly. Other locked cells that changed are still reported.
        grade_id = (cell.metadata.get("nbgrader") or {}).get("grade_id")
        if grade_id is not None:
            try:
                source = self.gradebook.find_source_cell(grade_id, self.notebook_id, self.assignment_id)
            except MissingEntry:
                source = None
            if source is not None and source.locked and HIDDEN_TESTS in source.source:
                cell.source = source.source
        return super().preprocess_cell(cell, resources, cell_index)

    def add_missing_grade_cells(self, nb, resources):
        """Put each missing grade cell back after the nearest cell that came before it in the
        source and is still in the submission (or at the end)."""
        source = self.gradebook.find_notebook(self.notebook_id, self.assignment_id)
        order = [cell.name for cell in source.source_cells]
        solutions = {cell.name for cell in source.solution_cells}
        for grade_cell in source.grade_cells:
            present = {(cell.metadata.get("nbgrader") or {}).get("grade_id"): index
                       for index, cell in enumerate(nb.cells)}
            if grade_cell.name in present:
                continue
            self.log.warning("Missing grade cell %s encountered, adding it back", grade_cell.name)
            index = order.index(grade_cell.name)
            cell = self.missing_cell_transform(source.source_cells[index], grade_cell.max_score,
                                               is_solution=grade_cell.name in solutions)
            cell.id = f"restored-{grade_cell.name}"[:64]
            before = [present[name] for name in order[:index] if name in present]
            nb.cells.insert(max(before) + 1 if before else len(nb.cells), cell)
        return nb, resources


def only_the_exercise_runs(nb, locked: set[str]):
    """Blank every code cell but the exercise's own (locked in the source, and restored from
    it by OverwriteCells) and the answer cell, which stays a `%%ipytest` cell: in the kernel
    that magic does not run it (graders.notebook.setup), the sandboxed grader does."""
    for cell in nb.cells:
        if cell.cell_type != "code":
            continue
        grade_id = (cell.metadata.get("nbgrader") or {}).get("grade_id")
        if grade_id == ANSWER_CELL:
            if not cell.source.lstrip().startswith(MAGIC):
                cell.source = f"{MAGIC}\n{cell.source}"
        elif grade_id not in locked:
            cell.source = NOT_RUN
            cell.outputs = []
    return nb


class RequireSandbox(NbGraderPreprocessor):
    """Refuse to autograde where learner code cannot be contained, unless told to go on."""

    def preprocess(self, nb, resources):
        from graders import sandbox

        if sandbox.mode() == "none" and os.environ.get("GRADERS_ALLOW_UNPROTECTED") != "1":
            raise RuntimeError(
                "graders: this machine cannot contain learner code (no Linux namespaces: macOS, "
                "Windows, or a container that forbids them), so a submission's tests could reach "
                "your files, your processes and other students' grades. Grade on a Linux machine, "
                "or set GRADERS_ALLOW_UNPROTECTED=1 to grade here anyway.")
        return nb, resources


class HideGraderSource(Preprocessor):
    """Feedback: the autograder's cells show their result (the learner's feedback), not the
    code that computed it."""

    def preprocess(self, nb, resources):
        for cell in nb.cells:
            meta = cell.metadata.get("nbgrader") or {}
            if cell.cell_type == "code" and meta.get("grade") and meta.get("locked") and not meta.get("solution"):
                cell.source = "# The autograder's cell: what it found is below."
        return nb, resources
