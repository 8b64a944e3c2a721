# Tries to delete and write files outside its scratch directory: a canary the test suite
# placed (CANARY_PATH), the app's own source, the course's directory.
import os
from pathlib import Path

import forge

ROOT = Path(forge.__file__).resolve().parent.parent
CANARY = Path("CANARY_PATH")


def test_tamper():
    for attempt in (
        lambda: CANARY.unlink(),
        lambda: CANARY.write_text("overwritten"),
        lambda: (ROOT / "hostile-written.txt").write_text("written"),
        lambda: (ROOT / "forge" / "main.py").write_text("# gone"),
        lambda: os.utime(ROOT / "forge" / "main.py"),
    ):
        try:
            attempt()
        except OSError:
            pass
