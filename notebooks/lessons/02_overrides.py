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
# # Lesson 2 · Dependency overrides: test doubles without patching
#
# A route that sends mail or writes an audit trail does something a test must not do for real,
# yet the test has to prove that it *would* do it, to the right recipient, exactly once, and only
# when it should. FastAPI's `app.dependency_overrides` lets a test replace any `Depends(...)`
# callable with a stand-in. The tool is simple; using it safely is not, because the overrides
# live on the app and outlast the test that set them. By the end of this lesson you will be able
# to:
#
# - replace a dependency with a **fake that records** what the route asked of it, and assert
#   what was sent, to whom, how many times, and on which paths it must not happen;
# - tell a fake that proves something from one that can't fail;
# - explain why overrides are **global state**, reproduce the leak a forgotten clean-up causes,
#   and write the fixture that prevents it, or build an app per test so a leak has nowhere to go.
#
# Some cells **fail on purpose**; the text before each of them says so. Sections headed *Deep
# dive* are optional (mocks, the autouse safety net, when overrides are read, faking outgoing
# HTTP calls): skip them on a first pass and come back for the depth.

# %%
from graders.notebook import setup, show
setup()

# %% [markdown]
# ## 1. Side effects a test must not cause
#
# Forge's registration route is a typical case. Besides storing the user, it hands two jobs to
# background tasks: a welcome mail, and an entry in the audit log. Both objects come from
# dependencies, not from imports inside the route:

# %%
import forge.dependencies
import forge.routers.users

show(forge.routers.users.register)
show(forge.dependencies.get_mailer)
show(forge.dependencies.get_audit_log)

# %% [markdown]
# Because the route *asks* for a mailer (`Depends(get_mailer)`) instead of building one, a test
# can decide which mailer it gets. That works for any dependency: database sessions, the
# current user, settings, HTTP clients.
#
# ## 2. `dependency_overrides` is a plain dict on the app
#
# Every FastAPI app carries a dictionary, `app.dependency_overrides`. A **key** is the original
# dependency, the function object itself; its **value** is the callable to call instead. FastAPI
# looks up every `Depends(f)` it meets in that dict, nested dependencies included.
#
# Forge's dependencies form a tree (`forge/dependencies.py`). Overriding a box replaces it *and
# everything below it*: override `get_current_user`, and neither the token nor the database is
# consulted.
#
# ```mermaid
# flowchart TD
#     admin["require_admin<br/>(admin routes)"] --> user["get_current_user<br/>(profile routes)"]
#     user --> token["bearer_token<br/>(the Authorization header)"]
#     user --> db["get_db<br/>(a database session)"]
#     user --> settings["get_settings"]
#     register["POST /forge/users"] --> db
#     register --> mailer["get_mailer<br/>(the outbox)"]
#     register --> audit["get_audit_log"]
# ```

# %%
from forge.main import app as forge_app

print(type(forge_app.dependency_overrides).__name__, forge_app.dependency_overrides)

# %% [markdown]
# To practise without touching forge's registration (that is your exercise), here is a small
# booking service for workshop slots. It confirms each booking by text message, through an SMS
# gateway it gets from a dependency. The gateway stands for a paid provider, so the one below
# raises instead of texting. `make_booking_app()` builds a new app, with its own empty calendar,
# on each call; ignore its `texts_first` switch for now.

# %%
from typing import Annotated

from fastapi import Depends, FastAPI, HTTPException, status
from fastapi.testclient import TestClient
from pydantic import BaseModel, Field


class SmsGateway:
    """The real gateway: it would bill us and text a real person."""

    def send(self, number: str, text: str) -> None:
        raise RuntimeError(f"a test just tried to text {number} for real")


def get_sms() -> SmsGateway:
    return SmsGateway()


class BookingIn(BaseModel):
    name: str = Field(min_length=1, max_length=50)
    phone: str = Field(pattern=r"^\+[0-9]{8,15}$")
    hour: int = Field(ge=9, le=17)


