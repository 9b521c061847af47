"""The full stack (all four layers, `mlhier new`'s default) is green out of the box and works here.

Slow: one generated project for the whole module (the SageMaker SDK it installs is about 1 GB;
uv's cache makes the install a copy after the first time).
"""

from __future__ import annotations

import hashlib
import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from generated import ENV, assert_every_checker_ran_clean, make_check, run

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("generated-projects")]

STEPS = {"Process", "Train", "Evaluate", "CheckAccuracy"}


@pytest.fixture
def stack(full_stack: Path) -> Path:
    return full_stack


def digests(folder: Path) -> dict[str, str]:
    return {
        str(path.relative_to(folder)): hashlib.sha256(path.read_bytes()).hexdigest()
        for path in sorted(folder.rglob("*"))
        if path.is_file() and path.name != ".gitignore"
    }


def test_full_stack_make_check_passes_and_formatting_changes_nothing(stack: Path) -> None:
    # Its checkers lint every layer's infra/*.yaml and .github/workflows/*.yml with the rest.
    assert_every_checker_ran_clean(make_check(stack))
    run(stack, "make", "format")

    assert run(stack, "git", "status", "--porcelain") == ""


def test_pipeline_runs_on_the_local_lake_with_the_same_bytes_twice(stack: Path) -> None:
    run(stack, "make", "ingest")

    first = run(stack, "make", "pipeline")
    outputs = digests(stack / ".pipeline")
    second = run(stack, "make", "pipeline")

    assert digests(stack / ".pipeline") == outputs
    assert first.splitlines()[-5:] == second.splitlines()[-5:]
    names = set(outputs)
    assert any(name.endswith("model/model.joblib") for name in names)
    assert any(name.endswith("evaluation/evaluation.json") for name in names)
    assert any(name.endswith("evaluation/report.md") for name in names)
    assert any(name.startswith("registry/demo-local-models/") for name in names)
    assert "registry:" in first
    assert run(stack, "git", "status", "--porcelain") == ""


def test_pipeline_definition_is_built_offline_the_same_twice(stack: Path) -> None:
    # No credentials, and any connection out would go to a closed port.
    offline = {name: value for name, value in ENV.items() if not name.startswith("AWS_")}
    offline |= {"HTTPS_PROXY": "http://127.0.0.1:9", "HTTP_PROXY": "http://127.0.0.1:9"}

    run(stack, "make", "pipeline-definition", env=offline)
    first = digests(stack / "build" / "pipeline")
    run(stack, "make", "pipeline-definition", env=offline)

    assert digests(stack / "build" / "pipeline") == first
    assert set(first) == {"dev.json", "staging.json", "prod.json"}
    definition = json.loads((stack / "build" / "pipeline" / "dev.json").read_text())
    assert {step["Name"] for step in definition["Steps"]} == STEPS
    (condition,) = [step for step in definition["Steps"] if step["Type"] == "Condition"]
    assert [step["Type"] for step in condition["Arguments"]["IfSteps"]] == ["RegisterModel"]
    assert [step["Type"] for step in condition["Arguments"]["ElseSteps"]] == ["Fail"]


MOTO_SCRIPT = """
import json, sys
import boto3
from moto.server import ThreadedMotoServer
from demo_platform.cli import main
from demo_platform.config import PlatformConfig

server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
server.start()
host, port = server.get_host_and_port()
import os
os.environ["AWS_ENDPOINT_URL"] = f"http://{host}:{port}"
config = PlatformConfig.load(__import__("pathlib").Path("config/platform.yaml"))
boto3.client("s3", region_name=config.region).create_bucket(
    Bucket=config.bucket("dev"), CreateBucketConfiguration={"LocationConstraint": config.region}
)
assert main(["upsert", "--env", "dev"]) == 0
sagemaker = boto3.client("sagemaker", region_name=config.region)
described = sagemaker.describe_pipeline(PipelineName=config.pipeline_name("dev"))
execution = sagemaker.start_pipeline_execution(
    PipelineName=config.pipeline_name("dev"),
    PipelineParameters=[{"Name": "ImageDigest", "Value": "sha256:" + "0" * 64}],
)
status = sagemaker.describe_pipeline_execution(
    PipelineExecutionArn=execution["PipelineExecutionArn"]
)
server.stop()
sys.stderr.write(json.dumps({
    "definition": json.loads(described["PipelineDefinition"]),
    "role": described["RoleArn"],
    "status": status["PipelineExecutionStatus"],
}))
"""


