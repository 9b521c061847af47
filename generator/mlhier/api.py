"""mlhier's Python API: new project, add a layer, update, adopt. The CLI calls only these.

``new`` and ``add`` come in two steps: ``plan_*`` checks everything the user gave (paths,
layers, template, answer keys) without writing anything; ``generate``/``apply`` render it.
``new_project`` and ``add_layer`` do both.
"""

from __future__ import annotations

import re
import shutil
import tempfile
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from mlhier import _git, _status, _uv
from mlhier._adopt import Adoption, adopt, plan_adopt
from mlhier._answers import sort_answers
from mlhier._history import local_history, reading_from
from mlhier._migrations import Move
from mlhier._preset import (
    KEPT_PRESET,
    Kept,
    LayerValues,
    Preset,
    check_fixed,
    follow_in_kept_preset,
    read_kept_preset,
    read_preset,
    write_kept_preset,
)
from mlhier._questions import check_layers, check_template, cloned_layer_questions, layer_questions
from mlhier._render import (
    read_answers,
    recorded_commit,
    recorded_source,
    render_layer,
    set_recorded_source,
    update_layer,
)
from mlhier._source import UPSTREAM_URL, TemplateSource, bundled_source, user_source
from mlhier._staging import check_new_folder, staged
from mlhier._status import ProjectStatus
from mlhier.errors import DeclinedError, InvalidInputError, UpdateConflictError
from mlhier.layers import LADDER, Layer, applied_layers, get_layer, layer_below, layers_up_to

__all__ = [
    "Adoption",
    "Confirm",
    "LayerUpdate",
    "Move",
    "Plan",
    "Progress",
    "Summary",
    "add_layer",
    "adopt",
    "apply",
    "generate",
    "new_project",
    "plan_add",
    "plan_adopt",
    "plan_new",
    "pretend",
    "pretend_update",
    "project_status",
    "update_project",
]

Progress = Callable[[str], None]
"""Called with a short line before each step, for the CLI to show."""


@dataclass(frozen=True)
class Plan:
    """What ``new`` or ``add`` will do, checked: where, which layers, from where, which answers."""

    destination: Path
    layers: tuple[Layer, ...]
    source: TemplateSource
    answers: Mapping[str, Mapping[str, Any]]
    """The given answers of each layer, by layer name: a layer is passed only its own."""
    new: bool
    defaults: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    """A preset's defaults of each layer, by layer name: offered at the prompt, not fixed."""
    keep: Kept | None = None
    """What the project keeps of a preset for later layers; ``None`` leaves it as it is."""


@dataclass(frozen=True)
class Summary:
    """What was rendered and is about to land: files and recorded answers of each layer."""

    destination: Path
    files: Mapping[str, tuple[str, ...]]
    answers: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)

    @property
    def file_count(self) -> int:
        return sum(len(files) for files in self.files.values())


@dataclass(frozen=True)
class LayerUpdate:
    """What ``update_project`` did to one layer: its template version before and after."""

    layer: Layer
    before: str
    after: str
    committed: bool
    """Whether the update changed files and was committed."""
    files: tuple[str, ...] = ()
    """The paths it changed (git status), committed together."""
    moves: tuple[Move, ...] = ()
    """Files the newer template renamed (``templates/migrations.yml``), carried with the user's
    edits to their new path."""


Confirm = Callable[[Summary], bool]
"""Asked once everything is rendered and before it lands; ``False`` discards it."""


def _quiet(_: str) -> None:
    return None


def _version() -> str:
    from mlhier import __version__

    return __version__


def _upstream_answers(project: Path, target: Layer, *, below_only: bool = False) -> dict[str, Any]:
    """Answers of the layers already applied, as ``target`` re-declares them: ``<name>_<layer>``.

    A higher layer saves each upstream value as a question of its own (copier does not re-read
    ``_external_data`` on update), so mlhier answers those questions rather than let them default.
    ``below_only`` keeps to the layers under ``target`` (an update: ``target`` is applied too).
    """
    answers: dict[str, Any] = {}
    for layer in applied_layers(project):
        if below_only and LADDER.index(layer) >= LADDER.index(target):
            break
        answers.update(read_answers(project, layer))
    answers.pop("layer", None)
    return {f"{name}_{target.name}": value for name, value in answers.items()}


def _author(project: Path) -> tuple[str, str] | None:
    """The devops layer's author, who signs mlhier's commits where git has no identity."""
    answers = read_answers(project, get_layer("devops"))
    name, email = answers.get("author_name"), answers.get("author_email")
    return (str(name), str(email)) if name and email else None


