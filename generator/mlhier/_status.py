"""What state a generated project is in: layers and versions, and what would block an update."""

from __future__ import annotations

import re
import subprocess
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from mlhier import _git
from mlhier._render import recorded_commit, recorded_source
from mlhier._source import UPSTREAM_URL
from mlhier.layers import applied_layers, layer_below

__all__ = ["LayerStatus", "ProjectStatus", "newest_tag", "project_status"]

_CONFLICT_START = re.compile(r"^<{7} ", re.M)
_CONFLICT_END = re.compile(r"^>{7} ", re.M)
# Reaching a remote source must not hang `status`: it reports "unknown" instead.
_REMOTE_TIMEOUT_S = 20


@dataclass(frozen=True)
class LayerStatus:
    name: str
    version: str
    """The template version the layer records (``_commit``)."""
    source: str
    newest: str | None
    """The newest release tag of its source; ``None`` when it has none or cannot be read."""
    source_readable: bool

    @property
    def current(self) -> bool | None:
        return None if self.newest is None else self.newest == self.version


@dataclass(frozen=True)
class ProjectStatus:
    path: str
    layers: tuple[LayerStatus, ...]
    missing_prerequisites: dict[str, str] = field(default_factory=dict)
    """Each applied layer whose layer below is missing, with that layer's name."""
    conflict_markers: tuple[str, ...] = ()
    rejected: tuple[str, ...] = ()
    """``.rej`` files a failed update left behind."""
    uncommitted: tuple[str, ...] = ()

    def as_json(self) -> dict[str, Any]:
        data = asdict(self)
        for layer, shown in zip(self.layers, data["layers"], strict=True):
            shown["current"] = layer.current
        return data


def newest_tag(tags: list[str]) -> str | None:
    """The newest release among ``tags`` by PEP 440 order, as copier picks it."""
    from packaging.version import InvalidVersion, Version

    releases: list[tuple[Version, str]] = []
    for tag in tags:
        try:
            version = Version(tag.removeprefix("v"))
        except InvalidVersion:
            continue
        if not version.is_prerelease:
            releases.append((version, tag))
    return max(releases)[1] if releases else None


def _tags(source: str, local: Path | None) -> list[str] | None:
    if source == UPSTREAM_URL and local is not None:
        command = ["git", "-C", str(local), "tag", "--list"]
    else:
        command = ["git", "ls-remote", "--tags", "--refs", "--", source]
    try:
        done = subprocess.run(
            command, capture_output=True, text=True, check=False, timeout=_REMOTE_TIMEOUT_S
        )
    except (OSError, subprocess.TimeoutExpired):
        return None
    if done.returncode != 0:
        return None
    return [line.rsplit("refs/tags/", 1)[-1].strip() for line in done.stdout.splitlines()]


def _marked_files(project: Path) -> tuple[list[str], list[str]]:
    """Files holding conflict markers, and ``.rej`` files, among those git sees."""
    listed = subprocess.run(
        ["git", "ls-files", "--cached", "--others", "--exclude-standard"],
        cwd=project,
        capture_output=True,
        text=True,
        check=False,
    ).stdout.splitlines()
    markers, rejected = [], []
    for name in sorted(set(listed)):
        if name.endswith(".rej"):
            rejected.append(name)
            continue
        try:
            text = (project / name).read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError):
            continue  # deleted, or binary: neither holds text markers
        if _CONFLICT_START.search(text) and _CONFLICT_END.search(text):
            markers.append(name)
    return markers, rejected


def project_status(project: Path, local: Path | None) -> ProjectStatus:
    """The status of ``project``; ``local`` is the template history mlhier carries, if any."""
    applied = applied_layers(project)
    layers = []
    for layer in applied:
        source = recorded_source(project, layer)
        tags = _tags(source, local)
        newest = newest_tag(tags) if tags is not None else None
        version = recorded_commit(project, layer)
        layers.append(LayerStatus(layer.name, version, source, newest, tags is not None))
    missing = {}
    for layer in applied:
        below = layer_below(layer)
        if below is not None and below not in applied:
            missing[layer.name] = below.name
    in_git = _git.is_repo(project)
    markers, rejected = _marked_files(project) if in_git else ([], [])
    uncommitted = _git.changed_paths(project) if in_git else []
    return ProjectStatus(
        str(project), tuple(layers), missing, tuple(markers), tuple(rejected), tuple(uncommitted)
    )
