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
# # Lesson 7 · Parametrize the mess out of edge cases
#
# Input validation is where an API meets the ugly world: empty strings, strings one character too
# long, numbers sent as text, `null` where a name should be, keys missing altogether. Each case
# deserves its own test, but not its own copy-pasted test function. `@pytest.mark.parametrize`
# turns one test body into as many tests as you have cases.
#
# The other half of this lesson is *what to assert* about a rejected request. FastAPI validates
# with **Pydantic v2**, and the error messages changed completely from v1: tests written against
# v1's English sentences fail today. The robust approach is to assert the machine-readable parts
# of an error, its `type` and its `loc`, and leave the English alone.
#
# By the end you will be able to:
#
# - write parametrized tests with readable ids, including boundary cases that must be accepted;
# - read a Pydantic v2 validation error (`type`, `loc`, `msg`, `input`, `ctx`) and assert on it;
# - say which inputs Pydantic v2 still converts ("lax mode"), which it rejects, and how
#   `strict=True` changes that;
# - recognise the Pydantic v1 habits in older tests and fix them.
#
# Some cells **fail on purpose**; the text right before each one says so. Sections headed
# *Deep dive* are optional: skip them on a first pass and come back for the depth.

# %%
from graders.notebook import setup, show
setup()

# %% [markdown]
# ## 1. One test body, many cases
#
# `@pytest.mark.parametrize(names, values)` takes a comma-separated list of argument names and a
# list of values, one entry per case (a tuple when there are several names). Pytest generates a
# separate test for each entry: each one passes or fails on its own, is reported on its own, and
# can be rerun on its own.
#
# The function under test here is deliberately tiny, so that all the attention goes to the
# decorator: a slug maker that lowercases a title and joins its words with dashes.

# %%
import re


def slugify(title: str) -> str:
    words = re.findall(r"[a-z0-9]+", title.lower())
    return "-".join(words)


# %%
# %%ipytest -vv --no-header
import pytest


@pytest.mark.parametrize("title, slug", [
    ("Hello World", "hello-world"),
    ("  spaces   everywhere  ", "spaces-everywhere"),
    ("Anvils & Hammers!", "anvils-hammers"),
    ("", ""),
])
def test_slugify(title, slug):
    assert slugify(title) == slug


# %% [markdown]
# Look at the names pytest gave the four tests: `test_slugify[Hello World-hello-world]` and so on.
# By default an id is built from the values, joined with `-`. Strings are used as they are,
# whatever their length; numbers, booleans and `None` are shown by value (`[None-True]`); anything
# else (a dictionary, a list, an object) becomes the argument name plus the case's position
# (`body4`). So the case of two empty strings is called `[-]`, a 300-character string gives a
# 300-character id, and `body4` says nothing. Three ways to choose better ids:
#
# - `ids=[...]`: one id per case, in order;
# - `pytest.param(..., id="...")`: the id next to its case, which is easier to keep in sync, and
#   also the place for marks on a single case (for instance `marks=pytest.mark.xfail(...)` for a
#   known bug);
# - `ids=some_function`: called with each value, returns a string (or `None` for the default).
#
# `--collect-only` lists the tests pytest would run, without running them:

# %% [markdown]
# **Predict, then run.** How many tests will pytest collect from the four functions in the next
# cell? Count the last one carefully: it has two `parametrize` decorators. Then run the cell.

# %%
# %%ipytest --collect-only
@pytest.mark.parametrize("text", ["x" * 300, {"name": "anvil"}, None],
                         ids=["300-chars", "a-dict", "none"])
def test_ids_from_a_list(text):
    pass


@pytest.mark.parametrize("text", [
    pytest.param("x" * 300, id="300-chars"),
    pytest.param("", id="empty", marks=pytest.mark.xfail(reason="not decided yet")),
])
def test_ids_next_to_their_cases(text):
    pass


@pytest.mark.parametrize("length", [0, 1, 100, 101], ids=lambda n: f"len-{n}")
def test_ids_from_a_function(length):
    pass


@pytest.mark.parametrize("price", [0, -1], ids=["zero", "negative"])
@pytest.mark.parametrize("name", ["", "x" * 101], ids=["empty-name", "long-name"])
def test_stacked_decorators_multiply(name, price):
    pass


