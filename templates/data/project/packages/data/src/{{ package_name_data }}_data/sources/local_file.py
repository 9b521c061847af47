"""A file on this machine: a path (relative to the config folder) or a ``file://`` URI."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import unquote, urlsplit

SCHEMES = ("", "file")


def read(location: str, base: Path) -> bytes:
    """The bytes of the file; FileNotFoundError names the resolved path when it is missing."""
    parts = urlsplit(location)
    path = Path(unquote(parts.path)) if parts.scheme == "file" else Path(location).expanduser()
    resolved = path if path.is_absolute() else base / path
    if not resolved.is_file():
        msg = f"location {location!r}: no file {resolved}"
        raise FileNotFoundError(msg)
    return resolved.read_bytes()
