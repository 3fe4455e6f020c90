"""Benchmark (not a test): the analytics refresh against loading the same JSON into DuckDB.

    .venv/bin/python bench/analytics_refresh.py --n 1000000 --incremental 10000

Builds a SQLite store of N synthetic cmi5-shaped statements (1 % of them voiding earlier ones)
through the store's own ``insert()`` in batches of 250 (so indexing and voiding are real),
and writes the same stored bodies to a JSON Lines file. Then, each phase in its own subprocess so
its peak RSS (``VmHWM`` from /proc/self/status) is its own:

* ``refresh_full``: ``analytics.etl.refresh(full=True)`` of the N statements;
* ``baseline_full``: ``CREATE TABLE raw AS SELECT * FROM read_json('all.jsonl')`` (untyped,
  un-flattened, no pseudonyms, no voiding: the floor for "just get the JSON into DuckDB");
* ``refresh_incremental`` / ``baseline_incremental``: the same after ``--incremental`` more
  statements are stored (refresh from the watermark vs ``INSERT … read_json('new.jsonl')``).

* ``flatten``: where the refresh's time goes, medians of 3 in one process: reading the
  records through ``iter_since`` (the store's JSON parse), and flattening them with the
  per-statement reference (``flatten_python``) and with the vectorised path (``flatten``).

Prints one JSON line per phase and a summary with the ratios refresh/baseline.
"""

from __future__ import annotations

import argparse
import json
import random
import subprocess
import sys
import time
import uuid
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

AUTH = {"objectType": "Agent", "account": {"homePage": "http://lrs.bench", "name": "bench"}}
T0 = 1_735_689_600_000_000  # 2025-01-01
# SQLiteStore.insert checks voiding pairs within a batch in O(batch²); small batches keep the
# build linear (the LRS itself accepts at most LRS_MAX_BATCH statements per POST anyway).
INSERT_BATCH = 250
VERBS = [
    "launched",
    "initialized",
    "answered",
    "answered",
    "answered",
    "completed",
    "passed",
    "failed",
    "terminated",
]


def synthetic(n: int, rng: random.Random) -> dict[str, Any]:
    """One cmi5-shaped statement (deterministic for a seeded ``rng``)."""
    verb = rng.choice(VERBS)
    course = f"http://hospital.example/courses/c{rng.randrange(40)}"
    body: dict[str, Any] = {
        "id": str(uuid.UUID(int=n + 1)),
        "actor": {"objectType": "Agent", "mbox": f"mailto:s{rng.randrange(5000)}@hospital.example"},
        "verb": {"id": f"http://adlnet.gov/expapi/verbs/{verb}", "display": {"en-US": verb}},
        "object": {
            "id": course + (f"/q{rng.randrange(20)}" if verb == "answered" else ""),
            "objectType": "Activity",
        },
        "context": {
            "registration": str(uuid.UUID(int=rng.getrandbits(128))),
            "contextActivities": {
                "parent": [{"id": course}],
                "category": [{"id": "https://w3id.org/xapi/cmi5/context/categories/moveon"}],
            },
        },
        "timestamp": f"2025-{rng.randrange(1, 13):02d}-{rng.randrange(1, 29):02d}T10:00:00Z",
    }
    if verb in ("answered", "passed", "failed", "completed"):
        scaled = round(rng.random(), 3)
        body["result"] = {
            "score": {"scaled": scaled},
            "success": scaled >= 0.8,
            "completion": True,
            "duration": f"PT{rng.randrange(30, 3600)}S",
        }
        if verb == "answered":
            body["object"]["definition"] = {"interactionType": "choice"}
            body["result"]["response"] = rng.choice("abcd")
    return body


def build(workdir: Path, start: int, count: int, jsonl: Path, seed: int) -> float:
    """Insert ``count`` statements (ids from ``start``) into the store and ``jsonl``."""
    from statements.prepare import prepare
    from statements.store import open_store

    rng = random.Random(seed)
    store = open_store(f"sqlite:///{workdir / 'lrs.db'}")
    store.init()
    voiders: set[int] = set()
    began = time.perf_counter()
    with jsonl.open("w") as out:
        for offset in range(0, count, INSERT_BATCH):
            batch = []
            for n in range(start + offset, start + min(offset + INSERT_BATCH, count)):
                target = rng.randrange(start, n) if n > start + 10 else -1
                if rng.random() < 0.01 and target >= 0 and target not in voiders:
                    voiders.add(n)
                    body = {
                        "id": str(uuid.UUID(int=n + 1)),
                        "actor": AUTH,
                        "verb": {"id": "http://adlnet.gov/expapi/verbs/voided"},
                        "object": {
                            "objectType": "StatementRef",
                            "id": str(uuid.UUID(int=target + 1)),
                        },
                    }
                else:
                    body = synthetic(n, rng)
                batch.append(
                    prepare(body, authority=AUTH, api_version="1.0.3", now_us=T0 + n * 1000)
                )
            store.insert(batch, [])
            out.writelines(json.dumps(record.body) + "\n" for record in batch)
    store.close()
    return time.perf_counter() - began


