"""kill -9 between "decided" and "sent" (and between "sent" and "marked sent") loses nothing and
sends nothing twice: the outbox row is committed with the event, and delivery is idempotent."""

from __future__ import annotations

import signal
import subprocess
import sys
from pathlib import Path

from analytics.notify.alerts import record_decisions
from analytics.notify.sender import Policy, Sender
from analytics.notify.transports import WebhookTransport
from statements.alerts.store import alerts_store
from statements.store.sqlite import SQLiteStore
from tests.alerts.factories import event, sub
from tests.alerts.servers import webhook_receiver

ROOT = Path(__file__).resolve().parents[2]


def _child(db: Path, mode: str) -> int:
    run = subprocess.run(
        [sys.executable, "-m", "tests.alerts.crash_child", str(db), mode],
        cwd=ROOT,
        env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"},
        capture_output=True,
        timeout=120,
    )
    return run.returncode


def _alerts(db: Path, url: str) -> object:
    store = SQLiteStore(db)
    store.init()
    alerts = alerts_store(store)
    return alerts


def test_kill_between_decide_and_send_sends_exactly_once(tmp_path: Path) -> None:
    db = tmp_path / "lrs.db"
    with webhook_receiver() as rx:
        alerts = _alerts(db, rx.url)
        alerts.add_subscription(sub("hook", "webhook", rx.url, secret="k"))  # type: ignore[attr-defined]
        assert _child(db, "decide") == -signal.SIGKILL
        assert rx.requests == []  # died before sending anything
        pending = alerts.list_items(state="pending")  # type: ignore[attr-defined]
        assert len(pending) == 2  # ... but the decision survived
        # the restarted worker decides again (nothing new) and sends
        assert record_decisions(alerts, [event("D03"), event("D07")], now_us=5) == []
        sender = Sender(alerts, lambda: 10, {"webhook": WebhookTransport(lambda: 0)}, Policy())
        assert sender.run_once().sent == 2
        assert sender.run_once().sent == 0
    assert len(rx.requests) == 2 and len(rx.accepted) == 2
    assert sorted(rx.accepted) == sorted(p.id for p in pending)


def test_kill_between_send_and_mark_resends_with_the_same_key(tmp_path: Path) -> None:
    db = tmp_path / "lrs.db"
    with webhook_receiver() as rx:
        alerts = _alerts(db, rx.url)
        alerts.add_subscription(sub("hook", "webhook", rx.url, secret="k"))  # type: ignore[attr-defined]
        record_decisions(alerts, [event("D03")], now_us=0)
        assert _child(db, "send") == -signal.SIGKILL
        assert len(rx.requests) == 1
        sender = Sender(alerts, lambda: 10, {"webhook": WebhookTransport(lambda: 0)}, Policy())
        assert sender.run_once().sent == 1  # not marked sent before the kill: sent again
    keys = [h["Idempotency-Key"] for h, _, _ in rx.requests]
    assert len(keys) == 2 and len(set(keys)) == 1  # same key: the receiver keeps it once
    assert len(rx.accepted) == 1
