"""MongoDB backend (pymongo): the same storage protocol as the SQLite store, scaled out.

Selected by ``LRS_STORE_URL=mongodb://…`` / ``mongodb+srv://…`` (standalone, replica set,
sharded cluster or a MongoDB-compatible service); ``mongomock://localhost/<db>`` runs it on
mongomock's in-memory engine for development and tests. Layout, indexes, atomic batches and
sharding are described in ``docs/mongodb.md``. The parts live in:

* :mod:`statements.store.mongo.conn` — lazy per-process client, settings, error translation;
* :mod:`statements.store.mongo.codec` — the statement document (opaque JSON body + indexed
  fields);
* :mod:`statements.store.mongo.batch` — atomic batches (transaction or insert-then-compensate);
* :mod:`statements.store.mongo.statements` — queries, paging, export;
* :mod:`statements.store.mongo.documents` — documents, Activities, Agents;
* :mod:`statements.store.mongo.audit` — the append-only, hash-chained audit log;
* :mod:`statements.store.mongo.credentials` — API credentials (rotation, expiry, last use);
* :mod:`statements.store.mongo.erasure` — erasing one agent (the right to be forgotten).
"""

from __future__ import annotations

from pymongo import ASCENDING, IndexModel

from statements.store.mongo.audit import MongoAudit
from statements.store.mongo.credentials import MongoCredentials
from statements.store.mongo.documents import MongoDocuments
from statements.store.mongo.erasure import MongoErasure
from statements.store.mongo.people import MongoPeople
from statements.store.mongo.schedule import SCHEDULE_INDEXES, MongoSchedule
from statements.store.mongo.statements import MongoStatements

# Every index the backend relies on, by collection (created by ``init`` / ``lrs init``).
INDEXES: dict[str, list[IndexModel]] = {
    "statements": [
        # Not unique: the counters document hands out each seq once, and a unique index on a
        # field other than the shard key cannot exist on a sharded collection.
        IndexModel([("seq", ASCENDING)], name="seq"),
        IndexModel([("keys", ASCENDING), ("seq", ASCENDING)], name="keys_seq"),
        IndexModel([("stored_us", ASCENDING), ("seq", ASCENDING)], name="stored_seq"),
        IndexModel([("authority_key", ASCENDING), ("seq", ASCENDING)], name="authority_seq"),
        IndexModel([("ref_target", ASCENDING)], name="ref_target"),
        IndexModel([("voids", ASCENDING)], name="voids"),
        IndexModel([("batch", ASCENDING)], name="batch"),
    ],
    "documents": [
        IndexModel(
            [
                ("kind", ASCENDING),
                ("activity_id", ASCENDING),
                ("agent_key", ASCENDING),
                ("registration", ASCENDING),
                ("updated_us", ASCENDING),
            ],
            name="scope_updated",
        )
    ],
    "credentials": [IndexModel([("created", ASCENDING), ("_id", ASCENDING)], name="created")],
    "people": [IndexModel([("email", ASCENDING)], name="email", unique=True)],
    "people_sessions": [IndexModel([("person_id", ASCENDING)], name="person")],
    "batches": [IndexModel([("first_seq", ASCENDING)], name="first_seq")],
    "audit_log": [
        IndexModel([("actor", ASCENDING), ("_id", ASCENDING)], name="actor_seq"),
        IndexModel([("at_us", ASCENDING)], name="at"),
    ],
}


class MongoStore(
    MongoStatements,
    MongoDocuments,
    MongoCredentials,
    MongoErasure,
    MongoAudit,
    MongoSchedule,
    MongoPeople,
):
    """Statements, attachments, documents, credentials, Activities and Agents in MongoDB."""

    def init(self) -> None:
        """Create collections' indexes (idempotent) and recover interrupted batches."""
        with self.guard():
            for name, models in {**INDEXES, **SCHEDULE_INDEXES}.items():
                self.db[name].create_indexes(models)
        self.recover_batches()
