"""copier orchestration, one layer at a time. The only module that imports copier."""

from __future__ import annotations

import re
import warnings
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING, Any

from mlhier._migrations import Move, check_moves, read_moves
from mlhier._source import TemplateSource
from mlhier.errors import GenerationError, InvalidInputError
from mlhier.layers import Layer

if TYPE_CHECKING:  # copier is imported when it runs, not with mlhier
    from copier._main import Worker
    from copier._template import Template

__all__ = [
    "LayerVersions",
    "read_answers",
    "recorded_commit",
    "recorded_source",
    "render_layer",
    "set_recorded_source",
    "update_layer",
]


_FAILED_VALIDATOR = re.compile(
    r"Validation error for question '(?P<name>\w+)': (?P<message>.*)", re.S
)


def _answer_message(message: str) -> str:
    """copier's validator failure as the validator says it, led by the question's name."""
    failed = _FAILED_VALIDATOR.fullmatch(message.strip())
    if failed is None:
        return message
    name, said = failed["name"], failed["message"].strip()
    return said if said.startswith(name) else f"{name}: {said}"


@contextmanager
def _copier_errors() -> Iterator[None]:
    """Turn copier's exceptions into mlhier's family, keeping copier's own message."""
    from copier.errors import CopierError, UserMessageError
    from jinja2 import TemplateError

    with warnings.catch_warnings():
        # Rendering the working tree of a checkout is deliberate; the layer below may be absent.
        warnings.filterwarnings("ignore", message=".*[Dd]irty template.*")
        warnings.filterwarnings("ignore", message="File not found; returning empty dict.*")
        try:
            yield
        # copier reports a failed validator as ValueError, a bad request as UserMessageError
        except (ValueError, UserMessageError) as error:
            raise InvalidInputError(_answer_message(str(error))) from error
        except KeyboardInterrupt:  # Ctrl-C at a prompt: CopierAnswersInterrupt is a CopierError too
            raise
        except CopierError as error:
            raise GenerationError(f"copier failed: {error}") from error
        except TemplateError as error:
            raise GenerationError(f"the template does not render: {error!r}") from error


def render_layer(
    destination: Path,
    layer: Layer,
    source: TemplateSource,
    *,
    data: Mapping[str, Any],
    defaults: bool,
    user_defaults: Mapping[str, Any],
    answers_only: bool = False,
) -> None:
    """Render ``layer`` into ``destination`` and record a source that later updates can use.

    ``answers_only`` writes the answers file alone: copier still asks and validates every
    question, which is how mlhier checks answers for a layer it does not render yet.
    """
    # copier matches exclusions against the paths it writes, gitignore-style.
    exclude = ("*", f"!{layer.answers_file}") if answers_only else ()
    if source.layered:
        from mlhier._view import layer_view

        fresh = not (destination / ".git").exists()
        with layer_view(Path(source.path), layer.name) as view, _without_git_probes(fresh):
            _copy_layer(
                destination,
                layer,
                str(view),
                None,
                data,
                defaults,
                user_defaults,
                # The bundled template's own `_answers_file`, given literally: copier renders
                # the setting again for every part of every path it writes.
                answers_file=layer.answers_file,
                exclude=exclude,
            )
    else:
        _copy_layer(
            destination,
            layer,
            source.path,
            source.vcs_ref,
            data,
            defaults,
            user_defaults,
            exclude=exclude,
        )
    if source.record is not None and not answers_only:
        _record_source(destination / layer.answers_file, *source.record)


def _copy_layer(
    destination: Path,
    layer: Layer,
    src_path: str,
    vcs_ref: str | None,
    data: Mapping[str, Any],
    defaults: bool,
    user_defaults: Mapping[str, Any],
    answers_file: str | None = None,
    exclude: tuple[str, ...] = (),
) -> None:
    from copier import run_copy

    with _copier_errors():
        run_copy(
            src_path,
            destination,
            data={**data, "layer": layer.name},
            answers_file=answers_file,
            user_defaults=dict(user_defaults),
            defaults=defaults,
            vcs_ref=vcs_ref,
            exclude=exclude,
            quiet=True,
        )


def _git_unavailable() -> bool:
    return False


