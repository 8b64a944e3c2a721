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

# %% [markdown]
# # Lesson 11 · An app structured for testing
#
# Much of what made the earlier lessons' tests easy was decided before any test was written:
# forge builds its app in a function, keeps its routes in routers, and gets everything from
# outside (settings, sessions, the mailer, the current user) through a module of dependencies.
# By the end you will be able to:
#
# - say what an **app factory** isolates that a module-level app shares, and what it doesn't;
# - tell a route a test can configure (through a **dependency**) from one it can't;
# - choose between configuring a test app through the **factory** and through an **override**;
# - override at the **right depth**: a leaf, or a composite with everything below it skipped;
# - lay out `conftest.py` files whose client and database fixtures share **one database**.
#
# Some cells **fail on purpose**; the text before each says so. Sections headed *Deep dive* are
# optional: skip them on a first pass and come back for the depth.

# %%
import os

from graders.notebook import setup, show
setup()

# %% [markdown]
# ## 1. Forge's layout
#
# | module | holds |
# | --- | --- |
# | `forge/main.py` | `create_app()`, the lifespan, and one ready-made module-level `app` |
# | `forge/routers/*.py` | one `APIRouter` per resource: health, items, users, auth, admin, quotes |
# | `forge/dependencies.py` | every `Depends()` target: the places a test can override |
# | `forge/config.py` | `Settings`: version, secrets, token lifetime, database URL |
# | `forge/database.py`, `models.py`, `schemas.py` | engine and sessions, tables, request and response bodies |
#
# The factory is where it all comes together:

# %%
import forge.main

show(forge.main.create_app)

# %% [markdown]
# `create_app()` takes an optional `Settings`, builds a new `FastAPI` object, puts the
# settings and a fresh mailer on `app.state`, installs the error handlers and the trace-id
# middleware, and includes every router. The lifespan (shown in lesson 1) creates the database
# when the app starts. At the bottom of `main.py`, `app = create_app()` builds one app at import
# time, for the server and for tests that import it.
#
# ## 2. A factory versus a module-level app
#
# A module-level `app` is built once per process. Every test that imports it shares everything
# that hangs off it: the `dependency_overrides` dict (lesson 2), but also `app.state`. Forge's
# database survives only one lifespan, so it starts empty in every `with` block; the mailer, on
# the other hand, is created by `create_app()`, once, and keeps what it was given.

# %%
from fastapi.testclient import TestClient

shared = forge.main.app
for run in (1, 2):
    with TestClient(shared) as client:
        client.post("/forge/items", json={"name": f"chisel {run}", "price": 9.5})
        client.post("/forge/users", json={"username": "ada", "email": "ada@example.com",
                                          "password": "analytical"})
        print(f"test {run}: items in the database = {len(client.get('/forge/items').json())}, "
              f"mails in the shared outbox = {len(shared.state.mailer.sent)}")

with TestClient(forge.main.create_app()) as client:
    client.post("/forge/users", json={"username": "ada", "email": "ada@example.com",
                                      "password": "analytical"})
    print(f"an app from create_app(): mails in its outbox = {len(client.app.state.mailer.sent)}")

# %% [markdown]
# The second "test" finds a mail it never caused. A test asserting "exactly one welcome mail"
# would pass alone and fail after another test, the same signature as a leaked override. With
# `create_app()` in the fixture, each test gets its own app, its own overrides, its own state.
#
# A factory is only as fresh as what it builds, though. What it *reuses* from module level is
# shared by every app it makes: the routers (on FastAPI 0.165, a route added to a forge router
# during a test shows up in every app that includes it, even apps built before), a module-level
# cache, a global client. That is why forge keeps its mutable state on `app.state`.
#
# The factory's second gift is **configuration**: `create_app(Settings(...))` builds a service
# configured for the test, and nothing else in the process sees it.

