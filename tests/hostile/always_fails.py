# A test that fails everywhere "catches" every defect, but it is invalid.
from fastapi.testclient import TestClient

from forge.main import create_app


def test_always_fails():
    assert False


def test_zero_price_is_rejected():
    with TestClient(create_app()) as client:
        assert client.post("/forge/items", json={"name": "x", "price": 0}).status_code == 422