@contextmanager
def _without_git_probes(active: bool) -> Iterator[None]:
    """Spare copier's git processes whose answers mlhier knows, while rendering a view.

    copier asks git whether a local template folder is a repository or a bundle (three
    processes per render) and, after each file it writes, reads ``core.fileMode`` where it
    writes (one process per file) to correct the mode of files git already tracks there. A view
    is a plain folder, and in a destination that is not a repository yet (``new`` renders into
    a fresh folder) nothing is tracked: both answers are known. copier offers no setting for
    this (docs/performance.md), so its ``is_git_available`` says no for the render's duration.
    """
    import copier._main
    import copier._template

    modules = [copier._main, copier._template] if active else []
    patched = [module for module in modules if hasattr(module, "is_git_available")]
    saved = [module.is_git_available for module in patched]
    for module in patched:
        setattr(module, "is_git_available", _git_unavailable)  # noqa: B010
    try:
        yield
    finally:
        for module, original in zip(patched, saved, strict=True):
            setattr(module, "is_git_available", original)  # noqa: B010


@dataclass(frozen=True)
class LayerVersions:
    """The template version a layer was at before an update and the one it is at after."""

    before: str
    after: str
    moves: tuple[Move, ...] = ()
    """Files the newer template renamed, whose content was carried to the new path."""
    conflicts: tuple[str, ...] = ()
    """Moved files whose user edits and template changes overlap: conflict markers left."""

    @property
    def moved(self) -> bool:
        return self.before != self.after


def update_layer(
    project: Path,
    layer: Layer,
    *,
    vcs_ref: str | None,
    data: Mapping[str, Any],
    progress: Callable[[str], None] | None = None,
) -> LayerVersions:
    """Bring ``layer`` to the template's newer version with copier's three-way merge.

    ``data`` answers questions anew (the upstream values a layer re-declares). When the template
    commit is the one already recorded, the recorded ``_commit`` is kept as it was written: copier
    would otherwise rewrite the same version in another spelling (a tag, a short or long hash).
    Files the newer template moved (``templates/migrations.yml``) take the user's edits along.
    """
    from copier._main import Worker  # run_update cleans up before the commits can be compared

    answers_file = project / layer.answers_file
    recorded = _recorded_commit(answers_file)
    with (
        _copier_errors(),
        Worker(
            dst_path=project,
            answers_file=Path(layer.answers_file),
            vcs_ref=vcs_ref,
            data=dict(data),
            defaults=True,
            overwrite=True,
            conflict="inline",
            quiet=True,
        ) as worker,
    ):
        say = progress or _silent
        moves = _planned_moves(project, layer, worker, say)
        # The user's side of each moved file, read before copier deletes its old path.
        edited = {move: (project / move.source).read_bytes() for move in moves}
        worker.run_update()
        conflicts = _carry_moves(project, layer, worker, edited, say)
        previous = worker.subproject.template
        same_commit = previous is not None and previous.commit_hash == worker.template.commit_hash
        newest = worker.template.commit or recorded
    if same_commit:
        _write_commit(answers_file, recorded)
        return LayerVersions(recorded, recorded)
    return LayerVersions(recorded, newest, moves, conflicts)


def _silent(_: str) -> None:
    return None


def _version(template: Template | None) -> str | None:
    version = template.version if template is not None else None
    return str(version) if version is not None else None


def _planned_moves(
    project: Path, layer: Layer, worker: Worker, progress: Callable[[str], None]
) -> tuple[Move, ...]:
    """The moves the newer template lists for ``layer`` since the recorded version."""
    previous = worker.subproject.template
    moves = read_moves(
        Path(worker.template.local_abspath),
        layer.name,
        after=_version(previous),
        up_to=_version(worker.template),
        answers=worker.subproject.last_answers,
    )
    to_make, skipped = check_moves(project, moves)
    for reason in skipped:
        progress(f"{layer.name}: {reason}")
    return to_make


def _carry_moves(
    project: Path,
    layer: Layer,
    worker: Worker,
    edited: Mapping[Move, bytes],
    progress: Callable[[str], None],
) -> tuple[str, ...]:
    """Merge each moved file's user edits into its new path; the paths left with conflicts.

    Three-way, as copier merges a file that stays put: the old template's render of the old
    path is the base, the user's file one side, the new template's render of the new path the
    other. A file the new template no longer renders at all arrives as the user left it.
    """
    if not edited:
        return ()
    import subprocess
    import tempfile

    conflicts: list[str] = []
    with tempfile.TemporaryDirectory(prefix="mlhier-moves-") as scratch:
        bases = _render_old(worker, layer, [move.source for move in edited], Path(scratch) / "old")
        for move, mine in edited.items():
            target = project / move.target
            target.parent.mkdir(parents=True, exist_ok=True)
            base = bases / move.source
            if not target.is_file() or not base.is_file():
                target.write_bytes(mine)
            else:
                ours = Path(scratch) / "yours"
                ours.write_bytes(mine)
                labels = ["-L", "before updating", "-L", "last update", "-L", "after updating"]
                merged = subprocess.run(
                    ["git", "merge-file", "-p", *labels, str(ours), str(base), str(target)],
                    capture_output=True,
                    check=False,
                )
                if merged.returncode < 0 or merged.returncode > 127:
                    raise GenerationError(f"git merge-file failed on {move.target}")
                target.write_bytes(merged.stdout)
                if merged.returncode:
                    conflicts.append(move.target)
            (project / move.source).unlink(missing_ok=True)
            progress(
                f"{layer.name}: moved {move.source} to {move.target}"
                f" (renamed in template {move.version}), with your edits"
            )
    return tuple(conflicts)


