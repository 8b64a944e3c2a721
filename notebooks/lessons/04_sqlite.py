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
# # Lesson 4 · A real database in your tests: SQLite in memory
#
# Fakes (lesson 2) are right for mail and payment gateways. For the database they fall short:
# the bugs you most want to catch live in real SQL, in unique constraints, commits and
# rollbacks. A duplicate username that slips past a check in Python is stopped by a `UNIQUE`
# constraint only in a real database, and a forgotten `commit()` shows only in a real one.
#
# An in-memory SQLite database gives every test real SQL with no server to run. Getting it to
# work with `TestClient` takes two engine settings that most tutorials (our article included)
# leave out. By the end of this lesson you will be able to:
#
# - give an app a test database by overriding its `get_db` dependency;
# - explain why `create_engine("sqlite:///:memory:")` fails under `TestClient` with
#   `no such table`, why each of the two usual half-fixes fails too, and which engine works;
# - write fixtures that give **every test a fresh, empty database**, with a session per request;
# - check side effects by **reading the database directly**, and put test data in the same way.
#
# Run the cells from top to bottom. A few cells **fail on purpose**; the text right before each
# of them says so. Sections headed *Deep dive* are optional (threads, costs, what SQLite can't
# tell you about PostgreSQL, the article's FAQ): skip them on a first pass and come back for the
# depth.

# %%
from graders.notebook import setup, show
setup()

# %% [markdown]
# ## 1. Where the database plugs in
#
# Every forge route that touches the database declares a `Db` parameter, which FastAPI fills by
# calling the dependency `get_db`. It hands the route a SQLAlchemy session made by the session
# factory that the lifespan put on `app.state`, and closes it when the request is over:

# %%
import forge.database
import forge.dependencies

show(forge.dependencies.get_db)
show(forge.database.open_session)

# %% [markdown]
# That one function is the seam a test uses. Override `get_db` with a generator that yields
# sessions on **your** engine, and every route (and every dependency built on `get_db`, such as
# `get_current_user`) reads and writes your test database instead:
#
# ```python
# def test_database():
#     with sessions() as db:        # sessions = sessionmaker(bind=your_engine)
#         yield db
#
# app.dependency_overrides[get_db] = test_database
# ```
#
# Why not use the app's own database? Because you hold the engine: the test can create the
# tables, put rows in before a request and read rows back after it, without going through the
# API, which is exactly what you need to check side effects. (Many apps default to a PostgreSQL
# URL; overriding `get_db` is then what keeps tests away from a real server.)
#
# Below, `Base.metadata.create_all(engine)` creates every table that forge's models declare
# (`users`, `items`, `audit_events`): `Base` is the class the models inherit from, and its
# `metadata` lists their tables. Tables that already exist are skipped.
#
# ## 2. The article's engine: `no such table`
#
# The article builds its test engine with `create_engine("sqlite:///:memory:")`, creates the
# tables, and overrides `get_db`. The fixture below does the same for forge's registration
# route, `POST /forge/users`. It keeps the article's engine and table creation; for the sessions
# it already uses the per-request form of section 5 (the helper `client_on`), so that the engine
# is the only thing that can be at fault.
#
# Forge answers any unhandled error with a JSON 500 and logs the cause (lesson 1). The helper
# `forge_logged_cause` pulls that cause out of pytest's `caplog` fixture, which collects log
# records during a test, so the failure report shows the real error.
#
# **This cell fails on purpose.** Expect `1 failed` with *OperationalError: no such table:
# users*, although the fixture has just created that table.

# %%
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import create_engine, func, select
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.pool import StaticPool

from forge.database import Base
from forge.dependencies import get_db
from forge.main import create_app
from forge.models import AuditEvent, Item, User

ALICE = {"username": "alice", "email": "alice@example.com", "password": "correct horse"}


def forge_logged_cause(caplog) -> str:
    """The database error behind forge's last 500, from the record its middleware logged."""
    error = caplog.records[-1].exc_info[1]
    return f"forge logged {type(error.orig).__name__}: {error.orig}"


def client_on(engine):
    """A started forge app whose get_db hands out sessions on `engine`, one per request."""
    app = create_app()
    sessions = sessionmaker(bind=engine, autoflush=False, expire_on_commit=False)

    def test_database():
        with sessions() as db:
            yield db

    app.dependency_overrides[get_db] = test_database
    return TestClient(app)


