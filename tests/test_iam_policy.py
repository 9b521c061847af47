"""The IAM evaluator of the isolation proofs decides as AWS documents it, for its subset."""

from __future__ import annotations

from typing import Any

import pytest
from iam_policy import (
    Decision,
    Principal,
    Request,
    UnsupportedPolicyError,
    arn_match,
    decide,
    trust_allows,
    wildcard_match,
)

BUCKET = "arn:aws:s3:::demo-acme-raw-eu-west-1-123456789012-dev"


def policy(*statements: dict[str, Any]) -> dict[str, Any]:
    return {"Version": "2012-10-17", "Statement": list(statements)}


def allow(action: Any = "*", resource: Any = "*", **extra: Any) -> dict[str, Any]:
    return {"Effect": "Allow", "Action": action, "Resource": resource, **extra}


def deny(action: Any = "*", resource: Any = "*", **extra: Any) -> dict[str, Any]:
    return {"Effect": "Deny", "Action": action, "Resource": resource, **extra}


@pytest.mark.parametrize(
    ("pattern", "text", "expected"),
    [
        ("demo-*-dev", "demo-acme-raw-dev", True),
        ("demo-*-dev", "demo-acme-raw-prod", False),
        # IAM's * spans / and : (why the lake's policies deny other environments' objects).
        ("demo-*-dev", "demo-x-prod/key-dev", True),
        ("role/demo-?-x", "role/demo-a-x", True),
        ("role/demo-?-x", "role/demo-ab-x", False),
        ("demo-dev-*", "Demo-dev-x", False),
        ("a.b", "axb", False),
    ],
)
def test_wildcards_match_the_whole_text(pattern: str, text: str, expected: bool) -> None:
    assert wildcard_match(pattern, text) is expected


def test_arn_like_matches_each_part_on_its_own() -> None:
    assert arn_match("arn:aws:iam::*:role/demo-*", "arn:aws:iam::123456789012:role/demo-dev-x")
    assert not arn_match("arn:aws:iam::*:role/demo-*", "arn:aws-cn:iam::123456789012:role/demo-x")
    # A * in one part does not reach into the next one.
    assert not arn_match("arn:aws:iam::1*", "arn:aws:iam::123456789012:role/x")
    assert not arn_match("arn:aws:iam::*:role/x", "not an arn")


def test_an_explicit_deny_wins_and_nothing_allowed_is_denied() -> None:
    request = Request("s3:GetObject", f"{BUCKET}/raw/x")
    assert decide([policy(allow("s3:*", f"{BUCKET}/*"))], request) is Decision.ALLOW
    both = [policy(allow("s3:*", f"{BUCKET}/*")), policy(deny("s3:Get*", "*"))]
    assert decide(both, request) is Decision.EXPLICIT_DENY
    other = [policy(allow("s3:PutObject", f"{BUCKET}/*"))]
    assert decide(other, request) is Decision.IMPLICIT_DENY


def test_actions_ignore_case_and_resources_do_not() -> None:
    assert decide([policy(allow("S3:getobject", BUCKET))], Request("s3:GetObject", BUCKET)) is (
        Decision.ALLOW
    )
    assert decide([policy(allow("s3:*", BUCKET.upper()))], Request("s3:GetObject", BUCKET)) is (
        Decision.IMPLICIT_DENY
    )


def test_not_action_and_not_resource_cover_everything_else() -> None:
    keep = policy({"Effect": "Deny", "NotAction": ["iam:Get*", "iam:List*"], "Resource": "*"})
    assert decide([keep], Request("iam:GetRole", "r")) is Decision.IMPLICIT_DENY
    assert decide([keep], Request("iam:DeleteRole", "r")) is Decision.EXPLICIT_DENY
    elsewhere = policy({"Effect": "Allow", "Action": "s3:*", "NotResource": f"{BUCKET}*"})
    assert decide([elsewhere], Request("s3:GetObject", f"{BUCKET}/x")) is Decision.IMPLICIT_DENY
    assert decide([elsewhere], Request("s3:GetObject", "arn:aws:s3:::other")) is Decision.ALLOW


def _holds(condition: dict[str, Any], context: dict[str, Any]) -> bool:
    statement = allow("kms:CreateKey", "*", Condition=condition)
    return decide([policy(statement)], Request("kms:CreateKey", "*", context)) is Decision.ALLOW


