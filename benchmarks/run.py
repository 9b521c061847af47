"""Whole-process timings of the mlhier CLI against the tools it competes with.

Run it with one command from anywhere, with mlhier's environment active (or first on PATH):

    python benchmarks/run.py                # 7 timed runs per case, 1 untimed warm-up
    python benchmarks/run.py --runs 15      # more runs
    python benchmarks/run.py --only help    # cases whose key contains "help"

Each case is a whole process (interpreter start, imports, work, exit), run in a fresh temporary
folder that is deleted afterwards. The table shows the median and minimum wall time and the median
CPU time (user + system, the process and its children); the same numbers go to
``benchmarks/results.json`` (``--json PATH`` to change, ``--json -`` to skip), which git ignores.

Cases:

- ``help``: ``mlhier --help``;
- ``typer-import``: ``python -c "import typer"``, typer's own import cost, the floor for ``help``;
- ``typer-hello-help``: ``--help`` of a one-command typer app, typer's cost including help output;
- ``new``: ``mlhier new --defaults --no-lock <tmp>/demo`` (the devops layer, then git init and
  commit; ``--no-lock`` only where this mlhier has it, since copier locks nothing);
- ``copier``: plain ``copier copy --vcs-ref HEAD`` of this checkout, same layer: the baseline for
  ``new`` (both clone the repository at HEAD, as an editable install of mlhier does);
- ``new-plain`` and ``copier-plain``: the same two from a copy of the templates outside git, which
  is how the wheel renders (no clone); ``copier-plain-git`` adds the ``git init`` and commit that
  ``mlhier new`` also does;
- ``new-up-to-<layer>``: ``mlhier new --up-to <layer>`` for each shipped layer above devops; the
  top one generates every shipped layer at once (``--layers`` selects these, ``new`` and
  ``copier-plain``: the cases of the layers target);
- ``new-lock``: ``mlhier new --defaults`` as it runs by default, with ``uv lock`` (needs PyPI);
- ``cookiecutter``: ``cookiecutter --no-input`` of a template with the same file tree as
  ``templates/devops/project``, built by this script: it substitutes the project and package
  names and leaves the rest of each file as text.

Verdicts: ``help`` within +0.15 s of ``typer-import``; ``new`` faster than ``copier`` (and
``new-plain`` than ``copier-plain``); ``new`` of every shipped layer within 1.3x the CPU of
``copier-plain``, with each layer's own CPU printed above it. Rounds run every case once in
turn, so changes in machine load spread over all cases.
A case that fails is reported with the end of its error output; the script then exits 1.
``--strict`` also exits 1 when a target is missed.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import resource
import shlex
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_JSON = ROOT / "benchmarks" / "results.json"
HELP_MARGIN_S = 0.15
# `mlhier new` of every shipped layer against a plain `copier copy` of the devops layer (CPU).
LAYERS_CPU_LIMIT = 1.3
RUN_TIMEOUT_S = 300.0
BUSY_RATIO = 1.25
PROJECT = "demo"


@dataclass(frozen=True)
class Case:
    """One command to time. ``argv`` gets a fresh empty folder; ``output`` is its result there."""

    key: str
    label: str
    argv: Callable[[Path], list[str]]
    output: str | None = None
    env: dict[str, str] = field(default_factory=dict)
    skip: str | None = None


@dataclass
class Result:
    """What the timed runs of one case measured."""

    key: str
    label: str
    command: str
    wall_s: list[float] = field(default_factory=list)
    cpu_s: list[float] = field(default_factory=list)
    files: int | None = None
    error: str | None = None
    skipped: str | None = None

    @property
    def pending(self) -> bool:
        return self.error is None and self.skipped is None

    @property
    def ok(self) -> bool:
        return self.error is None and self.skipped is None and bool(self.wall_s)

    @property
    def median(self) -> float:
        return statistics.median(self.wall_s)

    @property
    def minimum(self) -> float:
        return min(self.wall_s)

    @property
    def cpu(self) -> float:
        return statistics.median(self.cpu_s)

    def summary(self) -> dict[str, Any]:
        data = asdict(self)
        if self.ok:
            data["median_s"] = round(self.median, 4)
            data["min_s"] = round(self.minimum, 4)
            data["cpu_median_s"] = round(self.cpu, 4)
        return data


@dataclass(frozen=True)
class Verdict:
    """A target, whether it was met, and the numbers behind it."""

    target: str
    met: bool | None
    detail: str


class RunFailedError(Exception):
    """A benchmarked command exited non-zero, timed out or could not start."""


def _tool(name: str) -> str | None:
    """The executable beside this interpreter (its virtualenv) first, then the one on PATH."""
    beside = Path(sys.executable).parent / name
    if beside.is_file() and os.access(beside, os.X_OK):
        return str(beside)
    return shutil.which(name)


def _python_of(script: str | None) -> str:
    """The interpreter a console script runs with, so baselines import from the same place."""
    if script is not None:
        try:
            with Path(script).open("rb") as handle:
                first = handle.readline().decode("utf-8", "replace").strip()
        except OSError:
            first = ""
        if first.startswith("#!"):
            candidate = first[2:].strip().split()[0] if first[2:].strip() else ""
            if candidate and Path(candidate).is_file():
                return candidate
    return sys.executable


def _tail(text: str, lines: int = 12) -> str:
    kept = [line for line in text.strip().splitlines() if line.strip()]
    return "\n".join(kept[-lines:])


def _count_files(folder: Path) -> int:
    return sum(1 for path in folder.rglob("*") if path.is_file() and ".git" not in path.parts)


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def _run_once(case: Case) -> tuple[float, float, int | None]:
    """Run ``case`` once in a fresh folder: wall seconds, CPU seconds, files it produced."""
    workdir = Path(tempfile.mkdtemp(prefix=f"mlhier-bench-{case.key}-"))
    env = {**os.environ, **case.env}
    argv = case.argv(workdir)
    try:
        cpu_before = _children_cpu()
        start = time.perf_counter()
        try:
            done = subprocess.run(
                argv,
                cwd=workdir,
                env=env,
                stdin=subprocess.DEVNULL,
                capture_output=True,
                text=True,
                timeout=RUN_TIMEOUT_S,
                check=False,
            )
        except subprocess.TimeoutExpired as error:
            raise RunFailedError(f"timed out after {RUN_TIMEOUT_S:.0f} s") from error
        except OSError as error:
            raise RunFailedError(f"could not start {argv[0]}: {error}") from error
        wall = time.perf_counter() - start
        cpu = _children_cpu() - cpu_before
        if done.returncode != 0:
            output = _tail(done.stderr) or _tail(done.stdout) or "(no output)"
            raise RunFailedError(f"exit code {done.returncode}:\n{output}")
        files = None
        if case.output is not None:
            produced = workdir / case.output
            if not produced.is_dir():
                raise RunFailedError(f"exited 0 but made no {case.output}/ folder")
            files = _count_files(produced)
        return wall, cpu, files
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


def _attempt(case: Case, result: Result, timed: bool) -> None:
    """One run of ``case`` into ``result``; a failure ends the case and keeps its message."""
    if not result.pending:
        return
    try:
        wall, cpu, result.files = _run_once(case)
    except RunFailedError as error:
        result.error = str(error)
        return
    if timed:
        result.wall_s.append(wall)
        result.cpu_s.append(cpu)


def measure(
    selected: Sequence[Case], runs: int, warmup: int, say: Callable[[str], None]
) -> list[Result]:
    """Warm every case up, then time them in rounds of one run each.

    Interleaving spreads changes in machine load (other processes, thermal) over all cases
    instead of letting them land on whichever case happened to run then.
    """
    results = [
        Result(case.key, case.label, " ".join(case.argv(Path("<tmp>")))) for case in selected
    ]
    for case, result in zip(selected, results, strict=True):
        result.skipped = case.skip
    for round_ in range(warmup):
        say(f"warm-up {round_ + 1}/{warmup}")
        for case, result in zip(selected, results, strict=True):
            _attempt(case, result, timed=False)
    for round_ in range(runs):
        say(f"round {round_ + 1}/{runs}")
        for case, result in zip(selected, results, strict=True):
            _attempt(case, result, timed=True)
    return results


# Delimiters no template text uses, so cookiecutter parses every file with Jinja yet substitutes
# only the names turned into ``@@{cookiecutter.NAME}@@`` and leaves copier's own Jinja as text.
COOKIE_JINJA = {
    "variable_start_string": "@@{",
    "variable_end_string": "}@@",
    "block_start_string": "@@%",
    "block_end_string": "%@@",
    "comment_start_string": "@@#",
    "comment_end_string": "#@@",
}
COOKIE_NAMES = {"project_name": PROJECT, "package_name": PROJECT.replace("-", "_")}
_COPIER_NAME = re.compile(r"\{\{\s*(" + "|".join(COOKIE_NAMES) + r")\s*\}\}")


def _to_cookiecutter(text: str) -> str:
    return _COPIER_NAME.sub(r"@@{cookiecutter.\1}@@", text)


def build_cookiecutter_template(into: Path) -> Path:
    """A cookiecutter template with the file tree and sizes of ``templates/devops/project``."""
    source = ROOT / "templates" / "devops" / "project"
    if not source.is_dir():
        raise RunFailedError(f"{source} is missing")
    template = into / "cookiecutter-devops"
    top = template / _to_cookiecutter("{{ project_name }}")
    top.mkdir(parents=True)
    context: dict[str, Any] = {**COOKIE_NAMES, "_jinja2_env_vars": COOKIE_JINJA}
    (template / "cookiecutter.json").write_text(json.dumps(context), encoding="utf-8")
    for path in sorted(source.rglob("*")):
        if not path.is_file() or "_copier_conf" in path.name:
            continue
        relative = _to_cookiecutter(path.relative_to(source).as_posix().removesuffix(".jinja"))
        target = top / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        try:
            target.write_text(_to_cookiecutter(path.read_text(encoding="utf-8")), encoding="utf-8")
        except UnicodeDecodeError:
            shutil.copyfile(path, target)
    config = into / "cookiecutter-config.yaml"
    config.write_text(
        f"cookiecutters_dir: {into / 'cookiecutters'}\nreplay_dir: {into / 'replay'}\n",
        encoding="utf-8",
    )
    return template


def build_plain_template(into: Path) -> Path:
    """``copier.yml`` and ``templates/`` copied to a folder outside git, as the wheel ships them."""
    plain = into / "plain-template"
    plain.mkdir()
    shutil.copy2(ROOT / "copier.yml", plain / "copier.yml")
    shutil.copytree(ROOT / "templates", plain / "templates")
    return plain


def build_typer_hello(into: Path) -> Path:
    script = into / "hello.py"
    script.write_text(
        "import typer\n\n"
        "app = typer.Typer()\n\n\n"
        "@app.command()\n"
        "def hello(name: str = 'world') -> None:\n"
        '    """Say hello."""\n'
        "    typer.echo(f'hello {name}')\n\n\n"
        "app()\n",
        encoding="utf-8",
    )
    return script


def _has_option(executable: str, command: str, option: str) -> bool:
    """Whether ``executable command --help`` lists ``option`` (plain help, no rich boxes)."""
    try:
        done = subprocess.run(
            [executable, command, "--help"],
            env={**os.environ, "TYPER_USE_RICH": "0", "COLUMNS": "200"},
            capture_output=True,
            text=True,
            timeout=RUN_TIMEOUT_S,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired):
        return False
    return option in done.stdout


def _missing(name: str) -> str:
    return f"{name} not found beside {sys.executable} or on PATH"


def shipped_layers() -> tuple[str, ...]:
    """The shipped layers, bottom-up, as the mlhier beside this interpreter knows them."""
    try:
        from mlhier.layers import LADDER
    except ImportError:
        return ("devops",)
    return tuple(layer.name for layer in LADDER if layer.shipped)


def up_to_key(layer: str) -> str:
    """The case of ``mlhier new --up-to layer``; the base layer's is plain ``new``."""
    return "new" if layer == shipped_layers()[0] else f"new-up-to-{layer}"