def _render_old(worker: Worker, layer: Layer, paths: list[str], destination: Path) -> Path:
    """Render only ``paths`` of the version the layer was at, with its recorded answers."""
    from copier import run_copy

    keep: set[str] = set()
    for path in paths:
        parts = PurePosixPath(path).parts
        keep.update("/".join(parts[: index + 1]) for index in range(len(parts)))
    previous = worker.subproject.template
    if previous is None:  # moves are chosen only from a recorded version: never reached
        raise GenerationError(f"{worker.subproject.answers_relpath} records no template version")
    answers = {k: v for k, v in worker.subproject.last_answers.items() if not k.startswith("_")}
    run_copy(
        str(previous.local_abspath),
        destination,
        data={**answers, "layer": layer.name},
        defaults=True,
        quiet=True,
        vcs_ref="HEAD",  # the checkout copier made of the recorded version
        exclude=["*", *(f"!{path}" for path in sorted(keep))],
    )
    return destination


def recorded_commit(project: Path, layer: Layer) -> str:
    """The template version (``_commit``) that ``layer``'s answers file records in ``project``."""
    return _recorded_commit(project / layer.answers_file)


def _recorded_commit(answers_file: Path) -> str:
    import yaml

    try:
        loaded = yaml.safe_load(answers_file.read_text(encoding="utf-8")) or {}
    except (OSError, yaml.YAMLError) as error:
        raise InvalidInputError(f"cannot read {answers_file}: {error}") from error
    commit = loaded.get("_commit") if isinstance(loaded, dict) else None
    return str(commit) if commit is not None else ""


def _write_commit(answers_file: Path, commit: str) -> None:
    """Put back the ``_commit`` line as it was, leaving the rest of the file as copier wrote it."""
    import yaml

    recorded = yaml.safe_dump({"_commit": commit}, sort_keys=False)
    lines = answers_file.read_text(encoding="utf-8").splitlines(keepends=True)
    kept = [recorded if line.startswith("_commit:") else line for line in lines]
    answers_file.write_text("".join(kept), encoding="utf-8")


def read_answers(project: Path, layer: Layer) -> dict[str, Any]:
    """The answers ``layer`` recorded in ``project``, without copier's private ``_`` keys."""
    import yaml

    path = project / layer.answers_file
    try:
        loaded = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except (OSError, yaml.YAMLError) as error:
        raise InvalidInputError(f"cannot read {path}: {error}") from error
    if not isinstance(loaded, dict):
        raise InvalidInputError(f"{path} is not a mapping of answers")
    return {key: value for key, value in loaded.items() if not str(key).startswith("_")}


def recorded_source(project: Path, layer: Layer) -> str:
    """The template source (``_src_path``) that ``layer``'s answers file records in ``project``."""
    import yaml

    path = project / layer.answers_file
    try:
        loaded = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except (OSError, yaml.YAMLError) as error:
        raise InvalidInputError(f"cannot read {path}: {error}") from error
    source = loaded.get("_src_path") if isinstance(loaded, dict) else None
    if not isinstance(source, str):
        raise InvalidInputError(f"{path} records no template source (_src_path)")
    return source


def set_recorded_source(answers_file: Path, src_path: str) -> None:
    """Rewrite only the ``_src_path`` line of ``answers_file``: where later updates come from."""
    import yaml

    recorded = yaml.safe_dump({"_src_path": src_path}, sort_keys=False, width=10_000)
    lines = answers_file.read_text(encoding="utf-8").splitlines(keepends=True)
    kept = [recorded if line.startswith("_src_path:") else line for line in lines]
    answers_file.write_text("".join(kept), encoding="utf-8")


def _record_source(answers_file: Path, src_path: str, commit: str) -> None:
    """Point ``_src_path``/``_commit`` at the upstream repository, keeping the file's comments."""
    import yaml

    lines = answers_file.read_text(encoding="utf-8").splitlines(keepends=True)
    header = [line for line in lines if line.startswith("#")]
    body = [line for line in lines if not line.startswith(("#", "_src_path:", "_commit:"))]
    recorded = yaml.safe_dump({"_commit": commit, "_src_path": src_path}, sort_keys=False)
    answers_file.write_text("".join([*header, recorded, *body]), encoding="utf-8")
