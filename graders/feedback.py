"""What a learner reads after a check: one content, two forms.

`Feedback(report, hints)` is what `check(...)` displays. JupyterLab shows its HTML (a coloured
test-by-defect table, invalid tests in red, hygiene warnings and hints folded away); terminals,
`graders check` and anything else that wants plain text get `text()`, the same content.
"""
from __future__ import annotations

import html
from dataclasses import dataclass, field

PLACEHOLDER_NOTE = ("the placeholder `raise NotImplementedError()` is still in your cell: "
                    "replace it with your tests")
UNPROTECTED = ("this machine cannot create Linux namespaces, so your tests ran without a sandbox "
               "(they could reach your files and processes).")
ZERO_NOTE = "0 until every test passes on a correct app"
# The whole report, as data, in the autograder's output: the class report reads it there.
REPORT_MIME = "application/vnd.fastapi-testing.report+json"


@dataclass
class Content:
    """Everything the feedback says, before it is formatted."""

    heading: str
    marks: list[tuple[int, bool]]  # (defect number, caught)
    score: float
    zero_note: bool  # the score is 0 because a test is invalid
    unprotected: bool
    problems: list[tuple[str, str]]  # (error, a note on what to do, or "")
    counts: tuple[int, int, int] | None  # tests collected, valid, invalid
    invalid: list[tuple[str, str]]  # (test, why)
    hygiene: list[tuple[str, str]]  # (test, warning)
    columns: list[int]  # defect numbers of the table
    rows: list[tuple[str, list[bool]]]  # (valid test, catches each column's defect)
    missed: list[int]
    hints: list[tuple[int, list[tuple[int, int, str]]]] = field(default_factory=list)  # rungs, [] if private
    hints_asked: int = 0

    @property
    def caught(self) -> int:
        return sum(caught for _, caught in self.marks)


def content(report, hints: int = 0) -> Content:
    invalid = [t for t in report.tests if not t.valid]
    valid = [t for t in report.tests if t.valid]
    missed = [d for d in report.defects if not d.caught]
    return Content(
        heading=f"{report.title} ({report.exercise})",
        marks=[(d.number, d.caught) for d in report.defects],
        score=report.score,
        zero_note=not report.valid and bool(report.tests),
        unprotected=report.sandbox == "none",
        problems=[(e, PLACEHOLDER_NOTE if "NotImplementedError" in e else "") for e in report.errors],
        counts=(len(report.tests), len(valid), len(invalid)) if report.tests else None,
        invalid=[(_short(t.nodeid), t.message) for t in invalid],
        hygiene=[(_short(t.nodeid), w) for t in report.tests for w in t.warnings],
        columns=[d.number for d in report.defects] if valid else [],
        rows=[(_short(t.nodeid), [d.id in t.catches for d in report.defects]) for t in valid]
        if report.defects else [],
        missed=[d.number for d in missed],
        hints=[(d.number, [] if d.private else
                [(rung, len(d.hints), hint) for rung, hint in enumerate(d.hints[:hints], start=1)])
               for d in missed] if hints > 0 else [],
        hints_asked=hints,
    )


def text(c: Content) -> str:
    lines = [c.heading]
    marks = " ".join(("●" if caught else "○") + f"#{number}" for number, caught in c.marks)
    lines.append(f"Caught {c.caught} of {len(c.marks)} planted defects   {marks}")
    lines.append(f"Score: {c.score:.0%}" + (f"   ({ZERO_NOTE})" if c.zero_note else ""))
    if c.unprotected:
        lines.append(f"Unprotected: {UNPROTECTED}")
    for error, note in c.problems:
        lines.append(f"Problem: {error}")
        if note:
            lines.append(f"  ({note})")
    if c.counts:
        lines.append(f"Tests: {c.counts[0]} collected, {c.counts[1]} valid, {c.counts[2]} invalid")
    lines += [f"  ✗ {name} {why}" for name, why in c.invalid]
    if c.hygiene:
        lines.append("Hygiene (these cost nothing here, but break real suites):")
        lines += [f"  ! {name} {warning}" for name, warning in c.hygiene]
    if c.rows:
        lines.append("Which test catches which defect:")
        width = max(len(name) for name, _ in c.rows)
        lines.append("  " + " " * width + " " + " ".join(f"#{n:<2}" for n in c.columns))
        for name, catches in c.rows:
            lines.append(f"  {name:<{width}} " + " ".join(" x " if hit else " . " for hit in catches))
    if c.hints:
        lines.append("Hints for the defects your suite misses:")
        for number, rungs in c.hints:
            if not rungs:
                lines.append(f"  #{number} (no hints: your instructor keeps this one private)")
            lines += [f"  #{number} ({rung}/{total}) {hint}" for rung, total, hint in rungs]
    elif c.missed:
        lines.append(f"Missed: {', '.join(f'#{n}' for n in c.missed)}. Ask for hints, one rung "
                     "at a time (hints=1, 2, 3).")
    return "\n".join(lines)


