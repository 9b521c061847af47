"""The CPython versions CI tests, derived from the workspace instead of written in a workflow.

A version is in the matrix when it is released (``RELEASED``), every workspace member's
``requires-python`` allows it, and every package in ``uv.lock`` that ships only wheels (no sdist
to build from) has a wheel for it: one tagged for that version, an ``abi3`` wheel for it or an
older version, or a pure-Python wheel. A layer that adds a dependency without wheels for the
newest CPython therefore narrows the matrix instead of breaking it. Wheels of every platform
count: uv.lock is universal, and a package only Windows installs (pywin32) has only Windows
wheels. A package locked in several versions (a fork by Python version) counts once, with the
wheels of all its versions.

Usage (standard library only, any Python 3.11+)::

    python3 scripts/python_matrix.py                  # ["3.11", "3.12", "3.13", "3.14"]
    python3 scripts/python_matrix.py --exclude 3.11   # the versions `make check` does not test
"""

from __future__ import annotations

import argparse
import json
import operator
import re
import sys
import tomllib
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from collections.abc import Callable

# CPython minor versions with a final release. Add the next one when it is out.
RELEASED = ("3.9", "3.10", "3.11", "3.12", "3.13", "3.14")

# Patch releases tried per minor version: a series is supported when one of them is allowed.
PATCHES = range(100)

CLAUSE = re.compile(r"\s*(~=|===|==|!=|<=|>=|<|>)\s*(\d+(?:\.\d+)*)(\.\*)?\s*")
CPYTHON_TAG = re.compile(r"cp3(\d+)")
PURE_TAG = re.compile(r"py3\d*")
WHEEL_PARTS = 5  # name-version-python-abi-platform; a build tag makes six


@dataclass(frozen=True)
class Locked:
    """One package of uv.lock: the file names of its wheels and whether it has an sdist."""

    name: str
    wheels: tuple[str, ...]
    has_sdist: bool


def release(text: str) -> tuple[int, ...]:
    """``"3.11"`` as ``(3, 11)``."""
    return tuple(int(part) for part in text.split("."))


def padded(version: tuple[int, ...], length: int) -> tuple[int, ...]:
    """``version`` with zeros appended up to ``length`` numbers."""
    return version + (0,) * (length - len(version))


COMPARISONS: dict[str, Callable[[tuple[int, ...], tuple[int, ...]], bool]] = {
    "==": operator.eq,
    "===": operator.eq,
    "!=": operator.ne,
    ">=": operator.ge,
    "<=": operator.le,
    ">": operator.gt,
    "<": operator.lt,
}


def clause_allows(
    comparison: str, bound: tuple[int, ...], version: tuple[int, ...], *, wildcard: bool
) -> bool:
    """Whether one PEP 440 clause (release numbers only) allows ``version``."""
    if wildcard:
        prefix = version[: len(bound)] == bound
        return prefix if comparison == "==" else not prefix
    length = max(len(bound), len(version))
    left, right = padded(version, length), padded(bound, length)
    if comparison == "~=":  # ~=X.Y means >=X.Y and ==X.*
        return left >= right and version[: len(bound) - 1] == bound[:-1]
    return COMPARISONS[comparison](left, right)


def specifier_allows(specifier: str, version: tuple[int, ...]) -> bool:
    """Whether every comma-separated clause of ``specifier`` allows ``version``."""
    for text in filter(None, (part.strip() for part in specifier.split(","))):
        match = CLAUSE.fullmatch(text)
        if match is None:
            message = f"cannot read the requires-python clause {text!r}"
            raise ValueError(message)
        comparison, bound, wildcard = match.groups()
        if not clause_allows(comparison, release(bound), version, wildcard=wildcard is not None):
            return False
    return True


def allows_minor(specifiers: list[str], minor: str) -> bool:
    """Whether some patch release of ``minor`` satisfies every member's requires-python."""
    base = release(minor)
    return any(
        all(specifier_allows(specifier, (*base, patch)) for specifier in specifiers)
        for patch in PATCHES
    )


