"""Shared fixtures: an isolated git, throwaway layered templates, and a CLI runner."""

from __future__ import annotations

import shutil
import subprocess
import sys
import tempfile
import warnings
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import Any

import pytest
import yaml
from typer.testing import CliRunner

REPO_ROOT = Path(__file__).resolve().parents[1]

TemplateFactory = Callable[..., Path]


def git(cwd: Path, *args: str) -> str:
    """Run git as a user with an identity (the isolated environment has none)."""
    done = subprocess.run(
        ["git", "-c", "user.name=Test User", "-c", "user.email=test@example.com", *args],
        cwd=cwd,
        check=True,
        capture_output=True,
        text=True,
    )
    return done.stdout


@pytest.fixture
def isolated_git(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> None:
    """No global or system git config: like a fresh CI runner with no identity."""
    home = tmp_path_factory.mktemp("home")
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("GIT_CONFIG_GLOBAL", str(home / ".gitconfig"))
    monkeypatch.setenv("GIT_CONFIG_NOSYSTEM", "1")
    for name in (
        "GIT_AUTHOR_NAME",
        "GIT_AUTHOR_EMAIL",
        "GIT_COMMITTER_NAME",
        "GIT_COMMITTER_EMAIL",
    ):
        monkeypatch.delenv(name, raising=False)


@pytest.fixture
def runner() -> CliRunner:
    return CliRunner()


def answers(project: Path, layer: str) -> dict[str, object]:
    """Everything ``layer``'s answers file records in ``project``, copier's ``_`` keys included."""
    loaded = yaml.safe_load((project / f".copier-answers.{layer}.yml").read_text())
    assert isinstance(loaded, dict)
    return loaded


def write_tree(root: Path, files: Mapping[str, str]) -> None:
    for relative, text in files.items():
        path = root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")


def commit_and_tag(repo: Path, tag: str) -> None:
    git(repo, "add", "--all")
    git(repo, "commit", "--quiet", "--allow-empty", "-m", f"template {tag}")
    git(repo, "tag", tag)


def copy_real_template(destination: Path) -> Path:
    """The working tree's template (copier.yml and templates/) as a plain folder."""
    destination.mkdir(parents=True, exist_ok=True)
    shutil.copy2(REPO_ROOT / "copier.yml", destination / "copier.yml")
    shutil.copytree(REPO_ROOT / "templates", destination / "templates")
    return destination


ANSWERS_FILE = (
    "# Changes here will be overwritten by Copier; NEVER EDIT MANUALLY\n"
    "{{ _copier_answers|to_nice_yaml -}}\n"
)

# A tiny stand-in for the real layers, wired through the real root copier.yml.
TOY_LAYERS: dict[str, str] = {
    "templates/devops/questions.yml": """\
project_name:
  type: str
  when: "{{ layer == 'devops' }}"
  default: toy
  validator: >-
    {% if not (project_name | regex_search('^[a-z][a-z0-9-]*$')) %}project_name must be
    lowercase letters, digits and hyphens{% endif %}
author_name:
  type: str
  when: "{{ layer == 'devops' }}"
  default: Toy Author
author_email:
  type: str
  when: "{{ layer == 'devops' }}"
  default: toy@example.com
""",
    "templates/devops/project/{{_copier_conf.answers_file}}.jinja": ANSWERS_FILE,
    "templates/devops/project/README.md.jinja": "# {{ project_name }}\n",
    "templates/devops/project/Makefile": "include mk/*.mk\n",
    "templates/data/questions.yml": """\
project_name_data:
  type: str
  when: "{{ layer == 'data' }}"
  default: "{{ _external_data.devops.project_name | default('') }}"
  validator: >-
    {% if 'project_name_data' not in _copier_conf.data and not _external_data.devops
    %}the devops layer is not applied here: .copier-answers.devops.yml is missing{% endif %}
zone:
  type: str
  when: "{{ layer == 'data' }}"
  default: raw
""",
    "templates/data/project/{{_copier_conf.answers_file}}.jinja": ANSWERS_FILE,
    "templates/data/project/mk/data.mk.jinja": "# lake of {{ project_name_data }}: {{ zone }}\n",
}


@pytest.fixture
def make_template(short_tmp: Path) -> TemplateFactory:
    """Build a layered template in a git repo from ``files`` (over the toy layers), tagged."""

    def factory(files: Mapping[str, str] | None = None, *, tag: str = "v1") -> Path:
        repo = short_tmp / "template"
        if not repo.exists():
            repo.mkdir()
            shutil.copy2(REPO_ROOT / "copier.yml", repo / "copier.yml")
            write_tree(repo, TOY_LAYERS)
            git(repo, "init", "--quiet", "--initial-branch=main")
        write_tree(repo, files or {})
        commit_and_tag(repo, tag)
        return repo

    return factory


def flat(output: str) -> str:
    """CLI output with its 80-column wrapping undone, to search for a phrase."""
    return " ".join(line.strip() for line in output.splitlines())


@pytest.fixture(scope="module")
def short_tmp_module() -> Iterator[Path]:
    """A temporary folder with a short path, removed afterwards.

    Messages wrap at 80 columns but keep a path whole so it can be copied; pytest's own temporary
    paths (longer still under xdist) would push realistic messages past 80 columns.
    """
    path = Path(tempfile.mkdtemp(prefix="mh-"))
    yield path
    shutil.rmtree(path, ignore_errors=True)


@pytest.fixture
def short_tmp() -> Iterator[Path]:
    """Like ``short_tmp_module``, for one test."""
    path = Path(tempfile.mkdtemp(prefix="mh-"))
    yield path
    shutil.rmtree(path, ignore_errors=True)


@pytest.fixture(scope="session")
def rendered_data_project(copie_session: Any) -> Path:
    """The devops and data layers rendered once with default answers (project ``demo``).

    Shared by the tests that read the generated workflows and run the generated make targets
    against stand-in commands: they must not change it.
    """
    devops = copie_session.copy(extra_answers={"layer": "devops", "project_name": "demo"})
    assert devops.exit_code == 0, devops.exception
    return _layer_over(copie_session, devops, "data")


def _layer_over(copie_session: Any, parent: Any, layer: str) -> Path:
    """Render ``layer`` with pytest-copie over a copy of the project ``parent`` holds."""
    from pytest_copie.plugin import Copie

    over = Copie(
        default_template_dir=copie_session.default_template_dir,
        test_dir=copie_session.test_dir,
        config_file=copie_session.config_file,
        parent_result=parent,
        counter=copie_session.counter,
    )
    result = over.copy(extra_answers={"layer": layer})
    copie_session.counter = over.counter
    assert result.exit_code == 0, result.exception
    assert isinstance(result.project_dir, Path)
    return result.project_dir


def render_only(destination: Path, data: Mapping[str, object], keep: list[str]) -> None:
    """Render one layer of this working tree, writing only its answers file and ``keep``.

    Fast enough for a unit test: copier skips every other file. A layer rendered alone gets its
    upstream answers as data, not from the answers file below it.
    """
    import copier

    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", "File not found; returning empty dict")
        warnings.filterwarnings("ignore", ".*Dirty template.*")
        copier.run_copy(
            str(REPO_ROOT),
            destination,
            data=dict(data),
            defaults=True,
            quiet=True,
            vcs_ref="HEAD",
            exclude=["*", "!.copier-answers.*", *(f"!{path}" for path in keep)],
        )


@pytest.fixture(scope="session")
def rendered_platform_project(copie_session: Any, rendered_data_project: Path) -> Path:
    """The platform layer rendered once over a copy of ``rendered_data_project``; read only."""
    parent = type("Parent", (), {"project_dir": rendered_data_project, "exit_code": 0})()
    return _layer_over(copie_session, parent, "platform")


@pytest.fixture(scope="session")
def rendered_mlops_project(copie_session: Any, rendered_platform_project: Path) -> Path:
    """The mlops layer rendered once over a copy of ``rendered_platform_project``; read only."""
    parent = type("Parent", (), {"project_dir": rendered_platform_project, "exit_code": 0})()
    return _layer_over(copie_session, parent, "mlops")


@pytest.fixture(scope="session")
def full_stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """`mlhier new demo --defaults` (all four layers) after `make setup`: one per test session.

    The slow tests of every module that needs the full stack share it (the SageMaker SDK and
    Evidently it installs are about 1 GB); they may run its make targets, whose outputs git
    ignores, but must leave `git status` clean.
    """
    from generated import run

    parent = tmp_path_factory.mktemp("stack")
    run(parent, sys.executable, "-m", "mlhier", "new", "demo", "--defaults")
    project = parent / "demo"
    run(project, "make", "setup")
    yield project
    shutil.rmtree(parent, ignore_errors=True)
