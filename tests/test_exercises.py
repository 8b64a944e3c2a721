"""Exercises as data: every edit must apply exactly once, checked when they load."""
import textwrap

import pytest

from graders.exercises import ExerciseError, all_exercises, load_exercise

MINIMAL = """
id = "{id}"
title = "t"
section = "s"
lesson = "course/x.ipynb"

[[wheat]]
id = "w"
title = "a wheat"
[[wheat.edit]]
file = "config.py"
find = {find!r}
replace = "version: str = \\"9.9.9\\""
"""


def write(tmp_path, find, name="ex99_test"):
    path = tmp_path / f"{name}.toml"
    path.write_text(textwrap.dedent(MINIMAL.format(id="ex99_test", find=find)))
    return path


def test_every_exercise_has_enough_variants_and_hint_ladders():
    exercises = all_exercises()
    assert exercises
    for exercise in exercises.values():
        assert len(exercise.chaffs) >= 5, exercise.id
        assert len(exercise.wheats) >= 2, exercise.id
        for chaff in exercise.chaffs:
            assert len(chaff.hints) >= 2, chaff.id


def test_a_valid_edit_loads_and_patches_the_module(tmp_path):
    exercise = load_exercise(write(tmp_path, 'version: str = "1.4.0"'))
    assert '"9.9.9"' in exercise.wheats[0].sources()["forge.config"]


def test_an_edit_whose_text_is_gone_fails_loudly(tmp_path):
    with pytest.raises(ExerciseError, match="occurs 0 times"):
        load_exercise(write(tmp_path, "text that is not in the file"))


def test_an_edit_whose_text_occurs_twice_fails_loudly(tmp_path):
    with pytest.raises(ExerciseError, match=r"occurs [2-9]\d* times"):
        load_exercise(write(tmp_path, "str"))


def test_the_file_name_must_match_the_id(tmp_path):
    with pytest.raises(ExerciseError, match="must match the file name"):
        load_exercise(write(tmp_path, 'version: str = "1.4.0"', name="other"))


def test_broken_toml_is_reported_with_the_file(tmp_path):
    path = tmp_path / "ex99_test.toml"
    path.write_text("id = ")
    with pytest.raises(ExerciseError, match="ex99_test.toml: not valid TOML"):
        load_exercise(path)


def test_every_stated_freedom_is_varied_by_a_correct_app():
    # A test that pins what the instructions leave free must be invalid: some wheat varies it.
    for exercise in all_exercises().values():
        assert exercise.freedoms, f"{exercise.id} lists no [[freedom]]"
        assert exercise.unvaried() == [], exercise.id


def test_a_wheat_may_vary_only_a_declared_freedom(tmp_path):
    path = write(tmp_path, 'version: str = "1.4.0"')
    path.write_text(path.read_text().replace('title = "a wheat"', 'title = "a wheat"\nvaries = ["versions"]'))
    with pytest.raises(ExerciseError, match="varies \\['versions'\\], which no \\[\\[freedom\\]\\] declares"):
        load_exercise(path)
    path.write_text(path.read_text() + '\n[[freedom]]\nid = "versions"\nstated = "the version"\n')
    assert load_exercise(path).unvaried() == []
