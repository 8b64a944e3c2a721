"""Tests that pass on the real app but pin down what ex10_user_flow's instructions leave free.

One test per [[freedom]] of graders/exercises/ex10_user_flow.toml: each must be invalid when
graded (tests/test_freedoms.py), because some correct version of the app differs there.
"""
import jwt
import pytest
from fastapi.testclient import TestClient

from forge.main import create_app

PASSWORD = "correct-horse-battery"


@pytest.fixture
def client():
    with TestClient(create_app()) as client:
        yield client


def register(client, username="ada"):
    response = client.post("/forge/users", json={
        "username": username, "email": f"{username}@example.com", "password": PASSWORD})
    assert response.status_code == 201
    return response.json()


def test_pins_detail_wording(client):
    response = client.get("/forge/users/me")
    assert response.status_code == 401
    assert response.json()["detail"] == "Not authenticated"


def test_pins_extra_account_fields(client):
    assert set(register(client)) == {"id", "username", "email", "role"}


def test_pins_token_lifetime(client):
    register(client)
    login = client.post("/token", data={"username": "ada", "password": PASSWORD})
    claims = jwt.decode(login.json()["access_token"], options={"verify_signature": False})
    assert claims["exp"] - claims["iat"] == 30 * 60


def test_pins_account_ids(client):
    assert register(client)["id"] == 1


def test_pins_new_account_role(client):
    assert register(client)["role"] == "smith"
