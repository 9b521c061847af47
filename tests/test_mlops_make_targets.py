"""The mlops layer's deploy targets each deploy one stack of their own (read with `make -n`)."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

ARN = "arn:aws:sagemaker:eu-west-1:123456789012:model-package/demo-dev-models/3"


@pytest.mark.parametrize(
    ("target", "stack", "template"),
    [
        ("serving-deploy", "demo-dev-serving", "infra/serving.yaml"),
        ("monitoring-deploy", "demo-dev-monitoring", "infra/monitoring.yaml"),
    ],
)
def test_a_deploy_target_deploys_its_own_stack_once(
    rendered_mlops_project: Path, target: str, stack: str, template: str
) -> None:
    done = subprocess.run(
        ["make", "-n", target, "ENV=dev", f"MODEL_PACKAGE_ARN={ARN}"],
        cwd=rendered_mlops_project,
        capture_output=True,
        text=True,
        check=True,
    )
    commands = done.stdout

    assert commands.count("--stack-name") == 1
    assert f'--stack-name "{stack}"' in commands
    assert commands.count("--template-file") == 1
    assert f"--template-file {template}" in commands


def test_copy_package_copies_what_env_declares_unless_a_package_is_named(
    rendered_mlops_project: Path,
) -> None:
    def make(*arguments: str, dry_run: bool = True) -> subprocess.CompletedProcess[str]:
        flags = ["-n"] if dry_run else []
        command = ["make", *flags, "copy-package", *arguments]
        return subprocess.run(
            command, cwd=rendered_mlops_project, capture_output=True, text=True, check=False
        )

    declared = make("ENV=staging").stdout
    named = make("ENV=prod", f"MODEL_PACKAGE_ARN={ARN}").stdout
    nowhere = make(dry_run=False)

    assert "copy-package --env staging\n" in declared
    assert f"copy-package --env prod --model-package {ARN}\n" in named
    assert nowhere.returncode == 2
    assert "make copy-package ENV=<staging or prod>" in nowhere.stderr
