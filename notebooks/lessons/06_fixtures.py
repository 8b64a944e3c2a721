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
# # Lesson 6 · Fixtures: write the set-up once
#
# Most tests of an API start the same way: build the app, start a client, create an account,
# log in. Copied into every test, that preparation buries what the test checks, and a change to
# it (a new setting, an override, a different login) has to be made in fifty places. Pytest's
# **fixtures** write it once: a test names what it needs as parameters, and pytest builds it,
# hands it over, and cleans it up afterwards.
#
# By the end of this lesson you will be able to:
#
# - turn repeated set-up into fixtures, with clean-up, and read their order with `--setup-show`;
# - fix the article's fixture that sets overrides and `return`s a client;
# - share fixtures through `conftest.py`, and choose a fixture's **scope**;
# - build fixtures on fixtures (client, account, auth headers), and factory fixtures for
#   several of a kind.
#
# Run the cells from top to bottom. A few cells **fail on purpose**; the text right before each
# of them says so. Sections headed *Deep dive* are optional: skip them on a first pass and come
# back for the depth.

# %%
import os

from graders.notebook import setup, show
setup()

# %% [markdown]
# ## 1. The same five lines in every test
#
# Three tests of forge's item routes, each written on its own. They pass. Read them and look
# for what each one actually checks.

# %%
# %%ipytest
import pytest
from fastapi.testclient import TestClient

from forge.main import create_app


def test_the_catalogue_lists_the_anvil():
    app = create_app()
    with TestClient(app) as client:
        response = client.get("/forge/items")
        assert "anvil" in [item["name"] for item in response.json()]


def test_a_created_item_can_be_fetched():
    app = create_app()
    with TestClient(app) as client:
        created = client.post("/forge/items", json={"name": "bellows", "price": 60}).json()
        assert client.get(f"/forge/items/{created['id']}").json()["name"] == "bellows"


def test_an_unknown_item_is_404():
    app = create_app()
    with TestClient(app) as client:
        assert client.get("/forge/items/999999").status_code == 404


# %% [markdown]
# The set-up is correct (a fresh app, started with `with`), but it is repeated, and the next
# change to it has to be repeated too. Move it into a **fixture**: a function decorated with
# `@pytest.fixture`. A test asks for a fixture by naming it as a parameter. Pytest then calls the
# fixture before the test, passes in what it `yield`s (or returns), and after the test runs the
# code after the `yield`, **whether the test passed or failed**.

# %%
# %%ipytest
@pytest.fixture
def client():
    with TestClient(create_app()) as client:
        yield client


def test_the_catalogue_lists_the_anvil(client):
    assert "anvil" in [item["name"] for item in client.get("/forge/items").json()]


def test_a_created_item_can_be_fetched(client):
    created = client.post("/forge/items", json={"name": "bellows", "price": 60}).json()
    assert client.get(f"/forge/items/{created['id']}").json()["name"] == "bellows"


def test_an_unknown_item_is_404(client):
    assert client.get("/forge/items/999999").status_code == 404


# %% [markdown]
# Each test now says only what it checks. And because the fixture is **function-scoped** (the
# default), every test still gets its own app, its own lifespan and its own in-memory database,
# exactly as before: the bellows created by the second test never reach the others.
#
# To watch pytest at work, run the tests with `--setup-show`. Every `SETUP` and `TEARDOWN` line
# is a fixture being built or cleaned up (`F` marks function scope), around each test:

# %%
# %%ipytest --setup-show
def test_the_catalogue_lists_the_anvil(client):
    assert "anvil" in [item["name"] for item in client.get("/forge/items").json()]


def test_an_unknown_item_is_404(client):
    assert client.get("/forge/items/999999").status_code == 404


# %% [markdown]
# Each test got its own `client`: set up before it, torn down after it. (The line
# `SETUP S event_loop_policy` belongs to pytest-asyncio, a plugin installed for this course's
# async lessons; `S` marks a session-scoped fixture, built once for the whole run.)

