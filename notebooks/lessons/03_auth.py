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
# # Lesson 3 · Testing authenticated endpoints: who are you, and may you?
#
# Behind every route that answers depending on who is asking are two separate questions:
# **authentication**, *who are you?* (forge reads a bearer token, a JWT), and **authorization**,
# *given who you are, may you do this?* (forge's rules about roles and ownership). The two need
# different tools in a test suite, and mixing them up is how broken authentication ships with a
# green test run. By the end of this lesson you will be able to:
#
# - tell a **401** from a **403**, and check the `WWW-Authenticate` header that a 401 carries;
# - get a **real token** the way a client does (register, then log in at `POST /token`) and
#   send it;
# - test authorization rules by **overriding `get_current_user`** with a complete user built in
#   the test, for every role, including roles your API has no way to create;
# - explain why an override can't test the 401 path at all;
# - test **ownership**: your own resource yes, somebody else's no, without telling a stranger
#   which ids exist.
#
# Some cells **fail on purpose**; the text right before each of them says so. Sections headed
# *Deep dive* are optional: skip them on a first pass and come back for the depth.

# %%
from graders.notebook import setup, show
setup()

# %% [markdown]
# ## 1. Two questions, two status codes
#
# | status | means | typical cause | what helps the client |
# | --- | --- | --- | --- |
# | **401 Unauthorized** | "I don't know who you are" | no credentials, a malformed or forged token, an expired one | authenticating (again) |
# | **403 Forbidden** | "I know who you are, and the answer is no" | the wrong role, somebody else's resource | nothing: asking again with the same identity won't change the answer |
#
# The name "Unauthorized" is a historical accident: 401 is about *authentication*. HTTP requires
# every 401 to carry a **`WWW-Authenticate`** header naming the scheme to use (RFC 9110, section
# 15.5.2), for bearer tokens `WWW-Authenticate: Bearer`. A 401 without it is malformed, and a 403
# for a request without credentials tells the client, wrongly, that logging in would not help.

# %% [markdown]
# ### Deep dive: FastAPI's own 403, before 0.122
#
# *Optional: why older tests and blog posts expect 403 for a missing token; skip it on a first
# pass.*
#
# FastAPI itself got this wrong for a long time. Before version **0.122**, `HTTPBearer`,
# `HTTPDigest` and their base class `HTTPBase`, the `APIKeyHeader`, `APIKeyQuery` and
# `APIKeyCookie` helpers, and OAuth2's base class answered a missing or malformed credential with
# **403** (`HTTPBasic` and `OAuth2PasswordBearer` already answered 401). Since 0.122 they answer
# **401** with a `WWW-Authenticate` header. Tests and blog posts written before that often assert
# 403 for "no token"; on today's FastAPI that expectation is wrong. Here is the pinned version:

# %%
from importlib.metadata import version
from typing import Annotated

from fastapi import Depends, FastAPI
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from fastapi.testclient import TestClient

bearer_demo = FastAPI()


@bearer_demo.get("/private")
def private(credentials: Annotated[HTTPAuthorizationCredentials, Depends(HTTPBearer())]):
    return {"token": credentials.credentials}


probe = TestClient(bearer_demo)
print("fastapi", version("fastapi"))
for label, headers in [("no header", {}), ("Basic scheme", {"Authorization": "Basic YWRhOnB3"})]:
    response = probe.get("/private", headers=headers)
    print(f"{label:<13} -> {response.status_code} {response.json()} "
          f"WWW-Authenticate: {response.headers.get('www-authenticate')}")

# %% [markdown]
# ## 2. How forge answers them
#
# Forge puts both questions in `forge/dependencies.py`. `get_current_user` reads the bearer
# token, checks it and loads the user it names; every way of failing ends in the same 401 with
# the `WWW-Authenticate: Bearer` header:

# %%
import forge.dependencies

show(forge.dependencies.get_current_user)
show(forge.dependencies._unauthorized)

