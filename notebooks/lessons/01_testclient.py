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
# # Lesson 1 · TestClient: calling your API without starting a server
#
# Every test in this course talks to a FastAPI app through `TestClient`. This lesson shows what
# that object is, how to turn a few requests into a pytest suite, and what the
# `with TestClient(app)` block does for you (and what it doesn't). By the end you will be able to:
#
# - send requests to an app from a test and check status codes, bodies and headers;
# - tell a **201** from a **200**, a **404** from an empty success, and test the **422** a request
#   gets at the edges of what the app accepts;
# - check that something you created was really *stored*, by reading it back;
# - explain why `with` matters for apps with a lifespan, and what happens without it.
#
# Run the cells from top to bottom. A few cells **fail on purpose**; the text right before each
# of them says so. Sections headed *Deep dive* are optional (threads and the event loop, speed,
# cookies, the old `on_event` API, ...): skip them on a first pass and come back for the depth.

# %%
from graders.notebook import setup, show
setup()

# %% [markdown]
# ## 1. What TestClient is
#
# A FastAPI app is an **ASGI application**: an async callable that receives a request's
# description and sends back the pieces of a response. A server such as uvicorn connects it to
# the network. `TestClient` skips the network: it hands the request to your app inside the same
# Python process and turns what the app sends back into a response object. No server, no port,
# so test processes running side by side can't collide over one.
#
# `TestClient` is a regular HTTP client class, on Starlette 1.x a subclass of `httpx2.Client`
# (older versions used `httpx`; with only `httpx` installed, Starlette 1.x still works but asks
# for `httpx2`). Only its *transport* is special: it calls your app instead of opening a
# connection. And `fastapi.testclient.TestClient` *is* Starlette's class, re-exported.

# %%
from importlib.metadata import version

import fastapi.testclient
import starlette.testclient
from fastapi.testclient import TestClient

print("same class object:", fastapi.testclient.TestClient is starlette.testclient.TestClient)
print("defined in:       ", TestClient.__module__)
print("its base class:   ", TestClient.__mro__[1])
print("versions:", {name: version(name) for name in ("fastapi", "starlette", "httpx2")})

# %% [markdown]
# ## 2. A first conversation with an app
#
# Before writing tests, poke at a tiny app interactively. The app below has a health check and a
# greeting. The client's methods are the ones you know from any HTTP client: `get`, `post`,
# `put`, `patch`, `delete`, with `json=`, `params=` and `headers=` arguments. Paths are relative:
# the client sends them to a made-up host called `testserver`.

# %% [markdown]
# **Predict, then run.** The last request in the next cell asks for `/nothing-here`, a path the
# app doesn't declare. What status code and body do you expect? Decide, then run the cell.

# %%
from fastapi import FastAPI

hello = FastAPI()


@hello.get("/health")
def health():
    return {"status": "ok"}


@hello.get("/greet/{name}")
def greet(name: str, shout: bool = False):
    text = f"Hello, {name}!"
    return {"greeting": text.upper() if shout else text}


client = TestClient(hello)
response = client.get("/health")
print(response.status_code, response.json(), response.headers["content-type"])
print("sent to:", response.request.url)
print(client.get("/greet/Ada", params={"shout": True}).json())

missing = client.get("/nothing-here")
print(missing.status_code, missing.json())

# %% [markdown]
# The response is a full HTTP response: `status_code`, `headers`, `json()`, `text`, `content`.
# A path the app does not know gets FastAPI's standard **404** with the body
# `{"detail": "Not Found"}`, just as it would behind a real server.
#
# ## 3. From poking around to tests
#
# In this course, tests run right in the notebook: a cell that starts with `%%ipytest` defines
# test functions and runs them with pytest, fixtures included. The fixture below hands each
# test a client. It is a **`yield` fixture**: code before `yield` is set-up, code after it is
# clean-up, which pytest runs even when the test fails. And it enters the client with **`with`**;
# for this app that makes no difference yet, section 5 shows what it adds.

# %%
# %%ipytest
import pytest


@pytest.fixture
def hello_client():
    with TestClient(hello) as client:
        yield client