# %% [markdown]
# Stacked `parametrize` decorators combine every case of one with every case of the other: 2 × 2
# = 4 tests. Use that when the dimensions really are independent; otherwise list the
# combinations you mean.
#
# ## 2. What a validation error looks like in Pydantic v2
#
# When a request body breaks the rules of its Pydantic model, FastAPI answers **422** with a
# body `{"detail": [...]}`: one item per problem. Each item is a dictionary with:
#
# | key | what it is | stable? |
# | --- | --- | --- |
# | `type` | a short machine-readable error code: `string_too_short`, `missing`, ... | yes: part of Pydantic's documented API |
# | `loc` | where the problem is: `["body", "username"]` for a field of the JSON body | yes: follows from your model |
# | `msg` | an English sentence for people | no: reworded between Pydantic versions |
# | `input` | the value that was rejected (the whole body when a key is missing) | yes, but it echoes what the client sent |
# | `ctx` | the constraint's parameters, e.g. `{"min_length": 3}`, when there are any | yes |
#
# Pydantic's own `ValidationError.errors()` also includes a `url` to the documentation of the
# error type; FastAPI leaves that key out of its 422 responses.
#
# Forge's registration body is a good example, because every field has constraints. Here is the
# model, and the errors Pydantic reports for a body that gets everything wrong:

# %%
import forge.schemas
from pydantic import ValidationError

from forge.schemas import UserCreate

show(forge.schemas.UserCreate)

try:
    UserCreate.model_validate({"username": "Al", "password": 12345678})
except ValidationError as error:
    for problem in error.errors():
        print(problem)

# %% [markdown]
# Notice a few things:
#
# - each field reports **one** problem: `"Al"` is both too short and (with its capital letter)
#   off-pattern, but length is checked first and the field stops there;
# - a missing key has type `missing` and its `input` is the whole object;
# - `12345678` for the password is an error of *type*, not of length: `string_type` (more on this
#   in section 5).
#
# The same errors come back over HTTP, with `loc` starting at `"body"`. Forge's item model is
# simpler, so it is the one used in the examples from here on:

# %%
from fastapi.testclient import TestClient

from forge.main import create_app

show(forge.schemas.ItemIn)

with TestClient(create_app()) as forge_client:
    response = forge_client.post("/forge/items", json={"name": "", "price": 0})
print(response.status_code)
for problem in response.json()["detail"]:
    print(problem)

# %% [markdown]
# ## 3. An old test on a new Pydantic
#
# The article's parametrized example posts users to an app whose model has a `username` of at
# most 100 characters and an `email`, and it expects three rejections, each identified by a
# phrase that should appear somewhere in the response. The app and the test below reproduce those
# cases and expectations. **This cell fails on purpose**: all three cases fail on Pydantic 2.

# %%
from fastapi import FastAPI, status
from pydantic import BaseModel, Field


class SignUp(BaseModel):
    username: str = Field(max_length=100)
    email: str


signups = FastAPI()


@signups.post("/users", status_code=status.HTTP_201_CREATED)
def sign_up(user: SignUp) -> SignUp:
    return user


# %% tags=["raises-exception"]
# %%ipytest --tb=line
@pytest.fixture
def signup_client():
    with TestClient(signups) as client:
        yield client


@pytest.mark.parametrize("username, expected_status, expected_phrase", [
    ("", 422, "field required"),
    ("a" * 101, 422, "ensure this value has at most 100 characters"),
    (None, 422, "none is not an allowed value"),
], ids=["empty", "too-long", "none"])
def test_article_style(signup_client, username, expected_status, expected_phrase):
    response = signup_client.post("/users", json={"username": username, "email": "ada@example.com"})
    assert response.status_code == expected_status
    assert expected_phrase in str(response.json())


# %% [markdown]
# Three different reasons:
#
# - **`""` is accepted** (`assert 201 == 422`). An empty string is a perfectly valid `str`. Only a
#   constraint, `min_length=1` here, rejects it. And "field required" was never the right
#   expectation for it: that error (today spelled `Field required`, with a capital F, type
#   `missing`) is reported only when the key is *absent* from the body.
# - **"ensure this value has at most 100 characters"** is Pydantic v1's sentence. v2 says
#   `String should have at most 100 characters`, type `string_too_long`, with
#   `ctx = {"max_length": 100}`.
# - **"none is not an allowed value"** is also v1. v2 rejects `None` for a `str` field with type
#   `string_type`: `Input should be a valid string`.
#
# Here is what the app really answers:

