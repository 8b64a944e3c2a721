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
# # Lesson 12 · The phantom row: an incident, a debug guide and the usual mistakes
#
# The article ends with a post-mortem: a test user, `admin_test`, turns up on a staging server,
# and the culprit, it says, was a dependency override that a test never removed. This lesson
# keeps what is true in that story and turns it into practice. By the end you will be able to:
#
# - reproduce a leaked override and say what it can do (make later tests lie) and what it can't
#   (write to another database);
# - say how a test row really reaches a shared database, and stop it;
# - run a suite in another order without a plugin, read `--setup-show`, print what each test
#   leaves in `app.dependency_overrides`, and track a polluted test down to its polluter.
#
# Some cells **fail on purpose**; the text before each of them says so. Sections headed *Deep
# dive* (the incident replayed, xdist, the article's debug guide, cheat sheet and common
# mistakes) are optional: skip them on a first pass and come back for the depth.

# %%
from graders.notebook import setup, show
setup()

# %% [markdown]
# ## 1. The incident, as the article tells it
#
# - **What was seen.** A made-up account, `admin_test`, with an impossible email address, turned
#   up in a shared staging database. People suspected an intrusion; a release was pulled back.
# - **Why nobody expected it.** The suite ran against SQLite in memory.
# - **The article's explanation.** (a) A test module left an entry in
#   `app.dependency_overrides`, so later modules ran with it; (b) a test wrote through the
#   overridden session and a badly configured session factory "carried the write through" to
#   the real database. It gives no code for (b).
# - **The article's remedies.** Clear overrides around every test, open every `TestClient` with
#   `with`, build the session factory in a fixture, reset global state from `conftest.py`.
#
# Step (a) is real and common: section 2 reproduces it on forge. Step (b) can't happen the way
# it's told; section 3 says why, and what really puts a test's row into a shared database.

# %% [markdown]
# ## 2. A leaked override, reproduced
#
# Forge's module-level app, `forge.main.app`, is one object shared by every test that imports it.
# The first test below signs in a fake administrator called `admin_test` by overriding
# `get_current_user`, and removes the override on its last line, as the article's tests do. Its
# expectation is wrong (the fake admin isn't a row in the database, so the dashboard counts 0
# users, not 1), so the assertion fails and the clean-up never runs. The second test is correct:
# a request without a token must get 401.
#
# **This cell fails on purpose.** Expect `2 failed`. Read the second failure's message: the
# response carries a user that this test never created, `admin_test` with the address
# `admin_test@`. That is the phantom, in a test that has nothing to do with it.

# %% tags=["raises-exception"]
# %%ipytest --tb=line
import pytest
from fastapi.testclient import TestClient

from forge.dependencies import get_current_user
from forge.main import app as forge_app
from forge.models import User


def test_admin_sees_the_dashboard():
    forge_app.dependency_overrides[get_current_user] = lambda: User(
        id=1, username="admin_test", email="admin_test@", role="admin")
    with TestClient(forge_app) as client:
        response = client.get("/forge/admin/dashboard")
        assert response.json() == {"users": 1, "items": 3}   # wrong: the fake admin is no row
    forge_app.dependency_overrides.clear()                    # never reached


def test_who_am_i_without_a_token():
    with TestClient(forge_app) as client:
        response = client.get("/forge/users/me")
    assert response.status_code == 401, response.json()


# %% [markdown]
# The second test failed because the first one's override is still on the app: every later
# request of this process is signed in as `admin_test`. It lies the other way round too: a test
# that *should* fail (a route that forgot its permission check) passes, because the fake admin
# is allowed everywhere.
#
# Where is the phantom stored? Nowhere: it is the return value of a lambda in a dict. The
# database behind the app has no users at all:

# %%
from sqlalchemy import func, select


def override_names(app) -> list[str]:
    return sorted(dependency.__name__ for dependency in app.dependency_overrides)


print("left on forge.main.app:", override_names(forge_app))
with TestClient(forge_app) as client:
    with forge_app.state.sessionmaker() as db:
        print("rows in the users table:", db.scalar(select(func.count(User.id))))
    print("GET /forge/users/me without a token:", client.get("/forge/users/me").json())

forge_app.dependency_overrides.clear()   # tidy up the kernel for the rest of the lesson

# %% [markdown]
# ## 3. Where the phantom row really came from
#
# `app.dependency_overrides` is an ordinary dict in the memory of the test process. It holds
# functions, not connections. Within one pytest run it travels from one test file to the next
# (every module imports the same `app`); when pytest exits, it is gone. It cannot move a row from
# a fake session into a real database: the fake session is connected to nothing, and a real
# session writes where its engine points, override or not.
#
# For a row to land in staging, the test process must hold a connection to staging, and the
# usual way is configuration. Forge reads its database URL from the environment:

# %%
import forge.config

show(forge.config.Settings.from_env)

# %% [markdown]
# `forge.main` builds its module-level `app` with `create_app()`, which calls
# `Settings.from_env()` at import time. So `FORGE_DATABASE_URL` in the shell that runs pytest
# decides where *every test using `forge.main.app`* writes. A CI job that exports the staging URL
# for its deploy step and runs the tests in the same job points the suite at staging. No
# override needed. (Section 5, a deep dive, replays this.) The fixes are in configuration:
#
# - **Tests build their own settings.** `create_app(Settings())` uses the defaults, an
#   in-memory database, whatever the environment says.
# - **The suite refuses a shared database.** A `pytest_configure` hook in `conftest.py` raises
#   `pytest.UsageError` when `FORGE_DATABASE_URL` is not an in-memory URL: no test runs.
# - **CI's test step gets an environment without deploy credentials.**
#
# "We use an in-memory database in tests" is a property of your configuration, and holds only
# if nothing else can change it. Check it, don't assume it. Overrides, separately, belong in
# fixture teardown (section 4).

