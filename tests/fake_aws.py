"""A stand-in for the AWS CLI: the calls of `make destroy` and `make lake-deploy`, with state.

Installed on PATH as `aws` by the tests. Its account lives in a JSON file ($FAKE_AWS_STATE):
{"caller": "<ARN of the credentials>", "stacks": {"<name>": {"retained": [[type, id], ...],
"fails": false}}}. Each call is appended to $FAKE_AWS_LOG as one JSON list of arguments.
`--query` accepts only the expressions the generated targets use; an unknown one fails.
"""

from __future__ import annotations

import json
import os
import re
import sys
from pathlib import Path
from typing import Any

SKIPPED = "StackEvents[?ResourceStatus=='DELETE_SKIPPED'].[ResourceType,PhysicalResourceId]"
FAILED = "StackEvents[?ResourceStatus=='DELETE_FAILED'].[LogicalResourceId,ResourceStatusReason]"
BY_PREFIX = re.compile(r"Stacks\[\?starts_with\(StackName, '([^']+)'\)\]\.\[StackName,StackId\]")


def option(args: list[str], name: str) -> str | None:
    return args[args.index(name) + 1] if name in args else None


def stack_id(name: str) -> str:
    return f"arn:aws:cloudformation:eu-west-1:123456789012:stack/{name}/0000-{len(name)}"


def find(state: dict[str, Any], reference: str | None) -> tuple[str, dict[str, Any]]:
    for name, stack in state["stacks"].items():
        if reference in (name, stack_id(name)):
            return name, stack
    raise LookupError(reference)


def sts(state: dict[str, Any], args: list[str]) -> str:
    query = option(args, "--query")
    caller: str = state["caller"]
    if args[1:2] == ["get-caller-identity"] and query == "Account":
        return caller.split(":")[4]
    if args[1:2] == ["get-caller-identity"] and query == "Arn":
        return caller
    raise SystemExit(f"fake aws: unsupported {args}")


def cloudformation(state: dict[str, Any], args: list[str]) -> str:
    region = option(args, "--region")
    command = [arg for arg in args[1:] if arg not in ("--region", region)]
    query = option(args, "--query")
    if command[:1] == ["deploy"]:
        stack = state["stacks"].setdefault(str(option(args, "--stack-name")), {})
        stack["deployed_with"] = args
        return ""
    if command[:1] == ["describe-stacks"] and query and (match := BY_PREFIX.fullmatch(query)):
        return "\n".join(
            f"{name}\t{stack_id(name)}"
            for name, stack in state["stacks"].items()
            if name.startswith(match.group(1)) and not stack.get("deleted")
        )
    name, stack = find(state, option(args, "--stack-name"))
    if command[:1] == ["delete-stack"]:
        stack["deleted"] = not stack.get("fails", False)
        return ""
    if command[:2] == ["wait", "stack-delete-complete"]:
        if not stack["deleted"]:
            raise SystemExit(255)
        return ""
    if command[:1] == ["describe-stack-events"] and query == SKIPPED:
        return "\n".join(f"{kind}\t{physical}" for kind, physical in stack.get("retained", []))
    if command[:1] == ["describe-stack-events"] and query == FAILED:
        return f"LakeBucket\tThe bucket you tried to delete is not empty ({name})"
    raise SystemExit(f"fake aws: unsupported {args}")


def main() -> int:
    args = sys.argv[1:]
    state_file = Path(os.environ["FAKE_AWS_STATE"])
    state: dict[str, Any] = json.loads(state_file.read_text())
    with Path(os.environ["FAKE_AWS_LOG"]).open("a") as log:
        log.write(json.dumps(args) + "\n")
    if args[:1] == ["sts"]:
        output = sts(state, args)
    elif args[:1] == ["cloudformation"]:
        output = cloudformation(state, args)
    else:
        raise SystemExit(f"fake aws: unsupported {args}")
    state_file.write_text(json.dumps(state))
    if output:
        print(output)
    return 0


if __name__ == "__main__":
    sys.exit(main())
