"""Updates with plain `copier update` on real templates, from local git repos tagged v1 and v2."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from conftest import answers, commit_and_tag, copy_real_template, git, write_tree
from mlhier import TemplateSource, new_project, user_source

pytestmark = pytest.mark.usefixtures("isolated_git")


def template_repo(root: Path) -> Path:
    """The working tree's template, committed and tagged v1 in a fresh git repository."""
    repo = copy_real_template(root)
    git(repo, "init", "--quiet", "--initial-branch=main")
    commit_and_tag(repo, "v1")
    return repo


def release_v2(repo: Path, files: dict[str, str]) -> None:
    write_tree(repo, files)
    commit_and_tag(repo, "v2")


def append(path: Path, text: str) -> str:
    """The text of ``path`` with ``text`` added at its end."""
    return path.read_text(encoding="utf-8") + text


def copier_update(project: Path, layer: str) -> None:
    """Plain copier, as a user runs it, not through mlhier."""
    subprocess.run(
        [
            sys.executable,
            "-m",
            "copier",
            "update",
            "--defaults",
            "-a",
            f".copier-answers.{layer}.yml",
        ],
        cwd=project,
        check=True,
        capture_output=True,
    )


def changed_paths(project: Path) -> set[str]:
    return {line[3:] for line in git(project, "status", "--porcelain").splitlines()}


# Real templates, updated by copier from tag to tag: 2-5 s each, so they run with the slow tests.
@pytest.mark.slow
def test_devops_update_brings_the_change_and_keeps_the_user_edit(tmp_path: Path) -> None:
    repo = template_repo(tmp_path / "template")
    project = tmp_path / "demo"
    new_project(project, defaults=True, source=user_source(str(repo), "v1"), lock=False)
    readme = project / "README.md"
    readme.write_text(readme.read_text() + "\n## Team notes\n\nOur runbook lives here.\n")
    git(project, "commit", "-qam", "Document our runbook")
    editorconfig = repo / "templates/devops/project/.editorconfig"
    release_v2(
        repo,
        {
            str(editorconfig.relative_to(repo)): append(
                editorconfig, "\n[*.sql]\nindent_size = 2\n"
            ),
            "templates/devops/project/SECURITY.md": "# Security\n\nReport issues privately.\n",
        },
    )

    copier_update(project, "devops")

    assert (project / ".editorconfig").read_text().endswith("[*.sql]\nindent_size = 2\n")
    assert (project / "SECURITY.md").is_file()
    assert readme.read_text().endswith("## Team notes\n\nOur runbook lives here.\n")
    assert git(project, "diff", "--name-only", "--diff-filter=U") == ""
    assert answers(project, "devops")["_commit"] == "v2"


# Real templates, updated by copier from tag to tag: 2-5 s each, so they run with the slow tests.
@pytest.mark.slow
def test_data_updates_alone_and_devops_updates_leave_data_files_alone(tmp_path: Path) -> None:
    repo = template_repo(tmp_path / "template")
    project = tmp_path / "demo"
    new_project(
        project, up_to="data", defaults=True, source=user_source(str(repo), "v1"), lock=False
    )
    data_files = set(git(project, "ls-files").splitlines()) - _devops_files(tmp_path, repo)
    data_doc = repo / "templates/data/project/docs/data-lake.md.jinja"
    editorconfig = repo / "templates/devops/project/.editorconfig"
    release_v2(
        repo,
        {
            str(data_doc.relative_to(repo)): append(data_doc, "\nA paragraph added in v2.\n"),
            str(editorconfig.relative_to(repo)): append(
                editorconfig, "\n[*.sql]\nindent_size = 2\n"
            ),
        },
    )

    copier_update(project, "data")

    assert changed_paths(project) == {"docs/data-lake.md", ".copier-answers.data.yml"}
    assert (project / "docs/data-lake.md").read_text().endswith("A paragraph added in v2.\n")
    git(project, "commit", "-qam", "Update the data layer")

    copier_update(project, "devops")

    assert changed_paths(project) == {".editorconfig", ".copier-answers.devops.yml"}
    assert not changed_paths(project) & data_files


