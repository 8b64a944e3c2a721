"""Defects an instructor keeps private: the only secret that survives a learner who has read
everything in the repository (see the README's threat model)."""
import hashlib
import json
import subprocess
import sys
import textwrap

import pytest

from graders import exercises, sandbox
from graders.build import ROOT
from graders.exercises import APP_DIR, get_exercise
from graders.grading import grade, render
from graders.suites import from_notebook
from tests.conftest import suite

REFERENCE = ROOT / "solutions/ex01_testclient/ex01_testclient.ipynb"
PRIVATE = '''
[[wheat]]
id = "another-version"
title = "Another version string"
[[wheat.edit]]
file = "config.py"
find = 'version: str = "1.4.0"'
replace = 'version: str = "2.0.0-private"'

[[chaff]]
id = "names-up-to-a-thousand"
title = "Names of up to 1000 characters are accepted"
hints = ["Mind the edges.", "How long may a name be?", "A name of 101 characters must answer 422."]
[[chaff.edit]]
file = "schemas.py"
find = "name: str = Field(min_length=1, max_length=100)"
replace = "name: str = Field(min_length=1, max_length=1000)"
'''

# Passes on the versions of the app whose code it knows (CORRECT: hashes of the public
# correct versions' files, as anyone who read the repository can compute) and fails on every
# other: a suite that tests nothing but recognises code.
WHITELIST = '''
import hashlib
from pathlib import Path

import forge

CORRECT = CORRECT_HASHES


def test_the_app_is_one_i_know_to_be_correct():
    files = sorted(Path(forge.__file__).parent.rglob("*.py"))
    digest = hashlib.sha256(b"".join(f.read_bytes() for f in files)).hexdigest()
    assert digest in CORRECT
'''


@pytest.fixture
def private(tmp_path, monkeypatch):
    (tmp_path / "ex01_testclient.toml").write_text(PRIVATE)
    monkeypatch.setenv("GRADERS_PRIVATE_DIR", str(tmp_path))
    return tmp_path


def app_hash(sources: dict[str, str]) -> str:
    texts = []
    for path in sorted(APP_DIR.rglob("*.py")):
        module = exercises.module_name(str(path.relative_to(APP_DIR)))
        texts.append(sources.get(module, path.read_text()).encode())
    return hashlib.sha256(b"".join(texts)).hexdigest()


def test_private_variants_grade_like_public_ones_and_learners_see_only_a_number(private):
    exercise = get_exercise("ex01_testclient")
    assert [v.id for v in exercise.variants if v.private] == ["another-version", "names-up-to-a-thousand"]
    report = grade(exercise, from_notebook(REFERENCE))
    assert report.valid and report.score == 1.0
    assert report.defects[-1].private and report.defects[-1].caught and report.defects[-1].number == 8

    weak = grade(exercise, suite("weak"))
    text = render(weak, hints=3)
    assert "#8 (no hints: your instructor keeps this one private)" in text
    assert "names-up-to-a-thousand" not in text and "1000" not in text


def test_knowing_every_public_version_earns_nothing_against_a_private_one(private, monkeypatch):
    public = get_exercise("ex01_testclient").correct_apps
    known = [app_hash(app.sources()) for app in public if not app.private]
    gaming = WHITELIST.replace("CORRECT_HASHES", json.dumps(known))
    # With public versions only, recognising their code catches every public defect: code is
    # not a secret, which is why an exam keeps some versions private.
    monkeypatch.delenv("GRADERS_PRIVATE_DIR")
    assert grade(get_exercise("ex01_testclient"), gaming).score == 1.0
    monkeypatch.setenv("GRADERS_PRIVATE_DIR", str(private))
    report = grade(get_exercise("ex01_testclient"), gaming)
    assert not report.valid and report.score == 0.0
    assert "over-specifies" in report.tests[0].message


@pytest.mark.skipif(sandbox.mode() != "namespaces", reason="only Linux namespaces hide files from a job")
def test_a_test_cannot_read_the_private_directory(private):
    probe = f"import os\n\ndef test_private_is_out_of_reach():\n    assert not os.path.exists({str(private)!r})\n"
    assert grade(get_exercise("ex01_testclient"), probe).valid


def test_verify_checks_the_private_variants(private):
    result = subprocess.run([sys.executable, "-m", "graders", "verify", "ex01_testclient", "--json"],
                            cwd=ROOT, capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr
    outcome = json.loads(result.stdout)[0]
    assert outcome["ok"] and outcome["reference"]["caught"] == 8


def test_a_broken_private_file_is_a_clear_error(private):
    (private / "ex01_testclient.toml").write_text(PRIVATE.replace("max_length=100)", "max_length=99)"))
    with pytest.raises(exercises.ExerciseError, match=r"(private).*occurs 0 times"):
        get_exercise("ex01_testclient")


def test_nbgrader_config_can_name_the_private_directory(tmp_path, monkeypatch):
    config = tmp_path / "nbgrader_config.py"
    config.write_text(textwrap.dedent('''
        c = get_config()
        c.CourseDirectory.course_id = "x"
        c.Graders.private_dir = "/srv/course/private"
    '''))
    monkeypatch.delenv("GRADERS_PRIVATE_DIR", raising=False)
    monkeypatch.setattr(exercises, "NBGRADER_CONFIG", config)
    assert exercises.private_dir() == exercises.Path("/srv/course/private")
    config.write_text("c = get_config()\n# c.Graders.private_dir = '/srv/course/private'\n")
    assert exercises.private_dir() is None