def test_health_answers_ok(hello_client):
    response = hello_client.get("/health")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


def test_greeting_uses_the_path_and_the_query(hello_client):
    assert hello_client.get("/greet/Ada", params={"shout": True}).json() == {"greeting": "HELLO, ADA!"}


def test_unknown_path_is_404(hello_client):
    response = hello_client.get("/nothing-here")
    assert response.status_code == 404
    assert response.json() == {"detail": "Not Found"}


# %% [markdown]
# ## 4. Status codes are part of the contract
#
# A client of your API acts on the status code before it reads the body, so a wrong code is a
# real bug even when the body looks right. The three you will check most:
#
# | code | meaning | typical cause |
# | --- | --- | --- |
# | **201 Created** | the request made a new resource | a successful `POST` that creates something |
# | **404 Not Found** | there is no such resource | an id nobody created |
# | **422 Unprocessable Content** | the body or parameters break the declared rules | Pydantic validation |
#
# FastAPI answers **200** unless you say otherwise, so a creating endpoint must ask for 201
# (`status_code=201` on the route). Only a test that checks the exact code notices if it doesn't.
#
# To practise, here is a small notes service. Each call of `make_notes_app()` builds a new app
# with its own empty store. A note's `text` has 1 to 280 characters and its `stars` are a whole
# number from 1 to 5. (Ignore the `remember` switch for now.)

# %%
from itertools import count

from fastapi import HTTPException, status
from pydantic import BaseModel, Field


class NoteIn(BaseModel):
    text: str = Field(min_length=1, max_length=280)
    stars: int = Field(ge=1, le=5)


class NoteOut(NoteIn):
    id: int


def make_notes_app(remember: bool = True) -> FastAPI:
    app = FastAPI()
    notes: dict[int, NoteOut] = {}
    next_id = count(1)

    @app.post("/notes", status_code=status.HTTP_201_CREATED)
    def create_note(payload: NoteIn) -> NoteOut:
        note = NoteOut(id=next(next_id), **payload.model_dump())
        if remember:
            notes[note.id] = note
        return note

    @app.get("/notes")
    def list_notes() -> list[NoteOut]:
        return list(notes.values())

    @app.get("/notes/{note_id}")
    def get_note(note_id: int) -> NoteOut:
        if note_id not in notes:
            raise HTTPException(status.HTTP_404_NOT_FOUND, detail=f"No note {note_id}")
        return notes[note_id]

    return app


# %% [markdown]
# Now a suite for it. What each test pins down:
#
# - creating answers **201** and echoes what was sent, plus a new `id`;
# - the created note can be **read back** by its id and shows up in the list: the `POST` answer
#   alone proves nothing about what was stored;
# - an unknown id answers **404** with a `detail`;
# - invalid bodies answer **422**, tested *at the boundaries* (the empty string, 0 and 6 stars,
#   281 characters, a missing field), while the smallest and largest valid values get 201.
#
# The tests check what the rules promise and nothing more: they take the new note's id from the
# response instead of assuming it is 1.

# %%
# %%ipytest
@pytest.fixture
def notes():
    with TestClient(make_notes_app()) as client:
        yield client


def test_create_answers_201_with_the_note(notes):
    response = notes.post("/notes", json={"text": "oil the bellows", "stars": 4})
    assert response.status_code == 201
    body = response.json()
    assert body["text"] == "oil the bellows" and body["stars"] == 4
    assert isinstance(body["id"], int)


def test_created_note_can_be_read_back(notes):
    created = notes.post("/notes", json={"text": "sharpen the chisel", "stars": 2}).json()
    response = notes.get(f"/notes/{created['id']}")
    assert response.status_code == 200
    assert response.json() == created


def test_created_note_appears_in_the_list(notes):
    created = notes.post("/notes", json={"text": "sweep the floor", "stars": 1}).json()
    assert created in notes.get("/notes").json()


def test_unknown_note_is_404(notes):
    response = notes.get("/notes/424242")
    assert response.status_code == 404
    assert "detail" in response.json()


