"""mlhier's Python API: new project, add a layer, update all layers. The CLI calls only these."""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from mlhier import _git, _uv
from mlhier._render import read_answers, render_layer, update_layer
from mlhier._source import TemplateSource, bundled_source
from mlhier.errors import InvalidInputError, UpdateConflictError
from mlhier.layers import Layer, applied_layers, get_layer, layer_below, layers_up_to

__all__ = ["Progress", "add_layer", "new_project", "update_project"]

Progress = Callable[[str], None]
"""Called with a short line before each step, for the CLI to show."""


def _quiet(_: str) -> None:
    return None


def _version() -> str:
    from mlhier import __version__

    return __version__


def _upstream_answers(project: Path, target: Layer) -> dict[str, Any]:
    """Answers of the layers already applied, as ``target`` re-declares them: ``<name>_<layer>``.

    A higher layer saves each upstream value as a question of its own (copier does not re-read
    ``_external_data`` on update), so mlhier answers those questions rather than let them default.
    """
    answers: dict[str, Any] = {}
    for layer in applied_layers(project):
        answers.update(read_answers(project, layer))
    answers.pop("layer", None)
    return {f"{name}_{target.name}": value for name, value in answers.items()}


def _author(project: Path) -> tuple[str, str] | None:
    """The devops layer's author, who signs mlhier's commits where git has no identity."""
    answers = read_answers(project, get_layer("devops"))
    name, email = answers.get("author_name"), answers.get("author_email")
    return (str(name), str(email)) if name and email else None


def _lock(project: Path, progress: Progress) -> None:
    progress("locking the dependencies (uv lock)")
    warning = _uv.lock(project)
    if warning:
        progress(f"warning: {warning}")


def _apply(
    project: Path,
    layer: Layer,
    source: TemplateSource,
    data: Mapping[str, Any],
    defaults: bool,
    user_defaults: Mapping[str, Any],
) -> None:
    # Upstream answers win: a layer must agree with the layers it stands on.
    upstream = _upstream_answers(project, layer)
    render_layer(
        project,
        layer,
        source,
        data={**data, **upstream},
        defaults=defaults,
        user_defaults=user_defaults,
    )


def new_project(
    path: Path,
    *,
    up_to: str = "devops",
    data: Mapping[str, Any] | None = None,
    defaults: bool = False,
    source: TemplateSource | None = None,
    lock: bool = True,
    progress: Progress = _quiet,
) -> tuple[Layer, ...]:
    """Render the ladder up to ``up_to`` into the new folder ``path``, lock, then commit it.

    Everything is rendered in a hidden sibling folder first and moved into place at the end,
    so a failure at any step leaves nothing at ``path``.
    """
    destination = path.expanduser().resolve()
    layers = layers_up_to(up_to)
    if destination.exists() and (not destination.is_dir() or list(destination.iterdir())):
        raise InvalidInputError(f"{destination} exists and is not empty: choose a new folder")
    if not destination.parent.is_dir():
        raise InvalidInputError(f"{destination.parent} does not exist: create it first")
    source = source or bundled_source(_version())
    user_defaults = {"project_name": destination.name}
    staging = Path(tempfile.mkdtemp(prefix=f".{destination.name}.", dir=destination.parent))
    try:
        for layer in layers:
            progress(f"rendering the {layer.name} layer")
            _apply(staging, layer, source, data or {}, defaults, user_defaults)
        if lock:
            _lock(staging, progress)
        progress("committing")
        _git.init_repo(staging)
        names = ", ".join(layer.name for layer in layers)
        message = f"Generate the project with mlhier {_version()} (layers: {names})"
        _git.commit_all(staging, message, _author(staging))
        if destination.exists():
            destination.rmdir()
        staging.rename(destination)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return layers


def add_layer(
    project: Path,
    name: str,
    *,
    data: Mapping[str, Any] | None = None,
    defaults: bool = False,
    source: TemplateSource | None = None,
    lock: bool = True,
    progress: Progress = _quiet,
) -> Layer:
    """Apply the layer ``name`` to a generated project whose work tree is clean, then commit."""
    project = project.expanduser().resolve()
    layer = get_layer(name)
    below = layer_below(layer)
    applied = applied_layers(project)
    if below is None:
        raise InvalidInputError(f"{layer.name} is the base layer: start with `mlhier new`")
    if layer in applied:
        raise InvalidInputError(f"the {layer.name} layer is already applied in {project}")
    if below not in applied:
        raise InvalidInputError(
            f"the {layer.name} layer needs the {below.name} layer below it: "
            f"{below.answers_file} is missing in {project}"
        )
    if not _git.is_repo(project):
        raise InvalidInputError(f"{project} is not a git repository")
    _git.require_clean(project)
    progress(f"rendering the {layer.name} layer")
    try:
        _apply(project, layer, source or bundled_source(_version()), data or {}, defaults, {})
    except BaseException:
        _git.discard_untracked(project)
        raise
    if lock:  # a layer may add a workspace member: the lock must include it
        _lock(project, progress)
    progress("committing")
    _git.commit_all(
        project, f"Add the {layer.name} layer with mlhier {_version()}", _author(project)
    )
    return layer


def update_project(
    project: Path, *, vcs_ref: str | None = None, progress: Progress = _quiet
) -> tuple[Layer, ...]:
    """Update every applied layer bottom-up, committing each; stop at the first conflict."""
    project = project.expanduser().resolve()
    layers = applied_layers(project)
    if not layers:
        raise InvalidInputError(f"{project} holds no .copier-answers.<layer>.yml: not generated")
    if not _git.is_repo(project):
        raise InvalidInputError(f"{project} is not a git repository")
    _git.require_clean(project)  # copier refuses a dirty tree; each layer below ends committed
    for layer in layers:
        progress(f"updating the {layer.name} layer")
        update_layer(project, layer, vcs_ref=vcs_ref)
        conflicts = _git.unmerged_paths(project)
        if conflicts:
            raise UpdateConflictError(
                f"updating the {layer.name} layer left conflicts in {', '.join(conflicts)}: "
                "resolve the markers, commit, then run `mlhier update` again"
            )
        if _git.changed_paths(project):
            message = f"Update the {layer.name} layer with mlhier {_version()}"
            _git.commit_all(project, message, _author(project))
    return layers
