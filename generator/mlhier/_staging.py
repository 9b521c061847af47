"""A new folder written whole or not at all: built beside its final path, then renamed into it."""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from mlhier.errors import InvalidInputError

__all__ = ["check_new_folder", "staged"]


def check_new_folder(destination: Path) -> None:
    """``InvalidInputError`` unless ``destination`` can become a new folder (absent or empty)."""
    if destination.is_file():
        raise InvalidInputError(f"{destination} is a file: choose a new folder")
    if destination.exists() and any(destination.iterdir()):
        raise InvalidInputError(f"{destination} exists and is not empty: choose a new folder")
    if not destination.parent.is_dir():
        raise InvalidInputError(f"{destination.parent} does not exist: create it first")


@contextmanager
def staged(destination: Path) -> Iterator[Path]:
    """A hidden sibling folder to write into; moved to ``destination`` when the block succeeds.

    A failure, a declined confirmation or Ctrl-C anywhere in the block leaves nothing behind.
    """
    staging = Path(tempfile.mkdtemp(prefix=f".{destination.name}.", dir=destination.parent))
    try:
        yield staging
        if destination.exists():
            destination.rmdir()
        staging.rename(destination)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
