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
# # Exercise 4: registration, checked in the database
#
# Write a pytest suite for account registration in the **forge** service, and check what
# registration leaves **in the database**, not only what it answers. Your suite is graded the
# way a code reviewer would judge it:
#
# 1. **It must pass on the real app.** It also runs against other *correct* versions of the
#    service, which differ only where the specification below leaves freedom. A test that fails on
#    any correct version is *invalid*, and while any test is invalid the suite scores 0. Each test
#    is also run alone and in another order: a test that only passes after (or before) another
#    one is invalid too.
# 2. **It must catch bugs.** We planted defects in copies of the service, each one a mistake the
#    lesson warns about. Your score is the share of them that at least one of your tests catches
#    (by failing).
#
# ## What the service promises
#
# `POST /forge/users` registers an account. Its body is a JSON object with a `username`, an
# `email` and a `password`.
#
# - **The rules.** The `username` has 3 to 30 characters, each a lowercase letter, a digit or
#   `_`. The `email` looks like an address (`name@domain.tld`). The `password` has 8 to 128
#   characters. A body that breaks any rule, or lacks a field, is answered `422`, and **nothing is
#   stored**.
# - **A valid registration** is answered `201` with the new account (its `id`, `username` and
#   `email`), and adds **exactly one row** to the `users` table (the model `forge.models.User`),
#   holding that id, username and email exactly as sent.
# - **The password is never stored as typed.** The row's `password_hash` column holds a hash of
#   the password: one that `forge.security.verify_password(password, row.password_hash)` accepts,
#   which is how `POST /token` checks a login.
# - **Duplicates.** A registration whose username is already taken, or whose email is already
#   registered, is answered `409`, and the table keeps only the first account.
#
# Left free (a correct service may differ here): which ids the service chooses, the wording of
# error details, the format of the stored hash, extra columns in the table and extra fields in
# the answers.
#
# ## What to do
#
# Cover each promise with at least one test, and check side effects in the database itself:
#
# - Give the app a **test database of your own**: an in-memory SQLite engine that works from
#   TestClient's threads, with forge's tables created from `forge.database.Base`, plugged into an
#   app from `forge.main.create_app()` by overriding the dependency `forge.dependencies.get_db`.
# - **Every test starts with an empty `users` table**, whatever ran before it.
# - Read the table **directly**, with a session of your own on your test engine.
#
# Put **everything** your tests need (imports, fixtures, helpers) in the one cell below that
# starts with `%%ipytest`: the grader runs that cell on its own, away from the rest of this
# notebook. Running the cell runs your tests on the real app.

# %% nbgrader={"grade": false, "grade_id": "setup", "locked": true, "schema_version": 3, "solution": false, "task": false}
from graders.notebook import check, setup

setup(raise_on_error=False, exercise="ex04_sqlite")

# %% nbgrader={"grade": false, "grade_id": "suite", "locked": false, "schema_version": 3, "solution": true, "task": false}
# %%ipytest
import pytest
from fastapi.testclient import TestClient

from forge.main import create_app

### BEGIN SOLUTION
from sqlalchemy import create_engine, select
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.pool import StaticPool

from forge.database import Base
from forge.dependencies import get_db
from forge.models import User
from forge.security import verify_password


@pytest.fixture
def engine():
    # A new in-memory database for every test. StaticPool: one connection, so one database;
    # check_same_thread=False: the app may use that connection from TestClient's threads.
    engine = create_engine("sqlite://", poolclass=StaticPool,
                           connect_args={"check_same_thread": False})
    Base.metadata.create_all(engine)
    yield engine
    engine.dispose()


@pytest.fixture
def client(engine):
    app = create_app()
    sessions = sessionmaker(bind=engine, autoflush=False, expire_on_commit=False)

    def test_database():
        with sessions() as db:  # one session per request, closed after it, as in production
            yield db

    app.dependency_overrides[get_db] = test_database
    with TestClient(app) as client:
        yield client
    app.dependency_overrides.clear()


def stored_users(engine):
    """The rows of the users table, read straight from the test database."""
    with Session(engine) as db:
        return db.scalars(select(User).order_by(User.id)).all()


ALICE = {"username": "alice", "email": "alice@example.com", "password": "correct horse"}


def register(client, **changes):
    return client.post("/forge/users", json={**ALICE, **changes})


def test_each_test_starts_with_an_empty_users_table(engine):
    assert stored_users(engine) == []


def test_registration_stores_one_row(client, engine):
    response = register(client)
    assert response.status_code == 201
    assert response.json()["username"] == "alice"
    [row] = stored_users(engine)
    assert (row.id, row.username, row.email) == (response.json()["id"], "alice", "alice@example.com")


def test_password_is_stored_as_a_hash_of_it(client, engine):
    assert register(client).status_code == 201
    [row] = stored_users(engine)
    assert ALICE["password"] not in row.password_hash
    assert verify_password(ALICE["password"], row.password_hash)


@pytest.mark.parametrize("duplicate", [
    {"email": "another@example.com"},  # the same username
    {"username": "alice2"},            # the same email
], ids=["same-username", "same-email"])
def test_duplicate_is_409_and_not_stored(client, engine, duplicate):
    assert register(client).status_code == 201
    response = register(client, **duplicate)
    assert response.status_code == 409
    [row] = stored_users(engine)
    assert (row.username, row.email) == ("alice", "alice@example.com")


@pytest.mark.parametrize("bad", [
    {"username": "al"},                # one character too short
    {"username": "Alice"},             # upper case
    {"email": "not-an-address"},
    {"password": "seven77"},           # 7 characters: one too few
    {"password": None},
], ids=["short-username", "uppercase-username", "bad-email", "short-password", "no-password"])
def test_invalid_registration_is_422_and_stores_nothing(client, engine, bad):
    assert register(client, **bad).status_code == 422
    assert stored_users(engine) == []
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
check("ex04_sqlite")

# %% [markdown] nbgrader={"grade": false, "grade_id": "hints-help", "locked": true, "schema_version": 3, "solution": false, "task": false}
# ## Stuck?
#
# Each missed defect has a ladder of hints, from a gentle nudge to a precise description of the
# behaviour to test. Climb one rung at a time: `check("ex04_sqlite", hints=1)`, then `hints=2`,
# then `hints=3`.

# %%
check("ex04_sqlite", hints=1)

# %% [markdown] nbgrader={"grade": false, "grade_id": "autograder-help", "locked": true, "schema_version": 3, "solution": false, "task": false}
# The cell below is the autograder's: when your instructor grades this notebook it awards
# 10 points times the share of planted defects your suite catches (0 while any test is invalid).

# %% nbgrader={"grade": true, "grade_id": "autograder", "locked": true, "points": 10, "schema_version": 3, "solution": false, "task": false}
### BEGIN HIDDEN TESTS
from graders.notebook import score

score("ex04_sqlite", points=10)
### END HIDDEN TESTS
