"""A one-layer view of the template: the root settings with only that layer's questions.

copier compiles the Jinja of every question's default, ``when``, validator and help on each
render. The root ``copier.yml`` includes ``templates/*/questions.yml``, so rendering one layer
from it pays for the questions of every layer. A view is a plain folder holding the root
settings, the ``layer`` question, ``templates/<layer>/`` and the shared ``templates/*.jinja``
macro files: copier renders the same files and answers from it, and never clones.
The answers file then records the real source (``_record_source``), so plain ``copier update``
keeps using the single root ``copier.yml``.
"""

from __future__ import annotations

import re
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from mlhier.errors import GenerationError

__all__ = ["ALL_QUESTIONS", "layer_view", "view_config"]

# The include line of the root copier.yml that pulls in every layer's questions.
ALL_QUESTIONS = re.compile(r"^!include templates/\*/questions\.yml[ \t]*$", re.MULTILINE)


def view_config(root_config: str, layer: str) -> str:
    """The root ``copier.yml`` text with its questions narrowed to ``layer``'s own."""
    narrowed, count = ALL_QUESTIONS.subn(f"!include templates/{layer}/questions.yml", root_config)
    if count != 1:
        raise GenerationError(
            "copier.yml has no single `!include templates/*/questions.yml` line: "
            "cannot render one layer on its own"
        )
    return narrowed


def _copy_view(root: Path, layer: str, into: Path) -> None:
    config = root / "copier.yml"
    (into / "copier.yml").write_text(
        view_config(config.read_text(encoding="utf-8"), layer), encoding="utf-8"
    )
    templates = into / "templates"
    # Copies, not symlinks: copier's Jinja loader refuses paths that resolve outside the root.
    shutil.copytree(root / "templates" / layer, templates / layer)
    for shared in (root / "templates").glob("*.jinja"):
        if shared.is_file():
            shutil.copy2(shared, templates / shared.name)


@contextmanager
def layer_view(root: Path, layer: str) -> Iterator[Path]:
    """A temporary folder copier can render ``layer`` from; deleted on exit."""
    if not (root / "templates" / layer / "questions.yml").is_file():
        raise GenerationError(f"{root} has no templates/{layer}/questions.yml")
    folder = Path(tempfile.mkdtemp(prefix=f"mlhier-view-{layer}-"))
    try:
        try:
            _copy_view(root, layer, folder)
        except OSError as error:
            raise GenerationError(f"cannot copy the {layer} layer of {root}: {error}") from error
        yield folder
    finally:
        shutil.rmtree(folder, ignore_errors=True)
