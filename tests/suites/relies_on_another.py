# Hygiene: the second test needs the first to have run before it.
from fastapi.testclient import TestClient

from forge.main import create_app

created = []  # module-level, shared by the tests: the bug


def test_create_remembers_the_item():
    with TestClient(create_app()) as client:
        response = client.post("/forge/items", json={"name": "chisel", "price": 9.5})
        assert response.status_code == 201
        created.append(response.json()["name"])


def test_the_remembered_item_is_a_chisel():
    assert created == ["chisel"]