# %% [markdown]
# ## 2. Teardown: `yield` or `request.addfinalizer`
#
# There are two ways to give a fixture clean-up code:
#
# - **`yield`**: the code after `yield` is the teardown.
# - **`request.addfinalizer(function)`**: the fixture asks for pytest's built-in `request`
#   fixture and registers a function to call at teardown. It can register several, at any point.
#
# Both run when the **test** fails. The cell below records what happens around a test whose body
# fails. **This cell fails on purpose** (`1 failed`); the record, printed by the next cell, is the
# interesting part.

# %% tags=["raises-exception"]
# %%ipytest --tb=no
events: list[str] = []


@pytest.fixture
def with_yield():
    events.append("yield fixture: set up")
    yield
    events.append("yield fixture: torn down")


@pytest.fixture
def with_finalizer(request):
    events.append("finalizer fixture: set up")
    request.addfinalizer(lambda: events.append("finalizer fixture: torn down"))


def test_body_fails(with_yield, with_finalizer):
    events.append("test body: fails")
    assert False


# %% [markdown]
# **Predict, then run.** `test_body_fails` set up `with_yield` first and `with_finalizer` second.
# In the record that the next cell prints, which of their two teardowns comes first? Decide, then
# run the cell.

# %%
print("\n".join(events))

# %% [markdown]
# The failing test still got both teardowns, in **reverse order** of set-up: pytest tears down
# last-in, first-out, so a fixture is cleaned up before the fixtures it depends on.
#
# The two forms differ only when the **fixture itself** fails halfway through its set-up: a
# `yield` fixture that raises before its `yield` never runs its teardown, while a finalizer
# registered before the failure still runs. So prefer `yield`, and give each resource its own
# fixture. The deep dive below shows the difference.

# %% [markdown]
# ### Deep dive: when the set-up itself fails
#
# *Optional: which clean-up still runs when a fixture fails halfway; skip it on a first pass.*
#
# Two fixtures get a first resource and then fail on the second. **This cell fails on purpose.**
# Expect `2 errors` (a failure in a fixture is reported as an *error*, not a test failure).

# %% tags=["raises-exception"]
# %%ipytest --tb=no
events.clear()


@pytest.fixture
def two_resources_with_yield():
    events.append("yield fixture: first resource acquired")
    raise ConnectionError("second resource unavailable")
    yield                                                  # never reached
    events.append("yield fixture: first resource released")  # never runs


@pytest.fixture
def two_resources_with_finalizer(request):
    events.append("finalizer fixture: first resource acquired")
    request.addfinalizer(lambda: events.append("finalizer fixture: first resource released"))
    raise ConnectionError("second resource unavailable")


def test_set_up_fails_with_yield(two_resources_with_yield):
    pass


def test_set_up_fails_with_finalizer(two_resources_with_finalizer):
    pass


# %%
print("\n".join(events))

# %% [markdown]
# The `yield` fixture that failed in set-up **never released** its first resource; the finalizer
# fixture did. So `yield` is the clearer form, and it is fine while nothing can fail between
# acquiring a resource and `yield`. When a fixture acquires several things, either give each its
# own fixture (each then has its own teardown), wrap the rest of the set-up in `try`/`finally`, or
# register a finalizer right after each acquisition.

# %% [markdown]
# ## 3. The article's fixture: `return TestClient(app)`
#
# The article's fixture sets two dependency overrides on the module-level `app` and then
# `return`s `TestClient(app)`. Two things are missing:
#
# - **No teardown.** A `return` fixture has no place for clean-up, so the overrides stay on the
#   app after the test, for every later test that uses the same `app` object, whether or not it
#   asks for the fixture (lesson 2 is about this leak).
# - **No `with`.** The client is never entered, so the lifespan never runs (lesson 1). On forge
#   that means no database.
#
# Here it is on forge's module-level `forge.main.app`, with a test-settings override standing in
# for the article's mocks. **This cell fails on purpose.** Expect `2 failed, 1 passed`: the item
# route answers 500 because startup never ran, and the last test, which doesn't use the fixture,
# still sees the fixture's test version.