@pytest.mark.parametrize("body", [
    {"text": "", "stars": 3},           # empty text: one below the shortest valid text
    {"text": "x" * 281, "stars": 3},    # one above the longest
    {"text": "fine", "stars": 0},       # one below the lowest rating
    {"text": "fine", "stars": 6},       # one above the highest
    {"stars": 3},                       # text missing altogether
])
def test_invalid_note_is_422(notes, body):
    assert notes.post("/notes", json=body).status_code == 422


@pytest.mark.parametrize("body", [
    {"text": "x", "stars": 1},          # the smallest valid values
    {"text": "x" * 280, "stars": 5},    # the largest valid values
])
def test_boundary_values_are_accepted(notes, body):
    assert notes.post("/notes", json=body).status_code == 201


# %% [markdown]
# ### Why read it back? A service that forgets
#
# `make_notes_app(remember=False)` builds the same service with one bug: it answers a `POST`
# perfectly but never stores the note. A test that only looks at the `POST` answer runs next to
# the read-back test.
#
# **This cell fails on purpose.** Expect `1 failed, 1 passed`: the test that trusts the `POST`
# answer passes, and only the read-back test notices the bug (`assert 404 == 200`).

# %% tags=["raises-exception"]
# %%ipytest
@pytest.fixture
def forgetful():
    with TestClient(make_notes_app(remember=False)) as client:
        yield client


def test_post_answer_looks_right(forgetful):
    response = forgetful.post("/notes", json={"text": "order more charcoal", "stars": 3})
    assert response.status_code == 201
    assert response.json()["text"] == "order more charcoal"


def test_created_note_can_be_read_back(forgetful):
    created = forgetful.post("/notes", json={"text": "order more charcoal", "stars": 3}).json()
    assert forgetful.get(f"/notes/{created['id']}").status_code == 200


# %% [markdown]
# ### Why test at the boundaries
#
# Validation bugs hide at the edges. Two facts about Pydantic explain why:
#
# - a plain `str` field accepts the **empty string**; only a constraint such as `min_length=1`
#   turns `""` away;
# - `gt=0` (greater than) and `ge=0` (greater or equal) differ at exactly one value, **0**: only
#   a test that sends the boundary itself can tell them apart.
#
# The 422 body lists each problem with a machine-readable `type`, the `loc`ation of the bad
# value, a human `msg` and the `input`. Assert on `type` and `loc`: the wording of `msg` changes
# between Pydantic versions.

# %% [markdown]
# **Predict, then run.** The last request in the next cell posts a note with an empty `text` and
# 0 `stars`. Will the 422 body list one problem or two, and at which `loc`? Decide, then run the
# cell.

# %%
from pydantic import ValidationError


class LooseNote(BaseModel):
    text: str
    weight: float = Field(ge=0)


class StrictNote(BaseModel):
    text: str = Field(min_length=1)
    weight: float = Field(gt=0)


print("loose accepts:", LooseNote(text="", weight=0))
try:
    StrictNote(text="", weight=0)
except ValidationError as error:
    for problem in error.errors():
        print("strict rejects:", problem["type"], problem["loc"])

body = TestClient(make_notes_app()).post("/notes", json={"text": "", "stars": 0}).json()
for problem in body["detail"]:
    print({key: problem[key] for key in ("type", "loc", "msg", "input")})

# %% [markdown]
# ## 5. What `with TestClient(app)` does: the lifespan
#
# Many apps prepare things when they start and release them when they stop: open a database,
# load configuration. In FastAPI that code lives in a **lifespan** function, an async context
# manager: code before `yield` runs at startup, code after it at shutdown.
#
# `TestClient` runs the lifespan **only when you enter it with `with`**: startup on entering the
# block, shutdown on leaving it. A client created without `with` sends requests perfectly well;
# it just never starts the app up. The demo app below records its lifespan events and loads a
# price list at startup.

# %%
from contextlib import asynccontextmanager

from fastapi import Request

events: list[str] = []


@asynccontextmanager
async def price_list_lifespan(app: FastAPI):
    events.append("startup")
    app.state.prices = {"horseshoe": 12, "nail": 0.2}
    yield
    events.append("shutdown")
    del app.state.prices                     # shutdown releases what startup made


shop = FastAPI(lifespan=price_list_lifespan)


