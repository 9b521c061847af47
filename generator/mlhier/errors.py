"""One error family: every failure mlhier reports is an ``MlhierError`` with an exit code."""

from __future__ import annotations

__all__ = [
    "EXIT_CODES",
    "INTERRUPTED",
    "DeclinedError",
    "GenerationError",
    "InvalidInputError",
    "MlhierError",
    "UpdateConflictError",
]

# The shell's convention for a process stopped by SIGINT (128 + 2).
INTERRUPTED = 130


class MlhierError(Exception):
    """A failure explained to the user in one message; the CLI prints it without a traceback.

    ``hint`` is what to do about it, printed on a line of its own.
    """

    exit_code = 1

    def __init__(self, message: str, hint: str | None = None) -> None:
        super().__init__(message)
        self.hint = hint


class InvalidInputError(MlhierError):
    """The user asked for something that cannot be done: a bad answer, path or layer order."""

    exit_code = 2


class GenerationError(MlhierError):
    """Rendering, git or the template itself failed; nothing the user typed was wrong."""

    exit_code = 1


class UpdateConflictError(MlhierError):
    """An update merged the template's change with a user's edit and left conflicts to resolve."""

    exit_code = 3


class DeclinedError(MlhierError):
    """The user answered no at the confirmation: what was rendered was discarded."""

    exit_code = 4


# Every exit status mlhier uses and what it means: the CLI and the docs both read this table.
EXIT_CODES: tuple[tuple[int, str], ...] = (
    (0, "done"),
    (MlhierError.exit_code, "failed: rendering, git or the template itself"),
    (InvalidInputError.exit_code, "refused: bad answer, option, path or order; nothing written"),
    (UpdateConflictError.exit_code, "an update left conflicts: resolve the markers and commit"),
    (DeclinedError.exit_code, "declined at the confirmation: nothing written"),
    (INTERRUPTED, "interrupted (Ctrl-C): nothing written"),
)