# %% [markdown]
# Three details matter for testing:
#
# - `bearer_token` (FastAPI's `OAuth2PasswordBearer` with `auto_error=False`) hands over `None`
#   when the header is missing *or uses another scheme*, so `get_current_user` shapes the error.
# - `decode_access_token` (in `forge/security.py`) checks the signature with the app's own secret,
#   accepts only HS256, and rejects tokens that are expired or lack `exp` or `sub`.
# - The token names the user by id; the user, with their current role, is loaded from the
#   database (the token's `role` claim is not trusted). A deleted user's token is refused.
#
# `require_admin`, the authorization rule, *depends on* `get_current_user`, so it only runs for
# an authenticated user. A route declares which question it needs answered through the type of
# a parameter (`CurrentUser` or `Admin`):

# %%
import forge.routers.admin

show(forge.dependencies.require_admin)
show(forge.routers.admin.audit_log)

# %% [markdown]
# ## 3. A real token, the way a client gets one
#
# To act as somebody through the real stack, do what a client does:
#
# 1. **register**: `POST /forge/users` with a JSON body (username, email, password); new accounts
#    get the ordinary role `"smith"`;
# 2. **log in**: `POST /token` with a **form** body (`username`, `password`), the OAuth2
#    "password" flow: with TestClient, `data={...}`, not `json={...}` (FastAPI parses forms with
#    the `python-multipart` package). The answer is `{"access_token": ..., "token_type": "bearer"}`;
# 3. send the token in the header `Authorization: Bearer <access_token>`.
#
# Forge has one administrator, created by the lifespan when the settings carry an
# `admin_password`; read its username from the setting `admin_username`.

# %% [markdown]
# **Predict, then run.** The next cell logs ada in twice: first with `json=`, then with `data=`.
# What status code do you expect for the `json=` attempt, and why? Decide, then run the cell.

# %%
from contextlib import ExitStack
from typing import Annotated

import jwt
from fastapi import Depends, FastAPI
from fastapi.testclient import TestClient

from forge.config import Settings
from forge.main import create_app

ADMIN_PASSWORD = "open-the-forge-please"
PASSWORD = "correct-horse-battery"

demo_settings = Settings(admin_password=ADMIN_PASSWORD)
# A client for this section's two demo cells (tests use fixtures): an ExitStack keeps its `with`
# open across cells, and closing the stack later runs the app's shutdown.
demo_lifetime = ExitStack()
demo = demo_lifetime.enter_context(TestClient(create_app(demo_settings)))

registered = demo.post("/forge/users", json={"username": "ada", "email": "ada@example.com",
                                             "password": PASSWORD})
print("register:", registered.status_code, registered.json())

as_json = demo.post("/token", json={"username": "ada", "password": PASSWORD})
print("log in with json=:", as_json.status_code, as_json.json()["detail"][0]["loc"], as_json.json()["detail"][0]["msg"])

login = demo.post("/token", data={"username": "ada", "password": PASSWORD})
print("log in with data=:", login.status_code, "token_type:", login.json()["token_type"])

ada_token = login.json()["access_token"]
admin_token = demo.post("/token", data={"username": demo_settings.admin_username,
                                        "password": ADMIN_PASSWORD}).json()["access_token"]

# Only to look inside: a test of the service must never skip the signature check.
print("ada's claims:  ", jwt.decode(ada_token, options={"verify_signature": False}))
print("admin's claims:", jwt.decode(admin_token, options={"verify_signature": False}))

# %% [markdown]
# The token is three base64url parts: a header, the claims (`sub` is the user id as a string,
# `role`, `iat` when it was issued, `exp` when it expires, in seconds since 1970) and the
# signature. Now the same admin-only route, asked by everyone we have:

# %% [markdown]
# **Predict, then run.** Before you run the next cell, write down the status code you expect for
# each of the six askers, and which of the answers carry a `WWW-Authenticate` header.

# %%
FOREIGN_SECRET = "somebody-elses-secret-of-at-least-32-bytes"   # shorter HMAC keys make PyJWT complain
forged = jwt.encode({"sub": "1", "role": "admin", "exp": 4_102_444_800}, FOREIGN_SECRET, algorithm="HS256")