def _lock(project: Path, shown: Path, progress: Progress) -> None:
    progress("locking the dependencies (uv lock)")
    for line in _uv.lock(project, shown):
        progress(f"warning: {line}")


def _files(root: Path) -> set[str]:
    """Every file under ``root`` outside ``.git``, relative and with ``/`` separators."""
    return {
        path.relative_to(root).as_posix()
        for path in root.rglob("*")
        if not path.is_dir() and ".git" not in path.relative_to(root).parts
    }


def _explain_folder_name(error: InvalidInputError, plan: Plan, layer: Layer) -> InvalidInputError:
    """``error``, with a hint when it refuses a project name the user may never have typed."""
    named = "project_name" in plan.answers.get(layer.name, {}) or not plan.new
    if named or not str(error).startswith("project_name"):
        return error
    hint = f"it defaults to the folder's name, {plan.destination.name!r}: "
    return InvalidInputError(str(error), f"{hint}pass --data project_name=...")


def _render(
    root: Path, plan: Plan, defaults: bool, progress: Progress
) -> dict[str, tuple[str, ...]]:
    """Render each layer of ``plan`` into ``root``; the files each one added, by layer name."""
    folder_name = {"project_name": plan.destination.name} if plan.new else {}
    added: dict[str, tuple[str, ...]] = {}
    for layer in plan.layers:
        progress(f"rendering the {layer.name} layer")
        before = _files(root)
        # Upstream answers win: a layer must agree with the layers it stands on.
        data = {**plan.answers.get(layer.name, {}), **_upstream_answers(root, layer)}
        # The folder's name is this project's own: it wins over a team's default.
        user_defaults = {**plan.defaults.get(layer.name, {}), **folder_name}
        try:
            render_layer(
                root, layer, plan.source, data=data, defaults=defaults, user_defaults=user_defaults
            )
        except InvalidInputError as error:
            explained = _explain_folder_name(error, plan, layer)
            if explained is error:
                raise
            raise explained from error
        added[layer.name] = tuple(sorted(_files(root) - before))
        progress(f"rendered the {layer.name} layer: {len(added[layer.name])} files")
    return added


def _summary(root: Path, plan: Plan, files: Mapping[str, tuple[str, ...]]) -> Summary:
    answers = {layer.name: read_answers(root, layer) for layer in plan.layers}
    for layer_answers in answers.values():
        layer_answers.pop("layer", None)
    return Summary(plan.destination, files, answers)


def _check_answers(
    data: Mapping[str, Any], source: TemplateSource, targets: tuple[Layer, ...]
) -> dict[str, dict[str, Any]]:
    return sort_answers(data, layer_questions(source), targets)


def _choose_source(
    source: TemplateSource | None, vcs_ref: str | None, preset: Preset | None
) -> TemplateSource:
    """The template to render: given, else the preset's (a team's fork), else the bundled one."""
    if source is not None:
        return source
    if preset is not None and preset.template is not None:
        return user_source(preset.template, vcs_ref or preset.vcs_ref)
    if vcs_ref is not None:
        raise InvalidInputError("--vcs-ref needs --template: the bundled copy has no history")
    return bundled_source(_version())


_NAMED = re.compile(r"\w+")


@contextmanager
def _scratch_with_answers(plan: Plan, prefix: str) -> Iterator[Path]:
    """A temporary folder outside the destination holding the project's answers files (for an
    ``add``: the layers below are read from them), deleted afterwards."""
    scratch = Path(tempfile.mkdtemp(prefix=prefix))
    try:
        if not plan.new:
            for below in applied_layers(plan.destination):
                shutil.copy2(plan.destination / below.answers_file, scratch)
        yield scratch
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


def _check_preset_values(
    plan: Plan, values: Mapping[Layer, LayerValues], preset: Preset, given: Mapping[str, Any]
) -> None:
    """Run copier's questions, validators included, over the preset's values; write nothing.

    copier validates what it is given as data, not a default it offers, and a layer above the
    plan is not rendered now: each layer from the plan's first up to the highest the preset
    answers is rendered in a scratch folder with the preset's values as data, writing only its
    answers file (which the next layer reads, as in a real render).
    """
    answered = [LADDER.index(layer) for layer, own in values.items() if own]
    highest = max(LADDER.index(plan.layers[-1]), *answered)
    with _scratch_with_answers(plan, "mlhier-preset-") as scratch:
        folder_name = {"project_name": plan.destination.name} if plan.new else {}
        for layer in LADDER[LADDER.index(plan.layers[0]) : highest + 1]:
            own = values.get(layer, LayerValues())
            data = {**own.defaults, **own.fixed, **plan.answers.get(layer.name, {})}
            data.update(_upstream_answers(scratch, layer))
            try:
                render_layer(
                    scratch,
                    layer,
                    plan.source,
                    data=data,
                    defaults=True,
                    user_defaults=folder_name,
                    answers_only=True,
                )
            except InvalidInputError as error:
                named = _NAMED.match(str(error))
                key = named.group(0) if named else ""
                from_preset = (key in own.defaults or key in own.fixed) and key not in given
                if from_preset or layer not in plan.layers:
                    raise InvalidInputError(f"{preset.label}: {error}", error.hint) from error
                explained = _explain_folder_name(error, plan, layer)
                if explained is error:
                    raise
                raise explained from error


