"""Data contracts in the Open Data Contract Standard v3 (ODCS): the file format and its model.

One contract file describes one dataset: ``schema`` holds exactly one object whose
``physicalName`` is the dataset (``<source>/<name>``) and whose ``properties`` are its columns, in
the order of the columns of a CSV file. Read from a property: ``logicalType`` (string, integer,
number, boolean, date, timestamp), ``physicalType`` (the width: ``int``, ``bigint``, ``float``,
``double``, ``decimal(p,s)``, ...), ``required``, ``unique``, ``primaryKey`` (with
``primaryKeyPosition``), ``logicalTypeOptions`` (minimum, maximum, exclusiveMinimum,
exclusiveMaximum, pattern, minLength, maxLength, format; timezone for timestamps), ``enum`` and
``quality`` rules of the library metrics ``invalidValues`` (arguments ``validValues`` or
``pattern``), ``nullValues`` and ``duplicateValues`` with ``mustBe: 0``. Read from the object:
``quality`` rules ``rowCount`` (any ODCS operator) and ``duplicateValues`` over
``arguments.properties`` (a composite key), and two ``customProperties``: ``csvHeader`` (the
first CSV line after the skipped ones names the columns; default true) and ``nullValues`` (the
texts that mean "no value"; default only the empty string). Other ODCS fields (team, SLA,
servers, ...) are allowed and not checked here.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from dataclasses import dataclass, field
from decimal import Decimal
from typing import TYPE_CHECKING, Any

import pyarrow as pa
import yaml

if TYPE_CHECKING:
    from pathlib import Path

__all__ = [
    "SOURCE_ROW",
    "Contract",
    "ContractError",
    "Property",
    "Report",
    "RowCount",
    "Violation",
]

SOURCE_ROW = "source_row"
"""Column added in the stage zone: the record's index in its raw batch (0-based), for lineage."""

LOGICAL_TYPES = ("string", "integer", "number", "boolean", "date", "timestamp")

_INTEGER_TYPES: dict[str, pa.DataType] = {
    "tinyint": pa.int8(),
    "smallint": pa.int16(),
    "int": pa.int32(),
    "integer": pa.int32(),
    "bigint": pa.int64(),
    "long": pa.int64(),
    **{f"int{bits}": getattr(pa, f"int{bits}")() for bits in (8, 16, 32, 64)},
    **{f"i{bits}": getattr(pa, f"int{bits}")() for bits in (8, 16, 32, 64)},
    **{f"u{bits}": getattr(pa, f"uint{bits}")() for bits in (8, 16, 32, 64)},
}
_FLOAT_TYPES: dict[str, pa.DataType] = {
    "double": pa.float64(),
    "float64": pa.float64(),
    "f64": pa.float64(),
    "float": pa.float32(),
    "real": pa.float32(),
    "float32": pa.float32(),
    "f32": pa.float32(),
}
_DECIMAL = re.compile(r"(?:decimal|numeric)\s*\(\s*(\d+)\s*,\s*(\d+)\s*\)")
_MAX_DECIMAL_PRECISION = 38
# ODCS date formats follow Java's DateTimeFormatter; Arrow parses with strptime.
_JAVA_TO_STRPTIME = {
    "yyyy": "%Y",
    "yy": "%y",
    "MM": "%m",
    "dd": "%d",
    "HH": "%H",
    "mm": "%M",
    "ss": "%S",
    "XXX": "%z",
    "Z": "%z",
}
_JAVA_TOKEN = re.compile(r"yyyy|yy|MM|dd|HH|mm|ss|XXX|Z|'[^']*'|[A-Za-z]|.", re.DOTALL)
_ROW_COUNT_OPERATORS = (
    "mustBe",
    "mustNotBe",
    "mustBeGreaterThan",
    "mustBeGreaterOrEqualTo",
    "mustBeLessThan",
    "mustBeLessOrEqualTo",
    "mustBeBetween",
    "mustNotBeBetween",
)

Bound = int | float | Decimal | dt.date | dt.datetime


class ContractError(ValueError):
    """A contract file is malformed; the message names the file and the field."""


@dataclass(frozen=True)
class Violation:
    """One broken rule and the rows (0-based record indexes of the batch) that break it."""

    rule: str
    rows: tuple[int, ...] = ()


@dataclass(frozen=True)
class Report:
    """The outcome of checking a batch against its contract."""

    dataset: str
    contract_version: str
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
            extra = len(violation.rows) - max_rows
            more = f" and {extra} more" if extra > 0 else ""
            where = f": rows {rows}{more}" if violation.rows else ""
            lines.append(f"  - {violation.rule}{where}")
        return "\n".join(lines)