def test_the_pipeline_is_created_in_a_sagemaker_api_and_an_execution_starts(stack: Path) -> None:
    env = ENV | {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_SESSION_TOKEN": "testing",
        "AWS_EC2_METADATA_DISABLED": "true",
    }
    done = subprocess.run(
        ["uv", "run", "--no-sync", "python", "-c", MOTO_SCRIPT],
        cwd=stack,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr

    result = json.loads(done.stderr.strip().splitlines()[-1])
    run(stack, "make", "pipeline-definition")
    built = json.loads((stack / "build" / "pipeline" / "dev.json").read_text())
    assert result["definition"] == built
    assert result["role"] == "arn:aws:iam::123456789012:role/demo-dev-sagemaker-execution"
    assert result["status"] in {"Executing", "Succeeded"}


# The first two rows of the wine data (classes 0 and 2), in the model's feature order.
WINE_FEATURES = [
    "alcohol",
    "malic_acid",
    "ash",
    "alcalinity_of_ash",
    "magnesium",
    "total_phenols",
    "flavanoids",
    "nonflavanoid_phenols",
    "proanthocyanins",
    "color_intensity",
    "hue",
    "od280_od315_of_diluted_wines",
    "proline",
]
WINE_ROWS = [
    [14.23, 1.71, 2.43, 15.6, 127.0, 2.8, 3.06, 0.28, 2.29, 5.64, 1.04, 3.92, 1065.0],
    [13.17, 2.59, 2.37, 20.0, 120.0, 1.65, 0.68, 0.53, 1.46, 9.3, 0.6, 1.62, 840.0],
]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def call(url: str, body: bytes | None = None, content_type: str = "") -> tuple[int, object]:
    headers = {"Content-Type": content_type} if content_type else {}
    request = urllib.request.Request(url, data=body, headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


def wait_for_ping(url: str, server: subprocess.Popen[str]) -> None:
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        assert server.poll() is None, f"make serve ended:\n{server.communicate()[0]}"
        try:
            if call(f"{url}/ping")[0] == 200:
                return
        except OSError:
            time.sleep(0.5)
    pytest.fail(f"{url}/ping did not answer within 120 s")


def test_make_serve_answers_sagemakers_protocol_with_the_latest_model(stack: Path) -> None:
    run(stack, "make", "ingest")
    run(stack, "make", "pipeline")
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    with subprocess.Popen(
        ["make", "serve", f"PORT={port}"],
        cwd=stack,
        env=ENV,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,  # its own process group: make, uv and the server stop together
    ) as server:
        try:
            wait_for_ping(url, server)
            csv = "".join(",".join(map(str, row)) + "\n" for row in WINE_ROWS).encode()
            by_csv = call(f"{url}/invocations", csv, "text/csv")
            instances = [dict(zip(WINE_FEATURES, row, strict=True)) for row in WINE_ROWS]
            body = json.dumps({"instances": instances}).encode()
            by_json = call(f"{url}/invocations", body, "application/json")
            refused = call(f"{url}/invocations", b"x", "text/plain")
        finally:
            os.killpg(server.pid, signal.SIGTERM)
            server.communicate(timeout=30)

    assert by_csv == (200, {"predictions": [0, 2]})
    assert by_json == by_csv
    assert refused[0] == 415


def test_make_score_writes_predictions_with_lineage_to_the_lake(stack: Path) -> None:
    run(stack, "make", "ingest")
    run(stack, "make", "pipeline")

    printed = run(stack, "make", "score")

    report = json.loads(printed[printed.index("{") :])
    assert report["table"] == "demo_curated_dev.sklearn_wine_predictions"
    assert report["rows"] == 178
    lineage = report["lineage"]
    assert lineage["model_package"].startswith("demo-local-models/")
    assert lineage["input_table"] == "demo_curated_dev.sklearn_wine"
    assert lineage["input_partition"] == report["partition"]
    assert (stack / ".lake" / "curated" / "sklearn" / "wine-predictions").is_dir()
    assert run(stack, "git", "status", "--porcelain") == ""


def test_add_platform_to_a_data_project_relocks_and_commits(tmp_path: Path) -> None:
    run(tmp_path, sys.executable, "-m", "mlhier", "new", "demo", "--defaults", "--up-to", "data")
    project = tmp_path / "demo"

    run(project, sys.executable, "-m", "mlhier", "add", "platform", "--defaults")

    assert run(project, "git", "status", "--porcelain") == ""
    assert run(project, "git", "log", "-1", "--format=%s").startswith("Add the platform layer")
    lock = (project / "uv.lock").read_text()
    assert 'name = "demo-platform"' in lock
    assert 'name = "sagemaker"' in lock
    run(project, "uv", "sync", "--locked", "--all-packages")