# %% tags=["raises-exception"]
# %%ipytest --tb=line --show-capture=no
@pytest.fixture
def article_engine():
    engine = create_engine("sqlite:///:memory:")   # the article's engine
    Base.metadata.create_all(engine)
    yield engine


def test_register_on_the_articles_engine(article_engine, caplog):
    with client_on(article_engine) as client:
        response = client.post("/forge/users", json=ALICE)
    assert response.status_code == 201, forge_logged_cause(caplog)


# %% [markdown]
# ## 3. Why: one database per connection, one connection per thread
#
# Two facts combine here.
#
# 1. **An in-memory SQLite database belongs to one connection.** Each new connection to
#    `:memory:` opens a new, empty, private database.
# 2. **For `:memory:` URLs, SQLAlchemy's default pool is `SingletonThreadPool`**, which keeps
#    one connection **per thread**.
#
# So each thread that uses the engine gets a database of its own. And the app never runs in
# your test's thread: `TestClient` runs it on an event loop in a **portal thread**, and a plain
# `def` route (forge's `register` is one) runs in a **worker thread** (lesson 1's deep dive
# shows this). The session the route gets opens its connection in that thread,
# `SingletonThreadPool` gives it a brand-new connection, and with it a brand-new empty database:
# no `users` table.
#
# ```mermaid
# flowchart LR
#     subgraph perthread["sqlite:///:memory: (SingletonThreadPool)"]
#         t1[test thread] --> c1[connection 1] --> d1[(database 1: tables created here)]
#         t2[app's worker thread] --> c2[connection 2] --> d2[(database 2: empty)]
#     end
#     subgraph shared["sqlite:// with StaticPool"]
#         t3[test thread] --> c3[one connection]
#         t4[app's worker thread] --> c3
#         c3 --> d3[(one database)]
#     end
# ```

# %% [markdown]
# ### Deep dive: two threads, two databases, without a web app
#
# *Optional: the per-thread databases shown with a plain thread instead of TestClient; skip it
# on a first pass.*
#
# The tables are created in this thread, and a second thread asks for them.

# %%
import threading

memory_engine = create_engine("sqlite:///:memory:")
print("pool:", type(memory_engine.pool).__name__)
Base.metadata.create_all(memory_engine)


def count_users() -> int:
    with Session(memory_engine) as db:
        return db.scalar(select(func.count()).select_from(User))


seen = {}


def in_another_thread():
    try:
        seen["count"] = count_users()
    except OperationalError as error:
        seen["error"] = f"{type(error.orig).__name__}: {error.orig}"


print("this thread:   ", count_users(), "users")
worker = threading.Thread(target=in_another_thread)
worker.start()
worker.join()
print("another thread:", seen)

# %% [markdown]
# ## 4. Two half-fixes that still fail
#
# Two settings appear in fixes found online, often alone:
#
# - `connect_args={"check_same_thread": False}` is an option of Python's `sqlite3` module. By
#   default a `sqlite3` connection refuses to be used from any thread but the one that created
#   it; this switches that check off. It **does not change the pool**: every thread still gets
#   a connection, and a database, of its own.
# - `poolclass=StaticPool` makes the engine keep **exactly one connection** and hand that same
#   connection to everyone. One connection, one database. But the connection is created in the
#   thread that first asks for it (the test's, in `create_all`), and `sqlite3` refuses to let
#   the app's thread use it.
#
# **This cell fails on purpose.** Expect `2 failed`: *no such table: users* with
# `check_same_thread=False` alone, and *SQLite objects created in a thread can only be used in
# that same thread* with `StaticPool` alone.

# %% tags=["raises-exception"]
# %%ipytest --tb=line --show-capture=no
HALF_FIXES = {
    "check_same_thread-only": lambda: create_engine(
        "sqlite:///:memory:", connect_args={"check_same_thread": False}),
    "StaticPool-only": lambda: create_engine("sqlite:///:memory:", poolclass=StaticPool),
}


@pytest.fixture(params=list(HALF_FIXES))
def half_fixed_engine(request):
    engine = HALF_FIXES[request.param]()
    Base.metadata.create_all(engine)
    yield engine


