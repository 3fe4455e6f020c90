"""Scheduler gauges for ``/metrics``, read from the store's run records at scrape time."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from typing import Any

from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric

from analytics.notify.schedule import STEPS, step_health
from config.settings import Settings


class SchedulerCollector:
    """Seconds since each step's last success, overdue/failed flags, runs by outcome."""

    def __init__(self, store: Any, settings: Settings, now: datetime) -> None:
        self.store, self.settings, self.now = store, settings, now

    def collect(self) -> Iterator[Metric]:
        """One sample per step (seconds since success only once a step has succeeded)."""
        health = step_health(self.store.list_runs(limit=200), self.settings, self.now)
        since = GaugeMetricFamily(
            "lrs_scheduler_seconds_since_success",
            "Seconds since the step's last successful scheduled run.",
            labels=["step"],
        )
        overdue = GaugeMetricFamily(
            "lrs_scheduler_overdue", "1 when the step is overdue.", labels=["step"]
        )
        failed = GaugeMetricFamily(
            "lrs_scheduler_last_failed",
            "1 when the step's last finished run failed.",
            labels=["step"],
        )
        runs = CounterMetricFamily(
            "lrs_scheduler_runs", "Scheduled runs by step and outcome.", labels=["step", "outcome"]
        )
        for step in STEPS:
            h = health[step]
            if h["seconds_since_ok"] is not None:
                since.add_metric([step], h["seconds_since_ok"])
            overdue.add_metric([step], int(h["overdue"]))
            failed.add_metric([step], int(h["failed"]))
        counts = self.store.count_runs()
        for step in STEPS:
            for outcome in ("ok", "failed", "skipped"):
                runs.add_metric([step, outcome], counts.get((step, outcome), 0))
        yield from (since, overdue, failed, runs)


def scheduler_exposition(store: Any, settings: Settings, now: datetime) -> bytes:
    """The scheduler families in the text exposition format."""
    registry = CollectorRegistry()
    registry.register(SchedulerCollector(store, settings, now))
    return bytes(generate_latest(registry))
