# A suite with a test that never ends on any app, and one that hangs only when creating an item
# does not answer 201 (the wrong status code keeps the loop going).
from fastapi.testclient import TestClient

from forge.main import create_app


def test_forever():
    while True:
        pass


def test_waits_for_201():
    with TestClient(create_app()) as client:
        while client.post("/forge/items", json={"name": "chisel", "price": 9.5}).status_code != 201:
            pass


def test_health():
    with TestClient(create_app()) as client:
        assert client.get("/forge/health").status_code == 200
