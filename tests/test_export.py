"""`mlhier export cookiecutter`: a cookiecutter template that makes what `mlhier new` makes."""

from __future__ import annotations

import json
import shutil
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pytest
import yaml
from typer.testing import CliRunner

from conftest import (
    REPO_ROOT,
    TOY_LAYERS,
    commit_and_tag,
    copy_real_template,
    flat,
    git,
    write_tree,
)
from mlhier._export import PROJECT_FOLDER, export_cookiecutter
from mlhier._jinja_translate import translate
from mlhier._source import user_source
from mlhier.api import adopt, new_project, plan_adopt, update_project
from mlhier.cli import app
from mlhier.errors import GenerationError, InvalidInputError
from mlhier.layers import LADDER, layers_up_to

# The toy layers, with what a real template holds too: a file copier copies without rendering
# although it looks like Jinja, a path named by an answer, a file included by another, and a
# question asked only when another answer says so.
TOY: dict[str, str] = {
    **TOY_LAYERS,
    "templates/devops/project/.github/ci.yml": "run: ${{ github.ref }} {% raw %}\n",
    "templates/devops/project/src/{{ project_name | replace('-', '_') }}/__init__.py.jinja": (
        '"""{{ project_name }} by {{ author_name }}."""\n'
    ),
    "templates/data/questions.yml": TOY_LAYERS["templates/data/questions.yml"]
    + """\
retention_days:
  type: int
  when: "{{ layer == 'data' and zone == 'bronze' }}"
  default: 30
  validator: "{% if retention_days | int < 1 %}retention_days must be at least 1{% endif %}"
""",
    "templates/data/project/mk/data.mk.jinja": (
        "# lake of {{ project_name_data }}: {{ zone }}\n"
        '{% include "templates/data/project/mk/retention.txt" %}'
    ),
    "templates/data/project/mk/retention.txt": "{{ zone }} kept {{ retention_days }} days\n",
}
ANSWERS_FILES = (".copier-answers.devops.yml", ".copier-answers.data.yml")


@pytest.fixture(autouse=True)
def _own_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """cookiecutter keeps a replay of each run in the home folder: a throwaway one."""
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.delenv("COOKIECUTTER_CONFIG", raising=False)


def toy_template(root: Path) -> Path:
    folder = root / "template"
    folder.mkdir()
    shutil.copy2(REPO_ROOT / "copier.yml", folder / "copier.yml")
    write_tree(folder, TOY)
    return folder


def cookiecutter_project(template: Path, output: Path, answers: Mapping[str, Any]) -> Path:
    from cookiecutter.main import cookiecutter

    made = cookiecutter(
        str(template), no_input=True, extra_context=dict(answers), output_dir=str(output)
    )
    return Path(made)


def mlhier_project(
    parent: Path, up_to: str, answers: Mapping[str, Any], template: Path | None = None
) -> Path:
    project = parent / str(answers["project_name"])
    source = user_source(str(template), None) if template is not None else None
    new_project(project, up_to=up_to, data=answers, defaults=True, source=source, lock=False)
    return project


def tree(root: Path) -> dict[str, tuple[bytes, int]]:
    """Every file outside .git and the answers files: its bytes and its mode."""
    return {
        path.relative_to(root).as_posix(): (path.read_bytes(), path.stat().st_mode)
        for path in sorted(root.rglob("*"))
        if path.is_file()
        and ".git" not in path.relative_to(root).parts
        and not path.name.startswith(".copier-answers.")
    }


# --- the translation of copier's Jinja --------------------------------------------------------

NAMES = {"project_name": "cookiecutter.project_name", "zone_data": "cookiecutter.zone"}


def test_answers_are_read_under_cookiecutter_only_inside_tags() -> None:
    source = (
        "project_name {{ project_name }} {{ zone_data | upper }} {# project_name #}\n"
        "{% raw %}{{ project_name }}{% endraw %} {{ 'project_name' ~ x.project_name }}"
        "{{ f(project_name=zone_data) }}{%- if project_name -%}!{%- endif %}"
    )

    translated = translate(source, {**NAMES, "x": "cookiecutter.x", "f": "cookiecutter.f"}, "t")

    assert translated == (
        "project_name {{ cookiecutter.project_name }} {{ cookiecutter.zone | upper }}"
        " {# project_name #}\n"
        "{% raw %}{{ project_name }}{% endraw %}"
        " {{ 'project_name' ~ cookiecutter.x.project_name }}"
        "{{ cookiecutter.f(project_name=cookiecutter.zone) }}"
        "{%- if cookiecutter.project_name -%}!{%- endif %}"
    )


