"""Tests that pass on the real app but pin down what ex13_websocket_quotes's instructions leave
free.

One test per [[freedom]] of graders/exercises/ex13_websocket_quotes.toml: each must be invalid
when graded (tests/test_freedoms.py), because some correct version of the app differs there.
"""
import pytest
from fastapi.testclient import TestClient

from forge.main import create_app

QUOTES = "/forge/ws/quotes"
QUOTE_KEYS = ["item_id", "name", "quantity", "total"]


@pytest.fixture
def client():
    with TestClient(create_app()) as client:
        yield client


@pytest.fixture
def hammer(client):
    return next(item for item in client.get("/forge/items").json() if item["name"] == "hammer")


def ask(client, request):
    with client.websocket_connect(QUOTES) as ws:
        ws.send_json(request)
        return ws.receive_json()


def test_pins_item_ids(client):
    assert [item["id"] for item in client.get("/forge/items").json()] == [1, 2, 3]


def test_pins_extra_fields(client, hammer):
    assert set(ask(client, {"item_id": hammer["id"], "quantity": 2})) == set(QUOTE_KEYS)


def test_pins_key_order(client, hammer):
    answer = ask(client, {"item_id": hammer["id"], "quantity": 2})
    assert [key for key in answer if key in QUOTE_KEYS] == QUOTE_KEYS


def test_pins_error_fields(client):
    assert ask(client, {"item_id": 987654, "quantity": 1})["item_id"] == 987654


def test_pins_missing_quantity(client, hammer):
    assert ask(client, {"item_id": hammer["id"]})["quantity"] == 1


def test_pins_non_object_answer(client):
    assert "error" in ask(client, [1, 2])