def layer_case_keys() -> set[str]:
    """The cases the layers target compares, side by side."""
    return {*(up_to_key(layer) for layer in shipped_layers()), "copier-plain"}


def _new_up_to(new_argv: Sequence[str], layer: str) -> Callable[[Path], list[str]]:
    return lambda tmp: [*new_argv, "--up-to", layer, str(tmp / PROJECT)]


def cases(scratch: Path) -> list[Case]:
    """Every case, its baselines next to it. ``scratch`` holds templates built for the run."""
    mlhier = _tool("mlhier")
    copier = _tool("copier")
    cookiecutter = _tool("cookiecutter")
    python = _python_of(mlhier)
    hello = build_typer_hello(scratch)
    plain = scratch / "plain-template"
    plain_skip: str | None = None
    try:
        build_plain_template(scratch)
    except OSError as error:
        plain_skip = f"could not copy the template: {error}"
    cookie_skip: str | None = None if cookiecutter else _missing("cookiecutter")
    cookie_template = scratch / "cookiecutter-devops"
    if cookie_skip is None:
        try:
            cookie_template = build_cookiecutter_template(scratch)
        except (RunFailedError, OSError) as error:
            cookie_skip = f"could not build its template: {error}"
    mlhier_argv = mlhier or "mlhier"
    # Compare like with like: copier does not lock dependencies, so time `new` without it too
    # (when this mlhier has the option) and the default `uv lock` run on its own.
    no_lock = ["--no-lock"] if mlhier and _has_option(mlhier, "new", "--no-lock") else []
    new_argv = [mlhier_argv, "new", "--defaults", *no_lock]
    # `new` applies every layer unless told: the cases compared with copier's devops copy say so.
    base = ["--up-to", shipped_layers()[0]]
    copier_copy = [
        copier or "copier",
        "copy",
        "--defaults",
        "--data",
        "layer=devops",
        "--data",
        f"project_name={PROJECT}",
    ]
    cookie_argv = cookiecutter or "cookiecutter"
    return [
        Case(
            "help",
            "mlhier --help",
            lambda _: [mlhier_argv, "--help"],
            skip=None if mlhier else _missing("mlhier"),
        ),
        Case("typer-import", 'python -c "import typer"', lambda _: [python, "-c", "import typer"]),
        Case(
            "typer-hello-help",
            "typer 1-command app --help",
            lambda _: [python, str(hello), "--help"],
        ),
        Case(
            "new",
            f"mlhier new --up-to {shipped_layers()[0]} --defaults {' '.join(no_lock)}".rstrip(),
            lambda tmp: [*new_argv, *base, str(tmp / PROJECT)],
            output=PROJECT,
            skip=None if mlhier else _missing("mlhier"),
        ),
        *(
            Case(
                up_to_key(layer),
                f"mlhier new --up-to {layer} --defaults {' '.join(no_lock)}".rstrip(),
                _new_up_to(new_argv, layer),
                output=PROJECT,
                skip=None if mlhier else _missing("mlhier"),
            )
            for layer in shipped_layers()[1:]
        ),
        Case(
            "copier",
            "copier copy --defaults (devops)",
            lambda tmp: [*copier_copy, "--vcs-ref", "HEAD", str(ROOT), str(tmp / PROJECT)],
            output=PROJECT,
            skip=None if copier else _missing("copier"),
        ),
        Case(
            "new-plain",
            "mlhier new --template <plain copy>",
            lambda tmp: [*new_argv, *base, "--template", str(plain), str(tmp / PROJECT)],
            output=PROJECT,
            skip=plain_skip or (None if mlhier else _missing("mlhier")),
        ),
        Case(
            "copier-plain",
            "copier copy <plain copy>",
            lambda tmp: [*copier_copy, str(plain), str(tmp / PROJECT)],
            output=PROJECT,
            skip=plain_skip or (None if copier else _missing("copier")),
        ),
        Case(
            "copier-plain-git",
            "copier copy <plain copy> && git commit",
            lambda tmp: [
                "sh",
                "-c",
                f"{shlex.join([*copier_copy, str(plain), str(tmp / PROJECT)])} && cd {PROJECT}"
                " && git init --quiet --initial-branch=main && git add --all"
                " && git -c user.name=bench -c user.email=bench@localhost"
                " commit --quiet --no-verify --message generated",
            ],
            output=PROJECT,
            skip=plain_skip or (None if copier else _missing("copier")),
        ),
        Case(
            "new-lock",
            "mlhier new --defaults (every layer, with uv lock)",
            lambda tmp: [mlhier_argv, "new", "--defaults", str(tmp / PROJECT)],
            output=PROJECT,
            skip=(None if no_lock else "this mlhier has no --no-lock: `new` is this case")
            if mlhier
            else _missing("mlhier"),
        ),
        Case(
            "cookiecutter",
            "cookiecutter --no-input (same tree)",
            lambda tmp: [
                cookie_argv,
                "--no-input",
                "--output-dir",
                str(tmp),
                str(cookie_template),
                f"project_name={PROJECT}",
            ],
            output=PROJECT,
            env={"COOKIECUTTER_CONFIG": str(scratch / "cookiecutter-config.yaml")},
            skip=cookie_skip,
        ),
    ]