# %% [markdown]
# ## 4. Order dependence: make it show on purpose
#
# A leaked override is one kind of **test pollution**: a test leaves something behind, and a
# later test depends on it, without either saying so. Rows in a shared database, objects on
# `app.state`, module-level variables and routes added at run time are others. All of them hide
# as long as the tests run in the order they were written, the order in which they were made to
# pass. To find them, change the order on purpose.
#
# Two helpers first: `run_pytest` runs pytest on a folder in a fresh process, as CI would, and
# `report` prints the lines that matter.

# %%
import os
import re
import subprocess
import sys
import tempfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path


def clean_environment(**extra: str) -> dict[str, str]:
    """This kernel's environment without forge's or pytest's settings (nor the kernel's request
    for coloured output), plus `extra`."""
    unwanted = ("FORGE_", "PYTEST_", "FORCE_COLOR", "CLICOLOR", "PY_COLORS")
    env = {k: v for k, v in os.environ.items() if not k.startswith(unwanted)}
    return {**env, **extra}


def run_pytest(folder: Path, *args: str, **env: str) -> subprocess.CompletedProcess:
    """Run pytest on `folder` in a fresh Python process, as CI would."""
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", *args],
        cwd=folder, capture_output=True, text=True,     # no plugins: a quicker start-up
        env=clean_environment(PYTEST_DISABLE_PLUGIN_AUTOLOAD="1", **env))


def report(done: subprocess.CompletedProcess, keep=lambda line: True) -> None:
    """Print the command and the lines of its output that `keep` selects."""
    print("$ pytest", " ".join(done.args[5:]))
    for line in (done.stdout + done.stderr).splitlines():
        if line.strip() and keep(line):
            print("   ", re.sub(r" \(fixtures used: [^)]*\)", "", line))
    print()


def run_pytests(folder: Path, *runs: list[str]) -> list[subprocess.CompletedProcess]:
    """Several independent runs of `run_pytest` at once: the same results, sooner."""
    with ThreadPoolExecutor() as pool:
        return list(pool.map(lambda args: run_pytest(folder, *args), runs))

# %% [markdown]
# Here is a small suite for forge's catalogue, written the way many real suites start: one
# module-scoped client, so one database for all tests, and a last test that sets a fake session
# and never removes it.
#
# **Predict, then run.** Run in the order it is written, how many of its five tests pass?
# Decide, then run the cell.

# %%
suite_dir = tempfile.TemporaryDirectory(prefix="order-")
suite = Path(suite_dir.name)
(suite / "test_catalogue.py").write_text('''
import pytest
from fastapi.testclient import TestClient

from forge.dependencies import get_db
from forge.main import app
from forge.models import Item


class OneItemSession:
    """A fake session for the item page: every id is the same test item."""

    def get(self, model, ident):
        return Item(id=ident, name="test anvil", price=1.0)


@pytest.fixture(scope="module")
def client():
    with TestClient(app) as client:     # one start-up, one database, for the whole module
        yield client


def names(client):
    return sorted(item["name"] for item in client.get("/forge/items").json())


def test_first_item_is_the_anvil(client):
    assert client.get("/forge/items/1").json()["name"] == "anvil"


def test_catalogue_starts_with_the_starter_items(client):
    assert names(client) == ["anvil", "hammer", "tongs"]


def test_create_an_item(client):
    assert client.post("/forge/items", json={"name": "rasp", "price": 7.5}).status_code == 201


def test_new_item_is_listed(client):
    assert "rasp" in names(client)


def test_item_page_with_a_fake_session(client):
    app.dependency_overrides[get_db] = lambda: OneItemSession()
    assert client.get("/forge/items/99").json()["name"] == "test anvil"
''')
report(run_pytest(suite, "-q", "test_catalogue.py"))

# %% [markdown]
# Five green tests. To run them in another order you need no plugin:
#
# - **Name the tests.** pytest runs node ids given on the command line in the order you give
#   them: `pytest test_catalogue.py::test_b test_catalogue.py::test_a` runs `test_b` first.
# - **Reorder in a hook.** `pytest_collection_modifyitems` receives the collected tests and may
#   reorder them in place. Put it in a small plugin module, loaded with `-p` only when you want
#   it (in a `conftest.py` it would reorder every run).
#
# The plugin `pytest-randomly` does the second properly: it shuffles every run, prints its seed,
# replays an order with `--randomly-seed=N`, and `-p no:randomly` switches it off. It isn't
# installed here, so here is a twenty-line stand-in, and a probe that prints the overrides:

# %%
import importlib.util

print("pytest-randomly installed:", importlib.util.find_spec("pytest_randomly") is not None)

(suite / "reorder.py").write_text('''
"""Run the tests in another order: pytest -p reorder --order=reverse, or --order=SEED."""
import random


def pytest_addoption(parser):
    parser.addoption("--order", default=None, help="reverse, or an integer seed for a shuffle")


def pytest_collection_modifyitems(config, items):
    order = config.getoption("order")
    if order == "reverse":
        items.reverse()
    elif order is not None:
        random.Random(int(order)).shuffle(items)   # the same seed gives the same order
''')

