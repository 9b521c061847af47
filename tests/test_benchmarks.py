"""The benchmark's arithmetic on given numbers: per-layer costs and the layers target."""

from __future__ import annotations

import importlib.util
import sys
from types import ModuleType

import pytest

from conftest import REPO_ROOT


@pytest.fixture(scope="module")
def bench() -> ModuleType:
    """benchmarks/run.py is a script, not a package: load it by path."""
    spec = importlib.util.spec_from_file_location("bench_run", REPO_ROOT / "benchmarks" / "run.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up while defining
    spec.loader.exec_module(module)
    return module


def test_each_layer_costs_the_difference_to_the_layer_below(bench: ModuleType) -> None:
    costs = bench.marginal_costs([("devops", 0.60), ("data", 0.83), ("platform", 1.20)])

    assert [name for name, _ in costs] == ["devops", "data", "platform"]
    assert [round(cost, 3) for _, cost in costs] == [0.60, 0.23, 0.37]


@pytest.mark.parametrize(
    ("all_cpu", "copier_cpu", "met", "ratio"),
    [(0.83, 0.56, False, "1.48x"), (0.70, 0.56, True, "1.25x"), (0.728, 0.56, True, "1.30x")],
)
def test_the_layers_target_passes_at_most_at_the_limit(
    bench: ModuleType, all_cpu: float, copier_cpu: float, met: bool, ratio: str
) -> None:
    verdict = bench.layers_verdict("data", all_cpu, copier_cpu)

    assert verdict.met is met
    assert f": {ratio} (limit 1.30x)" in verdict.detail
    assert "--up-to data" in verdict.target


def _result(bench: ModuleType, key: str, cpu: float) -> object:
    return bench.Result(key, key, key, wall_s=[cpu], cpu_s=[cpu])


def test_the_verdicts_list_every_layer_then_the_target(bench: ModuleType) -> None:
    layers = bench.shipped_layers()
    results = [
        *(_result(bench, bench.up_to_key(name), 0.5 * (i + 1)) for i, name in enumerate(layers)),
        _result(bench, "copier-plain", 0.5),
    ]

    found = bench.verdicts(results)

    assert [v.target for v in found[:-1]] == [f"(info) CPU of the {name} layer" for name in layers]
    assert all(v.detail.startswith("0.500 s") for v in found[:-1])
    assert found[-1].met is (len(layers) * 0.5 / 0.5 <= 1.3)


def test_a_missing_case_leaves_the_target_unmeasured(bench: ModuleType) -> None:
    found = bench.verdicts([_result(bench, "copier-plain", 0.5)])

    assert [v.met for v in found] == [None]
    assert "not measured" in found[0].detail
