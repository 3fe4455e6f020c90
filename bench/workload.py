"""Deterministic benchmark statements with realistic selectivity, and fast store prefill."""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import random
import time
import uuid
from collections import deque
from collections.abc import Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from pathlib import Path
from typing import Any

from lrs.learning import LearnedCache, learn
from statements.prepare import prepare
from statements.query import StatementQuery
from statements.store.base import StatementRecord
from statements.store.sqlite import SQLiteStore

VERBS = [
    "http://adlnet.gov/expapi/verbs/launched",
    "http://adlnet.gov/expapi/verbs/initialized",
    "http://adlnet.gov/expapi/verbs/answered",
    "http://adlnet.gov/expapi/verbs/completed",
    "http://adlnet.gov/expapi/verbs/passed",
    "http://adlnet.gov/expapi/verbs/failed",
    "http://adlnet.gov/expapi/verbs/terminated",
    "http://adlnet.gov/expapi/verbs/experienced",
]
AUTHORITY = {"objectType": "Agent", "account": {"homePage": "http://bench.local", "name": "bench"}}
START_US = 1_735_689_600_000_000  # 2025-01-01


def statement(
    rng: random.Random, n: int, people: int = 2000, activities: int = 200
) -> dict[str, Any]:
    """One cmi5-like statement; ids are deterministic from ``rng``."""
    person = rng.randrange(people)
    activity = rng.randrange(activities)
    verb = VERBS[rng.randrange(len(VERBS))]
    body: dict[str, Any] = {
        "id": str(uuid.UUID(int=rng.getrandbits(128), version=4)),
        "actor": {"objectType": "Agent", "mbox": f"mailto:staff{person}@hospital.example"},
        "verb": {"id": verb, "display": {"en-US": verb.rsplit("/", 1)[1]}},
        "object": {
            "id": f"http://hospital.example/activities/{activity}",
            "definition": {"name": {"en-US": f"Module {activity}"}},
        },
        "context": {
            "registration": str(uuid.UUID(int=rng.getrandbits(128), version=4)),
            "contextActivities": {
                "parent": [{"id": f"http://hospital.example/courses/{activity // 5}"}]
            },
        },
        "timestamp": "2025-06-01T10:00:00.000Z",
    }
    if verb.endswith(("passed", "failed")):
        body["result"] = {
            "score": {"scaled": round(rng.random(), 2)},
            "success": verb.endswith("passed"),
            "duration": "PT12M30S",
        }
    return body


def batches(seed: int, total: int, size: int) -> Iterator[list[dict[str, Any]]]:
    """``total`` statements in lists of ``size``."""
    rng = random.Random(seed)
    made = 0
    while made < total:
        count = min(size, total - made)
        yield [statement(rng, made + i) for i in range(count)]
        made += count


PREFILL_CHUNK = 5_000
PREFILL_CACHE_MB = 1_024
# Checkpoint ticks of the prefill store: a TRUNCATE (after a tick without commits) resets the
# WAL header, which makes SQLite drop the writer's whole page cache; ticks longer than a
# transaction takes keep it warm.
PREFILL_CHECKPOINT_S = 5.0


def prepared_chunk(
    seed: int, index: int, size: int, clock_start: int, floor_us: int = 0, chunk: int = 0
) -> list[StatementRecord]:
    """Statements ``index * chunk`` … (``size`` of them; ``chunk`` defaults to
    :data:`PREFILL_CHUNK`) of a prefill, prepared as the API would store them.

    Chunk ``index`` draws from its own generator (seeded by ``seed`` and ``index``), so a
    prefill is the same whichever process prepares which chunk. ``stored`` is 1 ms apart,
    continuing from ``clock_start``, and never below ``floor_us`` (the store's newest
    ``stored``: the store would raise it to that anyway, rewriting every body). Module level,
    so a process pool can run it.
    """
    rng = random.Random(f"bench-prefill:{seed}:{index}")
    first = index * (chunk or PREFILL_CHUNK)
    return [
        prepare(
            statement(rng, first + i),
            authority=AUTHORITY,
            api_version="1.0.3",
            now_us=max(clock_start + 1000 * (first + i + 1), floor_us),
        )
        for i in range(size)
    ]


