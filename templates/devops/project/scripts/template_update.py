"""Run the template update on a branch and write the pull request's title and body.

What .github/workflows/template-update.yml runs; it works the same by hand, in a clean clone:

    python scripts/template_update.py --body update.md
    python scripts/template_update.py --body update.md --update-command "uvx mlhier update"

It creates (or resets) the branch from the current commit, runs the update there (one commit
per layer, as `mlhier update` makes them), commits leftover conflicts instead of hiding them, and
writes a Markdown body: each layer's version before and after, the conflicts to resolve, and the
release notes of the template (its CHANGELOG.md sections between the two versions). Pushing the
branch and opening the pull request is left to the caller (the workflow uses gh). Standard
library only: it runs before any environment of the project is installed.
"""

from __future__ import annotations

import argparse
import os
import re
import shlex
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Sequence

# `mlhier update`'s exit status when it stopped at conflicts (docs: exit codes).
UPDATE_CONFLICTS = 3
WORKFLOWS = ".github/workflows"
# GitHub refuses a pull request body past 65,536 characters; the held patch is cut well before.
PATCH_LIMIT = 40_000
# A quoted scalar: its opening and closing quote.
_QUOTES = 2
_ANSWERS = re.compile(r"^\.copier-answers\.(?P<layer>[\w-]+)\.yml$")
_HEADING = re.compile(r"^## \[?(?P<version>[^\]\s]+)\]?")
_MARKER_START = re.compile(r"^<{7}( |$)", re.MULTILINE)
_MARKER_END = re.compile(r"^>{7}( |$)", re.MULTILINE)


class UpdateError(Exception):
    """The update could not run; the message says why."""


@dataclass(frozen=True)
class LayerVersion:
    """A layer's template version and where the template comes from."""

    layer: str
    version: str
    source: str


@dataclass(frozen=True)
class Outcome:
    """What the run did: whether the branch moved, its title, what is left to resolve."""

    changed: bool
    title: str
    conflicts: tuple[str, ...]
    held: bool = False


def git(*args: str, check: bool = True, cwd: Path | None = None) -> str:
    """Git's output; an ``UpdateError`` with git's message when it fails and ``check`` is set."""
    done = subprocess.run(  # noqa: S603 - git from PATH, arguments from this script
        ["git", *args],  # noqa: S607
        cwd=cwd,
        capture_output=True,
        text=True,
        check=False,
    )
    if check and done.returncode != 0:
        message = f"git {' '.join(args)} failed: {(done.stderr or done.stdout).strip()}"
        raise UpdateError(message)
    return done.stdout


def _scalar(text: str, key: str) -> str:
    """A top-level ``key: value`` of a copier answers file, unquoted (copier writes them so)."""
    match = re.search(rf"^{re.escape(key)}:[ \t]*(.*?)[ \t]*$", text, re.MULTILINE)
    if match is None:
        return ""
    value = match[1]
    if len(value) >= _QUOTES and value[0] == value[-1] and value[0] in "'\"":
        value = value[1:-1].replace("''", "'") if value[0] == "'" else value[1:-1]
    return value


def recorded_versions(project: Path) -> list[LayerVersion]:
    """Each applied layer's template version and source, from its answers file."""
    found = []
    for path in sorted(project.iterdir()):
        match = _ANSWERS.match(path.name)
        if match is None:
            continue
        text = path.read_text(encoding="utf-8")
        found.append(
            LayerVersion(match["layer"], _scalar(text, "_commit"), _scalar(text, "_src_path"))
        )
    return found


def _version_key(version: str) -> tuple[int, ...] | None:
    """A release version as numbers (``v1.2.0`` -> (1, 2, 0)); None for anything else."""
    parts = version.strip().removeprefix("v").split(".")
    if not parts or not all(part.isdigit() for part in parts):
        return None
    return tuple(int(part) for part in parts)


