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
# # Exercise 10: register, log in, use the token
#
# Write an end-to-end pytest suite for forge's user flow, through the real stack and with real
# tokens: no overrides needed. Your suite is graded the way a code reviewer would judge it:
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
# - **Registration.** `POST /forge/users` with a JSON body `{"username", "email", "password"}`
#   answers `201` with the new account: its `id`, `username`, `email` and `role`. Usernames are
#   3 to 30 lowercase letters, digits or `_`; passwords have at least 8 characters. No account
#   body, here or anywhere else, contains the password or anything derived from it (such as its
#   hash), under any field name.
# - **Login.** `POST /token` with a **form** body (`username`, `password`) answers `200` with
#   `{"access_token": ..., "token_type": "bearer"}` when the password is right. A wrong password
#   and a username that no account has both get `401` (the same status, so that nobody can find
#   out which usernames exist), and no token.
# - **Using the token.** With the header `Authorization: Bearer <access_token>`,
#   `GET /forge/users/me` answers `200` with the account the token was issued for.
# - **Tokens expire.** A token presented after its lifetime gets `401`. The lifetime is the
#   setting `token_minutes`. `forge.security.create_access_token(user_id, role, settings,
#   now=...)` creates the same tokens as the login, as if issued at `now`; give it the app's own
#   settings (`client.app.state.settings`).
# - **Tokens can't be altered or forged.** A token whose content was changed after it was issued,
#   or that was signed with any other key, gets `401`. Every `401` of a protected route carries
#   the header `WWW-Authenticate: Bearer`.
# - **Profiles.** `GET /forge/users/{id}`: a user may read their own profile (`200`). Asking for
#   another account's id gets `404`, and the response contains nothing of that account.
#
# **Left free** (the correct versions differ here, so don't pin them down):
#
# - the wording of every `detail`, and extra fields in account bodies (other than the password);
# - how long tokens last (read `token_minutes` from the settings if you need it);
# - which ids the service gives to accounts, and which role new accounts get.
#
# ## What to do
#
# Cover each promise with at least one test, through the real routes: real registrations, real
# logins, real tokens. Create the app with `create_app()` and enter its `TestClient` in a
# fixture, so that every test starts from a fresh database. Name your helpers so that pytest
# doesn't take them for tests. Make every refusal happen for the reason you are testing: a token
# that must be refused should belong to an account that exists.
#
# Put **everything** your tests need (imports, fixtures, helpers) in the one cell below that
# starts with `%%ipytest`: the grader runs that cell on its own, away from the rest of this
# notebook. Running the cell runs your tests on the real app. Registering and logging in hash a
# password, which takes a noticeable fraction of a second: register only the accounts a test
# needs.

# %% nbgrader={"grade": false, "grade_id": "setup", "locked": true, "schema_version": 3, "solution": false, "task": false}
from graders.notebook import check, setup

setup(raise_on_error=False, exercise="ex10_user_flow")

# %% nbgrader={"grade": false, "grade_id": "suite", "locked": false, "schema_version": 3, "solution": true, "task": false}
# %%ipytest
import pytest
from fastapi.testclient import TestClient

from forge.main import create_app
from forge.security import create_access_token

### BEGIN SOLUTION
import base64
import json
from datetime import datetime, timedelta, timezone

import jwt

PASSWORD = "correct-horse-battery"


@pytest.fixture
def client():
    # A new app per test: its own in-memory database, started and stopped by `with`.
    with TestClient(create_app()) as client:
        yield client


def register(client, username):
    response = client.post("/forge/users", json={
        "username": username, "email": f"{username}@example.com", "password": PASSWORD})
    assert response.status_code == 201, response.text
    return response.json()


def log_in(client, username, password=PASSWORD):
    return client.post("/token", data={"username": username, "password": password})


def bearer(token):
    return {"Authorization": f"Bearer {token}"}


def token_for(client, account, **kwargs):
    """A token as the service issues it, for an account that exists (no password hashing)."""
    return create_access_token(account["id"], account["role"], client.app.state.settings, **kwargs)


def assert_refused(response):
    assert response.status_code == 401
    assert response.headers["www-authenticate"].lower() == "bearer"


def test_registration_answers_201_without_the_password(client):
    response = client.post("/forge/users", json={
        "username": "ada", "email": "ada@example.com", "password": PASSWORD})
    assert response.status_code == 201
    body = response.json()
    assert (body["username"], body["email"]) == ("ada", "ada@example.com")
    assert isinstance(body["id"], int)
    assert not [key for key in body if "password" in key.lower() or "hash" in key.lower()]
    assert PASSWORD not in response.text


