"""Wheel build hook: the template history rides along, so `mlhier update` needs no network."""

from __future__ import annotations

import subprocess
import tempfile
from pathlib import Path
from typing import Any

from hatchling.builders.hooks.plugin.interface import BuildHookInterface


class TemplateHistoryHook(BuildHookInterface):
    """Add ``mlhier/_template.bundle``: a git bundle of every release tag and the built commit."""

    PLUGIN_NAME = "custom"

    def initialize(self, version: str, build_data: dict[str, Any]) -> None:
        root = Path(self.root)
        if self.target_name != "wheel" or not (root / ".git").exists():
            return  # an sdist has no history to carry: updates then need the upstream repository
        bundle = Path(tempfile.mkdtemp(prefix="mlhier-bundle-")) / "_template.bundle"
        subprocess.run(
            ["git", "bundle", "create", "--quiet", str(bundle), "--tags", "HEAD"],
            cwd=root,
            check=True,
            capture_output=True,
        )
        build_data["force_include"][str(bundle)] = "mlhier/_template.bundle"