def _with_preset(plan: Plan, preset: Preset, given: Mapping[str, Any]) -> Plan:
    """``plan`` with the preset's answers: fixed ones given, defaults offered, later ones kept."""
    questions = layer_questions(plan.source)
    if questions is None:  # copier clones a URL only when it renders: read its questions now
        questions = cloned_layer_questions(plan.source)
    values = preset.by_layer(questions)
    check_fixed(preset, given)
    # Sorted again: with a remote template, the plan could not sort them.
    given_by_layer = sort_answers(given, questions, plan.layers)
    answers = {
        layer.name: {**values[layer].fixed, **given_by_layer[layer.name]} for layer in plan.layers
    }
    defaults = {layer.name: dict(values[layer].defaults) for layer in plan.layers}
    top = LADDER.index(plan.layers[-1])
    later = {layer: own for layer, own in values.items() if LADDER.index(layer) > top and own}
    # The template actually rendered is kept (a --template wins over the preset's), unless it
    # is the bundled copy, which a later `mlhier add` renders anyway.
    template = None if plan.source.layered else plan.source.path
    planned = replace(plan, answers=answers, defaults=defaults, keep=Kept(template, later))
    _check_preset_values(planned, values, preset, given)
    return planned


def plan_new(
    path: Path,
    *,
    up_to: str = "devops",
    data: Mapping[str, Any] | None = None,
    source: TemplateSource | None = None,
    preset: Path | None = None,
    vcs_ref: str | None = None,
) -> Plan:
    """Check a ``new`` request without writing anything; ``InvalidInputError`` names the fault.

    ``preset`` (a YAML file, see ``mlhier._preset``) gives defaults and fixed answers for any
    layer, and may name the template; its values are checked through copier here.
    ``vcs_ref`` goes with the preset's template when ``source`` is not given.
    """
    destination = path.expanduser().resolve()
    layers = layers_up_to(up_to)
    check_new_folder(destination)
    team = read_preset(preset) if preset is not None else None
    source = _choose_source(source, vcs_ref, team)
    check_layers(source, layers)
    answers = _check_answers(data or {}, source, layers)
    plan = Plan(destination, layers, source, answers, new=True)
    return plan if team is None else _with_preset(plan, team, data or {})


def _render_confirm_lock(
    workdir: Path,
    final: Path,
    plan: Plan,
    defaults: bool,
    lock: bool,
    progress: Progress,
    confirm: Confirm | None,
) -> None:
    """Render the plan into ``workdir``, ask to go on, then lock; messages name ``final``."""
    files = _render(workdir, plan, defaults, progress)
    if confirm is not None and not confirm(_summary(workdir, plan, files)):
        raise DeclinedError("declined: nothing was written")
    if plan.keep is not None and write_kept_preset(workdir, plan.keep):
        progress(f"keeping the preset for the layers above in {KEPT_PRESET}")
    if lock:  # a layer may add a workspace member: the lock must include it
        _lock(workdir, final, progress)
    progress("committing")


def generate(
    plan: Plan,
    *,
    defaults: bool = False,
    lock: bool = True,
    progress: Progress = _quiet,
    confirm: Confirm | None = None,
) -> tuple[Layer, ...]:
    """Render a planned new project, lock, then commit it and move it into place.

    Everything is rendered in a hidden sibling folder first and moved into place at the end,
    so a failure, a declined confirmation or Ctrl-C at any step leaves nothing at the path.
    """
    destination = plan.destination
    with staged(destination) as staging:
        _render_confirm_lock(staging, destination, plan, defaults, lock, progress, confirm)
        _git.init_repo(staging)
        names = ", ".join(layer.name for layer in plan.layers)
        message = f"Generate the project with mlhier {_version()} (layers: {names})"
        _git.commit_all(staging, message, _author(staging))
    return plan.layers


