"""infra/data-lake.yaml holds the generator's naming rules and relates its lifecycle days.

The template's own parameters must not let a deployment break what the generator promised: an
org of the parameter's MaxLength keeps every bucket within S3's 63 characters (and one more would
not), and the Rules section refuses lifecycle days that S3 or the audit trail would not accept.
"""

from __future__ import annotations

import itertools
from pathlib import Path
from typing import Any

import pytest
from cloudformation import Stack, load

from conftest import render_only

ENVIRONMENTS = ("dev", "staging", "prod")
ACCOUNT = "123456789012"
# Besides the default project (conftest.rendered_data_project): a long project in a long region
# with long zones.
CASES = {
    "long names": {
        "project_name_data": "a-rather-long-project-name-for-lakes",
        "github_org_data": "acme",
        "aws_region_data": "ap-southeast-1",
        "zone_raw": "bronze",
        "zone_stage": "silver",
    },
}


@pytest.fixture(scope="module", params=["defaults", *sorted(CASES)])
def lake(
    request: pytest.FixtureRequest,
    tmp_path_factory: pytest.TempPathFactory,
    rendered_data_project: Path,
) -> dict[str, Any]:
    if request.param == "defaults":
        return load(rendered_data_project / "infra" / "data-lake.yaml")
    destination = tmp_path_factory.mktemp("lake")
    render_only(destination, {"layer": "data", **CASES[request.param]}, ["infra", "infra/*.yaml"])
    return load(destination / "infra" / "data-lake.yaml")


def _region(template: dict[str, Any]) -> str:
    (assertion,) = template["Rules"]["DeployedInTheLakeRegion"]["Assertions"]
    _, region = assertion["Assert"]["Fn::Equals"]
    return str(region)


def _bucket_names(template: dict[str, Any], org: str) -> list[str]:
    region = _region(template)
    names = []
    for env in ENVIRONMENTS:
        parameters = {"Environment": env, "OrgName": org}
        stack = Stack(template, f"demo-{env}-data-lake", ACCOUNT, region, parameters)
        names += [str(stack.ref(name)) for name in stack.resources("AWS::S3::Bucket")]
    return names


def test_an_org_of_the_longest_allowed_length_keeps_every_bucket_within_63(
    lake: dict[str, Any],
) -> None:
    longest = int(lake["Parameters"]["OrgName"]["MaxLength"])
    names = _bucket_names(lake, "o" * longest)
    assert len(names) == 6 * len(ENVIRONMENTS)  # 3 zones, landing, athena, logs
    assert max(len(name) for name in names) == 63  # S3's limit, reached
    assert max(len(name) for name in _bucket_names(lake, "o" * (longest + 1))) == 64


def test_the_default_org_fits(lake: dict[str, Any]) -> None:
    org = lake["Parameters"]["OrgName"]
    assert len(str(org["Default"])) <= int(org["MaxLength"])


def _holds(assertion: Any, parameters: dict[str, str]) -> bool:
    """The few rule functions the template uses: Not, Contains, Equals over Refs and strings."""
    if isinstance(assertion, str):
        return bool(assertion)
    ((function, argument),) = assertion.items()
    if function == "Fn::Not":
        return not _holds(argument[0], parameters)
    values = [parameters[a["Ref"]] if isinstance(a, dict) else a for a in argument]
    if function == "Fn::Contains":
        return values[1] in values[0]
    if function == "Fn::Equals":
        return str(values[0]) == str(values[1])
    raise AssertionError(f"rule function {function} not evaluated here")


def _accepted(template: dict[str, Any], given: dict[str, str]) -> bool:
    """Whether the Rules accept ``given`` values, the other parameters at their defaults."""
    defaults = {
        name: str(declared["Default"])
        for name, declared in template["Parameters"].items()
        if "Default" in declared
    }
    parameters = defaults | given
    for rule in template["Rules"].values():
        if "RuleCondition" in rule and not _holds(rule["RuleCondition"], parameters):
            continue
        if not all(_holds(item["Assert"], parameters) for item in rule["Assertions"]):
            return False
    return True


@pytest.mark.parametrize(
    ("earlier", "later", "gap"),
    [
        ("RawInfrequentAccessDays", "RawArchiveDays", 30),
        ("NoncurrentVersionDays", "AccessLogDays", 0),
    ],
)
def test_the_rules_refuse_exactly_the_lifecycle_days_out_of_order(
    lake: dict[str, Any], earlier: str, later: str, gap: int
) -> None:
    declared = lake["Parameters"]
    region = _region(lake)
    for first, second in itertools.product(
        declared[earlier]["AllowedValues"], declared[later]["AllowedValues"]
    ):
        parameters = {earlier: str(first), later: str(second), "AWS::Region": region}
        assert _accepted(lake, parameters) == (second >= first + gap), (first, second)
    defaults = {earlier: str(declared[earlier]["Default"]), later: str(declared[later]["Default"])}
    assert _accepted(lake, defaults | {"AWS::Region": region})


def test_the_lake_refuses_another_region(lake: dict[str, Any]) -> None:
    assert not _accepted(
        lake, {"AWS::Region": "us-east-1" if _region(lake) != "us-east-1" else "eu-west-1"}
    )


def test_the_zone_buckets_come_from_one_block(lake: dict[str, Any]) -> None:
    """One loop renders the buckets: they differ only in name, prefix, lifecycle and tags."""
    buckets = {
        name: resource["Properties"]
        for name, resource in lake["Resources"].items()
        if resource["Type"] == "AWS::S3::Bucket" and name != "AccessLogBucket"
    }
    shapes = {
        tuple(
            sorted(
                set(bucket)
                - {"BucketName", "LoggingConfiguration", "LifecycleConfiguration", "Tags"}
            )
        )
        for bucket in buckets.values()
    }
    assert len(buckets) == 5  # raw, stage, curated, landing, athena
    assert len(shapes) == 1


def test_the_template_text_has_no_repeated_bucket_block() -> None:
    source = (
        Path(__file__).resolve().parents[1] / "templates/data/project/infra/data-lake.yaml.jinja"
    ).read_text(encoding="utf-8")
    assert source.count("Type: AWS::S3::Bucket\n") == 2  # access logs, the loop
