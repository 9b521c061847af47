"""The monitoring stack is deployable by its environment's execution role (schedule included),
its retrain guard may start that environment's training pipeline and nothing else, its scheduler
only the monitoring pipeline, and its monitoring job reads the captures and writes the reports
and metrics of its own environment only.

infra/monitoring.yaml (mlops layer) and the bootstrap's roles and boundary (infra/devops.yaml) are
read as deployed with default answers, one account for every environment, and decided by the
evaluator (tests/iam_policy.py).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pytest
from cloudformation import Stack, load
from iam_policy import Principal, Request

if TYPE_CHECKING:
    from pathlib import Path

PROJECT, REGION, ACCOUNT = "demo", "eu-west-1", "123456789012"
ENVIRONMENTS = ("dev", "staging", "prod")
PACKAGE = f"arn:aws:sagemaker:{REGION}:{ACCOUNT}:model-package/{PROJECT}-dev-models/7"
DIGEST = "sha256:" + "ab" * 32


@pytest.fixture(scope="module")
def templates(rendered_mlops_project: Path) -> dict[str, dict[str, Any]]:
    infra = rendered_mlops_project / "infra"
    return {
        "monitoring": load(infra / "monitoring.yaml"),
        "devops": load(infra / "devops.yaml"),
        "lake": load(infra / "data-lake.yaml"),
        "platform": load(infra / "platform.yaml"),
    }


def _lake(templates: dict[str, dict[str, Any]], env: str) -> Stack:
    parameters = {"Environment": env}
    return Stack(templates["lake"], f"{PROJECT}-{env}-data-lake", ACCOUNT, REGION, parameters)


def _platform(templates: dict[str, dict[str, Any]], env: str) -> Stack:
    name = f"{PROJECT}-{env}-platform"
    return Stack(
        templates["platform"],
        name,
        ACCOUNT,
        REGION,
        {"Environment": env},
        _lake(templates, env).exported(),
    )


def _monitoring(templates: dict[str, dict[str, Any]], env: str) -> Stack:
    """The monitoring stack of ``env`` once a model is declared (the schedule exists)."""
    exports = _lake(templates, env).exported() | _platform(templates, env).exported()
    parameters = {"Environment": env, "ModelPackageArn": PACKAGE, "ImageDigest": DIGEST}
    name = f"{PROJECT}-{env}-monitoring"
    return Stack(templates["monitoring"], name, ACCOUNT, REGION, parameters, exports)


def _managed(stack: Stack) -> dict[str, Any]:
    return {
        stack.ref(logical): stack.properties(logical)["PolicyDocument"]
        for logical in stack.resources("AWS::IAM::ManagedPolicy")
    }


def _role(stack: Stack, role_name: str, managed: dict[str, Any]) -> Principal:
    (role,) = (
        stack.properties(logical)
        for logical in stack.resources("AWS::IAM::Role")
        if stack.properties(logical)["RoleName"] == role_name
    )
    policies = [policy["PolicyDocument"] for policy in role.get("Policies", [])]
    policies += [managed[arn] for arn in role.get("ManagedPolicyArns", [])]
    boundary = role.get("PermissionsBoundary")
    return Principal(role_name, tuple(policies), None if boundary is None else managed[boundary])


def _monitoring_role(templates: dict[str, dict[str, Any]], env: str, role: str) -> Principal:
    """Role <project>-<env>-``role`` of ``env``'s monitoring stack, under its boundary."""
    bootstrap = Stack(templates["devops"], f"{PROJECT}-bootstrap", ACCOUNT, REGION, {})
    return _role(_monitoring(templates, env), f"{PROJECT}-{env}-{role}", _managed(bootstrap))


def _arn(service: str, resource: str) -> str:
    if service == "iam":
        return f"arn:aws:iam::{ACCOUNT}:{resource}"
    if service == "cloudwatch" and resource.startswith("dashboard/"):
        return f"arn:aws:cloudwatch::{ACCOUNT}:{resource}"
    return f"arn:aws:{service}:{REGION}:{ACCOUNT}:{resource}"


