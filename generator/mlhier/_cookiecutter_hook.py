"""The pre-generation hook of a cookiecutter export: mlhier's validators, before any file.

``mlhier export cookiecutter`` ships this file as ``hooks/pre_gen_project.py``. cookiecutter
renders a hook with Jinja before running it, which fills ``ANSWERS`` with the answers given;
the rest of this file holds no Jinja delimiter, so it runs as written. It reads the layers'
questions as copier declares them (``mlhier_questions.json`` in the export), and renders each
validator with Jinja over ``templates/rules.jinja``, exactly as copier does for ``mlhier new``:
a bad answer is refused with the same message, and cookiecutter writes nothing.

It needs only the standard library and Jinja (cookiecutter's own dependency): no mlhier.
"""

from __future__ import annotations

import importlib
import json
import sys
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

from jinja2 import Environment

ANSWERS = r"""{{ cookiecutter | jsonify }}"""

QUESTIONS_FILE = "mlhier_questions.json"
JINJA_MODULE = "mlhier_jinja"

_TRUE = {"y", "yes", "t", "true", "on", "1"}
_FALSE = {"n", "no", "f", "false", "off", "0", ""}


def cast(value: object, kind: str) -> str | int | float | bool:
    """An answer as copier types it: cookiecutter hands every non-boolean answer as text."""
    if kind == "int":
        return int(str(value))
    if kind == "float":
        return float(str(value))
    if kind == "bool":
        if isinstance(value, bool):
            return value
        text = str(value).strip().lower()
        if text in _TRUE | _FALSE:
            return text in _TRUE
        raise ValueError(f"{value!r} is not yes or no")
    return value if isinstance(value, str) else str(value)


def _render(env: Environment, text: object, context: Mapping[str, Any]) -> str:
    if not isinstance(text, str):
        return "" if text is None else str(text)
    return str(env.from_string(text).render(**context))


def _message(name: str, said: str) -> str:
    """As mlhier reports a failed validator: led by the question's name."""
    return said if said.startswith(name) else f"{name}: {said}"


def _layer_context(
    layer: Mapping[str, Any], answers: Mapping[str, Any], below: Mapping[str, dict[str, Any]]
) -> dict[str, Any]:
    """One layer's answers under its own names, as mlhier passes them to copier."""
    own: dict[str, Any] = {}
    for question in layer["questions"]:
        try:
            own[question["name"]] = cast(answers[question["answer"]], question["type"])
        except ValueError as error:
            raise ValueError(_message(question["answer"], str(error))) from error
    return {
        **own,
        "layer": layer["name"],
        "_copier_conf": {"data": dict(own)},
        "_external_data": dict(below),
    }


def refusals(
    env: Environment, layers: list[dict[str, Any]], answers: Mapping[str, Any]
) -> Iterator[str]:
    """The message of each answer a layer's validator or condition refuses, bottom-up."""
    below: dict[str, dict[str, Any]] = {}
    for layer in layers:
        try:
            context = _layer_context(layer, answers, below)
        except ValueError as error:
            yield str(error)
            return
        for question in layer["questions"]:
            given = context[question["name"]]
            asked = _render(env, question["when"], context).strip().lower() not in _FALSE
            if not asked:
                default = cast(_render(env, question["default"], context), question["type"])
                if given != default:
                    answer = question["answer"]
                    yield f"{answer} is not asked here: leave it at its default, {default!r}"
                continue
            said = _render(env, question["validator"], context).strip()
            if said:
                yield _message(question["answer"], said)
        below[layer["name"]] = {
            key: value for key, value in context.items() if not key.startswith("_")
        }


def main() -> int:
    answers = json.loads(ANSWERS)
    root = Path(answers["_repo_dir"]).resolve()
    sys.path.insert(0, str(root))
    jinja = importlib.import_module(JINJA_MODULE)
    env = Environment(loader=jinja.macros_loader(root), keep_trailing_newline=True)  # noqa: S701
    env.filters.update(jinja.FILTERS)
    layers = json.loads((root / QUESTIONS_FILE).read_text(encoding="utf-8"))["layers"]
    for message in refusals(env, layers, answers):
        print(f"error: {message}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
