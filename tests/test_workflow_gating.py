"""Green until configured: with DEPLOY_ENABLED unset, no job of a generated workflow reaches AWS.

Read from the rendered workflows' `if:` conditions and `needs`, evaluated by the small evaluator
in github_expressions.py (tested first, below).
"""

from __future__ import annotations

import copy
import fnmatch
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pytest
import yaml
from github_expressions import ExpressionError, evaluate, jobs_that_run

from conftest import REPO_ROOT

Workflow = dict[Any, Any]

# The runs a repository sees: pushes to main and to a branch, pull requests, a release tag.
EVENTS: dict[str, dict[str, str]] = {
    "push to main": {"event_name": "push", "ref": "refs/heads/main"},
    "push to a branch": {"event_name": "push", "ref": "refs/heads/feature"},
    "pull request": {"event_name": "pull_request", "ref": "refs/pull/7/merge"},
    "release tag": {"event_name": "push", "ref": "refs/tags/v1.2.3"},
}
ENABLED = {"DEPLOY_ENABLED": "true", "PYPI_PUBLISH": "true"}
ACTION_PIN = re.compile(r"^[\w.-]+/[\w./-]+@[0-9a-f]{40}$")


# --- the evaluator ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("expression", "expected"),
    [
        ("vars.DEPLOY_ENABLED == 'true'", False),
        ("vars.DEPLOY_ENABLED != 'true'", True),
        ("${{ vars.DEPLOY_ENABLED == 'true' }}", False),
        ("vars.FLAG == 'TRUE'", True),  # strings compare ignoring case
        ("vars.MISSING == ''", True),  # null and '' both coerce to 0
        ("vars.MISSING == 'true'", False),
        ("!vars.MISSING", True),
        ("!(vars.FLAG == 'true') || github.ref == 'refs/heads/main'", True),
        ("vars.FLAG == 'true' && github.event_name == 'pull_request'", False),
        ("github.event_name == 'push' || vars.MISSING == 'x' && false", True),  # && binds first
        ("(github.event_name == 'push' || vars.MISSING == 'x') && false", False),
        ("startsWith(github.ref, 'refs/heads/')", True),
        ("startsWith(github.ref, 'REFS/TAGS/')", False),
        ("endsWith(github.ref, '/MAIN')", True),
        ("contains(github.ref, 'heads')", True),
        ("vars.MISSING || 'fallback'", "fallback"),
        ("vars.FLAG && 'then'", "then"),
        ("'it''s' == 'IT''S'", True),
        ("1 == '1'", True),
        ("true == 1", True),
        ("steps.look.outputs.digest == ''", True),
        ("success() && !cancelled()", True),
    ],
)
def test_evaluator_follows_githubs_rules(expression: str, expected: object) -> None:
    contexts = {
        "vars": {"FLAG": "true"},
        "github": {"event_name": "push", "ref": "refs/heads/main"},
        "steps": {},
    }

    assert evaluate(expression, contexts) == expected


@pytest.mark.parametrize(
    "expression",
    [
        "vars.A < 'b'",  # comparison operators the templates do not use
        "format('{0}', vars.A)",  # functions outside the subset
        "secrets.TOKEN == ''",  # a context the test did not provide
        "vars.A == ",
        "(vars.A == 'b'",
        "vars == 'b'",
        "deploy-${{ vars.A }}",
    ],
)
def test_evaluator_refuses_what_it_does_not_know(expression: str) -> None:
    with pytest.raises(ExpressionError):
        evaluate(expression, {"vars": {"A": "b"}})


def test_a_job_that_needs_a_skipped_job_is_skipped_unless_it_asks_for_always() -> None:
    jobs: dict[str, Mapping[str, Any]] = {
        "gate": {"if": "vars.ON == 'true'"},
        "after": {"needs": "gate"},
        "after-after": {"needs": ["after"], "if": "github.event_name == 'push'"},
        "anyway": {"needs": ["gate"], "if": "always()"},
        "only-on-success": {"needs": ["gate"], "if": "success()"},
        "free": {},
    }

    ran = jobs_that_run(jobs, {"vars": {}, "github": {"event_name": "push"}})

    assert ran == {"anyway", "free"}


# --- the generated workflows --------------------------------------------------------------------


def load_workflows(project: Path) -> dict[str, Workflow]:
    workflows: dict[str, Workflow] = {}
    for path in sorted((project / ".github/workflows").glob("*.yml")):
        loaded = yaml.safe_load(path.read_text(encoding="utf-8"))
        assert isinstance(loaded, dict)
        workflows[path.name] = loaded
    return workflows


