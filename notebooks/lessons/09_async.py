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
# # Lesson 9 · Async tests: when the test itself must `await`
#
# `TestClient` lets an ordinary `def test_...` drive an `async` app: it runs the app on an event
# loop in another thread and waits for it. Most FastAPI tests never need more. This lesson is
# about the cases that do, and about the tools: pytest-asyncio (or anyio's pytest plugin),
# `httpx.AsyncClient` with an `ASGITransport`, and the app's lifespan, which that transport does
# not run. It also sorts out which client can test streaming responses and WebSockets, since the
# article gets that backwards.
#
# By the end you will be able to:
#
# - run `async def` tests with pytest-asyncio 1.x (or anyio's plugin), with async fixtures, and
#   choose the event loop's scope;
# - talk to an app with `httpx.AsyncClient` + `ASGITransport`, with its lifespan running;
# - test a streaming response for real (content *and* the fact that it streams), and a WebSocket;
# - say when an async test finds what a `TestClient` test can't, and when it finds nothing more.
#
# Run the cells from top to bottom. A few cells **fail on purpose**; the text before each says so.
# Sections headed *Deep dive* are optional: skip them on a first pass and come back for the depth.

# %%
from graders.notebook import setup, show
setup()

# %% [markdown]
# One more line of set-up, needed for async tests **in a notebook** only. The Jupyter kernel
# already runs an event loop in its main thread (that is what lets a cell `await` at the top
# level), and pytest-asyncio can't start its own loop in a thread whose loop is running. So
# ipytest must run pytest in a separate thread: `run_in_thread=True`. (`coverage=False` works
# around a bug in ipytest 0.14's `config`, which otherwise switches coverage on.)

# %%
import ipytest

ipytest.config(run_in_thread=True, coverage=False);

# %% [markdown]
# ## 1. Running an `async def` test
#
# pytest itself only calls functions. Call an `async def` function and you get a coroutine
# object back, not a result, so pytest can't run such a test without a plugin. What it does with
# one is fail it with a clear message; it does not raise "RuntimeError: no running event loop", as
# the article says. **This cell fails on purpose**: the report reads *async def functions are not
# natively supported*.

# %% tags=["raises-exception"]
# %%ipytest --tb=line
import asyncio


async def test_without_a_marker():
    await asyncio.sleep(0)


# %% [markdown]
# ### pytest-asyncio 1.x
#
# pytest-asyncio runs marked tests on an event loop. In its default **strict mode** it touches
# only what you mark:
#
# - a test: `@pytest.mark.asyncio`;
# - an async fixture: `@pytest_asyncio.fixture` (not `@pytest.fixture`).
#
# Strict mode lets pytest-asyncio live next to other async plugins (anyio's, trio's) in one
# project without either grabbing the other's tests. Set one option in your configuration too:
# `asyncio_default_fixture_loop_scope`. Without it pytest-asyncio prints a deprecation notice on
# every run, because the default is going to change. A `pyproject.toml` would say:
#
# ```toml
# [tool.pytest.ini_options]
# asyncio_mode = "strict"                        # the default; "auto" marks every async test for you
# asyncio_default_fixture_loop_scope = "function"
# ```
#
# (This course sets the option for its notebooks through `PYTEST_ADDOPTS`, which is why you
# don't see the notice.)

# %%
# %%ipytest
import pytest
import pytest_asyncio


@pytest_asyncio.fixture
async def greeting():
    await asyncio.sleep(0)          # an async fixture can await: open a connection, say
    yield "hello"
    await asyncio.sleep(0)          # ... and close it again in its teardown


@pytest.mark.asyncio
async def test_an_async_test_with_an_async_fixture(greeting):
    await asyncio.sleep(0)
    assert greeting == "hello"


# %% [markdown]
# An async fixture declared with plain `@pytest.fixture` is not picked up in strict mode, and
# pytest 9 refuses to hand a test an un-awaited coroutine. **This cell fails on purpose**: the test
# errors with *requested an async fixture 'plain_fixture', with no plugin or hook that handled it*.

# %% tags=["raises-exception"]
# %%ipytest --tb=line
@pytest.fixture
async def plain_fixture():
    return "hello"


