"""The typer command line: parse, call one API function, print. No logic of its own."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Any

import typer

from mlhier import api
from mlhier._source import TemplateSource, user_source
from mlhier.errors import InvalidInputError, MlhierError
from mlhier.layers import LADDER, layer_below

app = typer.Typer(
    name="mlhier",
    help="Build an ML repository up the hierarchy of needs: devops, data, platform, mlops.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    # Plain click help: rich's markdown rendering would double the start-up time of --help.
    rich_markup_mode=None,
)

DataOption = Annotated[
    list[str] | None,
    typer.Option("--data", "-d", metavar="KEY=VALUE", help="Answer a question; repeatable."),
]
DataFileOption = Annotated[
    Path | None,
    typer.Option("--data-file", help="YAML file of answers; --data wins over it.", exists=True),
]
DefaultsOption = Annotated[
    bool, typer.Option("--defaults", help="Ask nothing: use given answers, else defaults.")
]
TemplateOption = Annotated[
    str | None,
    typer.Option(
        "--template", help="Template source (git URL or path) instead of the bundled one."
    ),
]
VcsRefOption = Annotated[
    str | None, typer.Option("--vcs-ref", help="Git tag or commit of --template to render.")
]
PathOption = Annotated[Path, typer.Option("--path", help="The generated project.")]
LockOption = Annotated[
    bool, typer.Option("--lock/--no-lock", help="Run `uv lock` and commit uv.lock (needs PyPI).")
]


def _say(line: str) -> None:
    typer.secho(f"mlhier: {line}", err=True, fg=typer.colors.CYAN)


@contextmanager
def _reporting_errors() -> Iterator[None]:
    """One clear line and a distinct exit code per error kind, never a traceback."""
    try:
        yield
    except MlhierError as error:
        typer.secho(f"error: {error}", err=True, fg=typer.colors.RED)
        raise typer.Exit(error.exit_code) from error
    except OSError as error:  # an unwritable folder, a full disk: the system's own words
        typer.secho(f"error: {error}", err=True, fg=typer.colors.RED)
        raise typer.Exit(1) from error
    except KeyboardInterrupt:
        typer.secho("interrupted: nothing was kept", err=True, fg=typer.colors.RED)
        raise typer.Exit(130) from None


def _answers(pairs: list[str] | None, data_file: Path | None) -> dict[str, Any]:
    answers: dict[str, Any] = {}
    if data_file is not None:
        import yaml

        loaded = yaml.safe_load(data_file.read_text(encoding="utf-8")) or {}
        if not isinstance(loaded, dict):
            raise InvalidInputError(f"--data-file {data_file} must hold a mapping of answers")
        answers.update(loaded)
    for pair in pairs or []:
        key, sep, value = pair.partition("=")
        if not sep or not key.strip():
            raise InvalidInputError(f"--data {pair!r} must look like KEY=VALUE")
        answers[key.strip()] = value
    return answers


def _source(template: str | None, vcs_ref: str | None) -> TemplateSource | None:
    if template is None:
        if vcs_ref is not None:
            raise InvalidInputError("--vcs-ref needs --template: the bundled copy has no history")
        return None
    return user_source(template, vcs_ref)


def _require_terminal(defaults: bool) -> None:
    if not defaults and not sys.stdin.isatty():
        raise InvalidInputError("no terminal to ask questions on: pass --defaults (and --data)")


def _version_callback(value: bool) -> None:
    if value:
        from mlhier import __version__

        typer.echo(f"mlhier {__version__}")
        raise typer.Exit


@app.callback()
def _main(
    version: Annotated[
        bool,
        typer.Option("--version", callback=_version_callback, is_eager=True, help="Show version."),
    ] = False,
) -> None:
    """Build an ML repository up the hierarchy of needs: devops, data, platform, mlops."""


@app.command()
def new(
    path: Annotated[
        Path, typer.Argument(help="New or empty folder; its name is the project name.")
    ],
    up_to: Annotated[str, typer.Option("--up-to", help="Highest layer to apply.")] = "devops",
    defaults: DefaultsOption = False,
    data: DataOption = None,
    data_file: DataFileOption = None,
    template: TemplateOption = None,
    vcs_ref: VcsRefOption = None,
    lock: LockOption = True,
) -> None:
    """Generate a new project.

    Renders the layers bottom-up into PATH, locks the dependencies, runs git init and commits.
    """
    with _reporting_errors():
        _require_terminal(defaults)
        layers = api.new_project(
            path,
            up_to=up_to,
            data=_answers(data, data_file),
            defaults=defaults,
            source=_source(template, vcs_ref),
            lock=lock,
            progress=_say,
        )
        _say(f"created {path} with layers {', '.join(layer.name for layer in layers)}")
        typer.echo(f"Next: cd {path} && make setup && make check")


@app.command()
def add(
    layer: Annotated[str, typer.Argument(help="The layer to apply next, e.g. data.")],
    path: PathOption = Path(),
    defaults: DefaultsOption = False,
    data: DataOption = None,
    data_file: DataFileOption = None,
    template: TemplateOption = None,
    vcs_ref: VcsRefOption = None,
    lock: LockOption = True,
) -> None:
    """Apply the next layer.

    Renders LAYER into the generated project at --path, re-locks and commits.
    """
    with _reporting_errors():
        _require_terminal(defaults)
        added = api.add_layer(
            path,
            layer,
            data=_answers(data, data_file),
            defaults=defaults,
            source=_source(template, vcs_ref),
            lock=lock,
            progress=_say,
        )
        _say(f"added the {added.name} layer")


@app.command()
def update(
    path: PathOption = Path(),
    vcs_ref: Annotated[
        str | None, typer.Option("--vcs-ref", help="Template tag to update to (default: newest).")
    ] = None,
) -> None:
    """Update every layer.

    Runs `copier update` for each applied layer bottom-up, one commit per layer; stops with
    exit status 3 at the first conflict.
    """
    with _reporting_errors():
        layers = api.update_project(path, vcs_ref=vcs_ref, progress=_say)
        _say(f"updated {', '.join(layer.name for layer in layers)}")


@app.command()
def layers() -> None:
    """Show the ladder of layers.

    Each layer's need, what it adds and what it requires.
    """
    for layer in LADDER:
        below = layer_below(layer)
        status = "" if layer.shipped else "  (planned)"
        typer.secho(f"{layer.name}{status}", bold=True)
        typer.echo(f"  need:     {layer.need}")
        typer.echo(f"  adds:     {layer.adds}")
        typer.echo(f"  requires: {below.name if below else 'nothing (the base layer)'}")


def main() -> None:
    """Console-script entry point."""
    app()