@shop.get("/ping")
def ping():
    return {"pong": True}


@shop.get("/prices")
def prices(request: Request):
    return request.app.state.prices


bare = TestClient(shop)                      # no `with`
print("bare client, /ping:", bare.get("/ping").status_code, "| lifespan events:", events)
try:
    bare.get("/prices")
except AttributeError as error:
    print("bare client, /prices raised", type(error).__name__, "->", error)

with TestClient(shop) as started:
    print("inside with, events:", events, "| /prices:", started.get("/prices").json())
print("after the with block, events:", events)

# %% [markdown]
# Three things to notice:
#
# 1. The bare client works: only startup and shutdown are skipped.
# 2. Without startup, the route that needs the price list fails, and the failure reaches your
#    code as a Python **exception** (`AttributeError`): no response, no status code. (Section 6
#    shows an app where the same mistake gives a 500.)
# 3. With `with`, startup has finished before the first request, and shutdown runs when the
#    block ends. So whatever startup prepares is testable:

# %%
# %%ipytest
@pytest.fixture
def started_shop():
    events.clear()
    with TestClient(shop) as client:
        yield client


def test_startup_loads_the_price_list(started_shop):
    response = started_shop.get("/prices")
    assert response.status_code == 200
    assert response.json()["horseshoe"] == 12


def test_lifespan_runs_startup_then_shutdown():
    events.clear()
    with TestClient(shop):
        assert events == ["startup"]
    assert events == ["startup", "shutdown"]


# %% [markdown]
# ## 6. The forge service and its lifespan
#
# The course's service, **forge**, depends on its lifespan in the same way. In `forge/main.py`
# below, startup creates the database engine and tables, stores a session factory on
# `app.state` and loads a starter catalogue; shutdown disposes of the engine. `create_app()`
# builds a fresh app on each call (the module also keeps one ready-made `app`). Routes get their
# database session from the `get_db` dependency, which reads that session factory.

# %%
import forge.dependencies
import forge.main
from forge.main import create_app

show(forge.main)
show(forge.dependencies.get_db)

# %% [markdown]
# So without `with`, forge's health check (no database) answers normally, while the item routes
# fail. Here is the tempting one-line fixture. **This cell fails on purpose**: the health test
# passes and the items test fails with `assert 500 == 200`. (The options after `%%ipytest` keep
# pytest's report short: one line per failure, without the log forge writes for the error.)

# %% tags=["raises-exception"]
# %%ipytest --tb=line --show-capture=no
@pytest.fixture
def forge_without_startup():
    return TestClient(create_app())


def test_health_works_without_startup(forge_without_startup):
    assert forge_without_startup.get("/forge/health").status_code == 200


def test_items_without_startup(forge_without_startup):
    assert forge_without_startup.get("/forge/items").status_code == 200


# %% [markdown]
# Why a 500 here, when the price-list app raised an exception? Forge has a middleware that
# catches any error a route left unhandled, logs its cause on the `forge` logger and answers a
# JSON 500. Either way the failure is **deterministic**: the same missing startup fails the same
# way on every run, so it is never a flaky test.

# %% [markdown]
# ### Deep dive: a 500 here, an exception there
#
# *Optional: where an error stops decides what your test sees, and how to find the cause; skip
# it on a first pass.*
#
# Here is forge's middleware. It tags every response with a trace id, and it turns any error a
# route left unhandled into a logged cause and a JSON 500 that carries the trace id.

# %%
import forge.middleware

show(forge.middleware.install_trace_ids)

# %% [markdown]
# What a test sees when a route blows up therefore depends on where the error stops:
#
# - **An error that escapes the app** reaches `TestClient`, which by default
#   (`raise_server_exceptions=True`) raises it again inside your test, so the real cause is right
#   in front of you. Create the client with `raise_server_exceptions=False` to get what an HTTP
#   caller would get instead: a plain `500 Internal Server Error`.
# - **An error the app catches itself**, as forge's middleware does, never reaches `TestClient`.
#   You get the app's own 500 response, and the cause is in the app's log. In the test below,
#   pytest's `caplog` fixture collects the records forge logs, and the test asks for the same
#   request five times (`-s` lets the test's `print` through).

