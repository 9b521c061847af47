"""The questions each layer asks, read from ``templates/<layer>/questions.yml`` of a template.

mlhier reads them before copier runs, so a wrong ``--data`` key is refused before anything is
rendered. Only a template on this machine can be read: a remote git URL is cloned by copier
itself, later, so its keys are left to copier.
"""

from __future__ import annotations

import subprocess
import tempfile
from collections.abc import Mapping
from pathlib import Path

from mlhier._source import TemplateSource
from mlhier.errors import GenerationError, InvalidInputError
from mlhier.layers import LADDER, Layer

__all__ = ["check_template", "cloned_layer_questions", "is_remote", "layer_questions"]

_REMOTE_PREFIXES = ("gh:", "gl:", "git@", "git+", "http://", "https://", "ssh://", "file://")


def is_remote(src: str) -> bool:
    """Whether ``src`` names a git repository copier has to clone rather than a local folder."""
    return src.startswith(_REMOTE_PREFIXES)


def _git_show(repo: Path, ref: str, relative: str) -> str | None:
    done = subprocess.run(
        ["git", "show", f"{ref}:{relative}"], cwd=repo, capture_output=True, text=True, check=False
    )
    return done.stdout if done.returncode == 0 else None


def _ref_exists(repo: Path, ref: str) -> bool:
    done = subprocess.run(
        ["git", "rev-parse", "--verify", "--quiet", f"{ref}^{{commit}}"],
        cwd=repo,
        capture_output=True,
        check=False,
    )
    return done.returncode == 0


def _reads_history(source: TemplateSource) -> bool:
    # "HEAD" is how mlhier renders a checkout's working tree (dirty files included).
    return source.vcs_ref not in (None, "HEAD")


def check_template(source: TemplateSource) -> Path | None:
    """The local folder of ``source`` after checking it is a copier template; ``None`` if remote."""
    if is_remote(source.path):
        return None
    folder = Path(source.path)
    if not folder.exists():
        raise InvalidInputError(
            f"--template {source.path} does not exist", "give a folder or a git URL"
        )
    if not folder.is_dir():
        raise InvalidInputError(f"--template {source.path} is a file, not a template folder")
    if _reads_history(source):
        ref = str(source.vcs_ref)
        if not (folder / ".git").exists():
            raise InvalidInputError(
                f"--vcs-ref {ref}: {folder} is not a git repository", "drop --vcs-ref"
            )
        if not _ref_exists(folder, ref):
            raise InvalidInputError(f"--vcs-ref {ref} is not a tag or commit of {folder}")
        if _git_show(folder, ref, "copier.yml") is None:
            raise InvalidInputError(f"--template {folder} has no copier.yml at {ref}")
    elif not (folder / "copier.yml").is_file():
        what = "is empty" if not any(folder.iterdir()) else "has no copier.yml"
        raise InvalidInputError(f"--template {folder} {what}: not a copier template")
    return folder


def _question_names(text: str, where: str) -> tuple[str, ...]:
    import yaml

    # libyaml's loader where PyYAML has it: about ten times faster than the pure-Python one.
    base: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

    class _Loader(base):  # type: ignore[valid-type,misc]
        """Only the names matter: a tag copier understands (``!include``...) reads as nothing."""

    _Loader.add_multi_constructor("!", lambda *_: None)
    try:
        # Several documents are allowed, as in copier.yml; the questions are their keys.
        documents = list(yaml.load_all(text, Loader=_Loader))
    except yaml.YAMLError as error:
        raise GenerationError(f"the template's {where} is not valid YAML") from error
    names: list[str] = []
    for document in documents:
        if document is None:
            continue
        if not isinstance(document, Mapping):
            raise GenerationError(f"the template's {where} is not a mapping of questions")
        names.extend(str(name) for name in document)
    return tuple(names)


def check_layers(source: TemplateSource, targets: tuple[Layer, ...]) -> None:
    """``InvalidInputError`` when a local template lacks one of ``targets`` (a fork, an old tag)."""
    folder = check_template(source)
    if folder is None:
        return
    present = [
        layer
        for layer in targets
        if (
            _git_show(folder, str(source.vcs_ref), f"templates/{layer.name}/questions.yml")
            is not None
            if _reads_history(source)
            else (folder / "templates" / layer.name / "project").is_dir()
        )
    ]
    missing = [layer for layer in targets if layer not in present]
    if missing and present:
        raise InvalidInputError(
            f"the template has no {missing[0].name} layer (templates/{missing[0].name}/)",
            f"pass --up-to {present[-1].name}",
        )


def _questions_in(folder: Path, ref: str | None) -> dict[Layer, tuple[str, ...]]:
    """Each shipped layer's question names in ``folder``: at ``ref``, else its working tree."""
    questions: dict[Layer, tuple[str, ...]] = {}
    for layer in LADDER:
        if not layer.shipped:
            continue
        relative = f"templates/{layer.name}/questions.yml"
        if ref is not None:
            text = _git_show(folder, ref, relative)
        else:
            path = folder / relative
            text = path.read_text(encoding="utf-8") if path.is_file() else None
        questions[layer] = _question_names(text, relative) if text is not None else ()
    return questions


def layer_questions(source: TemplateSource) -> dict[Layer, tuple[str, ...]] | None:
    """Each shipped layer's question names, or ``None`` when the template is a remote URL."""
    folder = check_template(source)
    if folder is None:
        return None
    return _questions_in(folder, str(source.vcs_ref) if _reads_history(source) else None)


def _newest_tag(repo: Path) -> str:
    """The tag copier renders when given no ref: the highest PEP 440 release, else ``HEAD``."""
    from packaging.version import InvalidVersion, Version

    releases: list[tuple[Version, str]] = []
    listed = subprocess.run(
        ["git", "tag", "--list"], cwd=repo, capture_output=True, text=True, check=False
    )
    for tag in listed.stdout.split():
        try:
            version = Version(tag)
        except InvalidVersion:
            continue
        if not version.is_prerelease:
            releases.append((version, tag))
    return max(releases)[1] if releases else "HEAD"


_SHORTHANDS = {"gh:": "https://github.com/", "gl:": "https://gitlab.com/"}


def _git_url(src: str) -> str:
    """``src`` as git itself takes it: copier's ``git+`` prefix and shorthands undone."""
    for short, long in _SHORTHANDS.items():
        if src.startswith(short):
            return long + src.removeprefix(short)
    return src.removeprefix("git+")


def cloned_layer_questions(source: TemplateSource) -> dict[Layer, tuple[str, ...]]:
    """Each shipped layer's question names in a remote template, read from a bare clone.

    copier clones a URL itself when it renders; a preset's answers must be sorted into layers
    before that, so the template is cloned once more here, into a folder deleted afterwards.
    """
    with tempfile.TemporaryDirectory(prefix="mlhier-questions-") as scratch:
        repo = Path(scratch) / "template.git"
        cloned = subprocess.run(
            ["git", "clone", "--quiet", "--bare", _git_url(source.path), str(repo)],
            capture_output=True,
            text=True,
            check=False,
        )
        if cloned.returncode != 0:
            said = (cloned.stderr.strip().splitlines() or ["git clone failed"])[-1]
            raise InvalidInputError(f"template {source.path} cannot be cloned: {said}")
        ref = source.vcs_ref or _newest_tag(repo)
        if not _ref_exists(repo, ref):
            raise InvalidInputError(f"--vcs-ref {ref} is not a tag or commit of {source.path}")
        return _questions_in(repo, ref)
