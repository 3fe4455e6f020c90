"""Benchmark (not a test): validation cost per statement, marshmallow only vs the fast path.

    .venv/bin/python -m bench.validate_speed --n 5000

Validates the same cmi5-like statements (:func:`bench.workload.statement`, batches of 100,
request version 2.0) with ``validate_statements(fast=False)`` and ``fast=True``, three runs
each after a warm-up run, and prints the medians in µs per statement and their ratio. A run
with ``--fresh`` also uses new verbs/activities per statement (defeats the schema memo and
the IRI cache, the worst case for both paths).
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import time
from typing import Any

from bench.workload import statement
from statements.validate import validate_statements


def _data(n: int, fresh: bool) -> list[dict[str, Any]]:
    rng = random.Random(1)
    out = []
    for index in range(n):
        body = statement(rng, index)
        if fresh:
            body["verb"]["id"] += f"/{index}"
            body["object"]["id"] += f"/{index}"
        out.append(body)
    return out


def _run(data: list[dict[str, Any]], fast: bool) -> float:
    began = time.perf_counter()
    for start in range(0, len(data), 100):
        validate_statements(data[start : start + 100], "2.0.0", fast=fast)
    return (time.perf_counter() - began) / len(data) * 1e6


def measure(n: int, fresh: bool) -> dict[str, Any]:
    """Median µs per statement of three runs of each path."""
    data = _data(n, fresh)
    result: dict[str, Any] = {"statements": n, "fresh_iris": fresh}
    for name, fast in (("marshmallow_us", False), ("fast_path_us", True)):
        _run(data, fast)  # warm-up: caches and memo as in a running server
        result[name] = round(statistics.median(_run(data, fast) for _ in range(3)), 1)
    result["ratio"] = round(result["marshmallow_us"] / result["fast_path_us"], 1)
    return result


def main() -> None:
    """Parse arguments and print one JSON line per data set."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--n", type=int, default=5000)
    args = parser.parse_args()
    for fresh in (False, True):
        print(json.dumps(measure(args.n, fresh)), flush=True)


if __name__ == "__main__":
    main()
