"""The typer command line: parse, call the API, print. No logic of its own."""

from __future__ import annotations

import sys
import textwrap
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Any

import typer

from mlhier import api
from mlhier._answers import parse_pairs, read_data_file
from mlhier._preset import KEPT_PRESET, PRESET_ENV
from mlhier._source import TemplateSource, user_source
from mlhier.errors import EXIT_CODES, INTERRUPTED, GenerationError, InvalidInputError, MlhierError
from mlhier.layers import LADDER, layer_below

WIDTH = 80  # every line mlhier prints fits a classic terminal

_SHIPPED = [layer.name for layer in LADDER if layer.shipped]
_ADDABLE = [layer.name for layer in LADDER if layer.shipped and layer_below(layer) is not None]

app = typer.Typer(
    name="mlhier",
    help="Build an ML repository up the hierarchy of needs: devops, data, platform, mlops.",
    epilog="Exit status: "
    + "; ".join(f"{code} {meaning.partition(':')[0]}" for code, meaning in EXIT_CODES)
    + ".\n\nShell completion: mlhier --install-completion (bash, zsh, fish, PowerShell).",
    invoke_without_command=True,
    context_settings={"help_option_names": ["-h", "--help"]},
    pretty_exceptions_enable=False,
    # Plain click help: rich's markdown rendering would double the start-up time of --help.
    rich_markup_mode=None,
)

DataOption = Annotated[
    list[str] | None,
    typer.Option(
        "--data", "-d", metavar="KEY=VALUE", help="Answer a question; repeatable; wins over files."
    ),
]
DataFileOption = Annotated[
    Path | None,
    typer.Option("--data-file", metavar="FILE", help="YAML mapping of question names to answers."),
]
DefaultsOption = Annotated[
    bool,
    typer.Option(
        "--defaults", help="Ask nothing: use given answers, else defaults (implies --yes)."
    ),
]
YesOption = Annotated[
    bool, typer.Option("--yes", "-y", help="Write without asking for confirmation.")
]
PretendOption = Annotated[
    bool, typer.Option("--pretend", help="List the files it would write; write nothing.")
]
TemplateOption = Annotated[
    str | None,
    typer.Option(
        "--template",
        metavar="SRC",
        help="Template (git URL or folder) instead of the bundled one. "
        "--data keys are checked only for a folder: copier clones a URL itself.",
    ),
]
VcsRefOption = Annotated[
    str | None,
    typer.Option("--vcs-ref", metavar="REF", help="Git tag or commit of --template to render."),
]
PresetHelp = "Team preset (YAML): defaults and fixed answers for any layer, the template to use."
NewPresetOption = Annotated[
    Path | None,
    typer.Option("--preset", metavar="FILE", envvar=PRESET_ENV, help=PresetHelp),
]
AddPresetOption = Annotated[
    Path | None,
    typer.Option(
        "--preset",
        metavar="FILE",
        help=f"Team preset to use instead of the project's {KEPT_PRESET}; kept from now on.",
    ),
]
PathOption = Annotated[Path, typer.Option("--path", metavar="DIR", help="The generated project.")]
LockOption = Annotated[
    bool, typer.Option("--lock/--no-lock", help="Run `uv lock` and commit uv.lock (needs PyPI).")
]


def _wrap(text: str, first: str, rest: str = "  ") -> list[str]:
    return textwrap.wrap(
        text,
        width=WIDTH,
        initial_indent=first,
        subsequent_indent=rest,
        break_on_hyphens=False,
        break_long_words=False,  # a path stays whole, so it can be copied
    ) or [first.rstrip()]


def _say(line: str) -> None:
    for wrapped in _wrap(line, "mlhier: ", "        "):
        typer.secho(wrapped, err=True, fg=typer.colors.CYAN)


def _fail(message: str, hint: str | None, code: int) -> typer.Exit:
    for line in message.splitlines() or [""]:
        for wrapped in _wrap(line, "error: "):
            typer.secho(wrapped, err=True, fg=typer.colors.RED)
    if hint:
        for wrapped in _wrap(hint, "hint: "):
            typer.secho(wrapped, err=True)
    return typer.Exit(code)