# %%
import forge.main
from forge.config import Settings
from forge.dependencies import get_settings

forge_app = forge.main.app
TEST_SETTINGS = Settings(version="0.0.0-test")


# %% tags=["raises-exception"]
# %%ipytest --tb=line --show-capture=no
@pytest.fixture
def article_client():
    forge_app.dependency_overrides[get_settings] = lambda: TEST_SETTINGS
    return TestClient(forge_app)


def test_health_reports_the_test_version(article_client):
    assert article_client.get("/forge/health").json()["version"] == "0.0.0-test"


def test_the_catalogue_is_there(article_client):
    assert article_client.get("/forge/items").status_code == 200


def test_a_plain_client_reports_the_real_version():
    with TestClient(forge_app) as client:
        assert client.get("/forge/health").json()["version"] == forge_app.state.settings.version


# %%
print("left on forge.main.app:", forge_app.dependency_overrides)
forge_app.dependency_overrides.clear()

# %% [markdown]
# The repair is two lines: enter the client with `with` and `yield` it, and clear the overrides
# after the `yield`. The same three tests then pass.

# %%
# %%ipytest --tb=line
@pytest.fixture
def article_client():
    forge_app.dependency_overrides[get_settings] = lambda: TEST_SETTINGS
    with TestClient(forge_app) as client:          # runs the lifespan
        yield client
    forge_app.dependency_overrides.clear()         # runs even when the test fails


def test_health_reports_the_test_version(article_client):
    assert article_client.get("/forge/health").json()["version"] == "0.0.0-test"


def test_the_catalogue_is_there(article_client):
    assert article_client.get("/forge/items").status_code == 200


def test_a_plain_client_reports_the_real_version():
    with TestClient(forge_app) as client:
        assert client.get("/forge/health").json()["version"] == forge_app.state.settings.version


# %% [markdown]
# Better still, don't share the app at all: `create_app(TEST_SETTINGS)` builds a new app with its
# own override dict for each test, so nothing can leak into the next one (lesson 2: an app per
# test). The fixtures in the rest of this lesson do that.

# %% [markdown]
# ## 4. `conftest.py`: fixtures for a whole directory
#
# Fixtures defined in a test module serve that module. To share them, put them in a file named
# **`conftest.py`**. Pytest loads every `conftest.py` from the root of the run down to each test's
# directory, and their fixtures are available to every test in that directory and below it,
# **without an import**. (Lesson 11 shows a layout with several of them, and how a nearer one
# overrides a fixture by name.)
#
# A `conftest.py` is for fixtures and hooks, **not for tests**: pytest collects tests only from
# files that match `test_*.py` or `*_test.py`. The article's fixture example puts its test
# function inside `conftest.py` and shows it passing; pytest never runs it, and reports "no tests
# ran" (exit code 5). Its first line, `// io.thecodeforge — python tutorial`, is not Python
# either: in a `conftest.py` it stops the whole run before a single test. (The deep dive below
# runs both.)

# %% [markdown]
# ### Deep dive: the article's `conftest.py`, run by pytest
#
# *Optional: the claims above, checked by running pytest in a separate process; skip it on a first
# pass.*
#
# The cell below writes a small project to a temporary directory and runs pytest on it in a
# separate process, three times:
#
# 1. the article's layout: fixtures **and** the test in `conftest.py`;
# 2. the repaired layout: the test moved to `test_items.py`, which imports no fixture;
# 3. the article's file as published, whose first line is `// io.thecodeforge — python tutorial`.

# %%
import subprocess
import sys
import tempfile
import textwrap
from pathlib import Path

CONFTEST = '''
    import pytest
    from fastapi.testclient import TestClient

    from forge.main import create_app


    @pytest.fixture
    def client():
        with TestClient(create_app()) as client:
            yield client
'''
TEST = '''
    def test_creating_an_item_answers_201(client):
        assert client.post("/forge/items", json={"name": "bellows", "price": 60}).status_code == 201
'''


