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
# # Exercise 5: forge's error contract
#
# Write a pytest suite for the way the **forge** service reports errors. Your suite is graded the
# way a code reviewer would judge it:
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
# **One shape for errors.** Every error response below is a JSON object with an `"error"` key,
# a fixed machine-readable code, and a `"detail"` key, a non-empty text for people.
# (Validation errors, 422, are not part of this exercise.)
#
# - `GET /forge/items/{id}` for an id that no item has: **404**, error `"not_found"`.
# - A path the service does not have at all (for instance `GET /forge/nowhere`): **404**, error
#   `"not_found"`.
# - A method a path does not take (for instance `PUT /forge/health`; the path only takes `GET`):
#   **405**, error `"method_not_allowed"`, with an `Allow` header that names `GET`.
# - `GET /forge/users/me` without a bearer token: **401**, error `"unauthorized"`, with the header
#   `WWW-Authenticate: Bearer`.
# - `POST /forge/users` with a JSON body `{"username": ..., "email": ..., "password": ...}`
#   registers a user and answers **201**. (A valid username has 3 to 30 lowercase letters, digits
#   or underscores, a valid email looks like `name@example.com`, a valid password has 8 to 128
#   characters.) Registering again with a username **or** an email that is already registered
#   answers **409**, error `"conflict"`.
#
# **Crashes.** When something inside the service raises an exception that nothing handles, the
# caller still gets an answer, never the exception: **500**, error `"internal_error"`, a `"detail"`
# text, and a `"trace_id"` that is the same string as the response's `X-Trace-ID` header. The body
# gives nothing away: neither the exception's message, nor its type, nor a traceback. This holds
# whatever the app's debug setting: also for an app created with `create_app(Settings(debug=True))`
# (`Settings` is in `forge.config`).
#
# To make the service crash, override one of its dependencies (`forge.dependencies`, for instance
# `get_db`, which every item route uses) with a function that raises an exception of your choice.
#
# **Left free:** the wording of every `"detail"`; extra fields in error bodies; the format of trace
# ids (don't assume their length or alphabet); the ids the service gives to items and users.
#
# ## What to do
#
# Cover each promise with at least one test. Create the app with `create_app()` (from
# `forge.main`) and talk to it through `TestClient`, in a fixture that also removes any
# dependency override after the test. Put **everything** your tests need (imports, fixtures,
# helpers) in the one cell below that starts with `%%ipytest`: the grader runs that cell on its
# own, away from the rest of this notebook. Running the cell runs your tests on the real app.

# %% nbgrader={"grade": false, "grade_id": "setup", "locked": true, "schema_version": 3, "solution": false, "task": false}
from graders.notebook import check, setup

setup(raise_on_error=False, exercise="ex05_errors")

# %% nbgrader={"grade": false, "grade_id": "suite", "locked": false, "schema_version": 3, "solution": true, "task": false}
# %%ipytest
import pytest
from fastapi.testclient import TestClient

from forge.config import Settings
from forge.dependencies import get_db
from forge.main import create_app

### BEGIN SOLUTION
SECRET = "crucible 7 cracked at 1538 degrees"


@pytest.fixture
def app():
    app = create_app()
    yield app
    app.dependency_overrides.clear()  # runs even when the test failed


@pytest.fixture
def client(app):
    with TestClient(app) as client:
        yield client


def assert_error(response, status, code):
    assert response.status_code == status
    body = response.json()
    assert body["error"] == code
    assert isinstance(body["detail"], str) and body["detail"]


def register(client, username, email):
    return client.post("/forge/users", json={"username": username, "email": email, "password": "correct horse"})


def test_a_missing_item_is_404_not_found(client):
    ids = [item["id"] for item in client.get("/forge/items").json()]
    assert_error(client.get(f"/forge/items/{max(ids) + 1000}"), 404, "not_found")


def test_an_unknown_path_is_404_not_found(client):
    assert_error(client.get("/forge/nowhere"), 404, "not_found")


def test_a_wrong_method_is_405_with_allow(client):
    response = client.put("/forge/health")
    assert_error(response, 405, "method_not_allowed")
    assert "GET" in response.headers["Allow"]


def test_no_token_is_401_with_www_authenticate(client):
    response = client.get("/forge/users/me")
    assert_error(response, 401, "unauthorized")
    assert response.headers["WWW-Authenticate"] == "Bearer"


@pytest.mark.parametrize("again", [("ada", "ada2@example.com"), ("ada2", "ada@example.com")],
                         ids=["same-username", "same-email"])
def test_a_duplicate_registration_is_409_conflict(client, again):
    assert register(client, "ada", "ada@example.com").status_code == 201
    assert_error(register(client, *again), 409, "conflict")


def crucible_cracks():
    raise RuntimeError(SECRET)


@pytest.mark.parametrize("debug", [False, True], ids=["debug-off", "debug-on"])
def test_a_crash_is_a_json_500_that_gives_nothing_away(debug):
    app = create_app(Settings(debug=debug))
    app.dependency_overrides[get_db] = crucible_cracks
    try:
        with TestClient(app) as client:
            response = client.get("/forge/items")
    finally:
        app.dependency_overrides.clear()
    assert_error(response, 500, "internal_error")
    assert response.json()["trace_id"] == response.headers["X-Trace-ID"]
    for secret in (SECRET, "RuntimeError", "Traceback"):
        assert secret not in response.text
### END SOLUTION

# %% [markdown] nbgrader={"grade": false, "grade_id": "feedback-help", "locked": true, "schema_version": 3, "solution": false, "task": false}
# ## Check your suite
#
# Run the next cell after you have run your `%%ipytest` cell. It grades the suite you ran last and
# shows how many planted defects it catches (`●` caught, `○` missed, each defect has an anonymous
# number), which of your tests are invalid and why, and which test catches which defect. It takes a
# few seconds: your suite runs once against every version of the service.

# %% nbgrader={"grade": false, "grade_id": "feedback", "locked": true, "schema_version": 3, "solution": false, "task": false}
check("ex05_errors")

# %% [markdown] nbgrader={"grade": false, "grade_id": "hints-help", "locked": true, "schema_version": 3, "solution": false, "task": false}
# ## Stuck?
#
# Each missed defect has a ladder of hints, from a gentle nudge to a precise description of the
# behaviour to test. Climb one rung at a time: `check("ex05_errors", hints=1)`, then `hints=2`,
# then `hints=3`.

# %%
check("ex05_errors", hints=1)

# %% [markdown] nbgrader={"grade": false, "grade_id": "autograder-help", "locked": true, "schema_version": 3, "solution": false, "task": false}
# The cell below is the autograder's: when your instructor grades this notebook it awards
# 10 points times the share of planted defects your suite catches (0 while any test is invalid).

# %% nbgrader={"grade": true, "grade_id": "autograder", "locked": true, "points": 10, "schema_version": 3, "solution": false, "task": false}
### BEGIN HIDDEN TESTS
from graders.notebook import score

score("ex05_errors", points=10)
### END HIDDEN TESTS
