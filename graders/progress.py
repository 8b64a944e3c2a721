"""A learner's progress: the best result of every exercise checked so far.

Every `check(...)` in an exercise notebook records its result here; `progress()` shows the
best result per exercise and overall. The file is the learner's own (`.progress.json` in the
course directory, or the path in GRADERS_PROGRESS_FILE), survives restarts, and is never
committed.
"""
from __future__ import annotations

import html
import json
import os
import shutil
from datetime import datetime
from pathlib import Path

from graders.build import ROOT, exercise_path


def path() -> Path:
    return Path(os.environ.get("GRADERS_PROGRESS_FILE") or ROOT / ".progress.json")


def load() -> dict[str, dict]:
    """Exercise id -> best result. A file that cannot be read counts as no progress (and is
    kept aside by the next `record`, not overwritten)."""
    try:
        data = json.loads(path().read_text())
    except (OSError, ValueError):
        return {}
    return {k: v for k, v in data.items() if isinstance(v, dict)} if isinstance(data, dict) else {}


def record(report) -> dict:
    """Keep this result if it is the exercise's best so far; return the exercise's entry."""
    file = path()
    if file.exists() and not load() and file.read_text(errors="replace").strip() not in ("", "{}"):
        shutil.copy(file, file.with_name(file.name + ".unreadable"))  # lose nothing
    entries = load()
    now = datetime.now().isoformat(timespec="seconds")
    result = {"score": round(report.score, 4), "caught": report.caught, "defects": len(report.defects),
              "valid": report.valid, "date": now}
    best = entries.get(report.exercise)
    checks = (best or {}).get("checks", 0) + 1
    if best is None or (result["score"], result["caught"]) > (best.get("score", 0), best.get("caught", 0)):
        best = result
    best = {**best, "checks": checks, "last": now}
    entries[report.exercise] = best
    file.parent.mkdir(parents=True, exist_ok=True)
    partial = file.with_name(file.name + ".partial")
    partial.write_text(json.dumps(entries, indent=1, sort_keys=True))
    os.replace(partial, file)  # a crash mid-write leaves the old file whole
    return best


class Progress:
    """Every exercise with its best result: a table with bars in JupyterLab, text elsewhere."""

    def __init__(self, entries: dict[str, dict] | None = None, here: Path | None = None):
        from graders.exercises import all_exercises

        self.exercises = sorted(all_exercises().values(), key=lambda e: e.id)
        self.entries = load() if entries is None else entries
        self.here = here or Path.cwd()  # where links start: the notebook's own folder

    def overall(self) -> tuple[int, float]:
        """How many exercises were checked, and the mean best score over all of them."""
        done = [self.entries[e.id] for e in self.exercises if e.id in self.entries]
        return len(done), sum(d.get("score", 0) for d in done) / max(1, len(self.exercises))

    def text(self) -> str:
        done, mean = self.overall()
        lines = [f"Progress: {done} of {len(self.exercises)} exercises checked, overall {mean:.0%}"]
        width = max(len(e.id) for e in self.exercises)
        for e in self.exercises:
            entry = self.entries.get(e.id)
            if entry is None:
                lines.append(f"  {e.id:<{width}}  {'-' * 10}  not checked yet")
                continue
            bar = "#" * round(10 * entry.get("score", 0))
            lines.append(f"  {e.id:<{width}}  {bar:<10}  {entry.get('score', 0):>4.0%}  caught "
                         f"{entry.get('caught', 0)} of {entry.get('defects', 0)}  ({_day(entry)})")
        return "\n".join(lines)

    def __str__(self) -> str:
        return self.text()

    def _repr_mimebundle_(self, include=None, exclude=None) -> dict:
        return {"text/plain": self.text(), "text/html": self.html()}

    def html(self) -> str:
        e = html.escape
        done, mean = self.overall()
        rows = []
        for ex in self.exercises:
            entry = self.entries.get(ex.id)
            notebook = ROOT / exercise_path(ex)
            link = f'<a href="{e(os.path.relpath(notebook, self.here))}">{e(ex.id)}</a>'
            if entry is None:
                cells = '<td colspan="3" style="opacity:.6">not checked yet</td>'
            else:
                score = entry.get("score", 0)
                cells = (f'<td><div style="width:8em;height:.8em;border:1px solid #888;border-radius:.4em">'
                         f'<div style="width:{score:.0%};height:100%;background:#2e7d32;border-radius:.4em">'
                         f"</div></div></td><td>{score:.0%} · caught {entry.get('caught', 0)} of "
                         f"{entry.get('defects', 0)}</td><td>{e(_day(entry))}</td>")
            rows.append(f"<tr><td>{link}</td><td>{e(ex.title)}</td>{cells}</tr>")
        left = "<style>.graders-progress th, .graders-progress td { text-align: left !important; }</style>"
        return (f'<div class="graders-progress">{left}<b>Progress: {done} of {len(self.exercises)} exercises '
                f"checked, overall {mean:.0%}</b><table><tr><th>exercise</th><th></th><th>best score</th>"
                f"<th></th><th>when</th></tr>{''.join(rows)}</table></div>")


def _day(entry: dict) -> str:
    return str(entry.get("date", ""))[:10]