(suite / "overrides_probe.py").write_text('''
"""Print what each test leaves in forge's app.dependency_overrides (use it with -s)."""
import pytest


@pytest.fixture(autouse=True)
def print_overrides_in_teardown():
    yield
    from forge.main import app
    left = sorted(dependency.__name__ for dependency in app.dependency_overrides)
    print(f" [teardown] overrides left: {left}")
''')
print("plugins written:", sorted(path.name for path in suite.glob("*.py") if not path.name.startswith("test_")))

# %% [markdown]
# Now the same five tests, shuffled with seed 2, with two debugging aids from the article's
# cheat sheet, both of which work as advertised:
#
# - `--setup-show` prints every fixture as it is set up and torn down, with its scope
#   (`F` function, `M` module, `S` session);
# - the probe plugin prints `app.dependency_overrides` in each test's teardown (`-s` lets the
#   print through).
#
# (The cheat sheet adds `-x`, stop at the first failure; while hunting pollution that hides the
# later failures, so it is left out.)

# %%
def compact(line: str) -> bool:
    """Keep the lines that matter in --setup-show output."""
    return "::" in line or "SETUP    M" in line or "TEARDOWN M" in line or "passed" in line


shuffled = run_pytest(suite, "-q", "-s", "--tb=no", "-rf", "--setup-show",
                      "-p", "reorder", "--order=2", "-p", "overrides_probe", "test_catalogue.py")
report(shuffled, keep=compact)

# %% [markdown]
# Two tests fail in this order, and the output already says a lot:
#
# - `SETUP M client` appears **once**, before the first test, and `TEARDOWN M client` after the
#   last: every test shares one started app and therefore one database. Any row a test creates
#   is there for all the tests that follow.
# - After `test_item_page_with_a_fake_session`, `get_db` stays in the overrides, and the tests
#   after it run against the fake session.
#
# Before blaming another test, check that the failing test passes **on its own**
# (`file::test`). A test that fails alone is simply broken, or depends on something only an
# earlier test provides.

# %% [markdown]
# **Predict, then run.** The next cell runs each of the two failing tests on its own. Will they
# pass alone, or fail as they did in the shuffled run? Decide, then run the cell.

# %%
victims = ["test_catalogue.py::test_first_item_is_the_anvil",
           "test_catalogue.py::test_catalogue_starts_with_the_starter_items"]
for alone in run_pytests(suite, *[["-q", "--tb=no", victim] for victim in victims]):
    report(alone, keep=lambda line: "passed" in line or "failed" in line)

# %% [markdown]
# Both pass alone, so both are polluted by something that ran before them. Here the output
# names the polluters: the fake session left in `get_db`, and, for
# `test_catalogue_starts_with_the_starter_items`, the only test that ran before it,
# `test_create_an_item`, whose `rasp` is still in the shared database. That is pollution through
# **rows**, with no override in sight.
#
# In a suite of a thousand tests you want a mechanical method: **bisection**. Run the first half
# of the tests that ran before the victim, then the victim; if it fails, the polluter is in that
# half, otherwise in the other. Repeat until one test is left. The tool `detect-test-pollution`
# automates exactly this.

# %% [markdown]
# ### Deep dive: bisecting to the polluter
#
# *Optional: bisection written out and run on the shuffled order; skip it on a first pass.*
#
# Each step is a pytest run with explicit node ids, in order. The function below is the idea in a
# dozen lines.

# %%
def victim_fails_after(before: list[str], victim: str) -> bool:
    done = run_pytest(suite, "-q", "--tb=no", "-rf", *before, victim)
    return f"FAILED {victim}" in done.stdout


def find_polluter(ran_before: list[str], victim: str) -> str:
    candidates = list(ran_before)
    while len(candidates) > 1:
        half = candidates[: len(candidates) // 2]
        guilty = victim_fails_after(half, victim)
        print(f"  {len(half)} of {len(candidates)} candidates, then the victim:",
              "victim fails" if guilty else "victim passes")
        candidates = half if guilty else candidates[len(half):]
    [polluter] = candidates
    assert victim_fails_after([polluter], victim), "no single polluter: look for a combination"
    return polluter


ran = [line.split()[0] for line in shuffled.stdout.splitlines()
       if line.strip().startswith("test_catalogue.py::")]
print("the shuffled order:", [test.split("::")[1] for test in ran])
victim = "test_catalogue.py::test_first_item_is_the_anvil"
culprit = find_polluter(ran[: ran.index(victim)], victim)
print("polluter of", victim.split("::")[1], "->", culprit.split("::")[1])

# %% [markdown]
# ### The repair
#
# Each test gets a fresh app from `create_app()`, so its own overrides, its own `app.state` and,
# through the lifespan, its own in-memory database. An override lives in a fixture that removes
# it in teardown. The test that needs an item creates it itself. Then every order works: the
# file order, the reverse, and the shuffle that failed before.

# %%
(suite / "test_catalogue.py").write_text('''
import pytest
from fastapi.testclient import TestClient

from forge.dependencies import get_db
from forge.main import create_app
from forge.models import Item


class OneItemSession:
    def get(self, model, ident):
        return Item(id=ident, name="test anvil", price=1.0)


@pytest.fixture
def app():
    app = create_app()                      # a new app per test: nothing shared
    yield app
    app.dependency_overrides.clear()        # runs whether the test passed or failed


@pytest.fixture
def client(app):
    with TestClient(app) as client:         # a new in-memory database per test
        yield client


@pytest.fixture
def fake_session(app):
    app.dependency_overrides[get_db] = lambda: OneItemSession()


def names(client):
    return sorted(item["name"] for item in client.get("/forge/items").json())


def test_first_item_is_the_anvil(client):
    assert client.get("/forge/items/1").json()["name"] == "anvil"


def test_catalogue_starts_with_the_starter_items(client):
    assert names(client) == ["anvil", "hammer", "tongs"]


def test_create_an_item(client):
    assert client.post("/forge/items", json={"name": "rasp", "price": 7.5}).status_code == 201


def test_new_item_is_listed(client):
    client.post("/forge/items", json={"name": "rasp", "price": 7.5})
    assert "rasp" in names(client)


def test_item_page_with_a_fake_session(client, fake_session):
    assert client.get("/forge/items/99").json()["name"] == "test anvil"
''')
for run in run_pytests(suite, *[["-q", "-p", "reorder", f"--order={order}", "test_catalogue.py"]
                                 for order in ("reverse", "2")]):
    report(run)

# %% [markdown]
# So when a test passes alone but fails in the suite, check in this order:
#
# 1. run the test alone (`file::test`): if it fails alone, it is not pollution;
# 2. run the suite in another order: which tests fail, and after which;
# 3. look at what the fixtures share (`--setup-show`: a module- or session-scoped client means
#    one database for all its tests) and at what each test leaves behind (a teardown probe);
# 4. find the polluter, then fix **the polluter's** clean-up, not the victim.

# %% [markdown]
# ## 5. Deep dive: the phantom row, reproduced
#
# *Optional: the incident replayed end to end, in fresh processes; skip it on a first pass.*
#
# First, an override dies with its process. The cell puts a fake user back on this kernel's
# `forge.main.app`, as section 2's failed test left it, and asks a brand-new Python process what
# its own `forge.main.app` holds.

# %%
from forge.dependencies import get_current_user
from forge.main import app as forge_app
from forge.models import User

forge_app.dependency_overrides[get_current_user] = lambda: User(
    id=1, username="admin_test", email="admin_test@", role="admin")
probe = ("from forge.main import app; "
         "print(sorted(d.__name__ for d in app.dependency_overrides))")
fresh = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True,
                       env=clean_environment())
