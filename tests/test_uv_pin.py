"""uv is pinned once: templates/pins.jinja names the version; every setup-uv step of every layer's
workflows, the Dockerfile and the docs of a generated project name that version and no other."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import jinja2
import pytest
import yaml

from conftest import REPO_ROOT

UV_VERSION = re.compile(r"(?<![\w.])\d+\.\d+\.\d+(?![\w.])")


def pinned_uv() -> str:
    environment = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(REPO_ROOT)), autoescape=True
    )
    version = environment.get_template("templates/pins.jinja").module.uv  # type: ignore[attr-defined]
    assert isinstance(version, str)
    return version


@pytest.fixture(scope="module")
def project(rendered_data_project: Path) -> Path:
    """The devops and data layers, rendered once for the tests that read generated files."""
    return rendered_data_project


def setup_uv_steps(project: Path) -> dict[str, dict[str, Any]]:
    steps = {}
    for path in sorted((project / ".github/workflows").glob("*.yml")):
        workflow = yaml.safe_load(path.read_text(encoding="utf-8"))
        for job_name, job in workflow["jobs"].items():
            for step in job.get("steps", []):
                if str(step.get("uses", "")).startswith("astral-sh/setup-uv@"):
                    steps[f"{path.name}/{job_name}/{step['name']}"] = step
    return steps


def test_every_setup_uv_step_of_every_layer_installs_the_pinned_uv(project: Path) -> None:
    steps = setup_uv_steps(project)

    assert {name.split("/")[0] for name in steps} == {
        "checks.yml",
        "data.yml",
        "release.yml",
        "template-update.yml",
    }
    assert {name: step["with"].get("version") for name, step in steps.items()} == dict.fromkeys(
        steps, pinned_uv()
    )


def test_the_dockerfile_and_the_docs_name_the_same_uv(project: Path) -> None:
    dockerfile = (project / "Dockerfile").read_text(encoding="utf-8")
    docs = (project / "docs/devops.md").read_text(encoding="utf-8")
    uv_images = re.findall(r"^FROM ghcr\.io/astral-sh/uv:(\S+) AS uv$", dockerfile, re.MULTILINE)
    uv_paragraph = next(part for part in docs.split("\n\n") if "uv itself is" in part)

    assert uv_images == [pinned_uv()]
    assert UV_VERSION.findall(uv_paragraph) == [pinned_uv()]


def test_dependabot_leaves_the_uv_image_to_template_updates(project: Path) -> None:
    dependabot = yaml.safe_load((project / ".github/dependabot.yml").read_text(encoding="utf-8"))
    docker = next(u for u in dependabot["updates"] if u["package-ecosystem"] == "docker")

    assert docker["ignore"] == [{"dependency-name": "astral-sh/uv"}]
