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
# # Lesson 5 · Testing error handlers and custom exceptions
#
# Clients of an API spend as much code on its failures as on its successes: they branch on the
# status code, read a machine-readable error code, show the human text, and quote a trace id when
# they call support. So the *shape* of an error response is a contract like any other, and it is
# easy to break without noticing: a handler returns the wrong status, a key is renamed, a header
# goes missing, or an unexpected crash leaks a stack trace.
#
# By the end of this lesson you will be able to:
#
# - test that a custom exception is turned into the right status code and the right JSON shape;
# - spot two handler mistakes that only a test of the *framework's own* errors reveals;
# - force an error on purpose by overriding a dependency with one that raises;
# - explain what `TestClient` does with an exception nobody handled (`raise_server_exceptions`),
#   and test for the 500 a real caller would get;
# - test forge's safety net for crashes: a JSON 500 whose trace id matches the `X-Trace-ID` header.
#
# A few cells **fail on purpose**; the text right before each of them says so. Sections headed
# *Deep dive* are optional: skip them on a first pass and come back for the depth.

# %%
from graders.notebook import setup, show
setup()

# %% [markdown]
# ## 1. A custom exception, a handler, and a test of its shape
#
# The usual pattern has three parts: an exception class that carries what the response needs, a
# handler registered on the app that turns the exception into a response, and routes that simply
# `raise`. Here is a small stock-keeping app that follows it. Running out of stock is a
# **conflict** with the current state of the server, so the handler answers **409**, in a shape
# with a stable `error` code for programs and a `detail` text for people.
#
# The app is built by a function, `make_stock_app()`, so that every test can have a fresh one
# (the deep dive in section 6 shows why that matters).

# %%
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from fastapi.testclient import TestClient


class OutOfStock(Exception):
    def __init__(self, product: str):
        super().__init__(f"No {product} left in stock")
        self.product = product


async def out_of_stock_handler(request: Request, exc: OutOfStock) -> JSONResponse:
    return JSONResponse({"error": "out_of_stock", "detail": str(exc)}, status_code=409)


def make_stock_app() -> FastAPI:
    app = FastAPI()
    app.add_exception_handler(OutOfStock, out_of_stock_handler)
    stock = {"nails": 40, "rivets": 0}

    @app.post("/stock/{product}/take")
    def take(product: str):
        if stock.get(product, 0) < 1:
            raise OutOfStock(product)
        stock[product] -= 1
        return {"product": product, "left": stock[product]}

    return app


response = TestClient(make_stock_app()).post("/stock/rivets/take")
print(response.status_code, response.json())

# %% [markdown]
# A test of a handled error checks the two things a client relies on: the **status code** and the
# **shape** of the body. The error code is for programs, so it is checked exactly. If the `detail`
# text is only for humans and may be reworded, check that it is there and is text, and leave the
# wording alone, or the test breaks on every copy edit.
#
# The article's own handled-error test (an exact comparison of the whole body) runs fine on
# current versions. The tests below state the same facts while leaving the wording free.

# %%
# %%ipytest
import pytest


@pytest.fixture
def stock():
    with TestClient(make_stock_app()) as client:
        yield client


def test_taking_from_an_empty_shelf_is_a_409_conflict(stock):
    response = stock.post("/stock/rivets/take")
    assert response.status_code == 409
    body = response.json()
    assert body["error"] == "out_of_stock"
    assert isinstance(body["detail"], str) and body["detail"]


def test_taking_what_is_there_still_works(stock):
    response = stock.post("/stock/nails/take")
    assert response.status_code == 200
    assert response.json() == {"product": "nails", "left": 39}


# %% [markdown]
# ## 2. Forge's errors
#
# The course's service, forge, has one error shape for everything that goes wrong on purpose:
# `{"error": <code>, "detail": <text>}`. Here is the whole of `forge/errors.py`:

# %%
import forge.errors

show(forge.errors)

