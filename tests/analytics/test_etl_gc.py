"""A refresh pauses the cyclic GC while it holds batches, and always restores it."""

from __future__ import annotations

import gc
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from analytics.etl import gc_paused, refresh
from analytics.warehouse import Warehouse
from tests.analytics.helpers import SECRET, rec, stmt


class _Store:
    """Yields one batch and notes whether the GC was enabled when it was read."""

    def __init__(self, fail: bool = False) -> None:
        self.fail = fail
        self.gc_seen: list[bool] = []

    def iter_since(self, after: int, batch_size: int) -> Iterator[list[Any]]:
        self.gc_seen.append(gc.isenabled())
        if self.fail:
            raise RuntimeError("store went away")
        if after == 0:
            yield [rec(stmt(1))]


def test_gc_is_paused_during_the_refresh_and_enabled_after(tmp_path: Path) -> None:
    store = _Store()
    assert gc.isenabled()
    result = refresh(store, Warehouse(tmp_path / "wh.duckdb"), SECRET)
    assert result.loaded == 1
    assert store.gc_seen == [False]
    assert gc.isenabled()


def test_gc_is_restored_when_the_refresh_fails(tmp_path: Path) -> None:
    with pytest.raises(RuntimeError):
        refresh(_Store(fail=True), Warehouse(tmp_path / "wh.duckdb"), SECRET)
    assert gc.isenabled()


def test_a_disabled_gc_stays_disabled() -> None:
    gc.disable()
    try:
        with gc_paused():
            pass
        assert not gc.isenabled()
    finally:
        gc.enable()