def make_booking_app(texts_first: bool = False) -> FastAPI:
    app = FastAPI()
    taken: dict[int, str] = {}

    @app.post("/bookings", status_code=status.HTTP_201_CREATED)
    def book(booking: BookingIn, sms: Annotated[SmsGateway, Depends(get_sms)]):
        text = f"Hi {booking.name}, your slot at {booking.hour}:00 is booked."
        if texts_first:  # the planted bug: confirm first, check afterwards
            sms.send(booking.phone, text)
        if booking.hour in taken:
            raise HTTPException(status.HTTP_409_CONFLICT, detail="That slot is taken")
        if not texts_first:
            sms.send(booking.phone, text)
        taken[booking.hour] = booking.name
        return {"hour": booking.hour, "name": booking.name}

    return app


bookings = make_booking_app()
try:
    TestClient(bookings).post("/bookings", json={"name": "Ada", "phone": "+4915550001", "hour": 10})
except RuntimeError as error:
    print("without an override:", error)

# %% [markdown]
# Without an override the test reaches the real gateway. (With the default client, an exception
# in the app is raised into the test, as lesson 1 showed.)
#
# ### A fake that records
#
# The stand-in we want is a **fake**: a small class with the same method, taking the same
# arguments, that records each call instead of performing it. The override returns *that very
# object*, so that the test can look into it afterwards.

# %%
class FakeSms:
    def __init__(self) -> None:
        self.sent: list[tuple[str, str]] = []

    def send(self, number: str, text: str) -> None:
        self.sent.append((number, text))


fake = FakeSms()
bookings.dependency_overrides[get_sms] = lambda: fake      # key: the function; value: a callable
client = TestClient(bookings)
response = client.post("/bookings", json={"name": "Ada", "phone": "+4915550001", "hour": 10})
print(response.status_code, response.json())
print("recorded:", fake.sent)
bookings.dependency_overrides.clear()


# %% [markdown]
# The override is `lambda: fake`, a function that returns the test's object. FastAPI calls the
# replacement as it would call `get_sms`, once per request, and hands the route whatever it
# returns. The key has to be the **very function object** the route declared: import it from
# the module that defines it (forge's live in `forge.dependencies`).

# %% [markdown]
# ### Deep dive: a look-alike key
#
# *Optional: why an override keyed by the wrong function object is silently ignored; skip it on
# a first pass.*
#
# A look-alike with the same name is a different object, and an override keyed by it is
# silently ignored: FastAPI never asks for it, so it never complains about it either.

# %%
import types

lookalike = types.FunctionType(get_sms.__code__, globals(), "get_sms")  # same name, same code
print(lookalike.__name__, "| the same object as the route's get_sms?", lookalike is get_sms)

bookings.dependency_overrides[lookalike] = lambda: fake
try:
    client.post("/bookings", json={"name": "Bo", "phone": "+4915550002", "hour": 11})
except RuntimeError as error:
    print("the look-alike key changed nothing:", error)
bookings.dependency_overrides.clear()

# %% [markdown]
# In a real project this happens when one module is imported under two names (a `sys.path`
# mix-up: `app.dependencies` and `src.app.dependencies`), after a module is reloaded, or when a
# dependency was copied rather than imported. Import dependencies from the module that
# defines them (forge's live in `forge.dependencies`), and let a test fail if the override is
# not applied (section 3 shows how).

# %% [markdown]
# ## 3. What to assert about a side effect
#
# A fake that records lets you check a side effect as precisely as a response. For each side
# effect, ask four questions:
#
# 1. **Did it happen** on the success path?
# 2. **With the right data**: the right recipient, the right content?
# 3. **How many times**: exactly once, so compare the count, don't just look for one match.
# 4. **Where must it not happen**: on every failure path (a conflict, invalid input) the record
#    stays empty.
#
# The suite below builds one app and one fake per test, wires them together in a fixture, and
# cleans up after the test (section 6 explains why the clean-up belongs there). The refusal
# tests book once successfully first, so they also prove the fake is wired in.

# %%
# %%ipytest
import pytest


@pytest.fixture
def sms():
    return FakeSms()


