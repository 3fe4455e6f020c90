"""Helpers to run two instances of our LRS and the forwarder as real processes on loopback."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
import requests

from statements.store import open_store
from tests.reliability import server
from tests.reliability.server import HEADERS, ROOT


def lrs_cmd(data_dir: Path, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    """Run this worktree's ``lrs`` CLI on ``data_dir``."""
    return subprocess.run(
        [sys.executable, "-m", "lrs.cli", *args],
        env={**server.server_env(data_dir, 0, **env), "PYTHONPATH": str(ROOT)},
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )


def spawn(data_dir: Path, *args: str, **env: str) -> subprocess.Popen[bytes]:
    """Start a long-running ``lrs`` command (its output goes to a log beside the data)."""
    with (data_dir.parent / f"{args[0]}-{uuid.uuid4().hex[:6]}.log").open("wb") as log:
        return subprocess.Popen(
            [sys.executable, "-m", "lrs.cli", *args],
            env={**server.server_env(data_dir, 0, **env), "PYTHONPATH": str(ROOT)},
            cwd=ROOT,
            stdout=log,
            stderr=subprocess.STDOUT,
        )


@contextmanager
def lrs_on(
    data_dir: Path, port: int | None = None, monkeypatch: Any = None
) -> Iterator[server.LiveServer]:
    """One gunicorn worker serving ``data_dir`` (on ``port`` when given, to restart in place)."""
    data_dir.mkdir(parents=True, exist_ok=True)
    if not (data_dir / "lrs.db").exists():
        server.add_credential(data_dir)
    if port is not None:
        monkeypatch.setattr(server, "free_port", lambda: port)
    live = server.start(data_dir, workers=1, threads=2)
    try:
        yield live
    finally:
        live.kill_all()


def post_all(base: str, bodies: list[dict[str, Any]], batch: int = 100) -> None:
    """POST statements in batches; every batch must be acknowledged."""
    with requests.Session() as http:
        for start in range(0, len(bodies), batch):
            resp = http.post(
                f"{base}/xapi/statements",
                json=bodies[start : start + batch],
                headers=HEADERS,
                timeout=60,
            )
            assert resp.status_code == 200, resp.text


def count(data_dir: Path) -> int:
    """Statements held in the SQLite store of ``data_dir``: a read-only query on the file (WAL-safe;
    no store ``init``, so polling never takes the destination's write lock)."""
    conn = sqlite3.connect(f"file:{data_dir / 'lrs.db'}?mode=ro", uri=True, timeout=30)
    try:
        return int(conn.execute("SELECT COUNT(*) FROM statements").fetchone()[0])
    finally:
        conn.close()


def wait_for(cond: Callable[[], bool], what: str, timeout: float = 120) -> None:
    """Poll ``cond`` until true (readiness polling, not ordering by sleeps)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if cond():
            return
        time.sleep(0.02)
    pytest.fail(f"timed out waiting for {what}")


FAST = {
    "LRS_FORWARD_BACKOFF_S": "0.2",
    "LRS_FORWARD_BACKOFF_CAP_S": "1",
    "LRS_FORWARD_POLL_S": "0.05",
    "LRS_FORWARD_MAX_ATTEMPTS": "1000",
}


def forward_status(data_dir: Path) -> dict[str, Any]:
    """The first destination's status, read from the store in this process."""
    from lrs.extensions import system_clock_us
    from lrs.interop.destinations import describe
    from lrs.interop.forward import Forwarder
    from statements.interop.store import interop_store

    store = open_store(f"sqlite:///{data_dir / 'lrs.db'}")
    try:
        store.init()
        fwd = interop_store(store)
        forwarder = Forwarder(store, fwd, system_clock_us)
        return describe(forwarder.status(fwd.list_destinations()[0]))
    finally:
        store.close()


def terminate(proc: subprocess.Popen[bytes]) -> None:
    """Stop a spawned process we started (by its own pid)."""
    if proc.poll() is None:
        proc.kill()
    proc.wait(timeout=30)


def env_without_lrs() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if not k.startswith("LRS_")}