def run_pytest(files: dict[str, str], *args: str) -> tuple[int, list[str]]:
    """Write `files` to a fresh directory and run pytest there in a new process, with no plugins
    and no settings from this notebook. Return its exit code and the lines of its report."""
    unwanted = ("PYTEST_", "FORCE_COLOR", "PY_COLORS", "CLICOLOR")
    env = {key: value for key, value in os.environ.items() if not key.startswith(unwanted)}
    env["PYTEST_DISABLE_PLUGIN_AUTOLOAD"] = "1"
    with tempfile.TemporaryDirectory() as project:
        for name, text in files.items():
            Path(project, name).write_text(textwrap.dedent(text).lstrip())
        run = subprocess.run([sys.executable, "-m", "pytest", "-q", "--color=no", "-p", "no:cacheprovider", *args],
                             cwd=project, capture_output=True, text=True, env=env, timeout=300)
    return run.returncode, (run.stdout + run.stderr).strip().splitlines()


code, report = run_pytest({"conftest.py": CONFTEST + TEST})
print(f"1. the test inside conftest.py:  {report[-1]}  (exit code {code})")

code, report = run_pytest({"conftest.py": CONFTEST, "test_items.py": TEST})
print(f"2. the test in test_items.py:    {report[-1]}  (exit code {code})")

code, report = run_pytest({"conftest.py": "// io.thecodeforge — python tutorial\n" + textwrap.dedent(CONFTEST),
                           "test_items.py": TEST})
print(f"3. the article's first line:     {report[0]}  (exit code {code})")
print("  ", report[-1].removeprefix("E").strip())

# %% [markdown]
# 1. With the test in `conftest.py`, pytest finds **no tests** and exits with code 5. Nothing
#    passed, because nothing ran: the "PASSED" in the article's output can't happen.
# 2. In `test_items.py` the same test runs and passes, using `client` from `conftest.py` with no
#    import.
# 3. The article's header line is not Python. In a test module it would break that module; in a
#    `conftest.py` it stops the **whole run** before a single test (exit code 4).

# %% [markdown]
# ## 5. Scope: how long a fixture lives
#
# A fixture's `scope` says how long one instance is kept:
#
# | scope | built once per | typical use |
# | --- | --- | --- |
# | `"function"` (default) | test | anything a test can change: a client with its app and database, an account |
# | `"class"` | test class | grouping tests that share one arrangement |
# | `"module"` | test file | expensive, read-only things used by one file |
# | `"package"` | directory (package) | the same, for a directory |
# | `"session"` | whole run | expensive, read-only things: a database server's engine, a compiled schema |
#
# A wider scope is faster, because the set-up runs less often: a function-scoped client starts
# forge (its lifespan, its tables, its starter catalogue) for every test (the deep dive at the end
# of this section measures it). The price of the wider
# scope is **sharing**. With one client for the module, all its tests share forge's lifespan
# state: one in-memory database, one outbox of sent mail. Below, the first test adds an item and
# the second expects the starter catalogue of three. Each passes alone. **This cell fails on
# purpose.** Expect `1 failed, 1 passed`: the second test finds four items.

# %% tags=["raises-exception"]
# %%ipytest --tb=line
@pytest.fixture(scope="module")
def shared_client():
    with TestClient(create_app()) as client:
        yield client


def test_a_new_item_is_listed(shared_client):
    shared_client.post("/forge/items", json={"name": "bellows", "price": 60})
    assert "bellows" in [item["name"] for item in shared_client.get("/forge/items").json()]


def test_the_catalogue_starts_with_three_items(shared_client):
    assert len(shared_client.get("/forge/items").json()) == 3


