"""One error family: every failure mlhier reports is an ``MlhierError`` with an exit code."""

from __future__ import annotations

__all__ = [
    "GenerationError",
    "InvalidInputError",
    "MlhierError",
    "UpdateConflictError",
]


class MlhierError(Exception):
    """A failure explained to the user in one message; the CLI prints it without a traceback."""

    exit_code = 1


class InvalidInputError(MlhierError):
    """The user asked for something that cannot be done: a bad answer, path or layer order."""

    exit_code = 2


class GenerationError(MlhierError):
    """Rendering, git or the template itself failed; nothing the user typed was wrong."""

    exit_code = 1


class UpdateConflictError(MlhierError):
    """An update merged the template's change with a user's edit and left conflicts to resolve."""

    exit_code = 3
