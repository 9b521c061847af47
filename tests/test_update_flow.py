"""`mlhier update` on toy layered templates: nothing to do, upstream values, recorded versions."""

from __future__ import annotations

import json
import shutil
import sys
from pathlib import Path
from typing import Any

import pexpect
import plumbum
import pytest
from typer.testing import CliRunner

from conftest import TemplateFactory, answers, flat, git
from mlhier import TemplateSource, new_project, update_project, user_source
from mlhier._source import UPSTREAM_URL
from mlhier.cli import app

# Each test runs copier update several times (seconds each): kept out of the fast suite.
pytestmark = [pytest.mark.usefixtures("isolated_git"), pytest.mark.slow]


def commits(project: Path) -> list[str]:
    return git(project, "log", "--format=%H").splitlines()


def _data_project_at_v1(make_template: TemplateFactory, parent: Path) -> tuple[Path, Path]:
    """The toy template at v1 and a devops + data project ``parent/p`` generated from it."""
    template = make_template()
    project = parent / "p"
    new_project(
        project, up_to="data", defaults=True, source=user_source(str(template), "v1"), lock=False
    )
    return template, project


def test_an_unchanged_project_updated_twice_makes_no_commit(
    runner: CliRunner, make_template: TemplateFactory, short_tmp: Path
) -> None:
    _, project = _data_project_at_v1(make_template, short_tmp)
    before = commits(project)
    answers_before = (project / ".copier-answers.data.yml").read_text()

    for _ in range(2):
        result = runner.invoke(app, ["update", "--path", str(project)])

        assert result.exit_code == 0, result.output
        assert "devops: already at v1, nothing to do" in flat(result.output)
        assert "data: already at v1, nothing to do" in flat(result.output)
        assert commits(project) == before
        assert git(project, "status", "--porcelain") == ""
    assert (project / ".copier-answers.data.yml").read_text() == answers_before


def test_a_version_recorded_as_a_full_hash_is_not_rewritten_in_another_spelling(
    make_template: TemplateFactory, short_tmp: Path
) -> None:
    """What a project from the copy inside the wheel records: the release's commit, not a tag."""
    template = make_template()
    full_hash = git(template, "rev-parse", "v1").strip()
    project = short_tmp / "p"
    source = TemplateSource(str(template), "v1", record=(str(template), full_hash))
    new_project(project, up_to="data", defaults=True, source=source, lock=False)
    before = commits(project)

    done = update_project(project)

    assert [(step.before, step.after, step.committed) for step in done] == [
        (full_hash, full_hash, False),
        (full_hash, full_hash, False),
    ]
    assert commits(project) == before
    assert answers(project, "devops")["_commit"] == full_hash


# v2 adds a devops question that the data layer re-declares and renders (`<name>_data`).
TEAM_DEVOPS = """\
team:
  type: str
  when: "{{ layer == 'devops' }}"
  default: core
"""
TEAM_DATA = """\
team_data:
  type: str
  when: "{{ layer == 'data' }}"
  default: "{{ _external_data.devops.team | default('unknown') }}"
"""


def add_team_question(template: Path) -> dict[str, str]:
    devops = (template / "templates/devops/questions.yml").read_text()
    data = (template / "templates/data/questions.yml").read_text()
    return {
        "templates/devops/questions.yml": devops + TEAM_DEVOPS,
        "templates/data/questions.yml": data + TEAM_DATA,
        "templates/data/project/mk/data.mk.jinja": (
            "# lake of {{ project_name_data }}: {{ zone }}, team {{ team_data }}\n"
        ),
    }


def _data_project_before_the_team_question(make_template: TemplateFactory, parent: Path) -> Path:
    """A devops + data project at v1 of a template whose v2 adds the devops question `team`."""
    template, project = _data_project_at_v1(make_template, parent)
    make_template(add_team_question(template), tag="v2")
    return project


def test_a_new_devops_question_reaches_the_data_layer_on_update(
    make_template: TemplateFactory, short_tmp: Path
) -> None:
    project = _data_project_before_the_team_question(make_template, short_tmp)

    update_project(project)

    assert answers(project, "devops")["team"] == "core"
    assert answers(project, "data")["team_data"] == "core"
    assert (project / "mk/data.mk").read_text() == "# lake of p: raw, team core\n"


def test_a_changed_devops_answer_reaches_the_data_layer_on_the_next_update(
    make_template: TemplateFactory, short_tmp: Path
) -> None:
    project = _data_project_before_the_team_question(make_template, short_tmp)
    update_project(project)
    devops_answers = project / ".copier-answers.devops.yml"
    devops_answers.write_text(devops_answers.read_text().replace("team: core", "team: ml"))
    git(project, "commit", "-qam", "The ml team owns the project now")

    done = update_project(project)

    assert [(step.layer.name, step.committed) for step in done] == [
        ("devops", False),
        ("data", True),
    ]
    assert answers(project, "data")["team_data"] == "ml"
    assert (project / "mk/data.mk").read_text() == "# lake of p: raw, team ml\n"
    assert git(project, "log", "-1", "--format=%s").startswith("Bring the data layer in step")


