"""A small IAM policy evaluator for exactly the subset of the policy language the templates use.

No library evaluates IAM conditions offline, so the isolation proofs (test_isolation.py) read the
rendered policies as data and decide requests here. Supported, following AWS's documented policy
evaluation logic for one account without SCPs or session policies:

- statements with ``Effect`` Allow or Deny, ``Action``/``NotAction`` (case-insensitive, with ``*``
  and ``?``), ``Resource``/``NotResource`` (case-sensitive, ``*`` and ``?`` spanning ``/`` and
  ``:`` as in IAM), ``Principal`` (``Federated``, ``Service``, ``AWS``; for trust policies);
- condition operators StringEquals, StringNotEquals, StringLike, StringNotLike, ArnEquals,
  ArnLike, ArnNotEquals, ArnNotLike, Null and Bool, each also with ``IfExists``, and the set
  qualifiers ``ForAnyValue:``/``ForAllValues:`` for multivalued keys such as ``aws:TagKeys``;
- an explicit Deny wins; otherwise an identity policy Allow is needed, and, when the principal
  has a permissions boundary, an Allow of the boundary too.

Anything else (policy variables, NotPrincipal, numeric or date operators) raises
``UnsupportedPolicyError``: a proof must never pass because the evaluator ignored a clause.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from enum import Enum
from functools import cached_property, lru_cache
from typing import Any

Policy = Mapping[str, Any]
ContextValue = str | Sequence[str]


class UnsupportedPolicyError(ValueError):
    """A policy uses a part of the IAM policy language that this evaluator does not implement."""


class Decision(Enum):
    ALLOW = "allow"
    EXPLICIT_DENY = "explicit deny"
    IMPLICIT_DENY = "implicit deny"


@dataclass(frozen=True)
class Request:
    """One API call: what is done, to what, by whom (for resource policies), in which context."""

    action: str
    resource: str = "*"
    context: Mapping[str, ContextValue] = field(default_factory=dict)
    principal: tuple[str, str] | None = None  # (kind, value), e.g. ("Federated", provider ARN)

    def value(self, key: str) -> list[str] | None:
        """The context values of ``key`` (keys are case-insensitive), or None when absent."""
        for name, value in self.context.items():
            if name.lower() == key.lower():
                return [value] if isinstance(value, str) else list(value)
        return None


def _translate(pattern: str) -> str:
    if "${" in pattern:
        raise UnsupportedPolicyError(f"policy variables are not supported: {pattern}")
    return "".join(".*" if c == "*" else "." if c == "?" else re.escape(c) for c in pattern)


@lru_cache(maxsize=4096)
def _globs(patterns: tuple[str, ...], *, ignore_case: bool) -> re.Pattern[str]:
    """One regular expression that matches what any of ``patterns`` matches."""
    joined = "|".join(f"(?:{_translate(pattern)})" for pattern in patterns)
    return re.compile(joined, re.IGNORECASE if ignore_case else 0)


def wildcard_match(pattern: str, text: str, *, ignore_case: bool = False) -> bool:
    """IAM's glob: ``*`` any run of characters (``/`` and ``:`` included), ``?`` one character."""
    return _globs((pattern,), ignore_case=ignore_case).fullmatch(text) is not None


def arn_match(pattern: str, arn: str) -> bool:
    """ArnLike: each of the six colon-separated parts is matched on its own, with wildcards."""
    pattern_parts, arn_parts = pattern.split(":", 5), arn.split(":", 5)
    if len(pattern_parts) != 6 or len(arn_parts) != 6:
        return pattern == "*" and arn != ""
    return all(wildcard_match(p, a) for p, a in zip(pattern_parts, arn_parts, strict=True))


def _as_list(value: Any) -> list[Any]:
    return list(value) if isinstance(value, list | tuple) else [value]


def _string_equals(policy: str, actual: str) -> bool:
    return policy == actual


def _string_like(policy: str, actual: str) -> bool:
    return wildcard_match(policy, actual)


def _bool(policy: str, actual: str) -> bool:
    return policy.lower() == actual.lower()


# operator -> (does one policy value match one context value, is the operator negated)
_OPERATORS = {
    "StringEquals": (_string_equals, False),
    "StringNotEquals": (_string_equals, True),
    "StringLike": (_string_like, False),
    "StringNotLike": (_string_like, True),
    "ArnEquals": (arn_match, False),
    "ArnLike": (arn_match, False),
    "ArnNotEquals": (arn_match, True),
    "ArnNotLike": (arn_match, True),
    "Bool": (_bool, False),
}


def _condition_holds(operator: str, key: str, policy_values: list[str], request: Request) -> bool:
    qualifier, _, name = operator.rpartition(":")
    if_exists = name.endswith("IfExists")
    base = name.removesuffix("IfExists")
    actual = request.value(key)
    if base == "Null":
        if qualifier or if_exists or len(policy_values) != 1:
            raise UnsupportedPolicyError(f"unsupported Null condition: {operator} {key}")
        return (actual is None) == (policy_values[0].lower() == "true")
    if base not in _OPERATORS or qualifier not in {"", "ForAnyValue", "ForAllValues"}:
        raise UnsupportedPolicyError(f"unsupported condition operator: {operator}")
    match, negated = _OPERATORS[base]

    def one(value: str) -> bool:
        matched = any(match(p, value) for p in policy_values)
        return not matched if negated else matched

    if actual is None:
        # An absent key fails a positive test and passes a negated one; IfExists passes both.
        # ForAllValues holds over the empty set, ForAnyValue does not.
        if if_exists or qualifier == "ForAllValues":
            return True
        return negated and not qualifier
    if qualifier == "ForAnyValue":
        return any(one(value) for value in actual)
    if qualifier == "ForAllValues":
        return all(one(value) for value in actual)
    if len(actual) != 1:
        raise UnsupportedPolicyError(f"{key} has several values: qualify {operator} with a set")
    return one(actual[0])


