"""Team presets: defaults and fixed answers for any layer, kept for later layers, checked."""

from __future__ import annotations

import sys
from pathlib import Path

import pexpect
import pytest
import yaml
from typer.testing import CliRunner

from conftest import TOY_LAYERS, TemplateFactory, answers, commit_and_tag, flat, git, write_tree
from mlhier._preset import KEPT_PRESET, read_preset
from mlhier.cli import app

pytestmark = pytest.mark.usefixtures("isolated_git")

# The toy data layer with a rule on its zone, as templates/rules.jinja gives the real layers.
ZONE_RULE = {
    "templates/data/questions.yml": TOY_LAYERS["templates/data/questions.yml"]
    + """\
  validator: >-
    {% if not (zone | regex_search('^[a-z]+$')) %}zone must be lowercase letters{% endif %}
"""
}


def write_preset(folder: Path, content: object, name: str = "team.yml") -> Path:
    path = folder / name
    path.write_text(yaml.safe_dump(content, sort_keys=False), encoding="utf-8")
    return path


def team_preset(folder: Path, template: Path) -> Path:
    return write_preset(
        folder,
        {
            "template": str(template),
            "vcs_ref": "v1",
            "defaults": {"author_name": "ACME ML team"},
            "fixed": {"author_email": "ml@acme.example", "zone": "bronze"},
        },
    )


def new(runner: CliRunner, project: Path, *options: str, status: int = 0) -> str:
    # The throwaway templates hold two layers; `new` goes up to the top one unless told.
    up_to = [] if "--up-to" in options else ["--up-to", "devops"]
    result = runner.invoke(app, ["new", str(project), "--defaults", "--no-lock", *up_to, *options])
    assert result.exit_code == status, result.output
    return flat(result.output)


def add_data(runner: CliRunner, project: Path, *options: str) -> str:
    result = runner.invoke(
        app, ["add", "data", "--path", str(project), "--defaults", "--no-lock", *options]
    )
    assert result.exit_code == 0, result.output
    return result.output


def kept(project: Path) -> dict[str, object]:
    loaded = yaml.safe_load((project / KEPT_PRESET).read_text(encoding="utf-8"))
    assert isinstance(loaded, dict)
    return loaded


def test_a_preset_sets_defaults_fixed_answers_and_the_template_of_a_new_project(
    runner: CliRunner, make_template: TemplateFactory, short_tmp: Path
) -> None:
    template = make_template()
    project = short_tmp / "p"

    said = new(runner, project, "--preset", str(team_preset(short_tmp, template)))

    assert f"keeping the preset for the layers above in {KEPT_PRESET}" in said
    recorded = answers(project, "devops")
    assert recorded["author_name"] == "ACME ML team"
    assert recorded["author_email"] == "ml@acme.example"
    # The team's fork is the recorded source: later updates follow it.
    assert recorded["_src_path"] == str(template)
    assert recorded["_commit"] == "v1"
    # The data layer's value waits in the project, committed, with the fork to render it from.
    assert kept(project) == {"template": str(template), "fixed": {"zone": "bronze"}}
    assert KEPT_PRESET in git(project, "ls-files").split()
    assert git(project, "status", "--porcelain") == ""


def test_a_preset_may_name_its_template_by_git_url(
    runner: CliRunner, make_template: TemplateFactory, short_tmp: Path
) -> None:
    url = "git+" + make_template().as_uri()
    make_template({"templates/devops/project/NEWS.md": "v2\n"}, tag="v2")
    preset = write_preset(
        short_tmp,
        {"template": url, "defaults": {"author_name": "ACME"}, "fixed": {"zone": "bronze"}},
    )
    project = short_tmp / "p"

    new(runner, project, "--preset", str(preset), "--data", "author_email=me@acme.example")

    recorded = answers(project, "devops")
    assert (recorded["_src_path"], recorded["_commit"]) == (url, "v2")
    assert (recorded["author_name"], recorded["author_email"]) == ("ACME", "me@acme.example")
    assert kept(project) == {"template": url, "fixed": {"zone": "bronze"}}
    refused = new(runner, short_tmp / "q", "--preset", str(preset), "-d", "zonee=x", status=2)
    assert "unknown question 'zonee': did you mean zone?" in refused


