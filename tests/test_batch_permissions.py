"""The batch pipeline's permissions in AWS: its jobs write the predictions table, and only it.

The batch pipeline (the mlops layer's ``<project>-<env>-batch``) runs as the platform's SageMaker
execution role (infra/platform.yaml); that role, resolved against the lake's exports and held
back by the environment's boundary (infra/devops.yaml), is decided by the IAM evaluator
(tests/iam_policy.py). The deploy role that upserts the pipeline is checked as well.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from cloudformation import Stack, load
from iam_policy import Principal, Request

# The default answers of conftest.rendered_mlops_project: one account for everything.
PROJECT, PACKAGE, REGION, ACCOUNT = "demo", "demo", "eu-west-1", "123456789012"
ENVIRONMENTS = ("dev", "staging", "prod")


@pytest.fixture(scope="module")
def templates(rendered_mlops_project: Path) -> dict[str, dict[str, Any]]:
    infra = rendered_mlops_project / "infra"
    return {name: load(infra / f"{name}.yaml") for name in ("data-lake", "platform", "devops")}


def _lake(templates: dict[str, dict[str, Any]], env: str) -> Stack:
    name = f"{PROJECT}-{env}-data-lake"
    return Stack(templates["data-lake"], name, ACCOUNT, REGION, {"Environment": env})


def _boundaries(templates: dict[str, dict[str, Any]]) -> dict[str, Any]:
    stack = Stack(templates["devops"], f"{PROJECT}-bootstrap", ACCOUNT, REGION, {})
    return {
        stack.ref(logical): stack.properties(logical)["PolicyDocument"]
        for logical in stack.resources("AWS::IAM::ManagedPolicy")
    }


def _execution_role(templates: dict[str, dict[str, Any]], env: str) -> Principal:
    platform = Stack(
        templates["platform"],
        f"{PROJECT}-{env}-platform",
        ACCOUNT,
        REGION,
        {"Environment": env},
        _lake(templates, env).exported(),
    )
    role = platform.properties("SageMakerExecutionRole")
    documents = tuple(policy["PolicyDocument"] for policy in role["Policies"])
    boundary = _boundaries(templates)[role["PermissionsBoundary"]]
    return Principal(role["RoleName"], documents, boundary)


def _attempts(templates: dict[str, dict[str, Any]], env: str) -> dict[str, Request]:
    """What a scoring job might try in the curated zone of ``env``."""
    lake = _lake(templates, env)
    bucket = lake.get_att("CuratedBucket", "Arn")
    database = f"{PACKAGE}_curated_{env}"
    glue = f"arn:aws:glue:{REGION}:{ACCOUNT}"
    key = lake.get_att("DataLakeKey", "Arn")
    tags = {"aws:ResourceTag/environment": env, "aws:ResourceTag/project": PROJECT}
    data = "curated/sklearn/wine-predictions/data/dt=2026-01-01/part-0.parquet"
    return {
        f"write {env}'s predictions": Request("s3:PutObject", f"{bucket}/{data}"),
        f"encrypt {env}'s predictions": Request("kms:GenerateDataKey", key, tags),
        f"read {env}'s curated wine": Request(
            "s3:GetObject", f"{bucket}/curated/sklearn/wine/data/x.parquet"
        ),
        f"look up {env}'s wine table": Request(
            "glue:GetTable", f"{glue}:table/{database}/sklearn_wine"
        ),
        f"create {env}'s predictions table": Request(
            "glue:CreateTable", f"{glue}:table/{database}/sklearn_wine_predictions"
        ),
        f"commit {env}'s predictions table": Request(
            "glue:UpdateTable", f"{glue}:table/{database}/sklearn_wine_predictions"
        ),
        f"overwrite {env}'s curated wine": Request(
            "s3:PutObject", f"{bucket}/curated/sklearn/wine/data/x.parquet"
        ),
        f"commit {env}'s wine table": Request(
            "glue:UpdateTable", f"{glue}:table/{database}/sklearn_wine"
        ),
        f"write {env}'s predictions under another prefix": Request(
            "s3:PutObject", f"{bucket}/curated/sklearn/wine-predictions-old/x.parquet"
        ),
    }


@pytest.mark.parametrize("env", ENVIRONMENTS)
def test_the_execution_role_writes_its_own_predictions_table_only(
    templates: dict[str, dict[str, Any]], env: str
) -> None:
    role = _execution_role(templates, env)
    reached = {what for what, request in _attempts(templates, env).items() if role.allows(request)}
    assert reached == {
        f"write {env}'s predictions",
        f"encrypt {env}'s predictions",
        f"read {env}'s curated wine",
        f"look up {env}'s wine table",
        f"create {env}'s predictions table",
        f"commit {env}'s predictions table",
    }
    for other in ENVIRONMENTS:
        if other != env:
            foreign = _attempts(templates, other)
            assert not role.allows(foreign[f"write {other}'s predictions"]), other
            assert not role.allows(foreign[f"commit {other}'s predictions table"]), other


@pytest.mark.parametrize("env", ENVIRONMENTS)
def test_the_execution_role_scores_with_its_own_environments_promoted_copy_only(
    templates: dict[str, dict[str, Any]], env: str
) -> None:
    """In staging and prod a batch job reads the package's copy delivery made (promoted.py)."""
    role = _execution_role(templates, env)

    def promoted_model(owner: str) -> Request:
        bucket = f"arn:aws:s3:::{PROJECT}-my-org-models-{REGION}-{ACCOUNT}-{owner}"
        return Request("s3:GetObject", f"{bucket}/promoted/{PROJECT}-dev-models/3/model.tar.gz")

    assert {owner for owner in ENVIRONMENTS if role.allows(promoted_model(owner))} == {env}


