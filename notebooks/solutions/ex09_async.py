# ---
# jupyter:
#   jupytext:
#     text_representation:
#       extension: .py
#       format_name: percent
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
# ---

# %% [markdown] nbgrader={"grade": false, "grade_id": "instructions", "locked": true, "schema_version": 3, "solution": false, "task": false}
# # Exercise 9: async tests for the catalogue, and its streaming export
#
# Write a pytest suite for forge's **catalogue** with **async tests**, and test its **CSV
# export**, a streaming endpoint. Your suite is graded the way a code reviewer would judge it:
#
# 1. **It must pass on the real app.** It also runs against other *correct* versions of the
#    service, which differ only where the specification below leaves freedom. A test that fails on
#    any correct version is *invalid*, and while any test is invalid the suite scores 0.
# 2. **It must catch bugs.** We planted defects in copies of the service, each one a mistake the
#    lesson warns about. Your score is the share of them that at least one of your tests catches
#    (by failing).
#
# ## What the service promises
#
# **The catalogue.**
#
# - When the service **starts up**, it loads a starter catalogue of three items: `anvil` (price
#   120), `hammer` (35.5) and `tongs` (18.25).
# - `GET /forge/items` answers `200` with a list of every item, each an object with an `id`, a
#   `name` and a `price`.
# - `POST /forge/items` with a JSON body `{"name": ..., "price": ...}` stores a new item and answers
#   `201` with it, including its new `id`.
# - Ids are whole numbers chosen by the service (which ones is not specified), and the order of
#   the list is not specified.
#
# **The export**, `GET /forge/items/export`:
#
# - answers `200` with a `Content-Type` of `text/csv` (parameters such as `; charset=utf-8` may
#   follow);
# - is CSV text whose **first line is a header** naming the columns. The columns include `id`,
#   `name` and `price`. **Not specified:** the order of the columns, and whether there are more
#   columns than those three;
# - has, after the header, **exactly one line per item in the catalogue as it is at the time of the
#   request**: the starter items and every item created since, with the same `id`, `name` and
#   `price` as `GET /forge/items`. **Not specified:** the order of the item lines;
# - writes every price with **exactly two decimals** (`120.00`, `35.50`);
# - is **streamed**: the service sends the body in several pieces as it produces them, not as one
#   finished body. **Not specified:** how the lines are split into pieces.
#
# Use item names without commas, quotes or line breaks: how such names are written is not specified.
#
# ## What to do
#
# - Test the catalogue with **async tests**: an `httpx.AsyncClient` over an `httpx.ASGITransport`,
#   with the app's lifespan running (`asgi_lifespan.LifespanManager`), in an async fixture. Mark
#   the tests for pytest-asyncio (`@pytest.mark.asyncio`, with `pytest_asyncio.fixture` for async
#   fixtures) or for anyio (`@pytest.mark.anyio`).
# - Test the export's content with either client. To see whether it is **streamed**, remember what
#   the lesson showed about which client hands you the pieces of a body.
#
# Create the app with `create_app()`. Put **everything** your tests need (imports, fixtures,
# helpers) in the one cell below that starts with `%%ipytest`: the grader runs that cell on its
# own, away from the rest of this notebook. Running the cell runs your tests on the real app.

# %% nbgrader={"grade": false, "grade_id": "setup", "locked": true, "schema_version": 3, "solution": false, "task": false}
import os

import ipytest

from graders.notebook import check, setup

setup(raise_on_error=False, exercise="ex09_async")
# Async tests in a notebook: pytest must run in a thread of its own, away from the kernel's
# event loop (coverage=False works around an ipytest bug). The -W option hides a notice about
# plugins that were imported before pytest started; it has nothing to do with your tests.
ipytest.config(run_in_thread=True, coverage=False)
os.environ["PYTEST_ADDOPTS"] = "-W ignore::pytest.PytestAssertRewriteWarning"

# %% nbgrader={"grade": false, "grade_id": "suite", "locked": false, "schema_version": 3, "solution": true, "task": false}
# %%ipytest
import httpx
import pytest
import pytest_asyncio
from asgi_lifespan import LifespanManager
from fastapi.testclient import TestClient

from forge.main import create_app

### BEGIN SOLUTION
import csv
import io

STARTER = {"anvil": "120.00", "hammer": "35.50", "tongs": "18.25"}