print("this kernel's forge.main.app:", override_names(forge_app))
print("a new process's forge.main.app:", fresh.stdout.strip())

forge_app.dependency_overrides.clear()   # tidy up the kernel again

# %% [markdown]
# Now the real route to staging. A file-based SQLite database stands in for staging, and a test
# seeds an administrator through the app's own session factory (a common shortcut in fixtures).
# The test runs in a fresh pytest process whose environment has `FORGE_DATABASE_URL` set, as a
# CI job's would.

# %%
import sqlite3

incident_dir = tempfile.TemporaryDirectory(prefix="incident-")  # removed when the kernel ends
incident = Path(incident_dir.name)
staging = incident / "staging.db"
(incident / "test_dashboard.py").write_text('''
from fastapi.testclient import TestClient

from forge.main import app
from forge.models import User
from forge.security import hash_password


def test_admin_sees_the_dashboard():
    with TestClient(app) as client:
        with app.state.sessionmaker() as db:        # seed an admin through the app's sessions
            db.add(User(username="admin_test", email="admin_test@", role="admin",
                        password_hash=hash_password("s3cret-admin")))
            db.commit()
        login = client.post("/token", data={"username": "admin_test", "password": "s3cret-admin"})
        token = login.json()["access_token"]
        response = client.get("/forge/admin/dashboard", headers={"Authorization": f"Bearer {token}"})
        assert response.status_code == 200
''')

done = run_pytest(incident, "-q", FORGE_DATABASE_URL=f"sqlite:///{staging}")
report(done)
with sqlite3.connect(staging) as db:
    print("staging's users table after the test run:",
          db.execute("select id, username, email, role from users").fetchall())

# %% [markdown]
# The test passed, the process ended, and `admin_test` with its impossible address is now a row
# in "staging", exactly the symptom of the incident. (Run the suite a second time and it fails:
# the row from the first run is in the way of the unique username. That is another way the same
# mistake shows itself.)
#
# The two configuration fixes of section 3, run: `create_app(Settings())` ignores the
# environment, and a `conftest.py` stops the run before any test starts when the environment
# points somewhere it shouldn't:

# %%
from forge.config import Settings
from forge.main import create_app

print("Settings() ->", Settings().database_url, "| create_app(Settings()) ->",
      create_app(Settings()).state.settings.database_url)

(incident / "conftest.py").write_text('''
import os

import pytest

TEST_DATABASES = ("sqlite://", "sqlite:///:memory:")


def pytest_configure(config):
    url = os.environ.get("FORGE_DATABASE_URL", "sqlite://")
    if url not in TEST_DATABASES:
        raise pytest.UsageError(
            f"refusing to run: FORGE_DATABASE_URL points at {url}, not a test database")
''')
done = run_pytest(incident, "-q", FORGE_DATABASE_URL=f"sqlite:///{staging}")
report(done)
print("exit status:", done.returncode, "(4 = usage error: no test ran)")

# %% [markdown]
# ### The post-mortem, rewritten
#
# - **Root cause.** The test process was configured with the staging database URL (through the
#   environment it inherited), and a fixture seeded users through the app's own session factory.
#   A leaked override may well have existed too; it explains tests that passed or failed for the
#   wrong reason, not a row on another server.
# - **Fixes.** Build the app under test with explicit test settings; make the suite refuse any
#   shared database; give CI's test step an environment without deploy credentials. And,
#   separately, remove overrides in fixture teardown (section 4).
# - **Lesson.** "We use an in-memory database in tests" is a property of your configuration,
#   and only holds if nothing else can change that configuration.

