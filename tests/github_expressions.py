"""GitHub Actions expressions, the subset the generated workflows use, and which jobs of a run run.

No library evaluates GitHub's expression language offline, so this follows GitHub's documented
rules for what the templates need: literals (strings in single quotes, numbers, true, false,
null), property access on contexts (`vars.X`, `github.ref`, `steps.a.outputs.b`), `!`, `==`,
`!=`, `&&`, `||`, parentheses, and the functions `startsWith`, `endsWith`, `contains` and the
status functions. `==` compares strings ignoring case and coerces mismatched types to numbers;
`&&` and `||` return one of their operands, as in GitHub. Anything else is refused loudly, so a
template that starts using more fails this module's users instead of being misread.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

Value = str | float | bool | None

TOKEN = re.compile(
    r"\s*(?:(?P<string>'(?:[^']|'')*')|(?P<number>\d+(?:\.\d+)?)"
    r"|(?P<operator>==|!=|&&|\|\||!|\(|\)|,|\.)|(?P<name>[A-Za-z_][A-Za-z0-9_-]*))"
)
STATUS_FUNCTIONS = frozenset({"success", "failure", "always", "cancelled"})


class ExpressionError(ValueError):
    """The expression uses syntax or functions outside the supported subset."""


def tokenize(expression: str) -> list[tuple[str, str]]:
    tokens: list[tuple[str, str]] = []
    position = 0
    text = expression.rstrip()
    while position < len(text):
        match = TOKEN.match(text, position)
        if match is None or match.end() == position:
            raise ExpressionError(f"cannot read {text[position:]!r} in {expression!r}")
        kind = match.lastgroup
        assert kind is not None
        tokens.append((kind, match.group(kind)))
        position = match.end()
    return tokens


def to_number(value: Value) -> float:
    """GitHub's coercion of a value to a number when `==` compares different types."""
    if value is None:
        return 0.0
    if isinstance(value, bool):
        return 1.0 if value else 0.0
    if isinstance(value, float):
        return value
    stripped = value.strip()
    if stripped == "":
        return 0.0
    try:
        return float(stripped)
    except ValueError:
        return math.nan


def equals(left: Value, right: Value) -> bool:
    if isinstance(left, str) and isinstance(right, str):
        return left.casefold() == right.casefold()
    if type(left) is type(right):
        return left == right
    return to_number(left) == to_number(right)


def truthy(value: Value) -> bool:
    if value is None or value is False or value == "":
        return False
    if isinstance(value, float):
        return value != 0 and not math.isnan(value)
    return True


def as_text(value: Value) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else str(value)
    return value


def _starts_with(text: Value, prefix: Value) -> Value:
    return as_text(text).casefold().startswith(as_text(prefix).casefold())


def _ends_with(text: Value, suffix: Value) -> Value:
    return as_text(text).casefold().endswith(as_text(suffix).casefold())


def _contains(text: Value, part: Value) -> Value:
    return as_text(part).casefold() in as_text(text).casefold()


STRING_FUNCTIONS: dict[str, Callable[[Value, Value], Value]] = {
    "startswith": _starts_with,
    "endswith": _ends_with,
    "contains": _contains,
}


