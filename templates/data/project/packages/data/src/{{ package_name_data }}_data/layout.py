"""The data-lake layout read from ``config/datalake.yaml``: zones, buckets, object keys.

Which ``datalake.yaml`` (``find_config``), the one documented rule: ``$LAKE_CONFIG`` when set;
else ``config/datalake.yaml`` in the current folder or the nearest folder above it (the project
root); else the copy shipped inside this package (``project_config/``, for the image). Paths in
the file resolve relative to the file's own folder.
"""

from __future__ import annotations

import datetime as dt
import os
import re
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import yaml

__all__ = [
    "CONFIG_VAR",
    "DATA_FORMATS",
    "ZONE_ROLES",
    "DatasetSpec",
    "Environment",
    "Layout",
    "LayoutError",
    "bucket_name_problems",
    "find_config",
    "packaged_config",
]

CONFIG_VAR = "LAKE_CONFIG"
"""Environment variable naming the ``datalake.yaml`` to use, from any working directory."""

PROJECT_CONFIG = Path("config") / "datalake.yaml"
"""Where a project keeps its layout, relative to the project root."""

PACKAGED_CONFIG = "project_config"
"""The package's copy of the project's ``config/`` (``make data-bundle`` refreshes it)."""

ZONE_ROLES = ("raw", "stage", "curated")
"""The zones in the order data moves through them; their names are configurable."""

LOG_ZONE = "logs"
"""Zone name used in the name of the access-log bucket."""

_IP_SHAPED = re.compile(r"^\d+\.\d+\.\d+\.\d+$")
_BUCKET_CHARS = re.compile(r"^[a-z0-9][a-z0-9.-]*[a-z0-9]$")
_ZONE_NAME = re.compile(r"^[a-z][a-z0-9]{1,11}$")
_PATH_PART = re.compile(r"^[a-z0-9][a-z0-9_-]*$")
_RESERVED_PREFIXES = ("xn--", "sthree-", "amzn-s3-demo-")
_RESERVED_SUFFIXES = ("-s3alias", "--ol-s3", ".mrap", "--x-s3", "--table-s3")


class LayoutError(ValueError):
    """The layout file, or a name built from it, breaks a rule; the message names both."""


def packaged_config() -> Path:
    """The ``datalake.yaml`` shipped inside this package."""
    return Path(str(resources.files(__package__ or __name__).joinpath(PACKAGED_CONFIG)))


def find_config(cwd: Path | None = None) -> Path:
    """The ``datalake.yaml`` to use: ``$LAKE_CONFIG``, else the project's, else the package's."""
    named = os.environ.get(CONFIG_VAR)
    if named:
        path = Path(named).expanduser()
        if not path.is_file():
            msg = f"{CONFIG_VAR}={named}: no such file"
            raise LayoutError(msg)
        return path
    start = (cwd or Path.cwd()).resolve()
    for folder in (start, *start.parents):
        if (folder / PROJECT_CONFIG).is_file():
            return folder / PROJECT_CONFIG
    return packaged_config() / "datalake.yaml"


def bucket_name_problems(name: str) -> list[str]:
    """The S3 bucket naming rules that ``name`` breaks (empty when it is a valid name)."""
    problems: list[str] = []
    if not 3 <= len(name) <= 63:  # noqa: PLR2004 - the S3 limits
        problems.append(f"{len(name)} characters: S3 bucket names are 3-63 characters long")
    if not _BUCKET_CHARS.match(name):
        problems.append(
            "S3 bucket names use only lowercase letters, digits, dots and hyphens "
            "and start and end with a letter or digit"
        )
    if ".." in name:
        problems.append("S3 bucket names must not contain two adjacent periods")
    if _IP_SHAPED.match(name):
        problems.append("S3 bucket names must not be formatted as an IP address")
    if name.startswith(_RESERVED_PREFIXES):
        problems.append("S3 bucket names must not start with " + ", ".join(_RESERVED_PREFIXES))
    if name.endswith(_RESERVED_SUFFIXES):
        problems.append("S3 bucket names must not end with " + ", ".join(_RESERVED_SUFFIXES))
    return problems


@dataclass(frozen=True)
class Environment:
    """A deployment stage of the lake: its AWS account and region."""

    name: str
    account_id: str
    region: str