askers = {
    "nobody (no header)": {},
    "wrong scheme": {"Authorization": f"Basic {ada_token}"},
    "garbage token": {"Authorization": "Bearer let-me-in"},
    "forged admin token": {"Authorization": f"Bearer {forged}"},
    "ada, a smith": {"Authorization": f"Bearer {ada_token}"},
    "the administrator": {"Authorization": f"Bearer {admin_token}"},
}
for who, headers in askers.items():
    response = demo.get("/forge/admin/audit", headers=headers)
    detail = response.json()["detail"] if response.status_code != 200 else f"{len(response.json())} events"
    print(f"{who:<20} {response.status_code}  {detail:<26} "
          f"WWW-Authenticate: {response.headers.get('www-authenticate')}")


demo_lifetime.close()   # the demo client is done: its `with` ends and the app shuts down

# %% [markdown]
# Four different requests get a 401, each with the challenge header; only the one from a known
# user who lacks the role gets 403.
#
# ## 4. Overriding `get_current_user`: test the rules, skip the token
#
# The article's central idea here is sound: to test *authorization*, replace the dependency that
# produces the current user with one that returns a user built in the test. Each test then says
# in one line who is asking, without passwords, logins or signing keys.
#
# Forge's user is a SQLAlchemy model, `forge.models.User`; `User(id=..., username=..., email=...,
# role=...)` creates a **transient** object, never added to a session or written anywhere. The
# override returns it:
#
# - `require_admin` still runs: it declares `Depends(get_current_user)`, and FastAPI resolves
#   overrides wherever a dependency appears, also inside another dependency;
# - nothing of the token path runs: not the header parsing, not the signature check, not the
#   database lookup.
#
# Put the override in a fixture and remove it in the **teardown** (after `yield`), which runs
# even when the test fails; this fixture also builds its own app, which no other test uses
# (lesson 2).

# %%
# %%ipytest
import pytest

from forge.dependencies import get_current_user
from forge.models import User


@pytest.fixture
def forge_app():
    app = create_app()
    yield app
    app.dependency_overrides.clear()          # teardown: runs whether the test passed or failed


@pytest.fixture
def client(forge_app):
    with TestClient(forge_app) as client:
        yield client


@pytest.fixture
def act_as(forge_app):
    """Call act_as(role=...) in a test: every later request comes from that user."""
    def act_as(*, id=4242, username="tester", role="smith"):
        user = User(id=id, username=username, email=f"{username}@example.com", role=role)
        forge_app.dependency_overrides[get_current_user] = lambda: user
        return user
    return act_as


def test_an_admin_reads_the_audit_log(client, act_as):
    act_as(role="admin")
    response = client.get("/forge/admin/audit")
    assert response.status_code == 200
    assert isinstance(response.json(), list)


@pytest.mark.parametrize("role", ["smith", "auditor", "ADMIN", ""])
def test_every_other_role_is_refused(client, act_as, role):
    act_as(role=role)
    response = client.get("/forge/admin/audit")
    assert response.status_code == 403
    assert "www-authenticate" not in response.headers   # a 403 is no invitation to log in again


# %% [markdown]
# Look at the roles in the parametrized test. Forge's API can only create smiths and the one
# administrator; `"auditor"`, `"ADMIN"` or an empty role can't be created through it, yet a real
# database can hold them (an old migration, a role added next year, a typo in a support script).
# A deny-list rule, `if user.role == "smith": raise 403`, passes every test that only uses
# registered users, and lets an auditor in. **Test the rule for every kind of user, not only
# for the ones your API happens to produce.** And test the allowed path too: a check that
# refuses everybody passes every test of a refusal.

# %% [markdown]
# ## 5. Build the fake user completely
#
# A fake user has to have every attribute the code under test reads, with the right values.
# `User(...)` built in a test is transient: it is never inserted, so a column's `default=` (a
# role of `"smith"`) is never applied. Leave out `role` or `email`, and they are `None`: such an
# "admin" is refused by the admin check, and a route that returns the user crashes while
# building the response. Hence the `act_as` fixture above: it fills in every field with a
# sensible value and lets the test change only what it is about.
#
# There is a second trap. The fake user exists only in the test's memory. A route that looks the
# current user up **again** in the database (forge's `GET /forge/users/{id}` loads the profile it
# returns) finds nothing, and behaves as if the user did not exist:

# %%
lonely_app = create_app()
lonely_app.dependency_overrides[get_current_user] = lambda: User(
    id=1, username="ghost", email="ghost@example.com", role="smith")
