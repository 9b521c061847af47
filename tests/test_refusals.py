"""Bad input through the CLI: refused with exit 2, one message naming the fault, nothing written.

Every case fails before copier writes a file; most fail before copier is even imported. The
questions are the real bundled template's: the message must name the question, whatever the
rule's wording.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from typer.testing import CliRunner

from conftest import TemplateFactory, answers, git
from mlhier import api
from mlhier.cli import app

pytestmark = pytest.mark.usefixtures("isolated_git")


@pytest.fixture(scope="module")
def devops_project(short_tmp_module: Path) -> Path:
    """One committed devops project that the `add` cases try to extend and must leave alone."""
    project = short_tmp_module / "demo"
    api.new_project(project, defaults=True, lock=False)
    return project


@pytest.fixture
def world(short_tmp: Path) -> Path:
    """Files and folders the cases point at."""
    tmp_path = short_tmp
    (tmp_path / "a-file.txt").write_text("not a folder\n")
    (tmp_path / "busy").mkdir()
    (tmp_path / "busy" / "notes.txt").write_text("mine\n")
    (tmp_path / "empty").mkdir()
    (tmp_path / "plain").mkdir()
    (tmp_path / "plain" / "README.md").write_text("# no copier.yml here\n")
    files = {
        "latin1.yml": "zone_raw: caf\xe9\n".encode("latin-1"),
        "broken.yml": b"project_name: [unclosed\n",
        "list.yml": b"- project_name\n- demo\n",
        "scalar.yml": b"just some words\n",
        "numeric.yml": b"1: one\n",
        "locked.yml": b"project_name: demo\n",
    }
    for name, content in files.items():
        (tmp_path / name).write_bytes(content)
    (tmp_path / "locked.yml").chmod(0)
    return tmp_path


NEW = ["new", "{tmp}/demo", "--defaults", "--no-lock", "--up-to", "devops"]
ADD = ["add", "data", "--path", "{project}", "--defaults", "--no-lock"]

# (id, arguments, what the first line must say)
CASES: list[tuple[str, list[str], str]] = [
    # every question of the devops layer, bundled template
    ("project_name", [*NEW, "-d", "project_name=Bad Name"], "project_name"),
    ("project_name-folder", ["new", "{tmp}/Bad_Name", "--defaults"], "project_name"),
    ("package_name-digit", [*NEW, "-d", "package_name=1demo"], "package_name"),
    ("package_name-upper", [*NEW, "-d", "package_name=Demo"], "package_name"),
    ("description-empty", [*NEW, "-d", "description="], "description"),
    ("author_name", [*NEW, "-d", "author_name=<root>"], "author_name"),
    ("author_email", [*NEW, "-d", "author_email=nobody"], "author_email"),
    ("python_version", [*NEW, "-d", "python_version=3.10"], "python_version"),
    ("aws_region", [*NEW, "-d", "aws_region=mars"], "aws_region"),
    ("aws_account_id", [*NEW, "-d", "aws_account_id=12345"], "aws_account_id"),
    ("github_org", [*NEW, "-d", "github_org=-org"], "github_org"),
    ("github_repo", [*NEW, "-d", "github_repo=.."], "github_repo"),
    ("license", [*NEW, "-d", "license=GPL-3.0"], "license"),
    ("code_owners", [*NEW, "-d", "code_owners=@my-org"], "code_owners"),
    # every question of the data layer, added to a devops project
    ("org_name", [*ADD, "-d", "org_name=Big Co"], "org_name"),
    ("zone_raw", [*ADD, "-d", "zone_raw=logs"], "zone_raw"),
    ("zone_stage", [*ADD, "-d", "zone_stage=r"], "zone_stage"),
    ("zone_curated", [*ADD, "-d", "zone_curated=9x"], "zone_curated"),
    # a trailing newline passes `$`: every rule matches the whole value
    ("package_name-newline", [*NEW, "-d", "package_name=demo\n"], "package_name"),
    ("aws_account_id-newline", [*NEW, "-d", "aws_account_id=123456789012\n"], "aws_account_id"),
    ("zone_raw-newline", [*ADD, "-d", "zone_raw=raw\n"], "zone_raw"),
    # the per-environment identity questions
    ("aws_account_id_dev", [*NEW, "-d", "aws_account_id_dev=1"], "aws_account_id_dev"),
    ("monthly_budget_usd", [*NEW, "-d", "monthly_budget_usd=-5"], "monthly_budget_usd"),
    # the data layer's copies of devops answers are not the user's to give
    (
        "project_name_data",
        [*NEW, "--up-to", "data", "-d", "project_name_data=x"],
        "answer project_name",
    ),
    ("package_name_data", [*ADD, "-d", "package_name_data=x"], "package_name_data is copied"),
    ("python_version_data", [*ADD, "-d", "python_version_data=3.12"], "python_version_data is"),
    ("aws_region_data", [*ADD, "-d", "aws_region_data=us-east-1"], "aws_region_data is copied"),
    ("aws_account_id_data", [*ADD, "-d", "aws_account_id_data=1"], "aws_account_id_data is"),
    ("github_org_data", [*ADD, "-d", "github_org_data=x"], "github_org_data is copied"),
    # --data syntax and keys
    ("no-equals", [*NEW, "-d", "novalue"], "must look like KEY=VALUE"),
    ("empty-key", [*NEW, "-d", "=demo"], "must look like KEY=VALUE"),
    ("typo", [*NEW, "-d", "projectname=abc"], "did you mean project_name?"),
    ("unknown", [*NEW, "-d", "colour=blue"], "unknown question 'colour'"),
    ("private", [*NEW, "-d", "_src_path=/elsewhere"], "copier's own setting"),
    ("layer", [*NEW, "-d", "layer=data"], "layer is chosen by mlhier"),
    ("above-up-to", [*NEW, "-d", "zone_curated=curated"], "above the devops layer"),
    ("add-lower-key", [*ADD, "-d", "project_name=other"], "already applied"),
    # --data-file contents
    ("file-missing", [*NEW, "--data-file", "{tmp}/nope.yml"], "does not exist"),
    ("file-folder", [*NEW, "--data-file", "{tmp}/empty"], "is a folder"),
    ("file-latin1", [*NEW, "--data-file", "{tmp}/latin1.yml"], "is not UTF-8"),
    ("file-not-yaml", [*NEW, "--data-file", "{tmp}/broken.yml"], "is not valid YAML"),
    ("file-list", [*NEW, "--data-file", "{tmp}/list.yml"], "holds a list"),
    ("file-scalar", [*NEW, "--data-file", "{tmp}/scalar.yml"], "holds a str"),
    ("file-numeric-key", [*NEW, "--data-file", "{tmp}/numeric.yml"], "key 1 is not"),
    ("file-unreadable", [*NEW, "--data-file", "{unreadable}"], "cannot be read"),
    # paths
    ("new-into-file", ["new", "{tmp}/a-file.txt", "--defaults"], "is a file"),
    ("new-into-busy", ["new", "{tmp}/busy", "--defaults"], "exists and is not empty"),
    ("new-no-parent", ["new", "{tmp}/no/demo", "--defaults"], "does not exist"),
    ("add-no-path", ["add", "data", "--path", "{tmp}/nope", "--defaults"], "does not exist"),
    ("add-path-file", ["add", "data", "--path", "{tmp}/a-file.txt"], "is a file"),
    ("add-no-devops", ["add", "data", "--path", "{tmp}/empty"], "needs the devops layer"),
    # templates and refs
    ("template-empty", [*NEW, "--template", "{tmp}/empty"], "is empty"),
    ("template-plain", [*NEW, "--template", "{tmp}/plain"], "has no copier.yml"),
    ("template-missing", [*NEW, "--template", "{tmp}/nope"], "does not exist"),
    ("ref-bundled", [*NEW, "--vcs-ref", "v1"], "--vcs-ref needs --template"),
    ("ref-not-git", [*NEW, "--template", "{tmp}/plain", "--vcs-ref", "v1"], "not a git"),
    ("ref-unknown", [*NEW, "--template", "{template}", "--vcs-ref", "v9"], "not a tag or commit"),
    # layers and add
    ("up-to-unknown", [*NEW, "--up-to", "nope"], "unknown layer 'nope'"),
    ("up-to-absent", ["new", "{tmp}/d", "--template", "{template}"], "no platform layer"),
    ("add-platform-no-data", ["add", "platform", "--path", "{project}"], "needs the data layer"),
    ("add-unknown", ["add", "foo"], "unknown layer 'foo'"),
    ("add-base", ["add", "devops", "--path", "{project}"], "devops is the base layer"),
    ("add-mlops-no-platform", ["add", "mlops", "--path", "{project}"], "needs the platform layer"),
    # update
    ("update-no-path", ["update", "--path", "{tmp}/nope"], "does not exist"),
    ("update-file", ["update", "--path", "{tmp}/a-file.txt"], "is a file"),
    ("update-not-generated", ["update", "--path", "{tmp}/empty"], "not generated by mlhier"),
    ("update-bad-ref", ["update", "--path", "{generated}", "--vcs-ref", "v9"], "not a tag"),
]


def _tree(root: Path) -> list[str]:
    return sorted(str(path.relative_to(root)) for path in root.rglob("*"))


# A question's own rule runs inside copier (about 0.35 s a case here): those rows run with the
# slow tests, so the fast suite keeps its 30 s budget; every other row fails before copier runs.
_COPIER_ROWS = 21


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        pytest.param(a, n, id=i, marks=[pytest.mark.slow] if row < _COPIER_ROWS else [])
        for row, (i, a, n) in enumerate(CASES)
    ],
)
def test_bad_input_is_refused_in_one_line(
    runner: CliRunner,
    world: Path,
    devops_project: Path,
    make_template: TemplateFactory,
    args: list[str],
    needle: str,
) -> None:
    places = {"tmp": str(world), "project": str(devops_project)}
    if "{unreadable}" in args:
        # root reads a file whatever its mode; the kernel's view of memory refuses a plain read
        as_root = os.geteuid() == 0 and Path("/proc/self/mem").exists()
        places["unreadable"] = "/proc/self/mem" if as_root else str(world / "locked.yml")
    if any("{template}" in a or "{generated}" in a for a in args):
        template = make_template()
        places["template"] = str(template)
        generated = world / "generated"
        new = ["new", str(generated), "--defaults", "--up-to", "devops"]
        runner.invoke(app, [*new, "--template", str(template)])
        places["generated"] = str(generated)
    argv = [arg.format(**places) for arg in args]
    touches_project = "{project}" in args
    before = _tree(world)
    head = git(devops_project, "rev-parse", "HEAD") if touches_project else ""

    result = runner.invoke(app, argv)

    output = result.output
    assert result.exit_code == 2, output
    assert "Traceback" not in output
    assert all(len(line) <= 80 for line in output.splitlines()), output
    lines = [line for line in output.splitlines() if not line.startswith("mlhier: ")]
    assert lines[0].startswith("error: ")
    # The message is one sentence, wrapped at 80 columns; a hint may follow on its own line.
    message = " ".join(line.strip() for line in lines if not line.startswith("hint: "))
    assert needle in message
    assert message.count("error: ") == 1
    assert _tree(world) == before
    if touches_project:
        assert git(devops_project, "status", "--porcelain", "--untracked-files=all") == ""
        assert git(devops_project, "rev-parse", "HEAD") == head


def test_good_edge_values_are_accepted(runner: CliRunner, tmp_path: Path) -> None:
    edges = {
        "project_name": "a-1",  # shortest name, digit after a hyphen
        "package_name": "a" * 40,  # longest package name
        "description": "d" * 200,  # longest description
        "author_email": "first.last+ml@mail.example.co.uk",
        "aws_region": "us-gov-west-1",
        "aws_account_id": "000000000000",
        "github_org": "a-b-c",
        "github_repo": "my.repo_name-2",
    }
    args = ["new", str(tmp_path / "edge"), "--defaults", "--no-lock"]
    for key, value in edges.items():
        args += ["-d", f"{key}={value}"]

    result = runner.invoke(app, args)

    assert result.exit_code == 0, result.output
    recorded = answers(tmp_path / "edge", "devops")
    assert {key: recorded[key] for key in edges} == edges


@pytest.mark.slow  # copier renders the whole data layer
def test_good_data_layer_edges_are_accepted(runner: CliRunner, devops_project: Path) -> None:
    edges = {"org_name": "a1", "zone_raw": "r2", "zone_stage": "s" * 12, "zone_curated": "gold"}
    args = ["add", "data", "--path", str(devops_project), "--defaults", "--pretend"]
    for key, value in edges.items():
        args += ["-d", f"{key}={value}"]

    result = runner.invoke(app, args)

    assert result.exit_code == 0, result.output
    assert "the data layer would write" in result.output
    assert "nothing was written" in result.output
    assert git(devops_project, "status", "--porcelain") == ""
    assert not (devops_project / ".copier-answers.data.yml").exists()