# %% [markdown]
# ## 3. Deep dive: one router on an app of its own
#
# *Optional: testing one router in isolation, on a bare app; skip it on a first pass.*
#
# Each file in `forge/routers/` defines an `APIRouter` and its routes, and `create_app()`
# includes them all. For tests, this means a router can also be mounted on a small app of its
# own, when you want to test one part in isolation. The health router needs only the settings:

# %%
import forge.routers.health

show(forge.routers.health)

# %%
from fastapi import FastAPI

from forge.config import Settings
from forge.dependencies import get_settings

mini = FastAPI()
mini.include_router(forge.routers.health.router)
mini.dependency_overrides[get_settings] = lambda: Settings(version="0.0.1-mini")
print(TestClient(mini).get("/forge/health").json())

# %% [markdown]
# On a bare app there is no `app.state.settings` (only `create_app()` puts it there), so the
# override is not optional here: without it the real `get_settings` fails. That is the general
# deal of a partial app: you supply every leaf the router needs.

# %% [markdown]
# ## 4. A module of overridable leaves
#
# Everything a route needs from outside comes through `Depends()`, and every `Depends()`
# target lives in one module:

# %%
import forge.dependencies

show(forge.dependencies)

# %% [markdown]
# Two kinds of dependency:
#
# - **Leaves** (`get_settings`, `get_db`, `get_mailer`, `get_audit_log`) read what the factory
#   and the lifespan put on `app.state`. They are tiny, and they are the natural places to swap
#   things in a test.
# - **Composites** (`get_current_user`, `require_admin`) build on leaves and on each other: the
#   current user needs the bearer token, a database session and the settings.
#
# The benefit only holds if routes stick to it. A route that reaches for configuration any
# other way, a module-level settings object, a `Settings()` call inside the function, is out of
# a test's reach: no override changes it, and neither does the factory's argument. A small demo
# with two versions of a route, one through the dependency and one through a module global:

# %%
from typing import Annotated

from fastapi import Depends, FastAPI

from forge.config import Settings
from forge.dependencies import get_settings

SETTINGS = Settings()          # read once, at import: the habit to avoid

versions = FastAPI()


@versions.get("/through-the-dependency")
def through_the_dependency(settings: Annotated[Settings, Depends(get_settings)]):
    return {"version": settings.version}


@versions.get("/through-a-global")
def through_a_global():
    return {"version": SETTINGS.version}


versions.dependency_overrides[get_settings] = lambda: Settings(version="2.0.0-test")
with TestClient(versions) as client:
    for path in ("/through-the-dependency", "/through-a-global"):
        print(f"{path:<24}", client.get(path).json())

# %% [markdown]
# Both routes work in production; only one can be configured, and only a test that configures
# the service tells them apart. So run the service with settings **different from the
# defaults**: with the defaults, a route that ignores the configuration looks correct.
#
# ## 5. Configuring a test app: the factory or an override?
#
# There are two ways to give forge test settings, and they don't reach the same code:
#
# - `create_app(Settings(...))` puts the settings on `app.state`, where **everything** reads them:
#   `get_settings`, the lifespan (database URL, the administrator account it creates), and
#   `FastAPI(version=...)` in the OpenAPI document.
# - `app.dependency_overrides[get_settings] = lambda: Settings(...)` changes only what is
#   resolved **per request** through `get_settings`. The lifespan does not use dependencies, so
#   it still reads the app's own settings.

# %% [markdown]
# **Predict, then run.** Both apps get the same test settings, one through the factory and one
# through an override. For each app, which of the three values (health, OpenAPI version, admin
# login) will follow those settings? Decide, then run the cell.

# %%
configured = Settings(version="9.9.9-test", admin_password="tongs-and-anvil")


def observe(app: FastAPI) -> dict:
    with TestClient(app) as client:
        token = client.post("/token", data={"username": configured.admin_username,
                                            "password": configured.admin_password})
        return {"health": client.get("/forge/health").json()["version"],
                "openapi": client.get("/openapi.json").json()["info"]["version"],
                "admin can log in": token.status_code == 200}


