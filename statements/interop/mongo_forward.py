"""Forwarding destinations, dead letters and provenance in the MongoDB store's database."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from pymongo import ASCENDING, IndexModel
from pymongo.errors import DuplicateKeyError

from statements.errors import Conflict
from statements.interop.model import DeadLetter, Destination
from statements.store.mongo import MongoStore
from statements.store.mongo.batch import VISIBLE


def _dead_id(name: str, statement_id: str) -> str:
    return f"{name}\x00{statement_id}"


class MongoForward:
    """The forwarding collections of a :class:`MongoStore`."""

    def __init__(self, store: MongoStore) -> None:
        self.store = store

    @property
    def db(self) -> Any:
        """The store's database."""
        return self.store.db

    def init(self) -> None:
        """Create the indexes (idempotent)."""
        with self.store.guard():
            self.db.forward_dead.create_indexes(
                [IndexModel([("name", ASCENDING), ("state", ASCENDING), ("seq", ASCENDING)])]
            )

    def add_destination(self, dest: Destination) -> None:
        """Store a new destination; ``Conflict`` if the name exists."""
        try:
            with self.store.guard():
                self.db.forward_destinations.insert_one({"_id": dest.name, **dest.__dict__})
        except DuplicateKeyError as exc:  # pragma: no cover - guard translates it
            raise Conflict("a destination with this name already exists") from exc

    @staticmethod
    def _dest(doc: dict[str, Any]) -> Destination:
        doc.pop("_id", None)
        return Destination(**doc)

    def get_destination(self, name: str) -> Destination | None:
        """The destination, or None."""
        with self.store.guard():
            doc = self.db.forward_destinations.find_one({"_id": name})
        return None if doc is None else self._dest(doc)

    def list_destinations(self) -> list[Destination]:
        """All destinations by name."""
        with self.store.guard():
            docs = list(self.db.forward_destinations.find().sort("_id", ASCENDING))
        return [self._dest(d) for d in docs]

    def remove_destination(self, name: str) -> bool:
        """Delete the destination and its dead letters; False if unknown."""
        with self.store.guard():
            self.db.forward_dead.delete_many({"name": name})
            return bool(self.db.forward_destinations.delete_one({"_id": name}).deleted_count)

    def save_destination(self, dest: Destination, dead: Sequence[DeadLetter] = ()) -> None:
        """Add dead letters first, then write the progress (a crash between only repeats work)."""
        with self.store.guard():
            for d in dead:
                self.db.forward_dead.replace_one(
                    {"_id": _dead_id(d.name, d.statement_id)}, dict(d.__dict__), upsert=True
                )
            self.db.forward_destinations.replace_one(
                {"_id": dest.name}, {"_id": dest.name, **dest.__dict__}
            )

    def list_dead(self, name: str, state: str | None = None, limit: int = 1000) -> list[DeadLetter]:
        """Dead letters of a destination in ``seq`` order."""
        flt: dict[str, Any] = {"name": name}
        if state is not None:
            flt["state"] = state
        with self.store.guard():
            docs = list(self.db.forward_dead.find(flt).sort("seq", ASCENDING).limit(limit))
        return [DeadLetter(**{k: v for k, v in d.items() if k != "_id"}) for d in docs]

    def count_dead(self, name: str, state: str) -> int:
        """How many dead letters of this state the destination has."""
        with self.store.guard():
            return int(self.db.forward_dead.count_documents({"name": name, "state": state}))

    def queue_retries(self, name: str) -> int:
        """Queue every dead letter of the destination for another delivery; how many."""
        with self.store.guard():
            res = self.db.forward_dead.update_many(
                {"name": name, "state": "dead"}, {"$set": {"state": "retry"}}
            )
        return int(res.modified_count)

    def remove_dead(self, name: str, ids: Sequence[str]) -> None:
        """Forget dead letters that have now been delivered."""
        with self.store.guard():
            self.db.forward_dead.delete_many({"_id": {"$in": [_dead_id(name, i) for i in ids]}})

    def depth(self, watermark: int) -> int:
        """Visible statements stored after ``watermark``."""
        with self.store.guard():
            return int(self.db.statements.count_documents({"seq": {"$gt": watermark}, **VISIBLE}))

    def oldest_after(self, watermark: int) -> int | None:
        """``stored`` (µs) of the first visible statement after ``watermark``, or None."""
        with self.store.guard():
            doc = self.db.statements.find_one(
                {"seq": {"$gt": watermark}, **VISIBLE}, {"stored_us": 1}, sort=[("seq", 1)]
            )
        return None if doc is None else int(doc["stored_us"])

    def max_seq(self) -> int:
        """The newest visible ``seq`` (0 when empty)."""
        with self.store.guard():
            doc = self.db.statements.find_one(VISIBLE, {"seq": 1}, sort=[("seq", -1)])
        return 0 if doc is None else int(doc["seq"])

    def record_provenance(self, rows: Sequence[tuple[str, str, str | None, Any]]) -> None:
        """Keep (id, source, source ``stored``, source ``authority``) of imported statements."""
        with self.store.guard():
            for sid, source, stored, authority in rows:
                self.db.statement_provenance.update_one(
                    {"_id": sid.lower()},
                    {"$setOnInsert": {"source": source, "stored": stored, "authority": authority}},
                    upsert=True,
                )

    def get_provenance(self, statement_id: str) -> dict[str, Any] | None:
        """Where an imported statement came from, or None."""
        with self.store.guard():
            doc = self.db.statement_provenance.find_one({"_id": statement_id.lower()})
        if doc is None:
            return None
        return {"source": doc["source"], "stored": doc["stored"], "authority": doc["authority"]}
