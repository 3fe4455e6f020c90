"""The ``lrs`` command. Each command family lives in its own module and registers here."""

from __future__ import annotations

from lrs.cli import (
    analytics,  # noqa: F401
    analytics_models,  # noqa: F401
    audit,  # noqa: F401
    demo,  # noqa: F401
    erase,  # noqa: F401
    firstrun,  # noqa: F401
    migrate,  # noqa: F401
    simulate,  # noqa: F401
)
from lrs.cli.core import main

__all__ = ["main"]
