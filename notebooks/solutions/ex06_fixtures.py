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
# # Exercise 6: accounts and the administrator's pages, through fixtures
#
# Write a pytest suite for **forge**'s accounts and its two administrator pages. Almost every
# test here needs the same preparation: a started app, an account or two, a token for one of
# them, the administrator's token. Build that preparation **once, as fixtures**, and keep each
# test down to what it checks. Your suite is graded the way a code reviewer would judge it:
#
# 1. **It must pass on the real app.** It also runs against other *correct* versions of the
#    service, which differ only where the specification below leaves freedom. A test that fails on
#    any correct version is *invalid*, and while any test is invalid the suite scores 0. Each test
#    is also run alone and in another order: a test that only passes after (or before) another
#    one is invalid too, so mind your fixtures' scopes.
# 2. **It must catch bugs.** We planted defects in copies of the service, each one a mistake the
#    lesson warns about. Your score is the share of them that at least one of your tests catches
#    (by failing).
#
# ## The service
#
# - `create_app(Settings(admin_password=...))` (from `forge.main` and `forge.config`) builds an app
#   whose startup creates an **administrator** account, named `Settings.admin_username`
#   (`"forgemaster"` unless you pass another `admin_username`), with that password.
# - `POST /forge/users` with `{"username", "email", "password"}` registers an ordinary account
#   (role `"smith"`) and answers `201` with it, including its `id` (lesson 4 and exercise 4 cover
#   the rules). Every response carries an `X-Trace-ID` header that identifies the request.
# - `POST /token` with the *form* fields `username` and `password` answers `200` with
#   `{"access_token": ...}`. Send it as the header `Authorization: Bearer <token>`.
# - `POST /forge/items` with `{"name", "price"}` adds an item to the catalogue; `GET /forge/items`
#   lists the catalogue, which starts with a few starter items.
#
# ## What the service promises
#
# - **Who am I.** `GET /forge/users/me` answers `200` with the account the token belongs to (its
#   `id`, `username`, `email` and `role`); a newly registered account has the role `"smith"`.
#   Without a token: `401`.
# - **Reading accounts.** With `GET /forge/users/{id}`, a smith can read their own account (`200`),
#   and gets `404` for any other id, whether an account has it or not. The administrator can read
#   every account (`200`), and gets `404` for an id no account has.
# - **The dashboard.** `GET /forge/admin/dashboard` is for the administrator only: `401` without a
#   token, `403` with a smith's. It answers `200` with `users`, the number of accounts **including
#   the administrator's**, and `items`, the number of items in the catalogue (starter items
#   included).
# - **The audit log.** `GET /forge/admin/audit` is for the administrator only, like the
#   dashboard. It answers `200` with a list of events, **oldest first**. Every registration adds
#   one event whose `action` is `"user.registered"`, whose `user_id` is the new account's id, and
#   whose `trace_id` is the `X-Trace-ID` of the registration's response.
#
# Left free (a correct service may differ here): which ids the service chooses; how many starter
# items there are and which (count them through the API); other kinds of audit events, which may
# appear between the registrations; the format of trace ids; extra fields in any answer; the
# wording of error details.
#
# ## What to do
#
# Cover each promise with at least one test. Write fixtures for what the tests share (at least a
# client, a registered account, that account's auth headers, and the administrator's auth
# headers) and let the tests request them. Each test must work on its own and in any order.
#
# Put **everything** your tests need (imports, fixtures, helpers) in the one cell below that
# starts with `%%ipytest`: the grader runs that cell on its own, away from the rest of this
# notebook. Running the cell runs your tests on the real app.

# %% nbgrader={"grade": false, "grade_id": "setup", "locked": true, "schema_version": 3, "solution": false, "task": false}
from graders.notebook import check, setup

setup(raise_on_error=False, exercise="ex06_fixtures")

# %% nbgrader={"grade": false, "grade_id": "suite", "locked": false, "schema_version": 3, "solution": true, "task": false}
# %%ipytest
import pytest
from fastapi.testclient import TestClient

from forge.config import Settings
from forge.main import create_app

### BEGIN SOLUTION
ADMIN = {"username": "boss", "password": "anvils-and-tongs"}


@pytest.fixture
def client():
    # A fresh app (and database) per test, with an administrator created at startup.
    settings = Settings(admin_username=ADMIN["username"], admin_password=ADMIN["password"])
    with TestClient(create_app(settings)) as client:
        yield client