through_the_factory = forge.main.create_app(configured)
through_an_override = forge.main.create_app()
through_an_override.dependency_overrides[get_settings] = lambda: configured

print("factory: ", observe(through_the_factory))
print("override:", observe(through_an_override))

# %% [markdown]
# The override changed the health check and nothing that happens at startup or at build time.
#
# There is a second difference. An override **replaces** the dependency: with `get_settings`
# overridden, the real `get_settings` never runs, so a bug inside it can't fail that test. A
# classic one: the settings function decorated with `functools.lru_cache` and reading the
# environment, as some tutorials suggest. Every app in the process then shares the first
# settings ever read, and the factory's argument is silently ignored:

# %%
from functools import lru_cache


@lru_cache
def cached_settings() -> Settings:        # the bug: one cached object, read from the environment
    return Settings.from_env()


def make_version_app(settings: Settings | None = None) -> FastAPI:
    app = FastAPI()
    app.state.settings = settings or Settings()    # what forge's factory does

    @app.get("/version")
    def version(settings: Annotated[Settings, Depends(cached_settings)]):
        return {"version": settings.version}

    return app


factory_configured = make_version_app(Settings(version="3.0.0-test"))
override_configured = make_version_app()
override_configured.dependency_overrides[cached_settings] = lambda: Settings(version="3.0.0-test")

print("configured through the factory:", TestClient(factory_configured).get("/version").json())
print("configured through an override:", TestClient(override_configured).get("/version").json())

# %% [markdown]
# The override hides the bug; the factory exposes it. So: override leaves freely, but let **some
# tests build the app through the factory**, with the real leaves running.
#
# ## 6. Overriding at the right depth
#
# `get_current_user` is a composite: it depends on the bearer token, `get_db` and
# `get_settings`, and holds the real authentication logic.

# %%
show(forge.dependencies.get_current_user)

# %% [markdown]
# The article's interview answer on nested dependencies contradicts itself (inner dependencies
# are "not resolved", then "will be injected"). What FastAPI 0.165 does, measured on forge:
#
# 1. **Override a leaf, and everything above it still runs.** With `get_settings` overridden,
#    the real `get_current_user` runs and calls the override for its settings.
# 2. **Override a composite, and nothing below it runs.** With `get_current_user` overridden,
#    its own dependencies (the token, the session, the settings) are never resolved: no token is
#    needed, and no code of the real function runs.
# 3. **An override's parameters come from the override's own signature**, not the original's.
#    Its `Depends()` are resolved like any others (and other overrides apply inside them).
# 4. For the same reason, **a plain parameter on an override becomes a request parameter**: an
#    override written as `def fake_user(username: str)` turns every route that uses it into one
#    that requires `?username=`, and a request without it gets a 422.
#
# An override of `get_settings` doubles as a spy: it records each call.

# %%
from sqlalchemy import select

from forge.dependencies import Db, get_current_user
from forge.models import User

calls: list[str] = []


def spy_settings() -> Settings:
    calls.append("get_settings")
    return Settings()


depth = forge.main.create_app()
depth.dependency_overrides[get_settings] = spy_settings
with TestClient(depth) as client:
    response = client.get("/forge/users/me")
    print("1. leaf overridden, no token:   ", response.status_code, "| settings asked for:", calls)

    calls.clear()
    depth.dependency_overrides[get_current_user] = lambda: User(
        id=1, username="stand_in", email="stand-in@example.com", role="smith")
    response = client.get("/forge/users/me")
    print("2. composite overridden:        ", response.status_code, response.json()["username"],
          "| settings asked for:", calls)

    client.post("/forge/users", json={"username": "ada", "email": "ada@example.com",
                                      "password": "analytical"})

    def first_user_in_the_database(db: Db) -> User:
        return db.scalar(select(User).order_by(User.id))

    depth.dependency_overrides[get_current_user] = first_user_in_the_database
    print("3. override with its own Depends:", client.get("/forge/users/me").json()["username"])

    def fake_user(username: str) -> User:
        return User(id=1, username=username, email=f"{username}@example.com", role="smith")

    depth.dependency_overrides[get_current_user] = fake_user
    response = client.get("/forge/users/me")
    print("4. override with a plain param: ", response.status_code, response.json()["detail"][0]["loc"])