def new_project(
    path: Path,
    *,
    up_to: str = "devops",
    data: Mapping[str, Any] | None = None,
    defaults: bool = False,
    source: TemplateSource | None = None,
    lock: bool = True,
    progress: Progress = _quiet,
    confirm: Confirm | None = None,
    preset: Path | None = None,
) -> tuple[Layer, ...]:
    """Render the ladder up to ``up_to`` into the new folder ``path``, lock, then commit it."""
    plan = plan_new(path, up_to=up_to, data=data, source=source, preset=preset)
    return generate(plan, defaults=defaults, lock=lock, progress=progress, confirm=confirm)


def _require_project(project: Path, option: str = "--path") -> None:
    if not project.exists():
        raise InvalidInputError(f"{option} {project} does not exist")
    if not project.is_dir():
        raise InvalidInputError(f"{option} {project} is a file, not a project folder")


def plan_add(
    project: Path,
    name: str,
    *,
    data: Mapping[str, Any] | None = None,
    source: TemplateSource | None = None,
    preset: Path | None = None,
    vcs_ref: str | None = None,
) -> Plan:
    """Check an ``add`` request without writing anything; ``InvalidInputError`` names the fault.

    The preset is ``preset`` if given, else the one the project keeps (``.mlhier-preset.yml``);
    either way the project keeps it afterwards for the layers still above. A template the
    preset names renders at the version the layer below records, unless ``vcs_ref`` says.
    """
    project = project.expanduser().resolve()
    layer = get_layer(name)
    below = layer_below(layer)
    if below is None:
        raise InvalidInputError(f"{layer.name} is the base layer: start with `mlhier new`")
    _require_project(project)
    applied = applied_layers(project)
    if layer in applied:
        raise InvalidInputError(
            f"the {layer.name} layer is already applied in {project}",
            "to bring it to a newer template: mlhier update",
        )
    if below not in applied:
        raise InvalidInputError(
            f"the {layer.name} layer needs the {below.name} layer below it: "
            f"{below.answers_file} is missing in {project}"
        )
    if not _git.is_repo(project):
        raise InvalidInputError(f"{project} is not a git repository")
    _git.require_clean(project)
    team = read_preset(preset) if preset is not None else read_kept_preset(project)
    below_version = recorded_commit(project, below) or None
    if team is not None and team.template is not None and vcs_ref is None:
        team = replace(team, vcs_ref=below_version)
    source = _choose_source(source, vcs_ref, team)
    answers = _check_answers(data or {}, source, (layer,))
    plan = Plan(project, (layer,), source, answers, new=False)
    return plan if team is None else _with_preset(plan, team, data or {})


def apply(
    plan: Plan,
    *,
    defaults: bool = False,
    lock: bool = True,
    progress: Progress = _quiet,
    confirm: Confirm | None = None,
) -> Layer:
    """Render a planned layer into its project, re-lock and commit; restore the tree on failure."""
    project = plan.destination
    (layer,) = plan.layers
    try:
        _render_confirm_lock(project, project, plan, defaults, lock, progress, confirm)
        message = f"Add the {layer.name} layer with mlhier {_version()}"
        _git.commit_all(project, message, _author(project))
    except BaseException:  # Ctrl-C during the lock too: the work tree goes back as it was
        _git.discard_untracked(project)
        raise
    return layer


def add_layer(
    project: Path,
    name: str,
    *,
    data: Mapping[str, Any] | None = None,
    defaults: bool = False,
    source: TemplateSource | None = None,
    lock: bool = True,
    progress: Progress = _quiet,
    confirm: Confirm | None = None,
    preset: Path | None = None,
) -> Layer:
    """Apply the layer ``name`` to a generated project whose work tree is clean, then commit."""
    plan = plan_add(project, name, data=data, source=source, preset=preset)
    return apply(plan, defaults=defaults, lock=lock, progress=progress, confirm=confirm)


def pretend(plan: Plan, *, defaults: bool = False, progress: Progress = _quiet) -> Summary:
    """Render ``plan`` in a temporary folder outside the destination, list it, delete it."""
    with _scratch_with_answers(plan, "mlhier-pretend-") as scratch:
        files = _render(scratch, plan, defaults, progress)
        return _summary(scratch, plan, files)


