"""The confirmation before anything lands: a no, or Ctrl-C at it, leaves nothing behind."""

from __future__ import annotations

from pathlib import Path

import pytest

from conftest import TemplateFactory, git
from mlhier import api, user_source
from mlhier.errors import DeclinedError

pytestmark = pytest.mark.usefixtures("isolated_git")


def test_declining_a_new_project_writes_nothing(
    make_template: TemplateFactory, tmp_path: Path
) -> None:
    parent = tmp_path / "work"
    parent.mkdir()
    seen: list[api.Summary] = []

    def decline(summary: api.Summary) -> bool:
        seen.append(summary)
        return False

    source = user_source(str(make_template()), None)
    with pytest.raises(DeclinedError, match="nothing was written"):
        api.new_project(parent / "p", up_to="data", defaults=True, source=source, confirm=decline)

    assert list(parent.iterdir()) == []
    (summary,) = seen
    assert summary.files["data"] == (".copier-answers.data.yml", "mk/data.mk")
    assert summary.file_count == 5
    assert summary.answers["devops"]["project_name"] == "p"
    assert DeclinedError.exit_code == 4


def test_ctrl_c_during_add_restores_the_work_tree(
    make_template: TemplateFactory, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    source = user_source(str(make_template()), None)
    project = tmp_path / "p"
    api.new_project(project, defaults=True, source=source, lock=False)
    head = git(project, "rev-parse", "HEAD")

    def interrupt(*_: object) -> bool:
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):  # at the confirmation
        api.add_layer(project, "data", defaults=True, source=source, confirm=interrupt)
    monkeypatch.setattr("mlhier._uv.lock", interrupt)
    with pytest.raises(KeyboardInterrupt):  # while locking, after the confirmation
        api.add_layer(project, "data", defaults=True, source=source, confirm=lambda _: True)

    assert git(project, "status", "--porcelain", "--untracked-files=all") == ""
    assert git(project, "rev-parse", "HEAD") == head
    assert not (project / "mk").exists()
