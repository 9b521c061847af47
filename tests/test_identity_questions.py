"""Each environment's account: asked by the devops layer, carried into the data layer's lake.

The rules of the new questions are in tests/test_rules.py with every other question's.
"""

from __future__ import annotations

import warnings
from pathlib import Path
from typing import Any

import yaml

from conftest import REPO_ROOT

SEPARATE = {
    "aws_account_id": "111111111111",
    "aws_account_id_dev": "222222222222",
    "aws_account_id_staging": "333333333333",
    "aws_account_id_prod": "444444444444",
}


def _render(destination: Path, data: dict[str, Any], keep: list[str]) -> None:
    """Render one layer from this working tree, writing only the answers file and ``keep``."""
    import copier

    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", "File not found; returning empty dict")
        warnings.filterwarnings("ignore", ".*Dirty template.*")
        copier.run_copy(
            str(REPO_ROOT),
            destination,
            data=data,
            defaults=True,
            quiet=True,
            vcs_ref="HEAD",
            exclude=["*", "!.copier-answers.*", *(f"!{path}" for path in keep)],
        )


def test_each_environment_keeps_its_own_account_through_the_layers(tmp_path: Path) -> None:
    _render(tmp_path, {"layer": "devops", "project_name": "demo", **SEPARATE}, [])
    _render(tmp_path, {"layer": "data"}, ["config", "config/datalake.yaml"])

    devops = yaml.safe_load((tmp_path / ".copier-answers.devops.yml").read_text())
    data = yaml.safe_load((tmp_path / ".copier-answers.data.yml").read_text())
    layout = yaml.safe_load((tmp_path / "config" / "datalake.yaml").read_text())
    assert {name: devops[name] for name in SEPARATE} == SEPARATE
    assert devops["monthly_budget_usd"] == 100
    assert {env: data[f"aws_account_id_{env}_data"] for env in ("dev", "staging", "prod")} == {
        env: SEPARATE[f"aws_account_id_{env}"] for env in ("dev", "staging", "prod")
    }
    assert {env: spec["account_id"] for env, spec in layout["environments"].items()} == {
        env: SEPARATE[f"aws_account_id_{env}"] for env in ("dev", "staging", "prod")
    }
