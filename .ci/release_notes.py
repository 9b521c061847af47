"""Print the CHANGELOG.md section of one version: the notes of its GitHub release.

Usage: python .ci/release_notes.py 0.3.0 [CHANGELOG.md]
"""

from __future__ import annotations

import re
import sys
from pathlib import Path


def release_notes(changelog: str, version: str) -> str:
    """The body of the ``## [version]`` section, without its heading; an error if it is missing."""
    heading = re.compile(rf"^## \[{re.escape(version)}\][^\n]*\n", re.M)
    found = heading.search(changelog)
    if found is None:
        raise SystemExit(f"CHANGELOG.md has no section '## [{version}]': add it before tagging")
    following = re.compile(r"^## \[", re.M).search(changelog, found.end())
    end = following.start() if following else len(changelog)
    return changelog[found.end() : end].strip() + "\n"


if __name__ == "__main__":
    path = Path(sys.argv[2]) if len(sys.argv) > 2 else Path("CHANGELOG.md")
    sys.stdout.write(release_notes(path.read_text(encoding="utf-8"), sys.argv[1].removeprefix("v")))
