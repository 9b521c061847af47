"""The mlops layer's workflows, read from a rendered project: promotion opens a pull request from
approved packages only, delivery deploys the declared packages staging first and prod behind its
environment, nothing reaches AWS before deploys are enabled, and every job has the least rights.

Conditions are evaluated by github_expressions.py, as in test_workflow_gating.py.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pytest
from github_expressions import jobs_that_run
from test_workflow_gating import (
    ACTION_PIN,
    Workflow,
    load_workflows,
    make_commands,
    needs_aws,
    role_of,
    steps_of,
)

from conftest import REPO_ROOT

ARN = "arn:aws:sagemaker:eu-west-1:123456789012:model-package/demo-dev-models/3"
MAIN = {"ref": "refs/heads/main"}
ENABLED = {"DEPLOY_ENABLED": "true"}
# The outputs of the jobs the others need: both environments declare a package, one is proposed.
DECLARED = {"declared": {"outputs": {"staging": ARN, "prod": ARN}}}
PROPOSED = {"find": {"outputs": {"change": '{"model_package_arn": "..."}'}}}


@pytest.fixture(scope="module")
def workflows(rendered_mlops_project: Path) -> dict[str, Workflow]:
    return load_workflows(rendered_mlops_project)


@pytest.fixture(scope="module")
def promote(workflows: dict[str, Workflow]) -> Workflow:
    return workflows["mlops-promote.yml"]


@pytest.fixture(scope="module")
def deliver(workflows: dict[str, Workflow]) -> Workflow:
    return workflows["mlops.yml"]


def triggers(workflow: Workflow) -> dict[str, Any]:
    found = workflow["on"] if "on" in workflow else workflow[True]  # YAML 1.1 reads `on` as true
    assert isinstance(found, dict)
    return found


def ran(
    workflow: Workflow,
    event: str,
    variables: Mapping[str, str],
    needs: Mapping[str, Any],
    ref: str = "refs/heads/main",
) -> set[str]:
    contexts = {"vars": dict(variables), "github": {"event_name": event, "ref": ref}}
    return jobs_that_run(workflow["jobs"], contexts | {"needs": dict(needs)})


def scripts(job: Mapping[str, Any]) -> str:
    return "\n".join(str(step.get("run", "")) for step in steps_of(job))


def test_the_mlops_layer_adds_its_two_workflows(workflows: dict[str, Workflow]) -> None:
    assert {"mlops-promote.yml", "mlops.yml"} <= set(workflows)


def test_promotion_runs_on_a_schedule_and_by_hand_delivery_on_main(
    promote: Workflow, deliver: Workflow
) -> None:
    assert set(triggers(promote)) == {"schedule", "workflow_dispatch"}
    assert triggers(promote)["schedule"][0]["cron"]
    assert set(triggers(deliver)) == {"push", "workflow_dispatch"}
    assert triggers(deliver)["push"]["branches"] == ["main"]
    assert "config/deployments.yaml" in triggers(deliver)["push"]["paths"]


@pytest.mark.parametrize("event", ["schedule", "workflow_dispatch", "push"])
def test_without_deploy_enabled_no_job_reaches_aws_and_one_says_why(
    workflows: dict[str, Workflow], event: str
) -> None:
    for name in ("mlops-promote.yml", "mlops.yml"):
        workflow = workflows[name]
        if event not in triggers(workflow):
            continue
        started = ran(workflow, event, {}, DECLARED | PROPOSED)
        aws = {job for job, spec in workflow["jobs"].items() if needs_aws(spec)}

        assert aws, name
        assert started & aws == set(), f"{name} reaches AWS on {event}"
        assert "deploys-disabled" in started, name
        assert workflow["jobs"]["deploys-disabled"]["permissions"] == {}
        assert "make github-setup ENABLE_DEPLOY=1" in scripts(workflow["jobs"]["deploys-disabled"])


def test_a_dispatch_from_another_branch_reaches_no_aws(workflows: dict[str, Workflow]) -> None:
    for name, workflow in workflows.items():
        if not name.startswith("mlops"):
            continue
        started = ran(workflow, "workflow_dispatch", ENABLED, DECLARED | PROPOSED, "refs/heads/x")
        aws = {job for job, spec in workflow["jobs"].items() if needs_aws(spec)}

        assert started & aws == set(), name


def test_promotion_reads_devs_registry_read_only_then_proposes_without_aws(
    promote: Workflow,
) -> None:
    find, propose = promote["jobs"]["find"], promote["jobs"]["propose"]

    assert ran(promote, "schedule", ENABLED, PROPOSED) == {"find", "propose"}
    nothing = {"find": {"outputs": {"change": "{}"}}}
    assert ran(promote, "schedule", ENABLED, nothing) == {"find"}
    assert promote["permissions"] == {}
    assert find["environment"] == "dev"
    assert find["permissions"] == {"contents": "read", "id-token": "write"}
    assert role_of(find) == "arn:aws:iam::${{ vars.AWS_ACCOUNT_ID }}:role/demo-dev-github-deploy"
    assert "promote --to staging --check" in scripts(find)
    assert not needs_aws(propose)
    assert "environment" not in propose
    assert propose["permissions"] == {
        "contents": "write",
        "pull-requests": "write",
        "actions": "write",
    }
    assert propose["needs"] == "find"


def test_the_proposal_is_a_pull_request_whose_checks_the_workflow_starts(
    promote: Workflow, workflows: dict[str, Workflow]
) -> None:
    script = scripts(promote["jobs"]["propose"])
    change = next(
        step for step in steps_of(promote["jobs"]["propose"]) if "--change" in str(step.get("run"))
    )

    # The change travels through the environment, never into the script's text.
    assert change["env"] == {"CHANGE": "${{ needs.find.outputs.change }}"}
    assert 'promote --to staging --change "${RUNNER_TEMP}/change.json"' in change["run"]
    assert "gh pr create --head" in script
    assert "gh pr edit" in script
    assert 'gh workflow run ci.yml --ref "${branch}"' in script
    # ...which works because CI can be dispatched.
    assert "workflow_dispatch" in triggers(workflows["ci.yml"])


def test_delivery_deploys_staging_then_prod_each_with_its_own_role(deliver: Workflow) -> None:
    jobs = deliver["jobs"]

    assert ran(deliver, "push", ENABLED, DECLARED) == {
        "declared",
        "deploy-staging",
        "deploy-prod",
    }
    assert jobs["deploy-prod"]["needs"] == ["declared", "deploy-staging"]
    assert jobs["declared"]["permissions"] == {"contents": "read"}
    assert 'deployments show --env "${environment}"' in scripts(jobs["declared"])
    for environment in ("staging", "prod"):
        job = jobs[f"deploy-{environment}"]
        commands = make_commands(job)
        deploy = next(s for s in steps_of(job) if "serving-deploy" in str(s.get("run")))

        assert job["environment"] == environment
        assert job["permissions"] == {"contents": "read", "id-token": "write"}
        assert role_of(job) == (
            f"arn:aws:iam::${{{{ vars.AWS_ACCOUNT_ID }}}}:role/demo-{environment}-github-deploy"
        )
        assert commands == [
            # the jobs of staging and prod read the package's files there, not in dev
            f'make copy-package ENV={environment} MODEL_PACKAGE_ARN="${{MODEL_PACKAGE_ARN}}"',
            f'make serving-deploy ENV={environment} MODEL_PACKAGE_ARN="${{MODEL_PACKAGE_ARN}}"',
            f"make smoke-endpoint ENV={environment}",
            # the batch pipeline follows its environment's delivery, with the SageMaker SDK
            "make setup",
            f"make batch-upsert ENV={environment}",
        ]
        assert deploy["env"] == {
            "MODEL_PACKAGE_ARN": f"${{{{ needs.declared.outputs.{environment} }}}}"
        }
        copy = next(s for s in steps_of(job) if "copy-package" in str(s.get("run")))
        assert copy["env"] == deploy["env"]


@pytest.mark.parametrize(
    ("staging", "prod", "deployed"),
    [
        ("", "", set()),  # no package yet: no endpoint anywhere
        (ARN, "", {"deploy-staging"}),
        ("", ARN, set()),  # prod never goes before staging
    ],
)
def test_an_environment_without_a_declared_package_gets_no_endpoint(
    deliver: Workflow, staging: str, prod: str, deployed: set[str]
) -> None:
    needs = {"declared": {"outputs": {"staging": staging, "prod": prod}}}

    assert ran(deliver, "push", ENABLED, needs) == {"declared"} | deployed


def test_every_action_is_pinned_to_a_commit_listed_in_the_pinned_actions_doc(
    promote: Workflow, deliver: Workflow
) -> None:
    verified = (REPO_ROOT / "docs/pinned-actions.md").read_text(encoding="utf-8")
    for workflow in (promote, deliver):
        for job in workflow["jobs"].values():
            for step in steps_of(job):
                uses = step.get("uses")
                if uses is not None:
                    assert ACTION_PIN.match(uses), uses
                    assert uses.split("@")[1] in verified, uses


def test_the_check_catches_a_deploy_job_without_the_gate(deliver: Workflow) -> None:
    broken = copy.deepcopy(deliver)
    job = broken["jobs"]["deploy-prod"]
    job["if"] = job["if"].replace("vars.DEPLOY_ENABLED == 'true' && ", "")

    assert ran(broken, "push", {}, DECLARED) == {"declared", "deploys-disabled"}
    broken["jobs"]["deploy-prod"]["needs"] = ["declared"]
    assert "deploy-prod" in ran(broken, "push", {}, DECLARED)
