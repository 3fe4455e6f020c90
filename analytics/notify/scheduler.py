"""The worker: runs the due steps under a store lease and records every run in the store.

One cycle (:meth:`Worker.cycle`): take the ``scheduler`` lease (a row in the store, so it works
for SQLite and MongoDB alike and across hosts); close runs a dead worker left ``running`` (it
held the lease, so nobody else was running them); read the run history; run each due step in
order, recording ``running`` before and ``ok``/``failed``/``skipped`` with counts after; release
the lease. While a step runs a heartbeat thread renews the lease every third of its TTL, so a
long models run keeps it and a killed worker frees it within one TTL. The warehouse itself is
written atomically by the steps (copy, write, ``os.replace``), so a step killed half-way leaves
the old warehouse and the next cycle simply runs it again.
"""

from __future__ import annotations

import logging
import os
import secrets
import socket
import threading
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from analytics.notify.schedule import at_us, models_due, refresh_due
from config.settings import Settings
from statements.store.schedule import ScheduledRun, ScheduleStore

LOG = logging.getLogger("lrs.worker")
LEASE = "scheduler"
StepFn = Callable[[Settings, datetime], dict[str, Any]]
Clock = Callable[[], datetime]


class StepSkipped(Exception):
    """Raised by a step with nothing to do (recorded ``skipped`` with the message)."""


def worker_name() -> str:
    """``host:pid:random``: unique per worker process."""
    return f"{socket.gethostname()}:{os.getpid()}:{secrets.token_hex(3)}"


@dataclass
class Worker:
    """Runs ``steps`` (name -> function) on the schedule of ``settings``."""

    settings: Settings
    store: ScheduleStore
    steps: Mapping[str, StepFn]
    clock: Clock
    name: str = field(default_factory=worker_name)

    @property
    def ttl_us(self) -> int:
        """Lease lifetime in microseconds."""
        return self.settings.schedule_lease_seconds * 1_000_000

    def cycle(self) -> list[ScheduledRun]:
        """Run whatever is due now; [] when another worker holds the lease."""
        if not self.store.acquire_lease(LEASE, self.name, at_us(self.clock()), self.ttl_us):
            LOG.info("another worker holds the scheduler lease")
            return []
        try:
            return self._run_due(self._recover())
        finally:
            self.store.release_lease(LEASE, self.name)

    def _recover(self) -> set[str]:
        """Close runs a dead worker left ``running``; their steps are re-run at once."""
        interrupted = set()
        for run in self.store.list_runs(limit=200):
            if run.outcome == "running":
                error = f"worker {run.worker} stopped mid-step (no end recorded)"
                self.store.finish_run(run.run_id, at_us(self.clock()), "failed", {}, error)
                LOG.warning("closed interrupted %s run %s: %s", run.step, run.run_id, error)
                interrupted.add(run.step)
        return interrupted

    def _run_due(self, interrupted: set[str]) -> list[ScheduledRun]:
        runs = self.store.list_runs(limit=200)
        now = self.clock()
        done: list[ScheduledRun] = []
        if "refresh" in interrupted or refresh_due(runs, self.settings, now):
            done.append(self.run_step("refresh"))
        if interrupted & {"models", "alerts"} or models_due(runs, self.settings, now):
            models = self.run_step("models")
            done.append(models)
            if models.outcome == "ok":
                done.append(self.run_step("alerts"))
            else:
                done.append(self.record_skip("alerts", f"models ended {models.outcome}"))
        return done

    def record_skip(self, step: str, reason: str) -> ScheduledRun:
        """Record a step that was not run (``skipped`` with ``reason``)."""
        run_id, started = secrets.token_hex(16), at_us(self.clock())
        self.store.start_run(run_id, step, started, self.name)
        self.store.finish_run(run_id, started, "skipped", {}, reason)
        return ScheduledRun(run_id, step, started, self.name, "skipped", started, {}, reason)

    def run_step(self, step: str) -> ScheduledRun:
        """Run one step now and record it (never raises for a step's own failure)."""
        run_id, now = secrets.token_hex(16), self.clock()
        self.store.start_run(run_id, step, at_us(now), self.name)
        counts: dict[str, Any] = {}
        outcome, error = "ok", None
        try:
            with self._heartbeat():
                counts = dict(self.steps[step](self.settings, now))
        except StepSkipped as exc:
            outcome, error = "skipped", str(exc)
        except Exception as exc:  # a failed step is recorded, never fatal to the worker
            outcome, error = "failed", f"{type(exc).__name__}: {exc}"
            LOG.exception("scheduled step %s failed", step)
        except BaseException:  # Ctrl-C / SIGTERM: close the record, then stop
            self.store.finish_run(run_id, at_us(self.clock()), "failed", {}, "interrupted")
            raise
        ended = at_us(self.clock())
        self.store.finish_run(run_id, ended, outcome, counts, error)
        LOG.info("step %s %s %s", step, outcome, counts or error or "")
        return ScheduledRun(run_id, step, at_us(now), self.name, outcome, ended, counts, error)

    @contextmanager
    def _heartbeat(self) -> Iterator[None]:
        stop = threading.Event()
        period = self.settings.schedule_lease_seconds / 3

        def renew() -> None:
            while not stop.wait(period):
                self.store.acquire_lease(LEASE, self.name, at_us(self.clock()), self.ttl_us)

        beat = threading.Thread(target=renew, name="lease-heartbeat", daemon=True)
        beat.start()
        try:
            yield
        finally:
            stop.set()
            beat.join()

    def run_forever(self, stop: threading.Event, alive: Callable[[], bool] = lambda: True) -> None:
        """Cycle every ``schedule_poll_seconds`` until ``stop`` is set or ``alive()`` is false."""
        while not stop.is_set() and alive():
            try:
                self.cycle()
            except Exception:  # the store is down: log, wait, try again
                LOG.exception("scheduler cycle failed")
            waited = 0.0
            while waited < self.settings.schedule_poll_seconds and alive():
                if stop.wait(min(1.0, self.settings.schedule_poll_seconds - waited)):
                    return
                waited += 1.0