@pytest.mark.asyncio
async def test_with_an_unmarked_async_fixture(plain_fixture):
    assert plain_fixture == "hello"


# %% [markdown]
# ### Which event loop? `loop_scope`, not `event_loop`
#
# Each test gets a **new event loop** by default, which isolates tests from each other. Objects
# bound to a loop (a connection pool, a queue, a future) can't outlive it, so a fixture that
# should be shared by several tests needs the tests to share a loop as well. In pytest-asyncio
# 1.x you ask for that with `loop_scope`:
#
# - on a test: `@pytest.mark.asyncio(loop_scope="module")` (or `"class"`, `"package"`, `"session"`);
# - on a fixture: `@pytest_asyncio.fixture(loop_scope="module")`;
# - for every test by default: the ini option `asyncio_default_test_loop_scope`.

# %% [markdown]
# **Predict, then run.** The first two tests share the module's loop. Will the third, with the
# default loop scope, run on that same loop or on one of its own? Decide, then run the cell.

# %%
# %%ipytest
loops = []


@pytest.mark.asyncio(loop_scope="module")
async def test_first_in_the_module_loop():
    loops.append(asyncio.get_running_loop())


@pytest.mark.asyncio(loop_scope="module")
async def test_second_in_the_module_loop():
    assert asyncio.get_running_loop() is loops[0]


@pytest.mark.asyncio
async def test_a_function_scoped_test_gets_its_own_loop():
    assert asyncio.get_running_loop() is not loops[0]


# %% [markdown]
# The article's advice is the old way: "use pytest-asyncio's `event_loop` fixture with
# `scope='function'`". That fixture was **removed** in pytest-asyncio 1.0. A test that asks for it
# no longer finds it. **This cell fails on purpose**: the error reads *fixture 'event_loop' not
# found*. (A deep dive below shows what happens to old code that defines its own `event_loop`;
# another shows anyio's plugin, the alternative to pytest-asyncio.)

# %% tags=["raises-exception"]
# %%ipytest --tb=line
@pytest.mark.asyncio
async def test_asking_for_the_old_fixture(event_loop):
    pass


# %% [markdown]
# ### Deep dive: a homemade `event_loop` fixture is silently ignored
#
# *Optional: what happens to old code that defines its own loop fixture; skip it on a first pass.*
#
# Old code that *defines* its own `event_loop` fixture, as older tutorials taught, no
# longer fails at all: the fixture is created and handed over, but the test does not run on that
# loop. The test below passes, which proves that the loop the fixture made is not the one running.

# %%
# %%ipytest
@pytest.fixture
def event_loop():
    loop = asyncio.new_event_loop()
    yield loop
    loop.close()


@pytest.mark.asyncio
async def test_a_homemade_event_loop_is_silently_ignored(event_loop):
    assert asyncio.get_running_loop() is not event_loop


# %% [markdown]
# ### Deep dive: the alternative, anyio's plugin
#
# *Optional: the other pytest plugin for async tests; skip it on a first pass.*
#
# FastAPI already depends on **anyio**, and anyio ships a pytest plugin: mark tests with
# `@pytest.mark.anyio`. It runs them on the backend named by an `anyio_backend` fixture
# (`"asyncio"` by default; `"trio"` too, if trio is installed), and its async fixtures are plain
# `@pytest.fixture` functions. Pick one plugin per project; the rest of this lesson uses
# pytest-asyncio.

# %%
# %%ipytest
import anyio


@pytest.fixture
def anyio_backend():
    return "asyncio"


@pytest.fixture
async def ready():
    await anyio.sleep(0)
    return True


@pytest.mark.anyio
async def test_with_anyios_plugin(ready):
    await anyio.sleep(0)
    assert ready


# %% [markdown]
# ## 2. An async HTTP client: `AsyncClient` + `ASGITransport`
#
# `httpx.AsyncClient` is the async twin of the client `TestClient` is built on. Give it an
# `httpx.ASGITransport(app=...)` and it calls the app directly on the *current* event loop, in
# process, with no server and no second thread. (`httpx2`, which `TestClient` uses on Starlette
# 1.x, has the same two classes; this lesson uses `httpx`.)
#
# A notebook cell can `await` at the top level, so let's explore first.

