# Two over-specified tests and one that never starts the app: all three fail on a correct app.
from fastapi.testclient import TestClient

from forge.main import create_app


def test_the_anvil_has_id_1():
    with TestClient(create_app()) as client:
        assert client.get("/forge/items/1").json()["name"] == "anvil"


def test_the_list_starts_with_the_anvil():
    with TestClient(create_app()) as client:
        assert client.get("/forge/items").json()[0]["name"] == "anvil"


def test_items_without_starting_the_app():
    client = TestClient(create_app())
    assert client.get("/forge/items").status_code == 200


def test_creating_an_item_answers_201():
    with TestClient(create_app()) as client:
        assert client.post("/forge/items", json={"name": "chisel", "price": 9.5}).status_code == 201
