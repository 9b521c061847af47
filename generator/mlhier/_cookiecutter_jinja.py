"""Jinja for a cookiecutter export: copier's filters the templates use, and the shared macros.

``mlhier export cookiecutter`` ships this file in the export as ``mlhier_jinja.py`` and names
its extension in ``cookiecutter.json`` (``_extensions``): cookiecutter loads it for every
environment it renders with, the questions' defaults, the files and the pre-generation hook
(where the layers' validators run). It needs only the standard library and Jinja, which
cookiecutter depends on, so it must not import mlhier.

copier renders with the filters of ``jinja2-ansible-filters``; the ones the templates use are
written again here with the same behaviour (the export refuses a template that uses another).
"""

from __future__ import annotations

import hashlib
import re
import sys
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, Undefined
from jinja2.ext import Extension

__all__ = ["FILTERS", "MACROS_FOLDER", "MlhierExtension", "macros_loader"]

# Where the export keeps templates/rules.jinja and the other shared macro files: cookiecutter's
# file loader reads `../templates` next to the project folder, so `{% import "templates/..." %}`
# finds them there unchanged.
MACROS_FOLDER = "templates"
# Resolved on import: cookiecutter later renders from other working folders, and the path it
# imported this module from may be relative.
_IMPORTED_FROM = Path(__file__).resolve().parent


def regex_search(value: str, regex: str, *args: str, **kwargs: bool) -> str | list[str] | None:
    """``re.search``: the match, the groups named by ``\\1`` or ``\\g<name>`` arguments, or None."""
    groups: list[int | str] = []
    for arg in args:
        named = re.match(r"\\g<(\S+)>", arg)
        numbered = re.match(r"\\(\d+)", arg)
        if named:
            groups.append(named.group(1))
        elif numbered:
            groups.append(int(numbered.group(1)))
        else:
            raise ValueError(f"regex_search: unknown argument {arg!r}")
    flags = (re.I if kwargs.get("ignorecase") else 0) | (re.M if kwargs.get("multiline") else 0)
    match = re.search(regex, value, flags)
    if match is None:
        return None
    return [str(match.group(group)) for group in groups] if groups else str(match.group())


def regex_replace(
    value: object = "", pattern: str = "", replacement: str = "", ignorecase: bool = False
) -> str:
    """``re.sub`` over the value's text."""
    text = value if isinstance(value, str) else str(value)
    return re.compile(pattern, flags=re.I if ignorecase else 0).sub(replacement, text)


def get_hash(data: object, hashtype: str = "sha1") -> str | None:
    """The hex digest of the value's UTF-8 text; None for a hash hashlib does not know."""
    try:
        digest = hashlib.new(hashtype)
    except ValueError:
        return None
    text = data if isinstance(data, str) else str(data)
    digest.update(text.encode("utf-8", errors="surrogateescape"))
    return digest.hexdigest()


FILTERS: dict[str, Any] = {
    "regex_search": regex_search,
    "regex_replace": regex_replace,
    "hash": get_hash,
}


def _export_root() -> Path:
    """The export being rendered.

    cookiecutter appends the template's folder to ``sys.path`` while it renders, and Python may
    have imported this module from an earlier export in the same process: the last folder on
    the path that holds this file is the one being rendered.
    """
    name = Path(__file__).name
    for entry in reversed(sys.path):
        if entry and Path(entry).is_absolute() and (Path(entry) / name).is_file():
            return Path(entry)
    return _IMPORTED_FROM


def macros_loader() -> FileSystemLoader:
    """A loader where ``{% import "templates/rules.jinja" %}`` finds the export's macro files."""
    return FileSystemLoader(str(_export_root() / MACROS_FOLDER))


class MlhierExtension(Extension):
    """copier's filters and undefined values, and the macro files for the questions' defaults.

    cookiecutter renders with ``StrictUndefined``, copier with Jinja's default: the templates
    rely on it (``loop.previtem`` in a loop's first round). The export checks that every name a
    template reads is an answer, so only such Jinja built-ins are ever undefined. cookiecutter
    gives its environment no loader while it asks the questions; it sets its own (which finds
    the same files) before it renders the project.
    """

    def __init__(self, environment: Environment) -> None:
        super().__init__(environment)
        environment.undefined = Undefined
        environment.filters.update(FILTERS)
        if environment.loader is None:
            environment.loader = macros_loader()
