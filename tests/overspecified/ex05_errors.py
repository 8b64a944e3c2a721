"""Tests that pass on the real app but pin down what ex05_errors's instructions leave free.

One test per [[freedom]] of graders/exercises/ex05_errors.toml: each must be invalid when
graded (tests/test_freedoms.py), because some correct version of the app differs there.
"""
import re

import pytest
from fastapi.testclient import TestClient

from forge.main import create_app


@pytest.fixture
def app():
    app = create_app()
    yield app
    app.dependency_overrides.clear()


@pytest.fixture
def client(app):
    with TestClient(app) as client:
        yield client


def test_pins_detail_wording(client):
    response = client.get("/forge/nowhere")
    assert response.status_code == 404
    assert response.json()["detail"] == "Not Found"


def test_pins_extra_error_fields(client):
    response = client.get("/forge/nowhere")
    assert response.status_code == 404
    assert set(response.json()) == {"error", "detail"}


def test_pins_trace_id_format(client):
    response = client.get("/forge/nowhere")
    assert re.fullmatch(r"[0-9a-f]{32}", response.headers["X-Trace-ID"])


def test_pins_item_ids(client):
    response = client.get("/forge/items/1")
    assert response.status_code == 200
    assert response.json()["name"] == "anvil"


def test_pins_user_ids(client):
    response = client.post("/forge/users", json={
        "username": "ada", "email": "ada@example.com", "password": "correct horse"})
    assert response.status_code == 201
    assert response.json()["id"] == 1
