"""The forwarding worker: reads each destination's outbox and delivers it (``lrs forward run``).

A destination's outbox is the statement log after its watermark (see
:mod:`statements.interop.model`). One step of a destination:

1. statements queued again by ``lrs forward retry`` are delivered first;
2. the next batch after the watermark is read in ``seq`` order — stopping at a gap in the
   sequence until it is ``forward_settle_s`` old (a batch may still be committing) — and
   filtered;
3. it is delivered (:func:`lrs.interop.deliver.deliver`); only then is the watermark moved.

A crash between 3 and the watermark write sends the batch again: the target keeps each id
once (idempotent delivery), so nothing is lost and nothing is duplicated. A failed delivery
backs off exponentially; after ``forward_max_attempts`` the batch's statements go to the
dead-letter list and the watermark moves on.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from config.settings import Settings
from lrs.interop.client import TransportError, XapiClient
from lrs.interop.deliver import DeliveryFailed, Outcome, deliver
from statements.interop.model import DeadLetter, Destination, Status, backoff_us, matches
from statements.store.base import StatementRecord

log = logging.getLogger(__name__)
ClientFactory = Callable[[Destination], XapiClient]


def http_client(dest: Destination) -> XapiClient:
    """The real HTTP client of a destination."""
    return XapiClient(dest.url, dest.key, dest.secret, dest.version)


@dataclass
class Policy:
    """Retry policy (from the ``LRS_FORWARD_*`` settings)."""

    max_attempts: int = 10
    backoff_s: float = 1.0
    backoff_cap_s: float = 300.0
    settle_s: float = 60.0

    @classmethod
    def from_settings(cls, s: Settings) -> Policy:
        """The policy the settings describe."""
        return cls(
            s.forward_max_attempts, s.forward_backoff_s, s.forward_backoff_cap_s, s.forward_settle_s
        )


class Forwarder:
    """Delivers every destination's outbox; ``step``/``run_once`` are safe to call repeatedly."""

    def __init__(
        self,
        store: Any,
        fwd: Any,
        clock: Callable[[], int],
        policy: Policy | None = None,
        client_factory: ClientFactory = http_client,
    ) -> None:
        self.store, self.fwd, self.clock = store, fwd, clock
        self.policy = policy or Policy()
        self.client_factory = client_factory

    def run_once(self) -> int:
        """One step of every destination that is due; the number of statements delivered."""
        return sum(self.step(dest) for dest in self.fwd.list_destinations())

    def step(self, dest: Destination) -> int:
        """Deliver the retry queue and one batch of ``dest`` if it is due."""
        now = self.clock()
        if dest.next_attempt_us > now:
            return 0
        client = self.client_factory(dest)
        batch: list[StatementRecord] = []
        watermark = dest.watermark
        try:
            done = self._retry_queue(dest, client)
            batch, watermark = self._next_batch(dest, now)
            if watermark == dest.watermark:
                if done:
                    self.fwd.save_destination(dest)
                return done
            outcome = deliver(client, batch, self.store)
        except (DeliveryFailed, TransportError) as exc:
            self._failed(dest, batch, watermark, str(exc), now)
            return 0
        dest.watermark = watermark
        return done + self._succeeded(dest, outcome, batch, now)

    # -- reading the outbox ------------------------------------------------------------------
    def _next_batch(self, dest: Destination, now: int) -> tuple[list[StatementRecord], int]:
        """The filtered batch to send and the watermark it moves to."""
        settle_us = int(self.policy.settle_s * 1_000_000)
        scanned: list[StatementRecord] = []
        expected = dest.watermark + 1
        for rec in next(iter(self.store.iter_since(dest.watermark, dest.batch_size)), []):
            if rec.seq != expected and now - rec.stored_us < settle_us:
                break  # a gap that may still fill: hold back until it settles
            scanned.append(rec)
            expected = rec.seq + 1
        if not scanned:
            return [], dest.watermark
        targets = self._void_targets(scanned)
        chosen = [r for r in scanned if matches(dest, r.body, targets.get(r.voids or ""))]
        return chosen, scanned[-1].seq

    def _void_targets(self, records: Sequence[StatementRecord]) -> dict[str, dict[str, Any]]:
        wanted = [r.voids for r in records if r.voids]
        if not wanted:
            return {}
        return {k: v.body for k, v in self.store.get_by_ids(wanted).items()}

    # -- bookkeeping -------------------------------------------------------------------------
    def _succeeded(
        self, dest: Destination, outcome: Outcome, batch: Sequence[StatementRecord], now: int
    ) -> int:
        seqs = {r.id: r.seq for r in batch}
        dead = [DeadLetter(dest.name, sid, seqs[sid], err, 1, now) for sid, err in outcome.refused]
        dest.attempts, dest.next_attempt_us, dest.last_error = 0, 0, None
        dest.delivered += len(outcome.delivered)
        dest.last_success_us = now
        if dead:
            dest.failures += len(dead)
            dest.last_error = dead[0].error
        self.fwd.save_destination(dest, dead)
        return len(outcome.delivered)

    def _failed(
        self,
        dest: Destination,
        batch: Sequence[StatementRecord],
        watermark: int,
        error: str,
        now: int,
    ) -> None:
        log.warning("forwarding to %s failed: %s", dest.name, error)
        dest.attempts += 1
        dest.failures += 1
        dest.last_error = error
        dead: list[DeadLetter] = []
        if dest.attempts >= self.policy.max_attempts and watermark > dest.watermark:
            dead = [DeadLetter(dest.name, r.id, r.seq, error, dest.attempts, now) for r in batch]
            dest.watermark = watermark
            dest.attempts = 0
        delay = backoff_us(dest.attempts or 1, self.policy.backoff_s, self.policy.backoff_cap_s)
        dest.next_attempt_us = now + delay
        self.fwd.save_destination(dest, dead)

    def _retry_queue(self, dest: Destination, client: XapiClient) -> int:
        """Deliver dead letters queued by ``lrs forward retry`` (transient errors propagate)."""
        queued = self.fwd.list_dead(dest.name, "retry", dest.batch_size)
        if not queued:
            return 0
        found = self.store.get_by_ids([d.statement_id for d in queued])
        records = sorted(found.values(), key=lambda r: r.seq)
        outcome = deliver(client, records, self.store)
        gone = [d.statement_id for d in queued if d.statement_id not in found]
        self.fwd.remove_dead(dest.name, outcome.delivered + gone)
        now = self.clock()
        again = [
            DeadLetter(dest.name, sid, found[sid].seq, err, 1, now) for sid, err in outcome.refused
        ]
        if again:
            self.fwd.save_destination(dest, again)
        dest.delivered += len(outcome.delivered)
        return len(outcome.delivered)

    def status(self, dest: Destination) -> Status:
        """Depth, lag and dead letters of ``dest`` now."""
        oldest = self.fwd.oldest_after(dest.watermark)
        lag = 0.0 if oldest is None else max(0.0, (self.clock() - oldest) / 1_000_000)
        return Status(
            destination=dest,
            depth=self.fwd.depth(dest.watermark),
            lag_s=lag,
            dead=self.fwd.count_dead(dest.name, "dead"),
            queued_retries=self.fwd.count_dead(dest.name, "retry"),
        )
