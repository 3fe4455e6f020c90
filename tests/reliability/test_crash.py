"""Crash safety: kill -9 of a worker and of the whole server in the middle of batch POSTs, and of
an analytics refresh. After restart no partial batch is visible, every acknowledged statement is
present exactly once, SQLite passes ``integrity_check``, and the warehouse is the old or the new
one, never a broken one.
"""

from __future__ import annotations

import os
import shutil
import signal
import sqlite3
import subprocess
import threading
import time
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
import requests

from tests.reliability import server
from tests.reliability.server import BIN, HEADERS, ROOT

CLIENTS, BATCH = 4, 150
PHASES = int(os.environ.get("LRS_SOAK_SCALE", "1"))  # server kills; 2 worker kills each
FIGURES: dict[str, int] = {"worker_kills": 0, "server_kills": 0, "refresh_kills": 0}


class Load:
    """Clients posting batches of fresh ids until stopped; records what was acknowledged."""

    def __init__(self, base: str, tag: int) -> None:
        self.base, self.tag = base, tag
        self.stop = threading.Event()
        self.lock = threading.Lock()
        self.in_flight = 0
        self.acked: list[list[str]] = []
        self.unknown: list[list[str]] = []
        self.codes: list[int] = []

    def _client(self, client: int) -> None:
        n = 0
        with requests.Session() as http:
            while not self.stop.is_set():
                ids = [
                    str(uuid.uuid5(uuid.NAMESPACE_OID, f"{self.tag}/{client}/{n}/{i}"))
                    for i in range(BATCH)
                ]
                n += 1
                body = [
                    {
                        "id": sid,
                        "actor": {"mbox": "mailto:c@example.org"},
                        "verb": {"id": "http://example.org/v"},
                        "object": {"id": f"http://e.org/{i}"},
                    }
                    for i, sid in enumerate(ids)
                ]
                with self.lock:
                    self.in_flight += 1
                try:
                    resp = http.post(
                        f"{self.base}/xapi/statements", json=body, headers=HEADERS, timeout=60
                    )
                except requests.RequestException:
                    resp = None
                with self.lock:
                    self.in_flight -= 1
                    if resp is not None:
                        self.codes.append(resp.status_code)
                    (
                        self.acked if resp is not None and resp.status_code == 200 else self.unknown
                    ).append(ids)

    def run(self, pool: ThreadPoolExecutor) -> list[Any]:
        return [pool.submit(self._client, c) for c in range(CLIENTS)]

    def wait_until(self, check: Callable[[], bool]) -> None:
        deadline = time.monotonic() + 60
        while not check():  # polling a condition, not sleeping for ordering
            assert time.monotonic() < deadline, "load never reached the crash point"
            time.sleep(0.005)

    def mid_batch(self, acked_at_least: int) -> bool:
        with self.lock:
            return len(self.acked) >= acked_at_least and self.in_flight > 0


def _check_store(db: Path, loads: list[Load]) -> dict[str, int]:
    with sqlite3.connect(db) as conn:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        ids = [r[0] for r in conn.execute("SELECT id FROM statements")]
    present = set(ids)
    assert len(ids) == len(present), "duplicated statements"
    acked = [b for load in loads for b in load.acked]
    unknown = [b for load in loads for b in load.unknown]
    for batch in acked:
        assert present.issuperset(batch), "an acknowledged statement was lost"
    partial = [b for b in unknown if 0 < len(present.intersection(b)) < len(b)]
    assert not partial, "a partial batch is visible"
    return {"acked_statements": sum(map(len, acked)), "unacked_batches": len(unknown)}