# %% [markdown]
# So the depth you choose decides what your test covers:
#
# | you override | what still runs | use it to test |
# | --- | --- | --- |
# | a **leaf** (`get_settings`, `get_db`) | everything above it: token checks, user lookup, roles | the real logic, under the conditions you chose (a known secret, a test database) |
# | a **composite** (`get_current_user`) | the route, and what is built on it (`require_admin`) | what the route does for a given user, quickly, without tokens |
#
# Overriding `get_current_user` is fine for a test about the dashboard's numbers, or about what
# `require_admin` does with a given user. It can't catch anything in how the user is
# established: the token's signature and expiry, the user lookup, where the role comes from.
# That code has been switched off. To test authentication itself (lesson 3), override the leaf
# or configure through the factory, and send real tokens. `forge.security` makes them:

# %%
import forge.security

show(forge.security.create_access_token)

# %% [markdown]
# ## 7. Where fixtures live: `conftest.py`
#
# Lesson 6 introduced `conftest.py`: pytest loads every one from the root of the run down to
# each test's directory, unimported, and offers its fixtures to every test **in that directory
# and below**. A deeper `conftest.py` can add fixtures, or replace one of the same name for its
# part of the tree (the replacement may request the outer one). Tests inside a `conftest.py` are
# never collected.
#
# A typical layout for forge: the root `conftest.py` builds the app through the factory and
# cleans up after it; `admin/conftest.py` makes every client in that folder an administrator's.
# The cell writes these files to a temporary folder and runs pytest on it.

# %% [markdown]
# **Predict, then run.** `admin/conftest.py` replaces `client` with an administrator's. Will
# `test_the_dashboard_needs_a_token`, at the root, still get its 401? Decide, then run the cell.

# %%
import subprocess
import sys
import tempfile
import textwrap
from pathlib import Path

FILES = {
    "tests/conftest.py": '''
        import pytest
        from fastapi.testclient import TestClient

        from forge.config import Settings
        from forge.main import create_app


        @pytest.fixture
        def settings():
            return Settings(version="0.0.0-test")


        @pytest.fixture
        def app(settings):
            app = create_app(settings)
            yield app
            app.dependency_overrides.clear()


        @pytest.fixture
        def client(app):
            with TestClient(app) as client:
                yield client
    ''',
    "tests/test_health.py": '''
        def test_health_reports_the_configured_version(client, settings):
            assert client.get("/forge/health").json()["version"] == settings.version


        def test_the_dashboard_needs_a_token(client):
            assert client.get("/forge/admin/dashboard").status_code == 401
    ''',
    "tests/admin/conftest.py": '''
        import pytest

        from forge.dependencies import get_current_user
        from forge.models import User


        @pytest.fixture
        def client(app, client):          # replaces `client` below admin/, built on the outer one
            app.dependency_overrides[get_current_user] = lambda: User(
                id=1, username="boss", email="boss@example.com", role="admin")
            return client
    ''',
    "tests/admin/test_dashboard.py": '''
        def test_the_dashboard_counts_the_starter_catalogue(client):
            assert client.get("/forge/admin/dashboard").json()["items"] == 3
    ''',
}

with tempfile.TemporaryDirectory() as project:
    for name, text in FILES.items():
        path = Path(project, name)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text).lstrip())
    run = subprocess.run(
        [sys.executable, "-m", "pytest", "tests", "-v", "-p", "no:cacheprovider", "--no-header"],
        cwd=project, capture_output=True, text=True,
        env={**os.environ, "PYTEST_DISABLE_PLUGIN_AUTOLOAD": "1", "PYTEST_ADDOPTS": ""},
    )
