"""Tests that pass on the real app but pin down what ex01_testclient's instructions leave free.

One test per [[freedom]] of graders/exercises/ex01_testclient.toml: each must be invalid when
graded (tests/test_freedoms.py), because some correct version of the app differs there.
"""
import pytest
from fastapi.testclient import TestClient

from forge.main import create_app


@pytest.fixture
def client():
    with TestClient(create_app()) as client:
        yield client


def test_pins_list_order(client):
    response = client.get("/forge/items")
    assert [item["name"] for item in response.json()] == ["anvil", "hammer", "tongs"]


def test_pins_detail_wording(client):
    ids = [item["id"] for item in client.get("/forge/items").json()]
    response = client.get(f"/forge/items/{max(ids) + 1000}")
    assert response.status_code == 404
    assert response.json()["detail"] == f"Item {max(ids) + 1000} not found"


def test_pins_item_ids(client):
    response = client.post("/forge/items", json={"name": "chisel", "price": 9.5})
    assert response.status_code == 201
    assert response.json()["id"] == 4


def test_pins_extra_item_fields(client):
    anvil = next(item for item in client.get("/forge/items").json() if item["name"] == "anvil")
    assert set(anvil) == {"id", "name", "price"}


def test_pins_version_value(client):
    response = client.get("/forge/health")
    assert response.json() == {"status": "ok", "version": "1.4.0"}
