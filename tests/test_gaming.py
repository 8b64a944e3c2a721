"""Gaming: a suite that tests nothing about the app's behaviour earns nothing. One suite per
class of trick (tests/gaming/), written as an adversary who has read this repository would
write it, and each scored on every exercise: 0, or invalid."""
import base64
import json
import uuid
from pathlib import Path

import pytest

from graders import sandbox
from graders.exercises import all_exercises, get_exercise
from graders.grading import grade

GAMING = Path(__file__).parent / "gaming"
# Without namespaces (GRADERS_SANDBOX=none, macOS) only chance is ruled out: the grading data
# and the machine are within a test's reach there, as the README says.
SUITES = ["coin", "coin_that_knows_the_order"] + (
    ["harness_state", "order_and_naming", "reads_grading_data", "code_against_disk"]
    if sandbox.mode() == "namespaces" else [])


def gaming(name: str) -> str:
    chaffs = sorted({text for e in all_exercises().values() for c in e.chaffs for text in (c.id, c.title)})
    return ((GAMING / f"{name}.py").read_text()
            .replace("CHAFFS", base64.b64encode(json.dumps(chaffs).encode()).decode())
            .replace("TOKEN", uuid.uuid4().hex))


@pytest.mark.parametrize("exercise", sorted(all_exercises()))
def test_no_trick_earns_a_point(exercise):
    scored = {}
    for name in SUITES:
        report = grade(get_exercise(exercise), gaming(name))
        if report.valid and report.score > 0:
            scored[name] = (report.score, [(t.nodeid, t.catches) for t in report.tests])
    assert scored == {}


def test_a_coin_is_found_out_as_flaky(ex01):
    report = grade(ex01, gaming("coin"))
    flaky = [t for t in report.tests if t.flaky]
    assert not report.valid and report.score == 0.0
    assert flaky and all("flaky: it passed in" in t.message and "identical runs" in t.message for t in flaky)