# %% [markdown]
# ## 6. Deep dive: why pytest-xdist is not the tool for this
#
# *Optional: what xdist changes and what it doesn't, and a race that only concurrent requests
# show; skip it on a first pass.*
#
# The article advises running tests with pytest-xdist "to surface shared-state bugs", after a
# story about a middleware that shared one mutable object between requests and produced 401s
# "only under concurrent test runs". xdist runs tests in several **worker processes**. Each
# worker imports the app itself, so each has its own `app`, its own `dependency_overrides`, its
# own in-memory database (section 5 showed a new process starting clean). Inside a worker, tests
# still run one after another, and a test's `TestClient` requests go one at a time unless the
# test itself starts threads or concurrent tasks. So xdist adds no concurrency inside a process:
# state shared between requests races only when a test makes requests overlap (as below).
#
# What xdist does change is which tests share a process, and in what order they run there. A
# polluter and its victim may end up in different workers (the failure disappears), or a test may
# lose the earlier test it silently needed (a failure appears). That is order dependence, shown
# by accident and hard to replay. A deliberate reorder with a seed (section 4) shows the same
# thing on purpose, and the seed replays it.
#
# A bug like the article's middleware needs **concurrent requests to one app**. The app below has
# that bug: its middleware keeps the caller's name in a module-level dict, and the route reads it
# back after an `await`. One request at a time, which is all TestClient or any xdist worker ever
# does, the bug is invisible. Twenty requests at once, through an async client, expose it.

# %%
import asyncio

import httpx
from fastapi import FastAPI, Request
from fastapi.testclient import TestClient

shared = {}                                    # the bug: per-request data in a module-level dict
race = FastAPI()


@race.middleware("http")
async def remember_the_caller(request: Request, call_next):
    shared["caller"] = request.headers.get("X-User")
    return await call_next(request)


@race.get("/whoami")
async def whoami(request: Request):
    await asyncio.sleep(0.001)                 # any await lets another request run here
    return {"sent": request.headers.get("X-User"), "seen": shared["caller"]}


def mixed_up(answers: list[dict]) -> int:
    return sum(answer["sent"] != answer["seen"] for answer in answers)


with TestClient(race) as client:
    one_by_one = [client.get("/whoami", headers={"X-User": f"user{n}"}).json() for n in range(20)]
print("20 requests one after another:", mixed_up(one_by_one), "answers mixed up")

async with httpx.AsyncClient(transport=httpx.ASGITransport(app=race), base_url="http://test") as ac:
    together = await asyncio.gather(*(ac.get("/whoami", headers={"X-User": f"user{n}"})
                                      for n in range(20)))
print("20 requests at the same time: ", mixed_up([r.json() for r in together]), "answers mixed up")

# %% [markdown]
# ## 7. Deep dive: the debug guide, symptom by symptom
#
# *Optional: the article's five symptoms and their fixes, checked on the pinned versions; skip it
# on a first pass.*
#
# ### Symptom 1: a test passes alone but fails in the full suite
#
# The guide's diagnosis, leaking `dependency_overrides`, is the most common cause, and its fix
# is half right: an autouse fixture that clears the overrides *before* each test leaves the last
# test's overrides on the app (lesson 2 shows it); clear them *after* `yield`. But section 4
# showed that overrides are only one kind of pollution: follow its four checks.
#
# Forge has one more shared object worth knowing: `create_app()` puts an `Outbox` on
# `app.state.mailer`, so on the module-level app every test's mail piles up in the same list. A
# test that counts the mails it caused passes alone and fails after any other registration. An
# app per test, or a fake mailer per test, removes the problem.
#
# ### Symptom 2: "TestClient returns 500 with no request logs" → use `with`
#
# Without `with`, the lifespan never runs (lesson 1). What you get then is not a silent 500. A
# typical app raises the error straight into your test (the default client re-raises it):

# %%
from fastapi import FastAPI, Request
from fastapi.testclient import TestClient

from forge.config import Settings
from forge.main import create_app

plain = FastAPI()


@plain.get("/needs-startup")
def needs_startup(request: Request):
    return {"pool": request.app.state.pool}     # only a lifespan would have set this


try:
    TestClient(plain).get("/needs-startup")
except AttributeError as error:
    print("an app without a safety net: raised into the test ->", type(error).__name__)

# %% [markdown]
# An app that turns errors into responses, as forge's middleware does, answers 500 *and logs the
# cause* on the `forge` logger. The test below collects that record with pytest's `caplog`
# fixture: forge, never started, answers its JSON 500, and the log names the `AttributeError`
# behind it. Either way the failure is deterministic.

# %%
# %%ipytest
import logging


def test_forge_never_started_answers_500_and_logs_the_cause(caplog):
    with caplog.at_level(logging.ERROR, logger="forge"):
        answer = TestClient(create_app()).get("/forge/items")   # no `with`: never started
    assert (answer.status_code, answer.json()["error"]) == (500, "internal_error")
    [record] = [record for record in caplog.records if record.name == "forge"]
    assert isinstance(record.exc_info[1], AttributeError)   # no lifespan: no app.state.sessionmaker


# %% [markdown]
# ### Symptom 3: "RuntimeError: The session is not open" → `async with TestClient(app)`
#
# Neither half survives a check. `TestClient` is a synchronous client: it has no `__aenter__`,
# so `async with` on it is a `TypeError`. And no library in this stack contains the message "The
# session is not open" (nor the FAQ's "session is already closed"); the cell searches their
# source for it.

# %%
try:
    async with TestClient(plain) as client:
        pass
except TypeError as error:
    print("async with TestClient(...):", error)

import anyio
import fastapi
import httpx2
import sqlalchemy
import starlette

