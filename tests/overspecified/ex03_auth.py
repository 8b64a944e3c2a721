"""Tests that pass on the real app but pin down what ex03_auth's instructions leave free.

One test per [[freedom]] of graders/exercises/ex03_auth.toml: each must be invalid when
graded (tests/test_freedoms.py), because some correct version of the app differs there.
"""
import pytest
from fastapi.testclient import TestClient

from forge.config import Settings
from forge.dependencies import get_current_user
from forge.main import create_app
from forge.models import User

PASSWORD = "correct-horse-battery"
ADMIN_PASSWORD = "open-the-forge-please"


@pytest.fixture
def app():
    app = create_app()
    yield app
    app.dependency_overrides.clear()


@pytest.fixture
def client(app):
    with TestClient(app) as client:
        yield client


def register(client, username="alice"):
    response = client.post("/forge/users", json={
        "username": username, "email": f"{username}@example.com", "password": PASSWORD})
    assert response.status_code == 201
    return response.json()


def log_in(client, username, password=PASSWORD):
    response = client.post("/token", data={"username": username, "password": password})
    assert response.status_code == 200
    return {"Authorization": f"Bearer {response.json()['access_token']}"}


def test_pins_detail_wording(client):
    response = client.get("/forge/users/me")
    assert response.status_code == 401
    assert response.json()["detail"] == "Not authenticated"


def test_pins_extra_fields(app, client):
    user = User(id=10_000, username="someone", email="someone@example.com", role="smith")
    app.dependency_overrides[get_current_user] = lambda: user
    response = client.get("/forge/users/me")
    assert response.status_code == 200
    assert set(response.json()) == {"id", "username", "email", "role"}


def test_pins_new_account_role(client):
    assert register(client)["role"] == "smith"


def test_pins_admin_username():
    with TestClient(create_app(Settings(admin_password=ADMIN_PASSWORD))) as client:
        headers = log_in(client, "forgemaster", ADMIN_PASSWORD)
        assert client.get("/forge/admin/dashboard", headers=headers).status_code == 200


def test_pins_account_ids(client):
    assert register(client)["id"] == 1