def test_register_on_a_half_fixed_engine(half_fixed_engine, caplog):
    with client_on(half_fixed_engine) as client:
        response = client.post("/forge/users", json=ALICE)
    assert response.status_code == 201, forge_logged_cause(caplog)


# %% [markdown]
# **Both settings together** work: `StaticPool` makes one connection, hence one database, shared
# by the test and the app, and `check_same_thread=False` lets the app's threads use it. That is
# exactly how forge builds its own in-memory engine:

# %%
show(forge.database.make_engine)

# %%
working_engine = forge.database.make_engine("sqlite://")     # "sqlite://" is the same as "sqlite:///:memory:"
Base.metadata.create_all(working_engine)
with client_on(working_engine) as client:
    response = client.post("/forge/users", json=ALICE)
print(response.status_code, response.json())
with Session(working_engine) as db:
    print("rows in users:", [(u.id, u.username) for u in db.scalars(select(User))])

# %% [markdown]
# The sharing is real: the test and the app use **the same connection**, one after the other
# (`TestClient` sends one request at a time and waits for it). Two habits follow from that:
#
# - read the database in a **short** session (`with Session(engine) as db: ...`) that is closed
#   before the next request, rather than holding one open across requests;
# - don't run requests in parallel threads against such an engine: one `sqlite3` connection is
#   not made for concurrent use.

# %% [markdown]
# ### Deep dive: a database file instead
#
# *Optional: the other way to share one SQLite database with the app's threads; skip it on a
# first pass.*
#
# An alternative is a database **file** in a temporary directory (pytest's `tmp_path`). Every
# connection to a file sees the same database, so no `StaticPool` is needed, and for file URLs
# SQLAlchemy already uses a `QueuePool` and passes `check_same_thread=False` itself. It is a
# little slower (it touches the disk) and you clean it up by deleting the file.

# %%
file_engine = create_engine("sqlite:////tmp/forge-lesson-04.db")
print("file database:", type(file_engine.pool).__name__, file_engine.dialect.create_connect_args(file_engine.url))
file_engine.dispose()

# %% [markdown]
# ## 5. Fixtures: a fresh database for every test
#
# Now the working form as fixtures. Two of them, each with one job:
#
# - `engine` creates a new in-memory database with forge's tables, for **every test** (pytest's
#   default function scope), and disposes of it afterwards. Disposing closes the only
#   connection, and an in-memory database disappears with its connection, so there is nothing
#   to drop: the article's `Base.metadata.drop_all` is only needed for a database that outlives
#   the connection (a file, a server).
# - `client` builds a new app, points `get_db` at the engine with **one session per request**
#   (the way production works: each request gets its own session, closed when it ends), enters
#   the client, and clears the override in its teardown.
#
# The tests then use the engine directly to check what a request left behind, and to put
# rows in before a request. Notice which routes they use: forge's items, and for the
# registration route only the duplicate check. The exercise asks you to test registration's
# side effects yourself.

# %% [markdown]
# **Predict, then run.** Forge's lifespan still runs in these tests and loads its starter
# catalogue. Will `test_the_list_shows_what_the_database_holds`, which expects only `file` and
# `rasp`, pass? Decide, then run the cell.

# %%
# %%ipytest
@pytest.fixture
def engine():
    engine = create_engine("sqlite://", poolclass=StaticPool,
                           connect_args={"check_same_thread": False})
    Base.metadata.create_all(engine)
    yield engine
    engine.dispose()        # the in-memory database is gone with its connection


@pytest.fixture
def client(engine):
    app = create_app()
    sessions = sessionmaker(bind=engine, autoflush=False, expire_on_commit=False)

    def test_database():
        with sessions() as db:   # one session per request, closed when the request ends
            yield db

    app.dependency_overrides[get_db] = test_database
    with TestClient(app) as client:
        yield client
    app.dependency_overrides.clear()


def item_rows(engine):
    with Session(engine) as db:
        return [(item.name, item.price) for item in db.scalars(select(Item).order_by(Item.id))]


def test_a_created_item_is_stored(client, engine):
    response = client.post("/forge/items", json={"name": "bellows", "price": 60.0})
    assert response.status_code == 201
    assert item_rows(engine) == [("bellows", 60.0)]


def test_a_rejected_item_stores_nothing(client, engine):
    assert client.post("/forge/items", json={"name": "bellows", "price": 0}).status_code == 422
    assert item_rows(engine) == []


