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
# # Exercise 12: the phantom row, repair a leaky suite
#
# Below is the team's test suite for forge's sign-up and admin pages, as it stood on the day of
# the incident. Run in the order it was written, it passes, and it catches every defect we
# planted in copies of the service. It is also full of the habits the lesson warns about: it
# overrides dependencies on the shared module-level app and removes them late or never, it keeps
# one database for the whole module, its tests lean on rows and tokens that earlier tests left
# behind, and its client fixture `return`s a client nobody ever enters with `with`.
#
# Your job: **repair the suite.** Write it again in the answer cell further down, so that it keeps
# catching the planted defects *and* is hygienic. This exercise grades hygiene strictly. A test
# is *invalid*, and while any test is invalid the suite scores 0, when it:
#
# - fails on the real app or on another correct version of it (one that differs only where the
#   specification below leaves freedom);
# - fails when it runs **alone**, in a process of its own;
# - fails when the suite runs in **another order**;
# - gives another result when the suite runs **again** (flaky);
# - leaves anything in **`forge.main.app.dependency_overrides`** when it ends.
#
# Your score is then the share of planted defects that at least one of your tests catches (by
# failing). Each defect is an ordinary bug in the behaviour described next.
#
# ## What the service promises
#
# - **Sign-up.** `POST /forge/users` with a JSON body `{"username": ..., "email": ...,
#   "password": ...}` creates an account and answers `201` with it: an object with its `id`,
#   `username`, `email` and `role`. A new account's role is `"smith"`; only administrators have
#   the role `"admin"`.
# - **Welcome mail.** A sign-up sends exactly one mail, to the address the account registered
#   with, through the mailer that the dependency `forge.dependencies.get_mailer` provides (an
#   object with a method `send(to, subject, body)`; `forge.mail.Outbox` is one that records what
#   it sends in its list `sent`).
# - **No duplicates.** A sign-up whose username *or* email address belongs to an existing account
#   is refused with `409`, and sends no mail.
# - **Signing in.** `POST /token` with the form fields `username` and `password` answers `200` with
#   a JSON object whose `access_token` is a bearer token when the password is right, and `401`
#   when it is wrong.
# - **Who am I.** `GET /forge/users/me` with the header `Authorization: Bearer <token>` answers
#   `200` with the signed-in account (`username`, `role`, ...).
# - **The admin dashboard.** `GET /forge/admin/dashboard` answers `401` to a request without a
#   token, `403` to a signed-in user who is not an administrator, and `200` to an administrator,
#   with the number of accounts (`users`) and of catalogue items (`items`). A freshly started
#   service has the three starter items and no accounts.
#
# **Left free by the specification:** which ids accounts get; the subject and body of the
# welcome mail, and whether it is sent during the request or in a background task after it; the
# wording of every error `detail`; extra fields in any JSON answer.
#
# ## What to do
#
# 1. Run the leaky suite (the first `%%ipytest` cell below) and see it pass. Then read the cell
#    after it: what the suite left on the app in this kernel. If you like, run the feedback cell
#    (`check(...)`, further down) right away: it grades the leaky suite, the `%%ipytest` cell you
#    ran last, and says test by test why it scores 0.
# 2. In the answer cell (the last `%%ipytest` cell), write the repaired suite. Copy what you want
#    to keep from the leaky suite; change whatever you need. Every test must pass on its own and
#    in any order, and leave `forge.main.app` as it found it. Use dependency overrides where they
#    help (a fake mailer, a stand-in user), but let fixtures set them up **and take them down**,
#    or give each test its own app with `create_app()`. A clean-up on a test's last line is not
#    enough: it runs only when the test passes, so on a defect it is skipped and the override
#    leaks into every later test. The grader finds such a clean-up even when the test passes, as
#    a reviewer would, and counts the test as invalid.
# 3. Keep every catch. Run in file order, the leaky suite catches all the planted defects; a
#    repair that drops the tests which were hard to make independent loses points.
#
# Put **everything** your tests need (imports, fixtures, helpers) in the answer cell: the grader
# runs that cell on its own, in fresh processes, away from this notebook. When you grade from the
# notebook with `check(...)` below, it grades the `%%ipytest` cell you **ran last**, so run your
# repaired cell (not the leaky one) right before checking.

# %% nbgrader={"grade": false, "grade_id": "setup", "locked": true, "schema_version": 3, "solution": false, "task": false}
from graders.notebook import check, setup

setup(raise_on_error=False, exercise="ex12_incident")

# %% [markdown] nbgrader={"grade": false, "grade_id": "leaky-help", "locked": true, "schema_version": 3, "solution": false, "task": false}
# ## The suite on the day of the incident
#
# Read-only: run it, don't edit it. It passes in this order.