found = []
for package in (fastapi, starlette, httpx, httpx2, anyio, sqlalchemy):
    for path in Path(package.__file__).parent.rglob("*.py"):
        text = path.read_text(errors="ignore").lower()
        found += [path.name for phrase in ("session is not open", "session is already closed")
                  if phrase in text]
print("files that contain either message:", found)

# %% [markdown]
# When a test really has to be `async` (say, it awaits async fixtures on the app's event loop),
# use an async HTTP client with an ASGI transport. Unlike TestClient it does not run the lifespan,
# so enter the app's lifespan yourself when the routes need it:

# %%
async_app = create_app()
async with async_app.router.lifespan_context(async_app):
    transport = httpx.ASGITransport(app=async_app)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as ac:
        response = await ac.get("/forge/items/1")
print("async client, lifespan entered by hand:", response.status_code, response.json()["name"])

# %% [markdown]
# ### Symptom 4: validation errors in the response, not in the assertions
#
# The advice (look at `response.json()["detail"]`) is right; the shape it promises,
# `[{"loc", "msg", "type"}]`, is Pydantic 1's. Pydantic 2 adds `input`, and `ctx` for
# constraints. A test that compares whole error dicts with the article's shape fails; assert on
# `type` and `loc`, which are stable, and leave `msg` (English, reworded between versions) alone.

# %%
with TestClient(create_app()) as client:
    problems = client.post("/forge/users", json={"username": "Ada!", "email": "ada@example.com",
                                                 "password": "short"}).json()["detail"]
for problem in problems:
    print(sorted(problem), "->", problem["type"], problem["loc"])

# %% [markdown]
# ### Symptom 5: "authentication routes return 401 even with a valid token" → override the user
#
# The guide's replacement user, `User(id=1, name='test')`, doesn't fit the article's own `User`
# model (it has `username` and `role`, no `name`), and it doesn't fit forge's either:

# %%
try:
    User(id=1, name="test")
except TypeError as error:
    print("User(id=1, name='test'):", error)

# %% [markdown]
# More importantly, overriding `get_current_user` doesn't fix a 401 on a token you believe is
# valid; it only stops the test from looking. Forge refuses a token for three different reasons,
# all with the same answer:

# %%
import forge.dependencies

show(forge.dependencies.get_current_user)

# %% [markdown]
# The cell below produces all three: a token signed with another secret, an expired token, and a
# perfectly good token presented to a *different* app whose database doesn't have its user (the
# classic in tests: a token minted in one test's app, or at module level, used against another
# test's fresh database). Then it shows the way to debug: read the claims without verifying them,
# and decode with the app's own settings to get the precise reason.

# %%
from datetime import datetime, timedelta, timezone

import jwt

from forge.security import create_access_token, decode_access_token

ADA = {"username": "ada", "email": "ada@example.com", "password": "correct horse"}


def me(client: TestClient, token: str):
    response = client.get("/forge/users/me", headers={"Authorization": f"Bearer {token}"})
    return response.status_code, response.json()["detail"] if response.status_code != 200 else "ok"


with TestClient(create_app()) as first:
    first.post("/forge/users", json=ADA)
    token = first.post("/token", data=ADA).json()["access_token"]
    settings = first.app.state.settings
    print("the app that issued it:      ", me(first, token))
    print("signed with another secret:  ", me(first, create_access_token(
        1, "smith", Settings(jwt_secret="another-secret-that-is-long-enough-for-hs256"))))
    an_hour_ago = datetime.now(timezone.utc) - timedelta(hours=1)
    print("expired:                     ", me(first, create_access_token(1, "smith", settings,
                                                                         now=an_hour_ago)))
with TestClient(create_app()) as second:
    print("another app's fresh database:", me(second, token))

print("\nthe claims, unverified:", jwt.decode(token, options={"verify_signature": False}))
for suspect in (create_access_token(1, "smith", settings, now=an_hour_ago),
                create_access_token(1, "smith", Settings(jwt_secret="x" * 44))):
    try:
        decode_access_token(suspect, settings)
    except jwt.InvalidTokenError as error:
        print("decoded with the app's settings:", type(error).__name__)

# %% [markdown]
# Override `get_current_user` when a test is about what a route does *for* a given user (its
# authorization rules, its data). Keep tests that go through the real sign-in and a real token,
# too: they are the only ones that notice when login, token checking or the way accounts are
# created goes wrong. Section 8 checks the article's reasons for avoiding real tokens.

# %% [markdown]
# ## 8. Deep dive: the cheat sheet and the common mistakes, checked
#
# *Optional: the article's cheat sheet and its five common mistakes, measured; skip it on a first
# pass.*
#
# | cheat-sheet entry | on the pinned versions |
# | --- | --- |
# | "session not open": wrap the client in `with`; for async tests `async with TestClient(app)` | no such error exists; `async with TestClient` is a `TypeError` (section 7, symptom 3) |
# | test A works, test B fails: `print(app.dependency_overrides)` in teardown, `pytest -x --setup-show` | both work and help (section 4); add a reordered run and bisection to find the polluter |
# | 422 instead of 200: compare the body with the model, read `response.json()["detail"]` | right; assert on `type` and `loc` (section 7, symptom 4) |
# | no tests collected: names must start with `test_`, `pytest --collect-only`, "`if __name__` blocks break collection" | the first two are right; the third is not, as the next cell shows |
#
# A file with an `if __name__ == "__main__":` block, a test, and a helper whose name doesn't start
# with `test_`:

