"""`mlhier adopt`: answers read back from a project's files, recorded so `mlhier update` works."""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

import plumbum
import pytest
from typer.testing import CliRunner

from conftest import (
    REPO_ROOT,
    TOY_LAYERS,
    TemplateFactory,
    answers,
    commit_and_tag,
    flat,
    git,
    write_tree,
)
from mlhier import TemplateSource, new_project, update_project, user_source
from mlhier._source import UPSTREAM_URL
from mlhier.api import Adoption, adopt, plan_adopt
from mlhier.cli import app
from mlhier.errors import DeclinedError

# The toy layers, with a line that renders two devops answers and a second data question.
V1: dict[str, str] = {
    **TOY_LAYERS,
    "templates/devops/project/AUTHORS.jinja": "{{ author_name }} <{{ author_email }}>\n",
    "templates/data/project/mk/data.mk.jinja": (
        "# lake of {{ project_name_data }}: {{ zone }}\nzone := {{ zone }}\n"
    ),
}
# Answers other than the defaults: each must be read back from the files.
GIVEN = {
    "project_name": "churn",
    "author_name": "Ada Lovelace",
    "author_email": "ada@example.org",
    "zone": "bronze",
}
ANSWERS_FILES = (".copier-answers.devops.yml", ".copier-answers.data.yml")


def toy_template(root: Path) -> Path:
    repo = root / "template"
    repo.mkdir()
    shutil.copy2(REPO_ROOT / "copier.yml", repo / "copier.yml")
    write_tree(repo, V1)
    git(repo, "init", "--quiet", "--initial-branch=main")
    commit_and_tag(repo, "v1")
    return repo


def lose_answers(project: Path) -> None:
    git(project, "rm", "--quiet", *ANSWERS_FILES)
    git(project, "commit", "--quiet", "-m", "The answers files were lost")


@pytest.fixture(scope="module")
def toy(short_tmp_module: Path) -> tuple[Path, Path]:
    """The toy template at v1 and a devops + data project from it, answers files deleted.

    Shared by the fast tests, which must leave the project as they found it.
    """
    template = toy_template(short_tmp_module)
    project = short_tmp_module / "p"
    source = user_source(str(template), "v1")
    new_project(project, up_to="data", data=GIVEN, defaults=True, source=source, lock=False)
    lose_answers(project)
    return template, project


def test_answers_are_read_back_as_they_were_given(toy: tuple[Path, Path]) -> None:
    template, project = toy

    adoption = plan_adopt(project, template=str(template))

    devops, data = adoption.layers
    assert dict(devops.answers) == {key: GIVEN[key] for key in devops.answers}
    assert dict(data.answers) == {"project_name_data": "churn", "zone": "bronze"}
    assert devops.origins == dict.fromkeys(devops.answers, "read")
    assert data.origins == {"project_name_data": "below", "zone": "read"}
    assert (adoption.source, adoption.version, adoption.differing_lines) == (str(template), "v1", 0)
    assert git(project, "status", "--porcelain") == ""  # planning writes nothing


def test_a_given_answer_wins_over_the_files(toy: tuple[Path, Path]) -> None:
    template, project = toy

    adoption = plan_adopt(project, template=str(template), data={"zone": "silver"})

    assert adoption.layers[1].answers["zone"] == "silver"
    assert adoption.layers[1].origins["zone"] == "given"
    assert adoption.differing_lines == 2  # the two lines that render the zone


def test_declined_at_the_confirmation_nothing_is_written(toy: tuple[Path, Path]) -> None:
    template, project = toy
    adoption = plan_adopt(project, template=str(template))
    shown: list[str] = []

    def decline(seen: Adoption) -> bool:
        shown.append(seen.version)
        return False

    with pytest.raises(DeclinedError, match="declined: nothing was written"):
        adopt(adoption, confirm=decline)

    assert shown == ["v1"]
    assert git(project, "status", "--porcelain") == ""
    assert git(project, "log", "-1", "--format=%s") == "The answers files were lost\n"


def test_an_answer_no_layer_asks_is_refused(runner: CliRunner, toy: tuple[Path, Path]) -> None:
    template, project = toy
    arguments = ["--path", str(project), "--template", str(template), "--yes"]

    result = runner.invoke(app, ["adopt", *arguments, "--data", "colour=blue"])

    assert result.exit_code == 2
    assert "--data colour: no layer found in the project asks it" in flat(result.output)