def release_notes(changelog: str, before: str, after: str) -> str:
    """The CHANGELOG sections of the releases after ``before`` up to and including ``after``."""
    low, high = _version_key(before), _version_key(after)
    if low is None or high is None:
        return ""
    kept: list[str] = []
    keeping = False
    for line in changelog.splitlines():
        heading = _HEADING.match(line)
        if heading is not None:
            version = _version_key(heading["version"])
            keeping = version is not None and low < version <= high
        elif line.startswith("# ") or (line.startswith("[") and "]: " in line):
            keeping = False  # the title, or the link definitions at the end
        if keeping:
            # Under the body's own "### Release notes": each heading two levels down.
            kept.append(f"##{line}" if line.startswith("#") else line)
    return "\n".join(kept).strip()


def read_changelog(source: str, version: str) -> str:
    """The template's CHANGELOG.md at ``version``, read from its repository ``source``."""
    with tempfile.TemporaryDirectory(prefix="template-changelog-") as scratch:
        clone = Path(scratch) / "template"
        # Only the history: the one file is read from it, not checked out.
        git("clone", "--quiet", "--filter=blob:none", "--no-checkout", source, str(clone))
        return git("show", f"{version}:CHANGELOG.md", cwd=clone)


def _notes(before: Sequence[LayerVersion], after: Sequence[LayerVersion]) -> str:
    """Release notes per template source and version range, or why they could not be read."""
    ranges: list[tuple[str, str, str]] = []  # layers of one source share their notes
    for old in before:
        new = next((layer for layer in after if layer.layer == old.layer), None)
        moved = new is not None and new.version != old.version
        if new is not None and moved and (new.source, old.version, new.version) not in ranges:
            ranges.append((new.source, old.version, new.version))
    sections = []
    for source, old_version, new_version in ranges:
        try:
            notes = release_notes(read_changelog(source, new_version), old_version, new_version)
        except UpdateError as error:
            notes = f"The release notes could not be read from {source}: {error}"
        sections.append(notes or f"No release notes between {old_version} and {new_version}.")
    return "\n\n".join(sections) or "No layer changed version."


def conflicted_files(base: str) -> list[str]:
    """Files the update left unmerged, as .rej files, or holding conflict markers."""
    unmerged = git("diff", "--name-only", "--diff-filter=U").splitlines()
    changed = git("diff", "--name-only", base).splitlines()
    untracked = git("ls-files", "--others", "--exclude-standard").splitlines()
    found = set(unmerged)
    for name in {*changed, *untracked}:
        if name.endswith(".rej"):
            found.add(name)
            continue
        try:
            text = Path(name).read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError):
            continue  # deleted, or binary
        if _MARKER_START.search(text) and _MARKER_END.search(text):
            found.add(name)
    return sorted(found)


def commit_all(message: str) -> None:
    """Commit every change, untracked files and unmerged paths included."""
    git("add", "--all")
    # Hooks would refuse the conflict markers that this commit exists to show.
    git("commit", "--quiet", "--no-verify", "--message", message)


def hold_workflow_changes(base: str) -> str:
    """Undo the changes to workflow files on the branch, in a commit; their patch."""
    patch = git("diff", base, "HEAD", "--", WORKFLOWS)
    if not patch:
        return ""
    git("restore", f"--source={base}", "--staged", "--worktree", "--", WORKFLOWS)
    commit_all("Hold back the template's workflow changes: the workflow token cannot push them")
    return patch


def _held_section(patch: str) -> str:
    if not patch:
        return ""
    shown = patch if len(patch) <= PATCH_LIMIT else patch[:PATCH_LIMIT] + "\n... (cut here)\n"
    return (
        "### Workflow changes held back\n\n"
        "The template also changes files in `.github/workflows/`, which the workflow token may"
        " not push (that needs the `workflows` permission). This branch leaves them as they were;"
        " apply them with credentials that may (your own, or the GitHub App in docs/devops.md):"
        " check out this branch, save the patch below as `workflows.patch`, then"
        " `git apply workflows.patch`, commit and push. The run's `template-update` artifact holds"
        " the whole patch.\n\n"
        f"```diff\n{shown}```\n"
    )