# %% [markdown]
# The test that fails is not wrong; the arrangement is. Such a suite passes or fails depending on
# which tests run and in what order (`pytest -k`, `pytest --lf`, a random-order plugin such as
# `pytest-randomly`, a new test added in between). Choose the scope by what the fixture holds:
#
# - something tests **change** (an app with its database, an account, an override): function
#   scope, and pay the start-up;
# - something **expensive and never changed** (an engine for a database server, a large read-only
#   data set, a JWT signing key): a wider scope;
# - when start-up really hurts, split the fixture: a wide-scoped expensive part and a
#   function-scoped part that resets what tests change (for example a transaction rolled back
#   after each test, or the rows deleted).
#
# One rule about mixing scopes: a fixture may only use fixtures of the **same or a wider**
# scope. A session-scoped fixture that asks for a function-scoped one is an error, because the
# function-scoped value would be gone after the first test. **This cell fails on purpose**, with
# an *error* (not a failure) that names the two fixtures: `ScopeMismatch`.

# %% tags=["raises-exception"]
# %%ipytest --tb=line
@pytest.fixture
def custom_settings():
    return Settings(version="0.0.0-test")


@pytest.fixture(scope="session")
def session_client(custom_settings):
    with TestClient(create_app(custom_settings)) as client:
        yield client


def test_health_answers(session_client):
    assert session_client.get("/forge/health").status_code == 200


# %% [markdown]
# ### Deep dive: what a wider scope saves, measured
#
# *Optional: the speed of three scopes, timed in separate pytest runs; skip it on a first pass. It
# uses `run_pytest` from the deep dive in section 4: run that one first.*
#
# The article claims that a fixture-managed client "speeds up test suites"; whether it does
# depends entirely on the scope. The cell below measures it: 200 one-request tests against forge,
# with the client fixture at three scopes, each in a fresh pytest process. (Numbers vary with the
# machine and its load; compare the rates with each other.)

# %%
import re

SCOPED_CONFTEST = '''
    import pytest
    from fastapi.testclient import TestClient

    from forge.main import create_app


    @pytest.fixture(scope=SCOPE)
    def client():
        with TestClient(create_app()) as client:
            yield client
'''
MANY_TESTS = '''
    import pytest


    @pytest.mark.parametrize("n", range(200))
    def test_the_catalogue_answers(client, n):
        assert client.get("/forge/items").status_code == 200
'''

for scope in ("function", "module", "session"):
    timings = []
    for _ in range(3):  # the best of three: one run on a busy machine can be off by a lot
        code, report = run_pytest({"conftest.py": SCOPED_CONFTEST.replace("SCOPE", repr(scope)),
                                   "test_many.py": MANY_TESTS})
        passed, seconds = re.search(r"(\d+) passed in ([\d.]+)s", report[-1]).groups()
        timings.append(float(seconds))
    best = min(timings)
    print(f"scope={scope:9} {passed} tests in {best:5.2f} s (best of 3)  ->  {int(passed) / best:4.0f} tests/s")

# %% [markdown]
# A function-scoped client starts forge for every test: a new event-loop thread, the lifespan,
# `create_all` and the starter catalogue. That is the slow option. With a wider scope forge starts
# once (per file, or per run), and the tests run at the speed of their requests alone. Module and
# session scope do the same work here, since everything sits in one file: any difference between
# their two lines is noise, which is why each line is the best of three runs. Measured on a
# two-core machine with a trivial app (no database), the course's research found the same
# pattern: 75 to 184 tests per second with a function-scoped client, 180 to 309 with a
# session-scoped one. A real app's start-up costs more than a trivial one's, so the gap grows.

# %% [markdown]
# ## 6. Fixtures built on fixtures
#
# A fixture can request other fixtures, exactly as a test does. That is how set-up composes:
# a client, then an account registered through that client, then the auth headers of that
# account. A test that needs a signed-in user requests only the last link, and pytest builds the
# chain.
#
# The demo app below is a tiny workshop service with its own sign-up, log-in and private notes
# (forge's versions of these are the subject of the exercise). `make_workshop()` builds a new one,
# with empty storage, each time.

# %%
import secrets