@dataclass(frozen=True)
class DatasetSpec:
    """A dataset of the lake: where it comes from and the files that describe it.

    ``source`` and ``name`` name it in the lake (keys ``<zone>/<source>/<name>``); ``location``
    is where its batches are read (a path, resolved here, or a URI, see ``sources``).
    """

    source: str
    name: str
    location: str
    format: str
    skip_rows: int
    contract: Path
    curated_sql: Path

    @property
    def ref(self) -> str:
        """``source/name``, as used on the command line and in reports."""
        return f"{self.source}/{self.name}"


def _require(raw: dict[str, Any], key: str, where: str) -> Any:
    if key not in raw:
        msg = f"{where}: missing key {key!r}"
        raise LayoutError(msg)
    return raw[key]


def _path_part(value: object, what: str) -> str:
    text = str(value)
    if not _PATH_PART.match(text):
        msg = (
            f"{what} {text!r}: lowercase letters, digits, '-' or '_', starting with a letter/digit"
        )
        raise LayoutError(msg)
    return text


def _non_negative(value: object, where: str) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or value < 0:
        msg = f"{where}: keep_snapshots_days {value!r}: a whole number of days, 0 or more"
        raise LayoutError(msg)
    return value


DATA_FORMATS = ("csv", "parquet", "jsonl")
"""The formats a dataset's batches may have (``format`` of a dataset)."""


def _format(item: dict[str, Any], where: str) -> str:
    fmt = str(_require(item, "format", where))
    if fmt not in DATA_FORMATS:
        msg = f"dataset {item.get('source')}/{item.get('name')}: format {fmt!r} (known: "
        raise LayoutError(msg + ", ".join(DATA_FORMATS) + ")")
    return fmt


def _location(text: str, root: Path) -> str:
    """A URI unchanged; a path made absolute against ``root`` (the config file's folder)."""
    if urlsplit(text).scheme:
        return text
    path = Path(text).expanduser()
    return str(path if path.is_absolute() else root / path)


