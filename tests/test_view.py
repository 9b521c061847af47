"""One-layer views: narrowed questions, the same output as the root copier.yml, plain updates."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

from conftest import REPO_ROOT, TemplateFactory, answers, git
from mlhier._render import render_layer
from mlhier._source import TemplateSource
from mlhier._view import layer_view, view_config
from mlhier.errors import GenerationError
from mlhier.layers import LADDER, Layer, get_layer

pytestmark = pytest.mark.usefixtures("isolated_git")

SHIPPED = [layer.name for layer in LADDER if layer.shipped]
UPSTREAM = ("https://example.com/upstream.git", "v1")
ROOT_CONFIG = (REPO_ROOT / "copier.yml").read_text(encoding="utf-8")


def test_view_config_narrows_the_include_to_one_layer() -> None:
    narrowed = view_config(ROOT_CONFIG, "data")

    assert "!include templates/data/questions.yml" in narrowed
    assert "templates/*/questions.yml" not in narrowed
    # Everything else (settings, the layer question) is kept as it is.
    assert narrowed.replace("templates/data/", "templates/*/") == ROOT_CONFIG


def test_view_config_refuses_a_config_without_the_include_line() -> None:
    without = ROOT_CONFIG.replace("!include templates/*/questions.yml", "")

    expected = re.escape("no single `!include templates/*/questions.yml`")
    with pytest.raises(GenerationError, match=expected):
        view_config(without, "devops")


def test_view_config_refuses_two_include_lines() -> None:
    doubled = ROOT_CONFIG + "---\n!include templates/*/questions.yml\n"

    with pytest.raises(GenerationError, match="no single"):
        view_config(doubled, "devops")


def test_a_view_holds_the_layer_and_the_shared_macros_only(tmp_path: Path) -> None:
    with layer_view(REPO_ROOT, "data") as view:
        held = {path.relative_to(view).parts[:2] for path in view.rglob("*") if path.is_file()}
        assert (view / "templates" / "rules.jinja").read_text() == (
            REPO_ROOT / "templates" / "rules.jinja"
        ).read_text()
    assert ("templates", "data") in held
    assert ("templates", "devops") not in held
    assert not view.exists()  # deleted on exit


def test_a_layer_without_questions_has_no_view(tmp_path: Path) -> None:
    shutil.copy(REPO_ROOT / "copier.yml", tmp_path / "copier.yml")
    with (
        pytest.raises(GenerationError, match=re.escape("no templates/mlops/questions.yml")),
        layer_view(tmp_path, "mlops"),
    ):
        pass  # pragma: no cover


def _tree(root: Path) -> dict[str, tuple[bytes, bool]]:
    """Each file's content and whether it is executable."""
    return {
        path.relative_to(root).as_posix(): (path.read_bytes(), bool(path.stat().st_mode & 0o111))
        for path in sorted(root.rglob("*"))
        if path.is_file()
    }


def _render(project: Path, layer: Layer, source: TemplateSource) -> None:
    data: dict[str, str] = {"project_name": "demo"} if layer.name == "devops" else {}
    render_layer(project, layer, source, data=data, defaults=True, user_defaults={})


@pytest.fixture(scope="module")
def devops_project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The devops layer rendered from the root copier.yml: what the data layer stands on."""
    project = tmp_path_factory.mktemp("below") / "demo"
    _render(project, get_layer("devops"), TemplateSource(str(REPO_ROOT), record=UPSTREAM))
    return project


@pytest.mark.parametrize("name", SHIPPED)
def test_a_view_renders_what_the_root_config_renders(
    name: str,
    tmp_path: Path,
    devops_project: Path,
    rendered_data_project: Path,
    rendered_platform_project: Path,
) -> None:
    layer = get_layer(name)
    below = {
        "data": devops_project,
        "platform": rendered_data_project,
        "mlops": rendered_platform_project,
    }.get(name)
    trees = {}
    for layered in (False, True):
        project = tmp_path / f"layered-{layered}" / "demo"
        if below is not None:
            shutil.copytree(below, project)
        _render(project, layer, TemplateSource(str(REPO_ROOT), record=UPSTREAM, layered=layered))
        trees[layered] = _tree(project)

    assert trees[True] == trees[False]
    recorded = answers(tmp_path / "layered-True" / "demo", name)
    assert (recorded["_src_path"], recorded["_commit"]) == UPSTREAM
    assert len(trees[True]) > (len(_tree(below)) if below is not None else 10)


def test_a_project_rendered_through_views_updates_with_plain_copier(
    tmp_path: Path, make_template: TemplateFactory
) -> None:
    """Views are how the wheel renders; the answers file must still point at the one source.

    The toy layers keep it fast: the real layers render through views in the test above.
    """
    from copier import run_update

    upstream = make_template(tag="v1")
    plain_copy = tmp_path / "site-packages-copy"
    shutil.copytree(upstream, plain_copy, ignore=shutil.ignore_patterns(".git"))
    project = tmp_path / "demo"
    source = TemplateSource(str(plain_copy), record=(str(upstream), "v1"), layered=True)
    for layer in (get_layer("devops"), get_layer("data")):
        render_layer(project, layer, source, data={}, defaults=True, user_defaults={})
    git(project, "init", "--quiet", "--initial-branch=main")
    git(project, "add", "--all")
    git(project, "commit", "--quiet", "-m", "generated")
    make_template({"templates/devops/project/SECURITY.md": "# Security\n"}, tag="v2")

    run_update(
        project,
        answers_file=".copier-answers.devops.yml",
        defaults=True,
        overwrite=True,
        quiet=True,
    )

    assert (project / "SECURITY.md").read_text() == "# Security\n"
    recorded = answers(project, "devops")
    assert (recorded["_src_path"], recorded["_commit"]) == (str(upstream), "v2")
    assert recorded["project_name"] == "toy"
    assert answers(project, "data")["_src_path"] == str(upstream)
