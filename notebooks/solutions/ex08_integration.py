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
# # Exercise 8: registration, end to end
#
# Write an integration suite for **registration** in the forge service: one request through the
# whole stack, then a look at every place it should (and should not) leave a mark. Your suite is
# graded the way a code reviewer would judge it:
#
# 1. **It must pass on the real app.** It also runs against other *correct* versions of the
#    service, which differ only where the specification below leaves freedom. A test that fails on
#    any correct version is *invalid*, and while any test is invalid the suite scores 0.
# 2. **It must catch bugs.** We planted defects in copies of the service, each one a mistake the
#    lesson warns about. Your score is the share of them that at least one of your tests catches
#    (by failing).
#
# ## What the service promises
#
# **Trace ids.**
#
# - Every response carries an `X-Trace-ID` header: successes and errors alike (a 404, a 401, a
#   409, a 422, ...).
# - If the request carries an `X-Trace-ID` that is 8 to 64 characters long, each a letter, a digit
#   or a dash, the response carries that same value.
# - Otherwise (no header, or one that breaks that rule) the service generates a new trace id for
#   the request. A generated id is also 8 to 64 letters, digits or dashes, and each request gets
#   its own. **Not specified:** anything more about its format (hex digits or a UUID with dashes,
#   its exact length, ...).
#
# **Registration**, `POST /forge/users` with a JSON body `{"username", "email", "password"}`:
#
# - The username is 3 to 30 characters from `a-z`, `0-9` and `_`; the email looks like
#   `name@domain.tld`; the password is 8 to 128 characters. Any other body is rejected with `422`.
# - A username or an email that is already registered is rejected with `409`.
# - Otherwise the service stores the user and answers `201` with it, including its new `id` (a
#   whole number chosen by the service: which one is not specified).
#
# **What a successful registration leaves behind**, by the time the request has returned in a
# test:
#
# - **A welcome mail.** The app's outbox, `app.state.mailer` (with `TestClient`:
#   `client.app.state.mailer`), keeps every message it sends in the list `.sent`; each message has
#   `.to`, `.subject` and `.body`. Exactly one message goes to the new user's email address.
#   **Not specified:** the subject and body wording, and whether other mail (to staff, say) goes
#   out as well.
# - **An audit event.** The audit log, `GET /forge/admin/audit` (administrators only), lists
#   events as JSON objects with at least `action`, `user_id` and `trace_id`. Exactly one event with
#   `action` `"user.registered"` is written, whose `user_id` is the new user's id and whose
#   `trace_id` is the `X-Trace-ID` of the registration's response (whether the client sent it or
#   the service generated it). **Not specified:** the order of the events, other fields, and
#   events with other actions (the log may record other things, logins for example).
#
# **A rejected registration** (`409` or `422`) sends no mail and writes no `"user.registered"`
# event.
#
# **Getting at the audit log.** Either create the app with
# `create_app(Settings(admin_password="..."))` (from `forge.config`): the lifespan then creates
# an administrator named `forgemaster`, who logs in at `POST /token` with form fields `username`
# and `password` and gets a bearer token. Or override `forge.dependencies.require_admin` on your
# test's own app.
#
# ## What to do
#
# Cover each promise with at least one test. Create the app with `create_app()` and talk to it
# through `TestClient`, in a fixture. Put **everything** your tests need (imports, fixtures,
# helpers) in the one cell below that starts with `%%ipytest`: the grader runs that cell on its
# own, away from the rest of this notebook. Running the cell runs your tests on the real app.
#
# Forge hashes every password it stores or checks (on purpose, that is slow), so a registration
# costs tens of milliseconds: register only when the test is about registering.

# %% nbgrader={"grade": false, "grade_id": "setup", "locked": true, "schema_version": 3, "solution": false, "task": false}
from graders.notebook import check, setup

setup(raise_on_error=False, exercise="ex08_integration")

# %% nbgrader={"grade": false, "grade_id": "suite", "locked": false, "schema_version": 3, "solution": true, "task": false}
# %%ipytest
import pytest
from fastapi.testclient import TestClient

from forge.main import create_app

### BEGIN SOLUTION
import re

from forge.dependencies import require_admin

# What the specification promises about a trace id, and nothing more: its length and alphabet.
TRACE_ID = re.compile(r"^[A-Za-z0-9-]{8,64}$")


@pytest.fixture
def client():
    # A fresh app per test: its own in-memory database and its own outbox.
    app = create_app()
    # The audit log is for administrators. This override lives on this test's own app, so it
    # cannot leak into another test.
    app.dependency_overrides[require_admin] = lambda: None
    with TestClient(app) as client:
        yield client


def register(client, username="ada", email="ada@example.com", trace_id=None):
    headers = {"X-Trace-ID": trace_id} if trace_id else {}
    body = {"username": username, "email": email, "password": "correct-horse"}
    return client.post("/forge/users", json=body, headers=headers)


