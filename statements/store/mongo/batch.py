"""Atomic statement batches on MongoDB: a transaction, or insert-then-compensate.

Where the deployment supports multi-document transactions (replica sets, sharded clusters) a
batch is written in one transaction. On a standalone server (and mongomock) it is written in
four steps that never show a partial batch to readers:

1. a journal entry ``{_id: batch, state: "pending"}`` is written to ``batches``;
2. the statements are inserted with ``pending: <batch>`` (every read filters ``pending: null``,
   so they are invisible); on any error they are deleted again (compensation) and the error is
   raised — a duplicate id in the middle of a batch leaves nothing behind;
3. the journal entry becomes ``committing`` and one ``update_many`` clears ``pending``;
4. derived updates run (voiding of targets, StatementRef filter keys), then the journal entry
   is deleted. :meth:`MongoBatches.recover_batches` (run by ``lrs init``) rolls ``pending``
   entries older than a grace period back and ``committing`` ones forward after a crash.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Sequence
from typing import Any

from pymongo import ReturnDocument

from statements.errors import BadRequest
from statements.store.base import Attachment, StatementRecord
from statements.store.mongo.codec import to_doc
from statements.store.mongo.conn import MongoConnection
from statements.timefmt import format_us

VISIBLE: dict[str, Any] = {"pending": None}
RECOVERY_GRACE_S = 600


class MongoBatches(MongoConnection):
    """Writing a batch of statements: ``insert`` and its helpers."""

    def insert(self, records: Sequence[StatementRecord], attachments: Sequence[Attachment]) -> None:
        """Store all records and attachments atomically, or nothing (see the module doc)."""
        if not records and not attachments:
            return
        with self.guard():
            self._check_voiding(records)
            first = self._reserve(records)
        txn = self.transactions()
        token = uuid.uuid4().hex
        docs = [
            to_doc(rec, first + n, None if txn else token, token) for n, rec in enumerate(records)
        ]
        with self.guard():
            if txn:
                with self.client().start_session() as session:
                    session.with_transaction(lambda s: self._write(docs, attachments, s))
            else:
                self._insert_fallback(token, first, docs, attachments)
        for rec, doc in zip(records, docs, strict=True):
            rec.seq = doc["seq"]
            rec.voided = bool(doc.get("voided"))

    def _check_voiding(self, records: Sequence[StatementRecord]) -> None:
        batch = {r.id.lower(): r for r in records}
        outside = [r.voids for r in records if r.voids and r.voids not in batch]
        stored = {
            d["_id"]: d.get("voids")
            for d in self.db.statements.find({"_id": {"$in": outside}, **VISIBLE}, {"voids": 1})
        }
        for rec in records:
            if not rec.voids:
                continue
            target = batch.get(rec.voids)
            is_voiding = target.voids is not None if target else stored.get(rec.voids) is not None
            if is_voiding:
                raise BadRequest(f"statement {rec.id} voids a voiding statement")

    def _reserve(self, records: Sequence[StatementRecord]) -> int:
        """Reserve ``seq`` numbers and raise ``stored`` so it never decreases along ``seq``."""
        if not records:
            return 0
        before = self.db.counters.find_one_and_update(
            {"_id": "statements"},
            {
                "$inc": {"seq": len(records)},
                "$max": {"stored_us": max(r.stored_us for r in records)},
            },
            upsert=True,
            return_document=ReturnDocument.BEFORE,
        )
        last = int((before or {}).get("stored_us", 0))
        for rec in records:
            if rec.stored_us < last:
                rec.stored_us = last
                rec.body["stored"] = format_us(last)
            last = rec.stored_us
        return int((before or {}).get("seq", 0)) + 1

    def _write(self, docs: list[dict[str, Any]], atts: Sequence[Attachment], s: Any) -> None:
        if docs:
            self.db.statements.insert_many(docs, ordered=True, session=s)
        self._store_attachments(atts, s)
        self._derive(docs, s)

    def _store_attachments(self, atts: Sequence[Attachment], s: Any) -> None:
        for a in {a.sha2: a for a in atts}.values():
            self.db.attachments.update_one(
                {"_id": a.sha2},
                {"$setOnInsert": {"content_type": a.content_type, "content": a.content}},
                upsert=True,
                session=s,
            )

    def _insert_fallback(
        self, token: str, first: int, docs: list[dict[str, Any]], atts: Sequence[Attachment]
    ) -> None:
        journal = self.db.batches
        journal.insert_one(
            {"_id": token, "state": "pending", "first_seq": first, "created": time.time()}
        )
        try:
            if docs:
                self.db.statements.insert_many(docs, ordered=True)
            self._store_attachments(atts, None)
        except BaseException:
            self._compensate(token)
            raise
        journal.update_one({"_id": token}, {"$set": {"state": "committing"}})
        self._finish(token, docs)

    def _compensate(self, token: str) -> None:
        """Delete a failed batch's (invisible) statements and its journal entry."""
        self.db.statements.delete_many({"batch": token, "pending": token})
        self.db.batches.delete_one({"_id": token})

    def _finish(self, token: str, docs: list[dict[str, Any]]) -> None:
        self.db.statements.update_many({"batch": token}, {"$set": {"pending": None}})
        for doc in docs:
            doc["pending"] = None
        self._derive(docs, None)
        self.db.batches.delete_one({"_id": token})

    def recover_batches(self, grace_s: float = RECOVERY_GRACE_S) -> int:
        """Roll back ``pending`` / roll forward ``committing`` batches older than ``grace_s``."""
        done = 0
        with self.guard():
            for entry in self.db.batches.find({"created": {"$lt": time.time() - grace_s}}):
                token = entry["_id"]
                if entry.get("state") == "committing":
                    self._finish(token, list(self.db.statements.find({"batch": token})))
                else:
                    self._compensate(token)
                done += 1
        return done

    def pending_floor(self) -> int | None:
        """The lowest ``seq`` an unfinished fallback batch may still make visible, or None."""
        entry = self.db.batches.find_one({}, {"first_seq": 1}, sort=[("first_seq", 1)])
        return None if entry is None else int(entry["first_seq"])

    # -- derived state: StatementRef keys and voiding -----------------------------------------
    def _derive(self, docs: list[dict[str, Any]], s: Any) -> None:
        """Apply what a batch implies for itself and for stored statements (idempotent)."""
        if not docs:
            return
        keys = {d["_id"]: set(d["keys"]) for d in docs}
        self._pull_target_keys(docs, keys, s)
        self._push_keys_to_referrers(keys, s)
        coll = self.db.statements
        targets = [d["voids"] for d in docs if d["voids"]]
        if targets:
            coll.update_many(
                {"_id": {"$in": targets}, "voids": None}, {"$set": {"voided": True}}, session=s
            )
        voiders = coll.find({"voids": {"$in": list(keys)}, **VISIBLE}, {"voids": 1}, session=s)
        hit = {v["voids"] for v in voiders}
        if hit:
            coll.update_many(
                {"_id": {"$in": list(hit)}, "voids": None}, {"$set": {"voided": True}}, session=s
            )
        for doc in docs:
            doc["voided"] = doc["_id"] in hit and not doc["voids"]

    def _pull_target_keys(
        self, docs: list[dict[str, Any]], keys: dict[str, set[str]], s: Any
    ) -> None:
        """Give each referring statement of the batch its target's keys (chains included)."""
        refs = {d["_id"]: d["ref_target"] for d in docs if d["ref_target"]}
        if not refs:
            return
        found = self.db.statements.find(
            {"_id": {"$in": list(set(refs.values()))}, **VISIBLE}, {"keys": 1}, session=s
        )
        outside = {t["_id"]: set(t.get("keys") or ()) for t in found}
        before = {sid: set(keys[sid]) for sid in refs}
        changed = True
        while changed:
            changed = False
            for sid, tid in refs.items():
                source = keys.get(tid, outside.get(tid, set()))
                if not source <= keys[sid]:
                    keys[sid] |= source
                    changed = True
        self._add_keys({sid: keys[sid] - old for sid, old in before.items()}, s)

    def _push_keys_to_referrers(self, keys: dict[str, set[str]], s: Any) -> None:
        """Copy keys onto stored statements that reference the batch, recursively."""
        frontier = dict(keys)
        seen = set(keys)
        while frontier:
            found = self.db.statements.find(
                {"ref_target": {"$in": list(frontier)}, **VISIBLE},
                {"keys": 1, "ref_target": 1},
                session=s,
            )
            additions, nxt = {}, {}
            for ref in found:
                if ref["_id"] in seen:
                    continue
                seen.add(ref["_id"])
                have = set(ref.get("keys") or ())
                additions[ref["_id"]] = frontier[ref["ref_target"]] - have
                if additions[ref["_id"]]:
                    nxt[ref["_id"]] = have | additions[ref["_id"]]
            self._add_keys(additions, s)
            frontier = nxt

    def _add_keys(self, additions: dict[str, set[str]], s: Any) -> None:
        """``$addToSet`` keys, one ``update_many`` per distinct set of added keys.

        (Not ``bulk_write``: mongomock 4.3 cannot take pymongo 4.20's ``UpdateOne``.)
        """
        groups: dict[tuple[str, ...], list[str]] = {}
        for sid, added in additions.items():
            if added:
                groups.setdefault(tuple(sorted(added)), []).append(sid)
        for added_keys, ids in groups.items():
            self.db.statements.update_many(
                {"_id": {"$in": ids}},
                {"$addToSet": {"keys": {"$each": list(added_keys)}}},
                session=s,
            )