def steps_of(job: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    steps: list[Mapping[str, Any]] = job.get("steps", [])
    return steps


def role_of(job: Mapping[str, Any]) -> str:
    """The role the job's one AWS credentials step assumes."""
    (role,) = (
        step["with"]["role-to-assume"]
        for step in steps_of(job)
        if str(step.get("uses", "")).startswith("aws-actions/configure-aws-credentials@")
    )
    return str(role)


def make_commands(job: Mapping[str, Any]) -> list[str]:
    """The job's steps that run a make target, in order."""
    return [str(step["run"]) for step in steps_of(job) if str(step.get("run")).startswith("make ")]


# Actions that use a job's OIDC token for something other than AWS: Sigstore signing, PyPI.
OIDC_OUTSIDE_AWS = (
    "actions/attest-build-provenance@",
    "actions/attest@",
    "pypa/gh-action-pypi-publish@",
)


def needs_aws(job: Mapping[str, Any]) -> bool:
    """A job needs a cloud identity when it configures AWS credentials, or may mint an OIDC token
    that no step of it uses for something else (attestations, PyPI)."""
    uses = [str(step.get("uses", "")) for step in steps_of(job)]
    if any(use.startswith("aws-actions/configure-aws-credentials@") for use in uses):
        return True
    permissions = job.get("permissions", {})
    mints_token = isinstance(permissions, dict) and permissions.get("id-token") == "write"
    return mints_token and not any(use.startswith(OIDC_OUTSIDE_AWS) for use in uses)


@pytest.fixture(scope="module")
def workflows(rendered_data_project: Path) -> dict[str, Workflow]:
    return load_workflows(rendered_data_project)


def aws_jobs(workflow: Workflow) -> set[str]:
    return {name for name, job in workflow["jobs"].items() if needs_aws(job)}


def triggered(workflow: Workflow, event: str) -> bool:
    """Whether ``event`` starts the workflow at all (path filters aside: assume they match)."""
    github = EVENTS[event]
    # YAML 1.1 reads a bare `on` key as true.
    triggers = workflow["on"] if "on" in workflow else workflow[True]
    assert isinstance(triggers, dict)
    if github["event_name"] not in triggers:
        return False
    trigger = triggers[github["event_name"]] or {}
    if github["event_name"] != "push":
        return True
    ref = github["ref"]
    if ref.startswith("refs/tags/"):
        patterns = trigger.get("tags", [])
        name = ref.removeprefix("refs/tags/")
    else:
        patterns = trigger.get("branches", [])
        name = ref.removeprefix("refs/heads/")
    return any(fnmatch.fnmatchcase(name, pattern) for pattern in patterns)


def run_of(workflow: Workflow, event: str, variables: Mapping[str, str]) -> set[str]:
    """The jobs that run when ``event`` happens with repository ``variables``."""
    if not triggered(workflow, event):
        return set()
    contexts = {"vars": dict(variables), "github": EVENTS[event]}
    return jobs_that_run(workflow["jobs"], contexts)


def test_every_layer_has_workflows_with_aws_jobs(workflows: dict[str, Workflow]) -> None:
    with_aws = {name for name, workflow in workflows.items() if aws_jobs(workflow)}

    assert with_aws == {"ci.yml", "data.yml", "release.yml"}


@pytest.mark.parametrize("event", list(EVENTS))
def test_without_deploy_enabled_every_aws_job_is_skipped_and_one_job_says_why(
    workflows: dict[str, Workflow], event: str
) -> None:
    for name, workflow in workflows.items():
        ran = run_of(workflow, event, {})

        assert ran & aws_jobs(workflow) == set(), f"{name} reaches AWS on a {event}"
        if aws_jobs(workflow) and triggered(workflow, event):
            assert "deploys-disabled" in ran, f"{name} does not explain the skipped jobs"


def test_the_explaining_job_writes_the_way_to_enable_deploys_to_the_summary(
    workflows: dict[str, Workflow],
) -> None:
    for name, workflow in workflows.items():
        if not aws_jobs(workflow):
            continue
        job = workflow["jobs"]["deploys-disabled"]
        script = "".join(str(step.get("run", "")) for step in steps_of(job))

        assert not needs_aws(job), name
        assert job["permissions"] == {}, name
        assert "GITHUB_STEP_SUMMARY" in script, name
        assert "make github-setup ENABLE_DEPLOY=1" in script, name
        assert "demo-bootstrap" in script, name


def test_once_enabled_main_builds_the_image_and_deploys_every_environment_in_order(
    workflows: dict[str, Workflow],
) -> None:
    ci = run_of(workflows["ci.yml"], "push to main", ENABLED)
    data = run_of(workflows["data.yml"], "push to main", ENABLED)
    release = run_of(workflows["release.yml"], "release tag", ENABLED)

    assert {"checks", "image"} <= ci
    assert "deploys-disabled" not in ci
    assert {"deploy-dev", "deploy-staging", "deploy-prod"} <= data
    assert {"checks", "build", "github-release", "image"} <= release
    jobs = workflows["data.yml"]["jobs"]
    assert jobs["deploy-staging"]["needs"] == "deploy-dev"
    assert jobs["deploy-prod"]["needs"] == "deploy-staging"


@pytest.mark.parametrize("event", ["push to a branch", "pull request"])
def test_even_enabled_nothing_deploys_or_pushes_outside_main(
    workflows: dict[str, Workflow], event: str
) -> None:
    for name, workflow in workflows.items():
        ran = run_of(workflow, event, ENABLED)

        assert ran & aws_jobs(workflow) == set(), f"{name} reaches AWS on a {event}"


def deploy_commands(workflow: Workflow) -> dict[str, list[str]]:
    """The make commands of each job that reaches AWS, by its environment, once it is checked that
    the job is named deploy-<environment> and assumes that environment's own deploy role."""
    commands = {}
    for name, job in workflow["jobs"].items():
        if not needs_aws(job):
            continue
        environment = job["environment"]
        assert name == f"deploy-{environment}"
        assert role_of(job) == (
            f"arn:aws:iam::${{{{ vars.AWS_ACCOUNT_ID }}}}:role/demo-{environment}-github-deploy"
        )
        commands[environment] = make_commands(job)
    return commands


def test_each_deploy_job_assumes_its_own_environments_role_and_deploys_only_it(
    workflows: dict[str, Workflow],
) -> None:
    for environment, commands in deploy_commands(workflows["data.yml"]).items():
        assert commands == [
            f"make lake-deploy ENV={environment}",
            f'make runtime-deploy ENV={environment} IMAGE="${{IMAGE}}"',
        ]


def test_the_image_is_built_once_on_main_and_a_release_only_retags_its_digest(
    workflows: dict[str, Workflow],
) -> None:
    builders = [
        f"{name}/{job_name}"
        for name, workflow in workflows.items()
        for job_name, job in workflow["jobs"].items()
        if any(str(s.get("uses")).startswith("docker/build-push-action@") for s in steps_of(job))
    ]
    image_job = workflows["ci.yml"]["jobs"]["image"]
    release_job = workflows["release.yml"]["jobs"]["image"]
    release_script = "".join(str(step.get("run", "")) for step in steps_of(release_job))
    push = next(s for s in steps_of(image_job) if s.get("id") == "push")

    assert builders == ["ci.yml/image"]
    assert push["with"]["tags"].endswith(":sha-${{ github.sha }}")
    assert set(image_job["outputs"]) == {"digest", "image"}
    assert "aws ecr put-image" in release_script
    assert '--image-digest "${digest}"' in release_script
    assert "sha-${COMMIT}" in release_script
    assert set(release_job["outputs"]) == {"digest"}


def test_every_action_is_pinned_to_a_commit_listed_in_the_pinned_actions_doc(
    workflows: dict[str, Workflow],
) -> None:
    verified = (REPO_ROOT / "docs/pinned-actions.md").read_text(encoding="utf-8")
    for name, workflow in workflows.items():
        for job in workflow["jobs"].values():
            for step in steps_of(job):
                uses = step.get("uses")
                if uses is None:
                    continue
                assert ACTION_PIN.match(uses), f"{name}: {uses} is not pinned to a commit"
                assert uses.split("@")[1] in verified, f"{name}: {uses} is not a verified pin"


def test_the_check_catches_a_deploy_job_without_the_gate(workflows: dict[str, Workflow]) -> None:
    data = copy.deepcopy(workflows["data.yml"])
    deploy = data["jobs"]["deploy-dev"]
    deploy["if"] = deploy["if"].replace("vars.DEPLOY_ENABLED == 'true' && ", "")

    assert run_of(data, "push to main", {}) & aws_jobs(data) == {"deploy-dev"}
