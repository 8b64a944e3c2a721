"""Tests that pass on the real app but pin down what ex12_incident's instructions leave free.

One test per [[freedom]] of graders/exercises/ex12_incident.toml: each must be invalid when
graded (tests/test_freedoms.py), because some correct version of the app differs there. Each
is hygienic (its own app, overrides removed in a fixture's teardown), as the exercise's strict
hygiene requires.
"""
import pytest
from fastapi.testclient import TestClient

from forge.dependencies import get_mailer
from forge.mail import Outbox
from forge.main import create_app

ADA = {"username": "ada", "email": "ada@example.com", "password": "correct horse"}


class BrokenMailer:
    def send(self, to, subject, body):
        raise RuntimeError("the mail server is down")


@pytest.fixture
def outbox():
    return Outbox()


@pytest.fixture
def app(outbox):
    app = create_app()
    app.dependency_overrides[get_mailer] = lambda: outbox
    yield app
    app.dependency_overrides.clear()


@pytest.fixture
def client(app):
    with TestClient(app) as client:
        yield client


def test_pins_account_ids(client):
    response = client.post("/forge/users", json=ADA)
    assert response.status_code == 201
    assert response.json()["id"] == 1


def test_pins_welcome_mail_text(client, outbox):
    assert client.post("/forge/users", json=ADA).status_code == 201
    assert [message.subject for message in outbox.sent] == ["Welcome to the forge"]


def test_pins_welcome_mail_timing(app):
    # Sent in a background task, after the response: a failing mailer can't spoil the 201.
    app.dependency_overrides[get_mailer] = BrokenMailer
    with TestClient(app, raise_server_exceptions=False) as client:
        assert client.post("/forge/users", json=ADA).status_code == 201


def test_pins_detail_wording(client):
    response = client.get("/forge/admin/dashboard")
    assert response.status_code == 401
    assert response.json()["detail"] == "Not authenticated"


def test_pins_extra_fields(client):
    response = client.post("/forge/users", json=ADA)
    assert response.status_code == 201
    assert set(response.json()) == {"id", "username", "email", "role"}