with TestClient(lonely_app) as lonely:
    print("own profile, user only in memory:", lonely.get("/forge/users/1").status_code)
    with lonely_app.state.sessionmaker() as db:   # store the same user in the app's database
        db.add(User(id=1, username="ghost", email="ghost@example.com", password_hash="-", role="smith"))
        db.commit()
    print("own profile, user also stored:   ", lonely.get("/forge/users/1").status_code)

# %% [markdown]
# When a route needs the row, create it first (register through the API, or add it through
# `app.state.sessionmaker` as above, which skips the password hashing when nobody is going to log
# in) and act as a user with that id.

# %% [markdown]
# ### Deep dive: the article's fake users
#
# *Optional: the article's two incomplete fake users, run on forge; skip it on a first pass.*
#
# The article's debug guide suggests `User(id=1, name='test')`, although its own `User` has a
# `username`, not a `name`. Its FAQ suggests `User(id=1, username='test_admin')`: an
# administrator, judging by the name, without a role. On forge they fail in two different ways.

# %%
try:
    User(id=1, name="test")
except TypeError as error:
    print("User(id=1, name='test') ->", type(error).__name__, error)

faq_user = User(id=1, username="test_admin")
print("User(id=1, username='test_admin') -> role:", faq_user.role, "| email:", faq_user.email)

# %% [markdown]
# - `name` is not a column of forge's `User`, so SQLAlchemy refuses the keyword. (With the
#   article's own Pydantic-style `User`, the same line fails with a `ValidationError`: `username`
#   is required.) Either way the article's line never runs.
# - The FAQ's user constructs fine, but its `role` is `None`, not the default `"smith"`: a
#   column's `default=` is applied by SQLAlchemy when the row is **inserted**, and a transient
#   object is never inserted. Its `email` is `None` too. Used as an override, this "test_admin"
#   is refused by the admin check, and any route that returns the user crashes while building
#   the response. Forge turns the crash into a 500 and logs the cause, which the test below
#   collects with pytest's `caplog` fixture (`-s` lets its `print` through):

# %%
# %%ipytest -s
import logging


def test_the_faqs_admin_is_no_admin(caplog):
    faq_app = create_app()
    faq_app.dependency_overrides[get_current_user] = lambda: User(id=1, username="test_admin")
    with TestClient(faq_app) as faq_client:
        audit = faq_client.get("/forge/admin/audit")
        with caplog.at_level(logging.ERROR, logger="forge"):
            me = faq_client.get("/forge/users/me")
    [record] = [record for record in caplog.records if record.name == "forge"]
    cause = record.exc_info[1]
    print("GET /forge/admin/audit ->", audit.status_code)
    print("GET /forge/users/me    ->", me.status_code, "| cause:", type(cause).__name__,
          [(e["loc"], e["msg"]) for e in cause.errors()])
    assert (audit.status_code, me.status_code) == (403, 500)


# %% [markdown]
# ## 6. What an override cannot test: authentication itself
#
# An override replaces `get_current_user` **completely**. While it is in place, the request's
# headers are never looked at: a request with no token, a garbage token or a forged one is
# answered for the fake user.

# %%
blind_app = create_app()
blind_app.dependency_overrides[get_current_user] = lambda: User(
    id=1, username="root", email="root@example.com", role="admin")
with TestClient(blind_app) as blind:
    print("no token at all:    ", blind.get("/forge/admin/audit").status_code)
    print("a forged admin token:", blind.get("/forge/admin/audit",
                                            headers={"Authorization": f"Bearer {forged}"}).status_code)

# %% [markdown]
# So a suite that only overrides proves nothing about the 401 path: the missing, forged or
# expired token, the `WWW-Authenticate` header, the mapping from a token to a user. Those need
# tests **without any override**, and they are cheap: an anonymous request needs no set-up, and a
# token signed with a wrong key is one `jwt.encode` call.

# %%
# %%ipytest
@pytest.mark.parametrize("headers", [
    {},
    {"Authorization": "Bearer let-me-in"},
    {"Authorization": f"Bearer {forged}"},
    {"Authorization": "Token abc"},
], ids=["no-header", "garbage", "signed-with-another-key", "other-scheme"])
def test_the_audit_log_asks_strangers_to_authenticate(client, headers):
    response = client.get("/forge/admin/audit", headers=headers)
    assert response.status_code == 401
    assert response.headers["www-authenticate"] == "Bearer"


