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
# # Exercise 11: does forge follow its configuration?
#
# Write a pytest suite that runs the **forge** service with settings of your choosing and checks
# that the service really follows them. Your suite is graded the way a code reviewer would judge
# it:
#
# 1. **It must pass on the real app.** It also runs against other *correct* versions of the
#    service, which differ only where the specification below leaves freedom. A test that fails on
#    any correct version is *invalid*, and while any test is invalid the suite scores 0.
# 2. **It must catch bugs.** We planted defects in copies of the service, each one a mistake the
#    lesson warns about. Your score is the share of them that at least one of your tests catches
#    (by failing).
#
# ## How forge is configured
#
# Configuration is a `forge.config.Settings` object. The fields that matter here are `version`,
# `jwt_secret`, `token_minutes`, `admin_username` and `admin_password`. Forge supports two ways of
# giving it settings, and must honour both:
#
# - **the factory**: `create_app(settings)` builds a service that uses `settings` everywhere,
#   startup included;
# - **an override** of the dependency `forge.dependencies.get_settings`: everything the service
#   does while handling a request reads its settings through that dependency (startup does not).
#
# ## What the service promises
#
# 1. `GET /forge/health` answers `200` with a JSON object whose `version` is the configured
#    `version`.
# 2. `POST /forge/users` with a JSON body `{"username": ..., "email": ..., "password": ...}`
#    registers a user (not an administrator) and answers `201` with the user, including its `id`.
#    The username has 3 to 30 characters (lowercase letters, digits, `_`), the email the form
#    `name@domain.tld`, the password 8 to 128 characters.
# 3. `POST /token` with the **form** fields `username` and `password` of a registered user
#    answers `200` with `{"access_token": ..., "token_type": "bearer"}`; a wrong password gets
#    `401`. The access token is a JWT signed with **HS256** and the configured `jwt_secret`. Its
#    `sub` claim is the user's id as a string, and its `exp` claim lies exactly `token_minutes`
#    minutes after its `iat` claim.
# 4. `GET /forge/users/me` with the header `Authorization: Bearer <token>` answers `200` with the
#    user (its `id`, `username`, `email`, `role`) if, and only if, the token is signed with the
#    configured `jwt_secret` (HS256), has not expired, and its `sub` is the id of an existing user.
#    Otherwise it answers `401`.
# 5. What a user may do follows the **role stored for them in the database**, whatever claims
#    their token carries: `GET /forge/admin/dashboard` answers `200` to an administrator and
#    `403` to any other signed-in user.
# 6. When `admin_password` is set, **startup** creates an administrator account named
#    `admin_username` with that password (unless it exists already). The administrator can get
#    a token from `/token` and open the dashboard.
#
# ## What is left free
#
# - The **default** value of every setting (the default version, the default administrator
#   name, ...): set every value your tests rely on.
# - **Claims** in the token other than `sub`, `iat` and `exp`: there may be more, and none of the
#   others is promised (a `role` claim, for one, may be missing).
# - The wording of error `detail`s, **extra fields** in response bodies, and which **ids** users
#   get.
#
# ## What to do
#
# Cover each promise with at least one test, and configure the service with settings that
# **differ from the defaults**. Use both ways of configuring it: build apps with
# `create_app(Settings(...))`, and override `get_settings` on an app from `create_app()`. To make
# a token yourself, use `forge.security.create_access_token(user_id, role, settings, now=None)`
# (it signs with `settings.jwt_secret`; `now` sets the issue time) or PyJWT's `jwt.encode`, and
# read one with `jwt.decode(token, secret, algorithms=["HS256"])`. Put **everything** your tests
# need (imports, fixtures, helpers) in the one cell below that starts with `%%ipytest`: the grader
# runs that cell on its own, away from the rest of this notebook. Running the cell runs your
# tests on the real app.
#
# Passwords are hashed on purpose slowly, so each registration, each log-in and each start-up
# that creates an administrator takes a noticeable fraction of a second: keep those to what a
# test needs.

# %% nbgrader={"grade": false, "grade_id": "setup", "locked": true, "schema_version": 3, "solution": false, "task": false}
from graders.notebook import check, setup

setup(raise_on_error=False, exercise="ex11_structure")

# %% nbgrader={"grade": false, "grade_id": "suite", "locked": false, "schema_version": 3, "solution": true, "task": false}
# %%ipytest
import pytest
from fastapi.testclient import TestClient

from forge.config import Settings
from forge.dependencies import get_settings
from forge.main import create_app

### BEGIN SOLUTION
from datetime import datetime, timedelta, timezone

import jwt

from forge.security import create_access_token

# Every value differs from the defaults: a part of forge that ignores them can't hide.
CONFIGURED = Settings(version="7.7.7-test", jwt_secret="a-secret-only-these-tests-know-0123456789",
                      token_minutes=7)
ADMIN = Settings(version="7.7.7-test", jwt_secret=CONFIGURED.jwt_secret, token_minutes=7,
                 admin_username="test_admin", admin_password="the-admin-password")
