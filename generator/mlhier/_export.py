"""``mlhier export cookiecutter``: a cookiecutter template made from the copier templates.

Generated at export time from the same files ``mlhier new`` renders, never kept by hand:

    DEST/cookiecutter.json            the questions of the layers up to LAYER and their defaults
    DEST/{{cookiecutter.project_name}}/  the files of every layer, copier's Jinja translated
    DEST/templates/templates/...      the macros and files the templates import or include,
                                      where `{% import "templates/..." %}` finds them through
                                      cookiecutter's `../templates` loader
    DEST/hooks/pre_gen_project.py     the validators and conditions, run before any file
    DEST/mlhier_jinja.py              copier's filters the templates use, for cookiecutter
    DEST/README.md                    where it came from, how to use it

A higher layer re-declares the values it needs from the layers below (``project_name_data``);
in one cookiecutter run those are the lower layer's answers, so they are not asked again.
"""

from __future__ import annotations

import fnmatch
import glob
import json
import shutil
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any

from mlhier._answers import _inherited_from
from mlhier._jinja_translate import referenced_templates, translate
from mlhier._staging import check_new_folder, staged
from mlhier.errors import GenerationError, InvalidInputError
from mlhier.layers import Layer, layers_up_to

__all__ = ["PROJECT_FOLDER", "CookiecutterExport", "export_cookiecutter"]

# The question that names the project names its folder too, as `mlhier new PATH` does.
PROJECT_QUESTION = "project_name"
PROJECT_FOLDER = "{{cookiecutter.%s}}" % PROJECT_QUESTION  # noqa: UP031 - braces are literal
JINJA_MODULE = "mlhier_jinja"
# The hook's empty list of checks, which the export fills in.
_NO_CHECKS = "CHECKS: list[dict[str, str]] = []\n"
# copier's default `_exclude`, applied to each part of a path.
_EXCLUDED = ("copier.yml", "~*", "*.py[co]", "__pycache__", ".git", ".DS_Store", ".svn")
# Settings of copier.yml the translation depends on, and the values it assumes.
_ASSUMED = {"_templates_suffix": ".jinja", "_envops": {"keep_trailing_newline": True}}
_TYPES = {"str", "int", "float", "bool"}


@dataclass(frozen=True)
class CookiecutterExport:
    """What ``export_cookiecutter`` wrote: its layers, the variables it asks, its files."""

    destination: Path
    layers: tuple[Layer, ...]
    variables: tuple[str, ...]
    files: tuple[str, ...]


@dataclass(frozen=True)
class _Question:
    layer: Layer
    name: str  # as the layer's questions.yml declares it
    answer: str  # the cookiecutter variable that answers it: a lower layer's for a copied value
    spec: Mapping[str, Any]

    @property
    def kind(self) -> str:
        kind = str(self.spec.get("type", "str"))
        if kind not in _TYPES or self.spec.get("secret") or self.spec.get("multiselect"):
            raise GenerationError(
                f"{self.name} ({self.layer.name} layer) is a {kind} question: "
                "cookiecutter has no such variable"
            )
        return kind


@dataclass
class _Tree:
    """The exported project folder: text to write or files to copy, by path inside it."""

    texts: dict[str, tuple[str, Path]] = field(default_factory=dict)
    copies: dict[str, Path] = field(default_factory=dict)
    owners: dict[str, str] = field(default_factory=dict)

    def claim(self, path: str, layer: Layer) -> None:
        if path in self.owners:  # two layers writing one file breaks copier's update too
            raise GenerationError(
                f"{path} is written by both the {self.owners[path]} and the {layer.name} layer"
            )
        self.owners[path] = layer.name


def _yaml_loader() -> type[Any]:
    import yaml

    class _Loader(yaml.SafeLoader):
        """copier's tags (``!include``) read as nothing: only the settings matter here."""

    # Without the local tags others may have registered on SafeLoader: those would win.
    _Loader.yaml_constructors = {
        tag: construct
        for tag, construct in yaml.SafeLoader.yaml_constructors.items()
        if not (tag or "").startswith("!")
    }
    _Loader.add_multi_constructor("!", lambda *_: None)
    return _Loader


def _read_yaml(path: Path) -> list[Any]:
    import yaml

    try:
        return list(yaml.load_all(path.read_text(encoding="utf-8"), Loader=_yaml_loader()))
    except (OSError, yaml.YAMLError) as error:
        raise GenerationError(f"cannot read {path}: {error}") from error


