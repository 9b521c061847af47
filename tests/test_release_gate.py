"""A version tag releases only a commit that passes the checks, and builds every workspace package.

Read from the rendered workflows: release.yml calls checks.yml (which ci.yml calls too) in its
first job; every other job needs that job, directly or through another one, and none may run
after it failed, so no publishing job can be reached without the checks passing.
"""

from __future__ import annotations

import copy
import fnmatch
import json
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pytest
import yaml
from cloudformation import load
from github_expressions import evaluate, jobs_that_run, needs_of, truthy, uses_status_function

from conftest import render_only

Workflow = dict[Any, Any]
CHECKS_CALL = "$/.github/workflows/checks.yml"
TAG_PUSH = {"event_name": "push", "ref": "refs/tags/v1.2.3", "ref_name": "v1.2.3"}
ENABLED = {"DEPLOY_ENABLED": "true", "PYPI_PUBLISH": "true", "ATTESTATIONS": "true"}


def load_workflows(project: Path) -> dict[str, Workflow]:
    return {
        path.name: yaml.safe_load(path.read_text(encoding="utf-8"))
        for path in sorted((project / ".github/workflows").glob("*.yml"))
    }


@pytest.fixture(scope="module", params=[False, True], ids=["pypi-off", "pypi-on"])
def rendered(
    request: pytest.FixtureRequest,
    tmp_path_factory: pytest.TempPathFactory,
    rendered_data_project: Path,
) -> tuple[bool, dict[str, Workflow], Path]:
    """The default answers (publish_to_pypi no: the shared project), and publish_to_pypi yes."""
    if not request.param:
        return False, load_workflows(rendered_data_project), rendered_data_project
    destination = tmp_path_factory.mktemp("release")
    answers = {"layer": "devops", "project_name": "demo", "publish_to_pypi": True}
    keep = [".github", ".github/workflows", ".github/workflows/*.yml", "infra", "infra/*.yaml"]
    render_only(destination, answers, keep)
    return True, load_workflows(destination), destination


@pytest.fixture(scope="module")
def workflows(rendered: tuple[bool, dict[str, Workflow], Path]) -> dict[str, Workflow]:
    return rendered[1]