@dataclass
class Parser:
    """Recursive descent over the tokens: `||` < `&&` < `==`/`!=` < `!` < primary."""

    tokens: list[tuple[str, str]]
    contexts: Mapping[str, Any]
    status: Mapping[str, bool]
    position: int = 0

    def peek(self) -> str | None:
        return self.tokens[self.position][1] if self.position < len(self.tokens) else None

    def take(self, expected: str | None = None) -> tuple[str, str]:
        if self.position >= len(self.tokens):
            raise ExpressionError("unexpected end of expression")
        token = self.tokens[self.position]
        if expected is not None and token[1] != expected:
            raise ExpressionError(f"expected {expected!r}, found {token[1]!r}")
        self.position += 1
        return token

    def parse(self) -> Value:
        value = self.parse_or()
        if self.position != len(self.tokens):
            raise ExpressionError(f"unexpected {self.peek()!r}")
        return value

    def parse_or(self) -> Value:
        value = self.parse_and()
        while self.peek() == "||":
            self.take()
            right = self.parse_and()
            value = value if truthy(value) else right
        return value

    def parse_and(self) -> Value:
        value = self.parse_comparison()
        while self.peek() == "&&":
            self.take()
            right = self.parse_comparison()
            value = right if truthy(value) else value
        return value

    def parse_comparison(self) -> Value:
        value = self.parse_not()
        while self.peek() in ("==", "!="):
            operator = self.take()[1]
            right = self.parse_not()
            same = equals(value, right)
            value = same if operator == "==" else not same
        return value

    def parse_not(self) -> Value:
        if self.peek() == "!":
            self.take()
            return not truthy(self.parse_not())
        return self.parse_primary()

    def parse_primary(self) -> Value:
        kind, text = self.take()
        if text == "(":
            value = self.parse_or()
            self.take(")")
            return value
        if kind == "string":
            return text[1:-1].replace("''", "'")
        if kind == "number":
            return float(text)
        if kind != "name":
            raise ExpressionError(f"unexpected {text!r}")
        if text in ("true", "false"):
            return text == "true"
        if text == "null":
            return None
        if self.peek() == "(":
            return self.call(text)
        return self.property_path(text)

    def call(self, name: str) -> Value:
        self.take("(")
        arguments: list[Value] = []
        while self.peek() != ")":
            if arguments:
                self.take(",")
            arguments.append(self.parse_or())
        self.take(")")
        if name in STATUS_FUNCTIONS:
            if arguments:
                raise ExpressionError(f"{name}() takes no arguments")
            return self.status[name]
        function = STRING_FUNCTIONS.get(name.casefold())
        if function is None or len(arguments) != 2:
            raise ExpressionError(f"unsupported function {name}({len(arguments)} arguments)")
        return function(*arguments)

    def property_path(self, context: str) -> Value:
        if context not in self.contexts:
            raise ExpressionError(f"unknown context {context!r}")
        value: Any = self.contexts[context]
        while self.peek() == ".":
            self.take()
            kind, name = self.take()
            if kind != "name":
                raise ExpressionError(f"expected a property name after '.', found {name!r}")
            value = value.get(name) if isinstance(value, Mapping) else None
        if isinstance(value, Mapping):
            raise ExpressionError(f"{context} is an object, not a value")
        if isinstance(value, int) and not isinstance(value, bool):
            return float(value)
        result: Value = value
        return result


def strip_delimiters(expression: str) -> str:
    """`${{ x }}` and `x` mean the same in an `if:`."""
    text = expression.strip()
    if text.startswith("${{") and text.endswith("}}"):
        return text[3:-2]
    if "${{" in text:
        raise ExpressionError(f"mixed text and expression in a condition: {expression!r}")
    return text


def evaluate(
    expression: str,
    contexts: Mapping[str, Any],
    status: Mapping[str, bool] | None = None,
) -> Value:
    """The value of ``expression`` with ``contexts`` (missing properties are null)."""
    checks = status or {"success": True, "failure": False, "always": True, "cancelled": False}
    return Parser(tokenize(strip_delimiters(expression)), contexts, checks).parse()


def uses_status_function(expression: str) -> bool:
    return any(
        kind == "name" and text in STATUS_FUNCTIONS
        for kind, text in tokenize(strip_delimiters(expression))
    )


def needs_of(job: Mapping[str, Any]) -> list[str]:
    needs = job.get("needs", [])
    return [needs] if isinstance(needs, str) else list(needs)


def jobs_that_run(jobs: Mapping[str, Mapping[str, Any]], contexts: Mapping[str, Any]) -> set[str]:
    """The jobs of one run that start, assuming every job that starts succeeds.

    A job runs when every job it needs ran and its `if:` holds. Without a status function GitHub
    prefixes the condition with `success()`, so a job that needs a skipped job is skipped too.
    """
    ran: dict[str, bool] = {}

    def decide(name: str, visiting: frozenset[str]) -> bool:
        if name in ran:
            return ran[name]
        if name in visiting:
            raise ExpressionError(f"needs cycle through {name}")
        job = jobs[name]
        needed_ran = all(decide(need, visiting | {name}) for need in needs_of(job))
        condition = job.get("if")
        if condition is None:
            runs = needed_ran
        elif isinstance(condition, bool):
            runs = needed_ran and condition
        elif uses_status_function(condition):
            status = {
                "success": needed_ran,
                "failure": False,
                "always": True,
                "cancelled": False,
            }
            runs = truthy(evaluate(condition, contexts, status))
        else:
            runs = needed_ran and truthy(evaluate(condition, contexts))
        ran[name] = runs
        return runs

    return {name for name in jobs if decide(name, frozenset())}