def test_the_list_shows_what_the_database_holds(client, engine):
    with Session(engine) as db:                     # arrange in the database ...
        db.add_all([Item(name="rasp", price=7.5), Item(name="file", price=6.0)])
        db.commit()
    response = client.get("/forge/items")           # ... act and assert through the API
    assert sorted(item["name"] for item in response.json()) == ["file", "rasp"]


def test_a_taken_username_is_409(client):
    assert client.post("/forge/users", json=ALICE).status_code == 201
    again = client.post("/forge/users", json={**ALICE, "email": "alice.two@example.com"})
    assert again.status_code == 409


def test_every_test_starts_with_empty_tables(engine):
    with Session(engine) as db:
        assert db.scalar(select(func.count()).select_from(User)) == 0
        assert db.scalar(select(func.count()).select_from(Item)) == 0


# %% [markdown]
# One detail in those tests deserves a second look.
#
# **The starter catalogue is missing.** `GET /forge/items` listed only the two rows the test put
# in; anvil, hammer and tongs are nowhere. Forge's lifespan still runs and still loads them, but
# into the app's *own* database, through `app.state.sessionmaker`, which the override doesn't
# touch. The override replaces one door into the database, `get_db`, not the database. Before
# you trust a database override, check which code paths really go through the dependency you
# replaced.

# %% [markdown]
# ### Deep dive: what else reaches the database
#
# *Optional: forge's audit log, which an override of `get_db` doesn't reach; skip it on a first
# pass.*
#
# The same goes for forge's **audit log**: its dependency opens sessions from
# `app.state.sessionmaker` directly (a background task runs after the request's session is
# closed), so with `get_db` overridden, registrations are audited in the app's own database:

# %%
show(forge.dependencies.get_audit_log)

own_engine = forge.database.make_engine("sqlite://")
Base.metadata.create_all(own_engine)
with client_on(own_engine) as client:
    client.post("/forge/users", json=ALICE)
    with client.app.state.sessionmaker() as app_db, Session(own_engine) as test_db:
        for name, db in (("the app's own database", app_db), ("the test database", test_db)):
            print(f"{name:24}: {db.scalar(select(func.count()).select_from(Item))} items, "
                  f"{db.scalar(select(func.count()).select_from(User))} users, "
                  f"{db.scalar(select(func.count()).select_from(AuditEvent))} audit events")

# %% [markdown]
# Anything that reaches the database some other way than the dependency you replaced (a session
# factory on `app.state`, a module-level engine, a background worker) keeps using the real one.

# %% [markdown]
# ### Deep dive: what a fresh database costs
#
# *Optional: the price of a new in-memory database per test, measured; skip it on a first pass.*
#
# **Per-test databases are cheap.** A new in-memory engine with forge's three tables costs about
# a millisecond of CPU (the cell below prints it), a small fraction of one registration request
# (which hashes the password, slowly on purpose). There is no speed reason to share a database between tests. The cell measures CPU
# time rather than the clock, so that a busy machine doesn't distort the comparison.

# %%
import time


def cpu_ms(action, times: int) -> float:
    started = time.process_time()
    for _ in range(times):
        action()
    return (time.process_time() - started) / times * 1000


def fresh_database():
    throwaway = create_engine("sqlite://", poolclass=StaticPool, connect_args={"check_same_thread": False})
    Base.metadata.create_all(throwaway)
    throwaway.dispose()


counter = iter(range(1_000_000))
timing_engine = forge.database.make_engine("sqlite://")
Base.metadata.create_all(timing_engine)
with client_on(timing_engine) as client:
    def one_registration():
        n = next(counter)
        client.post("/forge/users", json={"username": f"smith{n}", "email": f"smith{n}@example.com",
                                          "password": "correct horse"})

    print(f"a fresh database (engine, create_all, dispose): {cpu_ms(fresh_database, 50):5.1f} ms")
    print(f"one registration request:                        {cpu_ms(one_registration, 10):5.1f} ms")

# %% [markdown]
# ## 6. Don't share a database (or a session) between tests
#
# What goes wrong when tests share one? Below, the engine fixture has `scope="module"`, so both
# tests get the same database. Each test is correct and passes when run on its own.

# %% [markdown]
# **Predict, then run.** Run together, will both tests pass? If not, which one fails, and with
# which status code instead of `201`? Decide, then run the cell (it is marked to fail on
# purpose).