def _check_settings(root: Path) -> None:
    documents = _read_yaml(root / "copier.yml")
    settings = documents[0] if documents and isinstance(documents[0], dict) else {}
    for key, assumed in _ASSUMED.items():
        if settings.get(key) != assumed:
            raise GenerationError(
                f"copier.yml sets {key} to {settings.get(key)!r}: the export assumes {assumed!r}"
            )


def _layer_specs(root: Path, layers: Sequence[Layer]) -> dict[Layer, dict[str, Any]]:
    specs: dict[Layer, dict[str, Any]] = {}
    for layer in layers:
        path = root / "templates" / layer.name / "questions.yml"
        documents = [document for document in _read_yaml(path) if document]
        merged: dict[str, Any] = {}
        for document in documents:
            if not isinstance(document, dict):
                raise GenerationError(f"{path} is not a mapping of questions")
            merged.update(document)
        # copier's short form `name: default` is a question with only a default.
        specs[layer] = {
            str(name): spec if isinstance(spec, dict) else {"default": spec}
            for name, spec in merged.items()
        }
    return specs


def _questions(specs: Mapping[Layer, Mapping[str, Any]]) -> list[_Question]:
    """Every question bottom-up; a copied value answered by the question it copies."""
    names = {layer: tuple(spec) for layer, spec in specs.items()}
    answer_of: dict[tuple[Layer, str], str] = {}
    questions: list[_Question] = []
    for layer, spec in specs.items():
        for name, declared in spec.items():
            copied = _inherited_from(name, layer, names)
            answer = answer_of[copied] if copied is not None else name
            answer_of[(layer, name)] = answer
            questions.append(_Question(layer, name, answer, declared))
    return questions


def _names(questions: Sequence[_Question], layer: Layer) -> dict[str, str]:
    """How ``layer``'s files name each answer, and how cookiecutter does; ``layer`` is known."""
    names = {q.name: f"cookiecutter.{q.answer}" for q in questions if q.layer == layer}
    return {"layer": repr(layer.name), **names}


def _has_jinja(value: object) -> bool:
    return isinstance(value, str) and ("{{" in value or "{%" in value)


def _variable(question: _Question, names: Mapping[str, str]) -> object:
    """The question as a cookiecutter variable: its default, or its choices default first."""
    default = question.spec.get("default", "")
    where = f"the default of {question.name} ({question.layer.name} layer)"
    if _has_jinja(default):
        if question.kind == "bool" or "choices" in question.spec:
            raise GenerationError(f"{where} is computed: cookiecutter cannot compute it here")
        return translate(str(default), names, where)
    choices = question.spec.get("choices")
    if choices is not None:
        values = list(choices.values()) if isinstance(choices, dict) else list(choices)
        if default not in values:
            raise GenerationError(f"{where}, {default!r}, is none of its choices")
        return [default, *(value for value in values if value != default)]
    if question.kind == "bool":
        return bool(default)
    return default if default is not None else ""


def _excluded(relative: Path) -> bool:
    return any(fnmatch.fnmatch(part, pattern) for part in relative.parts for pattern in _EXCLUDED)


def _layer_files(project: Path) -> Iterator[Path]:
    for path in sorted(project.rglob("*")):
        relative = path.relative_to(project)
        if path.is_file() and not _excluded(relative):
            yield relative


def _add_layer_files(root: Path, layer: Layer, names: Mapping[str, str], tree: _Tree) -> None:
    project = root / "templates" / layer.name / "project"
    for relative in _layer_files(project):
        if "_copier_conf.answers_file" in relative.as_posix():
            continue  # the answers file: copier's own record, which cookiecutter cannot keep
        rendered = relative.suffix == ".jinja"
        parts = [translate(part, names, f"the path {relative}") for part in relative.parts]
        target = "/".join(parts).removesuffix(".jinja") if rendered else "/".join(parts)
        tree.claim(target, layer)
        if rendered:
            source = (project / relative).read_text(encoding="utf-8")
            where = f"templates/{layer.name}/project/{relative}"
            tree.texts[target] = (translate(source, names, where), project / relative)
        else:
            tree.copies[target] = project / relative