@contextmanager
def _reporting_errors(interrupted: str = "nothing was written") -> Iterator[None]:
    """A short message and a distinct exit code per error kind, never a traceback."""
    try:
        yield
    except MlhierError as error:
        raise _fail(str(error), error.hint, error.exit_code) from error
    except OSError as error:  # an unwritable folder, a full disk: the system's own words
        raise _fail(str(error), None, GenerationError.exit_code) from error
    except (KeyboardInterrupt, typer.Abort):
        typer.secho(f"interrupted: {interrupted}", err=True, fg=typer.colors.RED)
        raise typer.Exit(INTERRUPTED) from None


def _answers(pairs: list[str] | None, data_file: Path | None) -> dict[str, Any]:
    answers = read_data_file(data_file) if data_file is not None else {}
    answers.update(parse_pairs(pairs or []))
    return answers


def _source(template: str | None, vcs_ref: str | None) -> TemplateSource | None:
    # Without --template, the API pairs --vcs-ref with a preset's template, or refuses it.
    return None if template is None else user_source(template, vcs_ref)


def _require_terminal(defaults: bool) -> None:
    if not defaults and not sys.stdin.isatty():
        raise InvalidInputError(
            "no terminal to ask the questions on", "pass --defaults (and --data KEY=VALUE)"
        )


def _show_summary(summary: api.Summary, verb: str) -> None:
    layers = ", ".join(summary.files)
    typer.echo(f"{verb} {summary.destination}: {summary.file_count} files ({layers})", err=True)
    for layer, files in summary.files.items():
        typer.echo(f"  the {layer} layer: {len(files)} files", err=True)
        for name, value in summary.answers.get(layer, {}).items():
            for wrapped in _wrap(f"{name}: {value}", "    ", "      "):
                typer.echo(wrapped, err=True)


def _confirmation(yes: bool, defaults: bool, verb: str) -> api.Confirm | None:
    if yes or defaults:
        return None

    def confirm(summary: api.Summary) -> bool:
        _show_summary(summary, verb)
        return typer.confirm(f"{verb} it?", default=True, err=True)

    return confirm


def _list_pretended(summary: api.Summary) -> None:
    for layer, files in summary.files.items():
        _say(f"the {layer} layer would write {len(files)} files:")
        for name in files:
            typer.echo(f"  {name}")
    _say("--pretend: nothing was written")


def _version_callback(value: bool) -> None:
    if value:
        from mlhier import __version__
        from mlhier._source import _template_ref

        typer.echo(f"mlhier {__version__} (templates: {_template_ref(__version__)})")
        raise typer.Exit


@app.callback()
def _main(
    ctx: typer.Context,
    version: Annotated[
        bool,
        typer.Option(
            "--version",
            callback=_version_callback,
            is_eager=True,
            help="Show mlhier's version and the template version (git ref) it bundles.",
        ),
    ] = False,
) -> None:
    """Build an ML repository up the hierarchy of needs: devops, data, platform, mlops."""
    if ctx.invoked_subcommand is None:
        typer.echo(ctx.get_help())
        raise typer.Exit


@app.command()
def new(
    path: Annotated[
        Path,
        typer.Argument(metavar="PATH", help="New or empty folder; its name is the project name."),
    ],
    up_to: Annotated[
        str,
        typer.Option(
            "--up-to",
            metavar=f"[{'|'.join(_SHIPPED)}]",
            help=f"Highest layer to apply: {', '.join(_SHIPPED)}.",
        ),
    ] = _SHIPPED[-1],
    defaults: DefaultsOption = False,
    yes: YesOption = False,
    pretend: PretendOption = False,
    data: DataOption = None,
    data_file: DataFileOption = None,
    template: TemplateOption = None,
    vcs_ref: VcsRefOption = None,
    lock: LockOption = True,
    preset: NewPresetOption = None,
) -> None:
    """Generate a new project.

    Renders the layers bottom-up into PATH, locks the dependencies, runs git init and commits.
    Asked interactively, it shows what it rendered and asks before writing it.
    """
    with _reporting_errors():
        plan = api.plan_new(
            path,
            up_to=up_to,
            data=_answers(data, data_file),
            source=_source(template, vcs_ref),
            preset=preset,
            vcs_ref=vcs_ref,
        )
        _require_terminal(defaults)
        if pretend:
            _list_pretended(api.pretend(plan, defaults=defaults, progress=_say))
            return
        layers = api.generate(
            plan,
            defaults=defaults,
            lock=lock,
            progress=_say,
            confirm=_confirmation(yes, defaults, "Create"),
        )
        _say(f"created {path} with layers {', '.join(layer.name for layer in layers)}")
        typer.echo(f"Next: cd {path} && make setup && make check")


