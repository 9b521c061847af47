"""mkdocs hook: the parts of the docs that would drift are generated from their sources.

A page asks for generated text with a marker such as ``<!-- mlhier:help new -->``; at build time
the marker is replaced by text read from the CLI itself, ``mlhier.errors.EXIT_CODES``, the ladder,
``templates/<layer>/questions.yml`` or ``tests/snapshots/<layer>.txt``. An unknown marker or a
shipped layer without its page stops the build, so nothing is silently left out.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

import typer.main
import yaml
from mkdocs.config.defaults import MkDocsConfig
from mkdocs.exceptions import PluginError
from mkdocs.structure.files import Files
from mkdocs.structure.pages import Page
from typer.testing import CliRunner

from mlhier.cli import app
from mlhier.errors import EXIT_CODES
from mlhier.layers import LADDER

REPO_ROOT = Path(__file__).resolve().parents[1]
MARKER = re.compile(r"<!--\s*mlhier:(?P<name>[a-z-]+)(?:\s+(?P<arg>[a-z0-9_-]+))?\s*-->")
CODE_SPAN = re.compile(r"`([^`]+)`")
# Backslash escapes what markdown would read as emphasis, links or cells; `<` (no escape in
# Python-Markdown) becomes an entity so `<project>` stays text, not an HTML tag.
MARKDOWN_PUNCTUATION = re.compile(r"[\\*_\[\]|#]")
# Pages other helpers may add: in the nav when present, so the build never points at nothing.
OPTIONAL_NAV_PAGES = (("Project", "Performance", "performance.md"),)
# click wraps help at the terminal width, capped at 80: the text any wide-enough terminal shows.
HELP_ENV = {"COLUMNS": "80"}


# --- the command line -------------------------------------------------------------------------


def command_helps() -> Iterator[tuple[tuple[str, ...], str]]:
    """``(("mlhier",), help)``, then each visible command's path and its ``--help`` output.

    The text is what the command line itself prints, run in-process through typer's runner.
    """
    yield ("mlhier",), _run_help(())
    root = typer.main.get_command(app)
    commands = getattr(root, "commands", {})  # a group's subcommands, in declaration order
    for name, command in commands.items():
        if not command.hidden:
            yield ("mlhier", name), _run_help((name,))


def _run_help(command: tuple[str, ...]) -> str:
    result = CliRunner().invoke(app, [*command, "--help"], prog_name="mlhier", env=HELP_ENV)
    if result.exit_code != 0:
        raise PluginError(f"`mlhier {' '.join(command)} --help` failed: {result.output}")
    return result.output


def _help_block(text: str) -> str:
    return f"```text\n{text.rstrip()}\n```"


def cli_reference(docs_dir: Path) -> str:
    """Every command's ``--help``, each linked to its guide page where one exists."""
    sections = []
    for path, text in command_helps():
        name = " ".join(path)
        if len(path) == 1:
            sections.append(f"## `{name} --help`\n\n{_help_block(text)}")
            continue
        guide = Path(*path[1:]).with_suffix(".md")  # relative to commands/, like the reference
        has_guide = (docs_dir / "commands" / guide).is_file()
        more = f"\n\nGuide: [{name}]({guide.as_posix()})." if has_guide else ""
        sections.append(f"## `{name}`\n\n{_help_block(text)}{more}")
    return "\n\n".join(sections)


def command_help(command: str) -> str:
    """One subcommand's ``--help``, as a text block."""
    for path, text in command_helps():
        if path[1:] == (command,):
            return _help_block(text)
    raise PluginError(f"docs ask for the help of `mlhier {command}`, which is no command")


# --- tables from the code ---------------------------------------------------------------------


def _cell(text: object) -> str:
    """Prose as one table cell: `code spans` kept, every other markdown character literal."""
    parts = CODE_SPAN.split(" ".join(str(text).split()))
    # split() with one group: even indexes are prose, odd ones the insides of code spans.
    return "".join(_code(part) if index % 2 else _literal(part) for index, part in enumerate(parts))