# %% [markdown]
# Then at least one test should take the road a real client takes, from the login to the
# protected route, so that the token the service issues is proven to be one it accepts. Here
# the smith gets 403 and the administrator 200, both with tokens from `POST /token`:

# %%
# %%ipytest
def log_in(client, username, password):
    response = client.post("/token", data={"username": username, "password": password})
    assert response.status_code == 200
    return {"Authorization": f"Bearer {response.json()['access_token']}"}


def test_real_tokens_for_a_smith_and_the_administrator():
    settings = Settings(admin_password=ADMIN_PASSWORD)
    with TestClient(create_app(settings)) as client:
        created = client.post("/forge/users", json={"username": "ada", "email": "ada@example.com",
                                                     "password": PASSWORD})
        assert created.status_code == 201
        smith = log_in(client, "ada", PASSWORD)
        admin = log_in(client, settings.admin_username, ADMIN_PASSWORD)

        assert client.get("/forge/admin/audit", headers=smith).status_code == 403
        assert client.get("/forge/admin/audit", headers=admin).status_code == 200


# %% [markdown]
# The helper is called `log_in`, not `test_log_in`: pytest would collect a function whose name
# starts with `test_` as a test (lesson 10 shows what that does).
#
# This split is what the article's FAQ recommends too, and it is right: overrides for the
# authorization rules, real tokens for the authentication path. Its other advice in this
# section, "avoid real tokens in unit tests" because they are slow and fragile, is not: real
# tokens cost a few percent of a request (the deep dive in section 8 measures it).

# %% [markdown]
# ## 7. Ownership: your profile, not somebody else's
#
# Roles are one kind of rule; **ownership** is the other. Forge's `GET /forge/users/{id}` returns
# a profile only to its owner (or to an administrator):

# %%
import forge.routers.users

show(forge.routers.users.read_user)

# %% [markdown]
# A route that trusts the id in the URL and forgets the ownership check has an **IDOR**
# (insecure direct object reference): any signed-in user reads any record by trying ids. Only a
# test that asks for *somebody else's* record notices it; asking for your own passes either way.
#
# Note also *how* forge refuses: with the **same 404** as for a missing id, not a 403, which
# would confirm that the id exists and let a stranger map every account. So the test compares
# the refusal with the answer for a missing id, and checks that none of the other user's data is
# in the response.
#
# Here is the pattern on a small inline app, a workshop where every smith can look at their own
# orders. `make_orders_app(owner_check=...)` builds it correctly or with the IDOR, and its
# `current_smith` dependency refuses everybody until a test overrides it.

# %%
from fastapi import HTTPException, status


def current_smith() -> str:
    raise HTTPException(status.HTTP_401_UNAUTHORIZED, detail="Not authenticated",
                        headers={"WWW-Authenticate": "Bearer"})


def make_orders_app(owner_check: bool = True) -> FastAPI:
    orders_app = FastAPI()
    orders = {1: {"id": 1, "owner": "ada", "item": "anvil"},
              2: {"id": 2, "owner": "grace", "item": "tongs"}}

    @orders_app.get("/orders/{order_id}")
    def read_order(order_id: int, smith: Annotated[str, Depends(current_smith)]):
        order = orders.get(order_id)
        if order is None or (owner_check and order["owner"] != smith):
            raise HTTPException(status.HTTP_404_NOT_FOUND, detail="No such order")
        return order

    return orders_app


# %% [markdown]
# The suite runs against both versions: **this cell fails on purpose**, with `1 failed, 5
# passed`. Only the test that asks for somebody else's order fails, and only on the app with
# the IDOR.

# %% tags=["raises-exception"]
# %%ipytest --tb=line
@pytest.fixture(params=[True, False], ids=["owner-checked", "idor"])
def orders(request):
    orders_app = make_orders_app(owner_check=request.param)
    orders_app.dependency_overrides[current_smith] = lambda: "ada"
    with TestClient(orders_app) as client:
        yield client
    orders_app.dependency_overrides.clear()