# %%
# %%ipytest -s
import logging


def test_a_missing_startup_fails_the_same_way_every_time(caplog):
    outcomes = set()
    with caplog.at_level(logging.ERROR, logger="forge"):
        for attempt in range(5):
            response = TestClient(create_app()).get("/forge/items")
            outcomes.add((response.status_code, response.json()["error"]))
    causes = {f"{type(record.exc_info[1]).__name__}: {record.exc_info[1]}"
              for record in caplog.records if record.name == "forge"}
    print("forge, 5 attempts:", outcomes, "| logged causes:", causes)
    assert outcomes == {(500, "internal_error")}
    assert len(causes) == 1


# %%
as_a_caller = TestClient(shop, raise_server_exceptions=False).get("/prices")
print("price-list app, raise_server_exceptions=False:", as_a_caller.status_code, repr(as_a_caller.text))

# %% [markdown]
# ### The fix: enter the client in the fixture
#
# A `yield` fixture that enters the client with `with` gives every test a started app, and shuts
# it down after the test, pass or fail. Each test gets a fresh app and its own in-memory
# database, so nothing one test creates leaks into the next. Notice that the health test
# doesn't hard-code a version string: the service reports the version it was configured with,
# so the test compares against that setting. Assert what the specification promises, not
# details it leaves open.

# %%
# %%ipytest
@pytest.fixture
def forge_client():
    with TestClient(create_app()) as client:
        yield client


def test_health_reports_the_configured_version(forge_client):
    response = forge_client.get("/forge/health")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "version": forge_client.app.state.settings.version}


def test_items_answer_once_started(forge_client):
    response = forge_client.get("/forge/items")
    assert response.status_code == 200
    assert isinstance(response.json(), list)


# %% [markdown]
# ### Deep dive: after the `with` block
#
# *Optional: what a client can still do once its app has shut down; skip it on a first pass.*
#
# Leaving the block runs shutdown, but the client object keeps working: requests still go
# through, because sending a request never needed the lifespan. What shutdown released is gone,
# though. Forge's database lives only in memory, and disposing of the engine throws it away, so
# an item route now finds no tables at all (forge answers 500 and logs the cause, which `caplog`
# collects). Entering a client again runs startup again: a brand new database with the starter
# catalogue and nothing else.

# %%
# %%ipytest -s
import logging


def test_after_the_block_the_client_works_but_the_database_is_gone(caplog):
    forge_app = create_app()
    with TestClient(forge_app) as forge_demo:
        forge_demo.post("/forge/items", json={"name": "bellows", "price": 60})
        inside = [item["name"] for item in forge_demo.get("/forge/items").json()]
    print("inside:", inside)

    health = forge_demo.get("/forge/health")
    with caplog.at_level(logging.ERROR, logger="forge"):
        after = forge_demo.get("/forge/items")
    [record] = [record for record in caplog.records if record.name == "forge"]
    print("after, /forge/health:", health.status_code, "| /forge/items:", after.status_code,
          "| logged cause:", record.exc_info[1].orig)

    with TestClient(forge_app) as again:
        entered_again = [item["name"] for item in again.get("/forge/items").json()]
    print("entered again:", entered_again)
    assert "bellows" in inside and "bellows" not in entered_again
    assert (health.status_code, after.status_code) == (200, 500)


# %% [markdown]
# That is exactly what you want from a **function-scoped** fixture (pytest's default scope):
# each test starts from the same known state. A session-scoped client is faster (deep dive, section 9)
# but shares one database across all tests, so tests can start to depend on each other.

# %% [markdown]
# ### Deep dive: `@app.on_event`, the old way
#
# *Optional: the deprecated startup hooks you will meet in older code; skip it on a first pass.*
#
# Older code registers startup and shutdown handlers with `@app.on_event("startup")`. That API
# is **deprecated**: FastAPI emits a `DeprecationWarning` when you use it. The handlers still
# run under `with TestClient(app)` if the app has no lifespan, but once you pass `lifespan=` to
# `FastAPI(...)`, `on_event` handlers are **silently ignored**. The cell below records the notice
# instead of letting it print, and shows both cases.

