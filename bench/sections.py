"""Analytics benchmark section and the Markdown rendering of the report (with targets)."""

from __future__ import annotations

import argparse
from typing import Any

TARGETS = {
    "ingest_batch100_large": 5000.0,
    "ingest_large_vs_small": 0.8,
    "query_p50_ms": 10.0,
    "worker_rss_mb": 300.0,
}


def analytics(args: argparse.Namespace, report: dict[str, Any]) -> None:
    """Refresh, model and dashboard timings (filled in as those parts land)."""
    report["analytics"] = {"note": "analytics benchmarks not yet wired"}


def _met(ok: bool) -> str:
    return "met" if ok else "NOT met"


def render(report: dict[str, Any]) -> str:
    """The Markdown report: figures, ratios to the baseline, targets met or not."""
    base_b = report["baseline"]["batch100"]["items_per_s"]
    base_s = report["baseline"]["single"]["items_per_s"]
    small, large = report["small"], report["large"]
    lines = [
        "# Readiness LRS benchmark report",
        "",
        f"Started {report['started']}; total {report['total_s']:.0f} s. Medians of "
        f"{report['args']['reps']} repetitions; ratios are against the baseline (trivial Flask "
        "endpoint parsing the same JSON, same gunicorn settings, same run).",
        "",
        "## Ingest (2 gunicorn workers, 4 client threads)",
        "",
        "| stored | body | statements/s | ratio to baseline | p50 ms | p99 ms |",
        "|---|---|---|---|---|---|",
        f"| baseline | batch of 100 | {base_b:,.0f} | 1.00 | "
        f"{report['baseline']['batch100']['p50_ms']:.1f} | {report['baseline']['batch100']['p99_ms']:.1f} |",
        f"| baseline | single | {base_s:,.0f} | 1.00 | {report['baseline']['single']['p50_ms']:.1f} | "
        f"{report['baseline']['single']['p99_ms']:.1f} |",
    ]
    for sec in (small, large):
        for body, base in (("batch100", base_b), ("single", base_s)):
            fig = sec[body]
            lines.append(
                f"| {sec['stored']:,} | {'batch of 100' if body == 'batch100' else 'single'} | "
                f"{fig['items_per_s']:,.0f} | {fig['items_per_s'] / base:.2f} | {fig['p50_ms']:.1f} | "
                f"{fig['p99_ms']:.1f} |"
            )
    rate_large = large["batch100"]["items_per_s"]
    keep = rate_large / small["batch100"]["items_per_s"]
    lines += [
        "",
        "## Query at the large store (limit=100, 2 client threads)",
        "",
        "| filter | queries/s | p50 ms | p99 ms |",
        "|---|---|---|---|",
    ]
    worst_p50 = 0.0
    for name, fig in large["queries"].items():
        worst_p50 = max(worst_p50, fig["p50_ms"])
        lines.append(
            f"| {name} | {fig['requests_per_s']:,.0f} | {fig['p50_ms']:.1f} | {fig['p99_ms']:.1f} |"
        )
    rss = max(small["worker_rss_mb"], large["worker_rss_mb"])
    lines += [
        "",
        "## Targets",
        "",
        "| target | figure | status |",
        "|---|---|---|",
        f"| ingest ≥ 5,000 statements/s, batches of 100, at {large['stored']:,} stored | "
        f"{rate_large:,.0f}/s | {_met(rate_large >= TARGETS['ingest_batch100_large'])} |",
        f"| ≥ 80 % of the rate at {small['stored']:,} stored | {keep:.0%} | "
        f"{_met(keep >= TARGETS['ingest_large_vs_small'])} |",
        f"| filtered query p50 ≤ 10 ms | worst {worst_p50:.1f} ms | "
        f"{_met(worst_p50 <= TARGETS['query_p50_ms'])} |",
        f"| worker RSS ≤ 300 MB | {rss:.0f} MB | {_met(rss <= TARGETS['worker_rss_mb'])} |",
        "",
        f"Prefill (direct store inserts): {', '.join(f'{k} {v:.0f} s' for k, v in report['prefill_s'].items())}.",
    ]
    analytics = report.get("analytics", {})
    if analytics:
        lines += ["", "## Analytics", "", "```", str(analytics), "```"]
    return "\n".join(lines) + "\n"
