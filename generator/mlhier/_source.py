"""Where a template comes from, and what the answers file must record so updates keep working."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

__all__ = ["UPSTREAM_URL", "TemplateSource", "bundled_source", "user_source"]

# The public home of the templates: what a project generated from the bundled copy updates from.
UPSTREAM_URL = "https://github.com/mlhier/mlhier.git"

_LOCAL_COMMIT = re.compile(r"\+g([0-9a-f]{7,40})")


@dataclass(frozen=True)
class TemplateSource:
    """What copier renders from (``path`` at ``vcs_ref``) and, for a plain copy, what to record.

    ``record`` is ``(src_path, commit)`` written into each answers file after rendering, so a
    project rendered from the copy inside the wheel updates later from the upstream repository.
    ``layered`` renders each layer from a view holding only its own questions (``_view``): the
    root ``copier.yml`` asks every layer's questions and copier compiles them all on each render.
    """

    path: str
    vcs_ref: str | None = None
    record: tuple[str, str] | None = None
    layered: bool = False


def _template_ref(version: str) -> str:
    """The upstream git ref of this mlhier version: its tag, or its commit for a dev build."""
    local = _LOCAL_COMMIT.search(version)
    return local.group(1) if local else f"v{version}"


def bundled_source(version: str) -> TemplateSource:
    """The templates shipped with this mlhier: inside the wheel, or the checkout in development."""
    from importlib import resources

    packaged = resources.files("mlhier") / "_template"
    # An editable install has no copy: the repository root holds copier.yml and templates/.
    path = Path(str(packaged)) if packaged.is_dir() else Path(__file__).resolve().parents[2]
    # Views are copied from the folder as it is: a checkout renders its working tree, no clone.
    return TemplateSource(str(path), record=(UPSTREAM_URL, _template_ref(version)), layered=True)


def user_source(src: str, vcs_ref: str | None) -> TemplateSource:
    """A template the user named: a git URL, or a local path recorded absolute (copier needs it)."""
    local = Path(src).expanduser()
    path = str(local.resolve()) if local.exists() else src
    return TemplateSource(path, vcs_ref)