# %%
for body in ({"username": "", "email": "ada@example.com"},
             {"username": "a" * 101, "email": "ada@example.com"},
             {"username": None, "email": "ada@example.com"},
             {"email": "ada@example.com"}):
    response = TestClient(signups).post("/users", json=body)
    problems = [{k: p[k] for k in ("type", "loc", "msg")} for p in response.json()["detail"]] \
        if response.status_code == 422 else response.json()
    print(response.status_code, problems)

# %% [markdown]
# ### Deep dive: dead code and a failing "expected output"
#
# *Optional: two more flaws in the article's snippet; skip it on a first pass.*
#
# The article's snippet also defines a list of invalid users that no test uses, with a bare `None`
# as its last entry, and its printed "output" is a `FAILED` line. Neither belongs in a suite. The
# unused list is dead code that readers will try to keep in sync; and had it been passed to
# `parametrize`, the `None` entry would have stopped the whole module at collection time, because
# each case of a four-name parametrization must be a sequence of four values. **This cell fails
# on purpose**, with a collection error:

# %% tags=["raises-exception"]
# %%ipytest --tb=line
leftover_cases = [
    ("", "ada@example.com", 422, "field required"),
    None,
]


@pytest.mark.parametrize("username, email, expected_status, expected_phrase", leftover_cases)
def test_with_the_leftover_list(username, email, expected_status, expected_phrase):
    pass


# %% [markdown]
# ## 4. The robust form: assert on `type` and `loc`
#
# Rewrite the cases in terms of what is stable. For every rejected body, the test states the
# status, the **type** of error and the **location** it applies to. Where several problems could
# be reported, look the error up by its location instead of assuming it is the first in the list:
# the order of errors follows the order of the fields in the model, which is nobody's promise.
#
# The suite below tests forge's item creation this way. Two details are worth copying:
#
# - the client fixture is **module-scoped**: one started app serves all the cases. That is safe
#   here because a rejected request stores nothing, and it keeps a long parametrized list fast.
#   (Accepted items do get stored, but no test here depends on the count of items.)
# - the **accepted** boundary values are parametrized too. A constraint has two sides; a suite that
#   only sends invalid values can't tell `max_length=100` from `max_length=99`.

# %%
# %%ipytest
@pytest.fixture(scope="module")
def items_client():
    with TestClient(create_app()) as client:
        yield client


def error_at(response, loc):
    """The validation error reported for `loc` (fails if there is none)."""
    assert response.status_code == 422, response.text
    by_loc = {tuple(problem["loc"]): problem for problem in response.json()["detail"]}
    assert tuple(loc) in by_loc, f"no error at {loc}: {list(by_loc)}"
    return by_loc[tuple(loc)]


@pytest.mark.parametrize("body, error_type, field", [
    pytest.param({"name": "", "price": 1}, "string_too_short", "name", id="empty-name"),
    pytest.param({"name": "x" * 101, "price": 1}, "string_too_long", "name", id="name-101"),
    pytest.param({"name": None, "price": 1}, "string_type", "name", id="name-null"),
    pytest.param({"name": 42, "price": 1}, "string_type", "name", id="name-number"),
    pytest.param({"price": 1}, "missing", "name", id="name-missing"),
    pytest.param({"name": "rasp", "price": 0}, "greater_than", "price", id="price-zero"),
    pytest.param({"name": "rasp", "price": -0.01}, "greater_than", "price", id="price-negative"),
    pytest.param({"name": "rasp", "price": "cheap"}, "float_parsing", "price", id="price-text"),
    pytest.param({"name": "rasp", "price": None}, "float_type", "price", id="price-null"),
])
def test_invalid_item_is_rejected_with_type_and_loc(items_client, body, error_type, field):
    problem = error_at(items_client.post("/forge/items", json=body), ["body", field])
    assert problem["type"] == error_type


@pytest.mark.parametrize("body", [
    pytest.param({"name": "x", "price": 0.01}, id="shortest-name-smallest-price"),
    pytest.param({"name": "x" * 100, "price": 1e6}, id="longest-name"),
])
def test_boundary_item_is_accepted(items_client, body):
    assert items_client.post("/forge/items", json=body).status_code == 201