# %%
import warnings
from contextlib import asynccontextmanager

calls: list[str] = []


@asynccontextmanager
async def modern_lifespan(app: FastAPI):
    calls.append("lifespan startup")
    yield


with warnings.catch_warnings(record=True) as caught:
    warnings.simplefilter("always")
    legacy = FastAPI()

    @legacy.on_event("startup")
    def legacy_startup():
        calls.append("legacy on_event startup")

    mixed = FastAPI(lifespan=modern_lifespan)

    @mixed.on_event("startup")
    def ignored_startup():
        calls.append("mixed on_event startup")

notices = {str(w.message).strip().splitlines()[0] for w in caught if issubclass(w.category, DeprecationWarning)}
print("deprecation notices:", notices)

with TestClient(legacy):
    pass
with TestClient(mixed):
    pass
print("handlers that ran:", calls)

# %% [markdown]
# Write new code with a lifespan function; when you meet `on_event` in an old codebase, move its
# handlers into one.

# %% [markdown]
# ## 7. Deep dive: threads, an event loop, and waiting
#
# *Optional: how TestClient runs your app on another thread, and what follows from that; skip it
# on a first pass.*
#
# How can a plain `def test_...` call an `async` app without `await`? `TestClient` starts an
# **event loop in a separate thread** (through anyio's "blocking portal") and runs your app
# there. Your test's thread hands each request over and **blocks until the app has finished**.
# `async def` endpoints run on the portal's event loop; plain `def` endpoints run in a worker
# thread, as they would under a real server.
#
# Without `with`, every request gets its own short-lived portal thread and event loop. Inside
# `with`, the lifespan and all the requests share one loop.
#
# ```mermaid
# sequenceDiagram
#     participant T as your test (main thread)
#     participant P as portal thread (event loop)
#     participant W as worker thread
#     T->>P: client.get("/forge/items"), then wait
#     alt async def endpoint
#         P->>P: run it on the loop
#     else plain def endpoint
#         P->>W: run it in a worker thread
#         W-->>P: result
#     end
#     P-->>T: the response (background tasks done too)
# ```

# %%
import asyncio
import threading

where = FastAPI()
loops_seen: list[asyncio.AbstractEventLoop] = []


@where.get("/async")
async def in_async_endpoint():
    loops_seen.append(asyncio.get_running_loop())
    return {"thread": threading.current_thread().name}


@where.get("/sync")
def in_sync_endpoint():
    return {"thread": threading.current_thread().name}


probe = TestClient(where)
print("the test runs in:       ", threading.current_thread().name)
print("an async def endpoint:  ", probe.get("/async").json()["thread"])
print("a def endpoint:         ", probe.get("/sync").json()["thread"])

loops_seen.clear()
for _ in range(3):
    probe.get("/async")
print("3 requests without with:", len(set(map(id, loops_seen))), "event loops")

loops_seen.clear()
with TestClient(where) as shared:
    for _ in range(3):
        shared.get("/async")
print("3 requests inside with: ", len(set(map(id, loops_seen))), "event loop")

# %% [markdown]
# This explains a few things you will meet later:
#
# - **Thread-bound resources break.** A default in-memory SQLite connection may only be used by
#   the thread that created it, and each new connection gets its own empty database. Your
#   fixture code runs in the test thread while the app runs in another one, which is why forge
#   builds its in-memory engine like this:

# %%
import forge.database

show(forge.database.make_engine)

# %% [markdown]
# - **Objects tied to one event loop** (futures, some async connection pools) created during one
#   request can't be used in a later request unless all requests share a loop, that is, unless
#   the client was entered with `with`.
# - **Nothing is left running when the call returns.** "Your test waits for the app" includes
#   background tasks: a response's background work has finished before `client.post(...)`
#   returns, so you can check its effect on the very next line, with no sleeping or polling.

# %%
import time

from fastapi import BackgroundTasks

orders = FastAPI()
receipts: list[int] = []


def send_receipt(order_id: int) -> None:
    time.sleep(0.3)                           # pretend to talk to a mail server
    receipts.append(order_id)


