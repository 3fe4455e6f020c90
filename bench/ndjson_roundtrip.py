"""NDJSON round-trip at scale, with each command's peak RSS.

    nice -n 10 .venv/bin/python -m bench.ndjson_roundtrip --count 1000000 --dir /tmp/nd

Default (``--via-file``): write a generated NDJSON file, ``lrs statements import`` it into an
empty store, ``lrs statements export`` that store, and compare the two files line by line
(identical ids in the same order, equivalent bodies: the export adds ``stored``/``authority``/
``version``, which equivalence ignores) plus count and id checksum. ``--via-store`` instead
fills a source store directly, exports it, imports into an empty store and compares the two
stores (slower: it writes the statements twice through SQLite).

Export and import run as separate ``lrs`` processes; their peak RSS comes from ``wait4``.
Writes ``<dir>/report.json``. Target (issue 19): 1M statements, peak RSS < 300 MB each.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
import uuid
from pathlib import Path
from typing import Any

from statements.compare import equivalent
from statements.prepare import prepare
from statements.store.migrate import ids_checksum, inventory
from statements.store.sqlite import SQLiteStore

ROOT = Path(__file__).resolve().parent.parent
AUTH = {"objectType": "Agent", "account": {"homePage": "https://lrs.example", "name": "bench"}}
T0 = 1_767_225_600_000_000
VERBS = ["completed", "attempted", "passed", "failed", "experienced"]


def body(n: int) -> dict[str, Any]:
    """A varied, valid statement; every 500th voids the one before it."""
    sid = str(uuid.uuid5(uuid.NAMESPACE_URL, f"nd/{n}"))
    if n % 500 == 499:
        target = str(uuid.uuid5(uuid.NAMESPACE_URL, f"nd/{n - 1}"))
        return {
            "id": sid,
            "actor": {"mbox": "mailto:admin@hospital.example"},
            "verb": {"id": "http://adlnet.gov/expapi/verbs/voided"},
            "object": {"objectType": "StatementRef", "id": target},
        }
    return {
        "id": sid,
        "actor": {
            "objectType": "Agent",
            "name": f"Nurse {n % 5000}",
            "mbox": f"mailto:n{n % 5000}@hospital.example",
        },
        "verb": {
            "id": f"http://adlnet.gov/expapi/verbs/{VERBS[n % 5]}",
            "display": {"en-US": VERBS[n % 5]},
        },
        "object": {
            "objectType": "Activity",
            "id": f"https://lms.hospital.example/c/{n % 400}",
            "definition": {"name": {"en-US": f"Course {n % 400}"}},
        },
        "result": {
            "score": {"scaled": (n % 101) / 100},
            "success": n % 3 != 0,
            "duration": f"PT{n % 3600}S",
        },
        "context": {
            "registration": str(uuid.uuid5(uuid.NAMESPACE_URL, f"reg/{n // 7}")),
            "extensions": {"https://hospital.example/unit": f"ward-{n % 31}"},
        },
        "timestamp": f"2026-0{1 + n % 9}-{1 + n % 28:02d}T{n % 24:02d}:00:00Z",
    }


def fill(store: SQLiteStore, count: int, batch: int = 5000) -> None:
    """Insert ``count`` generated statements (as POST would prepare them)."""
    for start in range(0, count, batch):
        records = [
            prepare(body(n), authority=AUTH, api_version="1.0.3", now_us=T0 + n)
            for n in range(start, min(count, start + batch))
        ]
        store.insert(records, [])


def run_lrs(data: Path, *args: str) -> dict[str, Any]:
    """Run ``lrs`` in a child; its wall time, exit code and peak RSS (MB)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("LRS_")}
    env.update(LRS_DATA_DIR=str(data), PYTHONPATH=str(ROOT), LRS_SQLITE_SYNCHRONOUS="NORMAL")
    started = time.perf_counter()
    proc = subprocess.Popen([sys.executable, "-m", "lrs.cli", *args], env=env, cwd=ROOT)
    _pid, status, usage = os.wait4(proc.pid, 0)
    return {
        "seconds": round(time.perf_counter() - started, 1),
        "exit": os.waitstatus_to_exitcode(status),
        "peak_rss_mb": round(usage.ru_maxrss / 1024, 1),
    }


def compare(a: SQLiteStore, b: SQLiteStore) -> dict[str, Any]:
    """Same ids in the same order, equivalent bodies, same voided flags."""
    ids = bodies = voided = 0
    left, right = a.iter_since(0, 5000), b.iter_since(0, 5000)
    for x, y in zip(left, right, strict=True):
        for r, s in zip(x, y, strict=True):
            ids += r.id != s.id
            bodies += not equivalent(r.body, s.body)
            voided += r.voided != s.voided
    return {"id_mismatches": ids, "body_mismatches": bodies, "voided_mismatches": voided}