def test_a_smith_reads_their_own_order(orders):
    response = orders.get("/orders/1")
    assert response.status_code == 200
    assert response.json()["item"] == "anvil"


def test_an_unknown_order_is_404(orders):
    assert orders.get("/orders/999").status_code == 404


def test_somebody_elses_order_looks_like_a_missing_one(orders):
    response = orders.get("/orders/2")
    assert response.status_code == orders.get("/orders/999").status_code == 404
    assert "tongs" not in response.text and "grace" not in response.text


# %% [markdown]
# ## 8. Deep dive: what real tokens cost
#
# *Optional: the article's claim that overrides make auth tests 10x faster, measured; skip it on
# a first pass.*
#
# The article claims that overriding makes auth tests **10x faster** than generating real
# tokens, and that "token generation is expensive". Measure it:
#
# 1. creating and verifying a token with PyJWT (HS256), on its own;
# 2. the same request, `GET /forge/users/me`, sent three ways: with a real token; with an
#    override that loads the user from the database, as `get_current_user` does, but reads no
#    token; and with an override that returns a ready-made `User`, the article's pattern. The
#    three alternate, one request each, and we take the median of each kind, so that a busy
#    machine slows all three alike;
# 3. what *getting* a token through the API costs: a registration and a login.
#
# The measurements run on a client of their own, with ada registered and logged in.

# %%
import statistics
import time

from sqlalchemy.orm import Session

from forge.dependencies import get_db
from forge.security import create_access_token, decode_access_token

cost_lifetime = ExitStack()
demo = cost_lifetime.enter_context(TestClient(create_app(demo_settings)))
demo.post("/forge/users", json={"username": "ada", "email": "ada@example.com", "password": PASSWORD})
ada_token = demo.post("/token", data={"username": "ada", "password": PASSWORD}).json()["access_token"]

started = time.perf_counter()
for _ in range(1000):
    decode_access_token(create_access_token(7, "smith", demo_settings), demo_settings)
token_us = (time.perf_counter() - started) / 1000 * 1e6

ada = demo.get("/forge/users/me", headers={"Authorization": f"Bearer {ada_token}"}).json()
ada_user = User(id=ada["id"], username="ada", email="ada@example.com", role="smith")


def ada_from_the_database(db: Annotated[Session, Depends(get_db)]) -> User:
    return db.get(User, ada["id"])


ways = {
    "a real token": ({"Authorization": f"Bearer {ada_token}"}, None),
    "override, user loaded from the db": ({}, ada_from_the_database),
    "override, ready-made User": ({}, lambda: ada_user),
}
timings = {way: [] for way in ways}
for _ in range(120):
    for way, (headers, override) in ways.items():
        if override is not None:
            demo.app.dependency_overrides[get_current_user] = override
        started = time.perf_counter()
        demo.get("/forge/users/me", headers=headers)
        timings[way].append((time.perf_counter() - started) * 1e6)
        demo.app.dependency_overrides.clear()
median = {way: statistics.median(times) for way, times in timings.items()}
real = median["a real token"]

started = time.perf_counter()
demo.post("/forge/users", json={"username": "grace", "email": "grace@example.com", "password": PASSWORD})
registering = (time.perf_counter() - started) * 1e6
started = time.perf_counter()
demo.post("/token", data={"username": "grace", "password": PASSWORD})
logging_in = (time.perf_counter() - started) * 1e6

print(f"PyJWT create + verify one token:    {token_us:8.0f} µs = {token_us / real:4.0%} of a request")
for way, value in median.items():
    print(f"request with {way + ':':<34}{value:8.0f} µs = {value / real:4.2f} x the real token's")
print(f"POST /forge/users (registration):   {registering:8.0f} µs = {registering / real:4.1f} requests")
print(f"POST /token (login):                {logging_in:8.0f} µs = {logging_in / real:4.1f} requests")
cost_lifetime.close()   # the measuring client is done: its app shuts down

