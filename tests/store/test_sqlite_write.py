"""The SQLite write path of issue 16: one pass per batch, group commit, interned keys,
background checkpoints, and the migration of version-0 stores."""

from __future__ import annotations

import sqlite3
import threading
import time
from pathlib import Path
from typing import Any

import pytest

from statements.errors import BadRequest, Conflict, IdConflict
from statements.ifi import agent_key
from statements.ingest import store_batch
from statements.query import StatementQuery
from statements.store.base import StatementRecord
from statements.store.sqlite import SQLiteStore
from statements.store.sqlite.checkpoint import Checkpointer
from statements.store.sqlite.schema import STORE_VERSION
from statements.store.sqlite.write import _Job
from tests.store.test_statement_contract import AUTH, rec, stmt, void

LEARNER1 = str(agent_key({"mbox": "mailto:learner1@example.org"}))
AUTHORITY = str(agent_key(AUTH))
KIND_NAMES = {
    (0, 1): "agent",
    (0, 2): "related_agent",
    (1, 1): "verb",
    (2, 1): "activity",
    (2, 2): "related_activity",
    (3, 1): "registration",
}


@pytest.fixture
def sq(tmp_path: Path) -> SQLiteStore:
    store = SQLiteStore(tmp_path / "lrs.db")
    store.init()
    return store


def _ids(store: SQLiteStore, **filters: Any) -> list[str]:
    return [r.id for r in store.query(StatementQuery(limit=100, **filters)).records]


def test_insert_names_the_colliding_ids_and_stores_nothing(sq: SQLiteStore) -> None:
    sq.insert([rec(stmt(0)), rec(stmt(1))], [])
    with pytest.raises(IdConflict) as err:
        sq.insert([rec(stmt(2)), rec(stmt(1)), rec(stmt(0))], [])
    assert sorted(err.value.ids) == sorted([stmt(0)["id"], stmt(1)["id"]])
    assert sq.get_by_ids([stmt(2)["id"]]) == {}
    assert len(_ids(sq)) == 2


def test_store_batch_reads_nothing_for_a_fresh_batch(sq: SQLiteStore) -> None:
    calls: list[list[str]] = []
    real = sq.get_by_ids

    def counting(ids: list[str]) -> Any:
        calls.append(list(ids))
        return real(ids)

    sq.get_by_ids = counting  # type: ignore[method-assign]
    assert len(store_batch(sq, [rec(stmt(0)), rec(stmt(1))])) == 2
    assert calls == []
    # A repost with one new statement: only the colliding id is read back, and it is a no-op.
    inserted = store_batch(sq, [rec(stmt(1), at=5), rec(stmt(2), at=5)])
    assert [r.id for r in inserted] == [stmt(2)["id"]]
    assert calls == [[stmt(1)["id"]]]
    with pytest.raises(Conflict):
        store_batch(sq, [rec(stmt(3)), rec(stmt(0, verb={"id": "http://example.org/other"}))])
    assert sq.get_by_ids([stmt(3)["id"]]) == {}


def test_group_commit_keeps_good_batches_and_fails_only_the_bad_one(sq: SQLiteStore) -> None:
    sq.insert([rec(stmt(0))], [])
    good1 = _Job([rec(stmt(1), at=1)], [])
    clash = _Job([rec(stmt(2), at=1), rec(stmt(0), at=1)], [])
    voids_voiding = _Job([rec(void(9, 0), at=2), rec(void(8, 9), at=2)], [])
    good2 = _Job([rec(stmt(3), at=3)], [])
    group = [good1, clash, voids_voiding, good2]
    with sq._write_lock:
        sq._write_group(group)
    assert all(job.done for job in group)
    assert good1.error is None and good2.error is None
    assert isinstance(clash.error, IdConflict) and clash.error.ids == [stmt(0)["id"]]
    assert isinstance(voids_voiding.error, BadRequest)
    stored = sq.get_by_ids([stmt(n)["id"] for n in range(4)] + [void(9, 0)["id"]])
    assert sorted(stored) == sorted(stmt(n)["id"] for n in (0, 1, 3))
    seqs = [stored[stmt(n)["id"]].seq for n in (0, 1, 3)]
    assert seqs == sorted(seqs)
    assert _ids(sq, verb="http://example.org/verbs/v1") == [stmt(3)["id"], stmt(1)["id"]]


