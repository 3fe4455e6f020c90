"""The SQLite key tail: the newest statements' key rows wait in ``key_tail`` and move to
``key_rows`` in sorted runs; every query must answer as if all rows were in one table."""

from __future__ import annotations

import itertools
import random
import sqlite3
import uuid
from pathlib import Path
from typing import Any

import pytest

from statements.ifi import agent_key
from statements.query import StatementQuery
from statements.store.sqlite import SQLiteStore
from statements.store.sqlite import store as store_module
from statements.store.sqlite.keys import split_seq
from tests.store.test_statement_contract import OTHER_AUTH, T0, rec, stmt, void

REG = [str(uuid.UUID(int=0xABC0 + i)) for i in range(3)]
# Batch sizes that put the split in the middle of batches and of StatementRef chains.
SIZES = [1, 4, 2, 7, 3, 1, 5, 2, 6, 4, 3, 2]


def _ref(n: int, target: int) -> dict[str, Any]:
    return stmt(n, object={"objectType": "StatementRef", "id": stmt(target)["id"]})


def _bodies() -> list[tuple[dict[str, Any], dict[str, Any] | None]]:
    """40 statements: plain ones with registrations and context activities, StatementRefs to
    earlier and to later statements (their keys reach back across the split), voidings, and
    a few with another authority."""
    rng = random.Random(16)
    out: list[tuple[dict[str, Any], dict[str, Any] | None]] = []
    for n in range(40):
        if n in (9, 21, 33):
            body = _ref(n, n + 3)  # target arrives later: its keys propagate back
        elif n in (14, 27):
            body = _ref(n, n - 10)
        elif n in (17, 30):
            body = void(n, n - 5)
        else:
            context: dict[str, Any] = {"registration": REG[n % 3]}
            if n % 4 == 1:
                context["contextActivities"] = {"parent": [{"id": "http://example.org/c1"}]}
            body = stmt(n, context=context)
        out.append((body, OTHER_AUTH if rng.random() < 0.2 else None))
    return out


def _store(path: Path, tail: int) -> SQLiteStore:
    store = SQLiteStore(path, key_tail=tail)
    store.init()
    bodies = iter(enumerate(_bodies()))
    for size in SIZES:
        batch = list(itertools.islice(bodies, size))
        records = [
            rec(body, at=1000 * n, **({"authority": auth} if auth else {}))
            for n, (body, auth) in batch
        ]
        store.insert(records, [])
    assert next(bodies, None) is None
    return store


LEARNER = str(agent_key({"mbox": "mailto:learner1@example.org"}))
QUERIES: list[dict[str, Any]] = [
    {},
    {"agent": LEARNER},
    {"agent": str(agent_key(OTHER_AUTH)), "related_agents": True},
    {"verb": "http://example.org/verbs/v1"},
    {"activity": "http://example.org/activities/a2"},
    {"activity": "http://example.org/c1", "related_activities": True},
    {"registration": REG[1]},
    {"agent": LEARNER, "verb": "http://example.org/verbs/v0", "registration": REG[1]},
    {"activity": "http://example.org/activities/a1", "since": T0 + 9000, "until": T0 + 31000},
    {"verb": "http://example.org/verbs/v0", "authority": str(agent_key(OTHER_AUTH))},
]


def _pages(store: SQLiteStore, params: dict[str, Any], ascending: bool) -> list[list[int]]:
    """Every page (limit 3) of a query, followed with its cursor, as lists of seq."""
    query = StatementQuery(limit=3, ascending=ascending, **params)
    pages: list[list[int]] = []
    while True:
        page = store.query(query)
        pages.append([r.seq for r in page.records])
        if page.next_after is None:
            return pages
        query = query.next_page(page.next_after, page.snapshot_seq)


@pytest.fixture(scope="module")
def stores(tmp_path_factory: pytest.TempPathFactory) -> dict[int, SQLiteStore]:
    root = tmp_path_factory.mktemp("tail")
    return {tail: _store(root / f"t{tail}.db", tail) for tail in (10**9, 1, 5)}