@pytest.fixture
def booking_client(sms):
    app = make_booking_app()
    app.dependency_overrides[get_sms] = lambda: sms
    with TestClient(app) as client:
        yield client
    app.dependency_overrides.clear()


ADA = {"name": "Ada", "phone": "+4915550001", "hour": 10}
BO_SAME_HOUR = {"name": "Bo", "phone": "+4915550002", "hour": 10}


def test_a_booking_texts_the_booked_number_once(booking_client, sms):
    assert booking_client.post("/bookings", json=ADA).status_code == 201
    assert len(sms.sent) == 1
    number, text = sms.sent[0]
    assert number == ADA["phone"]
    assert "10:00" in text


def test_a_taken_slot_is_409_and_texts_nobody(booking_client, sms):
    assert booking_client.post("/bookings", json=ADA).status_code == 201
    assert len(sms.sent) == 1                 # the fake is wired in: the first booking texted
    assert booking_client.post("/bookings", json=BO_SAME_HOUR).status_code == 409
    assert len(sms.sent) == 1                 # ... and the refused one did not


@pytest.mark.parametrize("body", [
    {**ADA, "phone": "015550001"},            # not an international number
    {**ADA, "hour": 18},                      # after closing time
    {"name": "Ada", "phone": "+4915550001"},  # no hour at all
])
def test_invalid_bookings_are_422_and_text_nobody(booking_client, sms, body):
    assert booking_client.post("/bookings", json=body).status_code == 422
    assert sms.sent == []


# %% [markdown]
# The 422 test has no positive control of its own: the fixture is the same one the first test
# uses, and that test proves the wiring. When a negative assertion stands alone, make sure
# something in the suite shows the fake *can* record; section 4 shows what happens otherwise.
#
# ## 4. Fakes that prove nothing
#
# A test double is useful only if the test passes when the app is right and fails when it is
# wrong. Three common ways to lose that (the third is a deep dive):
#
# ### A string instead of a session
#
# The article's example overrides the database dependency with a generator that yields the
# string `"MockSessionObject"` and expects a 201. That can only pass if the route never uses its
# session. Here is forge's item route, which does use it (`db.add(item)`, `db.commit()`), and
# the article's placeholder:


# %%
import forge.routers.items
from forge.dependencies import get_db
from forge.main import create_app

show(forge.routers.items.create_item)


def session_placeholder():
    yield "MockSessionObject"


# %% [markdown]
# **Predict, then run.** The next cell's test posts a valid item while the string stands in for
# the session; pytest's `caplog` fixture collects what forge logs meanwhile, and `-s` lets the
# test's `print` through. Will the request get a 201, raise an exception into the test, or get
# some other status code? Decide, then run the cell.

# %%
# %%ipytest -s
import logging

import pytest


def test_a_string_stands_in_for_the_session(caplog):
    demo = create_app()
    demo.dependency_overrides[get_db] = session_placeholder
    with TestClient(demo) as demo_client, caplog.at_level(logging.ERROR, logger="forge"):
        response = demo_client.post("/forge/items", json={"name": "chisel", "price": 9.5})
    [record] = [record for record in caplog.records if record.name == "forge"]
    print(response.status_code, response.json()["error"], "| logged cause:", repr(record.exc_info[1]))


# %% [markdown]
# Forge's middleware turns the crash into a 500 and logs the `AttributeError` (lesson 1); an app
# without such a middleware raises it into the test. A fake must offer **the methods the route
# calls, with the arguments it passes**: for a database, usually a real session on a throwaway
# database (lesson 4); for a mailer or an SMS gateway, a recording class like `FakeSms`.
#
# ### A new fake for every request
#
# Two tempting ways to wire a fake in build a **new** fake on each request:
#
# - `app.dependency_overrides[get_sms] = lambda: FakeSms()`
# - `app.dependency_overrides[get_sms] = FakeSms`: a class is a callable too, so FastAPI calls
#   it once per request (and reads its constructor's parameters as request parameters).
#
# The route then records into an object nobody holds. Every positive assertion fails, which you
# would notice. Every *negative* assertion ("nothing was texted") passes, whatever the app does,
# which you would not.
#
# Here is the booking app with the planted bug switched on: it texts *before* checking the slot,
# so a refused booking still texts the customer. Two versions of the refusal test run against
# it. **This cell fails on purpose.** Expect `1 failed, 1 passed`, and notice
# which one passes: the test with the broken wiring is the one that misses the bug.

