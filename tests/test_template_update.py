"""The template-update workflow's work, run locally: scripts/template_update.py between two tags.

The devops layer ships the script; here it runs on a project generated from a toy template at
v0.1.0, with v0.2.0 released, exactly as the workflow runs it (with `mlhier update` from this
checkout). It must leave the branch and the pull request's body: versions, conflicts, held-back
workflow changes and the template's release notes.
"""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
import yaml

from conftest import REPO_ROOT, TemplateFactory, git
from mlhier import new_project, user_source

SCRIPT = REPO_ROOT / "templates/devops/project/scripts/template_update.py"
UPDATE = f"{sys.executable} -m mlhier update"

CHANGELOG_V1 = """\
# Changelog

## [Unreleased]

## [0.1.0] - 2026-10-01

- The first release.
"""
CHANGELOG_V2 = """\
# Changelog

## [Unreleased]

- Not released yet.

## [0.2.0] - 2026-11-01

### In generated projects

- NOTES.md names the on-call rota.

## [0.1.0] - 2026-10-01

- The first release.

[0.2.0]: https://example.com/compare/v0.1.0...v0.2.0
"""
NOTES_V1 = "# Notes\n\nOn call: nobody yet.\n"
NOTES_V2 = "# Notes\n\nOn call: see the rota.\n"
WORKFLOW_V1 = "name: toy\non: push\n"
WORKFLOW_V2 = "name: toy\non: [push, pull_request]\n"


@pytest.fixture
def project(make_template: TemplateFactory, short_tmp: Path) -> Path:
    """A project at template v0.1.0 whose NOTES.md is edited where v0.2.0 changes it too."""
    make_template(
        {
            "CHANGELOG.md": CHANGELOG_V1,
            "templates/devops/project/NOTES.md": NOTES_V1,
            "templates/devops/project/.github/workflows/toy.yml": WORKFLOW_V1,
        },
        tag="v0.1.0",
    )
    project = short_tmp / "p"
    template = short_tmp / "template"
    new_project(project, defaults=True, source=user_source(str(template), "v0.1.0"), lock=False)
    # The identity the workflow sets before it runs the script.
    git(project, "config", "user.name", "github-actions[bot]")
    git(project, "config", "user.email", "bot@example.com")
    (project / "NOTES.md").write_text("# Notes\n\nOn call: Ana.\n")
    git(project, "commit", "-qam", "Ana is on call")
    make_template(
        {
            "CHANGELOG.md": CHANGELOG_V2,
            "templates/devops/project/NOTES.md": NOTES_V2,
            "templates/devops/project/.github/workflows/toy.yml": WORKFLOW_V2,
        },
        tag="v0.2.0",
    )
    return project


def run_script(project: Path, *options: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(SCRIPT), "--update-command", UPDATE, *options],
        cwd=project,
        capture_output=True,
        text=True,
        check=False,
        env={**os.environ, "GITHUB_OUTPUT": str(project.parent / "github-output")},
    )


@pytest.mark.slow
@pytest.mark.usefixtures("isolated_git")
def test_the_update_step_leaves_the_branch_and_a_body_with_notes_and_conflicts(
    project: Path,
) -> None:
    main = git(project, "rev-parse", "main").strip()
    body = project.parent / "body.md"
    patch = project.parent / "workflows.patch"

    done = run_script(project, "--body", str(body), "--patch", str(patch), "--workflow-token")

    assert done.returncode == 0, done.stderr
    assert "template_update: conflict in NOTES.md" in done.stdout
    assert git(project, "branch", "--show-current").strip() == "template-update"
    assert git(project, "rev-parse", "main").strip() == main
    assert git(project, "status", "--porcelain") == ""
    # The conflict is committed for the pull request to show, markers and all.
    notes = git(project, "show", "template-update:NOTES.md")
    assert "<<<<<<< before updating\nOn call: Ana.\n" in notes
    assert "On call: see the rota.\n>>>>>>> after updating" in notes
    # The workflow token cannot push workflow files: they stay as on main, the patch is kept.
    assert git(project, "show", "template-update:.github/workflows/toy.yml") == WORKFLOW_V1
    assert "+on: [push, pull_request]" in patch.read_text()
    text = body.read_text()
    assert "| devops | v0.1.0 | v0.2.0 |" in text
    assert "### Conflicts to resolve" in text
    assert "- [ ] `NOTES.md`" in text
    assert "### Workflow changes held back" in text
    assert "+on: [push, pull_request]" in text
    assert "gh workflow run ci.yml --ref template-update" in text
    assert "GitHub App" in text
    notes_section = text.split("### Release notes", 1)[1]
    assert "NOTES.md names the on-call rota." in notes_section
    assert "The first release." not in notes_section
    assert "Not released yet." not in notes_section
    assert "example.com/compare" not in notes_section
    outputs = (project.parent / "github-output").read_text().splitlines()
    assert outputs == [
        "changed=true",
        "conflicts=true",
        "held=true",
        "title=Update the project template to v0.2.0",
    ]