# %% nbgrader={"grade": false, "grade_id": "leaky-suite", "locked": true, "schema_version": 3, "solution": false, "task": false}
# %%ipytest
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import create_engine
from sqlalchemy.orm import sessionmaker
from sqlalchemy.pool import StaticPool

from forge.audit import AuditLog
from forge.database import Base
from forge.dependencies import get_audit_log, get_current_user, get_db, get_mailer
from forge.mail import Outbox
from forge.main import app
from forge.models import User

# One test database for the whole module, as in the article's conftest.
engine = create_engine("sqlite://", poolclass=StaticPool, connect_args={"check_same_thread": False})
Base.metadata.create_all(engine)
TestingSession = sessionmaker(bind=engine, expire_on_commit=False)


def override_get_db():
    with TestingSession() as db:
        yield db


ADA = {"username": "ada", "email": "ada@example.com", "password": "correct horse"}
outbox = Outbox()   # the fake mailer
tokens = {}         # filled in by the log-in test


@pytest.fixture
def client():
    app.dependency_overrides[get_db] = override_get_db
    app.dependency_overrides[get_audit_log] = lambda: AuditLog(TestingSession)
    return TestClient(app)


def test_dashboard_needs_a_token(client):
    assert client.get("/forge/admin/dashboard").status_code == 401


def test_registration_sends_a_welcome_mail(client):
    app.dependency_overrides[get_mailer] = lambda: outbox
    response = client.post("/forge/users", json=ADA)
    assert response.status_code == 201
    assert response.json()["role"] == "smith"
    assert [message.to for message in outbox.sent] == [ADA["email"]]


def test_same_email_is_409(client):
    response = client.post("/forge/users", json={**ADA, "username": "ada_again"})
    assert response.status_code == 409
    assert len(outbox.sent) == 1


def test_log_in_needs_the_right_password(client):
    assert client.post("/token", data={"username": "ada", "password": "wrong horse"}).status_code == 401
    response = client.post("/token", data={"username": "ada", "password": ADA["password"]})
    assert response.status_code == 200
    tokens["ada"] = response.json()["access_token"]


def test_a_new_account_is_not_an_admin(client):
    headers = {"Authorization": f"Bearer {tokens['ada']}"}
    assert client.get("/forge/users/me", headers=headers).json()["role"] == "smith"
    assert client.get("/forge/admin/dashboard", headers=headers).status_code == 403


def test_admin_sees_the_dashboard(client):
    app.dependency_overrides[get_current_user] = lambda: User(
        id=1, username="admin_test", email="admin_test@", role="admin")
    response = client.get("/forge/admin/dashboard")
    assert response.status_code == 200
    assert response.json()["users"] == 1
    app.dependency_overrides.clear()


def test_smith_is_forbidden(client):
    app.dependency_overrides[get_current_user] = lambda: User(
        id=2, username="smith_test", email="smith_test@", role="smith")
    assert client.get("/forge/admin/dashboard").status_code == 403

# %% [markdown] nbgrader={"grade": false, "grade_id": "leftovers-help", "locked": true, "schema_version": 3, "solution": false, "task": false}
# All green. Now look at what those seven tests left on forge's shared app in this kernel. Run the
# leaky cell a second time without the clean-up below and its first test fails: the second run
# inherits the stand-in user of the first. The cell below shows the leftovers, then removes them
# so that they don't confuse your own runs.

# %% nbgrader={"grade": false, "grade_id": "leftovers", "locked": true, "schema_version": 3, "solution": false, "task": false}
import forge.main

print("left on forge.main.app:", sorted(d.__name__ for d in forge.main.app.dependency_overrides))
forge.main.app.dependency_overrides.clear()

# %% [markdown] nbgrader={"grade": false, "grade_id": "answer-help", "locked": true, "schema_version": 3, "solution": false, "task": false}
# ## Your repaired suite
#
# Write it in the cell below, which must start with `%%ipytest`. Run it, then run the feedback
# cell after it.

# %% nbgrader={"grade": false, "grade_id": "suite", "locked": false, "schema_version": 3, "solution": true, "task": false}
# %%ipytest
# The repaired suite: everything it needs is in this cell.
### BEGIN SOLUTION
import pytest
from fastapi.testclient import TestClient

from forge.dependencies import get_current_user, get_mailer
from forge.mail import Outbox
from forge.main import create_app
from forge.models import User

PASSWORD = "correct horse"


@pytest.fixture
def outbox():
    return Outbox()


@pytest.fixture
def app(outbox):
    # A new app per test: its own overrides, its own state and, through the lifespan, its own
    # in-memory database. Nothing one test does can reach another.
    app = create_app()
    app.dependency_overrides[get_mailer] = lambda: outbox
    yield app
    app.dependency_overrides.clear()