# %%
collection_dir = tempfile.TemporaryDirectory(prefix="collect-")
collection = Path(collection_dir.name)
(collection / "test_health.py").write_text('''
from fastapi.testclient import TestClient

from forge.main import create_app


def test_health_answers_ok():
    assert TestClient(create_app()).get("/forge/health").status_code == 200


def check_the_version():            # not a test: the name does not start with test_
    assert False


if __name__ == "__main__":
    import pytest
    raise SystemExit(pytest.main([__file__]))
''')
for run in run_pytests(collection, ["--collect-only", "-q", "test_health.py"],
                      ["-q", "test_health.py::test_health_answers_ok"]):
    report(run)

# %% [markdown]
# pytest imports a test file as a module, so `__name__` is never `"__main__"` there and the block
# doesn't run; the test is collected as usual. The helper is skipped because of its name, which is
# the real reason tests go missing.
#
# ### The common mistakes
#
# The article's list of five mistakes, with what each really costs:
#
# 1. **Not clearing `dependency_overrides` between tests.** Real (sections 2 and 4). The
#    suggested autouse fixture clears *before* each test; clear after `yield`, and prefer an app
#    per test.
# 2. **TestClient without `with`.** Real: the lifespan doesn't run, and routes that need what it
#    prepares fail, deterministically (section 7, symptom 2).
# 3. **One database session (or database) shared by several tests.** Real: rows from one test
#    change the counts and lists of the next (section 4, `test_create_an_item`). A fresh in-memory
#    database per test removes it; on forge, `with TestClient(create_app())` gives you one.
# 4. **`debug=True` in CI.** Real for a plain FastAPI app: with `raise_server_exceptions=False`,
#    a crash comes back as a traceback instead of a bare 500. Forge's middleware catches crashes
#    before Starlette's debug page can, so its 500 stays clean either way. Two details: `debug`
#    is a setting of the *app*, not of `TestClient` (`TestClient(app, debug=False)` is a
#    `TypeError`), and forge reads it from `FORGE_DEBUG`, the same environment that decided the
#    database in section 3. Lesson 5 has more on error responses.

# %%
from fastapi import FastAPI
from fastapi.testclient import TestClient


def crashing_app(debug: bool) -> FastAPI:
    app = FastAPI(debug=debug)

    @app.get("/boom")
    def boom():
        raise RuntimeError("disk full")

    return app


for debug in (True, False):
    body = TestClient(crashing_app(debug), raise_server_exceptions=False).get("/boom").text
    print(f"FastAPI(debug={debug}): traceback in the body: {'Traceback' in body}, starts {body[:30]!r}")

try:
    TestClient(crashing_app(False), debug=False)
except TypeError as error:
    print("TestClient(app, debug=False):", error)

# %% [markdown]
# Forge in debug mode, with a database that fails: the test checks that the answer is forge's
# clean JSON 500, with neither traceback nor the error's message in it, and that the crash went to
# the `forge` log instead (`caplog` collects it).

# %%
# %%ipytest
import logging

from forge.config import Settings
from forge.dependencies import get_db
from forge.main import create_app


def broken_database():
    raise RuntimeError("disk full")


def test_forge_in_debug_mode_still_answers_a_clean_500(caplog):
    forge_in_debug = create_app(Settings(debug=True))
    forge_in_debug.dependency_overrides[get_db] = broken_database
    with caplog.at_level(logging.ERROR, logger="forge"):
        answer = TestClient(forge_in_debug, raise_server_exceptions=False).get("/forge/items")
    assert (answer.status_code, answer.json()["error"]) == (500, "internal_error")
    assert "Traceback" not in answer.text and "disk full" not in answer.text
    [record] = [record for record in caplog.records if record.name == "forge"]
    assert str(record.exc_info[1]) == "disk full"          # the cause is in the log


# %% [markdown]
# 5. **Real JWTs in auth tests.** The article says they are slow ("token generation is
#    expensive"), expire at random and break when the secret changes. Measured: signing and
#    checking a token costs microseconds, next to a millisecond or more for the request itself.
#    Expiry is only a risk for tokens minted long before use (a session-wide token in a long run);
#    mint tokens in the test, and create expired ones on purpose with a fixed `now`, as symptom 5
#    did. And a test that signs in through `/token` never sees the secret at all. The good reason
#    to override the user is focus, not speed.

# %%
import time

from forge.security import create_access_token, decode_access_token

settings = Settings()
started = time.perf_counter()
for n in range(500):
    decode_access_token(create_access_token(n + 1, "smith", settings), settings)
per_token = (time.perf_counter() - started) / 500

with TestClient(create_app()) as client:
    started = time.perf_counter()
    for _ in range(100):
        client.get("/forge/health")
    per_request = (time.perf_counter() - started) / 100

print(f"sign + verify one token: {per_token * 1e6:6.0f} µs")
print(f"one TestClient request:  {per_request * 1e6:6.0f} µs")

# %% [markdown]
# ## 9. Deep dive: isolation strategies, and the article's key takeaways
#
# *Optional: what each isolation strategy can and cannot catch, and the article's takeaways
# checked; skip it on a first pass.*
#
# The article compares five strategies with ratings of speed, fidelity and effort. The ratings are
# judgement calls, not measurements, and reasonable as such. What matters more is what each one
# can and cannot catch. Two of the costs can be measured here, per test, on forge:

# %%
import time

from forge.dependencies import get_db
from forge.main import create_app
from forge.models import Item


class OneItemSession:
    def get(self, model, ident):
        return Item(id=ident, name="test anvil", price=1.0)


shared_app = create_app()
shared_app.dependency_overrides[get_db] = lambda: OneItemSession()
with TestClient(shared_app) as client:
    started = time.perf_counter()
    for _ in range(50):
        client.get("/forge/items/1")
    overrides_only = (time.perf_counter() - started) / 50
