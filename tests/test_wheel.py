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


@pytest.mark.slow  # renders the devops layer and updates it: seconds
def test_a_project_from_the_wheel_updates_with_the_network_unreachable(
    wheel: Path, tmp_path: Path
) -> None:
    """The wheel carries the template history: the public repository is never contacted."""
    assert "mlhier/_template.bundle" in zipfile.ZipFile(wheel).namelist()
    unpacked = tmp_path / "site"
    zipfile.ZipFile(wheel).extractall(unpacked)
    # https is refused: the recorded source (github.com) cannot be reached.
    env = {**os.environ, "PYTHONPATH": str(unpacked), "GIT_ALLOW_PROTOCOL": "file"}
    mlhier = [sys.executable, "-c", "from mlhier.cli import main; main()"]
    project = tmp_path / "demo"
    new = [*mlhier, "new", str(project), "--defaults", "--no-lock", "--up-to", "devops"]
    subprocess.run(new, env=env, check=True)
    head = subprocess.run(
        ["git", "rev-parse", "HEAD"], cwd=project, capture_output=True, text=True, check=True
    ).stdout

    done = subprocess.run(
        [*mlhier, "update", "--path", str(project)],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )

    assert done.returncode == 0, done.stderr
    assert "devops: already at" in done.stderr
    after = subprocess.run(
        ["git", "rev-parse", "HEAD"], cwd=project, capture_output=True, text=True, check=True
    ).stdout
    assert after == head  # nothing changed: no commit


def _path_without_uv(bin_dir: Path) -> str:
    """A PATH holding only git, make, python3 and coreutils, linked one by one: no uv on it."""
    import shutil

    bin_dir.mkdir()
    for tool in ("git", "make", "sh", "env", "cat", "ls", "mkdir", "rm", "cp", "mv", "uname"):
        found = shutil.which(tool)
        if found:
            (bin_dir / tool).symlink_to(found)
    # uv needs a Python to lock with, as a user's machine has one on PATH.
    (bin_dir / "python3").symlink_to(Path(sys.base_exec_prefix) / "bin" / "python3")
    return str(bin_dir)


@pytest.mark.slow
def test_the_wheel_in_a_fresh_venv_locks_without_uv_on_path(wheel: Path, tmp_path: Path) -> None:
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    # Dependencies come from the package index, as for any user of the wheel.
    subprocess.run(
        [str(venv / "bin" / "pip"), "install", "--quiet", str(wheel)],
        check=True,
        capture_output=True,
    )
    import pwd

    # HOME is isolated: share the real uv cache, so the lock resolves from a warm cache.
    cache = os.environ.get("UV_CACHE_DIR") or f"{pwd.getpwuid(os.getuid()).pw_dir}/.cache/uv"
    env = {
        **os.environ,
        "PATH": _path_without_uv(tmp_path / "bin"),
        "UV_CACHE_DIR": cache,
        "UV_PYTHON_DOWNLOADS": "never",
    }
    env.pop("VIRTUAL_ENV", None)

    done = subprocess.run(
        [str(venv / "bin" / "mlhier"), "new", "demo", "--defaults", "--up-to", "devops"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )

    assert done.returncode == 0, done.stderr
    assert "warning" not in done.stderr
    project = tmp_path / "demo"
    committed = subprocess.run(
        ["git", "ls-files"], cwd=project, capture_output=True, text=True, check=True
    ).stdout.splitlines()
    assert "uv.lock" in committed
    recorded = answers(project, "devops")
    assert recorded["_src_path"] == "https://github.com/mlhier/mlhier.git"
    assert recorded["_commit"]
