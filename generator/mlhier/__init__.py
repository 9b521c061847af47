"""mlhier: layered copier templates that build an ML repository up the hierarchy of needs."""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version

from mlhier._source import TemplateSource, bundled_source, user_source
from mlhier.api import add_layer, new_project, update_project
from mlhier.errors import GenerationError, InvalidInputError, MlhierError, UpdateConflictError
from mlhier.layers import LADDER, Layer

try:
    __version__ = version("mlhier")
except PackageNotFoundError:  # running from a checkout that was never installed
    __version__ = "0.0.0"

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