# %% [markdown]
# `ctx` is stable too, so a test may check the limit itself: `problem["ctx"] == {"max_length":
# 100}`. What to avoid is comparing `msg`, or a whole error dictionary, with a literal: it ties the
# test to one Pydantic release, and `input` may differ from what you expect (for a missing key it
# is the whole body).
#
# ## 5. What Pydantic v2 still converts: lax mode and strict mode
#
# The article warns that "Pydantic models silently coerce types". That was true of v1, which
# happily turned `123` into `"123"` for a `str` field. Version 2 validates in **lax mode** by
# default: it still accepts a few inputs that unambiguously represent the right value, and
# rejects everything else. **Strict mode** (`strict=True` on a field, or
# `model_config = ConfigDict(strict=True)` on a model) turns the conversions off.

# %% [markdown]
# **Predict, then run.** Before you run the next cell, decide what the default lax mode does with
# three of its inputs: `"42"` for `count`, `4.5` for `count`, and `123` for `name`. Accepted (and
# as what), or rejected?

# %%
from pydantic import ConfigDict


class Lax(BaseModel):
    count: int
    price: float
    name: str
    active: bool


class Strict(Lax):
    model_config = ConfigDict(strict=True)


def outcome(model, field, value):
    valid = {"count": 1, "price": 1.0, "name": "anvil", "active": True}
    try:
        return repr(getattr(model.model_validate({**valid, field: value}), field))
    except ValidationError as error:
        return "rejected: " + error.errors()[0]["type"]


print(f"{'field':7} {'input':9} {'lax (default)':24} strict")
for field, value in [("count", "42"), ("count", 42.0), ("count", 4.5), ("count", True),
                     ("price", "9.5"), ("price", 3), ("name", 123), ("name", None),
                     ("active", "yes"), ("active", 1), ("active", 2)]:
    print(f"{field:7} {value!r:9} {outcome(Lax, field, value):24} {outcome(Strict, field, value)}")

# %% [markdown]
# So, in the default lax mode:
#
# - **accepted**: numeric strings for numbers (`"42"`, `"9.5"`), whole floats for ints (`42.0`),
#   `True`/`False` for ints, common spellings for booleans (`"yes"`, `1`);
# - **rejected**: a number where a string is expected (`string_type`), `None` for a non-optional
#   field, a fractional float for an int (`int_from_float`), text that is not a number.
#
# Strict mode rejects every conversion, with the plain type error (`int_type`, `float_type`,
# `bool_type`); an int for a float is still fine, since no information is lost.
#
# Two consequences for your tests. First, a test that sends `123` for a string field and expects
# 422 is a good test on v2: it fails on a model that was configured to convert numbers
# (`ConfigDict(coerce_numbers_to_str=True)` brings v1's behaviour back). Second, a test that sends
# `"9.5"` for a float field and expects 422 is wrong unless the field is strict. Forge's item price
# is lax:

# %%
# %%ipytest
def test_a_numeric_string_price_is_converted(items_client):
    response = items_client.post("/forge/items", json={"name": "file", "price": "9.5"})
    assert response.status_code == 201
    assert response.json()["price"] == 9.5


def test_a_number_is_not_a_name(items_client):
    problem = error_at(items_client.post("/forge/items", json={"name": 7, "price": 1}), ["body", "name"])
    assert problem["type"] == "string_type"


# %% [markdown]
# ## 6. Where validation bugs hide, and the case that exposes each
#
# A parametrized list is only as good as its cases. Each slip below is a one-line difference in a
# model that a "typical invalid value" does not notice; next to it, the case that does:
#
# | slip in the model | what goes wrong | the case that exposes it |
# | --- | --- | --- |
# | `max_length=31` instead of 30, `min_length=2` instead of 3 | an off-by-one at a limit | the first value past the limit (31 chars, 2 chars) *and* the last value inside it |
# | a pattern without `^` and `$` | Pydantic *searches* the pattern in the value, so any value containing one allowed character passes | values that mix allowed and forbidden characters: `"ada smith"`, `"ada-smith"` |
# | `[a-zA-Z]` where only lowercase is allowed | capitals slip through | a value with a capital letter |
# | `str \| None` for a required field | `null` passes validation, and fails later (a database constraint: a 500) | `null` for the field |
# | a `@model_validator` instead of a field constraint | the 422 still comes, but at `loc ["body"]` with type `value_error` | asserting `type` and `loc`, not just 422 |
# | `ConfigDict(coerce_numbers_to_str=True)` | v1-style conversion: `12345678` becomes `"12345678"` | a number for a string field |
#
# Here are four of them on a small model of tags (2 to 12 lowercase letters):

