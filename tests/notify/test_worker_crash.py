"""kill -9 of a worker in the middle of a real refresh: the warehouse stays old, the next worker
closes the dead run and runs the refresh again, which loads everything."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from analytics.notify.schedule import at_us
from analytics.notify.scheduler import LEASE, Worker
from analytics.notify.steps import default_steps
from analytics.resources import warehouse_for
from config.settings import Settings
from statements.store import open_store
from tests.analytics.helpers import rec, stmt

T0 = datetime(2026, 3, 2, 1, 0, tzinfo=UTC)
CHILD = """
import sys, time, pathlib
from datetime import datetime, UTC
import analytics.notify.steps as steps
from analytics.notify.scheduler import Worker
from config.settings import Settings
from statements.store import open_store

data = pathlib.Path(sys.argv[1])
settings = Settings(data_dir=data, etl_batch_size=2)
real_open = steps.open_store

class PausedStore:
    def __init__(self, inner):
        self.inner = inner
    def __getattr__(self, name):
        return getattr(self.inner, name)
    def _paused(self, batches):
        for n, batch in enumerate(batches):
            if n == 1:  # the first new batch is in the private copy: stop here
                (data / "mid-step").touch()
                time.sleep(3600)
            yield batch
    def iter_since(self, after, batch_size):
        return self._paused(self.inner.iter_since(after, batch_size))
    def iter_raw_since(self, after, batch_size):  # what the refresh reads a SQLite store with
        return self._paused(self.inner.iter_raw_since(after, batch_size))

steps.open_store = lambda url: PausedStore(real_open(url))
store = open_store(settings.resolved_store_url)
store.init()
clock = lambda: datetime(2026, 3, 2, 1, 0, tzinfo=UTC)
Worker(settings, store, steps.default_steps(), clock, name="doomed").cycle()
"""


def _count(settings: Settings) -> int:
    with warehouse_for(settings).read() as conn:
        return int(conn.execute("SELECT count(*) FROM statements_all").fetchall()[0][0])


def test_kill_mid_refresh_keeps_old_warehouse_and_next_worker_recovers(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path, etl_batch_size=2)
    store = open_store(settings.resolved_store_url)
    store.init()
    store.insert([rec(stmt(n), at_us=n) for n in range(1, 3)], [])
    Worker(settings, store, default_steps(), lambda: T0 - timedelta(days=1), name="w0").cycle()
    assert _count(settings) == 2
    store.insert([rec(stmt(n), at_us=n) for n in range(3, 9)], [])
    env = {**os.environ, "PYTHONPATH": os.getcwd()}
    child = subprocess.Popen([sys.executable, "-c", CHILD, str(tmp_path)], env=env)
    try:
        deadline = time.monotonic() + 120  # a guard against a hung child, not an assertion
        while not (tmp_path / "mid-step").exists():
            assert child.poll() is None and time.monotonic() < deadline
            time.sleep(0.05)
        os.kill(child.pid, signal.SIGKILL)
    finally:
        child.wait()
    assert _count(settings) == 2  # old warehouse, whole
    assert list(tmp_path.glob(".warehouse*.tmp"))  # the dead writer's private copy is left
    dead = store.list_runs(step="refresh")[0]
    assert dead.worker == "doomed" and dead.outcome == "running"
    later = T0 + timedelta(seconds=settings.schedule_lease_seconds)
    assert not store.acquire_lease(LEASE, "w1", at_us(later) - 1, 1)  # still the dead's lease
    done = Worker(settings, store, default_steps(), lambda: later, name="w1").cycle()
    outcomes = [(r.step, r.outcome) for r in done]
    assert outcomes == [("refresh", "ok"), ("models", "skipped"), ("alerts", "skipped")]
    assert done[0].counts["loaded"] == 6 and _count(settings) == 8
    assert not list(tmp_path.glob(".warehouse*.tmp"))
    closed = next(r for r in store.list_runs() if r.run_id == dead.run_id)
    assert closed.outcome == "failed" and "stopped mid-step" in (closed.error or "")
    store.close()
