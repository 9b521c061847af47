"""``python -m mlhier``: the same CLI as the ``mlhier`` command."""

from mlhier.cli import main

main()
