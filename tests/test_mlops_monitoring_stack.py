"""All four layers: `make pipeline && make monitor` work locally end to end, and a drifted sample
trips the drift check where a clean one does not.

Slow: on the session's full-stack project (tests/conftest.py `full_stack`).
"""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest
from generated import run

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("generated-projects")]


@pytest.fixture
def project(full_stack: Path) -> Path:
    """The session's full stack with the sample ingested and a model trained (both idempotent)."""
    run(full_stack, "make", "ingest")
    run(full_stack, "make", "pipeline")
    return full_stack


def _sample(project: Path, path: Path, shift: float) -> Path:
    """The baseline's feature rows as bare CSV, the first half of the features shifted by ``shift``
    times their value (0: the training data itself)."""
    (reference,) = (project / ".pipeline" / "runs").rglob("reference.parquet")
    script = (
        "import sys, pandas as pd\n"
        "frame = pd.read_parquet(sys.argv[1]).drop(columns=['target', 'prediction'])\n"
        "half = list(frame.columns[: len(frame.columns) // 2 + 1])\n"
        "frame[half] = frame[half] * (1 + float(sys.argv[3]))\n"
        "frame.to_csv(sys.argv[2], header=False, index=False)\n"
    )
    run(
        project,
        "uv",
        "run",
        "--no-sync",
        "python",
        "-c",
        script,
        str(reference),
        str(path),
        str(shift),
    )
    with path.open(encoding="utf-8") as rows:
        assert len(list(csv.reader(rows))) > 30
    return path


def test_make_monitor_writes_its_reports_to_the_lake(project: Path) -> None:
    out = run(project, "make", "monitor")

    assert "input_drift: passed" in out
    assert "model_quality: passed" in out
    (report,) = (project / ".lake" / "curated" / "monitoring").rglob("report.json")
    assert json.loads(report.read_text())["passed"] is True
    assert (report.parent / "report.html").stat().st_size > 10_000


def test_a_drifted_sample_trips_the_drift_check_and_a_clean_one_does_not(
    project: Path, tmp_path: Path
) -> None:
    clean = run(project, "make", "monitor", f"SAMPLE={_sample(project, tmp_path / 'clean.csv', 0)}")
    drifted_sample = _sample(project, tmp_path / "drifted.csv", 0.6)
    drifted = run(project, "make", "monitor", f"SAMPLE={drifted_sample}")

    assert "input_drift: passed" in clean
    assert "input_drift: FAILED" in drifted
    assert "model_quality: not run (no labels)" in drifted