@pytest.fixture
def client(app):
    with TestClient(app) as client:
        yield client


@pytest.fixture
def sign_in_as(app):
    def sign_in(role):
        app.dependency_overrides[get_current_user] = lambda: User(
            id=4242, username=f"{role}_test", email=f"{role}_test@example.com", role=role)
    return sign_in   # the app fixture removes the override


def register(client, username="ada", email="ada@example.com"):
    return client.post("/forge/users",
                       json={"username": username, "email": email, "password": PASSWORD})


def log_in(client, username, password=PASSWORD):
    return client.post("/token", data={"username": username, "password": password})


def token_headers(client, username):
    return {"Authorization": f"Bearer {log_in(client, username).json()['access_token']}"}


def test_registration_creates_a_smith(client):
    response = register(client)
    assert response.status_code == 201
    account = response.json()
    assert (account["username"], account["email"], account["role"]) == ("ada", "ada@example.com", "smith")
    assert isinstance(account["id"], int)


def test_registration_sends_one_welcome_mail(client, outbox):
    register(client)
    assert [message.to for message in outbox.sent] == ["ada@example.com"]


@pytest.mark.parametrize("second", [
    {"username": "ada", "email": "ada.again@example.com"},
    {"username": "ada_again", "email": "ada@example.com"},
], ids=["same-username", "same-email"])
def test_a_taken_username_or_email_is_409(client, outbox, second):
    register(client)
    assert register(client, **second).status_code == 409
    assert len(outbox.sent) == 1


def test_log_in_needs_the_right_password(client):
    register(client)
    assert log_in(client, "ada", "wrong horse").status_code == 401
    response = log_in(client, "ada")
    assert response.status_code == 200
    assert response.json()["access_token"]


def test_a_real_token_signs_in_a_smith(client):
    register(client)
    headers = token_headers(client, "ada")
    me = client.get("/forge/users/me", headers=headers)
    assert me.status_code == 200
    assert (me.json()["username"], me.json()["role"]) == ("ada", "smith")
    assert client.get("/forge/admin/dashboard", headers=headers).status_code == 403


def test_dashboard_needs_a_token(client):
    assert client.get("/forge/admin/dashboard").status_code == 401


def test_dashboard_is_forbidden_to_a_smith(client, sign_in_as):
    sign_in_as("smith")
    assert client.get("/forge/admin/dashboard").status_code == 403


def test_admin_sees_the_counts(client, sign_in_as):
    register(client)
    sign_in_as("admin")
    response = client.get("/forge/admin/dashboard")
    assert response.status_code == 200
    assert (response.json()["users"], response.json()["items"]) == (1, 3)
### END SOLUTION

# %% [markdown] nbgrader={"grade": false, "grade_id": "feedback-help", "locked": true, "schema_version": 3, "solution": false, "task": false}
# ## Check your suite
#
# Run the next cell right after your repaired `%%ipytest` cell: it grades the `%%ipytest` cell
# you ran **last**. It shows how many planted defects your suite catches (`●` caught, `○` missed,
# each defect has an anonymous number), which tests are invalid and why (alone, another order,
# overrides left behind), and which test catches which defect. It takes a few seconds: your
# suite runs against every version of the service, then in other orders and each test alone.

# %% nbgrader={"grade": false, "grade_id": "feedback", "locked": true, "schema_version": 3, "solution": false, "task": false}
check("ex12_incident")

# %% [markdown] nbgrader={"grade": false, "grade_id": "hints-help", "locked": true, "schema_version": 3, "solution": false, "task": false}
# ## Stuck?
#
# Each missed defect has a ladder of hints, from a gentle nudge to a precise description of the
# behaviour to test. Climb one rung at a time: `check("ex12_incident", hints=1)`, then `hints=2`,
# then `hints=3`. If the problem is an invalid test, its message says which rule it broke; the
# lesson's sections 5 and 6 show how to find what a test depends on.

# %%
check("ex12_incident", hints=1)

# %% [markdown] nbgrader={"grade": false, "grade_id": "autograder-help", "locked": true, "schema_version": 3, "solution": false, "task": false}
# The cell below is the autograder's: when your instructor grades this notebook it awards
# 10 points times the share of planted defects your suite catches (0 while any test is invalid).

# %% nbgrader={"grade": true, "grade_id": "autograder", "locked": true, "points": 10, "schema_version": 3, "solution": false, "task": false}
### BEGIN HIDDEN TESTS
from graders.notebook import score

score("ex12_incident", points=10)
### END HIDDEN TESTS