def test_adopt_without_a_terminal_asks_for_yes(runner: CliRunner, toy: tuple[Path, Path]) -> None:
    template, project = toy

    result = runner.invoke(app, ["adopt", "--path", str(project), "--template", str(template)])

    assert result.exit_code == 2
    assert "no terminal to confirm the answers on" in flat(result.output)
    assert "pass --yes" in flat(result.output)


def test_adopt_refuses_uncommitted_changes(runner: CliRunner, toy: tuple[Path, Path]) -> None:
    template, project = toy
    notes = project / "NOTES.md"
    notes.write_text("work in progress\n")
    try:
        result = runner.invoke(
            app, ["adopt", "--path", str(project), "--template", str(template), "--yes"]
        )
    finally:
        notes.unlink()

    assert result.exit_code == 2
    assert "has uncommitted changes (NOTES.md)" in flat(result.output)


def test_adopt_refuses_a_folder_outside_git(runner: CliRunner, short_tmp: Path) -> None:
    result = runner.invoke(app, ["adopt", "--path", str(short_tmp), "--yes"])

    assert result.exit_code == 2
    assert f"{short_tmp} is not a git repository" in flat(result.output)


def test_adopt_refuses_a_project_with_answers_files(
    runner: CliRunner, short_tmp: Path, toy: tuple[Path, Path]
) -> None:
    template, _ = toy
    project = short_tmp / "p"
    project.mkdir()
    (project / ".copier-answers.devops.yml").write_text("_commit: v1\n")
    git(project, "init", "--quiet")

    result = runner.invoke(
        app, ["adopt", "--path", str(project), "--template", str(template), "--yes"]
    )

    assert result.exit_code == 2
    said = flat(result.output)
    assert "is already adopted: it holds .copier-answers.devops.yml" in said
    assert "mlhier update" in said


def test_adopt_refuses_a_project_with_no_layer_it_recognises(
    runner: CliRunner, short_tmp: Path, toy: tuple[Path, Path]
) -> None:
    template, _ = toy
    project = short_tmp / "p"
    project.mkdir()
    (project / "notes.txt").write_text("not from a template\n")
    git(project, "init", "--quiet")
    git(project, "add", "--all")
    git(project, "commit", "--quiet", "-m", "notes")

    result = runner.invoke(
        app, ["adopt", "--path", str(project), "--template", str(template), "--yes"]
    )

    assert result.exit_code == 2
    assert "holds no layer mlhier recognises" in flat(result.output)
    assert git(project, "log", "--format=%s") == "notes\n"


def test_adopt_refuses_an_unknown_version(runner: CliRunner, toy: tuple[Path, Path]) -> None:
    template, project = toy
    arguments = ["--path", str(project), "--template", str(template), "--yes"]

    result = runner.invoke(app, ["adopt", *arguments, "--vcs-ref", "v9"])

    assert result.exit_code == 2
    assert f"--vcs-ref v9 is not a tag or commit of {template}" in flat(result.output)


