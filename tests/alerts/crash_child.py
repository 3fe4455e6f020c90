"""Run by test_crash.py in a subprocess that kills itself with SIGKILL at a chosen point.

``python -m tests.alerts.crash_child DB URL decide``: decide (events + outbox rows committed),
then SIGKILL before anything is sent. ``... send``: deliver one row, then SIGKILL before the
row is marked sent.
"""

from __future__ import annotations

import os
import signal
import sys

from analytics.notify.alerts import record_decisions
from analytics.notify.sender import Policy, Sender
from analytics.notify.transports import WebhookTransport
from statements.alerts.model import Event, OutboxItem, Subscription
from statements.alerts.store import alerts_store
from statements.store.sqlite import SQLiteStore
from tests.alerts.factories import event


class KillAfterSend(WebhookTransport):
    """A webhook transport whose process dies right after the receiver answered."""

    def send(self, item: OutboxItem, sub: Subscription, events: list[Event]) -> None:
        super().send(item, sub, events)
        os.kill(os.getpid(), signal.SIGKILL)


def main(db: str, mode: str) -> None:
    store = SQLiteStore(db)
    store.init()
    alerts = alerts_store(store)
    if mode == "decide":
        record_decisions(alerts, [event("D03"), event("D07")], now_us=0)
        os.kill(os.getpid(), signal.SIGKILL)
    Sender(alerts, lambda: 0, {"webhook": KillAfterSend(lambda: 0)}, Policy()).run_once()


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