# %% tags=["raises-exception"]
# %%ipytest --tb=line
@pytest.fixture
def texts_first_app():
    app = make_booking_app(texts_first=True)
    yield app
    app.dependency_overrides.clear()


def test_refusal_texts_nobody__a_new_fake_per_request(texts_first_app):
    sms = FakeSms()
    texts_first_app.dependency_overrides[get_sms] = lambda: FakeSms()   # not `sms`!
    with TestClient(texts_first_app) as client:
        client.post("/bookings", json=ADA)
        assert client.post("/bookings", json=BO_SAME_HOUR).status_code == 409
    assert sms.sent == []          # passes: this fake was never handed to the app


def test_refusal_texts_nobody__the_test_holds_the_fake(texts_first_app):
    sms = FakeSms()
    texts_first_app.dependency_overrides[get_sms] = lambda: sms
    with TestClient(texts_first_app) as client:
        client.post("/bookings", json=ADA)
        sent_before = len(sms.sent)
        assert client.post("/bookings", json=BO_SAME_HOUR).status_code == 409
    assert len(sms.sent) == sent_before     # fails: the refused booking texted Bo



# %% [markdown]
# ### Deep dive: a mock that accepts anything
#
# *Optional: why `MagicMock` proves little, and a trap of `create_autospec` with background
# tasks; skip it on a first pass.*
#
# `unittest.mock.MagicMock` is a convenient stand-in, but it answers *every* attribute: a route
# that calls a method the real gateway doesn't have (a typo, or a rename the route missed)
# works happily against it and crashes in production. `create_autospec` builds a mock from the
# real class instead: unknown methods raise `AttributeError`, and calls are checked against the
# real signatures.

# %%
from unittest.mock import MagicMock, create_autospec

loose = MagicMock()
loose.send_text("+4915550001", "hello")             # no such method on SmsGateway
print("MagicMock accepted send_text():", loose.send_text.called)

strict = create_autospec(SmsGateway, instance=True)
for call in (lambda: strict.send_text("+4915550001", "hello"), lambda: strict.send("+4915550001")):
    try:
        call()
    except (AttributeError, TypeError) as error:
        print(f"autospec refused: {type(error).__name__}: {error}")

strict.send("+4915550001", "hello")
strict.send.assert_called_once_with("+4915550001", "hello")
print("autospec recorded:", strict.send.call_args)

# %% [markdown]
# Autospec has a trap of its own with FastAPI. When a route hands a method to a **background
# task** (`tasks.add_task(sms.send, ...)`, the way forge schedules its audit entry), Starlette
# inspects the callable to decide whether to `await` it, and an autospecced method passes for a
# coroutine function. The task is then awaited, and the request fails:

# %%
from fastapi import BackgroundTasks

orders = FastAPI()


@orders.post("/orders", status_code=status.HTTP_202_ACCEPTED)
def place_order(tasks: BackgroundTasks, sms: Annotated[SmsGateway, Depends(get_sms)]):
    tasks.add_task(sms.send, "+4915550001", "Thanks for your order")
    return {"accepted": True}


for name, stand_in in [("autospec", create_autospec(SmsGateway, instance=True)), ("FakeSms", FakeSms())]:
    orders.dependency_overrides[get_sms] = lambda: stand_in
    try:
        print(f"{name:>8}:", TestClient(orders).post("/orders").status_code)
    except TypeError as error:
        print(f"{name:>8}: TypeError: {error}")
orders.dependency_overrides.clear()