@pytest.mark.slow
@pytest.mark.usefixtures("isolated_git")
def test_an_adopted_project_is_kept_current_by_update(
    runner: CliRunner, make_template: TemplateFactory, short_tmp: Path
) -> None:
    template = make_template(V1)
    project = short_tmp / "p"
    source = user_source(str(template), "v1")
    new_project(project, up_to="data", data=GIVEN, defaults=True, source=source, lock=False)
    recorded = {layer: answers(project, layer) for layer in ("devops", "data")}
    # The user's own work: a line the template does not render, and a file of their own.
    (project / "Makefile").write_text("include mk/*.mk\n\nlint:\n\truff check\n")
    (project / "NOTES.md").write_text("ours\n")
    git(project, "add", "--all")
    git(project, "commit", "--quiet", "-m", "Our own work")
    lose_answers(project)
    # A newer release exists; the project is still at v1.
    make_template(
        {"templates/devops/project/README.md.jinja": "# {{ project_name }}\n\nFrom v2.\n"},
        tag="v2",
    )
    head = git(project, "rev-parse", "HEAD").strip()

    result = runner.invoke(
        app, ["adopt", "--path", str(project), "--template", str(template), "--yes"]
    )

    assert result.exit_code == 0, result.output
    assert "adopted at v1" in flat(result.output)
    for layer, before in recorded.items():
        assert answers(project, layer) == before
    assert git(project, "diff", "--name-only", head, "HEAD").split() == sorted(ANSWERS_FILES)
    assert git(project, "log", "-1", "--format=%s").startswith("Adopt the project into mlhier")
    assert git(project, "status", "--porcelain") == ""

    updated = runner.invoke(app, ["update", "--path", str(project)])

    assert updated.exit_code == 0, updated.output
    assert (project / "README.md").read_text() == "# churn\n\nFrom v2.\n"
    assert (project / "Makefile").read_text() == "include mk/*.mk\n\nlint:\n\truff check\n"
    assert (project / "NOTES.md").read_text() == "ours\n"
    assert (project / "mk/data.mk").read_text() == "# lake of churn: bronze\nzone := bronze\n"
    assert answers(project, "devops")["_commit"] == "v2"
    assert answers(project, "data")["_commit"] == "v2"
    assert git(project, "status", "--porcelain") == ""


@pytest.mark.slow
@pytest.mark.usefixtures("isolated_git")
def test_the_answers_of_a_project_from_the_bundled_templates_are_read_back() -> None:
    """Every answer that is not a default, of both shipped layers, read from the real files."""
    given = {
        "project_name": "churn-model",
        "package_name": "churnpkg",
        "description": "Predicts churn",
        "author_name": "Ada Lovelace",
        "author_email": "ada@example.org",
        "python_version": "3.12",
        "aws_region": "us-east-2",
        "aws_account_id": "210987654321",
        "aws_account_id_prod": "333333333333",
        "github_org": "acme",
        "github_repo": "churn",
        "monthly_budget_usd": 250,
        "org_name": "acmeco",
        "zone_raw": "bronze",
        "zone_stage": "silver",
        "zone_curated": "gold",
    }
    parent = Path(tempfile.mkdtemp(prefix="mh-"))
    try:
        project = parent / "churn"
        new_project(project, up_to="data", data=given, defaults=True, lock=False)
        recorded = {layer: answers(project, layer) for layer in ("devops", "data")}
        lose_answers(project)

        adoption = plan_adopt(project)

        for adopted in adoption.layers:
            before = recorded[adopted.layer.name]
            own = {key: value for key, value in before.items() if key[0] != "_" and key != "layer"}
            assert dict(adopted.answers) == own
        assert adoption.differing_lines == 0
        adopt(adoption)
        for layer in ("devops", "data"):
            assert answers(project, layer) == recorded[layer]
    finally:
        shutil.rmtree(parent, ignore_errors=True)


@pytest.mark.slow
@pytest.mark.usefixtures("isolated_git")
def test_adopted_from_the_template_history_inside_mlhier_it_updates_with_no_network(
    make_template: TemplateFactory, short_tmp: Path
) -> None:
    """No --template: the releases come from the history mlhier carries, recorded as upstream."""
    template = make_template(V1)
    project = short_tmp / "p"
    source = TemplateSource(str(template), "v1", record=(UPSTREAM_URL, "v1"))
    new_project(project, up_to="data", data=GIVEN, defaults=True, source=source, lock=False)
    recorded = {layer: answers(project, layer) for layer in ("devops", "data")}
    lose_answers(project)
    make_template({"templates/devops/project/SECURITY.md": "from v2\n"}, tag="v2")
    history = short_tmp / "templates.bundle"
    git(template, "bundle", "create", "--quiet", str(history), "--all")

    with plumbum.local.env(GIT_ALLOW_PROTOCOL="file"):  # the public repository is unreachable
        adopt(plan_adopt(project, history=history))
        for layer, before in recorded.items():
            assert answers(project, layer) == before
        done = update_project(project, history=history)

    assert [(step.before, step.after) for step in done] == [("v1", "v2"), ("v1", "v2")]
    assert (project / "SECURITY.md").read_text() == "from v2\n"
    assert (project / "mk/data.mk").read_text() == "# lake of churn: bronze\nzone := bronze\n"
