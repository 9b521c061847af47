"""mlhier's own release: the notes of a GitHub release come from CHANGELOG.md."""

from __future__ import annotations

import importlib.util
from types import ModuleType

import pytest

from conftest import REPO_ROOT


def release_notes_script() -> ModuleType:
    spec = importlib.util.spec_from_file_location(
        "release_notes", REPO_ROOT / ".ci/release_notes.py"
    )
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


CHANGELOG = """\
# Changelog

## [Unreleased]

### Added
- something unreleased

## [0.3.0] - 2026-12-01

### In generated projects
- the data workflow caches uv

### Fixed
- update says "already at"

## [0.2.0] - 2026-11-01

### Added
- status
"""


def test_the_notes_are_the_versions_section_with_what_generated_projects_get() -> None:
    notes = release_notes_script().release_notes(CHANGELOG, "0.3.0")

    assert notes == (
        "### In generated projects\n- the data workflow caches uv\n\n"
        '### Fixed\n- update says "already at"\n'
    )


def test_a_tag_without_a_changelog_section_is_refused() -> None:
    with pytest.raises(SystemExit, match=r"no section '## \[0.4.0\]'"):
        release_notes_script().release_notes(CHANGELOG, "0.4.0")


def test_the_changelog_says_what_an_update_brings_to_generated_projects() -> None:
    changelog = (REPO_ROOT / "CHANGELOG.md").read_text(encoding="utf-8")
    unreleased = release_notes_script().release_notes(changelog, "Unreleased")

    assert "### In generated projects\n" in unreleased


def test_the_release_workflow_builds_the_wheel_from_the_checkout() -> None:
    workflow = (REPO_ROOT / ".github/workflows/release.yml").read_text(encoding="utf-8")

    assert "python -m build --sdist --wheel" in workflow  # not from the sdist: no history there
    assert "mlhier/_template.bundle" in workflow
    assert "id-token: write" in workflow
