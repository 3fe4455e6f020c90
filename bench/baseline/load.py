"""Same-run baseline for the refresh figures: the same statements' JSON loaded straight into
DuckDB with ``read_json`` (untyped, no flattening, no voiding, no pseudonyms).

``python -m bench.baseline.load DATA_DIR full|incremental AFTER_SEQ [REPEAT]`` writes the
store's statement bodies after ``AFTER_SEQ`` to JSON Lines, then times only the DuckDB load
(``REPEAT`` times, each into a new database file; default 1) in this process and prints the
median time, the median CPU time (all threads) and peak RSS as JSON. The files are deleted.
"""

from __future__ import annotations

import json
import shutil
import statistics
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
    repeat = int(sys.argv[4]) if len(sys.argv) > 4 else 1
    store = SQLiteStore(data_dir / "lrs.db")
    work = Path(tempfile.mkdtemp(prefix="baseline-"))
    try:
        jsonl = work / "statements.jsonl"
        count = 0
        with jsonl.open("w") as out:
            for batch in store.iter_since(skip, 50_000):
                for rec in batch:
                    out.write(json.dumps(rec.body, separators=(",", ":")) + "\n")
                    count += 1
        times, cpus = [], []
        for n in range(repeat):
            conn = duckdb.connect(str(work / f"baseline{n}.duckdb"))
            started, cpu = time.perf_counter(), cpu_seconds()
            conn.execute(
                f"CREATE TABLE raw AS SELECT * FROM read_json('{jsonl}', union_by_name=true)"
            )
            times.append(time.perf_counter() - started)
            cpus.append(cpu_seconds() - cpu)
            conn.close()
    finally:
        shutil.rmtree(work, ignore_errors=True)
    print(
        json.dumps(
            {
                "mode": mode,
                "statements": count,
                "seconds": statistics.median(times),
                "cpu_s": statistics.median(cpus),
                "runs": [round(t, 3) for t in times],
                "peak_rss_mb": peak_rss_mb(),
            }
        )
    )


if __name__ == "__main__":
    main()
