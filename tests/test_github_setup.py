"""`make github-setup` against a stand-in `gh` (tests/fake_gh.py): the API calls for each plan."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import stand_ins
from stand_ins import MakeRun, install, run_make

FAKE_GH = Path(__file__).with_name("fake_gh.py")
REPOSITORY = "repos/my-org/demo"
# Deployments only from the policies listed on the environment (main, or the tag pattern v*).
CUSTOM_POLICIES = {"protected_branches": False, "custom_branch_policies": True}


class Run(MakeRun):
    def api_calls(self, method: str, path: str) -> list[dict[str, Any]]:
        return [
            call
            for call in self.calls
            if call["args"][:1] == ["api"]
            and (call["args"][call["args"].index("--method") + 1]) == method
            and any(arg.startswith(f"{REPOSITORY}/{path}") for arg in call["args"])
        ]

    def variables_set(self) -> list[tuple[str, str, str]]:
        """(scope, name, value) of every `gh variable set`, in order; scope "" is the repository."""
        found = []
        for call in self.calls:
            args = call["args"]
            if args[:2] == ["variable", "set"]:
                scope = args[args.index("--env") + 1] if "--env" in args else ""
                found.append((scope, args[2], args[args.index("--body") + 1]))
        return found


def repository(plan: str, **extra: Any) -> dict[str, Any]:
    """The stand-in's state: repository my-org/demo on ``plan``, no environments yet."""
    return {
        "plan": plan,
        "repository": "my-org/demo",
        "login": "alice",
        "environments": {},
        "rulesets": [],
        "variables": {},
        "next_id": 1,
        **extra,
    }


@pytest.fixture
def github(tmp_path: Path) -> Path:
    install(tmp_path, "gh", FAKE_GH, repository("public"))
    return tmp_path


def write_state(github: Path, plan: str, **extra: Any) -> None:
    stand_ins.write_state(github, repository(plan, **extra))


def setup(project: Path, github: Path, *options: str) -> Run:
    done = run_make(project, github, "FAKE_GH", "github-setup", *options)
    return Run(done.returncode, done.output, done.calls, done.state)


def test_public_repository_gets_environments_reviewers_on_prod_and_the_variables(
    rendered_data_project: Path, github: Path
) -> None:
    run = setup(
        rendered_data_project, github, "AWS_ACCOUNT_ID_prod=210987654321", "PREVENT_SELF_REVIEW=1"
    )

    assert run.returncode == 0, run.output
    environments = run.state["environments"]
    assert environments["dev"]["deployment_branch_policy"] is None  # any branch may deploy dev
    for gated in ("staging", "prod"):
        assert environments[gated]["deployment_branch_policy"] == CUSTOM_POLICIES
        assert [p["name"] for p in environments[gated]["branch_policies"]] == ["main"]
    assert environments["prod"]["reviewers"] == [{"type": "User", "id": 101}]  # the caller, alice
    (prod,) = run.api_calls("PUT", "environments/prod")
    assert prod["body"]["prevent_self_review"] is True
    assert environments["staging"]["reviewers"] is None
    assert run.state["rulesets"] == []  # reviewers gate prod: no fallback
    assert run.variables_set() == [
        ("dev", "AWS_ACCOUNT_ID", "123456789012"),
        ("dev", "AWS_REGION", "eu-west-1"),
        ("staging", "AWS_ACCOUNT_ID", "123456789012"),
        ("staging", "AWS_REGION", "eu-west-1"),
        ("prod", "AWS_ACCOUNT_ID", "210987654321"),
        ("prod", "AWS_REGION", "eu-west-1"),
        ("", "AWS_TOOLING_ACCOUNT_ID", "123456789012"),
        ("", "AWS_REGION", "eu-west-1"),
    ]
    assert "DEPLOY_ENABLED" not in run.state["variables"][""]
    assert "make github-setup ENABLE_DEPLOY=1" in run.output


