# Tries to delete and write files outside its scratch directory (a canary the test suite placed
# next to the app, the app's own source, the repository).
import os
from pathlib import Path

import forge

ROOT = Path(forge.__file__).resolve().parent.parent


def test_tamper():
    for attempt in (
        lambda: (ROOT / "hostile-canary.txt").unlink(),
        lambda: (ROOT / "hostile-canary.txt").write_text("overwritten"),
        lambda: (ROOT / "hostile-written.txt").write_text("written"),
        lambda: os.utime(ROOT / "forge" / "main.py"),
    ):
        try:
            attempt()
        except OSError:
            pass
