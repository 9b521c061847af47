"""One environment cannot reach another's: proofs on the rendered CloudFormation, read as data.

The devops layer's bootstrap (infra/devops.yaml) and the data layer's lake (infra/data-lake.yaml)
are rendered with copier (the platform layer's resources are named as infra/platform.yaml and
config/platform.yaml name them), once with every environment in one account and once with an account
per environment. Each template is then read as CloudFormation would deploy it (tests/
cloudformation.py) and the resulting policies are evaluated with tests/iam_policy.py, for every
ordered pair of environments: requests of one environment's identities against the other's
stacks, buckets, objects, keys, aliases, Glue databases and tables, SageMaker pipelines and
jobs, roles and policies.
"""

from __future__ import annotations

import functools
import itertools
import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from cloudformation import Stack, load
from iam_policy import Policy, Principal, Request, trust_allows

from conftest import render_only

ENVIRONMENTS = ("dev", "staging", "prod")
PROJECT = "demo"
ORG, REPO = "acme", "demo"
REGION = "eu-west-1"
OIDC = "token.actions.githubusercontent.com"
ACCOUNT_LAYOUTS = {
    "one-account": {
        "aws_account_id": "123456789012",
        "aws_account_id_dev": "123456789012",
        "aws_account_id_staging": "123456789012",
        "aws_account_id_prod": "123456789012",
    },
    "account-per-environment": {
        "aws_account_id": "111111111111",
        "aws_account_id_dev": "222222222222",
        "aws_account_id_staging": "333333333333",
        "aws_account_id_prod": "444444444444",
    },
}
ALLOW_EVERYTHING: Policy = {
    "Version": "2012-10-17",
    "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}],
}


def _render_infra(destination: Path, answers: Mapping[str, str]) -> Path:
    """Only infra/*.yaml of one layer, rendered by copier from this working tree."""
    render_only(destination, answers, ["infra", "infra/*.yaml"])
    return destination / "infra"