# Colours that read on JupyterLab's light and dark themes alike.
STYLE = """
.graders-feedback { font-family: var(--jp-ui-font-family, sans-serif); line-height: 1.4; }
.graders-feedback h4 { margin: 0 0 .3em 0; }
.graders-feedback .verdict { font-size: 1.15em; font-weight: 600; margin: .2em 0; }
.graders-feedback .mark { display: inline-block; min-width: 2.2em; padding: .05em .35em; margin: 0 .15em .15em 0;
  border-radius: .8em; text-align: center; font-size: .9em; border: 1px solid #888; }
.graders-feedback .mark.caught { background: #2e7d32; color: #fff; border-color: #2e7d32; }
.graders-feedback .bad { color: #c62828; }
.graders-feedback .warn { color: #b26a00; }
.graders-feedback table.matrix { border-collapse: collapse; margin: .3em 0; }
.graders-feedback table.matrix th, .graders-feedback table.matrix td { padding: .1em .45em; text-align: center;
  border: 1px solid rgba(128,128,128,.35); }
.graders-feedback table.matrix th.test { text-align: left; font-family: var(--jp-code-font-family, monospace);
  font-weight: normal; }
.graders-feedback td.hit { background: #2e7d32; color: #fff; }
.graders-feedback code { font-family: var(--jp-code-font-family, monospace); }
.graders-feedback details { margin: .3em 0; }
.graders-feedback summary { cursor: pointer; }
"""


def to_html(c: Content) -> str:
    e = html.escape
    out = [f'<div class="graders-feedback"><style>{STYLE}</style>', f"<h4>{e(c.heading)}</h4>"]
    verdict = f"Caught {c.caught} of {len(c.marks)} planted defects"
    out.append(f'<div class="verdict">{verdict} · Score: {c.score:.0%}</div>')
    if c.zero_note:
        out.append(f'<div class="bad">Score {ZERO_NOTE}.</div>')
    out.append("<div>" + "".join(
        f'<span class="mark{" caught" if caught else ""}" title="{"caught" if caught else "missed"}">'
        f'{"●" if caught else "○"}#{number}</span>' for number, caught in c.marks) + "</div>")
    if c.unprotected:
        out.append(f'<div class="warn"><b>Unprotected:</b> {e(UNPROTECTED)}</div>')
    for error, note in c.problems:
        out.append(f'<div class="bad"><b>Problem:</b> <code>{e(error)}</code>'
                   + (f"<br>{_code(note)}" if note else "") + "</div>")
    if c.counts:
        collected, valid, invalid = c.counts
        out.append(f"<div>Tests: {collected} collected, {valid} valid, "
                   f'<span class="{"bad" if invalid else ""}">{invalid} invalid</span></div>')
    if c.invalid:
        out.append('<ul class="bad">' + "".join(f"<li>✗ <code>{e(name)}</code> {e(why)}</li>"
                                                 for name, why in c.invalid) + "</ul>")
    if c.hygiene:
        out.append(f'<details><summary class="warn">Hygiene: {len(c.hygiene)} warning(s) '
                   "(these cost nothing here, but break real suites)</summary><ul>"
                   + "".join(f"<li>! <code>{e(name)}</code> {e(w)}</li>" for name, w in c.hygiene)
                   + "</ul></details>")
    if c.rows:
        head = "".join(f"<th>#{n}</th>" for n in c.columns)
        body = "".join(
            f'<tr><th class="test">{e(name)}</th>'
            + "".join('<td class="hit" title="catches">x</td>' if hit else "<td>·</td>" for hit in catches)
            + "</tr>" for name, catches in c.rows)
        out.append(f'<div>Which test catches which defect:</div><table class="matrix"><tr><th></th>{head}</tr>'
                   f"{body}</table>")
    if c.hints:
        items = []
        for number, rungs in c.hints:
            if not rungs:
                items.append(f"<li>#{number}: no hints, your instructor keeps this one private</li>")
            items += [f"<li>#{number} ({rung}/{total}) {_code(hint)}</li>" for rung, total, hint in rungs]
        out.append(f"<details open><summary>Hints for the defects your suite misses "
                   f"(rung {c.hints_asked})</summary><ul>{''.join(items)}</ul></details>")
    elif c.missed:
        out.append(f"<details><summary>Missed: {', '.join(f'#{n}' for n in c.missed)}</summary>"
                   "Ask for hints, one rung at a time: <code>hints=1</code>, then 2, then 3.</details>")
    out.append("</div>")
    return "".join(out)


def _code(line: str) -> str:
    """Escaped text, with `backticks` shown as code."""
    parts = html.escape(line).split("`")
    return "".join(f"<code>{p}</code>" if i % 2 else p for i, p in enumerate(parts))


def _short(nodeid: str) -> str:
    return nodeid.split("::", 1)[-1]


class Feedback:
    """A report, displayed: HTML in JupyterLab, plain text everywhere else."""

    def __init__(self, report, hints: int = 0):
        self.content = content(report, hints)

    def text(self) -> str:
        return text(self.content)

    def __str__(self) -> str:
        return self.text()

    def _repr_mimebundle_(self, include=None, exclude=None) -> dict:
        return {"text/plain": self.text(), "text/html": to_html(self.content)}


def graded(report) -> dict:
    """What the autograder's cell shows, as a display bundle: the learner's feedback with the
    first hint for each missed defect (the feedback HTML shows it), and the report as data."""
    bundle = Feedback(report, hints=1)._repr_mimebundle_()
    bundle[REPORT_MIME] = report.to_json()
    return bundle
