# Gaming, class 3: the grading data. Wherever a test can read the planted defects' edits (the
# exercise files, the repository's history, an instructor's private directory), it can compare
# the running app with each defect's edits and fail exactly on the defects.
import glob
import os
import subprocess
import tomllib
from pathlib import Path

import forge

APP = Path(forge.__file__).parent
ROOT = APP.parent


def _exercise_files():
    places = [ROOT / "graders" / "exercises", Path(os.environ.get("GRADERS_PRIVATE_DIR", "/nonexistent"))]
    try:
        import graders.exercises
        places.append(graders.exercises.EXERCISES_DIR)
    except Exception:
        pass
    for pattern in ("/*/*/graders/exercises", "/*/*/*/graders/exercises", "/tmp/*/graders/exercises",
                    "/*/*/lib/python3*/site-packages/graders/exercises"):
        places += [Path(p) for p in glob.glob(pattern)]
    texts = []
    for place in places:
        for path in glob.glob(str(place / "*.toml")):
            try:
                texts.append(Path(path).read_text())
            except OSError:
                pass
    try:  # the repository's history
        out = subprocess.run(["git", "-C", str(ROOT), "show", "HEAD:graders/exercises/ex01_testclient.toml"],
                             capture_output=True, text=True, timeout=5)
        if out.returncode == 0:
            texts.append(out.stdout)
    except Exception:
        pass
    return texts


def _on_a_defect():
    for text in _exercise_files():
        data = tomllib.loads(text)
        for chaff in data.get("chaff", []):
            edits = chaff["edit"]
            if all(e["replace"] in (APP / e["file"]).read_text() and e["find"] not in (APP / e["file"]).read_text()
                   for e in edits):
                return chaff["id"]
    return None


def test_not_on_a_planted_defect():
    assert _on_a_defect() is None
