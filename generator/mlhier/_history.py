"""The template history mlhier carries, so projects from the bundled templates update offline.

A project generated from the templates inside the wheel records the public repository
(``UPSTREAM_URL``) as its ``_src_path``, so plain ``copier update`` keeps working wherever that
repository is reachable. ``mlhier update`` does not need it: the wheel also carries the released
template versions as a git bundle (``_template.bundle``, written at build time), and a checkout
has its own ``.git``. For the update, git itself reads that local history in place of the public
repository (``url.<local>.insteadOf``), so copier keeps recording ``_src_path`` as it was.
"""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from mlhier.errors import GenerationError

__all__ = ["BUNDLE_NAME", "local_history", "reading_from"]

BUNDLE_NAME = "_template.bundle"


def _bundle() -> Path | None:
    from importlib import resources

    packaged = Path(str(resources.files("mlhier") / BUNDLE_NAME))
    return packaged if packaged.is_file() else None


def _checkout() -> Path | None:
    """The repository holding this mlhier's source, in an editable install."""
    root = Path(__file__).resolve().parents[2]
    return root if (root / ".git").exists() and (root / "copier.yml").is_file() else None


@contextmanager
def local_history(bundle: Path | None = None) -> Iterator[Path | None]:
    """A local git repository of the bundled templates' history, or ``None`` where there is none.

    ``bundle`` overrides the one found inside the installed package. A bundle is cloned into a
    temporary folder (copier needs a repository) that is removed on exit.
    """
    bundle = bundle or _bundle()
    if bundle is None:
        yield _checkout()
        return
    scratch = Path(tempfile.mkdtemp(prefix="mlhier-history-"))
    try:
        clone = scratch / "templates"
        done = subprocess.run(
            ["git", "clone", "--quiet", str(bundle), str(clone)],
            capture_output=True,
            text=True,
            check=False,
        )
        if done.returncode != 0:
            detail = done.stderr.strip()
            raise GenerationError(f"cannot read the template history in {bundle}: {detail}")
        yield clone
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


@contextmanager
def reading_from(local: Path, url: str) -> Iterator[None]:
    """Within the block, git (run by copier) fetches ``url`` from the repository ``local``."""
    # copier runs git through plumbum, whose environment is a copy taken when it was imported.
    from plumbum import local as plumbum_local

    count = int(plumbum_local.env.get("GIT_CONFIG_COUNT", "0"))
    added = {
        "GIT_CONFIG_COUNT": str(count + 1),
        f"GIT_CONFIG_KEY_{count}": f"url.{local.as_uri()}.insteadOf",
        f"GIT_CONFIG_VALUE_{count}": url,
    }
    with plumbum_local.env(**added):
        yield