print("\n".join(line for line in run.stdout.splitlines() if "::" in line or "passed" in line))

# %% [markdown]
# The test files import nothing from the conftest files: pytest provides fixtures by name. The
# unauthenticated test at the root gets a 401, while the one under `admin/` gets the
# administrator, because the nearer `conftest.py` wins.
#
# ## 8. The article's `conftest.py`, and a working one
#
# The article's structure section ends with a `conftest.py` whose `client` fixture yields
# `TestClient(app)` **without `with`**, after overriding `get_db`, and whose `db_session`
# fixture opens a session with a helper, `test_db()`, that the article never shows. Written for
# forge, with the most natural helper (its own in-memory engine), it fails in two ways at once:
#
# - without `with`, the **lifespan never runs**: no starter catalogue, and on forge no session
#   factory either, which the audit log and the unoverridden routes need (lesson 1);
# - two engines on `sqlite://` are **two databases** (lesson 4): each in-memory engine has its
#   own. The test's session can't see what the app wrote, however correct the rest is.
#
# **This cell fails on purpose.** Expect `2 failed`: an empty catalogue, and an item the app
# stored that the test's session can't find.

# %%
import pytest
from sqlalchemy.orm import Session

from forge.database import Base, make_engine, make_sessionmaker
from forge.dependencies import get_db
from forge.models import Item

the_app = forge.main.app


article_engine = make_engine("sqlite://")        # the engine the override serves
Base.metadata.create_all(article_engine)


def override_get_db():
    with make_sessionmaker(article_engine)() as session:
        yield session


def open_test_session() -> Session:               # the article's test_db(), written naturally
    engine = make_engine("sqlite://")             # its own engine: its own in-memory database
    Base.metadata.create_all(engine)
    return make_sessionmaker(engine)()

# %% tags=["raises-exception"]
# %%ipytest --tb=line --show-capture=no
@pytest.fixture
def article_client():
    the_app.dependency_overrides[get_db] = override_get_db
    yield TestClient(the_app)                    # no `with`: no lifespan
    the_app.dependency_overrides.clear()


@pytest.fixture
def article_db_session(article_client):
    with open_test_session() as session:         # a second engine: a second database
        yield session


def test_the_starter_catalogue_is_there(article_client):
    response = article_client.get("/forge/items")
    assert response.status_code == 200
    assert sorted(item["name"] for item in response.json()) == ["anvil", "hammer", "tongs"]


def test_the_session_sees_what_the_app_stored(article_client, article_db_session):
    created = article_client.post("/forge/items", json={"name": "bellows", "price": 60}).json()
    assert article_db_session.get(Item, created["id"]) is not None


# %% [markdown]
# The repair is structural. Enter the client with `with`, and give both fixtures **one**
# database. On forge the lifespan creates that database and puts its session factory on
# `app.state`, so the database fixture takes its sessions from there; no `get_db` override is
# needed.

# %%
# %%ipytest
@pytest.fixture
def client():
    app = forge.main.create_app()
    with TestClient(app) as client:              # lifespan: tables, catalogue, session factory
        yield client
    app.dependency_overrides.clear()


@pytest.fixture
def db_session(client):
    with client.app.state.sessionmaker() as session:   # the app's own engine
        yield session


def test_the_starter_catalogue_is_there(client):
    response = client.get("/forge/items")
    assert response.status_code == 200
    assert sorted(item["name"] for item in response.json()) == ["anvil", "hammer", "tongs"]


def test_the_session_sees_what_the_app_stored(client, db_session):
    created = client.post("/forge/items", json={"name": "bellows", "price": 60}).json()
    assert db_session.get(Item, created["id"]).name == "bellows"


