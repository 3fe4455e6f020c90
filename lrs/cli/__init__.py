"""The ``lrs`` command. Each command family lives in its own module and registers here.

Modules importing the analytics stack load on demand (:mod:`lrs.cli.lazy`).
"""

from __future__ import annotations

from lrs.cli import (
    alerts,  # noqa: F401
    audit,  # noqa: F401
    bulk,  # noqa: F401
    forward,  # noqa: F401
    migrate,  # noqa: F401
    people,  # noqa: F401
    pull,  # noqa: F401
)
from lrs.cli.core import main

__all__ = ["main"]