from fastapi import Depends, FastAPI, Header, HTTPException, status
from pydantic import BaseModel


class Credentials(BaseModel):
    name: str
    password: str


class Note(BaseModel):
    text: str


def make_workshop() -> FastAPI:
    app = FastAPI()
    passwords: dict[str, str] = {}
    sessions: dict[str, str] = {}          # token -> name
    notes: dict[str, list[str]] = {}

    @app.post("/signup", status_code=status.HTTP_201_CREATED)
    def sign_up(who: Credentials):
        if who.name in passwords:
            raise HTTPException(status.HTTP_409_CONFLICT, "name taken")
        passwords[who.name] = who.password
        return {"name": who.name}

    @app.post("/login")
    def log_in(who: Credentials):
        if passwords.get(who.name) != who.password:
            raise HTTPException(status.HTTP_401_UNAUTHORIZED, "wrong name or password")
        token = secrets.token_hex(8)
        sessions[token] = who.name
        return {"token": token}

    def signed_in(authorization: str = Header("")) -> str:
        name = sessions.get(authorization.removeprefix("Bearer "))
        if name is None:
            raise HTTPException(status.HTTP_401_UNAUTHORIZED, "not signed in")
        return name

    @app.get("/me")
    def me(name: str = Depends(signed_in)):
        return {"name": name}

    @app.post("/notes", status_code=status.HTTP_201_CREATED)
    def add_note(note: Note, name: str = Depends(signed_in)):
        notes.setdefault(name, []).append(note.text)
        return {"text": note.text}

    @app.get("/notes")
    def my_notes(name: str = Depends(signed_in)):
        return notes.get(name, [])

    return app


# %% [markdown]
# The chain, and two tests that use it: `workshop`, then `registered_user` (which uses it), then
# `auth_headers` (which uses both).

# %% [markdown]
# **Predict, then run.** The first test asks for `workshop` itself, and so do `registered_user`
# and `auth_headers`. How many `SETUP    F workshop` lines will `--setup-show` print for that
# test? Decide, then run the cell.

# %%
# %%ipytest --setup-show
@pytest.fixture
def workshop():
    with TestClient(make_workshop()) as client:
        yield client


@pytest.fixture
def registered_user(workshop):
    user = {"name": "ada", "password": "analytical-engine"}
    assert workshop.post("/signup", json=user).status_code == 201
    return user


@pytest.fixture
def auth_headers(workshop, registered_user):
    response = workshop.post("/login", json=registered_user)
    assert response.status_code == 200
    return {"Authorization": f"Bearer {response.json()['token']}"}


def test_me_is_the_signed_in_user(workshop, auth_headers, registered_user):
    assert workshop.get("/me", headers=auth_headers).json() == {"name": registered_user["name"]}


def test_a_new_user_has_no_notes(workshop, auth_headers):
    assert workshop.get("/notes", headers=auth_headers).json() == []


# %% [markdown]
# Two facts make this work:
#
# - **Within one test, each fixture is built once.** `registered_user`, `auth_headers` and the
#   test all receive the *same* `workshop` client, so the account that `registered_user` created
#   is there when `auth_headers` logs in and when the test sends its request.
# - **The test asks only for what it uses.** `test_a_new_user_has_no_notes` doesn't mention
#   `registered_user`; pytest builds it anyway, because `auth_headers` needs it.
#
# Fixtures that `assert` on their own requests (`== 201`, `== 200`) are worth the line: when
# sign-up breaks, the report says so in the fixture, instead of as a puzzling 401 in every test.
#
# ### When a test needs two of a kind: factory fixtures
#
# A fixture gives one value per test. A test about privacy needs *two* users. Instead of
# `registered_user_1` and `registered_user_2`, write a fixture that returns a **function**, and
# let the test call it as often as it needs. The factory still gets the test's client from
# pytest, and can still clean up after itself.

