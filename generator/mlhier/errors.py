"""One error family: every failure mlhier reports is an ``MlhierError`` with an exit code."""

from __future__ import annotations

__all__ = [
    "EXIT_CODES",
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


# Every exit status mlhier uses and what it means: the CLI and the docs both read this table.
EXIT_CODES: tuple[tuple[int, str], ...] = (
    (0, "done"),
    (MlhierError.exit_code, "failed: rendering, git or the template itself"),
    (InvalidInputError.exit_code, "refused: bad answer, option, path or order; nothing written"),
    (UpdateConflictError.exit_code, "an update left conflicts: resolve the markers and commit"),
    (130, "interrupted (Ctrl-C): nothing written"),
)