def conditions_hold(condition: Mapping[str, Any], request: Request) -> bool:
    """Every operator, every key of it (AND); any value of a key (OR, negated: none)."""
    return all(
        _condition_holds(operator, key, [str(v) for v in _as_list(values)], request)
        for operator, keys in condition.items()
        for key, values in keys.items()
    )


def _principal_matches(statement: Policy, request: Request) -> bool:
    if "Principal" not in statement:
        return True  # an identity policy: the principal is the policy's holder
    principal = statement["Principal"]
    if request.principal is None:
        raise UnsupportedPolicyError("a resource policy needs a request with a principal")
    if principal == "*":
        return True
    kind, value = request.principal
    return any(str(p) == value for p in _as_list(principal.get(kind, [])))


_ELEMENTS = {"Sid", "Effect", "Action", "NotAction", "Resource", "NotResource", "Condition"}
_ELEMENTS |= {"Principal"}


@dataclass(frozen=True)
class Statement:
    """One statement, its action and resource patterns compiled once."""

    source: Policy
    actions: re.Pattern[str]
    not_action: bool
    resources: re.Pattern[str] | None  # None: no Resource element (a trust policy)
    not_resource: bool
    services: frozenset[str]  # service prefixes its actions can match ("*": any)

    @classmethod
    def parse(cls, statement: Policy) -> Statement:
        unknown = set(statement) - _ELEMENTS
        if unknown:
            raise UnsupportedPolicyError(f"unsupported statement elements: {sorted(unknown)}")
        if statement.get("Effect") not in {"Allow", "Deny"}:
            raise UnsupportedPolicyError(f"statement without Allow or Deny: {statement}")
        not_action = "NotAction" in statement
        actions = [str(a) for a in _as_list(statement["NotAction" if not_action else "Action"])]
        not_resource = "NotResource" in statement
        resources = statement.get("NotResource" if not_resource else "Resource")
        prefixes = {a.split(":", 1)[0].lower() if ":" in a else "*" for a in actions}
        return cls(
            source=statement,
            actions=_globs(tuple(actions), ignore_case=True),
            not_action=not_action,
            resources=None
            if resources is None
            else _globs(tuple(str(r) for r in _as_list(resources)), ignore_case=False),
            not_resource=not_resource,
            services=frozenset(
                {"*"} if not_action or any(set(p) & {"*", "?"} for p in prefixes) else prefixes
            ),
        )

    @property
    def effect(self) -> str:
        return str(self.source["Effect"])

    def applies(self, request: Request) -> bool:
        """Whether this statement covers ``request`` (its effect aside)."""
        if (self.actions.fullmatch(request.action) is None) != self.not_action:
            return False
        if self.resources is not None and (
            (self.resources.fullmatch(request.resource) is None) != self.not_resource
        ):
            return False
        return _principal_matches(self.source, request) and conditions_hold(
            self.source.get("Condition", {}), request
        )


@dataclass(frozen=True)
class CompiledPolicy:
    """A policy's statements, indexed by the service prefixes their actions name."""

    statements: tuple[Statement, ...]

    @classmethod
    def parse(cls, policy: Policy) -> CompiledPolicy:
        return cls(tuple(Statement.parse(s) for s in _as_list(policy["Statement"])))

    def applying(self, request: Request) -> list[Statement]:
        service = request.action.split(":", 1)[0].lower()
        return [
            s
            for s in self.statements
            if ("*" in s.services or service in s.services) and s.applies(request)
        ]


def statement_applies(statement: Policy, request: Request) -> bool:
    """Whether ``statement`` covers ``request`` (its effect aside)."""
    return Statement.parse(statement).applies(request)


def decide(policies: Iterable[Policy | CompiledPolicy], request: Request) -> Decision:
    """The decision of one set of policies: an applying Deny, else an applying Allow, else none."""
    applying = [
        statement
        for policy in policies
        for statement in (
            policy if isinstance(policy, CompiledPolicy) else CompiledPolicy.parse(policy)
        ).applying(request)
    ]
    if any(s.effect == "Deny" for s in applying):
        return Decision.EXPLICIT_DENY
    if any(s.effect == "Allow" for s in applying):
        return Decision.ALLOW
    return Decision.IMPLICIT_DENY


@dataclass(frozen=True)
class Principal:
    """An IAM role as the evaluator sees it: its identity policies and its permissions boundary."""

    name: str
    policies: tuple[Policy, ...]
    boundary: Policy | None = None

    @cached_property
    def _compiled(self) -> tuple[tuple[CompiledPolicy, ...], CompiledPolicy | None]:
        policies = tuple(CompiledPolicy.parse(policy) for policy in self.policies)
        boundary = None if self.boundary is None else CompiledPolicy.parse(self.boundary)
        return policies, boundary

    def decide(self, request: Request) -> Decision:
        """Identity policies and boundary both must allow; an explicit Deny in either wins."""
        policies, boundary = self._compiled
        identity = decide(policies, request)
        if boundary is None or identity is Decision.EXPLICIT_DENY:
            return identity
        bounded = decide([boundary], request)
        if bounded is not Decision.ALLOW:
            return bounded
        return identity

    def allows(self, request: Request) -> bool:
        return self.decide(request) is Decision.ALLOW


def trust_allows(trust_policy: Policy, request: Request) -> bool:
    """Whether a role's trust policy lets ``request.principal`` assume it."""
    return decide([trust_policy], request) is Decision.ALLOW
