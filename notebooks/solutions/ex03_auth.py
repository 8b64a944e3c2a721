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
# # Exercise 3: who may do what
#
# Write a pytest suite for the access rules of the **forge** service: its admin dashboard and
# its profile routes. Your suite is graded the way a code reviewer would judge it:
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
# **Accounts and tokens.** `POST /forge/users` with a JSON body `{"username", "email",
# "password"}` creates an account and answers `201` with it, including its `id` (usernames are 3
# to 30 lowercase letters, digits or `_`; passwords have at least 8 characters). `POST /token`
# with a **form** body (`username`, `password`) answers `200` with
# `{"access_token": ..., "token_type": "bearer"}`. Protected routes read the token from the
# header `Authorization: Bearer <access_token>`.
#
# **Who are you? (authentication)**
#
# - A request to a protected route **without credentials**, or with a token the service did not
#   issue (**not a JWT** at all, or a JWT **signed with another key**), is answered `401`, and
#   the response carries the header `WWW-Authenticate: Bearer`.
# - A token issued by `POST /token` identifies its account: `GET /forge/users/me` answers `200`
#   with that account's `id`, `username`, `email` and `role`.
#
# **May you? (authorization)**
#
# - `GET /forge/admin/dashboard` is for the role `"admin"` only: an administrator gets `200`
#   with a JSON object whose `users` and `items` are integers. A signed-in user with **any other
#   role** (the role new accounts get, or any other string) gets `403`.
# - `GET /forge/users/{id}`: a user may read **their own** profile (`200`); an administrator may
#   read **anyone's**. Anybody else asking for another account's id gets `404`, exactly as for
#   an id that no account has, and the response contains nothing of that account.
#
# **The administrator.** The app has an administrator account when it is created with an
# `admin_password` in its settings: `create_app(Settings(admin_password="..."))`. Its username
# is the setting `admin_username`: read it from the settings object.
#
# **Left free** (the correct versions differ here, so don't pin them down):
#
# - the wording of every `detail`, and extra fields in any body (the dashboard may count more);
# - which role new accounts get, except that it is not `"admin"`;
# - the administrator's username;
# - which ids the service gives to accounts.
#
# ## What to do
#
# Use both tools from the lesson, each where it fits:
#
# - **override `get_current_user`** with a complete `User(id=..., username=..., email=...,
#   role=...)` built in the test to check the rules for any kind of user, and remove the
#   override in a fixture's teardown;
# - **no override** for the `401` cases, and at least one test that uses a **real token** from
#   `POST /token`.
#
# Create the app with `create_app()` and talk to it through `TestClient`, in a fixture. Put
# **everything** your tests need (imports, fixtures, helpers) in the one cell below that starts
# with `%%ipytest`: the grader runs that cell on its own, away from the rest of this notebook.
# Running the cell runs your tests on the real app. Logging in and registering hash a password,
# which takes a noticeable fraction of a second: register and log in where a test needs it, not
# in every test.

# %% nbgrader={"grade": false, "grade_id": "setup", "locked": true, "schema_version": 3, "solution": false, "task": false}
from graders.notebook import check, setup

setup(raise_on_error=False, exercise="ex03_auth")

# %% nbgrader={"grade": false, "grade_id": "suite", "locked": false, "schema_version": 3, "solution": true, "task": false}
# %%ipytest
import pytest
from fastapi.testclient import TestClient

from forge.config import Settings
from forge.dependencies import get_current_user
from forge.main import create_app
from forge.models import User

### BEGIN SOLUTION
import jwt

PASSWORD = "correct-horse-battery"


@pytest.fixture
def app():
    app = create_app()
    yield app
    app.dependency_overrides.clear()  # teardown: runs even when the test fails


@pytest.fixture
def client(app):
    with TestClient(app) as client:
        yield client


@pytest.fixture
def act_as(app):
    """Make every request come from a user built in the test (a transient User, never stored)."""
    def act_as(*, id=10_000, username="someone", role="smith"):
        user = User(id=id, username=username, email=f"{username}@example.com", role=role)
        app.dependency_overrides[get_current_user] = lambda: user
        return user
    return act_as


def register(client, username):
    response = client.post("/forge/users", json={
        "username": username, "email": f"{username}@example.com", "password": PASSWORD})
    assert response.status_code == 201
    return response.json()


def add_user(client, username):
    """Store a user straight in the app's database: quick, no password hashing (no one logs in)."""
    with client.app.state.sessionmaker() as db:
        user = User(username=username, email=f"{username}@example.com", password_hash="-", role="smith")
        db.add(user)
        db.commit()
        return user.id


def log_in(client, username, password=PASSWORD):
    response = client.post("/token", data={"username": username, "password": password})
    assert response.status_code == 200
    return {"Authorization": f"Bearer {response.json()['access_token']}"}


def assert_challenged(response):
    assert response.status_code == 401
    assert response.headers["www-authenticate"].lower() == "bearer"


