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
# # Exercise 7: registration validation, case by case
#
# Write a parametrized pytest suite for the validation of **forge**'s user registration,
# `POST /forge/users`. Your suite is graded the way a code reviewer would judge it:
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
# The body is a JSON object `{"username": ..., "email": ..., "password": ...}`. A valid body
# registers a new user and is answered **201**. The rules:
#
# | field | rule |
# | --- | --- |
# | `username` | a string of **3 to 30** characters, each a lowercase letter `a`-`z`, a digit or `_` |
# | `email` | a string of at most **254** characters that looks like an address (see below) |
# | `password` | a string of **8 to 128** characters, any characters |
#
# A body that breaks a rule is answered **422**, and the list under `"detail"` contains an error
# whose `loc` is `["body", <field>]` and whose `type` is:
#
# | what is wrong with the field | `type` |
# | --- | --- |
# | shorter than its minimum (the empty string included) | `string_too_short` |
# | longer than its maximum | `string_too_long` |
# | a username with any character other than `a`-`z`, `0`-`9`, `_` (a capital letter, a space, a dash, a dot, ...) | `string_pattern_mismatch` |
# | an email without an `@`, with nothing before the `@`, or with a space | `string_pattern_mismatch` |
# | the key is absent from the body | `missing` |
# | `null`, a number, a boolean or a list instead of a string | `string_type` |
#
# Ordinary addresses such as `ada@example.com` are accepted, and so is an otherwise ordinary
# address of exactly 254 characters (`"aaa…a@example.com"`).
#
# **Left free:** the `msg` of an error and any keys besides `type` and `loc` (`input`, `ctx`,
# ...); the order of the errors in the list, and whether a body with several problems reports
# more than the one you are looking for; which *other* email addresses are accepted (for
# instance, whether a domain needs a dot); everything about the 201 answer except its status.
# Registering a username or email that is already taken is a different rule (409), so give every
# body you expect to be accepted its own username and email.
#
# ## What to do
#
# Use `@pytest.mark.parametrize` (with readable ids) to cover each rule: the values just outside
# every limit, the values right at every limit (which must be accepted), each kind of wrong type,
# `null`, and each missing field. Create the app with `create_app()` (from `forge.main`) and talk to
# it through `TestClient`, in a fixture. Put **everything** your tests need (imports, fixtures,
# helpers) in the one cell below that starts with `%%ipytest`: the grader runs that cell on its
# own, away from the rest of this notebook. Running the cell runs your tests on the real app.

# %% nbgrader={"grade": false, "grade_id": "setup", "locked": true, "schema_version": 3, "solution": false, "task": false}
from graders.notebook import check, setup

setup(raise_on_error=False, exercise="ex07_parametrize")

# %% nbgrader={"grade": false, "grade_id": "suite", "locked": false, "schema_version": 3, "solution": true, "task": false}
# %%ipytest
import pytest
from fastapi.testclient import TestClient

from forge.main import create_app

### BEGIN SOLUTION
from itertools import count

_numbers = count(1)


@pytest.fixture(scope="module")
def client():
    # One app for the module: a rejected body stores nothing, and every accepted body has its
    # own username and email.
    with TestClient(create_app()) as client:
        yield client


def body(**fields):
    """A valid registration with a username and email nobody has used, then `fields` on top."""
    n = next(_numbers)
    return {"username": f"smith_{n}", "email": f"smith{n}@example.com", "password": "correct horse",
            **fields}


def error_at(response, field):
    assert response.status_code == 422, response.text
    by_loc = {tuple(problem["loc"]): problem for problem in response.json()["detail"]}
    assert ("body", field) in by_loc, f"no error for {field}: {list(by_loc)}"
    return by_loc[("body", field)]


def email_of_length(length):
    domain = f"{next(_numbers)}@example.com"
    return "a" * (length - len(domain)) + domain


