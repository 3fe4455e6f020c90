"""Benchmark (not a test): server time of every dashboard page at the demo hospital's size.

    .venv/bin/python bench/dashboards.py --repeat 20 [--scale 2] [--warehouse path]

Builds a warehouse with the dashboards' fixture generator at the size of the seeded demo
hospital (18 departments, 40 competencies, ~400 staff, 18 months; ``--scale`` multiplies
departments and staff), or reads ``--warehouse``; signs in an ``analytics/staff`` credential
and times each page through the Flask test client (the whole server side: session check,
queries, figures, JSON, template). Prints one JSON line per page with median and p95 in ms.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

import duckdb

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from config.settings import Settings
from lrs.app import create_app
from lrs.credentials import new_credential
from lrs.extensions import services
from statements.store import open_store
from tests.dashboards.conftest import sign_in
from tests.dashboards.fixture_warehouse import build

PAGES = {
    "overview": "/dashboards/",
    "heatmap": "/dashboards/heatmap",
    "heatmap_readiness": "/dashboards/heatmap?metric=readiness",
    "department": "/dashboards/department/D1",
    "expiry": "/dashboards/expiry",
    "protocols": "/dashboards/protocols",
    "content": "/dashboards/content",
    "safety": "/dashboards/safety",
    "filtered_heatmap": "/dashboards/heatmap?site=North&role_family=clinical",
}


def main() -> None:
    """Run the benchmark and print the results."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeat", type=int, default=20)
    parser.add_argument("--scale", type=float, default=1.0)
    parser.add_argument("--warehouse", type=Path)
    args = parser.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="bench-dash-"))
    path = args.warehouse
    if path is None:
        path = tmp / "warehouse.duckdb"
        started = time.perf_counter()
        build(
            path,
            departments=round(18 * args.scale),
            competencies=40,
            staff_per_dept=23,
            months=18,
            statements=round(200_000 * args.scale),
        )
        print(
            json.dumps(
                {"built_warehouse_s": round(time.perf_counter() - started, 1), "scale": args.scale}
            )
        )
    store = open_store(f"sqlite:///{tmp / 'lrs.db'}")
    store.init()
    app = create_app(
        Settings(data_dir=tmp, secret_key="bench", warehouse_path=str(path)), store=store
    )
    cred, secret = new_credential("bench", ["analytics/staff"], 1, key="bench", secret="s")
    services(app).store.add_credential(cred)
    client = app.test_client()
    assert sign_in(client, cred.key, secret).status_code == 303
    pages = dict(PAGES)
    with duckdb.connect(str(path), read_only=True) as conn:  # drill into a real department
        first = conn.execute("SELECT min(department_id) FROM departments").fetchone()
    if first and first[0]:
        pages["department"] = f"/dashboards/department/{first[0]}"
    for name, url in pages.items():
        client.get(url)  # warm-up: template compilation, first connection
        times = []
        for _ in range(args.repeat):
            t0 = time.perf_counter()
            resp = client.get(url)
            times.append((time.perf_counter() - t0) * 1000)
            assert resp.status_code == 200, (url, resp.status_code)
        times.sort()
        print(
            json.dumps(
                {
                    "page": name,
                    "median_ms": round(statistics.median(times), 1),
                    "p95_ms": round(times[int(0.95 * (len(times) - 1))], 1),
                    "bytes": len(resp.get_data()),
                }
            )
        )
    store.close()


if __name__ == "__main__":
    main()
