"""Six kinds of user edits in each layer, updated from v1 to v2 by mlhier and by plain copier.

Nothing the user wrote is lost; the one overlap is reported as a conflict naming its file.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from conftest import TemplateFactory, answers, flat, git
from mlhier import new_project, user_source
from mlhier.cli import app

# Each case updates a two-layer project (seconds): kept out of the fast suite.
pytestmark = [pytest.mark.usefixtures("isolated_git"), pytest.mark.slow]

LINES = [f"line {n}\n" for n in range(1, 13)]


def text(lines: list[str]) -> str:
    return "".join(lines)


def with_line(index: int, value: str) -> str:
    lines = list(LINES)
    lines[index] = value
    return text(lines)


def layer_files(layer: str, version: str) -> dict[str, str]:
    """The files of ``layer`` the matrix edits, as the template ships them at ``version``."""
    root = f"templates/{layer}/project/{layer}-matrix"
    v2 = version == "v2"
    return {
        # the user edits line 1, the template line 12: both land
        f"{root}/untouched.txt": with_line(11, "line 12 from v2\n") if v2 else text(LINES),
        # both edit line 2 (the overlap); the user also edits line 11, far from it
        f"{root}/overlap.txt": with_line(1, "line 2 from v2\n") if v2 else text(LINES),
        # the user deletes it; the template leaves it alone
        f"{root}/deleted.txt": text(LINES),
        # the user renames it; the template leaves it alone
        f"{root}/renamed.txt": text(LINES),
        # the template adds a file in v2
        **({f"{root}/added-in-v2.txt": "new in v2\n"} if v2 else {}),
    }


def edit_like_a_user(project: Path, layer: str) -> None:
    folder = project / f"{layer}-matrix"
    (folder / "untouched.txt").write_text(with_line(0, "line 1 by the user\n"))
    overlap = list(LINES)
    overlap[1] = "line 2 by the user\n"
    overlap[10] = "line 11 by the user\n"
    (folder / "overlap.txt").write_text(text(overlap))
    (folder / "notes.txt").write_text("our own notes\n")
    (folder / "deleted.txt").unlink()
    (folder / "renamed.txt").rename(folder / "moved.txt")
    git(project, "add", "--all")
    git(project, "commit", "--quiet", "-m", f"Edit the {layer} layer's files")


def plain_copier_update(project: Path, layer: str) -> None:
    command = [sys.executable, "-m", "copier", "update", "--defaults", "--skip-answered"]
    command.extend(["-a", f".copier-answers.{layer}.yml"])
    subprocess.run(command, cwd=project, check=True, capture_output=True)


@pytest.mark.parametrize("layer", ["devops", "data"])
@pytest.mark.parametrize("tool", ["mlhier", "copier"])
def test_an_update_keeps_every_kind_of_user_edit(
    layer: str, tool: str, runner: CliRunner, make_template: TemplateFactory, short_tmp: Path
) -> None:
    template = make_template(layer_files(layer, "v1"))
    project = short_tmp / "p"
    new_project(
        project, up_to="data", defaults=True, source=user_source(str(template), "v1"), lock=False
    )
    edit_like_a_user(project, layer)
    make_template(layer_files(layer, "v2"), tag="v2")

    if tool == "mlhier":
        result = runner.invoke(app, ["update", "--path", str(project)])
        assert result.exit_code == 3, result.output
        assert f"left conflicts in {layer}-matrix/overlap.txt" in flat(result.output)
    else:  # one layer alone, as plain copier runs it
        plain_copier_update(project, layer)

    folder = project / f"{layer}-matrix"
    assert (folder / "untouched.txt").read_text() == text(
        ["line 1 by the user\n", *LINES[1:11], "line 12 from v2\n"]
    )
    overlap = (folder / "overlap.txt").read_text()
    assert "line 2 by the user\n" in overlap
    assert "line 2 from v2\n" in overlap
    assert "<<<<<<<" in overlap
    assert "line 11 by the user\n" in overlap  # the far edit survives the conflict
    assert git(project, "diff", "--name-only", "--diff-filter=U").split() == [
        f"{layer}-matrix/overlap.txt"
    ]
    assert (folder / "notes.txt").read_text() == "our own notes\n"
    assert not (folder / "deleted.txt").exists()
    assert not (folder / "renamed.txt").exists()
    assert (folder / "moved.txt").read_text() == text(LINES)
    assert (folder / "added-in-v2.txt").read_text() == "new in v2\n"
    assert answers(project, layer)["_commit"] == "v2"
