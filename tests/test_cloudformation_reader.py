"""The template reader of the isolation proofs resolves intrinsics as CloudFormation does."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from cloudformation import Stack, UnresolvableError, load

TEMPLATE = """\
Parameters:
  Environment:
    Type: String
    AllowedValues: [dev, prod]
  Names:
    Type: CommaDelimitedList
    Default: a,b
Conditions:
  IsProd: !Equals [!Ref Environment, prod]
  InAccount: !Equals [!Ref "AWS::AccountId", "123456789012"]
  Both: !And [!Condition IsProd, !Condition InAccount]
  Either: !Or [!Condition IsProd, !Not [!Condition InAccount]]
Resources:
  Role:
    Type: AWS::IAM::Role
    Properties:
      RoleName: !Sub demo-${Environment}-role
  Queue:
    Type: AWS::SQS::Queue
    Condition: Both
    Properties:
      QueueName: demo-queue
  Policy:
    Type: AWS::IAM::ManagedPolicy
    Properties:
      ManagedPolicyName: !Join ["-", [demo, !Ref Environment, boundary]]
  Bucket:
    Type: AWS::S3::Bucket
    Properties:
      BucketName: !Sub
        - demo-${Zone}-${AWS::Region}-${AWS::AccountId}-${Environment}
        - Zone: !Select [1, !Ref Names]
      Tags:
        - !If [IsProd, {Key: tier, Value: critical}, !Ref "AWS::NoValue"]
        - Key: arn
          Value: !Sub "${Role.Arn} ${Policy}"
  Key:
    Type: AWS::KMS::Key
    Properties:
      Description: !Sub "${Bucket.Arn}/*"
"""


@pytest.fixture
def template(tmp_path: Path) -> dict[str, Any]:
    path = tmp_path / "template.yaml"
    path.write_text(TEMPLATE, encoding="utf-8")
    return load(path)


def _stack(template: dict[str, Any], environment: str, account: str = "123456789012") -> Stack:
    return Stack(template, "demo-stack", account, "cn-north-1", {"Environment": environment})


def test_conditions_decide_which_resources_exist(template: dict[str, Any]) -> None:
    everywhere = {"Role", "Policy", "Bucket", "Key"}
    assert set(_stack(template, "prod").resources()) == everywhere | {"Queue"}
    assert set(_stack(template, "dev").resources()) == everywhere
    assert set(_stack(template, "prod", "999999999999").resources()) == everywhere
    assert _stack(template, "dev", "999999999999").condition("Either")


def test_intrinsics_resolve_to_names_and_arns(template: dict[str, Any]) -> None:
    bucket = _stack(template, "prod").properties("Bucket")
    name = "demo-b-cn-north-1-123456789012-prod"
    assert bucket["BucketName"] == name
    assert bucket["Tags"] == [
        {"Key": "tier", "Value": "critical"},
        {
            "Key": "arn",
            "Value": "arn:aws-cn:iam::123456789012:role/demo-prod-role "
            "arn:aws-cn:iam::123456789012:policy/demo-prod-boundary",
        },
    ]
    assert _stack(template, "dev").properties("Bucket")["Tags"][0]["Key"] == "arn"
    key = _stack(template, "prod").properties("Key")
    assert key == {"Description": f"arn:aws-cn:s3:::{name}/*"}


def test_what_it_cannot_resolve_raises(template: dict[str, Any]) -> None:
    with pytest.raises(UnresolvableError, match="refuses Environment=qa"):
        _stack(template, "qa").properties("Role")
    with pytest.raises(UnresolvableError, match="no export named demo-export given"):
        _stack(template, "dev").resolve({"Fn::ImportValue": "demo-export"})
    with pytest.raises(UnresolvableError, match="no physical id known for AWS::SQS::Queue"):
        _stack(template, "prod").resolve({"Ref": "Queue"})