@dataclass(frozen=True)
class Property:
    """One column of a dataset: its type and the rules its values meet."""

    name: str
    logical_type: str
    arrow_type: pa.DataType
    required: bool = False
    unique: bool = False
    minimum: Bound | None = None
    maximum: Bound | None = None
    exclusive_minimum: Bound | None = None
    exclusive_maximum: Bound | None = None
    pattern: str | None = None
    min_length: int | None = None
    max_length: int | None = None
    valid_values: tuple[Any, ...] | None = None
    time_format: str | None = None
    """strptime format of a date or timestamp written as text (None: ISO 8601)."""


@dataclass(frozen=True)
class RowCount:
    """The ``rowCount`` rule of the dataset: one ODCS operator and its value."""

    operator: str
    value: float | tuple[float, float]

    def holds(self, rows: int) -> bool:
        """True when a batch of ``rows`` rows meets the rule."""
        value = self.value
        if isinstance(value, tuple):
            inside = value[0] <= rows <= value[1]
            return inside if self.operator == "mustBeBetween" else not inside
        return {
            "mustBe": rows == value,
            "mustNotBe": rows != value,
            "mustBeGreaterThan": rows > value,
            "mustBeGreaterOrEqualTo": rows >= value,
            "mustBeLessThan": rows < value,
            "mustBeLessOrEqualTo": rows <= value,
        }[self.operator]

    def describe(self) -> str:
        """The rule as written in the contract, e.g. ``rowCount mustBeGreaterOrEqualTo 100``."""
        value = self.value
        shown = f"[{value[0]:g}, {value[1]:g}]" if isinstance(value, tuple) else f"{value:g}"
        return f"rowCount {self.operator} {shown}"


@dataclass(frozen=True)
class Contract:
    """The schema and rules of a dataset, read from ``config/contracts/<dataset>.yaml``."""

    id: str
    dataset: str
    version: str
    properties: tuple[Property, ...]
    keys: tuple[tuple[str, ...], ...] = ()
    """Composite keys: the primary key and each schema-level ``duplicateValues`` rule."""
    row_counts: tuple[RowCount, ...] = ()
    null_values: tuple[str, ...] = ("",)
    csv_header: bool = True

    @classmethod
    def load(cls, path: Path) -> Contract:
        """Read and check the ODCS contract file at ``path``."""
        try:
            raw = yaml.safe_load(path.read_text(encoding="utf-8"))
        except yaml.YAMLError as error:
            msg = f"{path}: not YAML ({error})"
            raise ContractError(msg) from error
        return cls.from_mapping(raw, where=str(path))

    @classmethod
    def from_mapping(cls, raw: object, *, where: str) -> Contract:
        """Build a contract from a parsed ODCS document; ``where`` names it in errors."""
        document = _mapping(raw, where, "an ODCS document")
        api = str(document.get("apiVersion", ""))
        if not api.startswith("v3.") or document.get("kind") != "DataContract":
            msg = f"{where}: expected an ODCS v3 contract (apiVersion v3.x, kind DataContract)"
            raise ContractError(msg)
        version = document.get("version")
        if not isinstance(version, str) or not version:
            msg = f"{where}: version must be a string, e.g. version: \"1.0.0\""
            raise ContractError(msg)
        objects = document.get("schema")
        if not isinstance(objects, list) or len(objects) != 1:
            msg = f"{where}: schema must hold exactly one object, the dataset"
            raise ContractError(msg)
        table = _mapping(objects[0], where, "schema[0]")
        items = table.get("properties")
        if not isinstance(items, list) or not items:
            msg = f"{where}: schema[0].properties must list the columns"
            raise ContractError(msg)
        properties = tuple(_property(where, item) for item in items)
        names = [prop.name for prop in properties]
        if len(set(names)) != len(names):
            msg = f"{where}: property names must be unique"
            raise ContractError(msg)
        keys, row_counts = _object_quality(where, table.get("quality") or [], names)
        primary = _primary_key(where, items)
        custom = _custom_properties(where, table.get("customProperties") or [])
        null_values = custom.get("nullValues", [""])
        if not isinstance(null_values, list) or not all(isinstance(v, str) for v in null_values):
            msg = f"{where}: customProperties nullValues must be a list of strings"
            raise ContractError(msg)
        return cls(
            id=str(document.get("id", "")),
            dataset=str(table.get("physicalName") or table.get("name", "")),
            version=version,
            properties=properties,
            keys=((primary,) if primary else ()) + keys,
            row_counts=row_counts,
            null_values=tuple(null_values),
            csv_header=bool(custom.get("csvHeader", True)),
        )

    @property
    def columns(self) -> tuple[Property, ...]:
        """The properties, in the order of the columns of the source file."""
        return self.properties

    @property
    def column_names(self) -> list[str]:
        """The column names, in the order of the source file."""
        return [prop.name for prop in self.properties]

    @property
    def schema(self) -> pa.Schema:
        """The Arrow schema of the dataset in the stage zone."""
        fields = [pa.field(p.name, p.arrow_type, nullable=not p.required) for p in self.properties]
        return pa.schema([*fields, pa.field(SOURCE_ROW, pa.int64(), nullable=False)])


