"""Tests that pass on the real app but pin down what ex13_trace_ids's instructions leave free.

One test per [[freedom]] of graders/exercises/ex13_trace_ids.toml: each must be invalid when
graded (tests/test_freedoms.py), because some correct version of the app differs there.
"""
import uuid

import pytest
from fastapi.testclient import TestClient

from forge.dependencies import get_db
from forge.main import create_app

HEADER = "X-Trace-ID"


@pytest.fixture
def app():
    app = create_app()
    yield app
    app.dependency_overrides.clear()


@pytest.fixture
def client(app):
    with TestClient(app) as client:
        yield client


@pytest.fixture
def crash_body(app, client):
    def database_down():
        raise RuntimeError("database down")

    app.dependency_overrides[get_db] = database_down
    response = client.get("/forge/items")
    assert response.status_code == 500
    return response.json()


def made_up(client):
    return client.get("/forge/health").headers[HEADER]


def test_pins_made_up_id_dashes(client):
    assert "-" not in made_up(client)


def test_pins_made_up_id_case(client):
    trace_id = made_up(client)
    assert trace_id == trace_id.lower()


def test_pins_made_up_id_uuid_version(client):
    assert uuid.UUID(made_up(client)).version == 4


def test_pins_crash_body_other_fields(crash_body):
    assert "error" in crash_body and "detail" in crash_body


def test_pins_crash_body_wording(crash_body):
    assert crash_body["error"] == "internal_error"
