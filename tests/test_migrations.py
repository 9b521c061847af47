"""Migrations: a file a release renames keeps the user's edits across `mlhier update`.

The toy template is tagged v1, then v2 moves a generated file and lists the move in
templates/migrations.yml; the project is generated from v1 and updated from that previous tag.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from conftest import TemplateFactory, flat, git
from mlhier import new_project, user_source
from mlhier._migrations import Move, check_moves, read_moves
from mlhier.cli import app
from mlhier.errors import GenerationError, InvalidInputError

NOTES_V1 = "# Notes of {{ project_name }}\n\nKeep the runbook here.\n\nOwner: platform team.\n"
# v2 moves the file under docs/ and changes its first line: both the move and the change arrive.
NOTES_V2 = "# Team notes of {{ project_name }}\n\nKeep the runbook here.\n\nOwner: platform team.\n"
MOVED_IN_V2 = """\
# Files a release renames: mlhier carries the user's content to the new path.
v2:
  - layer: devops
    from: NOTES.md
    to: docs/{{ project_name }}-notes.md
"""


def _project_at_v1(make_template: TemplateFactory, parent: Path) -> tuple[Path, Path]:
    template = make_template({"templates/devops/project/NOTES.md.jinja": NOTES_V1})
    project = parent / "p"
    new_project(project, defaults=True, source=user_source(str(template), "v1"), lock=False)
    return template, project


def _release_v2_moving_notes(template: Path, make_template: TemplateFactory) -> None:
    (template / "templates/devops/project/NOTES.md.jinja").unlink()
    make_template(
        {
            "templates/devops/project/docs/{{ project_name }}-notes.md.jinja": NOTES_V2,
            "templates/migrations.yml": MOVED_IN_V2,
        },
        tag="v2",
    )


@pytest.mark.slow
@pytest.mark.usefixtures("isolated_git")
def test_a_renamed_file_arrives_at_its_new_path_with_the_user_edit(
    runner: CliRunner, make_template: TemplateFactory, short_tmp: Path
) -> None:
    template, project = _project_at_v1(make_template, short_tmp)
    notes = project / "NOTES.md"
    notes.write_text(notes.read_text().replace("platform team", "data team"))
    git(project, "commit", "-qam", "We own the notes")
    _release_v2_moving_notes(template, make_template)

    result = runner.invoke(app, ["update", "--path", str(project)])

    assert result.exit_code == 0, result.output
    assert "devops: moved NOTES.md to docs/p-notes.md (renamed in template v2)" in flat(
        result.output
    )
    assert not notes.exists()
    assert (project / "docs/p-notes.md").read_text() == (
        "# Team notes of p\n\nKeep the runbook here.\n\nOwner: data team.\n"
    )
    assert git(project, "status", "--porcelain") == ""
    renamed = git(project, "show", "--stat", "--format=", "-M", "HEAD")
    assert "NOTES.md => docs/p-notes.md" in renamed


@pytest.mark.slow
@pytest.mark.usefixtures("isolated_git")
def test_an_edit_the_renaming_release_also_changed_is_a_reported_conflict(
    runner: CliRunner, make_template: TemplateFactory, short_tmp: Path
) -> None:
    template, project = _project_at_v1(make_template, short_tmp)
    notes = project / "NOTES.md"
    notes.write_text(notes.read_text().replace("# Notes of p", "# Our notes"))
    git(project, "commit", "-qam", "Our title")
    _release_v2_moving_notes(template, make_template)

    result = runner.invoke(app, ["update", "--path", str(project)])

    assert result.exit_code == 3, result.output
    assert "left conflicts in docs/p-notes.md" in flat(result.output)
    moved = (project / "docs/p-notes.md").read_text()
    assert "<<<<<<< before updating\n# Our notes\n" in moved
    assert "# Team notes of p\n>>>>>>> after updating\n" in moved
    assert not notes.exists()


@pytest.mark.slow
@pytest.mark.usefixtures("isolated_git")
def test_a_move_onto_an_existing_file_is_refused_before_anything_changes(
    runner: CliRunner, make_template: TemplateFactory, short_tmp: Path
) -> None:
    template, project = _project_at_v1(make_template, short_tmp)
    (project / "docs").mkdir()
    (project / "docs/p-notes.md").write_text("ours\n")
    git(project, "add", "--all")
    git(project, "commit", "-qm", "Notes of our own")
    head = git(project, "rev-parse", "HEAD")
    _release_v2_moving_notes(template, make_template)

    result = runner.invoke(app, ["update", "--path", str(project)])

    assert result.exit_code == 2, result.output
    said = flat(result.output)
    assert "template v2 moves NOTES.md to docs/p-notes.md, but docs/p-notes.md exists" in said
    assert git(project, "rev-parse", "HEAD") == head
    assert git(project, "status", "--porcelain") == ""
    assert (project / "docs/p-notes.md").read_text() == "ours\n"


# --- reading the migrations file (fast) ---------------------------------------------------------


def _template_with(tmp_path: Path, text: str) -> Path:
    (tmp_path / "templates").mkdir()
    (tmp_path / "templates/migrations.yml").write_text(text)
    return tmp_path


MOVES = """\
v0.2.0:
  - {layer: devops, from: a.md, to: b.md}
  - {layer: data, from: mk/lake.mk, to: mk/data.mk}
