"""Alert gauges for ``/metrics``: outbox rows per state and subscriptions, read from the store."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.core import GaugeMetricFamily, Metric

from statements.alerts.model import STATES
from statements.alerts.store import alerts_store


class AlertsCollector:
    """``lrs_alerts_outbox{state}`` (pending, held, sent, dead) and ``lrs_alerts_subscriptions``."""

    def __init__(self, store: Any) -> None:
        self.store = store

    def collect(self) -> Iterator[Metric]:
        """One sample per outbox state, and the subscription count."""
        alerts = alerts_store(self.store)
        counts = alerts.count_items()
        outbox = GaugeMetricFamily(
            "lrs_alerts_outbox",
            "Alert deliveries by state (dead: gave up; see `lrs alerts deadletters`).",
            labels=["state"],
        )
        for state in STATES:
            outbox.add_metric([state], counts.get(state, 0))
        yield outbox
        yield GaugeMetricFamily(
            "lrs_alerts_subscriptions",
            "Alert subscriptions.",
            value=len(alerts.list_subscriptions()),
        )


def alerts_exposition(store: Any) -> bytes:
    """The alert gauges in the Prometheus text format."""
    registry = CollectorRegistry()
    registry.register(AlertsCollector(store))
    return bytes(generate_latest(registry))
