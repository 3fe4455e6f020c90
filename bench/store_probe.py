"""In-process probe of the SQLite write path: CPU per statement and bytes on disk per statement.

``python -m bench.store_probe DIR --stored N --batches K`` prefills ``DIR/lrs.db`` to ``N``
statements (through the store's bulk ``insert``), then stores ``K`` batches of 100 through
:func:`statements.ingest.store_batch` — the path a POST takes after validation — and prints one
JSON line: process CPU µs and wall µs per statement of those batches, bytes on disk per statement
after a checkpoint, and the bytes of each table and index (SQLite's ``dbstat``).
No HTTP and no validation: this isolates the store, the part issue 16 is about.
"""

from __future__ import annotations

import argparse
import json
import random
import sqlite3
import time
from pathlib import Path
from typing import Any

from bench.workload import AUTHORITY, START_US, batches, prefill
from statements.ingest import store_batch
from statements.prepare import prepare
from statements.store.sqlite import SQLiteStore


def count(store: SQLiteStore) -> int:
    """Statements stored."""
    return int(store._read("SELECT COUNT(*) FROM statements")[0][0])


def disk(path: Path) -> dict[str, Any]:
    """Checkpoint, then the file size and the bytes of every table and index."""
    conn = sqlite3.connect(path)
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    rows = conn.execute(
        "SELECT name, SUM(pgsize) FROM dbstat GROUP BY name ORDER BY 2 DESC"
    ).fetchall()
    conn.close()
    return {"file_bytes": path.stat().st_size, "objects": {n: int(b) for n, b in rows}}


def measure(store: SQLiteStore, seed: int, n_batches: int, size: int) -> dict[str, float]:
    """Store ``n_batches`` prepared batches of ``size``; CPU and wall µs per statement."""
    newest = store.consistent_through_us() or START_US
    now = newest + 1_000_000
    prepared = []
    for batch in batches(seed, n_batches * size, size):
        records = []
        for body in batch:
            now += 100
            records.append(prepare(body, authority=AUTHORITY, api_version="1.0.3", now_us=now))
        prepared.append(records)
    cpu0, wall0 = time.process_time(), time.perf_counter()
    for records in prepared:
        store_batch(store, records)
    cpu, wall = time.process_time() - cpu0, time.perf_counter() - wall0
    total = n_batches * size
    return {"cpu_us_per_statement": 1e6 * cpu / total, "wall_us_per_statement": 1e6 * wall / total}


def main() -> None:
    """Parse options, prefill, measure, print one JSON line."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("dir", type=Path)
    parser.add_argument("--stored", type=int, default=100_000)
    parser.add_argument("--batches", type=int, default=200)
    parser.add_argument("--batch", type=int, default=100)
    parser.add_argument("--seed", type=int, default=11)
    args = parser.parse_args()
    args.dir.mkdir(parents=True, exist_ok=True)
    store = SQLiteStore(args.dir / "lrs.db")
    store.init()
    have = count(store)
    started = time.perf_counter()
    if args.stored > have:
        prefill(store, args.seed + have, args.stored - have)
    prefill_s = time.perf_counter() - started
    out: dict[str, Any] = {"stored": count(store), "prefill_s": round(prefill_s, 1)}
    out.update(measure(store, random.Random(args.seed).randrange(10**9), args.batches, args.batch))
    store.close()
    sizes = disk(args.dir / "lrs.db")
    out["bytes_per_statement"] = sizes["file_bytes"] / max(
        count(SQLiteStore(args.dir / "lrs.db")), 1
    )
    out["objects"] = sizes["objects"]
    print(json.dumps(out))


if __name__ == "__main__":
    main()
