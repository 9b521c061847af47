"""mlhier: layered copier templates that build an ML repository up the hierarchy of needs."""

from __future__ import annotations

from mlhier._source import TemplateSource, bundled_source, user_source
from mlhier.api import add_layer, new_project, update_project
from mlhier.errors import GenerationError, InvalidInputError, MlhierError, UpdateConflictError
from mlhier.layers import LADDER, Layer


def __getattr__(name: str) -> str:
    # Read lazily: importlib.metadata costs start-up time that `mlhier --help` need not pay.
    if name == "__version__":
        from importlib.metadata import PackageNotFoundError, version

        try:
            return version("mlhier")
        except PackageNotFoundError:  # a checkout that was never installed
            return "0.0.0"
    raise AttributeError(f"module 'mlhier' has no attribute {name!r}")


__all__ = [
    "LADDER",
    "GenerationError",
    "InvalidInputError",
    "Layer",
    "MlhierError",
    "TemplateSource",
    "UpdateConflictError",
    "__version__",
    "add_layer",
    "bundled_source",
    "new_project",
    "update_project",
    "user_source",
]
