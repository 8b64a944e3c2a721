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
# # Exercise 13b: live quotes over a WebSocket
#
# *The lesson's FAQ 3 is about this.*
#
# Write a pytest suite for the **price quotes** of the **forge** service, a WebSocket endpoint.
# Your suite is graded the way a code reviewer would judge it:
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
# - The quotes live at the WebSocket path **`/forge/ws/quotes`** of a started app. A client sends
#   each request as a JSON text message, an object such as `{"item_id": 2, "quantity": 3}`. The
#   service answers **every request with one JSON object**, in order, and keeps the connection
#   open for further requests, whatever the answer was.
# - **A quote** answers a valid request. It has the `item_id` and the `name` of the item, the
#   `quantity` asked for, and the `total`: the item's price times the quantity, **rounded to
#   2 decimal places**. Prices are the ones `GET /forge/items` shows, and that includes items
#   created with `POST /forge/items` (quoted on a connection opened after they were created).
# - The `quantity` must be a JSON **integer of at least 1**. Any other value (0, a negative
#   number, a fraction such as `2.5`, a string such as `"3"`, `true` or `false`, `null`) is
#   answered with an object whose `error` is `"invalid_quantity"`.
# - An `item_id` that no item has (an integer) is answered with an object whose `error` is
#   `"not_found"`.
# - A text message that is **not JSON at all** ends the conversation: the service closes the
#   connection with close code **1003** (unsupported data).
#
# What the specification leaves free: the ids of the items (read them from `GET /forge/items`);
# extra fields in any message and the order of their keys; any fields of an error answer besides
# `error`; what happens to a request without a `quantity` (it may count as 1 or be refused); and the
# answer to JSON that is not an object.
#
# ## What to do
#
# Cover each promise with at least one test. Create the app with `create_app()` and talk to it
# through `TestClient`, in a fixture, and open connections with `client.websocket_connect(...)`.
# Remember that a `receive_...` call waits for as long as no message comes: a test that waits for a
# message the service never sends hangs until the grader stops it (which makes the test invalid on
# a correct app). Put **everything** your tests need (imports, fixtures, helpers) in the one cell
# below that starts with `%%ipytest`: the grader runs that cell on its own, away from the rest of
# this notebook. Running the cell runs your tests on the real app.

# %% nbgrader={"grade": false, "grade_id": "setup", "locked": true, "schema_version": 3, "solution": false, "task": false}
from graders.notebook import check, setup

setup(raise_on_error=False, exercise="ex13_websocket_quotes")

# %% nbgrader={"grade": false, "grade_id": "suite", "locked": false, "schema_version": 3, "solution": true, "task": false}
# %%ipytest
import pytest
from fastapi import WebSocketDisconnect
from fastapi.testclient import TestClient

from forge.main import create_app

### BEGIN SOLUTION
QUOTES = "/forge/ws/quotes"


@pytest.fixture
def client():
    with TestClient(create_app()) as client:
        yield client


@pytest.fixture
def catalogue(client):
    return {item["name"]: item for item in client.get("/forge/items").json()}


def ask(ws, request):
    ws.send_json(request)
    return ws.receive_json()


def test_a_quote_names_the_item_and_totals_the_price(client, catalogue):
    hammer = catalogue["hammer"]
    with client.websocket_connect(QUOTES) as ws:
        answer = ask(ws, {"item_id": hammer["id"], "quantity": 3})
    assert answer["item_id"] == hammer["id"]
    assert answer["name"] == "hammer"
    assert answer["quantity"] == 3
    assert answer["total"] == round(hammer["price"] * 3, 2)


def test_totals_are_rounded_to_cents(client):
    washer = client.post("/forge/items", json={"name": "washer", "price": 0.1}).json()
    with client.websocket_connect(QUOTES) as ws:
        assert ask(ws, {"item_id": washer["id"], "quantity": 3})["total"] == 0.3


