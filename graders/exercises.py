"""Exercises and their app variants, loaded from the TOML files in graders/exercises/.

A variant is the real app plus exact find/replace edits on its source. Wheats are correct
apps that differ where the specification leaves freedom; chaffs carry one planted defect.
Each freedom the learner's instructions state is listed as data (`[[freedom]]`: an id and the
words of the instructions), and each wheat names the freedoms it `varies`: a freedom that no
wheat varies lets a test that pins it stay valid, and `graders verify` reports it.
Every edit must match its file exactly once, checked at load time, so that a change to the
app breaks a stale defect loudly instead of silently grading against the wrong code.

An instructor may keep more wheats and chaffs outside the learners' copy: files named
EXERCISE_ID.toml, with `[[wheat]]` and `[[chaff]]` entries in the same format, in the
directory named by the environment variable GRADERS_PRIVATE_DIR or by
`c.Graders.private_dir = "..."` in the course's nbgrader_config.py. They grade like the others
and are shown to learners only by their number.
"""
from __future__ import annotations

import ast
import os
import tomllib
from dataclasses import dataclass, field, replace
from functools import cache
from pathlib import Path

APP_PACKAGE = "forge"
APP_DIR = Path(__file__).resolve().parent.parent / APP_PACKAGE
EXERCISES_DIR = Path(__file__).resolve().parent / "exercises"
NBGRADER_CONFIG = APP_DIR.parent / "nbgrader_config.py"
REFERENCE = "reference"  # the id of the real, unedited app


class ExerciseError(ValueError):
    """An exercise file that cannot be used: its message says which and why."""


@dataclass(frozen=True)
class Edit:
    file: str  # relative to the app package, e.g. "routers/items.py"
    find: str
    replace: str


@dataclass(frozen=True)
class Variant:
    id: str
    kind: str  # "reference", "wheat" or "chaff"
    title: str
    edits: tuple[Edit, ...] = ()
    hints: tuple[str, ...] = ()
    weight: float = 1.0
    private: bool = False  # kept by the instructor outside the learners' copy
    varies: tuple[str, ...] = ()  # a wheat: the stated freedoms it exercises

    def sources(self) -> dict[str, str]:
        """Module name -> patched source, for every module this variant changes."""
        return dict(_patched(self.edits))


@cache
def _patched(edits: tuple[Edit, ...]) -> tuple[tuple[str, str], ...]:
    patched: dict[str, str] = {}
    for edit in edits:
        module = module_name(edit.file)
        text = patched.get(module) or (APP_DIR / edit.file).read_text()
        patched[module] = text.replace(edit.find, edit.replace, 1)
    return tuple(patched.items())


@dataclass(frozen=True)
class Freedom:
    id: str
    stated: str  # what the learner's instructions leave free, in their words


@dataclass(frozen=True)
class Exercise:
    id: str
    title: str
    section: str
    lesson: str
    wheats: tuple[Variant, ...]
    chaffs: tuple[Variant, ...]
    timeout: float = 10.0  # wall-clock seconds one test may take
    hygiene: str = "warn"  # "strict": order dependence and leaked overrides make a test invalid
    freedoms: tuple[Freedom, ...] = ()
    source: Path = field(default=Path(), compare=False)

    def unvaried(self) -> list[Freedom]:
        """Stated freedoms that no correct version of the app exercises."""
        varied = {f for wheat in self.wheats for f in wheat.varies}
        return [f for f in self.freedoms if f.id not in varied]

    @property
    def correct_apps(self) -> tuple[Variant, ...]:
        return (Variant(REFERENCE, "reference", "the real app"), *self.wheats)

    @property
    def variants(self) -> tuple[Variant, ...]:
        """Every version of the app a suite runs against: the correct ones, then the chaffs."""
        return (*self.correct_apps, *self.chaffs)

    def chaff(self, chaff_id: str) -> Variant:
        return next(c for c in self.chaffs if c.id == chaff_id)


def module_name(file: str) -> str:
    parts = Path(file).with_suffix("").parts
    if parts[-1] == "__init__":
        parts = parts[:-1]
    return ".".join((APP_PACKAGE, *parts))


def _variant(raw: dict, kind: str, where: str) -> Variant:
    try:
        edits = tuple(Edit(e["file"], e["find"], e["replace"]) for e in raw["edit"])
        variant = Variant(
            id=raw["id"], kind=kind, title=raw["title"], edits=edits,
            hints=tuple(raw.get("hints", ())), weight=float(raw.get("weight", 1.0)),
            varies=tuple(raw.get("varies", ())),
        )
    except KeyError as missing:
        raise ExerciseError(f"{where}: a {kind} lacks the key {missing}") from None
    if not edits:
        raise ExerciseError(f"{where}: {kind} {variant.id!r} has no edits")
    if kind == "chaff" and not variant.hints:
        raise ExerciseError(f"{where}: chaff {variant.id!r} needs a hint ladder")
    _check_edits(variant, where)
    return variant