ADA = {"username": "ada_l", "email": "countess@example.com", "password": "analytical-engine"}


@pytest.fixture
def factory_client():
    app = create_app(CONFIGURED)
    with TestClient(app) as client:
        yield client
    app.dependency_overrides.clear()


@pytest.fixture
def override_client():
    app = create_app()
    app.dependency_overrides[get_settings] = lambda: CONFIGURED
    with TestClient(app) as client:
        yield client
    app.dependency_overrides.clear()


@pytest.fixture(params=["factory_client", "override_client"])
def client(request):
    """The service configured with CONFIGURED, once through the factory, once through an override."""
    return request.getfixturevalue(request.param)


def register(client):
    response = client.post("/forge/users", json=ADA)
    assert response.status_code == 201
    return response.json()["id"]


def log_in(client, username, password):
    return client.post("/token", data={"username": username, "password": password})


def me(client, token):
    return client.get("/forge/users/me", headers={"Authorization": f"Bearer {token}"})


def test_health_reports_the_configured_version(client):
    response = client.get("/forge/health")
    assert response.status_code == 200
    assert response.json()["version"] == CONFIGURED.version


def test_a_login_token_follows_the_configured_secret_and_lifetime(client):
    user_id = register(client)
    response = log_in(client, ADA["username"], ADA["password"])
    assert response.status_code == 200
    assert response.json()["token_type"] == "bearer"
    token = response.json()["access_token"]
    claims = jwt.decode(token, CONFIGURED.jwt_secret, algorithms=["HS256"])
    assert claims["sub"] == str(user_id)
    assert claims["exp"] - claims["iat"] == CONFIGURED.token_minutes * 60
    accepted = me(client, token)
    assert accepted.status_code == 200
    assert (accepted.json()["id"], accepted.json()["username"]) == (user_id, ADA["username"])


def test_only_valid_tokens_for_existing_users_are_accepted(factory_client):
    user_id = register(factory_client)
    assert me(factory_client, create_access_token(user_id, "smith", CONFIGURED)).status_code == 200
    long_ago = datetime.now(timezone.utc) - timedelta(minutes=CONFIGURED.token_minutes + 1)
    rejected = {
        "signed with the default secret": create_access_token(user_id, "smith", Settings()),
        "expired": create_access_token(user_id, "smith", CONFIGURED, now=long_ago),
        "for a user who does not exist": create_access_token(user_id + 1000, "smith", CONFIGURED),
    }
    for why, token in rejected.items():
        assert me(factory_client, token).status_code == 401, why


def test_permissions_follow_the_database_not_the_token(factory_client):
    user_id = register(factory_client)
    claims_admin = create_access_token(user_id, "admin", CONFIGURED)
    response = factory_client.get("/forge/admin/dashboard", headers={"Authorization": f"Bearer {claims_admin}"})
    assert response.status_code == 403


def test_startup_creates_the_configured_administrator():
    app = create_app(ADMIN)
    with TestClient(app) as client:
        assert log_in(client, "test_admin", "wrong-password").status_code == 401
        response = log_in(client, "test_admin", ADMIN.admin_password)
        assert response.status_code == 200
        token = response.json()["access_token"]
        assert me(client, token).json()["role"] == "admin"
        dashboard = client.get("/forge/admin/dashboard", headers={"Authorization": f"Bearer {token}"})
        assert dashboard.status_code == 200
### END SOLUTION

# %% [markdown] nbgrader={"grade": false, "grade_id": "feedback-help", "locked": true, "schema_version": 3, "solution": false, "task": false}
# ## Check your suite
#
# Run the next cell after you have run your `%%ipytest` cell. It grades the suite you ran last and
# shows how many planted defects it catches (`●` caught, `○` missed, each defect has an anonymous
# number), which of your tests are invalid and why, and which test catches which defect. It takes a
# few seconds: your suite runs once against every version of the service.

# %% nbgrader={"grade": false, "grade_id": "feedback", "locked": true, "schema_version": 3, "solution": false, "task": false}
check("ex11_structure")

# %% [markdown] nbgrader={"grade": false, "grade_id": "hints-help", "locked": true, "schema_version": 3, "solution": false, "task": false}
# ## Stuck?
#
# Each missed defect has a ladder of hints, from a gentle nudge to a precise description of the
# behaviour to test. Climb one rung at a time: `check("ex11_structure", hints=1)`, then `hints=2`,
# then `hints=3`.

# %%
check("ex11_structure", hints=1)

# %% [markdown] nbgrader={"grade": false, "grade_id": "autograder-help", "locked": true, "schema_version": 3, "solution": false, "task": false}
# The cell below is the autograder's: when your instructor grades this notebook it awards
# 10 points times the share of planted defects your suite catches (0 while any test is invalid).

# %% nbgrader={"grade": true, "grade_id": "autograder", "locked": true, "points": 10, "schema_version": 3, "solution": false, "task": false}
### BEGIN HIDDEN TESTS
from graders.notebook import score

score("ex11_structure", points=10)
### END HIDDEN TESTS
