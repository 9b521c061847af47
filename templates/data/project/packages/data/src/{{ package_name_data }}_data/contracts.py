"""Data contracts: the schema and rules a dataset must meet to move from raw to stage.

Contracts are Open Data Contract Standard v3 files (``contract_spec``); a batch is read into the
contract's columns (``read_batch``), typed and checked (``validate``): types and null tokens by
our Arrow code, value rules by pandera. A batch that breaks a rule is quarantined whole, with a
report naming each broken rule and the rows that break it.
"""

from __future__ import annotations

from functools import cache
from typing import Any

import numpy as np
import pyarrow as pa

from {{ package_name_data }}_data.contract_cast import FORMATS, read_columns, typed_column
from {{ package_name_data }}_data.contract_rules import RuleSet
from {{ package_name_data }}_data.contract_spec import (
    SOURCE_ROW,
    Contract,
    ContractError,
    Property,
    Report,
    Violation,
)

__all__ = [
    "FORMATS",
    "SOURCE_ROW",
    "Contract",
    "ContractError",
    "ContractViolation",
    "Property",
    "Report",
    "Violation",
    "parse_csv",
    "read_batch",
    "validate",
]


class ContractViolation(Exception):  # noqa: N818 - the name says what happened to the batch
    """A batch broke its contract; it was quarantined at ``where`` instead of promoted."""

    def __init__(self, report: Report, where: str) -> None:
        """Keep the report and where the batch is held."""
        super().__init__(f"{report.summary()}\nbatch quarantined at {where}")
        self.report = report
        self.where = where

    @property
    def quarantine(self) -> str:
        """Where the batch is held (the name used before ``where``)."""
        return self.where


def read_batch(contract: Contract, data: bytes, fmt: str, skip_rows: int) -> pa.Table | Violation:
    """Read a raw batch (``fmt``: csv, parquet or jsonl) into the contract's columns.

    CSV is read as text, after ``skip_rows`` lines and, when the contract says so, a header line
    that must name the contract's columns in order; ``validate`` types it. A batch that does not
    split into the contract's columns is a Violation, never an exception.
    """
    return read_columns(contract, data, fmt, skip_rows)


def parse_csv(contract: Contract, data: bytes, skip_rows: int) -> pa.Table | Violation:
    """``read_batch`` of a CSV batch."""
    return read_batch(contract, data, "csv", skip_rows)


@cache
def _rules(contract: Contract) -> RuleSet:
    return RuleSet(contract)


def validate(contract: Contract, batch: pa.Table) -> tuple[pa.Table, Report]:
    """Type ``batch`` (from ``read_batch``) under ``contract`` and check every rule.

    Returns:
        The rows that break no row rule, in the contract's schema with their ``source_row``
        (their index in the raw batch), and the report of every rule broken.
    """
    columns: list[pa.ChunkedArray[Any]] = []
    violations: list[Violation] = []
    type_faults: dict[str, set[int]] = {}
    for prop in contract.properties:
        typed, fault = typed_column(prop, batch.column(prop.name), contract.null_values)
        columns.append(typed)
        if fault is not None:
            violations.append(fault)
            type_faults[prop.name] = set(fault.rows)
    rows = batch.num_rows
    typed_batch = pa.table(
        [*columns, pa.array(range(rows), type=pa.int64())],
        names=[*contract.column_names, SOURCE_ROW],
    )
    violations.extend(_rules(contract).check(typed_batch, type_faults))
    violations.extend(
        Violation(f"{count.describe()}: the batch has {rows}")
        for count in contract.row_counts
        if not count.holds(rows)
    )
    bad = [row for violation in violations for row in violation.rows]
    if bad:
        keep = np.ones(rows, dtype=bool)
        keep[bad] = False
        typed_batch = typed_batch.filter(pa.array(keep))
    report = Report(contract.dataset, contract.version, rows, tuple(violations))
    return typed_batch.cast(contract.schema), report