def _check_edits(variant: Variant, where: str) -> None:
    texts: dict[str, str] = {}
    for edit in variant.edits:
        path = APP_DIR / edit.file
        if not path.is_file():
            raise ExerciseError(f"{where}: {variant.id!r} edits {edit.file}, which does not exist")
        text = texts.setdefault(edit.file, path.read_text())
        count = text.count(edit.find)
        if count != 1:
            raise ExerciseError(
                f"{where}: {variant.id!r}: the text to find occurs {count} times in "
                f"{APP_PACKAGE}/{edit.file} (it must occur exactly once):\n{edit.find}"
            )
        if edit.find == edit.replace:
            raise ExerciseError(f"{where}: {variant.id!r}: an edit that changes nothing")
        texts[edit.file] = text.replace(edit.find, edit.replace, 1)
    for file, text in texts.items():
        try:
            compile(text, file, "exec")
        except SyntaxError as error:
            raise ExerciseError(f"{where}: {variant.id!r} makes {file} invalid Python: {error}") from None


def private_dir() -> Path | None:
    """Where the instructor keeps private wheats and chaffs, if anywhere."""
    named = os.environ.get("GRADERS_PRIVATE_DIR") or _configured_private_dir()
    return Path(named).expanduser().resolve() if named else None


def _configured_private_dir() -> str | None:
    """`c.Graders.private_dir = "..."` in nbgrader_config.py, read without running the file."""
    try:
        tree = ast.parse(NBGRADER_CONFIG.read_text())
    except (OSError, SyntaxError):
        return None
    for node in ast.walk(tree):
        if (isinstance(node, ast.Assign) and isinstance(node.value, ast.Constant)
                and isinstance(node.value.value, str)
                and any(ast.unparse(t) == "c.Graders.private_dir" for t in node.targets)):
            return node.value.value
    return None


def _with_private(exercise: Exercise) -> Exercise:
    folder = private_dir()
    path = folder / f"{exercise.id}.toml" if folder else None
    if path is None or not path.is_file():
        return exercise
    where = f"{path} (private)"
    try:
        raw = tomllib.loads(path.read_text())
    except tomllib.TOMLDecodeError as error:
        raise ExerciseError(f"{where}: not valid TOML: {error}") from None
    wheats = tuple(replace(_variant(w, "wheat", where), private=True) for w in raw.get("wheat", ()))
    chaffs = tuple(replace(_variant(c, "chaff", where), private=True) for c in raw.get("chaff", ()))
    return replace(exercise, wheats=exercise.wheats + wheats, chaffs=exercise.chaffs + chaffs)


def load_exercise(path: Path, private: bool = True) -> Exercise:
    """The exercise in `path`, with the instructor's private variants unless told not to."""
    where = path.name
    try:
        raw = tomllib.loads(path.read_text())
    except tomllib.TOMLDecodeError as error:
        raise ExerciseError(f"{where}: not valid TOML: {error}") from None
    try:
        exercise = Exercise(
            id=raw["id"], title=raw["title"], section=raw["section"], lesson=raw["lesson"],
            wheats=tuple(_variant(w, "wheat", where) for w in raw.get("wheat", ())),
            chaffs=tuple(_variant(c, "chaff", where) for c in raw.get("chaff", ())),
            timeout=float(raw.get("timeout", Exercise.timeout)),
            hygiene=raw.get("hygiene", Exercise.hygiene), source=path,
            freedoms=tuple(Freedom(f["id"], f["stated"]) for f in raw.get("freedom", ())),
        )
    except KeyError as missing:
        raise ExerciseError(f"{where}: missing key {missing}") from None
    if private:
        exercise = _with_private(exercise)
    if exercise.hygiene not in ("warn", "strict"):
        raise ExerciseError(f"{where}: hygiene must be \"warn\" or \"strict\"")
    declared = {f.id for f in exercise.freedoms}
    for wheat in exercise.wheats:
        unknown = set(wheat.varies) - declared
        if unknown:
            raise ExerciseError(f"{where}: wheat {wheat.id!r} varies {sorted(unknown)}, which no "
                                "[[freedom]] declares")
    ids = [v.id for v in exercise.variants]
    if len(ids) != len(set(ids)):
        raise ExerciseError(f"{where}: variant ids must be unique: {ids}")
    if exercise.id != path.stem:
        raise ExerciseError(f"{where}: the id {exercise.id!r} must match the file name")
    return exercise


@cache
def all_exercises() -> dict[str, Exercise]:
    exercises = [load_exercise(p) for p in sorted(EXERCISES_DIR.glob("*.toml"))]
    return {e.id: e for e in exercises}


def get_exercise(exercise_id: str) -> Exercise:
    path = EXERCISES_DIR / f"{exercise_id}.toml"
    if not path.is_file() or "/" in exercise_id:
        known = ", ".join(p.stem for p in sorted(EXERCISES_DIR.glob("*.toml"))) or "none"
        raise ExerciseError(f"no exercise {exercise_id!r} (known: {known})")
    return load_exercise(path)