def _by_key(results: Sequence[Result]) -> dict[str, Result]:
    return {result.key: result for result in results}


def _versus(mine: Result, theirs: Result) -> str:
    """Wall medians and their difference, then the same for CPU (steadier on a busy machine)."""
    return (
        f"{mine.median:.3f} s vs {theirs.median:.3f} s ({mine.median - theirs.median:+.3f} s, "
        f"{mine.median / theirs.median:.2f}x); CPU {mine.cpu:.3f} s vs {theirs.cpu:.3f} s "
        f"({mine.cpu - theirs.cpu:+.3f} s)"
    )


def busy(results: Sequence[Result]) -> bool:
    """Whether other work slowed the runs: wall time well above the CPU time they used."""
    ran = [result for result in results if result.ok]
    return bool(ran) and statistics.median(r.median / max(r.cpu, 1e-3) for r in ran) > BUSY_RATIO


def marginal_costs(cumulative: Sequence[tuple[str, float]]) -> list[tuple[str, float]]:
    """Each layer's own cost from the costs of ``new --up-to`` each layer, bottom-up.

    The base layer's is its whole run (interpreter, imports, git); each layer above costs the
    difference between generating up to it and up to the layer below.
    """
    costs: list[tuple[str, float]] = []
    below = 0.0
    for layer, cost in cumulative:
        costs.append((layer, cost - below))
        below = cost
    return costs