# %% [markdown]
# **Predict, then run.** The next cell talks to a new forge app through `AsyncClient` and
# `ASGITransport`, with no `TestClient` anywhere. Will forge answer both requests, the health check
# and the catalogue, normally? Decide, then run the cell.

# %%
import httpx

from forge.main import create_app

app = create_app()
async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://forge.test") as client:
    print("health:", (await client.get("/forge/health")).json())
    response = await client.get("/forge/items")
    print("items: ", response.status_code, response.json())

# %% [markdown]
# Forge's health check answers. The catalogue, though, is a **500**.
#
# **`ASGITransport` never runs the lifespan.** It sends the app HTTP requests only, never the
# startup and shutdown events, so forge never created its database, and the catalogue route fails
# (forge's middleware turns the error into its JSON 500). The article's "AsyncClient, wired to your
# app through a lifespan context manager" leaves out the wiring, and nothing in its code does it.
# Two ways to run the lifespan around an async client:
#
# - `asgi_lifespan.LifespanManager(app)` (the `asgi-lifespan` package): it sends the startup
#   event on entry and the shutdown event on exit, and `manager.app` also passes on any state the
#   lifespan yields to the requests. Give the transport `manager.app`;
# - FastAPI's own `app.router.lifespan_context(app)`: an async context manager that runs the
#   lifespan function directly (it does not pass yielded state on to requests).

# %%
from asgi_lifespan import LifespanManager

async with LifespanManager(app) as manager:
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=manager.app), base_url="http://forge.test") as client:
        print("with LifespanManager:", [item["name"] for item in (await client.get("/forge/items")).json()])

async with app.router.lifespan_context(app):
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://forge.test") as client:
        print("with lifespan_context:", len((await client.get("/forge/items")).json()), "items")

# %% [markdown]
# In tests, this becomes an async fixture: lifespan outside, client inside, both closed in the
# teardown, in reverse order. Below it drives forge's sign-up flow: register, log in for a token,
# ask who "me" is.

# %%
# %%ipytest
@pytest_asyncio.fixture
async def forge_async():
    app = create_app()
    async with LifespanManager(app) as manager:
        transport = httpx.ASGITransport(app=manager.app)
        async with httpx.AsyncClient(transport=transport, base_url="http://forge.test") as client:
            yield client


@pytest.mark.asyncio
async def test_a_new_user_can_sign_in_and_see_themselves(forge_async):
    account = {"username": "grace", "email": "grace@example.com", "password": "correct-horse"}
    assert (await forge_async.post("/forge/users", json=account)).status_code == 201

    login = await forge_async.post("/token", data={"username": "grace", "password": "correct-horse"})
    assert login.status_code == 200
    token = login.json()["access_token"]

    me = await forge_async.get("/forge/users/me", headers={"Authorization": f"Bearer {token}"})
    assert me.status_code == 200
    assert me.json()["username"] == "grace"


# %% [markdown]
# And `TestClient`? It is a synchronous client. `async with TestClient(app)`, the article's cure for
# a "session is not open" error (a message that exists in none of these libraries), is a
# `TypeError`:

# %%
from fastapi.testclient import TestClient

try:
    async with TestClient(app) as client:
        pass
except TypeError as error:
    print("TypeError:", error)

# %% [markdown]
# ## 3. Streaming responses: the one client that sees the pieces
#
# A `StreamingResponse` sends its body in pieces, one per item its generator yields, so a large
# export can start before it is finished. A test of such an endpoint should check two things: the
# **content** (the whole body, once assembled), and that it really **streams**. Here is a small
# streaming endpoint:

# %%
import anyio
from fastapi import FastAPI
from fastapi.responses import StreamingResponse

streams = FastAPI()


@streams.get("/countdown")
async def countdown():
    async def lines():
        for n in (3, 2, 1):
            await anyio.sleep(0)
            yield f"{n}\n"
        yield "liftoff\n"

    return StreamingResponse(lines(), media_type="text/plain")


# %% [markdown]
# The article's test awaits `client.get(...)` and then collects `response.aiter_bytes()`, expecting
# more than one chunk. It can't pass: `await client.get()` has already **read the whole body**, and
# iterating afterwards hands it back as one piece. **This cell fails on purpose** with
# `assert 1 > 1`.