def _literal(prose: str) -> str:
    return MARKDOWN_PUNCTUATION.sub(r"\\\g<0>", prose).replace("<", "&lt;")


def _code(text: object) -> str:
    """A code span that survives backticks and pipes (tables ignore pipes in code spans)."""
    value = " ".join(str(text).split())
    fence = "``" if "`" in value else "`"
    return f"{fence} {value} {fence}" if fence == "``" else f"`{value}`"


def _table(head: tuple[str, ...], rows: Sequence[tuple[str, ...]]) -> str:
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return "\n".join(lines)


def exit_codes() -> str:
    """The table of ``mlhier.errors.EXIT_CODES``."""
    rows = [(_code(code), _cell(meaning)) for code, meaning in EXIT_CODES]
    return _table(("exit status", "meaning"), rows)


def ladder() -> str:
    """The ladder of ``mlhier.layers.LADDER``; shipped layers link to their page.

    The links are relative to the docs root: the marker belongs on a page there.
    """
    rows = []
    for number, layer in enumerate(LADDER, start=1):
        name = _code(layer.name)
        name = f"[{name}](layers/{layer.name}.md)" if layer.shipped else f"{name} (planned)"
        rows.append((str(number), name, _cell(layer.need), _cell(layer.adds)))
    return _table(("#", "layer", "the need it meets", "what it adds"), rows)


# --- one layer --------------------------------------------------------------------------------


def _declared(layer: str) -> dict[str, dict[str, Any]]:
    """Every value the layer's questions.yml declares, in order, copier settings left out."""
    path = REPO_ROOT / "templates" / layer / "questions.yml"
    if not path.is_file():
        raise PluginError(f"no questions for layer {layer!r}: {path} is missing")
    loaded = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    return {
        name: spec
        for name, spec in loaded.items()
        if isinstance(spec, dict) and not name.startswith("_")
    }


def _is_asked(spec: dict[str, Any]) -> bool:
    """Values computed with ``when: false`` are nothing a user answers."""
    return str(spec.get("when", True)).strip().lower() != "false"


def _example_answers(layer: str) -> dict[str, Any]:
    """Each value's default as ``mlhier new --defaults`` would compute it, layer after layer.

    Defaults are Jinja over earlier answers (and macros of templates/rules.jinja): rendered here
    with copier's own filters, so the table shows ``my_ml_project``, not the expression.
    """
    from jinja2 import Environment, FileSystemLoader

    env = Environment(  # noqa: S701 - renders plain-text defaults, never HTML
        loader=FileSystemLoader(REPO_ROOT),
        extensions=["jinja2_ansible_filters.AnsibleCoreFiltersExtension"],
    )
    below: dict[str, dict[str, Any]] = {}
    for rung in LADDER:
        answers: dict[str, Any] = {}
        context = {"layer": rung.name, "_external_data": below, "_copier_conf": {"data": {}}}
        for name, spec in _declared(rung.name).items():
            default = spec.get("default")
            if isinstance(default, str) and ("{{" in default or "{%" in default):
                default = env.from_string(default).render({**context, **answers}).strip()
            answers[name] = default
        if rung.name == layer:
            return answers
        below[rung.name] = answers
    raise PluginError(f"no layer {layer!r} on the ladder")


def _default(spec: dict[str, Any], example: object) -> str:
    default = spec.get("default")
    computed = isinstance(default, str) and ("{{" in default or "{%" in default)
    shown = "none" if default is None else _code(example) + (" (computed)" if computed else "")
    choices = spec.get("choices")
    if not choices:
        return shown
    return f"{shown}, one of " + ", ".join(_code(choice) for choice in choices)