@orders.post("/orders/{order_id}", status_code=status.HTTP_202_ACCEPTED)
def place_order(order_id: int, tasks: BackgroundTasks):
    tasks.add_task(send_receipt, order_id)
    return {"order": order_id, "status": "accepted"}


started_at = time.perf_counter()
response = TestClient(orders).post("/orders/7")
took = time.perf_counter() - started_at
print(response.status_code, response.json(), "| receipts:", receipts, f"| the call took {took:.2f} s")

# %% [markdown]
# ### No async tests needed
#
# Because the client blocks until the app is done, TestClient tests are ordinary `def`
# functions. An `async def` test is a different thing: pytest can't run one by itself and needs
# a plugin and a marker (`@pytest.mark.asyncio` from pytest-asyncio, or `@pytest.mark.anyio`).
# A later lesson covers async tests properly; for now, here is what current pytest says about an
# async test without a marker. **This cell fails on purpose**: the report reads *async def
# functions are not natively supported*.

# %% tags=["raises-exception"]
# %%ipytest
async def test_written_as_async_without_a_marker():
    assert TestClient(hello).get("/health").status_code == 200


# %% [markdown]
# ## 8. Deep dive: an HTTP client, not a browser
#
# *Optional: cookies, redirects and default headers in TestClient; skip it on a first pass.*
#
# `TestClient` doesn't run JavaScript or render HTML: it sees the bytes your app sends. But it
# does everything an HTTP client does, including keeping a **cookie jar**. A cookie set by one
# response is sent with the following requests of the same client, and a new client starts with an
# empty jar. It also follows redirects by default and lets you set default `headers=` for every
# request.

# %%
from fastapi import Response

accounts = FastAPI()


@accounts.post("/login")
def login(response: Response):
    response.set_cookie("session", "s3ss10n", httponly=True)
    return {"logged_in": True}


@accounts.get("/whoami")
def whoami(request: Request):
    return {"session": request.cookies.get("session")}


browserless = TestClient(accounts)
print("before login:", browserless.get("/whoami").json())
browserless.post("/login")
print("the jar holds:", dict(browserless.cookies))
print("after login: ", browserless.get("/whoami").json())
print("a new client:", TestClient(accounts).get("/whoami").json())

# %% [markdown]
# ## 9. Deep dive: how fast is it?
#
# *Optional: what a request and an app start-up cost; skip it on a first pass.*
#
# Fast compared with starting a server, but not free: every request crosses between your test's
# thread and the portal thread several times. On ordinary hardware expect **about a thousand
# requests per second inside one `with` block**, around a millisecond each, and a few hundred when
# every request starts its own portal (no `with`). Starting an app with a real lifespan costs
# more again, and a test that starts one pays for it. Your numbers will differ from run to run;
# the proportions are what matter.

# %%
import time


def requests_per_second(client: TestClient, n: int) -> float:
    started_at = time.perf_counter()
    for _ in range(n):
        client.get("/health")
    return n / (time.perf_counter() - started_at)


with TestClient(hello) as warm:
    inside = requests_per_second(warm, 400)
outside = requests_per_second(TestClient(hello), 150)

started_at = time.perf_counter()
for _ in range(20):
    with TestClient(create_app()) as fresh:
        fresh.get("/forge/health")
startup_ms = (time.perf_counter() - started_at) / 20 * 1000

print(f"inside one with block:  about {inside:5.0f} requests/s ({1000 / inside:.1f} ms each)")
print(f"without with:           about {outside:5.0f} requests/s ({1000 / outside:.1f} ms each)")
print(f"forge start-up + one request + shutdown: about {startup_ms:.0f} ms")

# %% [markdown]
# So a suite of a few hundred TestClient tests takes seconds, not milliseconds. A fresh app per
# test (a function-scoped fixture) buys isolation with a start-up per test; a module- or
# session-scoped client is quicker when the tests don't need a fresh start. Choose isolation first
# and optimise when the suite is slow enough to matter.

