"""Exercises and their app variants, loaded from the TOML files in graders/exercises/.

A variant is the real app plus exact find/replace edits on its source. Wheats are correct
apps that differ where the specification leaves freedom; chaffs carry one planted defect.
Every edit must match its file exactly once, checked at load time, so that a change to the
app breaks a stale defect loudly instead of silently grading against the wrong code.
"""
from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

APP_PACKAGE = "forge"
APP_DIR = Path(__file__).resolve().parent.parent / APP_PACKAGE
EXERCISES_DIR = Path(__file__).resolve().parent / "exercises"
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

    def sources(self) -> dict[str, str]:
        """Module name -> patched source, for every module this variant changes."""
        patched: dict[str, str] = {}
        for edit in self.edits:
            module = module_name(edit.file)
            text = patched.get(module) or (APP_DIR / edit.file).read_text()
            patched[module] = text.replace(edit.find, edit.replace, 1)
        return patched


@dataclass(frozen=True)
class Exercise:
    id: str
    title: str
    section: str
    lesson: str
    wheats: tuple[Variant, ...]
    chaffs: tuple[Variant, ...]
    timeout: float = 20.0  # wall-clock seconds for one run of the suite against one variant
    hygiene: str = "warn"  # "strict": order dependence and leaked overrides make a test invalid
    source: Path = field(default=Path(), compare=False)

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


def load_exercise(path: Path) -> Exercise:
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
        )
    except KeyError as missing:
        raise ExerciseError(f"{where}: missing key {missing}") from None
    if exercise.hygiene not in ("warn", "strict"):
        raise ExerciseError(f"{where}: hygiene must be \"warn\" or \"strict\"")
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
