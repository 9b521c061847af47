"""The docs site builds strictly, and its generated pages say what the code says.

The command reference must hold exactly what `mlhier --help` and every `mlhier <command> --help`
print, the exit-code page every code of ``EXIT_CODES``, each layer page its questions and tree.
The build runs once for the module (about 0.7 s), as a subprocess like CI's `mkdocs build`;
tests that need builds of their own (the hook's mechanics) are marked slow.
"""

from __future__ import annotations

import functools
import html
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from conftest import REPO_ROOT
from mlhier.errors import EXIT_CODES
from mlhier.layers import LADDER

MLHIER = Path(sys.executable).parent / "mlhier"
TAG = re.compile(r"<[^>]+>")
SHIPPED = [layer.name for layer in LADDER if layer.shipped]


def build(config: Path, site: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "-f", str(config), "-d", str(site)],
        capture_output=True,
        text=True,
        check=False,
        env={**os.environ, "NO_MKDOCS_2_WARNING": "1"},
    )


def normalised(text: str) -> str:
    """Text without its line wrapping and indentation, in one line."""
    return " ".join(text.split())


def page_text(site: Path, page: str) -> str:
    main = (site / page / "index.html").read_text(encoding="utf-8")
    start = main.index("<article")  # the page's own content, without the nav and the footer
    article = main[start : main.index("</article>", start)]
    return normalised(html.unescape(TAG.sub(" ", article)))  # what a reader sees


@functools.cache
def cli_help(*command: str, columns: int = 120) -> str:
    """What the installed `mlhier` prints, at a width other than the docs' own 80 columns."""
    done = subprocess.run(
        [str(MLHIER), *command, "--help"],
        capture_output=True,
        text=True,
        check=True,
        env={**os.environ, "COLUMNS": str(columns)},
    )
    return done.stdout


def listed_commands() -> list[str]:
    """The commands that `mlhier --help` lists, read from its output, not from the code."""
    section = cli_help().split("Commands:\n", 1)[1].split("\n\n", 1)[0]  # up to an epilog
    return [line.split()[0] for line in section.splitlines() if line.startswith("  ")]


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    target = tmp_path_factory.mktemp("site")
    done = build(REPO_ROOT / "mkdocs.yml", target)
    assert done.returncode == 0, done.stderr
    assert "WARNING" not in done.stderr, done.stderr
    return target


def test_the_site_builds_strictly_without_copying_the_hook(site: Path) -> None:
    assert (site / "index.html").is_file()
    assert not (site / "hooks.py").exists()
    assert not (site / "__pycache__").exists()


def test_the_reference_holds_every_help_exactly(site: Path) -> None:
    reference = page_text(site, "commands")
    assert normalised(cli_help()) in reference
    commands = listed_commands()
    assert {"new", "add", "update", "layers"} <= set(commands)
    for command in commands:
        assert normalised(cli_help(command)) in reference, f"mlhier {command} --help"


@pytest.mark.parametrize("command", ["new", "add", "update", "adopt"])
def test_each_command_page_opens_with_its_help(site: Path, command: str) -> None:
    assert normalised(cli_help(command)) in page_text(site, f"commands/{command}")


def test_the_exit_code_page_lists_every_code(site: Path) -> None:
    text = page_text(site, "exit-codes")
    for code, meaning in EXIT_CODES:
        assert f"{code} {normalised(meaning)}" in text


@pytest.mark.parametrize("layer", SHIPPED)
def test_each_layer_page_lists_its_questions_and_tree(site: Path, layer: str) -> None:
    text = page_text(site, f"layers/{layer}")
    questions = yaml.safe_load((REPO_ROOT / "templates" / layer / "questions.yml").read_text())
    for name, spec in questions.items():
        if name.startswith("_") or str(spec.get("when")).lower() == "false":
            continue  # copier settings and computed values: nothing to answer
        assert f"{name} " in text
        assert normalised(str(spec.get("help", ""))) in text, name
    assert "{{" not in text  # computed defaults are shown as the value they compute
    assert "{%" not in text
    snapshot = (REPO_ROOT / "tests" / "snapshots" / f"{layer}.txt").read_text().splitlines()
    for path in snapshot:
        assert Path(path).name in text, path


def test_computed_defaults_show_their_value(site: Path) -> None:
    assert "package_name my_ml_project (computed)" in page_text(site, "layers/devops")
    assert "org_name my-org (computed)" in page_text(site, "layers/data")


def test_the_home_page_shows_the_ladder(site: Path) -> None:
    text = page_text(site, "")
    for layer in LADDER:
        assert f"{layer.name}{'' if layer.shipped else ' (planned)'} {layer.need}" in text


def copy_of_the_docs(tmp_path: Path) -> Path:
    """mkdocs.yml and docs/ in a scratch folder, beside links to the sources the hook reads."""
    shutil.copy(REPO_ROOT / "mkdocs.yml", tmp_path / "mkdocs.yml")
    shutil.copytree(REPO_ROOT / "docs", tmp_path / "docs", ignore=shutil.ignore_patterns("__py*"))
    for source in ("templates", "tests"):
        (tmp_path / source).symlink_to(REPO_ROOT / source)
    return tmp_path


@pytest.mark.slow  # one more build (~0.8 s): the hook's mechanics, not drift
def test_an_unknown_marker_stops_the_build(tmp_path: Path) -> None:
    root = copy_of_the_docs(tmp_path)
    (root / "docs" / "exit-codes.md").write_text("# Codes\n\n<!-- mlhier:exit-code -->\n")
    done = build(root / "mkdocs.yml", tmp_path / "site")
    assert done.returncode != 0
    assert "unknown docs marker: mlhier:exit-code" in done.stderr


@pytest.mark.slow  # two more builds: the hook's mechanics, not drift
@pytest.mark.parametrize("listed", [False, True], ids=["added-by-the-hook", "already-listed"])
def test_a_performance_page_joins_the_nav_once_when_present(tmp_path: Path, listed: bool) -> None:
    root = copy_of_the_docs(tmp_path)
    (root / "docs" / "performance.md").write_text("# Performance\n\nWhere the time goes.\n")
    if listed:
        config = root / "mkdocs.yml"
        config.write_text(config.read_text() + "      - Speed: performance.md\n")
    done = build(root / "mkdocs.yml", tmp_path / "site")
    assert done.returncode == 0, done.stderr  # strict: a page outside the nav would fail
    home = (tmp_path / "site" / "index.html").read_text(encoding="utf-8")
    assert home.count('href="performance/"') == 1


def test_mlhier_ci_builds_the_docs_strictly_with_pinned_actions() -> None:
    workflow = yaml.safe_load((REPO_ROOT / ".github" / "workflows" / "ci.yml").read_text())
    steps = workflow["jobs"]["docs"]["steps"]
    runs = " ".join(step.get("run", "") for step in steps)
    assert "'.[docs]'" in runs
    assert "mkdocs build --strict" in runs
    for step in steps:
        if "uses" in step:
            assert re.fullmatch(r"[\w.-]+/[\w.-]+@[0-9a-f]{40}", step["uses"]), step["uses"]