# %% [markdown]
# Three design choices are worth noticing, because each one is something a test can break or
# confirm:
#
# - **One handler for a family of exceptions.** `NotFound` and `Conflict` subclass `ForgeError`
#   and carry their status and code as class attributes. Starlette looks a handler up along the
#   exception's class hierarchy, so the one handler registered for `ForgeError` serves every
#   subclass. A route raises `NotFound("Item 7 not found")` and never builds a response itself.
# - **The framework's own errors get the same shape.** An unknown path (404), a wrong method
#   (405) and an `HTTPException` raised by a dependency (forge's 401 and 403) are all
#   `HTTPException`s, and `http_error_handler` turns them into `{"error", "detail"}` too. The
#   code comes from the status phrase: 404 becomes `"not_found"`, 405 `"method_not_allowed"`.
# - **Headers survive.** An `HTTPException` can carry headers that are part of HTTP's rules: a
#   401 tells the client *how* to authenticate (`WWW-Authenticate: Bearer`), a 405 lists the
#   methods that are allowed (`Allow`). The handler passes `exc.headers` on.
#
# Validation errors (422) are the exception to the single shape: forge keeps FastAPI's standard
# `{"detail": [...]}` list, which lesson 7 tests field by field.
#
# A quick look at what forge answers, on a few routes that need no set-up:

# %% [markdown]
# **Predict, then run.** For each of the three requests in the next cell, decide which status
# code, which `error` code and which extra header (`WWW-Authenticate`, `Allow`) you expect. Then
# run the cell.

# %%
from forge.main import create_app

with TestClient(create_app()) as forge_client:
    for method, path in [("GET", "/forge/items/424242"), ("GET", "/forge/admin/dashboard"),
                         ("PUT", "/forge/health")]:
        response = forge_client.request(method, path)
        extra = {k: v for k, v in response.headers.items() if k in ("www-authenticate", "allow")}
        print(f"{method:6} {path:24} {response.status_code} {response.json()} {extra}")

# %% [markdown]
# ### Two handler mistakes that only the framework's own errors reveal
#
# **Registering the handler for the wrong `HTTPException`.** FastAPI has its own
# `fastapi.HTTPException`, a subclass of Starlette's `starlette.exceptions.HTTPException`. Your
# routes and dependencies usually raise FastAPI's class, but the router's 404 for an unknown path
# and its 405 for a wrong method raise *Starlette's*. A handler registered for the subclass never
# sees the parent class's instances. Everything you raise yourself gets your shape; the
# framework's own errors keep the default `{"detail": ...}`.
#
# **Forgetting the headers.** A handler that builds its `JSONResponse` from the status and detail
# alone drops `WWW-Authenticate` and `Allow`. The body looks perfect; only a test that checks the
# header notices.
#
# The cell below builds an app with both mistakes and shows the result.

# %%
import fastapi
from fastapi import Depends, status


async def careless_http_handler(request: Request, exc: fastapi.HTTPException) -> JSONResponse:
    code = "unauthorized" if exc.status_code == 401 else "http_error"
    return JSONResponse({"error": code, "detail": exc.detail}, status_code=exc.status_code)  # no headers=


def require_token():
    raise fastapi.HTTPException(status.HTTP_401_UNAUTHORIZED, detail="Not authenticated",
                                headers={"WWW-Authenticate": "Bearer"})


careless = FastAPI()
careless.add_exception_handler(fastapi.HTTPException, careless_http_handler)  # the subclass


@careless.get("/private", dependencies=[Depends(require_token)])
def private():
    return {"secret": 42}


client = TestClient(careless)
own = client.get("/private")
print("our 401:       ", own.status_code, own.json(), "| WWW-Authenticate:", own.headers.get("www-authenticate"))
unknown = client.get("/no-such-page")
print("router's 404:  ", unknown.status_code, unknown.json())

# %% [markdown]
# So a suite for an error contract must include requests that *the framework* answers: an
# unknown path, a wrong method, and the headers of a 401. Tests of your own exceptions alone pass
# on this broken app.

