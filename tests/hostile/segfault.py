# Crashes the interpreter inside a test.
import ctypes

from fastapi.testclient import TestClient

from forge.main import create_app


def test_segfault():
    ctypes.string_at(0)


def test_zero_price_is_rejected():
    with TestClient(create_app()) as client:
        assert client.post("/forge/items", json={"name": "x", "price": 0}).status_code == 422