def bundle_of(repo: Path, destination: Path) -> Path:
    """The template's released history as a git bundle, as the wheel carries it."""
    git(repo, "bundle", "create", "--quiet", str(destination), "--all")
    return destination


def test_a_project_from_the_bundled_templates_updates_with_no_network(
    make_template: TemplateFactory, short_tmp: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    template = make_template({"templates/devops/project/SECURITY.md": "one\n"})
    project = short_tmp / "p"
    # What `mlhier new` records with the copy inside the wheel: the public repository.
    recorded = TemplateSource(str(template), "v1", record=(UPSTREAM_URL, "v1"))
    new_project(project, up_to="data", defaults=True, source=recorded, lock=False)
    make_template({"templates/devops/project/SECURITY.md": "one\ntwo\n"}, tag="v2")
    history = bundle_of(template, short_tmp / "templates.bundle")
    # https (the public repository) unreachable, for copier's git too (plumbum copies the env)
    monkeypatch.setenv("GIT_ALLOW_PROTOCOL", "file")

    with plumbum.local.env(GIT_ALLOW_PROTOCOL="file"):
        done = update_project(project, history=history)

    assert [(step.before, step.after) for step in done] == [("v1", "v2"), ("v1", "v2")]
    assert (project / "SECURITY.md").read_text() == "one\ntwo\n"
    for layer in ("devops", "data"):
        assert answers(project, layer)["_src_path"] == UPSTREAM_URL
        assert answers(project, layer)["_commit"] == "v2"
    assert git(project, "status", "--porcelain") == ""


def test_update_follows_a_mirror_and_records_it(
    runner: CliRunner, make_template: TemplateFactory, short_tmp: Path
) -> None:
    template = make_template()
    project = short_tmp / "p"
    new_project(project, up_to="data", defaults=True, source=user_source(str(template), "v1"))
    make_template({"templates/devops/project/SECURITY.md": "mirrored\n"}, tag="v2")
    mirror = short_tmp / "mirror"
    git(short_tmp, "clone", "--quiet", str(template), str(mirror))
    shutil.rmtree(template)  # the recorded source is gone

    result = runner.invoke(app, ["update", "--path", str(project), "--template", str(mirror)])

    assert result.exit_code == 0, result.output
    assert (project / "SECURITY.md").read_text() == "mirrored\n"
    for layer in ("devops", "data"):
        assert answers(project, layer)["_src_path"] == str(mirror)
        assert answers(project, layer)["_commit"] == "v2"
    subjects = git(project, "log", "--format=%s").splitlines()
    assert subjects[2] == f"Follow the template at {mirror}"


def status_json(runner: CliRunner, project: Path) -> dict[str, Any]:
    result = runner.invoke(app, ["status", "--path", str(project), "--json"])
    assert result.exit_code == 0, result.output
    loaded = json.loads(result.stdout)
    assert isinstance(loaded, dict)
    return loaded


def test_status_json_before_and_after_an_update(
    runner: CliRunner, make_template: TemplateFactory, short_tmp: Path
) -> None:
    template, project = _data_project_at_v1(make_template, short_tmp)
    make_template({"templates/devops/project/SECURITY.md": "one\n"}, tag="v2")
    layer = {
        "version": "v1",
        "source": str(template),
        "newest": "v2",
        "source_readable": True,
        "current": False,
    }

    assert status_json(runner, project) == {
        "path": str(project),
        "layers": [{"name": "devops", **layer}, {"name": "data", **layer}],
        "missing_prerequisites": {},
        "conflict_markers": [],
        "rejected": [],
        "uncommitted": [],
    }

    update_project(project)
    after = status_json(runner, project)

    assert after["layers"] == [
        {"name": name, **layer, "version": "v2", "current": True} for name in ("devops", "data")
    ]


def test_status_json_names_a_missing_layer_markers_rejects_and_uncommitted_files(
    runner: CliRunner, make_template: TemplateFactory, short_tmp: Path
) -> None:
    _, project = _data_project_at_v1(make_template, short_tmp)
    git(project, "rm", "--quiet", ".copier-answers.devops.yml")
    git(project, "commit", "--quiet", "-m", "lose the devops answers")
    (project / "README.md").write_text("<<<<<<< before\nours\n=======\ntheirs\n>>>>>>> after\n")
    (project / "Makefile.rej").write_text("@@ -1 +1 @@\n")

    found = status_json(runner, project)

    assert [layer["name"] for layer in found["layers"]] == ["data"]
    assert found["missing_prerequisites"] == {"data": "devops"}
    assert found["conflict_markers"] == ["README.md"]
    assert found["rejected"] == ["Makefile.rej"]
    assert found["uncommitted"] == ["README.md", "Makefile.rej"]
    shown = flat(runner.invoke(app, ["status", "--path", str(project)]).output)
    assert "missing: the data layer needs the devops layer below it" in shown
    assert "conflict markers in: README.md" in shown


def test_status_of_a_folder_that_is_no_project_exits_2(runner: CliRunner, tmp_path: Path) -> None:
    result = runner.invoke(app, ["status", "--path", str(tmp_path)])

    assert result.exit_code == 2
    assert "not generated by mlhier" in flat(result.output)


def test_update_pretend_lists_each_layers_changes_and_writes_nothing(
    runner: CliRunner, make_template: TemplateFactory, short_tmp: Path
) -> None:
    template = make_template({"templates/devops/project/CONTRIBUTING.md": "one\n"})
    project = short_tmp / "p"
    new_project(
        project, up_to="data", defaults=True, source=user_source(str(template), "v1"), lock=False
    )
    make_template({"templates/devops/project/SECURITY.md": "one\n"}, tag="v2")
    before = commits(project)

    result = runner.invoke(app, ["update", "--path", str(project), "--pretend"])

    assert result.exit_code == 0, result.output
    shown = result.output.splitlines()
    devops = shown.index("mlhier: devops: would be updated from v1 to v2, 2 files")
    assert sorted(shown[devops + 1 : devops + 3]) == [
        "  .copier-answers.devops.yml",
        "  SECURITY.md",
    ]
    assert "mlhier: data: would be updated from v1 to v2, 1 file" in shown
    assert shown[-1] == "mlhier: --pretend: nothing was written"
    assert commits(project) == before
    assert not (project / "SECURITY.md").exists()
    assert answers(project, "devops")["_commit"] == "v1"


def test_update_pretend_reports_a_conflict_it_would_leave(
    runner: CliRunner, make_template: TemplateFactory, short_tmp: Path
) -> None:
    template = make_template({"templates/devops/project/CONTRIBUTING.md": "one\ntwo\n"})
    project = short_tmp / "p"
    new_project(project, defaults=True, source=user_source(str(template), "v1"), lock=False)
    (project / "CONTRIBUTING.md").write_text("one\nours\n")
    git(project, "commit", "-qam", "user edit")
    make_template({"templates/devops/project/CONTRIBUTING.md": "one\ntheirs\n"}, tag="v2")

    result = runner.invoke(app, ["update", "--path", str(project), "--pretend"])

    assert result.exit_code == 3
    assert "would leave conflicts in CONTRIBUTING.md" in flat(result.output)
    assert (project / "CONTRIBUTING.md").read_text() == "one\nours\n"
    assert git(project, "status", "--porcelain") == ""


def test_plain_copier_update_skipping_answered_asks_only_the_new_question(
    make_template: TemplateFactory, short_tmp: Path
) -> None:
    template, project = _data_project_at_v1(make_template, short_tmp)
    data = (template / "templates/data/questions.yml").read_text()
    new_question = "archive_days:\n  type: int\n  when: \"{{ layer == 'data' }}\"\n  default: 30\n"
    make_template({"templates/data/questions.yml": data + new_question}, tag="v2")
    command = ["-m", "copier", "update", "--skip-answered", "-a", ".copier-answers.data.yml"]

    child = pexpect.spawn(sys.executable, command, cwd=str(project), encoding="utf-8", timeout=60)
    child.expect("archive_days")
    asked_before = child.before
    child.send("\x15")  # the prompt comes pre-filled with the default: Ctrl-U clears it
    child.sendline("90")
    child.expect(pexpect.EOF)
    child.close()

    assert child.exitstatus == 0, child.before
    for answered in ("layer", "project_name_data", "zone"):
        assert answered not in asked_before
    assert "Warning" not in asked_before + child.before
    assert answers(project, "data")["archive_days"] == 90
    assert answers(project, "data")["zone"] == "raw"


def test_status_says_when_the_source_cannot_be_read(
    runner: CliRunner, make_template: TemplateFactory, short_tmp: Path
) -> None:
    template = make_template()
    project = short_tmp / "p"
    new_project(project, defaults=True, source=user_source(str(template), "v1"), lock=False)
    shutil.rmtree(template)

    found = status_json(runner, project)
    shown = flat(runner.invoke(app, ["status", "--path", str(project)]).output)

    assert found["layers"][0]["newest"] is None
    assert found["layers"][0]["source_readable"] is False
    assert f"devops: at v1 (newest unknown: cannot read {template})" in shown