# %% [markdown]
# ## 3. Forcing errors with a dependency override
#
# Some errors are hard to provoke through the front door: the database goes away, the mail server
# times out, a helper raises `KeyError`. Every route gets its collaborators through
# `Depends(...)`, and `app.dependency_overrides` lets a test replace one of them with a function
# that **raises**. The request then fails exactly where the real failure would happen.
#
# Overrides are global state on the app object, so the fixture below creates a fresh forge app for
# each test *and* clears the overrides in its clean-up, which runs even when the test fails.
#
# The first use: forge's health route depends on `get_settings`; an override that raises an
# `HTTPException(503)` with a `Retry-After` header shows that the HTTP error handler keeps both
# the shape and the header for any status, not just the ones the routes happen to use.

# %%
# %%ipytest
from fastapi import HTTPException

from forge.dependencies import get_settings


@pytest.fixture
def forge_app():
    app = create_app()
    yield app
    app.dependency_overrides.clear()


def test_any_http_error_keeps_the_shape_and_its_headers(forge_app):
    def under_maintenance():
        raise HTTPException(503, detail="Back in a minute", headers={"Retry-After": "60"})

    forge_app.dependency_overrides[get_settings] = under_maintenance
    with TestClient(forge_app) as client:
        response = client.get("/forge/health")
    assert response.status_code == 503
    assert response.json()["error"] == "service_unavailable"
    assert response.headers["retry-after"] == "60"


# %% [markdown]
# The second use is the interesting one: an override that raises an exception **nobody
# handles**, such as `RuntimeError`. What the test then sees depends on the client and on the
# app's middleware. Sections 4 and 5 take that apart, starting with an app that has no safety net.

# %% [markdown]
# ## 4. Unhandled exceptions and `TestClient`
#
# Below, a tiny app with a route that crashes, and a test in the spirit of the article's
# *unhandled exception fallback* test: it expects the generic 500 response a caller would get.

# %%
def make_crashing_app(debug: bool = False) -> FastAPI:
    app = FastAPI(debug=debug)

    @app.get("/furnace")
    def furnace():
        raise RuntimeError("the furnace is cold")

    @app.get("/ok")
    def ok():
        return {"ok": True}

    return app


# %% [markdown]
# **Predict, then run.** This cell **fails on purpose**. Before you run it, decide where the test
# fails (at the status-code assertion, at the traceback check, or before any assertion runs) and
# with which error.

# %% tags=["raises-exception"]
# %%ipytest --tb=line
def test_a_crash_becomes_a_500():
    with TestClient(make_crashing_app()) as client:
        response = client.get("/furnace")
    assert response.status_code == 500
    assert "traceback" not in response.text.lower()


# %% [markdown]
# No response ever arrives. The route's own exception, `RuntimeError: the furnace is cold`, comes
# out of the `client.get(...)` call and fails the test before any assertion runs.
#
# `TestClient` takes an argument `raise_server_exceptions`, **`True` by default**. When an
# exception escapes the app, the client raises it again in your test instead of handing you the
# 500 response: a test that crashes with the real exception is far easier to debug than one that
# fails with `assert 500 == 200`.
#
# There are two correct ways to write the test, depending on what you want to check:
#
# - **"This request blows up"** (you are testing the route, and a crash is the expected outcome
#   of some input): keep the default client and wrap the call in `pytest.raises`.
# - **"A caller gets a clean 500"** (you are testing what goes over the wire): create the client
#   with `raise_server_exceptions=False`. You then get the response from Starlette's outermost
#   error middleware: status 500 with the plain-text body `Internal Server Error`.

# %%
# %%ipytest
def test_the_crash_reaches_the_test_with_the_default_client():
    with TestClient(make_crashing_app()) as client:
        with pytest.raises(RuntimeError, match="furnace is cold"):
            client.get("/furnace")


def test_a_caller_gets_a_plain_500_without_details():
    with TestClient(make_crashing_app(), raise_server_exceptions=False) as client:
        response = client.get("/furnace")
    assert response.status_code == 500
    assert response.headers["content-type"].startswith("text/plain")
    assert response.text == "Internal Server Error"
    assert "furnace" not in response.text


