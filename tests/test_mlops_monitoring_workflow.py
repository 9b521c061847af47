"""The monitoring workflow (mlops layer) stays skipped until deploys are enabled, then deploys the
monitoring stack to each environment in order, with that environment's own role."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest
from test_workflow_gating import (
    ENABLED,
    EVENTS,
    Workflow,
    aws_jobs,
    deploy_commands,
    load_workflows,
    run_of,
)

if TYPE_CHECKING:
    from pathlib import Path


@pytest.fixture(scope="module")
def workflow(rendered_mlops_project: Path) -> Workflow:
    return load_workflows(rendered_mlops_project)["mlops-monitoring.yml"]


@pytest.mark.parametrize("event", list(EVENTS))
def test_without_deploy_enabled_nothing_reaches_aws_and_one_job_says_why(
    workflow: Workflow, event: str
) -> None:
    ran = run_of(workflow, event, {})

    assert ran & aws_jobs(workflow) == set()
    assert ran in ({"lint", "deploys-disabled"}, set())


def test_once_enabled_main_deploys_every_environment_in_order(workflow: Workflow) -> None:
    assert run_of(workflow, "push to main", ENABLED) == {
        "lint",
        "deploy-dev",
        "deploy-staging",
        "deploy-prod",
    }
    assert run_of(workflow, "pull request", ENABLED) == {"lint"}
    jobs = workflow["jobs"]
    assert [jobs[f"deploy-{env}"]["needs"] for env in ("dev", "staging", "prod")] == [
        "lint",
        "deploy-dev",
        "deploy-staging",
    ]


def test_each_deploy_job_assumes_its_own_environments_role_and_deploys_only_it(
    workflow: Workflow,
) -> None:
    for environment, commands in deploy_commands(workflow).items():
        assert commands == [
            "make setup",
            f"make monitoring-deploy ENV={environment}",
            f"make monitoring-upsert ENV={environment}",
        ]