def _deploy_role(templates: dict[str, dict[str, Any]], env: str) -> Principal:
    stack = Stack(templates["devops"], f"{PROJECT}-bootstrap", ACCOUNT, REGION, {})
    (role,) = (
        stack.properties(logical)
        for logical in stack.resources("AWS::IAM::Role")
        if stack.properties(logical)["RoleName"] == f"{PROJECT}-{env}-github-deploy"
    )
    return Principal(role["RoleName"], tuple(p["PolicyDocument"] for p in role["Policies"]))


@pytest.mark.parametrize("env", ENVIRONMENTS)
def test_the_deploy_role_upserts_its_batch_pipeline_with_the_execution_role(
    templates: dict[str, dict[str, Any]], env: str
) -> None:
    """`make batch-upsert ENV=<env>` in the delivery workflow, as ``env``'s deploy role."""
    role = _deploy_role(templates, env)
    sagemaker = f"arn:aws:sagemaker:{REGION}:{ACCOUNT}"
    pipeline = f"{sagemaker}:pipeline/{PROJECT}-{env}-batch"
    for action in ("DescribePipeline", "CreatePipeline", "UpdatePipeline"):
        assert role.allows(Request(f"sagemaker:{action}", pipeline)), action
    to_sagemaker = {"iam:PassedToService": "sagemaker.amazonaws.com"}
    execution = f"arn:aws:iam::{ACCOUNT}:role/{PROJECT}-{env}-sagemaker-execution"
    assert role.allows(Request("iam:PassRole", execution, to_sagemaker))
    for other in ENVIRONMENTS:
        if other != env:
            foreign = f"{sagemaker}:pipeline/{PROJECT}-{other}-batch"
            assert not role.allows(Request("sagemaker:UpdatePipeline", foreign)), other
            passed = f"arn:aws:iam::{ACCOUNT}:role/{PROJECT}-{other}-sagemaker-execution"
            assert not role.allows(Request("iam:PassRole", passed, to_sagemaker)), other