# %% [markdown]
# ### Deep dive: a handler for `Exception` does not stop the re-raise
#
# *Optional: how Starlette treats a catch-all handler; skip it on a first pass.*
#
# It is tempting to think that registering a handler for `Exception` ends the problem: the app
# then answers a JSON 500 of your own. It does answer, but Starlette treats a handler for
# `Exception` (or for status 500) specially: it runs it in the outermost error middleware, sends
# its response, **and then re-raises the exception** so that servers can log it. The default
# `TestClient` re-raises it into your test as before:

# %%
async def json_500(request: Request, exc: Exception) -> JSONResponse:
    return JSONResponse({"error": "internal_error", "detail": "Something broke."}, status_code=500)


handled = make_crashing_app()
handled.add_exception_handler(Exception, json_500)

try:
    TestClient(handled).get("/furnace")
except RuntimeError as error:
    print("default client: RuntimeError raised into the caller:", error)

as_a_caller = TestClient(handled, raise_server_exceptions=False).get("/furnace")
print("raise_server_exceptions=False:", as_a_caller.status_code, as_a_caller.json())

# %% [markdown]
# ## 5. Forge's safety net: the trace-id middleware
#
# Where each kind of error is turned into a response, from the outside in (lesson 13 names every
# layer):
#
# ```mermaid
# flowchart TD
#     caller([TestClient]) --> SE["Starlette's error middleware<br/>(outermost: a crash becomes a plain 500)"]
#     SE --> FM["forge's trace-id middleware<br/>(a crash becomes a JSON 500 with the trace id)"]
#     FM --> EM["Starlette's exception middleware<br/>(HTTPException, your handlers, 422)"]
#     EM --> R["router and endpoint"]
# ```
#
# Starlette's error middleware also has a **debug** switch, `FastAPI(debug=True)`: with it on,
# the plain 500 it sends for an escaped exception contains the traceback (section 7's deep dive
# shows it). `debug` belongs to the app, not to the client; in forge it comes from the settings
# that `create_app()` takes: `create_app(Settings(debug=True))`, or `FORGE_DEBUG=1` in the
# environment.
#
# Forge doesn't let an unhandled exception reach Starlette's error middleware at all. Every request
# passes through a middleware that gives it a **trace id** (the caller's own `X-Trace-ID` if it
# looks sane, otherwise a fresh random one), puts it on the response as a header, and wraps the
# rest of the app in `try`/`except`:

# %%
import forge.middleware

show(forge.middleware.install_trace_ids)

# %% [markdown]
# The article's interview answer on trace ids suggests a crashing endpoint to check that the
# header is still there. With a middleware that only *adds* the header, that test fails: the crash
# skips the middleware's second half, and the plain 500 comes from Starlette's error middleware,
# which sits outside every user middleware. Catching the exception is what makes the header
# survive a crash, and it changes everything section 4 said about crashes:
#
# | | plain app (section 4) | forge |
# | --- | --- | --- |
# | default `TestClient` | the exception is raised into the test | a JSON 500 response |
# | `raise_server_exceptions=False` | plain-text `Internal Server Error` | the same JSON 500 |
# | app built with `debug=True` | traceback in the body | the same JSON 500: the error middleware never sees the exception |
# | where the cause goes | into the test, or the traceback | forge's log, with the trace id |
#
# `raise_server_exceptions` only matters for exceptions that escape the app, and none escape
# forge. So with forge the default client is the right one: you get the response a caller gets,
# and if the middleware ever stopped catching, your test would crash loudly with the cause.
#
# The cell below forces a crash in forge with an override of `get_settings` that raises, with
# debug off and on, and both kinds of client.

# %%
from forge.config import Settings


def boiler_explodes():
    raise RuntimeError("pressure 9000 bar in boiler 3")


for debug in (False, True):
    app = create_app(Settings(debug=debug))
    app.dependency_overrides[get_settings] = boiler_explodes
    for raising in (True, False):
        with TestClient(app, raise_server_exceptions=raising) as client:
            response = client.get("/forge/health")
        print(f"debug={debug!s:5} raise_server_exceptions={raising!s:5} -> {response.status_code} "
              f"{response.json()} | X-Trace-ID {response.headers['x-trace-id']}")
    app.dependency_overrides.clear()