def test_a_plan_without_required_reviewers_falls_back_to_code_owner_review_of_main(
    rendered_data_project: Path, github: Path
) -> None:
    write_state(github, plan="team")

    run = setup(rendered_data_project, github, "REVIEWERS=bob,my-org/leads", "ENABLE_PYPI=1")

    assert run.returncode == 0, run.output
    refused, accepted = run.api_calls("PUT", "environments/prod")
    assert refused["body"]["reviewers"] == [
        {"type": "User", "id": 102},
        {"type": "Team", "id": 501},
    ]
    assert "reviewers" not in accepted["body"]
    assert accepted["body"]["deployment_branch_policy"] == CUSTOM_POLICIES
    assert "offers no required reviewers" in run.output
    (ruleset,) = run.state["rulesets"]
    assert ruleset["enforcement"] == "active"
    assert ruleset["conditions"] == {"ref_name": {"include": ["~DEFAULT_BRANCH"], "exclude": []}}
    assert ruleset["bypass_actors"] == []
    rules = {rule["type"]: rule.get("parameters") for rule in ruleset["rules"]}
    assert rules["pull_request"]["require_code_owner_review"] is True
    assert rules["pull_request"]["required_approving_review_count"] == 1
    assert {"deletion", "non_fast_forward"} <= set(rules)
    pypi = run.state["environments"]["pypi"]
    assert pypi["deployment_branch_policy"] == CUSTOM_POLICIES
    assert [(p["type"], p["name"]) for p in pypi["branch_policies"]] == [("tag", "v*")]
    assert run.state["variables"][""]["PYPI_PUBLISH"] == "true"


def test_running_again_converges_and_enable_deploy_turns_deploys_on(
    rendered_data_project: Path, github: Path
) -> None:
    # As a first run left it, except that someone widened staging to release/* by hand.
    main = {"id": 1, "name": "main", "type": "branch"}
    write_state(
        github,
        plan="team",
        environments={
            "dev": {"deployment_branch_policy": None, "reviewers": None, "branch_policies": []},
            "staging": {
                "deployment_branch_policy": CUSTOM_POLICIES,
                "reviewers": None,
                "branch_policies": [main, {"id": 99, "name": "release/*", "type": "branch"}],
            },
            "prod": {
                "deployment_branch_policy": CUSTOM_POLICIES,
                "reviewers": None,
                "branch_policies": [main],
            },
        },
        rulesets=[{"id": 7, "name": "demo-main-code-owner-review", "rules": []}],
        next_id=100,
    )

    run = setup(rendered_data_project, github, "ENABLE_DEPLOY=1")

    assert run.returncode == 0, run.output
    assert run.api_calls("POST", "rulesets") == []
    (updated,) = run.api_calls("PUT", "rulesets/7")
    assert updated["body"]["name"] == "demo-main-code-owner-review"
    assert run.api_calls("POST", "environments/prod/deployment-branch-policies") == []
    assert len(run.api_calls("DELETE", "environments/staging/deployment-branch-policies/99")) == 1
    assert len(run.state["rulesets"]) == 1
    for env in ("staging", "prod"):
        assert run.state["environments"][env]["branch_policies"] == [main]
    assert run.variables_set()[-1] == ("", "DEPLOY_ENABLED", "true")
    assert "Deploys are enabled" in run.output


def test_a_422_for_another_reason_than_the_plan_is_an_error_not_the_fallback(
    rendered_data_project: Path, github: Path
) -> None:
    write_state(github, plan="public", reviewer_error="Validation Failed")

    run = setup(rendered_data_project, github, "ENABLE_DEPLOY=1")

    assert run.returncode != 0
    assert "could not create the environment prod: Validation Failed (HTTP 422)" in run.output
    assert run.state["rulesets"] == []
    assert "DEPLOY_ENABLED" not in run.state["variables"].get("", {})


def test_a_private_repository_on_github_free_is_refused_and_deploys_stay_off(
    rendered_data_project: Path, github: Path
) -> None:
    write_state(github, plan="free")

    run = setup(rendered_data_project, github, "ENABLE_DEPLOY=1")

    assert run.returncode != 0
    assert "GitHub Free offers environments to public repositories only" in run.output
    assert run.state["variables"] == {}


@pytest.mark.parametrize(
    ("option", "message"),
    [
        ("ENABLE_DEPLOY=yes", "ENABLE_DEPLOY must be 1 or 0"),
        ("REVIEWERS=my-org", "is an Organization: name a user or a team"),
        ("REVIEWERS=a;b", "neither a user login nor an org/team name"),
        ("REVIEWERS=a,b,c,d,e,f,g", "at most 6 reviewers"),
    ],
)
def test_bad_options_are_refused_before_anything_changes(
    rendered_data_project: Path, github: Path, option: str, message: str
) -> None:
    run = setup(rendered_data_project, github, option)

    assert run.returncode != 0
    assert message in run.output
    assert [call for call in run.calls if call["args"][:2] != ["api", "--method"]] == []
    assert all(call["args"][2] == "GET" for call in run.calls)
    assert run.state["environments"] == {}
