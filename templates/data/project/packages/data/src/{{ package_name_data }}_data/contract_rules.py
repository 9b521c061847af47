"""The value rules of a contract, checked by pandera (polars backend) on a typed batch.

Each rule becomes a pandera check; pandera's failure cases (rule, row index) become Violations
named after the contract's own words, e.g. ``alcohol: maximum 16``.
"""

from __future__ import annotations

from collections import defaultdict
from typing import TYPE_CHECKING, Any

import pandera.polars as pa_pl
import polars as pl
from pandera.errors import SchemaErrors

from {{ package_name_data }}_data.contract_spec import Contract, Property, Violation

if TYPE_CHECKING:
    import pyarrow as pa

__all__ = ["RuleSet"]


def _shown(value: object) -> str:
    return f"{value:g}" if isinstance(value, float) else str(value)


def _column_checks(prop: Property) -> list[tuple[str, pa_pl.Check]]:
    """(rule as reported, pandera check) for the value rules of one property."""
    checks: list[tuple[str, pa_pl.Check]] = []
    if prop.minimum is not None:
        checks.append((f"minimum {_shown(prop.minimum)}", pa_pl.Check.ge(prop.minimum)))
    if prop.maximum is not None:
        checks.append((f"maximum {_shown(prop.maximum)}", pa_pl.Check.le(prop.maximum)))
    if prop.exclusive_minimum is not None:
        bound = prop.exclusive_minimum
        checks.append((f"exclusiveMinimum {_shown(bound)}", pa_pl.Check.gt(bound)))
    if prop.exclusive_maximum is not None:
        bound = prop.exclusive_maximum
        checks.append((f"exclusiveMaximum {_shown(bound)}", pa_pl.Check.lt(bound)))
    if prop.valid_values is not None:
        values = list(prop.valid_values)
        checks.append((f"validValues {values}", pa_pl.Check.isin(values)))
    if prop.pattern is not None:
        # ODCS patterns describe the whole value: anchor both ends.
        anchored = f"^(?:{prop.pattern})$"
        checks.append((f"pattern {prop.pattern}", pa_pl.Check.str_matches(anchored)))
    if prop.min_length is not None or prop.max_length is not None:
        low, high = prop.min_length, prop.max_length
        check = pa_pl.Check.str_length(min_value=low, max_value=high)
        checks.append((f"length {low if low is not None else 0}..{high or ''}", check))
    return checks


def _key_check(key: tuple[str, ...]) -> pa_pl.Check:
    columns = list(key)

    def distinct(data: Any) -> pl.LazyFrame:  # noqa: ANN401 - pandera's PolarsData
        frame: pl.LazyFrame = data.lazyframe
        return frame.select(~pl.struct(columns).is_duplicated().alias("distinct"))

    return pa_pl.Check(distinct, name="duplicateValues")


class RuleSet:
    """The pandera schema of a contract, built once, and the rule names of its checks."""

    def __init__(self, contract: Contract) -> None:
        """Translate the contract's value rules into pandera checks."""
        self._rules: dict[str, list[str]] = {}
        columns: dict[str, pa_pl.Column] = {}
        for prop in contract.properties:
            named = _column_checks(prop)
            self._rules[prop.name] = [rule for rule, _ in named]
            columns[prop.name] = pa_pl.Column(
                checks=[check for _, check in named], nullable=True, unique=prop.unique
            )
        self._required = [prop.name for prop in contract.properties if prop.required]
        self._keys = [", ".join(key) for key in contract.keys]
        self._schema = pa_pl.DataFrameSchema(
            columns, checks=[_key_check(key) for key in contract.keys]
        )

    def check(self, table: pa.Table, type_faults: dict[str, set[int]]) -> list[Violation]:
        """The rules ``table`` breaks; rows whose value did not parse are not blamed again."""
        frame = pl.from_arrow(table)
        assert isinstance(frame, pl.DataFrame)  # noqa: S101 - a table converts to a frame
        found: defaultdict[str, list[int]] = defaultdict(list)
        for name in self._required:
            nulls = frame.select(pl.col(name).is_null().arg_true()).to_series().to_list()
            if rows := [row for row in nulls if row not in type_faults.get(name, set())]:
                found[f"{name}: required"] = rows
        try:
            self._schema.validate(frame, lazy=True)
        except SchemaErrors as errors:
            self._collect(errors.failure_cases, found)
        return [Violation(rule, tuple(sorted(set(rows)))) for rule, rows in found.items()]

    def _collect(self, cases: pl.DataFrame, found: defaultdict[str, list[int]]) -> None:
        for case in cases.select("column", "check", "check_number", "index").iter_rows():
            column, check, number, index = case
            if column is None:
                rule = f"duplicateValues ({self._keys[number]})"
            elif check == "field_uniqueness":
                rule = f"{column}: unique"
            else:
                rule = f"{column}: {self._rules[column][number]}"
            if index is not None:
                found[rule].append(int(index))
