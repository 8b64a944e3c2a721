# Hygiene: overrides set on the module-level app and never cleared.
from fastapi.testclient import TestClient

from forge.config import Settings
from forge.dependencies import get_settings
from forge.main import app


def test_the_version_can_be_overridden():
    app.dependency_overrides[get_settings] = lambda: Settings(version="9.9.9")
    with TestClient(app) as client:
        assert client.get("/forge/health").json()["version"] == "9.9.9"
    # No clean-up: every later test that uses `app` gets version 9.9.9.


def test_health_is_ok():
    with TestClient(app) as client:
        assert client.get("/forge/health").json()["status"] == "ok"