# %% tags=["raises-exception"]
# %%ipytest --tb=line
@pytest.mark.asyncio
async def test_streaming_the_articles_way():
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=streams), base_url="http://test") as client:
        response = await client.get("/countdown")
    chunks = [chunk async for chunk in response.aiter_bytes()]
    assert len(chunks) > 1


# %% [markdown]
# Asking the async client to stream (`client.stream(...)`, which does not read the body up front)
# does not help either: `httpx.ASGITransport` **collects the app's whole body** before it returns a
# response, whatever you ask. `TestClient.stream(...)`, on the other hand, hands the pieces over as
# the app sends them (on Starlette 1.x):

# %%
async with httpx.AsyncClient(transport=httpx.ASGITransport(app=streams), base_url="http://test") as client:
    async with client.stream("GET", "/countdown") as response:
        pieces = [chunk async for chunk in response.aiter_raw()]
print("ASGITransport, client.stream:", pieces)

with TestClient(streams) as client:
    with client.stream("GET", "/countdown") as response:
        pieces = list(response.iter_bytes())
        print("TestClient.stream:           ", pieces)
        print("content-type:", response.headers["content-type"], "| content-length:", response.headers.get("content-length"))

# %% [markdown]
# So test a stream with `TestClient.stream`, in a plain `def` test: the number of pieces shows that
# it streams, and the joined pieces are the content. Two more details in the output above:
#
# - a streamed response has **no `Content-Length`**: the app did not know the length when it began
#   to send;
# - Starlette adds `; charset=utf-8` to a `text/...` media type, so compare the media type itself,
#   not the whole header.
#
# Don't pin the exact number of pieces unless it is promised. How an app groups its output into
# pieces is an implementation detail; "more than one" is what streaming means.

# %%
# %%ipytest
def test_countdown_streams_line_by_line():
    with TestClient(streams) as client:
        with client.stream("GET", "/countdown") as response:
            assert response.status_code == 200
            assert response.headers["content-type"].split(";")[0] == "text/plain"
            pieces = list(response.iter_text())
    assert len(pieces) > 1
    assert "".join(pieces).splitlines() == ["3", "2", "1", "liftoff"]


# %% [markdown]
# A stream that arrives in pieces can still carry the wrong content, and streaming code has its
# own ways to get it wrong. A thorough test of a streamed export checks:
#
# - **every line, the last one included**: a generator whose loop stops one item early still
#   streams perfectly;
# - **the first line**, if the format has a header;
# - **the formatting of every value**, not just one that happens to look right (`18.25` is the
#   same with or without two-decimal formatting; `35.5` is not);
# - **the current state**: change the data first, then stream. A generator fed from data captured
#   at startup (or cached) streams yesterday's rows, and a test that only streams the starting
#   data can't tell;
# - **the media type**, and that the body comes in more than one piece.
#
# Forge has a streaming endpoint too, `GET /forge/items/export`, the catalogue as CSV, one line at
# a time. It is yours to test in the exercise.
#
# ## 4. WebSockets: `TestClient` again
#
# The article also sends you to `AsyncClient` for WebSocket handlers. `ASGITransport` speaks HTTP
# only: it can't open a WebSocket at all, and a plain request to a WebSocket route finds no HTTP
# route there (404). `TestClient.websocket_connect` does the whole conversation:

# %%
from fastapi import WebSocket

sockets = FastAPI()


@sockets.websocket("/echo")
async def echo(websocket: WebSocket):
    await websocket.accept()
    text = await websocket.receive_text()
    await websocket.send_json({"echo": text})
    await websocket.close()


async with httpx.AsyncClient(transport=httpx.ASGITransport(app=sockets), base_url="http://test") as client:
    print("ASGITransport, GET /echo:", (await client.get("/echo")).status_code)

with TestClient(sockets).websocket_connect("/echo") as websocket:
    websocket.send_text("hello, anvil")
    print("TestClient.websocket_connect:", websocket.receive_json())

# %% [markdown]
# ## 5. When an async test finds more, and when it doesn't
#
# The article claims `TestClient` "is sync-only and misses async bugs". The app code runs the
# same way under both clients: on a real event loop, `await`s and all. The classic async bug, a
# forgotten `await`, fails the same way through both. And background tasks are no difference
# either: like `TestClient`'s call, `await client.post(...)` returns only after the response's
# background tasks have finished, so a fixture that "flushes" them, as the article suggests, has
# nothing to do. The deep dive below shows both.

