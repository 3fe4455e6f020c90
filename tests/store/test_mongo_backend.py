"""MongoDB-only behaviour: atomic batches without transactions, recovery, options, query plans.

Runs on mongomock always and on a real server when ``LRS_TEST_MONGO_URI`` is set (see
docs/mongodb.md). Tests needing what mongomock lacks (``explain``, ``hello``, transactions) are
marked ``mongo_real``; mongomock-only assumptions are xfailed on the real server with the reason.
"""

from __future__ import annotations

import os
import threading
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from pymongo.errors import AutoReconnect

from config.settings import Settings
from statements.errors import Conflict, StoreUnavailable
from statements.query import StatementQuery
from statements.store.base import Attachment
from statements.store.mongo.conn import client_options
from statements.store.mongo.statements import query_filter, query_hint
from tests.conftest import make_store
from tests.store.test_statement_contract import rec, stmt, void

REAL = bool(os.environ.get("LRS_TEST_MONGO_URI"))
MONGO_BACKENDS = ["mongomock"] + (["mongo"] if REAL else [])


@pytest.fixture(params=MONGO_BACKENDS)
def mstore(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Any]:
    opened = make_store(str(request.param), tmp_path)
    if request.param == "mongo":  # exercise the no-transaction path on a real server too
        opened._txn = False
    yield opened
    if request.param == "mongo":
        opened.drop_database()
    opened.close()


def sid(n: int) -> str:
    return str(uuid.UUID(int=n + 1))


def leftovers(store: Any) -> tuple[int, int]:
    """(statements still marked pending, journal entries)."""
    db = store.db
    return db.statements.count_documents({"pending": {"$ne": None}}), db.batches.count_documents({})


def test_duplicate_in_the_middle_leaves_nothing(mstore: Any) -> None:
    mstore.insert([rec(stmt(0))], [])
    batch = [rec(stmt(1), at=1), rec(stmt(2), at=1), rec(stmt(0), at=1), rec(stmt(3), at=1)]
    with pytest.raises(Conflict):
        mstore.insert(batch, [Attachment("ab" * 32, "text/plain", b"x")])
    assert set(mstore.get_by_ids([sid(n) for n in range(4)])) == {sid(0)}
    assert mstore.db.statements.count_documents({}) == 1
    assert leftovers(mstore) == (0, 0)


