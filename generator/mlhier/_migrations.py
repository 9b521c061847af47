"""Files a template release renames or moves, so the user's content follows them on update.

A release that renames a generated file lists the move in ``templates/migrations.yml``, data
only (no code runs, so no ``--trust``)::

    v0.5.0:
      - layer: devops
        from: docs/old-name.md
        to: docs/new-name.md

A path may name a recorded answer of its layer as ``{{ package_name }}``; nothing else of Jinja.
copier alone deletes the old path (it is gone from the new template) and writes the new one
fresh, losing the user's edits: mlhier merges them into the new path (``_render.update_layer``).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any

from mlhier.errors import GenerationError, InvalidInputError

__all__ = ["MIGRATIONS_FILE", "Move", "check_moves", "read_moves"]

MIGRATIONS_FILE = "templates/migrations.yml"

_ANSWER = re.compile(r"\{\{\s*(\w+)\s*\}\}")


@dataclass(frozen=True)
class Move:
    """One generated file the template release ``version`` moved from ``source`` to ``target``."""

    version: str
    source: str
    target: str


def _invalid(detail: str) -> GenerationError:
    return GenerationError(f"the template's {MIGRATIONS_FILE} is invalid: {detail}")


def _path(value: object, answers: Mapping[str, Any], where: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise _invalid(f"{where} is not a path")

    def answer(match: re.Match[str]) -> str:
        name = match[1]
        if name not in answers:
            raise _invalid(f"{where} names {name}, which this layer does not record")
        return str(answers[name])

    path = PurePosixPath(_ANSWER.sub(answer, value))
    if path.is_absolute() or ".." in path.parts or "{" in str(path):
        raise _invalid(f"{where} {value!r} must be a plain path inside the project")
    return path.as_posix()


def _entries(loaded: object) -> dict[str, list[dict[str, Any]]]:
    if loaded is None:
        return {}
    if not isinstance(loaded, dict):
        raise _invalid("it is not a mapping of versions")
    for version, entries in loaded.items():
        if not isinstance(entries, list) or not all(isinstance(e, dict) for e in entries):
            raise _invalid(f"{version} does not list moves ({{layer, from, to}})")
    return {str(version): entries for version, entries in loaded.items()}


def read_moves(
    template: Path,
    layer: str,
    *,
    after: str | None,
    up_to: str | None,
    answers: Mapping[str, Any],
) -> tuple[Move, ...]:
    """The moves of ``layer`` by the releases after ``after`` up to and including ``up_to``.

    ``template`` is a checkout of the version updated to: only it knows its renames. Versions
    are compared as PEP 440 versions (``v`` prefix allowed); with either end unknown (not a
    release) no move is chosen, as no release range can be told.
    """
    import yaml
    from packaging.version import InvalidVersion, Version

    path = template / MIGRATIONS_FILE
    if not path.is_file() or after is None or up_to is None:
        return ()
    try:
        entries = _entries(yaml.safe_load(path.read_text(encoding="utf-8")))
        low, high = Version(after), Version(up_to)
    except yaml.YAMLError as error:
        raise _invalid("not valid YAML") from error
    except InvalidVersion:
        return ()
    moves: list[Move] = []
    for version, listed in entries.items():
        try:
            released = Version(version.removeprefix("v"))
        except InvalidVersion as error:
            raise _invalid(f"{version!r} is not a version") from error
        if not low < released <= high:
            continue
        for index, entry in enumerate(listed):
            if entry.get("layer") != layer:
                continue
            where = f"{version}[{index}]"
            source = _path(entry.get("from"), answers, f"{where}.from")
            target = _path(entry.get("to"), answers, f"{where}.to")
            moves.append(Move(version, source, target))
    return tuple(moves)


def check_moves(project: Path, moves: tuple[Move, ...]) -> tuple[tuple[Move, ...], list[str]]:
    """The moves to make in ``project``, and why each other one is skipped.

    A move whose target already exists is refused before anything changes: the user's file
    there and the moved content would have to be merged by hand.
    """
    to_make: list[Move] = []
    skipped: list[str] = []
    for move in moves:
        source, target = project / move.source, project / move.target
        if target.exists() and source.exists():
            raise InvalidInputError(
                f"template {move.version} moves {move.source} to {move.target},"
                f" but {move.target} exists already",
                f"merge what you need into one of them, remove {move.target} or {move.source},"
                " commit, then run `mlhier update` again",
            )
        if not source.is_file():
            skipped.append(f"{move.source} is not in the project: nothing to move to {move.target}")
            continue
        to_make.append(move)
    return tuple(to_make), skipped