def _mapping(raw: object, where: str, what: str) -> dict[str, Any]:
    if not isinstance(raw, dict):
        msg = f"{where}: {what} must be a mapping"
        raise ContractError(msg)
    return raw


def _custom_properties(where: str, items: object) -> dict[str, Any]:
    if not isinstance(items, list):
        msg = f"{where}: customProperties must be a list of {{property, value}}"
        raise ContractError(msg)
    return {
        str(_mapping(item, where, "a custom property").get("property")): item.get("value")
        for item in items
    }


def _arrow_type(where: str, name: str, logical: str, item: dict[str, Any]) -> pa.DataType:
    physical = str(item.get("physicalType") or "").strip().lower()
    width = str((item.get("logicalTypeOptions") or {}).get("format") or "").strip().lower()
    if logical == "integer":
        chosen = width or physical or "bigint"
        if chosen not in _INTEGER_TYPES:
            msg = f"{where}: {name}: unknown integer type {chosen!r}"
            raise ContractError(msg)
        return _INTEGER_TYPES[chosen]
    if logical == "number":
        if decimal := _DECIMAL.fullmatch(physical):
            precision, scale = int(decimal[1]), int(decimal[2])
            if not 0 < precision <= _MAX_DECIMAL_PRECISION or scale > precision:
                msg = f"{where}: {name}: {physical} needs 0 < precision <= 38, scale <= precision"
                raise ContractError(msg)
            return pa.decimal128(precision, scale)
        chosen = width or physical or "double"
        if chosen not in _FLOAT_TYPES:
            msg = f"{where}: {name}: unknown number type {chosen!r} (double, float, decimal(p,s))"
            raise ContractError(msg)
        return _FLOAT_TYPES[chosen]
    if logical == "timestamp":
        with_zone = bool((item.get("logicalTypeOptions") or {}).get("timezone", False))
        return pa.timestamp("us", tz="UTC" if with_zone else None)
    return {"string": pa.string(), "boolean": pa.bool_(), "date": pa.date32()}[logical]


def _strptime_format(where: str, name: str, java: str) -> str:
    parts: list[str] = []
    for token in _JAVA_TOKEN.findall(java):
        if token in _JAVA_TO_STRPTIME:
            parts.append(_JAVA_TO_STRPTIME[token])
        elif token.startswith("'"):
            parts.append(token.strip("'").replace("%", "%%"))
        elif token.isalpha() and token != "T":
            msg = f"{where}: {name}: format {java!r}: {token!r} is not supported"
            raise ContractError(msg)
        else:
            parts.append(token.replace("%", "%%"))
    return "".join(parts)


def _bound(where: str, name: str, logical: str, value: object) -> Bound:
    """A minimum or maximum in the column's own terms (a date for a date column, ...)."""
    try:
        if logical == "date":
            return value if isinstance(value, dt.date) else dt.date.fromisoformat(str(value))
        if logical == "timestamp":
            if isinstance(value, dt.datetime):
                return value
            return dt.datetime.fromisoformat(str(value))
        if logical in ("integer", "number") and isinstance(value, int | float):
            return value
    except ValueError:
        pass
    msg = f"{where}: {name}: bound {value!r} does not fit logicalType {logical}"
    raise ContractError(msg)


def _property(where: str, raw: object) -> Property:
    item = _mapping(raw, where, "a property")
    name = str(item.get("name") or "")
    logical = str(item.get("logicalType") or "")
    if not name or logical not in LOGICAL_TYPES:
        msg = f"{where}: property {name!r} needs a name and a logicalType among " + ", ".join(
            LOGICAL_TYPES
        )
        raise ContractError(msg)
    options = _mapping(item.get("logicalTypeOptions") or {}, where, f"{name}: logicalTypeOptions")
    bounds = {
        key: _bound(where, name, logical, options[key])
        for key in ("minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum")
        if options.get(key) is not None
    }
    if bounds and logical in ("string", "boolean"):
        msg = f"{where}: {name}: minimum and maximum apply to numbers, dates and timestamps"
        raise ContractError(msg)
    text_rules = {k: options[k] for k in ("pattern", "minLength", "maxLength") if k in options}
    if text_rules and logical != "string":
        msg = f"{where}: {name}: pattern, minLength and maxLength apply to strings only"
        raise ContractError(msg)
    rules = _property_quality(where, name, item.get("quality") or [])
    pattern = rules.get("pattern", options.get("pattern"))
    if pattern is not None:
        try:
            re.compile(str(pattern))
        except re.error as error:
            msg = f"{where}: {name}: pattern {pattern!r} is not a regular expression ({error})"
            raise ContractError(msg) from error
    valid = rules.get("validValues")
    if "enum" in item:
        valid = [entry["value"] if isinstance(entry, dict) else entry for entry in item["enum"]]
    java_format = options.get("format") if logical in ("date", "timestamp") else None
    return Property(
        name=name,
        logical_type=logical,
        arrow_type=_arrow_type(where, name, logical, item),
        required=bool(item.get("required", False) or item.get("primaryKey", False))
        or "nullValues" in rules,
        unique=bool(item.get("unique", False)) or "duplicateValues" in rules,
        minimum=bounds.get("minimum"),
        maximum=bounds.get("maximum"),
        exclusive_minimum=bounds.get("exclusiveMinimum"),
        exclusive_maximum=bounds.get("exclusiveMaximum"),
        pattern=None if pattern is None else str(pattern),
        min_length=None if options.get("minLength") is None else int(options["minLength"]),
        max_length=None if options.get("maxLength") is None else int(options["maxLength"]),
        valid_values=None if valid is None else tuple(valid),
        time_format=None if java_format is None else _strptime_format(where, name, java_format),
    )


