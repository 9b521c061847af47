"""Reading a batch into the contract's columns and typing each column, row faults reported.

A value that does not parse as its column's type, or overflows it, is a Violation naming its row,
never an exception: the fast path casts a whole column with Arrow; only when that fails is the
column split in halves until the rows at fault are found (a few casts per bad row).
"""

from __future__ import annotations

import io
from typing import TYPE_CHECKING, Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
import pyarrow.json as pajson
import pyarrow.parquet as pq

from {{ package_name_data }}_data.contract_spec import Contract, Property, Violation

__all__ = ["FORMATS", "read_columns", "typed_column"]

FORMATS = ("csv", "parquet", "jsonl")

if TYPE_CHECKING:
    Column = pa.ChunkedArray[Any]


def read_columns(contract: Contract, data: bytes, fmt: str, skip_rows: int) -> pa.Table | Violation:
    """The batch as a table of the contract's columns, in its order; a Violation if it cannot be.

    CSV values stay text (typed later, row by row); Parquet and JSON Lines keep their own types.
    """
    try:
        if fmt == "csv":
            return _read_csv(contract, data, skip_rows)
        if fmt == "parquet":
            table = pq.read_table(io.BytesIO(data))
        elif fmt == "jsonl":
            table = pajson.read_json(io.BytesIO(data))
        else:
            return Violation(f"format {fmt!r} is not one of {', '.join(FORMATS)}")
    except (pa.ArrowInvalid, OSError) as error:
        return Violation(f"{fmt}: the batch cannot be read ({error})")
    expected = contract.column_names
    missing = [name for name in expected if name not in table.column_names]
    extra = [name for name in table.column_names if name not in expected]
    if missing or extra:
        return Violation(f"columns: missing {missing}, not in the contract {extra}")
    return table.select(expected)


def _read_csv(contract: Contract, data: bytes, skip_rows: int) -> pa.Table | Violation:
    expected = contract.column_names
    generated = [f"f{index}" for index in range(len(expected))]
    table = pacsv.read_csv(
        io.BytesIO(data),
        read_options=pacsv.ReadOptions(skip_rows=skip_rows, column_names=generated),
        convert_options=pacsv.ConvertOptions(
            column_types=dict.fromkeys(generated, pa.string()),
            strings_can_be_null=False,
            quoted_strings_can_be_null=False,
        ),
    )
    if contract.csv_header:
        if table.num_rows == 0:
            return Violation("header: the file has no header line")
        found = [str(value) for value in table.slice(0, 1).to_pylist()[0].values()]
        if found != expected:
            wrong = [
                f"column {index + 1} is {name!r}, the contract expects {want!r}"
                for index, (name, want) in enumerate(zip(found, expected, strict=True))
                if name != want
            ]
            return Violation("header: " + "; ".join(wrong))
        table = table.slice(1)
    return table.rename_columns(expected)


def _null_tokens(column: Column, null_values: tuple[str, ...]) -> Column:
    """Text equal to one of the contract's null tokens becomes null; all other text is kept."""
    if not null_values:
        return column
    if null_values == ("",):
        is_token = pc.equal(pc.binary_length(column), 0)
    else:
        is_token = pc.is_in(column, value_set=pa.array(null_values, pa.string()))
    if not pc.any(is_token).as_py():
        return column
    return pc.if_else(is_token, pa.scalar(None, column.type), column)


def _cast(prop: Property, values: Column) -> Column:
    """Arrow's cast; a date or timestamp with a format goes through strptime, strictly."""
    fmt = prop.time_format
    if fmt is None or not pa.types.is_string(values.type):
        return pc.cast(values, prop.arrow_type, safe=True)
    zoned = "%z" in fmt
    parsed = pc.strptime(values, format=fmt, unit="us", error_is_null=True)
    if not zoned:
        # strptime rolls 2026-02-30 over to March 2: a value must print back as it was written.
        same = pc.equal(pc.strftime(parsed, format=fmt), values)
        parsed = pc.if_else(same, parsed, pa.scalar(None, parsed.type))
    if prop.logical_type == "date":
        return parsed.cast(pa.date32())
    return parsed.cast(prop.arrow_type)


def _bad_rows(prop: Property, values: Column, offset: int) -> list[int]:
    """Rows of ``values`` (numbered from ``offset``) that do not cast, found by halving."""
    try:
        _cast(prop, values)
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        if len(values) == 1:
            return [offset]
        half = len(values) // 2
        left = _bad_rows(prop, values.slice(0, half), offset)
        return left + _bad_rows(prop, values.slice(half), offset + half)
    return []


def _rows(mask: Column) -> list[int]:
    """The indexes where ``mask`` is true (nulls count as false)."""
    flags = pc.fill_null(mask, False).to_numpy(zero_copy_only=False)
    return [int(i) for i in np.flatnonzero(flags)]


def _blank(values: Column, rows: list[int]) -> Column:
    keep = np.ones(len(values), dtype=bool)
    keep[rows] = False
    return pc.if_else(pa.array(keep), values, pa.scalar(None, values.type))


def typed_column(
    prop: Property, column: Column, null_values: tuple[str, ...]
) -> tuple[Column, Violation | None]:
    """The column in the property's type; values that do not fit become null and are reported."""
    text = pa.types.is_string(column.type)
    values = _null_tokens(column, null_values) if text else column
    if values.type == prop.arrow_type:
        return values, None
    bad: list[int] = []
    shape = _SHAPES.get(prop.logical_type) if text and prop.time_format is None else None
    if shape is not None:
        misfit = pc.invert(pc.match_substring_regex(values, shape))
        if misfit_rows := _rows(misfit):
            bad = misfit_rows
            values = _blank(values, misfit_rows)
    try:
        typed = _cast(prop, values)
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        if text:
            values = pc.utf8_trim_whitespace(values)
        found = _bad_rows(prop, values, 0)
        bad += found
        values = _blank(values, found)
        typed = _cast(prop, values)
    bad += _rows(pc.and_(pc.is_valid(values), pc.is_null(typed)))
    if not bad:
        return typed, None
    rule = f"{prop.name}: logicalType {prop.logical_type} ({prop.arrow_type})"
    return typed, Violation(rule, tuple(sorted(set(bad))))


# The text a value of each type may be written as (the cast then checks ranges and calendars).
_SHAPES = {
    "integer": r"^\s*[+-]?\d+\s*$",
    "number": r"^\s*[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?\s*$",
    "boolean": r"^\s*(?i:true|false|1|0)\s*$",
    "date": r"^\s*\d{4}-\d{2}-\d{2}\s*$",
    "timestamp": r"^\s*\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?)?(Z|[+-]\d{2}:?\d{2})?\s*$",
}