def _cookiecutter_json(
    questions: Sequence[_Question], layers: Sequence[Layer], tree: _Tree
) -> dict[str, Any]:
    config: dict[str, Any] = {}
    prompts: dict[str, str] = {}
    for question in questions:
        if question.answer != question.name:
            continue  # a copied value: the lower layer's answer
        config[question.name] = _variable(question, _names(questions, question.layer))
        if "help" in question.spec:
            prompts[question.name] = " ".join(str(question.spec["help"]).split())
    if PROJECT_QUESTION not in config:
        raise GenerationError(f"no layer asks {PROJECT_QUESTION}, which names the folder")
    if {"template", "templates"} & set(config):
        raise GenerationError("a question named template(s) turns cookiecutter's nested mode on")
    config["__prompts__"] = prompts
    # Files copier copies without rendering: cookiecutter matches their unrendered path.
    config["_copy_without_render"] = [glob.escape(path) for path in sorted(tree.copies)]
    config["_extensions"] = [f"{JINJA_MODULE}.MlhierExtension"]
    return config


def _rendered_text(text: object, names: Mapping[str, str], where: str) -> str:
    """Jinja that cookiecutter renders into a Python string literal of the text's output."""
    body = translate(str(text), names, where)
    return "{% set value %}" + body + "{% endset %}{{ value | tojson }}"


def _hook_names(
    questions: Sequence[_Question], layer: Layer, layers: Sequence[Layer]
) -> dict[str, str]:
    """What a question's Jinja reads in copier, for one cookiecutter run of every layer.

    The layers below are answered in the same run, so copier's `_external_data.<layer>` (their
    answers files) and `_copier_conf.data` (the answers given) are cookiecutter's answers.
    """
    below = ", ".join(f"{lower.name!r}: cookiecutter" for lower in layers[: layers.index(layer)])
    return {
        **_names(questions, layer),
        "_copier_conf": "{'data': cookiecutter}",
        "_external_data": "{" + below + "}",
    }


def _hook(questions: Sequence[_Question], layers: Sequence[Layer]) -> str:
    """The hook's source: its checks, one per question, each rendered by cookiecutter."""
    source = (Path(__file__).parent / "_cookiecutter_hook.py").read_text(encoding="utf-8")
    if any(delimiter in source for delimiter in ("{{", "{%", "{#")) or _NO_CHECKS not in source:
        raise GenerationError("_cookiecutter_hook.py must hold no Jinja and one empty CHECKS")
    entries: list[str] = []
    for question in questions:
        names = _hook_names(questions, question.layer, layers)
        where = f"{question.name} ({question.layer.name} layer)"
        fields = {
            "answer": json.dumps(question.answer),
            "asked": _rendered_text(question.spec.get("when", True), names, f"the when of {where}"),
            "given": _rendered_text("{{ %s }}" % names[question.name], {}, where),  # noqa: UP031
            "default": _rendered_text(
                question.spec.get("default", ""), names, f"the default of {where}"
            ),
            "said": _rendered_text(
                question.spec.get("validator", ""), names, f"the validator of {where}"
            ),
        }
        lines = "".join(f"        {json.dumps(key)}: {value},\n" for key, value in fields.items())
        entries.append("    {\n" + lines + "    },\n")
    checks = "CHECKS: list[dict[str, str]] = [\n" + "".join(entries) + "]\n"
    return source.replace(_NO_CHECKS, checks)


def _references(
    questions: Sequence[_Question], tree: _Tree, config: Mapping[str, Any]
) -> set[tuple[str, str]]:
    """What the files, the defaults and the hook's checks include or import, and which layer."""
    texts = [(text, tree.owners[target]) for target, (text, _) in tree.texts.items()]
    for question in questions:
        declared = [question.spec.get(key) for key in ("default", "when", "validator")]
        texts += [(str(text), question.layer.name) for text in declared if _has_jinja(text)]
    texts += [(value, "") for value in config.values() if isinstance(value, str)]
    return {(name, layer) for text, layer in texts for name in referenced_templates(text)}


