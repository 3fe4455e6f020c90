"""Reading statements and attachments from MongoDB: ids, queries, paging, export.

Every read filters ``pending: null`` so that a batch being written without a transaction is
never visible (see :mod:`statements.store.mongo.batch`). A query is one ``find`` with ``sort``
and ``limit`` on an index: ``(keys, seq)`` when a filter is given, ``(authority_key, seq)`` for
``statements/read/mine``, else the unique ``seq`` index; ``since``/``until`` are first turned
into ``seq`` bounds with the ``(stored_us, seq)`` index (``stored`` never decreases along
``seq``).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

from statements.query import StatementQuery
from statements.store.base import Attachment, Page, StatementRecord, seq_bounds
from statements.store.mongo.batch import VISIBLE, MongoBatches
from statements.store.mongo.codec import RECORD_FIELDS, encode_key, from_doc

ASC, DESC = 1, -1


def query_filter(query: StatementQuery, lo: int | None, hi: int | None) -> dict[str, Any]:
    """The MongoDB filter of a statement query within (``lo``, ``hi``] seq bounds."""
    flt: dict[str, Any] = {**VISIBLE, "voided": False}
    keys = [encode_key(kind, value) for kind, value in query.filters()]
    if len(keys) == 1:
        flt["keys"] = keys[0]
    elif keys:
        flt["keys"] = {"$all": keys}
    seq: dict[str, int] = {}
    if lo is not None:
        seq["$gt"] = lo
    if hi is not None:
        seq["$lte"] = hi
    if seq:
        flt["seq"] = seq
    if query.authority is not None:
        flt["authority_key"] = query.authority
    return flt


def query_hint(query: StatementQuery) -> list[tuple[str, int]]:
    """The index a query is planned on (also used by the query-plan tests)."""
    if query.filters():
        return [("keys", ASC), ("seq", ASC)]
    if query.authority is not None:
        return [("authority_key", ASC), ("seq", ASC)]
    return [("seq", ASC)]


class MongoStatements(MongoBatches):
    """The read side of the statement store on MongoDB."""

    def get_by_ids(self, ids: Sequence[str]) -> dict[str, StatementRecord]:
        """Stored records (voided or not) for the ids that exist."""
        wanted = list({i.lower() for i in ids})
        with self.guard():
            found = list(
                self.db.statements.find({"_id": {"$in": wanted}, **VISIBLE}, RECORD_FIELDS)
            )
        return {d["_id"]: from_doc(d) for d in found}

    def query(self, query: StatementQuery) -> Page:
        """One page of non-voided matches in ``seq`` (= ``stored``) order."""
        limit = max(query.limit, 1)
        with self.guard():
            lo, hi = self._seq_bounds(query)
            cursor = (
                self.db.statements.find(query_filter(query, lo, hi), RECORD_FIELDS)
                .sort("seq", ASC if query.ascending else DESC)
                .limit(limit + 1)
            )
            docs = list(cursor)
        records = [from_doc(d) for d in docs[:limit]]
        nxt = records[-1].seq if len(docs) > limit else None
        return Page(records=records, next_after=nxt, snapshot_seq=hi)

    def _max_seq(self, flt: dict[str, Any], sort: list[tuple[str, int]]) -> int:
        doc = self.db.statements.find_one(flt, {"seq": 1}, sort=sort)
        return 0 if doc is None else int(doc["seq"])

    def _seq_bounds(self, query: StatementQuery) -> tuple[int | None, int | None]:
        """since/until/cursor/snapshot → (exclusive low, inclusive high) seq bounds."""
        by_stored = [("stored_us", DESC), ("seq", DESC)]
        return seq_bounds(
            query,
            lambda: self._max_seq(VISIBLE, [("seq", DESC)]),
            lambda us: self._max_seq({"stored_us": {"$lte": us}}, by_stored),
        )

    def get_attachments(self, hashes: Sequence[str]) -> dict[str, Attachment]:
        """Attachment bytes by hash."""
        with self.guard():
            found = list(self.db.attachments.find({"_id": {"$in": list(set(hashes))}}))
        return {
            d["_id"]: Attachment(d["_id"], d["content_type"], bytes(d["content"])) for d in found
        }

    def iter_attachments(self) -> Iterator[Attachment]:
        """Every stored attachment (for ``lrs migrate``)."""
        with self.guard():
            for d in self.db.attachments.find().sort("_id", ASC):
                yield Attachment(d["_id"], d["content_type"], bytes(d["content"]))

    def iter_since(
        self, after_seq: int, batch_size: int = 10_000
    ) -> Iterator[list[StatementRecord]]:
        """Every statement after ``after_seq`` (voided included), in seq order, in batches.

        Stops below the first ``seq`` of a batch still being written without a transaction,
        so an incremental reader never skips statements that become visible later.
        """
        cursor = after_seq
        while True:
            with self.guard():
                floor = self.pending_floor()
                seq: dict[str, int] = {"$gt": cursor}
                if floor is not None:
                    seq["$lt"] = floor
                docs = list(
                    self.db.statements.find({"seq": seq, **VISIBLE}, RECORD_FIELDS)
                    .sort("seq", ASC)
                    .limit(batch_size)
                )
            if not docs:
                return
            batch = [from_doc(d) for d in docs]
            cursor = batch[-1].seq
            yield batch

    def consistent_through_us(self) -> int | None:
        """``stored`` of the newest visible statement (None when empty)."""
        with self.guard():
            doc = self.db.statements.find_one(
                VISIBLE, {"stored_us": 1}, sort=[("stored_us", DESC), ("seq", DESC)]
            )
        return None if doc is None else int(doc["stored_us"])
