"""Scheduler records kept in the store: one row per scheduled step run, and named leases.

The store is the durable place both backends share (the warehouse is rebuilt and swapped, and
web workers open it read-only), so the worker's run history and its lock live here. A lease is
a row ``(name, owner, expires_us)``: a worker takes it when it is free, expired or already its
own, so two workers never run a step at once, and a worker killed mid-step frees it by expiry.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Protocol

OUTCOMES = ("running", "ok", "failed", "skipped")


@dataclass(frozen=True)
class ScheduledRun:
    """One run of a scheduled step; ``ended_us`` is None while running (or after a crash)."""

    run_id: str
    step: str
    started_us: int
    worker: str
    outcome: str = "running"
    ended_us: int | None = None
    counts: dict[str, Any] = field(default_factory=dict)
    error: str | None = None

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready rendering."""
        return {
            "run_id": self.run_id,
            "step": self.step,
            "started_us": self.started_us,
            "ended_us": self.ended_us,
            "outcome": self.outcome,
            "counts": dict(self.counts),
            "error": self.error,
            "worker": self.worker,
        }


class ScheduleStore(Protocol):
    """What the scheduler needs from a store (both backends implement it)."""

    def start_run(self, run_id: str, step: str, started_us: int, worker: str) -> None:
        """Record a run as ``running``."""

    def finish_run(
        self,
        run_id: str,
        ended_us: int,
        outcome: str,
        counts: dict[str, Any],
        error: str | None,
    ) -> None:
        """Close a run with its outcome, counts and error."""

    def list_runs(self, step: str | None = None, limit: int = 50) -> list[ScheduledRun]:
        """Runs, newest first (optionally of one step)."""

    def count_runs(self) -> dict[tuple[str, str], int]:
        """Number of runs per (step, outcome), over the whole history."""

    def acquire_lease(self, name: str, owner: str, now_us: int, ttl_us: int) -> bool:
        """Take or renew lease ``name`` until ``now_us + ttl_us``; False when another holds it."""

    def release_lease(self, name: str, owner: str) -> None:
        """Give the lease up (only when ``owner`` holds it)."""
