"""A first data contract inferred from a sample batch, for a person to review.

It writes what the sample shows (ODCS v3, the format of ``contracts``): each column's type, whether
it had empty values, the range of numbers and dates seen, and the allowed values of a column with
few distinct values. A sample shows what happened, not what may happen: ``REVIEW`` lists what to
check before the contract guards real batches.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
import pyarrow.json as pajson
import pyarrow.parquet as pq
import yaml

__all__ = ["REVIEW", "InferredContract", "infer_contract"]

MAX_CATEGORIES = 10
"""At most this many distinct values make a column a category with allowed values..."""
MIN_ROWS_PER_CATEGORY = 5
"""...when each value occurs this many times on average (else the sample is too small to say)."""

REVIEW = (
    "types: a column the sample shows as integer may hold decimals later, or text",
    "required: a column without empty values in the sample is required; loosen it if not",
    "ranges: minimum and maximum are the sample's; widen them to what is plausible",
    "allowed values: the categories seen in the sample; add the ones it missed",
    "keys and row counts: add a duplicateValues rule on the key columns and a realistic rowCount",
)
"""What a person checks in an inferred contract before it guards real batches."""


@dataclass(frozen=True)
class InferredContract:
    """The contract text, its columns and the sample's row count."""

    text: str
    columns: tuple[str, ...]
    rows: int


def _read_sample(data: bytes, fmt: str, skip_rows: int, *, header: bool) -> pa.Table:
    if fmt == "parquet":
        return pq.read_table(io.BytesIO(data))
    if fmt == "jsonl":
        return pajson.read_json(io.BytesIO(data))
    read = pacsv.ReadOptions(skip_rows=skip_rows, autogenerate_column_names=not header)
    # Only an empty field means "no value": "NA" or "null" stay text, as in the contracts.
    convert = pacsv.ConvertOptions(null_values=[""], strings_can_be_null=True)
    return pacsv.read_csv(io.BytesIO(data), read_options=read, convert_options=convert)


def _logical(kind: pa.DataType) -> tuple[str, dict[str, Any]]:
    """The ODCS logicalType of an Arrow type, and the physicalType/options it needs."""
    if pa.types.is_boolean(kind):
        return "boolean", {}
    if pa.types.is_integer(kind):
        return "integer", {"physicalType": "bigint"}
    if pa.types.is_floating(kind) or pa.types.is_decimal(kind):
        return "number", {"physicalType": "double"}
    if pa.types.is_date(kind):
        return "date", {}
    if pa.types.is_timestamp(kind):
        zone = {"logicalTypeOptions": {"timezone": True}} if kind.tz else {}
        return "timestamp", zone
    return "string", {}


def _plain(value: object) -> object:
    """A YAML-friendly scalar: dates as ISO text, floats without float noise."""
    if hasattr(value, "isoformat"):
        return value.isoformat()
    if isinstance(value, float):
        return float(f"{value:.12g}")
    return value


def _property(name: str, column: pa.ChunkedArray[Any]) -> dict[str, Any]:
    logical, extra = _logical(column.type)
    item: dict[str, Any] = {"name": name, "logicalType": logical, **extra}
    if logical == "string" and not pa.types.is_string(column.type):
        column = column.cast(pa.string())
    item["required"] = column.null_count == 0
    present = column.drop_null()
    distinct = pc.unique(present).to_pylist()
    few = len(distinct) <= MAX_CATEGORIES and len(present) >= MIN_ROWS_PER_CATEGORY * len(distinct)
    if logical in ("string", "integer") and distinct and few:
        item["quality"] = [
            {
                "metric": "invalidValues",
                "mustBe": 0,
                "arguments": {"validValues": sorted(_plain(v) for v in distinct)},
            }
        ]
    elif logical in ("integer", "number", "date", "timestamp") and len(present):
        bounds = pc.min_max(present)
        options = item.setdefault("logicalTypeOptions", {})
        options["minimum"] = _plain(bounds["min"].as_py())
        options["maximum"] = _plain(bounds["max"].as_py())
    return item


def infer_contract(
    ref: str, data: bytes, fmt: str, *, skip_rows: int = 0, header: bool = True
) -> InferredContract:
    """Infer the contract of dataset ``ref`` (``source/name``) from the sample ``data``."""
    table = _read_sample(data, fmt, skip_rows, header=header)
    # A header's names are kept as they are: the contract checks the header against them.
    names = table.column_names if header else [f"column_{i + 1}" for i in range(table.num_columns)]
    properties = [_property(name, table.column(i)) for i, name in enumerate(names)]
    source, name = ref.split("/", 1)
    custom: list[dict[str, Any]] = [{"property": "nullValues", "value": [""]}]
    if fmt == "csv":
        custom.insert(0, {"property": "csvHeader", "value": header})
    document = {
        "apiVersion": "v3.1.0",
        "kind": "DataContract",
        "id": f"{source}-{name}",
        "name": name,
        "version": "0.1.0",
        "status": "draft",
        "description": {"purpose": f"Inferred from a sample of {table.num_rows} rows; review it."},
        "schema": [
            {
                "name": name,
                "physicalName": ref,
                "logicalType": "object",
                "physicalType": "table",
                "customProperties": custom,
                "quality": [{"metric": "rowCount", "mustBeGreaterOrEqualTo": 1}],
                "properties": properties,
            }
        ],
    }
    header_lines = [
        f"# Data contract of {ref} (ODCS v3), INFERRED from a sample of {table.num_rows} rows.",
        "# Review before trusting it, then run `make lint-data`:",
        *(f"# - {line}" for line in REVIEW),
    ]
    body = yaml.safe_dump(document, sort_keys=False, allow_unicode=True, width=100)
    return InferredContract("\n".join(header_lines) + "\n" + body, tuple(names), table.num_rows)
