"""Data contracts: the schema and rules a dataset must meet to move from raw to stage."""

from __future__ import annotations

import io
import json
from collections import defaultdict
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
import yaml

if TYPE_CHECKING:
    from pathlib import Path

__all__ = [
    "SOURCE_ROW",
    "ColumnRule",
    "Contract",
    "ContractError",
    "ContractViolation",
    "Report",
    "Violation",
    "parse_csv",
    "validate",
]

SOURCE_ROW = "source_row"
"""Column added in the stage zone: the record's index in its raw batch (0-based), for lineage."""

_TYPES: dict[str, pa.DataType] = {
    "float64": pa.float64(),
    "int64": pa.int64(),
    "string": pa.string(),
}
_NUMBER_PATTERNS = {
    "float64": r"^\s*[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?\s*$",
    "int64": r"^\s*[+-]?\d+\s*$",
}


class ContractError(ValueError):
    """A contract file is malformed; the message names the file and the field."""


@dataclass(frozen=True)
class ColumnRule:
    """What one column must hold."""

    name: str
    type: str
    nullable: bool = True
    minimum: float | None = None
    maximum: float | None = None
    allowed: tuple[Any, ...] | None = None
    unique: bool = False


@dataclass(frozen=True)
class Contract:
    """The schema and rules of a dataset, read from ``config/contracts/<dataset>.yaml``."""

    dataset: str
    version: int
    columns: tuple[ColumnRule, ...]
    unique_key: tuple[str, ...] = ()
    min_rows: int = 0

    @classmethod
    def load(cls, path: Path) -> Contract:
        """Read and check the contract file at ``path``."""
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
        if not isinstance(raw, dict) or not isinstance(raw.get("columns"), list):
            msg = f"{path}: a contract is a mapping with a list of columns"
            raise ContractError(msg)
        columns = tuple(_column_rule(path, item) for item in raw["columns"])
        names = [column.name for column in columns]
        if len(set(names)) != len(names):
            msg = f"{path}: column names must be unique"
            raise ContractError(msg)
        unique_key = tuple(str(name) for name in raw.get("unique_key", []))
        if unknown := sorted(set(unique_key) - set(names)):
            msg = f"{path}: unique_key names unknown columns {unknown}"
            raise ContractError(msg)
        return cls(
            dataset=str(raw["dataset"]),
            version=int(raw["version"]),
            columns=columns,
            unique_key=unique_key,
            min_rows=int(raw.get("min_rows", 0)),
        )

    @property
    def column_names(self) -> list[str]:
        """The column names, in the order of the source file."""
        return [column.name for column in self.columns]

    @property
    def schema(self) -> pa.Schema:
        """The Arrow schema of the dataset in the stage zone."""
        fields = [pa.field(c.name, _TYPES[c.type], nullable=c.nullable) for c in self.columns]
        return pa.schema([*fields, pa.field(SOURCE_ROW, pa.int64(), nullable=False)])


def _column_rule(path: Path, item: dict[str, Any]) -> ColumnRule:
    name = str(item.get("name", ""))
    kind = str(item.get("type", ""))
    if not name or kind not in _TYPES:
        msg = f"{path}: column {name!r} needs a name and a type among {', '.join(_TYPES)}"
        raise ContractError(msg)
    if kind == "string" and ("minimum" in item or "maximum" in item):
        msg = f"{path}: column {name!r}: minimum and maximum apply to numbers only"
        raise ContractError(msg)
    allowed = item.get("allowed")
    return ColumnRule(
        name=name,
        type=kind,
        nullable=bool(item.get("nullable", True)),
        minimum=None if item.get("minimum") is None else float(item["minimum"]),
        maximum=None if item.get("maximum") is None else float(item["maximum"]),
        allowed=None if allowed is None else tuple(allowed),
        unique=bool(item.get("unique", False)),
    )


@dataclass(frozen=True)
class Violation:
    """One broken rule and the rows (0-based record indexes of the batch) that break it."""

    rule: str
    rows: tuple[int, ...] = ()


@dataclass(frozen=True)
class Report:
    """The outcome of checking a batch against its contract."""

    dataset: str
    contract_version: int
    rows_checked: int
    violations: tuple[Violation, ...] = field(default=())

    @property
    def passed(self) -> bool:
        """True when the batch meets every rule."""
        return not self.violations

    def to_json(self) -> bytes:
        """The report as JSON, kept next to a quarantined batch."""
        document = {
            "dataset": self.dataset,
            "contract_version": self.contract_version,
            "rows_checked": self.rows_checked,
            "passed": self.passed,
            "violations": [{"rule": v.rule, "rows": list(v.rows)} for v in self.violations],
        }
        return (json.dumps(document, indent=2) + "\n").encode()

    def summary(self, max_rows: int = 10) -> str:
        """A readable report naming each broken rule and the first ``max_rows`` rows."""
        if self.passed:
            return (
                f"{self.dataset}: {self.rows_checked} rows meet contract v{self.contract_version}"
            )
        lines = [
            (
                f"{self.dataset}: {len(self.violations)} rule(s) of contract "
                f"v{self.contract_version} broken in {self.rows_checked} rows"
            )
        ]
        for violation in self.violations:
            rows = ", ".join(str(row) for row in violation.rows[:max_rows])
            more = (
                f" and {len(violation.rows) - max_rows} more"
                if len(violation.rows) > max_rows
                else ""
            )
            where = f": rows {rows}{more}" if violation.rows else ""
            lines.append(f"  - {violation.rule}{where}")
        return "\n".join(lines)


