"""The lake's reader and writer policies grant their zone and nothing else: the evaluator decides.

Each managed policy of infra/data-lake.yaml is attached, alone, to a role under the environment's
permissions boundary (infra/devops.yaml), and requests are decided by tests/iam_policy.py. The
environment's execution role can create every access resource the stack declares.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from cloudformation import Stack, load
from iam_policy import Principal, Request

# The project that conftest.rendered_data_project renders with default answers.
PROJECT, REGION, ACCOUNT = "demo", "eu-west-1", "123456789012"
ENV = "dev"
ZONES = ("raw", "stage", "curated", "landing")


@pytest.fixture(scope="module")
def lake(rendered_data_project: Path) -> Stack:
    template = load(rendered_data_project / "infra" / "data-lake.yaml")
    return Stack(template, f"{PROJECT}-{ENV}-data-lake", ACCOUNT, REGION, {"Environment": ENV})


@pytest.fixture(scope="module")
def bootstrap(rendered_data_project: Path) -> Stack:
    template = load(rendered_data_project / "infra" / "devops.yaml")
    return Stack(template, f"{PROJECT}-bootstrap", ACCOUNT, REGION, {})


def managed_policies(stack: Stack) -> dict[str, Any]:
    """The managed policies ``stack`` creates, by logical id: (ARN, resolved document)."""
    return {
        logical: (stack.ref(logical), stack.properties(logical)["PolicyDocument"])
        for logical in stack.resources("AWS::IAM::ManagedPolicy")
    }


def boundary(bootstrap: Stack) -> Any:
    return managed_policies(bootstrap)[f"{ENV.capitalize()}Boundary"][1]


def holder(lake: Stack, bootstrap: Stack, *logicals: str) -> Principal:
    """A role of this environment holding exactly the lake policies ``logicals``."""
    policies = managed_policies(lake)
    return Principal("holder", tuple(policies[name][1] for name in logicals), boundary(bootstrap))


def _object(lake: Stack, zone: str, key: str) -> str:
    return f"{lake.get_att(zone.capitalize() + 'Bucket', 'Arn')}/{key}"


# The lake key carries the tags of its environment (the boundary grants keys by tag).
KEY_TAGS = {"aws:ResourceTag/environment": ENV, "aws:ResourceTag/project": PROJECT}
VIA_S3 = {"kms:ViaService": f"s3.{REGION}.amazonaws.com"} | KEY_TAGS


def test_each_zone_has_a_reader_and_a_writer_policy_exported(lake: Stack) -> None:
    policies = managed_policies(lake)
    for zone in ZONES:
        for access in ("Reader", "Writer"):
            arn, _ = policies[f"{zone.capitalize()}{access}Policy"]
            assert arn.endswith(f":policy/{PROJECT}-{ENV}-data-{zone}-{access.lower()}")
            export = lake.template["Outputs"][f"{zone.capitalize()}{access}PolicyArn"]["Export"]
            assert lake.resolve(export["Name"]) == (
                f"{PROJECT}-data-{ENV}-{zone}-{access.lower()}-policy-arn"
            )


@pytest.mark.parametrize("zone", ZONES)
def test_a_reader_reads_its_zone_only(lake: Stack, bootstrap: Stack, zone: str) -> None:
    reader = holder(lake, bootstrap, f"{zone.capitalize()}ReaderPolicy")
    key = lake.get_att("DataLakeKey", "Arn")
    own = _object(lake, zone, f"{zone}/sklearn/wine/part.parquet")
    assert reader.allows(Request("s3:GetObject", own))
    assert reader.allows(Request("kms:Decrypt", key, VIA_S3))
    assert not reader.allows(Request("kms:Decrypt", key, KEY_TAGS))  # only through S3
    assert not reader.allows(Request("s3:PutObject", own))
    assert not reader.allows(Request("kms:GenerateDataKey", key, VIA_S3))
    for other in set(ZONES) - {zone}:
        assert not reader.allows(Request("s3:GetObject", _object(lake, other, "x")))


@pytest.mark.parametrize("zone", ZONES)
def test_a_writer_writes_its_prefix_with_the_lake_key(
    lake: Stack, bootstrap: Stack, zone: str
) -> None:
    writer = holder(lake, bootstrap, f"{zone.capitalize()}WriterPolicy")
    key = lake.get_att("DataLakeKey", "Arn")
    prefix = lake.parameter(f"{zone.capitalize()}WriterPrefix")
    inside = _object(lake, zone, f"{prefix}sklearn/wine/part.parquet")
    assert writer.allows(Request("s3:PutObject", inside))
    assert writer.allows(Request("s3:DeleteObject", inside))
    assert writer.allows(Request("kms:GenerateDataKey", key, VIA_S3))
    if prefix:
        assert not writer.allows(Request("s3:PutObject", _object(lake, zone, "elsewhere/x")))
    for other in set(ZONES) - {zone}:
        assert not writer.allows(Request("s3:PutObject", _object(lake, other, f"{other}/x")))


def test_a_writer_prefix_narrows_what_it_writes(lake: Stack) -> None:
    narrowed = Stack(
        lake.template,
        lake.name,
        ACCOUNT,
        REGION,
        {"Environment": ENV, "RawWriterPrefix": "raw/partner-a/"},
    )
    (_, document) = managed_policies(narrowed)["RawWriterPolicy"]
    writer = Principal("writer", (document,))
    assert writer.allows(Request("s3:PutObject", _object(lake, "raw", "raw/partner-a/x.csv")))
    assert not writer.allows(Request("s3:PutObject", _object(lake, "raw", "raw/partner-b/x.csv")))


def test_the_writers_commit_only_their_zones_tables(lake: Stack, bootstrap: Stack) -> None:
    writer = holder(lake, bootstrap, "StageWriterPolicy")
    glue = f"arn:aws:glue:{REGION}:{ACCOUNT}"
    assert writer.allows(Request("glue:UpdateTable", f"{glue}:table/{PROJECT}_stage_{ENV}/wine"))
    assert not writer.allows(Request("glue:UpdateTable", f"{glue}:table/{PROJECT}_raw_{ENV}/wine"))
    assert not writer.allows(Request("glue:DeleteTable", f"{glue}:table/{PROJECT}_stage_{ENV}/x"))


def test_the_execution_role_can_create_the_access_resources(lake: Stack, bootstrap: Stack) -> None:
    execution = bootstrap.properties(f"{ENV.capitalize()}ExecutionRole")
    policies = managed_policies(bootstrap)
    role = Principal(
        "cfn-exec",
        tuple(
            policies[name][1]
            for name in (f"{ENV.capitalize()}Boundary", f"{ENV.capitalize()}ExecutionPolicy")
        ),
    )
    assert execution["RoleName"] == f"{PROJECT}-{ENV}-cfn-exec"
    for arn, _ in managed_policies(lake).values():
        assert role.allows(Request("iam:CreatePolicy", arn)), arn
    workgroup = lake.properties("QueryWorkGroup")["Name"]
    arn = f"arn:aws:athena:{REGION}:{ACCOUNT}:workgroup/{workgroup}"
    assert role.allows(Request("athena:CreateWorkGroup", arn))


def test_the_workgroup_encrypts_results_and_limits_the_scan(lake: Stack) -> None:
    configuration = lake.properties("QueryWorkGroup")["WorkGroupConfiguration"]
    assert configuration["EnforceWorkGroupConfiguration"] is True
    assert int(configuration["BytesScannedCutoffPerQuery"]) > 0
    encryption = configuration["ResultConfiguration"]["EncryptionConfiguration"]
    assert encryption == {
        "EncryptionOption": "SSE_KMS",
        "KmsKey": lake.get_att("DataLakeKey", "Arn"),
    }
