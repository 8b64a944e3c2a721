"""Tests that pass on the real app but pin down what ex06_fixtures' instructions leave free.

One test per [[freedom]] of graders/exercises/ex06_fixtures.toml: each must be invalid when
graded (tests/test_freedoms.py), because some correct version of the app differs there.
"""
import re

import pytest
from fastapi.testclient import TestClient

from forge.config import Settings
from forge.main import create_app

ADMIN_PASSWORD = "anvils-and-tongs"


@pytest.fixture
def client():
    with TestClient(create_app(Settings(admin_password=ADMIN_PASSWORD))) as client:
        yield client


def register(client, username="alice"):
    response = client.post("/forge/users", json={
        "username": username, "email": f"{username}@example.com", "password": f"{username}-secret"})
    assert response.status_code == 201
    return response


def headers(client, username, password):
    token = client.post("/token", data={"username": username, "password": password}).json()["access_token"]
    return {"Authorization": f"Bearer {token}"}


def test_pins_account_ids(client):
    assert register(client).json()["id"] == 2  # the administrator is 1


def test_pins_starter_items(client):
    assert [item["name"] for item in client.get("/forge/items").json()] == ["anvil", "hammer", "tongs"]


def test_pins_other_audit_events(client):
    register(client, "alice")
    register(client, "bob")
    admin = headers(client, "forgemaster", ADMIN_PASSWORD)
    events = client.get("/forge/admin/audit", headers=admin).json()
    assert [event["action"] for event in events] == ["user.registered", "user.registered"]


def test_pins_trace_id_format(client):
    assert re.fullmatch(r"[0-9a-f]{32}", register(client).headers["X-Trace-ID"])


def test_pins_extra_fields(client):
    register(client)
    me = client.get("/forge/users/me", headers=headers(client, "alice", "alice-secret"))
    assert set(me.json()) == {"id", "username", "email", "role"}


def test_pins_detail_wording(client):
    response = client.get("/forge/users/me")
    assert response.status_code == 401
    assert response.json()["detail"] == "Not authenticated"