def test_failure_after_insert_is_compensated(mstore: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(*_args: Any) -> None:
        raise AutoReconnect("injected: connection lost while writing attachments")

    monkeypatch.setattr(mstore, "_store_attachments", broken)
    with pytest.raises(StoreUnavailable):
        mstore.insert([rec(stmt(1)), rec(stmt(2))], [Attachment("ab" * 32, "t/p", b"x")])
    assert mstore.get_by_ids([sid(1), sid(2)]) == {}
    assert mstore.db.statements.count_documents({}) == 0
    assert leftovers(mstore) == (0, 0)


def test_pending_batch_is_invisible_and_rolled_back(
    mstore: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    mstore.insert([rec(stmt(0))], [])

    def crash(*_args: Any) -> None:
        raise AutoReconnect("injected: server lost after the insert, compensation fails too")

    monkeypatch.setattr(mstore, "_store_attachments", crash)
    monkeypatch.setattr(mstore, "_compensate", crash)
    with pytest.raises(StoreUnavailable):
        mstore.insert([rec(stmt(1), at=1), rec(void(2, 0), at=1)], [])
    assert leftovers(mstore) == (2, 1)
    assert mstore.get_by_ids([sid(1), sid(2)]) == {}
    assert [r.id for r in mstore.query(StatementQuery(limit=9)).records] == [sid(0)]
    assert [r.id for batch in mstore.iter_since(0) for r in batch] == [sid(0)]
    assert mstore.recover_batches(grace_s=3600) == 0  # too young: may still be in flight
    monkeypatch.undo()
    assert mstore.recover_batches(grace_s=-1) == 1
    assert leftovers(mstore) == (0, 0)
    assert mstore.db.statements.count_documents({}) == 1
    assert not mstore.get_by_ids([sid(0)])[sid(0)].voided


def test_committing_batch_is_rolled_forward(mstore: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    mstore.insert([rec(stmt(0))], [])
    real_derive = mstore._derive

    def crash(*_args: Any) -> None:
        raise AutoReconnect("injected: crash after the batch became visible")

    monkeypatch.setattr(mstore, "_derive", crash)
    with pytest.raises(StoreUnavailable):
        mstore.insert([rec(void(1, 0), at=1)], [])
    monkeypatch.setattr(mstore, "_derive", real_derive)
    assert mstore.recover_batches(grace_s=-1) == 1
    assert mstore.get_by_ids([sid(0)])[sid(0)].voided
    assert leftovers(mstore) == (0, 0)


def test_concurrent_duplicate_ids_one_wins(mstore: Any) -> None:
    barrier = threading.Barrier(6)
    outcomes: list[str] = []

    def writer(n: int) -> None:
        barrier.wait()
        try:
            mstore.insert([rec(stmt(7), at=n)], [])
            outcomes.append("ok")
        except Conflict:
            outcomes.append("409")

    threads = [threading.Thread(target=writer, args=(n,)) for n in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(outcomes) == ["409"] * 5 + ["ok"]
    assert mstore.db.statements.count_documents({}) == 1
    assert leftovers(mstore) == (0, 0)


def test_seq_and_stored_are_monotonic_across_batches(mstore: Any) -> None:
    mstore.insert([rec(stmt(0), at=9_000), rec(stmt(1), at=9_000)], [])
    mstore.insert([rec(stmt(2), at=1_000)], [])
    flat = [r for batch in mstore.iter_since(0) for r in batch]
    assert [r.seq for r in flat] == [1, 2, 3]
    assert [r.stored_us for r in flat] == sorted(r.stored_us for r in flat)
    assert mstore.consistent_through_us() == flat[-1].stored_us


def test_stored_document_layout(mstore: Any) -> None:
    mstore.insert([rec(stmt(0, context={"extensions": {"http://x.org/a.b": {"$k": 1}}}))], [])
    raw = mstore.db.statements.find_one({"_id": sid(0)})
    assert isinstance(raw["body"], str)  # opaque JSON text: no body key reaches MongoDB
    assert "verb\x1fhttp://example.org/verbs/v0" in raw["keys"]
    assert (raw["seq"], raw["pending"], raw["voided"]) == (1, None, False)


def test_query_filter_and_planned_index() -> None:
    q = StatementQuery(verb="v", agent="mbox:mailto:a@b.org", limit=5)
    flt = query_filter(q, 3, 10)
    assert flt["keys"] == {"$all": ["agent\x1fmbox:mailto:a@b.org", "verb\x1fv"]}
    assert flt["seq"] == {"$gt": 3, "$lte": 10}
    assert (flt["pending"], flt["voided"]) == (None, False)
    assert query_hint(q) == [("keys", 1), ("seq", 1)]
    assert query_hint(StatementQuery(authority="k")) == [("authority_key", 1), ("seq", 1)]


def test_uri_options_win_over_settings() -> None:
    settings = Settings(mongo_pool_size=7, mongo_timeout_ms=1234)
    opts = client_options("mongodb://h1,h2/lrs?replicaSet=rs0&w=1&tls=true", settings)
    assert "w" not in opts
    assert opts["maxPoolSize"] == 7
    assert opts["serverSelectionTimeoutMS"] == 1234
    assert opts["readPreference"] == "primary"
    assert client_options("mongodb://h/lrs", Settings())["w"] == "majority"
    assert client_options("mongodb://h/lrs", Settings(mongo_write_concern="2"))["w"] == 2


def test_mongomock_database_name_from_url() -> None:
    from statements.store import open_store

    store = open_store("mongomock://localhost/custom_db")
    assert store.db.name == "custom_db"
    assert open_store("mongomock://localhost").db.name == "lrs"


# -- a real server only ------------------------------------------------------------------------


def _winning_plan_indexes(plan: dict[str, Any]) -> list[str]:
    found = []
    stack = [plan]
    while stack:
        node = stack.pop()
        if node.get("stage") == "IXSCAN":
            found.append(node.get("indexName"))
        stack += [node[k] for k in ("inputStage", "queryPlan") if isinstance(node.get(k), dict)]
        stack += [s for s in node.get("inputStages", []) if isinstance(s, dict)]
    return found


@pytest.mark.mongo_real
@pytest.mark.skipif(not REAL, reason="mongomock has no explain(); set LRS_TEST_MONGO_URI")
@pytest.mark.parametrize(
    ("query", "index"),
    [
        (StatementQuery(verb="http://example.org/verbs/v1", limit=3), "keys_seq"),
        (StatementQuery(limit=3), "seq"),
        (StatementQuery(authority="account:http://lrs.test|k", limit=3), "authority_seq"),
    ],
)
def test_queries_use_their_index(tmp_path: Path, query: StatementQuery, index: str) -> None:
    store = make_store("mongo", tmp_path)
    try:
        store.insert([rec(stmt(n), at=n) for n in range(40)], [])
        lo, hi = store._seq_bounds(query)
        cursor = store.db.statements.find(query_filter(query, lo, hi)).sort("seq", -1).limit(4)
        plan = cursor.explain()["queryPlanner"]["winningPlan"]
        assert index in _winning_plan_indexes(plan)
    finally:
        store.drop_database()
        store.close()


@pytest.mark.mongo_real
@pytest.mark.skipif(not REAL, reason="mongomock has no transactions; set LRS_TEST_MONGO_URI")
def test_transaction_path_is_atomic_on_a_replica_set(tmp_path: Path) -> None:
    store = make_store("mongo", tmp_path)
    try:
        if not store.transactions():
            pytest.skip("the server at LRS_TEST_MONGO_URI is a standalone (no transactions)")
        store.insert([rec(stmt(0))], [])
        with pytest.raises(Conflict):
            store.insert([rec(stmt(1), at=1), rec(stmt(0), at=1)], [])
        assert set(store.get_by_ids([sid(0), sid(1)])) == {sid(0)}
        assert store.db.statements.count_documents({}) == 1
    finally:
        store.drop_database()
        store.close()
