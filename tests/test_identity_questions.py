"""Each environment's account: asked by the devops layer, carried into the data layer's lake.

The rules of the new questions are in tests/test_rules.py with every other question's.
"""

from __future__ import annotations

from pathlib import Path

import yaml

from conftest import render_only

SEPARATE = {
    "aws_account_id": "111111111111",
    "aws_account_id_dev": "222222222222",
    "aws_account_id_staging": "333333333333",
    "aws_account_id_prod": "444444444444",
}


def test_each_environment_keeps_its_own_account_through_the_layers(tmp_path: Path) -> None:
    render_only(tmp_path, {"layer": "devops", "project_name": "demo", **SEPARATE}, [])
    render_only(tmp_path, {"layer": "data"}, ["config", "config/datalake.yaml"])

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