def test_a_failed_commit_fails_every_batch_of_the_group(
    sq: SQLiteStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    jobs = [_Job([rec(stmt(n), at=n)], []) for n in range(3)]

    def broken(conn: Any, job: _Job) -> bool:
        raise sqlite3.OperationalError("disk I/O error")

    monkeypatch.setattr(sq, "_write_one", broken)
    with sq._write_lock:
        sq._write_group(jobs)
    assert all(job.done and job.error is not None for job in jobs)
    monkeypatch.undo()
    assert _ids(sq) == []


def test_connections_never_checkpoint_on_commit(sq: SQLiteStore) -> None:
    for conn in (sq._conn(), sq._writer()):
        assert conn.execute("PRAGMA wal_autocheckpoint").fetchone()[0] == 0
        assert conn.execute("PRAGMA journal_size_limit").fetchone()[0] == 64 * 1024 * 1024
    assert sq._writer().execute("PRAGMA cache_size").fetchone()[0] == -64 * 1024


def test_checkpointer_copies_and_truncates_the_wal(sq: SQLiteStore, tmp_path: Path) -> None:
    checkpointer = sq.checkpointer
    assert checkpointer is not None
    checkpointer.stop()
    sq.checkpointer = None  # no background thread: only a commit could checkpoint now
    big = [rec(stmt(n, result={"response": "x" * 3000}), at=n) for n in range(2000)]
    sq.insert(big, [])  # about 2,000 WAL pages: past SQLite's automatic threshold of 1,000
    db, wal = tmp_path / "lrs.db", tmp_path / "lrs.db-wal"
    assert wal.stat().st_size > 6_000_000
    assert db.stat().st_size < 1_000_000  # the commit copied nothing into the database
    conn = sqlite3.connect(db, isolation_level=None)
    assert checkpointer.tick(conn, idle=True)
    assert wal.stat().st_size == 0
    assert db.stat().st_size > 6_000_000
    assert len(sq.get_by_ids([stmt(1999)["id"]])) == 1


def test_a_stopped_checkpointer_never_recreates_removed_files(
    sq: SQLiteStore, tmp_path: Path
) -> None:
    """After close(), the checkpoint thread may still hold the store in its list for one more
    step: that step must not open (and so create) a database whose files were removed."""
    checkpointer = sq.checkpointer
    assert checkpointer is not None
    sq.insert([rec(stmt(0))], [])
    sq.close()
    for suffix in ("", "-wal", "-shm"):
        (tmp_path / f"lrs.db{suffix}").unlink(missing_ok=True)
    assert checkpointer.step(time.monotonic() + 3600) is False
    checkpointer._stopped = False  # even a step that raced past the flag opens nothing
    assert checkpointer.step(time.monotonic() + 7200) is False
    assert not (tmp_path / "lrs.db").exists()


def test_one_process_checkpoints_a_database_for_every_writer(tmp_path: Path) -> None:
    """Two gunicorn workers' checkpointers on one file (two ``flock`` descriptions, as two
    processes hold): one leads and copies every writer's frames, the other copies none, and
    it takes over once the leader lets the quiet database go."""
    db = tmp_path / "lrs.db"
    store = SQLiteStore(db)
    store.init()
    store.close()
    writer = sqlite3.connect(db, isolation_level=None)
    writer.execute("PRAGMA wal_autocheckpoint=0")
    writer.execute("CREATE TABLE t (n INTEGER)")

    def write() -> None:
        writer.executemany("INSERT INTO t VALUES (?)", [(n,) for n in range(500)])

    lead, other = Checkpointer(str(db), 1.0, 10_000), Checkpointer(str(db), 1.0, 10_000)
    clock = time.monotonic() + 10_000  # beyond the thread's own due times: steps driven here
    for _ in range(lead.idle_ticks + 2):  # another connection's commits keep the leader busy
        write()
        clock += 1.0
        assert lead.step(clock) is True
        other.step(clock)
    assert lead.checkpoints >= lead.idle_ticks + 2
    assert other.checkpoints == 0
    steps = 0
    while lead.step(clock + steps + 1.0):  # quiet: the leader lets go
        steps += 1
        assert steps <= lead.idle_ticks + 1
    write()
    assert other.step(clock + 100.0) is True
    assert other.checkpoints > 0  # the other took the lead
    frames = writer.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone()
    assert frames[1] == frames[2]  # it had copied every frame already
    other.stop()
    writer.close()


def test_one_checkpoint_thread_serves_every_store_and_lets_idle_ones_go(tmp_path: Path) -> None:
    stores = [SQLiteStore(tmp_path / f"s{n}" / "lrs.db") for n in range(5)]
    for store in stores:
        store.init()
        store.insert([rec(stmt(0))], [])
    threads = [t for t in threading.enumerate() if t.name == "sqlite-checkpoint"]
    assert len(threads) == 1
    for store in stores:
        assert store.checkpointer is not None and store.checkpointer.active
    clock = time.monotonic() + 10_000  # beyond any step the thread itself is due for
    first = stores[0].checkpointer
    assert first is not None
    steps = 0
    keep = True
    while keep and steps < 10:  # steps driven here with a fake clock, no sleeping
        clock += 1.0
        steps += 1
        keep = first.step(clock)
    # idle_ticks quiet steps, plus the step that reads PRAGMA data_version first (it cannot
    # tell yet whether another process wrote), plus one if the write was still pending (the
    # thread may have stepped once before the fake clock took over)
    assert first.idle_ticks <= steps <= first.idle_ticks + 2 and first._conn is None
    assert not (tmp_path / "s0" / "lrs.db-wal").exists() or (
        (tmp_path / "s0" / "lrs.db-wal").stat().st_size == 0
    )
    for store in stores:
        store.close()
        assert store.checkpointer is not None and not store.checkpointer.active


def _downgrade(path: Path) -> None:
    """Rewrite a store into the version-0 layout: text rows in ``statement_keys``."""
    conn = sqlite3.connect(path, isolation_level=None)
    rows = conn.execute("SELECT family, value, seq, flags FROM filter_postings").fetchall()
    conn.executescript(
        "DROP VIEW filter_postings; DROP TABLE reg_rows; DROP TABLE reg_tail;"
        "DROP VIEW key_postings; DROP TABLE key_rows; DROP TABLE key_tail; DROP TABLE key_split;"
        "DROP TABLE key_names;"
        "CREATE TABLE statement_keys (kind TEXT NOT NULL, value TEXT NOT NULL,"
        " seq INTEGER NOT NULL, PRIMARY KEY (kind, value, seq)) WITHOUT ROWID;"
        "CREATE INDEX statement_keys_seq ON statement_keys (seq); PRAGMA user_version = 0;"
    )
    old = [
        (KIND_NAMES[(family, bit)], value, seq)
        for family, value, seq, flags in rows
        for bit in (1, 2)
        if flags & bit
    ]
    conn.executemany("INSERT INTO statement_keys VALUES (?, ?, ?)", old)
    conn.close()


def test_version0_store_is_migrated_and_answers_the_same(tmp_path: Path) -> None:
    path = tmp_path / "lrs.db"
    store = SQLiteStore(path)
    store.init()
    ctx = {"registration": "6fa459ea-ee8a-3ca4-894e-db77e160355e"}
    store.insert([rec(stmt(n, context=ctx if n % 2 else {}), at=n) for n in range(8)], [])
    ref = stmt(20, object={"objectType": "StatementRef", "id": stmt(1)["id"]})
    store.insert([rec(ref, at=20)], [])
    queries: list[dict[str, Any]] = [
        {"agent": LEARNER1},
        {"agent": AUTHORITY, "related_agents": True},
        {"agent": AUTHORITY},
        {"verb": "http://example.org/verbs/v1"},
        {"activity": "http://example.org/activities/a1"},
        {"activity": "http://example.org/activities/a1", "related_activities": True},
        {"registration": ctx["registration"]},
    ]
    before = [_ids(store, **q) for q in queries]
    store.close()
    _downgrade(path)
    reopened = SQLiteStore(path)
    reopened.init()
    conn = sqlite3.connect(path)
    assert conn.execute("PRAGMA user_version").fetchone()[0] == STORE_VERSION
    tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    assert "statement_keys" not in tables
    assert [_ids(reopened, **q) for q in queries] == before
    assert before[0] and len(before[1]) == 9 and before[2] == [] and before[6]
    reopened.init()  # idempotent
    assert [_ids(reopened, **q) for q in queries] == before


def _ref(n: int, target: int) -> dict[str, Any]:
    return stmt(n, object={"objectType": "StatementRef", "id": stmt(target)["id"]})


@pytest.mark.parametrize("order", [(0, 1, 2), (2, 1, 0), (1, 0, 2), (2, 0, 1)])
def test_statement_ref_chains_carry_keys_in_any_arrival_order(
    sq: SQLiteStore, order: tuple[int, ...]
) -> None:
    # 12 -> 11 -> 4 (a plain statement with its own agent, verb and activity)
    chain = {0: _ref(12, 11), 1: _ref(11, 4), 2: stmt(4)}
    for at, index in enumerate(order):
        sq.insert([rec(chain[index], at=at)], [])
    learner = str(agent_key({"mbox": "mailto:learner1@example.org"}))
    want = sorted(stmt(n)["id"] for n in (4, 11, 12))
    assert sorted(_ids(sq, agent=learner)) == want
    assert sorted(_ids(sq, activity="http://example.org/activities/a0")) == want


def test_erasure_leaves_no_key_rows_and_forgets_the_agent(sq: SQLiteStore) -> None:
    sq.insert([rec(stmt(n), at=n) for n in range(6)], [])
    sq.insert([rec(_ref(20, 1), at=20), rec(_ref(21, 20), at=21)], [])
    learner = str(agent_key({"mbox": "mailto:learner1@example.org"}))
    before = sq._conn().execute("SELECT COUNT(*) FROM filter_postings").fetchone()[0]
    erased = sq.erase_agent(learner)
    assert sorted(erased.statement_ids) == sorted(stmt(n)["id"] for n in (1, 4, 20, 21))
    conn = sq._conn()
    orphans = conn.execute(
        "SELECT COUNT(*) FROM filter_postings WHERE seq NOT IN (SELECT seq FROM statements)"
    ).fetchone()[0]
    assert orphans == 0
    assert conn.execute("SELECT COUNT(*) FROM filter_postings").fetchone()[0] < before
    names = conn.execute("SELECT COUNT(*) FROM key_names WHERE value = ?", (learner,))
    assert names.fetchone()[0] == 0
    assert _ids(sq, agent=learner) == []


def _by(n: int, who: str, at: int) -> StatementRecord:
    """Statement ``n`` by ``mailto:<who>@example.org`` (its own agent key)."""
    return rec(stmt(n, actor={"mbox": f"mailto:{who}@example.org"}), at=at)


def _key(who: str) -> str:
    return str(agent_key({"mbox": f"mailto:{who}@example.org"}))


def test_cached_key_ids_are_dropped_when_another_process_forgets_a_key(tmp_path: Path) -> None:
    # Two store objects on one file stand for two worker processes, each with its own cache.
    a = SQLiteStore(tmp_path / "lrs.db")
    a.init()
    b = SQLiteStore(tmp_path / "lrs.db")
    a.insert([_by(0, "x", 0)], [])  # a caches x's kid, the highest one
    assert (0, _key("x")) in a._kid_cache.known
    b.erase_agent(_key("x"))  # deletes x's key name; its kid is free again
    b.insert([_by(1, "y", 1)], [])  # y may now get x's old kid
    a.insert([_by(2, "x", 2)], [])  # a must not reuse its cached kid for x
    assert _ids(a, agent=_key("x")) == [stmt(2)["id"]]
    assert _ids(a, agent=_key("y")) == [stmt(1)["id"]]


def test_a_rolled_back_group_leaves_no_key_ids_in_the_cache(
    sq: SQLiteStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    sq.insert([rec(stmt(0))], [])
    real = sq._write_one
    ghost, broken = _Job([_by(9, "ghost", 1)], []), _Job([_by(8, "other", 1)], [])

    def failing(conn: Any, job: _Job) -> bool:
        if job is broken:  # after the ghost's batch wrote its key names in this transaction
            raise sqlite3.OperationalError("disk I/O error")
        return real(conn, job)

    monkeypatch.setattr(sq, "_write_one", failing)
    with sq._write_lock:
        sq._write_group([ghost, broken])
    monkeypatch.undo()
    assert ghost.error is not None and broken.error is not None
    assert (0, _key("ghost")) not in sq._kid_cache.known
    sq.insert([_by(10, "ghost", 2)], [])
    assert _ids(sq, agent=_key("ghost")) == [stmt(10)["id"]]


def test_known_keys_cost_no_lookup_and_new_ones_are_inserted_once(sq: SQLiteStore) -> None:
    sq.insert([_by(0, "x", 0)], [])
    seen: list[str] = []
    conn = sq._writer()
    conn.set_trace_callback(seen.append)
    try:
        sq.insert([_by(1, "x", 1), _by(2, "z", 2)], [])
    finally:
        conn.set_trace_callback(None)
    assert not [s for s in seen if "FROM key_names WHERE" in s]  # z is new: no lookup either
    assert [s for s in seen if f"'{_key('z')}'" in s and "INSERT INTO key_names" in s]
    assert _ids(sq, agent=_key("x")) == [stmt(1)["id"], stmt(0)["id"]]
    assert _ids(sq, agent=_key("z")) == [stmt(2)["id"]]
    # A value another writer interned meanwhile is found by the lookup after the conflict.
    other = SQLiteStore(sq.path)
    other.insert([_by(3, "w", 3)], [])
    sq.insert([_by(4, "w", 4)], [])
    assert _ids(sq, agent=_key("w")) == [stmt(4)["id"], stmt(3)["id"]]


def test_known_agents_and_unchanged_activities_take_no_write_lock(sq: SQLiteStore) -> None:
    agent = {"mbox": "mailto:ann@example.org", "name": "Ann"}
    activity = {"id": "http://example.org/a", "definition": {"name": {"en-US": "A"}}}
    sq.record_agents([agent])
    sq.upsert_activity_definitions([activity], may_define=True)
    seen: list[str] = []
    conn = sq._conn()
    conn.set_trace_callback(seen.append)
    try:
        sq.record_agents([agent, {"mbox": "mailto:ann@example.org"}])
        sq.upsert_activity_definitions([activity], may_define=True)
        assert not [s for s in seen if s.startswith("BEGIN")]
        sq.record_agents([{**agent, "name": "Ann B."}])  # a new name for a known agent
        sq.upsert_activity_definitions(
            [{**activity, "definition": {"name": {"en-US": "A2"}}}], may_define=True
        )
    finally:
        conn.set_trace_callback(None)
    assert len([s for s in seen if s.startswith("BEGIN")]) == 2
    person = sq.get_agent_person(str(agent_key({"mbox": "mailto:ann@example.org"})))
    assert person is not None and person["name"] == ["Ann", "Ann B."]
    stored = sq._conn().execute("SELECT body FROM activities").fetchone()[0]
    assert '"A2"' in stored


def test_the_writer_keeps_savepoint_journals_in_memory(sq: SQLiteStore) -> None:
    """Each batch runs in a SAVEPOINT; with the default temp_store SQLite journals every page it
    touches into a temp file created and deleted per batch (a third of the write path's pwrites
    at 1M stored). Readers keep the default, so a large sort cannot grow without bound in RAM."""
    with sq._write_lock:
        assert sq._writer().execute("PRAGMA temp_store").fetchone()[0] == 2
    assert sq._conn().execute("PRAGMA temp_store").fetchone()[0] == 0
