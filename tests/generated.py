"""Running a generated project's own toolchain, as a user runs it (shared by the slow tests)."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

# uv comes with mlhier; the project's checkers come from its own uv.lock.
TOOLS = Path(sys.executable).parent
# uv must use this machine's Python rather than try to download one.
ENV = {
    **os.environ,
    "PATH": f"{TOOLS}{os.pathsep}{os.environ['PATH']}",
    "UV_PYTHON_DOWNLOADS": "never",
    "NO_COLOR": "1",
}


def run(cwd: Path, *command: str, env: dict[str, str] | None = None) -> str:
    """``command`` in ``cwd``, which must pass; what it printed on stdout."""
    done = subprocess.run(
        command, cwd=cwd, env=env or ENV, capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, f"{' '.join(command)} failed:\n{done.stdout}\n{done.stderr}"
    return done.stdout


def make_check(project: Path) -> str:
    """`make check` in ``project``, which must pass; what it printed, both streams."""
    done = subprocess.run(
        ["make", "check"], cwd=project, env=ENV, capture_output=True, text=True, check=False
    )
    output = done.stdout + done.stderr
    assert done.returncode == 0, f"make check failed:\n{output}"
    return output


def assert_every_checker_ran_clean(output: str) -> None:
    """The workflow, infrastructure and convention checkers are part of `make check`."""
    for command in (
        "actionlint .github/workflows/",
        "zizmor --offline",
        "check-jsonschema --builtin-schema vendor.github-workflows",
        "cfn-lint infra/",
        ".venv-checkov/bin/checkov",
        "sp-repo-review",
        "hadolint Dockerfile",
    ):
        assert command in output, f"make check ran no {command}"
    assert "No findings to report" in output  # zizmor
    assert "Failed checks: 0" in output  # checkov
    assert "All checks passed" in output  # sp-repo-review (ruff's ends in "!")
    for hook in ("detect secrets", "check spelling (typos)", "format Markdown (mdformat)"):
        assert re.search(rf"{re.escape(hook)}[.]+Passed", output), hook
