"""``python -m lrs.cli``: the ``lrs`` command."""

from lrs.cli import main

main()
