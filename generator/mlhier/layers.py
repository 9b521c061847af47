"""The ladder of layers: order, purpose and prerequisites live here and nowhere else."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from mlhier.errors import InvalidInputError

__all__ = ["LADDER", "Layer", "applied_layers", "get_layer", "layer_below", "layers_up_to"]


@dataclass(frozen=True)
class Layer:
    """One rung of the hierarchy of needs, rendered by ``templates/<name>/``."""

    name: str
    need: str
    adds: str
    shipped: bool = True

    @property
    def answers_file(self) -> str:
        """Where copier records this layer's answers in a generated project."""
        return f".copier-answers.{self.name}.yml"


LADDER: tuple[Layer, ...] = (
    Layer(
        "devops",
        "software released fast and safely: CI on every change, CD on every tag",
        "package, tests, linters, pre-commit, GitHub Actions CI and CD, container, AWS bootstrap",
    ),
    Layer(
        "data",
        "data flows without hands into one S3 data lake, processed where it lies",
        "data-lake layout and infrastructure, lake I/O, data contracts, ingestion job",
    ),
    Layer(
        "platform",
        "a platform to build ML on, its infrastructure automated",
        "SageMaker training pipeline, its steps run locally, artefact bucket and model registry",
    ),
    Layer(
        "mlops",
        "reproducible models: validated, deployed in stages, monitored",
        "model validation gate, staged deployment, serving, batch scoring, monitoring",
    ),
)


def get_layer(name: str) -> Layer:
    """The shipped layer called ``name``; an ``InvalidInputError`` naming the choices otherwise."""
    for layer in LADDER:
        if layer.name == name:
            if not layer.shipped:
                raise InvalidInputError(f"layer {name!r} is planned but not shipped yet")
            return layer
    choices = ", ".join(layer.name for layer in LADDER if layer.shipped)
    raise InvalidInputError(f"unknown layer {name!r}: choose one of {choices}")


def layer_below(layer: Layer) -> Layer | None:
    """The layer ``layer`` stands on, or ``None`` for the base layer."""
    index = LADDER.index(layer)
    return LADDER[index - 1] if index else None


def layers_up_to(name: str) -> tuple[Layer, ...]:
    """The ladder from the base layer up to and including ``name``."""
    top = get_layer(name)
    return LADDER[: LADDER.index(top) + 1]


def applied_layers(project: Path) -> tuple[Layer, ...]:
    """The layers whose answers file exists in ``project``, bottom-up."""
    return tuple(layer for layer in LADDER if (project / layer.answers_file).is_file())