@dataclass(frozen=True)
class Layout:
    """Names and paths of the lake, as configured in ``config/datalake.yaml``."""

    org: str
    project: str
    zones: dict[str, str]
    environments: dict[str, Environment]
    default_environment: str
    bucket_name_format: str
    glue_database_format: str
    partition_column: str
    part_name: str
    quarantine_prefix: str
    local_root: Path
    datasets: tuple[DatasetSpec, ...]
    keep_snapshots_days: int = 7

    @classmethod
    def load(cls, path: Path) -> Layout:
        """Read the layout file at ``path``; relative paths resolve from the file's folder."""
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
        if not isinstance(raw, dict):
            msg = f"{path}: expected a mapping"
            raise LayoutError(msg)
        return cls.from_mapping(raw, root=path.resolve().parent)

    @classmethod
    def from_mapping(cls, raw: dict[str, Any], *, root: Path) -> Layout:
        """Build a layout from the parsed YAML ``raw``; ``root`` anchors relative paths."""
        where = "datalake.yaml"
        zones = {role: str(name) for role, name in dict(_require(raw, "zones", where)).items()}
        if tuple(zones) != ZONE_ROLES:
            msg = f"{where}: zones must be exactly {', '.join(ZONE_ROLES)}, in that order"
            raise LayoutError(msg)
        for role, name in zones.items():
            if not _ZONE_NAME.match(name) or name == LOG_ZONE:
                msg = f"zones.{role} {name!r}: 2-12 lowercase letters or digits, not {LOG_ZONE!r}"
                raise LayoutError(msg)
        if len(set(zones.values())) != len(zones):
            msg = f"{where}: zone names must differ"
            raise LayoutError(msg)
        environments = {
            str(name): Environment(str(name), str(env["account_id"]), str(env["region"]))
            for name, env in dict(_require(raw, "environments", where)).items()
        }
        datasets = tuple(
            DatasetSpec(
                source=_path_part(item["source"], "dataset source"),
                name=_path_part(item["name"], "dataset name"),
                location=_location(str(_require(item, "location", where)), root),
                format=_format(item, where),
                skip_rows=int(item.get("skip_rows", 0)),
                contract=root / str(item["contract"]),
                curated_sql=root / str(item["curated_sql"]),
            )
            for item in _require(raw, "datasets", where)
        )
        layout = cls(
            org=str(_require(raw, "org", where)),
            project=str(_require(raw, "project", where)),
            zones=zones,
            environments=environments,
            default_environment=str(_require(raw, "default_environment", where)),
            bucket_name_format=str(_require(raw, "bucket_name", where)),
            glue_database_format=str(_require(raw, "glue_database", where)),
            partition_column=str(raw.get("partition_column", "dt")),
            part_name=str(raw.get("part_name", "part-{part:05d}")),
            quarantine_prefix=str(raw.get("quarantine_prefix", "_quarantine")),
            local_root=root / str(raw.get("local_root", ".lake")),
            datasets=datasets,
            keep_snapshots_days=_non_negative(raw.get("keep_snapshots_days", 7), where),
        )
        layout.environment(layout.default_environment)
        return layout

    def environment(self, name: str) -> Environment:
        """The environment called ``name``; a ``LayoutError`` naming the choices otherwise."""
        try:
            return self.environments[name]
        except KeyError:
            msg = f"unknown environment {name!r}: choose one of {', '.join(self.environments)}"
            raise LayoutError(msg) from None

    def zone(self, role: str) -> str:
        """The configured name of the zone playing ``role`` (raw, stage or curated)."""
        try:
            return self.zones[role]
        except KeyError:
            msg = f"unknown zone {role!r}: choose one of {', '.join(ZONE_ROLES)}"
            raise LayoutError(msg) from None

    def dataset(self, ref: str) -> DatasetSpec:
        """The dataset ``source/name``; a ``LayoutError`` naming the choices otherwise."""
        for spec in self.datasets:
            if spec.ref == ref:
                return spec
        choices = ", ".join(spec.ref for spec in self.datasets)
        msg = f"unknown dataset {ref!r}: choose one of {choices}"
        raise LayoutError(msg)

    def bucket(self, role: str, environment: str) -> str:
        """The bucket of zone ``role`` in ``environment``, checked against the S3 naming rules."""
        return self._bucket(self.zone(role), environment)

    def log_bucket(self, environment: str) -> str:
        """The bucket that receives the server access logs of the zone buckets."""
        return self._bucket(LOG_ZONE, environment)

    def _bucket(self, zone: str, environment: str) -> str:
        env = self.environment(environment)
        name = self.bucket_name_format.format(
            org=self.org,
            project=self.project,
            zone=zone,
            region=env.region,
            account_id=env.account_id,
            environment=env.name,
        )
        problems = bucket_name_problems(name)
        if problems:
            msg = f"bucket name {name!r} (zone {zone}, environment {env.name}): {problems[0]}"
            raise LayoutError(msg)
        return name

    def all_buckets(self) -> dict[tuple[str, str], str]:
        """Every bucket, keyed by (environment, zone); raises on the first invalid name."""
        buckets: dict[tuple[str, str], str] = {}
        for env in self.environments:
            for role in ZONE_ROLES:
                buckets[env, self.zone(role)] = self.bucket(role, env)
            buckets[env, LOG_ZONE] = self.log_bucket(env)
        return buckets

    def glue_database(self, role: str, environment: str) -> str:
        """The Glue database that catalogs zone ``role`` in ``environment``."""
        name = self.glue_database_format.format(
            zone=self.zone(role), environment=self.environment(environment).name
        )
        return name.replace("-", "_")

    def dataset_prefix(self, role: str, spec: DatasetSpec) -> str:
        """``<zone>/<source>/<dataset>``: the key prefix of a dataset in a zone."""
        return f"{self.zone(role)}/{spec.source}/{spec.name}"

    def partition_prefix(self, role: str, spec: DatasetSpec, day: dt.date) -> str:
        """``<zone>/<source>/<dataset>/dt=YYYY-MM-DD``: the key prefix of one partition."""
        return f"{self.dataset_prefix(role, spec)}/{self.partition_column}={day.isoformat()}"

    def part_key(self, role: str, spec: DatasetSpec, day: dt.date, part: int, ext: str) -> str:
        """The key of part number ``part`` of a partition, with file extension ``ext``."""
        name = self.part_name.format(part=part)
        return f"{self.partition_prefix(role, spec, day)}/{name}.{ext}"

    def quarantine_prefix_for(self, spec: DatasetSpec, day: dt.date) -> str:
        """Where a batch that failed its contract is kept, in the stage zone."""
        partition = f"{self.partition_column}={day.isoformat()}"
        return (
            f"{self.zone('stage')}/{self.quarantine_prefix}/{spec.source}/{spec.name}/{partition}"
        )

    def parse_partition(self, directory_name: str) -> dt.date | None:
        """The date of a partition folder such as ``dt=2026-01-31``; None for other names."""
        prefix = f"{self.partition_column}="
        if not directory_name.startswith(prefix):
            return None
        try:
            return dt.date.fromisoformat(directory_name.removeprefix(prefix))
        except ValueError:
            return None
