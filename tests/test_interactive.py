"""`mlhier new` asks copier's questions on a terminal, driven here through a pseudo-terminal."""

from __future__ import annotations

import sys
from pathlib import Path

import pexpect
import pytest

from conftest import TemplateFactory, answers

pytestmark = pytest.mark.usefixtures("isolated_git")

CLEAR_LINE = "\x15"  # prompts come pre-filled with the default; Ctrl-U clears it


# copier started under a pseudo-terminal answers every devops question: about 4 s.
@pytest.mark.slow
def test_new_prompts_with_the_folder_name_as_default(
    make_template: TemplateFactory, tmp_path: Path
) -> None:
    project = tmp_path / "churn-model"
    template = str(make_template())
    command = ["-m", "mlhier", "new", str(project), "--no-lock", "--up-to", "devops"]
    command += ["--template", template]
    child = pexpect.spawn(sys.executable, command, encoding="utf-8", timeout=30)

    child.expect("project_name")
    child.sendline("")  # keep the default: the folder's name
    child.expect("author_name")
    child.send(CLEAR_LINE)
    child.sendline("Jane Doe")
    child.expect("author_email")
    child.send(CLEAR_LINE)
    child.sendline("jane@example.com")
    child.expect("the devops layer: 3 files")
    child.expect("author_name: Jane Doe")
    child.expect(r"Create it\? \[Y/n\]")
    child.sendline("y")
    child.expect("created")
    child.expect(pexpect.EOF)
    child.close()

    assert child.exitstatus == 0
    recorded = answers(project, "devops")
    assert recorded["project_name"] == "churn-model"
    assert recorded["author_name"] == "Jane Doe"
    assert recorded["author_email"] == "jane@example.com"


def test_ctrl_c_at_a_prompt_exits_130_and_leaves_nothing(
    make_template: TemplateFactory, tmp_path: Path
) -> None:
    parent = tmp_path / "work"
    parent.mkdir()
    template = str(make_template())
    command = ["-m", "mlhier", "new", str(parent / "p"), "--up-to", "devops"]
    command += ["--template", template]
    child = pexpect.spawn(sys.executable, command, encoding="utf-8", timeout=30)

    child.expect("project_name")
    child.sendintr()
    child.expect("interrupted: nothing was written")
    child.expect(pexpect.EOF)
    child.close()

    assert child.exitstatus == 130
    assert "Traceback" not in (child.before or "")
    assert list(parent.iterdir()) == []
