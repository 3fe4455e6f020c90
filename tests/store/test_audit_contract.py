"""The audit log contract on every backend: append-only, hash-chained, filterable."""

from __future__ import annotations

import dataclasses
from typing import Any

from statements.audit import verify_chain


def test_entries_chain_and_verify(store: Any) -> None:
    for n in range(3):
        store.append_audit(1000 + n, f"key{n % 2}", "import", {"kind": "staff", "rows": n})
    entries = store.list_audit()
    assert [e.seq for e in entries] == [1, 2, 3]
    assert entries[1].prev_hash == entries[0].hash
    assert verify_chain(entries) is None
    assert [e.seq for e in store.list_audit(actor="key1")] == [2]
    assert [e.seq for e in store.list_audit(since_us=1001)] == [2, 3]


def test_tampering_is_detected() -> None:
    from statements.audit import chained

    first = chained(None, 1, "a", "refresh", {})
    second = chained(first, 2, "a", "sql", {"text": "SELECT 1"})
    third = chained(second, 3, "b", "export", {})
    assert verify_chain([first, second, third]) is None
    forged = dataclasses.replace(second, detail={"text": "SELECT 2"})
    assert verify_chain([first, forged, third]) == 2
    assert verify_chain([first, third]) == 3


def test_sqlite_refuses_updates_and_deletes(tmp_path: Any) -> None:
    import sqlite3

    import pytest

    from statements.store.sqlite import SQLiteStore

    store = SQLiteStore(tmp_path / "a.db")
    store.init()
    store.append_audit(1, "k", "login", {})
    conn = sqlite3.connect(tmp_path / "a.db")
    with pytest.raises(sqlite3.IntegrityError):
        conn.execute("UPDATE audit_log SET actor = 'x'")
    with pytest.raises(sqlite3.IntegrityError):
        conn.execute("DELETE FROM audit_log")
