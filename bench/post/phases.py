"""Where the CPU of ``POST /xapi/statements`` goes, per statement and per phase (in process).

``python -m bench.post.phases DIR --batches K`` wraps the functions of each phase of the POST
path with thread-CPU timers, posts ``--warm`` then ``K`` batches of 100 fresh bench statements
through the Flask test client (:mod:`bench.post.probe`'s setup) and prints one line per phase:
thread CPU µs per statement. Phases nest (``store`` holds ``store: key rows`` …); the
``Flask/HTTP rest`` line is the request's thread CPU outside the named phases, and ``process``
adds what other threads (the background WAL checkpointer) spent. The timers cost about 1 µs
per call; use :mod:`bench.post.probe` for the total without them.
"""

from __future__ import annotations

import argparse
import functools
import json
import os
import random
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from bench.run import HEADERS, prepare_store
from bench.server import wait_checkpointed
from bench.workload import statement

_SPENT: dict[str, float] = {}


def _timed(owner: Any, name: str, label: str) -> None:
    real: Callable[..., Any] = getattr(owner, name)

    @functools.wraps(real)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        start = time.thread_time()
        try:
            return real(*args, **kwargs)
        finally:
            _SPENT[label] = _SPENT.get(label, 0.0) + time.thread_time() - start

    setattr(owner, name, wrapper)


def _instrument() -> None:
    import lrs.api.statements as api
    import lrs.statement_io as sio
    import statements.prepare as prep
    import statements.store.sqlite.keys as keys
    import statements.store.sqlite.write as write

    _timed(sio, "parse_json", "JSON parse")
    _timed(api, "validate_statements", "validation")
    _timed(api, "_prepared", "prepare")
    _timed(prep, "statement_keys", "prepare: key extraction")
    _timed(api, "_store_batch", "store")
    _timed(write.SQLiteWrites, "_write_group", "store: transaction")
    _timed(write.SQLiteWrites, "_write_one", "store: batch in savepoint")
    _timed(write, "_dumps", "store: body serialisation")
    _timed(keys, "write_keys", "store: keys")
    _timed(keys, "intern", "store: keys: interning")
    _timed(write, "_ids_in", "store: voids/ref SELECTs")
    _timed(api, "learn_from_statements", "learn activities/agents")
    _timed(api, "jsonify", "response")


def main() -> None:
    """Parse options, instrument, post, print the table."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("dir", type=Path)
    parser.add_argument("--batches", type=int, default=100)
    parser.add_argument("--warm", type=int, default=20)
    parser.add_argument("--seed", type=int, default=77, help="vary it between runs on one store")
    args = parser.parse_args()
    prepare_store(args.dir, 11, 0, 0)
    os.environ.setdefault("LRS_SECRET_KEY", "bench")
    os.environ["LRS_DATA_DIR"] = str(args.dir)
    _instrument()
    from lrs.app import create_app

    client = create_app().test_client()
    rng = random.Random(args.seed)
    bodies = [
        json.dumps([statement(rng, i) for _ in range(100)]).encode()
        for i in range(args.batches + args.warm)
    ]
    for body in bodies[args.batches :]:
        assert client.post("/xapi/statements", data=body, headers=HEADERS).status_code == 200
    _SPENT.clear()
    thread0, process0 = time.thread_time(), time.process_time()
    for body in bodies[: args.batches]:
        assert client.post("/xapi/statements", data=body, headers=HEADERS).status_code == 200
    thread = time.thread_time() - thread0
    wait_checkpointed(args.dir / "lrs.db-wal")  # count the checkpoints of these batches
    process = time.process_time() - process0
    n = args.batches * 100
    s = _SPENT
    rows = {
        "Flask/HTTP rest": thread
        - sum(s[k] for k in ("JSON parse", "validation", "prepare", "store"))
        - s.get("learn activities/agents", 0.0)
        - s.get("response", 0.0),
        **s,
        "store: statement rows + rest of batch": s["store: batch in savepoint"]
        - s["store: body serialisation"]
        - s["store: keys"]
        - s.get("store: voids/ref SELECTs", 0.0),
        "store: key rows (executemany)": s["store: keys"] - s["store: keys: interning"],
        "store: COMMIT + savepoints": s["store: transaction"] - s["store: batch in savepoint"],
        "request thread total": thread,
        "other threads (WAL checkpointer)": process - thread,
        "process total": process,
    }
    for label, spent in rows.items():
        print(f"{1e6 * spent / n:8.1f}  {label}")


if __name__ == "__main__":
    main()
