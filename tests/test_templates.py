"""Render the real layers with pytest-copie: the exact tree, no Jinja left, every validator."""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any

import pytest
import yaml

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


def assert_adds_only_its_own_files(project: Path, below: Path, layer: str) -> None:
    """``layer`` rendered over ``below``: no Jinja left, the snapshot's files added, and not one
    byte of a lower layer's file changed (one owner per file)."""
    assert_no_leftover_jinja(project)
    added = sorted(set(tree(project)) - set(tree(below)))
    assert_matches_snapshot(added, layer)
    for relative in tree(below):
        assert (project / relative).read_bytes() == (below / relative).read_bytes()


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


def test_devops_readme_names_only_the_layers_applied(devops_project: Path) -> None:
    readme = (devops_project / "README.md").read_text()

    assert "The `devops` layer made this repository" in readme
    for planned in ("`data`", "`platform`", "`mlops`", "SageMaker", "data lake"):
        assert planned not in readme
    assert "its own page to [docs/](docs/)" in readme  # where every higher layer documents itself
    assert "`pipx install uv`" in readme  # `make setup` needs uv


def test_data_tree_adds_only_its_own_files(data_copie: Any, devops_project: Path) -> None:
    project = render(data_copie, {"layer": "data"})

    assert_adds_only_its_own_files(project, devops_project, "data")


def test_data_layer_takes_upstream_values_from_devops(data_copie: Any) -> None:
    project = render(data_copie, {"layer": "data"})

    answers = (project / ".copier-answers.data.yml").read_text()
    assert "project_name_data: demo\n" in answers
    assert "aws_account_id_data: '123456789012'\n" in answers


def test_platform_tree_adds_only_its_own_files(
    rendered_platform_project: Path, rendered_data_project: Path
) -> None:
    assert_adds_only_its_own_files(rendered_platform_project, rendered_data_project, "platform")


def test_platform_layer_takes_upstream_values_from_devops_and_data(
    rendered_platform_project: Path,
) -> None:
    project = rendered_platform_project

    answers = (project / ".copier-answers.platform.yml").read_text()
    assert "project_name_platform: demo\n" in answers
    assert "org_name_platform: my-org\n" in answers
    assert "zone_curated_platform: curated\n" in answers
    config = (project / "config" / "platform.yaml").read_text()
    assert "demo-my-org-models-{region}-{account_id}-{environment}" in config
    assert "123456789012.dkr.ecr.eu-west-1.amazonaws.com/demo\n" in config
    assert (project / "packages" / "platform" / "src" / "demo_platform" / "definition.py").is_file()


def test_the_sagemaker_role_reaches_only_the_curated_zone_and_the_artefacts(
    rendered_platform_project: Path,
) -> None:
    """The lake: read only, but the batch predictions' own prefix (tests/test_batch_permissions.py
    decides the role's requests)."""
    from cloudformation import load

    template = load(rendered_platform_project / "infra" / "platform.yaml")
    role = template["Resources"]["SageMakerExecutionRole"]

    statements = [
        statement
        for policy in role["Properties"]["Policies"]
        for statement in policy["PolicyDocument"]["Statement"]
    ]
    s3 = [s for s in statements if any(a.startswith("s3:") for a in _actions(s))]
    curated = "demo-data-${Environment}-curated-bucket-arn"
    for statement in s3:
        target = str(statement["Resource"])
        assert curated in target or "ArtefactBucket" in target, statement
        if statement["Sid"] == "WritePredictions":
            assert "/curated/${PredictionsPrefix}/*" in target
        elif curated in target:  # the lake: read only, only the curated zone's prefix
            assert set(_actions(statement)) <= {"s3:GetObject", "s3:ListBucket"}
            assert "curated/*" in str(statement)
    assert {s["Sid"] for s in s3} == {
        "ListCuratedZone",
        "ReadCuratedZone",
        "WritePredictions",
        "ListArtefacts",
        "ReadWriteArtefacts",
    }
    boundary = "arn:${AWS::Partition}:iam::${AWS::AccountId}:policy/demo-${Environment}-boundary"
    assert role["Properties"]["PermissionsBoundary"] == {"Fn::Sub": boundary}


def _actions(statement: dict[str, Any]) -> list[str]:
    actions = statement["Action"]
    return [actions] if isinstance(actions, str) else list(actions)


def test_platform_refuses_to_render_without_data(copie: Any) -> None:
    result = copie.copy(extra_answers={"layer": "platform"})

    assert result.exit_code != 0
    assert ".copier-answers.data.yml is missing" in str(result.exception)