def test_the_split_divides_the_rows(stores: dict[int, SQLiteStore]) -> None:
    conn = stores[5]._conn()
    split = split_seq(conn)
    assert 30 <= split < 40  # moved every 5+ statements; the newest wait in the tail
    assert conn.execute("SELECT MAX(seq) FROM key_rows").fetchone()[0] <= split
    assert conn.execute("SELECT MIN(seq) FROM key_tail").fetchone()[0] > split
    assert conn.execute("SELECT MAX(seq) FROM reg_rows").fetchone()[0] <= split
    assert conn.execute("SELECT MIN(seq) FROM reg_tail").fetchone()[0] > split
    assert split_seq(stores[10**9]._conn()) == 0
    everything = stores[1]._conn()
    assert everything.execute("SELECT COUNT(*) FROM key_tail").fetchone()[0] == 0


@pytest.mark.parametrize("ascending", [False, True])
@pytest.mark.parametrize("params", QUERIES, ids=[str(i) for i in range(len(QUERIES))])
def test_pages_are_the_same_whatever_side_the_rows_are_on(
    stores: dict[int, SQLiteStore], params: dict[str, Any], ascending: bool
) -> None:
    want = _pages(stores[10**9], params, ascending)
    assert sum(len(p) for p in want) > 0
    assert _pages(stores[1], params, ascending) == want
    assert _pages(stores[5], params, ascending) == want


def test_rows_are_the_same_whatever_side_they_are_on(stores: dict[int, SQLiteStore]) -> None:
    def rows(store: SQLiteStore) -> list[tuple[int, str, int, int]]:
        conn: sqlite3.Connection = store._conn()
        return sorted(conn.execute("SELECT * FROM filter_postings").fetchall())

    assert rows(stores[1]) == rows(stores[10**9]) == rows(stores[5])


def test_erasure_deletes_rows_on_both_sides(stores: dict[int, SQLiteStore]) -> None:
    store = stores[5]
    learner0 = str(agent_key({"mbox": "mailto:learner0@example.org"}))  # the newest statement's
    conn = store._conn()
    split = split_seq(conn)
    sides = conn.execute(
        "SELECT DISTINCT k.seq > ? FROM key_postings k JOIN key_names n USING (kid)"
        " WHERE n.value = ?",
        (split, learner0),
    ).fetchall()
    assert sorted(sides) == [(0,), (1,)]
    erased = store.erase_agent(learner0)
    assert erased.statement_ids
    orphans = conn.execute(
        "SELECT COUNT(*) FROM filter_postings WHERE seq NOT IN (SELECT seq FROM statements)"
    ).fetchone()[0]
    assert orphans == 0
    assert store.query(StatementQuery(limit=100, agent=learner0)).records == []


