"""The checkers of a generated project skip nothing silently: every skip names its reason.

The generated project's `make check` runs the checkers themselves (tests/test_generated_project.py,
slow); here the rendered devops and data layers are read as files, and sp-repo-review runs
in-process on them.
"""

from __future__ import annotations

import re
import tomllib
from pathlib import Path
from typing import Any

from cloudformation import load

# A reason is words, not an ID or a stray mark.
REASON = re.compile(r"[A-Za-z].{9,}")
# Inline suppressions of the checkers `make check` runs, each followed by its reason.
INLINE_SKIPS = re.compile(
    r"(zizmor:\s*ignore\[[^\]]*\]|shellcheck\s+disable=\S+|checkov:skip=[A-Z0-9_]+)(?P<reason>.*)$",
    re.MULTILINE,
)


def repo_review(project: Path) -> dict[str, Any]:
    """sp-repo-review's results for ``project``, its ``[tool.repo-review]`` settings applied."""
    from repo_review.processor import process

    _, results = process(project)
    return {result.name: result for result in results}


def repo_review_ignores(project: Path) -> dict[str, str]:
    pyproject = tomllib.loads((project / "pyproject.toml").read_text())
    ignores = pyproject["tool"]["repo-review"]["ignore"]
    assert isinstance(ignores, dict), "ignore is a table of check ID = reason"
    return ignores


def test_every_repo_review_ignore_names_a_real_check_and_its_reason(
    rendered_data_project: Path,
) -> None:
    ignores = repo_review_ignores(rendered_data_project)
    results = repo_review(rendered_data_project)

    assert {"PY007", "PC100", "PC901"} <= set(ignores)
    for check, reason in ignores.items():
        assert check in results, f"{check} is no sp-repo-review check (renamed?)"
        assert REASON.fullmatch(reason), f"{check} has no reason: {reason!r}"
        assert results[check].skip_reason == reason


def test_sp_repo_review_passes_every_check_it_does_not_ignore(rendered_data_project: Path) -> None:
    ignores = repo_review_ignores(rendered_data_project)

    results = repo_review(rendered_data_project)

    failed = {name: r.description for name, r in results.items() if r.result is False}
    skipped = {name for name, result in results.items() if result.result is None}
    assert failed == {}
    assert skipped - set(ignores) == set()
    # The conventions the review asked for are there, not ignored.
    assert {"PY003", "PP304", "GH103", "RF002"} <= {n for n, r in results.items() if r.result}


def test_every_checkov_skip_gives_its_reason(rendered_data_project: Path) -> None:
    skips = [
        (name, skip)
        for template in sorted((rendered_data_project / "infra").glob("*.yaml"))
        for name, resource in load(template)["Resources"].items()
        for skip in resource.get("Metadata", {}).get("checkov", {}).get("skip", [])
    ]

    assert skips, "the data lake skips one checkov check (its access-log bucket)"
    for name, skip in skips:
        assert REASON.fullmatch(skip.get("comment", "")), f"{name} skips {skip['id']} silently"


def test_every_inline_skip_gives_its_reason(rendered_data_project: Path) -> None:
    files = [path for path in sorted(rendered_data_project.rglob("*")) if path.is_file()]
    texts = {path: path.read_bytes().decode("utf-8", errors="replace") for path in files}

    # The pattern finds a directive that gives no reason.
    bare = INLINE_SKIPS.search("run: |\n  # zizmor: ignore[template-injection]\n")
    assert bare is not None
    assert not REASON.fullmatch(bare["reason"].strip(" #:-"))
    for path, text in texts.items():
        for skip in INLINE_SKIPS.finditer(text):
            reason = skip["reason"].strip(" #:-")
            assert REASON.fullmatch(reason), f"{path.name}: {skip[1]} has no reason"
