"""``lrs worker``: one cycle, the status, and the long-running process (Ctrl-C, orphaned)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from click.testing import CliRunner

from analytics.notify.scheduler import LEASE
from lrs.cli import main
from statements.store import open_store


def test_once_then_status(tmp_path: Path) -> None:
    env = {"LRS_DATA_DIR": str(tmp_path)}
    result = CliRunner().invoke(main, ["worker", "--once"], env=env)
    assert result.exit_code == 0, result.output
    runs = [json.loads(line) for line in result.stdout.splitlines()]
    assert [(r["step"], r["outcome"]) for r in runs] == [
        ("refresh", "ok"), ("models", "skipped"), ("alerts", "skipped"),
    ]  # fmt: skip
    assert runs[1]["error"].startswith("nothing to model yet")
    again = CliRunner().invoke(main, ["worker", "--once"], env=env)
    assert again.exit_code == 0 and again.stdout == ""  # nothing due a moment later
    status = json.loads(CliRunner().invoke(main, ["worker", "--status"], env=env).stdout)
    assert status["health"]["refresh"]["last_outcome"] == "ok" and len(status["runs"]) == 3


def _spawn(tmp_path: Path, *extra: str) -> subprocess.Popen[bytes]:
    env = {
        **os.environ,
        "PYTHONPATH": os.getcwd(),
        "LRS_DATA_DIR": str(tmp_path),
        "LRS_SCHEDULE_POLL_SECONDS": "0.2",
    }
    return subprocess.Popen([sys.executable, "-m", "lrs.cli", "worker", *extra], env=env)


def test_ctrl_c_stops_the_worker_and_frees_the_lease(tmp_path: Path) -> None:
    child = _spawn(tmp_path)
    store = open_store(f"sqlite:///{tmp_path / 'lrs.db'}")
    store.init()
    try:
        deadline = time.monotonic() + 120  # guard against a hung child only
        while len(store.list_runs()) < 3:
            assert child.poll() is None and time.monotonic() < deadline
            time.sleep(0.1)
        child.send_signal(signal.SIGINT)
        assert child.wait(timeout=120) == 0
        assert store.acquire_lease(LEASE, "next", 0, 1)  # released, not left to expire
        assert all(r.outcome != "running" for r in store.list_runs())
    finally:
        if child.poll() is None:
            child.kill()
            child.wait()
        store.close()


def test_orphaned_worker_exits(tmp_path: Path) -> None:
    """Started by ``lrs start`` with ``--parent-pid``: when that process is gone, it stops."""
    child = _spawn(tmp_path, "--parent-pid", str(os.getppid()))  # not the child's parent
    assert child.wait(timeout=120) == 0
    store = open_store(f"sqlite:///{tmp_path / 'lrs.db'}")
    store.init()
    assert store.list_runs() == []
    store.close()