def update_project(
    project: Path,
    *,
    vcs_ref: str | None = None,
    template: str | None = None,
    progress: Progress = _quiet,
    history: Path | None = None,
) -> tuple[LayerUpdate, ...]:
    """Update every applied layer bottom-up, committing each that changed; stop at a conflict.

    Each layer is passed the current answers of the layers below it (after their own update),
    so a value a lower layer gained or changed reaches the layers that read it. ``template``
    (a git URL or a local repository: a mirror or a fork) replaces the recorded source for good.
    A layer recorded from the public repository updates from the template history mlhier
    carries (``history``: a git bundle; by default the one installed), with no network.
    """
    project = project.expanduser().resolve()
    layers = _updatable_layers(project)
    if template is not None:
        _follow(project, layers, user_source(template, vcs_ref).path, vcs_ref)
    with local_history(history) as local:
        if local is None:
            return tuple(_update_layers(project, layers, vcs_ref, progress))
        with reading_from(local, UPSTREAM_URL):
            return tuple(_update_layers(project, layers, vcs_ref, progress))


def _updatable_layers(project: Path) -> tuple[Layer, ...]:
    _require_project(project)
    layers = applied_layers(project)
    if not layers:
        raise InvalidInputError(
            f"{project} holds no .copier-answers.<layer>.yml: not generated by mlhier"
        )
    if not _git.is_repo(project):
        raise InvalidInputError(f"{project} is not a git repository")
    _git.require_clean(project)  # copier refuses a dirty tree; each layer below ends committed
    return layers


def pretend_update(
    project: Path,
    *,
    vcs_ref: str | None = None,
    template: str | None = None,
    progress: Progress = _quiet,
    history: Path | None = None,
) -> tuple[LayerUpdate, ...]:
    """What ``update_project`` would do, per layer, run on a clone of ``project``: writes nothing.

    The clone holds the project's last commit, which is all an update reads (the work tree
    must be clean).
    """
    project = project.expanduser().resolve()
    _updatable_layers(project)
    scratch = Path(tempfile.mkdtemp(prefix="mlhier-pretend-"))
    try:
        clone = scratch / project.name
        _git.clone(project, clone)
        return update_project(
            clone, vcs_ref=vcs_ref, template=template, progress=progress, history=history
        )
    except UpdateConflictError as error:
        said = str(error).replace(str(scratch / project.name), str(project))
        raise UpdateConflictError(
            said.replace(" left conflicts in ", " would leave conflicts in ", 1),
            "nothing was written: run `mlhier update`, then resolve the markers",
        ) from error
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


def _follow(project: Path, layers: tuple[Layer, ...], source: str, vcs_ref: str | None) -> None:
    """Record ``source`` (a mirror or a fork) as every layer's template, in a commit of its own.

    copier updates only a clean work tree, and reads both the old and the new version from the
    recorded source: the change is committed before the update.
    """
    check_template(TemplateSource(source, vcs_ref))
    for layer in layers:
        set_recorded_source(project / layer.answers_file, source)
    follow_in_kept_preset(project, source)
    if _git.changed_paths(project):
        _git.commit_all(project, f"Follow the template at {source}", _author(project))


def _update_layers(
    project: Path, layers: tuple[Layer, ...], vcs_ref: str | None, progress: Progress
) -> list[LayerUpdate]:
    if vcs_ref is not None:
        for source in {recorded_source(project, layer) for layer in layers}:
            check_template(TemplateSource(source, vcs_ref))
    done: list[LayerUpdate] = []
    for layer in layers:
        progress(f"updating the {layer.name} layer")
        upstream = _upstream_answers(project, layer, below_only=True)
        versions = update_layer(project, layer, vcs_ref=vcs_ref, data=upstream, progress=progress)
        conflicts = sorted({*_git.unmerged_paths(project), *versions.conflicts})
        if conflicts:
            raise UpdateConflictError(
                f"updating the {layer.name} layer left conflicts in {', '.join(conflicts)}",
                "resolve the markers, commit, then run `mlhier update` again",
            )
        changed = tuple(_git.changed_paths(project))
        committed = bool(changed)
        if committed:
            if versions.moved:
                message = (
                    f"Update the {layer.name} layer from {versions.before} to {versions.after}"
                    f" with mlhier {_version()}"
                )
            else:
                message = f"Bring the {layer.name} layer in step with the layers below it"
            _git.commit_all(project, message, _author(project))
        done.append(
            LayerUpdate(layer, versions.before, versions.after, committed, changed, versions.moves)
        )
    return done


def project_status(project: Path, *, history: Path | None = None) -> ProjectStatus:
    """Each applied layer's version and the newest available, and what would block an update.

    The newest version of a layer recorded from the public repository is read from the
    template history mlhier carries (``history``: a git bundle; by default the one installed).
    """
    project = project.expanduser().resolve()
    _require_project(project)
    if not applied_layers(project):
        raise InvalidInputError(
            f"{project} holds no .copier-answers.<layer>.yml: not generated by mlhier"
        )
    with local_history(history) as local:
        return _status.project_status(project, local)
