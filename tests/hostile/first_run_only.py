# Passes only the first time it runs on a machine: state kept in /tmp between runs.
from pathlib import Path

MARKER = Path("/tmp/graders-first-run-TOKEN")


def test_first_run_only():
    first = not MARKER.exists()
    MARKER.touch()
    assert first