def vmhwm_kb() -> int:
    """Peak resident set of this process in KiB."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1])
    return -1


def _median_seconds(run: Any) -> float:
    times = []
    for _ in range(3):
        began = time.perf_counter()
        run()
        times.append(time.perf_counter() - began)
    return round(sorted(times)[1], 3)


def flatten_phase(workdir: Path, batch_size: int) -> dict[str, Any]:
    """Medians of 3: store read, per-statement flatten, vectorised flatten (same records)."""
    from analytics.flatten import flatten, flatten_python
    from statements.store import open_store

    store = open_store(f"sqlite:///{workdir / 'lrs.db'}")
    batches: list[Any] = []
    read = _median_seconds(
        lambda: batches.__setitem__(slice(None), store.iter_since(0, batch_size))
    )
    python = _median_seconds(lambda: [flatten_python(b, b"bench-key") for b in batches])
    vectorised = _median_seconds(lambda: [flatten(b, b"bench-key") for b in batches])
    return {
        "phase": "flatten",
        "statements": sum(len(b) for b in batches),
        "read_s": read,
        "flatten_python_s": python,
        "flatten_vectorised_s": vectorised,
        "speedup": round(python / vectorised, 1),
    }


def phase(name: str, workdir: Path, batch_size: int) -> dict[str, Any]:
    """Run one measured phase in this (fresh) process."""
    import duckdb

    if name == "flatten":
        return flatten_phase(workdir, batch_size)
    began = time.perf_counter()
    detail: dict[str, Any] = {}
    if name.startswith("refresh"):
        from analytics.etl import refresh
        from analytics.warehouse import Warehouse
        from statements.store import open_store

        store = open_store(f"sqlite:///{workdir / 'lrs.db'}")
        result = refresh(
            store,
            Warehouse(workdir / "warehouse.duckdb"),
            b"bench-key",
            full=name.endswith("full"),
            batch_size=batch_size,
        )
        detail = result.as_dict()
    else:
        conn = duckdb.connect(str(workdir / "baseline.duckdb"))
        if name.endswith("full"):
            conn.execute(
                "CREATE OR REPLACE TABLE raw AS SELECT * FROM "
                f"read_json('{workdir / 'all.jsonl'}', union_by_name=true)"
            )
        else:
            conn.execute(
                f"INSERT INTO raw BY NAME SELECT * FROM "
                f"read_json('{workdir / 'new.jsonl'}', union_by_name=true)"
            )
        detail = {"rows": conn.execute("SELECT count(*) FROM raw").fetchone()[0]}
        conn.close()
    return {
        "phase": name,
        "seconds": round(time.perf_counter() - began, 3),
        "peak_rss_mb": round(vmhwm_kb() / 1024, 1),
        **detail,
    }


def run_phase(name: str, workdir: Path, batch_size: int) -> dict[str, Any]:
    """Run ``phase`` in a subprocess and return its JSON line."""
    out = subprocess.run(
        [
            sys.executable,
            __file__,
            "--phase",
            name,
            "--workdir",
            str(workdir),
            "--batch",
            str(batch_size),
        ],
        check=True,
        capture_output=True,
        text=True,
    )
    found: dict[str, Any] = json.loads(out.stdout.strip().splitlines()[-1])
    return found


def main() -> None:
    """Parse arguments; build the data; run and report every phase."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--n", type=int, default=1_000_000)
    parser.add_argument("--incremental", type=int, default=10_000)
    parser.add_argument("--batch", type=int, default=50_000)
    parser.add_argument("--workdir", type=Path, default=Path("var/bench-analytics"))
    parser.add_argument("--phase", default="")
    args = parser.parse_args()
    if args.phase:
        print(json.dumps(phase(args.phase, args.workdir, args.batch)))
        return
    work: Path = args.workdir
    work.mkdir(parents=True, exist_ok=True)
    for old in work.iterdir():
        old.unlink()
    built = build(work, 0, args.n, work / "all.jsonl", seed=1)
    print(json.dumps({"phase": "build_store", "statements": args.n, "seconds": round(built, 1)}))
    results = {}
    for name in ("refresh_full", "baseline_full"):
        results[name] = run_phase(name, work, args.batch)
        print(json.dumps(results[name]), flush=True)
    print(json.dumps(run_phase("flatten", work, args.batch)), flush=True)
    build(work, args.n, args.incremental, work / "new.jsonl", seed=2)
    for name in ("refresh_incremental", "baseline_incremental"):
        results[name] = run_phase(name, work, args.batch)
        print(json.dumps(results[name]), flush=True)
    summary = {
        kind: round(
            results[f"refresh_{kind}"]["seconds"] / results[f"baseline_{kind}"]["seconds"], 2
        )
        for kind in ("full", "incremental")
    }
    print(
        json.dumps(
            {
                "phase": "summary",
                "time_ratio_refresh_over_baseline": summary,
                "warehouse_mb": round((work / "warehouse.duckdb").stat().st_size / 2**20, 1),
            }
        )
    )


if __name__ == "__main__":
    main()
