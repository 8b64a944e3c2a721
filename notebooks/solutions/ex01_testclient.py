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
# # Exercise 1: the catalogue through TestClient
#
# Write a pytest suite for the catalogue of the **forge** service. Your suite is graded the way a
# code reviewer would judge it:
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
# - `GET /forge/health` answers `200` with a JSON object whose `status` is `"ok"` and whose
#   `version` is a string.
# - When the service **starts up**, it loads a starter catalogue of three items named `anvil`,
#   `hammer` and `tongs`.
# - `GET /forge/items` answers `200` with a list of every item in the catalogue, each an object
#   with an `id`, a `name` and a `price`. The order of the list is not specified.
# - `GET /forge/items/{id}` answers `200` with that item, or `404` with a JSON object that has a
#   `detail` when no item has that id. The wording of `detail` is not specified.
# - `POST /forge/items` with a JSON body `{"name": ..., "price": ...}` stores a new item and answers
#   `201` with it, including its new `id`. From then on the item is returned by the other two
#   endpoints. The `name` must be 1 to 100 characters long and the `price` a number greater
#   than 0; any other body is rejected with `422` and nothing is stored.
# - Ids are whole numbers chosen by the service: which numbers it chooses is not specified.
#   Items may carry more fields than the ones named here.
#
# ## What to do
#
# Cover each promise with at least one test. Create the app with `create_app()` and talk to it
# through `TestClient`, in a fixture. Put **everything** your tests need (imports, fixtures,
# helpers) in the one cell below that starts with `%%ipytest`: the grader runs that cell on its
# own, away from the rest of this notebook. Running the cell runs your tests on the real app.

# %% nbgrader={"grade": false, "grade_id": "setup", "locked": true, "schema_version": 3, "solution": false, "task": false}
from graders.notebook import check, setup

setup(raise_on_error=False, exercise="ex01_testclient")

# %% nbgrader={"grade": false, "grade_id": "suite", "locked": false, "schema_version": 3, "solution": true, "task": false}
# %%ipytest
import pytest
from fastapi.testclient import TestClient

from forge.main import create_app

### BEGIN SOLUTION
@pytest.fixture
def client():
    # `with` runs the lifespan: without it there is no catalogue and no database.
    with TestClient(create_app()) as client:
        yield client


def item_named(client, name):
    return next(item for item in client.get("/forge/items").json() if item["name"] == name)


def test_health_reports_ok_and_a_version(client):
    response = client.get("/forge/health")
    assert response.status_code == 200
    assert response.json()["status"] == "ok"
    assert isinstance(response.json()["version"], str)


def test_starter_catalogue_is_loaded_at_startup(client):
    response = client.get("/forge/items")
    assert response.status_code == 200
    assert sorted(item["name"] for item in response.json()) == ["anvil", "hammer", "tongs"]


def test_an_item_can_be_fetched_by_its_id(client):
    anvil = item_named(client, "anvil")
    response = client.get(f"/forge/items/{anvil['id']}")
    assert response.status_code == 200
    assert response.json()["name"] == "anvil"
    assert response.json()["price"] == anvil["price"]


def test_an_unknown_id_is_404_with_a_detail(client):
    ids = [item["id"] for item in client.get("/forge/items").json()]
    response = client.get(f"/forge/items/{max(ids) + 1000}")
    assert response.status_code == 404
    assert "detail" in response.json()


def test_a_created_item_is_stored(client):
    response = client.post("/forge/items", json={"name": "chisel", "price": 9.5})
    assert response.status_code == 201
    created = response.json()
    assert (created["name"], created["price"]) == ("chisel", 9.5)

    fetched = client.get(f"/forge/items/{created['id']}")
    assert fetched.status_code == 200
    assert (fetched.json()["name"], fetched.json()["price"]) == ("chisel", 9.5)
    assert created["id"] in [item["id"] for item in client.get("/forge/items").json()]


@pytest.mark.parametrize(
    "body",
    [
        {"name": "", "price": 9.5},
        {"name": "x" * 101, "price": 9.5},
        {"name": "chisel", "price": 0},
        {"name": "chisel", "price": -1},
        {"name": "chisel"},
        {"price": 9.5},
    ],
    ids=["empty-name", "long-name", "zero-price", "negative-price", "no-price", "no-name"],
)
def test_an_invalid_item_is_rejected_and_not_stored(client, body):
    assert client.post("/forge/items", json=body).status_code == 422
    assert len(client.get("/forge/items").json()) == 3


def test_a_name_of_100_characters_is_accepted(client):
    assert client.post("/forge/items", json={"name": "x" * 100, "price": 0.01}).status_code == 201
### END SOLUTION

# %% [markdown] nbgrader={"grade": false, "grade_id": "feedback-help", "locked": true, "schema_version": 3, "solution": false, "task": false}
# ## Check your suite
#
# Run the next cell after you have run your `%%ipytest` cell. It grades the suite you ran last and
# shows how many planted defects it catches (`●` caught, `○` missed, each defect has an anonymous
# number), which of your tests are invalid and why, and which test catches which defect. It takes a
# few seconds: your suite runs once against every version of the service.

# %% nbgrader={"grade": false, "grade_id": "feedback", "locked": true, "schema_version": 3, "solution": false, "task": false}
check("ex01_testclient")

# %% [markdown] nbgrader={"grade": false, "grade_id": "hints-help", "locked": true, "schema_version": 3, "solution": false, "task": false}
# ## Stuck?
#
# Each missed defect has a ladder of hints, from a gentle nudge to a precise description of the
# behaviour to test. Climb one rung at a time: `check("ex01_testclient", hints=1)`, then `hints=2`,
# then `hints=3`.

# %%
check("ex01_testclient", hints=1)

# %% [markdown] nbgrader={"grade": false, "grade_id": "autograder-help", "locked": true, "schema_version": 3, "solution": false, "task": false}
# The cell below is the autograder's: when your instructor grades this notebook it awards
# 10 points times the share of planted defects your suite catches (0 while any test is invalid).

# %% nbgrader={"grade": true, "grade_id": "autograder", "locked": true, "points": 10, "schema_version": 3, "solution": false, "task": false}
### BEGIN HIDDEN TESTS
from graders.notebook import score

score("ex01_testclient", points=10)
### END HIDDEN TESTS
