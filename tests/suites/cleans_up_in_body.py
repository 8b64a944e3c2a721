# Hygiene: overrides on the module-level app, cleared three ways. Only the first clean-up can
# be skipped: an assert that fails before it ends the test, and the override stays.
import pytest
from fastapi.testclient import TestClient

from forge.config import Settings
from forge.dependencies import get_settings
from forge.main import app


def test_clears_on_its_last_line():
    app.dependency_overrides[get_settings] = lambda: Settings(version="9.9.9")
    with TestClient(app) as client:
        assert client.get("/forge/health").json()["version"] == "9.9.9"
    app.dependency_overrides.clear()


def test_clears_in_a_finally_block():
    app.dependency_overrides[get_settings] = lambda: Settings(version="9.9.8")
    try:
        with TestClient(app) as client:
            assert client.get("/forge/health").json()["version"] == "9.9.8"
    finally:
        del app.dependency_overrides[get_settings]


@pytest.fixture
def version_override():
    app.dependency_overrides[get_settings] = lambda: Settings(version="9.9.7")
    yield
    app.dependency_overrides.pop(get_settings)


def test_clears_in_a_fixture(version_override):
    with TestClient(app) as client:
        assert client.get("/forge/health").json()["version"] == "9.9.7"