def test_register_log_in_and_read_your_own_account(client):
    register(client, "ada")
    grace = register(client, "grace")   # log in as the second account, not the first

    login = log_in(client, "grace")
    assert login.status_code == 200
    assert login.json()["token_type"].lower() == "bearer"

    me = client.get("/forge/users/me", headers=bearer(login.json()["access_token"]))
    assert me.status_code == 200
    assert (me.json()["id"], me.json()["username"], me.json()["email"]) == (
        grace["id"], "grace", "grace@example.com")
    assert not [key for key in me.json() if "password" in key.lower() or "hash" in key.lower()]

    own = client.get(f"/forge/users/{grace['id']}", headers=bearer(login.json()["access_token"]))
    assert own.status_code == 200 and own.json()["username"] == "grace"


@pytest.mark.parametrize("username, password", [
    ("ada", "not-her-password"),
    ("nobody", PASSWORD),
], ids=["wrong-password", "unknown-username"])
def test_a_failed_login_is_401_without_a_token(client, username, password):
    register(client, "ada")
    response = log_in(client, username, password)
    assert response.status_code == 401
    assert "access_token" not in response.json()


def test_an_expired_token_is_refused(client):
    ada = register(client, "ada")
    lifetime = timedelta(minutes=client.app.state.settings.token_minutes)
    issued_long_ago = datetime.now(timezone.utc) - lifetime - timedelta(minutes=5)
    assert_refused(client.get("/forge/users/me", headers=bearer(token_for(client, ada, now=issued_long_ago))))
    # the same token issued now works: the refusal was about time, nothing else
    assert client.get("/forge/users/me", headers=bearer(token_for(client, ada))).status_code == 200


def _edit_payload(token, **changes):
    header, payload, signature = token.split(".")
    claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    claims.update(changes)
    edited = base64.urlsafe_b64encode(json.dumps(claims).encode()).rstrip(b"=").decode()
    return f"{header}.{edited}.{signature}"


def test_tampered_tokens_are_refused(client):
    ada = register(client, "ada")
    grace = register(client, "grace")
    issued = token_for(client, ada)
    claims = jwt.decode(issued, options={"verify_signature": False})
    tampered = {
        "payload edited to another account": _edit_payload(issued, sub=str(grace["id"])),
        "payload edited to admin": _edit_payload(issued, role="admin"),
        "signed with another key": jwt.encode(
            claims, "somebody-elses-secret-that-is-long-enough", algorithm="HS256"),
        "no signature at all": jwt.encode(claims, None, algorithm="none"),
    }
    for how, token in tampered.items():
        response = client.get("/forge/users/me", headers=bearer(token))
        assert response.status_code == 401, how
        assert response.headers["www-authenticate"].lower() == "bearer", how


def test_another_accounts_profile_is_not_readable(client):
    ada = register(client, "ada")
    grace = register(client, "grace")
    response = client.get(f"/forge/users/{grace['id']}", headers=bearer(token_for(client, ada)))
    assert response.status_code == 404
    assert "grace" not in response.text
### END SOLUTION

# %% [markdown] nbgrader={"grade": false, "grade_id": "feedback-help", "locked": true, "schema_version": 3, "solution": false, "task": false}
# ## Check your suite
#
# Run the next cell after you have run your `%%ipytest` cell. It grades the suite you ran last and
# shows how many planted defects it catches (`●` caught, `○` missed, each defect has an anonymous
# number), which of your tests are invalid and why, and which test catches which defect. It takes a
# few seconds: your suite runs once against every version of the service.

# %% nbgrader={"grade": false, "grade_id": "feedback", "locked": true, "schema_version": 3, "solution": false, "task": false}
check("ex10_user_flow")

# %% [markdown] nbgrader={"grade": false, "grade_id": "hints-help", "locked": true, "schema_version": 3, "solution": false, "task": false}
# ## Stuck?
#
# Each missed defect has a ladder of hints, from a gentle nudge to a precise description of the
# behaviour to test. Climb one rung at a time: `check("ex10_user_flow", hints=1)`, then
# `hints=2`, then `hints=3`.

# %%
check("ex10_user_flow", hints=1)

# %% [markdown] nbgrader={"grade": false, "grade_id": "autograder-help", "locked": true, "schema_version": 3, "solution": false, "task": false}
# The cell below is the autograder's: when your instructor grades this notebook it awards
# 10 points times the share of planted defects your suite catches (0 while any test is invalid).

# %% nbgrader={"grade": true, "grade_id": "autograder", "locked": true, "points": 10, "schema_version": 3, "solution": false, "task": false}
### BEGIN HIDDEN TESTS
from graders.notebook import score

score("ex10_user_flow", points=10)
### END HIDDEN TESTS