# Real templates, updated by copier from tag to tag: 2-5 s each, so they run with the slow tests.
@pytest.mark.slow
@pytest.mark.parametrize(
    ("layer", "below", "edited", "before", "after"),
    [
        (
            "platform",
            "data",
            "packages/platform/src/demo_platform/training.py",
            "StandardScaler()",
            "StandardScaler(with_mean=True)  # our own choice",
        ),
        (
            "mlops",
            "platform",
            "config/mlops.yaml",
            "latency_budget_ms: 200",
            "latency_budget_ms: 150",
        ),
    ],
)
def test_a_higher_layer_updates_alone_keeping_a_users_edit(
    tmp_path: Path, layer: str, below: str, edited: str, before: str, after: str
) -> None:
    repo = template_repo(tmp_path / "template")
    project = tmp_path / "demo"
    new_project(
        project, up_to=layer, defaults=True, source=user_source(str(repo), "v1"), lock=False
    )
    users_file = project / edited
    users_text = users_file.read_text().replace(before, after)
    assert users_text != users_file.read_text()
    users_file.write_text(users_text)
    git(project, "commit", "-qam", "Our own choice")
    doc = repo / f"templates/{layer}/project/docs/{layer}.md.jinja"
    release_v2(repo, {str(doc.relative_to(repo)): append(doc, "\nA paragraph added in v2.\n")})

    copier_update(project, layer)

    assert changed_paths(project) == {f"docs/{layer}.md", f".copier-answers.{layer}.yml"}
    assert (project / f"docs/{layer}.md").read_text().endswith("A paragraph added in v2.\n")
    assert users_file.read_text() == users_text
    assert answers(project, layer)["_commit"] == "v2"
    assert answers(project, below)["_commit"] == "v1"


def _devops_files(tmp_path: Path, repo: Path) -> set[str]:
    devops_only = tmp_path / "devops-only"
    new_project(devops_only, defaults=True, source=user_source(str(repo), "v1"), lock=False)
    return set(git(devops_only, "ls-files").splitlines())


# Real templates, updated by copier from tag to tag: 2-5 s each, so they run with the slow tests.
@pytest.mark.slow
def test_a_project_from_a_plain_copy_updates_from_the_recorded_source(tmp_path: Path) -> None:
    """What `mlhier new` does with the templates inside the wheel, with a local upstream."""
    plain_copy = copy_real_template(tmp_path / "site-packages-copy")
    upstream = template_repo(tmp_path / "upstream")
    project = tmp_path / "demo"
    new_project(
        project,
        up_to="data",
        defaults=True,
        source=TemplateSource(str(plain_copy), record=(str(upstream), "v1")),
        lock=False,
    )
    for layer in ("devops", "data"):
        assert answers(project, layer)["_src_path"] == str(upstream)
        assert answers(project, layer)["_commit"] == "v1"
    assert (project / ".copier-answers.devops.yml").read_text().startswith("#")
    release_v2(upstream, {"templates/devops/project/SECURITY.md": "# Security\n"})

    copier_update(project, "devops")

    assert (project / "SECURITY.md").read_text() == "# Security\n"


ANSWERS_DATA = ".copier-answers.data.yml"


@pytest.mark.slow  # a full data project and a copier update: seconds
def test_plain_copier_update_skipping_answered_questions_warns_of_nothing(tmp_path: Path) -> None:
    """The documented plain-copier update, on a project in good order, run with no terminal."""
    repo = template_repo(tmp_path / "template")
    project = tmp_path / "demo"
    new_project(
        project, up_to="data", defaults=True, source=user_source(str(repo), "v1"), lock=False
    )
    data_doc = repo / "templates/data/project/docs/data-lake.md.jinja"
    release_v2(repo, {str(data_doc.relative_to(repo)): append(data_doc, "\nAdded in v2.\n")})

    done = subprocess.run(
        [sys.executable, "-m", "copier", "update", "--skip-answered", "-a", ANSWERS_DATA],
        cwd=project,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        check=False,
    )

    assert done.returncode == 0, done.stderr
    assert "Warning" not in done.stderr
    assert "?" not in done.stdout  # no question asked: every one was answered at v1
    assert (project / "docs/data-lake.md").read_text().endswith("Added in v2.\n")
