"""The embedded SQLite backend (the default store); see :mod:`statements.store.sqlite.store`."""

from __future__ import annotations

from statements.store.sqlite.checkpoint import store_files
from statements.store.sqlite.store import SQLiteStore

__all__ = ["SQLiteStore", "store_files"]
