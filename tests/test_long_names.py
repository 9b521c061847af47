"""The longest names the questions accept still render Python that ruff leaves alone.

Template lines holding a name grow with it: an import or a call that fits 100 columns with a short
name is wrapped by `ruff format` once the name is 40 characters, and `make check` fails. The
templates write such lines already exploded (a magic trailing comma keeps them so at any width)
and split long strings. Slow: rendering the four layers takes seconds.
"""

from __future__ import annotations

import sys
import tomllib
from pathlib import Path

import pytest
from generated import run

pytestmark = pytest.mark.slow

# The longest values templates/rules.jinja accepts: project_name and package_name have 3-40 and
# 1-40 characters. With a 40-character project the bucket names leave the organisation 6, so the
# longest organisation (20 with the default region) comes with the shortest project.
LONGEST_NAME = 40
LONGEST_ORG_BESIDE_SHORTEST_PROJECT = 20

NAME_SETS = {
    "longest project and package": {
        "project_name": "a" + "-bcdefghi" * 4 + "-jk",
        "package_name": "a" + "_bcdefghi" * 4 + "_jk",
    },
    "shortest project, longest package and organisation": {
        "project_name": "abd",
        "package_name": "a" + "_bcdefghi" * 4 + "_jk",
        "org_name": "o" + "-rg" * 6 + "o",
    },
}

RUFF = Path(sys.executable).parent / "ruff"


def pinned_ruff(project: Path) -> str:
    """The ruff version the generated project's dev group pins."""
    pyproject = tomllib.loads((project / "pyproject.toml").read_text())
    dev: list[str] = pyproject["dependency-groups"]["dev"]
    (pin,) = [dep for dep in dev if dep.startswith("ruff==")]
    return pin.removeprefix("ruff==")


@pytest.mark.parametrize("names", NAME_SETS.values(), ids=list(NAME_SETS))
def test_the_longest_names_render_ruff_clean_python(tmp_path: Path, names: dict[str, str]) -> None:
    assert len(names["package_name"]) == LONGEST_NAME
    assert len(names["project_name"]) in {3, LONGEST_NAME}
    assert len(names.get("org_name", "")) in {0, LONGEST_ORG_BESIDE_SHORTEST_PROJECT}
    data = [option for key, value in names.items() for option in ("--data", f"{key}={value}")]
    project_name = names["project_name"]
    run(
        tmp_path,
        sys.executable,
        "-m",
        "mlhier",
        "new",
        project_name,
        "--defaults",
        "--no-lock",
        *data,
    )
    project = tmp_path / project_name
    package = names["package_name"]
    assert (project / f"packages/mlops/src/{package}_mlops/cli.py").is_file()

    # The project's own ruff: a newer or older one formats differently and proves nothing.
    assert run(project, str(RUFF), "--version").split() == ["ruff", pinned_ruff(project)]
    # Run from the project, ruff reads the project's pyproject.toml (line length 100, its rules).
    run(project, str(RUFF), "format", "--check", "--no-cache", ".")
    run(project, str(RUFF), "check", "--no-cache", ".")
