"""``make bench``: the benchmark suite. Starts gunicorn as deployed, drives it over loopback
from this (separate) process, and writes ``var/bench/report.md`` and ``report.json``.

Every throughput figure is a median over ``--reps`` repetitions and is reported with its ratio
to a baseline measured in the same run (a trivial Flask endpoint that only parses the same JSON
on the same gunicorn settings), because these machines are shared and noisy.
"""

from __future__ import annotations

import argparse
import base64
import json
import random
import sqlite3
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from bench import sections
from bench.loadgen import Request, run
from bench.server import cpu_seconds, gunicorn, rss_mb, wait_checkpointed, worker_pids
from bench.workload import prefill_store, statement
from lrs.credentials import new_credential
from statements.store.sqlite import SQLiteStore

KEY, SECRET = "bench", "bench-secret"
AUTH = "Basic " + base64.b64encode(f"{KEY}:{SECRET}".encode()).decode()
HEADERS = {
    "Authorization": AUTH,
    "X-Experience-API-Version": "1.0.3",
    "Content-Type": "application/json",
}


def median_run(reps: int, once: Callable[[int], dict[str, float]]) -> dict[str, float]:
    """Run ``once(rep)`` ``reps`` times; the median of every figure."""
    runs = [once(rep) for rep in range(reps)]
    return {k: statistics.median(r[k] for r in runs) for k in runs[0]}


def ingest(
    port: int,
    seed: int,
    reps: int,
    batch: int,
    clients: int,
    per_client: int,
    master: int = 0,
    wal: Path | None = None,
) -> dict[str, float]:
    """Statements/s posting ``batch``-sized bodies (1 = single statements), and the server's
    CPU µs per statement (gunicorn master + workers, from /proc) when ``master`` is given.

    With ``wal`` (the store's WAL file) the CPU is read once the background checkpointer has
    copied and truncated the WAL, so it includes the checkpoints of the statements posted.
    """

    def once(rep: int) -> dict[str, float]:
        rng = random.Random(seed * 1000 + rep)
        bodies = {}
        for c in range(clients):
            for i in range(per_client):
                items = [statement(rng, i) for _ in range(batch)]
                bodies[(c, i)] = json.dumps(items if batch > 1 else items[0]).encode()

        def make(c: int, i: int) -> Request:
            return ("POST", "/xapi/statements", bodies[(c, i)], HEADERS)

        if wal is not None:
            wait_checkpointed(wal)
        cpu0 = cpu_seconds(master) if master else 0.0
        out = run("127.0.0.1", port, make, clients, per_client).summary(batch)
        if wal is not None:
            wait_checkpointed(wal)
        if master:
            spent = cpu_seconds(master) - cpu0
            out["cpu_us_per_statement"] = 1e6 * spent / (clients * per_client * batch)
        return out

    return median_run(reps, once)


