"""Stand-in commands on PATH (tests/fake_*.py) for running the generated make targets offline.

A stand-in keeps its state in <folder>/state.json and logs each call as a JSON line in
<folder>/calls.jsonl; the folder's bin/ goes first on PATH.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any


@dataclass
class MakeRun:
    """What one `make` run printed, which calls the stand-in saw, and the state it left."""

    returncode: int
    output: str
    calls: list[Any]
    state: dict[str, Any]


def install(folder: Path, command: str, script: Path, state: dict[str, Any]) -> None:
    """Put ``command`` on ``folder``/bin running ``script``, starting from ``state``."""
    bin_dir = folder / "bin"
    bin_dir.mkdir(exist_ok=True)
    launcher = bin_dir / command
    # -S: no site packages, so each call starts in a few milliseconds.
    launcher.write_text(f'#!/bin/sh\nexec "{sys.executable}" -S "{script}" "$@"\n')
    launcher.chmod(0o755)
    write_state(folder, state)


def write_state(folder: Path, state: dict[str, Any]) -> None:
    (folder / "state.json").write_text(json.dumps(state))


def run_make(
    project: Path, folder: Path, variable_prefix: str, *arguments: str, **environment: str
) -> MakeRun:
    """`make <arguments>` in ``project`` with the stand-in of ``folder`` first on PATH."""
    log = folder / "calls.jsonl"
    log.unlink(missing_ok=True)
    env = {
        **os.environ,
        **environment,
        "PATH": f"{folder / 'bin'}{os.pathsep}{os.environ['PATH']}",
        f"{variable_prefix}_STATE": str(folder / "state.json"),
        f"{variable_prefix}_LOG": str(log),
    }
    done = subprocess.run(
        ["make", "--no-print-directory", *arguments],
        cwd=project,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    calls = [json.loads(line) for line in log.read_text().splitlines()] if log.exists() else []
    state = json.loads((folder / "state.json").read_text())
    return MakeRun(done.returncode, done.stdout + done.stderr, calls, state)