@pytest_asyncio.fixture
async def client():
    # ASGITransport never runs the lifespan: LifespanManager does (startup before, shutdown after).
    app = create_app()
    async with LifespanManager(app) as manager:
        transport = httpx.ASGITransport(app=manager.app)
        async with httpx.AsyncClient(transport=transport, base_url="http://forge.test") as client:
            yield client


@pytest.fixture
def streaming_client():
    # ASGITransport buffers every body; TestClient.stream hands out the pieces as the app sends them.
    with TestClient(create_app()) as client:
        yield client


def parse(text):
    """The export as a list of {column: value} rows, whatever the order of the columns."""
    return list(csv.DictReader(io.StringIO(text)))


@pytest.mark.asyncio
async def test_startup_loads_the_starter_catalogue(client):
    response = await client.get("/forge/items")
    assert response.status_code == 200
    assert sorted(item["name"] for item in response.json()) == sorted(STARTER)


@pytest.mark.asyncio
async def test_a_created_item_is_listed(client):
    created = await client.post("/forge/items", json={"name": "chisel", "price": 9.5})
    assert created.status_code == 201
    listed = (await client.get("/forge/items")).json()
    assert created.json()["id"] in [item["id"] for item in listed]


@pytest.mark.asyncio
async def test_export_is_csv_with_a_header_and_one_row_per_item(client):
    response = await client.get("/forge/items/export")
    assert response.status_code == 200
    assert response.headers["content-type"].split(";")[0].strip() == "text/csv"
    lines = response.text.splitlines()
    assert {"id", "name", "price"} <= set(lines[0].split(","))
    rows = parse(response.text)
    assert len(lines) == 1 + len(rows)
    assert {row["name"]: row["price"] for row in rows} == STARTER


@pytest.mark.asyncio
async def test_export_matches_the_catalogue_after_creating_items(client):
    for name, price in [("chisel", 9.5), ("file", 3)]:
        assert (await client.post("/forge/items", json={"name": name, "price": price})).status_code == 201
    items = (await client.get("/forge/items")).json()
    rows = parse((await client.get("/forge/items/export")).text)
    assert sorted(int(row["id"]) for row in rows) == sorted(item["id"] for item in items)
    assert {row["name"]: row["price"] for row in rows} == {**STARTER, "chisel": "9.50", "file": "3.00"}


def test_export_is_streamed_header_first(streaming_client):
    with streaming_client.stream("GET", "/forge/items/export") as response:
        assert response.status_code == 200
        chunks = list(response.iter_text())
    assert len(chunks) > 1, "the whole export arrived as one piece"
    assert {"id", "name", "price"} <= set(chunks[0].splitlines()[0].split(","))
### END SOLUTION

# %% [markdown] nbgrader={"grade": false, "grade_id": "feedback-help", "locked": true, "schema_version": 3, "solution": false, "task": false}
# ## Check your suite
#
# Run the next cell after you have run your `%%ipytest` cell. It grades the suite you ran last and
# shows how many planted defects it catches (`●` caught, `○` missed, each defect has an anonymous
# number), which of your tests are invalid and why, and which test catches which defect. It takes a
# few seconds: your suite runs once against every version of the service.

# %% nbgrader={"grade": false, "grade_id": "feedback", "locked": true, "schema_version": 3, "solution": false, "task": false}
check("ex09_async")

# %% [markdown] nbgrader={"grade": false, "grade_id": "hints-help", "locked": true, "schema_version": 3, "solution": false, "task": false}
# ## Stuck?
#
# Each missed defect has a ladder of hints, from a gentle nudge to a precise description of the
# behaviour to test. Climb one rung at a time: `check("ex09_async", hints=1)`, then `hints=2`,
# then `hints=3`.

# %%
check("ex09_async", hints=1)

# %% [markdown] nbgrader={"grade": false, "grade_id": "autograder-help", "locked": true, "schema_version": 3, "solution": false, "task": false}
# The cell below is the autograder's: when your instructor grades this notebook it awards
# 10 points times the share of planted defects your suite catches (0 while any test is invalid).

# %% nbgrader={"grade": true, "grade_id": "autograder", "locked": true, "points": 10, "schema_version": 3, "solution": false, "task": false}
### BEGIN HIDDEN TESTS
from graders.notebook import score

score("ex09_async", points=10)
### END HIDDEN TESTS