# %% [markdown]
# ### Deep dive: overriding `get_db` with a test engine
#
# *Optional: what an override of `get_db` reaches in forge, and what it doesn't; skip it on a
# first pass.*
#
# If you do want your own engine (a file, a database server, a transaction you roll back), an
# override of `get_db` gives it to every route that asks for `get_db`, and the `db_session`
# fixture must use that same engine. Know what the override does not reach, though: forge's
# lifespan still seeds its starter catalogue into its *own* engine, and the audit log writes
# through `app.state.sessionmaker`, not through `get_db`. The app then runs on two databases:

# %%
engine = make_engine("sqlite://")
Base.metadata.create_all(engine)
own_sessions = make_sessionmaker(engine)


def get_test_db():
    with own_sessions() as session:
        yield session


split = forge.main.create_app()
split.dependency_overrides[get_db] = get_test_db
with TestClient(split) as client:
    print("items the routes see (test engine):   ", len(client.get("/forge/items").json()))
    with client.app.state.sessionmaker() as lifespan_db:
        print("items the lifespan seeded (its engine):", len(lifespan_db.scalars(select(Item)).all()))
engine.dispose()

# %% [markdown]
# Neither database is wrong; the test just has to know which one it is looking at. In forge,
# the cleanest way to change the database for a whole app is the factory:
# `create_app(Settings(database_url=...))` (for example a file under pytest's `tmp_path`), so that
# the lifespan, `get_db` and the audit log all use it.

# %% [markdown]
# ## What the article gets wrong
#
# Measured on the pinned versions:
#
# - **The structure section's `conftest.py`** yields `TestClient(app)` without `with`, so the
#   lifespan never runs, and its `db_session` comes from a helper it never defines. Enter the
#   client with `with`, and give both fixtures **one engine** (section 8). The file's first line,
#   a `//` comment, is a syntax error in Python.
# - **"No global state, no monkey-patching", "the architecture enforces isolation by default"**:
#   the structure removes the patching, not the global state, and enforces nothing. A
#   module-level app shares its overrides and `app.state` between tests; a factory called in each
#   test's fixture does not; a route that reads a global escapes both (sections 2 and 4).
# - **The interview answer on nested dependencies** says both that an override's inner
#   dependencies are resolved and that they are not. FastAPI resolves the override's own
#   signature: its `Depends()` run, the original's sub-dependencies don't, and a plain parameter
#   becomes a query parameter, 422 when missing (section 6). Its advice to override leaves is
#   sound.

# %% [markdown]
# ## Summary
#
# - Build the app in a **factory**, and call it in the client fixture: each test gets its own
#   overrides and `app.state`. What the factory reuses from module level (routers, caches,
#   global clients) is still shared.
# - Keep every `Depends()` target in a **dependencies module**: leaves that read `app.state`,
#   composites built on them. A route that reads configuration any other way can't be
#   configured by a test.
# - Test with settings **different from the defaults**, or a route that ignores them looks right.
# - **Factory argument** (`create_app(Settings(...))`): reaches everything, startup included.
#   **Override** of `get_settings`: reaches only per-request code, and hides the real leaf. Use
#   both, and let some tests run the real leaves.
# - **Depth**: overriding a leaf keeps the logic above it under test; overriding a composite
#   switches that logic off. An override's own `Depends()` are resolved; its plain parameters
#   become request parameters.
# - `conftest.py` at the test root, nested ones for parts of the tree; fixtures by name, no
#   imports, no tests inside.
# - Client fixture: `with TestClient(create_app(...)) as client: yield client`. Database fixture:
#   the **same engine** the app uses.

# %% [markdown]
# ## Your turn: exercise 11
#
# Open **`exercises/ex11_structure/ex11_structure.ipynb`**. You will configure forge for your
# tests, through the factory and through an override of `get_settings`, and test what must
# follow the configuration: the version the service reports, the secret its tokens are signed
# and checked with, how long they live, the administrator account it creates at startup, and
# what a token may and may not grant. The planted defects are places where forge stops
# following its configuration, or checks less than it should; only a suite that runs the real
# code with non-default settings will see them.