def test_kill_9_worker_and_server_mid_batch(tmp_path: Path) -> None:
    data = tmp_path / "data"
    loads: list[Load] = []
    with ThreadPoolExecutor(CLIENTS) as pool:
        for phase in range(PHASES):
            with server.live(data, workers=2, threads=4) as live:
                load = Load(live.base, phase)
                loads.append(load)
                futures = load.run(pool)
                for kill in range(2):  # kill -9 one worker mid-batch; gunicorn respawns it
                    load.wait_until(lambda k=kill, ld=load: ld.mid_batch(3 * (k + 1)))
                    live.kill_worker()
                    FIGURES["worker_kills"] += 1
                acked = len(load.acked)
                load.wait_until(lambda a=acked, ld=load: ld.mid_batch(a + 2))
                live.kill_all()  # kill -9 master and workers at once, batches in flight
                FIGURES["server_kills"] += 1
                load.stop.set()
                for f in futures:
                    f.result()
    with server.live(data, workers=2) as live:  # restart once more and read through the API
        total = requests.get(
            f"{live.base}/xapi/statements?limit=1&format=ids", headers=HEADERS, timeout=30
        )
        assert total.status_code == 200
    figures = _check_store(data / "lrs.db", loads)
    assert figures["acked_statements"] > 0
    FIGURES.update(figures)
    print("crash figures:", FIGURES)


def _lrs(data: Path, *args: str) -> subprocess.Popen[bytes]:
    env = server.server_env(data, 0)
    return subprocess.Popen(
        [str(BIN / "lrs"), *args],
        env=env,
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def _warehouse_count(data: Path) -> int | None:
    import duckdb

    path = data / "warehouse.duckdb"
    if not path.exists():
        return None
    with duckdb.connect(str(path), read_only=True) as conn:
        found = conn.execute("SELECT table_name FROM information_schema.tables").fetchall()
        tables = {r[0] for r in found}
        table = "statements" if "statements" in tables else sorted(tables)[0]
        return int(conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0])


def _post_batches(data: Path, start: int, batches: int) -> None:
    """Store statements in-process (the refresh test needs data, not a live server)."""
    import base64

    from config.settings import Settings
    from lrs.app import create_app

    client = create_app(Settings(data_dir=data, secret_key="t")).test_client()
    auth = {**HEADERS, "Authorization": "Basic " + base64.b64encode(b"k:s").decode()}
    for b in range(batches):
        body = [
            {
                "id": str(uuid.UUID(int=start + b * 200 + i + 1)),
                "actor": {"mbox": f"mailto:p{i % 40}@example.org"},
                "verb": {"id": "http://adlnet.gov/expapi/verbs/completed"},
                "object": {"id": f"http://e.org/c/{i % 9}"},
            }
            for i in range(200)
        ]
        assert client.post("/xapi/statements", json=body, headers=auth).status_code == 200


def test_kill_9_during_analytics_refresh_leaves_old_or_new_warehouse(tmp_path: Path) -> None:
    if shutil.which("lrs", path=str(BIN)) is None or _lrs(tmp_path, "analytics", "--help").wait():
        pytest.skip("`lrs analytics refresh` is not available")
    data = tmp_path / "data"
    data.mkdir()
    server.add_credential(data)
    _post_batches(data, 0, 2)
    assert _lrs(data, "analytics", "refresh").wait() == 0
    old = _warehouse_count(data)
    _post_batches(data, 10_000, 10)
    outcomes = set()
    for _attempt in range(PHASES + 1):
        proc = _lrs(data, "analytics", "refresh", "--full")
        deadline = time.monotonic() + 60
        while not list(data.glob(".*.tmp")):  # the refresh has begun writing its copy
            if proc.poll() is not None or time.monotonic() > deadline:
                break
            time.sleep(0.002)
        time.sleep(0.1 * _attempt)  # vary the kill point (the assertions hold at any point)
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait()
        FIGURES["refresh_kills"] += 1
        count = _warehouse_count(data)  # opens: never a broken file
        outcomes.add("old" if count == old else "new")
        assert count in (old, None) or count > (old or 0)
    assert _lrs(data, "analytics", "refresh").wait() == 0
    new = _warehouse_count(data)
    assert new is not None and old is not None and new > old
    print("refresh kill outcomes:", outcomes, FIGURES)