# %% [markdown]
# Your numbers will differ (on an idle machine: about 60 µs for a token, 1 to 3 ms for a
# request; a busy one slows everything down alike); the proportions won't:
#
# - a token costs **a few percent of one TestClient request**;
# - the request with a real token and the override that still loads the user cost about the
#   same: that is the token's whole share;
# - the ready-made `User` is quicker, but not because of the token: that override also skips
#   the database session and query that `get_current_user` needs. It saves a fraction of a
#   request, nowhere near a factor of 10;
# - what *is* slow is the **password hash**. Registration and login each run PBKDF2 with
#   100 000 iterations, on purpose: it is what makes stolen password hashes expensive to crack.
#   That cost belongs to logging in, not to tokens.
#
# So a test that needs a real token for an existing user, but isn't about logging in, can mint
# one directly: `create_access_token(user_id, role, app.state.settings)` returns exactly what
# `POST /token` would, signed with the app's own secret. Keep at least one test that goes
# through the real login, so that the two can't drift apart.
#
# The article's other objections to real tokens don't survive a closer look either:
#
# - *token lifetime*: a token is valid for 30 minutes and a test lasts milliseconds. A test
#   about expiry sets the issue time itself (`create_access_token(..., now=...)`, lesson 10);
# - *signing keys*: a test reads the key from the app's settings (or passes its own `Settings`),
#   it never copies it;
# - *a breaking change in the token library*: if upgrading PyJWT breaks token checking, your
#   service's authentication is broken, and that is exactly what a test should tell you.
#
# Override `get_current_user` for **isolation**, not for speed: a test of "only admins may read
# the audit log" should fail only when that rule breaks, not when the login does.
#
# | what you are testing | how |
# | --- | --- |
# | role rules, ownership rules, what a route does for a given user | override `get_current_user` with a complete fake user |
# | no token, garbage, forged signature, expired token, the `WWW-Authenticate` header | no override: real requests with bad credentials |
# | login, and that issued tokens are accepted and map to the right user | no override: register, `POST /token`, use the token |
# | a route for a stored user, when logging in is beside the point | no override: a token from `create_access_token` |
# | a limit per user (rate limits, quotas) | override `get_current_user` and vary the user between requests: the same user reaches the limit, another user does not |

# %% [markdown]
# ## 9. Deep dive: the clean-up that the article "assumes"
#
# *Optional: the article's two tests without their clean-up, and the leak that follows (lesson 2's
# leak, with users); skip it on a first pass.*
#
# The article's two tests set the override on the module-level app inside the test body and end
# with the comment that clean-up in `conftest.py` is assumed. If there is none, the last override
# set stays on the app. Below are the article's two tests, run against forge's module-level app
# `forge.main.app` with a client fixture like the article's, followed by an honest test of the
# unauthenticated case that a colleague might add to the same module.
#
# **This cell fails on purpose.** Expect `1 failed, 2 passed`: the request without any token gets
# **403** instead of 401, because the previous test's smith is still logged in.

# %% tags=["raises-exception"]
# %%ipytest --tb=line
from forge.main import app


@pytest.fixture
def shared_client():
    with TestClient(app) as client:
        yield client


def test_admin_only_endpoint(shared_client):
    app.dependency_overrides[get_current_user] = lambda: User(id=1, username="admin", role="admin")
    assert shared_client.get("/forge/admin/dashboard").status_code == 200


def test_regular_user_gets_forbidden(shared_client):
    app.dependency_overrides[get_current_user] = lambda: User(id=2, username="user", role="user")
    assert shared_client.get("/forge/admin/dashboard").status_code == 403


def test_anonymous_request_is_401(shared_client):
    assert shared_client.get("/forge/admin/dashboard").status_code == 401


# %% [markdown]
# The leaked override is still on the module-level app after the run, waiting for the next test
# in this process:

# %%
print(app.dependency_overrides)

# %% [markdown]
# The third test is right and the app is right; the suite is wrong, and it would fail or pass
# depending on which tests run before it. Worse, in the other order a leaked *admin* turns every
# later "no token" test into a 200. The fix is the one from lesson 2: the override belongs to a
# fixture that removes it after `yield`. The same three tests with that fixture pass, in any
# order:

# %%
# %%ipytest --tb=line
@pytest.fixture
def logged_in_as():
    def logged_in_as(user):
        app.dependency_overrides[get_current_user] = lambda: user
    yield logged_in_as
    app.dependency_overrides.pop(get_current_user, None)     # teardown, even after a failure