# %% [markdown]
# ## 10. Deep dive: TestClient or a real HTTP client?
#
# *Optional: what TestClient can't check, and what to use instead; skip it on a first pass.*
#
# | what you want to check | what to use |
# | --- | --- |
# | validation, status codes, response bodies, error handling | `TestClient`: in process, no network, full control of startup and shutdown |
# | the rules behind authentication (who may do what) | `TestClient`, with the current-user dependency replaced by a test user (a later lesson) |
# | your code that calls another service (a payment API, say) | `TestClient`, with the outgoing HTTP client provided by a dependency that the test replaces with one backed by a mock transport |
# | streaming responses and WebSockets | `TestClient` as well: `client.stream(...)`, `client.websocket_connect(...)` |
# | async tests that share async fixtures with the app's loop | an async client with an ASGI transport (a later lesson) |
# | real latency, throughput under load, server settings, TLS, proxies | a real server (uvicorn) and a real HTTP client or load-testing tool: TestClient never touches the network |

# %% [markdown]
# ## What the article gets wrong
#
# The section's first test file (a fixture that opens `with TestClient(app)`, a health check and a
# 404) runs as published on today's libraries: 2 passed. Around it, the article is wrong or out
# of date on several points:
#
# - **Built on httpx**: on Starlette 1.x, TestClient is built on **httpx2**, and FastAPI's
#   `TestClient` is Starlette's class re-exported, not a wrapper around it (section 1).
# - **Sub-millisecond requests, thousands of tests per second**: a request inside one `with`
#   block takes about a millisecond, but a test that starts the app, as a function-scoped client
#   fixture does, pays 10 to 20 ms of start-up and shutdown for forge: expect tens to a few
#   hundred tests per second (deep dive, section 9).
# - **No cookie handling, unlike a browser**: it keeps a cookie jar like any HTTP client; what it
#   lacks is JavaScript and HTML rendering (deep dive, section 8).
# - **The client is unusable outside a `with` block**: it works before and after the block; only
#   the lifespan is skipped (section 5).
# - **Middleware, exception handlers and background tasks run synchronously**: they run
#   asynchronously on an event loop in another thread; your test waits until they are done
#   (deep dive, section 7).
# - **A missing `with` makes tests flaky, and shows up as a 500 with no logs**: the failure is
#   deterministic. An error that escapes the app is raised into your test; you see a 500 only if
#   the app turns errors into responses (as forge does), and then its log holds the cause
#   (section 6).
# - **A fixture-managed client speeds the suite up**: a function-scoped fixture that enters the
#   client restarts the app for every test; it buys isolation, not speed.
# - **Async tests without an event loop end in a "no running event loop" RuntimeError**: current
#   pytest fails them with "async def functions are not natively supported" (deep dive, section 7).
# - **`@app.on_event` and a lifespan are interchangeable**: `on_event` is deprecated, and ignored
#   when the app has a `lifespan=` (the deep dive at the end of section 6).

# %% [markdown]
# ## Summary
#
# - `TestClient` is an HTTP client (an `httpx2.Client` subclass) whose transport calls your ASGI
#   app in process: no server, no port.
# - Put the client in a `yield` fixture and enter it with `with`: startup runs before the test,
#   shutdown after it, even when the test fails.
# - Without `with`, requests work but the lifespan never runs. Routes that need what startup
#   prepares fail the same way on every run: with an exception raised into your test, or, when
#   the app turns errors into responses (forge does), with a 500 whose cause is in the log.
# - Check exact status codes (**201**, **404**, **422**), and probe validation at its boundaries.
# - Read back what you created: a perfect `POST` answer proves nothing about storage.
# - Assert what the specification promises, not details such as which id a new resource gets.
# - From the deep dives: your test blocks until the app, running on an event loop in another
#   thread, is done (background tasks included); a request takes about a millisecond, an app
#   start-up many more; use a lifespan function, not `@app.on_event`.

# %% [markdown]
# ## Your turn: exercise 1
#
# Open **`exercises/ex01_testclient/ex01_testclient.ipynb`**. It asks you to write a pytest suite
# for forge's catalogue (the health check and the item routes you met above). Your suite must pass
# on the real service, and it is also run against copies of forge with **planted defects**; the
# more of them your tests catch, the better your score. The exercise explains how to get feedback
# on your suite with `check(...)`.