shared_app.dependency_overrides.clear()

started = time.perf_counter()
for _ in range(10):
    with TestClient(create_app()) as client:     # start-up: engine, tables, starter catalogue
        client.get("/forge/items/1")
fresh_database = (time.perf_counter() - started) / 10

print(f"fake session on a started app: {overrides_only * 1000:5.1f} ms per test")
print(f"fresh app + in-memory SQLite:  {fresh_database * 1000:5.1f} ms per test")

# %% [markdown]
# | strategy | what is isolated | what it can't catch | cost |
# | --- | --- | --- | --- |
# | dependency overrides only | the route from its collaborators | SQL, constraints, transactions; anything the fake does differently | lowest: one request |
# | in-memory SQLite per test, plus overrides for side effects | the database, per test | database-specific SQL and types (PostgreSQL's JSONB, arrays, some functions), real concurrency | a start-up per test: a few ms to tens of ms |
# | a real database in a container (Testcontainers) | the database engine itself | little on the database side; start it once per session and reset data per test | seconds per session to start, plus per-test reset |
# | mocked external APIs (`httpx.MockTransport`) | the network and the other service | the other service's real behaviour and changes to its API | like overrides |
# | full integration against real services | nothing | nothing in principle; flaky for reasons outside your code | slowest, needs environments |
#
# Whichever you choose, isolation is only as good as the configuration that selects it
# (section 3): an "in-memory" suite that reads its URL from the environment is one exported
# variable away from a shared database.
#
# ### The article's key takeaways, revisited
#
# 1. *TestClient uses Starlette's testing tools, no real networking.* True; it is an `httpx2`
#    client whose transport calls the app in process (lesson 1).
# 2. *`with TestClient(app)` runs startup and shutdown.* True, and it is the only way TestClient
#    runs the lifespan.
# 3. *Overrides swap any `Depends()` function globally.* True, and "globally" is the warning: on a
#    shared app they outlive the test.
# 4. *Plain `def` tests for async code.* True: the test blocks while the app runs on an event
#    loop in another thread.
# 5. *Clear overrides in a teardown fixture.* True, if the clear comes after `yield` (or the
#    overrides live on an app that dies with the test).
# 6. *In-memory SQLite gives real SQL with instant teardown.* Only with one shared connection
#    usable from any thread (`StaticPool`, `check_same_thread=False`), as forge's `make_engine`
#    does; otherwise the app sees an empty database (lesson 4).
# 7. *Test error handlers separately.* Yes, including the framework's own errors (lesson 5).

# %% [markdown]
# ## What the article gets wrong
#
# - **"Somehow the connection leaked to the real database"**: an override lives in the test
#   process's memory, holds no connection and dies with the process. A test row reaches staging
#   when the test process is *configured* with the staging URL (section 3; replayed in 5).
# - **"Run tests with pytest-xdist to surface shared-state bugs"**: xdist workers are separate
#   processes running their tests one at a time. A seeded reorder exposes order dependence;
#   concurrency bugs need concurrent requests (section 6).
# - **Debug guide #1 and the cheat sheet's autouse fix**: clearing *before* each test leaves the
#   last test's overrides in place; clear after `yield`. Rows and `app.state` leak too (section 4).
# - **Debug guide #2, a 500 "with no request logs"**: without `with`, the default client raises
#   the app's error into the test; an app that answers 500 itself (forge) logs the cause.
# - **Debug guide #3, `async with TestClient(app)`**: a `TypeError`; the "session is not open"
#   error it fixes doesn't exist in these libraries.
# - **Debug guide #4**: Pydantic 2 error items also carry `input` (and `ctx`), not just `loc`,
#   `msg` and `type`; assert on `type` and `loc`.
# - **Debug guide #5, `User(id=1, name='test')`**: the model has no `name`, and overriding the user
#   hides *why* a token is refused.
# - **Cheat sheet, "`if __name__` blocks break collection"**: they don't.
# - **Common mistake, real JWTs "are slow"**: microseconds per token; override the user for
#   focus, not speed.
#
# The deep dives (sections 5 to 9) show each of these on the pinned versions.

# %% [markdown]
# ## Summary
#
# - A leaked override makes later tests in the same process run against a fake: they pass or
#   fail for reasons that aren't theirs. It ends with the process and never writes anywhere.
# - Rows reach shared databases through configuration. Build the app under test with explicit
#   test settings and make the suite refuse a shared database URL.
# - Pollution also travels through rows in a shared database, `app.state` and module globals.
#   An app per test (`create_app()`) entered with `with` removes most of it at once.
# - To find pollution: run the failing test alone, run the suite in another order (explicit node
#   ids, a `pytest_collection_modifyitems` hook, or pytest-randomly with a seed), read
#   `--setup-show` and print the overrides in teardown, then bisect to the polluter and fix its
#   clean-up.
# - xdist isolates processes; it doesn't make in-process state race. Test concurrency with
#   concurrent requests (section 6).
# - Read the debug guide's symptoms as prompts to look, not as fixes: a 401 on a "valid" token
#   has a cause (secret, expiry, a user in another database) that decoding the token reveals
#   (section 7).

# %% [markdown]
# ## Your turn: exercise 12
#
# Open **`exercises/ex12_incident/ex12_incident.ipynb`**. It hands you forge's sign-up and admin
# tests as a team wrote them before an incident: they pass in file order and catch every planted
# defect, but they leak overrides, share a database and lean on each other. Repair them so that
# every test passes alone, in any order, and leaves nothing behind, without losing a single
# catch. The grader is strict about hygiene this time: one leaky test makes the score 0.