def layers_verdict(
    top: str, all_cpu: float, copier_cpu: float, limit: float = LAYERS_CPU_LIMIT
) -> Verdict:
    """The target: ``new --up-to top`` within ``limit`` times a plain copier copy of devops."""
    ratio = all_cpu / copier_cpu
    return Verdict(
        f"mlhier new of every shipped layer (--up-to {top}) within {limit:.2f}x the CPU of"
        " plain copier copy of the devops layer (plain copy)",
        ratio <= limit,
        f"CPU {all_cpu:.3f} s vs {copier_cpu:.3f} s: {ratio:.2f}x (limit {limit:.2f}x)",
    )


def _layer_verdicts(found: dict[str, Result]) -> list[Verdict]:
    layers = shipped_layers()
    runs = [found.get(up_to_key(layer)) for layer in layers]
    copier = found.get("copier-plain")
    if all(run is None for run in runs) and copier is None:
        return []
    target = f"mlhier new of every shipped layer within {LAYERS_CPU_LIMIT:.2f}x plain copier"
    if not (copier and copier.ok and all(run and run.ok for run in runs)):
        return [Verdict(target, None, "not measured: a case failed, was skipped or not selected")]
    cumulative = [(layer, run.cpu) for layer, run in zip(layers, runs, strict=True) if run]
    out = [
        Verdict(
            f"(info) CPU of the {layer} layer",
            None,
            f"{cost:.3f} s" + (" (its whole run)" if index == 0 else " (added to the layer below)"),
        )
        for index, (layer, cost) in enumerate(marginal_costs(cumulative))
    ]
    out.append(layers_verdict(layers[-1], cumulative[-1][1], copier.cpu))
    return out