@app.command()
def add(
    layer: Annotated[
        str,
        typer.Argument(
            metavar="LAYER",
            help=f"The layer to apply next: {', '.join(_ADDABLE)}.",
            show_default=False,
        ),
    ],
    path: PathOption = Path(),
    defaults: DefaultsOption = False,
    yes: YesOption = False,
    pretend: PretendOption = False,
    data: DataOption = None,
    data_file: DataFileOption = None,
    template: TemplateOption = None,
    vcs_ref: VcsRefOption = None,
    lock: LockOption = True,
    preset: AddPresetOption = None,
) -> None:
    """Apply the next layer.

    Renders LAYER into the generated project at --path, re-locks and commits.
    Asked interactively, it shows what it rendered and asks before committing it.
    """
    with _reporting_errors():
        plan = api.plan_add(
            path,
            layer,
            data=_answers(data, data_file),
            source=_source(template, vcs_ref),
            preset=preset,
            vcs_ref=vcs_ref,
        )
        _require_terminal(defaults)
        if pretend:
            _list_pretended(api.pretend(plan, defaults=defaults, progress=_say))
            return
        added = api.apply(
            plan,
            defaults=defaults,
            lock=lock,
            progress=_say,
            confirm=_confirmation(yes, defaults, "Add"),
        )
        _say(f"added the {added.name} layer")


@app.command()
def update(
    path: PathOption = Path(),
    vcs_ref: Annotated[
        str | None,
        typer.Option(
            "--vcs-ref", metavar="REF", help="Template tag to update to [default: newest]."
        ),
    ] = None,
    template: Annotated[
        str | None,
        typer.Option(
            "--template",
            metavar="SRC",
            help="Follow this template from now on (a mirror or fork: git URL or local repo).",
        ),
    ] = None,
    pretend: Annotated[
        bool,
        typer.Option("--pretend", help="List what would change, per layer; write nothing."),
    ] = False,
) -> None:
    """Update every layer.

    Runs `copier update` for each applied layer bottom-up, one commit per layer; stops with
    exit status 3 at the first conflict. Projects from the bundled templates update from the
    template history inside mlhier, with no network.
    """
    # Each layer's update is committed as it completes: an interrupt keeps those.
    with _reporting_errors("layers updated so far are committed; see `git status`"):
        if pretend:
            for done in api.pretend_update(path, vcs_ref=vcs_ref, template=template, progress=_say):
                _say(_update_line(done, "would be "))
                for name in done.files:
                    typer.echo(f"  {name}")
            _say("--pretend: nothing was written")
            return
        for done in api.update_project(path, vcs_ref=vcs_ref, template=template, progress=_say):
            _say(_update_line(done))


def _update_line(done: api.LayerUpdate, would: str = "") -> str:
    name = done.layer.name
    if done.before != done.after:
        count = len(done.files)
        changed = f", {count} file{'s' * (count != 1)}" if done.committed else " (no file changed)"
        return f"{name}: {would}updated from {done.before} to {done.after}{changed}"
    if done.committed:
        return f"{name}: already at {done.after}; {would}brought in step with the layers below"
    return f"{name}: already at {done.after}, nothing to do"


@app.command()
def status(
    path: PathOption = Path(),
    as_json: Annotated[
        bool, typer.Option("--json", help="Print the status as JSON, for scripts.")
    ] = False,
) -> None:
    """Show each layer's template version and what blocks an update.

    Lists each applied layer with its recorded and newest available version, missing layers
    below, leftover conflict markers or .rej files, and uncommitted changes.
    """
    with _reporting_errors():
        found = api.project_status(path)
    if as_json:
        import json

        typer.echo(json.dumps(found.as_json(), indent=2))
        return
    typer.echo(f"project {found.path}")
    for layer in found.layers:
        if not layer.source_readable:
            newest = f"newest unknown: cannot read {layer.source}"
        elif layer.newest is None:
            newest = "its source has no release tag yet"
        elif layer.current:
            newest = "the newest"
        else:
            newest = f"newest {layer.newest}: run `mlhier update`"
        typer.echo(f"  {layer.name}: at {layer.version} ({newest})")
    for above, below in found.missing_prerequisites.items():
        typer.echo(f"  missing: the {above} layer needs the {below} layer below it")
    problems = (
        ("conflict markers in", found.conflict_markers),
        ("rejected changes (.rej)", found.rejected),
        ("uncommitted changes", found.uncommitted),
    )
    for what, files in problems:
        if files:
            for wrapped in _wrap(f"{what}: {', '.join(files)}", "  ", "    "):
                typer.echo(wrapped)