@pytest.fixture(scope="module")
def lake_template(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    infra = _render_infra(
        tmp_path_factory.mktemp("lake"),
        {"layer": "data", "project_name_data": PROJECT, "github_org_data": ORG},
    )
    return load(infra / "data-lake.yaml")


@dataclass(frozen=True)
class Deployment:
    """Every stack of the project, deployed in the accounts an account layout names."""

    accounts: Mapping[str, str]  # "tooling" and each environment -> account id
    bootstraps: Mapping[str, Stack]  # account id -> its <p>-bootstrap stack
    lakes: Mapping[str, Stack]  # environment -> its <p>-<env>-data-lake stack

    def bootstrap(self, environment: str) -> Stack:
        return self.bootstraps[self.accounts[environment]]

    def arn(self, environment: str, service: str, resource: str) -> str:
        account = self.accounts[environment]
        if service == "iam":
            return f"arn:aws:iam::{account}:{resource}"
        return f"arn:aws:{service}:{REGION}:{account}:{resource}"

    def boundary_arn(self, environment: str) -> str:
        return self.arn(environment, "iam", f"policy/{PROJECT}-{environment}-boundary")

    def execution_role_arn(self, environment: str) -> str:
        return self.arn(environment, "iam", f"role/{PROJECT}-{environment}-cfn-exec")


@pytest.fixture(scope="module", params=sorted(ACCOUNT_LAYOUTS))
def deployment(
    request: pytest.FixtureRequest,
    tmp_path_factory: pytest.TempPathFactory,
    lake_template: dict[str, Any],
) -> Deployment:
    answers = ACCOUNT_LAYOUTS[request.param]
    infra = _render_infra(
        tmp_path_factory.mktemp(request.param),
        {"layer": "devops", "project_name": PROJECT, "github_org": ORG, **answers},
    )
    bootstrap = load(infra / "devops.yaml")
    accounts = {"tooling": answers["aws_account_id"]} | {
        env: answers[f"aws_account_id_{env}"] for env in ENVIRONMENTS
    }
    return Deployment(
        accounts=accounts,
        bootstraps={
            account: Stack(bootstrap, f"{PROJECT}-bootstrap", account, REGION, {})
            for account in set(accounts.values())
        },
        lakes={
            env: Stack(
                lake_template,
                f"{PROJECT}-{env}-data-lake",
                accounts[env],
                REGION,
                {"Environment": env},
            )
            for env in ENVIRONMENTS
        },
    )


def _managed_policies(stack: Stack) -> dict[str, Policy]:
    """The managed policies ``stack`` creates, by ARN."""
    return {
        stack.ref(name): stack.properties(name)["PolicyDocument"]
        for name in stack.resources("AWS::IAM::ManagedPolicy")
    }


def _role(stack: Stack, logical: str) -> Principal:
    """A role of ``stack`` with its inline and managed policies and its boundary, resolved."""
    managed = _managed_policies(stack)
    role = stack.properties(logical)
    policies = [policy["PolicyDocument"] for policy in role.get("Policies", [])]
    policies += [managed[arn] for arn in role.get("ManagedPolicyArns", [])]
    boundary = role.get("PermissionsBoundary")
    return Principal(
        role["RoleName"], tuple(policies), managed[boundary] if boundary is not None else None
    )


def _logical_of_role(stack: Stack, role_name: str) -> str:
    (logical,) = (
        logical
        for logical in stack.resources("AWS::IAM::Role")
        if stack.properties(logical)["RoleName"] == role_name
    )
    return logical


def identities(deployment: Deployment, environment: str) -> dict[str, Principal]:
    """Whatever acts for ``environment``: its deploy role, its execution role, and any role its
    stacks may create (worst case: allowed everything, held back only by the boundary)."""
    stack = deployment.bootstrap(environment)
    deploy, execution = (
        _role(stack, _logical_of_role(stack, f"{PROJECT}-{environment}-{suffix}"))
        for suffix in ("github-deploy", "cfn-exec")
    )
    boundary = _managed_policies(stack)[deployment.boundary_arn(environment)]
    created = Principal("created role", (ALLOW_EVERYTHING,), boundary)
    return {"deploy role": deploy, "execution role": execution, "created role": created}


# --- what an environment owns, and what is done to it

STACK_ACTIONS = (
    "CancelUpdateStack",
    "ContinueUpdateRollback",
    "CreateChangeSet",
    "CreateStack",
    "DeleteStack",
    "DescribeStacks",
    "ExecuteChangeSet",
    "GetTemplate",
    "SetStackPolicy",
    "TagResource",
    "UpdateStack",
    "UpdateTerminationProtection",
)
S3_ACTIONS = (
    "DeleteBucket",
    "DeleteObject",
    "GetObject",
    "ListBucket",
    "PutBucketAcl",
    "PutBucketPolicy",
    "PutEncryptionConfiguration",
    "PutLifecycleConfiguration",
    "PutObject",
)
KEY_ACTIONS = (
    "CreateAlias",
    "CreateGrant",
    "Decrypt",
    "DisableKey",
    "Encrypt",
    "GenerateDataKey",
    "PutKeyPolicy",
    "ReEncryptFrom",
    "ScheduleKeyDeletion",
    "TagResource",
    "UntagResource",
)
ALIAS_ACTIONS = ("CreateAlias", "DeleteAlias", "UpdateAlias")
PIPELINE_ACTIONS = (
    "CreatePipeline",
    "DeletePipeline",
    "DescribePipeline",
    "StartPipelineExecution",
    "UpdatePipeline",
)
TRAINING_JOB_ACTIONS = ("CreateTrainingJob", "DescribeTrainingJob", "StopTrainingJob")
GLUE_ACTIONS = (
    "BatchCreatePartition",
    "CreateTable",
    "DeleteDatabase",
    "DeleteTable",
    "GetDatabase",
    "GetPartitions",
    "GetTable",
    "UpdateDatabase",
    "UpdateTable",
)
ROLE_ACTIONS = (
    "iam:AttachRolePolicy",
    "iam:CreateRole",
    "iam:DeleteRole",
    "iam:DeleteRolePermissionsBoundary",
    "iam:DeleteRolePolicy",
    "iam:PassRole",
    "iam:PutRolePermissionsBoundary",
    "iam:PutRolePolicy",
    "iam:TagRole",
    "iam:UpdateAssumeRolePolicy",
    "sts:AssumeRole",
)
POLICY_ACTIONS = (
    "CreatePolicyVersion",
    "DeletePolicy",
    "DeletePolicyVersion",
    "SetDefaultPolicyVersion",
    "TagPolicy",
)


def _qualified(service: str, actions: tuple[str, ...]) -> tuple[str, ...]:
    # An action the templates never name shows what their wildcards (s3:*, kms:*) grant.
    return (*(f"{service}:{action}" for action in actions), f"{service}:SomeFutureAction")


@dataclass(frozen=True)
class Target:
    """A resource of one environment, the actions that apply to it, and its tags."""

    what: str
    arn: str
    actions: tuple[str, ...]
    tags: Mapping[str, str]


def _stack_arn(deployment: Deployment, environment: str, name: str) -> str:
    return deployment.arn(environment, "cloudformation", f"stack/{name}/0a1b2c3d")


# The platform layer's names (infra/platform.yaml, config/platform.yaml with org "acme"): the
# pipeline, its training job as a pipeline execution names it (SageMaker appends a suffix to the
# name the definition gives), the model-artefact bucket and its key.
def _pipeline_arn(deployment: Deployment, environment: str) -> str:
    return deployment.arn(environment, "sagemaker", f"pipeline/{PROJECT}-{environment}-training")


def _training_job_arn(deployment: Deployment, environment: str) -> str:
    job = f"{PROJECT}-{environment}-train-a1b2c3d4e5"
    return deployment.arn(environment, "sagemaker", f"training-job/{job}")


def _artefact_bucket_arn(deployment: Deployment, environment: str) -> str:
    account = deployment.accounts[environment]
    return f"arn:aws:s3:::{PROJECT}-{ORG}-models-{REGION}-{account}-{environment}"


def _platform_targets(deployment: Deployment, environment: str) -> list[Target]:
    bucket = _artefact_bucket_arn(deployment, environment)
    account = deployment.accounts[environment]
    found = [
        Target("platform pipeline", _pipeline_arn(deployment, environment), PIPELINE_ACTIONS, {}),
        Target(
            "platform training job",
            _training_job_arn(deployment, environment),
            _qualified("sagemaker", TRAINING_JOB_ACTIONS),
            {},
        ),
        Target("platform artefact bucket", bucket, _qualified("s3", S3_ACTIONS), {}),
        Target(
            "object in the platform artefact bucket",
            f"{bucket}/config/platform.yaml",
            _qualified("s3", S3_ACTIONS),
            {},
        ),
        Target(
            "platform key",
            deployment.arn(environment, "kms", "key/0f1e2d3c-platform"),
            _qualified("kms", KEY_ACTIONS),
            {"project": PROJECT, "environment": environment, "managed-by": "cloudformation"},
        ),
    ]
    # Keys that end like another environment's bucket name: a wildcard spans "/".
    found += [
        Target(
            f"object of the platform artefact bucket named like {env}'s",
            f"{bucket}/x-models-{REGION}-{account}-{env}/y",
            _qualified("s3", S3_ACTIONS),
            {},
        )
        for env in ENVIRONMENTS
        if env != environment
    ]
    return found


def targets(deployment: Deployment, environment: str) -> list[Target]:
    """Every resource of ``environment`` that the templates define, and the names it may use."""
    lake = deployment.lakes[environment]
    found = [
        Target(
            f"stack {name}",
            _stack_arn(deployment, environment, name),
            _qualified("cloudformation", STACK_ACTIONS),
            {},
        )
        for name in (lake.name, f"{PROJECT}-{environment}-platform")
    ]
    for logical in lake.resources("AWS::S3::Bucket"):
        arn = lake.get_att(logical, "Arn")
        for what, resource in (
            (f"bucket {logical}", arn),
            (f"object in {logical}", f"{arn}/raw/x"),
        ):
            found.append(Target(what, resource, _qualified("s3", S3_ACTIONS), {}))
    for logical in lake.resources("AWS::KMS::Key"):
        tags = {tag["Key"]: tag["Value"] for tag in lake.properties(logical)["Tags"]}
        found.append(
            Target(
                f"key {logical}", lake.get_att(logical, "Arn"), _qualified("kms", KEY_ACTIONS), tags
            )
        )
    for logical in lake.resources("AWS::KMS::Alias"):
        alias = lake.properties(logical)["AliasName"]
        arn = deployment.arn(environment, "kms", alias)
        found.append(Target(f"alias {alias}", arn, _qualified("kms", ALIAS_ACTIONS), {}))
    for logical in lake.resources("AWS::Glue::Database"):
        database = lake.ref(logical)
        for what, resource in (
            (f"database {database}", f"database/{database}"),
            (f"table of {database}", f"table/{database}/wine"),
        ):
            arn = deployment.arn(environment, "glue", resource)
            found.append(Target(what, arn, _qualified("glue", GLUE_ACTIONS), {}))
    for role in ("github-deploy", "cfn-exec", "worker", "sagemaker-execution"):
        arn = deployment.arn(environment, "iam", f"role/{PROJECT}-{environment}-{role}")
        found.append(Target(f"role {role}", arn, ROLE_ACTIONS, {}))
    for policy in ("boundary", "cfn-exec", "worker"):
        arn = deployment.arn(environment, "iam", f"policy/{PROJECT}-{environment}-{policy}")
        found.append(Target(f"policy {policy}", arn, _qualified("iam", POLICY_ACTIONS), {}))
    return found + _platform_targets(deployment, environment)


def request_keys(deployment: Deployment, environment: str) -> dict[str, Any]:
    """Every request key the templates' conditions ask for, set as ``environment`` sets them."""
    return {
        "aws:RequestTag/environment": environment,
        "aws:RequestTag/project": PROJECT,
        "aws:TagKeys": ["environment", "project"],
        "iam:PermissionsBoundary": deployment.boundary_arn(environment),
        "iam:PassedToService": "cloudformation.amazonaws.com",
        "cloudformation:RoleArn": deployment.execution_role_arn(environment),
        "kms:ViaService": f"s3.{REGION}.amazonaws.com",
    }


def contexts(deployment: Deployment, target: Target) -> Iterator[dict[str, Any]]:
    """The request contexts an identity can produce against ``target``: no request keys, or
    those of one environment (each in turn), with the target's own tags."""
    resource_tags = {f"aws:ResourceTag/{key}": value for key, value in target.tags.items()}
    yield resource_tags
    for environment in ENVIRONMENTS:
        yield resource_tags | request_keys(deployment, environment)
        if "iam:PassRole" in target.actions:
            to_sagemaker = {"iam:PassedToService": "sagemaker.amazonaws.com"}
            yield resource_tags | request_keys(deployment, environment) | to_sagemaker


@pytest.fixture(scope="module")
def acting(deployment: Deployment) -> dict[str, dict[str, Principal]]:
    return {env: identities(deployment, env) for env in ENVIRONMENTS}


@pytest.fixture(scope="module")
def owned(deployment: Deployment) -> dict[str, list[Target]]:
    return {env: targets(deployment, env) for env in ENVIRONMENTS}


PAIRS = list(itertools.permutations(ENVIRONMENTS, 2))


@pytest.mark.parametrize(("actor", "owner"), PAIRS, ids=[f"{a}-to-{o}" for a, o in PAIRS])
def test_no_identity_of_one_environment_reaches_another(
    deployment: Deployment,
    acting: dict[str, dict[str, Principal]],
    owned: dict[str, list[Target]],
    actor: str,
    owner: str,
) -> None:
    reached = [
        f"{who} of {actor}: {action} on {target.what} ({target.arn})"
        for who, identity in acting[actor].items()
        for target in owned[owner]
        for action in target.actions
        for context in contexts(deployment, target)
        if identity.allows(Request(action, target.arn, context))
    ]
    assert reached == []


# --- the proofs above are not vacuous: each identity does reach its own environment


def _own(owned: dict[str, list[Target]], environment: str, what: str) -> Target:
    (target,) = (t for t in owned[environment] if t.what.startswith(what))
    return target


@pytest.mark.parametrize("environment", ENVIRONMENTS)
def test_each_identity_reaches_its_own_environment(
    deployment: Deployment,
    acting: dict[str, dict[str, Principal]],
    owned: dict[str, list[Target]],
    environment: str,
) -> None:
    identity = acting[environment]
    stack = _own(owned, environment, f"stack {PROJECT}-{environment}-data-lake")
    objects = _own(owned, environment, "object in RawBucket")
    key = _own(owned, environment, "key")
    worker = _own(owned, environment, "role worker")
    own = request_keys(deployment, environment)
    expected = {
        ("deploy role", "cloudformation:CreateStack", stack.arn),
        ("deploy role", "cloudformation:DeleteStack", stack.arn),
        ("execution role", "cloudformation:UpdateStack", stack.arn),
        ("execution role", "s3:PutObject", objects.arn),
        ("execution role", "kms:ScheduleKeyDeletion", key.arn),
        ("execution role", "iam:CreateRole", worker.arn),
        ("created role", "s3:GetObject", objects.arn),
        ("created role", "kms:Decrypt", key.arn),
    }
    allowed = {
        (who, action, arn)
        for who, action, arn in expected
        if identity[who].allows(
            Request(action, arn, own | {f"aws:ResourceTag/{k}": v for k, v in key.tags.items()})
        )
    }
    assert allowed == expected


def _upsert_requests(deployment: Deployment, environment: str) -> dict[str, Request]:
    """What ``make pipeline-upsert ENV=<environment>`` asks of AWS, in that environment."""
    key = _own_platform_key(deployment, environment)
    bucket = _artefact_bucket_arn(deployment, environment)
    role = deployment.arn(environment, "iam", f"role/{PROJECT}-{environment}-sagemaker-execution")
    pipeline = _pipeline_arn(deployment, environment)
    return {
        "list buckets": Request("s3:ListAllMyBuckets"),
        "probe the bucket": Request("s3:ListBucket", bucket),
        "upload config/": Request("s3:PutObject", f"{bucket}/config/platform.yaml"),
        "upload the driver scripts": Request(
            "s3:PutObject", f"{bucket}/{PROJECT}-{environment}-train/code/drivers.zip"
        ),
        "encrypt the uploads": Request("kms:GenerateDataKey", key.arn, _key_context(key)),
        "describe the pipeline": Request("sagemaker:DescribePipeline", pipeline),
        "create the pipeline": Request("sagemaker:CreatePipeline", pipeline),
        "update the pipeline": Request("sagemaker:UpdatePipeline", pipeline),
        "pass the execution role": Request(
            "iam:PassRole", role, {"iam:PassedToService": "sagemaker.amazonaws.com"}
        ),
    }


def _own_platform_key(deployment: Deployment, environment: str) -> Target:
    (key,) = (t for t in _platform_targets(deployment, environment) if t.what == "platform key")
    return key


def _key_context(key: Target) -> dict[str, str]:
    tags = {f"aws:ResourceTag/{name}": value for name, value in key.tags.items()}
    return tags | {"kms:ViaService": f"s3.{REGION}.amazonaws.com"}


@pytest.mark.parametrize("environment", ENVIRONMENTS)
def test_a_deploy_role_upserts_its_own_pipeline_only(
    deployment: Deployment, acting: dict[str, dict[str, Principal]], environment: str
) -> None:
    deploy = acting[environment]["deploy role"]
    own = _upsert_requests(deployment, environment)

    assert {what for what, request in own.items() if not deploy.allows(request)} == set()
    for other in ENVIRONMENTS:
        if other == environment:
            continue
        theirs = _upsert_requests(deployment, other)
        del theirs["list buckets"]  # names only, of the account's buckets
        assert {what for what, request in theirs.items() if deploy.allows(request)} == set()


@pytest.mark.parametrize("environment", ENVIRONMENTS)
def test_a_deploy_role_passes_the_sagemaker_execution_role_to_sagemaker_only(
    deployment: Deployment, acting: dict[str, dict[str, Principal]], environment: str
) -> None:
    deploy = acting[environment]["deploy role"]
    role = deployment.arn(environment, "iam", f"role/{PROJECT}-{environment}-sagemaker-execution")
    passed_to = {
        service
        for service in ("sagemaker", "cloudformation", "lambda", "ec2")
        if deploy.allows(
            Request("iam:PassRole", role, {"iam:PassedToService": f"{service}.amazonaws.com"})
        )
    }
    # Nor the CloudFormation execution role to SageMaker.
    to_sagemaker = {"iam:PassedToService": "sagemaker.amazonaws.com"}
    cfn_exec = deployment.execution_role_arn(environment)

    assert passed_to == {"sagemaker"}
    assert not deploy.allows(Request("iam:PassRole", cfn_exec, to_sagemaker))
    assert not deploy.allows(
        Request("sagemaker:DeletePipeline", _pipeline_arn(deployment, environment))
    )
    assert not deploy.allows(
        Request("s3:GetObject", f"{_artefact_bucket_arn(deployment, environment)}/config/x")
    )


@pytest.mark.parametrize("environment", ENVIRONMENTS)
def test_the_boundary_allows_the_pipelines_training_job_by_its_name(
    deployment: Deployment, acting: dict[str, dict[str, Principal]], environment: str
) -> None:
    """The pipeline definition names the training job <project>-<env>-train (SageMaker
    appends a suffix); a job SageMaker named itself, pipelines-<execution>-*, is outside."""
    created = acting[environment]["created role"]
    unnamed = deployment.arn(environment, "sagemaker", "training-job/pipelines-a1b2c3d4e5-train-x")

    assert created.allows(
        Request("sagemaker:CreateTrainingJob", _training_job_arn(deployment, environment))
    )
    assert not created.allows(Request("sagemaker:CreateTrainingJob", unnamed))


@pytest.mark.parametrize("environment", ENVIRONMENTS)
def test_no_identity_escapes_its_boundary_or_the_bootstrap(
    deployment: Deployment,
    acting: dict[str, dict[str, Principal]],
    owned: dict[str, list[Target]],
    environment: str,
) -> None:
    identity = acting[environment]
    stack = _own(owned, environment, f"stack {PROJECT}-{environment}-data-lake")
    worker = _own(owned, environment, "role worker").arn
    key = _own(owned, environment, "key")
    key_tags = {f"aws:ResourceTag/{k}": v for k, v in key.tags.items()}
    own = request_keys(deployment, environment)
    no_boundary = {k: v for k, v in own.items() if k != "iam:PermissionsBoundary"}
    other = next(env for env in ENVIRONMENTS if env != environment)
    bootstrap = deployment.bootstrap(environment)
    refused = [
        # Roles without this environment's boundary, or rid of it.
        ("execution role", "iam:CreateRole", worker, no_boundary),
        ("created role", "iam:CreateRole", worker, no_boundary),
        ("execution role", "iam:DeleteRolePermissionsBoundary", worker, own),
        # The bootstrap's identities stay as deployed.
        ("execution role", "iam:CreatePolicyVersion", deployment.boundary_arn(environment), own),
        (
            "execution role",
            "iam:CreatePolicyVersion",
            deployment.arn(environment, "iam", f"policy/{PROJECT}-{environment}-cfn-exec"),
            own,
        ),
        ("created role", "iam:AttachRolePolicy", deployment.execution_role_arn(environment), own),
        (
            "execution role",
            "iam:UpdateAssumeRolePolicy",
            deployment.execution_role_arn(environment),
            own,
        ),
        ("execution role", "iam:PassRole", deployment.execution_role_arn(environment), own),
        (
            "deploy role",
            "cloudformation:UpdateStack",
            _stack_arn(deployment, environment, bootstrap.name),
            own,
        ),
        (
            "execution role",
            "cloudformation:DeleteStack",
            _stack_arn(deployment, environment, bootstrap.name),
            own,
        ),
        # The deploy role changes stacks only as the execution role, and touches no data.
        (
            "deploy role",
            "cloudformation:CreateStack",
            stack.arn,
            no_boundary | {"cloudformation:RoleArn": ""},
        ),
        ("deploy role", "s3:GetObject", _own(owned, environment, "object in RawBucket").arn, own),
        (
            "deploy role",
            "iam:PassRole",
            deployment.execution_role_arn(environment),
            own | {"iam:PassedToService": "lambda.amazonaws.com"},
        ),
        # A key keeps the tags that make it this environment's.
        ("execution role", "kms:TagResource", key.arn, key_tags | request_keys(deployment, other)),
        (
            "execution role",
            "kms:UntagResource",
            key.arn,
            key_tags | {"aws:TagKeys": ["environment"]},
        ),
    ]
    escaped = [
        f"{who}: {action} on {arn}"
        for who, action, arn, context in refused
        if identity[who].allows(Request(action, arn, context))
    ]
    assert escaped == []


@pytest.mark.parametrize("environment", ENVIRONMENTS)
def test_roles_are_created_only_under_their_environments_boundary(
    deployment: Deployment, acting: dict[str, dict[str, Principal]], environment: str
) -> None:
    """So "any role it may create" is exactly a role held back by this environment's boundary."""
    worker = deployment.arn(environment, "iam", f"role/{PROJECT}-{environment}-worker")
    candidates: dict[str, str | None] = {env: deployment.boundary_arn(env) for env in ENVIRONMENTS}
    candidates |= {"none": None, "admin": "arn:aws:iam::aws:policy/AdministratorAccess"}
    creatable = {
        (who, action, name)
        for who in ("deploy role", "execution role", "created role")
        for action in ("iam:CreateRole", "iam:PutRolePermissionsBoundary")
        for name, boundary in candidates.items()
        if acting[environment][who].allows(
            Request(
                action, worker, {} if boundary is None else {"iam:PermissionsBoundary": boundary}
            )
        )
    }
    assert creatable == {
        ("execution role", action, environment)
        for action in ("iam:CreateRole", "iam:PutRolePermissionsBoundary")
    }


# --- who may assume the roles


def _subject(claim: str) -> str:
    return f"repo:{ORG}/{REPO}:{claim}"


def _web_identity(stack: Stack, subject: str, audience: str = "sts.amazonaws.com") -> Request:
    provider = f"arn:aws:iam::{stack.account_id}:oidc-provider/{OIDC}"
    return Request(
        "sts:AssumeRoleWithWebIdentity",
        context={f"{OIDC}:sub": subject, f"{OIDC}:aud": audience},
        principal=("Federated", provider),
    )


def _trust(stack: Stack, role_name: str) -> Policy:
    trust: Policy = stack.properties(_logical_of_role(stack, role_name))["AssumeRolePolicyDocument"]
    return trust


CLAIMS = (
    *(f"environment:{env}" for env in ENVIRONMENTS),
    "ref:refs/heads/main",
    "ref:refs/heads/feature",
    "ref:refs/tags/v1.2.3",
    "pull_request",
)


@pytest.mark.parametrize("environment", ENVIRONMENTS)
def test_a_deploy_role_trusts_only_its_own_github_environment(
    deployment: Deployment, environment: str
) -> None:
    stack = deployment.bootstrap(environment)
    trust = _trust(stack, f"{PROJECT}-{environment}-github-deploy")
    trusted = {
        claim for claim in CLAIMS if trust_allows(trust, _web_identity(stack, _subject(claim)))
    }
    assert trusted == {f"environment:{environment}"}
    own = _subject(f"environment:{environment}")
    assert not trust_allows(trust, _web_identity(stack, own, audience="sigstore"))
    assert not trust_allows(trust, _web_identity(stack, own.replace(f"{ORG}/", "fork/")))


def test_the_release_role_trusts_main_and_version_tags(deployment: Deployment) -> None:
    stack = deployment.bootstraps[deployment.accounts["tooling"]]
    trust = _trust(stack, f"{PROJECT}-github-release")
    trusted = {
        claim for claim in CLAIMS if trust_allows(trust, _web_identity(stack, _subject(claim)))
    }
    assert trusted == {"ref:refs/heads/main", "ref:refs/tags/v1.2.3"}


def test_each_account_holds_exactly_its_environments(deployment: Deployment) -> None:
    roles = {
        account: sorted(
            stack.properties(logical)["RoleName"] for logical in stack.resources("AWS::IAM::Role")
        )
        for account, stack in deployment.bootstraps.items()
    }
    expected: dict[str, list[str]] = {account: [] for account in deployment.bootstraps}
    expected[deployment.accounts["tooling"]].append(f"{PROJECT}-github-release")
    for env in ENVIRONMENTS:
        expected[deployment.accounts[env]] += [
            f"{PROJECT}-{env}-cfn-exec",
            f"{PROJECT}-{env}-github-deploy",
        ]
    assert roles == {account: sorted(names) for account, names in expected.items()}


# --- each environment's cost is its own: tags on everything taggable, a budget per environment


@functools.cache
def _tag_property(kind: str) -> str | None:
    """The property that carries the tags of ``kind``, per CloudFormation's resource schema."""
    from cfnlint.schema import PROVIDER_SCHEMA_MANAGER  # type: ignore[import-untyped]

    tagging = PROVIDER_SCHEMA_MANAGER.get_resource_schema(REGION, kind).schema.get("tagging", {})
    if not tagging.get("taggable"):
        return None
    return str(tagging.get("tagProperty", "/properties/Tags")).rsplit("/", 1)[-1]


def test_every_taggable_resource_names_its_project_environment_and_owner(
    deployment: Deployment,
) -> None:
    stacks: list[tuple[Stack, str | None]] = [(s, None) for s in deployment.bootstraps.values()]
    stacks += [(stack, env) for env, stack in deployment.lakes.items()]
    untagged, tagged = [], 0
    for stack, environment in stacks:
        for logical, resource in stack.resources().items():
            tag_property = _tag_property(resource["Type"])
            if tag_property is None:
                continue
            owner = environment or next(
                (env for env in ENVIRONMENTS if logical.startswith(env.capitalize())), "shared"
            )
            expected = {"project": PROJECT, "environment": owner, "managed-by": "cloudformation"}
            tags = stack.properties(logical).get(tag_property, [])
            found = {tag["Key"]: tag["Value"] for tag in tags}
            tagged += 1
            if {key: found.get(key) for key in expected} != expected:
                untagged.append(f"{stack.name} in {stack.account_id}: {logical} has {found}")
    assert untagged == []
    assert tagged >= 3 * 5  # roles, keys, buckets, budgets of each environment at least


def test_each_environment_has_a_monthly_budget_that_warns_before_it_is_spent(
    deployment: Deployment,
) -> None:
    for env in ENVIRONMENTS:
        stack = deployment.bootstrap(env)
        (budget,) = (
            stack.properties(logical)
            for logical in stack.resources("AWS::Budgets::Budget")
            if stack.properties(logical)["Budget"]["BudgetName"] == f"{PROJECT}-{env}-monthly"
        )
        assert budget["Budget"]["BudgetLimit"] == {"Amount": "100", "Unit": "USD"}
        filters = budget["Budget"]["FilterExpression"]["And"]
        assert {(f["Tags"]["Key"], *f["Tags"]["Values"]) for f in filters} == {
            ("project", PROJECT),
            ("environment", env),
        }
        alarms = {
            (n["Notification"]["NotificationType"], n["Notification"]["Threshold"])
            for n in budget["NotificationsWithSubscribers"]
        }
        assert alarms == {("ACTUAL", 80), ("FORECASTED", 100)}
        assert all(
            n["Subscribers"] == [{"SubscriptionType": "EMAIL", "Address": f"{PROJECT}@example.com"}]
            for n in budget["NotificationsWithSubscribers"]
        )


# --- the policies fit IAM's quotas, even with the longest names the questions accept

LONGEST = {
    "project_name": "p" + "x" * 39,
    "github_org": "o" * 39,
    "github_repo": "r" * 100,
    **ACCOUNT_LAYOUTS["account-per-environment"],
}
# IAM quotas (characters, white space not counted): a managed policy, a role's inline policies
# together, a role's trust policy (the default quota).
MANAGED_POLICY_QUOTA, INLINE_POLICIES_QUOTA, TRUST_POLICY_QUOTA = 6144, 10240, 2048


def _size(document: Policy) -> int:
    return len(json.dumps(document, separators=(",", ":")).replace(" ", ""))


def test_every_policy_fits_the_iam_quotas_with_the_longest_names(
    tmp_path_factory: pytest.TempPathFactory,
) -> None:
    infra = _render_infra(tmp_path_factory.mktemp("longest"), {"layer": "devops", **LONGEST})
    template = load(infra / "devops.yaml")
    accounts = {LONGEST["aws_account_id"]} | {LONGEST[f"aws_account_id_{e}"] for e in ENVIRONMENTS}
    sizes: dict[str, tuple[int, int]] = {}
    for account in accounts:
        stack = Stack(template, "bootstrap", account, REGION, {})
        for arn, document in _managed_policies(stack).items():
            sizes[arn] = (_size(document), MANAGED_POLICY_QUOTA)
        for logical in stack.resources("AWS::IAM::Role"):
            role = stack.properties(logical)
            inline = sum(_size(policy["PolicyDocument"]) for policy in role.get("Policies", []))
            sizes[f"{role['RoleName']} inline"] = (inline, INLINE_POLICIES_QUOTA)
            sizes[f"{role['RoleName']} trust"] = (
                _size(role["AssumeRolePolicyDocument"]),
                TRUST_POLICY_QUOTA,
            )
    assert len(sizes) == 3 * 2 + 7 * 2  # 2 policies per environment; 7 roles, 2 entries each
    assert {name: size for name, (size, quota) in sizes.items() if size > quota} == {}


@pytest.mark.parametrize("environment", ENVIRONMENTS)
def test_an_execution_role_serves_only_cloudformation_of_its_account(
    deployment: Deployment, environment: str
) -> None:
    stack = deployment.bootstrap(environment)
    trust = _trust(stack, f"{PROJECT}-{environment}-cfn-exec")

    def assume(service: str, account: str) -> Request:
        context = {"aws:SourceAccount": account}
        return Request("sts:AssumeRole", context=context, principal=("Service", service))

    own, foreign = stack.account_id, "999999999999"
    assert trust_allows(trust, assume("cloudformation.amazonaws.com", own))
    assert not trust_allows(trust, assume("cloudformation.amazonaws.com", foreign))
    assert not trust_allows(trust, assume("lambda.amazonaws.com", own))


def test_the_environments_parameter_bootstraps_a_subset_of_the_accounts_environments(
    deployment: Deployment,
) -> None:
    template, account = deployment.bootstrap("dev").template, deployment.accounts["dev"]
    only_dev = Stack(template, "bootstrap", account, REGION, {"Environments": "dev"})
    names = {
        only_dev.properties(logical)["RoleName"] for logical in only_dev.resources("AWS::IAM::Role")
    }
    expected = {f"{PROJECT}-dev-github-deploy", f"{PROJECT}-dev-cfn-exec"}
    if account == deployment.accounts["tooling"]:
        expected.add(f"{PROJECT}-github-release")
    assert names == expected
    with pytest.raises(ValueError, match="refuses Environments=qa"):
        Stack(template, "bootstrap", account, REGION, {"Environments": "qa"}).resources()


def _delivery_requests(deployment: Deployment, environment: str) -> dict[str, Request]:
    """What the mlops workflows ask of AWS as ``environment``'s deploy role: the smoke test
    invokes the endpoint; the promotion (dev only) lists dev's model package group; the monitoring
    workflow describes the declared package of dev's group."""
    package = deployment.arn("dev", "sagemaker", f"model-package/{PROJECT}-dev-models/3")
    endpoint = deployment.arn(
        environment, "sagemaker", f"endpoint/{PROJECT}-{environment}-endpoint"
    )
    return {
        "invoke the endpoint": Request("sagemaker:InvokeEndpoint", endpoint),
        "list the packages": Request("sagemaker:ListModelPackages", package),
        "describe a package": Request("sagemaker:DescribeModelPackage", package),
    }


@pytest.mark.parametrize("environment", ENVIRONMENTS)
def test_a_deploy_role_smoke_tests_its_own_endpoint_and_only_dev_lists_the_registry(
    deployment: Deployment, acting: dict[str, dict[str, Principal]], environment: str
) -> None:
    deploy = acting[environment]["deploy role"]
    own = _delivery_requests(deployment, environment)
    package = own["describe a package"].resource

    allowed = {what for what, request in own.items() if deploy.allows(request)}

    # Every environment describes dev's packages (the monitoring workflow finds the declared
    # package's image); only dev lists them (the promotion).
    reads = {"list the packages"} if environment == "dev" else set()
    assert allowed == {"invoke the endpoint", "describe a package"} | reads
    assert not deploy.allows(Request("sagemaker:UpdateModelPackage", package))
    for other in ENVIRONMENTS:
        if other != environment:
            theirs = _delivery_requests(deployment, other)["invoke the endpoint"]
            assert not deploy.allows(theirs)


def _copy_requests(
    deployment: Deployment, environment: str, package: int = 3
) -> dict[str, Request]:
    """What ``make copy-package ENV=<environment>`` asks of S3 and KMS: the declared package's
    model and baseline read in dev's artefact bucket, written to the environment's own."""
    dev_bucket, dev_key = (
        _artefact_bucket_arn(deployment, "dev"),
        _own_platform_key(deployment, "dev"),
    )
    bucket, key = (
        _artefact_bucket_arn(deployment, environment),
        _own_platform_key(deployment, environment),
    )
    job = f"{PROJECT}-dev-train-{package}"
    folder = f"{bucket}/promoted/{PROJECT}-dev-models/{package}"
    return {
        "read the model": Request(
            "s3:GetObject", f"{dev_bucket}/{PROJECT}-dev-training/models/{job}/output/model.tar.gz"
        ),
        "read the baseline": Request(
            "s3:GetObject",
            f"{dev_bucket}/{PROJECT}-dev-training/evaluation/{job}/reference.parquet",
        ),
        "decrypt them": Request(
            "kms:Decrypt",
            dev_key.arn,
            _key_context(dev_key) | {"kms:EncryptionContext:aws:s3:arn": dev_bucket},
        ),
        "write the model": Request("s3:PutObject", f"{folder}/model.tar.gz"),
        "write the baseline": Request("s3:PutObject", f"{folder}/reference.parquet"),
        "encrypt them": Request("kms:GenerateDataKey", key.arn, _key_context(key)),
        "complete a copy in parts": Request("kms:Decrypt", key.arn, _key_context(key)),
    }


@pytest.mark.parametrize("environment", ["staging", "prod"])
def test_a_deploy_role_copies_the_declared_models_files_out_of_dev_and_nothing_else(
    deployment: Deployment, acting: dict[str, dict[str, Principal]], environment: str
) -> None:
    """Its jobs' boundary keeps them out of dev: delivery brings them the model and baseline."""
    deploy = acting[environment]["deploy role"]
    own = _copy_requests(deployment, environment)

    assert {what for what, request in own.items() if not deploy.allows(request)} == set()
    dev_bucket = _artefact_bucket_arn(deployment, "dev")
    for elsewhere in (
        Request("s3:GetObject", f"{dev_bucket}/config/platform.yaml"),
        Request("s3:GetObject", f"{dev_bucket}/{PROJECT}-dev-training/splits/train.parquet"),
        Request("s3:PutObject", f"{dev_bucket}/{PROJECT}-dev-training/models/x/model.tar.gz"),
        Request("s3:DeleteObject", f"{dev_bucket}/{PROJECT}-dev-training/models/x/model.tar.gz"),
    ):
        assert not deploy.allows(elsewhere), elsewhere
    other = "prod" if environment == "staging" else "staging"
    theirs = _copy_requests(deployment, other)
    for what in ("write the model", "write the baseline", "encrypt them"):
        assert not deploy.allows(theirs[what]), what
    # A key of the other environment's bucket that looks like dev's models is still its own.
    dev_account = deployment.accounts["dev"]
    lookalike = (
        f"{_artefact_bucket_arn(deployment, other)}"
        f"/x-models-{REGION}-{dev_account}-dev/{PROJECT}-dev-training/models/y"
    )
    assert not deploy.allows(Request("s3:GetObject", lookalike))