def test_several_quotes_on_one_connection(client, catalogue):
    with client.websocket_connect(QUOTES) as ws:
        for name, quantity in [("anvil", 1), ("tongs", 4), ("hammer", 2)]:
            item = catalogue[name]
            answer = ask(ws, {"item_id": item["id"], "quantity": quantity})
            assert (answer["name"], answer["quantity"]) == (name, quantity)
            assert answer["total"] == round(item["price"] * quantity, 2)


def test_an_unknown_item_is_not_found_and_the_connection_stays_open(client, catalogue):
    unknown = max(item["id"] for item in catalogue.values()) + 1000
    anvil = catalogue["anvil"]
    with client.websocket_connect(QUOTES) as ws:
        assert ask(ws, {"item_id": unknown, "quantity": 1})["error"] == "not_found"
        assert ask(ws, {"item_id": anvil["id"], "quantity": 1})["total"] == anvil["price"]


@pytest.mark.parametrize("quantity", [0, -2, 2.5, "3", True, None],
                         ids=["zero", "negative", "fraction", "string", "true", "null"])
def test_an_invalid_quantity_is_refused_and_the_connection_stays_open(client, catalogue, quantity):
    tongs = catalogue["tongs"]
    with client.websocket_connect(QUOTES) as ws:
        assert ask(ws, {"item_id": tongs["id"], "quantity": quantity})["error"] == "invalid_quantity"
        assert ask(ws, {"item_id": tongs["id"], "quantity": 2})["total"] == round(tongs["price"] * 2, 2)


def test_text_that_is_not_json_closes_with_1003(client):
    with client.websocket_connect(QUOTES) as ws:
        ws.send_text("two anvils, please")
        with pytest.raises(WebSocketDisconnect) as closed:
            ws.receive_json()
    assert closed.value.code == 1003


def test_an_item_created_with_post_can_be_quoted(client):
    bellows = client.post("/forge/items", json={"name": "bellows", "price": 60.25}).json()
    with client.websocket_connect(QUOTES) as ws:
        answer = ask(ws, {"item_id": bellows["id"], "quantity": 2})
    assert (answer["item_id"], answer["name"], answer["total"]) == (bellows["id"], "bellows", 120.5)
### END SOLUTION

# %% [markdown] nbgrader={"grade": false, "grade_id": "feedback-help", "locked": true, "schema_version": 3, "solution": false, "task": false}
# ## Check your suite
#
# Run the next cell after you have run your `%%ipytest` cell. It grades the suite you ran last and
# shows how many planted defects it catches (`●` caught, `○` missed, each defect has an anonymous
# number), which of your tests are invalid and why, and which test catches which defect. It takes a
# few seconds: your suite runs once against every version of the service.

# %% nbgrader={"grade": false, "grade_id": "feedback", "locked": true, "schema_version": 3, "solution": false, "task": false}
check("ex13_websocket_quotes")

# %% [markdown] nbgrader={"grade": false, "grade_id": "hints-help", "locked": true, "schema_version": 3, "solution": false, "task": false}
# ## Stuck?
#
# Each missed defect has a ladder of hints, from a gentle nudge to a precise description of the
# behaviour to test. Climb one rung at a time: `check("ex13_websocket_quotes", hints=1)`, then
# `hints=2`, then `hints=3`.

# %%
check("ex13_websocket_quotes", hints=1)

# %% [markdown] nbgrader={"grade": false, "grade_id": "autograder-help", "locked": true, "schema_version": 3, "solution": false, "task": false}
# The cell below is the autograder's: when your instructor grades this notebook it awards
# 10 points times the share of planted defects your suite catches (0 while any test is invalid).

# %% nbgrader={"grade": true, "grade_id": "autograder", "locked": true, "points": 10, "schema_version": 3, "solution": false, "task": false}
### BEGIN HIDDEN TESTS
from graders.notebook import score

score("ex13_websocket_quotes", points=10)
### END HIDDEN TESTS