# %% tags=["raises-exception"]
# %%ipytest --tb=line
@pytest.fixture(scope="module")
def shared_engine():
    engine = create_engine("sqlite://", poolclass=StaticPool, connect_args={"check_same_thread": False})
    Base.metadata.create_all(engine)
    yield engine
    engine.dispose()


def test_alice_can_register(shared_engine):
    with client_on(shared_engine) as client:
        response = client.post("/forge/users", json=ALICE)
    assert response.status_code == 201, response.json()


def test_alice_can_log_in_after_registering(shared_engine):
    with client_on(shared_engine) as client:
        response = client.post("/forge/users", json=ALICE)
        assert response.status_code == 201, response.json()
        token = client.post("/token", data={"username": "alice", "password": ALICE["password"]})
        assert token.status_code == 200


# %% [markdown]
# This is the signature of shared state: a test that **passes alone and fails in the suite**,
# or fails only in some orders. Rows are shared state just as leaked overrides are (lesson 2),
# and the cure is the same: give each test its own, here a function-scoped `engine` fixture,
# and a session per request, as the `client` fixture of section 5 does.

# %% [markdown]
# ### Deep dive: one session for every request of a test
#
# *Optional: why the article's one-session-per-test fixture is fragile; skip it on a first
# pass.*
#
# The article puts the rule as "do not share the same session across tests", and it is right.
# Its own fixture goes halfway, though: it creates one session per *test* and hands that same
# object to *every request* of the test. With the working engine that happens to pass, because
# `TestClient` sends one request at a time, but a `Session` is not thread-safe, and it is not
# what production does. Worse, one request that fails in the middle of a write leaves the shared
# session unusable for every later request of the test:

# %%
from sqlalchemy.exc import IntegrityError

with Session(working_engine) as shared_session:     # alice is already in working_engine
    shared_session.add(User(username="alice", email="other@example.com", password_hash="x"))
    try:
        shared_session.commit()                     # request 1: the UNIQUE constraint refuses it
    except IntegrityError as error:
        print("request 1:", type(error).__name__, "-", error.orig)
    try:
        shared_session.scalar(select(User))         # request 2, same session object
    except Exception as error:
        print("request 2:", type(error).__name__, "-", str(error).split(". ")[0])

# %% [markdown]
# A session per request, from a per-test engine, avoids both problems.

# %% [markdown]
# ## 7. Deep dive: what SQLite can't tell you (and one thing it can)
#
# *Optional: where SQLite and a PostgreSQL production database differ; skip it on a first pass.*
#
# SQLite in memory runs real SQL, but it is not your production database. The article's
# example of a missing feature is wrong, though: it names **partial indexes**, and SQLite has
# had them since version 3.8.0 (2013). SQLAlchemy declares one with `sqlite_where=` (and
# `postgresql_where=` for PostgreSQL). Below, email addresses must be unique among accounts that
# are not deleted, and SQLite enforces exactly that:

# %%
import sqlite3

from sqlalchemy import Column, Index, Integer, MetaData, String, Table, insert

from sqlalchemy.exc import IntegrityError

print("SQLite", sqlite3.sqlite_version)
schema = MetaData()
accounts = Table("accounts", schema, Column("id", Integer, primary_key=True),
                 Column("email", String(254)), Column("deleted", Integer, default=0))
Index("one_live_account_per_email", accounts.c.email, unique=True,
      sqlite_where=accounts.c.deleted == 0, postgresql_where=accounts.c.deleted == 0)
partial = create_engine("sqlite://")
schema.create_all(partial)
with partial.begin() as conn:
    conn.execute(insert(accounts), [{"email": "a@x.io", "deleted": 1}, {"email": "a@x.io", "deleted": 0}])
print("a deleted and a live account with the same email: accepted")
try:
    with partial.begin() as conn:
        conn.execute(insert(accounts), {"email": "a@x.io", "deleted": 0})
except IntegrityError as error:
    print("a second live account:", error.orig)

# %% [markdown]
# The real gaps are elsewhere. Each of these passes silently on SQLite and behaves differently
# on PostgreSQL, or the other way round:

# %%
import re

from sqlalchemy.dialects.postgresql import ARRAY, JSONB
from sqlalchemy.exc import CompileError, DatabaseError


