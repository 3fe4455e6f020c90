"""The ``lrs`` command. Each command family lives in its own module and registers here."""

from __future__ import annotations

from lrs.cli.core import main

__all__ = ["main"]