# %%
from pydantic import model_validator


class Tag(BaseModel):
    label: str = Field(min_length=2, max_length=12, pattern=r"^[a-z]+$")


class UnanchoredTag(BaseModel):
    label: str = Field(min_length=2, max_length=12, pattern=r"[a-z]+")


class NullableTag(BaseModel):
    label: str | None = Field(min_length=2, max_length=12, pattern=r"^[a-z]+$")


class ValidatorTag(BaseModel):
    label: str = Field(max_length=12, pattern=r"^[a-z]+$")

    @model_validator(mode="after")
    def long_enough(self):
        if len(self.label) < 2:
            raise ValueError("a tag needs at least 2 letters")
        return self


def verdict(model, value):
    try:
        model(label=value)
        return "accepted"
    except ValidationError as error:
        problem = error.errors()[0]
        return f"{problem['type']} at {problem['loc']}"


for value in ["iron", "cast iron", "x", None]:
    print(f"{value!r:12}", " | ".join(f"{model.__name__}: {verdict(model, value)}"
                                      for model in (Tag, UnanchoredTag, NullableTag, ValidatorTag)))

# %% [markdown]
# Only the right case tells the correct model from each broken one: `"cast iron"` for the
# unanchored pattern, `None` for the nullable field, and the *type and location* of the error for
# `"x"` with the model validator (a test that only checks for 422 passes there).
#
# ## What the article gets wrong
#
# Checked on Pydantic 2.14 and FastAPI 0.165:
#
# - **The `// io.thecodeforge — python tutorial` first line** is not Python: a test module that
#   starts with it fails to collect with a `SyntaxError`. Make it a `#` comment or drop it.
# - **An empty username is "field required"**: `""` is a valid `str` and is accepted (201) unless
#   the field has `min_length`. `Field required` (type `missing`) means the key is absent.
# - **"ensure this value has at most 100 characters"** and **"none is not an allowed value"**
#   are Pydantic v1 messages. In v2 the types are `string_too_long` and `string_type`, and the
#   messages are different sentences.
# - **The unused `invalid_users` list** is dead code (its `None` entry would break collection if
#   it were used: section 3's deep dive); the "Output" shown is a failing test.
# - **"Pydantic models silently coerce types"**: v2 converts only a few unambiguous inputs, such
#   as `"42"` for an int, and rejects `123` and `None` for a `str`. `strict=True` turns the
#   remaining conversions off.
# - **The error shape `[{"loc", "msg", "type"}]`**: v2 items are
#   `{"type", "loc", "msg", "input"}` plus `"ctx"` for constrained fields. Don't compare whole
#   dictionaries; assert on `type` and `loc`.
#
# ## Summary
#
# - `@pytest.mark.parametrize` runs one test body per case; give cases readable ids with `ids=`,
#   `pytest.param(..., id=...)` or an id function. Stacked decorators multiply.
# - Test both sides of every constraint: the first invalid value gets 422, the last valid value
#   is accepted.
# - Assert on an error's `type` and `loc` (and `ctx` if you like), never on `msg`. Find the error
#   by its `loc` instead of by its position in the list.
# - Pydantic v2 lax mode converts numeric strings to numbers and rejects numbers, `None` and
#   other types for strings; `strict=True` disables the conversions.
# - `""` passes a plain `str`; `None` does not; a missing key is `missing`.

# %% [markdown]
# ## Your turn: exercise 7
#
# Open **`exercises/ex07_parametrize/ex07_parametrize.ipynb`**. You will write parametrized tests
# for forge's user registration, `POST /forge/users`: every constraint of the username, the email
# and the password, missing fields, wrong types and `null`s, each rejected with the right error
# type at the right location, and the boundary values that must still be accepted.