def _checks_section(*, workflow_token: bool, branch: str) -> str:
    if not workflow_token:
        return (
            "### Checks\n\nThis branch was pushed with a GitHub App token: the pull request's"
            " checks start as for any other.\n"
        )
    return (
        "### Checks\n\n"
        "A pull request opened with the workflow token starts no workflows, so required checks"
        f" would wait forever: the update workflow started CI on `{branch}` itself (`gh workflow"
        f" run ci.yml --ref {branch}`), and its run reports on this pull request's commit. Other"
        " workflows start with the next push to the branch. For checks that start on their own,"
        " and workflow changes that can be pushed, give the update workflow a GitHub App token"
        ' (docs/devops.md, "Template updates").\n'
    )


def _table(before: Sequence[LayerVersion], after: Sequence[LayerVersion]) -> str:
    rows = ["| layer | before | after |", "| --- | --- | --- |"]
    for old in before:
        new = next((layer.version for layer in after if layer.layer == old.layer), old.version)
        shown = new if new != old.version else f"{new} (unchanged)"
        rows.append(f"| {old.layer} | {old.version} | {shown} |")
    return "\n".join(rows)


def _conflicts_section(conflicts: Sequence[str], *, stopped: bool) -> str:
    if not conflicts:
        return "### Conflicts\n\nNone: every template change merged with this project's edits.\n"
    listed = "\n".join(f"- [ ] `{name}`" for name in conflicts)
    rest = (
        " The update stops at the first layer with conflicts: the layers still at their old"
        " version above are updated by the next run, once this pull request is merged."
        if stopped
        else ""
    )
    return (
        "### Conflicts to resolve\n\n"
        "The template changed lines this project changed too. These files are committed with"
        " conflict markers (`<<<<<<< before updating` is this project, `>>>>>>> after updating`"
        " the template) or as `.rej` files: check out the branch, keep what you want, delete the"
        f" markers and `.rej` files, commit and push.{rest}\n\n{listed}\n"
    )


@dataclass(frozen=True)
class Report:
    """Everything the pull request's body tells."""

    before: Sequence[LayerVersion]
    after: Sequence[LayerVersion]
    conflicts: Sequence[str]
    stopped: bool
    """Whether the update stopped at a layer's conflicts, leaving the layers above as they were."""
    held_patch: str
    workflow_token: bool
    branch: str


def write_body(path: Path, report: Report) -> None:
    """Write the pull request's body: versions, conflicts, held changes, checks, release notes."""
    parts = [
        (
            "This pull request brings the project's template layers to their newest release"
            " (`mlhier update`, run by the template-update workflow).\n"
        ),
        _table(report.before, report.after) + "\n",
        _conflicts_section(report.conflicts, stopped=report.stopped),
        _held_section(report.held_patch),
        _checks_section(workflow_token=report.workflow_token, branch=report.branch),
        "### Release notes\n\n" + _notes(report.before, report.after) + "\n",
    ]
    path.write_text("\n".join(part for part in parts if part), encoding="utf-8")


def title_of(before: Sequence[LayerVersion], after: Sequence[LayerVersion]) -> str:
    """The pull request's title, naming the versions the layers moved to."""
    moved = sorted({new.version for new in after} - {old.version for old in before})
    return f"Update the project template to {', '.join(moved)}" if moved else "Update the template"


def run_update(command: str, vcs_ref: str | None) -> int:
    """Run the update command; its exit status, 0 or the one for conflicts."""
    argv = shlex.split(command) + (["--vcs-ref", vcs_ref] if vcs_ref else [])
    done = subprocess.run(argv, check=False)  # noqa: S603 - the command the caller chose
    if done.returncode not in {0, UPDATE_CONFLICTS}:
        message = f"{command} failed with exit status {done.returncode}"
        raise UpdateError(message)
    return done.returncode


def relock(base: str) -> None:
    """Lock again when the update changed a pyproject.toml: CI installs from uv.lock alone."""
    changed = git("diff", "--name-only", base, "HEAD").splitlines()
    if not any(name.endswith("pyproject.toml") for name in changed):
        return
    subprocess.run(["uv", "lock"], check=True)  # noqa: S607 - uv from PATH, as make runs it
    if git("status", "--porcelain"):
        commit_all("Lock the dependencies the template update changed")