0.3.0:
  - {layer: devops, from: "src/{{ package_name }}/old.py", to: "src/{{package_name}}/new.py"}
v0.4.0:
  - {layer: devops, from: c.md, to: d.md}
"""


def test_only_the_moves_of_the_releases_since_the_recorded_one_are_chosen(tmp_path: Path) -> None:
    template = _template_with(tmp_path, MOVES)

    moves = read_moves(
        template, "devops", after="0.1.0", up_to="0.3.0", answers={"package_name": "demo"}
    )

    assert moves == (
        Move("v0.2.0", "a.md", "b.md"),
        Move("0.3.0", "src/demo/old.py", "src/demo/new.py"),
    )
    assert read_moves(template, "devops", after="0.3.0", up_to="0.3.0", answers={}) == ()
    assert read_moves(template, "data", after="0.1.0", up_to="0.4.0", answers={}) == (
        Move("v0.2.0", "mk/lake.mk", "mk/data.mk"),
    )
    # A version that is no release (a dev commit's) gives no range to choose from.
    assert read_moves(template, "devops", after="abc1234", up_to="0.4.0", answers={}) == ()
    assert read_moves(tmp_path / "none", "devops", after="0.1.0", up_to="0.4.0", answers={}) == ()


@pytest.mark.parametrize(
    ("text", "said"),
    [
        ("- a\n", "not a mapping of versions"),
        ("v1: {layer: devops}\n", "v1 does not list moves"),
        ("next: []\n", "'next' is not a version"),
        ("v1:\n  - {layer: devops, from: ../x, to: y}\n", "v1[0].from '../x' must be a plain path"),
        ("v1:\n  - {layer: devops, from: /etc/x, to: y}\n", "must be a plain path"),
        ("v1:\n  - {layer: devops, from: x}\n", "v1[0].to is not a path"),
        ("v1:\n  - {layer: devops, from: '{{ nope }}', to: y}\n", "names nope, which this layer"),
        ("v1: [\n", "not valid YAML"),
    ],
)
def test_a_malformed_migrations_file_is_refused_naming_the_fault(
    tmp_path: Path, text: str, said: str
) -> None:
    template = _template_with(tmp_path, text)

    with pytest.raises(GenerationError, match=r"templates/migrations\.yml is invalid") as raised:
        read_moves(template, "devops", after="0", up_to="9", answers={})

    assert said in str(raised.value)


def test_moves_whose_file_is_gone_are_skipped_and_a_taken_target_is_refused(
    tmp_path: Path,
) -> None:
    (tmp_path / "kept.md").write_text("mine\n")
    (tmp_path / "taken.md").write_text("also mine\n")
    gone, kept = Move("v2", "gone.md", "new.md"), Move("v2", "kept.md", "docs/kept.md")

    to_make, skipped = check_moves(tmp_path, (gone, kept))

    assert to_make == (kept,)
    assert skipped == ["gone.md is not in the project: nothing to move to new.md"]
    with pytest.raises(InvalidInputError, match=r"moves kept.md to taken.md, but taken.md exists"):
        check_moves(tmp_path, (Move("v2", "kept.md", "taken.md"),))
