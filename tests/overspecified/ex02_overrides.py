"""Tests that pass on the real app but pin down what ex02_overrides's instructions leave free.

One test per [[freedom]] of graders/exercises/ex02_overrides.toml: each must be invalid when
graded (tests/test_freedoms.py), because some correct version of the app differs there.
"""
import pytest
from fastapi.testclient import TestClient

from forge.dependencies import get_audit_log, get_mailer
from forge.main import create_app

ADA = {"username": "ada_l", "email": "countess@example.com", "password": "analytical-engine"}


class FakeMailer:
    def __init__(self, calls=None):
        self.sent = []
        self.calls = calls if calls is not None else []

    def send(self, to, subject, body):
        self.sent.append({"to": to, "subject": subject, "body": body})
        self.calls.append("mail")


class FakeAuditLog:
    def __init__(self, calls=None):
        self.events = []
        self.calls = calls if calls is not None else []

    def record(self, action, user_id, trace_id):
        self.events.append({"action": action, "user_id": user_id, "trace_id": trace_id})
        self.calls.append(action)


def make_client(mailer, audit, **options):
    app = create_app()
    app.dependency_overrides[get_mailer] = lambda: mailer
    app.dependency_overrides[get_audit_log] = lambda: audit
    return TestClient(app, **options)


@pytest.fixture
def mailer():
    return FakeMailer()


@pytest.fixture
def audit():
    return FakeAuditLog()


@pytest.fixture
def client(mailer, audit):
    with make_client(mailer, audit) as client:
        yield client
    client.app.dependency_overrides.clear()


def register(client, **changes):
    return client.post("/forge/users", json={**ADA, **changes})


class PositionalMailer(FakeMailer):
    def send(self, to, subject, body, /):  # refuses keyword arguments
        super().send(to, subject, body)


def test_pins_positional_or_keyword(audit):
    mailer = PositionalMailer()
    with make_client(mailer, audit) as client:
        assert register(client).status_code == 201
    client.app.dependency_overrides.clear()
    assert len(mailer.sent) == 1


class BrokenMailer(FakeMailer):
    def send(self, to, subject, body):
        raise RuntimeError("the mail server is down")


def test_pins_mail_and_event_timing(audit):
    # A mail sent after the response cannot spoil it: the registration still answers 201.
    with make_client(BrokenMailer(), audit, raise_server_exceptions=False) as client:
        assert register(client).status_code == 201
    client.app.dependency_overrides.clear()


def test_pins_mail_and_event_order():
    calls = []
    with make_client(FakeMailer(calls), FakeAuditLog(calls)) as client:
        assert register(client).status_code == 201
    client.app.dependency_overrides.clear()
    assert calls == ["mail", "user.registered"]


def test_pins_mail_subject(client, mailer):
    assert register(client).status_code == 201
    assert mailer.sent[0]["subject"] == "Welcome to the forge"


def test_pins_mail_body_wording(client, mailer):
    assert register(client).status_code == 201
    assert mailer.sent[0]["body"] == "Hello ada_l, your account is ready."


def test_pins_other_audit_actions(client, audit):
    assert register(client).status_code == 201
    assert [event["action"] for event in audit.events] == ["user.registered"]


def test_pins_user_ids(client):
    response = register(client)
    assert response.status_code == 201
    assert response.json()["id"] == 1


def test_pins_extra_response_fields(client):
    response = register(client)
    assert response.status_code == 201
    assert set(response.json()) == {"id", "username", "email", "role"}
