"""Forwarding gauges for ``/metrics``, read from the store at scrape time (any worker)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric

from lrs.interop.forward import Forwarder
from statements.interop.store import interop_store


class ForwardCollector:
    """Outbox depth, lag, attempts, failures, deliveries and dead letters per destination."""

    def __init__(self, store: Any, clock: Callable[[], int]) -> None:
        self.store, self.clock = store, clock

    def collect(self) -> Iterator[Metric]:
        """One sample of each family per destination."""
        fwd = interop_store(self.store)
        forwarder = Forwarder(self.store, fwd, self.clock)
        labels = ["destination"]
        depth = GaugeMetricFamily(
            "lrs_forward_outbox_depth",
            "Statements stored after the delivered watermark.",
            labels=labels,
        )
        lag = GaugeMetricFamily(
            "lrs_forward_lag_seconds",
            "Age of the oldest statement not yet delivered.",
            labels=labels,
        )
        attempts = GaugeMetricFamily(
            "lrs_forward_attempts",
            "Consecutive failed attempts of the current batch.",
            labels=labels,
        )
        dead = GaugeMetricFamily(
            "lrs_forward_dead_letters",
            "Statements given up on (not queued for retry).",
            labels=labels,
        )
        failures = CounterMetricFamily(
            "lrs_forward_failures",
            "Failed deliveries (batches and refused statements).",
            labels=labels,
        )
        delivered = CounterMetricFamily(
            "lrs_forward_delivered", "Statements delivered.", labels=labels
        )
        for dest in fwd.list_destinations():
            status = forwarder.status(dest)
            depth.add_metric([dest.name], status.depth)
            lag.add_metric([dest.name], status.lag_s)
            attempts.add_metric([dest.name], dest.attempts)
            dead.add_metric([dest.name], status.dead)
            failures.add_metric([dest.name], dest.failures)
            delivered.add_metric([dest.name], dest.delivered)
        yield from (depth, lag, attempts, dead, failures, delivered)


def forward_exposition(store: Any, clock: Callable[[], int]) -> bytes:
    """The forwarding families in the Prometheus text format."""
    registry = CollectorRegistry(auto_describe=False)
    registry.register(ForwardCollector(store, clock))
    return bytes(generate_latest(registry))
