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
# # Exercise 2: what registration does besides answering
#
# Write a pytest suite for the **side effects** of registering on the **forge** service. A
# registration that answers `201` with the right body can still mail the wrong person, mail
# twice, or leave the audit log wrong, and no status code shows it. Your suite is graded the way
# a code reviewer would judge it:
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
# - `POST /forge/users` with a JSON body `{"username": ..., "email": ..., "password": ...}`
#   registers a user and answers `201` with the new user, including its `id`. The username has
#   3 to 30 characters, each a lowercase letter, a digit or `_`; the email has the form
#   `name@domain.tld`; the password has 8 to 128 characters. Any other body is rejected with
#   `422`. A username or an email that is already registered is rejected with `409`.
# - After a successful registration the service sends **exactly one welcome mail**, addressed
#   to the email address that was registered. The body of the mail contains the username.
# - After a successful registration it records **exactly one audit event** with the action
#   `"user.registered"`, the new user's `id`, and the request's trace id: the value of the
#   `X-Trace-ID` header of the response.
# - A registration that is rejected (`409` or `422`) sends **no mail** and records **no
#   `"user.registered"` event**.
#
# ## What you can replace
#
# - The service gets its mailer from the dependency `forge.dependencies.get_mailer`. A mailer
#   is an object with one method, `send(to, subject, body)` (see `forge/mail.py`).
# - It gets its audit log from the dependency `forge.dependencies.get_audit_log`. An audit log
#   is an object with one method, `record(action, user_id, trace_id)` (see `forge/audit.py`).
#
# ## What is left free
#
# - Whether the service passes those arguments **by position or by keyword**.
# - **When** it sends the mail and records the event: during the request, or in a background
#   task after the response (`TestClient` returns only once background tasks have finished).
#   Their **order** is free too.
# - The mail's **subject** and the **wording** of its body (apart from containing the username).
# - **Other audit actions**: the service may record events with other actions, on any request,
#   successful or not. Only `"user.registered"` events are specified.
# - Which **ids** users get, and **extra fields** in the response body.
#
# ## What to do
#
# Cover each promise with at least one test. Build the app with `create_app()`, replace the
# mailer and the audit log with **fakes that record their calls**, and talk to the app through
# `TestClient`, all set up in fixtures that **remove the overrides afterwards**. Put
# **everything** your tests need (imports, fake classes, fixtures, helpers) in the one cell below
# that starts with `%%ipytest`: the grader runs that cell on its own, away from the rest of this
# notebook. Running the cell runs your tests on the real app.
#
# Passwords are hashed on purpose slowly, so each successful registration takes a noticeable
# fraction of a second: register only the users a test needs.

# %% nbgrader={"grade": false, "grade_id": "setup", "locked": true, "schema_version": 3, "solution": false, "task": false}
from graders.notebook import check, setup

setup(raise_on_error=False, exercise="ex02_overrides")

# %% nbgrader={"grade": false, "grade_id": "suite", "locked": false, "schema_version": 3, "solution": true, "task": false}
# %%ipytest
import pytest
from fastapi.testclient import TestClient

from forge.dependencies import get_audit_log, get_mailer
from forge.main import create_app

### BEGIN SOLUTION
class FakeMailer:
    """Records every mail instead of sending it. Same method and arguments as a real mailer."""

    def __init__(self):
        self.sent = []

    def send(self, to, subject, body):
        self.sent.append({"to": to, "subject": subject, "body": body})


class FakeAuditLog:
    """Records every event instead of writing it."""

    def __init__(self):
        self.events = []

    def record(self, action, user_id, trace_id):
        self.events.append({"action": action, "user_id": user_id, "trace_id": trace_id})

    def registered(self):
        return [event for event in self.events if event["action"] == "user.registered"]


@pytest.fixture
def mailer():
    return FakeMailer()


@pytest.fixture
def audit():
    return FakeAuditLog()