def test_a_name_the_template_sets_itself_stays_its_own() -> None:
    source = "{% for zone_data in ['a'] %}{{ zone_data }}{% endfor %}"

    assert translate(source, NAMES, "t") == source


def test_a_name_no_question_answers_is_refused() -> None:
    with pytest.raises(GenerationError, match=r"^t uses region: no exported question answers it"):
        translate("{{ project_name }}-{{ region }}", NAMES, "t")


def test_a_name_both_set_and_read_as_an_answer_is_refused() -> None:
    source = "{{ zone_data }}{% set zone_data = 'x' %}{{ zone_data }}"

    with pytest.raises(GenerationError, match="sets zone_data, also read as an answer"):
        translate(source, NAMES, "t")


@pytest.mark.parametrize(
    "source",
    ["{{ project_name | to_nice_yaml }}", "{% if 0 %}{{ project_name | to_nice_yaml }}{% endif %}"],
)
def test_a_filter_cookiecutter_lacks_is_refused(source: str) -> None:
    with pytest.raises(GenerationError, match="to_nice_yaml"):
        translate(source, NAMES, "t")


# --- the toy layers ---------------------------------------------------------------------------

GIVEN = {"project_name": "churn", "author_name": "Ada Lovelace", "zone": "bronze"}


@pytest.fixture(scope="module")
def toy_export(short_tmp_module: Path) -> tuple[Path, Path]:
    """The toy template folder and its cookiecutter export of the devops and data layers."""
    template = toy_template(short_tmp_module)
    export_cookiecutter(short_tmp_module / "export", up_to="data", template=template)
    return template, short_tmp_module / "export"


def test_the_export_asks_each_question_once(toy_export: tuple[Path, Path]) -> None:
    _, export = toy_export
    config = json.loads((export / "cookiecutter.json").read_text())

    questions = [name for name in config if not name.startswith("_")]

    # project_name_data copies the devops layer's answer: asked once, as project_name.
    assert questions == ["project_name", "author_name", "author_email", "zone", "retention_days"]
    assert config["retention_days"] == 30
    assert config["_copy_without_render"] == [".github/ci.yml", "Makefile", "mk/retention.txt"]
    assert (export / PROJECT_FOLDER / ".github/ci.yml").read_text() == TOY[
        "templates/devops/project/.github/ci.yml"
    ]


@pytest.mark.usefixtures("isolated_git")
@pytest.mark.parametrize(
    ("zone", "kept"), [("bronze", "bronze kept 30 days"), ("raw", "raw kept 30 days")]
)
def test_cookiecutter_makes_what_mlhier_makes(
    toy_export: tuple[Path, Path], short_tmp: Path, zone: str, kept: str
) -> None:
    """Asked (bronze) or not (raw), retention_days renders its default, as copier renders it."""
    template, export = toy_export
    given = {**GIVEN, "zone": zone}
    made = cookiecutter_project(export, short_tmp / "cookiecutter", given)
    generated = mlhier_project(short_tmp, "data", given, template)

    assert tree(made) == tree(generated)
    assert (made / "mk/data.mk").read_text() == f"# lake of churn: {zone}\n{kept}\n"
    assert (made / "src/churn/__init__.py").read_text() == '"""churn by Ada Lovelace."""\n'
    assert not any(made.glob(".copier-answers.*"))


