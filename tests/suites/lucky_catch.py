# A test that fails on a defect only the first time it meets it, by a marker left in /tmp.
# TOKEN is replaced by the test with a fresh value.
from pathlib import Path

from fastapi.testclient import TestClient

from forge.main import create_app

MARKER = Path("/tmp/graders-lucky-TOKEN")


def test_create_answers_201_the_first_time_it_does_not():
    with TestClient(create_app()) as client:
        status = client.post("/forge/items", json={"name": "chisel", "price": 9.5}).status_code
    if status != 201:
        first = not MARKER.exists()
        MARKER.touch()
        assert not first, f"{status} != 201"


def test_zero_price_is_rejected():
    with TestClient(create_app()) as client:
        assert client.post("/forge/items", json={"name": "chisel", "price": 0}).status_code == 422
