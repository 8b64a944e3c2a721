from fastapi.testclient import TestClient
from forge.main import app

def test_health():
    with TestClient(app) as client:
        assert client.get("/forge/health").status_code == 200

def test_create():
    with TestClient(app) as client:
        assert client.post("/forge/items", json={"name": "chisel", "price": 9.5}).status_code == 201
