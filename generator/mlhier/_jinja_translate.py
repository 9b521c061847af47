"""copier's Jinja rewritten for cookiecutter: every answer is read from ``cookiecutter.<name>``.

copier puts each answer at the top of the render context; cookiecutter puts them all under
``cookiecutter``. The rewrite touches only names inside Jinja tags (never text, strings,
comments or raw blocks), then parses the result to prove that no answer was missed, that no
name it rewrote is also a variable the template sets itself, and that every filter exists.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import TYPE_CHECKING

from mlhier._cookiecutter_jinja import FILTERS
from mlhier.errors import GenerationError

if TYPE_CHECKING:
    from jinja2 import Environment
    from jinja2.nodes import Template

__all__ = ["referenced_templates", "translate"]

_OPENING = re.compile(r"\{\{|\{%|\{#")
_RAW = re.compile(r"\{%[-+]?\s*raw\s*[-+]?%\}")
_END_RAW = re.compile(r"\{%[-+]?\s*endraw\s*[-+]?%\}")
_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
# A name after these is an attribute, a filter or a test, never a variable.
_NOT_A_VARIABLE_AFTER = {".", "|", "is"}


def _string_end(source: str, start: int) -> int:
    """The index after the string literal opening at ``start``."""
    quote, index = source[start], start + 1
    while index < len(source) and source[index] != quote:
        index += 2 if source[index] == "\\" else 1
    return index + 1


def _is_keyword_argument(source: str, end: int) -> bool:
    rest = source[end:].lstrip()
    return rest.startswith("=") and not rest.startswith("==")


def _tag(source: str, start: int, closing: str, names: Mapping[str, str]) -> tuple[str, int]:
    """The inside of one tag from ``start``, names rewritten, and the index after its end."""
    parts: list[str] = []
    depth, index, previous = 0, start, ""
    while index < len(source):
        char = source[index]
        if depth == 0 and source.startswith(closing, index):
            return "".join(parts) + closing, index + len(closing)
        if char in "'\"":
            end = _string_end(source, index)
            parts.append(source[index:end])
            index, previous = end, "string"
            continue
        name = _NAME.match(source, index)
        if name and not (index and source[index - 1].isdigit()):
            word = name.group()
            variable = previous not in _NOT_A_VARIABLE_AFTER
            if word in names and variable and not _is_keyword_argument(source, name.end()):
                parts.append(names[word])
            else:
                parts.append(word)
            index, previous = name.end(), word
            continue
        depth += (char in "([{") - (char in ")]}")
        if not char.isspace():
            previous = char
        parts.append(char)
        index += 1
    raise GenerationError("a Jinja tag is not closed")


def _rewrite(source: str, names: Mapping[str, str]) -> str:
    parts: list[str] = []
    index = 0
    while (opening := _OPENING.search(source, index)) is not None:
        parts.append(source[index : opening.start()])
        raw = _RAW.match(source, opening.start())
        if opening.group() == "{#" or raw is not None:
            end = (
                _END_RAW.search(source, raw.end())
                if raw is not None
                else re.compile(r"#\}").search(source, opening.end())
            )
            if end is None:
                raise GenerationError("a Jinja comment or raw block is not closed")
            parts.append(source[opening.start() : end.end()])
            index = end.end()
            continue
        closing = "}}" if opening.group() == "{{" else "%}"
        inside, index = _tag(source, opening.end(), closing, names)
        parts.append(opening.group() + inside)
    parts.append(source[index:])
    return "".join(parts)


def _environment() -> Environment:
    from jinja2 import Environment

    env = Environment(keep_trailing_newline=True)  # noqa: S701 - parsed only, never rendered
    env.filters.update(FILTERS)
    return env


def _unknown_filters(parsed: Template, known: set[str]) -> set[str]:
    from jinja2 import nodes

    return {node.name for node in parsed.find_all(nodes.Filter)} - known


def translate(source: str, names: Mapping[str, str], where: str) -> str:
    """``source`` with each answer ``name`` read as ``names[name]`` (``cookiecutter.<answer>``).

    ``GenerationError`` when the result would not render as copier's does: a variable no answer
    gives, a rewritten name the template also sets, or a filter cookiecutter lacks.
    """
    from jinja2 import TemplateSyntaxError, meta, nodes

    env = _environment()
    try:
        original = env.parse(source)
        # Only the answers the template reads from its context: a name it sets stays its own.
        used = {name: names[name] for name in meta.find_undeclared_variables(original) & set(names)}
        set_here = {
            node.name for node in original.find_all(nodes.Name) if node.ctx in ("store", "param")
        }
        clashes = set_here & set(used)
        if clashes:
            raise GenerationError(f"sets {', '.join(sorted(clashes))}, also read as an answer")
        translated_text = _rewrite(source, used)
        translated = env.parse(translated_text)
    except (TemplateSyntaxError, GenerationError) as error:
        raise GenerationError(f"{where}: cannot translate its Jinja: {error}") from error
    missing = meta.find_undeclared_variables(translated) - {"cookiecutter"} - set(env.globals)
    if missing:
        raise GenerationError(
            f"{where} uses {', '.join(sorted(missing))}: no exported question answers it"
        )
    unknown = _unknown_filters(translated, set(env.filters))
    if unknown:
        raise GenerationError(f"{where} uses the filters {', '.join(sorted(unknown))}")
    return translated_text


def referenced_templates(source: str) -> set[str]:
    """The template files ``source`` includes, imports or extends, named from the root."""
    from jinja2 import nodes

    parsed = _environment().parse(source)
    kinds = (nodes.Include, nodes.Import, nodes.FromImport, nodes.Extends)
    names = (getattr(node, "template", None) for node in parsed.find_all(kinds))
    return {str(name.value) for name in names if isinstance(name, nodes.Const)}
