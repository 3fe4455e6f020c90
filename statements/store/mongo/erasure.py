"""Erasing one agent from the MongoDB store (see ``SECURITY.md`` and :mod:`statements.erasure`).

Candidates are the statements whose ``keys`` hold the agent's ``related_agent`` key (an index
scan); :func:`mentions` applies the rule exactly; referring statements are found through the
``ref_target`` index, transitively. The deletes are not one transaction (a standalone server
has none): each step is idempotent, so an interrupted erasure is finished by running it again.
"""

from __future__ import annotations

import json
from typing import Any

from statements.documents import AGENT_PROFILE, STATE
from statements.erasure import mentions
from statements.store.base import Erasure
from statements.store.mongo.codec import encode_key
from statements.store.mongo.conn import MongoConnection


class MongoErasure(MongoConnection):
    """``erase_agent`` for :class:`statements.store.mongo.MongoStore`."""

    def _erasable(self, agent_key: str) -> tuple[list[str], set[str]]:
        """Ids to erase (direct mentions, then referrers) and the attachment hashes they use."""
        found: dict[str, None] = {}
        hashes: set[str] = set()

        def take(doc: dict[str, Any]) -> None:
            found[doc["_id"]] = None
            for att in json.loads(doc["body"]).get("attachments") or []:
                if isinstance(att, dict) and isinstance(att.get("sha2"), str):
                    hashes.add(att["sha2"])

        key = encode_key("related_agent", agent_key)
        for doc in self.db.statements.find({"keys": key}, {"_id": 1, "body": 1}):
            if mentions(json.loads(doc["body"]), agent_key):
                take(doc)
        frontier = list(found)
        while frontier:
            chunk, frontier = frontier[:500], frontier[500:]
            for doc in self.db.statements.find(
                {"ref_target": {"$in": chunk}}, {"_id": 1, "body": 1}
            ):
                if doc["_id"] not in found:
                    take(doc)
                    frontier.append(doc["_id"])
        return list(found), hashes

    def erase_agent(self, agent_key: str) -> Erasure:
        """Erase the agent's statements, referring statements, documents and record."""
        counts = {"statements": 0, "attachments": 0, "documents": 0, "agents": 0}
        with self.guard():
            ids, hashes = self._erasable(agent_key)
            for start in range(0, len(ids), 500):
                chunk = ids[start : start + 500]
                counts["statements"] += self.db.statements.delete_many(
                    {"_id": {"$in": chunk}}
                ).deleted_count
            for sha in sorted(hashes):
                if self.db.statements.find_one({"body": {"$regex": sha}}, {"_id": 1}) is None:
                    counts["attachments"] += self.db.attachments.delete_one(
                        {"_id": sha}
                    ).deleted_count
            counts["documents"] = self.db.documents.delete_many(
                {"agent_key": agent_key, "kind": {"$in": [STATE, AGENT_PROFILE]}}
            ).deleted_count
            counts["agents"] = self.db.agents.delete_one({"_id": agent_key}).deleted_count
        return Erasure(statement_ids=ids, counts=counts)
