"""A stand-in for GitHub's `gh` CLI: answers like the REST API, keeps state, logs every call.

Installed on PATH as `gh` by the tests of `make github-setup`. Its repository lives in a JSON file
($FAKE_GH_STATE) whose "plan" says what GitHub allows:
- "public": a public repository (or GitHub Enterprise): environments with required reviewers;
- "team": a private repository on GitHub Pro or Team: environments and rulesets, but required
  reviewers are refused with GitHub's 422;
- "free": a private repository on GitHub Free: no environments, no rulesets.
A "reviewer_error" makes GitHub refuse the reviewers with that 422 message whatever the plan.
Each call is appended to $FAKE_GH_LOG as one JSON line: {"args": [...], "body": <JSON or null>}.
`--jq` accepts only the filters the setup script uses, translated here; an unknown one fails.
"""

from __future__ import annotations

import json
import os
import re
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

VISIBILITY = {"public": "public", "team": "private", "free": "private"}
USERS = {"alice": ("User", 101), "bob": ("User", 102), "my-org": ("Organization", 900)}
TEAMS = {"my-org/leads": 501}
NO_REVIEWERS = (
    "Failed to create the environment protection rule. Please ensure the billing plan supports "
    "the required reviewers protection rule."
)


class ApiError(Exception):
    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


def jq_filter(expression: str) -> Callable[[Any], list[str]]:
    """The few jq filters of scripts/github-setup.sh, as Python."""
    fixed: dict[str, Callable[[Any], list[str]]] = {
        ".visibility": lambda data: [data["visibility"]],
        ".login": lambda data: [data["login"]],
        ".id": lambda data: [str(data["id"])],
        '"\\(.type) \\(.id)"': lambda data: [f"{data['type']} {data['id']}"],
        '.branch_policies[] | "\\(.id) \\(.type) \\(.name)"': lambda data: [
            f"{policy['id']} {policy['type']} {policy['name']}"
            for policy in data["branch_policies"]
        ],
        ".errors | length": lambda data: [str(len(data["errors"]))],
    }
    if expression in fixed:
        return fixed[expression]
    by_name = re.fullmatch(r'\.\[\] \| select\(\.name == "([^"]+)"\) \| \.id', expression)
    if by_name:
        name = by_name.group(1)
        return lambda data: [str(item["id"]) for item in data if item["name"] == name]
    raise SystemExit(f"fake gh: unsupported --jq {expression!r}")


def environment_api(state: dict[str, Any], method: str, parts: list[str], body: Any) -> Any:
    """repos/{owner}/{repo}/environments/{name}[/deployment-branch-policies[/{id}]]."""
    if state["plan"] == "free":
        raise ApiError(404, "Not Found")
    environments: dict[str, Any] = state["environments"]
    name = parts[0]
    if len(parts) == 1 and method == "PUT":
        if body.get("reviewers") is not None and state["plan"] != "public":
            raise ApiError(422, NO_REVIEWERS)
        if body.get("reviewers") is not None and "reviewer_error" in state:
            raise ApiError(422, state["reviewer_error"])
        environment = environments.setdefault(name, {"branch_policies": []})
        environment["deployment_branch_policy"] = body.get("deployment_branch_policy")
        environment["reviewers"] = body.get("reviewers")
        return {"name": name}
    environment = environments.get(name)
    if environment is None:
        raise ApiError(404, "Not Found")
    policies: list[dict[str, Any]] = environment["branch_policies"]
    if len(parts) == 2 and method == "GET":
        return {"total_count": len(policies), "branch_policies": policies}
    if len(parts) == 2 and method == "POST":
        policy = {"id": state["next_id"], "name": body["name"], "type": body["type"]}
        state["next_id"] += 1
        policies.append(policy)
        return policy
    if len(parts) == 3 and method == "DELETE":
        environment["branch_policies"] = [p for p in policies if str(p["id"]) != parts[2]]
        return None
    raise ApiError(404, "Not Found")