def _deploy_requests(env: str) -> dict[str, Request]:
    """What CloudFormation does, as the execution role, to create stack <p>-<env>-monitoring."""
    name = f"{PROJECT}-{env}"
    guard_role = _arn("iam", f"role/{name}-retrain-guard")
    tags = {"aws:RequestTag/environment": env, "aws:RequestTag/project": PROJECT}
    # IAM sets iam:PermissionsBoundary from the role's boundary on changes of its policies too.
    bounded = {"iam:PermissionsBoundary": _arn("iam", f"policy/{name}-boundary")}
    requests = {
        "create the alerts key": Request("kms:CreateKey", "*", tags),
        "create the topic": Request("sns:CreateTopic", _arn("sns", f"{name}-alerts")),
        "set the topic policy": Request("sns:SetTopicAttributes", _arn("sns", f"{name}-alerts")),
        "subscribe": Request("sns:Subscribe", _arn("sns", f"{name}-alerts")),
        "create the queue": Request("sqs:CreateQueue", _arn("sqs", f"{name}-retrain-failed")),
        "create the log group": Request(
            "logs:CreateLogGroup", _arn("logs", f"log-group:/aws/lambda/{name}-retrain-guard")
        ),
        "create the guard's role": Request("iam:CreateRole", guard_role, bounded),
        "write its policy": Request("iam:PutRolePolicy", guard_role, bounded),
        "pass it to Lambda": Request(
            "iam:PassRole", guard_role, {"iam:PassedToService": "lambda.amazonaws.com"}
        ),
        "create the guard": Request(
            "lambda:CreateFunction", _arn("lambda", f"function:{name}-retrain-guard")
        ),
        "let the rule invoke it": Request(
            "lambda:AddPermission", _arn("lambda", f"function:{name}-retrain-guard")
        ),
        "create the dashboard": Request(
            "cloudwatch:PutDashboard", _arn("cloudwatch", f"dashboard/{name}-model")
        ),
        "create the schedule": Request(
            "scheduler:CreateSchedule", _arn("scheduler", f"schedule/default/{name}-monitoring")
        ),
        "update the schedule": Request(
            "scheduler:UpdateSchedule", _arn("scheduler", f"schedule/default/{name}-monitoring")
        ),
    }
    to_service = {
        "monitoring-job": "sagemaker.amazonaws.com",
        "monitoring-scheduler": "scheduler.amazonaws.com",
    }
    for role, service in to_service.items():
        arn = _arn("iam", f"role/{name}-{role}")
        requests[f"create role {role}"] = Request("iam:CreateRole", arn, bounded)
        requests[f"write the policy of {role}"] = Request("iam:PutRolePolicy", arn, bounded)
        requests[f"pass {role}"] = Request("iam:PassRole", arn, {"iam:PassedToService": service})
    for rule in ("training-failed", "monitoring-failed", "retrain-on-drift"):
        arn = _arn("events", f"rule/{name}-{rule}")
        requests[f"create rule {rule}"] = Request("events:PutRule", arn)
        requests[f"target rule {rule}"] = Request("events:PutTargets", arn)
    for alarm in ("endpoint-5xx", "endpoint-latency", "input-drift"):
        arn = _arn("cloudwatch", f"alarm:{name}-monitoring-{alarm}")
        requests[f"create alarm {alarm}"] = Request("cloudwatch:PutMetricAlarm", arn)
    return requests


@pytest.mark.parametrize("env", ENVIRONMENTS)
def test_the_execution_role_deploys_its_own_monitoring_stack_only(
    templates: dict[str, dict[str, Any]], env: str
) -> None:
    bootstrap = Stack(templates["devops"], f"{PROJECT}-bootstrap", ACCOUNT, REGION, {})
    execution = _role(bootstrap, f"{PROJECT}-{env}-cfn-exec", _managed(bootstrap))

    own = _deploy_requests(env)
    denied = {what for what, request in own.items() if not execution.allows(request)}

    assert denied == set()
    for other in ENVIRONMENTS:
        if other != env:
            theirs = _deploy_requests(other)
            del theirs["create the alerts key"]  # tags decide: checked with env's own tags above
            allowed = {what for what, request in theirs.items() if execution.allows(request)}
            assert allowed == set(), other


@pytest.mark.parametrize("env", ENVIRONMENTS)
def test_the_retrain_guard_starts_its_training_pipeline_only(
    templates: dict[str, dict[str, Any]], env: str
) -> None:
    guard = _monitoring_role(templates, env, "retrain-guard")
    pipelines = {
        pipeline: _arn("sagemaker", f"pipeline/{pipeline}")
        for pipeline in (
            f"{PROJECT}-{other}-{kind}"
            for other in ENVIRONMENTS
            for kind in ("training", "monitoring")
        )
    }

    startable = {
        pipeline
        for pipeline, arn in pipelines.items()
        if guard.allows(Request("sagemaker:StartPipelineExecution", arn))
    }

    assert startable == {f"{PROJECT}-{env}-training"}
    assert not guard.allows(
        Request("sagemaker:DeletePipeline", pipelines[f"{PROJECT}-{env}-training"])
    )