def test_admin_only_endpoint(shared_client, logged_in_as):
    logged_in_as(User(id=1, username="admin", email="admin@example.com", role="admin"))
    assert shared_client.get("/forge/admin/dashboard").status_code == 200


def test_regular_user_gets_forbidden(shared_client, logged_in_as):
    logged_in_as(User(id=2, username="user", email="user@example.com", role="smith"))
    assert shared_client.get("/forge/admin/dashboard").status_code == 403


def test_anonymous_request_is_401(shared_client):
    response = shared_client.get("/forge/admin/dashboard")
    assert response.status_code == 401
    assert response.headers["www-authenticate"] == "Bearer"


# %%
print("after the run:", app.dependency_overrides)


# %% [markdown]
# (The cell above still starts from the leak of the failing cell: its first test replaces the
# leaked user and its teardown removes it. A suite whose fixtures always clean up never has
# anything left over to start from.)

# %% [markdown]
# ## What the article gets wrong
#
# Checked on the pinned versions:
#
# - **The example's clean-up, "assumed in conftest.py"**: without it, the last user set stays on
#   the module-level app, and a later test of the anonymous case gets 403 instead of 401 (or
#   200, if the leaked user is an admin). Remove the override in a fixture's teardown (deep
#   dive, section 9). The example's `from io.thecodeforge.main import ...` can't be imported
#   either: `io` is the standard library's module.
# - **"This pattern reduces test runtime by 10x compared to generating real tokens"** and
#   **"token generation is expensive"**: creating and verifying a token takes tens of
#   microseconds, a few percent of one request; a ready-made fake user saves the database
#   lookup, a fraction of a request. The slow part of a login is the password hash, which a test
#   can skip by minting a token (deep dive, section 8). Override for isolation, not for speed.
# - **"Avoid real tokens in unit tests"**, **"Authentication routes return 401 even with valid
#   token: override get_current_user instead"**: an override can't test authentication at all.
#   A valid token that gets 401 is a bug to find, not to bypass (section 6).
# - **`User(id=1, name='test')`** (debug guide): `name` is no field of the article's own
#   `User`; it fails. The FAQ's `User(id=1, username='test_admin')` runs but has no role and no
#   email, so it is no admin at all (section 5 and its deep dive).
# - **The FAQ's strategy**, real JWTs for integration tests and overrides for the logic behind
#   them, is right. Just don't stop at the overrides.
# - Not the article's fault, but worth knowing: before 0.122, FastAPI's bearer, digest and API-key
#   helpers answered a missing credential with **403**; current versions answer **401** with
#   `WWW-Authenticate` (deep dive in section 1).

# %% [markdown]
# ## Summary
#
# - **401** = not authenticated (no, malformed, forged or expired credentials), and it carries
#   `WWW-Authenticate: Bearer`. **403** = authenticated, not allowed.
# - A real token comes from `POST /forge/users` (JSON) and `POST /token` (a form: `data=`), and
#   goes in `Authorization: Bearer <token>`. Forge's administrator exists when the settings carry
#   an `admin_password`; its name is `settings.admin_username`.
# - To test **authorization**, override `get_current_user` with a **complete** transient
#   `User(id=..., username=..., email=..., role=...)`, in a fixture that removes it after
#   `yield` (or on an app per test). Test the allowed path and the refused paths, for every kind
#   of role, including roles the API can't create.
# - To test **authentication**, use **no override**: anonymous, garbage, forged and expired
#   tokens must get 401 with the challenge header, and at least one test must log in for real.
# - For **ownership**, ask for somebody else's resource: the answer must look exactly like the
#   answer for a missing one, and contain nothing of theirs.
# - From the deep dives: real tokens are cheap, password hashing is not, so mint tokens with
#   `create_access_token` when logging in is beside the point.

# %% [markdown]
# ## Your turn: exercise 3
#
# Open **`exercises/ex03_auth/ex03_auth.ipynb`**. You will test who may do what in forge: the
# admin dashboard (`GET /forge/admin/dashboard`) and the profile routes (`GET /forge/users/me`,
# `GET /forge/users/{id}`), anonymous, with bad tokens, as ordinary users and as
# administrators. Use overrides where they isolate the rule, and real tokens where only a real
# token can tell. The planted defects include both kinds.