def questions(layer: str) -> str:
    """The layer's questions: name, default and choices, help (what it is for and its rule).

    Values a higher layer re-declares from the layers below (``<name>_<layer>``, see the
    architecture page) come in a second table: mlhier fills them, nobody is asked.
    """
    asked: list[tuple[str, ...]] = []
    upstream: list[tuple[str, ...]] = []
    examples = _example_answers(layer)
    for name, spec in _declared(layer).items():
        if not _is_asked(spec):
            continue
        help_text = _cell(spec.get("help", ""))
        if name.endswith(f"_{layer}"):  # its default only reads the answers file below
            upstream.append((_code(name), help_text))
        else:
            asked.append((_code(name), _default(spec, examples[name]), help_text))
    text = _table(("question", "default", "what it is for, and its rule"), asked)
    if upstream:
        text += (
            "\n\nValues taken from the layers below (filled from their answers files, "
            "never asked):\n\n" + _table(("value", "meaning"), upstream)
        )
    return text


def generated_tree(layer: str) -> str:
    """The files the layer adds, drawn as a tree from the test snapshot of its render."""
    path = REPO_ROOT / "tests" / "snapshots" / f"{layer}.txt"
    if not path.is_file():
        raise PluginError(f"no snapshot of layer {layer!r}: {path} is missing")
    tree: dict[str, Any] = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        node = tree
        for part in line.strip().split("/") if line.strip() else ():
            node = node.setdefault(part, {})
    return "```text\n" + "\n".join(_draw(tree, "")) + "\n```"


def _draw(tree: dict[str, Any], indent: str) -> Iterator[str]:
    names = sorted(tree, key=lambda name: (not tree[name], name))  # folders first
    for index, name in enumerate(names):
        last = index == len(names) - 1
        yield f"{indent}{'└── ' if last else '├── '}{name}{'/' if tree[name] else ''}"
        yield from _draw(tree[name], indent + ("    " if last else "│   "))


# --- mkdocs events ----------------------------------------------------------------------------


def render_marker(name: str, arg: str | None, docs_dir: Path) -> str:
    """The generated text for one marker; a ``PluginError`` for an unknown one."""
    plain: dict[str, Callable[[], str]] = {
        "cli-reference": lambda: cli_reference(docs_dir),
        "exit-codes": exit_codes,
        "ladder": ladder,
    }
    with_arg: dict[str, Callable[[str], str]] = {
        "help": command_help,
        "questions": questions,
        "tree": generated_tree,
    }
    if arg is None and name in plain:
        return plain[name]()
    if arg is not None and name in with_arg:
        return with_arg[name](arg)
    raise PluginError(f"unknown docs marker: mlhier:{name} {arg or ''}".rstrip())


def _nav_pages(nav: object) -> Iterator[str]:
    if isinstance(nav, str):
        yield nav
    elif isinstance(nav, list | dict):
        for entry in nav.values() if isinstance(nav, dict) else nav:
            yield from _nav_pages(entry)


def on_config(config: MkDocsConfig) -> MkDocsConfig:
    """Put the optional pages that exist, and are not in the nav yet, into their section."""
    docs_dir = Path(config.docs_dir)
    for section, title, page in OPTIONAL_NAV_PAGES:
        if not (docs_dir / page).is_file() or page in _nav_pages(config.nav):
            continue
        for entry in config.nav or []:
            if isinstance(entry, dict) and section in entry:
                entry[section].append({title: page})
    return config


def on_files(files: Files, config: MkDocsConfig) -> Files:
    """Stop the build when a shipped layer has no page of its own."""
    for layer in LADDER:
        if layer.shipped and files.get_file_from_path(f"layers/{layer.name}.md") is None:
            raise PluginError(f"the shipped layer {layer.name!r} needs docs/layers/{layer.name}.md")
    return files


def on_page_markdown(markdown: str, page: Page, config: MkDocsConfig, files: Files) -> str:
    """Replace every marker of the page with its generated text."""
    docs_dir = Path(config.docs_dir)
    return MARKER.sub(lambda m: render_marker(m["name"], m["arg"], docs_dir), markdown)