# %% [markdown]
# What a test of forge's crash path can rely on, and how to see the cause:
#
# - the status is 500 and the body has forge's shape, with `error` set to `"internal_error"`;
# - the body's `trace_id` is the same id as the `X-Trace-ID` header, so a user can quote it and
#   support can find the log line;
# - the body gives nothing away: neither the exception's message nor a traceback;
# - the cause is **logged**: pytest's `caplog` fixture collects log records during a test, so a
#   test can check that the real exception was logged, with the trace id.
#
# The test below checks the first two points and the log. Don't assume a trace-id format (length,
# hex digits, dashes) unless the service promises one: compare the body with the header instead.

# %%
# %%ipytest
import logging


def test_a_crash_is_a_json_500_whose_trace_id_matches_the_header(forge_app, caplog):
    forge_app.dependency_overrides[get_settings] = boiler_explodes
    with TestClient(forge_app) as client:
        with caplog.at_level(logging.ERROR, logger="forge"):
            response = client.get("/forge/health")
    assert response.status_code == 500
    body = response.json()
    assert body["error"] == "internal_error"
    assert body["trace_id"] == response.headers["X-Trace-ID"]
    logged = [record for record in caplog.records if record.exc_info]
    assert logged and "boiler 3" in str(logged[0].exc_info[1])
    assert body["trace_id"] in logged[0].getMessage()


# %% [markdown]
# ## 6. Deep dive: don't add routes to a shared app inside a test
#
# *Optional: a test-isolation pitfall in the article's crash test; skip it on a first pass.*
#
# The article's crash test also registers its crashing route *inside the test*, with a decorator
# on the app that the whole test module shares. A decorator call is not scoped to the test: it
# adds a route to that app object for good, and every later test in the process sees it.
#
# Below, `shared` stands for such a module-level app. The first test adds a crashing route to it
# (and, fixed as in section 4, passes). The second test checks an honest promise of the original
# app: `/furnace` is not one of its paths. **This cell fails on purpose**: the second test does
# not get its 404; it crashes with `RuntimeError: the furnace is cold`, raised by a route that
# the *first* test left behind. Run alone, it passes; that order dependence is what makes such
# leaks so hard to debug.

# %% tags=["raises-exception"]
# %%ipytest --tb=line
shared = FastAPI()


@shared.get("/ok")
def shared_ok():
    return {"ok": True}


def test_crashing_route_added_inside_the_test():
    @shared.get("/furnace")
    def furnace():
        raise RuntimeError("the furnace is cold")

    response = TestClient(shared, raise_server_exceptions=False).get("/furnace")
    assert response.status_code == 500


def test_the_app_has_no_furnace():
    assert TestClient(shared).get("/furnace").status_code == 404


# %%
from fastapi.routing import APIRoute

print("routes left on the shared app:", [route.path for route in shared.routes if isinstance(route, APIRoute)])

# %% [markdown]
# The cure is the same as for dependency overrides: never mutate an app that other tests use.
# Build the app you need *inside* the test or its fixture, either a small inline app (like
# `make_crashing_app()` above) or, for forge, a fresh `create_app()`. Forge's factory returns a
# new app object on every call, so a route or override added to it disappears with the test.

# %% [markdown]
# ## 7. Deep dive: debug mode, tracebacks in the response
#
# *Optional: what `debug=True` does on an app without forge's safety net; skip it on a first
# pass.*
#
# Starlette's outermost error middleware has a **debug** switch. With it on, the 500 it sends for
# an unhandled exception contains the full traceback: plain text for API clients, an HTML page
# for a browser (`Accept: text/html`). Useful on a developer's machine, a leak anywhere else.
#
# Two facts decide what you can observe in a test:
#
# - the traceback is in a **response**, so you only see it with `raise_server_exceptions=False`.
#   With the default client the exception is raised into the test whether debug is on or off;
# - `debug` is a setting of the **app**, `FastAPI(debug=True)`, not of the client.

