"""The ingest table of ``make bench`` shows CPU per statement as a multiple of the same-run
baseline's, next to the throughput ratio, and judges the target on microseconds and, in a
row of its own, as that multiple (17x: 170 µs over the issue's 10 µs baseline)."""

from __future__ import annotations

from typing import Any

from bench.ingest_report import ingest_lines


def _fig(rate: float, cpu: float) -> dict[str, float]:
    return {"items_per_s": rate, "cpu_us_per_statement": cpu, "p50_ms": 1.0, "p99_ms": 2.0}


def test_cpu_is_shown_against_the_same_run_baseline() -> None:
    report: dict[str, Any] = {
        "baseline": {"batch100": _fig(100_000, 13), "single": _fig(2_000, 650)},
        "phases": ["large"],
        "large": {
            "stored": 1_000_000,
            "batch100": _fig(5_000, 195),
            "single": _fig(400, 2_600),
            "bytes_per_statement": 1_076,
            "worker_rss_mb": 160,
        },
        "prefill_s": {"large": 126},
    }
    lines = ingest_lines(report)
    assert "| 1,000,000 | batch of 100 | 5,000 | 0.05 | 195 | 15.0x | 1.0 | 2.0 |" in lines
    assert "| baseline | single | 2,000 | 1.00 | 650 | 1.0x | 1.0 | 2.0 |" in lines
    target = next(line for line in lines if line.startswith("| server CPU"))
    assert target.endswith("| 195 µs | NOT met |")
    times = next(line for line in lines if line.startswith("| the same as a multiple"))
    assert times.endswith("| 15.0x | met |")
    report["baseline"]["batch100"] = _fig(100_000, 10)  # 19.5x: over 17x
    times = next(line for line in ingest_lines(report) if line.startswith("| the same as a"))
    assert times.endswith("| 19.5x | NOT met |")
