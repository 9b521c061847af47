"""Which answers reach which layer: each layer renders with its own answers only."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pytest
import yaml
from typer.testing import CliRunner

from conftest import answers
from mlhier import api
from mlhier._answers import sort_answers
from mlhier.cli import app
from mlhier.errors import InvalidInputError
from mlhier.layers import Layer, get_layer

DEVOPS, DATA = get_layer("devops"), get_layer("data")


def test_each_layer_is_passed_only_its_own_answers(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    passed: dict[str, Mapping[str, Any]] = {}

    def fake_render(destination: Path, layer: Layer, *_: object, **options: Any) -> None:
        passed[layer.name] = options["data"]
        recorded = {key: value for key, value in options["data"].items() if key != "layer"}
        (destination / layer.answers_file).write_text(yaml.safe_dump(recorded))

    monkeypatch.setattr(api, "render_layer", fake_render)
    plan = api.plan_new(
        tmp_path / "lake",
        up_to="data",
        data={"zone_curated": "curated", "project_name": "lake", "org_name": "acme"},
    )

    api.pretend(plan, defaults=True)

    assert passed["devops"] == {"project_name": "lake"}
    # The data layer gets its own answers and the devops answers as its copies, nothing else.
    assert passed["data"] == {
        "zone_curated": "curated",
        "org_name": "acme",
        "project_name_data": "lake",
    }


def test_a_remote_template_gets_every_answer_but_private_keys() -> None:
    given = {"anything": "1", "zone_raw": "raw"}

    assert sort_answers(given, None, (DEVOPS, DATA)) == {"devops": given, "data": given}
    with pytest.raises(InvalidInputError, match="copier's own setting"):
        sort_answers({"_commit": "v1"}, None, (DEVOPS,))


@pytest.mark.slow  # renders both real layers
@pytest.mark.usefixtures("isolated_git")
def test_a_data_answer_does_not_trouble_the_devops_render(
    runner: CliRunner, tmp_path: Path
) -> None:
    project = tmp_path / "lake"
    args = ["new", str(project), "--up-to", "data", "--defaults", "--no-lock"]

    result = runner.invoke(app, [*args, "--data", "zone_curated=gold"])

    assert result.exit_code == 0, result.output
    assert answers(project, "data")["zone_curated"] == "gold"
    assert "rendered the data layer: " in result.output