def verdicts(results: Sequence[Result]) -> list[Verdict]:
    found = _by_key(results)
    out: list[Verdict] = []
    help_, typer_ = found.get("help"), found.get("typer-import")
    target = f"mlhier --help within +{HELP_MARGIN_S:.2f} s of typer's import"
    if help_ and typer_ and help_.ok and typer_.ok:
        extra = help_.median - typer_.median
        out.append(
            Verdict(
                target,
                extra <= HELP_MARGIN_S,
                _versus(help_, typer_),
            )
        )
        hello = found.get("typer-hello-help")
        if hello and hello.ok:
            out.append(
                Verdict(
                    "(info) mlhier --help over a 1-command typer app's --help",
                    None,
                    _versus(help_, hello),
                )
            )
    elif help_ is not None and typer_ is not None:
        out.append(Verdict(target, None, "not measured: a case failed or was skipped"))
    pairs = (
        ("new", "copier", "from this git checkout, both clone it at HEAD"),
        ("new-plain", "copier-plain", "from a plain copy, as the wheel renders"),
    )
    for mine, theirs, how in pairs:
        new, copier = found.get(mine), found.get(theirs)
        target = f"mlhier new faster than plain copier CLI ({how})"
        if new and copier and new.ok and copier.ok:
            out.append(
                Verdict(
                    target,
                    new.median < copier.median,
                    f"{_versus(new, copier)}; {new.files} vs {copier.files} files, "
                    "mlhier also runs git init and commit",
                )
            )
        elif new is not None and copier is not None:
            out.append(Verdict(target, None, "not measured: a case failed or was skipped"))
    new, by_hand = found.get("new-plain"), found.get("copier-plain-git")
    if new and by_hand and new.ok and by_hand.ok:
        out.append(
            Verdict(
                "(info) mlhier new over copier copy + git init + commit by hand (plain copy)",
                None,
                _versus(new, by_hand),
            )
        )
    out.extend(_layer_verdicts(found))
    return out