def edited_by_others(published: str, base: str) -> list[str]:
    """Who else committed to the published update branch: their work must not be overwritten."""
    if not git("rev-parse", "--verify", "--quiet", published, check=False).strip():
        return []
    me = git("config", "user.email", check=False).strip()
    authors = git("log", "--format=%ae", f"{base}..{published}").splitlines()
    return sorted({author for author in authors if author != me})


def update(args: argparse.Namespace) -> Outcome:
    """Update on the branch and write the body; nothing moves when others edited the branch."""
    project = Path.cwd()
    if git("status", "--porcelain"):
        message = "the work tree has uncommitted changes: commit or stash them first"
        raise UpdateError(message)
    base = git("rev-parse", "HEAD").strip()
    if args.published is not None:
        others = edited_by_others(args.published, base)
        if others:
            sys.stdout.write(
                f"template_update: {args.published} holds commits by {', '.join(others)}:"
                " left as it is; merge or close its pull request, and the next run starts afresh\n"
            )
            return Outcome(changed=False, title="", conflicts=())
    before = recorded_versions(project)
    if not before:
        message = "no .copier-answers.<layer>.yml here: not a generated project"
        raise UpdateError(message)
    started_on = git("branch", "--show-current").strip() or base
    git("checkout", "--quiet", "-B", args.branch)
    status = run_update(args.update_command, args.vcs_ref)
    conflicts = conflicted_files(base)
    if status == UPDATE_CONFLICTS or conflicts:
        commit_all("Template update: conflicts to resolve, listed in the pull request")
    elif args.relock:
        relock(base)
    held = hold_workflow_changes(base) if args.workflow_token else ""
    after = recorded_versions(project)
    changed = git("rev-parse", "HEAD").strip() != base
    if not changed:  # nothing to propose: no branch either
        git("checkout", "--quiet", started_on)
        git("branch", "--quiet", "--delete", "--force", args.branch)
        return Outcome(changed=False, title="", conflicts=())
    stopped = status == UPDATE_CONFLICTS
    write_body(
        args.body,
        Report(before, after, conflicts, stopped, held, args.workflow_token, args.branch),
    )
    if held and args.patch is not None:
        args.patch.write_text(held, encoding="utf-8")
    return Outcome(changed, title_of(before, after), tuple(conflicts), held=bool(held))


def _github_output(outcome: Outcome) -> None:
    """Hand the results to the next workflow steps, when run by GitHub Actions."""
    target = os.environ.get("GITHUB_OUTPUT")
    if not target:
        return
    with Path(target).open("a", encoding="utf-8") as output:
        output.write(f"changed={str(outcome.changed).lower()}\n")
        output.write(f"conflicts={str(bool(outcome.conflicts)).lower()}\n")
        output.write(f"held={str(outcome.held).lower()}\n")
        output.write(f"title={outcome.title}\n")


def parse(argv: Sequence[str] | None = None) -> argparse.Namespace:
    """The command line's options."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--branch", default="template-update", help="branch to (re)create")
    parser.add_argument("--body", type=Path, required=True, help="where to write the PR body")
    parser.add_argument("--patch", type=Path, help="where to write held-back workflow changes")
    parser.add_argument("--update-command", default="mlhier update", help="what runs the update")
    parser.add_argument("--vcs-ref", help="template version to update to [default: newest]")
    parser.add_argument(
        "--workflow-token",
        action="store_true",
        help="the branch is pushed with the workflow token: hold back workflow changes",
    )
    parser.add_argument(
        "--published",
        metavar="REF",
        help="the branch as pushed before (origin/BRANCH): left alone when others committed to it",
    )
    parser.add_argument("--relock", action="store_true", help="run uv lock after the update")
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the update on the branch; 1 when it could not run (conflicts are not failures)."""
    args = parse(argv)
    try:
        outcome = update(args)
    except UpdateError as error:
        sys.stderr.write(f"template_update: {error}\n")
        return 1
    _github_output(outcome)
    if not outcome.changed:
        sys.stdout.write("template_update: nothing to propose\n")
        return 0
    sys.stdout.write(f"template_update: {outcome.title}; body in {args.body}\n")
    for name in outcome.conflicts:
        sys.stdout.write(f"template_update: conflict in {name}\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