# %% [markdown]
# ### Deep dive: a forgotten `await` and a background task, through both clients
#
# *Optional: the two claims above, run; skip it on a first pass.*
#
# The endpoint below forgets an `await` and returns a coroutine object instead of a price. Both
# clients get the very same error, raised into the test. (The cell hides Python's "never awaited"
# notice, which is not the point here.)

# %%
import gc
import warnings

prices = FastAPI()


async def load_price() -> float:
    return 12.5


@prices.get("/price")
async def price():
    value = load_price()                     # the bug: no await
    return {"price": value}


with warnings.catch_warnings():
    warnings.simplefilter("ignore", RuntimeWarning)
    try:
        TestClient(prices).get("/price")
    except ValueError as error:
        print("TestClient raised: ", type(error).__name__, error)
    try:
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=prices), base_url="http://test") as client:
            await client.get("/price")
    except ValueError as error:
        print("AsyncClient raised:", type(error).__name__, error)
    gc.collect()

# %% [markdown]
# And a background task that takes a while has finished by the time `await client.post(...)`
# returns:

# %%
# %%ipytest
from fastapi import BackgroundTasks

receipts: list[str] = []
shop = FastAPI()


async def send_receipt(order: str) -> None:
    await asyncio.sleep(0.1)                 # a slow mail server
    receipts.append(order)


@shop.post("/orders/{order}", status_code=202)
async def place_order(order: str, tasks: BackgroundTasks):
    tasks.add_task(send_receipt, order)
    return {"order": order}


@pytest.mark.asyncio
async def test_the_receipt_is_sent_by_the_time_the_call_returns():
    receipts.clear()
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=shop), base_url="http://test") as client:
        response = await client.post("/orders/A-17")
    assert response.status_code == 202
    assert receipts == ["A-17"]


# %% [markdown]
# (The article's second async test checks a `background_tasks.log` file that nothing creates, and
# its comment says the log *should* contain errors while the assertion says it must not. To test a
# background task, check its effect, or replace the dependency it uses and check the calls.)

# %% [markdown]
# ### What async tests are for
#
# An async test earns its keep when the **test itself** has to `await`:
#
# - **Async fixtures that share the app's loop.** With `ASGITransport` the app runs on the test's
#   own event loop, so an async resource the test creates (an async database engine, a queue, a
#   client for another service) can be handed to the app through a dependency override and used by
#   both. Under `TestClient` the app runs on another loop in another thread, where such objects
#   can't be awaited.
# - **Concurrency inside one test.** `TestClient` sends one request at a time and waits for each.
#   An async client can send many at once with `asyncio.gather`, and that is how you find the bugs
#   that only appear when requests overlap (the deep dive below catches one).

# %% [markdown]
# ### Deep dive: a race that only concurrent requests find
#
# *Optional: lost updates, missed by `TestClient` and caught by an async test; skip it on a first
# pass.*
#
# The endpoint below counts visits; between reading the counter and writing it back it awaits
# something (a database round trip, say), and overlapping requests then overwrite each other's
# updates. Twenty visits one after the other count correctly, so the `TestClient` test passes and
# misses the bug.

# %%
# %%ipytest
def make_counter(locked: bool) -> FastAPI:
    app = FastAPI()
    app.state.visits = 0
    lock = asyncio.Lock() if locked else None

    async def count_one() -> int:
        current = app.state.visits
        await asyncio.sleep(0)               # stands for a database round trip
        app.state.visits = current + 1
        return app.state.visits

    @app.post("/visits")
    async def visit():
        if lock is None:
            return {"visits": await count_one()}
        async with lock:
            return {"visits": await count_one()}

    return app


def test_twenty_visits_one_after_another():
    app = make_counter(locked=False)
    with TestClient(app) as client:
        for _ in range(20):
            client.post("/visits")
    assert app.state.visits == 20


# %% [markdown]
# The same twenty visits sent **at once** from an async test show the lost updates. **This cell
# fails on purpose**: the test against the unlocked counter fails (`assert 1 == 20`), the one
# against the counter that holds a lock around its read-and-write passes.