_ORIGINS = {
    "read": "",
    "below": "  (from the layer below)",
    "given": "  (given)",
    "default": "  (default: not found in the files)",
}


def _show_adoption(adoption: api.Adoption) -> None:
    names = ", ".join(adopted.layer.name for adopted in adoption.layers)
    typer.echo(f"Adopt {adoption.project}: layers {names}", err=True)
    for wrapped in _wrap(
        f"template {adoption.source} at {adoption.version} "
        f"({adoption.differing_lines} lines of the project differ from its render)",
        "  ",
        "    ",
    ):
        typer.echo(wrapped, err=True)
    for adopted in adoption.layers:
        typer.echo(f"  the {adopted.layer.name} layer:", err=True)
        for name, value in adopted.answers.items():
            origin = _ORIGINS[adopted.origins.get(name, "default")]
            for wrapped in _wrap(f"{name}: {value}{origin}", "    ", "      "):
                typer.echo(wrapped, err=True)


def _confirm_adoption(adoption: api.Adoption) -> bool:
    _show_adoption(adoption)
    return typer.confirm("Record these answers?", default=True, err=True)


@app.command()
def adopt(
    path: PathOption = Path(),
    yes: YesOption = False,
    data: DataOption = None,
    data_file: DataFileOption = None,
    template: Annotated[
        str | None,
        typer.Option(
            "--template",
            metavar="SRC",
            help="Template repository the project came from (git URL or local repo) "
            "instead of the bundled templates.",
        ),
    ] = None,
    vcs_ref: Annotated[
        str | None,
        typer.Option(
            "--vcs-ref",
            metavar="REF",
            help="Template version to record [default: the release closest to the project].",
        ),
    ] = None,
) -> None:
    """Let `mlhier update` keep a project without answers files current.

    Reads each layer's answers back from the project's files (questions it cannot read keep
    their defaults; --data gives them), picks the template release whose render differs least
    from the project, shows them and asks, then commits only the .copier-answers.<layer>.yml
    files.
    """
    with _reporting_errors():
        if not yes and not sys.stdin.isatty():
            raise InvalidInputError(
                "no terminal to confirm the answers on", "check them, then pass --yes"
            )
        adoption = api.plan_adopt(
            path,
            template=template,
            vcs_ref=vcs_ref,
            data=_answers(data, data_file),
            progress=_say,
        )
        if yes:
            _show_adoption(adoption)
        api.adopt(adoption, confirm=None if yes else _confirm_adoption)
        _say(f"adopted at {adoption.version}: `mlhier update` keeps it current from now on")


@app.command()
def export(
    kind: Annotated[
        str,
        typer.Argument(
            metavar="FORMAT",
            help="What to write: cookiecutter (a cookiecutter template).",
            show_default=False,
        ),
    ],
    destination: Annotated[
        Path,
        typer.Argument(
            metavar="DEST", help="New or empty folder for the template.", show_default=False
        ),
    ],
    up_to: Annotated[
        str,
        typer.Option(
            "--up-to",
            metavar=f"[{'|'.join(_SHIPPED)}]",
            help=f"Highest layer to include: {', '.join(_SHIPPED)}.",
        ),
    ] = _SHIPPED[-1],
    template: Annotated[
        Path | None,
        typer.Option(
            "--template",
            metavar="DIR",
            help="Template folder (copier.yml and templates/) instead of the bundled one.",
        ),
    ] = None,
) -> None:
    """Write the layers as a template for another tool.

    FORMAT cookiecutter writes a cookiecutter template generated from the layers: the projects
    made from it equal those of `mlhier new`, and join mlhier with `mlhier adopt`.
    """
    with _reporting_errors():
        if kind != "cookiecutter":
            raise InvalidInputError(f"unknown export format {kind!r}: choose cookiecutter")
        from mlhier._export import export_cookiecutter

        written = export_cookiecutter(destination, up_to=up_to, template=template)
        names = ", ".join(layer.name for layer in written.layers)
        _say(
            f"exported the {names} layers to {destination}: {len(written.variables)} questions, "
            f"{len(written.files)} files"
        )
        typer.echo(f"Next: cookiecutter {destination}")


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
