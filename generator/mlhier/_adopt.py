"""`mlhier adopt`: give a project without answers files back the ones `mlhier update` needs.

A project made by hand from an older mlhier, or whose ``.copier-answers.<layer>.yml`` were
lost, still holds what the template rendered. Its answers are read back from its files: each
layer is rendered with the answers known so far (defaults for the rest) and compared with the
project line by line; where a rendered line and the project's line differ only where a value
was rendered, the project's text at that place is that question's answer. The most frequent
reading wins, and rendering again with it brings derived defaults (a package name from the
project name) in line before the next round. The template version is the release whose render
differs least from the project. Only the answers files are written, in one commit.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import tempfile
from collections import Counter
from collections.abc import Callable, Iterator, Mapping
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from difflib import SequenceMatcher
from pathlib import Path
from typing import Any

from mlhier import _git
from mlhier._history import local_history
from mlhier._questions import is_remote
from mlhier._render import _record_source, read_answers, render_layer
from mlhier._source import UPSTREAM_URL, TemplateSource, _template_ref, bundled_source
from mlhier.errors import DeclinedError, GenerationError, InvalidInputError
from mlhier.layers import LADDER, Layer, applied_layers

__all__ = ["AdoptedLayer", "Adoption", "adopt", "plan_adopt"]

# Rounds of reading per layer: each round can only read values whose lines the earlier rounds
# made comparable, and two or three settle every template mlhier ships.
_ROUNDS = 4
# A layer is there when at least this share of the files it renders exist in the project.
_PRESENT = 0.5


@dataclass(frozen=True)
class AdoptedLayer:
    """One layer as it will be recorded: its answers and which of them were read from files."""

    layer: Layer
    answers: Mapping[str, Any]
    origins: Mapping[str, str]
    """Where each answer comes from: ``read`` from the project's files, ``below`` from the
    layer below, ``given`` by the user, else ``default`` (the question's default)."""
    answers_text: str
    """The answers file as copier writes it, before the source and version are recorded."""


@dataclass(frozen=True)
class Adoption:
    """What ``adopt`` will write: the layers found, their answers and the template version."""

    project: Path
    source: str
    """The template source recorded as ``_src_path``: where ``mlhier update`` reads from."""
    version: str
    """The template version recorded as ``_commit``: the release closest to the project."""
    layers: tuple[AdoptedLayer, ...]
    differing_lines: int
    """Lines of the project that differ from the chosen version's render (user edits)."""


@dataclass(frozen=True)
class _Candidate:
    ref: str
    folder: Path


Progress = Callable[[str], None]


def _quiet(_: str) -> None:
    return None


def _run_git(cwd: Path, *args: str) -> str:
    done = subprocess.run(["git", *args], cwd=cwd, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise GenerationError(f"git {' '.join(args)} failed in {cwd}: {done.stderr.strip()}")
    return done.stdout


def _export(repo: Path, ref: str, into: Path) -> Path:
    """The template files (copier.yml, templates/) of ``repo`` at ``ref``, as a plain folder."""
    into.mkdir(parents=True)
    archive = into.with_suffix(".tar")
    _run_git(repo, "archive", "--format=tar", f"--output={archive}", ref, "copier.yml", "templates")
    shutil.unpack_archive(archive, into, filter="data")
    archive.unlink()
    return into


def _tags(repo: Path) -> list[str]:
    """The repository's tags holding a layered template, oldest version first."""
    tags = _run_git(repo, "tag", "--list", "--sort=v:refname").split()
    probe = [f"{tag}:{part}" for tag in tags for part in ("copier.yml", "templates")]
    present = subprocess.run(
        ["git", "cat-file", "--batch-check"],
        cwd=repo,
        input="\n".join(probe) + "\n",
        capture_output=True,
        text=True,
        check=False,
    ).stdout.splitlines()
    found = [not line.endswith("missing") for line in present]
    return [tag for index, tag in enumerate(tags) if all(found[2 * index : 2 * index + 2])]


def _require_ref(repo: Path, ref: str, where: str) -> None:
    done = subprocess.run(
        ["git", "rev-parse", "--verify", "--quiet", f"{ref}^{{commit}}"],
        cwd=repo,
        capture_output=True,
        check=False,
    )
    if done.returncode != 0:
        raise InvalidInputError(f"--vcs-ref {ref} is not a tag or commit of {where}")


def _repository(template: str, scratch: Path) -> tuple[Path, str]:
    """A local repository of ``template`` and what to record as its source."""
    local = Path(template).expanduser()
    if local.exists():
        folder = local.resolve()
        if not (folder / ".git").exists():
            raise InvalidInputError(
                f"--template {folder} is not a git repository",
                "adopt records a release of the template: give its repository",
            )
        return folder, str(folder)
    if not is_remote(template):
        raise InvalidInputError(f"--template {template} does not exist")
    clone = scratch / "template"
    done = subprocess.run(
        ["git", "clone", "--quiet", "--bare", template, str(clone)],
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        raise GenerationError(f"cannot clone {template}: {done.stderr.strip()}")
    return clone, template


@contextmanager
def _candidates(
    template: str | None, vcs_ref: str | None, history: Path | None
) -> Iterator[tuple[str, list[_Candidate]]]:
    """The recorded source and the template versions the project may come from, oldest first."""
    from mlhier import __version__

    with ExitStack() as stack:
        scratch = Path(tempfile.mkdtemp(prefix="mlhier-adopt-"))
        stack.callback(shutil.rmtree, scratch, True)
        if template is not None:
            repo, recorded = _repository(template, scratch)
            extra: list[_Candidate] = []
        else:
            local = stack.enter_context(local_history(history))
            bundled = _Candidate(_template_ref(__version__), Path(bundled_source(__version__).path))
            if local is None:
                if vcs_ref is not None:
                    raise InvalidInputError("--vcs-ref needs --template: no template history here")
                yield UPSTREAM_URL, [bundled]
                return
            repo, recorded, extra = local, UPSTREAM_URL, [bundled]
        if vcs_ref is not None:
            _require_ref(repo, vcs_ref, template or "the template history")
            refs, extra = [vcs_ref], []
        else:
            refs = _tags(repo)
        if not refs and not extra:
            raise InvalidInputError(
                f"{template} has no release tag", "name the version: --vcs-ref REF"
            )
        exported = [
            _Candidate(ref, _export(repo, ref, scratch / f"v{index}"))
            for index, ref in enumerate(refs)
        ]
        yield recorded, exported + extra


def _text(path: Path) -> list[str] | None:
    try:
        return path.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError):
        return None


def _paired_lines(rendered: list[str], found: list[str]) -> Iterator[tuple[str, str]]:
    """Lines that differ between the render and the project, paired where they correspond."""
    matcher = SequenceMatcher(None, rendered, found, autojunk=False)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "replace":
            yield from zip(rendered[i1:i2], found[j1:j2], strict=False)


def _spans(line: str, values: list[tuple[str, str]]) -> list[tuple[int, int, str]]:
    """Where each value occurs in ``line``, longest values first, never overlapping."""
    spans: list[tuple[int, int, str]] = []
    for name, value in values:
        start = line.find(value)
        while start != -1:
            end = start + len(value)
            if all(end <= taken or start >= until for taken, until, _ in spans):
                spans.append((start, end, name))
            start = line.find(value, start + 1)
    return sorted(spans)


def _readings(
    rendered_line: str, project_line: str, values: list[tuple[str, str]]
) -> Iterator[tuple[str, str]]:
    """Each question's text in the project's line where the rendered line holds its value.

    The rendered line becomes a pattern: its own text literally, each value a group. A line
    holding several values (``name <email>``) is read in one go.
    """
    spans = _spans(rendered_line, values)
    if not spans:
        return
    pattern, position = "", 0
    for start, end, _ in spans:
        pattern += re.escape(rendered_line[position:start]) + "(.+?)"
        position = end
    pattern += re.escape(rendered_line[position:])
    matched = re.fullmatch(pattern, project_line)
    if matched is None:
        return
    for (_, _, name), reading in zip(spans, matched.groups(), strict=True):
        if reading.strip() == reading:
            yield name, reading


def _typed(reading: str, like: object) -> str | int | None:
    """``reading`` as the type of the question's current value; ``None`` if it is not one."""
    if isinstance(like, bool):
        return None
    if isinstance(like, int):
        return int(reading) if reading.isdigit() else None
    return reading if isinstance(like, str) else None


def _read_values(
    scratch: Path, project: Path, files: list[str], open_answers: Mapping[str, Any]
) -> dict[str, Any]:
    """The most frequent reading of each open question across the layer's differing lines."""
    votes: dict[str, Counter[Any]] = {name: Counter() for name in open_answers}
    # Longer values first: "demo maintainers" is read before the "demo" it contains.
    values = sorted(
        ((name, str(value)) for name, value in open_answers.items() if len(str(value)) >= 2),
        key=lambda item: -len(item[1]),
    )
    for relative in files:
        rendered, found = _text(scratch / relative), _text(project / relative)
        if rendered is None or found is None:
            continue
        for rendered_line, project_line in _paired_lines(rendered, found):
            for name, reading in _readings(rendered_line, project_line, values):
                typed = _typed(reading, open_answers[name])
                if typed is not None and typed != open_answers[name]:
                    votes[name][typed] += 1
    return {name: counted.most_common(1)[0][0] for name, counted in votes.items() if counted}


def _files(root: Path) -> set[str]:
    return {
        path.relative_to(root).as_posix()
        for path in root.rglob("*")
        if path.is_file() and ".git" not in path.relative_to(root).parts
    }


def _differing_lines(scratch: Path, project: Path, files: list[str]) -> int:
    """How many lines of the render the project lacks or holds otherwise."""
    count = 0
    for relative in files:
        rendered, found = _text(scratch / relative), _text(project / relative)
        if rendered is None:
            continue
        if found is None:
            count += len(rendered)
            continue
        matcher = SequenceMatcher(None, rendered, found, autojunk=False)
        count += sum(
            max(i2 - i1, j2 - j1) for tag, i1, i2, j1, j2 in matcher.get_opcodes() if tag != "equal"
        )
    return count


@dataclass(frozen=True)
class _Reading:
    adopted: AdoptedLayer
    present: float
    differing_lines: int


def _render_with(
    scratch: Path, layer: Layer, folder: Path, data: dict[str, Any], removable: set[str]
) -> None:
    """Render ``layer`` with ``data``, dropping an answer read from files that a rule refuses."""
    while True:
        try:
            render_layer(
                scratch,
                layer,
                TemplateSource(str(folder), layered=True),
                data=data,
                defaults=True,
                user_defaults={},
            )
            return
        except InvalidInputError as error:
            refused = next((name for name in removable if str(error).startswith(name)), None)
            if refused is None:
                raise
            removable.discard(refused)
            del data[refused]


def _variant(value: str, step: int) -> str:
    """``value`` with its last letter or digit moved ``step`` places: still valid, now distinct."""
    for index in range(len(value) - 1, -1, -1):
        char = value[index]
        if char.isdigit():
            moved = str((int(char) + step) % 10)
        elif "a" <= char.lower() <= "z":
            shifted = chr((ord(char.lower()) - ord("a") + step) % 26 + ord("a"))
            moved = shifted.upper() if char.isupper() else shifted
        else:
            continue
        return value[:index] + moved + value[index + 1 :]
    return value


def _probes(open_answers: Mapping[str, Any]) -> dict[str, str]:
    """Distinct stand-ins for questions whose current values coincide.

    Questions defaulting to one another (each environment's account to the tooling account, the
    repository to the project name) render the same text: a reading could not tell them apart.
    """
    by_value: dict[str, list[str]] = {}
    for name, value in open_answers.items():
        if isinstance(value, str) and len(value) >= 2:
            by_value.setdefault(value, []).append(name)
    return {
        name: _variant(value, step)
        for value, names in by_value.items()
        if len(names) > 1
        for step, name in enumerate(names, start=1)
    }


def _render_fresh(
    scratch: Path,
    layer: Layer,
    folder: Path,
    below: Mapping[str, str],
    data: dict[str, Any],
    removable: set[str],
) -> dict[str, Any]:
    """A new render of ``layer`` in ``scratch`` (the layer below in place); its answers."""
    shutil.rmtree(scratch, ignore_errors=True)
    scratch.mkdir()
    for name, text in below.items():  # the layer below, as a render would find it
        (scratch / name).write_text(text, encoding="utf-8")
    _render_with(scratch, layer, folder, data, removable)
    return read_answers(scratch, layer)


def _read_layer(
    project: Path,
    layer: Layer,
    folder: Path,
    upstream: Mapping[str, Any],
    given: Mapping[str, Any],
    below: Mapping[str, str],
) -> _Reading:
    """Render ``layer`` from ``folder`` round after round, reading its answers from ``project``."""
    read: dict[str, Any] = {}
    unreadable: set[str] = set()  # tied questions whose stand-ins a rule refused
    with tempfile.TemporaryDirectory(prefix=f"mlhier-adopt-{layer.name}-") as temporary:
        scratch = Path(temporary) / "render"
        for _ in range(_ROUNDS):
            removable = set(read)
            data = {**read, **given, **upstream}
            answers = _render_fresh(scratch, layer, folder, below, data, removable)
            read = {name: value for name, value in read.items() if name in removable}
            known = {*read, *given, *upstream, *unreadable, "layer"}
            open_answers = {name: value for name, value in answers.items() if name not in known}
            probes = _probes(open_answers)
            if probes:
                try:
                    probed = {**data, **probes}
                    answers = _render_fresh(scratch, layer, folder, below, probed, set())
                except InvalidInputError:
                    unreadable.update(probes)
                    continue
                open_answers = {name: answers[name] for name in open_answers}
            files = sorted(_files(scratch) - set(below) - {layer.answers_file})
            more = _read_values(scratch, project, files, open_answers)
            if not more:
                break
            read.update(more)
        removable = set(read)
        answers = _render_fresh(
            scratch, layer, folder, below, {**read, **given, **upstream}, removable
        )
        files = sorted(_files(scratch) - set(below) - {layer.answers_file})
        answers.pop("layer", None)
        origins = {
            name: "given"
            if name in given
            else "below"
            if name in upstream
            else "read"
            if name in removable
            else "default"
            for name in answers
        }
        text = (scratch / layer.answers_file).read_text(encoding="utf-8")
        present = sum((project / name).is_file() for name in files) / max(len(files), 1)
        adopted = AdoptedLayer(layer, answers, origins, text)
        return _Reading(adopted, present, _differing_lines(scratch, project, files))


def _given_by_layer(
    given: Mapping[str, Any], readings: Mapping[str, Mapping[str, Any]]
) -> dict[str, dict[str, Any]]:
    """The user's ``--data`` answers sorted to the layer that asks each question."""
    sorted_given: dict[str, dict[str, Any]] = {}
    for name, value in given.items():
        owner = next((layer for layer, answers in readings.items() if name in answers), None)
        if owner is None:
            raise InvalidInputError(f"--data {name}: no layer found in the project asks it")
        sorted_given.setdefault(owner, {})[name] = value
    return sorted_given


def _read_project(
    project: Path, candidate: _Candidate, given: Mapping[str, Mapping[str, Any]]
) -> tuple[list[_Reading], int]:
    """The layers of ``project`` as ``candidate`` renders them, bottom-up, and their distance."""
    readings: list[_Reading] = []
    below: dict[str, str] = {}
    upstream_answers: dict[str, Any] = {}
    for layer in LADDER:
        if not layer.shipped or not (candidate.folder / "templates" / layer.name).is_dir():
            break
        upstream = {f"{name}_{layer.name}": value for name, value in upstream_answers.items()}
        reading = _read_layer(
            project, layer, candidate.folder, upstream, given.get(layer.name, {}), below
        )
        if reading.present < _PRESENT:
            break
        readings.append(reading)
        below[layer.answers_file] = reading.adopted.answers_text
        upstream_answers.update(reading.adopted.answers)
    return readings, sum(reading.differing_lines for reading in readings)


def _require_adoptable(project: Path) -> None:
    if not project.is_dir():
        raise InvalidInputError(f"--path {project} is not a project folder")
    if not _git.is_repo(project):
        raise InvalidInputError(f"{project} is not a git repository", "git init and commit first")
    applied = applied_layers(project)
    if applied:
        names = ", ".join(layer.answers_file for layer in applied)
        raise InvalidInputError(
            f"{project} is already adopted: it holds {names}",
            "to bring it to a newer template: mlhier update",
        )
    _git.require_clean(project)


def plan_adopt(
    project: Path,
    *,
    template: str | None = None,
    vcs_ref: str | None = None,
    data: Mapping[str, Any] | None = None,
    history: Path | None = None,
    progress: Progress = _quiet,
) -> Adoption:
    """Read the layers, answers and template version of ``project``; write nothing.

    ``template`` is the template's git repository (a folder or URL; by default the templates
    mlhier carries, recorded as the public repository), ``vcs_ref`` the version to record
    instead of the closest release, ``data`` answers the user gives instead of reading them.
    """
    project = project.expanduser().resolve()
    _require_adoptable(project)
    best: tuple[int, str, list[_Reading]] | None = None
    with _candidates(template, vcs_ref, history) as (source, candidates):
        failed: GenerationError | None = None
        for candidate in candidates:
            progress(f"reading the project against the template at {candidate.ref}")
            try:
                readings, _ = _read_project(project, candidate, {})
                if data and readings:
                    answers = {r.adopted.layer.name: r.adopted.answers for r in readings}
                    readings, _ = _read_project(project, candidate, _given_by_layer(data, answers))
            except GenerationError as error:  # an old release this copier cannot render
                progress(f"skipped {candidate.ref}: {error}")
                failed = error
                continue
            distance = sum(reading.differing_lines for reading in readings)
            if readings and (best is None or distance < best[0]):
                best = (distance, candidate.ref, readings)
    if best is None and failed is not None:
        raise failed
    if best is None:
        raise InvalidInputError(
            f"{project} holds no layer mlhier recognises: too few of the files a layer renders",
            "generate a new project: mlhier new",
        )
    distance, version, readings = best
    layers = tuple(reading.adopted for reading in readings)
    return Adoption(project, source, version, layers, distance)


def adopt(adoption: Adoption, *, confirm: Callable[[Adoption], bool] | None = None) -> None:
    """Write the answers files ``adoption`` holds and commit them, nothing else."""
    project = adoption.project
    if confirm is not None and not confirm(adoption):
        raise DeclinedError("declined: nothing was written")
    _git.require_clean(project)  # it may have changed while the user read the answers
    written: list[Path] = []
    try:
        for adopted in adoption.layers:
            path = project / adopted.layer.answers_file
            path.write_text(adopted.answers_text, encoding="utf-8")
            written.append(path)
            _record_source(path, adoption.source, adoption.version)
        names = ", ".join(adopted.layer.name for adopted in adoption.layers)
        message = f"Adopt the project into mlhier templates {adoption.version} (layers: {names})"
        _git.commit_all(project, message, _author(adoption))
    except BaseException:
        for path in written:
            path.unlink(missing_ok=True)
        raise


def _author(adoption: Adoption) -> tuple[str, str] | None:
    """The devops layer's author, who signs the commit where git has no identity."""
    devops = adoption.layers[0].answers
    name, email = devops.get("author_name"), devops.get("author_email")
    return (str(name), str(email)) if name and email else None