def test_mlops_tree_adds_only_its_own_files(
    rendered_mlops_project: Path, rendered_platform_project: Path
) -> None:
    assert_adds_only_its_own_files(rendered_mlops_project, rendered_platform_project, "mlops")


def test_mlops_layer_takes_upstream_values_from_every_layer_below(
    rendered_mlops_project: Path,
) -> None:
    answers = (rendered_mlops_project / ".copier-answers.mlops.yml").read_text()
    assert "project_name_mlops: demo\n" in answers
    assert "org_name_mlops: my-org\n" in answers
    assert "zone_raw_mlops: raw\n" in answers
    assert "latency_budget_ms: '200'\n" in answers
    config = (rendered_mlops_project / "config" / "mlops.yaml").read_text()
    assert 'endpoint: "demo-{environment}-endpoint"\n' in config


def test_mlops_gate_compares_metrics_the_platform_evaluation_writes(
    rendered_mlops_project: Path,
) -> None:
    config = yaml.safe_load((rendered_mlops_project / "config" / "mlops.yaml").read_text())
    evaluation = (
        rendered_mlops_project / "packages/platform/src/demo_platform/evaluation.py"
    ).read_text()
    paths = {name: rule["path"] for name, rule in config["gate"]["metrics"].items()}
    assert paths["accuracy"] in evaluation  # the platform's ACCURACY_PATH
    for name, path in paths.items():
        assert path.split(".") == ["multiclass_classification_metrics", name, "value"]
        assert f'"{name}": {{' in evaluation
    assert config["latency_budget_ms"] == 200
    assert config["card"]["owner"] == ""  # the owners in .github/CODEOWNERS


def test_mlops_refuses_to_render_without_platform(copie: Any) -> None:
    result = copie.copy(extra_answers={"layer": "mlops"})

    assert result.exit_code != 0
    assert ".copier-answers.platform.yml is missing" in str(result.exception)


# A few refusals through a real render: copier reports the rule's message, names the question and
# writes nothing. tests/test_rules.py holds the table of every question's rule.
BAD_DEVOPS_ANSWERS = [
    ("project_name", "demo\n", "project_name must be one line, without a line break"),
    ("package_name", "os", 'package_name: "os" is a standard-library module'),
    ("package_name", "pkg_", "package_name: 1-40 of a-z, 0-9, _"),
    ("aws_region", "xx-nowhere-1", "aws_region must be an AWS region code"),
    ("aws_account_id", "123456789012\n", "aws_account_id must be one line, without"),
    ("github_repo", "repo.git", 'github_repo must not be "." or ".." or end in ".git"'),
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


# (answer, value, the question that refuses it, its message).
BAD_DATA_ANSWERS = [
    ("zone_stage", "raw", "zone_stage", "zone_stage must differ from the other zones (raw)"),
    ("org_name", "a" * 20, "org_name", "org_name: at most 19 characters here, bucket names stop"),
    ("aws_region_data", "eu-west-1\n", "aws_region_data", "aws_region_data must be one line"),
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


# Edge values at the limits of the devops rules: the data layer still renders with its defaults,
# shortening the project part of its bucket names (which the devops IAM policy grants too).
EDGE_DEVOPS_ANSWERS = {
    "project_name": "a" * 36 + "-ml1",
    "aws_region": "us-gov-west-1",
    "github_org": "Z",
    "package_name": "ml",
}


def test_edge_devops_answers_take_the_data_layer_with_its_defaults(copie: Any) -> None:
    devops = render(copie, {"layer": "devops", **EDGE_DEVOPS_ANSWERS})
    parent = type("Parent", (), {"project_dir": devops, "exit_code": 0})()
    project = render(copie(parent_result=parent, child_tpl=REPO_ROOT), {"layer": "data"})

    layout = (project / "config" / "datalake.yaml").read_text()
    short = re.search(r"^project: (\S+)$", layout, re.MULTILINE)
    assert short is not None
    assert short[1].startswith("a" * 6)
    assert len(short[1]) < len(EDGE_DEVOPS_ANSWERS["project_name"])
    assert "\norg: z\n" in layout
    bucket = f"{short[1]}-z-curated-us-gov-west-1-123456789012-staging"
    assert len(bucket) <= 63
    assert f"s3:::{short[1]}-*" in (project / "infra" / "devops.yaml").read_text()
    assert (project / "packages" / "data" / "src" / "ml_data" / "lake.py").is_file()


def test_data_refuses_to_render_without_devops(copie: Any) -> None:
    result = copie.copy(extra_answers={"layer": "data"})

    assert result.exit_code != 0
    assert ".copier-answers.devops.yml is missing" in str(result.exception)