# %%
debugging = TestClient(make_crashing_app(debug=True), raise_server_exceptions=False)
for accept in ("*/*", "text/html"):
    response = debugging.get("/furnace", headers={"Accept": accept})
    print(f"debug=True,  Accept {accept:9} -> {response.status_code} {response.headers['content-type']:24} "
          f"mentions a traceback: {'traceback' in response.text.lower()}, "
          f"shows the message: {'the furnace is cold' in response.text}")
print("the plain-text body begins:", repr(debugging.get("/furnace").text.splitlines()[0]))

quiet = TestClient(make_crashing_app(debug=False), raise_server_exceptions=False).get("/furnace")
print("debug=False ->", quiet.status_code, repr(quiet.text))

# %% [markdown]
# The article advises to "set `debug=False` in TestClient". There is no such option; the
# constructor rejects it:

# %%
try:
    TestClient(make_crashing_app(), debug=False)
except TypeError as error:
    print("TypeError:", error)

# %% [markdown]
# The working advice: build the app under test with the debug setting production uses, and write
# one test that proves a crash does not leak its traceback or its message. (In forge, as section 5
# says, debug comes from the settings that `create_app()` takes.)
#
# The article also says debug mode "can mask the fact that an error is actually being handled".
# The concrete risk is the opposite one: a body full of traceback text makes a test that only
# checks `status_code == 500` pass while the response leaks internals. Check the body as well.

# %% [markdown]
# ## What the article gets wrong
#
# Measured on the course's pinned versions:
#
# - **The custom-handler test** is fine: a handled exception comes back with the status and body
#   its handler builds.
# - **The unhandled-exception test cannot pass.** `TestClient` re-raises exceptions that escape
#   the app (`raise_server_exceptions=True` is the default), so there is no response to check.
#   Use `pytest.raises`, or `raise_server_exceptions=False` for Starlette's plain-text 500.
# - **Registering `/crash` inside the test** adds the route to the shared app for every later
#   test (section 6, a deep dive). Build a fresh app in the test or fixture instead.
# - **Debug mode** puts tracebacks in 500 responses, but you only see them with
#   `raise_server_exceptions=False`. And **"set debug=False in TestClient"** is a `TypeError`:
#   debug belongs to the app, `FastAPI(debug=False)` or forge's `Settings(debug=False)`
#   (section 7, a deep dive).
# - **A crashing endpoint to check the trace-id header** only works if the middleware catches
#   the exception, as forge's does; otherwise the 500 carries no trace id.
#
# ## Summary
#
# - Test a handled error by its **status** and **shape**: the machine-readable code exactly, the
#   human text only as far as the contract fixes it.
# - Include errors the **framework** raises (unknown path, wrong method, a 401 from a dependency)
#   and their **headers**: they catch a handler registered for `fastapi.HTTPException` instead of
#   Starlette's, and a handler that drops `exc.headers`.
# - Force failures by overriding a dependency with a function that raises, on an app built for
#   the test, and clear the overrides in the fixture's clean-up.
# - The default `TestClient` raises unhandled exceptions into your test;
#   `raise_server_exceptions=False` shows what a caller gets.
# - `debug` is an app setting; with it on, an escaped exception's 500 contains the traceback.
# - Forge catches crashes in its trace-id middleware: a JSON 500 with `"internal_error"` and a
#   trace id equal to the `X-Trace-ID` header, whatever the debug setting and the client option;
#   the cause goes to the `forge` log, where `caplog` finds it.

# %% [markdown]
# ## Your turn: exercise 5
#
# Open **`exercises/ex05_errors/ex05_errors.ipynb`**. You will write a suite for forge's error
# contract: the shape and status of its 404s, 409s, 405s and 401s, and what a caller gets when
# something crashes inside the service, forced with a dependency override. Your suite runs
# against the real service, against correct variants that word things differently, and against
# copies with planted defects, each one a mistake from this lesson.
