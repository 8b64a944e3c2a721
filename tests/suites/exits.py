# Tests that end the test process from inside: the rest of the suite must still be graded.
import os
import sys

from fastapi.testclient import TestClient

from forge.main import create_app


def test_exit_with_os_exit():
    os._exit(0)


def test_exit_with_sys_exit():
    sys.exit(0)


def test_zero_price_is_rejected():
    with TestClient(create_app()) as client:
        assert client.post("/forge/items", json={"name": "x", "price": 0}).status_code == 422