def wheel_covers(filename: str, minor: int) -> bool:
    """Whether the wheel ``filename`` installs on CPython 3.<minor> (not free-threaded)."""
    parts = filename.removesuffix(".whl").split("-")
    if len(parts) < WHEEL_PARTS:
        return False
    pythons, abis = parts[-3].split("."), parts[-2].split(".")
    for python in pythons:
        cpython = CPYTHON_TAG.fullmatch(python)
        for abi in abis:
            if abi == "none" and (PURE_TAG.fullmatch(python) or python == "py2"):
                return True
            if cpython is None:
                continue
            tagged = int(cpython.group(1))
            if abi == "abi3" and tagged <= minor:
                return True
            if tagged == minor and abi in {python, f"{python}m", "none"}:
                return True
    return False


def python_versions(requires_python: list[str], packages: list[Locked]) -> list[str]:
    """The released CPython versions the workspace supports, oldest first."""
    binary_only = [package for package in packages if package.wheels and not package.has_sdist]
    return [
        minor
        for minor in RELEASED
        if allows_minor(requires_python, minor)
        and all(
            any(wheel_covers(wheel, release(minor)[1]) for wheel in package.wheels)
            for package in binary_only
        )
    ]


def wheel_name(wheel: dict[str, str]) -> str:
    """The file name of a wheel entry of uv.lock (registry wheels have a URL, local ones a path)."""
    location = wheel.get("filename") or wheel.get("url") or wheel.get("path") or ""
    return PurePosixPath(location.split("?")[0]).name


def locked_packages(lock: dict[str, Any]) -> list[Locked]:
    """The packages of uv.lock; a package locked in several versions counts as one."""
    wheels: dict[str, list[str]] = {}
    sdists: dict[str, bool] = {}
    for entry in lock.get("package", []):
        name = str(entry["name"])
        wheels.setdefault(name, []).extend(wheel_name(wheel) for wheel in entry.get("wheels", []))
        sdists[name] = sdists.get(name, False) or "sdist" in entry
    return [Locked(name, tuple(wheels[name]), sdists[name]) for name in sorted(wheels)]


def workspace_requires_python(root: Path) -> list[str]:
    """The requires-python of the root project and of every workspace member."""
    root_project = tomllib.loads((root / "pyproject.toml").read_text(encoding="utf-8"))
    workspace = root_project.get("tool", {}).get("uv", {}).get("workspace", {})
    members = [root / "pyproject.toml"]
    for pattern in workspace.get("members", []):
        members.extend(sorted(path / "pyproject.toml" for path in root.glob(pattern)))
    specifiers = []
    for path in members:
        if path.is_file():
            project = tomllib.loads(path.read_text(encoding="utf-8")).get("project", {})
            specifiers.append(str(project.get("requires-python", "")))
    return specifiers


def workspace_versions(root: Path) -> list[str]:
    """The versions the workspace at ``root`` supports, from its pyproject files and uv.lock."""
    lock_path = root / "uv.lock"
    lock = tomllib.loads(lock_path.read_text(encoding="utf-8")) if lock_path.is_file() else {}
    return python_versions(workspace_requires_python(root), locked_packages(lock))


def main(argv: list[str] | None = None) -> int:
    """Print the matrix as a JSON list; fail when the workspace supports no released CPython."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--root", type=Path, default=Path(), help="the workspace root")
    parser.add_argument(
        "--exclude", action="append", default=[], help="leave this version out (repeatable)"
    )
    arguments = parser.parse_args(argv)
    versions = workspace_versions(arguments.root)
    if not versions:
        sys.stderr.write("no released CPython satisfies requires-python and the locked wheels\n")
        return 1
    chosen = [version for version in versions if version not in arguments.exclude]
    sys.stdout.write(json.dumps(chosen) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
