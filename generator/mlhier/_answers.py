"""Answers given on the command line: read them, check their keys, give each layer its own.

copier validates every answer it is passed, even for a question whose ``when`` is false, so a
layer must receive only the answers to its own questions.
"""

from __future__ import annotations

import difflib
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from mlhier.errors import InvalidInputError
from mlhier.layers import LADDER, Layer

__all__ = ["parse_pairs", "read_data_file", "read_yaml_mapping", "sort_answers"]


def parse_pairs(pairs: Sequence[str]) -> dict[str, str]:
    """``KEY=VALUE`` strings from ``--data`` as a mapping; the value may be empty."""
    answers: dict[str, str] = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key.strip():
            raise InvalidInputError(f"--data {pair!r} must look like KEY=VALUE")
        answers[key.strip()] = value
    return answers


def _load_yaml(label: str, text: str) -> object:
    import yaml

    try:
        return yaml.safe_load(text)
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        where = f" (line {mark.line + 1})" if mark is not None else ""
        raise InvalidInputError(f"{label} is not valid YAML{where}") from error


def read_yaml_mapping(path: Path, option: str, holding: str) -> dict[str, Any]:
    """The mapping of ``holding`` in the YAML file ``path``, refused naming ``option`` and the file.

    An empty file is an empty mapping; every key must be a string.
    """
    label = f"{option} {path}"
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError as error:
        raise InvalidInputError(f"{label} does not exist") from error
    except IsADirectoryError as error:
        raise InvalidInputError(f"{label} is a folder, not a YAML file") from error
    except UnicodeDecodeError as error:
        raise InvalidInputError(f"{label} is not UTF-8 text") from error
    except OSError as error:
        raise InvalidInputError(f"{label} cannot be read: {error.strerror}") from error
    loaded = _load_yaml(label, text)
    if loaded is None:
        return {}
    if not isinstance(loaded, dict):
        kind = type(loaded).__name__
        raise InvalidInputError(f"{label} holds a {kind}, not a mapping of {holding}")
    for key in loaded:
        if not isinstance(key, str):
            raise InvalidInputError(f"{label}: key {key!r} is not a name")
    return dict(loaded)


def read_data_file(path: Path) -> dict[str, Any]:
    """The mapping of answers in a YAML file, refused in one line when it is anything else."""
    return read_yaml_mapping(path, "--data-file", "answers")


def _refuse_private(key: str) -> None:
    if key.startswith("_"):
        raise InvalidInputError(f"{key} is copier's own setting, not a question")
    if key == "layer":
        raise InvalidInputError(
            "layer is chosen by mlhier, not answered", "use --up-to, or `mlhier add LAYER`"
        )


def _owner(key: str, questions: Mapping[Layer, Sequence[str]]) -> Layer | None:
    return next((layer for layer, names in questions.items() if key in names), None)


def _inherited_from(
    key: str, owner: Layer, questions: Mapping[Layer, Sequence[str]]
) -> tuple[Layer, str] | None:
    """The lower layer and question that ``key`` re-declares, as in ``project_name_data``."""
    suffix = f"_{owner.name}"
    if not key.endswith(suffix):
        return None
    base = key.removesuffix(suffix)
    for layer in LADDER[: LADDER.index(owner)]:
        if base in questions.get(layer, ()):
            return layer, base
    return None


def _unknown(
    key: str, questions: Mapping[Layer, Sequence[str]], targets: Sequence[Layer]
) -> InvalidInputError:
    names = [name for names in questions.values() for name in names]
    close = difflib.get_close_matches(key, names, n=1, cutoff=0.6)
    if close:
        return InvalidInputError(f"unknown question {key!r}: did you mean {close[0]}?")
    asked = [name for layer in targets for name in questions.get(layer, ())]
    return InvalidInputError(f"unknown question {key!r}", f"the questions: {', '.join(asked)}")


def _check_key(
    key: str, questions: Mapping[Layer, Sequence[str]], targets: Sequence[Layer]
) -> Layer:
    owner = _owner(key, questions)
    if owner is None:
        raise _unknown(key, questions, targets)
    inherited = _inherited_from(key, owner, questions)
    if inherited is not None:
        lower, base = inherited
        if lower in targets:
            raise InvalidInputError(f"{key} is copied from the {lower.name} layer: answer {base}")
        raise InvalidInputError(f"{key} is copied from the applied {lower.name} layer's {base}")
    if owner in targets:
        return owner
    top = targets[-1]
    if LADDER.index(owner) > LADDER.index(top):
        raise InvalidInputError(
            f"{key} belongs to the {owner.name} layer, above the {top.name} layer",
            f"to apply it too: --up-to {owner.name}",
        )
    raise InvalidInputError(
        f"{key} belongs to the {owner.name} layer, already applied",
        f"`mlhier add {top.name}` answers only the {top.name} layer's questions",
    )


def sort_answers(
    answers: Mapping[str, Any],
    questions: Mapping[Layer, Sequence[str]] | None,
    targets: Sequence[Layer],
) -> dict[str, dict[str, Any]]:
    """Each target layer's own answers, by layer name; a key no target asks is refused.

    Without ``questions`` (a remote template) only copier's private keys are refused and every
    layer gets every answer, as plain copier would.
    """
    sorted_answers: dict[str, dict[str, Any]] = {layer.name: {} for layer in targets}
    for key, value in answers.items():
        _refuse_private(key)
        if questions is None:
            for layer_answers in sorted_answers.values():
                layer_answers[key] = value
            continue
        owner = _check_key(key, questions, targets)
        sorted_answers[owner.name][key] = value
    return sorted_answers
