"""The CI's Python matrix as data: requires-python and the locked wheels in, the versions out.

The script is imported from the rendered project shared by the tests (conftest.py), as CI runs it.
"""

from __future__ import annotations

import importlib.util
import json
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType

import pytest

NUMPY_LIKE = ("cp311-cp311", "cp312-cp312", "cp313-cp313", "cp313-cp313t")


@pytest.fixture(scope="module")
def matrix(rendered_data_project: Path) -> Iterator[ModuleType]:
    spec = importlib.util.spec_from_file_location(
        "python_matrix", rendered_data_project / "scripts" / "python_matrix.py"
    )
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    # dataclasses look their module up in sys.modules while the class is created.
    sys.modules[spec.name] = module
    try:
        spec.loader.exec_module(module)
        yield module
    finally:
        del sys.modules[spec.name]


def wheels(name: str, *tags: str, platform: str = "manylinux_2_28_x86_64") -> tuple[str, ...]:
    return tuple(f"{name}-1.0-{tag}-{platform}.whl" for tag in tags)


@pytest.mark.parametrize(
    ("requires_python", "locked", "expected"),
    [
        pytest.param([">=3.11"], [], ["3.11", "3.12", "3.13", "3.14"], id="newest-is-in"),
        pytest.param([">=3.11", ">=3.12"], [], ["3.12", "3.13", "3.14"], id="strictest-member"),
        pytest.param([">=3.11,<3.14"], [], ["3.11", "3.12", "3.13"], id="upper-bound"),
        pytest.param([">=3.11", "<=3.13"], [], ["3.11", "3.12", "3.13"], id="bound-with-patches"),
        pytest.param([">=3.11,!=3.12.*"], [], ["3.11", "3.13", "3.14"], id="excluded-series"),
        pytest.param(["~=3.12"], [], ["3.12", "3.13", "3.14"], id="compatible-release"),
        pytest.param(["==3.13.*"], [], ["3.13"], id="one-series"),
        pytest.param([">3.11"], [], ["3.11", "3.12", "3.13", "3.14"], id="later-patch-of-3.11"),
        pytest.param([""], [], ["3.9", "3.10", "3.11", "3.12", "3.13", "3.14"], id="no-bound"),
        pytest.param(
            [">=3.11"],
            [("numpy", wheels("numpy", *NUMPY_LIKE), False)],
            ["3.11", "3.12", "3.13"],
            id="binary-only-without-3.14",
        ),
        pytest.param(
            [">=3.11"],
            [("numpy", wheels("numpy", *NUMPY_LIKE), True)],
            ["3.11", "3.12", "3.13", "3.14"],
            id="an-sdist-can-be-built",
        ),
        pytest.param(
            [">=3.11"],
            [("ext", wheels("ext", "cp312-abi3"), False)],
            ["3.12", "3.13", "3.14"],
            id="abi3-from-its-version-on",
        ),
        pytest.param(
            [">=3.11"],
            [("pure", wheels("pure", "py3-none", platform="any"), False)],
            ["3.11", "3.12", "3.13", "3.14"],
            id="pure-python",
        ),
        pytest.param(
            [">=3.11"],
            [("ft", wheels("ft", "cp314-cp314t", "cp313-cp313"), False)],
            ["3.13"],
            id="free-threaded-wheels-do-not-count",
        ),
        pytest.param(
            [">=3.11"],
            [
                ("win", wheels("win", "cp311-cp311", "cp314-cp314", platform="win_amd64"), False),
                ("mac", wheels("mac", "cp312-cp312", "cp314-cp314", platform="macosx_11_0"), False),
            ],
            ["3.14"],
            id="every-binary-package-counts",
        ),
        pytest.param(
            [">=3.11"],
            [("multi", wheels("multi", "cp312.cp313-cp312.cp313"), False)],
            ["3.12", "3.13"],
            id="compressed-tag-sets",
        ),
    ],
)
def test_the_matrix_is_what_requires_python_and_the_wheels_allow(
    matrix: ModuleType,
    requires_python: list[str],
    locked: list[tuple[str, tuple[str, ...], bool]],
    expected: list[str],
) -> None:
    packages = [matrix.Locked(name, files, has_sdist) for name, files, has_sdist in locked]

    assert matrix.python_versions(requires_python, packages) == expected


def test_an_unreadable_requires_python_is_refused(matrix: ModuleType) -> None:
    with pytest.raises(ValueError, match="cannot read the requires-python clause 'python3'"):
        matrix.python_versions(["python3"], [])


WORKSPACE = {
    "pyproject.toml": """\
        [project]
        name = "demo"
        requires-python = ">=3.11"

        [tool.uv.workspace]
        members = ["packages/*"]
        """,
    "packages/data/pyproject.toml": """\
        [project]
        name = "demo-data"
        requires-python = ">=3.12"
        """,
    "uv.lock": """\
        version = 1
        requires-python = ">=3.12"

        [[package]]
        name = "demo"
        version = "0.1.0"
        source = { editable = "." }

        [[package]]
        name = "fastlib"
        version = "2.0"
        source = { registry = "https://pypi.org/simple" }
        wheels = [
            { url = "https://files.example/fastlib-2.0-cp312-cp312-manylinux_2_28_x86_64.whl" },
            { url = "https://files.example/fastlib-2.0-cp313-cp313-manylinux_2_28_x86_64.whl" },
        ]

        [[package]]
        name = "purelib"
        version = "1.0"
        source = { registry = "https://pypi.org/simple" }
        sdist = { url = "https://files.example/purelib-1.0.tar.gz" }
        wheels = [{ url = "https://files.example/purelib-1.0-py3-none-any.whl" }]
        """,
}


def test_a_layer_that_adds_a_member_and_a_wheel_only_dependency_narrows_the_matrix(
    matrix: ModuleType, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    for relative, text in WORKSPACE.items():
        path = tmp_path / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text), encoding="utf-8")

    assert matrix.workspace_versions(tmp_path) == ["3.12", "3.13"]
    assert matrix.main(["--root", str(tmp_path), "--exclude", "3.12"]) == 0
    assert json.loads(capsys.readouterr().out) == ["3.13"]


def test_a_workspace_nothing_released_can_run_fails_loudly(
    matrix: ModuleType, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "pyproject.toml").write_text('[project]\nrequires-python = ">=3.15"\n')

    assert matrix.main(["--root", str(tmp_path)]) == 1
    assert "no released CPython" in capsys.readouterr().err


def test_the_known_versions_reach_the_newest_cpython_the_template_offers(
    matrix: ModuleType,
) -> None:
    assert matrix.RELEASED[-1] == "3.14"
    assert list(matrix.RELEASED) == sorted(matrix.RELEASED, key=matrix.release)
