"""Benchmark (not a test): full model recompute on a large generated hospital.

    .venv/bin/python bench/models.py --staff 2000 --months 18 --dir /tmp/bench-models

Generates the hospital (``analytics.demo.generate``; its catalogue has 40 competencies, every
one required of some role), loads it through the store path and refreshes the warehouse (skipped
when DIR already holds a loaded warehouse), then times ``run_models`` in a subprocess and
reports its wall time and peak RSS (``VmHWM``) as one JSON line.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from pathlib import Path

CHILD = """
import json, sys, time
from datetime import date
from pathlib import Path
from analytics.run_models import run_models
from analytics.warehouse import Warehouse
t = time.perf_counter()
s = run_models(Warehouse(Path(sys.argv[1])), date.fromisoformat(sys.argv[2]))
wall = time.perf_counter() - t
hwm = [l for l in open('/proc/self/status') if l.startswith('VmHWM')][0].split()[1]
print(json.dumps({"phase": "run_models", "seconds": round(wall, 1),
                  "peak_rss_mb": round(int(hwm) / 1024), "stages": s.seconds, "rows": s.rows}))
"""


def prepare(directory: Path, staff: int, months: int, seed: int) -> str:
    """Generate and load the hospital once; return its last day."""
    from analytics.demo.generate import generate
    from analytics.demo.load import load_demo, truth_of
    from analytics.warehouse import Warehouse
    from lrs.credentials import authority_for
    from statements.store.sqlite import SQLiteStore

    data = directory / "data"
    if not (directory / "wh.duckdb").exists():
        started = time.perf_counter()
        generate(data, seed=seed, staff=staff, months=months)
        store = SQLiteStore(str(directory / "lrs.db"))
        store.init()
        load_demo(
            store,
            Warehouse(directory / "wh.duckdb"),
            data,
            b"k" * 32,
            authority_for("bench", "bench"),
        )
        store.close()
        print(
            json.dumps({"phase": "generate+load", "seconds": round(time.perf_counter() - started)})
        )
    return str(truth_of(data)["window"]["end"])


def main() -> None:
    """Parse arguments, prepare, time the recompute in a child process."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--staff", type=int, default=2000)
    parser.add_argument("--months", type=int, default=18)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--dir", type=Path, default=Path("/tmp/bench-models"))
    args = parser.parse_args()
    args.dir.mkdir(parents=True, exist_ok=True)
    end = prepare(args.dir, args.staff, args.months, args.seed)
    subprocess.run([sys.executable, "-c", CHILD, str(args.dir / "wh.duckdb"), end], check=True)


if __name__ == "__main__":
    main()