def table(results: Sequence[Result]) -> str:
    header = ("case", "command", "median s", "min s", "cpu s", "files", "runs")
    rows: list[tuple[str, ...]] = [header]
    for result in results:
        if result.ok:
            rows.append(
                (
                    result.key,
                    result.label,
                    f"{result.median:.3f}",
                    f"{result.minimum:.3f}",
                    f"{result.cpu:.3f}",
                    "" if result.files is None else str(result.files),
                    str(len(result.wall_s)),
                )
            )
        else:
            status = "SKIPPED" if result.skipped else "FAILED"
            rows.append((result.key, result.label, status, "", "", "", str(len(result.wall_s))))
    widths = [max(len(row[column]) for row in rows) for column in range(len(header))]
    numeric = {2, 3, 4, 5, 6}

    def line(row: tuple[str, ...]) -> str:
        cells = (
            cell.rjust(width) if index in numeric else cell.ljust(width)
            for index, (cell, width) in enumerate(zip(row, widths, strict=True))
        )
        return "  ".join(cells).rstrip()

    rule = "  ".join("-" * width for width in widths)
    return "\n".join([line(rows[0]), rule, *(line(row) for row in rows[1:])])


def _version(package: str) -> str | None:
    try:
        return metadata.version(package)
    except metadata.PackageNotFoundError:
        return None


