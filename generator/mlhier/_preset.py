"""Team presets: defaults and fixed answers for any layer, and the template a team follows.

A preset is a YAML mapping with four optional sections::

    template: https://github.com/acme/mlhier-templates.git   # a fork, recorded as _src_path
    vcs_ref: v1.4.0                                          # its tag or commit
    defaults:                # offered at the prompt (and taken by --defaults); --data wins
      aws_region: eu-central-1
    fixed:                   # never asked; a --data value that differs is refused
      author_name: ACME ML platform team

The question names are those of ``--data``, for any layer: mlhier sorts them to their layers.
What ``mlhier new`` cannot use yet (the values of layers above ``--up-to``, and the template)
is kept in the project, in ``KEPT_PRESET``: a preset of the same format that mlhier writes and
commits, and that ``mlhier add`` reads. No copier layer renders it, so updates leave it alone.
"""

from __future__ import annotations

import difflib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from mlhier._answers import read_yaml_mapping, sort_answers
from mlhier._questions import is_remote
from mlhier.errors import InvalidInputError
from mlhier.layers import LADDER, Layer

__all__ = [
    "KEPT_PRESET",
    "PRESET_ENV",
    "Kept",
    "LayerValues",
    "Preset",
    "check_fixed",
    "follow_in_kept_preset",
    "read_kept_preset",
    "read_preset",
    "write_kept_preset",
]

PRESET_ENV = "MLHIER_PRESET"
"""The environment variable ``mlhier new`` reads a preset's path from (``--preset`` wins)."""

KEPT_PRESET = ".mlhier-preset.yml"
"""Where a project keeps the preset's values for layers not applied yet; written by mlhier."""

_SECTIONS = ("template", "vcs_ref", "defaults", "fixed")
_KEPT_HEADER = (
    "# Written by mlhier from the team preset: answers for the layers not applied yet, read by\n"
    "# `mlhier add`, and the template the team follows. mlhier rewrites it; no layer renders it.\n"
)


@dataclass(frozen=True)
class LayerValues:
    """A preset's answers for one layer: offered as defaults, or fixed."""

    defaults: Mapping[str, Any] = field(default_factory=dict)
    fixed: Mapping[str, Any] = field(default_factory=dict)

    def __bool__(self) -> bool:
        return bool(self.defaults or self.fixed)


@dataclass(frozen=True)
class Preset:
    """A preset as read from ``path``: its answers not yet sorted into layers."""

    path: Path
    defaults: Mapping[str, Any] = field(default_factory=dict)
    fixed: Mapping[str, Any] = field(default_factory=dict)
    template: str | None = None
    vcs_ref: str | None = None

    @property
    def label(self) -> str:
        """How messages name it: ``preset FILE``."""
        return f"preset {self.path}"

    def by_layer(self, questions: Mapping[Layer, tuple[str, ...]]) -> dict[Layer, LayerValues]:
        """Each layer's values, checked like ``--data``; refusals name the file and section.

        Keys are sorted against every shipped layer: a preset serves the whole ladder.
        """
        shipped = tuple(layer for layer in LADDER if layer.shipped)
        sorted_sections: dict[str, dict[str, dict[str, Any]]] = {}
        for section in ("defaults", "fixed"):
            try:
                sorted_sections[section] = sort_answers(getattr(self, section), questions, shipped)
            except InvalidInputError as error:
                raise InvalidInputError(f"{self.label}: {section}: {error}", error.hint) from error
        return {
            layer: LayerValues(
                sorted_sections["defaults"][layer.name], sorted_sections["fixed"][layer.name]
            )
            for layer in shipped
        }


def _section_mapping(label: str, name: str, value: object) -> dict[str, Any]:
    if value is None:
        return {}
    if not isinstance(value, dict):
        kind = type(value).__name__
        raise InvalidInputError(f"{label}: {name} holds a {kind}, not a mapping of answers")
    for key in value:
        if not isinstance(key, str):
            raise InvalidInputError(f"{label}: {name}: key {key!r} is not a question name")
    return dict(value)


def _section_text(label: str, name: str, value: object) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str) or not value.strip():
        raise InvalidInputError(f"{label}: {name} must be a non-empty string")
    return value


