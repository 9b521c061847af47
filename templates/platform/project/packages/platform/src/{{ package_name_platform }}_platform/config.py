"""The pipeline's settings, read from config/platform.yaml."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import yaml

if TYPE_CHECKING:
    from pathlib import Path

__all__ = ["ConfigError", "Hyperparameters", "PlatformConfig"]


class ConfigError(ValueError):
    """config/platform.yaml is missing a value or holds a wrong one."""


@dataclass(frozen=True)
class Hyperparameters:
    """Of the logistic regression the training step fits."""

    C: float = 1.0
    max_iter: int = 1000

    @classmethod
    def from_mapping(cls, raw: dict[str, Any]) -> Hyperparameters:
        """From text or numbers, as SageMaker passes hyperparameters (SM_HPS) or YAML holds them."""
        try:
            return cls(
                C=float(raw.get("C", cls.C)), max_iter=int(raw.get("max_iter", cls.max_iter))
            )
        except (TypeError, ValueError) as error:
            msg = f"hyperparameters {raw!r}: C is a number, max_iter a whole number"
            raise ConfigError(msg) from error


@dataclass(frozen=True)
class PlatformConfig:
    """Names and defaults of the training pipeline, local and on SageMaker."""

    root: Path
    pipeline: str
    model_package_group: str
    lake_config: Path
    dataset: str
    label: str
    not_features: tuple[str, ...]
    split_modulus: int
    validation_remainders: tuple[int, ...]
    test_remainders: tuple[int, ...]
    seed: int
    hyperparameters: Hyperparameters
    accuracy_threshold: float
    instance_type: str
    instance_count: int
    local_root: Path
    region: str
    image_repository: str
    artefact_bucket: str
    execution_role: str
    job: str
    accounts: dict[str, str]

    @classmethod
    def load(cls, path: Path) -> PlatformConfig:
        """Read ``path``; relative paths in it are relative to the folder above ``config/``."""
        try:
            raw = yaml.safe_load(path.read_text(encoding="utf-8"))
        except OSError as error:
            msg = f"{path}: cannot be read ({error.strerror})"
            raise ConfigError(msg) from error
        if not isinstance(raw, dict):
            msg = f"{path}: not a mapping of settings"
            raise ConfigError(msg)
        try:
            return cls._from_mapping(raw, path.resolve().parent.parent)
        except (KeyError, TypeError, ValueError) as error:
            msg = f"{path}: {error}"
            raise ConfigError(msg) from error

    @classmethod
    def _from_mapping(cls, raw: dict[str, Any], root: Path) -> PlatformConfig:
        return cls(
            root=root,
            pipeline=str(raw["pipeline"]),
            model_package_group=str(raw["model_package_group"]),
            lake_config=root / str(raw["lake_config"]),
            dataset=str(raw["dataset"]),
            label=str(raw["label"]),
            not_features=tuple(str(name) for name in raw["not_features"]),
            split_modulus=int(raw["split_modulus"]),
            validation_remainders=tuple(int(r) for r in raw["validation_remainders"]),
            test_remainders=tuple(int(r) for r in raw["test_remainders"]),
            seed=int(raw["seed"]),
            hyperparameters=Hyperparameters.from_mapping(dict(raw["hyperparameters"])),
            accuracy_threshold=float(raw["accuracy_threshold"]),
            instance_type=str(raw["instance_type"]),
            instance_count=int(raw["instance_count"]),
            local_root=root / str(raw["local_root"]),
            region=str(raw["region"]),
            image_repository=str(raw["image_repository"]),
            artefact_bucket=str(raw["artefact_bucket"]),
            execution_role=str(raw["execution_role"]),
            job=str(raw["job"]),
            accounts={
                str(name): str(env["account_id"]) for name, env in raw["environments"].items()
            },
        )

    def account(self, environment: str) -> str:
        """The AWS account of ``environment``; ``ConfigError`` naming the choices otherwise."""
        if environment not in self.accounts:
            msg = f"unknown environment {environment!r}: one of {', '.join(self.accounts)}"
            raise ConfigError(msg)
        return self.accounts[environment]

    def pipeline_name(self, environment: str) -> str:
        """The pipeline of ``environment`` (its jobs and artefacts carry the name too)."""
        return self.pipeline.format(environment=environment)

    def job_name(self, environment: str, step: str) -> str:
        """The SageMaker job of ``step`` in ``environment``: ``<project>-<environment>-<step>``."""
        return self.job.format(environment=environment, step=step)

    def group_name(self, environment: str) -> str:
        """The model package group of ``environment`` ("local" for the local registry)."""
        return self.model_package_group.format(environment=environment)

    def bucket(self, environment: str) -> str:
        """The model-artefact bucket of ``environment``."""
        return self.artefact_bucket.format(
            region=self.region, account_id=self.account(environment), environment=environment
        )

    def role_arn(self, environment: str) -> str:
        """The SageMaker execution role of ``environment``."""
        name = self.execution_role.format(environment=environment)
        return f"arn:aws:iam::{self.account(environment)}:role/{name}"