@pytest.fixture
def client(mailer, audit):
    app = create_app()  # an app of its own: nothing this test does can reach another test
    app.dependency_overrides[get_mailer] = lambda: mailer      # the very objects the test holds
    app.dependency_overrides[get_audit_log] = lambda: audit
    with TestClient(app) as client:
        yield client
    app.dependency_overrides.clear()  # teardown: runs even when the test failed


# The username is not part of the address, so a mail sent to the username is told apart.
ADA = {"username": "ada_l", "email": "countess@example.com", "password": "analytical-engine"}


def register(client, **changes):
    return client.post("/forge/users", json={**ADA, **changes})


def test_registration_sends_one_welcome_mail_to_the_registered_address(client, mailer):
    assert register(client).status_code == 201
    assert len(mailer.sent) == 1
    [mail] = mailer.sent
    assert mail["to"] == ADA["email"]
    assert ADA["username"] in mail["body"]


def test_registration_records_one_event_for_the_new_user_and_request(client, audit):
    response = register(client)
    assert response.status_code == 201
    assert len(audit.registered()) == 1
    [event] = audit.registered()
    assert event["user_id"] == response.json()["id"]
    assert event["trace_id"] == response.headers["X-Trace-ID"]


@pytest.mark.parametrize("clash", [{"email": "someone@example.com"}, {"username": "someone"}],
                         ids=["same-username", "same-email"])
def test_a_duplicate_is_409_and_mails_and_records_nothing(client, mailer, audit, clash):
    assert register(client).status_code == 201
    # The fakes are wired in: the first registration reached both of them.
    assert (len(mailer.sent), len(audit.registered())) == (1, 1)
    assert register(client, **clash).status_code == 409
    assert len(mailer.sent) == 1
    assert len(audit.registered()) == 1


@pytest.mark.parametrize("changes", [
    {"password": "short"},
    {"email": "not-an-address"},
    {"username": "Ada Lovelace"},
    {"username": "ab"},
], ids=["short-password", "bad-email", "bad-username", "short-username"])
def test_an_invalid_registration_is_422_and_mails_and_records_nothing(client, mailer, audit, changes):
    assert register(client, **changes).status_code == 422
    assert mailer.sent == []
    assert audit.registered() == []
### END SOLUTION

# %% [markdown] nbgrader={"grade": false, "grade_id": "feedback-help", "locked": true, "schema_version": 3, "solution": false, "task": false}
# ## Check your suite
#
# Run the next cell after you have run your `%%ipytest` cell. It grades the suite you ran last and
# shows how many planted defects it catches (`●` caught, `○` missed, each defect has an anonymous
# number), which of your tests are invalid and why, and which test catches which defect. It takes a
# few seconds: your suite runs once against every version of the service.

# %% nbgrader={"grade": false, "grade_id": "feedback", "locked": true, "schema_version": 3, "solution": false, "task": false}
check("ex02_overrides")

# %% [markdown] nbgrader={"grade": false, "grade_id": "hints-help", "locked": true, "schema_version": 3, "solution": false, "task": false}
# ## Stuck?
#
# Each missed defect has a ladder of hints, from a gentle nudge to a precise description of the
# behaviour to test. Climb one rung at a time: `check("ex02_overrides", hints=1)`, then `hints=2`,
# then `hints=3`.

# %%
check("ex02_overrides", hints=1)

# %% [markdown] nbgrader={"grade": false, "grade_id": "autograder-help", "locked": true, "schema_version": 3, "solution": false, "task": false}
# The cell below is the autograder's: when your instructor grades this notebook it awards
# 10 points times the share of planted defects your suite catches (0 while any test is invalid).

# %% nbgrader={"grade": true, "grade_id": "autograder", "locked": true, "points": 10, "schema_version": 3, "solution": false, "task": false}
### BEGIN HIDDEN TESTS
from graders.notebook import score

score("ex02_overrides", points=10)
### END HIDDEN TESTS
