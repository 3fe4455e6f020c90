"""Forwarding between two running instances of our LRS on loopback (gunicorn as deployed)."""

from __future__ import annotations

import json
import signal
from pathlib import Path
from typing import Any

import pytest

from statements.store import open_store
from tests.interop.live import (
    FAST,
    count,
    forward_status,
    lrs_cmd,
    lrs_on,
    post_all,
    spawn,
    terminate,
    wait_for,
)
from tests.interop.target import same_statements, statement, voiding
from tests.reliability import server
from tests.reliability.server import KEY, SECRET


def bodies(tag: int, n: int, voids: int) -> list[dict[str, Any]]:
    out = [statement(tag * 10_000 + i) for i in range(n)]
    out += [voiding(tag * 10_000 + n + i, tag * 10_000 + i) for i in range(voids)]
    return out


def add_destination(src: Path, port: int, batch: int) -> None:
    done = lrs_cmd(
        src,
        "forward",
        "add",
        "central",
        "--url",
        f"http://127.0.0.1:{port}/xapi/",
        "--key",
        KEY,
        "--secret",
        SECRET,
        "--batch",
        str(batch),
    )
    assert done.returncode == 0, done.stderr


def status(src: Path) -> dict[str, Any]:
    return forward_status(src)


def cli_status(src: Path) -> dict[str, Any]:
    done = lrs_cmd(src, "forward", "status", "--json")
    assert done.returncode == 0, done.stderr
    return dict(json.loads(done.stdout)[0])


def check_same(src: Path, dst: Path) -> None:
    a = open_store(f"sqlite:///{src / 'lrs.db'}")
    b = open_store(f"sqlite:///{dst / 'lrs.db'}")
    same_statements(a, b)


def test_forwarding_survives_a_stopped_target(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    src, dst = tmp_path / "a" / "data", tmp_path / "b" / "data"
    port = server.free_port()
    with lrs_on(src) as a:
        add_destination(src, port, batch=25)
        worker = spawn(src, "forward", "run", **FAST)
        try:
            post_all(a.base, bodies(1, 150, 0))
            post_all(a.base, bodies(2, 0, 0) + [voiding(5000 + i, 10_000 + i) for i in range(12)])
            wait_for(lambda: status(src)["failures"] >= 3, "failed deliveries while B is down")
            assert status(src)["outbox_depth"] == 162
            with lrs_on(dst, port, monkeypatch):
                post_all(a.base, bodies(3, 40, 5))  # more while B is back
                wait_for(lambda: count(dst) == 207, "B to hold every statement", timeout=180)
                wait_for(lambda: status(src)["outbox_depth"] == 0, "the outbox to drain")
        finally:
            terminate(worker)
    check_same(src, dst)
    shown = cli_status(src)
    assert (shown["delivered"], shown["dead_letters"], shown["outbox_depth"]) == (207, 0, 0)


def test_kill_9_of_the_forwarder_mid_batch(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    src, dst = tmp_path / "a" / "data", tmp_path / "b" / "data"
    total = 1800  # 36 batches: three kills land well before the end even on a fast machine
    with lrs_on(src) as a, lrs_on(dst) as b:
        add_destination(src, b.port, batch=50)
        post_all(a.base, bodies(4, total - 40, 40))
        kills = 0
        for _ in range(3):
            worker = spawn(src, "forward", "run", **FAST)
            before = count(dst)
            wait_for(lambda b=before: count(dst) > b or count(dst) == total, "delivery progress")
            worker.send_signal(signal.SIGKILL)
            worker.wait(timeout=30)
            kills += 1
        assert count(dst) < total, "the kills should land before the end"
        worker = spawn(src, "forward", "run", **FAST)
        try:
            wait_for(lambda: count(dst) == total, "B to hold every statement", timeout=180)
            wait_for(lambda: status(src)["outbox_depth"] == 0, "the outbox to drain")
        finally:
            terminate(worker)
    assert kills == 3
    check_same(src, dst)
