"""Tests that pass on the real app but pin down what ex04_sqlite's instructions leave free.

One test per [[freedom]] of graders/exercises/ex04_sqlite.toml: each must be invalid when
graded (tests/test_freedoms.py), because some correct version of the app differs there.
"""
import re

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import create_engine, inspect, select
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.pool import StaticPool

from forge.database import Base
from forge.dependencies import get_db
from forge.main import create_app
from forge.models import User

ALICE = {"username": "alice", "email": "alice@example.com", "password": "correct horse"}


@pytest.fixture
def engine():
    engine = create_engine("sqlite://", poolclass=StaticPool, connect_args={"check_same_thread": False})
    Base.metadata.create_all(engine)
    yield engine
    engine.dispose()


@pytest.fixture
def client(engine):
    app = create_app()
    sessions = sessionmaker(bind=engine, autoflush=False, expire_on_commit=False)

    def test_database():
        with sessions() as db:
            yield db

    app.dependency_overrides[get_db] = test_database
    with TestClient(app) as client:
        yield client
    app.dependency_overrides.clear()


def stored_users(engine):
    with Session(engine) as db:
        return db.scalars(select(User).order_by(User.id)).all()


def register(client, **changes):
    return client.post("/forge/users", json={**ALICE, **changes})


def test_pins_user_ids(client, engine):
    response = register(client)
    assert response.status_code == 201
    assert response.json()["id"] == 1
    assert stored_users(engine)[0].id == 1


def test_pins_detail_wording(client):
    assert register(client).status_code == 201
    response = register(client, email="another@example.com")
    assert response.status_code == 409
    assert response.json()["detail"] == "That username or email is already registered"


def test_pins_hash_format(client, engine):
    assert register(client).status_code == 201
    [row] = stored_users(engine)
    assert re.fullmatch(r"[0-9a-f]{32}\$[0-9a-f]{64}", row.password_hash)


def test_pins_extra_columns(client, engine):
    assert register(client).status_code == 201
    columns = {column["name"] for column in inspect(engine).get_columns("users")}
    assert columns == {"id", "username", "email", "password_hash", "role", "created_at"}


def test_pins_extra_answer_fields(client):
    response = register(client)
    assert response.status_code == 201
    assert set(response.json()) == {"id", "username", "email", "role"}
