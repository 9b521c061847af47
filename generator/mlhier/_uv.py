"""Lock a generated project's dependencies, so its first commit installs reproducibly."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

__all__ = ["find_uv", "lock"]


def find_uv() -> str | None:
    """The uv that came with mlhier (the ``uv`` dependency) first, then one on ``PATH``."""
    try:
        from uv import find_uv_bin

        return str(find_uv_bin())
    except (ImportError, FileNotFoundError):
        pass
    beside = Path(sys.executable).parent / "uv"
    if beside.is_file():
        return str(beside)
    return shutil.which("uv")


def _what_to_run(shown: Path) -> str:
    return f"run: cd {shown} && uv lock && git add uv.lock && git commit -m 'Lock dependencies'"


def lock(project: Path, shown: Path | None = None) -> list[str]:
    """Run ``uv lock`` in ``project``; the warning lines to show when it could not.

    The generated CI and Dockerfile install with ``--locked``, so the lock belongs in the first
    commit. It needs the package index; without it the project is still valid, only unlocked.
    ``shown`` is where the user will find the project (``project`` may be a staging folder).
    """
    if not (project / "pyproject.toml").is_file():
        return []
    shown = shown or project
    uv = find_uv()
    if uv is None:
        return ["uv was not found: the project is committed without uv.lock", _what_to_run(shown)]
    done = subprocess.run(
        [uv, "lock", "--quiet"], cwd=project, capture_output=True, text=True, check=False
    )
    if done.returncode != 0:
        reason = (done.stderr.strip().splitlines() or ["no output"])[-1].strip()
        return [f"`uv lock` failed: {reason}", _what_to_run(shown)]
    return []
