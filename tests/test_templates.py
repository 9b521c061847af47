"""Render the real layers with pytest-copie: the exact tree, no Jinja left, every validator."""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any

import pytest

from conftest import REPO_ROOT

SNAPSHOTS = Path(__file__).parent / "snapshots"
# `${{ ... }}` is a GitHub Actions expression, not Jinja left behind.
LEFTOVER_JINJA = re.compile(r"(?<!\$)\{\{|\{%|%\}")


def tree(project: Path) -> list[str]:
    """Every file below ``project`` (git metadata aside), as sorted relative paths."""
    return sorted(
        str(path.relative_to(project))
        for path in project.rglob("*")
        if path.is_file() and ".git" not in path.relative_to(project).parts
    )


def assert_matches_snapshot(paths: list[str], name: str) -> None:
    """Compare with tests/snapshots/<name>.txt; MLHIER_UPDATE_SNAPSHOTS=1 rewrites it."""
    snapshot = SNAPSHOTS / f"{name}.txt"
    actual = "\n".join(paths) + "\n"
    if os.environ.get("MLHIER_UPDATE_SNAPSHOTS") == "1":
        snapshot.write_text(actual, encoding="utf-8")
    assert actual == snapshot.read_text(encoding="utf-8"), (
        f"the rendered tree differs from {snapshot}; review the change, then rerun with "
        "MLHIER_UPDATE_SNAPSHOTS=1 to accept it"
    )


def assert_no_leftover_jinja(project: Path) -> None:
    leftovers = [
        f"{relative}:{number}: {line.strip()}"
        for relative in tree(project)
        for number, line in enumerate(
            (project / relative).read_text(encoding="utf-8").splitlines(), start=1
        )
        if LEFTOVER_JINJA.search(line)
    ]
    assert leftovers == []


def render(copie: Any, answers: dict[str, str]) -> Path:
    result = copie.copy(extra_answers=answers)
    assert result.exit_code == 0, result.exception
    project: Path = result.project_dir
    return project


@pytest.fixture
def devops_project(copie: Any) -> Path:
    return render(copie, {"layer": "devops", "project_name": "demo"})


@pytest.fixture
def data_copie(copie: Any, devops_project: Path) -> Any:
    """A copie that renders on top of a copy of the devops project."""
    parent = type("Parent", (), {"project_dir": devops_project, "exit_code": 0})()
    return copie(parent_result=parent, child_tpl=REPO_ROOT)


def test_devops_tree_is_exact_and_fully_rendered(devops_project: Path) -> None:
    assert_matches_snapshot(tree(devops_project), "devops")
    assert_no_leftover_jinja(devops_project)
    answers = (devops_project / ".copier-answers.devops.yml").read_text()
    assert "project_name: demo\n" in answers
    assert "package_name: demo\n" in answers


def test_data_tree_adds_only_its_own_files(data_copie: Any, devops_project: Path) -> None:
    project = render(data_copie, {"layer": "data"})

    assert_no_leftover_jinja(project)
    added = sorted(set(tree(project)) - set(tree(devops_project)))
    assert_matches_snapshot(added, "data")
    for relative in tree(devops_project):  # the data layer never rewrites a devops file
        assert (project / relative).read_bytes() == (devops_project / relative).read_bytes()


def test_data_layer_takes_upstream_values_from_devops(data_copie: Any) -> None:
    project = render(data_copie, {"layer": "data"})

    answers = (project / ".copier-answers.data.yml").read_text()
    assert "project_name_data: demo\n" in answers
    assert "aws_account_id_data: '123456789012'\n" in answers