@pytest.mark.slow
@pytest.mark.usefixtures("isolated_git")
def test_a_branch_someone_else_committed_to_is_left_alone(project: Path) -> None:
    """The workflow force-pushes the branch: a person's conflict resolution must not be lost."""
    git(project, "checkout", "-qb", "published")
    (project / "NOTES.md").write_text("# Notes\n\nOn call: Ana, then the rota.\n")
    git(project, "-c", "user.email=ana@example.com", "commit", "-qam", "Resolve the notes")
    git(project, "checkout", "-q", "main")
    body = project.parent / "body.md"

    done = run_script(project, "--body", str(body), "--published", "published")

    assert done.returncode == 0, done.stderr
    assert "published holds commits by ana@example.com: left as it is" in done.stdout
    assert git(project, "branch", "--show-current").strip() == "main"
    assert not body.exists()
    assert (project.parent / "github-output").read_text().startswith("changed=false\n")


@pytest.mark.slow
@pytest.mark.usefixtures("isolated_git")
def test_a_project_already_at_the_version_gets_no_branch(project: Path) -> None:
    body = project.parent / "body.md"

    done = run_script(project, "--body", str(body), "--vcs-ref", "v0.1.0")

    assert done.returncode == 0, done.stderr
    assert "template_update: nothing to propose" in done.stdout
    assert git(project, "branch", "--show-current").strip() == "main"
    assert git(project, "branch", "--list", "template-update") == ""
    assert not body.exists()
    assert (project.parent / "github-output").read_text().startswith("changed=false\n")


# --- the script's pieces (fast) -----------------------------------------------------------------


@pytest.fixture(scope="module")
def script() -> Iterator[ModuleType]:
    spec = importlib.util.spec_from_file_location("template_update", SCRIPT)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up while the class is made
    try:
        spec.loader.exec_module(module)
        yield module
    finally:
        del sys.modules[spec.name]


def test_release_notes_are_the_sections_after_the_old_version_up_to_the_new(
    script: ModuleType,
) -> None:
    changelog = CHANGELOG_V2.replace(
        "## [0.1.0]", "## [0.1.1] - 2026-10-15\n\n- A fix.\n\n## [0.1.0]"
    )

    notes = script.release_notes(changelog, "v0.1.0", "v0.2.0")

    assert notes.startswith("#### [0.2.0] - 2026-11-01\n\n##### In generated projects")
    assert "- A fix." in notes
    assert "The first release." not in notes
    assert "Not released yet." not in notes
    assert script.release_notes(changelog, "0a1b2c3", "v0.2.0") == ""


@pytest.mark.parametrize(
    ("line", "value"),
    [
        ("_commit: v0.2.0", "v0.2.0"),
        ("_commit: '0.10'", "0.10"),
        ('_src_path: "https://example.com/t.git"', "https://example.com/t.git"),
        ("_src_path: 'it''s'", "it's"),
    ],
)
def test_the_recorded_version_is_read_without_yaml(
    script: ModuleType, line: str, value: str
) -> None:
    assert script._scalar(f"# header\n{line}\nproject_name: demo\n", line.split(":")[0]) == value


# --- the workflow around it (fast, on the shared rendered project) ------------------------------


def _workflow(project: Path, name: str) -> dict[Any, Any]:
    loaded = yaml.safe_load((project / ".github/workflows" / name).read_text(encoding="utf-8"))
    assert isinstance(loaded, dict)
    return loaded


def test_the_workflow_runs_weekly_and_on_demand_and_starts_ci_where_it_can(
    rendered_data_project: Path,
) -> None:
    workflow = _workflow(rendered_data_project, "template-update.yml")
    (job,) = workflow["jobs"].values()
    runs = "\n".join(step.get("run", "") for step in job["steps"])

    # PyYAML reads the key `on` as True.
    assert set(workflow[True]) == {"schedule", "workflow_dispatch"}
    assert workflow["permissions"] == {}
    assert job["permissions"] == {
        "contents": "write",
        "pull-requests": "write",
        "actions": "write",
    }
    assert "python3 scripts/template_update.py" in runs
    assert "options+=(--workflow-token)" in runs
    assert 'gh workflow run ci.yml --ref "${BRANCH}"' in runs
    # A workflow_dispatch event is the one the workflow token may still start CI with.
    assert "workflow_dispatch" in _workflow(rendered_data_project, "ci.yml")[True]


def _source_step(tmp_path: Path, project: Path, src_path: str, version: str) -> tuple[int, str]:
    """The workflow's step that picks mlhier's source, run by bash on a made-up answers file."""
    (job,) = _workflow(project, "template-update.yml")["jobs"].values()
    (step,) = [step for step in job["steps"] if step.get("id") == "source"]
    (tmp_path / ".copier-answers.devops.yml").write_text(
        f"_commit: v0.1.0\n_src_path: {src_path}\n"
    )
    output = tmp_path / "output"
    done = subprocess.run(
        ["bash", "-e", "-c", step["run"]],
        cwd=tmp_path,
        env={**os.environ, "VERSION": version, "GITHUB_OUTPUT": str(output)},
        capture_output=True,
        text=True,
        check=False,
    )
    return done.returncode, output.read_text() if output.exists() else done.stdout


def test_mlhier_comes_from_the_recorded_template_source_never_from_an_index(
    tmp_path: Path, rendered_data_project: Path
) -> None:
    code, output = _source_step(
        tmp_path, rendered_data_project, "https://github.com/acme/mlhier-fork.git", "v0.4.0"
    )
    assert code == 0
    assert "spec=git+https://github.com/acme/mlhier-fork.git@v0.4.0\n" in output

    local = tmp_path / "local"
    local.mkdir()
    code, output = _source_step(local, rendered_data_project, "/home/me/templates", "v0.4.0")
    assert code == 1
    assert "is no git URL a runner can reach" in output