def _included(
    root: Path,
    layers: Sequence[Layer],
    questions: Sequence[_Question],
    tree: _Tree,
    config: Mapping[str, Any],
) -> dict[str, str]:
    """Each template file included or imported, by its name from the root, translated.

    A layer's file (``templates/<layer>/...``) reads that layer's answers: copier renders it
    with the answers of the layer that includes it, so only that layer may. A shared macro file
    (``templates/rules.jinja``) reads none, and comes out unchanged.
    """
    exported = {layer.name: layer for layer in layers}
    pending = sorted(_references(questions, tree, config))
    shipped: dict[str, str] = {}
    while pending:
        name, includer = pending.pop()
        parts = PurePosixPath(name).parts
        source = root.joinpath(*parts)
        if parts[:1] != ("templates",) or ".." in parts or not source.is_file():
            raise GenerationError(f"the templates include {name}, which is no template file")
        layer = exported.get(parts[1]) if len(parts) > 2 else None
        if len(parts) > 2 and (layer is None or includer not in ("", layer.name)):
            raise GenerationError(f"the {includer} layer includes {name}, of another layer")
        if name in shipped:
            continue
        names = _names(questions, layer) if layer is not None else {}
        shipped[name] = translate(source.read_text(encoding="utf-8"), names, name)
        pending.extend((more, includer) for more in referenced_templates(shipped[name]))
    return shipped


def _write_json(path: Path, value: object) -> None:
    path.write_text(json.dumps(value, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")


def _readme(layers: Sequence[Layer]) -> str:
    from mlhier import __version__

    names = ", ".join(layer.name for layer in layers)
    return f"""# mlhier's layers as a cookiecutter template

Written by `mlhier export cookiecutter --up-to {layers[-1].name}` (mlhier {__version__}) from the
copier templates of the {names} layers: export it again rather than edit it.

    cookiecutter path/to/this/folder

The project equals what `mlhier new --up-to {layers[-1].name}` generates for the same answers,
without the `.copier-answers.<layer>.yml` files. So that `mlhier update` keeps it current:

    cd <project> && git init && git add --all && git commit -m "Generate the project"
    mlhier adopt
"""


def _write(staging: Path, root: Path, layers: Sequence[Layer]) -> CookiecutterExport:
    specs = _layer_specs(root, layers)
    questions = _questions(specs)
    for question in questions:
        question.kind  # noqa: B018 - refuses a type cookiecutter has no variable for
    tree = _Tree()
    for layer in layers:
        _add_layer_files(root, layer, _names(questions, layer), tree)
    config = _cookiecutter_json(questions, layers, tree)
    _write_json(staging / "cookiecutter.json", config)
    here = Path(__file__).parent
    shutil.copy2(here / "_cookiecutter_jinja.py", staging / f"{JINJA_MODULE}.py")
    (staging / "hooks").mkdir()
    (staging / "hooks" / "pre_gen_project.py").write_text(
        _hook(questions, layers), encoding="utf-8"
    )
    for name, text in _included(root, layers, questions, tree, config).items():
        (staging / "templates" / name).parent.mkdir(parents=True, exist_ok=True)
        (staging / "templates" / name).write_text(text, encoding="utf-8")
    project = staging / PROJECT_FOLDER
    for target, (text, source) in tree.texts.items():
        (project / target).parent.mkdir(parents=True, exist_ok=True)
        (project / target).write_text(text, encoding="utf-8")
        shutil.copymode(source, project / target)  # cookiecutter gives the file this mode
    for target, source in tree.copies.items():
        (project / target).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(source, project / target)
    (staging / "README.md").write_text(_readme(layers), encoding="utf-8")
    variables = tuple(name for name in config if not name.startswith("_"))
    return CookiecutterExport(staging, tuple(layers), variables, tuple(sorted(tree.owners)))


def export_cookiecutter(
    destination: Path, *, up_to: str = "devops", template: Path | None = None
) -> CookiecutterExport:
    """Write a cookiecutter template of the layers up to ``up_to`` into the new folder.

    ``template`` is a folder holding ``copier.yml`` and ``templates/`` (a fork's checkout);
    by default the templates this mlhier bundles. Nothing is left at ``destination`` on failure.
    """
    layers = layers_up_to(up_to)
    root = _template_root(template)
    destination = destination.expanduser().resolve()
    check_new_folder(destination)
    _check_settings(root)
    with staged(destination) as staging:
        written = _write(staging, root, layers)
    return CookiecutterExport(destination, written.layers, written.variables, written.files)


def _template_root(template: Path | None) -> Path:
    if template is None:
        from mlhier import __version__
        from mlhier._source import bundled_source

        return Path(bundled_source(__version__).path)
    folder = template.expanduser().resolve()
    if not (folder / "copier.yml").is_file():
        raise InvalidInputError(f"--template {template} has no copier.yml: not a copier template")
    return folder