@pytest.mark.parametrize(
    ("condition", "context", "expected"),
    [
        ({"StringEquals": {"aws:RequestTag/environment": "dev"}}, {}, False),
        (
            {"StringEquals": {"aws:RequestTag/environment": "dev"}},
            {"aws:requesttag/ENVIRONMENT": "dev"},
            True,
        ),
        ({"StringEquals": {"k": ["dev", "staging"]}}, {"k": "staging"}, True),
        ({"StringEquals": {"k": "dev", "j": "x"}}, {"k": "dev"}, False),
        ({"StringEquals": {"k": "dev"}, "StringLike": {"j": "x*"}}, {"k": "dev", "j": "xy"}, True),
        ({"StringEquals": {"k": "dev"}}, {"k": "Dev"}, False),
        (
            {"StringLike": {"k": "repo:o/r:ref:refs/tags/v*"}},
            {"k": "repo:o/r:ref:refs/tags/v1"},
            True,
        ),
        ({"StringNotEquals": {"k": "dev"}}, {}, True),
        ({"StringNotEquals": {"k": ["dev", "prod"]}}, {"k": "prod"}, False),
        ({"StringNotLike": {"k": "d*"}}, {"k": "prod"}, True),
        ({"StringEqualsIfExists": {"k": "dev"}}, {}, True),
        ({"StringEqualsIfExists": {"k": "dev"}}, {"k": "prod"}, False),
        ({"Null": {"k": "true"}}, {}, True),
        ({"Null": {"k": "false"}}, {}, False),
        ({"Null": {"k": "false"}}, {"k": "x"}, True),
        ({"Bool": {"aws:SecureTransport": "false"}}, {"aws:SecureTransport": "false"}, True),
        (
            {"ArnLike": {"aws:SourceArn": "arn:aws:s3:::demo-*"}},
            {"aws:SourceArn": "arn:aws:s3:::demo-x"},
            True,
        ),
        ({"ArnEquals": {"k": "arn:aws:iam::1:role/a"}}, {"k": "arn:aws:iam::1:role/b"}, False),
        ({"ArnNotLike": {"k": "arn:aws:iam::1:role/a*"}}, {"k": "arn:aws:iam::1:role/b"}, True),
        (
            {"ForAnyValue:StringEquals": {"aws:TagKeys": ["environment"]}},
            {"aws:TagKeys": ["zone", "environment"]},
            True,
        ),
        (
            {"ForAnyValue:StringEquals": {"aws:TagKeys": ["environment"]}},
            {"aws:TagKeys": ["zone"]},
            False,
        ),
        ({"ForAnyValue:StringEquals": {"aws:TagKeys": ["environment"]}}, {}, False),
        (
            {"ForAllValues:StringEquals": {"aws:TagKeys": ["a", "b"]}},
            {"aws:TagKeys": ["a", "b"]},
            True,
        ),
        (
            {"ForAllValues:StringEquals": {"aws:TagKeys": ["a", "b"]}},
            {"aws:TagKeys": ["a", "c"]},
            False,
        ),
        ({"ForAllValues:StringEquals": {"aws:TagKeys": ["a"]}}, {}, True),
    ],
)
def test_conditions_follow_the_documented_operators(
    condition: dict[str, Any], context: dict[str, Any], expected: bool
) -> None:
    assert _holds(condition, context) is expected


@pytest.mark.parametrize(
    "unsupported",
    [
        {"Effect": "Allow", "Action": "s3:*", "Resource": "arn:aws:s3:::${aws:username}"},
        {"Effect": "Allow", "Action": "s3:*", "NotPrincipal": {"AWS": "x"}, "Resource": "*"},
        allow(Condition={"NumericLessThan": {"s3:TlsVersion": "1.2"}}),
        allow(Condition={"ForAnyValue:Null": {"k": "true"}}),
        {"Effect": "Maybe", "Action": "*", "Resource": "*"},
    ],
)
def test_what_it_does_not_implement_is_refused_not_ignored(unsupported: dict[str, Any]) -> None:
    with pytest.raises(UnsupportedPolicyError):
        decide([policy(unsupported)], Request("s3:GetObject", BUCKET, {"s3:TlsVersion": "1.2"}))


def test_a_multivalued_key_needs_a_set_qualifier() -> None:
    with pytest.raises(UnsupportedPolicyError, match="several values"):
        _holds({"StringEquals": {"aws:TagKeys": "a"}}, {"aws:TagKeys": ["a", "b"]})


def test_a_boundary_intersects_the_identity_policies() -> None:
    boundary = policy(allow("s3:*", f"{BUCKET}*"), deny("s3:DeleteBucket", "*"))
    role = Principal("worker", (policy(allow("s3:*", "*"), allow("iam:*", "*")),), boundary)
    assert role.decide(Request("s3:GetObject", f"{BUCKET}/x")) is Decision.ALLOW
    assert role.decide(Request("iam:CreateRole", "r")) is Decision.IMPLICIT_DENY
    assert role.decide(Request("s3:DeleteBucket", BUCKET)) is Decision.EXPLICIT_DENY
    narrow = Principal("reader", (policy(allow("s3:GetObject", "*")),), boundary)
    assert narrow.decide(Request("s3:PutObject", f"{BUCKET}/x")) is Decision.IMPLICIT_DENY
    unbounded = Principal("admin", (policy(allow()),))
    assert unbounded.allows(Request("iam:CreateRole", "r"))


PROVIDER = "arn:aws:iam::123456789012:oidc-provider/token.actions.githubusercontent.com"
TRUST = policy(
    {
        "Effect": "Allow",
        "Principal": {"Federated": PROVIDER},
        "Action": "sts:AssumeRoleWithWebIdentity",
        "Condition": {
            "StringEquals": {
                "token.actions.githubusercontent.com:aud": "sts.amazonaws.com",
                "token.actions.githubusercontent.com:sub": "repo:o/r:environment:dev",
            }
        },
    }
)


def _assume(sub: str, provider: str = PROVIDER) -> Request:
    context = {
        "token.actions.githubusercontent.com:sub": sub,
        "token.actions.githubusercontent.com:aud": "sts.amazonaws.com",
    }
    return Request(
        "sts:AssumeRoleWithWebIdentity", context=context, principal=("Federated", provider)
    )


def test_a_trust_policy_checks_the_principal_and_the_token_claims() -> None:
    assert trust_allows(TRUST, _assume("repo:o/r:environment:dev"))
    assert not trust_allows(TRUST, _assume("repo:o/r:environment:prod"))
    assert not trust_allows(
        TRUST, _assume("repo:o/r:environment:dev", PROVIDER.replace("1234", "9999"))
    )
    assert not trust_allows(TRUST, Request("sts:AssumeRole", principal=("Federated", PROVIDER)))
    service = Request("sts:AssumeRoleWithWebIdentity", principal=("Service", PROVIDER))
    assert not trust_allows(TRUST, service)
    with pytest.raises(UnsupportedPolicyError, match="principal"):
        trust_allows(TRUST, Request("sts:AssumeRoleWithWebIdentity"))
