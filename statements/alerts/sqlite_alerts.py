"""Alert subscriptions, events and the delivery outbox in the SQLite store's file.

Events and their outbox rows are written in one IMMEDIATE transaction (:meth:`record`), so a
decision is never half-kept: after a crash either both exist (and the sender delivers the
pending rows) or neither does (and the next run decides again, with the same event ids).
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Sequence
from typing import Any

from statements.alerts.codec import event_doc, event_from, item_from, sub_doc, sub_from
from statements.alerts.model import Event, OutboxItem, Subscription
from statements.store.sqlite.side import SQLiteSideTables

SCHEMA = """
CREATE TABLE IF NOT EXISTS alert_subscriptions (
    id TEXT PRIMARY KEY,
    owner TEXT NOT NULL,
    body TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS alert_events (
    id TEXT PRIMARY KEY,
    raised_us INTEGER NOT NULL,
    body TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS alert_events_raised ON alert_events (raised_us);
CREATE TABLE IF NOT EXISTS alert_outbox (
    id TEXT PRIMARY KEY,
    subscription_id TEXT NOT NULL,
    kind TEXT NOT NULL,
    event_ids TEXT NOT NULL,
    state TEXT NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    next_attempt_us INTEGER NOT NULL DEFAULT 0,
    last_error TEXT,
    created_us INTEGER NOT NULL,
    sent_us INTEGER
);
CREATE INDEX IF NOT EXISTS alert_outbox_due ON alert_outbox (state, next_attempt_us);
CREATE INDEX IF NOT EXISTS alert_outbox_sub ON alert_outbox (subscription_id, created_us);
"""

_COLS = (
    "id, subscription_id, kind, event_ids, state, attempts, next_attempt_us, last_error,"
    " created_us, sent_us"
)


def _item(row: Sequence[Any]) -> OutboxItem:
    doc = dict(zip([c.strip() for c in _COLS.split(",")], row, strict=True))
    doc["event_ids"] = json.loads(doc["event_ids"])
    return item_from(doc)


class SQLiteAlerts(SQLiteSideTables):
    """The alert tables of a :class:`SQLiteStore` (same file, same write lock)."""

    SCHEMA = SCHEMA
    FEATURE = "alerts"
    CONFLICT = "a subscription with this id already exists"

    # -- subscriptions -------------------------------------------------------------------------
    def add_subscription(self, sub: Subscription) -> None:
        """Store a new subscription; ``Conflict`` if the id exists."""
        with self._tx() as conn:
            conn.execute(
                "INSERT INTO alert_subscriptions (id, owner, body) VALUES (?, ?, ?)",
                (sub.id, sub.owner, json.dumps(sub_doc(sub))),
            )

    def get_subscription(self, sub_id: str) -> Subscription | None:
        """The subscription, or None."""
        rows = self._read("SELECT body FROM alert_subscriptions WHERE id = ?", (sub_id,))
        return sub_from(json.loads(rows[0][0])) if rows else None

    def list_subscriptions(self, owner: str | None = None) -> list[Subscription]:
        """Every subscription (of ``owner`` when given), by id."""
        sql = "SELECT body FROM alert_subscriptions"
        params: tuple[str, ...] = ()
        if owner is not None:
            sql, params = sql + " WHERE owner = ?", (owner,)
        return [sub_from(json.loads(r[0])) for r in self._read(sql + " ORDER BY id", params)]

    def remove_subscription(self, sub_id: str) -> bool:
        """Delete the subscription and its undelivered rows; False if unknown."""
        with self._tx() as conn:
            conn.execute(
                "DELETE FROM alert_outbox WHERE subscription_id = ? AND state != 'sent'", (sub_id,)
            )
            return (
                conn.execute("DELETE FROM alert_subscriptions WHERE id = ?", (sub_id,)).rowcount > 0
            )

    # -- events and the decision ---------------------------------------------------------------
    def record(self, events: Sequence[Event], items: Sequence[OutboxItem]) -> list[str]:
        """Keep new events and their outbox rows in ONE transaction; the ids that were new.

        An event already kept is not raised again: its rows in ``items`` are dropped.
        """
        with self._tx() as conn:
            new = []
            for ev in events:
                cur = conn.execute(
                    "INSERT OR IGNORE INTO alert_events (id, raised_us, body) VALUES (?, ?, ?)",
                    (ev.id, ev.raised_us, json.dumps(event_doc(ev))),
                )
                if cur.rowcount:
                    new.append(ev.id)
            fresh = set(new)
            self._insert_items(conn, [i for i in items if set(i.event_ids) <= fresh])
            return new

    def add_items(self, items: Sequence[OutboxItem]) -> int:
        """Queue outbox rows (digests) unless their id exists; how many were new."""
        with self._tx() as conn:
            return self._insert_items(conn, items)

    @staticmethod
    def _insert_items(conn: sqlite3.Connection, items: Sequence[OutboxItem]) -> int:
        count = 0
        for i in items:
            count += conn.execute(
                f"INSERT OR IGNORE INTO alert_outbox ({_COLS}) VALUES ({', '.join('?' * 10)})",
                (
                    i.id,
                    i.subscription_id,
                    i.kind,
                    json.dumps(i.event_ids),
                    i.state,
                    i.attempts,
                    i.next_attempt_us,
                    i.last_error,
                    i.created_us,
                    i.sent_us,
                ),
            ).rowcount
        return count

    def get_events(self, ids: Sequence[str]) -> dict[str, Event]:
        """Kept events by id."""
        out: dict[str, Event] = {}
        for start in range(0, len(ids), 500):
            chunk = list(ids[start : start + 500])
            marks = ",".join("?" * len(chunk))
            for (body,) in self._read(
                f"SELECT body FROM alert_events WHERE id IN ({marks})", chunk
            ):
                ev = event_from(json.loads(body))
                out[ev.id] = ev
        return out

    def list_events(self, since_us: int = 0, until_us: int | None = None) -> list[Event]:
        """Events raised in ``[since_us, until_us)``, oldest first."""
        rows = self._read(
            "SELECT body FROM alert_events WHERE raised_us >= ? AND raised_us < ?"
            " ORDER BY raised_us, id",
            (since_us, until_us if until_us is not None else 2**62),
        )
        return [event_from(json.loads(r[0])) for r in rows]

    # -- the outbox ----------------------------------------------------------------------------
    def list_items(
        self,
        state: str | None = None,
        subscription_id: str | None = None,
        since_us: int = 0,
        limit: int = 1000,
    ) -> list[OutboxItem]:
        """Outbox rows (of a state / subscription, created from ``since_us``), oldest first."""
        where: list[str] = ["created_us >= ?"]
        params: list[Any] = [since_us]
        if state is not None:
            where.append("state = ?")
            params.append(state)
        if subscription_id is not None:
            where.append("subscription_id = ?")
            params.append(subscription_id)
        rows = self._read(
            f"SELECT {_COLS} FROM alert_outbox WHERE {' AND '.join(where)}"
            " ORDER BY created_us, id LIMIT ?",
            [*params, limit],
        )
        return [_item(r) for r in rows]

    def count_items(self) -> dict[str, int]:
        """Outbox rows per state (for ``/metrics``)."""
        rows = self._read("SELECT state, COUNT(*) FROM alert_outbox GROUP BY state")
        return {str(state): int(n) for state, n in rows}

    def due_items(self, now_us: int, limit: int = 100) -> list[OutboxItem]:
        """Pending rows whose next attempt is due, oldest first."""
        rows = self._read(
            f"SELECT {_COLS} FROM alert_outbox WHERE state = 'pending' AND next_attempt_us <= ?"
            " ORDER BY created_us, id LIMIT ?",
            (now_us, limit),
        )
        return [_item(r) for r in rows]

    def save_item(self, item: OutboxItem) -> None:
        """Write a row's delivery progress (state, attempts, next attempt, error, sent time)."""
        with self._tx() as conn:
            conn.execute(
                "UPDATE alert_outbox SET state = ?, attempts = ?, next_attempt_us = ?,"
                " last_error = ?, sent_us = ? WHERE id = ?",
                (
                    item.state,
                    item.attempts,
                    item.next_attempt_us,
                    item.last_error,
                    item.sent_us,
                    item.id,
                ),
            )

    def retry_dead(self, subscription_id: str | None = None) -> int:
        """Queue dead rows (of one subscription, or all) for delivery again; how many."""
        sql = "UPDATE alert_outbox SET state = 'pending', attempts = 0, next_attempt_us = 0"
        sql += " WHERE state = 'dead'"
        params: tuple[str, ...] = ()
        if subscription_id is not None:
            sql, params = sql + " AND subscription_id = ?", (subscription_id,)
        with self._tx() as conn:
            return conn.execute(sql, params).rowcount
