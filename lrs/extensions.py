"""Per-process resources of one app, kept in ``app.extensions["lrs"]`` (no module globals)."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from flask import Flask, current_app

from config.settings import Settings
from lrs.credentials import UseRecorder, Verifier


def system_clock_us() -> int:
    """Wall-clock time as epoch microseconds."""
    return time.time_ns() // 1000


@dataclass
class Services:
    """What views need: settings, the store (opened lazily, after fork) and the clock."""

    settings: Settings
    store_factory: Callable[[], Any]
    clock: Callable[[], int] = system_clock_us
    verifier: Verifier = field(default_factory=Verifier)
    uses: UseRecorder = field(default_factory=UseRecorder)
    cursor: Any = None
    last_versions: dict[str, str] = field(default_factory=dict)
    learned: Any = None
    _store: Any = field(default=None, repr=False)

    @property
    def store(self) -> Any:
        """The store, opened on first use in this process."""
        if self._store is None:
            self._store = self.store_factory()
        return self._store


def services(app: Flask | None = None) -> Services:
    """The :class:`Services` of ``app`` (default: the current app)."""
    target = app or current_app
    found: Services = target.extensions["lrs"]
    return found