def _property_quality(where: str, name: str, items: object) -> dict[str, Any]:
    """The row rules among a property's quality rules: each must hold for every row."""
    if not isinstance(items, list):
        msg = f"{where}: {name}: quality must be a list"
        raise ContractError(msg)
    rules: dict[str, Any] = {}
    for raw in items:
        item = _mapping(raw, where, f"{name}: a quality rule")
        if item.get("type", "library") != "library":
            continue  # text, sql and custom rules are for people and other engines
        metric = item.get("metric") or item.get("rule")
        if metric not in ("invalidValues", "nullValues", "duplicateValues"):
            msg = f"{where}: {name}: metric {metric!r} is not supported on a property"
            raise ContractError(msg)
        if item.get("mustBe") != 0:
            msg = f"{where}: {name}: {metric} supports mustBe: 0 (a batch is whole or held)"
            raise ContractError(msg)
        arguments = _mapping(item.get("arguments") or {}, where, f"{name}: arguments")
        if metric == "invalidValues":
            if "validValues" not in arguments and "pattern" not in arguments:
                msg = f"{where}: {name}: invalidValues needs validValues or pattern"
                raise ContractError(msg)
            rules.update(arguments)
        else:
            rules[metric] = True
    return rules


def _object_quality(
    where: str, items: object, names: list[str]
) -> tuple[tuple[tuple[str, ...], ...], tuple[RowCount, ...]]:
    if not isinstance(items, list):
        msg = f"{where}: schema[0].quality must be a list"
        raise ContractError(msg)
    keys: list[tuple[str, ...]] = []
    counts: list[RowCount] = []
    for raw in items:
        item = _mapping(raw, where, "a quality rule")
        if item.get("type", "library") != "library":
            continue
        metric = item.get("metric") or item.get("rule")
        if metric == "rowCount":
            operators = [op for op in _ROW_COUNT_OPERATORS if op in item]
            if len(operators) != 1:
                msg = f"{where}: rowCount needs one operator among {', '.join(_ROW_COUNT_OPERATORS)}"
                raise ContractError(msg)
            value = item[operators[0]]
            pair = isinstance(value, list)
            bounds = (float(value[0]), float(value[1])) if pair else float(value)
            if pair != operators[0].endswith("Between"):
                msg = f"{where}: rowCount {operators[0]} takes {'two values' if not pair else 'one value'}"
                raise ContractError(msg)
            counts.append(RowCount(operators[0], bounds))
        elif metric == "duplicateValues":
            key = tuple(str(n) for n in (item.get("arguments") or {}).get("properties", []))
            if item.get("mustBe") != 0 or not key:
                msg = f"{where}: duplicateValues needs arguments.properties and mustBe: 0"
                raise ContractError(msg)
            if unknown := sorted(set(key) - set(names)):
                msg = f"{where}: duplicateValues names unknown properties {unknown}"
                raise ContractError(msg)
            keys.append(key)
        else:
            msg = f"{where}: metric {metric!r} is not supported on the schema object"
            raise ContractError(msg)
    return tuple(keys), tuple(counts)


def _primary_key(where: str, items: list[Any]) -> tuple[str, ...]:
    marked = [item for item in items if isinstance(item, dict) and item.get("primaryKey")]
    try:
        ordered = sorted(marked, key=lambda item: int(item.get("primaryKeyPosition", -1)))
    except (TypeError, ValueError) as error:
        msg = f"{where}: primaryKeyPosition must be an integer"
        raise ContractError(msg) from error
    return tuple(str(item["name"]) for item in ordered)
