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
# # Exercise 13a: forge's trace ids
#
# *The lesson's question Q3 is about this.*
#
# Write a pytest suite for the trace ids of the **forge** service. Your suite is graded the way a
# code reviewer would judge it:
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
# - **Every HTTP response carries an `X-Trace-ID` header**, whatever its status: successes
#   (`GET /forge/health`, `GET /forge/items`, `POST /forge/items` creating an item), client errors
#   (an unknown item id or an unknown path: 404; a method a route doesn't allow, such as
#   `DELETE /forge/items`: 405; an invalid body: 422; `GET /forge/users/me` without a token: 401)
#   and server errors.
# - **An unhandled error** inside the service is answered with status `500` and a JSON object
#   whose `trace_id` field is the same trace id as the response's `X-Trace-ID` header.
# - When the caller sends **no `X-Trace-ID`**, the service makes up a **fresh** one for each
#   request: two requests never share an id. A made-up id is a UUID, in any of its standard text
#   forms: `uuid.UUID(value)` accepts it.
# - A caller may send its own `X-Trace-ID`. A **valid** one, 8 to 64 characters, each an ASCII
#   letter, a digit or a dash (`-`), is **reused**: the response carries exactly that value, and
#   so does the body of a 500.
# - An **invalid** one (shorter than 8 characters, longer than 64, or containing any other
#   character, such as a space, `_`, `;` or `.`) is never sent back: the service replaces it with
#   a fresh made-up id.
#
# What the specification leaves free: which UUID text form made-up ids use (32 hex digits, with
# dashes, upper or lower case), and everything in the 500's body except `trace_id` (its other
# fields and their wording).
#
# ## What to do
#
# Cover each promise with at least one test. Create the app with `create_app()` and talk to it
# through `TestClient`, in a fixture. To cause an unhandled error, replace one of forge's
# dependencies (for example `forge.dependencies.get_db`) with a function that raises an ordinary
# exception, through the app's `dependency_overrides`, and call a route that uses it. Put
# **everything** your tests need (imports, fixtures, helpers) in the one cell below that starts
# with `%%ipytest`: the grader runs that cell on its own, away from the rest of this notebook.
# Running the cell runs your tests on the real app.

# %% nbgrader={"grade": false, "grade_id": "setup", "locked": true, "schema_version": 3, "solution": false, "task": false}
from graders.notebook import check, setup

setup(raise_on_error=False, exercise="ex13_trace_ids")

# %% nbgrader={"grade": false, "grade_id": "suite", "locked": false, "schema_version": 3, "solution": true, "task": false}
# %%ipytest
import uuid

import pytest
from fastapi.testclient import TestClient

from forge.dependencies import get_db
from forge.main import create_app

### BEGIN SOLUTION
HEADER = "X-Trace-ID"


@pytest.fixture
def app():
    app = create_app()
    yield app
    app.dependency_overrides.clear()


@pytest.fixture
def client(app):
    with TestClient(app) as client:
        yield client


@pytest.fixture
def crashing(app, client):
    def database_down():
        raise RuntimeError("database down")

    app.dependency_overrides[get_db] = database_down
    return client


def is_uuid(value) -> bool:
    try:
        uuid.UUID(value)
    except (TypeError, ValueError, AttributeError):
        return False
    return True


@pytest.mark.parametrize(
    "method, path, body, status",
    [
        ("GET", "/forge/health", None, 200),
        ("GET", "/forge/items", None, 200),
        ("POST", "/forge/items", {"name": "rasp", "price": 7.5}, 201),
        ("GET", "/forge/items/987654", None, 404),
        ("GET", "/no/such/path", None, 404),
        ("DELETE", "/forge/items", None, 405),
        ("POST", "/forge/items", {"name": "", "price": 7.5}, 422),
        ("GET", "/forge/users/me", None, 401),
    ],
    ids=["health", "list", "create", "missing-item", "unknown-path", "wrong-method", "invalid-body", "no-token"],
)
def test_every_response_carries_a_made_up_trace_id(client, method, path, body, status):
    response = client.request(method, path, json=body)
    assert response.status_code == status
    assert is_uuid(response.headers.get(HEADER))


def test_an_unhandled_error_is_a_500_naming_its_trace_id(crashing):
    response = crashing.get("/forge/items")
    assert response.status_code == 500
    assert is_uuid(response.headers.get(HEADER))
    assert response.json()["trace_id"] == response.headers[HEADER]


def test_each_request_gets_a_fresh_trace_id(client):
    ids = [client.get("/forge/health").headers[HEADER] for _ in range(3)]
    assert len(set(ids)) == 3


@pytest.mark.parametrize(
    "sent",
    ["abcd-123", "A" * 64, "req-2024-07-01-0001", "0b7a4c4e-2f7d-4a8e-9a51-3c5d2e1f0a9b"],
    ids=["8-chars", "64-chars", "dashes", "uuid"],
)
def test_a_valid_incoming_trace_id_is_reused(client, sent):
    response = client.get("/forge/items", headers={HEADER: sent})
    assert response.headers.get(HEADER) == sent
    missing = client.get("/forge/items/987654", headers={HEADER: sent})
    assert missing.headers.get(HEADER) == sent


def test_a_valid_incoming_trace_id_names_the_500(crashing):
    response = crashing.get("/forge/items", headers={HEADER: "support-case-4711"})
    assert response.status_code == 500
    assert response.headers.get(HEADER) == "support-case-4711"
    assert response.json()["trace_id"] == "support-case-4711"


@pytest.mark.parametrize(
    "sent",
    ["abc-123", "A" * 65, "has space 1", "under_score", "semi;colon-1", "dot.ted.id"],
    ids=["7-chars", "65-chars", "space", "underscore", "semicolon", "dots"],
)
def test_an_invalid_incoming_trace_id_is_replaced(client, sent):
    response = client.get("/forge/health", headers={HEADER: sent})
    assert response.headers.get(HEADER) != sent
    assert is_uuid(response.headers.get(HEADER))
### END SOLUTION

# %% [markdown] nbgrader={"grade": false, "grade_id": "feedback-help", "locked": true, "schema_version": 3, "solution": false, "task": false}
# ## Check your suite
#
# Run the next cell after you have run your `%%ipytest` cell. It grades the suite you ran last and
# shows how many planted defects it catches (`●` caught, `○` missed, each defect has an anonymous
# number), which of your tests are invalid and why, and which test catches which defect. It takes a
# few seconds: your suite runs once against every version of the service.

# %% nbgrader={"grade": false, "grade_id": "feedback", "locked": true, "schema_version": 3, "solution": false, "task": false}
check("ex13_trace_ids")

# %% [markdown] nbgrader={"grade": false, "grade_id": "hints-help", "locked": true, "schema_version": 3, "solution": false, "task": false}
# ## Stuck?
#
# Each missed defect has a ladder of hints, from a gentle nudge to a precise description of the
# behaviour to test. Climb one rung at a time: `check("ex13_trace_ids", hints=1)`, then `hints=2`,
# then `hints=3`.

# %%
check("ex13_trace_ids", hints=1)

# %% [markdown] nbgrader={"grade": false, "grade_id": "autograder-help", "locked": true, "schema_version": 3, "solution": false, "task": false}
# The cell below is the autograder's: when your instructor grades this notebook it awards
# 10 points times the share of planted defects your suite catches (0 while any test is invalid).

# %% nbgrader={"grade": true, "grade_id": "autograder", "locked": true, "points": 10, "schema_version": 3, "solution": false, "task": false}
### BEGIN HIDDEN TESTS
from graders.notebook import score

score("ex13_trace_ids", points=10)
### END HIDDEN TESTS
