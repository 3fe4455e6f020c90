"""Analytics benchmark section and the Markdown rendering of the report (with targets)."""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

from bench.ingest_report import ingest_lines

TARGETS = {
    "ingest_batch100_large": 5000.0,
    "ingest_large_vs_small": 0.8,
    "query_p50_ms": 10.0,
    "worker_rss_mb": 300.0,
}
#: Issue 16: a full refresh takes at most this many times the same-run ``read_json`` baseline.
REFRESH_RATIO = 5.0


def _probe(module: str, *argv: str) -> dict[str, Any]:
    """Run ``python -m module argv…`` and parse the JSON line it prints last."""
    out = subprocess.run(
        [sys.executable, "-m", module, *argv], capture_output=True, text=True, check=True
    )
    result: dict[str, Any] = json.loads(out.stdout.strip().splitlines()[-1])
    return result


def analytics(args: argparse.Namespace, report: dict[str, Any]) -> None:
    """Full refresh of the large store, incremental refresh of 10,000 more, with peak RSS."""
    from bench.workload import prefill
    from statements.query import StatementQuery
    from statements.store.sqlite import SQLiteStore

    data_dir = Path(report["data_dir"])
    section: dict[str, Any] = {}
    runs = [_probe("bench.refresh_probe", str(data_dir), "full") for _ in range(args.reps)]
    section["full_refresh"] = _median_run(runs)
    section["full_baseline"] = _probe(
        "bench.baseline.load", str(data_dir), "full", "0", str(args.reps)
    )
    store = SQLiteStore(data_dir / "lrs.db")
    before = store.consistent_through_us()
    newest = store.query(StatementQuery(limit=1)).records
    last_seq = newest[0].seq if newest else 0
    prefill(store, args.seed + 99, args.incremental, clock_start=(before or 0) + 1_000_000)
    section["incremental_refresh"] = _probe("bench.refresh_probe", str(data_dir), "incremental")
    section["incremental_baseline"] = _probe(
        "bench.baseline.load", str(data_dir), "incremental", str(last_seq)
    )
    section["incremental_n"] = args.incremental
    report["analytics"] = section
    if args.model_staff:
        models_and_pages(args, section)


def _median_run(runs: list[dict[str, Any]]) -> dict[str, Any]:
    """The run of median time, with the median CPU time, the peak RSS and every time."""
    middle = sorted(runs, key=lambda run: run["seconds"])[len(runs) // 2]
    cpus = sorted(run.get("cpu_s", 0.0) for run in runs)
    return {
        **middle,
        "cpu_s": cpus[len(cpus) // 2],
        "peak_rss_mb": max(run["peak_rss_mb"] for run in runs),
        "runs": [round(run["seconds"], 3) for run in runs],
    }


def _json_lines(cmd: list[str]) -> list[dict[str, Any]]:
    out = subprocess.run(cmd, capture_output=True, text=True, check=True).stdout
    return [json.loads(line) for line in out.splitlines() if line.startswith("{")]


def models_and_pages(args: argparse.Namespace, section: dict[str, Any]) -> None:
    """A generated hospital: full model recompute (time, peak RSS) and dashboard page times."""
    work = Path(tempfile.mkdtemp(prefix="bench-models-"))
    here = Path(__file__).resolve().parent
    lines = _json_lines(
        [
            sys.executable,
            str(here / "models.py"),
            "--staff",
            str(args.model_staff),
            "--dir",
            str(work),
        ]
    )
    section["models"] = {line["phase"]: line for line in lines}
    section["models"]["staff"] = args.model_staff
    pages = _json_lines(
        [
            sys.executable,
            str(here / "dashboards.py"),
            "--warehouse",
            str(work / "wh.duckdb"),
            "--repeat",
            "15",
        ]
    )
    section["dashboards"] = [p for p in pages if "page" in p]


def _cpu(run: dict[str, Any]) -> str:
    return f"{run['cpu_s']:.1f}" if "cpu_s" in run else "-"


def _ratios(run: dict[str, Any], baseline: dict[str, Any]) -> str:
    wall = f"{run['seconds'] / baseline['seconds']:.1f}x"
    if "cpu_s" in run and baseline.get("cpu_s"):
        return f"{wall} ({run['cpu_s'] / baseline['cpu_s']:.1f}x)"
    return wall


def _met(ok: bool) -> str:
    return "met" if ok else "NOT met"


def render(report: dict[str, Any]) -> str:
    """The Markdown report: figures, ratios to the baseline, targets met or not."""
    last = report[report.get("phases", ["small", "large"])[-1]]
    lines = [
        "# Readiness LRS benchmark report",
        "",
        f"Started {report['started']}; total {report['total_s']:.0f} s. Medians of "
        f"{report['args']['reps']} repetitions; ratios are against the baseline (trivial Flask "
        "endpoint parsing the same JSON, same gunicorn settings, same run).",
        "",
        *ingest_lines(report),
    ]
    analytics = report.get("analytics", {})
    if "full_refresh" in analytics:
        full, inc = analytics["full_refresh"], analytics["incremental_refresh"]
        fb, ib = analytics["full_baseline"], analytics["incremental_baseline"]
        stored = full["result"].get("loaded", last["stored"])
        lines += [
            "",
            "## Analytics refresh",
            "",
            "Baseline: the same statements' JSON loaded straight into DuckDB with `read_json`",
            "(untyped; no flattening, voiding or pseudonyms), same run. The full refresh and its",
            f"baseline are medians of {len(full.get('runs', [0]))}; CPU s is the process's CPU "
            "time over the load, all threads (robust to other work on the machine).",
            "",
            "| run | statements | seconds | CPU s | peak RSS MB | baseline s | baseline CPU s "
            "| ratio (CPU ratio) | target | status |",
            "|---|---|---|---|---|---|---|---|---|---|",
            f"| full refresh | {stored:,} | {full['seconds']:.1f} | {_cpu(full)} | "
            f"{full['peak_rss_mb']:.0f} | {fb['seconds']:.1f} | {_cpu(fb)} | "
            f"{_ratios(full, fb)} | ≤ {REFRESH_RATIO:.0f}x baseline | "
            f"{_met(full['seconds'] <= REFRESH_RATIO * fb['seconds'])} |",
            f"| incremental refresh | {analytics['incremental_n']:,} | {inc['seconds']:.2f} | "
            f"{_cpu(inc)} | {inc['peak_rss_mb']:.0f} | {ib['seconds']:.2f} | {_cpu(ib)} | "
            f"{_ratios(inc, ib)} | ≤ 2 s | {_met(inc['seconds'] <= 2)} |",
        ]
    if "models" in analytics:
        load, run = analytics["models"]["generate+load"], analytics["models"]["run_models"]
        stages = ", ".join(f"{k} {v:.1f} s" for k, v in run["stages"].items())
        lines += [
            "",
            f"## Models (generated hospital, --staff {analytics['models']['staff']}, 18 months)",
            "",
            f"Generate + load through the statement path + refresh: {load['seconds']} s. "
            f"Full model recompute: **{run['seconds']} s**, peak RSS {run['peak_rss_mb']} MB "
            f"(stages: {stages}).",
        ]
    if "dashboards" in analytics:
        lines += [
            "",
            "## Dashboard pages (server time, 15 requests each)",
            "",
            "| page | median ms | p95 ms | median ≤ 300 ms |",
            "|---|---|---|---|",
        ]
        for page in analytics["dashboards"]:
            lines.append(
                f"| {page['page']} | {page['median_ms']} | {page['p95_ms']} | "
                f"{_met(page['median_ms'] <= 300)} |"
            )
    return "\n".join(lines) + "\n"
