"""The few git operations mlhier needs, run through the git command line."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

from mlhier.errors import GenerationError, InvalidInputError

__all__ = [
    "changed_paths",
    "commit_all",
    "discard_untracked",
    "init_repo",
    "is_repo",
    "require_clean",
    "unmerged_paths",
]

# Used only where the machine has no git identity, so generation works on fresh CI runners.
_FALLBACK_IDENTITY = ("mlhier", "mlhier@localhost")


def _git(cwd: Path, *args: str, env: dict[str, str] | None = None) -> str:
    try:
        done = subprocess.run(
            ["git", *args], cwd=cwd, env=env, capture_output=True, text=True, check=True
        )
    except FileNotFoundError as error:
        raise GenerationError("git is not installed: mlhier needs it to commit") from error
    except subprocess.CalledProcessError as error:
        detail = (error.stderr or error.stdout).strip()
        raise GenerationError(f"git {' '.join(args)} failed in {cwd}: {detail}") from error
    return done.stdout


def is_repo(path: Path) -> bool:
    """Whether ``path`` is the top of a git work tree."""
    return (path / ".git").exists()


def init_repo(path: Path) -> None:
    """Start a repository on branch ``main``."""
    _git(path, "init", "--quiet", "--initial-branch=main")


def _has_identity(path: Path) -> bool:
    probe = subprocess.run(
        ["git", "config", "user.email"], cwd=path, capture_output=True, text=True, check=False
    )
    return probe.returncode == 0 and bool(probe.stdout.strip())


def commit_all(path: Path, message: str, author: tuple[str, str] | None = None) -> None:
    """Stage everything and commit; the project's author stands in for a missing git identity."""
    env = None
    if not _has_identity(path):
        name, email = author or _FALLBACK_IDENTITY
        env = {
            **os.environ,
            "GIT_AUTHOR_NAME": name,
            "GIT_AUTHOR_EMAIL": email,
            "GIT_COMMITTER_NAME": name,
            "GIT_COMMITTER_EMAIL": email,
        }
    _git(path, "add", "--all")
    _git(path, "commit", "--quiet", "--no-verify", "--message", message, env=env)


def changed_paths(path: Path) -> list[str]:
    """Paths that differ from the last commit, untracked files included."""
    output = _git(path, "status", "--porcelain", "--untracked-files=all")
    return [line[3:] for line in output.splitlines()]


def require_clean(path: Path) -> None:
    """Refuse to touch a work tree holding uncommitted changes: they could be lost."""
    changed = changed_paths(path)
    if changed:
        raise InvalidInputError(
            f"{path} has uncommitted changes ({', '.join(changed[:5])})",
            "commit or stash them first",
        )


def unmerged_paths(path: Path) -> list[str]:
    """Files git marks as unmerged, as copier leaves them after a conflicting update."""
    output = _git(path, "diff", "--name-only", "--diff-filter=U")
    return output.splitlines()


def discard_untracked(path: Path) -> None:
    """Undo a failed render in a clean work tree: restore tracked files, drop new ones."""
    _git(path, "reset", "--quiet")  # a commit that failed after `git add` left them staged
    _git(path, "checkout", "--quiet", "--", ".")
    _git(path, "clean", "--quiet", "--force", "-d")
