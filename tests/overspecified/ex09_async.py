"""Tests that pass on the real app but pin down what ex09_async's instructions leave free.

One test per [[freedom]] of graders/exercises/ex09_async.toml: each must be invalid when
graded (tests/test_freedoms.py), because some correct version of the app differs there.
"""
import csv
import io

import httpx
import pytest
import pytest_asyncio
from asgi_lifespan import LifespanManager
from fastapi.testclient import TestClient

from forge.main import create_app


@pytest_asyncio.fixture
async def client():
    app = create_app()
    async with LifespanManager(app) as manager:
        transport = httpx.ASGITransport(app=manager.app)
        async with httpx.AsyncClient(transport=transport, base_url="http://forge.test") as client:
            yield client


@pytest.fixture
def streaming_client():
    with TestClient(create_app()) as client:
        yield client


@pytest.mark.asyncio
async def test_pins_item_ids(client):
    items = (await client.get("/forge/items")).json()
    assert sorted(item["id"] for item in items) == [1, 2, 3]


@pytest.mark.asyncio
async def test_pins_list_order(client):
    items = (await client.get("/forge/items")).json()
    assert [item["name"] for item in items] == ["anvil", "hammer", "tongs"]


@pytest.mark.asyncio
async def test_pins_content_type_parameters(client):
    response = await client.get("/forge/items/export")
    assert response.headers["content-type"] == "text/csv; charset=utf-8"


@pytest.mark.asyncio
async def test_pins_column_order(client):
    response = await client.get("/forge/items/export")
    assert response.text.splitlines()[0].split(",")[:3] == ["id", "name", "price"]


@pytest.mark.asyncio
async def test_pins_extra_columns(client):
    response = await client.get("/forge/items/export")
    assert len(response.text.splitlines()[0].split(",")) == 3


@pytest.mark.asyncio
async def test_pins_item_line_order(client):
    response = await client.get("/forge/items/export")
    rows = list(csv.DictReader(io.StringIO(response.text)))
    assert [row["name"] for row in rows] == ["anvil", "hammer", "tongs"]


def test_pins_chunking(streaming_client):
    with streaming_client.stream("GET", "/forge/items/export") as response:
        chunks = list(response.iter_text())
    assert len(chunks) == 4  # the header, then one piece per item


@pytest.mark.asyncio
async def test_pins_special_names(client):
    assert (await client.post("/forge/items", json={"name": "tongs, long", "price": 20})).status_code == 201
    response = await client.get("/forge/items/export")
    assert '"' not in response.text