@pytest.mark.parametrize("env", ENVIRONMENTS)
def test_the_scheduler_starts_its_monitoring_pipeline_only(
    templates: dict[str, dict[str, Any]], env: str
) -> None:
    monitoring = _monitoring(templates, env)
    scheduler = _monitoring_role(templates, env, "monitoring-scheduler")
    pipelines = [
        f"{PROJECT}-{other}-{kind}"
        for other in ENVIRONMENTS
        for kind in ("training", "monitoring", "batch")
    ]

    startable = {
        pipeline
        for pipeline in pipelines
        if scheduler.allows(
            Request("sagemaker:StartPipelineExecution", _arn("sagemaker", f"pipeline/{pipeline}"))
        )
    }

    assert startable == {f"{PROJECT}-{env}-monitoring"}
    target = monitoring.properties("MonitoringSchedule")["Target"]
    assert target["Arn"] == _arn("sagemaker", f"pipeline/{PROJECT}-{env}-monitoring")


@pytest.mark.parametrize("env", ENVIRONMENTS)
def test_the_monitoring_job_reads_captures_and_writes_reports_and_metrics_of_its_environment(
    templates: dict[str, dict[str, Any]], env: str
) -> None:
    job = _monitoring_role(templates, env, "monitoring-job")

    def attempts(owner: str) -> dict[str, Request]:
        lake = _lake(templates, owner)
        raw, curated = lake.get_att("RawBucket", "Arn"), lake.get_att("CuratedBucket", "Arn")
        platform = _platform(templates, owner)
        artefacts = platform.get_att("ArtefactBucket", "Arn")
        key = platform.get_att("ArtefactKey", "Arn")
        namespace = {"cloudwatch:namespace": f"{PROJECT}/{owner}/model"}
        job_name = f"processing-job/{PROJECT}-{owner}-monitoring-run-a1b2c3"
        return {
            "read a capture": Request(
                "s3:GetObject", f"{raw}/capture/{PROJECT}-{owner}-endpoint/AllTraffic/x.jsonl"
            ),
            "write a report": Request(
                "s3:PutObject", f"{curated}/curated/monitoring/model=a1/dt=2026-01-16/report.json"
            ),
            "put the model's metrics": Request("cloudwatch:PutMetricData", "*", namespace),
            "start its job": Request("sagemaker:CreateProcessingJob", _arn("sagemaker", job_name)),
            # Staging and prod: the copy delivery made (make copy-package); dev: its own package.
            "read a promoted model": Request(
                "s3:GetObject", f"{artefacts}/promoted/{PROJECT}-dev-models/7/model.tar.gz"
            ),
            "read a promoted baseline": Request(
                "s3:GetObject", f"{artefacts}/promoted/{PROJECT}-dev-models/7/reference.parquet"
            ),
            "read its own model": Request(
                "s3:GetObject", f"{artefacts}/{PROJECT}-{owner}-training/models/j/model.tar.gz"
            ),
            "read its own baseline": Request(
                "s3:GetObject",
                f"{artefacts}/{PROJECT}-{owner}-training/evaluation/j/reference.parquet",
            ),
            "decrypt them": Request(
                "kms:Decrypt",
                key,
                {"aws:ResourceTag/environment": owner, "aws:ResourceTag/project": PROJECT},
            ),
            "describe its own package": Request(
                "sagemaker:DescribeModelPackage",
                _arn("sagemaker", f"model-package/{PROJECT}-{owner}-models/7"),
            ),
        }

    for owner in ENVIRONMENTS:
        allowed = {what for what, request in attempts(owner).items() if job.allows(request)}
        assert allowed == (set(attempts(owner)) if owner == env else set()), owner
    lake = _lake(templates, env)
    curated, raw = lake.get_att("CuratedBucket", "Arn"), lake.get_att("RawBucket", "Arn")
    assert not job.allows(Request("s3:PutObject", f"{curated}/curated/iris/x.parquet"))
    assert not job.allows(Request("s3:PutObject", f"{raw}/capture/x.jsonl"))
    aws_namespace = {"cloudwatch:namespace": "AWS/SageMaker"}
    assert not job.allows(Request("cloudwatch:PutMetricData", "*", aws_namespace))
    artefacts = _platform(templates, env).get_att("ArtefactBucket", "Arn")
    assert not job.allows(Request("s3:GetObject", f"{artefacts}/config/platform.yaml"))
    assert not job.allows(Request("s3:PutObject", f"{artefacts}/promoted/x/model.tar.gz"))