def test_a_given_answer_wins_over_a_preset_default_and_the_option_over_the_variable(
    runner: CliRunner,
    make_template: TemplateFactory,
    short_tmp: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    template = make_template()
    ignored = write_preset(short_tmp, {"defaults": {"author_name": "Other"}}, "other.yml")
    monkeypatch.setenv("MLHIER_PRESET", str(ignored))
    new(runner, short_tmp / "by-env")
    assert answers(short_tmp / "by-env", "devops")["author_name"] == "Other"

    preset = team_preset(short_tmp, template)
    new(runner, short_tmp / "p", "--preset", str(preset), "--data", "author_name=Me")

    recorded = answers(short_tmp / "p", "devops")
    assert recorded["author_name"] == "Me"
    assert recorded["author_email"] == "ml@acme.example"


def test_a_given_answer_that_contradicts_a_fixed_one_is_refused_naming_both(
    runner: CliRunner, make_template: TemplateFactory, short_tmp: Path
) -> None:
    preset = team_preset(short_tmp, make_template())
    project = short_tmp / "p"

    said = new(
        runner, project, "--preset", str(preset), "--data", "author_email=me@example.com", status=2
    )

    assert "--data author_email=me@example.com conflicts with" in said
    assert f"preset {preset}, which fixes author_email: ml@acme.example" in said
    assert not project.exists()


def test_a_later_add_uses_the_kept_values_of_its_layer(
    runner: CliRunner, make_template: TemplateFactory, short_tmp: Path
) -> None:
    template = make_template()
    preset = write_preset(
        short_tmp,
        {
            "template": str(template),
            "defaults": {"author_name": "ACME ML team", "zone": "landing"},
            "fixed": {"author_email": "ml@acme.example"},
        },
    )
    project = short_tmp / "p"
    new(runner, project, "--preset", str(preset))
    assert kept(project) == {"template": str(template), "defaults": {"zone": "landing"}}

    add_data(runner, project)

    assert answers(project, "data")["zone"] == "landing"
    assert answers(project, "data")["_src_path"] == str(template)
    assert (project / "mk/data.mk").read_text() == "# lake of p: landing\n"
    # Nothing is left for a later layer: only the template the team follows stays.
    assert kept(project) == {"template": str(template)}
    assert git(project, "status", "--porcelain") == ""


def test_an_update_keeps_the_preset_values_and_a_new_fork_is_followed_by_later_adds(
    runner: CliRunner, make_template: TemplateFactory, short_tmp: Path
) -> None:
    template = make_template()
    project = short_tmp / "p"
    new(runner, project, "--up-to", "data", "--preset", str(team_preset(short_tmp, template)))
    # The team moves its templates: a new repository, with a release v2.
    moved = short_tmp / "moved"
    git(short_tmp, "clone", "--quiet", str(template), str(moved))
    write_tree(moved, {"templates/data/project/mk/extra.mk": "# v2\n"})
    commit_and_tag(moved, "v2")

    result = runner.invoke(app, ["update", "--path", str(project), "--template", str(moved)])

    assert result.exit_code == 0, result.output
    assert (project / "mk/extra.mk").read_text() == "# v2\n"
    assert answers(project, "devops")["author_name"] == "ACME ML team"
    assert answers(project, "devops")["author_email"] == "ml@acme.example"
    assert answers(project, "data")["zone"] == "bronze"
    assert answers(project, "data")["_commit"] == "v2"
    assert answers(project, "data")["_src_path"] == str(moved)
    # What the project keeps for `mlhier add` follows the new source too.
    assert kept(project) == {"template": str(moved)}
    assert git(project, "status", "--porcelain") == ""


def test_add_keeps_a_fixed_value_fixed_and_lets_data_win_over_a_default(
    runner: CliRunner, make_template: TemplateFactory, short_tmp: Path
) -> None:
    template = make_template()
    project = short_tmp / "p"
    new(runner, project, "--preset", str(team_preset(short_tmp, template)))

    refused = runner.invoke(
        app,
        ["add", "data", "--path", str(project), "--defaults", "--no-lock", "--data", "zone=raw"],
    )

    assert refused.exit_code == 2
    assert "which fixes zone: bronze" in flat(refused.output)
    assert not (project / ".copier-answers.data.yml").exists()

    offered = write_preset(
        short_tmp, {"template": str(template), "defaults": {"zone": "silver"}}, "offered.yml"
    )
    add_data(runner, project, "--preset", str(offered), "--data", "zone=gold")

    assert answers(project, "data")["zone"] == "gold"
    # The preset given to add replaces the kept one for good.
    assert kept(project) == {"template": str(template)}


@pytest.mark.parametrize(
    ("content", "said"),
    [
        ("defaults: [zone\n", "is not valid YAML (line 2)"),
        ("- zone\n", "holds a list, not a mapping of sections"),
        ({"default": {"zone": "raw"}}, "unknown section 'default': did you mean defaults?"),
        ({"defaults": ["zone"]}, "defaults holds a list, not a mapping of answers"),
        ({"fixed": {"zonee": "raw"}}, "fixed: unknown question 'zonee': did you mean zone?"),
        ({"fixed": {"zone_data": "raw"}}, "unknown question 'zone_data'"),
        ({"fixed": {"_src_path": "x"}}, "fixed: _src_path is copier's own setting"),
        ({"defaults": {"zone": "a"}, "fixed": {"zone": "b"}}, "zone is both in defaults and"),
        ({"vcs_ref": "v1"}, "vcs_ref needs template"),
        ({"fixed": {"project_name": "Bad_Name"}}, "project_name must be lowercase letters"),
        ({"defaults": {"zone": "Raw Zone"}}, "zone must be lowercase letters"),
    ],
    ids=[
        "not-yaml",
        "not-a-mapping",
        "unknown-section",
        "section-not-a-mapping",
        "unknown-key",
        "key-of-no-layer",
        "private-key",
        "defaults-and-fixed",
        "ref-without-template",
        "bad-value",
        "bad-value-of-a-later-layer",
    ],
)
def test_a_bad_preset_is_refused_naming_the_file_and_field_writing_nothing(
    runner: CliRunner,
    make_template: TemplateFactory,
    short_tmp: Path,
    content: object,
    said: str,
) -> None:
    template = make_template(ZONE_RULE)
    preset = short_tmp / "team.yml"
    if isinstance(content, str):
        preset.write_text(content, encoding="utf-8")
    else:
        write_preset(short_tmp, content)
    project = short_tmp / "p"

    output = new(
        runner,
        project,
        *("--preset", str(preset), "--template", str(template), "--vcs-ref", "v1"),
        status=2,
    )

    assert f"preset {preset}" in output
    assert said in output
    assert not project.exists()
    assert sorted(path.name for path in short_tmp.iterdir()) == ["team.yml", "template"]


def test_the_real_rules_check_a_value_for_a_layer_not_applied_yet(
    runner: CliRunner, short_tmp: Path
) -> None:
    """The bundled templates: the data layer's rule refuses its zone before devops is written."""
    preset = write_preset(short_tmp, {"fixed": {"zone_raw": "Raw Zone"}})
    project = short_tmp / "churn-model"

    said = new(runner, project, "--preset", str(preset), status=2)

    assert f"preset {preset}: zone_raw: 2-12 lowercase letters or digits" in said
    assert not project.exists()
    assert [path.name for path in short_tmp.iterdir()] == ["team.yml"]


def test_a_relative_template_is_read_from_where_the_preset_lies(
    short_tmp: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (short_tmp / "team").mkdir()
    preset = write_preset(short_tmp / "team", {"template": "../templates", "vcs_ref": "v3"})
    monkeypatch.chdir("/")

    read = read_preset(preset)

    assert (read.template, read.vcs_ref) == (str(short_tmp.resolve() / "templates"), "v3")


# copier started under a pseudo-terminal: about 4 s.
@pytest.mark.slow
def test_a_preset_default_is_offered_at_the_prompt_and_a_fixed_answer_never_asked(
    make_template: TemplateFactory, short_tmp: Path
) -> None:
    preset = write_preset(
        short_tmp,
        {
            "template": str(make_template()),
            "defaults": {"author_name": "ACME ML team"},
            "fixed": {"author_email": "ml@acme.example"},
        },
    )
    project = short_tmp / "churn-model"
    command = ["-m", "mlhier", "new", str(project), "--no-lock", "--up-to", "devops"]
    command += ["--preset", str(preset)]
    child = pexpect.spawn(sys.executable, command, encoding="utf-8", timeout=30)

    child.expect("project_name")
    child.sendline("")
    child.expect("author_name")
    child.expect("ACME ML team")  # offered as the answer...
    child.send("\x15")  # ...which the user may change (Ctrl-U clears the pre-filled line)
    child.sendline("Jane Doe")
    # author_email is fixed: the next thing shown is the summary, not its question.
    child.expect("the devops layer: 3 files")
    child.expect(r"Create it\? \[Y/n\]")
    child.sendline("y")
    child.expect(pexpect.EOF)
    child.close()

    assert child.exitstatus == 0
    recorded = answers(project, "devops")
    assert (recorded["author_name"], recorded["author_email"]) == ("Jane Doe", "ml@acme.example")
