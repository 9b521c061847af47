"""Lock a generated project's dependencies, so its first commit installs reproducibly."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

__all__ = ["lock"]


def lock(project: Path) -> str | None:
    """Run ``uv lock`` in ``project``; a warning to show when it could not, else ``None``.

    The generated CI and Dockerfile install with ``--locked``, so the lock belongs in the first
    commit. It needs the package index; without it the project is still valid, only unlocked.
    """
    if not (project / "pyproject.toml").is_file():
        return None
    uv = shutil.which("uv")
    if uv is None:
        return "uv is not installed: run `uv lock` and commit uv.lock before you push"
    done = subprocess.run(
        [uv, "lock", "--quiet"], cwd=project, capture_output=True, text=True, check=False
    )
    if done.returncode != 0:
        reason = (done.stderr.strip().splitlines() or ["no output"])[-1]
        return f"`uv lock` failed ({reason}): run it and commit uv.lock before you push"
    return None
