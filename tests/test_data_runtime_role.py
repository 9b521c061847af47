"""The ingestion runtime holds only the lake access it needs, and the data workflow deploys it.

The runtime's role (infra/data-runtime.yaml) is resolved against the exports of the lake stack
(infra/data-lake.yaml) and the environment's boundary (infra/devops.yaml), and decided by the
evaluator (tests/iam_policy.py).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from cloudformation import Stack, load
from iam_policy import Principal, Request
from test_workflow_gating import ENABLED, run_of, steps_of

# The project that conftest.rendered_data_project renders with default answers.
PROJECT, REGION, ACCOUNT = "demo", "eu-west-1", "123456789012"
ENVIRONMENTS = ("dev", "staging", "prod")


@pytest.fixture(scope="module")
def rendered(rendered_data_project: Path) -> dict[str, dict[str, Any]]:
    infra = rendered_data_project / "infra"
    return {
        "lake": load(infra / "data-lake.yaml"),
        "runtime": load(infra / "data-runtime.yaml"),
        "devops": load(infra / "devops.yaml"),
    }


def _stacks(rendered: dict[str, dict[str, Any]], env: str) -> tuple[Stack, Stack, Stack]:
    parameters = {"Environment": env}
    lake = Stack(rendered["lake"], f"{PROJECT}-{env}-data-lake", ACCOUNT, REGION, parameters)
    image = f"{ACCOUNT}.dkr.ecr.{REGION}.amazonaws.com/{PROJECT}@sha256:{'0' * 64}"
    runtime = Stack(
        rendered["runtime"],
        f"{PROJECT}-{env}-data-runtime",
        ACCOUNT,
        REGION,
        parameters | {"ImageUri": image},
        lake.exported(),
    )
    bootstrap = Stack(rendered["devops"], f"{PROJECT}-bootstrap", ACCOUNT, REGION, {})
    return lake, runtime, bootstrap


def _policies(stack: Stack) -> dict[str, Any]:
    return {
        stack.ref(logical): stack.properties(logical)["PolicyDocument"]
        for logical in stack.resources("AWS::IAM::ManagedPolicy")
    }


def _role(rendered: dict[str, dict[str, Any]], env: str) -> tuple[Principal, dict[str, Any]]:
    lake, runtime, bootstrap = _stacks(rendered, env)
    role = runtime.properties("IngestRole")
    managed = _policies(lake)
    boundaries = _policies(bootstrap)
    assert role["PermissionsBoundary"] in boundaries
    documents = [policy["PolicyDocument"] for policy in role["Policies"]]
    documents += [managed[arn] for arn in role["ManagedPolicyArns"]]
    principal = Principal(
        role["RoleName"], tuple(documents), boundaries[role["PermissionsBoundary"]]
    )
    return principal, {"lake": lake, "role": role, "managed": managed}


@pytest.mark.parametrize("env", ENVIRONMENTS)
def test_the_runtime_role_holds_exactly_the_lake_policies_it_needs(
    rendered: dict[str, dict[str, Any]], env: str
) -> None:
    _, found = _role(rendered, env)
    held = {arn.rsplit("/", 1)[1] for arn in found["role"]["ManagedPolicyArns"]}
    assert held == {
        f"{PROJECT}-{env}-data-landing-reader",
        f"{PROJECT}-{env}-data-raw-writer",
        f"{PROJECT}-{env}-data-stage-writer",
        f"{PROJECT}-{env}-data-curated-writer",
    }
    assert found["role"]["RoleName"] == f"{PROJECT}-{env}-data-ingest"


@pytest.mark.parametrize("env", ENVIRONMENTS)
def test_the_runtime_reads_landing_and_writes_the_zones_and_nothing_else(
    rendered: dict[str, dict[str, Any]], env: str
) -> None:
    principal, found = _role(rendered, env)
    lake: Stack = found["lake"]

    def arn(bucket: str, key: str) -> str:
        return f"{lake.get_att(bucket, 'Arn')}/{key}"

    key = lake.get_att("DataLakeKey", "Arn")
    via_s3 = {
        "kms:ViaService": f"s3.{REGION}.amazonaws.com",
        "aws:ResourceTag/environment": env,
        "aws:ResourceTag/project": PROJECT,
    }
    allowed = [
        Request("s3:GetObject", arn("LandingBucket", "sklearn/wine/batch.csv")),
        Request("s3:PutObject", arn("RawBucket", "raw/sklearn/wine/dt=2026-01-31/part.csv")),
        Request("s3:PutObject", arn("StageBucket", "stage/sklearn/wine/data/x.parquet")),
        Request("s3:DeleteObject", arn("CuratedBucket", "curated/sklearn/wine/x.parquet")),
        Request("kms:GenerateDataKey", key, via_s3),
        Request("glue:UpdateTable", f"arn:aws:glue:{REGION}:{ACCOUNT}:table/demo_stage_{env}/x"),
    ]
    refused = [
        Request("s3:PutObject", arn("LandingBucket", "sklearn/wine/batch.csv")),
        Request("s3:DeleteObject", arn("LandingBucket", "sklearn/wine/batch.csv")),
        Request("s3:GetObject", arn("QueryResultsBucket", "results/x.csv")),
        Request("s3:PutObject", arn("RawBucket", "elsewhere/x.csv")),
        Request("kms:Decrypt", key, {k: v for k, v in via_s3.items() if k != "kms:ViaService"}),
        Request("glue:CreateTable", f"arn:aws:glue:{REGION}:{ACCOUNT}:database/demo_stage_{env}"),
        Request("glue:DeleteTable", f"arn:aws:glue:{REGION}:{ACCOUNT}:table/demo_stage_{env}/x"),
        Request("athena:StartQueryExecution", f"arn:aws:athena:{REGION}:{ACCOUNT}:workgroup/x"),
        Request("iam:PassRole", f"arn:aws:iam::{ACCOUNT}:role/{PROJECT}-{env}-cfn-exec"),
    ]
    assert [r for r in allowed if not principal.allows(r)] == []
    assert [r for r in refused if principal.allows(r)] == []
    for other in set(ENVIRONMENTS) - {env}:
        other_lake = _stacks(rendered, other)[0]
        raw = f"{other_lake.get_att('RawBucket', 'Arn')}/raw/x.csv"
        assert not principal.allows(Request("s3:PutObject", raw))


@pytest.fixture(scope="module")
def data_workflow(rendered_data_project: Path) -> dict[Any, Any]:
    import yaml

    loaded: dict[Any, Any] = yaml.safe_load(
        (rendered_data_project / ".github/workflows/data.yml").read_text(encoding="utf-8")
    )
    return loaded


def test_the_workflow_deploys_the_runtime_in_each_environment_once_enabled(
    data_workflow: dict[Any, Any],
) -> None:
    ran = run_of(data_workflow, "push to main", ENABLED)
    for env in ENVIRONMENTS:
        assert f"deploy-{env}" in ran
        commands = [
            str(step.get("run", "")) for step in steps_of(data_workflow["jobs"][f"deploy-{env}"])
        ]
        lake = commands.index(f"make lake-deploy ENV={env}")
        runtime = commands.index(f'make runtime-deploy ENV={env} IMAGE="${{IMAGE}}"')
        image = next(i for i, command in enumerate(commands) if "describe-images" in command)
        assert lake < image < runtime


def test_the_runtime_is_not_deployed_until_deploys_are_enabled(
    data_workflow: dict[Any, Any],
) -> None:
    ran = run_of(data_workflow, "push to main", {})
    assert not any(job.startswith("deploy-") for job in ran)
    assert "deploys-disabled" in ran


def _execution_role(bootstrap: Stack, env: str) -> Principal:
    policies = _policies(bootstrap)
    boundary = policies[bootstrap.ref(f"{env.capitalize()}Boundary")]
    execution = policies[bootstrap.ref(f"{env.capitalize()}ExecutionPolicy")]
    return Principal(f"{PROJECT}-{env}-cfn-exec", (boundary, execution))


@pytest.mark.parametrize("env", ENVIRONMENTS)
def test_the_execution_role_can_create_the_runtime_and_the_catalog(
    rendered: dict[str, dict[str, Any]], rendered_data_project: Path, env: str
) -> None:
    _, runtime, bootstrap = _stacks(rendered, env)
    role = _execution_role(bootstrap, env)
    boundary = f"arn:aws:iam::{ACCOUNT}:policy/{PROJECT}-{env}-boundary"

    def named(logical: str, key: str) -> str:
        return str(runtime.resolve(runtime.template["Resources"][logical]["Properties"][key]))

    arn = f"arn:aws:{{}}:{REGION}:{ACCOUNT}:{{}}"
    requests = [
        Request(
            "lambda:CreateFunction",
            arn.format("lambda", f"function:{named('IngestFunction', 'FunctionName')}"),
        ),
        Request("events:PutRule", arn.format("events", f"rule/{named('LandingRule', 'Name')}")),
        Request("events:PutTargets", arn.format("events", f"rule/{named('ScheduleRule', 'Name')}")),
        Request("sqs:CreateQueue", runtime.get_att("DeadLetterQueue", "Arn")),
        Request("sns:CreateTopic", arn.format("sns", named("AlarmTopic", "TopicName"))),
        Request(
            "cloudwatch:PutMetricAlarm",
            arn.format("cloudwatch", f"alarm:{named('IngestErrorsAlarm', 'AlarmName')}"),
        ),
        Request("logs:CreateLogGroup", runtime.get_att("IngestLogGroup", "Arn")),
        Request("ecr:BatchGetImage", f"arn:aws:ecr:{REGION}:{ACCOUNT}:repository/{PROJECT}"),
    ]
    ingest_role = runtime.get_att("IngestRole", "Arn")
    requests += [
        Request("iam:CreateRole", ingest_role, {"iam:PermissionsBoundary": boundary}),
        Request("iam:PassRole", ingest_role),
    ]
    lake = _stacks(rendered, env)[0]
    catalog = Stack(
        load(rendered_data_project / "infra" / "data-catalog.yaml"),
        f"{PROJECT}-{env}-data-catalog",
        ACCOUNT,
        REGION,
        {"Environment": env},
        lake.exported(),
    )
    tables = [catalog.properties(logical) for logical in catalog.resources("AWS::Glue::Table")]
    assert len(tables) == 2  # stage and curated of the sample dataset
    for table in tables:
        resource = f"table/{table['DatabaseName']}/{table['TableInput']['Name']}"
        requests.append(Request("glue:CreateTable", arn.format("glue", resource)))
    assert [request for request in requests if not role.allows(request)] == []
