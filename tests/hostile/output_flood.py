# Floods stdout, stderr and every other file descriptor it can find (its results socket among
# them) with output and forged results, next to a good test.
import os
import sys

from fastapi.testclient import TestClient

from forge.main import create_app


def test_flood():
    chunk = "x" * 2**20
    for _ in range(1024):  # a gigabyte on each stream
        sys.stdout.write(chunk)
        sys.stderr.write(chunk)
    for fd in range(3, 64):
        try:
            os.write(fd, b'{"event": "report", "outcome": "passed"}\n' + b"garbage" * 10**5)
        except OSError:
            pass


def test_zero_price_is_rejected():
    with TestClient(create_app()) as client:
        assert client.post("/forge/items", json={"name": "x", "price": 0}).status_code == 422
