"""Tests that pass on the real app but pin down what ex11_structure's instructions leave free.

One test per [[freedom]] of graders/exercises/ex11_structure.toml: each must be invalid when
graded (tests/test_freedoms.py), because some correct version of the app differs there.
"""
import jwt
import pytest
from fastapi.testclient import TestClient

from forge.config import Settings
from forge.main import create_app

SECRET = "a-secret-only-these-tests-know-0123456789"
ADA = {"username": "ada_l", "email": "countess@example.com", "password": "analytical-engine"}


@pytest.fixture
def client():
    with TestClient(create_app(Settings(version="7.7.7-test", jwt_secret=SECRET))) as client:
        yield client


def login_claims(client):
    assert client.post("/forge/users", json=ADA).status_code == 201
    response = client.post("/token", data={"username": ADA["username"], "password": ADA["password"]})
    assert response.status_code == 200
    return jwt.decode(response.json()["access_token"], SECRET, algorithms=["HS256"])


def test_pins_default_version():
    with TestClient(create_app(Settings())) as client:
        assert client.get("/forge/health").json()["version"] == "1.4.0"


def test_pins_default_token_minutes():
    assert Settings().token_minutes == 30


def test_pins_default_jwt_secret():
    assert Settings().jwt_secret == "forge-development-secret-change-me-0123456789"


def test_pins_default_admin_username():
    with TestClient(create_app(Settings(admin_password="the-admin-password"))) as client:
        response = client.post("/token", data={"username": "forgemaster", "password": "the-admin-password"})
        assert response.status_code == 200


def test_pins_default_admin_password():
    assert Settings().admin_password is None


def test_pins_extra_token_claims(client):
    assert set(login_claims(client)) - {"sub", "iat", "exp"} <= {"role"}


def test_pins_role_claim(client):
    assert login_claims(client)["role"] == "smith"


def test_pins_detail_wording(client):
    response = client.get("/forge/users/me")
    assert response.status_code == 401
    assert response.json()["detail"] == "Not authenticated"


def test_pins_extra_response_fields(client):
    assert set(client.get("/forge/health").json()) == {"status", "version"}


def test_pins_user_ids(client):
    response = client.post("/forge/users", json=ADA)
    assert response.status_code == 201
    assert response.json()["id"] == 1