# %% [markdown]
# A hand-written fake like `FakeSms` has the strictness without the trap: it has exactly the
# methods you gave it, and they are plain functions. Whichever you use, assert on the **method
# the real object has** (`sms.sent`, `strict.send.assert_called_once_with(...)`), not merely that
# "something was called".
#

# %% [markdown]
# ## 5. Overrides are global state
#
# The override lives on the app, and the app is usually a **module-level object**, such as
# `forge.main.app`, shared by every test module that imports it. Whatever one test puts in that
# dict stays there for every later test in the process, until somebody takes it out.
#
# The article's test takes it out with `app.dependency_overrides.clear()` on its last line. An
# assertion that fails raises `AssertionError`, and the rest of the test never runs.
#
# The next cell reproduces that on forge's module-level app with a fake session for the item
# route. The first test has a typo in its expectation (2.0 for 12.0), so it fails before its
# clean-up. The second test overrides nothing and expects the real starter catalogue.
# **This cell fails on purpose.** Expect `2 failed`: the first for its own mistake, the second
# because it receives the first test's fake item.

# %%
from forge.models import Item


class OneItemSession:
    """Just enough of a Session for GET /forge/items/{id}: every id is the same test item."""

    def get(self, model, ident):
        return Item(id=ident, name="test anvil", price=12.0)


# %% tags=["raises-exception"]
# %%ipytest --tb=line
def test_item_route_with_a_fake_session():
    forge_app.dependency_overrides[get_db] = lambda: OneItemSession()
    with TestClient(forge_app) as client:
        assert client.get("/forge/items/1").json()["price"] == 2.0   # typo: the fake says 12.0
    forge_app.dependency_overrides.clear()                            # never reached


def test_the_first_item_is_the_anvil():
    with TestClient(forge_app) as client:
        assert client.get("/forge/items/1").json()["name"] == "anvil"


# %% [markdown]
# The second test is correct, and it fails; on its own it passes. That is the signature of a
# leak: a test that **passes alone and fails in the suite**. The article calls such failures
# flaky, but they are not random: the same tests in the same order fail the same way every time.
# What changes the outcome is the order and selection of tests (one file, `-k`, a shuffling
# plugin). The override is still there after the run:

# %%
print(forge_app.dependency_overrides)

# %%
# %%ipytest --tb=line
def test_the_first_item_is_the_anvil__run_alone():
    forge_app.dependency_overrides.clear()   # what the leaking test should have done
    with TestClient(forge_app) as client:
        assert client.get("/forge/items/1").json()["name"] == "anvil"


# %% [markdown]
# The article also says, in its definition, that dependency injection testing needs "no global
# state". The override dict *is* global state whenever the app is; the article's own warning
# about overrides mutating the global app object contradicts that line.
#
# ## 6. The fix: clean up in a fixture's teardown
#
# Pytest runs the code after a fixture's `yield` when the test is over, **whether it passed or
# failed**. That is the place for the clean-up. The same mistaken test, with the override moved
# into a fixture: **this cell fails on purpose**, with `1 failed, 1 passed`. The typo still
# fails its own test, and nothing else.

# %% tags=["raises-exception"]
# %%ipytest --tb=line
@pytest.fixture
def fake_item_client():
    forge_app.dependency_overrides[get_db] = lambda: OneItemSession()
    with TestClient(forge_app) as client:
        yield client
    forge_app.dependency_overrides.pop(get_db, None)    # runs even though the test failed


def test_item_route_with_a_fake_session(fake_item_client):
    assert fake_item_client.get("/forge/items/1").json()["price"] == 2.0   # the same typo


def test_the_first_item_is_the_anvil():
    with TestClient(forge_app) as client:
        assert client.get("/forge/items/1").json()["name"] == "anvil"


# %% [markdown]
# **Predict, then run.** The first test set its override and failed again. What will the next
# cell print for `forge_app.dependency_overrides` now? Decide, then run the cell.

# %%
print("after the run:", forge_app.dependency_overrides)

