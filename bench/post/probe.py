"""In-process probe of ``POST /xapi/statements``: CPU per statement through the whole Flask app.

``python -m bench.post.probe DIR --batches K [--profile OUT]`` opens (or creates) ``DIR/lrs.db``
with the bench credential, then posts ``--warm`` batches, then ``K`` batches of 100 fresh bench statements through the
Flask test client (no sockets, no gunicorn) and prints one JSON line: process CPU µs and wall µs
per statement. ``--profile OUT`` writes a cProfile of the posting loop to ``OUT`` (``pstats``).
This is the server's per-statement work as the bench's HTTP path does it, minus the WSGI server.
"""

from __future__ import annotations

import argparse
import cProfile
import json
import os
import random
import time
from pathlib import Path

from bench.run import HEADERS, prepare_store
from bench.workload import statement


def main() -> None:
    """Parse options, post the batches, print one JSON line."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("dir", type=Path)
    parser.add_argument("--batches", type=int, default=100)
    parser.add_argument("--batch", type=int, default=100)
    parser.add_argument("--warm", type=int, default=20, help="batches posted before measuring")
    parser.add_argument("--seed", type=int, default=77, help="vary it between runs on one store")
    parser.add_argument("--profile", type=Path, default=None)
    args = parser.parse_args()
    args.dir.mkdir(parents=True, exist_ok=True)
    prepare_store(args.dir, 11, 0, 0)
    os.environ.setdefault("LRS_SECRET_KEY", "bench")
    os.environ["LRS_DATA_DIR"] = str(args.dir)
    from lrs.app import create_app

    client = create_app().test_client()
    rng = random.Random(args.seed)
    bodies = [
        json.dumps([statement(rng, i) for _ in range(args.batch)]).encode()
        for i in range(args.batches + args.warm)
    ]
    for body in bodies[args.batches :]:  # warm: the learned-activities/agents cache fills
        warm = client.post("/xapi/statements", data=body, headers=HEADERS)
        assert warm.status_code == 200, warm.get_data(as_text=True)
    bodies = bodies[: args.batches]
    profiler = cProfile.Profile() if args.profile else None
    cpu0, wall0 = time.process_time(), time.perf_counter()
    if profiler:
        profiler.enable()
    for body in bodies:
        resp = client.post("/xapi/statements", data=body, headers=HEADERS)
        assert resp.status_code == 200, resp.get_data(as_text=True)
    if profiler:
        profiler.disable()
        profiler.dump_stats(args.profile)
    cpu, wall = time.process_time() - cpu0, time.perf_counter() - wall0
    total = args.batches * args.batch
    print(
        json.dumps(
            {"cpu_us_per_statement": 1e6 * cpu / total, "wall_us_per_statement": 1e6 * wall / total}
        )
    )


if __name__ == "__main__":
    main()
