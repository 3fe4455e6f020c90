"""Same-run baseline for the refresh figures: the same statements' JSON loaded straight into
DuckDB with ``read_json`` (untyped, no flattening, no voiding, no pseudonyms).

``python -m bench.baseline_load DATA_DIR full|incremental`` writes the store's statement bodies
(all, or those after the warehouse watermark for ``incremental``) to JSON Lines, then times only
the DuckDB load in this process and prints time and peak RSS as JSON.
"""

from __future__ import annotations

import json
import sys
import tempfile
import time
from pathlib import Path

import duckdb

from bench.refresh_probe import cpu_seconds, peak_rss_mb
from statements.store.sqlite import SQLiteStore


def main() -> None:
    """Dump the bodies, then time ``CREATE TABLE … AS SELECT * FROM read_json(…)``."""
    data_dir, mode, skip = Path(sys.argv[1]), sys.argv[2], int(sys.argv[3])
    store = SQLiteStore(data_dir / "lrs.db")
    work = Path(tempfile.mkdtemp(prefix="baseline-"))
    jsonl = work / "statements.jsonl"
    count = 0
    with jsonl.open("w") as out:
        for batch in store.iter_since(skip, 50_000):
            for rec in batch:
                out.write(json.dumps(rec.body, separators=(",", ":")) + "\n")
                count += 1
    conn = duckdb.connect(str(work / "baseline.duckdb"))
    started, cpu = time.perf_counter(), cpu_seconds()
    conn.execute(f"CREATE TABLE raw AS SELECT * FROM read_json('{jsonl}', union_by_name=true)")
    seconds, cpu = time.perf_counter() - started, cpu_seconds() - cpu
    conn.close()
    print(
        json.dumps(
            {
                "mode": mode,
                "statements": count,
                "seconds": seconds,
                "cpu_s": cpu,
                "peak_rss_mb": peak_rss_mb(),
            }
        )
    )


if __name__ == "__main__":
    main()