# %% [markdown]
# Two choices in that fixture:
#
# - `pop(get_db, None)` removes exactly what this fixture added. `clear()` removes every
#   override, including ones another fixture of the same test still relies on. In a fixture that
#   owns the whole app, `clear()` is fine.
# - A `try: ... finally:` around the test body also runs on failure, but then every test repeats
#   it; a fixture writes it once.

# %% [markdown]
# ## 7. The structural cure: an app per test
#
# Clean-up fixtures fix the symptom. The cause is that every test shares **one** app. Forge has
# an **app factory**, `create_app()`, which builds a new app, with its own empty
# `dependency_overrides`, each time it is called. A test that builds its own app can't leak an
# override into another test: there is no other test using that dict, and it is gone with the
# app.

# %%
first, second = create_app(), create_app()
first.dependency_overrides[get_db] = lambda: OneItemSession()

with TestClient(first) as one, TestClient(second) as two, TestClient(forge_app) as shared:
    print("the app with the override:  ", one.get("/forge/items/1").json()["name"])
    print("another app from create_app:", two.get("/forge/items/1").json()["name"])
    print("the module-level app:       ", shared.get("/forge/items/1").json()["name"])
print("separate dicts:", first.dependency_overrides is not second.dependency_overrides)

# %% [markdown]
# So the fixture shape to reach for is:
#
# ```python
# @pytest.fixture
# def client(fake):
#     app = create_app()
#     app.dependency_overrides[get_something] = lambda: fake
#     with TestClient(app) as client:
#         yield client
#     app.dependency_overrides.clear()   # not strictly needed any more; cheap and tidy
# ```
#
# It also gives each test a fresh `app.state`, which matters as much. Lesson 11 is about
# structuring an app this way, and shows what a module-level app shares besides its overrides.

# %% [markdown]
# ## 8. Deep dive: the autouse safety net, and its catch
#
# *Optional: the article's autouse clean-up fixture, and why it leaves the last override behind;
# skip it on a first pass.*
#
# As a second line of defence, the article suggests an **autouse** fixture (pytest applies it to
# every test in its scope without being asked; put it in the `conftest.py` at the root of your
# tests) whose body is `app.dependency_overrides.clear()`. That body runs during **set-up**, so
# each test starts clean, but the override set by the *last* test of the run is never removed.
# The next thing to use the app in that process inherits it: another pytest session in a
# notebook, a script, the next cell below.

# %%
# %%ipytest
@pytest.fixture(autouse=True)
def clear_overrides_first():
    forge_app.dependency_overrides.clear()      # before each test only


def test_that_forgets_its_override():
    forge_app.dependency_overrides[get_db] = lambda: OneItemSession()
    with TestClient(forge_app) as client:
        assert client.get("/forge/items/3").json()["name"] == "test anvil"


# %%
print("left behind by the last test:", forge_app.dependency_overrides)
del clear_overrides_first   # an autouse fixture in a notebook applies to every later cell
forge_app.dependency_overrides.clear()

# %% [markdown]
# Put the clear **after** `yield`, and the net catches every test, the last one included:
#
# ```python
# @pytest.fixture(autouse=True)
# def clear_overrides():
#     yield
#     app.dependency_overrides.clear()
# ```
#
# One more catch, whichever form you use: a function-scoped autouse clear wipes overrides set by
# **wider-scoped** fixtures. A module-scoped client fixture that sets an override once loses it
# after the first test (clear after `yield`), or before any test has run (clear before). Give an
# override the same scope as the client it is set up for.
#
# Keep the net, but don't rely on it: a fixture that sets an override should remove it itself,
# as in section 6.

# %% [markdown]
# ## 9. Deep dive: overrides are read on every request
#
# *Optional: when FastAPI looks overrides up, and how a test can swap fakes halfway; skip it on a
# first pass.*
#
# The article injects its override "before creating the client", as if the client took a copy.
# It doesn't: FastAPI reads `app.dependency_overrides` each time it resolves a request. Setting
# an override inside a running `with` block takes effect on the next request, and removing it
# restores the real dependency, with no new client.

