"""The license answer gives LICENSE and the package metadata; the code-owners answer CODEOWNERS.

The files are rendered from their templates in copier's Jinja environment (tests/test_rules.py),
with every other answer at its default: no copier run, so each case costs milliseconds.
"""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest
from test_rules import environment, with_defaults

from conftest import REPO_ROOT

APACHE = (REPO_ROOT / "templates/devops/licenses/Apache-2.0.txt").read_text()


def render(tmp_path: Path, **answers: str) -> Path:
    """LICENSE, pyproject.toml and .github/CODEOWNERS of a devops project with ``answers``."""
    context = {"layer": "devops", **with_defaults("devops", {"project_name": "demo", **answers})}
    for relative in ("LICENSE", "pyproject.toml", ".github/CODEOWNERS"):
        template = environment().get_template(f"templates/devops/project/{relative}.jinja")
        (tmp_path / relative).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / relative).write_text(template.render(context))
    return tmp_path


def project_table(project: Path) -> dict[str, object]:
    loaded = tomllib.loads((project / "pyproject.toml").read_text())["project"]
    assert isinstance(loaded, dict)
    return loaded


@pytest.mark.parametrize(
    ("license_answer", "spdx", "opening"),
    [
        ("MIT", "MIT", "MIT License\n\nCopyright (c) Ada Lovelace\n\nPermission is hereby granted"),
        ("Apache-2.0", "Apache-2.0", APACHE),
        ("Proprietary", "LicenseRef-Proprietary", "Copyright (c) Ada Lovelace. All rights"),
    ],
)
def test_license_answer_gives_license_file_and_spdx_expression(
    tmp_path: Path, license_answer: str, spdx: str, opening: str
) -> None:
    project = render(tmp_path, license=license_answer, author_name="Ada Lovelace")

    text = (project / "LICENSE").read_text()
    assert text.startswith(opening)
    assert text.endswith(".\n")
    assert not text.endswith("\n\n")  # end-of-file-fixer leaves it alone
    metadata = project_table(project)
    assert metadata["license"] == spdx
    assert metadata["license-files"] == ["LICENSE"]


def test_proprietary_is_the_default_and_never_uploaded_to_pypi(tmp_path: Path) -> None:
    metadata = project_table(render(tmp_path))

    assert metadata["license"] == "LicenseRef-Proprietary"
    assert isinstance(metadata["classifiers"], list)
    assert "Private :: Do Not Upload" in metadata["classifiers"]


def test_open_source_license_may_be_uploaded(tmp_path: Path) -> None:
    metadata = project_table(render(tmp_path, license="MIT"))

    assert isinstance(metadata["classifiers"], list)
    assert "Private :: Do Not Upload" not in metadata["classifiers"]


def test_code_owners_answer_owns_every_path(tmp_path: Path) -> None:
    project = render(tmp_path, code_owners="@alice @my-org/ml-engineering")

    rules = [
        line
        for line in (project / ".github/CODEOWNERS").read_text().splitlines()
        if line and not line.startswith("#")
    ]
    assert rules == ["* @alice @my-org/ml-engineering"]


def test_default_code_owners_name_a_team_not_the_organisation(tmp_path: Path) -> None:
    owners = (render(tmp_path, github_org="acme") / ".github/CODEOWNERS").read_text()

    assert owners.splitlines()[-1] == "* @acme/maintainers"