def registrations(client):
    """The user.registered events in the audit log."""
    response = client.get("/forge/admin/audit")
    assert response.status_code == 200
    return [event for event in response.json() if event["action"] == "user.registered"]


def mail_to(client, address):
    return [message for message in client.app.state.mailer.sent if message.to == address]


def test_every_response_gets_its_own_generated_trace_id(client):
    responses = {
        200: client.get("/forge/health"),
        404: client.get("/forge/items/424242"),
        401: client.get("/forge/users/me"),
        422: client.post("/forge/users", json={"username": "x"}),
    }
    for status, response in responses.items():
        assert response.status_code == status
        assert TRACE_ID.match(response.headers.get("X-Trace-ID", "")), f"no valid trace id on the {status}"
    assert len({r.headers["X-Trace-ID"] for r in responses.values()}) == len(responses)


def test_a_valid_incoming_trace_id_is_echoed_on_success_and_error(client):
    for path, status in [("/forge/health", 200), ("/forge/items/424242", 404)]:
        response = client.get(path, headers={"X-Trace-ID": "checkout-7f3a-0001"})
        assert response.status_code == status
        assert response.headers.get("X-Trace-ID") == "checkout-7f3a-0001"


def test_registration_sends_one_welcome_mail_to_the_new_address(client):
    assert register(client).status_code == 201
    assert len(mail_to(client, "ada@example.com")) == 1


def test_registration_is_audited_with_the_user_and_the_generated_trace_id(client):
    response = register(client)
    assert response.status_code == 201
    assert [(e["user_id"], e["trace_id"]) for e in registrations(client)] == [
        (response.json()["id"], response.headers["X-Trace-ID"])]


def test_registration_audit_keeps_an_incoming_trace_id(client):
    assert register(client, trace_id="signup-flow-1234").status_code == 201
    assert [e["trace_id"] for e in registrations(client)] == ["signup-flow-1234"]


def test_a_duplicate_registration_is_409_with_no_side_effects(client):
    first = register(client)
    assert first.status_code == 201
    same_name = register(client, email="someone.else@example.com", trace_id="retry-0000-0042")
    same_email = register(client, username="grace")
    assert (same_name.status_code, same_email.status_code) == (409, 409)
    assert same_name.headers.get("X-Trace-ID") == "retry-0000-0042"
    assert mail_to(client, "someone.else@example.com") == []
    assert len(mail_to(client, "ada@example.com")) == 1
    assert [e["user_id"] for e in registrations(client)] == [first.json()["id"]]


def test_an_invalid_registration_is_422_with_no_side_effects(client):
    for body in [
        {"username": "ada", "email": "ada@example.com", "password": "short"},
        {"username": "Not Valid!", "email": "ada@example.com", "password": "correct-horse"},
        {"username": "ada", "email": "not-an-address", "password": "correct-horse"},
    ]:
        assert client.post("/forge/users", json=body).status_code == 422
    assert client.app.state.mailer.sent == []
    assert registrations(client) == []
### END SOLUTION

# %% [markdown] nbgrader={"grade": false, "grade_id": "feedback-help", "locked": true, "schema_version": 3, "solution": false, "task": false}
# ## Check your suite
#
# Run the next cell after you have run your `%%ipytest` cell. It grades the suite you ran last and
# shows how many planted defects it catches (`●` caught, `○` missed, each defect has an anonymous
# number), which of your tests are invalid and why, and which test catches which defect. It takes a
# few seconds: your suite runs once against every version of the service.

# %% nbgrader={"grade": false, "grade_id": "feedback", "locked": true, "schema_version": 3, "solution": false, "task": false}
check("ex08_integration")

# %% [markdown] nbgrader={"grade": false, "grade_id": "hints-help", "locked": true, "schema_version": 3, "solution": false, "task": false}
# ## Stuck?
#
# Each missed defect has a ladder of hints, from a gentle nudge to a precise description of the
# behaviour to test. Climb one rung at a time: `check("ex08_integration", hints=1)`, then
# `hints=2`, then `hints=3`.

# %%
check("ex08_integration", hints=1)

# %% [markdown] nbgrader={"grade": false, "grade_id": "autograder-help", "locked": true, "schema_version": 3, "solution": false, "task": false}
# The cell below is the autograder's: when your instructor grades this notebook it awards
# 10 points times the share of planted defects your suite catches (0 while any test is invalid).

# %% nbgrader={"grade": true, "grade_id": "autograder", "locked": true, "points": 10, "schema_version": 3, "solution": false, "task": false}
### BEGIN HIDDEN TESTS
from graders.notebook import score

score("ex08_integration", points=10)
### END HIDDEN TESTS