def _chunk_args(
    seed: int, total: int, clock_start: int, floor_us: int
) -> Iterator[tuple[int, int, int, int, int, int]]:
    chunk = PREFILL_CHUNK
    for index in range(-(-total // chunk)):
        yield seed, index, min(chunk, total - index * chunk), clock_start, floor_us, chunk


def _insert(store: SQLiteStore, learned: LearnedCache, records: list[StatementRecord]) -> None:
    """Insert a transaction's records, then learn their Agents and Activities as the API does
    after each batch (:func:`lrs.learning.learn`, with the bench credential's ``define``
    scope), so that a prefilled store knows them as one fed through the API would: otherwise
    the first posts of a run record every agent of the prefill, one write transaction per
    batch."""
    store.insert(records, [])
    learn(store, learned, [r.body for r in records], may_define=True)


def prefill(
    store: SQLiteStore,
    seed: int,
    total: int,
    clock_start: int = START_US,
    *,
    processes: int | None = None,
    per_transaction: int = 4,
) -> float:
    """Insert ``total`` prepared statements straight through the store's bulk ``insert`` (no
    HTTP, no validation: the generator only makes valid statements); statements/s.

    Statements are generated and prepared in ``processes`` worker processes (default: one
    fewer than the CPUs, at least one) while this process writes them, ``per_transaction``
    chunks of :data:`PREFILL_CHUNK` per ``insert`` (one transaction). At most one transaction
    and two chunks per worker are in flight, so memory stays bounded whatever the total. ``processes=0``
    prepares in this process (tests).
    """
    started = time.perf_counter()
    jobs = _chunk_args(seed, total, clock_start, store.consistent_through_us() or 0)
    if processes is None:
        processes = max(1, (os.cpu_count() or 2) - 1)
    pending: list[StatementRecord] = []
    learned = LearnedCache()

    def write(records: list[StatementRecord]) -> None:
        pending.extend(records)
        if len(pending) >= per_transaction * PREFILL_CHUNK:
            _insert(store, learned, pending)
            pending.clear()

    if processes == 0:
        for args in jobs:
            write(prepared_chunk(*args))
    else:
        context = multiprocessing.get_context("spawn")  # the writer holds SQLite handles
        with ProcessPoolExecutor(processes, mp_context=context) as pool:
            window: deque[Future[list[StatementRecord]]] = deque()
            for args in jobs:
                window.append(pool.submit(prepared_chunk, *args))
                if len(window) >= per_transaction + 2 * processes:
                    write(window.popleft().result())
            while window:
                write(window.popleft().result())
    if pending:
        _insert(store, learned, pending)
    return total / max(time.perf_counter() - started, 1e-9)


def prefill_store(path: Path, seed: int, total: int, clock_start: int = START_US) -> float:
    """:func:`prefill` through a store opened for bulk loading: a page cache of
    :data:`PREFILL_CACHE_MB`, ``synchronous=NORMAL`` (no fsync per transaction; the
    checkpoint syncs) and :data:`PREFILL_CHECKPOINT_S`; the same schema and rows as any other
    store. Statements/s."""
    store = SQLiteStore(
        path,
        "NORMAL",
        cache_mb=PREFILL_CACHE_MB,
        checkpoint_s=PREFILL_CHECKPOINT_S,
        wal_limit_mb=PREFILL_CACHE_MB,
    )
    try:
        store.init()
        return prefill(store, seed, total, clock_start)
    finally:
        store.close()


def main() -> None:
    """``python -m bench.workload DIR --to N``: prefill ``DIR/lrs.db`` to N statements and print
    one JSON line (statements added, seconds, statements/s)."""
    parser = argparse.ArgumentParser(description=main.__doc__)
    parser.add_argument("data_dir", type=Path)
    parser.add_argument("--to", type=int, required=True, help="statements wanted in the store")
    parser.add_argument("--seed", type=int, default=11)
    args = parser.parse_args()
    path = args.data_dir / "lrs.db"
    store = SQLiteStore(path)
    store.init()
    have = _count(store)
    store.close()
    started = time.perf_counter()
    rate = prefill_store(path, args.seed + have, args.to - have) if args.to > have else 0.0
    seconds = time.perf_counter() - started
    print(
        json.dumps({"from": have, "to": max(have, args.to), "s": round(seconds, 1), "rate": rate})
    )


def _count(store: SQLiteStore) -> int:
    newest = store.query(StatementQuery(limit=1)).records
    return newest[0].seq if newest else 0


if __name__ == "__main__":
    main()
