"""Tests that pass on the real app but pin down what ex07_parametrize's instructions leave free.

One test per [[freedom]] of graders/exercises/ex07_parametrize.toml: each must be invalid when
graded (tests/test_freedoms.py), because some correct version of the app differs there.
"""
import pytest
from fastapi.testclient import TestClient

from forge.main import create_app


@pytest.fixture
def client():
    with TestClient(create_app()) as client:
        yield client


def body(**fields):
    return {"username": "ada", "email": "ada@example.com", "password": "correct horse", **fields}


def test_pins_error_msg(client):
    response = client.post("/forge/users", json=body(username="ab"))
    assert response.status_code == 422
    assert response.json()["detail"][0]["msg"] == "String should have at least 3 characters"


def test_pins_extra_error_keys(client):
    response = client.post("/forge/users", json=body(username="ab"))
    assert response.status_code == 422
    assert set(response.json()["detail"][0]) == {"type", "loc", "msg", "input", "ctx"}


def test_pins_error_order(client):
    response = client.post("/forge/users", json={})
    assert response.status_code == 422
    assert [error["loc"][-1] for error in response.json()["detail"]] == ["username", "email", "password"]


def test_pins_error_count(client):
    # Two problems: a username too short (and with a capital letter), a password too short.
    response = client.post("/forge/users", json=body(username="Ab", password="short"))
    assert response.status_code == 422
    assert len(response.json()["detail"]) == 2


def test_pins_other_emails_accepted(client):
    response = client.post("/forge/users", json=body(email="ada@localhost"))
    assert response.status_code == 422


def test_pins_created_answer(client):
    response = client.post("/forge/users", json=body())
    assert response.status_code == 201
    assert response.json() == {"id": 1, "username": "ada", "email": "ada@example.com", "role": "smith"}