@pytest.mark.parametrize("field, value, error_type", [
    pytest.param("username", "ab", "string_too_short", id="username-2-chars"),
    pytest.param("username", "", "string_too_short", id="username-empty"),
    pytest.param("username", "a" * 31, "string_too_long", id="username-31-chars"),
    pytest.param("username", "Ada_99", "string_pattern_mismatch", id="username-capital"),
    pytest.param("username", "ada smith", "string_pattern_mismatch", id="username-space"),
    pytest.param("username", "ada-smith", "string_pattern_mismatch", id="username-dash"),
    pytest.param("username", "ada.smith", "string_pattern_mismatch", id="username-dot"),
    pytest.param("email", "ada.example.com", "string_pattern_mismatch", id="email-no-at"),
    pytest.param("email", "@example.com", "string_pattern_mismatch", id="email-nothing-before-at"),
    pytest.param("email", "ada lovelace@example.com", "string_pattern_mismatch", id="email-space"),
    pytest.param("email", email_of_length(255), "string_too_long", id="email-255-chars"),
    pytest.param("password", "x" * 7, "string_too_short", id="password-7-chars"),
    pytest.param("password", "x" * 129, "string_too_long", id="password-129-chars"),
])
def test_a_value_breaking_a_rule_is_rejected(client, field, value, error_type):
    response = client.post("/forge/users", json=body(**{field: value}))
    assert error_at(response, field)["type"] == error_type


@pytest.mark.parametrize("value", [None, 12345678, True, ["ada"]], ids=["null", "number", "boolean", "list"])
@pytest.mark.parametrize("field", ["username", "email", "password"])
def test_a_value_that_is_not_a_string_is_rejected(client, field, value):
    response = client.post("/forge/users", json=body(**{field: value}))
    assert error_at(response, field)["type"] == "string_type"


@pytest.mark.parametrize("field", ["username", "email", "password"])
def test_a_missing_field_is_reported(client, field):
    incomplete = body()
    del incomplete[field]
    assert error_at(client.post("/forge/users", json=incomplete), field)["type"] == "missing"


@pytest.mark.parametrize("field, value", [
    pytest.param("username", "abc", id="username-3-chars"),
    pytest.param("username", "z" * 30, id="username-30-chars"),
    pytest.param("username", "a_z_0_9", id="username-every-kind-of-character"),
    pytest.param("email", email_of_length(254), id="email-254-chars"),
    pytest.param("password", "x" * 8, id="password-8-chars"),
    pytest.param("password", "Ünïcode & spaces! " * 7 + "xx", id="password-128-chars"),
])
def test_a_value_at_a_limit_is_accepted(client, field, value):
    assert client.post("/forge/users", json=body(**{field: value})).status_code == 201
### END SOLUTION

# %% [markdown] nbgrader={"grade": false, "grade_id": "feedback-help", "locked": true, "schema_version": 3, "solution": false, "task": false}
# ## Check your suite
#
# Run the next cell after you have run your `%%ipytest` cell. It grades the suite you ran last and
# shows how many planted defects it catches (`●` caught, `○` missed, each defect has an anonymous
# number), which of your tests are invalid and why, and which test catches which defect. It takes a
# few seconds: your suite runs once against every version of the service.

# %% nbgrader={"grade": false, "grade_id": "feedback", "locked": true, "schema_version": 3, "solution": false, "task": false}
check("ex07_parametrize")

# %% [markdown] nbgrader={"grade": false, "grade_id": "hints-help", "locked": true, "schema_version": 3, "solution": false, "task": false}
# ## Stuck?
#
# Each missed defect has a ladder of hints, from a gentle nudge to a precise description of the
# behaviour to test. Climb one rung at a time: `check("ex07_parametrize", hints=1)`, then `hints=2`,
# then `hints=3`.

# %%
check("ex07_parametrize", hints=1)

# %% [markdown] nbgrader={"grade": false, "grade_id": "autograder-help", "locked": true, "schema_version": 3, "solution": false, "task": false}
# The cell below is the autograder's: when your instructor grades this notebook it awards
# 10 points times the share of planted defects your suite catches (0 while any test is invalid).

# %% nbgrader={"grade": true, "grade_id": "autograder", "locked": true, "points": 10, "schema_version": 3, "solution": false, "task": false}
### BEGIN HIDDEN TESTS
from graders.notebook import score

score("ex07_parametrize", points=10)
### END HIDDEN TESTS
