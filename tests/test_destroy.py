"""`make destroy` and `make lake-deploy` against a stand-in `aws` (tests/fake_aws.py)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import stand_ins
from stand_ins import MakeRun, install, run_make

FAKE_AWS = Path(__file__).with_name("fake_aws.py")
ACCOUNT = "123456789012"
DEV_DEPLOY_ROLE = f"arn:aws:sts::{ACCOUNT}:assumed-role/demo-dev-github-deploy/GitHubActions"
ADMIN = f"arn:aws:sts::{ACCOUNT}:assumed-role/AdministratorAccess/alice"
LAKE_KEPT = [
    ["AWS::S3::Bucket", "demo-my-org-raw-eu-west-1-123456789012-dev"],
    ["AWS::KMS::Key", "1234abcd-12ab-34cd-56ef-1234567890ab"],
]


class Run(MakeRun):
    def deleted(self) -> list[str]:
        """Stacks deleted, in order (by the name inside their stack ID)."""
        return [
            call[call.index("--stack-name") + 1].split("/")[1]
            for call in self.calls
            if "delete-stack" in call
        ]


def account(caller: str, stacks: dict[str, Any]) -> dict[str, Any]:
    return {"caller": caller, "stacks": stacks}


@pytest.fixture
def aws(tmp_path: Path) -> Path:
    install(tmp_path, "aws", FAKE_AWS, account(ADMIN, {}))
    return tmp_path


def write_state(aws: Path, caller: str, stacks: dict[str, Any]) -> None:
    stand_ins.write_state(aws, account(caller, stacks))


def make(project: Path, aws: Path, *arguments: str, **environment: str) -> Run:
    done = run_make(project, aws, "FAKE_AWS", *arguments, **environment)
    return Run(done.returncode, done.output, done.calls, done.state)


@pytest.mark.parametrize("confirm", [None, "CONFIRM=yes", "CONFIRM=demo-dev", "CONFIRM=prod"])
def test_destroying_prod_without_its_confirmation_exits_non_zero_and_calls_nothing(
    rendered_data_project: Path, aws: Path, confirm: str | None
) -> None:
    write_state(aws, ADMIN, {"demo-prod-data-lake": {}})

    run = make(rendered_data_project, aws, "destroy", "ENV=prod", *([confirm] if confirm else []))

    assert run.returncode != 0
    assert "CONFIRM=demo-prod" in run.output
    assert run.calls == []
    assert "deleted" not in run.state["stacks"]["demo-prod-data-lake"]


def test_env_and_confirm_count_only_on_the_command_line_not_from_the_shell(
    rendered_data_project: Path, aws: Path
) -> None:
    write_state(aws, ADMIN, {"demo-prod-data-lake": {}})

    run = make(rendered_data_project, aws, "destroy", ENV="prod", CONFIRM="demo-prod")

    assert run.returncode != 0
    assert "name the environment" in run.output
    assert run.calls == []


@pytest.mark.parametrize("environment", ["", "qa", "dev staging", "prod;true", "DEV"])
def test_an_unknown_environment_is_refused_before_any_call(
    rendered_data_project: Path, aws: Path, environment: str
) -> None:
    run = make(rendered_data_project, aws, "destroy", f"ENV={environment}")

    assert run.returncode != 0
    assert "dev staging prod" in run.output
    assert run.calls == []


def test_destroy_deletes_the_environments_stacks_top_layer_first_and_reports_what_it_kept(
    rendered_data_project: Path, aws: Path
) -> None:
    stacks = {
        "demo-dev-data-lake": {"retained": LAKE_KEPT},
        "demo-dev-pipelines": {},
        "demo-dev-endpoints": {},
        "demo-staging-data-lake": {},
        "demo-dev-tools-dev-x": {},  # another project's stack that shares the prefix
    }
    write_state(aws, ADMIN, stacks)
    declared = "ENVIRONMENT_STACKS=2:data-lake 3:pipelines 4:endpoints 4:monitoring"

    run = make(rendered_data_project, aws, "destroy", "ENV=dev", declared)

    assert run.returncode == 0, run.output
    assert run.deleted() == ["demo-dev-endpoints", "demo-dev-pipelines", "demo-dev-data-lake"]
    assert "demo-dev-monitoring: not deployed" in run.output
    assert "demo-dev-tools-dev-x: not declared by any layer, left in place" in run.output
    assert "deleted" not in run.state["stacks"]["demo-staging-data-lake"]
    assert "deleted" not in run.state["stacks"]["demo-dev-tools-dev-x"]
    assert "AWS::S3::Bucket demo-my-org-raw-eu-west-1-123456789012-dev" in run.output
    assert "AWS::KMS::Key 1234abcd-12ab-34cd-56ef-1234567890ab" in run.output
    assert all("--region" in call and "eu-west-1" in call for call in run.calls)


def test_the_data_layer_declares_its_lake_stack_for_destroy(
    rendered_data_project: Path, aws: Path
) -> None:
    write_state(aws, ADMIN, {"demo-prod-data-lake": {"retained": LAKE_KEPT}})

    run = make(rendered_data_project, aws, "destroy", "ENV=prod", "CONFIRM=demo-prod")

    assert run.returncode == 0, run.output
    assert run.deleted() == ["demo-prod-data-lake"]
    assert "Kept (DeletionPolicy Retain" in run.output


def test_destroy_refuses_credentials_of_another_account(
    rendered_data_project: Path, aws: Path
) -> None:
    write_state(aws, ADMIN, {"demo-dev-data-lake": {}})

    run = make(rendered_data_project, aws, "destroy", "ENV=dev", "AWS_ACCOUNT_ID_dev=210987654321")

    assert run.returncode != 0
    assert f"credentials are for account {ACCOUNT}; dev lives in 210987654321" in run.output
    assert [call[:2] for call in run.calls] == [["sts", "get-caller-identity"]]


def test_destroy_stops_at_a_stack_that_fails_to_delete_and_keeps_the_layers_below(
    rendered_data_project: Path, aws: Path
) -> None:
    write_state(aws, ADMIN, {"demo-dev-pipelines": {"fails": True}, "demo-dev-data-lake": {}})

    run = make(
        rendered_data_project,
        aws,
        "destroy",
        "ENV=dev",
        "ENVIRONMENT_STACKS=2:data-lake 3:pipelines",
    )

    assert run.returncode != 0
    assert "demo-dev-pipelines could not be deleted" in run.output
    assert "not empty" in run.output
    assert run.deleted() == ["demo-dev-pipelines"]
    assert "deleted" not in run.state["stacks"]["demo-dev-data-lake"]


# --- make lake-deploy: one environment's credentials deploy only that environment --------------


def test_lake_deploy_with_the_dev_deploy_role_deploys_the_dev_stack_as_dev_execution_role(
    rendered_data_project: Path, aws: Path
) -> None:
    write_state(aws, DEV_DEPLOY_ROLE, {})

    run = make(rendered_data_project, aws, "lake-deploy", "ENV=dev")

    assert run.returncode == 0, run.output
    deploy = run.state["stacks"]["demo-dev-data-lake"]["deployed_with"]
    role = deploy[deploy.index("--role-arn") + 1]
    assert role == f"arn:aws:iam::{ACCOUNT}:role/demo-dev-cfn-exec"
    assert deploy[deploy.index("--parameter-overrides") + 1] == "Environment=dev"
    tags = deploy[deploy.index("--tags") + 1 : deploy.index("--tags") + 4]
    assert tags == ["project=demo", "environment=dev", "managed-by=cloudformation"]


@pytest.mark.parametrize("target", ["staging", "prod"])
def test_lake_deploy_refuses_another_environments_deploy_role(
    rendered_data_project: Path, aws: Path, target: str
) -> None:
    write_state(aws, DEV_DEPLOY_ROLE, {})

    run = make(rendered_data_project, aws, "lake-deploy", f"ENV={target}")

    assert run.returncode != 0
    assert f"another environment's deploy role, not {target}'s" in run.output
    assert [call[:2] for call in run.calls] == [["sts", "get-caller-identity"]]


@pytest.mark.parametrize("environment", ["", "qa", "dev prod"])
def test_lake_deploy_refuses_an_unknown_environment_before_any_call(
    rendered_data_project: Path, aws: Path, environment: str
) -> None:
    run = make(rendered_data_project, aws, "lake-deploy", f"ENV={environment}")

    assert run.returncode == 2
    assert run.calls == []


def test_lake_deploy_deploys_the_catalog_after_the_lake_with_named_iam(
    rendered_data_project: Path, aws: Path
) -> None:
    write_state(aws, DEV_DEPLOY_ROLE, {})

    run = make(rendered_data_project, aws, "lake-deploy", "ENV=dev")

    deployed = [call[call.index("--stack-name") + 1] for call in run.calls if "deploy" in call]
    assert deployed == ["demo-dev-data-lake", "demo-dev-data-catalog"]
    for stack in deployed:
        deploy = run.state["stacks"][stack]["deployed_with"]
        assert deploy[deploy.index("--capabilities") + 1] == "CAPABILITY_NAMED_IAM"
    catalog = run.state["stacks"]["demo-dev-data-catalog"]["deployed_with"]
    assert catalog[catalog.index("--template-file") + 1] == "infra/data-catalog.yaml"


IMAGE = f"{ACCOUNT}.dkr.ecr.eu-west-1.amazonaws.com/demo@sha256:{'a' * 64}"


def test_runtime_deploy_runs_the_image_it_is_given_in_its_environment(
    rendered_data_project: Path, aws: Path
) -> None:
    write_state(aws, DEV_DEPLOY_ROLE, {})

    run = make(rendered_data_project, aws, "runtime-deploy", "ENV=dev", f"IMAGE={IMAGE}")

    assert run.returncode == 0, run.output
    deploy = run.state["stacks"]["demo-dev-data-runtime"]["deployed_with"]
    overrides = deploy[deploy.index("--parameter-overrides") + 1 : deploy.index("--role-arn")]
    assert overrides == ["Environment=dev", f"ImageUri={IMAGE}"]
    assert (
        deploy[deploy.index("--role-arn") + 1] == f"arn:aws:iam::{ACCOUNT}:role/demo-dev-cfn-exec"
    )


def test_runtime_deploy_needs_an_image_before_any_call(
    rendered_data_project: Path, aws: Path
) -> None:
    run = make(rendered_data_project, aws, "runtime-deploy", "ENV=dev")

    assert run.returncode == 2
    assert "IMAGE=<registry>/demo@sha256:<digest>" in run.output
    assert run.calls == []
