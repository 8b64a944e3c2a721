"""nbgrader, repaired for two ways learners break their notebooks (see nbgrader_config.py).

nbgrader 0.9.6 fails a learner's whole submission when
- a graded or read-only cell was copy-pasted: DeduplicateIds empties the copy's nbgrader
  metadata to `{}`, and OverwriteCells.add_missing_task_cells then fails on it (KeyError
  'grade_id'; nbgrader #1083 is the older form of this);
- a grade cell was deleted and the cell before it in the source is a read-only markdown cell:
  add_missing_grade_cells looks for that neighbour among grade and solution cells only
  (KeyError).
"""
from nbgrader.preprocessors import OverwriteCells


class RobustOverwriteCells(OverwriteCells):
    def preprocess(self, nb, resources):
        for cell in nb.cells:
            if cell.metadata.get("nbgrader") == {}:  # a copy that DeduplicateIds disowned
                del cell.metadata["nbgrader"]
        return super().preprocess(nb, resources)

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