def compare_files(a: Path, b: Path) -> dict[str, Any]:
    """Line by line: same ids in the same order, equivalent bodies; counts and checksums."""
    ids = bodies = lines = 0
    with a.open("rb") as left, b.open("rb") as right:
        for x, y in zip(left, right, strict=True):
            r, s = json.loads(x), json.loads(y)
            lines += 1
            ids += r["id"] != s["id"]
            bodies += not equivalent(r, s)
    return {"lines": lines, "id_mismatches": ids, "body_mismatches": bodies}


def via_file(args: argparse.Namespace) -> dict[str, Any]:
    """Generated file → import into an empty store → export → compare the files."""
    store_dir = args.dir / "store"
    store_dir.mkdir(parents=True, exist_ok=True)
    for name in ("lrs.db", "lrs.db-wal", "lrs.db-shm"):
        (store_dir / name).unlink(missing_ok=True)
    original, exported = args.dir / "original.ndjson", args.dir / "exported.ndjson"
    started = time.perf_counter()
    with original.open("wb") as out:
        for start in range(0, args.count, 10_000):
            out.write(
                b"".join(
                    json.dumps(body(n), separators=(",", ":")).encode() + b"\n"
                    for n in range(start, min(args.count, start + 10_000))
                )
            )
    report: dict[str, Any] = {"count": args.count, "mode": "via-file"}
    report["generate_seconds"] = round(time.perf_counter() - started, 1)
    report["file_mb"] = round(original.stat().st_size / 1e6, 1)
    report["import"] = run_lrs(store_dir, "statements", "import", str(original), "--chunk", "1000")
    report["export"] = run_lrs(store_dir, "statements", "export", str(exported))
    report["compare"] = compare_files(original, exported)
    inv = inventory(SQLiteStore(store_dir / "lrs.db"), 5000)
    report["store"] = {"statements": inv.statements, "voided": inv.voided, "checksum": inv.checksum}
    with original.open("rb") as src:
        report["original_checksum"] = ids_checksum(json.loads(line)["id"] for line in src)
    report["ok"] = (
        report["compare"]["lines"] == inv.statements == args.count
        and not report["compare"]["id_mismatches"]
        and not report["compare"]["body_mismatches"]
        and inv.checksum == report["original_checksum"]
        and inv.voided == args.count // 500
    )
    return report


def main() -> None:
    """Run the round-trip and write the report."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--count", type=int, default=1_000_000)
    parser.add_argument("--dir", type=Path, default=Path("/tmp/ndjson-bench"))
    parser.add_argument("--via-store", action="store_true")
    args = parser.parse_args()
    args.dir.mkdir(parents=True, exist_ok=True)
    if not args.via_store:
        report = via_file(args)
        report["rss_under_300mb"] = (
            max(report["export"]["peak_rss_mb"], report["import"]["peak_rss_mb"]) < 300
        )
        (args.dir / "report.json").write_text(json.dumps(report, indent=2))
        print(json.dumps(report, indent=2))
        return
    src_dir, dst_dir = args.dir / "src", args.dir / "dst"
    for d in (src_dir, dst_dir):
        d.mkdir(parents=True, exist_ok=True)
        (d / "lrs.db").unlink(missing_ok=True)
    report: dict[str, Any] = {"count": args.count}
    src = SQLiteStore(src_dir / "lrs.db", synchronous="NORMAL")
    src.init()
    started = time.perf_counter()
    fill(src, args.count)
    report["fill_seconds"] = round(time.perf_counter() - started, 1)
    file = args.dir / "statements.ndjson"
    report["export"] = run_lrs(src_dir, "statements", "export", str(file))
    report["file_mb"] = round(file.stat().st_size / 1e6, 1)
    report["import"] = run_lrs(dst_dir, "statements", "import", str(file), "--chunk", "1000")
    dst = SQLiteStore(dst_dir / "lrs.db")
    report["compare"] = compare(src, dst)
    inv_a, inv_b = inventory(src, 5000), inventory(dst, 5000)
    report["source"] = {
        "statements": inv_a.statements,
        "voided": inv_a.voided,
        "checksum": inv_a.checksum,
    }
    report["imported"] = {
        "statements": inv_b.statements,
        "voided": inv_b.voided,
        "checksum": inv_b.checksum,
    }
    ok = (
        inv_a.statements == inv_b.statements == args.count
        and inv_a.checksum == inv_b.checksum
        and not any(report["compare"].values())
    )
    report["ok"] = ok
    report["rss_under_300mb"] = (
        max(report["export"]["peak_rss_mb"], report["import"]["peak_rss_mb"]) < 300
    )
    (args.dir / "report.json").write_text(json.dumps(report, indent=2))
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