# %%
calendar = make_booking_app()
texts = FakeSms()
with TestClient(calendar) as client:
    try:
        client.post("/bookings", json={**ADA, "hour": 9})
    except RuntimeError as error:
        print("1. no override yet:  ", error)
    calendar.dependency_overrides[get_sms] = lambda: texts
    print("2. override set:     ", client.post("/bookings", json={**ADA, "hour": 9}).status_code,
          texts.sent)
    calendar.dependency_overrides.pop(get_sms)
    try:
        client.post("/bookings", json={**ADA, "hour": 12})
    except RuntimeError as error:
        print("3. override removed: ", error)

# %% [markdown]
# That is useful inside a test, too: start with one fake and swap in another halfway through
# (a gateway that starts failing, a user who changes), all on one client.

# %% [markdown]
# ## 10. Deep dive: FastAPI says nothing about overrides
#
# *Optional: everything a request with an override prints or logs (nothing about the override);
# skip it on a first pass.*
#
# The article shows output along the lines of "Overriding dependency: get_db -> ..." followed
# by "Test execution successful". FastAPI prints and logs nothing of the kind. Here is
# everything a request with an override writes to standard output, standard error and the
# logging system, at every level:

# %%
import contextlib
import io
import logging


class Collect(logging.Handler):
    def __init__(self) -> None:
        super().__init__(level=logging.DEBUG)
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(f"{record.name}: {record.getMessage()}")


root = logging.getLogger()
collect, old_level = Collect(), root.level
root.addHandler(collect)
root.setLevel(logging.DEBUG)
out, err = io.StringIO(), io.StringIO()
try:
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        quiet = make_booking_app()
        quiet.dependency_overrides[get_sms] = lambda: FakeSms()
        TestClient(quiet).post("/bookings", json=ADA)
finally:
    root.removeHandler(collect)
    root.setLevel(old_level)

print("stdout:", repr(out.getvalue()), "| stderr:", repr(err.getvalue()))
print("log records:", collect.lines)
print("any mention of an override:", any("overrid" in line.lower() for line in collect.lines))

# %% [markdown]
# The only records are asyncio's note about the event loop it picked and the HTTP client's own
# line about the request. If you want to see which overrides
# are active while debugging, print `app.dependency_overrides` yourself.

# %% [markdown]
# ## 11. Deep dive: outgoing HTTP calls with `httpx.MockTransport`
#
# *Optional: faking another service that your app calls over HTTP; skip it on a first pass.*
#
# When your app calls another service over HTTP (a payment provider, an exchange-rate API), the
# same technique applies one level down: let the route get its HTTP client from a dependency,
# and override that dependency with a client whose **transport** is an `httpx.MockTransport`.
# The mock transport hands every request to a function of yours instead of the network; the
# function records the request and returns whatever response the test needs, failures included.

# %%
from collections.abc import AsyncIterator

import httpx


async def get_rates_client() -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url="https://rates.example", timeout=5) as client:
        yield client


shop = FastAPI()


@shop.get("/price/{euros}")
async def price_in_dollars(euros: float,
                           rates: Annotated[httpx.AsyncClient, Depends(get_rates_client)]):
    upstream = await rates.get("/latest", params={"from": "EUR", "to": "USD"})
    if upstream.status_code != 200:
        raise HTTPException(status.HTTP_502_BAD_GATEWAY, detail="No exchange rate right now")
    return {"usd": round(euros * upstream.json()["rate"], 2)}


# %% [markdown]
# The test supplies the other service's answers. It checks both what our app sent upstream and
# what it made of the reply, including the reply it gets when the other service is down.

# %%
# %%ipytest
class FakeRates:
    """The other service, as a test wants it: it records each request and sends `answer`."""

    def __init__(self) -> None:
        self.answer = httpx.Response(200, json={"rate": 1.25})
        self.seen: list[httpx.Request] = []

    def handle(self, request: httpx.Request) -> httpx.Response:
        self.seen.append(request)
        return self.answer


@pytest.fixture
def upstream():
    return FakeRates()