def test_a_query_reads_both_sides_in_one_snapshot(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Another process moves the tail between the reader's look at the split and its two
    part queries: the page must still be the one of the reader's snapshot."""
    path = tmp_path / "lrs.db"
    writer = SQLiteStore(path, key_tail=2)
    writer.init()
    writer.insert([rec(stmt(n), at=1000 * n) for n in range(5)], [])  # moved: split 5
    writer.insert([rec(stmt(5), at=5000)], [])  # waits in the tail
    reader = SQLiteStore(path, key_tail=2)
    query = StatementQuery(limit=100, agent=str(agent_key({"mbox": "mailto:learner2@example.org"})))
    want = [r.id for r in reader.query(query).records]
    assert want == [stmt(5)["id"], stmt(2)["id"]]
    real = store_module.sqlite_keys.split_seq
    moved: list[int] = []

    def split_then_move(conn: sqlite3.Connection) -> int:
        split = real(conn)
        if conn is reader._conn() and not moved:  # a merge commits in the writer right now
            writer.insert([rec(stmt(6 + n), at=6000 + 1000 * n) for n in range(3)], [])
            moved.append(real(writer._conn()))
        return split

    monkeypatch.setattr(store_module.sqlite_keys, "split_seq", split_then_move)
    assert [r.id for r in reader.query(query).records] == want
    assert moved == [9]  # the tail did move under the reader
    monkeypatch.undo()
    assert [r.id for r in reader.query(query).records] == [stmt(8)["id"], *want]


def test_rows_a_version1_writer_left_above_the_split_fold_into_the_move(tmp_path: Path) -> None:
    store = SQLiteStore(tmp_path / "lrs.db", key_tail=3)
    store.init()
    store.insert([rec(stmt(0), at=0)], [])  # seq 1 waits in the tail
    conn = store._conn()
    (kid,) = conn.execute(
        "SELECT kid FROM key_names WHERE value = 'http://example.org/verbs/v0'"
    ).fetchone()
    conn.execute("INSERT INTO key_rows (kid, seq, flags) VALUES (?, 1, 1)", (kid,))  # an old writer
    store.insert([rec(stmt(n), at=1000 * n) for n in (1, 2, 3)], [])  # the move
    assert split_seq(conn) == 4
    verb0 = StatementQuery(limit=10, verb="http://example.org/verbs/v0")
    assert [r.id for r in store.query(verb0).records] == [stmt(2)["id"], stmt(0)["id"]]


def _to_version2(path: Path) -> None:
    """Rewrite a store into the version-2 layout: registrations interned like the other keys,
    their rows in ``key_rows`` or ``key_tail`` by the split."""
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("BEGIN")
    split = conn.execute("SELECT seq FROM key_split").fetchone()[0]
    regs = conn.execute(
        "SELECT seq, value FROM reg_rows UNION ALL SELECT seq, value FROM reg_tail"
    ).fetchall()
    for value in sorted({value for _seq, value in regs}):
        conn.execute("INSERT INTO key_names (family, value) VALUES (3, ?)", (value,))
    for seq, value in regs:
        (kid,) = conn.execute(
            "SELECT kid FROM key_names WHERE family = 3 AND value = ?", (value,)
        ).fetchone()
        table = "key_rows" if seq <= split else "key_tail"
        conn.execute(f"INSERT INTO {table} (kid, seq, flags) VALUES (?, ?, 1)", (kid, seq))
    conn.execute("DROP VIEW filter_postings")
    conn.execute("DROP TABLE reg_rows")
    conn.execute("DROP TABLE reg_tail")
    conn.execute("PRAGMA user_version = 2")
    conn.execute("COMMIT")
    conn.close()


def test_a_version2_store_moves_its_registrations_and_answers_the_same(tmp_path: Path) -> None:
    path = tmp_path / "lrs.db"
    store = _store(path, 5)
    want = [_pages(store, q, asc) for q in QUERIES for asc in (False, True)]
    postings = sorted(store._conn().execute("SELECT * FROM filter_postings").fetchall())
    epoch = store._conn().execute("SELECT COALESCE(MAX(n), 0) FROM key_epoch").fetchone()[0]
    store.close()
    _to_version2(path)
    old = sqlite3.connect(path)
    split = old.execute("SELECT seq FROM key_split").fetchone()[0]
    sides = old.execute(
        "SELECT DISTINCT k.seq > ? FROM key_postings k JOIN key_names n USING (kid)"
        " WHERE n.family = 3",
        (split,),
    ).fetchall()
    assert sorted(sides) == [(0,), (1,)]  # interned registrations on both sides
    old.close()
    reopened = SQLiteStore(path, key_tail=5)
    reopened.init()
    conn = reopened._conn()
    assert conn.execute("PRAGMA user_version").fetchone()[0] == 3
    assert conn.execute("SELECT COUNT(*) FROM key_names WHERE family = 3").fetchone()[0] == 0
    assert sorted(conn.execute("SELECT * FROM filter_postings").fetchall()) == postings
    # One bump for the whole move (the trigger would add one per forgotten registration).
    assert conn.execute("SELECT MAX(n) FROM key_epoch").fetchone()[0] == epoch + 1
    assert [_pages(reopened, q, asc) for q in QUERIES for asc in (False, True)] == want
    reopened.init()  # idempotent
    assert sorted(conn.execute("SELECT * FROM filter_postings").fetchall()) == postings
    # The trigger is back: forgetting a key still tells other writers' caches.
    conn.execute("DELETE FROM key_names WHERE kid = (SELECT MAX(kid) FROM key_names)")
    assert conn.execute("SELECT MAX(n) FROM key_epoch").fetchone()[0] == epoch + 2


def test_registrations_that_share_a_bucket_stay_apart(
    stores: dict[int, SQLiteStore], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(store_module.sqlite_keys, "REG_BUCKETS", 1)  # every one in bucket 0
    crowded = _store(tmp_path / "lrs.db", 5)
    buckets = crowded._conn().execute("SELECT DISTINCT bucket FROM reg_rows").fetchall()
    assert buckets == [(0,)]
    for params in QUERIES:
        if "registration" in params:
            for ascending in (False, True):
                want = _pages(stores[10**9], params, ascending)
                assert _pages(crowded, params, ascending) == want