def stored_registrations(path: Path, count: int = 200) -> list[str]:
    """Registrations of ``count`` stored statements spread evenly over the store (so the
    registration query hits old and new pages alike)."""
    conn = sqlite3.connect(path)
    try:
        top = int(conn.execute("SELECT COALESCE(MAX(seq), 0) FROM statements").fetchone()[0])
        seqs = sorted({1 + (top - 1) * i // max(count - 1, 1) for i in range(count)})
        marks = ",".join("?" * len(seqs))
        rows = conn.execute(f"SELECT body FROM statements WHERE seq IN ({marks})", seqs)
        regs = [json.loads(body).get("context", {}).get("registration") for (body,) in rows]
    finally:
        conn.close()
    return [r for r in regs if r]


def queries(port: int, seed: int, reps: int, regs: list[str]) -> dict[str, dict[str, float]]:
    """Filtered GETs with limit=100: verb+since, activity, agent, registration (``regs``:
    registrations that are stored)."""
    rng = random.Random(seed)
    kinds: dict[str, Callable[[], dict[str, str]]] = {
        "verb+since": lambda: {
            "verb": "http://adlnet.gov/expapi/verbs/passed",
            "since": "2025-01-01T02:00:00Z",
        },
        "activity": lambda: {
            "activity": f"http://hospital.example/activities/{rng.randrange(200)}"
        },
        "agent": lambda: {
            "agent": json.dumps({"mbox": f"mailto:staff{rng.randrange(2000)}@hospital.example"})
        },
        "registration": lambda: {"registration": regs[rng.randrange(len(regs))]},
    }
    out = {}
    for name, params in kinds.items():
        paths = [f"/xapi/statements?{urlencode({**params(), 'limit': 100})}" for _ in range(400)]

        def make(c: int, i: int, paths: list[str] = paths) -> Request:
            return ("GET", paths[(c * 200 + i) % len(paths)], None, HEADERS)

        out[name] = median_run(
            reps, lambda _r, make=make: run("127.0.0.1", port, make, 2, 100).summary()
        )
    return out


def lrs_env(data_dir: Path) -> dict[str, str]:
    """Environment of the LRS server under test."""
    return {"LRS_DATA_DIR": str(data_dir), "LRS_WORKERS": "2", "LRS_SECRET_KEY": "bench"}


def prepare_store(data_dir: Path, seed: int, total: int, already: int) -> float | None:
    """Prefill the store to ``total`` statements (statements/s of the prefill, None if it was
    full already) and add the bench credential once."""
    path = data_dir / "lrs.db"
    rate = prefill_store(path, seed + already, total - already) if total > already else None
    store = SQLiteStore(path)
    try:
        store.init()
        if store.get_credential(KEY) is None:
            cred, _ = new_credential("bench", ["all"], 0, key=KEY, secret=SECRET)
            store.add_credential(cred)
    finally:
        store.close()
    return rate


def stored_count(path: Path) -> int:
    """Statements already in a reused bench store (0 for a new one)."""
    if not path.exists():
        return 0
    conn = sqlite3.connect(path)
    try:
        return int(conn.execute("SELECT COUNT(*) FROM statements").fetchone()[0])
    except sqlite3.Error:
        return 0
    finally:
        conn.close()


def bytes_per_statement(path: Path) -> float:
    """Database bytes per stored statement after a TRUNCATE checkpoint (WAL folded in)."""
    conn = sqlite3.connect(path)
    try:
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        count = conn.execute("SELECT COUNT(*) FROM statements").fetchone()[0]
    finally:
        conn.close()
    wal = path.with_name(path.name + "-wal")
    size = path.stat().st_size + (wal.stat().st_size if wal.exists() else 0)
    return size / max(int(count), 1)


PHASES = ("small", "large", "huge")


def lrs_section(args: argparse.Namespace, report: dict[str, Any]) -> None:
    """Ingest at each store size of ``--phases`` (growing), queries and worker RSS at the
    largest; every phase with server CPU per statement and bytes on disk per statement."""
    with gunicorn(
        "bench.baseline.app:create_baseline_app()", lrs_env(Path(tempfile.mkdtemp())), "/xapi/about"
    ) as (port, pid):
        report["baseline"] = {
            "batch100": ingest(port, 1, args.reps, 100, 4, args.requests, pid),
            "single": ingest(port, 2, args.reps, 1, 4, args.requests * 10, pid),
        }
    if args.data_root:
        Path(args.data_root).mkdir(parents=True, exist_ok=True)
    data_dir = args.data_dir or Path(tempfile.mkdtemp(prefix="lrs-bench-", dir=args.data_root))
    labels = [p for p in args.phases.split(",") if p]
    sizes = sorted(((getattr(args, p), p) for p in labels), key=lambda t: t[0])
    already = stored_count(data_dir / "lrs.db")
    for size, label in sizes:
        # Fresh statements in every phase: a phase posting the ids of an earlier one would
        # measure the re-post (no-op) path instead of inserts.
        seed = 1000 * args.seed + 10 * list(PHASES).index(label)
        started = time.perf_counter()
        rate = prepare_store(data_dir, args.seed, size, already)
        already = max(size, already)
        report.setdefault("prefill_s", {})[label] = time.perf_counter() - started
        if rate is not None:
            report.setdefault("prefill_statements_per_s", {})[label] = rate
        with gunicorn("lrs.app:create_app()", lrs_env(data_dir), "/xapi/about") as (port, pid):
            section: dict[str, Any] = {"stored": stored_count(data_dir / "lrs.db")}
            wal = data_dir / "lrs.db-wal"
            section["batch100"] = ingest(port, seed + 3, args.reps, 100, 4, args.requests, pid, wal)
            section["single"] = ingest(
                port, seed + 4, args.reps, 1, 4, args.requests * 10, pid, wal
            )
            if label == sizes[-1][1]:
                regs = stored_registrations(data_dir / "lrs.db")
                section["queries"] = queries(port, 5, args.reps, regs)
            section["worker_rss_mb"] = max((rss_mb(p) for p in worker_pids(pid)), default=0.0)
        section["bytes_per_statement"] = bytes_per_statement(data_dir / "lrs.db")
        report[label] = section
    report["phases"] = [label for _size, label in sizes]
    report["data_dir"] = str(data_dir)


def main() -> None:
    """Parse options, run the sections, write the report."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--small", type=int, default=10_000)
    parser.add_argument("--large", type=int, default=1_000_000)
    parser.add_argument("--huge", type=int, default=10_000_000)
    parser.add_argument(
        "--phases",
        default="small,large",
        help="store sizes to measure, in order: small,large,huge (huge = the 10M phase)",
    )
    parser.add_argument("--data-root", default=None, help="directory for the bench store")
    parser.add_argument(
        "--data-dir",
        type=Path,
        default=None,
        help="reuse this bench store (its statements count toward each phase's size)",
    )
    parser.add_argument("--reps", type=int, default=3)
    parser.add_argument("--requests", type=int, default=25, help="batch requests per client")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--out", type=Path, default=Path("var/bench"))
    parser.add_argument("--incremental", type=int, default=10_000)
    parser.add_argument(
        "--model-staff",
        type=int,
        default=400,
        help="hospital size for model/page timings (0: skip)",
    )
    parser.add_argument("--skip-analytics", action="store_true")
    args = parser.parse_args()
    report: dict[str, Any] = {
        "started": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "args": {k: str(v) for k, v in vars(args).items()},
    }
    t0 = time.perf_counter()
    lrs_section(args, report)
    if not args.skip_analytics:
        sections.analytics(args, report)
    report["total_s"] = time.perf_counter() - t0
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "report.json").write_text(json.dumps(report, indent=2))
    markdown = sections.render(report)
    (args.out / "report.md").write_text(markdown)
    print(markdown)


if __name__ == "__main__":
    main()