@pytest.fixture
def register(client):
    """A factory fixture: a test that needs several accounts calls it once per account."""
    def register(username):
        body = {"username": username, "email": f"{username}@example.com", "password": f"{username}-secret"}
        response = client.post("/forge/users", json=body)
        assert response.status_code == 201, response.text
        return {**body, "id": response.json()["id"], "trace_id": response.headers["X-Trace-ID"]}
    return register


def log_in(client, username, password):
    response = client.post("/token", data={"username": username, "password": password})
    assert response.status_code == 200, response.text
    return {"Authorization": f"Bearer {response.json()['access_token']}"}


@pytest.fixture
def alice(register):
    return register("alice")


@pytest.fixture
def alice_headers(client, alice):
    return log_in(client, alice["username"], alice["password"])


@pytest.fixture
def admin_headers(client):
    return log_in(client, ADMIN["username"], ADMIN["password"])


def test_me_is_the_signed_in_account(client, alice, alice_headers):
    response = client.get("/forge/users/me", headers=alice_headers)
    assert response.status_code == 200
    me = response.json()
    assert (me["id"], me["username"], me["email"], me["role"]) == (alice["id"], "alice", alice["email"], "smith")
    assert client.get("/forge/users/me").status_code == 401      # and nobody without a token


def test_a_smith_reads_their_own_account_only(client, alice, alice_headers, register):
    bob = register("bob")
    own = client.get(f"/forge/users/{alice['id']}", headers=alice_headers)
    assert own.status_code == 200 and own.json()["username"] == "alice"
    assert client.get(f"/forge/users/{bob['id']}", headers=alice_headers).status_code == 404


def test_an_admin_reads_any_account(client, alice, admin_headers):
    response = client.get(f"/forge/users/{alice['id']}", headers=admin_headers)
    assert response.status_code == 200 and response.json()["username"] == "alice"
    assert client.get(f"/forge/users/{alice['id'] + 1000}", headers=admin_headers).status_code == 404


def test_dashboard_counts_accounts_and_items(client, register, admin_headers):
    register("bob")
    register("carol")
    assert client.post("/forge/items", json={"name": "bellows", "price": 60}).status_code == 201
    items = len(client.get("/forge/items").json())
    response = client.get("/forge/admin/dashboard", headers=admin_headers)
    assert response.status_code == 200
    counts = response.json()
    assert (counts["users"], counts["items"]) == (3, items)   # bob, carol and the administrator


def test_admin_pages_are_for_the_admin_only(client, alice_headers):
    for path in ("/forge/admin/dashboard", "/forge/admin/audit"):
        assert client.get(path).status_code == 401, path
        assert client.get(path, headers=alice_headers).status_code == 403, path


def test_audit_lists_each_registration_in_order(client, register, admin_headers):
    accounts = [register("alice"), register("bob")]
    response = client.get("/forge/admin/audit", headers=admin_headers)
    assert response.status_code == 200
    registered = [(e["user_id"], e["trace_id"]) for e in response.json() if e["action"] == "user.registered"]
    assert registered == [(a["id"], a["trace_id"]) for a in accounts]
### END SOLUTION

# %% [markdown] nbgrader={"grade": false, "grade_id": "feedback-help", "locked": true, "schema_version": 3, "solution": false, "task": false}
# ## Check your suite
#
# Run the next cell after you have run your `%%ipytest` cell. It grades the suite you ran last and
# shows how many planted defects it catches (`●` caught, `○` missed, each defect has an anonymous
# number), which of your tests are invalid and why, and which test catches which defect. It takes a
# little while: your suite runs against every version of the service, and on two of them in
# other orders and each test alone.

# %% nbgrader={"grade": false, "grade_id": "feedback", "locked": true, "schema_version": 3, "solution": false, "task": false}
check("ex06_fixtures")

# %% [markdown] nbgrader={"grade": false, "grade_id": "hints-help", "locked": true, "schema_version": 3, "solution": false, "task": false}
# ## Stuck?
#
# Each missed defect has a ladder of hints, from a gentle nudge to a precise description of the
# behaviour to test. Climb one rung at a time: `check("ex06_fixtures", hints=1)`, then `hints=2`,
# then `hints=3`.

# %%
check("ex06_fixtures", hints=1)

# %% [markdown] nbgrader={"grade": false, "grade_id": "autograder-help", "locked": true, "schema_version": 3, "solution": false, "task": false}
# The cell below is the autograder's: when your instructor grades this notebook it awards
# 10 points times the share of planted defects your suite catches (0 while any test is invalid).

# %% nbgrader={"grade": true, "grade_id": "autograder", "locked": true, "points": 10, "schema_version": 3, "solution": false, "task": false}
### BEGIN HIDDEN TESTS
from graders.notebook import score

score("ex06_fixtures", points=10)
### END HIDDEN TESTS