BAD_DEVOPS_ANSWERS = [
    ("project_name", "Demo", "project_name must be 3-40 characters"),
    ("project_name", "de", "project_name must be 3-40 characters"),
    ("project_name", "1demo", "starting with a letter"),
    ("project_name", "demo--x", "single hyphens"),
    ("project_name", "demo-", "project_name must be"),
    ("project_name", "my_project", "project_name must be"),
    ("project_name", "x" * 41, "project_name must be 3-40 characters"),
    ("package_name", "class", "not a Python keyword"),
    ("package_name", "My_pkg", "lowercase Python identifier"),
    ("package_name", "pkg-name", "lowercase Python identifier"),
    ("package_name", "_private", "starting with a letter"),
    ("description", "", "description must be one line of 1-200 characters"),
    ("description", "two\nlines", "description must be one line"),
    ("description", "d" * 201, "1-200 characters"),
    ("author_name", "Ann <ann@x.io>", "without angle brackets"),
    ("author_name", " ", "author_name must be one line"),
    ("author_email", "not-an-email", "author_email must look like name@example.com"),
    ("author_email", "a@b", "author_email must look like"),
    ("aws_region", "eu_west_1", "aws_region must be an AWS region code"),
    ("aws_region", "EU-WEST-1", "aws_region must be an AWS region code"),
    ("aws_region", "europe", "aws_region must be"),
    ("aws_account_id", "12345", "aws_account_id must be exactly 12 digits"),
    ("aws_account_id", "12345678901a", "exactly 12 digits"),
    ("aws_account_id", "1234567890123", "exactly 12 digits"),
    ("github_org", "-org", "github_org must be a GitHub owner name"),
    ("github_org", "my--org", "single hyphens"),
    ("github_org", "o" * 40, "1-39 letters"),
    ("github_repo", "repo.git", 'not ending in ".git"'),
    ("github_repo", "..", "github_repo must be a GitHub repository name"),
    ("github_repo", "my repo", "github_repo must be"),
]


@pytest.mark.parametrize(("question", "value", "rule"), BAD_DEVOPS_ANSWERS)
def test_devops_refuses_bad_answers_and_writes_nothing(
    copie: Any, question: str, value: str, rule: str
) -> None:
    result = copie.copy(extra_answers={"layer": "devops", "project_name": "demo", question: value})

    assert result.exit_code != 0
    assert f"question '{question}'" in str(result.exception)
    assert rule in str(result.exception)
    assert list((copie.test_dir / f"copie{copie.counter - 1:03d}").iterdir()) == []


# (answer, value, the question that refuses it, the rule it names). Bucket names are checked
# by the last zone question, once every part of the name is known.
BAD_DATA_ANSWERS = [
    ("zone_raw", "Raw", "zone_raw", "zone_raw: 2-12 lowercase letters or digits"),
    ("zone_stage", "Stage", "zone_stage", "zone_stage: 2-12 lowercase letters or digits"),
    ("zone_curated", "GOLD", "zone_curated", "zone_curated: 2-12 lowercase letters or digits"),
    ("zone_raw", "logs", "zone_raw", "is reserved"),
    ("zone_stage", "raw", "zone_stage", "zone_stage: must differ from zone_raw"),
    ("org_name", "Acme", "org_name", "org_name: 2-20 lowercase letters"),
    ("org_name", "acme_corp", "org_name", "org_name: 2-20 lowercase letters"),
    ("org_name", "xn--acme", "org_name", "org_name: 2-20 lowercase letters"),
    ("org_name", "a" * 20, "zone_curated", "S3 bucket names must be 3-63 characters long"),
    ("aws_region_data", "moon-base-1", "aws_region_data", "aws_region_data: an AWS region code"),
    (
        "aws_account_id_data",
        "0000",
        "aws_account_id_data",
        "aws_account_id_data: exactly 12 digits",
    ),
    ("project_name_data", "Demo", "project_name_data", "project_name_data: 3-40 lowercase letters"),
]


@pytest.mark.parametrize(("question", "value", "refused_by", "rule"), BAD_DATA_ANSWERS)
def test_data_refuses_bad_answers_and_writes_nothing(
    data_copie: Any, devops_project: Path, question: str, value: str, refused_by: str, rule: str
) -> None:
    result = data_copie.copy(extra_answers={"layer": "data", question: value})

    assert result.exit_code != 0
    assert f"question '{refused_by}'" in str(result.exception)
    assert rule in str(result.exception)
    rendered = data_copie.test_dir / f"copie{data_copie.counter - 1:03d}"
    assert tree(rendered) == tree(devops_project)


def test_data_refuses_to_render_without_devops(copie: Any) -> None:
    result = copie.copy(extra_answers={"layer": "data"})

    assert result.exit_code != 0
    assert ".copier-answers.devops.yml is missing" in str(result.exception)