@pytest.fixture
def shop_client(upstream):
    async def fake_rates_client():
        transport = httpx.MockTransport(upstream.handle)
        async with httpx.AsyncClient(base_url="https://rates.example", transport=transport) as client:
            yield client

    shop.dependency_overrides[get_rates_client] = fake_rates_client
    with TestClient(shop) as client:
        yield client
    shop.dependency_overrides.clear()


def test_price_uses_the_current_rate(shop_client, upstream):
    assert shop_client.get("/price/10").json() == {"usd": 12.5}
    [request] = upstream.seen
    assert request.url.path == "/latest"
    assert request.url.params["from"] == "EUR" and request.url.params["to"] == "USD"


def test_rates_service_down_is_502(shop_client, upstream):
    upstream.answer = httpx.Response(503)
    assert shop_client.get("/price/10").status_code == 502


# %% [markdown]
# This only works because the HTTP client is a dependency. An app that creates `httpx.AsyncClient()`
# inside the route, or at module level, gives the test nothing to override; you would be back to
# patching. (The app here uses `httpx`; TestClient itself is built on `httpx2`. They are separate
# libraries with the same design, and `MockTransport` exists in both.)

# %% [markdown]
# ## What the article gets wrong
#
# Measured on the pinned versions:
#
# - **"No monkey-patching, no global state"**: overrides are stored on the app, and a
#   module-level app is global state. A forgotten clean-up leaks into later tests (section 5).
# - **The example's fake session is the string `"MockSessionObject"`**: a route that uses its
#   session fails with `AttributeError: 'str' object has no attribute 'add'` (section 4). A fake
#   needs the methods the route calls.
# - **`app.dependency_overrides.clear()` on the last line of the test**: a failing assertion
#   skips it, and the override leaks into the tests that follow. Clean up in a fixture's
#   teardown (sections 5 and 6).
# - **The autouse fixture `def clear_overrides(): app.dependency_overrides.clear()`**: it clears
#   before each test and leaves the last test's override in place. Clear after `yield` (deep
#   dive, section 8).
# - **"Inject the override before creating the client"**: not needed; overrides are looked up on
#   every request (deep dive, section 9).
# - **The printed output, "Overriding dependency: get_db -> override_get_db"**: FastAPI prints
#   nothing when it uses an override (deep dive, section 10).
# - **`from io.thecodeforge.main import app, get_db`**: `io` is a module of the standard library,
#   so this import can never work; name your package something else (forge is `forge`).
# - **"External service: TestClient with httpx.MockTransport"** (the decision table): right, as
#   long as the app gets its HTTP client from a dependency you can override (deep dive,
#   section 11).

# %% [markdown]
# ## Summary
#
# - `app.dependency_overrides` maps an original dependency (the function object) to a
#   replacement callable. FastAPI consults it on every request, for every `Depends()`, nested
#   ones included.
# - Replace side effects with **recording fakes**: same methods and arguments as the real
#   object, and the override returns the instance the test holds (`lambda: fake`).
# - Assert what was done, with which data, **how many times**, and that nothing was done on the
#   failure paths. Pair a negative assertion with proof that the fake is wired in.
# - A placeholder without the right methods (`"MockSessionObject"`) breaks a real route; a new
#   fake per request makes negative tests pass vacuously.
# - Overrides on a shared app are **global state**. Remove them in fixture teardown (after
#   `yield`), never on the last line of a test. Better still, build an app per test with
#   `create_app()`: nothing to leak into.
# - From the deep dives: a `MagicMock` accepts methods that don't exist (use `create_autospec`,
#   or a hand-written fake); an autouse safety net must clear after `yield`; FastAPI prints
#   nothing about overrides; fake other services with `httpx.MockTransport`.

# %% [markdown]
# ## Your turn: exercise 2
#
# Open **`exercises/ex02_overrides/ex02_overrides.ipynb`**. You will test the side effects of
# forge's registration, the welcome mail and the audit event, by overriding `get_mailer` and
# `get_audit_log` with fakes of your own. Your suite runs against copies of forge with planted
# defects that only show in those side effects. Keep your overrides tidy: a suite that leaks them
# from one test into another is a suite you can't trust.
