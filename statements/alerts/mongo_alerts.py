"""Alert subscriptions, events and the delivery outbox in the MongoDB store's database.

MongoDB writes one document atomically, so :meth:`MongoAlerts.record` inserts each new event
*with its outbox rows embedded* (``rows``, ``materialized: false``), then copies the rows into
``alert_outbox`` (upserts by id) and marks the event materialized. A crash between the two
leaves an unmaterialized event that :meth:`recover` (run before every outbox read) finishes:
a decision is never half-kept and no row is queued twice.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from pymongo import ASCENDING, IndexModel

from statements.alerts.codec import event_doc, event_from, item_doc, item_from, sub_doc, sub_from
from statements.alerts.model import Event, OutboxItem, Subscription
from statements.errors import Conflict
from statements.store.mongo import MongoStore


class MongoAlerts:
    """The alert collections of a :class:`MongoStore`."""

    def __init__(self, store: MongoStore) -> None:
        self.store = store

    @property
    def db(self) -> Any:
        """The store's database."""
        return self.store.db

    def init(self) -> None:
        """Create the indexes (idempotent) and finish interrupted decisions."""
        with self.store.guard():
            self.db.alert_outbox.create_indexes(
                [
                    IndexModel([("state", ASCENDING), ("next_attempt_us", ASCENDING)], name="due"),
                    IndexModel(
                        [("subscription_id", ASCENDING), ("created_us", ASCENDING)], name="sub"
                    ),
                ]
            )
            self.db.alert_events.create_indexes(
                [
                    IndexModel([("raised_us", ASCENDING)], name="raised"),
                    IndexModel([("materialized", ASCENDING)], name="materialized"),
                ]
            )
        self.recover()

    # -- subscriptions -------------------------------------------------------------------------
    def add_subscription(self, sub: Subscription) -> None:
        """Store a new subscription; ``Conflict`` if the id exists."""
        with self.store.guard("a subscription with this id already exists"):
            self.db.alert_subscriptions.insert_one({"_id": sub.id, **sub_doc(sub)})

    def get_subscription(self, sub_id: str) -> Subscription | None:
        """The subscription, or None."""
        with self.store.guard():
            doc = self.db.alert_subscriptions.find_one({"_id": sub_id})
        return None if doc is None else sub_from(doc)

    def list_subscriptions(self, owner: str | None = None) -> list[Subscription]:
        """Every subscription (of ``owner`` when given), by id."""
        flt = {} if owner is None else {"owner": owner}
        with self.store.guard():
            docs = list(self.db.alert_subscriptions.find(flt).sort("_id", ASCENDING))
        return [sub_from(d) for d in docs]

    def remove_subscription(self, sub_id: str) -> bool:
        """Delete the subscription and its undelivered rows; False if unknown."""
        with self.store.guard():
            self.db.alert_outbox.delete_many({"subscription_id": sub_id, "state": {"$ne": "sent"}})
            return bool(self.db.alert_subscriptions.delete_one({"_id": sub_id}).deleted_count)

    # -- events and the decision ---------------------------------------------------------------
    def record(self, events: Sequence[Event], items: Sequence[OutboxItem]) -> list[str]:
        """Keep new events with their outbox rows (one document each); the ids that were new."""
        by_event: dict[str, list[dict[str, Any]]] = {}
        for item in items:
            by_event.setdefault(item.event_ids[0], []).append(item_doc(item))
        new = []
        for ev in events:
            doc = {
                "_id": ev.id,
                "raised_us": ev.raised_us,
                "body": event_doc(ev),
                "rows": by_event.get(ev.id, []),
                "materialized": False,
            }
            try:
                with self.store.guard():
                    self.db.alert_events.insert_one(doc)
            except Conflict:  # kept before: not raised again
                continue
            new.append(ev.id)
        self.recover()
        return new

    def recover(self) -> int:
        """Copy the outbox rows of unmaterialized events into ``alert_outbox``; how many events."""
        with self.store.guard():
            pending = list(self.db.alert_events.find({"materialized": False}))
            for doc in pending:
                self._upsert_rows(doc["rows"])
                self.db.alert_events.update_one(
                    {"_id": doc["_id"]}, {"$set": {"materialized": True}, "$unset": {"rows": ""}}
                )
        return len(pending)

    def _upsert_rows(self, rows: Sequence[dict[str, Any]]) -> int:
        count = 0
        for row in rows:
            res = self.db.alert_outbox.update_one(
                {"_id": row["id"]}, {"$setOnInsert": row}, upsert=True
            )
            count += 1 if res.upserted_id is not None else 0
        return count

    def add_items(self, items: Sequence[OutboxItem]) -> int:
        """Queue outbox rows (digests) unless their id exists; how many were new."""
        with self.store.guard():
            return self._upsert_rows([item_doc(i) for i in items])

    def get_events(self, ids: Sequence[str]) -> dict[str, Event]:
        """Kept events by id."""
        with self.store.guard():
            docs = list(self.db.alert_events.find({"_id": {"$in": list(ids)}}))
        return {d["_id"]: event_from(d["body"]) for d in docs}

    def list_events(self, since_us: int = 0, until_us: int | None = None) -> list[Event]:
        """Events raised in ``[since_us, until_us)``, oldest first."""
        flt = {"raised_us": {"$gte": since_us, "$lt": until_us if until_us is not None else 2**62}}
        with self.store.guard():
            docs = list(self.db.alert_events.find(flt).sort([("raised_us", 1), ("_id", 1)]))
        return [event_from(d["body"]) for d in docs]

    # -- the outbox ----------------------------------------------------------------------------
    def _items(self, flt: dict[str, Any], limit: int) -> list[OutboxItem]:
        with self.store.guard():
            docs = list(
                self.db.alert_outbox.find(flt).sort([("created_us", 1), ("_id", 1)]).limit(limit)
            )
        return [item_from(d) for d in docs]

    def list_items(
        self,
        state: str | None = None,
        subscription_id: str | None = None,
        since_us: int = 0,
        limit: int = 1000,
    ) -> list[OutboxItem]:
        """Outbox rows (of a state / subscription, created from ``since_us``), oldest first."""
        self.recover()
        flt: dict[str, Any] = {"created_us": {"$gte": since_us}}
        if state is not None:
            flt["state"] = state
        if subscription_id is not None:
            flt["subscription_id"] = subscription_id
        return self._items(flt, limit)

    def count_items(self) -> dict[str, int]:
        """Outbox rows per state (for ``/metrics``)."""
        with self.store.guard():
            found = list(
                self.db.alert_outbox.aggregate([{"$group": {"_id": "$state", "n": {"$sum": 1}}}])
            )
        return {str(d["_id"]): int(d["n"]) for d in found}

    def due_items(self, now_us: int, limit: int = 100) -> list[OutboxItem]:
        """Pending rows whose next attempt is due, oldest first."""
        self.recover()
        return self._items({"state": "pending", "next_attempt_us": {"$lte": now_us}}, limit)

    def save_item(self, item: OutboxItem) -> None:
        """Write a row's delivery progress (state, attempts, next attempt, error, sent time)."""
        fields = ("state", "attempts", "next_attempt_us", "last_error", "sent_us")
        with self.store.guard():
            self.db.alert_outbox.update_one(
                {"_id": item.id}, {"$set": {k: getattr(item, k) for k in fields}}
            )

    def retry_dead(self, subscription_id: str | None = None) -> int:
        """Queue dead rows (of one subscription, or all) for delivery again; how many."""
        flt: dict[str, Any] = {"state": "dead"}
        if subscription_id is not None:
            flt["subscription_id"] = subscription_id
        with self.store.guard():
            res = self.db.alert_outbox.update_many(
                flt, {"$set": {"state": "pending", "attempts": 0, "next_attempt_us": 0}}
            )
        return int(res.modified_count)
