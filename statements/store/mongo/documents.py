"""MongoDB implementation of the document, Activity and Agent parts of the store contract.

Preconditions are atomic without transactions: a write is *conditional on the document it
was checked against* (``insert_one`` when there was none — the unique ``_id`` refuses a racing
creator — else ``replace_one``/``delete_one`` filtered on the digest and ``updated_us`` that
were read). When another writer got there first the write matches nothing, and the check runs
again against the new document, so two clients racing with one If-Match cannot both win.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator, Sequence
from typing import Any

from pymongo.errors import DuplicateKeyError

from statements.documents import (
    STATE,
    UNCONDITIONAL,
    Document,
    DocumentIds,
    DocumentScope,
    Precondition,
    ifi_of,
    merge_activity,
    merge_json,
    person_from,
)
from statements.errors import StoreUnavailable
from statements.ifi import agent_key as ifi_key
from statements.store.mongo.codec import SEP, dumps
from statements.store.mongo.conn import MongoConnection

ATTEMPTS = 50


def _doc_id(scope: DocumentScope, document_id: str) -> str:
    parts = (scope.kind, scope.activity_id, scope.agent_key, scope.registration, document_id)
    return SEP.join(p or "" for p in parts)


def _scope_filter(scope: DocumentScope) -> dict[str, Any]:
    """Every document of a scope; a State scope without registration spans all."""
    flt: dict[str, Any] = {
        "kind": scope.kind,
        "activity_id": scope.activity_id or "",
        "agent_key": scope.agent_key or "",
    }
    if scope.kind != STATE or scope.registration is not None:
        flt["registration"] = scope.registration or ""
    return flt


def _to_mongo(doc: Document) -> dict[str, Any]:
    return {
        "_id": _doc_id(doc.scope, doc.document_id),
        "kind": doc.scope.kind,
        "activity_id": doc.scope.activity_id or "",
        "agent_key": doc.scope.agent_key or "",
        "registration": doc.scope.registration or "",
        "document_id": doc.document_id,
        "content": doc.content,
        "content_type": doc.content_type,
        "digest": doc.digest,
        "updated_us": doc.updated_us,
    }


def _from_mongo(raw: dict[str, Any]) -> Document:
    scope = DocumentScope(
        raw["kind"],
        raw["activity_id"] or None,
        raw["agent_key"] or None,
        raw["registration"] or None,
    )
    return Document(
        scope,
        raw["document_id"],
        bytes(raw["content"]),
        raw["content_type"],
        int(raw["updated_us"]),
        raw["digest"],
    )


class MongoDocuments(MongoConnection):
    """Documents, canonical Activities and seen Agents in MongoDB collections."""

    # -- documents ---------------------------------------------------------------------------
    def _load(self, scope: DocumentScope, document_id: str) -> Document | None:
        raw = self.db.documents.find_one({"_id": _doc_id(scope, document_id)})
        return None if raw is None else _from_mongo(raw)

    def _conditional(
        self,
        scope: DocumentScope,
        document_id: str,
        precondition: Precondition,
        change: Callable[[Document | None], Document | None],
    ) -> tuple[Document | None, bool]:
        """Check, then write conditionally on what was read; retry when a racer changed it.

        ``change`` maps the current document to the new one (None: delete). Returns the new
        document and whether there was a current one.
        """
        key = _doc_id(scope, document_id)
        coll = self.db.documents
        for _ in range(ATTEMPTS):
            with self.guard():
                current = self._load(scope, document_id)
            precondition.check(current)
            new = change(current)
            with self.guard():
                if current is None:
                    if new is None:
                        return None, False
                    try:
                        coll.insert_one(_to_mongo(new))
                    except DuplicateKeyError:
                        continue
                    return new, False
                same = {"_id": key, "digest": current.digest, "updated_us": current.updated_us}
                if new is None:
                    done = coll.delete_one(same).deleted_count == 1
                else:
                    done = coll.replace_one(same, _to_mongo(new)).matched_count == 1
            if done:
                return new, True
        raise StoreUnavailable("the document is changing too fast; try again")

    def get_document(self, scope: DocumentScope, document_id: str) -> Document | None:
        """The document, or None."""
        with self.guard():
            return self._load(scope, document_id)

    def put_document(
        self,
        scope: DocumentScope,
        document_id: str,
        content: bytes,
        content_type: str,
        updated_us: int,
        precondition: Precondition = UNCONDITIONAL,
    ) -> Document:
        """Create or replace the document after checking ``precondition`` atomically."""
        new = Document.create(scope, document_id, content, content_type, updated_us)
        self._conditional(scope, document_id, precondition, lambda _current: new)
        return new

    def merge_document(
        self,
        scope: DocumentScope,
        document_id: str,
        content: bytes,
        content_type: str,
        updated_us: int,
        precondition: Precondition = UNCONDITIONAL,
    ) -> Document:
        """Store when absent, else merge the posted JSON object into the stored one."""

        def change(current: Document | None) -> Document:
            if current is None:
                return Document.create(scope, document_id, content, content_type, updated_us)
            merged = merge_json(current, content, content_type)
            return Document.create(scope, document_id, merged, current.content_type, updated_us)

        new, _existed = self._conditional(scope, document_id, precondition, change)
        assert new is not None
        return new

    def delete_document(
        self, scope: DocumentScope, document_id: str, precondition: Precondition = UNCONDITIONAL
    ) -> bool:
        """Delete one document; False when absent."""
        _new, existed = self._conditional(scope, document_id, precondition, lambda _c: None)
        return existed

    def list_document_ids(self, scope: DocumentScope, since_us: int | None = None) -> DocumentIds:
        """Ids updated after ``since_us`` (exclusive), oldest update first, without repeats."""
        flt = _scope_filter(scope)
        if since_us is not None:
            flt["updated_us"] = {"$gt": since_us}
        last: dict[str, int] = {}
        with self.guard():
            for raw in self.db.documents.find(flt, {"document_id": 1, "updated_us": 1}):
                did, upd = raw["document_id"], int(raw["updated_us"])
                last[did] = max(upd, last.get(did, upd))
        ordered = sorted(last.items(), key=lambda item: (item[1], item[0]))
        return DocumentIds([i for i, _ in ordered], max(last.values(), default=None))

    def delete_documents(self, scope: DocumentScope) -> int:
        """Delete every State document of the scope; the number deleted."""
        if scope.kind != STATE:
            raise ValueError("only State documents are deleted in bulk")
        with self.guard():
            return int(self.db.documents.delete_many(_scope_filter(scope)).deleted_count)

    def iter_documents(self) -> Iterator[Document]:
        """Every document of every scope (for ``lrs migrate``)."""
        with self.guard():
            for raw in self.db.documents.find().sort("_id", 1):
                yield _from_mongo(raw)

    # -- activities and agents ---------------------------------------------------------------
    def get_activity(self, activity_id: str) -> dict[str, Any] | None:
        """The canonical Activity, or None."""
        with self.guard():
            raw = self.db.activities.find_one({"_id": activity_id})
        return None if raw is None else dict(json.loads(raw["body"]))

    def upsert_activity_definitions(
        self, activities: Sequence[dict[str, Any]], may_define: bool
    ) -> None:
        """Fold the Activities into the canonical ones (first wins unless ``may_define``).

        Each canonical Activity is replaced only if it is still the one the merge started from
        (else the merge is redone), so concurrent writers never lose a definition.
        """
        grouped: dict[str, list[dict[str, Any]]] = {}
        for activity in activities:
            if isinstance(activity.get("id"), str):
                grouped.setdefault(activity["id"], []).append(activity)
        for aid, seen in grouped.items():
            for _ in range(ATTEMPTS):
                if self._fold_activity(aid, seen, may_define):
                    break
            else:
                raise StoreUnavailable(f"activity {aid} is changing too fast; try again")

    def _fold_activity(self, aid: str, seen: list[dict[str, Any]], may_define: bool) -> bool:
        with self.guard():
            raw = self.db.activities.find_one({"_id": aid})
            current = None if raw is None else json.loads(raw["body"])
            canonical = current
            for activity in seen:
                merged = merge_activity(canonical, activity, may_define)
                canonical = merged if merged is not None else canonical
            if canonical is None or canonical == current:
                return True
            if raw is None:
                try:
                    self.db.activities.insert_one({"_id": aid, "body": dumps(canonical)})
                except DuplicateKeyError:
                    return False
                return True
            result = self.db.activities.replace_one(
                {"_id": aid, "body": raw["body"]}, {"_id": aid, "body": dumps(canonical)}
            )
            return bool(result.matched_count == 1)

    def iter_activities(self) -> Iterator[dict[str, Any]]:
        """Every canonical Activity (for ``lrs migrate``)."""
        with self.guard():
            for raw in self.db.activities.find().sort("_id", 1):
                yield dict(json.loads(raw["body"]))

    def record_agents(self, agents: Sequence[dict[str, Any]]) -> None:
        """Remember each identified agent's IFI and names (in the order first seen)."""
        seen: dict[str, tuple[str, list[str]]] = {}
        for agent in agents:
            key = ifi_key(agent)
            if key is None:
                continue
            _ifi, names = seen.setdefault(key, (dumps(ifi_of(agent)), []))
            name = agent.get("name")
            if isinstance(name, str) and name not in names:
                names.append(name)
        with self.guard():
            for key, (ifi, names) in seen.items():
                update = {"$setOnInsert": {"ifi": ifi}, "$addToSet": {"names": {"$each": names}}}
                try:
                    self.db.agents.update_one({"_id": key}, update, upsert=True)
                except DuplicateKeyError:  # a racing upsert created it: now it exists
                    self.db.agents.update_one({"_id": key}, update, upsert=True)

    def get_agent_person(self, agent_key: str) -> dict[str, Any] | None:
        """The Person for the IFI key: its IFI and every name seen with it; None if unknown."""
        with self.guard():
            raw = self.db.agents.find_one({"_id": agent_key})
        if raw is None:
            return None
        return person_from([json.loads(raw["ifi"])], raw.get("names") or [])

    def iter_agents(self) -> Iterator[tuple[dict[str, Any], list[str]]]:
        """Every seen agent as (IFI, names) (for ``lrs migrate``)."""
        with self.guard():
            for raw in self.db.agents.find().sort("_id", 1):
                names = list(dict.fromkeys(raw.get("names") or []))
                yield json.loads(raw["ifi"]), names