# --- who are you? 401 (no override anywhere in these tests) ---------------------------

@pytest.mark.parametrize("path", ["/forge/admin/dashboard", "/forge/users/me"])
def test_no_credentials_is_401_with_a_bearer_challenge(client, path):
    assert_challenged(client.get(path))


FOREIGN_KEY = "not-the-forge-secret-but-just-as-long-0123456789"


@pytest.mark.parametrize("token", [
    "not-a-jwt",
    jwt.encode({"sub": "1", "exp": 4_102_444_800}, FOREIGN_KEY, algorithm="HS256"),
], ids=["garbage", "signed-with-another-key"])
def test_a_token_the_service_did_not_issue_is_401(client, token):
    assert_challenged(client.get("/forge/admin/dashboard", headers={"Authorization": f"Bearer {token}"}))


# --- may you? the role rules, with overridden users ----------------------------------

def test_an_admin_sees_the_dashboard(client, act_as):
    act_as(role="admin")
    response = client.get("/forge/admin/dashboard")
    assert response.status_code == 200
    assert isinstance(response.json()["users"], int)
    assert isinstance(response.json()["items"], int)


@pytest.mark.parametrize("role", ["smith", "auditor"])
def test_every_other_role_is_forbidden(client, act_as, role):
    act_as(role=role)
    assert client.get("/forge/admin/dashboard").status_code == 403


# --- the same rules with real tokens from POST /token ---------------------------------

def test_a_registered_user_with_a_real_token(client):
    alice = register(client, "alice")
    headers = log_in(client, "alice")
    me = client.get("/forge/users/me", headers=headers)
    assert me.status_code == 200
    assert (me.json()["id"], me.json()["username"]) == (alice["id"], "alice")
    assert client.get("/forge/admin/dashboard", headers=headers).status_code == 403


def test_the_administrator_with_a_real_token():
    settings = Settings(admin_password="open-the-forge-please")
    with TestClient(create_app(settings)) as client:
        headers = log_in(client, settings.admin_username, "open-the-forge-please")
        response = client.get("/forge/admin/dashboard", headers=headers)
    assert response.status_code == 200


# --- profiles: yours, not others' -----------------------------------------------------

def test_a_user_reads_their_own_profile(client, act_as):
    bob_id = add_user(client, "bob")
    act_as(id=bob_id, username="bob")
    response = client.get(f"/forge/users/{bob_id}")
    assert response.status_code == 200
    assert response.json()["username"] == "bob"


def test_another_users_profile_looks_like_a_missing_one(client, act_as):
    bob_id = add_user(client, "bob")
    act_as(id=bob_id + 1, username="mallory")
    response = client.get(f"/forge/users/{bob_id}")
    assert response.status_code == 404
    assert "bob@example.com" not in response.text
    assert client.get(f"/forge/users/{bob_id + 1000}").status_code == 404


def test_an_admin_reads_anyones_profile(client, act_as):
    bob_id = add_user(client, "bob")
    act_as(id=bob_id + 1, username="root", role="admin")
    response = client.get(f"/forge/users/{bob_id}")
    assert response.status_code == 200
    assert response.json()["email"] == "bob@example.com"
### END SOLUTION

# %% [markdown] nbgrader={"grade": false, "grade_id": "feedback-help", "locked": true, "schema_version": 3, "solution": false, "task": false}
# ## Check your suite
#
# Run the next cell after you have run your `%%ipytest` cell. It grades the suite you ran last and
# shows how many planted defects it catches (`●` caught, `○` missed, each defect has an anonymous
# number), which of your tests are invalid and why, and which test catches which defect. It takes a
# few seconds: your suite runs once against every version of the service.

# %% nbgrader={"grade": false, "grade_id": "feedback", "locked": true, "schema_version": 3, "solution": false, "task": false}
check("ex03_auth")

# %% [markdown] nbgrader={"grade": false, "grade_id": "hints-help", "locked": true, "schema_version": 3, "solution": false, "task": false}
# ## Stuck?
#
# Each missed defect has a ladder of hints, from a gentle nudge to a precise description of the
# behaviour to test. Climb one rung at a time: `check("ex03_auth", hints=1)`, then `hints=2`,
# then `hints=3`.

# %%
check("ex03_auth", hints=1)

# %% [markdown] nbgrader={"grade": false, "grade_id": "autograder-help", "locked": true, "schema_version": 3, "solution": false, "task": false}
# The cell below is the autograder's: when your instructor grades this notebook it awards
# 10 points times the share of planted defects your suite catches (0 while any test is invalid).

# %% nbgrader={"grade": true, "grade_id": "autograder", "locked": true, "points": 10, "schema_version": 3, "solution": false, "task": false}
### BEGIN HIDDEN TESTS
from graders.notebook import score

score("ex03_auth", points=10)
### END HIDDEN TESTS