class ContractViolation(Exception):  # noqa: N818 - the name says what happened to the batch
    """A batch broke its contract; it was quarantined at ``quarantine`` instead of promoted."""

    def __init__(self, report: Report, quarantine: str) -> None:
        """Keep the report and where the batch is held."""
        super().__init__(f"{report.summary()}\nbatch quarantined at {quarantine}")
        self.report = report
        self.quarantine = quarantine


def parse_csv(contract: Contract, data: bytes, skip_rows: int) -> pa.Table | Violation:
    """Split a CSV batch into the contract's columns, as text; a Violation if it cannot be read."""
    read_options = pacsv.ReadOptions(skip_rows=skip_rows, column_names=contract.column_names)
    convert_options = pacsv.ConvertOptions(
        column_types=dict.fromkeys(contract.column_names, pa.string()),
        strings_can_be_null=True,
    )
    try:
        return pacsv.read_csv(
            io.BytesIO(data), read_options=read_options, convert_options=convert_options
        )
    except pa.ArrowInvalid as error:
        return Violation(f"csv: the file does not split into the contract's columns ({error})")


def _rows(mask: pa.Array[Any] | pa.ChunkedArray[Any]) -> tuple[int, ...]:
    """The indexes where the boolean ``mask`` is true (nulls count as false)."""
    flags = np.asarray(mask.to_numpy(zero_copy_only=False))
    return tuple(int(i) for i in np.flatnonzero(flags == np.True_))


def _duplicates(values: list[tuple[Any, ...]]) -> tuple[int, ...]:
    """The rows whose value occurs more than once."""
    seen: defaultdict[tuple[Any, ...], list[int]] = defaultdict(list)
    for row, value in enumerate(values):
        seen[value].append(row)
    return tuple(sorted(row for rows in seen.values() if len(rows) > 1 for row in rows))


def _typed(
    rule: ColumnRule, text: pa.ChunkedArray[Any]
) -> tuple[pa.ChunkedArray[Any], list[Violation]]:
    """Cast a text column to the rule's type; the rows that are not of that type are reported."""
    violations: list[Violation] = []
    if rule.type == "string":
        return text, violations
    fits = pc.match_substring_regex(text, _NUMBER_PATTERNS[rule.type])
    if bad := _rows(pc.invert(fits)):
        violations.append(Violation(f"{rule.name}: type {rule.type}", bad))
    kept = pc.if_else(fits, text, pa.scalar(None, pa.string()))
    return pc.cast(pc.utf8_trim_whitespace(kept), _TYPES[rule.type]), violations


def _check_column(
    rule: ColumnRule, text: pa.ChunkedArray[Any]
) -> tuple[pa.ChunkedArray[Any], list[Violation]]:
    typed, violations = _typed(rule, text)
    if not rule.nullable and (rows := _rows(pc.is_null(text))):
        violations.append(Violation(f"{rule.name}: not nullable", rows))
    if rule.minimum is not None and (rows := _rows(pc.less(typed, pa.scalar(rule.minimum)))):
        violations.append(Violation(f"{rule.name}: minimum {rule.minimum:g}", rows))
    if rule.maximum is not None and (rows := _rows(pc.greater(typed, pa.scalar(rule.maximum)))):
        violations.append(Violation(f"{rule.name}: maximum {rule.maximum:g}", rows))
    if rule.allowed is not None:
        allowed = pa.array(rule.allowed, type=_TYPES[rule.type])
        outside = pc.and_(pc.is_valid(typed), pc.invert(pc.is_in(typed, value_set=allowed)))
        if rows := _rows(outside):
            violations.append(Violation(f"{rule.name}: allowed {list(rule.allowed)}", rows))
    if rule.unique and (rows := _duplicates([(v,) for v in typed.to_pylist()])):
        violations.append(Violation(f"{rule.name}: unique", rows))
    return typed, violations


def validate(contract: Contract, batch: pa.Table) -> tuple[pa.Table, Report]:
    """Check a text batch from ``parse_csv`` against ``contract``.

    Returns:
        The batch cast to the contract's schema, with its ``source_row`` column, and the report.
    """
    columns: list[pa.ChunkedArray[Any]] = []
    violations: list[Violation] = []
    for rule in contract.columns:
        typed, found = _check_column(rule, batch.column(rule.name))
        columns.append(typed)
        violations.extend(found)
    rows = batch.num_rows
    typed_batch = pa.table(
        [*columns, pa.array(range(rows), type=pa.int64())],
        names=[*contract.column_names, SOURCE_ROW],
    )
    if contract.unique_key:
        keys = list(
            zip(*(typed_batch.column(n).to_pylist() for n in contract.unique_key), strict=True)
        )
        if duplicates := _duplicates(keys):
            key = ", ".join(contract.unique_key)
            violations.append(Violation(f"unique_key ({key})", duplicates))
    if rows < contract.min_rows:
        violations.append(Violation(f"min_rows {contract.min_rows}: the batch has {rows}"))
    report = Report(contract.dataset, contract.version, rows, tuple(violations))
    if report.passed:
        typed_batch = typed_batch.cast(contract.schema)
    return typed_batch, report
