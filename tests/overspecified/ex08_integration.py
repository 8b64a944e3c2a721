"""Tests that pass on the real app but pin down what ex08_integration's instructions leave free.

One test per [[freedom]] of graders/exercises/ex08_integration.toml: each must be invalid when
graded (tests/test_freedoms.py), because some correct version of the app differs there.
"""
import re

import pytest
from fastapi.testclient import TestClient

from forge.dependencies import require_admin
from forge.main import create_app


@pytest.fixture
def client():
    app = create_app()
    app.dependency_overrides[require_admin] = lambda: None
    with TestClient(app) as client:
        yield client


def register(client, username="ada"):
    response = client.post("/forge/users", json={
        "username": username, "email": f"{username}@example.com", "password": "correct-horse"})
    assert response.status_code == 201
    return response


def audit(client):
    response = client.get("/forge/admin/audit")
    assert response.status_code == 200
    return response.json()


def test_pins_trace_id_format(client):
    assert re.fullmatch(r"[0-9a-f]{32}", client.get("/forge/health").headers["X-Trace-ID"])


def test_pins_user_ids(client):
    assert register(client).json()["id"] == 1


def test_pins_mail_wording(client):
    register(client)
    welcome = [m for m in client.app.state.mailer.sent if m.to == "ada@example.com"]
    assert [(m.subject, m.body) for m in welcome] == [
        ("Welcome to the forge", "Hello ada, your account is ready.")]


def test_pins_other_mail(client):
    register(client)
    assert len(client.app.state.mailer.sent) == 1


def test_pins_audit_event_order(client):
    ids = [register(client, name).json()["id"] for name in ("ada", "bob")]
    assert [e["user_id"] for e in audit(client) if e["action"] == "user.registered"] == ids


def test_pins_audit_extra_fields(client):
    register(client)
    event, = [e for e in audit(client) if e["action"] == "user.registered"]
    assert set(event) == {"action", "user_id", "trace_id", "at"}


def test_pins_other_audit_actions(client):
    register(client)
    assert [e["action"] for e in audit(client)] == ["user.registered"]
