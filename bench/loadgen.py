"""Closed-loop HTTP load generator (run as a separate process from the server).

Each client thread keeps one keep-alive connection and sends pre-built requests back to back;
the parent aggregates latencies. Used by ``bench/run.py``; stdlib only.
"""

from __future__ import annotations

import http.client
import json
import statistics
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

Request = tuple[str, str, bytes | None, dict[str, str]]


@dataclass
class Result:
    """Latencies (seconds) and status counts of one load run."""

    latencies: list[float] = field(default_factory=list)
    statuses: dict[int, int] = field(default_factory=dict)
    seconds: float = 0.0

    def summary(self, items_per_request: int = 1) -> dict[str, float]:
        """Throughput and latency percentiles."""
        lat = sorted(self.latencies)
        n = len(lat)
        return {
            "requests": n,
            "requests_per_s": n / self.seconds if self.seconds else 0.0,
            "items_per_s": n * items_per_request / self.seconds if self.seconds else 0.0,
            "p50_ms": 1000 * lat[n // 2] if n else 0.0,
            "p99_ms": 1000 * lat[min(n - 1, int(n * 0.99))] if n else 0.0,
            "mean_ms": 1000 * statistics.fmean(lat) if n else 0.0,
            "non_2xx": sum(c for s, c in self.statuses.items() if not 200 <= s < 300),
        }


def run(
    host: str, port: int, make: Callable[[int, int], Request], clients: int, per_client: int
) -> Result:
    """Send ``per_client`` requests from each of ``clients`` threads; ``make(client, i)``."""
    result = Result()
    lock = threading.Lock()

    def worker(cid: int) -> None:
        conn = http.client.HTTPConnection(host, port, timeout=60)
        local: list[float] = []
        statuses: dict[int, int] = {}
        for i in range(per_client):
            method, path, body, headers = make(cid, i)
            start = time.perf_counter()
            conn.request(method, path, body=body, headers=headers)
            resp = conn.getresponse()
            resp.read()
            local.append(time.perf_counter() - start)
            statuses[resp.status] = statuses.get(resp.status, 0) + 1
        conn.close()
        with lock:
            result.latencies.extend(local)
            for status, count in statuses.items():
                result.statuses[status] = result.statuses.get(status, 0) + count

    threads = [threading.Thread(target=worker, args=(c,)) for c in range(clients)]
    started = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    result.seconds = time.perf_counter() - started
    return result


if __name__ == "__main__":  # pragma: no cover - manual use
    print(json.dumps({"usage": "imported by bench/run.py"}), file=sys.stderr)