def steps_of(job: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    steps: list[Mapping[str, Any]] = job.get("steps", [])
    return steps


def script_of(job: Mapping[str, Any]) -> str:
    return "\n".join(str(step.get("run", "")) for step in steps_of(job))


def uses_of(job: Mapping[str, Any]) -> list[str]:
    return [str(step["uses"]).split("@")[0] for step in steps_of(job) if "uses" in step]


def ancestors(jobs: Mapping[str, Mapping[str, Any]], name: str) -> set[str]:
    """Every job ``name`` needs, directly or through the jobs it needs."""
    found: set[str] = set()
    pending = needs_of(jobs[name])
    while pending:
        need = pending.pop()
        if need not in found:
            found.add(need)
            pending.extend(needs_of(jobs[need]))
    return found


def test_every_release_job_that_can_write_anything_needs_the_checks(
    workflows: dict[str, Workflow],
) -> None:
    jobs = workflows["release.yml"]["jobs"]
    unguarded = {
        name
        for name, job in jobs.items()
        if name != "checks" and job["permissions"] != {} and "checks" not in ancestors(jobs, name)
    }

    assert unguarded == set()
    # The only job outside the gate explains skipped deploys; it has no token to publish with.
    outside = {name for name in jobs if name != "checks" and "checks" not in ancestors(jobs, name)}
    assert outside == {"deploys-disabled"}
    assert script_of(jobs["deploys-disabled"]).count("GITHUB_STEP_SUMMARY") == 1


def test_the_checks_job_runs_the_ci_checks_always_and_read_only(
    workflows: dict[str, Workflow],
) -> None:
    release = workflows["release.yml"]["jobs"]["checks"]
    ci = workflows["ci.yml"]["jobs"]["checks"]

    assert (
        release
        == ci
        == {
            "name": "checks",
            "uses": CHECKS_CALL,
            "permissions": {"contents": "read"},
        }
    )  # no `if:` to skip it, no `continue-on-error`, no secrets
    assert workflows["ci.yml"]["jobs"]["image"]["needs"] == "checks"


def test_no_release_job_runs_after_the_checks_failed(workflows: dict[str, Workflow]) -> None:
    jobs = workflows["release.yml"]["jobs"]
    contexts = {"vars": ENABLED, "github": TAG_PUSH}
    assert {"checks", "build", "github-release", "image"} <= jobs_that_run(jobs, contexts)

    # A job that needs a job that did not succeed runs only if its `if:` asks for it with a
    # status function; none does, so with the checks failed (here: not run) nothing runs.
    assert not any(uses_status_function(str(job.get("if", "true"))) for job in jobs.values())
    failed = copy.deepcopy(jobs)
    failed["checks"]["if"] = False
    assert jobs_that_run(failed, contexts) == set()


def test_the_checks_are_make_check_and_the_tests_on_the_derived_matrix(
    workflows: dict[str, Workflow],
) -> None:
    checks = workflows["checks.yml"]
    triggers = checks["on"] if "on" in checks else checks[True]  # YAML 1.1 reads `on` as true
    jobs = checks["jobs"]
    derive = script_of(jobs["python-versions"])

    assert set(triggers) == {"workflow_call"}
    assert checks["permissions"] == {}
    assert set(jobs) == {"python-versions", "check", "test"}
    assert "make check" in script_of(jobs["check"])
    assert "make test" in script_of(jobs["test"])
    assert jobs["test"]["needs"] == "python-versions"
    assert jobs["test"]["strategy"]["matrix"]["python-version"] == (
        "${{ fromJSON(needs.python-versions.outputs.versions) }}"
    )
    assert 'python3 scripts/python_matrix.py --exclude "${default}"' in derive
    assert 'default="$(cat .python-version)"' in derive  # make check tests that one already
    assert all(job.get("continue-on-error") is None for job in jobs.values())


def test_the_build_builds_every_workspace_package_and_attests_it(
    workflows: dict[str, Workflow],
) -> None:
    build = workflows["release.yml"]["jobs"]["build"]
    attest = next(s for s in steps_of(build) if str(s.get("uses")).startswith("actions/attest-"))
    keep = next(s for s in steps_of(build) if str(s.get("uses")).startswith("actions/upload-"))

    assert build["needs"] == "checks"
    assert "uv build --all-packages --out-dir dist" in script_of(build)
    assert attest["uses"].split("@")[0] == "actions/attest-build-provenance"
    assert attest["with"] == {"subject-path": "dist/*.whl\ndist/*.tar.gz\n"}
    assert keep["with"]["path"] == "dist/"


def test_pypi_is_published_to_only_when_the_question_says_so(
    rendered: tuple[bool, dict[str, Workflow], Path],
) -> None:
    publish_to_pypi, workflows, _ = rendered
    jobs = workflows["release.yml"]["jobs"]
    github_release = script_of(jobs["github-release"])

    assert ("pypi" in jobs) is publish_to_pypi
    assert 'gh release create "${TAG}" dist/*' in github_release
    assert 'gh release upload "${TAG}" dist/*' in github_release
    if publish_to_pypi:
        assert jobs["pypi"]["needs"] == "build"
        assert jobs["pypi"]["environment"]["name"] == "pypi"
        assert uses_of(jobs["pypi"]) == [
            "actions/download-artifact",
            "pypa/gh-action-pypi-publish",
        ]
    assert not any(
        "pypa/gh-action-pypi-publish" in uses_of(job)
        for name, job in jobs.items()
        if name != "pypi"
    )


def test_each_job_gets_only_the_permissions_it_needs(
    rendered: tuple[bool, dict[str, Workflow], Path],
) -> None:
    publish_to_pypi, workflows, _ = rendered
    release = {name: job["permissions"] for name, job in workflows["release.yml"]["jobs"].items()}
    checks = {name: job["permissions"] for name, job in workflows["checks.yml"]["jobs"].items()}
    image = workflows["ci.yml"]["jobs"]["image"]["permissions"]

    assert release == {
        "checks": {"contents": "read"},
        "build": {"contents": "read", "id-token": "write", "attestations": "write"},
        "github-release": {"contents": "write"},
        **({"pypi": {"id-token": "write"}} if publish_to_pypi else {}),
        "image": {"id-token": "write"},
        "deploys-disabled": {},
    }
    assert set(map(str, checks.values())) == {str({"contents": "read"})}
    assert image == {"contents": "read", "id-token": "write", "attestations": "write"}


def test_the_image_gets_provenance_and_sbom_attestations_and_stays_one_manifest(
    workflows: dict[str, Workflow],
) -> None:
    steps = steps_of(workflows["ci.yml"]["jobs"]["image"])
    push = next(s for s in steps if s.get("id") == "push")
    by_action = {str(s["uses"]).split("@")[0]: s for s in steps if "uses" in s}
    subject = {
        "subject-name": "${{ steps.ecr.outputs.registry }}/${{ env.ECR_REPOSITORY }}",
        "subject-digest": "${{ steps.record.outputs.digest }}",
    }

    assert (push["with"]["provenance"], push["with"]["sbom"]) == (False, False)
    assert by_action["anchore/sbom-action"]["with"]["output-file"] == "sbom.spdx.json"
    assert by_action["actions/attest-build-provenance"]["with"] == subject
    assert by_action["actions/attest"]["with"] == {**subject, "sbom-path": "sbom.spdx.json"}
    assert "sbom.spdx.json" in by_action["actions/upload-artifact"]["with"]["path"]


def test_release_images_are_tagged_with_the_git_tag_the_lifecycle_rule_keeps(
    workflows: dict[str, Workflow],
) -> None:
    image = workflows["release.yml"]["jobs"]["image"]
    tag_step = next(s for s in steps_of(image) if s.get("id") == "tag")

    assert tag_step["env"]["TAG"] == "${{ github.ref_name }}"
    assert '--image-tag "${TAG}"' in tag_step["run"]
    assert image["needs"] == "build"


def claiming_rule(rules: list[dict[str, Any]], tags: list[str]) -> dict[str, Any]:
    """The rule that may expire an image with ``tags``: ECR lets only the first rule (by
    priority) whose tag selection matches an image expire it."""
    for rule in sorted(rules, key=lambda rule: int(rule["rulePriority"])):
        selection = rule["selection"]
        status = selection["tagStatus"]
        patterns = selection.get("tagPatternList", [])
        if (
            status == "any"
            or (status == "untagged" and not tags)
            or (
                status == "tagged"
                and all(any(fnmatch.fnmatchcase(tag, p) for tag in tags) for p in patterns)
                and tags
            )
        ):
            return rule
    return {}


def test_the_lifecycle_rule_never_expires_release_images(
    rendered: tuple[bool, dict[str, Workflow], Path],
) -> None:
    template = load(rendered[2] / "infra/devops.yaml")
    parameters = {name: spec.get("Default") for name, spec in template["Parameters"].items()}
    repository = template["Resources"]["ContainerRepository"]["Properties"]
    text = repository["LifecyclePolicy"]["LifecyclePolicyText"]["Fn::Sub"]
    rules = json.loads(re.sub(r"\$\{(\w+)\}", lambda m: str(parameters[m.group(1)]), text))["rules"]

    for tags in (["v1.2.3", "sha-0123abc"], ["v0.1.0"]):
        keeper = claiming_rule(rules, tags)
        assert keeper["selection"]["tagPatternList"] == ["v*"], tags
        assert keeper["selection"]["countType"] == "imageCountMoreThan"
        assert keeper["selection"]["countNumber"] >= 10000
    assert claiming_rule(rules, [])["selection"]["countType"] == "sinceImagePushed"
    assert claiming_rule(rules, ["sha-0123abc"])["selection"]["tagStatus"] == "any"
    assert max(rules, key=lambda rule: int(rule["rulePriority"]))["selection"]["tagStatus"] == "any"


@pytest.mark.parametrize(
    ("visibility", "variables", "attested"),
    [
        ("public", {}, True),
        ("private", {}, False),  # GitHub offers no attestations there outside Enterprise Cloud
        ("private", {"ATTESTATIONS": "true"}, True),
        ("internal", {"ATTESTATIONS": "true"}, True),
    ],
)
def test_attestations_run_where_github_offers_them(
    workflows: dict[str, Workflow], visibility: str, variables: dict[str, str], attested: bool
) -> None:
    attest_steps = [
        step
        for workflow in ("ci.yml", "release.yml")
        for job in workflows[workflow]["jobs"].values()
        for step in steps_of(job)
        if str(step.get("uses", "")).startswith("actions/attest")
    ]
    contexts = {
        "github": {"event": {"repository": {"visibility": visibility}}},
        "vars": variables,
        "steps": {"existing": {"outputs": {"digest": ""}}},
    }

    assert len(attest_steps) == 3
    assert [truthy(evaluate(step["if"], contexts)) for step in attest_steps] == [attested] * 3