def ruleset_api(state: dict[str, Any], method: str, parts: list[str], body: Any) -> Any:
    if state["plan"] == "free":
        raise ApiError(
            403, "Upgrade to GitHub Pro or make this repository public to enable this feature."
        )
    rulesets: list[dict[str, Any]] = state["rulesets"]
    if not parts and method == "GET":
        return [{"id": ruleset["id"], "name": ruleset["name"]} for ruleset in rulesets]
    if not parts and method == "POST":
        ruleset = {**body, "id": state["next_id"]}
        state["next_id"] += 1
        rulesets.append(ruleset)
        return ruleset
    if len(parts) == 1 and method == "PUT":
        for index, ruleset in enumerate(rulesets):
            if str(ruleset["id"]) == parts[0]:
                rulesets[index] = {**body, "id": ruleset["id"]}
                return rulesets[index]
    raise ApiError(404, "Not Found")


def api(state: dict[str, Any], method: str, path: str, body: Any) -> Any:
    parts = path.strip("/").split("/")
    if path == "user":
        return {"login": state["login"]}
    if parts[0] == "users" and len(parts) == 2 and parts[1] in USERS:
        kind, number = USERS[parts[1]]
        return {"login": parts[1], "type": kind, "id": number}
    if parts[0] == "orgs" and len(parts) == 4 and f"{parts[1]}/{parts[3]}" in TEAMS:
        return {"id": TEAMS[f"{parts[1]}/{parts[3]}"]}
    if parts[:3] != ["repos", *state["repository"].split("/")]:
        raise ApiError(404, "Not Found")
    rest = parts[3:]
    if not rest:
        return {"visibility": VISIBILITY[state["plan"]]}
    if rest[0] == "environments":
        return environment_api(state, method, rest[1:], body)
    if rest[0] == "rulesets":
        return ruleset_api(state, method, rest[1:], body)
    if rest == ["codeowners", "errors"]:
        return {"errors": []}
    raise ApiError(404, "Not Found")


def option(args: list[str], name: str) -> str | None:
    return args[args.index(name) + 1] if name in args else None


def run_api(state: dict[str, Any], args: list[str], body: Any) -> int:
    method = option(args, "--method") or "GET"
    path = next(arg for arg in args[1:] if not arg.startswith("-") and arg != method)
    try:
        answer = api(state, method, path, body)
    except ApiError as error:
        print(json.dumps({"message": error.message, "status": str(error.status)}))
        print(f"gh: {error.message} (HTTP {error.status})", file=sys.stderr)
        return 1
    jq = option(args, "--jq")
    if jq is not None:
        for line in jq_filter(jq)(answer):
            print(line)
    elif answer is not None:
        print(json.dumps(answer))
    return 0


def run_variable(state: dict[str, Any], args: list[str]) -> int:
    if args[:2] != ["variable", "set"] or option(args, "--repo") != state["repository"]:
        print(f"fake gh: unexpected {args}", file=sys.stderr)
        return 2
    environment = option(args, "--env")
    if environment is not None and environment not in state["environments"]:
        print(f"HTTP 404: environment {environment} not found", file=sys.stderr)
        return 1
    scope = state["variables"].setdefault(environment or "", {})
    scope[args[2]] = option(args, "--body")
    return 0


def main() -> int:
    args = sys.argv[1:]
    state_file = Path(os.environ["FAKE_GH_STATE"])
    state: dict[str, Any] = json.loads(state_file.read_text())
    body = json.loads(sys.stdin.read()) if "--input" in args else None
    with Path(os.environ["FAKE_GH_LOG"]).open("a") as log:
        log.write(json.dumps({"args": args, "body": body}) + "\n")
    status = run_api(state, args, body) if args[:1] == ["api"] else run_variable(state, args)
    state_file.write_text(json.dumps(state))
    return status


if __name__ == "__main__":
    sys.exit(main())
