"""Markdown for the ingest/query part of ``make bench`` (issue 16): per phase statements/s,
server CPU µs per statement, bytes on disk per statement, p50/p99, against the same-run baseline,
and the issue's targets."""

from __future__ import annotations

from typing import Any

TARGETS = {
    "cpu_us_large": 170.0,
    # The same target as a multiple of the same-run baseline: 170 µs over the 10 µs baseline
    # measured when the issue was filed (its 509 µs was 51x; 3x less is 17x).
    "cpu_x_baseline_large": 17.0,
    "bytes_large": 1200.0,
    "huge_vs_large": 0.8,
    "query_p50_ms": 10.0,
    "worker_rss_mb": 300.0,
}


def _met(ok: bool) -> str:
    return "met" if ok else "NOT met"


def _row(stored: str, body: str, fig: dict[str, float], base: dict[str, float]) -> str:
    """One ingest row; throughput and CPU also as multiples of the same-run baseline's."""
    cpu, base_cpu = fig.get("cpu_us_per_statement"), base.get("cpu_us_per_statement")
    cpu_text = "-" if cpu is None else f"{cpu:,.0f}"
    times = "-" if cpu is None or not base_cpu else f"{cpu / base_cpu:.1f}x"
    return (
        f"| {stored} | {body} | {fig['items_per_s']:,.0f} | "
        f"{fig['items_per_s'] / base['items_per_s']:.2f} | {cpu_text} | {times} | "
        f"{fig['p50_ms']:.1f} | {fig['p99_ms']:.1f} |"
    )


def ingest_lines(report: dict[str, Any]) -> list[str]:
    """The ingest table, the query table at the largest phase and the targets table."""
    base = report["baseline"]
    phases = [report[p] for p in report.get("phases", ["small", "large"])]
    lines = [
        "## Ingest (2 gunicorn workers, 4 client threads)",
        "",
        "CPU is the server's (gunicorn master + workers, user + system, from /proc) per statement;",
        "CPU x baseline divides it by the same-run baseline's (the figure that travels between",
        "machines: the issue's 509 µs at 1M was 51x its 10 µs baseline, its 170 µs target 17x).",
        "",
        "| stored | body | statements/s | ratio to baseline | CPU µs/statement "
        "| CPU x baseline | p50 ms | p99 ms |",
        "|---|---|---|---|---|---|---|---|",
        _row("baseline", "batch of 100", base["batch100"], base["batch100"]),
        _row("baseline", "single", base["single"], base["single"]),
    ]
    for sec in phases:
        for body, label in (("batch100", "batch of 100"), ("single", "single")):
            lines.append(_row(f"{sec['stored']:,}", label, sec[body], base[body]))
    lines += ["", "| stored | bytes on disk per statement | worker RSS MB |", "|---|---|---|"]
    for sec in phases:
        lines.append(
            f"| {sec['stored']:,} | {sec.get('bytes_per_statement', 0):,.0f} | "
            f"{sec['worker_rss_mb']:.0f} |"
        )
    last = phases[-1]
    lines += [
        "",
        f"## Query at {last['stored']:,} stored (limit=100, 2 client threads)",
        "",
        "| filter | queries/s | p50 ms | p99 ms |",
        "|---|---|---|---|",
    ]
    for name, fig in last.get("queries", {}).items():
        lines.append(
            f"| {name} | {fig['requests_per_s']:,.0f} | {fig['p50_ms']:.1f} | {fig['p99_ms']:.1f} |"
        )
    return [*lines, "", *target_lines(report, phases)]


def target_lines(report: dict[str, Any], phases: list[dict[str, Any]]) -> list[str]:
    """The issue-16 targets that this run measured, met or not."""
    lines = ["## Targets", "", "| target | figure | status |", "|---|---|---|"]
    large = report.get("large")
    if large is not None:
        cpu = large["batch100"].get("cpu_us_per_statement", 0.0)
        base_cpu = report["baseline"]["batch100"].get("cpu_us_per_statement", 0.0)
        size = large.get("bytes_per_statement", 0.0)
        lines += [
            f"| server CPU ≤ 170 µs/statement, batches of 100, at {large['stored']:,} stored "
            f"| {cpu:,.0f} µs | {_met(cpu <= TARGETS['cpu_us_large'])} |",
        ]
        if base_cpu:
            times = cpu / base_cpu
            lines.append(
                f"| the same as a multiple of the same-run baseline: ≤ 17x (170 µs over the "
                f"10 µs baseline of the issue's machine) | {times:.1f}x | "
                f"{_met(times <= TARGETS['cpu_x_baseline_large'])} |"
            )
        lines += [
            f"| ≤ 1.2 KB on disk per statement at {large['stored']:,} | {size:,.0f} B | "
            f"{_met(size <= TARGETS['bytes_large'])} |",
        ]
    huge = report.get("huge")
    if huge is not None and large is not None:
        keep = huge["batch100"]["items_per_s"] / large["batch100"]["items_per_s"]
        lines.append(
            f"| ingest at {huge['stored']:,} ≥ 80 % of the rate at {large['stored']:,} | "
            f"{keep:.0%} | {_met(keep >= TARGETS['huge_vs_large'])} |"
        )
    worst = max((f["p50_ms"] for f in phases[-1].get("queries", {}).values()), default=0.0)
    rates = report.get("prefill_statements_per_s", {})
    rss = max(p["worker_rss_mb"] for p in phases)
    lines += [
        f"| filtered GET p50 ≤ 10 ms at {phases[-1]['stored']:,} | worst {worst:.1f} ms | "
        f"{_met(worst <= TARGETS['query_p50_ms'])} |",
        f"| worker RSS ≤ 300 MB | {rss:.0f} MB | {_met(rss <= TARGETS['worker_rss_mb'])} |",
        "",
        "Prefill (the store's bulk insert, no HTTP; statements prepared in a process pool): "
        + ", ".join(
            f"{k} {v:.0f} s" + (f" ({rates[k]:,.0f} statements/s)" if k in rates else "")
            for k, v in report["prefill_s"].items()
        )
        + ".",
    ]
    return lines
