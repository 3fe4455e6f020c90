"""Delivering the alerts outbox: due rows are sent, then marked sent; failures back off.

Rows are read from the store's outbox (:mod:`statements.alerts`), delivered through the
subscription's channel (:mod:`analytics.notify.transports`) and only then marked ``sent``. A
crash between the two sends the row again on restart with the same id (Message-ID /
Idempotency-Key), so the receiver can keep it once. A failure waits ``backoff * 2**(n-1)``
(capped) before the next attempt; after ``max_attempts`` the row goes to the dead-letter list
(state ``dead``) with its last error, until ``lrs alerts retry`` queues it again.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from analytics.notify.staff import for_subscriber
from analytics.notify.transports import DeliveryError, Transport
from statements.alerts.model import OutboxItem
from statements.interop.model import backoff_us

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Policy:
    """Retry policy (the LRS_ALERTS_* settings)."""

    max_attempts: int = 8
    backoff_s: float = 30.0
    backoff_cap_s: float = 3600.0


@dataclass
class Counts:
    """What one pass over the outbox did."""

    sent: int = 0
    failed: int = 0
    dead: int = 0
    errors: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, int]:
        """The counts (JSON-able ints)."""
        return {"sent": self.sent, "failed": self.failed, "dead": self.dead}


class Sender:
    """Sends every due outbox row once; ``run_once`` is safe to call repeatedly."""

    def __init__(
        self,
        alerts: Any,
        clock_us: Callable[[], int],
        transports: Mapping[str, Transport],
        policy: Policy | None = None,
    ) -> None:
        self.alerts, self.clock_us, self.transports = alerts, clock_us, transports
        self.policy = policy or Policy()

    def run_once(self, limit: int = 500) -> Counts:
        """Deliver the rows due now."""
        counts = Counts()
        for item in self.alerts.due_items(self.clock_us(), limit):
            self.deliver(item, counts)
        return counts

    def deliver(self, item: OutboxItem, counts: Counts) -> None:
        """Attempt one row and record the outcome."""
        now = self.clock_us()
        try:
            self._send(item)
        except DeliveryError as exc:
            item.attempts += 1
            item.last_error = str(exc)[:500]
            counts.errors.append(item.last_error)
            if item.attempts >= self.policy.max_attempts:
                item.state = "dead"
                counts.dead += 1
                log.warning("alert %s dead after %d attempts: %s", item.id, item.attempts, exc)
            else:
                p = self.policy
                item.next_attempt_us = now + backoff_us(item.attempts, p.backoff_s, p.backoff_cap_s)
                counts.failed += 1
            self.alerts.save_item(item)
            return
        item.state, item.sent_us, item.last_error = "sent", now, None
        item.attempts += 1
        self.alerts.save_item(item)
        counts.sent += 1

    def _send(self, item: OutboxItem) -> None:
        sub = self.alerts.get_subscription(item.subscription_id)
        if sub is None:
            raise DeliveryError(f"subscription {item.subscription_id} no longer exists")
        transport = self.transports.get(sub.channel)
        if transport is None:
            raise DeliveryError(f"no transport for channel {sub.channel}")
        found = self.alerts.get_events(item.event_ids)
        events = [found[i] for i in item.event_ids if i in found]
        if not events:
            raise DeliveryError("the row's events are gone")
        transport.send(item, sub, for_subscriber(sub, events))
