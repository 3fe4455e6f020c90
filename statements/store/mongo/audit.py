"""Append-only audit log on MongoDB (the chain logic is in :mod:`statements.audit`).

An entry's ``_id`` is its ``seq``: an appender reads the last entry, chains to it and inserts
``seq + 1``; a racing appender hits the unique ``_id`` and retries against the new last entry,
so the chain never forks (no transaction needed). The LRS never updates or deletes entries.
"""

from __future__ import annotations

import json
from typing import Any

from pymongo.errors import DuplicateKeyError

from statements.audit import AuditEntry, chained
from statements.errors import StoreUnavailable
from statements.store.mongo.conn import MongoConnection

ATTEMPTS = 50


def _entry(raw: dict[str, Any]) -> AuditEntry:
    return AuditEntry(
        int(raw["_id"]),
        int(raw["at_us"]),
        raw["actor"],
        raw["action"],
        json.loads(raw["detail"]),
        raw["prev_hash"],
        raw["hash"],
    )


class MongoAudit(MongoConnection):
    """``append_audit`` and ``list_audit`` on the ``audit_log`` collection."""

    def append_audit(
        self, at_us: int, actor: str, action: str, detail: dict[str, Any]
    ) -> AuditEntry:
        """Append one entry, chained to the last."""
        coll = self.db.audit_log
        for _ in range(ATTEMPTS):
            with self.guard():
                last = coll.find_one({}, sort=[("_id", -1)])
                entry = chained(_entry(last) if last else None, at_us, actor, action, detail)
                try:
                    coll.insert_one(
                        {
                            "_id": entry.seq,
                            "at_us": entry.at_us,
                            "actor": entry.actor,
                            "action": entry.action,
                            "detail": json.dumps(entry.detail, sort_keys=True),
                            "prev_hash": entry.prev_hash,
                            "hash": entry.hash,
                        }
                    )
                except DuplicateKeyError:
                    continue
            return entry
        raise StoreUnavailable("audit log is busy; try again")

    def list_audit(
        self, since_us: int | None = None, actor: str | None = None, limit: int = 10_000
    ) -> list[AuditEntry]:
        """Entries in order, optionally from a time and for one actor."""
        flt: dict[str, Any] = {}
        if since_us is not None:
            flt["at_us"] = {"$gte": since_us}
        if actor is not None:
            flt["actor"] = actor
        with self.guard():
            found = list(self.db.audit_log.find(flt).sort("_id", 1).limit(limit))
        return [_entry(raw) for raw in found]