def test_a_bad_answer_is_refused_in_the_hook_with_the_rule_message(
    toy_export: tuple[Path, Path], short_tmp: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    from cookiecutter.exceptions import FailedHookException

    template, export = toy_export
    with pytest.raises(InvalidInputError) as refused:
        mlhier_project(short_tmp, "data", {"project_name": "Churn"}, template)
    capfd.readouterr()

    with pytest.raises(FailedHookException):
        cookiecutter_project(export, short_tmp / "out", {"project_name": "Churn"})

    assert capfd.readouterr().err.splitlines() == [f"error: {refused.value}"]
    assert str(refused.value) == "project_name must be lowercase letters, digits and hyphens"
    assert not (short_tmp / "out" / "Churn").exists()


def test_a_question_not_asked_must_keep_its_default(
    toy_export: tuple[Path, Path], short_tmp: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    from cookiecutter.exceptions import FailedHookException

    _, export = toy_export
    with pytest.raises(FailedHookException):
        cookiecutter_project(export, short_tmp, {"zone": "raw", "retention_days": 7})

    error = capfd.readouterr().err.splitlines()
    assert error == ["error: retention_days is not asked here: leave it at its default, 30"]


def test_a_validator_of_a_question_asked_only_sometimes_still_runs(
    toy_export: tuple[Path, Path], short_tmp: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    from cookiecutter.exceptions import FailedHookException

    _, export = toy_export
    with pytest.raises(FailedHookException):
        cookiecutter_project(export, short_tmp, {**GIVEN, "retention_days": 0})

    assert capfd.readouterr().err.splitlines() == ["error: retention_days must be at least 1"]


def test_the_cli_writes_the_export_and_says_what_it_holds(
    runner: CliRunner, toy_export: tuple[Path, Path], short_tmp: Path
) -> None:
    template, _ = toy_export
    destination = short_tmp / "cc"
    arguments = [str(destination), "--up-to", "data", "--template", str(template)]

    result = runner.invoke(app, ["export", "cookiecutter", *arguments])

    assert result.exit_code == 0, result.output
    assert "exported the devops, data layers to" in flat(result.output)
    assert "5 questions, 6 files" in flat(result.output)
    assert f"Next: cookiecutter {destination}" in result.output
    assert (destination / "hooks/pre_gen_project.py").is_file()


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (["cookie", "DEST"], "unknown export format 'cookie': choose cookiecutter"),
        (["cookiecutter", "DEST", "--up-to", "cloud"], "unknown layer 'cloud'"),
        (["cookiecutter", "FULL"], "exists and is not empty: choose a new folder"),
    ],
)
def test_the_cli_refuses_a_bad_request_and_writes_nothing(
    runner: CliRunner, short_tmp: Path, arguments: list[str], message: str
) -> None:
    (short_tmp / "FULL").mkdir()
    (short_tmp / "FULL" / "notes.md").write_text("ours\n")
    paths = [str(short_tmp / part) if part in ("DEST", "FULL") else part for part in arguments]

    result = runner.invoke(app, ["export", *paths])

    assert result.exit_code == 2
    assert message in flat(result.output)
    assert not (short_tmp / "DEST").exists()
    assert [path.name for path in (short_tmp / "FULL").iterdir()] == ["notes.md"]


def test_a_template_cookiecutter_cannot_render_leaves_nothing(short_tmp: Path) -> None:
    template = toy_template(short_tmp)
    (template / "templates/devops/project/README.md.jinja").write_text("# {{ project_title }}\n")

    with pytest.raises(GenerationError, match=r"README\.md\.jinja uses project_title"):
        export_cookiecutter(short_tmp / "export", template=template)

    assert sorted(path.name for path in short_tmp.iterdir()) == ["template"]


def test_a_file_of_one_layer_included_by_another_is_refused(short_tmp: Path) -> None:
    """copier renders an included file with the includer's answers: another layer's names."""
    template = toy_template(short_tmp)
    included = '{% include "templates/data/project/mk/retention.txt" %}'
    (template / "templates/devops/project/README.md.jinja").write_text(included)

    message = "the devops layer includes templates/data/project/mk/retention.txt, of another"
    with pytest.raises(GenerationError, match=message):
        export_cookiecutter(short_tmp / "export", up_to="data", template=template)


def test_copier_yml_is_read_whatever_tags_others_gave_pyyaml(
    short_tmp: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """pytest-copie registers `!include` on yaml.SafeLoader for the whole process."""

    def include(*_: object) -> None:
        raise FileNotFoundError("templates/*/questions.yml")

    constructors = {**yaml.SafeLoader.yaml_constructors, "!include": include}
    monkeypatch.setattr(yaml.SafeLoader, "yaml_constructors", constructors)

    written = export_cookiecutter(short_tmp / "export", template=toy_template(short_tmp))

    assert written.variables == ("project_name", "author_name", "author_email")


# --- the real layers --------------------------------------------------------------------------

REAL_ANSWERS = {
    "project_name": "churn-model",
    "description": "Predicts churn",
    "python_version": "3.12",
    "aws_region": "us-east-2",
    "aws_account_id_prod": "333333333333",
    "github_org": "acme",
    "publish_to_pypi": True,
    "monthly_budget_usd": 250,
    "license": "MIT",
}
# Answers other than the defaults for the questions of the layers above devops.
ABOVE = {"data": {"zone_raw": "bronze"}, "platform": {"instance_type": "ml.c5.xlarge"}}


def real_answers(up_to: str) -> dict[str, Any]:
    answers = dict(REAL_ANSWERS)
    for layer in layers_up_to(up_to):
        answers.update(ABOVE.get(layer.name, {}))
    return answers


@pytest.mark.slow
@pytest.mark.usefixtures("isolated_git")
@pytest.mark.parametrize("up_to", [layer.name for layer in LADDER if layer.shipped])
def test_the_real_layers_exported_make_what_mlhier_makes(up_to: str, short_tmp: Path) -> None:
    answers = real_answers(up_to)
    export_cookiecutter(short_tmp / "export", up_to=up_to)

    made = cookiecutter_project(short_tmp / "export", short_tmp / "cookiecutter", answers)
    generated = mlhier_project(short_tmp, up_to, answers)

    assert tree(made) == tree(generated)


def test_a_bad_answer_to_a_real_layer_is_refused_with_its_rule_message(
    short_tmp: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    from cookiecutter.exceptions import FailedHookException

    export_cookiecutter(short_tmp / "export")
    with pytest.raises(FailedHookException):
        cookiecutter_project(short_tmp / "export", short_tmp, {"aws_region": "mars-1"})

    expected = "aws_region must be an AWS region code like eu-west-1"  # templates/rules.jinja
    assert capfd.readouterr().err.splitlines() == [f"error: {expected}"]


# --- adopted, then updated --------------------------------------------------------------------


@pytest.mark.slow
@pytest.mark.usefixtures("isolated_git")
def test_a_project_from_the_export_is_adopted_then_updated(short_tmp: Path) -> None:
    template = toy_template(short_tmp)
    git(template, "init", "--quiet", "--initial-branch=main")
    commit_and_tag(template, "v1")
    export_cookiecutter(short_tmp / "export", up_to="data", template=template)
    made = cookiecutter_project(short_tmp / "export", short_tmp / "out", GIVEN)
    git(made, "init", "--quiet", "--initial-branch=main")
    git(made, "add", "--all")
    git(made, "commit", "--quiet", "-m", "Generate the project with cookiecutter")
    recorded = mlhier_project(short_tmp, "data", GIVEN, template)
    write_tree(template, {"templates/devops/project/SECURITY.md": "from v2\n"})
    commit_and_tag(template, "v2")

    adoption = plan_adopt(made, template=str(template))
    adopt(adoption)

    assert adoption.version == "v1"
    assert adoption.differing_lines == 0
    for name in ANSWERS_FILES:
        assert (made / name).read_text() == (recorded / name).read_text()

    done = update_project(made)

    assert [(step.before, step.after) for step in done] == [("v1", "v2"), ("v1", "v2")]
    assert (made / "SECURITY.md").read_text() == "from v2\n"
    assert git(made, "status", "--porcelain") == ""


@pytest.mark.slow
@pytest.mark.usefixtures("isolated_git")
def test_a_real_project_from_the_export_is_adopted_then_updated(short_tmp: Path) -> None:
    template = copy_real_template(short_tmp / "template")
    git(template, "init", "--quiet", "--initial-branch=main")
    commit_and_tag(template, "v1")
    answers = real_answers("data")
    export_cookiecutter(short_tmp / "export", up_to="data", template=template)
    made = cookiecutter_project(short_tmp / "export", short_tmp / "out", answers)
    git(made, "init", "--quiet", "--initial-branch=main")
    git(made, "add", "--all")
    git(made, "commit", "--quiet", "-m", "Generate the project with cookiecutter")
    recorded = mlhier_project(short_tmp, "data", answers, template)
    write_tree(template, {"templates/devops/project/docs/release-notes.md": "from v2\n"})
    commit_and_tag(template, "v2")

    # What adopt cannot read back from the files (a choice that swaps whole texts) is given.
    unread = {"license": "MIT", "publish_to_pypi": True}
    adoption = plan_adopt(made, template=str(template), data=unread)
    adopt(adoption)

    assert (adoption.version, adoption.differing_lines) == ("v1", 0)
    for name in ANSWERS_FILES:
        assert (made / name).read_text() == (recorded / name).read_text()

    done = update_project(made)

    assert [(step.before, step.after) for step in done] == [("v1", "v2"), ("v1", "v2")]
    assert (made / "docs/release-notes.md").read_text() == "from v2\n"
    assert git(made, "status", "--porcelain") == ""
