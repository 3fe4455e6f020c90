"""Dirty pages per statement, by table/index: what each COMMIT writes to the WAL.

``python -m bench.wal_pages DIR --batches K`` stores ``K`` batches of 100 fresh prepared bench
statements through :func:`statements.ingest.store_batch` with no checkpoint at all, then reads
the page number of every WAL frame and names its owner with ``dbstat``. Each frame is a page
written by a COMMIT (and later copied by the checkpointer), which is where the write path's
system CPU goes. Use a copy of a bench store: its WAL is left unchecked-pointed.
"""

from __future__ import annotations

import argparse
import collections
import sqlite3
import struct
from pathlib import Path

from bench.workload import AUTHORITY, batches
from statements.ingest import store_batch
from statements.prepare import prepare
from statements.store.sqlite import SQLiteStore


def frame_pages(wal: bytes) -> list[int]:
    """The page number of every frame of a WAL file's bytes."""
    page_size = struct.unpack(">I", wal[8:12])[0]
    pages, offset = [], 32
    while offset + 24 + page_size <= len(wal):
        pages.append(struct.unpack(">I", wal[offset : offset + 4])[0])
        offset += 24 + page_size
    return pages


def main() -> None:
    """Parse options, write the batches, print frames per statement by owner."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("dir", type=Path)
    parser.add_argument("--batches", type=int, default=20)
    parser.add_argument("--seed", type=int, default=424242)
    args = parser.parse_args()
    path = args.dir / "lrs.db"
    store = SQLiteStore(path)
    store.checkpointer = None  # keep every frame in the WAL (before init, which would start it)
    store.init()
    with sqlite3.connect(path) as conn:
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    now = (store.consistent_through_us() or 0) + 1_000_000
    for batch in batches(args.seed, args.batches * 100, 100):
        records = []
        for body in batch:
            now += 100
            records.append(prepare(body, authority=AUTHORITY, api_version="1.0.3", now_us=now))
        store_batch(store, records)
    pages = frame_pages((args.dir / "lrs.db-wal").read_bytes())
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    owner = dict(conn.execute("SELECT pageno, name FROM dbstat").fetchall())
    conn.close()
    n = args.batches * 100
    print(f"{len(pages) / n:.2f} WAL frames per statement ({len(set(pages))} distinct pages)")
    counts = collections.Counter(owner.get(p, "(header/freelist)") for p in pages)
    for name, count in counts.most_common():
        print(f"  {count / n:5.2f}  {name}")


if __name__ == "__main__":
    main()
