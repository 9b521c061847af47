"""The mlops layer's endpoint stack (infra/serving.yaml), read as CloudFormation deploys it.

The template is rendered for both answers of serverless_staging and resolved per environment
against the lake's exports (tests/cloudformation.py); the endpoint's resources are then created
in moto from the resolved properties (moto's CloudFormation has no SageMaker resource types), and
the roles are decided by the IAM evaluator (tests/iam_policy.py) against the environment's
boundary and execution policy of infra/devops.yaml.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pytest
from cloudformation import Stack, UnresolvableError, load
from iam_policy import Principal, Request

from conftest import render_only

# The default answers of conftest.rendered_mlops_project: one account for everything.
PROJECT, REGION, ACCOUNT, ORG = "demo", "eu-west-1", "123456789012", "my-org"
ENVIRONMENTS = ("dev", "staging", "prod")
PACKAGE = f"arn:aws:sagemaker:{REGION}:{ACCOUNT}:model-package/{PROJECT}-dev-models/7"
ALLOW_EVERYTHING = {
    "Version": "2012-10-17",
    "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}],
}


@pytest.fixture(scope="module")
def templates(
    rendered_mlops_project: Path, tmp_path_factory: pytest.TempPathFactory
) -> dict[str, dict[str, Any]]:
    """infra/*.yaml of the default project (serverless staging) and serving.yaml without it."""
    instances = tmp_path_factory.mktemp("serving-on-instances")
    answers = {
        "layer": "mlops",
        "project_name_mlops": PROJECT,
        "org_name_mlops": ORG,
        "serverless_staging": False,
    }
    render_only(instances, answers, ["infra", "infra/serving.yaml"])
    infra = rendered_mlops_project / "infra"
    return {
        "serverless": load(infra / "serving.yaml"),
        "instances": load(instances / "infra" / "serving.yaml"),
        "lake": load(infra / "data-lake.yaml"),
        "platform": load(infra / "platform.yaml"),
        "devops": load(infra / "devops.yaml"),
    }


def _lake(templates: dict[str, dict[str, Any]], env: str) -> Stack:
    parameters = {"Environment": env}
    return Stack(templates["lake"], f"{PROJECT}-{env}-data-lake", ACCOUNT, REGION, parameters)


def _serving(
    templates: dict[str, dict[str, Any]], env: str, variant: str = "serverless", **overrides: str
) -> Stack:
    parameters = {"Environment": env, "ModelPackageArn": PACKAGE, **overrides}
    name = f"{PROJECT}-{env}-serving"
    return Stack(
        templates[variant], name, ACCOUNT, REGION, parameters, _lake(templates, env).exported()
    )


def _bootstrap(templates: dict[str, dict[str, Any]]) -> Stack:
    return Stack(templates["devops"], f"{PROJECT}-bootstrap", ACCOUNT, REGION, {})


def _managed_policies(stack: Stack) -> dict[str, Any]:
    return {
        stack.ref(logical): stack.properties(logical)["PolicyDocument"]
        for logical in stack.resources("AWS::IAM::ManagedPolicy")
    }


def _raw_bucket(templates: dict[str, dict[str, Any]], env: str) -> str:
    return str(_lake(templates, env).ref("RawBucket"))


# --- what the endpoint is made of


@pytest.mark.parametrize("variant", ["serverless", "instances"])
@pytest.mark.parametrize("env", ["dev", "prod"])
def test_an_instance_endpoint_serves_the_package_and_captures_to_the_raw_bucket(
    templates: dict[str, dict[str, Any]], env: str, variant: str
) -> None:
    stack = _serving(templates, env, variant)
    model = stack.properties("Model")
    assert model["ModelName"] == f"{PROJECT}-{env}-model-7"
    assert model["PrimaryContainer"] == {"ModelPackageName": PACKAGE}
    assert model["EnableNetworkIsolation"] is True

    config = stack.properties("EndpointConfig")
    assert config["EndpointConfigName"] == f"{PROJECT}-{env}-7-1"
    lake_key = _lake(templates, env).get_att("DataLakeKey", "Arn")
    assert config["KmsKeyId"] == lake_key
    (production,) = config["ProductionVariants"]
    assert production == {
        "VariantName": "AllTraffic",
        "ModelName": f"{PROJECT}-{env}-model-7",
        "InitialVariantWeight": 1,
        "InitialInstanceCount": "1",
        "InstanceType": "ml.m5.large",
    }
    capture = config["DataCaptureConfig"]
    assert capture["DestinationS3Uri"] == f"s3://{_raw_bucket(templates, env)}/capture"
    assert capture["KmsKeyId"] == lake_key
    assert capture["EnableCapture"] is True
    assert [option["CaptureMode"] for option in capture["CaptureOptions"]] == ["Input", "Output"]
    assert set(stack.resources("AWS::ApplicationAutoScaling::ScalableTarget")) == {"ScalableTarget"}
    target = stack.properties("ScalableTarget")
    assert target["ResourceId"] == f"endpoint/{PROJECT}-{env}-endpoint/variant/AllTraffic"
    assert (target["MinCapacity"], target["MaxCapacity"]) == ("1", "2")


def test_serverless_staging_captures_nothing_and_does_not_scale(
    templates: dict[str, dict[str, Any]],
) -> None:
    stack = _serving(templates, "staging", "serverless")
    config = stack.properties("EndpointConfig")
    (production,) = config["ProductionVariants"]
    assert production == {
        "VariantName": "AllTraffic",
        "ModelName": f"{PROJECT}-staging-model-7",
        "InitialVariantWeight": 1,
        "ServerlessConfig": {"MemorySizeInMB": "2048", "MaxConcurrency": "5"},
    }
    # Serverless Inference supports neither data capture nor a storage-volume key.
    assert "DataCaptureConfig" not in config
    assert "KmsKeyId" not in config
    assert stack.resources("AWS::ApplicationAutoScaling::ScalableTarget") == {}
    assert stack.resources("AWS::ApplicationAutoScaling::ScalingPolicy") == {}
    # Blue/green with rollback alarms still guards its updates.
    assert "DeploymentConfig" in stack.properties("Endpoint")


def test_without_serverless_staging_staging_is_served_like_prod(
    templates: dict[str, dict[str, Any]],
) -> None:
    staging = _serving(templates, "staging", "instances")
    prod = _serving(templates, "prod", "instances")
    staging_config = staging.properties("EndpointConfig")
    assert staging_config["ProductionVariants"][0]["InstanceType"] == "ml.m5.large"
    assert "DataCaptureConfig" in staging_config
    assert set(staging.resources()) == set(prod.resources())
    assert "Serverless" not in str(templates["instances"])


@pytest.mark.parametrize("env", ENVIRONMENTS)
def test_an_update_rolls_back_when_an_alarm_fires(
    templates: dict[str, dict[str, Any]], env: str
) -> None:
    stack = _serving(templates, env)
    endpoint = stack.properties("Endpoint")
    assert endpoint["EndpointName"] == f"{PROJECT}-{env}-endpoint"
    assert endpoint["EndpointConfigName"] == f"{PROJECT}-{env}-7-1"
    deployment = endpoint["DeploymentConfig"]
    routing = deployment["BlueGreenUpdatePolicy"]["TrafficRoutingConfiguration"]
    assert routing == {"Type": "ALL_AT_ONCE", "WaitIntervalInSeconds": "600"}
    alarms = [alarm["AlarmName"] for alarm in deployment["AutoRollbackConfiguration"]["Alarms"]]
    assert alarms == [f"{PROJECT}-{env}-endpoint-5xx", f"{PROJECT}-{env}-endpoint-latency"]

    errors, latency = stack.properties("ErrorAlarm"), stack.properties("LatencyAlarm")
    for alarm in (errors, latency):
        assert alarm["Namespace"] == "AWS/SageMaker"
        assert alarm["Dimensions"] == [
            {"Name": "EndpointName", "Value": f"{PROJECT}-{env}-endpoint"},
            {"Name": "VariantName", "Value": "AllTraffic"},
        ]
    assert (errors["MetricName"], errors["Threshold"]) == ("Invocation5XXErrors", 0)
    # latency_budget_ms (200) in ModelLatency's unit, microseconds, at the 95th percentile.
    assert (latency["MetricName"], latency["ExtendedStatistic"]) == ("ModelLatency", "p95")
    assert latency["Threshold"] == "200000"


def test_the_monitoring_stack_finds_the_endpoint_and_its_alarms(
    templates: dict[str, dict[str, Any]],
) -> None:
    assert _serving(templates, "prod").exported() == {
        f"{PROJECT}-serving-prod-endpoint-name": f"{PROJECT}-prod-endpoint",
        f"{PROJECT}-serving-prod-error-alarm-name": f"{PROJECT}-prod-endpoint-5xx",
        f"{PROJECT}-serving-prod-latency-alarm-name": f"{PROJECT}-prod-endpoint-latency",
    }


def test_no_endpoint_without_a_package_of_devs_group(
    templates: dict[str, dict[str, Any]],
) -> None:
    declared = templates["serverless"]["Parameters"]["ModelPackageArn"]
    assert "Default" not in declared
    with pytest.raises(UnresolvableError, match="ModelPackageArn has no value"):
        Stack(templates["serverless"], "s", ACCOUNT, REGION, {"Environment": "prod"}).properties(
            "Model"
        )
    pattern = re.compile(declared["AllowedPattern"])
    assert pattern.fullmatch(PACKAGE)
    assert not pattern.fullmatch(PACKAGE.replace("-dev-models", "-prod-models"))
    assert not pattern.fullmatch(PACKAGE.replace(REGION, "us-east-1"))


@pytest.mark.parametrize("env", ENVIRONMENTS)
def test_every_name_carries_the_environment(templates: dict[str, dict[str, Any]], env: str) -> None:
    stack = _serving(templates, env, "instances")
    names = [
        stack.properties("ServingRole")["RoleName"],
        stack.properties("Model")["ModelName"],
        stack.properties("EndpointConfig")["EndpointConfigName"],
        stack.properties("Endpoint")["EndpointName"],
        stack.properties("ErrorAlarm")["AlarmName"],
        stack.properties("LatencyAlarm")["AlarmName"],
        stack.properties("ScalingPolicy")["PolicyName"],
    ]
    assert [name for name in names if not name.startswith(f"{PROJECT}-{env}-")] == []
    # SageMaker's limit on model and endpoint config names.
    assert max(len(name) for name in names[1:3]) <= 63


@pytest.mark.parametrize("env", ["staging", "prod"])
def test_the_endpoint_role_reads_exactly_what_devs_platform_stack_lets_it_read(
    templates: dict[str, dict[str, Any]], env: str
) -> None:
    platform = Stack(
        templates["platform"],
        f"{PROJECT}-dev-platform",
        ACCOUNT,
        REGION,
        {"Environment": "dev"},
        _lake(templates, "dev").exported(),
    )
    granted = {
        statement["Sid"]: statement
        for statement in platform.properties("ArtefactBucketPolicy")["PolicyDocument"]["Statement"]
    }["PromotionAccountsReadModels"]
    role = _serving(templates, env).properties("ServingRole")
    statements = {
        statement["Sid"]: statement
        for policy in role["Policies"]
        for statement in policy["PolicyDocument"]["Statement"]
    }
    assert statements["ReadTheModelArtefacts"]["Resource"] == granted["Resource"]
    assert f"arn:aws:iam::{ACCOUNT}:root" in granted["Principal"]["AWS"]


# --- the resources, created in moto from the resolved properties


def _coerce(value: Any, shape: Any) -> Any:
    """``value`` as the API's shape types it (CloudFormation passes numbers as strings); a key
    the API does not know fails the test: the template must speak the API's language."""
    if shape.type_name == "structure":
        unknown = set(value) - set(shape.members)
        assert not unknown, f"not in {shape.name}: {sorted(unknown)}"
        return {key: _coerce(item, shape.members[key]) for key, item in value.items()}
    if shape.type_name == "list":
        return [_coerce(item, shape.member) for item in value]
    if shape.type_name in {"integer", "long"}:
        return int(value)
    if shape.type_name in {"float", "double"}:
        return float(value)
    return value


def _api(client: Any, operation: str, properties: Mapping[str, Any]) -> Any:
    """Call ``operation`` with the resource's properties, typed by the operation's input shape."""
    shape = client.meta.service_model.operation_model(operation).input_shape
    snake = re.sub(r"(?<!^)(?=[A-Z])", "_", operation).lower()
    return getattr(client, snake)(**_coerce(dict(properties), shape))


# moto's SageMaker backend takes seconds to load: with the slow tests.
@pytest.mark.slow
@pytest.mark.parametrize(("variant", "env"), [("instances", "prod"), ("serverless", "staging")])
def test_the_endpoint_is_created_in_a_sagemaker_api(
    templates: dict[str, dict[str, Any]], variant: str, env: str
) -> None:
    import boto3
    from moto import mock_aws

    stack = _serving(templates, env, variant)
    with mock_aws():
        session = boto3.Session(
            aws_access_key_id="testing", aws_secret_access_key="testing", region_name=REGION
        )
        iam, sagemaker = session.client("iam"), session.client("sagemaker")
        role = stack.properties("ServingRole")
        boundary = _managed_policies(_bootstrap(templates))[role["PermissionsBoundary"]]
        iam.create_policy(
            PolicyName=f"{PROJECT}-{env}-boundary", PolicyDocument=json.dumps(boundary)
        )
        created = iam.create_role(
            **{key: role[key] for key in ("RoleName", "PermissionsBoundary", "Tags")},
            AssumeRolePolicyDocument=json.dumps(role["AssumeRolePolicyDocument"]),
        )["Role"]
        assert created["Arn"] == stack.get_att("ServingRole", "Arn")

        _api(sagemaker, "CreateModel", stack.properties("Model"))
        _api(sagemaker, "CreateEndpointConfig", stack.properties("EndpointConfig"))
        endpoint = stack.properties("Endpoint")
        for alarm in ("ErrorAlarm", "LatencyAlarm"):
            _api(session.client("cloudwatch"), "PutMetricAlarm", stack.properties(alarm))
        _api(sagemaker, "CreateEndpoint", endpoint)

        described = sagemaker.describe_endpoint(EndpointName=endpoint["EndpointName"])
        config = sagemaker.describe_endpoint_config(
            EndpointConfigName=endpoint["EndpointConfigName"]
        )
        model = sagemaker.describe_model(ModelName=stack.properties("Model")["ModelName"])
        for logical in stack.resources("AWS::ApplicationAutoScaling::ScalableTarget"):
            autoscaling = session.client("application-autoscaling")
            target = stack.properties(logical)
            _api(autoscaling, "RegisterScalableTarget", target)
            policy = dict(stack.properties("ScalingPolicy"))
            policy.pop("ScalingTargetId")
            keys = ("ServiceNamespace", "ResourceId", "ScalableDimension")
            _api(autoscaling, "PutScalingPolicy", policy | {key: target[key] for key in keys})
            (registered,) = autoscaling.describe_scalable_targets(ServiceNamespace="sagemaker")[
                "ScalableTargets"
            ]
            assert (
                registered["ResourceId"] == f"endpoint/{PROJECT}-{env}-endpoint/variant/AllTraffic"
            )

    assert described["EndpointStatus"] == "InService"
    assert model["ExecutionRoleArn"] == created["Arn"]
    assert model["PrimaryContainer"]["ModelPackageName"] == PACKAGE
    (production,) = config["ProductionVariants"]
    assert production["VariantName"] == "AllTraffic"
    if variant == "instances":
        capture = config["DataCaptureConfig"]
        assert capture["DestinationS3Uri"] == f"s3://{_raw_bucket(templates, env)}/capture"
        assert capture["InitialSamplingPercentage"] == 100
    else:
        assert not config.get("DataCaptureConfig")  # moto answers an empty one
        assert production["ServerlessConfig"] == {"MemorySizeInMB": 2048, "MaxConcurrency": 5}


# --- who may do what: the endpoint's role, and the execution role that creates the stack


def _serving_role(templates: dict[str, dict[str, Any]], env: str) -> Principal:
    role = _serving(templates, env).properties("ServingRole")
    boundaries = _managed_policies(_bootstrap(templates))
    documents = tuple(policy["PolicyDocument"] for policy in role["Policies"])
    return Principal(role["RoleName"], documents, boundaries[role["PermissionsBoundary"]])


def _execution_role(templates: dict[str, dict[str, Any]], env: str) -> Principal:
    policies = _managed_policies(_bootstrap(templates))
    iam = f"arn:aws:iam::{ACCOUNT}:policy/{PROJECT}-{env}"
    return Principal("cfn-exec", (policies[f"{iam}-boundary"], policies[f"{iam}-cfn-exec"]))


def _as(role: str, env: str) -> dict[str, str]:
    """The request context of a call by role ``<project>-<env>-<role>``."""
    return {"aws:PrincipalArn": f"arn:aws:iam::{ACCOUNT}:role/{PROJECT}-{env}-{role}"}


def _models(env: str) -> str:
    """An object of the platform's model artefacts in ``env`` (infra/platform.yaml)."""
    bucket = f"{PROJECT}-{ORG}-models-{REGION}-{ACCOUNT}-{env}"
    return f"arn:aws:s3:::{bucket}/{PROJECT}-{env}-training/models/0a1b2c/model.tar.gz"


def _platform_key(env: str) -> tuple[str, dict[str, str]]:
    tags = {"aws:ResourceTag/environment": env, "aws:ResourceTag/project": PROJECT}
    via_s3 = {"kms:ViaService": f"s3.{REGION}.amazonaws.com"}
    return f"arn:aws:kms:{REGION}:{ACCOUNT}:key/{env}-platform", tags | via_s3


def _endpoint_logs(env: str) -> str:
    group = f"/aws/sagemaker/Endpoints/{PROJECT}-{env}-endpoint"
    return f"arn:aws:logs:{REGION}:{ACCOUNT}:log-group:{group}:log-stream:AllTraffic/i-0a1b2c"


def _reaches(principal: Principal, env: str, templates: dict[str, dict[str, Any]]) -> set[str]:
    """Which of the reads and writes an endpoint might attempt ``principal`` may make."""
    lake = _lake(templates, env)
    raw = lake.get_att("RawBucket", "Arn")
    lake_key = lake.get_att("DataLakeKey", "Arn")
    lake_tags = {"aws:ResourceTag/environment": env, "aws:ResourceTag/project": PROJECT}
    attempts = {
        f"write {env}'s capture": Request("s3:PutObject", f"{raw}/capture/x.jsonl"),
        f"write {env}'s raw zone": Request("s3:PutObject", f"{raw}/raw/x.csv"),
        f"encrypt with {env}'s lake key": Request("kms:GenerateDataKey", lake_key, lake_tags),
    }
    for owner in ENVIRONMENTS:
        key, context = _platform_key(owner)
        config = _models(owner).split("/")[0] + "/config/platform.yaml"
        attempts |= {
            f"read {owner}'s models": Request("s3:GetObject", _models(owner)),
            f"read {owner}'s config": Request("s3:GetObject", config),
            f"decrypt with {owner}'s platform key": Request("kms:Decrypt", key, context),
            f"log to {owner}'s endpoint logs": Request("logs:PutLogEvents", _endpoint_logs(owner)),
        }
    caller = _as("serving", env)
    return {
        what
        for what, attempt in attempts.items()
        if principal.allows(
            Request(attempt.action, attempt.resource, {**attempt.context, **caller})
        )
    }


@pytest.mark.parametrize("env", ENVIRONMENTS)
def test_the_endpoint_role_reads_devs_models_and_writes_its_own_capture_only(
    templates: dict[str, dict[str, Any]], env: str
) -> None:
    expected = {
        f"write {env}'s capture",
        f"encrypt with {env}'s lake key",
        f"log to {env}'s endpoint logs",
        "read dev's models",
        "decrypt with dev's platform key",
    }
    assert _reaches(_serving_role(templates, env), env, templates) == expected


@pytest.mark.parametrize("env", ["staging", "prod"])
def test_the_boundary_lets_only_the_endpoint_role_reach_devs_models(
    templates: dict[str, dict[str, Any]], env: str
) -> None:
    """Any role of staging or prod (held back by the boundary alone) reaches its own
    environment, and dev's models only under the endpoint role's name."""
    boundary = _serving_role(templates, env).boundary
    anything = Principal(f"{PROJECT}-{env}-serving", (ALLOW_EVERYTHING,), boundary)
    own = {f"write {env}'s capture", f"write {env}'s raw zone", f"encrypt with {env}'s lake key"}
    own |= {f"read {env}'s models", f"read {env}'s config", f"decrypt with {env}'s platform key"}
    own.add(f"log to {env}'s endpoint logs")
    assert _reaches(anything, env, templates) == own | {
        "read dev's models",
        "decrypt with dev's platform key",
    }

    # It never writes into dev. A key of dev that ends like this environment's bucket names
    # matches the boundary's own-bucket pattern (a wildcard spans "/"): reading it is refused
    # to every role but this one, whose own policy (infra/serving.yaml) keeps it to the models.
    dev_raw = _lake(templates, "dev").get_att("RawBucket", "Arn")
    lookalike = f"{dev_raw}/raw/x-{env}/y.csv"
    for action in ("s3:PutObject", "s3:DeleteObject", "s3:PutObjectAcl"):
        assert not anything.allows(Request(action, lookalike, _as("serving", env))), action
    assert anything.allows(Request("s3:GetObject", lookalike, _as("serving", env)))
    assert not _serving_role(templates, env).allows(
        Request("s3:GetObject", lookalike, _as("serving", env))
    )

    # Under any other name of the environment, held back by the boundary alone, it does not.
    for role in ("worker", "sagemaker-execution", "serving-other"):
        impostor = Principal(f"{PROJECT}-{env}-{role}", (ALLOW_EVERYTHING,), boundary)
        key, context = _platform_key("dev")
        caller = _as(role, env)
        assert not impostor.allows(Request("s3:GetObject", _models("dev"), caller)), role
        assert not impostor.allows(Request("kms:Decrypt", key, context | caller)), role


@pytest.mark.parametrize("env", ENVIRONMENTS)
def test_the_execution_role_creates_its_own_environments_endpoint_only(
    templates: dict[str, dict[str, Any]], env: str
) -> None:
    def arn(owner: str, kind: str, name: str) -> str:
        return f"arn:aws:sagemaker:{REGION}:{ACCOUNT}:{kind}/{PROJECT}-{owner}-{name}"

    def alarm(owner: str) -> str:
        return f"arn:aws:cloudwatch:{REGION}:{ACCOUNT}:alarm:{PROJECT}-{owner}-endpoint-5xx"

    def calls(owner: str) -> dict[str, Request]:
        role = f"arn:aws:iam::{ACCOUNT}:role/{PROJECT}-{owner}-serving"
        boundary = {
            "iam:PermissionsBoundary": f"arn:aws:iam::{ACCOUNT}:policy/{PROJECT}-{owner}-boundary"
        }
        to_sagemaker = {"iam:PassedToService": "sagemaker.amazonaws.com"}
        return {
            "create the model": Request("sagemaker:CreateModel", arn(owner, "model", "model-7")),
            "create the config": Request(
                "sagemaker:CreateEndpointConfig", arn(owner, "endpoint-config", "7-1")
            ),
            "create the endpoint": Request(
                "sagemaker:CreateEndpoint", arn(owner, "endpoint", "endpoint")
            ),
            "update the endpoint": Request(
                "sagemaker:UpdateEndpoint", arn(owner, "endpoint", "endpoint")
            ),
            "create the alarm": Request("cloudwatch:PutMetricAlarm", alarm(owner)),
            "create the role": Request("iam:CreateRole", role, boundary),
            "pass the role": Request("iam:PassRole", role, to_sagemaker),
        }

    execution = _execution_role(templates, env)
    for owner in ENVIRONMENTS:
        allowed = {what for what, call in calls(owner).items() if execution.allows(call)}
        assert allowed == (set(calls(owner)) if owner == env else set()), owner

    target = f"arn:aws:application-autoscaling:{REGION}:{ACCOUNT}:scalable-target/0123abcd"
    linked = (
        f"arn:aws:iam::{ACCOUNT}:role/aws-service-role/sagemaker.application-autoscaling"
        ".amazonaws.com/AWSServiceRoleForApplicationAutoScaling_SageMakerEndpoint"
    )
    service = {"iam:AWSServiceName": "sagemaker.application-autoscaling.amazonaws.com"}
    package = Request("sagemaker:DescribeModelPackage", PACKAGE)
    assert execution.allows(Request("application-autoscaling:RegisterScalableTarget", target))
    assert execution.allows(Request("application-autoscaling:PutScalingPolicy", target))
    assert execution.allows(Request("iam:CreateServiceLinkedRole", linked, service))
    assert not execution.allows(Request("iam:CreateServiceLinkedRole", linked))
    assert execution.allows(package)
    other_group = PACKAGE.replace("-dev-models", "-prod-models")
    assert execution.allows(Request(package.action, other_group)) == (env == "prod")


@pytest.mark.parametrize("env", ["dev", "prod"])
def test_autoscaling_can_be_disabled_for_a_change_of_instance_type(
    templates: dict[str, dict[str, Any]], env: str
) -> None:
    """SageMaker refuses a new instance type on a variant registered for autoscaling."""
    kinds = (
        "AWS::ApplicationAutoScaling::ScalableTarget",
        "AWS::ApplicationAutoScaling::ScalingPolicy",
    )
    for variant in ("serverless", "instances"):
        disabled = _serving(templates, env, variant, Autoscaling="disabled")
        assert [disabled.resources(kind) for kind in kinds] == [{}, {}]
        changed = _serving(templates, env, variant, InstanceType="ml.c5.xlarge", ConfigRevision="2")
        config = changed.properties("EndpointConfig")
        assert config["EndpointConfigName"] == f"{PROJECT}-{env}-7-2"
        assert config["ProductionVariants"][0]["InstanceType"] == "ml.c5.xlarge"
