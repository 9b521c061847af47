"""A generated project is green out of the box: its own toolchain runs here, as a user runs it.

Slow: `make setup` installs the project's dependencies from PyPI (uv caches them).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

# One worker builds the generated projects that every test of this module shares.
pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("generated-projects")]

# uv, zizmor, check-jsonschema and cfn-lint come with mlhier[test].
TOOLS = Path(sys.executable).parent
CHECKOV = "checkov==3.3.30"
# uv must use this machine's Python rather than try to download one.
ENV = {
    **os.environ,
    "PATH": f"{TOOLS}{os.pathsep}{os.environ['PATH']}",
    "UV_PYTHON_DOWNLOADS": "never",
    "NO_COLOR": "1",
}


def run(cwd: Path, *command: str) -> str:
    done = subprocess.run(command, cwd=cwd, env=ENV, capture_output=True, text=True, check=False)
    assert done.returncode == 0, f"{' '.join(command)} failed:\n{done.stdout}\n{done.stderr}"
    return done.stdout


def generate(parent: Path, *options: str) -> Path:
    run(parent, sys.executable, "-m", "mlhier", "new", "demo", "--defaults", *options)
    project = parent / "demo"
    assert "uv.lock" in run(project, "git", "ls-files", "uv.lock")
    run(project, "make", "setup")
    return project


@pytest.fixture(scope="module")
def devops_demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    parent = tmp_path_factory.mktemp("devops")
    yield generate(parent)
    shutil.rmtree(parent, ignore_errors=True)


@pytest.fixture(scope="module")
def data_demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    parent = tmp_path_factory.mktemp("data")
    yield generate(parent, "--up-to", "data")
    shutil.rmtree(parent, ignore_errors=True)


def test_devops_make_check_passes_and_formatting_changes_nothing(devops_demo: Path) -> None:
    run(devops_demo, "make", "check")
    run(devops_demo, "make", "format")

    # mlhier committed uv.lock: setup, checks and formatting leave the work tree clean.
    assert run(devops_demo, "git", "status", "--porcelain") == ""


def test_devops_pre_commit_passes_offline(devops_demo: Path) -> None:
    run(devops_demo, "uv", "run", "pre-commit", "run", "--all-files")


def test_devops_workflows_pass_zizmor_and_the_workflow_schema(devops_demo: Path) -> None:
    workflows = sorted(str(p) for p in (devops_demo / ".github/workflows").glob("*.yml"))
    assert len(workflows) >= 2

    report = run(devops_demo, str(TOOLS / "zizmor"), "--offline", "--no-progress", ".github")
    run(
        devops_demo,
        str(TOOLS / "check-jsonschema"),
        "--builtin-schema",
        "vendor.github-workflows",
        *workflows,
    )

    assert "No findings to report" in report


def test_data_make_check_passes(data_demo: Path) -> None:
    run(data_demo, "make", "check")
    run(data_demo, "make", "format")

    assert run(data_demo, "git", "status", "--porcelain") == ""


def test_data_ingest_lands_partitioned_parquet_in_every_zone(data_demo: Path) -> None:
    run(data_demo, "make", "ingest")

    lake = data_demo / ".lake"
    for zone in ("raw", "stage", "curated"):
        partitions = sorted((lake / zone).rglob("dt=*"))
        assert partitions, f"no dt= partition in the {zone} zone"
    assert sorted((lake / "stage").rglob("dt=*/part-*.parquet"))
    assert sorted((lake / "curated").rglob("*.parquet"))
    assert run(data_demo, "git", "status", "--porcelain", "--", ".lake") == ""


def test_data_cli_from_the_built_wheel_runs_from_any_folder(
    data_demo: Path, tmp_path: Path
) -> None:
    # As in the image: the wheel alone, no project around the working folder; the layout comes
    # from $LAKE_CONFIG (documented), else from the copy the package ships.
    run(data_demo, "uv", "build", "--package", "demo-data", "--wheel", "--out-dir", str(tmp_path))
    (wheel,) = tmp_path.glob("demo_data-*.whl")
    venv = tmp_path / "venv"
    run(tmp_path, "uv", "venv", "--quiet", str(venv))
    run(tmp_path, "uv", "pip", "install", "--quiet", "--python", str(venv), str(wheel))
    config = tmp_path / "project" / "config"
    shutil.copytree(data_demo / "config", config)
    clean: dict[str, str] = {name: ENV[name] for name in ("PATH", "HOME") if name in ENV}
    cli = str(venv / "bin" / "demo-data")

    def data_cli(*args: str, **extra: str) -> str:
        env: dict[str, str] = {**clean, **extra}
        done = subprocess.run(
            [cli, *args], cwd="/", env=env, capture_output=True, text=True, check=False
        )
        assert done.returncode == 0, f"{args} failed:\n{done.stdout}\n{done.stderr}"
        output: str = done.stdout
        return output

    out = data_cli("ingest", "--date", "2026-01-31", LAKE_CONFIG=str(config / "datalake.yaml"))
    assert "sklearn/wine: 178 rows meet contract" in out
    assert sorted((tmp_path / "project" / ".lake" / "curated").rglob("*.parquet"))
    # Without the variable, from /, the package's own copy of config/ and its wine sample.
    assert "sklearn/wine: contract v1.0.0 (14 columns), source 11157 bytes" in data_cli("check")


def test_data_contract_check_of_a_million_rows_stays_within_its_budget(data_demo: Path) -> None:
    # The benchmark asserts its budget itself (2 s of CPU, a peak of 3x the table): about 10 s.
    report = run(data_demo, "make", "bench-data")

    assert "csv text: " in report
    assert '"rows": 1000000' in report


def test_data_infrastructure_passes_cfn_lint_and_checkov(data_demo: Path) -> None:
    template = "infra/data-lake.yaml"
    run(data_demo, str(TOOLS / "cfn-lint"), template)
    # checkov pins packaging<24, so it cannot share mlhier's environment: uv isolates it.
    report = run(
        data_demo,
        *(str(TOOLS / "uv"), "tool", "run", "--from", CHECKOV, "checkov"),
        "--compact",
        "--skip-download",
        "--framework",
        "cloudformation",
        "--file",
        template,
    )

    assert "Failed checks: 0" in report


def test_data_workflow_passes_zizmor_and_the_workflow_schema(data_demo: Path) -> None:
    workflow = ".github/workflows/data.yml"
    report = run(data_demo, str(TOOLS / "zizmor"), "--offline", "--no-progress", workflow)
    run(
        data_demo,
        str(TOOLS / "check-jsonschema"),
        "--builtin-schema",
        "vendor.github-workflows",
        workflow,
    )

    assert "No findings to report" in report


def test_add_data_to_a_devops_project_relocks_and_commits(tmp_path: Path) -> None:
    run(tmp_path, sys.executable, "-m", "mlhier", "new", "demo", "--defaults")
    project = tmp_path / "demo"

    run(project, sys.executable, "-m", "mlhier", "add", "data", "--defaults")

    assert run(project, "git", "status", "--porcelain") == ""
    assert run(project, "git", "log", "-1", "--format=%s").startswith("Add the data layer")
    assert 'name = "demo-data"' in (project / "uv.lock").read_text()
    run(project, "uv", "sync", "--locked", "--all-packages")
