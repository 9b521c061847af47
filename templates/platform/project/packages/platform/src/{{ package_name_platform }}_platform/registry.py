"""The local model registry: what SageMaker's model package group records, as JSON files."""

from __future__ import annotations

import hashlib
import json
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from pathlib import Path

__all__ = ["PENDING", "BelowThresholdError", "register"]

# Registered models wait for a person's approval, as in the SageMaker pipeline.
PENDING = "PendingManualApproval"


class BelowThresholdError(RuntimeError):
    """The model's metric is below the threshold: nothing is registered (as the FailStep)."""

    def __init__(self, metric: str, value: float, threshold: float) -> None:
        """Name the metric, its value and the threshold it missed."""
        super().__init__(f"{metric} {value:.4f} is below the threshold {threshold:.4f}")


def _relative(path: Path, root: Path) -> str:
    """``path`` from ``root`` when it lies below it: entries stay valid when the folder moves."""
    return path.relative_to(root).as_posix() if path.is_relative_to(root) else str(path)


def register(
    registry: Path,
    group: str,
    model: Path,
    metrics: dict[str, Any],
    lineage: dict[str, Any],
) -> Path:
    """Record ``model`` in ``group`` as pending approval, with its metrics and lineage.

    The entry is named after the model's SHA-256, so registering the same model again rewrites
    the same entry with the same bytes.
    """
    digest = hashlib.sha256(model.read_bytes()).hexdigest()
    entry = {
        "model_package_group": group,
        "model_sha256": digest,
        "model": _relative(model, registry.parent),
        "approval_status": PENDING,
        "metrics": metrics,
        "lineage": lineage,
    }
    folder = registry / group
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{digest[:16]}.json"
    path.write_text(json.dumps(entry, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    return path