def _refuse_unknown_sections(label: str, loaded: Mapping[str, Any]) -> None:
    """A misspelt section would silently drop its answers: refuse it, suggesting the right one."""
    for key in loaded:
        if key in _SECTIONS:
            continue
        close = difflib.get_close_matches(key, _SECTIONS, n=1, cutoff=0.6)
        said = f"did you mean {close[0]}?" if close else f"the sections: {', '.join(_SECTIONS)}"
        raise InvalidInputError(
            f"{label}: unknown section {key!r}: {said}",
            "answers go under `defaults:` (offered) or `fixed:` (never asked)",
        )


def read_preset(path: Path) -> Preset:
    """The preset in the YAML file ``path``, its sections checked; keys are checked later."""
    path = path.expanduser()
    loaded = read_yaml_mapping(path, "preset", "sections")
    label = f"preset {path}"
    _refuse_unknown_sections(label, loaded)
    defaults = _section_mapping(label, "defaults", loaded.get("defaults"))
    fixed = _section_mapping(label, "fixed", loaded.get("fixed"))
    both = sorted(defaults.keys() & fixed.keys())
    if both:
        raise InvalidInputError(
            f"{label}: {both[0]} is both in defaults and in fixed", "keep it in one of them"
        )
    template = _section_text(label, "template", loaded.get("template"))
    if template is not None and not is_remote(template):
        # A relative folder is read from where the preset lies, not from where mlhier runs.
        local = Path(template).expanduser()
        template = str(local if local.is_absolute() else (path.resolve().parent / local).resolve())
    vcs_ref = _section_text(label, "vcs_ref", loaded.get("vcs_ref"))
    if vcs_ref is not None and template is None:
        raise InvalidInputError(
            f"{label}: vcs_ref needs template: the bundled templates have no history"
        )
    return Preset(path, defaults, fixed, template, vcs_ref)


def read_kept_preset(project: Path) -> Preset | None:
    """The preset a project keeps for its later layers, or ``None`` when it keeps none."""
    kept = project / KEPT_PRESET
    return read_preset(kept) if kept.is_file() else None


def _same(given: object, fixed: object) -> bool:
    """Whether a ``--data`` value (text) says the same as a preset's (typed YAML) value."""
    import yaml

    if given == fixed or str(given) == str(fixed):
        return True
    if isinstance(given, str):
        try:
            return bool(yaml.safe_load(given) == fixed)
        except yaml.YAMLError:
            return False
    return False


def check_fixed(preset: Preset, given: Mapping[str, Any]) -> None:
    """Refuse a given answer that contradicts one the preset fixes, naming both."""
    for key, value in given.items():
        if key in preset.fixed and not _same(value, preset.fixed[key]):
            raise InvalidInputError(
                f"--data {key}={value} conflicts with {preset.label}, "
                f"which fixes {key}: {preset.fixed[key]}",
                "drop the --data value, or change the preset",
            )


@dataclass(frozen=True)
class Kept:
    """What a project keeps of a preset: the template it follows, the layers not applied yet.

    The template's ``vcs_ref`` is not kept: ``mlhier add`` renders a layer at the version the
    layer below records, which ``mlhier update`` may have moved since.
    """

    template: str | None
    later: Mapping[Layer, LayerValues]


def write_kept_preset(project: Path, kept_preset: Kept) -> bool:
    """Write what ``project`` keeps of a preset; remove the file when nothing is left to keep.

    Returns whether the project keeps the file.
    """
    import yaml

    kept = project / KEPT_PRESET
    content: dict[str, Any] = {}
    if kept_preset.template is not None:
        content["template"] = kept_preset.template
    later = kept_preset.later.values()
    defaults = {key: value for values in later for key, value in values.defaults.items()}
    fixed = {key: value for values in later for key, value in values.fixed.items()}
    if defaults:
        content["defaults"] = defaults
    if fixed:
        content["fixed"] = fixed
    if not content:
        kept.unlink(missing_ok=True)
        return False
    text = _KEPT_HEADER + yaml.safe_dump(content, sort_keys=False, allow_unicode=True)
    kept.write_text(text, encoding="utf-8")
    return True


def follow_in_kept_preset(project: Path, template: str) -> None:
    """Point the kept preset (if the project keeps one) at ``template``, its values untouched.

    ``mlhier update --template`` follows a new source for good: a later ``mlhier add`` must
    render from it too.
    """
    import yaml

    kept = project / KEPT_PRESET
    if not kept.is_file():
        return
    content = dict(read_yaml_mapping(kept, "preset", "sections"))
    content = {"template": template, **{k: v for k, v in content.items() if k != "template"}}
    text = _KEPT_HEADER + yaml.safe_dump(content, sort_keys=False, allow_unicode=True)
    kept.write_text(text, encoding="utf-8")
