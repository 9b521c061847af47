"""A generated project is green out of the box: its own toolchain runs here, as a user runs it.

Slow: `make setup` installs the project's dependencies from PyPI (uv caches them).
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from generated import ENV, assert_every_checker_ran_clean, make_check, run

# One worker builds the generated projects that every test of this module shares.
pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("generated-projects")]


def commit_refused(project: Path, name: str, text: str) -> str:
    """Try to commit ``name`` holding ``text``; the hooks' report. Leaves the project as it was."""
    (project / name).write_text(text)
    head = run(project, "git", "rev-parse", "HEAD")
    identity = ["-c", "user.name=Dev", "-c", "user.email=dev@example.com"]
    try:
        run(project, "git", "add", name)
        done = subprocess.run(
            ["git", *identity, "commit", "--message", f"Add {name}"],
            cwd=project,
            env=ENV,
            capture_output=True,
            text=True,
            check=False,
        )
        assert done.returncode != 0, f"the commit of {name} went through"
        assert run(project, "git", "rev-parse", "HEAD") == head
        return done.stdout + done.stderr
    finally:
        run(project, "git", "rm", "--cached", "--quiet", "--ignore-unmatch", name)
        (project / name).unlink()


def generate(parent: Path, *options: str) -> Path:
    run(parent, sys.executable, "-m", "mlhier", "new", "demo", "--defaults", *options)
    project = parent / "demo"
    assert "uv.lock" in run(project, "git", "ls-files", "uv.lock")
    run(project, "make", "setup")
    return project


@pytest.fixture(scope="module")
def devops_demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    parent = tmp_path_factory.mktemp("devops")
    yield generate(parent, "--up-to", "devops")
    shutil.rmtree(parent, ignore_errors=True)


@pytest.fixture(scope="module")
def data_demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    parent = tmp_path_factory.mktemp("data")
    yield generate(parent, "--up-to", "data")
    shutil.rmtree(parent, ignore_errors=True)


def test_devops_make_check_passes_and_formatting_changes_nothing(devops_demo: Path) -> None:
    assert_every_checker_ran_clean(make_check(devops_demo))
    run(devops_demo, "make", "format")

    # mlhier committed uv.lock: setup, checks and formatting leave the work tree clean.
    assert run(devops_demo, "git", "status", "--porcelain") == ""


def test_devops_pre_commit_passes_offline(devops_demo: Path) -> None:
    run(devops_demo, "uv", "run", "pre-commit", "run", "--all-files")


# Fake secrets, built here so that no scanner of this repository mistakes the test for a leak.
FAKE_AWS_KEY_ID = "AKIA" + "Z7QRSTUV2WXY3ABC"
FAKE_PRIVATE_KEY = "\n".join(
    [
        "-----BEGIN RSA " + "PRIVATE KEY-----",
        "MIIEpAIBAAKCAQEA1c7+9z5Pad7OejecsQ0bu3aozN3tihPmljnnudb9G3HECdnH",
        "-----END RSA " + "PRIVATE KEY-----",
        "",
    ]
)


def test_devops_pre_commit_refuses_to_commit_an_aws_key(devops_demo: Path) -> None:
    report = commit_refused(devops_demo, "settings.txt", f"aws_access_key_id = {FAKE_AWS_KEY_ID}\n")

    assert re.search(r"detect secrets[.]+Failed", report)
    assert "Secret Type: AWS Access Key" in report
    assert "Location:    settings.txt:1" in report


def test_devops_pre_commit_refuses_to_commit_a_private_key(devops_demo: Path) -> None:
    report = commit_refused(devops_demo, "deploy_key.pem", FAKE_PRIVATE_KEY)

    assert re.search(r"detect secrets[.]+Failed", report)
    assert "Secret Type: Private Key" in report
    assert run(devops_demo, "git", "status", "--porcelain") == ""


def test_devops_build_builds_every_workspace_package(devops_demo: Path, tmp_path: Path) -> None:
    project = tmp_path / "demo"
    shutil.copytree(devops_demo, project, ignore=shutil.ignore_patterns(".venv", ".*_cache"))
    member = project / "packages" / "extra"
    (member / "src" / "demo_extra").mkdir(parents=True)
    (member / "src" / "demo_extra" / "__init__.py").write_text("")
    (member / "pyproject.toml").write_text(
        '[project]\nname = "demo-extra"\nversion = "0.1.0"\nrequires-python = ">=3.11"\n'
        '[build-system]\nrequires = ["uv_build>=0.13.6,<0.14"]\nbuild-backend = "uv_build"\n'
    )

    run(project, "make", "build")

    built = sorted(path.name for path in (project / "dist").glob("*-0.1.0*"))  # and a .gitignore
    assert built == [
        "demo-0.1.0-py3-none-any.whl",
        "demo-0.1.0.tar.gz",
        "demo_extra-0.1.0-py3-none-any.whl",
        "demo_extra-0.1.0.tar.gz",
    ]


def test_devops_python_matrix_reads_the_real_lock(devops_demo: Path) -> None:
    versions = run(devops_demo, "python3", "scripts/python_matrix.py", "--exclude", "3.11")

    assert json.loads(versions) == ["3.12", "3.13", "3.14"]


def test_data_make_check_passes(data_demo: Path) -> None:
    assert_every_checker_ran_clean(make_check(data_demo))
    run(data_demo, "make", "format")

    assert run(data_demo, "git", "status", "--porcelain") == ""


def test_data_ingest_keeps_raw_batches_and_commits_iceberg_tables(data_demo: Path) -> None:
    for _ in range(2):
        run(data_demo, "make", "ingest", "LAKE_DATE=2026-01-31")

    lake = data_demo / ".lake"
    assert len(sorted((lake / "raw").rglob("dt=2026-01-31/*.csv"))) == 2
    for zone in ("stage", "curated"):
        assert sorted((lake / zone).rglob("data/dt=2026-01-31/*.parquet")), zone
        assert sorted((lake / zone).rglob("metadata/*.metadata.json")), zone
    partitions = json.loads(run(data_demo, "make", "-s", "lake-partitions", "JSON=1"))
    assert [(p["zone"], p["rows"]) for p in partitions] == [
        ("raw", None),
        ("stage", 178),
        ("curated", 178),
    ]
    assert partitions[1]["lineage"]["contract-version"] == "1.0.0"
    assert partitions[1]["lineage"]["raw-batch"].endswith(".csv")
    assert "snapshots older than" in run(data_demo, "make", "-s", "lake-maintain")
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


def test_add_data_to_a_devops_project_relocks_and_commits(tmp_path: Path) -> None:
    run(tmp_path, sys.executable, "-m", "mlhier", "new", "demo", "--defaults", "--up-to", "devops")
    project = tmp_path / "demo"

    run(project, sys.executable, "-m", "mlhier", "add", "data", "--defaults")

    assert run(project, "git", "status", "--porcelain") == ""
    assert run(project, "git", "log", "-1", "--format=%s").startswith("Add the data layer")
    assert 'name = "demo-data"' in (project / "uv.lock").read_text()
    run(project, "uv", "sync", "--locked", "--all-packages")