# %%
# %%ipytest
@pytest.fixture
def signed_in_user(workshop):
    """A factory: signed_in_user(name) signs a user up, logs them in and returns their headers."""
    def make(name: str) -> dict:
        user = {"name": name, "password": f"{name}-password"}
        assert workshop.post("/signup", json=user).status_code == 201
        token = workshop.post("/login", json=user).json()["token"]
        return {"Authorization": f"Bearer {token}"}
    return make


def test_notes_are_private(workshop, signed_in_user):
    ada, charles = signed_in_user("ada"), signed_in_user("charles")
    workshop.post("/notes", json={"text": "buy more brass"}, headers=ada)
    assert workshop.get("/notes", headers=ada).json() == ["buy more brass"]
    assert workshop.get("/notes", headers=charles).json() == []


def test_notes_need_a_sign_in(workshop):
    assert workshop.post("/notes", json={"text": "anonymous"}).status_code == 401


# %% [markdown]
# A few more fixture tools, in one line each:
#
# - `@pytest.fixture(autouse=True)` applies a fixture to every test in its scope without being
#   requested; the safety net that clears `dependency_overrides` after every test is one (lesson
#   2).
# - `@pytest.fixture(params=[...])` runs every test that uses the fixture once per value
#   (`request.param`); lesson 4 used it to try two engine settings with one test.
# - `pytest --fixtures` lists every fixture a directory can use, with its docstring and the file
#   it comes from.
#
# ## What the article gets wrong
#
# - **A test written inside `conftest.py`, shown as passing**: pytest doesn't collect tests from
#   `conftest.py`. The run reports "no tests ran" (exit code 5).
# - **`return TestClient(app)` after setting overrides**: the overrides are never removed and
#   leak into later tests, and the lifespan never runs. Enter the client with `with`, `yield` it,
#   and clear the overrides after the `yield`; or build a fresh app per test.
# - **"A fixture-scoped client speeds up test suites"**: a function-scoped client fixture is the
#   *slow* option, since it restarts the app for every test. Only a wider scope saves time, and it
#   shares the app's state between tests.
# - **"No more stale client instances that don't have the latest dependency override"**: a
#   client holds no copy of the overrides; FastAPI reads `app.dependency_overrides` on every
#   request (lesson 2). A fixture saves you from repetition and, with a teardown, from overrides
#   that outlive their test.
# - **The `// io.thecodeforge` first line**: not Python. In `conftest.py` it aborts the whole run.
#
# What it gets right: put shared fixtures in `conftest.py`, where pytest finds them with no
# import, and stop building a client in every test.
#
# ## Summary
#
# - A fixture is set-up written once: tests request it by parameter name; pytest builds it per
#   test (by default), passes its value, and runs its teardown afterwards, pass or fail.
# - Teardown: code after `yield`, or functions registered with `request.addfinalizer`; they run
#   in reverse order of set-up. If a fixture fails in its set-up, a finalizer registered before
#   the failure still runs; the code after its `yield` does not.
# - A client fixture enters the client with `with` and yields it; a fixture that sets overrides
#   clears them after the `yield`. Never `return TestClient(app)` after changing the app.
# - `conftest.py` shares fixtures with its directory and below, no import needed. Tests go in
#   `test_*.py` files, never in `conftest.py`.
# - Scope trades isolation for speed: module or session scope is faster and shares the app's
#   state. Widen only what tests never change. A fixture can use only fixtures of the same or a
#   wider scope.
# - Compose fixtures (client, then account, then headers); use a factory fixture when a test
#   needs several accounts. `--setup-show` shows what pytest built, and in which order.

# %% [markdown]
# ## Your turn: exercise 6
#
# Open **`exercises/ex06_fixtures/ex06_fixtures.ipynb`**. It asks you to test forge's accounts
# (`/forge/users/me`, `/forge/users/{id}`) and its administrator's pages (the dashboard and the
# audit log). Nearly every test needs a started app, registered accounts, their tokens and the
# administrator's token: build those as fixtures, keep every test independent of the others, and
# let each test say only what it checks.