def attempt(label, action):
    try:
        print(f"{label}: {action()}")
    except (CompileError, DatabaseError) as error:
        message = str(getattr(error, "orig", None) or error).splitlines()[0]
        print(f"{label}: {type(error).__name__}: {re.sub(r'<[^>]+ at 0x[0-9a-f]+>', 'SQLite', message)}")


gaps = create_engine("sqlite://")
types = MetaData()
docs = Table("docs", types, Column("id", Integer, primary_key=True), Column("body", JSONB))
tags = Table("tags", MetaData(), Column("id", Integer, primary_key=True), Column("names", ARRAY(String)))
types.create_all(gaps)
with gaps.begin() as conn:
    conn.execute(insert(docs), {"body": {"tags": ["forge"]}})
    attempt("ARRAY column", lambda: tags.metadata.create_all(gaps))
    attempt("JSONB column, created", lambda: "ok (SQLite accepts any type name)")
    attempt("JSONB @> query", lambda: conn.execute(select(docs).where(docs.c.body.contains({"tags": ["forge"]}))).all())
    attempt("date_trunc()", lambda: conn.execute(select(func.date_trunc("day", func.now()))).scalar())

with Session(working_engine) as db:                 # forge's own tables
    db.add(User(username="x" * 100, email="long@example.com", password_hash="x"))
    db.add(AuditEvent(action="user.registered", user_id=999_999))
    db.commit()
    attempt("100 characters in String(30)", lambda: f"stored {len(db.scalar(select(User.username).where(User.email == 'long@example.com')))} characters")
    attempt("audit event for user 999999", lambda: "stored: foreign keys are off unless PRAGMA foreign_keys=ON")

# %% [markdown]
# In short:
#
# - **Types**: no `ARRAY`; `JSONB` columns are created (SQLite accepts any type name) but its
#   operators fail at query time; lengths such as `String(30)` are not enforced.
# - **Functions**: many PostgreSQL functions (`date_trunc`, `generate_series`, the full-text
#   `to_tsvector`, ...) don't exist, and some that exist in both behave differently.
# - **Constraints**: foreign keys are not checked unless you turn them on per connection.
# - **Concurrency**: one writer at a time for the whole database, no row locks, different
#   isolation behaviour. Tests of locking, deadlocks or concurrent updates mean nothing on SQLite.
# - **Schema**: `create_all` builds tables from your models. If production builds them with
#   migrations (Alembic), the two can drift apart; run the migrations in tests to catch that.
#
# When a behaviour depends on any of these, test it against a real PostgreSQL, for example one
# started in a container by the `testcontainers` package, once per test session (starting one per
# test is far too slow), with a transaction or a fresh schema per test. Keep SQLite in memory for
# the bulk of the suite: validation, status codes, what a request stores.

# %% [markdown]
# ## 8. Deep dive: two questions from the article's FAQ
#
# *Optional: the article's FAQ on test databases and "session is already closed", answered;
# skip it on a first pass.*
#
# **"How do I test with a real test database instead of a mock?"** The article's answer, an
# in-memory SQLite database via `sqlite:///:memory:`, tables from `create_all` (or migrations),
# dropped after each test, is the right idea with the wrong engine. Use sections 4 and 5:
# `StaticPool` plus `check_same_thread=False`, a fresh engine per test, a session per request,
# and no `drop_all` needed. For PostgreSQL-only features, a real PostgreSQL as above.
#
# **"Why does my test fail with 'session is already closed'?"** No such message exists in
# SQLAlchemy, Starlette, httpx or anyio, so don't search for it. The article's explanation has a
# true part: an in-memory database is destroyed when its connection closes. The errors you will
# actually meet are these:
#
# | message | what happened |
# | --- | --- |
# | `OperationalError: no such table: users` | the app's connection sees a different database: the default pool for `:memory:` (section 2), or an engine that was disposed of, e.g. a request after the `with TestClient(...)` block (a deep dive of lesson 1) |
# | `ProgrammingError: SQLite objects created in a thread can only be used in that same thread` | one connection shared across threads without `check_same_thread=False` (section 4) |
# | `PendingRollbackError: This Session's transaction has been rolled back due to a previous exception during flush` | a session reused after a failed write (section 6) |
# | `DetachedInstanceError: Instance <User at 0x...> is not bound to a Session; attribute refresh operation cannot proceed` | an ORM object read after its session closed, with attributes that were expired by a commit |
#
# The last one is worth seeing, because it explains a setting in forge's session factory:

# %% [markdown]
# **Predict, then run.** The next cell commits a new user and closes the session twice, once with
# `expire_on_commit=True` and once with `False`. After which of the two can it still read
# `user.username`? Decide, then run the cell.

# %%
from sqlalchemy.orm.exc import DetachedInstanceError

show(forge.database.make_sessionmaker)

for expire_on_commit in (True, False):
    with sessionmaker(bind=working_engine, expire_on_commit=expire_on_commit)() as db:
        user = User(username=f"bob_{expire_on_commit}".lower(), email=f"bob{expire_on_commit}@example.com",
                    password_hash="x")
        db.add(user)
        db.commit()      # with expire_on_commit=True, every attribute must be reloaded after this
    try:
        print(f"expire_on_commit={expire_on_commit}: after the session closed, username =", user.username)
    except DetachedInstanceError as error:
        print(f"expire_on_commit={expire_on_commit}:", type(error).__name__, "-", str(error).split(" (Background")[0])

# %% [markdown]
# A forge route commits and then returns the ORM object, which FastAPI turns into JSON after
# the route has finished. With attributes expired by the commit, that would need the session
# again. `expire_on_commit=False` keeps the loaded values, which is why the test fixtures above
# use it too.

# %% [markdown]
# ## What the article gets wrong
#
# - **`create_engine("sqlite:///:memory:")` gives you a test database**: under `TestClient` it
#   fails with `no such table`, because the default `SingletonThreadPool` gives each thread its
#   own empty in-memory database and the app runs in other threads. The same goes for its
#   integration fixture, for the key takeaway that SQLite in memory gives "real SQL semantics
#   with instant teardown", and for FAQ 2 (sections 2 and 3).
# - **The fixes you find online**: `check_same_thread=False` alone still gives `no such table`;
#   `StaticPool` alone gives the thread `ProgrammingError`. It takes both (section 4).
# - **SQLite lacks partial indexes**: it has them. The real gaps are types (`ARRAY`, `JSONB`
#   operators), PostgreSQL functions, constraints that are not enforced, and concurrency (deep
#   dive, section 7).
# - **"Session is already closed"** (FAQ 5): no library raises that message. Look for `no such
#   table`, the thread `ProgrammingError`, `PendingRollbackError` or `DetachedInstanceError`
#   (deep dive, section 8).
# - **Fixture shape**: one session shared by every request of a test works only by luck of
#   sequential requests; use a session per request (the deep dive in section 6). And `drop_all`
#   after an in-memory test is unnecessary: disposing of the engine discards the database
#   (section 5).
#
# What it gets right: don't share a session, or a database, across tests.

# %% [markdown]
# ## Summary
#
# - Give the app a test database by overriding `get_db` with a generator that yields one
#   session per request on your own engine. Check what else reaches the database without
#   `get_db` (forge's lifespan seed does, and its audit log).
# - An in-memory SQLite database belongs to one connection. Under `TestClient` build the engine
#   with **`poolclass=StaticPool`** (one connection, one database) **and
#   `connect_args={"check_same_thread": False}`** (usable from the app's threads), as forge's
#   `make_engine` does (or use a file in `tmp_path`, a deep dive).
# - Create the tables with `Base.metadata.create_all(engine)`; dispose of the engine afterwards.
# - A **function-scoped** engine fixture gives every test a fresh, empty database, for about a
#   millisecond (a deep dive measures it). A shared one makes tests depend on each other.
# - Check side effects by reading the database directly in a short session; put test data in
#   the same way. A 201, 409 or 422 says nothing about what was written.
# - Use SQLite for the bulk of the suite and a real PostgreSQL for what SQLite can't show (deep
#   dive, section 7).

# %% [markdown]
# ## Your turn: exercise 4
#
# Open **`exercises/ex04_sqlite/ex04_sqlite.ipynb`**. Forge's registration route promises things
# about what it stores: exactly one row per account, a hashed password, nothing at all for a
# rejected or duplicate registration. Give the app a test database of your own, read the `users`
# table directly, and write the tests that hold the route to those promises. Some of the planted
# defects answer every request perfectly and are visible only in the database.
