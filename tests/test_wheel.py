"""The wheel carries the templates, and a project generated from it records an updatable source."""

from __future__ import annotations

import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from conftest import REPO_ROOT, answers

pytestmark = pytest.mark.usefixtures("isolated_git")


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("dist")
    subprocess.run(
        [
            *(sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps"),
            *("--no-build-isolation", "--wheel-dir", str(out), str(REPO_ROOT)),
        ],
        check=True,
        capture_output=True,
    )
    (built,) = out.glob("mlhier-*.whl")
    return built


def test_the_wheel_ships_every_layer(wheel: Path) -> None:
    names = set(zipfile.ZipFile(wheel).namelist())

    assert "mlhier/_template/copier.yml" in names
    for layer in ("devops", "data"):
        assert f"mlhier/_template/templates/{layer}/questions.yml" in names
        assert any(n.startswith(f"mlhier/_template/templates/{layer}/project/") for n in names)


def test_a_project_from_the_wheel_records_the_upstream_repository(
    wheel: Path, tmp_path: Path
) -> None:
    unpacked = tmp_path / "site"
    zipfile.ZipFile(wheel).extractall(unpacked)
    env = {**os.environ, "PYTHONPATH": str(unpacked)}
    script = "import mlhier, sys; from mlhier.cli import main; print(mlhier.__file__); main()"

    done = subprocess.run(
        [sys.executable, "-c", script, "new", str(tmp_path / "demo"), "--defaults", "--no-lock"],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )

    assert done.stdout.startswith(str(unpacked))  # the wheel's code and templates, not the checkout
    recorded = answers(tmp_path / "demo", "devops")
    assert recorded["_src_path"] == "https://github.com/mlhier/mlhier.git"
    version = wheel.name.split("-")[1]
    local = version.partition("+g")[2].partition(".")[0]
    assert recorded["_commit"] == (local or f"v{version}")
