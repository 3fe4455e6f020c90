"""The bench prefill (``bench.workload.prefill``): the same statements whichever process prepares
them, written through the store's own ``insert`` (so the same tables and keys as the API), with
``stored`` never below what the store already holds."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from bench import workload
from statements.query import StatementQuery
from statements.store.sqlite import SQLiteStore
from statements.timefmt import format_us


def _rows(path: Path) -> list[tuple[object, ...]]:
    conn = sqlite3.connect(path)
    try:
        statements = conn.execute(
            "SELECT seq, id, stored_us, authority_key, body FROM statements ORDER BY seq"
        ).fetchall()
        keys = conn.execute(
            "SELECT family, value, seq, flags FROM filter_postings ORDER BY seq, family, value"
        ).fetchall()
        learned = conn.execute(
            "SELECT 'agent', agent_key FROM agents UNION ALL SELECT 'activity', id FROM activities"
            " ORDER BY 1, 2"
        ).fetchall()
    finally:
        conn.close()
    return [*statements, *keys, *learned]


def test_pool_and_inline_prefill_store_the_same(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(workload, "PREFILL_CHUNK", 40)
    stores = {}
    for processes in (0, 1):
        store = SQLiteStore(tmp_path / f"p{processes}.db")
        store.init()
        rate = workload.prefill(store, 5, 130, processes=processes, per_transaction=2)
        assert rate > 0
        store.close()
        stores[processes] = _rows(tmp_path / f"p{processes}.db")
    assert stores[0] == stores[1]
    statements = [r for r in stores[0] if len(r) == 5]
    learned = {r[0] for r in stores[0] if len(r) == 2}
    assert learned == {"agent", "activity"}  # as if the statements had come through the API
    assert len(statements) == 130
    assert len({r[1] for r in statements}) == 130
    stored = [int(str(r[2])) for r in statements]
    assert stored == sorted(stored) and len(set(stored)) == 130  # 1 ms apart, in seq order


def test_prefill_continues_after_the_newest_stored(tmp_path: Path) -> None:
    store = SQLiteStore(tmp_path / "lrs.db")
    store.init()
    workload.prefill(store, 1, 10, processes=0)
    newest = store.query(StatementQuery(limit=1)).records[0]
    later = newest.stored_us + 10**9  # e.g. statements posted through the API since
    extra = workload.prepared_chunk(2, 0, 1, later)
    store.insert(extra, [])
    floor = extra[0].stored_us
    # Prepared at the store's newest stored already (the store would otherwise raise each one
    # and rewrite its body)...
    chunk = workload.prepared_chunk(3, 0, 3, workload.START_US, floor)
    assert [r.stored_us for r in chunk] == [floor] * 3
    assert {r.body["stored"] for r in chunk} == {format_us(floor)}
    # ...so a prefill after it stores what the store's rule gives.
    workload.prefill(store, 3, 10, processes=0)  # its own clock is far behind
    page = store.query(StatementQuery(limit=10)).records
    assert [r.stored_us for r in page] == [floor] * 10
    assert {r.body["stored"] for r in page} == {extra[0].body["stored"]}