def _git_head() -> str | None:
    try:
        done = subprocess.run(
            ["git", "-C", str(ROOT), "rev-parse", "--short", "HEAD"],
            capture_output=True,
            text=True,
            check=False,
        )
    except OSError:
        return None
    return done.stdout.strip() or None


def report(
    results: Sequence[Result], found: Sequence[Verdict], runs: int, warmup: int
) -> dict[str, Any]:
    return {
        "when": datetime.now(UTC).isoformat(timespec="seconds"),
        "commit": _git_head(),
        "python": sys.version.split()[0],
        "platform": platform.platform(),
        "cpus": os.cpu_count(),
        "versions": {
            name: _version(name) for name in ("mlhier", "typer", "copier", "cookiecutter")
        },
        "runs": runs,
        "warmup": warmup,
        "cases": [result.summary() for result in results],
        "busy": busy(results),
        "verdicts": [asdict(verdict) for verdict in found],
    }


@contextmanager
def scratch_folder() -> Iterator[Path]:
    folder = Path(tempfile.mkdtemp(prefix="mlhier-bench-setup-"))
    try:
        yield folder
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def _progress(line: str) -> None:
    print(line, file=sys.stderr, flush=True)


def _positive(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError("must be at least 1")
    return value


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0] if __doc__ else None)
    parser.add_argument("--runs", type=_positive, default=7, help="timed runs per case (7)")
    parser.add_argument("--warmup", type=int, default=1, help="untimed runs first (1)")
    parser.add_argument(
        "--only", action="append", default=[], metavar="KEY", help="cases whose key has KEY"
    )
    parser.add_argument(
        "--json", default=str(DEFAULT_JSON), metavar="PATH", help="results file; '-' for none"
    )
    parser.add_argument(
        "--layers",
        action="store_true",
        help="only the cases of the layers target: new --up-to each layer, copier-plain",
    )
    parser.add_argument("--strict", action="store_true", help="exit 1 when a target is missed")
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    with scratch_folder() as scratch:
        selected = [
            case
            for case in cases(scratch)
            if not args.only or any(key in case.key for key in args.only)
            if not args.layers or case.key in layer_case_keys()
        ]
        results = measure(selected, args.runs, max(args.warmup, 0), _progress)

    found = verdicts(results)
    print()
    print(f"{args.runs} timed runs per case after {max(args.warmup, 0)} warm-up; wall seconds")
    print(table(results))
    for result in results:
        if result.skipped:
            print(f"\n{result.key} skipped: {result.skipped}")
        elif result.error:
            print(f"\n{result.key} FAILED ({result.command}):\n{result.error}")
    if busy(results):
        print(
            "\nnote: wall time is well above CPU time: other work is slowing this machine."
            " Compare the CPU figures, or rerun with more --runs when it is idle."
        )
    if found:
        print()
    for verdict in found:
        mark = {True: "PASS", False: "MISS", None: "----"}[verdict.met]
        print(f"{mark}  {verdict.target}: {verdict.detail}")

    if args.json != "-":
        path = Path(args.json)
        path.parent.mkdir(parents=True, exist_ok=True)
        data = report(results, found, args.runs, max(args.warmup, 0))
        path.write_text(json.dumps(data, indent=2) + "\n", encoding="utf-8")
        print(f"\nresults written to {path}")

    failed = any(result.error for result in results)
    missed = any(verdict.met is False for verdict in found)
    return 1 if failed or (args.strict and missed) else 0


if __name__ == "__main__":
    sys.exit(main())
