"""The pre-generation hook of a cookiecutter export: mlhier's validators, before any file.

``mlhier export cookiecutter`` writes this file as ``hooks/pre_gen_project.py`` with ``CHECKS``
filled in: for each question of each layer, its ``when``, its default and its validator as
copier declares them, translated like the template's files. cookiecutter renders a hook with
Jinja before it runs it, so those run there, over the same ``templates/rules.jinja`` and
filters as for ``mlhier new``; what is left here is to report the first refusal as mlhier does,
and stop cookiecutter before it writes a file. This file holds no Jinja delimiter of its own.
It needs only the standard library: cookiecutter runs it with its own Python.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator, Mapping, Sequence

# One entry per question, bottom-up, each value rendered to text by cookiecutter: `answer`
# (the cookiecutter variable), `asked` (the question's `when`), `given` (the answer), `default`
# (its default) and `said` (what its validator says: empty for a good answer).
CHECKS: list[dict[str, str]] = []

_FALSE = {"n", "no", "f", "false", "off", "0", ""}


def refusals(checks: Sequence[Mapping[str, str]]) -> Iterator[str]:
    """The message of each answer refused: by a validator, or given to a question not asked."""
    for check in checks:
        answer = check["answer"]
        if check["asked"].strip().lower() in _FALSE:
            if check["given"] != check["default"]:
                yield f"{answer} is not asked here: leave it at its default, {check['default']}"
            continue
        said = check["said"].strip()
        if said:  # as mlhier reports a failed validator: led by the question's name
            yield said if said.startswith(answer) else f"{answer}: {said}"


def main() -> int:
    for message in refusals(CHECKS):
        print(f"error: {message}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