# %% tags=["raises-exception"]
# %%ipytest --tb=line
@pytest.mark.asyncio
@pytest.mark.parametrize("locked", [False, True], ids=["unlocked", "locked"])
async def test_twenty_visits_at_once(locked):
    app = make_counter(locked)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://test") as client:
        await asyncio.gather(*(client.post("/visits") for _ in range(20)))
    assert app.state.visits == 20


# %% [markdown]
# ## 6. Which client, then?
#
# | you want to test | use |
# | --- | --- |
# | status codes, bodies, headers, errors, background-task effects | either; `TestClient` in plain `def` tests is simplest |
# | an app whose lifespan matters | `with TestClient(app)`, or `LifespanManager` around `AsyncClient` |
# | that a response **streams** | `TestClient.stream(...)`: `ASGITransport` buffers the body |
# | WebSockets | `TestClient.websocket_connect(...)`: `ASGITransport` can't |
# | async fixtures or resources shared with the app's loop | `AsyncClient` + `ASGITransport` in async tests |
# | overlapping requests, races | `AsyncClient` + `asyncio.gather` in an async test |
#
# Speed is not a reason to choose: `ASGITransport` skips `TestClient`'s thread hops and handles
# a few thousand requests a second, `TestClient` a few hundred; either is fast enough.
#
# ## What the article gets wrong
#
# Measured on the pinned versions:
#
# - **The `// io.thecodeforge — python tutorial` first line** of the section's code is not Python:
#   a test module that starts with it fails to collect with a `SyntaxError` (lesson 6 runs it).
#   Make it a `#` comment or drop it.
# - **An async test without a plugin dies with "RuntimeError: no running event loop"**: pytest
#   fails it with "async def functions are not natively supported".
# - **"Use pytest-asyncio's `event_loop` fixture with `scope='function'`"**: the fixture was
#   removed in pytest-asyncio 1.0 (`fixture 'event_loop' not found`), and a homemade one is
#   silently ignored (section 1's deep dive). Use `loop_scope` and the ini options instead. `@pytest.mark.asyncio` itself
#   is right; set `asyncio_default_fixture_loop_scope` too.
# - **AsyncClient "wired through a lifespan context manager"**: `ASGITransport` never runs the
#   lifespan. Wrap the app in `LifespanManager` or enter `app.router.lifespan_context(app)`.
# - **The streaming test**: after `await client.get()` the body is one chunk, and `ASGITransport`
#   buffers the body even with `client.stream()`. The test can't pass. `TestClient.stream` does
#   stream.
# - **"For WebSockets or streaming, TestClient won't cut it"**: it is the other way round.
#   `TestClient` handles both; `ASGITransport` handles neither.
# - **"A fixture that flushes background tasks"**: there is nothing left to flush when
#   `await client.post(...)` returns.
# - **"TestClient is sync-only and misses async bugs"**: a forgotten `await` fails the same way
#   through both clients. What only async tests add is awaiting in the test itself.
# - **`async with TestClient(app)`**: a `TypeError`. For an async context manager, use `AsyncClient`.
#
# ## Summary
#
# - An `async def` test needs a plugin and a marker: `@pytest.mark.asyncio` (pytest-asyncio,
#   strict mode, async fixtures with `@pytest_asyncio.fixture`) or `@pytest.mark.anyio`.
# - Set `asyncio_default_fixture_loop_scope`; share a loop between tests with `loop_scope`, never
#   with an `event_loop` fixture.
# - In a notebook, async tests need ipytest's `run_in_thread=True`.
# - `httpx.AsyncClient(transport=httpx.ASGITransport(app=...))` calls the app on the test's own
#   loop, and never runs the lifespan: put `LifespanManager` around it, in an async fixture.
# - Test streaming with `TestClient.stream` (more than one piece, the joined content, the media
#   type) and WebSockets with `TestClient.websocket_connect`.
# - Reach for async tests when the test must await: shared async resources, concurrent requests.

# %% [markdown]
# ## Your turn: exercise 9
#
# Open **`exercises/ex09_async/ex09_async.ipynb`**. You will write async tests for forge's
# catalogue (with its lifespan running) and test its streaming CSV export,
# `GET /forge/items/export`. Planted defects wait for your suite.
