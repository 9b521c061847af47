"""CLI conventions: help everywhere, choices shown, --version, --pretend, progress, uv lookup."""

from __future__ import annotations

import os
import stat
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from conftest import TemplateFactory, flat
from mlhier import _uv
from mlhier.cli import app

pytestmark = pytest.mark.usefixtures("isolated_git")

COMMANDS = ["new", "add", "update", "layers"]


@pytest.mark.parametrize("command", COMMANDS)
@pytest.mark.parametrize("flag", ["-h", "--help"])
def test_every_command_has_short_and_long_help(runner: CliRunner, command: str, flag: str) -> None:
    result = runner.invoke(app, [command, flag])

    assert result.exit_code == 0
    assert result.output.startswith(f"Usage: mlhier {command}")
    assert all(len(line) <= 80 for line in result.output.splitlines())


def test_bare_mlhier_prints_help_and_succeeds(runner: CliRunner) -> None:
    result = runner.invoke(app, [])

    assert result.exit_code == 0
    assert result.output.startswith("Usage: mlhier")
    assert "--install-completion" in result.output  # completion is documented where users look


def test_help_lists_the_shipped_layers_as_choices(runner: CliRunner) -> None:
    assert "--up-to [devops|data|platform|mlops]" in runner.invoke(app, ["new", "-h"]).output
    add_help = runner.invoke(app, ["add", "-h"]).output
    assert "The layer to apply next: data, platform, mlops." in add_help


def test_pretend_lists_the_files_and_writes_nothing(
    runner: CliRunner, make_template: TemplateFactory, tmp_path: Path
) -> None:
    template = str(make_template())
    parent = tmp_path / "work"
    parent.mkdir()
    args = ["new", str(parent / "p"), "--defaults", "--pretend", "--template", template]

    result = runner.invoke(app, [*args, "--up-to", "data"])

    assert result.exit_code == 0, result.output
    assert "rendered the devops layer: 3 files" in result.output
    assert "the data layer would write 2 files:" in result.output
    assert "  mk/data.mk\n" in result.output
    assert list(parent.iterdir()) == []


def test_add_of_an_applied_layer_points_to_update(
    runner: CliRunner, make_template: TemplateFactory, tmp_path: Path
) -> None:
    template = str(make_template())
    project = tmp_path / "p"
    args = ["new", str(project), "--defaults", "--no-lock", "--up-to", "data"]
    assert runner.invoke(app, [*args, "--template", template]).exit_code == 0

    result = runner.invoke(app, ["add", "data", "--path", str(project), "--template", template])

    assert result.exit_code == 2
    assert result.output.splitlines()[-1] == "hint: to bring it to a newer template: mlhier update"


def test_without_uv_the_warning_says_exactly_what_to_run(
    runner: CliRunner,
    make_template: TemplateFactory,
    short_tmp: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    template = make_template({"templates/devops/project/pyproject.toml": "[project]\n"})
    monkeypatch.setattr(_uv, "find_uv", lambda: None)
    project = short_tmp / "p"

    args = ["new", str(project), "--defaults", "--up-to", "devops", "--template", str(template)]
    result = runner.invoke(app, args)

    assert result.exit_code == 0, result.output
    expected = f"run: cd {project} && uv lock && git add uv.lock && git commit"
    assert expected in flat(result.output)
    warning = [line for line in result.output.splitlines() if not line.startswith("Next: ")]
    assert all(len(line) <= 80 for line in warning)


def test_uv_is_found_beside_the_interpreter_before_path(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    beside = tmp_path / "venv" / "bin"
    beside.mkdir(parents=True)
    uv = beside / "uv"
    uv.write_text("#!/bin/sh\n")
    uv.chmod(uv.stat().st_mode | stat.S_IEXEC)
    monkeypatch.setattr(sys, "executable", str(beside / "python"))
    monkeypatch.setitem(sys.modules, "uv", None)  # the uv package's own lookup is unavailable
    monkeypatch.setenv("PATH", os.defpath)

    assert _uv.find_uv() == str(uv)


def test_every_exit_status_is_in_the_one_table(runner: CliRunner) -> None:
    from mlhier import errors

    used = {errors.INTERRUPTED, 0}
    used |= {
        kind.exit_code
        for kind in vars(errors).values()
        if isinstance(kind, type) and issubclass(kind, errors.MlhierError)
    }
    table = [code for code, _ in errors.EXIT_CODES]

    assert sorted(used) == table
    assert "Exit status: 0 done; 1 failed; 2 refused" in flat(runner.invoke(app, ["-h"]).output)
