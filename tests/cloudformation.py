"""Read a rendered CloudFormation template as CloudFormation would deploy it in one account.

Only what the isolation proofs need: parameters (defaults, overrides), the pseudo parameters
AWS::AccountId/Partition/Region/StackName/NoValue, conditions (Equals, And, Or, Not, Condition),
resources filtered by their condition, and the intrinsics Ref, Fn::Sub, Fn::Join, Fn::Split,
Fn::Select, Fn::If, Fn::ImportValue (of the exports given) and Fn::GetAtt (Arn, the ECR
repository's URI, the names of SageMaker resources). The physical names that Ref and GetAtt
return are built from the names the template gives; a resource type whose name this module
does not know raises, so a proof never runs on a guessed value.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

NO_VALUE = object()


class UnresolvableError(ValueError):
    """The template uses an intrinsic or a resource type that this reader does not resolve."""


class _Loader(yaml.SafeLoader):
    """Reads the short-form intrinsics (!Sub, !Ref, ...) as their long form."""


def _intrinsic(loader: yaml.SafeLoader, suffix: str, node: yaml.Node) -> dict[str, Any]:
    value: Any
    if isinstance(node, yaml.ScalarNode):
        value = loader.construct_scalar(node)
    elif isinstance(node, yaml.SequenceNode):
        value = loader.construct_sequence(node, deep=True)
    else:
        value = loader.construct_mapping(node, deep=True)  # type: ignore[arg-type]
    if suffix == "GetAtt" and isinstance(value, str):
        value = value.split(".", 1)
    return {suffix if suffix in {"Ref", "Condition"} else f"Fn::{suffix}": value}


_Loader.add_multi_constructor("!", _intrinsic)


def load(path: Path) -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.load(path.read_text(encoding="utf-8"), Loader=_Loader)
    return loaded


_SUB_VARIABLE = re.compile(r"\$\{([^}!]+)\}")


@dataclass(frozen=True)
class Stack:
    """A template deployed as ``name`` in ``account_id``/``region``, with ``parameters``."""

    template: Mapping[str, Any]
    name: str
    account_id: str
    region: str
    parameters: Mapping[str, str]
    exports: Mapping[str, Any] = field(default_factory=dict)  # what Fn::ImportValue finds

    @property
    def partition(self) -> str:
        if self.region.startswith("cn-"):
            return "aws-cn"
        return "aws-us-gov" if self.region.startswith("us-gov-") else "aws"

    # --- parameters and conditions

    def parameter(self, name: str) -> Any:
        pseudo = {
            "AWS::AccountId": self.account_id,
            "AWS::Region": self.region,
            "AWS::Partition": self.partition,
            "AWS::StackName": self.name,
            "AWS::URLSuffix": "amazonaws.com",
            "AWS::NoValue": NO_VALUE,
        }
        if name in pseudo:
            return pseudo[name]
        declared = self.template.get("Parameters", {})[name]
        value = self.parameters.get(name, declared.get("Default"))
        if value is None:
            raise UnresolvableError(f"parameter {name} has no value")
        if "AllowedValues" in declared and str(value) not in map(str, declared["AllowedValues"]):
            raise UnresolvableError(f"CloudFormation refuses {name}={value}")
        if declared["Type"] == "CommaDelimitedList":
            return [item.strip() for item in str(value).split(",")]
        return str(value)

    def condition(self, name: str) -> bool:
        return self._condition(self.template["Conditions"][name])

    def _condition(self, expression: Any) -> bool:
        (function, argument), *rest = expression.items()
        if rest:
            raise UnresolvableError(f"not one condition function: {expression}")
        if function == "Condition":
            return self.condition(argument)
        if function == "Fn::Equals":
            left, right = (self.resolve(side) for side in argument)
            return bool(left == right)
        if function == "Fn::And":
            return all(self._condition(part) for part in argument)
        if function == "Fn::Or":
            return any(self._condition(part) for part in argument)
        if function == "Fn::Not":
            return not self._condition(argument[0])
        raise UnresolvableError(f"unsupported condition function {function}")

    # --- resources

    def resources(self, kind: str | None = None) -> dict[str, Mapping[str, Any]]:
        """The resources this deployment creates (their condition holds), by logical id."""
        return {
            logical: resource
            for logical, resource in self.template["Resources"].items()
            if (kind is None or resource["Type"] == kind)
            and ("Condition" not in resource or self.condition(resource["Condition"]))
        }

    def properties(self, logical: str) -> Any:
        """The resolved properties of resource ``logical``."""
        return self.resolve(self.template["Resources"][logical].get("Properties", {}))

    def _arn(self, service: str, resource: str, *, region: bool = True) -> str:
        where = self.region if region else ""
        return f"arn:{self.partition}:{service}:{where}:{self.account_id}:{resource}"

    def _name(self, logical: str, *path: str) -> str:
        """The resolved name property of a resource (only it: a resource may refer to itself)."""
        value: Any = self.template["Resources"][logical].get("Properties", {})
        for key in path:
            value = value[key]
        return str(self.resolve(value))

    def ref(self, logical: str) -> Any:
        if logical in self.template.get("Parameters", {}) or logical.startswith("AWS::"):
            return self.parameter(logical)
        kind = self.template["Resources"][logical]["Type"]
        iam = f"arn:{self.partition}:iam::{self.account_id}"
        if kind == "AWS::KMS::Key":
            # A key's id is random: a stable stand-in per stack and logical id.
            return f"{self.name}-{logical}".lower()
        if kind == "AWS::IAM::ManagedPolicy":
            return f"{iam}:policy/{self._name(logical, 'ManagedPolicyName')}"
        if kind == "AWS::IAM::OIDCProvider":
            return f"{iam}:oidc-provider/{self._name(logical, 'Url').removeprefix('https://')}"
        names = {
            "AWS::IAM::Role": ("RoleName",),
            "AWS::S3::Bucket": ("BucketName",),
            "AWS::ECR::Repository": ("RepositoryName",),
            "AWS::Glue::Database": ("DatabaseInput", "Name"),
            "AWS::Athena::WorkGroup": ("Name",),
            "AWS::CloudWatch::Alarm": ("AlarmName",),
        }
        if kind in names:
            return self._name(logical, *names[kind])
        if kind == "AWS::SageMaker::ModelPackageGroup":
            group = self._name(logical, "ModelPackageGroupName")
            return self._arn("sagemaker", f"model-package-group/{group}")
        if kind == "AWS::ApplicationAutoScaling::ScalableTarget":
            target = self.properties(logical)
            return "|".join(
                target[key] for key in ("ResourceId", "ScalableDimension", "ServiceNamespace")
            )
        raise UnresolvableError(f"no physical id known for {kind} ({logical})")

    def exported(self) -> dict[str, Any]:
        """What this stack exports, by export name: the values other stacks' ImportValue get."""
        return {
            self.resolve(output["Export"]["Name"]): self.resolve(output["Value"])
            for output in self.template.get("Outputs", {}).values()
            if "Export" in output
        }

    def get_att(self, logical: str, attribute: str) -> str:
        kind = self.template["Resources"][logical]["Type"]
        if attribute == "Arn" and kind == "AWS::Logs::LogGroup":
            return self._arn("logs", f"log-group:{self._name(logical, 'LogGroupName')}")
        if attribute == "Arn" and kind == "AWS::SQS::Queue":
            return self._arn("sqs", self._name(logical, "QueueName"))
        if kind.startswith("AWS::SageMaker::") and attribute.endswith("Name"):
            return self._name(logical, attribute)  # ModelName, EndpointConfigName, EndpointName
        ref = self.ref(logical)
        if attribute == "Arn":
            arns = {
                "AWS::IAM::Role": lambda: f"arn:{self.partition}:iam::{self.account_id}:role/{ref}",
                "AWS::S3::Bucket": lambda: f"arn:{self.partition}:s3:::{ref}",
                "AWS::ECR::Repository": lambda: self._arn("ecr", f"repository/{ref}"),
                "AWS::KMS::Key": lambda: self._arn("kms", f"key/{ref}"),
            }
            if kind in arns:
                return arns[kind]()
        if kind == "AWS::SageMaker::ModelPackageGroup" and attribute == "ModelPackageGroupArn":
            return str(ref)  # its Ref is the ARN too
        if kind == "AWS::ECR::Repository" and attribute == "RepositoryUri":
            return f"{self.account_id}.dkr.ecr.{self.region}.amazonaws.com/{ref}"
        raise UnresolvableError(f"no attribute {attribute} known for {kind} ({logical})")

    # --- intrinsics

    def resolve(self, value: Any) -> Any:
        """``value`` with every intrinsic replaced by its value (AWS::NoValue drops the entry)."""
        if isinstance(value, list):
            items = [self.resolve(item) for item in value]
            return [item for item in items if item is not NO_VALUE]
        if not isinstance(value, dict):
            return value
        if len(value) == 1:
            ((function, argument),) = value.items()
            if function == "Ref":
                return self.ref(argument)
            if function == "Fn::GetAtt":
                return self.get_att(*argument)
            if function == "Fn::Sub":
                return self._sub(argument)
            if function == "Fn::Join":
                separator, items = argument
                return separator.join(str(item) for item in self.resolve(items))
            if function == "Fn::Split":
                separator, text = argument
                return str(self.resolve(text)).split(separator)
            if function == "Fn::Select":
                index, items = argument
                return self.resolve(items)[int(self.resolve(index))]
            if function == "Fn::ImportValue":
                name = self.resolve(argument)
                if name not in self.exports:
                    raise UnresolvableError(f"no export named {name} given")
                return self.exports[name]
            if function == "Fn::If":
                name, when_true, when_false = argument
                return self.resolve(when_true if self.condition(name) else when_false)
            if function.startswith("Fn::") or function == "Condition":
                raise UnresolvableError(f"unsupported intrinsic {function}")
        resolved = {key: self.resolve(item) for key, item in value.items()}
        return {key: item for key, item in resolved.items() if item is not NO_VALUE}

    def _sub(self, argument: Any) -> str:
        text, variables = (argument, {}) if isinstance(argument, str) else argument
        values = {name: self.resolve(item) for name, item in variables.items()}

        def replace(match: re.Match[str]) -> str:
            name = match.group(1)
            if name in values:
                return str(values[name])
            if "." in name and not name.startswith("AWS::"):
                return self.get_att(*name.split(".", 1))
            return str(self.ref(name))

        return _SUB_VARIABLE.sub(replace, text)
